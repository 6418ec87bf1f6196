//! `SqlStore` as the domain's `RecordStore`: the keyed records `(kind, scope, key) → data`, written in atomic batches.

use super::*;

#[async_trait]
impl RecordStore for SqlStore {
    async fn get_record(&self, kind: &str, scope: &str, key: &str, now_ms: i64) -> StoreResult<Option<String>> {
        const STATEMENT: &str = "SELECT data FROM records WHERE kind = $1 AND scope = $2 AND key = $3 AND (expires_ms IS NULL OR expires_ms > $4)";
        if let Some(found) = self.local.as_ref().and_then(|local| local.text(STATEMENT, &[&kind, &scope, &key, &now_ms])) {
            return Ok(found);
        }
        let row = sqlx::query(STATEMENT).bind(kind).bind(scope).bind(key).bind(now_ms).fetch_optional(&self.pool).await.map_err(backend)?;
        row.map(|row| row.try_get::<String, _>(0).map_err(backend)).transpose()
    }

    async fn list_records(&self, kind: &str, scope: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, String)>> {
        const STATEMENT: &str = "SELECT key, data FROM records WHERE kind = $1 AND scope = $2 AND key > $3 ORDER BY key LIMIT $4";
        let (after, limit) = (after.unwrap_or(""), self::limit(limit));
        if let Some(rows) = self.local.as_ref().and_then(|local| local.rows(STATEMENT, &[&kind, &scope, &after, &limit], |row| Ok((row.get(0)?, row.get(1)?)))) {
            return Ok(rows);
        }
        let rows = sqlx::query(STATEMENT).bind(kind).bind(scope).bind(after).bind(limit).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter()
            .map(|row| Ok((row.try_get::<String, _>(0).map_err(backend)?, row.try_get::<String, _>(1).map_err(backend)?)))
            .collect()
    }

    async fn write_records(&self, writes: &[RecordWrite]) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        let applied = Self::apply_record_writes(&mut transaction, writes).await;
        Self::finish(transaction, applied).await
    }

    async fn purge_expired_records(&self, now_ms: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM records WHERE expires_ms IS NOT NULL AND expires_ms <= $1")
            .bind(now_ms)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected())
    }
}

impl SqlStore {
    /// Replaces a record's data: any data (`Conflict(Absent)` when there is no record), or only
    /// the `expected` data (`Conflict(Stale)` otherwise).
    async fn update_record(transaction: &mut Tx, kind: &str, scope: &str, key: &str, expected: Option<&String>, data: &str) -> StoreResult<()> {
        let sql = match expected {
            None => "UPDATE records SET data = $4 WHERE kind = $1 AND scope = $2 AND key = $3",
            Some(_) => "UPDATE records SET data = $4 WHERE kind = $1 AND scope = $2 AND key = $3 AND data = $5",
        };
        let mut query = sqlx::query(sql).bind(kind).bind(scope).bind(key).bind(data);
        if let Some(expected) = expected {
            query = query.bind(expected);
        }
        let updated = query.execute(transaction.conn()).await.map_err(backend)?.rows_affected();
        match (updated, expected) {
            (0, None) => Err(StoreError::Conflict(ConflictOn::Absent)),
            (0, Some(_)) => Err(StoreError::Conflict(ConflictOn::Stale)),
            _ => Ok(()),
        }
    }

    /// Applies record writes inside a transaction; a conflict is answered as
    /// `Err(Conflict(..))`, for the caller to roll back.
    pub(crate) async fn apply_record_writes(transaction: &mut Tx, writes: &[RecordWrite]) -> StoreResult<()> {
        for write in writes {
            match write {
                RecordWrite::Insert { kind, scope, key, data, expires_ms } => {
                    let inserted = sqlx::query(
                        "INSERT INTO records (kind, scope, key, expires_ms, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(*kind)
                    .bind(scope)
                    .bind(key)
                    .bind(*expires_ms)
                    .bind(data)
                    .execute(transaction.conn())
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    if inserted == 0 {
                        return Err(StoreError::Conflict(ConflictOn::Key));
                    }
                }
                RecordWrite::Put { kind, scope, key, data, expires_ms } => {
                    sqlx::query("DELETE FROM records WHERE kind = $1 AND scope = $2 AND key = $3")
                        .bind(*kind)
                        .bind(scope)
                        .bind(key)
                        .execute(transaction.conn())
                        .await
                        .map_err(backend)?;
                    sqlx::query("INSERT INTO records (kind, scope, key, expires_ms, data) VALUES ($1, $2, $3, $4, $5)")
                        .bind(*kind)
                        .bind(scope)
                        .bind(key)
                        .bind(*expires_ms)
                        .bind(data)
                        .execute(transaction.conn())
                        .await
                        .map_err(|error| if is_unique_violation(&error) { StoreError::Conflict(ConflictOn::Key) } else { backend(error) })?;
                }
                RecordWrite::Replace { kind, scope, key, data } => {
                    Self::update_record(transaction, kind, scope, key, None, data).await?;
                }
                RecordWrite::Swap { kind, scope, key, expected, data } => {
                    Self::update_record(transaction, kind, scope, key, Some(expected), data).await?;
                }
                RecordWrite::Delete { kind, scope, key } => {
                    sqlx::query("DELETE FROM records WHERE kind = $1 AND scope = $2 AND key = $3")
                        .bind(*kind)
                        .bind(scope)
                        .bind(key)
                        .execute(transaction.conn())
                        .await
                        .map_err(backend)?;
                }
                RecordWrite::DeleteScope { kind, scope } => {
                    sqlx::query("DELETE FROM records WHERE kind = $1 AND scope = $2")
                        .bind(*kind)
                        .bind(scope)
                        .execute(transaction.conn())
                        .await
                        .map_err(backend)?;
                }
            }
        }
        Ok(())
    }
}
