//! The raw form of a workflow file: structs that mirror the YAML a methodologist writes.
//!
//! These types only describe shape. They are the source of the JSON Schema (`qyzmet schema`,
//! which editors use for completion and hover: the doc comments below are what a
//! methodologist reads there), and serde fills them after the schema check has passed.
//! Meaning — which step follows which, which names exist, how long a path takes — is
//! checked in `validate` and lives in the compiled form; **the runtime never sees these types**.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

/// A text in both languages of the service: every title a clerk or citizen reads has both.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// A workflow file: one version of a state service, or a shared sub-workflow (e.g. the hearing).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "qyzmet workflow definition")]
pub struct Workflow {
    /// The id of the state service, e.g. `rehabilitated-person-certificate`. All versions of
    /// a service share it. Give either `service` or `subworkflow`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub service: Option<String>,
    /// The id of a shared sub-workflow (e.g. `hearing`) that services `call`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub subworkflow: Option<String>,
    /// The version label, usually the date the amending order takes effect: `2026-04-13`.
    pub version: String,
    /// The first day this version applies to new cases (YYYY-MM-DD). Cases already running
    /// keep the version they started under.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub effective_from: String,
    /// The last day this version applies to new cases (YYYY-MM-DD), inclusive. The next
    /// version must start the day after.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub effective_until: Option<String>,
    /// The service's name as the register of state services gives it.
    pub title: Text,
    /// A short name for what has little room: SMS texts and e-mail subjects (at most
    /// 40 characters in each language), e.g. `{ kk: "Ақталған адамның куәлігі", ru:
    /// "Удостоверение реабилитированного" }`. Without it they print `title`.
    pub short_title: Option<Text>,
    /// The legal acts this definition follows, by a short id steps refer to in `source`.
    #[serde(default)]
    pub basis: IndexMap<String, Act>,
    /// The statutory term of the service. Required for a service.
    pub term: Option<Term>,
    /// The working-day calendar deadlines are counted in (a folder under `calendars/`).
    #[serde(default = "default_calendar")]
    pub calendar: String,
    /// Where citizens may apply.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// The staff roles that may open a case (`POST /cases`): by default the front-office
    /// operator, who accepts citizens' applications (seeds/004 item 6). An internal service
    /// names its own, e.g. the head of department who signs an access request (seeds/003
    /// appendix 2).
    #[serde(default)]
    pub submitted_by: Vec<String>,
    /// The application as it is filed: its fields in order, as on a task's form (a name
    /// alone is required; `{ field, required: false }` is optional). A submission is
    /// checked against it, every mistake named by field, and the staff who file it get a
    /// page with this form. Without it, a submission is taken as sent.
    #[serde(default)]
    pub application: Vec<FormField>,
    /// The `request` step whose answer fills the application at the desk, e.g.
    /// `application_prefill: fetch_person`: the clerk types the IIN, presses "Fill from GBD
    /// FL", and the step's connector is asked with its `input` (which may read only fields of
    /// the application) and its `output` fills the application's fields still empty (its
    /// other outputs are left for the step itself, which still runs after acceptance).
    pub application_prefill: Option<String>,
    /// The service's support address for technical failures of its digital systems
    /// (seeds/001 items 13, 14, 17).
    pub support_email: Option<String>,
    /// The ends a case of this workflow can reach. Services default to
    /// `issued`, `refused`, `not_accepted`, `withdrawn`; a sub-workflow lists its own, and
    /// the calling step maps each to its next step.
    #[serde(default)]
    pub results: Vec<String>,
    /// Values a sub-workflow receives from the calling step (`call.with`), by name and type.
    #[serde(default)]
    pub parameters: IndexMap<String, Field>,
    /// The case data: every value a step reads or writes, by a dotted name
    /// (`applicant.iin`), with its type and labels.
    #[serde(default)]
    pub data: IndexMap<String, Field>,
    /// Messages the case can receive from outside (e.g. the citizen's objection), with their fields.
    #[serde(default)]
    pub messages: IndexMap<String, Message>,
    /// For proactive and periodic work: when the engine starts a case by itself.
    pub schedule: Option<Schedule>,
    /// What may happen to a case while it holds (a `hold` step: a payment that lives for
    /// years): each event, started by a message or when a date comes, runs its own steps
    /// from `start` and comes back to a hold or ends the case. See `workflows/README.md`,
    /// "Life events".
    #[serde(default)]
    pub events: IndexMap<String, LifeEvent>,
    /// The data a living case is known by — a payment's amount, the date it runs from —,
    /// shown at the top of its page and in the API, each change kept with its date and the
    /// event that made it (the payment's amount history).
    #[serde(default)]
    pub record: Vec<String>,
    /// The first step.
    pub start: String,
    /// The steps, by id. Ids are lower_snake_case and read like what the step does.
    pub steps: IndexMap<String, Step>,
}

