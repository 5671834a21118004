//! Evidence: what a computed deadline carries so that it can explain itself.
//!
//! A [`Deadline`] goes into the case history as JSON and is shown to a clerk, a citizen or
//! an appeal body as English lines ([`std::fmt::Display`]). It names the calendar version
//! it was computed under, every day it skipped and why, and every day it counted, so that
//! anyone can redo the count by hand.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Calendar, Error};

/// Which calendar data a computation used.
///
/// Two computations with equal versions used exactly the same facts. A new transfer order
/// (or any other change of a fact in the files) gives a new `hash`; the `latest_order`
/// date makes the difference readable to a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CalendarVersion {
    /// The calendar id (`kz`).
    pub id: String,
    /// A 16-hex-digit FNV-1a hash of `rules.yaml` and every year file as parsed (comments
    /// and layout do not count; every value does).
    pub hash: String,
    /// The publication date of the latest transfer order (its signing date where the
    /// publication date is not recorded); `None` when no order is recorded at all.
    pub latest_order: Option<NaiveDate>,
}

impl fmt::Display for CalendarVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} version {}", self.id, self.hash)?;
        if let Some(d) = self.latest_order {
            write!(f, " (latest transfer order dated {d})")?;
        }
        Ok(())
    }
}

/// Why a day is working or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// An ordinary working day.
    Working,
    /// A weekly rest day made a working day by an order, in exchange for `day_off`.
    WorkingByOrder {
        /// The order, as a person cites it.
        order: String,
        /// The weekday that became a day off in exchange.
        day_off: NaiveDate,
    },
    /// A weekly rest day (Saturday or Sunday).
    Weekend,
    /// A public holiday.
    Holiday {
        /// The holiday's id in the rules (`nauryz`).
        holiday: String,
        /// Its English name.
        name: String,
    },
    /// The day off owed for a holiday that fell on a weekly rest day.
    HolidayMoved {
        /// The holiday's id.
        holiday: String,
        /// Its English name.
        name: String,
        /// The rest day the holiday fell on.
        from: NaiveDate,
    },
    /// A day off created by an order, in exchange for `working_day`.
    DayOffByOrder {
        /// The order, as a person cites it.
        order: String,
        /// The rest day that became a working day in exchange.
        working_day: NaiveDate,
    },
}

impl Reason {
    /// Whether a day with this reason is a working day.
    pub fn is_working(&self) -> bool {
        matches!(self, Reason::Working | Reason::WorkingByOrder { .. })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Working => write!(f, "working day"),
            Reason::WorkingByOrder { order, day_off } => write!(
                f,
                "working day by {order}, in exchange for the day off on {}",
                day(*day_off)
            ),
            Reason::Weekend => write!(f, "weekly rest day"),
            Reason::Holiday { name, .. } => write!(f, "public holiday: {name}"),
            Reason::HolidayMoved { name, from, .. } => write!(
                f,
                "day off for {name} of {}, which fell on a weekly rest day",
                day(*from)
            ),
            Reason::DayOffByOrder { order, working_day } => write!(
                f,
                "day off by {order}, in exchange for {} made a working day",
                day(*working_day)
            ),
        }
    }
}

/// One day of the calendar and why it is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayInfo {
    /// The date.
    pub date: NaiveDate,
    /// Whether it is a working day.
    pub working: bool,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for DayInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", day(self.date), self.reason)
    }
}

/// A non-working day a count passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDay {
    /// The date.
    pub date: NaiveDate,
    /// Why it was not counted.
    pub reason: Reason,
}

/// The counting rule of a deadline, with its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// The `days`-th working day strictly after `from` (`from` itself is not counted, as
    /// in "the day of acceptance is not counted"). With 0 days: `from` if it is a working
    /// day, else the next working day.
    WorkingDaysAfter {
        /// The count.
        days: u32,
    },
    /// The `days`-th working day strictly before `from`, for "no later than N working
    /// days before X". With 0 days: `from` if it is a working day, else the working day
    /// before it.
    WorkingDaysBefore {
        /// The count.
        days: u32,
    },
    /// `from` plus `days` calendar days, wherever that lands.
    CalendarDaysAfter {
        /// The count.
        days: u32,
    },
    /// `from` plus `days` calendar days; an end on a non-working day moves to the next
    /// working day (the Civil Code's roll-forward of a term ending on a day off).
    CalendarDaysAfterRolling {
        /// The count.
        days: u32,
    },
}

