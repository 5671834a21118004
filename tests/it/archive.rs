//! The archive of closed cases (`engine/archive.rs`, `engine/store/archive.rs`): a case
//! closed longer ago than the age moves out of the working tables, a clerk still finds it by
//! number and IIN in their region, its page says it is archived, an administrator restores it
//! as it was, the journal verifies with the records of both, its number is never issued again,
//! `qyzmet migrate` carries it, and `serve`'s daily run does it by itself.
//!
//! The service tests run on the backend under test (`QYZMET_TEST_BACKEND=postgres` reruns
//! them on PostgreSQL).

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

use qyzmet::audit::Action;
use qyzmet::clock::{Clock, ManualClock};
use qyzmet::runtime::{Actor, Language, Status};
use qyzmet::store::archive::ArchivedCase;
use qyzmet::store::{Location, Store, transfer};

use crate::backends::fixture::{self, submission};
use crate::backends::{self, scalar};
use crate::service::{IIN, Running, acceptance_form, almaty, call};
use crate::web::{clerk, page, service};

/// Case `number` (the certificate service, just submitted) run to its end: accepted,
/// approved, signed, delivered and handed over — a completed case with its documents.
async fn issued(r: &Running, number: &str) {
    r.complete(
        number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    r.complete(number, "review", "approve", json!({}), "specialist1")
        .await;
    r.complete(
        number,
        "sign_certificate",
        "signed",
        json!({ "certificate.number": "АК-000417" }),
        "head1",
    )
    .await;
    r.complete(
        number,
        "deliver_certificate",
        "delivered",
        json!({}),
        "specialist1",
    )
    .await;
    r.complete(
        number,
        "hand_over_certificate",
        "handed_over",
        json!({ "handover.recipient": "Абенова Айгүл Серікқызы (өзі)" }),
        "operator1",
    )
    .await;
    let view = r.svc().engine.case(number).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Completed, "{number}");
}

