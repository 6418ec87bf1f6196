//! A full SQLite database (`PRAGMA max_page_count` on every connection) must never lead to a
//! write that was acknowledged and then is not there: after failed writes, every write the
//! store acknowledged — before the failures, during them and after space came back — is found
//! when the database is opened again, and the store reports itself unhealthy while it cannot
//! write. And every connection that writes syncs each commit (`synchronous = FULL`), so that
//! an acknowledged write also outlives a power loss. A PostgreSQL connection the server closed
//! while it sat in the pool is never handed out.

use cognate_domain::store::{ClusterStore, PoolStore, UserRecord, UserStore};
use cognate_domain::user_pool::{Attribute, User, UserStatus};

use crate::SqlStore;

fn big_user(pool_id: &str, index: usize) -> UserRecord {
    let username = format!("user{index:04}");
    let attributes = vec![Attribute { name: "custom:blob".into(), value: format!("{index:04}").repeat(500) }];
    let user = User::new(pool_id, username.clone(), format!("sub-{username}"), attributes, UserStatus::Confirmed, 1);
    UserRecord { username_key: username.clone(), search: vec![("username".into(), username)], aliases: vec![], user }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_store_loses_no_acknowledged_write() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cognate.db", directory.path().display());
    let pool_id = "us-east-1_full";
    {
        let store = SqlStore::connect(&url).await.unwrap();
        store.insert_user_pool(&crate::conformance::pool(pool_id)).await.unwrap();
    }
    let store = SqlStore::connect_with_sqlite_pragma(&url, Some("PRAGMA max_page_count = 120")).await.unwrap();
    let mut acknowledged = Vec::new();
    let mut failures = 0;
    let mut next = 0;
    // Fill the database until writes fail, and keep writing for a while.
    while failures < 40 && next < 2000 {
        match store.insert_user(&big_user(pool_id, next)).await {
            Ok(()) => acknowledged.push(next),
            Err(_) => failures += 1,
        }
        next += 1;
    }
    assert!(failures >= 40, "the database filled up");
    assert!(store.ping().await.is_err(), "a store that cannot write is unhealthy");
    // Space comes back: some users are deleted, and writing goes on.
    let mut deleted = Vec::new();
    for index in acknowledged.iter().copied().take(10) {
        assert!(store.delete_user(pool_id, &format!("user{index:04}")).await.unwrap());
        deleted.push(index);
    }
    acknowledged.retain(|index| !deleted.contains(index));
    let mut acknowledged_after = 0;
    for _ in 0..40 {
        if store.insert_user(&big_user(pool_id, next)).await.is_ok() {
            acknowledged.push(next);
            acknowledged_after += 1;
        }
        next += 1;
    }
    assert!(acknowledged_after > 0, "writes go through once there is room again");
    drop(store);

    let reopened = SqlStore::connect(&url).await.unwrap();
    let mut lost = Vec::new();
    for index in &acknowledged {
        if reopened.get_user(pool_id, &format!("user{index:04}")).await.unwrap().is_none() {
            lost.push(*index);
        }
    }
    assert!(lost.is_empty(), "{} of {} acknowledged writes lost: {lost:?}", lost.len(), acknowledged.len());
    for index in &deleted {
        assert!(reopened.get_user(pool_id, &format!("user{index:04}")).await.unwrap().is_none(), "an acknowledged delete holds");
    }
    assert!(reopened.ping().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sqlite_connection_that_writes_syncs_each_commit() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cognate.db", directory.path().display());
    let store = SqlStore::connect(&url).await.unwrap();
    // 2 is FULL (1 NORMAL, 0 OFF).
    for pool in [&store.pool, &store.writer] {
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.unwrap();
        assert_eq!(level, 2);
    }
    let writer = store.local_writer.as_ref().expect("a local writer on a file");
    let mut turn = writer.turn().await.unwrap();
    *turn = Some(writer.connect().unwrap());
    let level: i64 = turn.as_ref().unwrap().query_row("PRAGMA synchronous", [], |row| row.get(0)).unwrap();
    assert_eq!(level, 2);
}

/// The pool pings only connections idle for over a second before handing them out: those the
/// server closed meanwhile (a restart, an idle timeout in between) fail the ping and are
/// replaced, so no query meets a dead connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_connection_closed_while_idle_is_replaced_before_use() {
    use sqlx::Connection;
    let url = crate::testing::fresh_postgres_database().await;
    let store = SqlStore::connect(&url).await.unwrap();
    for _ in 0..4 {
        store.list_app_clients("us-east-1_none", None, 10).await.unwrap();
    }
    let mut admin = sqlx::AnyConnection::connect(&url).await.unwrap();
    let closed = sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert!(!closed.is_empty(), "the pool's connections were open");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for round in 0..8 {
        let listed = store.list_app_clients("us-east-1_none", None, 10).await;
        assert!(listed.is_ok(), "round {round}: {listed:?}");
    }
}
