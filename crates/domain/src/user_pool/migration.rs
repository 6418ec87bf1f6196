//! Lazy migration: a user the pool does not know, who signs in with a password or asks
//! ForgotPassword, looked up through the pool's UserMigration trigger and created once, with the
//! attributes and status it answers.

use serde_json::{json, Value};

use super::triggers::{client_metadata, invalid_response, response_flag, Trigger};
use super::{Attribute, User, UserPool, UserPoolService, UserStatus};
use crate::error::{DomainError, DomainResult};
use crate::store::{ConflictOn, StoreError};

/// What UserMigration answers for a user it knows: the attributes, whether the user may sign in
/// with the password given (`CONFIRMED`) or must reset it (`RESET_REQUIRED`), whether an alias
/// another user holds moves to this one (`forceAliasCreation`), and whether SMS MFA is on
/// (`enableSMSMFA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub attributes: Vec<Attribute>,
    pub reset_required: bool,
    pub force_alias_creation: bool,
    pub sms_mfa: bool,
}

impl UserPoolService {
    /// UserMigration (`UserMigration_Authentication` with the password, or
    /// `UserMigration_ForgotPassword`) for a username this pool does not know. None when the pool
    /// has no such trigger; a function error is the call's.
    pub(crate) async fn user_migration(&self, pool: &UserPool, client_id: &str, username: &str, password: Option<&str>) -> DomainResult<Option<Migrated>> {
        let (source, request) = match password {
            Some(password) => ("UserMigration_Authentication", json!({"password": password, "validationData": client_metadata(), "clientMetadata": {}})),
            None => ("UserMigration_ForgotPassword", json!({"validationData": client_metadata(), "clientMetadata": {}})),
        };
        let Some(response) = self.run_trigger(pool, Trigger::UserMigration, source, username, Some(client_id), request).await? else {
            return Ok(None);
        };
        let invalid = |why: &str| invalid_response(Trigger::UserMigration, why);
        let attributes = response
            .get("userAttributes")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("userAttributes is missing"))?
            .iter()
            .filter(|(name, _)| name.as_str() != "sub" && !name.starts_with("cognito:"))
            .map(|(name, value)| value.as_str().map(|text| Attribute { name: name.clone(), value: text.to_string() }).ok_or_else(|| invalid("an attribute is not a string")))
            .collect::<DomainResult<Vec<_>>>()?;
        let reset_required = match response.get("finalUserStatus").and_then(Value::as_str) {
            None | Some("CONFIRMED") => password.is_none(),
            Some("RESET_REQUIRED") => true,
            Some(_) => return Err(invalid("finalUserStatus is neither CONFIRMED nor RESET_REQUIRED")),
        };
        // The welcome message these ask for is not sent (a migrated user is sent nothing); the
        // values are still checked as Cognito checks them.
        match response.get("messageAction") {
            None | Some(Value::Null) => {}
            Some(Value::String(action)) if action == "SUPPRESS" || action == "RESEND" => {}
            Some(_) => return Err(invalid("messageAction is neither SUPPRESS nor RESEND")),
        }
        match response.get("desiredDeliveryMediums") {
            None | Some(Value::Null) => {}
            Some(Value::Array(media)) if media.iter().all(|medium| medium == "EMAIL" || medium == "SMS") => {}
            Some(_) => return Err(invalid("desiredDeliveryMediums holds something other than EMAIL and SMS")),
        }
        let force_alias_creation = response_flag(&response, "forceAliasCreation", Trigger::UserMigration)?;
        let sms_mfa = response_flag(&response, "enableSMSMFA", Trigger::UserMigration)?;
        if sms_mfa && !attributes.iter().any(|attribute| attribute.name == "phone_number") {
            return Err(invalid("enableSMSMFA is true and userAttributes has no phone_number"));
        }
        Ok(Some(Migrated { attributes, reset_required, force_alias_creation, sms_mfa }))
    }
}

impl UserPoolService {
    /// A user UserMigration brought in for `username`: created with its attributes, CONFIRMED
    /// with `password` or RESET_REQUIRED. None when the pool has no UserMigration trigger. When
    /// another request created the user meanwhile, that user.
    pub(crate) async fn migrate_user(&self, pool: &UserPool, client_id: &str, username: &str, password: Option<&str>) -> DomainResult<Option<User>> {
        let Some(migrated) = self.user_migration(pool, client_id, username, password).await? else {
            return Ok(None);
        };
        let (canonical, attributes, sub) = self.prepare_new_user(pool, username, &migrated.attributes)?;
        let status = if migrated.reset_required { UserStatus::ResetRequired } else { UserStatus::Confirmed };
        let mut user = User::new(&pool.id, canonical, sub, attributes, status, self.now());
        if let Some(password) = password {
            self.set_password(pool, &mut user, password).await?;
        }
        if migrated.sms_mfa {
            user.mfa.enabled.push(crate::user_pool::mfa::MfaFactor::Sms);
        }
        if migrated.force_alias_creation {
            self.release_aliases(pool, &user).await?;
        }
        match self.store.insert_user(&self.user_record(pool, &user)).await {
            Ok(()) => Ok(Some(user)),
            Err(StoreError::Conflict(ConflictOn::Key)) => self.resolve_user(pool, username).await.map(Some),
            Err(StoreError::Conflict(ConflictOn::Alias(attribute))) => Err(Self::alias_error(pool, &attribute)),
            Err(error) => Err(DomainError::from(error)),
        }
    }
}
