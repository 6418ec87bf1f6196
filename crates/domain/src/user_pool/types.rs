//! The user-pool records: pools, app clients, users and groups. They derive serde only so that
//! the store can keep them as documents; the wire has its own shapes in the API layer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::settings_enums::UserStatus;
use super::settings_enums::{DeletionProtection, ExplicitAuthFlow, MfaConfiguration, PreventUserExistenceErrors, UserPoolTier};
use crate::ids::{ClientId, UserPoolId};

pub use super::sign_in_records::{AuthSessionRecord, RefreshTokenRecord};

/// Settings the domain keeps and returns without interpreting them (Lambda triggers, email and
/// SMS configuration, analytics): their wire JSON, keyed by the member name.
pub type OpaqueSettings = BTreeMap<String, serde_json::Value>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub password_history_size: Option<u32>,
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            password_history_size: None,
            temporary_password_validity_days: 7,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeDataType {
    String,
    Number,
    DateTime,
    Boolean,
}

impl AttributeDataType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeDataType::String => "String",
            AttributeDataType::Number => "Number",
            AttributeDataType::DateTime => "DateTime",
            AttributeDataType::Boolean => "Boolean",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "String" => Some(AttributeDataType::String),
            "Number" => Some(AttributeDataType::Number),
            "DateTime" => Some(AttributeDataType::DateTime),
            "Boolean" => Some(AttributeDataType::Boolean),
            _ => None,
        }
    }
}

/// One attribute of a pool's schema. Custom attributes are named with their `custom:` prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaAttribute {
    pub name: String,
    pub data_type: AttributeDataType,
    pub developer_only: bool,
    pub mutable: bool,
    pub required: bool,
    /// `(MinLength, MaxLength)` for strings, as Cognito keeps them: decimal strings.
    pub string_constraints: Option<(Option<String>, Option<String>)>,
    /// `(MinValue, MaxValue)` for numbers.
    pub number_constraints: Option<(Option<String>, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryMechanism {
    pub priority: u32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminCreateUserConfig {
    pub allow_admin_create_user_only: bool,
    pub unused_account_validity_days: Option<u32>,
    /// The invitation template (`SMSMessage`, `EmailMessage`, `EmailSubject`), as given.
    pub invite_message_template: Option<serde_json::Value>,
}

impl Default for AdminCreateUserConfig {
    fn default() -> Self {
        AdminCreateUserConfig {
            allow_admin_create_user_only: false,
            unused_account_validity_days: Some(7),
            invite_message_template: None,
        }
    }
}

/// The settings of a pool that UpdateUserPool may change. Members that an update leaves out
/// return to their defaults, as in Cognito.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPoolSettings {
    pub name: String,
    pub password_policy: PasswordPolicy,
    /// The rest of `Policies` (for example `SignInPolicy`), as given.
    pub other_policies: OpaqueSettings,
    pub deletion_protection: DeletionProtection,
    pub auto_verified_attributes: Vec<String>,
    pub mfa_configuration: MfaConfiguration,
    pub account_recovery: Option<Vec<RecoveryMechanism>>,
    pub admin_create_user: AdminCreateUserConfig,
    pub tags: BTreeMap<String, String>,
    pub tier: UserPoolTier,
    pub opaque: OpaqueSettings,
}

/// What is fixed when a pool is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPoolShape {
    pub schema: Vec<SchemaAttribute>,
    pub alias_attributes: Vec<String>,
    pub username_attributes: Vec<String>,
    /// None when the pool was created without UsernameConfiguration (then usernames are
    /// case sensitive).
    pub case_sensitive: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPool {
    pub id: UserPoolId,
    pub arn: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub settings: UserPoolSettings,
    pub shape: UserPoolShape,
    /// The second factors the pool offers (SetUserPoolMfaConfig).
    #[serde(default)]
    pub mfa: super::mfa::PoolMfa,
}

impl UserPool {
    pub fn schema_attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        self.shape.schema.iter().find(|attribute| attribute.name == name)
    }

    pub fn is_case_sensitive(&self) -> bool {
        self.shape.case_sensitive.unwrap_or(true)
    }

    /// The key a username is stored and looked up under.
    pub fn username_key(&self, username: &str) -> String {
        if self.is_case_sensitive() {
            username.to_string()
        } else {
            username.to_lowercase()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenValidityUnits {
    pub access_token: Option<String>,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
}

/// The OAuth side of an app client, used by the hosted sign-in pages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientOAuthSettings {
    pub supported_identity_providers: Option<Vec<String>>,
    pub callback_urls: Option<Vec<String>>,
    pub logout_urls: Option<Vec<String>>,
    pub default_redirect_uri: Option<String>,
    pub allowed_oauth_flows: Option<Vec<String>>,
    pub allowed_oauth_scopes: Option<Vec<String>>,
    pub allowed_oauth_flows_user_pool_client: bool,
}

/// The settings of an app client that UpdateUserPoolClient may change (left-out members return
/// to their defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppClientSettings {
    pub name: String,
    pub refresh_token_validity: u32,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub token_validity_units: Option<TokenValidityUnits>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    pub explicit_auth_flows: Option<Vec<ExplicitAuthFlow>>,
    pub prevent_user_existence_errors: PreventUserExistenceErrors,
    pub enable_token_revocation: bool,
    pub enable_propagate_additional_user_context_data: bool,
    pub auth_session_validity: u32,
    pub oauth: ClientOAuthSettings,
    pub opaque: OpaqueSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppClient {
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    /// The client's first secret, sealed under the master key; None for public clients.
    pub sealed_secret: Option<String>,
    /// When the first secret was made; None: with the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_created_ms: Option<i64>,
    /// The secrets AddUserPoolClientSecret added, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_secrets: Vec<SealedClientSecret>,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub settings: AppClientSettings,
}

/// A secret as the API describes it: its id (`<client id>--<creation time>`), the value only
/// when cognate generated it just now, and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecretDescriptor {
    pub id: String,
    pub value: Option<String>,
    pub created_ms: i64,
}

/// One more secret of a client, sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedClientSecret {
    pub id: String,
    pub sealed: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub pool_id: String,
    pub username: String,
    pub sub: String,
    /// Every attribute with a value, `sub` first.
    pub attributes: Vec<Attribute>,
    pub enabled: bool,
    pub status: UserStatus,
    /// Argon2id PHC string of the current (or temporary) password.
    pub password_hash: Option<String>,
    /// When a temporary password stops working.
    pub temporary_password_expires_ms: Option<i64>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Consecutive failed password attempts, and the last one; they drive the lockout.
    #[serde(default)]
    pub failed_sign_ins: u32,
    #[serde(default)]
    pub last_failed_sign_in_ms: Option<i64>,
    /// The SRP salt and verifier (`salt_hex:verifier_hex`) of the current password, sealed under
    /// the master key.
    #[serde(default)]
    pub sealed_srp_verifier: Option<String>,
    /// Codes sent and not yet used.
    #[serde(default)]
    pub pending_codes: Vec<PendingCode>,
    /// Attempts per action in the current hour, for the per-user hourly limits.
    #[serde(default)]
    pub hourly_attempts: Vec<HourlyAttempts>,
    /// Hashes of earlier passwords, newest first, as many as PasswordHistorySize needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password_history: Vec<String>,
    /// The user's second factors.
    #[serde(default, skip_serializing_if = "super::mfa::UserMfa::is_empty")]
    pub mfa: super::mfa::UserMfa,
    /// A user copied from a Cognito pool whose password is still only known there: the first
    /// password sign-in is checked against the source pool.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub password_at_source: bool,
    /// The version this copy was read at; the store updates a user only from the version it
    /// holds (compare-and-set) and bumps it.
    #[serde(default)]
    pub version: i64,
}

