//! The search index of cases: who each case is about, kept beside the case, so that a clerk
//! finds it by registration number, IIN or surname among a million cases.
//!
//! **Why a derived index and not a query over the cases' JSON.** A case's people live in its
//! state (`data[""].applicant.iin`…), a JSON document that neither database indexes by
//! content portably, and a surname must be compared case-insensitively in Cyrillic and
//! Kazakh, which SQLite's `lower()` cannot do (it folds ASCII only). So the store keeps two
//! tables derived from the state, folded in Rust (`str::to_lowercase`) on the way in:
//!
//! - `case_index`, one row per case: what a search shows (number, service, region, status,
//!   result, opening time, the applicant's name and IIN as written) and `people`, the people
//!   as last indexed (JSON text), which is how a write tells cheaply whether anything changed;
//! - `case_people`, one row per person of the case — its [`Party::Applicant`] and its
//!   [`Party::Representative`] — with the IIN, the folded surname and full name, and the
//!   region, service and opening time repeated, so that a search by IIN or surname reads this
//!   table's indexes alone until it knows its page. One row per person, not columns per
//!   person, is what finds a case by its representative's IIN with the same index as by its
//!   applicant's, and leaves room for a third party without a new index.
//!
//! **Written with the case.** [`index`] runs in the writer's transaction after every
//! transition (`tx::write`): one upsert of the case's row that changes nothing unless the
//! people, the status or the result differ from what is stored — the cheap check — and only
//! then the people's rows are written again. A case and what finds it commit together.
//!
//! **Cases older than the index.** The migration gives every existing case its row with
//! `people` null (it cannot read the JSON and fold the names portably); the engine derives
//! the pending rows at start ([`Store::derive_case_index`]), in batches. An import
//! (`qyzmet migrate`) copies the cases, not their index, and [`rebuild`]s it.
//!
//! **What a search asks** ([`Query::parse`]): a registration number whole or its beginning
//! (`QZ-2026-000123`, `QZ-2026-0001`), the serial at its end (`123`: numbers are made from
//! the case's id), a 12-digit IIN exactly (never a beginning: a list of everybody born on a
//! day is no search a clerk needs), or else the beginning of a surname (two letters at least),
//! with more words the beginning of the full name. Over open and closed cases, of one region
//! or all, of the services the caller handles; newest first, in pages, with the total.
//!
//! **Archived cases** ([`super::archive`]) are found too, by registration number (whole, its
//! beginning, its serial) and by IIN, with the same region and service rules, and say so
//! ([`Found::archived`]). Not by surname: the archive keeps the name as written, not folded
//! and indexed, and a clerk who has the person has their IIN.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::backend::on;
use super::{Conn, Error, Store};
use crate::runtime::{CaseState, Status, get_path};

/// A party to a case the index knows: whose data names it reads (the workflows' `data:`,
/// `applicant.*` and `representative.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The citizen the case is for (`applicant.iin`, `applicant.last_name`,
    /// `applicant.full_name`).
    Applicant,
    /// Who applied on the applicant's behalf (`representative.iin`,
    /// `representative.full_name`).
    Representative,
}

impl Party {
    /// Every party, in the order indexed.
    pub const ALL: [Party; 2] = [Party::Applicant, Party::Representative];

    /// The stored name, and the prefix of the party's data names.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Applicant => "applicant",
            Party::Representative => "representative",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Result<Party, Error> {
        Party::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| Error::Corrupt {
                what: "case party",
                message: format!("`{text}` is not a party"),
            })
    }
}

