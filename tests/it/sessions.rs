//! Sessions end when what opened them is gone (issue #19): a password change ends every
//! other session of the account and renews the one it is made in, and an administrator's
//! reset (a reactivation with a new temporary password) or block ends all of them.

use axum::http::StatusCode;
use serde_json::json;

use crate::refusals::{PASSWORD, person, service};
use crate::service::{Running, audit_cli_on, call, cookie_of};

/// Whether `cookie` still signs anybody in.
async fn signs_in(r: &Running, cookie: &str) -> bool {
    let (status, _, body) = call(r.svc(), "GET", "/session", &[("cookie", cookie)], None).await;
    match status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("{other}: {body}"),
    }
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_renews_this_one() {
    let r = service().await;
    let s = r.svc();
    let (desk, csrf) = person(&r, "a.seitova", &["front_office_operator"], "almaty", true).await;
    let (laptop, _, _) = crate::service::sign_in(s, "a.seitova", PASSWORD).await;
    let (colleague, _) = person(&r, "b.omarov", &["front_office_operator"], "almaty", true).await;
    assert!(signs_in(&r, &laptop).await);

    let (status, renewed, body) = call(
        s,
        "POST",
        "/session/password",
        &[("cookie", &desk), ("x-csrf-token", &csrf)],
        Some(json!({ "current": PASSWORD, "new": "Seitova-own-2027" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let renewed = cookie_of(renewed);

    // The other session is over; so is the cookie the change was made with.
    assert!(!signs_in(&r, &laptop).await, "the other session ends");
    let (status, _, body) = call(s, "GET", "/tasks", &[("cookie", &laptop)], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    assert!(!signs_in(&r, &desk).await, "the old cookie opens nothing");
    // This one goes on under its new cookie, with its CSRF token; nobody else's ends.
    assert!(signs_in(&r, &renewed).await);
    assert!(signs_in(&r, &colleague).await);
    let (status, _, _) = call(
        s,
        "DELETE",
        "/session",
        &[("cookie", &renewed), ("x-csrf-token", &csrf)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    let changed = list
        .lines()
        .rfind(|l| l.contains("password_changed a.seitova"))
        .unwrap();
    assert!(changed.contains(r#""other_sessions_ended":1"#), "{changed}");
}

#[tokio::test]
async fn an_administrators_reset_or_block_ends_every_session() {
    let r = service().await;
    let s = r.svc();
    let admin = r.token("k.admin", &["administrator"], "kz").await;
    let admin = [("authorization", format!("Bearer {admin}"))];
    let admin: Vec<(&str, &str)> = admin.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (desk, _) = person(&r, "a.seitova", &["front_office_operator"], "almaty", true).await;
    let (laptop, _, _) = crate::service::sign_in(s, "a.seitova", PASSWORD).await;

    // A reset: a new request reactivates with a new temporary password.
    let (status, _, body) = call(s, "POST", "/accounts/a.seitova/reactivate", &admin, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!signs_in(&r, &desk).await && !signs_in(&r, &laptop).await);

    let temporary = body["temporary_password"].as_str().unwrap();
    let (first, _, _) = crate::service::sign_in(s, "a.seitova", temporary).await;
    let (second, _, _) = crate::service::sign_in(s, "a.seitova", temporary).await;
    let (status, _, _) = call(s, "POST", "/accounts/a.seitova/block", &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!signs_in(&r, &first).await && !signs_in(&r, &second).await);
}

/// `method uri` with an API token: (status, JSON body).
async fn with_token(
    r: &Running,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let (status, _, body) = call(r.svc(), method, uri, &[("authorization", &auth)], body).await;
    (status, body)
}

#[tokio::test]
async fn a_revoked_api_token_opens_nothing_from_the_next_request_on() {
    let r = service().await;
    let admin = r.token("k.admin", &["administrator"], "kz").await;
    let clerk = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let portal = r
        .token("egov-portal", &["front_office_operator"], "kz")
        .await;
    let (status, issued) = with_token(
        &r,
        &admin,
        "POST",
        "/accounts/egov-portal/tokens",
        Some(json!({ "name": "portal-backup" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let backup = issued["token"].as_str().unwrap().to_string();
    assert_eq!(
        with_token(&r, &portal, "GET", "/session", None).await.0,
        StatusCode::OK
    );

    // The list: each token by id and name, when issued and last used; never the secret.
    let (status, list) = with_token(&r, &admin, "GET", "/accounts/egov-portal/tokens", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["name"], "test");
    assert!(list[0]["last_used_at"].is_string(), "{list:?}");
    assert_eq!(list[1]["name"], "portal-backup");
    assert!(list[1]["last_used_at"].is_null() && list[1]["revoked_at"].is_null());
    let text = serde_json::to_string(&list).unwrap();
    assert!(!text.contains(&portal) && !text.contains(&backup), "{text}");
    assert!(
        list.iter()
            .all(|t| t.get("hash").is_none() && t.get("token").is_none()),
        "{text}"
    );
    let (first, second) = (
        list[0]["id"].as_i64().unwrap(),
        list[1]["id"].as_i64().unwrap(),
    );

    // A clerk may neither see nor revoke a system's tokens; the refusals are journalled.
    let (status, _) = with_token(&r, &clerk, "GET", "/accounts/egov-portal/tokens", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let uri = format!("/accounts/egov-portal/tokens/{first}");
    assert_eq!(
        with_token(&r, &clerk, "DELETE", &uri, None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        with_token(&r, &portal, "GET", "/session", None).await.0,
        StatusCode::OK
    );

    // The administrator revokes the first: 401 at once, the other still works.
    assert_eq!(
        with_token(&r, &admin, "DELETE", &uri, None).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = with_token(&r, &portal, "GET", "/session", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    assert_eq!(
        with_token(&r, &backup, "GET", "/session", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        with_token(&r, &admin, "DELETE", &uri, None).await.0,
        StatusCode::OK
    );
    let (status, body) = with_token(
        &r,
        &admin,
        "DELETE",
        "/accounts/egov-portal/tokens/999",
        None,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = with_token(
        &r,
        &admin,
        "DELETE",
        &format!("/accounts/operator1/tokens/{second}"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a token is revoked under its own account"
    );

    // The system stops its own leaked token itself, with that token.
    let own = format!("/accounts/egov-portal/tokens/{second}");
    assert_eq!(
        with_token(&r, &backup, "GET", "/accounts/egov-portal/tokens", None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        with_token(&r, &backup, "DELETE", &own, None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        with_token(&r, &backup, "GET", "/session", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, list) = with_token(&r, &admin, "GET", "/accounts/egov-portal/tokens", None).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["revoked_at"].is_string()),
        "{list}"
    );

    // Journalled, by id and name; the chain holds.
    let (code, out, err) = audit_cli_on(&["verify"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{out}{err}");
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    let revoked: Vec<&str> = list
        .lines()
        .filter(|l| l.contains("token_revoked"))
        .collect();
    assert_eq!(revoked.len(), 2, "{list}");
    assert!(
        revoked[0].contains("k.admin token_revoked egov-portal")
            && revoked[0].contains(&format!(r#""token":{first}"#))
            && revoked[0].contains(r#""name":"test""#),
        "{list}"
    );
    assert!(
        revoked[1].contains("egov-portal token_revoked egov-portal"),
        "{list}"
    );
    assert!(!list.contains(&portal) && !list.contains(&backup));
    assert_eq!(
        list.lines()
            .filter(|l| l.contains("operator1 access_denied egov-portal"))
            .count(),
        2,
        "{list}"
    );
}

#[tokio::test]
async fn a_token_issued_before_migration_0008_keeps_working_and_gets_an_id() {
    // Migration 0008 rebuilds `api_tokens` to give each token an id: the systems' tokens
    // must come through it, or an upgrade would cut the portal off.
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("migrations");
    std::fs::create_dir(&before).unwrap();
    for entry in std::fs::read_dir("migrations").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "0008" {
            std::fs::copy(&path, before.join(&name)).unwrap();
        }
    }
    let database = dir.path().join("qyzmet.db");
    let issued = chrono::DateTime::parse_from_rfc3339("2026-11-02T04:00:00Z")
        .unwrap()
        .to_utc();
    let token = qyzmet::accounts::token::new_token();
    {
        use sqlx::ConnectOptions;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&database)
            .create_if_missing(true);
        let mut conn = options.connect().await.unwrap();
        sqlx::migrate::Migrator::new(before.as_path())
            .await
            .unwrap()
            .run(&mut conn)
            .await
            .unwrap();
        let new = qyzmet::accounts::NewAccount {
            login: "egov-portal".into(),
            full_name: "eGov".into(),
            email: "egov@example.kz".into(),
            roles: vec![qyzmet::accounts::Role::FrontOfficeOperator],
            region: "kz".into(),
            created_by: "system".into(),
        };
        // The account as the schema before 0008 holds it.
        let account_id: i64 = sqlx::query_scalar(
            "insert into accounts (login, full_name, email, roles, region, password_hash, \
             must_change_password, status, created_at, created_by, failed_sign_ins, password_changed_at) \
             values (?1, ?2, ?3, ?4, ?5, 'x', 0, 'active', ?6, ?7, 0, ?6) returning id",
        )
        .bind(&new.login)
        .bind(&new.full_name)
        .bind(&new.email)
        .bind(serde_json::to_string(&new.roles).unwrap())
        .bind(&new.region)
        .bind(issued.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .bind(&new.created_by)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        sqlx::query("insert into api_tokens (hash, name, account_id, created_at) values (?, 'portal', ?, ?)")
            .bind(qyzmet::accounts::token::token_hash(&token))
            .bind(account_id)
            .bind("2026-11-02T04:00:00.000000Z")
            .execute(&mut conn)
            .await
            .unwrap();
    }

    let store = qyzmet::store::Store::open(&database).await.unwrap();
    let found = qyzmet::store::accounts::api_token(&mut store.read().await.unwrap(), &token)
        .await
        .unwrap()
        .expect("the token signs in after the migration");
    assert_eq!(
        (
            found.id,
            found.name.as_str(),
            found.created_at,
            found.last_used_at
        ),
        (1, "portal", issued, None)
    );
}
