//! The scenario file as written: structs that mirror the YAML and only check its shape.
//!
//! Every struct denies unknown fields, so a misspelt key is reported at its line and
//! column with a "did you mean". What the names mean (a step that exists, an outcome of
//! that task, a connector the service calls) is checked in `compile.rs`, against the
//! definition the scenario runs.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub use crate::notify::config::Localized;
use crate::runtime::Language;

/// A scenario file: `workflows/<service>/scenarios/<name>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows, in one sentence: its title in `qyzmet test`.
    pub scenario: String,
    /// The service id; the version run is the one in force on the day of `now`.
    pub service: String,
    /// When the scenario starts, in the local time of the service's calendar
    /// (`2026-11-23T10:00`). The clock moves only with `advance`.
    pub now: String,
    /// The registration number the first case gets (default `TEST-000001`); each next case
    /// gets the next number (`TEST-000002`), unless its `submit` gives its own.
    #[serde(default)]
    pub number: Option<String>,
    /// The people behind the clerks' logins (`by:`), as documents name them:
    /// `operator1: { full_name: "Сейітова Айгерім", position: { kk: …, ru: … } }`. A login
    /// not listed is printed as itself, and a position not given is the title of the role
    /// the task was for.
    #[serde(default)]
    pub staff: IndexMap<String, Staff>,
    /// What happens, in order, and what must hold in between.
    pub steps: Vec<Step>,
}

/// A clerk of the scenario, as the accounts table would hold them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// The person's full name, as the account holds it.
    pub full_name: String,
    /// The position printed under the name, in both languages; by default the title of the
    /// role the task was for.
    #[serde(default)]
    pub position: Option<Localized>,
}

/// One step of a scenario: exactly one action. Every action but `submit`, `case`, `advance`
/// and `broadcast` acts on the current case: the one the last `submit` opened, or the one the
/// last `case` turned to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A citizen applies: a case opens and becomes the current one (the first step is one).
    #[serde(default)]
    pub submit: Option<Submit>,
    /// Turns to another case opened before, by its name (`case: second`, `case: 1`).
    #[serde(default, deserialize_with = "name")]
    pub case: Option<String>,
    /// A clerk completes the open task of a step with an outcome and a form.
    #[serde(default)]
    pub complete: Option<Complete>,
    /// A pending gateway request is answered.
    #[serde(default)]
    pub answer: Option<Answer>,
    /// A pending gateway request fails after all its retries.
    #[serde(default)]
    pub fail: Option<Fail>,
    /// Time passes; every timer that comes due fires, in order.
    #[serde(default)]
    pub advance: Option<Advance>,
    /// A message arrives (the citizen's objection).
    #[serde(default)]
    pub message: Option<Message>,
    /// A message that starts a life event arrives at every case of the scenario, in order,
    /// as the server's mass event delivers it (a law raises every payment).
    #[serde(default)]
    pub broadcast: Option<Broadcast>,
    /// The citizen withdraws the application (`withdraw: {}`).
    #[serde(default, deserialize_with = "present")]
    pub withdraw: Option<Option<Withdraw>>,
    /// The citizen answers an SMS offer (`sms_reply: { text: "Иә" }`): the reply is read as
    /// the server reads it (the message's `sms_reply:` words) and the message waited for is
    /// delivered, or the help SMS goes and the case keeps waiting.
    #[serde(default)]
    pub sms_reply: Option<SmsReplyStep>,
    /// What must hold now.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// The engine must reject this step with a message containing this text (a form
    /// mistake, an event for a closed case).
    #[serde(default)]
    pub expect_error: Option<String>,
}

/// `Some(None)` for a key written with no value (`withdraw:`), `None` for a key not written.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A name written as text or as a number (`case: 2`): its text.
fn name<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Name {
        Text(String),
        Number(u64),
    }
    Ok(Option::<Name>::deserialize(d)?.map(|n| match n {
        Name::Text(s) => s,
        Name::Number(n) => n.to_string(),
    }))
}

/// The application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// The case's name in the scenario, for `case:` (default: its place among the cases,
    /// `1`, `2`, …).
    #[serde(default, deserialize_with = "name")]
    pub name: Option<String>,
    /// Its registration number (default: the scenario's `number`, counted on per case).
    #[serde(default)]
    pub number: Option<String>,
    /// The application's language, `kk` or `ru`: every message goes out in it.
    pub language: Language,
    /// Whether the citizen consented to SMS notification.
    #[serde(default)]
    pub sms_consent: bool,
    /// Where it was filed (default: the first of the service's channels).
    #[serde(default)]
    pub channel: Option<String>,
    /// The region whose clerks work the case (default `almaty`).
    #[serde(default)]
    pub region: Option<String>,
    /// The data given with the application, by data name (`applicant.iin: "520315400126"`).
    #[serde(default)]
    pub data: IndexMap<String, Value>,
    /// The state systems' answers the citizen signed with the application (the eGov portal),
    /// by connector: `gbd_fl.person: { last_name: …, … }`. A request step whose
    /// `signed_data` lists the case's channel takes its connector's answer from here and asks
    /// nothing; each answer is held to its connector's contract when the case opens.
    #[serde(default)]
    pub signed_data: IndexMap<String, Value>,
}

