//! The hash chain: each record's hash covers its content and the hash of the record before.
//!
//! `hash = SHA-256(canonical)`, in lowercase hex, where `canonical` is the compact JSON array
//!
//! ```text
//! ["qyzmet-audit/1", seq, at, actor, source, action, object, details, prev_hash]
//! ```
//!
//! with `at` as the journal stores it (`2026-04-13T09:00:00.000000Z`), `source` and `object`
//! `null` when absent, `details` as its canonical JSON text (object keys sorted, no spaces)
//! and `prev_hash` the previous record's hash, or [`GENESIS`] for the first. JSON string
//! escaping makes the encoding unambiguous — no field can end early or run into the next —
//! and the tag names the layout, so a later one can be told apart. Anyone can re-compute a
//! hash with a JSON library and `sha256sum`.
//!
//! The hash covers the meaning of `details`, not its spelling: a database that reorders the
//! keys of a JSON value (PostgreSQL's `jsonb`) keeps the chain valid.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Entry, Record, Unreadable};
use crate::store::{parse_ts, ts};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The layout tag hashed in front of every record.
const LAYOUT: &str = "qyzmet-audit/1";

/// The record that follows `prev` (`None` for the first), for `entry` at `now`: the
/// sequence number, the time to the journal's precision (microseconds) and both hashes.
pub fn seal(prev: Option<(i64, &str)>, entry: &Entry, now: DateTime<Utc>) -> Record {
    let (seq, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash.to_string()),
        None => (1, GENESIS.to_string()),
    };
    let at = parse_ts(&ts(now)).expect("the journal reads its own timestamps");
    let mut record = Record {
        seq,
        at,
        actor: entry.actor.clone(),
        source: entry.source.clone(),
        action: entry.action,
        object: entry.object.clone(),
        details: entry.details.clone(),
        prev_hash,
        hash: String::new(),
    };
    record.hash = content_hash(&record);
    record
}

/// The hash `record` should carry, from its content and `prev_hash` (its own `hash` is not
/// read).
pub fn content_hash(record: &Record) -> String {
    let canonical = serde_json::to_string(&serde_json::json!([
        LAYOUT,
        record.seq,
        ts(record.at),
        record.actor,
        record.source,
        record.action.as_str(),
        record.object,
        canonical_json(&record.details),
        record.prev_hash,
    ]))
    .expect("JSON values serialise");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// `value` as canonical JSON: object keys in byte order at every depth, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("strings serialise"));
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).expect("scalars serialise")),
    }
}

/// The journal checked from its first record to its last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// How many records.
    pub count: u64,
    /// The last record's hash ([`GENESIS`] for an empty journal): written down elsewhere, it
    /// lets a later check see that the journal was not rewritten up to here.
    pub last_hash: String,
}

/// Where the journal is broken: the first record that does not follow from the ones before.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit journal broken at record {seq} ({at}, {action}): {reason}")]
pub struct Broken {
    /// The record's number.
    pub seq: i64,
    /// Its time, as stored.
    pub at: String,
    /// Its action, as stored.
    pub action: String,
    /// What is wrong with it.
    pub reason: Reason,
}

/// What is wrong with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its stored hash is not the hash of its content: the record was edited.
    HashMismatch,
    /// Its `prev_hash` is not the hash of the record before: that record was edited and its
    /// hash recomputed, or records were put in between.
    PrevHashMismatch {
        /// The record before.
        previous: i64,
    },
    /// Its number does not follow the one before (`after` is 0 when the journal does not
    /// start at 1): records were deleted.
    SequenceGap {
        /// The last record before the gap.
        after: i64,
    },
    /// A field does not parse.
    Unreadable(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::HashMismatch => f.write_str("hash does not match its content"),
            Reason::PrevHashMismatch { previous } => {
                write!(f, "prev_hash does not match record {previous}")
            }
            Reason::SequenceGap { after } => write!(f, "sequence gap after {after}"),
            Reason::Unreadable(message) => write!(f, "unreadable: {message}"),
        }
    }
}

/// Checks records one at a time, in order, so a journal of any length is checked in
/// constant memory as it is read.
#[derive(Debug, Clone)]
pub struct Verifier {
    count: u64,
    last_seq: i64,
    last_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            count: 0,
            last_seq: 0,
            last_hash: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    /// A verifier at the start of the journal.
    pub fn new() -> Verifier {
        Verifier::default()
    }

    /// Checks the next record: its number follows, its `prev_hash` is the hash of the one
    /// before, its hash is its content's. The first problem found is the answer.
    pub fn push(&mut self, record: &Record) -> Result<(), Broken> {
        let broken = |reason| Broken {
            seq: record.seq,
            at: ts(record.at),
            action: record.action.as_str().to_string(),
            reason,
        };
        if record.seq != self.last_seq + 1 {
            return Err(broken(Reason::SequenceGap {
                after: self.last_seq,
            }));
        }
        if record.prev_hash != self.last_hash {
            return Err(broken(Reason::PrevHashMismatch {
                previous: self.last_seq,
            }));
        }
        if content_hash(record) != record.hash {
            return Err(broken(Reason::HashMismatch));
        }
        self.count += 1;
        self.last_seq = record.seq;
        self.last_hash.clone_from(&record.hash);
        Ok(())
    }

    /// A row that does not parse: the journal is broken there (or at the gap before it).
    pub fn unreadable(&self, row: &Unreadable) -> Broken {
        let reason = if row.seq != self.last_seq + 1 {
            Reason::SequenceGap {
                after: self.last_seq,
            }
        } else {
            Reason::Unreadable(row.message.clone())
        };
        Broken {
            seq: row.seq,
            at: row.at.clone(),
            action: row.action.clone(),
            reason,
        }
    }

    /// The result so far.
    pub fn finish(&self) -> Verified {
        Verified {
            count: self.count,
            last_hash: self.last_hash.clone(),
        }
    }
}

/// Checks a whole journal, first record first.
pub fn verify(records: impl IntoIterator<Item = Record>) -> Result<Verified, Broken> {
    let mut verifier = Verifier::new();
    for record in records {
        verifier.push(&record)?;
    }
    Ok(verifier.finish())
}
