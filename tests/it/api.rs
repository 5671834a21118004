//! The API a clerk's queue, a methodologist's deployment and a client's code generator use:
//! the filters, order and pages of `GET /tasks`; the service versions of `/definitions`
//! and a deployment through `POST /definitions` that the next start loads; and the
//! OpenAPI document, which must describe exactly the routes the routers serve.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Settings, Submission};
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::worker::outbox::FileOutbox;
use qyzmet::worker::{Config, Engine};

use crate::engine::api_token;

/// Almaty local time (UTC+5) as UTC.
fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
}

async fn engine(
    workflows: &Path,
    calendars: &Path,
    data: &Path,
    clock: Arc<ManualClock>,
) -> Engine {
    std::fs::create_dir_all(data).unwrap();
    Engine::start(Config {
        database: data.join("qyzmet.db").into(),
        workflows: workflows.to_path_buf(),
        calendars: calendars.to_path_buf(),
        settings: Settings::default(),
        clock,
        performer: Arc::new(FileOutbox::new(data.join("outbox"))),
        number_prefix: "QZ".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("the engine starts on {}: {e}", workflows.display()))
}

/// A request with a bearer token (none when empty) and a body of `content_type`.
async fn send(
    app: &axum::Router,
    token: &str,
    method: &str,
    uri: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if !token.is_empty() {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if !content_type.is_empty() {
        request = request.header("content-type", content_type);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn get(app: &axum::Router, token: &str, uri: &str) -> (StatusCode, Value) {
    send(app, token, "GET", uri, "", String::new()).await
}

/// The keys of a page of `GET /tasks`, in order.
fn keys(page: &Value) -> Vec<String> {
    page["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page of tasks: {page}"))
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_string())
        .collect()
}

fn owned(keys: &[&String]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

fn submission() -> Submission {
    Submission {
        data: json!({ "applicant.iin": "850315300128", "applicant.account": "KZ01", "applicant.language": "kk" }),
        channel: "state_corporation".into(),
        language: Language::Kk,
        sms_consent: false,
        region: "almaty".into(),
    }
}

#[tokio::test]
async fn the_task_list_filters_by_status_due_time_and_assignee_sorts_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let e = engine(
        Path::new("tests/fixtures/definitions/valid"),
        Path::new("calendars"),
        dir.path(),
        clock.clone(),
    )
    .await;
    let app = qyzmet::api::router(e.clone());
    let desk = api_token(
        &e,
        "desk",
        &["front_office_operator", "provider_specialist"],
        "almaty",
    )
    .await;
    let other = api_token(&e, "other-desk", &["front_office_operator"], "almaty").await;

    // Acceptance tasks due 20 minutes after each submission: A at 10:00, B 10:10, C 10:20,
    // D 10:30. A is accepted at 10:20, which opens its review, due a working day later.
    let mut accept = Vec::new();
    for minute in [0, 10, 20, 30] {
        clock.set(almaty(2026, 11, 23, 10, minute));
        let number = e.submit("all-kinds", submission()).await.unwrap();
        let task = e.store().tasks(None, None, Some(&number)).await.unwrap();
        accept.push((number, task[0].key.clone()));
        if minute == 20 {
            e.complete(&accept[0].1, "complete", json!({}), "desk")
                .await
                .unwrap();
            e.drain().await.unwrap();
        }
    }
    let review = e
        .store()
        .tasks(Some("provider_specialist"), None, Some(&accept[0].0))
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(review.created_at, almaty(2026, 11, 23, 10, 20));
    assert_eq!(
        review.due_at,
        Some(almaty(2026, 11, 24, 18, 0)),
        "the end of the next working day"
    );
    // A task without a due time (no shipped step has one; a future one may).
    sqlx::query(
        "insert into tasks (key, case_id, number, step, role, region, status, due_at, created_at, updated_at) \
         select 'undated', id, number, 'accept', 'front_office_operator', 'almaty', 'open', null, ?1, ?1 \
         from cases where number = ?2",
    )
    .bind("2026-11-23T05:05:00.000000Z")
    .bind(&accept[1].0)
    .execute(e.store().sqlite_pool().unwrap())
    .await
    .unwrap();
    let [b, c, d] = [&accept[1].1, &accept[2].1, &accept[3].1].map(String::clone);
    let r = review.key.clone();
    let u = "undated".to_string();

    // 10:35: B (due 10:30) is overdue; C (10:40) and D (10:50) are due within the hour; the
    // review is due tomorrow at 18:00, 31 hours 25 minutes from now.
    clock.set(almaty(2026, 11, 23, 10, 35));
    let (status, page) = get(&app, &desk, "/tasks").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        keys(&page),
        owned(&[&b, &c, &d, &r, &u]),
        "most urgent first, undated last"
    );
    assert_eq!(
        (&page["total"], &page["limit"], &page["offset"]),
        (&json!(5), &json!(50), &json!(0))
    );
    let cases = [
        ("/tasks?overdue=true", vec![&b]),
        ("/tasks?overdue=false", vec![&c, &d, &r, &u]),
        ("/tasks?due_within_hours=1", vec![&c, &d]),
        ("/tasks?overdue=true&due_within_hours=1", vec![&b, &c, &d]),
        ("/tasks?due_within_hours=31", vec![&c, &d]),
        ("/tasks?due_within_hours=32", vec![&c, &d, &r]),
        ("/tasks?role=provider_specialist", vec![&r]),
        ("/tasks?sort=due&order=desc", vec![&r, &d, &c, &b, &u]),
        ("/tasks?sort=created", vec![&u, &b, &c, &r, &d]),
    ];
    let sorted_created_tie = {
        // C and the review were both created at 10:20: the key breaks the tie.
        let mut tie = [c.clone(), r.clone()];
        tie.sort();
        tie
    };
    for (uri, expected) in cases {
        let (status, page) = get(&app, &desk, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
        let mut expected: Vec<String> = expected.into_iter().cloned().collect();
        if uri == "/tasks?sort=created" {
            expected.splice(2..4, sorted_created_tie.clone());
        }
        assert_eq!(keys(&page), expected, "{uri}");
        assert_eq!(page["total"], expected.len(), "{uri}");
    }
    let (_, newest) = get(&app, &desk, "/tasks?sort=created&order=desc").await;
    assert_eq!(keys(&newest)[0], d, "the newest first");
    assert_eq!(keys(&newest)[4], u, "the oldest last");

    // Pages: the same order cut in pieces, the total on each, and past the end empty.
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        let (_, page) = get(&app, &desk, &format!("/tasks?limit=2&offset={offset}")).await;
        assert_eq!(
            (&page["total"], &page["limit"], &page["offset"]),
            (&json!(5), &json!(2), &json!(offset))
        );
        paged.extend(keys(&page));
    }
    assert_eq!(paged, owned(&[&b, &c, &d, &r, &u]));
    let (_, past) = get(&app, &desk, "/tasks?limit=2&offset=10").await;
    assert_eq!(
        past,
        json!({ "tasks": [], "total": 5, "limit": 2, "offset": 10 })
    );
    let (_, count) = get(&app, &desk, "/tasks?limit=0").await;
    assert_eq!(
        count,
        json!({ "tasks": [], "total": 5, "limit": 0, "offset": 0 })
    );

    // Claimed and open; "mine" is what the principal claimed, not what another clerk did.
    let (status, _) = send(
        &app,
        &desk,
        "POST",
        &format!("/tasks/{c}/claim"),
        "",
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, claimed) = get(&app, &desk, "/tasks?status=claimed").await;
    assert_eq!(keys(&claimed), owned(&[&c]));
    assert_eq!(claimed["tasks"][0]["assignee"], "desk");
    let (_, open) = get(&app, &desk, "/tasks?status=open").await;
    assert_eq!(keys(&open), owned(&[&b, &d, &r, &u]));
    let (_, mine) = get(&app, &desk, "/tasks?assignee=me").await;
    assert_eq!(keys(&mine), owned(&[&c]));
    let (_, theirs) = get(&app, &other, "/tasks?assignee=me").await;
    assert_eq!(keys(&theirs), Vec::<String>::new());
    let (_, overdue_open) = get(&app, &other, "/tasks?status=open&overdue=true").await;
    assert_eq!(
        keys(&overdue_open),
        owned(&[&b]),
        "the other clerk's roles: no review"
    );

    // A wrong value is refused, naming the parameter; so is a parameter that does not exist.
    for (uri, field) in [
        ("/tasks?limit=abc", "limit"),
        ("/tasks?limit=501", "limit"),
        ("/tasks?offset=-1", "offset"),
        ("/tasks?status=closed", "status"),
        ("/tasks?overdue=yes", "overdue"),
        ("/tasks?due_within_hours=0", "due_within_hours"),
        ("/tasks?assignee=desk", "assignee"),
        ("/tasks?sort=priority", "sort"),
        ("/tasks?order=up", "order"),
        ("/tasks?role=clerk", "role"),
    ] {
        let (status, body) = get(&app, &desk, uri).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert_eq!(body["code"], "invalid", "{uri}");
        assert_eq!(body["fields"][0]["field"], field, "{uri}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(field),
            "{uri}: {body}"
        );
    }
    let (status, body) = get(&app, &desk, "/tasks?sort_by=due").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("sort_by"),
        "{body}"
    );
    // The role and region rules stay: a queue of another role or region is refused.
    let (status, _) = get(&app, &other, "/tasks?role=provider_specialist").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, &other, "/tasks?region=astana").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A workflows folder of its own beside the repository's templates and calendars, as an
