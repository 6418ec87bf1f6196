//! Challenges: NEW_PASSWORD_REQUIRED, RespondToAuthChallenge and the completion of a new
//! password.

use super::*;
use crate::user_pool::devices::DeviceConfiguration;
use crate::user_pool::mfa::challenge::SecondStep;

impl UserPoolService {
    pub(crate) async fn new_password_challenge(&self, pool: &UserPool, client: &AppClient, user: &User) -> DomainResult<AuthOutcome> {
        let session = random_token(48);
        let validity_minutes = i64::from(client.settings.auth_session_validity.clamp(3, 15));
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: sha256_hex(&session),
                pool_id: pool.id.to_string(),
                client_id: client.client_id.to_string(),
                username_key: pool.username_key(&user.username),
                challenge_name: ChallengeName::NewPasswordRequired,
                expires_ms: self.now() + validity_minutes * 60_000,
            })
            .await
            ?;
        let current: Map<String, Value> = user
            .attributes
            .iter()
            .filter(|attribute| attribute.name != "sub")
            .map(|attribute| (attribute.name.clone(), Value::String(attribute.value.clone())))
            .collect();
        let required: Vec<String> = pool
            .shape
            .schema
            .iter()
            .filter(|attribute| attribute.required && attribute.name != "sub" && user.attribute(&attribute.name).is_none())
            .map(|attribute| format!("userAttributes.{}", attribute.name))
            .collect();
        let mut parameters = BTreeMap::new();
        parameters.insert("USER_ID_FOR_SRP".into(), user.username.clone());
        parameters.insert("userAttributes".into(), Value::Object(current).to_string());
        parameters.insert("requiredAttributes".into(), json!(required).to_string());
        Ok(AuthOutcome::Challenge { name: ChallengeName::NewPasswordRequired, parameters, session: Some(session) })
    }

    /// RespondToAuthChallenge and AdminRespondToAuthChallenge.
    pub async fn respond_to_auth_challenge(
        &self,
        caller: Caller,
        client_id: &ClientId,
        challenge_name: ChallengeName,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
        source_ip: Option<String>,
    ) -> DomainResult<AuthOutcome> {
        let (pool, client) = self.client_for(client_id, &caller).await?;
        self.recording(&pool, &client.client_id, challenge_name.as_str(), session, self.answer_challenge(&pool, &client, challenge_name, responses, session, source_ip)).await
    }

    async fn answer_challenge(
        &self,
        pool: &UserPool,
        client: &AppClient,
        challenge_name: ChallengeName,
        responses: &BTreeMap<String, String>,
        session: Option<&str>,
        source_ip: Option<String>,
    ) -> DomainResult<AuthOutcome> {
        match challenge_name {
            ChallengeName::PasswordVerifier => return self.srp_finish(&pool, &client, responses).await,
            ChallengeName::DeviceSrpAuth => return self.answer_device_srp(&pool, &client, responses, session).await,
            ChallengeName::DevicePasswordVerifier => return self.answer_device_password_verifier(&pool, &client, responses, source_ip).await,
            ChallengeName::NewPasswordRequired => {}
            ChallengeName::WebAuthn => return self.answer_web_authn(&pool, &client, responses, session).await,
            ChallengeName::CustomChallenge => return self.answer_custom_challenge(&pool, &client, responses, session).await,
            ChallengeName::SelectChallenge | ChallengeName::Password | ChallengeName::PasswordSrp => {
                return self.answer_select_challenge(&pool, &client, challenge_name, responses, session).await;
            }
            ChallengeName::SmsMfa
            | ChallengeName::SmsOtp
            | ChallengeName::EmailOtp
            | ChallengeName::SoftwareTokenMfa
            | ChallengeName::SelectMfaType
            | ChallengeName::MfaSetup => {
                let secret_hash = responses.get("SECRET_HASH").map(String::as_str);
                return match self.answer_second_factor(&pool, &client, challenge_name, responses, session, Some(secret_hash)).await? {
                    SecondStep::Passed { user, progress } => self.finish_sign_in(&pool, &client, &user, &progress).await,
                    SecondStep::Challenge(outcome) => Ok(outcome),
                };
            }
            other => {
                return Err(DomainError::NotImplemented(format!(
                    "The {} challenge is not implemented by cognate yet.",
                    other.as_str()
                )))
            }
        }
        let username = parameter(responses, "USERNAME")?;
        let new_password = parameter(responses, "NEW_PASSWORD")?;
        let changes: Vec<Attribute> = responses
            .iter()
            .filter_map(|(name, value)| {
                name.strip_prefix("userAttributes.").map(|name| Attribute { name: name.to_string(), value: value.clone() })
            })
            .collect();
        let secret_hash = responses.get("SECRET_HASH").map(String::as_str);
        let user = self.complete_new_password(&pool, &client, session, username, new_password, &changes, Some(secret_hash)).await?;
        self.second_step_or_tokens(&pool, &client, &user, &Progress::at(self.now())).await
    }

    /// What follows a passed first factor (and a new password, or a device's proof): the second
    /// factor's challenge when the pool and the user call for one, tokens otherwise.
    pub(crate) async fn second_step_or_tokens(&self, pool: &UserPool, client: &AppClient, user: &User, progress: &Progress) -> DomainResult<AuthOutcome> {
        match self.second_factor(pool, client, user, progress).await? {
            Some(challenge) => Ok(challenge),
            None => self.finish_sign_in(pool, client, user, progress).await,
        }
    }

    /// The tokens of a complete sign-in through the API. They are bound to the remembered device
    /// the sign-in authenticated; without one, a pool that remembers devices gives the sign-in a
    /// new device key (NewDeviceMetadata, and the access token's `device_key`) to confirm.
    pub(crate) async fn finish_sign_in(&self, pool: &UserPool, client: &AppClient, user: &User, progress: &Progress) -> DomainResult<AuthOutcome> {
        let new_device = match &progress.device_key {
            None if DeviceConfiguration::of(pool).is_some() => Some(self.new_device(pool, user)),
            _ => None,
        };
        crate::user_pool::auth_events::recording::note_user(user);
        self.post_authentication(pool, &client.client_id, user, new_device.is_some()).await?;
        let source = if progress.device_key.is_some() { "TokenGeneration_AuthenticateDevice" } else { "TokenGeneration_Authentication" };
        let device_key = progress.device_key.clone().or_else(|| new_device.as_ref().map(|device| device.device_key.clone()));
        let mut result = self.issue_tokens(pool, client, user, progress.auth_time_ms, Issue { device_key, source: Some(source), ..Issue::default() }).await?;
        result.new_device = new_device;
        Ok(AuthOutcome::Authenticated(result))
    }

    /// Answers NEW_PASSWORD_REQUIRED: the session must be this client's and this user's, the
    /// password must meet the policy, and the required attributes must be given. `secret_hash`
    /// is None when the caller has authenticated the client itself (the hosted pages).
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_new_password(
        &self,
        pool: &UserPool,
        client: &AppClient,
        session: Option<&str>,
        username: &str,
        new_password: &str,
        changes: &[Attribute],
        secret_hash: Option<Option<&str>>,
    ) -> DomainResult<User> {
        let session = session.filter(|session| !session.is_empty()).ok_or_else(invalid_session)?;
        let record = self.store.take_auth_session(&sha256_hex(session)).await?.ok_or_else(invalid_session)?;
        if record.expires_ms < self.now() || record.client_id != client.client_id || record.challenge_name != ChallengeName::NewPasswordRequired {
            return Err(invalid_session());
        }
        let mut user = self.resolve_user(pool, username).await.map_err(|_| invalid_session())?;
        if pool.username_key(&user.username) != record.username_key {
            return Err(invalid_session());
        }
        if let Some(given) = secret_hash {
            self.check_secret_hash(client, &[username, user.username.as_str()], given)?;
        }
        password::check_password(&pool.settings.password_policy, new_password)?;
        attributes::check_attributes(pool, changes, AttributeWrite::Update)?;
        for change in changes {
            set_attribute(&mut user.attributes, &change.name, &change.value);
        }
        attributes::check_required(pool, &user.attributes)?;
        let now = self.now();
        self.set_password(pool, &mut user, new_password).await?;
        user.status = UserStatus::Confirmed;
        user.temporary_password_expires_ms = None;
        user.modified_ms = now;
        self.save_user(pool, &mut user).await?;
        Ok(user)
    }
}
