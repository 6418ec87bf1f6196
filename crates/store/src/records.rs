//! `SqlStore` as the domain's `RecordStore`: the keyed records `(kind, scope, key) → data`, written in atomic batches.

use super::*;
use crate::statement::{steps, Param};

#[async_trait]
impl RecordStore for SqlStore {
    async fn get_record(&self, kind: &str, scope: &str, key: &str, now_ms: i64) -> StoreResult<Option<String>> {
        const STATEMENT: &str = "SELECT data FROM records WHERE kind = $1 AND scope = $2 AND key = $3 AND (expires_ms IS NULL OR expires_ms > $4)";
        if let Some(found) = self.local.as_ref().and_then(|local| local.text(STATEMENT, &[&kind, &scope, &key, &now_ms])) {
            return Ok(found);
        }
        let row = match &self.point_reads {
            Some(reads) => reads.fetch_all(STATEMENT, &[Param::Text(kind), Param::Text(scope), Param::Text(key), Param::Int(Some(now_ms))]).await?.into_iter().next(),
            None => sqlx::query(STATEMENT).bind(kind).bind(scope).bind(key).bind(now_ms).fetch_optional(&self.pool).await.map_err(backend)?,
        };
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
        if let Some(writer) = &self.local_writer {
            match writer.write_batch(writes, &self.write_failed).await? {
                local_write::Outcome::Done(written) => return written,
                local_write::Outcome::Busy => {}
            }
        }
        let mut transaction = self.begin().await?;
        let applied = Self::apply_record_writes(&mut transaction, writes).await;
        Self::finish(transaction, applied).await
    }

    async fn purge_expired_records(&self, now_ms: i64) -> StoreResult<u64> {
        let _turn = self.turn().await?;
        let result = sqlx::query("DELETE FROM records WHERE expires_ms IS NOT NULL AND expires_ms <= $1")
            .bind(now_ms)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected())
    }
}

impl SqlStore {
    /// Applies record writes inside a transaction; a conflict is answered as
    /// `Err(Conflict(..))`, for the caller to roll back.
    pub(crate) async fn apply_record_writes(transaction: &mut Tx, writes: &[RecordWrite]) -> StoreResult<()> {
        for step in writes.iter().flat_map(steps) {
            let mut query = sqlx::query(step.sql);
            for parameter in &step.params {
                query = match parameter {
                    Param::Text(text) => query.bind(*text),
                    Param::Int(number) => query.bind(*number),
                };
            }
            let changed = match query.execute(transaction.conn()).await {
                Ok(result) => result.rows_affected(),
                Err(error) if is_unique_violation(&error) && step.duplicate.is_some() => {
                    return Err(StoreError::Conflict(step.duplicate.expect("checked")));
                }
                Err(error) => return Err(backend(error)),
            };
            if let (0, Some(on)) = (changed, step.untouched) {
                return Err(StoreError::Conflict(on));
            }
        }
        Ok(())
    }
}
