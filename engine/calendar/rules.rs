//! Loading: the raw YAML of a calendar directory compiled into a [`Calendar`].
//!
//! The order of the computation is the order of the law:
//!
//! 1. every day is a working day or a weekly rest day (`weekly_rest_days`);
//! 2. the public holidays in force that year are laid on top (fixed `MM-DD` dates from
//!    `rules.yaml`, dates set each year from the year file's `dates`);
//! 3. each day of a moving holiday that falls on a weekly rest day gives one day off on the
//!    next day that is still a working day after steps 1–3 so far, taken in date order
//!    (Law "On holidays" art. 5; Labour Code art. 85): Nauryz on Saturday–Monday gives
//!    Tuesday and Wednesday, not Monday twice;
//! 4. the transfer orders of the year are applied last, because the government writes them
//!    against the calendar of steps 1–3 (2020: the day off the law gave on Monday 11 May
//!    was moved to Friday 8 May).
//!
//! Every check reports a [`Diagnostic`] at the offending node; all of them are collected
//! so a methodologist sees every mistake of an edit at once.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;

use super::data::{RawHoliday, RawOfficeProfile, RawRules, RawYear};
use super::evidence::CalendarVersion;
use super::office::{Interval, OfficeProfile};
use super::{Calendar, Day, Error, Holiday, Issuer, Names, Order};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::yaml::{self, Document};

/// Loads `dir/<id>/rules.yaml` and every `dir/<id>/<year>.yaml`.
pub(super) fn load(dir: &Path, id: &str) -> Result<Calendar, Error> {
    let root = dir.join(id);
    let entries = std::fs::read_dir(&root).map_err(|e| Error::Io {
        path: root.clone(),
        message: format!("{e} (no calendar `{id}` in {})", dir.display()),
    })?;
    let mut year_files: BTreeMap<i32, PathBuf> = BTreeMap::new();
    let mut diags = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io {
            path: root.clone(),
            message: e.to_string(),
        })?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if stem == "rules" {
            continue;
        }
        match stem.parse::<i32>() {
            Ok(year) if stem.len() == 4 => {
                year_files.insert(year, path);
            }
            _ => diags.push(
                Diagnostic::new(&path, 1, 1, "not a calendar file name").with_hint(
                    "a calendar directory holds `rules.yaml` and one `YYYY.yaml` per year",
                ),
            ),
        }
    }

    let rules_path = root.join("rules.yaml");
    let rules_doc = yaml::read(&rules_path).map_err(Error::Invalid)?;
    let raw_rules: RawRules = rules_doc
        .deserialize()
        .map_err(|d| Error::Invalid(vec![d]))?;
    let rules = compile_rules(&rules_doc, &raw_rules, id, &mut diags);

    let mut years = Vec::new();
    for (year, path) in &year_files {
        let doc = match yaml::read(path) {
            Ok(doc) => doc,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        match doc.deserialize::<RawYear>() {
            Ok(raw) => years.push((*year, doc, raw)),
            Err(d) => diags.push(d),
        }
    }
    let Some(rules) = rules else {
        return Err(Error::Invalid(diags));
    };
    let calendar = build(id, rules, &rules_doc, &years, &mut diags);
    if diags.is_empty() {
        Ok(calendar)
    } else {
        diags.sort();
        diags.dedup();
        Err(Error::Invalid(diags))
    }
}

/// The rules after parsing: everything but the days.
struct Rules {
    names: Names,
    zone: Tz,
    rest_days: Vec<Weekday>,
    from_year: i32,
    until_year: i32,
    holidays: Vec<Holiday>,
    /// Per holiday (same index): fixed month-days, or `None` for a date set each year.
    dates: Vec<Option<Vec<(u32, u32)>>>,
    /// Per holiday: the years in force.
    in_force: Vec<(Option<i32>, Option<i32>)>,
    profiles: BTreeMap<String, OfficeProfile>,
}

