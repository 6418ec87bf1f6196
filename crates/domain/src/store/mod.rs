//! The storage traits. The store is deliberately plain: it keeps what the domain hands it and
//! answers the queries below; every rule (uniqueness of aliases, defaults, validation) lives in
//! the domain. Each backend implements [`Store`] once and passes one conformance suite.

use async_trait::async_trait;

use crate::sync::{DatasetRecord, SyncRecord};
use crate::tokens::SigningKeyRecord;
use crate::user_pool::{AppClient, AuthSessionRecord, Group, OutboxMessage, RefreshTokenRecord, User, UserPool};

/// A storage failure. `Conflict` is the only one the domain reacts to; the others are internal.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same key already exists.
    #[error("conflict on {0:?}")]
    Conflict(ConflictOn),
    #[error("storage error: {0}")]
    Backend(String),
    /// The database cannot be reached now (no connection within the pool's short wait, a
    /// connection lost): the request is answered at once as unavailable, not after a hang.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for crate::error::DomainError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "the database is unavailable");
                crate::error::DomainError::Unavailable("The service is unavailable right now. Try again.".into())
            }
            other => crate::error::DomainError::internal(other),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A user as stored: the domain computes the lookup key (folded when the pool is case
/// insensitive) and the searchable attribute values; the store indexes them.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user: User,
    pub username_key: String,
    /// `(attribute, value)` pairs that ListUsers may filter on; `username` is always present.
    pub search: Vec<(String, String)>,
    /// `(attribute, normalised value)` pairs that no other user of the pool may hold: username
    /// attributes always, alias attributes once verified.
    pub aliases: Vec<(String, String)>,
}

/// Which key a conflicting insert or update collided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictOn {
    /// The primary key: username, client id, group name or pool id.
    Key,
    /// One of a user's aliases, named by attribute.
    Alias(String),
    /// A record that a `RecordWrite::Replace` expected is not there.
    Absent,
    /// The record was changed by someone else since it was read: its version is not the one
    /// the update was based on. Nothing was written; read it again and redo the change.
    Stale,
}

