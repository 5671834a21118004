//! The working-day calendar: deadlines counted the way the law counts them.
//!
//! Every term in the service rules is in working or calendar days: "5 working days, the day
//! of acceptance is not counted" (seed 004, appendix 2 row 5), "no later than 3 working
//! days before the decision" and "an objection within 2 working days" (seed 001 item 12),
//! "within 10 calendar days after the quarter" (seed 004). A deadline one day off is a
//! broken law and a valid complaint, so this module computes them from data a
//! methodologist maintains, and every result explains itself.
//!
//! # Data
//!
//! `calendars/<id>/rules.yaml` holds what holds every year until the law changes: the time
//! zone, the weekly rest days, the public holidays with the years they are in force and
//! whether they move off a weekend, the office-hour profiles, and the horizon of years the
//! rules may be applied to. `calendars/<id>/<year>.yaml` holds the facts of one year: the
//! dates set each year (Kurban Ait), the transfer orders and the days they move. Adding a
//! year is adding one file; nothing about a specific year is written in Rust.
//!
//! Loading is two-phase: the raw YAML (`data.rs`) is checked and compiled (`rules.rs`) into
//! a [`Calendar`], a table of every day of the horizon with its kind. All arithmetic
//! (`arith.rs`, `office.rs`) reads that table only. The order in which holidays, moves off
//! weekends and transfer orders are applied is documented in `rules.rs`.
//!
//! A year inside the horizon without a year file is computed from the rules alone and is
//! **provisional**: no transfer orders, and no dates that are set each year. A year file
//! can also declare itself provisional (`provisional: <why>`), e.g. when its Kurban Ait
//! date is an astronomical forecast. Provisional years are reported by
//! [`Calendar::year_status`], flagged in every [`Deadline`] that touches them, and warned
//! about by the CLI. A year outside the horizon is [`Error::NoData`].
//!
//! # Meanings
//!
//! - A **working day** is a day that is not a weekly rest day, not a public holiday, not a
//!   day off owed for a holiday that fell on a rest day, and not a day off by an order;
//!   or a rest day an order made working.
//! - [`Calendar::add_working_days`]`(from, n)`: the `n`-th working day strictly after
//!   `from`. [`Calendar::subtract_working_days`]`(x, n)`: the `n`-th working day strictly
//!   before `x`. [`Calendar::add_calendar_days`] lands wherever it lands;
//!   [`Calendar::add_calendar_days_rolling`] moves an end on a non-working day forward.
//!   [`Calendar::working_days_between`]`(a, b)` counts working days in `(a, b]`.
//! - [`Calendar::acceptance_date`] turns the moment an application arrived into the day it
//!   counts as accepted, per office profile; office hours are not the working-day calendar
//!   (a duty office is open on ordinary Saturdays), see [`OfficeProfile`] and `office.rs`.
//!
//! # Calendar changes
//!
//! A new transfer order published mid-year, or any other change of a fact in the files,
//! makes a new [`CalendarVersion`]. The policy for deadlines already computed for open
//! cases: each is recomputed under the new version with [`Deadline::recompute`]; both
//! computations are kept in the case history as evidence, and the **effective deadline is
//! the later of the two**, because nobody — neither the citizen who was told a date nor the
//! clerk — may lose time already promised. For a "no later than N working days before X"
//! deadline the later date favours the official who must act by it; the notice the citizen
//! gets is protected by recomputing X itself, which is an "after" deadline.
//!
//! **Architecture Invariant:** the calendar does no IO after [`Calendar::load`] and knows
//! nothing about cases or workflows; it maps dates to dates with evidence.

mod arith;
mod data;
mod error;
mod evidence;
mod office;
mod rules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;

pub use error::Error;
pub use evidence::{CalendarVersion, DayInfo, Deadline, Reason, Recomputation, Rule, SkippedDay};
pub use office::{Interval, OfficeProfile};

/// The environment variable naming the directory that holds the calendars.
pub const DIR_VAR: &str = "QYZMET_CALENDAR_DIR";

/// The calendar used when none is named: the Republic of Kazakhstan.
pub const DEFAULT_ID: &str = "kz";

/// Parses a date written as `YYYY-MM-DD` (exactly: four-digit year, two-digit month and
/// day), the one form dates take in the calendar files and on the command line.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    rules::iso_date(text)
}

/// A name in Kazakh, Russian and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

/// A public holiday of the rules.
#[derive(Debug, Clone)]
pub struct Holiday {
    /// Its id (`nauryz`).
    pub id: String,
    /// Its names.
    pub names: Names,
    /// Whether a day of it on a weekly rest day gives a day off on the next working day.
    pub moves_off_weekend: bool,
    /// Its legal basis.
    pub basis: String,
}

/// Who issued a transfer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// The Government (a resolution, постановление).
    Government,
    /// The Ministry of Labour and Social Protection (an order, приказ).
    Ministry,
}

/// An order that moved days off.
#[derive(Debug, Clone)]
pub struct Order {
    /// Its id in the year file.
    pub id: String,
    /// Who issued it.
    pub issuer: Issuer,
    /// Its number, where the source gives one.
    pub number: Option<String>,
    /// When it was signed, where known.
    pub date: Option<NaiveDate>,
    /// When it was first officially published, where known.
    pub published: Option<NaiveDate>,
    /// The earliest public report of it found, where its own dates are unknown.
    pub reported: Option<NaiveDate>,
    /// Its title.
    pub title: String,
    /// Where it can be read.
    pub source: String,
}

