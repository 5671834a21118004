//! When a scheduled service starts: the occurrences of a definition's `schedule:`.
//!
//! Some services have no applicant: the engine starts their cases itself — the quarterly
//! administrative-data report, the yearly ENPF reconciliation, the nightly blocking of
//! unused accounts. [`next_occurrence`] gives the first occurrence strictly after an
//! instant; [`occurrences_between`] gives every occurrence of a window, in order, for the
//! catch-up after the engine was down. Both read the compiled [`Schedule`] and the
//! working-day [`Calendar`].
//!
//! # `cron`
//!
//! The expression is read in the calendar's time zone ([`Calendar::time_zone`],
//! Asia/Almaty, UTC+5): `0 0 9 * * *` is 09:00 in Almaty, 04:00 UTC. A time that falls on a
//! non-working local date, by `on_non_working_day`:
//!
//! - `run`: stands. The calendar is not consulted at all.
//! - `skip`: is dropped.
//! - `next_working_day`: moves to the next working day, at the same local time.
//!   **Moved times collapse.** A time moved onto a working day that has times of its own is
//!   dropped: that day's own run does the work. The times moved onto a working day that has
//!   none become one occurrence, at the earliest of their local times. So a daily job runs
//!   once on the Thursday after the five days off of Nauryz 2026, not six times, and a job
//!   "at 09:00 and 18:00 on Saturdays and Sundays" runs once, on Monday at 09:00. A
//!   schedule's own times on a working day (an hourly job) are never collapsed.
//!
//! # `every`
//!
//! Each period P of the schedule (each month, quarter or year) gives one occurrence, at the
//! local time `at` of the date its offset names:
//!
//! | offset                   | the date                                                        |
//! |--------------------------|-----------------------------------------------------------------|
//! | `working_day: n`         | the n-th working day of P (the first counted is P's first working day; `0` reads as `1`) |
//! | `calendar_days_after: n` | the n-th calendar day after P's last day, working or not          |
//! | `working_days_after: n`  | the n-th working day after P's last day (the last day not counted) |
//!
//! So `quarter` + `calendar_days_after: 10` is 10 April, 10 July, 10 October and 10 January
//! ("within 10 calendar days after the quarter", seeds/004), and `quarter` +
//! `working_days_after: 1` is the first working day after each quarter: 5 January 2027,
//! after New Year's days and the day off moved from Saturday 2 January. A calendar-day date
//! is not moved off a day off: it is the day the rule names.
//!
//! With `every: year` and `month: m`, P is month m of each year: `working_day: 1` is the
//! first working day of that month, and `*_after: n` counts from that month's last day.
//! (`month` with another period is rejected by the validator and ignored here.) A
//! `working_day: n` larger than P's working days runs on into the next period; the
//! validator does not bound it.
//!
//! # Keys
//!
//! [`Occurrence::key`] names an occurrence so that the caller can record it and start its
//! case exactly once. For `every` it names the period P — `2026` (year, with or without
//! `month`), `2026-Q3` (quarter), `2026-07` (month) — so the report on the third quarter
//! of 2026 is `2026-Q3` whether it starts on 1 October or, after a transfer order moves the
//! day off, on 2 October: a date recomputed under a new calendar version never fires a
//! period twice. For `cron` it is the local date and time of the occurrence, after any
//! move: `2026-11-23T09:00` (`…T09:00:30` when the seconds are not zero). A local time that
//! a clock change repeats would give two occurrences one key, and the second would count as
//! already fired — the right outcome for "once at 09:00". Asia/Almaty has had no seasonal
//! clock changes since 2005; its one move, to UTC+5 at midnight on 1 March 2024, repeated
//! the last hour of 29 February 2024.
//!
//! # Errors
//!
//! A date the calendar has no data for is [`Error::Calendar`] ([`calendar::Error::NoData`]),
//! never a panic and never a guess: an occurrence is computed against the calendar or not at
//! all. A `skip` schedule whose every time is on a day off (09:00 on 23 March, always
//! Nauryz) therefore ends in that error when it reaches the end of the calendar's years.
//!
//! **Architecture Invariant:** this module reads no clock and does no IO; the caller passes
//! the instants and the loaded calendar. It knows nothing of cases, versions or the store:
//! whether a definition is in force on an occurrence's date, and which keys have fired, is
//! the caller's business.

use std::collections::VecDeque;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use crate::calendar::{self, Calendar};
use crate::definition::model::{NonWorkingDay, Period};
use crate::definition::model::{PeriodOffset, Schedule};

