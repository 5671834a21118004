//! The quarterly report on home-education compensation counts the cases of its quarter and
//! links them (seeds/004 list item 1: order No. 28 item 5, the form "Report on the assignment
//! and payment of compensation of the costs of home education of children with
//! disabilities"): the shipped `quarterly-administrative-report` asks qyzmet itself
//! (`qyzmet.service_cases`, engine/service_cases.rs) for the shipped
//! `home-education-cost-recovery` cases decided in the quarter, and each case's page and the
//! report's page name one another.

use std::path::{Path, PathBuf};

use chrono::Duration;
use qyzmet::definition::{self, messages::Lang as MsgLang};
use qyzmet::runtime::{CaseState, Status, Work};
use qyzmet::service_cases::{CONNECTOR, ServiceCasesPerformer};
use qyzmet::store::case_links;
use qyzmet::web::text::Lang;
use qyzmet::worker::jobs::Performer;
use serde_json::{Value, json};

use crate::living::{Desk, clerk, clerk_in};
use crate::notify::mail_server;
use crate::service::{Running, aggregator, almaty, running};
use crate::service_centre::home_education_accepted;
use crate::workplace::text_of;

const REPORT: &str = "quarterly-administrative-report";
const HOME_EDUCATION: &str = "home-education-cost-recovery";

/// A case accepted and assigned `amount` a month today: its decision is dated today.
async fn assigned(r: &Running, amount: &str) -> String {
    let number = home_education_accepted(r).await;
    r.complete(
        &number,
        "review",
        "approve",
        json!({
            "home_education.document": "приказ школы № 16 от 01.09.2026 № 87-о",
            "payment.amount": amount,
            "payment.from": "2026-09-01",
            "payment.until": "2027-05-31",
        }),
        "specialist1",
    )
    .await;
    r.complete(
        &number,
        "sign_decision",
        "signed",
        json!({ "decision.number": format!("ВО-{}", &number[number.len() - 4..]) }),
        "head1",
    )
    .await;
    assert_eq!(result(r, &number).await, Some("assigned".into()));
    number
}

/// A case accepted now, refused on review, the refusal upheld when the citizen does not
/// object within the two working days (the hearing, seeds/001 item 14), and signed then.
async fn refused(r: &Running) -> String {
    let number = home_education_accepted(r).await;
    r.complete(
        &number,
        "review",
        "refuse",
        json!({
            "refusal.ground": "non_compliance",
            "refusal.reasons": "Ребёнок не обучается на дому: справка школы не представлена",
        }),
        "specialist1",
    )
    .await;
    use qyzmet::clock::Clock;
    let until = r.clock.now() + Duration::days(5);
    r.advance_to(until).await;
    r.complete(
        &number,
        "sign_decision",
        "signed",
        json!({
            "decision.number": format!("ВО-{}", &number[number.len() - 4..]),
            "refusal.final_reasons": "Возражений не поступило; основание отказа подтверждено",
        }),
        "head1",
    )
    .await;
    assert_eq!(result(r, &number).await, Some("refused".into()));
    number
}

async fn case(r: &Running, number: &str) -> CaseState {
    r.svc()
        .engine
        .store()
        .case_by_number(number)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no case {number}"))
}

async fn result(r: &Running, number: &str) -> Option<String> {
    case(r, number).await.result
}

/// The report case the schedule opened for `quarter`.
async fn report_of(r: &Running, quarter: &str) -> (i64, String, Value) {
    let store = r.svc().engine.store();
    for task in store.tasks(None, None, None).await.unwrap() {
        let case = store.case_by_number(&task.number).await.unwrap().unwrap();
        if case.service == REPORT && case.data[""]["schedule"]["occurrence"] == json!(quarter) {
            return (case.id, case.number.clone(), case.data[""].clone());
        }
    }
    panic!("no open report on {quarter}");
}

/// The cases of one quarter and the report that counted them.
struct Quarter {
    r: Running,
    /// Assigned on 29.09.2026: the third quarter's.
    september: String,
    /// Assigned 8 650,00 on 07.12.2026.
    first: String,
    /// Assigned 12 400,50 on 07.12.2026.
    second: String,
    /// Refused in December, after the hearing.
    refusal: String,
    /// Applied for on 30.12.2026, still at the review.
    running_case: String,
    /// The report on 2026-Q4: its id, number and data.
    report_id: i64,
    report: String,
    data: Value,
    _inbox: crate::notify::Inbox,
    _sms: crate::service::Aggregator,
}

