//! What the operators of an installation see (issue #18, part 5): `/metrics` after a case
//! driven through the API, the Grafana dashboard's queries against a real scrape, and the JSON
//! log lines of a request and of the jobs of its case.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex, Once};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tower::ServiceExt;
use tracing_subscriber::layer::SubscriberExt;

use qyzmet::clock::Clock;
use qyzmet::telemetry::{self, LogFormat};

use crate::notify::mail_server;
use crate::service::{
    EMAIL, IIN, PHONE, Running, acceptance_form, aggregator, almaty, call, running,
};

const SERVICE: &str = "rehabilitated-person-certificate";

/// `GET /metrics` as read by `who` (a token): the status and the text.
async fn get_metrics(r: &Running, who: &str) -> (StatusCode, String) {
    let response = r
        .svc()
        .router()
        .oneshot(
            Request::get("/metrics")
                .header("authorization", format!("Bearer {who}"))
                .body(Body::empty())
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

/// One scrape's text.
struct Scrape(String);

impl Scrape {
    async fn of(r: &Running, admin: &str) -> Scrape {
        let (status, text) = get_metrics(r, admin).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        Scrape(text)
    }

    /// The value of one series, written as the text writes it (labels in registration
    /// order); `None` when the scrape lacks it.
    fn get(&self, series: &str) -> Option<f64> {
        self.0
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .map(|v| v.split_whitespace().next().unwrap().parse().unwrap())
    }

    /// The value of a series the scrape must have.
    fn value(&self, series: &str) -> f64 {
        self.get(series)
            .unwrap_or_else(|| panic!("{series} is not on /metrics:\n{}", self.0))
    }

    /// The names of every sample (`qyzmet_cases`, `qyzmet_http_requests_total`, …).
    fn sample_names(&self) -> std::collections::BTreeSet<String> {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                l.split(['{', ' '])
                    .next()
                    .expect("a sample line starts with its name")
                    .to_string()
            })
            .collect()
    }
}

/// An installation on Monday 23.11.2026 at 10:00 in Almaty, with the tokens of a front-office
/// operator of Almaty and an administrator of the whole republic.
struct Office {
    r: Running,
    operator: String,
    admin: String,
    _inbox: crate::notify::Inbox,
}

async fn office() -> Office {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let operator = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let admin = r.token("ops", &["administrator"], "kz").await;
    Office {
        r,
        operator,
        admin,
        _inbox: inbox,
    }
}

/// The application of the simulator's Абенова Айгүл, as a front office posts it.
fn application() -> Value {
    json!({
        "service": SERVICE,
        "region": "almaty",
        "language": "ru",
        "channel": "state_corporation",
        "data": { "applicant.iin": IIN, "applicant.phone": PHONE, "applicant.email": EMAIL },
    })
}

