//! The runtime core: a pure function from (definition, case state, event, clock) to
//! (new state, effects, history).
//!
//! **Architecture Invariant:** nothing here does IO or reads the clock. The time comes in
//! [`Context::now`]; the calendar is data. Effects come out as values
//! ([`Effect`]), which the shell stores with the state in one transaction and performs
//! after commit. So the core is tested without a database, a network or real time, and a
//! scenario can move a case through weeks of working days in milliseconds.

mod event;
mod fallback;
pub mod form;
pub mod life;
mod machine;
pub mod message;
mod state;
pub mod submission;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use indexmap::IndexMap;

pub use event::*;
pub use machine::{CLOSE_OF_DAY, get_path, normalise, set_path};
pub use state::*;

use crate::calendar::Calendar;
use crate::definition::Definition;

/// How an installation runs its cases; the same for every case.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The office profile (calendar office hours) for acceptance and working minutes.
    pub office_profile: String,
    /// When a working-day deadline ends on its last day.
    pub close_of_day: NaiveTime,
    /// How long a message that arrives before its step is kept.
    pub message_retention: Duration,
    /// How many such messages a case keeps at once: the inbox is part of the case's state,
    /// written whole at every transition, so a flood of early messages would make every later
    /// step of the case slower. One more is refused ([`Error::InboxFull`]).
    pub max_waiting_messages: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            office_profile: "standard".into(),
            close_of_day: CLOSE_OF_DAY,
            message_retention: Duration::days(30),
            max_waiting_messages: 20,
        }
    }
}

/// Everything a transition reads besides the case: the pinned definition, the sub-workflows
/// it calls, the calendar, the settings and the time.
pub struct Context<'a> {
    /// The version of the service the case is pinned to.
    pub definition: &'a Definition,
    /// The sub-workflows, by id.
    pub subworkflows: &'a IndexMap<String, Definition>,
    /// The working-day calendar of the service.
    pub calendar: &'a Calendar,
    /// Installation settings.
    pub settings: &'a Settings,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The outcome of one transition.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The case after it.
    pub state: CaseState,
    /// What the world must do.
    pub effects: Vec<Effect>,
    /// What the history records.
    pub history: Vec<HistoryEntry>,
}

impl Transition {
    /// Whether it queues work for the job loops (a request, a notice, a document): what
    /// the store marks its transaction for, so that the commit wakes them.
    pub fn queues_jobs(&self) -> bool {
        self.effects.iter().any(|e| matches!(e, Effect::Job(_)))
    }
}

/// One wrong field of a form, for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The data name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Why an event could not be applied. Nothing changes in the case when one is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The case has ended.
    #[error("case {number} is closed")]
    Closed {
        /// Its registration number.
        number: String,
    },
    /// The task is not open (completed already, or never was).
    #[error("task {0} is not open")]
    TaskNotOpen(String),
    /// The form or the outcome is wrong.
    #[error("the form has mistakes: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Rejected(Vec<FieldError>),
    /// A message nothing waits for yet, and the case keeps as many such messages as it may.
    #[error("the case keeps {limit} messages that no step has taken yet: no more wait")]
    InboxFull {
        /// The most it keeps ([`Settings::max_waiting_messages`]).
        limit: usize,
    },
    /// A life event's message with a key the case has taken already (`once_per`): the
    /// same increase under the same act, sent again.
    #[error("the case has already taken `{event}` for {key}")]
    Duplicate {
        /// The event.
        event: String,
        /// The key.
        key: String,
    },
    /// A life event's message the case cannot take where it is: the hold it is at is not one
    /// of the event's, or the case has not come to a hold yet.
    #[error("{0}")]
    EventNotNow(String),
    /// The event is for something the case is no longer waiting on (a late timer).
    #[error("stale event: {0}")]
    Stale(String),
    /// An expression failed on this case's data (missing data): an incident.
    #[error("`{expression}` failed: {message}")]
    Expression {
        /// The expression.
        expression: String,
        /// What went wrong.
        message: String,
    },
    /// The calendar could not compute a deadline (a date beyond its data): an incident.
    #[error("calendar: {0}")]
    Calendar(String),
    /// A sub-workflow is missing from the library.
    #[error("unknown sub-workflow {0}")]
    UnknownSubworkflow(String),
    /// A broken invariant: a bug.
    #[error("internal: {0}")]
    Internal(&'static str),
}

impl From<crate::calendar::Error> for Error {
    fn from(e: crate::calendar::Error) -> Self {
        Error::Calendar(e.to_string())
    }
}

/// Opens a case for an application: its data are checked first ([`submission::check`]: the
/// names that are the applicant's to give, each of its type), and nothing is opened unless all
/// of it is right. See [`machine`] for the rules a token follows.
pub fn start(
    ctx: &Context<'_>,
    id: i64,
    number: &str,
    submission: &Submission,
) -> Result<Transition, Error> {
    let mut data = serde_json::Value::Object(serde_json::Map::new());
    for (name, value) in submission::check(ctx.definition, &submission.data)? {
        set_path(&mut data, &name, value);
    }
    machine::start(ctx, id, number, submission, data, Default::default())
}

/// Opens a case for an application filed with the state systems' answers the citizen signed
/// (the eGov portal: `signed` is connector → answer, read from the signed document). The
/// application is checked as [`start`] checks it, and each answer against its connector's
/// contract ([`submission::signed`]); a mistake in either is [`Error::Rejected`], the answers'
/// named `signed_data.<connector>.<field>`, and nothing is opened.
pub fn start_signed(
    ctx: &Context<'_>,
    id: i64,
    number: &str,
    submission: &Submission,
    signed: &serde_json::Map<String, serde_json::Value>,
) -> Result<Transition, Error> {
    let mut data = serde_json::Value::Object(serde_json::Map::new());
    let checked = submission::check(ctx.definition, &submission.data);
    let answers = submission::signed(ctx.definition, &submission.channel, signed);
    let (values, answers) = match (checked, answers) {
        (Ok(values), Ok(answers)) => (values, answers),
        (Err(Error::Rejected(mut a)), Err(Error::Rejected(b))) => {
            a.extend(b);
            return Err(Error::Rejected(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    for (name, value) in values {
        set_path(&mut data, &name, value);
    }
    machine::start(ctx, id, number, submission, data, answers)
}

/// Opens a case the engine starts by itself, for a scheduled occurrence: its data
/// (`schedule.occurrence`, `schedule.due_at`) are the engine's own, not an applicant's, and are
/// kept as given.
pub fn start_scheduled(
    ctx: &Context<'_>,
    id: i64,
    number: &str,
    submission: &Submission,
) -> Result<Transition, Error> {
    machine::start(
        ctx,
        id,
        number,
        submission,
        normalise(&submission.data),
        Default::default(),
    )
}

/// Applies one event to a case.
pub fn apply(ctx: &Context<'_>, state: &CaseState, event: &Event) -> Result<Transition, Error> {
    machine::apply(ctx, state, event)
}
