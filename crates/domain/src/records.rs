//! The keyed records `(kind, scope, key) → document` that identity pools, identities, IAM, STS
//! sessions and the user pool's smaller documents live in, and their storage port.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{DomainError, DomainResult};
use crate::store::error::{ConflictOn, StoreError, StoreResult};

/// A JSON document of one kind in the records table. Its encoding is written once, here; where
/// it is filed is given with each write (a document filed under a secret's hash or its owner's
/// id), or by the document itself when it is a [`Record`].
pub trait Document: Serialize + DeserializeOwned + Send + Sync {
    const KIND: &'static str;

    /// A write that adds the document under `(scope, key)`, to be purged after `expires_ms`;
    /// `Conflict(Key)` when the key is taken.
    fn insert_at(&self, scope: &str, key: &str, expires_ms: Option<i64>) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Insert { kind: Self::KIND, scope: scope.to_string(), key: key.to_string(), data: encode(self)?, expires_ms })
    }

    /// A write that adds or replaces the document under `(scope, key)`.
    fn put_at(&self, scope: &str, key: &str, expires_ms: Option<i64>) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Put { kind: Self::KIND, scope: scope.to_string(), key: key.to_string(), data: encode(self)?, expires_ms })
    }

    /// A write that replaces the document under `(scope, key)`, which must exist.
    fn replace_at(&self, scope: &str, key: &str) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Replace { kind: Self::KIND, scope: scope.to_string(), key: key.to_string(), data: encode(self)? })
    }

    /// A write that replaces the document under `(scope, key)` if it is still stored as
    /// `stored` (the text it was read as, [`Read::stored`]); `Conflict(Stale)` otherwise.
    fn swap_at(&self, scope: &str, key: &str, stored: &str) -> DomainResult<RecordWrite> {
        Ok(RecordWrite::Swap {
            kind: Self::KIND,
            scope: scope.to_string(),
            key: key.to_string(),
            expected: stored.to_string(),
            data: encode(self)?,
        })
    }

    /// A write that removes the document of this kind under `(scope, key)`.
    fn delete_at(scope: &str, key: &str) -> RecordWrite {
        RecordWrite::Delete { kind: Self::KIND, scope: scope.to_string(), key: key.to_string() }
    }
}

/// A document that knows where it is filed, in the manner of a table schema: the scope it is
/// listed in and its key there (and, for a record that lapses, when it may be purged).
pub trait Record: Document {
    /// The partition the record is listed in (`""` for account-wide kinds).
    fn scope(&self) -> String;
    /// The record's key within its scope.
    fn key(&self) -> String;
    /// When the record may be purged; None for one that lasts.
    fn expires_ms(&self) -> Option<i64> {
        None
    }

    /// A write that adds the record; `Conflict(Key)` when its key is taken.
    fn insert(&self) -> DomainResult<RecordWrite> {
        self.insert_at(&self.scope(), &self.key(), self.expires_ms())
    }

    /// A write that adds or replaces the record.
    fn put(&self) -> DomainResult<RecordWrite> {
        self.put_at(&self.scope(), &self.key(), self.expires_ms())
    }

    /// A write that replaces the record, which must exist.
    fn replace(&self) -> DomainResult<RecordWrite> {
        self.replace_at(&self.scope(), &self.key())
    }

    /// A write that removes the record.
    fn delete(&self) -> RecordWrite {
        Self::delete_at(&self.scope(), &self.key())
    }
}

fn encode<R: Serialize>(record: &R) -> DomainResult<String> {
    serde_json::to_string(record).map_err(DomainError::internal)
}

fn decode<R: DeserializeOwned>(data: &str) -> DomainResult<R> {
    serde_json::from_str(data).map_err(DomainError::internal)
}

/// A document as read, with the text it was stored as: the version a compare-and-set
/// ([`Document::swap_at`]) is based on.
#[derive(Debug, Clone)]
pub struct Read<R> {
    pub value: R,
    pub stored: String,
}

/// Typed reads of the records table, for every [`Record`] and every store.
#[async_trait]
pub trait Records {
    /// The record filed under `(scope, key)`, unless it has expired by `now_ms`.
    async fn get_record_of<R: Document>(&self, scope: &str, key: &str, now_ms: i64) -> DomainResult<Option<R>>;
    /// As [`Records::get_record_of`], with the stored text, for a compare-and-set.
    async fn read_record_of<R: Document>(&self, scope: &str, key: &str) -> DomainResult<Option<Read<R>>>;
    /// Records of one scope ordered by key, after `after`.
    async fn list_records_of<R: Document>(&self, scope: &str, after: Option<&str>, limit: u32) -> DomainResult<Vec<R>>;
    /// Reads the document under `(scope, key)`, applies `change` and writes it back as a
    /// compare-and-set, reading again when others changed it meanwhile (a few times, then
    /// TooManyRequests). None when there is no such document; an error of `change` stops it.
    async fn change_record_of<R, F>(&self, scope: &str, key: &str, change: F) -> DomainResult<Option<R>>
    where
        R: Document,
        F: FnMut(&mut R) -> DomainResult<()> + Send;
}

/// How many times a compare-and-set of a document is tried against others at the same time.
const CHANGE_ATTEMPTS: usize = 8;

#[async_trait]
impl<S: RecordStore + ?Sized> Records for S {
    async fn get_record_of<R: Document>(&self, scope: &str, key: &str, now_ms: i64) -> DomainResult<Option<R>> {
        self.get_record(R::KIND, scope, key, now_ms).await?.map(|data| decode(&data)).transpose()
    }

    async fn read_record_of<R: Document>(&self, scope: &str, key: &str) -> DomainResult<Option<Read<R>>> {
        match self.get_record(R::KIND, scope, key, 0).await? {
            Some(stored) => Ok(Some(Read { value: decode(&stored)?, stored })),
            None => Ok(None),
        }
    }

    async fn list_records_of<R: Document>(&self, scope: &str, after: Option<&str>, limit: u32) -> DomainResult<Vec<R>> {
        self.list_records(R::KIND, scope, after, limit).await?.iter().map(|(_, data)| decode(data)).collect()
    }

    async fn change_record_of<R, F>(&self, scope: &str, key: &str, mut change: F) -> DomainResult<Option<R>>
    where
        R: Document,
        F: FnMut(&mut R) -> DomainResult<()> + Send,
    {
        for _ in 0..CHANGE_ATTEMPTS {
            let Some(read) = self.read_record_of::<R>(scope, key).await? else {
                return Ok(None);
            };
            let Read { mut value, stored } = read;
            change(&mut value)?;
            match self.write_records(&[value.swap_at(scope, key, &stored)?]).await {
                Ok(()) => return Ok(Some(value)),
                Err(StoreError::Conflict(ConflictOn::Stale)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::TooManyRequests("The resource was changed by other requests at the same time. Try again.".into()))
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
    /// Replaces a record whose data is still `expected` (the text it was read as): a
    /// compare-and-set; `Conflict(Stale)` when it changed or went meanwhile.
    Swap { kind: &'static str, scope: String, key: String, expected: String, data: String },
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