impl Rules {
    fn in_force(&self, holiday: usize, year: i32) -> bool {
        let (from, until) = self.in_force[holiday];
        from.is_none_or(|f| f <= year) && until.is_none_or(|u| year <= u)
    }
}

fn names(raw: &super::data::RawNames) -> Names {
    Names {
        kk: raw.kk.clone(),
        ru: raw.ru.clone(),
        en: raw.en.clone(),
    }
}

/// Parses a lower-case English weekday name.
fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn compile_rules(
    doc: &Document,
    raw: &RawRules,
    id: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Rules> {
    let before = diags.len();
    if raw.calendar != id {
        diags.push(
            doc.value_diagnostic(
                "/calendar",
                format!(
                    "the calendar is called `{}` but lives in directory `{id}`",
                    raw.calendar
                ),
            )
            .with_hint("make `calendar:` equal to the directory name"),
        );
    }
    let zone = match raw.time_zone.parse::<Tz>() {
        Ok(zone) => Some(zone),
        Err(_) => {
            diags.push(
                doc.value_diagnostic(
                    "/time_zone",
                    format!("`{}` is not an IANA time zone", raw.time_zone),
                )
                .with_hint("e.g. `Asia/Almaty`"),
            );
            None
        }
    };
    let mut rest_days = Vec::new();
    for (i, name) in raw.weekly_rest_days.iter().enumerate() {
        match weekday(name) {
            Some(day) if rest_days.contains(&day) => diags.push(doc.value_diagnostic(
                &format!("/weekly_rest_days/{i}"),
                format!("`{name}` is listed twice"),
            )),
            Some(day) => rest_days.push(day),
            None => diags.push(weekday_diag(doc, &format!("/weekly_rest_days/{i}"), name)),
        }
    }
    if raw.horizon.from_year > raw.horizon.until_year {
        diags.push(doc.value_diagnostic(
            "/horizon/until_year",
            format!(
                "`until_year` {} is before `from_year` {}",
                raw.horizon.until_year, raw.horizon.from_year
            ),
        ));
    }
    if raw.horizon.from_year < 1900 || raw.horizon.until_year > 2999 {
        diags.push(doc.diagnostic(
            "/horizon",
            "the horizon must lie within the years 1900–2999",
        ));
    }

    let mut holidays = Vec::new();
    let mut dates = Vec::new();
    let mut in_force = Vec::new();
    let mut ids = HashMap::new();
    for (i, h) in raw.holidays.iter().enumerate() {
        let at = format!("/holidays/{i}");
        if let Some(first) = ids.insert(h.id.clone(), i) {
            diags.push(doc.value_diagnostic(
                &format!("{at}/id"),
                format!(
                    "holiday `{}` is defined twice (first as holiday {})",
                    h.id,
                    first + 1
                ),
            ));
        }
        if let (Some(from), Some(until)) = (h.from_year, h.until_year)
            && from > until
        {
            diags.push(doc.value_diagnostic(
                &format!("{at}/until_year"),
                format!("`until_year` {until} is before `from_year` {from}"),
            ));
        }
        dates.push(holiday_dates(doc, &at, h, diags));
        in_force.push((h.from_year, h.until_year));
        holidays.push(Holiday {
            id: h.id.clone(),
            names: names(&h.name),
            moves_off_weekend: h.moves_off_weekend,
            basis: h.basis.clone(),
        });
    }

    let mut profiles = BTreeMap::new();
    for (name, p) in &raw.office_profiles {
        let at = format!("/office_profiles/{}", yaml::escape(name));
        if let Some(profile) = office_profile(doc, &at, name, p, &rest_days, diags) {
            profiles.insert(name.clone(), profile);
        }
    }

    if diags.len() > before {
        return None;
    }
    Some(Rules {
        names: names(&raw.name),
        zone: zone?,
        rest_days,
        from_year: raw.horizon.from_year,
        until_year: raw.horizon.until_year,
        holidays,
        dates,
        in_force,
        profiles,
    })
}

fn weekday_diag(doc: &Document, pointer: &str, name: &str) -> Diagnostic {
    let d = doc.value_diagnostic(pointer, format!("`{name}` is not a weekday"));
    match did_you_mean(&name.to_lowercase(), WEEKDAYS) {
        Some(best) => d.with_hint(format!("did you mean `{best}`?")),
        None => d.with_hint("write the weekday in lower-case English, e.g. `saturday`"),
    }
}

/// The fixed month-days of a holiday, or `None` when its date is set each year.
fn holiday_dates(
    doc: &Document,
    at: &str,
    h: &RawHoliday,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<(u32, u32)>> {
    match (&h.dates, h.per_year) {
        (Some(_), true) => {
            diags.push(doc.diagnostic(
                &format!("{at}/per_year"),
                "a holiday has either `dates` or `per_year: true`, not both",
            ));
            None
        }
        (None, false) => {
            diags.push(
                doc.diagnostic(at, format!("holiday `{}` has no date", h.id))
                    .with_hint("add `dates: [\"MM-DD\"]`, or `per_year: true` when each year file gives the date"),
            );
            None
        }
        (None, true) => None,
        (Some(list), false) => {
            let mut out = Vec::new();
            for (j, md) in list.iter().enumerate() {
                match month_day(md) {
                    Some(v) => out.push(v),
                    None => diags.push(doc.value_diagnostic(
                        &format!("{at}/dates/{j}"),
                        format!("\"{md}\" is not a month and day (expected MM-DD)"),
                    )),
                }
            }
            Some(out)
        }
    }
}

/// Parses `MM-DD`; the day must exist in a leap year (29 February is skipped in others).
fn month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.split_once('-')?;
    if m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (m, d) = (m.parse().ok()?, d.parse().ok()?);
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

/// Parses `YYYY-MM-DD` strictly (four-digit year, two-digit month and day).
pub(crate) fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn office_profile(
    doc: &Document,
    at: &str,
    name: &str,
    raw: &RawOfficeProfile,
    rest_days: &[Weekday],
    diags: &mut Vec<Diagnostic>,
) -> Option<OfficeProfile> {
    let before = diags.len();
    let on_working_days = intervals(
        doc,
        &format!("{at}/on_working_days"),
        &raw.on_working_days,
        diags,
    );
    let mut on_rest_days = BTreeMap::new();
    for (day, list) in &raw.on_rest_days {
        let p = format!("{at}/on_rest_days/{}", yaml::escape(day));
        match weekday(day) {
            Some(wd) if rest_days.contains(&wd) => {
                on_rest_days.insert(wd.num_days_from_monday(), intervals(doc, &p, list, diags));
            }
            Some(_) => diags.push(
                doc.diagnostic(&p, format!("`{day}` is not a weekly rest day"))
                    .with_hint("hours on working days go under `on_working_days`"),
            ),
            None => diags.push(weekday_diag(doc, &p, day)),
        }
    }
    (diags.len() == before).then(|| OfficeProfile {
        name: name.to_string(),
        names: names(&raw.name),
        on_working_days,
        on_rest_days,
    })
}

/// Parses `["09:00-13:00", "14:00-18:00"]`: each open before close, in order, disjoint.
fn intervals(
    doc: &Document,
    at: &str,
    list: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let p = format!("{at}/{i}");
        let parsed = text.split_once('-').and_then(|(a, b)| {
            let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
            let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
            Some((a, b))
        });
        match parsed {
            None => diags.push(
                doc.value_diagnostic(&p, format!("\"{text}\" is not an interval of hours"))
                    .with_hint("write it as \"HH:MM-HH:MM\", e.g. \"09:00-18:00\""),
            ),
            Some((open, close)) if open >= close => diags.push(doc.value_diagnostic(
                &p,
                format!("\"{text}\": the office must open before it closes"),
            )),
            Some((open, close)) => {
                if out.last().is_some_and(|last| last.close > open) {
                    diags.push(doc.value_diagnostic(
                        &p,
                        format!("\"{text}\" overlaps or precedes the interval before it"),
                    ));
                }
                out.push(Interval { open, close });
            }
        }
    }
    out
}

/// A year file after its own checks, before it is laid on the calendar.
struct Year<'a> {
    year: i32,
    doc: &'a Document,
    provisional: Option<String>,
    /// Per-year holiday dates: (holiday index, date, pointer).
    dates: Vec<(usize, NaiveDate, String)>,
    /// Transfers: (day off, working day, order index, pointer).
    transfers: Vec<(NaiveDate, NaiveDate, usize, String)>,
}

