//! The user-pool shapes: settings, creation, listing and `UserPoolType`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use cognate_domain::user_pool::OpaqueSettings;

use super::shared::*;

/// The members CreateUserPool and UpdateUserPool share.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolSettingsInput {
    pub pool_name: Option<String>,
    pub policies: Option<UserPoolPolicyType>,
    pub deletion_protection: Option<String>,
    pub auto_verified_attributes: Option<Vec<String>>,
    pub mfa_configuration: Option<String>,
    pub account_recovery_setting: Option<AccountRecoverySettingType>,
    pub admin_create_user_config: Option<AdminCreateUserConfigType>,
    pub user_pool_tags: Option<BTreeMap<String, String>>,
    pub user_pool_tier: Option<String>,
    #[serde(flatten)]
    pub opaque: PoolOpaqueInput,
}

/// The pool settings cognate keeps as given and answers back without interpreting them: each
/// a structure or a string, as the model types it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolOpaqueInput {
    pub lambda_config: Option<Map<String, Value>>,
    pub verification_message_template: Option<Map<String, Value>>,
    pub user_attribute_update_settings: Option<Map<String, Value>>,
    pub device_configuration: Option<Map<String, Value>>,
    pub email_configuration: Option<Map<String, Value>>,
    pub sms_configuration: Option<Map<String, Value>>,
    pub user_pool_add_ons: Option<Map<String, Value>>,
    pub sms_verification_message: Option<String>,
    pub email_verification_message: Option<String>,
    pub email_verification_subject: Option<String>,
    pub sms_authentication_message: Option<String>,
}

impl PoolOpaqueInput {
    /// The members given, under their model names.
    pub fn into_opaque(self) -> OpaqueSettings {
        let structures = [
            ("LambdaConfig", self.lambda_config),
            ("VerificationMessageTemplate", self.verification_message_template),
            ("UserAttributeUpdateSettings", self.user_attribute_update_settings),
            ("DeviceConfiguration", self.device_configuration),
            ("EmailConfiguration", self.email_configuration),
            ("SmsConfiguration", self.sms_configuration),
            ("UserPoolAddOns", self.user_pool_add_ons),
        ];
        let strings = [
            ("SmsVerificationMessage", self.sms_verification_message),
            ("EmailVerificationMessage", self.email_verification_message),
            ("EmailVerificationSubject", self.email_verification_subject),
            ("SmsAuthenticationMessage", self.sms_authentication_message),
        ];
        opaque_settings(structures, strings)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserPoolShapeInput {
    pub pool_name: String,
    pub alias_attributes: Option<Vec<String>>,
    pub username_attributes: Option<Vec<String>>,
    pub username_configuration: Option<UsernameConfigurationType>,
    pub schema: Option<Vec<SchemaAttributeType>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolIdInput {
    pub user_pool_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoolsRequest {
    pub next_token: Option<String>,
    pub max_results: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddCustomAttributesRequest {
    pub user_pool_id: String,
    pub custom_attributes: Vec<SchemaAttributeType>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolType {
    pub id: String,
    pub name: String,
    pub policies: Value,
    pub deletion_protection: String,
    pub lambda_config: Value,
    pub last_modified_date: f64,
    pub creation_date: f64,
    pub schema_attributes: Vec<SchemaAttributeType>,
    pub auto_verified_attributes: Option<Vec<String>>,
    pub alias_attributes: Option<Vec<String>>,
    pub username_attributes: Option<Vec<String>>,
    pub sms_verification_message: Option<Value>,
    pub email_verification_message: Option<Value>,
    pub email_verification_subject: Option<Value>,
    pub verification_message_template: Value,
    pub sms_authentication_message: Option<Value>,
    pub user_attribute_update_settings: Option<Value>,
    pub mfa_configuration: String,
    pub device_configuration: Option<Value>,
    pub estimated_number_of_users: i64,
    pub email_configuration: Value,
    pub sms_configuration: Option<Value>,
    pub user_pool_tags: BTreeMap<String, String>,
    pub admin_create_user_config: AdminCreateUserConfigType,
    pub user_pool_add_ons: Option<Value>,
    pub username_configuration: Option<UsernameConfigurationType>,
    pub arn: String,
    pub account_recovery_setting: Option<AccountRecoverySettingType>,
    pub user_pool_tier: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolDescriptionType {
    pub id: String,
    pub name: String,
    pub lambda_config: Value,
    pub last_modified_date: f64,
    pub creation_date: f64,
}
