//! Search of cases by registration number, IIN and surname (`engine/store/search.rs`,
//! `engine/api/search.rs`, `engine/web/search.rs`): what a clerk finds, where, in which
//! order and pages, and that every search is journalled.
//!
//! The store's part runs on both backends, on cases written as the writer writes them
//! (`tx::write`), so the index is exercised exactly where it is kept; the pages and the API
//! run on the whole service, with the shipped certificate service and the gateway simulator.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use qyzmet::runtime::{CaseState, Language, Status, Submission, Transition};
use qyzmet::store::search::{CaseSearch, Found, Party, Query};
use qyzmet::store::{Location, Store, tx};

use crate::backends;
use crate::backends::fixture::almaty;
use crate::service::{IIN, acceptance_form, call};
use crate::web::{clerk, page, service};

// ---------------------------------------------------------------------------------------
// The store, on both backends.

/// An IIN with a valid control digit (the tests' serials 9000-9999 mark test data).
fn iin(birth: &str, serial: u32) -> String {
    for century_sex in ['3', '4'] {
        let eleven = format!("{birth}{century_sex}{serial:04}");
        let digits: Vec<u32> = eleven.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let weigh = |w: &[u32]| digits.iter().zip(w).map(|(d, w)| d * w).sum::<u32>() % 11;
        let mut control = weigh(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        if control == 10 {
            control = weigh(&[3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
        }
        if control < 10 {
            return format!("{eleven}{control}");
        }
    }
    panic!("no IIN for {birth} {serial}")
}

/// A case as the runtime would hand it to the writer: `data` is its own scope.
fn case(id: i64, region: &str, service: &str, opened_at: DateTime<Utc>, data: Value) -> CaseState {
    serde_json::from_value(json!({
        "id": id,
        "number": format!("QZ-2026-{id:06}"),
        "service": service,
        "version": "2026-04-13",
        "status": "active",
        "result": null,
        "language": "kk",
        "sms_consent": false,
        "channel": "state_corporation",
        "region": region,
        "data": { "": data },
        "tokens": [],
        "next_token": 0,
        "joins": {},
        "tasks": {},
        "inbox": [],
        "term": null,
        "seq": 1,
        "opened_at": opened_at,
        "closed_at": null,
    }))
    .expect("a case state")
}

/// Writes `state` as one transition from `previous` in its own transaction: a new case when
/// `previous` is `None`.
async fn write(store: &Store, state: &CaseState, previous: Option<&CaseState>, now: DateTime<Utc>) {
    let mut conn = store.writer().await.unwrap();
    conn.begin().await.unwrap();
    let t = Transition {
        state: state.clone(),
        effects: vec![],
        history: vec![],
    };
    tx::write(&mut conn, &t, previous, now).await.unwrap();
    conn.commit().await.unwrap();
    conn.close().await;
}

/// The numbers a search finds on its page, and the total.
async fn find(
    store: &Store,
    text: &str,
    region: Option<&str>,
    limit: u32,
    offset: u32,
) -> (Vec<String>, u64) {
    let (found, total) = found(store, text, region, limit, offset).await;
    (found.into_iter().map(|f| f.number).collect(), total)
}

async fn found(
    store: &Store,
    text: &str,
    region: Option<&str>,
    limit: u32,
    offset: u32,
) -> (Vec<Found>, u64) {
    let search = CaseSearch {
        query: Query::parse(text).unwrap(),
        region: region.map(str::to_string),
        services: None,
        limit,
        offset,
    };
    store.search_cases(&search).await.unwrap()
}

fn numbers(ids: &[i64]) -> Vec<String> {
    ids.iter().map(|id| format!("QZ-2026-{id:06}")).collect()
}

/// Four people in two regions: Айгерім Ахметова applies in Almaty and represents her father
/// Серік Ахметов in Astana; Әлия Әбілова (written in capitals) in Almaty; a case with no
/// person yet.
async fn four_cases(store: &Store) -> (String, String) {
    let aigerim = iin("900101", 9001);
    let serik = iin("600202", 9002);
    let t = |h| almaty(2026, 11, 23, h, 0);
    write(
        store,
        &case(
            1,
            "almaty",
            "rehabilitated-person-certificate",
            t(9),
            json!({ "applicant": { "iin": aigerim, "last_name": "Ахметова", "first_name": "Айгерім",
                                   "full_name": "Ахметова Айгерім Серікқызы" } }),
        ),
        None,
        t(9),
    )
    .await;
    write(
        store,
        &case(
            2,
            "astana",
            "repression-victims-compensation",
            t(10),
            json!({ "applicant": { "iin": serik, "full_name": "Ахметов Серік" },
                    "representative": { "iin": aigerim, "full_name": "Ахметова Айгерім Серікқызы" } }),
        ),
        None,
        t(10),
    )
    .await;
    write(
        store,
        &case(
            3,
            "almaty",
            "rehabilitated-person-certificate",
            t(11),
            json!({ "applicant": { "iin": iin("750303", 9003), "full_name": "ӘБІЛОВА ӘЛИЯ" } }),
        ),
        None,
        t(11),
    )
    .await;
    write(
        store,
        &case(
            4,
            "almaty",
            "quarterly-administrative-report",
            t(12),
            json!({ "report": { "period": "2026-Q3" } }),
        ),
        None,
        t(12),
    )
    .await;
    (aigerim, serik)
}

#[tokio::test]
async fn the_index_finds_cases_by_iin_surname_and_number_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let store = Store::open(&database).await.unwrap();
        let (aigerim, serik) = four_cases(&store).await;

        // By IIN: her own case in Almaty; from every region, her father's too, where she is
        // the representative; newest first.
        assert_eq!(
            find(&store, &aigerim, Some("almaty"), 50, 0).await,
            (numbers(&[1]), 1),
            "{name}"
        );
        let (all, total) = found(&store, &aigerim, None, 50, 0).await;
        assert_eq!(total, 2, "{name}");
        assert_eq!(
            (all[0].number.as_str(), all[0].matched_as),
            ("QZ-2026-000002", Some(Party::Representative)),
            "{name}"
        );
        assert_eq!(
            all[0].applicant_name.as_deref(),
            Some("Ахметов Серік"),
            "{name}: the row names the applicant"
        );
        assert_eq!(all[0].applicant_iin.as_deref(), Some(serik.as_str()));
        assert_eq!(
            (all[1].number.as_str(), all[1].matched_as),
            ("QZ-2026-000001", Some(Party::Applicant)),
            "{name}"
        );
        assert_eq!(all[1].status, Status::Active);
        assert_eq!(all[1].opened_at, almaty(2026, 11, 23, 9, 0));
        assert_eq!(
            find(&store, &aigerim, Some("shymkent"), 50, 0).await,
            (vec![], 0)
        );

        // By surname, in any case, Kazakh letters included: a beginning, a whole surname, a
        // full name's beginning.
        // (Серік Ахметов's case is found by its representative's surname too.)
        for typed in ["ахметова", "АХМЕТОВА", "Ахмет"] {
            assert_eq!(
                find(&store, typed, None, 50, 0).await,
                (numbers(&[2, 1]), 2),
                "{name}: {typed}"
            );
        }
        assert_eq!(
            find(&store, "ахметов", Some("astana"), 50, 0).await,
            (numbers(&[2]), 1),
            "{name}"
        );
        assert_eq!(
            find(&store, "Ахметова Айг", Some("almaty"), 50, 0).await,
            (numbers(&[1]), 1),
            "{name}"
        );
        assert_eq!(
            find(&store, "ахметова сер", None, 50, 0).await,
            (vec![], 0),
            "{name}: nobody is Ахметова Сер…"
        );
        assert_eq!(
            find(&store, "әбілова", None, 50, 0).await,
            (numbers(&[3]), 1),
            "{name}"
        );
        assert_eq!(
            find(&store, "ӘБІ", None, 50, 0).await,
            (numbers(&[3]), 1),
            "{name}"
        );
        assert_eq!(find(&store, "аб", None, 50, 0).await, (vec![], 0), "{name}");

        // By number: whole, its beginning, its serial; a case with nobody in it too.
        assert_eq!(
            find(&store, "qz-2026-000004", None, 50, 0).await,
            (numbers(&[4]), 1),
            "{name}"
        );
        assert_eq!(
            find(&store, "QZ-2026-00000", Some("almaty"), 50, 0).await,
            (numbers(&[4, 3, 1]), 3),
            "{name}"
        );
        assert_eq!(
            find(&store, "2", None, 50, 0).await,
            (numbers(&[2]), 1),
            "{name}"
        );
        assert_eq!(find(&store, "2", Some("almaty"), 50, 0).await, (vec![], 0));

        // Services: a principal who handles none of the case's services finds nothing.
        let search = CaseSearch {
            query: Query::parse(&aigerim).unwrap(),
            region: None,
            services: Some(vec!["access-request".into()]),
            limit: 50,
            offset: 0,
        };
        assert_eq!(store.search_cases(&search).await.unwrap().1, 0, "{name}");
        let search = CaseSearch {
            services: Some(vec!["repression-victims-compensation".into()]),
            ..search
        };
        assert_eq!(store.search_cases(&search).await.unwrap().1, 1, "{name}");
        let search = CaseSearch {
            services: Some(vec![]),
            ..search
        };
        assert_eq!(store.search_cases(&search).await.unwrap().1, 0, "{name}");
        store.close().await;
    }
}

#[tokio::test]
async fn the_index_follows_the_case_as_it_changes_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let store = Store::open(&database).await.unwrap();
        let opened = almaty(2026, 11, 23, 9, 0);
        let applicant = iin("520315", 9010);
        // Filed with the IIN only: found by it, not by any name.
        let mut state = case(
            1,
            "almaty",
            "rehabilitated-person-certificate",
            opened,
            json!({ "applicant": { "iin": applicant } }),
        );
        write(&store, &state, None, opened).await;
        assert_eq!(find(&store, &applicant, None, 50, 0).await.1, 1, "{name}");
        let mut previous = state.clone();
        let (rows, _) = found(&store, &applicant, None, 50, 0).await;
        assert_eq!(rows[0].applicant_name, None, "{name}");

        // GBD FL answers: the name is found from then on.
        state.seq = 2;
        state.data.insert(
            String::new(),
            json!({ "applicant": { "iin": applicant, "last_name": "Сейітова",
                                   "first_name": "Айгерім", "middle_name": "Болатқызы" } }),
        );
        write(
            &store,
            &state,
            Some(&previous),
            opened + Duration::minutes(5),
        )
        .await;
        previous = state.clone();
        let (rows, total) = found(&store, "СЕЙІТ", None, 50, 0).await;
        assert_eq!(total, 1, "{name}");
        assert_eq!(
            rows[0].applicant_name.as_deref(),
            Some("Сейітова Айгерім Болатқызы"),
            "{name}: the full name is made from its parts"
        );

        // A transition that changes nobody's data leaves the index as it was.
        state.seq = 3;
        write(
            &store,
            &state,
            Some(&previous),
            opened + Duration::minutes(10),
        )
        .await;
        previous = state.clone();
        assert_eq!(find(&store, "сейітова", None, 50, 0).await.1, 1, "{name}");

        // The surname corrected; then the case completed: the old name no longer finds it,
        // the new one does, and the row says how it ended.
        state.seq = 4;
        state.data.insert(
            String::new(),
            json!({ "applicant": { "iin": applicant, "last_name": "Сейтова", "first_name": "Айгерім" } }),
        );
        write(
            &store,
            &state,
            Some(&previous),
            opened + Duration::minutes(15),
        )
        .await;
        previous = state.clone();
        assert_eq!(find(&store, "сейіт", None, 50, 0).await.1, 0, "{name}");
        state.seq = 5;
        state.status = Status::Completed;
        state.result = Some("issued".into());
        write(&store, &state, Some(&previous), opened + Duration::days(3)).await;
        let (rows, total) = found(&store, "сейтова айгерім", None, 50, 0).await;
        assert_eq!(total, 1, "{name}");
        assert_eq!(
            (rows[0].status, rows[0].result.as_deref()),
            (Status::Completed, Some("issued")),
            "{name}: closed cases are found too"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_search_pages_newest_first_with_the_total_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let store = Store::open(&database).await.unwrap();
        for id in 1..=7 {
            let at = almaty(2026, 11, 23, 9, 0) + Duration::minutes(id);
            let data = json!({ "applicant": { "iin": iin("800101", 9000 + id as u32),
                                              "full_name": format!("Оспанов Дәурен {id}") } });
            write(
                &store,
                &case(id, "almaty", "rehabilitated-person-certificate", at, data),
                None,
                at,
            )
            .await;
        }
        assert_eq!(
            find(&store, "оспанов", None, 3, 0).await,
            (numbers(&[7, 6, 5]), 7),
            "{name}"
        );
        assert_eq!(
            find(&store, "оспанов", None, 3, 3).await,
            (numbers(&[4, 3, 2]), 7),
            "{name}"
        );
        assert_eq!(
            find(&store, "оспанов", None, 3, 6).await,
            (numbers(&[1]), 7),
            "{name}"
        );
        assert_eq!(
            find(&store, "оспанов", None, 3, 9).await,
            (vec![], 7),
            "{name}: past the end, the total still"
        );
        store.close().await;
    }
}

