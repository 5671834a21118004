//! Mass events (issue #16 item 3): one life event for every active case of a service. A
//! small service of our own holds each case at `payment_active` (seeds/000 appendix 2: the
//! payment assigned) and takes an `increase` (seeds/000 appendix 3: the draft decision on an
//! increase, order No. 196 item 10 of seeds/001) once per legal act; the increase opens a task.
//! 1,000 payments take a mass increase: each gets exactly one task; the same act entered again
//! adds none; a run that dies between its cases' commits and its cursor loses none and does
//! none twice. The API checks the payload field by field and the roles, journalling both.
//! Every run is driven directly, without the serve loop and without sleeping; on PostgreSQL
//! when `tests/run` runs the suite there.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::mass_event::{self, Step};
use qyzmet::runtime::{Language, Settings, Submission};
use qyzmet::store::mass_events::{self, MassEvent};
use qyzmet::store::{TaskQuery, audit};
use qyzmet::worker::outbox::FileOutbox;
use qyzmet::worker::{Config, Engine};

use crate::backends::fixture::almaty;
use crate::engine::api_token;

/// The service: a payment that holds, and an increase once per act that opens a draft
/// decision for the provider's specialist.
const SERVICE: &str = r#"
service: mass-test
version: "2026-01-01"
effective_from: 2026-01-01
title: { kk: "Ай сайынғы төлем (сынақ)", ru: "Ежемесячная выплата (тест)" }
basis:
  order_213: { title: "Order No. 213 of 28.05.2026", file: seeds/000 }
  order_196: { title: "Order No. 196", file: seeds/001 }
term:
  working_days: 10
  source: { act: order_196, item: "12 part 1" }
channels: [state_corporation]
support_email: e-maket@enbek.kz
data:
  applicant.iin: iin
  payment.amount: money
  increase.act: string
  increase.from: date
  increase.percent: decimal
messages:
  increase:
    title: { kk: "Төлемді арттыру", ru: "Повышение выплаты" }
    fields:
      act: { type: string, label: { kk: "Нормативтік құқықтық акт", ru: "Нормативный правовой акт" } }
      from: { type: date, label: { kk: "Қай күннен бастап", ru: "С какой даты" } }
      percent: { type: decimal, label: { kk: "Арттыру пайызы", ru: "Процент повышения" } }
events:
  increase:
    title: { kk: "Төлемді арттыру", ru: "Повышение выплаты" }
    source: { act: order_213, item: "appendix 3" }
    message: increase
    during: [payment_active]
    once_per: "message.act"
    store: { increase.act: "message.act", increase.from: "message.from", increase.percent: "message.percent" }
    start: prepare_increase_draft
start: payment_active
steps:
  payment_active:
    title: { kk: "Төлем жүргізілуде", ru: "Выплата производится" }
    source: { act: order_213, item: "appendix 2" }
    hold: active
  prepare_increase_draft:
    title: { kk: "Арттыру туралы шешім жобасы", ru: "Проект решения о повышении" }
    source: { act: order_213, item: "appendix 3" }
    task: { role: provider_specialist, due: { working_days: 5 } }
    outcomes: { complete: payment_active }
"#;

/// A workflows folder with the catalog and the service.
fn workflows(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("workflows");
    std::fs::create_dir_all(root.join("mass-test")).unwrap();
    std::fs::copy("workflows/catalog.yaml", root.join("catalog.yaml")).unwrap();
    std::fs::write(root.join("mass-test/2026-01-01.yaml"), SERVICE).unwrap();
    // The loader checks the calendar a service names in `calendars/` beside its folder.
    let calendars = std::fs::canonicalize("calendars").unwrap();
    if !dir.join("calendars").exists() {
        std::os::unix::fs::symlink(calendars, dir.join("calendars")).unwrap();
    }
    root
}

