//! Office hours: when a front office is open, acceptance dates, and working-minute norms.
//!
//! Office hours and the working-day calendar are different things. The calendar says
//! which days count in a term; a profile says when a particular kind of office receives
//! people. The rule this module applies, for a profile and a date:
//!
//! - on a **working day** of the calendar (Monday–Friday not off, and a weekend day made
//!   working by an order) the office keeps its `on_working_days` hours;
//! - on a **weekly rest day that is nothing else** (an ordinary Saturday or Sunday) it keeps
//!   its `on_rest_days` hours for that weekday, if any: a duty office is open on Saturday
//!   9:00–13:00 even though Saturday is not a working day;
//! - on a **holiday, a day off owed for a holiday, or a day off by an order** it is closed,
//!   whatever the weekday: a duty office is open on Saturday unless the Saturday is a holiday.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Tz;

use super::{Calendar, Day, Error, Names};

/// One opening interval of a day, `open` inclusive, `close` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// When the office opens.
    pub open: NaiveTime,
    /// When it closes.
    pub close: NaiveTime,
}

/// An office-hour profile from `rules.yaml` (`standard`, `duty`).
#[derive(Debug, Clone)]
pub struct OfficeProfile {
    /// The profile's key in `rules.yaml`.
    pub name: String,
    /// What kind of office uses it.
    pub names: Names,
    /// Opening intervals on every working day.
    pub(crate) on_working_days: Vec<Interval>,
    /// Opening intervals on plain weekly rest days, by `Weekday::num_days_from_monday`.
    pub(crate) on_rest_days: BTreeMap<u32, Vec<Interval>>,
}

impl OfficeProfile {
    fn never_open(&self) -> bool {
        self.on_working_days.is_empty() && self.on_rest_days.values().all(Vec::is_empty)
    }
}

impl Calendar {
    /// The office profile called `name`.
    pub fn office_profile(&self, name: &str) -> Result<&OfficeProfile, Error> {
        self.profiles
            .get(name)
            .ok_or_else(|| Error::UnknownProfile {
                name: name.to_string(),
                hint: crate::diagnostic::did_you_mean(
                    name,
                    self.profiles.keys().map(String::as_str),
                )
                .map(str::to_string),
            })
    }

    /// The names of the office profiles, in order.
    pub fn office_profiles(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// The opening intervals of an office with `profile` on `date` (empty when closed);
    /// see the module docs for the rule.
    pub fn office_hours(&self, profile: &str, date: NaiveDate) -> Result<&[Interval], Error> {
        let p = self.office_profile(profile)?;
        Ok(match self.day(date)? {
            Day::Working | Day::WorkingByOrder { .. } => &p.on_working_days,
            Day::Rest => p
                .on_rest_days
                .get(&date.weekday().num_days_from_monday())
                .map_or(&[][..], Vec::as_slice),
            Day::Holiday(_) | Day::Moved { .. } | Day::OffByOrder { .. } => &[],
        })
    }

    /// Whether an office with `profile` is open at the local time `at`.
    pub fn is_open(&self, profile: &str, at: NaiveDateTime) -> Result<bool, Error> {
        let t = at.time();
        Ok(self
            .office_hours(profile, at.date())?
            .iter()
            .any(|i| i.open <= t && t < i.close))
    }

    /// The date an application received at the local time `at` counts as accepted.
    ///
    /// Received on a working day before the office's closing time (its last interval's
    /// `close`, so 18:00 for `standard` and 20:00 for `duty`), it is accepted that day, even
    /// if it came before opening (through the portal at night, say). Received after closing,
    /// or on any non-working day (a duty office's Saturday included: Saturday is not a
    /// working day), it counts as accepted on the next working day. "The day of acceptance
    /// is not counted" is then `add_working_days(acceptance_date, n)`.
    ///
    /// `at` is wall-clock time in the calendar's zone ([`Calendar::time_zone`]).
    pub fn acceptance_date(&self, profile: &str, at: NaiveDateTime) -> Result<NaiveDate, Error> {
        let date = at.date();
        let hours = self.office_hours(profile, date)?;
        if self.is_working(date)? && hours.last().is_some_and(|last| at.time() < last.close) {
            Ok(date)
        } else {
            self.next_working_day(date)
        }
    }

    /// The instant when `minutes` of the office's open time have passed since `start`:
    /// the clock runs only while an office with `profile` is open (see the module docs), so
    /// closed hours, nights, holidays and rest days without hours are skipped.
    ///
    /// This is the arithmetic of the front-office norms (at most 15 minutes' wait, at most
    /// 20 minutes' service). A count that completes exactly at closing time ends at closing
    /// time, not at the next opening; 0 minutes is `start` itself. The result is in the
    /// calendar's zone.
    pub fn add_working_minutes(
        &self,
        profile: &str,
        start: DateTime<Tz>,
        minutes: u32,
    ) -> Result<DateTime<Tz>, Error> {
        let p = self.office_profile(profile)?;
        if p.never_open() {
            return Err(Error::NeverOpen(p.name.clone()));
        }
        let start = start.with_timezone(&self.zone);
        if minutes == 0 {
            return Ok(start);
        }
        let from = start.naive_local();
        let mut remaining = TimeDelta::minutes(i64::from(minutes));
        let mut date = from.date();
        loop {
            for interval in self.office_hours(profile, date)? {
                let open = date.and_time(interval.open);
                let close = date.and_time(interval.close);
                let begin = open.max(from);
                if begin >= close {
                    continue;
                }
                let available = close - begin;
                if remaining <= available {
                    return self.localize(begin + remaining);
                }
                remaining -= available;
            }
            date = date.succ_opt().ok_or(Error::NoData {
                year: date.year() + 1,
            })?;
        }
    }

    /// The first instant at or after `at` when an office with `profile` is open: `at` itself
    /// when it is, else the next opening (after lunch, the next morning, after the weekend and
    /// the holidays). Staff reminders and escalations are moved here, so that a 50% point at
    /// 02:00 reaches the clerk at 09:00 rather than in the night.
    ///
    /// The answer is in the calendar's zone; `at` may be in any zone of [`Tz`].
    pub fn next_opening(&self, profile: &str, at: DateTime<Tz>) -> Result<DateTime<Tz>, Error> {
        let p = self.office_profile(profile)?;
        if p.never_open() {
            return Err(Error::NeverOpen(p.name.clone()));
        }
        let at = at.with_timezone(&self.zone);
        let from = at.naive_local();
        let mut date = from.date();
        loop {
            for interval in self.office_hours(profile, date)? {
                let open = date.and_time(interval.open);
                let close = date.and_time(interval.close);
                if from < close {
                    return if from >= open {
                        Ok(at)
                    } else {
                        self.localize(open)
                    };
                }
            }
            date = date.succ_opt().ok_or(Error::NoData {
                year: date.year() + 1,
            })?;
        }
    }

    /// A wall-clock time in the calendar's zone as an instant; of two (a clock turned back)
    /// the earlier.
    fn localize(&self, local: NaiveDateTime) -> Result<DateTime<Tz>, Error> {
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .ok_or_else(|| Error::NonexistentTime {
                time: local,
                zone: self.zone.name().to_string(),
            })
    }
}
