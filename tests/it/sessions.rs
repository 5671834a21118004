//! Sessions end when what opened them is gone (issue #19): a password change ends every
//! other session of the account and renews the one it is made in, and an administrator's
//! reset (a reactivation with a new temporary password) or block ends all of them.

use axum::http::StatusCode;
use serde_json::json;

use crate::refusals::{PASSWORD, person, service};
use crate::service::{Running, audit_cli, call, cookie_of};

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

    let (_, list, _) = audit_cli(&["list"], &r.data_dir());
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
