//! The imperative shell: the engine that runs cases durably.
//!
//! [`Engine`] is the handle the API and the CLI use. Every change goes to the writer
//! ([`writer`]) as a command and is answered after its commit. Background loops fire due
//! timers and perform outbox jobs ([`jobs`]); they stop on a cancellation token, finishing
//! or handing back what they hold.

pub mod announce;
pub mod idempotency;
pub mod jobs;
pub mod outbox;
pub mod schedules;
pub mod writer;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Datelike, Duration, Utc};
use indexmap::IndexMap;
use serde_json::Value;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::calendar::Calendar;
use crate::clock::Clock;
use crate::definition::{self, Definition, Kind, Library};
use crate::runtime::{self, Actor, CaseState, Event, HistoryEntry, Settings, Submission};
use crate::store::{self, JobRow, Store, TaskRow};
use writer::{CaseRef, Command, Envelope, Reply};

/// Why an engine call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The case, task or job does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The call conflicts with the state (completed twice, claimed by someone else).
    #[error("conflict: {0}")]
    Conflict(String),
    /// No version of the service is in force.
    #[error("no version of service `{0}` is in force")]
    NoService(String),
    /// The runtime refused the event.
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The idempotency key opened a case for another application.
    #[error("the idempotency key `{0}` was used for another application")]
    IdempotencyKeyReused(String),
    /// The engine is stopping, its writer failed, or the database refused for a while
    /// (`store::Unavailable`: locked by another program past the lock wait, the disk full);
    /// nothing of the command was written.
    #[error("the engine is unavailable: {0}")]
    Unavailable(String),
    /// The definitions or calendars could not be loaded.
    #[error("cannot start: {0}")]
    Setup(String),
}

/// What the engine needs to start.
pub struct Config {
    /// The database: an SQLite file (created if missing) or a shared PostgreSQL.
    pub database: store::Location,
    /// The workflows folder.
    pub workflows: PathBuf,
    /// The calendars folder.
    pub calendars: PathBuf,
    /// Installation settings.
    pub settings: Settings,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Who performs the outbox jobs.
    pub performer: Arc<dyn jobs::Performer>,
    /// The prefix of registration numbers.
    pub number_prefix: String,
}

/// What the writer and the loops share.
pub struct Shared {
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub settings: Settings,
    /// Every version, by (service, version).
    pub definitions: HashMap<(String, String), Definition>,
    /// Sub-workflows by id.
    pub subworkflows: IndexMap<String, Definition>,
    /// The library, to pick the version in force.
    pub library: Library,
    /// Calendars by id.
    pub calendars: HashMap<String, Calendar>,
    /// Wakes the loops when a commit made work.
    pub work_ready: Notify,
    /// The registration-number prefix.
    pub number_prefix: String,
    /// The workflows folder the definitions were loaded from: where a version deployed
    /// through the API is written, to be loaded at the next start.
    pub workflows: PathBuf,
    /// Who tells the organisations of a version deployed through the API (the service's
    /// notifier); unset, nobody is told.
    pub announcer: OnceLock<Arc<dyn announce::Announcer>>,
    /// Told of each command the writer answers [`Error::Unavailable`] because the database
    /// could not be written (the service counts them on `/metrics`); unset, nobody is told.
    pub unavailable: OnceLock<UnavailableWatch>,
    /// Told of each batch committed and each timer fired (the service's metrics); unset,
    /// nobody is told.
    pub observer: OnceLock<Arc<dyn Observer>>,
    /// This process's name on the job leases it takes ([`Store::process`]).
    pub process: String,
}

/// Told of a command the database refused for a while ([`store::Unavailable`]: locked by
/// another program, the disk full), once per command answered 503.
pub type UnavailableWatch = Arc<dyn Fn(store::Unavailable) + Send + Sync>;

/// Told how the writer and the timers keep up (the service's `/metrics`): handed to the engine
/// as a value ([`Engine::observe`]), not read from a global, so each engine in a test process
/// has its own. Called on the writer's task, inside its loop: it must not block.
pub trait Observer: Send + Sync {
    /// A batch of `commands` committed, `took` from its `begin` to its commit (what every
    /// command in it waited for together).
    fn batch_committed(&self, commands: usize, took: std::time::Duration);
    /// A timer fired `late` after the time it was due (the timer loop's poll, a storm, the
    /// engine being down). Told as it fires, before its batch commits: a batch run again
    /// after a store error tells its timers again (rare, and it only weighs the histogram).
    fn timer_fired(&self, late: Duration);
    /// A batch met a store error on its fast path (a command the database refused, a
    /// conflict of its held writes) and runs again, each command in a savepoint: it still
    /// commits, slower. Many of these say something is wrong with the database or the
    /// engine's batching.
    fn batch_run_again(&self);
}