fn default_calendar() -> String {
    "kz".to_string()
}

/// A legal act a definition follows.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Act {
    /// Its official title, e.g. "Order No. 113 of 01.04.2026".
    pub title: String,
    /// Where its text is kept in this repository or publicly, e.g. `seeds/004`.
    pub file: Option<String>,
}

/// The legal source of a rule: an act from `basis` and the item in it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A key of `basis`.
    pub act: String,
    /// The item, e.g. `item 12` or `appendix 2, row 5`.
    pub item: String,
}

/// The statutory term: how long the provider has from acceptance to the result.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// The term in working days. Give this or `calendar_days`.
    pub working_days: Option<u32>,
    /// The term in calendar days.
    pub calendar_days: Option<u32>,
    /// The step whose completion starts the term (the acceptance). Defaults to `start`.
    pub starts_after: Option<String>,
    /// Whether the day of acceptance counts as the first day. The rules usually say it does
    /// not ("the day of acceptance does not count", seeds/004 appendix 2 row 5).
    #[serde(default)]
    pub acceptance_day_counts: bool,
    /// Where the term is set.
    pub source: Option<Source>,
    /// Who is told, and when, as the case nears the end of its term.
    #[serde(default)]
    pub escalation: Vec<Rung>,
}

/// A place a citizen applies through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The State Corporation "Government for Citizens" front office.
    StateCorporation,
    /// The eGov portal.
    EgovPortal,
    /// The service provider itself.
    Provider,
    /// The unified accumulative pension fund.
    Enpf,
    /// No application: the engine starts the case itself (proactive service).
    Proactive,
    /// Filed by staff inside the ministry's own systems (an access request, seeds/003
    /// item 19), not by a citizen.
    Internal,
}

impl Channel {
    /// The name as the files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::StateCorporation => "state_corporation",
            Channel::EgovPortal => "egov_portal",
            Channel::Provider => "provider",
            Channel::Enpf => "enpf",
            Channel::Proactive => "proactive",
            Channel::Internal => "internal",
        }
    }
}

/// A value's type, as a methodologist names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeName {
    /// A line of text.
    String,
    /// Several lines of text.
    Text,
    /// A whole number.
    Int,
    /// A number with a fraction, exact (a rate, a coefficient); for amounts, `money`.
    Decimal,
    /// An amount in tenge, with two digits of tiyn: typed `1 850 000,50`, printed with
    /// `{{money x}}`.
    Money,
    /// Yes or no.
    Bool,
    /// A date, YYYY-MM-DD.
    Date,
    /// An individual identification number: 12 digits with a control digit.
    Iin,
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// One of the `values` listed.
    Enum,
    /// A scanned or generated document.
    Document,
}

/// A data field (or a parameter): its type, its labels and its rules. Write just the type
/// (`applicant.iin: iin`) when nothing else is needed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Field {
    /// Only the type.
    Short(TypeName),
    /// The type and more.
    Full(FieldSpec),
}

/// The full form of a data field.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The type.
    #[serde(rename = "type")]
    pub ty: TypeName,
    /// The label a clerk sees on a form.
    pub label: Option<Text>,
    /// For `enum`: the allowed values.
    #[serde(default)]
    pub values: Vec<String>,
    /// For text: a regular expression the value must match.
    pub pattern: Option<String>,
    /// For numbers: the smallest allowed value.
    pub min: Option<f64>,
    /// For numbers: the largest allowed value.
    pub max: Option<f64>,
    /// Personal data (names, addresses): masked in logs and shown only to those who may see it.
    /// IINs and phones are always personal.
    #[serde(default)]
    pub personal: bool,
    /// For `document`: what file it takes — a scan (PDF, JPEG or PNG; the default) or `csv`,
    /// a list as text (the reconciliation's list of people for a proactive `wave`).
    pub format: Option<DocumentFormat>,
}

