//! The storage port's errors: what a backend reports, and how the domain reads it.

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
