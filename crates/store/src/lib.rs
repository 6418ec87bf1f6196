#![forbid(unsafe_code)]
//! cognate's storage: one SQL implementation of the domain's `Store` traits (one file per trait) that runs on SQLite
//! (the embedded default) and PostgreSQL (shared by the nodes of a cluster). The two dialects
//! differ only in their migrations; every query is written once in the SQL both accept.

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod durability;
mod cluster;
mod groups;
mod local_read;
mod local_write;
mod migrate;
mod migrations;
mod outbox;
mod point_read;
mod pools;
mod probe;
mod records;
mod statement;
mod sync;
mod tokens;
pub mod transfer;
mod tx;
mod users;
mod version_read;
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
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row};

use cognate_domain::store::{
    ClusterStore, GroupStore, OutboxStore, PoolStore, RecordStore, SyncStore, TokenStore, UserStore,
    ConflictOn, PurgeCutoffs, RecordWrite, RefreshContext, StoreError, StoreResult, UserCursor, UserQuery, UserRecord, ValueMatch,
};
use cognate_domain::sync::{DatasetRecord, SyncRecord};
use cognate_domain::tokens::SigningKeyRecord;
use cognate_domain::user_pool::{AppClient, AuthSessionRecord, Group, OutboxMessage, RefreshTokenRecord, User, UserPool};

pub use migrations::MIGRATIONS;
pub use probe::probe;

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

pub use sync::{SyncListener, SYNC_CHANNEL};

#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// Where every write runs: the same pool on PostgreSQL; on SQLite, one connection of its
    /// own (SQLite takes one writer at a time, and writers queued here wait their turn without
    /// the busy handler's sleeps, which cost a contended write tens of milliseconds).
    writer: AnyPool,
    dialect: Dialect,
    /// Point reads on the calling thread, for an SQLite file (see [`local_read`]).
    local: Option<Arc<LocalReads>>,
    /// The write turn and the record batches on the calling thread, for an SQLite file (see
    /// [`local_write`]).
    local_writer: Option<Arc<LocalWriter>>,
    /// Set when a transaction could not be committed or rolled back (a full disk, a lost
    /// server), cleared by the next commit that succeeds: `/health` reports such a store
    /// unavailable until a write goes through again.
    write_failed: Arc<AtomicBool>,
    /// On PostgreSQL, the point reads of the token paths (see [`point_read`]) and the
    /// configuration version's reads over them (see [`version_read`]).
    point_reads: Option<Arc<point_read::PointReads>>,
    version_reads: Option<Arc<version_read::VersionReads>>,
}

use local_read::LocalReads;
use local_write::{LocalWriter, Turn};
use tx::Tx;

/// PostgreSQL connections a node keeps for the point reads of the token paths, beside its pool.
const POINT_READ_CONNECTIONS: usize = 8;
/// How long a request waits on PostgreSQL for a connection (the pool's) or a point read before
/// it is answered unavailable.
const POSTGRES_WAIT: Duration = Duration::from_secs(3);
/// A pooled connection idle for less than this is handed out without a ping of its own: it
/// answered the ping that put it back in the pool (see [`SqlStore::connect`]).
const RECENTLY_SEEN_ALIVE: Duration = Duration::from_secs(1);

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
    decode_text(&text, column)
}

