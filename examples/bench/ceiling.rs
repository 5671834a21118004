//! `--ceiling`: the database's own limit for the statements the engine issues for one
//! six-step case, run directly with sqlx, without the engine.
//!
//! The rows are the engine's own: the runtime core (a pure function, no database) computes
//! once the six transitions of a case — the submission, the acceptance, the two answers,
//! the timer, the decision — and their state, history lines, tasks, timer and jobs. Then
//! each connection replays, case after case, what the writer and the loops send the database
//! for them, statement for statement as `engine/store/` writes them (the same texts, the same
//! bound types, `for update` and `skip locked` on PostgreSQL, `begin immediate` on SQLite,
//! `pg_notify` in every transaction on PostgreSQL), with the writer's batching at its
//! fullest: one transaction, committed once, for every 256 commands (the writer takes up
//! to 256 waiting commands a transaction; a command here is a transition, a lease or a job
//! recorded). Each connection takes 128 new cases a round through every phase:
//!
//! 1. the submissions (the next id, the case, its history lines, its task);
//! 2. the acceptances (the task's case, the case's state, the case updated, history, the
//!    task closed, two request jobs);
//! 3. the leases of the request jobs (64 a statement, as the job loop takes them);
//! 4. the answers (the job's case, the state, the case, history, the job done; the second
//!    answer sets the timer);
//! 5. the due timers (500 a statement) and each one's firing (state, case, history, the
//!    decision task, the timer deleted);
//! 6. the decisions (as the acceptances, with the notification job);
//! 7. the notification jobs' leases, and 8. each one recorded done with its history note.
//!
//! A case is complete when its notification job is recorded done. What the replay leaves
//! out is everything that is not the database: the runtime's work, reading and parsing the
//! state, the channel to the writer, the reads of the clerks' queues and of each case's
//! tasks (which the open-loop runs also make).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use qyzmet::calendar::Calendar;
use qyzmet::runtime::{self, Actor, Effect, Event, HistoryEntry, Settings, Transition, Work};
use qyzmet::store::Location;
use qyzmet::worker::outbox::stub_answer;
use serde_json::{Value, json};
use sqlx::{PgConnection, Row, SqliteConnection};

use crate::stats::round;

/// The case id the templates are computed with; each replayed case puts its own in the keys.
const TEMPLATE_ID: i64 = 987_654_321;

/// Cases a round.
const ROUND: usize = 128;

/// Commands a transaction, at most: the writer's batch (`worker::writer::MAX_BATCH`).
const MAX_BATCH: usize = qyzmet::worker::writer::MAX_BATCH;

/// A value bound as JSON: text for SQLite, `jsonb` for PostgreSQL (serialised at each bind,
/// as the store does).
struct Blob {
    text: String,
    value: Value,
}

impl Blob {
    fn of<T: serde::Serialize>(v: &T) -> Blob {
        let value = serde_json::to_value(v).expect("serialises");
        Blob {
            text: value.to_string(),
            value,
        }
    }
}

/// A history line, ready to bind.
struct Line {
    at: DateTime<Utc>,
    actor: Blob,
    kind: String,
    step: Option<String>,
    detail: Blob,
    evidence: Option<Blob>,
}

/// One transition, ready to replay.
struct Step {
    status: &'static str,
    result: Option<String>,
    state: Blob,
    seq: i64,
    lines: Vec<Line>,
    effects: Vec<Effect>,
    works: HashMap<String, (String, Blob)>,
    purposes: HashMap<String, Blob>,
    evidences: HashMap<String, Option<Blob>>,
}

