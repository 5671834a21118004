//! The administrator runs accounts and incidents without the database (issue #18): each
//! account operation through the API with its journal record, the accounts' search and
//! paging, the journal of logins of seeds/003 appendix 1 (page, CSV, API), the incidents
//! with their case, their error in words, a filter and a bulk retry after an outage, and a
//! browser walk: find an account, open it, reset its password.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use qyzmet::clock::Clock;
use qyzmet::gateway::sim::Fault;
use qyzmet::runtime::{Language, Submission};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::notify::{Inbox, mail_server};
use crate::service::{
    EMAIL, IIN, PHONE, Running, aggregator, almaty, audit_cli_on, call, mail_to, running, sign_in,
};

const USER_EMAIL: &str = "d.nurlanov@enbek.kz";

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A service with a mail catcher, on Monday 23.11.2026 10:00 in Almaty, and its
/// administrator of the republic (a token).
async fn office() -> (Running, Inbox, String) {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    let admin = bearer(&r.token("k.admin", &["administrator"], "kz").await);
    (r, inbox, admin)
}

/// `method uri` as `auth`: (status, body as JSON, or as text when it is none).
async fn ask(
    r: &Running,
    auth: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, _, body) = call(r.svc(), method, uri, &[("authorization", auth)], body).await;
    (status, body)
}

/// A GET with its headers and its text.
async fn get_raw(
    r: &Running,
    auth: &str,
    uri: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = r
        .svc()
        .router()
        .oneshot(
            Request::get(uri)
                .header("authorization", auth)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).to_string())
}

