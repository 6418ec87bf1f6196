//! Messages to users and the one-time codes they carry: invitations, sign-up confirmation
//! (SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp) and account recovery
//! (ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword). Messages go to the outbox,
//! sealed under the master key, where the root credentials can read them.

use rand::rngs::OsRng;
use rand::Rng;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::retrying;
use super::{
    attributes, password, set_attribute, store_error, Attribute, CodePurpose, OutboxMessage, PendingCode, User, UserPool,
    UserPoolService, UserStatus,
};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::store::{ConflictOn, StoreError};

const SIGN_UP_CODE_VALIDITY_MS: i64 = 24 * 60 * 60 * 1000;
const RESET_CODE_VALIDITY_MS: i64 = 60 * 60 * 1000;
/// Wrong guesses a code survives before it is withdrawn.
const MAX_CODE_ATTEMPTS: u32 = 5;
const OUTBOX_CONTEXT: &str = "outbox-message";
const HOUR_MS: i64 = 60 * 60 * 1000;

/// A way to reach users by email, handed in by the server (SMTP). Without one, or when it
/// fails, messages stay in the outbox, so nothing is lost.
#[async_trait::async_trait]
pub trait EmailChannel: Send + Sync + 'static {
    /// Sends one message; the error text is for the log.
    async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// A way to reach users by SMS, handed in by the server (an HTTP webhook). Without one, or when
/// it fails, messages stay in the outbox.
#[async_trait::async_trait]
pub trait SmsChannel: Send + Sync + 'static {
    /// Sends one text message; the error text is for the log.
    async fn send_sms(&self, pool_id: &str, username: &str, to: &str, body: &str) -> Result<(), String>;
}

/// Where a code went, as Cognito reports it (destination masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDeliveryDetails {
    pub destination: String,
    pub delivery_medium: String,
    pub attribute_name: String,
}

/// What SignUp answers.
#[derive(Debug, Clone)]
pub struct SignUpOutcome {
    pub user_confirmed: bool,
    pub user_sub: String,
    pub code_delivery: Option<CodeDeliveryDetails>,
}

fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            let domain_first = domain.chars().next().unwrap_or('*');
            format!("{first}***@{domain_first}***")
        }
        None => "***".into(),
    }
}

fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    let tail: String = digits.iter().rev().take(4).rev().collect();
    format!("+{}{tail}", "*".repeat(digits.len().saturating_sub(5)))
}

fn new_code() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000u32))
}

/// A pending code as stored: a MAC under the master key of the user's sub, the purpose and the
/// code, so a copy of the database alone cannot be searched for the code.
fn code_hash(master_key: &crate::crypto::MasterKey, user: &User, purpose: CodePurpose, code: &str) -> String {
    hex::encode(master_key.mac("one-time-code", format!("{}:{purpose:?}:{code}", user.sub).as_bytes()))
}

/// How codes issued before they were MACed were stored (plain SHA-256); such a code still
/// works until it expires (a day at most), and none is issued any more.
fn legacy_code_hash(user: &User, purpose: CodePurpose, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{}:{purpose:?}:{code}", user.sub).as_bytes()))
}

/// What an app client may write: the attributes in its WriteAttributes (all when unset), never
/// a developer-only one (`dev:custom:…`, written by administrators alone).
fn check_client_writes(client: &super::AppClient, attributes: &[Attribute]) -> DomainResult<()> {
    let refused = attributes.iter().find(|attribute| {
        attribute.name.starts_with("dev:")
            || client.settings.write_attributes.as_ref().is_some_and(|writable| !writable.contains(&attribute.name))
    });
    match refused {
        Some(refused) => Err(DomainError::NotAuthorized(format!("A client attempted to write unauthorized attribute {}", refused.name))),
        None => Ok(()),
    }
}

fn template_text(value: Option<&Value>, name: &str) -> Option<String> {
    value.and_then(|template| template.get(name)).and_then(Value::as_str).map(str::to_string)
}