impl Shared {
    /// `QZ-2026-000123`: readable, unique (the case id), and dated by the year of acceptance.
    pub fn registration_number(&self, id: i64, now: DateTime<Utc>) -> String {
        format!("{}-{}-{id:06}", self.number_prefix, now.year())
    }

    /// The version of a service in force now, with its calendar.
    pub fn in_force(
        &self,
        service: &str,
        now: DateTime<Utc>,
    ) -> Result<(&Definition, &Calendar), Error> {
        let def = self
            .library
            .in_force(service, now.with_timezone(&crate::clock::ZONE).date_naive())
            .ok_or_else(|| Error::NoService(service.to_string()))?;
        Ok((def, self.calendar(&def.calendar)?))
    }

    /// The definition and step a task's or history line's step path names in `def`:
    /// `review`, or `hearing/hold_hearing` inside the sub-workflow the `hearing` call step
    /// runs. The pages and the department's notices both read a task's step by its path.
    pub fn step_at<'a>(
        &'a self,
        def: &'a Definition,
        path: &str,
    ) -> Option<(&'a Definition, &'a definition::Step)> {
        let mut def = def;
        let mut names = path.split('/').peekable();
        while let Some(name) = names.next() {
            let step = def.step(def.step_named(name)?);
            if names.peek().is_none() {
                return Some((def, step));
            }
            let definition::StepKind::Call { workflow, .. } = &step.kind else {
                return None;
            };
            def = self.subworkflows.get(workflow)?;
        }
        None
    }

    /// The version a case is pinned to.
    pub fn pinned(&self, service: &str, version: &str) -> Result<(&Definition, &Calendar), Error> {
        let def = self
            .definitions
            .get(&(service.to_string(), version.to_string()))
            .ok_or_else(|| Error::Setup(format!("version {version} of {service} is not loaded")))?;
        Ok((def, self.calendar(&def.calendar)?))
    }

    /// A loaded calendar by id.
    pub fn calendar(&self, id: &str) -> Result<&Calendar, Error> {
        self.calendars
            .get(id)
            .ok_or_else(|| Error::Setup(format!("calendar {id} is not loaded")))
    }

    /// The runtime context for one transition.
    pub fn context<'a>(
        &'a self,
        def: &'a Definition,
        calendar: &'a Calendar,
        now: DateTime<Utc>,
    ) -> runtime::Context<'a> {
        runtime::Context {
            definition: def,
            subworkflows: &self.subworkflows,
            calendar,
            settings: &self.settings,
            now,
        }
    }
}

/// The running engine.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    store: Store,
    tx: mpsc::Sender<Envelope>,
    performer: Arc<dyn jobs::Performer>,
    /// The audit record the next action commits with (see [`Engine::recording`]).
    record: Option<Arc<crate::audit::Entry>>,
}

/// An engine handle for what the engine itself owns (a performer that writes through the
/// writer): a strong [`Engine`] there would be a cycle that keeps the writer, and the
/// database's lock, alive after the service has stopped. It can only transact, and says
/// [`Error::Unavailable`] once the engine is gone.
#[derive(Clone)]
pub struct WeakEngine {
    tx: mpsc::WeakSender<Envelope>,
}

impl WeakEngine {
    /// [`Engine::transact`], while the engine runs.
    pub async fn transact<T, E, F>(&self, f: F) -> Result<Result<T, E>, Error>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: for<'c> Fn(&'c mut store::Conn, DateTime<Utc>) -> jobs::BoxFuture<'c, Result<T, E>>
            + Send
            + Sync
            + 'static,
    {
        let stopped = || Error::Unavailable("the engine has stopped".into());
        let tx = self.tx.upgrade().ok_or_else(stopped)?;
        let slot: Arc<std::sync::Mutex<Option<Result<T, E>>>> = Arc::default();
        let out = slot.clone();
        let txn: writer::Txn = Box::new(move |conn, now| {
            let fut = f(conn, now);
            let out = out.clone();
            Box::pin(async move {
                let result = fut.await;
                let keep = result.is_ok();
                *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                keep
            })
        });
        let (reply, rx) = oneshot::channel();
        tx.send(Envelope {
            command: Command::Transact(txn),
            reply,
            span: tracing::Span::current(),
        })
        .await
        .map_err(|_| stopped())?;
        drop(tx);
        rx.await.map_err(|_| stopped())??;
        let result = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        result.ok_or_else(|| Error::Unavailable("the transaction did not run".into()))
    }
}

/// Where a performer the engine owns keeps its engine: set once the engine has started
/// ([`EngineSlot::set`]), weakly (a [`WeakEngine`]). Work that reaches the performer before
/// then is retried: the engine starts its performers before it exists itself.
#[derive(Default)]
pub struct EngineSlot(std::sync::OnceLock<WeakEngine>);