impl Rule {
    fn describe(&self, from: NaiveDate) -> String {
        let from = day(from);
        match *self {
            Rule::WorkingDaysAfter { days: 0 } => {
                format!(
                    "0 working days after {from}: that day if it is a working day, else the next working day"
                )
            }
            Rule::WorkingDaysAfter { days } => {
                format!(
                    "{days} {} after {from}, that day not counted",
                    plural(days, "working day")
                )
            }
            Rule::WorkingDaysBefore { days: 0 } => {
                format!(
                    "0 working days before {from}: that day if it is a working day, else the working day before it"
                )
            }
            Rule::WorkingDaysBefore { days } => {
                format!(
                    "{days} {} before {from}, that day not counted",
                    plural(days, "working day")
                )
            }
            Rule::CalendarDaysAfter { days } => format!(
                "{days} {} after {from}, that day not counted; the term ends on whatever day it lands",
                plural(days, "calendar day")
            ),
            Rule::CalendarDaysAfterRolling { days } => format!(
                "{days} {} after {from}, that day not counted; an end on a non-working day moves to the next working day",
                plural(days, "calendar day")
            ),
        }
    }
}

/// A computed deadline with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The date counted from (not itself counted, except as described for 0 days).
    pub from: NaiveDate,
    /// The rule applied.
    pub rule: Rule,
    /// The deadline: the last day of the term.
    pub result: NaiveDate,
    /// The calendar version the computation used.
    pub calendar: CalendarVersion,
    /// Whether any day the computation looked at lies in a provisional year, so that the
    /// deadline may change when that year's facts are published.
    pub provisional: bool,
    /// The non-working days passed over, in the order met.
    pub skipped: Vec<SkippedDay>,
    /// The days counted, in the order counted.
    pub counted: Vec<NaiveDate>,
}

impl Deadline {
    /// Recomputes this deadline under another calendar version (e.g. after a new transfer
    /// order), keeping both computations; see the module docs for the policy.
    pub fn recompute(&self, calendar: &Calendar) -> Result<Recomputation, Error> {
        let current = calendar.apply(self.rule, self.from)?;
        let effective = self.result.max(current.result);
        Ok(Recomputation {
            previous: self.clone(),
            current,
            effective,
        })
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "deadline {}", day(self.result))?;
        writeln!(f, "rule: {}", self.rule.describe(self.from))?;
        write!(f, "calendar: {}", self.calendar)?;
        if self.provisional {
            write!(
                f,
                "\nprovisional: some days lie in a year whose facts are not all published; \
                 the deadline is recomputed when they are"
            )?;
        }
        // Skipped and counted days in the order the count met them.
        let backwards = matches!(self.rule, Rule::WorkingDaysBefore { .. });
        let mut lines: Vec<(NaiveDate, String)> = self
            .skipped
            .iter()
            .map(|s| (s.date, format!("skipped {}: {}", day(s.date), s.reason)))
            .collect();
        let what = match self.rule {
            Rule::WorkingDaysAfter { .. } | Rule::WorkingDaysBefore { .. } => "working",
            _ => "calendar",
        };
        lines.extend(
            self.counted
                .iter()
                .enumerate()
                .map(|(i, d)| (*d, format!("counted {}: {what} day {}", day(*d), i + 1))),
        );
        lines.sort_by_key(|(d, _)| *d);
        if backwards {
            lines.reverse();
        }
        for (_, line) in lines {
            write!(f, "\n{line}")?;
        }
        Ok(())
    }
}

/// A deadline recomputed under a new calendar version.
///
/// Both computations are kept as evidence; `effective` is the later of the two results,
/// because nobody may lose time already promised (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recomputation {
    /// The deadline as first computed (and perhaps already told to the citizen).
    pub previous: Deadline,
    /// The deadline under the new calendar version.
    pub current: Deadline,
    /// The deadline that applies: the later of the two results.
    pub effective: NaiveDate,
}

impl Recomputation {
    /// Whether the new calendar moved the deadline at all.
    pub fn changed(&self) -> bool {
        self.previous.result != self.current.result
    }
}

impl fmt::Display for Recomputation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "effective deadline {} (the later of {} under {} and {} under {})",
            day(self.effective),
            day(self.previous.result),
            self.previous.calendar,
            day(self.current.result),
            self.current.calendar
        )?;
        writeln!(f, "previous computation:")?;
        writeln!(f, "{}", self.previous)?;
        writeln!(f, "current computation:")?;
        write!(f, "{}", self.current)
    }
}

/// A date as the evidence lines write it: `2026-03-21 (Sat)`.
pub(crate) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d (%a)").to_string()
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
