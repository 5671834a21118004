//! A technical failure of qyzmet reported from any page (`engine/web/failure_report.rs`) as a
//! case of the service `technical-failure` (`workflows/technical-failure/`).
//!
//! What the staff and the administrators need (seeds/003 items 12-16; seeds/000 appendix 6 from
//! 12.07.2026): the footer of every page leads to a short form with the page filled in; the
//! report, with its screenshot, becomes a case with the reporter's login, full name and
//! position from the account; the reporter gets its number and the last day of its term, by
//! page and by e-mail; the administrators find it in their queue, due on the day the rules in
//! force say (three calendar days under order No. 419, three working days from 12.07.2026), and
//! their answer reaches the reporter. A file that is no screenshot is refused beside its field
//! and nothing is filed.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::Value;

use qyzmet::runtime::get_path;

use crate::browser::{Browser, shots_dir};
use crate::notify::{Inbox, mail_server};
use crate::service::{Running, aggregator, almaty, mail_to, running};
use crate::web::{Part, clerk, multipart, page};

/// A PNG's signature and a little more: what a screenshot's first bytes are.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

/// A running service whose mail is kept, with its clock at `now`.
async fn service_at(now: DateTime<Utc>) -> (Running, Inbox) {
    let (smtp_port, inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    (running(smtp_port, &sms_base, now).await, inbox)
}

/// Files a report through the page as `cookie` (the form first, for its CSRF token), from
/// `from`, with `screenshot` when given: the answer to the post.
async fn report(
    r: &Running,
    cookie: &str,
    from: &str,
    subject: &str,
    screenshot: Option<(&str, &[u8])>,
) -> crate::web::Answer {
    let s = r.svc();
    let form = page(
        s,
        "GET",
        &format!("/failure-report?page={from}"),
        Some(cookie),
        &[],
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let csrf = form.csrf();
    let email = field_value(&form.html, "applicant.email");
    let position = field_value(&form.html, "applicant.position");
    let mut parts = vec![
        Part::Text("csrf", &csrf),
        Part::Text("failure.subject", subject),
        Part::Text(
            "failure.text",
            "Открываю дело из очереди — страница отвечает ошибкой 500.",
        ),
        Part::Text("failure.page", from),
        Part::Text("applicant.phone", "+7 701 765 43 21"),
        Part::Text("applicant.email", &email),
        Part::Text("applicant.position", &position),
    ];
    if let Some((name, bytes)) = screenshot {
        parts.push(Part::File("failure.screenshot", name, bytes));
    }
    multipart(s, "/failure-report", cookie, &parts).await
}

/// The value an input `name` shows on a page.
fn field_value(html: &str, name: &str) -> String {
    let re = regex::Regex::new(&format!(
        r#"name="{}" value="([^"]*)""#,
        regex::escape(name)
    ))
    .unwrap();
    re.captures(html)
        .unwrap_or_else(|| panic!("no input {name} on the page:\n{html}"))[1]
        .to_string()
}

/// The number of the case the report's answer redirects to.
fn filed_number(answer: &crate::web::Answer) -> String {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    answer
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/failure-report/"))
        .unwrap_or_else(|| panic!("not the report's page: {:?}", answer.location))
        .to_string()
}

/// The case's data, nested.
async fn data_of(r: &Running, number: &str) -> Value {
    let view = r.svc().engine.case(number).await.unwrap().unwrap();
    qyzmet::runtime::normalise(&view.case.scope(""))
}

/// The administrators' task of case `number`: its key and due time in Almaty, `dd.mm HH:MM`.
async fn admin_task(r: &Running, number: &str) -> (String, String) {
    let task = r
        .svc()
        .engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.step == "resolve_failure")
        .unwrap_or_else(|| panic!("no administrators' task on {number}"));
    assert_eq!(task.role, "administrator");
    let due = task.due_at.expect("a due time") + chrono::Duration::hours(5);
    (task.key, due.format("%d.%m.%Y %H:%M").to_string())
}

#[tokio::test]
async fn a_clerk_reports_a_failure_with_a_screenshot_and_the_administrator_answers_by_e_mail() {
    // Friday 17 July 2026: order No. 213's wording is in force (seeds/000 item 4), three
    // working days: Mon 20, Tue 21, Wed 22 (seeds/000 appendix 6 item 15).
    let (r, inbox) = service_at(almaty(2026, 7, 17, 10, 0)).await;
    let s = r.svc();
    let clerk_cookie = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let ru = format!("{clerk_cookie}; lang=ru");

    // Every signed-in page links to the form with its own path.
    let queue = page(s, "GET", "/queue", Some(&ru), &[]).await;
    assert!(
        queue
            .html
            .contains(r#"<a href="/failure-report?page=/queue" id="report-failure">Сообщить о техническом сбое</a>"#),
        "{}",
        queue.html
    );
    // The form: the page, the account's e-mail and the role as the position filled in; the
    // name and login shown, not typed (seeds/003 item 13(1)).
    let form = page(s, "GET", "/failure-report?page=/queue", Some(&ru), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert_eq!(field_value(&form.html, "failure.page"), "/queue");
    assert_eq!(
        field_value(&form.html, "applicant.email"),
        "operator1@gov4c.kz"
    );
    assert_eq!(
        field_value(&form.html, "applicant.position"),
        "Работник Государственной корпорации (приём документов и выдача результата)"
    );
    assert!(
        form.html
            .contains(r#"<dd id="failure-login">operator1</dd>"#),
        "{}",
        form.html
    );
    assert!(
        !form.html.contains(r#"name="applicant.login""#),
        "{}",
        form.html
    );
    assert!(
        form.html
            .contains(r#"<input type="file" id="f-failure-screenshot" name="failure.screenshot""#),
        "{}",
        form.html
    );

    // Filed with a screenshot, a login in the form notwithstanding: the account's counts.
    let answer = report(
        &r,
        &ru,
        "/queue",
        "Не открывается карточка дела",
        Some(("экран.png", PNG)),
    )
    .await;
    let number = filed_number(&answer);
    r.drain().await;
    let done = page(
        s,
        "GET",
        &format!("/failure-report/{number}"),
        Some(&ru),
        &[],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(
        done.html.contains(&format!(
            r#"<dd id="failure-number"><strong>{number}</strong></dd>"#
        )),
        "{}",
        done.html
    );
    assert!(
        done.html
            .contains(r#"<dd id="failure-due"><strong>22.07.2026</strong></dd>"#),
        "{}",
        done.html
    );

    // The case: the page, the reporter from the account, the screenshot stored.
    let data = data_of(&r, &number).await;
    let read = |name: &str| get_path(&data, name).cloned().unwrap_or(Value::Null);
    assert_eq!(read("failure.page"), "/queue");
    assert_eq!(read("applicant.login"), "operator1");
    assert_eq!(read("applicant.full_name"), "Қызметкер operator1");
    assert_eq!(read("applicant.phone"), "+77017654321");
    assert_eq!(
        read("failure.screenshot")["content_type"],
        "image/png",
        "{data:#}"
    );
    assert_eq!(read("failure.screenshot")["name"], "экран.png");
    let view = s.engine.case(&number).await.unwrap().unwrap();
    assert_eq!(
        (view.case.service.as_str(), view.case.version.as_str()),
        ("technical-failure", "2026-07-12")
    );

    // Filing is everyone's right, not a duty to read the others' reports (seeds/003 item
    // 30): another clerk of the region reads neither the report nor its screenshot.
    let colleague = clerk(&r, "operator2", &["front_office_operator"], "almaty").await;
    let theirs = page(
        s,
        "GET",
        &format!("/failure-report/{number}"),
        Some(&colleague),
        &[],
    )
    .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{}", theirs.html);
    let href = read("failure.screenshot")["href"]
        .as_str()
        .map(str::to_string);
    let shot = href.unwrap_or_else(|| {
        let sha = read("failure.screenshot")["sha256"]
            .as_str()
            .unwrap()
            .to_string();
        format!("/case/{number}/uploads/{sha}")
    });
    let refused = page(s, "GET", &shot, Some(&colleague), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Due on the term's last day, in the administrators' queue.
    let (key, due) = admin_task(&r, &number).await;
    assert_eq!(due, "22.07.2026 18:00");

    // The acknowledgement names the number and the last day.
    let received = mail_to(&inbox, "operator1@gov4c.kz");
    assert_eq!(received.len(), 1, "{received:#?}");
    let (subject, text, _) = &received[0];
    assert!(subject.contains(&number), "{subject}");
    assert!(
        text.contains(&format!("Регистрационный номер: №{number}")),
        "{text}"
    );
    assert!(text.contains("не позднее 22.07.2026"), "{text}");

    // The administrator of the region sees it on the last day of the term, claims it and
    // answers.
    r.clock.set(almaty(2026, 7, 22, 17, 0));
    let admin = clerk(&r, "admin2", &["administrator"], "almaty").await;
    let admin_ru = format!("{admin}; lang=ru");
    let queue = page(s, "GET", "/queue", Some(&admin_ru), &[]).await;
    assert!(queue.html.contains(&number), "{}", queue.html);
    let case = page(s, "GET", &format!("/case/{number}"), Some(&admin_ru), &[]).await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.html);
    assert!(case.html.contains("экран.png"), "{}", case.html);
    let opened = page(s, "GET", &shot, Some(&admin_ru), &[]).await;
    assert_eq!(opened.status, StatusCode::OK);
    let task = page(s, "GET", &format!("/queue/{key}"), Some(&admin_ru), &[]).await;
    let csrf = task.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&admin_ru),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
    let answered = multipart(
        s,
        &format!("/queue/{key}"),
        &admin_ru,
        &[
            Part::Text("csrf", &csrf),
            Part::Text(
                "answer.actions",
                "Исправлена ошибка чтения истории дела; карточка открывается.",
            ),
            Part::Text("outcome", "resolved"),
        ],
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.html);
    assert_eq!(
        answered.location.as_deref(),
        Some(format!("/queue/{key}/done").as_str())
    );
    r.drain().await;
    let view = s.engine.case(&number).await.unwrap().unwrap();
    assert_eq!(view.case.result.as_deref(), Some("resolved"));
    let mail = mail_to(&inbox, "operator1@gov4c.kz");
    assert_eq!(mail.len(), 2, "{mail:#?}");
    let (subject, text, _) = &mail[1];
    assert!(subject.contains("сбой устранён"), "{subject}");
    assert!(
        text.contains("Исправлена ошибка чтения истории дела; карточка открывается."),
        "{text}"
    );
}

#[tokio::test]
async fn a_friday_report_is_due_three_calendar_days_later_before_12_july_and_three_working_days_after()
 {
    // Order No. 419 item 15 (seeds/003): three calendar days. Friday 3 July 2026: Sat 4,
    // Sun 5, Mon 6 (the Capital's Day, a holiday, counted all the same) → Mon 06.07.
    let (r, _inbox) = service_at(almaty(2026, 7, 3, 10, 0)).await;
    let s = r.svc();
    let head = clerk(&r, "b.sadykova", &["head_of_department"], "almaty").await;
    let before = filed_number(&report(&r, &head, "/department", "Сбой", None).await);
    r.drain().await;
    let (_, due) = admin_task(&r, &before).await;
    assert_eq!(due, "06.07.2026 18:00");
    let view = s.engine.case(&before).await.unwrap().unwrap();
    assert_eq!(view.case.version, "2026-01-06");

    // Order No. 213 appendix 6 item 15, from 12.07.2026: three working days. Friday 17 July:
    // Mon 20, Tue 21, Wed 22 → Wed 22.07; the report filed before keeps its own term.
    r.clock.set(almaty(2026, 7, 17, 10, 0));
    let head = clerk(&r, "k.abenov", &["head_of_department"], "almaty").await;
    let after = filed_number(&report(&r, &head, "/department", "Сбой", None).await);
    r.drain().await;
    let (_, due) = admin_task(&r, &after).await;
    assert_eq!(due, "22.07.2026 18:00");
    let view = s.engine.case(&after).await.unwrap().unwrap();
    assert_eq!(view.case.version, "2026-07-12");
    let (_, due) = admin_task(&r, &before).await;
    assert_eq!(due, "06.07.2026 18:00");

    // Any staff member may report, whatever the queue: a methodologist too.
    let methodologist = clerk(&r, "method1", &["methodologist"], "kz").await;
    let theirs = filed_number(&report(&r, &methodologist, "/mass-events", "Сбой", None).await);
    let data = data_of(&r, &theirs).await;
    assert_eq!(get_path(&data, "applicant.login").unwrap(), "method1");
}

#[tokio::test]
async fn a_text_file_named_png_is_refused_beside_its_field_and_nothing_is_filed() {
    let (r, inbox) = service_at(almaty(2026, 7, 17, 10, 0)).await;
    let s = r.svc();
    let clerk_cookie = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let ru = format!("{clerk_cookie}; lang=ru");
    let refused = report(
        &r,
        &ru,
        "/queue",
        "Не открывается карточка дела",
        Some(("screenshot.png", b"this is a text file, not a picture\n")),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    // Beside its field, in the page's language; what was typed is kept.
    let field = regex::Regex::new(
        r#"(?s)<div class="field invalid" id="field-f-failure-screenshot">.*?<div class="error" id="error-f-failure-screenshot">([^<]+)</div>"#,
    )
    .unwrap();
    let error = field
        .captures(&refused.html)
        .unwrap_or_else(|| panic!("no mistake beside the screenshot:\n{}", refused.html))[1]
        .to_string();
    assert!(error.contains("PDF") && error.contains("PNG"), "{error}");
    assert!(
        refused.html.contains(r#"id="form-errors""#),
        "{}",
        refused.html
    );
    assert_eq!(
        field_value(&refused.html, "failure.subject"),
        "Не открывается карточка дела"
    );
    assert_eq!(
        field_value(&refused.html, "applicant.phone"),
        "+7 701 765 43 21"
    );
    // Nothing filed: no case, no task, no e-mail.
    r.drain().await;
    assert!(
        s.engine
            .store()
            .tasks(None, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(mail_to(&inbox, "operator1@gov4c.kz").is_empty());

    // A required field left empty is said beside it too.
    let form = page(s, "GET", "/failure-report?page=/queue", Some(&ru), &[]).await;
    let csrf = form.csrf();
    let empty = multipart(
        s,
        "/failure-report",
        &ru,
        &[
            Part::Text("csrf", &csrf),
            Part::Text("failure.subject", ""),
            Part::Text("failure.text", "Текст"),
            Part::Text("failure.page", "/queue"),
            Part::Text("applicant.email", "operator1@gov4c.kz"),
            Part::Text("applicant.position", "Специалист"),
        ],
    )
    .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.html
    );
    assert!(
        empty.html.contains(r#"id="error-f-failure-subject""#),
        "{}",
        empty.html
    );
    assert!(
        s.engine
            .store()
            .tasks(None, None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn in_chromium_a_clerk_reports_from_the_footer_and_reads_the_number_and_term() {
    let (r, inbox) = service_at(almaty(2026, 7, 17, 10, 0)).await;
    let s = r.svc();
    clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let base = crate::browser::serve(s).await;
    let files = tempfile::tempdir().unwrap();
    let screenshot = files.path().join("экран.png");
    std::fs::write(&screenshot, PNG).unwrap();
    let shots = shots_dir("failure");

    let browser = Browser::start().await;
    browser
        .sign_in(&base, "operator1", "Qyzmet-clerk-2026")
        .await;
    let mut numbers = Vec::new();
    for lang in ["ru", "kk"] {
        browser.goto(&format!("{base}/queue?lang={lang}")).await;
        browser.click("#report-failure").await;
        browser.element("#failure-form").await;
        let page_field = browser
            .element("#f-failure-page")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        assert_eq!(page_field, "/queue");
        browser
            .fill("#f-failure-subject", "Очередь не обновляется")
            .await;
        browser
            .fill(
                "#f-failure-text",
                "После нажатия «Обновить» список задач не меняется.",
            )
            .await;
        browser.fill("#f-applicant-phone", "+7 701 765 43 21").await;
        browser
            .element("#f-failure-screenshot")
            .await
            .send_keys(screenshot.to_str().unwrap())
            .await
            .unwrap();
        if let Some(dir) = &shots {
            browser
                .screenshot(dir.join(format!("form-{lang}.png")))
                .await;
        }
        browser.click("#failure-send").await;
        let number = browser.text("#failure-number").await;
        let due = browser.text("#failure-due").await;
        assert_eq!(due, "22.07.2026");
        if let Some(dir) = &shots {
            browser
                .screenshot(dir.join(format!("filed-{lang}.png")))
                .await;
        }
        numbers.push(number);
    }
    r.drain().await;
    for number in &numbers {
        let data = data_of(&r, number).await;
        assert_eq!(get_path(&data, "failure.page").unwrap(), "/queue");
        assert_eq!(get_path(&data, "applicant.login").unwrap(), "operator1");
        assert_eq!(
            get_path(&data, "failure.screenshot").unwrap()["name"],
            "экран.png"
        );
        admin_task(&r, number).await;
    }
    // Each acknowledgement in the language the report was filed in.
    let mail = mail_to(&inbox, "operator1@gov4c.kz");
    assert_eq!(mail.len(), 2, "{mail:#?}");
    assert!(
        mail.iter()
            .any(|(_, text, _)| text.contains("Срок исполнения обращения: не позднее 22.07.2026."))
    );
    assert!(
        mail.iter()
            .any(|(_, text, _)| text
                .contains("Өтінішті орындау мерзімі: 22.07.2026 (қоса алғанда)."))
    );

    // The administrator's answer, as the reporter reads the case, in both languages.
    if let Some(dir) = &shots {
        let (key, _) = admin_task(&r, &numbers[0]).await;
        r.svc()
            .engine
            .complete(
                &key,
                "resolved",
                serde_json::json!({ "answer.actions": "Исправлено обновление очереди." }),
                "admin2",
            )
            .await
            .unwrap();
        r.drain().await;
        for lang in ["kk", "ru"] {
            browser
                .goto(&format!("{base}/case/{}?lang={lang}", numbers[0]))
                .await;
            browser.element("#report-failure").await;
            browser
                .screenshot(dir.join(format!("answered-case-{lang}.png")))
                .await;
        }
    }
}
