//! What the API takes and refuses at its edge (issue #19, a probe of the running service):
//! the data of an application to a service without an application form, an IIN sent as a
//! number, an e-mail address a notice could not go to, the messages a case takes, bodies too
//! large or not JSON, and a submission sent twice with its `Idempotency-Key`. Each test asserts
//! what a client sees: the status, the stable `code` and the field each refusal names.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::runtime::Settings;
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::worker::outbox::FileOutbox;
use qyzmet::worker::{Config, Engine};

use crate::engine::api_token;

/// Almaty local time (UTC+5) as UTC.
fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
}

/// The shipped services (`rehabilitated-person-certificate` has no application form) or the
/// fixtures (`all-kinds`, whose messages are its `reply` and the hearing's `objection`).
struct Api {
    app: axum::Router,
    engine: Engine,
    /// A front-office operator of Almaty.
    desk: String,
    _dir: tempfile::TempDir,
}

async fn api(workflows: &str) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::start(Config {
        database: crate::backends::location(dir.path()).await,
        workflows: workflows.into(),
        calendars: "calendars".into(),
        settings: Settings::default(),
        clock: Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0))),
        performer: Arc::new(FileOutbox::new(dir.path().join("outbox"))),
        number_prefix: "QZ".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("the engine starts on {workflows}: {e}"));
    let desk = api_token(&engine, "almaty-desk", &["front_office_operator"], "almaty").await;
    Api {
        app: qyzmet::api::router(engine.clone()),
        engine,
        desk,
        _dir: dir,
    }
}

