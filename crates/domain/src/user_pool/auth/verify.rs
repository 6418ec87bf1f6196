//! Verification of this server's tokens: access tokens (strictly, with scopes and revocation)
//! and ID tokens presented as logins to identity pools.

use super::*;

impl UserPoolService {
    /// Verifies an access token strictly (RS256 with one of the issuing pool's access keys,
    /// issuer, expiry, `token_use`, scope, revocation) and loads its user.
    pub async fn authenticate_access_token(&self, token: &str) -> DomainResult<AccessTokenHolder> {
        self.verify_access_token(token, &[ADMIN_SCOPE]).await
    }

    /// Verifies an access token as [`Self::authenticate_access_token`] does, requiring one of
    /// `scopes` (userInfo takes `openid` as well as the admin scope).
    pub async fn verify_access_token(&self, token: &str, scopes: &[&str]) -> DomainResult<AccessTokenHolder> {
        let invalid = || DomainError::NotAuthorized("Invalid Access Token".into());
        let unverified = tokens::peek_claims(token).map_err(|_| invalid())?;
        let issuer = unverified.get("iss").and_then(Value::as_str).ok_or_else(invalid)?;
        let pool_id = issuer.strip_prefix(&format!("{}/", self.issuer_base)).ok_or_else(invalid)?;
        if crate::ids::check_user_pool_id(pool_id).is_err() {
            return Err(invalid());
        }
        let pool = match self.load_pool(pool_id).await {
            Ok(pool) => pool,
            Err(DomainError::NotFound(_)) => return Err(invalid()),
            Err(other) => return Err(other),
        };
        let keys = self.pool_keys(pool_id).await?;
        let access_keys: Vec<PublicJwk> = live_keys(&keys.records, Some(KeyPurpose::AccessToken), self.now()).map(SigningKeyRecord::public_jwk).collect();
        let claims = tokens::verify_jwt(token, &access_keys).map_err(|_| invalid())?;
        if claims.get("token_use").and_then(Value::as_str) != Some("access") || claims.get("iss") != unverified.get("iss") {
            return Err(invalid());
        }
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(invalid)?;
        if expires * 1000 <= self.now() {
            return Err(DomainError::NotAuthorized("Access Token has expired".into()));
        }
        let origin_jti = claims.get("origin_jti").and_then(Value::as_str).ok_or_else(invalid)?;
        if self.store.is_token_family_revoked(origin_jti).await? {
            return Err(DomainError::NotAuthorized("Access Token has been revoked".into()));
        }
        // The token's client must still be a client of the pool (a deleted client's tokens
        // stop working).
        let client_id = claims.get("client_id").and_then(Value::as_str).ok_or_else(invalid)?;
        if self.store.get_app_client(pool_id, client_id).await?.is_none() {
            return Err(invalid());
        }
        let has_scope = claims
            .get("scope")
            .and_then(Value::as_str)
            .is_some_and(|scope| scope.split(' ').any(|granted| scopes.contains(&granted)));
        if !has_scope {
            return Err(DomainError::NotAuthorized("Access Token does not have required scopes".into()));
        }
        let username = claims.get("username").and_then(Value::as_str).ok_or_else(invalid)?;
        let user = self
            .store
            .get_user(pool_id, &pool.username_key(username))
            .await
            ?
            .ok_or_else(|| DomainError::UserNotFound("User does not exist.".into()))?;
        if Some(user.sub.as_str()) != claims.get("sub").and_then(Value::as_str) {
            return Err(DomainError::UserNotFound("User does not exist.".into()));
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        Ok(AccessTokenHolder { pool, user, claims })
    }

    /// The issuer base of this server's user pools: a token's `iss` is `<base>/<pool id>`.
    pub fn issuer_base(&self) -> &str {
        &self.issuer_base
    }

    /// Verifies an ID token of pool `pool_id` as an identity pool does for a login: RS256 with
    /// one of the pool's ID-token keys, `iss`, `token_use` = id, `exp`, and, with
    /// `check_revocation` (ServerSideTokenCheck), that its sign-in was not signed out. Messages
    /// are Cognito Identity's. `version` is the config version the caller read for this request:
    /// the pool and its keys are taken as of it.
    pub async fn verify_id_token_for_login(&self, pool_id: &UserPoolId, token: &str, check_revocation: bool, version: i64) -> DomainResult<Value> {
        let invalid = |reason: &str| DomainError::NotAuthorized(format!("Invalid login token. {reason}"));
        let unverified = tokens::peek_claims(token).map_err(|_| invalid("Not a valid OpenId Connect identity token."))?;
        if unverified.get("iss").and_then(Value::as_str) != Some(self.issuer(pool_id).as_str()) {
            return Err(invalid("Issuer doesn't match providerName"));
        }
        if unverified.get("aud").is_none() {
            return Err(invalid("Missing a required claim: aud"));
        }
        // The pool and its keys as of the config version the caller read for this request.
        if !self.pool_exists_at(pool_id, version).await? {
            return Err(invalid("Couldn't verify signed token."));
        }
        let keys = self.pool_keys_at(pool_id, version).await?;
        let id_keys: Vec<PublicJwk> = live_keys(&keys.records, Some(KeyPurpose::IdToken), self.now()).map(SigningKeyRecord::public_jwk).collect();
        let claims = tokens::verify_jwt(token, &id_keys).map_err(|_| invalid("Couldn't verify signed token."))?;
        if claims.get("token_use").and_then(Value::as_str) != Some("id") {
            return Err(invalid("Not an ID token."));
        }
        let expires = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("Missing a required claim: exp"))?;
        let now = self.now().div_euclid(1000);
        if now >= expires {
            return Err(DomainError::NotAuthorized(format!("Invalid login token. Token expired: {now} >= {expires}")));
        }
        if check_revocation {
            let origin_jti = claims.get("origin_jti").and_then(Value::as_str).ok_or_else(|| invalid("Token has been revoked."))?;
            if self.store.is_token_family_revoked(origin_jti).await? {
                return Err(invalid("Token has been revoked."));
            }
        }
        Ok(claims)
    }
}
