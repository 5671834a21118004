//! The access request (seeds/003 items 19-29, in the new wording of seeds/000 appendix 6)
//! through the whole service: a head of department files it, an administrator satisfies it
//! in the queue, the engine creates the account, and the answer's e-mail carries the login
//! and a temporary password that signs the new clerk in, and that nothing else holds.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::notify::mail_server;
use crate::service::{
    aggregator, almaty, audit_cli_on, call, cookie_of, mail_to, running, sign_in,
};

const HEAD_EMAIL: &str = "b.sadykova@enbek.kz";

fn request_body(kind: &str) -> Value {
    json!({
        "service": "access-request",
        "channel": "internal",
        "language": "ru",
        "region": "almaty",
        "data": {
            "request.kind": kind,
            "applicant.full_name": "Садыкова Бибигуль Ерлановна",
            "applicant.position": "Руководитель отдела назначения пособий",
            "applicant.email": HEAD_EMAIL,
            "user.full_name": "Нурланов Даурен Аскарович",
            "user.iin": "880214300451",
            "user.position": "Главный специалист",
            "user.department": "Отдел назначения пособий",
            "user.email": "d.nurlanov@enbek.kz",
            "user.login": "d.nurlanov",
            "user.roles": "provider_specialist",
            "user.region": "almaty",
            "basis.document": "Приказ о приёме на работу № 145-к",
            "basis.date": "2026-11-16"
        }
    })
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// The temporary password in a Russian answer, as the user would copy it.
fn password_in(text: &str) -> String {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Временный пароль"))
        .and_then(|rest| rest.split(": ").nth(1))
        .unwrap_or_else(|| panic!("no password in:\n{text}"));
    line.trim().to_string()
}

#[tokio::test]
async fn an_access_request_is_answered_within_three_working_days_with_a_login_and_a_password_that_signs_in()
 {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    // Monday 23.11.2026, 10:00 in Almaty.
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let s = r.svc();
    let head = r
        .token("b.sadykova", &["head_of_department"], "almaty")
        .await;
    let operator = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let admin = r.token("k.admin", &["administrator"], "almaty").await;
    let (h, v) = bearer(&head);

    // The request is the head's to sign (appendix 2), not a front office's.
    let (o, ov) = bearer(&operator);
    let (status, _, body) = call(
        s,
        "POST",
        "/cases",
        &[(o, &ov)],
        Some(request_body("grant")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A request with mistakes is refused whole, each mistake at its place in the body.
    let mut wrong = request_body("grant");
    let data = wrong["data"].as_object_mut().unwrap();
    data.remove("applicant.email");
    data.insert("user.iin".into(), json!("880214300458"));
    data.insert("user.nickname".into(), json!("Dake"));
    let (status, _, body) = call(s, "POST", "/cases", &[(h, &v)], Some(wrong)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "data.applicant.email",
            "data.user.iin",
            "data.user.nickname"
        ],
        "{body}"
    );
    let (status, _, body) =
        call(s, "POST", "/cases", &[(h, &v)], Some(request_body("grant"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap().to_string();
    r.drain().await;

    // Item 22: the answer is due within three working days of receipt, the day of receipt
    // not counted: Tue 24, Wed 25, Thu 26 November.
    let mails = mail_to(&inbox, HEAD_EMAIL);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].1.contains(&number), "{}", mails[0].1);
    assert!(mails[0].1.contains("26.11.2026"), "{}", mails[0].1);

    // The administrator's queue has the review, due by the end of Thursday.
    let (a, av) = bearer(&admin);
    let (status, _, tasks) = call(s, "GET", "/tasks", &[(a, &av)], None).await;
    assert_eq!(status, StatusCode::OK, "{tasks}");
    let task = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == number.as_str())
        .unwrap_or_else(|| panic!("no review in {tasks}"))
        .clone();
    assert_eq!(task["step"], "review_request");
    assert_eq!(task["due_at"], "2026-11-26T13:00:00Z", "18:00 in Almaty");
    let key = task["key"].as_str().unwrap();
    let (status, _, _) = call(
        s,
        "POST",
        &format!("/tasks/{key}/claim"),
        &[(a, &av)],
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, body) = call(
        s,
        "POST",
        &format!("/tasks/{key}/complete"),
        &[(a, &av)],
        Some(json!({ "outcome": "satisfy", "form": {
            "user.login": "d.nurlanov", "user.roles": "provider_specialist", "user.region": "almaty"
        }})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    r.drain().await;

    // The answer: the login and a temporary password, to the e-mail of the request.
    let mails = mail_to(&inbox, HEAD_EMAIL);
    assert_eq!(mails.len(), 2, "{mails:?}");
    let answer = &mails[1].1;
    assert!(answer.contains("d.nurlanov"), "{answer}");
    let password = password_in(answer);
    assert!(password.len() >= 12, "{password}");
    let (status, _, case) = call(s, "GET", &format!("/cases/{number}"), &[(a, &av)], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["case"]["result"], "satisfied", "{case}");

    // The password is in the e-mail only: in no case, job, history or journal row.
    r.svc().engine.drain().await.unwrap();
    for file in ["qyzmet.db", "qyzmet.db-wal"] {
        let path = r.data_dir().join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !bytes
                    .windows(password.len())
                    .any(|w| w == password.as_bytes()),
                "the temporary password is stored in {file}"
            );
        }
    }

    // The new clerk signs in with it, must replace it (item 24), and then works.
    let (cookie, csrf, me) = sign_in(s, "d.nurlanov", &password).await;
    assert_eq!(me["must_change_password"], true, "{me}");
    let (status, renewed, _) = call(
        s,
        "POST",
        "/session/password",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({ "current": password, "new": "Nurlanov-2026-own" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = cookie_of(renewed);
    let (status, _, tasks) = call(s, "GET", "/tasks", &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK, "{tasks}");

    // The journal shows the account made on the request, and the password issued, by
    // number; and it is intact.
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    let created = list
        .lines()
        .find(|l| l.contains("account_created d.nurlanov"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(created.contains(&number), "{created}");
    assert!(
        list.contains("temporary_password_issued d.nurlanov"),
        "{list}"
    );
    assert!(!list.contains(&password));
    let (code, out, err) = audit_cli_on(&["verify"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test]
async fn a_blocked_account_is_activated_again_only_by_a_new_request_with_a_new_password() {
    // seeds/003 items 28-29: the 30-day block, then a repeated request.
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let s = r.svc();
    // An account of the clerk that is then not used for 31 days.
    r.token("d.nurlanov", &["provider_specialist"], "almaty")
        .await;
    r.clock.advance(chrono::Duration::days(31));
    let blocked = s.block_unused_accounts().await.unwrap();
    assert!(blocked.contains(&"d.nurlanov".to_string()), "{blocked:?}");

    let head = r
        .token("b.sadykova", &["head_of_department"], "almaty")
        .await;
    let admin = r.token("k.admin", &["administrator"], "almaty").await;
    let (h, v) = bearer(&head);
    let (status, _, body) = call(
        s,
        "POST",
        "/cases",
        &[(h, &v)],
        Some(request_body("reactivate")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap().to_string();
    r.drain().await;
    let key = r.task(&number, "review_request").await;
    let (a, av) = bearer(&admin);
    for (path, body) in [
        ("claim", json!({})),
        (
            "complete",
            json!({ "outcome": "satisfy", "form": {
                "user.login": "d.nurlanov", "user.roles": "provider_specialist", "user.region": "almaty"
            }}),
        ),
    ] {
        let (status, _, answer) = call(
            s,
            "POST",
            &format!("/tasks/{key}/{path}"),
            &[(a, &av)],
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {answer}");
    }
    r.drain().await;
    let mails = mail_to(&inbox, HEAD_EMAIL);
    let answer = &mails.last().expect("an answer").1;
    assert!(answer.contains("активирована"), "{answer}");
    let (_, _, me) = sign_in(s, "d.nurlanov", &password_in(answer)).await;
    assert_eq!(me["must_change_password"], true, "{me}");
}
