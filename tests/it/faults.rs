//! Faults, each a test (issue #19 item 4): the mail server refusing connections, the SMS
//! provider answering 5xx and 4xx, the gateway too slow and refusing connections, the
//! monitoring receiver down, the database locked by another program and unable to grow.
//!
//! Each starts the whole `Service` (`service.rs`) against loopback servers and the simulator,
//! and checks what a citizen, support and an administrator see:
//!
//! - while the fault lasts the work waits: no step is skipped, no effect happens twice, and
//!   the job is retried with exponential backoff on the injected clock
//!   ([`retried_with_backoff`]);
//! - when the retry budget is spent first, the administrator sees an incident (`GET
//!   /incidents` and the page `/admin/incidents`, [`incidents`]) and a metric on `GET
//!   /metrics` ([`scrape`]); a data request is the exception by design: it takes its step's
//!   failure path and support gets one e-mail;
//! - when the fault ends, or the administrator retries the incident, the work resumes and
//!   each effect happens once: one e-mail per message id at the SMTP receiver, one SMS per
//!   client id at the aggregator, one stage report per case and sequence at the monitoring
//!   receiver.
//!
//! Nothing sleeps: the service's clock is a `ManualClock`, moved and drained. Only what cannot
//! be injected runs in real time, and is kept short: a connector's timeout (250 ms here), the
//! stage feed's wait for an earlier report's acknowledgement (200 ms here), SQLite's wait for
//! a lock (2.5 s here).

use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use sqlx::{ConnectOptions, Row};

use qyzmet::clock::Clock;
use qyzmet::gateway::ledger::order_of;
use qyzmet::gateway::sim::{Fault, Sim};
use qyzmet::notify::sent::file_key;
use qyzmet::runtime::{Language, Submission, Work};
use qyzmet::store::JobRow;
use qyzmet::store::JobStatus;
use qyzmet::worker::jobs::ATTEMPTS;

use crate::notify::{Inbox, Refusing, mail_server};
use crate::service::{
    EMAIL, IIN, PHONE, Running, Tweaks, acceptance_form, almaty, audit_cli, call, mail_to, running,
    running_with, stages_of,
};

/// A second person the simulator knows (Ермекова Алия).
const OTHER_IIN: &str = "550404400195";
/// The support address of the rehabilitated-person service (its `support_email`).
const SUPPORT: &str = "e-maket@enbek.kz";
/// The notices' first pause between attempts, and the data requests' (the step's `retry`).
const FIRST_DELAY: i64 = 30;

// ── The loopback SMS aggregator ─────────────────────────────────────────────────────────────

/// An SMS aggregator on loopback whose answer the test sets: 200 with a message id (it
/// accepted the SMS), or an error status. It keeps every request it got and the ones it
/// accepted, by the client id the notifier sends (`{job key}.sms`).
#[derive(Clone, Default)]
struct Provider {
    state: Arc<Mutex<ProviderState>>,
}

#[derive(Default)]
struct ProviderState {
    /// `None`: accept; else answer this status.
    refuse: Option<StatusCode>,
    /// The client id of every request, in arrival order.
    tried: Vec<String>,
    /// The client id of every SMS accepted.
    accepted: Vec<String>,
}

async fn provider_send(State(p): State<Provider>, Json(body): Json<Value>) -> Response {
    let mut s = p.state.lock().unwrap();
    let id = body["client_id"].as_str().unwrap_or_default().to_string();
    s.tried.push(id.clone());
    if let Some(status) = s.refuse {
        return (status, Json(json!({ "code": 1, "message": "refused" }))).into_response();
    }
    s.accepted.push(id);
    let n = s.accepted.len();
    Json(json!({ "code": 0, "data": { "messageId": format!("m{n}") } })).into_response()
}

