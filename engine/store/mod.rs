//! Persistence: every SQL statement of the engine, and nothing else.
//!
//! Two backends, chosen by [`Location`]: one SQLite file under the data directory (the
//! embedded default: WAL mode, `synchronous=FULL`, one engine process), or a PostgreSQL
//! server that several engine processes share. Each statement is written once and compiled
//! for both (`backend`'s [`on!`](backend::on)); nothing outside this module names a
//! database type, which a test checks (`tests/it/store.rs`).
//!
//! Reads go through a small pool; **all writes of a process go through one connection,
//! owned by the worker's writer** (see `worker::writer`), which is how several transitions
//! share one commit (group commit).
//!
//! An SQLite file belongs to one process at a time: [`Store::open`] takes an exclusive lock
//! on `<database>.lock` and holds it while the store lives (the operating system drops it
//! when the process dies, however it dies). So whatever the file says is leased at start-up
//! was leased by a run that is gone. A PostgreSQL database is shared: each process leases
//! jobs in its own name ([`Store::process`]) until a time, takes due timers and jobs with
//! `for update skip locked`, and locks a case's row when it loads it to change it; a lease
//! another process left is taken over only when it has expired.
//!
//! **Architecture Invariant:** the store knows rows, not rules. It never decides what a
//! case does next; it writes what the runtime core returned, in one transaction.

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod backend;
pub mod case_links;
pub mod checkpoint;
pub mod compliance;
pub mod department;
pub mod held;
pub mod idempotency;
pub mod incidents;
pub mod mass_events;
pub mod operations;
pub mod portal;
pub mod queue;
pub mod schedule;
pub mod search;
pub mod sms_replies;
pub mod snapshot;
pub mod transfer;
pub mod uploads;
pub mod waves;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

pub use backend::{Backend, Conn, Location};
use backend::{Connector, Pool, on};

use crate::runtime::{CaseState, Effect, HistoryEntry, Transition, Work};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database said no.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value does not parse: the database was edited by hand, or a bug.
    #[error("corrupt {what}: {message}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// The parser's complaint.
        message: String,
    },
    /// Another writer moved the case first.
    #[error("case {0} changed concurrently")]
    Conflict(i64),
    /// Another process has the database open.
    #[error("{} is in use by another qyzmet process", .0.display())]
    InUse(PathBuf),
    /// The lock file could not be opened or locked.
    #[error("{}: {source}", .path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Why the database could not be written just now, though nothing is wrong with what was
/// written: the condition passes (the lock is released, space is freed, the server is back)
/// and the same command then succeeds. The writer answers such a refusal
/// [`crate::worker::Error::Unavailable`] (the API's 503 `unavailable`), never as a failure
/// of ours (500).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Another program held the database's write lock past the lock wait (`SQLITE_BUSY`,
    /// `SQLITE_LOCKED`): a backup tool, the `sqlite3` shell, a migration run by hand; or
    /// PostgreSQL's lock wait ran out.
    Locked,
    /// The database could not grow (`SQLITE_FULL`, PostgreSQL's `disk_full`).
    Full,
    /// The database server could not be reached, or is shutting down.
    Unreachable,
}

impl Unavailable {
    /// The label of the metric that counts them (`locked`, `full`, `unreachable`).
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::Locked => "locked",
            Unavailable::Full => "full",
            Unavailable::Unreachable => "unreachable",
        }
    }
}

impl Error {
    /// Whether this is the database refusing for a while ([`Unavailable`]) rather than a
    /// statement that is wrong; by SQLite's primary result code or PostgreSQL's SQLSTATE.
    pub fn unavailable(&self) -> Option<Unavailable> {
        let Error::Database(e) = self else {
            return None;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => return Some(Unavailable::Unreachable),
            sqlx::Error::Database(_) => {}
            _ => return None,
        }
        let sqlx::Error::Database(e) = e else {
            return None;
        };
        if let Some(pg) = e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            let code = pg.code();
            return match code {
                "53100" => Some(Unavailable::Full),
                "55P03" => Some(Unavailable::Locked),
                _ if code.starts_with("08") || code.starts_with("57P") => {
                    Some(Unavailable::Unreachable)
                }
                _ => None,
            };
        }
        let code: i32 = e.code()?.parse().ok()?;
        // SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_FULL (13); extended codes keep the
        // primary one in their low byte (SQLITE_BUSY_SNAPSHOT is 517).
        match code & 0xff {
            5 | 6 => Some(Unavailable::Locked),
            13 => Some(Unavailable::Full),
            _ => None,
        }
    }

    /// Whether another process's transaction got in the way of this one and the same work,
    /// run again, succeeds: PostgreSQL's `serialization_failure` (40001), a deadlock
    /// detected (40P01), or a unique key another process inserted first (23505) where the
    /// statement looked for it before inserting.
    pub fn contended(&self) -> bool {
        let Error::Database(sqlx::Error::Database(e)) = self else {
            return matches!(self, Error::Conflict(_));
        };
        e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some_and(|pg| matches!(pg.code(), "40001" | "40P01" | "23505"))
    }
}

/// Timestamps are stored as fixed-width UTC text in SQLite, so text order is time order.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored timestamp.
pub fn parse_ts(text: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Corrupt {
            what: "timestamp",
            message: e.to_string(),
        })
}

fn parse<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt {
        what,
        message: e.to_string(),
    })
}

/// The database: a pool for reads, and how the writer connects.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    connector: Connector,
    location: Location,
    /// This process's name on the leases it takes: host, process id and a random part, so
    /// a restarted process with a reused id does not pass for the one that died.
    process: Arc<str>,
    /// The locked `<database>.lock` of an SQLite file, held while any clone of the store
    /// lives: the sign that this process owns the database.
    _owner: Option<Arc<std::fs::File>>,
}

/// An open task as the queues show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TaskRow {
    /// The task's key.
    pub key: String,
    /// The case's registration number.
    pub number: String,
    /// The step.
    pub step: String,
    /// The role whose queue it is in.
    pub role: String,
    /// The region.
    pub region: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// Who claimed it.
    pub assignee: Option<String>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Where a task stands: stored by [`TaskStatus::as_str`]. Closed tasks are in no queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting in the queue.
    Open,
    /// Taken by a clerk.
    Claimed,
    /// Completed, or closed with its case.
    Closed,
}

impl TaskStatus {
    /// Every status, in the order above.
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::Claimed, TaskStatus::Closed];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Claimed => "claimed",
            TaskStatus::Closed => "closed",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Result<TaskStatus, Error> {
        TaskStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::Corrupt {
                what: "task status",
                message: format!("`{text}` is not a task status"),
            })
    }
}

/// Which due times a task query keeps. Tasks without a due time are never overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Due {
    /// Any, and none.
    #[default]
    Any,
    /// Due before this time (`due_at < t`): overdue, when `t` is now.
    Before(DateTime<Utc>),
    /// Not due before this time, or not due at all (`due_at >= t` or none).
    NotBefore(DateTime<Utc>),
    /// Due by `to` (inclusive), and not before `from` (inclusive) when given.
    Window {
        /// The earliest due time kept.
        from: Option<DateTime<Utc>>,
        /// The latest due time kept.
        to: DateTime<Utc>,
    },
}

/// What a task list is ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSort {
    /// The due time (tasks without one last), then the creation time.
    #[default]
    Due,
    /// The creation time.
    Created,
    /// The case's registration number: the order a clerk finds a paper file by.
    Number,
}

/// Which open and claimed tasks to list, and which page of them ([`Store::task_page`]).
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// Tasks of these roles only; `None`: any role.
    pub roles: Option<Vec<String>>,
    /// Of this region only.
    pub region: Option<String>,
    /// Of this case (registration number) only.
    pub case: Option<String>,
    /// Open only, or claimed only; `None`: both.
    pub status: Option<TaskStatus>,
    /// Claimed by this login only.
    pub assignee: Option<String>,
    /// Claimed by nobody only (`assignee is null`: the open ones).
    pub unassigned: bool,
    /// Of cases of this service only. The task row has no service: the case's row says it,
    /// looked up by its primary key for each task the other filters keep.
    pub service: Option<String>,
    /// At this step path only (`review`, `hearing/hold_hearing`).
    pub step: Option<String>,
    /// By due time.
    pub due: Due,
    /// The order.
    pub sort: TaskSort,
    /// Latest (or last created) first.
    pub descending: bool,
    /// At most this many rows.
    pub limit: u32,
    /// After skipping this many.
    pub offset: u32,
}

