//! The head of department's view and moves (issue #18): `GET /department/tasks`, reassign,
//! take over, release — through the API as a head would call it, and on the `/department`
//! page in a real Chromium. What is checked is what people see: the tasks a head is shown
//! (her region's, of the roles she supervises, nothing else), the refusal beside the field,
//! the new clerk's queue, the case's history line, the journal, the two e-mails, and the
//! head completing a task she took over.

use axum::http::StatusCode;
use qyzmet::audit::Action;
use qyzmet::runtime::{Actor, Language, Submission};
use serde_json::{Value, json};

use crate::browser::{Browser, serve, shots_dir};
use crate::notify::{Inbox, mail_server};
use crate::service::{IIN, Running, acceptance_form, aggregator, almaty, call, running};
use crate::web::clerk;

const CERTIFICATE: &str = "rehabilitated-person-certificate";

/// A running service with its mail kept.
async fn service() -> (Running, Inbox) {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 11, 23, 10, 0)).await;
    (r, inbox)
}

/// A certificate case of `region`, accepted by that region's operator: its review waits in
/// the specialists' queue. Its number.
async fn reviewed(r: &Running, region: &str, operator: &str) -> String {
    let number = r
        .svc()
        .engine
        .submit(
            CERTIFICATE,
            Submission {
                data: json!({ "applicant.iin": IIN }),
                channel: "state_corporation".into(),
                language: Language::Kk,
                sms_consent: false,
                region: region.into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        operator,
    )
    .await;
    r.drain().await;
    number
}

async fn api(
    r: &Running,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let auth = format!("Bearer {token}");
    let (status, _, body) = call(r.svc(), method, uri, &[("authorization", &auth)], body).await;
    (status, body)
}

/// The keys of the tasks a `GET /department/tasks` answer lists.
fn keys(body: &Value) -> Vec<String> {
    body["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("no tasks in {body}"))
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_string())
        .collect()
}

/// The mail sent to `address`, as text.
fn mail_to(inbox: &Inbox, address: &str) -> Vec<String> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .map(|m| String::from_utf8_lossy(&m.data).into_owned())
        .collect()
}

