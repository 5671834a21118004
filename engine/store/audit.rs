//! The audit journal's rows: appended in the writer's transaction, read in pages.

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Location, parse_ts, ts};
use crate::audit::{Action, Entry, Record, Unreadable, chain};

/// Why reading or appending to the journal failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database said no (for an `UPDATE` or `DELETE`, the triggers' "the audit journal
    /// is append-only").
    #[error("database: {0}")]
    Database(#[from] super::Error),
    /// A stored row does not parse.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

const COLUMNS: &str = "seq, at, actor, source, action, object, details, prev_hash, hash";

/// Appends `entry` at `now` after the last record and returns the record stored.
///
/// Call it inside the transaction of the action it records (the worker's writer, the one
/// connection that writes): reading the last hash and inserting the next record must not
/// interleave with another append, and the record must commit or vanish with its action.
pub async fn append(conn: &mut Conn, entry: &Entry, now: DateTime<Utc>) -> Result<Record, Error> {
    on!(conn, |c| {
        // On a shared database, one append at a time across every process: the lock is
        // held until the appending transaction ends, so the next reads this one's hash.
        // No gap (the sequence is the last plus one, under the lock) and no fork.
        if POSTGRES {
            sqlx::query(sql("select pg_advisory_xact_lock(?)"))
                .bind(AUDIT_LOCK)
                .execute(&mut *c)
                .await
                .map_err(super::Error::from)?;
        }
        let last = sqlx::query(sql("select seq, hash from audit order by seq desc limit 1"))
            .fetch_optional(&mut *c)
            .await
            .map_err(super::Error::from)?;
        let prev: Option<(i64, String)> = match last {
            Some(r) => Some((
                r.try_get(0).map_err(super::Error::from)?,
                r.try_get(1).map_err(super::Error::from)?,
            )),
            None => None,
        };
        let record = chain::seal(
            prev.as_ref().map(|(s, h)| (*s, h.as_str())),
            entry,
            super::backend::micros(now),
        );
        sqlx::query(sql(
            "insert into audit (seq, at, actor, source, action, object, details, prev_hash, hash) \
             values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(record.seq)
        .bind(bind_ts(record.at))
        .bind(&record.actor)
        .bind(&record.source)
        .bind(record.action.as_str())
        .bind(&record.object)
        .bind(chain::canonical_json(&record.details))
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut *c)
        .await
        .map_err(super::Error::from)?;
        Ok(record)
    })
}

/// The advisory lock that orders appends to the journal on PostgreSQL ("qyzmaudt").
const AUDIT_LOCK: i64 = 0x7179_7a6d_6175_6474;

/// Up to `limit` rows after record `after`, in order: a page of the journal for
/// verification, each row a record or the reason it is not one. Reading in pages keeps no
/// read transaction open for the length of a large journal (which would stop the live
/// database's WAL from being checkpointed meanwhile).
pub async fn page(
    conn: &mut Conn,
    after: i64,
    limit: u32,
) -> Result<Vec<Result<Record, Unreadable>>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select seq, at, actor, source, action, object, details, prev_hash, hash from audit where seq > ? order by seq limit ?",
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(super::Error::from)?;
        Ok(rows.iter().map(record).collect())
    })
}

/// Which records [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// By this actor.
    pub actor: Option<String>,
    /// On this object.
    pub object: Option<String>,
    /// At most this many (the first ones from `since`); 0 means 1000.
    pub limit: u32,
}

/// Records matching `filter`, oldest first.
pub async fn list(conn: &mut Conn, filter: &Filter) -> Result<Vec<Record>, Error> {
    let mut text = format!("select {COLUMNS} from audit where 1 = 1");
    if filter.since.is_some() {
        text.push_str(" and at >= ?");
    }
    if filter.actor.is_some() {
        text.push_str(" and actor = ?");
    }
    if filter.object.is_some() {
        text.push_str(" and object = ?");
    }
    text.push_str(" order by seq limit ?");
    let limit = if filter.limit == 0 {
        1000
    } else {
        filter.limit
    };
    on!(conn, |c| {
        let mut query = sqlx::query(sql_owned(text));
        if let Some(since) = filter.since {
            query = query.bind(bind_ts(since));
        }
        for value in [&filter.actor, &filter.object].into_iter().flatten() {
            query = query.bind(value.clone());
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await
            .map_err(super::Error::from)?;
        rows.iter()
            .map(|r| record(r).map_err(Error::from))
            .collect()
    })
}

/// Records of any of `actions` at or after `since` and before `until`, oldest first, at
/// most `limit`: what a journal derived from this one reads (the administrators' journal of
/// logins issued, seeds/003 appendix 1).
pub async fn of_actions(
    conn: &mut Conn,
    actions: &[Action],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: u32,
) -> Result<Vec<Record>, Error> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; actions.len()].join(", ");
    let mut text = format!("select {COLUMNS} from audit where action in ({marks})");
    if since.is_some() {
        text.push_str(" and at >= ?");
    }
    if until.is_some() {
        text.push_str(" and at < ?");
    }
    text.push_str(" order by seq limit ?");
    on!(conn, |c| {
        let mut query = sqlx::query(sql_owned(text));
        for action in actions {
            query = query.bind(action.as_str());
        }
        for at in [since, until].into_iter().flatten() {
            query = query.bind(bind_ts(at));
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await
            .map_err(super::Error::from)?;
        rows.iter()
            .map(|r| record(r).map_err(Error::from))
            .collect()
    })
}

