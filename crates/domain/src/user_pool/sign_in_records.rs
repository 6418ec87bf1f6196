//! What a sign-in leaves in the store: the record of each refresh token (its hash, its sign-in
//! family, revocation) and the sessions of challenges waiting for an answer.

use serde::{Deserialize, Serialize};
use super::settings_enums::ChallengeName;

/// A refresh token as stored: only its SHA-256 is kept, so a database leak yields no usable
/// token. Every token minted from one sign-in shares its `origin_jti`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub username_key: String,
    pub sub: String,
    pub origin_jti: String,
    pub auth_time_ms: i64,
    pub issued_ms: i64,
    pub expires_ms: i64,
    pub revoked: bool,
    /// When a rotation replaced the token (refresh token rotation); the store keeps it in its
    /// own column and fills it in on reads.
    #[serde(default, skip)]
    pub rotated_ms: Option<i64>,
    /// The scopes of a sign-in through OAuth (the hosted pages), which its refreshes keep;
    /// None for sign-ins through the API (the admin scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The remembered or new device the sign-in was bound to: its refreshes keep it, and a
    /// refresh that names another device is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
}

/// A sign-in waiting for the answer to a challenge. Only the SHA-256 of the session string is
/// stored; a session is taken (deleted) when answered, so it works once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSessionRecord {
    pub session_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub username_key: String,
    pub challenge_name: ChallengeName,
    pub expires_ms: i64,
}
