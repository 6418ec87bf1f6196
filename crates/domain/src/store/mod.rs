//! The storage port, composed. The store is deliberately plain: it keeps what the domain hands it
//! and answers the queries of each service's own trait (declared next to that service's types);
//! every rule (uniqueness of aliases, defaults, validation) lives in the domain. [`Store`] is all
//! of them at once: each backend implements every trait once and passes one conformance suite.

pub mod error;

use async_trait::async_trait;

pub use crate::records::{RecordStore, RecordWrite};
pub use crate::sync::store::SyncStore;
pub use crate::tokens::store::{RefreshContext, TokenStore};
pub use crate::user_pool::store::{GroupStore, OutboxStore, PoolStore, UserCursor, UserQuery, UserRecord, UserStore, ValueMatch};
pub use error::{ConflictOn, StoreError, StoreResult};

/// What [`ClusterStore::purge_stale`] removes: rows whose time is before each cutoff (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    pub refresh_tokens_expired_before: i64,
    pub auth_sessions_expired_before: i64,
    pub outbox_created_before: i64,
}

/// What the nodes of a cluster share and the upkeep of the store as a whole.
#[async_trait]
pub trait ClusterStore: Send + Sync + 'static {
    /// Succeeds when the backend answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;
    /// The connection pool's open and idle connections, for metrics; None without a pool.
    fn pool_use(&self) -> Option<(u32, u32)> {
        None
    }

    // Values every node of a cluster shares (sealed under the master key by the caller).
    async fn get_cluster_value(&self, name: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless `name` already has one; returns the value that is stored now, so
    /// that nodes racing to create the same value all end up with the winner's.
    async fn insert_cluster_value_if_absent(&self, name: &str, value: &str) -> StoreResult<String>;
    /// Removes refresh tokens, challenge sessions and outbox messages older than the cutoffs
    /// (which the domain chooses); returns how many.
    async fn purge_stale(&self, cutoffs: &PurgeCutoffs) -> StoreResult<u64>;
}

/// Every storage port at once: what a backend implements and the services hold.
pub trait Store: PoolStore + UserStore + GroupStore + OutboxStore + TokenStore + RecordStore + SyncStore + ClusterStore {}

impl<T> Store for T where T: PoolStore + UserStore + GroupStore + OutboxStore + TokenStore + RecordStore + SyncStore + ClusterStore {}
