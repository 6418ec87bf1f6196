//! Passwordless sign-in on the hosted pages: a code by email or SMS in place of the password, a
//! passkey asked through the browser's WebAuthn call, and a passkey added by a signed-in browser.
//! The WebAuthn call is the only JavaScript the pages carry (`/passkey.js`, allowed by the
//! Content-Security-Policy of these pages alone); the options ride in the page as JSON data.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use cognate_domain::user_pool::auth::user_auth::FirstFactor;
use cognate_domain::user_pool::auth::HostedStep;

use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::forms::*;
use crate::web::hosted::render::*;
use crate::web::hosted::session::*;

const OPERATION: &str = "passkey";

/// The script of the passkey pages.
const PASSKEY_SCRIPT: &str = include_str!("passkey.js");

/// `GET /passkey.js`.
pub async fn passkey_script() -> Response {
    let mut response = (StatusCode::OK, PASSKEY_SCRIPT).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/javascript; charset=utf-8"));
    response.headers_mut().insert("cache-control", HeaderValue::from_static("public, max-age=3600"));
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

/// Lets a page run `/passkey.js` (and nothing else).
fn with_script(mut response: Response) -> Response {
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// A page that runs the WebAuthn call with `options` (`get` or `create`) and posts the answer to
/// `page` with `fields`.
fn ceremony_page(flow: Flow, page: &str, mode: &str, options: &str, fields: &str, title: &str, info: &str, error: Option<&str>) -> Response {
    let data = options.replace('<', "\\u003c");
    let script = format!("{}/passkey.js", flow.base.prefix);
    let mut content = format!("<script type=\"application/json\" id=\"webauthn-options\" data-mode=\"{mode}\">{data}</script>");
    content.push_str(&flow.form(page, &format!("{fields}<input type=\"hidden\" name=\"credential\" value=\"\">"), "Use my passkey"));
    content.push_str(&format!("<p id=\"webauthn-status\" class=\"textDescription-customizable\"></p><script src=\"{}\"></script>", escape(&script)));
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    with_script(flow.render(status, title, error, Some(info), &content, OPERATION))
}

/// The sign-in form again, with a message.
fn back_to_login(flow: Flow, username: &str, message: &str) -> Response {
    let content = login_content(&flow, username, true);
    flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(message), None, &content, OPERATION)
}

/// `POST /passwordless`: the username and the method (EMAIL_OTP, SMS_OTP or WEB_AUTHN).
pub async fn passwordless_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").trim().to_string();
    let Some(factor) = FirstFactor::from_name(form.get("method").unwrap_or("")) else {
        return back_to_login(flow, &username, "Choose how to sign in.");
    };
    if username.is_empty() {
        return back_to_login(flow, &username, "Enter your username.");
    }
    let (pool, client) = (flow.checked.pool.clone(), flow.checked.client.clone());
    match state.user_pools.hosted_first_factor(&pool, &client, &username, factor).await {
        Ok(HostedStep::SecondFactor { username, challenge, parameters, session }) => {
            crate::web::hosted::pages::mfa::second_factor_page(&state, flow, &username, challenge, &parameters, &session, None).await
        }
        Ok(HostedStep::Passkey { username, options, session }) => {
            let fields = format!("{}{}", hidden("username", &username), hidden("session", &session));
            ceremony_page(flow, "passkey", "get", &options, &fields, "Use your passkey", "Confirm with your passkey to sign in.", None)
        }
        Ok(_) => back_to_login(flow, &username, "This sign-in method is not available."),
        Err(error) => back_to_login(flow, &username, &page_message(&error)),
    }
}

/// `POST /passkey`: the browser's answer to the passkey challenge.
pub async fn passkey_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_string();
    let (session, credential) = (form.get("session").unwrap_or(""), form.get("credential").unwrap_or(""));
    let (pool, client) = (flow.checked.pool.clone(), flow.checked.client.clone());
    match state.user_pools.hosted_passkey_answer(&pool, &client, &username, credential, session).await {
        Ok(user) => flow.signed_in(&state, &user, OPERATION).await,
        Err(error) => back_to_login(flow, &username, &format!("{} Sign in again.", page_message(&error))),
    }
}

/// `GET /passkeys/add`: for a signed-in browser, the registration of a new passkey.
pub async fn add_passkey_page(State(state): State<AppState>, page: PageRequest) -> Response {
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let Some(user) = session_user(&state, &page).await else {
        return back_to_login(flow, "", "Sign in first, then add a passkey.");
    };
    match state.user_pools.start_passkey_registration(&flow.checked.pool, &user).await {
        Ok(options) => ceremony_page(flow, "passkeys/add", "create", &options.to_string(), "", "Add a passkey", "Create a passkey for this account.", None),
        Err(error) => {
            let message = page_message(&error);
            finish(error_page(&message, &flow.look.css), OPERATION)
        }
    }
}

/// `POST /passkeys/add`: the browser's new credential; then on to the app.
pub async fn add_passkey_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let Some(user) = session_user(&state, &page).await else {
        return back_to_login(flow, "", "Sign in first, then add a passkey.");
    };
    let credential: serde_json::Value = serde_json::from_str(form.get("credential").unwrap_or("")).unwrap_or_default();
    match state.user_pools.complete_passkey_registration(&flow.checked.pool, &user, &credential).await {
        Ok(()) => redirect(&format!("{}/oauth2/authorize?{}", flow.base.prefix, flow.query), flow.cookies, OPERATION),
        Err(error) => {
            let message = format!("{} Try again.", page_message(&error));
            finish(error_page(&message, &flow.look.css), OPERATION)
        }
    }
}

/// The user of the browser's hosted session, if it is signed in.
async fn session_user(state: &AppState, page: &PageRequest) -> Option<cognate_domain::user_pool::User> {
    let token = cookie_value(&page.headers, SESSION_COOKIE)?;
    state.user_pools.hosted_session_user(&page.pool_id, &token).await.ok().flatten().map(|(user, _)| user)
}