/// Runs `statements` on the database as a person with the file would.
async fn raw(database: &Location, statements: &[&str]) {
    use sqlx::{Connection, Executor};
    match database {
        Location::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            for s in statements {
                c.execute(sqlx::AssertSqlSafe(*s)).await.unwrap();
            }
            c.close().await.unwrap();
        }
        Location::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for s in statements {
                c.execute(sqlx::AssertSqlSafe(*s)).await.unwrap();
            }
            c.close().await.unwrap();
        }
    }
}

#[tokio::test]
async fn cases_older_than_the_index_are_found_after_the_migration_and_a_start_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let store = Store::open(&database).await.unwrap();
        let (aigerim, _) = four_cases(&store).await;
        store.close().await;
        drop(store);
        // The database as it was before the index: its tables gone, its migration not applied.
        let version = match database {
            Location::Sqlite(_) => 11,
            Location::Postgres(_) => 2,
        };
        let forget = format!("delete from _sqlx_migrations where version = {version}");
        raw(
            &database,
            &["drop table case_people", "drop table case_index", &forget],
        )
        .await;

        // The migration makes a row for each case: found by number at once…
        let store = Store::open(&database).await.unwrap();
        assert_eq!(
            find(&store, "QZ-2026-000001", None, 50, 0).await,
            (numbers(&[1]), 1),
            "{name}"
        );
        assert_eq!(find(&store, &aigerim, None, 50, 0).await.1, 0, "{name}");
        // … and by IIN and name once the engine derived their people at its start.
        assert_eq!(store.derive_case_index().await.unwrap(), 4, "{name}");
        assert_eq!(find(&store, &aigerim, None, 50, 0).await.1, 2, "{name}");
        assert_eq!(
            find(&store, "әбілова", None, 50, 0).await,
            (numbers(&[3]), 1),
            "{name}"
        );
        let (rows, _) = found(&store, "QZ-2026-000001", None, 50, 0).await;
        assert_eq!(
            rows[0].applicant_name.as_deref(),
            Some("Ахметова Айгерім Серікқызы"),
            "{name}"
        );
        assert_eq!(
            store.derive_case_index().await.unwrap(),
            0,
            "{name}: nothing is left to derive"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn an_installation_moved_to_another_database_finds_its_cases_there() {
    // `qyzmet migrate` copies the cases, not the index derived from them: the target makes it.
    let dir = tempfile::tempdir().unwrap();
    let [sqlite, postgres] = backends::both(dir.path()).await;
    let store = Store::open(&sqlite).await.unwrap();
    let (aigerim, _) = four_cases(&store).await;
    store.close().await;
    drop(store);
    let back = Location::Sqlite(dir.path().join("back.db"));
    for (from, to) in [(&sqlite, &postgres), (&postgres, &back)] {
        qyzmet::store::transfer::migrate(from, to)
            .await
            .unwrap_or_else(|e| panic!("{} to {}: {e}", from.describe(), to.describe()));
        let store = Store::open(to).await.unwrap();
        let (all, total) = found(&store, &aigerim, None, 50, 0).await;
        assert_eq!(total, 2, "{}", to.describe());
        assert_eq!(all[0].matched_as, Some(Party::Representative));
        assert_eq!(
            find(&store, "ӘБІЛОВА", None, 50, 0).await,
            (numbers(&[3]), 1),
            "{}",
            to.describe()
        );
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// The page and the API, on the whole service.

/// The journal's `cases_searched` records: (actor, details).
async fn searches(r: &crate::service::Running) -> Vec<(String, Value)> {
    let store = r.svc().engine.store();
    let mut conn = store.read().await.unwrap();
    qyzmet::store::audit::page(&mut conn, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .filter(|rec| rec.action == qyzmet::audit::Action::CasesSearched)
        .map(|rec| (rec.actor, rec.details))
        .collect()
}

/// A page's HTML with the escapes of its attributes undone (`&amp;`, `&#x3D;`), for finding
/// a link as a browser reads it.
fn links(html: &str) -> String {
    html.replace("&#x3D;", "=").replace("&amp;", "&")
}

/// The row of case `number` on a search page.
fn result_row<'a>(html: &'a str, number: &str) -> Option<&'a str> {
    let start = html.find(&format!(r#"<tr class="found" data-number="{number}">"#))?;
    let end = html[start..].find("</tr>")? + start;
    Some(&html[start..end])
}

#[tokio::test]
async fn a_search_by_iin_finds_the_case_in_almaty_and_not_from_astana() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    let almaty = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let astana = clerk(&r, "operator7", &["front_office_operator"], "astana").await;
    let republic = clerk(&r, "head-kz", &["head_of_department"], "kz").await;

    let found = page(s, "GET", &format!("/search?q={IIN}"), Some(&almaty), &[]).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.html);
    let row = result_row(&found.html, &number).unwrap_or_else(|| panic!("{}", found.html));
    assert!(row.contains(&format!(r#"href="/case/{number}""#)), "{row}");
    assert!(row.contains(IIN), "{row}");
    assert!(row.contains("Ақталған адамға куәлік беру"), "{row}");
    assert!(row.contains("Орындалуда"), "{row}");
    assert!(row.contains("23.11.2026"), "{row}");
    for said in [
        format!("ЖСН бойынша іздеу: «{IIN}»"),
        "1–1".to_string(),
        format!(r#"value="{IIN}""#),
        "Іздеу аумағы: Алматы қаласы.".to_string(),
    ] {
        assert!(found.html.contains(&said), "{said}:\n{}", found.html);
    }

    // Astana's operator finds nothing, and is told so; the IIN does not appear but as typed.
    let nothing = page(
        s,
        "GET",
        &format!("/search?q={IIN}&lang=ru"),
        Some(&astana),
        &[],
    )
    .await;
    assert_eq!(nothing.status, StatusCode::OK);
    assert!(
        nothing.html.contains(r#"id="search-nothing""#)
            && nothing.html.contains("Ничего не найдено"),
        "{}",
        nothing.html
    );
    assert!(!nothing.html.contains(&number), "{}", nothing.html);
    assert!(nothing.html.contains("Поиск по ИИН: «520315400126»"));

    // The head of department of the whole republic finds it.
    let kz = page(s, "GET", &format!("/search?q={IIN}"), Some(&republic), &[]).await;
    assert!(result_row(&kz.html, &number).is_some(), "{}", kz.html);
    assert!(kz.html.contains("Іздеу аумағы: барлық өңірлер."));

    // The same through the API, with a token.
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
    assert_eq!(body["kind"], "iin");
    assert_eq!(body["total"], 1);
    assert_eq!(body["page"], 1);
    assert_eq!(body["cases"][0]["number"], number.as_str());
    assert_eq!(body["cases"][0]["applicant_iin"], IIN);
    assert_eq!(body["cases"][0]["matched_as"], "applicant");
    assert_eq!(body["cases"][0]["status"], "active");
    let token = r
        .token("portal-astana", &["front_office_operator"], "astana")
        .await;
    let bearer = format!("Bearer {token}");
    let (_, _, body) = call(
        s,
        "GET",
        &format!("/cases?q={IIN}"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(
        (body["total"].clone(), body["cases"].clone()),
        (json!(0), json!([]))
    );

    // Every search is in the journal: who looked for whom — by the cases found, never by
    // the IIN typed, which is personal data.
    let journal = searches(&r).await;
    let asked: Vec<(&str, &str, &Value, u64)> = journal
        .iter()
        .map(|(who, d)| {
            (
                who.as_str(),
                d["kind"].as_str().unwrap(),
                &d["query"],
                d["found"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        asked,
        vec![
            ("operator1", "iin", &Value::Null, 1),
            ("operator7", "iin", &Value::Null, 0),
            ("head-kz", "iin", &Value::Null, 1),
            ("portal", "iin", &Value::Null, 1),
            ("portal-astana", "iin", &Value::Null, 0),
        ]
    );
    assert_eq!(journal[0].1["shown"], json!([number]));
    assert!(
        journal.iter().all(|(_, d)| !d.to_string().contains(IIN)),
        "{journal:?}"
    );
}

#[tokio::test]
async fn a_surname_is_found_in_any_case_once_gbd_fl_has_named_the_applicant() {
    let r = service().await;
    let s = r.svc();
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    // Two applications: Абенова Айгүл's and Жақсылықов Бауыржан's (the simulator's people),
    // accepted, so that GBD FL answers with their names.
    let abenova = r.submit(Language::Kk, true).await;
    let zhaksylykov = r
        .svc()
        .engine
        .submit(
            "rehabilitated-person-certificate",
            Submission {
                data: json!({ "applicant.iin": "480722301507" }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    // Before the answer, the name is unknown: the IIN finds the case, the surname does not.
    let before = page(s, "GET", "/search?q=абенова", Some(&operator), &[]).await;
    assert!(
        before.html.contains(r#"id="search-nothing""#),
        "{}",
        before.html
    );
    r.complete(
        &abenova,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    let mut form = acceptance_form();
    form["applicant.iin"] = json!("480722301507");
    r.complete(
        &zhaksylykov,
        "accept_documents",
        "complete",
        form,
        "operator1",
    )
    .await;

    for (typed, number, name) in [
        ("абенова", &abenova, "Абенова Айгүл"),
        ("АБЕН", &abenova, "Абенова Айгүл"),
        ("Абенова Айгүл", &abenova, "Абенова Айгүл"),
        ("ЖАҚСЫЛЫҚОВ", &zhaksylykov, "Жақсылықов Бауыржан"),
        ("жақс", &zhaksylykov, "Жақсылықов Бауыржан"),
    ] {
        let uri = format!(
            "/search?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("q", typed)
                .finish()
        );
        let found = page(s, "GET", &uri, Some(&operator), &[]).await;
        let row = result_row(&found.html, number)
            .unwrap_or_else(|| panic!("{typed} finds {number}:\n{}", found.html));
        assert!(row.contains(name), "{typed}: {row}");
        assert!(
            found
                .html
                .contains(&format!("Тегі бойынша іздеу: «{typed}»")),
            "{typed}: {}",
            found.html
        );
        assert_eq!(
            found.html.matches(r#"<tr class="found""#).count(),
            1,
            "{typed}"
        );
    }

    // By number, whole and by its serial, in Russian.
    let serial = abenova.rsplit('-').next().unwrap().trim_start_matches('0');
    for typed in [abenova.to_lowercase(), serial.to_string()] {
        let found = page(
            s,
            "GET",
            &format!("/search?q={typed}&lang=ru"),
            Some(&operator),
            &[],
        )
        .await;
        assert!(
            found
                .html
                .contains(&format!("Поиск по регистрационному номеру: «{typed}»")),
            "{}",
            found.html
        );
        assert!(
            result_row(&found.html, &abenova).is_some(),
            "{}",
            found.html
        );
    }

    // One letter is no search: the box says why, and nothing is journalled for it.
    let short = page(s, "GET", "/search?q=%D0%B0&lang=ru", Some(&operator), &[]).await;
    assert!(
        short
            .html
            .contains("Для поиска по фамилии введите не менее 2 букв.")
            && short.html.contains(r#"aria-invalid="true""#),
        "{}",
        short.html
    );
    let blank = page(s, "GET", "/search", Some(&operator), &[]).await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.html.contains(r#"id="search-intro""#));
    let journal = searches(&r).await;
    assert_eq!(journal.len(), 1 + 5 + 2, "{journal:?}");
    assert!(journal.iter().all(|(who, _)| who == "operator1"));
    // Who looked for whom, by the numbers found: the typed surname is personal data and is
    // not kept; a number asked for is.
    assert_eq!(journal[1].1["query"], Value::Null);
    assert_eq!(journal[1].1["kind"], "surname");
    assert!(
        journal[1].1["shown"]
            .as_array()
            .is_some_and(|shown| shown.iter().any(|n| n == abenova.as_str())),
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .all(|(_, d)| !d.to_string().contains("абенова") && !d.to_string().contains(IIN)),
        "{journal:?}"
    );
}

#[tokio::test]
async fn a_search_pages_by_fifty_and_keeps_the_query_in_its_links() {
    let r = service().await;
    let s = r.svc();
    let mut filed = Vec::new();
    for _ in 0..52 {
        let number = r
            .svc()
            .engine
            .submit(
                "rehabilitated-person-certificate",
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
        filed.push(number);
    }
    let (oldest, newest) = (&filed[0], &filed[51]);
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let first = page(
        s,
        "GET",
        &format!("/search?q={IIN}&lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    assert_eq!(first.html.matches(r#"<tr class="found""#).count(), 50);
    assert!(first.html.contains("1–50 из 52"), "{}", first.html);
    let next = format!(r#"href="/search?q={IIN}&page=2""#);
    assert!(links(&first.html).contains(&next), "{}", first.html);
    assert!(!first.html.contains(r#"id="search-prev""#));
    // The newest first: the last filed heads the list.
    assert!(result_row(&first.html, newest).is_some());
    assert!(result_row(&first.html, oldest).is_none());

    let second = page(
        s,
        "GET",
        &format!("/search?q={IIN}&page=2&lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    assert_eq!(second.html.matches(r#"<tr class="found""#).count(), 2);
    assert!(second.html.contains("51–52 из 52"), "{}", second.html);
    assert!(result_row(&second.html, oldest).is_some());
    assert!(links(&second.html).contains(&format!(r#"href="/search?q={IIN}""#)));
    assert!(!second.html.contains(r#"id="search-next""#));
    // The language switch keeps the query and the page.
    assert!(
        links(&second.html).contains(&format!(r#"href="/search?q={IIN}&page=2&lang=kk""#)),
        "{}",
        second.html
    );

    // Through the API: the second page, and a page that is no page.
    let token = r
        .token("portal", &["front_office_operator"], "almaty")
        .await;
    let bearer = format!("Bearer {token}");
    let (_, _, body) = call(
        s,
        "GET",
        &format!("/cases?q={IIN}&page=2"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(
        (
            body["total"].clone(),
            body["cases"].as_array().unwrap().len()
        ),
        (json!(52), 2)
    );
    let (status, _, body) = call(
        s,
        "GET",
        &format!("/cases?q={IIN}&page=0"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "page");
    let (status, _, body) = call(
        s,
        "GET",
        "/cases?q=%20",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "q");
}

#[tokio::test]
async fn who_handles_no_service_may_not_search_and_an_administrator_finds_access_requests_only() {
    let r = service().await;
    let s = r.svc();
    r.submit(Language::Kk, false).await;
    let methodologist = clerk(&r, "method1", &["methodologist"], "kz").await;
    let refused = page(
        s,
        "GET",
        &format!("/search?q={IIN}"),
        Some(&methodologist),
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    assert!(!refused.html.contains(r#"id="search-results""#));
    let admin = clerk(&r, "admin2", &["administrator"], "kz").await;
    let answer = page(s, "GET", &format!("/search?q={IIN}"), Some(&admin), &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.html.contains(r#"id="search-nothing""#),
        "an administrator handles access requests, not citizens' certificates:\n{}",
        answer.html
    );
    // The refusal is journalled as every refusal is; the search is not, as none was made.
    let (_, list, _) = crate::service::audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains("method1 access_denied"), "{list}");
    let journal = searches(&r).await;
    assert_eq!(
        journal.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>(),
        ["admin2"]
    );
}

#[tokio::test]
async fn in_chromium_the_header_box_finds_a_case_by_iin_in_almaty_and_not_from_astana() {
    use crate::browser::Browser;
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    // The accounts, each with its own password (`clerk` sets it), signed in in the browser.
    clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    clerk(&r, "operator7", &["front_office_operator"], "astana").await;
    let base = crate::browser::serve(s).await;
    let browser = Browser::start().await;
    let shots = crate::browser::shots_dir("qyzmet-search-shots-");
    let sign_in = |login: &'static str| browser.sign_in(&base, login, "Qyzmet-clerk-2026");

    // Almaty's operator types the IIN into the header's box: the case, the applicant GBD FL
    // named, a link to the case page.
    sign_in("operator1").await;
    browser.fill("#search-q", IIN).await;
    browser.click("#search-box button[type=submit]").await;
    assert_eq!(
        browser.text("#search-asked").await,
        format!("Поиск по ИИН: «{IIN}»")
    );
    assert!(browser.text("#search-range").await.contains("1–1 из 1"));
    let row = browser
        .text(&format!(r#"tr.found[data-number="{number}"]"#))
        .await;
    assert!(row.contains("Абенова Айгүл") && row.contains(IIN), "{row}");
    if let Some(dir) = &shots {
        browser.resize(1366, 800).await;
        browser.screenshot(dir.join("search-1366.png")).await;
        browser.resize(390, 844).await;
        browser.screenshot(dir.join("search-390.png")).await;
        browser.resize(1366, 800).await;
    }
    browser
        .click(&format!(r#"tr.found[data-number="{number}"] a.case-link"#))
        .await;
    assert!(
        browser
            .current_url()
            .await
            .ends_with(&format!("/case/{number}")),
        "{}",
        browser.current_url().await
    );

    // Astana's operator, the same IIN: nothing, and said so.
    browser.click("#sign-out").await;
    sign_in("operator7").await;
    browser.fill("#search-q", IIN).await;
    browser.click("#search-box button[type=submit]").await;
    assert!(
        browser
            .text("#search-nothing")
            .await
            .starts_with("Ничего не найдено"),
    );
    if let Some(dir) = &shots {
        browser
            .screenshot(dir.join("search-nothing-1366.png"))
            .await;
        eprintln!("screenshots in {}", dir.display());
    }
}
