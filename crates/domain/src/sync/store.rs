//! Cognito Sync's storage port: datasets and their records, written with a compare-and-set on
//! the dataset's counter.

use async_trait::async_trait;

use crate::records::RecordWrite;
use crate::store::error::StoreResult;
use crate::sync::types::{DatasetRecord, SyncRecord};

/// One dataset write of a batch: the dataset and its records, on the condition that the stored
/// count is `expected_count` (None: that the dataset does not exist yet); with `clear`, the
/// dataset's records are removed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetWrite {
    pub expected_count: Option<i64>,
    pub dataset: DatasetRecord,
    pub records: Vec<SyncRecord>,
    pub clear: bool,
}

#[async_trait]
pub trait SyncStore: Send + Sync + 'static {
    // Cognito Sync datasets and records.
    async fn get_sync_dataset(&self, identity_id: &str, name: &str) -> StoreResult<Option<DatasetRecord>>;
    /// Every dataset of an identity (deleted ones included), ordered by name.
    async fn list_sync_datasets(&self, identity_id: &str) -> StoreResult<Vec<DatasetRecord>>;
    /// Every dataset of an identity pool, for its usage figures.
    async fn list_pool_sync_datasets(&self, pool_id: &str) -> StoreResult<Vec<DatasetRecord>>;
    /// The stored records (tombstones included) among `keys`.
    async fn get_sync_records(&self, identity_id: &str, dataset: &str, keys: &[String]) -> StoreResult<Vec<SyncRecord>>;
    /// Records with `(sync_count, key)` after `after`, in that order.
    async fn list_sync_records(&self, identity_id: &str, dataset: &str, after: (i64, &str), limit: u32) -> StoreResult<Vec<SyncRecord>>;
    /// Writes a dataset and records in one transaction, on the condition that the dataset's
    /// stored sync count is still `expected_count` (None: that it does not exist yet); otherwise
    /// `Conflict(Key)` and nothing changes. With `clear`, the dataset's records are removed
    /// first. `notification` is published to the other nodes when the write commits.
    async fn write_sync_dataset(
        &self,
        expected_count: Option<i64>,
        dataset: &DatasetRecord,
        records: &[SyncRecord],
        clear: bool,
        notification: Option<&str>,
    ) -> StoreResult<()>;
    /// Applies record writes and dataset writes in one transaction (an identity merge: the
    /// identities' records and their datasets move together), or nothing when one conflicts.
    async fn write_merge(&self, writes: &[RecordWrite], datasets: &[DatasetWrite]) -> StoreResult<()>;
}
