//! Writes the writer holds back to the end of its batch, and then writes a few statements
//! for all of them.
//!
//! Why: every statement is a round trip of the writer, and every transition of every case
//! waits for the writer. Written one by one, a case's six transitions cost some thirty
//! statements (the case row six times, its history six times, each task, timer and job).
//! Held, the transitions of a batch write their cases, history lines, tasks, timers and jobs
//! with one statement of each kind (one more for every [`ROWS_PER_STATEMENT`] rows), the
//! same rows the one-by-one writes make.
//!
//! What keeps it correct (`crate::worker::writer` decides when writes are held):
//! - Writes are held only on the writer's fast path, where a store error abandons the whole
//!   attempt anyway, and only while it runs commands that write a case's transition, a job's
//!   outcome or a history note. Before any other command, before a savepoint and before the
//!   commit, what is held is written.
//! - A read of what is held answers what is held: the case as the last transition left it
//!   (a second event on a case in the same batch starts where the first ended), a task
//!   closed, a job finished. A look that finds nothing writes what is held and looks again.
//! - Writing by kind reorders the writes of *different* rows only: a transition that
//!   touches a row something held touches already (a timer key set again, a case with a
//!   note held), or one that touches the same row twice itself, is written after what is
//!   held, one by one as before; so is one with an effect that is not grouped (a task moved
//!   to another role, an SMS reply awaited, a wave).
//! - The cases' update checks each case's sequence before the batch, as the one-by-one
//!   update does; fewer rows updated than held is [`Error::Conflict`], and the writer runs
//!   the batch again one command at a time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::backend::{Conn, on};
use super::{Error, JobStatus, ROWS_PER_STATEMENT, TaskStatus, search};
use crate::runtime::{Actor, CaseState, Effect, HistoryEntry, Transition};

/// A history line to insert: the case's state (its id and sequence), the line's number in
/// its transition, the line, and when it was written.
pub(crate) type Line<'a> = (&'a CaseState, usize, &'a HistoryEntry, DateTime<Utc>);

/// Inserts history lines, the most frequent rows the store writes (a dozen a transition is
/// common), in few statements. Implemented for each database's connection, so that an `on!`
/// body calls it on its own (`c.insert_history(&lines)`).
pub(crate) trait InsertHistory {
    /// Inserts `lines`.
    async fn insert_history(&mut self, lines: &[Line<'_>]) -> Result<(), Error>;
}

/// [`ROWS_PER_STATEMENT`] lines a statement, a row of values each.
impl InsertHistory for sqlx::SqliteConnection {
    async fn insert_history(&mut self, lines: &[Line<'_>]) -> Result<(), Error> {
        use super::backend::sqlite::*;
        for chunk in lines.chunks(ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut row, (s, n, h, at)| {
                row.push_bind(s.id)
                    .push_bind(s.seq as i64)
                    .push_bind(*n as i64)
                    .push_bind(bind_ts(h.at))
                    .push_bind(bind_json(&h.actor))
                    .push_bind(h.kind.clone())
                    .push_bind(h.step.clone())
                    .push_bind(bind_json(&h.detail))
                    .push_bind(bind_json_opt(h.evidence.as_ref()))
                    .push_bind(bind_ts(*at))
                    .push_bind(bind_ts(*at));
            });
            q.build().persistent(false).execute(&mut *self).await?;
        }
        Ok(())
    }
}

/// One statement over arrays, a column each: its text is the same whatever the number of
/// lines, so the server parses and plans it once a connection, where a statement with a row
/// of values a line was parsed anew every time, and one array a column binds faster than
/// eleven values a line.
impl InsertHistory for sqlx::PgConnection {
    async fn insert_history(&mut self, lines: &[Line<'_>]) -> Result<(), Error> {
        use super::backend::postgres::*;
        if lines.is_empty() {
            return Ok(());
        }
        let column = |f: &dyn Fn(&Line<'_>) -> i64| lines.iter().map(f).collect::<Vec<i64>>();
        sqlx::query(
            "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) \
             select case_id, seq, n, at, actor, kind, step, detail, evidence, written, written \
             from unnest($1::int8[], $2::int8[], $3::int8[], $4::timestamptz[], $5::jsonb[], \
                         $6::text[], $7::text[], $8::jsonb[], $9::jsonb[], $10::timestamptz[]) \
             as l (case_id, seq, n, at, actor, kind, step, detail, evidence, written)",
        )
        .bind(column(&|(s, ..)| s.id))
        .bind(column(&|(s, ..)| s.seq as i64))
        .bind(column(&|(_, n, ..)| *n as i64))
        .bind(lines.iter().map(|(_, _, h, _)| bind_ts(h.at)).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, _, h, _)| bind_json(&h.actor)).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, _, h, _)| h.kind.as_str()).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, _, h, _)| h.step.as_deref()).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, _, h, _)| bind_json(&h.detail)).collect::<Vec<_>>())
        .bind(
            lines
                .iter()
                .map(|(_, _, h, _)| bind_json_opt(h.evidence.as_ref()))
                .collect::<Vec<_>>(),
        )
        .bind(lines.iter().map(|(.., at)| bind_ts(*at)).collect::<Vec<_>>())
        .execute(&mut *self)
        .await?;
        Ok(())
    }
}