/// A clerk completes a task.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complete {
    /// The step of the task, as a path: `review`, or `provisional_refusal_hearing/hold_hearing`
    /// for a step of a called sub-workflow.
    pub step: String,
    /// The outcome the clerk picks.
    pub outcome: String,
    /// The form's fields, by data name.
    #[serde(default)]
    pub form: IndexMap<String, Value>,
    /// The clerk's login (default `clerk`).
    #[serde(default)]
    pub by: Option<String>,
}

/// A gateway request answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The connector of the pending request (`gbd_fl.person`).
    pub connector: String,
    /// The request's step, when two requests to the connector are pending.
    #[serde(default)]
    pub step: Option<String>,
    /// The answer's fields, as the connector's contract names them.
    #[serde(default)]
    pub response: IndexMap<String, Value>,
}

/// A gateway request fails for good.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fail {
    /// The connector of the pending request.
    pub connector: String,
    /// The request's step, when two requests to the connector are pending.
    #[serde(default)]
    pub step: Option<String>,
    /// What went wrong, as the support e-mail will say.
    pub error: String,
    /// The attempts made (default: all the step's retry policy allows).
    #[serde(default)]
    pub attempts: Option<u32>,
}

/// How far the clock moves: exactly one key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// To the same time of day, this many working days later.
    #[serde(default)]
    pub working_days: Option<u32>,
    /// To the same time of day, this many calendar days later.
    #[serde(default)]
    pub calendar_days: Option<u32>,
    /// This many hours later (clock hours, not working hours).
    #[serde(default)]
    pub hours: Option<u32>,
    /// This many minutes later.
    #[serde(default)]
    pub minutes: Option<u32>,
    /// To this local date and time (`2026-11-26T18:00`).
    #[serde(default)]
    pub until: Option<String>,
}

/// The citizen's SMS reply, found its case as the server finds it: by the number it comes
/// from, the case that entered its wait for a reply from that number last.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsReplyStep {
    /// What the citizen wrote.
    pub text: String,
    /// The case the reply must reach, by its name (`case: 2`), turned to as `case:` turns
    /// (default: the current case).
    #[serde(default, deserialize_with = "name")]
    pub case: Option<String>,
    /// The number it comes from, written as the aggregator reports it (`8 701 …`, `+7 701 …`)
    /// (default: the number the case's offer went to, its `sms_reply: phone` field).
    #[serde(default)]
    pub from: Option<String>,
}

/// A message arrives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Its name, as the definition's `messages:` declares it.
    pub name: String,
    /// Its fields.
    #[serde(default)]
    pub payload: IndexMap<String, Value>,
    /// Who sent it: `citizen` (the default) or a clerk's login.
    #[serde(default)]
    pub by: Option<String>,
}

/// A message that starts a life event, for every case at once: a mass event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// The message, as the definition's `messages:` declares it; an event starts by it.
    pub message: String,
    /// Its fields.
    #[serde(default)]
    pub payload: IndexMap<String, Value>,
    /// Who entered the mass event: a login (default `administrator`).
    #[serde(default)]
    pub by: Option<String>,
}

/// The citizen withdraws.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Who recorded it: `citizen` (the default) or a clerk's login.
    #[serde(default)]
    pub by: Option<String>,
}