fn build(
    id: &str,
    rules: Rules,
    rules_doc: &Document,
    years: &[(i32, Document, RawYear)],
    diags: &mut Vec<Diagnostic>,
) -> Calendar {
    let start = NaiveDate::from_ymd_opt(rules.from_year, 1, 1).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(rules.until_year, 12, 31).unwrap_or(start);
    let len = usize::try_from((end - start).num_days() + 1).unwrap_or(0);
    let index = |d: NaiveDate| {
        usize::try_from((d - start).num_days())
            .ok()
            .filter(|&i| i < len)
    };

    // 1. Weekly rest days.
    let mut days: Vec<Day> = (0..len)
        .map(|i| {
            let d = start + chrono::Days::new(i as u64);
            if rules.rest_days.contains(&d.weekday()) {
                Day::Rest
            } else {
                Day::Working
            }
        })
        .collect();

    // Year files: own checks, orders.
    let mut orders = Vec::new();
    let mut checked = Vec::new();
    for (year, doc, raw) in years {
        if let Some(y) = check_year(*year, doc, raw, &rules, &mut orders, diags) {
            checked.push(y);
        }
    }

    // 2. Holidays, by year: occurrences (date, holiday).
    let mut occurrences: Vec<(NaiveDate, usize)> = Vec::new();
    for year in rules.from_year..=rules.until_year {
        for (h, dates) in rules.dates.iter().enumerate() {
            if !rules.in_force(h, year) {
                continue;
            }
            if let Some(dates) = dates {
                for &(m, d) in dates {
                    if let Some(date) = NaiveDate::from_ymd_opt(year, m, d) {
                        occurrences.push((date, h));
                    }
                }
            }
        }
    }
    for y in &checked {
        for (h, date, _) in &y.dates {
            occurrences.push((*date, *h));
        }
    }
    occurrences.sort();
    for &(date, h) in &occurrences {
        if let Some(i) = index(date)
            && !matches!(days[i], Day::Holiday(_))
        {
            days[i] = Day::Holiday(h as u16);
        }
    }

    // 3. Moves off the weekly rest days, in date order.
    for &(date, h) in &occurrences {
        if !rules.holidays[h].moves_off_weekend || !rules.rest_days.contains(&date.weekday()) {
            continue;
        }
        let Some(mut i) = index(date) else { continue };
        // Beyond the horizon there is nothing to move to; such a move cannot be seen.
        while i + 1 < len {
            i += 1;
            if matches!(days[i], Day::Working) {
                days[i] = Day::Moved {
                    holiday: h as u16,
                    from: date,
                };
                break;
            }
        }
    }

    // 4. Transfers.
    let mut years_status = BTreeMap::new();
    for y in &checked {
        for (day_off, working_day, order, at) in &y.transfers {
            let (Some(off_i), Some(work_i)) = (index(*day_off), index(*working_day)) else {
                continue;
            };
            let mut ok = true;
            let describe = |day: &Day| match day {
                Day::Working => "a working day".to_string(),
                Day::Rest => "a weekly rest day".to_string(),
                Day::Holiday(h) => format!(
                    "a public holiday ({})",
                    rules.holidays[*h as usize].names.en
                ),
                Day::Moved { holiday, from } => format!(
                    "already a day off (for {} of {from})",
                    rules.holidays[*holiday as usize].names.en
                ),
                Day::OffByOrder { .. } => "already a day off by another transfer".to_string(),
                Day::WorkingByOrder { .. } => {
                    "already a working day by another transfer".to_string()
                }
            };
            if !matches!(days[off_i], Day::Working) {
                ok = false;
                diags.push(
                    y.doc
                        .value_diagnostic(
                            &format!("{at}/day_off"),
                            format!(
                                "{} is {}; a transfer's `day_off` must be a working day",
                                day_off.format("%Y-%m-%d (%A)"),
                                describe(&days[off_i])
                            ),
                        )
                        .with_hint("check the order: the day off it creates is normally a weekday"),
                );
            }
            if !matches!(days[work_i], Day::Rest | Day::Moved { .. }) {
                ok = false;
                diags.push(
                    y.doc
                        .value_diagnostic(
                            &format!("{at}/working_day"),
                            format!(
                                "{} is {}; a transfer's `working_day` must be a weekly rest day \
                                 or a day off the law moved, and never a holiday",
                                working_day.format("%Y-%m-%d (%A)"),
                                describe(&days[work_i])
                            ),
                        )
                        .with_hint("check the order: the day it makes working is normally a Saturday or Sunday"),
                );
            }
            if ok {
                days[off_i] = Day::OffByOrder {
                    order: *order as u16,
                    working_day: *working_day,
                };
                days[work_i] = Day::WorkingByOrder {
                    order: *order as u16,
                    day_off: *day_off,
                };
            }
        }
        years_status.insert(y.year, y.provisional.clone());
    }
    for year in rules.from_year..=rules.until_year {
        years_status.entry(year).or_insert_with(|| {
            let per_year: Vec<&str> = (0..rules.holidays.len())
                .filter(|&h| rules.dates[h].is_none() && rules.in_force(h, year))
                .map(|h| rules.holidays[h].names.en.as_str())
                .collect();
            let mut reason = format!(
                "no year file for {year}: computed from the rules alone, without transfer orders"
            );
            if !per_year.is_empty() {
                reason.push_str(&format!(
                    " and without the dates set each year ({})",
                    per_year.join(", ")
                ));
            }
            Some(reason)
        });
    }

    let version = version(id, rules_doc, years, &orders);
    Calendar {
        id: id.to_string(),
        names: rules.names,
        version,
        zone: rules.zone,
        rest_days: rules.rest_days,
        start,
        days,
        holidays: rules.holidays,
        orders,
        years: years_status,
        profiles: rules.profiles,
    }
}

