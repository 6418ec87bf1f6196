//! Ending sessions and changing a signed-in user's password: GlobalSignOut,
//! AdminUserGlobalSignOut, RevokeToken and ChangePassword; and whether a challenge answer names
//! the challenge's user.

use super::*;

impl UserPoolService {
    /// The user an answer to a session of a sign-in that hides unknown users is for (None: one
    /// who does not exist), after the checks every such answer gets — the session is this pool's,
    /// USERNAME names its user, SECRET_HASH — and with the session spent. Also the name to call
    /// the user by (the canonical username, or the one given).
    pub(crate) async fn answering_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        open: &crate::user_pool::mfa::session::OpenSession,
        responses: &BTreeMap<String, String>,
    ) -> DomainResult<(Option<User>, String)> {
        let username = parameter(responses, "USERNAME")?;
        let user = self.store.get_user(&pool.id, &open.session.username_key).await?;
        let names_the_user = match &user {
            Some(user) => self.names_user(pool, username, user).await,
            None => pool.username_key(username) == open.session.username_key,
        };
        if open.session.pool_id != pool.id || !names_the_user {
            return Err(invalid_session());
        }
        let canonical = user.as_ref().map(|user| user.username.clone()).unwrap_or_else(|| username.to_string());
        self.check_secret_hash(client, &[username, canonical.as_str()], responses.get("SECRET_HASH").map(String::as_str))?;
        self.spend_challenge(open).await?;
        Ok((user, canonical))
    }

    /// Whether `username`, as a challenge answer gives it (the username or an alias), names
    /// `user`, the user the challenge was opened for.
    pub(crate) async fn names_user(&self, pool: &UserPool, username: &str, user: &User) -> bool {
        pool.username_key(username) == pool.username_key(&user.username)
            || self.resolve_user(pool, username).await.is_ok_and(|named| named.sub == user.sub)
    }

    /// GlobalSignOut: every refresh token of the user is revoked, and with them every access
    /// token minted from those sign-ins.
    pub async fn global_sign_out(&self, access_token: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.store
            .revoke_user_tokens(&holder.pool.id, &holder.pool.username_key(&holder.user.username))
            .await
            .map_err(DomainError::from)
    }

    /// AdminUserGlobalSignOut.
    pub async fn admin_user_global_sign_out(&self, pool_id: &UserPoolId, username: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        self.store.revoke_user_tokens(&pool.id, &pool.username_key(&user.username)).await.map_err(DomainError::from)
    }

    /// RevokeToken: revokes a refresh token and the access tokens of its sign-in.
    pub async fn revoke_token(&self, token: &str, client_id: &ClientId, client_secret: Option<&str>) -> DomainResult<()> {
        let (_, client) = self.client_for(client_id, &Caller::Client).await?;
        if let Some(secret) = self.client_secret(&client)? {
            let given = client_secret.unwrap_or("");
            if !constant_time_eq(secret.as_bytes(), given.as_bytes()) {
                return Err(DomainError::NotAuthorized("Invalid client secret.".into()));
            }
        }
        if !client.settings.enable_token_revocation {
            return Err(DomainError::UnsupportedOperation("Token revocation is not enabled for this client.".into()));
        }
        let record = self.store.get_refresh_token(&sha256_hex(token)).await?;
        match record {
            Some(record) if record.client_id == client.client_id => {
                self.store.revoke_token_family(&record.origin_jti).await.map_err(DomainError::from)
            }
            Some(_) => Err(DomainError::UnauthorizedClient("The token was not issued to this client.".into())),
            None => Ok(()),
        }
    }

    /// ChangePassword, by the holder of an access token.
    /// The attempt is counted (and stored) before the previous password is checked, so
    /// parallel guesses cannot outrun the hourly limit; the new password is then written only
    /// if the password checked is still the user's.
    pub async fn change_password(&self, access_token: &str, previous: &str, proposed: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        let (pool, mut user) = (holder.pool, holder.user);
        self.record_attempt(&pool, &mut user, "ChangePassword", 5).await?;
        let checked = user.password_hash.clone();
        let previous_ok = match checked.as_deref() {
            Some(hash) => self.verify_on_pool(previous, hash).await?,
            None => false,
        };
        if !previous_ok {
            return Err(incorrect_credentials());
        }
        password::check_password(&pool.settings.password_policy, proposed)?;
        self.set_password(&pool, &mut user, proposed).await?;
        let now = self.now();
        let key = pool.username_key(&user.username);
        self.change_user(&pool, &key, |stored| {
            if stored.password_hash != checked {
                return Err(incorrect_credentials());
            }
            stored.password_hash = user.password_hash.clone();
            stored.password_history = user.password_history.clone();
            stored.sealed_srp_verifier = user.sealed_srp_verifier.clone();
            stored.modified_ms = now;
            Ok(())
        })
        .await?;
        let client_id = holder.claims.get("client_id").and_then(Value::as_str);
        self.record_account_event(&pool, &user, crate::user_pool::auth_events::types::EventKind::PasswordChange, client_id).await
    }
}
