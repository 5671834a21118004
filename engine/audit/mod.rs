//! The audit journal: who did what, when, from where, to which case, task or account.
//!
//! The access rules ask that every action of a user in the system be registered and that
//! nobody works under another's login (seeds/003 item 26; the "access-control journal" of
//! `DESIGN.md`). The journal is one table, `audit`, appended to in the same transaction as the
//! action it records, so an action and its record commit or vanish together.
//!
//! It is kept honest twice over. The database refuses any `UPDATE` or `DELETE` on it (two
//! triggers, message "the audit journal is append-only"); and each record carries the
//! SHA-256 of its content and of the record before it ([`chain`]), so someone who removes
//! the triggers and edits the file breaks the chain at the first record touched, and
//! `qyzmet audit verify` names it. Rewriting the whole chain from the edited record on is
//! possible for whoever holds the file; the last hash `verify` prints, written down elsewhere
//! (a ticket, a daily report), is what catches that.
//!
//! **Architecture Invariant:** an audit record never carries personal data — no IIN, no
//! phone number, no name, no address. It names people and things by the identifiers the
//! system gives them: a staff login, a case's registration number, a task key, a definition
//! version. The journal is kept for years, read by auditors and copied into reports; the
//! personal data stay in the case, where access to them is itself journalled
//! ([`Action::CaseOpened`]). Callers build [`Entry::details`] from identifiers and codes only.

pub mod chain;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use chain::{Broken, Reason, Verified, Verifier, verify};

/// The actor of what the engine does by itself: timers, the sweep of unused accounts, jobs.
pub const SYSTEM: &str = "system";

/// The actor of what a citizen does (submits, objects, withdraws): the citizen has no
/// login, and the journal takes no personal data, so the case's number says which one.
pub const CITIZEN: &str = "citizen";

/// The actor of a sign-in attempt with a login that does not exist, and of a sign-in form
/// refused for want of its pairing cookie. The login typed is not recorded: people type their
/// password into the login field.
pub const ANONYMOUS: &str = "anonymous";

