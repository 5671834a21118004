//! The stage feed: every stage change of every case, posted to the digital monitoring
//! system (seeds/001 items 10, 13, 16, 17; seeds/004 item 16), in order per case, at least
//! once, and replayable for a date range.
//!
//! **At least once.** A stage report is an outbox job (`Work::Stage`), written with the
//! transition that entered the stage and posted after commit; the job loop retries it
//! until the receiver acknowledges (2xx). Each post carries the job's idempotency key (in
//! the body and as the `Idempotency-Key` header): a repeat after a crash or a lost
//! acknowledgement is the same key, which the receiver drops.
//!
//! **In order per case.** The job loop may run several jobs of one case at once, and a
//! report whose attempt failed is retried later, so the order of the posts is not the order
//! of the stages by itself. Two things restore it:
//!
//! 1. each report carries the case's `sequence`: 1 for its first stage report, 2 for the
//!    next… — the rank of its key `job:{case}:{seq}:{n}` (the case's transition number and
//!    the effect's place in it) among the case's stage jobs. A receiver can order by it and
//!    see a gap;
//! 2. the performer does not post a report while an earlier report of the same case is not
//!    acknowledged — the **guard**: before posting it asks the ledger for the case's stage
//!    jobs; every earlier one must be `done` in the database or acknowledged to this
//!    process (a set kept in memory until the database says `done`). If one is not, the
//!    attempt waits for an acknowledgement in this process (woken by each one, at most
//!    `order_wait`), and then, if still blocked, fails as `Retryable`, so the job loop tries
//!    it again later. The database is the truth across processes and restarts; the memory
//!    only bridges the moment between an acknowledgement and its `done` being written.
//!    An earlier report that became an incident holds the later ones back until an
//!    administrator retries it — which is the point: the receiver never sees stage 3
//!    before stage 2.
//!
//! **Replay.** [`replay`] rebuilds the reports of a date range from the stage jobs (the
//! same keys and sequence numbers, marked `replay: true`); [`StagePerformer::resend`] posts
//! them, case by case, in order. The receiver drops what it already has by key.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::Error;
use super::client::{http_client, kind, mask_iins};
use super::config::{Auth, Monitoring};
use super::ledger::{self, Ledger, StageJob, order_of};
use super::metrics::Metrics;
use crate::runtime::Work;
use crate::worker::jobs::{BoxFuture, JobError, Performer};

/// One stage report, as the monitoring system receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageEvent {
    /// The idempotency key: a repeat has the same one.
    pub idempotency_key: String,
    /// The case's registration number.
    pub registration_number: String,
    /// The service.
    pub service: String,
    /// 1, 2, 3… per case: the receiver orders by it and sees a gap.
    pub sequence: u64,
    /// The stage code (the catalog's `stages`).
    pub stage: String,
    /// The step entered.
    pub step: String,
    /// When the stage was entered.
    pub at: DateTime<Utc>,
    /// Sent again by a replay.
    #[serde(default)]
    pub replay: bool,
}

fn event(job: &StageJob, sequence: u64, replay: bool) -> StageEvent {
    StageEvent {
        idempotency_key: job.key.clone(),
        registration_number: job.number.clone(),
        service: job.service.clone(),
        sequence,
        stage: job.stage.clone(),
        step: job.step.clone(),
        at: job.at,
        replay,
    }
}

/// Rebuilds the stage reports whose stage was entered in `[from, to)`, ordered by case and
/// sequence, with the keys and sequence numbers they were first sent with.
pub async fn replay(
    ledger: &dyn Ledger,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StageEvent>, ledger::Error> {
    let jobs = ledger.stage_jobs_between(from, to).await?;
    let mut sequences: HashMap<i64, HashMap<String, u64>> = HashMap::new();
    let mut out = Vec::with_capacity(jobs.len());
    for job in &jobs {
        if let std::collections::hash_map::Entry::Vacant(slot) = sequences.entry(job.case_id) {
            let all = ledger.stage_jobs_of_case(job.case_id).await?;
            slot.insert(
                all.iter()
                    .enumerate()
                    .map(|(i, j)| (j.key.clone(), i as u64 + 1))
                    .collect(),
            );
        }
        let sequence = sequences[&job.case_id].get(&job.key).copied().unwrap_or(0);
        out.push(event(job, sequence, true));
    }
    Ok(out)
}

/// Posts stage reports to the monitoring system, in order per case.
pub struct StagePerformer {
    monitoring: Monitoring,
    http: reqwest::Client,
    ledger: Arc<dyn Ledger>,
    metrics: Metrics,
    /// Per case, the `(seq, n)` of reports acknowledged to this process whose `done` the
    /// database may not show yet.
    acked: Mutex<HashMap<i64, BTreeSet<(u64, u64)>>>,
    /// Woken by every acknowledgement and every failed post.
    changed: Notify,
}

/// What a resend did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resent {
    /// Reports acknowledged.
    pub posted: usize,
    /// Reports not acknowledged, with why (the rest of their case was not sent).
    pub failed: Vec<(String, String)>,
}

impl StagePerformer {
    /// A feed to `monitoring`, asking `ledger` about earlier reports.
    pub fn new(
        monitoring: Monitoring,
        ledger: Arc<dyn Ledger>,
        metrics: Metrics,
    ) -> Result<Self, Error> {
        Ok(StagePerformer {
            monitoring,
            http: http_client()?,
            ledger,
            metrics,
            acked: Mutex::new(HashMap::new()),
            changed: Notify::new(),
        })
    }

