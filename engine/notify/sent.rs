//! The sent-record: one small file per (idempotency key, channel) that was performed.
//!
//! A job runs at least once: a crash after the SMTP server or the SMS aggregator accepted a
//! message but before the job was recorded runs it again. Before sending on a channel the
//! performer looks for the record; after the provider accepted, it writes it. What remains is
//! the window between the provider's answer and the record's write — milliseconds — and for
//! that window the message carries an id derived from the key (the e-mail's `Message-ID`,
//! the SMS's client id), so a repeat is recognisable downstream.
//!
//! **Where it is kept.** Once the engine runs, in the database (`notification_sent`, read
//! and written through the store, each in its own short statement, never across a network
//! call): several engine processes sharing one PostgreSQL share it, so a job another
//! process takes over after its lease expired finds what was sent. Before the store is
//! handed over ([`SentRecord::use_store`]) — a notifier used on its own, as in its tests —
//! the record is one small file per (key, channel) under the data directory, written whole
//! or not at all (write aside, then hard-link into place, which fails if the name exists).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::worker::jobs::JobError;

/// What was sent: in the database once the store is handed over, else under one folder.
pub struct SentRecord {
    dir: PathBuf,
    store: std::sync::OnceLock<crate::store::Store>,
}

impl SentRecord {
    /// A record in `dir` (created on first use) until a store is handed over.
    pub fn new(dir: PathBuf) -> Self {
        SentRecord {
            dir,
            store: std::sync::OnceLock::new(),
        }
    }

    /// Keeps the record in the database from now on (once; later calls are ignored).
    pub fn use_store(&self, store: crate::store::Store) {
        let _ = self.store.set(store);
    }

    /// The folder of the files, before a store is handed over.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was recorded for (key, channel), if it was performed. A record that cannot be
    /// read is an error to retry on: sending without knowing could send twice.
    pub async fn get(&self, key: &str, channel: &str) -> Result<Option<Value>, JobError> {
        if let Some(store) = self.store.get() {
            return store
                .sent(key, channel)
                .await
                .map_err(|e| JobError::Retryable(format!("reading the sent-record: {e}")));
        }
        let Ok(text) = std::fs::read_to_string(self.path(key, channel)) else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&text).ok())
    }

    /// Records that (key, channel) was performed, with its outcome. A record that exists
    /// already is left as it was.
    pub async fn put(&self, key: &str, channel: &str, outcome: &Value) -> Result<(), JobError> {
        if let Some(store) = self.store.get() {
            return store
                .record_sent(key, channel, outcome, chrono::Utc::now())
                .await
                .map_err(|e| JobError::Retryable(format!("writing the sent-record: {e}")));
        }
        let name = file_key(key, channel);
        place(
            &self.dir,
            &name,
            &serde_json::to_string_pretty(outcome).expect("JSON"),
        )
        .map(|_| ())
        .map_err(JobError::Retryable)
    }

    fn path(&self, key: &str, channel: &str) -> PathBuf {
        self.dir.join(format!("{}.json", file_key(key, channel)))
    }
}

/// A file name for (key, channel) that no other pair shares (channels hold no dot): letters,
/// digits, `-` and `.` kept, every other character written `_` and its code in hex. It is
/// also a valid left part of a `Message-ID`.
pub fn file_key(key: &str, channel: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_alphanumeric()
            || c == '-'
            || (c == '.' && !out.is_empty() && !out.ends_with('.'))
        {
            out.push(c);
        } else {
            out.push_str(&format!("_{:x}_", c as u32));
        }
    }
    if !channel.is_empty() {
        out.push('.');
        out.push_str(channel);
    }
    out
}

/// Writes `<dir>/<name>.json` whole or not at all; `Ok(false)` when it existed already.
pub(crate) fn place(dir: &Path, name: &str, text: &str) -> Result<bool, String> {
    place_file(dir, &format!("{name}.json"), text).map(|(_, new)| new)
}

/// Writes `<dir>/<file>` whole or not at all, unless it exists; the path and whether it is new.
pub(crate) fn place_file(dir: &Path, file: &str, text: &str) -> Result<(PathBuf, bool), String> {
    let path = dir.join(file);
    let tmp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    let mut written = std::fs::write(&tmp, text);
    if matches!(&written, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        written = std::fs::write(&tmp, text);
    }
    written.map_err(|e| format!("{}: {e}", tmp.display()))?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok((path, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((path, false)),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
