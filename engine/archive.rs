//! Archiving closed cases (seeds/003 item 17: "periodic archiving of information of all
//! requests"): a run moves every case completed or withdrawn longer ago than a given age into
//! the archive ([`crate::store::archive`]), where a clerk still finds it by registration
//! number or IIN and an administrator restores it to active.
//!
//! **Why move them at all.** The working tables are what every transition, the queue, the
//! timer loop and the outbox read; after a few years most of their rows are closed cases
//! nobody opens. Moving them keeps the working set the size of the work, while a closed case
//! stays one search away.
//!
//! **The age.** The seeds name none. [`DEFAULT_AFTER_DAYS`] (1095 days, three years) is an
//! assumption: the general limitation period of the Civil Code is three years, within which
//! a citizen's complaint about a case most plausibly comes; `archive.after_days` of
//! `qyzmet.yaml` sets another, `0` turns the daily run off.
//!
//! **Batches.** A run walks the closed cases oldest first, [`BATCH`] per transaction through
//! the engine's writer ([`Engine::transact`]), so no command waits behind a long move; a case
//! is wholly in one place at every commit. A case with an open task, a timer or an unfinished
//! job is left (a closed case normally has none) and counted `kept`. Each batch that moved
//! cases appends one `cases_archived` record to the audit journal in its own transaction:
//! who (a login, or `system`), the cutoff, how many, and their registration numbers.
//!
//! **Daily.** [`Daily`] is the `serve` loop: once per Almaty day, at its first check of the
//! day (at start, then every [`TICK`]), with the cutoff read from the engine's clock.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::audit::{Action, Entry};
use crate::store::archive::{self as stored, ArchivedCase};
use crate::store::{self, audit as journal};
use crate::worker::{self, Engine};

/// Three years: the assumed age after which a closed case is archived (see the module).
pub const DEFAULT_AFTER_DAYS: u32 = 1095;

/// Closed cases looked at per transaction.
pub const BATCH: u32 = 200;

/// How often the daily loop looks at the clock.
pub const TICK: StdDuration = StdDuration::from_secs(600);