/// installation lays it out; the repository's own `workflows/` is never written to.
pub(crate) fn installation() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("workflows"), &dir.path().join("workflows"));
    for shared in ["templates", "calendars"] {
        std::os::unix::fs::symlink(
            std::path::absolute(shared).unwrap(),
            dir.path().join(shared),
        )
        .unwrap();
    }
    let workflows = dir.path().join("workflows");
    (dir, workflows)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

const SERVICE: &str = "rehabilitated-person-certificate";
const CURRENT: &str = "workflows/rehabilitated-person-certificate/2026-04-13.yaml";

/// The shipped version of the certificate, as a new version `version` from `from`.
pub(crate) fn new_version(version: &str, from: &str) -> String {
    let text = std::fs::read_to_string(CURRENT).unwrap();
    let text = text
        .replace("version: 2026-04-13", &format!("version: {version}"))
        .replace(
            "effective_from: 2026-04-13",
            &format!("effective_from: {from}"),
        );
    assert!(text.contains(&format!("version: {version}")));
    text
}

/// The YAML media type a methodologist's tool sends.
const YAML: &str = "application/yaml";

#[tokio::test]
async fn a_new_version_is_checked_as_a_start_would_written_and_in_force_after_the_restart() {
    let (dir, workflows) = installation();
    // The running version ends on 31 January 2027 of its own (an open-ended one is ended by
    // its successor: see the next test).
    let current = workflows.join(SERVICE).join("2026-04-13.yaml");
    let text = std::fs::read_to_string(&current).unwrap().replace(
        "effective_from: 2026-04-13\n",
        "effective_from: 2026-04-13\neffective_until: 2027-01-31\n",
    );
    std::fs::write(&current, text).unwrap();
    let data = dir.path().join("data");
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let calendars = Path::new("calendars");
    let e = engine(&workflows, calendars, &data, clock.clone()).await;
    let app = qyzmet::api::router(e.clone());
    let methodologist = api_token(&e, "method", &["methodologist"], "kz").await;
    let clerk = api_token(&e, "desk", &["front_office_operator"], "almaty").await;

    // Every deployed version, to any signed-in staff member; to nobody else.
    let (status, all) = get(&app, &clerk, "/definitions").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let current = all
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["service"] == SERVICE)
        .unwrap_or_else(|| panic!("{all}"));
    assert_eq!(current["version"], "2026-04-13");
    assert_eq!(current["kind"], "service");
    assert_eq!(current["effective_from"], "2026-04-13");
    assert_eq!(current["effective_until"], "2027-01-31");
    assert_eq!(current["in_force"], true);
    assert_eq!(current["running"], true);
    assert_eq!(
        current["title"]["ru"],
        "Выдача удостоверения реабилитированному лицу"
    );
    assert_eq!(current["hash"].as_str().unwrap().len(), 16);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|v| v["service"] == "hearing" && v["kind"] == "subworkflow"),
        "{all}"
    );
    let (status, _) = get(&app, "", "/definitions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(&app, &clerk, "/definitions/no-such-service").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // Deploying is a methodologist's or an administrator's, and takes YAML.
    let next = new_version("2027-02-01", "2027-02-01");
    let (status, _) = send(&app, "", "POST", "/definitions", YAML, next.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = send(&app, &clerk, "POST", "/definitions", YAML, next.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, body) = send(
        &app,
        &methodologist,
        "POST",
        "/definitions",
        "application/json",
        next.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");

    // A version with a mistake is refused with each problem at its line and column.
    let broken = next.replacen("next: notify_not_accepted", "next: notify_not_acepted", 1);
    assert!(broken != next, "the mistake is made");
    let line = broken
        .lines()
        .position(|l| l.contains("notify_not_acepted"))
        .unwrap()
        + 1;
    let (status, body) = send(&app, &methodologist, "POST", "/definitions", YAML, broken).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid");
    let problem = &body["fields"][0];
    assert_eq!(
        problem["file"], "workflows/rehabilitated-person-certificate/2027-02-01.yaml",
        "{body}"
    );
    assert_eq!(problem["line"], line, "{body}");
    assert!(problem["column"].as_u64().unwrap() > 1, "{body}");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("notify_not_acepted"),
        "{body}"
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("2027-02-01.yaml:{line}:")),
        "the message says file:line:column: {message}"
    );
    // Not YAML at all: the parser's position.
    let (status, body) = send(
        &app,
        &methodologist,
        "POST",
        "/definitions",
        "text/plain",
        "service: x\nversion: [1\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"][0]["line"].as_u64().unwrap() >= 2, "{body}");
    assert!(body["fields"][0]["column"].as_u64().is_some(), "{body}");
    assert!(!workflows.join(SERVICE).join("2027-02-01.yaml").exists());
    // YAML that would take the server down (issue #19): an alias bomb and 100,000 nested
    // `- ` are one problem each, at their place; a body over 1 MiB is not read at all.
    let bomb =
        std::fs::read_to_string("tests/fixtures/definitions/invalid/alias_bomb.yaml").unwrap();
    let deep = format!("{}x\n", "- ".repeat(100_000));
    for (text, line, column, message) in [
        (bomb, 7, 8, "this alias takes the document past its limit"),
        (deep, 1, 129, "nested more than 64 levels deep"),
    ] {
        let (status, body) = send(&app, &methodologist, "POST", "/definitions", YAML, text).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problems = body["fields"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{body}");
        assert_eq!(
            (
                &problems[0]["file"],
                &problems[0]["line"],
                &problems[0]["column"]
            ),
            (
                &json!("workflows/posted.yaml"),
                &json!(line),
                &json!(column)
            ),
            "{body}"
        );
        assert!(
            problems[0]["message"]
                .as_str()
                .unwrap()
                .starts_with(message),
            "{body}"
        );
    }
    let huge = format!("service: x\ntitle: \"{}\"\n", "x".repeat(1 << 20));
    let (status, body) = send(&app, &methodologist, "POST", "/definitions", YAML, huge).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{body}"
    );

    // A good one: recorded, journalled, written beside the running version, not yet running.
    let (status, body) = send(
        &app,
        &methodologist,
        "POST",
        "/definitions",
        YAML,
        next.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        body,
        json!({ "service": SERVICE, "version": "2027-02-01", "active_after_restart": true, "running": false })
    );
    let written = workflows.join(SERVICE).join("2027-02-01.yaml");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), next);
    let mut files: Vec<String> = std::fs::read_dir(workflows.join(SERVICE))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["2026-04-13.yaml", "2027-02-01.yaml", "scenarios"],
        "no temporary file left"
    );
    let (_, versions) = get(&app, &clerk, &format!("/definitions/{SERVICE}")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2, "{versions}");
    assert_eq!(versions[1]["version"], "2027-02-01");
    assert_eq!(versions[1]["running"], false);
    assert_eq!(versions[1]["in_force"], false);
    assert_eq!(versions[1]["effective_from"], "2027-02-01");
    assert_eq!(versions[1]["title"]["kk"], "Ақталған адамға куәлік беру");
    // The same text again changes nothing; another text under the same version is refused.
    let (status, _) = send(
        &app,
        &methodologist,
        "POST",
        "/definitions",
        YAML,
        next.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let changed = next.replacen("ru: Выдача", "ru: Выдача нового", 1);
    let (status, body) = send(&app, &methodologist, "POST", "/definitions", YAML, changed).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{body}"
    );
    let journalled: i64 = sqlx::query_scalar(
        "select count(*) from audit where action = 'definition_deployed' and actor = 'method' \
         and object = 'rehabilitated-person-certificate/2027-02-01'",
    )
    .fetch_one(e.store().sqlite_pool().unwrap())
    .await
    .unwrap();
    assert_eq!(journalled, 1, "one deployment, one record");

    // The running engine keeps its versions; the next start loads the new one, which new
    // cases take from its first day.
    drop(app);
    drop(e);
    clock.set(almaty(2027, 2, 1, 10, 0));
    let e = engine(&workflows, calendars, &data, clock.clone()).await;
    let app = qyzmet::api::router(e.clone());
    let (_, versions) = get(&app, &clerk, &format!("/definitions/{SERVICE}")).await;
    let by_version = |v: &str| {
        versions
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["version"] == v)
            .cloned()
            .unwrap_or_else(|| panic!("{versions}"))
    };
    assert_eq!(by_version("2027-02-01")["running"], true);
    assert_eq!(by_version("2027-02-01")["in_force"], true);
    assert_eq!(by_version("2026-04-13")["in_force"], false);
    let (status, body) = send(
        &app,
        &methodologist,
        "POST",
        "/definitions",
        YAML,
        next.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "running already: {body}");
    assert_eq!(body["running"], true);
}

