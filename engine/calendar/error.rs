//! The one error type of the calendar module, read as `calendar::Error`.

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveDateTime};

use crate::diagnostic::Diagnostic;

/// Everything that can go wrong when loading a calendar or computing with it.
///
/// All arithmetic is total over the dates the calendar covers; a date outside them is
/// [`Error::NoData`], never a panic, because a deadline computed against missing data
/// would be a silent legal error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The date (or a date the computation had to reach) is in a year that has neither a
    /// year file nor rules that cover it.
    #[error("no calendar data or rules for year {year}")]
    NoData {
        /// The year asked for.
        year: i32,
    },
    /// The calendar files could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        message: String,
    },
    /// The calendar files have mistakes; each diagnostic says where (`file:line:column`).
    #[error("{}", join(.0))]
    Invalid(Vec<Diagnostic>),
    /// An office profile the rules do not define.
    #[error("unknown office profile `{name}`{}", hint.as_ref().map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default())]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The closest defined profile, if any is close.
        hint: Option<String>,
    },
    /// A local time that does not exist (skipped by a clock change) in the calendar's zone.
    #[error("{time} does not exist in time zone {zone}")]
    NonexistentTime {
        /// The local time asked for.
        time: NaiveDateTime,
        /// The zone.
        zone: String,
    },
    /// An office profile with no opening hours at all, so no minute can ever be counted.
    #[error("office profile `{0}` is never open")]
    NeverOpen(String),
}

impl Error {
    /// The error for a date outside the calendar.
    pub(crate) fn no_data(date: NaiveDate) -> Self {
        use chrono::Datelike;
        Error::NoData { year: date.year() }
    }
}

fn join(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
