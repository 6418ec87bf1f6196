//! Cognito Sync: per-identity datasets of key-value records, synchronised by every device of an
//! identity with optimistic concurrency.
//!
//! Each dataset has one sync counter. An UpdateRecords that succeeds moves it from n to n+1 and
//! gives every record it touched the count n+1; a patch must name the count it last saw for its
//! record (0 for a new key), otherwise the whole request is a conflict and nothing changes. The
//! store applies the write only if the dataset's counter is still n, so two devices racing on
//! two nodes cannot both win. Removed records stay as tombstones so that other devices learn of
//! the removal; a deleted dataset remembers the count at which it was deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::federation::HttpClient;
use crate::identity_pool::IdentityPoolService;
use crate::ids::{IdentityId, IdentityPoolId};
use crate::records::{Document, Record, Records};
use crate::store::{RecordWrite, Store, StoreError};

pub mod config;
pub mod store;
pub mod stream_sink;
mod streams;
pub mod types;
mod datasets;
mod devices;
mod pool_data;
mod records;
mod trigger;

pub use stream_sink::{BulkPublishState, BulkPublishStatus, StreamRecord, StreamSink, StreamingStatus};
pub use types::{DatasetRecord, SyncRecord};

pub mod limits {
    pub const DATASETS_PER_IDENTITY: usize = 20;
    pub const RECORDS_PER_DATASET: i64 = 1024;
    pub const BYTES_PER_DATASET: i64 = 1024 * 1024;
    pub const MAX_KEY_CHARS: usize = 1024;
    pub const MAX_VALUE_BYTES: usize = 1024 * 1024 - 1;
    pub const MAX_NAME_CHARS: usize = 128;
    pub const MAX_PATCHES: usize = 1024;
    /// How long a SyncSessionToken from ListRecords may be used by UpdateRecords.
    pub const SESSION_TOKEN_MS: i64 = 15 * 60 * 1000;
}

/// One change asked of UpdateRecords.
#[derive(Debug, Clone)]
pub struct RecordPatch {
    pub remove: bool,
    pub key: String,
    pub value: Option<String>,
    pub sync_count: i64,
    pub device_modified_ms: Option<i64>,
}

/// A committed change to a dataset, as announced to push subscribers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetChange {
    pub identity_pool_id: String,
    pub identity_id: String,
    pub dataset_name: String,
    pub sync_count: i64,
    /// The device that made the change (it is not notified).
    pub device_id: Option<String>,
    /// The node that committed it.
    pub origin: String,
}

/// Where committed changes go (the push hub of the server).
pub trait ChangeSink: Send + Sync + 'static {
    fn publish(&self, change: &DatasetChange);
}

/// What ListRecords answers.
#[derive(Debug, Clone)]
pub struct RecordsPage {
    pub records: Vec<SyncRecord>,
    pub next_token: Option<String>,
    pub dataset_sync_count: i64,
    pub last_modified_by: Option<String>,
    pub exists: bool,
    pub deleted_after_requested: bool,
    pub session_token: String,
    /// Datasets merged in from other identities under `<name>.<identity id>`.
    pub merged_dataset_names: Vec<String>,
}

/// Usage of one identity.
#[derive(Debug, Clone)]
pub struct IdentityUsage {
    pub identity_id: String,
    pub pool_id: String,
    pub last_modified_ms: Option<i64>,
    pub dataset_count: i64,
    pub storage_bytes: i64,
}

/// Usage of one identity pool.
#[derive(Debug, Clone)]
pub struct PoolUsage {
    pub pool_id: String,
    pub storage_bytes: i64,
    pub last_modified_ms: Option<i64>,
}

/// A device registered for push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: String,
    pub identity_id: String,
    pub pool_id: String,
    pub platform: String,
    pub token: String,
    pub created_ms: i64,
}

/// Push and stream settings of an identity pool (Get/SetIdentityPoolConfiguration) and its
/// Sync trigger (Get/SetCognitoEvents).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSyncConfiguration {
    pub push_application_arns: Option<Vec<String>>,
    pub push_role_arn: Option<String>,
    pub stream_name: Option<String>,
    pub stream_role_arn: Option<String>,
    #[serde(default, deserialize_with = "stream_sink::lenient_streaming_status")]
    pub streaming_status: Option<StreamingStatus>,
    pub events: BTreeMap<String, String>,
}

const DEVICE: &str = "sync_device";

impl Document for Device {
    const KIND: &'static str = DEVICE;
}

impl Record for Device {
    fn scope(&self) -> String {
        self.pool_id.clone()
    }

    fn key(&self) -> String {
        self.device_id.clone()
    }
}

