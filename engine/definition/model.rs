//! The compiled form of a workflow: what the runtime runs.
//!
//! Everything here has been checked: every step id is resolved to a [`StepId`], every
//! expression parsed and type-checked, every duration is one the step kind allows, every
//! role, connector and template exists. **Architecture Invariant:** a value of these types
//! cannot describe a process that gets stuck for want of a name; the runtime never needs
//! to handle "unknown step".

use std::path::PathBuf;

use chrono::NaiveDate;
use indexmap::IndexMap;

use super::expr::{Env, Expr, Type};
/// Types the compiled form shares with the raw one: plain values with no unresolved names.
pub use super::raw::{Channel, NonWorkingDay, NotifyChannel, Period, Text};

/// The index of a step in [`Definition::steps`].
///
/// Case states store step ids, which is sound because a deployed version never changes:
/// the store keeps the source a case was pinned to, and a new text is a new version.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct StepId(pub u16);

impl StepId {
    /// The position in `steps`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Whether a file is a service citizens apply for, or a part shared between services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A state service: has a term and is started by an application or a schedule.
    Service,
    /// A shared sub-workflow, run only by a `call` step.
    Subworkflow,
}

/// One validated version of a service or sub-workflow.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The file it was loaded from, for messages and the diagram.
    pub file: PathBuf,
    /// Service or sub-workflow.
    pub kind: Kind,
    /// The service (or sub-workflow) id.
    pub id: String,
    /// The version label.
    pub version: String,
    /// First day in force for new cases.
    pub effective_from: NaiveDate,
    /// Last day in force for new cases, inclusive; `None` while no later version exists.
    pub effective_until: Option<NaiveDate>,
    /// The service's name.
    pub title: Text,
    /// The name SMS texts and e-mail subjects print: `short_title`, else `title`.
    pub short_title: Text,
    /// The statutory term; `None` for sub-workflows.
    pub term: Option<Term>,
    /// The working-day calendar id.
    pub calendar: String,
    /// Where citizens apply.
    pub channels: Vec<Channel>,
    /// The roles that may open a case (never empty: the front-office operator by default).
    pub submitted_by: Vec<String>,
    /// The application's fields, checked at submission; empty: not checked.
    pub application: Vec<FormField>,
    /// The request step whose connector and output fill the application at the desk
    /// (`application_prefill`): a `StepKind::Request` whose input reads only application
    /// fields and whose output names at least one.
    pub application_prefill: Option<StepId>,
    /// The support address for technical failures.
    pub support_email: Option<String>,
    /// The possible results.
    pub results: Vec<String>,
    /// The parameters of a sub-workflow.
    pub parameters: IndexMap<String, FieldDef>,
    /// The case data.
    pub data: IndexMap<String, FieldDef>,
    /// The messages a case can receive, with their fields.
    pub messages: IndexMap<String, IndexMap<String, FieldDef>>,
    /// The messages the citizen may give by an SMS reply, by message name (`sms_reply:`).
    pub sms_replies: IndexMap<String, SmsReply>,
    /// When the engine starts a case by itself.
    pub schedule: Option<Schedule>,
    /// The life events of a case that holds, by name, in the order of the file.
    pub events: IndexMap<String, LifeEvent>,
    /// The data a living case is known by (`record:`): each change is kept in the history
    /// (`record_changed`), the page and the API show them.
    pub record: Vec<String>,
    /// The first step.
    pub start: StepId,
    /// The steps, in the order of the file.
    pub steps: Vec<Step>,
    /// The worst-case path length, in working time, from the term's start to an end.
    pub worst_case: WorkingTime,
    /// The titles of the catalog's roles, by id: what the runtime writes for people (the
    /// support e-mail says which clerk takes over) names a role in the case's language, and
    /// the runtime does not read the catalog.
    pub roles: IndexMap<String, Text>,
}

impl Definition {
    /// The events that may start while the case holds at `step`.
    pub fn events_at(&self, step: StepId) -> impl Iterator<Item = &LifeEvent> {
        self.events
            .values()
            .filter(move |e| e.during.contains(&step))
    }

    /// The event a message starts, if one does.
    pub fn event_for_message(&self, message: &str) -> Option<&LifeEvent> {
        self.events
            .values()
            .find(|e| matches!(&e.trigger, Trigger::Message(m) if m == message))
    }

