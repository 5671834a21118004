//! What the stage feed and the metrics read from the database.
//!
//! The feed needs to know, for a stage report, which earlier reports of the same case are
//! still unacknowledged (to keep a case's stages in order) and where this one falls in the
//! case's sequence; the replay needs the stage jobs of a date range; `/metrics` needs the
//! counts of cases, jobs and open tasks. These are read-only questions, put behind the
//! [`Ledger`] trait so the feed can be tested against any source and so the SQL can move.
//!
//! The statements are the store's (`Store::stage_jobs_of_case`,
//! `Store::stage_jobs_between_seconds`, `Store::metric_counts`, `Store::task_gauges`,
//! `Store::job_gauges`); [`StoreLedger`] asks them. A scrape costs four grouped statements,
//! one per family read at scrape time, whatever the number of cases.
//! A case's stage jobs are read by primary-key range (`job:{case}:` … `job:{case};`), so the
//! per-report question costs an index range scan, not a table scan.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::runtime::Work;
use crate::store::operations::{JobGauge, TaskGauge};
use crate::store::{StageJobRow, Store};
use crate::worker::jobs::BoxFuture;

/// Why a ledger question failed.
#[derive(Debug, thiserror::Error)]
#[error("reading the stage jobs: {0}")]
pub struct Error(pub String);

/// One stage job, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StageJob {
    /// The idempotency key, `job:{case}:{seq}:{n}`.
    pub key: String,
    /// The case's id.
    pub case_id: i64,
    /// The case's registration number.
    pub number: String,
    /// The service.
    pub service: String,
    /// `pending`, `done`, `incident`.
    pub status: String,
    /// The stage code.
    pub stage: String,
    /// The step entered.
    pub step: String,
    /// When the stage was entered.
    pub at: DateTime<Utc>,
}

/// Counts for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// (service, status) → cases.
    pub cases: Vec<(String, String, i64)>,
    /// (kind, status) → jobs (the outbox's depth is the `pending` ones).
    pub jobs: Vec<(String, String, i64)>,
    /// The open tasks by role and region, with the overdue ones.
    pub tasks: Vec<TaskGauge>,
    /// The unfinished jobs by kind and state, with the earliest due time of each.
    pub queue: Vec<JobGauge>,
}

/// The read-only questions of the stage feed and the metrics.
pub trait Ledger: Send + Sync {
    /// Every stage job of a case, in sequence order.
    fn stage_jobs_of_case(&self, case_id: i64) -> BoxFuture<'_, Result<Vec<StageJob>, Error>>;
    /// Every stage job whose stage was entered in `[from, to)`, ordered by case and sequence.
    fn stage_jobs_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<StageJob>, Error>>;
    /// Cases by service and status, jobs by kind and status; open tasks and unfinished jobs
    /// as they stand at `now` (overdue, ready), `now` being the engine's clock.
    fn counts(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Counts, Error>>;
}

/// The order of a job within its case: `(seq, n)` of `job:{case}:{seq}:{n}`.
pub fn order_of(key: &str) -> Option<(i64, u64, u64)> {
    let mut parts = key.strip_prefix("job:")?.split(':');
    let case = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    let n = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((case, seq, n))
}

/// The ledger over the engine's database.
#[derive(Clone)]
pub struct StoreLedger {
    store: Store,
}

impl StoreLedger {
    /// Reads through the store's reader pool.
    pub fn new(store: Store) -> Self {
        StoreLedger { store }
    }
}

fn stage_job(r: StageJobRow) -> Option<StageJob> {
    let Work::Stage { stage, step, at } = r.work else {
        return None;
    };
    Some(StageJob {
        key: r.key,
        case_id: r.case_id,
        status: r.status,
        number: r.number,
        service: r.service,
        stage,
        step,
        at,
    })
}

fn sorted(mut jobs: Vec<StageJob>) -> Vec<StageJob> {
    jobs.sort_by_key(|j| order_of(&j.key).unwrap_or((j.case_id, u64::MAX, u64::MAX)));
    jobs
}

impl Ledger for StoreLedger {
    fn stage_jobs_of_case(&self, case_id: i64) -> BoxFuture<'_, Result<Vec<StageJob>, Error>> {
        Box::pin(async move {
            let rows = self
                .store
                .stage_jobs_of_case(case_id)
                .await
                .map_err(|e| Error(e.to_string()))?;
            Ok(sorted(rows.into_iter().filter_map(stage_job).collect()))
        })
    }

    fn stage_jobs_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<StageJob>, Error>> {
        Box::pin(async move {
            // The stored `at` is RFC 3339 in UTC with a varying fraction, so text order is
            // time order only to the second: the store narrows by whole seconds, this cuts
            // exactly.
            let rows = self
                .store
                .stage_jobs_between_seconds(from, to + Duration::seconds(1))
                .await
                .map_err(|e| Error(e.to_string()))?;
            Ok(sorted(
                rows.into_iter()
                    .filter_map(stage_job)
                    .filter(|j| from <= j.at && j.at < to)
                    .collect(),
            ))
        })
    }

    fn counts(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Counts, Error>> {
        Box::pin(async move {
            let failed = |e: crate::store::Error| Error(e.to_string());
            let counts = self.store.metric_counts().await.map_err(failed)?;
            Ok(Counts {
                cases: counts.cases,
                jobs: counts.jobs,
                tasks: self.store.task_gauges(now).await.map_err(failed)?,
                queue: self.store.job_gauges(now).await.map_err(failed)?,
            })
        })
    }
}

/// A ledger set after the performers are built: the engine opens the store, and the
/// performers go into the engine's configuration before that. Until it is set, every
/// question fails (a stage report then is retried later).
#[derive(Default)]
pub struct Deferred(std::sync::OnceLock<Arc<dyn Ledger>>);

impl Deferred {
    /// Sets the ledger; a second call is ignored.
    pub fn set(&self, ledger: Arc<dyn Ledger>) {
        let _ = self.0.set(ledger);
    }

    fn get(&self) -> Result<&Arc<dyn Ledger>, Error> {
        self.0
            .get()
            .ok_or_else(|| Error("the ledger is not set yet (the engine is starting)".into()))
    }
}

impl Ledger for Deferred {
    fn stage_jobs_of_case(&self, case_id: i64) -> BoxFuture<'_, Result<Vec<StageJob>, Error>> {
        match self.get() {
            Ok(l) => l.stage_jobs_of_case(case_id),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn stage_jobs_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<StageJob>, Error>> {
        match self.get() {
            Ok(l) => l.stage_jobs_between(from, to),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn counts(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Counts, Error>> {
        match self.get() {
            Ok(l) => l.counts(now),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_keys_order_within_their_case() {
        assert_eq!(order_of("job:12:7:3"), Some((12, 7, 3)));
        assert_eq!(order_of("job:12:7"), None);
        assert_eq!(order_of("task:12:7:3"), None);
        assert!(
            order_of("job:12:7:3") < order_of("job:12:10:1"),
            "numeric, not text, order"
        );
    }
}