#[tokio::test]
async fn a_new_version_ends_the_open_ended_one_the_day_before_it_starts() {
    // The shipped version has no `effective_until`, as an order rarely says when the rules
    // it replaces end. A new version (a new order, seeds/004 item 4) ends it the day before
    // its own first day; the running version's file is not touched, so its hash holds.
    let (dir, workflows) = installation();
    let shipped = std::fs::read_to_string(workflows.join(SERVICE).join("2026-04-13.yaml")).unwrap();
    let data = dir.path().join("data");
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let e = engine(&workflows, Path::new("calendars"), &data, clock.clone()).await;
    let app = qyzmet::api::router(e.clone());
    let admin = api_token(&e, "admin", &["administrator"], "kz").await;
    let next = new_version("2027-02-01", "2027-02-01");
    let (status, body) = send(&app, &admin, "POST", "/definitions", YAML, next).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        std::fs::read_to_string(workflows.join(SERVICE).join("2026-04-13.yaml")).unwrap(),
        shipped
    );
    drop(app);
    drop(e);

    let e = engine(&workflows, Path::new("calendars"), &data, clock).await;
    let app = qyzmet::api::router(e.clone());
    let (status, versions) = get(&app, &admin, &format!("/definitions/{SERVICE}")).await;
    assert_eq!(status, StatusCode::OK, "{versions}");
    let version = |v: &str| {
        versions
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["version"] == v)
            .cloned()
            .unwrap_or_else(|| panic!("{versions}"))
    };
    let old = version("2026-04-13");
    assert_eq!(old["effective_until"], "2027-01-31");
    assert_eq!(
        (old["in_force"].as_bool(), old["running"].as_bool()),
        (Some(true), Some(true))
    );
    let new = version("2027-02-01");
    assert_eq!(new["effective_until"], Value::Null);
    assert_eq!(
        (new["in_force"].as_bool(), new["running"].as_bool()),
        (Some(false), Some(true))
    );
}

