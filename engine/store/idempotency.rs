//! The idempotency keys of applications: which case a caller's key opened, and for which
//! application (its digest).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::{Error, ts};

/// What a key opened before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The digest of the application it was filed with.
    pub digest: String,
    /// The registration number of the case it opened.
    pub number: String,
}

/// The case `login`'s `key` opened, if any.
pub async fn find(
    conn: &mut SqliteConnection,
    login: &str,
    key: &str,
) -> Result<Option<Opened>, Error> {
    let row = sqlx::query(
        "select k.digest, c.number from idempotency_keys k join cases c on c.id = k.case_id \
         where k.login = ? and k.key = ?",
    )
    .bind(login)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| Opened {
        digest: r.get(0),
        number: r.get(1),
    }))
}

/// Records that `login`'s `key` opened case `case_id` for the application of `digest`; in the
/// transaction that opens the case.
pub async fn remember(
    conn: &mut SqliteConnection,
    login: &str,
    key: &str,
    digest: &str,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into idempotency_keys (login, key, digest, case_id, created_at, updated_at) \
         values (?, ?, ?, ?, ?, ?)",
    )
    .bind(login)
    .bind(key)
    .bind(digest)
    .bind(case_id)
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
