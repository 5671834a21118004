//! The writer: the one task that changes the database.
//!
//! Commands arrive on a channel; the writer takes as many as are waiting (up to
//! [`MAX_BATCH`]), runs them in one transaction, commits once, and only then answers.
//! That is group commit: under load, dozens of transitions share one `fsync`, and none is
//! acknowledged before it is durable.
//!
//! A command that fails must leave no trace in the transaction its batch shares. Every
//! command makes its checks and computes its transition before its first write, so one that
//! fails with anything but a store error has written nothing, and the batch goes on without
//! it. A store error can come mid-write: then the batch is rolled back and run again with
//! each command in its own savepoint, where the failing one rolls back alone. Savepoints
//! cost two round trips to the connection's thread per command, so the common case goes
//! without them.
//!
//! The transaction takes the database's write lock at its start (`begin immediate`), so a
//! lock another program holds (a backup tool, the `sqlite3` shell) is waited for, up to the
//! store's lock wait, before anything is read. A transaction that began by reading would be
//! refused at its first write at once, without waiting: SQLite cannot let a reader become a
//! writer while another writer may have changed what it read. A batch whose lock does not
//! come, or a command the database refuses because the disk is full, is answered
//! [`Error::Unavailable`] (`store::Unavailable`): nothing of it is written, and the same
//! command succeeds once the lock is released or space is freed.
//!
//! **Architecture Invariant:** nothing is sent from inside a transaction. The writer
//! writes outbox rows; the job workers perform them after commit.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::{Error, Shared};
use crate::runtime::{self, Actor, Event, Submission};
use crate::store::{self, Conn, JobRow, TimerRow, tx};

/// The most commands one transaction takes.
pub const MAX_BATCH: usize = 256;

/// What the writer can be asked to do.
pub enum Command {
    /// Open a case.
    Submit {
        /// The service.
        service: String,
        /// The application.
        submission: Submission,
        /// The caller's idempotency key, stored with the case.
        key: Option<super::idempotency::IdempotencyKey>,
        /// Filed through the eGov portal: the answers the citizen signed and the evidence,
        /// kept in the transaction that opens the case.
        signed: Option<Box<crate::store::portal::Filing>>,
    },
    /// Apply an event to the case a reference names.
    Event {
        /// Which case.
        case: CaseRef,
        /// What happened.
        event: Event,
    },
    /// A clerk takes a task.
    Claim {
        /// The task.
        key: String,
        /// The clerk.
        by: String,
    },
    /// A clerk puts a task back.
    Unclaim {
        /// The task.
        key: String,
        /// The clerk.
        by: String,
    },
    /// A head of department moves a task (reassigns, takes over, releases): see [`Steering`].
    Steer(Steering),
    /// Fire up to `limit` due timers.
    FireTimers {
        /// The batch size.
        limit: u32,
    },
    /// Lease up to `limit` ready jobs.
    LeaseJobs {
        /// The batch size.
        limit: u32,
        /// How long the lease holds.
        lease: Duration,
    },
    /// A job (not a request) was performed.
    JobDone {
        /// Its key.
        key: String,
        /// What the performer returned.
        output: Value,
        /// The case-history line it leaves (a notification's delivery status).
        note: Option<Note>,
    },
    /// A job may not run before `at` (quiet hours): it waits without spending an attempt.
    JobDefer {
        /// Its key.
        key: String,
        /// When it may run.
        at: DateTime<Utc>,
        /// Why it waits.
        reason: String,
        /// The case-history line it leaves.
        note: Option<Note>,
    },
    /// A job failed and will be tried again.
    JobRetry {
        /// Its key.
        key: String,
        /// When.
        next_at: DateTime<Utc>,
        /// Why it failed.
        error: String,
        /// The case-history line it leaves (a request sent again for want of an answer).
        note: Option<Note>,
    },
    /// The gateway acknowledged a request whose answer comes later: the job waits for it.
    JobAwait {
        /// Its key.
        key: String,
        /// The answer's deadline.
        answer_by: DateTime<Utc>,
        /// The case-history line it leaves.
        note: Option<Note>,
    },
    /// Send again, or fail, up to `limit` requests whose answers are overdue.
    AnswersOverdue {
        /// The batch size.
        limit: u32,
    },
    /// A job exhausted its retries.
    JobIncident {
        /// Its key.
        key: String,
        /// The last error.
        error: String,
        /// The case-history line it leaves (a notification that failed).
        note: Option<Note>,
    },
    /// An administrator retries an incident.
    RetryIncident {
        /// The job.
        key: String,
    },
    /// A history line outside any transition.
    Note(Note),
    /// A command whose success is recorded in the audit journal in the same transaction:
    /// the action and its record are committed together or not at all.
    Audited(Box<Command>, crate::audit::Entry),
    /// A record for the audit journal on its own (a clerk opened a case).
    Audit(crate::audit::Entry),
    /// Account and session changes, whose rules live in `crate::accounts`: run on the one
    /// writing connection, in a savepoint of their own (committed when the function says
    /// so, rolled back when it refuses), so they never half-write and never write beside
    /// the writer.
    Transact(Txn),
    /// Hands every leased job back (clean shutdown).
    ReleaseLeases,
    /// Opens the cases of scheduled occurrences due and not fired yet.
    FireSchedules,
}

