//! The two databases the store speaks to, and the one way its statements are written for
//! both.
//!
//! **Why an enum and one text per statement, not a trait with two implementations.** The
//! backend is chosen at start from a URL, so the choice is a value; a trait object would box
//! every call's future, and two implementations of some hundred statements would drift. Each
//! store function is written once, as the body of [`on!`], which compiles it twice: once
//! with a `&mut SqliteConnection` (or `&SqlitePool`) and the helpers of [`sqlite`] in scope,
//! once with a `&mut PgConnection` and those of [`postgres`]. The SQL text is SQLite's, with
//! `?` and `?N` parameters; PostgreSQL's numbered `$N` form is made from it once per
//! statement ([`postgres::sql`]). Where the two dialects differ, [`sqlite::pick`] and
//! [`postgres::pick`] choose the text. Timestamps are fixed-width UTC text in SQLite and
//! `timestamptz` in PostgreSQL, JSON is text and `jsonb`: the `bind_*` and `read_*` helpers
//! convert, so a body never names a column type.
//!
//! Transactions are SQL statements on the connection (`begin`, `savepoint`, `release`,
//! `rollback to`), counted by [`Conn`]: the writer's batch, each command's savepoint and a
//! transact function's savepoint nest on one connection whatever the backend.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Database, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool};

use super::Error;

/// Where the database is: an SQLite file (the embedded default) or a PostgreSQL server that
/// several engine processes share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file.
    Sqlite(PathBuf),
    /// The connection URL (`postgres://user@host:5432/db`).
    Postgres(String),
}

impl Location {
    /// Reads `--database` or `DATABASE_URL`: a `postgres://` or `postgresql://` URL, an
    /// `sqlite:` URL, or a file path.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            let path = text
                .strip_prefix("sqlite://")
                .or_else(|| text.strip_prefix("sqlite:"))
                .unwrap_or(text);
            Location::Sqlite(PathBuf::from(path))
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// How logs and messages name it: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => {
                // scheme://user:password@host/…?password=…: the password, in either place,
                // is what is hidden.
                let (address, query) = match url.split_once('?') {
                    Some((a, q)) => (a, Some(q)),
                    None => (url.as_str(), None),
                };
                let mut shown = match address.split_once("://") {
                    Some((scheme, rest)) => match rest.split_once('@') {
                        Some((user, host)) => match user.split_once(':') {
                            Some((name, _)) => format!("{scheme}://{name}:***@{host}"),
                            None => address.to_string(),
                        },
                        None => address.to_string(),
                    },
                    None => address.to_string(),
                };
                if let Some(query) = query {
                    let pairs: Vec<String> = query
                        .split('&')
                        .map(|pair| match pair.split_once('=') {
                            Some(("password", _)) => "password=***".to_string(),
                            _ => pair.to_string(),
                        })
                        .collect();
                    shown.push('?');
                    shown.push_str(&pairs.join("&"));
                }
                shown
            }
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Sqlite(path)
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Self {
        Location::Sqlite(path.clone())
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Self {
        location.clone()
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::Sqlite(path.to_path_buf())
    }
}

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, one engine process.
    Sqlite,
    /// A server, several engine processes.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// One of two things, by backend: what [`on!`] matches on.
pub enum Either<S, P> {
    /// SQLite's.
    Sqlite(S),
    /// PostgreSQL's.
    Postgres(P),
}

/// The readers' pool.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub(crate) fn backend(&self) -> Either<&SqlitePool, &PgPool> {
        match self {
            Pool::Sqlite(p) => Either::Sqlite(p),
            Pool::Postgres(p) => Either::Postgres(p),
        }
    }

    pub(crate) async fn acquire(&self) -> Result<Conn, Error> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::new(Link::Sqlite(Held::Pooled(p.acquire().await?))),
            Pool::Postgres(p) => Conn::new(Link::Postgres(Held::Pooled(p.acquire().await?))),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A connection a store function runs on: a reader from the pool, or the writer's own, in
