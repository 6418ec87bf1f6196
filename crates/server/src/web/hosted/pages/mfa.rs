//! The second factor on the hosted pages: a code sent by SMS or email or shown by an
//! authenticator app, the choice between factors, and setting up an authenticator app (its
//! secret as text and as a QR code). The pages act for their client, so no SECRET_HASH is asked.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use cognate_domain::federation::percent_encode;
use cognate_domain::user_pool::auth::AuthOutcome;
use cognate_domain::user_pool::mfa::challenge::SecondStep;
use cognate_domain::user_pool::mfa::MfaFactor;
use cognate_domain::user_pool::{ChallengeName, UserPoolService};
use cognate_domain::DomainError;

use crate::state::AppState;
use crate::web::hosted::flow::*;
use crate::web::hosted::forms::*;
use crate::web::hosted::render::*;
use crate::web::hosted::session::{cookie, DEVICE_COOKIE, DEVICE_COOKIE_SECONDS};

const OPERATION: &str = "mfa";

/// The page of one challenge. MFA_SETUP starts the authenticator's set-up here, which spends
/// the session given and carries on with a new one.
pub(crate) async fn second_factor_page(
    state: &AppState,
    flow: Flow,
    username: &str,
    challenge: ChallengeName,
    parameters: &BTreeMap<String, String>,
    session: &str,
    error: Option<&str>,
) -> Response {
    let mut fields = format!("{}{}{}", hidden("username", username), hidden("challenge", challenge.as_str()), hidden("session", session));
    let has_error = error.is_some();
    let (title, info, submit) = match challenge {
        ChallengeName::SelectMfaType => {
            let choices: Vec<String> = parameters.get("MFAS_CAN_CHOOSE").and_then(|list| serde_json::from_str(list).ok()).unwrap_or_default();
            for choice in &choices {
                let label = match MfaFactor::from_name(choice) {
                    Some(MfaFactor::Sms) => "A code by text message",
                    Some(MfaFactor::Email) => "A code by email",
                    Some(MfaFactor::SoftwareToken) => "A code from my authenticator app",
                    None => continue,
                };
                fields.push_str(&format!(
                    "<label class=\"label-customizable\"><input type=\"radio\" name=\"answer\" value=\"{}\" required> {label}</label>",
                    escape(choice)
                ));
            }
            ("Choose how to verify", "Choose how to prove it is you.".to_string(), "Continue")
        }
        ChallengeName::MfaSetup => {
            let (secret, next) = match state.user_pools.associate_software_token(None, Some(session)).await {
                Ok((secret, Some(next))) => (secret, next),
                Ok(_) => return finish(error_page("The authenticator could not be set up.", &flow.look.css), OPERATION),
                Err(error) => return sign_in_again(flow, username, &error),
            };
            return setup_page(flow, username, &secret, &next, error);
        }
        ChallengeName::SoftwareTokenMfa => {
            fields.push_str(&field("code", "Code from your authenticator app", "text", "one-time-code", "", true, has_error));
            ("Enter your code", "Open your authenticator app and enter the code it shows.".to_string(), "Sign in")
        }
        _ => {
            let destination = parameters.get("CODE_DELIVERY_DESTINATION").cloned().unwrap_or_default();
            fields.push_str(&hidden("destination", &destination));
            fields.push_str(&field("code", "Code", "text", "one-time-code", "", true, has_error));
            ("Enter your code", format!("We sent a code to {destination}."), "Sign in")
        }
    };
    if challenge != ChallengeName::SelectMfaType && UserPoolService::browser_remembering(&flow.checked.pool) == Some(true) {
        fields.push_str("<label class=\"label-customizable\"><input type=\"checkbox\" name=\"remember\" value=\"on\"> Remember this device</label>");
    }
    let content = flow.form("mfa", &fields, submit);
    let status = if has_error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    flow.render(status, title, error, Some(&info), &content, OPERATION)
}

/// Setting up an authenticator app: the secret as a QR code of its `otpauth://` URI and as text,
/// and the field for the code it then shows.
fn setup_page(flow: Flow, username: &str, secret: &str, session: &str, error: Option<&str>) -> Response {
    let issuer = flow.checked.pool.settings.name.clone();
    let uri = format!("otpauth://totp/{}:{}?secret={secret}&issuer={}", percent_encode(&issuer), percent_encode(username), percent_encode(&issuer));
    let mut fields = format!(
        "{}{}{}{}",
        hidden("username", username),
        hidden("challenge", ChallengeName::MfaSetup.as_str()),
        hidden("session", session),
        hidden("secret", secret)
    );
    fields.push_str(&format!(
        "<div class=\"totp-setup\"><div class=\"qr\">{}</div><p>Or enter this key: <code id=\"totp-secret\">{}</code></p></div>",
        crate::qr::svg(&uri),
        escape(secret)
    ));
    fields.push_str(&field("code", "Code from the app", "text", "one-time-code", "", true, error.is_some()));
    let content = flow.form("mfa", &fields, "Verify");
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let info = "Scan the code with an authenticator app, then enter the code it shows.";
    flow.render(status, "Set up your authenticator app", error, Some(info), &content, OPERATION)
}

