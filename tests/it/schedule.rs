//! The scheduled services in `workflows/`: when the engine starts their cases, worked out by
//! hand from the `kz` calendar and checked against `qyzmet::schedule`.
//!
//! Every case goes through one `check(service, window, expect)` helper: the window is an
//! instant (UTC) for the next occurrence, or `FROM..TO` for the catch-up; an occurrence
//! renders as `KEY LOCAL_DATE at UTC`, with ` [not in force]` when the version of the file
//! does not apply on that date (the caller must not start a case then).

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use qyzmet::calendar::Calendar;
use qyzmet::definition::{self, Definition, Kind, model::Length};
use qyzmet::schedule::{self, Occurrence};

fn kz() -> &'static Calendar {
    static KZ: OnceLock<Calendar> = OnceLock::new();
    KZ.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calendars");
        Calendar::load(&dir, "kz").unwrap_or_else(|e| panic!("calendars/kz: {e}"))
    })
}

fn workflows() -> &'static [Definition] {
    static DEFS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFS.get_or_init(|| {
        let report = definition::load(&[PathBuf::from("workflows")], &Default::default());
        assert!(
            report.diagnostics.is_empty(),
            "workflows/ has problems: {:?}",
            report.diagnostics
        );
        report.library.definitions
    })
}

/// The one version of a scheduled service.
fn service(id: &str) -> &'static Definition {
    let versions = versions(id);
    assert_eq!(versions.len(), 1, "one version of {id}");
    versions[0]
}

/// Every version of a scheduled service, the earliest first.
fn versions(id: &str) -> Vec<&'static Definition> {
    let mut versions: Vec<&Definition> = workflows()
        .iter()
        .filter(|d| d.kind == Kind::Service && d.id == id)
        .collect();
    versions.sort_by_key(|d| d.effective_from);
    for v in &versions {
        assert!(v.schedule.is_some(), "{id} {} has a schedule", v.version);
    }
    versions
}

