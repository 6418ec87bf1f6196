//! `LocalWriter`: the write turn of an SQLite database in this process, and the record writes
//! run on the calling thread over one rusqlite connection.
//!
//! SQLite takes one writer at a time. Every write of the store takes the turn first (an async
//! lock, so waiting writers queue without a thread asleep in SQLite's busy handler): the sqlx
//! transactions hold it from BEGIN to their end, and the record batches (identities, sessions,
//! credentials: the hot writes of the identity and STS paths) run their whole transaction while
//! holding it, on the calling thread, in a few microseconds and no thread hop. Record batches
//! that arrive while another is being written queue, and the next one to get the turn commits
//! all of them as one transaction (each in a savepoint, so each stays atomic and conflicts
//! alone): one sync of the log per group, not per batch. Nothing here waits
//! inside SQLite: a database busy with another process's write sends the batch back to the sqlx
//! path, which waits on its own thread. A transaction whose COMMIT or ROLLBACK fails closes its
//! connection, which is opened afresh for the next batch, and the store reports itself unable to
//! write until a commit succeeds again.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use cognate_domain::store::{RecordWrite, StoreError, StoreResult};

use crate::statement::{steps, Param, Step};

/// How long a write waits for its turn before the store answers that it is unavailable.
const TURN_TIMEOUT: Duration = Duration::from_secs(10);
/// Batches written locally between two checkpoints of the write-ahead log (auto-checkpoints
/// are off on the local connection, so that no request thread copies the log into the
/// database).
const BATCHES_PER_CHECKPOINT: u64 = 50;
/// How long a checkpoint waits for the readers still on the log (writers wait meanwhile); a
/// long read (an export) makes it give up, and the next one tries again.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(250);
/// The size the write-ahead log's file is cut back to once the log begins again.
const LOG_SIZE_LIMIT: u64 = 32 << 20;
/// The most record batches one group commit takes.
const MAX_GROUP: usize = 64;

/// The connection of the local writer, opened on first use; held by whoever has the turn.
pub(crate) type Turn = OwnedMutexGuard<Option<Connection>>;

pub(crate) struct LocalWriter {
    path: PathBuf,
    extra_pragma: Option<&'static str>,
    connection: Arc<Mutex<Option<Connection>>>,
    commits: AtomicU64,
    /// Record batches written locally.
    written: AtomicU64,
    /// The batches waiting for the next group commit.
    queue: std::sync::Mutex<Vec<Queued>>,
    next_batch: AtomicU64,
}

/// A record batch waiting for the next group, and where its outcome goes.
struct Queued {
    id: u64,
    writes: Vec<RecordWrite>,
    answer: oneshot::Sender<Outcome>,
}

/// What a local batch did.
pub(crate) enum Outcome {
    Done(StoreResult<()>),
    /// Not written (the database was busy with another process): write through the pool.
    Busy,
}

impl LocalWriter {
    pub(crate) fn new(path: PathBuf, extra_pragma: Option<&'static str>) -> LocalWriter {
        LocalWriter {
            path,
            extra_pragma,
            connection: Arc::new(Mutex::new(None)),
            commits: AtomicU64::new(0),
            written: AtomicU64::new(0),
            queue: std::sync::Mutex::new(Vec::new()),
            next_batch: AtomicU64::new(0),
        }
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
        connection.execute_batch(&format!("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {LOG_SIZE_LIMIT};"))?;
        if let Some(pragma) = self.extra_pragma {
            connection.execute_batch(pragma)?;
        }
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }

