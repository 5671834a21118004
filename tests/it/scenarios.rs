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

// Several cases in one scenario, and the mass event's `broadcast:` (issue #16: "a mass
// increase over 3 cases in one scenario").

/// A monthly payment in miniature (seeds/001 items 9 and 12; the forms of seeds/000
/// appendices 2-5): assigned, it holds while it lives; a law raises it (once per act), it is
/// suspended, and it ends by itself on the day its term of lost capacity ends.
const PAYMENT: &str = r#"
service: tiny-payment
version: "2026-07-12"
effective_from: 2026-07-12
title: { kk: "Ай сайынғы төлем", ru: "Ежемесячная выплата" }
basis:
  order_196: { title: "Order No. 196", file: seeds/001 }
  order_213: { title: "Order No. 213", file: seeds/000 }
term:
  working_days: 4
  starts_after: accept
  source: { act: order_196, item: "item 12 part 1" }
channels: [state_corporation]
results: [terminated]
data:
  applicant.iin: iin
  payment.amount: money
  payment.until: date
  increase.act: string
  increase.from: date
  increase.percent: decimal
  suspension.reason: text
messages:
  increase:
    title: { kk: "Төлемді арттыру", ru: "Повышение выплаты" }
    fields: { act: string, from: date, percent: decimal }
  suspension:
    title: { kk: "Төлемді тоқтата тұру", ru: "Приостановление выплаты" }
    fields: { reason: text }
record: [payment.amount]
events:
  increase:
    title: { kk: "Төлемді арттыру", ru: "Повышение выплаты" }
    source: { act: order_213, item: "appendix 3" }
    message: increase
    during: [payment_active]
    once_per: "message.act"
    store: { increase.act: "message.act", increase.from: "message.from", increase.percent: "message.percent" }
    by: [provider_specialist]
    start: review_increase
  suspension:
    title: { kk: "Төлемді тоқтата тұру", ru: "Приостановление выплаты" }
    source: { act: order_213, item: "appendix 4" }
    message: suspension
    during: [payment_active]
    store: { suspension.reason: "message.reason" }
    by: [provider_specialist]
    start: review_suspension
  capacity_ends:
    title: { kk: "Еңбек ету қабілетінен айыру мерзімі аяқталды", ru: "Окончание срока утраты трудоспособности" }
    source: { act: order_196, item: "item 9" }
    date: "payment.until"
    during: [payment_active, payment_suspended]
    start: terminated
start: accept
steps:
  accept:
    title: { kk: "Өтінішті қабылдау", ru: "Приём заявления" }
    source: { act: order_196, item: "item 9" }
    task: { role: front_office_operator }
    outcomes: { complete: assign }
  assign:
    title: { kk: "Тағайындау", ru: "Назначение" }
    source: { act: order_196, item: "item 12 part 1" }
    task:
      role: provider_specialist
      form: [payment.amount, { field: payment.until, required: false }]
    outcomes: { assign: payment_active }
  payment_active:
    title: { kk: "Төлем жүргізілуде", ru: "Выплата производится" }
    source: { act: order_213, item: "appendix 2" }
    hold: active
  payment_suspended:
    title: { kk: "Төлем тоқтатыла тұрды", ru: "Выплата приостановлена" }
    source: { act: order_213, item: "appendix 4" }
    hold: suspended
  review_increase:
    title: { kk: "Арттыруды қарау", ru: "Рассмотрение повышения" }
    source: { act: order_213, item: "appendix 3" }
    task: { role: provider_specialist }
    outcomes:
      approve:
        next: payment_active
        set: { payment.amount: "payment.amount * (1.0 + increase.percent / 100.0)" }
  review_suspension:
    title: { kk: "Тоқтата тұруды қарау", ru: "Рассмотрение приостановления" }
    source: { act: order_213, item: "appendix 4" }
    task: { role: provider_specialist }
    outcomes: { approve: payment_suspended }
  terminated:
    title: { kk: "Төлем тоқтатылды", ru: "Выплата прекращена" }
    source: { act: order_213, item: "appendix 5" }
    end: terminated
