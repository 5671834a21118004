//! A circuit breaker per connector: when a state system is down, stop knocking.
//!
//! After `failures` consecutive failures (timeouts, refused connections, 5xx) the breaker
//! opens for `open_for`: every request fails at once with a retryable error, without
//! touching the network, so a dead system costs neither its own recovery nor our workers'
//! time. When the time is up one request is let through (half-open): its success closes the
//! breaker, its failure opens it again for another `open_for`. A probe that never reports
//! (its task was cancelled) does not wedge the breaker: after `open_for` another probe goes.
//!
//! Time comes from the injected clock, so the tests move it instead of sleeping. A fatal
//! answer (4xx, an answer that does not fit) is the system working: it counts as a success.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::config::BreakerPolicy;

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Requests go; the count of consecutive failures so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// Requests fail fast until then.
    Open {
        /// When a probe may go.
        until: DateTime<Utc>,
    },
    /// One probe is out since then; others fail fast.
    HalfOpen {
        /// When the probe went.
        probe_since: DateTime<Utc>,
    },
}

/// One connector's breaker.
#[derive(Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    state: Mutex<State>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn open_for(&self) -> Duration {
        Duration::from_std(self.policy.open_for).unwrap_or(Duration::seconds(30))
    }

    /// Where it stands now.
    pub fn state(&self) -> State {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// May a request go now? `Err(until)` when it must fail fast.
    pub fn admit(&self, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now < until => Err(until),
            State::Open { .. } => {
                *state = State::HalfOpen { probe_since: now };
                Ok(())
            }
            State::HalfOpen { probe_since } if now < probe_since + self.open_for() => {
                Err(probe_since + self.open_for())
            }
            State::HalfOpen { .. } => {
                *state = State::HalfOpen { probe_since: now };
                Ok(())
            }
        }
    }

    /// Records an attempt's outcome: `true` when the system answered (even with a refusal).
    pub fn record(&self, answered: bool, now: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = match (*state, answered) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.policy.failures => {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (State::Open { until }, false) => State::Open { until },
            (_, false) => State::Open {
                until: now + self.open_for(),
            },
        };
    }

    /// Whether it is open or half-open (for the gauge).
    pub fn is_open(&self) -> bool {
        !matches!(self.state(), State::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn opens_after_n_fails_fast_then_half_opens() {
        let b = Breaker::new(BreakerPolicy {
            failures: 3,
            open_for: std::time::Duration::from_secs(30),
        });
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap();
        for _ in 0..2 {
            assert!(b.admit(t0).is_ok());
            b.record(false, t0);
        }
        assert_eq!(b.state(), State::Closed { failures: 2 });
        b.record(false, t0);
        assert_eq!(
            b.admit(t0 + Duration::seconds(29)),
            Err(t0 + Duration::seconds(30))
        );
        // The probe goes; a second request meanwhile fails fast.
        let t1 = t0 + Duration::seconds(30);
        assert!(b.admit(t1).is_ok());
        assert!(b.admit(t1).is_err());
        b.record(false, t1);
        assert_eq!(
            b.state(),
            State::Open {
                until: t1 + Duration::seconds(30)
            }
        );
        let t2 = t1 + Duration::seconds(30);
        assert!(b.admit(t2).is_ok());
        b.record(true, t2);
        assert_eq!(b.state(), State::Closed { failures: 0 });
    }
}
