//! Raw scenario → plan: every name resolved against the definition in force, every date
//! parsed, every problem reported at once with its position.

use chrono::{NaiveDate, NaiveDateTime};
use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::raw::{self, DocumentExpect};
use super::{Scenario, Setup};
use crate::definition::messages::{Lang, Msg};
use crate::definition::model::Trigger;
use crate::definition::model::{FieldDef, Task};
use crate::definition::raw::Channel;
use crate::definition::{Definition, Step, StepKind};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::msg;
use crate::notify::render::{LANGUAGES, Part};
use crate::runtime::{Actor, Language, Status, Submission, form};
use crate::yaml::escape;

/// Templates the engine sends by itself, not from a `notify` step.
pub const ENGINE_TEMPLATES: [&str; 4] = [
    "technical_failure",
    "escalation_reminder",
    "escalation_notice",
    "escalation_reassigned",
];

/// A scenario ready to run.
pub struct Plan<'s> {
    /// The version of the service in force on the first day.
    pub def: &'s Definition,
    /// Where the clock starts, local time.
    pub start: NaiveDateTime,
    /// The names of the cases, in the order their `submit`s open them.
    pub cases: Vec<String>,
    /// The steps.
    pub steps: Vec<PlanStep>,
    /// The names the definition offers.
    pub names: Names<'s>,
    /// The people behind the clerks' logins, by login.
    pub staff: &'s IndexMap<String, raw::Staff>,
}

/// One step, with where it is written.
pub struct PlanStep {
    /// The JSON pointer of the step's action key (`/steps/3/complete`).
    pub pointer: String,
    /// What to do.
    pub action: Action,
    /// The engine must refuse the step with a message containing this.
    pub expect_error: Option<String>,
}

/// What a step does.
pub enum Action {
    /// Open a case and make it the current one.
    Submit {
        /// Its place among the cases, from 0.
        case: usize,
        /// Its registration number.
        number: String,
        /// The application.
        submission: Submission,
        /// The answers the citizen signed with it, by connector (the eGov portal).
        signed: serde_json::Map<String, Value>,
    },
    /// Make a case opened before the current one, by its place among the cases.
    Case(usize),
    /// Complete the open task at a step.
    Complete {
        /// The step's path.
        step: String,
        /// The outcome.
        outcome: String,
        /// The form, by data name.
        form: Value,
        /// The clerk.
        by: Actor,
    },
    /// Answer a pending request.
    Answer {
        /// Its connector.
        connector: String,
        /// Its step, when given.
        step: Option<String>,
        /// The answer.
        response: Value,
    },
    /// Fail a pending request.
    Fail {
        /// Its connector.
        connector: String,
        /// Its step, when given.
        step: Option<String>,
        /// The error.
        error: String,
        /// The attempts made, when given.
        attempts: Option<u32>,
    },
    /// Move the clock.
    Advance(Advance),
    /// A message arrives.
    Message {
        /// Its name.
        name: String,
        /// Its fields.
        payload: Value,
        /// Who sent it.
        by: Actor,
    },
    /// A message that starts a life event comes to every case.
    Broadcast {
        /// Its name.
        name: String,
        /// Its fields.
        payload: Value,
        /// Who entered it.
        by: Actor,
    },
    /// The citizen withdraws.
    Withdraw {
        /// Who recorded it.
        by: Actor,
    },
    /// The citizen's SMS reply to an offer.
    SmsReply {
        /// What the citizen wrote.
        text: String,
        /// The case it must reach, by its place among the cases (default: the current one).
        case: Option<usize>,
        /// The number it comes from (default: the number the case's offer went to).
        from: Option<String>,
    },
    /// Check.
    Expect(Vec<Check>),
}

/// How far the clock moves.
pub enum Advance {
    /// Same time of day, N working days later.
    WorkingDays(u32),
    /// Same time of day, N calendar days later.
    CalendarDays(u32),
    /// N minutes later.
    Minutes(i64),
    /// To a local date and time.
    Until(NaiveDateTime),
}

/// One expectation, with where it is written.
pub struct Check {
    /// Its JSON pointer in the scenario.
    pub pointer: String,
    /// What must hold.
    pub what: What,
}

/// A moment to compare with: exact, or any time on a day.
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// This local date and time.
    At(NaiveDateTime),
    /// Any time on this local date.
    On(NaiveDate),
}

/// What must hold.
pub enum What {
    /// The case's status.
    Status(Status),
    /// The living case's state: its hold's name, or its result once it ended after holding;
    /// `None`: it has not come to a hold.
    State(Option<String>),
    /// What the last broadcast did, counted over the cases.
    Broadcast(raw::BroadcastExpect),
    /// The case ended with this result.
    Result(String),
    /// The term ends on this day.
    TermDue(NaiveDate),
    /// The case waits at exactly these steps.
    WaitingAt(Vec<String>),
    /// An open task.
    Task {
        /// Its step.
        step: String,
        /// Its role.
        role: Option<String>,
        /// Its due time.
        due: Option<When>,
    },
    /// A pending timer.
    Timer {
        /// The step that set it.
        step: String,
        /// When it is due.
        due: When,
    },
    /// One notification sent `times` times.
    Notified(SentExpect),
    /// Nothing but the listed notifications was sent.
    OnlyNotified(Vec<SentExpect>),
    /// One document rendered `times` times.
    Document(SentExpect),
    /// Nothing but the listed documents was rendered.
    OnlyDocuments(Vec<SentExpect>),
    /// These stages reported in order (exactly these, with `exact`).
    Stages {
        /// The codes.
        codes: Vec<String>,
        /// Nothing else reported.
        exact: bool,
    },
    /// A data value: scope (`""` or a call path), dotted name, value (`null`: not set).
    Data(String, String, Value),
    /// The case has asked the gateway (`true`) or has not (`false`) for this connector.
    Requested(String, bool),
    /// A phrase the texts a template rendered so far contain (or, `present: false`, do not).
    Rendered(RenderedPhrase),
}