/// A definition version as deployed: its text and the hash a start checks it against.
#[derive(Debug, Clone)]
pub struct DefinitionRow {
    /// The service (or sub-workflow) id.
    pub service: String,
    /// The version label.
    pub version: String,
    /// The hash of the text (`worker::content_hash`).
    pub hash: String,
    /// The text as deployed.
    pub source: String,
    /// When it was first deployed.
    pub deployed_at: DateTime<Utc>,
}

/// A due timer.
#[derive(Debug, Clone)]
pub struct TimerRow {
    /// Its key.
    pub key: String,
    /// The case.
    pub case_id: i64,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// What for, as stored.
    pub purpose: crate::runtime::TimerPurpose,
}

/// Where an outbox job stands: stored by [`JobStatus::as_str`], checked by the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// To be performed at its `next_at` (or being performed, under a lease).
    Pending,
    /// A data request the gateway's asynchronous channel acknowledged: its answer comes later
    /// to `POST /gateway/answers`, by its `next_at` (the deadline), or it is sent again.
    AwaitingAnswer,
    /// Performed; a request's answer went to its case.
    Done,
    /// A data request whose retries ran out: its case took the step's failure path.
    Failed,
    /// Its retries ran out and an administrator decides.
    Incident,
}

impl JobStatus {
    /// Every status, in the order above.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Pending,
        JobStatus::AwaitingAnswer,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Incident,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::AwaitingAnswer => "awaiting_answer",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Incident => "incident",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Result<JobStatus, Error> {
        JobStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::Corrupt {
                what: "job status",
                message: format!("`{text}` is not a job status"),
            })
    }

    /// Whether nothing more happens to the job (an administrator's retry of an incident
    /// aside): a late answer, a repeat or a stale record must leave it as it is.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Done | JobStatus::Failed | JobStatus::Incident
        )
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A data request whose answer did not come by its deadline.
#[derive(Debug, Clone)]
pub struct Unanswered {
    /// The job.
    pub job: JobRow,
    /// When the gateway acknowledged the send.
    pub acknowledged_at: DateTime<Utc>,
    /// When the answer was due.
    pub due_at: DateTime<Utc>,
}

/// An outbox job.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct JobRow {
    /// The idempotency key.
    pub key: String,
    /// The case.
    pub case_id: i64,
    /// The work: a data request, a notification, a document or a stage report, by `kind`.
    #[schema(value_type = Object)]
    pub work: Work,
    /// Where it stands.
    pub status: JobStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub last_error: Option<String>,
}

/// A task row (`key, number, step, role, region, status, assignee, due_at, created_at`),
/// inside an [`on!`] body.
macro_rules! task_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<TaskRow, Error>(TaskRow {
            key: r.try_get(0)?,
            number: r.try_get(1)?,
            step: r.try_get(2)?,
            role: r.try_get(3)?,
            region: r.try_get(4)?,
            status: TaskStatus::parse(r.try_get(5)?)?,
            assignee: r.try_get(6)?,
            due_at: read_ts_opt(r, 7)?,
            created_at: read_ts(r, 8)?,
        })
    }};
}

/// A job row (`key, case_id, work, status, attempts, last_error`), inside an [`on!`] body.
macro_rules! job_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<JobRow, Error>(JobRow {
            key: r.try_get(0)?,
            case_id: r.try_get(1)?,
            work: read_json(r, 2, "job")?,
            status: JobStatus::parse(r.try_get(3)?)?,
            attempts: r.try_get::<i64, _>(4)? as u32,
            last_error: r.try_get(5)?,
        })
    }};
}

/// A timer row (`key, case_id, due_at, purpose`), inside an [`on!`] body.
macro_rules! timer_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<TimerRow, Error>(TimerRow {
            key: r.try_get(0)?,
            case_id: r.try_get(1)?,
            due_at: read_ts(r, 2)?,
            purpose: read_json(r, 3, "timer purpose")?,
        })
    }};
}

/// A stage-report job as stored, with its case's number and service.
#[derive(Debug, Clone)]
pub struct StageJobRow {
    /// The idempotency key, `job:{case}:{seq}:{n}`.
    pub key: String,
    /// The case's id.
    pub case_id: i64,
    /// The work (a `Work::Stage`).
    pub work: Work,
    /// Where the job stands.
    pub status: String,
    /// The case's registration number.
    pub number: String,
    /// The service.
    pub service: String,
}

/// Cases by (service, status) and jobs by (kind, status), with their counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricCounts {
    /// (service, status, cases).
    pub cases: Vec<(String, String, i64)>,
    /// (kind, status, jobs).
    pub jobs: Vec<(String, String, i64)>,
}

/// A stage-job row (`key, case_id, work, status, number, service`), inside an [`on!`] body.
macro_rules! stage_job_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<StageJobRow, Error>(StageJobRow {
            key: r.try_get(0)?,
            case_id: r.try_get(1)?,
            work: read_json(r, 2, "job")?,
            status: r.try_get(3)?,
            number: r.try_get(4)?,
            service: r.try_get(5)?,
        })
    }};
}

/// A value a task filter binds.
enum Bound {
    Text(String),
    Time(DateTime<Utc>),
}

/// The `where` clause of a task query and its bound values, in order. It names only the
/// filters given, so each can use its index: a queue by `tasks_open` (migration 0013: the open
/// and claimed tasks, with every column filtered or sorted by), a case's tasks by
/// `tasks_by_case`. (`?1 is null or role = ?1` would read the whole table, closed tasks and
/// all, on every look at a queue.) The clause always says `status in ('open', 'claimed')` as
/// the partial index does: both databases use a partial index only where the query's own
/// words imply its condition, and a bound `status = ?` proves nothing.
fn task_filter(query: &TaskQuery) -> (String, Vec<Bound>) {
    let mut sql = String::from("status in ('open', 'claimed')");
    let mut binds = Vec::new();
    if let Some(status) = query.status {
        sql.push_str(" and status = ?");
        binds.push(Bound::Text(status.as_str().to_string()));
    }
    if let Some(roles) = &query.roles {
        let marks = vec!["?"; roles.len()].join(", ");
        sql.push_str(&format!(" and role in ({marks})"));
        binds.extend(roles.iter().cloned().map(Bound::Text));
    }
    if let Some(region) = &query.region {
        sql.push_str(" and region = ?");
        binds.push(Bound::Text(region.clone()));
    }
    if let Some(case) = &query.case {
        sql.push_str(" and case_id = (select id from cases where number = ?)");
        binds.push(Bound::Text(case.clone()));
    }
    if let Some(assignee) = &query.assignee {
        sql.push_str(" and assignee = ?");
        binds.push(Bound::Text(assignee.clone()));
    }
    if query.unassigned {
        sql.push_str(" and assignee is null");
    }
    if let Some(step) = &query.step {
        sql.push_str(" and step = ?");
        binds.push(Bound::Text(step.clone()));
    }
    if let Some(service) = &query.service {
        // An open task's case is active (a case that ends closes its tasks): the active cases
        // of the service, by `cases_by_status` (service, status), are made a set once, and
        // each task the other filters keep looks its `case_id` up in it. The `+` keeps SQLite
        // from going the other way (each of 100,000 cases' tasks through `tasks_by_case`,
        // a table row read for each).
        sql.push_str(
            " and +case_id in (select id from cases where service = ? and status = 'active')",
        );
        binds.push(Bound::Text(service.clone()));
    }
    match query.due {
        Due::Any => {}
        Due::Before(t) => {
            sql.push_str(" and due_at < ?");
            binds.push(Bound::Time(t));
        }
        Due::NotBefore(t) => {
            sql.push_str(" and (due_at is null or due_at >= ?)");
            binds.push(Bound::Time(t));
        }
        Due::Window { from, to } => {
            if let Some(from) = from {
                sql.push_str(" and due_at >= ?");
                binds.push(Bound::Time(from));
            }
            sql.push_str(" and due_at <= ?");
            binds.push(Bound::Time(to));
        }
    }
    (sql, binds)
}

/// A case status as stored.
pub(crate) fn status_name(status: crate::runtime::Status) -> &'static str {
    match status {
        crate::runtime::Status::Active => "active",
        crate::runtime::Status::Completed => "completed",
        crate::runtime::Status::Withdrawn => "withdrawn",
    }
}

/// A case's `closed_at` as written with `state` at `at`: when it closed (the runtime's
/// closing time, or the write's for a state that lacks it), `None` while it is open. Why a
/// column of its own: migrations/0020_cases_closed_at.sql.
pub(crate) fn closed_at(
    state: &crate::runtime::CaseState,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match state.status {
        crate::runtime::Status::Active => None,
        crate::runtime::Status::Completed | crate::runtime::Status::Withdrawn => {
            Some(state.closed_at.unwrap_or(at))
        }
    }
}