"#;

/// Three citizens apply; the first two are assigned their payments (120 000 until
/// 1 March 2027, 90 000 until 1 February 2027), the third is still being accepted.
const THREE_CASES: &str = r#"
scenario: A law raises every active payment
service: tiny-payment
now: 2026-11-23T10:00
steps:
  - submit: { name: first, language: ru, data: { applicant.iin: "580922400781" } }
  - complete: { step: accept, outcome: complete }
  - complete: { step: assign, outcome: assign, form: { payment.amount: 120000, payment.until: 2027-03-01 } }
  - submit: { name: second, language: kk, data: { applicant.iin: "580922400781" } }
  - complete: { step: accept, outcome: complete }
  - complete: { step: assign, outcome: assign, form: { payment.amount: 90000, payment.until: 2027-02-01 } }
  - expect: { waiting_at: [payment_active], status: active, state: active }
  - submit: { language: ru, data: { applicant.iin: "580922400781" } }
"#;

/// A workflows folder with the miniature payment (and, given, a later version of it) and one
/// scenario: the setup its scenarios run against, and the scenario's file.
fn payment_tree(scenario: &str, later_version: bool) -> (tempfile::TempDir, Setup, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("workflows");
    let service = root.join("tiny-payment");
    std::fs::create_dir_all(service.join("scenarios")).unwrap();
    std::fs::copy(
        "tests/fixtures/definitions/catalog.yaml",
        root.join("catalog.yaml"),
    )
    .unwrap();
    std::fs::write(service.join("2026-07-12.yaml"), PAYMENT).unwrap();
    if later_version {
        std::fs::write(
            service.join("2027-01-01.yaml"),
            PAYMENT
                .replace("version: \"2026-07-12\"", "version: \"2027-01-01\"")
                .replace("effective_from: 2026-07-12", "effective_from: 2027-01-01"),
        )
        .unwrap();
    }
    let file = service.join("scenarios/scenario.yaml");
    std::fs::write(&file, scenario).unwrap();
    let options = Options {
        catalog: Some(root.join("catalog.yaml")),
        templates: Some(PathBuf::from("tests/fixtures/templates")),
        calendars: Some(PathBuf::from("calendars")),
        lang: Lang::En,
    };
    let setup = Setup::for_path(&file, &options).expect("the miniature payment loads");
    let problems: Vec<String> = setup.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    (dir, setup, file)
}

/// The trace as `simulate` prints it, without the times: `#first      the event … starts`.
fn printed(run: &scenario::Run) -> Vec<String> {
    run.trace
        .iter()
        .map(|l| l.to_string().split_once("  ").unwrap().1.to_string())
        .collect()
}

/// The lines of the trace from the `n`th (from 1) line that starts with `start`, up to the
/// next scenario step that is not about one case.
fn section(lines: &[String], start: &str, n: usize) -> Vec<String> {
    let from = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(start))
        .nth(n - 1)
        .unwrap_or_else(|| panic!("no {n}th `{start}` in\n{}", lines.join("\n")))
        .0;
    let mut out = vec![lines[from].clone()];
    out.extend(
        lines[from + 1..]
            .iter()
            .take_while(|l| l.starts_with('#') && l.contains("      "))
            .cloned(),
    );
    out
}