/// A function run inside the writer's transaction, in its own savepoint: it answers `true`
/// to keep what it wrote, `false` to roll it back. It may run twice (the batch is retried
/// with savepoints after a store error), so it must not consume what it captures.
pub type Txn = Box<
    dyn for<'c> Fn(&'c mut Conn, DateTime<Utc>) -> super::jobs::BoxFuture<'c, bool> + Send + Sync,
>;

/// A line for a case's history that is not a transition: what became of a job after the
/// runtime handed it over (a notification sent, waiting for the morning, failed).
#[derive(Debug, Clone)]
pub struct Note {
    /// The case.
    pub case_id: i64,
    /// The history kind (`notification_sent`, `notification_deferred`, …).
    pub kind: String,
    /// The details.
    pub detail: Value,
}

/// A task moved by whoever supervises its role (issue #18), as one command: the task's
/// assignee changed only if it is still the one the caller saw, the case's history line, and
/// the clerks' notices as outbox jobs of the case — in one transaction with the audit record
/// the command is sent with, or none of it.
#[derive(Debug, Clone)]
pub struct Steering {
    /// The task.
    pub key: String,
    /// Its step path, for the history line.
    pub step: String,
    /// The assignee the caller saw (`None`: in the queue); another by the time of the write
    /// is [`Error::Conflict`] and nothing is written.
    pub from: Option<String>,
    /// The new assignee; `None`: back to the queue.
    pub to: Option<String>,
    /// Who moves it: the history line's actor.
    pub by: String,
    /// The history line's kind (`task_reassigned`, `task_taken_over`, `task_released`).
    pub kind: &'static str,
    /// The history line's details (logins and codes only).
    pub detail: Value,
    /// The notices to the clerks concerned.
    pub notices: Vec<runtime::Job>,
}

/// How a command names its case.
pub enum CaseRef {
    /// By registration number.
    Number(String),
    /// By a task of the case.
    Task(String),
    /// By an outbox job of the case.
    Job(String),
}

/// What the writer answers.
#[derive(Debug)]
pub enum Reply {
    /// Done.
    Done,
    /// The new case's registration number.
    Number(String),
    /// The registration number of the case an idempotency key opened before: nothing new.
    Repeat(String),
    /// How many were processed.
    Count(usize),
    /// Leased jobs.
    Jobs(Vec<JobRow>),
}

/// A command with its answer channel.
pub struct Envelope {
    /// The command.
    pub command: Command,
    /// Where the answer goes, after commit.
    pub reply: oneshot::Sender<Result<Reply, Error>>,
    /// The sender's span (an HTTP request's, a job's): the command runs inside it, so what
    /// the writer logs for it carries the request id, and the case it loads is recorded
    /// there (`crate::telemetry::record_case`).
    pub span: tracing::Span,
}

/// How often a command another process's transaction got in the way of is run again
/// before its caller is told the database is unavailable (a shared database only: see
/// [`store::Error::contended`]).
const CONTENDED_RETRIES: u8 = 8;