    /// One attempt of a stage report.
    #[tracing::instrument(name = "stage_report", skip_all, fields(key))]
    pub async fn report(&self, key: &str) -> Result<Value, JobError> {
        tracing::Span::current().record("key", key);
        let Some((case, seq, n)) = order_of(key) else {
            return Err(JobError::Fatal(format!(
                "`{key}` is not a job key (job:case:seq:n): the report cannot be ordered"
            )));
        };
        let deadline = Instant::now() + self.monitoring.order_wait;
        let (job, sequence) = loop {
            // Listen before looking, so an acknowledgement between the two is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let jobs = self
                .ledger
                .stage_jobs_of_case(case)
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?;
            let blocking = self.blocking(case, (seq, n), &jobs);
            if blocking.is_none() {
                let Some(i) = jobs.iter().position(|j| j.key == key) else {
                    return Err(JobError::Fatal(format!(
                        "no stage job `{key}` in the database"
                    )));
                };
                break (jobs[i].clone(), i as u64 + 1);
            }
            let now = Instant::now();
            if now >= deadline {
                self.metrics.feed("waiting", None);
                return Err(JobError::Retryable(format!(
                    "the earlier stage report {} of this case is not acknowledged yet; \
                     reports of a case are posted in order",
                    blocking.unwrap_or_default()
                )));
            }
            let _ = tokio::time::timeout(deadline - now, changed).await;
        };
        let posted = self.post(&event(&job, sequence, false)).await;
        if posted.is_ok() {
            self.acked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(case)
                .or_default()
                .insert((seq, n));
        }
        self.changed.notify_waiters();
        posted.map(|status| json!({ "posted": sequence, "status": status }))
    }

    /// The first earlier report of the case that is neither done nor acknowledged here;
    /// forgets the acknowledgements the database now shows as done.
    fn blocking(&self, case: i64, me: (u64, u64), jobs: &[StageJob]) -> Option<String> {
        let mut acked = self.acked.lock().unwrap_or_else(|e| e.into_inner());
        let mine = acked.entry(case).or_default();
        let mut first = None;
        for job in jobs {
            let Some((_, s, n)) = order_of(&job.key) else {
                continue;
            };
            if job.status == "done" {
                mine.remove(&(s, n));
            } else if (s, n) < me && !mine.contains(&(s, n)) && first.is_none() {
                first = Some(job.key.clone());
            }
        }
        if mine.is_empty() {
            acked.remove(&case);
        }
        first
    }

    async fn post(&self, event: &StageEvent) -> Result<u16, JobError> {
        let started = Instant::now();
        let m = &self.monitoring;
        let mut req = self
            .http
            .post(&m.endpoint)
            .timeout(m.timeout)
            .header("Idempotency-Key", &event.idempotency_key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_string(event).expect("JSON serialises"));
        req = match &m.auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t.expose()),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
            Auth::Header { name, value } => req.header(name.as_str(), value.expose()),
        };
        let result = match req.send().await {
            Err(e) if e.is_timeout() => Err(JobError::Retryable(format!(
                "monitoring: no answer within {} ms from {}",
                m.timeout.as_millis(),
                m.endpoint
            ))),
            Err(e) => Err(JobError::Retryable(format!(
                "monitoring: cannot post to {}: {}",
                m.endpoint,
                e.without_url()
            ))),
            Ok(resp) => {
                let status = resp.status().as_u16();
                match status {
                    200..=299 => Ok(status),
                    408 | 425 | 429 | 500..=599 => Err(JobError::Retryable(format!(
                        "monitoring: {} answered HTTP {status}",
                        m.endpoint
                    ))),
                    _ => {
                        let body = resp.text().await.unwrap_or_default();
                        let quoted: String = body.chars().take(200).collect();
                        Err(JobError::Fatal(format!(
                            "monitoring: {} refused the report with HTTP {status}: {}",
                            m.endpoint,
                            mask_iins(&quoted)
                        )))
                    }
                }
            }
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(JobError::Retryable(_)) => "retryable",
            Err(JobError::Fatal(_)) => "fatal",
            Err(JobError::NotBefore { .. }) => "deferred",
            Err(JobError::Acknowledged { .. }) => "acknowledged",
        };
        self.metrics.feed(outcome, Some(started.elapsed()));
        if let Err(e) = &result {
            tracing::warn!(error = %e, "stage report failed");
        }
        result
    }

    /// Posts replayed reports, each case's in sequence; a case stops at its first failure
    /// (its later reports would arrive out of order), the other cases go on.
    pub async fn resend(&self, events: &[StageEvent]) -> Resent {
        let mut by_case: BTreeMap<&str, Vec<&StageEvent>> = BTreeMap::new();
        for e in events {
            by_case.entry(&e.registration_number).or_default().push(e);
        }
        let mut out = Resent::default();
        for (_, mut list) in by_case {
            list.sort_by_key(|e| e.sequence);
            for e in list {
                match self.post(e).await {
                    Ok(_) => out.posted += 1,
                    Err(err) => {
                        out.failed
                            .push((e.idempotency_key.clone(), err.to_string()));
                        break;
                    }
                }
            }
        }
        out
    }
}

impl Performer for StagePerformer {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Stage { .. } => self.report(key).await,
                other => Err(JobError::Fatal(format!(
                    "the stage feed posts stage reports, not {}",
                    kind(other)
                ))),
            }
        })
    }
}
