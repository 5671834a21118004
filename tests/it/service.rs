//! The whole service as `qyzmet serve` assembles it — the engine, the notifier over a real
//! SMTP server and an HTTP SMS aggregator on loopback, the gateway and the monitoring feed
//! over the simulator — driven through a case with a manual clock.
//!
//! What a citizen sees (issue #5): the acceptance, the provisional-refusal notice with its
//! objection deadline and the result, each exactly once, in the language of the
//! application, through an SMTP outage and a restart after a send that was not recorded.
//! What support and the ministry see (issue #6): one support e-mail with the fields of
//! seeds/001 items 13, 14, 17 when GBD FL is down, and every stage of every case in order.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::gateway::sim::Fault;
use qyzmet::runtime::{Language, Submission, Work};
use qyzmet::service::{FileConfig, Options, Service};

use crate::notify::{Inbox, Refusing, mail_server};

pub(crate) fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
}

/// An SMS aggregator on loopback: records every request's JSON body and answers with a
/// new message id each time.
#[derive(Clone, Default)]
pub(crate) struct Aggregator {
    pub(crate) seen: Arc<Mutex<Vec<Value>>>,
}

async fn aggregator_send(State(a): State<Aggregator>, Json(body): Json<Value>) -> Json<Value> {
    let mut seen = a.seen.lock().unwrap();
    seen.push(body);
    Json(json!({ "code": 0, "data": { "messageId": format!("m{}", seen.len()) } }))
}

