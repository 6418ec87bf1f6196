//! Applying the migrations a database does not have yet, under a cluster-wide lock (an advisory
//! lock on PostgreSQL, one `BEGIN IMMEDIATE` on SQLite).

use super::*;

impl SqlStore {
    /// Applies the migrations this database does not have yet, under a cluster-wide lock.
    pub(crate) async fn migrate(&self) -> StoreResult<()> {
        let mut connection = self.pool.acquire().await.map_err(backend)?;
        match self.dialect {
            Dialect::Postgres => {
                sqlx::query("SELECT pg_advisory_lock(7226814)").execute(&mut *connection).await.map_err(backend)?;
            }
            Dialect::Sqlite => {
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *connection).await.map_err(backend)?;
            }
        }
        let outcome = self.apply_migrations(&mut connection).await;
        match self.dialect {
            Dialect::Postgres => {
                sqlx::query("SELECT pg_advisory_unlock(7226814)").execute(&mut *connection).await.map_err(backend)?;
            }
            Dialect::Sqlite => {
                let end = if outcome.is_ok() { "COMMIT" } else { "ROLLBACK" };
                sqlx::raw_sql(end).execute(&mut *connection).await.map_err(backend)?;
            }
        }
        outcome
    }

    async fn apply_migrations(&self, connection: &mut sqlx::pool::PoolConnection<Any>) -> StoreResult<()> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
        )
        .execute(&mut **connection)
        .await
        .map_err(backend)?;
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut **connection)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        for migration in MIGRATIONS {
            if applied.contains(&migration.version) {
                continue;
            }
            let script = match self.dialect {
                Dialect::Sqlite => migration.sqlite,
                Dialect::Postgres => migration.postgres,
            };
            // On PostgreSQL each migration is its own transaction; on SQLite the whole run
            // already is one (BEGIN IMMEDIATE above).
            let wrapped = match self.dialect {
                Dialect::Postgres => format!("BEGIN;\n{script}\nCOMMIT;"),
                Dialect::Sqlite => script.to_string(),
            };
            sqlx::raw_sql(&wrapped).execute(&mut **connection).await.map_err(backend)?;
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_millis() as i64)
                .unwrap_or(0);
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)")
                .bind(migration.version)
                .bind(migration.name)
                .bind(now_ms)
                .execute(&mut **connection)
                .await
                .map_err(backend)?;
            tracing::info!(version = migration.version, name = migration.name, "applied migration");
        }
        Ok(())
    }

    /// The versions recorded as applied, for tests and `cognate migrate`.
    pub async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| row.try_get::<i64, _>(0).map_err(backend)).collect()
    }
}
