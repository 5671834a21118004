//! Waves of proactive cases: the `waves` table (migrations 0016, postgres 0007). One row per
//! list of people each of whom gets a case of a service without an application (seeds/001,
//! ENPF rules items 4, 16), with how far its run has come: the rows of the list done
//! (`cursor`), the cases opened, the people skipped (a case of the service open already), the
//! rows refused with their line and reason, and the lease of the process working it. The
//! rules of the run are [`crate::wave`]'s.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::backend::on;
use super::{Conn, Error};
use crate::runtime::{Effect, Transition};

/// The refused rows a wave keeps with their reasons; past them only the count grows.
pub const REFUSALS_KEPT: usize = 1000;

/// What became of the rows a run has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    /// A case was opened for the person (by this wave; a batch done again after a crash finds
    /// the case it opened and counts it here again, not twice).
    pub opened: u64,
    /// The person has an open case of the service already: none opened.
    pub skipped: u64,
    /// The row is wrong (an IIN or a phone that is not one): none opened.
    pub refused: u64,
}

impl Counts {
    /// Every row counted.
    pub fn done(&self) -> u64 {
        self.opened + self.skipped + self.refused
    }
}

/// A row of the list that opened no case, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refusal {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// A wave to record.
#[derive(Debug, Clone)]
pub struct New {
    /// Its key: the effect's (`case:seq:n`), or `api:<uuid>`; a wave is recorded once per key.
    pub key: String,
    /// The service each person gets a case of.
    pub service: String,
    /// The case that started it, by registration number.
    pub parent_case: Option<String>,
    /// The region the cases are opened in.
    pub region: String,
    /// The list document's value (`{name, sha256, …}`), or `null` when `csv` holds it.
    pub list: Value,
    /// The list itself, when it came with the request.
    pub csv: Option<String>,
    /// Who started it (a login, or `engine` for a case's step).
    pub created_by: String,
}

/// A wave with its progress.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Wave {
    /// Its id.
    pub id: i64,
    /// The service each person gets a case of.
    pub service: String,
    /// The case that started it, when a case did.
    pub parent_case: Option<String>,
    /// The region the cases are opened in.
    pub region: String,
    /// The list document.
    #[schema(value_type = Object)]
    pub list: Value,
    /// Who started it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The list's rows (without the header), once it has been read.
    pub total: u64,
    /// The rows done.
    pub cursor: u64,
    /// What became of them.
    pub counts: Counts,
    /// The first refused rows ([`REFUSALS_KEPT`] at most).
    pub refusals: Vec<Refusal>,
    /// Why the list could not be read at all, when it could not (the wave is then finished
    /// with nothing opened).
    pub error: Option<String>,
    /// When the run came to the last row; `None` while it runs.
    pub finished_at: Option<DateTime<Utc>>,
    /// The process working it, while its lease holds.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_until: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, service, parent_case, region, list, created_by, created_at, total, \
     cursor, opened, skipped, refused, refusals, error, finished_at, lease_owner, lease_until";

macro_rules! read {
    ($r:expr) => {
        (|r: &DbRow| -> Result<Wave, Error> {
            let count =
                |i: usize| -> Result<u64, Error> { Ok(r.try_get::<i64, _>(i)?.max(0) as u64) };
            Ok(Wave {
                id: r.try_get(0)?,
                service: r.try_get(1)?,
                parent_case: r.try_get(2)?,
                region: r.try_get(3)?,
                list: read_json(r, 4, "wave list")?,
                created_by: r.try_get(5)?,
                created_at: read_ts(r, 6)?,
                total: count(7)?,
                cursor: count(8)?,
                counts: Counts {
                    opened: count(9)?,
                    skipped: count(10)?,
                    refused: count(11)?,
                },
                refusals: read_json(r, 12, "wave refusals")?,
                error: r.try_get(13)?,
                finished_at: read_ts_opt(r, 14)?,
                lease_owner: r.try_get(15)?,
                lease_until: read_ts_opt(r, 16)?,
            })
        })($r)
    };
}

/// Records a wave; `None` when one of its key is recorded already.
pub async fn create(conn: &mut Conn, new: &New, now: DateTime<Utc>) -> Result<Option<Wave>, Error> {
    let text = format!(
        "insert into waves (key, service, parent_case, region, list, csv, created_by, created_at, updated_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) on conflict (key) do nothing returning {COLUMNS}"
    );
    on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(&new.key)
            .bind(&new.service)
            .bind(&new.parent_case)
            .bind(&new.region)
            .bind(bind_json(&new.list))
            .bind(&new.csv)
            .bind(&new.created_by)
            .bind(bind_ts(now))
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(|r| read!(r)).transpose()
    })
}

