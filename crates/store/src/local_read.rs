//! `LocalReads`: short point reads of an SQLite file run on the calling thread, on a few
//! read-only connections of their own.
//!
//! sqlx's SQLite driver runs every statement on a worker thread of its connection and hands the
//! result back over a channel: for the lookups of a token refresh or a credentials call, the two
//! context switches cost more than the read. A lookup by key (a user, a client, a record, the
//! refresh context) is done here instead; writes, transactions and scans stay on the sqlx pool.
//! In WAL mode a reader never waits for a writer, and each statement here runs in a read
//! transaction of its own, so it sees every write committed before it began, as a pooled read
//! would. A read that cannot be done here at once (the database busy while its WAL index is
//! rebuilt, a connection that cannot be opened) is not waited for: the caller falls back to
//! the pool, which waits as it always has.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, Row, ToSql};

/// Connections kept open between reads; more are opened when more reads run at once.
const KEPT: usize = 4;

/// The file of the SQLite database a URL names; None for an in-memory database (a connection
/// of its own would open another, empty one) or a URL sqlx cannot parse.
pub(crate) fn database_file(url: &str) -> Option<PathBuf> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().ok()?;
    Some(options.get_filename().to_path_buf())
}

pub(crate) struct LocalReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl LocalReads {
    pub(crate) fn new(path: PathBuf) -> LocalReads {
        LocalReads { path, idle: Mutex::new(Vec::new()) }
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // Never wait here: a busy database sends the read back to the pool.
        connection.busy_timeout(std::time::Duration::ZERO)?;
        connection.set_prepared_statement_cache_capacity(64);
        Ok(connection)
    }

    /// The rows `statement` (written with `$n` parameters, as for sqlx) returns, each mapped by
    /// `map`; None when the read must be done by the pool instead.
    pub(crate) fn rows<T>(&self, statement: &str, parameters: &[&dyn ToSql], map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>) -> Option<Vec<T>> {
        let taken = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let connection = match taken {
            Some(connection) => connection,
            None => match self.connect() {
                Ok(connection) => connection,
                Err(error) => {
                    tracing::debug!(%error, "a local read connection could not be opened; the pool reads instead");
                    return None;
                }
            },
        };
        let read = Self::run(&connection, statement, parameters, map);
        match read {
            Ok(rows) => {
                let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if idle.len() < KEPT {
                    idle.push(connection);
                }
                Some(rows)
            }
            Err(error) => {
                // The connection is dropped: whatever went wrong stays with it.
                tracing::debug!(%error, "a local read did not complete; the pool reads instead");
                None
            }
        }
    }

    fn run<T>(connection: &Connection, statement: &str, parameters: &[&dyn ToSql], map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>) -> rusqlite::Result<Vec<T>> {
        // `$n` is a named parameter to SQLite (numbered by first use); `?n` is parameter n.
        let mut prepared = connection.prepare_cached(&statement.replace('$', "?"))?;
        let rows = prepared.query_map(parameters, map)?;
        rows.collect()
    }

    /// The first row's text column 0 (`Some(None)` when there is no row).
    pub(crate) fn text(&self, statement: &str, parameters: &[&dyn ToSql]) -> Option<Option<String>> {
        self.rows(statement, parameters, |row| row.get::<_, String>(0)).map(|rows| rows.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::database_file;
    use crate::SqlStore;
    use cognate_domain::store::ClusterStore;

    #[test]
    fn in_memory_databases_read_through_the_pool() {
        assert!(database_file("sqlite::memory:").is_none());
        assert!(database_file("sqlite://?mode=memory").is_none());
        assert_eq!(database_file("sqlite:///tmp/cognate/cognate.db?mode=rwc"), Some("/tmp/cognate/cognate.db".into()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn local_reads_see_every_committed_write_and_never_wait_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::connect(&format!("sqlite://{}/local.db", dir.path().display())).await.unwrap();
        let local = store.local.clone().expect("a database file is read on the calling thread");
        // `$n` is parameter n wherever it first appears.
        let swapped = local.rows("SELECT $2 || $1", &[&"a", &"b"], |row| row.get::<_, String>(0));
        assert_eq!(swapped, Some(vec!["ba".to_string()]));
        for round in 0..20 {
            let name = format!("value-{round}");
            store.insert_cluster_value_if_absent(&name, "written").await.unwrap();
            let seen = local.text("SELECT value FROM cluster_values WHERE name = $1", &[&name]);
            assert_eq!(seen, Some(Some("written".to_string())), "round {round}: the read ran locally and saw the commit");
        }
        // A writer holds the write lock: a local read still answers at once, with what was
        // committed before the writer began.
        let mut transaction = store.begin().await.unwrap();
        sqlx::query("UPDATE cluster_values SET value = 'uncommitted' WHERE name = 'value-0'").execute(transaction.conn()).await.unwrap();
        let seen = local.text("SELECT value FROM cluster_values WHERE name = $1", &[&"value-0"]);
        assert_eq!(seen, Some(Some("written".to_string())));
        transaction.rollback().await.unwrap();
    }
}
