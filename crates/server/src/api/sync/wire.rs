//! Cognito Sync's wire shapes, named as the service model names them, parsed straight from the
//! request body and converted by hand to and from the domain's types. Absent members of an
//! answer are dropped when the body is written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use cognate_domain::sync::{DatasetRecord, IdentityUsage, PoolSyncConfiguration, PoolUsage, SyncRecord};

use crate::aws::json::timestamp;

// ----- requests -----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordPatchShape {
    pub op: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
    pub sync_count: Option<i64>,
    /// Epoch seconds.
    pub device_last_modified_date: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateRecordsRequest {
    pub device_id: Option<String>,
    pub record_patches: Option<Vec<RecordPatchShape>>,
    pub sync_session_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterDeviceRequest {
    pub platform: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PushSyncShape {
    pub application_arns: Option<Vec<String>>,
    pub role_arn: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CognitoStreamsShape {
    pub stream_name: Option<String>,
    pub role_arn: Option<String>,
    pub streaming_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetIdentityPoolConfigurationRequest {
    pub push_sync: Option<PushSyncShape>,
    pub cognito_streams: Option<CognitoStreamsShape>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetCognitoEventsRequest {
    pub events: Option<BTreeMap<String, String>>,
}

// ----- responses -----

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordShape {
    pub key: String,
    pub value: Option<String>,
    pub sync_count: i64,
    pub last_modified_date: f64,
    pub last_modified_by: String,
    pub device_last_modified_date: Option<f64>,
}

impl RecordShape {
    pub fn of(record: &SyncRecord) -> RecordShape {
        RecordShape {
            key: record.key.clone(),
            value: record.value.clone(),
            sync_count: record.sync_count,
            last_modified_date: timestamp(record.modified_ms),
            last_modified_by: record.modified_by.clone(),
            device_last_modified_date: record.device_modified_ms.map(timestamp),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DatasetShape {
    pub identity_id: String,
    pub dataset_name: String,
    pub creation_date: f64,
    pub last_modified_date: f64,
    pub last_modified_by: String,
    pub data_storage: i64,
    pub num_records: i64,
}

impl DatasetShape {
    pub fn of(dataset: &DatasetRecord) -> DatasetShape {
        DatasetShape {
            identity_id: dataset.identity_id.clone(),
            dataset_name: dataset.name.clone(),
            creation_date: timestamp(dataset.created_ms),
            last_modified_date: timestamp(dataset.modified_ms),
            last_modified_by: dataset.last_modified_by.clone(),
            data_storage: dataset.storage_bytes,
            num_records: dataset.record_count,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRecordsResponse {
    pub records: Vec<RecordShape>,
    pub next_token: Option<String>,
    pub count: usize,
    pub dataset_sync_count: i64,
    pub last_modified_by: Option<String>,
    pub merged_dataset_names: Vec<String>,
    pub dataset_exists: bool,
    pub dataset_deleted_after_requested_sync_count: bool,
    pub sync_session_token: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordsResponse {
    pub records: Vec<RecordShape>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DatasetResponse {
    pub dataset: DatasetShape,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDatasetsResponse {
    pub datasets: Vec<DatasetShape>,
    pub count: usize,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityUsageShape {
    pub identity_id: String,
    pub identity_pool_id: String,
    pub last_modified_date: Option<f64>,
    pub dataset_count: i64,
    pub data_storage: i64,
}

impl IdentityUsageShape {
    pub fn of(usage: &IdentityUsage) -> IdentityUsageShape {
        IdentityUsageShape {
            identity_id: usage.identity_id.clone(),
            identity_pool_id: usage.pool_id.clone(),
            last_modified_date: usage.last_modified_ms.map(timestamp),
            dataset_count: usage.dataset_count,
            data_storage: usage.storage_bytes,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityUsageResponse {
    pub identity_usage: IdentityUsageShape,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolUsageShape {
    pub identity_pool_id: String,
    pub data_storage: i64,
    pub last_modified_date: Option<f64>,
}

impl PoolUsageShape {
    pub fn of(usage: &PoolUsage) -> PoolUsageShape {
        PoolUsageShape { identity_pool_id: usage.pool_id.clone(), data_storage: usage.storage_bytes, last_modified_date: usage.last_modified_ms.map(timestamp) }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolUsageResponse {
    pub identity_pool_usage: PoolUsageShape,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoolUsageResponse {
    pub identity_pool_usages: Vec<PoolUsageShape>,
    pub max_results: i32,
    pub count: usize,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterDeviceResponse {
    pub device_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigurationResponse {
    pub identity_pool_id: String,
    pub push_sync: Option<PushSyncShape>,
    pub cognito_streams: Option<CognitoStreamsShape>,
}

impl ConfigurationResponse {
    pub fn of(pool_id: &str, configuration: &PoolSyncConfiguration) -> ConfigurationResponse {
        let push = configuration.push_application_arns.is_some() || configuration.push_role_arn.is_some();
        let streams = configuration.stream_name.is_some() || configuration.streaming_status.is_some();
        ConfigurationResponse {
            identity_pool_id: pool_id.into(),
            push_sync: push.then(|| PushSyncShape {
                application_arns: configuration.push_application_arns.clone(),
                role_arn: configuration.push_role_arn.clone(),
            }),
            cognito_streams: streams.then(|| CognitoStreamsShape {
                stream_name: configuration.stream_name.clone(),
                role_arn: configuration.stream_role_arn.clone(),
                streaming_status: configuration.streaming_status.map(|status| status.as_str().to_string()),
            }),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventsResponse {
    pub events: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityPoolIdResponse {
    pub identity_pool_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkPublishDetailsResponse {
    pub identity_pool_id: String,
    pub bulk_publish_start_time: Option<f64>,
    pub bulk_publish_complete_time: Option<f64>,
    pub bulk_publish_status: &'static str,
    pub failure_message: Option<String>,
}
