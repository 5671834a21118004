//! The archive of closed cases: moving a case out of the working tables into one row of
//! `archived_cases`, and back (seeds/003 item 17: periodic archiving of all requests).
//!
//! **What moves.** Every row of every table that refers to the case: the case itself, its
//! history, tasks, timers, jobs, the sent-records of its jobs (`notification_sent`), its
//! idempotency keys and its uploads' metadata; which tables those are is read from the column
//! spec of [`super::transfer`] (a table with a `case_id` column, `cases` by `id`, and
//! `notification_sent` by its jobs' keys), so a table a later migration adds with a `case_id`
//! moves too, and `qyzmet migrate` refuses a schema whose tables the spec does not list. The
//! rows go into the archived row's `package` as JSON, each column as that spec reads it
//! (instants as RFC 3339 text, JSON columns as their text): a package written on SQLite
//! restores on PostgreSQL and the other way, byte for byte where the backend keeps text.
//!
//! **What does not move.** The audit journal: archiving only appends to it. A scheduled
//! case's `schedule_runs` row stays, its `case_id` cleared (the package keeps the link and
//! the restore puts it back): the row is what says its occurrence fired, and without it the
//! scheduler's catch-up could fire it again. The scans' files stay under the data directory,
//! named by their hash. The search index rows (`case_index`, `case_people`) are deleted and
//! derived anew on restore ([`search::index`]); the archived row carries its own search keys.
//!
//! **One transaction.** [`archive`] and [`restore`] each run in the caller's transaction:
//! the archived row written and every working row deleted (children first: SQLite's and
//! PostgreSQL's foreign keys both hold), or the rows inserted back (parents first) and the
//! archived row deleted. A case is always wholly in one place.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::backend::on;
use super::transfer::{self, Cell, JsonCell, Kind, TABLES, Table};
use super::{Conn, Error, Store, search};
use crate::runtime::{CaseState, Status};

/// The package's format: what [`restore`] reads.
const FORMAT: i64 = 1;

/// A case in the archive: what a search and its short page show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ArchivedCase {
    /// The case's id (its registration number is made from it).
    #[serde(skip)]
    pub case_id: i64,
    /// The registration number.
    pub number: String,
    /// The service.
    pub service: String,
    /// The definition version the case ran under.
    pub version: String,
    /// The region.
    pub region: String,
    /// Completed or withdrawn.
    #[schema(value_type = String, example = "completed")]
    pub status: Status,
    /// The result it ended with.
    pub result: Option<String>,
    /// When the case was opened.
    pub opened_at: DateTime<Utc>,
    /// When the case closed.
    pub closed_at: DateTime<Utc>,
    /// When it was archived.
    pub archived_at: DateTime<Utc>,
    /// Who archived it: a login, or `system` for the daily run.
    pub archived_by: String,
    /// The applicant's name, as the case has it.
    pub applicant_name: Option<String>,
    /// The applicant's IIN.
    pub applicant_iin: Option<String>,
    /// The representative's IIN.
    pub representative_iin: Option<String>,
}

/// A closed case a run looked at: its id, when it closed, and whether it may move (no open
/// task, no timer, no unfinished job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The case's id.
    pub id: i64,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
    /// Whether nothing is left to do in it.
    pub movable: bool,
}

/// How the rows of `table` that belong to a case are found (one `?`: the case's id); `None`
/// for a table that holds none.
fn filter_of(table: &Table) -> Option<&'static str> {
    match table.name {
        "cases" => Some("id = ?"),
        "archived_cases" => None,
        "notification_sent" => Some("key in (select key from jobs where case_id = ?)"),
        _ if table.columns.iter().any(|c| c.name == "case_id") => Some("case_id = ?"),
        _ => None,
    }
}

