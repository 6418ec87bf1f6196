//! USER_SRP_AUTH and its PASSWORD_VERIFIER answer: the server's half of SRP-6a, with the
//! attempt's state sealed into SECRET_BLOCK.

use super::*;

impl UserPoolService {
    /// USER_SRP_AUTH, first step: answers PASSWORD_VERIFIER with the salt, B and a sealed
    /// SECRET_BLOCK that carries this attempt's state (so the answer may come without Session).
    /// `custom`: inside CUSTOM_AUTH, where the answer continues the custom rounds.
    pub(crate) async fn srp_start(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>, custom: bool) -> DomainResult<AuthOutcome> {
        let username = parameter(parameters, "USERNAME")?;
        let a_hex = parameter(parameters, "SRP_A")?;
        let user = self.find_signing_in_user(pool, client, username, ClientProof::SecretHash(parameters.get("SECRET_HASH").map(String::as_str))).await?;
        let verifier = match &user {
            Some(user) => self.srp_verifier(pool, user)?,
            None => None,
        };
        // An unknown user (when hidden) or one without a verifier gets a decoy challenge that
        // can never be answered, so the first step looks the same for every username.
        // The decoy's salt is derived from the pool and the username, so it is as stable from
        // one request to the next as a real user's (a random one would tell them apart).
        let (user_id, (salt_hex, verifier_hex)) = match (&user, verifier) {
            (Some(user), Some(verifier)) => (user.username.clone(), verifier),
            (Some(user), None) => (user.username.clone(), crate::srp::decoy_verifier(&self.decoy_seed(pool, &user.username))),
            (None, _) => (username.to_string(), crate::srp::decoy_verifier(&self.decoy_seed(pool, username))),
        };
        let challenge = crate::srp::server_challenge(&verifier_hex, a_hex)
            .ok_or_else(|| DomainError::InvalidParameter("SRP_A is not a valid SRP value.".into()))?;
        let expires_ms = self.now() + i64::from(client.settings.auth_session_validity.clamp(3, 15)) * 60_000;
        let state = json!({
            "pool_id": pool.id,
            "client_id": client.client_id,
            "user_id": user_id,
            "known": user.is_some(),
            "a": a_hex.to_lowercase(),
            "b": crate::srp::to_hex(&challenge.b),
            "big_b": crate::srp::to_hex(&challenge.big_b),
            "expires_ms": expires_ms,
            "custom": custom,
        });
        let secret_block = BASE64.encode(self.master_key.seal(state.to_string().as_bytes(), SRP_BLOCK_CONTEXT));
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: sha256_hex(&secret_block),
                pool_id: pool.id.to_string(),
                client_id: client.client_id.to_string(),
                username_key: pool.username_key(&user_id),
                challenge_name: ChallengeName::PasswordVerifier,
                expires_ms,
            })
            .await
            ?;
        let mut challenge_parameters = BTreeMap::new();
        challenge_parameters.insert("SALT".into(), salt_hex);
        challenge_parameters.insert("SRP_B".into(), crate::srp::to_hex(&challenge.big_b));
        challenge_parameters.insert("SECRET_BLOCK".into(), secret_block);
        challenge_parameters.insert("USER_ID_FOR_SRP".into(), user_id.clone());
        challenge_parameters.insert("USERNAME".into(), user_id);
        Ok(AuthOutcome::Challenge { name: ChallengeName::PasswordVerifier, parameters: challenge_parameters, session: None })
    }

    /// PASSWORD_VERIFIER: checks the claim signature against the attempt sealed in SECRET_BLOCK.
    pub(crate) async fn srp_finish(&self, pool: &UserPool, client: &AppClient, responses: &BTreeMap<String, String>) -> DomainResult<AuthOutcome> {
        let secret_block = parameter(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let signature = parameter(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let timestamp = parameter(responses, "TIMESTAMP")?;
        let username = parameter(responses, "USERNAME")?;
        // A device that does not exist is refused before the attempt is spent, so the client can
        // send the same answer again without it.
        let device = match self.resolve_user(pool, username).await {
            Ok(user) => self.named_device(pool, &user, responses.get("DEVICE_KEY").map(String::as_str)).await?,
            Err(_) => None,
        };
        // Taking the attempt first makes it single-use, whatever happens next.
        let attempt = self.store.take_auth_session(&sha256_hex(secret_block)).await?.ok_or_else(invalid_session)?;
        let block_bytes = BASE64.decode(secret_block).map_err(|_| invalid_session())?;
        let sealed = std::str::from_utf8(&block_bytes).map_err(|_| invalid_session())?;
        let state: Value = serde_json::from_slice(&self.master_key.open(sealed, SRP_BLOCK_CONTEXT).map_err(|_| invalid_session())?)
            .map_err(|_| invalid_session())?;
        let field = |name: &str| state.get(name).and_then(Value::as_str).unwrap_or("").to_string();
        if field("pool_id") != pool.id || field("client_id") != client.client_id || attempt.expires_ms < self.now() {
            return Err(invalid_session());
        }
        let user_id = field("user_id");
        if state.get("known") != Some(&Value::Bool(true)) {
            return Err(incorrect_credentials());
        }
        let mut user = self.resolve_user(pool, &user_id).await.map_err(|_| incorrect_credentials())?;
        if pool.username_key(username) != pool.username_key(&user.username) {
            let by_alias = self.resolve_user(pool, username).await.ok();
            if by_alias.map(|other| other.sub) != Some(user.sub.clone()) {
                return Err(invalid_session());
            }
        }
        self.check_secret_hash(client, &[username, user.username.as_str()], responses.get("SECRET_HASH").map(String::as_str))?;
        self.pre_authentication(pool, &client.client_id, &user).await?;
        self.reserve_sign_in(pool, &mut user, crate::user_pool::auth_events::types::ChallengeKind::Password).await?;
        let signed_at = crate::srp::parse_timestamp(timestamp)
            .ok_or_else(|| DomainError::InvalidParameter("TIMESTAMP is not in the expected format.".into()))?;
        let fresh = (signed_at - self.now() / 1000).abs() <= SRP_TIMESTAMP_SKEW_SECONDS;
        let expected = match self.srp_verifier(pool, &user)? {
            Some((_, verifier)) => {
                let b = crate::srp::parse_hex(&field("b")).ok_or_else(invalid_session)?;
                let big_b = crate::srp::parse_hex(&field("big_b")).ok_or_else(invalid_session)?;
                crate::srp::expected_signature(crate::srp::pool_name(&pool.id), &user.username, &verifier, &field("a"), &b, &big_b, &block_bytes, timestamp)
            }
            None => None,
        };
        let signature_ok = expected.is_some_and(|expected| constant_time_eq(expected.as_bytes(), signature.as_bytes()));
        if state.get("custom") == Some(&Value::Bool(true)) {
            let user = self.record_first_factor(pool, user, signature_ok && fresh, false).await?;
            let history = vec![
                json!({"challengeName": "SRP_A", "challengeResult": true}),
                json!({"challengeName": "PASSWORD_VERIFIER", "challengeResult": true}),
            ];
            return self.custom_round(pool, client, &user.username.clone(), Some(&user), history).await;
        }
        self.after_first_factor(pool, client, user, signature_ok && fresh, device).await
    }
}
