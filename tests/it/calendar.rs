//! The working-day calendar, through its public API and the `qyzmet calendar` command.
//!
//! Most cases go through one `check(op, expect)` helper that reads a small command
//! (`add 2026-03-20 5`) and renders the answer as text, so adding a case is adding a line,
//! and a change of the API touches the helper only. Each case says where its rule comes
//! from: the seeds (`../shared/seeds/`) or the official calendar of the year.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Weekday};
use proptest::prelude::*;
use qyzmet::calendar::{Calendar, Error, Reason};

fn calendars_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calendars")
}

fn kz() -> &'static Calendar {
    static KZ: OnceLock<Calendar> = OnceLock::new();
    KZ.get_or_init(|| match Calendar::load(&calendars_dir(), "kz") {
        Ok(cal) => cal,
        Err(e) => panic!("calendars/kz does not load:\n{e}"),
    })
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Runs one operation on the `kz` calendar and renders the answer:
///
/// - `add FROM N`, `sub BEFORE N`, `cal FROM N`, `roll FROM N` → the deadline's date;
/// - `between A B`, `next D` → the number or date;
/// - `day D` → `working`, `weekend`, `holiday ID`, `moved ID from DATE`,
///   `off by order, working DATE`, `working by order, off DATE`;
/// - `accept PROFILE LOCAL` → the acceptance date;
/// - `minutes PROFILE LOCAL N` → the local time (`YYYY-MM-DDTHH:MM`) the norm ends;
/// - `opening PROFILE LOCAL` → the local time the office is next open (itself when open);
/// - any error → `error: <message>`.
fn run(op: &str) -> String {
    let cal = kz();
    let words: Vec<&str> = op.split_whitespace().collect();
    let n = |i: usize| {
        words[i]
            .parse::<u32>()
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    };
    let result: Result<String, Error> = match words[0] {
        "add" => cal
            .add_working_days(date(words[1]), n(2))
            .map(|d| d.result.to_string()),
        "sub" => cal
            .subtract_working_days(date(words[1]), n(2))
            .map(|d| d.result.to_string()),
        "cal" => cal
            .add_calendar_days(date(words[1]), n(2))
            .map(|d| d.result.to_string()),
        "roll" => cal
            .add_calendar_days_rolling(date(words[1]), n(2))
            .map(|d| d.result.to_string()),
        "between" => cal
            .working_days_between(date(words[1]), date(words[2]))
            .map(|n| n.to_string()),
        "next" => cal.next_working_day(date(words[1])).map(|d| d.to_string()),
        "day" => cal.day_info(date(words[1])).map(|i| match i.reason {
            Reason::Working => "working".to_string(),
            Reason::Weekend => "weekend".to_string(),
            Reason::Holiday { holiday, .. } => format!("holiday {holiday}"),
            Reason::HolidayMoved { holiday, from, .. } => format!("moved {holiday} from {from}"),
            Reason::DayOffByOrder { working_day, .. } => {
                format!("off by order, working {working_day}")
            }
            Reason::WorkingByOrder { day_off, .. } => format!("working by order, off {day_off}"),
        }),
        "accept" => cal
            .acceptance_date(words[1], local(words[2]))
            .map(|d| d.to_string()),
        "minutes" => {
            let start = cal
                .time_zone()
                .from_local_datetime(&local(words[2]))
                .single()
                .expect("an unambiguous local time");
            cal.add_working_minutes(words[1], start, n(3))
                .map(|t| t.naive_local().format("%Y-%m-%dT%H:%M").to_string())
        }
        "opening" => {
            let at = cal
                .time_zone()
                .from_local_datetime(&local(words[2]))
                .single()
                .expect("an unambiguous local time");
            cal.next_opening(words[1], at)
                .map(|t| t.naive_local().format("%Y-%m-%dT%H:%M").to_string())
        }
        other => panic!("unknown operation `{other}` in `{op}`"),
    };
    result.unwrap_or_else(|e| format!("error: {e}"))
}