impl Order {
    /// The order as a person cites it: "Government resolution No. 713 of 2021-10-06".
    ///
    /// Where the sources give no number or no signing date, the label says so rather than
    /// leaving a gap a reader might fill with a guess.
    pub fn label(&self) -> String {
        let kind = match self.issuer {
            Issuer::Government => "Government resolution",
            Issuer::Ministry => "Ministry of Labour order",
        };
        let number = match &self.number {
            Some(n) => format!(" No. {n}"),
            None => String::new(),
        };
        match (self.date, self.reported) {
            (Some(d), _) => format!("{kind}{number} of {d}"),
            (None, Some(r)) => format!("{kind}{number} reported on {r}"),
            (None, None) => match self.published {
                Some(p) => format!("{kind}{number} published on {p}"),
                None => format!("{kind}{number}"),
            },
        }
    }

    /// The date the calendar version is stamped with for this order: its publication,
    /// else its signing, else its earliest report.
    pub fn dated(&self) -> Option<NaiveDate> {
        self.published.or(self.date).or(self.reported)
    }
}

/// What a day is, compactly; indexes point into the calendar's holidays and orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Day {
    Working,
    Rest,
    Holiday(u16),
    Moved { holiday: u16, from: NaiveDate },
    OffByOrder { order: u16, working_day: NaiveDate },
    WorkingByOrder { order: u16, day_off: NaiveDate },
}

/// A compiled working-day calendar: every day of its horizon, with why it is what it is.
#[derive(Debug, Clone)]
pub struct Calendar {
    id: String,
    names: Names,
    version: CalendarVersion,
    zone: Tz,
    rest_days: Vec<Weekday>,
    /// 1 January of the first year of the horizon; `days[0]` is this day.
    start: NaiveDate,
    days: Vec<Day>,
    holidays: Vec<Holiday>,
    orders: Vec<Order>,
    /// Every year of the horizon: `None` when definitive, `Some(why)` when provisional.
    years: BTreeMap<i32, Option<String>>,
    profiles: BTreeMap<String, OfficeProfile>,
}

impl Calendar {
    /// Loads calendar `id` from `dir/<id>/`: `rules.yaml` and every `<year>.yaml`.
    ///
    /// Every mistake in the files is reported as a [`crate::diagnostic::Diagnostic`] with
    /// `file:line:column` in [`Error::Invalid`], all of them at once.
    pub fn load(dir: &Path, id: &str) -> Result<Calendar, Error> {
        rules::load(dir, id)
    }

    /// Loads the default calendar ([`DEFAULT_ID`]) from [`Calendar::default_dir`].
    pub fn load_default() -> Result<Calendar, Error> {
        Self::load(&Self::default_dir(), DEFAULT_ID)
    }

    /// `$QYZMET_CALENDAR_DIR` when set and not empty, else `calendars` (relative to the
    /// working directory, i.e. the repository root in development).
    pub fn default_dir() -> PathBuf {
        match std::env::var_os(DIR_VAR) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from("calendars"),
        }
    }

    /// The calendar's id (`kz`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the calendar is, in three languages.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The version of the data this calendar was compiled from.
    pub fn version(&self) -> &CalendarVersion {
        &self.version
    }

    /// The time zone office hours and acceptance times are read in (`Asia/Almaty`).
    pub fn time_zone(&self) -> Tz {
        self.zone
    }

    /// The public holidays of the rules.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The transfer orders of all year files, year by year.
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }

    /// The first and last day the calendar covers.
    pub fn range(&self) -> (NaiveDate, NaiveDate) {
        let last = self
            .start
            .checked_add_days(chrono::Days::new(self.days.len().saturating_sub(1) as u64))
            .unwrap_or(self.start);
        (self.start, last)
    }

    /// Whether `year` is covered and how: `Ok(None)` when definitive, `Ok(Some(why))` when
    /// provisional, [`Error::NoData`] when there is neither data nor a rule for it.
    pub fn year_status(&self, year: i32) -> Result<Option<&str>, Error> {
        self.years
            .get(&year)
            .map(Option::as_deref)
            .ok_or(Error::NoData { year })
    }

    /// The kind of `date`, or [`Error::NoData`] outside the horizon.
    pub(crate) fn day(&self, date: NaiveDate) -> Result<Day, Error> {
        usize::try_from((date - self.start).num_days())
            .ok()
            .and_then(|i| self.days.get(i).copied())
            .ok_or_else(|| Error::no_data(date))
    }

    pub(crate) fn reason(&self, day: Day) -> Reason {
        let holiday = |h: u16| &self.holidays[h as usize];
        let order = |o: u16| self.orders[o as usize].label();
        match day {
            Day::Working => Reason::Working,
            Day::Rest => Reason::Weekend,
            Day::Holiday(h) => Reason::Holiday {
                holiday: holiday(h).id.clone(),
                name: holiday(h).names.en.clone(),
            },
            Day::Moved { holiday: h, from } => Reason::HolidayMoved {
                holiday: holiday(h).id.clone(),
                name: holiday(h).names.en.clone(),
                from,
            },
            Day::OffByOrder {
                order: o,
                working_day,
            } => Reason::DayOffByOrder {
                order: order(o),
                working_day,
            },
            Day::WorkingByOrder { order: o, day_off } => Reason::WorkingByOrder {
                order: order(o),
                day_off,
            },
        }
    }

    /// The years of the horizon, each with `Some(why)` when provisional.
    pub fn years(&self) -> impl Iterator<Item = (i32, Option<&str>)> {
        self.years.iter().map(|(y, p)| (*y, p.as_deref()))
    }

    /// The provisional years among those `from..=to` touches, with why; empty when none.
    pub fn provisional_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<(i32, &str)> {
        let (lo, hi) = if from <= to { (from, to) } else { (to, from) };
        (lo.year()..=hi.year())
            .filter_map(|y| match self.years.get(&y) {
                Some(Some(why)) => Some((y, why.as_str())),
                _ => None,
            })
            .collect()
    }
}
