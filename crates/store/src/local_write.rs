//! `LocalWriter`: the write turn of an SQLite database in this process, and the record writes
//! run on the calling thread over one rusqlite connection.
//!
//! SQLite takes one writer at a time. Every write of the store takes the turn first (an async
//! lock, so waiting writers queue without a thread asleep in SQLite's busy handler): the sqlx
//! transactions hold it from BEGIN to their end, and the record batches (identities, sessions,
//! credentials: the hot writes of the identity and STS paths) run their whole transaction while
//! holding it, on the calling thread, in a few microseconds and no thread hop. Nothing here waits
//! inside SQLite: a database busy with another process's write sends the batch back to the sqlx
//! path, which waits on its own thread. A transaction whose COMMIT or ROLLBACK fails closes its
//! connection, which is opened afresh for the next batch, and the store reports itself unable to
//! write until a commit succeeds again.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};
use tokio::sync::{Mutex, OwnedMutexGuard};

use cognate_domain::store::{StoreError, StoreResult};

use crate::statement::{Param, Step};

/// How long a write waits for its turn before the store answers that it is unavailable.
const TURN_TIMEOUT: Duration = Duration::from_secs(10);
/// Local commits between two checkpoints of the write-ahead log (auto-checkpoints are off on
/// the local connection, so that no request thread copies the log into the database).
const COMMITS_PER_CHECKPOINT: u64 = 500;

/// The connection of the local writer, opened on first use; held by whoever has the turn.
pub(crate) type Turn = OwnedMutexGuard<Option<Connection>>;

pub(crate) struct LocalWriter {
    path: PathBuf,
    extra_pragma: Option<&'static str>,
    connection: Arc<Mutex<Option<Connection>>>,
    commits: AtomicU64,
}

/// What a local batch did.
pub(crate) enum Outcome {
    Done(StoreResult<()>),
    /// Not written (the database was busy with another process): write through the pool.
    Busy,
}

impl LocalWriter {
    pub(crate) fn new(path: PathBuf, extra_pragma: Option<&'static str>) -> LocalWriter {
        LocalWriter { path, extra_pragma, connection: Arc::new(Mutex::new(None)), commits: AtomicU64::new(0) }
    }

    /// Waits for the write turn.
    pub(crate) async fn turn(&self) -> StoreResult<Turn> {
        tokio::time::timeout(TURN_TIMEOUT, self.connection.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for the database's write turn".into()))
    }

    pub(crate) fn connect(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)?;
        connection.busy_timeout(Duration::ZERO)?;
        // As every connection of the store: each commit is synced before it is acknowledged.
        connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;")?;
        if let Some(pragma) = self.extra_pragma {
            connection.execute_batch(pragma)?;
        }
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }

    /// Runs `steps` as one transaction on the connection `turn` holds, on this thread.
    /// `write_failed` is set when the transaction could not end cleanly, cleared by a commit.
    pub(crate) fn write<'a>(&self, turn: &mut Turn, steps: impl Iterator<Item = Step<'a>>, write_failed: &AtomicBool) -> Outcome {
        if turn.is_none() {
            match self.connect() {
                Ok(connection) => **turn = Some(connection),
                Err(error) => {
                    tracing::warn!(%error, "the local write connection could not be opened; writing through the pool");
                    return Outcome::Busy;
                }
            }
        }
        let connection = turn.as_ref().expect("opened above");
        match connection.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => {}
            Err(error) if is_busy(&error) => return Outcome::Busy,
            Err(error) => {
                **turn = None;
                return Outcome::Done(Err(StoreError::Backend(error.to_string())));
            }
        }
        let applied = apply(connection, steps);
        let end = if applied.is_ok() { "COMMIT" } else { "ROLLBACK" };
        match connection.execute_batch(end) {
            Ok(()) if applied.is_ok() => {
                write_failed.store(false, Ordering::Relaxed);
                if self.commits.fetch_add(1, Ordering::Relaxed) % COMMITS_PER_CHECKPOINT == COMMITS_PER_CHECKPOINT - 1 {
                    checkpoint(self.path.clone());
                }
            }
            Ok(()) => {
                // Rolled back: a conflict keeps the connection; anything else closes it, and
                // the store may be unable to write (the next health check probes with a write).
                if !matches!(applied, Err(StoreError::Conflict(_))) {
                    write_failed.store(true, Ordering::Relaxed);
                    **turn = None;
                }
            }
            Err(error) => {
                tracing::error!(%error, statement = end, "a local transaction did not end cleanly; its connection is closed");
                write_failed.store(true, Ordering::Relaxed);
                **turn = None;
                return Outcome::Done(Err(applied.err().unwrap_or(StoreError::Unavailable(error.to_string()))));
            }
        }
        Outcome::Done(applied)
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _) if matches!(failure.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

fn apply<'a>(connection: &Connection, steps: impl Iterator<Item = Step<'a>>) -> StoreResult<()> {
    for step in steps {
        let parameters: Vec<&dyn ToSql> = step
            .params
            .iter()
            .map(|parameter| match parameter {
                Param::Text(text) => text as &dyn ToSql,
                Param::Int(number) => number as &dyn ToSql,
            })
            .collect();
        let mut statement = connection.prepare_cached(&step.sql.replace('$', "?")).map_err(|error| StoreError::Backend(error.to_string()))?;
        let changed = match statement.execute(parameters.as_slice()) {
            Ok(changed) => changed,
            Err(rusqlite::Error::SqliteFailure(failure, _)) if failure.code == ErrorCode::ConstraintViolation && step.duplicate.is_some() => {
                return Err(StoreError::Conflict(step.duplicate.clone().expect("checked")));
            }
            Err(error) => return Err(StoreError::Backend(error.to_string())),
        };
        if changed == 0 {
            if let Some(on) = step.untouched {
                return Err(StoreError::Conflict(on));
            }
        }
    }
    Ok(())
}