/// A phrase to look for in what a template rendered.
#[derive(Debug, Clone)]
pub struct RenderedPhrase {
    /// The template.
    pub template: String,
    /// The phrase, its whitespace collapsed.
    pub phrase: String,
    /// Whether it must be there (`contains`) or must not (`not_contains`).
    pub present: bool,
    /// Only the texts in this language.
    pub lang: Option<Language>,
    /// Only this part.
    pub part: Option<Part>,
}

/// A notification or document expected.
#[derive(Debug, Clone)]
pub struct SentExpect {
    /// The template.
    pub template: String,
    /// The recipient (notifications).
    pub to: Option<String>,
    /// The channels, all of them (notifications).
    pub channels: Option<Vec<String>>,
    /// The kind (documents).
    pub kind: Option<String>,
    /// Variables it must carry.
    pub vars: Vec<(String, Value)>,
    /// How many times.
    pub times: u32,
}

/// The names a definition and the sub-workflows it calls offer a scenario.
pub struct Names<'s> {
    /// Every step, by path (`review`, `provisional_refusal_hearing/hold_hearing`), with the
    /// definition it is in.
    pub steps: IndexMap<String, (&'s Definition, &'s Step)>,
    /// The data a scope holds: `""` the service's, a call path the sub-workflow's.
    pub scopes: IndexMap<String, &'s Definition>,
}

impl<'s> Names<'s> {
    /// Walks the definition and every sub-workflow it calls.
    pub fn of(def: &'s Definition, setup: &'s Setup) -> Names<'s> {
        let mut names = Names {
            steps: IndexMap::new(),
            scopes: IndexMap::new(),
        };
        names.scopes.insert(String::new(), def);
        names.walk(def, "", setup, 0);
        names
    }

    fn walk(&mut self, def: &'s Definition, prefix: &str, setup: &'s Setup, depth: usize) {
        if depth > 8 {
            return;
        }
        for step in &def.steps {
            let path = format!("{prefix}{}", step.name);
            self.steps.insert(path.clone(), (def, step));
            if let StepKind::Call { workflow, .. } = &step.kind
                && let Some(sub) = setup.subworkflows.get(workflow)
            {
                self.scopes.insert(path.clone(), sub);
                self.walk(sub, &format!("{path}/"), setup, depth + 1);
            }
        }
    }

    /// The paths of the steps of a kind.
    fn paths(&self, pred: impl Fn(&StepKind) -> bool) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|(_, (_, s))| pred(&s.kind))
            .map(|(p, _)| p.as_str())
            .collect()
    }

    /// The task at a path.
    pub fn task(&self, path: &str) -> Option<(&'s Definition, &'s Task)> {
        match self.steps.get(path) {
            Some((def, step)) => match &step.kind {
                StepKind::Task(t) => Some((def, t)),
                _ => None,
            },
            None => None,
        }
    }

    /// The paths of the steps that use a template (`notify` or `document`).
    pub fn template_steps(&self, template: &str) -> Vec<&str> {
        self.paths(|k| match k {
            StepKind::Notify { template: t, .. } | StepKind::Document { template: t, .. } => {
                t == template
            }
            _ => false,
        })
    }

    fn notify_templates(&self) -> Vec<&str> {
        let mut out: Vec<&str> = ENGINE_TEMPLATES.to_vec();
        for (_, step) in self.steps.values() {
            if let StepKind::Notify { template, .. } = &step.kind
                && !out.contains(&template.as_str())
            {
                out.push(template);
            }
        }
        // The help SMS of a message an SMS reply gives (`sms_reply:`), sent for a reply that
        // is none of its words.
        for (def, _) in self.steps.values() {
            for rule in def.sms_replies.values() {
                if !out.contains(&rule.help.as_str()) {
                    out.push(&rule.help);
                }
            }
        }
        out
    }

    fn document_templates(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, step) in self.steps.values() {
            if let StepKind::Document { template, .. } = &step.kind
                && !out.contains(&template.as_str())
            {
                out.push(template);
            }
        }
        out
    }

    fn stages(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, step) in self.steps.values() {
            if let Some(stage) = &step.stage
                && !out.contains(&stage.as_str())
            {
                out.push(stage);
            }
        }
        out
    }

    /// The request steps: path and connector.
    pub fn requests(&self) -> Vec<(&str, &str)> {
        self.steps
            .iter()
            .filter_map(|(p, (_, s))| match &s.kind {
                StepKind::Request(r) => Some((p.as_str(), r.connector.as_str())),
                _ => None,
            })
            .collect()
    }

    fn message(&self, name: &str) -> Option<&'s IndexMap<String, FieldDef>> {
        self.scopes.values().find_map(|d| d.messages.get(name))
    }

    fn messages(&self) -> Vec<&'s str> {
        let mut out: Vec<&str> = Vec::new();
        for d in self.scopes.values() {
            for name in d.messages.keys() {
                if !out.contains(&name.as_str()) {
                    out.push(name);
                }
            }
        }
        out
    }
}

/// Parses a local date and time: `2026-11-23T10:00`, `2026-11-23 10:00`, with or without seconds.
pub fn parse_local(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

/// Parses a moment to compare with: a local date and time, or a date.
fn parse_when(text: &str) -> Option<When> {
    parse_local(text)
        .map(When::At)
        .or_else(|| crate::calendar::parse_date(text.trim()).map(When::On))
}

/// Collects the problems of one scenario.
struct Compiler<'s> {
    scenario: &'s Scenario,
    problems: Vec<Diagnostic>,
    /// The language the problems are said in.
    lang: Lang,
}