/// A job's kind as stored.
pub(crate) fn job_kind(work: &Work) -> &'static str {
    match work {
        Work::Request { .. } => "request",
        Work::Notify { .. } => "notify",
        Work::Document { .. } => "document",
        Work::Stage { .. } => "stage",
    }
}

/// Rows a statement that writes or reads many at once, at most: 500 × at most 11 values
/// stays well under SQLite's limit of 32,766 bound values and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// How long a statement waits for a lock another program holds on the database before
    /// it fails ([`Unavailable::Locked`]), unless the installation says otherwise.
    pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

    /// Opens the database and applies the migrations. An SQLite file is created if missing,
    /// and refused with [`Error::InUse`] while another process has it open.
    pub async fn open(location: impl Into<Location>) -> Result<Store, Error> {
        Self::open_with(location, Self::LOCK_WAIT).await
    }

    /// [`Store::open`], with statements waiting at most `lock_wait` for a lock another
    /// program or process holds (SQLite's busy timeout, PostgreSQL's `lock_timeout`).
    pub async fn open_with(
        location: impl Into<Location>,
        lock_wait: std::time::Duration,
    ) -> Result<Store, Error> {
        let location = location.into();
        match &location {
            Location::Sqlite(path) => Self::open_sqlite(path, lock_wait).await,
            Location::Postgres(url) => Self::open_postgres(url, lock_wait).await,
        }
        .map(|mut store| {
            store.location = location;
            store
        })
    }

    async fn open_sqlite(path: &Path, lock_wait: std::time::Duration) -> Result<Store, Error> {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };
        let owner = Arc::new(lock_soon(path).await?);
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(lock_wait);
        // One connection first: it turns a new file to WAL mode. Connections opening at once
        // on a new file race to change its journal mode, and the loser is told "database is
        // locked" without waiting for its busy timeout.
        {
            use sqlx::{ConnectOptions, Connection};
            options.connect().await?.close().await?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        sqlx_macros::migrate!("./migrations").run(&pool).await?;
        Ok(Store {
            pool: Pool::Sqlite(pool),
            connector: Connector::sqlite(options),
            location: Location::Sqlite(path.to_path_buf()),
            process: process_name(),
            _owner: Some(owner),
        })
    }

    async fn open_postgres(url: &str, lock_wait: std::time::Duration) -> Result<Store, Error> {
        use sqlx::ConnectOptions;
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        let options: PgConnectOptions = url.parse()?;
        let options = options
            .application_name("qyzmet")
            .options([("lock_timeout", format!("{}ms", lock_wait.as_millis()))])
            .log_statements(tracing::log::LevelFilter::Trace);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(lock_wait.max(std::time::Duration::from_secs(5)))
            .connect_with(options.clone())
            .await?;
        // The migrator takes an advisory lock: processes starting together apply each
        // migration once.
        sqlx_macros::migrate!("./migrations/postgres")
            .run(&pool)
            .await?;
        Ok(Store {
            pool: Pool::Postgres(pool),
            connector: Connector::postgres(options),
            location: Location::Postgres(url.to_string()),
            process: process_name(),
            _owner: None,
        })
    }

    /// The same database without the owner's lock on an SQLite file: for a reader that
    /// lives beside the engine (the notifier's sent-record), whose handle must not keep the
    /// file locked once the engine that owns it has stopped.
    pub fn unowned(&self) -> Store {
        Store {
            _owner: None,
            ..self.clone()
        }
    }

    /// Where the database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Which database it is.
    pub fn backend(&self) -> Backend {
        self.location.backend()
    }

    /// This process's name on the job leases it holds.
    pub fn process(&self) -> &str {
        &self.process
    }

    /// A reading connection from the pool, for the store functions that take one.
    pub async fn read(&self) -> Result<Conn, Error> {
        self.pool.acquire().await
    }

    /// The writer's own connection: the only one of this process that writes.
    pub async fn writer(&self) -> Result<Conn, Error> {
        self.connector.connect().await
    }

    /// Opens a fresh writer connection; the writer's way back when the database ended a
    /// transaction by itself or the server went away. Holds no store: the lock on an SQLite
    /// file goes with the last store, and must not wait for the writer's task.
    pub fn reconnect(&self) -> Connector {
        self.connector.clone()
    }

    /// Closes the readers' pool (the writer's connection closes with the writer).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the jobs leased by runs that stopped may be handed back at start: only
    /// where this process owns the database (an SQLite file, under its lock). A shared
    /// database's leases lapse at their time instead.
    pub fn owns_database(&self) -> bool {
        self._owner.is_some()
    }

    /// The readers' pool of an SQLite store, for the tests that act as a person holding the
    /// file would (editing the journal with its triggers dropped, a row no code writes).
    /// Nothing in the engine uses it: the engine asks the store's functions.
    #[doc(hidden)]
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    /// A case by its registration number.
    pub async fn case_by_number(&self, number: &str) -> Result<Option<CaseState>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql("select state from cases where number = ?"))
                .bind(number)
                .fetch_optional(p)
                .await?;
            row.map(|r| read_json(&r, 0, "case state")).transpose()
        })
    }

    /// A case's history, oldest first.
    pub async fn history(&self, case_id: i64) -> Result<Vec<HistoryEntry>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(sql("select at, actor, kind, step, detail, evidence from history where case_id = ? order by seq, n"))
                .bind(case_id)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(HistoryEntry {
                        at: read_ts(r, 0)?,
                        actor: read_json(r, 1, "actor")?,
                        kind: r.try_get(2)?,
                        step: r.try_get(3)?,
                        detail: read_json(r, 4, "history detail")?,
                        evidence: read_json_opt(r, 5, "evidence")?,
                    })
                })
                .collect()
        })
    }

    /// A case's outbox jobs in the order they were created: what was sent, asked and
    /// reported for it, and what still waits.
    pub async fn jobs_of_case(&self, case_id: i64) -> Result<Vec<JobRow>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(pick(
                "select key, case_id, work, status, attempts, last_error from jobs where case_id = ? order by created_at, rowid",
                "select key, case_id, work, status, attempts, last_error from jobs where case_id = ? order by created_at, id",
            ))
            .bind(case_id)
            .fetch_all(p)
            .await?;
            rows.iter().map(|r| job_row!(r)).collect()
        })
    }

    /// The registration number and the region of the case job `key` belongs to: what an
    /// integration endpoint checks before a system's report or answer reaches the case.
    pub async fn case_of_job(&self, key: &str) -> Result<Option<(String, String)>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql(
                "select c.number, c.region from jobs j join cases c on c.id = j.case_id where j.key = ?",
            ))
            .bind(key)
            .fetch_optional(p)
            .await?;
            row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
        })
    }

    /// One outbox job, whatever its status.
    pub async fn job(&self, key: &str) -> Result<Option<JobRow>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql(
                "select key, case_id, work, status, attempts, last_error from jobs where key = ?",
            ))
            .bind(key)
            .fetch_optional(p)
            .await?;
            row.map(|r| job_row!(&r)).transpose()
        })
    }

    /// When the next timer falls due, if any is set: the timer loop sleeps until then
    /// rather than a whole pause, so a timer fires when due and timers due through a busy
    /// hour fire a few at a time, not in a burst a pause. One look down the due-time index.
    pub async fn next_timer_due(&self) -> Result<Option<DateTime<Utc>>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql("select due_at from timers order by due_at limit 1"))
                .fetch_optional(p)
                .await?;
            row.map(|r| read_ts(&r, 0)).transpose()
        })
    }

    /// What job `key` recorded when it was done (a document's HTML, a request's answer);
    /// `None` when there is no such job or it has not finished.
    pub async fn job_output(&self, key: &str) -> Result<Option<Value>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql(
                "select output from jobs where key = ? and status = 'done'",
            ))
            .bind(key)
            .fetch_optional(p)
            .await?;
            row.map(|r| read_json_opt::<Value>(&r, 0, "job output"))
                .transpose()
                .map(Option::flatten)
        })
    }

    /// The notification job whose SMS the provider knows by `provider_id` (a delivery
    /// report names only its own id): the job's key and case.
    pub async fn job_by_sms_id(&self, provider_id: &str) -> Result<Option<(String, i64)>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(pick(
                "select key, case_id from jobs where kind = 'notify' and status = 'done' \
                 and json_extract(output, '$.channels.sms.provider_id') = ?",
                "select key, case_id from jobs where kind = 'notify' and status = 'done' \
                 and output #>> '{channels,sms,provider_id}' = ?",
            ))
            .bind(provider_id)
            .fetch_optional(p)
            .await?;
            row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
        })
    }

    /// Open and claimed tasks, most urgent first, optionally for a role and a region (at
    /// most 1000): the engine's own look at a case's or a queue's tasks.
    pub async fn tasks(
        &self,
        role: Option<&str>,
        region: Option<&str>,
        case: Option<&str>,
    ) -> Result<Vec<TaskRow>, Error> {
        let query = TaskQuery {
            roles: role.map(|r| vec![r.to_string()]),
            region: region.map(str::to_string),
            case: case.map(str::to_string),
            limit: 1000,
            ..TaskQuery::default()
        };
        Ok(self.task_page(&query).await?.0)
    }

    /// One page of the open and claimed tasks `query` selects, in its order, and how many
    /// it selects in all.
    ///
    /// Two statements, both answered from the `tasks_open` index: the page's keys, chosen and
    /// ordered inside the index (a top-N sort of the index entries, no table row read for the
    /// tasks passed over), then the rows of those keys; and the count, skipped when the first
    /// page is not full. (A `count(*) over ()` riding on the page's rows read and sorted every
    /// selected row in full: a second and more at 200,000 open tasks.)
    pub async fn task_page(&self, query: &TaskQuery) -> Result<(Vec<TaskRow>, u64), Error> {
        if query.roles.as_ref().is_some_and(Vec::is_empty) {
            return Ok((Vec::new(), 0));
        }
        let (filter, binds) = task_filter(query);
        let direction = if query.descending { "desc" } else { "asc" };
        on!(self.pool, |p| {
            // Tasks without a due time come last in either direction; the key breaks ties, so
            // that pages neither overlap nor skip. Registration numbers compare byte by byte
            // on both databases (PostgreSQL's language collations would skip the dashes).
            let number = if POSTGRES {
                "number collate \"C\""
            } else {
                "number"
            };
            let order = match query.sort {
                TaskSort::Due => format!(
                    "due_at is null, due_at {direction}, created_at {direction}, key {direction}"
                ),
                TaskSort::Created => format!("created_at {direction}, key {direction}"),
                TaskSort::Number => format!("{number} {direction}, key {direction}"),
            };
            let page_sql = format!(
                "select key, number, step, role, region, status, assignee, due_at, created_at \
                 from tasks where key in (select key from tasks where {filter} order by {order} \
                 limit ? offset ?) order by {order}"
            );
            let mut page = sqlx::query(sql_owned(page_sql));
            for value in &binds {
                page = match value {
                    Bound::Text(t) => page.bind(t.as_str()),
                    Bound::Time(t) => page.bind(bind_ts(*t)),
                };
            }
            let rows = page
                .bind(i64::from(query.limit))
                .bind(i64::from(query.offset))
                .fetch_all(p)
                .await?;
            let tasks: Vec<TaskRow> = rows
                .iter()
                .map(|r| task_row!(r))
                .collect::<Result<_, Error>>()?;
            let total = if query.offset == 0 && tasks.len() < query.limit as usize {
                tasks.len() as u64
            } else {
                let mut count = sqlx::query(sql_owned(format!(
                    "select count(*) from tasks where {filter}"
                )));
                for value in &binds {
                    count = match value {
                        Bound::Text(t) => count.bind(t.as_str()),
                        Bound::Time(t) => count.bind(bind_ts(*t)),
                    };
                }
                count.fetch_one(p).await?.try_get::<i64, _>(0)? as u64
            };
            Ok((tasks, total))
        })
    }

    /// One task, whatever its status.
    pub async fn task(&self, key: &str) -> Result<Option<TaskRow>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql("select key, number, step, role, region, status, assignee, due_at, created_at from tasks where key = ?"))
                .bind(key)
                .fetch_optional(p)
                .await?;
            row.map(|r| task_row!(&r)).transpose()
        })
    }

    /// Jobs that exhausted their retries and wait for an administrator.
    pub async fn incidents(&self) -> Result<Vec<JobRow>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(sql("select key, case_id, work, status, attempts, last_error from jobs where status = 'incident' order by updated_at"))
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| job_row!(r)).collect()
        })
    }

    /// The definition versions deployed (every version a start loaded, and those deployed
    /// through the API for the next start), of one service or all, by service and version.
    pub async fn definitions(&self, service: Option<&str>) -> Result<Vec<DefinitionRow>, Error> {
        on!(self.pool, |p| {
            let rows = match service {
                Some(service) => sqlx::query(sql(
                    "select service, version, hash, source, created_at from definitions where service = ? order by service, version",
                ))
                .bind(service)
                .fetch_all(p)
                .await?,
                None => sqlx::query(sql(
                    "select service, version, hash, source, created_at from definitions order by service, version",
                ))
                .fetch_all(p)
                .await?,
            };
            rows.iter()
                .map(|r| {
                    Ok(DefinitionRow {
                        service: r.try_get(0)?,
                        version: r.try_get(1)?,
                        hash: r.try_get(2)?,
                        source: r.try_get(3)?,
                        deployed_at: read_ts(r, 4)?,
                    })
                })
                .collect()
        })
    }

    /// Counts for the health page and the tests: cases by status, jobs by status.
    pub async fn counts(&self) -> Result<Value, Error> {
        let cases = self
            .grouped("select status, count(*) from cases group by status")
            .await?;
        let jobs = self
            .grouped("select status, count(*) from jobs group by status")
            .await?;
        let timers = self.count("select count(*) from timers").await?;
        let to_map = |rows: Vec<(Vec<String>, i64)>| {
            rows.into_iter()
                .map(|(k, n)| (k.concat(), Value::from(n)))
                .collect::<serde_json::Map<_, _>>()
        };
        Ok(serde_json::json!({ "cases": to_map(cases), "jobs": to_map(jobs), "timers": timers }))
    }

    /// What the notifier recorded as performed for a notification's (key, channel).
    pub async fn sent(&self, key: &str, channel: &str) -> Result<Option<Value>, Error> {
        on!(self.pool, |p| {
            let row = sqlx::query(sql(
                "select outcome from notification_sent where key = ? and channel = ?",
            ))
            .bind(key)
            .bind(channel)
            .fetch_optional(p)
            .await?;
            row.map(|r| read_json(&r, 0, "sent outcome")).transpose()
        })
    }

    /// Records that a notification's (key, channel) was performed, after the provider
    /// accepted it, in its own statement; a record already there is left as it was.
    pub async fn record_sent(
        &self,
        key: &str,
        channel: &str,
        outcome: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        on!(self.pool, |p| {
            sqlx::query(sql(
                "insert into notification_sent (key, channel, outcome, created_at) values (?, ?, ?, ?) \
                 on conflict (key, channel) do nothing",
            ))
            .bind(key)
            .bind(channel)
            .bind(bind_json(outcome))
            .bind(bind_ts(now))
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Every stage-report job of a case (`kind = 'stage'`), in no particular order: read
    /// by primary-key range (`job:{case}:` … `job:{case};`), an index range scan.
    pub async fn stage_jobs_of_case(&self, case_id: i64) -> Result<Vec<StageJobRow>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(sql(
                "select j.key, j.case_id, j.work, j.status, c.number, c.service \
                 from jobs j join cases c on c.id = j.case_id \
                 where j.key >= ? and j.key < ? and j.kind = 'stage'",
            ))
            .bind(format!("job:{case_id}:"))
            .bind(format!("job:{case_id};"))
            .fetch_all(p)
            .await?;
            rows.iter().map(|r| stage_job_row!(r)).collect()
        })
    }

    /// The stage-report jobs whose stage was entered from the second of `from` up to the
    /// second of `to` (whole seconds, as the stored text orders; the caller cuts exactly).
    pub async fn stage_jobs_between_seconds(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StageJobRow>, Error> {
        let second = |at: DateTime<Utc>| {
            at.to_rfc3339_opts(SecondsFormat::Secs, true)
                .trim_end_matches('Z')
                .to_string()
        };
        on!(self.pool, |p| {
            let rows = sqlx::query(pick(
                "select j.key, j.case_id, j.work, j.status, c.number, c.service \
                 from jobs j join cases c on c.id = j.case_id \
                 where j.kind = 'stage' \
                 and json_extract(j.work, '$.at') >= ? and json_extract(j.work, '$.at') < ?",
                "select j.key, j.case_id, j.work, j.status, c.number, c.service \
                 from jobs j join cases c on c.id = j.case_id \
                 where j.kind = 'stage' and j.work ->> 'at' >= ? and j.work ->> 'at' < ?",
            ))
            .bind(second(from))
            .bind(second(to))
            .fetch_all(p)
            .await?;
            rows.iter().map(|r| stage_job_row!(r)).collect()
        })
    }

    /// Cases by service and status, and jobs by kind and status, for `/metrics`.
    pub async fn metric_counts(&self) -> Result<MetricCounts, Error> {
        let triples = |rows: Vec<(Vec<String>, i64)>| {
            rows.into_iter()
                .map(|(mut k, n)| {
                    let b = k.pop().unwrap_or_default();
                    let a = k.pop().unwrap_or_default();
                    (a, b, n)
                })
                .collect()
        };
        Ok(MetricCounts {
            cases: triples(
                self.grouped(
                    "select service, status, count(*) from cases group by service, status",
                )
                .await?,
            ),
            jobs: triples(
                self.grouped("select kind, status, count(*) from jobs group by kind, status")
                    .await?,
            ),
        })
    }

    /// The rows of a `select <text columns…>, count(*) … group by …` of the store's own:
    /// each row's keys and its count.
    pub(crate) async fn grouped(
        &self,
        statement: &'static str,
    ) -> Result<Vec<(Vec<String>, i64)>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(sql(statement)).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    let n = r.len() - 1;
                    let keys = (0..n)
                        .map(|i| r.try_get::<String, _>(i))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((keys, r.try_get::<i64, _>(n)?))
                })
                .collect()
        })
    }

    /// The one number a `select count(*) …` of the store's own answers.
    pub(crate) async fn count(&self, statement: &'static str) -> Result<i64, Error> {
        on!(self.pool, |p| {
            Ok(sqlx::query(sql(statement))
                .fetch_one(p)
                .await?
                .try_get::<i64, _>(0)?)
        })
    }
}

