//! `--ceiling`: the database's own limit for the statements the engine issues for one
//! six-step case, made by the store's own functions, without the rest of the engine.
//!
//! The rows are the engine's own: the runtime core (a pure function, no database) computes
//! once the six transitions of a case — the submission, the acceptance, the two answers,
//! the timer, the decision — and their state, history lines, tasks, timer and jobs. Then
//! each connection sends the database, case after case, what the writer and the loops send
//! for them, through the same `store::tx` functions on a writer's connection (so the same
//! statements, the same bound types, `for update` and `skip locked` on PostgreSQL, `begin
//! immediate` on SQLite, `pg_notify` in every transaction on PostgreSQL, and the same held
//! writes, `store::held`), with the writer's batching at its fullest: one transaction,
//! committed once, for every 256 commands (the writer takes up to 256 waiting commands a
//! transaction; a command here is a transition, a lease or a job recorded). Each connection
//! takes 128 new cases a round through every phase:
//!
//! 1. the submissions (the next id, the case, its history lines, its task);
//! 2. the acceptances (the task's case, the transition: the case, history, the task closed,
//!    two request jobs);
//! 3. the leases of the request jobs (64 a statement, as the job loop takes them);
//! 4. the answers (the job's case, the transition, the job done; the second answer sets the
//!    timer);
//! 5. the due timers (500 a statement), their cases in one read, and each one's firing (the
//!    transition: the case, history, the decision task);
//! 6. the decisions (as the acceptances, with the notification job);
//! 7. the notification jobs' leases, and 8. each one recorded done with its history note.
//!
//! A case is complete when its notification job is recorded done. What the replay leaves
//! out is everything that is not the store: applying events (each case's transitions are
//! the template's, with its id and keys), the channel to the writer, the reads of the
//! clerks' queues and of each case's tasks (which the open-loop runs also make).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use qyzmet::calendar::Calendar;
use qyzmet::runtime::{self, Actor, Effect, Event, Settings, Transition, Work};
use qyzmet::store::held::Ahead;
use qyzmet::store::{Conn, Location, Store, tx};
use qyzmet::worker::outbox::stub_answer;
use serde_json::{Value, json};

use crate::stats::round;

/// The case id the templates are computed with; each replayed case puts its own in the keys.
const TEMPLATE_ID: i64 = 987_654_321;

/// Cases a round.
const ROUND: usize = 128;

/// Commands a transaction, at most: the writer's batch (`worker::writer::MAX_BATCH`).
const MAX_BATCH: usize = qyzmet::worker::writer::MAX_BATCH;

/// The six transitions of a case, and the keys that tie them.
struct Script {
    submit: Transition,
    accept: Transition,
    answer: [Transition; 2],
    fire: Transition,
    decide: Transition,
    /// The template keys: acceptance task, the two requests, the decision task.
    accept_task: String,
    requests: [String; 2],
    decide_task: String,
    /// A request's answer, and a notification's history note.
    output: Value,
    note_detail: Value,
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
        submit: t1,
        accept: t2,
        answer: [t3, t4],
        fire: t5,
        decide: t6,
        accept_task,
        requests: [requests[0].0.clone(), requests[1].0.clone()],
        decide_task,
        output: json!({ "counted": true }),
        note_detail: json!({ "counted": true, "to": "citizen", "template": "bench_result", "job": "job" }),
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

/// The template's transition as case `id`'s: its id, number and keys.
fn for_case(t: &Transition, id: i64) -> Transition {
    let mut t = t.clone();
    t.state.id = id;
    t.state.number = format!("QZ-2026-{id:06}");
    for e in &mut t.effects {
        match e {
            Effect::CreateTask { key, .. }
            | Effect::CloseTask { key }
            | Effect::ReassignTask { key, .. }
            | Effect::SetTimer { key, .. }
            | Effect::CancelTimer { key } => *key = key_for(key, id),
            Effect::Job(job) => job.key = key_for(&job.key, id),
            Effect::AwaitSmsReply { .. } | Effect::StartWave { .. } => {}
        }
    }
    t
}

/// Commits and cases completed, by every connection.
#[derive(Default)]
struct Counts {
    contended: AtomicU64,
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
    /// The writer's start of a batch: the transaction, its writes held.
    async fn begin(&mut self) -> anyhow::Result<()> {
        self.conn.begin().await?;
        let _ = self.conn.hold_writes();
        self.pending = 0;
        Ok(())
    }