/// The checks a year file can have on its own: its year, dates within it, known ids.
fn check_year<'a>(
    year: i32,
    doc: &'a Document,
    raw: &RawYear,
    rules: &Rules,
    orders: &mut Vec<Order>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Year<'a>> {
    let before = diags.len();
    if raw.year != year {
        diags.push(
            doc.value_diagnostic(
                "/year",
                format!("`year: {}` in the file for {year}", raw.year),
            )
            .with_hint("the file name and `year:` must agree"),
        );
        return None;
    }
    if year < rules.from_year || year > rules.until_year {
        diags.push(
            doc.value_diagnostic(
                "/year",
                format!(
                    "{year} is outside the rules' horizon {}–{}",
                    rules.from_year, rules.until_year
                ),
            )
            .with_hint("extend `horizon` in rules.yaml, after checking the holidays still hold"),
        );
        return None;
    }
    if raw
        .provisional
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        diags.push(
            doc.value_diagnostic(
                "/provisional",
                "`provisional` must say why the year is provisional",
            )
            .with_hint("or remove it once the year's facts are confirmed"),
        );
    }

    // A date given in this file: well-formed and within the year.
    let in_year = |pointer: &str, text: &str, diags: &mut Vec<Diagnostic>| -> Option<NaiveDate> {
        match iso_date(text) {
            None => {
                diags.push(doc.value_diagnostic(
                    pointer,
                    format!("\"{text}\" is not a date (expected YYYY-MM-DD)"),
                ));
                None
            }
            Some(d) if d.year() != year => {
                diags.push(
                    doc.value_diagnostic(pointer, format!("{d} is not in {year}"))
                        .with_hint("each year file holds only the days of its own year"),
                );
                None
            }
            Some(d) => Some(d),
        }
    };

    let mut seen: BTreeMap<NaiveDate, String> = BTreeMap::new();
    let mut listed_twice = |date: NaiveDate, pointer: &str, diags: &mut Vec<Diagnostic>| {
        if let Some(first) = seen.get(&date) {
            let first_line = doc.value_position(first).line;
            diags.push(doc.value_diagnostic(
                pointer,
                format!("{date} is listed twice (first at line {first_line})"),
            ));
        } else {
            seen.insert(date, pointer.to_string());
        }
    };

    // Dates set each year.
    let per_year: Vec<usize> = (0..rules.holidays.len())
        .filter(|&h| rules.dates[h].is_none())
        .collect();
    let mut dates = Vec::new();
    for (key, text) in &raw.dates {
        let p = format!("/dates/{}", yaml::escape(key));
        let Some(h) = per_year
            .iter()
            .copied()
            .find(|&h| rules.holidays[h].id == *key)
        else {
            let d = doc.diagnostic(
                &p,
                format!("`{key}` is not a holiday whose date is set each year"),
            );
            let ids = per_year.iter().map(|&h| rules.holidays[h].id.as_str());
            diags.push(match did_you_mean(key, ids) {
                Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                None => d,
            });
            continue;
        };
        if !rules.in_force(h, year) {
            diags.push(doc.diagnostic(&p, format!("`{key}` is not a holiday in {year}")));
            continue;
        }
        if let Some(date) = in_year(&p, text, diags) {
            listed_twice(date, &p, diags);
            dates.push((h, date, p));
        }
    }
    for &h in &per_year {
        let holiday = &rules.holidays[h];
        if rules.in_force(h, year) && !raw.dates.contains_key(&holiday.id) {
            diags.push(
                doc.diagnostic(
                    "/dates",
                    format!("the date of {} in {year} is missing", holiday.names.en),
                )
                .with_hint(format!(
                    "add `{}: {year}-MM-DD` under `dates:` (mark the year `provisional` if it is a forecast)",
                    holiday.id
                )),
            );
        }
    }

    // Orders.
    let first_order = orders.len();
    let mut order_ids: HashMap<&str, usize> = HashMap::new();
    for (i, o) in raw.orders.iter().enumerate() {
        let p = format!("/orders/{i}");
        if order_ids.insert(o.id.as_str(), orders.len()).is_some() {
            diags.push(doc.value_diagnostic(
                &format!("{p}/id"),
                format!("order `{}` is listed twice", o.id),
            ));
        }
        let issuer = match o.issuer.as_str() {
            "government" => Some(Issuer::Government),
            "ministry" => Some(Issuer::Ministry),
            other => {
                diags.push(
                    doc.value_diagnostic(
                        &format!("{p}/issuer"),
                        format!("`{other}` is not an issuer"),
                    )
                    .with_hint(
                        "`government` (a resolution) or `ministry` (a Ministry of Labour order)",
                    ),
                );
                None
            }
        };
        let optional = |field: &str, text: &Option<String>, diags: &mut Vec<Diagnostic>| {
            text.as_ref()
                .and_then(|t| parse_date(doc, &format!("{p}/{field}"), t, diags))
        };
        let date = optional("date", &o.date, diags);
        let published = optional("published", &o.published, diags);
        let reported = optional("reported", &o.reported, diags);
        if let (Some(d), Some(pb)) = (date, published)
            && pb < d
        {
            diags.push(doc.value_diagnostic(
                &format!("{p}/published"),
                format!("published {pb}, before it was signed on {d}"),
            ));
        }
        if o.date.is_none() && o.published.is_none() && o.reported.is_none() {
            diags.push(
                doc.diagnostic(&p, format!("order `{}` has no date at all", o.id))
                    .with_hint("give `date` (signed), `published`, or at least `reported` (earliest report found)"),
            );
        }
        if let Some(issuer) = issuer {
            orders.push(Order {
                id: o.id.clone(),
                issuer,
                number: o.number.clone(),
                date,
                published,
                reported,
                title: o.title.clone(),
                source: o.source.clone(),
            });
        }
    }

    // Transfers.
    let mut transfers = Vec::new();
    for (i, t) in raw.transfers.iter().enumerate() {
        let p = format!("/transfers/{i}");
        let day_off = in_year(&format!("{p}/day_off"), &t.day_off, diags);
        let working = in_year(&format!("{p}/working_day"), &t.working_day, diags);
        if let Some(d) = day_off {
            listed_twice(d, &format!("{p}/day_off"), diags);
        }
        if let Some(d) = working {
            listed_twice(d, &format!("{p}/working_day"), diags);
        }
        let order = match order_ids.get(t.order.as_str()) {
            Some(&o) => Some(o),
            None => {
                let d = doc.value_diagnostic(
                    &format!("{p}/order"),
                    format!("no order `{}` in `orders`", t.order),
                );
                diags.push(match did_you_mean(&t.order, order_ids.keys().copied()) {
                    Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                    None => d.with_hint("list the order under `orders:` with its number and dates"),
                });
                None
            }
        };
        if let (Some(off), Some(work), Some(order)) = (day_off, working, order) {
            transfers.push((off, work, order, p));
        }
    }

    if diags.len() > before {
        orders.truncate(first_order);
        return None;
    }
    Some(Year {
        year,
        doc,
        provisional: raw.provisional.clone(),
        dates,
        transfers,
    })
}

