//! Money and exact decimals, end to end: the fixture service `money-fixture`
//! (`tests/fixtures/money/`) takes amounts typed as a clerk types them, computes with them in
//! its `set:` expressions as a case runs, and prints them in a notice and a document; its
//! scenarios say what the case holds and what the citizen reads.

use std::path::{Path, PathBuf};

use qyzmet::definition::{Options, messages::Lang};
use qyzmet::scenario::{self, Setup};

const FIXTURE: &str = "tests/fixtures/money";

fn setup() -> Setup {
    let options = Options {
        catalog: Some(PathBuf::from("tests/fixtures/definitions/catalog.yaml")),
        templates: Some(PathBuf::from(format!("{FIXTURE}/templates"))),
        calendars: Some(PathBuf::from("calendars")),
        lang: Lang::En,
    };
    let setup = Setup::load(
        &[PathBuf::from(format!("{FIXTURE}/payment.yaml"))],
        &options,
    )
    .expect("the money fixture loads");
    assert_eq!(setup.diagnostics, vec![]);
    setup
}

/// The verdict of a scenario: `ok`, or the first expectation that failed, or its mistakes.
fn verdict(setup: &Setup, file: &Path) -> String {
    match scenario::run_file(setup, file) {
        Ok(run) => match run.failure {
            None => "ok".into(),
            Some(d) => format!("FAIL {d}"),
        },
        Err(scenario::Error::Invalid(diagnostics)) => diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("error: {e}"),
    }
}

/// A clerk's "1 850 000,50" is kept as "1850000.50" and read as "1 850 000,50 тенге"; a rate
/// of 0,015 gives a share of 27 750,0075, rounded half away from zero to 27 750,01 тенге; the
/// issue's 1 000 000,10 − 999 999,90 is 0,2 exactly (`balance.exact` is true); amounts with
/// three digits of tiyn or a currency word are refused at the field, naming it.
#[test]
fn amounts_typed_in_russian_are_kept_exactly_and_printed_as_money() {
    let setup = setup();
    let file = PathBuf::from(format!("{FIXTURE}/scenarios/typed-amounts-ru.yaml"));
    assert_eq!(verdict(&setup, &file), "ok");
}

/// The Kazakh decision prints "1 850 000,50 теңге"; 1 850 000,50 × 0,25 = 462 500,125 is
/// 462 500,13 теңге: a half tiyn rounds away from zero (to even it would be 462 500,12).
#[test]
fn amounts_print_in_kazakh_with_tenge_spelt_in_kazakh() {
    let setup = setup();
    let file = PathBuf::from(format!("{FIXTURE}/scenarios/typed-amounts-kk.yaml"));
    assert_eq!(verdict(&setup, &file), "ok");
}

/// Scenario values compare by value — 1850000.5, 1850000.50 and "1850000.50" are the amount
/// kept — and a different amount still fails, saying what was expected and what was found.
#[test]
fn scenarios_compare_amounts_by_value() {
    let setup = setup();
    let dir = tempfile::tempdir().unwrap();
    let base =
        std::fs::read_to_string(format!("{FIXTURE}/scenarios/typed-amounts-kk.yaml")).unwrap();
    let run = |expected: &str| {
        let text = base.replace(
            "data: { payment.amount: 1850000.50, payment.share: \"462500.13\" }",
            &format!("data: {{ payment.amount: {expected} }}"),
        );
        assert_ne!(text, base, "the fixture scenario changed");
        let file = dir.path().join("by-value.yaml");
        std::fs::write(&file, text).unwrap();
        verdict(&setup, &file)
    };
    for same in ["1850000.5", "1850000.50", "\"1850000.50\""] {
        assert_eq!(run(same), "ok", "{same}");
    }
    let differs = run("1850000.51");
    assert!(
        differs.contains("expected `payment.amount` to be 1850000.51, but it is \"1850000.50\""),
        "{differs}"
    );
    let not_canonical = run("\"01850000.50\"");
    assert!(not_canonical.starts_with("FAIL"), "{not_canonical}");
}
