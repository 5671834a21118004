//! The time, injected: the system clock in production, a manual clock in tests.
//!
//! **Architecture Invariant:** nothing in the engine calls `Utc::now()` but
//! [`SystemClock`]. Tests and scenarios move a [`ManualClock`] by working days in
//! milliseconds; no test sleeps.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The service's time zone: every date and time a clerk or a citizen reads, every working
/// day and quiet hour, is Almaty's (UTC+5 since 1 March 2024, UTC+6 before; the zone
/// database knows both).
pub const ZONE: chrono_tz::Tz = chrono_tz::Asia::Almaty;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }

    /// Sets the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}