/// What must hold. Each key is checked in the order written; the first that does not hold
/// stops the scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `active`, `completed` or `withdrawn`.
    #[serde(default)]
    pub status: Option<String>,
    /// The state of a living case: the `hold:` of the step it rests at (`active`,
    /// `suspended`), or its result once it ended after holding (`terminated`).
    #[serde(default)]
    pub state: Option<String>,
    /// The case has ended with this result (`issued`, `refused`, `withdrawn`).
    #[serde(default)]
    pub result: Option<String>,
    /// The last day of the statutory term (`2026-11-30`).
    #[serde(default)]
    pub term_due: Option<String>,
    /// Every step the case waits at now, by path; `[]` once it has ended.
    #[serde(default)]
    pub waiting_at: Option<Vec<String>>,
    /// An open task: its step, and optionally its role and due time.
    #[serde(default)]
    pub task: Option<TaskExpect>,
    /// A pending timer: its step and due time (a wait, or the end of a window for a message).
    #[serde(default)]
    pub timer: Option<TimerExpect>,
    /// Notifications sent so far, each exactly once (or `times`).
    #[serde(default)]
    pub notified: Option<Vec<Notified>>,
    /// Documents rendered so far, each exactly once: a template, or a map with `template`.
    #[serde(default)]
    pub documents: Option<Vec<DocumentExpect>>,
    /// Stage codes reported so far, in this order (others may come between them).
    #[serde(default)]
    pub stages: Option<Vec<String>>,
    /// Case data, by name (`applicant.full_name`); a sub-workflow's data by its call
    /// step (`provisional_refusal_hearing/objection.text`). `null` means not set.
    #[serde(default)]
    pub data: Option<IndexMap<String, Value>>,
    /// Words the texts of a template rendered so far must (or must not) contain.
    #[serde(default)]
    pub rendered: Option<RenderedExpect>,
    /// What the last `broadcast` did, counted over the cases: each count given must match.
    #[serde(default)]
    pub broadcast: Option<BroadcastExpect>,
    /// Connectors the case has asked the gateway so far, each at least once.
    #[serde(default)]
    pub requested: Option<Vec<String>>,
    /// Connectors the case has not asked the gateway so far (e.g. an answer taken from the
    /// citizen's signed data instead).
    #[serde(default)]
    pub not_requested: Option<Vec<String>>,
    /// `notified`, `documents` and `stages` list everything so far, with nothing else.
    #[serde(default)]
    pub exactly: bool,
}

/// What the last broadcast did: how many cases started the event, kept the message for when
/// they are back at a hold, refused it as taken already (`once_per`), or refused it as not
/// applicable where they are.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastExpect {
    /// Cases that started the event.
    #[serde(default)]
    pub started: Option<u32>,
    /// Cases busy with another event, which keep the message for later.
    #[serde(default)]
    pub kept: Option<u32>,
    /// Cases that had taken the event under this key already.
    #[serde(default)]
    pub duplicate: Option<u32>,
    /// Cases where the event does not apply now (not at one of its holds).
    #[serde(default)]
    pub not_now: Option<u32>,
}

/// An open task.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskExpect {
    /// Its step, by path.
    pub step: String,
    /// The role whose queue it is in.
    #[serde(default)]
    pub role: Option<String>,
    /// When it is due: a local date and time (`2026-11-23T10:20`), or a date.
    #[serde(default)]
    pub due: Option<String>,
}

/// A pending timer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimerExpect {
    /// The step that set it, by path.
    pub step: String,
    /// When it is due: a local date and time, or a date.
    pub due: String,
}

/// A notification.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notified {
    /// The template.
    pub template: String,
    /// `citizen`, `assignee`, `support_email` or `role:<role>`.
    #[serde(default)]
    pub to: Option<String>,
    /// The channels it went by, all of them (`[sms, email]`).
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Template variables it must carry, by name (`next_deadline: 2026-11-26`).
    #[serde(default)]
    pub vars: IndexMap<String, Value>,
    /// How many times it was sent (default 1).
    #[serde(default)]
    pub times: Option<u32>,
}

/// A rendered document: its template alone, or with more to check.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DocumentExpect {
    /// `rehabilitated_certificate_receipt`.
    Template(String),
    /// `{ template: provisional_refusal_notice, kind: notice, vars: { next_deadline: … } }`.
    Detailed(DocumentDetail),
}

/// A rendered document, in detail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentDetail {
    /// The template.
    pub template: String,
    /// What the document is (`receipt`, `notice`, `certificate`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Template variables it must carry, by name.
    #[serde(default)]
    pub vars: IndexMap<String, Value>,
    /// How many times it was rendered (default 1).
    #[serde(default)]
    pub times: Option<u32>,
}

/// What a template's texts say: every text it rendered so far in this case (each message's
/// SMS, subject and bodies, each document), HTML read as a reader sees it (without tags,
/// whitespace collapsed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderedExpect {
    /// The template.
    pub template: String,
    /// Phrases one of its texts must contain, each.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Phrases none of its texts may contain.
    #[serde(default)]
    pub not_contains: Vec<String>,
    /// Only the texts in this language (`kk` or `ru`).
    #[serde(default)]
    pub lang: Option<Language>,
    /// Only this part: `sms`, `subject`, `text` (an e-mail's plain body) or `html` (a
    /// document, an e-mail's HTML body).
    #[serde(default)]
    pub part: Option<PartName>,
}

/// A part of a template, as a scenario names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartName {
    /// The SMS text.
    Sms,
    /// The e-mail subject.
    Subject,
    /// The e-mail's plain-text body.
    Text,
    /// A document, or an e-mail's HTML body.
    Html,
}