/// Runs the writer until the channel closes. `reconnect` opens a fresh connection when the
/// connection no longer works (the server went away).
pub async fn run(
    shared: std::sync::Arc<Shared>,
    reconnect: store::backend::Connector,
    mut conn: Conn,
    checkpoints: Option<store::checkpoint::Checkpointer>,
    mut rx: mpsc::Receiver<Envelope>,
) {
    // Commands another process's transaction got in the way of, with their tries so far:
    // they go first in the next batch.
    let mut again: Vec<(Envelope, u8)> = Vec::new();
    loop {
        let mut batch = std::mem::take(&mut again);
        if batch.is_empty() {
            match rx.recv().await {
                Some(first) => batch.push((first, 0)),
                None => break,
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push((e, 0)),
                Err(_) => break,
            }
        }
        let now = shared.clock.now();
        let started = std::time::Instant::now();
        let (envelopes, tries): (Vec<Envelope>, Vec<u8>) = batch.into_iter().unzip();
        let (commands, replies): (Vec<Command>, Vec<_>) = envelopes
            .into_iter()
            .map(|e| (e.command, (e.reply, e.span)))
            .unzip();
        let (replies, spans): (Vec<_>, Vec<_>) = replies.into_iter().unzip();
        let mut outcome = Err(store::Error::Conflict(0));
        for attempt in 0..CONTENDED_RETRIES {
            outcome = match transaction(
                &shared,
                &mut conn,
                &commands,
                &spans,
                now,
                Isolation::Shared,
            )
            .await
            {
                Ok(None) => {
                    if let Some(observer) = shared.observer.get() {
                        observer.batch_run_again();
                    }
                    transaction(
                        &shared,
                        &mut conn,
                        &commands,
                        &spans,
                        now,
                        Isolation::Savepoints,
                    )
                    .await
                }
                other => other,
            };
            match &outcome {
                Err(e) if e.contended() && attempt + 1 < CONTENDED_RETRIES => {
                    tracing::debug!(error = %e, "a batch met another process's transaction; it runs again");
                    conn.recover().await;
                }
                _ => break,
            }
        }
        match outcome {
            Ok(results) => {
                if let Some(c) = &checkpoints {
                    c.committed();
                }
                if let Some(observer) = shared.observer.get() {
                    observer.batch_committed(commands.len(), started.elapsed());
                }
                let results = results.into_iter().flatten();
                for ((((command, reply), span), result), tried) in commands
                    .into_iter()
                    .zip(replies)
                    .zip(spans)
                    .zip(results)
                    .zip(tries)
                {
                    match result {
                        Err(Error::Store(e)) if e.contended() && tried + 1 < CONTENDED_RETRIES => {
                            again.push((
                                Envelope {
                                    command,
                                    reply,
                                    span,
                                },
                                tried + 1,
                            ));
                        }
                        result => {
                            let _ = reply.send(result.map_err(|e| refused(&shared, e)));
                        }
                    }
                }
                // A permit, not a wake-up of whoever waits now: the job loop may be between
                // its lease and its wait, and must not miss the jobs this batch queued.
                if conn.has_made_work() {
                    shared.work_ready.notify_one();
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch failed to commit; every command in it is answered with the error");
                let why = e.unavailable();
                for reply in replies {
                    if let Some(why) = why {
                        tell(&shared, why);
                    }
                    let _ = reply.send(Err(Error::Unavailable(e.to_string())));
                }
                renew(&reconnect, &mut conn).await;
            }
        }
    }
    conn.close().await;
}

/// After a batch that failed: whatever transaction is left is ended (the database may have
/// ended it by itself: SQLite does after `SQLITE_FULL`, an I/O error or running out of
/// memory), and when the connection no longer answers, the writer starts over on a fresh
/// one; nothing is lost, since nothing of the failed batch was acknowledged.
async fn renew(reconnect: &store::backend::Connector, conn: &mut Conn) {
    if conn.recover().await {
        return;
    }
    match reconnect.connect().await {
        Ok(fresh) => {
            tracing::warn!(
                "the database ended the writer's transaction by itself, or stopped answering; the writer continues on a fresh connection"
            );
            std::mem::replace(conn, fresh).close().await;
        }
        Err(e) => {
            tracing::error!(error = %e, "the writer could not open a fresh connection; it goes on with the old one")
        }
    }
}

/// A command the database refused for a while (locked, full: [`store::Unavailable`]) is
/// answered [`Error::Unavailable`], the API's 503: nothing of it was written, and the same
/// command succeeds once the condition passes, so the caller is told to try again rather
/// than that something failed on our side. Any other error is answered as it is.
fn refused(shared: &Shared, e: Error) -> Error {
    match &e {
        Error::Store(s) => match s.unavailable() {
            Some(why) => {
                tell(shared, why);
                Error::Unavailable(s.to_string())
            }
            None => e,
        },
        _ => e,
    }
}

/// Tells the service's watch (the metrics) of one command answered unavailable.
fn tell(shared: &Shared, why: store::Unavailable) {
    if let Some(watch) = shared.unavailable.get() {
        watch(why);
    }
}

/// How the commands of a batch are kept apart inside its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// No savepoints: a command that fails has written nothing, unless it failed with a
    /// store error, which abandons the whole attempt.
    Shared,
    /// A savepoint per command (and per timer fired): the slow path after a store error.
    Savepoints,
}