/// its transaction. Nothing outside the store sees what is inside.
pub struct Conn {
    link: Link,
    /// Open transaction levels: 0 none, 1 the transaction, more its savepoints.
    depth: u32,
    /// Writes held back to the end of the writer's batch (`super::held`); `None` while
    /// every write goes to the database at once.
    held: Option<Box<super::held::Held>>,
    /// Whether this transaction queued a job that is due now, or handed jobs back: what
    /// the job loops are woken for after the commit (`crate::worker::writer`). Waking them
    /// after every commit instead made each wake-up's lease a command of its own, and on
    /// PostgreSQL each lease's commit a notice that woke every process's loop again.
    made_work: bool,
}

enum Link {
    Sqlite(Held<Sqlite>),
    Postgres(Held<Postgres>),
}

enum Held<DB: Database> {
    Own(DB::Connection),
    Pooled(PoolConnection<DB>),
}

impl<DB: Database> Held<DB> {
    fn get(&mut self) -> &mut DB::Connection {
        match self {
            Held::Own(c) => c,
            Held::Pooled(c) => c,
        }
    }

    async fn close(self) {
        use sqlx::Connection;
        match self {
            Held::Own(c) => {
                let _ = c.close().await;
            }
            Held::Pooled(c) => {
                let _ = c.close().await;
            }
        }
    }
}

impl Conn {
    fn new(link: Link) -> Conn {
        Conn {
            link,
            depth: 0,
            held: None,
            made_work: false,
        }
    }

    /// Marks this transaction as having made work for the job loops (see `made_work`).
    pub(crate) fn made_work(&mut self) {
        self.made_work = true;
    }

    /// Whether the transaction made work for the job loops: kept until the next
    /// transaction begins, so that it can be read after the commit.
    pub fn has_made_work(&self) -> bool {
        self.made_work
    }

    /// From now on, the writes `super::held` can hold wait for [`Conn::write_held`], a
    /// savepoint or the commit. Only the writer's fast path asks for it.
    /// Answers whether it began holding now (it was not holding).
    pub fn hold_writes(&mut self) -> bool {
        let began = self.held.is_none();
        if began {
            self.held = Some(Box::default());
        }
        began
    }

    /// While writes are held: the tasks and jobs the commands to come name, read together
    /// when the first of them is looked at, and how many cases they open.
    pub fn read_ahead(&mut self, ahead: super::held::Ahead) {
        if let Some(held) = self.held.as_deref_mut() {
            held.ahead(ahead);
        }
    }

    /// Writes what is held, and goes on holding if it was.
    pub async fn write_held(&mut self) -> Result<(), Error> {
        match self.held.take() {
            Some(mut held) if !held.is_empty() => {
                let carried = held.carried();
                held.write(self).await?;
                self.held = Some(Box::new(carried));
                Ok(())
            }
            other => {
                self.held = other;
                Ok(())
            }
        }
    }

    /// Writes what is held, and stops holding: every write goes to the database at once.
    pub async fn stop_holding(&mut self) -> Result<(), Error> {
        if let Some(held) = self.held.take()
            && !held.is_empty()
        {
            held.write(self).await?;
        }
        Ok(())
    }

    /// What is held, while writes are held.
    pub(crate) fn held(&mut self) -> Option<&mut super::held::Held> {
        self.held.as_deref_mut()
    }

    pub(crate) fn own_sqlite(c: SqliteConnection) -> Conn {
        Conn::new(Link::Sqlite(Held::Own(c)))
    }

    pub(crate) fn own_postgres(c: PgConnection) -> Conn {
        Conn::new(Link::Postgres(Held::Own(c)))
    }