impl EngineSlot {
    /// Keeps `engine` (once; later calls are ignored).
    pub fn set(&self, engine: &Engine) {
        let _ = self.0.set(engine.downgrade());
    }

    /// The engine, or a retryable error while it is still starting.
    pub fn get(&self) -> Result<&WeakEngine, jobs::JobError> {
        self.0
            .get()
            .ok_or_else(|| jobs::JobError::Retryable("the engine is still starting".into()))
    }
}

/// A case with what a clerk's page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseView {
    /// The state.
    pub case: CaseState,
    /// The history, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Its open tasks.
    pub tasks: Vec<TaskRow>,
}

impl Engine {
    /// Loads the definitions and calendars, opens the store, deploys the versions, and
    /// starts the writer. The loops are started by [`Engine::spawn_loops`].
    pub async fn start(config: Config) -> Result<Engine, Error> {
        Self::start_with(config, Store::LOCK_WAIT).await
    }

    /// [`Engine::start`], with a command waiting at most `lock_wait` for the database while
    /// another program holds its write lock; past it, the command is answered
    /// [`Error::Unavailable`] and nothing of it is written.
    pub async fn start_with(
        config: Config,
        lock_wait: std::time::Duration,
    ) -> Result<Engine, Error> {
        let store = Store::open_with(&config.database, lock_wait).await?;
        let mut library = load_library(&config.workflows)?;
        // Versions another process deployed through the API since this folder was copied:
        // written into it as that process wrote them, then loaded with the rest.
        if fetch_deployed(&store, &library, &config.workflows).await? > 0 {
            library = load_library(&config.workflows)?;
        }
        let mut calendars = HashMap::new();
        for def in &library.definitions {
            if !calendars.contains_key(&def.calendar) {
                let cal = Calendar::load(&config.calendars, &def.calendar)
                    .map_err(|e| Error::Setup(e.to_string()))?;
                calendars.insert(def.calendar.clone(), cal);
            }
        }
        deploy(&store, &library, config.clock.now()).await?;
        recover(&store).await?;
        // Cases older than the search index (or imported) are found by IIN and name too.
        store.derive_case_index().await?;
        let definitions = library
            .definitions
            .iter()
            .filter(|d| d.kind == Kind::Service)
            .map(|d| ((d.id.clone(), d.version.clone()), d.clone()))
            .collect();
        let subworkflows = library
            .definitions
            .iter()
            .filter(|d| d.kind == Kind::Subworkflow)
            .map(|d| (d.id.clone(), d.clone()))
            .collect();
        let shared = Arc::new(Shared {
            clock: config.clock,
            settings: config.settings,
            definitions,
            subworkflows,
            library,
            calendars,
            work_ready: Notify::new(),
            number_prefix: config.number_prefix,
            workflows: config.workflows,
            announcer: OnceLock::new(),
            unavailable: OnceLock::new(),
            observer: OnceLock::new(),
            process: store.process().to_string(),
        });
        let (tx, rx) = mpsc::channel(4 * writer::MAX_BATCH);
        // The writer commits; the log's checkpoints are made beside it (`store::checkpoint`).
        let reconnect = store.reconnect().without_autocheckpoint();
        let conn = reconnect.connect().await?;
        let checkpoints = crate::store::checkpoint::Checkpointer::start(&store.reconnect());
        tokio::spawn(writer::run(
            shared.clone(),
            reconnect,
            conn,
            checkpoints,
            rx,
        ));
        Ok(Engine {
            shared,
            store,
            tx,
            performer: config.performer,
            record: None,
        })
    }

    /// The store, for reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The shared state (definitions, clock).
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// This engine, recording `entry` in the audit journal in the same transaction as the
    /// action called on it: a clerk's claim and its record commit together or not at all.
    /// `engine.recording(entry).complete(…)`.
    pub fn recording(&self, entry: crate::audit::Entry) -> Engine {
        Engine {
            record: Some(Arc::new(entry)),
            ..self.clone()
        }
    }

