//! The configuration version on PostgreSQL, shared by the requests that wait for the same read.
//!
//! Token requests that find their pool, client and keys in memory ask only this one number of
//! the database, so its cost is theirs: it is read over [`PointReads`] (one round trip). A
//! request may use only a read that began after the request asked, so that a change committed on
//! any node before the request arrived is seen: while a read is under way, those who ask wait
//! for the next one, which starts as soon as it ends and answers all of them at once. The read
//! runs in a task of its own, so a request that gives up cannot leave the others waiting.

use std::sync::{Arc, Mutex};

use sqlx::Row;
use tokio::sync::watch;

use super::point_read::PointReads;
use super::{backend, StoreError, StoreResult};

const STATEMENT: &str = "SELECT version FROM config_version WHERE id = 1";

/// What a read answered: the read's number and its outcome. Errors keep their kind
/// (unavailable or not) and their text.
#[derive(Clone)]
struct Answer {
    read: u64,
    outcome: Result<i64, (bool, String)>,
}

#[derive(Default)]
struct Turns {
    /// Reads begun so far; the one under way, if any, is number `begun`.
    begun: u64,
    under_way: bool,
    /// Someone asked while a read was under way: begin another when it ends.
    another: bool,
}

pub(crate) struct VersionReads {
    reads: Arc<PointReads>,
    turns: Mutex<Turns>,
    answers: watch::Sender<Answer>,
}

impl VersionReads {
    pub(crate) fn new(reads: Arc<PointReads>) -> Arc<VersionReads> {
        let (answers, _) = watch::channel(Answer { read: 0, outcome: Err((true, "no read yet".into())) });
        Arc::new(VersionReads { reads, turns: Mutex::default(), answers })
    }

    /// The version as committed when a read that began after this call ran.
    pub(crate) async fn version(self: &Arc<Self>) -> StoreResult<i64> {
        let mut answers = self.answers.subscribe();
        let wanted = {
            let mut turns = self.turns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if turns.under_way {
                turns.another = true;
                turns.begun + 1
            } else {
                turns.begun += 1;
                turns.under_way = true;
                tokio::spawn(self.clone().read_while_asked());
                turns.begun
            }
        };
        loop {
            {
                let answer = answers.borrow_and_update();
                if answer.read >= wanted {
                    return answer.outcome.clone().map_err(|(unavailable, detail)| match unavailable {
                        true => StoreError::Unavailable(detail),
                        false => StoreError::Backend(detail),
                    });
                }
            }
            // The sender lives as long as `self`.
            let _ = answers.changed().await;
        }
    }

    /// Reads, and reads again while someone asked during the last read.
    async fn read_while_asked(self: Arc<Self>) {
        let unfinished = Unfinished(&self);
        loop {
            let read = self.turns.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).begun;
            let outcome = self.read_once().await;
            self.answers.send_replace(Answer { read, outcome });
            let mut turns = self.turns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !turns.another {
                turns.under_way = false;
                std::mem::forget(unfinished);
                return;
            }
            turns.another = false;
            turns.begun += 1;
        }
    }

    async fn read_once(&self) -> Result<i64, (bool, String)> {
        let rows = self.reads.fetch_all(STATEMENT, &[]).await.map_err(kind)?;
        let row = rows.first().ok_or_else(|| (false, "no config version row".to_string()))?;
        row.try_get::<i64, _>("version").map_err(|error| kind(backend(error)))
    }
}

/// Dropped only when the reading task stops before its reads are answered (its runtime shut
/// down): those waiting are answered with an error and the next caller begins a new read, rather
/// than everyone waiting for a read that will never end.
struct Unfinished<'a>(&'a VersionReads);

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        let mut turns = self.0.turns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Both the read under way and the one asked for after it are answered.
        turns.begun += 1;
        turns.under_way = false;
        turns.another = false;
        self.0.answers.send_replace(Answer { read: turns.begun, outcome: Err((true, "the configuration version's read was abandoned".into())) });
    }
}

fn kind(error: StoreError) -> (bool, String) {
    match error {
        StoreError::Unavailable(detail) => (true, detail),
        StoreError::Backend(detail) => (false, detail),
        other => (false, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use cognate_domain::store::PoolStore;

    use crate::SqlStore;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_read_sees_what_was_committed_before_it_asked_and_outlives_its_connection() {
        let store = SqlStore::connect(&crate::testing::fresh_postgres_database().await).await.unwrap();
        // Writers raise the version while readers ask, all at once: whoever raised it to `n`
        // and then asks must read at least `n`, however the reads are shared.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..40 {
                    let raised: i64 = sqlx::query_scalar("UPDATE config_version SET version = version + 1 WHERE id = 1 RETURNING version")
                        .fetch_one(&store.pool)
                        .await
                        .unwrap();
                    let read = store.config_version().await.unwrap();
                    assert!(read >= raised, "read {read} after committing {raised}");
                }
            }));
        }
        for _ in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..200 {
                    store.config_version().await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let last: i64 = sqlx::query_scalar("SELECT version AS last FROM config_version WHERE id = 1").fetch_one(&store.pool).await.unwrap();
        assert_eq!(store.config_version().await.unwrap(), last);

        // The server closes the reads' connection: the next read opens another and answers.
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT version FROM config_version WHERE id = 1' AND pid <> pg_backend_pid()",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap();
        assert_eq!(ended, vec![true], "one connection reads the version");
        sqlx::query("UPDATE config_version SET version = version + 1 WHERE id = 1").execute(&store.pool).await.unwrap();
        assert_eq!(store.config_version().await.unwrap(), last + 1);
    }
}
