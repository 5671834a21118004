//! Mass events: the `mass_events` table (migrations 0014, postgres 0005). One row per life
//! event entered for every active case of a service at once, with how far its run has come:
//! the last case id done (`cursor`), what became of the cases so far, the first failures, and
//! the lease of the process working it. The rules of the run are [`crate::mass_event`]'s.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::backend::on;
use super::{CaseState, Conn, Error};

/// The failed cases a mass event keeps with their errors; past them only the count grows.
pub const FAILURES_KEPT: usize = 100;

/// What became of the cases a run has touched so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    /// The event started on the case.
    pub started: u64,
    /// The case was busy with another event: the message waits in its inbox and starts the
    /// event when the case is back at a hold.
    pub kept: u64,
    /// The case had taken this event under this key already (`once_per`): a repeated mass
    /// event, or a batch done again after a crash. Nothing was done twice.
    pub duplicate: u64,
    /// The case is not at a hold the event starts at (its application is still being
    /// decided, or the payment is suspended).
    pub not_now: u64,
    /// Anything else refused the message (the case closed meanwhile, its inbox full).
    pub failed: u64,
}

impl Counts {
    /// Every case counted.
    pub fn done(&self) -> u64 {
        self.started + self.kept + self.duplicate + self.not_now + self.failed
    }

    /// The sum of two counts.
    pub fn plus(&self, other: &Counts) -> Counts {
        Counts {
            started: self.started + other.started,
            kept: self.kept + other.kept,
            duplicate: self.duplicate + other.duplicate,
            not_now: self.not_now + other.not_now,
            failed: self.failed + other.failed,
        }
    }
}

/// A case the message failed on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Failure {
    /// The case's registration number.
    pub number: String,
    /// What refused the message.
    pub error: String,
}

/// A mass event to record.
#[derive(Debug, Clone)]
pub struct New {
    /// The service whose active cases it touches.
    pub service: String,
    /// The life event.
    pub event: String,
    /// The message that starts it.
    pub message: String,
    /// The message's fields, checked.
    pub payload: Value,
    /// Who entered it.
    pub created_by: String,
}

/// A mass event with its progress.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MassEvent {
    /// Its id.
    pub id: i64,
    /// The service whose active cases it touches.
    pub service: String,
    /// The life event.
    pub event: String,
    /// The message that starts it.
    pub message: String,
    /// The message's fields.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Who entered it (a login).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The active cases of the service when it was entered: what the progress is out of.
    pub total: u64,
    /// The id of the last case done: the run goes on after it.
    pub cursor: i64,
    /// What became of the cases so far.
    pub counts: Counts,
    /// The first failed cases ([`FAILURES_KEPT`] at most), with their errors.
    pub failures: Vec<Failure>,
    /// When the run came to the last case; `None` while it runs.
    pub finished_at: Option<DateTime<Utc>>,
    /// The process working it, while its lease holds.
    pub lease_owner: Option<String>,
    /// Until when that process holds it.
    pub lease_until: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, service, event, message, payload, created_by, created_at, total, cursor, \
     started, kept, duplicate, not_now, failed, failures, finished_at, lease_owner, lease_until";

/// A [`MassEvent`] from a row of [`COLUMNS`], in the backend's types.
macro_rules! read {
    ($r:expr) => {
        (|r: &DbRow| -> Result<MassEvent, Error> {
            let count =
                |i: usize| -> Result<u64, Error> { Ok(r.try_get::<i64, _>(i)?.max(0) as u64) };
            Ok(MassEvent {
                id: r.try_get(0)?,
                service: r.try_get(1)?,
                event: r.try_get(2)?,
                message: r.try_get(3)?,
                payload: read_json(r, 4, "mass event payload")?,
                created_by: r.try_get(5)?,
                created_at: read_ts(r, 6)?,
                total: count(7)?,
                cursor: r.try_get(8)?,
                counts: Counts {
                    started: count(9)?,
                    kept: count(10)?,
                    duplicate: count(11)?,
                    not_now: count(12)?,
                    failed: count(13)?,
                },
                failures: read_json(r, 14, "mass event failures")?,
                finished_at: read_ts_opt(r, 15)?,
                lease_owner: r.try_get(16)?,
                lease_until: read_ts_opt(r, 17)?,
            })
        })($r)
    };
}

/// Records a mass event, its total counted now: the active cases of its service.
pub async fn create(conn: &mut Conn, new: &New, now: DateTime<Utc>) -> Result<MassEvent, Error> {
    let text = format!(
        "insert into mass_events (service, event, message, payload, created_by, total, created_at, updated_at) \
         values (?1, ?2, ?3, ?4, ?5, (select count(*) from cases where service = ?1 and status = 'active'), ?6, ?6) \
         returning {COLUMNS}"
    );
    on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(&new.service)
            .bind(&new.event)
            .bind(&new.message)
            .bind(bind_json(&new.payload))
            .bind(&new.created_by)
            .bind(bind_ts(now))
            .fetch_one(&mut *c)
            .await?;
        read!(&row)
    })
}

/// One mass event.
pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<MassEvent>, Error> {
    let text = format!("select {COLUMNS} from mass_events where id = ?");
    on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(|r| read!(r)).transpose()
    })
}

/// The latest mass events, newest first; of one service when given.
pub async fn list(
    conn: &mut Conn,
    service: Option<&str>,
    limit: u32,
) -> Result<Vec<MassEvent>, Error> {
    let text = format!(
        "select {COLUMNS} from mass_events where (?1 is null or service = ?1) order by id desc limit ?2"
    );
    on!(conn, |c| {
        let rows = sqlx::query(sql_owned(text))
            .bind(service)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(|r| read!(r)).collect()
    })
}

