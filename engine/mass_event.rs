//! Mass events: one life event for every active case of a service at once (issue #16 item 3).
//!
//! When a law raises the monthly payments, a methodologist or an administrator enters the act,
//! its date and the rule once (`POST /services/{service}/events/{event}`, the `/mass-events`
//! page, or `qyzmet mass-event`), and every active payment gets its increase: the event's
//! message is delivered to each case exactly as `POST /cases/{number}/messages` delivers one
//! ([`Engine::message`]: the writer, one transition and its effects in one transaction), so
//! each case takes it, computes its own amount and opens its own draft decision — or keeps it
//! while it is busy with another event, or refuses it where it stands.
//!
//! **How nothing is done twice.** The run walks the service's active cases in id order, a
//! batch at a time ([`BATCH`]); after each batch the mass event's cursor (the last case id
//! done) and its counts move in one statement. A process that dies between a case's commit and
//! that statement leaves the cursor before the case, and the next run delivers to it again;
//! the case refuses the message as already taken (`once_per`, `runtime::Error::Duplicate`),
//! and the run counts it `duplicate` — "already had it". So a mass event is entered only for
//! an event with `once_per`, and the message must carry its key. A repeated mass event (the
//! same act entered again) finds every case has it already.
//!
//! **One process at a time.** A run holds the mass event's lease ([`LEASE_SECONDS`]), renewed
//! at each batch. On a shared PostgreSQL another process takes it over only once it has
//! expired; an SQLite file has one process, which takes over whatever lease it finds (the run
//! that held it is gone).
//!
//! **Architecture Invariant:** the runner changes no case itself. Every case is changed by the
//! writer through the same command as a message posted to the case; the runner only counts.

use std::sync::LazyLock;

use chrono::Duration;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::audit::Entry;
use crate::definition::model::Trigger;
use crate::runtime::{self, Actor, FieldError};
use crate::store::{
    self,
    mass_events::{self, Batch, Counts, Failure, MassEvent, New},
};
use crate::worker::{self, Engine, Shared};

/// Cases delivered to at a time: one writer batch (at most 256 commands share a commit), and
/// what a crash can make the run deliver to again.
pub const BATCH: u32 = 200;

/// How long a run holds a mass event without a batch recorded before another process may
/// take it over.
pub const LEASE_SECONDS: i64 = 300;

/// How often the serve loop looks for a mass event to run, besides being woken by one entered
/// in this process.
pub const POLL: std::time::Duration = std::time::Duration::from_secs(10);

/// Wakes this process's loop when a mass event is entered here.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Why a mass event could not be entered or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No version of the service is in force today.
    #[error("no version of service `{0}` is in force")]
    NoService(String),
    /// The service has no such life event, or it is not started by a message.
    #[error("the service `{service}` has no life event `{event}` started by a message{hint}")]
    NoEvent {
        /// The service.
        service: String,
        /// The event asked for.
        event: String,
        /// The events it has, for the message.
        hint: String,
    },
    /// The event has no `once_per`: a run resumed after a crash could start it twice on a case.
    #[error(
        "the life event `{0}` has no `once_per`: a mass event needs the key a case takes it once for"
    )]
    NoKey(String),
    /// The message's fields have mistakes, each by its place (`payload.<field>`).
    #[error("the message has mistakes: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Rejected(Vec<FieldError>),
    /// No such mass event.
    #[error("no mass event {0}")]
    NotFound(i64),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] worker::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// A mass event as checked, ready to record.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The service.
    pub service: String,
    /// The life event.
    pub event: String,
    /// The message that starts it.
    pub message: String,
    /// The message's fields, each normalised as the runtime keeps it.
    pub payload: Value,
}

/// The life events of `service`'s version in force today that a mass event can start: those
/// started by a message, with a `once_per` key. `(event, message)`.
pub fn events_of(shared: &Shared, service: &str) -> Vec<(String, String)> {
    let Ok((def, _)) = shared.in_force(service, shared.clock.now()) else {
        return Vec::new();
    };
    def.events
        .values()
        .filter(|e| e.once_per.is_some())
        .filter_map(|e| match &e.trigger {
            Trigger::Message(m) => Some((e.name.clone(), m.clone())),
            Trigger::Date(_) => None,
        })
        .collect()
}

