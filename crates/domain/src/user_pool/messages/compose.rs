//! A message's way out. Composed first, from the pool's templates or by its CustomMessage
//! trigger, before anything is written (a trigger that fails leaves no code stored that was
//! never sent); then dispatched: to the pool's CustomEmailSender / CustomSMSSender when it has
//! one, else by the server's email or SMS channel, else (and when those fail) into the outbox.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use super::*;
use crate::user_pool::triggers::{event_attributes, invalid_response, Trigger};

/// Why a message is sent: the part of its trigger source after `CustomMessage_`,
/// `CustomEmailSender_` or `CustomSMSSender_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageSource {
    SignUp,
    AdminCreateUser,
    ResendCode,
    ForgotPassword,
    UpdateUserAttribute,
    VerifyUserAttribute,
    Authentication,
}

impl MessageSource {
    fn name(self) -> &'static str {
        match self {
            MessageSource::SignUp => "SignUp",
            MessageSource::AdminCreateUser => "AdminCreateUser",
            MessageSource::ResendCode => "ResendCode",
            MessageSource::ForgotPassword => "ForgotPassword",
            MessageSource::UpdateUserAttribute => "UpdateUserAttribute",
            MessageSource::VerifyUserAttribute => "VerifyUserAttribute",
            MessageSource::Authentication => "Authentication",
        }
    }

    /// The source of a code sent for `purpose` when it is asked for again.
    pub(crate) fn of_code(purpose: CodePurpose) -> Self {
        match purpose {
            CodePurpose::ConfirmSignUp => MessageSource::ResendCode,
            CodePurpose::ResetPassword => MessageSource::ForgotPassword,
            CodePurpose::VerifyEmail | CodePurpose::VerifyPhoneNumber => MessageSource::VerifyUserAttribute,
        }
    }
}

/// A message before it is composed: the pool's template (placeholders `{####}` for the code and
/// `{username}`), where it goes, and the code it carries.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub source: MessageSource,
    /// `EMAIL` or `SMS`.
    pub medium: &'static str,
    pub destination: String,
    pub subject: Option<String>,
    pub body: String,
    pub code: String,
}

impl Draft {
    /// The message with its placeholders filled in: the code, the username, and no link.
    fn filled(mut self, username: &str) -> Draft {
        let fill = |text: &str| text.replace("{####}", &self.code).replace("{username}", username).replace("{##Click Here##}", "");
        self.body = fill(&self.body);
        self.subject = self.subject.as_deref().map(fill);
        self
    }
}

/// A composed message: either text ready to send, or the code for the pool's custom sender.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    draft: Draft,
    custom_sender: bool,
}

/// The sender trigger of a medium.
fn sender(medium: &str) -> Trigger {
    if medium == "EMAIL" {
        Trigger::CustomEmailSender
    } else {
        Trigger::CustomSmsSender
    }
}

