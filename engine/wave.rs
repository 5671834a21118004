//! Waves of proactive cases (issue #17; seeds/001, ENPF rules items 4, 15, 16): after the
//! yearly reconciliation the State Corporation forms the list of pension recipients with a
//! phone registered on the portal, and each person on it gets the proactive service without
//! an application — one case each, channel `proactive`, SMS consent given (item 15 part 3:
//! the consent given to the State Corporation).
//!
//! A wave is recorded by a case's `wave` step, in the transaction of the transition that
//! reaches it (`Effect::StartWave`, `store::waves::write_effects`), or by an administrator or
//! a State Corporation specialist through `POST /services/{service}/waves` with the list in
//! the body. The runner here opens the cases.
//!
//! **The list.** A CSV in UTF-8 (with or without a byte-order mark), header `iin;phone` and
//! optionally `language` (`kk` or `ru`; `kk` otherwise), `;` or `,` between the columns (the
//! header says which). A row with an IIN that is not one (12 digits with the control digit)
//! or a phone that is not a Kazakh mobile number is refused — counted, and kept with its line
//! and reason — and opens nothing.
//!
//! **How nothing is opened twice.** The run walks the list's rows in order, a batch at a time
//! ([`BATCH`]); after each batch the wave's cursor (rows done) and counts move in one
//! statement, under its lease, as a mass event's do (`crate::mass_event`). Each case is opened
//! through [`Engine::submit_once`], the path of `POST /cases`, with the idempotency key
//! `(wave, IIN)`: a batch done again after a crash finds the case it opened and opens none.
//! A person with an open case of the service already (opened by another wave, or applied for)
//! is skipped and counted, and so is a second row of one IIN in the list.
//!
//! **Architecture Invariant:** a wave never opens two cases for one person.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::Duration;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::definition::model::Channel;
use crate::domain::Iin;
use crate::runtime::{Language, Submission};
use crate::store::{
    self,
    waves::{self, Batch, Counts, New, Refusal, Wave},
};
use crate::uploads::Uploads;
use crate::worker::{self, Engine, idempotency::IdempotencyKey};

/// Rows done at a time: one writer batch of submissions.
pub const BATCH: usize = 200;

/// How long a run holds a wave without a batch recorded before another process may take it.
pub const LEASE_SECONDS: i64 = 300;

/// How often the serve loop looks for a wave to run, besides being woken by one started in
/// this process through the API. A wave a case's step starts is found at the next look.
pub const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// The largest list taken: 100,000 people are some 3 MB.
pub const MAX_LIST_BYTES: usize = 32 * 1024 * 1024;

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Why a wave could not be started or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No version of the service is in force today.
    #[error("no version of service `{0}` is in force")]
    NoService(String),
    /// The service is not one a case is opened for without an application.
    #[error("the service `{0}` does not list `proactive` in its channels")]
    NotProactive(String),
    /// The list has no header with `iin` and `phone`, or is not text.
    #[error("{0}")]
    BadList(String),
    /// No such wave.
    #[error("no wave {0}")]
    NotFound(i64),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] worker::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A person to open a case for.
    Person {
        /// Its line in the file (the header is line 1).
        line: u64,
        /// The IIN, checked.
        iin: String,
        /// The phone, as `+7XXXXXXXXXX`.
        phone: String,
        /// The language of the case.
        language: Language,
    },
    /// A row that opens nothing.
    Bad(Refusal),
}

/// Reads a list: its rows, each a person or a refusal with its line and reason; `Err` when
/// the file is not a list at all (no header with `iin` and `phone`).
pub fn parse_list(text: &str) -> Result<Vec<Row>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l,
            None => {
                return Err(Error::BadList(
                    "the list is empty: it needs a header `iin;phone`".into(),
                ));
            }
        }
    };
    let sep = if header.contains(';') { ';' } else { ',' };
    let columns: Vec<String> = header
        .split(sep)
        .map(|c| c.trim().trim_matches('"').to_lowercase())
        .collect();
    let at = |name: &str| columns.iter().position(|c| c == name);
    let (Some(iin_at), Some(phone_at)) = (at("iin"), at("phone")) else {
        return Err(Error::BadList(format!(
            "the list's header is `{}`: it needs the columns `iin` and `phone` (and may have `language`), separated by `;` or `,`",
            header.trim()
        )));
    };
    let language_at = at("language");
    let mut rows = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let line = i as u64 + 1;
        let cells: Vec<&str> = l
            .split(sep)
            .map(|c| c.trim().trim_matches('"').trim())
            .collect();
        let cell = |n: usize| cells.get(n).copied().unwrap_or("");
        let bad = |reason: String| Row::Bad(Refusal { line, reason });
        let iin = cell(iin_at);
        if let Err(e) = Iin::parse(iin) {
            rows.push(bad(format!("the IIN is not valid: {e}")));
            continue;
        }
        let Some(phone) = mobile(cell(phone_at)) else {
            rows.push(bad(
                "the phone is not a Kazakh mobile number of 11 digits (+7 7XX XXX XX XX)".into(),
            ));
            continue;
        };
        let language = match language_at.map(cell).map(str::to_lowercase).as_deref() {
            None | Some("") | Some("kk") => Language::Kk,
            Some("ru") => Language::Ru,
            Some(other) => {
                rows.push(bad(format!(
                    "the language `{other}` is neither `kk` nor `ru`"
                )));
                continue;
            }
        };
        rows.push(Row::Person {
            line,
            iin: iin.to_string(),
            phone,
            language,
        });
    }
    Ok(rows)
}