impl Step {
    fn of(t: &Transition) -> Step {
        let mut works = HashMap::new();
        let mut purposes = HashMap::new();
        let mut evidences = HashMap::new();
        for e in &t.effects {
            match e {
                Effect::Job(job) => {
                    let kind = match &job.work {
                        Work::Request { .. } => "request",
                        Work::Notify { .. } => "notify",
                        Work::Document { .. } => "document",
                        Work::Stage { .. } => "stage",
                    };
                    works.insert(job.key.clone(), (kind.to_string(), Blob::of(&job.work)));
                }
                Effect::SetTimer { key, purpose, .. } => {
                    purposes.insert(key.clone(), Blob::of(purpose));
                }
                Effect::CreateTask { key, evidence, .. } => {
                    evidences.insert(key.clone(), evidence.as_ref().map(Blob::of));
                }
                _ => {}
            }
        }
        Step {
            status: match t.state.status {
                runtime::Status::Active => "active",
                runtime::Status::Completed => "completed",
                runtime::Status::Withdrawn => "withdrawn",
            },
            result: t.state.result.clone(),
            state: Blob::of(&t.state),
            seq: t.state.seq as i64,
            lines: t.history.iter().map(line).collect(),
            effects: t.effects.clone(),
            works,
            purposes,
            evidences,
        }
    }
}

fn line(h: &HistoryEntry) -> Line {
    Line {
        at: h.at,
        actor: Blob::of(&h.actor),
        kind: h.kind.clone(),
        step: h.step.clone(),
        detail: Blob::of(&h.detail),
        evidence: h.evidence.as_ref().map(Blob::of),
    }
}

/// The six transitions of a case, and the keys that tie them.
struct Script {
    service: String,
    version: String,
    region: String,
    submit: Step,
    accept: Step,
    answer: [Step; 2],
    fire: Step,
    decide: Step,
    /// The template keys: acceptance task, the two requests, the timer, the decision task,
    /// the notification.
    accept_task: String,
    requests: [String; 2],
    decide_task: String,
    note_detail: Blob,
    engine_actor: Blob,
}

/// Computes the case's transitions with the runtime core.
fn script(workflows: &Path, service: &str) -> anyhow::Result<Script> {
    let report = qyzmet::definition::load(
        &[workflows.to_path_buf()],
        &qyzmet::definition::Options::default(),
    );
    anyhow::ensure!(
        report.diagnostics.is_empty(),
        "the bench's workflows have problems"
    );
    let mut now = crate::open_loop::monday_morning();
    let def = report
        .library
        .in_force(service, now.date_naive())
        .ok_or_else(|| anyhow::anyhow!("{service} is not in force"))?
        .clone();
    let calendar = Calendar::load(Path::new("calendars"), &def.calendar)?;
    let settings = Settings::default();
    let subworkflows = indexmap::IndexMap::new();
    let ctx = |now| runtime::Context {
        definition: &def,
        subworkflows: &subworkflows,
        calendar: &calendar,
        settings: &settings,
        now,
    };
    let number = format!("QZ-2026-{TEMPLATE_ID}");
    let t1 = runtime::start(&ctx(now), TEMPLATE_ID, &number, &crate::submission(0))?;
    let task = |t: &Transition| {
        t.effects.iter().find_map(|e| match e {
            Effect::CreateTask { key, .. } => Some(key.clone()),
            _ => None,
        })
    };
    let accept_task = task(&t1).ok_or_else(|| anyhow::anyhow!("no acceptance task"))?;
    let by = Actor::Clerk("operator".into());
    let t2 = runtime::apply(
        &ctx(now),
        &t1.state,
        &Event::TaskCompleted {
            task: accept_task.clone(),
            outcome: "complete".into(),
            form: json!({}),
            by: by.clone(),
        },
    )?;
    let requests: Vec<(String, Value)> = t2
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Job(job) => match &job.work {
                Work::Request {
                    connector, input, ..
                } => Some((job.key.clone(), stub_answer(connector, input))),
                _ => None,
            },
            _ => None,
        })
        .collect();
    anyhow::ensure!(requests.len() == 2, "expected two requests");
    let t3 = runtime::apply(
        &ctx(now),
        &t2.state,
        &Event::JobSucceeded {
            job: requests[0].0.clone(),
            output: requests[0].1.clone(),
        },
    )?;
    let t4 = runtime::apply(
        &ctx(now),
        &t3.state,
        &Event::JobSucceeded {
            job: requests[1].0.clone(),
            output: requests[1].1.clone(),
        },
    )?;
    let (timer, due_at, purpose) = t4
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::SetTimer {
                key,
                due_at,
                purpose,
            } => Some((key.clone(), *due_at, purpose.clone())),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no timer"))?;
    now = due_at;
    let t5 = runtime::apply(
        &ctx(now),
        &t4.state,
        &Event::TimerFired {
            timer,
            purpose,
            due_at,
        },
    )?;
    let decide_task = task(&t5).ok_or_else(|| anyhow::anyhow!("no decision task"))?;
    let t6 = runtime::apply(
        &ctx(now),
        &t5.state,
        &Event::TaskCompleted {
            task: decide_task.clone(),
            outcome: "approve".into(),
            form: json!({}),
            by,
        },
    )?;
    anyhow::ensure!(
        t6.state.status == runtime::Status::Completed,
        "the template case did not complete"
    );
    Ok(Script {
        service: def.id.clone(),
        version: def.version.clone(),
        region: t1.state.region.clone(),
        submit: Step::of(&t1),
        accept: Step::of(&t2),
        answer: [Step::of(&t3), Step::of(&t4)],
        fire: Step::of(&t5),
        decide: Step::of(&t6),
        accept_task,
        requests: [requests[0].0.clone(), requests[1].0.clone()],
        decide_task,
        note_detail: Blob::of(
            &json!({ "counted": true, "to": "citizen", "template": "bench_result", "job": "job" }),
        ),
        engine_actor: Blob::of(&Actor::Engine),
    })
}

