//! The endpoints other systems call back (issue #19): a state system's answer through the
//! gateway and an SMS aggregator's delivery report move a case, so only the integration's own
//! system account posts them, into the cases of its region, and the journal says who did and
//! who was refused. Driven through the whole `Service`'s router, as `serve` answers.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Submission, Work};
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::store::JobStatus;

use crate::notify::mail_server;
use crate::service::{IIN, acceptance_form, aggregator, almaty, running};

/// Posts `body` to `uri` with `token`; the status.
async fn post(app: &axum::Router, token: &str, uri: &str, body: &str) -> StatusCode {
    app.clone()
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

/// Posts JSON `body` to `uri` with `token`; the status and the answer.
async fn call(app: &axum::Router, token: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .clone()
        .oneshot(
            Request::post(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
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

/// The journal of `service` as `ACTOR ACTION OBJECT` lines.
async fn journal(service: &Service) -> Vec<String> {
    qyzmet::store::audit::page(&mut service.engine.store().read().await.unwrap(), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let r = r.unwrap();
            format!(
                "{} {} {}",
                r.actor,
                r.action,
                r.object.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

/// The kinds of the case's history lines.
async fn history(service: &Service, number: &str) -> Vec<String> {
    let view = service.engine.case(number).await.unwrap().unwrap();
    view.history.into_iter().map(|h| h.kind).collect()
}

#[tokio::test]
async fn a_state_systems_answer_is_posted_only_by_the_gateways_account_of_the_cases_region() {
    // GBD FL on the gateway's asynchronous channel, the simulator answering.
    let dir = tempfile::tempdir().unwrap();
    let connectors = dir.path().join("connectors.yaml");
    let text = std::fs::read_to_string("config/connectors.yaml").unwrap();
    std::fs::write(&connectors, crate::gateway::asynchronous(text)).unwrap();
    let config = dir.path().join("qyzmet.yaml");
    std::fs::write(
        &config,
        format!(
            "gateway:\n  connectors: {}\n  simulator: true\n",
            connectors.display()
        ),
    )
    .unwrap();
    // The installation's own gateway account, without which an asynchronous connector does
    // not start; the test's accounts are made beside it.
    crate::answers::gateway_account(&dir.path().join("data"), "shep").await;
    let service = Service::start(Options {
        database: None,
        data_dir: dir.path().join("data"),
        workflows: "workflows".into(),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: FileConfig::load(&config).unwrap(),
        clock: Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0))),
        env: Arc::new(|_| None),
    })
    .await
    .unwrap();
    let engine = &service.engine;
    let token = |login: &'static str, roles: &'static [&'static str], region: &'static str| {
        crate::engine::api_token(engine, login, roles, region)
    };
    let clerk = token("desk", &["front_office_operator"], "almaty").await;
    let admin = token("ops", &["administrator"], "kz").await;
    let astana = token("shep-astana", &["gateway_system"], "astana").await;
    // The administrator makes the gateway's account as any other, then its token.
    let app = service.router();
    let (status, _) = call(
        &app,
        &admin,
        "/accounts",
        json!({ "login": "shep-almaty", "full_name": "ШЭП", "email": "shep@example.kz",
                "roles": ["gateway_system"], "region": "almaty" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, issued) = call(
        &app,
        &admin,
        "/accounts/shep-almaty/tokens",
        json!({ "name": "shep" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let almaty_gateway = issued["token"].as_str().unwrap().to_string();

    // An Almaty case whose request to GBD FL the gateway acknowledged, and its answer, as
    // the gateway would deliver it.
    let number = engine
        .submit(
            "rehabilitated-person-certificate",
            Submission {
                data: json!({ "applicant.iin": IIN }),
                channel: "state_corporation".into(),
                language: Language::Kk,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    engine.drain().await.unwrap();
    let accept = engine
        .store()
        .tasks(None, None, Some(&number))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.step == "accept_documents")
        .unwrap()
        .key;
    engine
        .complete(&accept, "complete", acceptance_form(), "operator1")
        .await
        .unwrap();
    engine.drain().await.unwrap();
    let (_, sim) = service.simulator.as_ref().unwrap();
    let answer = sim.take_answers().pop().expect("the simulator's answer");

    // A clerk, the administrator and the gateway's account of another region are refused,
    // and the answer does not reach the case.
    for (who, token) in [("desk", &clerk), ("ops", &admin), ("shep-astana", &astana)] {
        assert_eq!(
            post(&app, token, "/gateway/answers", &answer).await,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let gbd_fl = || async {
        let id = engine.case(&number).await.unwrap().unwrap().case.id;
        engine
            .store()
            .jobs_of_case(id)
            .await
            .unwrap()
            .into_iter()
            .find(|j| matches!(&j.work, Work::Request { connector, .. } if connector == "gbd_fl.person"))
            .unwrap()
            .status
    };
    assert_eq!(gbd_fl().await, JobStatus::AwaitingAnswer);
    // The gateway's account of the case's region delivers it.
    assert_eq!(
        post(&app, &almaty_gateway, "/gateway/answers", &answer).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(gbd_fl().await, JobStatus::Done);
    let journal = journal(&service).await;
    for line in [
        "desk access_denied POST /gateway/answers".to_string(),
        "ops access_denied POST /gateway/answers".to_string(),
        format!("shep-astana access_denied {number}"),
        format!("shep-almaty answer_delivered {number}"),
    ] {
        assert!(journal.contains(&line), "{line} not in {journal:#?}");
    }
}

#[tokio::test]
async fn a_delivery_report_is_posted_only_by_the_aggregators_account_of_the_cases_region() {
    let (smtp_port, _inbox) = mail_server();
    let (sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
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
    assert_eq!(sms.seen.lock().unwrap().len(), 1, "the acceptance SMS, m1");
    let clerk = r.token("desk", &["front_office_operator"], "almaty").await;
    let admin = r.token("ops", &["administrator"], "kz").await;
    let astana = r
        .token("sms-astana", &["sms_provider_system"], "astana")
        .await;
    let aggregator = r
        .token("sms-aggregator", &["sms_provider_system"], "kz")
        .await;
    let app = r.svc().router();
    let report = r#"{"messageId":"m1","status":"DELIVRD"}"#;

    for (who, token) in [("desk", &clerk), ("ops", &admin), ("sms-astana", &astana)] {
        assert_eq!(
            post(&app, token, "/notify/sms/status", report).await,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let delivered = |kinds: Vec<String>| kinds.contains(&"notification_delivered".to_string());
    assert!(!delivered(history(r.svc(), &number).await));
    assert_eq!(
        post(&app, &aggregator, "/notify/sms/status", report).await,
        StatusCode::NO_CONTENT
    );
    assert!(delivered(history(r.svc(), &number).await));

    // The metrics and the replay were an administrator's already; a refusal is journalled
    // now, and so is a replay.
    let metrics = app
        .clone()
        .oneshot(
            Request::get("/metrics")
                .header("authorization", format!("Bearer {clerk}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::FORBIDDEN);
    let day = r#"{"from":"2026-11-23T00:00:00Z","to":"2026-11-24T00:00:00Z"}"#;
    assert_eq!(
        post(&app, &clerk, "/monitoring/replay", day).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&app, &admin, "/monitoring/replay", day).await,
        StatusCode::OK
    );

    let journal = journal(r.svc()).await;
    for line in [
        "desk access_denied GET /metrics".to_string(),
        "desk access_denied POST /monitoring/replay".to_string(),
        "ops monitoring_replayed 2026-11-23T00:00:00+00:00/2026-11-24T00:00:00+00:00".to_string(),
        "desk access_denied POST /notify/sms/status".to_string(),
        "ops access_denied POST /notify/sms/status".to_string(),
        format!("sms-astana access_denied {number}"),
        format!("sms-aggregator delivery_reported {number}"),
    ] {
        assert!(journal.contains(&line), "{line} not in {journal:#?}");
    }
}
