//! `qyzmet migrate`: an installation moved SQLite → PostgreSQL → SQLite is the same
//! installation on each copy, as its users would find it — the same cases with the same
//! history, the same open tasks and due times, the timers still due and firing once, the jobs
//! where they stood, the clerk still signing in, the system's token still accepted, the audit
//! journal verifying with the same last hash, the next case numbered after the copied ones —
//! and a copy into a database that has rows is refused and changes nothing.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use qyzmet::accounts::{self, NewAccount, SignIn, TemporaryPassword};
use qyzmet::audit::{Action, Entry, Verifier};
use qyzmet::clock::{Clock, ManualClock};
use qyzmet::runtime::Status;
use qyzmet::store::{self, Location, Store, transfer, tx};
use qyzmet::worker::idempotency::IdempotencyKey;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::backends;
use crate::backends::fixture::{almaty, engine, submission};

/// What the installation's users see of it, read through the store.
#[derive(Debug, PartialEq)]
struct Seen {
    /// Per case: its state, history and open tasks (with their due times).
    cases: Vec<(
        qyzmet::runtime::CaseState,
        Vec<qyzmet::runtime::HistoryEntry>,
        Vec<store::TaskRow>,
    )>,
    /// Per case: its jobs (work, status, attempts, last error), in the order made.
    jobs: Vec<Value>,
    /// Every timer: key, case, due time, purpose.
    timers: Vec<String>,
    /// Cases and jobs by status, timers.
    counts: Value,
    /// Deployed versions: service, version, hash, text, time.
    definitions: Vec<(String, String, String, String, DateTime<Utc>)>,
    /// Every account.
    accounts: Vec<accounts::Account>,
    /// Every API token (hashes, names, times).
    tokens: Vec<accounts::ApiToken>,
    /// The clerk's session, found by its token.
    session: Option<accounts::Session>,
    /// The audit journal verified: records and last hash.
    audit: (u64, String),
}

const NUMBERS: [&str; 3] = ["QZ-2026-000001", "QZ-2026-000002", "QZ-2026-000003"];

async fn seen(s: &Store, session_token: &str) -> Seen {
    let mut cases = Vec::new();
    let mut jobs = Vec::new();
    for number in NUMBERS {
        let case = s.case_by_number(number).await.unwrap().unwrap();
        let history = s.history(case.id).await.unwrap();
        let tasks = s.tasks(None, None, Some(number)).await.unwrap();
        jobs.push(serde_json::to_value(s.jobs_of_case(case.id).await.unwrap()).unwrap());
        cases.push((case, history, tasks));
    }
    let mut read = s.read().await.unwrap();
    let timers = tx::due_timers(&mut read, almaty(2100, 1, 1, 0, 0), 1000)
        .await
        .unwrap()
        .iter()
        .map(|t| format!("{} {} {} {:?}", t.key, t.case_id, t.due_at, t.purpose))
        .collect();
    let definitions = s
        .definitions(None)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.service, d.version, d.hash, d.source, d.deployed_at))
        .collect();
    let accounts = store::accounts::list_accounts(&mut read).await.unwrap();
    let tokens = store::accounts::api_tokens(&mut read, None).await.unwrap();
    let session = store::accounts::session_by_token(&mut read, session_token)
        .await
        .unwrap();
    read.close().await;
    Seen {
        cases,
        jobs,
        timers,
        counts: s.counts().await.unwrap(),
        definitions,
        accounts,
        tokens,
        session,
        audit: verified(s).await,
    }
}

/// The journal checked record by record: its count and last hash.
async fn verified(s: &Store) -> (u64, String) {
    let mut read = s.read().await.unwrap();
    let mut verifier = Verifier::new();
    let mut after = 0;
    loop {
        let rows = store::audit::page(&mut read, after, 500).await.unwrap();
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let record = row.unwrap();
            verifier
                .push(&record)
                .unwrap_or_else(|e| panic!("the chain breaks at {}: {e}", record.seq));
            after = record.seq;
        }
    }
    read.close().await;
    let done = verifier.finish();
    (done.count, done.last_hash)
}

