//! The remembered-device shapes: ConfirmDevice with its verifier, the device listings and status.

use serde::{Deserialize, Serialize};

use super::shared::AttributeType;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceSecretVerifierConfigType {
    pub password_verifier: Option<String>,
    pub salt: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmDeviceRequest {
    pub access_token: String,
    pub device_key: String,
    pub device_secret_verifier_config: Option<DeviceSecretVerifierConfigType>,
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmDeviceResponse {
    pub user_confirmation_necessary: bool,
}

/// GetDevice, ForgetDevice and UpdateDeviceStatus, and their Admin forms (which name the pool
/// and the user instead of an access token).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceRequest {
    pub access_token: Option<String>,
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    pub device_key: String,
    pub device_remembered_status: Option<String>,
}

/// ListDevices and AdminListDevices.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDevicesRequest {
    pub access_token: Option<String>,
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    pub limit: Option<i32>,
    pub pagination_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceType {
    pub device_key: String,
    pub device_attributes: Vec<AttributeType>,
    pub device_create_date: f64,
    pub device_last_modified_date: f64,
    pub device_last_authenticated_date: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetDeviceResponse {
    pub device: DeviceType,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDevicesResponse {
    pub devices: Vec<DeviceType>,
    pub pagination_token: Option<String>,
}
