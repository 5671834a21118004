//! The term check (`engine/definition/term.rs`) against the runtime's arithmetic
//! (`engine/definition/timeline.rs`, what `qyzmet simulate --dry-run` prints): when `validate`
//! says a service's term holds, no path may end after the term, whatever the day and hour of
//! acceptance. The citizen's right is the term (seeds/004 appendix 2 row 5), not an average.

use std::path::PathBuf;
use std::process::Command;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use indexmap::IndexMap;
use qyzmet::calendar::Calendar;
use qyzmet::definition::model::{Definition, Kind, WorkingTime};
use qyzmet::definition::timeline::{self, Entry};
use qyzmet::definition::{self, Options, messages::Lang};
use qyzmet::runtime::Settings;

/// The hours a case may be accepted at: at night, before and at the opening, mid-morning,
/// after lunch, a minute before the close, at the close, and in the evening.
const HOURS: [(u32, u32); 8] = [
    (0, 30),
    (8, 59),
    (9, 0),
    (11, 0),
    (14, 0),
    (17, 59),
    (18, 0),
    (21, 0),
];

/// One service that `validate` passes but whose path ends after the term.
struct Counterexample {
    service: String,
    accepted: NaiveDateTime,
    path: String,
    ends: String,
    due: String,
}

/// What [`counterexamples`] drew: the services `validate` passes, how many acceptances, and
/// the paths that end after the term.
struct Drawn {
    services: Vec<String>,
    checked: usize,
    found: Vec<Counterexample>,
}

/// Every service of `paths` that `validate` passes, accepted at every hour of [`HOURS`] on
/// every day of 2026 and 2027 when it is in force: the paths that end after the term.
fn counterexamples(paths: &[PathBuf], options: &Options) -> Drawn {
    let report = definition::load(paths, options);
    let subs: IndexMap<String, Definition> = report.library.subworkflows();
    let calendar = Calendar::load(&PathBuf::from("calendars"), "kz").expect("the kz calendar");
    let settings = Settings::default();
    let passed: Vec<&Definition> = report
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == Kind::Service && d.term.is_some())
        .filter(|d| !report.diagnostics.iter().any(|p| p.file == d.file))
        .collect();
    let passed_ids = passed.iter().map(|d| d.id.clone()).collect();
    let mut found = Vec::new();
    let mut checked = 0;
    for def in passed {
        let all = acceptances(def, &calendar);
        let walk = timeline::walk(def, &subs);
        for &at in all.iter().step_by(stride(walk.path_count())) {
            let t = walk
                .at(&calendar, &settings, at)
                .unwrap_or_else(|e| panic!("{} at {at}: {e}", def.id));
            let due = t.term.as_ref().expect("a term").due_at;
            checked += 1;
            for path in &t.paths {
                let Some(end) = path.last() else { continue };
                if end.starts > due {
                    found.push(Counterexample {
                        service: def.id.clone(),
                        accepted: at,
                        path: names(path),
                        ends: end.starts.format("%Y-%m-%d %H:%M %a").to_string(),
                        due: due.format("%Y-%m-%d %H:%M %a").to_string(),
                    });
                }
            }
        }
    }
    Drawn {
        services: passed_ids,
        checked,
        found,
    }
}

/// The paths a service may have and still be drawn at every acceptance of [`acceptances`].
const PATHS_DRAWN_WHOLE: usize = 40;

/// Every how many acceptances a service with `paths` paths is drawn. The timeline lists every
/// path, and a service whose requests each have a failure branch, run in parallel, has
/// thousands (each combination of the branches through the join). Each service is walked once
/// (`timeline::walk`), but every acceptance still dates every path: drawn at every hour of
/// every day, one such service would cost minutes. So a service of more paths than
/// [`PATHS_DRAWN_WHOLE`] is drawn at every n-th acceptance, n odd so that the draws still go
/// through every hour of [`HOURS`] and every day of the week; each such service then costs
/// about what one of 40 paths drawn whole costs. `qyzmet validate`'s own check of the term,
/// which this test checks, is made for every service whole.
fn stride(paths: usize) -> usize {
    let n = paths.div_ceil(PATHS_DRAWN_WHOLE).max(1);
    if n.is_multiple_of(2) { n + 1 } else { n }
}