/// A name as the index compares it: lower case in any script (`Ахметова` and `ахметова`,
/// `ӘБІЛОВ` and `әбілов`), `ё` as `е` (written either way in the same name), spaces single.
pub fn fold(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.to_lowercase().replace('ё', "е"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One person of a case, as indexed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
struct Person {
    party: Party,
    iin: Option<String>,
    /// As written: the case's `full_name`, or the name's parts joined.
    full_name: Option<String>,
    /// Folded.
    surname: Option<String>,
    /// Folded.
    name: Option<String>,
}

/// What the index holds of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    people: Vec<Person>,
    /// `people` as stored: what a write compares to tell whether they changed.
    fingerprint: String,
}

impl Entry {
    fn of(state: &CaseState) -> Entry {
        let data = state.data.get("").cloned().unwrap_or(Value::Null);
        let people: Vec<Person> = Party::ALL
            .into_iter()
            .filter_map(|party| person(&data, party))
            .collect();
        let fingerprint = serde_json::to_string(&people).expect("people serialise");
        Entry {
            people,
            fingerprint,
        }
    }

    fn applicant(&self) -> Option<&Person> {
        self.people.iter().find(|p| p.party == Party::Applicant)
    }
}

/// The party's person in the case's data, if the data name anybody: the IIN when it is 12
/// digits, the surname from `last_name` or else the first word of `full_name`.
fn person(data: &Value, party: Party) -> Option<Person> {
    let text = |field: &str| {
        get_path(data, &format!("{}.{field}", party.as_str()))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let iin = text("iin").filter(|i| i.len() == 12 && i.bytes().all(|b| b.is_ascii_digit()));
    let last = text("last_name");
    let full_name = text("full_name").or_else(|| {
        let parts: Vec<String> = ["last_name", "first_name", "middle_name"]
            .into_iter()
            .filter_map(text)
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let surname = last
        .or_else(|| {
            full_name
                .as_deref()
                .and_then(|f| f.split_whitespace().next())
                .map(str::to_string)
        })
        .map(|s| fold(&s));
    if iin.is_none() && surname.is_none() {
        return None;
    }
    Some(Person {
        party,
        iin,
        name: full_name.as_deref().map(fold),
        full_name,
        surname,
    })
}

/// What the archive keeps of a case's people to find it by ([`super::archive`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Keys {
    /// The applicant's name, as written.
    pub(super) applicant_name: Option<String>,
    /// The applicant's IIN.
    pub(super) applicant_iin: Option<String>,
    /// The representative's IIN.
    pub(super) representative_iin: Option<String>,
}

/// The search keys of a case's people, read as the index reads them.
pub(super) fn keys(state: &CaseState) -> Keys {
    let entry = Entry::of(state);
    let of = |party: Party| entry.people.iter().find(|p| p.party == party);
    Keys {
        applicant_name: of(Party::Applicant).and_then(|p| p.full_name.clone()),
        applicant_iin: of(Party::Applicant).and_then(|p| p.iin.clone()),
        representative_iin: of(Party::Representative).and_then(|p| p.iin.clone()),
    }
}

/// A case status as both schemas spell it (the index's and the archive's).
pub(super) fn status_str(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Completed => "completed",
        Status::Withdrawn => "withdrawn",
    }
}

pub(super) fn parse_status(text: &str) -> Result<Status, Error> {
    match text {
        "active" => Ok(Status::Active),
        "completed" => Ok(Status::Completed),
        "withdrawn" => Ok(Status::Withdrawn),
        _ => Err(Error::Corrupt {
            what: "case status",
            message: format!("`{text}` is not a case status"),
        }),
    }
}

/// What a case's index rows were before [`index`] writes them.
#[derive(Debug, Clone, Copy)]
pub enum Before<'a> {
    /// A case just opened: it has none.
    Nothing,
    /// What the write of this state left (or a derivation still pending).
    Of(&'a CaseState),
    /// Not known here (a case back from the archive, a derivation): written in full.
    Unknown,
}

/// The people's insert, before its rows ([`person_row!`]).
const PEOPLE_INSERT: &str = "insert into case_people (case_id, role, iin, surname, name, service, region, opened_at, created_at, updated_at) ";

/// Binds a person's row of [`PEOPLE_INSERT`]: inside an `on!` body, for its backend.
macro_rules! person_row {
    ($row:ident, $state:expr, $p:expr, $at:expr) => {{
        let mut row = $row;
        row.push_bind($state.id)
            .push_bind($p.party.as_str())
            .push_bind($p.iin.clone())
            .push_bind($p.surname.clone())
            .push_bind($p.name.clone())
            .push_bind($state.service.clone())
            .push_bind($state.region.clone())
            .push_bind(bind_ts($state.opened_at))
            .push_bind(bind_ts($at))
            .push_bind(bind_ts($at));
    }};
}

/// Keeps case `state`'s index rows as the case is, inside the writer's transaction, after
/// the case's own row is written. Comparing with the state the transition was made from
/// (`before`) in Rust, a transition makes only the statements its change needs, for every
/// statement is a round trip of the writer every case waits for:
///
/// - the people changed, or nothing is known: one upsert, and the people's rows anew;
/// - only the status or the result: one update of the row, which leaves its people (or a
///   derivation still pending, `people` null) as they are;
/// - nothing the index holds (a data request's answer, a timer): no statement.
pub async fn index(
    conn: &mut Conn,
    state: &CaseState,
    before: Before<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let (change, entry) = change(state, before);
    match change {
        Change::None => Ok(()),
        Change::Status => update_statuses(conn, &[(state, now)]).await,
        Change::Whole => upsert(conn, state, &entry, matches!(before, Before::Nothing), now).await,
    }
}

/// Keeps the index rows of many cases, each `(state, before, time)` as [`index`] keeps one,
/// with one statement of each kind for all of them (one more for every
/// [`super::ROWS_PER_STATEMENT`] rows): the rows of the cases opened, their people, and the
/// status of the cases whose status or result alone changed. A case whose people changed is
/// written as [`index`] writes it. For the writer's held writes (`super::held`), which end a
/// batch of transitions.
pub async fn index_many(
    conn: &mut Conn,
    cases: &[(&CaseState, Before<'_>, DateTime<Utc>)],
) -> Result<(), Error> {
    let mut opened: Vec<(&CaseState, Entry, DateTime<Utc>)> = Vec::new();
    let mut moved: Vec<(&CaseState, DateTime<Utc>)> = Vec::new();
    for &(state, before, at) in cases {
        let (change, entry) = change(state, before);
        match (change, before) {
            (Change::None, _) => {}
            (Change::Status, _) => moved.push((state, at)),
            (Change::Whole, Before::Nothing) => opened.push((state, entry, at)),
            (Change::Whole, _) => upsert(conn, state, &entry, false, at).await?,
        }
    }
    insert_opened(conn, &opened).await?;
    update_statuses(conn, &moved).await
}

/// What a transition changes of a case's index rows.
enum Change {
    /// Nothing the index holds (a data request's answer, a timer).
    None,
    /// The status or the result only.
    Status,
    /// The people, or what was there is not known: the row and the people anew.
    Whole,
}

/// What the write of `state` changes of its index rows, compared with `before` in Rust,
/// with the entry it writes.
fn change(state: &CaseState, before: Before<'_>) -> (Change, Entry) {
    let entry = Entry::of(state);
    let change = match before {
        Before::Of(previous)
            if previous.opened_at == state.opened_at
                && Entry::of(previous).fingerprint == entry.fingerprint =>
        {
            if previous.status == state.status && previous.result == state.result {
                Change::None
            } else {
                Change::Status
            }
        }
        _ => Change::Whole,
    };
    (change, entry)
}

/// The status and result of cases whose people did not change: one update for all, which
/// leaves their people (or a derivation still pending, `people` null) as they are.
async fn update_statuses(
    conn: &mut Conn,
    cases: &[(&CaseState, DateTime<Utc>)],
) -> Result<(), Error> {
    on!(conn, |c| {
        for chunk in cases.chunks(super::ROWS_PER_STATEMENT) {
            // `columnN`: the names both databases give the columns of a `values` list.
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "update case_index set status = v.column2, result = v.column3, updated_at = v.column4 from (",
            );
            q.push_values(chunk, |mut row, (state, at)| {
                row.push_bind(state.id)
                    .push_bind(status_str(state.status))
                    .push_bind(state.result.clone())
                    .push_bind(bind_ts(*at));
            });
            q.push(") as v where case_index.case_id = v.column1");
            q.build().persistent(false).execute(&mut *c).await?;
        }
        Ok(())
    })
}

/// The rows of cases just opened, which have none: one insert for the cases, one for all
/// their people.
async fn insert_opened(
    conn: &mut Conn,
    opened: &[(&CaseState, Entry, DateTime<Utc>)],
) -> Result<(), Error> {
    on!(conn, |c| {
        for chunk in opened.chunks(super::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "insert into case_index (case_id, number, service, region, status, result, opened_at, \
                 applicant_name, applicant_iin, people, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut row, (state, entry, at)| {
                let applicant = entry.applicant();
                row.push_bind(state.id)
                    .push_bind(state.number.clone())
                    .push_bind(state.service.clone())
                    .push_bind(state.region.clone())
                    .push_bind(status_str(state.status))
                    .push_bind(state.result.clone())
                    .push_bind(bind_ts(state.opened_at))
                    .push_bind(applicant.and_then(|a| a.full_name.clone()))
                    .push_bind(applicant.and_then(|a| a.iin.clone()))
                    .push_bind(entry.fingerprint.clone())
                    .push_bind(bind_ts(*at))
                    .push_bind(bind_ts(*at));
            });
            q.build().persistent(false).execute(&mut *c).await?;
        }
        let people: Vec<(&CaseState, &Person, DateTime<Utc>)> = opened
            .iter()
            .flat_map(|(state, entry, at)| entry.people.iter().map(move |p| (*state, p, *at)))
            .collect();
        for chunk in people.chunks(super::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::<Db>::new(PEOPLE_INSERT);
            q.push_values(chunk, |row, (state, p, at)| person_row!(row, state, p, *at));
            q.build().persistent(false).execute(&mut *c).await?;
        }
        Ok(())
    })
}

/// One upsert of a case's row that changes nothing unless the people, the status or the
/// result differ from what is stored, and only then its people's rows anew; a `new` case
/// has none to delete first.
async fn upsert(
    conn: &mut Conn,
    state: &CaseState,
    entry: &Entry,
    new: bool,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let applicant = entry.applicant();
    let changed = on!(conn, |c| {
        sqlx::query(pick(
            "insert into case_index (case_id, number, service, region, status, result, opened_at, \
             applicant_name, applicant_iin, people, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) \
             on conflict (case_id) do update set status = excluded.status, result = excluded.result, \
             opened_at = excluded.opened_at, applicant_name = excluded.applicant_name, \
             applicant_iin = excluded.applicant_iin, people = excluded.people, updated_at = excluded.updated_at \
             where case_index.people is not excluded.people or case_index.status is not excluded.status \
             or case_index.result is not excluded.result",
            "insert into case_index (case_id, number, service, region, status, result, opened_at, \
             applicant_name, applicant_iin, people, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) \
             on conflict (case_id) do update set status = excluded.status, result = excluded.result, \
             opened_at = excluded.opened_at, applicant_name = excluded.applicant_name, \
             applicant_iin = excluded.applicant_iin, people = excluded.people, updated_at = excluded.updated_at \
             where case_index.people is distinct from excluded.people \
             or case_index.status is distinct from excluded.status \
             or case_index.result is distinct from excluded.result",
        ))
        .bind(state.id)
        .bind(&state.number)
        .bind(&state.service)
        .bind(&state.region)
        .bind(status_str(state.status))
        .bind(&state.result)
        .bind(bind_ts(state.opened_at))
        .bind(applicant.and_then(|a| a.full_name.as_deref()))
        .bind(applicant.and_then(|a| a.iin.as_deref()))
        .bind(&entry.fingerprint)
        .bind(bind_ts(now))
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if changed == 0 {
        return Ok(());
    }
    // The people's rows anew.
    on!(conn, |c| {
        if !new {
            sqlx::query(sql("delete from case_people where case_id = ?"))
                .bind(state.id)
                .execute(&mut *c)
                .await?;
        }
        if entry.people.is_empty() {
            return Ok(());
        }
        let mut insert = sqlx::QueryBuilder::<Db>::new(PEOPLE_INSERT);
        insert.push_values(&entry.people, |row, p| person_row!(row, state, p, now));
        insert.build().execute(&mut *c).await?;
        Ok(())
    })
}

/// Cases derived at a time, each batch in its own transaction (a savepoint inside one).
const DERIVE_BATCH: i64 = 500;

/// Derives the people of every case whose index row is pending (`people` null: a case the
/// migration found, or an import brought), from the case's state as it is now; returns how
/// many. On a shared database each batch's rows are locked, and another process starting
/// at the same moment takes other rows (`skip locked`).
pub async fn derive_pending(conn: &mut Conn) -> Result<u64, Error> {
    let mut done = 0u64;
    loop {
        conn.begin().await?;
        let batch = derive_batch(conn).await;
        match batch {
            Ok(n) => {
                conn.commit().await?;
                done += n;
                if n < DERIVE_BATCH as u64 {
                    return Ok(done);
                }
            }
            Err(e) => {
                let _ = conn.rollback().await;
                return Err(e);
            }
        }
    }
}

async fn derive_batch(conn: &mut Conn) -> Result<u64, Error> {
    let cases: Vec<(CaseState, DateTime<Utc>)> = on!(conn, |c| {
        let rows = sqlx::query(pick(
            "select c.state, c.updated_at from case_index i join cases c on c.id = i.case_id \
             where i.people is null order by i.case_id limit ?",
            "select c.state, c.updated_at from case_index i join cases c on c.id = i.case_id \
             where i.people is null order by i.case_id limit ? for update of i skip locked",
        ))
        .bind(DERIVE_BATCH)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| Ok((read_json(r, 0, "case state")?, read_ts(r, 1)?)))
            .collect::<Result<Vec<_>, Error>>()?
    });
    for (state, updated_at) in &cases {
        // The rows a case's own write would have made, as of the case's last change.
        index(conn, state, Before::Unknown, *updated_at).await?;
    }
    Ok(cases.len() as u64)
}

/// After an import that copied the cases and not their index: a pending row for every case
/// without one, then every pending row derived. Inside the import's transaction.
pub async fn rebuild(conn: &mut Conn) -> Result<u64, Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "insert into case_index (case_id, number, service, region, status, result, opened_at, \
             applicant_name, applicant_iin, people, created_at, updated_at) \
             select id, number, service, region, status, result, created_at, null, null, null, created_at, updated_at \
             from cases c where not exists (select 1 from case_index i where i.case_id = c.id)",
        ))
        .execute(&mut *c)
        .await?;
        Ok::<(), Error>(())
    })?;
    derive_pending(conn).await
}