    /// The step with this id.
    pub fn step(&self, id: StepId) -> &Step {
        &self.steps[id.index()]
    }

    /// The step with this name, if any.
    pub fn step_named(&self, name: &str) -> Option<StepId> {
        self.steps
            .iter()
            .position(|s| s.name == name)
            .map(|i| StepId(i as u16))
    }

    /// Whether this version applies to cases accepted on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|until| date <= until)
    }

    /// The variables an expression in this definition may read, with their types.
    pub fn env(&self) -> Env {
        let mut env = Env::new();
        // The day of the transition, in the calendar's zone (a receipt recorded the day a
        // clerk confirms it). Data names are dotted, so it clashes with none.
        env.declare("today", Type::Date);
        env.declare("registration_number", Type::String);
        // The channel the application came by (`egov_portal`, `proactive`, …), as validate
        // declares it.
        env.declare("channel", Type::String);
        for (name, field) in self.parameters.iter().chain(self.data.iter()) {
            env.declare(name, field.ty.clone());
        }
        env
    }
}

/// A life event: what happens to a case that holds (a payment increased, suspended,
/// terminated), started by a message or a date while the case is at one of `during`.
#[derive(Debug, Clone)]
pub struct LifeEvent {
    /// Its name in the file.
    pub name: String,
    /// Its title, when given.
    pub title: Option<Text>,
    /// Its legal source.
    pub source: Option<Source>,
    /// What starts it.
    pub trigger: Trigger,
    /// The `hold` steps it may start at.
    pub during: Vec<StepId>,
    /// The key a case takes it once for (`once_per`), read from the message.
    pub once_per: Option<Expr>,
    /// Data recorded from the message when it starts.
    pub store: Vec<(String, Expr)>,
    /// The roles that may start it from the case page.
    pub by: Vec<String>,
    /// Its first step.
    pub start: StepId,
}

/// How a citizen's SMS reply becomes a message (`sms_reply:`): see
/// [`crate::api::sms_replies`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReply {
    /// The `phone` data field holding the number the offer went to.
    pub phone: String,
    /// The message's enum field the recognised answer fills.
    pub answer: String,
    /// Each word, normalised ([`SmsReply::normalise`]), with the answer it means.
    pub words: Vec<(String, String)>,
    /// The help SMS's template.
    pub help: String,
    /// The message's `text` field, when it has one: the reply's text as sent.
    pub text: Option<String>,
}

impl SmsReply {
    /// A reply as it is compared with the words: lower case, without the spaces and the
    /// punctuation around and inside it ("Иә!" and " иә " are "иә"; "1." is "1"). Letters
    /// (Kazakh, Russian, Latin) and digits are kept.
    pub fn normalise(reply: &str) -> String {
        reply
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// The answer a reply means, if it is one of the words.
    pub fn recognise(&self, reply: &str) -> Option<&str> {
        let said = Self::normalise(reply);
        if said.is_empty() {
            return None;
        }
        self.words
            .iter()
            .find(|(word, _)| *word == said)
            .map(|(_, answer)| answer.as_str())
    }
}

/// What starts a life event.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// A message of this name.
    Message(String),
    /// The start of the day this expression gives.
    Date(Expr),
}

/// The statutory term of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Its length.
    pub length: Length,
    /// The step whose completion starts it (the acceptance).
    pub starts_after: StepId,
    /// Whether the day of acceptance counts as the first day.
    pub acceptance_day_counts: bool,
    /// Who is told, and when, as the case nears the end of its term.
    pub escalation: Vec<Rung>,
}

/// A length of time in the units the legal texts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Working days of the service's calendar.
    WorkingDays(u32),
    /// Calendar days.
    CalendarDays(u32),
    /// Working minutes of the office (hours are kept as minutes).
    WorkingMinutes(u32),
}

/// When a task is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// This long after the task is created.
    After(Length),
    /// No later than this many working days before the end of the case's term.
    BeforeTermEnd(u32),
}

/// A length of working time as the term check adds it up: whole days and minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct WorkingTime {
    /// Whole working (or calendar) days.
    pub days: u32,
    /// Working minutes, rounded up to days by [`WorkingTime::in_days`].
    pub minutes: u32,
}

impl WorkingTime {
    /// Minutes in a working day: 8 hours, the normal working day of the Labour Code (art. 68).
    pub const MINUTES_PER_DAY: u32 = 8 * 60;