impl UserPoolService {
    /// Composes `draft`: handed whole to the pool's custom sender of its medium when it has one;
    /// else through CustomMessage when the pool has it (its `emailMessage` / `smsMessage` and
    /// `emailSubject` replace the templates; a message without the code's `{####}` is an invalid
    /// answer); then the placeholders are filled in.
    pub(crate) async fn compose(&self, pool: &UserPool, user: &User, client_id: Option<&str>, mut draft: Draft) -> DomainResult<Outgoing> {
        if crate::user_pool::triggers::trigger_function(pool, sender(draft.medium)).is_some() {
            return Ok(Outgoing { draft, custom_sender: true });
        }
        let username_parameter = if draft.source == MessageSource::AdminCreateUser { json!("{username}") } else { Value::Null };
        let request = json!({
            "userAttributes": event_attributes(user, true),
            "codeParameter": "{####}",
            "linkParameter": "{##Click Here##}",
            "usernameParameter": username_parameter,
            "clientMetadata": {},
        });
        let source = format!("CustomMessage_{}", draft.source.name());
        if let Some(response) = self.run_trigger(pool, Trigger::CustomMessage, &source, &user.username, client_id, request).await? {
            let text = |name: &str| match response.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(invalid_response(Trigger::CustomMessage, &format!("{name} is not a string"))),
            };
            let body = text(if draft.medium == "EMAIL" { "emailMessage" } else { "smsMessage" })?;
            if let Some(body) = body {
                if !body.contains("{####}") {
                    return Err(invalid_response(Trigger::CustomMessage, "the message does not contain the code parameter {####}"));
                }
                draft.body = body;
            }
            if draft.medium == "EMAIL" {
                if let Some(subject) = text("emailSubject")? {
                    draft.subject = Some(subject);
                }
            }
        }
        Ok(Outgoing { draft: draft.filled(&user.username), custom_sender: false })
    }

    /// Sends a composed message. The custom sender gets the event Cognito gives it
    /// (`CustomEmailSender_<source>` / `CustomSMSSender_<source>`, `request.type`,
    /// `request.code`, encrypted as [`UserPoolService::sender_code`] says); when the code cannot
    /// be encrypted, or the sender fails or does not answer, the message goes the server's way
    /// instead, so it is not lost.
    pub(crate) async fn dispatch(&self, pool: &UserPool, user: &User, client_id: Option<&str>, outgoing: Outgoing) -> DomainResult<()> {
        let Outgoing { draft, custom_sender } = outgoing;
        if custom_sender {
            let trigger = sender(draft.medium);
            let kind = if draft.medium == "EMAIL" { "customEmailSenderRequestV1" } else { "customSMSSenderRequestV1" };
            let source = format!("{}_{}", trigger.name(), draft.source.name());
            let sent: DomainResult<()> = async {
                let code = self.sender_code(pool, &draft.code).await?;
                let request = json!({"type": kind, "code": code, "userAttributes": event_attributes(user, true), "clientMetadata": {}});
                self.run_trigger(pool, trigger, &source, &user.username, client_id, request).await.map(|_| ())
            }
            .await;
            let Err(error) = sent else { return Ok(()) };
            tracing::error!(pool_id = %pool.id, username = %user.username, %error, "the custom sender failed; the message goes to the outbox");
            let draft = draft.filled(&user.username);
            return self.send_message(pool, user, draft.medium, &draft.destination, draft.subject, draft.body).await;
        }
        self.send_message(pool, user, draft.medium, &draft.destination, draft.subject, draft.body).await
    }

    /// The code as a custom sender is given it: with a key service and the pool's `KMSKeyID`, a
    /// message of the AWS Encryption SDK (base64) under a data key made for this one code, as
    /// Cognito gives it; without a key service, as it is (the sender is reached over the Lambda
    /// endpoint the operator configured, signed when it has keys).
    async fn sender_code(&self, pool: &UserPool, code: &str) -> DomainResult<String> {
        let key_id = pool.settings.opaque.get("LambdaConfig").and_then(|config| config.get("KMSKeyID")).and_then(Value::as_str).filter(|key| !key.is_empty());
        let (Some(key_id), Some(keys)) = (key_id, &self.key_service) else {
            return Ok(code.to_string());
        };
        let context = std::collections::BTreeMap::from([(super::sender_code::POOL_CONTEXT_KEY.to_string(), pool.id.to_string())]);
        let data_key = keys
            .generate_data_key(key_id, &context)
            .await
            .map_err(|error| DomainError::internal(format!("the key service did not make a data key under {key_id}: {error}")))?;
        Ok(BASE64.encode(super::sender_code::encrypt(&data_key, &context, code.as_bytes())))
    }

    /// Composes and at once sends `draft`, for messages sent after their writes.
    pub(crate) async fn compose_and_send(&self, pool: &UserPool, user: &User, client_id: Option<&str>, draft: Draft) -> DomainResult<()> {
        let outgoing = self.compose(pool, user, client_id, draft).await?;
        self.dispatch(pool, user, client_id, outgoing).await
    }

    /// Sends a message to `user`: by the server's channel of its medium when there is one,
    /// otherwise (and when sending fails) sealed into the outbox.
    pub(super) async fn send_message(&self, pool: &UserPool, user: &User, medium: &str, destination: &str, subject: Option<String>, body: String)
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
            pool_id: pool.id.to_string(),
            username: user.username.clone(),
            medium: medium.to_string(),
            destination: destination.to_string(),
            subject,
            body: self.master_key.seal(body.as_bytes(), OUTBOX_CONTEXT),
            created_ms: self.now(),
        };
        self.store.insert_outbox_message(&message).await?;
        tracing::info!(pool_id = %pool.id, username = %user.username, medium, "message queued in the outbox");
        Ok(())
    }

    /// The invitations AdminCreateUser sends, by the desired media (SMS by default, as in
    /// Cognito), to whichever of them the user has an address for.
    pub(crate) fn invitation_drafts(pool: &UserPool, user: &User, temporary_password: &str, desired: &[String]) -> Vec<Draft> {
        let template = pool.settings.admin_create_user.invite_message_template.as_ref();
        let mut media: Vec<&str> = desired.iter().map(String::as_str).collect();
        if media.is_empty() {
            media.push(if user.attribute("phone_number").is_some() { "SMS" } else { "EMAIL" });
        }
        let default_body = "Your username is {username} and temporary password is {####}.";
        media
            .into_iter()
            .filter_map(|medium| {
                let (medium, attribute, body, subject) = if medium == "EMAIL" {
                    let body = template_text(template, "EmailMessage").unwrap_or_else(|| default_body.into());
                    ("EMAIL", "email", body, Some(template_text(template, "EmailSubject").unwrap_or_else(|| "Your temporary password".into())))
                } else {
                    ("SMS", "phone_number", template_text(template, "SMSMessage").unwrap_or_else(|| default_body.into()), None)
                };
                let destination = user.attribute(attribute)?.to_string();
                Some(Draft { source: MessageSource::AdminCreateUser, medium, destination, subject, body, code: temporary_password.to_string() })
            })
            .collect()
    }

    /// Composes every invitation of `drafts` (before the user is written).
    pub(crate) async fn compose_all(&self, pool: &UserPool, user: &User, drafts: Vec<Draft>) -> DomainResult<Vec<Outgoing>> {
        let mut composed = Vec::with_capacity(drafts.len());
        for draft in drafts {
            composed.push(self.compose(pool, user, None, draft).await?);
        }
        Ok(composed)
    }

    /// Issues a code for `purpose`, composes its message, saves it on the user and only then
    /// sends it to `attribute`, so a code that was sent is always the one stored.
    pub(super) async fn send_code(&self, pool: &UserPool, user: &mut User, purpose: CodePurpose, attribute: &str, client_id: Option<&str>) -> DomainResult<CodeDeliveryDetails> {
        if user.attribute(attribute).is_none() {
            return Err(DomainError::InvalidParameter(format!("The user has no {attribute} to send a code to.")));
        }
        let (attribute, code) = self.prepare_code(user, purpose, attribute);
        let destination = user.attribute(&attribute).unwrap_or_default().to_string();
        let draft = Self::verification_draft(pool, &attribute, destination, code, MessageSource::of_code(purpose));
        let details = delivery_details(&draft, &attribute);
        let outgoing = self.compose(pool, user, client_id, draft).await?;
        self.save_user(pool, user).await?;
        self.dispatch(pool, user, client_id, outgoing).await?;
        Ok(details)
    }

    /// A sign-in code's message (an MFA code, or EMAIL_OTP / SMS_OTP) to the user's phone or
    /// email address, with the pool's MFA message.
    pub(crate) fn sign_in_draft(pool: &UserPool, user: &User, attribute: &str, code: &str) -> Draft {
        let destination = user.attribute(attribute).unwrap_or_default().to_string();
        let code = code.to_string();
        if attribute == "email" {
            let settings = pool.mfa.email.clone().unwrap_or_default();
            let body = settings.message.unwrap_or_else(|| "Your authentication code is {####}.".into());
            let subject = settings.subject.unwrap_or_else(|| "Your authentication code".into());
            return Draft { source: MessageSource::Authentication, medium: "EMAIL", destination, subject: Some(subject), body, code };
        }
        let body = pool
            .mfa
            .sms
            .as_ref()
            .and_then(|sms| sms.message.clone())
            .or_else(|| pool.settings.opaque.get("SmsAuthenticationMessage").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "Your authentication code is {####}. ".into());
        Draft { source: MessageSource::Authentication, medium: "SMS", destination, subject: None, body, code }
    }

    /// A verification code's message to `destination` (the value of `attribute`, or the value
    /// it is about to take), with the pool's verification message.
    pub(super) fn verification_draft(pool: &UserPool, attribute: &str, destination: String, code: String, source: MessageSource) -> Draft {
        let opaque = &pool.settings.opaque;
        let template = opaque.get("VerificationMessageTemplate");
        let setting = |name: &str| opaque.get(name).and_then(Value::as_str).map(str::to_string);
        let email = attribute == "email";
        let body = if email {
            template_text(template, "EmailMessage").or_else(|| setting("EmailVerificationMessage"))
        } else {
            template_text(template, "SmsMessage").or_else(|| setting("SmsVerificationMessage"))
        }
        .unwrap_or_else(|| "Your verification code is {####}.".into());
        let subject = email.then(|| {
            template_text(template, "EmailSubject").or_else(|| setting("EmailVerificationSubject")).unwrap_or_else(|| "Your verification code".into())
        });
        Draft { source, medium: if email { "EMAIL" } else { "SMS" }, destination, subject, body, code }
    }
}


/// Where a drafted message goes, masked, as Cognito reports it.
pub(crate) fn delivery_details(draft: &Draft, attribute: &str) -> CodeDeliveryDetails {
    let email = draft.medium == "EMAIL";
    CodeDeliveryDetails {
        destination: if email { mask_email(&draft.destination) } else { mask_phone(&draft.destination) },
        delivery_medium: draft.medium.into(),
        attribute_name: attribute.into(),
    }
}