/// When a case of `def` may start in 2026 and 2027, while `def` is in force: a citizen's
/// service at every hour of [`HOURS`] of every day; a scheduled one (`schedule`) when its
/// schedule starts it, which is the only way its cases start.
fn acceptances(def: &Definition, calendar: &Calendar) -> Vec<NaiveDateTime> {
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let last = NaiveDate::from_ymd_opt(2027, 12, 31).expect("a date");
    if let Some(schedule) = &def.schedule {
        let utc = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
        return qyzmet::schedule::occurrences_between(schedule, calendar, utc(first), utc(last))
            .unwrap_or_else(|e| panic!("{}: {e}", def.id))
            .into_iter()
            .filter(|o| def.in_force_on(o.local_date))
            .map(|o| o.at.with_timezone(&calendar.time_zone()).naive_local())
            .collect();
    }
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        if def.in_force_on(day) {
            for (h, m) in HOURS {
                out.push(day.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("a time")));
            }
        }
        day += Duration::days(1);
    }
    out
}

fn names(path: &[Entry<'_>]) -> String {
    path.iter()
        .map(|e| e.name.as_str())
        .collect::<Vec<_>>()
        .join(" → ")
}

fn assert_none(drawn: &Drawn) {
    let (checked, found) = (drawn.checked, &drawn.found);
    assert!(checked > 1000, "only {checked} acceptances were drawn");
    let shown: Vec<String> = found
        .iter()
        .take(5)
        .map(|c| {
            format!(
                "{} accepted {}: {} ends {}, after the term's due {}",
                c.service, c.accepted, c.path, c.ends, c.due
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "validate passes a term that {} path(s) break, e.g.:\n{}",
        found.len(),
        shown.join("\n")
    );
}

#[test]
fn no_shipped_service_that_validates_ends_a_path_after_its_term() {
    let drawn = counterexamples(&[PathBuf::from("workflows")], &Options::default());
    for service in [
        "rehabilitated-person-certificate",
        "repression-victims-compensation",
    ] {
        assert!(
            drawn.services.iter().any(|s| s == service),
            "{service} does not validate, so it was not drawn: {:?}",
            drawn.services
        );
    }
    assert_none(&drawn);
}

#[test]
fn no_valid_fixture_service_ends_a_path_after_its_term() {
    let options = Options {
        catalog: Some(PathBuf::from("tests/fixtures/definitions/catalog.yaml")),
        templates: Some(PathBuf::from("tests/fixtures/templates")),
        calendars: Some(PathBuf::from("tests/fixtures/calendars")),
        lang: Lang::En,
    };
    let drawn = counterexamples(
        &[PathBuf::from("tests/fixtures/definitions/valid")],
        &options,
    );
    assert!(
        drawn.services.iter().any(|s| s == "all-kinds"),
        "{:?}",
        drawn.services
    );
    assert_none(&drawn);
}

/// What `simulate --dry-run` prints for a service accepted at `at`.
fn dry_run(service: &str, at: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args(["simulate", "--dry-run", service, "--accepted", at])
        .output()
        .expect("qyzmet runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Accepted on Thu 10.12.2026, when the hearing's notice handed over on Monday used to push
/// the certificate past the term, on the eve of Independence Day (16.12.2026), and on the
/// Thursday and Friday before Nauryz 2027 (20–24.03: the weekend, the three days and the
/// Sunday moved to Wednesday): every path of both services with a hearing ends within the
/// term, and the dry run prints no warning. (Nauryz 2026 comes before either is in force.)
#[test]
fn dry_run_of_the_hearing_services_shows_no_path_after_the_term() {
    for service in [
        "rehabilitated-person-certificate",
        "repression-victims-compensation",
    ] {
        for at in [
            "2026-12-10T10:00",
            "2026-12-15T17:59",
            "2027-03-18T10:00",
            "2027-03-19T17:59",
        ] {
            let out = dry_run(service, at);
            assert!(out.contains("path 1 of"), "{service} {at}:\n{out}");
            assert!(
                !out.contains("⚠"),
                "{service} accepted {at}:\n{}",
                out.lines()
                    .filter(|l| l.contains("⚠") || l.starts_with("path "))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// The term check counts 8 working hours a working day: it is sound only if no office profile
/// of the calendar is open less than that on a working day (a shortened day would let a due
/// time in hours end later than the check says).
#[test]
fn every_office_profile_is_open_at_least_the_hours_the_term_check_counts() {
    let calendar = Calendar::load(&PathBuf::from("calendars"), "kz").expect("the kz calendar");
    let profiles: Vec<String> = calendar.office_profiles().map(str::to_string).collect();
    assert!(profiles.contains(&"standard".to_string()), "{profiles:?}");
    let mut day = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    while day.year() <= 2027 {
        if calendar.is_working(day).expect("in the calendar") {
            for profile in &profiles {
                let open: i64 = calendar
                    .office_hours(profile, day)
                    .expect("a profile")
                    .iter()
                    .map(|i| (i.close - i.open).num_minutes())
                    .sum();
                assert!(
                    open >= i64::from(WorkingTime::MINUTES_PER_DAY),
                    "`{profile}` is open {open} minutes on {day}"
                );
            }
        }
        day += Duration::days(1);
    }
}
