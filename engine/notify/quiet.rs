//! Quiet hours: no SMS to a citizen between 22:00 and 08:00 Asia/Almaty unless the message
//! is urgent; what would go out at night waits for the morning.
//!
//! Kazakhstan keeps one time zone, UTC+5, since 1 March 2024 (`Asia/Almaty` in current
//! tzdata). A pure function of the time it is given: the caller injects the clock.

use crate::clock::ZONE as Almaty;
use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};

/// When the quiet hours begin, local time.
pub const QUIET_FROM: NaiveTime = NaiveTime::from_hms_opt(22, 0, 0).expect("a valid time");

/// When they end, local time.
pub const QUIET_UNTIL: NaiveTime = NaiveTime::from_hms_opt(8, 0, 0).expect("a valid time");

/// `None` when an SMS may go to a citizen at `now`; otherwise the first instant it may.
pub fn sms_not_before(now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&Almaty);
    let time = local.time();
    let day = local.date_naive();
    let morning = if time >= QUIET_FROM {
        day.checked_add_days(Days::new(1))?
    } else if time < QUIET_UNTIL {
        day
    } else {
        return None;
    };
    Almaty
        .from_local_datetime(&morning.and_time(QUIET_UNTIL))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}
