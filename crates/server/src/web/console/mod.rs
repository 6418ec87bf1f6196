//! The operator's web console at `/console/`: server-rendered pages, no script. An operator signs
//! in with the root access key pair or as an IAM user with a console password
//! (CreateLoginProfile); the session is a cookie MACed under the master key (so any node reads
//! it), HttpOnly, SameSite=Strict, Secure behind https, for eight hours. Every page and action is
//! authorised for the signed-in principal as the API operation it performs would be (the IAM
//! action on the resource it acts on), and every form carries a CSRF token, a MAC of the
//! session's id. `pages` renders what can be read, `actions` does what can be changed; both call
//! the operations' own handlers in this process.

mod actions;
mod clients;
mod frame;
mod iam;
mod identities;
mod identity;
mod pages;
mod policies;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use cognate_domain::crypto::constant_time_eq;

use crate::aws::query::QueryInput;
use crate::state::AppState;
use frame::{cookie, failure, redirect, session, session_cookie, sign_in_page, Operator, SESSION_SECONDS};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { redirect("/console/", None) }))
        .route("/console/", get(pages::home))
        .route("/console/sign-in", post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/pools/{pool_id}", get(pages::pool))
        .route("/console/pools/{pool_id}/users", get(pages::users).post(actions::create_user))
        .route("/console/pools/{pool_id}/users/{username}", get(pages::user).post(actions::user_action))
        .route("/console/pools/{pool_id}/rotate-keys", post(actions::rotate_keys))
        .route("/console/pools/{pool_id}/clients", get(clients::new_client).post(clients::create_client))
        .route("/console/pools/{pool_id}/clients/{client_id}", get(clients::client).post(clients::update_client))
        .route("/console/pools/{pool_id}/outbox", get(pages::outbox))
        .route("/console/identity-pools/{identity_pool_id}", get(identity::identity_pool).post(identity::set_roles))
        .route("/console/identity-pools/{identity_pool_id}/identities/{identity_id}", get(identities::identity))
        .route("/console/identity-pools/{identity_pool_id}/identities/{identity_id}/datasets/{dataset}", get(identities::dataset))
        .route("/console/iam", get(iam::iam))
        .route("/console/iam/roles", post(iam::create_role))
        .route("/console/iam/roles/{role_name}", get(iam::role).post(iam::role_action))
        .route("/console/iam/policies", post(policies::create_policy))
        .route("/console/iam/policies/{arn}", get(policies::policy).post(policies::policy_action))
}

async fn sign_in(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let form = QueryInput::parse(&body).unwrap_or_default();
    let operator = match (form.get("access_key_id"), form.get("user_name")) {
        (Some(key_id), _) if !key_id.is_empty() => {
            let secret = form.get("secret_access_key").unwrap_or("");
            let key_ok = constant_time_eq(key_id.as_bytes(), state.root.access_key_id.as_bytes());
            let secret_ok = constant_time_eq(secret.as_bytes(), state.root.secret_access_key.0.as_bytes());
            (key_ok & secret_ok).then_some(Operator::Root)
        }
        (_, Some(user_name)) => match state.iam.console_sign_in(user_name, form.get("password").unwrap_or("")).await {
            Ok((user, _)) => match state.iam.check_user_mfa(&user, form.get("mfa_code")).await {
                Ok(()) => Some(Operator::User(Box::new(user))),
                Err(cognate_domain::error::DomainError::NotAuthorized(message)) => return sign_in_page(StatusCode::UNAUTHORIZED, Some(&message)),
                Err(error) => return failure(&error.to_string()),
            },
            Err(cognate_domain::error::DomainError::NotAuthorized(_)) => None,
            Err(error) => return failure(&error.to_string()),
        },
        _ => None,
    };
    match operator {
        Some(operator) => redirect("/console/", Some(cookie(&state, &session_cookie(&state, &operator), SESSION_SECONDS))),
        None => sign_in_page(StatusCode::UNAUTHORIZED, Some("The credentials are not right.")),
    }
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Some(session) = session(&state, &headers).await {
        if let Err(refused) = session.check_csrf(&state, &QueryInput::parse(&body).unwrap_or_default()) {
            return refused;
        }
    }
    redirect("/console/", Some(cookie(&state, "", 0)))
}

