//! Outbox jobs: who performs them, and what becomes of each attempt.
//!
//! A job is leased (so two workers never run it at once), performed after the commit that
//! created it, and recorded: done; retried later with exponential backoff and jitter; or,
//! when its budget is spent, a data request goes to the step's failure path and any other
//! job becomes an incident an administrator can retry. A job is never deleted because its
//! effect failed.
//!
//! A data request on the gateway's asynchronous channel has a fourth outcome: acknowledged.
//! The acknowledgement is no answer — the step's `output:` mapping must never read it — so
//! the job waits (`awaiting_answer`) and its step with it, until the answer arrives at
//! `POST /gateway/answers` and is applied as the job's success or failure, exactly as a
//! synchronous answer is. An answer that does not come by the deadline is an attempt that
//! failed: [`unanswered`] sends the request again, or takes the failure path.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::writer::{CaseRef, Command, Note};
use crate::runtime::{Event, Work};
use crate::store::JobRow;

/// How long a lease holds: a job not recorded by then is run again.
pub const LEASE: Duration = Duration::seconds(60);

/// Attempts for notifications, documents and stage reports (requests bring their own).
pub const ATTEMPTS: u32 = 8;

/// The first pause between attempts of a notification, a document or a stage report.
pub const FIRST_DELAY_SECONDS: u32 = 30;

/// Why one attempt did not finish its job.
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
    /// Sent, and not failed: the far side acknowledged the request and answers on another
    /// road (the gateway's asynchronous channel, by correlation id). The job is neither done
    /// nor retried; it waits for its answer until `answer_by`, and is sent again only if
    /// none came by then.
    #[error("acknowledged; the answer is due by {answer_by}")]
    Acknowledged {
        /// The answer's deadline.
        answer_by: DateTime<Utc>,
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
    let to_case = matches!(
        job.work,
        Work::Request { .. } | Work::Notify { awaited: true, .. }
    );
    match outcome {
        Ok(output) if to_case => Command::Event {
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
        Err(JobError::Acknowledged { answer_by }) => Command::JobAwait {
            key: job.key.clone(),
            answer_by,
            note: request_note(
                job,
                "request_acknowledged",
                json!({ "answer_by": answer_by }),
            ),
        },
        Err(JobError::Retryable(error)) if job.attempts < budget => Command::JobRetry {
            key: job.key.clone(),
            next_at: now + super::backoff(job.attempts, first, exponential),
            error,
            note: None,
        },
        Err(e) if to_case => Command::Event {
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

/// The command for a request whose answer did not come by `due_at` (acknowledged at
/// `acknowledged_at`): the deadline passing is a failed attempt. Within the step's budget
/// the request is sent again at once — with the same message id, which is how the gateway
/// knows a resend, and the answer to either send is the one awaited — and the case history
/// says so; with the budget spent, the step's failure path, as after any last failed attempt.
pub fn unanswered(
    job: &JobRow,
    acknowledged_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Command {
    let (connector, budget) = match &job.work {
        Work::Request {
            connector,
            attempts,
            ..
        } => (connector.as_str(), *attempts),
        _ => ("", 1),
    };
    let waited = due_at - acknowledged_at;
    let error = format!(
        "{connector}: no answer came on the asynchronous channel within {} of the gateway's acknowledgement (attempt {} of {budget})",
        span(waited),
        job.attempts,
    );
    if job.attempts < budget {
        Command::JobRetry {
            key: job.key.clone(),
            next_at: now,
            note: request_note(
                job,
                "answer_overdue",
                json!({ "due_at": due_at, "attempts": job.attempts, "sent_again": true }),
            ),
            error,
        }
    } else {
        Command::Event {
            case: CaseRef::Job(job.key.clone()),
            event: Event::JobFailed {
                job: job.key.clone(),
                error,
                attempts: job.attempts,
            },
        }
    }
}

/// A wait as people say it: `1 h`, `90 min`, `45 s`.
fn span(d: Duration) -> String {
    let s = d.num_seconds();
    if s % 3600 == 0 && s > 0 {
        format!("{} h", s / 3600)
    } else if s % 60 == 0 && s > 0 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// A case-history line about a data request's job outside any transition (acknowledged by
/// the gateway, its answer overdue), so the clerk who sees the step waiting sees why.
fn request_note(job: &JobRow, kind: &str, detail: Value) -> Option<Note> {
    let Work::Request { connector, .. } = &job.work else {
        return None;
    };
    let mut detail = detail;
    if let Value::Object(map) = &mut detail {
        map.insert("connector".into(), Value::String(connector.clone()));
        map.insert("job".into(), Value::String(job.key.clone()));
    }
    Some(Note {
        case_id: job.case_id,
        kind: kind.to_string(),
        detail,
    })
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