/// Checks every `(source, op, expect)` row and reports all failures at once.
fn check(cases: &[(&str, &str, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(source, op, expect)| {
            let got = run(op);
            (got != *expect).then(|| format!("{op}: expected {expect}, got {got}   [{source}]"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn terms_from_the_legal_texts() {
    check(&[
        // Seed 004 appendix 2 row 5: certificate in 5 working days, the day of acceptance
        // not counted. Accepted Friday 20 March 2026, before Nauryz and its moved days off.
        ("004 app. 2 row 5", "add 2026-03-20 5", "2026-04-01"),
        // The same application received at 19:00: after the standard office closed, so it
        // counts as accepted on the next working day, Thursday 26 March.
        (
            "004 app. 2 row 5",
            "accept standard 2026-03-20T19:00",
            "2026-03-26",
        ),
        ("004 app. 2 row 5", "add 2026-03-26 5", "2026-04-02"),
        // Seed 001 item 12: the decision on monthly payments within 4 working days; received
        // on the last day of 2025, across the New Year and Orthodox Christmas.
        ("001 item 12", "add 2025-12-31 4", "2026-01-09"),
        // Seed 001 item 12 (APPK art. 73(3)): an objection within 2 working days of
        // receiving the notice. Received Friday 3 May 2024: Saturday 4 May was a working day
        // by the Ministry's order of 17 April 2024.
        ("001 item 12", "add 2024-05-03 2", "2024-05-06"),
        // Seed 001 item 12: notice of the hearing no later than 3 working days before the
        // decision. Decision due Thursday 26 March 2026: Nauryz 21-23 March and its days off
        // 24-25 March do not count.
        ("001 item 12", "sub 2026-03-26 3", "2026-03-18"),
        ("001 item 12", "sub 2026-03-30 3", "2026-03-20"),
        // Seed 004 list item 1: the quarterly report within 10 calendar days after the
        // quarter, wherever that lands.
        ("004 list item 1", "cal 2026-03-31 10", "2026-04-10"),
        ("004 list item 1", "cal 2024-12-31 10", "2025-01-10"),
        ("004 list item 1", "cal 2025-06-30 10", "2025-07-10"),
        ("004 list item 1", "cal 2026-09-30 10", "2026-10-10"),
        // A calendar-day term ending on a day off moves forward only where a rule says so.
        ("rolling", "cal 2026-03-15 10", "2026-03-25"),
        ("rolling", "roll 2026-03-15 10", "2026-03-26"),
        ("rolling", "roll 2026-03-16 10", "2026-03-26"),
        // Seed 000 appendix 6 item 22: an access request answered within 3 working days.
        ("000 app. 6 item 22", "add 2025-12-31 3", "2026-01-08"),
        // Seed 002 item 14: personalised records within one working day: the working
        // Sunday 5 January 2025 counts.
        ("002 item 14", "add 2025-01-02 1", "2025-01-05"),
        // Zero days: the day itself if it is a working day, else the next one.
        ("n = 0", "add 2026-03-20 0", "2026-03-20"),
        ("n = 0", "add 2026-03-21 0", "2026-03-26"),
        ("n = 0", "sub 2026-03-25 0", "2026-03-20"),
    ]);
}

#[test]
fn every_moved_day_of_2024_to_2026() {
    check(&[
        // 2024: Nauryz 23 March and Capital Day 6 July on Saturdays; the Ministry's order
        // of 17 April 2024 moved the day off from Saturday 4 May to Wednesday 8 May.
        ("2024", "day 2024-03-23", "holiday nauryz"),
        ("2024", "day 2024-03-25", "moved nauryz from 2024-03-23"),
        ("2024", "day 2024-05-04", "working by order, off 2024-05-08"),
        ("2024", "day 2024-05-08", "off by order, working 2024-05-04"),
        (
            "2024",
            "day 2024-07-08",
            "moved capital_day from 2024-07-06",
        ),
        // Religious holidays on a Sunday do not move.
        ("2024", "day 2024-01-07", "holiday orthodox_christmas"),
        ("2024", "day 2024-01-08", "working"),
        ("2024", "day 2024-06-16", "holiday kurban_ait"),
        ("2024", "day 2024-06-17", "working"),
        // 2025: the Ministry's order moved the day off from Sunday 5 January to Friday
        // 3 January; 8 March, Nauryz 22-23 March, 6 July, 30 August and 25 October fell on
        // weekends.
        ("2025", "day 2025-01-03", "off by order, working 2025-01-05"),
        ("2025", "day 2025-01-05", "working by order, off 2025-01-03"),
        ("2025", "day 2025-03-10", "moved womens_day from 2025-03-08"),
        ("2025", "day 2025-03-21", "holiday nauryz"),
        ("2025", "day 2025-03-24", "moved nauryz from 2025-03-22"),
        ("2025", "day 2025-03-25", "moved nauryz from 2025-03-23"),
        ("2025", "day 2025-03-26", "working"),
        (
            "2025",
            "day 2025-07-07",
            "moved capital_day from 2025-07-06",
        ),
        (
            "2025",
            "day 2025-09-01",
            "moved constitution_day_1995 from 2025-08-30",
        ),
        (
            "2025",
            "day 2025-10-27",
            "moved republic_day from 2025-10-25",
        ),
        ("2025", "day 2025-05-08", "working"),
        // 2026: no transfer order; the law's own moves.
        ("2026", "day 2026-03-09", "moved womens_day from 2026-03-08"),
        ("2026", "day 2026-03-24", "moved nauryz from 2026-03-21"),
        ("2026", "day 2026-03-25", "moved nauryz from 2026-03-22"),
        (
            "2026",
            "day 2026-05-11",
            "moved victory_day from 2026-05-09",
        ),
        (
            "2026",
            "day 2026-10-26",
            "moved republic_day from 2026-10-25",
        ),
        // 30 August is no longer a holiday from 2026 (Constitution of 2026), so Monday
        // 31 August, a day off in the calendar published in December 2025, is working.
        ("2026", "day 2026-08-30", "weekend"),
        ("2026", "day 2026-08-31", "working"),
    ]);
}

#[test]
fn earlier_years_and_the_laws_changes() {
    check(&[
        // 2020: the resolution of 1 November 2019 moved the day off the law gave on Monday
        // 11 May (for Victory Day on Saturday) to Friday 8 May.
        ("2020", "day 2020-05-11", "working by order, off 2020-05-08"),
        ("2020", "day 2020-05-08", "off by order, working 2020-05-11"),
        ("2020", "day 2020-12-18", "off by order, working 2020-12-20"),
        // Nauryz on Sunday 21 March 2021: Monday and Tuesday are Nauryz, so the day off
        // owed goes to Wednesday.
        ("2021", "day 2021-03-24", "moved nauryz from 2021-03-21"),
        ("2021", "day 2021-07-05", "off by order, working 2021-07-03"),
        // 1 December and 17 December were holidays until 2021 only.
        ("2021", "day 2021-12-01", "holiday first_president_day"),
        ("2021", "day 2021-12-17", "holiday independence_day_second"),
        ("2022", "day 2022-12-01", "working"),
        ("2022", "day 2022-12-17", "weekend"),
        ("2022", "day 2022-12-19", "working"),
        // 2022: 7 May on Saturday, 9 May a holiday on Monday: the day off goes to Tuesday.
        (
            "2022",
            "day 2022-05-10",
            "moved defender_day from 2022-05-07",
        ),
        ("2022", "day 2022-03-07", "off by order, working 2022-03-05"),
        ("2022", "day 2022-08-29", "off by order, working 2022-08-27"),
        ("2022", "day 2022-10-24", "off by order, working 2022-10-22"),
        ("2022", "day 2022-10-25", "holiday republic_day"),
        ("2021", "day 2021-10-25", "working"),
        ("2022", "day 2022-07-09", "holiday kurban_ait"),
        ("2022", "day 2022-07-11", "working"),
        ("2023", "day 2023-01-03", "moved new_year from 2023-01-01"),
        ("2023", "day 2023-07-07", "off by order, working 2023-07-01"),
        (
            "2023",
            "day 2023-12-18",
            "moved independence_day from 2023-12-16",
        ),
        // 15 March is Constitution Day from 2027.
        ("2026", "day 2026-03-16", "working"),
        ("2027", "day 2027-03-15", "holiday constitution_day_2027"),
    ]);
}

#[test]
fn year_boundaries() {
    check(&[
        ("boundary", "add 2024-12-31 1", "2025-01-05"),
        ("boundary", "add 2024-12-27 3", "2025-01-05"),
        ("boundary", "add 2025-12-31 1", "2026-01-05"),
        ("boundary", "add 2026-12-31 1", "2027-01-05"),
        ("boundary", "add 2022-12-30 1", "2023-01-04"),
        ("boundary", "sub 2026-01-05 1", "2025-12-31"),
        ("boundary", "sub 2025-01-05 1", "2024-12-31"),
        ("boundary", "next 2025-12-31", "2026-01-05"),
        ("boundary", "between 2025-12-31 2026-01-09", "4"),
        ("boundary", "between 2026-01-09 2025-12-31", "-4"),
        ("boundary", "cal 2025-12-25 10", "2026-01-04"),
        ("boundary", "roll 2025-12-25 10", "2026-01-05"),
        // The data's edge is an error, never a panic or a silent wrong date.
        (
            "range",
            "add 2030-12-27 5",
            "error: no calendar data or rules for year 2031",
        ),
        (
            "range",
            "day 2019-12-31",
            "error: no calendar data or rules for year 2019",
        ),
        (
            "range",
            "sub 2020-01-03 5",
            "error: no calendar data or rules for year 2019",
        ),
        (
            "range",
            "between 2019-06-01 2020-06-01",
            "error: no calendar data or rules for year 2019",
        ),
    ]);
}

#[test]
fn office_hours_acceptance_and_minutes() {
    check(&[
        // A standard office closes at 18:00, a duty office at 20:00.
        ("office", "accept standard 2026-03-19T17:59", "2026-03-19"),
        ("office", "accept standard 2026-03-19T18:00", "2026-03-20"),
        ("office", "accept duty 2026-03-19T19:30", "2026-03-19"),
        ("office", "accept duty 2026-03-19T20:00", "2026-03-20"),
        // Before opening on a working day: that day (the portal never closes).
        ("office", "accept standard 2026-03-19T07:00", "2026-03-19"),
        // A duty office receives people on Saturday, but Saturday is not a working day.
        ("office", "accept duty 2026-03-28T10:00", "2026-03-30"),
        // A working weekend day counts as a working day.
        ("office", "accept standard 2025-01-05T10:00", "2025-01-05"),
        (
            "office",
            "accept nowhere 2026-03-19T10:00",
            "error: unknown office profile `nowhere`",
        ),
        (
            "office",
            "accept stadnard 2026-03-19T10:00",
            "error: unknown office profile `stadnard` (did you mean `standard`?)",
        ),
        // The 15-minute wait and 20-minute service norms run in open hours only.
        (
            "norm",
            "minutes standard 2026-03-19T09:00 15",
            "2026-03-19T09:15",
        ),
        (
            "norm",
            "minutes standard 2026-03-19T17:45 15",
            "2026-03-19T18:00",
        ),
        (
            "norm",
            "minutes standard 2026-03-19T17:50 20",
            "2026-03-20T09:10",
        ),
        (
            "norm",
            "minutes standard 2026-03-19T07:00 20",
            "2026-03-19T09:20",
        ),
        (
            "norm",
            "minutes standard 2026-03-20T17:50 20",
            "2026-03-26T09:10",
        ),
        (
            "norm",
            "minutes standard 2026-03-19T12:00 0",
            "2026-03-19T12:00",
        ),
        // A duty office is open on Saturday 9-13 ...
        (
            "norm",
            "minutes duty 2026-03-27T19:50 20",
            "2026-03-28T09:10",
        ),
        (
            "norm",
            "minutes duty 2026-03-28T12:50 20",
            "2026-03-30T09:10",
        ),
        // ... unless the Saturday is a holiday (Kurban Ait, 9 July 2022; Victory Day,
        // 9 May 2026, whose day off is Monday 11 May).
        (
            "norm",
            "minutes duty 2022-07-08T19:55 15",
            "2022-07-11T09:10",
        ),
        (
            "norm",
            "minutes duty 2026-05-08T19:50 20",
            "2026-05-12T09:10",
        ),
    ]);
}

#[test]
fn staff_are_reached_when_the_office_is_open() {
    // An escalation to staff due outside office hours waits for the next opening (issue #12
    // item 5: a 50% reminder at 02:00, an 80% rung on a Saturday).
    check(&[
        (
            "office",
            "opening standard 2026-11-23T10:00",
            "2026-11-23T10:00",
        ),
        (
            "office",
            "opening standard 2026-11-24T02:07",
            "2026-11-24T09:00",
        ),
        (
            "office",
            "opening standard 2026-12-05T02:00",
            "2026-12-07T09:00",
        ),
        // Closing time is closed: the interval ends at 18:00.
        (
            "office",
            "opening standard 2026-11-27T18:00",
            "2026-11-30T09:00",
        ),
        // Nauryz 21-23 March 2026 and its days off 24-25 March.
        (
            "office",
            "opening standard 2026-03-20T19:00",
            "2026-03-26T09:00",
        ),
        // A duty office keeps Saturday mornings.
        (
            "office",
            "opening duty 2026-03-28T07:30",
            "2026-03-28T09:00",
        ),
        (
            "office",
            "opening duty 2026-03-28T13:00",
            "2026-03-30T09:00",
        ),
        (
            "office",
            "opening nowhere 2026-03-28T13:00",
            "error: unknown office profile `nowhere`",
        ),
    ]);
}

#[test]
fn almaty_is_utc_plus_5_since_1_march_2024() {
    let zone = kz().time_zone();
    assert_eq!(zone.name(), "Asia/Almaty");
    let offset = |d: &str| {
        zone.from_local_datetime(&local(d))
            .single()
            .expect("unambiguous")
            .offset()
            .fix()
            .local_minus_utc()
    };
    assert_eq!(offset("2024-02-28T12:00"), 6 * 3600);
    assert_eq!(offset("2024-03-02T12:00"), 5 * 3600);
    // An instant given in another zone is read in Almaty time: 04:00 UTC is 09:00.
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 3, 19, 4, 0, 0)
        .unwrap()
        .with_timezone(&chrono_tz::UTC);
    let end = kz()
        .add_working_minutes("standard", start, 15)
        .expect("in range");
    assert_eq!(end.to_rfc3339(), "2026-03-19T09:15:00+05:00");
}

#[test]
fn full_non_working_lists_of_2026_and_2027() {
    // Every non-working date is a Saturday, a Sunday, or one of these weekdays.
    let cases: [(i32, &[&str]); 2] = [
        (
            2026,
            &[
                "2026-01-01",
                "2026-01-02",
                "2026-01-07",
                "2026-03-09",
                "2026-03-23",
                "2026-03-24",
                "2026-03-25",
                "2026-05-01",
                "2026-05-07",
                "2026-05-11",
                "2026-05-27",
                "2026-07-06",
                "2026-10-26",
                "2026-12-16",
            ],
        ),
        (
            2027,
            &[
                "2027-01-01",
                "2027-01-04",
                "2027-01-07",
                "2027-03-08",
                "2027-03-15",
                "2027-03-22",
                "2027-03-23",
                "2027-03-24",
                "2027-05-03",
                "2027-05-07",
                "2027-05-10",
                "2027-07-06",
                "2027-10-25",
                "2027-12-16",
            ],
        ),
    ];
    for (year, weekdays) in cases {
        let mut expected: Vec<NaiveDate> = weekdays.iter().map(|d| date(d)).collect();
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a year");
        expected.extend(
            first
                .iter_days()
                .take_while(|d| d.year() == year)
                .filter(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun)),
        );
        expected.sort();
        let got = kz().non_working_dates(year).expect("covered");
        assert_eq!(got, expected, "{year}");
        assert_eq!(
            kz().working_weekends(year).expect("covered"),
            Vec::<NaiveDate>::new()
        );
    }
    // 2026 has 247 working days (the 246 of the calendar published in December 2025, plus
    // Monday 31 August, no longer a day off).
    assert_eq!(
        kz().working_days_between(date("2025-12-31"), date("2026-12-31"))
            .unwrap(),
        247
    );
    assert_eq!(
        kz().working_days_between(date("2023-12-31"), date("2024-12-31"))
            .unwrap(),
        249
    );
}

#[test]
fn provisional_years_and_the_horizon() {
    let cal = kz();
    assert_eq!(cal.year_status(2026).unwrap(), None);
    let why = cal.year_status(2027).unwrap().expect("2027 is provisional");
    assert!(why.contains("Kurban Ait"), "{why}");
    let why = cal
        .year_status(2028)
        .unwrap()
        .expect("2028 has no year file");
    assert!(why.contains("no year file"), "{why}");
    for year in [1999, 2019, 2031, 2200] {
        let err = cal.year_status(year).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("no calendar data or rules for year {year}")
        );
    }
    assert!(
        cal.add_working_days(date("2026-12-30"), 3)
            .unwrap()
            .provisional
    );
    assert!(
        !cal.add_working_days(date("2026-12-01"), 3)
            .unwrap()
            .provisional
    );
}

#[test]
fn evidence_explains_and_round_trips() {
    let deadline = kz().add_working_days(date("2026-03-20"), 5).unwrap();
    assert_eq!(deadline.counted.len(), 5);
    assert_eq!(deadline.skipped.len(), 7);
    let text = deadline.to_string();
    for line in [
        "deadline 2026-04-01 (Wed)",
        "rule: 5 working days after 2026-03-20 (Fri), that day not counted",
        "skipped 2026-03-21 (Sat): public holiday: Nauryz meiramy",
        "skipped 2026-03-24 (Tue): day off for Nauryz meiramy of 2026-03-21 (Sat), which fell on a weekly rest day",
        "skipped 2026-03-28 (Sat): weekly rest day",
        "counted 2026-04-01 (Wed): working day 5",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing line `{line}` in:\n{text}"
        );
    }
    let json = serde_json::to_string(&deadline).unwrap();
    assert!(json.contains(r#""kind":"holiday_moved""#), "{json}");
    assert!(json.contains(r#""rule":"working_days_after""#), "{json}");
    let back: qyzmet::calendar::Deadline = serde_json::from_str(&json).unwrap();
    assert_eq!(back, deadline);

    let order = kz()
        .add_working_days(date("2025-01-02"), 1)
        .unwrap()
        .to_string();
    assert!(
        order.contains(
            "skipped 2025-01-03 (Fri): day off by Ministry of Labour order reported on 2024-12-23"
        ),
        "{order}"
    );
}

/// Copies `calendars/` into a temporary directory, so a test can edit a file.
fn copy_calendars() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let to = tmp.path().join("kz");
    std::fs::create_dir(&to).unwrap();
    for entry in std::fs::read_dir(calendars_dir().join("kz")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
    tmp
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) -> usize {
    let path = dir.join("kz").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    let line = text.lines().position(|l| l.contains(from)).unwrap() + 1;
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    line
}

#[test]
fn a_new_transfer_order_is_a_new_version_and_deadlines_are_recomputed() {
    let tmp = copy_calendars();
    // A hypothetical order, for this test only: Friday 18 December 2026 off, Saturday
    // 19 December worked.
    let path = tmp.path().join("kz/2026.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        "\norders:\n  - id: test-order\n    issuer: ministry\n    number: \"1\"\n    date: 2026-11-20\n    \
         published: 2026-11-21\n    title: test\n    source: test\ntransfers:\n  - day_off: 2026-12-18\n    \
         working_day: 2026-12-19\n    order: test-order\n",
    );
    std::fs::write(&path, text).unwrap();
    let new = Calendar::load(tmp.path(), "kz").unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(new.version(), kz().version());
    assert_eq!(new.version().latest_order, Some(date("2026-11-21")));

    // Later under the new calendar: the later date applies.
    let before = kz().add_working_days(date("2026-12-16"), 2).unwrap();
    assert_eq!(before.result, date("2026-12-18"));
    let r = before.recompute(&new).unwrap();
    assert!(r.changed());
    assert_eq!(r.current.result, date("2026-12-19"));
    assert_eq!(r.effective, date("2026-12-19"));
    // Earlier under the new calendar: the date already promised stays.
    let before = kz().add_working_days(date("2026-12-18"), 1).unwrap();
    let r = before.recompute(&new).unwrap();
    assert_eq!(r.current.result, date("2026-12-19"));
    assert_eq!(r.previous.result, date("2026-12-21"));
    assert_eq!(r.effective, date("2026-12-21"));
    assert!(
        r.to_string()
            .starts_with("effective deadline 2026-12-21 (Mon)"),
        "{r}"
    );
    // Unchanged where the order does not reach.
    let r = kz()
        .add_working_days(date("2026-03-20"), 5)
        .unwrap()
        .recompute(&new)
        .unwrap();
    assert!(!r.changed());
}

#[test]
fn mistakes_in_a_year_file_point_at_file_line_and_column() {
    let tmp = copy_calendars();
    let line = edit(
        tmp.path(),
        "2025.yaml",
        "day_off: 2025-01-03",
        "day_off: 2025-01-04",
    );
    let typo = edit(
        tmp.path(),
        "2026.yaml",
        "kurban_ait: 2026-05-27",
        "kurban_ayt: 2026-05-27",
    );
    let outside = edit(
        tmp.path(),
        "2023.yaml",
        "day_off: 2023-07-07",
        "day_off: 2024-07-07",
    );
    let Err(Error::Invalid(diags)) = Calendar::load(tmp.path(), "kz") else {
        panic!("the edited calendar must not load");
    };
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    let file = |name: &str| tmp.path().join("kz").join(name).display().to_string();
    let expect = [
        format!(
            "{}:{line}:14: 2025-01-04 (Saturday) is a weekly rest day; a transfer's `day_off` must be a working day",
            file("2025.yaml")
        ),
        format!(
            "{}:{typo}:3: `kurban_ayt` is not a holiday whose date is set each year\n  hint: did you mean `kurban_ait`?",
            file("2026.yaml")
        ),
        format!(
            "{}:{outside}:14: 2024-07-07 is not in 2023",
            file("2023.yaml")
        ),
    ];
    for e in &expect {
        assert!(
            text.iter().any(|t| t.starts_with(e.as_str())),
            "missing\n{e}\nin\n{}",
            text.join("\n")
        );
    }
    assert!(
        text.iter()
            .any(|t| t.contains("the date of Kurban Ait (first day) in 2026 is missing"))
    );

    // The CLI prints the same diagnostics and fails.
    let out = qyzmet(&["non-working", "--year", "2026"], tmp.path());
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains(&expect[0]), "{}", out.stderr);
}

#[test]
fn the_rules_file_is_checked_too() {
    let tmp = copy_calendars();
    let line = edit(
        tmp.path(),
        "rules.yaml",
        "weekly_rest_days: [saturday, sunday]",
        "weekly_rest_days: [saturday, sundy]",
    );
    let Err(Error::Invalid(diags)) = Calendar::load(tmp.path(), "kz") else {
        panic!("the edited calendar must not load");
    };
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0].to_string(),
        format!(
            "{}:{line}:30: `sundy` is not a weekday\n  hint: did you mean `sunday`?",
            tmp.path().join("kz/rules.yaml").display()
        )
    );
    let missing = Calendar::load(tmp.path(), "xx").unwrap_err().to_string();
    assert!(missing.contains("no calendar `xx`"), "{missing}");
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn qyzmet(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .arg("calendar")
        .args(args)
        .env("QYZMET_CALENDAR_DIR", dir)
        .output()
        .expect("qyzmet runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

#[test]
fn cli_prints_exactly_the_answer() {
    let dir = calendars_dir();
    let out = qyzmet(&["non-working", "--year", "2026"], &dir);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let expected: String = kz()
        .non_working_dates(2026)
        .unwrap()
        .iter()
        .map(|d| format!("{d}\n"))
        .collect();
    assert_eq!(out.stdout, expected);
    assert_eq!(out.stdout.lines().count(), 118);

    let out = qyzmet(&["working-weekends", "--year", "2025"], &dir);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "2025-01-05\n", "")
    );
    let out = qyzmet(&["working-weekends", "--year", "2022"], &dir);
    assert_eq!(out.stdout, "2022-03-05\n2022-08-27\n2022-10-22\n");

    let out = qyzmet(
        &["add", "--from", "2026-03-20", "--working-days", "5"],
        &dir,
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "2026-04-01\n", "")
    );
    let out = qyzmet(
        &[
            "add",
            "--from",
            "2026-03-20",
            "--working-days",
            "5",
            "--explain",
        ],
        &dir,
    );
    assert_eq!(out.code, 0);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("2026-04-01"));
    assert!(
        out.stdout
            .contains("\nskipped 2026-03-25 (Wed): day off for Nauryz meiramy"),
        "{}",
        out.stdout
    );

    let out = qyzmet(
        &["between", "--from", "2026-03-20", "--to", "2026-04-01"],
        &dir,
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "5\n", "")
    );

    // --calendar and --calendar-dir override the defaults.
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args([
            "calendar",
            "between",
            "--from",
            "2025-12-31",
            "--to",
            "2026-01-09",
            "--calendar",
            "kz",
            "--calendar-dir",
        ])
        .arg(&dir)
        .env("QYZMET_CALENDAR_DIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "4\n");

    // A provisional year: the answer, and one warning line.
    let out = qyzmet(&["non-working", "--year", "2027"], &dir);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.lines().count(), 118);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("warning: the calendar for 2027 is provisional"),
        "{}",
        out.stderr
    );
    let out = qyzmet(
        &["add", "--from", "2026-12-31", "--working-days", "1"],
        &dir,
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "2027-01-05\n"));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn cli_bad_input_is_one_line_and_a_failure() {
    let dir = calendars_dir();
    let cases: &[(&[&str], &str)] = &[
        (
            &["add", "--from", "2026-13-01", "--working-days", "5"],
            r#"error: --from: "2026-13-01" is not a date (expected YYYY-MM-DD)"#,
        ),
        (
            &["add", "--from", "2026-03-20", "--working-days", "--3"],
            r#"error: --working-days: "--3" is not a whole number (expected N to count forward, -N to count back)"#,
        ),
        (
            &["add", "--from", "2026-03-20", "--working-days", "five"],
            r#"error: --working-days: "five" is not a whole number (expected N to count forward, -N to count back)"#,
        ),
        (
            &["non-working", "--year", "1999"],
            "error: no calendar data or rules for year 1999",
        ),
        (
            &["non-working", "--year", "2200"],
            "error: no calendar data or rules for year 2200",
        ),
        (
            &["working-weekends", "--year", "-2025"],
            r#"error: --year: "-2025" is not a year (expected four digits, e.g. 2026)"#,
        ),
        (
            &["between", "--from", "2026-03-20", "--to", "20260401"],
            r#"error: --to: "20260401" is not a date (expected YYYY-MM-DD)"#,
        ),
        (
            &["between", "--from", "1999-01-01", "--to", "2026-04-01"],
            "error: no calendar data or rules for year 1999",
        ),
        (
            &["add", "--from", "2030-12-27", "--working-days", "5"],
            "error: no calendar data or rules for year 2031",
        ),
    ];
    for (args, message) in cases {
        let out = qyzmet(args, &dir);
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert_eq!(out.stderr, format!("{message}\n"), "{args:?}");
    }
    let out = qyzmet(
        &["non-working", "--year", "2026"],
        Path::new("/nonexistent"),
    );
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

/// Dates from 2020 through late 2027, where every count below stays within the data.
fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..2_850).prop_map(|i| date("2020-01-01") + chrono::Days::new(i))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn counting_back_what_was_added_gives_n(d in any_date(), n in 1u32..80) {
        let cal = kz();
        let deadline = cal.add_working_days(d, n).unwrap();
        prop_assert_eq!(cal.working_days_between(d, deadline.result).unwrap(), i64::from(n));
        prop_assert_eq!(cal.working_days_between(deadline.result, d).unwrap(), -i64::from(n));
        prop_assert!(cal.is_working(deadline.result).unwrap());
        prop_assert_eq!(deadline.counted.len(), n as usize);
        prop_assert_eq!(deadline.counted.last().copied(), Some(deadline.result));
        // From a working day, subtracting undoes adding.
        if cal.is_working(d).unwrap() {
            prop_assert_eq!(cal.subtract_working_days(deadline.result, n).unwrap().result, d);
        }
    }

    #[test]
    fn results_are_working_days_and_grow_with_n(d in any_date(), n in 0u32..60) {
        let cal = kz();
        let a = cal.add_working_days(d, n).unwrap().result;
        let b = cal.add_working_days(d, n + 1).unwrap().result;
        prop_assert!(cal.is_working(a).unwrap() && cal.is_working(b).unwrap());
        if n == 0 && !cal.is_working(d).unwrap() {
            // Zero days from a day off is the next working day, as is one day.
            prop_assert_eq!(a, b);
        } else {
            prop_assert!(a < b);
            prop_assert_eq!(cal.next_working_day(a).unwrap(), b);
        }
        match cal.subtract_working_days(d, n) {
            Ok(back) => prop_assert!(cal.is_working(back.result).unwrap() && back.result <= d),
            // Counting back from the first days of 2020 leaves the data, and says so.
            Err(e) => prop_assert_eq!(e.to_string(), "no calendar data or rules for year 2019"),
        }
        let rolled = cal.add_calendar_days_rolling(d, n).unwrap().result;
        prop_assert!(cal.is_working(rolled).unwrap());
        prop_assert!(rolled >= cal.add_calendar_days(d, n).unwrap().result);
    }
}
