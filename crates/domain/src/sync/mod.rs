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
use crate::error::{DomainError, DomainResult};
use crate::federation::HttpClient;
use crate::identity_pool::IdentityPoolService;
use crate::store::{ConflictOn, RecordWrite, Store, StoreError};

pub mod store;
pub mod types;

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
    pub streaming_status: Option<String>,
    pub events: BTreeMap<String, String>,
}

const DEVICE: &str = "sync_device";
const DEVICE_TOKEN: &str = "sync_device_token";
const SUBSCRIPTION: &str = "sync_subscription";
const CONFIGURATION: &str = "sync_configuration";
const BULK_PUBLISH: &str = "sync_bulk_publish";

/// The state of a pool's bulk publish (GetBulkPublishDetails).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPublishState {
    /// NOT_STARTED, IN_PROGRESS, FAILED or SUCCEEDED.
    pub status: String,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    pub failure: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SessionClaims {
    identity_id: String,
    dataset: String,
    expires_ms: i64,
}

fn store_error(error: StoreError) -> DomainError {
    DomainError::from(error)
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
        Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'datasetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+ and length 1 to 128"
        )))
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
        SyncService { store, clock, master_key, identity_pools, sink, node_id: node_id.into(), http, region: region.into() }
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The identity must exist and belong to the pool.
    async fn check_identity(&self, pool_id: &str, identity_id: &str) -> DomainResult<()> {
        crate::identity_pool::check_pool_id(pool_id)?;
        let identity = self.identity_pools.describe_identity(identity_id).await?;
        if identity.pool_id != pool_id {
            return Err(DomainError::NotFound(format!("Identity '{identity_id}' not found in identity pool '{pool_id}'.")));
        }
        Ok(())
    }

    fn session_token(&self, identity_id: &str, dataset: &str) -> DomainResult<String> {
        let claims = SessionClaims { identity_id: identity_id.into(), dataset: dataset.into(), expires_ms: self.now() + limits::SESSION_TOKEN_MS };
        let plain = serde_json::to_vec(&claims).map_err(DomainError::internal)?;
        Ok(URL_SAFE_NO_PAD.encode(self.master_key.seal(&plain, "sync-session")))
    }

    fn check_session_token(&self, token: &str, identity_id: &str, dataset: &str) -> DomainResult<()> {
        let bad = || invalid("Invalid SyncSessionToken: call ListRecords for a fresh one.");
        let sealed = URL_SAFE_NO_PAD.decode(token).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(bad)?;
        let plain = self.master_key.open(&sealed, "sync-session").map_err(|_| bad())?;
        let claims: SessionClaims = serde_json::from_slice(&plain).map_err(|_| bad())?;
        if claims.identity_id != identity_id || claims.dataset != dataset {
            return Err(bad());
        }
        if claims.expires_ms <= self.now() {
            return Err(invalid("The SyncSessionToken has expired: call ListRecords for a fresh one."));
        }
        Ok(())
    }

    pub async fn list_records(
        &self,
        pool_id: &str,
        identity_id: &str,
        dataset_name: &str,
        last_sync_count: Option<i64>,
        next_token: Option<&str>,
        max_results: Option<i64>,
    ) -> DomainResult<RecordsPage> {
        check_dataset_name(dataset_name)?;
        self.check_identity(pool_id, identity_id).await?;
        let last = last_sync_count.unwrap_or(0).max(0);
        let limit = match max_results {
            None => 1024,
            Some(value) if (1..=1024).contains(&value) => value as u32,
            Some(value) => return Err(invalid(format!("maxResults must be between 1 and 1024, not {value}."))),
        };
        let session_token = self.session_token(identity_id, dataset_name)?;
        let merged_dataset_names = self.merged_names(identity_id, dataset_name).await?;
        let dataset = self.store.get_sync_dataset(identity_id, dataset_name).await.map_err(store_error)?;
        let Some(dataset) = dataset.filter(|dataset| dataset.pool_id == pool_id) else {
            return Ok(RecordsPage {
                records: Vec::new(),
                next_token: None,
                dataset_sync_count: 0,
                last_modified_by: None,
                exists: false,
                deleted_after_requested: false,
                session_token,
                merged_dataset_names,
            });
        };
        let deleted_after_requested = dataset.deleted_at_count > 0 && last < dataset.deleted_at_count;
        if !dataset.exists {
            return Ok(RecordsPage {
                records: Vec::new(),
                next_token: None,
                dataset_sync_count: dataset.sync_count,
                last_modified_by: Some(dataset.last_modified_by),
                exists: false,
                deleted_after_requested,
                session_token,
                merged_dataset_names,
            });
        }
        let after = match next_token {
            Some(token) => decode_cursor(token)?,
            None => (last, String::new()),
        };
        let mut records =
            self.store.list_sync_records(identity_id, dataset_name, (after.0, &after.1), limit + 1).await.map_err(store_error)?;
        let more = records.len() > limit as usize;
        records.truncate(limit as usize);
        let next_token = if more { records.last().map(|record| encode_cursor(record.sync_count, &record.key)) } else { None };
        Ok(RecordsPage {
            records,
            next_token,
            dataset_sync_count: dataset.sync_count,
            last_modified_by: Some(dataset.last_modified_by),
            exists: true,
            deleted_after_requested,
            session_token,
            merged_dataset_names,
        })
    }

    /// UpdateRecords: all patches or none. `modified_by` names the caller (its identity id, or
    /// the developer's account). With `run_trigger` (identity credentials), the pool's Sync
    /// trigger sees the patches first and may change them.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_records(
        &self,
        pool_id: &str,
        identity_id: &str,
        dataset_name: &str,
        device_id: Option<&str>,
        patches: &[RecordPatch],
        session_token: &str,
        modified_by: &str,
        run_trigger: bool,
    ) -> DomainResult<Vec<SyncRecord>> {
        check_dataset_name(dataset_name)?;
        self.check_identity(pool_id, identity_id).await?;
        self.check_session_token(session_token, identity_id, dataset_name)?;
        if patches.len() > limits::MAX_PATCHES {
            return Err(invalid(format!("At most {} record patches per request.", limits::MAX_PATCHES)));
        }
        let mut keys: Vec<String> = Vec::with_capacity(patches.len());
        for patch in patches {
            if patch.key.is_empty() || patch.key.chars().count() > limits::MAX_KEY_CHARS {
                return Err(invalid("Record keys must be 1 to 1024 characters."));
            }
            if keys.contains(&patch.key) {
                return Err(invalid(format!("The key {} is patched twice in one request.", patch.key)));
            }
            if patch.sync_count < 0 {
                return Err(invalid("SyncCount must not be negative."));
            }
            match (&patch.value, patch.remove) {
                (Some(value), false) if value.len() > limits::MAX_VALUE_BYTES => {
                    return Err(DomainError::LimitExceeded(format!("The value of {} is larger than 1 MB.", patch.key)))
                }
                (None, false) => return Err(invalid(format!("A replace of {} needs a Value.", patch.key))),
                _ => {}
            }
            keys.push(patch.key.clone());
        }
        let now = self.now();
        let existing_dataset = self.store.get_sync_dataset(identity_id, dataset_name).await.map_err(store_error)?;
        if existing_dataset.as_ref().is_some_and(|dataset| dataset.pool_id != pool_id) {
            return Err(DomainError::NotFound("Dataset not found.".into()));
        }
        let live = existing_dataset.as_ref().is_some_and(|dataset| dataset.exists);
        if !live {
            let datasets = self.store.list_sync_datasets(identity_id).await.map_err(store_error)?;
            if datasets.iter().filter(|dataset| dataset.exists).count() >= limits::DATASETS_PER_IDENTITY {
                return Err(DomainError::LimitExceeded(format!(
                    "An identity may have at most {} datasets.",
                    limits::DATASETS_PER_IDENTITY
                )));
            }
        }
        let mut stored: Vec<SyncRecord> = if live {
            self.store.get_sync_records(identity_id, dataset_name, &keys).await.map_err(store_error)?
        } else {
            Vec::new()
        };
        let rewritten;
        let patches = match self.sync_trigger(pool_id, run_trigger).await? {
            Some(url) => {
                rewritten = self.run_trigger(&url, pool_id, identity_id, dataset_name, patches, &stored).await?;
                let added: Vec<String> =
                    rewritten.iter().map(|patch| patch.key.clone()).filter(|key| !keys.contains(key)).collect();
                if live && !added.is_empty() {
                    stored.extend(self.store.get_sync_records(identity_id, dataset_name, &added).await.map_err(store_error)?);
                }
                // Keys the trigger added take the count stored now.
                let rewritten_with_counts: Vec<RecordPatch> = rewritten
                    .into_iter()
                    .map(|mut patch| {
                        if !keys.contains(&patch.key) {
                            patch.sync_count = stored.iter().find(|record| record.key == patch.key).map(|record| record.sync_count).unwrap_or(0);
                        }
                        patch
                    })
                    .collect();
                rewritten_with_counts
            }
            None => patches.to_vec(),
        };
        let patches = patches.as_slice();
        let base = existing_dataset.as_ref().map(|dataset| dataset.sync_count).unwrap_or(0);
        let new_count = base + 1;
        let mut dataset = existing_dataset.clone().unwrap_or(DatasetRecord {
            identity_id: identity_id.into(),
            name: dataset_name.into(),
            pool_id: pool_id.into(),
            sync_count: 0,
            created_ms: now,
            modified_ms: now,
            last_modified_by: modified_by.into(),
            storage_bytes: 0,
            record_count: 0,
            exists: true,
            deleted_at_count: 0,
        });
        if !dataset.exists {
            dataset.exists = true;
            dataset.created_ms = now;
            dataset.storage_bytes = 0;
            dataset.record_count = 0;
        }
        let mut written = Vec::with_capacity(patches.len());
        for patch in patches {
            let previous = stored.iter().find(|record| record.key == patch.key);
            let current = previous.map(|record| record.sync_count).unwrap_or(0);
            if patch.sync_count != current {
                return Err(DomainError::Conflict(format!(
                    "Current SyncCount for: {} is: {current} not: {}",
                    patch.key, patch.sync_count
                )));
            }
            let record = SyncRecord {
                key: patch.key.clone(),
                value: if patch.remove { None } else { patch.value.clone() },
                sync_count: new_count,
                modified_ms: now,
                device_modified_ms: patch.device_modified_ms,
                modified_by: modified_by.into(),
            };
            let was_live = previous.is_some_and(|record| record.value.is_some());
            dataset.storage_bytes += record.storage() - previous.map(SyncRecord::storage).unwrap_or(0);
            dataset.record_count += i64::from(record.value.is_some()) - i64::from(was_live);
            written.push(record);
        }
        if dataset.record_count > limits::RECORDS_PER_DATASET {
            return Err(DomainError::LimitExceeded(format!("A dataset may hold at most {} records.", limits::RECORDS_PER_DATASET)));
        }
        if dataset.storage_bytes > limits::BYTES_PER_DATASET {
            return Err(DomainError::LimitExceeded("A dataset may hold at most 1 MB.".into()));
        }
        dataset.sync_count = new_count;
        dataset.modified_ms = now;
        dataset.last_modified_by = modified_by.into();
        let change = DatasetChange {
            identity_pool_id: pool_id.into(),
            identity_id: identity_id.into(),
            dataset_name: dataset_name.into(),
            sync_count: new_count,
            device_id: device_id.map(str::to_string),
            origin: self.node_id.clone(),
        };
        let notification = serde_json::to_string(&change).map_err(DomainError::internal)?;
        let expected = existing_dataset.as_ref().map(|dataset| dataset.sync_count);
        match self.store.write_sync_dataset(expected, &dataset, &written, !live && existing_dataset.is_some(), Some(&notification)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(DomainError::Conflict("The dataset was changed by another request; list its records and retry.".into()))
            }
            Err(other) => return Err(store_error(other)),
        }
        self.sink.publish(&change);
        Ok(written)
    }

    /// The Sync trigger's URL when one is set and this request runs it.
    async fn sync_trigger(&self, pool_id: &str, run_trigger: bool) -> DomainResult<Option<String>> {
        if !run_trigger {
            return Ok(None);
        }
        let data = self.store.get_record(CONFIGURATION, "", pool_id, 0).await.map_err(store_error)?;
        let configuration: PoolSyncConfiguration =
            data.map(|data| serde_json::from_str(&data).map_err(DomainError::internal)).transpose()?.unwrap_or_default();
        Ok(configuration.events.get("SyncTrigger").filter(|target| target.starts_with("http://") || target.starts_with("https://")).cloned())
    }

    /// Sends the Sync trigger event (the shape Cognito sends to Lambda) and reads the records
    /// it answers: `op` `replace` with a `newValue`, or `remove` (also when `op` is null).
    /// Keys it leaves out are not written.
    async fn run_trigger(
        &self,
        url: &str,
        pool_id: &str,
        identity_id: &str,
        dataset_name: &str,
        patches: &[RecordPatch],
        stored: &[SyncRecord],
    ) -> DomainResult<Vec<RecordPatch>> {
        let mut records = serde_json::Map::new();
        for patch in patches {
            let old_value = stored.iter().find(|record| record.key == patch.key).and_then(|record| record.value.clone());
            records.insert(
                patch.key.clone(),
                serde_json::json!({
                    "oldValue": old_value,
                    "newValue": if patch.remove { None } else { patch.value.clone() },
                    "op": if patch.remove { "remove" } else { "replace" },
                }),
            );
        }
        let event = serde_json::json!({
            "version": 2,
            "eventType": "SyncTrigger",
            "region": if crate::ids::region_of(pool_id).is_empty() { self.region.as_str() } else { crate::ids::region_of(pool_id) },
            "identityPoolId": pool_id,
            "identityId": identity_id,
            "datasetName": dataset_name,
            "datasetRecords": records,
        });
        let answer = self.http.post_json(url, &event).await.map_err(|detail| {
            tracing::warn!(%detail, "the Sync trigger failed");
            DomainError::TriggerUnavailable("The Sync trigger did not answer.".into())
        })?;
        let bad = |why: &str| DomainError::TriggerOutputInvalid(format!("The Sync trigger's answer is not valid: {why}."));
        let answered = answer.get("datasetRecords").and_then(serde_json::Value::as_object).ok_or_else(|| bad("no datasetRecords object"))?;
        let mut rewritten = Vec::with_capacity(answered.len());
        for (key, entry) in answered {
            if key.is_empty() || key.chars().count() > limits::MAX_KEY_CHARS {
                return Err(bad("a key is empty or too long"));
            }
            let original = patches.iter().find(|patch| &patch.key == key);
            let op = entry.get("op").and_then(serde_json::Value::as_str);
            let remove = match op {
                Some("replace") => false,
                Some("remove") | None => true,
                Some(_) => return Err(bad("op must be replace or remove")),
            };
            let value = entry.get("newValue").and_then(serde_json::Value::as_str).map(str::to_string);
            if !remove && value.is_none() {
                return Err(bad("a replace needs a newValue"));
            }
            rewritten.push(RecordPatch {
                remove,
                key: key.clone(),
                value,
                sync_count: original.map(|patch| patch.sync_count).unwrap_or(0),
                device_modified_ms: original.and_then(|patch| patch.device_modified_ms),
            });
        }
        Ok(rewritten)
    }

    pub async fn describe_dataset(&self, pool_id: &str, identity_id: &str, dataset_name: &str) -> DomainResult<DatasetRecord> {
        check_dataset_name(dataset_name)?;
        self.check_identity(pool_id, identity_id).await?;
        self.store
            .get_sync_dataset(identity_id, dataset_name)
            .await
            .map_err(store_error)?
            .filter(|dataset| dataset.exists && dataset.pool_id == pool_id)
            .ok_or_else(|| DomainError::NotFound("Dataset not found.".into()))
    }

    /// DeleteDataset: the records go, the dataset remembers the count at which it was deleted.
    pub async fn delete_dataset(&self, pool_id: &str, identity_id: &str, dataset_name: &str, modified_by: &str) -> DomainResult<DatasetRecord> {
        let existing = self.describe_dataset(pool_id, identity_id, dataset_name).await?;
        let mut deleted = existing.clone();
        deleted.sync_count += 1;
        deleted.deleted_at_count = deleted.sync_count;
        deleted.exists = false;
        deleted.modified_ms = self.now();
        deleted.last_modified_by = modified_by.into();
        deleted.storage_bytes = 0;
        deleted.record_count = 0;
        let change = DatasetChange {
            identity_pool_id: pool_id.into(),
            identity_id: identity_id.into(),
            dataset_name: dataset_name.into(),
            sync_count: deleted.sync_count,
            device_id: None,
            origin: self.node_id.clone(),
        };
        let notification = serde_json::to_string(&change).map_err(DomainError::internal)?;
        match self.store.write_sync_dataset(Some(existing.sync_count), &deleted, &[], true, Some(&notification)).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(DomainError::Conflict("The dataset was changed by another request; retry.".into())),
            Err(other) => return Err(store_error(other)),
        }
        self.sink.publish(&change);
        Ok(existing)
    }

    pub async fn list_datasets(
        &self,
        pool_id: &str,
        identity_id: &str,
        next_token: Option<&str>,
        max_results: Option<i64>,
    ) -> DomainResult<(Vec<DatasetRecord>, Option<String>)> {
        self.check_identity(pool_id, identity_id).await?;
        let limit = match max_results {
            None => 64,
            Some(value) if (1..=64).contains(&value) => value as usize,
            Some(value) => return Err(invalid(format!("maxResults must be between 1 and 64, not {value}."))),
        };
        let after = next_token.map(|token| decode_cursor(token).map(|(_, name)| name)).transpose()?;
        let mut datasets: Vec<DatasetRecord> = self
            .store
            .list_sync_datasets(identity_id)
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|dataset| dataset.exists && dataset.pool_id == pool_id)
            .filter(|dataset| after.as_ref().is_none_or(|after| &dataset.name > after))
            .collect();
        let more = datasets.len() > limit;
        datasets.truncate(limit);
        let next = if more { datasets.last().map(|dataset| encode_cursor(0, &dataset.name)) } else { None };
        Ok((datasets, next))
    }

    pub async fn identity_usage(&self, pool_id: &str, identity_id: &str) -> DomainResult<IdentityUsage> {
        self.check_identity(pool_id, identity_id).await?;
        let datasets: Vec<DatasetRecord> =
            self.store.list_sync_datasets(identity_id).await.map_err(store_error)?.into_iter().filter(|dataset| dataset.exists).collect();
        Ok(IdentityUsage {
            identity_id: identity_id.into(),
            pool_id: pool_id.into(),
            last_modified_ms: datasets.iter().map(|dataset| dataset.modified_ms).max(),
            dataset_count: datasets.len() as i64,
            storage_bytes: datasets.iter().map(|dataset| dataset.storage_bytes).sum(),
        })
    }

    pub async fn pool_usage(&self, pool_id: &str) -> DomainResult<PoolUsage> {
        self.identity_pools.describe_pool(pool_id).await?;
        let datasets = self.store.list_pool_sync_datasets(pool_id).await.map_err(store_error)?;
        Ok(PoolUsage {
            pool_id: pool_id.into(),
            storage_bytes: datasets.iter().filter(|dataset| dataset.exists).map(|dataset| dataset.storage_bytes).sum(),
            last_modified_ms: datasets.iter().map(|dataset| dataset.modified_ms).max(),
        })
    }

    // Devices, subscriptions and pool configuration.

    /// RegisterDevice: the same identity, platform and token always give the same device id.
    pub async fn register_device(&self, pool_id: &str, identity_id: &str, platform: &str, token: &str) -> DomainResult<String> {
        self.check_identity(pool_id, identity_id).await?;
        if !matches!(platform, "APNS" | "APNS_SANDBOX" | "GCM" | "ADM") {
            return Err(invalid(format!("Platform must be APNS, APNS_SANDBOX, GCM or ADM, not {platform}.")));
        }
        if token.is_empty() || token.len() > 4096 {
            return Err(invalid("The push token must be 1 to 4096 characters."));
        }
        let token_key = format!("{identity_id}\u{1}{platform}\u{1}{token}");
        if let Some(device_id) = self.store.get_record(DEVICE_TOKEN, pool_id, &token_key, 0).await.map_err(store_error)? {
            return Ok(device_id);
        }
        let device = Device {
            device_id: crate::ids::new_uuid(),
            identity_id: identity_id.into(),
            pool_id: pool_id.into(),
            platform: platform.into(),
            token: token.into(),
            created_ms: self.now(),
        };
        let writes = [
            RecordWrite::Insert {
                kind: DEVICE,
                scope: pool_id.into(),
                key: device.device_id.clone(),
                data: serde_json::to_string(&device).map_err(DomainError::internal)?,
                expires_ms: None,
            },
            RecordWrite::Insert { kind: DEVICE_TOKEN, scope: pool_id.into(), key: token_key.clone(), data: device.device_id.clone(), expires_ms: None },
        ];
        match self.store.write_records(&writes).await {
            Ok(()) => Ok(device.device_id),
            Err(StoreError::Conflict(_)) => self
                .store
                .get_record(DEVICE_TOKEN, pool_id, &token_key, 0)
                .await
                .map_err(store_error)?
                .ok_or_else(|| DomainError::internal("a device registration vanished")),
            Err(other) => Err(store_error(other)),
        }
    }

    /// The device, if it is registered to this identity in this pool.
    pub async fn device(&self, pool_id: &str, identity_id: &str, device_id: &str) -> DomainResult<Device> {
        let data = self.store.get_record(DEVICE, pool_id, device_id, 0).await.map_err(store_error)?;
        let device: Option<Device> = data.map(|data| serde_json::from_str(&data).map_err(DomainError::internal)).transpose()?;
        device
            .filter(|device| device.identity_id == identity_id)
            .ok_or_else(|| DomainError::NotFound(format!("Device {device_id} is not registered to this identity.")))
    }

    pub async fn subscribe(&self, pool_id: &str, identity_id: &str, dataset_name: &str, device_id: &str, subscribe: bool) -> DomainResult<()> {
        check_dataset_name(dataset_name)?;
        self.check_identity(pool_id, identity_id).await?;
        self.device(pool_id, identity_id, device_id).await?;
        let scope = subscription_scope(identity_id, dataset_name);
        let write = if subscribe {
            RecordWrite::Put { kind: SUBSCRIPTION, scope, key: device_id.into(), data: String::new(), expires_ms: None }
        } else {
            RecordWrite::Delete { kind: SUBSCRIPTION, scope, key: device_id.into() }
        };
        self.store.write_records(&[write]).await.map_err(store_error)
    }

    /// The devices subscribed to a dataset.
    pub async fn subscribers(&self, pool_id: &str, identity_id: &str, dataset_name: &str) -> DomainResult<Vec<Device>> {
        let rows = self.store.list_records(SUBSCRIPTION, &subscription_scope(identity_id, dataset_name), None, 1000).await.map_err(store_error)?;
        let mut devices = Vec::with_capacity(rows.len());
        for (device_id, _) in rows {
            if let Ok(device) = self.device(pool_id, identity_id, &device_id).await {
                devices.push(device);
            }
        }
        Ok(devices)
    }

    /// After an identity merge: the source identity's datasets move to the destination. A name
    /// the destination already uses is kept as `<name>.<source identity id>`, which ListRecords
    /// reports under MergedDatasetNames. Each dataset moves in its own transaction (copied, then
    /// removed from the source), so a failure part-way loses nothing.
    pub async fn merge_identity_datasets(&self, pool_id: &str, source_id: &str, destination_id: &str) -> DomainResult<()> {
        if source_id == destination_id {
            return Ok(());
        }
        let source_datasets = self.store.list_sync_datasets(source_id).await.map_err(store_error)?;
        for dataset in source_datasets.into_iter().filter(|dataset| dataset.exists && dataset.pool_id == pool_id) {
            let taken = self
                .store
                .get_sync_dataset(destination_id, &dataset.name)
                .await
                .map_err(store_error)?
                .is_some_and(|existing| existing.exists);
            let mut name = if taken { format!("{}.{source_id}", dataset.name) } else { dataset.name.clone() };
            name.truncate(limits::MAX_NAME_CHARS);
            let records = self.all_records(source_id, &dataset.name).await?;
            let now = self.now();
            let existing_target = self.store.get_sync_dataset(destination_id, &name).await.map_err(store_error)?;
            let base = existing_target.as_ref().map(|target| target.sync_count).unwrap_or(0);
            let moved: Vec<SyncRecord> = records
                .into_iter()
                .filter(|record| record.value.is_some())
                .map(|record| SyncRecord { sync_count: base + 1, ..record })
                .collect();
            let target = DatasetRecord {
                identity_id: destination_id.into(),
                name: name.clone(),
                pool_id: pool_id.into(),
                sync_count: base + 1,
                created_ms: dataset.created_ms,
                modified_ms: now,
                last_modified_by: dataset.last_modified_by.clone(),
                storage_bytes: moved.iter().map(SyncRecord::storage).sum(),
                record_count: moved.len() as i64,
                exists: true,
                deleted_at_count: existing_target.as_ref().map(|target| target.deleted_at_count).unwrap_or(0),
            };
            let expected = existing_target.as_ref().map(|target| target.sync_count);
            self.store.write_sync_dataset(expected, &target, &moved, expected.is_some(), None).await.map_err(store_error)?;
            let mut emptied = dataset.clone();
            emptied.sync_count += 1;
            emptied.deleted_at_count = emptied.sync_count;
            emptied.exists = false;
            emptied.storage_bytes = 0;
            emptied.record_count = 0;
            self.store.write_sync_dataset(Some(dataset.sync_count), &emptied, &[], true, None).await.map_err(store_error)?;
        }
        Ok(())
    }

    /// Datasets of an identity that were merged in under `<name>.<identity id>`.
    async fn merged_names(&self, identity_id: &str, dataset_name: &str) -> DomainResult<Vec<String>> {
        let prefix = format!("{dataset_name}.");
        let datasets = self.store.list_sync_datasets(identity_id).await.map_err(store_error)?;
        Ok(datasets
            .into_iter()
            .filter(|dataset| dataset.exists && dataset.name.starts_with(&prefix) && dataset.name[prefix.len()..].contains(':'))
            .map(|dataset| dataset.name)
            .collect())
    }

    /// Every live dataset of a pool, for streams and bulk publish.
    pub async fn pool_datasets(&self, pool_id: &str) -> DomainResult<Vec<DatasetRecord>> {
        let datasets = self.store.list_pool_sync_datasets(pool_id).await.map_err(store_error)?;
        Ok(datasets.into_iter().filter(|dataset| dataset.exists).collect())
    }

    /// Every record of a dataset (tombstones included), in count order.
    pub async fn all_records(&self, identity_id: &str, dataset_name: &str) -> DomainResult<Vec<SyncRecord>> {
        let mut records = Vec::new();
        let mut after = (0i64, String::new());
        loop {
            let page = self.store.list_sync_records(identity_id, dataset_name, (after.0, &after.1), 500).await.map_err(store_error)?;
            let done = page.len() < 500;
            if let Some(last) = page.last() {
                after = (last.sync_count, last.key.clone());
            }
            records.extend(page);
            if done {
                return Ok(records);
            }
        }
    }

    pub async fn bulk_publish_state(&self, pool_id: &str) -> DomainResult<BulkPublishState> {
        self.identity_pools.describe_pool(pool_id).await?;
        let data = self.store.get_record(BULK_PUBLISH, "", pool_id, 0).await.map_err(store_error)?;
        Ok(data
            .map(|data| serde_json::from_str(&data).map_err(DomainError::internal))
            .transpose()?
            .unwrap_or(BulkPublishState { status: "NOT_STARTED".into(), ..Default::default() }))
    }

    pub async fn set_bulk_publish_state(&self, pool_id: &str, state: &BulkPublishState) -> DomainResult<()> {
        let data = serde_json::to_string(state).map_err(DomainError::internal)?;
        self.store
            .write_records(&[RecordWrite::Put { kind: BULK_PUBLISH, scope: String::new(), key: pool_id.into(), data, expires_ms: None }])
            .await
            .map_err(store_error)
    }

    pub async fn configuration(&self, pool_id: &str) -> DomainResult<PoolSyncConfiguration> {
        self.identity_pools.describe_pool(pool_id).await?;
        let data = self.store.get_record(CONFIGURATION, "", pool_id, 0).await.map_err(store_error)?;
        Ok(data.map(|data| serde_json::from_str(&data).map_err(DomainError::internal)).transpose()?.unwrap_or_default())
    }

    pub async fn set_configuration(&self, pool_id: &str, configuration: &PoolSyncConfiguration) -> DomainResult<()> {
        self.identity_pools.describe_pool(pool_id).await?;
        let data = serde_json::to_string(configuration).map_err(DomainError::internal)?;
        self.store
            .write_records(&[RecordWrite::Put { kind: CONFIGURATION, scope: String::new(), key: pool_id.into(), data, expires_ms: None }])
            .await
            .map_err(|error| match error {
                StoreError::Conflict(ConflictOn::Key) => DomainError::Conflict("The configuration changed meanwhile.".into()),
                other => store_error(other),
            })
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
