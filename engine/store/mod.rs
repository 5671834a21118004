//! Persistence: every SQL statement of the engine, and nothing else.
//!
//! The embedded default is one SQLite file under the data directory, in WAL mode with
//! `synchronous=FULL`: a transition reported as committed survives a power cut. Reads go
//! through a small pool; **all writes go through one connection, owned by the worker's
//! writer** (see `worker::writer`), which is how SQLite wants to be written and how several
//! transitions share one commit (group commit).
//!
//! The file belongs to one process at a time: [`Store::open`] takes an exclusive lock on
//! `<database>.lock` and holds it while the store lives (the operating system drops it when
//! the process dies, however it dies). So whatever the database says is leased at start-up
//! was leased by a run that is gone.
//!
//! **Architecture Invariant:** the store knows rows, not rules. It never decides what a
//! case does next; it writes what the runtime core returned, in one transaction.

pub mod accounts;
pub mod audit;
pub mod idempotency;
pub mod schedule;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};

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
/// written: the condition passes (the lock is released, space is freed) and the same command
/// then succeeds. The writer answers such a refusal [`crate::worker::Error::Unavailable`]
/// (the API's 503 `unavailable`), never as a failure of ours (500).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Another program held the database's write lock past the lock wait (`SQLITE_BUSY`,
    /// `SQLITE_LOCKED`): a backup tool, the `sqlite3` shell, a migration run by hand.
    Locked,
    /// The database file could not grow (`SQLITE_FULL`): the disk is full.
    Full,
}

impl Unavailable {
    /// The label of the metric that counts them (`locked`, `full`).
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::Locked => "locked",
            Unavailable::Full => "full",
        }
    }
}

impl Error {
    /// Whether this is the database refusing for a while ([`Unavailable`]) rather than a
    /// statement that is wrong; by SQLite's primary result code.
    pub fn unavailable(&self) -> Option<Unavailable> {
        let Error::Database(sqlx::Error::Database(e)) = self else {
            return None;
        };
        let code: i32 = e.code()?.parse().ok()?;
        // SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_FULL (13); extended codes keep the
        // primary one in their low byte (SQLITE_BUSY_SNAPSHOT is 517).
        match code & 0xff {
            5 | 6 => Some(Unavailable::Locked),
            13 => Some(Unavailable::Full),
            _ => None,
        }
    }
}

/// Timestamps are stored as fixed-width UTC text, so text order is time order.
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

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("engine values serialise")
}

fn parse<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt {
        what,
        message: e.to_string(),
    })
}

/// The database: a pool for reads, and the writer's connection options.
#[derive(Clone)]
pub struct Store {
    /// Readers (and, during start-up, the migrator).
    pub pool: SqlitePool,
    options: SqliteConnectOptions,
    /// The locked `<database>.lock`, held while any clone of the store lives: the sign
    /// that this process owns the database.
    _owner: Arc<std::fs::File>,
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
    /// `open` or `claimed`.
    pub status: String,
    /// Who claimed it.
    pub assignee: Option<String>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A task's status as a queue filters by it (closed tasks are in no queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Waiting in the queue.
    Open,
    /// Taken by a clerk.
    Claimed,
}

impl TaskStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Claimed => "claimed",
        }
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

impl Store {
    /// How long a statement waits for a lock another program holds on the database before
    /// it fails ([`Unavailable::Locked`]), unless the installation says otherwise.
    pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

    /// Opens (creating if needed) the database file and applies the migrations; fails
    /// with [`Error::InUse`] while another process has it open.
    pub async fn open(path: &Path) -> Result<Store, Error> {
        Self::open_with(path, Self::LOCK_WAIT).await
    }

    /// [`Store::open`], with statements waiting at most `lock_wait` for a lock another
    /// program holds on the database (SQLite's busy timeout).
    pub async fn open_with(path: &Path, lock_wait: std::time::Duration) -> Result<Store, Error> {
        let owner = Arc::new(lock(path)?);
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
        Self::with_options(options, 4, owner).await
    }