/// Every operation the routers serve, as `METHOD /path`: the engine's API, then the
/// integration endpoints of a running service.
const OPERATIONS: &[&str] = &[
    "GET /health",
    "GET /openapi.json",
    "POST /cases",
    "GET /cases",
    "GET /cases/{number}",
    "POST /cases/{number}/messages",
    "POST /cases/{number}/withdraw",
    "GET /tasks",
    "POST /tasks/{key}/claim",
    "POST /tasks/{key}/unclaim",
    "POST /tasks/{key}/complete",
    "GET /department/tasks",
    "POST /tasks/{key}/reassign",
    "POST /tasks/{key}/take-over",
    "POST /tasks/{key}/release",
    "GET /incidents",
    "POST /incidents/retry",
    "POST /incidents/{key}/retry",
    "GET /definitions",
    "POST /definitions",
    "GET /definitions/{service}",
    "POST /session",
    "GET /session",
    "DELETE /session",
    "POST /session/password",
    "GET /accounts",
    "POST /accounts",
    "GET /accounts/journal",
    "GET /accounts/{login}",
    "POST /accounts/{login}/block",
    "POST /accounts/{login}/unblock",
    "POST /accounts/{login}/password-reset",
    "POST /accounts/{login}/unlock",
    "PUT /accounts/{login}/rights",
    "POST /accounts/{login}/reactivate",
    "GET /accounts/{login}/tokens",
    "POST /accounts/{login}/tokens",
    "DELETE /accounts/{login}/tokens/{id}",
    "GET /metrics",
    "POST /gateway/answers",
    "POST /notify/sms/status",
    "POST /monitoring/replay",
    "POST /portal/applications",
    "POST /integrations/sms/replies",
    "POST /services/{service}/waves",
    "GET /waves/{id}",
    "GET /cases/{number}/documents/{id}",
    "POST /services/{service}/events/{event}",
    "GET /services/{service}/events/mass/{id}",
    "GET /reports/compliance",
    "GET /archive",
    "POST /archive/{number}/restore",
];