/// The tables of this module: derived, so an import does not copy them but [`rebuild`]s
/// them.
pub const DERIVED_TABLES: [&str; 2] = ["case_index", "case_people"];

/// Why a text is no search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Nothing but spaces.
    Empty,
    /// A surname's beginning under [`Query::MIN_SURNAME`] letters: everybody would be found.
    TooShort,
    /// Over [`Query::MAX_LEN`] characters.
    TooLong,
}

/// What a clerk typed into the search box, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A registration number, upper case: the whole of one (`QZ-2026-000123`), or the
    /// beginning of some (`QZ-2026-0001`).
    Number {
        /// The text.
        text: String,
        /// Whether it is a whole number (found exactly) or a beginning.
        whole: bool,
    },
    /// The serial at the end of a registration number (`123`, `000123`): the number is the
    /// prefix, the year and the case's id (`worker::Engine`'s numbering).
    Serial(i64),
    /// A 12-digit IIN, exactly: the applicant's or the representative's.
    Iin(String),
    /// The beginning of a surname, folded ([`fold`]); with more words, the beginning of the
    /// full name as well (`абенова айг`).
    Surname {
        /// The first word.
        surname: String,
        /// The whole text, when it has more than one word.
        name: Option<String>,
    },
}

impl Query {
    /// The fewest letters a surname's beginning has.
    pub const MIN_SURNAME: usize = 2;
    /// The most characters a search takes.
    pub const MAX_LEN: usize = 100;