/// Back to the sign-in form, when the session can no longer be answered.
fn sign_in_again(flow: Flow, username: &str, error: &DomainError) -> Response {
    let message = format!("{} Sign in again.", page_message(error));
    let content = login_content(&flow, username, true);
    flow.render(StatusCode::BAD_REQUEST, "Sign in", Some(&message), None, &content, OPERATION)
}

/// `POST /mfa`: answers the page's challenge.
pub async fn mfa_submit(State(state): State<AppState>, page: PageRequest, body: Bytes) -> Response {
    let (form, flow) = match page.submitted(&state, &body, OPERATION).await {
        Ok(submitted) => submitted,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_string();
    let mut session = form.get("session").unwrap_or("").to_string();
    let Ok(challenge) = ChallengeName::parse(form.get("challenge").unwrap_or("")) else {
        return finish(error_page("The sign-in step is not known.", &flow.look.css), OPERATION);
    };
    let code = form.get("code").unwrap_or("").trim().to_string();
    let mut responses = BTreeMap::from([("USERNAME".to_string(), username.clone())]);
    match challenge {
        ChallengeName::SmsMfa => responses.insert("SMS_MFA_CODE".into(), code.clone()),
        ChallengeName::EmailOtp => responses.insert("EMAIL_OTP_CODE".into(), code.clone()),
        ChallengeName::SoftwareTokenMfa => responses.insert("SOFTWARE_TOKEN_MFA_CODE".into(), code.clone()),
        ChallengeName::SelectMfaType => responses.insert("ANSWER".into(), form.get("answer").unwrap_or("").to_string()),
        _ => None,
    };
    let (pool, client) = (flow.checked.pool.clone(), flow.checked.client.clone());
    if challenge == ChallengeName::MfaSetup {
        match state.user_pools.verify_software_token(None, Some(&session), &code, None).await {
            Ok(verified) => session = verified.session.unwrap_or_default(),
            Err(DomainError::EnableSoftwareTokenMfa(_)) => {
                // The set-up's session takes more answers: the same secret, asked again.
                let secret = form.get("secret").unwrap_or("").to_string();
                return setup_page(flow, &username, &secret, &session, Some("The code does not match. Try again."));
            }
            Err(error) => return sign_in_again(flow, &username, &error),
        }
    }
    match state.user_pools.answer_second_factor(&pool, &client, challenge, &responses, Some(&session), None).await {
        Ok(SecondStep::Passed { user, .. }) => {
            let mut flow = flow;
            // Remembered without asking, or when the user ticked the box.
            let remember = match UserPoolService::browser_remembering(&flow.checked.pool) {
                Some(asks) => !asks || form.get("remember") == Some("on"),
                None => false,
            };
            if remember {
                let name = page.headers.get("user-agent").and_then(|value| value.to_str().ok()).unwrap_or("Browser");
                let name: String = name.chars().take(100).collect();
                match state.user_pools.remember_browser(&pool, &user, &name, None).await {
                    Ok(Some(value)) => {
                        let path = if flow.base.prefix.is_empty() { "/".to_string() } else { flow.base.prefix.clone() };
                        flow.cookies.push(cookie(&state, DEVICE_COOKIE, &value, &path, Some(DEVICE_COOKIE_SECONDS)));
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "remembering a browser after its second factor"),
                }
            }
            flow.signed_in(&state, &user, OPERATION).await
        }
        Ok(SecondStep::Challenge(AuthOutcome::Challenge { name, parameters, session: Some(next) })) => {
            second_factor_page(&state, flow, &username, name, &parameters, &next, None).await
        }
        Ok(SecondStep::Challenge(_)) => finish(error_page("The sign-in step is not known.", &flow.look.css), OPERATION),
        Err(DomainError::CodeMismatch(_)) => {
            let parameters = BTreeMap::from([("CODE_DELIVERY_DESTINATION".to_string(), form.get("destination").unwrap_or("").to_string())]);
            second_factor_page(&state, flow, &username, challenge, &parameters, &session, Some("The code does not match. Try again.")).await
        }
        Err(error) => sign_in_again(flow, &username, &error),
    }
}
