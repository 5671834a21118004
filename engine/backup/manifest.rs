//! `manifest.json`, the last entry of a backup: what the archive holds and what the
//! database held when it was taken, so a restore can check both before and after it writes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The format this engine writes; a restore refuses a newer one it cannot know.
pub const FORMAT: u32 = 1;

/// The archive's own description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The archive's format ([`FORMAT`]).
    pub format: u32,
    /// The backend the database was taken from (`sqlite`, `postgres`): a backup restores to
    /// the same backend only (`qyzmet migrate` copies between them).
    pub backend: String,
    /// When the database snapshot was taken.
    pub taken_at: DateTime<Utc>,
    /// The version of the engine that took it.
    pub engine_version: String,
    /// Every table of the snapshot and its number of rows.
    pub tables: BTreeMap<String, u64>,
    /// The audit journal in the snapshot.
    pub audit: Audit,
    /// Every other entry of the archive, in the order written: the database first.
    pub files: Vec<File>,
}

/// The audit journal's head in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// How many records verified.
    pub records: u64,
    /// The last verified record's hash (the chain's genesis for an empty journal).
    pub last_hash: String,
    /// Where the chain was already broken when the backup was taken: the backup is taken
    /// all the same (it is evidence), and a restore expects the same break.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken: Option<String>,
}

/// One entry of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// Its path in the archive (`database/…`, `files/<path under the data directory>`).
    pub path: String,
    /// The SHA-256 of its content, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}