impl Provider {
    /// Serves on `127.0.0.1:0`; returns the base URL (`service.rs` configures `{base}/send`).
    async fn start() -> (Provider, String) {
        let p = Provider::default();
        let app = Router::new()
            .route("/send", post(provider_send))
            .with_state(p.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (p, base)
    }

    /// From now on, answer `status` (`OK`: accept).
    fn answer(&self, status: StatusCode) {
        self.state.lock().unwrap().refuse = (status != StatusCode::OK).then_some(status);
    }

    /// Requests for the SMS of job `key`.
    fn tried(&self, key: &str) -> usize {
        let id = format!("{key}.sms");
        self.state
            .lock()
            .unwrap()
            .tried
            .iter()
            .filter(|t| **t == id)
            .count()
    }

    /// SMS of job `key` accepted.
    fn accepted(&self, key: &str) -> usize {
        let id = format!("{key}.sms");
        let s = self.state.lock().unwrap();
        s.accepted.iter().filter(|t| **t == id).count()
    }
}

/// E-mails to `to` the SMTP receiver got for job `key`: the notifier's `Message-ID` is
/// derived from the key, so a repeat would show here.
fn mails(inbox: &Inbox, to: &str, key: &str) -> usize {
    let id = format!("{}@qyzmet.test", file_key(&format!("{key}.email"), ""));
    mail_to(inbox, to)
        .iter()
        .filter(|(_, _, m)| *m == id)
        .count()
}

// ── Cases and their jobs ────────────────────────────────────────────────────────────────────

/// Opens a case for the person `iin` with the citizen's phone and e-mail, and accepts its
/// documents (the data requests, the receipt, the acceptance notice and the stage reports
/// follow); its registration number.
async fn open_case(r: &Running, iin: &str, sms_consent: bool) -> String {
    let number = r
        .svc()
        .engine
        .submit(
            "rehabilitated-person-certificate",
            Submission {
                data: json!({ "applicant.iin": iin, "applicant.phone": PHONE, "applicant.email": EMAIL }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    let mut form = acceptance_form();
    form["applicant.iin"] = json!(iin);
    r.complete(&number, "accept_documents", "complete", form, "operator1")
        .await;
    number
}

async fn jobs_of(r: &Running, number: &str) -> Vec<JobRow> {
    let id = r.svc().engine.case(number).await.unwrap().unwrap().case.id;
    r.svc().engine.store().jobs_of_case(id).await.unwrap()
}

/// A job by its key, as stored now.
async fn job(r: &Running, key: &str) -> JobRow {
    let (case, _, _) = order_of(key).expect("a job key");
    r.svc()
        .engine
        .store()
        .jobs_of_case(case)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.key == key)
        .unwrap_or_else(|| panic!("no job {key}"))
}

/// The case's notice to the citizen from `template`.
async fn notice(r: &Running, number: &str, template: &str) -> JobRow {
    jobs_of(r, number)
        .await
        .into_iter()
        .find(|j| matches!(&j.work, Work::Notify { to, template: t, .. } if to == "citizen" && t == template))
        .unwrap_or_else(|| panic!("{number} has no notice {template}"))
}

/// The case's data request to `connector`.
async fn request(r: &Running, number: &str, connector: &str) -> JobRow {
    jobs_of(r, number)
        .await
        .into_iter()
        .find(|j| matches!(&j.work, Work::Request { connector: c, .. } if c == connector))
        .unwrap_or_else(|| panic!("{number} has no request to {connector}"))
}

/// The case's stage reports in the case's order.
async fn stage_reports(r: &Running, number: &str) -> Vec<JobRow> {
    let mut reports: Vec<JobRow> = jobs_of(r, number)
        .await
        .into_iter()
        .filter(|j| matches!(j.work, Work::Stage { .. }))
        .collect();
    reports.sort_by_key(|j| order_of(&j.key));
    reports
}

/// The steps whose tasks are open on the case.
async fn open_steps(r: &Running, number: &str) -> Vec<String> {
    r.svc()
        .engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.step)
        .collect()
}

/// The case's history lines of `kind` about `template` (a notice's sending, deferral,
/// failure).
async fn notes_of(r: &Running, number: &str, kind: &str, template: &str) -> usize {
    r.notes(number, kind)
        .await
        .iter()
        .filter(|d| d["template"] == template)
        .count()
}

/// `(sequence, stage)` in the order the monitoring receiver should keep them.
fn numbered(stages: &[&str]) -> Vec<(u64, String)> {
    (1..).zip(stages).map(|(n, s)| (n, s.to_string())).collect()
}

// ── Time ────────────────────────────────────────────────────────────────────────────────────

/// Sets the clock to `at` and runs what falls due.
async fn at(r: &Running, at: DateTime<Utc>) {
    r.clock.set(at);
    r.drain().await;
}

/// Walks a failing job through its retries on the injected clock, until it has made `until`
/// attempts or left `pending` (an incident, a request's failure path, done); returns it as it
/// is then. The job's last attempt must have been made at the clock's current time. After its
/// attempt n it is not tried again a second before `FIRST_DELAY · 2ⁿ⁻¹` seconds, and has been
/// tried once that and its jitter (a fifth at most) have passed.
async fn retried_with_backoff(r: &Running, key: &str, until: u32) -> JobRow {
    let mut j = job(r, key).await;
    while j.status == JobStatus::Pending && j.attempts < until {
        let n = j.attempts;
        assert!(n >= 1, "{key} was not tried yet");
        let wait = (FIRST_DELAY << (n - 1).min(20)).min(3600);
        let last = r.clock.now();
        at(r, last + Duration::seconds(wait - 1)).await;
        let early = job(r, key).await;
        assert_eq!(
            (early.status.as_str(), early.attempts),
            ("pending", n),
            "{key} was tried again before its backoff of {wait} s"
        );
        at(r, last + Duration::seconds(wait + wait / 5 + 1)).await;
        j = job(r, key).await;
        assert_eq!(
            j.attempts,
            n + 1,
            "{key} was not tried again once its backoff of {wait} s ran out: {j:?}"
        );
    }
    j
}

// ── What the administrator sees ─────────────────────────────────────────────────────────────

/// The `Authorization` header of an administrator's API token.
async fn administrator(r: &Running) -> String {
    format!("Bearer {}", r.token("ops", &["administrator"], "kz").await)
}

/// A GET through the service's router: the status and the body as text.
async fn get_text(r: &Running, auth: &str, uri: &str) -> (StatusCode, String) {
    use tower::ServiceExt;
    let response = r
        .svc()
        .router()
        .oneshot(
            axum::http::Request::get(uri)
                .header("authorization", auth)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// `GET /metrics` as the administrator reads it.
struct Scrape(String);

impl Scrape {
    /// The value of one series (`qyzmet_incidents_open`,
    /// `qyzmet_outbox_jobs{kind="notify",status="incident"}`); 0 when the scrape has none.
    fn value(&self, series: &str) -> f64 {
        self.0
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .map_or(0.0, |v| {
                v.split_whitespace().next().unwrap().parse().unwrap()
            })
    }

    /// Asserts each `(series, value)`.
    fn shows(&self, expected: &[(&str, f64)]) {
        for (series, value) in expected {
            assert_eq!(
                self.value(series),
                *value,
                "{series} on /metrics:\n{}",
                self.0
            );
        }
    }
}

async fn scrape(r: &Running, admin: &str) -> Scrape {
    let (status, text) = get_text(r, admin, "/metrics").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    Scrape(text)
}

/// The open incidents as the administrator sees them, `(key, attempts, last error)`: the
/// API's list, each also a row of the page `/admin/incidents` with its Retry button.
async fn incidents(r: &Running, admin: &str) -> Vec<(String, u64, String)> {
    let (status, _, list) = call(
        r.svc(),
        "GET",
        "/incidents",
        &[("authorization", admin)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let seen: Vec<(String, u64, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap().to_string(),
                i["attempts"].as_u64().unwrap(),
                i["last_error"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let (status, page) = get_text(r, admin, "/admin/incidents").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for (key, _, _) in &seen {
        assert!(
            page.contains(&format!(r#"data-key="{key}""#))
                && page.contains(&format!(r#"action="/admin/incidents/{key}/retry""#)),
            "the incidents page lacks {key}:\n{page}"
        );
    }
    assert_eq!(
        page.contains(r#"id="incidents-empty""#),
        seen.is_empty(),
        "{page}"
    );
    seen
}

/// The administrator's retry of an incident (`POST /incidents/{key}/retry`).
async fn retry(r: &Running, admin: &str, key: &str) -> StatusCode {
    let uri = format!("/incidents/{key}/retry");
    call(r.svc(), "POST", &uri, &[("authorization", admin)], None)
        .await
        .0
}

/// The in-process simulator of the state systems and the monitoring receiver.
fn simulator(r: &Running) -> Arc<Sim> {
    r.svc().simulator.clone().expect("the simulator runs").1
}

/// `config/connectors.yaml` as `edit` changes it.
fn connectors(edit: impl FnOnce(String) -> String) -> Tweaks {
    let text = std::fs::read_to_string("config/connectors.yaml").unwrap();
    Tweaks {
        connectors: Some(edit(text)),
        ..Tweaks::default()
    }
}

// ── 1. The mail server ──────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn with_the_mail_server_down_the_email_waits_becomes_an_incident_and_goes_once_when_back() {
    let (down, smtp_port) = Refusing::new(); // every connection is refused
    let (sms, sms_base) = Provider::start().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let admin = administrator(&r).await;

    // The acceptance notice: the SMS goes, the e-mail is refused at the door and waits. The
    // case does not wait for a notice: it is at its review, and no step was skipped.
    let first = open_case(&r, IIN, true).await;
    assert_eq!(open_steps(&r, &first).await, ["review"]);
    let accepted = notice(&r, &first, "application_accepted").await;
    assert_eq!(
        (accepted.status.as_str(), accepted.attempts),
        ("pending", 1)
    );
    assert!(
        accepted
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("email: SMTP")),
        "{accepted:?}"
    );

    // While the server is down the job is retried with backoff until its budget is spent;
    // the SMS is not sent again with each attempt.
    let accepted = retried_with_backoff(&r, &accepted.key, ATTEMPTS).await;
    assert_eq!(
        (accepted.status.as_str(), accepted.attempts),
        ("incident", ATTEMPTS)
    );
    assert_eq!(
        (sms.tried(&accepted.key), sms.accepted(&accepted.key)),
        (1, 1)
    );
    let template = "application_accepted";
    assert_eq!(notes_of(&r, &first, "notification_sent", template).await, 0);
    assert_eq!(
        notes_of(&r, &first, "notification_failed", template).await,
        1
    );

    // The administrator sees the incident, why, and the count on /metrics.
    let seen = incidents(&r, &admin).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].0.as_str(), seen[0].1),
        (accepted.key.as_str(), u64::from(ATTEMPTS))
    );
    assert!(seen[0].2.contains("SMTP"), "{seen:?}");
    scrape(&r, &admin).await.shows(&[
        ("qyzmet_incidents_open", 1.0),
        (
            r#"qyzmet_outbox_jobs{kind="notify",status="incident"}"#,
            1.0,
        ),
    ]);

    // Another case's notice fails while the server is still down; then it comes back. That
    // notice goes at its next attempt by itself; the incident waits for the administrator.
    let second = open_case(&r, OTHER_IIN, false).await;
    let other = notice(&r, &second, "application_accepted").await;
    assert_eq!((other.status.as_str(), other.attempts), ("pending", 1));
    let inbox = down.mail_server();
    let other = retried_with_backoff(&r, &other.key, 2).await;
    assert_eq!(other.status, JobStatus::Done);
    r.advance_to(r.clock.now() + Duration::hours(1)).await;
    assert_eq!(mails(&inbox, EMAIL, &accepted.key), 0);
    assert_eq!(job(&r, &accepted.key).await.status, JobStatus::Incident);

    // The administrator retries it: the e-mail goes, once; a second retry finds no incident.
    assert_eq!(
        retry(&r, &admin, &accepted.key).await,
        StatusCode::NO_CONTENT
    );
    r.drain().await;
    assert_eq!(
        retry(&r, &admin, &accepted.key).await,
        StatusCode::NOT_FOUND
    );
    r.advance_to(r.clock.now() + Duration::hours(1)).await;
    assert_eq!(mails(&inbox, EMAIL, &accepted.key), 1);
    assert_eq!(mails(&inbox, EMAIL, &other.key), 1);
    assert_eq!(
        mail_to(&inbox, EMAIL).len(),
        2,
        "nothing else went to the citizen"
    );
    assert_eq!(
        (sms.tried(&accepted.key), sms.accepted(&accepted.key)),
        (1, 1)
    );
    assert_eq!(job(&r, &accepted.key).await.status, JobStatus::Done);
    assert_eq!(notes_of(&r, &first, "notification_sent", template).await, 1);
    assert!(incidents(&r, &admin).await.is_empty());
    scrape(&r, &admin).await.shows(&[
        ("qyzmet_incidents_open", 0.0),
        (
            r#"qyzmet_outbox_jobs{kind="notify",status="incident"}"#,
            0.0,
        ),
    ]);
    let (code, journal, err) = audit_cli(&["list"], &r.data_dir());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains(&format!(" ops incident_retried {} ", accepted.key)))
            .count(),
        1,
        "the retry is journalled once, the refused one not at all:\n{journal}"
    );
}

// ── 2. The SMS provider ─────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn with_the_sms_provider_down_the_sms_waits_and_goes_once_and_a_refusal_is_an_incident() {
    let (smtp_port, inbox) = mail_server();
    let (sms, sms_base) = Provider::start().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let admin = administrator(&r).await;
    let template = "application_accepted";

    // The aggregator answers 503: the e-mail goes, the SMS waits.
    sms.answer(StatusCode::SERVICE_UNAVAILABLE);
    let first = open_case(&r, IIN, true).await;
    assert_eq!(open_steps(&r, &first).await, ["review"]);
    let accepted = notice(&r, &first, template).await;
    assert_eq!(
        (accepted.status.as_str(), accepted.attempts),
        ("pending", 1)
    );
    assert!(
        accepted
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("sms: the SMS provider answered 503")),
        "{accepted:?}"
    );
    let accepted = retried_with_backoff(&r, &accepted.key, 3).await;
    assert_eq!(
        (accepted.status.as_str(), accepted.attempts),
        ("pending", 3)
    );
    assert_eq!(
        (sms.tried(&accepted.key), sms.accepted(&accepted.key)),
        (3, 0)
    );
    assert_eq!(
        mails(&inbox, EMAIL, &accepted.key),
        1,
        "the e-mail went once, not with each attempt"
    );

    // It answers again: the next attempt sends the SMS, once, and not the e-mail again.
    sms.answer(StatusCode::OK);
    let accepted = retried_with_backoff(&r, &accepted.key, 4).await;
    assert_eq!((accepted.status.as_str(), accepted.attempts), ("done", 4));
    assert_eq!(
        (sms.tried(&accepted.key), sms.accepted(&accepted.key)),
        (4, 1)
    );
    assert_eq!(mails(&inbox, EMAIL, &accepted.key), 1);
    let sent = r.notes(&first, "notification_sent").await;
    let sent: Vec<&Value> = sent.iter().filter(|d| d["template"] == template).collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0]["channels"]["email"]["repeat"], true);
    assert_eq!(sent[0]["channels"]["sms"]["provider_id"], "m1");
    assert!(incidents(&r, &admin).await.is_empty());

    // It refuses (401: our key was revoked): another try will not help, so the notice is an
    // incident at once, and is not tried again by itself.
    sms.answer(StatusCode::UNAUTHORIZED);
    let second = open_case(&r, OTHER_IIN, true).await;
    let refused = notice(&r, &second, template).await;
    assert_eq!((refused.status.as_str(), refused.attempts), ("incident", 1));
    r.advance_to(r.clock.now() + Duration::hours(2)).await;
    assert_eq!(
        (sms.tried(&refused.key), sms.accepted(&refused.key)),
        (1, 0)
    );
    assert_eq!(mails(&inbox, EMAIL, &refused.key), 1, "its e-mail went");
    assert_eq!(
        notes_of(&r, &second, "notification_failed", template).await,
        1
    );
    let seen = incidents(&r, &admin).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].0.as_str(), seen[0].1), (refused.key.as_str(), 1));
    assert!(
        seen[0].2.contains("the SMS provider refused: 401"),
        "{seen:?}"
    );
    scrape(&r, &admin).await.shows(&[
        ("qyzmet_incidents_open", 1.0),
        (
            r#"qyzmet_outbox_jobs{kind="notify",status="incident"}"#,
            1.0,
        ),
    ]);

    // The key is renewed and the administrator retries: the SMS goes once, the e-mail not again.
    sms.answer(StatusCode::OK);
    assert_eq!(
        retry(&r, &admin, &refused.key).await,
        StatusCode::NO_CONTENT
    );
    r.advance_to(r.clock.now() + Duration::hours(1)).await;
    assert_eq!(job(&r, &refused.key).await.status, JobStatus::Done);
    assert_eq!(
        (sms.tried(&refused.key), sms.accepted(&refused.key)),
        (2, 1)
    );
    assert_eq!(mails(&inbox, EMAIL, &refused.key), 1);
    assert_eq!(
        notes_of(&r, &second, "notification_sent", template).await,
        1
    );
    assert!(incidents(&r, &admin).await.is_empty());
    scrape(&r, &admin)
        .await
        .shows(&[("qyzmet_incidents_open", 0.0)]);
}

