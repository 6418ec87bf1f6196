//! Configuration a node has read — pools with their app clients by client id, whether a pool
//! exists, resource servers, identity pools — each entry kept with the store's config version it
//! was read at. The version is one number that every change to a pool, a client, a resource
//! server, a signing key or an identity pool raises in the same transaction (a trigger in the
//! schema), so an entry is used only while the version read for the request is
//! still its own: a change made on any node, or by `cognate apply` beside the server, is seen by
//! the next request everywhere. Reading the version is one indexed read instead of the entries'.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Past this many entries the cache starts again empty (a bound on memory, not an eviction policy).
const MAX_ENTRIES: usize = 10_000;

pub(crate) struct ConfigCache<T> {
    entries: Mutex<HashMap<String, Arc<(i64, T)>>>,
}

impl<T> Default for ConfigCache<T> {
    fn default() -> Self {
        ConfigCache { entries: Mutex::new(HashMap::new()) }
    }
}

impl<T: Clone> ConfigCache<T> {
    /// The entry of `key` as read at `version`, if that is what is kept.
    pub(crate) fn get(&self, key: &str, version: i64) -> Option<T> {
        let entry = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(key).cloned()?;
        (entry.0 == version).then(|| entry.1.clone())
    }

    /// Keeps `value`, read after the version was `version`.
    pub(crate) fn put(&self, key: &str, version: i64, value: T) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.to_string(), Arc::new((version, value)));
    }
}