    async fn send(&self, command: Command) -> Result<Reply, Error> {
        let command = match &self.record {
            Some(entry) => Command::Audited(Box::new(command), (**entry).clone()),
            None => command,
        };
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Envelope {
                command,
                reply,
                span: tracing::Span::current(),
            })
            .await
            .map_err(|_| Error::Unavailable("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| Error::Unavailable("the writer has stopped".into()))?
    }

    /// Opens a case; returns its registration number.
    pub async fn submit(&self, service: &str, submission: Submission) -> Result<String, Error> {
        Ok(self.submit_once(service, submission, None).await?.number)
    }

    /// Opens a case, once per idempotency key: a repeat of `key` with the same application
    /// answers the case it opened and opens nothing ([`Filed::repeat`]); with another
    /// application it is refused ([`Error::IdempotencyKeyReused`]).
    pub async fn submit_once(
        &self,
        service: &str,
        submission: Submission,
        key: Option<idempotency::IdempotencyKey>,
    ) -> Result<idempotency::Filed, Error> {
        match self
            .send(Command::Submit {
                service: service.to_string(),
                submission,
                key,
                signed: None,
            })
            .await?
        {
            Reply::Number(number) => Ok(idempotency::Filed {
                number,
                repeat: false,
            }),
            Reply::Repeat(number) => Ok(idempotency::Filed {
                number,
                repeat: true,
            }),
            other => Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        }
    }

    /// Opens a case filed through the eGov portal, once per idempotency key as
    /// [`Engine::submit_once`]: the application is checked, each signed answer against its
    /// connector's contract (`runtime::start_signed`), and the case opens with its evidence in
    /// one transaction, or nothing is written.
    pub async fn submit_signed(
        &self,
        service: &str,
        submission: Submission,
        signed: crate::store::portal::Filing,
        key: Option<idempotency::IdempotencyKey>,
    ) -> Result<idempotency::Filed, Error> {
        match self
            .send(Command::Submit {
                service: service.to_string(),
                submission,
                key,
                signed: Some(Box::new(signed)),
            })
            .await?
        {
            Reply::Number(number) => Ok(idempotency::Filed {
                number,
                repeat: false,
            }),
            Reply::Repeat(number) => Ok(idempotency::Filed {
                number,
                repeat: true,
            }),
            other => Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        }
    }

    /// A clerk takes a task from the queue.
    pub async fn claim(&self, key: &str, by: &str) -> Result<(), Error> {
        self.send(Command::Claim {
            key: key.into(),
            by: by.into(),
        })
        .await
        .map(|_| ())
    }

    /// A clerk puts a task back in the queue.
    pub async fn unclaim(&self, key: &str, by: &str) -> Result<(), Error> {
        self.send(Command::Unclaim {
            key: key.into(),
            by: by.into(),
        })
        .await
        .map(|_| ())
    }

    /// A supervisor moves a task (reassigns, takes over, releases): one transaction with its
    /// history line, its notices and the audit record this engine records ([`Engine::recording`]);
    /// [`Error::Conflict`] when the task was completed or moved meanwhile.
    pub async fn steer(&self, steering: writer::Steering) -> Result<(), Error> {
        self.send(Command::Steer(steering)).await.map(|_| ())
    }

    /// A clerk completes a task.
    pub async fn complete(
        &self,
        key: &str,
        outcome: &str,
        form: Value,
        by: &str,
    ) -> Result<(), Error> {
        let event = Event::TaskCompleted {
            task: key.into(),
            outcome: outcome.into(),
            form,
            by: Actor::Clerk(by.into()),
        };
        self.send(Command::Event {
            case: CaseRef::Task(key.into()),
            event,
        })
        .await
        .map(|_| ())
    }

    /// A message for a case (the citizen's objection).
    pub async fn message(
        &self,
        number: &str,
        name: &str,
        payload: Value,
        by: Actor,
    ) -> Result<(), Error> {
        let event = Event::MessageReceived {
            name: name.into(),
            payload,
            by,
        };
        self.send(Command::Event {
            case: CaseRef::Number(number.into()),
            event,
        })
        .await
        .map(|_| ())
    }

    /// The answer to a data request sent on the gateway's asynchronous channel, `job` being
    /// its correlation id: applied to its case exactly as a synchronous answer is — the
    /// answer mapped into the catalog's fields as the job's output (`Ok`), or the request's
    /// failure (`Err`, with why: an `ERROR` message, an answer that does not fit the
    /// contract) — in the transaction that finishes the job. [`Error::Conflict`] when the
    /// job awaits no answer (never sent, answered already, its failure path taken): a repeat
    /// changes nothing.
    pub async fn answer(
        &self,
        job: &str,
        outcome: Result<Value, String>,
        attempts: u32,
    ) -> Result<(), Error> {
        let event = match outcome {
            Ok(output) => Event::JobSucceeded {
                job: job.into(),
                output,
            },
            Err(error) => Event::JobFailed {
                job: job.into(),
                error,
                attempts,
            },
        };
        let applied = self
            .send(Command::Event {
                case: CaseRef::Job(job.into()),
                event,
            })
            .await;
        match applied {
            // The case moved on (withdrawn): the request is finished, so that its deadline
            // sends nothing again, and the answer goes nowhere.
            Err(Error::Runtime(runtime::Error::Stale(_) | runtime::Error::Closed { .. })) => {
                let plain = Engine {
                    record: None,
                    ..self.clone()
                };
                plain
                    .send(Command::JobDone {
                        key: job.into(),
                        output: Value::Null,
                        note: None,
                    })
                    .await?;
                Err(Error::Conflict(format!(
                    "the case of {job} no longer waits for its answer"
                )))
            }
            // The case cannot take an answer its contract allows (a mapping failed on it):
            // the answer was received, and the request is an incident an administrator
            // retries, as when the job loop meets the same (`Engine::perform`).
            Err(Error::Runtime(e)) => {
                tracing::error!(job, error = %e, "an asynchronous answer does not fit its case");
                self.send(Command::JobIncident {
                    key: job.into(),
                    error: e.to_string(),
                    note: None,
                })
                .await
                .map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Runs `f` on the writing connection inside the writer's transaction, in a savepoint of
    /// its own: kept when `f` answers `Ok`, rolled back when it answers `Err`. For the
    /// account and session changes of `crate::accounts`, which write several tables and
    /// journal themselves. `f` may run twice (see [`writer::Txn`]).
    pub async fn transact<T, E, F>(&self, f: F) -> Result<Result<T, E>, Error>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: for<'c> Fn(&'c mut store::Conn, DateTime<Utc>) -> jobs::BoxFuture<'c, Result<T, E>>
            + Send
            + Sync
            + 'static,
    {
        self.downgrade().transact(f).await
    }

    /// Hands over who tells of a version deployed through the API (once; later calls are
    /// ignored). See [`announce`].
    pub fn set_announcer(&self, announcer: Arc<dyn announce::Announcer>) {
        let _ = self.shared.announcer.set(announcer);
    }

    /// Hands over who is told of commands the database refused for a while (once; later
    /// calls are ignored). See [`UnavailableWatch`].
    pub fn watch_unavailable(&self, watch: UnavailableWatch) {
        let _ = self.shared.unavailable.set(watch);
    }

    /// Hands over who is told how the writer and the timers keep up (once; later calls are
    /// ignored). See [`Observer`].
    pub fn observe(&self, observer: Arc<dyn Observer>) {
        let _ = self.shared.observer.set(observer);
    }

    /// A handle that transacts without keeping the engine alive (see [`WeakEngine`]).
    pub fn downgrade(&self) -> WeakEngine {
        WeakEngine {
            tx: self.tx.downgrade(),
        }
    }

    /// Records an action in the audit journal.
    pub async fn audit(&self, entry: crate::audit::Entry) -> Result<(), Error> {
        self.send(Command::Audit(entry)).await.map(|_| ())
    }

    /// Adds a line to a case's history that is no transition (an SMS reported delivered).
    pub async fn note(&self, note: writer::Note) -> Result<(), Error> {
        self.send(Command::Note(note)).await.map(|_| ())
    }

    /// The citizen withdraws the application.
    pub async fn withdraw(&self, number: &str, by: Actor) -> Result<(), Error> {
        self.send(Command::Event {
            case: CaseRef::Number(number.into()),
            event: Event::Withdrawn { by },
        })
        .await
        .map(|_| ())
    }

    /// A case with its history and tasks.
    pub async fn case(&self, number: &str) -> Result<Option<CaseView>, Error> {
        let Some(case) = self.store.case_by_number(number).await? else {
            return Ok(None);
        };
        let history = self.store.history(case.id).await?;
        let tasks = self.store.tasks(None, None, Some(number)).await?;
        Ok(Some(CaseView {
            case,
            history,
            tasks,
        }))
    }

    /// Jobs waiting for an administrator.
    pub async fn incidents(&self) -> Result<Vec<JobRow>, Error> {
        Ok(self.store.incidents().await?)
    }

    /// An administrator retries an incident with a fresh budget.
    pub async fn retry_incident(&self, key: &str) -> Result<(), Error> {
        self.send(Command::RetryIncident { key: key.into() })
            .await
            .map(|_| ())
    }

    /// Fires one batch of due timers; returns how many.
    pub async fn fire_due_timers(&self, limit: u32) -> Result<usize, Error> {
        match self.send(Command::FireTimers { limit }).await? {
            Reply::Count(n) => Ok(n),
            other => Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        }
    }

    /// Sends again, or fails, one batch of requests whose answers on the asynchronous channel
    /// are overdue; returns how many.
    pub async fn answers_overdue(&self, limit: u32) -> Result<usize, Error> {
        match self.send(Command::AnswersOverdue { limit }).await? {
            Reply::Count(n) => Ok(n),
            other => Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        }
    }

    /// Leases one batch of ready jobs, performs them, records the outcomes; returns how many.
    pub async fn run_jobs_once(&self, limit: u32) -> Result<usize, Error> {
        let mut running = tokio::task::JoinSet::new();
        let count = self.start_jobs(limit, &mut running).await?;
        while let Some(done) = running.join_next().await {
            job_ended(done);
        }
        Ok(count)
    }

    /// Leases up to `limit` ready jobs and starts performing each in `running`, a task a
    /// job that ends once its outcome is recorded; returns how many.
    async fn start_jobs(
        &self,
        limit: u32,
        running: &mut tokio::task::JoinSet<Result<(), Error>>,
    ) -> Result<usize, Error> {
        let leased = match self
            .send(Command::LeaseJobs {
                limit,
                lease: jobs::LEASE,
            })
            .await?
        {
            Reply::Jobs(jobs) => jobs,
            other => return Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        };
        let count = leased.len();
        // The cases' numbers for the jobs' log spans, in one read for the batch; without
        // them (the read failed) the spans carry the case's id only.
        let numbers = match leased.is_empty() {
            true => Default::default(),
            false => {
                let ids: Vec<i64> = leased.iter().map(|j| j.case_id).collect();
                self.store.case_numbers(&ids).await.unwrap_or_default()
            }
        };
        for job in leased {
            use tracing::Instrument as _;
            let engine = self.clone();
            let span = crate::telemetry::job_span(&job, numbers.get(&job.case_id));
            running.spawn(async move { engine.perform(job).await }.instrument(span));
        }
        Ok(count)
    }

    async fn perform(&self, job: JobRow) -> Result<(), Error> {
        let outcome = self.performer.perform(&job.key, &job.work).await;
        let now = self.shared.clock.now();
        let command = jobs::record(&job, outcome, now);
        match self.send(command).await {
            // A late answer for a case that moved on (withdrawn): nothing to do.
            Err(Error::Runtime(runtime::Error::Stale(_) | runtime::Error::Closed { .. }))
            | Err(Error::Conflict(_)) => {
                let _ = self
                    .send(Command::JobDone {
                        key: job.key.clone(),
                        output: Value::Null,
                        note: None,
                    })
                    .await;
                Ok(())
            }
            Err(Error::Runtime(e)) => {
                // The answer does not fit the case (a mapping failed on it): an incident.
                self.send(Command::JobIncident {
                    key: job.key.clone(),
                    error: e.to_string(),
                    note: None,
                })
                .await
                .map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Hands back every leased job (on shutdown).
    pub async fn release_leases(&self) -> Result<usize, Error> {
        match self.send(Command::ReleaseLeases).await? {
            Reply::Count(n) => Ok(n),
            other => Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        }
    }

    /// Runs timers and jobs until there is nothing due now; for tests and the simulator.
    pub async fn drain(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let n = self.fire_due_timers(500).await?
                + self.answers_overdue(500).await?
                + self.run_jobs_once(64).await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Starts the background loops; they stop when `shutdown` is cancelled.
    pub fn spawn_loops(&self, shutdown: CancellationToken) -> tokio::task::JoinSet<()> {
        let mut set = tokio::task::JoinSet::new();
        let engine = self.clone();
        let stop = shutdown.clone();
        set.spawn(async move { engine.timer_loop(stop).await });
        let engine = self.clone();
        set.spawn(async move { engine.job_loop(shutdown).await });
        set
    }

    /// Opens the cases of scheduled services whose occurrences are due, each exactly once,
    /// the ones missed while the engine was down included; returns how many.
    pub async fn fire_schedules(&self) -> Result<usize, Error> {
        match self.send(Command::FireSchedules).await? {
            Reply::Count(n) => Ok(n),
            other => Err(Error::Unavailable(format!("unexpected reply {other:?}"))),
        }
    }

    /// Fires timers as they fall due, and every [`TIMER_PAUSE`] starts the scheduled
    /// cases due and handles the requests whose answers are overdue.
    ///
    /// Between looks the loop sleeps until the next timer is due (read from the due-time
    /// index), at most a pause and at least [`TIMER_LOOK_MIN`]. A loop that only paused
    /// fired each timer up to a pause late, and the timers due during a busy pause all at
    /// once: a burst of transitions, then of the clerks' tasks they open, in the writer's
    /// queue at the same moment, which the transitions of everyone else waited behind.
    async fn timer_loop(self, shutdown: CancellationToken) {
        let mut round: Option<std::time::Instant> = None;
        let mut overdue = 0;
        while !shutdown.is_cancelled() {
            if round.is_none_or(|r| r.elapsed() >= TIMER_PAUSE) {
                round = Some(std::time::Instant::now());
                if let Err(e) = self.fire_schedules().await {
                    tracing::error!(error = %e, "starting scheduled cases failed");
                }
                // Batches of 500 keep a storm of due timers from starving other commands:
                // each batch is one command in the writer's queue among the rest.
                overdue = match self.answers_overdue(500).await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::error!(error = %e, "handling overdue answers failed");
                        0
                    }
                };
            }
            let fired = match self.fire_due_timers(500).await {
                Ok(500) => continue,
                Ok(_) if overdue == 500 => {
                    round = None;
                    continue;
                }
                Ok(_) => true,
                Err(e) => {
                    tracing::error!(error = %e, "firing timers failed");
                    false
                }
            };
            let left = TIMER_PAUSE.saturating_sub(round.map_or(TIMER_PAUSE, |r| r.elapsed()));
            // After a failure the loop tries again at the pause's end, not every 10 ms.
            let next = if fired {
                match self.store.next_timer_due().await {
                    Ok(next) => next.and_then(|at| self.shared.clock.wall_until(at)),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading when the next timer is due failed");
                        None
                    }
                }
            } else {
                None
            };
            let wait = timer_wait(left, next);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Performs jobs as they become ready. The loop leases the next batch while the jobs
    /// of the previous ones are still being performed and recorded, up to [`JOBS_IN_FLIGHT`]
    /// at once: leasing only after every outcome of a batch was recorded cost each batch two
    /// waits in the writer's queue, and under load, with the queue long, jobs (and the
    /// cases that wait for them) fell behind the applications arriving.
    async fn job_loop(self, shutdown: CancellationToken) {
        // Other processes' commits wake this loop on a shared database; without them (or
        // while the listener reconnects) it polls.
        let mut wakeups = match self.store.wakeups().await {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "listening for other processes' work failed; the job loop polls");
                None
            }
        };
        // The jobs leased and not yet recorded: a task each, joined as it ends.
        let mut running = tokio::task::JoinSet::new();
        while !shutdown.is_cancelled() {
            while let Some(done) = running.try_join_next() {
                job_ended(done);
            }
            let free = JOBS_IN_FLIGHT
                .saturating_sub(running.len())
                .min(JOBS_LEASED);
            if free == 0 {
                // As many in flight as may be: wait for one to end.
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    Some(done) = running.join_next() => job_ended(done),
                }
                continue;
            }
            match self.start_jobs(free as u32, &mut running).await {
                Ok(n) if n == free => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "running jobs failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.shared.work_ready.notified() => {}
                _ = async {
                    match wakeups.as_mut() {
                        Some(w) => w.next().await,
                        None => std::future::pending().await,
                    }
                } => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            }
        }
        // What was started is finished and recorded before the loop ends.
        while let Some(done) = running.join_next().await {
            job_ended(done);
        }
    }
}

/// How often the timer loop starts the scheduled cases due and handles overdue answers, and
/// the longest it sleeps between two looks for due timers.
const TIMER_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// The shortest sleep between two looks for due timers: timers due closer together than this
/// fire together, so that a busy hour costs the writer at most a look every 10 ms.
const TIMER_LOOK_MIN: std::time::Duration = std::time::Duration::from_millis(10);

/// How long the timer loop sleeps before its next look: until the next timer is due
/// (`next`, as long as the machine waits for it; `None` when no timer is set or the clock
/// does not move by itself), at most the `left` of the pause, at least [`TIMER_LOOK_MIN`].
fn timer_wait(left: std::time::Duration, next: Option<std::time::Duration>) -> std::time::Duration {
    next.map_or(left, |n| n.min(left)).max(TIMER_LOOK_MIN)
}

/// The most jobs one lease takes.
const JOBS_LEASED: usize = 256;

/// The most jobs the job loop has leased and not yet recorded.
const JOBS_IN_FLIGHT: usize = 1024;

/// Logs a job whose outcome could not be recorded: its lease lapses and it runs again.
fn job_ended(done: Result<Result<(), Error>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "recording a job's outcome failed; its lease will lapse and it will run again")
        }
        Err(e) => {
            tracing::error!(error = %e, "performing a job panicked; its lease will lapse and it will run again")
        }
    }
}