/// What file a document field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    /// A scan: PDF, JPEG or PNG, by its content.
    Scan,
    /// A list as CSV text: a `.csv` file of UTF-8 text with a header line.
    Csv,
}

/// A message from outside that a case can wait for.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// What the message is, for the case history.
    pub title: Option<Text>,
    /// Its fields and their types.
    #[serde(default)]
    pub fields: IndexMap<String, Field>,
    /// The citizen may give this message by answering an SMS (the proactive offer's consent,
    /// seeds/001, ENPF rules item 16): the aggregator posts the reply, the engine finds the
    /// case waiting for this message from that number and delivers it with the answer the
    /// reply's words say.
    pub sms_reply: Option<SmsReply>,
}

/// How an SMS reply becomes a message: whose number, which field the recognised answer fills,
/// the words of each answer, and the SMS sent back for anything else.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsReply {
    /// The `phone` data field holding the number the offer went to, e.g. `applicant.phone`.
    pub phone: String,
    /// The message's `enum` field the recognised answer fills; its values are exactly the
    /// keys of `words`.
    pub answer: String,
    /// Each answer's words: a reply is recognised when the whole of it, case, surrounding
    /// spaces and punctuation ignored, is one of them, e.g. `consent: ["иә", "да", "1"]`.
    pub words: IndexMap<String, Vec<String>>,
    /// The template of the SMS sent back for a reply that is none of the words (it says how
    /// to answer); the case keeps waiting.
    pub help: String,
}

/// A life event of a case that holds: what starts it, while the case is where, and its steps.
/// Give `message` or `date`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifeEvent {
    /// What the event is, on the clerk's pages and in the history ("Increase of the payment").
    pub title: Option<Text>,
    /// Its legal source.
    pub source: Option<Source>,
    /// The message (declared in `messages`) that starts it: a clerk on the case page, a
    /// system through the API, or a mass event for every case at once.
    pub message: Option<String>,
    /// A date in the case (an expression) on whose start the event begins by itself, e.g.
    /// `"payment.capacity_until"`: the day a term of disability ends.
    pub date: Option<String>,
    /// The `hold` steps the case must be at for the event to start. A message that comes while
    /// the case is busy with another event waits until it is back at one of them; one for a
    /// hold the case is not at is refused, saying where the case is.
    pub during: Vec<String>,
    /// A key a case takes the event once for, from the message: `"message.act_number"` — a
    /// second increase under the same act is refused as already taken, so a mass event
    /// repeated (or resumed after a crash) touches no case twice.
    pub once_per: Option<String>,
    /// Data to record from the message, as a `receive` step's `store`.
    #[serde(default)]
    pub store: IndexMap<String, String>,
    /// The roles that may start it from the case page. Without it, only through the API.
    #[serde(default)]
    pub by: Vec<String>,
    /// The event's first step.
    pub start: String,
}

/// When the engine starts a case by itself. Give `cron`, or `every` with its offset.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// A cron expression with seconds (`sec min hour day-of-month month day-of-week`),
    /// read in Asia/Almaty time: `0 0 9 1 3 *` is 09:00 on 1 March.
    pub cron: Option<String>,
    /// A calendar period: the case starts once in each (`quarter`: "10 calendar days after
    /// each quarter"; `year` with `month`: "the first working day of March").
    pub every: Option<Period>,
    /// With `every`: for a month (1-12) of a yearly schedule.
    pub month: Option<u32>,
    /// With `every`: the Nth working day of the period (or of `month`).
    pub working_day: Option<u32>,
    /// With `every`: N calendar days after the end of the previous period.
    pub calendar_days_after: Option<u32>,
    /// With `every`: N working days after the end of the previous period.
    pub working_days_after: Option<u32>,
    /// With `every`: the local time of day, HH:MM. Defaults to 09:00.
    pub at: Option<String>,
    /// With `cron`: what to do when an occurrence falls on a non-working day.
    #[serde(default)]
    pub on_non_working_day: NonWorkingDay,
}

