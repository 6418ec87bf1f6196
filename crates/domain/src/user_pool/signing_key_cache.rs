//! The signing keys a node has opened, per pool: re-read from the store after [`KEY_CACHE_TTL`]
//! so that a key another node added or rotated is picked up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::tokens::{LoadedSigningKey, SigningKeyRecord};

/// How long opened keys are used before the store is read again.
pub(crate) const KEY_CACHE_TTL: Duration = Duration::from_secs(60);

/// The keys a node has opened for one pool.
pub(crate) struct CachedKeys {
    pub(crate) loaded_at: Instant,
    pub(crate) records: Vec<SigningKeyRecord>,
    pub(crate) id_key: Arc<LoadedSigningKey>,
    pub(crate) access_key: Arc<LoadedSigningKey>,
}

/// Opened signing keys per pool, re-read from the store after [`KEY_CACHE_TTL`] so that a key
/// added by another node is picked up.
#[derive(Default)]
pub struct SigningKeyCache {
    pub(crate) pools: Mutex<HashMap<String, Arc<CachedKeys>>>,
}