impl UserPoolService {
    /// Sends a message to `user`: by email through the configured channel when there is one,
    /// otherwise (and when sending fails) sealed into the outbox.
    async fn send_message(&self, pool: &UserPool, user: &User, medium: &str, destination: &str, subject: Option<String>, body: String)
        -> DomainResult<()> {
        if medium == "SMS" {
            if let Some(channel) = &self.sms_channel {
                match channel.send_sms(&pool.id, &user.username, destination, &body).await {
                    Ok(()) => {
                        tracing::info!(pool_id = %pool.id, username = %user.username, "SMS sent");
                        return Ok(());
                    }
                    Err(error) => {
                        tracing::error!(pool_id = %pool.id, username = %user.username, %error, "SMS not sent; kept in the outbox");
                    }
                }
            }
        }
        if medium == "EMAIL" {
            if let Some(channel) = &self.email_channel {
                match channel.send_email(destination, subject.as_deref().unwrap_or(""), &body).await {
                    Ok(()) => {
                        tracing::info!(pool_id = %pool.id, username = %user.username, "email sent");
                        return Ok(());
                    }
                    Err(error) => {
                        tracing::error!(pool_id = %pool.id, username = %user.username, %error, "email not sent; kept in the outbox");
                    }
                }
            }
        }
        let message = OutboxMessage {
            id: format!("{:016x}-{}", self.now(), crate::ids::new_uuid()),
            pool_id: pool.id.clone(),
            username: user.username.clone(),
            medium: medium.to_string(),
            destination: destination.to_string(),
            subject,
            body: self.master_key.seal(body.as_bytes(), OUTBOX_CONTEXT),
            created_ms: self.now(),
        };
        self.store.insert_outbox_message(&message).await.map_err(store_error)?;
        tracing::info!(pool_id = %pool.id, username = %user.username, medium, "message queued in the outbox");
        Ok(())
    }

    /// The newest messages, opened, for the root credentials.
    pub async fn outbox(&self, pool_id: Option<&str>, limit: u32) -> DomainResult<Vec<OutboxMessage>> {
        if let Some(pool_id) = pool_id {
            self.load_pool(pool_id).await?;
        }
        let messages = self.store.list_outbox_messages(pool_id, limit.clamp(1, 1000)).await.map_err(store_error)?;
        messages
            .into_iter()
            .map(|mut message| {
                let body = self.master_key.open(&message.body, OUTBOX_CONTEXT)?;
                message.body = String::from_utf8(body).map_err(DomainError::internal)?;
                Ok(message)
            })
            .collect()
    }

    /// The invitation AdminCreateUser sends, by the desired media (SMS by default, as in
    /// Cognito), falling back to whichever contact the user has.
    pub(super) async fn send_invitation(&self, pool: &UserPool, user: &User, temporary_password: &str, desired: &[String])
        -> DomainResult<()> {
        let template = pool.settings.admin_create_user.invite_message_template.as_ref();
        let fill = |text: String| text.replace("{username}", &user.username).replace("{####}", temporary_password);
        let mut media: Vec<&str> = desired.iter().map(String::as_str).collect();
        if media.is_empty() {
            media.push(if user.attribute("phone_number").is_some() { "SMS" } else { "EMAIL" });
        }
        for medium in media {
            let (attribute, body, subject) = if medium == "EMAIL" {
                let body = template_text(template, "EmailMessage")
                    .unwrap_or_else(|| "Your username is {username} and temporary password is {####}.".into());
                let subject = template_text(template, "EmailSubject").unwrap_or_else(|| "Your temporary password".into());
                ("email", body, Some(subject))
            } else {
                let body = template_text(template, "SMSMessage")
                    .unwrap_or_else(|| "Your username is {username} and temporary password is {####}.".into());
                ("phone_number", body, None)
            };
            if let Some(destination) = user.attribute(attribute) {
                self.send_message(pool, user, medium, destination, subject.map(fill), fill(body)).await?;
            }
        }
        Ok(())
    }

    /// Issues a code for `purpose`, saves it on the user and only then sends it to `attribute`,
    /// so a code that was sent is always the one stored.
    async fn send_code(&self, pool: &UserPool, user: &mut User, purpose: CodePurpose, attribute: &str) -> DomainResult<CodeDeliveryDetails> {
        if user.attribute(attribute).is_none() {
            return Err(DomainError::InvalidParameter(format!("The user has no {attribute} to send a code to.")));
        }
        let (attribute, code) = self.prepare_code(user, purpose, attribute);
        self.save_user(pool, user).await?;
        self.deliver_code(pool, user, &attribute, &code).await
    }