impl Compiler<'_> {
    fn at(&mut self, pointer: &str, message: Msg) {
        let message = message.render(self.lang);
        self.problems
            .push(self.scenario.doc.diagnostic(pointer, message));
    }

    fn at_value(&mut self, pointer: &str, message: Msg) {
        let message = message.render(self.lang);
        self.problems
            .push(self.scenario.doc.value_diagnostic(pointer, message));
    }

    /// A problem at the key `pointer`, with "did you mean" among `names` when one is close.
    fn unknown<'a>(
        &mut self,
        pointer: &str,
        message: Msg,
        word: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) {
        let mut d = self
            .scenario
            .doc
            .diagnostic(pointer, message.render(self.lang));
        if let Some(best) = did_you_mean(word, names) {
            d = d.with_hint(msg!("hint.did_you_mean", name = best).render(self.lang));
        }
        self.problems.push(d);
    }

    fn suggest<'a>(
        &mut self,
        pointer: &str,
        message: Msg,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str> + Clone,
    ) {
        let mut d = self
            .scenario
            .doc
            .value_diagnostic(pointer, message.render(self.lang));
        let list: Vec<&str> = candidates.clone().into_iter().collect();
        if let Some(best) = did_you_mean(word, candidates) {
            d = d.with_hint(msg!("hint.did_you_mean", name = best).render(self.lang));
        } else if !list.is_empty() && list.len() <= 12 {
            d = d.with_hint(msg!("scenario.one_of", names = list.join(", ")).render(self.lang));
        }
        self.problems.push(d);
    }

    fn date(&mut self, pointer: &str, text: &str) -> Option<NaiveDate> {
        let d = crate::calendar::parse_date(text.trim());
        if d.is_none() {
            self.at_value(pointer, msg!("scenario.file.not_a_date", text = text));
        }
        d
    }

    fn when(&mut self, pointer: &str, text: &str) -> Option<When> {
        let w = parse_when(text);
        if w.is_none() {
            self.at_value(pointer, msg!("scenario.file.not_a_when", text = text));
        }
        w
    }

    /// A step path that must exist (and satisfy `pred`, described by `what`).
    fn step_path(
        &mut self,
        names: &Names<'_>,
        pointer: &str,
        path: &str,
        what: Msg,
        pred: impl Fn(&StepKind) -> bool + Copy,
    ) -> bool {
        match names.steps.get(path) {
            Some((_, step)) if pred(&step.kind) => true,
            Some((_, step)) => {
                let candidates = names.paths(pred);
                self.suggest(
                    pointer,
                    msg!(
                        "scenario.file.step_kind",
                        step = path,
                        kind = step.kind.name()
                    )
                    .with_msg("what", what),
                    path,
                    candidates.iter().copied(),
                );
                false
            }
            None => {
                let candidates = names.paths(pred);
                self.suggest(
                    pointer,
                    msg!("scenario.file.no_step", step = path),
                    path,
                    candidates.iter().copied(),
                );
                false
            }
        }
    }

    /// Values for declared data: each name declared, each value of its type.
    fn fields(
        &mut self,
        pointer: &str,
        given: &IndexMap<String, Value>,
        declared: &dyn Fn(&str) -> Option<FieldDef>,
        allowed: &[&str],
        whose: Msg,
        check_values: bool,
    ) -> Value {
        let mut out = Map::new();
        for (name, value) in given {
            let at = format!("{pointer}/{}", escape(name));
            match declared(name) {
                None => {
                    self.unknown(
                        &at,
                        msg!("scenario.file.not_a_field", name = name)
                            .with_msg("whose", whose.clone()),
                        name,
                        allowed.iter().copied(),
                    );
                }
                Some(decl) if check_values && !value.is_null() => {
                    if let Err(message) = form::check_value(&decl, value) {
                        self.at_value(
                            &at,
                            msg!("scenario.file.bad_value", name = name, problem = message),
                        );
                    }
                }
                Some(_) => {}
            }
            out.insert(name.clone(), value.clone());
        }
        Value::Object(out)
    }
}

fn actor(by: &Option<String>, default: Actor) -> Actor {
    match by.as_deref() {
        None => default,
        Some("citizen") => Actor::Citizen,
        Some(login) => Actor::Clerk(login.to_string()),
    }
}

const ACTIONS: [&str; 11] = [
    "submit",
    "case",
    "complete",
    "answer",
    "fail",
    "advance",
    "message",
    "broadcast",
    "withdraw",
    "sms_reply",
    "expect",
];

/// The registration number of the case at `place` (from 0): `first` for the first, then
/// its trailing digits counted on at their width (`TEST-000001`, `TEST-000002`), or `-2`,
/// `-3`… after a number that ends in none.
fn nth_number(first: &str, place: usize) -> String {
    if place == 0 {
        return first.to_string();
    }
    let digits = first.len() - first.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, tail) = first.split_at(first.len() - digits);
    match tail.parse::<u128>() {
        Ok(n) => format!("{head}{:0width$}", n + place as u128, width = digits),
        Err(_) => format!("{first}-{}", place + 1),
    }
}

/// The names of the cases, in the order their `submit`s open them: each its `name`, or its
/// place (`1`, `2`, …). Two cases of one name are a problem at the second.
fn case_names(c: &mut Compiler<'_>, raw: &raw::Scenario) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, step) in raw.steps.iter().enumerate() {
        let Some(submit) = &step.submit else {
            continue;
        };
        let name = submit
            .name
            .clone()
            .unwrap_or_else(|| (names.len() + 1).to_string());
        if names.contains(&name) {
            let at = match submit.name {
                Some(_) => format!("/steps/{i}/submit/name"),
                None => format!("/steps/{i}/submit"),
            };
            if submit.name.is_some() {
                c.at_value(&at, msg!("scenario.file.case_twice", name = name));
            } else {
                c.at(&at, msg!("scenario.file.case_twice", name = name));
            }
        }
        names.push(name);
    }
    names
}

