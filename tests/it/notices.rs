//! The notices the engine sends of its own accord, end to end: the whole `Service` with a
//! manual clock, over the loopback SMTP server.
//!
//! - The nightly report of the accounts blocked as unused (seeds/003 item 28; seeds/000
//!   appendix 6 item 28): the administrators are told once of each block, whoever made it,
//!   and a night with nothing to tell sends nothing.
//! - The change-of-rules notice (seeds/004 item 20) of a version deployed through
//!   `POST /definitions`: sent at once, without a restart, and not again after one.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::Value;
use tower::ServiceExt;

use qyzmet::accounts::performer::AccountsPerformer;
use qyzmet::accounts::{self, BlockReason, NewAccount, Role, SignIn, Status};
use qyzmet::clock::ManualClock;
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::worker::Engine;
use qyzmet::worker::jobs::Performer;

use crate::notify::mail_server;
use crate::service::{Running, aggregator, almaty, config_file, mail_to, running};

/// Where the configuration sends what goes to the `administrator` role.
const ADMINS: &str = "admins@qyzmet.test";

/// A clerk's account created now; returns its temporary password.
async fn account(engine: &Engine, login: &str, full_name: &str) -> String {
    let new = NewAccount {
        login: login.into(),
        full_name: full_name.into(),
        email: format!("{login}@example.kz"),
        roles: vec![Role::ProviderSpecialist],
        region: "almaty".into(),
        created_by: "admin".into(),
    };
    let temporary = accounts::TemporaryPassword::new().await.unwrap();
    engine
        .transact(move |conn, now| {
            let (new, temporary) = (new.clone(), temporary.clone());
            Box::pin(async move {
                accounts::register(conn, &new, &temporary, None, now)
                    .await
                    .map(|(_, password)| password)
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap()
}

/// What a sign-in of `login` with `password` comes to now.
async fn sign_in(engine: &Engine, login: &str, password: &str) -> SignIn {
    let (login, password) = (login.to_string(), password.to_string());
    engine
        .transact(move |conn, now| {
            let (login, password) = (login.clone(), password.clone());
            Box::pin(async move {
                accounts::sign_in(conn, &login, &password, None, now)
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap()
}

/// 01:00 in Almaty on `day`: the schedule opens the night's case, and its work runs.
async fn night(r: &Running, day: NaiveDate) {
    r.clock
        .set(almaty(day.year(), day.month(), day.day(), 1, 0));
    r.svc().engine.fire_schedules().await.unwrap();
    r.drain().await;
}

#[tokio::test]
async fn accounts_unused_for_31_days_are_blocked_and_the_administrators_told_of_each_once() {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 1, 10, 0)).await;
    let engine = r.svc().engine.clone();
    // Nobody ever signs in to a.seitova (created Sunday 1 November at 10:00) or t.kassymov
    // (at 20:00); d.omarova signs in on 20 November.
    account(&engine, "a.seitova", "Сейітова Әйгерім Бақытқызы").await;
    let omarova = account(&engine, "d.omarova", "Омарова Динара Асқарқызы").await;
    r.clock.set(almaty(2026, 11, 1, 20, 0));
    account(&engine, "t.kassymov", "Қасымов Тимур Ерболұлы").await;

    // Thirty nights with nothing unused for more than 30 days: the administrators hear nothing.
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    for day in first
        .iter_days()
        .take_while(|d| d.month() == 11 || d.day() == 1)
    {
        night(&r, day).await;
        if day.day() == 20 {
            r.clock.set(almaty(2026, 11, 20, 10, 0));
            let signed = sign_in(&engine, "d.omarova", &omarova).await;
            assert!(matches!(signed, SignIn::Success { .. }), "{signed:?}");
        }
    }
    assert_eq!(
        mail_to(&inbox, ADMINS),
        vec![],
        "nothing blocked, nothing sent"
    );

    // Tuesday 1 December, 11:00: the hourly sweep blocks a.seitova, 30 days and an hour
    // after her account was created, though no case runs.
    r.clock.set(almaty(2026, 12, 1, 11, 0));
    assert_eq!(
        r.svc().block_unused_accounts().await.unwrap(),
        ["a.seitova"]
    );
    assert_eq!(
        mail_to(&inbox, ADMINS),
        vec![],
        "told at night, not by the sweep"
    );

    // The night of 2 December: the night's own request blocks t.kassymov (30 days and five
    // hours), and one e-mail, in Kazakh, names both, with the day each was blocked.
    night(&r, NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()).await;
    let mail = mail_to(&inbox, ADMINS);
    assert_eq!(mail.len(), 1, "{mail:#?}");
    let (subject, body, _) = &mail[0];
    assert_eq!(
        subject,
        "02.12.2026: пайдаланылмаған 2 есептік жазба бұғатталды"
    );
    for expected in [
        "Құрметті әкімшілер!",
        "- a.seitova — Сейітова Әйгерім Бақытқызы — — — 01.12.2026\n",
        "- t.kassymov — Қасымов Тимур Ерболұлы — — — 02.12.2026\n",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in\n{body}");
    }
    assert!(!body.contains("d.omarova"), "in use: {body}");
    for login in ["a.seitova", "t.kassymov"] {
        let blocked = qyzmet::store::accounts::account_by_login(
            &mut engine.store().read().await.unwrap(),
            login,
        )
        .await
        .unwrap()
        .unwrap();
        assert!(
            matches!(
                blocked.status,
                Status::Blocked {
                    reason: BlockReason::Unused30Days,
                    ..
                }
            ),
            "{blocked:?}"
        );
    }

    // The night's job run again, as after a crash before its answer was recorded: nothing is
    // blocked twice, and it answers with what the case already holds.
    let (case_id, number): (i64, String) = sqlx::query_as(
        "select id, number from cases where service = 'block-unused-accounts' order by id desc limit 1",
    )
    .fetch_one(engine.store().sqlite_pool().unwrap())
    .await
    .unwrap();
    let job = engine
        .store()
        .jobs_of_case(case_id)
        .await
        .unwrap()
        .remove(0);
    let again = AccountsPerformer::new();
    again.set_engine(&engine);
    let answer = again.perform(&job.key, &job.work).await.unwrap();
    let case = engine.case(&number).await.unwrap().unwrap().case;
    assert_eq!(answer["count"], 2);
    assert_eq!(answer["accounts"], case.scope("")["blocking"]["accounts"]);
    let blocks: i64 = sqlx::query_scalar(
        "select count(*) from audit where action = 'account_blocked' and object in ('a.seitova', 't.kassymov')",
    )
    .fetch_one(engine.store().sqlite_pool().unwrap())
    .await
    .unwrap();
    assert_eq!(blocks, 2, "each account blocked once");

    // The next night has nothing new to tell: no second e-mail.
    night(&r, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()).await;
    assert_eq!(mail_to(&inbox, ADMINS).len(), 1);
}

#[tokio::test]
async fn a_version_deployed_through_the_api_is_told_at_once_and_not_again_after_a_restart() {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let (dir, workflows) = crate::api::installation();
    let config = config_file(dir.path(), smtp_port, &sms_base);
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let start = || async {
        Service::start(Options {
            database: None,
            data_dir: dir.path().join("data"),
            workflows: workflows.clone(),
            calendars: "calendars".into(),
            templates: "templates".into(),
            config: FileConfig::load(&config).unwrap(),
            clock: clock.clone(),
            env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
        })
        .await
        .expect("the service starts")
    };
    // The contact centre is the configured recipient (seeds/004 item 20).
    let told = || mail_to(&inbox, "1414@qyzmet.test");
    let of_new_version = || {
        told()
            .into_iter()
            .filter(|(subject, _, _)| subject.contains("01.02.2027"))
            .collect::<Vec<_>>()
    };

    // What `qyzmet serve` does at start: the versions it runs are told.
    let service = start().await;
    assert_eq!(service.send_rules_notices().await, 0);
    let at_start = told().len();
    assert!(at_start > 0);
    assert_eq!(of_new_version(), vec![]);

    // A methodologist deploys a new version of the certificate. The server is not restarted.
    let token = crate::engine::api_token(&service.engine, "method", &["methodologist"], "kz").await;
    let deploy = |service: &Service| {
        service.router().oneshot(
            Request::post("/definitions")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/yaml")
                .body(Body::from(crate::api::new_version(
                    "2027-02-01",
                    "2027-02-01",
                )))
                .unwrap(),
        )
    };
    let response = deploy(&service).await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = serde_json::from_slice(
        &http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes(),
    )
    .unwrap();
    assert_eq!(body["rules_notice"], "sent", "{body}");
    let notice = of_new_version();
    assert_eq!(notice.len(), 1, "told at once: {:#?}", told());
    let (subject, text, _) = &notice[0];
    assert!(
        subject.contains("«Выдача удостоверения реабилитированному лицу» с 01.02.2027"),
        "{subject}"
    );
    assert!(text.contains("2027-02-01"), "{text}");
    assert_eq!(told().len(), at_start + 1);

    // Deployed again, and the service's own round of notices: nothing goes twice.
    assert_eq!(
        deploy(&service).await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(service.send_rules_notices().await, 0);
    assert_eq!(told().len(), at_start + 1);

    // After a restart the new version runs, and the start does not tell of it again.
    drop(service);
    clock.advance(Duration::days(1));
    let service = start().await;
    assert!(
        service
            .engine
            .shared()
            .library
            .definitions
            .iter()
            .any(|d| d.version == "2027-02-01")
    );
    assert_eq!(service.send_rules_notices().await, 0);
    assert_eq!(told().len(), at_start + 1);
}