/// The operator files the application through the API; its registration number.
async fn file(o: &Office) -> String {
    let auth = format!("Bearer {}", o.operator);
    let (status, _, body) = call(
        o.r.svc(),
        "POST",
        "/cases",
        &[("authorization", &auth)],
        Some(application()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["number"].as_str().expect("a number").to_string()
}

/// A case driven as far as its timers three days on: filed through the API, its first jobs
/// performed, its documents accepted, the data requests answered, then every timer due by
/// Thursday 26.11 at 10:00 fired in one batch. Returns the number and the lateness, in
/// seconds, of each timer fired.
async fn drive(o: &Office) -> (String, Vec<f64>) {
    let number = file(o).await;
    o.r.drain().await;
    o.r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    let at = almaty(2026, 11, 26, 10, 0);
    o.r.clock.set(at);
    let store = o.r.svc().engine.store();
    let due = {
        let mut conn = store.read().await.unwrap();
        qyzmet::store::tx::due_timers(&mut conn, at, 500)
            .await
            .unwrap()
    };
    assert!(!due.is_empty(), "the case has timers due by Thursday");
    let fired = o.r.svc().engine.fire_due_timers(500).await.unwrap();
    assert_eq!(fired, due.len());
    let lateness = due
        .iter()
        .map(|t| (at - t.due_at).num_milliseconds() as f64 / 1000.0)
        .collect();
    (number, lateness)
}

#[tokio::test]
async fn a_case_driven_through_the_api_shows_on_every_metric_family() {
    let o = office().await;
    let number = file(&o).await;
    // Half a minute on, nothing has run the case's first jobs yet: they are ready, and the
    // oldest has waited 30 s.
    o.r.clock.set(o.r.clock.now() + Duration::seconds(30));
    let before = Scrape::of(&o.r, &o.admin).await;
    let ready: Vec<(String, f64)> = before
        .0
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("qyzmet_jobs_unfinished{kind=\"")?;
            let (kind, rest) = rest.split_once('"')?;
            let n: f64 = rest
                .strip_prefix(",state=\"ready\"} ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            (n > 0.0).then(|| (kind.to_string(), n))
        })
        .collect();
    assert!(
        !ready.is_empty(),
        "a new case's jobs are ready:\n{}",
        before.0
    );
    for (kind, _) in &ready {
        assert_eq!(
            before.value(&format!(
                "qyzmet_jobs_oldest_ready_age_seconds{{kind=\"{kind}\"}}"
            )),
            30.0
        );
    }
    assert_eq!(
        before.value(r#"qyzmet_tasks_open{role="front_office_operator",region="almaty"}"#),
        1.0
    );
    assert_eq!(
        before.value(r#"qyzmet_tasks_overdue{role="front_office_operator",region="almaty"}"#),
        0.0
    );
    assert_eq!(
        before.value(&format!(
            r#"qyzmet_cases{{service="{SERVICE}",status="active"}}"#
        )),
        1.0
    );
    // The application's one request, by its route and status.
    assert_eq!(
        before.value(
            r#"qyzmet_http_requests_total{method="POST",route="/cases",status="201",class="2xx"}"#
        ),
        1.0
    );
    assert_eq!(
        before.value(r#"qyzmet_http_request_duration_seconds_count{method="POST",route="/cases"}"#),
        1.0
    );
    // The commit that opened the case is among the writer's batches.
    let batches = before.value("qyzmet_writer_batch_commands_count");
    assert!(batches >= 1.0, "{}", before.0);
    assert!(before.value("qyzmet_writer_batch_commands_sum") >= batches);
    assert_eq!(
        before.value("qyzmet_writer_commit_duration_seconds_count"),
        batches
    );
    assert_eq!(before.value("qyzmet_timer_lateness_seconds_count"), 0.0);
    assert_eq!(before.value("qyzmet_writer_batches_run_again_total"), 0.0);

    // The case's page through the API, a clerk turned away from the metrics; then the case
    // goes on to Thursday.
    let auth = format!("Bearer {}", o.operator);
    let (status, _, _) = call(
        o.r.svc(),
        "GET",
        &format!("/cases/{number}"),
        &[("authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        get_metrics(&o.r, &o.operator).await.0,
        StatusCode::FORBIDDEN
    );
    o.r.drain().await;
    o.r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    let at = almaty(2026, 11, 26, 10, 0);
    o.r.clock.set(at);
    let due = {
        let mut conn = o.r.svc().engine.store().read().await.unwrap();
        qyzmet::store::tx::due_timers(&mut conn, at, 500)
            .await
            .unwrap()
    };
    assert!(!due.is_empty(), "the case has timers due by Thursday");
    o.r.svc().engine.fire_due_timers(500).await.unwrap();
    let late: f64 = due
        .iter()
        .map(|t| (at - t.due_at).num_milliseconds() as f64 / 1000.0)
        .sum();

    let after = Scrape::of(&o.r, &o.admin).await;
    // Each timer fired, by how late it was.
    assert_eq!(
        after.value("qyzmet_timer_lateness_seconds_count"),
        due.len() as f64
    );
    assert!(
        (after.value("qyzmet_timer_lateness_seconds_sum") - late).abs() < 1e-3,
        "{late}:\n{}",
        after.0
    );
    // The open tasks, as the queue holds them, by role and region, overdue on Thursday.
    let tasks =
        o.r.svc()
            .engine
            .store()
            .tasks(None, None, Some(&number))
            .await
            .unwrap();
    assert!(!tasks.is_empty());
    for t in &tasks {
        let label = format!("{{role=\"{}\",region=\"{}\"}}", t.role, t.region);
        let same: Vec<_> = tasks
            .iter()
            .filter(|u| u.role == t.role && u.region == t.region)
            .collect();
        let overdue = same
            .iter()
            .filter(|u| u.due_at.is_some_and(|d| d < at))
            .count();
        assert_eq!(
            after.value(&format!("qyzmet_tasks_open{label}")),
            same.len() as f64
        );
        assert_eq!(
            after.value(&format!("qyzmet_tasks_overdue{label}")),
            overdue as f64
        );
    }
    assert!(
        after.get(r#"qyzmet_tasks_open{role="front_office_operator",region="almaty"}"#)
            != Some(1.0),
        "the accepted documents' task is closed:\n{}",
        after.0
    );
    // Every request by its route's template, the number in none.
    for (series, n) in [
        (
            r#"qyzmet_http_requests_total{method="GET",route="/cases/{number}",status="200",class="2xx"}"#,
            1.0,
        ),
        (
            r#"qyzmet_http_requests_total{method="GET",route="/metrics",status="200",class="2xx"}"#,
            1.0,
        ),
        (
            r#"qyzmet_http_requests_total{method="GET",route="/metrics",status="403",class="4xx"}"#,
            1.0,
        ),
    ] {
        assert_eq!(after.value(series), n, "{series}");
    }
    assert!(!after.0.contains(&number), "{}", after.0);
    assert!(!after.0.contains(IIN), "{}", after.0);
    // The data requests went through the simulator; nothing is stuck or failed.
    assert_eq!(
        after.value(r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"}"#),
        0.0
    );
    assert_eq!(after.value("qyzmet_incidents_open"), 0.0);
    // The timers made their jobs (the escalations' notices) ready just now; once the job loop
    // has run, nothing is left waiting.
    let made_ready: f64 = ["request", "notify", "document", "stage"]
        .iter()
        .map(|kind| {
            after.value(&format!(
                "qyzmet_jobs_unfinished{{kind=\"{kind}\",state=\"ready\"}}"
            ))
        })
        .sum();
    assert!(made_ready > 0.0, "{}", after.0);
    assert_eq!(
        after.value(r#"qyzmet_jobs_oldest_ready_age_seconds{kind="notify"}"#),
        0.0
    );
    o.r.drain().await;
    let after = Scrape::of(&o.r, &o.admin).await;
    for kind in ["request", "notify", "document", "stage"] {
        for state in ["ready", "leased", "retrying", "incident"] {
            assert_eq!(
                after.value(&format!(
                    "qyzmet_jobs_unfinished{{kind=\"{kind}\",state=\"{state}\"}}"
                )),
                0.0,
                "{kind} {state}"
            );
        }
        assert_eq!(
            after.value(&format!(
                "qyzmet_jobs_oldest_ready_age_seconds{{kind=\"{kind}\"}}"
            )),
            0.0
        );
    }
    assert!(after.value("qyzmet_writer_batch_commands_count") > batches);
}

/// The metric names a PromQL expression reads: every `qyzmet_…` identifier.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("qyzmet_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

#[tokio::test]
async fn every_metric_the_dashboard_queries_is_on_metrics_after_a_case() {
    let text = std::fs::read_to_string("config/grafana/qyzmet-dashboard.json").unwrap();
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    // Importable into any Grafana: the Prometheus is a variable, every query uses it.
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(
        variables.iter().any(|v| v["type"] == "datasource"
            && v["query"] == "prometheus"
            && v["name"] == "datasource"),
        "{variables:#?}"
    );
    let mut queried = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{target}");
            let expr = target["expr"].as_str().expect("every target has an expr");
            let names = metric_names(expr);
            assert!(!names.is_empty(), "{expr}");
            queried.extend(names.into_iter().map(|n| (n, panel["title"].clone())));
        }
    }
    for title in [
        "Throughput",
        "Commit latency p99",
        "HTTP errors by route",
        "Tasks overdue by region",
        "Jobs by state",
        "Oldest ready job",
        "Open incidents",
        "Timer lateness p99",
        "Gateway circuit breakers",
    ] {
        assert!(queried.iter().any(|(_, t)| t == title), "no panel {title}");
    }

    let o = office().await;
    drive(&o).await;
    let scrape = Scrape::of(&o.r, &o.admin).await;
    let served = scrape.sample_names();
    for (name, panel) in &queried {
        assert!(
            served.contains(name),
            "panel {panel} queries {name}, which /metrics does not serve:\n{}",
            scrape.0
        );
    }
}

/// The log lines written on one test's thread while it captures them.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    /// The lines written since the last take, each parsed as JSON.
    fn take(&self) -> (String, Vec<Value>) {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        let text = String::from_utf8(bytes).unwrap();
        let lines = text
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect();
        (text, lines)
    }

    /// Captures the JSON lines of this thread's events until the guard is dropped.
    ///
    /// Why a global subscriber and not `set_default`: tracing caches, per callsite and for all
    /// threads, whether any subscriber is interested. While one thread-scoped subscriber is the
    /// only one registered, a callsite another test's thread meets first is asked of *that*
    /// thread's subscriber (none), cached as of no interest, and this thread's lines from it
    /// vanish. The one global subscriber is seen from every thread, and its filter lets through
    /// only the events of a thread that captures.
    fn capture(&self) -> Capturing {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let subscriber = telemetry::subscriber(
                LogFormat::Json,
                tracing_subscriber::EnvFilter::new("info"),
                || ThreadBuffer(CAPTURE.with(|c| c.borrow().clone())),
            )
            .with(tracing_subscriber::filter::filter_fn(|_| {
                CAPTURE.with(|c| c.borrow().is_some())
            }));
            tracing::subscriber::set_global_default(subscriber)
                .expect("nothing else in the tests sets the global subscriber");
        });
        CAPTURE.with(|c| *c.borrow_mut() = Some(self.clone()));
        // A callsite met on another thread while the subscriber was being set may have been
        // cached before it was seen: asked again.
        tracing::callsite::rebuild_interest_cache();
        Capturing
    }
}

thread_local! {
    /// Where this thread's log lines go, while it captures them.
    static CAPTURE: RefCell<Option<Buffer>> = const { RefCell::new(None) };
}

/// Ends its thread's capture when dropped.
struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

/// The capturing thread's buffer, or nowhere.
struct ThreadBuffer(Option<Buffer>);

impl io::Write for ThreadBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Some(b) => b.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Set in the child process the log-lines test runs in.
const ALONE: &str = "QYZMET_TEST_LOG_LINES_ALONE";

/// The log lines of a request and of its case's jobs, as a log collector reads them.
///
/// Why in a child process of this test binary, alone: the subscriber is the process's, and
/// tracing caches per callsite, for every thread, whether it has a subscriber interested. In
/// a process where other tests' threads meet the same callsites while this one installs its
/// subscriber, a callsite can stay cached as of no interest and this test's lines from it are
/// lost (it failed so about once in four runs of the whole suite). Alone, its subscriber is
/// in place before any line of the test is written.
#[test]
fn json_log_lines_carry_the_request_id_and_the_case_number_and_no_iin() {
    if std::env::var_os(ALONE).is_some() {
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(json_log_lines());
    }
    let name = "operations::json_log_lines_carry_the_request_id_and_the_case_number_and_no_iin";
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("1 passed"),
        "the test did not run alone:\n{text}"
    );
}

async fn json_log_lines() {
    let buffer = Buffer::default();
    let _capturing = buffer.capture();
    let o = office().await;
    // The office's own lines (its start, its accounts).
    let _ = buffer.take();

    // One request for a case, with the caller's request id.
    let response =
        o.r.svc()
            .router()
            .oneshot(
                Request::post("/cases")
                    .header("authorization", format!("Bearer {}", o.operator))
                    .header("content-type", "application/json")
                    .header("x-request-id", "portal-7f3a")
                    .body(Body::from(application().to_string()))
                    .unwrap(),
            )
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-request-id"], "portal-7f3a");
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let number = body["number"].as_str().unwrap().to_string();

    let (text, lines) = buffer.take();
    assert!(!lines.is_empty(), "the request left no line");
    for line in &lines {
        assert_eq!(line["request_id"], "portal-7f3a", "{line}");
    }
    let answered = lines
        .iter()
        .find(|l| l["message"] == "request answered")
        .unwrap_or_else(|| panic!("no line says how the request ended:\n{text}"));
    assert_eq!(answered["case"], number.as_str(), "{answered}");
    assert_eq!(answered["route"], "/cases");
    assert_eq!(answered["status"], 201);
    assert!(!text.contains(IIN), "{text}");

    // The case's jobs: the data request carries the applicant's IIN to the gateway.
    o.r.drain().await;
    o.r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    let (text, lines) = buffer.take();
    let jobs: Vec<&Value> = lines
        .iter()
        .filter(|l| l["spans"].as_str().is_some_and(|s| s.starts_with("job")))
        .collect();
    assert!(!jobs.is_empty(), "no line of a job:\n{text}");
    for line in &jobs {
        assert_eq!(line["case"], number.as_str(), "{line}");
    }
    let request = jobs
        .iter()
        .find(|l| l["connector"] == "gbd_fl.person")
        .unwrap_or_else(|| panic!("no line of the GBD FL request:\n{text}"));
    assert_eq!(request["iin"], qyzmet::domain::mask(IIN), "{request}");
    assert!(!text.contains(IIN), "{text}");

    // An IIN quoted in a text that reaches a line (an error from outside) is masked too.
    tracing::warn!("the far side said: no person {IIN}");
    let (text, lines) = buffer.take();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(
        lines[0]["message"],
        format!("the far side said: no person {}", qyzmet::domain::mask(IIN))
    );

    // Without an id, or with one that could be an IIN, the request gets one of ours.
    for given in [None, Some(IIN)] {
        let mut request = Request::get("/health");
        if let Some(id) = given {
            request = request.header("x-request-id", id);
        }
        let response =
            o.r.svc()
                .router()
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        // A generated one: four groups of eight hexadecimal digits.
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(groups.len(), 4, "{id}");
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 8 && g.chars().all(|c| c.is_ascii_hexdigit())),
            "{id}"
        );
    }
}
