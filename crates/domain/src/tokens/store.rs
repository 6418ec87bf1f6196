//! The tokens' storage port: per-pool signing keys, refresh-token families and the pending
//! challenge sessions of a sign-in.

use async_trait::async_trait;

use crate::store::error::StoreResult;
use crate::tokens::SigningKeyRecord;
use crate::user_pool::types::{AuthSessionRecord, Group, RefreshTokenRecord, User};

/// A refresh token read with what a refresh needs: its user (None when the user is gone) and
/// the user's groups.
#[derive(Debug, Clone)]
pub struct RefreshContext {
    pub token: RefreshTokenRecord,
    pub user: Option<User>,
    pub groups: Vec<Group>,
    /// The config version read in the same statement (see `PoolStore::config_version`).
    pub config_version: i64,
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    // Signing keys.
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// Every key of a pool, oldest first.
    async fn list_signing_keys(&self, pool_id: &str) -> StoreResult<Vec<SigningKeyRecord>>;

    // Refresh tokens and challenge sessions.
    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()>;
    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>>;
    /// A refresh token with its user, the user's first 100 groups by name and the config
    /// version, in one read.
    async fn get_refresh_context(&self, token_hash: &str) -> StoreResult<Option<RefreshContext>>;
    /// Replaces a refresh token by `new` (refresh token rotation), atomically: the old one is
    /// marked rotated at `now_ms` unless it already was, and `new` is stored. False, with nothing
    /// written, when the old token is revoked or was rotated before `rotated_after_ms` (the
    /// grace period is over).
    async fn rotate_refresh_token(&self, old_hash: &str, rotated_after_ms: i64, now_ms: i64, new: &RefreshTokenRecord) -> StoreResult<bool>;
    /// Revokes every refresh token of one sign-in (and so the access tokens minted from it).
    async fn revoke_token_family(&self, origin_jti: &str) -> StoreResult<()>;
    /// Revokes every refresh token of a user.
    async fn revoke_user_tokens(&self, pool_id: &str, username_key: &str) -> StoreResult<()>;
    /// Whether the sign-in `origin_jti` has been revoked.
    async fn is_token_family_revoked(&self, origin_jti: &str) -> StoreResult<bool>;
    async fn insert_auth_session(&self, session: &AuthSessionRecord) -> StoreResult<()>;
    /// Removes and returns a session, atomically: of two concurrent answers only one gets it.
    async fn take_auth_session(&self, session_hash: &str) -> StoreResult<Option<AuthSessionRecord>>;
}