    async fn with_options(
        options: SqliteConnectOptions,
        readers: u32,
        owner: Arc<std::fs::File>,
    ) -> Result<Store, Error> {
        let pool = SqlitePoolOptions::new()
            .max_connections(readers)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store {
            pool,
            options,
            _owner: owner,
        })
    }

    /// The writer's own connection: the only one that writes.
    pub async fn writer(&self) -> Result<SqliteConnection, Error> {
        use sqlx::ConnectOptions;
        Ok(self.options.connect().await?)
    }

    /// What [`Store::writer`] connects with, for the writer to open a fresh connection when
    /// SQLite has ended a transaction by itself. The options, not a store: the lock on
    /// `<database>.lock` goes with the last store, and must not wait for the writer's task.
    pub fn writer_options(&self) -> SqliteConnectOptions {
        self.options.clone()
    }

    /// A case by its registration number.
    pub async fn case_by_number(&self, number: &str) -> Result<Option<CaseState>, Error> {
        let row = sqlx::query("select state from cases where number = ?")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse("case state", r.get::<&str, _>(0)))
            .transpose()
    }

    /// A case's history, oldest first.
    pub async fn history(&self, case_id: i64) -> Result<Vec<HistoryEntry>, Error> {
        let rows = sqlx::query("select at, actor, kind, step, detail, evidence from history where case_id = ? order by seq, n")
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEntry {
                    at: parse_ts(r.get(0))?,
                    actor: parse("actor", r.get(1))?,
                    kind: r.get(2),
                    step: r.get(3),
                    detail: parse("history detail", r.get(4))?,
                    evidence: r
                        .get::<Option<&str>, _>(5)
                        .map(|e| parse("evidence", e))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// A case's outbox jobs in the order they were created: what was sent, asked and
    /// reported for it, and what still waits.
    pub async fn jobs_of_case(&self, case_id: i64) -> Result<Vec<JobRow>, Error> {
        let rows = sqlx::query(
            "select key, case_id, work, status, attempts, last_error from jobs where case_id = ? order by created_at, rowid",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_row).collect()
    }

    /// The registration number and the region of the case job `key` belongs to: what an
    /// integration endpoint checks before a system's report or answer reaches the case.
    pub async fn case_of_job(&self, key: &str) -> Result<Option<(String, String)>, Error> {
        let row = sqlx::query(
            "select c.number, c.region from jobs j join cases c on c.id = j.case_id where j.key = ?",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// One outbox job, whatever its status.
    pub async fn job(&self, key: &str) -> Result<Option<JobRow>, Error> {
        let row = sqlx::query(
            "select key, case_id, work, status, attempts, last_error from jobs where key = ?",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_row).transpose()
    }

    /// The notification job whose SMS the provider knows by `provider_id` (a delivery
    /// report names only its own id): the job's key and case.
    pub async fn job_by_sms_id(&self, provider_id: &str) -> Result<Option<(String, i64)>, Error> {
        let row = sqlx::query(
            "select key, case_id from jobs where kind = 'notify' and status = 'done' \
             and json_extract(output, '$.channels.sms.provider_id') = ?",
        )
        .bind(provider_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
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
    pub async fn task_page(&self, query: &TaskQuery) -> Result<(Vec<TaskRow>, u64), Error> {
        if query.roles.as_ref().is_some_and(Vec::is_empty) {
            return Ok((Vec::new(), 0));
        }
        let (filter, binds) = task_filter(query);
        let direction = if query.descending { "desc" } else { "asc" };
        // Tasks without a due time come last in either direction; the key breaks ties, so
        // that pages neither overlap nor skip.
        let order = match query.sort {
            TaskSort::Due => format!(
                "due_at is null, due_at {direction}, created_at {direction}, key {direction}"
            ),
            TaskSort::Created => format!("created_at {direction}, key {direction}"),
        };
        // The total rides on every row (a window over the filtered rows), so one statement
        // answers both; only a page past the end, which has no row to carry it, asks again.
        let sql = format!(
            "select key, number, step, role, region, status, assignee, due_at, created_at, \
             count(*) over () from tasks where {filter} order by {order} limit ? offset ?"
        );
        let mut page = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in &binds {
            page = page.bind(value.as_str());
        }
        let rows = page
            .bind(i64::from(query.limit))
            .bind(i64::from(query.offset))
            .fetch_all(&self.pool)
            .await?;
        let total = match rows.first() {
            Some(r) => r.get::<i64, _>(9) as u64,
            None if query.offset == 0 && query.limit > 0 => 0,
            None => {
                let sql = format!("select count(*) from tasks where {filter}");
                let mut count = sqlx::query(sqlx::AssertSqlSafe(sql));
                for value in &binds {
                    count = count.bind(value.as_str());
                }
                count.fetch_one(&self.pool).await?.get::<i64, _>(0) as u64
            }
        };
        let tasks = rows.iter().map(task_row).collect::<Result<_, _>>()?;
        Ok((tasks, total))
    }

    /// One task, whatever its status.
    pub async fn task(&self, key: &str) -> Result<Option<TaskRow>, Error> {
        let row = sqlx::query("select key, number, step, role, region, status, assignee, due_at, created_at from tasks where key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(task_row).transpose()
    }

    /// Jobs that exhausted their retries and wait for an administrator.
    pub async fn incidents(&self) -> Result<Vec<JobRow>, Error> {
        let rows = sqlx::query("select key, case_id, work, status, attempts, last_error from jobs where status = 'incident' order by updated_at")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_row).collect()
    }

    /// The definition versions deployed (every version a start loaded, and those deployed
    /// through the API for the next start), of one service or all, by service and version.
    pub async fn definitions(&self, service: Option<&str>) -> Result<Vec<DefinitionRow>, Error> {
        let rows = match service {
            Some(service) => sqlx::query(
                "select service, version, hash, source, created_at from definitions where service = ? order by service, version",
            )
            .bind(service)
            .fetch_all(&self.pool)
            .await?,
            None => sqlx::query(
                "select service, version, hash, source, created_at from definitions order by service, version",
            )
            .fetch_all(&self.pool)
            .await?,
        };
        rows.iter()
            .map(|r| {
                Ok(DefinitionRow {
                    service: r.get(0),
                    version: r.get(1),
                    hash: r.get(2),
                    source: r.get(3),
                    deployed_at: parse_ts(r.get(4))?,
                })
            })
            .collect()
    }

    /// Counts for the health page and the tests: cases by status, jobs by status.
    pub async fn counts(&self) -> Result<Value, Error> {
        let cases = sqlx::query("select status, count(*) from cases group by status")
            .fetch_all(&self.pool)
            .await?;
        let jobs = sqlx::query("select status, count(*) from jobs group by status")
            .fetch_all(&self.pool)
            .await?;
        let timers: i64 = sqlx::query("select count(*) from timers")
            .fetch_one(&self.pool)
            .await?
            .get(0);
        let to_map = |rows: &[sqlx::sqlite::SqliteRow]| {
            rows.iter()
                .map(|r| (r.get::<String, _>(0), Value::from(r.get::<i64, _>(1))))
                .collect::<serde_json::Map<_, _>>()
        };
        Ok(serde_json::json!({ "cases": to_map(&cases), "jobs": to_map(&jobs), "timers": timers }))
    }
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

fn task_row(r: &sqlx::sqlite::SqliteRow) -> Result<TaskRow, Error> {
    Ok(TaskRow {
        key: r.get(0),
        number: r.get(1),
        step: r.get(2),
        role: r.get(3),
        region: r.get(4),
        status: r.get(5),
        assignee: r.get(6),
        due_at: r.get::<Option<&str>, _>(7).map(parse_ts).transpose()?,
        created_at: parse_ts(r.get(8))?,
    })
}

/// The `where` clause of a task query and its bound values, in order. It names only the
/// filters given, so each can use its index: a queue by `tasks_queue` (status, role, region,
/// due_at), a case's tasks by `tasks_by_case`. (`?1 is null or role = ?1` would read the whole
/// table, closed tasks and all, on every look at a queue.)
fn task_filter(query: &TaskQuery) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    match query.status {
        Some(status) => {
            sql.push_str("status = ?");
            binds.push(status.as_str().to_string());
        }
        None => sql.push_str("status in ('open', 'claimed')"),
    }
    if let Some(roles) = &query.roles {
        let marks = vec!["?"; roles.len()].join(", ");
        sql.push_str(&format!(" and role in ({marks})"));
        binds.extend(roles.iter().cloned());
    }
    if let Some(region) = &query.region {
        sql.push_str(" and region = ?");
        binds.push(region.clone());
    }
    if let Some(case) = &query.case {
        sql.push_str(" and case_id = (select id from cases where number = ?)");
        binds.push(case.clone());
    }
    if let Some(assignee) = &query.assignee {
        sql.push_str(" and assignee = ?");
        binds.push(assignee.clone());
    }
    match query.due {
        Due::Any => {}
        Due::Before(t) => {
            sql.push_str(" and due_at < ?");
            binds.push(ts(t));
        }
        Due::NotBefore(t) => {
            sql.push_str(" and (due_at is null or due_at >= ?)");
            binds.push(ts(t));
        }
        Due::Window { from, to } => {
            if let Some(from) = from {
                sql.push_str(" and due_at >= ?");
                binds.push(ts(from));
            }
            sql.push_str(" and due_at <= ?");
            binds.push(ts(to));
        }
    }
    (sql, binds)
}

fn job_row(r: &sqlx::sqlite::SqliteRow) -> Result<JobRow, Error> {
    Ok(JobRow {
        key: r.get(0),
        case_id: r.get(1),
        work: parse("job", r.get(2))?,
        status: JobStatus::parse(r.get(3))?,
        attempts: r.get::<i64, _>(4) as u32,
        last_error: r.get(5),
    })
}

/// History lines per insert statement: 11 values each, well under SQLite's limit of
/// 32,766 bound values.
const HISTORY_ROWS_PER_STATEMENT: usize = 500;

/// Statements inside the writer's transaction.
pub mod tx {
    use super::*;

    /// Loads a case for update.
    pub async fn case(conn: &mut SqliteConnection, id: i64) -> Result<Option<CaseState>, Error> {
        let row = sqlx::query("select state from cases where id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| parse("case state", r.get::<&str, _>(0)))
            .transpose()
    }

    /// The id of a case by number.
    pub async fn case_id(conn: &mut SqliteConnection, number: &str) -> Result<Option<i64>, Error> {
        let row = sqlx::query("select id from cases where number = ?")
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The case a task belongs to.
    pub async fn task_case(
        conn: &mut SqliteConnection,
        key: &str,
    ) -> Result<Option<(i64, String, Option<String>)>, Error> {
        let row = sqlx::query("select case_id, status, assignee from tasks where key = ?")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    /// The case a job belongs to, the job's status and the attempts made.
    pub async fn job_case(
        conn: &mut SqliteConnection,
        key: &str,
    ) -> Result<Option<(i64, JobStatus, u32)>, Error> {
        let row = sqlx::query("select case_id, status, attempts from jobs where key = ?")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| {
            Ok((
                r.get(0),
                JobStatus::parse(r.get(1))?,
                r.get::<i64, _>(2) as u32,
            ))
        })
        .transpose()
    }

    /// The next case id (the registration number is made from it).
    pub async fn next_case_id(conn: &mut SqliteConnection) -> Result<i64, Error> {
        let row = sqlx::query("select coalesce(max(id), 0) + 1 from cases")
            .fetch_one(&mut *conn)
            .await?;
        Ok(row.get(0))
    }

    /// Writes a transition: the case state, its history, and every effect's rows.
    /// `previous_seq` is `None` for a new case.
    pub async fn write(
        conn: &mut SqliteConnection,
        t: &Transition,
        previous_seq: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let s = &t.state;
        let status = match s.status {
            crate::runtime::Status::Active => "active",
            crate::runtime::Status::Completed => "completed",
            crate::runtime::Status::Withdrawn => "withdrawn",
        };
        let now_s = ts(now);
        match previous_seq {
            None => {
                sqlx::query(
                    "insert into cases (id, number, service, version, status, result, region, state, seq, created_at, updated_at) \
                     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(s.id)
                .bind(&s.number)
                .bind(&s.service)
                .bind(&s.version)
                .bind(status)
                .bind(&s.result)
                .bind(&s.region)
                .bind(json(s))
                .bind(s.seq as i64)
                .bind(&now_s)
                .bind(&now_s)
                .execute(&mut *conn)
                .await?;
            }
            Some(prev) => {
                let done = sqlx::query("update cases set status = ?, result = ?, state = ?, seq = ?, updated_at = ? where id = ? and seq = ?")
                    .bind(status)
                    .bind(&s.result)
                    .bind(json(s))
                    .bind(s.seq as i64)
                    .bind(&now_s)
                    .bind(s.id)
                    .bind(prev as i64)
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(Error::Conflict(s.id));
                }
            }
        }
        // A transition's history lines go in one statement (a dozen lines is common): each
        // statement is a round trip to the connection's thread, and the writer is the one
        // thread every transition waits for.
        let lines: Vec<(usize, &HistoryEntry)> = t.history.iter().enumerate().collect();
        for chunk in lines.chunks(HISTORY_ROWS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::new(
                "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) ",
            );
            insert.push_values(chunk, |mut row, (n, h)| {
                row.push_bind(s.id)
                    .push_bind(s.seq as i64)
                    .push_bind(*n as i64)
                    .push_bind(ts(h.at))
                    .push_bind(json(&h.actor))
                    .push_bind(h.kind.clone())
                    .push_bind(h.step.clone())
                    .push_bind(json(&h.detail))
                    .push_bind(h.evidence.as_ref().map(json))
                    .push_bind(now_s.clone())
                    .push_bind(now_s.clone());
            });
            insert.build().execute(&mut *conn).await?;
        }
        for effect in &t.effects {
            match effect {
                Effect::CreateTask {
                    key,
                    step,
                    role,
                    due_at,
                    evidence,
                } => {
                    sqlx::query("insert into tasks (key, case_id, number, step, role, region, status, due_at, evidence, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)")
                        .bind(key)
                        .bind(s.id)
                        .bind(&s.number)
                        .bind(step)
                        .bind(role)
                        .bind(&s.region)
                        .bind(due_at.map(ts))
                        .bind(evidence.as_ref().map(json))
                        .bind(&now_s)
                        .bind(&now_s)
                        .execute(&mut *conn)
                        .await?;
                }
                Effect::CloseTask { key } => {
                    sqlx::query("update tasks set status = 'closed', updated_at = ? where key = ?")
                        .bind(&now_s)
                        .bind(key)
                        .execute(&mut *conn)
                        .await?;
                }
                Effect::ReassignTask { key, role } => {
                    sqlx::query("update tasks set role = ?, status = 'open', assignee = null, updated_at = ? where key = ? and status != 'closed'")
                        .bind(role)
                        .bind(&now_s)
                        .bind(key)
                        .execute(&mut *conn)
                        .await?;
                }
                Effect::SetTimer {
                    key,
                    due_at,
                    purpose,
                } => {
                    sqlx::query("insert into timers (key, case_id, due_at, purpose, created_at, updated_at) values (?, ?, ?, ?, ?, ?)")
                        .bind(key)
                        .bind(s.id)
                        .bind(ts(*due_at))
                        .bind(json(purpose))
                        .bind(&now_s)
                        .bind(&now_s)
                        .execute(&mut *conn)
                        .await?;
                }
                Effect::CancelTimer { key } => {
                    sqlx::query("delete from timers where key = ?")
                        .bind(key)
                        .execute(&mut *conn)
                        .await?;
                }
                Effect::Job(job) => {
                    let kind = match &job.work {
                        Work::Request { .. } => "request",
                        Work::Notify { .. } => "notify",
                        Work::Document { .. } => "document",
                        Work::Stage { .. } => "stage",
                    };
                    sqlx::query("insert into jobs (key, case_id, kind, work, status, next_at, created_at, updated_at) values (?, ?, ?, ?, 'pending', ?, ?, ?)")
                        .bind(&job.key)
                        .bind(s.id)
                        .bind(kind)
                        .bind(json(&job.work))
                        .bind(&now_s)
                        .bind(&now_s)
                        .bind(&now_s)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Claims a task for a clerk; `false` when it is not open.
    pub async fn claim(
        conn: &mut SqliteConnection,
        key: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let done = sqlx::query("update tasks set status = 'claimed', assignee = ?, updated_at = ? where key = ? and status = 'open'")
            .bind(by)
            .bind(ts(now))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a claimed task back in the queue; `false` when `by` does not hold it.
    pub async fn unclaim(
        conn: &mut SqliteConnection,
        key: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let done = sqlx::query("update tasks set status = 'open', assignee = null, updated_at = ? where key = ? and status = 'claimed' and assignee = ?")
            .bind(ts(now))
            .bind(key)
            .bind(by)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Due timers, oldest first. Each is deleted by the transition that fires it.
    pub async fn due_timers(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TimerRow>, Error> {
        let rows = sqlx::query("select key, case_id, due_at, purpose from timers where due_at <= ? order by due_at limit ?")
            .bind(ts(now))
            .bind(limit as i64)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TimerRow {
                    key: r.get(0),
                    case_id: r.get(1),
                    due_at: parse_ts(r.get(2))?,
                    purpose: parse("timer purpose", r.get(3))?,
                })
            })
            .collect()
    }

    /// Deletes a timer (fired, or found stale).
    pub async fn delete_timer(conn: &mut SqliteConnection, key: &str) -> Result<(), Error> {
        sqlx::query("delete from timers where key = ?")
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Leases up to `limit` ready jobs until `lease_until`; each lease counts an attempt.
    pub async fn lease_jobs(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<JobRow>, Error> {
        let now_s = ts(now);
        let rows = sqlx::query(
            "update jobs set lease_until = ?1, attempts = attempts + 1, updated_at = ?2 \
             where key in (select key from jobs where status = 'pending' and next_at <= ?2 \
                           and (lease_until is null or lease_until < ?2) order by next_at limit ?3) \
             returning key, case_id, work, status, attempts, last_error",
        )
        .bind(ts(lease_until))
        .bind(&now_s)
        .bind(limit as i64)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(job_row).collect()
    }

    /// Marks a job done, with its output.
    pub async fn job_done(
        conn: &mut SqliteConnection,
        key: &str,
        output: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        job_finished(conn, key, JobStatus::Done, output, now).await
    }

    /// Marks a data request whose retries ran out as failed (its case took the failure
    /// path), with the last error.
    pub async fn job_failed(
        conn: &mut SqliteConnection,
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
        conn: &mut SqliteConnection,
        key: &str,
        status: JobStatus,
        output: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query("update jobs set status = ?, lease_until = null, output = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')")
            .bind(status.as_str())
            .bind(json(output))
            .bind(ts(now))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Puts a job back to wait until `at` without counting the attempt it was leased for:
    /// waiting for the morning is not a failure.
    pub async fn job_defer(
        conn: &mut SqliteConnection,
        key: &str,
        at: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query("update jobs set lease_until = null, attempts = max(attempts - 1, 0), next_at = ?, last_error = ?, updated_at = ? where key = ? and status = 'pending'")
            .bind(ts(at))
            .bind(reason)
            .bind(ts(now))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Appends a line to a case's history outside a transition (a job's outcome), after the
    /// lines of the case's latest transition, so the history stays in the order things
    /// happened.
    pub async fn note(
        conn: &mut SqliteConnection,
        case_id: i64,
        actor: &crate::runtime::Actor,
        kind: &str,
        detail: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let now_s = ts(now);
        sqlx::query(
            "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) \
             select c.id, c.seq, coalesce((select max(n) + 1 from history h where h.case_id = c.id and h.seq = c.seq), 0), \
                    ?2, ?3, ?4, null, ?5, null, ?2, ?2 from cases c where c.id = ?1",
        )
        .bind(case_id)
        .bind(&now_s)
        .bind(json(actor))
        .bind(kind)
        .bind(json(detail))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Moves a timer later (one its case could not take yet).
    pub async fn postpone_timer(
        conn: &mut SqliteConnection,
        key: &str,
        due_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query("update timers set due_at = ? where key = ?")
            .bind(ts(due_at))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Schedules another attempt: of a job whose attempt failed, or of a request whose
    /// answer did not come by its deadline.
    pub async fn job_retry(
        conn: &mut SqliteConnection,
        key: &str,
        next_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query("update jobs set status = 'pending', lease_until = null, next_at = ?, last_error = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')")
            .bind(ts(next_at))
            .bind(error)
            .bind(ts(now))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// A request the gateway acknowledged: it waits for its answer until `answer_by`, and
    /// is neither done nor due again before. `false` when the job is no longer pending: its
    /// answer came first (the far side can be quicker than this record), or a later record
    /// finished it.
    pub async fn job_await(
        conn: &mut SqliteConnection,
        key: &str,
        answer_by: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let done = sqlx::query("update jobs set status = 'awaiting_answer', acknowledged_at = ?1, next_at = ?2, lease_until = null, updated_at = ?1 where key = ?3 and status = 'pending'")
            .bind(ts(now))
            .bind(ts(answer_by))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Up to `limit` requests whose answer was due by `now` and did not come, the longest
    /// overdue first.
    pub async fn unanswered(
        conn: &mut SqliteConnection,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Unanswered>, Error> {
        let rows = sqlx::query(
            "select key, case_id, work, status, attempts, last_error, acknowledged_at, next_at \
             from jobs where status = 'awaiting_answer' and next_at <= ? order by next_at limit ?",
        )
        .bind(ts(now))
        .bind(limit as i64)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Unanswered {
                    job: job_row(r)?,
                    acknowledged_at: parse_ts(r.get(6))?,
                    due_at: parse_ts(r.get(7))?,
                })
            })
            .collect()
    }

    /// Moves a job to the incidents, for an administrator.
    pub async fn job_incident(
        conn: &mut SqliteConnection,
        key: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query("update jobs set status = 'incident', lease_until = null, last_error = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')")
            .bind(error)
            .bind(ts(now))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// An administrator's retry of an incident: a fresh budget, due now.
    pub async fn retry_incident(
        conn: &mut SqliteConnection,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let done = sqlx::query("update jobs set status = 'pending', attempts = 0, next_at = ?, lease_until = null, updated_at = ? where key = ? and status = 'incident'")
            .bind(ts(now))
            .bind(ts(now))
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Releases every lease (a clean shutdown hands leased work back at once).
    pub async fn release_leases(conn: &mut SqliteConnection) -> Result<u64, Error> {
        let done = sqlx::query("update jobs set lease_until = null, attempts = max(attempts - 1, 0) where lease_until is not null and status = 'pending'")
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected())
    }

    /// Hands back the leases of a run that died (start-up, under the owner's lock: no live
    /// process holds one). The attempt stays counted: it may have been performed, and a
    /// job that kills the process must not be retried for ever.
    pub async fn recover_leases(conn: &mut SqliteConnection) -> Result<u64, Error> {
        let done = sqlx::query(
            "update jobs set lease_until = null where lease_until is not null and status = 'pending'",
        )
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records a definition version deployed; returns the stored hash if one was there.
    pub async fn deploy(
        conn: &mut SqliteConnection,
        service: &str,
        version: &str,
        hash: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, Error> {
        let row = sqlx::query("select hash from definitions where service = ? and version = ?")
            .bind(service)
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(r) = row {
            return Ok(Some(r.get(0)));
        }
        sqlx::query("insert into definitions (service, version, hash, source, created_at, updated_at) values (?, ?, ?, ?, ?, ?)")
            .bind(service)
            .bind(version)
            .bind(hash)
            .bind(source)
            .bind(ts(now))
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        Ok(None)
    }
}
