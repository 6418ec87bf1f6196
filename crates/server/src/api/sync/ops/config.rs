//! The developer's pool settings: Get/SetIdentityPoolConfiguration, Get/SetCognitoEvents,
//! BulkPublish and GetBulkPublishDetails. Authorisation: the root credentials.

use serde_json::Value;

use cognate_domain::sync::config::ConfigurationChanges;
use cognate_domain::sync::StreamingStatus;

use super::Call;
use crate::aws::json::{empty, to_body};
use crate::api::sync::error::error_from_domain;
use crate::api::sync::wire::*;
use crate::aws::json::{parse_input, timestamp, ApiError};

pub async fn get_identity_pool_configuration(call: &Call<'_>) -> Result<Value, ApiError> {
    let configuration = call.state.sync.configuration(&call.pool()?).await.map_err(error_from_domain)?;
    to_body(&ConfigurationResponse::of(&call.pool()?, &configuration))
}

pub async fn set_identity_pool_configuration(call: &Call<'_>) -> Result<Value, ApiError> {
    let request: SetIdentityPoolConfigurationRequest = call.input()?;
    let streams = match request.cognito_streams {
        None => None,
        Some(streams) => {
            let status = streams.streaming_status.as_deref().map(StreamingStatus::parse).transpose().map_err(error_from_domain)?;
            Some((streams.stream_name, streams.role_arn, status))
        }
    };
    let changes = ConfigurationChanges { push: request.push_sync.map(|push| (push.application_arns, push.role_arn)), streams };
    let configuration = call.state.sync.update_configuration(&call.pool()?, changes).await.map_err(error_from_domain)?;
    to_body(&ConfigurationResponse::of(&call.pool()?, &configuration))
}

pub async fn get_cognito_events(call: &Call<'_>) -> Result<Value, ApiError> {
    let configuration = call.state.sync.configuration(&call.pool()?).await.map_err(error_from_domain)?;
    to_body(&EventsResponse { events: configuration.events })
}

pub async fn set_cognito_events(call: &Call<'_>) -> Result<Value, ApiError> {
    let request: SetCognitoEventsRequest = parse_input(call.body)
        .map_err(|_| ApiError::client("InvalidParameterException", "Events must map event names to function ARNs or URLs."))?;
    call.state.sync.set_cognito_events(&call.pool()?, request.events.unwrap_or_default()).await.map_err(error_from_domain)?;
    Ok(empty())
}

pub async fn bulk_publish(call: &Call<'_>) -> Result<Value, ApiError> {
    let pool_id = call.pool()?;
    call.state.sync.bulk_publish(&pool_id).await.map_err(error_from_domain)?;
    to_body(&IdentityPoolIdResponse { identity_pool_id: pool_id.to_string() })
}

pub async fn get_bulk_publish_details(call: &Call<'_>) -> Result<Value, ApiError> {
    let pool_id = call.pool()?;
    let details = call.state.sync.bulk_publish_state(&pool_id).await.map_err(error_from_domain)?;
    to_body(&BulkPublishDetailsResponse {
        identity_pool_id: pool_id.to_string(),
        bulk_publish_start_time: details.started_ms.map(timestamp),
        bulk_publish_complete_time: details.completed_ms.map(timestamp),
        bulk_publish_status: details.status.as_str(),
        failure_message: details.failure,
    })
}