    /// Counts one attempt at `action` on `user` in memory, to be stored by the same write as the
    /// attempt's outcome (one compare-and-set: an attempt whose write finds the user changed is
    /// redone from a fresh read, counted again); refuses it once the user has made `per_hour`
    /// of them within the hour.
    fn count_attempt(&self, user: &mut User, action: &str, per_hour: u32) -> DomainResult<()> {
        let now = self.now();
        user.hourly_attempts.retain(|attempts| now - attempts.window_start_ms < HOUR_MS);
        let index = match user.hourly_attempts.iter().position(|attempts| attempts.action == action) {
            Some(index) => index,
            None => {
                user.hourly_attempts.push(super::HourlyAttempts { action: action.to_string(), window_start_ms: now, count: 0 });
                user.hourly_attempts.len() - 1
            }
        };
        if user.hourly_attempts[index].count >= per_hour {
            return Err(DomainError::LimitExceeded("Attempt limit exceeded, please try after some time.".into()));
        }
        user.hourly_attempts[index].count += 1;
        Ok(())
    }

    /// Counts one attempt at `action` by `user` before the attempt is evaluated, and stores the
    /// count (on a fresh read when another request changed the user meanwhile, so parallel
    /// attempts are each counted); refuses the attempt once the user has made `per_hour` of
    /// them within the hour. `user` is then the stored user.
    pub(super) async fn record_attempt(&self, pool: &UserPool, user: &mut User, action: &str, per_hour: u32) -> DomainResult<()> {
        self.change_user_document(pool, user, |user| self.count_attempt(user, action, per_hour)).await
    }

    /// Checks a code; on success removes it and returns the attribute it was sent to. Wrong
    /// guesses are counted and the code withdrawn after [`MAX_CODE_ATTEMPTS`].
    async fn consume_code(&self, pool: &UserPool, user: &mut User, purpose: CodePurpose, code: &str) -> DomainResult<Option<String>> {
        Ok(self.consume_pending_code(pool, user, purpose, code).await?.attribute)
    }