/// The cases closed before `cutoff`, the earliest closed first, after `after` (the last one a
/// previous batch looked at), at most `limit`. On a shared database the rows are locked and
/// those another process is moving are passed over.
pub async fn candidates(
    conn: &mut Conn,
    cutoff: DateTime<Utc>,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u32,
) -> Result<Vec<Candidate>, Error> {
    let (after_at, after_id) = after.unwrap_or((DateTime::<Utc>::UNIX_EPOCH, 0));
    on!(conn, |c| {
        let rows = sqlx::query(pick(
            "select c.id, c.closed_at, \
             not exists (select 1 from tasks t where t.case_id = c.id and t.status <> 'closed') \
             and not exists (select 1 from timers m where m.case_id = c.id) \
             and not exists (select 1 from jobs j where j.case_id = c.id and j.status not in ('done', 'failed')) \
             from cases c where c.closed_at is not null and c.closed_at < ? \
             and (c.closed_at, c.id) > (?, ?) order by c.closed_at, c.id limit ?",
            "select c.id, c.closed_at, \
             not exists (select 1 from tasks t where t.case_id = c.id and t.status <> 'closed') \
             and not exists (select 1 from timers m where m.case_id = c.id) \
             and not exists (select 1 from jobs j where j.case_id = c.id and j.status not in ('done', 'failed')) \
             from cases c where c.closed_at is not null and c.closed_at < ? \
             and (c.closed_at, c.id) > (?, ?) order by c.closed_at, c.id limit ? \
             for update of c skip locked",
        ))
        .bind(bind_ts(cutoff))
        .bind(bind_ts(after_at))
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Candidate {
                    id: r.try_get(0)?,
                    closed_at: read_ts(r, 1)?,
                    movable: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()
    })
}

/// A cell as the package holds it: null, a string, a number or a boolean; an instant as RFC
/// 3339 text to the microsecond; a JSON column as its text (so SQL null and JSON `null`
/// stay apart).
fn cell_json(cell: Cell) -> Value {
    match cell {
        Cell::Text(v) => v.map_or(Value::Null, Value::String),
        Cell::Int(v) => v.map_or(Value::Null, Value::from),
        Cell::Bool(v) => v.map_or(Value::Null, Value::Bool),
        Cell::Time(v) => v.map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(SecondsFormat::Micros, true))
        }),
        Cell::Json(v) => v.map_or(Value::Null, |j| match j {
            JsonCell::Text(t) => Value::String(t),
            JsonCell::Value(v) => Value::String(v.to_string()),
        }),
    }
}

fn corrupt(message: String) -> Error {
    Error::Corrupt {
        what: "archive package",
        message,
    }
}

/// A package's value back as a cell of `kind`.
fn json_cell(kind: Kind, value: Option<&Value>) -> Result<Cell, Error> {
    let value = value.filter(|v| !v.is_null());
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| corrupt(format!("{v} is not text")))
    };
    Ok(match kind {
        Kind::Text => Cell::Text(value.map(text).transpose()?),
        Kind::Int => Cell::Int(
            value
                .map(|v| {
                    v.as_i64()
                        .ok_or_else(|| corrupt(format!("{v} is not an integer")))
                })
                .transpose()?,
        ),
        Kind::Bool => Cell::Bool(
            value
                .map(|v| {
                    v.as_bool()
                        .ok_or_else(|| corrupt(format!("{v} is not a boolean")))
                })
                .transpose()?,
        ),
        Kind::Time => Cell::Time(
            value
                .map(|v| {
                    let t = text(v)?;
                    DateTime::parse_from_rfc3339(&t)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|e| corrupt(format!("`{t}`: {e}")))
                })
                .transpose()?,
        ),
        Kind::Json => Cell::Json(value.map(text).transpose()?.map(JsonCell::Text)),
    })
}

/// Moves case `id` into the archive, inside the caller's transaction: its rows of every table
/// into the package of one `archived_cases` row, then deleted from their tables (children
/// first). `None` when there is no such case. Whether the case may move is the caller's
/// question ([`candidates`]).
pub async fn archive(
    conn: &mut Conn,
    id: i64,
    now: DateTime<Utc>,
    by: &str,
) -> Result<Option<ArchivedCase>, Error> {
    let mut tables = Map::new();
    let mut state: Option<(CaseState, DateTime<Utc>)> = None;
    for table in TABLES {
        let Some(filter) = filter_of(table) else {
            continue;
        };
        let rows = transfer::rows_where(conn, table, filter, id).await?;
        if table.name == "cases" {
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            state = Some(case_of(table, row)?);
        }
        if rows.is_empty() {
            continue;
        }
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|cells| {
                Value::Object(
                    table
                        .columns
                        .iter()
                        .zip(cells)
                        .map(|(column, cell)| (column.name.to_string(), cell_json(cell)))
                        .collect(),
                )
            })
            .collect();
        tables.insert(table.name.to_string(), Value::Array(rows));
    }
    let Some((state, closed_at)) = state else {
        return Ok(None);
    };
    let keys = search::keys(&state);
    let archived = ArchivedCase {
        case_id: id,
        number: state.number.clone(),
        service: state.service.clone(),
        version: state.version.clone(),
        region: state.region.clone(),
        status: state.status,
        result: state.result.clone(),
        opened_at: state.opened_at,
        closed_at,
        archived_at: now,
        archived_by: by.to_string(),
        applicant_name: keys.applicant_name,
        applicant_iin: keys.applicant_iin,
        representative_iin: keys.representative_iin,
    };
    let package = serde_json::json!({ "format": FORMAT, "tables": tables });
    insert_archived(conn, &archived, &package).await?;
    delete_working_rows(conn, id).await?;
    Ok(Some(archived))
}