/// How often a user tried one action (ChangePassword, ConfirmSignUp, …) since `window_start_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyAttempts {
    pub action: String,
    pub window_start_ms: i64,
    pub count: u32,
}

impl User {
    /// A new, enabled user without a password, codes or failed sign-ins.
    pub fn new(pool_id: &str, username: String, sub: String, attributes: Vec<Attribute>, status: UserStatus, now_ms: i64) -> User {
        User {
            pool_id: pool_id.to_string(),
            username,
            sub,
            attributes,
            enabled: true,
            status,
            password_hash: None,
            temporary_password_expires_ms: None,
            created_ms: now_ms,
            modified_ms: now_ms,
            failed_sign_ins: 0,
            last_failed_sign_in_ms: None,
            sealed_srp_verifier: None,
            pending_codes: Vec::new(),
            hourly_attempts: Vec::new(),
            password_history: Vec::new(),
            mfa: Default::default(),
            password_at_source: false,
            version: 0,
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|attribute| attribute.name == name).map(|attribute| attribute.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// A message cognate sends to a user (a code, an invitation). Without a configured channel it
/// stays in the outbox, where the root credentials can read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    pub pool_id: String,
    pub username: String,
    /// `EMAIL` or `SMS`.
    pub medium: String,
    pub destination: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_ms: i64,
}

/// What a one-time code proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodePurpose {
    ConfirmSignUp,
    ResetPassword,
    VerifyEmail,
    VerifyPhoneNumber,
}

impl CodePurpose {
    /// The purpose of a code that verifies `attribute`, if it can be verified.
    pub fn verifying(attribute: &str) -> Option<CodePurpose> {
        match attribute {
            "email" => Some(CodePurpose::VerifyEmail),
            "phone_number" => Some(CodePurpose::VerifyPhoneNumber),
            _ => None,
        }
    }
}

/// A code sent to a user, kept as a salted SHA-256 until it is used, expires or runs out of
/// attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub purpose: CodePurpose,
    pub code_hash: String,
    pub expires_ms: i64,
    pub failed_attempts: u32,
    /// The attribute the code was sent to (`email` or `phone_number`), verified on success.
    pub attribute: Option<String>,
    /// A new value waiting for this code (AttributesRequireVerificationBeforeUpdate): the
    /// attribute keeps its old value until the code is given back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_value: Option<String>,
}