    /// Reads what was typed: 12 digits are an IIN; other digits a number's serial; Latin
    /// letters, a dash and digits (`QZ-2026-…`) a registration number; anything else a
    /// surname.
    pub fn parse(text: &str) -> Result<Query, Unusable> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Unusable::Empty);
        }
        if text.chars().count() > Self::MAX_LEN {
            return Err(Unusable::TooLong);
        }
        // Digits, perhaps grouped by spaces as an IIN is read out (`520315 400126`).
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            if digits.len() == 12 {
                return Ok(Query::Iin(digits));
            }
            // 1 to 11 digits, or more than 12: a serial (a number too large is no case's).
            return Ok(Query::Serial(digits.parse().unwrap_or(i64::MAX)));
        }
        let number_like = text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.contains('-')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if number_like {
            let upper = text.to_ascii_uppercase();
            let whole = regex_whole_number(&upper);
            return Ok(Query::Number { text: upper, whole });
        }
        let folded = fold(text);
        let mut words = folded.split(' ');
        let surname = words.next().unwrap_or_default().to_string();
        if surname.chars().count() < Self::MIN_SURNAME {
            return Err(Unusable::TooShort);
        }
        let name = words.next().is_some().then(|| folded.clone());
        Ok(Query::Surname { surname, name })
    }

    /// `number`, `iin` or `surname`: how the query was understood (a serial is a number).
    pub fn kind(&self) -> &'static str {
        match self {
            Query::Number { .. } | Query::Serial(_) => "number",
            Query::Iin(_) => "iin",
            Query::Surname { .. } => "surname",
        }
    }
}