/// Opens the database for reading the journal, without the owner's lock: `qyzmet audit`
/// reads it while `qyzmet serve` owns an SQLite file (which is opened read-only, and must
/// exist: a missing file is an error, not a new database).
pub async fn open_read_only(location: &Location) -> Result<Conn, Error> {
    use sqlx::ConnectOptions;
    match location {
        Location::Sqlite(path) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .create_if_missing(false)
                .busy_timeout(std::time::Duration::from_secs(10));
            Ok(Conn::own_sqlite(
                options.connect().await.map_err(super::Error::from)?,
            ))
        }
        Location::Postgres(url) => {
            let options: sqlx::postgres::PgConnectOptions =
                url.parse().map_err(super::Error::from)?;
            Ok(Conn::own_postgres(
                options.connect().await.map_err(super::Error::from)?,
            ))
        }
    }
}

/// How a row's `at` reads on its backend: as a time, and as the text the chain covers.
trait AuditAt {
    fn audit_at(&self) -> Result<(DateTime<Utc>, String), String>;
}

/// SQLite keeps `at` as the text the chain was sealed over: it must parse, and be in the
/// journal's own format.
impl AuditAt for sqlx::sqlite::SqliteRow {
    fn audit_at(&self) -> Result<(DateTime<Utc>, String), String> {
        use sqlx::Row;
        let r = self;
        let text: String = r.try_get(1).map_err(|e| format!("at: {e}"))?;
        let at = parse_ts(&text).map_err(|e| format!("at: {e}"))?;
        if ts(at) != text {
            return Err(format!("at: `{text}` is not in the journal's format"));
        }
        Ok((at, text))
    }
}

/// PostgreSQL keeps `at` as a `timestamptz`, to the microsecond the chain was sealed at.
impl AuditAt for sqlx::postgres::PgRow {
    fn audit_at(&self) -> Result<(DateTime<Utc>, String), String> {
        use sqlx::Row;
        let r = self;
        let at: DateTime<Utc> = r.try_get(1).map_err(|e| format!("at: {e}"))?;
        Ok((at, ts(at)))
    }
}

fn record<R>(r: &R) -> Result<Record, Unreadable>
where
    R: sqlx::Row + AuditAt,
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let seq: i64 = r.try_get(0).unwrap_or(-1);
    let action_text: String = r.try_get(4).unwrap_or_default();
    let at = r.audit_at();
    let at_text = match &at {
        Ok((_, text)) => text.clone(),
        Err(_) => String::new(),
    };
    let unreadable = |message: String| Unreadable {
        seq,
        at: at_text.clone(),
        action: action_text.clone(),
        message,
    };
    let text = |i: usize, name: &str| -> Result<String, Unreadable> {
        r.try_get(i).map_err(|e| unreadable(format!("{name}: {e}")))
    };
    let optional = |i: usize, name: &str| -> Result<Option<String>, Unreadable> {
        r.try_get(i).map_err(|e| unreadable(format!("{name}: {e}")))
    };
    let (at, _) = at.map_err(&unreadable)?;
    let action: Action = text(4, "action")?
        .parse()
        .map_err(|e: crate::audit::UnknownAction| unreadable(e.to_string()))?;
    let details = serde_json::from_str(&text(6, "details")?)
        .map_err(|e| unreadable(format!("details are not JSON: {e}")))?;
    Ok(Record {
        seq,
        at,
        actor: text(2, "actor")?,
        source: optional(3, "source")?,
        action,
        object: optional(5, "object")?,
        details,
        prev_hash: text(7, "prev_hash")?,
        hash: text(8, "hash")?,
    })
}
