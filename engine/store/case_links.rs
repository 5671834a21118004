//! The cases a report counted: the `case_links` table (migrations 0018, postgres 0009), and
//! the reads the `qyzmet.service_cases` request makes ([`crate::service_cases`]).
//!
//! A link names the counted case by its registration number, so that it outlives the counted
//! case's move to the archive; it belongs to the report's case (`case_id`), and moves with
//! it. The links of one request are replaced whole ([`replace`]): a report asked again (a
//! return for revision, a retry after a crash) counts afresh and never adds to what it
//! counted before.

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};
use crate::runtime::CaseState;

/// One case a report counted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Link {
    /// The counted case's registration number.
    pub number: String,
    /// Its service.
    pub service: String,
    /// The period it was counted for: `2026-Q3`, `2026-07` or `2026`.
    pub period: String,
    /// Its result, when it had ended.
    pub result: Option<String>,
    /// The date it was selected by, `YYYY-MM-DD`.
    #[serde(rename = "date")]
    pub on_date: String,
    /// The amount summed for it, canonical money text (`"8650.00"`).
    pub amount: Option<String>,
}

/// A report that counted a case: what the counted case's page names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CountedIn {
    /// The report's registration number.
    pub number: String,
    /// The report's service.
    pub service: String,
    /// The period the case was counted for.
    pub period: String,
}

/// Replaces the links request `query` of case `case_id` made by `links`, in the caller's
/// transaction.
pub async fn replace(
    conn: &mut Conn,
    case_id: i64,
    query: &str,
    links: &[Link],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "delete from case_links where case_id = ? and query = ?",
        ))
        .bind(case_id)
        .bind(query)
        .execute(&mut *c)
        .await?;
        for l in links {
            sqlx::query(sql(
                "insert into case_links (case_id, query, linked_number, linked_service, period, \
                 result, on_date, amount, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ))
            .bind(case_id)
            .bind(query)
            .bind(&l.number)
            .bind(&l.service)
            .bind(&l.period)
            .bind(&l.result)
            .bind(&l.on_date)
            .bind(&l.amount)
            .bind(bind_ts(now))
            .execute(&mut *c)
            .await?;
        }
        Ok(())
    })
}

/// The cases case `case_id` counted, by service, period and number.
pub async fn of_report(conn: &mut Conn, case_id: i64) -> Result<Vec<Link>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select distinct linked_number, linked_service, period, result, on_date, amount \
             from case_links where case_id = ? order by linked_service, period, linked_number",
        ))
        .bind(case_id)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Link {
                    number: r.try_get(0)?,
                    service: r.try_get(1)?,
                    period: r.try_get(2)?,
                    result: r.try_get(3)?,
                    on_date: r.try_get(4)?,
                    amount: r.try_get(5)?,
                })
            })
            .collect()
    })
}

/// The reports that counted case `number`, the earliest first.
pub async fn counted_in(conn: &mut Conn, number: &str) -> Result<Vec<CountedIn>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select distinct c.number, c.service, l.period, c.id from case_links l \
             join cases c on c.id = l.case_id where l.linked_number = ? order by c.id",
        ))
        .bind(number)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CountedIn {
                    number: r.try_get(0)?,
                    service: r.try_get(1)?,
                    period: r.try_get(2)?,
                })
            })
            .collect()
    })
}

/// The id and registration number of the case whose outbox job `key` is.
pub async fn case_of_job(conn: &mut Conn, key: &str) -> Result<Option<(i64, String)>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select c.id, c.number from jobs j join cases c on c.id = j.case_id where j.key = ?",
        ))
        .bind(key)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    })
}

/// What [`alive`] selects by.
#[derive(Debug, Clone, Copy)]
pub struct Alive<'a> {
    /// The service.
    pub service: &'a str,
    /// Only the cases that ended with this result; `None`: every case.
    pub result: Option<&'a str>,
    /// The cases opened before this instant…
    pub opened_before: DateTime<Utc>,
    /// …and still running, or last changed at or after this one.
    pub changed_since: DateTime<Utc>,
}

/// A page of at most `limit` cases that `a` selects, after case id `after`, by id: the cases
/// a date set while they ran can fall in a period for. Read page by page so that a service
/// with many cases does not fill memory.
pub async fn alive(
    conn: &mut Conn,
    a: Alive<'_>,
    after: i64,
    limit: u32,
) -> Result<Vec<CaseState>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select state from cases where service = ? and id > ? and created_at < ? \
             and (status = 'active' or updated_at >= ?) \
             and (? is null or (status <> 'active' and result = ?)) \
             order by id limit ?",
        ))
        .bind(a.service)
        .bind(after)
        .bind(bind_ts(a.opened_before))
        .bind(bind_ts(a.changed_since))
        .bind(a.result)
        .bind(a.result)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(|r| read_json(r, 0, "case state")).collect()
    })
}
