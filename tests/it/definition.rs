//! Workflow definitions: every mistake a methodologist can make is caught with a position
//! and a hint, the shipped workflows are valid, and the CLI behaves as documented.
//!
//! The invalid cases are files: `tests/fixtures/definitions/invalid/<case>.yaml` (or a
//! folder `<case>/` for mistakes between versions, or with a `templates/` folder of its own
//! for mistakes in templates) with the exact expected report beside it in `<case>.expected`.
//! Adding a case is adding two files. A case named `<case>.kk.yaml` or `<case>.ru.yaml` (a
//! folder `<case>.kk/`) is reported in that language. The reports hold the errors; a case named `warn_…` holds its
//! warnings too (the other fixtures leave out titles and sources, to stay short).
//! `UPDATE_GOLDEN=1 cargo test` rewrites the expected files; review the diff before
//! committing it.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use qyzmet::definition::{self, Options, messages::Lang};

const FIXTURES: &str = "tests/fixtures/definitions";

fn fixture_options(lang: Lang) -> Options {
    Options {
        catalog: Some(PathBuf::from(FIXTURES).join("catalog.yaml")),
        templates: Some(PathBuf::from("tests/fixtures/templates")),
        calendars: Some(PathBuf::from("tests/fixtures/calendars")),
        lang,
    }
}

/// What `validate` prints for `paths`: the errors and the warnings, in file order.
fn report_text(paths: &[PathBuf], lang: Lang) -> String {
    let report = definition::load(paths, &fixture_options(lang));
    let mut all: Vec<_> = report.diagnostics.iter().chain(&report.warnings).collect();
    all.sort();
    all.iter()
        .map(|d| format!("{}\n", d.display_in(lang)))
        .collect()
}

/// The options a case is loaded with: its own `templates/` folder when it has one, and the
/// language its name gives (`<case>.kk.yaml`).
fn case_options(case: &Path) -> Options {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let name = name.strip_suffix(".yaml").unwrap_or(&name);
    let lang = if name.ends_with(".kk") {
        Lang::Kk
    } else if name.ends_with(".ru") {
        Lang::Ru
    } else {
        Lang::En
    };
    let mut options = fixture_options(lang);
    if case.join("templates").is_dir() {
        options.templates = Some(case.join("templates"));
    }
    options
}

/// The report of one case, as its `.expected` file holds it.
fn case_report(case: &Path) -> String {
    let options = case_options(case);
    let report = definition::load(&[case.to_path_buf()], &options);
    let with_warnings = case
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("warn_"));
    let mut all: Vec<_> = report.diagnostics.iter().collect();
    if with_warnings {
        all.extend(&report.warnings);
    }
    all.sort();
    all.iter()
        .map(|d| format!("{}\n", d.display_in(options.lang)))
        .collect()
}

/// `<case>.expected` beside a file `<case>.yaml` or a folder `<case>/`.
fn expected_file(case: &Path) -> PathBuf {
    if case.is_dir() {
        PathBuf::from(format!("{}.expected", case.display()))
    } else {
        case.with_extension("expected")
    }
}

/// Compares the report for `case` with its `.expected` file.
fn check(case: &Path) {
    let expected_file = expected_file(case);
    let actual = case_report(case);
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
        "report for {} differs from {}",
        case.display(),
        expected_file.display()
    );
}