pub(crate) async fn aggregator() -> (Aggregator, String) {
    let a = Aggregator::default();
    let app = Router::new()
        .route("/send", post(aggregator_send))
        .with_state(a.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (a, base)
}

/// The configuration file an installation would write, pointed at the loopback servers.
pub(crate) fn config_file(dir: &Path, smtp_port: u16, sms_base: &str) -> PathBuf {
    let path = dir.join("qyzmet.yaml");
    std::fs::write(
        &path,
        format!(
            r#"
notify:
  email:
    transport: smtp
    host: 127.0.0.1
    port: {smtp_port}
    security: plain
    from: "Qyzmet <noreply@qyzmet.test>"
    timeout_seconds: 5
  sms:
    transport: http
    url: {sms_base}/send
    encoding: json
    recipient_field: recipient
    text_field: text
    sender_field: from
    sender: QYZMET
    client_id_field: client_id
    key_place: {{ header: X-Api-Key }}
    api_key_env: TEST_SMS_KEY
    id_pointer: /data/messageId
    error_pointer: /code
    callback_id_pointer: /messageId
    status_pointer: /status
    statuses: {{ DELIVRD: delivered, UNDELIV: failed }}
    timeout_ms: 3000
  staff:
    roles:
      head_of_department: [head@qyzmet.test]
      provider_specialist: [specialists@qyzmet.test]
      front_office_operator: [operators@qyzmet.test]
      administrator: [admins@qyzmet.test]
    assignee: [queue@qyzmet.test]
  rules_change:
    contact_centre: [1414@qyzmet.test]
  office:
    name: {{ kk: "Алматы қаласы бойынша филиал", ru: "Филиал по городу Алматы" }}
    address: {{ kk: "Алматы қ., Толе би к-сі, 155", ru: "г. Алматы, ул. Толе би, 155" }}
    phone: "1414"
gateway:
  simulator: true
"#
        ),
    )
    .unwrap();
    path
}

pub(crate) struct Running {
    service: Option<Service>,
    pub(crate) clock: Arc<ManualClock>,
    data: tempfile::TempDir,
    config: PathBuf,
    /// The database when it is not the SQLite file in the data directory (a run on
    /// PostgreSQL: `backends::under_test`).
    pub(crate) database: Option<qyzmet::store::Location>,
}

async fn start(
    data: &Path,
    database: Option<qyzmet::store::Location>,
    config: &Path,
    clock: Arc<ManualClock>,
) -> Service {
    Service::start(Options {
        database,
        data_dir: data.to_path_buf(),
        workflows: "workflows".into(),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: FileConfig::load(config).expect("the configuration file loads"),
        clock,
        env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
    })
    .await
    .expect("the service starts")
}

pub(crate) async fn running(smtp_port: u16, sms_base: &str, now: DateTime<Utc>) -> Running {
    running_with(smtp_port, sms_base, now, Tweaks::default()).await
}

/// What a test changes in the installation [`config_file`] writes.
#[derive(Default)]
pub(crate) struct Tweaks {
    /// The text of the connectors file (`gateway.connectors`); `config/connectors.yaml` when
    /// none.
    pub(crate) connectors: Option<String>,
    /// `database.lock_wait_ms`.
    pub(crate) lock_wait_ms: Option<u64>,
}

pub(crate) async fn running_with(
    smtp_port: u16,
    sms_base: &str,
    now: DateTime<Utc>,
    tweaks: Tweaks,
) -> Running {
    let data = tempfile::tempdir().unwrap();
    let config = config_file(data.path(), smtp_port, sms_base);
    let mut text = std::fs::read_to_string(&config).unwrap();
    if let Some(connectors) = &tweaks.connectors {
        let file = data.path().join("connectors.yaml");
        std::fs::write(&file, connectors).unwrap();
        // The last section of the file is `gateway:`.
        text.push_str(&format!("  connectors: {}\n", file.display()));
    }
    if let Some(ms) = tweaks.lock_wait_ms {
        text.push_str(&format!("database:\n  lock_wait_ms: {ms}\n"));
    }
    std::fs::write(&config, text).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let database = crate::backends::database(data.path()).await;
    let service = start(
        &data.path().join("data"),
        database.clone(),
        &config,
        clock.clone(),
    )
    .await;
    Running {
        service: Some(service),
        clock,
        data,
        config,
        database,
    }
}

impl Running {
    pub(crate) fn svc(&self) -> &Service {
        self.service.as_ref().expect("running")
    }

    /// Stops the service without recording anything more, and starts it again on the same
    /// data directory, as after a crash.
    async fn restart(&mut self) {
        self.service = None;
        self.service = Some(
            start(
                &self.data_dir(),
                self.database.clone(),
                &self.config,
                self.clock.clone(),
            )
            .await,
        );
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.data.path().join("data")
    }

    pub(crate) async fn drain(&self) {
        self.svc().engine.drain().await.unwrap();
    }

    /// Moves the clock to `at` in steps of at most an hour, running what falls due on the way.
    pub(crate) async fn advance_to(&self, at: DateTime<Utc>) {
        use qyzmet::clock::Clock;
        while self.clock.now() < at {
            let next = (self.clock.now() + Duration::hours(1)).min(at);
            self.clock.set(next);
            self.drain().await;
        }
    }

    /// An account with `roles` in `region` and its API token.
    pub(crate) async fn token(&self, login: &str, roles: &[&str], region: &str) -> String {
        crate::engine::api_token(&self.svc().engine, login, roles, region).await
    }

    /// Submits the rehabilitated-person application of the simulator's Абенова Айгүл, with a
    /// phone and an e-mail; returns its number once its first jobs ran.
    pub(crate) async fn submit(&self, language: Language, sms_consent: bool) -> String {
        let number = self
            .svc()
            .engine
            .submit(
                "rehabilitated-person-certificate",
                Submission {
                    data: json!({ "applicant.iin": IIN, "applicant.phone": PHONE, "applicant.email": EMAIL }),
                    channel: "state_corporation".into(),
                    language,
                    sms_consent,
                    region: "almaty".into(),
                },
            )
            .await
            .unwrap();
        self.drain().await;
        number
    }

    pub(crate) async fn task(&self, number: &str, step: &str) -> String {
        self.svc()
            .engine
            .store()
            .tasks(None, None, Some(number))
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.step == step)
            .unwrap_or_else(|| panic!("no open task {step} on {number}"))
            .key
    }

    pub(crate) async fn complete(
        &self,
        number: &str,
        step: &str,
        outcome: &str,
        form: Value,
        by: &str,
    ) {
        let key = self.task(number, step).await;
        self.svc()
            .engine
            .complete(&key, outcome, form, by)
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        self.drain().await;
    }

    /// Case `number` accepted on Monday 23.11 and refused on review on Tuesday 24.11 at 11:00
    /// for `reasons` (non-compliance): the notice of the provisional refusal goes, and the case
    /// waits for the citizen's objection.
    pub(crate) async fn refused_on_review(&self, number: &str, reasons: &str) {
        self.complete(
            number,
            "accept_documents",
            "complete",
            acceptance_form(),
            "operator1",
        )
        .await;
        self.advance_to(almaty(2026, 11, 24, 11, 0)).await;
        self.complete(
            number,
            "review",
            "refuse",
            serde_json::json!({
                "refusal.ground": "non_compliance",
                "refusal.reasons": reasons,
            }),
            "specialist1",
        )
        .await;
    }

    /// The details of the case's history lines of `kind`, oldest first.
    pub(crate) async fn notes(&self, number: &str, kind: &str) -> Vec<Value> {
        self.history_kinds(number)
            .await
            .into_iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, d)| d)
            .collect()
    }

    pub(crate) async fn history_kinds(&self, number: &str) -> Vec<(String, Value)> {
        let view = self.svc().engine.case(number).await.unwrap().unwrap();
        view.history
            .into_iter()
            .map(|h| (h.kind, h.detail))
            .collect()
    }
}