/// Home-education cases decided in the third and fourth quarters of 2026 and one still
/// running, then the report on the fourth quarter, opened by the schedule on its day.
async fn quarter_reported() -> Quarter {
    let (smtp_port, inbox) = mail_server();
    let (sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 9, 29, 10, 0)).await;

    // Decided in the third quarter: not the fourth's.
    let september = assigned(&r, "9100").await;
    r.clock.set(almaty(2026, 12, 7, 10, 0));
    let first = assigned(&r, "8650").await;
    let second = assigned(&r, "12400,50").await;
    let refusal = refused(&r).await;
    // Applied for in December, still at the review when the quarter ends: no decision yet.
    r.clock.set(almaty(2026, 12, 30, 10, 0));
    let running_case = home_education_accepted(&r).await;

    // The first working day after the quarter, 09:00 Almaty time (1-2 January holidays, 2-3
    // a weekend, 4 January the day off moved from Saturday 2 January).
    r.clock.set(almaty(2027, 1, 5, 9, 0));
    r.svc().engine.fire_schedules().await.unwrap();
    r.drain().await;
    let (report_id, report, data) = report_of(&r, "2026-Q4").await;
    Quarter {
        r,
        september,
        first,
        second,
        refusal,
        running_case,
        report_id,
        report,
        data,
        _inbox: inbox,
        _sms: sms,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quarterly_report_counts_the_home_education_cases_of_its_quarter_and_links_them() {
    let q = quarter_reported().await;
    let Quarter {
        r,
        september,
        first,
        second,
        refusal,
        running_case,
        report_id,
        report,
        data,
        ..
    } = &q;
    let version = case(r, report).await.version;
    assert_eq!(version, "2027-01-01", "the version that counts");
    assert_eq!(
        (
            &data["report"]["assigned_count"],
            &data["report"]["assigned_amount"],
            &data["report"]["refused_count"]
        ),
        (&json!(2), &json!("21050.50"), &json!(1)),
        "{data:#}"
    );

    // The Centre's specialist (the whole republic) reads on the report's page which cases
    // were counted, each a link to its page, with its result, date and amount.
    let centre = Desk {
        service: r.svc(),
        cookie: clerk_in(r.svc(), "centre1", &["provider_specialist"], "kz", Lang::Ru).await,
        lang: Lang::Ru,
    };
    let page = centre.open(&format!("/case/{report}")).await;
    let card = text_of(&page.html, "cf-counted");
    assert!(card.starts_with("Учтённые в отчёте дела"), "{card}");
    for (number, shown) in [
        (first, "07.12.2026 · 8 650,00 тенге"),
        (second, "07.12.2026 · 12 400,50 тенге"),
    ] {
        assert!(
            card.contains(&format!("Назначено {number} · {shown}")),
            "{number}: {card}"
        );
        assert!(page.html.contains(&format!(r#"href="/case/{number}""#)));
    }
    assert!(
        card.contains(&format!("Отказано {refusal} · 12.12.2026")),
        "{card}"
    );
    for not in [&september, &running_case] {
        assert!(
            !card.contains(not.as_str()),
            "{not} is not the quarter's: {card}"
        );
    }

    // The region's clerk reads on the case's own page, in Kazakh, which report counted it.
    let clerk_kk = Desk {
        service: r.svc(),
        cookie: clerk(r.svc(), "almaty1", &["provider_specialist"], Lang::Kk).await,
        lang: Lang::Kk,
    };
    let page = clerk_kk.open(&format!("/case/{first}")).await;
    let card = text_of(&page.html, "cf-counted-in");
    assert!(
        card.contains(&format!("2026-Q4 {report} — ")),
        "the report by its number: {card}"
    );
    assert!(page.html.contains(&format!(r#"href="/case/{report}""#)));
    let page = clerk_kk.open(&format!("/case/{september}")).await;
    assert!(!page.html.contains("cf-counted-in"), "counted by no report");

    // The API gives both ends too: the report's cases, and the report of a counted case.
    let token = r.token("centre-api", &["provider_specialist"], "kz").await;
    let service = r.svc().clone();
    let api = |uri: String| {
        let (token, service) = (token.clone(), service.clone());
        async move {
            let request = axum::http::Request::builder()
                .uri(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let response = tower::ServiceExt::oneshot(service.router(), request)
                .await
                .unwrap();
            assert_eq!(response.status(), axum::http::StatusCode::OK);
            let bytes = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }
    };
    let answer = api(format!("/cases/{report}")).await;
    let counted = answer["counted"].as_array().expect("the cases counted");
    assert_eq!(counted.len(), 3, "{counted:#?}");
    assert!(counted.contains(&json!({
        "number": first, "service": HOME_EDUCATION, "period": "2026-Q4",
        "result": "assigned", "date": "2026-12-07", "amount": "8650.00"
    })));
    let answer = api(format!("/cases/{second}")).await;
    assert_eq!(
        answer["counted_in"],
        json!([{ "number": report, "service": REPORT, "period": "2026-Q4" }])
    );

    // The counting asked again (a retry after a crash answers again): the same answer, and
    // each case linked once.
    let jobs = r
        .svc()
        .engine
        .store()
        .jobs_of_case(*report_id)
        .await
        .unwrap();
    let job = jobs
        .iter()
        .find(|j| matches!(&j.work, Work::Request { connector, input, .. } if connector == CONNECTOR && input["result"] == "assigned"))
        .expect("the counting of the assignments");
    let performer = ServiceCasesPerformer::new();
    performer.set_engine(&r.svc().engine);
    let again = performer.perform(&job.key, &job.work).await.unwrap();
    assert_eq!(again, json!({ "count": 2, "amount": "21050.50" }));
    let mut conn = r.svc().engine.store().read().await.unwrap();
    let links = case_links::of_report(&mut conn, *report_id).await.unwrap();
    let mut numbers: Vec<&str> = links.iter().map(|l| l.number.as_str()).collect();
    numbers.sort_unstable();
    let mut expected = vec![first.as_str(), second.as_str(), refusal.as_str()];
    expected.sort_unstable();
    assert_eq!(numbers, expected);
    drop(conn);

    // The case still running at the quarter's end is its own business: the report does not
    // hold it up.
    assert_eq!(case(r, running_case).await.status, Status::Active);
}

/// A repeated request of the same case and selection replaces what it linked: a report asked
/// again after a case left the selection no longer names it.
#[tokio::test]
async fn a_repeated_count_replaces_its_links() {
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 12, 7, 10, 0)).await;
    let report = home_education_accepted(&r).await;
    let id = case(&r, &report).await.id;
    let link = |number: &str| case_links::Link {
        number: number.into(),
        service: HOME_EDUCATION.into(),
        period: "2026-Q4".into(),
        result: Some("assigned".into()),
        on_date: "2026-12-07".into(),
        amount: Some("8650.00".into()),
    };
    let replace = |links: Vec<case_links::Link>, query: &'static str| {
        r.svc().engine.transact(move |conn, now| {
            let links = links.clone();
            Box::pin(async move {
                case_links::replace(conn, id, query, &links, now)
                    .await
                    .map_err(|e| e.to_string())
            })
        })
    };
    replace(vec![link("QZ-2026-000001"), link("QZ-2026-000002")], "a")
        .await
        .unwrap()
        .unwrap();
    replace(vec![link("QZ-2026-000003")], "b")
        .await
        .unwrap()
        .unwrap();
    replace(vec![link("QZ-2026-000002")], "a")
        .await
        .unwrap()
        .unwrap();
    let mut conn = r.svc().engine.store().read().await.unwrap();
    let numbers: Vec<String> = case_links::of_report(&mut conn, id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.number)
        .collect();
    assert_eq!(numbers, ["QZ-2026-000002", "QZ-2026-000003"]);
    let counted = case_links::counted_in(&mut conn, "QZ-2026-000001")
        .await
        .unwrap();
    assert!(counted.is_empty(), "{counted:?}");
}

const COUNTED: &str = r#"service: counted-test
version: 2027-01-01
effective_from: 2027-01-01
title: { kk: Саналатын, ru: Считаемая }
short_title: { kk: Саналатын, ru: Считаемая }
basis: { test: { title: Test } }
term: { working_days: 5, source: { act: test, item: "1" } }
results: [assigned, refused]
data:
  decision.date: { type: date, label: { kk: Күні, ru: Дата } }
  decision.kind: { type: string, label: { kk: Түрі, ru: Вид } }
  payment.amount: { type: money, label: { kk: Сома, ru: Сумма } }
start: done
steps:
  done:
    title: { kk: Дайын, ru: Готово }
    source: { act: test, item: "1" }
    end: assigned
"#;

/// A report asking `input` of `qyzmet.service_cases`.
fn report_asking(input: &str) -> String {
    format!(
        r#"service: counting-test
version: 2027-01-01
effective_from: 2027-01-01
title: {{ kk: Есеп, ru: Отчёт }}
short_title: {{ kk: Есеп, ru: Отчёт }}
basis: {{ test: {{ title: Test }} }}
term: {{ working_days: 5, source: {{ act: test, item: "1" }} }}
results: [done]
data:
  report.count: {{ type: int, label: {{ kk: Саны, ru: Число }} }}
start: count
steps:
  count:
    title: {{ kk: Санау, ru: Подсчёт }}
    source: {{ act: test, item: "1" }}
    request:
      connector: qyzmet.service_cases
      input:
{input}
      output:
        report.count: "response.count"
    on_failure: {{ next: done }}
    next: done
  done:
    title: {{ kk: Дайын, ru: Готово }}
    source: {{ act: test, item: "1" }}
    end: done
"#
    )
}

fn fixture(dir: &Path, report: &str) -> PathBuf {
    let root = dir.join("workflows");
    for (service, text) in [("counted-test", COUNTED), ("counting-test", report)] {
        std::fs::create_dir_all(root.join(service)).unwrap();
        std::fs::write(root.join(service).join("2027-01-01.yaml"), text).unwrap();
    }
    std::fs::copy("workflows/catalog.yaml", root.join("catalog.yaml")).unwrap();
    let calendars = std::fs::canonicalize("calendars").unwrap();
    std::os::unix::fs::symlink(calendars, dir.join("calendars")).unwrap();
    root
}

/// What `qyzmet validate` says of the report alone, about its request's input: the counted
/// service is read from its folder beside it.
fn problems(input: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture(dir.path(), &report_asking(input));
    let report = definition::load(
        &[root.join("counting-test")],
        &definition::Options {
            catalog: None,
            templates: None,
            calendars: None,
            lang: MsgLang::En,
        },
    );
    report
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .filter(|d| !d.contains("template"))
        .collect()
}

#[test]
fn what_a_report_counts_by_is_checked_against_the_counted_service() {
    let input = |service: &str, date: &str, result: &str, amount: &str| {
        format!(
            "        service: \"{service}\"\n        period: \"'2026-Q4'\"\n        date_field: \"{date}\"\n        result: \"{result}\"\n        amount_field: \"{amount}\""
        )
    };
    assert_eq!(
        problems(&input(
            "'counted-test'",
            "'decision.date'",
            "'assigned'",
            "'payment.amount'"
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        problems(&input("'counted-test'", "'decision.date'", "''", "''")),
        Vec::<String>::new(),
        "empty: every result, nothing summed"
    );
    let said = problems(&input(
        "'counted-tset'",
        "'decision.date'",
        "'assigned'",
        "''",
    ));
    assert!(
        said.len() == 1
            && said[0].contains("unknown service `counted-tset`")
            && said[0].contains("counted-test"),
        "{said:#?}"
    );
    let said = problems(&input(
        "'counted-test'",
        "'decision.kind'",
        "'assigend'",
        "'decision.date'",
    ));
    let joined = said.join("\n");
    for expected in [
        "`decision.kind` is not a `date` field of `counted-test` version 2027-01-01",
        "`counted-test` has no result `assigend`",
        "`decision.date` is not a `money` field of `counted-test`",
    ] {
        assert!(joined.contains(expected), "{expected}:\n{joined}");
    }
    let said = problems(&input(
        "'counted-test'",
        "'decision.' + 'date'",
        "'assigned'",
        "''",
    ));
    assert!(
        said.len() == 1 && said[0].contains("`date_field` must be a quoted name"),
        "{said:#?}"
    );
    // Placed: the file, the line and the column of the value.
    assert!(said[0].contains("2027-01-01.yaml:21:21:"), "{said:#?}");
}

/// In Chromium, on an office screen and on a phone: the Centre's specialist reads on the
/// report's page the cases it counted and follows one to its page, where the region's clerk
/// reads which report counted it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_report_and_a_counted_case_name_one_another() {
    let q = quarter_reported().await;
    let svc = q.r.svc();
    let _ = clerk_in(svc, "centre1", &["provider_specialist"], "kz", Lang::Ru).await;
    let base = crate::browser::serve(svc).await;
    let shots = crate::browser::shots_dir("qyzmet-report-shots-");
    let browser = crate::browser::Browser::start().await;
    browser.resize(1366, 900).await;
    browser.sign_in(&base, "centre1", "Qyzmet-clerk-2026").await;
    for (width, lang) in [(1366, "ru"), (390, "kk")] {
        browser.resize(width, 900).await;
        browser
            .goto(&format!("{base}/case/{}?lang={lang}", q.report))
            .await;
        let card = browser.text("#cf-counted").await;
        for number in [&q.first, &q.second, &q.refusal] {
            assert!(card.contains(number.as_str()), "{number}: {card}");
        }
        browser.assert_fits(width).await;
        let name = format!("report-{lang}-{width}.png");
        browser
            .shoot_at(shots.as_deref(), "cf-counted", &name)
            .await;
    }
    // The first counted case, followed from the report's page.
    browser.resize(1366, 900).await;
    browser
        .goto(&format!("{base}/case/{}?lang=ru", q.report))
        .await;
    browser
        .click(&format!(r#"#cf-counted a[href="/case/{}"]"#, q.first))
        .await;
    let card = browser.text("#cf-counted-in").await;
    assert!(card.contains(&q.report), "{card}");
    assert!(card.contains("2026-Q4"), "{card}");
    browser
        .shoot_at(
            shots.as_deref(),
            "cf-counted-in",
            "counted-case-ru-1366.png",
        )
        .await;
}
