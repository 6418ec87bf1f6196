//! The keyed records `(kind, scope, key) → document` that identity pools, identities, IAM, STS
//! sessions and the user pool's smaller documents live in, and their storage port.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{DomainError, DomainResult};
use crate::store::error::StoreResult;

/// A document kept in the records table, in the manner of a table schema: its kind, and the scope
/// and key it is filed under. Its encoding (JSON) and key scheme are written once, here.
pub trait Record: Serialize + DeserializeOwned + Send + Sync {
    const KIND: &'static str;
    /// The partition the record is listed in (`""` for account-wide kinds).
    fn scope(&self) -> String;
    /// The record's key within its scope.
    fn key(&self) -> String;

    /// A write that adds the record; `Conflict(Key)` when its key is taken.
    fn insert(&self) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Insert { kind: Self::KIND, scope: self.scope(), key: self.key(), data: encode(self)?, expires_ms: None })
    }

    /// A write that adds or replaces the record.
    fn put(&self) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Put { kind: Self::KIND, scope: self.scope(), key: self.key(), data: encode(self)?, expires_ms: None })
    }

    /// A write that replaces the record, which must exist.
    fn replace(&self) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Replace { kind: Self::KIND, scope: self.scope(), key: self.key(), data: encode(self)? })
    }

    /// A write that removes the record.
    fn delete(&self) -> RecordWrite {
        RecordWrite::Delete { kind: Self::KIND, scope: self.scope(), key: self.key() }
    }
}

fn encode<R: Serialize>(record: &R) -> DomainResult<String> {
    serde_json::to_string(record).map_err(DomainError::internal)
}

fn decode<R: DeserializeOwned>(data: &str) -> DomainResult<R> {
    serde_json::from_str(data).map_err(DomainError::internal)
}

/// Typed reads of the records table, for every [`Record`] and every store.
#[async_trait]
pub trait Records {
    /// The record filed under `(scope, key)`, unless it has expired by `now_ms`.
    async fn get_record_of<R: Record>(&self, scope: &str, key: &str, now_ms: i64) -> DomainResult<Option<R>>;
    /// Records of one scope ordered by key, after `after`.
    async fn list_records_of<R: Record>(&self, scope: &str, after: Option<&str>, limit: u32) -> DomainResult<Vec<R>>;
}

#[async_trait]
impl<S: RecordStore + ?Sized> Records for S {
    async fn get_record_of<R: Record>(&self, scope: &str, key: &str, now_ms: i64) -> DomainResult<Option<R>> {
        self.get_record(R::KIND, scope, key, now_ms).await?.map(|data| decode(&data)).transpose()
    }

    async fn list_records_of<R: Record>(&self, scope: &str, after: Option<&str>, limit: u32) -> DomainResult<Vec<R>> {
        self.list_records(R::KIND, scope, after, limit).await?.iter().map(|(_, data)| decode(data)).collect()
    }
}

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
