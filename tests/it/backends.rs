//! The databases the tests run on: SQLite files in temporary folders, and scratch databases
//! on the machine's PostgreSQL server (`tests/run` starts it when it is down).
//!
//! `QYZMET_TEST_POSTGRES` is the server's administrative URL (by default
//! `postgres://postgres@127.0.0.1:5432/postgres`: trust authentication, user `postgres`).
//! `QYZMET_TEST_BACKEND=postgres` runs the service tests that ask [`database`] on
//! PostgreSQL instead of SQLite: `tests/run` runs them a second time so.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use qyzmet::store::{Backend, Location, Store};
use sqlx::Connection;

/// The PostgreSQL server's administrative URL.
pub fn postgres_admin() -> String {
    std::env::var("QYZMET_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The backend the service tests run on in this run.
pub fn under_test() -> Backend {
    match std::env::var("QYZMET_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// The database a service test's engine opens: `None` (the SQLite file in `dir`, the
/// embedded default) or, when the run is on PostgreSQL, a scratch database of its own.
pub async fn database(_dir: &Path) -> Option<Location> {
    match under_test() {
        Backend::Sqlite => None,
        Backend::Postgres => Some(scratch_postgres().await),
    }
}

/// Where a test's engine keeps its data: the SQLite file `qyzmet.db` in `dir`, or a scratch
/// PostgreSQL database when the run is on PostgreSQL.
pub async fn location(dir: &Path) -> Location {
    database(dir)
        .await
        .unwrap_or_else(|| dir.join("qyzmet.db").into())
}

/// A new, empty database on the PostgreSQL server, named for this test process and a
/// counter (`qz_t_<pid>_<n>`). `tests/run` drops those of earlier runs.
pub async fn scratch_postgres() -> Location {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "qz_t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = postgres_admin();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!("the tests need the PostgreSQL server at {admin} (tests/run starts it): {e}")
        });
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("creating the scratch database {name}: {e}"));
    let _ = conn.close().await;
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base.to_string())
        .unwrap_or(admin);
    Location::Postgres(format!("{base}/{name}"))
}

/// The one number a query answers, on the store's database (a text both backends read).
pub async fn scalar(store: &Store, text: String) -> i64 {
    match store.location() {
        Location::Sqlite(_) => {
            let pool = store.sqlite_pool().expect("an SQLite store has its pool");
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text))
                .fetch_one(pool)
                .await
                .unwrap()
        }
        Location::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(text))
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    }
}

/// Both backends: an SQLite file in `dir`, and a scratch PostgreSQL database.
pub async fn both(dir: &Path) -> [Location; 2] {
    [
        Location::Sqlite(dir.join("qyzmet.db")),
        scratch_postgres().await,
    ]
}

/// What the store's and the migration's tests run: the fixture services (one step of every
/// kind) on a database of either backend, with an injected clock.
pub mod fixture {
    use std::path::PathBuf;
    use std::sync::Arc;

    use chrono::{DateTime, Duration, TimeZone, Utc};
    use qyzmet::clock::ManualClock;
    use qyzmet::runtime::{Language, Settings, Submission};
    use qyzmet::store::Location;
    use qyzmet::worker::outbox::FileOutbox;
    use qyzmet::worker::{Config, Engine};
    use serde_json::json;

    /// Almaty local time (UTC+5) as UTC.
    pub fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
    }

    /// An application to the fixture service `all-kinds`.
    pub fn submission() -> Submission {
        Submission {
            data: json!({ "applicant.iin": "850315300128", "applicant.account": "KZ01", "applicant.language": "kk" }),
            channel: "state_corporation".into(),
            language: Language::Kk,
            sms_consent: true,
            region: "almaty".into(),
        }
    }

    /// An engine on the fixture services, writing its outbox to `outbox`.
    pub async fn engine(database: &Location, clock: Arc<ManualClock>, outbox: PathBuf) -> Engine {
        Engine::start(Config {
            database: database.clone(),
            workflows: PathBuf::from("tests/fixtures/definitions/valid"),
            calendars: PathBuf::from("calendars"),
            settings: Settings::default(),
            clock,
            performer: Arc::new(FileOutbox::new(outbox)),
            number_prefix: "QZ".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("the engine starts on {}: {e}", database.describe()))
    }
}
