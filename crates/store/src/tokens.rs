//! `SqlStore` as the domain's `TokenStore`: signing keys, refresh-token families and challenge sessions (taken with DELETE … RETURNING, so each answers once across all nodes).

use super::*;
use crate::statement::Param;

/// One row of the refresh context's query, as either read path returns it.
struct RefreshRow {
    revoked: i64,
    rotated_ms: Option<i64>,
    data: String,
    user_data: Option<String>,
    group_data: Option<String>,
    config_version: i64,
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let _turn = self.turn().await?;
        sqlx::query("INSERT INTO signing_keys (pool_id, kid, created_ms, data) VALUES ($1, $2, $3, $4)")
            .bind(key.pool_id.as_str())
            .bind(key.kid.as_str())
            .bind(key.created_ms)
            .bind(encode(key)?)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_signing_keys(&self, pool_id: &str) -> StoreResult<Vec<SigningKeyRecord>> {
        self.fetch_page("SELECT data FROM signing_keys WHERE pool_id = $1 ORDER BY created_ms, kid LIMIT $2", &[pool_id], 1000)
            .await
    }

    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()> {
        let _turn = self.turn().await?;
        insert_refresh_token(token)?.execute(&self.writer).await.map_err(backend)?;
        Ok(())
    }

    async fn rotate_refresh_token(&self, old_hash: &str, rotated_after_ms: i64, now_ms: i64, new: &RefreshTokenRecord) -> StoreResult<bool> {
        let mut transaction = self.begin().await?;
        let applied = async {
            let spent = sqlx::query(
                "UPDATE refresh_tokens SET rotated_ms = COALESCE(rotated_ms, $2) \
                 WHERE token_hash = $1 AND revoked = 0 AND (rotated_ms IS NULL OR rotated_ms >= $3)",
            )
            .bind(old_hash)
            .bind(now_ms)
            .bind(rotated_after_ms)
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected();
            if spent == 0 {
                return Err(StoreError::Conflict(ConflictOn::Stale));
            }
            insert_refresh_token(new)?.execute(transaction.conn()).await.map_err(backend)?;
            Ok(())
        }
        .await;
        match Self::finish(transaction, applied).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(ConflictOn::Stale)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        let row = sqlx::query("SELECT revoked, rotated_ms, data FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| {
            let mut token: RefreshTokenRecord = decode(&row, "data")?;
            token.revoked = row.try_get::<i64, _>("revoked").map_err(backend)? != 0;
            token.rotated_ms = row.try_get::<Option<i64>, _>("rotated_ms").map_err(backend)?;
            Ok(token)
        })
        .transpose()
    }

    async fn get_refresh_context(&self, token_hash: &str) -> StoreResult<Option<RefreshContext>> {
        // One row per group (one with no group when there is none), ordered by group name.
        const STATEMENT: &str = "SELECT t.revoked, t.rotated_ms, t.data, u.data AS user_data, g.data AS group_data, \
             (SELECT version FROM config_version WHERE id = 1) AS config_version FROM refresh_tokens t \
             LEFT JOIN users u ON u.pool_id = t.pool_id AND u.username_key = t.username_key \
             LEFT JOIN group_members m ON m.pool_id = t.pool_id AND m.username_key = t.username_key \
             LEFT JOIN user_groups g ON g.pool_id = m.pool_id AND g.group_name = m.group_name \
             WHERE t.token_hash = $1 ORDER BY m.group_name LIMIT 100";
        let local = self.local.as_ref().and_then(|local| {
            local.rows(STATEMENT, &[&token_hash], |row| {
                Ok(RefreshRow {
                    revoked: row.get(0)?,
                    rotated_ms: row.get(1)?,
                    data: row.get(2)?,
                    user_data: row.get(3)?,
                    group_data: row.get(4)?,
                    config_version: row.get(5)?,
                })
            })
        });
        let rows = match local {
            Some(rows) => rows,
            None => {
                let rows = match &self.point_reads {
                    Some(reads) => reads.fetch_all(STATEMENT, &[Param::Text(token_hash)]).await?,
                    None => sqlx::query(STATEMENT).bind(token_hash).fetch_all(&self.pool).await.map_err(backend)?,
                };
                rows.iter()
                    .map(|row| {
                        Ok(RefreshRow {
                            revoked: row.try_get("revoked").map_err(backend)?,
                            rotated_ms: row.try_get("rotated_ms").map_err(backend)?,
                            data: row.try_get("data").map_err(backend)?,
                            user_data: row.try_get("user_data").map_err(backend)?,
                            group_data: row.try_get("group_data").map_err(backend)?,
                            config_version: row.try_get("config_version").map_err(backend)?,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?
            }
        };
        let Some(first) = rows.first() else { return Ok(None) };
        let mut token: RefreshTokenRecord = decode_text(&first.data, "data")?;
        token.revoked = first.revoked != 0;
        token.rotated_ms = first.rotated_ms;
        let user = first.user_data.as_deref().map(|text| decode_text(text, "user_data")).transpose()?;
        let groups = rows.iter().filter_map(|row| row.group_data.as_deref()).map(|text| decode_text(text, "group_data")).collect::<StoreResult<_>>()?;
        Ok(Some(RefreshContext { token, user, groups, config_version: first.config_version }))
    }

    async fn revoke_token_family(&self, origin_jti: &str) -> StoreResult<()> {
        self.touch("UPDATE refresh_tokens SET revoked = 1 WHERE origin_jti = $1", &[origin_jti]).await.map(|_| ())
    }

    async fn revoke_user_tokens(&self, pool_id: &str, username_key: &str) -> StoreResult<()> {
        self.touch("UPDATE refresh_tokens SET revoked = 1 WHERE pool_id = $1 AND username_key = $2", &[pool_id, username_key])
            .await
            .map(|_| ())
    }

    async fn is_token_family_revoked(&self, origin_jti: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 AS hit FROM refresh_tokens WHERE origin_jti = $1 AND revoked = 1 LIMIT 1")
            .bind(origin_jti)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    async fn insert_auth_session(&self, session: &AuthSessionRecord) -> StoreResult<()> {
        let _turn = self.turn().await?;
        sqlx::query("INSERT INTO auth_sessions (session_hash, pool_id, expires_ms, data) VALUES ($1, $2, $3, $4)")
            .bind(session.session_hash.as_str())
            .bind(session.pool_id.as_str())
            .bind(session.expires_ms)
            .bind(encode(session)?)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn take_auth_session(&self, session_hash: &str) -> StoreResult<Option<AuthSessionRecord>> {
        let _turn = self.turn().await?;
        let row = sqlx::query("DELETE FROM auth_sessions WHERE session_hash = $1 RETURNING data")
            .bind(session_hash)
            .fetch_optional(&self.writer)
            .await
            .map_err(backend)?;
        row.map(|row| decode(&row, "data")).transpose()
    }
}

/// The insert of one refresh token, its indexed members in their columns.
fn insert_refresh_token(token: &RefreshTokenRecord) -> StoreResult<sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>>> {
    Ok(sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, pool_id, username_key, origin_jti, revoked, expires_ms, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.token_hash.as_str())
    .bind(token.pool_id.as_str())
    .bind(token.username_key.as_str())
    .bind(token.origin_jti.as_str())
    .bind(i64::from(token.revoked))
    .bind(token.expires_ms)
    .bind(encode(token)?))
}