    /// The writer's end of a batch: what is held, the wake-up notice on PostgreSQL when the
    /// batch queued jobs, the commit.
    async fn commit(&mut self) -> anyhow::Result<()> {
        self.conn.stop_holding().await?;
        tx::announce_work(&mut self.conn, &self.name).await?;
        self.conn.commit().await?;
        self.counts.commits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// One command done; the writer's batch is full at [`MAX_BATCH`] commands: commit it,
    /// begin the next.
    async fn tick(&mut self) -> anyhow::Result<()> {
        self.pending += 1;
        if self.pending >= MAX_BATCH {
            self.cut().await?;
        }
        Ok(())
    }

    /// Ends the transaction (at a phase's end, or a full batch) and begins the next.
    async fn cut(&mut self) -> anyhow::Result<()> {
        self.commit().await?;
        self.begin().await
    }

    /// The writer reads the tasks its batch's completions name together.
    fn read_ahead(&mut self, task: &str, ids: &[i64]) {
        self.conn.read_ahead(Ahead {
            tasks: ids.iter().map(|id| key_for(task, *id)).collect(),
            ..Ahead::default()
        });
    }

    /// A clerk's completion: the task's case, then the transition.
    async fn complete(
        &mut self,
        id: i64,
        task: &str,
        t: &Transition,
        previous: &Transition,
    ) -> anyhow::Result<()> {
        let (state, ..) = tx::task_case(&mut self.conn, &key_for(task, id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no task {task} of case {id}"))?;
        anyhow::ensure!(
            state.seq == previous.state.seq,
            "case {id} is not where the script has it"
        );
        tx::write(&mut self.conn, &for_case(t, id), Some(&state), Utc::now()).await?;
        Ok(())
    }

    /// Leases ready jobs, 64 a statement, until fewer come: (key, case id). A command the
    /// writer runs after what is held.
    async fn lease(&mut self) -> anyhow::Result<Vec<(String, i64)>> {
        let mut all = Vec::new();
        loop {
            self.conn.stop_holding().await?;
            let now = Utc::now();
            let got = tx::lease_jobs(
                &mut self.conn,
                &self.name,
                now,
                now + chrono::Duration::seconds(60),
                64,
            )
            .await?;
            let _ = self.conn.hold_writes();
            let n = got.len();
            all.extend(got.into_iter().map(|j| (j.key, j.case_id)));
            self.tick().await?;
            if n < 64 {
                return Ok(all);
            }
        }
    }

    /// The jobs leased, each case's first answer first: their answers (the job's case, the
    /// transition, the job done), or the notification recorded done with its note; returns
    /// the cases completed.
    async fn record(&mut self, mut leased: Vec<(String, i64)>) -> anyhow::Result<u64> {
        let s = Arc::clone(&self.script);
        leased.sort_by_key(|(key, id)| (*id, template_of(key, *id) != s.requests[0]));
        let mut completed = 0;
        let now = Utc::now();
        // The writer reads the jobs its batch's answers name together.
        let jobs = leased
            .iter()
            .filter(|(key, id)| s.requests.contains(&template_of(key, *id)))
            .map(|(key, _)| key.clone())
            .collect();
        self.conn.read_ahead(Ahead {
            jobs,
            ..Ahead::default()
        });
        for (key, id) in &leased {
            match s.requests.iter().position(|r| *r == template_of(key, *id)) {
                Some(which) => {
                    let (state, ..) = tx::job_case(&mut self.conn, key)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no job {key}"))?;
                    tx::write(
                        &mut self.conn,
                        &for_case(&s.answer[which], *id),
                        Some(&state),
                        now,
                    )
                    .await?;
                    tx::job_done(&mut self.conn, key, &s.output, now).await?;
                }
                None => {
                    tx::job_done(&mut self.conn, key, &s.output, now).await?;
                    tx::note(
                        &mut self.conn,
                        *id,
                        &Actor::Engine,
                        "notification_sent",
                        &s.note_detail,
                        now,
                    )
                    .await?;
                    completed += 1;
                }
            }
            self.tick().await?;
        }
        Ok(completed)
    }

    /// One round of `ROUND` cases through every phase, each phase its own transactions of
    /// up to [`MAX_BATCH`] commands; returns the cases completed.
    async fn round(&mut self) -> anyhow::Result<u64> {
        let s = Arc::clone(&self.script);
        self.begin().await?;
        // 1. Submissions.
        let mut ids = Vec::with_capacity(ROUND);
        for i in 0..ROUND {
            // The writer takes the ids of a batch's submissions together.
            if self.pending == 0 {
                self.conn.read_ahead(Ahead {
                    opening: (ROUND - i).min(MAX_BATCH),
                    ..Ahead::default()
                });
            }
            let id = tx::next_case_id(&mut self.conn).await?;
            tx::write(&mut self.conn, &for_case(&s.submit, id), None, Utc::now()).await?;
            ids.push(id);
            self.tick().await?;
        }
        self.cut().await?;
        // 2-3. Acceptances, and the leases of the request jobs they made.
        self.read_ahead(&s.accept_task, &ids);
        for &id in &ids {
            self.complete(id, &s.accept_task, &s.accept, &s.submit)
                .await?;
            self.tick().await?;
        }
        let leased = self.lease().await?;
        self.cut().await?;
        // 4. The answers.
        let mut completed = self.record(leased).await?;
        self.cut().await?;
        // 5. The timers, 500 a look (taken by it), their cases read at once, each fired.
        self.conn.write_held().await?;
        let due = tx::take_due_timers(&mut self.conn, Utc::now(), 500).await?;
        let cases: Vec<i64> = due.iter().map(|t| t.case_id).collect();
        tx::read_cases(&mut self.conn, &cases).await?;
        self.tick().await?;
        for &id in &cases {
            let state = tx::case(&mut self.conn, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no case {id}"))?;
            tx::write(
                &mut self.conn,
                &for_case(&s.fire, id),
                Some(&state),
                Utc::now(),
            )
            .await?;
            self.tick().await?;
        }
        self.cut().await?;
        // 6-7. Decisions, and the leases of the notification jobs they made.
        self.read_ahead(&s.decide_task, &cases);
        for &id in &cases {
            self.complete(id, &s.decide_task, &s.decide, &s.fire)
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
        let _ = self.conn.rollback().await;
        self.counts.contended.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether another connection's transaction got in the way: run again, it passes.
fn contended(e: &anyhow::Error) -> bool {
    e.downcast_ref::<qyzmet::store::Error>()
        .is_some_and(|e| e.contended())
}

/// `--ceiling`: `connections` replays at once for `seconds`; prints and returns the figures.
pub async fn run(location: Location, seconds: f64, connections: usize) -> anyhow::Result<Value> {
    if connections > 1 && matches!(location, Location::Sqlite(_)) {
        anyhow::bail!("SQLite has one writer: --connections 1");
    }
    // The engine's schema, by the engine's migrations; its writer's connections.
    let store = Store::open(location.clone()).await?;
    let script = Arc::new(script(
        &PathBuf::from(crate::WORKFLOWS),
        crate::open_loop::SERVICE,
    )?);
    let counts = Arc::new(Counts::default());
    let mut replays = Vec::new();
    for i in 0..connections {
        replays.push(Replayer {
            conn: store.writer().await?,
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
            r.conn.close().await;
            anyhow::Ok(())
        });
    }
    while let Some(outcome) = runs.join_next().await {
        outcome??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    store.close().await;
    drop(store);
    let contended = counts.contended.load(Ordering::Relaxed);
    let (commits, cases) = (
        counts.commits.load(Ordering::Relaxed),
        counts.cases.load(Ordering::Relaxed),
    );
    let mut db = crate::db::Db::open(&location).await?;
    let database = db.describe().await?;
    db.close().await;
    eprintln!(
        "  ceiling on {database}, {connections} connection(s), {elapsed:.1} s: {:.0} complete cases/s, \
         {:.0} commits/s; {contended} round(s) rolled back (deadlocks)",
        cases as f64 / elapsed,
        commits as f64 / elapsed,
    );
    Ok(json!({
        "mode": "ceiling",
        "database": database,
        "backend": location.backend().name(),
        "connections": connections,
        "seconds": round(elapsed),
        "cases": cases,
        "cases_per_s": round(cases as f64 / elapsed),
        "commits_per_s": round(commits as f64 / elapsed),
        "rounds_rolled_back": contended,
    }))
}
