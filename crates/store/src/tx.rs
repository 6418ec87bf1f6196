//! `Tx`: one transaction on one pooled connection, which goes back to the pool only after a clean
//! COMMIT or ROLLBACK.

use super::*;

/// One transaction on one pooled connection, begun with `BEGIN` (`BEGIN IMMEDIATE` on SQLite,
/// which takes the write lock at once instead of failing later on an upgrade). A connection
/// goes back to the pool only when its transaction ended cleanly: when COMMIT or ROLLBACK
/// fails, or the transaction is dropped unfinished (an error returned mid-way, a cancelled
/// request), the connection is closed, so no later request can run inside a transaction whose
/// fate is unknown and have its writes acknowledged but never committed.
pub(crate) struct Tx {
    pub(crate) connection: Option<PoolConnection<Any>>,
    pub(crate) write_failed: Arc<AtomicBool>,
    /// The write turn on SQLite, released after the connection (fields drop after `drop`).
    pub(crate) _turn: Option<Turn>,
}

impl Tx {
    /// The connection, to run the transaction's statements on.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        self.connection.as_mut().expect("a transaction holds its connection until it ends")
    }

    /// Commits; the write is acknowledged only when this returns Ok.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        self.end("COMMIT").await
    }

    /// Rolls back, for an outcome that changes nothing (a conflict).
    pub(crate) async fn rollback(mut self) -> StoreResult<()> {
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