/// A template key (`task:987654321:0:0`) for case `id`.
fn key_for(template: &str, id: i64) -> String {
    template.replacen(&TEMPLATE_ID.to_string(), &id.to_string(), 1)
}

/// The template key of a case's key.
fn template_of(key: &str, id: i64) -> String {
    let mut parts: Vec<&str> = key.split(':').collect();
    let id = id.to_string();
    let template = TEMPLATE_ID.to_string();
    if let Some(p) = parts.iter_mut().find(|p| **p == id) {
        *p = &template;
    }
    parts.join(":")
}

/// A connection, by backend.
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// The statements, in SQLite's text; PostgreSQL's `$N` form is made once from it.
mod text {
    pub const NEXT_ID: (&str, &str) = (
        "select coalesce(max(id), 0) + 1 from cases",
        "select nextval(pg_get_serial_sequence('cases', 'id'))",
    );
    pub const INSERT_CASE: &str = "insert into cases (id, number, service, version, status, result, region, state, seq, created_at, updated_at) \
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    pub const UPDATE_CASE: &str = "update cases set status = ?, result = ?, state = ?, seq = ?, updated_at = ? where id = ? and seq = ?";
    pub const HISTORY: &str = "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) ";
    pub const INSERT_TASK: &str = "insert into tasks (key, case_id, number, step, role, region, status, due_at, evidence, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)";
    pub const CLOSE_TASK: &str = "update tasks set status = 'closed', updated_at = ? where key = ?";
    pub const INSERT_TIMER: &str = "insert into timers (key, case_id, due_at, purpose, created_at, updated_at) values (?, ?, ?, ?, ?, ?)";
    pub const DELETE_TIMER: &str = "delete from timers where key = ?";
    pub const INSERT_JOB: &str = "insert into jobs (key, case_id, kind, work, status, next_at, created_at, updated_at) values (?, ?, ?, ?, 'pending', ?, ?, ?)";
    pub const TASK_CASE: (&str, &str) = (
        "select c.state, t.status, t.assignee from tasks t join cases c on c.id = t.case_id where t.key = ?",
        "select c.state, t.status, t.assignee from tasks t join cases c on c.id = t.case_id where t.key = ? for update of c",
    );
    pub const CASE_STATE: (&str, &str) = (
        "select state from cases where id = ?",
        "select state from cases where id = ? for update",
    );
    pub const JOB_CASE: (&str, &str) = (
        "select c.state, j.status, j.attempts from jobs j join cases c on c.id = j.case_id where j.key = ?",
        "select c.state, j.status, j.attempts from jobs j join cases c on c.id = j.case_id where j.key = ? for update of c",
    );
    pub const JOB_DONE: &str = "update jobs set status = ?, lease_until = null, leased_by = null, output = ?, updated_at = ? where key = ? and status in ('pending', 'awaiting_answer')";
    pub const LEASE: (&str, &str) = (
        "update jobs set lease_until = ?1, leased_by = ?4, attempts = attempts + 1, updated_at = ?2 \
         where key in (select key from jobs where status = 'pending' and next_at <= ?2 \
                       and (lease_until is null or lease_until < ?2) order by next_at limit ?3) \
         returning key, case_id, work, status, attempts, last_error",
        "update jobs set lease_until = ?1, leased_by = ?4, attempts = attempts + 1, updated_at = ?2 \
         where key in (select key from jobs where status = 'pending' and next_at <= ?2 \
                       and (lease_until is null or lease_until < ?2) order by next_at limit ?3 \
                       for update skip locked) \
         returning key, case_id, work, status, attempts, last_error",
    );
    pub const TAKE_DUE_TIMERS: (&str, &str) = (
        "delete from timers where key in \
         (select key from timers where due_at <= ? order by due_at limit ?) \
         returning key, case_id, due_at, purpose",
        "delete from timers where key = any(array \
         (select key from timers where due_at <= ? order by due_at limit ? for update skip locked)) \
         returning key, case_id, due_at, purpose",
    );
    pub const NOTE: &str = "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) \
         select c.id, c.seq, coalesce((select max(n) + 1 from history h where h.case_id = c.id and h.seq = c.seq), 0), \
                ?2, ?3, ?4, null, ?5, null, ?2, ?2 from cases c where c.id = ?1";
    pub const NOTIFY: &str = "select pg_notify(?, '')";
}

