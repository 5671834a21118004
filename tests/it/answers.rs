//! GBD FL on the gateway's asynchronous channel, as `config/connectors.yaml` suggests (issue
//! #19: "switching a connector to the asynchronous SOAP channel turns every case into an
//! incident"). The whole `Service` runs against the simulator with a manual clock; the
//! simulator answers by posting to the engine's `POST /gateway/answers` on a loopback port,
//! with the token of the gateway's account, as the gateway does.
//!
//! What a clerk, support and the gateway see: the answer lands in the case as a synchronous
//! one does, one request sent; an answer that never comes is asked for again after its
//! deadline, then the documents path with one support e-mail; an `ERROR` answer takes that
//! path at once; a repeated answer is refused and changes nothing.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::{Clock, ManualClock};
use qyzmet::gateway::sim::{Callback, Sim};
use qyzmet::runtime::{Language, Submission, Work};
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::store::{JobRow, JobStatus};

use crate::notify::{Inbox, free_port, mail_server};
use crate::service::{IIN, acceptance_form, aggregator, almaty, config_file, mail_to};

/// A valid IIN GBD FL does not know: it answers `ERROR`.
const UNKNOWN: &str = "850315301813";
const SUPPORT: &str = "e-maket@enbek.kz";

/// The gateway's account (`gateway_system`, the whole republic) and its API token, made in
/// the database before the service first starts, as `qyzmet accounts add … --token` does:
/// the service refuses to start with an asynchronous connector and no such account.
pub(crate) async fn gateway_account(data: &Path, login: &str) -> String {
    std::fs::create_dir_all(data).unwrap();
    let store = qyzmet::store::Store::open(&data.join("qyzmet.db"))
        .await
        .unwrap();
    let mut conn = store.writer().await.unwrap();
    let now = almaty(2026, 11, 20, 9, 0);
    let (account, _) = qyzmet::accounts::register(
        &mut conn,
        &qyzmet::accounts::NewAccount {
            login: login.into(),
            full_name: "ШЭП".into(),
            email: format!("{login}@example.kz"),
            roles: vec![qyzmet::accounts::Role::GatewaySystem],
            region: "kz".into(),
            created_by: "system".into(),
        },
        &qyzmet::accounts::TemporaryPassword::new().await.unwrap(),
        Some("cli"),
        now,
    )
    .await
    .unwrap();
    let (token, _) = qyzmet::store::accounts::create_api_token(&mut conn, account.id, login, now)
        .await
        .unwrap();
    token
}

/// The files of an installation with GBD FL switched to the asynchronous channel: its
/// configuration (SMTP and SMS on loopback) and its data directory.
pub(crate) fn asynchronous_installation(dir: &Path, smtp_port: u16, sms_base: &str) -> FileConfig {
    let connectors = dir.join("connectors.yaml");
    let shipped = std::fs::read_to_string("config/connectors.yaml").unwrap();
    std::fs::write(&connectors, crate::gateway::asynchronous(shipped)).unwrap();
    let config = config_file(dir, smtp_port, sms_base);
    let text = std::fs::read_to_string(&config).unwrap();
    let plain = "gateway:\n  simulator: true\n";
    assert!(text.contains(plain));
    std::fs::write(
        &config,
        text.replace(
            plain,
            &format!(
                "gateway:\n  connectors: {}\n  simulator: true\n",
                connectors.display()
            ),
        ),
    )
    .unwrap();
    FileConfig::load(&config).unwrap()
}

pub(crate) fn options(dir: &Path, config: FileConfig, clock: Arc<ManualClock>) -> Options {
    Options {
        database: None,
        data_dir: dir.join("data"),
        workflows: "workflows".into(),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config,
        clock,
        env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
    }
}

struct Async {
    service: Service,
    clock: Arc<ManualClock>,
    sim: Arc<Sim>,
    inbox: Inbox,
    /// The gateway's token.
    token: String,
    _dir: tempfile::TempDir,
}