/// `PREFIX-YYYY-NNNNNN`: the whole of a registration number.
fn regex_whole_number(text: &str) -> bool {
    let mut parts = text.split('-');
    let (Some(prefix), Some(year), Some(serial), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && serial.len() >= 6
        && serial.bytes().all(|b| b.is_ascii_digit())
}

/// The end of a prefix range: every text that begins with `prefix` is at least `prefix` and
/// less than this (texts compared byte for byte, as UTF-8 orders code points).
fn after_prefix(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// A search: the query, where, and which page.
#[derive(Debug, Clone)]
pub struct CaseSearch {
    /// What is looked for.
    pub query: Query,
    /// The cases of this region only; `None`: every region.
    pub region: Option<String>,
    /// The cases of these services only; `None`: every service.
    pub services: Option<Vec<String>>,
    /// At most this many.
    pub limit: u32,
    /// After skipping this many, newest first.
    pub offset: u32,
}

/// A case a search found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Found {
    /// The registration number.
    pub number: String,
    /// The service.
    pub service: String,
    /// The region.
    pub region: String,
    /// Running, completed or withdrawn.
    #[schema(value_type = String, example = "active")]
    pub status: Status,
    /// The result, once ended.
    pub result: Option<String>,
    /// When the case was opened.
    pub opened_at: DateTime<Utc>,
    /// The applicant's name, as the case has it (none before the data name anybody).
    pub applicant_name: Option<String>,
    /// The applicant's IIN.
    pub applicant_iin: Option<String>,
    /// Whose IIN or surname matched: the representative's, when only theirs did; `None` for
    /// a search by number.
    pub matched_as: Option<Party>,
    /// Set when the case is in the archive: when it closed and when it was archived (its
    /// page is then a short one, and an administrator may restore it).
    pub archived: Option<InArchive>,
}

/// When an archived case closed and was archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct InArchive {
    /// When the case closed.
    pub closed_at: DateTime<Utc>,
    /// When it moved to the archive.
    pub archived_at: DateTime<Utc>,
}

