//! The benchmark's own look at the database, beside the engine and not through it: sizes,
//! the timers left, how late the timers fired. A connection of its own, so reading does
//! not go through the engine it measures.

use chrono::{DateTime, Utc};
use qyzmet::store::Location;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};

/// A connection to the engine's database.
pub enum Db {
    /// The SQLite file (WAL: readable while the engine writes).
    Sqlite(SqliteConnection, std::path::PathBuf),
    /// The PostgreSQL database.
    Postgres(PgConnection),
}

impl Db {
    /// Connects to where the engine's database is.
    pub async fn open(location: &Location) -> anyhow::Result<Db> {
        Ok(match location {
            Location::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(std::time::Duration::from_secs(30));
                use sqlx::ConnectOptions;
                Db::Sqlite(options.connect().await?, path.clone())
            }
            Location::Postgres(url) => Db::Postgres(PgConnection::connect(url).await?),
        })
    }

    /// The database's size in bytes: the SQLite file after a checkpoint has moved the
    /// write-ahead log into it, or `pg_database_size`.
    pub async fn size(&mut self) -> anyhow::Result<u64> {
        match self {
            Db::Sqlite(c, path) => {
                // Whatever the log still holds counts too, if the checkpoint cannot finish.
                let _ = sqlx::query("pragma wal_checkpoint(truncate)")
                    .execute(&mut *c)
                    .await;
                let len = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                Ok(len(path) + len(std::path::Path::new(&wal)))
            }
            Db::Postgres(c) => {
                let row = sqlx::query("select pg_database_size(current_database())")
                    .fetch_one(&mut *c)
                    .await?;
                Ok(row.try_get::<i64, _>(0)? as u64)
            }
        }
    }

    /// How many timers are set.
    pub async fn timers(&mut self) -> anyhow::Result<i64> {
        let q = "select count(*) from timers";
        Ok(match self {
            Db::Sqlite(c, _) => sqlx::query(q).fetch_one(&mut *c).await?.try_get(0)?,
            Db::Postgres(c) => sqlx::query(q).fetch_one(&mut *c).await?.try_get(0)?,
        })
    }

    /// Whether any timer is set: one row read through the due-time index, not a count of
    /// them all, so polling it every 20 ms takes next to nothing from the database the storm
    /// is measured on.
    pub async fn any_timer(&mut self) -> anyhow::Result<bool> {
        let q = "select exists (select 1 from timers order by due_at limit 1)";
        Ok(match self {
            Db::Sqlite(c, _) => sqlx::query(q).fetch_one(&mut *c).await?.try_get(0)?,
            Db::Postgres(c) => sqlx::query(q).fetch_one(&mut *c).await?.try_get(0)?,
        })
    }

    /// For each case whose `step` wait fired: when the case entered the wait and when the
    /// timer fired, as the history recorded them (the writer's clock of each transition).
    pub async fn waits(
        &mut self,
        step: &str,
    ) -> anyhow::Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
        let q = "select w.at, f.at from history w join history f \
                 on f.case_id = w.case_id and f.kind = 'timer_fired' and f.step = w.step \
                 where w.kind = 'entered' and w.step = $1";
        Ok(match self {
            Db::Sqlite(c, _) => {
                let q = q.replace("$1", "?");
                let rows = sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(step)
                    .fetch_all(&mut *c)
                    .await?;
                let ts = |t: &str| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc));
                rows.iter()
                    .map(|r| Ok((ts(r.try_get(0)?)?, ts(r.try_get(1)?)?)))
                    .collect::<anyhow::Result<_>>()?
            }
            Db::Postgres(c) => {
                let rows = sqlx::query(q).bind(step).fetch_all(&mut *c).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<anyhow::Result<_>>()?
            }
        })
    }

    /// The server's version and the settings that decide durability, for the report.
    pub async fn describe(&mut self) -> anyhow::Result<String> {
        Ok(match self {
            Db::Sqlite(c, _) => {
                let v: String = sqlx::query("select sqlite_version()")
                    .fetch_one(&mut *c)
                    .await?
                    .try_get(0)?;
                format!("SQLite {v} (WAL, synchronous=FULL)")
            }
            Db::Postgres(c) => {
                let v: String = sqlx::query("show server_version")
                    .fetch_one(&mut *c)
                    .await?
                    .try_get(0)?;
                let s: String = sqlx::query("show synchronous_commit")
                    .fetch_one(&mut *c)
                    .await?
                    .try_get(0)?;
                format!("PostgreSQL {v} (synchronous_commit={s})")
            }
        })
    }

    /// Closes the connection.
    pub async fn close(self) {
        match self {
            Db::Sqlite(c, _) => {
                let _ = c.close().await;
            }
            Db::Postgres(c) => {
                let _ = c.close().await;
            }
        }
    }
}
