//! What the console changes, each a POST with the session's CSRF token, authorised as its API
//! operation: a user created (AdminCreateUser, with the temporary password shown once),
//! disabled or enabled, its password reset or set, signed out everywhere, deleted; a pool's
//! signing keys rotated.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::frame::{path_part, checked, confirmed, failure, json_body, page, pool_arn, redirect, run};
use crate::api::idp::ops;
use crate::state::AppState;
use crate::web::hosted::render::escape;


pub(super) async fn create_user(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    if let Err(refused) = session.may(&state, "cognito-idp:AdminCreateUser", &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let username = form.get("username").unwrap_or("").trim().to_string();
    let mut request = json!({"UserPoolId": pool_id, "Username": username, "MessageAction": "SUPPRESS"});
    if let Some(email) = form.get("email").filter(|email| !email.is_empty()) {
        request["UserAttributes"] = json!([{"Name": "email", "Value": email}]);
    }
    let given = form.get("password").filter(|password| !password.is_empty()).map(str::to_string);
    if let Some(password) = &given {
        request["TemporaryPassword"] = json!(password);
    }
    let created = match run(ops::users::admin_create_user(&state, &json_body(request))).await {
        Ok(created) => created,
        Err(failed) => return failed,
    };
    let name = created["User"]["Username"].as_str().unwrap_or(&username).to_string();
    let shown = match given {
        Some(_) => "<p class=info>The user was created with the temporary password you gave.</p>".to_string(),
        None => "<p class=info>The user was created with a generated temporary password; reset it to send one, or set a password below.</p>".to_string(),
    };
    let link = format!("/console/pools/{}/users/{}", path_part(&pool_id), path_part(&name));
    page(StatusCode::OK, "User created", &format!("{shown}<p><a href=\"{link}\">Open {}</a></p>", escape(&name)), Some((&session, &state)), None)
}

pub(super) async fn user_action(State(state): State<AppState>, headers: HeaderMap, Path((pool_id, username)): Path<(String, String)>, body: Bytes) -> Response {
    let (session, form) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let chosen = form.get("action").unwrap_or("");
    let action = match chosen {
        "disable" => "cognito-idp:AdminDisableUser",
        "enable" => "cognito-idp:AdminEnableUser",
        "reset-password" => "cognito-idp:AdminResetUserPassword",
        "sign-out" => "cognito-idp:AdminUserGlobalSignOut",
        "delete" => "cognito-idp:AdminDeleteUser",
        "set-password" => "cognito-idp:AdminSetUserPassword",
        other => return page(StatusCode::BAD_REQUEST, "Unknown action", &format!("<p class=error>{} is not an action of this page.</p>", escape(other)), Some((&session, &state)), None),
    };
    if let Err(refused) = session.may(&state, action, &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let key = json_body(json!({"UserPoolId": pool_id, "Username": username}));
    let done = match chosen {
        "disable" => run(ops::users::admin_set_enabled(&state, &key, false)).await,
        "enable" => run(ops::users::admin_set_enabled(&state, &key, true)).await,
        "reset-password" => run(ops::sign_up::admin_reset_user_password(&state, &key)).await,
        "sign-out" => run(ops::auth::admin_user_global_sign_out(&state, &key)).await,
        "delete" => match confirmed(&form) {
            Ok(()) => run(ops::users::admin_delete_user(&state, &key)).await,
            Err(refused) => return refused,
        },
        _ => {
            let request = json!({"UserPoolId": pool_id, "Username": username, "Password": form.get("password").unwrap_or(""), "Permanent": true});
            run(ops::users::admin_set_user_password(&state, &json_body(request))).await
        }
    };
    if let Err(failed) = done {
        return failed;
    }
    match chosen {
        "delete" => redirect(&format!("/console/pools/{}/users", path_part(&pool_id)), None),
        _ => redirect(&format!("/console/pools/{}/users/{}", path_part(&pool_id), path_part(&username)), None),
    }
}

pub(super) async fn rotate_keys(State(state): State<AppState>, headers: HeaderMap, Path(pool_id): Path<String>, body: Bytes) -> Response {
    let (session, _) = match checked(&state, &headers, &body).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    if let Err(refused) = session.may(&state, "cognate:RotateSigningKeys", &pool_arn(&state, &pool_id)).await {
        return refused;
    }
    let pool = match cognate_domain::ids::UserPoolId::parse(&pool_id) {
        Ok(pool) => pool,
        Err(error) => return failure(&error.to_string()),
    };
    match state.user_pools.rotate_signing_keys(&pool).await {
        Ok(kids) => page(StatusCode::OK, "Signing keys rotated", &format!("<p class=info>New keys: <code>{}</code>. The old ones verify for a day.</p><p><a href=\"/console/pools/{}\">Back to the pool</a></p>", escape(&kids.join(", ")), escape(&pool_id)), Some((&session, &state)), None),
        Err(error) => failure(&error.to_string()),
    }
}
