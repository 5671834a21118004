//! The embedded default's performers: a file outbox a person can read, and a stub gateway.
//!
//! Without a mail server or an SMS aggregator, every notification, document and stage
//! report is written as one JSON file named by its idempotency key under the data
//! directory's `outbox/`. A file that already exists is the same job performed before a
//! crash: it is left as it is and counted, never written twice.
//!
//! The files are written one at a time, off the async workers: a folder takes one new name
//! at a time anyway, and a batch of jobs racing for its lock spins in the kernel, which cost
//! more CPU than the writes themselves and took it from the transitions.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::jobs::{BoxFuture, JobError, Performer};
use crate::runtime::Work;

/// Writes notifications, documents and stage reports as files; answers data requests from
/// a stub (until the gateway connectors are configured).
pub struct FileOutbox {
    /// The folder.
    pub dir: PathBuf,
    /// Repeats dropped because the file existed: work performed again after a crash.
    pub repeats: AtomicU64,
    /// Held while a file is placed: one at a time.
    placing: Arc<Mutex<()>>,
}

impl FileOutbox {
    /// An outbox in `dir`.
    pub fn new(dir: PathBuf) -> Self {
        FileOutbox {
            dir,
            repeats: AtomicU64::new(0),
            placing: Arc::new(Mutex::new(())),
        }
    }

    async fn write(&self, kind: &str, key: &str, body: &Value) -> Result<Value, JobError> {
        let dir = self.dir.join(kind);
        let name = file_stem(key);
        let text = serde_json::to_string_pretty(body).expect("JSON serialises");
        let placing = self.placing.clone();
        let placed = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = placing.lock().unwrap_or_else(|e| e.into_inner());
            place(&dir, &name, &text)
        })
        .await
        .map_err(|e| JobError::Retryable(format!("writing the file failed: {e}")))?;
        match placed {
            Placed::New(path) => Ok(json!({ "file": path })),
            Placed::Repeat(path) => {
                self.repeats.fetch_add(1, Ordering::Relaxed);
                Ok(json!({ "file": path, "repeat": true }))
            }
            Placed::Failed(error) => Err(JobError::Retryable(error)),
        }
    }
}

/// What became of a file.
enum Placed {
    /// Written.
    New(PathBuf),
    /// It was there already: the same job, performed before a crash.
    Repeat(PathBuf),
    /// The file system said no.
    Failed(String),
}

/// Writes `<dir>/<name>.json` whole or not at all, unless it exists.
fn place(dir: &Path, name: &str, text: &str) -> Placed {
    let path = dir.join(format!("{name}.json"));
    let tmp = dir.join(format!(".{name}.tmp"));
    // Write aside, then link into place: the file appears whole or not at all, and
    // `hard_link` fails if it already exists, which is how a repeat is recognised.
    let mut written = std::fs::write(&tmp, text);
    if matches!(&written, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Placed::Failed(format!("{}: {e}", dir.display()));
        }
        written = std::fs::write(&tmp, text);
    }
    if let Err(e) = written {
        return Placed::Failed(format!("{}: {e}", tmp.display()));
    }
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Placed::New(path),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Placed::Repeat(path),
        Err(e) => Placed::Failed(format!("{}: {e}", path.display())),
    }
}

impl Performer for FileOutbox {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Request {
                    connector, input, ..
                } => Ok(stub_answer(connector, input)),
                Work::Notify { .. } => {
                    self.write("notify", key, &json!({ "key": key, "work": work }))
                        .await
                }
                Work::Document { .. } => {
                    self.write("document", key, &json!({ "key": key, "work": work }))
                        .await
                }
                Work::Stage { .. } => {
                    self.write("stage", key, &json!({ "key": key, "work": work }))
                        .await
                }
            }
        })
    }
}

/// A fictional answer for each connector of the catalog, so the embedded default runs a
/// case end to end before the gateway is configured: a person with an identity card, an
/// open account, no disability, no earlier assignment, payment or refusal.
pub fn stub_answer(connector: &str, input: &Value) -> Value {
    match connector {
        "gbd_fl.person" => json!({
            "iin": input.get("iin").cloned().unwrap_or(Value::Null),
            "last_name": "Сейітова",
            "first_name": "Әйгерім",
            "middle_name": "Бақытқызы",
            "birth_date": "1958-04-12",
            "address": "Алматы қ., Абай даңғылы, 10",
            "document_type": "identity_card",
            "document_number": "045812377",
            "document_issued_by": "ІІМ",
            "document_issued_on": "2019-06-03",
            "document_valid_until": "2029-06-02",
        }),
        "bank.account" => {
            json!({ "account_exists": true, "bank_name": "Halyk Bank", "account_type": "current", "open": true })
        }
        "tsbdi.disability" => json!({ "has_disability": false, "indefinite": false }),
        "enpf.account" => json!({
            "has_account": true,
            "has_right_to_payments": true,
            "pension_accruals": 1250000.0,
            "payments_established": false,
            "pending_application": false,
        }),
        // An empty list: nobody unclaimed, but the document every answer carries.
        "enpf.unclaimed_accruals" => json!({ "list": [], "count": 0, "as_of": "2027-01-31" }),
        // The engine's own accounts are `service.rs`'s to answer; without it, nothing blocked.
        "qyzmet.unused_accounts" => json!({ "count": 0, "accounts": "" }),
        // The cases a report counts are `service.rs`'s to answer; without it, none.
        "qyzmet.service_cases" => json!({ "count": 0, "amount": "0.00" }),
        "provider.register" => {
            json!({ "has_assignment": false, "has_payment": false, "has_refusal": false })
        }
        // Received, on no particular day: the stub has no clock.
        "state_corporation.result" => json!({ "received": true }),
        // Registered in ITsS TsON, on no particular day: the stub has no clock.
        // Taken by the portal, on no particular day: the stub has no clock.
        "egov_portal.result" => json!({ "delivered": true }),
        "service_centre.register" => {
            json!({ "registered": true, "registration_number": "TSON-STUB-000001" })
        }
        _ => json!({}),
    }
}

/// The name (without `.json`) a job's file has under its kind's folder: the key with every
/// character but ASCII letters, digits and `-` turned into `-`.
pub fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
