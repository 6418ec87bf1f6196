//! The WEB_AUTHN first factor of USER_AUTH: CREDENTIAL_REQUEST_OPTIONS with a fresh challenge
//! and the user's passkeys, and the assertion that answers it (client data, RP ID hash, user
//! presence and verification, the signature under the stored key, a signature counter that only
//! grows). A passkey is the sign-in's only factor. For a user who does not exist the options name
//! a made-up credential and no assertion passes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::webauthn::{self, b64url, b64url_decode, AuthenticatorData};
use super::{member, passkey_scope, Passkey, CEREMONY_MS};
use crate::error::{DomainError, DomainResult};
use crate::records::{Document, Records};
use crate::store::{ConflictOn, StoreError};
use crate::user_pool::auth::{incorrect_credentials, invalid_session, parameter, random_token, AuthOutcome, Progress};
use crate::user_pool::mfa::session::Step;
use crate::user_pool::{AppClient, ChallengeName, User, UserPool, UserPoolService, UserStatus};

impl UserPoolService {
    /// The WEB_AUTHN challenge for `user` (None: a user who does not exist).
    pub(crate) async fn web_authn_challenge(&self, pool: &UserPool, client: &AppClient, username: &str, user: Option<&User>) -> DomainResult<AuthOutcome> {
        let (rp_id, require_uv) = self.relying_party(pool).await?;
        let allow: Vec<Value> = match user {
            Some(user) => self
                .passkeys(pool, user)
                .await?
                .into_iter()
                .map(|passkey| json!({"type": "public-key", "id": passkey.credential_id, "transports": passkey.transports}))
                .collect(),
            None => vec![json!({"type": "public-key", "id": b64url(&self.decoy_seed(pool, username)[..16]), "transports": ["internal"]})],
        };
        let challenge = random_token(32);
        let options = json!({
            "challenge": challenge,
            "rpId": rp_id,
            "allowCredentials": allow,
            "timeout": CEREMONY_MS,
            "userVerification": if require_uv { "required" } else { "preferred" },
        });
        let step = Step::WebAuthn { challenge };
        let session = self.open_challenge_for(pool, client, pool.username_key(username), step, &Progress::at(self.now())).await?;
        let mut parameters = BTreeMap::new();
        parameters.insert("CREDENTIAL_REQUEST_OPTIONS".to_string(), options.to_string());
        Ok(AuthOutcome::Challenge { name: ChallengeName::WebAuthn, parameters, session: Some(session) })
    }

    /// Answers WEB_AUTHN (USERNAME, CREDENTIAL: an AuthenticationResponseJSON) with tokens.
    pub(crate) async fn answer_web_authn(
        &self,
        pool: &UserPool,
        client: &AppClient,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
    ) -> DomainResult<AuthOutcome> {
        let secret_hash = responses.get("SECRET_HASH").map(String::as_str);
        let user = self.passkey_user(pool, client, responses, session, Some(secret_hash)).await?;
        self.finish_sign_in(pool, client, &user, &Progress::at(self.now())).await
    }

    /// The hosted pages' answer to a passkey challenge: the user, signed in.
    pub async fn hosted_passkey_answer(&self, pool: &UserPool, client: &AppClient, username: &str, credential: &str, session: &str) -> DomainResult<User> {
        let responses = BTreeMap::from([("USERNAME".to_string(), username.to_string()), ("CREDENTIAL".to_string(), credential.to_string())]);
        self.recording(pool, &client.client_id, "hosted:passkey", Some(session), self.passkey_user(pool, client, &responses, Some(session), None)).await
    }

    /// Checks an answer to WEB_AUTHN and answers its user. Three answers are taken per session;
    /// each counts toward the user's lockout until one passes. `secret_hash` is None when the
    /// caller acts for the client itself (the hosted pages).
    async fn passkey_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<User> {
        let open = self.read_challenge(session, Some(client)).await?;
        let Step::WebAuthn { challenge } = &open.session.step else {
            return Err(invalid_session());
        };
        if open.session.pool_id != pool.id {
            return Err(invalid_session());
        }
        self.reserve_answer(&open).await?;
        let Some(mut user) = self.store.get_user(&pool.id, &open.session.username_key).await? else {
            return Err(incorrect_credentials());
        };
        let username = parameter(responses, "USERNAME")?;
        if !self.names_user(pool, username, &user).await {
            return Err(invalid_session());
        }
        if let Some(given) = secret_hash {
            self.check_secret_hash(client, &[username, user.username.as_str()], given)?;
        }
        let credential: Value = serde_json::from_str(parameter(responses, "CREDENTIAL")?)
            .map_err(|_| DomainError::InvalidParameter("CREDENTIAL is not an AuthenticationResponseJSON document.".into()))?;
        self.reserve_sign_in(pool, &mut user, crate::user_pool::auth_events::types::ChallengeKind::Password).await?;
        let (rp_id, require_uv) = self.relying_party(pool).await?;
        let credential_id = member(&credential, &["id"]).or_else(|| member(&credential, &["rawId"])).unwrap_or("").trim_end_matches('=').to_string();
        let scope = passkey_scope(&pool.id, &user.sub);
        let stored = self.store.read_record_of::<Passkey>(&scope, &credential_id).await?.ok_or_else(incorrect_credentials)?;
        let decode = |name: &str| member(&credential, &["response", name]).ok_or_else(incorrect_credentials).and_then(|text| b64url_decode(text).map_err(|_| incorrect_credentials()));
        let client_data = decode("clientDataJSON")?;
        let authenticator_data = decode("authenticatorData")?;
        let signature = decode("signature")?;
        let client_data_hash = webauthn::check_client_data(&client_data, "webauthn.get", challenge, &rp_id).map_err(|_| incorrect_credentials())?;
        let parsed = AuthenticatorData::parse(&authenticator_data).map_err(|_| incorrect_credentials())?;
        parsed.check(&stored.value.relying_party_id, require_uv).map_err(|_| incorrect_credentials())?;
        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&client_data_hash);
        if !stored.value.public_key.verifies(&signed, &signature) {
            return Err(incorrect_credentials());
        }
        // A counter that does not grow says the authenticator was cloned (or the assertion is
        // replayed); the new count is written as a compare-and-set.
        let counted = parsed.sign_count != 0 || stored.value.sign_count != 0;
        if counted && parsed.sign_count <= stored.value.sign_count {
            return Err(incorrect_credentials());
        }
        if counted {
            let updated = Passkey { sign_count: parsed.sign_count, ..stored.value.clone() };
            match self.store.write_records(&[updated.swap_at(&scope, &credential_id, &stored.stored)?]).await {
                Ok(()) => {}
                Err(StoreError::Conflict(ConflictOn::Stale)) => return Err(incorrect_credentials()),
                Err(other) => return Err(other.into()),
            }
        }
        self.spend_challenge(&open).await?;
        self.clear_failures(pool, &mut user).await?;
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        if user.status != UserStatus::Confirmed {
            return Err(incorrect_credentials());
        }
        Ok(user)
    }
}