/// Wake-ups from other engine processes: on a shared PostgreSQL, a process that commits
/// work for the job loops (a job queued due now, jobs handed back: [`Conn::has_made_work`])
/// says so (`NOTIFY qyzmet_work` naming itself, sent at its commit), and every other process
/// listening wakes its idle job loop at once rather than at its next poll. An SQLite file has
/// one process, which wakes itself; there [`Wakeups::next`] never returns.
pub struct Wakeups {
    listener: Option<sqlx::postgres::PgListener>,
    /// This process's name ([`Store::process`]): its own notices are skipped, its job loop
    /// being woken in-process.
    process: Arc<str>,
}

/// The channel of the wake-ups.
const WORK_CHANNEL: &str = "qyzmet_work";

impl Wakeups {
    /// Waits for the next wake-up. A lost connection is reopened by the listener; the loop
    /// polls meanwhile, so nothing waits on it.
    pub async fn next(&mut self) {
        let Some(listener) = &mut self.listener else {
            return std::future::pending().await;
        };
        loop {
            match listener.recv().await {
                Ok(notice) if notice.payload() == &*self.process => continue,
                Ok(_) => return,
                Err(_) => {
                    // Reconnecting: a poll's worth of quiet, not a busy loop.
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    return;
                }
            }
        }
    }
}