/// The most occurrences [`occurrences_between`] returns at once: the earliest ones. A daily
/// job down for three years has missed more; the caller starts what it got, records the
/// last key, and asks again from the last occurrence's `at`. Nothing is lost, and one call
/// never builds an unbounded list.
pub const MAX_OCCURRENCES: usize = 1000;

/// One time the engine starts a case of a scheduled service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The instant the case starts.
    pub at: DateTime<Utc>,
    /// The date of `at` in the calendar's time zone: the day the working-day rules were
    /// applied to, and the day the definition in force is chosen by.
    pub local_date: NaiveDate,
    /// A stable, human-readable name of the occurrence (`2026-Q3`, `2027`,
    /// `2026-11-23T09:00`), by which the caller fires each one exactly once. See the
    /// module documentation for what it names.
    pub key: String,
}

/// Why occurrences could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The calendar could not answer: most often a date beyond its years
    /// ([`calendar::Error::NoData`]), or a local time that does not exist in its zone.
    #[error(transparent)]
    Calendar(#[from] calendar::Error),
    /// A yearly schedule's `month` is not 1-12 (the validator rejects it; a hand-built
    /// [`Schedule`] can still hold it).
    #[error("month {0} of a yearly schedule is not a month (1-12)")]
    BadMonth(u32),
    /// The time of day `at` is not one (the validator accepts only `HH:MM`).
    #[error("{hour:02}:{minute:02} is not a time of day")]
    BadTime {
        /// The hour given.
        hour: u32,
        /// The minute given.
        minute: u32,
    },
}

/// The first occurrence of `schedule` strictly after `after`, or `None` when the schedule
/// has no more (a cron expression limited to past years).
pub fn next_occurrence(
    schedule: &Schedule,
    calendar: &Calendar,
    after: DateTime<Utc>,
) -> Result<Option<Occurrence>, Error> {
    Occurrences::new(schedule, calendar, after, None)?
        .next()
        .transpose()
}

/// Every occurrence of `schedule` with `from < at <= to`, in order: the catch-up after
/// downtime, where `from` is the last instant already handled and `to` is now.
///
/// At most [`MAX_OCCURRENCES`], the earliest; when the list is that long, ask again from
/// the last one's `at` for the rest. An empty list when `to <= from`.
pub fn occurrences_between(
    schedule: &Schedule,
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Occurrence>, Error> {
    let mut found = Vec::new();
    if to <= from {
        return Ok(found);
    }
    for occurrence in Occurrences::new(schedule, calendar, from, Some(to))? {
        let occurrence = occurrence?;
        if occurrence.at > to {
            break;
        }
        found.push(occurrence);
        if found.len() == MAX_OCCURRENCES {
            break;
        }
    }
    Ok(found)
}

/// The occurrences of a schedule strictly after an instant, in order. It stops after the
/// first error, and, when given an `until`, as soon as it can tell without the calendar that
/// the rest come after it (so a window that ends inside the calendar's years never needs a
/// day beyond them).
enum Occurrences<'a> {
    /// Boxed: the cron iterator's state is several times the size of the other.
    Cron(Box<CronOccurrences<'a>>),
    Every(EveryOccurrences<'a>),
}

impl<'a> Occurrences<'a> {
    fn new(
        schedule: &'a Schedule,
        calendar: &'a Calendar,
        after: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Self, Error> {
        Ok(match schedule {
            Schedule::Cron {
                schedule,
                on_non_working_day,
                ..
            } => Occurrences::Cron(Box::new(CronOccurrences::new(
                schedule,
                *on_non_working_day,
                calendar,
                after,
                until,
            )?)),
            Schedule::Every {
                period,
                month,
                offset,
                at,
            } => Occurrences::Every(EveryOccurrences::new(
                *period, *month, *offset, *at, calendar, after, until,
            )?),
        })
    }
}

impl Iterator for Occurrences<'_> {
    type Item = Result<Occurrence, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Occurrences::Cron(c) => c.next(),
            Occurrences::Every(e) => e.next(),
        }
    }
}

