//! What happens to a case (events, in) and what the case asks the world to do (effects, out).
//!
//! **Architecture Invariant:** effects are values. The core never sends, writes or calls;
//! the shell stores the effects with the new state in one transaction and performs them
//! after commit, each with its idempotency key, so a crash between the two loses nothing
//! and a retry sends nothing twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::calendar::Deadline;

/// Who did something: a clerk, the citizen, or the engine itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Actor {
    /// A staff account, by login.
    Clerk(String),
    /// The applicant.
    Citizen,
    /// A system on the other side (the gateway, the portal).
    System(String),
    /// The engine: timers, schedules, retries.
    Engine,
}

/// The application that opens a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The case data given with the application (dotted names nested: `applicant.iin`).
    pub data: Value,
    /// Where it came from: `state_corporation`, `egov_portal`, `provider`, `enpf`, `proactive`.
    pub channel: String,
    /// The application's language.
    pub language: super::Language,
    /// Consent to SMS notification.
    pub sms_consent: bool,
    /// The region whose clerks work the case.
    pub region: String,
}

/// Something that happened to a running case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A clerk completed a task with an outcome and the form's data.
    TaskCompleted {
        /// The task's key.
        task: String,
        /// The outcome chosen.
        outcome: String,
        /// The form's fields, by data name.
        form: Value,
        /// Who completed it.
        by: Actor,
    },
    /// An outbox job finished: a gateway request answered.
    JobSucceeded {
        /// The job's key.
        job: String,
        /// The answer.
        output: Value,
    },
    /// An outbox job exhausted its retries.
    JobFailed {
        /// The job's key.
        job: String,
        /// What went wrong, for the support e-mail and the history.
        error: String,
        /// The attempts made.
        attempts: u32,
    },
    /// A timer came due.
    TimerFired {
        /// The timer's key.
        timer: String,
        /// What the timer is for.
        purpose: TimerPurpose,
        /// When it was due (it may fire late, after a restart; the history records how late).
        due_at: DateTime<Utc>,
    },
    /// A message from outside (the citizen's objection, an asynchronous answer).
    MessageReceived {
        /// Its name.
        name: String,
        /// Its fields.
        payload: Value,
        /// Who sent it.
        by: Actor,
    },
    /// The citizen withdrew the application.
    Withdrawn {
        /// Who recorded the withdrawal.
        by: Actor,
    },
}

/// What a timer is for, carried with it so a fired timer needs no lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TimerPurpose {
    /// The end of a `wait` step.
    Wait {
        /// The waiting token.
        token: u32,
    },
    /// The timeout of a `receive` step.
    MessageTimeout {
        /// The waiting token.
        token: u32,
    },
    /// The day a date life event starts, at a `hold`.
    LifeEvent {
        /// The token at the hold.
        token: u32,
        /// The event's name.
        event: String,
    },
    /// A rung of a task's escalation ladder.
    TaskRung {
        /// The task's key.
        task: String,
        /// The rung's index in the ladder.
        rung: usize,
        /// When the rung's share of the time fell, if that was outside office hours and
        /// the timer was moved to the next opening: the history says so when it fires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moved_from: Option<DateTime<Utc>>,
    },
    /// A rung of the case term's escalation ladder.
    TermRung {
        /// The rung's index.
        rung: usize,
        /// As for [`TimerPurpose::TaskRung`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moved_from: Option<DateTime<Utc>>,
    },
}

/// Something the world must do because of a transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    /// Put a task in a role's queue.
    CreateTask {
        /// The task's key (unique in the case).
        key: String,
        /// The step.
        step: String,
        /// The role.
        role: String,
        /// When it is due.
        due_at: Option<DateTime<Utc>>,
        /// How the due time was computed.
        evidence: Option<Deadline>,
    },
    /// Take a task out of the queues (completed, or the case ended).
    CloseTask {
        /// The task's key.
        key: String,
    },
    /// Move a task to another role's queue (an escalation rung).
    ReassignTask {
        /// The task's key.
        key: String,
        /// The new role.
        role: String,
    },
    /// Set a durable timer.
    SetTimer {
        /// The timer's key.
        key: String,
        /// When.
        due_at: DateTime<Utc>,
        /// What for.
        purpose: TimerPurpose,
    },
    /// Cancel a timer that is no longer needed.
    CancelTimer {
        /// The timer's key.
        key: String,
    },
    /// Run an outbox job after commit.
    Job(Job),
    /// The case waits for a message the citizen may give by an SMS reply from `phone`
    /// (`sms_reply:`): the store indexes the wait by the number, valid while the wait's
    /// timeout timer `timer` is set, so a reply finds its case without reading every case.
    AwaitSmsReply {
        /// The number, as the case data holds it.
        phone: String,
        /// The message waited for.
        message: String,
        /// The key of the wait's timeout timer.
        timer: String,
    },
    /// Record a wave of proactive cases, opened after commit by the wave runner
    /// (`crate::wave`), one per person on the list.
    StartWave {
        /// The wave's key (`case:seq:n`): recorded once.
        key: String,
        /// The service each person gets a case of.
        service: String,
        /// The list: the `document` field's value (`{name, sha256, …}`).
        list: Value,
        /// The step that started it.
        step: String,
    },
}

/// Work done after commit, at least once, with an idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The idempotency key: `case:seq:n`. Unique per effect; a retry reuses it.
    pub key: String,
    /// What to do.
    pub work: Work,
}

/// The kinds of outbox work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Work {
    /// A data request through the gateway; its answer comes back as an event.
    Request {
        /// The connector.
        connector: String,
        /// The request's fields.
        input: Value,
        /// Attempts in all.
        attempts: u32,
        /// Exponential backoff (with jitter) or fixed.
        exponential: bool,
        /// The first pause, in seconds.
        first_delay_seconds: u32,
    },
    /// A notification.
    Notify {
        /// `citizen`, `applicant`, `assignee`, `support_email` or `role:<role>`.
        to: String,
        /// The template.
        template: String,
        /// `sms`, `email`.
        channels: Vec<String>,
        /// Sent in quiet hours too.
        urgent: bool,
        /// The login whose fresh temporary password the notifier sets and puts in the
        /// e-mail as `temporary_password` (seeds/003 items 20, 22); the password itself is
        /// in no job and no case.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credentials: Option<String>,
        /// The case waits for it to go (a notice whose day of sending starts the citizen's
        /// window): its outcome comes back to the case as an event, like a request's.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        awaited: bool,
        /// The template's variables, as of the transition.
        vars: Value,
    },
    /// A document rendered and attached to the case.
    Document {
        /// The template.
        template: String,
        /// What it is.
        kind: Option<String>,
        /// The template's variables, as of the transition.
        vars: Value,
    },
    /// A stage change for the digital monitoring system (seeds/001 items 16, 17).
    Stage {
        /// The stage code.
        stage: String,
        /// The step entered.
        step: String,
        /// When.
        at: DateTime<Utc>,
    },
}

/// One line of the case's history: what happened, who did it, and the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What, as a short code: `submitted`, `entered`, `task_completed`, `data_received`, …
    pub kind: String,
    /// The step concerned.
    pub step: Option<String>,
    /// Details: the outcome, the error, how late a timer fired.
    pub detail: Value,
    /// The deadline computed here, with every day skipped and why.
    pub evidence: Option<Deadline>,
}
