//! Previews: every document and message a scenario's case produces, rendered as
//! the engine sends it, and — with `--render DIR` — written as files a methodologist opens:
//! the receipt with the clerk's name, the e-mail a mail program reads, the SMS with its
//! segments. A template that does not render fails the scenario; a `rendered:` expectation
//! checks the words a reader sees. On the server, the clerk on a document is the account
//! that completed the task.

use std::path::{Path, PathBuf};

use chrono::Duration;
use qyzmet::definition::Options;
use qyzmet::runtime::Language;
use qyzmet::scenario::{self, Setup};

use crate::service::{IIN, acceptance_form, aggregator, almaty, running};

const ISSUED: &str =
    "workflows/rehabilitated-person-certificate/scenarios/issued-within-the-term.yaml";

use crate::cli::qyzmet;

/// The files of a folder, by name.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The shipped service definitions, with their templates.
fn certificate_setup() -> Setup {
    let setup = Setup::load(
        &[PathBuf::from("workflows/rehabilitated-person-certificate")],
        &Options::default(),
    )
    .expect("workflows/ loads");
    assert!(setup.diagnostics.is_empty(), "{:?}", setup.diagnostics);
    setup
}

/// Runs the scenario `text` (written to a file of its own) against the certificate.
fn run_text(text: &str) -> (tempfile::TempDir, scenario::Run) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.yaml");
    std::fs::write(&file, text).unwrap();
    let setup = certificate_setup();
    let run = scenario::run_file(&setup, &file).unwrap_or_else(|e| panic!("{e}"));
    (dir, run)
}

/// The certificate's first steps, up to the receipt and the acceptance notice, with the
/// GBD FL answer `birth_date` and an expectation `expect` after them.
fn accepted_with(birth_date: &str, expect: &str) -> String {
    format!(
        r#"scenario: Accepted
service: rehabilitated-person-certificate
now: 2026-11-23T10:00
number: QZ-2026-000101
staff:
  operator1: {{ full_name: "Сейітова Айгерім Болатқызы" }}
steps:
  - submit:
      language: ru
      sms_consent: true
      data: {{ applicant.iin: "{IIN}", applicant.phone: "+77011234567", applicant.email: abenova@example.kz }}
  - advance: {{ minutes: 15 }}
  - complete:
      step: accept_documents
      outcome: complete
      by: operator1
      form:
        applicant.iin: "{IIN}"
        application.kind: certificate
        application.by_representative: false
        consent.personal_data: true
        documents.identity: identity-card.pdf
        documents.rehabilitation: rehabilitation-certificate.pdf
        rehabilitation.document_type: rehabilitation_certificate
        rehabilitation.document_number: "17-3/412"
        rehabilitation.document_date: 1991-06-14
        rehabilitation.issued_by: Прокуратура Алматинской области
  - answer:
      connector: gbd_fl.person
      response:
        last_name: Абенова
        first_name: Айгүл
        middle_name: Серікқызы
        birth_date: "{birth_date}"
        address: г. Алматы, ул. Жамбыла, 12, кв. 4
        document_type: удостоверение личности
        document_number: "047111222"
        document_issued_by: МВД РК
        document_issued_on: 2018-06-01
        document_valid_until: 2028-05-31
  - answer:
      connector: provider.register
      response: {{ has_assignment: false, has_payment: false, has_refusal: false }}
{expect}"#
    )
}