/// Jobs whose lease is set, read as a person holding the database would.
async fn leased(database: &Location) -> i64 {
    let text = "select count(*) from jobs where lease_until is not null or leased_by is not null";
    match database {
        Location::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            let n: (i64,) = sqlx::query_as(text).fetch_one(&mut c).await.unwrap();
            n.0
        }
        Location::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let n: (i64,) = sqlx::query_as(text).fetch_one(&mut c).await.unwrap();
            n.0
        }
    }
}

/// The id each of `cases`, `accounts`, `api_tokens` gives its next row on PostgreSQL, read
/// from its identity sequence without taking it.
async fn next_ids(database: &Location) -> [i64; 3] {
    let Location::Postgres(url) = database else {
        panic!("a PostgreSQL database");
    };
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let mut next = [0; 3];
    for (i, table) in ["cases", "accounts", "api_tokens"].into_iter().enumerate() {
        let (sequence,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select pg_get_serial_sequence('{table}', 'id')"
        )))
        .fetch_one(&mut c)
        .await
        .unwrap();
        let (last, called): (i64, bool) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select last_value, is_called from {sequence}"
        )))
        .fetch_one(&mut c)
        .await
        .unwrap();
        next[i] = if called { last + 1 } else { last };
    }
    let _ = c.close().await;
    next
}

/// The clerk signs in with the password from their desk, and the system's token authenticates,
/// in a transaction rolled back: the copy is left as it was.
async fn signs_in(s: &Store, password: &str, token: &str, at: DateTime<Utc>) {
    let mut w = s.writer().await.unwrap();
    w.begin().await.unwrap();
    let outcome = accounts::sign_in(&mut w, "clerk", password, Some("10.0.0.1"), at)
        .await
        .unwrap();
    assert!(
        matches!(outcome, SignIn::Success { .. }),
        "{}: the clerk signs in: {outcome:?}",
        s.location().describe()
    );
    let found = store::accounts::api_token(&mut w, token).await.unwrap();
    let portal = store::accounts::account_by_login(&mut w, "portal")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.map(|t| t.account_id),
        Some(portal.id),
        "{}: the system's token authenticates as its account",
        s.location().describe()
    );
    w.rollback().await.unwrap();
    w.close().await;
}

/// The installation built on SQLite: three cases (one waiting on its cooling-off timer, one
/// with its acceptance open, one whose job a process that died had leased), a clerk who
/// signed in once after a wrong password, a system with a token, an idempotency key, a
/// scheduled occurrence, a notifier's sent-record and journal records.
struct Built {
    password: String,
    token: String,
    session: String,
}

