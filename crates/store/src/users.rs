//! `SqlStore` as the domain's `UserStore`: users with their search values and aliases; update_user is a compare-and-set on the version.

use super::*;

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, record: &UserRecord) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        let inserted = insert_user_row(&mut transaction, record).await?;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                transaction.rollback().await?;
                return Err(StoreError::Conflict(ConflictOn::Key));
            }
            Err(error) => return Err(backend(error)),
        }
        if let Err(error) = Self::write_user_rows(&mut transaction, record).await {
            return Self::abandon(transaction, error).await;
        }
        transaction.commit().await
    }

    async fn insert_users(&self, records: &[UserRecord]) -> StoreResult<Vec<Option<ConflictOn>>> {
        let mut transaction = self.begin().await?;
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            // A savepoint per user: a conflict undoes that user alone (PostgreSQL would otherwise
            // abort the whole transaction at the first one).
            sqlx::query("SAVEPOINT import_user").execute(transaction.conn()).await.map_err(backend)?;
            let inserted = insert_user_row(&mut transaction, record).await?;
            let outcome = match inserted {
                Ok(_) => match Self::write_user_rows(&mut transaction, record).await {
                    Ok(()) => None,
                    Err(StoreError::Conflict(on)) => Some(on),
                    Err(error) => return Err(error),
                },
                Err(error) if is_unique_violation(&error) => Some(ConflictOn::Key),
                Err(error) => return Err(backend(error)),
            };
            if outcome.is_some() {
                sqlx::query("ROLLBACK TO SAVEPOINT import_user").execute(transaction.conn()).await.map_err(backend)?;
            }
            sqlx::query("RELEASE SAVEPOINT import_user").execute(transaction.conn()).await.map_err(backend)?;
            outcomes.push(outcome);
        }
        transaction.commit().await?;
        Ok(outcomes)
    }

    async fn get_user(&self, pool_id: &str, username_key: &str) -> StoreResult<Option<User>> {
        self.fetch_document("SELECT data FROM users WHERE pool_id = $1 AND username_key = $2", &[pool_id, username_key]).await
    }

    async fn find_user_by_alias(&self, pool_id: &str, attribute: &str, value: &str) -> StoreResult<Option<User>> {
        self.fetch_document(
            "SELECT u.data FROM user_aliases a JOIN users u ON u.pool_id = a.pool_id AND u.username_key = a.username_key \
             WHERE a.pool_id = $1 AND a.attribute = $2 AND a.value = $3",
            &[pool_id, attribute, value],
        )
        .await
    }

    async fn update_user(&self, record: &UserRecord) -> StoreResult<bool> {
        let mut transaction = self.begin().await?;
        let updated = user_compare_and_set(&record.user, &record.username_key)?
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected()
            > 0;
        if !updated {
            let exists = user_exists(&record.user, &record.username_key).fetch_optional(transaction.conn()).await.map_err(backend)?.is_some();
            transaction.rollback().await?;
            return if exists { Err(StoreError::Conflict(ConflictOn::Stale)) } else { Ok(false) };
        }
        Self::delete_user_rows(&mut transaction, &record.user.pool_id, &record.username_key).await?;
        if let Err(error) = Self::write_user_rows(&mut transaction, record).await {
            return Self::abandon(transaction, error).await;
        }
        transaction.commit().await?;
        Ok(true)
    }

    async fn update_user_document(&self, user: &User, username_key: &str) -> StoreResult<bool> {
        let _turn = self.turn().await?;
        let updated = user_compare_and_set(user, username_key)?.execute(&self.writer).await.map_err(backend)?.rows_affected() > 0;
        if updated {
            return Ok(true);
        }
        if user_exists(user, username_key).fetch_optional(&self.pool).await.map_err(backend)?.is_some() {
            Err(StoreError::Conflict(ConflictOn::Stale))
        } else {
            Ok(false)
        }
    }

    async fn delete_user(&self, pool_id: &str, username_key: &str) -> StoreResult<bool> {
        let mut transaction = self.begin().await?;
        let deleted = sqlx::query("DELETE FROM users WHERE pool_id = $1 AND username_key = $2")
            .bind(pool_id)
            .bind(username_key)
            .execute(transaction.conn())
            .await
            .map_err(backend)?
            .rows_affected()
            > 0;
        Self::delete_user_rows(&mut transaction, pool_id, username_key).await?;
        for statement in [
            "DELETE FROM group_members WHERE pool_id = $1 AND username_key = $2",
            "DELETE FROM refresh_tokens WHERE pool_id = $1 AND username_key = $2",
        ] {
            sqlx::query(statement).bind(pool_id).bind(username_key).execute(transaction.conn()).await.map_err(backend)?;
        }
        transaction.commit().await?;
        Ok(deleted)
    }

    async fn list_users(&self, pool_id: &str, query: &UserQuery) -> StoreResult<Vec<(User, UserCursor)>> {
        // Each statement binds the pool, the attribute and where to start, then the prefix's
        // ceiling (a prefix only), the username key to resume after and the page size.
        let (sql, start_value, ceiling, start_key) = match &query.value_match {
            // An exact value is an equality, not a range of one: PostgreSQL's generic plan for
            // `value = $3` is the index seek, so a prepared statement stops being planned anew
            // at each execution, as the range's guessed width kept it over a large table.
            ValueMatch::Exact(value) => {
                let value = truncate_search_value(value).to_string();
                let start_key = match &query.after {
                    Some(cursor) if cursor.value == value => cursor.username_key.clone(),
                    Some(cursor) if cursor.value > value => return Ok(Vec::new()),
                    _ => String::new(),
                };
                let sql = "SELECT u.data, s.value, s.username_key FROM user_search s \
                     JOIN users u ON u.pool_id = s.pool_id AND u.username_key = s.username_key \
                     WHERE s.pool_id = $1 AND s.attribute = $2 AND s.value = $3 AND s.username_key > $4 \
                     ORDER BY s.value, s.username_key LIMIT $5";
                (sql, value, None, start_key)
            }
            ValueMatch::Prefix(prefix) => {
                let low = truncate_search_value(prefix).to_string();
                let ceiling = format!("{low}{PREFIX_CEILING}");
                // Resume strictly after (value, username_key). The row comparison alone would be
                // the exact condition, but neither database can be trusted to start its index
                // scan there when a plain range bound is also present (PostgreSQL may start at
                // whichever bound it sees first; an OR of the two makes SQLite scan), so both
                // bounds start at the cursor: a deep page is then one index seek, like the first.
                let (start_value, start_key) = match query.after.clone() {
                    Some(cursor) if cursor.value >= low => (cursor.value, cursor.username_key),
                    _ => (low, String::new()),
                };
                let sql = "SELECT u.data, s.value, s.username_key FROM user_search s \
                     JOIN users u ON u.pool_id = s.pool_id AND u.username_key = s.username_key \
                     WHERE s.pool_id = $1 AND s.attribute = $2 AND s.value >= $3 AND s.value <= $4 \
                     AND (s.value, s.username_key) > ($3, $5) \
                     ORDER BY s.value, s.username_key LIMIT $6";
                (sql, start_value, Some(ceiling), start_key)
            }
        };
        let mut statement = sqlx::query(sql).bind(pool_id).bind(query.attribute.as_str()).bind(start_value);
        if let Some(ceiling) = ceiling {
            statement = statement.bind(ceiling);
        }
        let rows = statement.bind(start_key).bind(limit(query.limit)).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter()
            .map(|row| {
                let user: User = decode(row, "data")?;
                let cursor = UserCursor {
                    value: row.try_get("value").map_err(backend)?,
                    username_key: row.try_get("username_key").map_err(backend)?,
                };
                Ok((user, cursor))
            })
            .collect()
    }
}

/// The users row of a new user (its search values and aliases are written apart); the outer
/// error is one of encoding, the inner the database's answer.
async fn insert_user_row(transaction: &mut Tx, record: &UserRecord) -> StoreResult<Result<sqlx::any::AnyQueryResult, sqlx::Error>> {
    Ok(sqlx::query("INSERT INTO users (pool_id, username_key, sub, version, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(record.user.pool_id.as_str())
        .bind(record.username_key.as_str())
        .bind(record.user.sub.as_str())
        .bind(record.user.version)
        .bind(encode(&record.user)?)
        .execute(transaction.conn())
        .await)
}