#[test]
fn simulate_render_writes_each_document_email_and_sms_named_by_order_and_step() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("previews");
    let (code, stdout, stderr) = qyzmet(&["simulate", ISSUED, "--render", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("file(s) in {}", dir.display())),
        "where the files went: {stdout}"
    );
    let files = names(&dir);
    for expected in [
        "01-render_receipt-rehabilitated_certificate_receipt.ru.html",
        "01-render_receipt-rehabilitated_certificate_receipt.ru.pdf",
        "02-notify_accepted-application_accepted.ru.sms.txt",
        "02-notify_accepted-application_accepted.ru.eml",
    ] {
        assert!(
            files.contains(&expected.to_string()),
            "{expected} in {files:#?}"
        );
    }

    // The receipt names the clerk who accepted the documents by the scenario's `staff:`,
    // and the office once.
    let receipt = read(
        &dir,
        "01-render_receipt-rehabilitated_certificate_receipt.ru.html",
    );
    assert!(
        receipt.contains("Работник, принявший заявление: Сейітова Айгерім Болатқызы, "),
        "{receipt}"
    );
    assert_eq!(
        receipt.matches("Правительство для граждан").count(),
        1,
        "the office's name once: {receipt}"
    );

    // The e-mail is a message a mail program reads: the Russian subject, the body, the
    // citizen's address.
    let eml = std::fs::read(dir.join("02-notify_accepted-application_accepted.ru.eml")).unwrap();
    let message = mail_parser::MessageParser::default()
        .parse(&eml)
        .expect("the .eml parses");
    let subject = message.subject().expect("a subject");
    assert!(subject.contains("QZ-2026-000101"), "{subject}");
    assert!(
        subject.chars().any(|c| ('а'..='я').contains(&c)),
        "a Russian subject: {subject}"
    );
    assert_eq!(
        message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("abenova@example.kz")
    );
    let body = message.body_text(0).expect("a text body");
    assert!(body.contains("QZ-2026-000101"), "{body}");

    // The SMS: its text, then its length and segments.
    let sms = read(&dir, "02-notify_accepted-application_accepted.ru.sms.txt");
    let (text, cost) = sms.trim_end().rsplit_once('\n').expect("two parts");
    assert!(text.contains("QZ-2026-000101"), "{sms}");
    let chars = text.chars().count();
    let segments = if chars <= 70 { 1 } else { chars.div_ceil(67) };
    let plural = if segments == 1 { "segment" } else { "segments" };
    assert_eq!(
        cost,
        format!("— {chars} characters, UCS-2, {segments} {plural}")
    );
}

#[test]
fn test_render_writes_each_scenario_into_its_service_and_file_stem() {
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = qyzmet(&[
        "test",
        "workflows/rehabilitated-person-certificate",
        "--render",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let dir = out
        .path()
        .join("rehabilitated-person-certificate/issued-within-the-term");
    assert!(
        names(&dir).contains(&"02-notify_accepted-application_accepted.ru.eml".to_string()),
        "{:#?}",
        names(&dir)
    );
    assert!(
        stdout.contains(&out.path().display().to_string()),
        "{stdout}"
    );
}

#[test]
fn a_rendered_expectation_that_fails_says_where_and_what_the_text_reads() {
    let text = accepted_with(
        "1952-03-15",
        r#"  - expect:
      rendered:
        template: application_accepted
        part: sms
        contains: ["QZ-2026-000101", "Иванов Иван"]
"#,
    );
    let (dir, run) = run_text(&text);
    let failure = run.failure.expect("the second phrase is not in the SMS");
    assert_eq!(failure.file, dir.path().join("scenario.yaml"));
    // At the phrase itself: its line, and the column of its opening quote.
    let (line, source) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("Иванов Иван"))
        .unwrap();
    let column = source[..source.find("\"Иванов").unwrap()].chars().count() + 1;
    assert_eq!(
        (failure.line, failure.column),
        (line + 1, column),
        "{failure}"
    );
    assert!(
        failure
            .message
            .starts_with("expected `application_accepted` (sms) to contain \"Иванов Иван\", but it reads: ru sms: \""),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("QZ-2026-000101"),
        "{}",
        failure.message
    );

    // The same words in the receipt hold: HTML is read without its tags.
    let (_, run) = run_text(&accepted_with(
        "1952-03-15",
        r#"  - expect:
      rendered:
        template: rehabilitated_certificate_receipt
        lang: ru
        contains: ["Регистрационный номер заявления: №QZ-2026-000101", "Сейітова Айгерім Болатқызы"]
        not_contains: ["принявший заявление: ____________"]
"#,
    ));
    assert!(run.passed(), "{:?}", run.failure);
}

#[test]
fn a_rendered_expectation_names_a_template_the_service_uses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.yaml");
    let text = accepted_with(
        "1952-03-15",
        r#"  - expect:
      rendered: { template: application_acepted, part: sms, contains: ["QZ"] }
  - expect:
      rendered: { template: rehabilitated_certificate_receipt, part: sms, contains: ["QZ"] }
"#,
    );
    std::fs::write(&file, &text).unwrap();
    let err = scenario::run_file(&certificate_setup(), &file).unwrap_err();
    let scenario::Error::Invalid(diagnostics) = err else {
        panic!("expected the scenario's mistakes, got {err:?}");
    };
    let shown: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].ends_with(
            "no step of this service sends or renders `application_acepted`\n  hint: did you mean `application_accepted`?"
        ),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains("`rehabilitated_certificate_receipt` has no sms part")
            && shown[1].ends_with("hint: one of: html"),
        "{shown:#?}"
    );
}

