//! Cognito Streams without Kinesis: when a pool's `CognitoStreams` is ENABLED, every committed
//! change to a dataset goes to the stream sink the server hands in, as the record Cognito puts
//! on its stream; BulkPublish sends every dataset of the pool there once, at most one success a
//! day and never two runs at a time.

use std::sync::Arc;

use super::stream_sink::{BulkPublishState, BulkPublishStatus, StreamRecord, StreamSink, StreamingStatus};
use super::types::SyncRecord;
use super::SyncService;
use crate::ids::{IdentityId, IdentityPoolId};
use crate::error::{DomainError, DomainResult};

/// A pool may bulk publish successfully once a day.
const BULK_PUBLISH_INTERVAL_MS: i64 = 24 * 3600 * 1000;

impl SyncService {
    pub fn with_stream_sink(mut self, sink: Arc<dyn StreamSink>) -> Self {
        self.stream_sink = Some(sink);
        self
    }

    /// After a committed change: streams it when the pool's streaming is enabled and a sink is
    /// set. Runs in the background; the request does not wait.
    pub fn after_write(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, dataset_name: &str, operation: &'static str, records: Vec<SyncRecord>) {
        let Some(sink) = self.stream_sink.clone() else {
            return;
        };
        let (service, pool_id, identity_id, dataset_name) = (self.clone(), pool_id.clone(), identity_id.to_string(), dataset_name.to_string());
        tokio::spawn(async move {
            let Ok(configuration) = service.configuration(&pool_id).await else {
                return;
            };
            let (Some(stream), Some(StreamingStatus::Enabled)) = (configuration.stream_name.as_deref(), configuration.streaming_status) else {
                return;
            };
            let sync_count = records.iter().map(|record| record.sync_count).max().unwrap_or(0);
            let record = StreamRecord::new(stream, &pool_id, &identity_id, &dataset_name, operation, &records, sync_count, service.now());
            if !sink.put(&record).await {
                tracing::error!(pool = %pool_id, dataset = %dataset_name, "a stream record was dropped");
            }
        });
    }

    /// BulkPublish: refuses a second run while one is in progress and a second success within
    /// a day; otherwise starts publishing every dataset of the pool in the background.
    pub async fn bulk_publish(&self, pool_id: &IdentityPoolId) -> DomainResult<()> {
        let configuration = self.configuration(pool_id).await?;
        let (Some(stream), Some(sink)) = (configuration.stream_name.clone(), self.stream_sink.clone()) else {
            return Err(DomainError::InvalidConfiguration(
                "Configure CognitoStreams for this pool (and start cognate with a stream sink) first.".into(),
            ));
        };
        let current = self.bulk_publish_state(pool_id).await?;
        let now = self.now();
        if current.status == BulkPublishStatus::InProgress {
            return Err(DomainError::DuplicateRequest("A bulk publish is already in progress for this identity pool.".into()));
        }
        if current.status == BulkPublishStatus::Succeeded && current.started_ms.is_some_and(|started| now - started < BULK_PUBLISH_INTERVAL_MS) {
            return Err(DomainError::AlreadyStreamed("This identity pool was bulk published in the last 24 hours.".into()));
        }
        let running = BulkPublishState { status: BulkPublishStatus::InProgress, started_ms: Some(now), completed_ms: None, failure: None };
        self.set_bulk_publish_state(pool_id, &running).await?;
        let (service, pool) = (self.clone(), pool_id.to_string());
        tokio::spawn(async move {
            let outcome = service.publish_all(&pool, &stream, sink.as_ref()).await;
            let finished = BulkPublishState {
                status: if outcome.is_ok() { BulkPublishStatus::Succeeded } else { BulkPublishStatus::Failed },
                started_ms: running.started_ms,
                completed_ms: Some(service.now()),
                failure: outcome.err(),
            };
            if let Err(error) = service.set_bulk_publish_state(&pool, &finished).await {
                tracing::error!(%error, "recording the end of a bulk publish");
            }
        });
        Ok(())
    }

    async fn publish_all(&self, pool_id: &str, stream: &str, sink: &dyn StreamSink) -> Result<(), String> {
        let datasets = self.pool_datasets(pool_id).await.map_err(|error| error.to_string())?;
        for dataset in datasets {
            let records = self.all_records(&dataset.identity_id, &dataset.name).await.map_err(|error| error.to_string())?;
            let live: Vec<SyncRecord> = records.into_iter().filter(|record| record.value.is_some()).collect();
            let record = StreamRecord::new(stream, pool_id, &dataset.identity_id, &dataset.name, "replace", &live, dataset.sync_count, dataset.modified_ms);
            if !sink.put(&record).await {
                return Err(format!("The stream sink did not take the dataset {} of {}.", dataset.name, dataset.identity_id));
            }
        }
        Ok(())
    }
}
