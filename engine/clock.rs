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

    /// How long the machine waits until this clock says `at`, for a loop that sleeps until
    /// something is due (the timer loop). `None`: the clock does not move by itself (a
    /// [`ManualClock`]), so no wait brings `at`; the loop keeps its own pace.
    fn wall_until(&self, at: DateTime<Utc>) -> Option<std::time::Duration> {
        Some((at - self.now()).to_std().unwrap_or_default())
    }
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

    fn wall_until(&self, _at: DateTime<Utc>) -> Option<std::time::Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_is_waited_for_by_no_sleep_and_the_system_clock_by_the_gap() {
        let at = Utc::now() + Duration::hours(1);
        assert_eq!(ManualClock::new(Utc::now()).wall_until(at), None);
        let gap = SystemClock.wall_until(at).expect("the system clock moves");
        assert!(gap <= std::time::Duration::from_secs(3600), "{gap:?}");
        assert!(gap > std::time::Duration::from_secs(3500), "{gap:?}");
        // What is due already is waited for by no time at all.
        let past = SystemClock.wall_until(Utc::now() - Duration::minutes(5));
        assert_eq!(past, Some(std::time::Duration::ZERO));
    }
}
