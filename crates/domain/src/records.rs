//! The keyed records `(kind, scope, key) → document` that identity pools, identities, IAM, STS
//! sessions and the user pool's smaller documents live in, and their storage port.

use async_trait::async_trait;

use crate::store::error::StoreResult;

/// One write of a batch to the keyed records (`kind`, `scope`, `key`) that identity pools, IAM
/// and STS keep. A batch is applied atomically: all of it, or none when one write conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordWrite {
    /// Adds a record; `Conflict(Key)` when the key is taken.
    Insert { kind: &'static str, scope: String, key: String, data: String, expires_ms: Option<i64> },
    /// Adds or replaces a record.
    Put { kind: &'static str, scope: String, key: String, data: String, expires_ms: Option<i64> },
    /// Replaces a record that must exist; `Conflict(Absent)` otherwise.
    Replace { kind: &'static str, scope: String, key: String, data: String },
    /// Removes a record if it is there.
    Delete { kind: &'static str, scope: String, key: String },
    /// Removes every record of a kind in a scope.
    DeleteScope { kind: &'static str, scope: String },
}

#[async_trait]
pub trait RecordStore: Send + Sync + 'static {
    // Keyed records (identity pools, identities, IAM, STS sessions).
    /// One record's data, unless it has expired by `now_ms`.
    async fn get_record(&self, kind: &str, scope: &str, key: &str, now_ms: i64) -> StoreResult<Option<String>>;
    /// Records of a kind in a scope ordered by key, after `after`, with their keys.
    async fn list_records(&self, kind: &str, scope: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, String)>>;
    /// Applies a batch of writes in one transaction.
    async fn write_records(&self, writes: &[RecordWrite]) -> StoreResult<()>;
    /// Removes records that expired before `now_ms`; returns how many.
    async fn purge_expired_records(&self, now_ms: i64) -> StoreResult<u64>;
}