impl Store {
    /// This process's wake-ups (see [`Wakeups`]).
    pub async fn wakeups(&self) -> Result<Wakeups, Error> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(Wakeups {
                listener: None,
                process: self.process.clone(),
            }),
            Pool::Postgres(p) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(p).await?;
                listener.listen(WORK_CHANNEL).await?;
                Ok(Wakeups {
                    listener: Some(listener),
                    process: self.process.clone(),
                })
            }
        }
    }
}

/// A process name for leases: host, process id, and a random part.
fn process_name() -> Arc<str> {
    use rand::Rng;
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let tag: u32 = rand::rng().random();
    format!("{host}:{}:{tag:08x}", std::process::id()).into()
}

/// [`lock`], tried again for a moment when it is held: an owner that has just closed the
/// file may still hold the lock for a few milliseconds more. The lock is the open file's
/// (`flock`), and a child process another thread of the owner was starting at that moment
/// holds a copy of it until the child has started its program. A process that really owns
/// the file still holds it after 0.63 s, and is then refused as in use.
async fn lock_soon(database: &Path) -> Result<std::fs::File, Error> {
    let mut pause = std::time::Duration::from_millis(10);
    for _ in 0..6 {
        match lock(database) {
            Err(Error::InUse(_)) => tokio::time::sleep(pause).await,
            done => return done,
        }
        pause *= 2;
    }
    lock(database)
}

/// Takes the exclusive lock that makes this process the database's owner.
fn lock(database: &Path) -> Result<std::fs::File, Error> {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Lock {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse(database.to_path_buf())),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Lock { path, source }),
    }
}

/// Statements inside the writer's transaction.
pub mod tx {
    use super::*;

    /// A look that finds nothing while writes are held may be looking for what is held: it
    /// writes what is held and looks again. `$look` is the look, a `Result` of an `Option`.
    macro_rules! look_held {
        ($conn:ident, $look:expr) => {{
            let mut again = false;
            loop {
                let found = $look?;
                if found.is_none() && !again && $conn.held().is_some_and(|h| !h.is_empty()) {
                    $conn.write_held().await?;
                    again = true;
                    continue;
                }
                break found;
            }
        }};
    }

    /// Loads a case to change it. On a shared database the case's row stays locked until
    /// the transaction ends: another process's change of the same case waits, then reads
    /// what this one wrote.
    pub async fn case(conn: &mut Conn, id: i64) -> Result<Option<CaseState>, Error> {
        if let Some(state) = conn.held().and_then(|h| h.case(id)) {
            return Ok(Some(state.clone()));
        }
        on!(conn, |c| {
            let row = sqlx::query(pick(
                "select state from cases where id = ?",
                "select state from cases where id = ? for update",
            ))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
            row.map(|r| read_json(&r, 0, "case state")).transpose()
        })
    }

    /// A case by number, to change it (locked as [`case`] locks it).
    pub async fn case_by_number(conn: &mut Conn, number: &str) -> Result<Option<CaseState>, Error> {
        let found = look_held!(conn, {
            on!(conn, |c| {
                let row = sqlx::query(pick(
                    "select state from cases where number = ?",
                    "select state from cases where number = ? for update",
                ))
                .bind(number)
                .fetch_optional(&mut *c)
                .await?;
                row.map(|r| read_json::<CaseState>(&r, 0, "case state"))
                    .transpose()
            })
        });
        Ok(found.map(|state| as_held(conn, state)))
    }

    /// Reads the tasks and jobs the held commands to come name (`held::Ahead`), with their
    /// cases, one statement for the tasks and one for the jobs rather than one each: the
    /// first look of a batch's commands reads for all of them. On a shared database each
    /// statement locks its cases in id order, which leaves two processes' batches fewer ways
    /// to lock the same cases in opposite orders.
    async fn read_ahead(conn: &mut Conn) -> Result<(), Error> {
        let Some(ahead) = conn.held().and_then(|h| h.take_ahead()) else {
            return Ok(());
        };
        let mut tasks = Vec::new();
        let mut jobs = Vec::new();
        let mut states: std::collections::HashMap<i64, CaseState> = Default::default();
        for (keys, is_task) in [(&ahead.tasks, true), (&ahead.jobs, false)] {
            for chunk in keys.chunks(ROWS_PER_STATEMENT) {
                on!(conn, |c| {
                    let mut q = sqlx::QueryBuilder::<Db>::new(if is_task {
                        "select t.key, c.id, t.status, t.assignee, c.state from tasks t join cases c on c.id = t.case_id where t.key in ("
                    } else {
                        "select j.key, c.id, j.status, j.attempts, c.state from jobs j join cases c on c.id = j.case_id where j.key in ("
                    });
                    let mut list = q.separated(", ");
                    for key in chunk {
                        list.push_bind(key.clone());
                    }
                    q.push(if POSTGRES {
                        ") order by c.id for update of c"
                    } else {
                        ")"
                    });
                    for r in q.build().persistent(false).fetch_all(&mut *c).await? {
                        let key: String = r.try_get(0)?;
                        let case: i64 = r.try_get(1)?;
                        if is_task {
                            tasks.push((
                                key,
                                case,
                                TaskStatus::parse(r.try_get(2)?)?,
                                r.try_get(3)?,
                            ));
                        } else {
                            jobs.push((
                                key,
                                case,
                                JobStatus::parse(r.try_get(2)?)?,
                                r.try_get::<i64, _>(3)? as u32,
                            ));
                        }
                        if let std::collections::hash_map::Entry::Vacant(e) = states.entry(case) {
                            e.insert(read_json(&r, 4, "case state")?);
                        }
                    }
                    Ok::<(), Error>(())
                })?;
            }
        }
        if let Some(held) = conn.held() {
            held.keep_ahead(tasks, jobs, states.into_values().collect());
        }
        Ok(())
    }