// ── 3. The gateway ──────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_slow_gateway_is_retried_with_backoff_opens_the_breaker_and_the_cases_go_on_when_it_answers()
 {
    // GBD FL's connector gives up after 250 ms; three failures in a row open its breaker.
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = Provider::start().await;
    let tweaks = connectors(|t| {
        t.replace("timeout_ms: 3000", "timeout_ms: 250")
            .replace("failures: 5", "failures: 3")
    });
    let r = running_with(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0), tweaks).await;
    let admin = administrator(&r).await;
    let sim = simulator(&r);
    let sent = |key: &str| {
        sim.received()
            .iter()
            .filter(|x| x.connector == "gbd_fl.person" && x.idempotency_key.as_deref() == Some(key))
            .count()
    };

    // GBD FL answers after a second: too late.
    sim.set_fault(
        "gbd_fl.person",
        Fault {
            latency_ms: 1_000,
            ..Fault::default()
        },
    );
    let a = open_case(&r, IIN, false).await;
    let person = request(&r, &a, "gbd_fl.person").await;
    assert_eq!((person.status.as_str(), person.attempts), ("pending", 1));
    assert!(
        person
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no answer within 250 ms")),
        "{person:?}"
    );
    // The case waits at the join for the person's data: no receipt, no review yet.
    assert!(open_steps(&r, &a).await.is_empty());
    assert_eq!(
        stages_of(r.svc(), &a),
        numbered(&["submitted", "data_requested"])
    );

    // Retried with backoff; the third timeout opens the breaker, and /metrics shows it.
    let person = retried_with_backoff(&r, &person.key, 3).await;
    assert_eq!((person.status.as_str(), person.attempts), ("pending", 3));
    let opened = r.clock.now();
    assert_eq!(sent(&person.key), 3);
    scrape(&r, &admin).await.shows(&[
        (
            r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"}"#,
            1.0,
        ),
        (
            r#"qyzmet_gateway_failures_total{connector="gbd_fl.person",reason="timeout"}"#,
            3.0,
        ),
    ]);

    // While it is open, another case's request is not even sent: it fails fast, retryable.
    let b = open_case(&r, OTHER_IIN, false).await;
    let other = request(&r, &b, "gbd_fl.person").await;
    assert_eq!((other.status.as_str(), other.attempts), ("pending", 1));
    assert!(
        other
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("circuit is open")),
        "{other:?}"
    );
    assert_eq!(sent(&other.key), 0);
    scrape(&r, &admin).await.shows(&[(
        r#"qyzmet_gateway_requests_total{connector="gbd_fl.person",outcome="circuit_open"}"#,
        1.0,
    )]);

    // GBD FL answers in time again. The second case's next attempt is the breaker's probe: it
    // is answered and closes the breaker; the first case's fourth attempt comes at its own
    // backoff (120 s after its third) and is answered too.
    sim.clear_faults();
    let other = retried_with_backoff(&r, &other.key, 2).await;
    assert_eq!((other.status.as_str(), other.attempts), ("done", 2));
    assert_eq!(sent(&other.key), 1);
    at(&r, opened + Duration::seconds(119)).await;
    assert_eq!(job(&r, &person.key).await.attempts, 3);
    at(&r, opened + Duration::seconds(145)).await;
    let person = job(&r, &person.key).await;
    assert_eq!((person.status.as_str(), person.attempts), ("done", 4));
    assert_eq!(
        sent(&person.key),
        4,
        "every attempt sent with the job's key"
    );

    // Each case took the answer once and went on, in order; nobody had to be told.
    for number in [&a, &b] {
        assert_eq!(open_steps(&r, number).await, ["review"]);
        let history = r.history_kinds(number).await;
        let answers = history
            .iter()
            .filter(|(k, d)| k == "data_received" && d["connector"] == "gbd_fl.person")
            .count();
        assert_eq!(answers, 1, "{number}");
        assert!(!history.iter().any(|(k, _)| k == "request_failed"));
        assert_eq!(
            stages_of(r.svc(), number),
            numbered(&["submitted", "data_requested", "accepted", "under_review"])
        );
        let case = r.svc().engine.case(number).await.unwrap().unwrap().case;
        assert!(case.scope("")["applicant"]["full_name"].is_string());
    }
    assert_eq!(mail_to(&inbox, SUPPORT).len(), 0, "no support e-mail");
    assert!(incidents(&r, &admin).await.is_empty());
    scrape(&r, &admin).await.shows(&[
        (
            r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"}"#,
            0.0,
        ),
        (
            r#"qyzmet_gateway_requests_total{connector="gbd_fl.person",outcome="ok"}"#,
            2.0,
        ),
    ]);
}