/// Checks a scenario against the definition in force and builds its plan.
pub fn compile<'s>(setup: &'s Setup, scenario: &'s Scenario) -> Result<Plan<'s>, Vec<Diagnostic>> {
    let raw = &scenario.raw;
    let mut c = Compiler {
        scenario,
        problems: Vec::new(),
        lang: setup.lang,
    };
    let Some(start) = parse_local(&raw.now) else {
        c.at_value("/now", msg!("scenario.file.not_a_moment", text = raw.now));
        return Err(c.problems);
    };
    let Some(def) = setup.library.in_force(&raw.service, start.date()) else {
        let services: Vec<&str> = setup
            .library
            .definitions
            .iter()
            .filter(|d| d.kind == crate::definition::Kind::Service)
            .map(|d| d.id.as_str())
            .collect();
        if services.contains(&raw.service.as_str()) {
            c.at_value(
                "/now",
                msg!(
                    "scenario.file.not_in_force",
                    service = raw.service,
                    date = start.date()
                ),
            );
        } else {
            c.suggest(
                "/service",
                msg!("scenario.file.no_service", service = raw.service),
                &raw.service,
                services.iter().copied(),
            );
        }
        return Err(c.problems);
    };
    let names = Names::of(def, setup);
    let cases = case_names(&mut c, raw);
    let first_number = raw.number.clone().unwrap_or_else(|| "TEST-000001".into());
    // The cases opened so far, and whether a broadcast has come yet, as the steps go by.
    let mut opened = 0;
    let mut broadcast_seen = false;
    let mut steps = Vec::new();
    if raw.steps.is_empty() {
        c.at("/steps", msg!("scenario.file.no_steps"));
    }
    let present = |i: usize| -> Vec<&'static str> {
        let value = &scenario.doc.value()["steps"][i];
        ACTIONS
            .iter()
            .copied()
            .filter(|a| value.get(a).is_some())
            .collect()
    };
    for (i, step) in raw.steps.iter().enumerate() {
        let base = format!("/steps/{i}");
        let actions = present(i);
        let action = match actions.as_slice() {
            [one] => *one,
            [] => {
                c.at(
                    &base,
                    msg!("scenario.file.no_action", actions = ACTIONS.join(", ")),
                );
                continue;
            }
            [a, b, ..] => {
                c.at(
                    &format!("{base}/{b}"),
                    msg!("scenario.file.two_actions", a = a, b = b),
                );
                continue;
            }
        };
        let pointer = format!("{base}/{action}");
        if i == 0 && action != "submit" {
            c.at(&pointer, msg!("scenario.file.submit_first"));
            continue;
        }
        if step.expect_error.is_some() {
            let key = match action {
                "expect" => Some("scenario.file.expect_error"),
                "case" => Some("scenario.file.expect_error_case"),
                "broadcast" => Some("scenario.file.expect_error_broadcast"),
                _ => None,
            };
            if let Some(key) = key {
                c.at(&format!("{base}/expect_error"), msg!(key));
            }
        }
        let checked = step.expect_error.is_none();
        let compiled = match action {
            "submit" => step.submit.as_ref().map(|s| {
                let case = opened;
                opened += 1;
                Action::Submit {
                    case,
                    number: s
                        .number
                        .clone()
                        .unwrap_or_else(|| nth_number(&first_number, case)),
                    submission: submit(&mut c, def, &pointer, s, checked),
                    signed: s
                        .signed_data
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                }
            }),
            "case" => step
                .case
                .as_ref()
                .and_then(|name| turn(&mut c, &cases, opened, &pointer, name)),
            "complete" => step
                .complete
                .as_ref()
                .and_then(|s| complete(&mut c, &names, &pointer, s, checked)),
            "answer" => step.answer.as_ref().and_then(|a| {
                let ok = request(&mut c, &names, &pointer, &a.connector, &a.step);
                let response = answer_fields(&mut c, setup, &pointer, a);
                ok.then(|| Action::Answer {
                    connector: a.connector.clone(),
                    step: a.step.clone(),
                    response,
                })
            }),
            "fail" => step.fail.as_ref().and_then(|f| {
                request(&mut c, &names, &pointer, &f.connector, &f.step).then(|| Action::Fail {
                    connector: f.connector.clone(),
                    step: f.step.clone(),
                    error: f.error.clone(),
                    attempts: f.attempts,
                })
            }),
            "advance" => step
                .advance
                .as_ref()
                .and_then(|a| advance(&mut c, &pointer, a)),
            "message" => step
                .message
                .as_ref()
                .and_then(|m| message(&mut c, &names, &pointer, m)),
            "broadcast" => step.broadcast.as_ref().and_then(|b| {
                broadcast_seen = true;
                broadcast(&mut c, def, &names, &pointer, b)
            }),
            "sms_reply" => step
                .sms_reply
                .as_ref()
                .and_then(|r| sms_reply(&mut c, def, &cases, opened, &pointer, r)),
            "withdraw" => Some(Action::Withdraw {
                by: actor(
                    &step.withdraw.clone().flatten().unwrap_or_default().by,
                    Actor::Citizen,
                ),
            }),
            "expect" => step.expect.as_ref().map(|e| {
                let checks = expect(&mut c, setup, def, &names, &pointer, e);
                if e.broadcast.is_some() && !broadcast_seen {
                    c.at(
                        &format!("{pointer}/broadcast"),
                        msg!("scenario.file.no_broadcast_yet"),
                    );
                }
                Action::Expect(checks)
            }),
            _ => None,
        };
        if let Some(action) = compiled {
            steps.push(PlanStep {
                pointer,
                action,
                expect_error: step.expect_error.clone(),
            });
        }
    }
    if c.problems.is_empty() {
        Ok(Plan {
            def,
            start,
            cases,
            steps,
            names,
            staff: &raw.staff,
        })
    } else {
        c.problems.sort();
        c.problems.dedup();
        Err(c.problems)
    }
}