/// Why a run or a restore failed. What was committed before stays committed: a run that
/// stops half-way goes on from the oldest case at the next run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine stopped or refused.
    #[error(transparent)]
    Engine(#[from] worker::Error),
    /// The database refused, or a package does not read.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The audit record could not be appended (nothing was moved with it).
    #[error(transparent)]
    Audit(#[from] journal::Error),
    /// No archived case has the number.
    #[error("no archived case {0}")]
    NotArchived(String),
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    /// The cutoff: cases closed before it were archived.
    pub cutoff: DateTime<Utc>,
    /// The registration numbers archived, oldest closing first.
    pub archived: Vec<String>,
    /// Closed before the cutoff but left: an open task, a timer or an unfinished job.
    pub kept: Vec<String>,
}

/// What one batch did.
struct Batch {
    looked: u32,
    last: Option<(DateTime<Utc>, i64)>,
    archived: Vec<String>,
    kept: Vec<i64>,
}

/// Archives every case closed more than `days` days before the engine's clock, `by` a login
/// or `system`, from `source` (`cli`, `api`, `schedule`), in batches.
pub async fn run(engine: &Engine, days: u32, by: &str, source: &str) -> Result<Run, Error> {
    let cutoff = engine.shared().clock.now() - Duration::days(i64::from(days));
    let mut done = Run {
        cutoff,
        ..Run::default()
    };
    let mut after = None;
    loop {
        let (by, source) = (by.to_string(), source.to_string());
        let batch = engine
            .transact(move |conn, now| {
                let (by, source) = (by.clone(), source.clone());
                Box::pin(async move {
                    let found = stored::candidates(conn, cutoff, after, BATCH).await?;
                    let mut batch = Batch {
                        looked: found.len() as u32,
                        last: found.last().map(|c| (c.closed_at, c.id)),
                        archived: Vec::new(),
                        kept: Vec::new(),
                    };
                    for case in found {
                        if !case.movable {
                            batch.kept.push(case.id);
                            continue;
                        }
                        if let Some(a) = stored::archive(conn, case.id, now, &by).await? {
                            batch.archived.push(a.number);
                        }
                    }
                    if !batch.archived.is_empty() {
                        let entry = Entry::new(&by, Action::CasesArchived)
                            .source(Some(&source))
                            .details(json!({
                                "count": batch.archived.len(),
                                "cutoff": cutoff,
                                "numbers": batch.archived,
                            }));
                        journal::append(conn, &entry, now).await?;
                    }
                    Ok::<Batch, Error>(batch)
                })
            })
            .await??;
        done.archived.extend(batch.archived);
        for id in batch.kept {
            if let Some(number) = number_of(engine, id).await? {
                done.kept.push(number);
            }
        }
        if batch.looked < BATCH || batch.last.is_none() {
            break;
        }
        after = batch.last;
    }
    Ok(done)
}

async fn number_of(engine: &Engine, id: i64) -> Result<Option<String>, Error> {
    let mut conn = engine.store().read().await?;
    let number = store::tx::case(&mut conn, id)
        .await
        .map(|c| c.map(|c| c.number));
    conn.close().await;
    Ok(number?)
}

/// Restores archived case `number` to the active tables, exactly as it was archived, `by` a
/// login, journalled (`case_restored`) in the same transaction.
pub async fn restore(
    engine: &Engine,
    number: &str,
    by: &str,
    source: Option<&str>,
) -> Result<ArchivedCase, Error> {
    let (number, by, source) = (
        number.to_string(),
        by.to_string(),
        source.map(str::to_string),
    );
    engine
        .transact(move |conn, now| {
            let (number, by, source) = (number.clone(), by.clone(), source.clone());
            Box::pin(async move {
                let Some(restored) = stored::restore(conn, &number).await? else {
                    return Err(Error::NotArchived(number));
                };
                let entry = Entry::new(&by, Action::CaseRestored)
                    .source(source.as_deref())
                    .object(&number)
                    .details(json!({ "archived_at": restored.archived_at }));
                journal::append(conn, &entry, now).await?;
                Ok(restored)
            })
        })
        .await?
}

/// The daily run in `serve`: archives the cases closed more than `after_days` days ago,
/// once per Almaty day.
pub struct Daily {
    engine: Engine,
    after_days: u32,
    poke: Arc<Notify>,
    checked: watch::Sender<Option<DateTime<Utc>>>,
}

/// Has a [`Daily`] loop look at the clock now (tests drive a manual clock with it).
pub struct DailyHandle {
    engine: Engine,
    poke: Arc<Notify>,
    checked: watch::Receiver<Option<DateTime<Utc>>>,
}

impl Daily {
    /// The loop for `engine`, archiving cases closed `after_days` days before.
    pub fn new(engine: Engine, after_days: u32) -> Daily {
        Daily {
            engine,
            after_days,
            poke: Arc::new(Notify::new()),
            checked: watch::Sender::new(None),
        }
    }

    /// A handle that makes the loop check now.
    pub fn handle(&self) -> DailyHandle {
        DailyHandle {
            engine: self.engine.clone(),
            poke: self.poke.clone(),
            checked: self.checked.subscribe(),
        }
    }

    /// Runs until `shutdown`: at each check, a run when none succeeded yet on the clock's
    /// day (Almaty); a run that fails is tried again at the next check.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut last: Option<NaiveDate> = None;
        loop {
            let now = self.engine.shared().clock.now();
            let today = now.with_timezone(&crate::clock::ZONE).date_naive();
            if last != Some(today) {
                match run(&self.engine, self.after_days, "system", "schedule").await {
                    Ok(done) => {
                        last = Some(today);
                        if !done.archived.is_empty() || !done.kept.is_empty() {
                            tracing::info!(
                                archived = done.archived.len(),
                                kept = done.kept.len(),
                                cutoff = %done.cutoff,
                                "closed cases archived"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the daily archiving failed; it is tried again at the next check")
                    }
                }
            }
            self.checked.send_replace(Some(now));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.poke.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }
}

impl DailyHandle {
    /// Returns once the loop has checked at the clock's time now or later (and archived, if
    /// a run was due).
    pub async fn check(&mut self) {
        let now = self.engine.shared().clock.now();
        self.poke.notify_one();
        while !self.checked.borrow_and_update().is_some_and(|t| t >= now) {
            if self.checked.changed().await.is_err() {
                return;
            }
        }
    }
}