async fn engine(dir: &Path, clock: Arc<ManualClock>) -> Engine {
    let database = crate::backends::database(dir)
        .await
        .unwrap_or_else(|| dir.join("qyzmet.db").into());
    Engine::start(Config {
        database,
        workflows: workflows(dir),
        calendars: "calendars".into(),
        settings: Settings::default(),
        clock,
        performer: Arc::new(FileOutbox::new(dir.join("outbox"))),
        number_prefix: "QZ".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("the engine starts: {e}"))
}

/// `n` payments, each at `payment_active` once submitted; their numbers.
async fn payments(engine: &Engine, n: usize) -> Vec<String> {
    let mut numbers = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let opened = futures_util::future::join_all(chunk.iter().map(|i| {
            engine.submit(
                "mass-test",
                Submission {
                    data: json!({ "applicant.iin": "850315300128", "payment.amount": format!("{}.50", 80_000 + i) }),
                    channel: "state_corporation".into(),
                    language: Language::Kk,
                    sms_consent: false,
                    region: "almaty".into(),
                },
            )
        }))
        .await;
        numbers.extend(opened.into_iter().map(|r| r.expect("the payment opens")));
    }
    numbers
}

/// The open increase tasks: how many, and of how many cases.
async fn increase_tasks(engine: &Engine) -> (u64, usize) {
    let (tasks, total) = engine
        .store()
        .task_page(&TaskQuery {
            service: Some("mass-test".into()),
            step: Some("prepare_increase_draft".into()),
            limit: 5000,
            ..TaskQuery::default()
        })
        .await
        .unwrap();
    let cases: HashSet<String> = tasks.into_iter().map(|t| t.number).collect();
    (total, cases.len())
}

fn act(number: &str) -> Value {
    json!({ "act": number, "from": "2027-01-01", "percent": 8.5 })
}

async fn enter(engine: &Engine, payload: &Value) -> MassEvent {
    let checked = mass_event::check(engine.shared(), "mass-test", "increase", payload)
        .unwrap_or_else(|e| panic!("the mass event is checked: {e}"));
    mass_event::create(engine, checked, "metod", None)
        .await
        .unwrap()
}

async fn run_to_end(engine: &Engine, id: i64) -> MassEvent {
    let mut seen = Vec::new();
    let done = mass_event::run(engine, id, 200, &CancellationToken::new(), |e| {
        seen.push(e.counts.done())
    })
    .await
    .unwrap()
    .expect("nobody else holds it");
    // Progress after each batch, never backwards.
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    done
}