#[test]
fn a_broadcast_reaches_every_case_and_each_says_what_it_did() {
    let scenario = format!(
        "{THREE_CASES}{}",
        r#"
  - broadcast: { message: increase, payload: { act: "Law No. 1", from: 2027-01-01, percent: 8.5 } }
  - expect: { broadcast: { started: 2, kept: 0, duplicate: 0, not_now: 1 }, waiting_at: [accept] }
  - broadcast: { message: increase, payload: { act: "Law No. 1", from: 2027-01-01, percent: 8.5 } }
  - expect: { broadcast: { duplicate: 2, not_now: 1 } }
  - case: first
  - expect: { task: { step: review_increase }, data: { increase.act: "Law No. 1" } }
  - complete: { step: review_increase, outcome: approve }
  - expect: { data: { payment.amount: 130200.00 }, state: active, waiting_at: [payment_active] }
  - case: second
  - expect: { task: { step: review_increase }, data: { payment.amount: 90000 } }
"#
    );
    let (_dir, setup, file) = payment_tree(&scenario, false);
    let run = scenario::run_file(&setup, &file).unwrap();
    let lines = printed(&run);
    assert!(run.passed(), "{}\n{:?}", lines.join("\n"), run.failure);
    // One line per case, in the order the cases were opened, then what followed from it.
    assert_eq!(
        section(&lines, "broadcast:", 1),
        vec![
            r#"broadcast: `increase` to every case, from administrator: {"act":"Law No. 1","from":"2027-01-01","percent":8.5}"#,
            "#first      the event `increase` starts  [payment_active]",
            "#first      timer cancelled: the day the event `capacity_ends` starts  [payment_active]",
            "#first      task opened for provider_specialist  [review_increase]",
            "#second      the event `increase` starts  [payment_active]",
            "#second      timer cancelled: the day the event `capacity_ends` starts  [payment_active]",
            "#second      task opened for provider_specialist  [review_increase]",
            "#3      not now: `increase` starts only while the case is at «Выплата производится» (payment_active); the case has not come there yet",
        ]
    );
    // The same act again: taken already by the two living payments, touching none twice.
    assert_eq!(
        section(&lines, "broadcast:", 2)[1..],
        [
            "#first      already taken: the case has already taken `increase` for Law No. 1",
            "#second      already taken: the case has already taken `increase` for Law No. 1",
            "#3      not now: `increase` starts only while the case is at «Выплата производится» (payment_active); the case has not come there yet",
        ]
    );
    assert!(
        lines.contains(&"#first      `payment.amount`: 120000.00 → 130200.00".to_string()),
        "{}",
        lines.join("\n")
    );

    // `simulate` prints the same.
    let calendars = std::path::absolute("calendars").unwrap();
    let templates = std::path::absolute("tests/fixtures/templates").unwrap();
    let (code, out, err) = qyzmet(&[
        "simulate",
        file.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Mon 2026-11-23 10:00  #second      already taken: the case has already taken `increase` for Law No. 1\n"),
        "{out}"
    );
}

#[test]
fn a_broadcast_count_that_does_not_hold_says_what_it_counted() {
    let scenario = format!(
        "{THREE_CASES}{}",
        r#"
  - broadcast: { message: increase, payload: { act: "Law No. 1", from: 2027-01-01, percent: 8.5 } }
  - expect: { broadcast: { started: 3 } }
"#
    );
    let (_dir, setup, file) = payment_tree(&scenario, false);
    let run = scenario::run_file(&setup, &file).unwrap();
    let failure = run.failure.expect("the count is wrong");
    assert_eq!((failure.line, failure.column), (16, 15));
    assert_eq!(
        failure.message,
        "expected the last broadcast to count started 3, but it counted started 2, kept 0, duplicate 0, not_now 1"
    );
}

#[test]
fn a_busy_case_keeps_the_broadcast_and_timers_of_every_case_fire_in_time_order() {
    let scenario = format!(
        "{THREE_CASES}{}",
        r#"
  - case: first
  - message: { name: suspension, payload: { reason: "left for abroad" } }
  - case: 3
  - complete: { step: accept, outcome: complete }
  - broadcast: { message: increase, payload: { act: "Law No. 2", from: 2027-07-01, percent: 5 } }
  - expect: { broadcast: { started: 1, kept: 1, not_now: 1 } }
  - case: first
  - complete: { step: review_suspension, outcome: approve }
  - expect: { state: suspended, waiting_at: [payment_suspended], status: active }
  - advance: { until: 2027-04-01T10:00 }
  - expect: { status: completed, result: terminated, state: terminated }
  - case: second
  - expect: { task: { step: review_increase } }
  - case: 3
  - expect: { state: null, waiting_at: [assign] }
"#
    );
    let (_dir, setup, file) = payment_tree(&scenario, false);
    let run = scenario::run_file(&setup, &file).unwrap();
    let lines = printed(&run);
    assert!(run.passed(), "{}\n{:?}", lines.join("\n"), run.failure);
    assert_eq!(
        section(&lines, "broadcast:", 1)[1..],
        [
            "#first      `increase` is kept: the case is busy with another event; `increase` starts when it is back at a hold that takes it",
            "#second      the event `increase` starts  [payment_active]",
            "#second      timer cancelled: the day the event `capacity_ends` starts  [payment_active]",
            "#second      task opened for provider_specialist  [review_increase]",
            "#3      not now: `increase` starts only while the case is at «Выплата производится» (payment_active); the case has not come there yet",
        ]
    );
    // The first case is suspended: the kept increase waits on (it applies to an active
    // payment), and the end of its term of lost capacity still comes on 1 March.
    let fired: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("timer fires") || l.contains("the case closes"))
        .collect();
    assert_eq!(
        fired,
        vec![
            "#first  timer fires: the day the event `capacity_ends` starts  [payment_suspended]",
            "#first      the case closes: terminated",
        ]
    );
}

