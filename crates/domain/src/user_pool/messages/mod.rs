//! Messages to users and the one-time codes they carry: invitations, sign-up confirmation
//! (SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp) and account recovery
//! (ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword). Messages go to the outbox,
//! sealed under the master key, where the root credentials can read them.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::mfa::MfaFactor;
use super::retrying;
use super::{
    attributes, password, set_attribute, Attribute, CodePurpose, OutboxMessage, PendingCode, User, UserPool,
    UserPoolService, UserStatus,
};
use crate::ids::{ClientId, UserPoolId};
use crate::crypto::constant_time_eq;
use crate::error::{DomainError, DomainResult};
use crate::store::{ConflictOn, StoreError};

pub use super::channels::{EmailChannel, SmsChannel};

mod account;
pub(crate) mod compose;
mod recovery;
mod sender_code;
mod sign_up;

const SIGN_UP_CODE_VALIDITY_MS: i64 = 24 * 60 * 60 * 1000;
const RESET_CODE_VALIDITY_MS: i64 = 60 * 60 * 1000;
/// Wrong guesses a code survives before it is withdrawn.
const MAX_CODE_ATTEMPTS: u32 = 5;
use crate::sealing::OUTBOX_MESSAGE as OUTBOX_CONTEXT;
const HOUR_MS: i64 = 60 * 60 * 1000;


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
    /// The Session that ConfirmSignUp trades for an immediate sign-in (clients allowing USER_AUTH).
    pub session: Option<String>,
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

pub(super) fn new_code() -> String {
    crate::crypto::random_string(b"0123456789", 6)
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
    /// The newest messages, opened, for the root credentials.
    pub async fn outbox(&self, pool_id: Option<&str>, limit: u32) -> DomainResult<Vec<OutboxMessage>> {
        if let Some(pool_id) = pool_id {
            self.load_pool(pool_id).await?;
        }
        let messages = self.store.list_outbox_messages(pool_id, limit.clamp(1, 1000)).await?;
        messages
            .into_iter()
            .map(|mut message| {
                let body = self.master_key.open(&message.body, OUTBOX_CONTEXT)?;
                message.body = String::from_utf8(body).map_err(DomainError::internal)?;
                Ok(message)
            })
            .collect()
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
        let factor = if !attributes::is_email(username) && attributes::is_phone_number(username) { MfaFactor::Sms } else { MfaFactor::Email };
        self.decoy_sign_in_delivery(pool, username, factor)
    }

    /// Where a sign-in code would go for a user who does not exist: the username itself when it
    /// is an address or a phone number of the factor's kind, else one made up from it.
    pub(crate) fn decoy_sign_in_delivery(&self, pool: &UserPool, username: &str, factor: MfaFactor) -> CodeDeliveryDetails {
        let seed = self.decoy_seed(pool, username);
        match factor {
            MfaFactor::Sms if attributes::is_phone_number(username) => {
                CodeDeliveryDetails { destination: mask_phone(username), delivery_medium: "SMS".into(), attribute_name: "phone_number".into() }
            }
            MfaFactor::Sms => {
                let digits: String = seed[..4].iter().map(|byte| char::from(b'0' + byte % 10)).collect();
                CodeDeliveryDetails { destination: format!("+*******{digits}"), delivery_medium: "SMS".into(), attribute_name: "phone_number".into() }
            }
            _ if attributes::is_email(username) => {
                CodeDeliveryDetails { destination: mask_email(username), delivery_medium: "EMAIL".into(), attribute_name: "email".into() }
            }
            _ => {
                let letter = |byte: u8| char::from(b'a' + byte % 26);
                CodeDeliveryDetails { destination: format!("{}***@{}***", letter(seed[0]), letter(seed[1])), delivery_medium: "EMAIL".into(), attribute_name: "email".into() }
            }
        }
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
