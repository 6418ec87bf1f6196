//! The authorization_code grant (single-use codes bound to client, redirect URI and PKCE
//! challenge; a replayed code revokes what it minted), the logout check, and the hosted
//! client lookup.

use super::*;

impl UserPoolService {
    /// The authorization_code grant: the code is single-use (spent even when the exchange then
    /// fails), bound to its client and redirect URI, and to the PKCE challenge if one was given.
    pub async fn authorization_code_grant(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        client_secret: Option<&str>,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Result<CodeTokens, OAuthError> {
        let (_, client) = self.token_client(pool_id, client_id, client_secret).await?;
        let bad = |message: &str| OAuthError::InvalidGrant(message.to_string());
        let key = sha256_hex(code);
        let Some(record) = self.store.get_record_of::<CodeRecord>(pool_id, &key, self.now()).await? else {
            return Err(self.refuse_replayed_code(pool_id, &key).await?);
        };
        let refusal = if record.client_id != client.client_id {
            Some("The code was issued to another client.")
        } else if redirect_uri != Some(record.redirect_uri.as_str()) {
            Some("redirect_uri differs from the one of the authorization request.")
        } else {
            match (&record.code_challenge, code_verifier) {
                (Some(challenge), Some(verifier)) => {
                    let matches = check_verifier(verifier) && constant_time_eq(pkce_challenge(verifier).as_bytes(), challenge.as_bytes());
                    (!matches).then_some("The code_verifier does not match the code_challenge.")
                }
                (Some(_), None) => Some("code_verifier is required."),
                (None, Some(_)) => Some("The authorization request had no code_challenge."),
                (None, None) => None,
            }
        };
        // The code is spent whatever the outcome, and remembers the sign-in it leads to.
        let now = self.now();
        let sign_in_id = crate::ids::new_uuid();
        let spend = [
            RecordWrite::Insert {
                kind: AUTH_CODE_USED,
                scope: pool_id.to_string(),
                key: key.clone(),
                data: sign_in_id.clone(),
                expires_ms: Some(now + 2 * CODE_VALIDITY_MS),
            },
            CodeRecord::delete_at(pool_id, &key),
        ];
        match self.store.write_records(&spend).await {
            Ok(()) => {}
            Err(StoreError::Conflict(ConflictOn::Key)) => return Err(self.refuse_replayed_code(pool_id, &key).await?),
            Err(other) => return Err(DomainError::from(other).into()),
        }
        if let Some(message) = refusal {
            return Err(bad(message));
        }
        let grant = OAuthGrant { scopes: record.scopes, nonce: record.nonce, refresh: true, sign_in_id: Some(sign_in_id) };
        let pool = self.load_pool(pool_id).await?;
        let user = self
            .store
            .get_user(pool_id, &record.username_key)
            .await
            ?
            .filter(|user| user.sub == record.sub && user.enabled)
            .ok_or_else(|| bad("The user of the code no longer exists or is disabled."))?;
        let tokens = self.issue_tokens(&pool, &client, &user, record.auth_time_ms, Issue { grant: Some(&grant), source: Some("TokenGeneration_HostedAuth"), ..Issue::default() }).await?;
        Ok(CodeTokens {
            access_token: tokens.access_token,
            id_token: Some(tokens.id_token).filter(|token| !token.is_empty()),
            refresh_token: tokens.refresh_token,
            expires_in: tokens.expires_in,
        })
    }

    /// The answer to a code that is not (or no longer) there. A code spent already is a replay:
    /// as RFC 6749 §4.1.2 advises, the tokens issued for it are revoked.
    pub(crate) async fn refuse_replayed_code(&self, pool_id: &str, key: &str) -> DomainResult<OAuthError> {
        let spent = self.store.get_record(AUTH_CODE_USED, pool_id, key, self.now()).await?;
        match spent.filter(|sign_in_id| !sign_in_id.is_empty()) {
            Some(sign_in_id) => {
                self.store.revoke_token_family(&sign_in_id).await?;
                tracing::warn!(pool_id, "an authorization code was replayed; the tokens issued for it are revoked");
                Ok(OAuthError::InvalidGrant("The code has already been used.".into()))
            }
            None => Ok(OAuthError::InvalidGrant("The code is invalid or expired.".into())),
        }
    }

    /// The logout endpoint's check: `logout_uri` must be one of the client's LogoutURLs.
    pub async fn check_logout(&self, pool_id: &UserPoolId, client_id: &str, logout_uri: &str) -> DomainResult<()> {
        let client = self.load_client(pool_id, client_id).await?;
        let allowed = client.settings.oauth.logout_urls.unwrap_or_default();
        if allowed.iter().any(|url| url == logout_uri) {
            Ok(())
        } else {
            Err(invalid("The logout_uri is not one of the client's sign-out URLs."))
        }
    }

    /// The app client of a pool, for the pages (the secret lets them compute SECRET_HASH).
    pub async fn hosted_client(&self, pool_id: &UserPoolId, client_id: &str) -> DomainResult<(UserPool, AppClient, Option<String>)> {
        let pool = self.load_pool(pool_id).await?;
        let client = self.load_client(pool_id, client_id).await?;
        let secret = self.client_secret(&client)?;
        Ok((pool, client, secret))
    }
}
