//! Term compliance (`engine/compliance.rs`, `engine/store/compliance.rs`, `GET
//! /reports/compliance`, `/compliance` and `/compliance.csv`): cases run through the real
//! engine on known days with the manual clock, then the figures a head of department reads —
//! the counts and the share in term per month, the median and 90th percentile of a step, the
//! overdue work by step and clerk — through the API, the CSV and the page, under the region
//! and role rules.
//!
//! The service tests run on the backend under test (`QYZMET_TEST_BACKEND=postgres` reruns
//! them on PostgreSQL).

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use qyzmet::clock::Clock;
use qyzmet::runtime::Language;

use crate::browser::Browser;
use crate::notify::mail_server;
use crate::service::{Running, acceptance_form, aggregator, almaty, call, running};
use crate::web::{clerk, page};

const SERVICE: &str = "rehabilitated-person-certificate";

/// The clock set to `at`, what fell due run.
async fn at(r: &Running, at: DateTime<Utc>) {
    r.clock.set(at);
    r.drain().await;
}

/// A case submitted and accepted now: its number.
async fn accepted(r: &Running) -> String {
    let number = r.submit(Language::Kk, true).await;
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    number
}

/// Case `number`, its review approved now by `by`, signed, delivered to the State Corporation
/// (the term stops: the result waits for the citizen) and handed over.
async fn rendered(r: &Running, number: &str, by: &str) {
    r.complete(number, "review", "approve", json!({}), by).await;
    r.complete(
        number,
        "sign_certificate",
        "signed",
        json!({ "certificate.number": "АК-000417" }),
        "head1",
    )
    .await;
    r.complete(number, "deliver_certificate", "delivered", json!({}), by)
        .await;
    r.complete(
        number,
        "hand_over_certificate",
        "handed_over",
        json!({ "handover.recipient": "Абенова Айгүл Серікқызы (өзі)" }),
        "operator1",
    )
    .await;
}

