//! The sign-in history shapes: AdminListUserAuthEvents and the feedback operations.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminListUserAuthEventsRequest {
    pub user_pool_id: String,
    pub username: String,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

/// AdminUpdateAuthEventFeedback and UpdateAuthEventFeedback (which adds the FeedbackToken).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAuthEventFeedbackRequest {
    pub user_pool_id: String,
    pub username: String,
    pub event_id: String,
    pub feedback_token: Option<String>,
    pub feedback_value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminListUserAuthEventsResponse {
    pub auth_events: Vec<AuthEventType>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthEventType {
    pub event_id: String,
    pub event_type: &'static str,
    pub creation_date: f64,
    pub event_response: &'static str,
    pub event_risk: EventRiskType,
    pub challenge_responses: Vec<ChallengeResponseType>,
    pub event_context_data: EventContextDataType,
    pub event_feedback: Option<EventFeedbackType>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventRiskType {
    pub risk_decision: &'static str,
    pub compromised_credentials_detected: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChallengeResponseType {
    pub challenge_name: &'static str,
    pub challenge_response: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventContextDataType {
    pub ip_address: Option<String>,
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventFeedbackType {
    pub feedback_value: &'static str,
    pub provider: String,
    pub feedback_date: f64,
}
