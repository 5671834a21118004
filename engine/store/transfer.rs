//! Moving an installation: every row of one database copied into an empty one, SQLite or
//! PostgreSQL on either side (`qyzmet migrate`, issue #13 item 5).
//!
//! **Why a column spec, not `select *`.** The two schemas hold the same things in different
//! types: an instant is fixed-width UTC text in SQLite and a `timestamptz` in PostgreSQL, a
//! JSON value text and `jsonb`, a flag `0`/`1` and a `boolean`. Each column of [`TABLES`] says
//! what it holds ([`Kind`]), so a value is read from one backend as that kind and bound to the
//! other as that kind, through the same `read_*`/`bind_*` helpers every other statement uses:
//! times to the microsecond, JSON as JSON (SQLite to SQLite keeps the text byte for byte).
//! `audit.details` is text on both — the canonical JSON the chain was sealed over — and is
//! copied as text, so the journal still verifies. Both schemas are checked against the spec
//! before anything is copied: a table or column a later migration adds and this list does not
//! name refuses the copy rather than leaving it behind.
//!
//! **Why pages and one transaction.** A table is read in pages of [`PAGE`] rows by its
//! primary key (keyset: each page starts after the last key of the one before), so a large
//! installation does not fill memory, and the pages are read in one read-only transaction of
//! the source, so they are one snapshot. The target is written in one transaction that first
//! finds every table empty (on PostgreSQL under an exclusive lock of every table, so nothing
//! slips in meanwhile): a target with a row anywhere is refused, naming the tables, and a
//! copy that fails half way leaves nothing. A copy is never merged into data that is there.
//!
//! **Ids.** Case, account and API token ids are copied as they are (history, tasks, sessions
//! and tokens refer to them, and a registration number is made from a case's id); on
//! PostgreSQL their identity sequences are then moved past the highest copied, so the next
//! case gets the next number. `jobs.id` (PostgreSQL's `generated always`, SQLite's rowid) only
//! orders a case's jobs in the order they were made: the jobs are read in that order and
//! inserted in it, and the target numbers them itself. Job leases are not copied: a lease
//! names a process of the old installation.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Backend, Conn, Location, Store};

/// Why a copy was refused or failed. Nothing is written to the target in either case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database said no, or a stored value does not parse.
    #[error(transparent)]
    Store(#[from] super::Error),
    /// Copying one table failed.
    #[error("copying table `{table}`: {source}")]
    Table {
        /// The table.
        table: &'static str,
        /// Why.
        source: super::Error,
    },
    /// `--from` and `--to` name the same database.
    #[error("the source and the target are the same database ({0})")]
    SameDatabase(String),
    /// The SQLite file to copy from does not exist (opening it would create an empty one).
    #[error("no database at {}", .0.display())]
    NoSource(PathBuf),
    /// The target has rows: a copy is never merged into them.
    #[error(
        "the target database {location} is not empty: {} rows; migrate copies into an empty database only",
        names(.tables)
    )]
    NotEmpty {
        /// How the target is named (without a password).
        location: String,
        /// The tables with rows.
        tables: Vec<&'static str>,
    },
    /// A database's schema has a table or column the copy does not know, or lacks one it
    /// copies: this build's list of tables and the migrations disagree.
    #[error("the {side} database's schema is not what this qyzmet copies: {message}")]
    Schema {
        /// `source` or `target`.
        side: &'static str,
        /// What differs.
        message: String,
    },
}

fn names(tables: &[&str]) -> String {
    let quoted: Vec<String> = tables.iter().map(|t| format!("`{t}`")).collect();
    match quoted.len() {
        1 => format!("table {} has", quoted[0]),
        _ => format!("tables {} have", quoted.join(", ")),
    }
}

/// What a column holds, whatever type each backend stores it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Text on both.
    Text,
    /// A 64-bit integer on both.
    Int,
    /// `0`/`1` in SQLite, `boolean` in PostgreSQL.
    Bool,
    /// Fixed-width UTC text in SQLite, `timestamptz` in PostgreSQL.
    Time,
    /// JSON text in SQLite, `jsonb` in PostgreSQL.
    Json,
}

/// One copied column.
#[derive(Debug)]
pub(super) struct Column {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    /// Written as null whatever the source holds (a job's lease).
    cleared: bool,
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        cleared: false,
    }
}