/// The unfinished mass events nobody holds now (no lease, an expired one, or `by`'s own; any
/// lease when `owner`: the process owns the database, and a lease left in it was left by a run
/// that is gone), oldest first.
pub async fn runnable(
    conn: &mut Conn,
    by: &str,
    owner: bool,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql("select id from mass_events where finished_at is null \
             and (?3 or lease_until is null or lease_until < ?1 or lease_owner = ?2) order by id"))
        .bind(bind_ts(now))
        .bind(by)
        .bind(owner)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(Error::from))
            .collect()
    })
}

/// Leases mass event `id` to process `by` until `until`, when it is unfinished and nobody else
/// holds it (no lease, an expired one, or `by`'s own, which is renewed; any, when `owner`, as
/// [`runnable`] says): the event as leased, or `None`. The update is one statement, so of two
/// processes asking at once on a shared database only one gets it.
pub async fn lease(
    conn: &mut Conn,
    id: i64,
    by: &str,
    owner: bool,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<MassEvent>, Error> {
    let text = format!(
        "update mass_events set lease_owner = ?1, lease_until = ?2, updated_at = ?3 \
         where id = ?4 and finished_at is null \
         and (?5 or lease_until is null or lease_until < ?3 or lease_owner = ?1) \
         returning {COLUMNS}"
    );
    on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(by)
            .bind(bind_ts(until))
            .bind(bind_ts(now))
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(|r| read!(r)).transpose()
    })
}

/// The next `limit` active cases of `service` after case id `cursor`, in id order: id and
/// registration number.
pub async fn cases_after(
    conn: &mut Conn,
    service: &str,
    cursor: i64,
    limit: u32,
) -> Result<Vec<(i64, String)>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select id, number from cases where service = ? and status = 'active' and id > ? \
             order by id limit ?",
        ))
        .bind(service)
        .bind(cursor)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    })
}

/// The states of the cases `ids`, by id (a case that is not there is left out).
pub async fn states(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, CaseState)>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let text = format!("select id, state from cases where id in ({marks})");
    on!(conn, |c| {
        let mut query = sqlx::query(sql_owned(text));
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&mut *c).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, read_json(r, 1, "case state")?)))
            .collect()
    })
}

/// What one batch did, to be added to its mass event.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The id of the batch's last case: the new cursor.
    pub cursor: i64,
    /// What became of its cases.
    pub counts: Counts,
    /// Its failed cases.
    pub failures: Vec<Failure>,
    /// Whether it was the last: no active case of the service after it.
    pub last: bool,
}

/// Adds `batch` to mass event `id` — the cursor moved, the counts added, the failures kept up
/// to [`FAILURES_KEPT`], finished when it was the last — and renews `by`'s lease to `until`;
/// only while `by` holds the lease (`None` otherwise: another process took it over, and this
/// batch is that process's to count again, as duplicates).
pub async fn advance(
    conn: &mut Conn,
    id: i64,
    by: &str,
    batch: &Batch,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<MassEvent>, Error> {
    let Some(before) = get(conn, id).await? else {
        return Ok(None);
    };
    if before.lease_owner.as_deref() != Some(by) || before.finished_at.is_some() {
        return Ok(None);
    }
    let mut failures = before.failures;
    let room = FAILURES_KEPT.saturating_sub(failures.len());
    failures.extend(batch.failures.iter().take(room).cloned());
    let c = &batch.counts;
    let finished = batch.last.then_some(now);
    let text = format!(
        "update mass_events set cursor = ?1, started = started + ?2, kept = kept + ?3, \
         duplicate = duplicate + ?4, not_now = not_now + ?5, failed = failed + ?6, failures = ?7, \
         finished_at = ?8, lease_owner = case when ?8 is null then lease_owner end, \
         lease_until = case when ?8 is null then ?9 end, updated_at = ?10 \
         where id = ?11 and lease_owner = ?12 and finished_at is null returning {COLUMNS}"
    );
    on!(conn, |c2| {
        let row = sqlx::query(sql_owned(text))
            .bind(batch.cursor.max(before.cursor))
            .bind(c.started as i64)
            .bind(c.kept as i64)
            .bind(c.duplicate as i64)
            .bind(c.not_now as i64)
            .bind(c.failed as i64)
            .bind(bind_json(&failures))
            .bind(bind_ts_opt(finished))
            .bind(bind_ts(until))
            .bind(bind_ts(now))
            .bind(id)
            .bind(by)
            .fetch_optional(&mut *c2)
            .await?;
        row.as_ref().map(|r| read!(r)).transpose()
    })
}

/// Hands back the lease `by` holds on mass event `id` (a clean stop): another process may take
/// it at once.
pub async fn release(conn: &mut Conn, id: i64, by: &str, now: DateTime<Utc>) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "update mass_events set lease_owner = null, lease_until = null, updated_at = ? \
             where id = ? and lease_owner = ?",
        ))
        .bind(bind_ts(now))
        .bind(id)
        .bind(by)
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// The active cases of `service`: what a mass event entered now would touch.
pub async fn count_active(conn: &mut Conn, service: &str) -> Result<u64, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select count(*) from cases where service = ? and status = 'active'",
        ))
        .bind(service)
        .fetch_one(&mut *c)
        .await?;
        Ok(row.try_get::<i64, _>(0)?.max(0) as u64)
    })
}
