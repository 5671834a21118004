//! What the term-compliance figures read (`crate::compliance`): the cases of one service in a
//! period, with the few values of their state the figures need, and those cases' tasks with
//! who completed each and when. Read-only, on a reader of the pool.
//!
//! **Bounded by the period, one service at a time.** Both statements take the cases of one
//! service (`service = ?`: the `cases_by_status (service, status)` index, migration 0001, on
//! both backends) registered before the period's end and either registered or changed within
//! it, or still active (an old case still open is overdue work now). A report over every
//! service asks once per service the engine knows, so no statement reads the whole `cases`
//! table. Within a service the rows are filtered by their columns, not an index: a service's
//! cases since the archive's cutoff (`crate::archive`) is the most a statement reads, and a
//! new index on `(service, created_at)` would not serve the `or updated_at` half. The tasks
//! come by `tasks_by_case (case_id)`, and each task's completion from its case's history by
//! the history's primary key `(case_id, seq, n)`: a case's few dozen lines, filtered by kind.
//!
//! **The values of the state** are read in SQL (`json_extract` on SQLite, `#>>` on
//! PostgreSQL), not by loading the whole state: a case's data can be large and the figures
//! need five of its values.

use chrono::{DateTime, NaiveDate, Utc};

use super::backend::on;
use super::{Conn, Error};
use crate::runtime::Actor;

/// A case as the figures read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// `active`, `completed` or `withdrawn`.
    pub status: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// The last day of its statutory term (`state.term.due_on`); `None` when the term never
    /// started (the documents were refused at acceptance, or it is not accepted yet).
    pub due_on: Option<NaiveDate>,
    /// When a living case came to its first hold: the service rendered (`state.term.met_at`).
    pub met_at: Option<DateTime<Utc>>,
    /// Since when the term is paused (`state.term.paused_since`): the result waits for the
    /// citizen at the State Corporation.
    pub paused_since: Option<DateTime<Utc>>,
    /// When it reached its end or was withdrawn (`state.closed_at`).
    pub closed_at: Option<DateTime<Utc>>,
}

/// A task of a case as the figures read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// Its step's path (`review`; `hearing_call/hold_hearing` inside a sub-workflow).
    pub step: String,
    /// Whether it is still open or claimed (a closed one was completed, or cancelled when its
    /// case ended).
    pub open: bool,
    /// Who holds it, when claimed.
    pub assignee: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it is due, if it has a due time.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was completed (its `task_completed` history line), if it was.
    pub completed_at: Option<DateTime<Utc>>,
    /// The login of the clerk who completed it.
    pub completed_by: Option<String>,
}

/// The cases of `service` (of `region`, or every region for `None`) registered before `end`
/// and registered or changed since `start`, or still active.
pub async fn cases(
    conn: &mut Conn,
    service: &str,
    region: Option<&str>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<CaseRow>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(pick(
            "select c.status, c.created_at, \
             json_extract(c.state, '$.term.due_on'), json_extract(c.state, '$.term.met_at'), \
             json_extract(c.state, '$.term.paused_since'), json_extract(c.state, '$.closed_at') \
             from cases c where c.service = ?1 and (?2 is null or c.region = ?2) \
             and c.created_at < ?4 and (c.created_at >= ?3 or c.updated_at >= ?3 or c.status = 'active')",
            "select c.status, c.created_at, \
             c.state #>> '{term,due_on}', c.state #>> '{term,met_at}', \
             c.state #>> '{term,paused_since}', c.state #>> '{closed_at}' \
             from cases c where c.service = ?1 and (?2::text is null or c.region = ?2) \
             and c.created_at < ?4 and (c.created_at >= ?3 or c.updated_at >= ?3 or c.status = 'active')",
        ))
        .bind(service)
        .bind(region)
        .bind(bind_ts(start))
        .bind(bind_ts(end))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                let due_on: Option<String> = r.try_get(2)?;
                Ok(CaseRow {
                    status: r.try_get(0)?,
                    created_at: read_ts(r, 1)?,
                    due_on: due_on.as_deref().map(date).transpose()?,
                    met_at: instant(r.try_get(3)?)?,
                    paused_since: instant(r.try_get(4)?)?,
                    closed_at: instant(r.try_get(5)?)?,
                })
            })
            .collect()
    })
}

/// The tasks of the cases [`cases`] selects, each with its completion when it was completed.
pub async fn tasks(
    conn: &mut Conn,
    service: &str,
    region: Option<&str>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<TaskRow>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(pick(
            "select t.step, t.status, t.assignee, t.created_at, t.due_at, h.at, h.actor \
             from cases c join tasks t on t.case_id = c.id \
             left join history h on h.case_id = t.case_id and h.kind = 'task_completed' \
             and json_extract(h.detail, '$.task') = t.key \
             where c.service = ?1 and (?2 is null or c.region = ?2) \
             and c.created_at < ?4 and (c.created_at >= ?3 or c.updated_at >= ?3 or c.status = 'active')",
            "select t.step, t.status, t.assignee, t.created_at, t.due_at, h.at, h.actor \
             from cases c join tasks t on t.case_id = c.id \
             left join history h on h.case_id = t.case_id and h.kind = 'task_completed' \
             and h.detail ->> 'task' = t.key \
             where c.service = ?1 and (?2::text is null or c.region = ?2) \
             and c.created_at < ?4 and (c.created_at >= ?3 or c.updated_at >= ?3 or c.status = 'active')",
        ))
        .bind(service)
        .bind(region)
        .bind(bind_ts(start))
        .bind(bind_ts(end))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get(1)?;
                let actor: Option<Actor> = read_json_opt(r, 6, "history actor")?;
                Ok(TaskRow {
                    step: r.try_get(0)?,
                    open: status != "closed",
                    assignee: r.try_get(2)?,
                    created_at: read_ts(r, 3)?,
                    due_at: read_ts_opt(r, 4)?,
                    completed_at: read_ts_opt(r, 5)?,
                    completed_by: match actor {
                        Some(Actor::Clerk(login)) => Some(login),
                        _ => None,
                    },
                })
            })
            .collect()
    })
}

/// A date of the state (`2026-10-09`).
fn date(text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| Error::Corrupt {
        what: "term due date",
        message: e.to_string(),
    })
}

/// An instant of the state, as serde wrote it (RFC 3339).
fn instant(text: Option<String>) -> Result<Option<DateTime<Utc>>, Error> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|e| Error::Corrupt {
                what: "case state instant",
                message: e.to_string(),
            })
    })
    .transpose()
}
