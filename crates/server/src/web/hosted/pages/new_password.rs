//! The new-password page that answers NEW_PASSWORD_REQUIRED, with the attributes the pool
//! requires.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use cognate_domain::user_pool::auth::HostedStep;
use cognate_domain::DomainError;

use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::forms::*;
use crate::web::hosted::render::{error_page, finish};
use crate::web::hosted::session::{cookie_value, DEVICE_COOKIE};





/// `POST /newPassword`: answers NEW_PASSWORD_REQUIRED from the sign-in page.
pub async fn new_password_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "newPassword";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("");
    let required: Vec<String> = flow
        .checked
        .pool
        .shape
        .schema
        .iter()
        .filter(|attribute| attribute.required && attribute.name != "sub")
        .map(|attribute| attribute.name.clone())
        .collect();
    let changes = attributes_from(&form, &required);
    let outcome = state
        .user_pools
        .complete_new_password(&flow.checked.pool, &flow.checked.client, form.get("session"), username, form.get("password").unwrap_or(""), &changes, None)
        .await;
    let outcome = match outcome {
        Ok(user) => state.user_pools.hosted_second_step(&flow.checked.pool, &flow.checked.client, user, cookie_value(&page.headers, DEVICE_COOKIE).as_deref()).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(HostedStep::SecondFactor { username, challenge, parameters, session }) => {
            crate::web::hosted::pages::mfa::second_factor_page(&state, flow, &username, challenge, &parameters, &session, None).await
        }
        Ok(HostedStep::SignedIn(user)) => flow.signed_in(&state, &user, OPERATION).await,
        Ok(_) => finish(error_page("The sign-in step is not known.", &flow.look.css), OPERATION),
        Err(DomainError::NotAuthorized(message)) => {
            let content = login_content(&flow, username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&format!("{message} Sign in again.")), None, &content, OPERATION)
        }
        Err(error) => {
            // The session was spent by the attempt: sign in again to get a new one.
            let message = page_message(&error);
            let content = login_content(&flow, username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&format!("{message} Sign in again with your temporary password.")), None, &content, OPERATION)
        }
    }
}
