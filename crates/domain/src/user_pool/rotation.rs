//! A client's refresh token rotation (`RefreshTokenRotation`), read from the settings it was
//! created with, and the check of those settings.

use serde_json::Value;

use super::types::AppClientSettings;
use crate::error::{Constraint, DomainResult, InvalidMember};

/// A client's `RefreshTokenRotation`, read from its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefreshTokenRotation {
    pub enabled: bool,
    /// How long a rotated-out token keeps working, 0 to 60 seconds.
    pub grace_seconds: i64,
}

impl RefreshTokenRotation {
    /// The setting stored with a client (`{"Feature": "ENABLED", "RetryGracePeriodSeconds": n}`).
    pub fn of(settings: &AppClientSettings) -> RefreshTokenRotation {
        let Some(stored) = settings.opaque.get("RefreshTokenRotation") else {
            return RefreshTokenRotation::default();
        };
        RefreshTokenRotation {
            enabled: stored.get("Feature").and_then(Value::as_str) == Some("ENABLED"),
            grace_seconds: stored.get("RetryGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(0).clamp(0, 60),
        }
    }

    /// Checks a setting as CreateUserPoolClient and UpdateUserPoolClient receive it.
    pub fn check(settings: &AppClientSettings) -> DomainResult<()> {
        let Some(stored) = settings.opaque.get("RefreshTokenRotation") else {
            return Ok(());
        };
        match stored.get("Feature").and_then(Value::as_str) {
            Some("ENABLED" | "DISABLED") => {}
            Some(other) => return Err(InvalidMember::error("refreshTokenRotation.feature", other, Constraint::OneOf(vec!["ENABLED", "DISABLED"]))),
            None => return Err(InvalidMember::missing("refreshTokenRotation.feature")),
        }
        match stored.get("RetryGracePeriodSeconds") {
            None | Some(Value::Null) => Ok(()),
            Some(value) => match value.as_i64() {
                Some(seconds) if (0..=60).contains(&seconds) => Ok(()),
                _ => Err(InvalidMember::error("refreshTokenRotation.retryGracePeriodSeconds", value.to_string(), Constraint::Range { min: 0, max: 60 })),
            },
        }
    }
}
