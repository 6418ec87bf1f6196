//! ConfirmDevice, GetDevice, ListDevices, ForgetDevice, UpdateDeviceStatus and their Admin forms.
//! Authorisation: the `Admin*` operations are SigV4 with the root credentials; the others
//! authenticate by access token.

use std::net::IpAddr;

use serde_json::Value;

use cognate_domain::error::{Constraint, InvalidMember};
use cognate_domain::user_pool::devices::{DeviceVerifierInput, RememberedDevice};

use super::{empty, missing_member, pool_id};
use crate::api::idp::error::error_from_domain;
use crate::api::idp::wire::*;
use crate::aws::json::{parse_input, timestamp, to_body, ApiError};
use crate::state::AppState;

fn device_output(device: RememberedDevice) -> DeviceType {
    DeviceType {
        device_attributes: device.attributes().into_iter().map(|(name, value)| AttributeType { name, value: Some(value) }).collect(),
        device_create_date: timestamp(device.created_ms),
        device_last_modified_date: timestamp(device.modified_ms),
        device_last_authenticated_date: device.last_authenticated_ms.map(timestamp),
        device_key: device.device_key,
    }
}

/// Who a device operation acts for: the holder of an access token, or (Admin) a pool's user.
enum Holder {
    Token(String),
    Admin { pool_id: cognate_domain::ids::UserPoolId, username: String },
}

fn holder(admin: bool, access_token: Option<String>, user_pool_id: Option<String>, username: Option<String>) -> Result<Holder, ApiError> {
    if admin {
        let pool = user_pool_id.ok_or_else(|| missing_member("userPoolId"))?;
        let username = username.ok_or_else(|| missing_member("username"))?;
        Ok(Holder::Admin { pool_id: pool_id(&pool)?, username })
    } else {
        Ok(Holder::Token(access_token.ok_or_else(|| missing_member("accessToken"))?))
    }
}

pub async fn confirm_device(state: &AppState, raw: &[u8], peer: Option<IpAddr>) -> Result<Value, ApiError> {
    let input: ConfirmDeviceRequest = parse_input(raw)?;
    let config = input.device_secret_verifier_config.ok_or_else(|| missing_member("deviceSecretVerifierConfig"))?;
    let verifier = DeviceVerifierInput {
        salt: config.salt.ok_or_else(|| missing_member("deviceSecretVerifierConfig.salt"))?,
        password_verifier: config.password_verifier.ok_or_else(|| missing_member("deviceSecretVerifierConfig.passwordVerifier"))?,
    };
    let necessary = state
        .user_pools
        .confirm_device(&input.access_token, &input.device_key, &verifier, input.device_name.as_deref(), peer.map(|ip| ip.to_string()))
        .await
        .map_err(error_from_domain)?;
    to_body(&ConfirmDeviceResponse { user_confirmation_necessary: necessary })
}

/// GetDevice (`admin` false) and AdminGetDevice.
pub async fn get_device(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: DeviceRequest = parse_input(raw)?;
    let device = match holder(admin, input.access_token, input.user_pool_id, input.username)? {
        Holder::Token(token) => state.user_pools.get_device(&token, &input.device_key).await,
        Holder::Admin { pool_id, username } => state.user_pools.admin_get_device(&pool_id, &username, &input.device_key).await,
    }
    .map_err(error_from_domain)?;
    to_body(&GetDeviceResponse { device: device_output(device) })
}

/// ListDevices (`admin` false) and AdminListDevices.
pub async fn list_devices(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: ListDevicesRequest = parse_input(raw)?;
    let token = input.pagination_token.as_deref();
    let page = match holder(admin, input.access_token, input.user_pool_id, input.username)? {
        Holder::Token(access_token) => state.user_pools.list_devices(&access_token, input.limit, token).await,
        Holder::Admin { pool_id, username } => state.user_pools.admin_list_devices(&pool_id, &username, input.limit, token).await,
    }
    .map_err(error_from_domain)?;
    to_body(&ListDevicesResponse { devices: page.items.into_iter().map(device_output).collect(), pagination_token: page.next_token })
}

/// ForgetDevice (`admin` false) and AdminForgetDevice.
pub async fn forget_device(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: DeviceRequest = parse_input(raw)?;
    match holder(admin, input.access_token, input.user_pool_id, input.username)? {
        Holder::Token(token) => state.user_pools.forget_device(&token, &input.device_key).await,
        Holder::Admin { pool_id, username } => state.user_pools.admin_forget_device(&pool_id, &username, &input.device_key).await,
    }
    .map_err(error_from_domain)?;
    Ok(empty())
}

/// UpdateDeviceStatus (`admin` false) and AdminUpdateDeviceStatus.
pub async fn update_device_status(state: &AppState, raw: &[u8], admin: bool) -> Result<Value, ApiError> {
    let input: DeviceRequest = parse_input(raw)?;
    let remembered = match input.device_remembered_status.as_deref() {
        Some("remembered") => true,
        Some("not_remembered") | None => false,
        Some(other) => {
            let constraint = Constraint::OneOf(vec!["remembered", "not_remembered"]);
            return Err(error_from_domain(InvalidMember::error("deviceRememberedStatus", other.to_string(), constraint)));
        }
    };
    match holder(admin, input.access_token, input.user_pool_id, input.username)? {
        Holder::Token(token) => state.user_pools.update_device_status(&token, &input.device_key, remembered).await,
        Holder::Admin { pool_id, username } => state.user_pools.admin_update_device_status(&pool_id, &username, &input.device_key, remembered).await,
    }
    .map_err(error_from_domain)?;
    Ok(empty())
}
