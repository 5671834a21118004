//! The checks as the command line tells them: warnings fail `validate` and
//! `test` only with `--deny-warnings`; `test`'s last line is the verdict, and says the run
//! failed when the definitions are broken; `--lang kk|ru` puts the summaries, the units of
//! the term's paths and the words `warning`/`hint` in the methodologist's language.

use std::path::{Path, PathBuf};

const DEFINITIONS: &str = "tests/fixtures/definitions";

use crate::cli::{copy_dir, qyzmet};

/// `validate` of one fixture file against the fixtures' catalog and calendars, with
/// `templates` and the extra flags.
fn validate(file: &str, templates: &str, flags: &[&str]) -> (i32, String, String) {
    let catalog = format!("{DEFINITIONS}/catalog.yaml");
    let mut args = vec![
        "validate",
        "--catalog",
        &catalog,
        "--templates",
        templates,
        "--calendars",
        "tests/fixtures/calendars",
    ];
    args.extend_from_slice(flags);
    args.push(file);
    qyzmet(&args)
}

#[test]
fn warnings_fail_validate_only_with_deny_warnings() {
    let case = format!("{DEFINITIONS}/invalid/warn_rules");
    let file = format!("{case}/service.yaml");
    let templates = format!("{case}/templates");

    let (code, stdout, stderr) = validate(&file, &templates, &[]);
    assert_eq!(code, 0, "warnings alone pass: {stdout}{stderr}");
    assert_eq!(stderr, "1 file(s) valid, 3 warning(s)\n");
    assert!(
        stdout.contains(&format!(
            "{file}:23:3: warning: step `tell` has no `source`: cite the act and the item it comes from, for the auditor\n  hint: add `source:"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{templates}/tell/kk.sms.hbs:1:1: warning: the SMS does not print `{{{{registration_number}}}}`"
        )),
        "{stdout}"
    );

    let (code, stdout_denied, stderr) = validate(&file, &templates, &["--deny-warnings"]);
    assert_eq!(code, 1, "{stdout_denied}{stderr}");
    assert_eq!(
        stdout_denied, stdout,
        "the same lines, only the verdict differs"
    );
    assert_eq!(
        stderr,
        "3 warning(s) in 1 file(s) checked, and `--deny-warnings` makes them fail the check\n"
    );

    let (_, json, _) = validate(&file, &templates, &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let severities: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, vec!["warning"; 3]);

    // The shipped workflows are free of warnings: CI runs them with the flag.
    let (code, stdout, stderr) = qyzmet(&["validate", "--deny-warnings", "workflows"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "");
}

#[test]
fn errors_and_warnings_are_counted_apart() {
    // The fixture leaves out its steps' titles and sources (warnings) and exceeds its term.
    let file = format!("{DEFINITIONS}/invalid/term_exceeded.yaml");
    let (code, stdout, stderr) = validate(&file, "tests/fixtures/templates", &[]);
    assert_eq!(code, 1);
    let warnings = stdout.matches(": warning: ").count();
    assert_eq!(
        stderr,
        format!("1 problem(s) and {warnings} warning(s) in 1 file(s) checked\n")
    );
    assert!(warnings >= 2, "{stdout}");
}

/// A workflows folder of its own: the fixture definition (changed by `edit`), the shared
/// hearing, the templates, and one scenario that passes against the unchanged definition.
fn tree(edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    crate::cli::fixture_workflows(edit, &["issued.yaml"])
}

/// `qyzmet test` of a tree, with the extra flags.
fn test_run(root: &Path, flags: &[&str]) -> (i32, String) {
    let calendars = std::path::absolute("calendars").unwrap();
    let mut args = vec![
        "test",
        root.to_str().unwrap(),
        "--calendars",
        calendars.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    let (code, stdout, stderr) = qyzmet(&args);
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn test_ends_with_failed_when_the_definitions_are_broken() {
    let (_dir, root) = tree(|d| d.replace("role: provider_specialist", "role: provider_specialst"));
    let (code, out) = test_run(&root, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown role `provider_specialst`"), "{out}");
    assert_eq!(
        out.lines().last(),
        Some("FAILED: the definitions have 1 problem(s); 0 scenario(s) passed, 1 failed"),
        "{out}"
    );
    let (code, out) = test_run(&root, &["--lang", "ru"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().last(),
        Some("НЕ ПРОЙДЕНО: в описаниях ошибок: 1; сценариев пройдено: 0, не пройдено: 1"),
        "{out}"
    );
}

#[test]
fn test_fails_on_warnings_only_with_deny_warnings() {
    // A step without its title: the definition loads and its scenario passes.
    let (_dir, root) =
        tree(|d| d.replacen("    title: { kk: \"Шешім\", ru: \"Решение\" }\n", "", 1));
    let (code, out) = test_run(&root, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(": warning: step `decide` has no `title`"),
        "the warning is shown: {out}"
    );
    assert_eq!(
        out.lines().last(),
        Some("1 passed, 0 failed; the definitions have 1 warning(s)")
    );
    let (code, out) = test_run(&root, &["--deny-warnings"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().last(),
        Some(
            "FAILED: the definitions have 1 warning(s) and `--deny-warnings` is on; 1 scenario(s) passed, 0 failed"
        )
    );
    let (code, out) = test_run(&root, &["--deny-warnings", "--lang", "kk"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(": ескерту: `decide` қадамының `title` атауы жоқ"),
        "{out}"
    );
    assert_eq!(
        out.lines().last(),
        Some(
            "СӘТСІЗ: сипаттамаларда 1 ескерту бар, ал `--deny-warnings` қосулы; 1 сценарий өтті, 0 өтпеді"
        )
    );
}

#[test]
fn lang_kk_and_ru_translate_the_summaries_units_and_words() {
    let file = format!("{DEFINITIONS}/invalid/term_exceeded.yaml");
    let (code, stdout, stderr) = validate(&file, "tests/fixtures/templates", &["--lang", "kk"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "review (4 жұмыс күні) → hearing/objection (2 жұмыс күні) → hearing/hear (1 жұмыс күні) → refused"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  кеңес: `review` орындау мерзімдерін"),
        "{stdout}"
    );
    assert!(stdout.contains(": ескерту: "), "{stdout}");
    for english in ["hint:", "warning:", " d)", "working day", "problem(s)"] {
        assert!(
            !stdout.contains(english) && !stderr.contains(english),
            "`{english}` left in English:\n{stdout}{stderr}"
        );
    }
    assert!(
        stderr.starts_with("тексерілген 1 файлда 1 қате және ")
            && stderr.ends_with(" ескерту табылды\n"),
        "{stderr}"
    );

    let (code, _, stderr) = qyzmet(&["validate", "--lang", "ru", "workflows"]);
    assert_eq!(code, 0);
    assert!(stderr.starts_with("файлов без ошибок: "), "{stderr}");

    let (code, stdout, _) = qyzmet(&["test", "--lang", "kk"]);
    assert_eq!(code, 0, "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with(" өтті, 0 өтпеді"), "{last}");

    let (code, _, stderr) = qyzmet(&["validate", "--lang", "kk", "no/such/folder"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "қате: no/such/folder: мұндай файл немесе қалта жоқ\n"
    );
}

#[test]
fn every_shipped_template_keeps_its_header_and_its_helpers() {
    use qyzmet::notify::{Templates, check};
    let templates = Templates::load(Path::new("templates")).unwrap();
    let lints: Vec<String> = check::lint_all(&templates)
        .iter()
        .map(|l| {
            format!(
                "{}:{}:{}: {}",
                l.file.display(),
                l.line,
                l.column,
                l.message
            )
        })
        .collect();
    assert_eq!(lints, Vec::<String>::new());

    // And what it finds in a file that breaks them: the header both ways, a helper.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("templates"), dir.path());
    std::fs::write(
        dir.path().join("rules_changed/ru.subject.hbs"),
        "{{!-- variables: service_title, version --~}}\nИзменены правила: {{service_titel}} {{dat effective_from}}\n",
    )
    .unwrap();
    let templates = Templates::load(dir.path()).unwrap();
    let found: Vec<(usize, usize, String)> = check::lint_all(&templates)
        .into_iter()
        .map(|l| (l.line, l.column, l.message.to_string()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                1,
                18,
                "`service_title` is listed in the `variables:` header but the template never prints it"
                    .to_string()
            ),
            (
                1,
                33,
                "`version` is listed in the `variables:` header but the template never prints it"
                    .to_string()
            ),
            (
                2,
                19,
                "`service_titel` is printed here but not listed in the `variables:` header on line 1"
                    .to_string()
            ),
            (
                2,
                37,
                "`effective_from` is printed here but not listed in the `variables:` header on line 1"
                    .to_string()
            ),
            (2, 37, "unknown helper `dat`".to_string()),
        ]
    );
}