#[test]
fn timers_of_several_cases_fire_in_the_order_they_are_due() {
    // The second case's term of lost capacity ends first (1 February), then the first's
    // (1 March): the shared clock fires them in that order, whatever order the cases opened.
    let scenario = format!(
        "{THREE_CASES}{}",
        r#"
  - advance: { until: 2027-04-01T10:00 }
  - expect: { state: terminated }
  - case: first
  - expect: { state: terminated, status: completed }
"#
    )
    .replace(
        "  - expect: { waiting_at: [payment_active], status: active, state: active }\n  - submit: { language: ru, data: { applicant.iin: \"580922400781\" } }\n",
        "",
    );
    let (_dir, setup, file) = payment_tree(&scenario, false);
    let run = scenario::run_file(&setup, &file).unwrap();
    let lines: Vec<String> = run.trace.iter().map(ToString::to_string).collect();
    assert!(run.passed(), "{}\n{:?}", lines.join("\n"), run.failure);
    let fired: Vec<&String> = lines.iter().filter(|l| l.contains("timer fires")).collect();
    assert_eq!(
        fired,
        vec![
            "Mon 2027-02-01 00:00  #second  timer fires: the day the event `capacity_ends` starts  [payment_active]",
            "Mon 2027-03-01 00:00  #first  timer fires: the day the event `capacity_ends` starts  [payment_active]",
        ]
    );
}

#[test]
fn case_names_and_broadcasts_are_checked_before_the_run() {
    let scenario = format!(
        "{THREE_CASES}{}",
        r#"
  - case: secnd
  - case: fourth
  - submit: { name: fourth, language: ru, data: { applicant.iin: "580922400781" } }
  - submit: { name: first, language: ru, data: { applicant.iin: "580922400781" } }
  - expect: { broadcast: { started: 1 } }
  - broadcast: { message: increse, payload: { act: "Law No. 1" } }
  - broadcast: { message: increase, payload: { act: "Law No. 1", percent: "much" } }
    expect_error: "not now"
"#
    );
    let (_dir, setup, file) = payment_tree(&scenario, false);
    let scenario::Error::Invalid(problems) = scenario::run_file(&setup, &file).unwrap_err() else {
        panic!("expected the scenario's mistakes");
    };
    let at = file.display();
    let problems: Vec<String> = problems.iter().map(|d| d.to_string()).collect();
    let expected = [
        format!(
            "{at}:15:11: no case is named `secnd`: a case is named by its `submit` (`name:`), or by its place (`1`, `2`, …)\n  hint: did you mean `second`?"
        ),
        format!(
            "{at}:16:11: the case `fourth` is submitted further down: a step can turn only to a case opened before it"
        ),
        format!("{at}:18:21: two cases are named `first`: give each `submit` its own `name`"),
        format!("{at}:19:15: no `broadcast` comes before this expectation"),
        format!(
            "{at}:20:27: `increse` starts no life event of `tiny-payment`: a broadcast sends the message of an event (`events:` … `message:`)\n  hint: did you mean `increase`?"
        ),
        format!(
            "{at}:22:5: a broadcast's refusals are counted, not expected: check them with `expect: {{ broadcast: … }}`"
        ),
    ];
    for line in &expected {
        assert!(
            problems.contains(line),
            "missing:\n{line}\nin:\n{}",
            problems.join("\n")
        );
    }
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("{at}:21:75: `percent`"))),
        "the percent that is not a number: {}",
        problems.join("\n")
    );
}

