//! AdminListUserAuthEvents, AdminUpdateAuthEventFeedback and UpdateAuthEventFeedback: a
//! user's sign-in history and the feedback on its events. The Admin operations are signed; the
//! user's feedback is proved by the event's feedback token.

use serde_json::Value;

use cognate_domain::error::{Constraint, InvalidMember};
use cognate_domain::user_pool::auth_events::{AuthEvent, ChallengeKind, EventKind, EventResponse, FeedbackValue};

use super::{empty, missing_member, pool_id};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::state::AppState;

pub async fn admin_list_user_auth_events(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AdminListUserAuthEventsRequest = parse_input(raw)?;
    let page = state
        .user_pools
        .admin_list_user_auth_events(&pool_id(&input.user_pool_id)?, &input.username, input.max_results, input.next_token.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&AdminListUserAuthEventsResponse { auth_events: page.items.into_iter().map(event_output).collect(), next_token: page.next_token })
}

/// AdminUpdateAuthEventFeedback (`admin`) and UpdateAuthEventFeedback.
pub async fn update_auth_event_feedback(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: UpdateAuthEventFeedbackRequest = parse_input(raw)?;
    check_event_id(&input.event_id)?;
    let value = FeedbackValue::parse(&input.feedback_value).map_err(|_| {
        error_from_domain(InvalidMember::error("feedbackValue", input.feedback_value.clone(), Constraint::OneOf(vec!["Valid", "Invalid"])))
    })?;
    let pool = pool_id(&input.user_pool_id)?;
    let done = if admin {
        state.user_pools.admin_update_auth_event_feedback(&pool, &input.username, &input.event_id, value).await
    } else {
        let token = input.feedback_token.as_deref().ok_or_else(|| missing_member("feedbackToken"))?;
        state.user_pools.update_auth_event_feedback(&pool, &input.username, &input.event_id, token, value).await
    };
    done.map_err(error_from_domain)?;
    Ok(empty())
}

/// `EventIdType`: 1 to 50 of `[\w+-]`.
fn check_event_id(event_id: &str) -> Result<(), ApiError> {
    let fits = !event_id.is_empty() && event_id.len() <= 50 && event_id.chars().all(|c| c.is_alphanumeric() || "_+-".contains(c));
    if fits {
        return Ok(());
    }
    let constraint = Constraint::PatternAndLength { pattern: "[\\w+-]+", min: 1, max: 50 };
    Err(error_from_domain(InvalidMember::error("eventId", event_id.to_string(), constraint)))
}

fn event_output(event: AuthEvent) -> AuthEventType {
    AuthEventType {
        event_type: match event.kind {
            EventKind::SignIn => "SignIn",
            EventKind::SignUp => "SignUp",
            EventKind::ForgotPassword => "ForgotPassword",
            EventKind::PasswordChange => "PasswordChange",
            EventKind::ResendCode => "ResendCode",
        },
        creation_date: timestamp(event.created_ms),
        event_response: match event.response {
            EventResponse::Pass => "Pass",
            EventResponse::Fail => "Fail",
            EventResponse::InProgress => "InProgress",
        },
        // No risk is scored: every event is NoRisk.
        event_risk: EventRiskType { risk_decision: "NoRisk", compromised_credentials_detected: false },
        challenge_responses: event
            .challenges
            .iter()
            .map(|challenge| ChallengeResponseType {
                challenge_name: match challenge.name {
                    ChallengeKind::Password => "Password",
                    ChallengeKind::Mfa => "Mfa",
                },
                challenge_response: if challenge.success { "Success" } else { "Failure" },
            })
            .collect(),
        event_context_data: EventContextDataType { ip_address: event.ip, device_name: event.user_agent.as_deref().map(device_name) },
        event_feedback: event.feedback.map(|feedback| EventFeedbackType {
            feedback_value: match feedback.value {
                FeedbackValue::Valid => "Valid",
                FeedbackValue::Invalid => "Invalid",
            },
            provider: feedback.provider,
            feedback_date: timestamp(feedback.date_ms),
        }),
        event_id: event.event_id,
    }
}

/// A short name for the device a user agent describes: the browser and its major version with
/// the system (`Firefox 133, Linux`), or else the agent's first product (`Boto3/1.35.0`).
pub fn device_name(user_agent: &str) -> String {
    const BROWSERS: [(&str, &str); 5] = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Version/", "Safari")];
    const SYSTEMS: [(&str, &str); 6] = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")];
    let browser = BROWSERS.iter().find_map(|(marker, name)| {
        let at = user_agent.find(marker)? + marker.len();
        let major: String = user_agent[at..].chars().take_while(char::is_ascii_digit).collect();
        Some(format!("{name} {major}"))
    });
    let system = SYSTEMS.iter().find(|(marker, _)| user_agent.contains(marker)).map(|(_, name)| *name);
    let name = match (browser, system) {
        (Some(browser), Some(system)) if user_agent.starts_with("Mozilla/") => format!("{browser}, {system}"),
        (Some(browser), None) if user_agent.starts_with("Mozilla/") => browser,
        _ => user_agent.split_whitespace().next().unwrap_or(user_agent).to_string(),
    };
    name.chars().take(128).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_their_user_agents() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device_name(firefox), "Firefox 133, Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device_name(chrome), "Chrome 131, Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_name(safari), "Safari 17, iOS");
        assert_eq!(device_name("Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux"), "Boto3/1.35.0");
    }

    #[test]
    fn event_ids_are_checked_against_the_model() {
        assert!(check_event_id("0123abcd-ef01-2345-6789-abcdef012345").is_ok());
        assert!(check_event_id("").is_err());
        assert!(check_event_id("a/b").is_err());
        assert!(check_event_id(&"a".repeat(51)).is_err());
    }
}
