//! The raw form of the calendar files: what a methodologist wrote, field for field.
//!
//! These structs only mirror the YAML (`deny_unknown_fields`, so a misspelt key is an
//! error with a "did you mean" hint from [`crate::yaml`]). Dates, month-days and office
//! hours are kept as the strings that were written: `rules.rs` parses them, so that
//! a bad date is reported at its own line and column with a message a person can act on,
//! rather than as a serde error. Nothing outside the `calendar` module sees these types.
//!
//! **Architecture Invariant:** the raw form knows nothing about any particular year; the
//! facts of a year live in the year files, never in Rust.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A name in the three languages the calendar is read in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNames {
    /// Kazakh, the state language.
    pub kk: String,
    /// Russian, the language of the legal texts the clerks mostly read.
    pub ru: String,
    /// English, the language of the evidence lines and of this code.
    pub en: String,
}

/// `calendars/<id>/rules.yaml`: the rules that hold every year until the law changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    /// The calendar's id; must equal the directory name, so a copied folder is noticed.
    pub calendar: String,
    /// What the calendar is (the country, the legal regime), for people.
    pub name: RawNames,
    /// The IANA time zone in which office hours and acceptance times are read.
    pub time_zone: String,
    /// The weekly rest days (`saturday`, `sunday`, …) under the five-day working week.
    pub weekly_rest_days: Vec<String>,
    /// The years this calendar can be computed for at all.
    pub horizon: RawHorizon,
    /// The public holidays, each with the years it is in force.
    pub holidays: Vec<RawHoliday>,
    /// Office-hour profiles by name (`standard`, `duty`, …).
    pub office_profiles: BTreeMap<String, RawOfficeProfile>,
}

/// The years the rules cover; a year outside has no calendar at all.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHorizon {
    /// The first year that can be computed.
    pub from_year: i32,
    /// The last year that can be computed; years without a year file are provisional.
    pub until_year: i32,
}

/// One public holiday as the law names it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHoliday {
    /// A stable id (`nauryz`, `kurban_ait`), used in evidence and in the year files.
    pub id: String,
    /// The holiday's name.
    pub name: RawNames,
    /// Fixed dates as `MM-DD`; absent when the date is set each year (`per_year`).
    #[serde(default)]
    pub dates: Option<Vec<String>>,
    /// `true` when the date is set each year and written in the year file under `dates`.
    #[serde(default)]
    pub per_year: bool,
    /// Whether a day of this holiday falling on a weekly rest day gives a day off on the
    /// next working day (the Law "On holidays" art. 5); religious holidays do not move.
    pub moves_off_weekend: bool,
    /// The first year the holiday is in force; absent means "always, within the horizon".
    #[serde(default)]
    pub from_year: Option<i32>,
    /// The last year the holiday is in force; absent means "still in force".
    #[serde(default)]
    pub until_year: Option<i32>,
    /// The legal basis, quoted in evidence and read by whoever audits the calendar.
    pub basis: String,
}

/// An office-hour profile: when a front office is open.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOfficeProfile {
    /// What kind of office uses the profile.
    pub name: RawNames,
    /// Opening intervals (`"09:00-18:00"`) on every working day of the calendar.
    pub on_working_days: Vec<String>,
    /// Opening intervals on weekly rest days that are not holidays, by weekday name.
    #[serde(default)]
    pub on_rest_days: BTreeMap<String, Vec<String>>,
}

/// `calendars/<id>/<year>.yaml`: the facts of one year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawYear {
    /// The year; must equal the file name.
    pub year: i32,
    /// When set, the year is provisional and this says why (e.g. a forecast date).
    #[serde(default)]
    pub provisional: Option<String>,
    /// The dates of the holidays set each year (`kurban_ait: 2026-05-27`), by holiday id.
    #[serde(default)]
    pub dates: BTreeMap<String, String>,
    /// The orders that moved days off this year.
    #[serde(default)]
    pub orders: Vec<RawOrder>,
    /// The days moved: each a weekday made a day off and a rest day made working.
    #[serde(default)]
    pub transfers: Vec<RawTransfer>,
}

/// A government resolution or ministry order moving days off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrder {
    /// A short id the transfers refer to.
    pub id: String,
    /// Who issued it: `government` (a resolution) or `ministry` (an order of the Ministry
    /// of Labour, which has moved days off since 2024).
    pub issuer: String,
    /// The registration number, when the source gives it.
    #[serde(default)]
    pub number: Option<String>,
    /// The date it was signed (`YYYY-MM-DD`), when the sources give it.
    #[serde(default)]
    pub date: Option<String>,
    /// The date of its first official publication, when known; a calendar version is
    /// dated by the latest publication (or signing, or report, when that is all we have).
    #[serde(default)]
    pub published: Option<String>,
    /// When neither date is known: the date of the earliest public report of the order
    /// found, so the order is still dated by something true rather than by a guess.
    #[serde(default)]
    pub reported: Option<String>,
    /// Its title.
    pub title: String,
    /// Where its text (or a report of it) can be read.
    pub source: String,
}

/// One move of a day off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransfer {
    /// The day that becomes a day off (normally a weekday).
    pub day_off: String,
    /// The day that becomes a working day (a weekend day, or a day off the law had moved).
    pub working_day: String,
    /// The id of the order in `orders`.
    pub order: String,
}
