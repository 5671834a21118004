//! The clerks' pages (`engine/web/`): through the router with `oneshot`, as a browser would
//! post their forms, and end to end in a real headless Chromium over a loopback socket.
//!
//! What a clerk and an administrator need (seeds/003 items 11, 19-24; DESIGN "who uses
//! it"): sign in, change the temporary password, work the queue of their roles and region in
//! Kazakh or Russian, claim and complete a task with its form, see a case's history,
//! deadlines and diagram, and an administrator creating a clerk's account. Every action is
//! journalled as the API's are.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fantoccini::Locator;
use tower::ServiceExt;

use qyzmet::runtime::Language;
use qyzmet::service::Service;
use qyzmet::web::text::{self, Lang};

use crate::browser::Browser;
use crate::notify::mail_server;
use crate::service::{IIN, Running, acceptance_form, aggregator, almaty, audit_cli_on, running};

/// A page's answer: status, where it redirects, the cookies it sets, its headers and HTML.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) cookies: Vec<String>,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) html: String,
}

impl Answer {
    /// The session cookie it set, as the `Cookie` header sends it back.
    pub(crate) fn session(&self) -> String {
        self.cookies
            .iter()
            .find(|c| c.starts_with("qyzmet_session="))
            .map(|c| c.split(';').next().unwrap().to_string())
            .unwrap_or_else(|| panic!("no session cookie in {:?}", self.cookies))
    }

