//! What the operators' views read: the gauges `/metrics` reads at scrape time
//! (`gateway::metrics` through `gateway::ledger`) and the registration numbers the worker's
//! log spans carry.
//!
//! Each gauge is one grouped statement, so a scrape costs a fixed number of queries however
//! many cases there are: the open tasks come from the partial index `tasks_open` (migrations
//! 0013, postgres 0004), the unfinished jobs from `jobs_ready` (`status, next_at`), and
//! neither reads a finished row. "Now" is a parameter, the engine's clock, never the
//! database's: a test's manual clock decides what is overdue, as it decides everything else.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Error, Store};

/// The open (or claimed) tasks of one role in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskGauge {
    /// The role that works them.
    pub role: String,
    /// The region whose clerks see them.
    pub region: String,
    /// Open or claimed.
    pub open: i64,
    /// Of those, past their due time.
    pub overdue: i64,
}

/// The unfinished jobs of one kind in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobGauge {
    /// `request`, `notify`, `document`, `stage`.
    pub kind: String,
    /// `ready` (due, not leased), `leased` (being performed), `retrying` (failed, waiting for
    /// its backoff), `waiting` (not due yet without a failure: an SMS put off to the morning),
    /// `awaiting_answer`, `incident`.
    pub state: String,
    /// How many.
    pub count: i64,
    /// The earliest due time among them: for `ready`, when the oldest became due.
    pub oldest_due: Option<DateTime<Utc>>,
}

impl Store {
    /// The open tasks by role and region, with how many are overdue at `now`.
    pub async fn task_gauges(&self, now: DateTime<Utc>) -> Result<Vec<TaskGauge>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(sql(
                "select role, region, count(*), count(case when due_at < ? then 1 end) \
                 from tasks where status in ('open', 'claimed') group by role, region",
            ))
            .bind(bind_ts(now))
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(TaskGauge {
                        role: r.try_get(0)?,
                        region: r.try_get(1)?,
                        open: r.try_get(2)?,
                        overdue: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    /// The unfinished jobs by kind and state at `now` (see [`JobGauge::state`]); a finished
    /// job (done, failed) is not read.
    pub async fn job_gauges(&self, now: DateTime<Utc>) -> Result<Vec<JobGauge>, Error> {
        on!(self.pool, |p| {
            let rows = sqlx::query(sql("select kind, \
                        case when status <> 'pending' then status \
                             when lease_until is not null and lease_until >= ?1 then 'leased' \
                             when next_at <= ?1 then 'ready' \
                             when attempts > 0 then 'retrying' \
                             else 'waiting' end, \
                        count(*), min(next_at) \
                 from jobs where status in ('pending', 'awaiting_answer', 'incident') \
                 group by 1, 2"))
            .bind(bind_ts(now))
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(JobGauge {
                        kind: r.try_get(0)?,
                        state: r.try_get(1)?,
                        count: r.try_get(2)?,
                        oldest_due: read_ts_opt(r, 3)?,
                    })
                })
                .collect()
        })
    }

    /// The registration numbers of the cases with these ids that exist (at most
    /// [`super::queue::MAX_CASES`] ids are read), in one statement: what the job loop's log
    /// spans name a leased batch's cases by.
    pub async fn case_numbers(&self, ids: &[i64]) -> Result<HashMap<i64, String>, Error> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(super::queue::MAX_CASES);
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let text = format!("select id, number from cases where id in ({marks})");
        on!(self.pool, |p| {
            let mut query = sqlx::query(sql_owned(text));
            for id in &ids {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(p).await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
                .collect()
        })
    }
}