    /// A case read from the database, as the writes held in this batch left it.
    fn as_held(conn: &mut Conn, state: CaseState) -> CaseState {
        match conn.held().and_then(|h| h.case(state.id)) {
            Some(held) => held.clone(),
            None => state,
        }
    }

    /// Reads and locks the cases of `ids` in one statement, in id order (so two processes
    /// lock them in the same order), for the [`case`] reads that follow while writes are
    /// held; a case held already is not read again.
    pub async fn read_cases(conn: &mut Conn, ids: &[i64]) -> Result<(), Error> {
        let Some(held) = conn.held() else {
            return Ok(());
        };
        let mut ids: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| held.case(*id).is_none())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(());
        }
        let mut states = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            on!(conn, |c| {
                let mut q = sqlx::QueryBuilder::<Db>::new("select state from cases where id in (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(if POSTGRES {
                    ") order by id for update"
                } else {
                    ")"
                });
                for r in q.build().persistent(false).fetch_all(&mut *c).await? {
                    states.push(read_json::<CaseState>(&r, 0, "case state")?);
                }
                Ok::<(), Error>(())
            })?;
        }
        if let Some(held) = conn.held() {
            held.keep_read(states);
        }
        Ok(())
    }

    /// The case a task belongs to, to change it (locked as [`case`] locks it), with the
    /// task's status and assignee. One statement, not the task's row and then the case's:
    /// each is a round trip of the writer every case waits for.
    pub async fn task_case(
        conn: &mut Conn,
        key: &str,
    ) -> Result<Option<(CaseState, TaskStatus, Option<String>)>, Error> {
        read_ahead(conn).await?;
        if let Some(found) = conn.held().and_then(|h| h.task(key)) {
            return Ok(Some(found));
        }
        let found = look_held!(conn, {
            on!(conn, |c| {
                let row = sqlx::query(pick(
                    "select c.state, t.status, t.assignee from tasks t join cases c on c.id = t.case_id where t.key = ?",
                    "select c.state, t.status, t.assignee from tasks t join cases c on c.id = t.case_id where t.key = ? for update of c",
                ))
                .bind(key)
                .fetch_optional(&mut *c)
                .await?;
                row.map(|r| {
                    Ok::<_, Error>((
                        read_json::<CaseState>(&r, 0, "case state")?,
                        TaskStatus::parse(r.try_get(1)?)?,
                        r.try_get::<Option<String>, _>(2)?,
                    ))
                })
                .transpose()
            })
        });
        Ok(found.map(|(state, status, assignee)| {
            let status = match conn.held() {
                Some(h) if h.closed(key) => TaskStatus::Closed,
                _ => status,
            };
            (as_held(conn, state), status, assignee)
        }))
    }

    /// The case a job belongs to, to change it (locked as [`case`] locks it), with the
    /// job's status and the attempts made; one statement, as [`task_case`].
    pub async fn job_case(
        conn: &mut Conn,
        key: &str,
    ) -> Result<Option<(CaseState, JobStatus, u32)>, Error> {
        read_ahead(conn).await?;
        if let Some(found) = conn.held().and_then(|h| h.job(key)) {
            return Ok(Some(found));
        }
        let found = look_held!(conn, {
            on!(conn, |c| {
                let row = sqlx::query(pick(
                    "select c.state, j.status, j.attempts from jobs j join cases c on c.id = j.case_id where j.key = ?",
                    "select c.state, j.status, j.attempts from jobs j join cases c on c.id = j.case_id where j.key = ? for update of c",
                ))
                .bind(key)
                .fetch_optional(&mut *c)
                .await?;
                row.map(|r| {
                    Ok::<_, Error>((
                        read_json::<CaseState>(&r, 0, "case state")?,
                        JobStatus::parse(r.try_get(1)?)?,
                        r.try_get::<i64, _>(2)? as u32,
                    ))
                })
                .transpose()
            })
        });
        Ok(found.map(|(state, status, attempts)| {
            let status = conn.held().and_then(|h| h.finished(key)).unwrap_or(status);
            (as_held(conn, state), status, attempts)
        }))
    }

    /// The next case id (the registration number is made from it): one more than the
    /// highest in a file only this process writes; from the sequence on a shared database,
    /// where two processes must never take the same. An archived case's id counts: its
    /// number is not issued again.
    pub async fn next_case_id(conn: &mut Conn) -> Result<i64, Error> {
        // After a case opened in this batch and held, the next: nobody else writes the file.
        if conn.kind() == Backend::Sqlite
            && let Some(last) = conn.held().and_then(|h| h.last_opened())
        {
            return Ok(last + 1);
        }
        // On PostgreSQL, the ids of every case the batch's commands to come open, from the
        // sequence in one statement.
        if conn.kind() == Backend::Postgres
            && let Some(held) = conn.held()
        {
            if let Some(id) = held.next_id() {
                return Ok(id);
            }
            let opening = held.take_opening();
            if opening > 1 {
                let ids: Vec<i64> = on!(conn, |c| {
                    let rows = sqlx::query(
                        "select nextval(pg_get_serial_sequence('cases', 'id')) from generate_series(1, $1)",
                    )
                    .bind(opening as i64)
                    .fetch_all(&mut *c)
                    .await?;
                    rows.iter()
                        .map(|r| r.try_get::<i64, _>(0))
                        .collect::<Result<Vec<_>, _>>()?
                });
                if let Some(held) = conn.held() {
                    held.keep_ids(ids);
                    if let Some(id) = held.next_id() {
                        return Ok(id);
                    }
                }
            }
        }
        on!(conn, |c| {
            let row = sqlx::query(pick(
                "select max(coalesce((select max(id) from cases), 0), \
                 coalesce((select max(case_id) from archived_cases), 0)) + 1",
                "select nextval(pg_get_serial_sequence('cases', 'id'))",
            ))
            .fetch_one(&mut *c)
            .await?;
            Ok(row.try_get::<i64, _>(0)?)
        })
    }

    /// Writes a transition: the case state, its history, and every effect's rows.
    /// `previous` is the state the transition was made from (as read in this transaction),
    /// `None` for a new case.
    pub async fn write(
        conn: &mut Conn,
        t: &Transition,
        previous: Option<&CaseState>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if let Some(held) = conn.held() {
            if held::Held::can_hold(t) {
                if held.clashes(t) {
                    conn.write_held().await?;
                }
                if let Some(held) = conn.held() {
                    held.transition(t, previous, now);
                }
                return Ok(());
            }
            // Written at once, after what is held (see `held`); a state read before is
            // no longer the case's.
            conn.write_held().await?;
            if let Some(held) = conn.held() {
                held.forget(t.state.id);
            }
        }
        if t.queues_jobs() {
            conn.made_work();
        }
        let previous_seq = previous.map(|p| p.seq);
        let s = &t.state;
        let status = status_name(s.status);
        on!(conn, |c| {
            let now_b = || bind_ts(now);
            match previous_seq {
                None => {
                    sqlx::query(sql(
                        "insert into cases (id, number, service, version, status, result, region, state, seq, created_at, updated_at, closed_at) \
                         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ))
                    .bind(s.id)
                    .bind(&s.number)
                    .bind(&s.service)
                    .bind(&s.version)
                    .bind(status)
                    .bind(&s.result)
                    .bind(&s.region)
                    .bind(bind_json(s))
                    .bind(s.seq as i64)
                    .bind(now_b())
                    .bind(now_b())
                    .bind(bind_ts_opt(closed_at(s, now)))
                    .execute(&mut *c)
                    .await?;
                }
                Some(prev) => {
                    let done = sqlx::query(sql("update cases set status = ?, result = ?, state = ?, seq = ?, updated_at = ?, closed_at = ? where id = ? and seq = ?"))
                        .bind(status)
                        .bind(&s.result)
                        .bind(bind_json(s))
                        .bind(s.seq as i64)
                        .bind(now_b())
                        .bind(bind_ts_opt(closed_at(s, now)))
                        .bind(s.id)
                        .bind(prev as i64)
                        .execute(&mut *c)
                        .await?;
                    if done.rows_affected() != 1 {
                        return Err(Error::Conflict(s.id));
                    }
                }
            }
            // A transition's history lines go in one statement (a dozen lines is common):
            // each statement is a round trip, and the writer is the one task every
            // transition waits for.
            let lines: Vec<_> = t
                .history
                .iter()
                .enumerate()
                .map(|(n, h)| (s, n, h, now))
                .collect();
            held::InsertHistory::insert_history(c, &lines).await?;
            for effect in &t.effects {
                match effect {
                    Effect::CreateTask {
                        key,
                        step,
                        role,
                        due_at,
                        evidence,
                    } => {
                        sqlx::query(sql("insert into tasks (key, case_id, number, step, role, region, status, due_at, evidence, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)"))
                            .bind(key)
                            .bind(s.id)
                            .bind(&s.number)
                            .bind(step)
                            .bind(role)
                            .bind(&s.region)
                            .bind(bind_ts_opt(*due_at))
                            .bind(bind_json_opt(evidence.as_ref()))
                            .bind(now_b())
                            .bind(now_b())
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::CloseTask { key } => {
                        sqlx::query(sql(
                            "update tasks set status = 'closed', updated_at = ? where key = ?",
                        ))
                        .bind(now_b())
                        .bind(key)
                        .execute(&mut *c)
                        .await?;
                    }
                    Effect::ReassignTask { key, role } => {
                        sqlx::query(sql("update tasks set role = ?, status = 'open', assignee = null, updated_at = ? where key = ? and status != 'closed'"))
                            .bind(role)
                            .bind(now_b())
                            .bind(key)
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::SetTimer {
                        key,
                        due_at,
                        purpose,
                    } => {
                        sqlx::query(sql("insert into timers (key, case_id, due_at, purpose, created_at, updated_at) values (?, ?, ?, ?, ?, ?)"))
                            .bind(key)
                            .bind(s.id)
                            .bind(bind_ts(*due_at))
                            .bind(bind_json(purpose))
                            .bind(now_b())
                            .bind(now_b())
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::CancelTimer { key } => {
                        sqlx::query(sql("delete from timers where key = ?"))
                            .bind(key)
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::Job(job) => {
                        let kind = job_kind(&job.work);
                        sqlx::query(sql("insert into jobs (key, case_id, kind, work, status, next_at, created_at, updated_at) values (?, ?, ?, ?, 'pending', ?, ?, ?)"))
                            .bind(&job.key)
                            .bind(s.id)
                            .bind(kind)
                            .bind(bind_json(&job.work))
                            .bind(now_b())
                            .bind(now_b())
                            .bind(now_b())
                            .execute(&mut *c)
                            .await?;
                    }
                    // Written below, by their own modules.
                    Effect::AwaitSmsReply { .. } | Effect::StartWave { .. } => {}
                }
            }
            Ok::<(), Error>(())
        })?;
        // The SMS-reply waits by number, and the waves started, with the case.
        sms_replies::write_effects(conn, t, now).await?;
        waves::write_effects(conn, t, now).await?;
        // What finds the case (its people, status, result), with the case.
        let before = match previous {
            None => search::Before::Nothing,
            Some(p) => search::Before::Of(p),
        };
        search::index(conn, s, before, now).await
    }

    /// Claims a task for a clerk; `false` when it is not open.
    pub async fn claim(
        conn: &mut Conn,
        key: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        on!(conn, |c| {
            let done = sqlx::query(sql("update tasks set status = 'claimed', assignee = ?, updated_at = ? where key = ? and status = 'open'"))
                .bind(by)
                .bind(bind_ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Puts a claimed task back in the queue; `false` when `by` does not hold it.
    pub async fn unclaim(
        conn: &mut Conn,
        key: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        on!(conn, |c| {
            let done = sqlx::query(sql("update tasks set status = 'open', assignee = null, updated_at = ? where key = ? and status = 'claimed' and assignee = ?"))
                .bind(bind_ts(now))
                .bind(key)
                .bind(by)
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Due timers, oldest first, as they stand (for a look; the writer takes them with
    /// [`take_due_timers`]).
    pub async fn due_timers(
        conn: &mut Conn,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TimerRow>, Error> {
        on!(conn, |c| {
            let rows = sqlx::query(sql(
                "select key, case_id, due_at, purpose from timers where due_at <= ? order by due_at limit ?",
            ))
            .bind(bind_ts(now))
            .bind(limit as i64)
            .fetch_all(&mut *c)
            .await?;
            rows.iter().map(|r| timer_row!(r)).collect()
        })
    }

    /// Takes up to `limit` due timers to fire them in this transaction, oldest first: they
    /// are deleted by the look itself, one statement for the batch rather than one for each
    /// timer fired. A timer its case cannot take goes back with [`put_back_timer`]. On a
    /// shared database the timers another process is taking at this moment are passed over.
    /// PostgreSQL is given the keys as an array (`= any(array(…))`): with `in (…)` it plans
    /// the 500 keys as a hash join over the whole table, a scan of every waiting timer a look.
    pub async fn take_due_timers(
        conn: &mut Conn,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TimerRow>, Error> {
        let mut taken: Vec<TimerRow> = on!(conn, |c| {
            let rows = sqlx::query(pick(
                "delete from timers where key in \
                 (select key from timers where due_at <= ? order by due_at limit ?) \
                 returning key, case_id, due_at, purpose",
                "delete from timers where key = any(array \
                 (select key from timers where due_at <= ? order by due_at limit ? for update skip locked)) \
                 returning key, case_id, due_at, purpose",
            ))
            .bind(bind_ts(now))
            .bind(limit as i64)
            .fetch_all(&mut *c)
            .await?;
            rows.iter()
                .map(|r| timer_row!(r))
                .collect::<Result<_, Error>>()
        })?;
        // `returning` keeps no order.
        taken.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
        Ok(taken)
    }

    /// Puts back a timer taken by [`take_due_timers`] that its case could not take, due
    /// again at `due_at`.
    pub async fn put_back_timer(
        conn: &mut Conn,
        timer: &TimerRow,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        on!(conn, |c| {
            sqlx::query(sql(
                "insert into timers (key, case_id, due_at, purpose, created_at, updated_at) values (?1, ?2, ?3, ?4, ?5, ?5) \
                 on conflict (key) do update set due_at = excluded.due_at, updated_at = excluded.updated_at",
            ))
            .bind(&timer.key)
            .bind(timer.case_id)
            .bind(bind_ts(due_at))
            .bind(bind_json(&timer.purpose))
            .bind(bind_ts(now))
            .execute(&mut *c)
            .await?;
            Ok(())
        })
    }

    /// Leases up to `limit` ready jobs to process `by` until `lease_until`; each lease
    /// counts an attempt. A job leased by a process that stopped is ready again once its
    /// lease has expired; on a shared database the jobs another process is leasing at this
    /// moment are passed over, not waited for.
    pub async fn lease_jobs(
        conn: &mut Conn,
        by: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<JobRow>, Error> {
        on!(conn, |c| {
            let rows = sqlx::query(pick(
                "update jobs set lease_until = ?1, leased_by = ?4, attempts = attempts + 1, updated_at = ?2 \
                 where key in (select key from jobs where status = 'pending' and next_at <= ?2 \
                               and (lease_until is null or lease_until < ?2) order by next_at limit ?3) \
                 returning key, case_id, work, status, attempts, last_error",
                "update jobs set lease_until = ?1, leased_by = ?4, attempts = attempts + 1, updated_at = ?2 \
                 where key in (select key from jobs where status = 'pending' and next_at <= ?2 \
                               and (lease_until is null or lease_until < ?2) order by next_at limit ?3 \
                               for update skip locked) \
                 returning key, case_id, work, status, attempts, last_error",
            ))
            .bind(bind_ts(lease_until))
            .bind(bind_ts(now))
            .bind(limit as i64)
            .bind(by)
            .fetch_all(&mut *c)
            .await?;
            rows.iter().map(|r| job_row!(r)).collect()
        })
    }

    /// Marks a job done, with its output.
    pub async fn job_done(
        conn: &mut Conn,
        key: &str,
        output: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        job_finished(conn, key, JobStatus::Done, output, now).await
    }

    /// Marks a data request whose retries ran out as failed (its case took the failure
    /// path), with the last error.
    pub async fn job_failed(
        conn: &mut Conn,
        key: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        job_finished(
            conn,
            key,
            JobStatus::Failed,
            &serde_json::json!({ "failed": error }),
            now,
        )
        .await
    }

    /// Every change of a job's status below leaves a finished job (done, failed, an incident)
    /// as it is: a record that comes late (an acknowledgement after its answer, the outcome
    /// of a send after an earlier send's answer was applied) must not undo what happened.
    async fn job_finished(
        conn: &mut Conn,
        key: &str,
        status: JobStatus,
        output: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if let Some(held) = conn.held() {
            held.finish(key, status, output, now);
            return Ok(());
        }
        on!(conn, |c| {
            sqlx::query(sql("update jobs set status = ?, lease_until = null, leased_by = null, output = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')"))
                .bind(status.as_str())
                .bind(bind_json(output))
                .bind(bind_ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// Puts a job back to wait until `at` without counting the attempt it was leased for:
    /// waiting for the morning is not a failure.
    pub async fn job_defer(
        conn: &mut Conn,
        key: &str,
        at: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if at <= now {
            conn.made_work();
        }
        on!(conn, |c| {
            sqlx::query(sql("update jobs set lease_until = null, leased_by = null, attempts = case when attempts > 0 then attempts - 1 else 0 end, next_at = ?, last_error = ?, updated_at = ? where key = ? and status = 'pending'"))
                .bind(bind_ts(at))
                .bind(reason)
                .bind(bind_ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// Appends a line to a case's history outside a transition (a job's outcome), after the
    /// lines of the case's latest transition, so the history stays in the order things
    /// happened.
    pub async fn note(
        conn: &mut Conn,
        case_id: i64,
        actor: &crate::runtime::Actor,
        kind: &str,
        detail: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if let Some(held) = conn.held() {
            held.note(case_id, actor, kind, detail, now);
            return Ok(());
        }
        notes(conn, &[(case_id, actor, kind, detail, now)]).await
    }

    /// Appends history lines outside transitions, `(case, actor, kind, detail, time)` each,
    /// in order: each after the lines of its case's latest transition, a case's second
    /// after its first. One statement for them all ([`ROWS_PER_STATEMENT`] a statement),
    /// which reads the lines as they were before it, on both databases.
    pub(crate) async fn notes(
        conn: &mut Conn,
        notes: &[(i64, &crate::runtime::Actor, &str, &Value, DateTime<Utc>)],
    ) -> Result<(), Error> {
        // Each note's place among its case's notes here.
        let mut k: std::collections::HashMap<i64, i64> = Default::default();
        let notes: Vec<_> = notes
            .iter()
            .map(|&(case_id, actor, kind, detail, at)| {
                let next = k.entry(case_id).or_default();
                *next += 1;
                (case_id, *next - 1, actor, kind, detail, at)
            })
            .collect();
        on!(conn, |c| {
            for chunk in notes.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) \
                     select c.id, c.seq, \
                     coalesce((select max(n) + 1 from history h where h.case_id = c.id and h.seq = c.seq), 0) + v.column2, \
                     v.column3, v.column4, v.column5, null, v.column6, null, v.column3, v.column3 from (",
                );
                q.push_values(chunk, |mut row, (case_id, k, actor, kind, detail, at)| {
                    row.push_bind(*case_id)
                        .push_bind(*k)
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_json(*actor))
                        .push_bind(kind.to_string())
                        .push_bind(bind_json(*detail));
                });
                q.push(") as v join cases c on c.id = v.column1");
                q.build().persistent(false).execute(&mut *c).await?;
            }
            Ok(())
        })
    }

    /// Schedules another attempt: of a job whose attempt failed, or of a request whose
    /// answer did not come by its deadline.
    pub async fn job_retry(
        conn: &mut Conn,
        key: &str,
        next_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if next_at <= now {
            conn.made_work();
        }
        on!(conn, |c| {
            sqlx::query(sql("update jobs set status = 'pending', lease_until = null, leased_by = null, next_at = ?, last_error = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')"))
                .bind(bind_ts(next_at))
                .bind(error)
                .bind(bind_ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// A request the gateway acknowledged: it waits for its answer until `answer_by`, and
    /// is neither done nor due again before. `false` when the job is no longer pending: its
    /// answer came first (the far side can be quicker than this record), or a later record
    /// finished it.
    pub async fn job_await(
        conn: &mut Conn,
        key: &str,
        answer_by: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        on!(conn, |c| {
            let done = sqlx::query(sql("update jobs set status = 'awaiting_answer', acknowledged_at = ?1, next_at = ?2, lease_until = null, leased_by = null, updated_at = ?1 where key = ?3 and status = 'pending'"))
                .bind(bind_ts(now))
                .bind(bind_ts(answer_by))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Up to `limit` requests whose answer was due by `now` and did not come, the longest
    /// overdue first; on a shared database each locked until the transaction ends.
    pub async fn unanswered(
        conn: &mut Conn,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Unanswered>, Error> {
        on!(conn, |c| {
            let rows = sqlx::query(pick(
                "select key, case_id, work, status, attempts, last_error, acknowledged_at, next_at \
                 from jobs where status = 'awaiting_answer' and next_at <= ? order by next_at limit ?",
                "select key, case_id, work, status, attempts, last_error, acknowledged_at, next_at \
                 from jobs where status = 'awaiting_answer' and next_at <= ? order by next_at limit ? \
                 for update skip locked",
            ))
            .bind(bind_ts(now))
            .bind(limit as i64)
            .fetch_all(&mut *c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Unanswered {
                        job: job_row!(r)?,
                        acknowledged_at: read_ts(r, 6)?,
                        due_at: read_ts(r, 7)?,
                    })
                })
                .collect()
        })
    }

    /// Moves a job to the incidents, for an administrator.
    pub async fn job_incident(
        conn: &mut Conn,
        key: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        on!(conn, |c| {
            sqlx::query(sql("update jobs set status = 'incident', lease_until = null, leased_by = null, last_error = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')"))
                .bind(error)
                .bind(bind_ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// An administrator's retry of an incident: a fresh budget, due now.
    pub async fn retry_incident(
        conn: &mut Conn,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let retried = on!(conn, |c| {
            let done = sqlx::query(sql("update jobs set status = 'pending', attempts = 0, next_at = ?1, lease_until = null, leased_by = null, updated_at = ?1 where key = ?2 and status = 'incident'"))
                .bind(bind_ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            Ok::<_, Error>(done.rows_affected() == 1)
        })?;
        if retried {
            conn.made_work();
        }
        Ok(retried)
    }

    /// Releases the leases process `by` holds (a clean shutdown hands its leased work back
    /// at once, uncounted).
    pub async fn release_leases(conn: &mut Conn, by: &str) -> Result<u64, Error> {
        let released = on!(conn, |c| {
            let done = sqlx::query(sql("update jobs set lease_until = null, leased_by = null, attempts = case when attempts > 0 then attempts - 1 else 0 end where leased_by = ? and status = 'pending'"))
                .bind(by)
                .execute(&mut *c)
                .await?;
            Ok::<_, Error>(done.rows_affected())
        })?;
        if released > 0 {
            conn.made_work();
        }
        Ok(released)
    }

    /// Hands back every lease of a run that died: at start, only where this process owns
    /// the database ([`Store::owns_database`]: no live process holds one). The attempt stays
    /// counted: it may have been performed, and a job that kills the process must not be
    /// retried for ever.
    pub async fn recover_leases(conn: &mut Conn) -> Result<u64, Error> {
        let recovered = on!(conn, |c| {
            let done = sqlx::query(sql(
                "update jobs set lease_until = null, leased_by = null where lease_until is not null and status = 'pending'",
            ))
            .execute(&mut *c)
            .await?;
            Ok::<_, Error>(done.rows_affected())
        })?;
        if recovered > 0 {
            conn.made_work();
        }
        Ok(recovered)
    }

    /// Tells the other processes on a shared database that this transaction made work for
    /// their job loops ([`Conn::has_made_work`]): the notice goes at commit, and not at all
    /// if it rolls back ([`Wakeups`]). It names process `by`, whose own loop is woken
    /// in-process and skips it. Nothing on SQLite, nor for a transaction that made no work:
    /// a notice serialises the commits of every process, and wakes every job loop.
    pub async fn announce_work(conn: &mut Conn, by: &str) -> Result<(), Error> {
        if !conn.has_made_work() {
            return Ok(());
        }
        on!(conn, |c| {
            if POSTGRES {
                sqlx::query(sql("select pg_notify(?, ?)"))
                    .bind(WORK_CHANNEL)
                    .bind(by)
                    .execute(&mut *c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Records a definition version deployed; returns the stored hash if one was there.
    /// Processes starting together on a shared database record each version once.
    pub async fn deploy(
        conn: &mut Conn,
        service: &str,
        version: &str,
        hash: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, Error> {
        on!(conn, |c| {
            let done = sqlx::query(sql("insert into definitions (service, version, hash, source, created_at, updated_at) values (?1, ?2, ?3, ?4, ?5, ?5) on conflict (service, version) do nothing"))
                .bind(service)
                .bind(version)
                .bind(hash)
                .bind(source)
                .bind(bind_ts(now))
                .execute(&mut *c)
                .await?;
            if done.rows_affected() == 1 {
                return Ok(None);
            }
            let row = sqlx::query(sql(
                "select hash from definitions where service = ? and version = ?",
            ))
            .bind(service)
            .bind(version)
            .fetch_one(&mut *c)
            .await?;
            Ok(Some(row.try_get(0)?))
        })
    }
}
