//! cognito-idp shapes, named as the service model names them. Requests deserialise from the
//! body; responses serialise with absent members left out (see `aws::json::success`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ----- shared structures -----

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicyType {
    pub minimum_length: Option<u32>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub password_history_size: Option<u32>,
    pub temporary_password_validity_days: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolPolicyType {
    pub password_policy: Option<PasswordPolicyType>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringAttributeConstraintsType {
    pub min_length: Option<String>,
    pub max_length: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NumberAttributeConstraintsType {
    pub min_value: Option<String>,
    pub max_value: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchemaAttributeType {
    pub name: Option<String>,
    pub attribute_data_type: Option<String>,
    pub developer_only_attribute: Option<bool>,
    pub mutable: Option<bool>,
    pub required: Option<bool>,
    pub number_attribute_constraints: Option<NumberAttributeConstraintsType>,
    pub string_attribute_constraints: Option<StringAttributeConstraintsType>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryOptionType {
    pub priority: u32,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountRecoverySettingType {
    #[serde(default)]
    pub recovery_mechanisms: Vec<RecoveryOptionType>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateUserConfigType {
    pub allow_admin_create_user_only: Option<bool>,
    pub unused_account_validity_days: Option<u32>,
    pub invite_message_template: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsernameConfigurationType {
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TokenValidityUnitsType {
    pub access_token: Option<String>,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
}

// ----- user pools -----

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

// ----- app clients -----

/// The members CreateUserPoolClient and UpdateUserPoolClient share.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClientSettingsInput {
    pub client_name: Option<String>,
    pub refresh_token_validity: Option<u32>,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub token_validity_units: Option<TokenValidityUnitsType>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    pub explicit_auth_flows: Option<Vec<String>>,
    pub supported_identity_providers: Option<Vec<String>>,
    #[serde(rename = "CallbackURLs")]
    pub callback_urls: Option<Vec<String>>,
    #[serde(rename = "LogoutURLs")]
    pub logout_urls: Option<Vec<String>>,
    #[serde(rename = "DefaultRedirectURI")]
    pub default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    pub allowed_oauth_flows: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthScopes")]
    pub allowed_oauth_scopes: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: Option<bool>,
    pub prevent_user_existence_errors: Option<String>,
    pub enable_token_revocation: Option<bool>,
    pub enable_propagate_additional_user_context_data: Option<bool>,
    pub auth_session_validity: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserPoolClientExtra {
    pub user_pool_id: String,
    pub client_name: String,
    pub generate_secret: Option<bool>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientIdInput {
    pub user_pool_id: String,
    pub client_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoolClientsRequest {
    pub user_pool_id: String,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClientType {
    pub user_pool_id: String,
    pub client_name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub last_modified_date: f64,
    pub creation_date: f64,
    pub refresh_token_validity: u32,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub token_validity_units: Option<TokenValidityUnitsType>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    pub explicit_auth_flows: Option<Vec<String>>,
    pub supported_identity_providers: Option<Vec<String>>,
    #[serde(rename = "CallbackURLs")]
    pub callback_urls: Option<Vec<String>>,
    #[serde(rename = "LogoutURLs")]
    pub logout_urls: Option<Vec<String>>,
    #[serde(rename = "DefaultRedirectURI")]
    pub default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    pub allowed_oauth_flows: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthScopes")]
    pub allowed_oauth_scopes: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: bool,
    pub analytics_configuration: Option<Value>,
    pub prevent_user_existence_errors: String,
    pub enable_token_revocation: bool,
    pub enable_propagate_additional_user_context_data: bool,
    pub auth_session_validity: u32,
    pub refresh_token_rotation: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClientDescription {
    pub client_id: String,
    pub user_pool_id: String,
    pub client_name: String,
}

// ----- users -----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateUserRequest {
    pub user_pool_id: String,
    pub username: String,
    pub user_attributes: Option<Vec<AttributeType>>,
    pub validation_data: Option<Vec<AttributeType>>,
    pub temporary_password: Option<String>,
    pub force_alias_creation: Option<bool>,
    pub message_action: Option<String>,
    pub desired_delivery_mediums: Option<Vec<String>>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsernameInput {
    pub user_pool_id: String,
    pub username: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminUpdateUserAttributesRequest {
    pub user_pool_id: String,
    pub username: String,
    pub user_attributes: Vec<AttributeType>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminDeleteUserAttributesRequest {
    pub user_pool_id: String,
    pub username: String,
    pub user_attribute_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminSetUserPasswordRequest {
    pub user_pool_id: String,
    pub username: String,
    pub password: String,
    pub permanent: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersRequest {
    pub user_pool_id: String,
    pub attributes_to_get: Option<Vec<String>>,
    pub limit: Option<i32>,
    pub pagination_token: Option<String>,
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserType {
    pub username: String,
    pub attributes: Vec<AttributeType>,
    pub user_create_date: f64,
    pub user_last_modified_date: f64,
    pub enabled: bool,
    pub user_status: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminGetUserResponse {
    pub username: String,
    pub user_attributes: Vec<AttributeType>,
    pub user_create_date: f64,
    pub user_last_modified_date: f64,
    pub enabled: bool,
    pub user_status: String,
}

// ----- groups -----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRequest {
    pub user_pool_id: String,
    pub group_name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupNameInput {
    pub user_pool_id: String,
    pub group_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PagedPoolRequest {
    pub user_pool_id: String,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserGroupRequest {
    pub user_pool_id: String,
    pub username: String,
    pub group_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminListGroupsForUserRequest {
    pub user_pool_id: String,
    pub username: String,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersInGroupRequest {
    pub user_pool_id: String,
    pub group_name: String,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupType {
    pub group_name: String,
    pub user_pool_id: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
    pub last_modified_date: f64,
    pub creation_date: f64,
}

// ----- tags -----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    pub resource_arn: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceArnInput {
    pub resource_arn: String,
}

// ----- sign-in -----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateAuthRequest {
    pub user_pool_id: Option<String>,
    pub client_id: String,
    pub auth_flow: String,
    #[serde(default)]
    pub auth_parameters: BTreeMap<String, String>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RespondToAuthChallengeRequest {
    pub user_pool_id: Option<String>,
    pub client_id: String,
    pub challenge_name: String,
    pub session: Option<String>,
    #[serde(default)]
    pub challenge_responses: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthenticationResultType {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessTokenInput {
    pub access_token: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RevokeTokenRequest {
    pub token: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangePasswordRequest {
    pub previous_password: Option<String>,
    pub proposed_password: String,
    pub access_token: String,
}

// ----- sign-up and recovery -----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpRequest {
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub username: String,
    pub password: Option<String>,
    pub user_attributes: Option<Vec<AttributeType>>,
    pub validation_data: Option<Vec<AttributeType>>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmSignUpRequest {
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub username: String,
    pub confirmation_code: String,
    pub force_alias_creation: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientUsernameRequest {
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub username: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmForgotPasswordRequest {
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub username: String,
    pub confirmation_code: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeDeliveryDetailsType {
    pub destination: String,
    pub delivery_medium: String,
    pub attribute_name: String,
}

// ----- token-holder attributes -----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateUserAttributesRequest {
    pub user_attributes: Vec<AttributeType>,
    pub access_token: String,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeNameRequest {
    pub access_token: String,
    pub attribute_name: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteUserAttributesRequest {
    pub user_attribute_names: Vec<String>,
    pub access_token: String,
}