/// A value the search binds.
enum Bound {
    Text(String),
    Int(i64),
}

/// The statement that selects the hits — `(case_id, opened_at, role, archived)`, one row per
/// case, `archived` 1 for a case in the archive — and its values in order. It names only what
/// is asked, so each kind uses its index.
fn hits(search: &CaseSearch) -> (String, Vec<Bound>) {
    let mut binds = Vec::new();
    let mut sql = match &search.query {
        Query::Iin(iin) => {
            binds.push(Bound::Text(iin.clone()));
            "select case_id, opened_at, min(role) as role, 0 as archived from case_people where iin = ?"
                .to_string()
        }
        Query::Surname { surname, name } => {
            binds.push(Bound::Text(surname.clone()));
            binds.push(Bound::Text(after_prefix(surname)));
            let mut s =
                "select case_id, opened_at, min(role) as role, 0 as archived from case_people \
                         where surname >= ? and surname < ?"
                    .to_string();
            if let Some(name) = name {
                s.push_str(" and name >= ? and name < ?");
                binds.push(Bound::Text(name.clone()));
                binds.push(Bound::Text(after_prefix(name)));
            }
            s
        }
        Query::Number { text, whole: true } => {
            binds.push(Bound::Text(text.clone()));
            "select case_id, opened_at, cast(null as text) as role, 0 as archived from case_index \
             where number = ?"
                .to_string()
        }
        Query::Number { text, whole: false } => {
            binds.push(Bound::Text(text.clone()));
            binds.push(Bound::Text(after_prefix(text)));
            "select case_id, opened_at, cast(null as text) as role, 0 as archived from case_index \
             where number >= ? and number < ?"
                .to_string()
        }
        Query::Serial(id) => {
            binds.push(Bound::Int(*id));
            "select case_id, opened_at, cast(null as text) as role, 0 as archived from case_index \
             where case_id = ?"
                .to_string()
        }
    };
    scope(search, &mut sql, &mut binds);
    if matches!(search.query, Query::Iin(_) | Query::Surname { .. }) {
        // A case whose applicant and representative both match is one hit; the applicant
        // names it ('applicant' < 'representative').
        sql.push_str(" group by case_id, opened_at");
    }
    // The archive, by number and IIN: one row per case, its own keys.
    let archived = match &search.query {
        Query::Iin(iin) => {
            binds.extend([iin, iin, iin].map(|i| Bound::Text(i.clone())));
            Some(
                "select case_id, opened_at, \
                 case when applicant_iin = ? then 'applicant' else 'representative' end as role, \
                 1 as archived from archived_cases where (applicant_iin = ? or representative_iin = ?)",
            )
        }
        Query::Number { text, whole: true } => {
            binds.push(Bound::Text(text.clone()));
            Some(
                "select case_id, opened_at, cast(null as text) as role, 1 as archived \
                 from archived_cases where number = ?",
            )
        }
        Query::Number { text, whole: false } => {
            binds.push(Bound::Text(text.clone()));
            binds.push(Bound::Text(after_prefix(text)));
            Some(
                "select case_id, opened_at, cast(null as text) as role, 1 as archived \
                 from archived_cases where number >= ? and number < ?",
            )
        }
        Query::Serial(id) => {
            binds.push(Bound::Int(*id));
            Some(
                "select case_id, opened_at, cast(null as text) as role, 1 as archived \
                 from archived_cases where case_id = ?",
            )
        }
        Query::Surname { .. } => None,
    };
    if let Some(archived) = archived {
        sql.push_str(" union all ");
        sql.push_str(archived);
        scope(search, &mut sql, &mut binds);
    }
    (sql, binds)
}

