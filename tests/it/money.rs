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

/// The fixture service copied to a scratch folder, its decision printing the amounts "in
/// figures and in words" as the forms of the monthly payments do (seeds/000 appendix 2:
/// "_______ tenge (__________ tenge) (sum in words)").
fn with_words(decision_kk: &str, decision_ru: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::cli::copy_dir(Path::new(FIXTURE), dir.path());
    let decision = dir.path().join("templates/payment_decision");
    std::fs::write(decision.join("kk.html.hbs"), decision_kk).unwrap();
    std::fs::write(decision.join("ru.html.hbs"), decision_ru).unwrap();
    dir
}

/// `{{money_words x}}` writes the amount in words in the case's language — the whole tenge
/// in words, the tiyn in figures when there are some — beside the figures of `{{money x}}`.
#[test]
fn the_decision_writes_the_amount_in_words_in_kazakh_and_in_russian() {
    let dir = with_words(
        "<p>Төлем мөлшері {{money payment.amount}} ({{money_words payment.amount}}), үлесі {{money payment.share}} ({{money_words payment.share}}).</p>\n",
        "<p>Размер выплаты {{money payment.amount}} ({{money_words payment.amount}}), доля {{money payment.share}} ({{money_words payment.share}}).</p>\n",
    );
    let options = Options {
        catalog: Some(PathBuf::from("tests/fixtures/definitions/catalog.yaml")),
        templates: Some(dir.path().join("templates")),
        calendars: Some(PathBuf::from("calendars")),
        lang: Lang::En,
    };
    let setup = Setup::load(&[dir.path().join("payment.yaml")], &options).unwrap();
    assert_eq!(setup.diagnostics, vec![]);
    // (language, amount typed, rate, what the decision says)
    let cases = [
        (
            "kk",
            "120 000",
            "0,25",
            "Төлем мөлшері 120 000,00 теңге (жүз жиырма мың теңге), үлесі 30 000,00 теңге (отыз мың теңге).",
        ),
        (
            "ru",
            "120 000",
            "0,25",
            "Размер выплаты 120 000,00 тенге (сто двадцать тысяч тенге), доля 30 000,00 тенге (тридцать тысяч тенге).",
        ),
        (
            "ru",
            "1 234 567,89",
            "0,0175",
            "Размер выплаты 1 234 567,89 тенге (один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь тенге 89 тиын), доля 21 604,94 тенге (двадцать одна тысяча шестьсот четыре тенге 94 тиын).",
        ),
        (
            "kk",
            "1 234 567,89",
            "0,0175",
            "Төлем мөлшері 1 234 567,89 теңге (бір миллион екі жүз отыз төрт мың бес жүз алпыс жеті теңге 89 тиын), үлесі 21 604,94 теңге (жиырма бір мың алты жүз төрт теңге 94 тиын).",
        ),
    ];
    for (lang, amount, rate, says) in cases {
        let scenario = format!(
            r#"scenario: The decision writes the amount in words ({lang})
service: money-fixture
now: 2026-11-23T10:00
steps:
  - submit:
      language: {lang}
      sms_consent: false
      data: {{ applicant.iin: "850315300128", applicant.phone: "+77011230201" }}
  - complete:
      step: accept
      outcome: complete
      by: operator1
      form: {{ payment.amount: "{amount}", payment.rate: "{rate}", balance.before: 1, balance.after: 1 }}
  - expect:
      rendered:
        template: payment_decision
        contains: ["{says}"]
        lang: {lang}
"#
        );
        let file = dir.path().join(format!("words-{lang}.yaml"));
        std::fs::write(&file, scenario).unwrap();
        assert_eq!(verdict(&setup, &file), "ok", "{lang} {amount}");
    }
}

/// `qyzmet validate` refuses `{{money_words}}` of a value that is not money, naming the helper,
/// the value and its type at the file, line and column, as it refuses `{{money}}`.
#[test]
fn validate_refuses_money_words_of_what_is_not_money() {
    let dir = with_words(
        "<p>Сома: {{money_words payment.amount}}.</p>\n<p>ЖСН: {{money_words applicant.iin}}</p>\n",
        "<p>Сумма: {{money_words payment.amount}}.</p>\n",
    );
    let templates = dir.path().join("templates");
    let file = dir.path().join("payment.yaml");
    let (code, stdout, stderr) = crate::cli::qyzmet(&[
        "validate",
        "--catalog",
        "tests/fixtures/definitions/catalog.yaml",
        "--templates",
        templates.to_str().unwrap(),
        "--calendars",
        "calendars",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let at = templates.join("payment_decision/kk.html.hbs");
    assert!(
        stdout.contains(&format!(
            "{}:2:9: `money_words` prints an amount of money in words, but `applicant.iin` is an IIN",
            at.display()
        )),
        "{stdout}"
    );
    assert!(
        !stdout.contains("payment.amount"),
        "money is what money_words takes: {stdout}"
    );
}