/// The case's state and closing time from its `cases` row. Only a closed case is a
/// candidate, and a closed case's row has its closing time (migration 0020 gave it to the
/// cases closed before the column was).
fn case_of(table: &Table, row: &[Cell]) -> Result<(CaseState, DateTime<Utc>), Error> {
    let at = |name: &str| table.columns.iter().position(|c| c.name == name);
    let state = match at("state").map(|i| &row[i]) {
        Some(Cell::Json(Some(JsonCell::Text(t)))) => serde_json::from_str(t),
        Some(Cell::Json(Some(JsonCell::Value(v)))) => serde_json::from_value(v.clone()),
        _ => return Err(corrupt("a case without its state".into())),
    }
    .map_err(|e| Error::Corrupt {
        what: "case state",
        message: e.to_string(),
    })?;
    let closed_at = match at("closed_at").map(|i| &row[i]) {
        Some(Cell::Time(Some(t))) => *t,
        _ => return Err(corrupt("a closed case without its closing time".into())),
    };
    Ok((state, closed_at))
}

async fn insert_archived(conn: &mut Conn, a: &ArchivedCase, package: &Value) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "insert into archived_cases (case_id, number, service, version, region, status, result, \
             opened_at, closed_at, archived_at, archived_by, applicant_name, applicant_iin, \
             representative_iin, package) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(a.case_id)
        .bind(&a.number)
        .bind(&a.service)
        .bind(&a.version)
        .bind(&a.region)
        .bind(search::status_str(a.status))
        .bind(&a.result)
        .bind(bind_ts(a.opened_at))
        .bind(bind_ts(a.closed_at))
        .bind(bind_ts(a.archived_at))
        .bind(&a.archived_by)
        .bind(&a.applicant_name)
        .bind(&a.applicant_iin)
        .bind(&a.representative_iin)
        .bind(bind_json(package))
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// Every working row of case `id` deleted, children first; its scheduled occurrence kept,
/// unlinked.
async fn delete_working_rows(conn: &mut Conn, id: i64) -> Result<(), Error> {
    let mut statements: Vec<String> = vec![
        "delete from case_people where case_id = ?".into(),
        "delete from case_index where case_id = ?".into(),
    ];
    for table in TABLES.iter().rev() {
        let Some(filter) = filter_of(table) else {
            continue;
        };
        statements.push(if table.name == "schedule_runs" {
            format!("update schedule_runs set case_id = null where {filter}")
        } else {
            format!("delete from {} where {filter}", table.name)
        });
    }
    for text in statements {
        on!(conn, |c| {
            sqlx::query(sql_owned(text))
                .bind(id)
                .execute(&mut *c)
                .await?;
            Ok::<(), Error>(())
        })?;
    }
    Ok(())
}

/// The columns [`ArchivedCase`] is read from.
const COLUMNS: &str = "case_id, number, service, version, region, status, result, opened_at, \
                       closed_at, archived_at, archived_by, applicant_name, applicant_iin, \
                       representative_iin";

macro_rules! read_archived {
    ($r:expr) => {
        ArchivedCase {
            case_id: $r.try_get(0)?,
            number: $r.try_get(1)?,
            service: $r.try_get(2)?,
            version: $r.try_get(3)?,
            region: $r.try_get(4)?,
            status: search::parse_status($r.try_get(5)?)?,
            result: $r.try_get(6)?,
            opened_at: read_ts($r, 7)?,
            closed_at: read_ts($r, 8)?,
            archived_at: read_ts($r, 9)?,
            archived_by: $r.try_get(10)?,
            applicant_name: $r.try_get(11)?,
            applicant_iin: $r.try_get(12)?,
            representative_iin: $r.try_get(13)?,
        }
    };
}

