//! `/oauth2/authorize` and the sign-in page: a signed-in browser goes straight back to the app;
//! otherwise the form, whose answer the domain turns into the next step.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use cognate_domain::user_pool::auth::HostedStep;
use cognate_domain::federation::percent_encode;
use cognate_domain::user_pool::hosted::AuthorizeError;

use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::render::*;
use crate::web::hosted::forms::*;
use crate::web::hosted::session::*;

/// `GET /oauth2/authorize`.
pub async fn authorize(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "oauth2/authorize";
    let (pool_id, base, uri, headers) = (&page.pool_id, &page.base, &page.uri, &page.headers);
    let request = authorize_request(&query_of(&uri));
    let checked = match state.user_pools.check_authorize(&pool_id, &request).await {
        Ok(checked) => checked,
        Err(error) => return refused(error, &request, OPERATION),
    };
    if let Some(provider) = &checked.upstream {
        let pages = format!("{}{}", base.origin, base.prefix);
        return match state.user_pools.start_upstream(&checked, provider, &pages).await {
            Ok(location) => redirect(&location, vec![], OPERATION),
            Err(error) => finish(error_page(&page_message(&error), ""), OPERATION),
        };
    }
    let ask_again = request.prompt.as_deref().is_some_and(|prompt| prompt.split(' ').any(|part| part == "login"));
    if !ask_again {
        if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
            match state.user_pools.hosted_session_user(&pool_id, &token).await {
                Ok(Some((user, auth_time))) => {
                    return match state.user_pools.complete_authorize(&checked, &user, auth_time).await {
                        Ok(target) => redirect(&target.0, vec![], OPERATION),
                        Err(error) => finish(error_page(&page_message(&error), ""), OPERATION),
                    };
                }
                Ok(None) => {}
                Err(error) => return finish(error_page(&page_message(&error), ""), OPERATION),
            }
        }
    }
    if request.prompt.as_deref() == Some("none") {
        return refused(AuthorizeError::Redirect { error: "login_required", description: "The user is not signed in.".into() }, &request, OPERATION);
    }
    redirect(&format!("{}/login?{}", base.prefix, auth_query(&request)), vec![], OPERATION)
}


/// `GET /login`.
pub async fn login_page(State(state): State<AppState>, page: PageRequest) -> Response {
    const OPERATION: &str = "login";
    let flow = match page.flow(&state, OPERATION).await {
        Ok(flow) => flow,
        Err(response) => return response,
    };
    let query = query_of(&page.uri);
    let info = match query.get("notice") {
        Some("confirmed") => Some("Your account is confirmed. Sign in."),
        Some("reset") => Some("Your password has been changed. Sign in."),
        Some("signed_out") => Some("You have signed out."),
        _ => None,
    };
    let content = login_content(&flow, query.get("username").unwrap_or(""), false);
    flow.render(StatusCode::OK, "Sign in", None, info, &content, OPERATION)
}

/// `POST /login`.
pub async fn login_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    const OPERATION: &str = "login";
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    if let Some(email) = form.get("corporate_email") {
        // Routed by the email's domain to the client's provider with that IdpIdentifier.
        let domain = email.rsplit('@').next().unwrap_or("").trim().to_ascii_lowercase();
        let provider = state.user_pools.provider_by_identifier(&page.pool_id, &domain).await.ok().flatten();
        return match provider.filter(|name| flow.checked.external_providers.contains(name)) {
            Some(name) => redirect(&format!("{}/oauth2/authorize?{}&identity_provider={}", flow.base.prefix, flow.query, percent_encode(&name)), flow.cookies, OPERATION),
            None => {
                let content = login_content(&flow, "", false);
                flow.render(StatusCode::BAD_REQUEST, "Sign in", Some("No sign-in is set up for that email's domain."), None, &content, OPERATION)
            }
        };
    }
    if !flow.checked.cognito_allowed {
        return finish(error_page("This app does not sign in users of the pool directly.", &flow.look.css), OPERATION);
    }
    let username = form.get("username").unwrap_or("").trim().to_string();
    let password = form.get("password").unwrap_or("");
    if username.is_empty() || password.is_empty() {
        let content = login_content(&flow, &username, true);
        return flow.render(StatusCode::BAD_REQUEST, "Sign in", Some("Enter your username and password."), None, &content, OPERATION);
    }
    let device_cookie = cookie_value(&page.headers, DEVICE_COOKIE);
    let outcome = state.user_pools.hosted_password_sign_in(&flow.checked.pool, &flow.checked.client, &username, password, device_cookie.as_deref()).await;
    match outcome {
        Ok(HostedStep::SignedIn(user)) => flow.signed_in(&state, &user, OPERATION).await,
        Ok(HostedStep::NewPasswordRequired { username, session, required }) => {
            let content = new_password_content(&flow, &username, &session, &required, false);
            flow.render(StatusCode::OK, "Change your password", None, Some("Choose a new password to continue."), &content, OPERATION)
        }
        Ok(HostedStep::SecondFactor { username, challenge, parameters, session }) => {
            crate::web::hosted::pages::mfa::second_factor_page(&state, flow, &username, challenge, &parameters, &session, None).await
        }
        Ok(HostedStep::Passkey { .. }) => {
            let content = login_content(&flow, &username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some("Sign in with your passkey."), None, &content, OPERATION)
        }
        Ok(HostedStep::ConfirmationCodeSent) => {
            let location = format!("{}&username={}", flow.action("confirm"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Ok(HostedStep::ResetCodeSent) => {
            let location = format!("{}&username={}", flow.action("confirmForgotPassword"), percent_encode(&username));
            redirect(&location, flow.cookies, OPERATION)
        }
        Err(error) => {
            let message = page_message(&error);
            let content = login_content(&flow, &username, true);
            flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&message), None, &content, OPERATION)
        }
    }
}