    /// The CSRF token of the page's forms.
    pub(crate) fn csrf(&self) -> String {
        let re = regex::Regex::new(r#"name="csrf" value="([^"]+)""#).unwrap();
        re.captures(&self.html)
            .unwrap_or_else(|| panic!("no csrf field on the page:\n{}", self.html))[1]
            .to_string()
    }
}

/// One request through the service's router: a GET, or a POST of `form` as a browser sends
/// it (`application/x-www-form-urlencoded`), with `cookie` when given.
pub(crate) async fn page(
    service: &Service,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let request = if method == "POST" {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
    } else {
        request.body(Body::empty())
    }
    .unwrap();
    answer(service, request).await
}

/// The service's answer to `request`, as a browser receives it. A body that is not UTF-8 (a
/// PDF, a scan) is read lossily: a test of such a body reads the bytes elsewhere.
pub(crate) async fn answer(service: &Service, request: Request<Body>) -> Answer {
    let response = service.router().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let location = headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let cookies = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    Answer {
        status,
        location,
        cookies,
        headers,
        html: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// One part of a multipart form: a text field (name, value), or a file (name, file name,
/// bytes).
pub(crate) enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

/// POSTs `parts`, in their order, as a browser sends a form with
/// `enctype="multipart/form-data"` (the task and filing forms).
pub(crate) async fn multipart(
    service: &Service,
    uri: &str,
    cookie: &str,
    parts: &[Part<'_>],
) -> Answer {
    let boundary = "----qyzmet-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header("cookie", cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    answer(service, request).await
}

/// A running service with its loopback mail and SMS servers, on a Monday morning.
pub(crate) async fn service() -> Running {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await
}

/// Posts the sign-in form as a browser does: the form first (its `csrf` field and the cookie
/// that pairs it with the browser), then the login and password with both.
pub(crate) async fn sign_in_post(
    service: &Service,
    cookie: Option<&str>,
    login: &str,
    password: &str,
) -> Answer {
    let form = page(service, "GET", "/", cookie, &[]).await;
    let paired = form
        .cookies
        .iter()
        .find(|c| c.starts_with("qyzmet_signin="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("the sign-in form pairs itself with the browser");
    assert!(
        form.cookies
            .iter()
            .any(|c| c.starts_with("qyzmet_signin=") && c.contains("SameSite=Strict")),
        "{:?}",
        form.cookies
    );
    let cookies = match cookie {
        Some(c) => format!("{c}; {paired}"),
        None => paired,
    };
    page(
        service,
        "POST",
        "/",
        Some(&cookies),
        &[
            ("csrf", &form.csrf()),
            ("login", login),
            ("password", password),
        ],
    )
    .await
}

/// Signs in on the page; the cookie header to send back.
pub(crate) async fn signed_in(service: &Service, login: &str, password: &str) -> String {
    let answer = sign_in_post(service, None, login, password).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    answer.session()
}

/// Changes the temporary password on the page: the cookie header of the renewed session.
pub(crate) async fn change_password(
    service: &Service,
    cookie: &str,
    current: &str,
    new: &str,
) -> String {
    let form = page(service, "GET", "/password", Some(cookie), &[]).await;
    let csrf = form.csrf();
    let done = page(
        service,
        "POST",
        "/password",
        Some(cookie),
        &[
            ("csrf", &csrf),
            ("current", current),
            ("new", new),
            ("repeat", new),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/queue"));
    let renewed = done.session();
    assert_ne!(renewed, cookie, "the session goes on under a new cookie");
    renewed
}

/// A staff account made as an administrator would, signed in on the page with its own
/// password: the cookie header.
pub(crate) async fn clerk(r: &Running, login: &str, roles: &[&str], region: &str) -> String {
    let new = qyzmet::accounts::NewAccount {
        login: login.into(),
        full_name: format!("Қызметкер {login}"),
        email: format!("{login}@gov4c.kz"),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        region: region.into(),
        created_by: "admin".into(),
    };
    let temporary = qyzmet::accounts::TemporaryPassword::new().await.unwrap();
    let temporary = r
        .svc()
        .engine
        .transact(move |conn, now| {
            let (new, temporary) = (new.clone(), temporary.clone());
            Box::pin(async move {
                qyzmet::accounts::register(conn, &new, &temporary, None, now)
                    .await
                    .map(|(_, t)| t)
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap();
    let cookie = signed_in(r.svc(), login, &temporary).await;
    change_password(r.svc(), &cookie, &temporary, "Qyzmet-clerk-2026").await
}

#[tokio::test]
async fn the_sign_in_page_speaks_kazakh_by_default_and_russian_when_asked() {
    let r = service().await;
    let s = r.svc();

    let kk = page(s, "GET", "/", None, &[]).await;
    assert_eq!(kk.status, StatusCode::OK);
    assert!(kk.html.contains(r#"<html lang="kk">"#), "{}", kk.html);
    assert!(kk.html.contains("Жүйеге кіру"), "{}", kk.html);
    assert_eq!(
        kk.headers["content-security-policy"],
        "default-src 'self'; style-src 'self' 'unsafe-inline'"
    );
    assert_eq!(kk.headers["x-frame-options"], "DENY");
    assert!(!kk.html.contains("<script"), "no script on any page");

    // `?lang=ru` switches and is remembered in a cookie; the cookie alone keeps Russian.
    let ru = page(s, "GET", "/?lang=ru", None, &[]).await;
    assert!(ru.html.contains(r#"<html lang="ru">"#) && ru.html.contains("Вход в систему"));
    let lang = ru
        .cookies
        .iter()
        .find(|c| c.starts_with("lang=ru"))
        .expect("the language is remembered");
    assert!(lang.contains("SameSite=Lax"), "{lang}");
    let again = page(s, "GET", "/", Some("lang=ru"), &[]).await;
    assert!(again.html.contains("Вход в систему"));

    // A wrong password is said next to the form, in the page language.
    s.first_administrator().await.unwrap();
    let wrong = [("login", "admin"), ("password", "not-the-password-1")];
    // Posted from elsewhere, without the form's pairing: refused before any password is
    // checked (login CSRF), and no session is set.
    let forged = page(s, "POST", "/", None, &wrong).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.html.contains("Кіру формасының мерзімі өтті"),
        "{}",
        forged.html
    );
    assert!(
        forged
            .cookies
            .iter()
            .all(|c| !c.starts_with("qyzmet_session"))
    );
    let refused = sign_in_post(s, None, "admin", "not-the-password-1").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .html
            .contains(text::get(Lang::Kk, "refused").unwrap()),
        "{}",
        refused.html
    );
    assert!(
        refused
            .cookies
            .iter()
            .all(|c| !c.starts_with("qyzmet_session"))
    );
    let refused = sign_in_post(s, Some("lang=ru"), "admin", "not-the-password-1").await;
    assert!(
        refused
            .html
            .contains("Неверный логин или пароль, либо учётная запись"),
        "{}",
        refused.html
    );

    // A page without a session sends the visitor to the sign-in form.
    let queue = page(s, "GET", "/queue", None, &[]).await;
    assert_eq!(
        (queue.status, queue.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
}

/// The sign-in page's refusal paragraph.
fn refusal(html: &str) -> &str {
    let start = html
        .find(r#"<p class="alert" id="refusal""#)
        .unwrap_or_else(|| panic!("no refusal on the page:\n{html}"));
    let end = html[start..].find("</p>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn the_sign_in_page_refuses_in_one_text_whatever_the_reason_and_the_journal_keeps_it() {
    // Issue #19: the page said "locked until 10:15" or "blocked", and so which logins exist.
    let r = service().await;
    let s = r.svc();
    for login in ["b.wrong", "c.locked", "d.blocked"] {
        clerk(&r, login, &["provider_specialist"], "almaty").await;
    }
    for _ in 0..5 {
        sign_in_post(s, None, "c.locked", "not-the-password-1").await;
    }
    s.engine
        .transact(|conn, now| {
            Box::pin(async move {
                use qyzmet::accounts::{BlockReason, block};
                block(
                    conn,
                    "d.blocked",
                    BlockReason::Administrator,
                    "admin",
                    None,
                    now,
                )
                .await
            })
        })
        .await
        .unwrap()
        .unwrap();

    for lang in ["kk", "ru"] {
        let cookie = format!("lang={lang}");
        let mut seen = Vec::new();
        for (login, password) in [
            ("nobody.here", "Qyzmet-clerk-2026"),
            ("b.wrong", "not-the-password-2"),
            ("c.locked", "Qyzmet-clerk-2026"),
            ("d.blocked", "Qyzmet-clerk-2026"),
        ] {
            let answer = sign_in_post(s, Some(&cookie), login, password).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{login}");
            assert!(
                answer
                    .cookies
                    .iter()
                    .all(|c| !c.starts_with("qyzmet_session")),
                "{login}"
            );
            seen.push(refusal(&answer.html).to_string());
        }
        assert!(seen.iter().all(|t| *t == seen[0]), "{seen:#?}");
        let lang = Lang::parse(lang).unwrap();
        assert!(
            seen[0].ends_with(text::get(lang, "refused").unwrap()),
            "{}",
            seen[0]
        );
    }
    // What a blocked clerk needs to hear is in the one text.
    assert!(
        text::get(Lang::Ru, "refused")
            .unwrap()
            .contains("попросите руководителя отдела подать заявку на доступ")
    );
    assert!(
        text::get(Lang::Kk, "refused")
            .unwrap()
            .contains("бөлім басшысынан қолжетімділікке өтінім беруін сұраңыз")
    );

    // The journal keeps why each was refused.
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    let reasons: Vec<&str> = list
        .lines()
        .filter(|l| l.contains(" sign_in_failed "))
        .rev()
        .take(4)
        .collect();
    for (line, reason) in
        reasons
            .iter()
            .rev()
            .zip(["unknown_login", "wrong_password", "locked", "blocked"])
    {
        assert!(line.contains(&format!(r#""reason":"{reason}""#)), "{line}");
    }
}

#[tokio::test]
async fn the_temporary_password_leads_to_its_change_and_a_form_without_its_csrf_token_is_refused() {
    let r = service().await;
    let s = r.svc();
    let temporary = s.first_administrator().await.unwrap().unwrap();

    let signed = sign_in_post(s, None, "admin", &temporary).await;
    assert_eq!(signed.location.as_deref(), Some("/password"));
    let cookie = signed.session();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(
            signed.cookies[0].contains(attribute),
            "{:?}",
            signed.cookies
        );
    }
    // Nothing else opens until the password is changed (seeds/003 item 24).
    let queue = page(s, "GET", "/queue", Some(&cookie), &[]).await;
    assert_eq!(queue.location.as_deref(), Some("/password"));
    let form = page(s, "GET", "/password", Some(&cookie), &[]).await;
    assert!(form.html.contains(r#"id="temporary""#), "{}", form.html);

    // Without the session's token the form is refused: another site cannot post it.
    let new = "Qyzmet-2026-admin";
    let forged = page(
        s,
        "POST",
        "/password",
        Some(&cookie),
        &[("current", &temporary), ("new", new), ("repeat", new)],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.html.contains("Сұрау қабылданбады"),
        "{}",
        forged.html
    );
    let csrf = form.csrf();
    let wrong_token = page(
        s,
        "POST",
        "/password",
        Some(&cookie),
        &[
            ("csrf", "not-the-token"),
            ("current", &temporary),
            ("new", new),
            ("repeat", new),
        ],
    )
    .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    // A form body over 64 KiB is refused before anyone reads it.
    let huge = "x".repeat(70 * 1024);
    let too_large = page(
        s,
        "POST",
        "/password",
        Some(&cookie),
        &[("csrf", &csrf), ("current", &huge)],
    )
    .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(too_large.html.contains("64 КБ"), "{}", too_large.html);

    // Each mistake is said beside its field.
    let mismatch = page(
        s,
        "POST",
        "/password",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("current", &temporary),
            ("new", new),
            ("repeat", "something-else-1"),
        ],
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .html
            .contains(r#"<div class="error" id="error-repeat">Құпиясөздер сәйкес келмейді.</div>"#),
        "{}",
        mismatch.html
    );
    let weak = page(
        s,
        "POST",
        "/password?lang=ru",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("current", &temporary),
            ("new", "short"),
            ("repeat", "short"),
        ],
    )
    .await;
    assert!(
        weak.html.contains("короче 12 символов") && weak.html.contains("нет ни одной цифры"),
        "{}",
        weak.html
    );
    assert!(weak.html.contains(r#"id="error-new""#));

    let old_cookie = cookie;
    let cookie = change_password(s, &old_cookie, &temporary, new).await;
    let queue = page(s, "GET", "/queue", Some(&cookie), &[]).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    // The cookie the password was changed with opens nothing any more.
    let stale = page(s, "GET", "/queue", Some(&old_cookie), &[]).await;
    assert_eq!(stale.location.as_deref(), Some("/"));

    // Signing out ends the session.
    let out = page(s, "POST", "/signout", Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/"));
    let queue = page(s, "GET", "/queue", Some(&cookie), &[]).await;
    assert_eq!(queue.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn a_password_changed_on_the_page_signs_the_clerks_other_browser_out() {
    let r = service().await;
    let s = r.svc();
    let desk = clerk(&r, "a.seitova", &["front_office_operator"], "almaty").await;
    let laptop = signed_in(s, "a.seitova", "Qyzmet-clerk-2026").await;
    let queue = page(s, "GET", "/queue", Some(&laptop), &[]).await;
    assert_eq!(queue.status, StatusCode::OK);

    let desk = change_password(s, &desk, "Qyzmet-clerk-2026", "Seitova-own-2027").await;
    let queue = page(s, "GET", "/queue", Some(&laptop), &[]).await;
    assert_eq!(
        (queue.status, queue.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/")),
        "the other browser is sent to the sign-in form"
    );
    let queue = page(s, "GET", "/queue", Some(&desk), &[]).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
}

/// The `<tr>` of the queue page for case `number`.
fn row<'a>(html: &'a str, number: &str) -> &'a str {
    let start = html
        .find(&format!(r#"data-number="{number}""#))
        .unwrap_or_else(|| panic!("no row for {number}:\n{html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

/// The text of the cell of `class` in a row.
fn cell(row: &str, class: &str) -> String {
    let start = row
        .find(&format!(r#"class="{class}">"#))
        .unwrap_or_else(|| panic!("no cell {class} in {row}"))
        + class.len()
        + 9;
    let end = row[start..].find("</td>").unwrap() + start;
    row[start..end].trim().to_string()
}

#[tokio::test]
async fn a_clerk_works_the_acceptance_task_from_the_queue_to_the_case_page() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    let key = r.task(&number, "accept_documents").await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;

    // The queue: the case's acceptance task with its step's title in the page language, its
    // due time in Almaty, the working days left, and a button to claim it.
    let queue = page(s, "GET", "/queue", Some(&operator), &[]).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    let line = row(&queue.html, &number);
    assert!(
        cell(line, "step").starts_with("Құжаттарды қабылдау"),
        "{line}"
    );
    assert!(line.contains("Ақталған адамға куәлік беру"), "{line}");
    assert!(
        line.contains("23.11.2026 10:20"),
        "due 20 minutes after, Almaty time: {line}"
    );
    assert_eq!(cell(line, "time-left"), "20 мин", "due in 20 minutes");
    assert!(line.contains(&format!(r#"action="/queue/{key}/claim""#)));
    let ru = page(s, "GET", "/queue?lang=ru", Some(&operator), &[]).await;
    assert!(
        cell(row(&ru.html, &number), "step").starts_with("Приём документов"),
        "{}",
        ru.html
    );

    // Claimed: the queue names the assignee; the form offers the outcomes.
    let csrf = queue.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&operator),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        claimed.location.as_deref(),
        Some("/queue"),
        "{}",
        claimed.html
    );
    let queue = page(s, "GET", "/queue", Some(&operator), &[]).await;
    assert_eq!(cell(row(&queue.html, &number), "assignee"), "operator1");
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    for needed in [
        r#"id="outcome-complete""#,
        "Топтама толық — қабылдау",
        r#"type="text" id="f-rehabilitation-document_date""#,
        r#"<option value="rehabilitation_certificate">Ақтау туралы анықтама</option>"#,
        &format!(r#"name="applicant.iin" value="{IIN}""#),
    ] {
        assert!(
            form.html.contains(needed),
            "the form lacks {needed}:\n{}",
            form.html
        );
    }

    // A mistake comes back beside its field, with what was typed kept.
    let mut fields: Vec<(String, String)> = acceptance_form()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    let with = |fields: &[(String, String)], extra: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = fields.to_vec();
        all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        all
    };
    for (k, v) in fields.iter_mut() {
        if k == "rehabilitation.document_date" {
            *v = "14.06.1991".into();
        }
        if k == "rehabilitation.issued_by" {
            v.clear();
        }
    }
    let sent = with(&fields, &[("csrf", &csrf), ("outcome", "complete")]);
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let wrong = page(s, "POST", &format!("/queue/{key}"), Some(&operator), &pairs).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.html
    );
    assert!(
        wrong.html.contains(r#"<div class="error" id="error-f-rehabilitation-document_date">Күн дұрыс емес: кк.аа.жжжж түрінде енгізіңіз, мысалы 05.12.2026.</div>"#),
        "{}",
        wrong.html
    );
    assert!(wrong.html.contains(
        r#"<div class="error" id="error-f-rehabilitation-issued_by">Толтыру міндетті.</div>"#
    ));
    assert!(
        wrong.html.contains(r#"value="14.06.1991""#),
        "what was typed is kept"
    );
    assert!(wrong.html.contains("17-3/412"));

    // Right, it completes: the case goes on to the review.
    for (k, v) in fields.iter_mut() {
        if k == "rehabilitation.document_date" {
            *v = "1991-06-14".into();
        }
        if k == "rehabilitation.issued_by" {
            *v = "Алматы облысының прокуратурасы".into();
        }
    }
    let sent = with(&fields, &[("csrf", &csrf), ("outcome", "complete")]);
    let pairs: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = page(s, "POST", &format!("/queue/{key}"), Some(&operator), &pairs).await;
    assert_eq!(
        done.location,
        Some(format!("/queue/{key}/done")),
        "{}",
        done.html
    );
    r.drain().await;
    assert!(
        r.history_kinds(&number)
            .await
            .iter()
            .any(|(k, d)| k == "task_completed" && d["outcome"] == "complete")
    );

    // The specialist's queue: the review, due four working days before the term's end
    // (30.11.2026: five working days after 23.11, the day of acceptance not counted).
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let queue = page(s, "GET", "/queue?lang=ru", Some(&specialist), &[]).await;
    let line = row(&queue.html, &number);
    assert!(
        cell(line, "step").starts_with("Рассмотрение документов"),
        "{line}"
    );
    assert!(line.contains("24.11.2026 18:00"), "{line}");
    assert_eq!(cell(line, "time-left"), "1 рабочий день", "{line}");

    // The case page: the history, the deadlines with their evidence, the documents, the
    // diagram with the review highlighted.
    let case = page(s, "GET", &format!("/case/{number}"), Some(&operator), &[]).await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.html);
    for needed in [
        "Ақталған адамға куәлік беру",
        "Тапсырма орындалды",
        "нәтиже: Топтама толық — қабылдау",
        "operator1",
        "Мерзім басталды",
        "30.11.2026",
        "демалыс күні",
        "Құжаттарды қабылдау туралы қолхат",
        "<svg",
        r##"fill="#ffd54fff""##,
    ] {
        assert!(
            case.html.contains(needed),
            "the case page lacks {needed}:\n{}",
            case.html
        );
    }
    assert!(!case.html.contains("<?xml"));

    // Every page action is in the journal, as the API's are.
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    for needed in [
        format!("operator1 task_claimed {key}"),
        format!("operator1 task_completed {key}"),
        format!("operator1 case_opened {number}"),
        "operator1 password_changed".to_string(),
    ] {
        assert!(
            list.contains(&needed),
            "the journal lacks {needed}:\n{list}"
        );
    }
}

#[tokio::test]
async fn a_clerk_of_another_region_may_not_open_the_case_page() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, false).await;
    let astana = clerk(&r, "operator7", &["front_office_operator"], "astana").await;
    let refused = page(s, "GET", &format!("/case/{number}"), Some(&astana), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.html.contains("Рұқсат жоқ"), "{}", refused.html);
    assert!(!refused.html.contains(IIN));
    // Its queue does not show Almaty's tasks either.
    let queue = page(s, "GET", "/queue", Some(&astana), &[]).await;
    assert!(!queue.html.contains(&number), "{}", queue.html);
    let key = r.task(&number, "accept_documents").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&astana), &[]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(
        list.contains(&format!("operator7 access_denied {number}")),
        "{list}"
    );
    // A clerk is no administrator.
    let admin = page(s, "GET", "/admin/accounts", Some(&astana), &[]).await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_sees_the_systems_tokens_and_revokes_one_on_the_accounts_page() {
    let r = service().await;
    let s = r.svc();
    let temporary = s.first_administrator().await.unwrap().unwrap();
    let portal = r
        .token("egov-portal", &["front_office_operator"], "kz")
        .await;
    let bearer = format!("Bearer {portal}");
    let whoami = || async {
        crate::service::call(s, "GET", "/session", &[("authorization", &bearer)], None)
            .await
            .0
    };
    assert_eq!(whoami().await, StatusCode::OK);
    let admin = signed_in(s, "admin", &temporary).await;
    let admin = change_password(s, &admin, &temporary, "Qyzmet-2026-admin").await;

    let accounts = page(s, "GET", "/admin/accounts?lang=ru", Some(&admin), &[]).await;
    assert_eq!(accounts.status, StatusCode::OK, "{}", accounts.html);
    let row = {
        let start = accounts.html.find("<tr data-token=").expect("a token row");
        let end = accounts.html[start..].find("</tr>").unwrap() + start;
        accounts.html[start..end].to_string()
    };
    for needed in [
        "egov-portal",
        "test",
        "23.11.2026 10:00",
        "Действует",
        "Отозвать",
    ] {
        assert!(row.contains(needed), "{needed} not in {row}");
    }
    assert!(
        !accounts.html.contains(&portal),
        "the token itself is never shown"
    );
    let action = regex::Regex::new(r#"action="(/admin/accounts/egov-portal/tokens/\d+/revoke)""#)
        .unwrap()
        .captures(&row)
        .expect("a revoke form")[1]
        .to_string();

    // Without the session's token the button does nothing; with it, the token is revoked.
    let forged = page(s, "POST", &action, Some(&admin), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(whoami().await, StatusCode::OK);
    let csrf = accounts.csrf();
    let done = page(s, "POST", &action, Some(&admin), &[("csrf", &csrf)]).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/admin/accounts"),
        "{}",
        done.html
    );
    assert_eq!(whoami().await, StatusCode::UNAUTHORIZED);

    let kk = page(s, "GET", "/admin/accounts?lang=kk", Some(&admin), &[]).await;
    assert!(kk.html.contains("Күші жойылған"), "{}", kk.html);
    assert!(!kk.html.contains(&action), "no button for a revoked token");
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains("admin token_revoked egov-portal"), "{list}");
}

#[tokio::test]
async fn an_administrator_creates_a_clerk_and_sees_the_temporary_password_once() {
    let r = service().await;
    let s = r.svc();
    let temporary = s.first_administrator().await.unwrap().unwrap();
    let admin = signed_in(s, "admin", &temporary).await;
    let admin = change_password(s, &admin, &temporary, "Qyzmet-2026-admin").await;

    let accounts = page(s, "GET", "/admin/accounts", Some(&admin), &[]).await;
    assert_eq!(accounts.status, StatusCode::OK, "{}", accounts.html);
    assert!(
        accounts
            .html
            .contains("Мемлекеттік корпорацияның қызметкері"),
        "role titles from the catalog"
    );
    let csrf = accounts.csrf();
    let create = [
        ("csrf", csrf.as_str()),
        ("login", "a.seitova"),
        ("full_name", "Сейітова Әйгерім"),
        ("email", "a.seitova@gov4c.kz"),
        ("roles", "front_office_operator"),
        ("roles", "provider_specialist"),
        ("region", "almaty"),
    ];
    let created = page(s, "POST", "/admin/accounts", Some(&admin), &create).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let re = regex::Regex::new(r#"id="temporary-password">([^<]+)<"#).unwrap();
    let password = re.captures(&created.html).expect("the temporary password")[1].to_string();
    assert!(password.len() >= 12);
    assert!(
        created
            .html
            .contains("Көрсетілетін қызметті берушінің маманы")
    );

    // The list shows the new account, never its password; the same login again is refused.
    let list = page(s, "GET", "/admin/accounts", Some(&admin), &[]).await;
    assert!(list.html.contains("Сейітова Әйгерім") && !list.html.contains(&password));
    let again = page(s, "POST", "/admin/accounts", Some(&admin), &create).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.html.contains("Бұл логин бос емес"), "{}", again.html);
    let no_role = [
        ("csrf", csrf.as_str()),
        ("login", "b.nurlanov"),
        ("full_name", "Нұрланов Бауыржан"),
        ("email", "b.nurlanov@gov4c.kz"),
        ("region", "almaty"),
    ];
    let refused = page(s, "POST", "/admin/accounts?lang=ru", Some(&admin), &no_role).await;
    assert!(
        refused
            .html
            .contains(r#"id="error-roles">Выберите хотя бы одну роль."#),
        "{}",
        refused.html
    );

    // The clerk signs in with it, once, and is sent to change it.
    let signed = sign_in_post(s, None, "a.seitova", &password).await;
    assert_eq!(signed.location.as_deref(), Some("/password"));

    // The incidents page is the administrator's too.
    let incidents = page(s, "GET", "/admin/incidents", Some(&admin), &[]).await;
    assert_eq!(incidents.status, StatusCode::OK);
    assert!(
        incidents.html.contains("Инцидент жоқ."),
        "{}",
        incidents.html
    );

    let (_, journal, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(
        journal.contains("admin account_created a.seitova"),
        "{journal}"
    );
    assert!(
        !journal.contains("Сейітова"),
        "no personal data in the journal"
    );
}

#[test]
fn every_code_the_shipped_workflows_show_a_clerk_has_a_kazakh_and_a_russian_name() {
    let report = qyzmet::definition::load(
        &["workflows".into()],
        &qyzmet::definition::Options::default(),
    );
    assert!(report.diagnostics.is_empty());
    let mut missing = Vec::new();
    let mut need = |key: String| {
        for lang in [Lang::Kk, Lang::Ru] {
            if text::get(lang, &key).is_none_or(str::is_empty) {
                missing.push(format!("{key} ({lang:?})"));
            }
        }
    };
    for edge in ["failure", "otherwise", "received", "timeout"] {
        need(format!("outcome_{edge}"));
    }
    for def in &report.library.definitions {
        for result in &def.results {
            need(format!("result_{result}"));
        }
        for field in def.data.values().chain(def.parameters.values()) {
            if let qyzmet::definition::expr::Type::Enum(values) = &field.ty {
                for v in values {
                    need(format!("value_{v}"));
                }
            }
        }
        for step in &def.steps {
            match &step.kind {
                qyzmet::definition::model::StepKind::Task(task) => {
                    for outcome in task.outcomes.keys() {
                        need(format!("outcome_{outcome}"));
                    }
                }
                qyzmet::definition::model::StepKind::Call { outcomes, .. } => {
                    for outcome in outcomes.keys() {
                        need(format!("outcome_{outcome}"));
                    }
                }
                _ => {}
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "names missing from web/text.rs: {missing:#?}"
    );
    let mut keys: Vec<&str> = text::keys().collect();
    let all = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), all, "a key of web/text.rs is given twice");
}

#[tokio::test]
async fn in_chromium_a_newcomer_creates_a_clerk_who_takes_a_case_through_the_pages() {
    let r = service().await;
    let s = r.svc();
    let temporary = s.first_administrator().await.unwrap().unwrap();
    let number = r.submit(Language::Kk, true).await;

    // The service on a real socket, as `serve` runs it.
    let base = crate::browser::serve(s).await;

    let browser = Browser::start().await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");

    // The administrator's first sign-in: the temporary password must go first.
    browser.goto(&format!("{base}/")).await;
    browser.fill("#login", "admin").await;
    browser.fill("#password", &temporary).await;
    browser.click("#sign-in").await;
    assert!(browser.text("#temporary").await.contains("уақытша"));
    assert_eq!(browser.current_url().await, format!("{base}/password"));
    browser.fill("#current", &temporary).await;
    browser.fill("#new", "Qyzmet-2026-admin").await;
    browser.fill("#repeat", "Qyzmet-2026-admin").await;
    browser.click("#change-password").await;
    browser.text("#queue-empty").await;

    // A clerk of Almaty's front office, on an access request.
    browser.click("#nav-accounts").await;
    browser.fill("#new-login", "a.seitova").await;
    browser.fill("#new-full-name", "Сейітова Әйгерім").await;
    browser.fill("#new-email", "a.seitova@gov4c.kz").await;
    browser.click("#role-front_office_operator").await;
    browser.fill("#new-region", "almaty").await;
    browser.click("#create").await;
    let clerk_password = browser.text("#temporary-password").await;
    assert!(clerk_password.len() >= 12, "{clerk_password}");
    browser.click("#sign-out").await;

    // The clerk: first sign-in, the password, the queue.
    browser.fill("#login", "a.seitova").await;
    browser.fill("#password", &clerk_password).await;
    browser.click("#sign-in").await;
    browser.fill("#current", &clerk_password).await;
    browser.fill("#new", "Almaty-front-2026").await;
    browser.fill("#repeat", "Almaty-front-2026").await;
    browser.click("#change-password").await;
    let row = format!(r#"tr[data-number="{number}"]"#);
    let step = browser.text(&format!("{row} td.step")).await;
    assert!(step.starts_with("Құжаттарды қабылдау"), "{step}");
    assert_eq!(browser.text(&format!("{row} td.time-left")).await, "20 мин");
    browser.click(&format!("{row} button.claim")).await;
    // The answer to the claim is the queue again, now with the clerk's Unclaim button: wait
    // for it, or the old page's cell may be read.
    browser.text(&format!("{row} button.unclaim")).await;
    assert_eq!(
        browser.text(&format!("{row} td.assignee")).await,
        "a.seitova"
    );
    browser.click(&format!("{row} a.open")).await;

    // The acceptance form, as the clerk fills it from the citizen's documents.
    browser.text("#task-title").await;
    let select = |css: &'static str, value: &'static str| {
        let client = browser.client.clone();
        async move {
            let element = client
                .wait()
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no {css}: {e}"));
            element
                .select_by_value(value)
                .await
                .unwrap_or_else(|e| panic!("cannot choose {value} in {css}: {e}"));
        }
    };
    select("#f-application-kind", "certificate").await;
    select("#f-application-by_representative", "false").await;
    select("#f-consent-personal_data", "true").await;
    // The scans of the citizen's documents, chosen on the clerk's computer.
    let scans = tempfile::tempdir().unwrap();
    for (css, file) in [
        ("#f-documents-identity", "identity-card.pdf"),
        (
            "#f-documents-rehabilitation",
            "rehabilitation-certificate.pdf",
        ),
    ] {
        let path = scans.path().join(file);
        std::fs::write(&path, b"%PDF-1.4\n%%EOF\n").unwrap();
        let input = browser.element(css).await;
        input.send_keys(path.to_str().unwrap()).await.unwrap();
    }
    select(
        "#f-rehabilitation-document_type",
        "rehabilitation_certificate",
    )
    .await;
    browser
        .fill("#f-rehabilitation-document_number", "17-3/412")
        .await;
    // A date is typed as the clerk reads it, whatever Chromium's locale.
    browser
        .fill("#f-rehabilitation-document_date", "14.06.1991")
        .await;
    browser
        .fill(
            "#f-rehabilitation-issued_by",
            "Алматы облысының прокуратурасы",
        )
        .await;
    browser.click("#outcome-complete").await;
    browser.text("#done-outcome").await;
    r.drain().await;

    // The case page: moved on to the review, the history says so, the diagram shows where.
    browser.goto(&format!("{base}/case/{number}")).await;
    let timeline = browser.text("#timeline").await;
    assert!(timeline.contains("Тапсырма орындалды"), "{timeline}");
    assert!(timeline.contains("a.seitova"), "{timeline}");
    let tasks = browser.text("#case-tasks").await;
    assert!(
        tasks.contains("Құжаттарды қарау"),
        "the review is open: {tasks}"
    );
    browser.text("#diagram svg").await;
    let highlighted = browser
        .client
        .find_all(Locator::Css(r##"#diagram [fill="#ffd54fff"]"##))
        .await
        .unwrap();
    assert_eq!(
        highlighted.len(),
        1,
        "the review, and only it, is highlighted"
    );
    // The whole page in one picture: the header, the diagram, the tasks, the history, the
    // deadlines and the documents.
    browser.client.set_window_size(1280, 4400).await.unwrap();
    let shot = browser.screenshot(shots.join("case-page.png")).await;
    // The diagram alone, at the size a clerk sees it: target/tmp/browser/case-diagram.png.
    let diagram = browser
        .client
        .find(Locator::Css("#diagram svg"))
        .await
        .unwrap()
        .screenshot()
        .await
        .unwrap();
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("case-diagram.png"), diagram).unwrap();
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
    browser.goto(&format!("{base}/case/{number}?lang=ru")).await;
    assert!(browser.text("#timeline").await.contains("Задача выполнена"));
    browser.screenshot(shots.join("case-page-ru.png")).await;

    // The journal holds every step, and its chain is intact.
    let (code, out, err) = audit_cli_on(&["verify"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{out}{err}");
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    for needed in [
        "sign_in admin",
        "password_changed admin",
        "account_created a.seitova",
        "sign_in a.seitova",
        "password_changed a.seitova",
        "a.seitova task_claimed",
        "a.seitova task_completed",
        &format!("a.seitova case_opened {number}"),
    ] {
        assert!(
            list.contains(needed),
            "the journal lacks {needed:?}:\n{list}"
        );
    }

    // A clerk of another region is refused the case page, over the same socket.
    let astana = r
        .token("astana-kiosk", &["front_office_operator"], "astana")
        .await;
    let refused = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}/case/{number}"))
        .bearer_auth(&astana)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("Рұқсат жоқ"));
}

#[tokio::test]
async fn a_head_of_department_files_an_access_request_on_the_page_and_mistakes_come_back_by_field()
{
    // seeds/003 item 19 and appendix 2: the request is the head's to sign and file.
    let r = service().await;
    let s = r.svc();
    let head = clerk(&r, "b.sadykova", &["head_of_department"], "almaty").await;
    let ru = format!("{head}; lang=ru");

    // The queue offers the request; a front-office operator is not offered it (only the
    // citizens' applications) and may not open the form.
    let queue = page(s, "GET", "/queue", Some(&ru), &[]).await;
    assert!(
        queue.html.contains(r#"href="/apply/access-request""#),
        "{}",
        queue.html
    );
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let theirs = page(s, "GET", "/queue", Some(&operator), &[]).await;
    assert!(
        !theirs.html.contains("/apply/access-request"),
        "{}",
        theirs.html
    );
    let refused = page(s, "GET", "/apply/access-request", Some(&operator), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let form = page(s, "GET", "/apply/access-request", Some(&ru), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(form.html.contains("ИИН пользователя"), "{}", form.html);
    let csrf = form.csrf();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("request.kind", "grant"),
        ("applicant.full_name", "Садыкова Бибигуль Ерлановна"),
        ("applicant.position", "Руководитель отдела"),
        ("applicant.email", "b.sadykova@enbek.kz"),
        ("user.full_name", "Нурланов Даурен Аскарович"),
        ("user.iin", "880214300458"),
        ("user.position", "Главный специалист"),
        ("user.department", "Отдел назначения пособий"),
        ("user.email", "d.nurlanov@enbek.kz"),
        ("user.roles", "provider_specialist"),
        ("basis.document", "Приказ № 145-к"),
        ("basis.date", "2026-11-16"),
    ];
    // A wrong control digit: the form comes back with the mistake beside the IIN and what
    // was typed kept; no case is opened.
    let wrong = page(s, "POST", "/apply/access-request", Some(&ru), &fields).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.html
    );
    assert!(
        wrong.html.contains(r#"id="error-f-user-iin""#),
        "{}",
        wrong.html
    );
    assert!(wrong.html.contains("Нурланов Даурен Аскарович"));
    assert_eq!(
        s.engine
            .store()
            .tasks(None, None, None)
            .await
            .unwrap()
            .len(),
        0
    );

    fields[6] = ("user.iin", "880214300451");
    let filed = page(s, "POST", "/apply/access-request", Some(&ru), &fields).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    let at = filed.location.expect("to the new case");
    let number = at.strip_prefix("/case/").expect("the case page");
    r.drain().await;
    let task = r.task(number, "review_request").await;
    assert!(!task.is_empty());
    let case = s.engine.case(number).await.unwrap().unwrap().case;
    assert_eq!(case.region, "almaty");
    assert_eq!(case.language, qyzmet::runtime::Language::Ru);
    assert_eq!(case.channel, "internal");
}

#[tokio::test]
async fn a_notice_no_electronic_channel_can_carry_is_handed_over_from_the_specialists_queue() {
    // APPK art. 73(2)-(3), seeds/001 item 12 parts 2-3: the provisional refusal must reach the
    // citizen, and the objection window runs from the day it was obtained. With no e-mail and no
    // SMS consent, the specialist's queue gets the hand-over, and its form records how.
    let r = service().await;
    let s = r.svc();
    let number = s
        .engine
        .submit(
            "rehabilitated-person-certificate",
            qyzmet::runtime::Submission {
                data: serde_json::json!({ "applicant.iin": IIN }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    r.refused_on_review(&number, "Документ о реабилитации выдан другому лицу")
        .await;
    let key = r
        .task(&number, "provisional_refusal_hearing/hand_over_notice")
        .await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;

    // The queue offers it, due 4 working hours later (15:00), in the clerk's language.
    let queue = page(s, "GET", "/queue?lang=ru", Some(&specialist), &[]).await;
    let line = row(&queue.html, &number);
    assert!(
        cell(line, "step").starts_with("Вручение уведомления услугополучателю"),
        "{line}"
    );
    assert!(line.contains("24.11.2026 15:00"), "{line}");
    let csrf = queue.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&specialist),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(claimed.location.as_deref(), Some("/queue"));

    // The form: how it was handed over (a choice), the proof of receipt, one outcome.
    let form = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    for needed in [
        "Как вручено уведомление",
        r#"<option value="by_post""#,
        "Почтой",
        "Подтверждение получения",
        "Уведомление вручено",
    ] {
        assert!(
            form.html.contains(needed),
            "the form lacks {needed}:\n{}",
            form.html
        );
    }
    // Without the proof, the form comes back with the mistake beside its field.
    let csrf = form.csrf();
    let incomplete = page(
        s,
        "POST",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[
            ("csrf", &csrf),
            ("outcome", "obtained"),
            ("notice.delivery", "in_person"),
        ],
    )
    .await;
    assert!(
        incomplete.html.contains("error-f-notice-evidence"),
        "{}",
        incomplete.html
    );

    // The citizen comes for it the next morning: the window runs from Wed 25.11. (A new day,
    // a new sign-in: the session of yesterday has expired.)
    r.advance_to(almaty(2026, 11, 25, 10, 0)).await;
    let specialist = signed_in(s, "specialist1", "Qyzmet-clerk-2026").await;
    let form = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    let csrf = form.csrf();
    let done = page(
        s,
        "POST",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[
            ("csrf", &csrf),
            ("outcome", "obtained"),
            ("notice.delivery", "in_person"),
            (
                "notice.evidence",
                "Расписка на втором экземпляре уведомления",
            ),
        ],
    )
    .await;
    assert_eq!(
        done.location,
        Some(format!("/queue/{key}/done")),
        "{}",
        done.html
    );
    let case = page(
        s,
        "GET",
        &format!("/case/{number}?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert!(
        case.html
            .contains("Уведомление нельзя доставить электронно: его вручает работник"),
        "{}",
        case.html
    );
    assert!(
        case.html.contains("27.11.2026"),
        "the objection window ends Fri 27.11, two working days after the day of receipt:\n{}",
        case.html
    );
}