/// A calendar period for a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Each calendar month.
    Month,
    /// Each calendar quarter.
    Quarter,
    /// Each calendar year.
    Year,
}

/// What a cron schedule does on a non-working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NonWorkingDay {
    /// Start anyway.
    #[default]
    Run,
    /// Skip that occurrence.
    Skip,
    /// Start on the next working day instead.
    NextWorkingDay,
}

/// A length of time, or a point in time, for deadlines, timers and timeouts.
/// Write exactly one, e.g. `{ working_days: 2 }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Duration {
    /// N working days, counted from the next working day.
    WorkingDays(u32),
    /// N calendar days.
    CalendarDays(u32),
    /// N working hours of the office.
    WorkingHours(u32),
    /// N working minutes of the office (front-office norms: 15 minutes' wait, 20 minutes' service).
    Minutes(u32),
    /// For a task's `due`: no later than N working days before the end of the case's term
    /// ("no later than 3 working days before the decision", APPK art. 73, seeds/001 item 12).
    WorkingDaysBeforeTermEnd(u32),
    /// For a `wait`: until the date an expression gives.
    Until(String),
    /// For a `wait`: until the start of the Nth working day after a date, e.g. the first day
    /// a decision may be made after a notice (`{ working_days: 3, after: "notice.received_on" }`:
    /// "no later than three working days before the decision", APPK art. 73(2)).
    UntilWorkingDay(WorkingDayAfter),
}

/// The Nth working day after the date an expression gives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingDayAfter {
    /// How many working days after the date, counted from the next working day.
    pub working_days: u32,
    /// An expression giving the date, e.g. `"notice.received_on"`.
    pub after: String,
}

/// One step of the process. Give exactly one kind: `task`, `request`, `notify`,
/// `document`, `decide`, `fork`, `join`, `wait`, `receive`, `call`, `end`, `hold` or `wave`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step is called in the case history and on the clerk's pages.
    pub title: Option<Text>,
    /// The stage code reported to the digital monitoring system when the case enters this
    /// step (seeds/001 items 16, 17; seeds/004 item 16). Must be in the catalog.
    pub stage: Option<String>,
    /// The legal source of this step, so a clerk and an auditor can see why it exists.
    pub source: Option<Source>,
    /// The statutory term is paused while the case is in this step (it waits on the citizen),
    /// and resumes with the time already used.
    #[serde(default)]
    pub pauses_term: bool,

    /// A user task: a clerk of a role does something and chooses an outcome.
    pub task: Option<Task>,
    /// A data request through the gateway.
    pub request: Option<Request>,
    /// A notification to the citizen or to staff.
    pub notify: Option<Notify>,
    /// A document rendered from a template and attached to the case.
    pub document: Option<Document>,
    /// An exclusive decision: the first branch whose `when` holds, else `otherwise`.
    pub decide: Option<Vec<Branch>>,
    /// A parallel fork: the listed steps run at once; their branches meet at a `join`.
    pub fork: Option<Vec<String>>,
    /// A join: waits until every branch of the named fork has arrived.
    pub join: Option<String>,
    /// A timer: the case waits this long, or until a date.
    pub wait: Option<Duration>,
    /// Wait for a message, with a timeout.
    pub receive: Option<Receive>,
    /// A call of a shared sub-workflow; its results map to next steps in `outcomes`.
    pub call: Option<Call>,
    /// An end of the case, with its result.
    pub end: Option<String>,
    /// A living case stays here, in the state this names (`active`, `suspended`), until one
    /// of the `events` that lists the step in `during` takes it on. Only in a service.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub hold: Option<String>,
    /// Starts a wave of proactive cases of another service, one per person of a list (the
    /// ENPF recipients after the reconciliation, seeds/001 ENPF rules item 16), and goes on to
    /// `next` at once: the cases are opened in the background.
    pub wave: Option<Wave>,

    /// The next step (for every kind but `decide`, `fork`, `end`, and those with `outcomes`).
    pub next: Option<String>,
    /// For `task` and `call`: each outcome (or sub-workflow result) and where it leads.
    #[serde(default)]
    pub outcomes: IndexMap<String, Outcome>,
    /// For `request`: what happens when the retries are exhausted.
    pub on_failure: Option<OnFailure>,
    /// For `receive`: the step taken when no message came in time.
    pub on_timeout: Option<String>,
    /// For a `notify` with `record_sent_on`: the step taken when the notice cannot reach the
    /// citizen electronically (no e-mail, no SMS consent, or every attempt failed), e.g. a
    /// clerk's task to hand it over.
    pub on_undelivered: Option<String>,
    /// For `request`: the channels (e.g. `[egov_portal]`) on which the citizen's own request
    /// fetched this answer and the citizen signed it with the application (seeds/001:
    /// Semipalatinsk item 3, social assistance item 6, home education item 6, ENPF item 2).
    /// On a case filed through one of them whose signed data hold an answer of the step's
    /// connector, that answer is mapped by `output` and the case goes to `next` at once: no
    /// gateway request, no `on_failure`. Otherwise the step requests as usual.
    #[serde(default)]
    pub signed_data: Vec<Channel>,
}

