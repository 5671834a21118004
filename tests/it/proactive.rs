//! Proactive cases and the SMS consent dialogue (issue #17; seeds/001, ENPF rules items 4, 15,
//! 16). A small service of our own stands for the proactive pension: a case opened from a list
//! sends an SMS offer and waits for the citizen's reply — consent, refusal, or silence —, and
//! a back-office service of our own starts the wave from a list document. The SMS aggregator
//! is a loopback stub that records what is sent; its replies are posted to
//! `POST /integrations/sms/replies` as the aggregator would. Everything runs on a manual clock,
//! driven step by step, without the serve loops.
//!
//! The shipped services are run the same way at the end: the reconciliation's list starts a
//! wave of `enpf-retirement-payment` cases, 1,000 people by default.
//!
//! Both wave tests take `QYZMET_WAVE_PEOPLE` people (300 for the small service's, 1,000 for
//! the shipped one's by default) and print how long the wave and the dialogue took.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::definition::messages::Lang;
use qyzmet::definition::{self, StepKind};
use qyzmet::domain::{Iin, Sex};
use qyzmet::runtime::{Language, Status, Submission};
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::store::waves::Wave;
use qyzmet::wave::{self, Row};

use crate::service::{aggregator, almaty, config_file};

/// The proactive service: an SMS offer, the reply, consent or refusal; silence for five
/// working days closes the case.
const OFFER: &str = r#"
service: proactive-offer-test
version: "2026-07-12"
effective_from: 2026-07-12
title: { kk: "Зейнетақы төлемі (проактивті, сынақ)", ru: "Пенсионная выплата (проактивно, тест)" }
short_title: { kk: "Зейнетақы төлемі", ru: "Пенсионная выплата" }
basis:
  order_196: { title: "Order No. 196 of 26.05.2026", file: seeds/001 }
term:
  working_days: 10
  source: { act: order_196, item: "ENPF rules, item 16 (assumed for the test)" }
channels: [proactive]
support_email: oop@enbek.kz
data:
  applicant.iin: iin
  applicant.phone: phone
  offer.answer: { type: enum, values: [consent, refusal] }
  offer.reply: text
messages:
  offer_reply:
    title: { kk: "Ұсынысқа жауап", ru: "Ответ на предложение" }
    fields:
      answer: { type: enum, values: [consent, refusal] }
      text: text
    sms_reply:
      phone: applicant.phone
      answer: answer
      words:
        consent: ["иә", "ия", "келісемін", "да", "согласен", "согласна", "1"]
        refusal: ["жоқ", "келіспеймін", "нет", "отказываюсь", "2"]
      help: proactive_test_help