/// Checks a mass event against the version of `service` in force today: the event is one a
/// message starts, with a `once_per` key, and `payload` has the message's fields, each of its
/// type (the rules of `runtime::message::check`, as for a message posted to one case).
pub fn check(
    shared: &Shared,
    service: &str,
    event: &str,
    payload: &Value,
) -> Result<Checked, Error> {
    let now = shared.clock.now();
    let (def, calendar) = shared
        .in_force(service, now)
        .map_err(|_| Error::NoService(service.to_string()))?;
    let no_event = || {
        let names: Vec<String> = events_of(shared, service)
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        Error::NoEvent {
            service: service.to_string(),
            event: event.to_string(),
            hint: if names.is_empty() {
                String::new()
            } else {
                format!(" (it has: {})", names.join(", "))
            },
        }
    };
    let life = def.events.get(event).ok_or_else(no_event)?;
    let Trigger::Message(message) = &life.trigger else {
        return Err(no_event());
    };
    if life.once_per.is_none() {
        return Err(Error::NoKey(event.to_string()));
    }
    let ctx = shared.context(def, calendar, now);
    let payload = runtime::message::check(&ctx, message, payload).map_err(|e| match e {
        runtime::Error::Rejected(fields) => Error::Rejected(fields),
        other => Error::Engine(other.into()),
    })?;
    Ok(Checked {
        service: service.to_string(),
        event: event.to_string(),
        message: message.clone(),
        payload,
    })
}

/// Records a checked mass event entered by `by`, with its audit record when given (its object
/// and details filled in here: the mass event's id, the service, the event and the cases it
/// will touch), in one transaction; wakes this process's loop to run it.
pub async fn create(
    engine: &Engine,
    checked: Checked,
    by: &str,
    audit: Option<Entry>,
) -> Result<MassEvent, Error> {
    let new = New {
        service: checked.service,
        event: checked.event,
        message: checked.message,
        payload: checked.payload,
        created_by: by.to_string(),
    };
    let created = engine
        .transact(move |conn, now| {
            let (new, audit) = (new.clone(), audit.clone());
            Box::pin(async move {
                let created = mass_events::create(conn, &new, now).await?;
                if let Some(entry) = audit {
                    let entry = entry
                        .object(format!("{}/{}", created.service, created.event))
                        .details(json!({
                            "mass_event": created.id,
                            "service": created.service,
                            "event": created.event,
                            "total": created.total,
                        }));
                    store::audit::append(conn, &entry, now)
                        .await
                        .map_err(|e| match e {
                            store::audit::Error::Database(e) => e,
                            other => store::Error::Corrupt {
                                what: "audit journal",
                                message: other.to_string(),
                            },
                        })?;
                }
                Ok::<_, store::Error>(created)
            })
        })
        .await??;
    WAKE.notify_one();
    Ok(created)
}

/// One mass event, as it stands.
pub async fn get(engine: &Engine, id: i64) -> Result<MassEvent, Error> {
    let mut conn = engine.store().read().await?;
    mass_events::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound(id))
}

/// The latest mass events (100), newest first.
pub async fn list(engine: &Engine) -> Result<Vec<MassEvent>, Error> {
    let mut conn = engine.store().read().await?;
    Ok(mass_events::list(&mut conn, None, 100).await?)
}

/// How many cases a mass event of `service` would touch now: its active cases.
pub async fn active_cases(engine: &Engine, service: &str) -> Result<u64, Error> {
    let mut conn = engine.store().read().await?;
    Ok(mass_events::count_active(&mut conn, service).await?)
}

/// What one [`step`] did.
#[derive(Debug, Clone)]
pub enum Step {
    /// A batch was delivered and recorded; more cases may follow.
    Batch(MassEvent),
    /// The run is over (this step's batch was the last, or it was over before).
    Finished(MassEvent),
    /// Another process holds the mass event.
    Busy,
}

/// What the outcomes of one batch's deliveries come to.
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// The counts.
    pub counts: Counts,
    /// The failed cases.
    pub failures: Vec<Failure>,
}

/// Delivers mass event `event`'s message to `cases` (id, registration number), all at once —
/// the writer takes them in one transaction —, each through [`Engine::message`], the path of
/// `POST /cases/{number}/messages`, as sent by the login that entered it; and counts what
/// became of each. Records nothing on the mass event: that is [`step`]'s, after. `Err` only
/// when the database could not be written (nothing counted; the batch is delivered again, and
/// the cases it reached refuse it as taken).
pub async fn deliver(
    engine: &Engine,
    event: &MassEvent,
    cases: &[(i64, String)],
) -> Result<Delivered, Error> {
    let by = Actor::Clerk(event.created_by.clone());
    let sends = cases.iter().map(|(_, number)| {
        engine.message(number, &event.message, event.payload.clone(), by.clone())
    });
    let outcomes = futures_util::future::join_all(sends).await;
    let mut out = Delivered::default();
    let mut taken = Vec::new();
    for ((id, number), outcome) in cases.iter().zip(outcomes) {
        match outcome {
            Ok(()) => taken.push(*id),
            Err(worker::Error::Runtime(runtime::Error::Duplicate { .. })) => {
                out.counts.duplicate += 1
            }
            Err(worker::Error::Runtime(runtime::Error::EventNotNow(_))) => out.counts.not_now += 1,
            Err(e @ worker::Error::Unavailable(_)) => return Err(e.into()),
            Err(e) => {
                out.counts.failed += 1;
                out.failures.push(Failure {
                    number: number.clone(),
                    error: e.to_string(),
                });
            }
        }
    }
    // Taken: started, or kept while the case is busy with another event (the message waits in
    // its inbox).
    let states = {
        let mut conn = engine.store().read().await?;
        mass_events::states(&mut conn, &taken).await?
    };
    for (_, state) in &states {
        let kept = state
            .inbox
            .iter()
            .any(|m| m.event && m.name == event.message);
        if kept {
            out.counts.kept += 1;
        } else {
            out.counts.started += 1;
        }
    }
    out.counts.started += (taken.len() - states.len()) as u64;
    Ok(out)
}