    /// The connection, by backend: what [`on!`] matches on.
    pub(crate) fn backend(&mut self) -> Either<&mut SqliteConnection, &mut PgConnection> {
        match &mut self.link {
            Link::Sqlite(h) => Either::Sqlite(h.get()),
            Link::Postgres(h) => Either::Postgres(h.get()),
        }
    }

    /// Which database this connection is to.
    pub fn kind(&self) -> Backend {
        match self.link {
            Link::Sqlite(_) => Backend::Sqlite,
            Link::Postgres(_) => Backend::Postgres,
        }
    }

    async fn run(&mut self, statement: &'static str) -> Result<(), Error> {
        use sqlx::Executor;
        match &mut self.link {
            Link::Sqlite(h) => {
                h.get().execute(statement).await?;
            }
            Link::Postgres(h) => {
                h.get().execute(statement).await?;
            }
        }
        Ok(())
    }

    /// Begins a transaction, or — inside one — a savepoint. SQLite's transaction takes the
    /// write lock at once (`begin immediate`): a lock another program holds is waited for
    /// before anything is read, rather than refused at the first write.
    pub async fn begin(&mut self) -> Result<(), Error> {
        // A savepoint's rollback must not reach what was held before it.
        if self.depth > 0 {
            self.stop_holding().await?;
        }
        if self.depth == 0 {
            self.made_work = false;
        }
        let statement = match (self.depth, self.kind()) {
            (0, Backend::Sqlite) => "begin immediate",
            (0, Backend::Postgres) => "begin",
            (d, _) => SAVEPOINTS[(d as usize).min(SAVEPOINTS.len() - 1)].0,
        };
        self.run(statement).await?;
        self.depth += 1;
        Ok(())
    }

    /// Commits the innermost level (the transaction, or releases its savepoint).
    pub async fn commit(&mut self) -> Result<(), Error> {
        let statement = match self.depth {
            0 => return Ok(()),
            1 => {
                self.stop_holding().await?;
                "commit"
            }
            d => SAVEPOINTS[(d as usize - 1).min(SAVEPOINTS.len() - 1)].1,
        };
        // The level is gone whatever the answer: a failed commit has ended the transaction.
        self.depth -= 1;
        self.run(statement).await
    }

    /// Rolls the innermost level back.
    pub async fn rollback(&mut self) -> Result<(), Error> {
        self.held = None;
        match self.depth {
            0 => Ok(()),
            1 => {
                self.depth = 0;
                self.run("rollback").await
            }
            d => {
                let (_, release, rollback) = SAVEPOINTS[(d as usize - 1).min(SAVEPOINTS.len() - 1)];
                self.depth -= 1;
                self.run(rollback).await?;
                self.run(release).await
            }
        }
    }

    /// After a batch that failed: ends whatever transaction is left, and answers whether
    /// the connection can go on. It cannot when there was none left to end — the database
    /// ended it by itself, as SQLite does on a full disk, an I/O error or running out of
    /// memory, and a setting or state of that connection may be why — nor when it does not
    /// answer (the server went away).
    pub async fn recover(&mut self) -> bool {
        use sqlx::Connection;
        let open = self.depth > 0;
        self.depth = 0;
        self.held = None;
        let ended = self.run("rollback").await.is_ok() || !open;
        let answers = match &mut self.link {
            Link::Sqlite(h) => h.get().ping().await.is_ok(),
            Link::Postgres(h) => h.get().ping().await.is_ok(),
        };
        ended && answers
    }

    /// For the fault tests: SQLite's ceiling on the file's pages on this connection
    /// (`pragma max_page_count`), set to `pages` (the current page count when `None`, so
    /// the next page needed is refused as on a full disk); returns the ceiling before.
    #[doc(hidden)]
    pub async fn sqlite_cap_pages(&mut self, pages: Option<i64>) -> Result<i64, Error> {
        use sqlx::Row;
        let Link::Sqlite(h) = &mut self.link else {
            return Ok(0);
        };
        let c = h.get();
        let pages: i64 = match pages {
            Some(p) => p,
            None => sqlx::query("pragma page_count")
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?,
        };
        let before: i64 = sqlx::query("pragma max_page_count")
            .fetch_one(&mut *c)
            .await?
            .try_get(0)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "pragma max_page_count = {pages}"
        )))
        .execute(&mut *c)
        .await?;
        Ok(before)
    }

    /// Closes the connection.
    pub async fn close(self) {
        match self.link {
            Link::Sqlite(h) => h.close().await,
            Link::Postgres(h) => h.close().await,
        }
    }
}