fn decode_text<T: DeserializeOwned>(text: &str, column: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|error| StoreError::Backend(format!("decoding a stored {column}: {error}")))
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
        let options = |max_connections| AnyPoolOptions::new()
            .max_connections(max_connections)
            // A PostgreSQL outage answers requests within seconds, not after a long hang; SQLite
            // waits longer (its connections are only ever busy, never unreachable).
            .acquire_timeout(match dialect {
                Dialect::Sqlite => Duration::from_secs(10),
                Dialect::Postgres => POSTGRES_WAIT,
            })
            // A connection is pinged when it goes back to the pool (sqlx always does that), so
            // one handed out again within a second was seen alive a moment ago: only one idle for
            // longer is pinged before it is handed out, and one that fails is replaced. A busy
            // server's queries then cost one round trip less, and after an outage no dead
            // connection is handed out.
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= RECENTLY_SEEN_ALIVE {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |connection, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // FULL: in WAL mode every commit syncs the log before it returns, so a
                        // write acknowledged is one that survives a power loss (NORMAL would
                        // only survive a crash of this process).
                        connection
                            .execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;")
                            .await?;
                        if let Some(pragma) = extra_pragma {
                            connection.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            });
        let _ = sqlx::any::AnyConnectOptions::from_str(&url).map_err(backend)?;
        let (pool, writer) = match dialect {
            Dialect::Sqlite => (options(4).connect(&url).await.map_err(backend)?, options(1).connect(&url).await.map_err(backend)?),
            Dialect::Postgres => {
                let pool = options(16).connect(&url).await.map_err(backend)?;
                (pool.clone(), pool)
            }
        };
        let file = match dialect {
            Dialect::Sqlite => local_read::database_file(&url),
            Dialect::Postgres => None,
        };
        let local = file.clone().map(|file| Arc::new(LocalReads::new(file)));
        let local_writer = file.map(|file| Arc::new(LocalWriter::new(file, extra_pragma)));
        let point_reads = (dialect == Dialect::Postgres).then(|| Arc::new(point_read::PointReads::new(&url, POINT_READ_CONNECTIONS)));
        let version_reads = point_reads.clone().map(version_read::VersionReads::new);
        let store = SqlStore { pool, writer, dialect, local, local_writer, write_failed: Arc::new(AtomicBool::new(false)), point_reads, version_reads };
        store.migrate().await?;
        Ok(store)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// This store with every read going through the pool (the benchmarks measure the two
    /// read paths side by side).
    #[doc(hidden)]
    pub fn without_local_reads(&self) -> SqlStore {
        SqlStore { local: None, ..self.clone() }
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
    /// Ends a transaction by its outcome: COMMIT when every statement applied, ROLLBACK on a
    /// conflict (nothing was written), and on any other error the connection is closed with the
    /// transaction unfinished (see [`Tx`]).
    async fn finish(transaction: Tx, applied: StoreResult<()>) -> StoreResult<()> {
        match applied {
            Ok(()) => transaction.commit().await,
            Err(error @ StoreError::Conflict(_)) => Self::abandon(transaction, error).await,
            Err(error) => Err(error),
        }
    }

    async fn begin(&self) -> StoreResult<Tx> {
        let turn = self.turn().await?;
        let mut connection = self.writer.acquire().await.map_err(backend)?;
        let statement = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        if let Err(error) = connection.execute(statement).await {
            connection.close_on_drop();
            return Err(backend(error));
        }
        Ok(Tx { connection: Some(connection), write_failed: self.write_failed.clone(), _turn: turn })
    }

    /// The write turn of an SQLite database (see [`local_write`]); PostgreSQL has no turn.
    async fn turn(&self) -> StoreResult<Option<Turn>> {
        match &self.local_writer {
            Some(writer) => writer.turn().await.map(Some),
            None => Ok(None),
        }
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
        let _turn = self.turn().await?;
        match query.bind(data).execute(&self.writer).await {
            Ok(_) => Ok(()),
            Err(error) if is_unique_violation(&error) => Err(StoreError::Conflict(ConflictOn::Key)),
            Err(error) => Err(backend(error)),
        }
    }

    /// The `data` document of the first row a query with string parameters returns.
    async fn fetch_document<T: DeserializeOwned>(&self, statement: &str, parameters: &[&str]) -> StoreResult<Option<T>> {
        if let Some(local) = &self.local {
            let bound: Vec<&dyn rusqlite::ToSql> = parameters.iter().map(|parameter| parameter as &dyn rusqlite::ToSql).collect();
            if let Some(found) = local.text(statement, &bound) {
                return found.map(|text| decode_text(&text, "data")).transpose();
            }
        }
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
        let _turn = self.turn().await?;
        let result = query.execute(&self.writer).await.map_err(backend)?;
        Ok(result.rows_affected() > 0)
    }
}