impl Document for PoolSyncConfiguration {
    const KIND: &'static str = CONFIGURATION;
}

impl Document for BulkPublishState {
    const KIND: &'static str = BULK_PUBLISH;
}
const DEVICE_TOKEN: &str = "sync_device_token";
const SUBSCRIPTION: &str = "sync_subscription";
const CONFIGURATION: &str = "sync_configuration";
const BULK_PUBLISH: &str = "sync_bulk_publish";


#[derive(Serialize, Deserialize)]
struct SessionClaims {
    identity_id: String,
    dataset: String,
    expires_ms: i64,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidParameter(message.into())
}

/// Dataset names: 1–128 characters of `[a-zA-Z0-9_.:-]`.
pub fn check_dataset_name(name: &str) -> DomainResult<()> {
    let valid = !name.is_empty()
        && name.len() <= limits::MAX_NAME_CHARS
        && name.chars().all(|character| character.is_ascii_alphanumeric() || "_.:-".contains(character));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error("datasetName", name, Constraint::PatternAndLength { pattern: "[a-zA-Z0-9_.:-]+", min: 1, max: 128 }))
    }
}

/// The sync service. Cheap to clone.
#[derive(Clone)]
pub struct SyncService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    master_key: MasterKey,
    identity_pools: IdentityPoolService,
    sink: Arc<dyn ChangeSink>,
    node_id: String,
    http: Arc<dyn HttpClient>,
    region: String,
    stream_sink: Option<Arc<dyn stream_sink::StreamSink>>,
}

impl SyncService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        identity_pools: IdentityPoolService,
        sink: Arc<dyn ChangeSink>,
        node_id: impl Into<String>,
        http: Arc<dyn HttpClient>,
        region: impl Into<String>,
    ) -> Self {
        SyncService { store, clock, master_key, identity_pools, sink, node_id: node_id.into(), http, region: region.into(), stream_sink: None }
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The identity must exist and belong to the pool.
    async fn check_identity(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId) -> DomainResult<()> {
        let identity = self.identity_pools.identity(identity_id).await?;
        if identity.pool_id != *pool_id {
            return Err(DomainError::NotFound(format!("Identity '{identity_id}' not found in identity pool '{pool_id}'.")));
        }
        Ok(())
    }

    fn session_token(&self, identity_id: &str, dataset: &str) -> DomainResult<String> {
        let claims = SessionClaims { identity_id: identity_id.into(), dataset: dataset.into(), expires_ms: self.now() + limits::SESSION_TOKEN_MS };
        let plain = serde_json::to_vec(&claims).map_err(DomainError::internal)?;
        Ok(URL_SAFE_NO_PAD.encode(self.master_key.seal(&plain, crate::sealing::SYNC_SESSION)))
    }

    fn check_session_token(&self, token: &str, identity_id: &str, dataset: &str) -> DomainResult<()> {
        let bad = || invalid("Invalid SyncSessionToken: call ListRecords for a fresh one.");
        let sealed = URL_SAFE_NO_PAD.decode(token).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(bad)?;
        let plain = self.master_key.open(&sealed, crate::sealing::SYNC_SESSION).map_err(|_| bad())?;
        let claims: SessionClaims = serde_json::from_slice(&plain).map_err(|_| bad())?;
        if claims.identity_id != identity_id || claims.dataset != dataset {
            return Err(bad());
        }
        if claims.expires_ms <= self.now() {
            return Err(invalid("The SyncSessionToken has expired: call ListRecords for a fresh one."));
        }
        Ok(())
    }

}

fn subscription_scope(identity_id: &str, dataset_name: &str) -> String {
    format!("{identity_id}/{dataset_name}")
}

fn encode_cursor(count: i64, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{count}\u{1}{key}"))
}

fn decode_cursor(token: &str) -> DomainResult<(i64, String)> {
    let bad = || invalid("Invalid nextToken.");
    let text = URL_SAFE_NO_PAD.decode(token).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(bad)?;
    let (count, key) = text.split_once('\u{1}').ok_or_else(bad)?;
    Ok((count.parse().map_err(|_| bad())?, key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names_follow_cognitos_rules() {
        assert!(check_dataset_name("profile").is_ok());
        assert!(check_dataset_name("a.b:c-d_e").is_ok());
        assert!(check_dataset_name("").is_err());
        assert!(check_dataset_name("has space").is_err());
        assert!(check_dataset_name(&"x".repeat(129)).is_err());
        assert!(check_dataset_name("ünïcode").is_err());
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(7, "key")).unwrap(), (7, "key".to_string()));
        assert!(decode_cursor("!!").is_err());
    }
}