    /// The time a [`Length`] adds to a path. A calendar day is counted as a working day:
    /// N calendar days never hold more than N working days, so the check stays on the safe side.
    pub fn of(length: Length) -> Self {
        match length {
            Length::WorkingDays(d) | Length::CalendarDays(d) => WorkingTime {
                days: d,
                minutes: 0,
            },
            Length::WorkingMinutes(m) => WorkingTime {
                days: 0,
                minutes: m,
            },
        }
    }

    /// The sum of two times.
    pub fn plus(self, other: WorkingTime) -> Self {
        WorkingTime {
            days: self.days.saturating_add(other.days),
            minutes: self.minutes.saturating_add(other.minutes),
        }
    }

    /// Whole working days, minutes rounded up.
    pub fn in_days(self) -> u32 {
        self.days + self.minutes.div_ceil(Self::MINUTES_PER_DAY)
    }
}

/// A data field, a parameter or a message field.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Its type.
    pub ty: Type,
    /// The label on forms.
    pub label: Option<Text>,
    /// A pattern a text value must match.
    pub pattern: Option<String>,
    /// The smallest allowed number.
    pub min: Option<f64>,
    /// The largest allowed number.
    pub max: Option<f64>,
    /// Personal data, masked in logs.
    pub personal: bool,
    /// Several lines of text (`text`, where `string` is one line): a clerk's form gives it
    /// a text area. The expression type is `string` either way.
    pub multiline: bool,
    /// A document that takes a list as CSV text (`format: csv`), not a scan: a file of the
    /// other kind is refused on the form (`runtime::form::check_value`).
    pub csv: bool,
}

/// When the engine starts a case by itself.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// A cron expression read in Asia/Almaty time.
    Cron {
        /// The expression as written.
        expression: String,
        /// The parsed schedule.
        schedule: Box<cron::Schedule>,
        /// What to do on a non-working day.
        on_non_working_day: NonWorkingDay,
    },
    /// Once a period, at an offset the calendar computes.
    Every {
        /// The period.
        period: Period,
        /// For a yearly schedule, the month (1-12).
        month: Option<u32>,
        /// The offset in the period.
        offset: PeriodOffset,
        /// The local time of day, (hour, minute).
        at: (u32, u32),
    },
}

/// Where in a period a calendar-aware schedule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodOffset {
    /// The Nth working day of the period (or of its month).
    WorkingDay(u32),
    /// N calendar days after the previous period ended.
    CalendarDaysAfter(u32),
    /// N working days after the previous period ended.
    WorkingDaysAfter(u32),
}

/// A legal source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The act's official title.
    pub act: String,
    /// Where its text is kept.
    pub file: Option<String>,
    /// The item.
    pub item: String,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// The id in the file.
    pub name: String,
    /// The title, when given.
    pub title: Option<Text>,
    /// The monitoring stage code entered with this step.
    pub stage: Option<String>,
    /// Its legal source.
    pub source: Option<Source>,
    /// Whether the statutory term pauses while the case is here.
    pub pauses_term: bool,
    /// What the step does.
    pub kind: StepKind,
}

