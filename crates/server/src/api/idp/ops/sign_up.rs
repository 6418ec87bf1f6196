//! SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp, ForgotPassword,
//! ConfirmForgotPassword and AdminResetUserPassword. Authorisation: the `Admin*` operations are
//! SigV4 with the root credentials; the others are unsigned and authenticate by client id and
//! SECRET_HASH.

use serde_json::{json, Value};

use cognate_domain::user_pool::messages::CodeDeliveryDetails;
use cognate_domain::user_pool::Attribute;

use super::{client_id, pool_id};
use super::empty;
use cognate_domain::user_pool::auth::ClientProof;

use crate::state::AppState;
use cognate_domain::user_pool::TriggerData;
use crate::aws::json::{parse_input, to_body, ApiError};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;

/// The wire form of where a code went.
pub(super) fn delivery(details: &CodeDeliveryDetails) -> CodeDeliveryDetailsType {
    CodeDeliveryDetailsType {
        destination: details.destination.clone(),
        delivery_medium: details.delivery_medium.clone(),
        attribute_name: details.attribute_name.clone(),
    }
}

/// ValidationData (a list of name-value pairs) and ClientMetadata, for the triggers.
pub(crate) fn trigger_data(validation_data: Option<Vec<AttributeType>>, client_metadata: Option<std::collections::BTreeMap<String, String>>) -> TriggerData {
    TriggerData {
        validation_data: validation_data.unwrap_or_default().into_iter().map(|pair| (pair.name, pair.value.unwrap_or_default())).collect(),
        client_metadata: client_metadata.unwrap_or_default(),
    }
}

pub async fn sign_up(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: SignUpRequest = parse_input(raw)?;
    let attributes: Vec<Attribute> = input
        .user_attributes
        .unwrap_or_default()
        .into_iter()
        .map(|attribute| Attribute { name: attribute.name, value: attribute.value.unwrap_or_default() })
        .collect();
    let trigger_data = trigger_data(input.validation_data, input.client_metadata);
    let outcome = state
        .user_pools
        .sign_up(&client_id(&input.client_id)?, &input.username, input.password.as_deref(), &attributes, ClientProof::SecretHash(input.secret_hash.as_deref()), &trigger_data)
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({
        "UserConfirmed": outcome.user_confirmed,
        "UserSub": outcome.user_sub,
        "CodeDeliveryDetails": outcome.code_delivery.as_ref().map(delivery),
        "Session": outcome.session,
    }))
}

pub async fn confirm_sign_up(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ConfirmSignUpRequest = parse_input(raw)?;
    let session = state
        .user_pools
        .confirm_sign_up(
            &client_id(&input.client_id)?,
            &input.username,
            &input.confirmation_code,
            ClientProof::SecretHash(input.secret_hash.as_deref()),
            input.force_alias_creation.unwrap_or(false),
            input.session.as_deref(),
        )
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "Session": session }))
}

pub async fn resend_confirmation_code(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ClientUsernameRequest = parse_input(raw)?;
    let details = state
        .user_pools
        .resend_confirmation_code(&client_id(&input.client_id)?, &input.username, ClientProof::SecretHash(input.secret_hash.as_deref()))
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "CodeDeliveryDetails": details.as_ref().map(delivery) }))
}

pub async fn admin_confirm_sign_up(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UsernameInput = parse_input(raw)?;
    state.user_pools.admin_confirm_sign_up(&pool_id(&input.user_pool_id)?, &input.username).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn forgot_password(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ClientUsernameRequest = parse_input(raw)?;
    let details = state
        .user_pools
        .forgot_password(&client_id(&input.client_id)?, &input.username, ClientProof::SecretHash(input.secret_hash.as_deref()))
        .await
        .map_err(error_from_domain)?;
    to_body(&json!({ "CodeDeliveryDetails": delivery(&details) }))
}

pub async fn confirm_forgot_password(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: ConfirmForgotPasswordRequest = parse_input(raw)?;
    state
        .user_pools
        .confirm_forgot_password(
            &client_id(&input.client_id)?,
            &input.username,
            &input.confirmation_code,
            &input.password,
            ClientProof::SecretHash(input.secret_hash.as_deref()),
        )
        .await
        .map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn admin_reset_user_password(state: &AppState, raw: &[u8]) -> Result<Value, ApiError> {
    let input: UsernameInput = parse_input(raw)?;
    state.user_pools.admin_reset_user_password(&pool_id(&input.user_pool_id)?, &input.username).await.map_err(error_from_domain)?;
    Ok(empty())
}