/// A user task.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// The role whose queue the task goes to (see the catalog).
    pub role: String,
    /// How long the clerk has.
    pub due: Option<Duration>,
    /// Who is told, and when, as the due time nears: `- { at: 50%, remind: assignee }`.
    #[serde(default)]
    pub escalation: Vec<Rung>,
    /// The data fields the clerk fills in, by their names in `data`.
    #[serde(default)]
    pub form: Vec<FormField>,
}

/// One rung of an escalation ladder: at a share of the time, remind, notify or reassign.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// The share of the allowed time elapsed, e.g. `50%`.
    #[schemars(regex(pattern = r"^\d{1,3}%$"))]
    pub at: String,
    /// Remind the `assignee`.
    pub remind: Option<String>,
    /// Notify everyone of a role, e.g. `head_of_department`.
    pub notify: Option<String>,
    /// Move the task to the queue of a role.
    pub reassign: Option<String>,
}

/// A field on a task's form: a data name, or `{ field: name, required: false }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FormField {
    /// A required field.
    Name(String),
    /// A field with options.
    Full(FormFieldSpec),
}

/// The full form of a form field.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormFieldSpec {
    /// The data name.
    pub field: String,
    /// Whether the clerk must fill it in. Defaults to yes.
    #[serde(default = "yes")]
    pub required: bool,
    /// Required only for these outcomes (e.g. the reasons, only for `refuse`).
    #[serde(default)]
    pub for_outcomes: Vec<String>,
    /// Required only when this condition over the form and the case data holds, e.g. the
    /// power of attorney `"application.by_representative"` (with `required: false`).
    pub required_when: Option<String>,
    /// The only value the form takes, e.g. a consent that must be given: `must_be: true`.
    pub must_be: Option<bool>,
}

fn yes() -> bool {
    true
}

/// Where an outcome leads: a step id, or `{ next: step, set: { name: expression } }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Outcome {
    /// The next step.
    Next(String),
    /// The next step and values to record.
    Full(OutcomeSpec),
}

/// The full form of an outcome.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    /// The next step.
    pub next: String,
    /// Data to record when this outcome is chosen: data name → expression.
    #[serde(default)]
    pub set: IndexMap<String, String>,
    /// Whether the clerk must confirm this outcome before it is taken: `confirm: true` on
    /// an outcome that refuses the citizen (a refusal to accept, a provisional refusal, a
    /// refusal upheld). The task page then shows what was filled in and asks "Yes, refuse" or
    /// "Back to the form", so that no citizen is refused by a slip of the mouse. Only on a
    /// task's outcome: a call's result is not chosen by a clerk.
    #[serde(default)]
    pub confirm: bool,
}

/// A data request through the gateway.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The connector, as the catalog names it, e.g. `gbd_fl.person`.
    pub connector: String,
    /// The request's fields: connector input name → expression over the case data.
    #[serde(default)]
    pub input: IndexMap<String, String>,
    /// What to record from the answer: data name → expression over `response`.
    #[serde(default)]
    pub output: IndexMap<String, String>,
    /// How often and how patiently to retry.
    pub retry: Option<Retry>,
    /// How long one attempt may take.
    pub timeout: Option<Duration>,
}

