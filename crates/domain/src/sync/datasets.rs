//! Datasets: describe, delete and list, and the usage figures of an identity and of a pool.

use super::*;

impl SyncService {
    pub async fn describe_dataset(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, dataset_name: &str) -> DomainResult<DatasetRecord> {
        check_dataset_name(dataset_name)?;
        self.check_identity(pool_id, identity_id).await?;
        self.store
            .get_sync_dataset(identity_id, dataset_name)
            .await
            ?
            .filter(|dataset| dataset.exists && dataset.pool_id == pool_id)
            .ok_or_else(|| DomainError::NotFound("Dataset not found.".into()))
    }

    /// DeleteDataset: the records go, the dataset remembers the count at which it was deleted.
    pub async fn delete_dataset(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId, dataset_name: &str, modified_by: &str) -> DomainResult<DatasetRecord> {
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
            Err(other) => return Err(DomainError::from(other)),
        }
        self.sink.publish(&change);
        Ok(existing)
    }

    pub async fn list_datasets(
        &self,
        pool_id: &IdentityPoolId,
        identity_id: &IdentityId,
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
            ?
            .into_iter()
            .filter(|dataset| dataset.exists && dataset.pool_id == pool_id)
            .filter(|dataset| after.as_ref().is_none_or(|after| &dataset.name > after))
            .collect();
        let more = datasets.len() > limit;
        datasets.truncate(limit);
        let next = if more { datasets.last().map(|dataset| encode_cursor(0, &dataset.name)) } else { None };
        Ok((datasets, next))
    }

    pub async fn identity_usage(&self, pool_id: &IdentityPoolId, identity_id: &IdentityId) -> DomainResult<IdentityUsage> {
        self.check_identity(pool_id, identity_id).await?;
        let datasets: Vec<DatasetRecord> =
            self.store.list_sync_datasets(identity_id).await?.into_iter().filter(|dataset| dataset.exists).collect();
        Ok(IdentityUsage {
            identity_id: identity_id.into(),
            pool_id: pool_id.into(),
            last_modified_ms: datasets.iter().map(|dataset| dataset.modified_ms).max(),
            dataset_count: datasets.len() as i64,
            storage_bytes: datasets.iter().map(|dataset| dataset.storage_bytes).sum(),
        })
    }

    pub async fn pool_usage(&self, pool_id: &IdentityPoolId) -> DomainResult<PoolUsage> {
        self.identity_pools.pool(pool_id).await?;
        let datasets = self.store.list_pool_sync_datasets(pool_id).await?;
        Ok(PoolUsage {
            pool_id: pool_id.into(),
            storage_bytes: datasets.iter().filter(|dataset| dataset.exists).map(|dataset| dataset.storage_bytes).sum(),
            last_modified_ms: datasets.iter().map(|dataset| dataset.modified_ms).max(),
        })
    }
}
