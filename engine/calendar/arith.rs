//! Working-day and calendar-day arithmetic over a compiled [`Calendar`].
//!
//! Every operation looks each day up in the calendar and fails with
//! [`Error::NoData`] as soon as it would need a day outside the covered years: a deadline
//! is never computed against missing data, and nothing here panics on a date.

use chrono::{Datelike, Days, NaiveDate};

use super::evidence::{DayInfo, Deadline, Reason, Rule, SkippedDay};
use super::{Calendar, Day, Error};

impl Calendar {
    /// Whether `date` is a working day: a day that counts in a term of working days.
    pub fn is_working(&self, date: NaiveDate) -> Result<bool, Error> {
        Ok(self.day(date)?.is_working())
    }

    /// Whether `date` is a working day, and why (or why not).
    pub fn day_info(&self, date: NaiveDate) -> Result<DayInfo, Error> {
        let day = self.day(date)?;
        Ok(DayInfo {
            date,
            working: day.is_working(),
            reason: self.reason(day),
        })
    }

    /// Every day of `year` with its reason, in order.
    pub fn days_in_year(&self, year: i32) -> Result<Vec<DayInfo>, Error> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(Error::NoData { year })?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or(Error::NoData { year })?;
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| self.day_info(d))
            .collect()
    }

    /// Every non-working date of `year`, weekly rest days included, ascending.
    pub fn non_working_dates(&self, year: i32) -> Result<Vec<NaiveDate>, Error> {
        Ok(self
            .days_in_year(year)?
            .into_iter()
            .filter(|d| !d.working)
            .map(|d| d.date)
            .collect())
    }

    /// The weekly rest days of `year` made working days by an order, ascending.
    ///
    /// A weekday the law had made a day off and an order made working again (2020-05-11)
    /// is not a weekend date and is not listed; [`Calendar::day_info`] explains it.
    pub fn working_weekends(&self, year: i32) -> Result<Vec<NaiveDate>, Error> {
        Ok(self
            .days_in_year(year)?
            .into_iter()
            .filter(|d| {
                matches!(d.reason, Reason::WorkingByOrder { .. })
                    && self.rest_days.contains(&d.date.weekday())
            })
            .map(|d| d.date)
            .collect())
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> Result<NaiveDate, Error> {
        self.day(date)?;
        let mut d = date;
        loop {
            d = step(d, 1)?;
            if self.is_working(d)? {
                return Ok(d);
            }
        }
    }

    /// The `n`-th working day strictly after `from`: `from` itself is never counted ("the
    /// day of acceptance is not counted"), and the result is always a working day.
    ///
    /// `n = 0` returns `from` when it is a working day, else the next working day: a term
    /// of zero days ends on the first day that could count.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<Deadline, Error> {
        self.count_working(from, n, 1, Rule::WorkingDaysAfter { days: n })
    }

    /// The `n`-th working day strictly before `before`, for "no later than `n` working days
    /// before X": `before` itself is not counted, and the result is always a working day.
    ///
    /// `n = 0` returns `before` when it is a working day, else the working day before it.
    pub fn subtract_working_days(&self, before: NaiveDate, n: u32) -> Result<Deadline, Error> {
        self.count_working(before, n, -1, Rule::WorkingDaysBefore { days: n })
    }

    /// `from` plus `n` calendar days, wherever that lands, non-working days included.
    ///
    /// A term in calendar days ends on the day it lands on; it moves to the next working
    /// day only where a rule says so, and then [`Calendar::add_calendar_days_rolling`] is
    /// the operation to use.
    pub fn add_calendar_days(&self, from: NaiveDate, n: u32) -> Result<Deadline, Error> {
        let (counted, result) = self.calendar_days(from, n)?;
        Ok(self.deadline(
            from,
            Rule::CalendarDaysAfter { days: n },
            result,
            Vec::new(),
            counted,
        ))
    }

    /// `from` plus `n` calendar days; when that lands on a non-working day, the term ends on
    /// the next working day instead (the Civil Code's rule for a term whose last day is a
    /// day off). The days rolled over are listed as skipped.
    pub fn add_calendar_days_rolling(&self, from: NaiveDate, n: u32) -> Result<Deadline, Error> {
        let (counted, mut result) = self.calendar_days(from, n)?;
        let mut skipped = Vec::new();
        loop {
            let day = self.day(result)?;
            if day.is_working() {
                break;
            }
            skipped.push(SkippedDay {
                date: result,
                reason: self.reason(day),
            });
            result = step(result, 1)?;
        }
        Ok(self.deadline(
            from,
            Rule::CalendarDaysAfterRolling { days: n },
            result,
            skipped,
            counted,
        ))
    }

    /// The number of working days `d` with `a < d <= b`: the days a term running from `a`
    /// has used by the end of `b`. When `b` is before `a` the count is negative: minus the
    /// working days `d` with `b < d <= a`, so that `between(a, b) == -between(b, a)` and
    /// `between(d, add_working_days(d, n)) == n` for every `n >= 1`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, Error> {
        self.day(a)?;
        self.day(b)?;
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut count = 0i64;
        let mut d = lo;
        while d < hi {
            d = step(d, 1)?;
            if self.is_working(d)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }

    /// Applies a rule from a date: the one entry point [`Deadline::recompute`] needs.
    pub fn apply(&self, rule: Rule, from: NaiveDate) -> Result<Deadline, Error> {
        match rule {
            Rule::WorkingDaysAfter { days } => self.add_working_days(from, days),
            Rule::WorkingDaysBefore { days } => self.subtract_working_days(from, days),
            Rule::CalendarDaysAfter { days } => self.add_calendar_days(from, days),
            Rule::CalendarDaysAfterRolling { days } => self.add_calendar_days_rolling(from, days),
        }
    }

    /// Counts `n` working days from `from` in direction `dir` (+1 forward, -1 back).
    fn count_working(
        &self,
        from: NaiveDate,
        n: u32,
        dir: i64,
        rule: Rule,
    ) -> Result<Deadline, Error> {
        let mut skipped = Vec::new();
        let mut counted = Vec::new();
        let mut d = from;
        if n == 0 {
            loop {
                let day = self.day(d)?;
                if day.is_working() {
                    break;
                }
                skipped.push(SkippedDay {
                    date: d,
                    reason: self.reason(day),
                });
                d = step(d, dir)?;
            }
        } else {
            self.day(from)?;
            while counted.len() < n as usize {
                d = step(d, dir)?;
                let day = self.day(d)?;
                if day.is_working() {
                    counted.push(d);
                } else {
                    skipped.push(SkippedDay {
                        date: d,
                        reason: self.reason(day),
                    });
                }
            }
        }
        Ok(self.deadline(from, rule, d, skipped, counted))
    }

    fn calendar_days(&self, from: NaiveDate, n: u32) -> Result<(Vec<NaiveDate>, NaiveDate), Error> {
        self.day(from)?;
        let result = from
            .checked_add_days(Days::new(u64::from(n)))
            .ok_or(Error::NoData {
                year: from.year() + 1,
            })?;
        self.day(result)?;
        let counted = from.iter_days().skip(1).take(n as usize).collect();
        Ok((counted, result))
    }

    fn deadline(
        &self,
        from: NaiveDate,
        rule: Rule,
        result: NaiveDate,
        skipped: Vec<SkippedDay>,
        counted: Vec<NaiveDate>,
    ) -> Deadline {
        let (lo, hi) = if from <= result {
            (from, result)
        } else {
            (result, from)
        };
        let provisional =
            (lo.year()..=hi.year()).any(|y| self.years.get(&y).is_some_and(Option::is_some));
        Deadline {
            from,
            rule,
            result,
            calendar: self.version.clone(),
            provisional,
            skipped,
            counted,
        }
    }
}

/// The day `dir` days after `d` (before, when negative); `NoData` past the end of time.
fn step(d: NaiveDate, dir: i64) -> Result<NaiveDate, Error> {
    let next = if dir >= 0 {
        d.checked_add_days(Days::new(dir as u64))
    } else {
        d.checked_sub_days(Days::new(dir.unsigned_abs()))
    };
    next.ok_or(Error::NoData {
        year: d.year() + dir.signum() as i32,
    })
}

impl Day {
    pub(crate) fn is_working(self) -> bool {
        matches!(self, Day::Working | Day::WorkingByOrder { .. })
    }
}
