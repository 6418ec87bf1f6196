//! Point reads on PostgreSQL over a few connections of their own, for the reads on the token
//! and credentials paths (the refresh context, the config version, a record by its key).
//!
//! Through sqlx's pool a read costs two round trips or three: the pool pings a connection when
//! it takes it back, and one idle for over a second again before it hands it out. A connection
//! here only runs reads, in autocommit, so it is never handed back in the middle of anything: a
//! read that fails or is abandoned drops its connection, and a connection that ran a read to the
//! end is kept for the next. A read that failed on a kept connection (the server may have
//! closed it while it was idle) is tried once more on a new one. Connections are opened as
//! reads need them, up to a bound.

use std::sync::Mutex;
use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection};
use tokio::sync::Semaphore;

use super::statement::Param;
use super::{backend, StoreError, StoreResult, POSTGRES_WAIT};

/// A read, with its wait for a connection and the connection it may have to open, that takes
/// longer fails as the pool's wait for a connection does: the request is answered unavailable
/// rather than after a hang.
const READ_TIMEOUT: Duration = POSTGRES_WAIT;

pub(crate) struct PointReads {
    url: String,
    idle: Mutex<Vec<AnyConnection>>,
    /// A permit per connection open or in use.
    open: Semaphore,
}

impl PointReads {
    pub(crate) fn new(url: &str, connections: usize) -> PointReads {
        PointReads { url: url.to_string(), idle: Mutex::default(), open: Semaphore::new(connections) }
    }

    /// The rows of `statement` with `parameters` bound in order.
    pub(crate) async fn fetch_all(&self, statement: &str, parameters: &[Param<'_>]) -> StoreResult<Vec<AnyRow>> {
        let read = async {
            let _permit = self.open.acquire().await.map_err(|_| StoreError::Unavailable("the reads' connections are closed".into()))?;
            let kept = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
            let had_one = kept.is_some();
            match self.run(kept, statement, parameters).await {
                Err(_) if had_one => self.run(None, statement, parameters).await,
                outcome => outcome,
            }
        };
        tokio::time::timeout(READ_TIMEOUT, read)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable(format!("no answer from the database within {} s", READ_TIMEOUT.as_secs()))))
    }

    async fn run(&self, kept: Option<AnyConnection>, statement: &str, parameters: &[Param<'_>]) -> StoreResult<Vec<AnyRow>> {
        let mut connection = match kept {
            Some(connection) => connection,
            None => AnyConnection::connect(&self.url).await.map_err(backend)?,
        };
        let mut query = sqlx::query(statement);
        for parameter in parameters {
            query = match *parameter {
                Param::Text(text) => query.bind(text),
                Param::Int(number) => query.bind(number),
            };
        }
        let rows = query.fetch_all(&mut connection).await.map_err(backend)?;
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(connection);
        Ok(rows)
    }
}