/// Creates `login` through the API, signs it in with the temporary password and sets its
/// own; returns the own password.
async fn staff(r: &Running, admin: &str, login: &str, email: &str, region: &str) -> String {
    let (status, created) = ask(
        r,
        admin,
        "POST",
        "/accounts",
        Some(json!({
            "login": login, "full_name": "Нурланов Даурен Аскарович", "email": email,
            "roles": ["provider_specialist"], "region": region,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let temporary = created["temporary_password"].as_str().unwrap();
    own_password(r, login, temporary, &format!("{login}-Own-2026")).await
}

/// Signs `login` in with `temporary` and replaces it with `own`.
async fn own_password(r: &Running, login: &str, temporary: &str, own: &str) -> String {
    let (cookie, csrf, me) = sign_in(r.svc(), login, temporary).await;
    assert_eq!(me["must_change_password"], true, "{me}");
    let (status, _, body) = call(
        r.svc(),
        "POST",
        "/session/password",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        Some(json!({ "current": temporary, "new": own })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    own.to_string()
}

/// Whether `login` signs in with `password` (the API's one answer for every refusal).
async fn signs_in(r: &Running, login: &str, password: &str) -> bool {
    let (status, _, _) = call(
        r.svc(),
        "POST",
        "/session",
        &[],
        Some(json!({ "login": login, "password": password })),
    )
    .await;
    status == StatusCode::OK
}

/// The temporary password of the last e-mail to `to`, which must say `expect`.
fn mailed_password(inbox: &Inbox, to: &str, expect: &str) -> String {
    let mails = mail_to(inbox, to);
    let text = &mails
        .last()
        .unwrap_or_else(|| panic!("no e-mail to {to}"))
        .1;
    assert!(text.contains(expect), "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("Временный пароль"))
        .and_then(|rest| rest.split(": ").nth(1))
        .unwrap_or_else(|| panic!("no password in:\n{text}"))
        .trim()
        .to_string()
}

/// The audit journal as `qyzmet audit list` prints it.
fn journal(r: &Running) -> String {
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    list
}

#[tokio::test]
async fn every_account_operation_is_done_through_the_api_and_journalled() {
    let (r, inbox, admin) = office().await;
    let own = staff(&r, &admin, "d.nurlanov", USER_EMAIL, "almaty").await;

    // Block, with a reason; it no longer signs in, and a lost-password reset is refused: it
    // is blocked, the unblock is what it needs.
    let (status, body) = ask(
        &r,
        &admin,
        "POST",
        "/accounts/d.nurlanov/block?reason=security_violation",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, one) = ask(&r, &admin, "GET", "/accounts/d.nurlanov", None).await;
    assert_eq!(one["state"], "blocked", "{one}");
    assert_eq!(one["status"]["reason"], "security_violation", "{one}");
    assert!(!signs_in(&r, "d.nurlanov", &own).await);
    let (status, body) = ask(
        &r,
        &admin,
        "POST",
        "/accounts/d.nurlanov/password-reset",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("unblock"),
        "{body}"
    );

    // Unblock: a case e-mails a new temporary password to the account's own e-mail; it
    // signs in with it and must change it (seeds/003 items 24, 29).
    let (status, filed) = ask(
        &r,
        &admin,
        "POST",
        "/accounts/d.nurlanov/unblock?language=ru",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{filed}");
    let unblocked_by = filed["number"].as_str().unwrap().to_string();
    r.drain().await;
    let temporary = mailed_password(&inbox, USER_EMAIL, "активирована");
    assert!(
        !signs_in(&r, "d.nurlanov", &own).await,
        "the old password is gone"
    );
    let own = own_password(&r, "d.nurlanov", &temporary, "Nurlanov-Second-2026").await;
    let (_, one) = ask(&r, &admin, "GET", "/accounts/d.nurlanov", None).await;
    assert_eq!(
        (one["state"].as_str(), one["basis"].as_str()),
        (Some("active"), Some(unblocked_by.as_str())),
        "{one}"
    );
    let (status, body) = ask(&r, &admin, "POST", "/accounts/d.nurlanov/unblock", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "not blocked: {body}");

    // Reset a lost password: the same, for an active account.
    let (status, filed) = ask(
        &r,
        &admin,
        "POST",
        "/accounts/d.nurlanov/password-reset?language=ru",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{filed}");
    r.drain().await;
    let temporary = mailed_password(&inbox, USER_EMAIL, "взамен утраченного");
    assert_eq!(mail_to(&inbox, USER_EMAIL).len(), 2, "one e-mail per reset");
    assert!(!signs_in(&r, "d.nurlanov", &own).await);
    let own = own_password(&r, "d.nurlanov", &temporary, "Nurlanov-Third-2026").await;

    // Unlock after five wrong passwords: the source is locked out, the page says until when;
    // the unlock clears it, and the right password signs in again.
    for _ in 0..5 {
        assert!(!signs_in(&r, "d.nurlanov", "not-my-password").await);
    }
    assert!(!signs_in(&r, "d.nurlanov", &own).await, "locked out");
    let (_, locked) = ask(&r, &admin, "GET", "/accounts?status=locked", None).await;
    let locked = locked.as_array().unwrap();
    assert_eq!(locked.len(), 1, "{locked:?}");
    assert_eq!(locked[0]["login"], "d.nurlanov");
    assert!(locked[0]["locked_until"].is_string(), "{locked:?}");
    let (status, body) = ask(&r, &admin, "POST", "/accounts/d.nurlanov/unlock", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(signs_in(&r, "d.nurlanov", &own).await);
    let (status, body) = ask(&r, &admin, "POST", "/accounts/d.nurlanov/unlock", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to unlock: {body}");
    assert!(
        body["message"].as_str().unwrap().contains("not locked"),
        "{body}"
    );

    // Change roles and region: its sessions end, the new rights hold.
    let (cookie, _, _) = sign_in(r.svc(), "d.nurlanov", &own).await;
    let (status, body) = ask(
        &r,
        &admin,
        "PUT",
        "/accounts/d.nurlanov/rights",
        Some(json!({ "roles": ["head_of_department"], "region": "shymkent" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _, _) = call(r.svc(), "GET", "/session", &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old session ended");
    let (_, one) = ask(&r, &admin, "GET", "/accounts/d.nurlanov", None).await;
    assert_eq!(
        (one["roles"].clone(), one["region"].clone()),
        (json!(["head_of_department"]), json!("shymkent"))
    );
    let (status, body) = ask(
        &r,
        &admin,
        "PUT",
        "/accounts/d.nurlanov/rights",
        Some(json!({ "roles": [], "region": "shymkent" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "roles", "{body}");

    // Refusals: the last administrator is neither blocked nor stripped of the role; a login
    // nobody has is 404.
    let (status, body) = ask(&r, &admin, "POST", "/accounts/k.admin/block", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_administrator")),
        "{body}"
    );
    let (status, body) = ask(
        &r,
        &admin,
        "PUT",
        "/accounts/k.admin/rights",
        Some(json!({ "roles": ["methodologist"], "region": "kz" })),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_administrator")),
        "{body}"
    );
    for (method, uri) in [
        ("GET", "/accounts/nobody"),
        ("POST", "/accounts/nobody/unlock"),
        ("POST", "/accounts/nobody/password-reset"),
        ("POST", "/accounts/nobody/block"),
    ] {
        let (status, body) = ask(&r, &admin, method, uri, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {body}");
    }
    // An administrator of another region may not touch it: refused and journalled.
    let astana = bearer(&r.token("a.admin", &["administrator"], "astana").await);
    let (status, body) = ask(&r, &astana, "POST", "/accounts/d.nurlanov/unlock", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Each operation is in the journal, by the administrator, without a password.
    let list = journal(&r);
    for line in [
        "k.admin account_blocked d.nurlanov",
        "system account_reactivated d.nurlanov",
        "system temporary_password_issued d.nurlanov",
        "k.admin account_unlocked d.nurlanov",
        "k.admin account_changed d.nurlanov",
        "a.admin access_denied d.nurlanov",
    ] {
        let mut words = line.split(' ');
        let (actor, action, object) = (
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
        );
        assert!(
            list.lines()
                .any(|l| l.contains(actor) && l.contains(&format!("{action} {object}"))),
            "no `{line}` in:\n{list}"
        );
    }
    assert!(!list.contains(&temporary));
}

#[tokio::test]
async fn accounts_are_found_by_name_role_region_and_state_fifty_a_page() {
    let (r, _inbox, admin) = office().await;
    for n in 1..=60 {
        let region = if n % 2 == 0 { "almaty" } else { "shymkent" };
        r.token(&format!("clerk{n:02}"), &["provider_specialist"], region)
            .await;
    }
    r.token("m.method", &["methodologist"], "almaty").await;

    // Every account of the republic: 62 with the administrator; page 2 has the last 12.
    let (status, headers, text) = get_raw(&r, &admin, "/accounts?page=2").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["x-total-count"], "62");
    let page: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(page.len(), 12);
    // Without `page`, today's answer: every account, the same shape plus state and lock.
    let (_, all) = ask(&r, &admin, "GET", "/accounts", None).await;
    assert_eq!(all.as_array().unwrap().len(), 62);
    assert_eq!(all[0]["status"]["status"], "active", "{}", all[0]);
    assert_eq!(all[0]["state"], "must_change_password", "{}", all[0]);

    // By a part of the login or name, in any case; by role; by region.
    let (_, found) = ask(&r, &admin, "GET", "/accounts?q=CLERK0", None).await;
    assert_eq!(found.as_array().unwrap().len(), 9, "clerk01..clerk09");
    let (_, found) = ask(&r, &admin, "GET", "/accounts?q=system%20m.meth", None).await;
    assert_eq!(found[0]["login"], "m.method", "{found}");
    let (_, found) = ask(&r, &admin, "GET", "/accounts?role=methodologist", None).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let (_, headers, _) = get_raw(
        &r,
        &admin,
        "/accounts?region=almaty&role=provider_specialist",
    )
    .await;
    assert_eq!(headers["x-total-count"], "30");

    // By state: a blocked one.
    let (status, _) = ask(&r, &admin, "POST", "/accounts/clerk07/block", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, found) = ask(&r, &admin, "GET", "/accounts?status=blocked", None).await;
    assert_eq!(
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["login"].clone())
            .collect::<Vec<_>>(),
        [json!("clerk07")]
    );

    // A mistake names its field.
    let (status, body) = ask(&r, &admin, "GET", "/accounts?status=sleepy&page=0", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["status", "page"], "{body}");

    // An administrator of a region sees that region's accounts only.
    let local = bearer(&r.token("s.admin", &["administrator"], "shymkent").await);
    let (_, headers, _) = get_raw(&r, &local, "/accounts").await;
    assert_eq!(
        headers["x-total-count"], "31",
        "30 clerks and the administrator"
    );

    // The page: the search form's view is the URL, the total, the pager, each login a link.
    let (status, _, page) = get_raw(&r, &admin, "/admin/accounts?q=clerk&lang=ru").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Найдено: 60 (1–50)"), "{page}");
    assert!(page.contains(r#"href="/admin/accounts/clerk01""#), "{page}");
    assert!(page.contains(r#"id="accounts-next""#), "{page}");
    // Handlebars escapes `=` in the link: the browser reads it back.
    assert!(page.contains("page&#x3D;2"), "{page}");
}

/// The access request's form, filed by a head of department (as `tests/it/access.rs`).
fn grant_request() -> Value {
    json!({
        "service": "access-request",
        "channel": "internal",
        "language": "ru",
        "region": "almaty",
        "data": {
            "request.kind": "grant",
            "applicant.full_name": "Садыкова Бибигуль Ерлановна",
            "applicant.position": "Руководитель отдела назначения пособий",
            "applicant.email": "b.sadykova@enbek.kz",
            "user.full_name": "Нурланов Даурен Аскарович",
            "user.iin": "880214300451",
            "user.position": "Главный специалист",
            "user.department": "Отдел назначения пособий",
            "user.email": USER_EMAIL,
            "user.login": "d.nurlanov",
            "user.roles": "provider_specialist",
            "user.region": "almaty",
            "basis.document": "Приказ о приёме на работу № 145-к",
            "basis.date": "2026-11-16"
        }
    })
}

#[tokio::test]
async fn the_journal_of_logins_shows_a_grant_on_a_request_and_a_password_reset() {
    let (r, inbox, admin) = office().await;
    let head = bearer(
        &r.token("b.sadykova", &["head_of_department"], "almaty")
            .await,
    );
    let (status, filed) = ask(&r, &head, "POST", "/cases", Some(grant_request())).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let request = filed["number"].as_str().unwrap().to_string();
    r.drain().await;
    let key = r.task(&request, "review_request").await;
    for (path, body) in [
        ("claim", json!({})),
        (
            "complete",
            json!({ "outcome": "satisfy", "form": {
                "user.login": "d.nurlanov", "user.roles": "provider_specialist", "user.region": "almaty"
            }}),
        ),
    ] {
        let (status, answer) = ask(
            &r,
            &admin,
            "POST",
            &format!("/tasks/{key}/{path}"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {answer}");
    }
    r.drain().await;
    r.clock.advance(Duration::days(1));
    let (status, filed) = ask(
        &r,
        &admin,
        "POST",
        "/accounts/d.nurlanov/password-reset?language=ru",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{filed}");
    let reset = filed["number"].as_str().unwrap().to_string();
    r.drain().await;
    mailed_password(&inbox, USER_EMAIL, "взамен утраченного");

    // The API: a line per registration and per reset, each with its request and the
    // administrator who answered it.
    let (status, lines) = ask(
        &r,
        &admin,
        "GET",
        "/accounts/journal?from=23.11.2026&to=2026-11-30",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    let mine: Vec<&Value> = lines
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["login"] == "d.nurlanov")
        .collect();
    assert_eq!(mine.len(), 2, "{lines}");
    assert_eq!(
        (
            mine[0]["note"].as_str(),
            mine[0]["request"].as_str(),
            mine[0]["administrator"].as_str()
        ),
        (Some("registered"), Some(request.as_str()), Some("k.admin")),
        "{lines}"
    );
    assert_eq!(mine[0]["request_service"], "access-request");
    assert_eq!(mine[0]["system"], "qyzmet");
    assert_eq!(mine[0]["region"], "almaty");
    assert_eq!(
        (
            mine[1]["note"].as_str(),
            mine[1]["request"].as_str(),
            mine[1]["administrator"].as_str()
        ),
        (
            Some("password_reset"),
            Some(reset.as_str()),
            Some("k.admin")
        ),
        "{lines}"
    );
    // A period before them has none.
    let (_, none) = ask(&r, &admin, "GET", "/accounts/journal?to=22.11.2026", None).await;
    assert_eq!(none, json!([]));
    let (status, body) = ask(&r, &admin, "GET", "/accounts/journal?from=yesterday", None).await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("from")),
        "{body}"
    );

    // The page and the CSV, in Russian: the form's columns, the request's number and date.
    let (status, _, page) =
        get_raw(&r, &admin, "/admin/logins-journal?lang=ru&from=23.11.2026").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Журнал регистрации пользователей"), "{page}");
    assert!(
        page.contains(&format!("город Алматы / №{request}, 23.11.2026")),
        "{page}"
    );
    assert!(
        page.contains("Пароль сброшен, новый временный пароль"),
        "{page}"
    );
    let (status, headers, csv) = get_raw(
        &r,
        &admin,
        "/admin/logins-journal.csv?lang=ru&from=23.11.2026",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        rows[0].starts_with("\"№\";\"Регион / исх. номер, дата письма заявителя\";"),
        "{}",
        rows[0]
    );
    let reset_row = rows
        .iter()
        .find(|l| l.contains(&reset))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(reset_row.contains("\"qyzmet\""), "{reset_row}");
    assert!(
        reset_row.contains("Повторная выдача временного пароля"),
        "{reset_row}"
    );
    let (_, _, kk) = get_raw(&r, &admin, "/admin/logins-journal.csv?lang=kk").await;
    assert!(kk.contains("Негіз"), "{kk}");
}

#[tokio::test]
async fn incidents_name_their_case_and_error_filter_and_are_retried_all_at_once_after_an_outage() {
    let (r, _inbox, admin) = office().await;
    let sim = r.svc().simulator.clone().expect("the simulator runs").1;
    sim.set_fault(
        "monitoring",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    let mut numbers = Vec::new();
    for region in ["almaty", "shymkent"] {
        let number = r
            .svc()
            .engine
            .submit(
                "rehabilitated-person-certificate",
                Submission {
                    data: json!({ "applicant.iin": IIN, "applicant.phone": PHONE, "applicant.email": EMAIL }),
                    channel: "state_corporation".into(),
                    language: Language::Ru,
                    sms_consent: false,
                    region: region.into(),
                },
            )
            .await
            .unwrap();
        numbers.push(number);
    }
    // A long outage: every stage report spends its budget.
    r.advance_to(r.clock.now() + Duration::hours(30)).await;
    let (status, all) = ask(&r, &admin, "GET", "/incidents", None).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all = all.as_array().unwrap().clone();
    assert!(all.len() >= 2, "{all:?}");
    for number in &numbers {
        assert!(
            all.iter().any(|i| i["number"] == number.as_str()),
            "{number} in {all:?}"
        );
    }
    let first = &all[0];
    assert_eq!(
        (
            first["kind"].as_str(),
            first["error_kind"].as_str(),
            first["http_status"].as_u64()
        ),
        (Some("stage"), Some("http_status"), Some(503)),
        "{first}"
    );
    assert_eq!(first["service"], "rehabilitated-person-certificate");

    // The filter: by region (the other one's are not shown), and a day that is not one.
    let (_, almaty_only) = ask(&r, &admin, "GET", "/incidents?region=almaty", None).await;
    assert!(!almaty_only.as_array().unwrap().is_empty());
    assert!(
        almaty_only
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["number"] == numbers[0].as_str()),
        "{almaty_only}"
    );
    let (status, body) = ask(&r, &admin, "GET", "/incidents?since=soon", None).await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("since"))
    );
    let (_, later) = ask(&r, &admin, "GET", "/incidents?since=01.12.2026", None).await;
    assert_eq!(later, json!([]));

    // The page: the case's number a link, the error in words with the raw text folded.
    let (status, _, page) = get_raw(&r, &admin, "/admin/incidents?lang=ru").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!(r#"href="/case/{}""#, numbers[0])),
        "{page}"
    );
    assert!(page.contains("Система ответила ошибкой 503"), "{page}");
    assert!(
        page.contains("<details><summary>Текст системы</summary>"),
        "{page}"
    );
    assert!(
        page.contains(r#"action="/admin/incidents/retry""#),
        "{page}"
    );

    // The outage is over: one retry of what the filter shows (Almaty's), each journalled.
    sim.clear_faults();
    let (status, done) = ask(&r, &admin, "POST", "/incidents/retry?region=almaty", None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        done["retried"].as_u64().unwrap() as usize,
        almaty_only.as_array().unwrap().len(),
        "{done}"
    );
    r.advance_to(r.clock.now() + Duration::hours(2)).await;
    let (_, left) = ask(&r, &admin, "GET", "/incidents", None).await;
    let left = left.as_array().unwrap();
    assert!(
        left.iter().all(|i| i["number"] == numbers[1].as_str()),
        "only Shymkent's left: {left:?}"
    );
    assert!(!left.is_empty());
    let list = journal(&r);
    for key in done["keys"].as_array().unwrap() {
        assert!(
            list.contains(&format!("incident_retried {}", key.as_str().unwrap())),
            "{key}: {list}"
        );
    }
    // A regional administrator retries their region's only.
    let local = bearer(&r.token("s.admin", &["administrator"], "shymkent").await);
    let (status, body) = ask(&r, &local, "POST", "/incidents/retry?region=almaty", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Nor one of another region's by its key: Almaty's administrator may not retry
    // Shymkent's, and nothing is retried.
    let shymkent = left[0]["key"].as_str().unwrap().to_string();
    let almaty_admin = bearer(&r.token("a.admin", &["administrator"], "almaty").await);
    let path = format!("/incidents/{shymkent}/retry");
    let (status, body) = ask(&r, &almaty_admin, "POST", &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!journal(&r).contains(&format!("incident_retried {shymkent}")));
    let (status, _) = ask(&r, &local, "POST", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn in_chromium_an_administrator_finds_an_account_opens_it_and_resets_its_password() {
    let (r, inbox, admin) = office().await;
    staff(&r, &admin, "d.nurlanov", USER_EMAIL, "almaty").await;
    // The administrator who uses the pages: a person with a password of their own.
    let (status, created) = ask(
        &r,
        &admin,
        "POST",
        "/accounts",
        Some(json!({ "login": "g.admin", "full_name": "Жұмабаева Гүлнар", "email": "g.admin@enbek.kz", "roles": ["administrator"], "region": "almaty" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let password = own_password(
        &r,
        "g.admin",
        created["temporary_password"].as_str().unwrap(),
        "Gulnar-Own-2026",
    )
    .await;
    let base = crate::browser::serve(r.svc()).await;
    let browser = crate::browser::Browser::start().await;
    let shots = crate::browser::shots_dir("qyzmet-admin-shots-");
    browser.sign_in(&base, "g.admin", &password).await;

    for lang in ["ru", "kk"] {
        browser
            .goto(&format!("{base}/admin/accounts?lang={lang}"))
            .await;
        browser.fill("#account-q", "нурлан").await;
        browser.click("#search-accounts").await;
        let found = browser.text("#accounts-found").await;
        assert!(found.ends_with(": 1 (1–1)"), "only d.nurlanov: {found}");
        if let Some(dir) = &shots {
            browser
                .screenshot(dir.join(format!("accounts-search-{lang}.png")))
                .await;
        }
        browser.click("a.account-link").await;
        let title = browser.text("#account-title").await;
        assert!(title.contains("d.nurlanov"), "{title}");
        browser.click("#reset-password").await;
        let done = browser.text("#account-done").await;
        let number = browser.text("#reset-case").await;
        assert!(number.starts_with("QZ-"), "{number}");
        assert!(done.contains(&number), "{done}");
        if lang == "ru" {
            assert!(
                done.contains("Новый временный пароль отправляется"),
                "{done}"
            );
        } else {
            assert!(done.contains("Жаңа уақытша пароль"), "{done}");
        }
        if let Some(dir) = &shots {
            browser
                .screenshot(dir.join(format!("account-reset-{lang}.png")))
                .await;
        }
        r.drain().await;
    }
    // Each reset e-mailed a password in the page's language; neither is on any page.
    let mails = mail_to(&inbox, USER_EMAIL);
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails[0].1.contains("Временный пароль"), "{}", mails[0].1);
    assert!(mails[1].1.contains("Уақытша пароль"), "{}", mails[1].1);
}