/// What a step does, with everything it needs, resolved.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// A clerk's task.
    Task(Task),
    /// A data request through the gateway.
    Request(Request),
    /// A notification.
    Notify {
        /// Who gets it.
        to: Recipient,
        /// The template id.
        template: String,
        /// The channels.
        channels: Vec<NotifyChannel>,
        /// Sent in quiet hours too.
        urgent: bool,
        /// The login whose new temporary password the e-mail carries.
        credentials: Option<Expr>,
        /// Wait until it has gone, and record the day: see [`Receipt`].
        receipt: Option<Receipt>,
        /// The next step.
        next: StepId,
    },
    /// A document from a template.
    Document {
        /// The template id.
        template: String,
        /// What the document is.
        kind: Option<String>,
        /// How many copies are printed (1 unless the form is made in several).
        copies: u32,
        /// The next step.
        next: StepId,
    },
    /// An exclusive decision.
    Decide {
        /// Conditions and their steps, tried in order.
        branches: Vec<(Expr, StepId)>,
        /// The step when no condition holds.
        otherwise: StepId,
    },
    /// A parallel fork.
    Fork {
        /// The first step of each branch.
        branches: Vec<StepId>,
        /// The join where they meet.
        join: StepId,
    },
    /// A join of a fork's branches.
    Join {
        /// The fork.
        fork: StepId,
        /// The next step once every branch has arrived.
        next: StepId,
    },
    /// A timer.
    Wait {
        /// How long, or until when.
        until: WaitFor,
        /// The next step.
        next: StepId,
    },
    /// Waiting for a message.
    Receive {
        /// The message name.
        message: String,
        /// How long to wait.
        timeout: Length,
        /// The date the timeout is counted from; today when `None`.
        counted_from: Option<Expr>,
        /// Data to record from the message.
        store: Vec<(String, Expr)>,
        /// The next step when it arrives.
        next: StepId,
        /// The next step when it does not.
        on_timeout: StepId,
    },
    /// A sub-workflow call.
    Call {
        /// The sub-workflow id.
        workflow: String,
        /// Its parameters.
        with: Vec<(String, Expr)>,
        /// Each of its results, the step it leads to and what it records in the caller's
        /// data when the sub-workflow returns with it.
        outcomes: IndexMap<String, Transition>,
    },
    /// An end.
    End {
        /// The result.
        result: String,
    },
    /// Starts a wave of proactive cases of another service from a list, and goes on.
    Wave {
        /// The service each person on the list gets a case of.
        service: String,
        /// The `document` data field holding the list.
        list: String,
        /// The next step.
        next: StepId,
    },
    /// A living case stays here until a life event takes it on.
    Hold {
        /// The state this names (`active`, `suspended`): what the page and the API say.
        state: String,
        /// The first steps of the events that may start here, with the events' names
        /// (filled once the events are compiled).
        events: Vec<(String, StepId)>,
    },
}

/// How long a timer waits.
#[derive(Debug, Clone)]
pub enum WaitFor {
    /// A length of time.
    Length(Length),
    /// Until the date an expression gives.
    Until(Expr),
    /// Until the start (00:00 local) of the Nth working day after the date an expression
    /// gives: the first day something may happen, where the law counts whole days ("no later
    /// than three working days before the decision").
    WorkingDayAfter {
        /// N.
        days: u32,
        /// The date.
        after: Expr,
    },
}

/// A notice whose sending the case waits for: the day it went is the day the citizen
/// obtained it, from which the citizen's own window runs (APPK art. 73(3), seeds/001 item 12
/// part 3: "within two working days from the date of its obtaining").
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The `date` field that records the day it was sent.
    pub record: String,
    /// The step taken when it cannot go electronically: no e-mail address and no SMS
    /// consent, or every attempt failed.
    pub undelivered: StepId,
}

/// A user task.
#[derive(Debug, Clone)]
pub struct Task {
    /// The role whose queue it goes to.
    pub role: String,
    /// When it is due.
    pub due: Option<Due>,
    /// The escalation ladder.
    pub escalation: Vec<Rung>,
    /// The fields the clerk fills in.
    pub form: Vec<FormField>,
    /// The outcomes the clerk can choose.
    pub outcomes: IndexMap<String, Transition>,
}

/// A field of a task's form.
#[derive(Debug, Clone)]
pub struct FormField {
    /// The data name.
    pub field: String,
    /// Required at all (always, or for `for_outcomes`); `false` when only `required_when`.
    pub required: bool,
    /// Required only for these outcomes; empty means for all.
    pub for_outcomes: Vec<String>,
    /// Required when this condition over the case data and the form's values holds.
    pub required_when: Option<Expr>,
    /// The only value accepted (a consent that must be given).
    pub must_be: Option<bool>,
}

/// Where an outcome leads, and what it records.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The next step.
    pub next: StepId,
    /// Data to record.
    pub set: Vec<(String, Expr)>,
    /// The clerk confirms it before it is taken: it refuses the citizen (`confirm: true`).
    pub confirm: bool,
}

/// One rung of an escalation ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// The share of the time elapsed, in percent.
    pub at_percent: u8,
    /// What to do.
    pub action: RungAction,
}

/// What a rung does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RungAction {
    /// Remind the assignee.
    RemindAssignee,
    /// Notify everyone of a role.
    Notify(String),
    /// Move the task to a role's queue.
    Reassign(String),
}