/// Runs a batch in one transaction and commits it; `None` when a store error abandoned an
/// attempt without savepoints, and the batch must run again with them.
async fn transaction(
    shared: &Shared,
    conn: &mut Conn,
    commands: &[Command],
    spans: &[tracing::Span],
    now: DateTime<Utc>,
    isolation: Isolation,
) -> Result<Option<Vec<Result<Reply, Error>>>, store::Error> {
    use tracing::Instrument as _;
    // The write lock first: see the module's documentation.
    conn.begin().await?;
    let mut results = Vec::with_capacity(commands.len());
    for (i, (command, span)) in commands.iter().zip(spans).enumerate() {
        let result = match isolation {
            Isolation::Shared => {
                // What a command that is not held reads or writes may be what is held.
                let ready = if holds(command) {
                    if conn.hold_writes() {
                        conn.read_ahead(ahead(&commands[i..]));
                    }
                    Ok(())
                } else {
                    conn.stop_holding().await
                };
                let result = match ready {
                    Ok(()) => {
                        handle(shared, conn, command, now, isolation)
                            .instrument(span.clone())
                            .await
                    }
                    Err(e) => Err(Error::Store(e)),
                };
                if let Err(Error::Store(e)) = result {
                    tracing::warn!(error = %e, "a command failed in the database; its batch runs again, each command in a savepoint");
                    // A rollback that finds no transaction: SQLite ended it itself (a full
                    // disk, an I/O error), and the batch fails with what ended it.
                    return match conn.rollback().await {
                        Ok(()) => Ok(None),
                        Err(_) => Err(e),
                    };
                }
                result
            }
            Isolation::Savepoints => {
                conn.begin().await?;
                let result = handle(shared, conn, command, now, isolation)
                    .instrument(span.clone())
                    .await;
                if result.is_ok() {
                    conn.commit().await?;
                } else if let Err(gone) = conn.rollback().await {
                    // As above: the whole transaction is gone, the batch with it.
                    return Err(match result {
                        Err(Error::Store(e)) => e,
                        _ => gone,
                    });
                }
                result
            }
        };
        results.push(result);
    }
    if let Err(e) = conn.stop_holding().await {
        tracing::warn!(error = %e, "a batch's held writes failed in the database; it runs again, each command in a savepoint");
        return match conn.rollback().await {
            Ok(()) => Ok(None),
            Err(_) => Err(e),
        };
    }
    tx::announce_work(conn, &shared.process).await?;
    conn.commit().await?;
    Ok(Some(results))
}

/// Whether a command's writes are held to the end of the batch on the fast path
/// (`store::held`): those that write a case's transition, a job's outcome or a history
/// note, and read nothing but the cases, tasks and jobs the held writes answer for (a
/// batch of due timers writes what is held before its look). Every other command runs
/// after what is held is written.
fn holds(command: &Command) -> bool {
    match command {
        Command::Event { .. }
        | Command::JobDone { .. }
        | Command::Note(_)
        | Command::FireTimers { .. } => true,
        // An idempotency key's row and the portal's evidence name the case they open.
        Command::Submit { key, signed, .. } => key.is_none() && signed.is_none(),
        Command::Audited(inner, _) => holds(inner),
        _ => false,
    }
}

/// The tasks and jobs named by the commands from the first of `commands` to the first whose
/// writes are not held (which ends the holding), read together, and how many cases they
/// open, whose ids are taken together (`store::held::Ahead`).
fn ahead(commands: &[Command]) -> store::held::Ahead {
    let mut ahead = store::held::Ahead::default();
    for command in commands.iter().take_while(|c| holds(c)) {
        let mut command = command;
        while let Command::Audited(inner, _) = command {
            command = inner;
        }
        if let Command::Submit { .. } = command {
            ahead.opening += 1;
        }
        if let Command::Event { case, .. } = command {
            match case {
                CaseRef::Task(key) => ahead.tasks.push(key.clone()),
                CaseRef::Job(key) => ahead.jobs.push(key.clone()),
                CaseRef::Number(_) => {}
            }
        }
    }
    ahead
}