/// Copies the write-ahead log into the database on a thread of its own (a passive checkpoint:
/// it never waits for readers or writers).
fn checkpoint(path: PathBuf) {
    std::thread::spawn(move || {
        let outcome = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .and_then(|connection| connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())));
        if let Err(error) = outcome {
            tracing::debug!(%error, "a checkpoint of the write-ahead log did not run");
        }
    });
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use cognate_domain::store::{ClusterStore, RecordStore, RecordWrite};

    use crate::SqlStore;

    fn insert(key: String, data: String) -> RecordWrite {
        RecordWrite::Insert { kind: "identity", scope: "pool".into(), key, data, expires_ms: None }
    }

    /// The record batches run on the local writer: a full database refuses them, the store
    /// reports itself unhealthy, and every batch it acknowledged is there when reopened.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_database_loses_no_acknowledged_record_batch() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/records.db", dir.path().display());
        drop(SqlStore::connect(&url).await.unwrap());
        let store = SqlStore::connect_with_sqlite_pragma(&url, Some("PRAGMA max_page_count = 120")).await.unwrap();
        assert!(store.local_writer.is_some());
        let (mut acknowledged, mut failures) = (Vec::new(), 0);
        for index in 0..2000 {
            let batch = [insert(format!("a{index:05}"), "x".repeat(2000)), insert(format!("b{index:05}"), "y".repeat(2000))];
            match store.write_records(&batch).await {
                Ok(()) => acknowledged.push(index),
                Err(_) => failures += 1,
            }
            if failures >= 40 {
                break;
            }
        }
        assert!(failures >= 40 && !acknowledged.is_empty(), "the database filled up");
        assert!(store.ping().await.is_err(), "a store that cannot write is unhealthy");
        drop(store);
        let reopened = SqlStore::connect(&url).await.unwrap();
        for index in &acknowledged {
            for key in [format!("a{index:05}"), format!("b{index:05}")] {
                assert!(reopened.get_record("identity", "pool", &key, 0).await.unwrap().is_some(), "acknowledged {key} is there");
            }
        }
        assert!(reopened.ping().await.is_ok());
    }

    /// Another process holds the write lock: a record batch does not wait inside SQLite on the
    /// calling thread, it goes to the pool, which waits on its own, and is written once the lock
    /// is released.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_meeting_another_writer_is_written_through_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let store = SqlStore::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        store.write_records(&[insert("first".into(), "1".into())]).await.unwrap();
        let (locked, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let holder = std::thread::spawn(move || {
            let other = rusqlite::Connection::open(&path).unwrap();
            other.execute_batch("BEGIN IMMEDIATE; INSERT INTO cluster_values (name, value) VALUES ('other', 'process');").unwrap();
            locked.0.send(()).unwrap();
            release.1.recv().unwrap();
            other.execute_batch("COMMIT").unwrap();
        });
        locked.1.recv().unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            release.0.send(()).unwrap();
        });
        let started = Instant::now();
        store.write_records(&[insert("second".into(), "2".into())]).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250), "the batch waited for the other writer");
        holder.join().unwrap();
        releaser.join().unwrap();
        assert_eq!(store.get_record("identity", "pool", "second", 0).await.unwrap().as_deref(), Some("2"));
        assert_eq!(store.get_cluster_value("other").await.unwrap().as_deref(), Some("process"));
    }
}