/// What happened. The names are stable: they are stored, hashed into the chain and read by
/// auditors' tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A user signed in.
    SignIn,
    /// A sign-in was refused: wrong password, locked, blocked or unknown login.
    SignInFailed,
    /// A user signed out.
    SignOut,
    /// A user changed their password (the temporary one, at first: seeds/003 item 24).
    PasswordChanged,
    /// A clerk opened a case and saw its personal data.
    CaseOpened,
    /// A case was submitted.
    CaseSubmitted,
    /// A clerk took a task.
    TaskClaimed,
    /// A clerk put a task back in the queue.
    TaskUnclaimed,
    /// A clerk completed a task.
    TaskCompleted,
    /// A head of department gave a task to another clerk; `details` name the former
    /// assignee (`from`, `null` when it was in the queue) and the new one (`to`) by login.
    TaskReassigned,
    /// A head of department took a task over herself; `details.from` names the former
    /// assignee.
    TaskTakenOver,
    /// A head of department put a task a clerk held back in the queue; `details.from` names
    /// that clerk.
    TaskReleased,
    /// A message (a citizen's objection) was delivered to a case.
    MessageDelivered,
    /// A citizen withdrew a case.
    CaseWithdrawn,
    /// An administrator retried an incident.
    IncidentRetried,
    /// A methodologist deployed a definition version.
    DefinitionDeployed,
    /// An account was created on an access request (seeds/003 item 19).
    AccountCreated,
    /// An account was blocked (seeds/003 item 28).
    AccountBlocked,
    /// A blocked account was reactivated on a new request (seeds/003 item 29).
    AccountReactivated,
    /// An administrator unlocked an account locked out for a while after wrong passwords:
    /// every source's lock and the account's count of wrong passwords cleared. `details`
    /// hold how many sources were locked and the count cleared.
    AccountUnlocked,
    /// A signed-in caller (or the sign-in form) was refused; `details.reason` says why: `role`,
    /// `region`, `csrf`, `another_clerks_task`, `password_change_required`, `token_required`
    /// (`api::denial`).
    AccessDenied,
    /// An API token was issued to a system's account: from then on it acts as that account.
    TokenIssued,
    /// An account's roles or region were changed on a new request (seeds/003 item 27).
    AccountChanged,
    /// A new temporary password was set and sent to the corporate e-mail of the request
    /// (seeds/003 items 20, 22); the password itself is in no record.
    TemporaryPasswordIssued,
    /// A security violation an administrator must act on and the engine did not: wrong
    /// passwords past the block threshold on an account that is not blocked for them (the
    /// last active administrator, a system's account: `accounts::Spared`).
    SecurityViolation,
    /// An SMS aggregator reported what became of an SMS; the case history has the line.
    DeliveryReported,
    /// An administrator sent a date range of the stage feed to the monitoring system again.
    MonitoringReplayed,
    /// A state system's answer to a data request, through the gateway's asynchronous
    /// channel, was applied to its case (as the request's output, or as its failure).
    AnswerDelivered,
    /// An API token was revoked (by an administrator, or its own account): it opens nothing
    /// from then on. `details` name it by id and name, never by the token.
    TokenRevoked,
    /// A clerk saw a case's file (the applicant's data, the answers, the documents), on the
    /// case page or a task's page: who looked at whose case.
    CaseFileOpened,
    /// A clerk searched the cases (by number, IIN or surname): who looked for whom. `details`
    /// hold what was asked and how many cases were found.
    CasesSearched,
    /// A generated document of a case was opened or downloaded (HTML or PDF).
    DocumentOpened,
    /// A scan of a document was uploaded to a case.
    DocumentUploaded,
    /// A scan uploaded to a case was opened or downloaded: a scan of an identity document
    /// is as personal as the case file. `details` name the data field and the file's hash.
    ScanOpened,
    /// A clerk at the desk asked a state database, through the gateway, for a person's data
    /// to fill an application (`application_prefill`): who looked someone up, and where.
    /// `details` name the service and the connector, never the person.
    PersonLookedUp,
    /// A methodologist or an administrator entered a life event for every active case of a
    /// service at once (a mass increase: `crate::mass_event`). `details` name the mass event's
    /// id, the service, the event and the cases it will touch.
    MassEventStarted,
    /// Closed cases moved to the archive (`crate::archive`): `details` hold how many, the
    /// cutoff and their registration numbers; the actor is a login, or `system` for the
    /// daily run. One record per batch, in the batch's transaction.
    CasesArchived,
    /// An administrator restored an archived case to the active tables; `object` is its
    /// registration number.
    CaseRestored,
    /// The eGov portal's filing of a signed application was refused (`api::portal`): the
    /// actor is the portal's account, `object` the service, `details` the field at fault and
    /// the reason's code — never the document, the signer or the applicant.
    PortalFilingRefused,
    /// A proactive wave was started by hand (`POST /services/{service}/waves`): `object` the
    /// service, `details` the wave's number and how many rows its list has. A wave a
    /// reconciliation case starts is that case's step, in its history.
    WaveStarted,
}