#[tokio::test]
async fn a_mass_increase_gives_each_of_1000_payments_one_draft_decision_through_a_crash_and_a_repeat()
 {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let engine = engine(dir.path(), clock.clone()).await;
    let numbers = payments(&engine, 1000).await;
    let first = engine
        .store()
        .case_by_number(&numbers[0])
        .await
        .unwrap()
        .unwrap();
    let def = engine.shared().pinned("mass-test", "2026-01-01").unwrap().0;
    assert_eq!(
        qyzmet::runtime::life::living_state(def, &first).as_deref(),
        Some("active")
    );

    // The law of 2027: entered once, 1,000 cases to touch.
    let law = act("ҚР Заңы 2026-12-01 № 150-VIII");
    let event = enter(&engine, &law).await;
    assert_eq!(
        (event.total, event.cursor, event.counts.done()),
        (1000, 0, 0)
    );

    // Two batches recorded, then the process dies: the third batch's cases took the message,
    // and the cursor and the counts never heard of it.
    for expected in [200, 400] {
        match mass_event::step(&engine, event.id, 200).await.unwrap() {
            Step::Batch(e) => assert_eq!(e.counts.started, expected),
            other => panic!("a batch, not {other:?}"),
        }
    }
    let half = mass_event::get(&engine, event.id).await.unwrap();
    let lost = {
        let mut conn = engine.store().read().await.unwrap();
        mass_events::cases_after(&mut conn, "mass-test", half.cursor, 200)
            .await
            .unwrap()
    };
    let delivered = mass_event::deliver(&engine, &half, &lost).await.unwrap();
    assert_eq!(delivered.counts.started, 200);
    assert_eq!(increase_tasks(&engine).await, (600, 600));

    // Resumed: the 200 done before the crash say they have it already; nothing twice.
    clock.advance(chrono::Duration::minutes(10));
    let done = run_to_end(&engine, event.id).await;
    assert!(done.finished_at.is_some());
    assert_eq!(done.counts.started, 800, "{done:?}");
    assert_eq!(done.counts.duplicate, 200, "{done:?}");
    assert_eq!(
        (done.counts.kept, done.counts.not_now, done.counts.failed),
        (0, 0, 0)
    );
    assert!(done.lease_owner.is_none(), "a finished run holds nothing");
    assert_eq!(increase_tasks(&engine).await, (1000, 1000));
    let case = engine.case(&numbers[999]).await.unwrap().unwrap();
    let started: Vec<_> = case
        .history
        .iter()
        .filter(|h| h.kind == "event_started")
        .collect();
    assert_eq!(started.len(), 1, "{:?}", case.history);
    assert_eq!(
        qyzmet::runtime::get_path(&case.case.scope(""), "increase.act"),
        Some(&json!("ҚР Заңы 2026-12-01 № 150-VIII"))
    );

    // The same act entered again: every case had it, nothing added.
    let again = enter(&engine, &law).await;
    let again = run_to_end(&engine, again.id).await;
    assert_eq!(again.counts.duplicate, 1000, "{again:?}");
    assert_eq!(again.counts.started, 0);
    assert_eq!(increase_tasks(&engine).await, (1000, 1000));

    // Another act while every case is busy with its draft: kept for when it is back.
    let next = enter(&engine, &act("ҚР Заңы 2027-06-01 № 200-VIII")).await;
    let next = run_to_end(&engine, next.id).await;
    assert_eq!(next.counts.kept, 1000, "{next:?}");
    assert_eq!(increase_tasks(&engine).await, (1000, 1000));
}

