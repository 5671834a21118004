//! What `qyzmet backup` and `qyzmet restore` ask of the database itself (`crate::backup`):
//! a consistent copy of an SQLite file, an exported snapshot of a PostgreSQL database that
//! `pg_dump` then reads, and the row count of every table.
//!
//! Tables are listed from the database's own catalogue (`sqlite_master`,
//! `information_schema.tables`), never from a list here: a migration that adds a table is
//! counted without a change to this file. The migrator's own table (`_sqlx_migrations`) is
//! left out: a newer engine adds rows to it when it opens a restored copy.

use std::path::Path;

use super::backend::on;
use super::{Conn, Error, Location};

/// A connection for taking a backup or checking a restore target, without the owner's lock
/// on an SQLite file (`serve` holds it; the copy is read beside it). An SQLite file is
/// opened read-only and must exist.
pub async fn open(location: &Location) -> Result<Conn, Error> {
    super::audit::open_read_only(location)
        .await
        .map_err(|e| match e {
            super::audit::Error::Database(e) => e,
            super::audit::Error::Unreadable(u) => Error::Corrupt {
                what: "audit",
                message: u.message,
            },
        })
}

/// Writes a consistent copy of the SQLite database `conn` reads to `target` (a file that
/// must not exist): `vacuum into` reads one snapshot in one read transaction, so the engine's
/// writer goes on meanwhile, and the copy has no `-wal` beside it to lose.
pub async fn vacuum_into(conn: &mut Conn, target: &Path) -> Result<(), Error> {
    let name = target.to_str().ok_or_else(|| Error::Corrupt {
        what: "backup file name",
        message: format!("{} is not UTF-8", target.display()),
    })?;
    on!(conn, |c| {
        if POSTGRES {
            return Err(Error::Corrupt {
                what: "backup",
                message: "vacuum into is SQLite's".into(),
            });
        }
        sqlx::query(sql("vacuum into ?"))
            .bind(name)
            .execute(&mut *c)
            .await?;
        Ok(())
    })
}

/// On PostgreSQL: begins a read-only repeatable-read transaction on `conn` and exports its
/// snapshot, whose id `pg_dump --snapshot` takes, so the dump and whatever else is read on
/// `conn` until [`end`] (the row counts, the audit journal's head) see the same database.
/// The transaction must stay open until `pg_dump` has started.
pub async fn export(conn: &mut Conn) -> Result<String, Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "begin transaction isolation level repeatable read, read only",
        ))
        .execute(&mut *c)
        .await?;
        let row = sqlx::query(sql("select pg_export_snapshot()"))
            .fetch_one(&mut *c)
            .await?;
        Ok(row.try_get::<String, _>(0)?)
    })
}

/// Ends the transaction [`export`] began.
pub async fn end(conn: &mut Conn) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql("rollback")).execute(&mut *c).await?;
        Ok(())
    })
}

/// Every table of the engine's schema, by name.
pub async fn tables(conn: &mut Conn) -> Result<Vec<String>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(pick(
            "select name from sqlite_master where type = 'table' \
             and name not like 'sqlite\\_%' escape '\\' and substr(name, 1, 5) <> '_sqlx' \
             order by name",
            "select table_name::text from information_schema.tables \
             where table_schema = current_schema() and table_type = 'BASE TABLE' \
             and left(table_name, 5) <> '_sqlx' order by table_name",
        ))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(Error::from))
            .collect()
    })
}

/// Every table with its number of rows, by name.
pub async fn row_counts(conn: &mut Conn) -> Result<Vec<(String, u64)>, Error> {
    let mut counts = Vec::new();
    for table in tables(conn).await? {
        // The name comes from the catalogue; quoted as an identifier all the same.
        let text = format!("select count(*) from \"{}\"", table.replace('"', "\"\""));
        let n: i64 = on!(conn, |c| {
            sqlx::query(sql_owned(text))
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?
        });
        counts.push((table, u64::try_from(n).unwrap_or(0)));
    }
    Ok(counts)
}

/// The first table (by name) that has a row, if any: a restore writes only into a database
/// where this is `None`.
pub async fn first_table_with_rows(conn: &mut Conn) -> Result<Option<String>, Error> {
    for table in tables(conn).await? {
        let text = format!(
            "select exists (select 1 from \"{}\")",
            table.replace('"', "\"\"")
        );
        let any: bool = on!(conn, |c| {
            sqlx::query(sql_owned(text))
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?
        });
        if any {
            return Ok(Some(table));
        }
    }
    Ok(None)
}
