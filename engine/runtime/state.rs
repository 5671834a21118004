//! The state of one case: everything the runtime needs to take its next step.
//!
//! A case's state is a value, serialised whole into the store with each transition. The
//! fields the store queries (status, due times) are copied into columns; the state itself
//! is the truth.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::definition::StepId;

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Running: at least one token is waiting on something.
    Active,
    /// Reached an end step; the result says which.
    Completed,
    /// Withdrawn by the citizen before its end.
    Withdrawn,
}

/// The language of the application: every notification and document goes out in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Kazakh.
    #[default]
    Kk,
    /// Russian.
    Ru,
}

/// One case: a citizen's application running through a pinned version of its service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseState {
    /// The store's id.
    pub id: i64,
    /// The registration number the citizen and clerks see.
    pub number: String,
    /// The service id.
    pub service: String,
    /// The version pinned at acceptance: the case finishes under it, whatever comes later.
    pub version: String,
    /// Running, completed or withdrawn.
    pub status: Status,
    /// The end's result, once completed or withdrawn.
    pub result: Option<String>,
    /// The language of the application.
    pub language: Language,
    /// Whether the citizen consented to SMS notification (seeds/000 appendix 1).
    pub sms_consent: bool,
    /// Where the application came from.
    pub channel: String,
    /// The region whose clerks work the case.
    pub region: String,
    /// Data by scope: `""` is the case's own data; a sub-workflow call has its own scope,
    /// named by the call step (`hearing`, or `outer/inner` when nested).
    pub data: BTreeMap<String, Value>,
    /// The positions in the process; more than one while a fork's branches run.
    pub tokens: Vec<Token>,
    /// The next token id.
    pub next_token: u32,
    /// Branches arrived at each join, by `scope/join`.
    pub joins: BTreeMap<String, u32>,
    /// Open user tasks, by key.
    pub tasks: BTreeMap<String, OpenTask>,
    /// Messages received before the case waited for them, kept until they expire.
    pub inbox: Vec<InboxMessage>,
    /// The statutory term, once started.
    pub term: Option<TermState>,
    /// The monitoring stage last reported: a stage is reported when it changes, once.
    #[serde(default)]
    pub stage: Option<String>,
    /// The clerk who completed the case's most recent task: documents and messages name
    /// the clerk who acted (the receipt's "the worker who accepted the application",
    /// seeds/004 item 5). Absent in cases stored before it was kept, and until a clerk
    /// completes a task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_clerk: Option<LastClerk>,
    /// Who completed each task step last, by the step's path: the signatures a document
    /// prints (`{{signed.<step>.full_name}}`), three officials on one decision.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signers: BTreeMap<String, LastClerk>,
    /// When the case first came to a `hold`: from then on it is a living record (a payment)
    /// that takes life events. `None` while its application is still being decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_since: Option<DateTime<Utc>>,
    /// The life event the case is inside now (between leaving a hold and coming back to one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_event: Option<String>,
    /// The keys of the life events taken so far (`event:key`, from `once_per`): a second
    /// message with one of them is refused, so a mass event touches no case twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_keys: Vec<String>,
    /// The state systems' answers the citizen signed with the application, by connector,
    /// each held to its contract when filed (the eGov portal: seeds/001, Semipalatinsk
    /// item 3): a request step that takes signed data on the case's channel maps its
    /// connector's answer from here instead of asking the gateway.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signed_data: BTreeMap<String, Value>,
    /// Transitions applied so far: the history's sequence and the effects' key space.
    pub seq: u64,
    /// When the case was opened.
    pub opened_at: DateTime<Utc>,
    /// When the case ended.
    pub closed_at: Option<DateTime<Utc>>,
}

impl CaseState {
    /// The data of a scope (empty object when absent).
    pub fn scope(&self, scope: &str) -> Value {
        self.data
            .get(scope)
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default()))
    }

    /// The token with this id.
    pub fn token(&self, id: u32) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// Whether the case has ended.
    pub fn is_closed(&self) -> bool {
        self.status != Status::Active
    }
}

/// Who completed a task: the account and the role the task was for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastClerk {
    /// The account's login.
    pub login: String,
    /// The role whose queue the task was in when it was completed: the clerk's position on
    /// a document is this role's title, whatever other roles the account holds.
    pub role: String,
}

/// A position in the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Unique within the case.
    pub id: u32,
    /// The call steps leading to the definition this token is in, outermost first.
    pub calls: Vec<StepId>,
    /// The step it is at.
    pub step: StepId,
    /// What it waits for.
    pub waiting: Waiting,
    /// When it entered the step.
    pub entered_at: DateTime<Utc>,
}

/// What a token waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "for")]
pub enum Waiting {
    /// A clerk to complete the task with this key.
    Task {
        /// The task's key.
        key: String,
    },
    /// The outbox job with this key (a gateway request).
    Job {
        /// The job's key.
        key: String,
    },
    /// The timer with this key.
    Timer {
        /// The timer's key.
        key: String,
    },
    /// A life event, at a `hold` step: a message that starts one, or the timers of the
    /// events that start on a date.
    Hold {
        /// The timers of the date events, by key.
        #[serde(default)]
        timers: Vec<String>,
    },
    /// A message, or its timeout timer.
    Message {
        /// The message's name.
        name: String,
        /// The timeout timer's key.
        timer: String,
    },
}

/// A user task waiting for a clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTask {
    /// The token at the task's step.
    pub token: u32,
    /// The step's name.
    pub step: String,
    /// The role whose queue it is in (changed by a `reassign` rung).
    pub role: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it is due, if it has a due time.
    pub due_at: Option<DateTime<Utc>>,
}

/// A message kept until a step waits for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxMessage {
    /// Its name.
    pub name: String,
    /// Its fields.
    pub payload: Value,
    /// When it came.
    pub received_at: DateTime<Utc>,
    /// When it is dropped if nothing waited for it.
    pub expires_at: DateTime<Utc>,
    /// It starts a life event: kept until the case is back at a hold that takes it (or
    /// ends), whatever `expires_at` says — an increase that came while a suspension was
    /// being decided is not lost.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub event: bool,
}

/// The statutory term of the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermState {
    /// The date the case counts as accepted (after office hours: the next working day).
    pub accepted_on: NaiveDate,
    /// The last day of the term, as computed (moved later by pauses). How it was computed
    /// (every day counted and skipped, and why, for an appeal) is the evidence of the
    /// case's `term_started` history line, not repeated here: the state is written again at
    /// every transition, and the evidence was half of it (about 750 of 1,500 bytes).
    pub due_on: NaiveDate,
    /// Working days the term was paused for so far (the case waited on the citizen).
    pub paused_days: u32,
    /// While paused: since when.
    pub paused_since: Option<DateTime<Utc>>,
    /// When the term started: the escalation ladder's shares run from here to the due end.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// The escalation rungs already fired, so a pause and resume never fires one twice.
    #[serde(default)]
    pub escalated: Vec<usize>,
    /// When the service was rendered within it: the case came to a `hold` (the payment
    /// assigned) and lives on, but its term is over and nothing of it escalates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
}