/// Every definition under the workflows folder, or every problem found in it.
fn load_library(workflows: &std::path::Path) -> Result<Library, Error> {
    let report = definition::load(&[workflows.to_path_buf()], &definition::Options::default());
    if !report.diagnostics.is_empty() {
        let text: Vec<String> = report.diagnostics.iter().map(ToString::to_string).collect();
        return Err(Error::Setup(format!(
            "the workflows have problems:\n{}",
            text.join("\n")
        )));
    }
    Ok(report.library)
}

/// Writes into the workflows folder each version of a service it holds that the database
/// has and the folder does not (`<service>/<version>.yaml`, as `POST /definitions` writes
/// it): on a shared database, a version deployed through one process reaches every other
/// at its next start. A file already at that place is left alone (the start then refuses a
/// text that differs from the one deployed). Returns how many were written.
async fn fetch_deployed(
    store: &Store,
    library: &Library,
    workflows: &std::path::Path,
) -> Result<usize, Error> {
    let loaded: std::collections::HashSet<(&str, &str)> = library
        .definitions
        .iter()
        .map(|d| (d.id.as_str(), d.version.as_str()))
        .collect();
    let services: std::collections::HashSet<&str> = library
        .definitions
        .iter()
        .filter(|d| d.kind == Kind::Service)
        .map(|d| d.id.as_str())
        .collect();
    let mut written = 0;
    for row in store.definitions(None).await? {
        if loaded.contains(&(row.service.as_str(), row.version.as_str()))
            || !services.contains(row.service.as_str())
        {
            continue;
        }
        let target = workflows
            .join(&row.service)
            .join(format!("{}.yaml", row.version));
        if target.exists() {
            continue;
        }
        std::fs::write(&target, &row.source)
            .map_err(|e| Error::Setup(format!("{}: {e}", target.display())))?;
        tracing::info!(service = %row.service, version = %row.version, "a version deployed through another process is taken into the workflows folder");
        written += 1;
    }
    Ok(written)
}

