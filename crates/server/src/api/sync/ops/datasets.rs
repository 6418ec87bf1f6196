//! Datasets and records: ListRecords, UpdateRecords (then streamed when the pool streams),
//! DescribeDataset, DeleteDataset and ListDatasets. Authorisation: the identity's own
//! credentials (policy-checked on the dataset) or the developer's.

use serde_json::Value;

use cognate_domain::sync::RecordPatch;

use super::Call;
use crate::aws::json::to_body;
use crate::api::sync::error::error_from_domain;
use crate::api::sync::router::{integer_param, query_param};
use crate::api::sync::wire::*;
use crate::aws::json::ApiError;

pub async fn list_records(call: &Call<'_>) -> Result<Value, ApiError> {
    let page = call
        .state
        .sync
        .list_records(
            &call.pool()?,
            &call.identity()?,
            call.dataset(),
            integer_param(call.uri, "lastSyncCount")?,
            query_param(call.uri, "nextToken").as_deref(),
            integer_param(call.uri, "maxResults")?,
        )
        .await
        .map_err(error_from_domain)?;
    to_body(&ListRecordsResponse {
        records: page.records.iter().map(RecordShape::of).collect(),
        next_token: page.next_token,
        count: page.records.len(),
        dataset_sync_count: page.dataset_sync_count,
        last_modified_by: page.last_modified_by,
        merged_dataset_names: page.merged_dataset_names,
        dataset_exists: page.exists,
        dataset_deleted_after_requested_sync_count: page.deleted_after_requested,
        sync_session_token: page.session_token,
    })
}

pub async fn update_records(call: &Call<'_>) -> Result<Value, ApiError> {
    let request: UpdateRecordsRequest = call.input()?;
    let token = request.sync_session_token.ok_or_else(|| {
        ApiError::client("InvalidParameterException", crate::aws::validation::missing("syncSessionToken"))
    })?;
    let mut patches = Vec::new();
    for patch in request.record_patches.unwrap_or_default() {
        let op = patch.op.unwrap_or_default();
        if op != "replace" && op != "remove" {
            return Err(ApiError::client("InvalidParameterException", format!("Op must be replace or remove, not '{op}'.")));
        }
        let key = patch.key.ok_or_else(|| ApiError::client("InvalidParameterException", "Each record patch needs a Key."))?;
        let sync_count = patch.sync_count.ok_or_else(|| ApiError::client("InvalidParameterException", "Each record patch needs a SyncCount."))?;
        patches.push(RecordPatch {
            remove: op == "remove",
            key,
            value: patch.value,
            sync_count,
            device_modified_ms: patch.device_last_modified_date.map(|seconds| (seconds * 1000.0) as i64),
        });
    }
    let sync = &call.state.sync;
    let records = sync
        .update_records(&call.pool()?, &call.identity()?, call.dataset(), request.device_id.as_deref(), &patches, &token, call.modified_by, call.by_identity)
        .await
        .map_err(error_from_domain)?;
    let output = to_body(&RecordsResponse { records: records.iter().map(RecordShape::of).collect() });
    sync.after_write(&call.pool()?, &call.identity()?, call.dataset(), "replace", records);
    output
}

pub async fn describe_dataset(call: &Call<'_>) -> Result<Value, ApiError> {
    let dataset = call.state.sync.describe_dataset(&call.pool()?, &call.identity()?, call.dataset()).await.map_err(error_from_domain)?;
    to_body(&DatasetResponse { dataset: DatasetShape::of(&dataset) })
}

pub async fn delete_dataset(call: &Call<'_>) -> Result<Value, ApiError> {
    let sync = &call.state.sync;
    let deleted = sync.delete_dataset(&call.pool()?, &call.identity()?, call.dataset(), call.modified_by).await.map_err(error_from_domain)?;
    sync.after_write(&call.pool()?, &call.identity()?, call.dataset(), "remove", Vec::new());
    to_body(&DatasetResponse { dataset: DatasetShape::of(&deleted) })
}

pub async fn list_datasets(call: &Call<'_>) -> Result<Value, ApiError> {
    let (datasets, next_token) = call
        .state
        .sync
        .list_datasets(&call.pool()?, &call.identity()?, query_param(call.uri, "nextToken").as_deref(), integer_param(call.uri, "maxResults")?)
        .await
        .map_err(error_from_domain)?;
    to_body(&ListDatasetsResponse { datasets: datasets.iter().map(DatasetShape::of).collect(), count: datasets.len(), next_token })
}