#[tokio::test]
async fn a_head_sees_her_departments_tasks_reassigns_takes_over_and_releases_them() {
    let (r, inbox) = service().await;
    let head = r.token("head1", &["head_of_department"], "almaty").await;
    let spec1 = r.token("spec1", &["provider_specialist"], "almaty").await;
    let _spec2 = r.token("spec2", &["provider_specialist"], "almaty").await;
    let _operator = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let _astana = r
        .token("operator2", &["front_office_operator"], "astana")
        .await;
    let ours = reviewed(&r, "almaty", "operator1").await;
    let second = reviewed(&r, "almaty", "operator1").await;
    let theirs = reviewed(&r, "astana", "operator2").await;
    // A case still at its acceptance: the front office's, which no head supervises.
    let waiting = r
        .svc()
        .engine
        .submit(
            CERTIFICATE,
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
    let review = r.task(&ours, "review").await;
    let other_review = r.task(&second, "review").await;

    // Her region's specialists' tasks, and not Astana's nor the front office's.
    let (status, body) = api(&r, "GET", "/department/tasks", &head, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = keys(&body);
    assert!(
        listed.contains(&review) && listed.contains(&other_review),
        "{body}"
    );
    assert!(!listed.contains(&r.task(&theirs, "review").await), "{body}");
    assert!(
        !listed.contains(&r.task(&waiting, "accept_documents").await),
        "{body}"
    );
    assert_eq!(body["counts"]["open"], 2, "{body}");
    assert_eq!(body["counts"]["unassigned"], 2, "{body}");
    let logins: Vec<&str> = body["clerks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["head1", "spec1", "spec2"], "{body}");

    // A clerk without the task's role: refused, naming the field.
    let (status, body) = api(
        &r,
        "POST",
        &format!("/tasks/{review}/reassign"),
        &head,
        Some(json!({ "to": "operator1" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "to", "{body}");

    // To spec1, then from spec1 to spec2.
    for to in ["spec1", "spec2"] {
        let (status, body) = api(
            &r,
            "POST",
            &format!("/tasks/{review}/reassign"),
            &head,
            Some(json!({ "to": to })),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (_, mine) = api(&r, "GET", "/tasks?assignee=me", &spec1, None).await;
    assert!(
        !keys(&mine).contains(&review),
        "spec1 no longer holds it: {mine}"
    );
    let (_, theirs_now) = api(&r, "GET", "/department/tasks?assignee=spec2", &head, None).await;
    assert_eq!(
        keys(&theirs_now),
        std::slice::from_ref(&review),
        "{theirs_now}"
    );
    assert_eq!(theirs_now["tasks"][0]["assignee_name"], "System spec2");

    // The case's history says who moved it from whom to whom.
    let view = r.svc().engine.case(&ours).await.unwrap().unwrap();
    let line = view
        .history
        .iter()
        .rev()
        .find(|h| h.kind == "task_reassigned")
        .expect("a history line");
    assert_eq!(line.actor, Actor::Clerk("head1".into()));
    assert_eq!(line.detail["from"], "spec1");
    assert_eq!(line.detail["to"], "spec2");
    assert_eq!(line.step.as_deref(), Some("review"));

    // The journal, with the logins.
    let records = {
        let mut conn = r.svc().engine.store().read().await.unwrap();
        qyzmet::store::audit::of_actions(&mut conn, &[Action::TaskReassigned], None, None, 10)
            .await
            .unwrap()
    };
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].actor, "head1");
    assert_eq!(records[1].object.as_deref(), Some(review.as_str()));
    assert_eq!(records[1].details["from"], "spec1");
    assert_eq!(records[1].details["to"], "spec2");

    // The e-mails: spec1 told it went, spec2 told it came, each in both languages, with the
    // case's number and no citizen's data.
    r.drain().await;
    let away = mail_to(&inbox, "spec1@example.kz");
    let given = mail_to(&inbox, "spec2@example.kz");
    assert_eq!(given.len(), 1, "{given:?}");
    assert_eq!(
        away.len(),
        2,
        "given to spec1, then taken from spec1: {away:?}"
    );
    for mail in [&given[0], &away[1]] {
        let decoded = decode_mail(mail);
        assert!(decoded.contains(&ours), "{decoded}");
        assert!(decoded.contains("Уважаемый коллега"), "{decoded}");
        assert!(decoded.contains("Құрметті әріптес"), "{decoded}");
        assert!(!decoded.contains(IIN), "{decoded}");
    }
    assert!(
        decode_mail(&given[0]).contains("прежний исполнитель"),
        "{}",
        decode_mail(&given[0])
    );

    // Take over: the head holds it and completes it, though she has not the specialist's role.
    let (status, body) = api(
        &r,
        "POST",
        &format!("/tasks/{review}/take-over"),
        &head,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = api(
        &r,
        "POST",
        &format!("/tasks/{review}/complete"),
        &head,
        Some(json!({ "outcome": "approve", "form": {} })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Completed meanwhile: a conflict, nothing written.
    let (status, _) = api(&r, "POST", &format!("/tasks/{review}/release"), &head, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Another head's task of the same role she does not hold: completing it is still refused.
    let (status, _) = api(
        &r,
        "POST",
        &format!("/tasks/{other_review}/complete"),
        &head,
        Some(json!({ "outcome": "approve", "form": {} })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Release: given to spec1, then back in the queue.
    api(
        &r,
        "POST",
        &format!("/tasks/{other_review}/reassign"),
        &head,
        Some(json!({ "to": "spec1" })),
    )
    .await;
    let (status, body) = api(
        &r,
        "POST",
        &format!("/tasks/{other_review}/release"),
        &head,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let row = r
        .svc()
        .engine
        .store()
        .task(&other_review)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.assignee, None);
    assert_eq!(row.status, qyzmet::store::TaskStatus::Open);

    // A specialist is no head: refused, and the refusal journalled.
    let (status, _) = api(&r, "GET", "/department/tasks", &spec1, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let denied = {
        let mut conn = r.svc().engine.store().read().await.unwrap();
        qyzmet::store::audit::of_actions(&mut conn, &[Action::AccessDenied], None, None, 50)
            .await
            .unwrap()
    };
    assert!(denied.iter().any(|d| d.actor == "spec1"), "{denied:?}");
}

/// An e-mail's subject and text body, as a mail program shows them.
fn decode_mail(raw: &str) -> String {
    let mail = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("an e-mail");
    format!(
        "{}\n{}",
        mail.subject().unwrap_or_default(),
        mail.body_text(0).unwrap_or_default()
    )
}

#[tokio::test]
async fn in_chromium_a_head_reassigns_and_takes_over_on_the_department_page() {
    let (r, _inbox) = service().await;
    clerk(&r, "head1", &["head_of_department"], "almaty").await;
    let spec1 = clerk(&r, "spec1", &["provider_specialist"], "almaty").await;
    // A specialist is no head: the page refuses, in her language.
    let refused = crate::web::page(r.svc(), "GET", "/department?lang=ru", Some(&spec1), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    let _operator = r
        .token("operator1", &["front_office_operator"], "almaty")
        .await;
    let first = reviewed(&r, "almaty", "operator1").await;
    let second = reviewed(&r, "almaty", "operator1").await;
    let base = serve(r.svc()).await;
    let browser = Browser::start().await;
    browser.resize(1366, 900).await;
    browser.sign_in(&base, "head1", "Qyzmet-clerk-2026").await;
    browser.goto(&format!("{base}/department?lang=kk")).await;
    assert_eq!(browser.text("#count-open strong").await, "2");

    // Reassign the first case's review to spec1 with the row's form.
    let row = format!("tr[data-number='{first}']");
    let select = browser.element(&format!("{row} select[name='to']")).await;
    select.select_by_value("spec1").await.unwrap();
    browser.click(&format!("{row} .reassign-button")).await;
    // The page again, the row now held: it has a release button it had not.
    browser.element(&format!("{row} .release")).await;
    let assignee = browser.text(&format!("{row} .assignee")).await;
    assert!(assignee.contains("spec1"), "{assignee}");

    // Take the second over: it is hers, with a link to its form.
    let row = format!("tr[data-number='{second}']");
    browser.click(&format!("{row} .take-over")).await;
    // The page again, the task hers: a link to its form.
    browser.element(&format!("{row} a.open")).await;
    let assignee = browser.text(&format!("{row} .assignee")).await;
    assert!(assignee.contains("head1"), "{assignee}");
    let spec_row = browser.text("tr.clerk[data-login='spec1'] .claimed").await;
    assert_eq!(spec_row, "1");

    if let Some(dir) = shots_dir("department") {
        browser.resize(1366, 1500).await;
        browser.screenshot(dir.join("department-kk.png")).await;
        browser.goto(&format!("{base}/department?lang=ru")).await;
        browser.screenshot(dir.join("department-ru.png")).await;
        browser.resize(390, 2400).await;
        browser
            .screenshot(dir.join("department-ru-phone.png"))
            .await;
        browser.resize(1366, 900).await;
        for lang in ["kk", "ru"] {
            browser
                .goto(&format!("{base}/case/{first}?lang={lang}"))
                .await;
            browser
                .client()
                .execute(
                    "document.querySelector('#timeline tbody tr:last-child').scrollIntoView({block: 'end'})",
                    vec![],
                )
                .await
                .unwrap();
            browser
                .screenshot(dir.join(format!("case-history-{lang}.png")))
                .await;
        }
    }
}

#[test]
fn a_catalog_role_that_supervises_an_unknown_role_is_refused_where_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.yaml");
    let shipped = std::fs::read_to_string("workflows/catalog.yaml").unwrap();
    let text = shipped.replace(
        "supervises: [provider_specialist, head_of_department]",
        "supervises: [provider_specialst, head_of_department]",
    );
    assert_ne!(text, shipped, "the shipped catalog gives the head her list");
    std::fs::write(&file, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("provider_specialst"))
        .unwrap()
        + 1;
    let errors = qyzmet::definition::load_catalog(&file, qyzmet::definition::messages::Lang::En)
        .expect_err("an unknown role is refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let shown = errors[0].to_string();
    assert!(
        shown.contains(&format!("catalog.yaml:{line}:")),
        "at its line: {shown}"
    );
    assert!(
        shown.contains("unknown role `provider_specialst`"),
        "{shown}"
    );
    assert!(shown.contains("provider_specialist"), "a hint: {shown}");

    // The shipped catalog: a head supervises the specialists and the heads.
    let shipped = qyzmet::definition::load_catalog(
        std::path::Path::new("workflows/catalog.yaml"),
        qyzmet::definition::messages::Lang::En,
    )
    .unwrap()
    .supervision();
    assert_eq!(
        shipped.supervised_by(["head_of_department"]),
        ["provider_specialist", "head_of_department"]
    );
    assert!(shipped.supervised_by(["provider_specialist"]).is_empty());
}
