//! A remembered device's sign-in. After the user's first factor, DEVICE_SRP_AUTH asks the client
//! to prove it holds the device's secret, and DEVICE_PASSWORD_VERIFIER checks the proof: SRP-6a
//! against the device's verifier, with the device group key in place of the pool name and the
//! device key in place of the user id, as amazon-cognito-identity-js and Amplify compute it. A
//! remembered device then skips the second factor when the pool's ChallengeRequiredOnNewDevice
//! says so; otherwise the second factor follows as for any sign-in.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{DeviceConfiguration, RememberedDevice};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::user_pool::auth::{incorrect_credentials, invalid_session, parameter, sha256_hex, AuthOutcome, Progress};
use crate::user_pool::mfa::session::Step;
use crate::user_pool::{AppClient, AuthSessionRecord, ChallengeName, User, UserPool, UserPoolService};

/// The sealing context of DEVICE_PASSWORD_VERIFIER's SECRET_BLOCK.
use crate::sealing::DEVICE_SRP_BLOCK as DEVICE_BLOCK_CONTEXT;
/// How far a claim's TIMESTAMP may be from the server's clock.
const TIMESTAMP_SKEW_SECONDS: i64 = 5 * 60;

/// One device SRP attempt, sealed into SECRET_BLOCK (so the answer may come without Session).
#[derive(Debug, Serialize, Deserialize)]
struct DeviceAttempt {
    pool_id: String,
    client_id: String,
    username_key: String,
    device_key: String,
    a: String,
    b: String,
    big_b: String,
    expires_ms: i64,
    auth_time_ms: i64,
}

impl UserPoolService {
    /// The device a first factor names in DEVICE_KEY, when the pool remembers devices. It is
    /// looked up before anything of the attempt is spent, so a client told that the device does
    /// not exist (ResourceNotFoundException) can send the same answer again without it. None when
    /// no key is given or the pool does not remember devices.
    pub(crate) async fn named_device(&self, pool: &UserPool, user: &User, device_key: Option<&str>) -> DomainResult<Option<RememberedDevice>> {
        match device_key.filter(|key| !key.is_empty()) {
            Some(key) if DeviceConfiguration::of(pool).is_some() => Ok(Some(self.read_device(pool, user, key).await?.value)),
            _ => Ok(None),
        }
    }

    /// DEVICE_SRP_AUTH: the challenge after a first factor given with a confirmed device.
    pub(crate) async fn device_challenge(&self, pool: &UserPool, client: &AppClient, user: &User, device: &RememberedDevice, progress: &Progress) -> DomainResult<AuthOutcome> {
        let step = Step::DeviceSrp { device_key: device.device_key.clone() };
        let session = self.open_challenge(pool, client, user, step, progress).await?;
        let mut parameters = BTreeMap::new();
        parameters.insert("USERNAME".to_string(), user.username.clone());
        parameters.insert("DEVICE_KEY".to_string(), device.device_key.clone());
        Ok(AuthOutcome::Challenge { name: ChallengeName::DeviceSrpAuth, parameters, session: Some(session) })
    }

