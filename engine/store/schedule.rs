//! The record of scheduled starts: one row per occurrence, so each fires exactly once.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::{Error, parse_ts, ts};

/// Where the catch-up for `service` starts: the last occurrence fired, else the first
/// deployment of the service (occurrences before the engine knew the service are not its).
pub async fn last_handled(
    conn: &mut SqliteConnection,
    service: &str,
) -> Result<Option<DateTime<Utc>>, Error> {
    let row = sqlx::query(
        "select coalesce((select max(due_at) from schedule_runs where service = ?1), \
                         (select min(created_at) from definitions where service = ?1))",
    )
    .bind(service)
    .fetch_one(&mut *conn)
    .await?;
    row.get::<Option<&str>, _>(0).map(parse_ts).transpose()
}

/// Claims an occurrence; `false` when it was fired already (by this process before a
/// restart, or by another process sharing the database).
pub async fn claim(
    conn: &mut SqliteConnection,
    service: &str,
    occurrence: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "insert into schedule_runs (service, occurrence, due_at, created_at, updated_at) values (?, ?, ?, ?, ?) \
         on conflict (service, occurrence) do nothing",
    )
    .bind(service)
    .bind(occurrence)
    .bind(ts(due_at))
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Links a fired occurrence to the case it started.
pub async fn started(
    conn: &mut SqliteConnection,
    service: &str,
    occurrence: &str,
    case_id: i64,
) -> Result<(), Error> {
    sqlx::query("update schedule_runs set case_id = ? where service = ? and occurrence = ?")
        .bind(case_id)
        .bind(service)
        .bind(occurrence)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
