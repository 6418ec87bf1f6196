//! `SqlStore` as the domain's `ClusterStore`: the values every node shares, the ping, and the purge of stale rows.

use super::*;

#[async_trait]
impl ClusterStore for SqlStore {
    fn pool_use(&self) -> Option<(u32, u32)> {
        Some((self.pool.size(), u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(backend)?;
        if self.write_failed.load(Ordering::Relaxed) {
            // The last transaction failed to end: answer only once a write commits again.
            let mut transaction = self.begin().await?;
            let probe = format!("health-probe-{}", std::process::id());
            // Larger than a page, so that a full store cannot fit it into free space.
            sqlx::query("INSERT INTO cluster_values (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&probe)
                .bind("x".repeat(8192))
                .execute(transaction.conn())
                .await
                .map_err(backend)?;
            sqlx::query("DELETE FROM cluster_values WHERE name = $1").bind(&probe).execute(transaction.conn()).await.map_err(backend)?;
            transaction.commit().await?;
        }
        Ok(())
    }

    async fn get_cluster_value(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM cluster_values WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| row.try_get::<String, _>("value").map_err(backend)).transpose()
    }

    async fn insert_cluster_value_if_absent(&self, name: &str, value: &str) -> StoreResult<String> {
        let _turn = self.turn().await?;
        sqlx::query("INSERT INTO cluster_values (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        self.get_cluster_value(name)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("cluster value {name} vanished after insert")))
    }

    async fn purge_stale(&self, cutoffs: &PurgeCutoffs) -> StoreResult<u64> {
        // In batches, so that no purge holds a long lock (a write lock, on SQLite).
        let batches = [
            ("DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens WHERE expires_ms < $1 LIMIT 1000)", cutoffs.refresh_tokens_expired_before),
            ("DELETE FROM auth_sessions WHERE session_hash IN (SELECT session_hash FROM auth_sessions WHERE expires_ms < $1 LIMIT 1000)", cutoffs.auth_sessions_expired_before),
            ("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_ms < $1 LIMIT 1000)", cutoffs.outbox_created_before),
        ];
        let mut removed = 0;
        for (statement, cutoff) in batches {
            loop {
                let _turn = self.turn().await?;
                let deleted = sqlx::query(statement).bind(cutoff).execute(&self.writer).await.map_err(backend)?.rows_affected();
                removed += deleted;
                if deleted < 1000 {
                    break;
                }
            }
        }
        Ok(removed)
    }
}