fn submit(
    c: &mut Compiler<'_>,
    def: &Definition,
    pointer: &str,
    s: &raw::Submit,
    checked: bool,
) -> Submission {
    let channels: Vec<String> = def
        .channels
        .iter()
        .map(|ch| Channel::as_str(*ch).to_string())
        .collect();
    let channel = match &s.channel {
        Some(ch) => {
            if !channels.contains(ch) {
                c.suggest(
                    &format!("{pointer}/channel"),
                    msg!("scenario.file.channel", service = def.id, channel = ch),
                    ch,
                    channels.iter().map(String::as_str),
                );
            }
            ch.clone()
        }
        None => channels.first().cloned().unwrap_or_default(),
    };
    let allowed: Vec<&str> = def.data.keys().map(String::as_str).collect();
    let data = c.fields(
        &format!("{pointer}/data"),
        &s.data,
        &|name| def.data.get(name).cloned(),
        &allowed,
        msg!("scenario.whose.service"),
        checked,
    );
    Submission {
        data,
        channel,
        language: s.language,
        sms_consent: s.sms_consent,
        region: s.region.clone().unwrap_or_else(|| "almaty".into()),
    }
}

fn complete(
    c: &mut Compiler<'_>,
    names: &Names<'_>,
    pointer: &str,
    s: &raw::Complete,
    checked: bool,
) -> Option<Action> {
    let is_task = |k: &StepKind| matches!(k, StepKind::Task(_));
    if !c.step_path(
        names,
        &format!("{pointer}/step"),
        &s.step,
        msg!("scenario.what.task"),
        is_task,
    ) {
        return None;
    }
    let (def, task) = names.task(&s.step)?;
    if !task.outcomes.contains_key(&s.outcome) {
        c.suggest(
            &format!("{pointer}/outcome"),
            msg!("scenario.file.outcome", outcome = s.outcome, step = s.step),
            &s.outcome,
            task.outcomes.keys().map(String::as_str),
        );
    }
    let allowed: Vec<&str> = task.form.iter().map(|f| f.field.as_str()).collect();
    let form = c.fields(
        &format!("{pointer}/form"),
        &s.form,
        &|name| {
            task.form
                .iter()
                .any(|f| f.field == name)
                .then(|| {
                    def.data
                        .get(name)
                        .or_else(|| def.parameters.get(name))
                        .cloned()
                })
                .flatten()
        },
        &allowed,
        msg!("scenario.whose.form", step = s.step),
        checked,
    );
    Some(Action::Complete {
        step: s.step.clone(),
        outcome: s.outcome.clone(),
        form,
        by: actor(&s.by, Actor::Clerk("clerk".into())),
    })
}

/// A connector (and step) some request step of the service uses.
fn request(
    c: &mut Compiler<'_>,
    names: &Names<'_>,
    pointer: &str,
    connector: &str,
    step: &Option<String>,
) -> bool {
    let requests = names.requests();
    if !requests.iter().any(|(_, conn)| *conn == connector) {
        c.suggest(
            &format!("{pointer}/connector"),
            msg!("scenario.file.no_request", connector = connector),
            connector,
            requests.iter().map(|(_, conn)| *conn),
        );
        return false;
    }
    if let Some(step) = step
        && !requests
            .iter()
            .any(|(p, conn)| p == step && *conn == connector)
    {
        let candidates: Vec<&str> = requests
            .iter()
            .filter(|(_, conn)| *conn == connector)
            .map(|(p, _)| *p)
            .collect();
        c.suggest(
            &format!("{pointer}/step"),
            msg!(
                "scenario.file.not_requesting",
                step = step,
                connector = connector
            ),
            step,
            candidates.iter().copied(),
        );
        return false;
    }
    true
}

