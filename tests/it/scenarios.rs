//! Scenarios: the shipped ones all pass, and the runner itself says what a methodologist
//! needs to hear — where the first expectation failed, what was expected, what was found.
//!
//! The runner's cases are files: `tests/fixtures/scenarios/<case>.yaml`, run against the
//! fixture definitions, with the exact expected outcome beside it in `<case>.expected` (the
//! trace and the verdict, or the scenario's mistakes). Adding a case is adding two files.
//! `UPDATE_GOLDEN=1 cargo test` rewrites the expected files; review the diff before
//! committing it.

use std::path::{Path, PathBuf};

use qyzmet::definition::{Options, messages::Lang};
use qyzmet::scenario::{self, LineKind, Setup};

const FIXTURES: &str = "tests/fixtures/scenarios";

/// The fixture definitions (`all-kinds` and the fixture hearing), the real calendar.
fn fixture_setup() -> Setup {
    let options = Options {
        catalog: Some(PathBuf::from("tests/fixtures/definitions/catalog.yaml")),
        templates: Some(PathBuf::from("tests/fixtures/templates")),
        calendars: Some(PathBuf::from("calendars")),
        lang: Lang::En,
    };
    let setup = Setup::load(
        &[PathBuf::from(
            "tests/fixtures/definitions/valid/all_kinds.yaml",
        )],
        &options,
    )
    .expect("the fixture definitions load");
    assert_eq!(setup.diagnostics, vec![]);
    setup
}

/// What a run says, as text: the trace and the verdict, or the scenario's mistakes.
fn outcome(setup: &Setup, file: &Path) -> String {
    match scenario::run_file(setup, file) {
        Ok(run) => {
            let mut out: String = run.trace.iter().map(|l| format!("{l}\n")).collect();
            match run.failure {
                None => out.push_str("ok\n"),
                Some(d) => out.push_str(&format!("FAIL {d}\n")),
            }
            out
        }
        Err(scenario::Error::Invalid(diagnostics)) => {
            diagnostics.iter().map(|d| format!("{d}\n")).collect()
        }
        Err(e) => format!("error: {e}\n"),
    }
}

/// Compares the outcome of `case` with its `.expected` file.
fn check(setup: &Setup, case: &Path) {
    let expected_file = case.with_extension("expected");
    let actual = outcome(setup, case);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_file, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_file).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with UPDATE_GOLDEN=1",
            expected_file.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "the outcome of {} differs from {}",
        case.display(),
        expected_file.display()
    );
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_shipped_scenario_passes() {
    let setup =
        Setup::for_path(Path::new("workflows"), &Options::default()).expect("workflows/ loads");
    let problems: Vec<String> = setup.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        problems.is_empty(),
        "workflows/ has problems:\n{}",
        problems.join("\n")
    );
    let files = scenario::find(Path::new("workflows"));
    assert!(
        files.len() >= 7,
        "the scenarios of the certificate went missing: {files:?}"
    );
    let mut failures = Vec::new();
    for file in &files {
        match scenario::run_file(&setup, file) {
            Ok(run) if run.passed() => {}
            Ok(run) => {
                let trace: Vec<String> = run.trace.iter().map(|l| format!("    {l}")).collect();
                failures.push(format!(
                    "{}\n{}\n  FAIL {}",
                    file.display(),
                    trace.join("\n"),
                    run.failure.expect("a failed run has a failure")
                ));
            }
            Err(e) => failures.push(format!("{}\n  {e}", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn pending_scenarios_are_not_run() {
    let files = scenario::find(Path::new("workflows"));
    assert!(
        files
            .iter()
            .all(|f| !f.components().any(|c| c.as_os_str() == "pending")),
        "{files:?}"
    );
}

#[test]
fn every_fixture_scenario_gets_its_expected_outcome() {
    let setup = fixture_setup();
    let cases = cases();
    assert!(
        cases.len() >= 7,
        "the fixture scenarios went missing: {cases:?}"
    );
    for case in cases {
        check(&setup, &case);
    }
}

#[test]
fn a_failing_expectation_names_its_place_and_what_was_expected_and_found() {
    let setup = fixture_setup();
    let run = scenario::run_file(&setup, &Path::new(FIXTURES).join("wrong_step.yaml")).unwrap();
    let failure = run.failure.expect("the scenario fails");
    assert_eq!(
        (failure.line, failure.column),
        (10, 7),
        "at `waiting_at` of the second expect"
    );
    assert_eq!(
        failure.message,
        "expected the case to wait at `review`, but it waits at `fetch_person` and `fetch_account`"
    );
    // The run stops there: the step before it ran, the step after it never did.
    let steps: Vec<&str> = run
        .trace
        .iter()
        .filter(|l| l.kind == LineKind::Step)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        steps,
        vec![
            "submit: in kk, through state_corporation, region almaty, SMS consent not given",
            "complete: `complete`, by clerk"
        ]
    );
}

#[test]
fn a_mistake_in_a_scenario_file_is_reported_at_its_position() {
    let setup = fixture_setup();
    let err = scenario::run_file(&setup, &Path::new(FIXTURES).join("shape.yaml")).unwrap_err();
    let scenario::Error::Invalid(diagnostics) = err else {
        panic!("expected diagnostics, got {err:?}");
    };
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].to_string(),
        "tests/fixtures/scenarios/shape.yaml:7:31: unknown field `outcom`\n  hint: did you mean `outcome`?"
    );
    // Names are checked against the definition, all at once, each with its position.
    let err = scenario::run_file(&setup, &Path::new(FIXTURES).join("names.yaml")).unwrap_err();
    let scenario::Error::Invalid(diagnostics) = err else {
        panic!("expected diagnostics, got {err:?}");
    };
    assert!(diagnostics.len() >= 10, "{diagnostics:#?}");
    let iin = diagnostics
        .iter()
        .find(|d| d.message.contains("control digit"))
        .expect("the invalid IIN is reported");
    assert_eq!((iin.line, iin.column), (6, 67));
}

use crate::cli::qyzmet;

/// A workflows folder of its own: the fixture definition, two scenarios beside it (one that
/// passes, one that fails) and one pending.
fn fixture_tree() -> tempfile::TempDir {
    let (dir, root) =
        crate::cli::fixture_workflows(|definition| definition, &["issued.yaml", "wrong_step.yaml"]);
    let pending = root.join("all-kinds/scenarios/pending");
    std::fs::create_dir_all(&pending).unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("wrong_step.yaml"),
        pending.join("wrong_step.yaml"),
    )
    .unwrap();
    dir
}