/// Records the waves a transition's effects start (`Effect::StartWave`), each in the region of
/// the case that started it. In the writer's transaction, after the transition's own rows; the
/// caller wakes the runner after commit.
pub async fn write_effects(
    conn: &mut Conn,
    t: &Transition,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let mut any = false;
    for effect in &t.effects {
        if let Effect::StartWave {
            key, service, list, ..
        } = effect
        {
            let new = New {
                key: key.clone(),
                service: service.clone(),
                parent_case: Some(t.state.number.clone()),
                region: t.state.region.clone(),
                list: list.clone(),
                csv: None,
                created_by: "engine".to_string(),
            };
            create(conn, &new, now).await?;
            any = true;
        }
    }
    Ok(any)
}

/// One wave.
pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Wave>, Error> {
    let text = format!("select {COLUMNS} from waves where id = ?");
    on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(|r| read!(r)).transpose()
    })
}

/// The waves a case started, oldest first.
pub async fn of_case(conn: &mut Conn, number: &str) -> Result<Vec<Wave>, Error> {
    let text = format!("select {COLUMNS} from waves where parent_case = ? order by id");
    on!(conn, |c| {
        let rows = sqlx::query(sql_owned(text))
            .bind(number)
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(|r| read!(r)).collect()
    })
}

/// The list a wave was given with its request, if it was.
pub async fn csv(conn: &mut Conn, id: i64) -> Result<Option<String>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql("select csv from waves where id = ?"))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => None,
        })
    })
}

/// The unfinished waves nobody holds now (as `mass_events::runnable`), oldest first.
pub async fn runnable(
    conn: &mut Conn,
    by: &str,
    owner: bool,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql("select id from waves where finished_at is null \
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

/// Leases wave `id` to `by` until `until` when it is unfinished and nobody else holds it
/// (as `mass_events::lease`): the wave as leased, or `None`. One statement.
pub async fn lease(
    conn: &mut Conn,
    id: i64,
    by: &str,
    owner: bool,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Wave>, Error> {
    let text = format!(
        "update waves set lease_owner = ?1, lease_until = ?2, updated_at = ?3 \
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

/// What one batch did, to be added to its wave.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The rows done after it.
    pub cursor: u64,
    /// The list's rows.
    pub total: u64,
    /// What became of its rows.
    pub counts: Counts,
    /// Its refused rows.
    pub refusals: Vec<Refusal>,
    /// Why the list could not be read, when it could not.
    pub error: Option<String>,
    /// Whether it was the last.
    pub last: bool,
}

/// Adds `batch` to wave `id` — the cursor moved, the counts added, the refusals kept up to
/// [`REFUSALS_KEPT`], finished when it was the last — and renews `by`'s lease to `until`; only
/// while `by` holds the lease (`None` otherwise).
pub async fn advance(
    conn: &mut Conn,
    id: i64,
    by: &str,
    batch: &Batch,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Wave>, Error> {
    let Some(before) = get(conn, id).await? else {
        return Ok(None);
    };
    if before.lease_owner.as_deref() != Some(by) || before.finished_at.is_some() {
        return Ok(None);
    }
    let mut refusals = before.refusals;
    let room = REFUSALS_KEPT.saturating_sub(refusals.len());
    refusals.extend(batch.refusals.iter().take(room).cloned());
    let c = &batch.counts;
    let finished = batch.last.then_some(now);
    let text = format!(
        "update waves set cursor = ?1, total = ?2, opened = opened + ?3, skipped = skipped + ?4, \
         refused = refused + ?5, refusals = ?6, error = ?7, finished_at = ?8, \
         lease_owner = case when ?8 is null then lease_owner end, \
         lease_until = case when ?8 is null then ?9 end, updated_at = ?10 \
         where id = ?11 and lease_owner = ?12 and finished_at is null returning {COLUMNS}"
    );
    on!(conn, |c2| {
        let row = sqlx::query(sql_owned(text))
            .bind(batch.cursor.max(before.cursor) as i64)
            .bind(batch.total as i64)
            .bind(c.opened as i64)
            .bind(c.skipped as i64)
            .bind(c.refused as i64)
            .bind(bind_json(&refusals))
            .bind(&batch.error)
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

/// Hands back the lease `by` holds on wave `id`.
pub async fn release(conn: &mut Conn, id: i64, by: &str, now: DateTime<Utc>) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "update waves set lease_owner = null, lease_until = null, updated_at = ? \
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

/// The registration number of an open case of `service` whose applicant is `iin`, if any (the
/// search index's `case_people`, by IIN).
pub async fn open_case_of(
    conn: &mut Conn,
    service: &str,
    iin: &str,
) -> Result<Option<String>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select i.number from case_people p join case_index i on i.case_id = p.case_id \
             where p.iin = ? and p.role = 'applicant' and p.service = ? and i.status = 'active' \
             order by p.case_id limit 1",
        ))
        .bind(iin)
        .bind(service)
        .fetch_optional(&mut *c)
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    })
}

/// The registration numbers of every case of `service`, open or closed, in id order: what a
/// wave's outcome is read from in the tests and the operator's checks.
pub async fn numbers_of_service(conn: &mut Conn, service: &str) -> Result<Vec<String>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select number from cases where service = ? order by id",
        ))
        .bind(service)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(Error::from))
            .collect()
    })
}