    /// Answers DEVICE_SRP_AUTH (USERNAME, DEVICE_KEY, SRP_A, with the Session of the challenge):
    /// DEVICE_PASSWORD_VERIFIER with the device's salt, B and a sealed SECRET_BLOCK.
    pub(crate) async fn answer_device_srp(
        &self,
        pool: &UserPool,
        client: &AppClient,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
    ) -> DomainResult<AuthOutcome> {
        let open = self.read_challenge(session, Some(client)).await?;
        let Step::DeviceSrp { device_key } = &open.session.step else {
            return Err(invalid_session());
        };
        if open.session.pool_id != pool.id || parameter(responses, "DEVICE_KEY")? != device_key {
            return Err(invalid_session());
        }
        let a_hex = parameter(responses, "SRP_A")?;
        let user = self.session_user(pool, client, &open, responses, Some(responses.get("SECRET_HASH").map(String::as_str))).await?;
        let device = self.read_device(pool, &user, device_key).await?.value;
        let (salt_hex, verifier_hex) = self.device_verifier(&device)?;
        let challenge = crate::srp::server_challenge(&verifier_hex, a_hex)
            .ok_or_else(|| DomainError::InvalidParameter("SRP_A is not a valid SRP value.".into()))?;
        self.spend_challenge(&open).await?;
        let expires_ms = self.now() + i64::from(client.settings.auth_session_validity.clamp(3, 15)) * 60_000;
        let attempt = DeviceAttempt {
            pool_id: pool.id.to_string(),
            client_id: client.client_id.to_string(),
            username_key: open.session.username_key.clone(),
            device_key: device_key.clone(),
            a: a_hex.to_lowercase(),
            b: crate::srp::to_hex(&challenge.b),
            big_b: crate::srp::to_hex(&challenge.big_b),
            expires_ms,
            auth_time_ms: open.session.auth_time_ms,
        };
        let sealed = self.master_key.seal(&serde_json::to_vec(&attempt).map_err(DomainError::internal)?, DEVICE_BLOCK_CONTEXT);
        let secret_block = BASE64.encode(sealed);
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: sha256_hex(&secret_block),
                pool_id: pool.id.to_string(),
                client_id: client.client_id.to_string(),
                username_key: open.session.username_key.clone(),
                challenge_name: ChallengeName::DevicePasswordVerifier,
                expires_ms,
            })
            .await?;
        let mut parameters = BTreeMap::new();
        parameters.insert("SALT".to_string(), salt_hex);
        parameters.insert("SRP_B".to_string(), crate::srp::to_hex(&challenge.big_b));
        parameters.insert("SECRET_BLOCK".to_string(), secret_block);
        parameters.insert("USERNAME".to_string(), user.username.clone());
        parameters.insert("DEVICE_KEY".to_string(), device_key.clone());
        Ok(AuthOutcome::Challenge { name: ChallengeName::DevicePasswordVerifier, parameters, session: None })
    }

    /// Answers DEVICE_PASSWORD_VERIFIER: the claim signature is checked against the attempt
    /// sealed in SECRET_BLOCK (spent first, so it works once), counted toward the user's lockout
    /// like a password. A right one marks the device used and continues the sign-in.
    pub(crate) async fn answer_device_password_verifier(
        &self,
        pool: &UserPool,
        client: &AppClient,
        responses: &BTreeMap<String, String>,
        source_ip: Option<String>,
    ) -> DomainResult<AuthOutcome> {
        let secret_block = parameter(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let signature = parameter(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let timestamp = parameter(responses, "TIMESTAMP")?;
        let username = parameter(responses, "USERNAME")?;
        let device_key = parameter(responses, "DEVICE_KEY")?;
        let taken = self.store.take_auth_session(&sha256_hex(secret_block)).await?.ok_or_else(invalid_session)?;
        let block_bytes = BASE64.decode(secret_block).map_err(|_| invalid_session())?;
        let sealed = std::str::from_utf8(&block_bytes).map_err(|_| invalid_session())?;
        let opened = self.master_key.open(sealed, DEVICE_BLOCK_CONTEXT).map_err(|_| invalid_session())?;
        let attempt: DeviceAttempt = serde_json::from_slice(&opened).map_err(|_| invalid_session())?;
        if attempt.pool_id != pool.id
            || attempt.client_id != client.client_id
            || taken.challenge_name != ChallengeName::DevicePasswordVerifier
            || attempt.expires_ms < self.now()
            || attempt.device_key != device_key
        {
            return Err(invalid_session());
        }
        let mut user = self.store.get_user(&pool.id, &attempt.username_key).await?.ok_or_else(invalid_session)?;
        if !self.names_user(pool, username, &user).await {
            return Err(invalid_session());
        }
        self.check_secret_hash(client, &[username, user.username.as_str()], responses.get("SECRET_HASH").map(String::as_str))?;
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        self.reserve_sign_in(pool, &mut user, crate::user_pool::auth_events::types::ChallengeKind::Mfa).await?;
        let device = self.read_device(pool, &user, device_key).await?.value;
        let (_, verifier_hex) = self.device_verifier(&device)?;
        let signed_at = crate::srp::parse_timestamp(timestamp)
            .ok_or_else(|| DomainError::InvalidParameter("TIMESTAMP is not in the expected format.".into()))?;
        let fresh = (signed_at - self.now() / 1000).abs() <= TIMESTAMP_SKEW_SECONDS;
        let b = crate::srp::parse_hex(&attempt.b).ok_or_else(invalid_session)?;
        let big_b = crate::srp::parse_hex(&attempt.big_b).ok_or_else(invalid_session)?;
        let group_key = self.group_key_of(pool, &user, &device);
        let expected = crate::srp::expected_signature(&group_key, device_key, &verifier_hex, &attempt.a, &b, &big_b, &block_bytes, timestamp);
        if !(fresh && expected.is_some_and(|expected| constant_time_eq(expected.as_bytes(), signature.as_bytes()))) {
            return Err(incorrect_credentials());
        }
        let now = self.now();
        let device = self
            .change_device(pool, &user, device_key, |device| {
                device.last_authenticated_ms = Some(now);
                if source_ip.is_some() {
                    device.last_ip = source_ip.clone();
                }
                Ok(())
            })
            .await?;
        let skips_second_factor = device.remembered && DeviceConfiguration::of(pool).is_some_and(|config| config.challenge_required_on_new_device);
        // The failures are forgiven when the sign-in is complete; when a second factor follows,
        // only this attempt is taken back (as after a password).
        let complete = skips_second_factor || !self.needs_second_factor(pool, &user);
        self.change_user_document(pool, &mut user, |user| {
            if complete {
                user.failed_sign_ins = 0;
                user.last_failed_sign_in_ms = None;
            } else {
                user.failed_sign_ins = user.failed_sign_ins.saturating_sub(1);
            }
            Ok(())
        })
        .await?;
        let progress = Progress { auth_time_ms: attempt.auth_time_ms, device_key: Some(device.device_key) };
        if skips_second_factor {
            return self.finish_sign_in(pool, client, &user, &progress).await;
        }
        self.second_step_or_tokens(pool, client, &user, &progress).await
    }
}