/// The service with GBD FL on the asynchronous channel. With `callback`, the simulator posts
/// each answer to the engine's answers endpoint, served on a loopback port; without, it keeps
/// them (an answer that never comes, unless the test posts it).
async fn start(callback: bool) -> Async {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let dir = tempfile::tempdir().unwrap();
    let config = asynchronous_installation(dir.path(), smtp_port, &sms_base);
    let token = gateway_account(&dir.path().join("data"), "shep").await;
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let service = Service::start(options(dir.path(), config, clock.clone()))
        .await
        .expect("the service starts");
    let (_, sim) = service.simulator.clone().unwrap();
    if callback {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/gateway/answers", listener.local_addr().unwrap());
        let app = service.router();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        sim.set_callback(Some(Callback {
            url,
            token: Some(token.clone()),
        }));
    }
    Async {
        service,
        clock,
        sim,
        inbox,
        token,
        _dir: dir,
    }
}

impl Async {
    async fn drain(&self) {
        self.service.engine.drain().await.unwrap();
    }

    /// Applies for the certificate as `iin` and has the documents accepted: the request to
    /// GBD FL is sent. Returns the case's number.
    async fn accepted(&self, iin: &str) -> String {
        let engine = &self.service.engine;
        let number = engine
            .submit(
                "rehabilitated-person-certificate",
                Submission {
                    data: json!({ "applicant.iin": iin, "applicant.email": "a@example.kz" }),
                    channel: "state_corporation".into(),
                    language: Language::Ru,
                    sms_consent: false,
                    region: "almaty".into(),
                },
            )
            .await
            .unwrap();
        self.drain().await;
        let key = self.task(&number, "accept_documents").await.unwrap();
        let mut form = acceptance_form();
        form["applicant.iin"] = json!(iin);
        engine
            .complete(&key, "complete", form, "operator1")
            .await
            .unwrap();
        self.drain().await;
        number
    }

    async fn task(&self, number: &str, step: &str) -> Option<String> {
        self.service
            .engine
            .store()
            .tasks(None, None, Some(number))
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.step == step)
            .map(|t| t.key)
    }

    /// The job of the case's request to GBD FL.
    async fn gbd_job(&self, number: &str) -> JobRow {
        let engine = &self.service.engine;
        let id = engine.case(number).await.unwrap().unwrap().case.id;
        engine
            .store()
            .jobs_of_case(id)
            .await
            .unwrap()
            .into_iter()
            .find(|j| matches!(&j.work, Work::Request { connector, .. } if connector == "gbd_fl.person"))
            .expect("the request to GBD FL")
    }

    /// The `messageId` of every request GBD FL received.
    fn gbd_requests(&self) -> Vec<String> {
        self.sim
            .received()
            .into_iter()
            .filter(|r| r.connector == "gbd_fl.person")
            .map(|r| r.message_id.unwrap_or_default())
            .collect()
    }

    /// The kinds and details of the case's history lines.
    async fn history(&self, number: &str) -> Vec<(String, Value)> {
        let view = self.service.engine.case(number).await.unwrap().unwrap();
        view.history
            .into_iter()
            .map(|h| (h.kind, h.detail))
            .collect()
    }

    /// Posts `answer` to the answers endpoint as the gateway; the status.
    async fn post_answer(&self, answer: &str) -> StatusCode {
        self.service
            .router()
            .oneshot(
                Request::post("/gateway/answers")
                    .header("authorization", format!("Bearer {}", self.token))
                    .header("content-type", "text/xml")
                    .body(Body::from(answer.to_string()))
                    .unwrap(),
            )
            .await
            .unwrap()
            .status()
    }

    /// Waits for the simulator's `n`-th posted answer to settle (a loopback round trip, not a
    /// guess at its length); what the engine said to each.
    async fn called_back(&self, n: usize) -> Vec<Result<u16, String>> {
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            self.sim.callbacks_settled(n),
        )
        .await
        .expect("the simulator's answer reaches the engine")
    }

    fn support_mail(&self) -> Vec<(String, String, String)> {
        mail_to(&self.inbox, SUPPORT)
    }
}

fn kinds(history: &[(String, Value)]) -> Vec<&str> {
    history.iter().map(|(k, _)| k.as_str()).collect()
}

