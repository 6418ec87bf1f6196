//! The code pages: confirming a sign-up, and the forgotten password (asking for a code, then
//! setting the new password with it).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use cognate_domain::federation::percent_encode;
use cognate_domain::DomainError;

use cognate_domain::user_pool::auth::ClientProof;

use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::render::*;
use crate::web::hosted::forms::*;


/// `GET /confirm` and `GET /confirmForgotPassword`.
pub async fn code_page(State(state): State<AppState>, page: PageRequest) -> Response {
    let reset = page.uri.path().ends_with("/confirmForgotPassword");
    let operation = if reset { "confirmForgotPassword" } else { "confirm" };
    let flow = match page.flow(&state, operation).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let query = query_of(&page.uri);
    let username = query.get("username").unwrap_or("").to_string();
    let (title, info) = if reset {
        ("Reset your password", "We sent a code to reset your password. Enter it and choose a new password.")
    } else {
        ("Confirm your account", "We sent a code to you. Enter it to confirm your account.")
    };
    let content = code_content(&flow, operation, &username, reset, false);
    flow.render(StatusCode::OK, title, None, Some(info), &content, operation)
}

/// `POST /confirm` and `POST /confirmForgotPassword`.
pub async fn code_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    let reset = page.uri.path().ends_with("/confirmForgotPassword");
    let operation = if reset { "confirmForgotPassword" } else { "confirm" };
    let (form, flow) = match page.submitted(&state, &body, operation).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_string();
    let client_id = flow.checked.client.client_id.clone();
    let title = if reset { "Reset your password" } else { "Confirm your account" };
    if !reset && form.get("resend").is_some() {
        let outcome = state.user_pools.resend_confirmation_code(&client_id, &username, ClientProof::HostedPages).await;
        let content = code_content(&flow, operation, &username, false, false);
        return match outcome {
            Ok(_) => flow.render(StatusCode::OK, title, None, Some("We sent a new code."), &content, operation),
            Err(error) => {
                let message = page_message(&error);
                flow.render(StatusCode::BAD_REQUEST, title, Some(&message), None, &content, operation)
            }
        };
    }
    let code = form.get("code").unwrap_or("").trim();
    let outcome = if reset {
        state.user_pools.confirm_forgot_password(&client_id, &username, code, form.get("password").unwrap_or(""), ClientProof::HostedPages).await
    } else {
        state.user_pools.confirm_sign_up(&client_id, &username, code, ClientProof::HostedPages, false, None).await.map(|_| ())
    };
    match outcome {
        Ok(()) => {
            let notice = if reset { "reset" } else { "confirmed" };
            let location = format!("{}&notice={notice}&username={}", flow.action("login"), percent_encode(&username));
            redirect(&location, flow.cookies, operation)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = code_content(&flow, operation, &username, reset, true);
            flow.render(StatusCode::BAD_REQUEST, title, Some(&message), None, &content, operation)
        }
    }
}

/// `GET /forgotPassword`.
pub async fn forgot_page(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "forgotPassword";
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let content = flow.form("forgotPassword", &field("username", "Username", "text", "username", "", true, false), "Send a reset code");
    flow.render(StatusCode::OK, "Forgot your password?", None, Some("Enter your username and we will send you a code to reset your password."), &content, OPERATION)
}

/// `POST /forgotPassword`.
pub async fn forgot_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "forgotPassword";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").trim().to_string();
    let client_id = flow.checked.client.client_id.clone();
    match state.user_pools.forgot_password(&client_id, &username, ClientProof::HostedPages).await {
        // An unknown user is not told apart: the page moves on either way.
        Ok(_) | Err(DomainError::UserNotFound(_)) => {
            let location = format!("{}&username={}", flow.action("confirmForgotPassword"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = flow.form("forgotPassword", &field("username", "Username", "text", "username", &username, true, true), "Send a reset code");
            flow.render(StatusCode::BAD_REQUEST, "Forgot your password?", Some(&message), None, &content, OPERATION)
        }
    }
}