fn instant(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%MZ")
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .and_utc()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn render(def: &Definition, o: &Occurrence) -> String {
    let in_force = if def.in_force_on(o.local_date) {
        ""
    } else {
        " [not in force]"
    };
    format!(
        "{} {} at {}{in_force}",
        o.key,
        o.local_date,
        o.at.format("%Y-%m-%dT%H:%MZ")
    )
}

fn check(id: &str, window: &str, expected: &str) {
    check_version(service(id), window, expected);
}

fn check_version(def: &Definition, window: &str, expected: &str) {
    let id = format!("{} {}", def.id, def.version);
    let s = def.schedule.as_ref().unwrap();
    let actual = match window.split_once("..") {
        None => match schedule::next_occurrence(s, kz(), instant(window)) {
            Ok(Some(o)) => render(def, &o),
            Ok(None) => "none".to_string(),
            Err(e) => format!("error: {e}"),
        },
        Some((from, to)) => {
            match schedule::occurrences_between(s, kz(), instant(from), instant(to)) {
                Ok(list) => list
                    .iter()
                    .map(|o| render(def, o))
                    .collect::<Vec<_>>()
                    .join("; "),
                Err(e) => format!("error: {e}"),
            }
        }
    };
    assert_eq!(actual, expected, "{id} {window}");
}

#[test]
fn quarterly_administrative_report() {
    // Two versions, one schedule: 2026-04-13 from 13.04.2026 to 31.12.2026, 2027-01-01 (the
    // report that counts the cases) from 01.01.2027. Each occurrence is in force in one of them,
    // by the day it falls on; the other says `[not in force]`.
    let [old, new] = versions("quarterly-administrative-report")[..] else {
        panic!("two versions of the quarterly report");
    };
    assert_eq!(
        (old.version.as_str(), new.version.as_str()),
        ("2026-04-13", "2027-01-01")
    );
    let in_old = |day: &str| ("2026-04-13"..="2026-12-31").contains(&day);
    let in_new = |day: &str| day >= "2027-01-01";
    let check = |window: &str, expected: &str| {
        let day = expected.split(' ').nth(1).unwrap();
        let marked = |in_force: bool| {
            if in_force {
                expected.to_string()
            } else {
                format!("{expected} [not in force]")
            }
        };
        check_version(old, window, &marked(in_old(day)));
        check_version(new, window, &marked(in_new(day)));
    };
    // The first working day after each quarter, 09:00 in Almaty = 04:00 UTC.
    for (window, expected) in [
        // Q4 2025 ended on Wednesday 31.12.2025; 1-2 January 2026 (Thursday, Friday) are New
        // Year, 3-4 January the weekend: Monday 5 January. Before 13.04.2026: neither version.
        (
            "2026-01-01T00:00Z",
            "2025-Q4 2026-01-05 at 2026-01-05T04:00Z",
        ),
        // Q1 ended Tuesday 31.03; Wednesday 1 April is working, but before 13.04.2026.
        (
            "2026-03-01T00:00Z",
            "2026-Q1 2026-04-01 at 2026-04-01T04:00Z",
        ),
        // From the day the version takes effect: the Q2 report, Wednesday 1 July.
        (
            "2026-04-13T00:00Z",
            "2026-Q2 2026-07-01 at 2026-07-01T04:00Z",
        ),
        // 6 July (Capital Day) is after the start, so it does not matter here.
        (
            "2026-07-01T04:00Z",
            "2026-Q3 2026-10-01 at 2026-10-01T04:00Z",
        ),
        // Friday 1 January 2027 New Year; Saturday 2 January moves to Monday 4 January:
        // Tuesday 5 January.
        (
            "2026-10-01T04:00Z",
            "2026-Q4 2027-01-05 at 2027-01-05T04:00Z",
        ),
        (
            "2027-01-05T04:00Z",
            "2027-Q1 2027-04-01 at 2027-04-01T04:00Z",
        ),
        (
            "2027-04-01T04:00Z",
            "2027-Q2 2027-07-01 at 2027-07-01T04:00Z",
        ),
        (
            "2027-07-01T04:00Z",
            "2027-Q3 2027-10-01 at 2027-10-01T04:00Z",
        ),
        // 2028 has no year file: from the rules, 1-2 January (Saturday, Sunday) move to
        // Monday 3 and Tuesday 4 January: Wednesday 5 January.
        (
            "2027-10-01T04:00Z",
            "2027-Q4 2028-01-05 at 2028-01-05T04:00Z",
        ),
    ] {
        check(window, expected);
    }
    // After a week's downtime over the start of the Q3 report: one case to catch up.
    check(
        "2026-09-28T00:00Z..2026-10-05T00:00Z",
        "2026-Q3 2026-10-01 at 2026-10-01T04:00Z",
    );
}

#[test]
fn quarterly_report_term_never_ends_after_the_legal_deadline() {
    // Order No. 113, list item 1: within 10 calendar days after the quarter. The file's term
    // (calendar days from the start) must end by then for every quarter it starts.
    for def in versions("quarterly-administrative-report") {
        term_ends_by_the_tenth(def);
    }
}

fn term_ends_by_the_tenth(def: &Definition) {
    let term = def.term.as_ref().unwrap();
    let Length::CalendarDays(days) = term.length else {
        panic!("the quarterly report's term is in calendar days");
    };
    let s = def.schedule.as_ref().unwrap();
    let all = schedule::occurrences_between(
        s,
        kz(),
        instant("2026-04-13T00:00Z"),
        instant("2030-12-31T00:00Z"),
    )
    .unwrap();
    assert_eq!(all.len(), 18, "Q2 2026 to Q3 2030");
    for o in &all {
        let ends = kz().add_calendar_days(o.local_date, days).unwrap().result;
        // The day after the quarter is day 1 of the 10: the legal last day is the 10th of
        // the month the occurrence falls in.
        let legal = o.local_date.with_day(10).unwrap();
        assert!(
            ends <= legal,
            "{}: term ends {ends}, the law {legal}",
            o.key
        );
    }
    // January 2027 is the tightest: the 5th + 5 = the 10th.
    let q4 = all.iter().find(|o| o.key == "2026-Q4").unwrap();
    assert_eq!(
        kz().add_calendar_days(q4.local_date, days).unwrap().result,
        date("2027-01-10")
    );
}

#[test]
fn enpf_reconciliation() {
    let id = "enpf-reconciliation";
    // The first working day of February, 09:00 in Almaty = 04:00 UTC.
    for (window, expected) in [
        // Sunday 1 February 2026: Monday 2 February; the version starts on 12.07.2026.
        (
            "2026-01-01T00:00Z",
            "2026 2026-02-02 at 2026-02-02T04:00Z [not in force]",
        ),
        // Monday 1 February 2027 is working: the first reconciliation of this version, on the
        // accounting year 2026.
        ("2026-07-12T00:00Z", "2027 2027-02-01 at 2027-02-01T04:00Z"),
        ("2026-11-23T00:00Z", "2027 2027-02-01 at 2027-02-01T04:00Z"),
        // Asked at 08:59 in Almaty that morning: still to come.
        ("2027-02-01T03:59Z", "2027 2027-02-01 at 2027-02-01T04:00Z"),
        // Tuesday 1 February 2028 (from the rules: 2028 has no year file).
        ("2027-02-01T04:00Z", "2028 2028-02-01 at 2028-02-01T04:00Z"),
    ] {
        check(id, window, expected);
    }
    // The term: 25 calendar days from Monday 1 February 2027 is Friday 26 February, before
    // 1 March as item 15 requires.
    let def = service(id);
    let Length::CalendarDays(days) = def.term.as_ref().unwrap().length else {
        panic!("the reconciliation's term is in calendar days");
    };
    assert_eq!(
        kz().add_calendar_days(date("2027-02-01"), days)
            .unwrap()
            .result,
        date("2027-02-26")
    );
}

#[test]
fn block_unused_accounts() {
    let id = "block-unused-accounts";
    // Every night at 01:00 in Almaty = 20:00 UTC the evening before, holidays included.
    for (window, expected) in [
        // The first night of the version: Sunday 12 July 2026.
        (
            "2026-07-11T00:00Z",
            "2026-07-12T01:00 2026-07-12 at 2026-07-11T20:00Z",
        ),
        // Independence Day, Wednesday 16 December 2026: it runs (the 30 days are calendar days).
        (
            "2026-12-15T12:00Z",
            "2026-12-16T01:00 2026-12-16 at 2026-12-15T20:00Z",
        ),
        // Before the version: the schedule fires, the caller must not start a case.
        (
            "2026-05-10T12:00Z",
            "2026-05-11T01:00 2026-05-11 at 2026-05-10T20:00Z [not in force]",
        ),
    ] {
        check(id, window, expected);
    }
    // Down over New Year 2027 (a holiday, a Saturday, a Sunday): three nights to catch up.
    check(
        id,
        "2026-12-31T12:00Z..2027-01-03T12:00Z",
        "2027-01-01T01:00 2027-01-01 at 2026-12-31T20:00Z; \
         2027-01-02T01:00 2027-01-02 at 2027-01-01T20:00Z; \
         2027-01-03T01:00 2027-01-03 at 2027-01-02T20:00Z",
    );
}