/// The operations anybody may call.
const PUBLIC: &[&str] = &["GET /health", "GET /openapi.json", "POST /session"];

/// Every (`METHOD /path`, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.push((
                    format!("{} {path}", method.to_uppercase()),
                    operation.clone(),
                ));
            }
        }
    }
    out
}

/// Every `$ref` in the document.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes_served() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(Options {
        database: None,
        data_dir: dir.path().join("data"),
        workflows: "workflows".into(),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: FileConfig::embedded(),
        clock: Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0))),
        env: Arc::new(|_| None),
    })
    .await
    .expect("the service starts");
    let app = service.router();

    // Served to anybody, and the same document the code builds.
    let (status, doc) = get(&app, "", "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc, serde_json::to_value(qyzmet::api::openapi()).unwrap());

    // OpenAPI 3.x, every operation with its answers, its security said, and the error shape.
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "qyzmet");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        (&schemes["session"]["in"], &schemes["session"]["name"]),
        (&json!("cookie"), &json!("qyzmet_session"))
    );
    assert_eq!(
        (&schemes["csrf"]["in"], &schemes["csrf"]["name"]),
        (&json!("header"), &json!("X-CSRF-Token"))
    );
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], json!(["code", "message"]), "{error}");
    assert!(error["properties"]["fields"].is_object(), "{error}");

    let documented = operations(&doc);
    let parameter = regex::Regex::new(r"\{(\w+)\}").unwrap();
    let names: BTreeSet<&str> = documented.iter().map(|(n, _)| n.as_str()).collect();
    let expected: BTreeSet<&str> = OPERATIONS.iter().copied().collect();
    assert_eq!(
        names, expected,
        "the document's operations are the routers'"
    );
    assert_eq!(documented.len(), OPERATIONS.len(), "no operation twice");
    for (name, operation) in &documented {
        let responses = operation["responses"].as_object().unwrap();
        assert!(!responses.is_empty(), "{name} has no responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name} has no success"
        );
        assert!(responses.contains_key("500"), "{name}");
        let security = operation["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no security"));
        let anonymous = security.iter().any(|r| r == &json!({}));
        assert_eq!(
            anonymous,
            PUBLIC.contains(&name.as_str()),
            "{name}: {security:?}"
        );
        if !anonymous {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{name} lacks {status}");
            }
        }
        // Each `{parameter}` of the path is documented as one.
        let path = name.split_once(' ').unwrap().1;
        for param in parameter.captures_iter(path) {
            let documented = operation["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["name"] == param[1] && p["in"] == "path" && p["required"] == true)
            });
            assert!(
                documented,
                "{name}: path parameter {} undocumented",
                &param[1]
            );
        }
    }
    let tasks = &documented
        .iter()
        .find(|(n, _)| n == "GET /tasks")
        .unwrap()
        .1;
    let params: BTreeSet<&str> = tasks["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "role",
        "region",
        "case",
        "status",
        "overdue",
        "due_within_hours",
        "assignee",
        "sort",
        "order",
        "limit",
        "offset",
    ] {
        assert!(params.contains(p), "GET /tasks lacks parameter {p}");
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
        assert!(target.is_some(), "{r} resolves to nothing");
    }

    // And the routers serve each one: anonymously, a protected operation says 401 in the
    // error shape (a missing route would be 404 or 405), a public one answers.
    for (name, _) in &documented {
        let (method, path) = name.split_once(' ').unwrap();
        let uri = parameter.replace_all(path, "x");
        let (status, body) = send(&app, "", method, &uri, "application/json", String::new()).await;
        if PUBLIC.contains(&name.as_str()) {
            assert!(
                ![
                    StatusCode::NOT_FOUND,
                    StatusCode::METHOD_NOT_ALLOWED,
                    StatusCode::UNAUTHORIZED
                ]
                .contains(&status),
                "{name}: {status}"
            );
        } else {
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
                "{name}"
            );
        }
    }
}

/// `GET /tasks` takes the `offset` its document describes and refuses one past it, naming the
/// parameter: the document's 32-bit bound and the server's agreed nowhere, and schemathesis
/// found 2147483648, which the document says is wrong, answered 200.
#[tokio::test]
async fn the_task_list_refuses_an_offset_past_the_documented_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let e = engine(
        Path::new("tests/fixtures/definitions/valid"),
        Path::new("calendars"),
        dir.path(),
        clock,
    )
    .await;
    let app = qyzmet::api::router(e.clone());
    let desk = api_token(&e, "desk", &["front_office_operator"], "almaty").await;

    let doc = serde_json::to_value(qyzmet::api::openapi()).unwrap();
    let offset = doc["paths"]["/tasks"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "offset")
        .expect("GET /tasks documents offset");
    let maximum = offset["schema"]["maximum"]
        .as_u64()
        .expect("the document bounds offset");

    let (status, page) = get(&app, &desk, &format!("/tasks?offset={maximum}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["offset"], json!(maximum));
    let (status, body) = get(&app, &desk, &format!("/tasks?offset={}", maximum + 1)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "offset", "{body}");
}
