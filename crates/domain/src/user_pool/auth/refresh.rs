//! Refresh: InitiateAuth's REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken and the token
//! endpoint's refresh_token grant, and the client's refresh token rotation. With rotation
//! enabled a refresh answers a new refresh token of the same sign-in (expiring when the sign-in's
//! first one does) and the submitted one stops working after the client's grace period; only
//! GetTokensFromRefreshToken and the token endpoint may refresh then.

use super::*;
use crate::store::RefreshContext;
use crate::user_pool::rotation::RefreshTokenRotation;

/// Which operation asks for a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshBy {
    /// InitiateAuth or AdminInitiateAuth with REFRESH_TOKEN_AUTH: refused when rotation is on.
    InitiateAuth,
    /// GetTokensFromRefreshToken or the token endpoint: rotate when rotation is on.
    Rotating,
}

impl UserPoolService {
    /// REFRESH_TOKEN_AUTH; `context`, when given, was read for the parameters' token.
    pub(crate) async fn refresh(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>, context: Option<RefreshContext>) -> DomainResult<AuthOutcome> {
        let token = parameter(parameters, "REFRESH_TOKEN")?;
        let device_key = parameters.get("DEVICE_KEY").map(String::as_str);
        let secret_hash = Some(parameters.get("SECRET_HASH").map(String::as_str));
        self.refresh_read(pool, client, token, context, secret_hash, device_key, RefreshBy::InitiateAuth).await
    }

    /// GetTokensFromRefreshToken: the client authenticates by its secret (when it has one).
    pub async fn get_tokens_from_refresh_token(
        &self,
        client_id: &ClientId,
        refresh_token: &str,
        client_secret: Option<&str>,
        device_key: Option<&str>,
    ) -> DomainResult<AuthenticationResult> {
        let (pool, client) = self.client_for(client_id, &Caller::Client).await?;
        match (client.sealed_secret.is_some(), client_secret) {
            (false, None) => {}
            (true, Some(given)) if self.is_client_secret(&client, given)? => {}
            (false, Some(_)) => return Err(DomainError::NotAuthorized(format!("Client {client_id} has no secret."))),
            (true, _) => return Err(DomainError::NotAuthorized(format!("Unable to verify the secret of client {client_id}."))),
        }
        match self.refresh_with(&pool, &client, refresh_token, None, device_key, RefreshBy::Rotating).await? {
            AuthOutcome::Authenticated(result) => Ok(result),
            AuthOutcome::Challenge { .. } | AuthOutcome::SelectChallenge { .. } => Err(DomainError::internal("a refresh asked for a challenge")),
        }
    }

    /// Mints new tokens from a refresh token. `secret_hash` is InitiateAuth's SECRET_HASH;
    /// None when the caller has already authenticated the client by its secret. `device_key`,
    /// when given, must be the device the sign-in was bound to.
    pub(crate) async fn refresh_with(
        &self,
        pool: &UserPool,
        client: &AppClient,
        token: &str,
        secret_hash: Option<Option<&str>>,
        device_key: Option<&str>,
        by: RefreshBy,
    ) -> DomainResult<AuthOutcome> {
        self.refresh_read(pool, client, token, None, secret_hash, device_key, by).await
    }

    /// As [`Self::refresh_with`], with the token's context already read (None: read it here).
    #[allow(clippy::too_many_arguments)]
    async fn refresh_read(
        &self,
        pool: &UserPool,
        client: &AppClient,
        token: &str,
        context: Option<RefreshContext>,
        secret_hash: Option<Option<&str>>,
        device_key: Option<&str>,
        by: RefreshBy,
    ) -> DomainResult<AuthOutcome> {
        let invalid = || DomainError::NotAuthorized("Invalid Refresh Token".into());
        let rotation = RefreshTokenRotation::of(&client.settings);
        if rotation.enabled && by == RefreshBy::InitiateAuth {
            return Err(DomainError::InvalidParameter(
                "Refresh token rotation is enabled for this client: refresh with GetTokensFromRefreshToken.".into(),
            ));
        }
        let now = self.now();
        let token_hash = sha256_hex(token);
        // The token, its user and the user's groups in one read.
        let context = match context {
            Some(context) => context,
            None => self.store.get_refresh_context(&token_hash).await?.ok_or_else(invalid)?,
        };
        let record = context.token;
        let other_device = device_key.filter(|key| !key.is_empty()).is_some_and(|key| record.device_key.as_deref() != Some(key));
        if record.client_id != client.client_id || record.pool_id != pool.id || other_device {
            return Err(invalid());
        }
        if record.revoked {
            return Err(DomainError::NotAuthorized("Refresh Token has been revoked".into()));
        }
        if record.expires_ms < now {
            return Err(DomainError::NotAuthorized("Refresh Token has expired".into()));
        }
        if record.rotated_ms.is_some_and(|rotated| rotated < now - rotation.grace_seconds * 1000) {
            return Err(reused());
        }
        let user = context.user.ok_or_else(invalid)?;
        if user.sub != record.sub {
            return Err(invalid());
        }
        if let Some(given) = secret_hash {
            self.check_secret_hash(client, &[user.username.as_str(), user.sub.as_str()], given)?;
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        let rotated = if rotation.enabled { Some(self.rotate(&record, now, rotation).await?) } else { None };
        // Tokens first issued through OAuth keep the scopes granted then.
        let grant = record.scopes.clone().map(|scopes| OAuthGrant { scopes, nonce: None, refresh: true, sign_in_id: None });
        let issue = Issue { origin_jti: Some(record.origin_jti.clone()), grant: grant.as_ref(), device_key: record.device_key.clone(), source: Some("TokenGeneration_RefreshTokens"), groups: Some(context.groups), config_version: Some(context.config_version) };
        let mut result = self.issue_tokens(pool, client, &user, record.auth_time_ms, issue).await?;
        result.refresh_token = rotated;
        Ok(AuthOutcome::Authenticated(result))
    }

    /// Replaces `record` by a new refresh token of the same sign-in; the new token.
    async fn rotate(&self, record: &RefreshTokenRecord, now: i64, rotation: RefreshTokenRotation) -> DomainResult<String> {
        let token = random_token(48);
        let replacement = RefreshTokenRecord { token_hash: sha256_hex(&token), issued_ms: now, revoked: false, rotated_ms: None, ..record.clone() };
        let rotated_after = now - rotation.grace_seconds * 1000;
        if self.store.rotate_refresh_token(&record.token_hash, rotated_after, now, &replacement).await? {
            Ok(token)
        } else {
            Err(reused())
        }
    }
}

fn reused() -> DomainError {
    DomainError::RefreshTokenReused("The refresh token was replaced by a rotation and can no longer be used.".into())
}
