//! Time, handed in so that tests can control it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    fn now_millis(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as i64).unwrap_or(0)
    }
}

/// A clock that stands still until told to move; for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_millis: AtomicI64,
}

impl ManualClock {
    pub fn new(now_millis: i64) -> Self {
        ManualClock { now_millis: AtomicI64::new(now_millis) }
    }

    pub fn advance_millis(&self, millis: i64) {
        self.now_millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.now_millis.load(Ordering::SeqCst)
    }
}
