//! `SqlStore` as the domain's `PoolStore`: user pools and their app clients.

use super::*;

#[async_trait]
impl PoolStore for SqlStore {
    async fn insert_user_pool(&self, pool: &UserPool) -> StoreResult<()> {
        self.insert_document("INSERT INTO user_pools (id, data) VALUES ($1, $2)", &[&pool.id], encode(pool)?).await
    }

    async fn get_user_pool(&self, pool_id: &str) -> StoreResult<Option<UserPool>> {
        self.fetch_document("SELECT data FROM user_pools WHERE id = $1", &[pool_id]).await
    }

    async fn read_user_pool(&self, pool_id: &str) -> StoreResult<Option<(UserPool, String)>> {
        let row = sqlx::query("SELECT data FROM user_pools WHERE id = $1").bind(pool_id).fetch_optional(&self.pool).await.map_err(backend)?;
        match row {
            Some(row) => {
                let stored: String = row.try_get("data").map_err(backend)?;
                Ok(Some((decode(&row, "data")?, stored)))
            }
            None => Ok(None),
        }
    }

    async fn swap_user_pool(&self, pool: &UserPool, expected: &str) -> StoreResult<bool> {
        self.touch("UPDATE user_pools SET data = $2 WHERE id = $1 AND data = $3", &[&pool.id, &encode(pool)?, expected]).await
    }

    async fn delete_user_pool(&self, pool_id: &str) -> StoreResult<bool> {
        let mut transaction = self.begin().await?;
        let deleted = sqlx::query("DELETE FROM user_pools WHERE id = $1")
            .bind(pool_id)
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected()
            > 0;
        for statement in [
            "DELETE FROM app_clients WHERE pool_id = $1",
            "DELETE FROM users WHERE pool_id = $1",
            "DELETE FROM user_search WHERE pool_id = $1",
            "DELETE FROM user_aliases WHERE pool_id = $1",
            "DELETE FROM user_groups WHERE pool_id = $1",
            "DELETE FROM group_members WHERE pool_id = $1",
            "DELETE FROM signing_keys WHERE pool_id = $1",
            "DELETE FROM refresh_tokens WHERE pool_id = $1",
            "DELETE FROM auth_sessions WHERE pool_id = $1",
            "DELETE FROM outbox WHERE pool_id = $1",
            // The pool's records: those filed under its id, or under `<id>:…` and `<id>/…`
            // (provider links, devices); compared by prefix, not LIKE, whose `_` is a wildcard.
            "DELETE FROM records WHERE scope = $1 OR substr(scope, 1, length($1) + 1) IN ($1 || ':', $1 || '/')",
        ] {
            sqlx::query(statement).bind(pool_id).execute(transaction.conn()).await.map_err(backend)?;
        }
        transaction.commit().await?;
        Ok(deleted)
    }

    async fn list_user_pools(&self, after: Option<&str>, page_size: u32) -> StoreResult<Vec<UserPool>> {
        self.fetch_page("SELECT data FROM user_pools WHERE id > $1 ORDER BY id LIMIT $2", &[after.unwrap_or("")], page_size)
            .await
    }

    async fn count_users(&self, pool_id: &str) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        row.try_get::<i64, _>("n").map_err(backend)
    }

    async fn insert_app_client(&self, client: &AppClient) -> StoreResult<()> {
        self.insert_document(
            "INSERT INTO app_clients (pool_id, client_id, data) VALUES ($1, $2, $3)",
            &[&client.pool_id, &client.client_id],
            encode(client)?,
        )
        .await
    }

    async fn get_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<Option<AppClient>> {
        self.fetch_document("SELECT data FROM app_clients WHERE pool_id = $1 AND client_id = $2", &[pool_id, client_id]).await
    }

    async fn update_app_client(&self, client: &AppClient) -> StoreResult<bool> {
        self.touch(
            "UPDATE app_clients SET data = $3 WHERE pool_id = $1 AND client_id = $2",
            &[&client.pool_id, &client.client_id, &encode(client)?],
        )
        .await
    }

    async fn read_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<Option<(AppClient, String)>> {
        let row = sqlx::query("SELECT data FROM app_clients WHERE pool_id = $1 AND client_id = $2")
            .bind(pool_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => {
                let stored: String = row.try_get("data").map_err(backend)?;
                Ok(Some((decode(&row, "data")?, stored)))
            }
            None => Ok(None),
        }
    }

    async fn swap_app_client(&self, client: &AppClient, expected: &str) -> StoreResult<bool> {
        self.touch(
            "UPDATE app_clients SET data = $3 WHERE pool_id = $1 AND client_id = $2 AND data = $4",
            &[&client.pool_id, &client.client_id, &encode(client)?, expected],
        )
        .await
    }

    async fn delete_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<bool> {
        self.touch("DELETE FROM app_clients WHERE pool_id = $1 AND client_id = $2", &[pool_id, client_id]).await
    }

    async fn list_app_clients(&self, pool_id: &str, after: Option<&str>, page_size: u32) -> StoreResult<Vec<AppClient>> {
        self.fetch_page(
            "SELECT data FROM app_clients WHERE pool_id = $1 AND client_id > $2 ORDER BY client_id LIMIT $3",
            &[pool_id, after.unwrap_or("")],
            page_size,
        )
        .await
    }

    async fn config_version(&self) -> StoreResult<i64> {
        const STATEMENT: &str = "SELECT version FROM config_version WHERE id = 1";
        if let Some(version) = self.local.as_ref().and_then(|local| local.rows(STATEMENT, &[], |row| row.get::<_, i64>(0))) {
            if let Some(version) = version.first() {
                return Ok(*version);
            }
        }
        if let Some(reads) = &self.version_reads {
            return reads.version().await;
        }
        let row = sqlx::query(STATEMENT).fetch_one(&self.pool).await.map_err(backend)?;
        row.try_get::<i64, _>("version").map_err(backend)
    }

    async fn find_app_client(&self, client_id: &str) -> StoreResult<Option<AppClient>> {
        self.fetch_document("SELECT data FROM app_clients WHERE client_id = $1", &[client_id]).await
    }
}