/// PostgreSQL's text of a statement: `?N` as `$N`, a bare `?` the next number.
fn numbered(text: &'static str) -> &'static str {
    static CACHE: LazyLock<Mutex<HashMap<usize, &'static str>>> = LazyLock::new(Mutex::default);
    let mut cache = CACHE.lock().unwrap();
    cache.entry(text.as_ptr() as usize).or_insert_with(|| {
        let mut out = String::new();
        let mut highest = 0u32;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '?' {
                out.push(c);
                continue;
            }
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let n = digits.parse().unwrap_or(highest + 1);
            highest = highest.max(n);
            out.push_str(&format!("${n}"));
        }
        Box::leak(out.into_boxed_str())
    })
}

/// Runs `$body` with `$c` the connection and that backend's helpers: `sql`, `pick`, `ts`,
/// `js`, `js_opt`.
macro_rules! both {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => {
                #[allow(unused_imports)]
                use lite::*;
                $body
            }
            Conn::Postgres($c) => {
                #[allow(unused_imports)]
                use pg::*;
                $body
            }
        }
    };
}

mod lite {
    use super::Blob;
    use chrono::{DateTime, Utc};
    pub type Db = sqlx::Sqlite;
    pub fn sql(t: &'static str) -> &'static str {
        t
    }
    pub fn pick(t: (&'static str, &'static str)) -> &'static str {
        t.0
    }
    pub fn ts(at: DateTime<Utc>) -> String {
        qyzmet::store::ts(at)
    }
    pub fn js(b: &Blob) -> &str {
        &b.text
    }
    pub fn js_opt(b: Option<&Blob>) -> Option<&str> {
        b.map(|b| b.text.as_str())
    }
}

mod pg {
    use super::Blob;
    use chrono::{DateTime, SubsecRound, Utc};
    use sqlx::types::Json;
    pub type Db = sqlx::Postgres;
    pub fn sql(t: &'static str) -> &'static str {
        super::numbered(t)
    }
    pub fn pick(t: (&'static str, &'static str)) -> &'static str {
        super::numbered(t.1)
    }
    pub fn ts(at: DateTime<Utc>) -> DateTime<Utc> {
        at.trunc_subsecs(6)
    }
    pub fn js(b: &Blob) -> Json<&serde_json::Value> {
        Json(&b.value)
    }
    pub fn js_opt(b: Option<&Blob>) -> Option<Json<&serde_json::Value>> {
        b.map(|b| Json(&b.value))
    }
}