#[tokio::test]
async fn the_answer_on_the_asynchronous_channel_lands_in_the_case_as_a_synchronous_one_does() {
    let a = start(true).await;
    let number = a.accepted(IIN).await;
    assert_eq!(a.called_back(1).await, [Ok(202)], "the answer is accepted");
    a.drain().await;

    // The case is at the review, with the person's data from GBD FL.
    assert!(a.task(&number, "review").await.is_some(), "the review");
    let case = a.service.engine.case(&number).await.unwrap().unwrap().case;
    assert_eq!(
        case.scope("")["applicant"]["full_name"],
        "Абенова Айгүл Серікқызы",
        "the answer of GBD FL is in the case"
    );
    // One request; its job done with the answer, not the acknowledgement; nothing failed.
    let job = a.gbd_job(&number).await;
    assert_eq!(
        a.gbd_requests(),
        vec![job.key.clone()],
        "exactly one request"
    );
    assert_eq!(job.status, JobStatus::Done);
    assert!(
        a.service.engine.incidents().await.unwrap().is_empty(),
        "no incident"
    );
    let history = a.history(&number).await;
    assert!(kinds(&history).contains(&"data_received"), "{history:#?}");
    assert!(!kinds(&history).contains(&"request_failed"), "{history:#?}");
    assert!(a.support_mail().is_empty(), "nothing for support");
    let journal =
        qyzmet::store::audit::page(&mut a.service.engine.store().read().await.unwrap(), 0, 1000)
            .await
            .unwrap();
    assert!(
        journal.iter().any(|r| {
            let r = r.as_ref().unwrap();
            r.actor == "shep"
                && r.action.as_str() == "answer_delivered"
                && r.object.as_deref() == Some(number.as_str())
        }),
        "the gateway's answer is journalled with the case"
    );
}

#[tokio::test]
async fn an_answer_that_never_comes_is_asked_for_again_then_support_is_told_once() {
    let a = start(false).await;
    let number = a.accepted(IIN).await;
    let sent_at = a.clock.now();
    let job = a.gbd_job(&number).await;
    assert_eq!(job.status, JobStatus::AwaitingAnswer);
    let history = a.history(&number).await;
    let acknowledged: Vec<&Value> = history
        .iter()
        .filter(|(k, _)| k == "request_acknowledged")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        acknowledged,
        [
            &json!({ "connector": "gbd_fl.person", "job": job.key, "answer_by": sent_at + Duration::hours(1) })
        ],
        "the clerk sees what the step waits for, and until when"
    );

    // Within the hour nothing is sent again.
    a.clock.advance(Duration::minutes(59));
    a.drain().await;
    assert_eq!(a.gbd_requests().len(), 1);

    // Each hour without an answer, the request again, under its own message id: the step's
    // budget of five sends, then the documents path.
    let mut sends = vec![a.gbd_requests().len()];
    while a
        .task(&number, "take_documents_from_citizen")
        .await
        .is_none()
    {
        assert!(sends.len() < 10, "the documents path never came");
        a.clock.advance(Duration::minutes(61));
        a.drain().await;
        sends.push(a.gbd_requests().len());
    }
    assert_eq!(
        sends,
        [1, 2, 3, 4, 5, 5],
        "one more send per hour, five in all"
    );
    assert!(
        a.gbd_requests().iter().all(|id| *id == job.key),
        "the gateway's messageId is the job's key, every time: {:?}",
        a.gbd_requests()
    );
    let history = a.history(&number).await;
    let overdue = kinds(&history)
        .iter()
        .filter(|k| **k == "answer_overdue")
        .count();
    assert_eq!(overdue, 4, "{history:#?}");
    let failed: Vec<&Value> = history
        .iter()
        .filter(|(k, _)| k == "request_failed")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0]["error"],
        "gbd_fl.person: no answer came on the asynchronous channel within 1 h of the gateway's acknowledgement (attempt 5 of 5)"
    );
    assert_eq!(a.gbd_job(&number).await.status, JobStatus::Failed);

    let support = a.support_mail();
    assert_eq!(support.len(), 1, "one e-mail to support: {support:#?}");
    assert!(support[0].0.contains(&number), "{}", support[0].0);
    assert!(support[0].1.contains("no answer came"), "{}", support[0].1);

    // An answer that comes after all is refused: the case went on without it.
    let late = a.sim.take_answers();
    assert_eq!(late.len(), 5, "one answer kept per send");
    let before = a.service.engine.case(&number).await.unwrap().unwrap();
    assert_eq!(a.post_answer(&late[0]).await, StatusCode::CONFLICT);
    let after = a.service.engine.case(&number).await.unwrap().unwrap();
    assert_eq!(after.case.seq, before.case.seq);
    assert_eq!(after.history.len(), before.history.len());
}