/// One write of a batch to the keyed records (`kind`, `scope`, `key`) that identity pools, IAM
/// and STS keep. A batch is applied atomically: all of it, or none when one write conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordWrite {
    /// Adds a record; `Conflict(Key)` when the key is taken.
    Insert { kind: &'static str, scope: String, key: String, data: String, expires_ms: Option<i64> },
    /// Adds or replaces a record.
    Put { kind: &'static str, scope: String, key: String, data: String, expires_ms: Option<i64> },
    /// Replaces a record that must exist; `Conflict(Absent)` otherwise.
    Replace { kind: &'static str, scope: String, key: String, data: String },
    /// Removes a record if it is there.
    Delete { kind: &'static str, scope: String, key: String },
    /// Removes every record of a kind in a scope.
    DeleteScope { kind: &'static str, scope: String },
}

/// What [`Store::purge_stale`] removes: rows whose time is before each cutoff (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    pub refresh_tokens_expired_before: i64,
    pub auth_sessions_expired_before: i64,
    pub outbox_created_before: i64,
}

/// Which values of one searchable attribute a listing takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMatch {
    Exact(String),
    Prefix(String),
}

/// Where a listing of users resumes: after this `(value, username_key)` pair.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserCursor {
    pub value: String,
    pub username_key: String,
}

/// One page request: users whose `attribute` matches, ordered by `(value, username_key)`.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub attribute: String,
    pub value_match: ValueMatch,
    pub after: Option<UserCursor>,
    pub limit: u32,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the backend answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    // User pools.
    async fn insert_user_pool(&self, pool: &UserPool) -> StoreResult<()>;
    async fn get_user_pool(&self, pool_id: &str) -> StoreResult<Option<UserPool>>;
    /// Replaces a pool; false when it does not exist.
    async fn update_user_pool(&self, pool: &UserPool) -> StoreResult<bool>;
    /// Deletes a pool with its clients, users, groups and memberships, atomically.
    async fn delete_user_pool(&self, pool_id: &str) -> StoreResult<bool>;
    /// Pools ordered by id, after `after`.
    async fn list_user_pools(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<UserPool>>;
    async fn count_users(&self, pool_id: &str) -> StoreResult<i64>;

    // App clients.
    async fn insert_app_client(&self, client: &AppClient) -> StoreResult<()>;
    async fn get_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<Option<AppClient>>;
    async fn update_app_client(&self, client: &AppClient) -> StoreResult<bool>;
    async fn delete_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<bool>;
    /// Clients of a pool ordered by client id, after `after`.
    async fn list_app_clients(&self, pool_id: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<AppClient>>;

    /// A client by its id alone (sign-in requests name no pool).
    async fn find_app_client(&self, client_id: &str) -> StoreResult<Option<AppClient>>;

    // Users.
    /// Inserts a user; `Conflict(Key)` when the username key or the sub is taken,
    /// `Conflict(Alias)` when an alias is.
    async fn insert_user(&self, record: &UserRecord) -> StoreResult<()>;
    async fn get_user(&self, pool_id: &str, username_key: &str) -> StoreResult<Option<User>>;
    /// The user holding alias `(attribute, value)`, if any.
    async fn find_user_by_alias(&self, pool_id: &str, attribute: &str, value: &str) -> StoreResult<Option<User>>;
    /// Replaces a user with its search values and aliases, on the condition that the stored
    /// version is still `record.user.version` (the one it was read at); the stored user then
    /// has the next version. False when the user does not exist, `Conflict(Stale)` when it has
    /// another version (nothing is written).
    async fn update_user(&self, record: &UserRecord) -> StoreResult<bool>;
    /// As [`Store::update_user`] for a change that leaves the user's search values and aliases
    /// as they are (counters, pending codes, a password): one compare-and-set of the document
    /// alone. False when the user does not exist, `Conflict(Stale)` when it has another version.
    async fn update_user_document(&self, user: &User, username_key: &str) -> StoreResult<bool>;
    /// Deletes a user with its search values, aliases and group memberships, atomically.
    async fn delete_user(&self, pool_id: &str, username_key: &str) -> StoreResult<bool>;
    /// One page of users with the cursor of each.
    async fn list_users(&self, pool_id: &str, query: &UserQuery) -> StoreResult<Vec<(User, UserCursor)>>;

    // Groups.
    async fn insert_group(&self, group: &Group) -> StoreResult<()>;
    async fn get_group(&self, pool_id: &str, group_name: &str) -> StoreResult<Option<Group>>;
    async fn update_group(&self, group: &Group) -> StoreResult<bool>;
    /// Deletes a group and its memberships, atomically.
    async fn delete_group(&self, pool_id: &str, group_name: &str) -> StoreResult<bool>;
    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<Group>>;
    /// Adds a membership; adding one that exists is not an error.
    async fn add_group_member(&self, pool_id: &str, group_name: &str, username_key: &str) -> StoreResult<()>;
    async fn remove_group_member(&self, pool_id: &str, group_name: &str, username_key: &str) -> StoreResult<()>;
    /// Groups of one user ordered by name, after `after`.
    async fn list_groups_for_user(&self, pool_id: &str, username_key: &str, after: Option<&str>, limit: u32)
        -> StoreResult<Vec<Group>>;
    /// Members of one group ordered by username key, after `after`, with the key of each.
    async fn list_group_members(&self, pool_id: &str, group_name: &str, after: Option<&str>, limit: u32)
        -> StoreResult<Vec<(User, String)>>;
    async fn count_groups_for_user(&self, pool_id: &str, username_key: &str) -> StoreResult<i64>;

    // Signing keys.
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// Every key of a pool, oldest first.
    async fn list_signing_keys(&self, pool_id: &str) -> StoreResult<Vec<SigningKeyRecord>>;

    // Refresh tokens and challenge sessions.
    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()>;
    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>>;
    /// Revokes every refresh token of one sign-in (and so the access tokens minted from it).
    async fn revoke_token_family(&self, origin_jti: &str) -> StoreResult<()>;
    /// Revokes every refresh token of a user.
    async fn revoke_user_tokens(&self, pool_id: &str, username_key: &str) -> StoreResult<()>;
    /// Whether the sign-in `origin_jti` has been revoked.
    async fn is_token_family_revoked(&self, origin_jti: &str) -> StoreResult<bool>;
    async fn insert_auth_session(&self, session: &AuthSessionRecord) -> StoreResult<()>;
    /// Removes and returns a session, atomically: of two concurrent answers only one gets it.
    async fn take_auth_session(&self, session_hash: &str) -> StoreResult<Option<AuthSessionRecord>>;

    // Messages to users.
    async fn insert_outbox_message(&self, message: &OutboxMessage) -> StoreResult<()>;
    /// The newest `limit` messages, of one pool or of all, oldest first.
    async fn list_outbox_messages(&self, pool_id: Option<&str>, limit: u32) -> StoreResult<Vec<OutboxMessage>>;

    // Keyed records (identity pools, identities, IAM, STS sessions).
    /// One record's data, unless it has expired by `now_ms`.
    async fn get_record(&self, kind: &str, scope: &str, key: &str, now_ms: i64) -> StoreResult<Option<String>>;
    /// Records of a kind in a scope ordered by key, after `after`, with their keys.
    async fn list_records(&self, kind: &str, scope: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, String)>>;
    /// Applies a batch of writes in one transaction.
    async fn write_records(&self, writes: &[RecordWrite]) -> StoreResult<()>;
    /// Removes records that expired before `now_ms`; returns how many.
    async fn purge_expired_records(&self, now_ms: i64) -> StoreResult<u64>;
    /// Removes refresh tokens, challenge sessions and outbox messages older than the cutoffs
    /// (which the domain chooses); returns how many.
    async fn purge_stale(&self, cutoffs: &PurgeCutoffs) -> StoreResult<u64>;

    // Cognito Sync datasets and records.
    async fn get_sync_dataset(&self, identity_id: &str, name: &str) -> StoreResult<Option<DatasetRecord>>;
    /// Every dataset of an identity (deleted ones included), ordered by name.
    async fn list_sync_datasets(&self, identity_id: &str) -> StoreResult<Vec<DatasetRecord>>;
    /// Every dataset of an identity pool, for its usage figures.
    async fn list_pool_sync_datasets(&self, pool_id: &str) -> StoreResult<Vec<DatasetRecord>>;
    /// The stored records (tombstones included) among `keys`.
    async fn get_sync_records(&self, identity_id: &str, dataset: &str, keys: &[String]) -> StoreResult<Vec<SyncRecord>>;
    /// Records with `(sync_count, key)` after `after`, in that order.
    async fn list_sync_records(&self, identity_id: &str, dataset: &str, after: (i64, &str), limit: u32) -> StoreResult<Vec<SyncRecord>>;
    /// Writes a dataset and records in one transaction, on the condition that the dataset's
    /// stored sync count is still `expected_count` (None: that it does not exist yet); otherwise
    /// `Conflict(Key)` and nothing changes. With `clear`, the dataset's records are removed
    /// first. `notification` is published to the other nodes when the write commits.
    async fn write_sync_dataset(
        &self,
        expected_count: Option<i64>,
        dataset: &DatasetRecord,
        records: &[SyncRecord],
        clear: bool,
        notification: Option<&str>,
    ) -> StoreResult<()>;

    // Values every node of a cluster shares (sealed under the master key by the caller).
    async fn get_cluster_value(&self, name: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless `name` already has one; returns the value that is stored now, so
    /// that nodes racing to create the same value all end up with the winner's.
    async fn insert_cluster_value_if_absent(&self, name: &str, value: &str) -> StoreResult<String>;
}
