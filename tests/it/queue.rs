//! The clerk's queue (`/queue`, `GET /tasks`, `Store::task_page`): filters a clerk would
//! use (mine, unassigned, overdue, due today, service, step), sorting, paging with the total,
//! the view kept in the URL, the applicant's name and the time left in the right unit in
//! Kazakh and Russian; the store's query on both backends; and the page at an office
//! screen's and a phone's width in a real Chromium.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Duration;
use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Submission};
use qyzmet::store::{self, TaskSort};
use serde_json::json;

use crate::backends;
use crate::browser::Browser;
use crate::service::{EMAIL, IIN, PHONE, Running, acceptance_form, almaty, call};
use crate::web::{Answer, clerk, page, service, signed_in};

const CERTIFICATE: &str = "rehabilitated-person-certificate";
const COMPENSATION: &str = "repression-victims-compensation";

/// Opens `n` cases of `service` in Almaty at once (the writer commits them in a few
/// batches), each waiting at its acceptance task; their numbers.
async fn open_cases(r: &Running, service: &str, n: usize) -> Vec<String> {
    let engine = &r.svc().engine;
    let submissions = (0..n).map(|_| {
        engine.submit(
            service,
            Submission {
                data: json!({ "applicant.iin": IIN, "applicant.phone": PHONE, "applicant.email": EMAIL }),
                channel: "state_corporation".into(),
                language: Language::Kk,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
    });
    futures_util::future::join_all(submissions)
        .await
        .into_iter()
        .map(|n| n.expect("the application is accepted for registration"))
        .collect()
}

/// The registration numbers of a queue page's rows, in order.
fn numbers(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"<tr class="task[^"]*" data-key="[^"]+" data-number="([^"]+)""#)
        .unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// The text of the element with `id`, tags stripped.
fn by_id(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!(r#"id="{id}""#))?;
    let open = html[start..].find('>')? + start + 1;
    let close = html[open..].find("</")? + open;
    Some(strip(&html[open..close]))
}

fn strip(html: &str) -> String {
    let re = regex::Regex::new(r"<[^>]+>").unwrap();
    re.replace_all(html, "").trim().to_string()
}

/// The `href` of the link with `id`, as the browser would follow it (entities decoded).
fn href(html: &str, id: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"<a href="([^"]*)" id="{id}""#)).unwrap();
    re.captures(html).map(|c| decode(&c[1]))
}

fn decode(attr: &str) -> String {
    attr.replace("&amp;", "&")
        .replace("&#x3D;", "=")
        .replace("&#x2F;", "/")
        .replace("&#x27;", "'")
}

/// The cell of `class` in the row of case `number`, tags stripped.
fn cell(html: &str, number: &str, class: &str) -> String {
    let start = html
        .find(&format!(r#"data-number="{number}""#))
        .unwrap_or_else(|| panic!("no row for {number}:\n{html}"));
    let row = &html[start..html[start..].find("</tr>").unwrap() + start];
    let at = row
        .find(&format!(r#"class="{class}""#))
        .unwrap_or_else(|| panic!("no cell {class} in {row}"));
    let open = row[at..].find('>').unwrap() + at + 1;
    let close = row[open..].find("</td>").unwrap() + open;
    strip(&row[open..close])
}

/// The password [`clerk`] gives its accounts.
const PASSWORD: &str = "Qyzmet-clerk-2026";

/// Signs `login` in again: a session idle longer than its limit ends, and these tests move
/// the clock by hours and days.
async fn again(r: &Running, login: &str) -> String {
    signed_in(r.svc(), login, PASSWORD).await
}

async fn get(r: &Running, uri: &str, cookie: &str) -> Answer {
    let answer = page(r.svc(), "GET", uri, Some(cookie), &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.html);
    answer
}

#[tokio::test]
async fn the_queue_pages_through_521_tasks_with_the_total_and_no_row_twice() {
    let r = service().await;
    let opened: HashSet<String> = open_cases(&r, CERTIFICATE, 521).await.into_iter().collect();
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;

    // The first page: 50 rows, the total and the page count, in Russian and Kazakh.
    let first = get(&r, "/queue?lang=ru", &operator).await;
    assert_eq!(numbers(&first.html).len(), 50);
    assert_eq!(by_id(&first.html, "queue-range").unwrap(), "1–50 из 521");
    assert_eq!(
        by_id(&first.html, "queue-pages").unwrap(),
        "Страница 1 из 11"
    );
    let kk = get(&r, "/queue?lang=kk", &operator).await;
    assert_eq!(
        by_id(&kk.html, "queue-range").unwrap(),
        "521 тапсырманың 1–50"
    );
    assert_eq!(by_id(&kk.html, "queue-pages").unwrap(), "1-бет, барлығы 11");
    assert!(
        href(&first.html, "page-prev").is_none(),
        "no page before the first"
    );

    // Following "next" as a clerk would: every task once, the last page holding 21.
    let mut seen: Vec<String> = Vec::new();
    let mut uri = "/queue".to_string();
    for n in 1..=11 {
        let answer = get(&r, &uri, &operator).await;
        let rows = numbers(&answer.html);
        assert_eq!(rows.len(), if n == 11 { 21 } else { 50 }, "page {n}");
        seen.extend(rows);
        match href(&answer.html, "page-next") {
            Some(next) => {
                assert_eq!(next, format!("/queue?page={}", n + 1));
                uri = next;
            }
            None => assert_eq!(n, 11, "the pager ends at the last page"),
        }
    }
    let distinct: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), 521, "no row twice");
    assert_eq!(distinct, opened, "every task shown");
    let last = get(&r, "/queue?page=11&lang=ru", &operator).await;
    assert_eq!(by_id(&last.html, "queue-range").unwrap(), "501–521 из 521");
    assert_eq!(href(&last.html, "page-prev").unwrap(), "/queue?page=10");
    assert_eq!(href(&last.html, "page-first").unwrap(), "/queue");
    assert!(href(&last.html, "page-last").is_none());
    // A page past the end says where the queue ends and links back.
    let past = get(&r, "/queue?page=40&lang=ru", &operator).await;
    assert!(numbers(&past.html).is_empty());
    assert_eq!(
        by_id(&past.html, "queue-pages").unwrap(),
        "Страница 40 из 11"
    );
    assert!(href(&past.html, "page-last").is_none());
    assert_eq!(href(&past.html, "page-prev").unwrap(), "/queue?page=11");

    // The API gives the same total with its page.
    let token = r.token("api1", &["front_office_operator"], "almaty").await;
    let bearer = format!("Bearer {token}");
    let (status, _, body) = call(
        r.svc(),
        "GET",
        "/tasks?limit=50&offset=500&sort=number",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 521);
    assert_eq!(body["tasks"].as_array().unwrap().len(), 21);
}

#[tokio::test]
async fn each_filter_narrows_the_queue_as_a_clerk_expects_and_the_url_keeps_it() {
    let r = service().await;
    let certificates = open_cases(&r, CERTIFICATE, 3).await;
    let compensations = open_cases(&r, COMPENSATION, 2).await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let all = get(&r, "/queue?lang=ru", &operator).await;
    assert_eq!(numbers(&all.html).len(), 5);
    assert!(by_id(&all.html, "queue-range").unwrap().ends_with("из 5"));

    // Service: only that service's cases; its option is shown chosen.
    let only = get(&r, &format!("/queue?service={COMPENSATION}"), &operator).await;
    let mut shown = numbers(&only.html);
    shown.sort();
    assert_eq!(shown, compensations);
    assert!(
        only.html
            .contains(&format!(r#"<option value="{COMPENSATION}" selected>"#)),
        "{}",
        only.html
    );

    // Step: the acceptance of the certificate, offered under its service's name.
    let step = format!("{CERTIFICATE}:accept_documents");
    assert!(
        all.html.contains(&format!(r#"<option value="{step}">"#)),
        "{}",
        all.html
    );
    let at_step = get(
        &r,
        &format!("/queue?step={CERTIFICATE}%3Aaccept_documents"),
        &operator,
    )
    .await;
    let mut shown = numbers(&at_step.html);
    shown.sort();
    assert_eq!(shown, certificates);
    // A step of one service with another service chosen selects nothing, and says so.
    let none = get(
        &r,
        &format!("/queue?service={COMPENSATION}&step={CERTIFICATE}%3Aaccept_documents&lang=ru"),
        &operator,
    )
    .await;
    assert!(numbers(&none.html).is_empty());
    assert_eq!(
        by_id(&none.html, "queue-empty").unwrap(),
        "Нет задач, подходящих под выбранные фильтры."
    );

    // Mine and unassigned: a claim moves a task from one to the other.
    let key = r.task(&certificates[0], "accept_documents").await;
    let claimed = page(
        r.svc(),
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&operator),
        &[("csrf", &all.csrf())],
    )
    .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
    let mine = get(&r, "/queue?who=mine", &operator).await;
    assert_eq!(numbers(&mine.html), vec![certificates[0].clone()]);
    let unassigned = get(&r, "/queue?who=unassigned", &operator).await;
    assert_eq!(numbers(&unassigned.html).len(), 4);
    assert!(!numbers(&unassigned.html).contains(&certificates[0]));

    // Due today and overdue: at 10:30 every acceptance (due 10:20) is overdue, and due today.
    let today = get(&r, "/queue?due=today", &operator).await;
    assert_eq!(numbers(&today.html).len(), 5);
    let overdue = get(&r, "/queue?due=overdue", &operator).await;
    assert!(numbers(&overdue.html).is_empty());
    r.clock.set(almaty(2026, 11, 23, 10, 30));
    let operator = again(&r, "operator1").await;
    let overdue = get(&r, "/queue?due=overdue", &operator).await;
    assert_eq!(numbers(&overdue.html).len(), 5);
    // The next morning nothing is due today; everything is still overdue.
    r.clock.set(almaty(2026, 11, 24, 9, 0));
    let operator = again(&r, "operator1").await;
    let today = get(&r, "/queue?due=today&lang=ru", &operator).await;
    assert!(numbers(&today.html).is_empty(), "{}", today.html);
    let overdue = get(&r, "/queue?due=overdue", &operator).await;
    assert_eq!(numbers(&overdue.html).len(), 5);

    // Sort: by number, descending.
    let sorted = get(&r, "/queue?sort=number&order=desc", &operator).await;
    let mut expected: Vec<String> = certificates.iter().chain(&compensations).cloned().collect();
    expected.sort();
    expected.reverse();
    assert_eq!(numbers(&sorted.html), expected);

    // The URL keeps the view: the language switch, the pager and the chosen options.
    let view = get(
        &r,
        &format!("/queue?who=unassigned&service={CERTIFICATE}&sort=number&order=desc&lang=ru"),
        &operator,
    )
    .await;
    let to_kk = href(&view.html, "lang-kk").unwrap();
    assert_eq!(
        to_kk,
        format!("/queue?who=unassigned&service={CERTIFICATE}&sort=number&order=desc&lang=kk")
    );
    for chosen in [
        r#"<option value="unassigned" selected>"#,
        r#"<option value="number" selected>"#,
        r#"<option value="desc" selected>"#,
    ] {
        assert!(view.html.contains(chosen), "{chosen}: {}", view.html);
    }
    let kk = get(&r, &to_kk, &operator).await;
    assert_eq!(
        numbers(&kk.html),
        numbers(&view.html),
        "the same view in Kazakh"
    );
    assert!(kk.html.contains(r#"<html lang="kk">"#));
    // What the page does not know is no filter: a bookmark of a retired service still opens.
    let stale = get(&r, "/queue?service=retired&who=nobody&page=zero", &operator).await;
    assert_eq!(numbers(&stale.html).len(), 5);

    // The API's filters are the page's.
    let token = r.token("api1", &["front_office_operator"], "almaty").await;
    let bearer = format!("Bearer {token}");
    for (query, total) in [
        (format!("service={COMPENSATION}"), 2),
        (format!("service={CERTIFICATE}&step=accept_documents"), 3),
        ("unassigned=true".to_string(), 4),
        ("assignee=me".to_string(), 0),
        ("due_today=true".to_string(), 0),
        ("overdue=true".to_string(), 5),
    ] {
        let (status, _, body) = call(
            r.svc(),
            "GET",
            &format!("/tasks?{query}"),
            &[("authorization", &bearer)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["total"], total, "{query}: {body}");
    }
    let (status, _, body) = call(
        r.svc(),
        "GET",
        "/tasks?due_today=true&overdue=true",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "due_today");
}

#[tokio::test]
async fn time_left_is_said_in_minutes_hours_and_working_days_in_both_languages() {
    let r = service().await;
    let cases = open_cases(&r, CERTIFICATE, 2).await;
    let (waiting, accepted) = (&cases[0], &cases[1]);
    r.drain().await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let left = |html: &str, number: &str| cell(html, number, "time-left");

    // Due at 10:20, seen at 10:00: minutes.
    let ru = get(&r, "/queue?lang=ru", &operator).await;
    assert_eq!(left(&ru.html, waiting), "20 мин");
    let kk = get(&r, "/queue?lang=kk", &operator).await;
    assert_eq!(left(&kk.html, waiting), "20 мин");

    // One is accepted at 10:05 on Monday: its review is due on Tuesday 24.11 at 18:00, one
    // working day ahead, and the row names the applicant GBD FL answered for.
    r.clock.set(almaty(2026, 11, 23, 10, 5));
    r.complete(
        accepted,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let ru = get(&r, "/queue?lang=ru", &specialist).await;
    assert!(
        cell(&ru.html, accepted, "applicant").contains("Абенова"),
        "{}",
        ru.html
    );
    assert_eq!(cell(&ru.html, accepted, "due"), "24.11.2026 18:00");
    assert_eq!(left(&ru.html, accepted), "1 рабочий день");
    let kk = get(&r, "/queue?lang=kk", &specialist).await;
    assert_eq!(left(&kk.html, accepted), "1 жұмыс күні");

    // The other, past its time: by how much, in minutes, then hours, then working days
    // (Monday 23.11 to Wednesday 25.11: two working days).
    for (at, ru_text, kk_text) in [
        (
            almaty(2026, 11, 23, 10, 50),
            "просрочено на 30 мин",
            "мерзімі өтті: 30 мин",
        ),
        (
            almaty(2026, 11, 23, 13, 25),
            "просрочено на 3 ч",
            "мерзімі өтті: 3 сағ",
        ),
        (
            almaty(2026, 11, 25, 11, 0),
            "просрочено на 2 рабочих дня",
            "мерзімі өтті: 2 жұмыс күні",
        ),
    ] {
        r.clock.set(at);
        let operator = again(&r, "operator1").await;
        let ru = get(&r, "/queue?lang=ru", &operator).await;
        assert_eq!(left(&ru.html, waiting), ru_text, "{at}");
        assert!(ru.html.contains(r#"class="task overdue""#));
        let kk = get(&r, "/queue?lang=kk", &operator).await;
        assert_eq!(left(&kk.html, waiting), kk_text, "{at}");
        // The review: hours in the evening before it is due.
        if at == almaty(2026, 11, 23, 13, 25) {
            r.clock.set(almaty(2026, 11, 23, 20, 0));
            let specialist = again(&r, "specialist1").await;
            let ru = get(&r, "/queue?lang=ru", &specialist).await;
            assert_eq!(left(&ru.html, accepted), "22 ч");
            let kk = get(&r, "/queue?lang=kk", &specialist).await;
            assert_eq!(left(&kk.html, accepted), "22 сағ");
        }
    }
}

#[tokio::test]
async fn the_store_filters_sorts_and_counts_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let clock = Arc::new(ManualClock::new(backends::fixture::almaty(
            2026, 11, 23, 10, 0,
        )));
        let e = backends::fixture::engine(
            &database,
            clock.clone(),
            dir.path().join(format!("outbox-{name}")),
        )
        .await;
        let mut opened = Vec::new();
        for _ in 0..7 {
            opened.push(
                e.submit("all-kinds", backends::fixture::submission())
                    .await
                    .unwrap(),
            );
        }
        let first = e.store().tasks(None, None, Some(&opened[0])).await.unwrap();
        e.claim(&first[0].key, "operator1").await.unwrap();
        let step = first[0].step.clone();
        let page = |q: store::TaskQuery| {
            let e = e.clone();
            async move { e.store().task_page(&q).await.unwrap() }
        };
        let query = || store::TaskQuery {
            limit: 3,
            ..Default::default()
        };

        // Paging: three at a time, the total on every page, no row twice.
        let mut seen = Vec::new();
        for offset in [0, 3, 6, 9] {
            let (rows, total) = page(store::TaskQuery { offset, ..query() }).await;
            assert_eq!(total, 7, "{name} at {offset}");
            seen.extend(rows.into_iter().map(|t| t.number));
        }
        assert_eq!(seen.len(), 7, "{name}");
        let distinct: HashSet<_> = seen.iter().collect();
        assert_eq!(distinct.len(), 7, "{name}");

        // Filters.
        let (rows, total) = page(store::TaskQuery {
            unassigned: true,
            limit: 10,
            ..query()
        })
        .await;
        assert_eq!((rows.len(), total), (6, 6), "{name}: unassigned");
        assert!(rows.iter().all(|t| t.assignee.is_none()), "{name}");
        let (_, total) = page(store::TaskQuery {
            service: Some("all-kinds".into()),
            ..query()
        })
        .await;
        assert_eq!(total, 7, "{name}: service");
        let (_, total) = page(store::TaskQuery {
            service: Some("no-such-service".into()),
            ..query()
        })
        .await;
        assert_eq!(total, 0, "{name}: another service");
        let (_, total) = page(store::TaskQuery {
            step: Some(step.clone()),
            service: Some("all-kinds".into()),
            roles: Some(vec!["front_office_operator".into()]),
            region: Some("almaty".into()),
            ..query()
        })
        .await;
        assert_eq!(total, 7, "{name}: step");
        let (_, total) = page(store::TaskQuery {
            step: Some("no_such_step".into()),
            ..query()
        })
        .await;
        assert_eq!(total, 0, "{name}: another step");

        // Sort by number, both ways.
        let (rows, _) = page(store::TaskQuery {
            sort: TaskSort::Number,
            descending: true,
            limit: 10,
            ..query()
        })
        .await;
        let mut expected = opened.clone();
        expected.sort();
        expected.reverse();
        assert_eq!(
            rows.into_iter().map(|t| t.number).collect::<Vec<_>>(),
            expected,
            "{name}"
        );

        // The cases of a page, in one read.
        let cases = e.store().cases_by_numbers(&opened[..3]).await.unwrap();
        let mut read: Vec<String> = cases.into_iter().map(|c| c.number).collect();
        read.sort();
        assert_eq!(read, opened[..3].to_vec(), "{name}");
        assert!(e.store().cases_by_numbers(&[]).await.unwrap().is_empty());
        e.store().close().await;
    }
}

#[tokio::test]
async fn in_chromium_the_queue_and_the_accounts_fit_an_office_screen_and_a_phone() {
    let r = service().await;
    let s = r.svc();
    open_cases(&r, CERTIFICATE, 60).await;
    open_cases(&r, COMPENSATION, 3).await;
    r.clock.advance(Duration::minutes(45));
    let admin = s.first_administrator().await.unwrap().unwrap();
    let _ = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;

    let base = crate::browser::serve(s).await;
    let shots = crate::browser::shots_dir("qyzmet-queue-shots-");

    let browser = Browser::start().await;
    browser.resize(1366, 900).await;
    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "operator1").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    assert_eq!(browser.text("#queue-range").await, "1–50 из 63");

    // A filter chosen on the form goes into the URL, and the next page keeps it.
    let select = browser.element("#q-who").await;
    select.select_by_value("unassigned").await.unwrap();
    browser.click("#q-show").await;
    browser.text("#q-reset").await;
    let url = browser.current_url().await;
    assert!(url.contains("who=unassigned"), "{url}");
    browser.click("#page-next").await;
    browser.text("#page-prev").await;
    let url = browser.current_url().await;
    assert!(
        url.contains("who=unassigned") && url.contains("page=2"),
        "{url}"
    );
    assert_eq!(browser.text("#queue-range").await, "51–63 из 63");
    shot(&browser, &shots, "queue-1366-page2.png").await;
    browser.goto(&format!("{base}/queue")).await;
    browser.text("#queue-range").await;
    shot(&browser, &shots, "queue-1366.png").await;

    // A phone: each row a card, every cell under its column's name, nothing wider than the
    // screen.
    browser.resize(390, 844).await;
    browser.goto(&format!("{base}/queue")).await;
    browser.text("#queue-range").await;
    let wide = page_width(&browser).await;
    assert!(
        wide <= 390,
        "the queue is {wide} px wide on a 390 px screen"
    );
    let label = browser
        .client()
        .execute(
            "return getComputedStyle(document.querySelector('#queue td.step'), '::before').content",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(label, json!("\"Шаг\""), "the cell is labelled on a card");
    shot(&browser, &shots, "queue-390-top.png").await;
    browser
        .client()
        .execute(
            "document.querySelector('#queue-range').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    shot(&browser, &shots, "queue-390.png").await;

    // The administrator's accounts, on the phone too.
    browser.client().delete_all_cookies().await.unwrap();
    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "admin").await;
    browser.fill("#password", &admin).await;
    browser.click("#sign-in").await;
    browser.fill("#current", &admin).await;
    browser.fill("#new", "Qyzmet-2026-admin").await;
    browser.fill("#repeat", "Qyzmet-2026-admin").await;
    browser.click("#change-password").await;
    browser.text("#nav-accounts").await;
    browser.goto(&format!("{base}/admin/accounts")).await;
    browser.text("#accounts").await;
    let wide = page_width(&browser).await;
    assert!(
        wide <= 390,
        "the accounts page is {wide} px wide on a 390 px screen"
    );
    shot(&browser, &shots, "accounts-390.png").await;
    browser.resize(1366, 900).await;
    browser.goto(&format!("{base}/admin/accounts")).await;
    browser.text("#accounts").await;
    shot(&browser, &shots, "accounts-1366.png").await;
}

/// The page's scroll width: wider than the window means sideways scrolling.
async fn page_width(browser: &Browser) -> u64 {
    browser
        .client()
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// A screenshot of the window into `dir`, when asked for, its path printed for looking at.
async fn shot(browser: &Browser, dir: &Option<PathBuf>, name: &str) {
    if let Some(dir) = dir {
        let path = browser.screenshot(dir.join(name)).await;
        eprintln!("screenshot: {}", path.display());
    }
}

/// The queue at the size the issue names: 1,000,000 cases, 200,000 open or claimed tasks (and
/// 800,000 closed ones), spread over 17 regions and three roles, on the embedded SQLite.
/// Each view a clerk opens is timed through the whole page (the query, its count, the page's
/// cases, the template). It takes minutes to fill, so it runs only when asked:
/// `QYZMET_BENCH_QUEUE=1 cargo test --release --test it queue::bench -- --nocapture`.
#[tokio::test]
async fn bench_the_queue_at_a_million_cases() {
    if std::env::var("QYZMET_BENCH_QUEUE").ok().as_deref() != Some("1") {
        return;
    }
    let r = service().await;
    let s = r.svc();
    let model = open_cases(&r, CERTIFICATE, 1).await.remove(0);
    r.drain().await;
    let pool = s
        .engine
        .store()
        .sqlite_pool()
        .expect("the benchmark runs on the embedded SQLite")
        .clone();
    let started = std::time::Instant::now();
    fill(&pool, &model).await;
    eprintln!("filled in {:?}", started.elapsed());
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let head = clerk(
        &r,
        "head_kz",
        &[
            "provider_specialist",
            "head_of_department",
            "front_office_operator",
        ],
        "kz",
    )
    .await;
    for (who, cookie) in [
        ("almaty specialist", &specialist),
        ("kz, three roles", &head),
    ] {
        for uri in [
            "/queue",
            "/queue?page=100",
            "/queue?who=unassigned",
            "/queue?due=overdue",
            "/queue?due=today",
            &format!("/queue?service={COMPENSATION}"),
            &format!("/queue?step={CERTIFICATE}%3Areview"),
            "/queue?sort=number&order=desc",
            "/queue?sort=created&page=50",
        ] {
            let mut times = Vec::new();
            let mut total = String::new();
            for _ in 0..5 {
                let t = std::time::Instant::now();
                let answer = page(s, "GET", uri, Some(cookie), &[]).await;
                times.push(t.elapsed());
                assert_eq!(answer.status, StatusCode::OK);
                total = by_id(&answer.html, "queue-range")
                    .or_else(|| by_id(&answer.html, "queue-pages"))
                    .unwrap_or_default();
            }
            times.sort();
            eprintln!(
                "{who:18} {uri:60} median {:>6.1} ms  max {:>6.1} ms  ({total})",
                times[2].as_secs_f64() * 1000.0,
                times[4].as_secs_f64() * 1000.0
            );
        }
    }
}

/// Writes the benchmark's cases and tasks straight into the database, in one transaction:
/// every fifth case active with an open (or, one in seven, claimed) task, due from five days
/// ago to five days ahead; the active cases carry the state of `model` under their own number.
async fn fill(pool: &sqlx::SqlitePool, model: &str) {
    let mut tx = pool.begin().await.unwrap();
    let state: String = sqlx::query_scalar("select state from cases where number = ?")
        .bind(model)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000000) \
         insert into cases (id, number, service, version, status, result, region, state, seq, created_at, updated_at) \
         select 1000 + i, printf('QZ-2025-%07d', i), \
           case i % 2 when 0 then 'rehabilitated-person-certificate' else 'repression-victims-compensation' end, \
           case i % 2 when 0 then '2026-04-13' else '2026-07-12' end, \
           case when i % 5 = 0 then 'active' else 'completed' end, null, \
           case i % 17 when 0 then 'almaty' else 'r' || (i % 17) end, \
           case when i % 5 = 0 then replace(?1, ?2, printf('QZ-2025-%07d', i)) else '{}' end, \
           1, '2026-11-01T05:00:00.000000Z', '2026-11-01T05:00:00.000000Z' from n",
    )
    .bind(&state)
    .bind(model)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into tasks (key, case_id, number, step, role, region, status, assignee, due_at, evidence, created_at, updated_at) \
         select 'bench-' || id, id, number, \
           case id % 3 when 0 then 'accept_documents' when 1 then 'review' else 'sign_certificate' end, \
           case id % 3 when 0 then 'front_office_operator' when 1 then 'provider_specialist' else 'head_of_department' end, \
           region, \
           case when status = 'completed' then 'closed' when id % 7 = 0 then 'claimed' else 'open' end, \
           case when status = 'active' and id % 7 = 0 then 'clerk' || (id % 50) end, \
           strftime('%Y-%m-%dT%H:%M:%S', '2026-11-23 05:00:00', ((id * 7919) % 14400 - 7200) || ' minutes') || '.000000Z', \
           null, '2026-11-01T05:00:00.000000Z', '2026-11-01T05:00:00.000000Z' \
         from cases where id >= 1000",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("analyze").execute(pool).await.unwrap();
}
