//! ListRecords and UpdateRecords: pages of records after a sync count, and the optimistic
//! update of a dataset (conflicts per record, Cognito's limits, one compare-and-set of the
//! dataset's counter in the store).

use super::*;

impl SyncService {
    pub async fn list_records(
        &self,
        pool_id: &IdentityPoolId,
        identity_id: &IdentityId,
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
        let dataset = self.store.get_sync_dataset(identity_id, dataset_name).await?;
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
            self.store.list_sync_records(identity_id, dataset_name, (after.0, &after.1), limit + 1).await?;
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
        pool_id: &IdentityPoolId,
        identity_id: &IdentityId,
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
        let existing_dataset = self.store.get_sync_dataset(identity_id, dataset_name).await?;
        if existing_dataset.as_ref().is_some_and(|dataset| dataset.pool_id != pool_id) {
            return Err(DomainError::NotFound("Dataset not found.".into()));
        }
        let live = existing_dataset.as_ref().is_some_and(|dataset| dataset.exists);
        if !live {
            let datasets = self.store.list_sync_datasets(identity_id).await?;
            if datasets.iter().filter(|dataset| dataset.exists).count() >= limits::DATASETS_PER_IDENTITY {
                return Err(DomainError::LimitExceeded(format!(
                    "An identity may have at most {} datasets.",
                    limits::DATASETS_PER_IDENTITY
                )));
            }
        }
        let mut stored: Vec<SyncRecord> = if live {
            self.store.get_sync_records(identity_id, dataset_name, &keys).await?
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
                    stored.extend(self.store.get_sync_records(identity_id, dataset_name, &added).await?);
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
            Err(other) => return Err(DomainError::from(other)),
        }
        self.sink.publish(&change);
        Ok(written)
    }
}