fn invalid_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(Path::new(FIXTURES).join("invalid"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_invalid_definition_gets_its_expected_report() {
    let cases = invalid_cases();
    assert!(
        cases.len() >= 15,
        "the invalid cases went missing: {cases:?}"
    );
    for case in cases {
        check(&case);
    }
}

#[test]
fn every_reported_problem_has_a_position_in_its_file_and_a_message() {
    for case in invalid_cases() {
        let report = definition::load(std::slice::from_ref(&case), &case_options(&case));
        assert!(
            !report.diagnostics.is_empty() || !report.warnings.is_empty(),
            "{} should be invalid",
            case.display()
        );
        for d in report.diagnostics.iter().chain(&report.warnings) {
            let text = std::fs::read_to_string(&d.file).unwrap();
            let line = text
                .lines()
                .nth(d.line - 1)
                .unwrap_or_else(|| panic!("{d}: no such line"));
            assert!(
                d.column >= 1 && d.column <= line.chars().count() + 1,
                "{d}: column outside the line"
            );
            assert!(!d.message.is_empty());
        }
    }
}

#[test]
fn a_file_with_several_mistakes_reports_them_all_at_once() {
    let text = report_text(
        &[PathBuf::from(FIXTURES).join("invalid/unknown_names.yaml")],
        Lang::En,
    );
    for expected in [
        "unknown calendar",
        "unknown template",
        "unknown connector",
        "unknown role",
        "unknown stage code",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

#[test]
fn the_fixture_with_every_step_kind_is_valid_and_fits_its_term() {
    let report = definition::load(
        &[PathBuf::from(FIXTURES).join("valid")],
        &fixture_options(Lang::En),
    );
    assert_eq!(report.diagnostics, vec![]);
    let def = report
        .library
        .in_force("all-kinds", NaiveDate::from_ymd_opt(2026, 5, 4).unwrap())
        .expect("all-kinds is in force");
    let kinds: std::collections::BTreeSet<&str> = def.steps.iter().map(|s| s.kind.name()).collect();
    assert_eq!(kinds.len(), 11, "every step kind appears: {kinds:?}");
    // The hearing's notice is due 3 working days before the end (the close of day 2, after
    // the review's day 1), then objection 2 + hearing 1: the whole term of 5, not a day more.
    // The reply window pauses the term.
    assert_eq!(def.worst_case.in_days(), 5);
}

#[test]
fn the_version_in_force_is_chosen_by_its_dates() {
    let report = definition::load(
        &[PathBuf::from(FIXTURES).join("valid/versions")],
        &fixture_options(Lang::En),
    );
    assert_eq!(report.diagnostics, vec![]);
    let on = |y, m, d| {
        report
            .library
            .in_force("versioned", NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .map(|d| d.version.as_str())
    };
    assert_eq!(on(2022, 2, 28), None);
    assert_eq!(on(2022, 3, 1), Some("2022-03-01"));
    assert_eq!(on(2026, 4, 12), Some("2022-03-01"));
    assert_eq!(on(2026, 4, 13), Some("2026-04-13"));
    assert_eq!(on(2030, 1, 1), Some("2026-04-13"));
}

#[test]
fn the_shipped_workflows_are_valid() {
    let report = definition::load(&[PathBuf::from("workflows")], &Options::default());
    let text: String = report
        .diagnostics
        .iter()
        .map(|d| format!("{d}\n"))
        .collect();
    assert!(
        report.diagnostics.is_empty(),
        "workflows/ has problems:\n{text}"
    );
    let def = report
        .library
        .in_force(
            "rehabilitated-person-certificate",
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        )
        .expect("the certificate to a rehabilitated person is in force");
    // seeds/004 appendix 2 row 5: 5 working days, the day of acceptance not counted.
    let term = def.term.as_ref().unwrap();
    assert_eq!(term.length, definition::model::Length::WorkingDays(5));
    assert!(!term.acceptance_day_counts);
    assert!(def.worst_case.in_days() <= 5);
}

use crate::cli::qyzmet;

#[test]
fn validate_exits_0_1_or_2() {
    let (code, _, _) = qyzmet(&["validate", "workflows"]);
    assert_eq!(code, 0, "workflows/ validates");
    let bad = format!("{FIXTURES}/invalid/unknown_step.yaml");
    let (code, stdout, _) = qyzmet(&["validate", &bad]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("unknown_step.yaml:37:11: unknown step `tell_acepted`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hint: did you mean `tell_accepted`?"),
        "{stdout}"
    );
    let (code, _, stderr) = qyzmet(&["validate", "no/such/folder"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such/folder"), "{stderr}");
    let (code, _, _) = qyzmet(&["validate"]);
    assert_eq!(code, 2, "no path is a usage error");
}

#[test]
fn validate_json_gives_the_same_problems_as_data() {
    let bad = format!("{FIXTURES}/invalid/unknown_step.yaml");
    let (code, stdout, _) = qyzmet(&["validate", "--json", &bad]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let unknown = v
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"] == "unknown step `tell_acepted`")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(unknown["line"], 37);
    assert_eq!(unknown["column"], 11);
    assert_eq!(unknown["hint"], "did you mean `tell_accepted`?");
    assert_eq!(unknown["severity"], "error");
    // The fixture leaves out the steps' titles and sources: warnings, marked as such.
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|d| d["severity"] == "warning"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("step `receipt` has no `title`"))),
        "{stdout}"
    );
}

#[test]
fn graph_prints_mermaid_and_dot_with_every_step() {
    let file = "workflows/rehabilitated-person-certificate/2026-04-13.yaml";
    let (code, mermaid, _) = qyzmet(&["graph", file, "--format", "mermaid"]);
    assert_eq!(code, 0);
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    let (code, dot, _) = qyzmet(&["graph", file, "--format", "dot", "--highlight", "review"]);
    assert_eq!(code, 0);
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(
        dot.contains("review [shape=box") && dot.contains("fillcolor"),
        "{dot}"
    );
    let report = definition::load(&[PathBuf::from(file)], &Options::default());
    let def = &report.library.definitions[0];
    for step in &def.steps {
        assert!(
            mermaid.contains(&format!("    {}", step.name)),
            "step {} missing from the diagram",
            step.name
        );
    }
    let (code, _, _) = qyzmet(&["graph", &format!("{FIXTURES}/invalid/unknown_step.yaml")]);
    assert_eq!(code, 1, "an invalid definition is not drawn");
}

#[test]
fn the_committed_schema_is_what_qyzmet_schema_prints() {
    let (code, printed, _) = qyzmet(&["schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string("workflows/workflow.schema.json").unwrap();
    assert_eq!(
        printed, committed,
        "workflows/workflow.schema.json is stale: run `qyzmet schema > workflows/workflow.schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let (_, printed, _) = qyzmet(&["schema", "--catalog"]);
    let committed = std::fs::read_to_string("workflows/catalog.schema.json").unwrap();
    assert_eq!(
        printed, committed,
        "workflows/catalog.schema.json is stale: run `qyzmet schema --catalog > workflows/catalog.schema.json`"
    );
}

#[test]
fn messages_come_in_kazakh_and_russian_too() {
    let case = [PathBuf::from(FIXTURES).join("invalid/unknown_step.yaml")];
    let en = report_text(&case, Lang::En);
    let kk = report_text(&case, Lang::Kk);
    let ru = report_text(&case, Lang::Ru);
    assert!(en.contains("unknown step"));
    assert_ne!(kk, en, "no Kazakh messages");
    assert_ne!(ru, en, "no Russian messages");
    assert!(
        ru.contains("tell_acepted") && kk.contains("tell_acepted"),
        "the names stay as written"
    );
    let (code, stdout, _) = qyzmet(&["validate", "--lang", "ru", case[0].to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(stdout, ru);
}

#[test]
fn validate_refuses_an_alias_bomb_deep_nesting_and_a_huge_file_at_their_place_in_seconds() {
    // Issue #19: a 342-byte alias bomb took all memory, 100,000 nested `- ` overflowed the
    // stack; either aborted the process. Now each is one positioned problem and exit 1.
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep.yaml");
    std::fs::write(&deep, format!("{}x\n", "- ".repeat(100_000))).unwrap();
    let huge = dir.path().join("huge.yaml");
    std::fs::write(&huge, format!("title: \"{}\"\n", "x".repeat(1 << 20))).unwrap();
    let bomb = format!("{FIXTURES}/invalid/alias_bomb.yaml");
    let catalog = format!("{FIXTURES}/catalog.yaml");
    let cases = [
        (
            bomb.as_str(),
            "en",
            "alias_bomb.yaml:7:8: this alias takes the document past its limit",
        ),
        (
            deep.to_str().unwrap(),
            "en",
            "deep.yaml:1:129: nested more than 64 levels deep",
        ),
        (
            deep.to_str().unwrap(),
            "kk",
            "deep.yaml:1:129: 64 деңгейден тереңірек салынған",
        ),
        (
            bomb.as_str(),
            "ru",
            "alias_bomb.yaml:7:8: этот псевдоним (alias) выводит документ за предел",
        ),
        (
            huge.to_str().unwrap(),
            "en",
            "huge.yaml:1:1: the file is 1048586 bytes; files larger than 1048576 bytes are not read",
        ),
    ];
    for (file, lang, expected) in cases {
        let started = std::time::Instant::now();
        let (code, stdout, stderr) =
            qyzmet(&["validate", "--catalog", &catalog, "--lang", lang, file]);
        assert_eq!(code, 1, "{file}: {stdout}{stderr}");
        assert!(stdout.contains(expected), "{stdout}");
        assert_eq!(
            stdout.lines().filter(|l| !l.starts_with(' ')).count(),
            1,
            "{stdout}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{file} took {:?}",
            started.elapsed()
        );
    }
}

/// Every other YAML the engine reads — a scenario, a calendar year, the configuration file,
/// the connectors file — goes through the same limits: the alias bomb is one problem at its
/// place (issue #19), not an aborted process.
#[test]
fn every_yaml_file_the_engine_reads_refuses_an_alias_bomb_at_its_place() {
    let bomb = std::fs::read_to_string(format!("{FIXTURES}/invalid/alias_bomb.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A methodologist's scenario.
    let scenarios = dir.path().join("workflows/a-service/scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::copy(
        "workflows/catalog.yaml",
        dir.path().join("workflows/catalog.yaml"),
    )
    .unwrap();
    let scenario = scenarios.join("bomb-scenario.yaml");
    std::fs::write(&scenario, &bomb).unwrap();
    let (code, stdout, stderr) = qyzmet(&["simulate", scenario.to_str().unwrap()]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("bomb-scenario.yaml:7:8"),
        "{stdout}{stderr}"
    );

    // A calendar year.
    std::fs::create_dir_all(dir.path().join("kz")).unwrap();
    for file in std::fs::read_dir("calendars/kz").unwrap() {
        let file = file.unwrap().path();
        std::fs::copy(&file, dir.path().join("kz").join(file.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.path().join("kz/2026.yaml"), &bomb).unwrap();
    let (code, stdout, stderr) = qyzmet(&[
        "calendar",
        "non-working",
        "--year",
        "2026",
        "--calendar-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("2026.yaml:7:8"),
        "{stdout}{stderr}"
    );

    // The configuration file `serve --config` reads.
    let config = dir.path().join("qyzmet.yaml");
    std::fs::write(&config, &bomb).unwrap();
    let refused = match qyzmet::service::FileConfig::load(&config) {
        Ok(_) => panic!("the bomb is taken as a configuration"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("qyzmet.yaml:7:8"), "{refused}");

    // The connectors file.
    let connectors = dir.path().join("connectors.yaml");
    std::fs::write(&connectors, &bomb).unwrap();
    let catalog = definition::load_catalog(Path::new("workflows/catalog.yaml"), Lang::En).unwrap();
    let Err(refused) = qyzmet::gateway::GatewayConfig::load(&connectors, &catalog, &|_| None)
    else {
        panic!("the bomb is taken as a connectors file");
    };
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!((refused[0].line, refused[0].column), (7, 8), "{refused:?}");
}

#[test]
fn a_document_within_the_limits_loads_aliases_and_all() {
    // 64 levels, and aliases copying a few thousand nodes, are still YAML the loader reads.
    let deep = format!("{}x\n", "- ".repeat(64));
    let doc = qyzmet::yaml::parse(Path::new("deep.yaml"), &deep).unwrap();
    let mut depth = 0;
    let mut node = doc.value();
    while let Some(inner) = node.get(0) {
        depth += 1;
        node = inner;
    }
    assert_eq!((depth, node), (64, &serde_json::json!("x")));
    let laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n\
                  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
                  d: [*c, *c, *c]\n";
    let doc = qyzmet::yaml::parse(Path::new("laughs.yaml"), laughs).unwrap();
    assert_eq!(doc.value()["d"][2][8][8][8], "lol");
}

#[test]
fn only_the_yaml_module_parses_yaml() {
    // engine/yaml.rs, the invariant: its limits hold for every YAML file because nothing
    // else reads YAML.
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("engine"), &mut files);
    assert!(files.len() > 50);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if file != Path::new("engine/yaml.rs") {
            assert!(
                !text.contains("saphyr"),
                "{} parses YAML itself",
                file.display()
            );
        }
    }
}