    /// As [`Self::consume_code`], returning the whole pending code (with any value it holds).
    async fn consume_pending_code(&self, pool: &UserPool, user: &mut User, purpose: CodePurpose, code: &str) -> DomainResult<PendingCode> {
        let now = self.now();
        let Some(index) = user.pending_codes.iter().position(|pending| pending.purpose == purpose) else {
            return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()));
        };
        if user.pending_codes[index].expires_ms < now {
            user.pending_codes.remove(index);
            self.save_user(pool, user).await?;
            return Err(DomainError::ExpiredCode("Invalid code provided, please request a code again.".into()));
        }
        let expected = user.pending_codes[index].code_hash.clone();
        let matches = constant_time_eq(expected.as_bytes(), code_hash(&self.master_key, user, purpose, code.trim()).as_bytes())
            | constant_time_eq(expected.as_bytes(), legacy_code_hash(user, purpose, code.trim()).as_bytes());
        if !matches {
            user.pending_codes[index].failed_attempts += 1;
            let exhausted = user.pending_codes[index].failed_attempts >= MAX_CODE_ATTEMPTS;
            if exhausted {
                user.pending_codes.remove(index);
            }
            self.save_user(pool, user).await?;
            return Err(if exhausted {
                DomainError::LimitExceeded("Attempt limit exceeded, please try after some time.".into())
            } else {
                DomainError::CodeMismatch("Invalid verification code provided, please try again.".into())
            });
        }
        Ok(user.pending_codes.remove(index))
    }

    /// Where a code would have gone, for a user who does not exist (PreventUserExistenceErrors):
    /// a username that is an email or phone number is masked as a real user's would be (it is
    /// their address in pools that sign in by email or phone); any other gets letters derived
    /// from the decoy seed, the same on every request.
    fn decoy_delivery(&self, pool: &UserPool, username: &str) -> CodeDeliveryDetails {
        if attributes::is_email(username) {
            return CodeDeliveryDetails { destination: mask_email(username), delivery_medium: "EMAIL".into(), attribute_name: "email".into() };
        }
        if attributes::is_phone_number(username) {
            return CodeDeliveryDetails { destination: mask_phone(username), delivery_medium: "SMS".into(), attribute_name: "phone_number".into() };
        }
        let seed = self.decoy_seed(pool, username);
        let letter = |byte: u8| char::from(b'a' + byte % 26);
        CodeDeliveryDetails {
            destination: format!("{}***@{}***", letter(seed[0]), letter(seed[1])),
            delivery_medium: "EMAIL".into(),
            attribute_name: "email".into(),
        }
    }

    /// Which attribute a sign-up code goes to: the first auto-verified attribute the user has.
    fn sign_up_channel(pool: &UserPool, user: &User) -> Option<String> {
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
        client_id: &str,
        username: &str,
        password: &str,
        raw_attributes: &[Attribute],
        secret_hash: Option<&str>,
    ) -> DomainResult<SignUpOutcome> {
        let (pool, client) = self.client_for(client_id, &Caller::Client).await?;
        if pool.settings.admin_create_user.allow_admin_create_user_only {
            return Err(DomainError::NotAuthorized("SignUp is not permitted for this user pool".into()));
        }
        crate::ids::check_name(username, "username")?;
        self.check_secret_hash(&client, &[username], secret_hash)?;
        check_client_writes(&client, raw_attributes)?;
        let (canonical, attributes, sub) = self.prepare_new_user(&pool, username, raw_attributes)?;
        password::check_password(&pool.settings.password_policy, password)?;
        let now = self.now();
        let mut user = User::new(&pool.id, canonical, sub.clone(), attributes, UserStatus::Unconfirmed, now);
        self.set_password(&pool, &mut user, password).await?;
        let channel = Self::sign_up_channel(&pool, &user);
        // The code is recorded on the user before the insert, so a user never exists without
        // the code that was sent.
        let code_delivery = match &channel {
            Some(attribute) => Some(self.prepare_code(&mut user, CodePurpose::ConfirmSignUp, attribute)),
            None => None,
        };
        match self.store.insert_user(&self.user_record(&pool, &user)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(ConflictOn::Key)) => return Err(DomainError::UsernameExists("User already exists".into())),
            Err(StoreError::Conflict(ConflictOn::Alias(attribute))) => return Err(Self::alias_error(&pool, &attribute)),
            Err(error) => return Err(store_error(error)),
        }
        let code_delivery = match code_delivery {
            Some((attribute, code)) => Some(self.deliver_code(&pool, &user, &attribute, &code).await?),
            None => None,
        };
        Ok(SignUpOutcome { user_confirmed: false, user_sub: sub, code_delivery })
    }

    /// Records a new code on the user without sending it; returns the attribute and the code.
    fn prepare_code(&self, user: &mut User, purpose: CodePurpose, attribute: &str) -> (String, String) {
        let code = new_code();
        user.pending_codes.retain(|pending| pending.purpose != purpose);
        let validity = match purpose {
            CodePurpose::ConfirmSignUp | CodePurpose::VerifyEmail | CodePurpose::VerifyPhoneNumber => SIGN_UP_CODE_VALIDITY_MS,
            CodePurpose::ResetPassword => RESET_CODE_VALIDITY_MS,
        };
        user.pending_codes.push(PendingCode {
            purpose,
            code_hash: code_hash(&self.master_key, user, purpose, &code),
            expires_ms: self.now() + validity,
            failed_attempts: 0,
            attribute: Some(attribute.to_string()),
            pending_value: None,
        });
        (attribute.to_string(), code)
    }

    async fn deliver_code(&self, pool: &UserPool, user: &User, attribute: &str, code: &str) -> DomainResult<CodeDeliveryDetails> {
        let destination = user.attribute(attribute).unwrap_or_default().to_string();
        self.deliver_code_to(pool, user, attribute, &destination, code).await
    }

    async fn deliver_code_to(&self, pool: &UserPool, user: &User, attribute: &str, destination: &str, code: &str) -> DomainResult<CodeDeliveryDetails> {
        let destination = destination.to_string();
        let opaque = &pool.settings.opaque;
        let template = opaque.get("VerificationMessageTemplate");
        let email = attribute == "email";
        let body = if email {
            template_text(template, "EmailMessage")
                .or_else(|| opaque.get("EmailVerificationMessage").and_then(Value::as_str).map(str::to_string))
        } else {
            template_text(template, "SmsMessage").or_else(|| opaque.get("SmsVerificationMessage").and_then(Value::as_str).map(str::to_string))
        }
        .unwrap_or_else(|| "Your verification code is {####}.".into());
        let subject = email.then(|| {
            template_text(template, "EmailSubject")
                .or_else(|| opaque.get("EmailVerificationSubject").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| "Your verification code".into())
        });
        let medium = if email { "EMAIL" } else { "SMS" };
        self.send_message(pool, user, medium, &destination, subject, body.replace("{####}", code).replace("{username}", &user.username))
            .await?;
        Ok(CodeDeliveryDetails {
            destination: if email { mask_email(&destination) } else { mask_phone(&destination) },
            delivery_medium: medium.into(),
            attribute_name: attribute.into(),
        })
    }

    async fn client_user(&self, client_id: &str, username: &str, secret_hash: Option<&str>) -> DomainResult<(UserPool, super::AppClient, Option<User>)> {
        let (pool, client) = self.client_for(client_id, &Caller::Client).await?;
        let user = self.find_signing_in_user(&pool, &client, username, secret_hash).await?;
        Ok((pool, client, user))
    }

    /// ConfirmSignUp. The verified email or phone becomes an alias; when another user holds it,
    /// AliasExistsException, unless `force_alias_creation` moves it here (the other user's
    /// value becomes unverified).
    pub async fn confirm_sign_up(&self, client_id: &str, username: &str, code: &str, secret_hash: Option<&str>, force_alias_creation: bool) -> DomainResult<()> {
        retrying(|| self.confirm_sign_up_once(client_id, username, code, secret_hash, force_alias_creation)).await
    }

    async fn confirm_sign_up_once(&self, client_id: &str, username: &str, code: &str, secret_hash: Option<&str>, force_alias_creation: bool) -> DomainResult<()> {
        let (pool, _, user) = self.client_user(client_id, username, secret_hash).await?;
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
    pub async fn resend_confirmation_code(&self, client_id: &str, username: &str, secret_hash: Option<&str>)
        -> DomainResult<Option<CodeDeliveryDetails>> {
        retrying(|| self.resend_confirmation_code_once(client_id, username, secret_hash)).await
    }

    async fn resend_confirmation_code_once(&self, client_id: &str, username: &str, secret_hash: Option<&str>)
        -> DomainResult<Option<CodeDeliveryDetails>> {
        let (pool, _, user) = self.client_user(client_id, username, secret_hash).await?;
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
        let details = self.send_code(&pool, &mut user, CodePurpose::ConfirmSignUp, &channel).await?;
        Ok(Some(details))
    }

    /// AdminConfirmSignUp.
    pub async fn admin_confirm_sign_up(&self, pool_id: &str, username: &str) -> DomainResult<()> {
        retrying(|| self.admin_confirm_sign_up_once(pool_id, username)).await
    }

    async fn admin_confirm_sign_up_once(&self, pool_id: &str, username: &str) -> DomainResult<()> {
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

    /// The verified channel a password-reset code goes to, by the pool's recovery setting.
    fn recovery_channel(pool: &UserPool, user: &User) -> Option<String> {
        let mechanisms: Vec<String> = match &pool.settings.account_recovery {
            Some(mechanisms) => {
                let mut sorted = mechanisms.clone();
                sorted.sort_by_key(|mechanism| mechanism.priority);
                sorted.into_iter().map(|mechanism| mechanism.name).collect()
            }
            None => vec!["verified_phone_number".into(), "verified_email".into()],
        };
        mechanisms.iter().find_map(|mechanism| {
            let attribute = mechanism.strip_prefix("verified_")?;
            let verified = user.attribute(&format!("{attribute}_verified")) == Some("true");
            (verified && user.attribute(attribute).is_some()).then(|| attribute.to_string())
        })
    }

    /// ForgotPassword. With PreventUserExistenceErrors an unknown user gets a plausible answer.
    pub async fn forgot_password(&self, client_id: &str, username: &str, secret_hash: Option<&str>)
        -> DomainResult<CodeDeliveryDetails> {
        retrying(|| self.forgot_password_once(client_id, username, secret_hash)).await
    }

    async fn forgot_password_once(&self, client_id: &str, username: &str, secret_hash: Option<&str>)
        -> DomainResult<CodeDeliveryDetails> {
        let (pool, _, user) = self.client_user(client_id, username, secret_hash).await?;
        let Some(mut user) = user else {
            self.decoy_write(&pool, username, true).await?;
            return Ok(self.decoy_delivery(&pool, username));
        };
        if pool.settings.account_recovery.as_ref().is_some_and(|mechanisms| mechanisms.iter().any(|mechanism| mechanism.name == "admin_only")) {
            return Err(DomainError::NotAuthorized("The user pool allows account recovery by an administrator only.".into()));
        }
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        let channel = Self::recovery_channel(&pool, &user).ok_or_else(|| {
            DomainError::InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email or phone_number".into(),
            )
        })?;
        self.count_attempt(&mut user, "ForgotPassword", 5)?;
        self.send_code(&pool, &mut user, CodePurpose::ResetPassword, &channel).await
    }

    /// ConfirmForgotPassword.
    pub async fn confirm_forgot_password(
        &self,
        client_id: &str,
        username: &str,
        code: &str,
        new_password: &str,
        secret_hash: Option<&str>,
    ) -> DomainResult<()> {
        retrying(|| self.confirm_forgot_password_once(client_id, username, code, new_password, secret_hash)).await
    }

    async fn confirm_forgot_password_once(
        &self,
        client_id: &str,
        username: &str,
        code: &str,
        new_password: &str,
        secret_hash: Option<&str>,
    ) -> DomainResult<()> {
        let (pool, _, user) = self.client_user(client_id, username, secret_hash).await?;
        let Some(mut user) = user else {
            password::check_password(&pool.settings.password_policy, new_password)?;
            self.decoy_write(&pool, username, false).await?;
            return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()));
        };
        password::check_password(&pool.settings.password_policy, new_password)?;
        self.count_attempt(&mut user, "ConfirmForgotPassword", 10)?;
        self.consume_code(&pool, &mut user, CodePurpose::ResetPassword, code).await?;
        self.set_password(&pool, &mut user, new_password).await?;
        user.status = UserStatus::Confirmed;
        user.temporary_password_expires_ms = None;
        user.failed_sign_ins = 0;
        user.last_failed_sign_in_ms = None;
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await?;
        self.after_password_reset(&pool, &user).await
    }

    /// AdminResetUserPassword: the user must reset their password with a code before signing in.
    pub async fn admin_reset_user_password(&self, pool_id: &str, username: &str) -> DomainResult<()> {
        retrying(|| self.admin_reset_user_password_once(pool_id, username)).await
    }

    async fn admin_reset_user_password_once(&self, pool_id: &str, username: &str) -> DomainResult<()> {
        let pool = self.load_pool(pool_id).await?;
        let mut user = self.resolve_user(&pool, username).await?;
        let channel = Self::recovery_channel(&pool, &user).ok_or_else(|| {
            DomainError::InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email or phone_number".into(),
            )
        })?;
        user.status = UserStatus::ResetRequired;
        user.modified_ms = self.now();
        self.send_code(&pool, &mut user, CodePurpose::ResetPassword, &channel).await?;
        self.after_password_reset(&pool, &user).await
    }
}