/// Runs one command. It checks and computes everything before its first write: failing
/// with anything but [`Error::Store`], it has written nothing.
async fn handle(
    shared: &Shared,
    conn: &mut Conn,
    command: &Command,
    now: DateTime<Utc>,
    isolation: Isolation,
) -> Result<Reply, Error> {
    match command {
        Command::Submit {
            service,
            submission,
            key,
            signed,
        } => {
            if let Some(key) = key
                && let Some(opened) = store::idempotency::find(conn, &key.owner, &key.key).await?
            {
                return if opened.digest == key.digest {
                    Ok(Reply::Repeat(opened.number))
                } else {
                    Err(Error::IdempotencyKeyReused(key.key.clone()))
                };
            }
            let id = tx::next_case_id(conn).await?;
            let number = shared.registration_number(id, now);
            crate::telemetry::record_case(&number);
            let (def, calendar) = shared.in_force(service, now)?;
            let ctx = shared.context(def, calendar, now);
            let t = match signed {
                None => runtime::start(&ctx, id, &number, submission)?,
                Some(s) => runtime::start_signed(&ctx, id, &number, submission, &s.answers)?,
            };
            tx::write(conn, &t, None, now).await?;
            // The portal's evidence with the case it opens: one transaction, so neither is
            // ever kept without the other.
            if let Some(s) = signed {
                store::portal::record(conn, id, &s.evidence, now).await?;
            }
            if let Some(key) = key {
                store::idempotency::remember(conn, &key.owner, &key.key, &key.digest, id, now)
                    .await?;
            }
            Ok(Reply::Number(number))
        }
        Command::Event { case, event } => {
            let state = match case {
                CaseRef::Number(n) => tx::case_by_number(conn, n)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("case {n}")))?,
                CaseRef::Task(key) => {
                    let (state, status, assignee) = tx::task_case(conn, key)
                        .await?
                        .ok_or_else(|| Error::NotFound(format!("task {key}")))?;
                    if status == store::TaskStatus::Closed {
                        return Err(Error::Conflict(format!("task {key} is already completed")));
                    }
                    if let (
                        Event::TaskCompleted {
                            by: Actor::Clerk(clerk),
                            ..
                        },
                        Some(holder),
                    ) = (event, &assignee)
                        && holder != clerk
                    {
                        return Err(Error::Conflict(format!(
                            "task {key} is claimed by another clerk"
                        )));
                    }
                    state
                }
                CaseRef::Job(key) => {
                    let (state, status, attempts) = tx::job_case(conn, key)
                        .await?
                        .ok_or_else(|| Error::NotFound(format!("job {key}")))?;
                    // The outcome of a job that was sent: its own attempt's, or an answer to
                    // any of its sends, once. A repeat finds it finished and changes nothing.
                    if status.is_final() {
                        return Err(Error::Conflict(format!(
                            "job {key} no longer awaits an outcome: it is {status}"
                        )));
                    }
                    if attempts == 0 {
                        return Err(Error::Conflict(format!("job {key} has not been sent")));
                    }
                    state
                }
            };
            apply_to(shared, conn, state, event, now).await?;
            match (case, event) {
                (CaseRef::Job(key), Event::JobSucceeded { output, .. }) => {
                    tx::job_done(conn, key, output, now).await?
                }
                (CaseRef::Job(key), Event::JobFailed { error, .. }) => {
                    tx::job_failed(conn, key, error, now).await?
                }
                _ => {}
            }
            Ok(Reply::Done)
        }
        Command::Claim { key, by } => {
            if tx::claim(conn, key, by, now).await? {
                Ok(Reply::Done)
            } else {
                Err(Error::Conflict(format!("task {key} is not open to claim")))
            }
        }
        Command::Unclaim { key, by } => {
            if tx::unclaim(conn, key, by, now).await? {
                Ok(Reply::Done)
            } else {
                Err(Error::Conflict(format!(
                    "task {key} is not claimed by {by}"
                )))
            }
        }
        Command::Steer(s) => {
            // The one statement that decides: nothing is written before it, and it changes
            // nothing unless the task is still open and held by whom the caller saw.
            let Some(case_id) =
                store::department::move_task(conn, &s.key, s.from.as_deref(), s.to.as_deref(), now)
                    .await?
            else {
                return Err(Error::Conflict(format!(
                    "task {} was completed or moved meanwhile",
                    s.key
                )));
            };
            let actor = Actor::Clerk(s.by.clone());
            store::department::note_at_step(conn, case_id, &actor, s.kind, &s.step, &s.detail, now)
                .await?;
            for job in &s.notices {
                store::department::enqueue_notice(conn, case_id, job, now).await?;
            }
            Ok(Reply::Done)
        }
        Command::FireTimers { limit } => {
            // The look sees the timers held writes set; their cases in one read.
            conn.write_held().await?;
            let due = tx::take_due_timers(conn, now, *limit).await?;
            let count = due.len();
            let ids: Vec<i64> = due.iter().map(|t| t.case_id).collect();
            tx::read_cases(conn, &ids).await?;
            for timer in due {
                let outcome = match isolation {
                    Isolation::Shared => match fire(shared, conn, &timer, now).await {
                        Err(e @ Error::Store(_)) => return Err(e),
                        other => other,
                    },
                    // Each timer apart, so one the database refuses does not hold back the rest.
                    Isolation::Savepoints => {
                        conn.begin().await?;
                        let outcome = fire(shared, conn, &timer, now).await;
                        if outcome.is_ok() {
                            conn.commit().await?;
                        } else {
                            conn.rollback().await?;
                        }
                        outcome
                    }
                };
                if let Err(e) = outcome {
                    // A timer the case cannot take (data it lacks, a date past the
                    // calendar): keep it, look again in an hour, and say so loudly.
                    tracing::error!(timer = %timer.key, case_id = timer.case_id, error = %e, "a timer could not fire");
                    tx::put_back_timer(conn, &timer, now + Duration::hours(1), now).await?;
                }
            }
            Ok(Reply::Count(count))
        }
        Command::LeaseJobs { limit, lease } => Ok(Reply::Jobs(
            tx::lease_jobs(conn, &shared.process, now, now + *lease, *limit).await?,
        )),
        Command::JobDone { key, output, note } => {
            tx::job_done(conn, key, output, now).await?;
            write_note(conn, note.as_ref(), now).await?;
            Ok(Reply::Done)
        }
        Command::JobDefer {
            key,
            at,
            reason,
            note,
        } => {
            tx::job_defer(conn, key, *at, reason, now).await?;
            write_note(conn, note.as_ref(), now).await?;
            Ok(Reply::Done)
        }
        Command::JobRetry {
            key,
            next_at,
            error,
            note,
        } => {
            tx::job_retry(conn, key, *next_at, error, now).await?;
            write_note(conn, note.as_ref(), now).await?;
            Ok(Reply::Done)
        }
        Command::JobAwait {
            key,
            answer_by,
            note,
        } => {
            // Its answer may have come first; then the acknowledgement is old news.
            if tx::job_await(conn, key, *answer_by, now).await? {
                write_note(conn, note.as_ref(), now).await?;
            }
            Ok(Reply::Done)
        }
        Command::AnswersOverdue { limit } => {
            let overdue = tx::unanswered(conn, now, *limit).await?;
            let count = overdue.len();
            for o in overdue {
                let command = super::jobs::unanswered(&o.job, o.acknowledged_at, o.due_at, now);
                let outcome = match isolation {
                    Isolation::Shared => {
                        match Box::pin(handle(shared, conn, &command, now, isolation)).await {
                            Err(e @ Error::Store(_)) => return Err(e),
                            other => other,
                        }
                    }
                    // Each apart, so one the database refuses does not hold back the rest.
                    Isolation::Savepoints => {
                        conn.begin().await?;
                        let outcome =
                            Box::pin(handle(shared, conn, &command, now, isolation)).await;
                        if outcome.is_ok() {
                            conn.commit().await?;
                        } else {
                            conn.rollback().await?;
                        }
                        outcome
                    }
                };
                match outcome {
                    Ok(_) => {}
                    // The case moved on (withdrawn, closed): nothing waits for the answer.
                    Err(Error::Runtime(
                        runtime::Error::Stale(_) | runtime::Error::Closed { .. },
                    )) => {
                        tx::job_failed(
                            conn,
                            &o.job.key,
                            "no answer came; its case no longer waits for it",
                            now,
                        )
                        .await?
                    }
                    Err(e) => {
                        tracing::error!(job = %o.job.key, error = %e, "an overdue answer could not be handled");
                        tx::job_incident(conn, &o.job.key, &e.to_string(), now).await?;
                    }
                }
            }
            Ok(Reply::Count(count))
        }
        Command::JobIncident { key, error, note } => {
            tx::job_incident(conn, key, error, now).await?;
            write_note(conn, note.as_ref(), now).await?;
            Ok(Reply::Done)
        }
        Command::RetryIncident { key } => {
            if tx::retry_incident(conn, key, now).await? {
                Ok(Reply::Done)
            } else {
                Err(Error::NotFound(format!("incident {key}")))
            }
        }
        Command::Note(note) => {
            write_note(conn, Some(note), now).await?;
            Ok(Reply::Done)
        }
        Command::Audited(inner, entry) => {
            let reply = Box::pin(handle(shared, conn, inner, now, isolation)).await?;
            match (&reply, &entry.object) {
                // A repeated submission did nothing: there is nothing to journal.
                (Reply::Repeat(_), _) => {}
                // A submission's record names the case it opened.
                (Reply::Number(number), None) => {
                    append_audit(conn, &entry.clone().object(number), now).await?
                }
                _ => append_audit(conn, entry, now).await?,
            }
            Ok(reply)
        }
        Command::Audit(entry) => {
            append_audit(conn, entry, now).await?;
            Ok(Reply::Done)
        }
        Command::Transact(f) => {
            conn.begin().await?;
            if f(conn, now).await {
                conn.commit().await?;
            } else {
                conn.rollback().await?;
            }
            Ok(Reply::Done)
        }
        Command::ReleaseLeases => Ok(Reply::Count(
            tx::release_leases(conn, &shared.process).await? as usize,
        )),
        Command::FireSchedules => Ok(Reply::Count(
            super::schedules::fire_due(shared, conn, now).await?,
        )),
    }
}