/// Savepoint statements by level (level 1 is the transaction itself): begin, release,
/// rollback to. Static text, so each is a prepared statement like any other.
const SAVEPOINTS: [(&str, &str, &str); 6] = [
    ("savepoint q0", "release q0", "rollback to q0"),
    ("savepoint q1", "release q1", "rollback to q1"),
    ("savepoint q2", "release q2", "rollback to q2"),
    ("savepoint q3", "release q3", "rollback to q3"),
    ("savepoint q4", "release q4", "rollback to q4"),
    ("savepoint q5", "release q5", "rollback to q5"),
];

/// Runs `$body` with `$c` bound to the backend's connection or pool, and that backend's
/// helpers in scope ([`sqlite`], [`postgres`]): one text, compiled for both.
macro_rules! on {
    ($target:expr, |$c:ident| $body:expr) => {
        match $target.backend() {
            $crate::store::backend::Either::Sqlite($c) => {
                #[allow(unused_imports)]
                use $crate::store::backend::sqlite::*;
                $body
            }
            $crate::store::backend::Either::Postgres($c) => {
                #[allow(unused_imports)]
                use $crate::store::backend::postgres::*;
                $body
            }
        }
    };
}
pub(crate) use on;

/// SQLite's side: text timestamps, text JSON, the statements as written.
pub(crate) mod sqlite {
    use chrono::{DateTime, Utc};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    pub(crate) use sqlx::Row as _;

    use crate::store::Error;

    /// Whether this is PostgreSQL: for a statement only one backend needs.
    pub(crate) const POSTGRES: bool = false;
    /// The database type, for a `QueryBuilder`.
    pub(crate) type Db = sqlx::Sqlite;
    /// A row.
    pub(crate) type DbRow = sqlx::sqlite::SqliteRow;

    /// The statement as written.
    pub(crate) fn sql(text: &'static str) -> &'static str {
        text
    }

    /// A statement made at run time (a filter of the fields given).
    pub(crate) fn sql_owned(text: String) -> sqlx::AssertSqlSafe<String> {
        sqlx::AssertSqlSafe(text)
    }

    /// SQLite's text where the dialects differ.
    pub(crate) fn pick(sqlite: &'static str, _postgres: &'static str) -> &'static str {
        sqlite
    }

    /// A timestamp as stored.
    pub(crate) fn bind_ts(at: DateTime<Utc>) -> String {
        crate::store::ts(at)
    }

    /// An optional timestamp as stored.
    pub(crate) fn bind_ts_opt(at: Option<DateTime<Utc>>) -> Option<String> {
        at.map(crate::store::ts)
    }

    /// A stored timestamp.
    pub(crate) fn read_ts(r: &DbRow, i: usize) -> Result<DateTime<Utc>, Error> {
        crate::store::parse_ts(sqlx::Row::try_get::<&str, _>(r, i)?)
    }

    /// A stored optional timestamp.
    pub(crate) fn read_ts_opt(r: &DbRow, i: usize) -> Result<Option<DateTime<Utc>>, Error> {
        sqlx::Row::try_get::<Option<&str>, _>(r, i)?
            .map(crate::store::parse_ts)
            .transpose()
    }

    /// A value as stored JSON.
    pub(crate) fn bind_json<T: Serialize + ?Sized>(v: &T) -> String {
        serde_json::to_string(v).expect("engine values serialise")
    }