#[tokio::test]
async fn an_error_answer_takes_the_failure_path_at_once_with_one_email_to_support() {
    let a = start(true).await;
    let number = a.accepted(UNKNOWN).await;
    assert_eq!(a.called_back(1).await, [Ok(202)]);
    a.drain().await;
    assert!(
        a.task(&number, "take_documents_from_citizen")
            .await
            .is_some(),
        "the citizen brings the documents instead"
    );
    assert_eq!(a.gbd_requests().len(), 1, "an error is not asked again");
    let history = a.history(&number).await;
    // (The provider's register does not know this person either: its own failure, apart.)
    let failed: Vec<&Value> = history
        .iter()
        .filter(|(k, d)| k == "request_failed" && d["connector"] == "gbd_fl.person")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        failed,
        [&json!({
            "connector": "gbd_fl.person",
            "error": "gbd_fl.person: the system answered with an error: ERR_NOT_FOUND no such person",
            "attempts": 1,
        })]
    );
    let about_gbd_fl: Vec<_> = a
        .support_mail()
        .into_iter()
        .filter(|(_, body, _)| body.contains("gbd_fl.person"))
        .collect();
    assert_eq!(about_gbd_fl.len(), 1, "{about_gbd_fl:#?}");
    assert!(a.service.engine.incidents().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_repeated_answer_is_refused_and_the_case_is_unchanged() {
    let a = start(false).await;
    let number = a.accepted(IIN).await;
    let answer = a.sim.take_answers().pop().expect("the simulator's answer");

    // The gateway delivers the answer: the case goes to the review.
    assert_eq!(a.post_answer(&answer).await, StatusCode::ACCEPTED);
    a.drain().await;
    assert!(a.task(&number, "review").await.is_some());
    let before = a.service.engine.case(&number).await.unwrap().unwrap();
    let journal = |a: &Async| {
        let store = a.service.engine.store().clone();
        async move {
            qyzmet::store::audit::page(&mut store.read().await.unwrap(), 0, 1000)
                .await
                .unwrap()
                .len()
        }
    };
    let journalled = journal(&a).await;

    // It delivers it again (a retry of its own): refused, and nothing moves.
    assert_eq!(a.post_answer(&answer).await, StatusCode::CONFLICT);
    a.drain().await;
    let after = a.service.engine.case(&number).await.unwrap().unwrap();
    assert_eq!(after.case.seq, before.case.seq, "no transition");
    assert_eq!(after.history.len(), before.history.len());
    assert_eq!(
        serde_json::to_value(&after.case).unwrap(),
        serde_json::to_value(&before.case).unwrap()
    );
    assert_eq!(after.tasks, before.tasks);
    assert_eq!(journal(&a).await, journalled, "no second answer_delivered");
    assert_eq!(a.gbd_job(&number).await.status, JobStatus::Done);

    // An answer to a request that is not ours is no answer to anything.
    let stranger = answer.replace(&a.gbd_job(&number).await.key, "job:999:1:1");
    assert_eq!(a.post_answer(&stranger).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_asynchronous_connector_with_no_gateway_account_to_answer_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = asynchronous_installation(dir.path(), free_port(), "http://127.0.0.1:9");
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let refused = Service::start(options(dir.path(), config, clock))
        .await
        .err()
        .expect("refused");
    let text = refused.to_string();
    assert!(
        text.contains("connectors.yaml:54:15: `gbd_fl.person` answers on the asynchronous channel, and no account with the role `gateway_system` holds an API token"),
        "{text}"
    );
    assert!(text.contains("--role gateway_system"), "{text}");
}
