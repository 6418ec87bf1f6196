//! The sign-up page: the pool's required attributes, then the confirmation code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use cognate_domain::federation::percent_encode;

use cognate_domain::user_pool::auth::ClientProof;

use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::render::*;
use crate::web::hosted::forms::*;



/// `GET /signup`.
pub async fn signup_page(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "signup";
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let content = signup_content(&flow, None, false);
    flow.render(StatusCode::OK, "Sign up", None, None, &content, OPERATION)
}

/// `POST /signup`.
pub async fn signup_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "signup";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").trim().to_string();
    let attributes = attributes_from(&form, &signup_attributes(&flow));
    let client_id = flow.checked.client.client_id.clone();
    let outcome = state.user_pools.sign_up(&client_id, &username, Some(form.get("password").unwrap_or("")), &attributes, ClientProof::HostedPages, &Default::default()).await;
    match outcome {
        Ok(outcome) if outcome.user_confirmed => {
            let location = format!("{}&notice=confirmed&username={}", flow.action("login"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Ok(_) => {
            let location = format!("{}&username={}", flow.action("confirm"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = signup_content(&flow, Some(&form), true);
            flow.render(StatusCode::BAD_REQUEST, "Sign up", Some(&message), None, &content, OPERATION)
        }
    }
}