#[tokio::test]
async fn a_gateway_refusing_connections_takes_the_failure_path_with_one_support_email() {
    // GBD FL's endpoint is a port nothing listens on: every connection is refused.
    let (_refusing, dead) = Refusing::new();
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = Provider::start().await;
    let tweaks = connectors(|t| {
        t.replace(
            "endpoint: /shep/sync",
            &format!("endpoint: http://127.0.0.1:{dead}/shep/sync"),
        )
        .replace("failures: 5", "failures: 3")
    });
    let r = running_with(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0), tweaks).await;
    let admin = administrator(&r).await;

    let a = open_case(&r, IIN, false).await;
    let person = request(&r, &a, "gbd_fl.person").await;
    assert_eq!((person.status.as_str(), person.attempts), ("pending", 1));
    assert!(
        person
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains(&format!("cannot connect to http://127.0.0.1:{dead}"))),
        "{person:?}"
    );
    assert!(open_steps(&r, &a).await.is_empty(), "the case waits");
    assert_eq!(mail_to(&inbox, SUPPORT).len(), 0, "nobody is told yet");

    // Retried with backoff until the step's budget (5) is spent; then the step's failure path:
    // the documents are taken from the citizen, and support gets one e-mail.
    let person = retried_with_backoff(&r, &person.key, 5).await;
    assert_eq!((person.status.as_str(), person.attempts), ("failed", 5));
    assert_eq!(open_steps(&r, &a).await, ["take_documents_from_citizen"]);
    let support = mail_to(&inbox, SUPPORT);
    assert_eq!(support.len(), 1, "{support:#?}");
    assert!(support[0].0.contains(&a), "{}", support[0].0);
    assert!(support[0].1.contains("gbd_fl.person"), "{}", support[0].1);
    let failed: Vec<Value> = r
        .history_kinds(&a)
        .await
        .into_iter()
        .filter(|(k, _)| k == "request_failed")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["attempts"], 5);
    assert_eq!(
        stages_of(r.svc(), &a),
        numbered(&["submitted", "data_requested", "data_from_documents"])
    );
    // The definition's failure path took it, so it is no incident; /metrics shows the refusals
    // and the breaker, open since the third.
    assert!(incidents(&r, &admin).await.is_empty());
    let failures = r#"qyzmet_gateway_failures_total{connector="gbd_fl.person",reason="connect"}"#;
    scrape(&r, &admin).await.shows(&[
        (failures, 5.0),
        (
            r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"}"#,
            1.0,
        ),
    ]);

    // A day on, nothing was sent or told again.
    r.advance_to(r.clock.now() + Duration::days(1)).await;
    assert_eq!(mail_to(&inbox, SUPPORT).len(), 1);
    scrape(&r, &admin).await.shows(&[(failures, 5.0)]);

    // The clerk enters the data from the documents; the case goes on to its review and the
    // citizen is told it was accepted, once.
    r.complete(
        &a,
        "take_documents_from_citizen",
        "entered",
        json!({
            "applicant.last_name": "Абенова",
            "applicant.first_name": "Айгүл",
            "applicant.middle_name": "Серікқызы",
            "applicant.birth_date": "1952-03-15",
            "applicant.address": "г. Алматы, ул. Жамбыла, 12, кв. 4",
            "documents.identity": "identity-card.pdf",
        }),
        "operator1",
    )
    .await;
    assert_eq!(open_steps(&r, &a).await, ["review"]);
    let accepted = notice(&r, &a, "application_accepted").await;
    assert_eq!(mails(&inbox, EMAIL, &accepted.key), 1);
    assert_eq!(mail_to(&inbox, SUPPORT).len(), 1);
}

