//! SignUp and its confirmation: the code sent at sign-up, ConfirmSignUp, ResendConfirmationCode
//! and AdminConfirmSignUp.

use super::*;
use super::compose::{delivery_details, MessageSource};
use crate::user_pool::auth::ClientProof;

impl UserPoolService {
    /// Which attribute a sign-up code goes to: the first auto-verified attribute the user has.
    pub(crate) fn sign_up_channel(pool: &UserPool, user: &User) -> Option<String> {
        ["email", "phone_number"]
            .into_iter()
            .find(|attribute| {
                pool.settings.auto_verified_attributes.iter().any(|name| name == attribute) && user.attribute(attribute).is_some()
            })
            .map(str::to_string)
    }

    /// SignUp. Authorisation: the app client (and its SECRET_HASH).
    pub async fn sign_up(
        &self,
        client_id: &ClientId,
        username: &str,
        password: Option<&str>,
        raw_attributes: &[Attribute],
        proof: ClientProof<'_>,
        trigger_data: &crate::user_pool::TriggerData,
    ) -> DomainResult<SignUpOutcome> {
        let (pool, client) = self.client_for(client_id, &Caller::Client).await?;
        if pool.settings.admin_create_user.allow_admin_create_user_only {
            return Err(DomainError::NotAuthorized("SignUp is not permitted for this user pool".into()));
        }
        crate::ids::check_name(username, "username")?;
        self.check_client_proof(&client, &[username], proof)?;
        check_client_writes(&client, raw_attributes)?;
        let (canonical, attributes, sub) = self.prepare_new_user(&pool, username, raw_attributes)?;
        let password = password.filter(|password| !password.is_empty());
        match password {
            Some(password) => password::check_password(&pool.settings.password_policy, password)?,
            None if crate::user_pool::auth::user_auth::allows_passwordless(&pool) => {}
            None => return Err(DomainError::InvalidParameter("A password is required: this user pool does not allow sign-in without one.".into())),
        }
        let mut attributes = attributes;
        let answer = self.pre_sign_up(&pool, "PreSignUp_SignUp", &canonical, Some(&client.client_id), &attributes, trigger_data).await?;
        crate::user_pool::users::apply_auto_verify(&mut attributes, answer);
        let status = if answer.auto_confirm { UserStatus::Confirmed } else { UserStatus::Unconfirmed };
        let now = self.now();
        let mut user = User::new(&pool.id, canonical, sub.clone(), attributes, status, now);
        if let Some(password) = password {
            self.set_password(&pool, &mut user, password).await?;
        }
        // A user the trigger confirmed is sent no confirmation code.
        let channel = if answer.auto_confirm { None } else { Self::sign_up_channel(&pool, &user) };
        // The code is recorded on the user before the insert, so a user never exists without
        // the code that was sent.
        // Its message is composed (CustomMessage) before the insert too.
        let mut code_delivery = None;
        if let Some(attribute) = &channel {
            let (attribute, code) = self.prepare_code(&mut user, CodePurpose::ConfirmSignUp, attribute);
            let destination = user.attribute(&attribute).unwrap_or_default().to_string();
            let draft = Self::verification_draft(&pool, &attribute, destination, code, MessageSource::SignUp);
            let details = delivery_details(&draft, &attribute);
            code_delivery = Some((details, self.compose(&pool, &user, Some(&client.client_id), draft).await?));
        }
        match self.store.insert_user(&self.user_record(&pool, &user)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(ConflictOn::Key)) => return Err(DomainError::UsernameExists("User already exists".into())),
            Err(StoreError::Conflict(ConflictOn::Alias(attribute))) => return Err(Self::alias_error(&pool, &attribute)),
            Err(error) => return Err(DomainError::from(error)),
        }
        let code_delivery = match code_delivery {
            Some((details, outgoing)) => {
                self.dispatch(&pool, &user, Some(&client.client_id), outgoing).await?;
                Some(details)
            }
            None => None,
        };
        let session = self.sign_up_session(&pool, &client, &user).await?;
        self.record_account_event(&pool, &user, crate::user_pool::auth_events::types::EventKind::SignUp, Some(&client.client_id)).await?;
        Ok(SignUpOutcome { user_confirmed: answer.auto_confirm, user_sub: sub, code_delivery, session })
    }

    pub(crate) async fn client_user(&self, client_id: &str, username: &str, proof: ClientProof<'_>) -> DomainResult<(std::sync::Arc<UserPool>, std::sync::Arc<crate::user_pool::AppClient>, Option<User>)> {
        let (pool, client) = self.client_for(client_id, &Caller::Client).await?;
        let user = self.find_signing_in_user(&pool, &client, username, proof).await?;
        Ok((pool, client, user))
    }

    /// ConfirmSignUp. The verified email or phone becomes an alias; when another user holds it,
    /// AliasExistsException, unless `force_alias_creation` moves it here (the other user's value
    /// becomes unverified). To a client that allows USER_AUTH it answers a Session that signs the
    /// user in (InitiateAuth, USER_AUTH), the code being the first factor; a SignUp Session given
    /// with it must be the user's, and is spent. PostConfirmation follows.
    pub async fn confirm_sign_up(
        &self,
        client_id: &ClientId,
        username: &str,
        code: &str,
        proof: ClientProof<'_>,
        force_alias_creation: bool,
        session: Option<&str>,
    ) -> DomainResult<Option<String>> {
        let session = session.filter(|session| !session.is_empty());
        if let Some(session) = session {
            let (pool, client, user) = self.client_user(client_id, username, proof).await?;
            let valid = match &user {
                Some(user) => self.is_sign_up_session(&pool, &client, user, session).await,
                None => false,
            };
            if !valid {
                return Err(crate::user_pool::auth::invalid_session());
            }
        }
        retrying(|| self.confirm_sign_up_once(client_id, username, code, proof, force_alias_creation)).await?;
        let (pool, client, user) = self.client_user(client_id, username, proof).await?;
        match user {
            Some(user) => {
                self.post_confirmation(&pool, Some(&client.client_id), &user, "PostConfirmation_ConfirmSignUp").await?;
                self.confirmed_sign_up_session(&pool, &client, &user, session).await
            }
            None => Ok(None),
        }
    }

    pub(crate) async fn confirm_sign_up_once(&self, client_id: &str, username: &str, code: &str, proof: ClientProof<'_>, force_alias_creation: bool) -> DomainResult<()> {
        let (pool, _, user) = self.client_user(client_id, username, proof).await?;
        let Some(mut user) = user else {
            self.decoy_write(&pool, username, false).await?;
            return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()));
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(DomainError::NotAuthorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        self.count_attempt(&mut user, "ConfirmSignUp", 15)?;
        let attribute = self.consume_code(&pool, &mut user, CodePurpose::ConfirmSignUp, code).await?;
        if let Some(attribute) = attribute {
            set_attribute(&mut user.attributes, &format!("{attribute}_verified"), "true");
        }
        user.status = UserStatus::Confirmed;
        user.modified_ms = self.now();
        if force_alias_creation {
            self.release_aliases(&pool, &user).await?;
        }
        self.save_user(&pool, &mut user).await
    }

    /// ResendConfirmationCode.
    pub async fn resend_confirmation_code(&self, client_id: &ClientId, username: &str, proof: ClientProof<'_>)
        -> DomainResult<Option<CodeDeliveryDetails>> {
        retrying(|| self.resend_confirmation_code_once(client_id, username, proof)).await
    }

    pub(crate) async fn resend_confirmation_code_once(&self, client_id: &str, username: &str, proof: ClientProof<'_>)
        -> DomainResult<Option<CodeDeliveryDetails>> {
        let (pool, _, user) = self.client_user(client_id, username, proof).await?;
        let Some(mut user) = user else {
            self.decoy_write(&pool, username, true).await?;
            return Ok(Some(self.decoy_delivery(&pool, username)));
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(DomainError::InvalidParameter("User is already confirmed.".into()));
        }
        let channel = Self::sign_up_channel(&pool, &user)
            .ok_or_else(|| DomainError::InvalidParameter("The user has no auto-verified attribute to send a code to.".into()))?;
        self.count_attempt(&mut user, "ResendConfirmationCode", 5)?;
        let details = self.send_code(&pool, &mut user, CodePurpose::ConfirmSignUp, &channel, Some(client_id)).await?;
        self.record_account_event(&pool, &user, crate::user_pool::auth_events::types::EventKind::ResendCode, Some(client_id)).await?;
        Ok(Some(details))
    }

    /// AdminConfirmSignUp.
    pub async fn admin_confirm_sign_up(&self, pool_id: &UserPoolId, username: &str) -> DomainResult<()> {
        retrying(|| self.admin_confirm_sign_up_once(pool_id, username)).await?;
        let pool = self.load_pool(pool_id).await?;
        let user = self.resolve_user(&pool, username).await?;
        self.post_confirmation(&pool, None, &user, "PostConfirmation_ConfirmSignUp").await
    }

    pub(crate) async fn admin_confirm_sign_up_once(&self, pool_id: &str, username: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(DomainError::NotAuthorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        user.status = UserStatus::Confirmed;
        user.pending_codes.retain(|pending| pending.purpose != CodePurpose::ConfirmSignUp);
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await
    }
}