/// Restores the archived case `number`, inside the caller's transaction: every row of its
/// package inserted back (parents first), its scheduled occurrence linked again, its search
/// index derived, the archived row deleted. `None` when no archived case has the number.
pub async fn restore(conn: &mut Conn, number: &str) -> Result<Option<ArchivedCase>, Error> {
    let text = format!(
        "select {COLUMNS}, package from archived_cases where number = ?{}",
        if conn.kind() == super::Backend::Postgres {
            " for update"
        } else {
            ""
        }
    );
    let found: Option<(ArchivedCase, Value)> = on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(number)
            .fetch_optional(&mut *c)
            .await?;
        match row {
            None => None,
            Some(r) => Some((read_archived!(&r), read_json(&r, 14, "archive package")?)),
        }
    });
    let Some((archived, package)) = found else {
        return Ok(None);
    };
    if package.get("format").and_then(Value::as_i64) != Some(FORMAT) {
        return Err(corrupt(format!(
            "case {number}: a package of another format"
        )));
    }
    let empty = Map::new();
    let tables = package
        .get("tables")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if let Some(known) = tables.keys().find(|t| !TABLES.iter().any(|k| k.name == *t)) {
        return Err(corrupt(format!(
            "case {number}: table `{known}` is not one this qyzmet has"
        )));
    }
    for table in TABLES {
        let Some(rows) = tables.get(table.name).and_then(Value::as_array) else {
            continue;
        };
        let mut cells = Vec::with_capacity(rows.len());
        for row in rows {
            let row = row
                .as_object()
                .ok_or_else(|| corrupt(format!("case {number}: a row is not an object")))?;
            cells.push(
                table
                    .columns
                    .iter()
                    .map(
                        |column| match (table.name, column.name, row.get(column.name)) {
                            // A package written before the cases had their closing time
                            // (migration 0020) brings none: the archived row's is put back, so
                            // that the archive finds the case again. Only a closed case is
                            // archived, so every case put back has one.
                            ("cases", "closed_at", None | Some(Value::Null)) => {
                                Ok(Cell::Time(Some(archived.closed_at)))
                            }
                            (_, _, value) => json_cell(column.kind, value),
                        },
                    )
                    .collect::<Result<Vec<Cell>, Error>>()?,
            );
            if table.name == "schedule_runs" {
                // The occurrence's row stayed, unlinked: it is put back whole.
                let key = |name: &str| row.get(name).and_then(Value::as_str).unwrap_or_default();
                let (service, occurrence) =
                    (key("service").to_string(), key("occurrence").to_string());
                on!(conn, |c| {
                    sqlx::query(sql(
                        "delete from schedule_runs where service = ? and occurrence = ?",
                    ))
                    .bind(&service)
                    .bind(&occurrence)
                    .execute(&mut *c)
                    .await?;
                    Ok::<(), Error>(())
                })?;
            }
        }
        transfer::insert_rows(conn, table, cells).await?;
    }
    let id = archived.case_id;
    on!(conn, |c| {
        sqlx::query(sql("delete from archived_cases where case_id = ?"))
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok::<(), Error>(())
    })?;
    let state = super::tx::case(conn, id)
        .await?
        .ok_or_else(|| corrupt(format!("case {number}: the package has no case")))?;
    search::index(conn, &state, search::Before::Unknown, archived.closed_at).await?;
    Ok(Some(archived))
}

/// The archived case `number`.
pub async fn by_number(conn: &mut Conn, number: &str) -> Result<Option<ArchivedCase>, Error> {
    let text = format!("select {COLUMNS} from archived_cases where number = ?");
    on!(conn, |c| {
        let row = sqlx::query(sql_owned(text))
            .bind(number)
            .fetch_optional(&mut *c)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(read_archived!(&r))),
        }
    })
}

/// The archived cases whose applicant or representative has `iin`, newest first, at most
/// `limit`.
pub async fn by_iin(conn: &mut Conn, iin: &str, limit: u32) -> Result<Vec<ArchivedCase>, Error> {
    let text = format!(
        "select {COLUMNS} from archived_cases where applicant_iin = ? or representative_iin = ? \
         order by opened_at desc, case_id desc limit ?"
    );
    on!(conn, |c| {
        let rows = sqlx::query(sql_owned(text))
            .bind(iin)
            .bind(iin)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| Ok(read_archived!(r)))
            .collect::<Result<Vec<_>, Error>>()
    })
}

impl Store {
    /// The archived case `number`, if the archive has it.
    pub async fn archived_case(&self, number: &str) -> Result<Option<ArchivedCase>, Error> {
        let mut conn = self.read().await?;
        let found = by_number(&mut conn, number).await;
        conn.close().await;
        found
    }

    /// The archived cases of `iin` (the applicant's or the representative's), newest first.
    pub async fn archived_of_iin(&self, iin: &str, limit: u32) -> Result<Vec<ArchivedCase>, Error> {
        let mut conn = self.read().await?;
        let found = by_iin(&mut conn, iin, limit).await;
        conn.close().await;
        found
    }
}
