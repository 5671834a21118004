//! Outbox jobs: who performs them, and what becomes of each attempt.
//!
//! A job is leased (so two workers never run it at once), performed after the commit that
//! created it, and recorded: done; retried later with exponential backoff and jitter; or,
//! when its budget is spent, a data request goes to the step's failure path and any other
//! job becomes an incident an administrator can retry. A job is never deleted because its
//! effect failed.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::writer::{CaseRef, Command, Note};
use crate::runtime::{Event, Work};
use crate::store::JobRow;

/// How long a lease holds: a job not recorded by then is run again.
pub const LEASE: Duration = Duration::seconds(60);

/// Attempts for notifications, documents and stage reports (requests bring their own).
pub const ATTEMPTS: u32 = 8;

/// The first pause between attempts of a notification, a document or a stage report.
pub const FIRST_DELAY_SECONDS: u32 = 30;

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another try: a timeout, a 5xx, a refused connection.
    #[error("{0}")]
    Retryable(String),
    /// Another try will not help: the address does not exist, the request is malformed.
    #[error("{0}")]
    Fatal(String),
    /// Not yet: the work may not happen before `at` (an SMS in quiet hours). Waiting is not
    /// a failure, so it spends no attempt and the job comes back at `at`, not at a backoff.
    #[error("{reason}")]
    NotBefore {
        /// The earliest moment the work may happen.
        at: DateTime<Utc>,
        /// Why, for the job's record.
        reason: String,
        /// What was done already (a channel sent while another waits), for the history.
        partial: Value,
    },
}

/// A boxed future, so performers can be chosen at run time.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Performs outbox work: the gateway for requests, the notifiers, the document renderer,
/// the monitoring feed. `key` is the idempotency key: the receiving side uses it to drop a
/// repeat (a Message-ID, a request id, a file name).
pub trait Performer: Send + Sync {
    /// Performs one attempt.
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>>;
}

/// The command that records an attempt's outcome.
pub fn record(job: &JobRow, outcome: Result<Value, JobError>, now: DateTime<Utc>) -> Command {
    let (budget, first, exponential) = match &job.work {
        Work::Request {
            attempts,
            first_delay_seconds,
            exponential,
            ..
        } => (*attempts, *first_delay_seconds, *exponential),
        _ => (ATTEMPTS, FIRST_DELAY_SECONDS, true),
    };
    // A request's answer, and the sending of a notice the case waits for, go back to the
    // case as events; other jobs are only recorded.
    let is_request = matches!(
        job.work,
        Work::Request { .. } | Work::Notify { awaited: true, .. }
    );
    match outcome {
        Ok(output) if is_request => Command::Event {
            case: CaseRef::Job(job.key.clone()),
            event: Event::JobSucceeded {
                job: job.key.clone(),
                output,
            },
        },
        Ok(output) => Command::JobDone {
            key: job.key.clone(),
            note: delivery(job, "notification_sent", &output),
            output,
        },
        Err(JobError::NotBefore {
            at,
            reason,
            partial,
        }) => Command::JobDefer {
            key: job.key.clone(),
            at,
            note: delivery(
                job,
                "notification_deferred",
                &serde_json::json!({ "not_before": at, "reason": reason, "channels": partial }),
            ),
            reason,
        },
        Err(JobError::Retryable(error)) if job.attempts < budget => Command::JobRetry {
            key: job.key.clone(),
            next_at: now + super::backoff(job.attempts, first, exponential),
            error,
        },
        Err(e) if is_request => Command::Event {
            case: CaseRef::Job(job.key.clone()),
            event: Event::JobFailed {
                job: job.key.clone(),
                error: e.to_string(),
                attempts: job.attempts,
            },
        },
        Err(e) => Command::JobIncident {
            key: job.key.clone(),
            note: delivery(
                job,
                "notification_failed",
                &serde_json::json!({ "error": e.to_string(), "attempts": job.attempts }),
            ),
            error: e.to_string(),
        },
    }
}

/// The case-history line of a notification's delivery (issue: "delivery status … recorded
/// in the case history"): which template went to whom, and each channel's status, so the
/// clerk answering a complaint sees what the citizen was sent and when. Other jobs have
/// their own traces (requests in the runtime's history, documents and stages in theirs).
fn delivery(job: &JobRow, kind: &str, detail: &Value) -> Option<Note> {
    let Work::Notify { to, template, .. } = &job.work else {
        return None;
    };
    let mut detail = detail.clone();
    if let Value::Object(map) = &mut detail {
        map.insert("to".into(), Value::String(to.clone()));
        map.insert("template".into(), Value::String(template.clone()));
        map.insert("job".into(), Value::String(job.key.clone()));
    }
    Some(Note {
        case_id: job.case_id,
        kind: kind.to_string(),
        detail,
    })
}
