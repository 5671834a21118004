//! Every kind of refusal, through the API and the pages, lands in the audit journal once
//! (issue #19; seeds/003 item 7: every action of a user is registered): a role the account
//! lacks, a region not its own, a request without the session's CSRF token, a task another
//! clerk holds, a temporary password still to change. Each record names who (a login, or
//! `anonymous` on the sign-in form), what (the object, or the route) and why, and nothing
//! personal; the chain still verifies.

use axum::http::StatusCode;
use serde_json::json;

use qyzmet::runtime::Language;
use qyzmet::service::Service;

use crate::notify::mail_server;
use crate::service::{Running, acceptance_form, aggregator, almaty, audit_cli_on, call, running};

/// The password every person here chooses after their temporary one.
pub(crate) const PASSWORD: &str = "Qyzmet-refusal-2026";

pub(crate) async fn service() -> Running {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await
}

/// A person's account with roles in region; with `own_password`, the temporary password is
/// replaced by [`PASSWORD`] first. Signed in through the API: the cookie and CSRF token.
pub(crate) async fn person(
    r: &Running,
    login: &str,
    roles: &[&str],
    region: &str,
    own_password: bool,
) -> (String, String) {
    let new = qyzmet::accounts::NewAccount {
        login: login.into(),
        full_name: format!("Қызметкер {login}"),
        email: format!("{login}@gov4c.kz"),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        region: region.into(),
        created_by: "admin".into(),
    };
    let temporary = qyzmet::accounts::TemporaryPassword::new().await.unwrap();
    let engine = r.svc().engine.clone();
    let account = {
        let (new, temporary) = (new.clone(), temporary.clone());
        engine
            .transact(move |conn, now| {
                let (new, temporary) = (new.clone(), temporary.clone());
                Box::pin(async move {
                    qyzmet::accounts::register(conn, &new, &temporary, None, now)
                        .await
                        .map(|(account, _)| account)
                        .map_err(|e| e.to_string())
                })
            })
            .await
            .unwrap()
            .unwrap()
    };
    let password = if own_password {
        let change =
            qyzmet::accounts::check_password_change(&account, temporary.password(), PASSWORD)
                .await
                .unwrap();
        engine
            .transact(move |conn, now| {
                let change = change.clone();
                Box::pin(async move {
                    qyzmet::accounts::change_password(conn, &change, None, None, now)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .await
            .unwrap()
            .unwrap();
        PASSWORD.to_string()
    } else {
        temporary.password().to_string()
    };
    let (cookie, csrf, _) = crate::service::sign_in(r.svc(), login, &password).await;
    (cookie, csrf)
}

/// A page's form posted as a browser posts it: (status, HTML).
async fn post_form(
    s: &Service,
    uri: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    use tower::ServiceExt;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request =
        axum::http::Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let response = s
        .router()
        .oneshot(request.body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A page fetched with `cookie`: its status.
async fn get_page(s: &Service, uri: &str, cookie: &str) -> StatusCode {
    call(s, "GET", uri, &[("cookie", cookie)], None).await.0
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The journal's `access_denied` records as `ACTOR OBJECT REASON ROUTE`, and checks that
/// the chain verifies (`qyzmet audit verify`) and that no record carries the applicant's
/// personal data.
async fn denials(r: &Running) -> Vec<String> {
    let (code, out, err) = audit_cli_on(&["verify"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{out}{err}");
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(!list.contains(crate::service::IIN), "{list}");
    qyzmet::store::audit::page(&mut r.svc().engine.store().read().await.unwrap(), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .filter(|r| r.action == qyzmet::audit::Action::AccessDenied)
        .map(|r| {
            let field = |k: &str| r.details[k].as_str().unwrap_or("-").to_string();
            format!(
                "{} {} {} {}",
                r.actor,
                r.object.as_deref().unwrap_or("-"),
                field("reason"),
                field("route")
            )
        })
        .collect()
}

#[tokio::test]
async fn a_role_the_account_lacks_is_refused_and_journalled_once() {
    let r = service().await;
    let s = r.svc();
    let operator = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let (cookie, _) = person(&r, "a.seitova", &["front_office_operator"], "almaty", true).await;

    // The API: the accounts, an incident's retry and a deployment are not a clerk's.
    let (status, _, body) = call(
        s,
        "GET",
        "/accounts",
        &[("authorization", &bearer(&operator))],
        None,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _, _) = call(
        s,
        "POST",
        "/accounts/admin/block",
        &[("authorization", &bearer(&operator))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The pages: the administrator's.
    assert_eq!(
        get_page(s, "/admin/accounts", &cookie).await,
        StatusCode::FORBIDDEN
    );

    assert_eq!(
        denials(&r).await,
        [
            "operator1 GET /accounts role GET /accounts",
            "operator1 admin role POST /accounts/{login}/block",
            "a.seitova GET /admin/accounts role GET /admin/accounts",
        ]
    );
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains(r#""needs":["administrator"]"#), "{list}");
}

#[tokio::test]
async fn a_region_not_the_accounts_is_refused_and_journalled_once() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, false).await;
    let astana = r
        .token("operator7", &["front_office_operator"], "astana")
        .await;
    let auth = [("authorization", bearer(&astana))];
    let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // An application for Almaty, Almaty's queue, an Almaty case's page and message.
    let (status, _, _) = call(
        s,
        "POST",
        "/cases",
        &auth,
        Some(json!({
            "service": "rehabilitated-person-certificate", "region": "almaty",
            "data": { "applicant.iin": crate::service::IIN }
        })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(s, "GET", "/tasks?region=almaty", &auth, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(s, "GET", &format!("/cases/{number}"), &auth, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(s, "POST", &format!("/cases/{number}/withdraw"), &auth, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(
        denials(&r).await,
        [
            "operator7 rehabilitated-person-certificate region POST /cases".to_string(),
            "operator7 GET /tasks region GET /tasks".to_string(),
            format!("operator7 {number} region GET /cases/{{number}}"),
            format!("operator7 {number} region POST /cases/{{number}}/withdraw"),
        ]
    );
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains(r#""region":"almaty""#), "{list}");
}

#[tokio::test]
async fn a_request_without_the_sessions_csrf_token_is_refused_and_journalled_once() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, false).await;
    let key = r.task(&number, "accept_documents").await;
    let (cookie, csrf) = person(&r, "operator1", &["front_office_operator"], "almaty", true).await;

    // The API with the session cookie: no token, then a wrong one.
    let claim = format!("/tasks/{key}/claim");
    let (status, _, body) = call(s, "POST", &claim, &[("cookie", &cookie)], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _, _) = call(
        s,
        "POST",
        &claim,
        &[("cookie", &cookie), ("x-csrf-token", "not-the-token")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A page's form without its `csrf` field; the sign-in form without its pairing cookie.
    let (status, html) = post_form(s, &format!("/queue/{key}/claim"), &cookie, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    let (status, html) = post_form(
        s,
        "/",
        "",
        &[
            ("csrf", "forged"),
            ("login", "operator1"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    // With the token, the same claim goes through: nothing was claimed before.
    let (status, _, _) = call(
        s,
        "POST",
        &claim,
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert_eq!(
        denials(&r).await,
        [
            format!("operator1 POST /tasks/{key}/claim csrf POST /tasks/{{key}}/claim"),
            format!("operator1 POST /tasks/{key}/claim csrf POST /tasks/{{key}}/claim"),
            format!("operator1 POST /queue/{key}/claim csrf POST /queue/{{key}}/claim"),
            "anonymous POST / csrf POST /".to_string(),
        ]
    );
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(!list.contains(PASSWORD), "{list}");
}

#[tokio::test]
async fn a_task_another_clerk_holds_is_refused_and_journalled_once() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, false).await;
    let key = r.task(&number, "accept_documents").await;
    let first = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let (cookie, csrf) = person(&r, "operator2", &["front_office_operator"], "almaty", true).await;
    let (status, _, _) = call(
        s,
        "POST",
        &format!("/tasks/{key}/claim"),
        &[("authorization", &bearer(&first))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The second clerk may not take it, complete it or put it back: through the API...
    let with_session = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let (status, _, body) = call(
        s,
        "POST",
        &format!("/tasks/{key}/claim"),
        &with_session,
        None,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (status, _, _) = call(
        s,
        "POST",
        &format!("/tasks/{key}/complete"),
        &with_session,
        Some(json!({ "outcome": "complete", "form": acceptance_form() })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // ...nor on the page.
    let (status, html) = post_form(
        s,
        &format!("/queue/{key}/unclaim"),
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert_eq!(
        r.svc()
            .engine
            .store()
            .task(&key)
            .await
            .unwrap()
            .unwrap()
            .assignee
            .as_deref(),
        Some("operator1")
    );

    assert_eq!(
        denials(&r).await,
        [
            format!("operator2 {key} another_clerks_task POST /tasks/{{key}}/claim"),
            format!("operator2 {key} another_clerks_task POST /tasks/{{key}}/complete"),
            format!("operator2 {key} another_clerks_task POST /queue/{{key}}/unclaim"),
        ]
    );
}

#[tokio::test]
async fn a_session_with_its_temporary_password_is_refused_and_journalled_once() {
    let r = service().await;
    let s = r.svc();
    let (cookie, _) = person(&r, "new.clerk", &["provider_specialist"], "almaty", false).await;
    let (status, _, body) = call(s, "GET", "/tasks", &[("cookie", &cookie)], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    // The page sends the clerk to the change instead, and journals the same.
    assert_eq!(get_page(s, "/queue", &cookie).await, StatusCode::SEE_OTHER);
    // What the temporary password may do is not refused: who it is, the change itself.
    let (status, _, _) = call(s, "GET", "/session", &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(
        denials(&r).await,
        [
            "new.clerk GET /tasks password_change_required GET /tasks",
            "new.clerk GET /queue password_change_required GET /queue",
        ]
    );
}

/// A case holds a citizen's personal data: in its region the API gives it only to the roles
/// that file its service or work its tasks (seeds/003 item 30), not to an administrator, a
/// methodologist or a state system's account, and each refusal is journalled once; the case
/// page shows them the case without the person.
#[tokio::test]
async fn a_case_is_read_only_by_the_roles_its_service_names() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, false).await;
    let case = format!("/cases/{number}");

    for (login, role, region) in [
        ("ops", "administrator", "kz"),
        ("meth", "methodologist", "almaty"),
        ("shep", "gateway_system", "almaty"),
    ] {
        let token = r.token(login, &[role], region).await;
        let (status, _, body) =
            call(s, "GET", &case, &[("authorization", &bearer(&token))], None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {body}");
        assert!(!body.to_string().contains(crate::service::IIN), "{body}");
    }
    // The case page still opens for a signed-in administrator (its case file is restricted:
    // tests/it/case_file.rs).
    let (cookie, _) = person(&r, "ops2", &["administrator"], "kz", true).await;
    let page = format!("/case/{number}");
    let (status, _, _) = call(s, "GET", &page, &[("cookie", &cookie)], None).await;
    assert_eq!(status, StatusCode::OK);
    // The provider's specialist of the region reads it, and that is journalled.
    let specialist = r.token("spec1", &["provider_specialist"], "almaty").await;
    let (status, _, body) = call(
        s,
        "GET",
        &case,
        &[("authorization", &bearer(&specialist))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains(crate::service::IIN), "{body}");

    let denied = denials(&r).await;
    for login in ["ops", "meth", "shep"] {
        let line = format!("{login} {number} role GET /cases/{{number}}");
        assert_eq!(
            denied.iter().filter(|d| **d == line).count(),
            1,
            "{denied:?}"
        );
    }
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains("spec1"), "{list}");
}
