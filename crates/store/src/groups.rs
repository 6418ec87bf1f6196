//! `SqlStore` as the domain's `GroupStore`: groups and memberships.

use super::*;

#[async_trait]
impl GroupStore for SqlStore {
    async fn insert_group(&self, group: &Group) -> StoreResult<()> {
        self.insert_document(
            "INSERT INTO user_groups (pool_id, group_name, data) VALUES ($1, $2, $3)",
            &[&group.pool_id, &group.name],
            encode(group)?,
        )
        .await
    }

    async fn get_group(&self, pool_id: &str, group_name: &str) -> StoreResult<Option<Group>> {
        self.fetch_document("SELECT data FROM user_groups WHERE pool_id = $1 AND group_name = $2", &[pool_id, group_name]).await
    }

    async fn update_group(&self, group: &Group) -> StoreResult<bool> {
        self.touch(
            "UPDATE user_groups SET data = $3 WHERE pool_id = $1 AND group_name = $2",
            &[&group.pool_id, &group.name, &encode(group)?],
        )
        .await
    }

    async fn delete_group(&self, pool_id: &str, group_name: &str) -> StoreResult<bool> {
        let mut transaction = self.begin().await?;
        let deleted = sqlx::query("DELETE FROM user_groups WHERE pool_id = $1 AND group_name = $2")
            .bind(pool_id)
            .bind(group_name)
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected()
            > 0;
        sqlx::query("DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2")
            .bind(pool_id)
            .bind(group_name)
            .execute(transaction.conn())
            .await
            .map_err(backend)?;
        transaction.commit().await?;
        Ok(deleted)
    }

    async fn list_groups(&self, pool_id: &str, after: Option<&str>, page_size: u32) -> StoreResult<Vec<Group>> {
        self.fetch_page(
            "SELECT data FROM user_groups WHERE pool_id = $1 AND group_name > $2 ORDER BY group_name LIMIT $3",
            &[pool_id, after.unwrap_or("")],
            page_size,
        )
        .await
    }

    async fn add_group_member(&self, pool_id: &str, group_name: &str, username_key: &str) -> StoreResult<()> {
        let _turn = self.turn().await?;
        sqlx::query("INSERT INTO group_members (pool_id, group_name, username_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(pool_id)
            .bind(group_name)
            .bind(username_key)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn remove_group_member(&self, pool_id: &str, group_name: &str, username_key: &str) -> StoreResult<()> {
        self.touch(
            "DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND username_key = $3",
            &[pool_id, group_name, username_key],
        )
        .await
        .map(|_| ())
    }

    async fn list_groups_for_user(&self, pool_id: &str, username_key: &str, after: Option<&str>, page_size: u32)
        -> StoreResult<Vec<Group>> {
        self.fetch_page(
            "SELECT g.data FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.group_name = m.group_name \
             WHERE m.pool_id = $1 AND m.username_key = $2 AND m.group_name > $3 ORDER BY m.group_name LIMIT $4",
            &[pool_id, username_key, after.unwrap_or("")],
            page_size,
        )
        .await
    }

    async fn list_group_members(&self, pool_id: &str, group_name: &str, after: Option<&str>, page_size: u32)
        -> StoreResult<Vec<(User, String)>> {
        let rows = sqlx::query(
            "SELECT u.data, m.username_key FROM group_members m \
             JOIN users u ON u.pool_id = m.pool_id AND u.username_key = m.username_key \
             WHERE m.pool_id = $1 AND m.group_name = $2 AND m.username_key > $3 ORDER BY m.username_key LIMIT $4",
        )
        .bind(pool_id)
        .bind(group_name)
        .bind(after.unwrap_or(""))
        .bind(limit(page_size))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| Ok((decode(row, "data")?, row.try_get::<String, _>("username_key").map_err(backend)?)))
            .collect()
    }

    async fn count_groups_for_user(&self, pool_id: &str, username_key: &str) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM group_members WHERE pool_id = $1 AND username_key = $2")
            .bind(pool_id)
            .bind(username_key)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        row.try_get::<i64, _>("n").map_err(backend)
    }
}
