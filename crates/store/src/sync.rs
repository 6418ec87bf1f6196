//! `SqlStore` as the domain's `SyncStore`: Cognito Sync datasets and records: a dataset and its records written in one transaction, on the condition that its counter is unchanged, announced with pg_notify on PostgreSQL.

use super::*;
use cognate_domain::sync::store::DatasetWrite;

/// The PostgreSQL channel on which committed sync changes are announced to every node.
pub const SYNC_CHANNEL: &str = "cognate_sync";

/// Receives the sync changes other nodes commit (PostgreSQL LISTEN on [`SYNC_CHANNEL`]).
pub struct SyncListener {
    listener: sqlx::postgres::PgListener,
}

impl SyncListener {
    pub async fn connect(database_url: &str) -> StoreResult<SyncListener> {
        let mut listener = sqlx::postgres::PgListener::connect(database_url).await.map_err(backend)?;
        listener.listen(SYNC_CHANNEL).await.map_err(backend)?;
        Ok(SyncListener { listener })
    }

    /// The next notification's payload.
    pub async fn next(&mut self) -> StoreResult<String> {
        let notification = self.listener.recv().await.map_err(backend)?;
        Ok(notification.payload().to_string())
    }
}

/// The SQL store over a connection pool of either dialect.
#[async_trait]
impl SyncStore for SqlStore {
    async fn get_sync_dataset(&self, identity_id: &str, name: &str) -> StoreResult<Option<DatasetRecord>> {
        let row = sqlx::query("SELECT data FROM sync_datasets WHERE identity_id = $1 AND name = $2")
            .bind(identity_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| decode(&row, "data")).transpose()
    }

    async fn list_sync_datasets(&self, identity_id: &str) -> StoreResult<Vec<DatasetRecord>> {
        let rows = sqlx::query("SELECT data FROM sync_datasets WHERE identity_id = $1 ORDER BY name")
            .bind(identity_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| decode(row, "data")).collect()
    }

    async fn list_pool_sync_datasets(&self, pool_id: &str) -> StoreResult<Vec<DatasetRecord>> {
        let rows = sqlx::query("SELECT data FROM sync_datasets WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| decode(row, "data")).collect()
    }

    async fn get_sync_records(&self, identity_id: &str, dataset: &str, keys: &[String]) -> StoreResult<Vec<SyncRecord>> {
        let mut records = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query("SELECT data FROM sync_records WHERE identity_id = $1 AND dataset = $2 AND key = $3")
                .bind(identity_id)
                .bind(dataset)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
            if let Some(row) = row {
                records.push(decode(&row, "data")?);
            }
        }
        Ok(records)
    }

    async fn list_sync_records(&self, identity_id: &str, dataset: &str, after: (i64, &str), limit: u32) -> StoreResult<Vec<SyncRecord>> {
        let rows = sqlx::query(
            "SELECT data FROM sync_records WHERE identity_id = $1 AND dataset = $2 \
             AND (sync_count > $3 OR (sync_count = $3 AND key > $4)) ORDER BY sync_count, key LIMIT $5",
        )
        .bind(identity_id)
        .bind(dataset)
        .bind(after.0)
        .bind(after.1)
        .bind(self::limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(|row| decode(row, "data")).collect()
    }

    async fn write_sync_dataset(
        &self,
        expected_count: Option<i64>,
        dataset: &DatasetRecord,
        records: &[SyncRecord],
        clear: bool,
        notification: Option<&str>,
    ) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        let mut applied = Self::apply_dataset_write(&mut transaction, expected_count, dataset, records, clear).await;
        if applied.is_ok() {
            applied = self.notify(&mut transaction, notification).await;
        }
        Self::finish(transaction, applied).await
    }

    async fn write_merge(&self, writes: &[RecordWrite], datasets: &[DatasetWrite]) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        let mut applied = Self::apply_record_writes(&mut transaction, writes).await;
        for write in datasets {
            if applied.is_err() {
                break;
            }
            applied = Self::apply_dataset_write(&mut transaction, write.expected_count, &write.dataset, &write.records, write.clear).await;
        }
        Self::finish(transaction, applied).await
    }
}

impl SqlStore {
    /// Writes a dataset and records inside a transaction, on the condition that the dataset's
    /// stored count is `expected_count`; otherwise `Err(Conflict(Key))`, for the caller to roll
    /// back.
    pub(crate) async fn apply_dataset_write(
        transaction: &mut Tx,
        expected_count: Option<i64>,
        dataset: &DatasetRecord,
        records: &[SyncRecord],
        clear: bool,
    ) -> StoreResult<()> {
        let data = encode(dataset)?;
        let written = match expected_count {
            None => sqlx::query(
                "INSERT INTO sync_datasets (identity_id, name, pool_id, sync_count, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&dataset.identity_id)
            .bind(&dataset.name)
            .bind(&dataset.pool_id)
            .bind(dataset.sync_count)
            .bind(&data)
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected(),
            Some(expected) => sqlx::query(
                "UPDATE sync_datasets SET sync_count = $3, data = $4 WHERE identity_id = $1 AND name = $2 AND sync_count = $5",
            )
            .bind(&dataset.identity_id)
            .bind(&dataset.name)
            .bind(dataset.sync_count)
            .bind(&data)
            .bind(expected)
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected(),
        };
        if written == 0 {
            return Err(StoreError::Conflict(ConflictOn::Key));
        }
        if clear {
            sqlx::query("DELETE FROM sync_records WHERE identity_id = $1 AND dataset = $2")
                .bind(&dataset.identity_id)
                .bind(&dataset.name)
                .execute(transaction.conn())
                .await
                .map_err(backend)?;
        }
        for record in records {
            sqlx::query("DELETE FROM sync_records WHERE identity_id = $1 AND dataset = $2 AND key = $3")
                .bind(&dataset.identity_id)
                .bind(&dataset.name)
                .bind(&record.key)
                .execute(transaction.conn())
                .await
                .map_err(backend)?;
            sqlx::query("INSERT INTO sync_records (identity_id, dataset, key, sync_count, data) VALUES ($1, $2, $3, $4, $5)")
                .bind(&dataset.identity_id)
                .bind(&dataset.name)
                .bind(&record.key)
                .bind(record.sync_count)
                .bind(encode(record)?)
                .execute(transaction.conn())
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Announces a committed change to the other nodes, in the transaction (PostgreSQL only).
    async fn notify(&self, transaction: &mut Tx, notification: Option<&str>) -> StoreResult<()> {
        if let (Some(payload), Dialect::Postgres) = (notification, self.dialect) {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(SYNC_CHANNEL)
                .bind(payload)
                .execute(transaction.conn())
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}
