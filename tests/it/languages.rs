//! `--lang kk|ru` (and `QYZMET_LANG`) reach everything a methodologist reads when scenarios
//! run: `qyzmet test`'s markers and divergences, `simulate`'s trace and last
//! line, a scenario file's mistakes. The expression checker's messages in kk and ru are
//! goldens in `tests/fixtures/definitions/invalid/expression_types.{kk,ru}.yaml`.

use std::path::PathBuf;

/// Runs `qyzmet` with `QYZMET_LANG` set to `env_lang` (or unset): exit code, stdout, stderr.
fn qyzmet(args: &[&str], env_lang: Option<&str>) -> (i32, String, String) {
    let out = crate::cli::run_with_lang(args, env_lang);
    (out.code, out.stdout, out.stderr)
}

/// A workflows folder of its own: the fixture definition and the given fixture scenarios.
fn tree(scenarios: &[&str]) -> (tempfile::TempDir, PathBuf) {
    crate::cli::fixture_workflows(|definition| definition, scenarios)
}

fn calendars() -> String {
    std::path::absolute("calendars")
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn test_in_russian_marks_each_scenario_and_says_the_divergence_in_russian() {
    let (_dir, root) = tree(&["issued.yaml", "wrong_step.yaml"]);
    let calendars = calendars();
    let (code, out, err) = qyzmet(
        &[
            "test",
            root.to_str().unwrap(),
            "--calendars",
            &calendars,
            "--lang",
            "ru",
        ],
        None,
    );
    assert_eq!(code, 1, "one scenario fails\n{out}{err}");
    let issued = root.join("all-kinds/scenarios/issued.yaml");
    let wrong = root.join("all-kinds/scenarios/wrong_step.yaml");
    let expected = [
        format!(
            "пройден    {}  The application is approved and issued after the cool-off day",
            issued.display()
        ),
        format!(
            "НЕ ПРОЙДЕН {}  Expects the review too early",
            wrong.display()
        ),
        format!(
            "    {}:10:7: ожидалось, что дело ждёт на `review`, но оно ждёт на `fetch_person` и `fetch_account`",
            wrong.display()
        ),
        "пройдено: 1, не пройдено: 1".to_string(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{out}");
}

#[test]
fn qyzmet_lang_in_the_environment_translates_test_as_the_flag_does() {
    let (_dir, root) = tree(&["wrong_step.yaml"]);
    let calendars = calendars();
    let (code, out, _) = qyzmet(
        &["test", root.to_str().unwrap(), "--calendars", &calendars],
        Some("kk"),
    );
    assert_eq!(code, 1, "{out}");
    let wrong = root.join("all-kinds/scenarios/wrong_step.yaml");
    assert!(
        out.contains(&format!(
            "ӨТПЕДІ {}  Expects the review too early\n    {}:10:7: іс мына жерде күтуі керек еді: `review`, бірақ ол мына жерде күтіп тұр: `fetch_person` және `fetch_account`\n",
            wrong.display(),
            wrong.display()
        )),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("0 өтті, 1 өтпеді"), "{out}");
}

#[test]
fn simulate_in_kazakh_ends_with_a_kazakh_verdict_and_a_kazakh_trace() {
    let (_dir, root) = tree(&["issued.yaml"]);
    let file = root.join("all-kinds/scenarios/issued.yaml");
    let calendars = calendars();
    let (code, out, err) = qyzmet(
        &[
            "simulate",
            file.to_str().unwrap(),
            "--calendars",
            &calendars,
            "--lang",
            "kk",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.last(),
        Some(&"өтті: күтілгеннің бәрі орындалды"),
        "{out}"
    );
    assert!(
        lines.contains(&"дс 2026-11-23 10:15      мерзім басталды: қабылданған күні 2026-11-23, бітетін күні 2026-11-30"),
        "the trace's own words and days are in Kazakh: {out}"
    );
    assert!(!out.contains("Mon "), "no English day names: {out}");
}

#[test]
fn simulate_in_russian_prints_the_failed_expectation_in_russian() {
    let (_dir, root) = tree(&["wrong_step.yaml"]);
    let file = root.join("all-kinds/scenarios/wrong_step.yaml");
    let calendars = calendars();
    let (code, out, err) = qyzmet(
        &[
            "simulate",
            file.to_str().unwrap(),
            "--calendars",
            &calendars,
            "--lang",
            "ru",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out.lines().last().map(str::to_string),
        Some(format!(
            "НЕ ПРОЙДЕН {}:10:7: ожидалось, что дело ждёт на `review`, но оно ждёт на `fetch_person` и `fetch_account`",
            file.display()
        )),
        "{out}"
    );
}

#[test]
fn a_scenario_files_mistakes_are_said_in_kazakh() {
    let (_dir, root) = tree(&["actions.yaml"]);
    let file = root.join("all-kinds/scenarios/actions.yaml");
    let calendars = calendars();
    let (code, out, err) = qyzmet(
        &[
            "simulate",
            file.to_str().unwrap(),
            "--calendars",
            &calendars,
            "--lang",
            "kk",
        ],
        None,
    );
    assert_eq!(code, 2, "{out}{err}");
    let at = file.display();
    assert!(
        out.contains(&format!(
            "{at}:6:5: бірінші қадам `submit` болуы керек: іс сонымен ашылады\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{at}:13:23: `open` — іс күйі емес\n  кеңес: мыналардың бірі: active, completed, withdrawn\n"
        )),
        "{out}"
    );
    assert_eq!(err, "сценарийде 6 қате бар\n");
}