    /// Writes `writes` as one atomic batch, committed together with the batches other tasks
    /// queued meanwhile: whoever gets the write turn takes every queued batch (up to
    /// [`MAX_GROUP`]) and runs them as one transaction, each batch in a savepoint of its own, so
    /// that the group is synced once. A batch is answered only after the group's COMMIT.
    pub(crate) async fn write_batch(&self, writes: &[RecordWrite], write_failed: &AtomicBool) -> StoreResult<Outcome> {
        let id = self.next_batch.fetch_add(1, Ordering::Relaxed);
        let (answer, mut outcome) = oneshot::channel();
        self.queue.lock().expect("the queue's lock").push(Queued { id, writes: writes.to_vec(), answer });
        let turn = tokio::select! {
            biased;
            answered = &mut outcome => return Ok(answered.unwrap_or(Outcome::Busy)),
            turn = self.turn() => turn,
        };
        match turn {
            Ok(mut turn) => {
                let group = {
                    let mut queue = self.queue.lock().expect("the queue's lock");
                    // This batch goes in the group it writes: every batch left queued then has
                    // its caller waiting for the turn, to write it.
                    if let Some(position) = queue.iter().position(|queued| queued.id == id).filter(|position| *position >= MAX_GROUP) {
                        queue.swap(position, MAX_GROUP - 1);
                    }
                    let taken = queue.len().min(MAX_GROUP);
                    queue.drain(..taken).collect::<Vec<_>>()
                };
                if !group.is_empty() && self.write_group(&mut turn, group, write_failed) {
                    // The turn goes with the checkpoint, and comes back when it ends.
                    tokio::task::spawn_blocking(move || checkpoint(turn));
                }
            }
            Err(error) => {
                // No turn in time: withdrawn, unless a group has taken it, whose answer comes.
                let mut queue = self.queue.lock().expect("the queue's lock");
                if let Some(position) = queue.iter().position(|queued| queued.id == id) {
                    queue.remove(position);
                    return Err(error);
                }
            }
        }
        // Answered by now, or being answered by the group that took it, which holds the turn.
        Ok(outcome.await.unwrap_or(Outcome::Busy))
    }

    /// Runs a group of batches as one transaction on the connection `turn` holds, on this
    /// thread, and answers each. `write_failed` is set when the transaction could not end
    /// cleanly, cleared by a commit. True when the log is due a checkpoint.
    fn write_group(&self, turn: &mut Turn, group: Vec<Queued>, write_failed: &AtomicBool) -> bool {
        let outcomes = self.commit_group(turn, &group, write_failed);
        let mut written = 0;
        for (queued, outcome) in group.into_iter().zip(outcomes) {
            written += matches!(outcome, Outcome::Done(Ok(()))) as u64;
            // A batch whose caller has gone is written all the same; no one waits for its answer.
            let _ = queued.answer.send(outcome);
        }
        let before = self.written.fetch_add(written, Ordering::Relaxed);
        before / BATCHES_PER_CHECKPOINT != (before + written) / BATCHES_PER_CHECKPOINT
    }

    fn commit_group(&self, turn: &mut Turn, group: &[Queued], write_failed: &AtomicBool) -> Vec<Outcome> {
        let busy = || group.iter().map(|_| Outcome::Busy).collect();
        if turn.is_none() {
            match self.connect() {
                Ok(connection) => **turn = Some(connection),
                Err(error) => {
                    tracing::warn!(%error, "the local write connection could not be opened; writing through the pool");
                    return busy();
                }
            }
        }
        let connection = turn.as_ref().expect("opened above");
        match connection.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => {}
            Err(error) if is_busy(&error) => return busy(),
            Err(error) => {
                **turn = None;
                return group.iter().map(|_| Outcome::Done(Err(StoreError::Backend(error.to_string())))).collect();
            }
        }
        let mut applied = Vec::with_capacity(group.len());
        for (index, queued) in group.iter().enumerate() {
            match apply_in_savepoint(connection, &queued.writes) {
                Ok(result) => applied.push(result),
                Err(error) => {
                    // Neither a success nor a conflict: the whole transaction is rolled back and
                    // its connection closed; this batch has its error, the others go to the pool.
                    tracing::warn!(%error, "a local write failed; its group is rolled back");
                    if let Err(error) = connection.execute_batch("ROLLBACK") {
                        tracing::error!(%error, "a local transaction did not roll back; its connection is closed");
                    }
                    write_failed.store(true, Ordering::Relaxed);
                    **turn = None;
                    let mut outcomes: Vec<Outcome> = busy();
                    outcomes[index] = Outcome::Done(Err(error));
                    return outcomes;
                }
            }
        }
        match connection.execute_batch("COMMIT") {
            Ok(()) => {
                write_failed.store(false, Ordering::Relaxed);
                self.commits.fetch_add(1, Ordering::Relaxed);
                applied.into_iter().map(Outcome::Done).collect()
            }
            Err(error) => {
                tracing::error!(%error, "a local transaction did not commit; its connection is closed");
                write_failed.store(true, Ordering::Relaxed);
                **turn = None;
                group.iter().map(|_| Outcome::Done(Err(StoreError::Unavailable(error.to_string())))).collect()
            }
        }
    }
}