/// An answer's fields must be fields of the connector's contract in the catalog.
fn answer_fields(c: &mut Compiler<'_>, setup: &Setup, pointer: &str, a: &raw::Answer) -> Value {
    let contract = setup
        .catalog
        .as_ref()
        .and_then(|cat| cat.connectors.get(&a.connector));
    let mut out = Map::new();
    for (name, value) in &a.response {
        if let Some(contract) = contract
            && !contract.output.contains_key(name)
        {
            c.unknown(
                &format!("{pointer}/response/{}", escape(name)),
                msg!(
                    "scenario.file.answer_field",
                    name = name,
                    connector = a.connector
                ),
                name,
                contract.output.keys().map(String::as_str),
            );
        }
        out.insert(name.clone(), value.clone());
    }
    // Every answer of the real system carries the fields the contract does not mark optional
    // (the gateway refuses one without them): a scenario answering without one would pass
    // where the service fails.
    if let Some(contract) = contract {
        let missing: Vec<&str> = contract
            .output
            .iter()
            .filter(|(name, o)| !o.is_optional() && !a.response.contains_key(*name))
            .map(|(name, _)| name.as_str())
            .collect();
        if !missing.is_empty() {
            let d = c
                .scenario
                .doc
                .diagnostic(
                    &format!("{pointer}/response"),
                    msg!(
                        "scenario.file.answer_lacks",
                        connector = a.connector,
                        fields = missing
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                    .render(c.lang),
                )
                .with_hint(msg!("scenario.file.answer_lacks_hint").render(c.lang));
            c.problems.push(d);
        }
    }
    Value::Object(out)
}

fn advance(c: &mut Compiler<'_>, pointer: &str, a: &raw::Advance) -> Option<Action> {
    let given = [
        a.working_days.is_some(),
        a.calendar_days.is_some(),
        a.hours.is_some(),
        a.minutes.is_some(),
        a.until.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        c.at(pointer, msg!("scenario.file.advance"));
        return None;
    }
    let advance = if let Some(n) = a.working_days {
        Advance::WorkingDays(n)
    } else if let Some(n) = a.calendar_days {
        Advance::CalendarDays(n)
    } else if let Some(h) = a.hours {
        Advance::Minutes(i64::from(h) * 60)
    } else if let Some(m) = a.minutes {
        Advance::Minutes(i64::from(m))
    } else {
        let text = a.until.as_deref().unwrap_or_default();
        let Some(at) = parse_local(text) else {
            c.at_value(
                &format!("{pointer}/until"),
                msg!("scenario.file.not_a_moment", text = text),
            );
            return None;
        };
        Advance::Until(at)
    };
    Some(Action::Advance(advance))
}

fn message(
    c: &mut Compiler<'_>,
    names: &Names<'_>,
    pointer: &str,
    m: &raw::Message,
) -> Option<Action> {
    let Some(fields) = names.message(&m.name) else {
        let known = names.messages();
        c.suggest(
            &format!("{pointer}/name"),
            msg!("scenario.file.no_message", name = m.name),
            &m.name,
            known.iter().copied(),
        );
        return None;
    };
    let allowed: Vec<&str> = fields.keys().map(String::as_str).collect();
    let payload = c.fields(
        &format!("{pointer}/payload"),
        &m.payload,
        &|name| fields.get(name).cloned(),
        &allowed,
        msg!("scenario.whose.message", name = m.name),
        true,
    );
    Some(Action::Message {
        name: m.name.clone(),
        payload,
        by: actor(&m.by, Actor::Citizen),
    })
}

/// `sms_reply:`: a service with a message an SMS reply gives, a case opened before, a number.
fn sms_reply(
    c: &mut Compiler<'_>,
    def: &Definition,
    cases: &[String],
    opened: usize,
    pointer: &str,
    r: &raw::SmsReplyStep,
) -> Option<Action> {
    if def.sms_replies.is_empty() {
        c.at(
            pointer,
            msg!("scenario.file.no_sms_reply", service = def.id),
        );
        return None;
    }
    let number = match &r.from {
        Some(from) if !from.chars().any(|ch| ch.is_ascii_digit()) => {
            c.at_value(
                &format!("{pointer}/from"),
                msg!("scenario.file.sms_reply_from", from = from),
            );
            None
        }
        _ => Some(()),
    };
    let case = match &r.case {
        Some(name) => match turn(c, cases, opened, &format!("{pointer}/case"), name) {
            Some(Action::Case(place)) => Some(Some(place)),
            _ => None,
        },
        None => Some(None),
    };
    number.and(case).map(|case| Action::SmsReply {
        text: r.text.clone(),
        case,
        from: r.from.clone(),
    })
}

/// `case: name`: a case whose `submit` came before this step.
fn turn(
    c: &mut Compiler<'_>,
    cases: &[String],
    opened: usize,
    pointer: &str,
    name: &str,
) -> Option<Action> {
    match cases.iter().position(|n| n == name) {
        Some(place) if place < opened => Some(Action::Case(place)),
        Some(_) => {
            c.at_value(pointer, msg!("scenario.file.case_later", name = name));
            None
        }
        None => {
            c.suggest(
                pointer,
                msg!("scenario.file.no_case", name = name),
                name,
                cases.iter().map(String::as_str),
            );
            None
        }
    }
}

/// `broadcast:`: a message that starts a life event of the service, with its fields.
fn broadcast(
    c: &mut Compiler<'_>,
    def: &Definition,
    names: &Names<'_>,
    pointer: &str,
    b: &raw::Broadcast,
) -> Option<Action> {
    if def.event_for_message(&b.message).is_none() {
        let starting: Vec<&str> = def
            .events
            .values()
            .filter_map(|e| match &e.trigger {
                Trigger::Message(m) => Some(m.as_str()),
                Trigger::Date(_) => None,
            })
            .collect();
        c.suggest(
            &format!("{pointer}/message"),
            msg!(
                "scenario.file.no_event_message",
                name = b.message,
                service = def.id
            ),
            &b.message,
            starting.iter().copied(),
        );
        return None;
    }
    let fields = names.message(&b.message)?;
    let allowed: Vec<&str> = fields.keys().map(String::as_str).collect();
    let payload = c.fields(
        &format!("{pointer}/payload"),
        &b.payload,
        &|name| fields.get(name).cloned(),
        &allowed,
        msg!("scenario.whose.message", name = b.message),
        true,
    );
    Some(Action::Broadcast {
        name: b.message.clone(),
        payload,
        by: actor(&b.by, Actor::Clerk("administrator".into())),
    })
}

fn expect(
    c: &mut Compiler<'_>,
    setup: &Setup,
    def: &Definition,
    names: &Names<'_>,
    pointer: &str,
    e: &raw::Expect,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let keys: Vec<String> = c
        .scenario
        .doc
        .value()
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let any = |_: &StepKind| true;
    for key in keys {
        let at = format!("{pointer}/{key}");
        let what = match key.as_str() {
            "status" => {
                let s = e.status.as_deref().unwrap_or_default();
                match s {
                    "active" => Some(What::Status(Status::Active)),
                    "completed" => Some(What::Status(Status::Completed)),
                    "withdrawn" => Some(What::Status(Status::Withdrawn)),
                    _ => {
                        c.suggest(
                            &at,
                            msg!("scenario.file.status", status = s),
                            s,
                            ["active", "completed", "withdrawn"],
                        );
                        None
                    }
                }
            }
            "state" => {
                let Some(s) = e.state.clone() else {
                    // `state: null`: the case has no living state (it has not held yet).
                    checks.push(Check {
                        pointer: at.clone(),
                        what: What::State(None),
                    });
                    continue;
                };
                let mut known: Vec<&str> = Vec::new();
                for step in &def.steps {
                    if let StepKind::Hold { state, .. } = &step.kind
                        && !known.contains(&state.as_str())
                    {
                        known.push(state);
                    }
                }
                if known.is_empty() {
                    c.at_value(&at, msg!("scenario.file.no_holds", service = def.id));
                    None
                } else {
                    for r in &def.results {
                        if !known.contains(&r.as_str()) {
                            known.push(r);
                        }
                    }
                    if known.contains(&s.as_str()) {
                        Some(What::State(Some(s)))
                    } else {
                        c.suggest(
                            &at,
                            msg!("scenario.file.state", state = s, service = def.id),
                            &s,
                            known.iter().copied(),
                        );
                        None
                    }
                }
            }
            "broadcast" => e.broadcast.map(What::Broadcast),
            "result" => {
                let r = e.result.clone().unwrap_or_default();
                let mut results: Vec<&str> = def.results.iter().map(String::as_str).collect();
                results.push("withdrawn");
                if results.contains(&r.as_str()) {
                    Some(What::Result(r))
                } else {
                    c.suggest(
                        &at,
                        msg!("scenario.file.result", result = r, service = def.id),
                        &r,
                        results.iter().copied(),
                    );
                    None
                }
            }
            "term_due" => {
                let text = e.term_due.clone().unwrap_or_default();
                c.date(&at, &text).map(What::TermDue)
            }
            "waiting_at" => {
                let paths = e.waiting_at.clone().unwrap_or_default();
                let mut ok = true;
                for (j, p) in paths.iter().enumerate() {
                    ok &= c.step_path(
                        names,
                        &format!("{at}/{j}"),
                        p,
                        msg!("scenario.what.step"),
                        any,
                    );
                }
                ok.then_some(What::WaitingAt(paths))
            }
            "task" => e.task.as_ref().and_then(|t| {
                let is_task = |k: &StepKind| matches!(k, StepKind::Task(_));
                let ok = c.step_path(
                    names,
                    &format!("{at}/step"),
                    &t.step,
                    msg!("scenario.what.task"),
                    is_task,
                );
                let due = match &t.due {
                    Some(d) => Some(c.when(&format!("{at}/due"), d)?),
                    None => None,
                };
                ok.then(|| What::Task {
                    step: t.step.clone(),
                    role: t.role.clone(),
                    due,
                })
            }),
            "timer" => e.timer.as_ref().and_then(|t| {
                let timed = |k: &StepKind| {
                    matches!(
                        k,
                        StepKind::Wait { .. }
                            | StepKind::Receive { .. }
                            | StepKind::Task(_)
                            | StepKind::Hold { .. }
                    )
                };
                let ok = c.step_path(
                    names,
                    &format!("{at}/step"),
                    &t.step,
                    msg!("scenario.what.timed"),
                    timed,
                );
                let due = c.when(&format!("{at}/due"), &t.due)?;
                ok.then(|| What::Timer {
                    step: t.step.clone(),
                    due,
                })
            }),
            "notified" => {
                let known = names.notify_templates();
                let mut items = Vec::new();
                for (j, n) in e.notified.iter().flatten().enumerate() {
                    let item_at = format!("{at}/{j}");
                    if !known.contains(&n.template.as_str()) {
                        c.suggest(
                            &format!("{item_at}/template"),
                            msg!("scenario.file.not_sent", template = n.template),
                            &n.template,
                            known.iter().copied(),
                        );
                        continue;
                    }
                    let item = SentExpect {
                        template: n.template.clone(),
                        to: n.to.clone(),
                        channels: n.channels.clone(),
                        kind: None,
                        vars: n.vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                        times: n.times.unwrap_or(1),
                    };
                    checks.push(Check {
                        pointer: item_at,
                        what: What::Notified(item.clone()),
                    });
                    items.push(item);
                }
                e.exactly.then_some(What::OnlyNotified(items))
            }
            "documents" => {
                let known = names.document_templates();
                let mut items = Vec::new();
                for (j, d) in e.documents.iter().flatten().enumerate() {
                    let item_at = format!("{at}/{j}");
                    let item = match d {
                        DocumentExpect::Template(t) => SentExpect {
                            template: t.clone(),
                            to: None,
                            channels: None,
                            kind: None,
                            vars: Vec::new(),
                            times: 1,
                        },
                        DocumentExpect::Detailed(d) => SentExpect {
                            template: d.template.clone(),
                            to: None,
                            channels: None,
                            kind: d.kind.clone(),
                            vars: d.vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                            times: d.times.unwrap_or(1),
                        },
                    };
                    if !known.contains(&item.template.as_str()) {
                        let template_at = match d {
                            DocumentExpect::Template(_) => item_at.clone(),
                            DocumentExpect::Detailed(_) => format!("{item_at}/template"),
                        };
                        c.suggest(
                            &template_at,
                            msg!("scenario.file.not_rendered", template = item.template),
                            &item.template,
                            known.iter().copied(),
                        );
                        continue;
                    }
                    checks.push(Check {
                        pointer: item_at,
                        what: What::Document(item.clone()),
                    });
                    items.push(item);
                }
                e.exactly.then_some(What::OnlyDocuments(items))
            }
            "requested" | "not_requested" => {
                let asked = key == "requested";
                let list = if asked {
                    &e.requested
                } else {
                    &e.not_requested
                };
                let known: Vec<&str> = names.requests().into_iter().map(|(_, c)| c).collect();
                for (j, connector) in list.iter().flatten().enumerate() {
                    if known.contains(&connector.as_str()) {
                        checks.push(Check {
                            pointer: format!("{at}/{j}"),
                            what: What::Requested(connector.clone(), asked),
                        });
                    } else {
                        c.suggest(
                            &format!("{at}/{j}"),
                            msg!(
                                "scenario.file.not_asked_by_service",
                                connector = connector,
                                service = def.id
                            ),
                            connector,
                            known.iter().copied(),
                        );
                    }
                }
                None
            }
            "stages" => {
                let known = names.stages();
                let codes = e.stages.clone().unwrap_or_default();
                let mut ok = true;
                for (j, code) in codes.iter().enumerate() {
                    if !known.contains(&code.as_str()) {
                        ok = false;
                        c.suggest(
                            &format!("{at}/{j}"),
                            msg!("scenario.file.stage", stage = code),
                            code,
                            known.iter().copied(),
                        );
                    }
                }
                ok.then_some(What::Stages {
                    codes,
                    exact: e.exactly,
                })
            }
            "data" => {
                for (name, value) in e.data.iter().flatten() {
                    let item_at = format!("{at}/{}", escape(name));
                    let (scope, field) = match name.rsplit_once('/') {
                        Some((scope, field)) => (scope, field),
                        None => ("", name.as_str()),
                    };
                    let Some(sdef) = names.scopes.get(scope) else {
                        let scopes: Vec<&str> = names
                            .scopes
                            .keys()
                            .filter(|s| !s.is_empty())
                            .map(String::as_str)
                            .collect();
                        c.suggest(
                            &item_at,
                            msg!("scenario.file.scope", scope = scope),
                            scope,
                            scopes.iter().copied(),
                        );
                        continue;
                    };
                    let declared = sdef.data.contains_key(field)
                        || sdef.parameters.contains_key(field)
                        || sdef
                            .data
                            .keys()
                            .chain(sdef.parameters.keys())
                            .any(|k| k.starts_with(&format!("{field}.")));
                    if !declared {
                        c.unknown(
                            &item_at,
                            msg!("scenario.file.data_name", name = field, service = sdef.id),
                            field,
                            sdef.data
                                .keys()
                                .chain(sdef.parameters.keys())
                                .map(String::as_str),
                        );
                        continue;
                    }
                    checks.push(Check {
                        pointer: item_at,
                        what: What::Data(scope.to_string(), field.to_string(), value.clone()),
                    });
                }
                None
            }
            "rendered" => {
                if let Some(r) = &e.rendered {
                    checks.extend(rendered(c, setup, names, &at, r));
                }
                None
            }
            // `exactly` qualifies the lists above; serde has refused any other key.
            _ => None,
        };
        if let Some(what) = what {
            checks.push(Check { pointer: at, what });
        }
    }
    checks
}

/// A `rendered:` expectation: one check per phrase, each at its own position, so a failing
/// one points at the phrase that was not found.
fn rendered(
    c: &mut Compiler<'_>,
    setup: &Setup,
    names: &Names<'_>,
    pointer: &str,
    r: &raw::RenderedExpect,
) -> Vec<Check> {
    let mut known = names.notify_templates();
    for t in names.document_templates() {
        if !known.contains(&t) {
            known.push(t);
        }
    }
    if !known.contains(&r.template.as_str()) {
        c.suggest(
            &format!("{pointer}/template"),
            msg!("scenario.file.not_sent_or_rendered", template = r.template),
            &r.template,
            known.iter().copied(),
        );
        return Vec::new();
    }
    let part = r.part.map(|p| match p {
        raw::PartName::Sms => Part::Sms,
        raw::PartName::Subject => Part::Subject,
        raw::PartName::Text => Part::Text,
        raw::PartName::Html => Part::Html,
    });
    if let (Some(part), Some(templates)) = (part, setup.templates()) {
        let langs: Vec<Language> = r.lang.map_or(LANGUAGES.to_vec(), |l| vec![l]);
        if !langs.iter().any(|l| templates.has(&r.template, *l, part)) {
            let parts: Vec<&str> = [Part::Sms, Part::Subject, Part::Text, Part::Html]
                .into_iter()
                .filter(|p| langs.iter().any(|l| templates.has(&r.template, *l, *p)))
                .map(Part::name)
                .collect();
            c.suggest(
                &format!("{pointer}/part"),
                msg!(
                    "scenario.file.no_part",
                    template = r.template,
                    part = part.name()
                ),
                part.name(),
                parts.iter().copied(),
            );
            return Vec::new();
        }
    }
    if r.contains.is_empty() && r.not_contains.is_empty() {
        c.at(pointer, msg!("scenario.file.rendered_empty"));
        return Vec::new();
    }
    let mut checks = Vec::new();
    for (key, phrases, present) in [
        ("contains", &r.contains, true),
        ("not_contains", &r.not_contains, false),
    ] {
        for (j, phrase) in phrases.iter().enumerate() {
            let at = format!("{pointer}/{key}/{j}");
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            if phrase.is_empty() {
                c.at_value(&at, msg!("scenario.file.empty_phrase"));
                continue;
            }
            checks.push(Check {
                pointer: at,
                what: What::Rendered(RenderedPhrase {
                    template: r.template.clone(),
                    phrase,
                    present,
                    lang: r.lang,
                    part,
                }),
            });
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::nth_number;

    #[test]
    fn each_next_case_gets_the_next_number_at_the_same_width() {
        assert_eq!(nth_number("TEST-000001", 0), "TEST-000001");
        assert_eq!(nth_number("TEST-000001", 2), "TEST-000003");
        assert_eq!(nth_number("MP-099", 1), "MP-100");
        assert_eq!(nth_number("MP-99", 1), "MP-100");
        assert_eq!(nth_number("ЕП-ТЕСТ", 1), "ЕП-ТЕСТ-2");
    }
}