/// One batch of mass event `id`: leases it (or renews this process's lease), delivers its
/// message to the next `batch` active cases after the cursor, and records the cursor, the
/// counts and the failures — finished when there were fewer than `batch`.
pub async fn step(engine: &Engine, id: i64, batch: u32) -> Result<Step, Error> {
    let Some(event) = lease(engine, id).await? else {
        let event = get(engine, id).await?;
        return Ok(if event.finished_at.is_some() {
            Step::Finished(event)
        } else {
            Step::Busy
        });
    };
    let cases = {
        let mut conn = engine.store().read().await?;
        mass_events::cases_after(&mut conn, &event.service, event.cursor, batch).await?
    };
    let delivered = deliver(engine, &event, &cases).await?;
    let recorded = Batch {
        cursor: cases.last().map_or(event.cursor, |(id, _)| *id),
        counts: delivered.counts,
        failures: delivered.failures,
        last: cases.len() < batch as usize,
    };
    Ok(match advance(engine, id, recorded).await? {
        Some(e) if e.finished_at.is_some() => Step::Finished(e),
        Some(e) => Step::Batch(e),
        None => Step::Busy,
    })
}

/// Runs mass event `id` to its end in batches of `batch`, telling `progress` after each; `None`
/// when another process holds it, or `stop` is cancelled (the lease is then handed back).
pub async fn run(
    engine: &Engine,
    id: i64,
    batch: u32,
    stop: &CancellationToken,
    mut progress: impl FnMut(&MassEvent),
) -> Result<Option<MassEvent>, Error> {
    loop {
        if stop.is_cancelled() {
            release(engine, id).await?;
            return Ok(None);
        }
        match step(engine, id, batch).await? {
            Step::Batch(e) => progress(&e),
            Step::Finished(e) => {
                progress(&e);
                return Ok(Some(e));
            }
            Step::Busy => return Ok(None),
        }
    }
}

/// Runs every unfinished mass event nobody else holds, oldest first, each to its end (or until
/// `stop`); returns how many were finished.
pub async fn run_pending(engine: &Engine, stop: &CancellationToken) -> Result<usize, Error> {
    let ids = {
        let store = engine.store();
        let mut conn = store.read().await?;
        mass_events::runnable(
            &mut conn,
            store.process(),
            store.owns_database(),
            engine.shared().clock.now(),
        )
        .await?
    };
    let mut finished = 0;
    for id in ids {
        let done = run(engine, id, BATCH, stop, |e| {
            tracing::info!(
                mass_event = e.id,
                done = e.counts.done(),
                total = e.total,
                started = e.counts.started,
                already = e.counts.duplicate,
                "mass event progress"
            )
        })
        .await?;
        if done.is_some() {
            finished += 1;
        }
        if stop.is_cancelled() {
            break;
        }
    }
    Ok(finished)
}

/// The serve process's loop: runs the mass events there are, then waits for one entered in
/// this process, or [`POLL`] (one entered by another process on a shared database, or one
/// whose lease lapsed), until `shutdown`.
pub async fn run_loop(engine: Engine, shutdown: CancellationToken) {
    loop {
        match run_pending(&engine, &shutdown).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(finished = n, "mass events finished"),
            Err(e) => tracing::warn!(error = %e, "a mass event run stopped; it goes on later"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = WAKE.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn lease(engine: &Engine, id: i64) -> Result<Option<MassEvent>, Error> {
    let by = engine.store().process().to_string();
    let owner = engine.store().owns_database();
    Ok(engine
        .transact(move |conn, now| {
            let by = by.clone();
            Box::pin(async move {
                mass_events::lease(
                    conn,
                    id,
                    &by,
                    owner,
                    now,
                    now + Duration::seconds(LEASE_SECONDS),
                )
                .await
            })
        })
        .await??)
}

async fn advance(engine: &Engine, id: i64, batch: Batch) -> Result<Option<MassEvent>, Error> {
    let by = engine.store().process().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let (by, batch) = (by.clone(), batch.clone());
            Box::pin(async move {
                mass_events::advance(
                    conn,
                    id,
                    &by,
                    &batch,
                    now,
                    now + Duration::seconds(LEASE_SECONDS),
                )
                .await
            })
        })
        .await??)
}

async fn release(engine: &Engine, id: i64) -> Result<(), Error> {
    let by = engine.store().process().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let by = by.clone();
            Box::pin(async move { mass_events::release(conn, id, &by, now).await })
        })
        .await??)
}