start: send_offer
steps:
  send_offer:
    title: { kk: "SMS ұсыныс", ru: "SMS-предложение" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    notify: { to: citizen, template: proactive_test_offer, channels: [sms], urgent: true }
    next: await_reply
  await_reply:
    title: { kk: "Жауапты күту", ru: "Ожидание ответа" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    receive:
      message: offer_reply
      timeout: { working_days: 5 }
      store: { offer.answer: "message.answer", offer.reply: "message.text" }
    next: decide_answer
    on_timeout: silent
  decide_answer:
    title: { kk: "Жауап", ru: "Ответ" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    decide:
      - { when: "offer.answer == 'consent'", next: consented }
      - otherwise: declined
  consented:
    title: { kk: "Келісім берілді", ru: "Согласие дано" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    end: issued
  declined:
    title: { kk: "Бас тартты", ru: "Отказ" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    end: refused
  silent:
    title: { kk: "Жауап берілмеді", ru: "Ответ не получен" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    end: not_accepted
"#;

/// The back office: a clerk gives the list, the wave starts, the case ends.
const PARENT: &str = r#"
service: wave-parent-test
version: "2026-07-12"
effective_from: 2026-07-12
title: { kk: "Салыстырып тексеру (сынақ)", ru: "Сверка (тест)" }
basis:
  order_196: { title: "Order No. 196 of 26.05.2026", file: seeds/001 }
term:
  working_days: 15
  source: { act: order_196, item: "ENPF rules, item 15 part 2" }
channels: [state_corporation]
support_email: oop@enbek.kz
results: [reconciled]
data:
  reconciliation.recipients_list:
    type: document
    format: csv
    label: { kk: "Алушылар тізімі (CSV: iin;phone)", ru: "Список получателей (CSV: iin;phone)" }
start: reconcile
steps:
  reconcile:
    title: { kk: "Салыстырып тексеру", ru: "Сверка" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    task:
      role: state_corporation_specialist
      due: { working_days: 10 }
      form: [reconciliation.recipients_list]
    outcomes: { reconciled: start_offers }
  start_offers:
    title: { kk: "Проактивті ұсыныстар", ru: "Проактивные предложения" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    wave: { service: proactive-offer-test, list: reconciliation.recipients_list }
    next: reconciled
  reconciled:
    title: { kk: "Аяқталды", ru: "Завершено" }
    source: { act: order_196, item: "ENPF rules, item 16" }
    end: reconciled
"#;

const OFFER_SMS_KK: &str = "БЖЗҚ-дан зейнетақы жинақтарын төлеу ұсынылады (№{{registration_number}}). Келісесіз бе? Жауап: ИӘ немесе ЖОҚ.";
const OFFER_SMS_RU: &str = "Предлагаем выплату пенсионных накоплений из ЕНПФ (№{{registration_number}}). Согласны? Ответьте: ДА или НЕТ.";
const HELP_SMS_KK: &str = "Жауабыңыз түсініксіз (№{{registration_number}}). Келісу үшін ИӘ немесе 1, бас тарту үшін ЖОҚ немесе 2 деп жіберіңіз.";
const HELP_SMS_RU: &str = "Ответ не распознан (№{{registration_number}}). Для согласия отправьте ДА или 1, для отказа — НЕТ или 2.";

/// A workflows folder with the catalog and `services` (folder, text), the templates beside it,
/// the calendars linked; the workflows folder.
fn fixture(dir: &Path, services: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("workflows");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy("workflows/catalog.yaml", root.join("catalog.yaml")).unwrap();
    for (service, text) in services {
        std::fs::create_dir_all(root.join(service)).unwrap();
        std::fs::write(root.join(service).join("2026-07-12.yaml"), text).unwrap();
    }
    for (template, kk, ru) in [
        ("proactive_test_offer", OFFER_SMS_KK, OFFER_SMS_RU),
        ("proactive_test_help", HELP_SMS_KK, HELP_SMS_RU),
    ] {
        let t = dir.join("templates").join(template);
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(t.join("kk.sms.hbs"), kk).unwrap();
        std::fs::write(t.join("ru.sms.hbs"), ru).unwrap();
    }
    let calendars = std::fs::canonicalize("calendars").unwrap();
    if !dir.join("calendars").exists() {
        std::os::unix::fs::symlink(calendars, dir.join("calendars")).unwrap();
    }
    root
}

fn load(root: &Path) -> definition::Report {
    definition::load(
        &[root.to_path_buf()],
        &definition::Options {
            catalog: None,
            templates: None,
            calendars: None,
            lang: Lang::En,
        },
    )
}

#[test]
fn sms_replies_and_waves_validate_and_their_mistakes_are_placed() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture(
        dir.path(),
        &[
            ("proactive-offer-test", OFFER),
            ("wave-parent-test", PARENT),
        ],
    );
    let report = load(&root);
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let parent = report
        .library
        .definitions
        .iter()
        .find(|d| d.id == "wave-parent-test")
        .unwrap();
    assert!(parent.steps.iter().any(|s| matches!(&s.kind,
        StepKind::Wave { service, list, .. } if service == "proactive-offer-test" && list == "reconciliation.recipients_list")));

    // The same files with a mistake each.
    let dir = tempfile::tempdir().unwrap();
    let offer = OFFER
        .replace(
            r#"refusal: ["жоқ", "келіспеймін", "нет", "отказываюсь", "2"]"#,
            r#"refusal: ["жоқ", "келіспеймін", "Да!", "2"]"#,
        )
        .replace(
            "phone: applicant.phone\n      answer",
            "phone: applicant.iin\n      answer",
        );
    let parent = PARENT
        .replace(
            "list: reconciliation.recipients_list }",
            "list: reconciliation.count }",
        )
        .replace("data:\n", "data:\n  reconciliation.count: int\n");
    let not_proactive = OFFER.replace("channels: [proactive]", "channels: [egov_portal]");
    let root = fixture(
        dir.path(),
        &[
            ("proactive-offer-test", &offer),
            ("wave-parent-test", &parent),
        ],
    );
    let report = load(&root);
    let found: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    let has = |what: &str, line: usize| {
        assert!(
            found
                .iter()
                .any(|d| d.contains(what) && d.contains(&format!(":{line}:"))),
            "{what} at line {line} in {found:#?}"
        )
    };
    // `Да!` is `да`, a word of consent: at its own place in the list.
    has("the word `Да!` of `refusal` is a word of `consent` too", 30);
    has("`applicant.iin` is not a `phone` field", 26);
    has(
        "`reconciliation.count` is not a `document` field with `format: csv`",
        33,
    );

    let dir = tempfile::tempdir().unwrap();
    let root = fixture(
        dir.path(),
        &[
            ("proactive-offer-test", &not_proactive),
            ("wave-parent-test", PARENT),
        ],
    );
    let found: Vec<String> = load(&root)
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert!(
        found
            .iter()
            .any(|d| d.contains("does not list `proactive`") && d.contains("wave-parent-test")),
        "{found:#?}"
    );
}

#[test]
fn replies_are_read_in_kazakh_and_russian_whatever_their_case_and_punctuation() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture(dir.path(), &[("proactive-offer-test", OFFER)]);
    let report = load(&root);
    let def = &report.library.definitions[0];
    let rule = &def.sms_replies["offer_reply"];
    for (reply, answer) in [
        ("Иә", Some("consent")),
        ("  ИӘ! ", Some("consent")),
        ("ия.", Some("consent")),
        ("Келісемін", Some("consent")),
        ("ДА", Some("consent")),
        ("Согласна!!!", Some("consent")),
        ("1", Some("consent")),
        ("Жоқ", Some("refusal")),
        ("нет.", Some("refusal")),
        ("«Отказываюсь»", Some("refusal")),
        (" 2 ", Some("refusal")),
        ("қалай?", None),
        ("да нет", None),
        ("12", None),
        ("", None),
        ("?!", None),
    ] {
        assert_eq!(rule.recognise(reply), answer, "{reply:?}");
    }
}

/// `n` people: valid IINs (born in 1960-1961, serials in order) and mobile numbers.
fn people(n: usize) -> Vec<(String, String)> {
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    let mut out = Vec::with_capacity(n);
    let mut serial = 0u16;
    let mut day = 0i64;
    while out.len() < n {
        let sex = if out.len() % 2 == 0 {
            Sex::Male
        } else {
            Sex::Female
        };
        if let Some(iin) = Iin::generate(born + chrono::Duration::days(day), sex, serial) {
            let phone = format!("+7701{:07}", out.len());
            out.push((iin.as_str().to_string(), phone));
        }
        serial += 1;
        if serial == 9000 {
            serial = 0;
            day += 1;
        }
    }
    out
}

struct Running {
    service: Service,
    uploads: qyzmet::uploads::Uploads,
    app: axum::Router,
    aggregator: crate::service::Aggregator,
    _dir: tempfile::TempDir,
}

async fn running() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture(
        dir.path(),
        &[
            ("proactive-offer-test", OFFER),
            ("wave-parent-test", PARENT),
        ],
    );
    let templates = dir.path().join("templates");
    running_on(dir, root, templates).await
}

/// The shipped services and templates (`workflows/`, `templates/`).
async fn running_shipped() -> Running {
    running_on(
        tempfile::tempdir().unwrap(),
        "workflows".into(),
        "templates".into(),
    )
    .await
}

async fn running_on(dir: tempfile::TempDir, root: PathBuf, templates: PathBuf) -> Running {
    let (aggregator, base) = aggregator().await;
    let config = config_file(dir.path(), 9, &base);
    let data = dir.path().join("data");
    let clock = Arc::new(ManualClock::new(almaty(2027, 2, 22, 10, 0)));
    let service = Service::start(Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: data.clone(),
        workflows: root,
        calendars: "calendars".into(),
        templates,
        config: FileConfig::load(&config).expect("the configuration file loads"),
        clock,
        env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
    })
    .await
    .expect("the service starts");
    let app = qyzmet::api::integrations::router(service.clone());
    let uploads = (*service.uploads).clone();
    Running {
        service,
        uploads,
        app,
        aggregator,
        _dir: dir,
    }
}

impl Running {
    async fn token(&self, login: &str, roles: &[&str], region: &str) -> String {
        crate::engine::api_token(&self.service.engine, login, roles, region).await
    }

    async fn drain(&self) {
        self.service.engine.drain().await.unwrap();
    }

    /// Posts `body` to `uri` with `token`: the status and the answer.
    async fn post(
        &self,
        token: &str,
        uri: &str,
        content_type: &str,
        body: String,
    ) -> (StatusCode, Value) {
        let response = self
            .app
            .clone()
            .oneshot(
                Request::post(uri)
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn reply(&self, token: &str, id: &str, from: &str, text: &str) -> Value {
        let (status, answer) = self
            .post(
                token,
                "/integrations/sms/replies",
                "application/json",
                json!({ "id": id, "from": from, "text": text, "received_at": "2027-02-22T10:15:00+05:00" })
                    .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        answer
    }

    /// The SMS the aggregator was asked to send: (recipient, text).
    fn sent(&self) -> Vec<(String, String)> {
        self.aggregator
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["recipient"].as_str().unwrap_or("").to_string(),
                    b["text"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Puts `text` where a scan would be kept: the list document's value.
    fn document(&self, text: &str) -> Value {
        let sha = hex::encode(Sha256::digest(text.as_bytes()));
        let file = self.uploads.path(&sha).unwrap();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
        json!({ "name": "recipients.csv", "sha256": sha, "content_type": "text/csv", "size": text.len() })
    }

    async fn status_of(&self, number: &str) -> (Status, Option<String>) {
        let view = self.service.engine.case(number).await.unwrap().unwrap();
        (view.case.status, view.case.result.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_of_people_goes_through_the_sms_consent_dialogue() {
    let n: usize = std::env::var("QYZMET_WAVE_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let r = running().await;
    let engine = &r.service.engine;
    let specialist = r
        .token("sc-almaty", &["state_corporation_specialist"], "almaty")
        .await;
    let aggregator_token = r
        .token("sms-aggregator", &["sms_provider_system"], "kz")
        .await;
    let _ = specialist;

    // The back office gives the list; its step starts the wave.
    let people = people(n);
    let mut csv = String::from("\u{feff}iin;phone;language\n");
    for (i, (iin, phone)) in people.iter().enumerate() {
        let language = if i % 3 == 0 { "ru" } else { "kk" };
        csv.push_str(&format!("{iin};{phone};{language}\n"));
    }
    let parent = engine
        .submit(
            "wave-parent-test",
            Submission {
                data: json!({}),
                channel: "state_corporation".into(),
                language: Language::Kk,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    let view = engine.case(&parent).await.unwrap().unwrap();
    let task = view.tasks[0].key.clone();
    let list = r.document(&csv);
    engine
        .complete(
            &task,
            "reconciled",
            json!({ "reconciliation.recipients_list": list }),
            "sc-almaty",
        )
        .await
        .unwrap();
    let (status, result) = r.status_of(&parent).await;
    assert_eq!(
        (status, result.as_deref()),
        (Status::Completed, Some("reconciled"))
    );

    let started = Instant::now();
    let finished = wave::run_pending(engine, Some(&r.uploads), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(finished, 1);
    let waves = wave::of_case(engine, &parent).await.unwrap();
    let w: &Wave = &waves[0];
    assert_eq!(
        (w.total, w.counts.opened, w.counts.skipped, w.counts.refused),
        (n as u64, n as u64, 0, 0)
    );
    let opened_in = started.elapsed();
    // Each case sends its offer.
    r.drain().await;
    let offered_in = started.elapsed();
    let sent = r.sent();
    assert_eq!(sent.len(), n, "one offer each");
    assert!(
        sent.iter()
            .any(|(_, t)| t.starts_with("Предлагаем выплату"))
    );
    assert!(sent.iter().any(|(_, t)| t.starts_with("БЖЗҚ-дан")));

    // The replies: a mix, by person.
    let dialogue = Instant::now();
    let mut expected = (0, 0, 0); // consent, refusal, waiting
    let mut helps = 0;
    for (i, (_, phone)) in people.iter().enumerate() {
        let id = format!("r{i}");
        match i % 7 {
            0 => {
                assert_eq!(
                    r.reply(&aggregator_token, &id, phone, "Иә").await["outcome"],
                    "delivered"
                );
                expected.0 += 1;
            }
            1 => {
                r.reply(&aggregator_token, &id, phone, "да").await;
                expected.0 += 1;
            }
            2 => {
                r.reply(&aggregator_token, &id, phone, "Жоқ").await;
                expected.1 += 1;
            }
            3 => {
                r.reply(&aggregator_token, &id, phone, "нет").await;
                expected.1 += 1;
            }
            4 => {
                let first = r.reply(&aggregator_token, &id, phone, "қалай?").await;
                assert_eq!(first["outcome"], "help_sent");
                // The aggregator posts the same reply again: the same answer, no second help.
                assert_eq!(
                    r.reply(&aggregator_token, &id, phone, "қалай?").await,
                    first
                );
                r.reply(&aggregator_token, &format!("{id}b"), phone, "1")
                    .await;
                helps += 1;
                expected.0 += 1;
            }
            5 => expected.2 += 1,
            _ => {
                // A repeated "yes" does nothing more.
                r.reply(&aggregator_token, &id, phone, "келісемін").await;
                r.reply(&aggregator_token, &id, phone, "келісемін").await;
                expected.0 += 1;
            }
        }
    }
    r.drain().await;
    let replied_in = dialogue.elapsed();

    let numbers: Vec<String> = {
        let mut conn = engine.store().read().await.unwrap();
        qyzmet::store::mass_events::cases_after(&mut conn, "proactive-offer-test", 0, u32::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, number)| number)
            .collect()
    };
    assert_eq!(numbers.len(), expected.2, "only the silent still wait");
    let sent = r.sent();
    let help_texts = sent
        .iter()
        .filter(|(_, t)| {
            t.starts_with("Жауабыңыз түсініксіз") || t.starts_with("Ответ не распознан")
        })
        .count();
    assert_eq!(help_texts, helps, "each help SMS once");
    assert_eq!(sent.len(), n + helps);

    // Every case by its result.
    let mut got = (0, 0, 0);
    let all: Vec<String> = {
        let mut conn = engine.store().read().await.unwrap();
        qyzmet::store::waves::numbers_of_service(&mut conn, "proactive-offer-test")
            .await
            .unwrap()
    };
    assert_eq!(all.len(), n);
    for number in &all {
        match r.status_of(number).await {
            (Status::Completed, Some(r)) if r == "issued" => got.0 += 1,
            (Status::Completed, Some(r)) if r == "refused" => got.1 += 1,
            (Status::Active, _) => got.2 += 1,
            other => panic!("{number}: {other:?}"),
        }
    }
    assert_eq!(got, expected);
    // A reply from a number no case waits for (the silent ones still wait; a consenting one
    // does not any more).
    let gone = r.reply(&aggregator_token, "late", &people[0].1, "иә").await;
    assert_eq!(gone, json!({ "outcome": "no_case" }));
    eprintln!(
        "proactive wave of {n}: cases opened in {:.1} s, offers sent by {:.1} s, dialogue of the replies in {:.1} s",
        opened_in.as_secs_f64(),
        offered_in.as_secs_f64(),
        replied_in.as_secs_f64()
    );
}

#[tokio::test]
async fn a_bad_row_is_reported_with_its_line_and_a_rerun_opens_nothing_twice() {
    let r = running().await;
    let engine = &r.service.engine;
    let specialist = r
        .token("sc-almaty", &["state_corporation_specialist"], "almaty")
        .await;
    let people = people(6);
    let csv = format!(
        "iin,phone\n{},{}\n123456789012,+77010000001\n{},+7 999 000 00 00\n\n{},{}\n{},{}\n{},{}\n{},{}\n",
        people[0].0,
        people[0].1,
        people[1].0,
        people[2].0,
        people[2].1,
        people[3].0,
        people[3].1,
        // The same person twice: one case.
        people[2].0,
        people[2].1,
        people[4].0,
        people[4].1,
    );
    let (status, created) = r
        .post(
            &specialist,
            "/services/proactive-offer-test/waves",
            "text/csv",
            csv.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let id = created["id"].as_i64().unwrap();
    // A person who applied already is skipped.
    engine
        .submit(
            "proactive-offer-test",
            Submission {
                data: json!({ "applicant.iin": people[4].0, "applicant.phone": people[4].1 }),
                channel: "proactive".into(),
                language: Language::Kk,
                sms_consent: true,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    // A run that opened the first rows' cases and died before recording them…
    let w = wave::get(engine, id).await.unwrap();
    let rows = wave::parse_list(&csv).unwrap();
    assert!(matches!(&rows[1], Row::Bad(b) if b.line == 3 && b.reason.contains("IIN")));
    assert!(matches!(&rows[2], Row::Bad(b) if b.line == 4 && b.reason.contains("phone")));
    wave::open(engine, &w, &rows, 0..4).await.unwrap();
    // …and the runner, run twice (a restart).
    for _ in 0..2 {
        wave::run_pending(engine, None, &CancellationToken::new())
            .await
            .unwrap();
    }
    let w = wave::get(engine, id).await.unwrap();
    assert!(w.finished_at.is_some());
    assert_eq!(
        (w.total, w.counts.opened, w.counts.skipped, w.counts.refused),
        (7, 3, 2, 2),
        "{w:?}"
    );
    assert_eq!(
        w.refusals.iter().map(|b| b.line).collect::<Vec<_>>(),
        vec![3, 4]
    );
    let all = {
        let mut conn = engine.store().read().await.unwrap();
        qyzmet::store::waves::numbers_of_service(&mut conn, "proactive-offer-test")
            .await
            .unwrap()
    };
    assert_eq!(
        all.len(),
        4,
        "three opened by the wave, one applied for: none twice"
    );
    // The progress, through the API.
    let (status, _) = r
        .post(
            &specialist,
            "/services/proactive-offer-test/waves",
            "text/csv",
            "name;tel\n".into(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn two_cases_waiting_on_one_number_the_reply_goes_to_the_latest_offer() {
    let r = running().await;
    let engine = &r.service.engine;
    let aggregator_token = r
        .token("sms-aggregator", &["sms_provider_system"], "kz")
        .await;
    let people = people(2);
    let phone = "+77015550000";
    let mut numbers = Vec::new();
    for (iin, _) in &people {
        numbers.push(
            engine
                .submit(
                    "proactive-offer-test",
                    Submission {
                        data: json!({ "applicant.iin": iin, "applicant.phone": phone }),
                        channel: "proactive".into(),
                        language: Language::Ru,
                        sms_consent: true,
                        region: "almaty".into(),
                    },
                )
                .await
                .unwrap(),
        );
    }
    // Written 8 701 … by the aggregator: the same number.
    let answer = r
        .reply(&aggregator_token, "x1", "8 (701) 555-00-00", "Нет")
        .await;
    assert_eq!(
        answer,
        json!({ "outcome": "delivered", "case": numbers[1] })
    );
    assert_eq!(r.status_of(&numbers[1]).await.1.as_deref(), Some("refused"));
    assert_eq!(r.status_of(&numbers[0]).await.0, Status::Active);
    let answer = r.reply(&aggregator_token, "x2", phone, "Да").await;
    assert_eq!(
        answer,
        json!({ "outcome": "delivered", "case": numbers[0] })
    );
    // Only the aggregator's account posts replies.
    let clerk = r.token("desk", &["front_office_operator"], "almaty").await;
    let (status, _) = r
        .post(&clerk, "/integrations/sms/replies", "application/json", json!({ "id": "x3", "from": phone, "text": "да", "received_at": "2027-02-22T10:15:00+05:00" }).to_string())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A scenario answers the offer by SMS as the server reads the reply: an unrecognised reply
/// sends the help SMS and the case waits on; «1» is consent.
const SCENARIO: &str = r#"
scenario: "An unrecognised reply, then consent"
service: proactive-offer-test
now: 2027-02-22T10:00
number: TEST-000001
steps:
  - submit:
      language: kk
      sms_consent: true
      channel: proactive
      region: almaty
      data: { applicant.iin: "570112490315", applicant.phone: "+77471234501" }
  - sms_reply: { text: "қалай?" }
  - expect:
      waiting_at: [await_reply]
      notified:
        - { template: proactive_test_offer, to: citizen, channels: [sms] }
        - { template: proactive_test_help, to: citizen, channels: [sms] }
      rendered: { template: proactive_test_help, part: sms, lang: kk, contains: ["TEST-000001", "ИӘ немесе 1"] }
  - sms_reply: { text: "1." }
  - expect:
      status: completed
      result: issued
      data: { offer.answer: consent, offer.reply: "1." }
"#;

#[test]
fn a_scenario_answers_the_offer_by_sms_as_the_server_reads_it() {
    use qyzmet::scenario::{self, Setup};
    let dir = tempfile::tempdir().unwrap();
    let root = fixture(dir.path(), &[("proactive-offer-test", OFFER)]);
    let file = root.join("proactive-offer-test/scenarios/help.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, SCENARIO).unwrap();
    let setup = Setup::load(
        std::slice::from_ref(&root),
        &definition::Options {
            catalog: None,
            templates: None,
            calendars: None,
            lang: Lang::En,
        },
    )
    .unwrap();
    let run = scenario::run_file(&setup, &file).unwrap_or_else(|e| panic!("{e:?}"));
    let trace: Vec<String> = run.trace.iter().map(|l| l.to_string()).collect();
    assert!(
        run.failure.is_none(),
        "{:?}\n{}",
        run.failure,
        trace.join("\n")
    );
}

/// The shipped services end to end (#17: "a service test that runs a proactive wave of 1,000
/// people through the SMS consent dialogue against the SMS aggregator stub"): the yearly
/// reconciliation (`workflows/enpf-reconciliation`) is given the State Corporation's list of
/// pension recipients with a phone on the portal (seeds/001, ENPF rules item 16 part 1); its
/// `start_offers` step starts the wave; every person gets one `enpf-retirement-payment` case
/// and its SMS offer in their language (items 4, 15); the replies, in kk and ru, are read as the
/// definition's words say: a consent starts the payment (the case goes on to GBD FL), a refusal
/// closes the case `declined` with a confirming SMS, anything else gets the help SMS once, and
/// silence keeps the case waiting. `QYZMET_WAVE_PEOPLE` sets the number of people (1,000 by
/// default), for a timing of a larger wave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciliation_offers_the_enpf_payment_to_a_wave_by_sms() {
    let n: usize = std::env::var("QYZMET_WAVE_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let r = running_shipped().await;
    let engine = &r.service.engine;
    let aggregator_token = r
        .token("sms-aggregator", &["sms_provider_system"], "kz")
        .await;
    let started = Instant::now();
    let reconciliation = engine
        .submit(
            "enpf-reconciliation",
            Submission {
                data: json!({}),
                channel: "proactive".into(),
                language: Language::Kk,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    // The ENPF's list comes through the gateway, or by hand when it fails (item 14).
    let tasks = |number: String| async move { engine.case(&number).await.unwrap().unwrap().tasks };
    let mut open = tasks(reconciliation.clone()).await;
    if open[0].step == "obtain_enpf_list" {
        engine
            .complete(
                &open[0].key,
                "received",
                json!({ "enpf.persons_list": "enpf-list.pdf", "enpf.persons_count": n, "enpf.as_of": "2027-01-31" }),
                "sc-almaty",
            )
            .await
            .unwrap();
        r.drain().await;
        open = tasks(reconciliation.clone()).await;
    }
    assert_eq!(open[0].step, "reconcile");
    let people = people(n);
    let mut csv = String::from("\u{feff}iin;phone;language\r\n");
    for (i, (iin, phone)) in people.iter().enumerate() {
        let language = if i % 3 == 0 { "ru" } else { "kk" };
        csv.push_str(&format!("{iin};{phone};{language}\r\n"));
    }
    engine
        .complete(
            &open[0].key,
            "reconciled",
            json!({ "reconciliation.recipients_list": r.document(&csv), "reconciliation.recipients_count": n }),
            "sc-almaty",
        )
        .await
        .unwrap();
    assert_eq!(
        r.status_of(&reconciliation).await,
        (Status::Completed, Some("reconciled".to_string()))
    );
    wave::run_pending(engine, Some(&r.uploads), &CancellationToken::new())
        .await
        .unwrap();
    let w = &wave::of_case(engine, &reconciliation).await.unwrap()[0];
    assert_eq!(
        (
            w.service.as_str(),
            w.counts.opened,
            w.counts.refused,
            w.error.clone()
        ),
        ("enpf-retirement-payment", n as u64, 0, None)
    );
    r.drain().await;
    let offered_in = started.elapsed();
    let sent = r.sent();
    let offers = |prefix: &str| sent.iter().filter(|(_, t)| t.starts_with(prefix)).count();
    let ru = people.len().div_ceil(3);
    assert_eq!(
        offers("ЕНПФ: вам положена выплата"),
        ru,
        "the offer in Russian"
    );
    assert_eq!(
        offers("БЖЗҚ: зейнетақы жинақтарыңызды"),
        n - ru,
        "in Kazakh"
    );

    let dialogue = Instant::now();
    let (mut consent, mut refusal, mut silent, mut helps) = (0, 0, 0, 0);
    for (i, (_, phone)) in people.iter().enumerate() {
        let id = format!("r{i}");
        let said = match i % 6 {
            0 => "Иә",
            1 => "да",
            2 => "Жоқ",
            3 => "НЕТ.",
            4 => {
                let first = r
                    .reply(&aggregator_token, &id, phone, "қалай алуға болады?")
                    .await;
                assert_eq!(first["outcome"], "help_sent");
                // The aggregator posts it again: the same answer, no second help.
                assert_eq!(
                    r.reply(&aggregator_token, &id, phone, "қалай алуға болады?")
                        .await,
                    first
                );
                helps += 1;
                "1"
            }
            _ => {
                silent += 1;
                continue;
            }
        };
        let id = if i % 6 == 4 { format!("{id}b") } else { id };
        assert_eq!(
            r.reply(&aggregator_token, &id, phone, said).await["outcome"],
            "delivered"
        );
        if matches!(i % 6, 2 | 3) {
            refusal += 1;
        } else {
            consent += 1;
        }
    }
    r.drain().await;
    let replied_in = dialogue.elapsed();

    let sent = r.sent();
    let count = |a: &str, b: &str| {
        sent.iter()
            .filter(|(_, t)| t.starts_with(a) || t.starts_with(b))
            .count()
    };
    assert_eq!(
        count("Жауап танылмады", "Ответ не распознан"),
        helps,
        "each help SMS once"
    );
    let numbers: Vec<String> = {
        let mut conn = engine.store().read().await.unwrap();
        qyzmet::store::waves::numbers_of_service(&mut conn, "enpf-retirement-payment")
            .await
            .unwrap()
    };
    assert_eq!(numbers.len(), n);
    let mut got = (0, 0, 0);
    for number in &numbers {
        let view = engine.case(number).await.unwrap().unwrap();
        let answer = view.case.scope("")["offer"]["answer"]
            .as_str()
            .map(str::to_string);
        match (
            view.case.status,
            view.case.result.as_deref(),
            answer.as_deref(),
        ) {
            (Status::Completed, Some("declined"), Some("refusal")) => got.1 += 1,
            // The consent starts the payment: the case has gone on past the offer.
            (Status::Active, None, Some("consent")) => got.0 += 1,
            (Status::Active, None, None) => got.2 += 1,
            other => panic!("{number}: {other:?}"),
        }
    }
    assert_eq!(got, (consent, refusal, silent));
    eprintln!(
        "ENPF proactive wave of {n}: reconciliation to offers sent {:.1} s, replies of {} people {:.1} s",
        offered_in.as_secs_f64(),
        n - silent,
        replied_in.as_secs_f64()
    );
}