    /// An optional value as stored JSON.
    pub(crate) fn bind_json_opt<T: Serialize>(v: Option<&T>) -> Option<String> {
        v.map(|v| bind_json(v))
    }

    /// A stored JSON value.
    pub(crate) fn read_json<T: DeserializeOwned>(
        r: &DbRow,
        i: usize,
        what: &'static str,
    ) -> Result<T, Error> {
        crate::store::parse(what, sqlx::Row::try_get::<&str, _>(r, i)?)
    }

    /// A stored optional JSON value.
    pub(crate) fn read_json_opt<T: DeserializeOwned>(
        r: &DbRow,
        i: usize,
        what: &'static str,
    ) -> Result<Option<T>, Error> {
        sqlx::Row::try_get::<Option<&str>, _>(r, i)?
            .map(|t| crate::store::parse(what, t))
            .transpose()
    }
}

/// PostgreSQL's side: `timestamptz`, `jsonb`, numbered parameters.
pub(crate) mod postgres {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};

    use chrono::{DateTime, SubsecRound, Utc};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    pub(crate) use sqlx::Row as _;
    use sqlx::types::Json;

    use crate::store::Error;

    /// Whether this is PostgreSQL: for a statement only one backend needs.
    pub(crate) const POSTGRES: bool = true;
    /// The database type, for a `QueryBuilder`.
    pub(crate) type Db = sqlx::Postgres;
    /// A row.
    pub(crate) type DbRow = sqlx::postgres::PgRow;

    /// Each statement's PostgreSQL text, made once: the key is the address of the static
    /// text, which names one statement for the life of the process.
    static NUMBERED: LazyLock<Mutex<HashMap<(usize, usize), &'static str>>> =
        LazyLock::new(Mutex::default);

    /// The statement with `$N` parameters.
    pub(crate) fn sql(text: &'static str) -> &'static str {
        let key = (text.as_ptr() as usize, text.len());
        let mut cache = NUMBERED.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| Box::leak(numbered(text).into_boxed_str()))
    }

    /// A statement made at run time.
    pub(crate) fn sql_owned(text: String) -> sqlx::AssertSqlSafe<String> {
        sqlx::AssertSqlSafe(numbered(&text))
    }

    /// PostgreSQL's text where the dialects differ.
    pub(crate) fn pick(_sqlite: &'static str, postgres: &'static str) -> &'static str {
        sql(postgres)
    }

    /// Timestamps to the microsecond, as `timestamptz` keeps them and as SQLite's text
    /// writes them: a value reads back equal on both.
    pub(crate) fn bind_ts(at: DateTime<Utc>) -> DateTime<Utc> {
        at.trunc_subsecs(6)
    }

    /// An optional timestamp.
    pub(crate) fn bind_ts_opt(at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        at.map(bind_ts)
    }

    /// A stored timestamp.
    pub(crate) fn read_ts(r: &DbRow, i: usize) -> Result<DateTime<Utc>, Error> {
        Ok(sqlx::Row::try_get::<DateTime<Utc>, _>(r, i)?)
    }

    /// A stored optional timestamp.
    pub(crate) fn read_ts_opt(r: &DbRow, i: usize) -> Result<Option<DateTime<Utc>>, Error> {
        Ok(sqlx::Row::try_get::<Option<DateTime<Utc>>, _>(r, i)?)
    }

    /// A value as `jsonb`, serialised straight into the statement's arguments when bound
    /// (sqlx encodes a value as it is bound), not through a `serde_json::Value` first: a case's
    /// state is bound at every write, and building its tree of values cost the writer an
    /// allocation per field.
    pub(crate) fn bind_json<T: Serialize + ?Sized>(v: &T) -> Json<&T> {
        Json(v)
    }

    /// An optional value as `jsonb`.
    pub(crate) fn bind_json_opt<T: Serialize>(v: Option<&T>) -> Option<Json<&T>> {
        v.map(|v| bind_json(v))
    }

    /// A stored JSON value.
    pub(crate) fn read_json<T: DeserializeOwned>(
        r: &DbRow,
        i: usize,
        what: &'static str,
    ) -> Result<T, Error> {
        let Json(v) = sqlx::Row::try_get::<Json<serde_json::Value>, _>(r, i)?;
        serde_json::from_value(v).map_err(|e| Error::Corrupt {
            what,
            message: e.to_string(),
        })
    }

    /// A stored optional JSON value.
    pub(crate) fn read_json_opt<T: DeserializeOwned>(
        r: &DbRow,
        i: usize,
        what: &'static str,
    ) -> Result<Option<T>, Error> {
        sqlx::Row::try_get::<Option<Json<serde_json::Value>>, _>(r, i)?
            .map(|Json(v)| {
                serde_json::from_value(v).map_err(|e| Error::Corrupt {
                    what,
                    message: e.to_string(),
                })
            })
            .transpose()
    }

    /// SQLite's parameters made PostgreSQL's: `?N` becomes `$N`, and a bare `?` the next
    /// number after the highest so far (SQLite's own rule). Quoted text is left alone.
    pub(crate) fn numbered(text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 8);
        let mut highest = 0u32;
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    out.push(c);
                }
                '?' if !quoted => {
                    let mut digits = String::new();
                    while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        digits.push(*d);
                        chars.next();
                    }
                    let n = match digits.parse::<u32>() {
                        Ok(n) => n,
                        Err(_) => highest + 1,
                    };
                    highest = highest.max(n);
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::numbered;

        #[test]
        fn parameters_are_numbered_as_sqlite_numbers_them() {
            assert_eq!(
                numbered("select a from t where b = ? and c = ? limit ?"),
                "select a from t where b = $1 and c = $2 limit $3"
            );
            assert_eq!(
                numbered("update t set a = ?2 where k = ?1 and s = ?2"),
                "update t set a = $2 where k = $1 and s = $2"
            );
            assert_eq!(
                numbered("select '?' , x from t where y = ?"),
                "select '?' , x from t where y = $1"
            );
        }
    }
}