/// The region and services a search keeps to, appended to one part of its statement.
fn scope(search: &CaseSearch, sql: &mut String, binds: &mut Vec<Bound>) {
    if let Some(region) = &search.region {
        sql.push_str(" and region = ?");
        binds.push(Bound::Text(region.clone()));
    }
    if let Some(services) = &search.services {
        let marks = vec!["?"; services.len().max(1)].join(", ");
        sql.push_str(&format!(" and service in ({marks})"));
        if services.is_empty() {
            // No service: nothing is found (`in ()` is no SQL).
            binds.push(Bound::Text(String::new()));
        }
        binds.extend(services.iter().cloned().map(Bound::Text));
    }
}

impl Store {
    /// One page of the cases `search` finds, newest first, and how many it finds in all.
    pub async fn search_cases(&self, search: &CaseSearch) -> Result<(Vec<Found>, u64), Error> {
        let (hits, binds) = hits(search);
        // The total rides on every row of the page (a window over the hits), and only the
        // page's rows are joined to what is shown; a page past the end asks again.
        let page_sql = format!(
            "with hits as ({hits}), \
             page as (select case_id, opened_at, role, archived, count(*) over () as total from hits \
                      order by opened_at desc, case_id desc limit ? offset ?) \
             select p.total, p.role, coalesce(i.number, a.number), coalesce(i.service, a.service), \
                    coalesce(i.region, a.region), coalesce(i.status, a.status), \
                    coalesce(i.result, a.result), p.opened_at, \
                    coalesce(i.applicant_name, a.applicant_name), \
                    coalesce(i.applicant_iin, a.applicant_iin), a.closed_at, a.archived_at \
             from page p \
             left join case_index i on p.archived = 0 and i.case_id = p.case_id \
             left join archived_cases a on p.archived = 1 and a.case_id = p.case_id \
             order by p.opened_at desc, p.case_id desc"
        );
        let count_sql = format!("select count(*) from ({hits}) h");
        on!(self.pool, |p| {
            let mut page = sqlx::query(sql_owned(page_sql));
            for value in &binds {
                page = match value {
                    Bound::Text(t) => page.bind(t.as_str()),
                    Bound::Int(n) => page.bind(*n),
                };
            }
            let rows = page
                .bind(i64::from(search.limit))
                .bind(i64::from(search.offset))
                .fetch_all(p)
                .await?;
            let total = match rows.first() {
                Some(r) => r.try_get::<i64, _>(0)? as u64,
                None if search.offset == 0 && search.limit > 0 => 0,
                None => {
                    let mut count = sqlx::query(sql_owned(count_sql));
                    for value in &binds {
                        count = match value {
                            Bound::Text(t) => count.bind(t.as_str()),
                            Bound::Int(n) => count.bind(*n),
                        };
                    }
                    count.fetch_one(p).await?.try_get::<i64, _>(0)? as u64
                }
            };
            let found = rows
                .iter()
                .map(|r| {
                    Ok(Found {
                        matched_as: r
                            .try_get::<Option<&str>, _>(1)?
                            .map(Party::parse)
                            .transpose()?,
                        number: r.try_get(2)?,
                        service: r.try_get(3)?,
                        region: r.try_get(4)?,
                        status: parse_status(r.try_get(5)?)?,
                        result: r.try_get(6)?,
                        opened_at: read_ts(r, 7)?,
                        applicant_name: r.try_get(8)?,
                        applicant_iin: r.try_get(9)?,
                        archived: match (read_ts_opt(r, 10)?, read_ts_opt(r, 11)?) {
                            (Some(closed_at), Some(archived_at)) => Some(InArchive {
                                closed_at,
                                archived_at,
                            }),
                            _ => None,
                        },
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok((found, total))
        })
    }

    /// Derives the index rows the migration or an import left pending (see [`derive_pending`]):
    /// what the engine does at start, before it takes any command. Returns how many.
    pub async fn derive_case_index(&self) -> Result<u64, Error> {
        let mut conn = self.writer().await?;
        let derived = derive_pending(&mut conn).await;
        conn.close().await;
        let derived = derived?;
        if derived > 0 {
            tracing::info!(derived, "cases indexed for search");
        }
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_clerk_types_is_understood() {
        assert_eq!(
            Query::parse(" 520315400126 "),
            Ok(Query::Iin("520315400126".into()))
        );
        assert_eq!(
            Query::parse("520315 400126"),
            Ok(Query::Iin("520315400126".into()))
        );
        assert_eq!(Query::parse("123"), Ok(Query::Serial(123)));
        assert_eq!(Query::parse("000123"), Ok(Query::Serial(123)));
        assert_eq!(
            Query::parse("qz-2026-000123"),
            Ok(Query::Number {
                text: "QZ-2026-000123".into(),
                whole: true
            })
        );
        assert_eq!(
            Query::parse("QZ-2026-0001"),
            Ok(Query::Number {
                text: "QZ-2026-0001".into(),
                whole: false
            })
        );
        assert_eq!(
            Query::parse("АХМЕТОВА"),
            Ok(Query::Surname {
                surname: "ахметова".into(),
                name: None
            })
        );
        assert_eq!(
            Query::parse("Абенова  Айгүл"),
            Ok(Query::Surname {
                surname: "абенова".into(),
                name: Some("абенова айгүл".into())
            })
        );
        assert_eq!(
            Query::parse("Сейітова"),
            Ok(Query::Surname {
                surname: "сейітова".into(),
                name: None
            })
        );
        assert_eq!(Query::parse("   "), Err(Unusable::Empty));
        assert_eq!(Query::parse("А"), Err(Unusable::TooShort));
        assert_eq!(Query::parse(&"я".repeat(101)), Err(Unusable::TooLong));
    }

    #[test]
    fn names_fold_in_every_script_the_cases_use() {
        assert_eq!(fold("ӘБІЛҚАСЫМОВА"), "әбілқасымова");
        assert_eq!(fold("Сейітова"), fold("СЕЙІТОВА"));
        assert_eq!(fold("Семёнов"), "семенов");
        assert_eq!(fold("  Абенова   Айгүл "), "абенова айгүл");
    }

    #[test]
    fn a_prefix_range_holds_every_text_that_begins_with_it() {
        let end = after_prefix("ах");
        for name in ["ах", "ахметова", "ахүлы", "ахһ"] {
            assert!(name >= "ах" && name < end.as_str(), "{name}");
        }
        for name in ["аж", "ай", "б"] {
            assert!(!(name >= "ах" && name < end.as_str()), "{name}");
        }
    }
}
