//! The idempotency keys of applications: which case a caller's key opened, and for which
//! application (its digest).

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};

/// What a key opened before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The digest of the application it was filed with.
    pub digest: String,
    /// The registration number of the case it opened.
    pub number: String,
}

/// The case `login`'s `key` opened, if any.
pub async fn find(conn: &mut Conn, login: &str, key: &str) -> Result<Option<Opened>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select k.digest, c.number from idempotency_keys k join cases c on c.id = k.case_id \
             where k.login = ? and k.key = ?",
        ))
        .bind(login)
        .bind(key)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| {
            Ok(Opened {
                digest: r.try_get(0)?,
                number: r.try_get(1)?,
            })
        })
        .transpose()
    })
}

/// Records that `login`'s `key` opened case `case_id` for the application of `digest`; in the
/// transaction that opens the case. Two processes opening with the same key at once: the
/// second waits for the first's key and fails (`23505`), and the writer runs its command
/// again, which then finds the key.
pub async fn remember(
    conn: &mut Conn,
    login: &str,
    key: &str,
    digest: &str,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "insert into idempotency_keys (login, key, digest, case_id, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?5)",
        ))
        .bind(login)
        .bind(key)
        .bind(digest)
        .bind(case_id)
        .bind(bind_ts(now))
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}
