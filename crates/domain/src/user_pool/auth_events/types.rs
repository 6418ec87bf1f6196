//! The records of the sign-in history: `AuthEvent` and the names Cognito gives its parts.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};
use crate::records::{Document, Record};

/// `EventType` as Cognito names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    SignIn,
    SignUp,
    ForgotPassword,
    PasswordChange,
    ResendCode,
}

/// `EventResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventResponse {
    Pass,
    Fail,
    InProgress,
}

/// The challenge families of `ChallengeResponses`: a first factor (password, SRP, passkey, a
/// one-time code as the first factor) or a second one (MFA codes, a remembered device's proof).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeKind {
    Password,
    Mfa,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResult {
    pub name: ChallengeKind,
    pub success: bool,
}

/// `FeedbackValue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedbackValue {
    Valid,
    Invalid,
}

impl FeedbackValue {
    pub fn parse(name: &str) -> DomainResult<FeedbackValue> {
        match name {
            "Valid" | "valid" => Ok(FeedbackValue::Valid),
            "Invalid" | "invalid" => Ok(FeedbackValue::Invalid),
            other => Err(DomainError::InvalidParameter(format!("{other} is not a valid FeedbackValue: use Valid or Invalid."))),
        }
    }
}

/// Feedback given on an event: by an administrator (`Admin`) or by the user with the event's
/// feedback token (`User`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub value: FeedbackValue,
    pub provider: String,
    pub date_ms: i64,
}

/// One event of a user's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthEvent {
    pub pool_id: String,
    pub sub: String,
    /// Ids sort newest first: the first twelve hex digits are the time inverted.
    pub event_id: String,
    pub kind: EventKind,
    pub created_ms: i64,
    pub response: EventResponse,
    #[serde(default)]
    pub challenges: Vec<ChallengeResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Why a failed event failed (the error's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    pub expires_ms: i64,
}

impl Document for AuthEvent {
    const KIND: &'static str = "user-auth-event";
}

impl Record for AuthEvent {
    fn scope(&self) -> String {
        crate::sealing::device_scope(&self.pool_id, &self.sub)
    }
    fn key(&self) -> String {
        self.event_id.clone()
    }
    fn expires_ms(&self) -> Option<i64> {
        Some(self.expires_ms)
    }
}