impl UserPoolService {
    /// UpdateUserAttributes, by the holder of an access token. A changed email or phone number
    /// becomes unverified and a code is sent to it.
    pub async fn update_user_attributes(&self, access_token: &str, changes: &[Attribute]) -> DomainResult<Vec<CodeDeliveryDetails>> {
        let holder = self.authenticate_access_token(access_token).await?;
        let client_id = holder.claims.get("client_id").and_then(Value::as_str).unwrap_or("").to_string();
        let (pool, client) = self.client_for(&client_id, &Caller::Client).await?;
        check_client_writes(&client, changes)?;
        if changes.iter().any(|change| change.name.ends_with("_verified")) {
            return Err(DomainError::NotAuthorized("A user may not mark an attribute verified.".into()));
        }
        let before = holder.user.clone();
        // AttributesRequireVerificationBeforeUpdate: a verified email or phone number keeps its
        // value until the code sent to the new one comes back.
        let held: Vec<String> = pool
            .settings
            .opaque
            .get("UserAttributeUpdateSettings")
            .and_then(|settings| settings.get("AttributesRequireVerificationBeforeUpdate"))
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let (waiting, applied): (Vec<Attribute>, Vec<Attribute>) = changes.iter().cloned().partition(|change| {
            held.contains(&change.name)
                && before.attribute(&format!("{}_verified", change.name)) == Some("true")
                && before.attribute(&change.name) != Some(change.value.as_str())
                && pool.settings.auto_verified_attributes.contains(&change.name)
        });
        let mut deliveries = Vec::new();
        if !waiting.is_empty() {
            attributes::check_attributes(&pool, &waiting, super::AttributeWrite::Update)?;
        }
        if !applied.is_empty() {
            self.admin_update_user_attributes(&pool.id, &holder.user.username, &applied).await?;
        }
        // The codes are stored on the user first (redone on a fresh read if the user changed
        // meanwhile), then sent: a code that was sent is always the one stored.
        let mut codes: Vec<(String, String, String)> = Vec::new();
        let username_key = pool.username_key(&holder.user.username);
        let user = self
            .change_user(&pool, &username_key, |user| {
                codes.clear();
                for change in &waiting {
                    let purpose = CodePurpose::verifying(&change.name).expect("email and phone_number are verifiable");
                    let (attribute, code) = self.prepare_code(user, purpose, &change.name);
                    if let Some(pending) = user.pending_codes.iter_mut().find(|pending| pending.purpose == purpose) {
                        pending.pending_value = Some(change.value.clone());
                    }
                    codes.push((attribute, change.value.clone(), code));
                }
                for attribute in ["email", "phone_number"] {
                    let changed = user.attribute(attribute).is_some() && user.attribute(attribute) != before.attribute(attribute);
                    let changed = changed && !waiting.iter().any(|change| change.name == attribute);
                    if changed && pool.settings.auto_verified_attributes.iter().any(|name| name == attribute) {
                        let purpose = CodePurpose::verifying(attribute).expect("email and phone_number are verifiable");
                        let destination = user.attribute(attribute).unwrap_or_default().to_string();
                        let (attribute, code) = self.prepare_code(user, purpose, attribute);
                        codes.push((attribute, destination, code));
                    }
                }
                Ok(())
            })
            .await?;
        for (attribute, destination, code) in &codes {
            deliveries.push(self.deliver_code_to(&pool, &user, attribute, destination, code).await?);
        }
        Ok(deliveries)
    }