/// Three cases accepted on Monday 5 October 2026 at 10:00 (term: 5 working days, the
/// acceptance day not counted — to Monday 12 October): the first reviewed by specialist1 an
/// hour later, the second by specialist2 two hours later, both rendered that day; the third
/// reviewed by specialist2 on Wednesday 14 October at 10:00 (nine days: late, and its review
/// task past its due time) and rendered then. One case accepted on Monday 2 November, its
/// review claimed by specialist2 and left open. Now: Tuesday 1 December 2026, 10:00.
async fn world() -> (Running, [String; 4]) {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 10, 5, 10, 0)).await;
    let a = accepted(&r).await;
    let b = accepted(&r).await;
    let c = accepted(&r).await;
    at(&r, almaty(2026, 10, 5, 11, 0)).await;
    rendered(&r, &a, "specialist1").await;
    at(&r, almaty(2026, 10, 5, 12, 0)).await;
    rendered(&r, &b, "specialist2").await;
    at(&r, almaty(2026, 10, 14, 10, 0)).await;
    rendered(&r, &c, "specialist2").await;
    at(&r, almaty(2026, 11, 2, 10, 0)).await;
    let d = accepted(&r).await;
    let review = r.task(&d, "review").await;
    r.svc().engine.claim(&review, "specialist2").await.unwrap();
    at(&r, almaty(2026, 12, 1, 10, 0)).await;
    (r, [a, b, c, d])
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn a_head_reads_the_share_in_term_the_step_times_and_the_overdue_work_of_their_region() {
    let (r, _numbers) = world().await;
    let s = r.svc();
    assert_eq!(r.clock.now(), almaty(2026, 12, 1, 10, 0));
    let head = r.token("head1", &["head_of_department"], "almaty").await;
    let uri = format!("/reports/compliance?service={SERVICE}&from=2026-10&to=2026-11");
    let (status, _, body) = call(s, "GET", &uri, &[("authorization", &bearer(&head))], None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["region"], "almaty",
        "a head of a region reads their own"
    );
    let months = body["months"].as_array().unwrap();
    assert_eq!(months.len(), 2, "{body}");
    let october = &months[0];
    assert_eq!(october["month"], "2026-10");
    for (field, expected) in [
        ("registered", json!(3)),
        ("rendered", json!(3)),
        ("in_term", json!(2)),
        ("late", json!(1)),
        ("share_in_term", json!(66.7)),
        ("not_accepted", json!(0)),
        ("withdrawn", json!(0)),
        ("open_past_term", json!(0)),
    ] {
        assert_eq!(october[field], expected, "October's {field}: {october}");
    }
    let november = &months[1];
    assert_eq!(
        (
            &november["registered"],
            &november["rendered"],
            &november["open_past_term"]
        ),
        (&json!(1), &json!(0), &json!(1)),
        "{november}"
    );
    assert_eq!(november["share_in_term"], Value::Null, "nothing rendered");
    assert_eq!(body["total"]["registered"], 4);
    assert_eq!(body["total"]["share_in_term"], 66.7);

    // The review took 1 h, 2 h and 9 days: the median is 2 h, the 90th percentile 9 days.
    let review = body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "review")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(review["completed"], 3);
    assert_eq!(review["median_seconds"], 2 * 3600);
    assert_eq!(review["p90_seconds"], 9 * 24 * 3600);

    // The review is the step with the overdue work: one completed late, one open past due;
    // specialist2 did the one and holds the other.
    assert_eq!(
        body["overdue_steps"][0],
        json!({ "step": "review", "open_overdue": 1, "completed_late": 1 }),
        "{body}"
    );
    assert_eq!(
        body["overdue_clerks"],
        json!([{ "login": "specialist2", "holding_overdue": 1, "completed_late": 1 }]),
        "{body}"
    );

    // Another region's head sees none of them, and may not ask for Almaty.
    let astana = r.token("head7", &["head_of_department"], "astana").await;
    let (status, _, other) =
        call(s, "GET", &uri, &[("authorization", &bearer(&astana))], None).await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_eq!(other["region"], "astana");
    assert_eq!(other["total"]["registered"], 0);
    assert_eq!(other["steps"], json!([]));
    assert_eq!(other["overdue_clerks"], json!([]));
    let (status, _, refused) = call(
        s,
        "GET",
        &format!("{uri}&region=almaty"),
        &[("authorization", &bearer(&astana))],
        None,
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{refused}"
    );
    // The refusal is journalled, by the router's layer, naming the region asked for.
    let mut conn = s.engine.store().read().await.unwrap();
    let journal = qyzmet::store::audit::page(&mut conn, 0, 100_000)
        .await
        .unwrap();
    conn.close().await;
    assert!(
        journal.into_iter().map(Result::unwrap).any(|rec| {
            rec.actor == "head7"
                && rec.action == qyzmet::audit::Action::AccessDenied
                && rec.details["reason"] == "region"
                && rec.details["region"] == "almaty"
        }),
        "the refusal of head7 is journalled"
    );

    // A director of the whole republic reads every region, and Almaty when asked.
    let director = r.token("director1", &["department_director"], "kz").await;
    let (_, _, all) = call(
        s,
        "GET",
        &uri,
        &[("authorization", &bearer(&director))],
        None,
    )
    .await;
    assert_eq!(all["region"], Value::Null);
    assert_eq!(all["total"]["registered"], 4);

    // An operator is refused.
    let operator = r
        .token("operator9", &["front_office_operator"], "almaty")
        .await;
    let (status, _, refused) = call(
        s,
        "GET",
        &uri,
        &[("authorization", &bearer(&operator))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // A bad month or an unknown service is 422 naming the parameter.
    for (query, field) in [
        ("from=2026-13", "from"),
        ("to=October", "to"),
        ("from=2026-11&to=2026-10", "from"),
        ("from=2020-01&to=2026-10", "from"),
        ("service=no-such-service", "service"),
        ("region=%21%21", "region"),
    ] {
        let (status, _, body) = call(
            s,
            "GET",
            &format!("/reports/compliance?{query}"),
            &[("authorization", &bearer(&head))],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["fields"][0]["field"], field, "{query}: {body}");
    }

    // Every service and the default period (the last 12 full months and this one): the same
    // October.
    let (status, _, default) = call(
        s,
        "GET",
        "/reports/compliance",
        &[("authorization", &bearer(&head))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{default}");
    assert_eq!(
        (&default["from"], &default["to"]),
        (&json!("2025-12"), &json!("2026-12"))
    );
    let october = default["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2026-10")
        .unwrap();
    assert_eq!(october["share_in_term"], 66.7);
}

#[tokio::test]
async fn the_csv_and_the_page_show_the_same_figures_and_refuse_an_operator() {
    let (r, _numbers) = world().await;
    let s = r.svc();
    let head = clerk(&r, "head1", &["head_of_department"], "almaty").await;
    let query = format!("service={SERVICE}&from=2026-10&to=2026-11");

    let csv = page(
        s,
        "GET",
        &format!("/compliance.csv?{query}&lang=ru"),
        Some(&head),
        &[],
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.html);
    assert_eq!(
        csv.headers["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("compliance-{SERVICE}-2026-10-2026-11.csv"))
    );
    assert!(csv.html.starts_with('\u{feff}'), "a BOM for Excel");
    let lines: Vec<&str> = csv
        .html
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .collect();
    assert_eq!(lines[0], "По месяцам");
    assert_eq!(
        lines[1],
        "Месяц;Зарегистрировано;Оказано;В срок;С нарушением срока;Доля в срок;Отказано в приёме;Отозвано;Открыто, срок истёк"
    );
    assert_eq!(lines[2], "2026-10;3;3;2;1;66,7;0;0;0");
    assert_eq!(lines[3], "2026-11;1;0;0;0;;0;0;1");
    assert_eq!(lines[4], "Итого;4;3;2;1;66,7;0;0;1");
    let review = lines
        .iter()
        .find(|l| l.starts_with("Рассмотрение документов"))
        .unwrap_or_else(|| panic!("{}", csv.html));
    assert_eq!(
        *review,
        "Рассмотрение документов: выдать удостоверение или отказать;3;2,0;216,0;1;1"
    );
    assert!(lines.contains(&"specialist2;1;1"), "{}", csv.html);

    // The page, in Kazakh and in Russian: the chart with the share as text, the table, the
    // heat map with the review coloured as the slowest step.
    for (lang, month_head, review_title) in [
        ("kk", "Ай", "Құжаттарды қарау: куәлік беру немесе бас тарту"),
        (
            "ru",
            "Месяц",
            "Рассмотрение документов: выдать удостоверение или отказать",
        ),
    ] {
        let html = page(
            s,
            "GET",
            &format!("/compliance?{query}&lang={lang}"),
            Some(&head),
            &[],
        )
        .await;
        assert_eq!(html.status, StatusCode::OK, "{}", html.html);
        let html = html.html;
        assert!(
            html.contains(&format!("<th scope=\"col\">{month_head}</th>")),
            "{lang}"
        );
        assert!(
            html.contains(r#"<text class="share" data-month="2026-10""#)
                && html.contains(">66,7 %</text>"),
            "the chart's bar says 66,7 %: {html}"
        );
        assert!(html.contains("<title id=\"chart-title\">"), "{lang}");
        assert!(
            html.contains(r#"<td data-label"#) && html.contains(">66,7 %</td>"),
            "{lang}"
        );
        assert!(html.contains(review_title), "{lang}");
        let diagram = html
            .split("id=\"compliance-heat\"")
            .nth(1)
            .and_then(|heat| heat.split("class=\"diagram-canvas\"").nth(1))
            .and_then(|canvas| canvas.split("</svg>").next())
            .unwrap_or_else(|| panic!("no heat map: {html}"));
        // The review, the slowest step, takes the scale's darkest colour; the acceptance,
        // done at once, its lightest; nothing else is filled.
        assert_eq!(diagram.matches("#e53935").count(), 1, "{diagram}");
        assert!(diagram.contains("#c8e6c9"), "{diagram}");
    }

    // A bad month comes back beside its field.
    let bad = page(
        s,
        "GET",
        "/compliance?from=2026-13&lang=ru",
        Some(&head),
        &[],
    )
    .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.html.contains(
            r#"<p class="error" id="c-from-error">Укажите месяц в виде ГГГГ-ММ (2026-10).</p>"#
        ),
        "{}",
        bad.html
    );

    // An operator is refused the page and the CSV.
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    for uri in ["/compliance", "/compliance.csv"] {
        let refused = page(s, "GET", uri, Some(&operator), &[]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{uri}");
    }
}

#[tokio::test]
async fn in_chromium_the_page_draws_the_chart_and_the_heat_map_in_both_languages() {
    let (r, _numbers) = world().await;
    clerk(&r, "head1", &["head_of_department"], "almaty").await;
    let base = crate::browser::serve(r.svc()).await;
    let browser = Browser::start().await;
    let shots = crate::browser::shots_dir("qyzmet-compliance-shots-");
    browser.sign_in(&base, "head1", "Qyzmet-clerk-2026").await;
    browser.click("#nav-compliance").await;
    browser.element("#compliance-form").await;
    // The form's view is the address.
    for lang in ["kk", "ru"] {
        browser
            .goto(&format!(
                "{base}/compliance?service={SERVICE}&from=2026-10&to=2026-11&lang={lang}"
            ))
            .await;
        let share = browser
            .text(r#"#compliance-chart text.share[data-month="2026-10"]"#)
            .await;
        assert_eq!(share, "66,7 %", "{lang}");
        assert_eq!(
            browser
                .text(r#"#compliance-months tr[data-month="10.2026"] .share"#)
                .await
                .trim(),
            "66,7 %"
        );
        browser.element("#compliance-heat svg").await;
        if let Some(dir) = &shots {
            browser.resize(1366, 1800).await;
            browser
                .screenshot(dir.join(format!("compliance-{lang}-1366.png")))
                .await;
            browser.resize(390, 2400).await;
            browser
                .screenshot(dir.join(format!("compliance-{lang}-390.png")))
                .await;
            browser.resize(1366, 1000).await;
            browser
                .client()
                .execute(
                    "document.getElementById('compliance-heat').scrollIntoView()",
                    vec![],
                )
                .await
                .unwrap();
            browser
                .screenshot(dir.join(format!("compliance-{lang}-heat.png")))
                .await;
            browser.resize(1366, 800).await;
        }
    }
}