/// The occurrences of a cron schedule: its times in the calendar's zone, with the
/// non-working-day policy applied.
struct CronOccurrences<'a> {
    calendar: &'a Calendar,
    zone: Tz,
    policy: NonWorkingDay,
    times: cron::ScheduleIterator<'a, Tz>,
    /// Only occurrences after this are returned.
    after: DateTime<Utc>,
    /// No time after this is looked at: what it gives would come after it too.
    until: Option<DateTime<Utc>>,
    /// A time read ahead while collecting the times moved to one working day.
    peeked: Option<DateTime<Tz>>,
    /// Occurrences worked out and not yet returned, in order.
    ready: VecDeque<Occurrence>,
    /// The last date looked up in the calendar, and whether it is a working day.
    last_day: Option<(NaiveDate, bool)>,
    done: bool,
}

impl<'a> CronOccurrences<'a> {
    fn new(
        schedule: &'a cron::Schedule,
        policy: NonWorkingDay,
        calendar: &'a Calendar,
        after: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Self, Error> {
        let zone = calendar.time_zone();
        let mut start = after.with_timezone(&zone);
        if policy == NonWorkingDay::NextWorkingDay {
            // A time on the days off just before `after` may move to a day after it: read
            // the times from the first of those days off.
            let first_covered = calendar.range().0;
            let mut day = start.date_naive();
            while let Some(before) = day.pred_opt().filter(|d| *d >= first_covered) {
                if calendar.is_working(before)? {
                    break;
                }
                day = before;
            }
            if day < start.date_naive() {
                // One second before midnight: the cron iterator is strictly after its start.
                start = local(zone, day.and_time(NaiveTime::MIN))? - chrono::Duration::seconds(1);
            }
        }
        Ok(CronOccurrences {
            calendar,
            zone,
            policy,
            times: schedule.after(&start),
            after,
            until,
            peeked: None,
            ready: VecDeque::new(),
            last_day: None,
            done: false,
        })
    }

    fn next(&mut self) -> Option<Result<Occurrence, Error>> {
        loop {
            if let Some(occurrence) = self.ready.pop_front() {
                if occurrence.at > self.after {
                    return Some(Ok(occurrence));
                }
                continue;
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }

    /// Reads the next time (and, for a time moved off a day off, every time moved to the
    /// same working day) and queues what it gives: nothing, or occurrences in order.
    fn fill(&mut self) -> Result<(), Error> {
        let Some(time) = self.peeked.take().or_else(|| self.times.next()) else {
            self.done = true;
            return Ok(());
        };
        if self.until.is_some_and(|until| time.to_utc() > until) {
            // A time is never moved earlier: nothing from here on is before `until`.
            self.done = true;
            return Ok(());
        }
        let date = time.date_naive();
        if self.policy == NonWorkingDay::Run || self.is_working(date)? {
            self.ready
                .push_back(cron_occurrence(time.naive_local(), time.to_utc()));
            return Ok(());
        }
        if self.policy == NonWorkingDay::Skip {
            return Ok(());
        }
        // Moved to the next working day: every later time before that day is on a day off
        // too, and moves there with it.
        let target = self.calendar.next_working_day(date)?;
        let mut earliest = time.time();
        for later in self.times.by_ref() {
            let later_date = later.date_naive();
            if later_date >= target {
                let has_own = later_date == target;
                self.peeked = Some(later);
                if has_own {
                    // The working day has a time of its own: that run does the work.
                    return Ok(());
                }
                break;
            }
            earliest = earliest.min(later.time());
        }
        let moved = target.and_time(earliest);
        let at = local(self.zone, moved)?.to_utc();
        self.ready.push_back(cron_occurrence(moved, at));
        Ok(())
    }

    fn is_working(&mut self, date: NaiveDate) -> Result<bool, Error> {
        if let Some((day, working)) = self.last_day
            && day == date
        {
            return Ok(working);
        }
        let working = self.calendar.is_working(date)?;
        self.last_day = Some((date, working));
        Ok(working)
    }
}

/// The occurrence of a cron time at local `time`, the instant `at`.
fn cron_occurrence(time: NaiveDateTime, at: DateTime<Utc>) -> Occurrence {
    let key = if time.second() == 0 {
        time.format("%Y-%m-%dT%H:%M")
    } else {
        time.format("%Y-%m-%dT%H:%M:%S")
    };
    Occurrence {
        at,
        local_date: time.date(),
        key: key.to_string(),
    }
}

/// The occurrences of an `every` schedule, period by period.
struct EveryOccurrences<'a> {
    calendar: &'a Calendar,
    zone: Tz,
    offset: PeriodOffset,
    at: NaiveTime,
    /// The next period to compute.
    span: Span,
    /// Only occurrences after this are returned.
    after: DateTime<Utc>,
    /// The local date of `until`: a period whose occurrence is surely later ends the walk.
    until: Option<NaiveDate>,
    done: bool,
}

impl<'a> EveryOccurrences<'a> {
    fn new(
        period: Period,
        month: Option<u32>,
        offset: PeriodOffset,
        (hour, minute): (u32, u32),
        calendar: &'a Calendar,
        after: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Self, Error> {
        let at = NaiveTime::from_hms_opt(hour, minute, 0).ok_or(Error::BadTime { hour, minute })?;
        let zone = calendar.time_zone();
        let after_date = after.with_timezone(&zone).date_naive();
        // Start at the period of `after`'s date, then go back while an earlier period's
        // occurrence could still come after `after` (a long offset runs past its period).
        // Occurrences never go back in time from one period to the next, so the first one
        // after `after` is at or after this period.
        let mut span = Span::containing(period, month, after_date)?;
        loop {
            let before = span.prev()?;
            if lower_bound(&before, offset)? < after_date {
                break;
            }
            span = before;
        }
        Ok(EveryOccurrences {
            calendar,
            zone,
            offset,
            at,
            span,
            after,
            until: until.map(|u| u.with_timezone(&zone).date_naive()),
            done: false,
        })
    }

    fn next(&mut self) -> Option<Result<Occurrence, Error>> {
        while !self.done {
            if let Some(until) = self.until {
                match lower_bound(&self.span, self.offset) {
                    Ok(bound) if bound > until => {
                        self.done = true;
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            match self.occurrence() {
                Ok(occurrence) if occurrence.at <= self.after => continue,
                Ok(occurrence) => return Some(Ok(occurrence)),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }

    /// The occurrence of the current period; moves on to the next period.
    fn occurrence(&mut self) -> Result<Occurrence, Error> {
        let span = self.span;
        self.span = span.next()?;
        let date = match self.offset {
            PeriodOffset::WorkingDay(n) => {
                let first = self.calendar.add_working_days(span.first_day()?, 0)?.result;
                match n {
                    0 | 1 => first,
                    n => self.calendar.add_working_days(first, n - 1)?.result,
                }
            }
            PeriodOffset::CalendarDaysAfter(n) => {
                self.calendar.add_calendar_days(span.last_day()?, n)?.result
            }
            PeriodOffset::WorkingDaysAfter(n) => {
                self.calendar.add_working_days(span.last_day()?, n)?.result
            }
        };
        Ok(Occurrence {
            at: local(self.zone, date.and_time(self.at))?.to_utc(),
            local_date: date,
            key: span.key(),
        })
    }
}

/// A date no later than the occurrence of `span`, computed without the calendar: the n-th
/// working day of a period is at least n - 1 days after its first day, and n working or
/// calendar days after its last day are at least n days after it.
fn lower_bound(span: &Span, offset: PeriodOffset) -> Result<NaiveDate, Error> {
    let (from, days) = match offset {
        PeriodOffset::WorkingDay(n) => (span.first_day()?, n.saturating_sub(1)),
        PeriodOffset::CalendarDaysAfter(n) | PeriodOffset::WorkingDaysAfter(n) => {
            (span.last_day()?, n)
        }
    };
    Ok(from
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX))
}

/// One period of an `every` schedule: `months` months from the first of `month` in `year`.
#[derive(Debug, Clone, Copy)]
struct Span {
    period: Period,
    year: i32,
    /// The first month, 1-12.
    month: u32,
    /// How many months it lasts: 12 for a year, 3 for a quarter, 1 for a month or for the
    /// `month` of a yearly schedule.
    months: u32,
}

impl Span {
    /// The period of the schedule that `date` falls in; for a yearly schedule with a
    /// `month`, that month of `date`'s year.
    fn containing(period: Period, month: Option<u32>, date: NaiveDate) -> Result<Span, Error> {
        let year = date.year();
        Ok(match (period, month) {
            (Period::Year, None) => Span {
                period,
                year,
                month: 1,
                months: 12,
            },
            (Period::Year, Some(m)) if (1..=12).contains(&m) => Span {
                period,
                year,
                month: m,
                months: 1,
            },
            (Period::Year, Some(m)) => return Err(Error::BadMonth(m)),
            (Period::Quarter, _) => Span {
                period,
                year,
                month: (date.month() - 1) / 3 * 3 + 1,
                months: 3,
            },
            (Period::Month, _) => Span {
                period,
                year,
                month: date.month(),
                months: 1,
            },
        })
    }

    /// How many months apart two periods of the schedule start.
    fn stride(&self) -> i32 {
        match self.period {
            Period::Year => 12,
            Period::Quarter => 3,
            Period::Month => 1,
        }
    }

    fn next(&self) -> Result<Span, Error> {
        self.shifted(self.stride())
    }

    fn prev(&self) -> Result<Span, Error> {
        self.shifted(-self.stride())
    }

    fn shifted(&self, months: i32) -> Result<Span, Error> {
        let (year, month) = add_months(self.year, self.month, months)?;
        Ok(Span {
            year,
            month,
            ..*self
        })
    }

    fn first_day(&self) -> Result<NaiveDate, Error> {
        first_of(self.year, self.month)
    }

    fn last_day(&self) -> Result<NaiveDate, Error> {
        let (year, month) = add_months(self.year, self.month, self.months as i32)?;
        first_of(year, month)?
            .pred_opt()
            .ok_or(Error::Calendar(calendar::Error::NoData { year }))
    }

    /// `2026`, `2026-Q3` or `2026-07`.
    fn key(&self) -> String {
        match self.period {
            Period::Year => format!("{}", self.year),
            Period::Quarter => format!("{}-Q{}", self.year, (self.month - 1) / 3 + 1),
            Period::Month => format!("{}-{:02}", self.year, self.month),
        }
    }
}

/// `year`-`month` plus `months` months.
fn add_months(year: i32, month: u32, months: i32) -> Result<(i32, u32), Error> {
    let index = i64::from(year) * 12 + i64::from(month) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12))
        .map_err(|_| Error::Calendar(calendar::Error::NoData { year }))?;
    Ok((year, index.rem_euclid(12) as u32 + 1))
}

/// The first day of a month, or `NoData` for a year chrono cannot represent.
fn first_of(year: i32, month: u32) -> Result<NaiveDate, Error> {
    NaiveDate::from_ymd_opt(year, month, 1).ok_or(Error::Calendar(calendar::Error::NoData { year }))
}

/// The instant of a local time in `zone`: the earlier one when a clock change repeats it,
/// an error when a clock change skips it.
fn local(zone: Tz, time: NaiveDateTime) -> Result<DateTime<Tz>, Error> {
    zone.from_local_datetime(&time).earliest().ok_or_else(|| {
        Error::Calendar(calendar::Error::NonexistentTime {
            time,
            zone: zone.name().to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    //! Every case goes through [`check`]: a schedule, a window, and the expected occurrences
    //! rendered as `KEY LOCAL_DATE at UTC`. The dates come from the real `kz` calendar; the
    //! holidays each case relies on are named beside it.

    use std::path::PathBuf;
    use std::sync::OnceLock;

    use super::*;
    use NonWorkingDay::{NextWorkingDay, Run, Skip};
    use Period::{Month, Quarter, Year};
    use PeriodOffset::{CalendarDaysAfter, WorkingDay, WorkingDaysAfter};

    fn kz() -> &'static Calendar {
        static KZ: OnceLock<Calendar> = OnceLock::new();
        KZ.get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calendars");
            Calendar::load(&dir, "kz").unwrap_or_else(|e| panic!("calendars/kz: {e}"))
        })
    }

    fn cron(expression: &str, on_non_working_day: NonWorkingDay) -> Schedule {
        Schedule::Cron {
            expression: expression.to_string(),
            schedule: Box::new(
                expression
                    .parse()
                    .unwrap_or_else(|e| panic!("{expression}: {e}")),
            ),
            on_non_working_day,
        }
    }

    /// An `every` schedule at the default 09:00.
    fn every(period: Period, month: Option<u32>, offset: PeriodOffset) -> Schedule {
        Schedule::Every {
            period,
            month,
            offset,
            at: (9, 0),
        }
    }

    fn instant(text: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%MZ")
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .and_utc()
    }

    fn render(o: &Occurrence) -> String {
        format!(
            "{} {} at {}",
            o.key,
            o.local_date,
            o.at.format("%Y-%m-%dT%H:%MZ")
        )
    }

    /// `window` is `AFTER` (UTC, `2026-03-31T23:00Z`) for [`next_occurrence`], or
    /// `FROM..TO` for [`occurrences_between`]; occurrences are joined by `; `, no
    /// occurrence is `none`, an error is `error: <message>`.
    fn check(schedule: &Schedule, window: &str, expected: &str) {
        let actual = match window.split_once("..") {
            None => match next_occurrence(schedule, kz(), instant(window)) {
                Ok(Some(o)) => render(&o),
                Ok(None) => "none".to_string(),
                Err(e) => format!("error: {e}"),
            },
            Some((from, to)) => {
                match occurrences_between(schedule, kz(), instant(from), instant(to)) {
                    Ok(list) if list.is_empty() => "none".to_string(),
                    Ok(list) => list.iter().map(render).collect::<Vec<_>>().join("; "),
                    Err(e) => format!("error: {e}"),
                }
            }
        };
        assert_eq!(actual, expected, "{schedule:?} {window}");
    }

    #[test]
    fn quarter_calendar_days_after() {
        // "Within 10 calendar days after the quarter" (seeds/004): the 10th day, wherever it falls.
        let s = every(Quarter, None, CalendarDaysAfter(10));
        for (window, expected) in [
            (
                "2026-01-01T00:00Z",
                "2025-Q4 2026-01-10 at 2026-01-10T04:00Z",
            ),
            // 01:00 on 1 January in Almaty is still 2025 in UTC.
            (
                "2025-12-31T20:00Z",
                "2025-Q4 2026-01-10 at 2026-01-10T04:00Z",
            ),
            (
                "2026-04-01T00:00Z",
                "2026-Q1 2026-04-10 at 2026-04-10T04:00Z",
            ),
            (
                "2026-04-10T03:59Z",
                "2026-Q1 2026-04-10 at 2026-04-10T04:00Z",
            ),
            // Strictly after: the occurrence itself is not "next".
            (
                "2026-04-10T04:00Z",
                "2026-Q2 2026-07-10 at 2026-07-10T04:00Z",
            ),
            (
                "2026-07-10T04:00Z",
                "2026-Q3 2026-10-10 at 2026-10-10T04:00Z",
            ),
            // Over the year boundary; 10 January 2027 is a Sunday and stays.
            (
                "2026-10-10T04:00Z",
                "2026-Q4 2027-01-10 at 2027-01-10T04:00Z",
            ),
        ] {
            check(&s, window, expected);
        }
    }

    #[test]
    fn quarter_working_days_after() {
        let s = every(Quarter, None, WorkingDaysAfter(1));
        for (window, expected) in [
            // 1-2 January 2026 (Thursday, Friday) are New Year, then a weekend.
            (
                "2025-12-31T00:00Z",
                "2025-Q4 2026-01-05 at 2026-01-05T04:00Z",
            ),
            (
                "2026-03-01T00:00Z",
                "2026-Q1 2026-04-01 at 2026-04-01T04:00Z",
            ),
            (
                "2026-04-01T04:00Z",
                "2026-Q2 2026-07-01 at 2026-07-01T04:00Z",
            ),
            (
                "2026-07-01T04:00Z",
                "2026-Q3 2026-10-01 at 2026-10-01T04:00Z",
            ),
            // 1 January 2027 is a Friday; Saturday 2 January moves to Monday 4 January.
            (
                "2026-10-01T04:00Z",
                "2026-Q4 2027-01-05 at 2027-01-05T04:00Z",
            ),
            (
                "2027-01-05T04:00Z",
                "2027-Q1 2027-04-01 at 2027-04-01T04:00Z",
            ),
        ] {
            check(&s, window, expected);
        }
    }

    #[test]
    fn year_and_month_working_day() {
        // 1 March 2026 is a Sunday; 1 March 2027 a Monday.
        let march = every(Year, Some(3), WorkingDay(1));
        for (window, expected) in [
            ("2026-01-15T00:00Z", "2026 2026-03-02 at 2026-03-02T04:00Z"),
            ("2026-03-02T04:00Z", "2027 2027-03-01 at 2027-03-01T04:00Z"),
            ("2026-12-31T19:00Z", "2027 2027-03-01 at 2027-03-01T04:00Z"),
        ] {
            check(&march, window, expected);
        }
        // 1 February 2026 is a Sunday; 1 February 2027 a Monday.
        let february = every(Year, Some(2), WorkingDay(1));
        check(
            &february,
            "2026-01-01T00:00Z",
            "2026 2026-02-02 at 2026-02-02T04:00Z",
        );
        check(
            &february,
            "2026-02-02T04:00Z",
            "2027 2027-02-01 at 2027-02-01T04:00Z",
        );
        // Without a month: the first working day of the year.
        let year = every(Year, None, WorkingDay(1));
        check(
            &year,
            "2026-06-01T00:00Z",
            "2027 2027-01-05 at 2027-01-05T04:00Z",
        );
        check(
            &every(Year, Some(13), WorkingDay(1)),
            "2026-01-01T00:00Z",
            "error: month 13 of a yearly schedule is not a month (1-12)",
        );
    }

    #[test]
    fn month_offsets() {
        let third = every(Month, None, WorkingDay(3));
        for (window, expected) in [
            // 1-2 January New Year, 7 January Orthodox Christmas: 5, 6, 8.
            (
                "2025-12-31T00:00Z",
                "2026-01 2026-01-08 at 2026-01-08T04:00Z",
            ),
            (
                "2026-03-01T00:00Z",
                "2026-03 2026-03-04 at 2026-03-04T04:00Z",
            ),
            // 1 May Unity Day (Friday): 4, 5, 6.
            (
                "2026-04-30T00:00Z",
                "2026-05 2026-05-06 at 2026-05-06T04:00Z",
            ),
        ] {
            check(&third, window, expected);
        }
        let after = every(Month, None, WorkingDaysAfter(2));
        check(
            &after,
            "2026-03-01T00:00Z",
            "2026-02 2026-03-03 at 2026-03-03T04:00Z",
        );
        check(
            &after,
            "2026-03-15T00:00Z",
            "2026-03 2026-04-02 at 2026-04-02T04:00Z",
        );
        // An offset longer than the period: January's occurrence comes after 1 March.
        let long = every(Month, None, CalendarDaysAfter(45));
        check(
            &long,
            "2026-03-01T00:00Z",
            "2026-01 2026-03-17 at 2026-03-17T04:00Z",
        );
    }

    #[test]
    fn cron_on_a_holiday() {
        // 23 March is always Nauryz; in 2026 the Nauryz days off are 23-25 March (21 and 22
        // March fell on the weekend and moved to 24 and 25).
        let nauryz = |policy| cron("0 0 9 23 3 *", policy);
        check(
            &nauryz(Run),
            "2026-01-01T00:00Z",
            "2026-03-23T09:00 2026-03-23 at 2026-03-23T04:00Z",
        );
        check(
            &nauryz(NextWorkingDay),
            "2026-01-01T00:00Z",
            "2026-03-26T09:00 2026-03-26 at 2026-03-26T04:00Z",
        );
        // 2027: 22-23 March, and 24 March for Sunday 21 March.
        check(
            &nauryz(NextWorkingDay),
            "2026-03-26T04:00Z",
            "2027-03-25T09:00 2027-03-25 at 2027-03-25T04:00Z",
        );
        // Never a working day: skipped until the calendar runs out.
        check(
            &nauryz(Skip),
            "2026-01-01T00:00Z",
            "error: no calendar data or rules for year 2031",
        );
        // `run` does not consult the calendar, so it runs beyond it.
        check(
            &nauryz(Run),
            "2035-01-01T00:00Z",
            "2035-03-23T09:00 2035-03-23 at 2035-03-23T04:00Z",
        );

        // Victory Day, Saturday 9 May 2026, moved to Monday 11 May; 11 May 2027 is working.
        let may_11 = |policy| cron("0 0 9 11 5 *", policy);
        check(
            &may_11(Run),
            "2026-01-01T00:00Z",
            "2026-05-11T09:00 2026-05-11 at 2026-05-11T04:00Z",
        );
        check(
            &may_11(Skip),
            "2026-01-01T00:00Z",
            "2027-05-11T09:00 2027-05-11 at 2027-05-11T04:00Z",
        );
        check(
            &may_11(NextWorkingDay),
            "2026-01-01T00:00Z",
            "2026-05-12T09:00 2026-05-12 at 2026-05-12T04:00Z",
        );
    }

    #[test]
    fn cron_moved_times_collapse() {
        // Daily at 01:00 (20:00 UTC the day before) over Nauryz 2026: Saturday 21 to
        // Wednesday 25 March are days off; their times move to Thursday 26, which has its own.
        let daily = |policy| cron("0 0 1 * * *", policy);
        let window = "2026-03-20T12:00Z..2026-03-27T12:00Z";
        let thursday_friday = "2026-03-26T01:00 2026-03-26 at 2026-03-25T20:00Z; \
                               2026-03-27T01:00 2026-03-27 at 2026-03-26T20:00Z";
        check(&daily(NextWorkingDay), window, thursday_friday);
        check(&daily(Skip), window, thursday_friday);
        check(
            &daily(Run),
            "2026-03-20T12:00Z..2026-03-22T12:00Z",
            "2026-03-21T01:00 2026-03-21 at 2026-03-20T20:00Z; \
             2026-03-22T01:00 2026-03-22 at 2026-03-21T20:00Z",
        );

        // Saturdays only: moved to the next working day, which has no time of its own.
        let saturdays = cron("0 0 9 * * Sat", NextWorkingDay);
        check(
            &saturdays,
            "2026-03-20T00:00Z",
            "2026-03-26T09:00 2026-03-26 at 2026-03-26T04:00Z",
        );
        check(
            &saturdays,
            "2026-03-26T04:00Z",
            "2026-03-30T09:00 2026-03-30 at 2026-03-30T04:00Z",
        );

        // Four weekend times become one, on Monday at the earliest of them — also when
        // asked on Sunday or early on Monday, after some of them have passed.
        let weekend = cron("0 0 9,18 * * Sat,Sun", NextWorkingDay);
        for (window, expected) in [
            (
                "2026-04-03T00:00Z",
                "2026-04-06T09:00 2026-04-06 at 2026-04-06T04:00Z",
            ),
            (
                "2026-04-05T10:00Z",
                "2026-04-06T09:00 2026-04-06 at 2026-04-06T04:00Z",
            ),
            (
                "2026-04-06T03:00Z",
                "2026-04-06T09:00 2026-04-06 at 2026-04-06T04:00Z",
            ),
            (
                "2026-04-06T04:00Z",
                "2026-04-13T09:00 2026-04-13 at 2026-04-13T04:00Z",
            ),
        ] {
            check(&weekend, window, expected);
        }

        // Saturday's times are dropped: Monday has its own, and both of those stay.
        check(
            &cron("0 0 9,18 * * Sat,Mon", NextWorkingDay),
            "2026-04-03T00:00Z..2026-04-07T00:00Z",
            "2026-04-06T09:00 2026-04-06 at 2026-04-06T04:00Z; \
             2026-04-06T18:00 2026-04-06 at 2026-04-06T13:00Z",
        );

        // Seconds show in the key only when they are not zero.
        check(
            &cron("30 0 9 * * *", Run),
            "2026-04-06T00:00Z",
            "2026-04-06T09:00:30 2026-04-06 at 2026-04-06T04:00Z",
        );
    }

    #[test]
    fn catch_up() {
        let s = every(Quarter, None, CalendarDaysAfter(10));
        check(
            &s,
            "2026-01-01T00:00Z..2027-01-01T00:00Z",
            "2025-Q4 2026-01-10 at 2026-01-10T04:00Z; 2026-Q1 2026-04-10 at 2026-04-10T04:00Z; \
             2026-Q2 2026-07-10 at 2026-07-10T04:00Z; 2026-Q3 2026-10-10 at 2026-10-10T04:00Z",
        );
        // `from` is excluded, `to` included: consecutive windows never fire one twice.
        check(
            &s,
            "2026-04-10T04:00Z..2026-07-10T04:00Z",
            "2026-Q2 2026-07-10 at 2026-07-10T04:00Z",
        );
        check(&s, "2026-05-01T00:00Z..2026-05-01T00:00Z", "none");
        check(&s, "2026-05-01T00:00Z..2026-04-01T00:00Z", "none");
        // A window inside the calendar's years needs no day beyond them, even when the next
        // occurrence (10 January 2031) is beyond.
        check(&s, "2030-10-10T04:00Z..2030-12-31T00:00Z", "none");
        // A window past the end of the calendar's data is an error, not a short list.
        check(
            &s,
            "2030-10-10T04:00Z..2031-02-01T00:00Z",
            "error: no calendar data or rules for year 2031",
        );
    }

    #[test]
    fn catch_up_is_bounded_and_resumes() {
        let daily = cron("0 0 1 * * *", Run);
        let (from, to) = (instant("2026-01-01T00:00Z"), instant("2029-12-31T00:00Z"));
        let first = occurrences_between(&daily, kz(), from, to).unwrap();
        assert_eq!(first.len(), MAX_OCCURRENCES);
        assert_eq!(first[0].key, "2026-01-02T01:00");
        let last = first.last().unwrap();
        assert_eq!(last.key, "2028-09-27T01:00");
        let rest = occurrences_between(&daily, kz(), last.at, to).unwrap();
        assert_eq!(rest[0].key, "2028-09-28T01:00");
        // 01:00 on 31 December in Almaty is 20:00 UTC on the 30th: inside the window.
        assert_eq!(rest.last().unwrap().key, "2029-12-31T01:00");
    }
}
