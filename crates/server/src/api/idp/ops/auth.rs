//! InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AdminRespondToAuthChallenge,
//! GetUser, GlobalSignOut, AdminUserGlobalSignOut, RevokeToken, ChangePassword, and the
//! token-holder attribute operations UpdateUserAttributes, GetUserAttributeVerificationCode,
//! VerifyUserAttribute, DeleteUserAttributes and DeleteUser.
//! Authorisation: the `Admin*` operations are SigV4 with the root credentials; the others are
//! unsigned and authenticate by client id (and SECRET_HASH), session, or access token.

use serde_json::{json, Value};

use cognate_domain::user_pool::auth::{AuthOutcome, AuthenticationResult, Caller};

use super::{client_id, missing_member, pool_id};
use super::empty;
use super::sign_up::delivery;
use cognate_domain::user_pool::{AuthFlow, ChallengeName};
use crate::state::AppState;
use crate::aws::json::{parse_input, to_body, ApiError};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;

fn caller(admin: bool, user_pool_id: Option<String>) -> Result<Caller, ApiError> {
    if !admin {
        return Ok(Caller::Client);
    }
    let pool_id = user_pool_id.ok_or_else(|| missing_member("userPoolId"))?;
    Ok(Caller::Admin { pool_id })
}

fn result_output(result: AuthenticationResult) -> AuthenticationResultType {
    AuthenticationResultType {
        access_token: result.access_token,
        expires_in: result.expires_in,
        token_type: "Bearer".into(),
        refresh_token: result.refresh_token,
        id_token: result.id_token,
        new_device_metadata: result
            .new_device
            .map(|device| NewDeviceMetadataType { device_key: device.device_key, device_group_key: device.device_group_key }),
    }
}

fn outcome_body(outcome: AuthOutcome) -> Result<Value, ApiError> {
    match outcome {
        AuthOutcome::Authenticated(result) => to_body(&json!({
            "AuthenticationResult": result_output(result),
            "ChallengeParameters": {},
        })),
        AuthOutcome::Challenge { name, parameters, session } => to_body(&json!({
            "ChallengeName": name.as_str(),
            "ChallengeParameters": parameters,
            "Session": session,
        })),
        AuthOutcome::SelectChallenge { available, session } => to_body(&json!({
            "ChallengeName": ChallengeName::SelectChallenge.as_str(),
            "ChallengeParameters": {},
            "AvailableChallenges": available,
            "Session": session,
        })),
    }
}

pub async fn initiate_auth(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: InitiateAuthRequest = parse_input(raw)?;
    let caller = caller(admin, input.user_pool_id)?;
    let outcome = state
        .user_pools
        .initiate_auth(caller, &client_id(&input.client_id)?, AuthFlow::from_name(&input.auth_flow), &input.auth_flow, &input.auth_parameters, input.session.as_deref())
        .await
        .map_err(error_from_domain)?;
    outcome_body(outcome)
}

/// GetTokensFromRefreshToken: new ID and access tokens, and a new refresh token when the client
/// rotates them.
pub async fn get_tokens_from_refresh_token(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: GetTokensFromRefreshTokenRequest = parse_input(raw)?;
    let result = state
        .user_pools
        .get_tokens_from_refresh_token(&client_id(&input.client_id)?, &input.refresh_token, input.client_secret.as_deref(), input.device_key.as_deref())
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "AuthenticationResult": result_output(result) }))
}

/// RespondToAuthChallenge and AdminRespondToAuthChallenge; `peer` is recorded as a remembered
/// device's last address when the device signs in.
pub async fn respond_to_auth_challenge(state: &AppState, raw: &[u8], admin: bool, peer: Option<std::net::IpAddr>) -> Result<Value, ApiError> {
    let input: RespondToAuthChallengeRequest = parse_input(raw)?;
    let caller = caller(admin, input.user_pool_id)?;
    let challenge_name = ChallengeName::parse(&input.challenge_name).map_err(error_from_domain)?;
    let outcome = state
        .user_pools
        .respond_to_auth_challenge(caller, &client_id(&input.client_id)?, challenge_name, &input.challenge_responses, input.session.as_deref(), peer.map(|ip| ip.to_string()))
        .await
        .map_err(error_from_domain)?;
    outcome_body(outcome)
}

