//! What Cognito Sync keeps: datasets and their records, as the store holds them.

use serde::{Deserialize, Serialize};

/// A dataset as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRecord {
    pub identity_id: String,
    pub name: String,
    pub pool_id: String,
    pub sync_count: i64,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub last_modified_by: String,
    pub storage_bytes: i64,
    pub record_count: i64,
    /// False once deleted (until an UpdateRecords creates it again).
    pub exists: bool,
    /// The sync count at which it was last deleted (0: never).
    pub deleted_at_count: i64,
}

/// A record as stored; `value` None is a removed record (a tombstone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub key: String,
    pub value: Option<String>,
    pub sync_count: i64,
    pub modified_ms: i64,
    pub device_modified_ms: Option<i64>,
    pub modified_by: String,
}

impl SyncRecord {
    pub(crate) fn storage(&self) -> i64 {
        self.value.as_ref().map(|value| (self.key.len() + value.len()) as i64).unwrap_or(0)
    }
}