// ── 4. The monitoring receiver ──────────────────────────────────────────────────────────────

#[tokio::test]
async fn with_monitoring_down_each_cases_stages_wait_in_order_and_are_delivered_once() {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = Provider::start().await;
    // A report held back by an earlier one gives up after 200 ms (and is retried later).
    let tweaks = connectors(|t| t.replace("order_wait_ms: 5000", "order_wait_ms: 200"));
    let r = running_with(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0), tweaks).await;
    let admin = administrator(&r).await;
    let sim = simulator(&r);
    let down = Fault {
        down: true,
        ..Fault::default()
    };
    let posted = |key: &str| {
        sim.received()
            .iter()
            .filter(|x| x.connector == "monitoring" && x.idempotency_key.as_deref() == Some(key))
            .count()
    };
    let stages = ["submitted", "data_requested", "accepted", "under_review"];

    // A short outage. The case goes on; its four reports wait, and only the first is ever
    // posted: the others wait for it to be acknowledged.
    sim.set_fault("monitoring", down.clone());
    let a = open_case(&r, IIN, false).await;
    assert_eq!(open_steps(&r, &a).await, ["review"]);
    let reports = stage_reports(&r, &a).await;
    assert_eq!(reports.len(), 4);
    let first = retried_with_backoff(&r, &reports[0].key, 2).await;
    assert!(
        first
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("answered HTTP 503")),
        "{first:?}"
    );
    assert_eq!(posted(&reports[0].key), 2);
    for later in &reports[1..] {
        let later = job(&r, &later.key).await;
        assert_eq!(later.status, JobStatus::Pending);
        assert!(
            later
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("is not acknowledged yet")),
            "{later:?}"
        );
        assert_eq!(posted(&later.key), 0, "posted before its earlier report");
    }
    assert!(stages_of(r.svc(), &a).is_empty());

    // It is back: every report goes, once, in the case's order. (Each hour at least the
    // earliest report not yet acknowledged goes, and a later one with it when the earlier is
    // acknowledged within the wait.)
    sim.clear_faults();
    r.advance_to(r.clock.now() + Duration::hours(4)).await;
    assert_eq!(stages_of(r.svc(), &a), numbered(&stages));
    for report in stage_reports(&r, &a).await {
        assert_eq!(report.status, JobStatus::Done);
    }

    // A long outage: a second case's reports spend their budgets, the first failing, the
    // others held back behind it. Each becomes an incident the administrator sees.
    sim.set_fault("monitoring", down);
    let b = open_case(&r, OTHER_IIN, false).await;
    let reports = stage_reports(&r, &b).await;
    let first = retried_with_backoff(&r, &reports[0].key, ATTEMPTS).await;
    assert_eq!(
        (first.status.as_str(), first.attempts),
        ("incident", ATTEMPTS)
    );
    r.advance_to(r.clock.now() + Duration::hours(2)).await;
    let seen = incidents(&r, &admin).await;
    let mut keys: Vec<&str> = seen.iter().map(|(k, _, _)| k.as_str()).collect();
    keys.sort_by_key(|k| order_of(k));
    let expected: Vec<&str> = reports.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, expected, "{seen:#?}");
    assert!(
        seen.iter()
            .all(|(_, attempts, _)| *attempts == u64::from(ATTEMPTS))
    );
    for later in &reports[1..] {
        assert_eq!(posted(&later.key), 0, "posted before its earlier report");
    }
    let m = scrape(&r, &admin).await;
    m.shows(&[
        ("qyzmet_incidents_open", 4.0),
        (r#"qyzmet_outbox_jobs{kind="stage",status="incident"}"#, 4.0),
    ]);
    assert!(m.value(r#"qyzmet_stage_feed_posts_total{outcome="waiting"}"#) > 0.0);
    // The posts that failed: the first case's first report twice, the second's eight times.
    assert_eq!(
        m.value(r#"qyzmet_stage_feed_posts_total{outcome="retryable"}"#),
        2.0 + f64::from(ATTEMPTS)
    );

    // It is back; the incidents wait for the administrator, who retries them latest first:
    // still none is posted before its earlier ones, and each is kept once.
    sim.clear_faults();
    r.advance_to(r.clock.now() + Duration::hours(1)).await;
    assert!(stages_of(r.svc(), &b).is_empty());
    for report in reports.iter().rev() {
        assert_eq!(retry(&r, &admin, &report.key).await, StatusCode::NO_CONTENT);
    }
    r.advance_to(r.clock.now() + Duration::hours(4)).await;
    for number in [&a, &b] {
        assert_eq!(stages_of(r.svc(), number), numbered(&stages), "{number}");
    }
    let monitor = sim.monitor();
    assert_eq!((monitor.out_of_order, monitor.repeats), (0, 0));
    assert!(incidents(&r, &admin).await.is_empty());
    scrape(&r, &admin).await.shows(&[
        ("qyzmet_incidents_open", 0.0),
        (r#"qyzmet_outbox_jobs{kind="stage",status="done"}"#, 8.0),
    ]);
}

// ── 5. The database ─────────────────────────────────────────────────────────────────────────

/// How long a command waits for the database's write lock in these tests.
const LOCK_WAIT_MS: u64 = 2_500;

/// Another program's write lock on the database: `begin immediate` on a connection of its
/// own, as a backup tool or the `sqlite3` shell would hold it (the engine's
/// `<database>.lock` file only keeps a second qyzmet out).
struct Lock(sqlx::SqliteConnection);

impl Lock {
    async fn hold(r: &Running) -> Lock {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(r.data_dir().join("qyzmet.db"))
            .connect()
            .await
            .unwrap();
        sqlx::query("begin immediate")
            .execute(&mut conn)
            .await
            .unwrap();
        Lock(conn)
    }

    /// The number of cases, read inside the lock holder's transaction.
    async fn cases(&mut self) -> i64 {
        sqlx::query("select count(*) from cases")
            .fetch_one(&mut self.0)
            .await
            .unwrap()
            .get(0)
    }

    async fn release(mut self) {
        sqlx::query("rollback").execute(&mut self.0).await.unwrap();
    }
}

/// `POST /cases` of Ермекова's application with an Idempotency-Key: the status and the body.
async fn file(r: &Running, operator: &str, key: &str) -> (StatusCode, Value) {
    let (status, _, body) = call(
        r.svc(),
        "POST",
        "/cases",
        &[("authorization", operator), ("idempotency-key", key)],
        Some(json!({
            "service": "rehabilitated-person-certificate",
            "data": { "applicant.iin": OTHER_IIN, "applicant.email": EMAIL },
            "region": "almaty",
            "language": "ru",
        })),
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn with_the_database_locked_a_command_waits_and_past_the_wait_is_answered_503_and_lost_never()
{
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = Provider::start().await;
    let tweaks = Tweaks {
        lock_wait_ms: Some(LOCK_WAIT_MS),
        ..Tweaks::default()
    };
    let r = running_with(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0), tweaks).await;
    let admin = administrator(&r).await;
    let operator = format!(
        "Bearer {}",
        r.token("operator1", &["front_office_operator"], "almaty")
            .await
    );
    // Each token's first use is written (then at most hourly): before the lock, so that what
    // follows measures the commands alone.
    let (status, opened) = file(&r, &operator, "application-1").await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let a = opened["number"].as_str().unwrap().to_string();
    scrape(&r, &admin).await.shows(&[
        (r#"qyzmet_database_unavailable_total{reason="locked"}"#, 0.0),
        (r#"qyzmet_database_unavailable_total{reason="full"}"#, 0.0),
    ]);
    r.drain().await;
    let task = r.task(&a, "accept_documents").await;

    // Another program takes the write lock. An application waits for it — it is not refused
    // at once, as a transaction that reads before it writes would be — and is opened once the
    // lock is released within the wait.
    let lock = Lock::hold(&r).await;
    let filing = {
        let r_service = r.svc().clone();
        let operator = operator.clone();
        tokio::spawn(async move {
            call(
                &r_service,
                "POST",
                "/cases",
                &[
                    ("authorization", &operator),
                    ("idempotency-key", "application-2"),
                ],
                Some(json!({
                    "service": "rehabilitated-person-certificate",
                    "data": { "applicant.iin": OTHER_IIN, "applicant.email": EMAIL },
                    "region": "almaty",
                    "language": "ru",
                })),
            )
            .await
        })
    };
    tokio::pin!(filing);
    assert!(
        tokio::time::timeout(StdDuration::from_millis(300), &mut filing)
            .await
            .is_err(),
        "the application was answered while the database was locked"
    );
    lock.release().await;
    let (status, _, waited) = filing.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{waited}");

    // Held past the wait: a clerk's claim and another application, sent together, are both
    // answered 503 `unavailable` (not 500) once the wait is over, and nothing of either is
    // written. Reads go on: the administrator sees it on /metrics.
    let mut lock = Lock::hold(&r).await;
    let started = Instant::now();
    let claim_uri = format!("/tasks/{task}/claim");
    let as_operator = [("authorization", operator.as_str())];
    let claim = call(r.svc(), "POST", &claim_uri, &as_operator, Some(json!({})));
    let ((claimed, _, claim_body), (filed, file_body)) =
        tokio::join!(claim, file(&r, &operator, "application-3"));
    assert!(
        started.elapsed() >= StdDuration::from_millis(LOCK_WAIT_MS),
        "answered after {:?}, without waiting for the lock",
        started.elapsed()
    );
    for (status, body) in [(claimed, &claim_body), (filed, &file_body)] {
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
            "{body}"
        );
    }
    assert_eq!(lock.cases().await, 2);
    scrape(&r, &admin)
        .await
        .shows(&[(r#"qyzmet_database_unavailable_total{reason="locked"}"#, 2.0)]);
    // The timers and the job loop wait too: nothing is fired or performed, nothing lost.
    let drained = r.svc().engine.drain().await;
    assert!(
        matches!(drained, Err(qyzmet::worker::Error::Unavailable(_))),
        "{drained:?}"
    );
    lock.release().await;

    // Released: the same claim and the same application (the same Idempotency-Key) go
    // through, each once; the application that waited is not opened twice either.
    let (status, _, body) = call(
        r.svc(),
        "POST",
        &claim_uri,
        &[("authorization", &operator)],
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, opened) = file(&r, &operator, "application-3").await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    for (key, number) in [
        ("application-2", &waited["number"]),
        ("application-3", &opened["number"]),
    ] {
        let (status, again) = file(&r, &operator, key).await;
        assert_eq!((status, &again["number"]), (StatusCode::OK, number));
    }
    r.drain().await;
    let tasks = r
        .svc()
        .engine
        .store()
        .tasks(None, None, Some(&a))
        .await
        .unwrap();
    assert_eq!(tasks[0].assignee.as_deref(), Some("operator1"));
    let (_, health) = get_text(&r, &admin, "/health").await;
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["counts"]["cases"]["active"], 3, "{health}");
    for number in [
        &a,
        &waited["number"].as_str().unwrap().to_string(),
        &opened["number"].as_str().unwrap().to_string(),
    ] {
        assert_eq!(
            stages_of(r.svc(), number),
            numbered(&["submitted"]),
            "{number}"
        );
    }
    assert_eq!(mail_to(&inbox, EMAIL).len(), 0, "no notice is due yet");
    scrape(&r, &admin)
        .await
        .shows(&[(r#"qyzmet_database_unavailable_total{reason="locked"}"#, 3.0)]);
}

/// Fills the disk, as far as the database can tell: SQLite's page ceiling (`max_page_count`)
/// set at the current size on the engine's own writing connection refuses every write that
/// needs a new page with `SQLITE_FULL`, "database or disk is full", the code a full disk
/// gives. `Some(pages)` sets another ceiling (the one returned: space freed). The ceiling is a
/// setting of the connection, not of the file, and the writer starts on a fresh connection
/// when SQLite has ended a transaction by itself, as it does on `SQLITE_FULL`: so it holds
/// until the first refusal. (A full file system itself needs a mount, which neither a
/// developer's machine nor CI can be relied on to allow; the notifier's files under the data
/// directory are not covered here.)
async fn cap_database(r: &Running, cap: Option<i64>) -> i64 {
    r.svc()
        .engine
        .transact(move |conn, _| Box::pin(async move { conn.sqlite_cap_pages(cap).await }))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn with_the_database_full_an_application_is_answered_503_and_opened_once_when_space_is_freed()
{
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = Provider::start().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let admin = administrator(&r).await;
    let operator = format!(
        "Bearer {}",
        r.token("operator1", &["front_office_operator"], "almaty")
            .await
    );
    let (status, _) = file(&r, &operator, "before").await;
    assert_eq!(status, StatusCode::CREATED);
    r.drain().await;

    // The disk fills up. Applications go on into the database's free pages, until one needs
    // the file to grow: it is answered 503 `unavailable`, never 500, and nothing of it stays.
    let unlimited = cap_database(&r, None).await;
    let mut opened = Vec::new();
    let mut refused = None;
    for n in 0..100 {
        let key = format!("application-{n}");
        match file(&r, &operator, &key).await {
            (StatusCode::CREATED, body) => {
                opened.push(body["number"].as_str().unwrap().to_string())
            }
            (StatusCode::SERVICE_UNAVAILABLE, body) => {
                assert_eq!(body["code"], "unavailable", "{body}");
                refused = Some(key);
                break;
            }
            (status, body) => panic!("{key}: {status} {body}"),
        }
    }
    let refused = refused.expect("the database filled up within 100 applications");
    scrape(&r, &admin)
        .await
        .shows(&[(r#"qyzmet_database_unavailable_total{reason="full"}"#, 1.0)]);
    // The writer goes on after SQLite ended its transaction (this command is written through
    // it). The disk is still full: the job loop meanwhile performs what it can and records
    // what fits; a job whose outcome does not fit is performed again after its lease, and the
    // receivers know it by its key.
    cap_database(&r, None).await;
    let drained = r.svc().engine.drain().await;
    assert!(
        matches!(drained, Ok(_) | Err(qyzmet::worker::Error::Unavailable(_))),
        "{drained:?}"
    );

    // Space is freed: the refused application, sent again, opens its case once, and all the
    // work goes on, each effect once.
    cap_database(&r, Some(unlimited)).await;
    let (status, body) = file(&r, &operator, &refused).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, again) = file(&r, &operator, &refused).await;
    assert_eq!(
        (status, &again["number"]),
        (StatusCode::OK, &body["number"])
    );
    opened.push(body["number"].as_str().unwrap().to_string());
    r.advance_to(r.clock.now() + Duration::minutes(10)).await;
    let (_, health) = get_text(&r, &admin, "/health").await;
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(
        health["counts"]["cases"]["active"],
        opened.len() + 1,
        "{health}"
    );
    for number in &opened {
        assert_eq!(
            stages_of(r.svc(), number),
            numbered(&["submitted"]),
            "{number}"
        );
        assert_eq!(open_steps(&r, number).await, ["accept_documents"]);
    }
    assert!(incidents(&r, &admin).await.is_empty());
    assert_eq!(mail_to(&inbox, EMAIL).len(), 0, "no notice is due yet");
}
