#![forbid(unsafe_code)]
//! cognate's storage: one SQL implementation of the domain's [`Store`] trait that runs on SQLite
//! (the embedded default) and PostgreSQL (shared by the nodes of a cluster). The two dialects
//! differ only in their migrations; every query is written once in the SQL both accept.

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod durability;
mod migrations;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Row};

use cognate_domain::store::{
    ConflictOn, PurgeCutoffs, RecordWrite, Store, StoreError, StoreResult, UserCursor, UserQuery, UserRecord, ValueMatch,
};
use cognate_domain::sync::{DatasetRecord, SyncRecord};
use cognate_domain::tokens::SigningKeyRecord;
use cognate_domain::user_pool::{AppClient, AuthSessionRecord, Group, OutboxMessage, RefreshTokenRecord, User, UserPool};

pub use migrations::MIGRATIONS;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }
}

/// The upper bound of a prefix range: no stored value that starts with the prefix sorts above it.
const PREFIX_CEILING: char = '\u{10FFFF}';
/// Search values are indexed up to this many bytes (an index entry must stay small on PostgreSQL).
const MAX_SEARCH_VALUE_BYTES: usize = 1000;

fn truncate_search_value(value: &str) -> &str {
    if value.len() <= MAX_SEARCH_VALUE_BYTES {
        return value;
    }
    let mut end = MAX_SEARCH_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

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
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
    /// Set when a transaction could not be committed or rolled back (a full disk, a lost
    /// server), cleared by the next commit that succeeds: `/health` reports such a store
    /// unavailable until a write goes through again.
    write_failed: Arc<AtomicBool>,
}

/// One transaction on one pooled connection, begun with `BEGIN` (`BEGIN IMMEDIATE` on SQLite,
/// which takes the write lock at once instead of failing later on an upgrade). A connection
/// goes back to the pool only when its transaction ended cleanly: when COMMIT or ROLLBACK
/// fails, or the transaction is dropped unfinished (an error returned mid-way, a cancelled
/// request), the connection is closed, so no later request can run inside a transaction whose
/// fate is unknown and have its writes acknowledged but never committed.
struct Tx {
    connection: Option<PoolConnection<Any>>,
    write_failed: Arc<AtomicBool>,
}

impl Tx {
    /// The connection, to run the transaction's statements on.
    fn conn(&mut self) -> &mut AnyConnection {
        self.connection.as_mut().expect("a transaction holds its connection until it ends")
    }

    /// Commits; the write is acknowledged only when this returns Ok.
    async fn commit(mut self) -> StoreResult<()> {
        self.end("COMMIT").await
    }

    /// Rolls back, for an outcome that changes nothing (a conflict).
    async fn rollback(mut self) -> StoreResult<()> {
        self.end("ROLLBACK").await
    }

    async fn end(&mut self, statement: &'static str) -> StoreResult<()> {
        let mut connection = self.connection.take().expect("a transaction ends once");
        match connection.execute(statement).await {
            Ok(_) => {
                if statement == "COMMIT" {
                    self.write_failed.store(false, Ordering::Relaxed);
                }
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, statement, "a transaction did not end cleanly; its connection is closed");
                self.write_failed.store(true, Ordering::Relaxed);
                connection.close_on_drop();
                Err(backend(error))
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            // Abandoned by an error or a cancelled request: the store may be unable to write
            // (the next health check probes it with a write).
            self.write_failed.store(true, Ordering::Relaxed);
            connection.close_on_drop();
        }
    }
}

fn backend(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(error.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database_error) if database_error.is_unique_violation())
}

fn encode<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|error| StoreError::Backend(format!("encoding a row: {error}")))
}

fn decode<T: DeserializeOwned>(row: &AnyRow, column: &str) -> StoreResult<T> {
    let text: String = row.try_get(column).map_err(backend)?;
    serde_json::from_str(&text).map_err(|error| StoreError::Backend(format!("decoding a stored {column}: {error}")))
}

/// The UPDATE that writes `user`'s document at the next version, only if the stored row is
/// still at the version `user` was read at.
fn user_compare_and_set<'q>(user: &'q User, username_key: &'q str) -> StoreResult<sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>> {
    let next = User { version: user.version + 1, ..user.clone() };
    Ok(sqlx::query("UPDATE users SET data = $3, version = $4 WHERE pool_id = $1 AND username_key = $2 AND version = $5")
        .bind(user.pool_id.as_str())
        .bind(username_key)
        .bind(encode(&next)?)
        .bind(next.version)
        .bind(user.version))
}

/// Whether the row a refused compare-and-set aimed at exists (stale) or not (gone).
fn user_exists<'q>(user: &'q User, username_key: &'q str) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query("SELECT 1 AS hit FROM users WHERE pool_id = $1 AND username_key = $2").bind(user.pool_id.as_str()).bind(username_key)
}