pub async fn get_user(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AccessTokenInput = parse_input(raw)?;
    let holder = state.user_pools.authenticate_access_token(&input.access_token).await.map_err(error_from_domain)?;
    let attributes: Vec<AttributeType> = holder
        .user
        .attributes
        .iter()
        // Developer-only attributes are for administrators; the user does not read them.
        .filter(|attribute| !attribute.name.starts_with("dev:"))
        .map(|attribute| AttributeType { name: attribute.name.clone(), value: Some(attribute.value.clone()) })
        .collect();
    to_body(&GetUserResponse {
        username: holder.user.username.clone(),
        user_attributes: attributes,
        mfa: super::mfa::user_mfa_members(&holder.user.mfa),
    })
}

/// GetUserAuthFactors: the user's MFA settings and the first factors USER_AUTH offers them.
pub async fn get_user_auth_factors(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AccessTokenInput = parse_input(raw)?;
    let (user, factors) = state.user_pools.get_user_auth_factors(&input.access_token).await.map_err(error_from_domain)?;
    let mfa = super::mfa::user_mfa_members(&user.mfa);
    to_body(&GetUserAuthFactorsResponse {
        username: user.username,
        preferred_mfa_setting: mfa.preferred_mfa_setting,
        user_mfa_setting_list: mfa.user_mfa_setting_list,
        configured_user_auth_factors: factors,
    })
}

pub async fn global_sign_out(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AccessTokenInput = parse_input(raw)?;
    state.user_pools.global_sign_out(&input.access_token).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_user_global_sign_out(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UsernameInput = parse_input(raw)?;
    state
        .user_pools
        .admin_user_global_sign_out(&pool_id(&input.user_pool_id)?, &input.username)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn revoke_token(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: RevokeTokenRequest = parse_input(raw)?;
    state
        .user_pools
        .revoke_token(&input.token, &client_id(&input.client_id)?, input.client_secret.as_deref())
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn change_password(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ChangePasswordRequest = parse_input(raw)?;
    state
        .user_pools
        .change_password(&input.access_token, input.previous_password.as_deref().unwrap_or(""), &input.proposed_password)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn update_user_attributes(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UpdateUserAttributesRequest = parse_input(raw)?;
    let changes: Vec<cognate_domain::user_pool::Attribute> = input
        .user_attributes
        .into_iter()
        .map(|attribute| cognate_domain::user_pool::Attribute { name: attribute.name, value: attribute.value.unwrap_or_default() })
        .collect();
    let deliveries = state.user_pools.update_user_attributes(&input.access_token, &changes).await.map_err(error_from_domain)?;
    let deliveries: Vec<CodeDeliveryDetailsType> = deliveries.iter().map(delivery).collect();
    to_body(&json!({ "CodeDeliveryDetailsList": deliveries }))
}

pub async fn get_user_attribute_verification_code(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AttributeNameRequest = parse_input(raw)?;
    let details = state
        .user_pools
        .get_user_attribute_verification_code(&input.access_token, &input.attribute_name)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "CodeDeliveryDetails": delivery(&details) }))
}

pub async fn verify_user_attribute(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AttributeNameRequest = parse_input(raw)?;
    let code = input.code.ok_or_else(|| missing_member("code"))?;
    state
        .user_pools
        .verify_user_attribute(&input.access_token, &input.attribute_name, &code)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn delete_user_attributes(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: DeleteUserAttributesRequest = parse_input(raw)?;
    state
        .user_pools
        .delete_user_attributes(&input.access_token, &input.user_attribute_names)
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn delete_user(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: AccessTokenInput = parse_input(raw)?;
    state.user_pools.delete_user(&input.access_token).await.map_err(error_from_domain)?;
    Ok(empty())
}