/// A request as a client sends it: a bearer token (none when empty), the headers, the body.
async fn send(
    app: &axum::Router,
    token: &str,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if !token.is_empty() {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

const JSON: (&str, &str) = ("content-type", "application/json");

async fn post(app: &axum::Router, token: &str, uri: &str, body: &Value) -> (StatusCode, Value) {
    send(app, token, "POST", uri, &[JSON], body.to_string()).await
}

/// An application to the rehabilitated-person certificate with `data`.
fn certificate(data: Value) -> Value {
    json!({
        "service": "rehabilitated-person-certificate",
        "region": "almaty",
        "language": "ru",
        "sms_consent": true,
        "data": data,
    })
}

/// The fields a refusal names, with their messages.
fn fields(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {body}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The message of the refusal of `field`.
fn refusal_of(body: &Value, field: &str) -> String {
    fields(body)
        .into_iter()
        .find(|(f, _)| f == field)
        .unwrap_or_else(|| panic!("{field} is not refused: {body}"))
        .1
}

/// How many cases the engine holds, in any status.
async fn cases(engine: &Engine) -> i64 {
    let counts = engine.store().counts().await.unwrap();
    counts["cases"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn an_iin_sent_as_a_number_is_refused_at_its_field_and_one_starting_with_zero_is_taken() {
    let a = api("workflows").await;

    // 611201300230 is a valid IIN, but as a number it is not what was written: an IIN of
    // someone born in 2000-2009 starts with 0, which a number cannot carry.
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &certificate(json!({ "applicant.iin": 611201300230_u64 })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid");
    let message = refusal_of(&body, "data.applicant.iin");
    assert!(message.contains("as text"), "{message}");
    // Nested, as some channels send it, the same.
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &certificate(json!({ "applicant": { "iin": 611201300230_u64 } })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(refusal_of(&body, "data.applicant.iin").contains("as text"));
    assert_eq!(cases(&a.engine).await, 0, "nothing was opened");

    // A woman born on 15.03.2005: her IIN starts with 0, and as text it is taken whole.
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &certificate(json!({ "applicant.iin": "050315600121" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap();
    let case = a.engine.case(number).await.unwrap().unwrap().case;
    assert_eq!(case.data[""]["applicant"]["iin"], "050315600121");
}

#[tokio::test]
async fn a_service_without_an_application_form_takes_only_what_is_the_applicants_to_give() {
    let a = api("tests/fixtures/definitions/valid").await;
    let all_kinds = |data: Value| json!({ "service": "all-kinds", "region": "almaty", "language": "ru", "data": data });

    // What the service finds out for itself (GBD FL's answer, the bank's, the clerk's
    // review) and names it does not have, each refused by its place in the body.
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &all_kinds(json!({
            "applicant.iin": "520315400126",
            "applicant.inn": "520315400126",
            "person.last_name": "Абенова",
            "account": { "open": true },
            "review.reason": "Құжат жоқ",
            "applicant.language": "en",
            "status": "issued",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid");
    let refused: Vec<String> = fields(&body).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        refused,
        [
            "data.applicant.inn",
            "data.person.last_name",
            "data.account.open",
            "data.review.reason",
            "data.applicant.language",
            "data.status",
        ],
        "every mistake at once, in the order sent: {body}"
    );
    assert!(
        refusal_of(&body, "data.applicant.inn").ends_with("did you mean `applicant.iin`?"),
        "{body}"
    );
    assert!(
        refusal_of(&body, "data.person.last_name").contains("step `fetch_person`"),
        "{body}"
    );
    assert!(
        refusal_of(&body, "data.account.open").contains("step `fetch_account`"),
        "{body}"
    );
    assert!(
        refusal_of(&body, "data.review.reason").contains("the clerk's form of step `review`"),
        "{body}"
    );
    assert_eq!(
        refusal_of(&body, "data.applicant.language"),
        "must be one of: kk, ru"
    );
    assert_eq!(
        refusal_of(&body, "data.status"),
        "the service `all-kinds` has no such field"
    );
    assert_eq!(cases(&a.engine).await, 0, "nothing was opened");

    // What a channel sends — the IIN and the contact addresses, and the applicant's own
    // data — opens the case, each value as its type wants it.
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &all_kinds(json!({
            "applicant": { "iin": "520315400126", "phone": "+7 701 123 45 67" },
            "applicant.email": "abenova@example.kz",
            "applicant.account": "KZ86125KZT5004100100",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap();
    let case = a.engine.case(number).await.unwrap().unwrap().case;
    assert_eq!(
        case.data[""],
        json!({
            "applicant": {
                "iin": "520315400126", "phone": "+77011234567", "email": "abenova@example.kz",
                "account": "KZ86125KZT5004100100",
            },
        })
    );
}

#[tokio::test]
async fn a_citizens_application_takes_the_fields_of_its_form_and_no_other() {
    // The certificate's application (seeds/004 appendix 1) as the desk registers it: what the
    // service records itself (GBD FL's full name, the register, the review) is not on it.
    let a = api("workflows").await;
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &certificate(json!({
            "applicant.iin": "520315400126",
            "applicant.full_name": "Абенова Айгүл Серікқызы",
            "register": { "has_certificate": false },
            "refusal.ground": "non_compliance",
            "application.kind": "passport",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let refused = fields(&body);
    for field in [
        "data.applicant.full_name",
        "data.register.has_certificate",
        "data.refusal.ground",
    ] {
        assert!(
            refused
                .iter()
                .any(|(f, m)| f == field && m.contains("not on the application")),
            "{field}: {body}"
        );
    }
    assert_eq!(
        refusal_of(&body, "data.application.kind"),
        "must be one of: certificate, duplicate"
    );
    assert_eq!(cases(&a.engine).await, 0, "nothing was opened");

    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &certificate(json!({
            "applicant": { "iin": "520315400126", "phone": "+7 701 123 45 67", "last_name": "Абенова" },
            "applicant.email": "abenova@example.kz",
            "application.kind": "duplicate",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap();
    let case = a.engine.case(number).await.unwrap().unwrap().case;
    assert_eq!(
        case.data[""],
        json!({
            "applicant": {
                "iin": "520315400126", "phone": "+77011234567", "email": "abenova@example.kz",
                "last_name": "Абенова",
            },
            "application": { "kind": "duplicate" },
        })
    );
}

#[tokio::test]
async fn an_email_address_a_notice_could_not_go_to_is_refused_at_submission() {
    let a = api("workflows").await;
    for bad in ["abenova at example.kz", "abenova@", "a@@example.kz"] {
        let (status, body) = post(
            &a.app,
            &a.desk,
            "/cases",
            &certificate(json!({ "applicant.iin": "520315400126", "applicant.email": bad })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(
            fields(&body),
            [(
                "data.applicant.email".to_string(),
                "must be an e-mail address, like name@example.kz".to_string()
            )],
            "{bad}"
        );
    }
    assert_eq!(cases(&a.engine).await, 0);
}

/// A message to case `number`.
async fn message(a: &Api, number: &str, body: Value) -> (StatusCode, Value) {
    post(&a.app, &a.desk, &format!("/cases/{number}/messages"), &body).await
}

#[tokio::test]
async fn a_case_takes_only_the_messages_its_service_declares_of_bounded_size_and_number() {
    let a = api("tests/fixtures/definitions/valid").await;
    let (status, body) = post(
        &a.app,
        &a.desk,
        "/cases",
        &json!({ "service": "all-kinds", "region": "almaty",
                 "data": { "applicant.iin": "850315300128", "applicant.account": "KZ01" } }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap().to_string();

    // A name nobody declares, or none at all.
    for (name, says) in [
        (
            "",
            "a message needs the name of one the service declares (it takes: reply, objection)",
        ),
        (
            "replly",
            "the service `all-kinds` declares no message `replly`: did you mean `reply`?",
        ),
    ] {
        let (status, body) = message(
            &a,
            &number,
            json!({ "name": name, "payload": { "text": "x" } }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "invalid");
        assert_eq!(fields(&body), [("name".to_string(), says.to_string())]);
    }
    // Fields the message does not declare, or not of their type.
    let (status, body) = message(
        &a,
        &number,
        json!({ "name": "reply", "payload": { "txt": "x", "text": 5 } }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        fields(&body),
        [
            (
                "payload.txt".to_string(),
                "the message `reply` has no field `txt`: did you mean `text`?".to_string()
            ),
            ("payload.text".to_string(), "must be text".to_string()),
        ]
    );
    // A field the step that takes the message records cannot be left out: the step could
    // not take it, now or later from the inbox.
    let (status, body) = message(&a, &number, json!({ "name": "reply", "payload": {} })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        fields(&body),
        [(
            "payload.text".to_string(),
            "required: step `ask` records it from the message".to_string()
        )]
    );
    // Over 64 KiB: refused before it is read whole.
    let big = "я".repeat(40 * 1024);
    let (status, body) = message(
        &a,
        &number,
        json!({ "name": "reply", "payload": { "text": big } }),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    assert!(
        a.engine
            .case(&number)
            .await
            .unwrap()
            .unwrap()
            .case
            .inbox
            .is_empty(),
        "nothing refused waits in the inbox"
    );

    // The service's own message and its sub-workflow's wait, 20 of them at most.
    let (status, body) = message(
        &a,
        &number,
        json!({ "name": "objection", "payload": { "text": "Не согласен" } }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    for i in 1..20 {
        let (status, body) = message(
            &a,
            &number,
            json!({ "name": "reply", "payload": { "text": format!("reply {i}") } }),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{i}: {body}");
    }
    let (status, body) = message(
        &a,
        &number,
        json!({ "name": "reply", "payload": { "text": "one too many" } }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "inbox_full");
    assert!(
        body["message"].as_str().unwrap().contains("20 messages"),
        "{body}"
    );
    let case = a.engine.case(&number).await.unwrap().unwrap().case;
    assert_eq!(case.inbox.len(), 20);
}

#[tokio::test]
async fn every_json_endpoint_answers_413_and_415_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(Options {
        database: crate::backends::database(dir.path()).await,
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
    let token = api_token(
        &service.engine,
        "everything",
        &[
            "front_office_operator",
            "provider_specialist",
            "administrator",
        ],
        "almaty",
    )
    .await;
    let doc = serde_json::to_value(qyzmet::api::openapi()).unwrap();

    // Every operation the document says takes JSON: over the limit (10 MB, as the probe sent)
    // it is 413, and a body that is not declared JSON is 415, each in the error shape and
    // each documented.
    let mut json_operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                json_operations.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    assert!(json_operations.len() >= 9, "{json_operations:?}");
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    for (method, path, operation) in &json_operations {
        let uri = path
            .replace("{number}", "QZ-2026-000001")
            .replace(['{', '}'], "");
        let (status, body) = send(&app, &token, method, &uri, &[JSON], ten_mb.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
            "{method} {path}: {body}"
        );
        let (status, body) = send(
            &app,
            &token,
            method,
            &uri,
            &[("content-type", "text/plain")],
            "{}",
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            ),
            "{method} {path}: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
        for status in ["413", "415"] {
            assert!(
                operation["responses"].get(status).is_some(),
                "{method} {path} does not document {status}"
            );
        }
    }
    // A definition is YAML (`application/yaml`, or `text/plain` as a plain upload sends it):
    // JSON or a form is 415, documented.
    let methodologist = api_token(&service.engine, "meth", &["methodologist"], "kz").await;
    for content_type in ["application/json", "application/x-www-form-urlencoded"] {
        let (status, body) = send(
            &app,
            &methodologist,
            "POST",
            "/definitions",
            &[("content-type", content_type)],
            "id: x",
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            ),
            "{content_type}: {body}"
        );
    }
    assert!(
        doc["paths"]["/definitions"]["post"]["responses"]
            .get("415")
            .is_some()
    );
    // A malformed body is still a 422 naming the mistake.
    let (status, body) = send(&app, &token, "POST", "/cases", &[JSON], "{\"service\": 7").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
}

#[tokio::test]
async fn a_submission_sent_again_with_its_idempotency_key_opens_one_case() {
    let a = api("workflows").await;
    let application =
        certificate(json!({ "applicant.iin": "520315400126", "applicant.phone": "+77011234567" }));
    let key = ("idempotency-key", "7c9e6679-7425-40de-944b-e07fc1f90ae7");

    // A refused application leaves no key behind: the key exists only with its case.
    let (status, body) = send(
        &a.app,
        &a.desk,
        "POST",
        "/cases",
        &[JSON, key],
        certificate(json!({ "applicant.iin": "520315400127" })).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, first) = send(
        &a.app,
        &a.desk,
        "POST",
        "/cases",
        &[JSON, key],
        application.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // Sent again — as it was, or with its data nested and its keys in another order — it
    // answers the same case and opens nothing.
    let nested = json!({
        "data": { "applicant": { "phone": "+77011234567", "iin": "520315400126" } },
        "sms_consent": true, "language": "ru", "region": "almaty",
        "service": "rehabilitated-person-certificate",
    });
    for again in [&application, &nested] {
        let (status, body) = send(
            &a.app,
            &a.desk,
            "POST",
            "/cases",
            &[JSON, key],
            again.to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["number"], first["number"]);
    }
    assert_eq!(cases(&a.engine).await, 1);

    // Several at once: one case.
    let other = ("idempotency-key", "retry-storm-1");
    let storm: Vec<_> = (0..5)
        .map(|_| {
            let (app, desk, body) = (a.app.clone(), a.desk.clone(), application.to_string());
            tokio::spawn(
                async move { send(&app, &desk, "POST", "/cases", &[JSON, other], body).await },
            )
        })
        .collect();
    let mut answers = Vec::new();
    for request in storm {
        answers.push(request.await.unwrap());
    }
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let repeated = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!((created, repeated), (1, 4), "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(_, b)| b["number"] == answers[0].1["number"])
    );
    assert_eq!(cases(&a.engine).await, 2);

    // The same key for another application is refused, naming the header.
    let changed = certificate(json!({ "applicant.iin": "611201300230" }));
    let (status, body) = send(
        &a.app,
        &a.desk,
        "POST",
        "/cases",
        &[JSON, key],
        changed.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "idempotency_key_reused");
    assert_eq!(body["fields"][0]["field"], "Idempotency-Key");
    assert_eq!(cases(&a.engine).await, 2);

    // A key is its caller's: another desk's same key is another case.
    let other_desk = api_token(
        &a.engine,
        "almaty-desk-2",
        &["front_office_operator"],
        "almaty",
    )
    .await;
    let (status, body) = send(
        &a.app,
        &other_desk,
        "POST",
        "/cases",
        &[JSON, key],
        application.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["number"], first["number"]);

    // A key that is not one.
    for bad in ["", "with space", &"k".repeat(256)] {
        let (status, body) = send(
            &a.app,
            &a.desk,
            "POST",
            "/cases",
            &[JSON, ("idempotency-key", bad)],
            application.to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        assert_eq!(
            (body["code"].as_str(), body["fields"][0]["field"].as_str()),
            (Some("invalid"), Some("Idempotency-Key"))
        );
    }
    assert_eq!(cases(&a.engine).await, 3);
}
