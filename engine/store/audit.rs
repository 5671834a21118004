//! The audit journal's rows: appended in the writer's transaction, read in pages.

use std::path::Path;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Executor, Row, Sqlite, SqliteConnection};

use super::{parse_ts, ts};
use crate::audit::{Action, Entry, Record, Unreadable, chain};

/// Why reading or appending to the journal failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database said no (for an `UPDATE` or `DELETE`, the triggers' "the audit journal
    /// is append-only").
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
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
pub async fn append(
    conn: &mut SqliteConnection,
    entry: &Entry,
    now: DateTime<Utc>,
) -> Result<Record, Error> {
    let last = sqlx::query("select seq, hash from audit order by seq desc limit 1")
        .fetch_optional(&mut *conn)
        .await?;
    let prev: Option<(i64, String)> = last.map(|r| (r.get(0), r.get(1)));
    let record = chain::seal(prev.as_ref().map(|(s, h)| (*s, h.as_str())), entry, now);
    sqlx::query(
        "insert into audit (seq, at, actor, source, action, object, details, prev_hash, hash) \
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record.seq)
    .bind(ts(record.at))
    .bind(&record.actor)
    .bind(&record.source)
    .bind(record.action.as_str())
    .bind(&record.object)
    .bind(chain::canonical_json(&record.details))
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .execute(&mut *conn)
    .await?;
    Ok(record)
}

/// Up to `limit` rows after record `after`, in order: a page of the journal for
/// verification, each row a record or the reason it is not one. Reading in pages keeps no
/// read transaction open for the length of a large journal (which would stop the live
/// database's WAL from being checkpointed meanwhile).
pub async fn page<'e, E>(
    db: E,
    after: i64,
    limit: u32,
) -> Result<Vec<Result<Record, Unreadable>>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from audit where seq > ? order by seq limit ?"
    )))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(record).collect())
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
pub async fn list<'e, E>(db: E, filter: &Filter) -> Result<Vec<Record>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let mut sql = format!("select {COLUMNS} from audit where 1 = 1");
    if filter.since.is_some() {
        sql.push_str(" and at >= ?");
    }
    if filter.actor.is_some() {
        sql.push_str(" and actor = ?");
    }
    if filter.object.is_some() {
        sql.push_str(" and object = ?");
    }
    sql.push_str(" order by seq limit ?");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(since) = filter.since {
        query = query.bind(ts(since));
    }
    for value in [&filter.actor, &filter.object].into_iter().flatten() {
        query = query.bind(value.clone());
    }
    let limit = if filter.limit == 0 {
        1000
    } else {
        filter.limit
    };
    let rows = query.bind(i64::from(limit)).fetch_all(db).await?;
    rows.iter()
        .map(|r| record(r).map_err(Error::from))
        .collect()
}

/// Opens the database file for reading only, without the owner's lock: `qyzmet audit`
/// reads the journal while `qyzmet serve` owns the file. A missing file is an error, not
/// a new database.
pub async fn open_read_only(path: &Path) -> Result<SqliteConnection, Error> {
    use sqlx::ConnectOptions;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(10));
    Ok(options.connect().await?)
}

fn record(r: &SqliteRow) -> Result<Record, Unreadable> {
    let seq: i64 = r.get(0);
    let at_text: String = r.try_get(1).unwrap_or_default();
    let action_text: String = r.try_get(4).unwrap_or_default();
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
    let at = parse_ts(&text(1, "at")?).map_err(|e| unreadable(format!("at: {e}")))?;
    if ts(at) != at_text {
        return Err(unreadable(format!(
            "at: `{at_text}` is not in the journal's format"
        )));
    }
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
