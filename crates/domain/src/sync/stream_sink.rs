//! Cognito Streams' port and shapes: the `StreamSink` the server hands in, the stream record of a
//! change as Cognito writes it, whether a pool streams, and the stored state of a pool's bulk
//! publish.

use serde::{Deserialize, Serialize};

use super::types::SyncRecord;

/// Where stream records go (the server posts them to `--stream-sink-url`, with retries).
#[async_trait::async_trait]
pub trait StreamSink: Send + Sync + 'static {
    /// Delivers one record; false when the sink did not take it after its retries.
    async fn put(&self, record: &StreamRecord) -> bool;
}

crate::named::named_enum! {
    /// Whether a pool's changes are streamed (`CognitoStreams.StreamingStatus`).
    StreamingStatus, "streamingStatus" { Enabled => "ENABLED", Disabled => "DISABLED" }
}

/// Reads a stored streaming status; a value stored before statuses were checked that names
/// neither reads as none (it never switched streaming on).
pub(super) fn lenient_streaming_status<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<StreamingStatus>, D::Error> {
    let stored: Option<String> = Option::deserialize(deserializer)?;
    Ok(stored.as_deref().and_then(StreamingStatus::from_name))
}

/// Where a bulk publish stands. The stored names are the wire's (`IN_PROGRESS`, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkPublishStatus {
    #[default]
    NotStarted,
    InProgress,
    Failed,
    Succeeded,
}

impl BulkPublishStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkPublishStatus::NotStarted => "NOT_STARTED",
            BulkPublishStatus::InProgress => "IN_PROGRESS",
            BulkPublishStatus::Failed => "FAILED",
            BulkPublishStatus::Succeeded => "SUCCEEDED",
        }
    }
}

/// The bulk publish of a pool, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPublishState {
    pub status: BulkPublishStatus,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    pub failure: Option<String>,
}

/// One record of a dataset as it goes on the stream, with dates in epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisSyncRecord {
    pub key: String,
    pub value: Option<String>,
    pub sync_count: i64,
    pub last_modified_date: i64,
    pub device_last_modified_date: Option<i64>,
    pub op: &'static str,
}

/// The stream record of one change, as Cognito writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRecord {
    pub stream_name: String,
    pub identity_pool_id: String,
    pub identity_id: String,
    #[serde(rename = "dataSetName")]
    pub data_set_name: String,
    pub operation: &'static str,
    pub kinesis_sync_records: Vec<KinesisSyncRecord>,
    pub last_modified_date: i64,
    #[serde(rename = "kinesisSyncRecordsURL")]
    pub kinesis_sync_records_url: Option<String>,
    pub payload_type: &'static str,
    pub sync_count: i64,
}

impl StreamRecord {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        stream_name: &str,
        pool_id: &str,
        identity_id: &str,
        dataset_name: &str,
        operation: &'static str,
        records: &[SyncRecord],
        sync_count: i64,
        modified_ms: i64,
    ) -> StreamRecord {
        StreamRecord {
            stream_name: stream_name.into(),
            identity_pool_id: pool_id.into(),
            identity_id: identity_id.into(),
            data_set_name: dataset_name.into(),
            operation,
            kinesis_sync_records: records
                .iter()
                .map(|record| KinesisSyncRecord {
                    key: record.key.clone(),
                    value: record.value.clone(),
                    sync_count: record.sync_count,
                    last_modified_date: record.modified_ms,
                    device_last_modified_date: record.device_modified_ms,
                    op: if record.value.is_some() { "replace" } else { "remove" },
                })
                .collect(),
            last_modified_date: modified_ms,
            kinesis_sync_records_url: None,
            payload_type: "Inline",
            sync_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::PoolSyncConfiguration;
    use super::*;

    #[test]
    fn stored_streaming_statuses_read_as_before() {
        let enabled: PoolSyncConfiguration = serde_json::from_str(r#"{"streaming_status":"ENABLED","events":{}}"#).unwrap();
        assert_eq!(enabled.streaming_status, Some(StreamingStatus::Enabled));
        assert_eq!(serde_json::to_value(&enabled).unwrap()["streaming_status"], "ENABLED");
        let unchecked: PoolSyncConfiguration = serde_json::from_str(r#"{"streaming_status":"on","events":{}}"#).unwrap();
        assert_eq!(unchecked.streaming_status, None);
        let absent: PoolSyncConfiguration = serde_json::from_str(r#"{"events":{}}"#).unwrap();
        assert_eq!(absent.streaming_status, None);
    }
}