#[test]
fn a_case_submitted_when_another_version_is_in_force_fails_rather_than_run_old_rules() {
    let scenario = r#"
scenario: A second citizen applies after the new version takes effect
service: tiny-payment
now: 2026-12-28T10:00
steps:
  - submit: { language: ru, data: { applicant.iin: "580922400781" } }
  - advance: { until: 2027-01-05T10:00 }
  - submit: { language: ru, data: { applicant.iin: "580922400781" } }
"#;
    let (_dir, setup, file) = payment_tree(scenario, true);
    let run = scenario::run_file(&setup, &file).unwrap();
    let failure = run
        .failure
        .expect("the second case would run the new version");
    assert_eq!((failure.line, failure.column), (8, 5));
    assert_eq!(
        failure.message,
        "the scenario runs the version 2026-07-12 of `tiny-payment` for every case, but on Tue 2027-01-05 the version 2027-01-01 is in force: a case submitted then would run under other rules"
    );
}

/// The key of the task a transition opened at `step`.
fn opened(t: &qyzmet::runtime::Transition, step: &str) -> String {
    t.effects
        .iter()
        .find_map(|e| match e {
            qyzmet::runtime::Effect::CreateTask { key, step: s, .. } if s == step => {
                Some(key.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no task opened at {step}: {:?}", t.effects))
}

/// Found while building the broadcast (issue #16), kept failing until the runtime is fixed:
/// when the step that ends an increase also takes a suspension that waited in the inbox, the
/// amount's change is put down to the suspension (`engine/runtime/life.rs`,
/// `record_changes`: the last `event_started` of the transition), so the payment's amount
/// history says the suspension raised it.
#[test]
fn an_amount_changed_by_an_increase_is_put_down_to_the_increase_when_a_kept_event_follows() {
    use qyzmet::runtime::{self, Actor, Context, Event, Language, Settings, Submission};
    let (_dir, setup, _) = payment_tree(THREE_CASES, false);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let def = setup.library.in_force("tiny-payment", day).unwrap();
    let calendar = qyzmet::calendar::Calendar::load(Path::new("calendars"), &def.calendar).unwrap();
    let subworkflows = indexmap::IndexMap::new();
    let settings = Settings::default();
    let ctx = Context {
        definition: def,
        subworkflows: &subworkflows,
        calendar: &calendar,
        settings: &settings,
        now: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, 5, 0, 0).unwrap(),
    };
    let complete = |task: String, outcome: &str, form: serde_json::Value| Event::TaskCompleted {
        task,
        outcome: outcome.into(),
        form,
        by: Actor::Clerk("clerk".into()),
    };
    let message = |name: &str, payload: serde_json::Value| Event::MessageReceived {
        name: name.into(),
        payload,
        by: Actor::Clerk("administrator".into()),
    };
    let submission = Submission {
        data: serde_json::json!({ "applicant": { "iin": "580922400781" } }),
        channel: "state_corporation".into(),
        language: Language::Ru,
        sms_consent: false,
        region: "almaty".into(),
    };
    let t = runtime::start(&ctx, 1, "TEST-000001", &submission).unwrap();
    let key = opened(&t, "accept");
    let t = runtime::apply(
        &ctx,
        &t.state,
        &complete(key, "complete", serde_json::json!({})),
    )
    .unwrap();
    let key = opened(&t, "assign");
    let form = serde_json::json!({ "payment.amount": "120000", "payment.until": "2027-03-01" });
    let t = runtime::apply(&ctx, &t.state, &complete(key, "assign", form)).unwrap();
    let increase = serde_json::json!({ "act": "Law No. 1", "from": "2027-01-01", "percent": 8.5 });
    let t = runtime::apply(&ctx, &t.state, &message("increase", increase)).unwrap();
    let key = opened(&t, "review_increase");
    let t = runtime::apply(
        &ctx,
        &t.state,
        &message(
            "suspension",
            serde_json::json!({ "reason": "left for abroad" }),
        ),
    )
    .unwrap();
    assert!(t.history.iter().any(|h| h.kind == "message_kept"));
    let t = runtime::apply(
        &ctx,
        &t.state,
        &complete(key, "approve", serde_json::json!({})),
    )
    .unwrap();
    assert!(
        t.history
            .iter()
            .any(|h| h.kind == "event_started" && h.detail["event"] == "suspension"),
        "the kept suspension starts once the increase is done"
    );
    let change = t
        .history
        .iter()
        .find(|h| h.kind == "record_changed")
        .expect("the amount changed");
    assert_eq!(change.detail["to"], serde_json::json!("130200.00"));
    assert_eq!(
        change.detail["event"],
        serde_json::json!("increase"),
        "the increase raised the amount, not the suspension that started after it"
    );
}

// The citizen's SMS reply (`sms_reply:`; issue #17: "methodologists test the SMS dialogue"),
// tried on the shipped proactive ENPF pension.

/// Two offers to one number (written two ways), in Kazakh and in Russian.
const TWO_OFFERS: &str = r#"
scenario: Two offers on one number
service: enpf-retirement-payment
now: 2027-02-23T10:00
number: ENPF-2027-000901
steps:
  - submit: { name: first, language: kk, sms_consent: true, channel: proactive, region: almaty, data: { applicant.iin: "570112490315", applicant.phone: "+77471234501" } }
  - submit: { name: second, language: ru, sms_consent: true, channel: proactive, region: almaty, data: { applicant.iin: "570112490315", applicant.phone: "87471234501" } }
"#;

/// The shipped definitions, and `steps` after [`TWO_OFFERS`] run as a scenario file: the run,
/// the file, the trace as `simulate` prints it without the times.
fn sms_dialogue(steps: &str) -> (scenario::Run, PathBuf, Vec<String>, tempfile::TempDir) {
    let setup =
        Setup::for_path(Path::new("workflows"), &Options::default()).expect("workflows/ loads");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dialogue.yaml");
    std::fs::write(&file, format!("{TWO_OFFERS}{steps}")).unwrap();
    let run = scenario::run_file(&setup, &file).unwrap_or_else(|e| panic!("{e}"));
    let trace = printed(&run);
    (run, file, trace, dir)
}

#[test]
fn an_sms_reply_goes_to_the_latest_offer_on_its_number_and_is_read_as_the_server_reads_it() {
    let (run, file, trace, _dir) = sms_dialogue(
        r#"
  - sms_reply: { text: "Ну?" }
  - expect:
      waiting_at: [await_reply]
      timer: { step: await_reply, due: 2027-03-02T18:00 }
      notified:
        - { template: enpf_offer, to: citizen, channels: [sms] }
        - { template: enpf_offer_help, to: citizen, channels: [sms] }
      exactly: true
      rendered: { template: enpf_offer_help, part: sms, lang: ru, contains: ["Ответ не распознан", "ENPF-2027-000902"] }
  - sms_reply: { text: "Не согласна!", case: second }
  - expect: { result: declined, data: { offer.answer: refusal, offer.text: "Не согласна!" } }
  - sms_reply: { text: "иә", from: "+7 747 123 45 01", case: first }
  - expect:
      waiting_at: [fetch_person]
      data: { offer.answer: consent, offer.text: "иә" }
      notified: [{ template: enpf_offer, to: citizen, channels: [sms] }]
      exactly: true
  - sms_reply: { text: "иә" }
"#,
    );
    let all = trace.join("\n");
    assert!(
        all.contains("#second      not one of the words of `offer_reply`: the help SMS `enpf_offer_help` goes back, the case keeps waiting  [await_reply]"),
        "{all}"
    );
    assert!(
        all.contains("#first  the citizen's SMS reply from +7 747 123 45 01: «иә»"),
        "{all}"
    );
    let failure = run
        .failure
        .expect("a reply after the consent reaches no case")
        .to_string();
    assert_eq!(
        failure,
        format!(
            "{}:27:5: the case waits for no message an SMS reply gives (`sms_reply:` in `messages:`); it waits at: `fetch_person`",
            file.display()
        )
    );
}

#[test]
fn an_sms_reply_that_would_reach_another_case_or_none_says_so_at_its_step() {
    let (run, file, _, _dir) = sms_dialogue("  - sms_reply: { text: \"Иә\", case: first }\n");
    assert_eq!(
        run.failure.unwrap().to_string(),
        format!(
            "{}:9:5: the reply from +77471234501 goes to the case `second`, the last to start waiting for a reply from that number, not to `first`",
            file.display()
        )
    );
    let (run, file, _, _dir) =
        sms_dialogue("  - sms_reply: { text: \"Да\", from: \"+77010000000\" }\n");
    assert_eq!(
        run.failure.unwrap().to_string(),
        format!(
            "{}:9:5: no case waits for an SMS reply from +77010000000: the server would answer `no_case` and deliver nothing",
            file.display()
        )
    );
    let (run, _, trace, _dir) = sms_dialogue(
        "  - sms_reply: { text: \"Да\", from: \"+77010000000\" }\n    expect_error: no case waits\n",
    );
    assert!(run.failure.is_none(), "{}", trace.join("\n"));
}

#[test]
fn an_sms_reply_step_is_checked_before_the_run() {
    let setup =
        Setup::for_path(Path::new("workflows"), &Options::default()).expect("workflows/ loads");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dialogue.yaml");
    std::fs::write(
        &file,
        format!("{TWO_OFFERS}  - sms_reply: {{ text: \"Иә\", case: third, from: \"жоқ\" }}\n"),
    )
    .unwrap();
    let Err(scenario::Error::Invalid(problems)) = scenario::run_file(&setup, &file) else {
        panic!("the step's mistakes are found before the run");
    };
    let problems: Vec<String> = problems.iter().map(|d| d.to_string()).collect();
    let at = file.display();
    for want in ["no case is named `third`", "`жоқ` is not a phone number"] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("{at}:9:")) && p.contains(want)),
            "{want}: {problems:?}"
        );
    }
    std::fs::write(
        &file,
        "scenario: x\nservice: rehabilitated-person-certificate\nnow: 2026-11-23T10:00\nsteps:\n  - submit: { language: ru, data: { applicant.iin: \"580922400781\" } }\n  - sms_reply: { text: \"Иә\" }\n",
    )
    .unwrap();
    let Err(scenario::Error::Invalid(problems)) = scenario::run_file(&setup, &file) else {
        panic!("a service without SMS replies is found before the run");
    };
    assert_eq!(
        problems[0].to_string(),
        format!(
            "{at}:6:5: the service `rehabilitated-person-certificate` has no message an SMS reply gives (`sms_reply:` in `messages:`)"
        )
    );
}