#[test]
fn a_template_that_does_not_render_fails_the_scenario_naming_it() {
    // A fixed date written the way people write it, which `{{date …}}` cannot read: the
    // load-time checks cannot know a literal's format, the renderer refuses it. The step
    // that led to the receipt fails, with the template, the language, the part and why.
    let templates = tempfile::tempdir().unwrap();
    copy_dir(Path::new("templates"), templates.path());
    let receipt = templates
        .path()
        .join("rehabilitated_certificate_receipt/ru.html.hbs");
    let source = std::fs::read_to_string(&receipt).unwrap();
    let broken = source.replacen(
        "<p>Дата и время подачи заявления:",
        "<p>Действует с {{date \"31.11.2026\"}}</p>\n<p>Дата и время подачи заявления:",
        1,
    );
    assert_ne!(broken, source, "the receipt changed");
    std::fs::write(&receipt, broken).unwrap();

    let (code, stdout, stderr) = qyzmet(&[
        "simulate",
        ISSUED,
        "--templates",
        templates.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let verdict = stdout.lines().last().unwrap_or_default();
    // The second answer (the register's) completes the data the receipt waits for.
    let line = std::fs::read_to_string(ISSUED)
        .unwrap()
        .lines()
        .position(|l| l.contains("connector: provider.register"))
        .unwrap();
    assert!(
        verdict.starts_with(&format!(
            "FAIL {ISSUED}:{line}:5: the template `rehabilitated_certificate_receipt` does not render in ru, part html: "
        )) && verdict.ends_with("`31.11.2026` is not a date"),
        "{verdict}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn every_shipped_scenario_renders_every_template_it_reaches() {
    let setup = Setup::for_path(Path::new("workflows"), &Options::default()).unwrap();
    assert!(setup.diagnostics.is_empty(), "{:?}", setup.diagnostics);
    let files = scenario::find(Path::new("workflows"));
    assert!(files.len() >= 20, "{files:?}");
    let mut rendered = 0;
    let mut failures = Vec::new();
    for file in &files {
        let run = scenario::run_file(&setup, file).unwrap_or_else(|e| panic!("{e}"));
        if let Some(f) = run
            .failure
            .filter(|f| f.message.contains("does not render"))
        {
            failures.push(f.to_string());
        }
        rendered += run.renditions.len();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        rendered > 100,
        "every notification and document is rendered: {rendered}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_names_the_clerk_who_completed_the_task_by_the_account() {
    let smtp_port = crate::notify::free_port();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    // The operator's account, as the administrator registered it.
    let new = qyzmet::accounts::NewAccount {
        login: "seitova".into(),
        full_name: "Сейітова Айгерім Болатқызы".into(),
        email: "seitova@example.kz".into(),
        roles: vec!["front_office_operator".parse().unwrap()],
        region: "almaty".into(),
        created_by: "system".into(),
    };
    let temporary = qyzmet::accounts::TemporaryPassword::new().await.unwrap();
    r.svc()
        .engine
        .transact(move |conn, now| {
            let (new, temporary) = (new.clone(), temporary.clone());
            Box::pin(async move {
                qyzmet::accounts::register(conn, &new, &temporary, None, now)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap();

    let number = r.submit(Language::Ru, true).await;
    r.clock.advance(Duration::minutes(15));
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "seitova",
    )
    .await;
    r.advance_to(almaty(2026, 11, 23, 11, 0)).await;

    let documents = r.data_dir().join("documents");
    let receipts: Vec<String> = names(&documents)
        .into_iter()
        .map(|n| read(&documents, &n))
        .filter(|html| html.contains("Расписка о приёме документов"))
        .collect();
    assert_eq!(receipts.len(), 1, "one receipt in {:?}", names(&documents));
    let receipt = &receipts[0];
    assert!(
        receipt.contains(
            "Работник, принявший заявление: Сейітова Айгерім Болатқызы, Работник Государственной корпорации (приём документов и выдача результата)"
        ),
        "the account's full name, the title of the task's role: {receipt}"
    );
    assert!(!receipt.contains("заявление: ____________"), "{receipt}");
    // The office from the configuration, printed once.
    assert_eq!(
        receipt.matches("Филиал по городу Алматы").count(),
        1,
        "{receipt}"
    );
}