/// The writer's connection, made anew when the database ended a transaction by itself or
/// the server went away: the options, not a store (the SQLite lock file goes with the last
/// store, and must not wait for the writer's task).
#[derive(Clone)]
pub struct Connector(Connect);

#[derive(Clone)]
enum Connect {
    Sqlite(sqlx::sqlite::SqliteConnectOptions),
    Postgres(sqlx::postgres::PgConnectOptions),
}

impl Connector {
    /// Opens a connection.
    pub async fn connect(&self) -> Result<Conn, Error> {
        use sqlx::ConnectOptions;
        Ok(match &self.0 {
            Connect::Sqlite(o) => Conn::own_sqlite(o.connect().await?),
            Connect::Postgres(o) => Conn::own_postgres(o.connect().await?),
        })
    }

    /// Whether it opens an SQLite file.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.0, Connect::Sqlite(_))
    }

    /// The same, with SQLite's automatic checkpoint off on the connections it opens: for the
    /// engine's writer, whose log a [`super::checkpoint::Checkpointer`] checkpoints instead.
    pub fn without_autocheckpoint(&self) -> Connector {
        match &self.0 {
            Connect::Sqlite(o) => {
                Connector(Connect::Sqlite(o.clone().pragma("wal_autocheckpoint", "0")))
            }
            Connect::Postgres(_) => self.clone(),
        }
    }

    pub(crate) fn sqlite(options: sqlx::sqlite::SqliteConnectOptions) -> Connector {
        Connector(Connect::Sqlite(options))
    }

    pub(crate) fn postgres(options: sqlx::postgres::PgConnectOptions) -> Connector {
        Connector(Connect::Postgres(options))
    }
}

/// Truncates to the microsecond, as both backends store time.
pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}
