//! SetUserPoolMfaConfig, GetUserPoolMfaConfig, SetUserMFAPreference, AdminSetUserMFAPreference,
//! SetUserSettings, AdminSetUserSettings, AssociateSoftwareToken and VerifySoftwareToken.
//! Authorisation: the pool and `Admin*` operations are SigV4 with the root credentials; the
//! others authenticate by access token, or by the Session of an MFA_SETUP challenge.

use serde_json::Value;

use cognate_domain::error::{Constraint, InvalidMember};
use cognate_domain::user_pool::mfa::{
    EmailMfaSettings, FactorPreference, MfaConfigInput, MfaFactor, PoolMfa, SmsMfaSettings, UserMfa, WebAuthnSettings,
};
use cognate_domain::user_pool::MfaConfiguration;

use super::{empty, missing_member, pool_id};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;
use crate::aws::json::{parse_input, to_body, ApiError};
use crate::state::AppState;

fn config_output(configuration: MfaConfiguration, mfa: PoolMfa) -> Result<Value, ApiError> {
    let web_authn = mfa.web_authn.unwrap_or_else(|| WebAuthnSettings { relying_party_id: None, user_verification: "preferred".into() });
    to_body(&UserPoolMfaConfigResponse {
        sms_mfa_configuration: mfa
            .sms
            .map(|sms| SmsMfaConfigType { sms_authentication_message: sms.message, sms_configuration: sms.configuration }),
        software_token_mfa_configuration: SoftwareTokenMfaConfigType { enabled: Some(mfa.software_token) },
        email_mfa_configuration: mfa.email.map(|email| EmailMfaConfigType { message: email.message, subject: email.subject }),
        mfa_configuration: configuration.as_str().to_string(),
        web_authn_configuration: WebAuthnConfigurationType {
            relying_party_id: web_authn.relying_party_id,
            user_verification: Some(web_authn.user_verification),
        },
    })
}

pub async fn set_user_pool_mfa_config(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: SetUserPoolMfaConfigRequest = parse_input(raw)?;
    let config = MfaConfigInput {
        mfa_configuration: input.mfa_configuration.as_deref().map(MfaConfiguration::parse).transpose().map_err(error_from_domain)?,
        sms: input
            .sms_mfa_configuration
            .map(|sms| SmsMfaSettings { message: sms.sms_authentication_message, configuration: sms.sms_configuration }),
        software_token: input.software_token_mfa_configuration.map(|token| token.enabled.unwrap_or(false)),
        email: input.email_mfa_configuration.map(|email| EmailMfaSettings { message: email.message, subject: email.subject }),
        web_authn: input.web_authn_configuration.map(|web_authn| WebAuthnSettings {
            relying_party_id: web_authn.relying_party_id,
            user_verification: web_authn.user_verification.unwrap_or_else(|| "preferred".into()),
        }),
    };
    let (configuration, mfa) =
        state.user_pools.set_user_pool_mfa_config(&pool_id(&input.user_pool_id)?, config).await.map_err(error_from_domain)?;
    config_output(configuration, mfa)
}

pub async fn get_user_pool_mfa_config(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UserPoolIdInput = parse_input(raw)?;
    let (configuration, mfa) = state.user_pools.get_user_pool_mfa_config(&pool_id(&input.user_pool_id)?).await.map_err(error_from_domain)?;
    config_output(configuration, mfa)
}

fn preferences(input: &SetUserMfaPreferenceRequest) -> Vec<FactorPreference> {
    [
        (MfaFactor::Sms, &input.sms_mfa_settings),
        (MfaFactor::SoftwareToken, &input.software_token_mfa_settings),
        (MfaFactor::Email, &input.email_mfa_settings),
    ]
    .into_iter()
    .filter_map(|(factor, settings)| {
        settings.as_ref().map(|settings| FactorPreference { factor, enabled: settings.enabled, preferred: settings.preferred_mfa })
    })
    .collect()
}

/// SetUserMFAPreference (`admin` false) and AdminSetUserMFAPreference.
pub async fn set_user_mfa_preference(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: SetUserMfaPreferenceRequest = parse_input(raw)?;
    let preferences = preferences(&input);
    let result = if admin {
        let pool = input.user_pool_id.as_deref().ok_or_else(|| missing_member("userPoolId"))?;
        let username = input.username.as_deref().ok_or_else(|| missing_member("username"))?;
        state.user_pools.admin_set_user_mfa_preference(&pool_id(pool)?, username, &preferences).await
    } else {
        let token = input.access_token.as_deref().ok_or_else(|| missing_member("accessToken"))?;
        state.user_pools.set_user_mfa_preference(token, &preferences).await
    };
    result.map_err(error_from_domain)?;
    Ok(empty())
}

/// SetUserSettings (`admin` false) and AdminSetUserSettings.
pub async fn set_user_settings(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: SetUserSettingsRequest = parse_input(raw)?;
    let options: Vec<(String, String)> = input
        .mfa_options
        .iter()
        .map(|option| (option.delivery_medium.clone().unwrap_or_default(), option.attribute_name.clone().unwrap_or_default()))
        .collect();
    let result = if admin {
        let pool = input.user_pool_id.as_deref().ok_or_else(|| missing_member("userPoolId"))?;
        let username = input.username.as_deref().ok_or_else(|| missing_member("username"))?;
        state.user_pools.admin_set_user_settings(&pool_id(pool)?, username, &options).await
    } else {
        let token = input.access_token.as_deref().ok_or_else(|| missing_member("accessToken"))?;
        state.user_pools.set_user_settings(token, &options).await
    };
    result.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn associate_software_token(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AssociateSoftwareTokenRequest = parse_input(raw)?;
    let (secret_code, session) = state
        .user_pools
        .associate_software_token(input.access_token.as_deref(), input.session.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&AssociateSoftwareTokenResponse { secret_code, session })
}

pub async fn verify_software_token(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: VerifySoftwareTokenRequest = parse_input(raw)?;
    if input.user_code.len() != 6 || !input.user_code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(error_from_domain(InvalidMember::error(
            "userCode",
            input.user_code,
            Constraint::PatternAndLength { pattern: "[0-9]+", min: 6, max: 6 },
        )));
    }
    let verified = state
        .user_pools
        .verify_software_token(input.access_token.as_deref(), input.session.as_deref(), &input.user_code, input.friendly_device_name.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&VerifySoftwareTokenResponse { status: "SUCCESS".into(), session: verified.session })
}

/// GetUser's and AdminGetUser's MFA members.
pub fn user_mfa_members(mfa: &UserMfa) -> UserMfaMembers {
    let view = mfa.view();
    UserMfaMembers {
        mfa_options: if view.sms_option {
            vec![MfaOptionType { delivery_medium: Some("SMS".into()), attribute_name: Some("phone_number".into()) }]
        } else {
            Vec::new()
        },
        preferred_mfa_setting: view.preferred.map(str::to_string),
        user_mfa_setting_list: view.settings.iter().map(|name| name.to_string()).collect(),
    }
}
