//! The record of scheduled starts: one row per occurrence, so each fires exactly once.

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};

/// Where the catch-up for `service` starts: the last occurrence fired, else the first
/// deployment of the service (occurrences before the engine knew the service are not its).
pub async fn last_handled(conn: &mut Conn, service: &str) -> Result<Option<DateTime<Utc>>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select coalesce((select max(due_at) from schedule_runs where service = ?1), \
                             (select min(created_at) from definitions where service = ?1))",
        ))
        .bind(service)
        .fetch_one(&mut *c)
        .await?;
        read_ts_opt(&row, 0)
    })
}

/// Claims an occurrence; `false` when it was fired already (by this process before a
/// restart, or by another process sharing the database: its claim, not yet committed, makes
/// this one wait, then find it).
pub async fn claim(
    conn: &mut Conn,
    service: &str,
    occurrence: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql(
            "insert into schedule_runs (service, occurrence, due_at, created_at, updated_at) values (?1, ?2, ?3, ?4, ?4) \
             on conflict (service, occurrence) do nothing",
        ))
        .bind(service)
        .bind(occurrence)
        .bind(bind_ts(due_at))
        .bind(bind_ts(now))
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Links a fired occurrence to the case it started.
pub async fn started(
    conn: &mut Conn,
    service: &str,
    occurrence: &str,
    case_id: i64,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "update schedule_runs set case_id = ? where service = ? and occurrence = ?",
        ))
        .bind(case_id)
        .bind(service)
        .bind(occurrence)
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}