/// What the writer holds back in one batch.
#[derive(Default)]
pub struct Held {
    /// The transitions, in the order written, each with its time.
    transitions: Vec<(Transition, DateTime<Utc>)>,
    /// The cases they changed, in the order first changed: the state before the batch
    /// (`None`: opened in it) and the index of the last transition in `transitions`.
    cases: Vec<(Option<CaseState>, usize)>,
    /// Where each case is in `cases`.
    by_id: HashMap<i64, usize>,
    /// Cases read in this batch and not changed since (locked, on a shared database).
    read: HashMap<i64, CaseState>,
    /// The keys of the tasks, timers and jobs a held write touches.
    task_keys: HashSet<String>,
    timer_keys: HashSet<String>,
    job_keys: HashSet<String>,
    /// The tasks closed.
    closed: HashSet<String>,
    /// Jobs finished: the first outcome recorded for each (a later one would change
    /// nothing, as the one-by-one update leaves a finished job alone).
    finished: Vec<(String, JobStatus, Value, DateTime<Utc>)>,
    finished_keys: HashMap<String, JobStatus>,
    /// History lines outside transitions, in order.
    notes: Vec<(i64, Actor, String, Value, DateTime<Utc>)>,
    noted: HashSet<i64>,
    /// The tasks and jobs the commands to come name, not read yet (see [`Held::ahead`]).
    ahead: Option<Ahead>,
    /// Tasks read ahead: their case, status and assignee.
    tasks_read: HashMap<String, (i64, TaskStatus, Option<String>)>,
    /// Jobs read ahead: their case, status and attempts.
    jobs_read: HashMap<String, (i64, JobStatus, u32)>,
    /// How many cases the commands to come open, while their ids are not taken.
    opening: usize,
    /// Case ids taken from PostgreSQL's sequence together and not given yet, the next last.
    ids: Vec<i64>,
}

/// The tasks and jobs the held commands to come name: read, with their cases, in one
/// statement each when the first of them is looked at.
#[derive(Default)]
pub struct Ahead {
    /// Task keys.
    pub tasks: Vec<String>,
    /// Job keys.
    pub jobs: Vec<String>,
    /// How many cases the commands open.
    pub opening: usize,
}

