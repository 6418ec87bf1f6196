//! The signing keys a node has opened, per pool, each set kept with the store's config version
//! it was read at: a key another node added, rotated or retired raises that version (a trigger
//! on `signing_keys`), and the set is read again on the next request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use crate::tokens::{LoadedSigningKey, SigningKeyRecord};

/// The keys a node has opened for one pool.
pub(crate) struct CachedKeys {
    /// The config version the keys were read at (or a later one).
    pub(crate) version: i64,
    pub(crate) records: Vec<SigningKeyRecord>,
    pub(crate) id_key: Arc<LoadedSigningKey>,
    pub(crate) access_key: Arc<LoadedSigningKey>,
}

/// Opened signing keys per pool, used while the stored config version is the one they were
/// read at.
#[derive(Default)]
pub struct SigningKeyCache {
    pub(crate) pools: Mutex<HashMap<String, Arc<CachedKeys>>>,
}