#[test]
fn qyzmet_test_lists_each_scenario_and_ends_with_the_counts() {
    let dir = fixture_tree();
    let root = dir.path().join("workflows");
    let calendars = std::path::absolute("calendars").unwrap();
    let (code, out, err) = qyzmet(&[
        "test",
        root.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "one scenario fails\n{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.last(), Some(&"1 passed, 1 failed"), "{out}");
    let issued = root.join("all-kinds/scenarios/issued.yaml");
    let wrong = root.join("all-kinds/scenarios/wrong_step.yaml");
    assert_eq!(
        lines[0],
        format!(
            "ok   {}  The application is approved and issued after the cool-off day",
            issued.display()
        )
    );
    assert_eq!(
        lines[1],
        format!("FAIL {}  Expects the review too early", wrong.display())
    );
    assert_eq!(
        lines[2],
        format!(
            "    {}:10:7: expected the case to wait at `review`, but it waits at `fetch_person` and `fetch_account`",
            wrong.display()
        )
    );
    assert_eq!(lines.len(), 4, "the pending scenario is not run: {out}");

    // Without the failing one, the run passes.
    std::fs::remove_file(&wrong).unwrap();
    let (code, out, _) = qyzmet(&[
        "test",
        root.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn qyzmet_test_fails_on_invalid_definitions() {
    let dir = fixture_tree();
    let root = dir.path().join("workflows");
    std::fs::write(
        root.join("all-kinds/2026-04-13.yaml"),
        std::fs::read_to_string("tests/fixtures/definitions/valid/all_kinds.yaml")
            .unwrap()
            .replace("role: provider_specialist", "role: provider_specialst"),
    )
    .unwrap();
    let calendars = std::path::absolute("calendars").unwrap();
    let (code, out, _) = qyzmet(&[
        "test",
        root.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown role `provider_specialst`"), "{out}");
    assert!(out.contains("FAIL the definitions have"), "{out}");
}

#[test]
fn qyzmet_simulate_prints_the_trace_and_exits_0_1_or_2() {
    let (code, out, err) = qyzmet(&[
        "simulate",
        "workflows/rehabilitated-person-certificate/scenarios/issued-within-the-term.yaml",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "Mon 2026-11-23 10:00      task opened for front_office_operator, due Mon 2026-11-23 10:20  [accept_documents]"
        ),
        "{out}"
    );
    assert!(out.contains("the case closes: issued"), "{out}");

    let dir = fixture_tree();
    let root = dir.path().join("workflows");
    let calendars = std::path::absolute("calendars").unwrap();
    let wrong = root.join("all-kinds/scenarios/wrong_step.yaml");
    let (code, out, _) = qyzmet(&[
        "simulate",
        wrong.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with(&format!("FAIL {}:10:7: expected", wrong.display())),
        "{out}"
    );

    let (code, _, err) = qyzmet(&["simulate", "workflows/no-such-scenario.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file"), "{err}");

    std::fs::write(
        &wrong,
        "scenario: x\nservice: all-kinds\nnow: 2026-11-23T10:00\nstep: []\n",
    )
    .unwrap();
    let (code, out, _) = qyzmet(&[
        "simulate",
        wrong.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains(":4:1: unknown field `step`"), "{out}");
}