/// The messages the SMTP server received for `to`, as (template-ish subject, text body,
/// Message-ID).
pub(crate) fn mail_to(inbox: &Inbox, to: &str) -> Vec<(String, String, String)> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .map(|m| {
            let mail = mail_parser::MessageParser::default()
                .parse(&m.data)
                .unwrap();
            (
                mail.subject().unwrap_or_default().to_string(),
                mail.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
                mail.message_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub(crate) const IIN: &str = "520315400126"; // Абенова Айгүл Серікқызы in the simulator
pub(crate) const EMAIL: &str = "abenova@example.kz";
pub(crate) const PHONE: &str = "+77017654321";

pub(crate) fn acceptance_form() -> Value {
    json!({
        "applicant.iin": IIN,
        "application.kind": "certificate",
        "application.by_representative": false,
        "consent.personal_data": true,
        "documents.identity": "identity-card.pdf",
        "documents.rehabilitation": "rehabilitation-certificate.pdf",
        "rehabilitation.document_type": "rehabilitation_certificate",
        "rehabilitation.document_number": "17-3/412",
        "rehabilitation.document_date": "1991-06-14",
        "rehabilitation.issued_by": "Алматы облысының прокуратурасы",
    })
}

/// Kazakh letters that Russian does not have: a Kazakh text has some, a Russian one none.
fn is_kazakh(text: &str) -> bool {
    text.chars().any(|c| "әғқңөұүһіӘҒҚҢӨҰҮҺІ".contains(c))
}

#[tokio::test]
async fn the_citizen_is_told_each_step_once_in_kazakh_through_an_smtp_outage_and_a_restart() {
    // seeds/004 item 12 and seeds/001 item 12: the acceptance, the provisional refusal with
    // the last day to object, the result; in the language of the application.
    let (down, smtp_port) = Refusing::new(); // the mail server is down
    let (sms, sms_base) = aggregator().await;
    let mut r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let number = r.submit(Language::Kk, true).await;
    r.clock.advance(Duration::minutes(15));
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;

    // The SMS went; the e-mail waits for the mail server, and its job is retried.
    assert_eq!(sms.seen.lock().unwrap().len(), 1, "the acceptance SMS");
    let first = sms.seen.lock().unwrap()[0].clone();
    assert_eq!(first["recipient"], PHONE);
    assert_eq!(first["from"], "QYZMET");
    let text = first["text"].as_str().unwrap();
    assert!(
        text.contains(&number) && is_kazakh(text),
        "the SMS is in Kazakh and names the case: {text}"
    );

    // The mail server comes back; the retry delivers the e-mail, and not the SMS again.
    let inbox = down.mail_server();
    r.advance_to(almaty(2026, 11, 23, 11, 0)).await;
    let mail = mail_to(&inbox, EMAIL);
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert!(
        mail[0].0.contains(&number) && is_kazakh(&mail[0].0),
        "{}",
        mail[0].0
    );
    assert_eq!(
        sms.seen.lock().unwrap().len(),
        1,
        "no second acceptance SMS"
    );
    let sent = r.notes(&number, "notification_sent").await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0]["template"], "application_accepted");
    assert_eq!(sent[0]["channels"]["email"]["status"], "sent");
    assert_eq!(sent[0]["channels"]["sms"]["repeat"], true);

    // The aggregator reports the SMS delivered: the case history says so.
    let aggregator_token = r
        .token("sms-aggregator", &["sms_provider_system"], "kz")
        .await;
    let status = r
        .svc()
        .router()
        .oneshot(
            Request::post("/notify/sms/status")
                .header("authorization", format!("Bearer {aggregator_token}"))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"messageId":"m1","status":"DELIVRD"}"#))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(status.status(), StatusCode::NO_CONTENT);
    assert!(
        r.history_kinds(&number)
            .await
            .iter()
            .any(|(k, d)| k == "notification_delivered" && d["provider_id"] == "m1")
    );

    // The review refuses: a provisional refusal, with the last day to object. The engine
    // that sends the notice dies before it can record the job as done.
    r.advance_to(almaty(2026, 11, 24, 11, 0)).await;
    let key = r.task(&number, "review").await;
    r.svc()
        .engine
        .complete(
            &key,
            "refuse",
            json!({
                "refusal.ground": "non_compliance",
                "refusal.reasons": "Ақтау туралы құжат өтініш берушіге қатысты емес",
            }),
            "specialist1",
        )
        .await
        .unwrap();
    let case_id = r.svc().engine.case(&number).await.unwrap().unwrap().case.id;
    let jobs = r.svc().engine.store().jobs_of_case(case_id).await.unwrap();
    let notice = jobs
        .iter()
        .find(|j| {
            matches!(&j.work, Work::Notify { template, .. } if template == "provisional_refusal")
        })
        .expect("the provisional-refusal job");
    assert_eq!(notice.status, qyzmet::store::JobStatus::Pending);
    {
        use qyzmet::worker::jobs::Performer;
        r.svc()
            .notify
            .perform(&notice.key, &notice.work)
            .await
            .expect("the dying engine's attempt sends");
    }
    r.restart().await;
    r.drain().await;

    let refusal = mail_to(&inbox, EMAIL);
    assert_eq!(refusal.len(), 2, "one more e-mail, not two: {refusal:#?}");
    assert!(
        refusal[1].1.contains("26.11.2026"),
        "the notice names the last day to object: {}",
        refusal[1].1
    );
    assert!(is_kazakh(&refusal[1].0) && is_kazakh(&refusal[1].1));
    assert_eq!(sms.seen.lock().unwrap().len(), 2, "one more SMS, not two");
    let sms_text = sms.seen.lock().unwrap()[1]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sms_text.contains("26.11.2026") && is_kazakh(&sms_text),
        "{sms_text}"
    );

    // No objection comes; the refusal is signed and handed over: the result.
    r.advance_to(almaty(2026, 11, 27, 10, 0)).await;
    r.complete(
        &number,
        "sign_refusal_decision",
        "signed",
        json!({ "refusal.final_reasons": "Ақтау туралы құжат өтініш берушіге қатысты емес; қарсылық түскен жоқ" }),
        "head1",
    )
    .await;
    r.advance_to(almaty(2026, 11, 27, 12, 0)).await;
    r.complete(
        &number,
        "deliver_refusal_decision",
        "delivered",
        json!({}),
        "specialist1",
    )
    .await;

    let mail = mail_to(&inbox, EMAIL);
    assert_eq!(mail.len(), 3, "{mail:#?}");
    assert!(
        mail.iter()
            .all(|(subject, body, _)| is_kazakh(subject) && is_kazakh(body))
    );
    let ids: std::collections::BTreeSet<&String> = mail.iter().map(|(_, _, id)| id).collect();
    assert_eq!(ids.len(), 3, "each e-mail has its own Message-ID");
    let texts: Vec<String> = sms
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert!(texts.iter().all(|t| is_kazakh(t) && t.contains(&number)));
    let sent: Vec<String> = r
        .history_kinds(&number)
        .await
        .into_iter()
        .filter(|(k, _)| k == "notification_sent")
        .map(|(_, d)| d["template"].as_str().unwrap().to_string())
        .filter(|t| !t.starts_with("escalation"))
        .collect();
    assert_eq!(
        sent,
        [
            "application_accepted",
            "provisional_refusal",
            "refusal_ready"
        ],
        "the case history records each notification once"
    );
}