/// Statements and commits made, and cases completed, by every connection.
#[derive(Default)]
struct Counts {
    contended: AtomicU64,
    statements: AtomicU64,
    commits: AtomicU64,
    cases: AtomicU64,
}

/// One connection's replay.
struct Replayer {
    conn: Conn,
    /// Commands in the open transaction.
    pending: usize,
    script: Arc<Script>,
    counts: Arc<Counts>,
    name: String,
}

impl Replayer {
    fn counted(&self, n: u64) {
        self.counts.statements.fetch_add(n, Ordering::Relaxed);
    }

    async fn begin(&mut self) -> anyhow::Result<()> {
        use sqlx::Executor;
        match &mut self.conn {
            Conn::Sqlite(c) => {
                c.execute("begin immediate").await?;
            }
            Conn::Postgres(c) => {
                c.execute("begin").await?;
            }
        }
        Ok(())
    }

    /// The writer's end of a batch: the wake-up notice on PostgreSQL, the commit.
    async fn commit(&mut self) -> anyhow::Result<()> {
        use sqlx::Executor;
        match &mut self.conn {
            Conn::Sqlite(c) => {
                c.execute("commit").await?;
            }
            Conn::Postgres(c) => {
                sqlx::query(numbered(text::NOTIFY))
                    .bind("qyzmet_work")
                    .execute(&mut *c)
                    .await?;
                c.execute("commit").await?;
                self.counted(1);
            }
        }
        self.counts.commits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn next_id(&mut self) -> anyhow::Result<i64> {
        self.counted(1);
        Ok(both!(&mut self.conn, |c| sqlx::query(pick(text::NEXT_ID))
            .fetch_one(&mut *c)
            .await?
            .try_get::<i64, _>(0)?))
    }

    /// `tx::write`: the case, its history in one statement, each effect's row.
    async fn write(&mut self, id: i64, step: &Step, previous: Option<i64>) -> anyhow::Result<()> {
        let s = Arc::clone(&self.script);
        let number = format!("QZ-2026-{id:06}");
        let now = Utc::now();
        let mut statements = 2;
        both!(&mut self.conn, |c| {
            match previous {
                None => {
                    sqlx::query(sql(text::INSERT_CASE))
                        .bind(id)
                        .bind(&number)
                        .bind(&s.service)
                        .bind(&s.version)
                        .bind(step.status)
                        .bind(&step.result)
                        .bind(&s.region)
                        .bind(js(&step.state))
                        .bind(step.seq)
                        .bind(ts(now))
                        .bind(ts(now))
                        .execute(&mut *c)
                        .await?;
                }
                Some(prev) => {
                    sqlx::query(sql(text::UPDATE_CASE))
                        .bind(step.status)
                        .bind(&step.result)
                        .bind(js(&step.state))
                        .bind(step.seq)
                        .bind(ts(now))
                        .bind(id)
                        .bind(prev)
                        .execute(&mut *c)
                        .await?;
                }
            }
            let mut insert = sqlx::QueryBuilder::<Db>::new(text::HISTORY);
            insert.push_values(step.lines.iter().enumerate(), |mut row, (n, h)| {
                row.push_bind(id)
                    .push_bind(step.seq)
                    .push_bind(n as i64)
                    .push_bind(ts(h.at))
                    .push_bind(js(&h.actor))
                    .push_bind(h.kind.clone())
                    .push_bind(h.step.clone())
                    .push_bind(js(&h.detail))
                    .push_bind(js_opt(h.evidence.as_ref()))
                    .push_bind(ts(now))
                    .push_bind(ts(now));
            });
            insert.build().execute(&mut *c).await?;
            for effect in &step.effects {
                statements += 1;
                match effect {
                    Effect::CreateTask {
                        key,
                        step: name,
                        role,
                        due_at,
                        ..
                    } => {
                        sqlx::query(sql(text::INSERT_TASK))
                            .bind(key_for(key, id))
                            .bind(id)
                            .bind(&number)
                            .bind(name)
                            .bind(role)
                            .bind(&s.region)
                            .bind(due_at.map(ts))
                            .bind(js_opt(step.evidences.get(key).and_then(Option::as_ref)))
                            .bind(ts(now))
                            .bind(ts(now))
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::CloseTask { key } => {
                        sqlx::query(sql(text::CLOSE_TASK))
                            .bind(ts(now))
                            .bind(key_for(key, id))
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::SetTimer { key, .. } => {
                        // Due already: the replay fires it in the same round.
                        sqlx::query(sql(text::INSERT_TIMER))
                            .bind(key_for(key, id))
                            .bind(id)
                            .bind(ts(now - chrono::Duration::seconds(1)))
                            .bind(js(&step.purposes[key]))
                            .bind(ts(now))
                            .bind(ts(now))
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::CancelTimer { key } => {
                        sqlx::query(sql(text::DELETE_TIMER))
                            .bind(key_for(key, id))
                            .execute(&mut *c)
                            .await?;
                    }
                    Effect::Job(job) => {
                        let (kind, work) = &step.works[&job.key];
                        sqlx::query(sql(text::INSERT_JOB))
                            .bind(key_for(&job.key, id))
                            .bind(id)
                            .bind(kind)
                            .bind(js(work))
                            .bind(ts(now))
                            .bind(ts(now))
                            .bind(ts(now))
                            .execute(&mut *c)
                            .await?;
                    }
                    // The bench's services wait for no SMS reply and start no wave.
                    Effect::ReassignTask { .. }
                    | Effect::AwaitSmsReply { .. }
                    | Effect::StartWave { .. } => statements -= 1,
                }
            }
        });
        self.counted(statements);
        Ok(())
    }

    /// `tx::case`: the state read to apply an event (locked on PostgreSQL).
    async fn load(&mut self, id: i64) -> anyhow::Result<()> {
        self.counted(1);
        both!(&mut self.conn, |c| {
            let row = sqlx::query(pick(text::CASE_STATE))
                .bind(id)
                .fetch_one(&mut *c)
                .await?;
            // Read as the store reads it, not parsed.
            let _ = row.try_get_raw(0)?;
        });
        Ok(())
    }

    /// A clerk's completion: the task's case (one statement), then the transition.
    async fn complete(
        &mut self,
        id: i64,
        task: &str,
        step: &Step,
        prev: i64,
    ) -> anyhow::Result<()> {
        self.counted(1);
        both!(&mut self.conn, |c| {
            let row = sqlx::query(pick(text::TASK_CASE))
                .bind(key_for(task, id))
                .fetch_one(&mut *c)
                .await?;
            let _ = row.try_get_raw(0)?;
        });
        self.write(id, step, Some(prev)).await
    }

    /// Leases ready jobs, 64 a statement, until fewer come: (key, case id).
    async fn lease(&mut self) -> anyhow::Result<Vec<(String, i64)>> {
        let mut all = Vec::new();
        loop {
            let now = Utc::now();
            self.counted(1);
            let name = self.name.clone();
            let got: Vec<(String, i64)> = both!(&mut self.conn, |c| {
                sqlx::query(pick(text::LEASE))
                    .bind(ts(now + chrono::Duration::seconds(60)))
                    .bind(ts(now))
                    .bind(64i64)
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await?
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            let n = got.len();
            all.extend(got);
            self.tick().await?;
            if n < 64 {
                return Ok(all);
            }
        }
    }

    /// A job recorded done (with its history note, for a notification).
    async fn job_done(&mut self, key: &str, id: i64, note: bool) -> anyhow::Result<()> {
        let s = Arc::clone(&self.script);
        let now = Utc::now();
        let output = Blob::of(&json!({ "counted": true }));
        self.counted(1 + u64::from(note));
        both!(&mut self.conn, |c| {
            sqlx::query(sql(text::JOB_DONE))
                .bind("done")
                .bind(js(&output))
                .bind(ts(now))
                .bind(key)
                .execute(&mut *c)
                .await?;
            if note {
                sqlx::query(sql(text::NOTE))
                    .bind(id)
                    .bind(ts(now))
                    .bind(js(&s.engine_actor))
                    .bind("notification_sent")
                    .bind(js(&s.note_detail))
                    .execute(&mut *c)
                    .await?;
            }
        });
        Ok(())
    }

    /// A request's answer: the job's case (one statement), the transition, the job done.
    async fn answer(&mut self, key: &str, id: i64, which: usize) -> anyhow::Result<()> {
        self.counted(1);
        both!(&mut self.conn, |c| {
            let row = sqlx::query(pick(text::JOB_CASE))
                .bind(key)
                .fetch_one(&mut *c)
                .await?;
            let _ = row.try_get_raw(0)?;
        });
        let s = Arc::clone(&self.script);
        let prev = if which == 0 {
            s.accept.seq
        } else {
            s.answer[0].seq
        };
        self.write(id, &s.answer[which], Some(prev)).await?;
        self.job_done(key, id, false).await
    }

    /// One command done; the writer's batch is full at [`MAX_BATCH`] commands: commit it,
    /// begin the next.
    async fn tick(&mut self) -> anyhow::Result<()> {
        self.pending += 1;
        if self.pending >= MAX_BATCH {
            self.commit().await?;
            self.begin().await?;
            self.pending = 0;
        }
        Ok(())
    }

    /// The jobs leased, each case's first answer first: their answers, or the notification
    /// recorded done; returns the cases completed.
    async fn record(&mut self, mut leased: Vec<(String, i64)>) -> anyhow::Result<u64> {
        let s = Arc::clone(&self.script);
        leased.sort_by_key(|(key, id)| (*id, template_of(key, *id) != s.requests[0]));
        let mut completed = 0;
        for (key, id) in &leased {
            match s.requests.iter().position(|r| *r == template_of(key, *id)) {
                Some(which) => self.answer(key, *id, which).await?,
                None => {
                    self.job_done(key, *id, true).await?;
                    completed += 1;
                }
            }
            self.tick().await?;
        }
        Ok(completed)
    }

    /// Ends the transaction at a phase's end and begins the next.
    async fn cut(&mut self) -> anyhow::Result<()> {
        self.commit().await?;
        self.begin().await?;
        self.pending = 0;
        Ok(())
    }

    /// One round of `ROUND` cases through every phase, each phase its own transactions of
    /// up to [`MAX_BATCH`] commands; returns the cases completed.
    async fn round(&mut self) -> anyhow::Result<u64> {
        let s = Arc::clone(&self.script);
        self.begin().await?;
        self.pending = 0;
        // 1. Submissions.
        let mut ids = Vec::with_capacity(ROUND);
        for _ in 0..ROUND {
            let id = self.next_id().await?;
            self.write(id, &s.submit, None).await?;
            ids.push(id);
            self.tick().await?;
        }
        self.cut().await?;
        // 2-3. Acceptances, and the leases of the request jobs they made.
        for &id in &ids {
            self.complete(id, &s.accept_task, &s.accept, s.submit.seq)
                .await?;
            self.tick().await?;
        }
        let leased = self.lease().await?;
        self.cut().await?;
        // 4. The answers.
        let mut completed = self.record(leased).await?;
        self.cut().await?;
        // 5. The timers, 500 a look (taken by it), each fired.
        let now = Utc::now();
        self.counted(1);
        let due: Vec<(String, i64)> = both!(&mut self.conn, |c| {
            sqlx::query(pick(text::TAKE_DUE_TIMERS))
                .bind(ts(now))
                .bind(500i64)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        self.tick().await?;
        for (_, id) in &due {
            self.load(*id).await?;
            self.write(*id, &s.fire, Some(s.answer[1].seq)).await?;
            self.tick().await?;
        }
        self.cut().await?;
        // 6-7. Decisions, and the leases of the notification jobs they made.
        for (_, id) in &due {
            self.complete(*id, &s.decide_task, &s.decide, s.fire.seq)
                .await?;
            self.tick().await?;
        }
        let leased = self.lease().await?;
        self.cut().await?;
        // 8. Each notification recorded done.
        completed += self.record(leased).await?;
        self.commit().await?;
        Ok(completed)
    }

    /// After a round another connection's transaction got in the way of (PostgreSQL's
    /// deadlock or serialization failure): its open transaction rolled back, as the
    /// writer's batch would be, and the next round begins.
    async fn abandon(&mut self) {
        use sqlx::Executor;
        let _ = match &mut self.conn {
            Conn::Sqlite(c) => c.execute("rollback").await.map(|_| ()),
            Conn::Postgres(c) => c.execute("rollback").await.map(|_| ()),
        };
        self.counts.contended.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether another connection's transaction got in the way: run again, it passes.
fn contended(e: &anyhow::Error) -> bool {
    e.downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.code())
        .is_some_and(|code| matches!(code.as_ref(), "40P01" | "40001"))
}

/// Opens a connection as the store opens its writer's.
async fn connect(location: &Location) -> anyhow::Result<Conn> {
    use sqlx::ConnectOptions;
    Ok(match location {
        Location::Sqlite(path) => {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
            let options = SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            Conn::Sqlite(options.connect().await?)
        }
        Location::Postgres(url) => {
            let options: sqlx::postgres::PgConnectOptions = url.parse()?;
            Conn::Postgres(options.application_name("qyzmet-ceiling").connect().await?)
        }
    })
}

/// `--ceiling`: `connections` replays at once for `seconds`; prints and returns the figures.
pub async fn run(location: Location, seconds: f64, connections: usize) -> anyhow::Result<Value> {
    if connections > 1 && matches!(location, Location::Sqlite(_)) {
        anyhow::bail!("SQLite has one writer: --connections 1");
    }
    // The engine's schema, by the engine's migrations; then the engine is gone.
    qyzmet::store::Store::open(location.clone())
        .await?
        .close()
        .await;
    let script = Arc::new(script(
        &PathBuf::from(crate::WORKFLOWS),
        crate::open_loop::SERVICE,
    )?);
    let counts = Arc::new(Counts::default());
    let mut replays = Vec::new();
    for i in 0..connections {
        replays.push(Replayer {
            conn: connect(&location).await?,
            pending: 0,
            script: script.clone(),
            counts: counts.clone(),
            name: format!("ceiling-{i}"),
        });
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut runs = tokio::task::JoinSet::new();
    for mut r in replays {
        runs.spawn(async move {
            while Instant::now() < deadline {
                match r.round().await {
                    Ok(done) => {
                        r.counts.cases.fetch_add(done, Ordering::Relaxed);
                    }
                    Err(e) if contended(&e) => r.abandon().await,
                    Err(e) => return Err(e),
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(outcome) = runs.join_next().await {
        outcome??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let contended = counts.contended.load(Ordering::Relaxed);
    let (statements, commits, cases) = (
        counts.statements.load(Ordering::Relaxed),
        counts.commits.load(Ordering::Relaxed),
        counts.cases.load(Ordering::Relaxed),
    );
    let mut db = crate::db::Db::open(&location).await?;
    let database = db.describe().await?;
    db.close().await;
    eprintln!(
        "  ceiling on {database}, {connections} connection(s), {elapsed:.1} s: {:.0} complete cases/s, \
         {:.0} statements/s, {:.0} commits/s, {:.1} statements a case; {contended} round(s) \
         rolled back (deadlocks)",
        cases as f64 / elapsed,
        statements as f64 / elapsed,
        commits as f64 / elapsed,
        statements as f64 / cases.max(1) as f64
    );
    Ok(json!({
        "mode": "ceiling",
        "database": database,
        "backend": location.backend().name(),
        "connections": connections,
        "seconds": round(elapsed),
        "cases": cases,
        "cases_per_s": round(cases as f64 / elapsed),
        "statements_per_s": round(statements as f64 / elapsed),
        "commits_per_s": round(commits as f64 / elapsed),
        "statements_per_case": round(statements as f64 / cases.max(1) as f64),
        "rounds_rolled_back": contended,
    }))
}
