//! The user pool's storage ports: pools and app clients, users (with the lookup key, search
//! values and aliases the domain computes for each), groups and memberships, and the outbox of
//! messages to users.

use async_trait::async_trait;

use crate::store::error::{ConflictOn, StoreResult};
use crate::user_pool::types::{AppClient, Group, OutboxMessage, User, UserPool};

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

/// Pools and their app clients.
#[async_trait]
pub trait PoolStore: Send + Sync + 'static {
    // User pools.
    async fn insert_user_pool(&self, pool: &UserPool) -> StoreResult<()>;
    async fn get_user_pool(&self, pool_id: &str) -> StoreResult<Option<UserPool>>;
    /// A pool with the text it is stored as, for a compare-and-set.
    async fn read_user_pool(&self, pool_id: &str) -> StoreResult<Option<(UserPool, String)>>;
    /// Replaces a pool stored as `expected` (the text read); false when it changed or went.
    async fn swap_user_pool(&self, pool: &UserPool, expected: &str) -> StoreResult<bool>;
    /// Deletes a pool with its clients, users, groups and memberships, atomically.
    async fn delete_user_pool(&self, pool_id: &str) -> StoreResult<bool>;
    /// Pools ordered by id, after `after`.
    async fn list_user_pools(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<UserPool>>;
    async fn count_users(&self, pool_id: &str) -> StoreResult<i64>;

    // App clients.
    async fn insert_app_client(&self, client: &AppClient) -> StoreResult<()>;
    async fn get_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<Option<AppClient>>;
    async fn update_app_client(&self, client: &AppClient) -> StoreResult<bool>;
    /// A client with the text it is stored as, for a compare-and-set.
    async fn read_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<Option<(AppClient, String)>>;
    /// Replaces a client stored as `expected` (the text read); false when it changed or went.
    async fn swap_app_client(&self, client: &AppClient, expected: &str) -> StoreResult<bool>;
    async fn delete_app_client(&self, pool_id: &str, client_id: &str) -> StoreResult<bool>;
    /// Clients of a pool ordered by client id, after `after`.
    async fn list_app_clients(&self, pool_id: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<AppClient>>;

    /// A client by its id alone (sign-in requests name no pool).
    async fn find_app_client(&self, client_id: &str) -> StoreResult<Option<AppClient>>;

    /// A number that every change to a pool or a client raises, in the change's transaction:
    /// what a node read at the same number is still what is stored.
    async fn config_version(&self) -> StoreResult<i64>;
}

/// Users, by lookup key and by alias, and their listing.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    // Users.
    /// Inserts a user; `Conflict(Key)` when the username key or the sub is taken,
    /// `Conflict(Alias)` when an alias is.
    async fn insert_user(&self, record: &UserRecord) -> StoreResult<()>;
    /// Inserts many users in one transaction (one commit for the lot), each on its own: the
    /// answer holds, in order, `None` for a user inserted and the conflict of one that was not
    /// (nothing of it written). An error of the database writes none of them.
    async fn insert_users(&self, records: &[UserRecord]) -> StoreResult<Vec<Option<ConflictOn>>>;
    async fn get_user(&self, pool_id: &str, username_key: &str) -> StoreResult<Option<User>>;
    /// The user holding alias `(attribute, value)`, if any.
    async fn find_user_by_alias(&self, pool_id: &str, attribute: &str, value: &str) -> StoreResult<Option<User>>;
    /// Replaces a user with its search values and aliases, on the condition that the stored
    /// version is still `record.user.version` (the one it was read at); the stored user then
    /// has the next version. False when the user does not exist, `Conflict(Stale)` when it has
    /// another version (nothing is written).
    async fn update_user(&self, record: &UserRecord) -> StoreResult<bool>;
    /// As [`UserStore::update_user`] for a change that leaves the user's search values and aliases
    /// as they are (counters, pending codes, a password): one compare-and-set of the document
    /// alone. False when the user does not exist, `Conflict(Stale)` when it has another version.
    async fn update_user_document(&self, user: &User, username_key: &str) -> StoreResult<bool>;
    /// Deletes a user with its search values, aliases and group memberships, atomically.
    async fn delete_user(&self, pool_id: &str, username_key: &str) -> StoreResult<bool>;
    /// One page of users with the cursor of each.
    async fn list_users(&self, pool_id: &str, query: &UserQuery) -> StoreResult<Vec<(User, UserCursor)>>;
}

/// Groups and memberships.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
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
}

/// Messages to users that no channel delivered.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    // Messages to users.
    async fn insert_outbox_message(&self, message: &OutboxMessage) -> StoreResult<()>;
    /// The newest `limit` messages, of one pool or of all, oldest first.
    async fn list_outbox_messages(&self, pool_id: Option<&str>, limit: u32) -> StoreResult<Vec<OutboxMessage>>;
}