fn limit(value: u32) -> i64 {
    value as i64
}

impl SqlStore {
    /// Connects, creating an SQLite file when it does not exist, and applies pending migrations.
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
        Self::connect_with_sqlite_pragma(url, None).await
    }

    /// As [`Self::connect`], running one more SQLite pragma on every new connection (tests use
    /// `PRAGMA max_page_count` to fill the database deterministically).
    #[doc(hidden)]
    pub async fn connect_with_sqlite_pragma(url: &str, extra_pragma: Option<&'static str>) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of_url(url)
            .ok_or_else(|| StoreError::Backend(format!("unsupported database URL (want sqlite: or postgres://): {url}")))?;
        let url = match dialect {
            Dialect::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(match dialect {
                Dialect::Sqlite => 4,
                Dialect::Postgres => 16,
            })
            // A PostgreSQL outage answers requests within seconds, not after a long hang; SQLite
            // waits longer (its connections are only ever busy, never unreachable).
            .acquire_timeout(match dialect {
                Dialect::Sqlite => Duration::from_secs(10),
                Dialect::Postgres => Duration::from_secs(3),
            })
            .after_connect(move |connection, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        connection
                            .execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
                            .await?;
                        if let Some(pragma) = extra_pragma {
                            connection.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            });
        let _ = sqlx::any::AnyConnectOptions::from_str(&url).map_err(backend)?;
        let pool = options.connect(&url).await.map_err(backend)?;
        let store = SqlStore { pool, dialect, write_failed: Arc::new(AtomicBool::new(false)) };
        store.migrate().await?;
        Ok(store)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Ends a transaction that failed with `error`: a conflict (nothing to change) rolls back
    /// and keeps the connection; anything else closes it (see [`Tx`]).
    async fn abandon<T>(transaction: Tx, error: StoreError) -> StoreResult<T> {
        if matches!(error, StoreError::Conflict(_)) {
            transaction.rollback().await?;
        }
        Err(error)
    }

    /// Begins a transaction on a connection of its own (see [`Tx`]).
    async fn begin(&self) -> StoreResult<Tx> {
        let mut connection = self.pool.acquire().await.map_err(backend)?;
        let statement = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        if let Err(error) = connection.execute(statement).await {
            connection.close_on_drop();
            return Err(backend(error));
        }
        Ok(Tx { connection: Some(connection), write_failed: self.write_failed.clone() })
    }

    /// Applies the migrations this database does not have yet, under a cluster-wide lock.
    async fn migrate(&self) -> StoreResult<()> {
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

    async fn write_user_rows(transaction: &mut Tx, record: &UserRecord) -> StoreResult<()> {
        let pool_id = record.user.pool_id.as_str();
        for (attribute, value) in &record.search {
            sqlx::query(
                "INSERT INTO user_search (pool_id, attribute, value, username_key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(pool_id)
            .bind(attribute.as_str())
            .bind(truncate_search_value(value))
            .bind(record.username_key.as_str())
            .execute(transaction.conn())
            .await
            .map_err(backend)?;
        }
        for (attribute, value) in &record.aliases {
            let inserted = sqlx::query("INSERT INTO user_aliases (pool_id, attribute, value, username_key) VALUES ($1, $2, $3, $4)")
                .bind(pool_id)
                .bind(attribute.as_str())
                .bind(value.as_str())
                .bind(record.username_key.as_str())
                .execute(transaction.conn())
                .await;
            match inserted {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => return Err(StoreError::Conflict(ConflictOn::Alias(attribute.clone()))),
                Err(error) => return Err(backend(error)),
            }
        }
        Ok(())
    }

    async fn delete_user_rows(transaction: &mut Tx, pool_id: &str, username_key: &str) -> StoreResult<()> {
        for statement in [
            "DELETE FROM user_search WHERE pool_id = $1 AND username_key = $2",
            "DELETE FROM user_aliases WHERE pool_id = $1 AND username_key = $2",
        ] {
            sqlx::query(statement).bind(pool_id).bind(username_key).execute(transaction.conn()).await.map_err(backend)?;
        }
        Ok(())
    }

    async fn insert_document(&self, statement: &str, keys: &[&str], data: String) -> StoreResult<()> {
        let mut query = sqlx::query(statement);
        for key in keys {
            query = query.bind(*key);
        }
        match query.bind(data).execute(&self.pool).await {
            Ok(_) => Ok(()),
            Err(error) if is_unique_violation(&error) => Err(StoreError::Conflict(ConflictOn::Key)),
            Err(error) => Err(backend(error)),
        }
    }

    /// The `data` document of the first row a query with string parameters returns.
    async fn fetch_document<T: DeserializeOwned>(&self, statement: &str, parameters: &[&str]) -> StoreResult<Option<T>> {
        let mut query = sqlx::query(statement);
        for parameter in parameters {
            query = query.bind(*parameter);
        }
        let row = query.fetch_optional(&self.pool).await.map_err(backend)?;
        row.map(|row| decode(&row, "data")).transpose()
    }

    /// One page of `data` documents: string parameters, then the page size as the last one.
    async fn fetch_page<T: DeserializeOwned>(&self, statement: &str, parameters: &[&str], page_size: u32) -> StoreResult<Vec<T>> {
        let mut query = sqlx::query(statement);
        for parameter in parameters {
            query = query.bind(*parameter);
        }
        let rows = query.bind(limit(page_size)).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(|row| decode(row, "data")).collect()
    }

    /// Runs an UPDATE or DELETE with string parameters; true when it touched a row.
    async fn touch(&self, statement: &str, parameters: &[&str]) -> StoreResult<bool> {
        let mut query = sqlx::query(statement);
        for parameter in parameters {
            query = query.bind(*parameter);
        }
        let result = query.execute(&self.pool).await.map_err(backend)?;
        Ok(result.rows_affected() > 0)
    }
}

#[async_trait]
impl Store for SqlStore {
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

    async fn insert_user_pool(&self, pool: &UserPool) -> StoreResult<()> {
        self.insert_document("INSERT INTO user_pools (id, data) VALUES ($1, $2)", &[&pool.id], encode(pool)?).await
    }

    async fn get_user_pool(&self, pool_id: &str) -> StoreResult<Option<UserPool>> {
        self.fetch_document("SELECT data FROM user_pools WHERE id = $1", &[pool_id]).await
    }

    async fn update_user_pool(&self, pool: &UserPool) -> StoreResult<bool> {
        self.touch("UPDATE user_pools SET data = $2 WHERE id = $1", &[&pool.id, &encode(pool)?]).await
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

    async fn find_app_client(&self, client_id: &str) -> StoreResult<Option<AppClient>> {
        self.fetch_document("SELECT data FROM app_clients WHERE client_id = $1", &[client_id]).await
    }

    async fn insert_user(&self, record: &UserRecord) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        let inserted = sqlx::query("INSERT INTO users (pool_id, username_key, sub, version, data) VALUES ($1, $2, $3, $4, $5)")
            .bind(record.user.pool_id.as_str())
            .bind(record.username_key.as_str())
            .bind(record.user.sub.as_str())
            .bind(record.user.version)
            .bind(encode(&record.user)?)
            .execute(transaction.conn())
            .await;
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
        let updated = user_compare_and_set(user, username_key)?.execute(&self.pool).await.map_err(backend)?.rows_affected() > 0;
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
        let (low, high) = match &query.value_match {
            ValueMatch::Exact(value) => {
                let value = truncate_search_value(value).to_string();
                (value.clone(), value)
            }
            ValueMatch::Prefix(prefix) => {
                let prefix = truncate_search_value(prefix).to_string();
                let ceiling = format!("{prefix}{PREFIX_CEILING}");
                (prefix, ceiling)
            }
        };
        // Resume strictly after (value, username_key). The row comparison alone would be the
        // exact condition, but neither database can be trusted to start its index scan there
        // when a plain range bound is also present (PostgreSQL may start at whichever bound it
        // sees first; an OR of the two makes SQLite scan), so both bounds start at the cursor:
        // a deep page is then one index seek, like the first page.
        let (start_value, start_key) = match query.after.clone() {
            Some(cursor) if cursor.value >= low => (cursor.value, cursor.username_key),
            _ => (low, String::new()),
        };
        let rows = sqlx::query(
            "SELECT u.data, s.value, s.username_key FROM user_search s \
             JOIN users u ON u.pool_id = s.pool_id AND u.username_key = s.username_key \
             WHERE s.pool_id = $1 AND s.attribute = $2 AND s.value >= $3 AND s.value <= $4 \
             AND (s.value, s.username_key) > ($3, $5) \
             ORDER BY s.value, s.username_key LIMIT $6",
        )
        .bind(pool_id)
        .bind(query.attribute.as_str())
        .bind(start_value)
        .bind(high)
        .bind(start_key)
        .bind(limit(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
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
        sqlx::query("INSERT INTO group_members (pool_id, group_name, username_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(pool_id)
            .bind(group_name)
            .bind(username_key)
            .execute(&self.pool)
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

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        sqlx::query("INSERT INTO signing_keys (pool_id, kid, created_ms, data) VALUES ($1, $2, $3, $4)")
            .bind(key.pool_id.as_str())
            .bind(key.kid.as_str())
            .bind(key.created_ms)
            .bind(encode(key)?)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_signing_keys(&self, pool_id: &str) -> StoreResult<Vec<SigningKeyRecord>> {
        self.fetch_page("SELECT data FROM signing_keys WHERE pool_id = $1 ORDER BY created_ms, kid LIMIT $2", &[pool_id], 1000)
            .await
    }

    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, pool_id, username_key, origin_jti, revoked, expires_ms, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token.token_hash.as_str())
        .bind(token.pool_id.as_str())
        .bind(token.username_key.as_str())
        .bind(token.origin_jti.as_str())
        .bind(i64::from(token.revoked))
        .bind(token.expires_ms)
        .bind(encode(token)?)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        let row = sqlx::query("SELECT revoked, data FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| {
            let mut token: RefreshTokenRecord = decode(&row, "data")?;
            token.revoked = row.try_get::<i64, _>("revoked").map_err(backend)? != 0;
            Ok(token)
        })
        .transpose()
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
        sqlx::query("INSERT INTO auth_sessions (session_hash, pool_id, expires_ms, data) VALUES ($1, $2, $3, $4)")
            .bind(session.session_hash.as_str())
            .bind(session.pool_id.as_str())
            .bind(session.expires_ms)
            .bind(encode(session)?)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn take_auth_session(&self, session_hash: &str) -> StoreResult<Option<AuthSessionRecord>> {
        let row = sqlx::query("DELETE FROM auth_sessions WHERE session_hash = $1 RETURNING data")
            .bind(session_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| decode(&row, "data")).transpose()
    }

    async fn insert_outbox_message(&self, message: &OutboxMessage) -> StoreResult<()> {
        sqlx::query("INSERT INTO outbox (id, pool_id, created_ms, data) VALUES ($1, $2, $3, $4)")
            .bind(message.id.as_str())
            .bind(message.pool_id.as_str())
            .bind(message.created_ms)
            .bind(encode(message)?)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_outbox_messages(&self, pool_id: Option<&str>, page_size: u32) -> StoreResult<Vec<OutboxMessage>> {
        let mut messages: Vec<OutboxMessage> = match pool_id {
            Some(pool_id) => {
                self.fetch_page(
                    "SELECT data FROM outbox WHERE pool_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2",
                    &[pool_id],
                    page_size,
                )
                .await?
            }
            None => self.fetch_page("SELECT data FROM outbox ORDER BY created_ms DESC, id DESC LIMIT $1", &[], page_size).await?,
        };
        messages.reverse();
        Ok(messages)
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
        sqlx::query("INSERT INTO cluster_values (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        self.get_cluster_value(name)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("cluster value {name} vanished after insert")))
    }

    async fn get_record(&self, kind: &str, scope: &str, key: &str, now_ms: i64) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT data FROM records WHERE kind = $1 AND scope = $2 AND key = $3 AND (expires_ms IS NULL OR expires_ms > $4)",
        )
        .bind(kind)
        .bind(scope)
        .bind(key)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| row.try_get::<String, _>(0).map_err(backend)).transpose()
    }

    async fn list_records(&self, kind: &str, scope: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT key, data FROM records WHERE kind = $1 AND scope = $2 AND key > $3 ORDER BY key LIMIT $4",
        )
        .bind(kind)
        .bind(scope)
        .bind(after.unwrap_or(""))
        .bind(self::limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| Ok((row.try_get::<String, _>(0).map_err(backend)?, row.try_get::<String, _>(1).map_err(backend)?)))
            .collect()
    }

    async fn write_records(&self, writes: &[RecordWrite]) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
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
                        return Self::abandon(transaction, StoreError::Conflict(ConflictOn::Key)).await;
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
                    let updated = sqlx::query("UPDATE records SET data = $4 WHERE kind = $1 AND scope = $2 AND key = $3")
                        .bind(*kind)
                        .bind(scope)
                        .bind(key)
                        .bind(data)
                        .execute(transaction.conn())
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    if updated == 0 {
                        return Self::abandon(transaction, StoreError::Conflict(ConflictOn::Absent)).await;
                    }
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
        transaction.commit().await
    }

    async fn purge_expired_records(&self, now_ms: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM records WHERE expires_ms IS NOT NULL AND expires_ms <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected())
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
                let deleted = sqlx::query(statement).bind(cutoff).execute(&self.pool).await.map_err(backend)?.rows_affected();
                removed += deleted;
                if deleted < 1000 {
                    break;
                }
            }
        }
        Ok(removed)
    }

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
            return Self::abandon(transaction, StoreError::Conflict(ConflictOn::Key)).await;
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
        if let (Some(payload), Dialect::Postgres) = (notification, self.dialect) {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(SYNC_CHANNEL)
                .bind(payload)
                .execute(transaction.conn())
                .await
                .map_err(backend)?;
        }
        transaction.commit().await
    }
}