/// Records every loaded version in the database; a version whose text changed since it was
/// deployed is refused, because running cases are pinned to what was deployed.
async fn deploy(store: &Store, library: &Library, now: DateTime<Utc>) -> Result<(), Error> {
    let mut conn = store.read().await?;
    for def in &library.definitions {
        let source = std::fs::read_to_string(&def.file)
            .map_err(|e| Error::Setup(format!("{}: {e}", def.file.display())))?;
        let hash = content_hash(&source);
        if let Some(stored) =
            store::tx::deploy(&mut conn, &def.id, &def.version, &hash, &source, now).await?
            && stored != hash
        {
            return Err(Error::Setup(format!(
                "{}: version {} of {} was deployed with different content; give the change a new version",
                def.file.display(),
                def.version,
                def.id
            )));
        }
    }
    Ok(())
}

/// Hands back the jobs a previous run leased and never recorded: it was killed, or lost
/// power. Without this they would wait for their leases to lapse before anyone ran them.
/// Only where this process owns the database (an SQLite file, under its lock): no other live
/// process can hold a lease. On a shared database a lease lapses at its time, and only then
/// does another process take the job.
async fn recover(store: &Store) -> Result<(), Error> {
    if !store.owns_database() {
        return Ok(());
    }
    let mut conn = store.read().await?;
    let recovered = store::tx::recover_leases(&mut conn).await?;
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "jobs leased by a run that stopped without recording them are due again"
        );
    }
    Ok(())
}

