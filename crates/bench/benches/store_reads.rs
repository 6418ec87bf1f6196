//! SQLite point reads through the sqlx pool (every statement handed to the connection's worker
//! thread and back) beside the same reads on the calling thread (`local_read`), in one run, on
//! one store of 10,000 users: a user by key, the config version, and eight user reads at once.
//!
//! `cargo bench -p cognate-bench --bench store_reads`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;

use cognate_bench::seed_pool;
use cognate_domain::store::{PoolStore, Store, UserStore};
use cognate_store::SqlStore;

const USERS: usize = 10_000;

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let local = runtime.block_on(SqlStore::connect(&url)).unwrap();
    let seeded = runtime.block_on(seed_pool(Arc::new(local.clone()) as Arc<dyn Store>, USERS, 8));
    let pool_id = seeded.pool_id.to_string();
    let mut group = criterion.benchmark_group("sqlite_reads");
    group.measurement_time(Duration::from_secs(5)).sample_size(50);
    for (path, store) in [("pool", local.without_local_reads()), ("calling_thread", local.clone())] {
        let next = AtomicUsize::new(0);
        group.bench_function(format!("get_user/{path}"), |bencher| {
            bencher.to_async(&runtime).iter(|| {
                let username = format!("user{:07}", next.fetch_add(7919, Ordering::Relaxed) % USERS);
                let (store, pool_id) = (&store, &pool_id);
                async move { assert!(store.get_user(pool_id, &username).await.unwrap().is_some()) }
            })
        });
        group.bench_function(format!("config_version/{path}"), |bencher| {
            bencher.to_async(&runtime).iter(|| async { std::hint::black_box(store.config_version().await.unwrap()) })
        });
        group.bench_function(format!("eight_users_at_once/{path}"), |bencher| {
            bencher.to_async(&runtime).iter(|| {
                let reads = (0..8).map(|_| {
                    let username = format!("user{:07}", next.fetch_add(7919, Ordering::Relaxed) % USERS);
                    let (store, pool_id) = (store.clone(), pool_id.clone());
                    tokio::spawn(async move { assert!(store.get_user(&pool_id, &username).await.unwrap().is_some()) })
                });
                let reads = futures_util::future::join_all(reads.collect::<Vec<_>>());
                async move {
                    for read in reads.await {
                        read.unwrap();
                    }
                }
            })
        });
    }
    group.finish();
    criterion.final_summary();
}
