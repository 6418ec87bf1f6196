//! The MFA shapes: the pool's MFA configuration, a user's MFA preference and legacy settings,
//! and the software token (TOTP) set-up.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SmsMfaConfigType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_authentication_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_configuration: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SoftwareTokenMfaConfigType {
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EmailMfaConfigType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebAuthnConfigurationType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relying_party_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetUserPoolMfaConfigRequest {
    pub user_pool_id: String,
    pub sms_mfa_configuration: Option<SmsMfaConfigType>,
    pub software_token_mfa_configuration: Option<SoftwareTokenMfaConfigType>,
    pub email_mfa_configuration: Option<EmailMfaConfigType>,
    pub mfa_configuration: Option<String>,
    pub web_authn_configuration: Option<WebAuthnConfigurationType>,
}

/// What SetUserPoolMfaConfig and GetUserPoolMfaConfig answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolMfaConfigResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_mfa_configuration: Option<SmsMfaConfigType>,
    pub software_token_mfa_configuration: SoftwareTokenMfaConfigType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_mfa_configuration: Option<EmailMfaConfigType>,
    pub mfa_configuration: String,
    pub web_authn_configuration: WebAuthnConfigurationType,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaSettingsType {
    pub enabled: Option<bool>,
    pub preferred_mfa: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetUserMfaPreferenceRequest {
    pub access_token: Option<String>,
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    #[serde(rename = "SMSMfaSettings")]
    pub sms_mfa_settings: Option<MfaSettingsType>,
    pub software_token_mfa_settings: Option<MfaSettingsType>,
    pub email_mfa_settings: Option<MfaSettingsType>,
    pub web_authn_mfa_settings: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaOptionType {
    pub delivery_medium: Option<String>,
    pub attribute_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetUserSettingsRequest {
    pub access_token: Option<String>,
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    #[serde(rename = "MFAOptions")]
    pub mfa_options: Vec<MfaOptionType>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociateSoftwareTokenRequest {
    pub access_token: Option<String>,
    pub session: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociateSoftwareTokenResponse {
    pub secret_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifySoftwareTokenRequest {
    pub access_token: Option<String>,
    pub session: Option<String>,
    pub user_code: String,
    pub friendly_device_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifySoftwareTokenResponse {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// The MFA members of GetUser and AdminGetUser.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserMfaMembers {
    #[serde(rename = "MFAOptions", skip_serializing_if = "Vec::is_empty")]
    pub mfa_options: Vec<MfaOptionType>,
    #[serde(rename = "PreferredMfaSetting", skip_serializing_if = "Option::is_none")]
    pub preferred_mfa_setting: Option<String>,
    #[serde(rename = "UserMFASettingList", skip_serializing_if = "Vec::is_empty")]
    pub user_mfa_setting_list: Vec<String>,
}

/// GetUserAuthFactors.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserAuthFactorsResponse {
    pub username: String,
    pub preferred_mfa_setting: Option<String>,
    #[serde(rename = "UserMFASettingList", skip_serializing_if = "Vec::is_empty")]
    pub user_mfa_setting_list: Vec<String>,
    pub configured_user_auth_factors: Vec<String>,
}