/// A retry policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// How the pause between attempts grows.
    #[serde(default)]
    pub backoff: Backoff,
    /// The first pause, in seconds.
    #[serde(default = "default_first_delay")]
    pub first_delay_seconds: u32,
}

fn default_first_delay() -> u32 {
    30
}

/// How the pause between attempts grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    /// Doubles each time, with jitter.
    #[default]
    Exponential,
    /// The same each time.
    Fixed,
}

/// What a request does once its retries are exhausted.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnFailure {
    /// Tell the service's support address at once (seeds/001 items 13, 14, 17): `support_email`.
    #[serde(default)]
    pub escalate: Vec<String>,
    /// The fallback step, e.g. the clerk takes the documents from the citizen.
    pub next: String,
}

/// A notification.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// `citizen`, `applicant` (whoever applied, by `applicant.email`: a citizen, or the
    /// staff member who filed an internal request), `assignee`, `support_email`, or a role.
    pub to: String,
    /// The template id: a folder under `templates/` with a file per language and channel.
    pub template: String,
    /// The channels, e.g. `[sms, email]`. SMS go only with the citizen's consent.
    pub channels: Vec<NotifyChannel>,
    /// Sent even in the quiet hours (22:00–08:00).
    #[serde(default)]
    pub urgent: bool,
    /// The login (an expression, e.g. `"user.login"`) of an account whose new temporary
    /// password this e-mail carries (seeds/003 items 20, 22): the engine sets a fresh one
    /// when it sends, gives it to the template as `temporary_password`, and keeps it nowhere.
    /// E-mail only.
    pub credentials: Option<String>,
    /// Wait until the notice has gone (a quiet-hours SMS goes in the morning) and record that
    /// day in this `date` field: the day the citizen obtained it, from which a window such as
    /// the objection's runs (APPK art. 73(3)). Needs `on_undelivered` on the step.
    pub record_sent_on: Option<String>,
}

/// A notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyChannel {
    /// A text message.
    Sms,
    /// An e-mail.
    Email,
}

/// A document rendered from a template.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The template id: a folder under `templates/`.
    pub template: String,
    /// What the document is, e.g. `receipt`, `decision`.
    pub kind: Option<String>,
    /// How many copies are printed, when the form says it is made in several (the receipt
    /// of refusal to accept: "in 2 copies, one for each party", seeds/004 appendix 3). The
    /// PDF and the print view repeat the document, each copy from a new page; 1 when absent.
    #[schemars(range(min = 1, max = 10))]
    pub copies: Option<u32>,
}

/// A branch of a decision: `- { when: "expression", next: step }`, last `- otherwise: step`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// A condition over the case data.
    pub when: Option<String>,
    /// The step taken when the condition holds.
    pub next: Option<String>,
    /// The step taken when no condition above holds.
    pub otherwise: Option<String>,
}

/// Waiting for a message.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receive {
    /// The message, by its name in `messages`.
    pub message: String,
    /// How long to wait (e.g. the objection window: 2 working days, APPK art. 73).
    pub timeout: Duration,
    /// The date the timeout is counted from, when not today: an expression, e.g.
    /// `"notice.received_on"` ("within two working days from the day of its obtaining").
    pub counted_from: Option<String>,
    /// What to record from the message: data name → expression over `message`.
    #[serde(default)]
    pub store: IndexMap<String, String>,
}

/// A wave of proactive cases.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    /// The service each person gets a case of: one whose `channels` include `proactive` and
    /// whose application needs nothing but `applicant.iin` and `applicant.phone`.
    pub service: String,
    /// The `document` field of this case holding the list: a CSV in UTF-8, header
    /// `iin;phone` (optionally `;language`, `kk` or `ru`), `;` or `,` between the columns.
    pub list: String,
}

/// A call of a shared sub-workflow.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The sub-workflow's id.
    pub workflow: String,
    /// Its parameters: name → expression over the case data.
    #[serde(default)]
    pub with: IndexMap<String, String>,
}