/// A Kazakh mobile number as `+77XXXXXXXXX`, from `+7 7XX…`, `8 7XX…` or `7XX…` (10 digits).
fn mobile(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        11 if digits.starts_with('7') || digits.starts_with('8') => &digits[1..],
        10 => &digits[..],
        _ => return None,
    };
    national.starts_with('7').then(|| format!("+7{national}"))
}

/// Checks that `service` in force today is a proactive one.
pub fn check_service(engine: &Engine, service: &str) -> Result<(), Error> {
    let shared = engine.shared();
    let (def, _) = shared
        .in_force(service, shared.clock.now())
        .map_err(|_| Error::NoService(service.to_string()))?;
    if !def.channels.contains(&Channel::Proactive) {
        return Err(Error::NotProactive(service.to_string()));
    }
    Ok(())
}

/// Starts a wave of `service` from a list given as text (`POST /services/{service}/waves`):
/// checks the service and that the list has its header, records the wave with the list, and
/// wakes this process's runner.
pub async fn create(
    engine: &Engine,
    service: &str,
    csv: String,
    region: &str,
    by: &str,
) -> Result<Wave, Error> {
    check_service(engine, service)?;
    parse_list(&csv)?;
    let new = New {
        key: format!("api:{:032x}", rand::random::<u128>()),
        service: service.to_string(),
        parent_case: None,
        region: region.to_string(),
        list: Value::Null,
        csv: Some(csv),
        created_by: by.to_string(),
    };
    let created = engine
        .transact(move |conn, now| {
            let new = new.clone();
            Box::pin(async move { waves::create(conn, &new, now).await })
        })
        .await??
        .ok_or_else(|| Error::BadList("the wave was recorded already".into()))?;
    WAKE.notify_one();
    Ok(created)
}

/// One wave, as it stands.
pub async fn get(engine: &Engine, id: i64) -> Result<Wave, Error> {
    let mut conn = engine.store().read().await?;
    waves::get(&mut conn, id).await?.ok_or(Error::NotFound(id))
}

/// The waves a case started.
pub async fn of_case(engine: &Engine, number: &str) -> Result<Vec<Wave>, Error> {
    let mut conn = engine.store().read().await?;
    Ok(waves::of_case(&mut conn, number).await?)
}

/// What one [`step`] did.
#[derive(Debug, Clone)]
pub enum Step {
    /// A batch was done and recorded; more rows may follow.
    Batch(Wave),
    /// The run is over.
    Finished(Wave),
    /// Another process holds the wave.
    Busy,
}

/// The list of wave `w`: the text it came with, or its document's file.
async fn list_text(engine: &Engine, uploads: Option<&Uploads>, w: &Wave) -> Result<String, String> {
    let posted = {
        let mut conn = engine.store().read().await.map_err(|e| e.to_string())?;
        waves::csv(&mut conn, w.id)
            .await
            .map_err(|e| e.to_string())?
    };
    if let Some(text) = posted {
        return Ok(text);
    }
    let Some(sha) = w.list.get("sha256").and_then(Value::as_str) else {
        return Err(
            "the list document was not given (the case has no file in the list's field)".into(),
        );
    };
    let Some(uploads) = uploads else {
        return Err("the list document's file cannot be read by this process".into());
    };
    match uploads.read(sha).await {
        Ok(Some(bytes)) if bytes.len() <= MAX_LIST_BYTES => {
            String::from_utf8(bytes).map_err(|_| "the list is not UTF-8 text".to_string())
        }
        Ok(Some(_)) => Err(format!("the list is larger than {MAX_LIST_BYTES} bytes")),
        Ok(None) => Err("the list document's file is missing".into()),
        Err(e) => Err(format!("the list document's file cannot be read: {e}")),
    }
}