async fn build(database: &Location, outbox: PathBuf) -> Built {
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let e = engine(database, clock.clone(), outbox).await;
    let token = crate::engine::api_token(&e, "portal", &["front_office_operator"], "almaty").await;
    let temporary = TemporaryPassword::new().await.unwrap();
    let password = temporary.password().to_string();
    let session = e
        .transact(move |conn, now| {
            let temporary = temporary.clone();
            Box::pin(async move {
                let new = NewAccount {
                    login: "clerk".into(),
                    full_name: "Aigerim Saparova".into(),
                    email: "a.saparova@example.kz".into(),
                    roles: vec!["provider_specialist".parse().unwrap()],
                    region: "almaty".into(),
                    created_by: "admin".into(),
                };
                accounts::register(conn, &new, &temporary, Some("10.0.0.1"), now)
                    .await
                    .map_err(|e| e.to_string())?;
                let wrong = accounts::sign_in(conn, "clerk", "wrong", Some("10.0.0.9"), now)
                    .await
                    .map_err(|e| e.to_string())?;
                assert!(matches!(wrong, SignIn::Refused));
                let right =
                    accounts::sign_in(conn, "clerk", temporary.password(), Some("10.0.0.1"), now)
                        .await
                        .map_err(|e| e.to_string())?;
                let SignIn::Success { token, .. } = right else {
                    return Err(format!("the clerk does not sign in: {right:?}"));
                };
                store::schedule::claim(
                    conn,
                    "all-kinds",
                    "2026-11-23T09:00",
                    now - Duration::hours(1),
                    now,
                )
                .await
                .map_err(|e| e.to_string())?;
                Ok::<_, String>(token)
            })
        })
        .await
        .unwrap()
        .unwrap();
    // The first case, by the portal with its idempotency key: accepted, data fetched,
    // approved; it waits a working day to cool off.
    let key = IdempotencyKey::new("portal", "k-1", "all-kinds", &submission()).unwrap();
    let first = e
        .submit_once("all-kinds", submission(), Some(key))
        .await
        .unwrap()
        .number;
    assert_eq!(first, NUMBERS[0]);
    let accept = e.store().tasks(None, None, Some(&first)).await.unwrap();
    e.claim(&accept[0].key, "operator1").await.unwrap();
    e.complete(&accept[0].key, "complete", json!({}), "operator1")
        .await
        .unwrap();
    e.drain().await.unwrap();
    let review = e.store().tasks(None, None, Some(&first)).await.unwrap();
    assert_eq!(review[0].step, "review");
    e.complete(&review[0].key, "approve", json!({}), "clerk")
        .await
        .unwrap();
    e.drain().await.unwrap();
    // The second, its acceptance open; the third, its first job leased by a process that
    // then died.
    assert_eq!(
        e.submit("all-kinds", submission()).await.unwrap(),
        NUMBERS[1]
    );
    e.drain().await.unwrap();
    assert_eq!(
        e.submit("all-kinds", submission()).await.unwrap(),
        NUMBERS[2]
    );
    let leased = e
        .transact(|conn, now| {
            Box::pin(async move {
                tx::lease_jobs(conn, "gone:1:0", now, now + Duration::minutes(5), 1)
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(leased.len(), 1);
    e.store()
        .record_sent(
            &leased[0].key,
            "sms",
            &json!({ "provider_id": "sms-1" }),
            clock.now(),
        )
        .await
        .unwrap();
    e.audit(Entry::new("clerk", Action::CaseOpened).object(NUMBERS[2]))
        .await
        .unwrap();
    e.store().close().await;
    drop(e);
    Built {
        password,
        token,
        session,
    }
}

/// Runs `qyzmet migrate` with `args`: exit code, stdout, stderr.
fn run_migrate(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .arg("migrate")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn text(location: &Location) -> String {
    match location {
        Location::Sqlite(path) => path.display().to_string(),
        Location::Postgres(url) => url.clone(),
    }
}

async fn seen_at(database: &Location, built: &Built) -> Seen {
    let s = Store::open(database).await.unwrap();
    let seen = seen(&s, &built.session).await;
    s.close().await;
    seen
}

#[tokio::test]
async fn an_installation_moved_sqlite_to_postgres_to_sqlite_is_the_same_installation() {
    let dir = tempfile::tempdir().unwrap();
    let original = Location::Sqlite(dir.path().join("original.db"));
    let built = build(&original, dir.path().join("outbox-built")).await;
    let expected = seen_at(&original, &built).await;
    assert_eq!(expected.accounts.len(), 2);
    assert!(expected.session.is_some());
    assert_eq!(leased(&original).await, 1, "the dead process's lease");
    assert_eq!(
        expected.counts,
        json!({ "cases": { "active": 3 }, "jobs": { "done": 7, "pending": 1 }, "timers": 2 }),
    );

    // A database in use is refused, and the target is not even made.
    let elsewhere = dir.path().join("elsewhere.db");
    {
        let _serving = Store::open(&original).await.unwrap();
        let refused = transfer::migrate(&original, &Location::Sqlite(elsewhere.clone()))
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("in use"), "{refused}");
        assert!(!elsewhere.exists());
    }

    // SQLite → PostgreSQL, by the library.
    let postgres = backends::scratch_postgres().await;
    let copied = transfer::migrate(&original, &postgres).await.unwrap();
    for (table, rows) in [
        ("definitions", expected.definitions.len() as u64),
        ("cases", 3),
        ("jobs", 8),
        ("timers", 2),
        ("schedule_runs", 1),
        ("idempotency_keys", 1),
        ("notification_sent", 1),
        ("accounts", 2),
        ("sessions", 1),
        ("api_tokens", 1),
        ("sign_in_throttle", 1),
        ("audit", expected.audit.0),
    ] {
        assert_eq!(copied.rows(table), rows, "{table}: {copied:?}");
    }
    assert_eq!(
        copied.audit_last_hash.as_deref(),
        Some(expected.audit.1.as_str())
    );

    // Into a database that has rows: refused, by the library and by the command, naming
    // the tables; nothing changes.
    let before = seen_at(&postgres, &built).await;
    let refused = transfer::migrate(&original, &postgres).await.unwrap_err();
    assert!(
        matches!(&refused, transfer::Error::NotEmpty { tables, .. } if tables.len() == 14 && tables[0] == "definitions"),
        "{refused}"
    );
    let (code, stdout, stderr) =
        run_migrate(&["--from", &text(&original), "--to", &text(&postgres)]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("is not empty: tables `definitions`, `cases`"),
        "{stderr}"
    );
    assert_eq!(seen_at(&postgres, &built).await, before);
    let (code, _, stderr) = run_migrate(&["--from", &text(&original), "--to", &text(&original)]);
    assert_eq!(code, 2, "{stderr}");

    // PostgreSQL → a new SQLite file, by the command.
    let back = Location::Sqlite(dir.path().join("back.db"));
    let (code, stdout, stderr) = run_migrate(&["--from", &text(&postgres), "--to", &text(&back)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    println!("{stdout}");
    assert!(
        stdout.contains("\n  cases                     3\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!(
            "audit journal: {} records, last hash {}\n",
            expected.audit.0,
            &expected.audit.1[..16]
        )),
        "{stdout}"
    );

    // Same to same: PostgreSQL → another PostgreSQL database, SQLite → another file.
    let postgres_again = backends::scratch_postgres().await;
    transfer::migrate(&postgres, &postgres_again).await.unwrap();
    let back_again = Location::Sqlite(dir.path().join("back-again.db"));
    transfer::migrate(&back, &back_again).await.unwrap();

    // Each copy is the installation: the same cases, tasks, timers, jobs, accounts, tokens,
    // session and journal; no lease; the clerk signs in and the token authenticates.
    let copies = [&postgres, &back, &postgres_again, &back_again];
    for copy in copies {
        let name = copy.describe();
        assert_eq!(seen_at(copy, &built).await, expected, "{name}");
        assert_eq!(leased(copy).await, 0, "{name}: leases are not copied");
        let s = Store::open(copy).await.unwrap();
        signs_in(
            &s,
            &built.password,
            &built.token,
            almaty(2026, 11, 24, 9, 0),
        )
        .await;
        s.close().await;
    }

    // On PostgreSQL each identity sequence is past the copied ids: the next case is the
    // fourth, the next account the third, the next token the second. (A case's insert that
    // finds its id taken is run again by the writer with the next id, which hides a sequence
    // left behind for the first few cases; the sequence is read itself.)
    for copy in [&postgres, &postgres_again] {
        assert_eq!(next_ids(copy).await, [4, 3, 2], "{}", copy.describe());
    }

    // The day after, on the original and on each copy: the cooling-off timer fires once and
    // the first case is issued, the leased job runs, and a new case is the fourth — the same
    // on every one, to the history line.
    let mut after = Vec::new();
    for (i, database) in [&original].into_iter().chain(copies).enumerate() {
        let clock = Arc::new(ManualClock::new(almaty(2026, 11, 24, 18, 0)));
        let e = engine(database, clock, dir.path().join(format!("outbox-{i}"))).await;
        e.drain().await.unwrap();
        let first = e.case(NUMBERS[0]).await.unwrap().unwrap();
        assert_eq!(first.case.status, Status::Completed);
        assert_eq!(first.case.result.as_deref(), Some("issued"));
        let fired = first.history[expected.cases[0].1.len()..]
            .iter()
            .filter(|h| h.kind == "timer_fired")
            .count();
        assert_eq!(fired, 1, "{}", database.describe());
        let fourth = e.submit("all-kinds", submission()).await.unwrap();
        assert_eq!(fourth, "QZ-2026-000004", "{}", database.describe());
        after.push(seen(e.store(), &built.session).await);
        // A new account and token: their ids come after the copied ones (on PostgreSQL a
        // sequence that stayed at 1 would make the account's insert find its id taken).
        crate::engine::api_token(&e, "portal2", &["front_office_operator"], "almaty").await;
        e.store().close().await;
        drop(e);
    }
    for (copy, seen) in copies.iter().zip(&after[1..]) {
        assert_eq!(*seen, after[0], "{} ran as the original", copy.describe());
    }
    assert_eq!(
        after[0].counts["jobs"],
        json!({ "done": 9, "pending": 1 }),
        "the fourth case's first job waits for the job loop"
    );
}