/// Applies one batch inside a savepoint of the group's transaction: `Ok(Ok(()))` when it is
/// applied, `Ok(Err(Conflict))` when it conflicts (its savepoint rolled back, the group goes
/// on), `Err` for any other failure, which ends the group.
fn apply_in_savepoint(connection: &Connection, writes: &[RecordWrite]) -> StoreResult<StoreResult<()>> {
    let backend = |error: rusqlite::Error| StoreError::Backend(error.to_string());
    connection.execute_batch("SAVEPOINT batch").map_err(backend)?;
    match apply(connection, writes.iter().flat_map(steps)) {
        Ok(()) => {
            connection.execute_batch("RELEASE batch").map_err(backend)?;
            Ok(Ok(()))
        }
        Err(StoreError::Conflict(on)) => {
            connection.execute_batch("ROLLBACK TO batch; RELEASE batch").map_err(backend)?;
            Ok(Err(StoreError::Conflict(on)))
        }
        Err(other) => Err(other),
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

/// Copies the write-ahead log into the database and has the log begun again from its start,
/// on the local writer's connection while its turn is held (so no writer of this process
/// competes for the database's write lock), on a blocking thread. A passive checkpoint would
/// never let the log begin again while reads and writes never pause (each one ends behind the
/// commits made meanwhile, and a reader is always on the log), so the log would grow without
/// end. This one (RESTART) copies every frame, waits for the readers still on the log (a point
/// read ends in microseconds) and lets the next commit write from the log's start; the file is
/// cut back to [`LOG_SIZE_LIMIT`] when it does.
fn checkpoint(turn: Turn) {
    let Some(connection) = turn.as_ref() else { return };
    let outcome = connection
        .busy_timeout(CHECKPOINT_WAIT)
        .and_then(|()| connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| row.get::<_, i64>(0)));
    match outcome {
        Ok(0) => {}
        Ok(_) => tracing::debug!("a checkpoint of the write-ahead log met a busy database; the next one tries again"),
        Err(error) => tracing::warn!(%error, "a checkpoint of the write-ahead log did not run"),
    }
    if let Err(error) = connection.busy_timeout(Duration::ZERO) {
        tracing::warn!(%error, "the local write connection's busy timeout could not be reset");
    }
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
        let store = std::sync::Arc::new(store);
        let (mut acknowledged, mut failures) = (Vec::new(), 0);
        // Eight at a time, so that batches are grouped and a failing one ends a group.
        for round in 0..250 {
            let writes: Vec<_> = (round * 8..round * 8 + 8)
                .map(|index| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let batch = [insert(format!("a{index:05}"), "x".repeat(2000)), insert(format!("b{index:05}"), "y".repeat(2000))];
                        (index, store.write_records(&batch).await)
                    })
                })
                .collect();
            for write in writes {
                match write.await.unwrap() {
                    (index, Ok(())) => acknowledged.push(index),
                    (_, Err(_)) => failures += 1,
                }
            }
            if failures >= 40 {
                break;
            }
        }
        assert!(failures >= 40 && !acknowledged.is_empty(), "the database filled up");
        assert!(store.ping().await.is_err(), "a store that cannot write is unhealthy");
        drop(std::sync::Arc::into_inner(store).unwrap());
        let reopened = SqlStore::connect(&url).await.unwrap();
        for index in &acknowledged {
            for key in [format!("a{index:05}"), format!("b{index:05}")] {
                assert!(reopened.get_record("identity", "pool", &key, 0).await.unwrap().is_some(), "acknowledged {key} is there");
            }
        }
        assert!(reopened.ping().await.is_ok());
    }

    /// Batches that queue while a group is being written are written together: one commit for
    /// each group of up to 64 of them, each batch still atomic and answered on its own (a
    /// conflicting batch fails alone, and neither takes nor spoils the others' writes).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_batches_commit_as_one_group_each_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SqlStore::connect(&format!("sqlite://{}/group.db", dir.path().display())).await.unwrap());
        store.write_records(&[insert("taken".into(), "first".into())]).await.unwrap();
        let writer = store.local_writer.clone().unwrap();
        let held = writer.turn().await.unwrap();
        let commits_before = writer.commits.load(std::sync::atomic::Ordering::Relaxed);
        let mut tasks = Vec::new();
        for index in 0..100 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                // Every fourth batch also inserts the taken key: all of it must be refused.
                let mut batch = vec![insert(format!("k{index:03}"), index.to_string())];
                if index % 4 == 0 {
                    batch.push(insert("taken".into(), "again".into()));
                }
                store.write_records(&batch).await
            }));
        }
        while writer.queue.lock().unwrap().len() < 100 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(held);
        for (index, task) in tasks.into_iter().enumerate() {
            let outcome = task.await.unwrap();
            let stored = store.get_record("identity", "pool", &format!("k{index:03}"), 0).await.unwrap();
            if index % 4 == 0 {
                assert!(matches!(outcome, Err(cognate_domain::store::StoreError::Conflict(_))), "{outcome:?}");
                assert_eq!(stored, None, "a refused batch wrote nothing");
            } else {
                outcome.unwrap();
                assert_eq!(stored, Some(index.to_string()));
            }
        }
        assert_eq!(store.get_record("identity", "pool", "taken", 0).await.unwrap().as_deref(), Some("first"));
        assert_eq!(writer.commits.load(std::sync::atomic::Ordering::Relaxed) - commits_before, 2, "one commit for each group of 64");
    }

    /// Under writes that never pause and reads that never pause, the write-ahead log is still
    /// copied back and begun again: it stays bounded instead of growing with every commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_stays_bounded_under_constant_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SqlStore::connect(&format!("sqlite://{}/busy.db", dir.path().display())).await.unwrap());
        store.write_records(&[insert("read".into(), "r".into())]).await.unwrap();
        let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let mut readers = Vec::new();
        for _ in 0..2 {
            let (store, reading) = (store.clone(), reading.clone());
            readers.push(tokio::spawn(async move {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    store.get_record("identity", "pool", "read", 0).await.unwrap();
                    tokio::task::yield_now().await;
                }
            }));
        }
        let mut writers = Vec::new();
        for writer in 0..4 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                for index in 0..1500 {
                    store.write_records(&[insert(format!("w{writer}-{index:05}"), "x".repeat(3000))]).await.unwrap();
                }
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
        reading.store(false, std::sync::atomic::Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap();
        }
        // 6,000 commits of a 3 KB record write well over 40 MB of log; begun again every few
        // hundred commits, it stays a fraction of that.
        let log = std::fs::metadata(dir.path().join("busy.db-wal")).unwrap().len();
        assert!(log < 16 << 20, "the write-ahead log is {log} bytes");
        assert_eq!(store.get_record("identity", "pool", "w3-01499", 0).await.unwrap().map(|data| data.len()), Some(3000));
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