async fn append_audit(
    conn: &mut Conn,
    entry: &crate::audit::Entry,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    store::audit::append(conn, entry, now)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            store::audit::Error::Database(e) => Error::Store(e),
            other => Error::Unavailable(format!("the audit journal: {other}")),
        })
}

async fn write_note(conn: &mut Conn, note: Option<&Note>, now: DateTime<Utc>) -> Result<(), Error> {
    if let Some(n) = note {
        tx::note(
            conn,
            n.case_id,
            &runtime::Actor::Engine,
            &n.kind,
            &n.detail,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Fires one timer taken by [`tx::take_due_timers`]; one the case no longer waits for is
/// simply gone. Failing with anything but a store error, it has written nothing.
async fn fire(
    shared: &Shared,
    conn: &mut Conn,
    timer: &TimerRow,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    use tracing::Instrument as _;
    let event = Event::TimerFired {
        timer: timer.key.clone(),
        purpose: timer.purpose.clone(),
        due_at: timer.due_at,
    };
    let span = crate::telemetry::timer_span(&timer.key, timer.case_id);
    match apply(shared, conn, timer.case_id, &event, now)
        .instrument(span)
        .await
    {
        Ok(()) | Err(Error::Runtime(runtime::Error::Stale(_) | runtime::Error::Closed { .. })) => {
            if let Some(observer) = shared.observer.get() {
                observer.timer_fired(now - timer.due_at);
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Loads a case, applies the event with the pure core, writes the transition.
async fn apply(
    shared: &Shared,
    conn: &mut Conn,
    id: i64,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let state = tx::case(conn, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("case {id}")))?;
    apply_to(shared, conn, state, event, now).await
}

/// Applies the event to a case read (and, on a shared database, locked) in this
/// transaction, and writes the transition.
async fn apply_to(
    shared: &Shared,
    conn: &mut Conn,
    state: runtime::CaseState,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    crate::telemetry::record_case(&state.number);
    let (def, calendar) = shared.pinned(&state.service, &state.version)?;
    let ctx = shared.context(def, calendar, now);
    let t = runtime::apply(&ctx, &state, event)?;
    tx::write(conn, &t, Some(&state), now).await?;
    Ok(())
}