/// One batch of wave `id`: leases it, reads its list, opens the cases of the next [`BATCH`]
/// rows after the cursor, and records the cursor and the counts — finished at the list's end.
pub async fn step(
    engine: &Engine,
    uploads: Option<&Uploads>,
    id: i64,
    batch: usize,
) -> Result<Step, Error> {
    let Some(w) = lease(engine, id).await? else {
        let w = get(engine, id).await?;
        return Ok(if w.finished_at.is_some() {
            Step::Finished(w)
        } else {
            Step::Busy
        });
    };
    let rows = match list_text(engine, uploads, &w).await {
        Ok(text) => parse_list(&text).map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    let recorded = match rows {
        Err(error) => {
            tracing::warn!(wave = w.id, %error, "a wave's list cannot be read; nothing is opened");
            Batch {
                cursor: w.cursor,
                total: w.total,
                error: Some(error),
                last: true,
                ..Batch::default()
            }
        }
        Ok(rows) => {
            let from = (w.cursor as usize).min(rows.len());
            let to = (from + batch).min(rows.len());
            let (counts, refusals) = open(engine, &w, &rows, from..to).await?;
            Batch {
                cursor: to as u64,
                total: rows.len() as u64,
                counts,
                refusals,
                error: None,
                last: to >= rows.len(),
            }
        }
    };
    Ok(match advance(engine, id, recorded).await? {
        Some(w) if w.finished_at.is_some() => Step::Finished(w),
        Some(w) => Step::Batch(w),
        None => Step::Busy,
    })
}

/// Opens the cases of `rows[range]` of wave `w`, all at once (the writer takes them in one
/// transaction), and counts what became of each row; records nothing on the wave, which is
/// [`step`]'s, after (a test calls it alone to stand for a run that died before recording).
pub async fn open(
    engine: &Engine,
    w: &Wave,
    rows: &[Row],
    range: std::ops::Range<usize>,
) -> Result<(Counts, Vec<Refusal>), Error> {
    // The first line of each IIN in the whole list: a later row of the same person is skipped.
    let mut first: HashMap<&str, u64> = HashMap::new();
    for row in rows {
        if let Row::Person { line, iin, .. } = row {
            first.entry(iin.as_str()).or_insert(*line);
        }
    }
    let owner = format!("wave:{}", w.id);
    let mut counts = Counts::default();
    let mut refusals = Vec::new();
    let mut to_open = Vec::new();
    {
        let mut conn = engine.store().read().await?;
        for row in &rows[range] {
            match row {
                Row::Bad(r) => {
                    counts.refused += 1;
                    refusals.push(r.clone());
                }
                Row::Person { line, iin, .. } if first.get(iin.as_str()) != Some(line) => {
                    counts.skipped += 1
                }
                Row::Person { iin, .. } => {
                    if store::idempotency::find(&mut conn, &owner, iin)
                        .await?
                        .is_some()
                    {
                        // Opened by this wave in a batch a crash kept from being recorded.
                        counts.opened += 1;
                    } else if waves::open_case_of(&mut conn, &w.service, iin)
                        .await?
                        .is_some()
                    {
                        counts.skipped += 1;
                    } else {
                        to_open.push(row);
                    }
                }
            }
        }
    }
    let sends = to_open.iter().filter_map(|row| {
        let Row::Person {
            iin,
            phone,
            language,
            ..
        } = row
        else {
            return None;
        };
        let submission = Submission {
            data: json!({ "applicant.iin": iin, "applicant.phone": phone }),
            channel: Channel::Proactive.as_str().to_string(),
            language: *language,
            sms_consent: true,
            region: w.region.clone(),
        };
        let key = IdempotencyKey::new(&owner, iin, &w.service, &submission).ok()?;
        Some(engine.submit_once(&w.service, submission, Some(key)))
    });
    let opened = futures_util::future::join_all(sends).await;
    for (row, outcome) in to_open.iter().zip(opened) {
        match outcome {
            Ok(_) => counts.opened += 1,
            Err(e @ worker::Error::Unavailable(_)) => return Err(e.into()),
            Err(e) => {
                let line = match row {
                    Row::Person { line, .. } => *line,
                    Row::Bad(r) => r.line,
                };
                counts.refused += 1;
                refusals.push(Refusal {
                    line,
                    reason: format!("the case was not opened: {e}"),
                });
            }
        }
    }
    Ok((counts, refusals))
}

/// Runs wave `id` to its end, telling `progress` after each batch; `None` when another
/// process holds it or `stop` is cancelled (the lease is then handed back).
pub async fn run(
    engine: &Engine,
    uploads: Option<&Uploads>,
    id: i64,
    stop: &CancellationToken,
    mut progress: impl FnMut(&Wave),
) -> Result<Option<Wave>, Error> {
    loop {
        if stop.is_cancelled() {
            release(engine, id).await?;
            return Ok(None);
        }
        match step(engine, uploads, id, BATCH).await? {
            Step::Batch(w) => progress(&w),
            Step::Finished(w) => {
                progress(&w);
                return Ok(Some(w));
            }
            Step::Busy => return Ok(None),
        }
    }
}

/// Runs every unfinished wave nobody else holds, oldest first, each to its end (or until
/// `stop`); returns how many were finished.
pub async fn run_pending(
    engine: &Engine,
    uploads: Option<&Uploads>,
    stop: &CancellationToken,
) -> Result<usize, Error> {
    let ids = {
        let store = engine.store();
        let mut conn = store.read().await?;
        waves::runnable(
            &mut conn,
            store.process(),
            store.owns_database(),
            engine.shared().clock.now(),
        )
        .await?
    };
    let mut finished = 0;
    for id in ids {
        let done = run(engine, uploads, id, stop, |w| {
            tracing::info!(
                wave = w.id,
                done = w.cursor,
                total = w.total,
                opened = w.counts.opened,
                skipped = w.counts.skipped,
                refused = w.counts.refused,
                "wave progress"
            )
        })
        .await?;
        if done.is_some() {
            finished += 1;
        }
        if stop.is_cancelled() {
            break;
        }
    }
    Ok(finished)
}

/// The serve process's loop: runs the waves there are, then waits for one started in this
/// process, or [`POLL`], until `shutdown`.
pub async fn run_loop(engine: Engine, uploads: Uploads, shutdown: CancellationToken) {
    loop {
        match run_pending(&engine, Some(&uploads), &shutdown).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(finished = n, "waves finished"),
            Err(e) => tracing::warn!(error = %e, "a wave run stopped; it goes on later"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = WAKE.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn lease(engine: &Engine, id: i64) -> Result<Option<Wave>, Error> {
    let by = engine.store().process().to_string();
    let owner = engine.store().owns_database();
    Ok(engine
        .transact(move |conn, now| {
            let by = by.clone();
            Box::pin(async move {
                waves::lease(
                    conn,
                    id,
                    &by,
                    owner,
                    now,
                    now + Duration::seconds(LEASE_SECONDS),
                )
                .await
            })
        })
        .await??)
}

async fn advance(engine: &Engine, id: i64, batch: Batch) -> Result<Option<Wave>, Error> {
    let by = engine.store().process().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let (by, batch) = (by.clone(), batch.clone());
            Box::pin(async move {
                waves::advance(
                    conn,
                    id,
                    &by,
                    &batch,
                    now,
                    now + Duration::seconds(LEASE_SECONDS),
                )
                .await
            })
        })
        .await??)
}

async fn release(engine: &Engine, id: i64) -> Result<(), Error> {
    let by = engine.store().process().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let by = by.clone();
            Box::pin(async move { waves::release(conn, id, &by, now).await })
        })
        .await??)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_with_a_bom_and_commas_reads_and_bad_rows_keep_their_line() {
        let text = "\u{feff}IIN,Phone,Language\n850315300128,+7 701 123 45 67,ru\n\n123,87011234567\n850315300128,+7 999\n";
        let rows = parse_list(text).unwrap();
        assert_eq!(
            rows[0],
            Row::Person {
                line: 2,
                iin: "850315300128".into(),
                phone: "+77011234567".into(),
                language: Language::Ru
            }
        );
        assert!(matches!(&rows[1], Row::Bad(r) if r.line == 4 && r.reason.contains("IIN")));
        assert!(matches!(&rows[2], Row::Bad(r) if r.line == 5 && r.reason.contains("phone")));
    }

    #[test]
    fn a_list_without_its_columns_is_refused() {
        assert!(matches!(parse_list("name;tel\n"), Err(Error::BadList(_))));
        assert!(matches!(parse_list(""), Err(Error::BadList(_))));
    }
}
