//! Devices and subscriptions: RegisterDevice, SubscribeToDataset and UnsubscribeFromDataset.
//! Authorisation: the identity's own credentials only.

use serde_json::Value;

use super::Call;
use crate::aws::json::{empty, to_body};
use crate::api::sync::error::error_from_domain;
use crate::api::sync::wire::*;
use crate::aws::json::ApiError;

pub async fn register_device(call: &Call<'_>) -> Result<Value, ApiError> {
    let request: RegisterDeviceRequest = call.input()?;
    let device_id = call
        .state
        .sync
        .register_device(&call.pool()?, &call.identity()?, request.platform.as_deref().unwrap_or(""), request.token.as_deref().unwrap_or(""))
        .await
        .map_err(error_from_domain)?;
    to_body(&RegisterDeviceResponse { device_id })
}

pub async fn subscribe_to_dataset(call: &Call<'_>, subscribe: bool) -> Result<Value, ApiError> {
    let device = call.route.device_id.as_deref().unwrap_or_default();
    call.state.sync.subscribe(&call.pool()?, &call.identity()?, call.dataset(), device, subscribe).await.map_err(error_from_domain)?;
    Ok(empty())
}
