//! What acts on a whole identity or pool: the merge of an identity's datasets into another's,
//! the pool's datasets and records for Cognito Streams, the bulk-publish state and the pool's
//! configuration.

use super::store::DatasetWrite;
use super::*;

/// How often a merge that met a concurrent change is planned again.
const MERGE_ATTEMPTS: usize = 8;

impl SyncService {
    /// MergeDeveloperIdentities: the source user's identity gives its logins to the
    /// destination user's identity and is deleted, and its datasets move to the destination, in
    /// one transaction (all of it, or nothing). A dataset name the destination already uses is
    /// kept as `<name>.<source identity id>`, which ListRecords reports under
    /// MergedDatasetNames. A merge that meets a concurrent change is planned again. Answers the
    /// destination identity id.
    pub async fn merge_developer_identities(&self, pool_id: &IdentityPoolId, provider: &str, source_user: &str, destination_user: &str) -> DomainResult<String> {
        for _ in 0..MERGE_ATTEMPTS {
            let merge = self.identity_pools.plan_developer_merge(pool_id, provider, source_user, destination_user).await?;
            if merge.source_id == merge.destination_id {
                return Ok(merge.destination_id);
            }
            let datasets = self.plan_dataset_merge(pool_id, &merge.source_id, &merge.destination_id).await?;
            match self.store.write_merge(&merge.writes, &datasets).await {
                Ok(()) => return Ok(merge.destination_id),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::TooManyRequests("The identities changed while they were merged. Try again.".into()))
    }

    /// The dataset writes that move the source identity's datasets to the destination: each
    /// copied under its name (or `<name>.<source id>` when taken) and emptied at the source.
    async fn plan_dataset_merge(&self, pool_id: &str, source_id: &str, destination_id: &str) -> DomainResult<Vec<DatasetWrite>> {
        let mut writes = Vec::new();
        let source_datasets = self.store.list_sync_datasets(source_id).await?;
        for dataset in source_datasets.into_iter().filter(|dataset| dataset.exists && dataset.pool_id == pool_id) {
            let taken = self.store.get_sync_dataset(destination_id, &dataset.name).await?.is_some_and(|existing| existing.exists);
            let mut name = if taken { format!("{}.{source_id}", dataset.name) } else { dataset.name.clone() };
            name.truncate(limits::MAX_NAME_CHARS);
            let records = self.all_records(source_id, &dataset.name).await?;
            let now = self.now();
            let existing_target = self.store.get_sync_dataset(destination_id, &name).await?;
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
            writes.push(DatasetWrite { expected_count: expected, dataset: target, records: moved, clear: expected.is_some() });
            let mut emptied = dataset.clone();
            emptied.sync_count += 1;
            emptied.deleted_at_count = emptied.sync_count;
            emptied.exists = false;
            emptied.storage_bytes = 0;
            emptied.record_count = 0;
            writes.push(DatasetWrite { expected_count: Some(dataset.sync_count), dataset: emptied, records: Vec::new(), clear: true });
        }
        Ok(writes)
    }

    /// Datasets of an identity that were merged in under `<name>.<identity id>`.
    pub(super) async fn merged_names(&self, identity_id: &str, dataset_name: &str) -> DomainResult<Vec<String>> {
        let prefix = format!("{dataset_name}.");
        let datasets = self.store.list_sync_datasets(identity_id).await?;
        Ok(datasets
            .into_iter()
            .filter(|dataset| dataset.exists && dataset.name.starts_with(&prefix) && dataset.name[prefix.len()..].contains(':'))
            .map(|dataset| dataset.name)
            .collect())
    }

    /// Every live dataset of a pool, for streams and bulk publish.
    pub(super) async fn pool_datasets(&self, pool_id: &str) -> DomainResult<Vec<DatasetRecord>> {
        let datasets = self.store.list_pool_sync_datasets(pool_id).await?;
        Ok(datasets.into_iter().filter(|dataset| dataset.exists).collect())
    }

    /// Every record of a dataset (tombstones included), in count order.
    pub(super) async fn all_records(&self, identity_id: &str, dataset_name: &str) -> DomainResult<Vec<SyncRecord>> {
        let mut records = Vec::new();
        let mut after = (0i64, String::new());
        loop {
            let page = self.store.list_sync_records(identity_id, dataset_name, (after.0, &after.1), 500).await?;
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

    pub async fn bulk_publish_state(&self, pool_id: &IdentityPoolId) -> DomainResult<BulkPublishState> {
        self.identity_pools.pool(pool_id).await?;
        Ok(self.store.get_record_of::<BulkPublishState>("", pool_id, 0).await?.unwrap_or_default())
    }

    pub(super) async fn set_bulk_publish_state(&self, pool_id: &str, state: &BulkPublishState) -> DomainResult<()> {
        self.store.write_records(&[state.put_at("", pool_id, None)?]).await.map_err(DomainError::from)
    }

    pub async fn configuration(&self, pool_id: &IdentityPoolId) -> DomainResult<PoolSyncConfiguration> {
        self.identity_pools.pool(pool_id).await?;
        Ok(self.store.get_record_of::<PoolSyncConfiguration>("", pool_id, 0).await?.unwrap_or_default())
    }
}