/// Who a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The citizen who applied.
    Citizen,
    /// Whoever applied, by `applicant.email` and `applicant.phone`: the same addresses as
    /// [`Recipient::Citizen`], named for an internal request filed by staff.
    Applicant,
    /// The clerk working the case's current task.
    Assignee,
    /// The service's support address.
    SupportEmail,
    /// Everyone of a role in the case's region.
    Role(String),
}

/// A data request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The connector id.
    pub connector: String,
    /// Its input fields.
    pub input: Vec<(String, Expr)>,
    /// What to record from the answer.
    pub output: Vec<(String, Expr)>,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// How long one attempt may take.
    pub timeout: Option<Length>,
    /// Tell the support address once the retries are exhausted.
    pub escalate_to_support: bool,
    /// The next step on success.
    pub next: StepId,
    /// The fallback step.
    pub on_failure: StepId,
    /// On which channels the answer may come with the application, signed by the citizen
    /// (`signed_data:`), and the contract it is held to; `None` for a step that always asks.
    pub signed_data: Option<SignedData>,
}

/// A request whose answer the citizen's own request fetched and the citizen signed with the
/// application on some channels (the eGov portal, seeds/001: Semipalatinsk item 3): on a case
/// filed there with that answer, the step takes it instead of asking the gateway.
#[derive(Debug, Clone)]
pub struct SignedData {
    /// The channels whose signed data the step takes.
    pub channels: Vec<Channel>,
    /// The connector's answer fields and their catalog types: a signed answer is held to them
    /// when the application is filed (`runtime::submission::signed`), as a gateway answer is
    /// when it comes (`gateway::mapping`), so one that does not fit is refused before a case
    /// opens, never found wrong at run time.
    pub contract: IndexMap<String, crate::gateway::config::FieldType>,
}

/// How a request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all.
    pub attempts: u32,
    /// Exponential (with jitter) or fixed.
    pub exponential: bool,
    /// The first pause, in seconds.
    pub first_delay_seconds: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            exponential: true,
            first_delay_seconds: 30,
        }
    }
}

impl StepKind {
    /// The kind's name as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Task(_) => "task",
            StepKind::Request(_) => "request",
            StepKind::Notify { .. } => "notify",
            StepKind::Document { .. } => "document",
            StepKind::Decide { .. } => "decide",
            StepKind::Fork { .. } => "fork",
            StepKind::Join { .. } => "join",
            StepKind::Wait { .. } => "wait",
            StepKind::Receive { .. } => "receive",
            StepKind::Call { .. } => "call",
            StepKind::End { .. } => "end",
            StepKind::Hold { .. } => "hold",
            StepKind::Wave { .. } => "wave",
        }
    }

    /// Every step this one can lead to, with a label for the diagram (the outcome or condition).
    pub fn successors(&self) -> Vec<(StepId, Option<String>)> {
        match self {
            StepKind::Task(task) => task
                .outcomes
                .iter()
                .map(|(name, t)| (t.next, Some(name.clone())))
                .collect(),
            StepKind::Request(r) => vec![(r.next, None), (r.on_failure, Some("failure".into()))],
            StepKind::Notify {
                next,
                receipt: Some(r),
                ..
            } => vec![(*next, None), (r.undelivered, Some("undelivered".into()))],
            StepKind::Notify { next, .. }
            | StepKind::Document { next, .. }
            | StepKind::Join { next, .. }
            | StepKind::Wait { next, .. }
            | StepKind::Wave { next, .. } => vec![(*next, None)],
            StepKind::Decide {
                branches,
                otherwise,
            } => branches
                .iter()
                .map(|(e, s)| (*s, Some(e.source().to_string())))
                .chain([(*otherwise, Some("otherwise".into()))])
                .collect(),
            StepKind::Fork { branches, .. } => branches.iter().map(|s| (*s, None)).collect(),
            StepKind::Receive {
                next, on_timeout, ..
            } => {
                vec![
                    (*next, Some("received".into())),
                    (*on_timeout, Some("timeout".into())),
                ]
            }
            StepKind::Call { outcomes, .. } => outcomes
                .iter()
                .map(|(name, t)| (t.next, Some(name.clone())))
                .collect(),
            StepKind::End { .. } => vec![],
            StepKind::Hold { events, .. } => events
                .iter()
                .map(|(name, start)| (*start, Some(name.clone())))
                .collect(),
        }
    }
}