const fn cleared(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        cleared: true,
    }
}

/// How a table's pages are ordered and resumed.
#[derive(Debug)]
enum Order {
    /// By these copied columns (the primary key; text or integer).
    Key(&'static [&'static str]),
    /// By the order the rows were made in: SQLite's rowid, PostgreSQL's identity column.
    Creation {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

/// One table: its copied columns, its order, and what else its schema may have.
#[derive(Debug)]
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) columns: &'static [Column],
    order: Order,
    /// Columns the PostgreSQL schema has that are not copied: made by the target itself.
    postgres_only: &'static [&'static str],
    /// The `id` column whose identity sequence PostgreSQL must move past the copied ids.
    identity: Option<&'static str>,
}

use Kind::{Bool, Int, Json, Text, Time};

/// Every table of the engine, parents before the tables that refer to them (the order the
/// foreign keys need), each with every column of migrations 0001..0010 and of
/// `migrations/postgres/0001_engine.sql`.
pub(super) static TABLES: &[Table] = &[
    Table {
        name: "definitions",
        columns: &[
            c("service", Text),
            c("version", Text),
            c("hash", Text),
            c("source", Text),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["service", "version"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "cases",
        columns: &[
            c("id", Int),
            c("number", Text),
            c("service", Text),
            c("version", Text),
            c("status", Text),
            c("result", Text),
            c("region", Text),
            c("state", Json),
            c("seq", Int),
            c("created_at", Time),
            c("updated_at", Time),
            c("closed_at", Time),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: Some("id"),
    },
    Table {
        name: "history",
        columns: &[
            c("case_id", Int),
            c("seq", Int),
            c("n", Int),
            c("at", Time),
            c("actor", Json),
            c("kind", Text),
            c("step", Text),
            c("detail", Json),
            c("evidence", Json),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["case_id", "seq", "n"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "tasks",
        columns: &[
            c("key", Text),
            c("case_id", Int),
            c("number", Text),
            c("step", Text),
            c("role", Text),
            c("region", Text),
            c("status", Text),
            c("assignee", Text),
            c("due_at", Time),
            c("evidence", Json),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["key"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "timers",
        columns: &[
            c("key", Text),
            c("case_id", Int),
            c("due_at", Time),
            c("purpose", Json),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["key"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "jobs",
        columns: &[
            c("key", Text),
            c("case_id", Int),
            c("kind", Text),
            c("work", Json),
            c("status", Text),
            c("attempts", Int),
            c("next_at", Time),
            cleared("lease_until", Time),
            cleared("leased_by", Text),
            c("last_error", Text),
            c("output", Json),
            c("acknowledged_at", Time),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Creation {
            sqlite: "rowid",
            postgres: "id",
        },
        postgres_only: &["id"],
        identity: None,
    },
    Table {
        name: "schedule_runs",
        columns: &[
            c("service", Text),
            c("occurrence", Text),
            c("case_id", Int),
            c("created_at", Time),
            c("updated_at", Time),
            c("due_at", Time),
        ],
        order: Order::Key(&["service", "occurrence"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "idempotency_keys",
        columns: &[
            c("login", Text),
            c("key", Text),
            c("digest", Text),
            c("case_id", Int),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["login", "key"]),
        postgres_only: &[],
        identity: None,
    },
    // Scans of documents linked to cases (migrations 0012, postgres 0003).
    Table {
        name: "uploads",
        columns: &[
            c("case_id", Int),
            c("field", Text),
            c("sha256", Text),
            c("name", Text),
            c("content_type", Text),
            c("size", Int),
            c("uploaded_by", Text),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["case_id", "field", "sha256"]),
        postgres_only: &[],
        identity: None,
    },
    // The evidence of portal filings (migrations 0017, postgres 0008): the signed bytes and the
    // CMS, kept with their case.
    Table {
        name: "portal_filings",
        columns: &[
            c("case_id", Int),
            c("document", Text),
            c("document_sha256", Text),
            c("signature", Text),
            c("signer_name", Text),
            c("certificate_serial", Text),
            c("certificate_issuer", Text),
            c("signed_at", Time),
            c("filed_by", Text),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["case_id"]),
        postgres_only: &[],
        identity: None,
    },
    // The cases a report counted (migrations 0018, postgres 0009), with the report.
    Table {
        name: "case_links",
        columns: &[
            c("case_id", Int),
            c("query", Text),
            c("linked_number", Text),
            c("linked_service", Text),
            c("period", Text),
            c("result", Text),
            c("on_date", Text),
            c("amount", Text),
            c("created_at", Time),
        ],
        order: Order::Key(&["case_id", "query", "linked_number"]),
        postgres_only: &[],
        identity: None,
    },
    // Mass events (migrations 0014, postgres 0005), carried with their cursor and counts: one
    // in flight goes on from its cursor on the new installation. The lease names a process of
    // the old one and is not copied.
    Table {
        name: "mass_events",
        columns: &[
            c("id", Int),
            c("service", Text),
            c("event", Text),
            c("message", Text),
            c("payload", Json),
            c("created_by", Text),
            c("total", Int),
            c("cursor", Int),
            c("started", Int),
            c("kept", Int),
            c("duplicate", Int),
            c("not_now", Int),
            c("failed", Int),
            c("failures", Json),
            c("finished_at", Time),
            cleared("lease_owner", Text),
            cleared("lease_until", Time),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: Some("id"),
    },
    // Proactive cases and SMS replies (migrations 0016, postgres 0007): the waits by number
    // with the timers they hold by, the replies' ids (a repeat after the move still does
    // nothing), and the waves with their cursor and counts; a wave's lease is not copied.
    Table {
        name: "sms_waits",
        columns: &[
            c("id", Int),
            c("phone", Text),
            c("case_id", Int),
            c("message", Text),
            c("timer_key", Text),
            c("created_at", Time),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: Some("id"),
    },
    Table {
        name: "sms_replies",
        columns: &[
            c("id", Text),
            c("outcome", Text),
            c("case_number", Text),
            c("received_at", Time),
            c("created_at", Time),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "waves",
        columns: &[
            c("id", Int),
            c("key", Text),
            c("service", Text),
            c("parent_case", Text),
            c("region", Text),
            c("list", Json),
            c("csv", Text),
            c("created_by", Text),
            c("total", Int),
            c("cursor", Int),
            c("opened", Int),
            c("skipped", Int),
            c("refused", Int),
            c("refusals", Json),
            c("error", Text),
            c("finished_at", Time),
            cleared("lease_owner", Text),
            cleared("lease_until", Time),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: Some("id"),
    },
    // The archive of closed cases (migrations 0015, postgres 0006): each package holds its
    // rows by this same spec, so it is copied as it is and restores on the target.
    Table {
        name: "archived_cases",
        columns: &[
            c("case_id", Int),
            c("number", Text),
            c("service", Text),
            c("version", Text),
            c("region", Text),
            c("status", Text),
            c("result", Text),
            c("opened_at", Time),
            c("closed_at", Time),
            c("archived_at", Time),
            c("archived_by", Text),
            c("applicant_name", Text),
            c("applicant_iin", Text),
            c("representative_iin", Text),
            c("package", Json),
        ],
        order: Order::Key(&["case_id"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "notification_sent",
        columns: &[
            c("key", Text),
            c("channel", Text),
            c("outcome", Json),
            c("created_at", Time),
        ],
        order: Order::Key(&["key", "channel"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "accounts",
        columns: &[
            c("id", Int),
            c("login", Text),
            c("full_name", Text),
            c("email", Text),
            c("roles", Json),
            c("region", Text),
            c("password_hash", Text),
            c("must_change_password", Bool),
            c("status", Text),
            c("blocked_reason", Text),
            c("blocked_at", Time),
            c("created_at", Time),
            c("created_by", Text),
            c("reactivated_at", Time),
            c("last_sign_in_at", Time),
            c("failed_sign_ins", Int),
            c("password_changed_at", Time),
            c("basis", Text),
            c("block_reported_in", Text),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: Some("id"),
    },
    Table {
        name: "sessions",
        columns: &[
            c("id", Text),
            c("account_id", Int),
            c("csrf_token", Text),
            c("created_at", Time),
            c("expires_at", Time),
            c("last_seen_at", Time),
            c("ip", Text),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "api_tokens",
        columns: &[
            c("id", Int),
            c("hash", Text),
            c("name", Text),
            c("account_id", Int),
            c("created_at", Time),
            c("last_used_at", Time),
            c("revoked_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["id"]),
        postgres_only: &[],
        identity: Some("id"),
    },
    Table {
        name: "sign_in_throttle",
        columns: &[
            c("account_id", Int),
            c("source", Text),
            c("failures", Int),
            c("locked_until", Time),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        order: Order::Key(&["account_id", "source"]),
        postgres_only: &[],
        identity: None,
    },
    Table {
        name: "audit",
        columns: &[
            c("seq", Int),
            c("at", Time),
            c("actor", Text),
            c("source", Text),
            c("action", Text),
            c("object", Text),
            // The canonical JSON text the chain was sealed over: text on both, byte for byte.
            c("details", Text),
            c("prev_hash", Text),
            c("hash", Text),
        ],
        order: Order::Key(&["seq"]),
        postgres_only: &[],
        identity: None,
    },
];

/// Rows read at a time, and at most written by one statement.
const PAGE: usize = 1000;

/// Bound values per insert statement at most: under SQLite's 32,766 and PostgreSQL's 65,535.
const VALUES_PER_STATEMENT: usize = 30_000;

/// What was copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// Each table, in the order copied, with its rows.
    pub tables: Vec<(&'static str, u64)>,
    /// The hash of the last audit record copied (none: an empty journal): what the target's
    /// journal must end with.
    pub audit_last_hash: Option<String>,
}

impl Copied {
    /// Rows of `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// Copies the database at `from` into the empty one at `to` (created, and its migrations
/// applied, as [`Store::open`] does). The source is opened with [`Store::open`] too, so an
/// SQLite file a running `qyzmet serve` owns is refused as in use ([`super::Error::InUse`]);
/// a missing SQLite source is refused rather than created.
pub async fn migrate(from: &Location, to: &Location) -> Result<Copied, Error> {
    if same(from, to) {
        return Err(Error::SameDatabase(from.describe()));
    }
    if let Location::Sqlite(path) = from
        && !path.is_file()
    {
        return Err(Error::NoSource(path.clone()));
    }
    let source = Store::open(from).await?;
    let target = match Store::open(to).await {
        Ok(t) => t,
        Err(e) => {
            source.close().await;
            return Err(e.into());
        }
    };
    let copied = copy(&source, &target).await;
    source.close().await;
    target.close().await;
    copied
}

/// Whether two locations are plainly the same database: the same file, or the same URL.
/// (Two spellings of one PostgreSQL database get past this; the copy then finds its target
/// not empty, unless there is nothing to copy.)
fn same(a: &Location, b: &Location) -> bool {
    match (a, b) {
        (Location::Sqlite(a), Location::Sqlite(b)) => {
            let canonical = |p: &PathBuf| {
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                dir.canonicalize()
                    .ok()
                    .map(|d| d.join(p.file_name().unwrap_or_default()))
            };
            a == b || matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
        }
        (Location::Postgres(a), Location::Postgres(b)) => a == b,
        _ => false,
    }
}

/// Copies every table of `from` into `to`, which must be empty, in one transaction of `to`.
pub async fn copy(from: &Store, to: &Store) -> Result<Copied, Error> {
    let mut reader = from.read().await?;
    let mut writer = to.writer().await?;
    let result = async {
        check_schema(&mut reader, "source").await?;
        check_schema(&mut writer, "target").await?;
        snapshot(&mut reader).await?;
        writer.begin().await?;
        let copied = copy_tables(&mut reader, &mut writer, &to.location().describe()).await?;
        writer.commit().await?;
        Ok::<_, Error>(copied)
    }
    .await;
    if result.is_err() {
        let _ = writer.rollback().await;
    }
    // The read-only snapshot ends either way; the connection is not handed back to the pool
    // with a transaction open.
    let _ = end_snapshot(&mut reader).await;
    reader.close().await;
    writer.close().await;
    result
}

async fn copy_tables(reader: &mut Conn, writer: &mut Conn, target: &str) -> Result<Copied, Error> {
    lock_and_check_empty(writer, target).await?;
    let mut copied = Copied::default();
    for table in TABLES {
        let (rows, last) =
            copy_table(reader, writer, table)
                .await
                .map_err(|source| Error::Table {
                    table: table.name,
                    source,
                })?;
        if table.name == "audit" {
            copied.audit_last_hash = last;
        }
        copied.tables.push((table.name, rows));
    }
    // The search index is derived from the cases: made anew, not copied.
    super::search::rebuild(writer).await?;
    move_sequences(writer).await?;
    Ok(copied)
}

/// Starts the source's read-only snapshot: every page of every table from one point in time,
/// even with another process writing to a PostgreSQL source meanwhile.
async fn snapshot(conn: &mut Conn) -> Result<(), super::Error> {
    on!(conn, |c| {
        sqlx::query(pick(
            "begin deferred",
            "begin isolation level repeatable read, read only",
        ))
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

async fn end_snapshot(conn: &mut Conn) -> Result<(), super::Error> {
    on!(conn, |c| {
        sqlx::query(sql("rollback")).execute(&mut *c).await?;
        Ok(())
    })
}

/// The tables of the database and their columns, as its catalog lists them (the migrator's
/// own table aside).
async fn schema(conn: &mut Conn) -> Result<Vec<(String, Vec<String>)>, super::Error> {
    let tables: Vec<String> = on!(conn, |c| {
        let rows = sqlx::query(pick(
            "select name from sqlite_master where type = 'table' \
             and name not like 'sqlite\\_%' escape '\\' and name <> '_sqlx_migrations' order by name",
            "select table_name::text from information_schema.tables \
             where table_schema = current_schema() and table_type = 'BASE TABLE' \
             and table_name <> '_sqlx_migrations' order by table_name",
        ))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?
    });
    let mut out = Vec::with_capacity(tables.len());
    for table in tables {
        let columns: Vec<String> = on!(conn, |c| {
            let rows = sqlx::query(pick(
                "select name from pragma_table_info(?)",
                "select column_name::text from information_schema.columns \
                 where table_schema = current_schema() and table_name = ?",
            ))
            .bind(&table)
            .fetch_all(&mut *c)
            .await?;
            rows.iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?
        });
        out.push((table, columns));
    }
    Ok(out)
}

/// Refuses a database whose tables or columns are not exactly those [`TABLES`] copies (and
/// PostgreSQL's own `jobs.id`).
async fn check_schema(conn: &mut Conn, side: &'static str) -> Result<(), Error> {
    let postgres = conn.kind() == Backend::Postgres;
    let found = schema(conn).await?;
    let mut problems = Vec::new();
    for (name, columns) in &found {
        if super::search::DERIVED_TABLES.contains(&name.as_str()) {
            continue;
        }
        let Some(table) = TABLES.iter().find(|t| t.name == name) else {
            problems.push(format!("table `{name}` is not copied"));
            continue;
        };
        for column in columns {
            let known = table.columns.iter().any(|c| c.name == column)
                || (postgres && table.postgres_only.contains(&column.as_str()));
            if !known {
                problems.push(format!("column `{name}.{column}` is not copied"));
            }
        }
        for column in table.columns {
            if !columns.iter().any(|c| c == column.name) {
                problems.push(format!("column `{name}.{}` is missing", column.name));
            }
        }
    }
    for table in TABLES {
        if !found.iter().any(|(name, _)| name == table.name) {
            problems.push(format!("table `{}` is missing", table.name));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Schema {
            side,
            message: problems.join("; "),
        })
    }
}

/// Inside the target's transaction: on PostgreSQL, every table locked against writers until
/// it ends (an engine process starting on the target meanwhile waits, then finds the copy);
/// then every table found empty, or the copy refused naming those that are not.
async fn lock_and_check_empty(conn: &mut Conn, target: &str) -> Result<(), Error> {
    let all: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    let lock = format!("lock table {} in exclusive mode", all.join(", "));
    on!(conn, |c| {
        if POSTGRES {
            sqlx::query(sql_owned(lock))
                .execute(&mut *c)
                .await
                .map_err(super::Error::from)?;
        }
        Ok::<(), Error>(())
    })?;
    let mut with_rows = Vec::new();
    for table in TABLES {
        let text = format!("select exists (select 1 from {})", table.name);
        let any: bool = on!(conn, |c| {
            sqlx::query(sql_owned(text))
                .fetch_one(&mut *c)
                .await
                .and_then(|r| r.try_get::<bool, _>(0))
                .map_err(super::Error::from)?
        });
        if any {
            with_rows.push(table.name);
        }
    }
    if with_rows.is_empty() {
        Ok(())
    } else {
        Err(Error::NotEmpty {
            location: target.to_string(),
            tables: with_rows,
        })
    }
}

/// On PostgreSQL, each identity sequence moved past the highest id copied, so the next case,
/// account or token gets the next number (a sequence knows nothing of ids inserted by hand).
/// SQLite takes the highest id plus one by itself.
async fn move_sequences(conn: &mut Conn) -> Result<(), Error> {
    if conn.kind() != Backend::Postgres {
        return Ok(());
    }
    for table in TABLES {
        let Some(id) = table.identity else { continue };
        let mut text = format!(
            "select setval(pg_get_serial_sequence('{t}', '{id}'), coalesce(max({id}), 0) + 1, false) from {t}",
            t = table.name
        );
        if table.name == "cases" {
            // An archived case's id is not issued again either.
            text = "select setval(pg_get_serial_sequence('cases', 'id'), \
                    greatest(coalesce((select max(id) from cases), 0), \
                    coalesce((select max(case_id) from archived_cases), 0)) + 1, false)"
                .to_string();
        }
        on!(conn, |c| {
            sqlx::query(sql_owned(text))
                .execute(&mut *c)
                .await
                .map_err(|source| Error::Table {
                    table: table.name,
                    source: source.into(),
                })?;
            Ok::<(), Error>(())
        })?;
    }
    Ok(())
}

/// A JSON value as read: SQLite's text (kept as it is for an SQLite target), or PostgreSQL's
/// parsed `jsonb`.
#[derive(Debug, Clone)]
pub(super) enum JsonCell {
    Text(String),
    Value(serde_json::Value),
}

/// One value in transit, by its [`Kind`]; `None` is SQL null.
#[derive(Debug, Clone)]
pub(super) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Json(Option<JsonCell>),
}

impl Cell {
    fn null(kind: Kind) -> Cell {
        match kind {
            Text => Cell::Text(None),
            Int => Cell::Int(None),
            Bool => Cell::Bool(None),
            Time => Cell::Time(None),
            Json => Cell::Json(None),
        }
    }
}

/// How a backend's row gives a JSON column: SQLite's text as it is, PostgreSQL's `jsonb`
/// parsed.
trait ReadJson {
    fn json_cell(&self, i: usize) -> Result<Option<JsonCell>, sqlx::Error>;
}

impl ReadJson for sqlx::sqlite::SqliteRow {
    fn json_cell(&self, i: usize) -> Result<Option<JsonCell>, sqlx::Error> {
        use sqlx::Row;
        Ok(self.try_get::<Option<String>, _>(i)?.map(JsonCell::Text))
    }
}

impl ReadJson for sqlx::postgres::PgRow {
    fn json_cell(&self, i: usize) -> Result<Option<JsonCell>, sqlx::Error> {
        use sqlx::Row;
        Ok(self
            .try_get::<Option<sqlx::types::Json<serde_json::Value>>, _>(i)?
            .map(|sqlx::types::Json(v)| JsonCell::Value(v)))
    }
}

/// How a backend takes a JSON value: SQLite as text (the source's text when it was text),
/// PostgreSQL as `jsonb` (text parsed first: a value that is not JSON is refused here, not
/// stored).
trait BindJson: sqlx::Database {
    type Bound;
    fn json(cell: Option<JsonCell>) -> Result<Option<Self::Bound>, super::Error>;
}

impl BindJson for sqlx::Sqlite {
    type Bound = String;
    fn json(cell: Option<JsonCell>) -> Result<Option<String>, super::Error> {
        Ok(cell.map(|j| match j {
            JsonCell::Text(t) => t,
            JsonCell::Value(v) => v.to_string(),
        }))
    }
}

impl BindJson for sqlx::Postgres {
    type Bound = sqlx::types::Json<serde_json::Value>;
    fn json(
        cell: Option<JsonCell>,
    ) -> Result<Option<sqlx::types::Json<serde_json::Value>>, super::Error> {
        cell.map(|j| match j {
            JsonCell::Text(t) => serde_json::from_str(&t)
                .map(sqlx::types::Json)
                .map_err(|e| super::Error::Corrupt {
                    what: "JSON column",
                    message: e.to_string(),
                }),
            JsonCell::Value(v) => Ok(sqlx::types::Json(v)),
        })
        .transpose()
    }
}

/// Binds a [`Cell`] to a query, inside an [`on!`] body (so `bind_ts_opt` and `Db` are that
/// backend's).
macro_rules! bind_cell {
    ($query:expr, $cell:expr) => {
        match $cell {
            Cell::Text(v) => $query.bind(v),
            Cell::Int(v) => $query.bind(v),
            Cell::Bool(v) => $query.bind(v),
            Cell::Time(v) => $query.bind(bind_ts_opt(v)),
            Cell::Json(v) => $query.bind(<Db as BindJson>::json(v)?),
        }
    };
}

/// Reads a [`Cell`] of `kind` from column `i` of a row, inside an [`on!`] body.
macro_rules! read_cell {
    ($row:expr, $i:expr, $kind:expr) => {
        match $kind {
            Kind::Text => Cell::Text($row.try_get::<Option<String>, _>($i)?),
            Kind::Int => Cell::Int($row.try_get::<Option<i64>, _>($i)?),
            Kind::Bool => Cell::Bool($row.try_get::<Option<bool>, _>($i)?),
            Kind::Time => Cell::Time(read_ts_opt($row, $i)?),
            Kind::Json => Cell::Json(ReadJson::json_cell($row, $i)?),
        }
    };
}

/// A row read: the copied columns in [`Table::columns`] order, and the key its page resumes
/// after.
struct Row {
    cells: Vec<Cell>,
    key: Vec<Cell>,
}

/// The columns a page reads, the key's columns and their kinds, for `backend`.
fn order_of(table: &Table, backend: Backend) -> Vec<(&'static str, Kind)> {
    match &table.order {
        Order::Key(columns) => columns
            .iter()
            .map(|name| {
                let column = table
                    .columns
                    .iter()
                    .find(|c| c.name == *name)
                    .expect("a key column is a copied column");
                (column.name, column.kind)
            })
            .collect(),
        Order::Creation { sqlite, postgres } => match backend {
            Backend::Sqlite => vec![(*sqlite, Int)],
            Backend::Postgres => vec![(*postgres, Int)],
        },
    }
}

/// `select <read columns>, <key columns> from <table> [where (<key>) > (?…)] order by <key>
/// limit ?`: the key read again at the end, whatever it is, so a page resumes after its last
/// row's.
fn select_text(table: &Table, backend: Backend, after: bool) -> String {
    let read: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| !c.cleared)
        .map(|c| c.name)
        .collect();
    let key: Vec<&str> = order_of(table, backend).iter().map(|(n, _)| *n).collect();
    let mut text = format!(
        "select {}, {} from {}",
        read.join(", "),
        key.join(", "),
        table.name
    );
    if after {
        let marks = vec!["?"; key.len()].join(", ");
        text.push_str(&format!(" where ({}) > ({marks})", key.join(", ")));
    }
    text.push_str(&format!(" order by {} limit ?", key.join(", ")));
    text
}

/// One page of `table` after `after` (from the start: `None`).
async fn read_page(
    conn: &mut Conn,
    table: &Table,
    after: Option<&[Cell]>,
) -> Result<Vec<Row>, super::Error> {
    let backend = conn.kind();
    let text = select_text(table, backend, after.is_some());
    let key = order_of(table, backend);
    let read: Vec<Kind> = table
        .columns
        .iter()
        .filter(|c| !c.cleared)
        .map(|c| c.kind)
        .collect();
    on!(conn, |c| {
        let mut query = sqlx::query(sql_owned(text));
        for cell in after.unwrap_or_default() {
            query = bind_cell!(query, cell.clone());
        }
        let rows = query.bind(PAGE as i64).fetch_all(&mut *c).await?;
        rows.iter()
            .map(|r| {
                let mut values = read
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| Ok(read_cell!(r, i, *kind)))
                    .collect::<Result<Vec<Cell>, super::Error>>()?
                    .into_iter();
                let cells = with_cleared(table, &mut values);
                let key = key
                    .iter()
                    .enumerate()
                    .map(|(j, (_, kind))| Ok(read_cell!(r, read.len() + j, *kind)))
                    .collect::<Result<Vec<Cell>, super::Error>>()?;
                Ok(Row { cells, key })
            })
            .collect()
    })
}

/// Inserts `rows` into `table`, as many in one statement as its bound values allow.
async fn write_rows(conn: &mut Conn, table: &Table, rows: Vec<Row>) -> Result<(), super::Error> {
    let width = table.columns.len();
    let per_statement = (VALUES_PER_STATEMENT / width).clamp(1, PAGE);
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let one = format!("({})", vec!["?"; width].join(", "));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Row> = rows.by_ref().take(per_statement).collect();
        let text = format!(
            "insert into {} ({}) values {}",
            table.name,
            names.join(", "),
            vec![one.as_str(); chunk.len()].join(", ")
        );
        on!(conn, |c| {
            let mut query = sqlx::query(sql_owned(text));
            for row in chunk {
                for cell in row.cells {
                    query = bind_cell!(query, cell);
                }
            }
            query.execute(&mut *c).await?;
            Ok::<(), super::Error>(())
        })?;
    }
    Ok(())
}

/// Copies one table page by page; returns its rows and, for the audit journal, the last
/// record's hash.
async fn copy_table(
    reader: &mut Conn,
    writer: &mut Conn,
    table: &Table,
) -> Result<(u64, Option<String>), super::Error> {
    let hash = table.columns.iter().position(|c| c.name == "hash");
    let mut after: Option<Vec<Cell>> = None;
    let mut total = 0u64;
    let mut last_hash = None;
    loop {
        let mut page = read_page(reader, table, after.as_deref()).await?;
        let Some(last) = page.last_mut() else { break };
        after = Some(std::mem::take(&mut last.key));
        if let Some(i) = hash
            && let Cell::Text(Some(h)) = &last.cells[i]
        {
            last_hash = Some(h.clone());
        }
        let n = page.len();
        total += n as u64;
        write_rows(writer, table, page).await?;
        if n < PAGE {
            break;
        }
    }
    Ok((total, last_hash))
}

/// The rows of `table` that `filter` selects (an SQL condition with one `?`, bound to `id`),
/// in the table's order, each as its cells in [`Table::columns`] order (a cleared column
/// null): one case's rows, which the archive keeps in its package (`super::archive`).
pub(super) async fn rows_where(
    conn: &mut Conn,
    table: &Table,
    filter: &str,
    id: i64,
) -> Result<Vec<Vec<Cell>>, super::Error> {
    let backend = conn.kind();
    let read: Vec<&Column> = table.columns.iter().filter(|c| !c.cleared).collect();
    let names: Vec<&str> = read.iter().map(|c| c.name).collect();
    let key: Vec<&str> = order_of(table, backend).iter().map(|(n, _)| *n).collect();
    let text = format!(
        "select {} from {} where {filter} order by {}",
        names.join(", "),
        table.name,
        key.join(", ")
    );
    on!(conn, |c| {
        let rows = sqlx::query(sql_owned(text))
            .bind(id)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| {
                let mut values = read
                    .iter()
                    .enumerate()
                    .map(|(i, column)| Ok(read_cell!(r, i, column.kind)))
                    .collect::<Result<Vec<Cell>, super::Error>>()?
                    .into_iter();
                Ok(with_cleared(table, &mut values))
            })
            .collect()
    })
}

/// A row of `table` in [`Table::columns`] order from `values`, the cells of its read
/// columns: the cleared columns are not read, and each becomes a null of its kind.
fn with_cleared(table: &Table, values: &mut impl Iterator<Item = Cell>) -> Vec<Cell> {
    table
        .columns
        .iter()
        .map(|column| {
            if column.cleared {
                Cell::null(column.kind)
            } else {
                values.next().expect("one value per read column")
            }
        })
        .collect()
}

/// Inserts rows of `table` given as cells in [`Table::columns`] order (a restored case's).
pub(super) async fn insert_rows(
    conn: &mut Conn,
    table: &Table,
    rows: Vec<Vec<Cell>>,
) -> Result<(), super::Error> {
    let rows = rows
        .into_iter()
        .map(|cells| Row {
            cells,
            key: Vec::new(),
        })
        .collect();
    write_rows(conn, table, rows).await
}