/// Every audit record, in order.
async fn journal(store: &Store) -> Vec<qyzmet::audit::Record> {
    let mut conn = store.read().await.unwrap();
    let records = qyzmet::store::audit::page(&mut conn, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    conn.close().await;
    records
}

/// What a case is to whoever looks: its state, its history, its jobs (the documents among
/// them), as the store gives them.
async fn everything(r: &Running, number: &str) -> Value {
    let engine = &r.svc().engine;
    let view = engine.case(number).await.unwrap().expect("the case");
    let jobs = engine.store().jobs_of_case(view.case.id).await.unwrap();
    json!({
        "case": serde_json::to_value(&view.case).unwrap(),
        "history": serde_json::to_value(&view.history).unwrap(),
        "tasks": format!("{:?}", view.tasks),
        "jobs": format!("{:?}", jobs),
    })
}

/// The part of the case page that is the case: the header's session bits aside, and the
/// diagram's drawing (its layout's style classes come in no fixed order from one rendering
/// to the next; the list of steps beside it says the same).
fn main_of(html: &str) -> String {
    let start = html.find("<main").unwrap_or(0);
    let end = html.rfind("</main>").unwrap_or(html.len());
    let main = &html[start..end];
    match (main.find("<svg"), main.find("</svg>")) {
        (Some(a), Some(b)) => format!("{}{}", &main[..a], &main[b..]),
        _ => main.to_string(),
    }
}

/// Asserts two pages' cases are the same, showing where they first differ.
fn same_page(after: &str, before: &str) {
    let (a, b) = (main_of(after), main_of(before));
    let (a, b) = (a.as_str(), b.as_str());
    if a != b {
        // Where they first differ, in characters, and 300 either side.
        let at = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let around =
            |t: &str| -> String { t.chars().skip(at.saturating_sub(300)).take(600).collect() };
        panic!(
            "the page differs:\nafter: {}\nbefore: {}",
            around(a),
            around(b)
        );
    }
}

#[tokio::test]
async fn a_case_closed_long_ago_is_archived_found_and_restored_as_it_was() {
    let r = service().await;
    let s = r.svc();
    let engine = &s.engine;
    // Three cases of Абенова Айгүл on Monday 23.11.2026: one completed that day, one
    // withdrawn a year later, one still running.
    let old = r.submit(Language::Kk, true).await;
    issued(&r, &old).await;
    let recent = r.submit(Language::Kk, true).await;
    let running = r.submit(Language::Kk, true).await;
    r.clock.set(almaty(2027, 11, 1, 10, 0));
    engine.withdraw(&recent, Actor::Citizen).await.unwrap();
    r.drain().await;
    // A month later, the cases closed more than a year ago are archived.
    r.clock.set(almaty(2027, 12, 1, 10, 0));
    r.drain().await;
    let admin = clerk(&r, "admin2", &["administrator"], "almaty").await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let astana = clerk(&r, "operator7", &["front_office_operator"], "astana").await;
    let before = everything(&r, &old).await;
    let page_before = page(s, "GET", &format!("/case/{old}"), Some(&operator), &[]).await;
    assert_eq!(page_before.status, StatusCode::OK);
    assert!(page_before.html.contains("АК-000417") || page_before.html.contains("куәлі"));
    let counts_before = engine.store().counts().await.unwrap();

    let done = qyzmet::archive::run(engine, 365, "admin2", "cli")
        .await
        .unwrap();
    assert_eq!(done.archived, vec![old.clone()]);
    assert!(done.kept.is_empty(), "{:?}", done.kept);
    assert!(engine.case(&old).await.unwrap().is_none(), "moved out");
    for number in [&recent, &running] {
        assert!(
            engine.case(number).await.unwrap().is_some(),
            "{number} stays"
        );
    }
    let counts_after = engine.store().counts().await.unwrap();
    assert_ne!(counts_before, counts_after);
    // A second run finds nothing more.
    let again = qyzmet::archive::run(engine, 365, "admin2", "cli")
        .await
        .unwrap();
    assert!(again.archived.is_empty());

    // The clerk of Almaty finds it by number and by IIN, marked archived with its closing
    // date; Astana's does not.
    let by_number = page(s, "GET", &format!("/search?q={old}"), Some(&operator), &[]).await;
    assert!(
        by_number.html.contains("Мұрағатта, 23.11.2026 жабылған"),
        "{}",
        by_number.html
    );
    let by_iin = page(
        s,
        "GET",
        &format!("/search?q={IIN}&lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    for number in [&old, &recent, &running] {
        assert!(
            by_iin.html.contains(number.as_str()),
            "{number}: {}",
            by_iin.html
        );
    }
    assert!(
        by_iin.html.contains("В архиве, закрыто 23.11.2026"),
        "{}",
        by_iin.html
    );
    let elsewhere = page(s, "GET", &format!("/search?q={IIN}"), Some(&astana), &[]).await;
    assert!(!elsewhere.html.contains(old.as_str()), "{}", elsewhere.html);
    let token = r
        .token("portal", &["front_office_operator"], "almaty")
        .await;
    let bearer = format!("Bearer {token}");
    let (status, _, body) = call(
        s,
        "GET",
        &format!("/cases?q={IIN}"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 3);
    let found = body["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == old.as_str())
        .unwrap();
    assert!(found["archived"]["archived_at"].is_string(), "{found}");
    assert_eq!(found["status"], "completed");
    let (status, _, body) = call(
        s,
        "GET",
        &format!("/archive?iin={IIN}"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cases"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["cases"][0]["number"], old.as_str());
    let astana_token = r
        .token("portal-astana", &["front_office_operator"], "astana")
        .await;
    let (_, _, body) = call(
        s,
        "GET",
        &format!("/archive?number={old}"),
        &[("authorization", &format!("Bearer {astana_token}"))],
        None,
    )
    .await;
    assert_eq!(body["cases"], json!([]));

    // Its page says it is archived: to the operator without the restore button, to the
    // administrator with it; to Astana not at all.
    let short = page(s, "GET", &format!("/case/{old}"), Some(&operator), &[]).await;
    assert_eq!(short.status, StatusCode::OK, "{}", short.html);
    assert!(short.html.contains("мұрағатта"), "{}", short.html);
    assert!(short.html.contains("23.11.2026") && short.html.contains("01.12.2027"));
    assert!(!short.html.contains(r#"id="restore""#));
    let short_ru = page(
        s,
        "GET",
        &format!("/case/{old}?lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    assert!(short_ru.html.contains("в архиве"), "{}", short_ru.html);
    let refused = page(s, "GET", &format!("/case/{old}"), Some(&astana), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let missing = page(s, "GET", "/case/QZ-2026-999999", Some(&operator), &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // An operator may not restore it; the administrator does, through the API.
    let (status, _, _) = call(
        s,
        "POST",
        &format!("/archive/{old}/restore"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin_token = r.token("admin-api", &["administrator"], "almaty").await;
    let admin_bearer = format!("Bearer {admin_token}");
    let (status, _, body) = call(
        s,
        "POST",
        &format!("/archive/{old}/restore"),
        &[("authorization", &admin_bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["number"], old.as_str());
    assert_eq!(everything(&r, &old).await, before, "restored as it was");
    let page_after = page(s, "GET", &format!("/case/{old}"), Some(&operator), &[]).await;
    same_page(&page_after.html, &page_before.html);
    let (status, _, _) = call(
        s,
        "POST",
        &format!("/archive/{old}/restore"),
        &[("authorization", &admin_bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "restored once");

    // Archived again, and restored from its page by the administrator's button.
    let done = qyzmet::archive::run(engine, 365, "system", "schedule")
        .await
        .unwrap();
    assert_eq!(done.archived, vec![old.clone()]);
    let short = page(s, "GET", &format!("/case/{old}"), Some(&admin), &[]).await;
    assert!(short.html.contains(r#"id="restore""#), "{}", short.html);
    let back = page(
        s,
        "POST",
        &format!("/case/{old}/restore"),
        Some(&admin),
        &[("csrf", &short.csrf())],
    )
    .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.html);
    assert_eq!(
        back.location.as_deref(),
        Some(format!("/case/{old}").as_str())
    );
    assert_eq!(everything(&r, &old).await, before);
    let page_again = page(s, "GET", &format!("/case/{old}"), Some(&operator), &[]).await;
    same_page(&page_again.html, &page_before.html);

    // The journal verifies, with the two moves and the two restorations.
    let records = journal(engine.store()).await;
    let archived: Vec<(String, Value)> = records
        .iter()
        .filter(|r| r.action == Action::CasesArchived)
        .map(|r| (r.actor.clone(), r.details.clone()))
        .collect();
    assert_eq!(archived.len(), 2, "{archived:?}");
    assert_eq!(archived[0].0, "admin2");
    assert_eq!(archived[0].1["count"], 1);
    assert_eq!(archived[0].1["numbers"], json!([old]));
    assert_eq!(archived[1].0, "system");
    let restored: Vec<(String, Option<String>)> = records
        .iter()
        .filter(|r| r.action == Action::CaseRestored)
        .map(|r| (r.actor.clone(), r.object.clone()))
        .collect();
    assert_eq!(
        restored,
        vec![
            ("admin-api".to_string(), Some(old.clone())),
            ("admin2".to_string(), Some(old.clone())),
        ]
    );
    qyzmet::audit::verify(records).expect("the journal verifies");
}

/// An engine on a scratch database of the backend under test, its clock at Monday
/// 23.11.2026, 10:00 in Almaty; the directory holds its files while it lives.
async fn scratch_engine() -> (tempfile::TempDir, Arc<ManualClock>, qyzmet::worker::Engine) {
    let dir = tempfile::tempdir().unwrap();
    let database = backends::database(dir.path())
        .await
        .unwrap_or_else(|| Location::Sqlite(dir.path().join("qyzmet.db")));
    let clock = Arc::new(ManualClock::new(fixture::almaty(2026, 11, 23, 10, 0)));
    let engine = fixture::engine(&database, clock.clone(), dir.path().join("outbox")).await;
    (dir, clock, engine)
}

#[tokio::test]
async fn the_number_of_an_archived_newest_case_is_not_issued_again() {
    let (_dir, clock, engine) = scratch_engine().await;
    let first = engine.submit("all-kinds", submission()).await.unwrap();
    let newest = engine.submit("all-kinds", submission()).await.unwrap();
    engine.withdraw(&newest, Actor::Citizen).await.unwrap();
    engine.drain().await.unwrap();
    clock.set(clock.now() + Duration::days(10));
    engine.drain().await.unwrap();
    let done = qyzmet::archive::run(&engine, 5, "system", "schedule")
        .await
        .unwrap();
    assert_eq!(done.archived, vec![newest.clone()], "kept: {:?}", done.kept);
    let next = engine.submit("all-kinds", submission()).await.unwrap();
    assert_ne!(next, newest, "an archived case's number is issued again");
    assert_ne!(next, first);
    let serial = |n: &str| n.rsplit('-').next().unwrap().parse::<u64>().unwrap();
    assert_eq!(serial(&next), serial(&newest) + 1);
    // And after its restoration the numbers are still each one case's.
    qyzmet::archive::restore(&engine, &newest, "admin", None)
        .await
        .unwrap();
    let view = engine.case(&newest).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Withdrawn);
    engine.store().close().await;
}

#[tokio::test]
async fn qyzmet_migrate_carries_an_archived_case_that_restores_on_the_other_backend() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Location::Sqlite(dir.path().join("qyzmet.db"));
    let clock = Arc::new(ManualClock::new(fixture::almaty(2026, 11, 23, 10, 0)));
    let number;
    let before;
    {
        let engine = fixture::engine(&sqlite, clock.clone(), dir.path().join("outbox")).await;
        number = engine.submit("all-kinds", submission()).await.unwrap();
        engine.withdraw(&number, Actor::Citizen).await.unwrap();
        engine.drain().await.unwrap();
        let view = engine.case(&number).await.unwrap().unwrap();
        before = (
            serde_json::to_value(&view.case).unwrap(),
            serde_json::to_value(&view.history).unwrap(),
        );
        clock.set(clock.now() + Duration::days(10));
        let done = qyzmet::archive::run(&engine, 5, "system", "schedule")
            .await
            .unwrap();
        assert_eq!(done.archived, vec![number.clone()], "kept: {:?}", done.kept);
        engine.store().close().await;
    }
    // `qyzmet archive find` reads it by number and by IIN, with no name or IIN printed.
    let Location::Sqlite(file) = &sqlite else {
        unreachable!()
    };
    for what in [number.as_str(), "850315300128"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qyzmet"))
            .args(["archive", "find", what, "--database"])
            .arg(file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with(&format!("{number} all-kinds almaty withdrawn")),
            "{stdout}"
        );
        assert!(!stdout.contains("850315300128"), "{stdout}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args(["archive", "find", "QZ-2026-999999", "--database"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let postgres = backends::scratch_postgres().await;
    let copied = transfer::migrate(&sqlite, &postgres).await.unwrap();
    assert_eq!(copied.rows("archived_cases"), 1);
    assert_eq!(copied.rows("cases"), 0);
    let engine = fixture::engine(&postgres, clock.clone(), dir.path().join("outbox2")).await;
    let archived = archived(engine.store(), &number).await;
    assert_eq!(archived.status, Status::Withdrawn);
    qyzmet::archive::restore(&engine, &number, "admin", None)
        .await
        .unwrap();
    let view = engine.case(&number).await.unwrap().unwrap();
    assert_eq!(
        (
            serde_json::to_value(&view.case).unwrap(),
            serde_json::to_value(&view.history).unwrap(),
        ),
        before
    );
    // The sequence moved past the archived case's id: the next number is a new one.
    let next = engine.submit("all-kinds", submission()).await.unwrap();
    assert_ne!(next, number);
    engine.store().close().await;
}

/// The archive goes by when a case closed (`cases.closed_at`, migration 0020), written by the
/// transition that closes it; a package archived before that column existed brings none, and
/// its case, restored, takes the archived row's closing time, so that the archive finds it
/// again rather than keeping it in the working tables for ever.
#[tokio::test]
async fn a_case_restored_from_a_package_without_its_closing_time_is_archived_again() {
    let (_dir, clock, engine) = scratch_engine().await;
    let number = engine.submit("all-kinds", submission()).await.unwrap();
    let open = engine.submit("all-kinds", submission()).await.unwrap();
    assert_eq!(
        closed_cases(engine.store()).await,
        0,
        "open cases have none"
    );
    clock.set(fixture::almaty(2026, 11, 24, 12, 0));
    engine.withdraw(&number, Actor::Citizen).await.unwrap();
    engine.drain().await.unwrap();
    assert_eq!(closed_cases(engine.store()).await, 1);

    clock.set(fixture::almaty(2026, 12, 4, 10, 0));
    let done = qyzmet::archive::run(&engine, 5, "system", "schedule")
        .await
        .unwrap();
    assert_eq!(done.archived, vec![number.clone()], "kept: {:?}", done.kept);
    let archived = archived(engine.store(), &number).await;
    assert_eq!(archived.closed_at, fixture::almaty(2026, 11, 24, 12, 0));

    // The package as it was written before the column.
    execute(
        engine.store(),
        "update archived_cases set package = json_remove(package, '$.tables.cases[0].closed_at')",
        "update archived_cases set package = package #- '{tables,cases,0,closed_at}'",
    )
    .await;
    qyzmet::archive::restore(&engine, &number, "admin", None)
        .await
        .unwrap();
    assert!(engine.case(&number).await.unwrap().is_some(), "restored");
    let again = qyzmet::archive::run(&engine, 5, "system", "schedule")
        .await
        .unwrap();
    assert_eq!(again.archived, vec![number.clone()]);
    assert!(
        engine.case(&open).await.unwrap().is_some(),
        "the open case stays"
    );
    engine.store().close().await;
}

/// The archive's row of case `number`; panics when the case is not in the archive.
async fn archived(store: &Store, number: &str) -> ArchivedCase {
    store
        .archived_case(number)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{number} is not in the archive"))
}

/// How many `cases` rows have a closing time.
async fn closed_cases(store: &Store) -> i64 {
    scalar(
        store,
        "select count(*) from cases where closed_at is not null".into(),
    )
    .await
}

/// Runs a statement on the store's database: `sqlite`'s text there, `postgres`'s there.
async fn execute(store: &Store, sqlite: &'static str, postgres: &'static str) {
    match store.location() {
        Location::Sqlite(_) => {
            sqlx::query(sqlite)
                .execute(store.sqlite_pool().unwrap())
                .await
                .unwrap();
        }
        Location::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(postgres).execute(&mut conn).await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_daily_run_archives_by_itself_once_the_default_age_has_passed() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    issued(&r, &number).await;
    let daily = s.archive_daily().expect("archiving is on by default");
    let mut handle = daily.handle();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(daily.run(shutdown.clone()));
    handle.check().await;
    assert!(s.engine.case(&number).await.unwrap().is_some());
    // Three years less a few days: not yet (the default age is 1095 days).
    r.clock.set(almaty(2029, 11, 19, 10, 0));
    handle.check().await;
    assert!(
        s.engine.case(&number).await.unwrap().is_some(),
        "archived too early"
    );
    // The same day again: no second run; the day after the age, archived.
    r.clock.set(almaty(2029, 11, 26, 0, 30));
    handle.check().await;
    assert!(
        s.engine.case(&number).await.unwrap().is_none(),
        "not archived"
    );
    archived(s.engine.store(), &number).await;
    let records = journal(s.engine.store()).await;
    let runs: Vec<&qyzmet::audit::Record> = records
        .iter()
        .filter(|r| r.action == Action::CasesArchived)
        .collect();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].actor, "system");
    shutdown.cancel();
    running.await.unwrap();
}

/// `QYZMET_ARCHIVE_BENCH=10000 cargo test --release --test it archive::bench -- --nocapture`:
/// archives that many closed cases of the fixture service and prints how long it took and
/// how the working tables shrank.
#[tokio::test]
async fn bench() {
    let Some(n) = std::env::var("QYZMET_ARCHIVE_BENCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = backends::database(dir.path())
        .await
        .unwrap_or_else(|| Location::Sqlite(dir.path().join("qyzmet.db")));
    let clock = Arc::new(ManualClock::new(fixture::almaty(2026, 11, 23, 10, 0)));
    let engine = fixture::engine(&database, clock.clone(), dir.path().join("outbox")).await;
    let made = std::time::Instant::now();
    for _ in 0..n {
        let number = engine.submit("all-kinds", submission()).await.unwrap();
        engine.withdraw(&number, Actor::Citizen).await.unwrap();
    }
    engine.drain().await.unwrap();
    eprintln!("{n} cases made and withdrawn in {:?}", made.elapsed());
    let rows = |e: &qyzmet::worker::Engine| {
        let store = e.store().clone();
        async move { rows_of(&store).await }
    };
    let before = rows(&engine).await;
    clock.set(clock.now() + Duration::days(10));
    let started = std::time::Instant::now();
    let done = qyzmet::archive::run(&engine, 5, "system", "schedule")
        .await
        .unwrap();
    let took = started.elapsed();
    let after = rows(&engine).await;
    eprintln!(
        "archived {} cases ({} kept) in {took:?} on {}; rows before {before:?}, after {after:?}",
        done.archived.len(),
        done.kept.len(),
        database.describe()
    );
    engine.store().close().await;
}

/// Rows of the working tables a case has rows in.
async fn rows_of(store: &Store) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in [
        "cases",
        "history",
        "tasks",
        "timers",
        "jobs",
        "case_index",
        "archived_cases",
    ] {
        let n = count(store, table).await;
        out.push((table, n));
    }
    out
}

async fn count(store: &Store, table: &str) -> i64 {
    scalar(store, format!("select count(*) from {table}")).await
}

/// In Chromium, as the clerk and the administrator see it: Almaty's operator finds an
/// archived case by the applicant's IIN, marked archived; its page says when it closed and
/// was archived, without the person; the administrator restores it with the page's button and
/// lands on the case as it was.
#[tokio::test]
async fn in_chromium_an_archived_case_is_found_by_iin_and_restored_by_the_administrator() {
    use crate::browser::Browser;
    let r = service().await;
    let s = r.svc();
    let old = r.submit(Language::Ru, true).await;
    issued(&r, &old).await;
    r.clock.set(almaty(2027, 12, 1, 10, 0));
    r.drain().await;
    let done = qyzmet::archive::run(&s.engine, 365, "admin2", "cli")
        .await
        .unwrap();
    assert_eq!(done.archived, vec![old.clone()]);
    clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    clerk(&r, "admin2", &["administrator"], "almaty").await;

    let base = crate::browser::serve(s).await;
    let browser = Browser::start().await;
    let shots = crate::browser::shots_dir("qyzmet-archive-shots-");
    let sign_in = |login: &'static str| browser.sign_in(&base, login, "Qyzmet-clerk-2026");
    let shoot = |name: &'static str| {
        let browser = &browser;
        let shots = shots.clone();
        async move {
            if let Some(dir) = shots {
                browser.resize(1366, 800).await;
                browser
                    .screenshot(dir.join(format!("{name}-1366.png")))
                    .await;
                browser.resize(390, 844).await;
                browser
                    .screenshot(dir.join(format!("{name}-390.png")))
                    .await;
                browser.resize(1366, 800).await;
            }
        }
    };

    sign_in("operator1").await;
    browser.fill("#search-q", IIN).await;
    browser.click("#search-box button[type=submit]").await;
    let row = browser
        .text(&format!(r#"tr.found[data-number="{old}"]"#))
        .await;
    assert!(row.contains("В архиве, закрыто 23.11.2026"), "{row}");
    shoot("archive-search").await;
    browser
        .click(&format!(r#"tr.found[data-number="{old}"] a"#))
        .await;
    let closed = browser.text("#archived-closed").await;
    assert!(closed.contains("23.11.2026"), "{closed}");
    assert!(browser.text("#archived-on").await.contains("01.12.2027"));
    assert!(!browser.text("main").await.contains(IIN));
    shoot("archived-case").await;

    browser.click("#sign-out").await;
    sign_in("admin2").await;
    browser.goto(&format!("{base}/case/{old}?lang=ru")).await;
    browser.click("#restore").await;
    // The restored case's page has its case file; the archived one has none.
    browser.element("#case-file").await;
    assert!(
        browser
            .current_url()
            .await
            .ends_with(&format!("/case/{old}")),
        "{}",
        browser.current_url().await
    );
    shoot("restored-case").await;
    assert!(s.engine.case(&old).await.unwrap().is_some(), "active again");
}