impl Action {
    /// Every action, in the order above.
    pub const ALL: [Action; 40] = [
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::PasswordChanged,
        Action::CaseOpened,
        Action::CaseSubmitted,
        Action::TaskClaimed,
        Action::TaskUnclaimed,
        Action::TaskCompleted,
        Action::TaskReassigned,
        Action::TaskTakenOver,
        Action::TaskReleased,
        Action::MessageDelivered,
        Action::CaseWithdrawn,
        Action::IncidentRetried,
        Action::DefinitionDeployed,
        Action::AccountCreated,
        Action::AccountBlocked,
        Action::AccountReactivated,
        Action::AccountUnlocked,
        Action::AccessDenied,
        Action::TokenIssued,
        Action::AccountChanged,
        Action::TemporaryPasswordIssued,
        Action::SecurityViolation,
        Action::DeliveryReported,
        Action::MonitoringReplayed,
        Action::AnswerDelivered,
        Action::TokenRevoked,
        Action::CaseFileOpened,
        Action::CasesSearched,
        Action::DocumentOpened,
        Action::DocumentUploaded,
        Action::ScanOpened,
        Action::PersonLookedUp,
        Action::MassEventStarted,
        Action::CasesArchived,
        Action::CaseRestored,
        Action::PortalFilingRefused,
        Action::WaveStarted,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::PasswordChanged => "password_changed",
            Action::CaseOpened => "case_opened",
            Action::CaseSubmitted => "case_submitted",
            Action::TaskClaimed => "task_claimed",
            Action::TaskUnclaimed => "task_unclaimed",
            Action::TaskCompleted => "task_completed",
            Action::TaskReassigned => "task_reassigned",
            Action::TaskTakenOver => "task_taken_over",
            Action::TaskReleased => "task_released",
            Action::MessageDelivered => "message_delivered",
            Action::CaseWithdrawn => "case_withdrawn",
            Action::IncidentRetried => "incident_retried",
            Action::DefinitionDeployed => "definition_deployed",
            Action::AccountCreated => "account_created",
            Action::AccountBlocked => "account_blocked",
            Action::AccountReactivated => "account_reactivated",
            Action::AccountUnlocked => "account_unlocked",
            Action::AccessDenied => "access_denied",
            Action::TokenIssued => "token_issued",
            Action::AccountChanged => "account_changed",
            Action::TemporaryPasswordIssued => "temporary_password_issued",
            Action::SecurityViolation => "security_violation",
            Action::DeliveryReported => "delivery_reported",
            Action::MonitoringReplayed => "monitoring_replayed",
            Action::AnswerDelivered => "answer_delivered",
            Action::TokenRevoked => "token_revoked",
            Action::CaseFileOpened => "case_file_opened",
            Action::CasesSearched => "cases_searched",
            Action::DocumentOpened => "document_opened",
            Action::DocumentUploaded => "document_uploaded",
            Action::ScanOpened => "scan_opened",
            Action::PersonLookedUp => "person_looked_up",
            Action::MassEventStarted => "mass_event_started",
            Action::CasesArchived => "cases_archived",
            Action::CaseRestored => "case_restored",
            Action::PortalFilingRefused => "portal_filing_refused",
            Action::WaveStarted => "wave_started",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an audit action")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

/// What a caller records: the journal adds the time, the sequence number and the hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Who: a login, [`SYSTEM`], [`CITIZEN`] or [`ANONYMOUS`].
    pub actor: String,
    /// From where: an IP address, a channel (`egov`, `front_office`), or for what the
    /// engine does on an access request, that request's registration number.
    pub source: Option<String>,
    /// What.
    pub action: Action,
    /// To what: a registration number, a task key, a login, a definition version.
    pub object: Option<String>,
    /// Anything else an auditor needs, as identifiers and codes: never personal data (see
    /// the module's invariant).
    pub details: Value,
}

impl Entry {
    /// An entry with no source, object or details: add them with the builders.
    pub fn new(actor: impl Into<String>, action: Action) -> Entry {
        Entry {
            actor: actor.into(),
            source: None,
            action,
            object: None,
            details: Value::Object(Default::default()),
        }
    }

    /// Where the action came from.
    pub fn source(mut self, source: Option<&str>) -> Entry {
        self.source = source.map(str::to_string);
        self
    }

    /// What the action was done to.
    pub fn object(mut self, object: impl Into<String>) -> Entry {
        self.object = Some(object.into());
        self
    }

    /// The details (identifiers and codes only).
    pub fn details(mut self, details: Value) -> Entry {
        self.details = details;
        self
    }
}

/// A stored record: an [`Entry`] with its place in the journal and its hashes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Its number: 1, 2, 3 … without gaps.
    pub seq: i64,
    /// When (microseconds, UTC).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// From where.
    pub source: Option<String>,
    /// What.
    pub action: Action,
    /// To what.
    pub object: Option<String>,
    /// The details.
    pub details: Value,
    /// The hash of record `seq - 1` (64 zeros for the first).
    pub prev_hash: String,
    /// The SHA-256 of this record's content and `prev_hash`, in hex.
    pub hash: String,
}

/// A stored row that is not a record any more: a field that does not parse (the file was
/// edited). Verification reports it as the place the journal is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq} is unreadable: {message}")]
pub struct Unreadable {
    /// The row's number.
    pub seq: i64,
    /// Its `at`, as stored.
    pub at: String,
    /// Its `action`, as stored.
    pub action: String,
    /// What does not parse.
    pub message: String,
}