/// The stages the simulator's monitoring receiver kept for a case, as (sequence, stage).
pub(crate) fn stages_of(service: &Service, number: &str) -> Vec<(u64, String)> {
    let (_, sim) = service.simulator.as_ref().expect("the simulator runs");
    sim.monitor()
        .stages
        .iter()
        .filter(|s| s["registration_number"] == number)
        .map(|s| {
            (
                s["sequence"].as_u64().unwrap(),
                s["stage"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn with_gbd_fl_down_support_gets_one_email_with_what_the_rules_ask_and_the_case_goes_on() {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let (_, sim) = r.svc().simulator.clone().unwrap();
    let submit = |iin: &str| Submission {
        data: json!({ "applicant.iin": iin, "applicant.email": EMAIL }),
        channel: "state_corporation".into(),
        language: Language::Ru,
        sms_consent: false,
        region: "almaty".into(),
    };
    // A healthy case first: GBD FL's data land in it.
    let healthy = r
        .svc()
        .engine
        .submit("rehabilitated-person-certificate", submit(IIN))
        .await
        .unwrap();
    r.drain().await;
    r.complete(
        &healthy,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    r.task(&healthy, "review").await;
    let case = r.svc().engine.case(&healthy).await.unwrap().unwrap().case;
    assert_eq!(
        case.scope("")["applicant"]["full_name"],
        "Абенова Айгүл Серікқызы",
        "the answer of GBD FL is in the case"
    );

    // Then GBD FL goes down (seeds/001 items 13, 14, 17).
    let gbd_requests = || {
        sim.received()
            .into_iter()
            .filter(|x| x.connector == "gbd_fl.person")
            .count()
    };
    let before = gbd_requests();
    sim.set_fault(
        "gbd_fl.person",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    let iin = "550404400195";
    let broken = r
        .svc()
        .engine
        .submit("rehabilitated-person-certificate", submit(iin))
        .await
        .unwrap();
    r.drain().await;
    let mut form = acceptance_form();
    form["applicant.iin"] = json!(iin);
    r.complete(&broken, "accept_documents", "complete", form, "operator1")
        .await;
    let mut rounds = 0;
    while r
        .svc()
        .engine
        .store()
        .tasks(None, None, Some(&broken))
        .await
        .unwrap()
        .iter()
        .all(|t| t.step != "take_documents_from_citizen")
    {
        rounds += 1;
        assert!(rounds < 30, "the documents path never came");
        r.clock.advance(Duration::minutes(2));
        r.drain().await;
    }
    assert_eq!(
        gbd_requests() - before,
        5,
        "the step's retry budget, then the documents path"
    );

    let support = mail_to(&inbox, "e-maket@enbek.kz");
    assert_eq!(
        support.len(),
        1,
        "one e-mail per failure episode: {support:#?}"
    );
    let (subject, body, _) = &support[0];
    assert!(subject.contains(&broken), "{subject}");
    for needed in [
        "Выдача удостоверения реабилитированному лицу",
        broken.as_str(),
        iin,
        "gbd_fl.person",
        "Шаги, которые привели к ошибке",
        "Описание ошибки",
    ] {
        assert!(
            body.contains(needed),
            "the support e-mail lacks {needed:?}:\n{body}"
        );
    }

    // Every stage of both cases reached the monitoring system, in order, without gaps.
    r.drain().await;
    for number in [&healthy, &broken] {
        let stages = stages_of(r.svc(), number);
        let sequences: Vec<u64> = stages.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            sequences,
            (1..=stages.len() as u64).collect::<Vec<_>>(),
            "{number}: {stages:?}"
        );
        assert_eq!(stages[0].1, "submitted");
    }
    assert!(
        stages_of(r.svc(), &broken)
            .iter()
            .any(|(_, s)| s == "data_from_documents")
    );
    assert_eq!(sim.monitor().out_of_order, 0);

    // The ministry asks for the day again: the feed is rebuilt from the history with the
    // same keys and sequences, and the receiver drops every report as a repeat.
    let kept = sim.monitor().stages.len();
    let ops = format!("Bearer {}", r.token("ops", &["administrator"], "kz").await);
    let replay = r
        .svc()
        .router()
        .oneshot(
            Request::post("/monitoring/replay")
                .header("authorization", &ops)
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"from":"2026-11-23T00:00:00Z","to":"2026-11-24T00:00:00Z"}"#,
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::OK);
    let answer: Value = serde_json::from_slice(
        &http_body_util::BodyExt::collect(replay.into_body())
            .await
            .unwrap()
            .to_bytes(),
    )
    .unwrap();
    assert_eq!(answer["reports"], kept, "{answer}");
    assert_eq!(answer["posted"], kept, "{answer}");
    assert_eq!(sim.monitor().stages.len(), kept);
    assert_eq!(sim.monitor().repeats, kept as u64);

    // An answer on the asynchronous channel that is not one is refused, saying why.
    let gateway = format!(
        "Bearer {}",
        r.token("shep", &["gateway_system"], "kz").await
    );
    let garbage = r
        .svc()
        .router()
        .oneshot(
            Request::post("/gateway/answers")
                .header("authorization", &gateway)
                .body(Body::from("<not-soap/>"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The operator sees it on /metrics.
    let metrics = r
        .svc()
        .router()
        .oneshot(
            Request::get("/metrics")
                .header("authorization", &ops)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = String::from_utf8(
        http_body_util::BodyExt::collect(metrics.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for needed in [
        r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"} 1"#,
        r#"connector="gbd_fl.person""#,
        r#"service="rehabilitated-person-certificate""#,
    ] {
        assert!(text.contains(needed), "/metrics lacks {needed}:\n{text}");
    }
}

#[tokio::test]
async fn an_sms_due_at_night_waits_for_the_morning_without_spending_its_attempts() {
    // Issue #5: no SMS to citizens between 22:00 and 08:00 Asia/Almaty; queued until morning.
    let (smtp_port, inbox) = mail_server();
    let (sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 21, 50)).await;
    let number = r.submit(Language::Ru, true).await;
    r.clock.set(almaty(2026, 11, 23, 22, 30));
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    assert_eq!(mail_to(&inbox, EMAIL).len(), 1, "the e-mail goes at night");
    assert!(sms.seen.lock().unwrap().is_empty(), "the SMS does not");
    let deferred = r.notes(&number, "notification_deferred").await;
    assert_eq!(deferred.len(), 1, "{deferred:#?}");
    assert_eq!(deferred[0]["reason"], "quiet hours: SMS not before 08:00");
    assert_eq!(deferred[0]["channels"]["email"]["status"], "sent");

    // All night long nothing is tried; at 08:00 the SMS goes, once, and the e-mail is not
    // sent again.
    r.advance_to(almaty(2026, 11, 24, 7, 59)).await;
    assert!(sms.seen.lock().unwrap().is_empty());
    r.advance_to(almaty(2026, 11, 24, 8, 0)).await;
    assert_eq!(sms.seen.lock().unwrap().len(), 1);
    assert_eq!(mail_to(&inbox, EMAIL).len(), 1);
    let case_id = r.svc().engine.case(&number).await.unwrap().unwrap().case.id;
    let job = r
        .svc()
        .engine
        .store()
        .jobs_of_case(case_id)
        .await
        .unwrap()
        .into_iter()
        .find(|j| matches!(&j.work, Work::Notify { template, .. } if template == "application_accepted"))
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("done", 1),
        "the wait for the morning spent no attempt: the one counted is the morning's"
    );
}

/// Runs `qyzmet audit <args> --data-dir <dir>` (and `--database` when `database` is not the
/// SQLite file there): (exit code, stdout, stderr).
pub(crate) fn audit_cli_on(
    args: &[&str],
    dir: &Path,
    database: Option<&qyzmet::store::Location>,
) -> (i32, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qyzmet"));
    command.arg("audit").args(args).arg("--data-dir").arg(dir);
    if let Some(qyzmet::store::Location::Postgres(url)) = database {
        command.arg("--database").arg(url);
    }
    let out = command.stdin(std::process::Stdio::null()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `qyzmet audit <args> --data-dir <dir>` on the SQLite file there.
pub(crate) fn audit_cli(args: &[&str], dir: &Path) -> (i32, String, String) {
    audit_cli_on(args, dir, None)
}

async fn post_json(service: &Service, token: &str, uri: &str, body: Value) -> StatusCode {
    service
        .router()
        .oneshot(
            Request::post(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_fresh_installation_has_one_administrator_and_every_clerk_action_is_journalled() {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;

    // The first start creates `admin` with a temporary password, shown once; later starts
    // create nothing (seeds/003 items 20, 24).
    let password = r.svc().first_administrator().await.unwrap();
    assert!(
        password.as_deref().is_some_and(|p| p.len() >= 12),
        "{password:?}"
    );
    assert_eq!(r.svc().first_administrator().await.unwrap(), None);

    let number = r
        .svc()
        .engine
        .submit(
            "rehabilitated-person-certificate",
            Submission {
                data: json!({ "applicant.iin": IIN, "applicant.email": EMAIL }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    let key = r.task(&number, "accept_documents").await;
    let operator1 = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let operator2 = r
        .token("operator2", &["front_office_operator"], "almaty")
        .await;
    let claim = format!("/tasks/{key}/claim");
    assert_eq!(
        post_json(r.svc(), &operator1, &claim, json!({})).await,
        StatusCode::NO_CONTENT
    );
    // Another clerk's task: refused, and the refusal is journalled (issue #19), not a claim.
    assert_eq!(
        post_json(r.svc(), &operator2, &claim, json!({})).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        post_json(
            r.svc(),
            &operator1,
            &format!("/tasks/{key}/complete"),
            json!({ "outcome": "complete", "form": acceptance_form() })
        )
        .await,
        StatusCode::NO_CONTENT
    );

    // The journal, read by the command an auditor runs while the service holds the database.
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 6, "{list}");
    assert!(
        lines[0].contains(" system account_created admin "),
        "{list}"
    );
    assert!(lines[1].contains(" account_created operator1 "), "{list}");
    assert!(lines[2].contains(" account_created operator2 "), "{list}");
    assert!(
        lines[3].contains(&format!(" operator1 task_claimed {key} ")),
        "{list}"
    );
    assert!(
        lines[4].contains(&format!(" operator2 access_denied {key} "))
            && lines[4].contains(r#""reason":"another_clerks_task""#),
        "{list}"
    );
    assert!(
        lines[5].contains(&format!(" operator1 task_completed {key} "))
            && lines[5].contains(r#""outcome":"complete""#),
        "{list}"
    );
    assert!(!list.contains(IIN), "no personal data in the journal");
    let (code, out, err) = audit_cli_on(&["verify"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit journal intact: 6 records"), "{out}");

    // Nobody signs in as `admin` for more than 30 calendar days: the sweep blocks it
    // (seeds/003 item 28), and says so in the journal.
    r.clock.advance(Duration::days(30) + Duration::seconds(1));
    let blocked = r.svc().block_unused_accounts().await.unwrap();
    assert!(blocked.contains(&"admin".to_string()), "{blocked:?}");
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains("account_blocked admin"), "{list}");
}

/// One request through the service's router: (status, Set-Cookie, JSON body).
pub(crate) async fn call(
    service: &Service,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = match body {
        Some(b) => request
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = service.router().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, cookie, body)
}

/// The cookie header a `Set-Cookie` value (the renewed session of a password change) says to
/// send from then on.
pub(crate) fn cookie_of(set_cookie: Option<String>) -> String {
    set_cookie
        .expect("a Set-Cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// Signs in; the cookie header to send and the CSRF token.
pub(crate) async fn sign_in(
    service: &Service,
    login: &str,
    password: &str,
) -> (String, String, Value) {
    let (status, cookie, body) = call(
        service,
        "POST",
        "/session",
        &[],
        Some(json!({ "login": login, "password": password })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = cookie.expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_string();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    (pair, csrf, body)
}

#[tokio::test]
async fn staff_sign_in_change_the_temporary_password_and_only_administrators_manage_accounts() {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 9, 0)).await;
    let s = r.svc();
    let temporary = s.first_administrator().await.unwrap().unwrap();

    // Nobody gets in anonymously.
    let (status, _, body) = call(s, "GET", "/accounts", &[], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    // The temporary password opens a session that may only change it (seeds/003 item 24).
    let (cookie, csrf, me) = sign_in(s, "admin", &temporary).await;
    assert_eq!(me["must_change_password"], true);
    let (status, _, body) = call(s, "GET", "/accounts", &[("cookie", &cookie)], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    // A change without the session's CSRF token is refused: another site cannot post it.
    let change = json!({ "current": temporary, "new": "Qyzmet-2026-admin" });
    let (status, _, _) = call(
        s,
        "POST",
        "/session/password",
        &[("cookie", &cookie)],
        Some(change.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let weak = json!({ "current": temporary, "new": "short1" });
    let (status, _, body) = call(
        s,
        "POST",
        "/session/password",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(weak),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "new", "{body}");
    let (status, renewed, _) = call(
        s,
        "POST",
        "/session/password",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(change),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = cookie_of(renewed);

    // The administrator grants an access request: a clerk of Almaty, with a temporary password.
    let (status, _, created) = call(
        s,
        "POST",
        "/accounts",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({
            "login": "a.seitova", "full_name": "Сейітова Әйгерім", "email": "a.seitova@gov4c.kz",
            "roles": ["front_office_operator"], "region": "almaty"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let clerk_temporary = created["temporary_password"].as_str().unwrap().to_string();
    let (status, _, _) = call(
        s,
        "POST",
        "/accounts",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({
            "login": "A.Seitova", "full_name": "x", "email": "x@gov4c.kz",
            "roles": ["front_office_operator"], "region": "almaty"
        })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a login is one person's (seeds/003 item 26)"
    );

    // The clerk signs in, changes the password, and may not manage accounts.
    let (clerk, clerk_csrf, _) = sign_in(s, "a.seitova", &clerk_temporary).await;
    let (status, renewed, _) = call(
        s,
        "POST",
        "/session/password",
        &[("cookie", &clerk), ("x-csrf-token", &clerk_csrf)],
        Some(json!({ "current": clerk_temporary, "new": "Almaty-front-2026" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let clerk = cookie_of(renewed);
    let (status, _, body) = call(s, "GET", "/accounts", &[("cookie", &clerk)], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    // Wrong passwords: the fifth locks the address out for 15 minutes. The answer is the one
    // every refused sign-in gets; the journal says it was the lock.
    for _ in 0..5 {
        let (status, _, _) = call(
            s,
            "POST",
            "/session",
            &[],
            Some(json!({ "login": "a.seitova", "password": "wrong-password-1" })),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, body) = call(
        s,
        "POST",
        "/session",
        &[],
        Some(json!({ "login": "a.seitova", "password": "Almaty-front-2026" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], qyzmet::api::SIGN_IN_REFUSED, "{body}");
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(
        list.lines()
            .rfind(|l| l.contains("sign_in_failed a.seitova"))
            .is_some_and(|l| l.contains(r#""reason":"locked""#)),
        "{list}"
    );

    // A system gets a token, and acts as its account without a cookie or a CSRF token.
    let (status, _, issued) = call(
        s,
        "POST",
        "/accounts/a.seitova/tokens",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({ "name": "front-office-kiosk" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let bearer = format!("Bearer {}", issued["token"].as_str().unwrap());
    let (status, _, me) = call(s, "GET", "/session", &[("authorization", &bearer)], None).await;
    assert_eq!(
        (status, me["login"].as_str()),
        (StatusCode::OK, Some("a.seitova"))
    );

    // Every step is in the journal, without the names or e-mails, and the chain holds.
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    for needed in [
        "token_issued a.seitova",
        "account_created admin",
        "sign_in admin",
        "password_changed admin",
        "account_created a.seitova",
        "sign_in_failed a.seitova",
    ] {
        assert!(
            list.contains(needed),
            "the journal lacks {needed:?}:\n{list}"
        );
    }
    assert!(
        !list.contains("Сейітова") && !list.contains("gov4c.kz"),
        "{list}"
    );

    // A system that works with its token every day is in use (seeds/003 item 28): 29 days
    // on it calls again, and two days after that the sweep blocks the administrator, who has
    // not signed in for 31 days, but not the system.
    r.clock.advance(Duration::days(29));
    let (status, _, _) = call(s, "GET", "/session", &[("authorization", &bearer)], None).await;
    assert_eq!(status, StatusCode::OK);
    r.clock.advance(Duration::days(2));
    let blocked = s.block_unused_accounts().await.unwrap();
    assert_eq!(blocked, ["admin"], "{blocked:?}");
    let (code, _, err) = audit_cli_on(&["verify"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
}