    /// GetUserAttributeVerificationCode.
    pub async fn get_user_attribute_verification_code(&self, access_token: &str, attribute: &str) -> DomainResult<CodeDeliveryDetails> {
        retrying(|| self.get_user_attribute_verification_code_once(access_token, attribute)).await
    }

    async fn get_user_attribute_verification_code_once(&self, access_token: &str, attribute: &str) -> DomainResult<CodeDeliveryDetails> {
        let holder = self.authenticate_access_token(access_token).await?;
        let purpose = CodePurpose::verifying(attribute)
            .ok_or_else(|| DomainError::InvalidParameter(format!("{attribute} cannot be verified.")))?;
        let (pool, mut user) = (holder.pool, holder.user);
        self.count_attempt(&mut user, "GetUserAttributeVerificationCode", 5)?;
        self.send_code(&pool, &mut user, purpose, attribute).await
    }

    /// VerifyUserAttribute.
    pub async fn verify_user_attribute(&self, access_token: &str, attribute: &str, code: &str) -> DomainResult<()> {
        retrying(|| self.verify_user_attribute_once(access_token, attribute, code)).await
    }

    async fn verify_user_attribute_once(&self, access_token: &str, attribute: &str, code: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        let purpose = CodePurpose::verifying(attribute)
            .ok_or_else(|| DomainError::InvalidParameter(format!("{attribute} cannot be verified.")))?;
        let (pool, mut user) = (holder.pool, holder.user);
        self.count_attempt(&mut user, "VerifyUserAttribute", 15)?;
        let pending = self.consume_pending_code(&pool, &mut user, purpose, code).await?;
        if let Some(value) = pending.pending_value {
            set_attribute(&mut user.attributes, attribute, &value);
        }
        set_attribute(&mut user.attributes, &format!("{attribute}_verified"), "true");
        user.modified_ms = self.now();
        self.save_user(&pool, &mut user).await
    }

    /// DeleteUserAttributes, by the holder of an access token.
    pub async fn delete_user_attributes(&self, access_token: &str, names: &[String]) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.admin_delete_user_attributes(&holder.pool.id, &holder.user.username, names).await
    }

    /// DeleteUser, by the holder of an access token.
    pub async fn delete_user(&self, access_token: &str) -> DomainResult<()> {
        let holder = self.authenticate_access_token(access_token).await?;
        self.admin_delete_user(&holder.pool.id, &holder.user.username).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask_email("alice@example.com"), "a***@e***");
        assert_eq!(mask_phone("+14155550100"), "+*******0100");
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|byte| byte.is_ascii_digit()));
        }
    }
}