impl Held {
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.transitions.is_empty() && self.finished.is_empty() && self.notes.is_empty()
    }

    /// Whether `t` can be held: each of its effects is one of the kinds written in groups,
    /// and it touches no task, timer or job twice.
    pub(crate) fn can_hold(t: &Transition) -> bool {
        let mut seen = HashSet::new();
        t.effects.iter().all(|e| match touched(e) {
            Some(key) => seen.insert(key),
            None => false,
        })
    }

    /// Whether `t` touches a row something held touches: then what is held is written
    /// first, so the two reach the row in order.
    pub(crate) fn clashes(&self, t: &Transition) -> bool {
        self.noted.contains(&t.state.id)
            || t.effects.iter().any(|e| match touched(e) {
                Some((Table::Tasks, key)) => self.task_keys.contains(key),
                Some((Table::Timers, key)) => self.timer_keys.contains(key),
                Some((Table::Jobs, key)) => self.job_keys.contains(key),
                None => true,
            })
    }

    /// Holds a transition that [`Held::can_hold`] and does not [`Held::clashes`].
    pub(crate) fn transition(
        &mut self,
        t: &Transition,
        previous: Option<&CaseState>,
        now: DateTime<Utc>,
    ) {
        let id = t.state.id;
        let at = self.transitions.len();
        match self.by_id.get(&id) {
            Some(&i) => self.cases[i].1 = at,
            None => {
                self.by_id.insert(id, self.cases.len());
                self.cases.push((previous.cloned(), at));
            }
        }
        self.read.remove(&id);
        for e in &t.effects {
            match touched(e) {
                Some((Table::Tasks, key)) => self.task_keys.insert(key.to_string()),
                Some((Table::Timers, key)) => self.timer_keys.insert(key.to_string()),
                Some((Table::Jobs, key)) => self.job_keys.insert(key.to_string()),
                None => false,
            };
            if let Effect::CloseTask { key } = e {
                self.closed.insert(key.clone());
            }
        }
        self.transitions.push((t.clone(), now));
    }

    /// Holds a job's outcome.
    pub(crate) fn finish(
        &mut self,
        key: &str,
        status: JobStatus,
        output: &Value,
        now: DateTime<Utc>,
    ) {
        if self.finished_keys.contains_key(key) {
            return;
        }
        self.finished_keys.insert(key.to_string(), status);
        self.job_keys.insert(key.to_string());
        self.finished
            .push((key.to_string(), status, output.clone(), now));
    }

    /// Holds a history line outside any transition.
    pub(crate) fn note(
        &mut self,
        case_id: i64,
        actor: &Actor,
        kind: &str,
        detail: &Value,
        now: DateTime<Utc>,
    ) {
        self.noted.insert(case_id);
        self.notes.push((
            case_id,
            actor.clone(),
            kind.to_string(),
            detail.clone(),
            now,
        ));
    }

    /// Keeps the states of cases read (and locked) in this batch, for [`Held::case`].
    pub(crate) fn keep_read(&mut self, states: Vec<CaseState>) {
        for s in states {
            if !self.by_id.contains_key(&s.id) {
                self.read.insert(s.id, s);
            }
        }
    }

    /// Says which tasks and jobs the commands to come name, to be read together.
    pub(crate) fn ahead(&mut self, ahead: Ahead) {
        self.opening = ahead.opening;
        if !ahead.tasks.is_empty() || !ahead.jobs.is_empty() {
            self.ahead = Some(ahead);
        }
    }

    /// The keys to read ahead, once.
    pub(crate) fn take_ahead(&mut self) -> Option<Ahead> {
        self.ahead.take()
    }

    /// A case id taken before, if one is left.
    pub(crate) fn next_id(&mut self) -> Option<i64> {
        self.ids.pop()
    }

    /// How many case ids to take at once: as many as the commands to come open, once.
    pub(crate) fn take_opening(&mut self) -> usize {
        std::mem::take(&mut self.opening)
    }

    /// Keeps case ids taken together, to give in order.
    pub(crate) fn keep_ids(&mut self, mut ids: Vec<i64>) {
        ids.sort_unstable_by(|a, b| b.cmp(a));
        self.ids = ids;
    }

    /// What holding goes on with after what is held is written: the case ids taken and
    /// not given yet, and how many cases are still to open.
    pub(crate) fn carried(&mut self) -> Held {
        Held {
            ids: std::mem::take(&mut self.ids),
            opening: self.opening,
            ..Held::default()
        }
    }

    /// Keeps what was read ahead.
    pub(crate) fn keep_ahead(
        &mut self,
        tasks: Vec<(String, i64, TaskStatus, Option<String>)>,
        jobs: Vec<(String, i64, JobStatus, u32)>,
        states: Vec<CaseState>,
    ) {
        self.keep_read(states);
        for (key, case, status, assignee) in tasks {
            self.tasks_read.insert(key, (case, status, assignee));
        }
        for (key, case, status, attempts) in jobs {
            self.jobs_read.insert(key, (case, status, attempts));
        }
    }

    /// A task read ahead, as this batch left it: its case, status and assignee.
    pub(crate) fn task(&self, key: &str) -> Option<(CaseState, TaskStatus, Option<String>)> {
        let (case, status, assignee) = self.tasks_read.get(key)?;
        let state = self.case(*case)?.clone();
        let status = if self.closed(key) {
            TaskStatus::Closed
        } else {
            *status
        };
        Some((state, status, assignee.clone()))
    }

    /// A job read ahead, as this batch left it: its case, status and attempts.
    pub(crate) fn job(&self, key: &str) -> Option<(CaseState, JobStatus, u32)> {
        let (case, status, attempts) = self.jobs_read.get(key)?;
        let state = self.case(*case)?.clone();
        Some((state, self.finished(key).unwrap_or(*status), *attempts))
    }

    /// Forgets the state read of a case written at once.
    pub(crate) fn forget(&mut self, id: i64) {
        self.read.remove(&id);
    }

    /// A case as this batch left it: as its last held transition wrote it, or as read.
    pub(crate) fn case(&self, id: i64) -> Option<&CaseState> {
        match self.by_id.get(&id) {
            Some(&i) => Some(&self.transitions[self.cases[i].1].0.state),
            None => self.read.get(&id),
        }
    }

    /// Whether a held transition closed the task.
    pub(crate) fn closed(&self, key: &str) -> bool {
        self.closed.contains(key)
    }

    /// The outcome held for a job.
    pub(crate) fn finished(&self, key: &str) -> Option<JobStatus> {
        self.finished_keys.get(key).copied()
    }

    /// The highest id of a case opened in this batch.
    pub(crate) fn last_opened(&self) -> Option<i64> {
        self.cases
            .iter()
            .filter(|(before, _)| before.is_none())
            .map(|(_, i)| self.transitions[*i].0.state.id)
            .max()
    }

    /// Writes everything held, on a connection that holds nothing (so the statements it
    /// makes through other store functions run at once).
    pub(crate) async fn write(self, conn: &mut Conn) -> Result<(), Error> {
        let ts = &self.transitions;
        let last = |i: usize| (&ts[i].0.state, ts[i].1);
        let opened: Vec<(&CaseState, DateTime<Utc>)> = self
            .cases
            .iter()
            .filter(|(before, _)| before.is_none())
            .map(|(_, i)| last(*i))
            .collect();
        let changed: Vec<(&CaseState, i64, DateTime<Utc>)> = self
            .cases
            .iter()
            .filter_map(|(before, i)| before.as_ref().map(|b| (last(*i), b.seq as i64)))
            .map(|((s, at), seq)| (s, seq, at))
            .collect();
        let lines: Vec<_> = ts
            .iter()
            .flat_map(|(t, at)| {
                t.history
                    .iter()
                    .enumerate()
                    .map(move |(n, h)| (&t.state, n, h, *at))
            })
            .collect();
        let effects = || {
            ts.iter()
                .flat_map(|(t, at)| t.effects.iter().map(move |e| (&t.state, e, *at)))
        };
        if ts.iter().any(|(t, _)| t.queues_jobs()) {
            conn.made_work();
        }
        on!(conn, |c| {
            for chunk in opened.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "insert into cases (id, number, service, version, status, result, region, state, seq, created_at, updated_at, closed_at) ",
                );
                q.push_values(chunk, |mut row, (s, at)| {
                    row.push_bind(s.id)
                        .push_bind(s.number.clone())
                        .push_bind(s.service.clone())
                        .push_bind(s.version.clone())
                        .push_bind(super::status_name(s.status))
                        .push_bind(s.result.clone())
                        .push_bind(s.region.clone())
                        .push_bind(bind_json(*s))
                        .push_bind(s.seq as i64)
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts_opt(super::closed_at(s, *at)));
                });
                q.build().persistent(false).execute(&mut *c).await?;
            }
            for chunk in changed.chunks(ROWS_PER_STATEMENT) {
                // `columnN`: the names both databases give the columns of a `values` list.
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "update cases set status = v.column3, result = v.column4, state = v.column5, \
                     seq = v.column6, updated_at = v.column7, closed_at = v.column8 from (",
                );
                q.push_values(chunk, |mut row, (s, seq, at)| {
                    row.push_bind(s.id)
                        .push_bind(*seq)
                        .push_bind(super::status_name(s.status))
                        .push_bind(s.result.clone())
                        .push_bind(bind_json(*s))
                        .push_bind(s.seq as i64)
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts_opt(super::closed_at(s, *at)));
                });
                q.push(") as v where cases.id = v.column1 and cases.seq = v.column2");
                let done = q.build().persistent(false).execute(&mut *c).await?;
                if done.rows_affected() != chunk.len() as u64 {
                    return Err(Error::Conflict(chunk[0].0.id));
                }
            }
            c.insert_history(&lines).await?;
            let tasks: Vec<_> = effects()
                .filter(|(_, e, _)| matches!(e, Effect::CreateTask { .. }))
                .collect();
            for chunk in tasks.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "insert into tasks (key, case_id, number, step, role, region, status, due_at, evidence, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut row, (s, e, at)| {
                    let Effect::CreateTask {
                        key,
                        step,
                        role,
                        due_at,
                        evidence,
                    } = e
                    else {
                        unreachable!("only tasks created")
                    };
                    row.push_bind(key.clone())
                        .push_bind(s.id)
                        .push_bind(s.number.clone())
                        .push_bind(step.clone())
                        .push_bind(role.clone())
                        .push_bind(s.region.clone())
                        .push_bind("open")
                        .push_bind(bind_ts_opt(*due_at))
                        .push_bind(bind_json_opt(evidence.as_ref()))
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts(*at));
                });
                q.build().persistent(false).execute(&mut *c).await?;
            }
            let timers: Vec<_> = effects()
                .filter(|(_, e, _)| matches!(e, Effect::SetTimer { .. }))
                .collect();
            for chunk in timers.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "insert into timers (key, case_id, due_at, purpose, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut row, (s, e, at)| {
                    let Effect::SetTimer {
                        key,
                        due_at,
                        purpose,
                    } = e
                    else {
                        unreachable!("only timers set")
                    };
                    row.push_bind(key.clone())
                        .push_bind(s.id)
                        .push_bind(bind_ts(*due_at))
                        .push_bind(bind_json(purpose))
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts(*at));
                });
                q.build().persistent(false).execute(&mut *c).await?;
            }
            let jobs: Vec<_> = effects()
                .filter_map(|(s, e, at)| match e {
                    Effect::Job(job) => Some((s, job, at)),
                    _ => None,
                })
                .collect();
            for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "insert into jobs (key, case_id, kind, work, status, next_at, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut row, (s, job, at)| {
                    row.push_bind(job.key.clone())
                        .push_bind(s.id)
                        .push_bind(super::job_kind(&job.work))
                        .push_bind(bind_json(&job.work))
                        .push_bind("pending")
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts(*at))
                        .push_bind(bind_ts(*at));
                });
                q.build().persistent(false).execute(&mut *c).await?;
            }
            // After the inserts: a task or timer made and ended in the same batch is ended.
            let closed: Vec<_> = effects()
                .filter_map(|(_, e, at)| match e {
                    Effect::CloseTask { key } => Some((key, at)),
                    _ => None,
                })
                .collect();
            for chunk in closed.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "update tasks set status = 'closed', updated_at = ",
                );
                q.push_bind(bind_ts(chunk[0].1));
                q.push(" where key in (");
                let mut keys = q.separated(", ");
                for (key, _) in chunk {
                    keys.push_bind((*key).clone());
                }
                q.push(")");
                q.build().persistent(false).execute(&mut *c).await?;
            }
            let cancelled: Vec<_> = effects()
                .filter_map(|(_, e, _)| match e {
                    Effect::CancelTimer { key } => Some(key),
                    _ => None,
                })
                .collect();
            for chunk in cancelled.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new("delete from timers where key in (");
                let mut keys = q.separated(", ");
                for key in chunk {
                    keys.push_bind((*key).clone());
                }
                q.push(")");
                q.build().persistent(false).execute(&mut *c).await?;
            }
            for chunk in self.finished.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "update jobs set status = v.column2, lease_until = null, leased_by = null, \
                     output = v.column3, updated_at = v.column4 from (",
                );
                q.push_values(chunk, |mut row, (key, status, output, at)| {
                    row.push_bind(key.clone())
                        .push_bind(status.as_str())
                        .push_bind(bind_json(output))
                        .push_bind(bind_ts(*at));
                });
                q.push(
                    ") as v where jobs.key = v.column1 and jobs.status in ('pending', 'awaiting_answer')",
                );
                q.build().persistent(false).execute(&mut *c).await?;
            }
            Ok::<(), Error>(())
        })?;
        // The notes after the transitions: each is placed after the lines of its case's
        // latest sequence, which a held transition may have written.
        let notes: Vec<_> = self
            .notes
            .iter()
            .map(|(case_id, actor, kind, detail, at)| (*case_id, actor, kind.as_str(), detail, *at))
            .collect();
        super::tx::notes(conn, &notes).await?;
        // What finds each case, from what it was before the batch to what it is now.
        let cases: Vec<_> = self
            .cases
            .iter()
            .map(|(before, i)| {
                let (state, at) = last(*i);
                let before = match before {
                    None => search::Before::Nothing,
                    Some(b) => search::Before::Of(b),
                };
                (state, before, at)
            })
            .collect();
        search::index_many(conn, &cases).await
    }
}

/// The tables whose rows a transition's effects touch.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Tasks,
    Timers,
    Jobs,
}

/// The row an effect written in groups touches; `None` for an effect not written in groups.
fn touched(e: &Effect) -> Option<(Table, &str)> {
    match e {
        Effect::CreateTask { key, .. } | Effect::CloseTask { key } => Some((Table::Tasks, key)),
        Effect::SetTimer { key, .. } | Effect::CancelTimer { key } => Some((Table::Timers, key)),
        Effect::Job(job) => Some((Table::Jobs, &job.key)),
        Effect::ReassignTask { .. } | Effect::AwaitSmsReply { .. } | Effect::StartWave { .. } => {
            None
        }
    }
}