/// A request as `token`, with a JSON body when given.
async fn call(
    app: &axum::Router,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_api_enters_a_mass_event_for_a_methodologist_only_and_names_each_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let engine = engine(dir.path(), clock).await;
    payments(&engine, 3).await;
    let app = qyzmet::api::router(engine.clone());
    let metod = api_token(&engine, "metod", &["methodologist"], "kz").await;
    let clerk = api_token(&engine, "clerk", &["provider_specialist"], "almaty").await;
    let uri = "/services/mass-test/events/increase";

    // Each mistake by its place: a field not declared, a day that is no date, a percent that
    // is no number, the act (the event's key) missing.
    let (status, body) = call(
        &app,
        &metod,
        "POST",
        uri,
        Some(json!({ "payload": { "from": "31.02.2027", "percent": "eight", "rate": 8 } })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid");
    let fields: HashSet<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        HashSet::from([
            "payload.from",
            "payload.percent",
            "payload.rate",
            "payload.act"
        ]),
        "{body}"
    );

    // No such event: 404.
    let (status, _) = call(
        &app,
        &metod,
        "POST",
        "/services/mass-test/events/suspension",
        Some(json!({ "payload": act("1") })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A clerk may not: 403, journalled.
    let (status, body) = call(
        &app,
        &clerk,
        "POST",
        uri,
        Some(json!({ "payload": act("1") })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The methodologist may: 202, three cases to touch; journalled with its id.
    let (status, body) = call(
        &app,
        &metod,
        "POST",
        uri,
        Some(json!({ "payload": act("1") })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["total"], 3);
    let id = body["id"].as_i64().unwrap();

    // Run by the loop's own function, driven here; then its progress says it is over.
    let finished = mass_event::run_pending(&engine, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(finished, 1);
    let (status, body) = call(
        &app,
        &metod,
        "GET",
        &format!("/services/mass-test/events/mass/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["counts"]["started"], 3, "{body}");
    assert!(body["finished_at"].is_string(), "{body}");
    let (status, _) = call(
        &app,
        &clerk,
        "GET",
        &format!("/services/mass-test/events/mass/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let journal = {
        let mut conn = engine.store().read().await.unwrap();
        audit::list(&mut conn, &audit::Filter::default())
            .await
            .unwrap()
    };
    let lines: Vec<String> = journal
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.actor,
                r.action,
                r.object.as_deref().unwrap_or("-"),
                r.details
            )
        })
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("clerk access_denied mass-test/increase")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("metod mass_event_started mass-test/increase")
                && l.contains(&format!("\"mass_event\":{id}"))
        ),
        "{lines:#?}"
    );
}

/// A page request as `token`: the status, the `refresh` header, the HTML.
async fn page(
    app: &axum::Router,
    token: &str,
    method: &str,
    uri: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    let body = if form.is_empty() {
        Body::empty()
    } else {
        request = request.header("content-type", "application/x-www-form-urlencoded");
        Body::from(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let refresh = response
        .headers()
        .get("refresh")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        refresh,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn the_page_enters_a_mass_event_in_three_steps_and_shows_its_progress_in_russian() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let service = qyzmet::service::Service::start(qyzmet::service::Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: dir.path().join("data"),
        workflows: workflows(dir.path()),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: qyzmet::service::FileConfig::embedded(),
        clock,
        env: Arc::new(|_| None),
    })
    .await
    .expect("the service starts");
    let engine = service.engine.clone();
    payments(&engine, 3).await;
    let app = service.router();
    let metod = api_token(&engine, "metod", &["methodologist"], "kz").await;
    let clerk = api_token(&engine, "clerk", &["provider_specialist"], "almaty").await;

    // A clerk has no such page.
    let (status, _, _) = page(&app, &clerk, "GET", "/mass-events?lang=ru", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The choice, then the message's fields with their labels.
    let (status, refresh, html) = page(&app, &metod, "GET", "/mass-events?lang=ru", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Ежемесячная выплата (тест) — Повышение выплаты"),
        "{html}"
    );
    assert!(html.contains("Массовых событий ещё не было."), "{html}");
    assert_eq!(refresh, None);
    let (_, _, html) = page(
        &app,
        &metod,
        "GET",
        "/mass-events?lang=ru&event=mass-test/increase",
        &[],
    )
    .await;
    for label in [
        "Нормативный правовой акт",
        "С какой даты",
        "Процент повышения",
    ] {
        assert!(html.contains(label), "{label}: {html}");
    }

    // A day that is no day: said beside its field.
    let csrf = "";
    let wrong = [
        ("csrf", csrf),
        ("service", "mass-test"),
        ("event", "increase"),
        ("act", "№ 150-VIII"),
        ("from", "31.02.2027"),
        ("date:from", "dd.mm.yyyy"),
        ("percent", "8.5"),
    ];
    let (status, _, html) =
        page(&app, &metod, "POST", "/mass-events/confirm?lang=ru", &wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"error-f-from\""), "{html}");
    assert!(!html.contains("id=\"error-f-act\""), "{html}");

    // Right: how many cases it will touch, and the button that starts it.
    let mut right = wrong;
    right[4] = ("from", "01.01.2027");
    let (status, _, html) =
        page(&app, &metod, "POST", "/mass-events/confirm?lang=ru", &right).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Событие будет введено в 3 действующих дел."),
        "{html}"
    );
    assert!(html.contains("01.01.2027"), "{html}");
    let payload = json!({ "act": "№ 150-VIII", "from": "2027-01-01", "percent": 8.5 });
    let checked = mass_event::check(engine.shared(), "mass-test", "increase", &payload).unwrap();
    let (status, _, _) = page(
        &app,
        &metod,
        "POST",
        "/mass-events?lang=ru",
        &[
            ("csrf", csrf),
            ("service", "mass-test"),
            ("event", "increase"),
            ("payload", &checked.payload.to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Running: the list refreshes itself; once over, it says so, and stops refreshing.
    let (_, refresh, html) = page(&app, &metod, "GET", "/mass-events?lang=ru", &[]).await;
    assert_eq!(refresh.as_deref(), Some("5"));
    assert!(
        html.contains("<meta http-equiv=\"refresh\" content=\"5\">"),
        "{html}"
    );
    assert!(html.contains("0 / 3"), "{html}");
    mass_event::run_pending(&engine, &CancellationToken::new())
        .await
        .unwrap();
    let (_, refresh, html) = page(&app, &metod, "GET", "/mass-events?lang=ru", &[]).await;
    assert_eq!(refresh, None);
    assert!(html.contains("3 / 3"), "{html}");
    assert!(html.contains("Начато: 3"), "{html}");
    assert!(html.contains("Завершено"), "{html}");
}

/// The time a mass increase takes over 100,000 payments (`QYZMET_MASS_CASES` to change it),
/// on the backend of the run: printed, not asserted. It takes minutes, so it runs only when
/// asked: `QYZMET_BENCH_MASS=1 cargo test --release --test it mass_event::time_ --
/// --nocapture` (with `QYZMET_TEST_BACKEND=postgres` for PostgreSQL).
#[tokio::test(flavor = "multi_thread")]
async fn time_a_mass_increase_over_100000_payments() {
    if std::env::var("QYZMET_BENCH_MASS").ok().as_deref() != Some("1") {
        return;
    }
    let n: usize = std::env::var("QYZMET_MASS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let engine = engine(dir.path(), clock).await;
    let opened = std::time::Instant::now();
    payments(&engine, n).await;
    let opened = opened.elapsed();
    let event = enter(&engine, &act("№ 150-VIII")).await;
    let run = std::time::Instant::now();
    let done = run_to_end(&engine, event.id).await;
    let run = run.elapsed();
    assert_eq!(done.counts.started, n as u64);
    let again = enter(&engine, &act("№ 150-VIII")).await;
    let repeat = std::time::Instant::now();
    let again = run_to_end(&engine, again.id).await;
    let repeat = repeat.elapsed();
    assert_eq!(again.counts.duplicate, n as u64);
    println!(
        "{} payments on {}: opened in {:.1} s; mass increase in {:.1} s ({:.0} cases/s); repeated (all duplicates) in {:.1} s",
        n,
        crate::backends::under_test().name(),
        opened.as_secs_f64(),
        run.as_secs_f64(),
        n as f64 / run.as_secs_f64(),
        repeat.as_secs_f64()
    );
}

/// `qyzmet mass-event` on an SQLite file.
fn cli(dir: &Path, payload: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qyzmet"));
    command
        .args([
            "mass-event",
            "--service",
            "mass-test",
            "--event",
            "increase",
            "--batch",
            "10",
        ])
        .arg("--payload")
        .arg(payload)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--workflows")
        .arg(dir.join("workflows"))
        .args(["--calendars", "calendars", "--by", "metod"])
        .env_remove("DATABASE_URL")
        .env("QYZMET_LOG", "warn");
    command
}

#[tokio::test]
async fn the_command_killed_in_the_middle_and_run_again_leaves_each_payment_one_draft() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let database: qyzmet::store::Location = dir.path().join("data/qyzmet.db").into();
    let start = |clock| {
        let database = database.clone();
        let dir = dir.path().to_path_buf();
        async move {
            Engine::start(Config {
                database,
                workflows: workflows(&dir),
                calendars: "calendars".into(),
                settings: Settings::default(),
                clock,
                performer: Arc::new(FileOutbox::new(dir.join("outbox"))),
                number_prefix: "QZ".into(),
            })
            .await
            .unwrap()
        }
    };
    let engine = start(Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)))).await;
    let numbers = payments(&engine, 1000).await;
    engine.store().close().await;
    drop(engine);
    let payload = dir.path().join("law.json");
    std::fs::write(&payload, act("№ 150-VIII").to_string()).unwrap();

    // Killed once it has said how far it came: somewhere among its batches.
    let mut child = cli(dir.path(), &payload)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let entered = lines.next().unwrap().unwrap();
    assert!(entered.contains("entered: 1000 active cases"), "{entered}");
    let progress = lines.next().unwrap().unwrap();
    assert!(progress.starts_with("10/1000 started 10,"), "{progress}");
    child.kill().unwrap();
    child.wait().unwrap();

    // Run again: it resumes the same mass event and finishes it.
    let out = cli(dir.path(), &payload).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("resuming mass event 1"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("finished: 1000/1000 started "), "{last}");

    // And once more: a new mass event, every case had it.
    let out = cli(dir.path(), &payload).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("finished: 1000/1000 started 0, kept 0, already 1000,"),
        "{stdout}"
    );

    let engine = start(Arc::new(ManualClock::new(almaty(2026, 12, 7, 10, 0)))).await;
    assert_eq!(increase_tasks(&engine).await, (1000, 1000));
    for number in [&numbers[0], &numbers[500], &numbers[999]] {
        let case = engine.case(number).await.unwrap().unwrap();
        let started = case.history.iter().filter(|h| h.kind == "event_started");
        assert_eq!(started.count(), 1, "{number}");
    }
}

/// A methodologist in the real browser: the header's link, the event chosen, the act typed
/// (the date as dd.mm.yyyy), the number of cases it will touch, started, the progress — on an
/// office screen and on a phone, no sideways scroll. Screenshots with `QYZMET_SCREENSHOTS=1`.
#[tokio::test]
async fn in_chromium_a_methodologist_enters_a_mass_increase() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let service = qyzmet::service::Service::start(qyzmet::service::Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: dir.path().join("data"),
        workflows: workflows(dir.path()),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: qyzmet::service::FileConfig::embedded(),
        clock,
        env: Arc::new(|_| None),
    })
    .await
    .expect("the service starts");
    payments(&service.engine, 3).await;
    let _ = crate::living::clerk(
        &service,
        "metod1",
        &["methodologist"],
        qyzmet::web::text::Lang::Ru,
    )
    .await;
    let base = crate::browser::serve(&service).await;
    let shots = crate::browser::shots_dir("qyzmet-mass-shots-");
    let browser = crate::browser::Browser::start().await;
    browser.resize(1366, 900).await;
    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "metod1").await;
    browser.fill("#password", "Qyzmet-clerk-2026").await;
    browser.click("#sign-in").await;
    browser.click("#nav-mass-events").await;
    assert_eq!(browser.text("#mass-title").await, "Массовые события");
    browser
        .element("#mass-event")
        .await
        .select_by_value("mass-test/increase")
        .await
        .unwrap();
    browser.click("#mass-choose-button").await;
    browser
        .fill("#f-act", "Закон РК № 150-VIII от 20.11.2026")
        .await;
    browser.fill("#f-from", "01.01.2027").await;
    browser.fill("#f-percent", "8.5").await;
    browser.click("#mass-check").await;
    assert_eq!(
        browser.text("#mass-touch").await,
        "Событие будет введено в 3 действующих дел."
    );
    for width in [1366u32, 390] {
        browser.resize(width, 900).await;
        let wide = browser
            .client()
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        if let Some(dir) = &shots {
            browser
                .screenshot(dir.join(format!("mass-confirm-{width}.png")))
                .await;
        }
        assert!(wide <= u64::from(width), "{wide} px wide on {width} px");
    }
    browser.resize(1366, 900).await;
    browser.click("#mass-start").await;
    // The list it lands on, the run entered (then run here, as the serve loop would).
    assert!(browser.text("#mass-events").await.contains("0 / 3"));
    mass_event::run_pending(&service.engine, &CancellationToken::new())
        .await
        .unwrap();
    browser.goto(&format!("{base}/mass-events")).await;
    let row = browser.text("#mass-events").await;
    assert!(row.contains("3 / 3"), "{row}");
    assert!(row.contains("Начато: 3"), "{row}");
    // Which law it was: the act, its date, the rule.
    assert!(
        row.contains("Нормативный правовой акт: Закон РК № 150-VIII от 20.11.2026"),
        "{row}"
    );
    assert!(row.contains("С какой даты: 01.01.2027"), "{row}");
    assert!(row.contains("Процент повышения: 8,5"), "{row}");
    if let Some(dir) = &shots {
        browser.screenshot(dir.join("mass-list-1366.png")).await;
    }
}
