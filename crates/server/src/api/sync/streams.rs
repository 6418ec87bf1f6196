//! Cognito Streams without Kinesis: when a pool's `CognitoStreams` is ENABLED, every committed
//! change to a dataset is POSTed to the stream sink (`--stream-sink-url`) as the record Cognito
//! puts on its stream, and BulkPublish sends every dataset of the pool there once.

use std::time::Duration;

use serde_json::{json, Value};

use cognate_domain::sync::{BulkPublishState, SyncRecord};

use crate::state::AppState;
use crate::aws::json::{timestamp, ApiError};

const SINK_ATTEMPTS: u32 = 4;
const SINK_FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// A pool may bulk publish successfully once a day.
const BULK_PUBLISH_INTERVAL_MS: i64 = 24 * 3600 * 1000;

/// The stream record of one change, with dates in epoch milliseconds as Cognito writes them.
#[allow(clippy::too_many_arguments)]
pub fn stream_record(
    stream_name: &str,
    pool_id: &str,
    identity_id: &str,
    dataset_name: &str,
    operation: &str,
    records: &[SyncRecord],
    sync_count: i64,
    modified_ms: i64,
) -> Value {
    json!({
        "streamName": stream_name,
        "identityPoolId": pool_id,
        "identityId": identity_id,
        "dataSetName": dataset_name,
        "operation": operation,
        "kinesisSyncRecords": records.iter().map(|record| json!({
            "key": record.key,
            "value": record.value,
            "syncCount": record.sync_count,
            "lastModifiedDate": record.modified_ms,
            "deviceLastModifiedDate": record.device_modified_ms,
            "op": if record.value.is_some() { "replace" } else { "remove" },
        })).collect::<Vec<_>>(),
        "lastModifiedDate": modified_ms,
        "kinesisSyncRecordsURL": null,
        "payloadType": "Inline",
        "syncCount": sync_count,
    })
}

/// Posts one record to the sink, retried with backoff; true once the sink took it.
async fn post(http: &reqwest::Client, url: &str, record: &Value) -> bool {
    let mut backoff = SINK_FIRST_BACKOFF;
    for attempt in 1..=SINK_ATTEMPTS {
        match http.post(url).json(record).send().await {
            Ok(response) if response.status().is_success() => return true,
            Ok(response) => tracing::warn!(status = %response.status(), attempt, "the stream sink refused a record"),
            Err(error) => tracing::warn!(%error, attempt, "the stream sink did not answer"),
        }
        if attempt < SINK_ATTEMPTS {
            tokio::time::sleep(backoff).await;
            backoff *= 4;
        }
    }
    false
}

/// After a committed change: streams it when the pool's streaming is enabled and a sink is set.
/// Runs in the background; the request does not wait.
pub fn after_write(state: &AppState, pool_id: &str, identity_id: &str, dataset_name: &str, operation: &'static str, records: Vec<SyncRecord>) {
    let Some(url) = state.config.stream_sink_url.clone() else {
        return;
    };
    let (state, pool_id, identity_id, dataset_name) = (state.clone(), pool_id.to_string(), identity_id.to_string(), dataset_name.to_string());
    tokio::spawn(async move {
        let Ok(configuration) = state.sync.configuration(&pool_id).await else {
            return;
        };
        let (Some(stream), Some("ENABLED")) = (configuration.stream_name.as_deref(), configuration.streaming_status.as_deref()) else {
            return;
        };
        let sync_count = records.iter().map(|record| record.sync_count).max().unwrap_or(0);
        let record = stream_record(stream, &pool_id, &identity_id, &dataset_name, operation, &records, sync_count, state.clock.now_millis());
        if !post(&state.outbound, &url, &record).await {
            tracing::error!(pool = %pool_id, dataset = %dataset_name, "a stream record was dropped after {SINK_ATTEMPTS} attempts");
        }
    });
}

/// BulkPublish: refuses a second run while one is in progress and a second success within a
/// day; otherwise starts publishing every dataset of the pool in the background.
pub async fn bulk_publish(state: &AppState, pool_id: &str) -> Result<Value, ApiError> {
    let domain = crate::api::sync::error::error_from_domain;
    let configuration = state.sync.configuration(pool_id).await.map_err(domain)?;
    let (Some(stream), Some(url)) = (configuration.stream_name.clone(), state.config.stream_sink_url.clone()) else {
        return Err(ApiError::client("InvalidConfigurationException", "Configure CognitoStreams for this pool (and start cognate with a stream sink) first."));
    };
    let current = state.sync.bulk_publish_state(pool_id).await.map_err(domain)?;
    let now = state.clock.now_millis();
    if current.status == "IN_PROGRESS" {
        return Err(ApiError::client("DuplicateRequestException", "A bulk publish is already in progress for this identity pool."));
    }
    if current.status == "SUCCEEDED" && current.started_ms.is_some_and(|started| now - started < BULK_PUBLISH_INTERVAL_MS) {
        return Err(ApiError::client("AlreadyStreamedException", "This identity pool was bulk published in the last 24 hours."));
    }
    let running = BulkPublishState { status: "IN_PROGRESS".into(), started_ms: Some(now), completed_ms: None, failure: None };
    state.sync.set_bulk_publish_state(pool_id, &running).await.map_err(domain)?;
    let (state, pool) = (state.clone(), pool_id.to_string());
    tokio::spawn(async move {
        let outcome = publish_all(&state, &pool, &stream, &url).await;
        let finished = BulkPublishState {
            status: if outcome.is_ok() { "SUCCEEDED" } else { "FAILED" }.into(),
            started_ms: running.started_ms,
            completed_ms: Some(state.clock.now_millis()),
            failure: outcome.err(),
        };
        if let Err(error) = state.sync.set_bulk_publish_state(&pool, &finished).await {
            tracing::error!(%error, "recording the end of a bulk publish");
        }
    });
    Ok(json!({"IdentityPoolId": pool_id}))
}

async fn publish_all(state: &AppState, pool_id: &str, stream: &str, url: &str) -> Result<(), String> {
    let datasets = state.sync.pool_datasets(pool_id).await.map_err(|error| error.to_string())?;
    for dataset in datasets {
        let records = state.sync.all_records(&dataset.identity_id, &dataset.name).await.map_err(|error| error.to_string())?;
        let live: Vec<SyncRecord> = records.into_iter().filter(|record| record.value.is_some()).collect();
        let record = stream_record(stream, pool_id, &dataset.identity_id, &dataset.name, "replace", &live, dataset.sync_count, dataset.modified_ms);
        if !post(&state.outbound, url, &record).await {
            return Err(format!("The stream sink did not take the dataset {} of {}.", dataset.name, dataset.identity_id));
        }
    }
    Ok(())
}

pub async fn bulk_publish_details(state: &AppState, pool_id: &str) -> Result<Value, ApiError> {
    let details = state.sync.bulk_publish_state(pool_id).await.map_err(crate::api::sync::error::error_from_domain)?;
    Ok(json!({
        "IdentityPoolId": pool_id,
        "BulkPublishStartTime": details.started_ms.map(timestamp),
        "BulkPublishCompleteTime": details.completed_ms.map(timestamp),
        "BulkPublishStatus": details.status,
        "FailureMessage": details.failure,
    }))
}