/// A stable hash of a definition's text (FNV-1a, 64 bits): a fingerprint, not a secret.
/// What the `definitions` table keeps of each deployed version, so that a start refuses a
/// version whose text changed since.
pub fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// How long to wait before the `attempt`-th retry: exponential from `first`, capped at an
/// hour, with up to 20% jitter so a failed system is not hit by every case at once.
pub fn backoff(attempt: u32, first_seconds: u32, exponential: bool) -> Duration {
    use rand::Rng;
    let base = if exponential {
        u64::from(first_seconds).saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
    } else {
        u64::from(first_seconds)
    }
    .min(3600);
    let jitter = rand::rng().random_range(0..=base / 5);
    Duration::seconds((base + jitter) as i64)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{TIMER_LOOK_MIN, TIMER_PAUSE, timer_wait};

    #[test]
    fn the_timer_loop_sleeps_until_the_next_timer_within_its_pause() {
        let ms = Duration::from_millis;
        // No timer set, or a manual clock: the rest of the pause.
        assert_eq!(timer_wait(TIMER_PAUSE, None), TIMER_PAUSE);
        assert_eq!(timer_wait(ms(120), None), ms(120));
        // A timer due within the pause: until it is due, not the whole pause.
        assert_eq!(timer_wait(TIMER_PAUSE, Some(ms(37))), ms(37));
        // One due after the pause: the pause, whose round looks again.
        assert_eq!(timer_wait(ms(90), Some(Duration::from_secs(3))), ms(90));
        // Due now, or a pause spent: the shortest sleep, so a busy hour is a look every
        // 10 ms and not a loop that spins.
        assert_eq!(
            timer_wait(TIMER_PAUSE, Some(Duration::ZERO)),
            TIMER_LOOK_MIN
        );
        assert_eq!(timer_wait(Duration::ZERO, None), TIMER_LOOK_MIN);
    }
}