fn parse_date(
    doc: &Document,
    pointer: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    let d = iso_date(text);
    if d.is_none() {
        diags.push(doc.value_diagnostic(
            pointer,
            format!("\"{text}\" is not a date (expected YYYY-MM-DD)"),
        ));
    }
    d
}

/// The version: the calendar id, a hash of the data as parsed (so comments and layout do
/// not make a new version, but any changed fact does), and the latest order publication.
fn version(
    id: &str,
    rules: &Document,
    years: &[(i32, Document, RawYear)],
    orders: &[Order],
) -> CalendarVersion {
    // FNV-1a, 64 bits: small, and stable across Rust releases (unlike `DefaultHasher`),
    // which matters because versions are stored in case histories.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    feed(id.as_bytes());
    feed(rules.value().to_string().as_bytes());
    for (year, doc, _) in years {
        feed(year.to_string().as_bytes());
        feed(doc.value().to_string().as_bytes());
    }
    let latest_order = orders.iter().filter_map(Order::dated).max();
    CalendarVersion {
        id: id.to_string(),
        hash: format!("{hash:016x}"),
        latest_order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_month_days_and_iso_dates_strictly() {
        assert_eq!(month_day("03-21"), Some((3, 21)));
        assert_eq!(month_day("02-29"), Some((2, 29)));
        assert_eq!(month_day("3-21"), None);
        assert_eq!(month_day("13-01"), None);
        assert_eq!(iso_date("2026-03-20"), NaiveDate::from_ymd_opt(2026, 3, 20));
        assert_eq!(iso_date("2026-3-20"), None);
        assert_eq!(iso_date("2026-13-01"), None);
        assert_eq!(iso_date("2026-02-30"), None);
    }
}
