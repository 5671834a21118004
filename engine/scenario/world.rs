//! The in-memory world a scenario runs in: what the shell would keep in the store, the
//! outbox and the timer table, kept in maps, with the clock moved by hand.
//!
//! The rules:
//! - every transition's state replaces the case; its effects change the world in order:
//!   a task is opened, moved or closed; a timer is set or cancelled; a request waits for
//!   `answer` or `fail`; a notification, a document or a stage report is performed at
//!   once, by recording it;
//! - the clock moves only with `advance`, which fires every timer due by the target, in
//!   due order (then in the order they were set), moving the clock to each first;
//! - a timer the core finds stale (its step moved on, the case closed) lapses, as the
//!   shell would let it; any other refusal is a failure unless the step expects it;
//! - a notification or a document is rendered as it is recorded, by the channels the
//!   notifier would use; one that does not render fails the step that led to it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use serde_json::Value;

use super::compile::{Action, Advance, ENGINE_TEMPLATES, Plan, PlanStep};
use super::words;
use super::{Line, LineKind, Rendition, Run, Scenario, Setup};
use crate::calendar::Calendar;
use crate::definition::StepKind;
use crate::definition::messages::{Lang, Msg};
use crate::diagnostic::Diagnostic;
use crate::msg;
use crate::notify::preview::{self, Previewer};
use crate::notify::render::{lang_code, parse_lang};
use crate::notify::vars::{Clerk, clerk_login, enrich};
use crate::runtime::{
    self, Actor, CaseState, Context, Effect, Event, HistoryEntry, Job, Language, TimerPurpose,
    Token, Transition, Waiting, Work,
};

/// An open task, as the task queues hold it.
pub struct OpenTask {
    /// Its step, by path.
    pub step: String,
    /// The role whose queue it is in.
    pub role: String,
    /// When it is due.
    pub due: Option<DateTime<Utc>>,
}

/// A gateway request waiting for its answer.
struct Pending {
    connector: String,
    step: String,
    attempts: u32,
}

/// A timer set and not yet fired or cancelled.
pub struct Timer {
    /// When it is due.
    pub due: DateTime<Utc>,
    /// What for.
    purpose: TimerPurpose,
    /// The order it was set in, to fire timers due at once in that order.
    seq: u64,
    /// The step that set it, by path, when there is one.
    pub step: Option<String>,
    /// What it is, for the trace.
    pub what: String,
}

/// A notification sent.
pub struct Sent {
    /// The recipient.
    pub to: String,
    /// The template.
    pub template: String,
    /// The channels.
    pub channels: Vec<String>,
    /// The template's variables.
    pub vars: Value,
}

/// A document rendered.
pub struct Rendered {
    /// The template.
    pub template: String,
    /// What it is.
    pub kind: Option<String>,
    /// The template's variables.
    pub vars: Value,
}

/// One case of the scenario, and what the world keeps for it: what the store, the task
/// queues, the outbox and the timer table would hold of that case.
pub struct Case {
    /// Its name in the scenario (`1`, `second`).
    pub name: String,
    /// Its registration number, once submitted.
    pub number: String,
    /// The case, once opened.
    pub state: Option<CaseState>,
    /// Open tasks, by key.
    pub tasks: BTreeMap<String, OpenTask>,
    /// Pending requests, by job key, in the order they were made.
    requests: IndexMap<String, Pending>,
    /// Every connector the case has asked, in order (an answer taken from the citizen's
    /// signed data asks none).
    pub asked: Vec<String>,
    /// Timers by key.
    pub timers: HashMap<String, Timer>,
    /// Notices the case waits for, by job key: when the notifier sends them (at once, or
    /// when the SMS quiet hours end) and by which channels.
    sends: HashMap<String, (DateTime<Utc>, Vec<String>)>,
    /// Notifications sent, in order.
    pub notifications: Vec<Sent>,
    /// Documents rendered, in order.
    pub documents: Vec<Rendered>,
    /// Stage codes reported, in order.
    pub stages: Vec<String>,
    /// The waits for an SMS reply the case entered, as the server's index by number keeps
    /// them (`store::sms_replies`): each counts while its timeout timer is set.
    sms_waits: Vec<SmsWait>,
}

/// A wait for an SMS reply, by the number the offer went to.
struct SmsWait {
    /// The number as the case data holds it.
    phone: String,
    /// The message waited for.
    message: String,
    /// The key of the wait's timeout timer.
    timer: String,
    /// The order the waits of every case were entered in: a reply goes to the latest.
    seq: u64,
}

impl Case {
    fn new(name: &str) -> Case {
        Case {
            name: name.to_string(),
            number: String::new(),
            state: None,
            tasks: BTreeMap::new(),
            requests: IndexMap::new(),
            asked: Vec::new(),
            timers: HashMap::new(),
            sends: HashMap::new(),
            notifications: Vec::new(),
            documents: Vec::new(),
            stages: Vec::new(),
            sms_waits: Vec::new(),
        }
    }

    /// The wait for an SMS reply this case entered last and that still counts: the case is
    /// open and the wait's timeout timer is set, as the server's lookup joins them.
    fn sms_wait(&self) -> Option<&SmsWait> {
        if self.state.as_ref().is_none_or(CaseState::is_closed) {
            return None;
        }
        self.sms_waits
            .iter()
            .filter(|w| self.timers.contains_key(&w.timer))
            .max_by_key(|w| w.seq)
    }
}

/// What a broadcast did, counted over the cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases that started the event.
    pub started: u32,
    /// Cases busy with another event, which keep the message for when they are back at a hold.
    pub kept: u32,
    /// Cases that had taken the event under this key already.
    pub duplicate: u32,
    /// Cases where the event does not apply now.
    pub not_now: u32,
}

/// The world around the cases of a scenario: one clock and one timer queue for all of them.
pub struct World<'s> {
    setup: &'s Setup,
    plan: &'s Plan<'s>,
    scenario: &'s Scenario,
    calendar: &'s Calendar,
    /// The calendar's time zone: every time in the scenario and the trace is local.
    pub tz: Tz,
    /// Now.
    pub now: DateTime<Utc>,
    /// Every case of the scenario, in the order their `submit`s open them (one not yet
    /// submitted has no state).
    cases: Vec<Case>,
    /// The case the steps act on, and whose transition is being taken in.
    current: usize,
    /// Timers of every case in firing order: due, the order set, the case, the key.
    queue: BTreeSet<(DateTime<Utc>, u64, usize, String)>,
    next_timer: u64,
    /// The order of the next wait for an SMS reply, over every case.
    next_sms_wait: u64,
    /// Every notification and document, rendered as its recipient gets it, in order, with
    /// the case it is of.
    renditions: Vec<(usize, Rendition)>,
    /// What the last broadcast did.
    pub broadcast: Option<Counts>,
    /// The first template that did not render, said for a methodologist: the step whose
    /// transition asked for it fails.
    broken: Option<String>,
    trace: Vec<Line>,
}

/// Runs a compiled scenario.
pub fn run<'s>(setup: &'s Setup, scenario: &'s Scenario, plan: &'s Plan<'s>) -> Run {
    let Some(calendar) = setup.calendars.get(&plan.def.calendar) else {
        return Run {
            trace: Vec::new(),
            failure: Some(
                scenario.doc.value_diagnostic(
                    "/service",
                    msg!("scenario.calendar_not_loaded", calendar = plan.def.calendar)
                        .render(setup.lang),
                ),
            ),
            renditions: Vec::new(),
            written: Vec::new(),
        };
    };
    let tz = calendar.time_zone();
    let now = to_utc(tz, plan.start);
    let mut world = World {
        setup,
        plan,
        scenario,
        calendar,
        tz,
        now,
        cases: plan.cases.iter().map(|name| Case::new(name)).collect(),
        current: 0,
        queue: BTreeSet::new(),
        next_timer: 0,
        next_sms_wait: 0,
        renditions: Vec::new(),
        broadcast: None,
        broken: None,
        trace: Vec::new(),
    };
    let mut failure = None;
    for step in &plan.steps {
        let done = world.step(step);
        if let Some(broken) = world.broken.take() {
            failure = Some(world.fail(&step.pointer, broken));
            break;
        }
        if let Err(d) = done {
            failure = Some(d);
            break;
        }
    }
    Run {
        trace: world.trace,
        failure,
        renditions: world.renditions.into_iter().map(|(_, r)| r).collect(),
        written: Vec::new(),
    }
}

/// A local date and time as an instant (the earlier, in a repeated hour).
pub fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// An actor as the trace names it.
fn who(actor: &Actor, lang: Lang) -> String {
    match actor {
        Actor::Clerk(login) => login.clone(),
        Actor::Citizen => msg!("scenario.who.citizen").render(lang),
        Actor::System(s) => s.clone(),
        Actor::Engine => msg!("scenario.who.engine").render(lang),
    }
}

impl<'s> World<'s> {
    /// A local time as the trace and the messages show it.
    pub fn show(&self, at: DateTime<Utc>) -> String {
        words::moment(at.with_timezone(&self.tz).naive_local(), self.lang())
    }

    /// The language of what the methodologist reads (`--lang`).
    pub fn lang(&self) -> Lang {
        self.setup.lang
    }

    /// `message` in the methodologist's language.
    fn tr(&self, message: Msg) -> String {
        message.render(self.lang())
    }

    /// A local time.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.tz).naive_local()
    }

    /// The version every case of the scenario runs.
    pub fn definition(&self) -> &'s crate::definition::Definition {
        self.plan.def
    }

    /// The case the steps act on now.
    pub fn case(&self) -> &Case {
        &self.cases[self.current]
    }

    fn case_mut(&mut self) -> &mut Case {
        &mut self.cases[self.current]
    }

    /// Every notification and document of the current case, in order.
    pub fn renditions(&self) -> impl Iterator<Item = &Rendition> {
        self.renditions
            .iter()
            .filter(|(case, _)| *case == self.current)
            .map(|(_, r)| r)
    }

    /// The current case's name, as the trace and the files show it: only when the scenario
    /// has several cases, so that a one-case scenario reads as it always has.
    fn label(&self) -> Option<String> {
        (self.cases.len() > 1).then(|| self.case().name.clone())
    }

    /// A line of the trace about the current case.
    fn line(&mut self, kind: LineKind, text: impl Into<String>, step: Option<String>) {
        let case = self.label();
        self.trace.push(Line {
            at: self.local(self.now),
            kind,
            text: text.into(),
            step,
            case,
            lang: self.setup.lang,
        });
    }

    /// A line of the trace about every case: the clock moving, a broadcast.
    fn line_for_all(&mut self, text: impl Into<String>) {
        self.trace.push(Line {
            at: self.local(self.now),
            kind: LineKind::Step,
            text: text.into(),
            step: None,
            case: None,
            lang: self.setup.lang,
        });
    }

    /// A failure of the step written at `pointer`.
    pub fn fail(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        self.scenario.doc.diagnostic(pointer, message)
    }

    fn ctx(&self) -> Context<'s> {
        Context {
            definition: self.plan.def,
            subworkflows: &self.setup.subworkflows,
            calendar: self.calendar,
            settings: &self.setup.settings,
            now: self.now,
        }
    }

    /// The path of the step a token is at: `review`, `provisional_refusal_hearing/hold_hearing`.
    pub fn token_path(&self, token: &Token) -> String {
        let mut def = self.plan.def;
        let mut names = Vec::new();
        for call in &token.calls {
            let step = def.step(*call);
            names.push(step.name.clone());
            if let StepKind::Call { workflow, .. } = &step.kind
                && let Some(sub) = self.setup.subworkflows.get(workflow)
            {
                def = sub;
            }
        }
        names.push(def.step(token.step).name.clone());
        names.join("/")
    }

    /// The steps the current case waits at now.
    pub fn waiting_at(&self) -> Vec<String> {
        self.case()
            .state
            .iter()
            .flat_map(|s| s.tokens.iter())
            .map(|t| self.token_path(t))
            .collect()
    }

    fn step(&mut self, step: &PlanStep) -> Result<(), Diagnostic> {
        match &step.action {
            Action::Submit {
                case,
                number,
                submission,
                signed,
            } => {
                self.current = *case;
                self.case_mut().number = number.clone();
                self.line(
                    LineKind::Step,
                    self.tr(msg!(
                        if submission.sms_consent {
                            "scenario.trace.submit"
                        } else {
                            "scenario.trace.submit_no_sms"
                        },
                        language = serde_json::to_value(submission.language)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        channel = submission.channel,
                        region = submission.region,
                    )),
                    None,
                );
                self.same_version(step)?;
                let id = *case as i64 + 1;
                let result = runtime::start_signed(&self.ctx(), id, number, submission, signed);
                self.settle(step, result, false).map(drop)
            }
            Action::Case(case) => {
                self.current = *case;
                let text = self.tr(msg!("scenario.trace.case", number = self.case().number));
                self.line(LineKind::Step, text, None);
                Ok(())
            }
            Action::Broadcast { name, payload, by } => self.broadcast(step, name, payload, by),
            Action::Complete {
                step: path,
                outcome,
                form,
                by,
            } => {
                self.line(
                    LineKind::Step,
                    self.tr(msg!(
                        "scenario.trace.complete",
                        outcome = outcome,
                        by = who(by, self.lang())
                    )),
                    Some(path.clone()),
                );
                let Some(key) = self
                    .case()
                    .tasks
                    .iter()
                    .find(|(_, t)| &t.step == path)
                    .map(|(k, _)| k.clone())
                else {
                    let open: Vec<&str> = self
                        .case()
                        .tasks
                        .values()
                        .map(|t| t.step.as_str())
                        .collect();
                    return Err(self.fail(
                        &step.pointer,
                        self.tr(msg!(
                            "scenario.fail.no_task",
                            step = path,
                            open = words::listing(&open, self.lang())
                        )),
                    ));
                };
                let event = Event::TaskCompleted {
                    task: key,
                    outcome: outcome.clone(),
                    form: form.clone(),
                    by: by.clone(),
                };
                self.apply(step, &event).map(drop)
            }
            Action::Answer {
                connector,
                step: at,
                response,
            } => {
                let (job, path, _) = self.pending(step, connector, at)?;
                self.line(
                    LineKind::Step,
                    self.tr(msg!(
                        "scenario.trace.answer",
                        connector = connector,
                        response = compact(response)
                    )),
                    Some(path),
                );
                let event = Event::JobSucceeded {
                    job: job.clone(),
                    output: response.clone(),
                };
                if self.apply(step, &event)? {
                    self.case_mut().requests.shift_remove(&job);
                }
                Ok(())
            }
            Action::Fail {
                connector,
                step: at,
                error,
                attempts,
            } => {
                let (job, path, made) = self.pending(step, connector, at)?;
                let attempts = attempts.unwrap_or(made);
                self.line(
                    LineKind::Step,
                    self.tr(msg!(
                        "scenario.trace.fail",
                        connector = connector,
                        attempts = attempts,
                        error = error
                    )),
                    Some(path),
                );
                let event = Event::JobFailed {
                    job: job.clone(),
                    error: error.clone(),
                    attempts,
                };
                if self.apply(step, &event)? {
                    self.case_mut().requests.shift_remove(&job);
                }
                Ok(())
            }
            Action::Advance(a) => self.advance(step, a),
            Action::Message { name, payload, by } => {
                self.line(
                    LineKind::Step,
                    self.tr(msg!(
                        "scenario.trace.message",
                        name = name,
                        by = who(by, self.lang()),
                        payload = compact(payload)
                    )),
                    None,
                );
                let event = Event::MessageReceived {
                    name: name.clone(),
                    payload: payload.clone(),
                    by: by.clone(),
                };
                self.apply(step, &event).map(drop)
            }
            Action::SmsReply { text, case, from } => self.sms_reply(step, text, *case, from),
            Action::Withdraw { by } => {
                self.line(
                    LineKind::Step,
                    self.tr(msg!("scenario.trace.withdraw", by = who(by, self.lang()))),
                    None,
                );
                self.apply(step, &Event::Withdrawn { by: by.clone() })
                    .map(drop)
            }
            Action::Expect(checks) => {
                for check in checks {
                    if let Err(message) = super::expect::check(self, &check.what) {
                        return Err(self.fail(&check.pointer, message));
                    }
                }
                let mut keys: Vec<&str> = Vec::new();
                for check in checks {
                    let key = check
                        .pointer
                        .strip_prefix(&format!("{}/", step.pointer))
                        .and_then(|rest| rest.split('/').next())
                        .unwrap_or_default();
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                self.line(
                    LineKind::Step,
                    self.tr(msg!("scenario.trace.expect", keys = keys.join(", "))),
                    None,
                );
                Ok(())
            }
        }
    }

    /// A case opened later in the scenario runs the version its first case runs: the one
    /// in force on the day of `now`. One that another version would take on the server is
    /// a failure, not a run under the wrong rules.
    fn same_version(&self, step: &PlanStep) -> Result<(), Diagnostic> {
        let def = self.plan.def;
        let today = self.local(self.now).date();
        let in_force = self.setup.library.in_force(&def.id, today);
        if in_force.is_some_and(|d| d.version == def.version) {
            return Ok(());
        }
        let found = match in_force {
            Some(d) => msg!("scenario.version_in_force", version = d.version),
            None => msg!("scenario.no_version_in_force"),
        };
        Err(self.fail(
            &step.pointer,
            self.tr(msg!(
                "scenario.fail.other_version",
                service = def.id,
                version = def.version,
                day = words::day(today, self.lang())
            )
            .with_msg("found", found)),
        ))
    }

    /// A message that starts a life event comes to every case, in order, as the server's
    /// mass event delivers it: each case starts the event, keeps the message for when it is
    /// back at a hold, or refuses it as taken already or as not applicable now; a case that
    /// has ended (or never opened) is not touched. Any other refusal fails the step.
    fn broadcast(
        &mut self,
        step: &PlanStep,
        name: &str,
        payload: &Value,
        by: &Actor,
    ) -> Result<(), Diagnostic> {
        let text = self.tr(msg!(
            "scenario.trace.broadcast",
            name = name,
            by = who(by, self.lang()),
            payload = compact(payload)
        ));
        self.line_for_all(text);
        let back = self.current;
        let mut counts = Counts::default();
        for case in 0..self.cases.len() {
            self.current = case;
            let Some(state) = &self.case().state else {
                continue;
            };
            if state.is_closed() {
                let text = self.tr(msg!("scenario.trace.broadcast_closed"));
                self.line(LineKind::Effect, text, None);
                continue;
            }
            let event = Event::MessageReceived {
                name: name.to_string(),
                payload: payload.clone(),
                by: by.clone(),
            };
            match runtime::apply(&self.ctx(), state, &event) {
                Ok(t) => {
                    if t.history.iter().any(|h| h.kind == "message_kept") {
                        counts.kept += 1;
                    } else {
                        counts.started += 1;
                    }
                    self.absorb(t, true);
                }
                Err(e @ runtime::Error::Duplicate { .. }) => {
                    counts.duplicate += 1;
                    let text = self.tr(msg!("scenario.trace.broadcast_duplicate", error = e));
                    self.line(LineKind::Effect, text, None);
                }
                Err(e @ runtime::Error::EventNotNow(_)) => {
                    counts.not_now += 1;
                    let text = self.tr(msg!("scenario.trace.broadcast_not_now", error = e));
                    self.line(LineKind::Effect, text, None);
                }
                Err(e) => {
                    let message = self.tr(msg!(
                        "scenario.fail.broadcast_refused",
                        case = self.case().name,
                        error = e
                    ));
                    self.current = back;
                    return Err(self.fail(&step.pointer, message));
                }
            }
        }
        self.current = back;
        self.broadcast = Some(counts);
        Ok(())
    }

    /// The pending request of a connector (and step): job key, step path, attempts.
    fn pending(
        &self,
        step: &PlanStep,
        connector: &str,
        at: &Option<String>,
    ) -> Result<(String, String, u32), Diagnostic> {
        let found: Vec<(&String, &Pending)> = self
            .case()
            .requests
            .iter()
            .filter(|(_, p)| p.connector == connector)
            .filter(|(_, p)| at.as_ref().is_none_or(|s| &p.step == s))
            .collect();
        match found.as_slice() {
            [(key, p)] => Ok(((*key).clone(), p.step.clone(), p.attempts)),
            [] => {
                let pending: Vec<String> = self
                    .case()
                    .requests
                    .values()
                    .map(|p| {
                        self.tr(msg!(
                            "scenario.request_at",
                            connector = p.connector,
                            step = p.step
                        ))
                    })
                    .collect();
                let pending = words::or_none(&pending, self.lang());
                let message = match at {
                    Some(from) => msg!(
                        "scenario.fail.no_request_from",
                        connector = connector,
                        step = from,
                        pending = pending
                    ),
                    None => msg!(
                        "scenario.fail.no_request",
                        connector = connector,
                        pending = pending
                    ),
                };
                Err(self.fail(&step.pointer, self.tr(message)))
            }
            several => {
                let steps: Vec<&str> = several.iter().map(|(_, p)| p.step.as_str()).collect();
                Err(self.fail(
                    &step.pointer,
                    self.tr(msg!(
                        "scenario.fail.several_requests",
                        count = several.len(),
                        connector = connector,
                        steps = words::listing(&steps, self.lang())
                    )),
                ))
            }
        }
    }

    /// Applies an event; `Ok(true)` when the core took it, `Ok(false)` when it refused it
    /// as the step expected.
    fn apply(&mut self, step: &PlanStep, event: &Event) -> Result<bool, Diagnostic> {
        let Some(state) = &self.case().state else {
            return Err(self.fail(&step.pointer, self.tr(msg!("scenario.fail.no_case"))));
        };
        let result = runtime::apply(&self.ctx(), state, event);
        let caused = matches!(event, Event::MessageReceived { .. });
        self.settle(step, result, caused)
    }

    /// Takes the core's answer to a step: the transition (`message`: a message caused it, see
    /// [`World::absorb`]), or its refusal.
    fn settle(
        &mut self,
        step: &PlanStep,
        result: Result<Transition, runtime::Error>,
        message: bool,
    ) -> Result<bool, Diagnostic> {
        match (result, &step.expect_error) {
            (Ok(t), None) => {
                self.absorb(t, message);
                Ok(true)
            }
            (Ok(_), Some(want)) => Err(self.fail(
                &step.pointer,
                self.tr(msg!("scenario.fail.accepted", want = want)),
            )),
            (Err(e), None) => Err(self.fail(
                &step.pointer,
                self.tr(msg!("scenario.fail.refused", error = e)),
            )),
            (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => {
                let text = self.tr(msg!("scenario.trace.refused", error = e));
                self.line(LineKind::Effect, text, None);
                Ok(false)
            }
            (Err(e), Some(want)) => Err(self.fail(
                &step.pointer,
                self.tr(msg!("scenario.fail.other_error", want = want, error = e)),
            )),
        }
    }

    fn advance(&mut self, step: &PlanStep, a: &Advance) -> Result<(), Diagnostic> {
        let local = self.local(self.now);
        let (target, said) = match a {
            Advance::WorkingDays(n) => {
                let day = self
                    .calendar
                    .add_working_days(local.date(), *n)
                    .map_err(|e| {
                        self.fail(
                            &step.pointer,
                            self.tr(msg!("scenario.fail.calendar", error = e)),
                        )
                    })?;
                (
                    to_utc(self.tz, day.result.and_time(local.time())),
                    self.tr(msg!("scenario.working_days", n = n)),
                )
            }
            Advance::CalendarDays(n) => (
                self.now + Duration::days(i64::from(*n)),
                self.tr(msg!("scenario.calendar_days", n = n)),
            ),
            Advance::Minutes(m) => (
                self.now + Duration::minutes(*m),
                if m % 60 == 0 {
                    self.tr(msg!("scenario.hours", n = m / 60))
                } else {
                    self.tr(msg!("scenario.minutes", n = m))
                },
            ),
            Advance::Until(at) => (to_utc(self.tz, *at), self.tr(msg!("scenario.until_then"))),
        };
        if target < self.now {
            return Err(self.fail(
                &step.pointer,
                self.tr(msg!(
                    "scenario.fail.clock_back",
                    target = self.show(target),
                    now = self.show(self.now)
                )),
            ));
        }
        let shown = self.show(target);
        let text = self.tr(msg!("scenario.trace.advance", by = said, to = shown));
        self.line_for_all(text);
        let back = self.current;
        let fired = self.fire_until(step, target);
        self.current = back;
        let refused = fired?;
        self.now = target;
        if let Some(want) = &step.expect_error
            && !refused
        {
            return Err(self.fail(
                &step.pointer,
                self.tr(msg!("scenario.fail.no_timer_refused", want = want)),
            ));
        }
        Ok(())
    }

    /// Fires every timer of every case due by `target`, in due order (then in the order they
    /// were set), moving the clock to each; `Ok(true)` when the core refused one as the step
    /// expected.
    fn fire_until(&mut self, step: &PlanStep, target: DateTime<Utc>) -> Result<bool, Diagnostic> {
        let mut refused = false;
        while let Some((due, seq, case, key)) = self.queue.first().cloned() {
            if due > target {
                break;
            }
            self.queue.remove(&(due, seq, case, key.clone()));
            self.current = case;
            if due > self.now && self.case().sends.contains_key(&key) {
                self.now = due;
            }
            if self.send_due(&key)? {
                continue;
            }
            let Some(timer) = self.case_mut().timers.remove(&key) else {
                continue;
            };
            if due > self.now {
                self.now = due;
            }
            let text = self.tr(msg!("scenario.trace.timer_fires", what = timer.what));
            self.line(LineKind::Step, text, timer.step.clone());
            let Some(state) = &self.case().state else {
                continue;
            };
            let event = Event::TimerFired {
                timer: key,
                purpose: timer.purpose,
                due_at: due,
            };
            match runtime::apply(&self.ctx(), state, &event) {
                Ok(t) => self.absorb(t, false),
                Err(e @ (runtime::Error::Stale(_) | runtime::Error::Closed { .. })) => {
                    let text = self.tr(msg!("scenario.trace.lapses", error = e));
                    self.line(LineKind::Effect, text, None)
                }
                Err(e) => match &step.expect_error {
                    Some(want) if e.to_string().contains(want.as_str()) => {
                        refused = true;
                        let text = self.tr(msg!("scenario.trace.refused", error = e));
                        self.line(LineKind::Effect, text, None);
                    }
                    _ => {
                        return Err(self.fail(
                            &step.pointer,
                            self.tr(msg!(
                                "scenario.fail.timer_refused",
                                what = timer.what,
                                error = e
                            )),
                        ));
                    }
                },
            }
        }
        Ok(refused)
    }

    /// A notice the case waits for goes, as the notifier would send it: the outcome comes
    /// back to the case. `Ok(false)` when `key` is no such notice.
    fn send_due(&mut self, key: &str) -> Result<bool, Diagnostic> {
        let Some((_, channels)) = self.case_mut().sends.remove(key) else {
            return Ok(false);
        };
        if self.case().state.is_none() {
            return Ok(true);
        }
        let text = self.tr(msg!(
            "scenario.trace.notice_goes",
            channels = channels.join(", ")
        ));
        self.line(LineKind::Effect, text, None);
        let Some(state) = &self.case().state else {
            return Ok(true);
        };
        let output: serde_json::Map<String, Value> = channels
            .iter()
            .map(|c| (c.clone(), serde_json::json!({ "status": "sent" })))
            .collect();
        let event = Event::JobSucceeded {
            job: key.to_string(),
            output: Value::Object(output),
        };
        match runtime::apply(&self.ctx(), state, &event) {
            Ok(t) => self.absorb(t, false),
            Err(e) => {
                let text = self.tr(msg!("scenario.trace.lapses", error = e));
                self.line(LineKind::Effect, text, None)
            }
        }
        Ok(true)
    }

    /// Takes a transition of the current case in: the new state; with `message` (a message
    /// caused it), what became of the message first — a life event started, the message kept
    /// for later; each effect in order, a notice the case waits for and that may go now going
    /// now; then the rest of what the history says.
    fn absorb(&mut self, t: Transition, message: bool) {
        self.case_mut().state = Some(t.state);
        if message {
            self.history_lines(&t.history, Some(true));
        }
        for effect in t.effects {
            self.effect(effect);
        }
        let now = self.now;
        let ready: Vec<String> = self
            .case()
            .sends
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let case = self.current;
        for key in ready {
            if let Some((at, _)) = self.case().sends.get(&key) {
                let at = *at;
                self.queue
                    .retain(|(d, _, c, k)| !(*d == at && *c == case && *k == key));
            }
            // An event the core refuses here is said in the trace; nothing else to report.
            let _ = self.send_due(&key);
        }
        self.history_lines(&t.history, if message { Some(false) } else { None });
    }

    /// The trace's lines for what a transition's history says: with `Some(true)`, only what
    /// became of a message (an event started, the message kept or taken); with `Some(false)`,
    /// only the rest; with `None`, all of it.
    fn history_lines(&mut self, history: &[HistoryEntry], leading: Option<bool>) {
        let text = |h: &HistoryEntry, key: &str| -> String {
            match &h.detail[key] {
                Value::String(s) => s.clone(),
                Value::Null => "—".to_string(),
                other => other.to_string(),
            }
        };
        for h in history {
            let of_message = matches!(
                h.kind.as_str(),
                "event_started" | "message_kept" | "message_taken"
            );
            if leading.is_some_and(|l| l != of_message) {
                continue;
            }
            let message = match h.kind.as_str() {
                "event_started" => msg!("scenario.trace.event_started", event = text(h, "event")),
                "message_kept" if h.detail.get("event").is_some() => msg!(
                    "scenario.trace.event_kept",
                    message = text(h, "message"),
                    event = text(h, "event")
                ),
                "message_kept" => msg!(
                    "scenario.trace.message_kept",
                    message = h.detail["message"].as_str().unwrap_or_default()
                ),
                "message_taken" => {
                    msg!("scenario.trace.message_taken", message = text(h, "message"))
                }
                "holding" => msg!("scenario.trace.holding", state = text(h, "state")),
                "data_signed" => msg!(
                    "scenario.trace.data_signed",
                    connector = text(h, "connector")
                ),
                "term_met" => msg!("scenario.trace.term_met", due = text(h, "due_on")),
                "record_changed" => msg!(
                    "scenario.trace.record_changed",
                    field = text(h, "field"),
                    from = text(h, "from"),
                    to = text(h, "to")
                ),
                "event_date_absent" => msg!(
                    "scenario.trace.event_date_absent",
                    event = text(h, "event"),
                    date = text(h, "date")
                ),
                "event_date_moved" => msg!(
                    "scenario.trace.event_date_moved",
                    event = text(h, "event"),
                    date = text(h, "date")
                ),
                "term_started" => msg!(
                    "scenario.trace.term_started",
                    accepted = h.detail["accepted_on"].as_str().unwrap_or_default(),
                    due = h.detail["due_on"].as_str().unwrap_or_default()
                ),
                "term_paused" => msg!("scenario.trace.term_paused"),
                "term_resumed" => msg!(
                    "scenario.trace.term_resumed",
                    days = h.detail["paused_working_days"],
                    due = h.detail["due_on"].as_str().unwrap_or_default()
                ),
                "closed" => msg!(
                    "scenario.trace.closed",
                    result = h.detail["result"].as_str().unwrap_or_default()
                ),
                _ => continue,
            };
            let message = self.tr(message);
            self.line(LineKind::Effect, message, h.step.clone());
        }
    }

    fn effect(&mut self, effect: Effect) {
        match effect {
            Effect::CreateTask {
                key,
                step,
                role,
                due_at,
                ..
            } => {
                let text = match due_at {
                    Some(d) => msg!("scenario.trace.task_due", role = role, due = self.show(d)),
                    None => msg!("scenario.trace.task", role = role),
                };
                let text = self.tr(text);
                self.line(LineKind::Effect, text, Some(step.clone()));
                self.case_mut().tasks.insert(
                    key,
                    OpenTask {
                        step,
                        role,
                        due: due_at,
                    },
                );
            }
            Effect::CloseTask { key } => match self.case_mut().tasks.remove(&key) {
                Some(task) => {
                    let text = self.tr(msg!("scenario.trace.task_closed"));
                    self.line(LineKind::Effect, text, Some(task.step))
                }
                None => {
                    let text = self.tr(msg!("scenario.trace.no_such_task", key = key));
                    self.line(LineKind::Effect, text, None)
                }
            },
            Effect::ReassignTask { key, role } => {
                let step = self.case_mut().tasks.get_mut(&key).map(|t| {
                    t.role = role.clone();
                    t.step.clone()
                });
                let text = self.tr(msg!("scenario.trace.task_moved", role = role));
                self.line(LineKind::Effect, text, step);
            }
            Effect::SetTimer {
                key,
                due_at,
                purpose,
            } => {
                let (step, what) = self.describe(&purpose);
                let moved = match &purpose {
                    TimerPurpose::TaskRung {
                        moved_from: Some(from),
                        ..
                    }
                    | TimerPurpose::TermRung {
                        moved_from: Some(from),
                        ..
                    } => Some(self.show(*from)),
                    _ => None,
                };
                let text = match moved {
                    Some(from) => msg!(
                        "scenario.trace.timer_moved",
                        due = self.show(due_at),
                        from = from,
                        what = what
                    ),
                    None => msg!("scenario.trace.timer", due = self.show(due_at), what = what),
                };
                let text = self.tr(text);
                self.line(LineKind::Effect, text, step.clone());
                let seq = self.next_timer;
                self.next_timer += 1;
                let case = self.current;
                self.queue.insert((due_at, seq, case, key.clone()));
                self.case_mut().timers.insert(
                    key,
                    Timer {
                        due: due_at,
                        purpose,
                        seq,
                        step,
                        what,
                    },
                );
            }
            Effect::CancelTimer { key } => {
                if let Some(timer) = self.case_mut().timers.remove(&key) {
                    let case = self.current;
                    self.queue.remove(&(timer.due, timer.seq, case, key));
                    let text = self.tr(msg!("scenario.trace.timer_cancelled", what = timer.what));
                    self.line(LineKind::Effect, text, timer.step);
                }
            }
            Effect::Job(Job { key, work }) => self.job(key, work),
            // The server's index of the waits by number, kept as it keeps it.
            Effect::AwaitSmsReply {
                phone,
                message,
                timer,
            } => {
                let seq = self.next_sms_wait;
                self.next_sms_wait += 1;
                self.case_mut().sms_waits.push(SmsWait {
                    phone,
                    message,
                    timer,
                    seq,
                });
            }
            // The wave the runner opens after commit (its history line says it started); a
            // scenario opens no cases of another service.
            Effect::StartWave { .. } => {}
        }
    }

    /// The citizen's SMS reply, as `POST /integrations/sms/replies` takes it: it goes to the
    /// case that entered its wait for a reply from that number last, which must be the case
    /// the step names; the reply is read by the server's own [`read`]. One of the words: the
    /// message is delivered as the citizen's. Otherwise: the help SMS goes (the server's
    /// outbox job, recorded as sent), the history line the server writes is said, and the case
    /// waits on. A reply no case of the scenario waits for fails the step (the server would
    /// answer `no_case` and do nothing), unless `expect_error` expects it.
    ///
    /// [`read`]: crate::api::sms_replies::read
    fn sms_reply(
        &mut self,
        step: &PlanStep,
        text: &str,
        case: Option<usize>,
        from: &Option<String>,
    ) -> Result<(), Diagnostic> {
        use crate::api::sms_replies as server;
        use crate::store::sms_replies::phone_key;
        if let Some(case) = case
            && case != self.current
        {
            self.current = case;
            let text = self.tr(msg!("scenario.trace.case", number = self.case().number));
            self.line(LineKind::Step, text, None);
        }
        let line = match from {
            Some(from) => msg!("scenario.trace.sms_reply_from", text = text, from = from),
            None => msg!("scenario.trace.sms_reply", text = text),
        };
        let line = self.tr(line);
        self.line(LineKind::Step, line, None);
        let number = match from {
            Some(from) => from.clone(),
            None => match self.case().sms_wait() {
                Some(wait) => wait.phone.clone(),
                None => {
                    let waiting = words::listing(&self.waiting_at(), self.lang());
                    let why = self.tr(msg!("scenario.fail.no_sms_reply_wait", waiting = waiting));
                    return self.not_taken(step, why);
                }
            },
        };
        // The server's lookup: the open cases waiting for a reply from that number, the one
        // that entered its wait last first.
        let key = phone_key(&number);
        let found = self
            .cases
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.sms_wait().map(|w| (i, w)))
            .filter(|(_, w)| phone_key(&w.phone) == key)
            .max_by_key(|(_, w)| w.seq)
            .map(|(i, w)| (i, w.message.clone()));
        let Some((reached, message)) = found else {
            let why = self.tr(msg!("scenario.fail.no_sms_reply_from", from = number));
            return self.not_taken(step, why);
        };
        if reached != self.current {
            let why = self.tr(msg!(
                "scenario.fail.sms_reply_other_case",
                from = number,
                reached = self.cases[reached].name,
                case = self.case().name
            ));
            return Err(self.fail(&step.pointer, why));
        }
        let def = self.definition();
        let Some(rule) = def.sms_replies.get(&message) else {
            let waiting = words::listing(&self.waiting_at(), self.lang());
            let why = self.tr(msg!("scenario.fail.no_sms_reply_wait", waiting = waiting));
            return self.not_taken(step, why);
        };
        if let Some(payload) = server::read(rule, text) {
            let event = Event::MessageReceived {
                name: message,
                payload,
                by: Actor::Citizen,
            };
            return self.apply(step, &event).map(drop);
        }
        if let Some(want) = &step.expect_error {
            let why = self.tr(msg!("scenario.fail.accepted", want = want));
            return Err(self.fail(&step.pointer, why));
        }
        let Some(state) = self.case().state.clone() else {
            return Err(self.fail(&step.pointer, self.tr(msg!("scenario.fail.no_case"))));
        };
        // The history line the server writes, at the step that waits for the message.
        let at = state
            .tokens
            .iter()
            .find(|t| matches!(&t.waiting, Waiting::Message { name, .. } if *name == message))
            .map(|t| self.token_path(t));
        let line = self.tr(msg!(
            "scenario.trace.sms_reply_not_recognised",
            message = message,
            help = rule.help
        ));
        self.line(LineKind::Effect, line, at);
        let today = self.local(self.now).date();
        let vars = server::help_vars(def, &state, today);
        let n = self.case().notifications.len();
        let key = format!("sms-reply:{}:{n}", state.number);
        self.job(key, server::help_notice(rule, vars));
        Ok(())
    }

    /// A step the server would not take: a failure, or, when the step expects an error the
    /// message contains, a line of the trace.
    fn not_taken(&mut self, step: &PlanStep, why: String) -> Result<(), Diagnostic> {
        match &step.expect_error {
            Some(want) if why.contains(want.as_str()) => {
                let text = self.tr(msg!("scenario.trace.refused", error = why));
                self.line(LineKind::Effect, text, None);
                Ok(())
            }
            Some(want) => Err(self.fail(
                &step.pointer,
                self.tr(msg!("scenario.fail.other_error", want = want, error = why)),
            )),
            None => Err(self.fail(&step.pointer, why)),
        }
    }

    fn job(&mut self, key: String, work: Work) {
        match work {
            Work::Request {
                connector,
                input,
                attempts,
                ..
            } => {
                let step = self
                    .case()
                    .state
                    .iter()
                    .flat_map(|s| s.tokens.iter())
                    .find(|t| matches!(&t.waiting, Waiting::Job { key: k } if *k == key))
                    .map(|t| self.token_path(t))
                    .unwrap_or_default();
                let text = self.tr(msg!(
                    "scenario.trace.request",
                    connector = connector,
                    input = compact(&input)
                ));
                self.line(LineKind::Effect, text, Some(step.clone()));
                self.case_mut().asked.push(connector.clone());
                self.case_mut().requests.insert(
                    key,
                    Pending {
                        connector,
                        step,
                        attempts,
                    },
                );
            }
            Work::Notify {
                to,
                template,
                channels,
                vars,
                awaited,
                urgent,
                credentials,
            } => {
                if awaited {
                    // Quiet hours hold a citizen's SMS until the morning, and the notice with
                    // it (seeds/000 appendix 1; `notify::quiet`).
                    let at = if channels.iter().any(|c| c == "sms") && !urgent {
                        crate::notify::quiet::sms_not_before(self.now).unwrap_or(self.now)
                    } else {
                        self.now
                    };
                    if at > self.now {
                        let seq = self.next_timer;
                        self.next_timer += 1;
                        let case = self.current;
                        self.queue.insert((at, seq, case, key.clone()));
                        let text = self.tr(msg!("scenario.trace.quiet_hours", at = self.show(at)));
                        self.line(LineKind::Effect, text, None);
                    }
                    self.case_mut()
                        .sends
                        .insert(key.clone(), (at, channels.clone()));
                }
                let step = self.sender(&template, &vars);
                let text = self.tr(msg!(
                    "scenario.trace.notify",
                    to = to,
                    template = template,
                    channels = channels.join(", ")
                ));
                self.line(LineKind::Effect, text, step.clone());
                self.render(step, &template, &vars, |p, lang, vars| {
                    p.notification(
                        &key,
                        &to,
                        &template,
                        &channels,
                        credentials.is_some(),
                        lang,
                        vars,
                    )
                });
                self.case_mut().notifications.push(Sent {
                    to,
                    template,
                    channels,
                    vars,
                });
            }
            Work::Document {
                template,
                kind,
                vars,
            } => {
                let step = self.sender(&template, &vars);
                let text = match &kind {
                    Some(kind) => msg!(
                        "scenario.trace.document_kind",
                        template = template,
                        kind = kind
                    ),
                    None => msg!("scenario.trace.document", template = template),
                };
                let text = self.tr(text);
                self.line(LineKind::Effect, text, step.clone());
                self.render(step, &template, &vars, |p, lang, vars| {
                    p.document(&template, lang, vars).map(|b| vec![b])
                });
                self.case_mut().documents.push(Rendered {
                    template,
                    kind,
                    vars,
                });
            }
            Work::Stage { stage, step, .. } => {
                let text = self.tr(msg!("scenario.trace.stage", stage = stage));
                self.line(LineKind::Effect, text, Some(step));
                self.case_mut().stages.push(stage);
            }
        }
    }

    /// Renders a notification or a document as the notifier would, in the case's language,
    /// with the variables it would add: the office, the clerk (by the scenario's `staff:`,
    /// else the login, and the title of the role the task was for), `now`. A template that
    /// does not render is kept to fail the step.
    fn render(
        &mut self,
        step: Option<String>,
        template: &str,
        vars: &Value,
        make: impl FnOnce(
            &Previewer<'_>,
            Language,
            &Value,
        ) -> Result<Vec<preview::Body>, preview::Error>,
    ) {
        let setup = self.setup;
        let Some(kit) = &setup.preview else {
            if self.broken.is_none() {
                self.broken =
                    Some(self.tr(msg!("scenario.fail.no_templates", template = template)));
            }
            return;
        };
        let lang = vars
            .get("language")
            .and_then(Value::as_str)
            .and_then(parse_lang)
            .or(self.case().state.as_ref().map(|s| s.language))
            .unwrap_or_default();
        // A login named as `staff:` names it, for the last clerk and each signer alike.
        let staffed = |login: &str| {
            let staff = self.plan.staff.get(login);
            Clerk {
                full_name: Some(staff.map_or_else(|| login.to_string(), |s| s.full_name.clone())),
                position: staff
                    .and_then(|s| s.position.as_ref())
                    .map(|p| crate::notify::vars::pick(p, lang)),
                first_role_title: None,
            }
        };
        let clerk = clerk_login(vars).map(staffed).unwrap_or_default();
        let signers = crate::notify::vars::signer_logins(vars)
            .into_iter()
            .map(|login| {
                let clerk = staffed(&login);
                (login, clerk)
            })
            .collect();
        let vars = enrich(vars, lang, kit.office.as_ref(), &clerk, &signers, self.now);
        let previewer = Previewer {
            templates: &kit.templates,
            staff: &kit.staff,
            from: &kit.from,
            now: self.now,
        };
        match make(&previewer, lang, &vars) {
            Ok(bodies) => {
                let order = self.renditions.last().map_or(1, |(_, r)| r.order + 1);
                let case = self.current;
                let label = self.label();
                for body in bodies {
                    self.renditions.push((
                        case,
                        Rendition {
                            order,
                            case: label.clone(),
                            step: step.clone(),
                            template: template.to_string(),
                            lang,
                            body,
                        },
                    ));
                }
            }
            Err(e) => {
                let part = e
                    .file()
                    .and_then(|f| f.split('.').nth(1))
                    .map(|p| self.tr(msg!("scenario.part", part = p)))
                    .unwrap_or_default();
                let message = self.tr(msg!(
                    "scenario.fail.not_rendered",
                    template = template,
                    lang = lang_code(lang),
                    part = part,
                    error = e
                ));
                self.line(LineKind::Effect, message.clone(), step);
                if self.broken.is_none() {
                    self.broken = Some(message);
                }
            }
        }
    }

    /// The step that sent a notification or rendered a document, for the trace.
    fn sender(&self, template: &str, vars: &Value) -> Option<String> {
        if ENGINE_TEMPLATES.contains(&template) {
            return vars
                .get("failed_step")
                .or_else(|| vars.get("step"))
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        match self.plan.names.template_steps(template).as_slice() {
            [one] => Some(one.to_string()),
            _ => None,
        }
    }

    /// What a timer is for: the step that set it and a few words.
    fn describe(&self, purpose: &TimerPurpose) -> (Option<String>, String) {
        let token = |id: u32| self.case().state.as_ref().and_then(|s| s.token(id));
        match purpose {
            TimerPurpose::Wait { token: id } => (
                token(*id).map(|t| self.token_path(t)),
                self.tr(msg!("scenario.timer.wait")),
            ),
            TimerPurpose::LifeEvent { token: id, event } => (
                token(*id).map(|t| self.token_path(t)),
                self.tr(msg!("scenario.timer.event", event = event)),
            ),
            TimerPurpose::MessageTimeout { token: id } => {
                let t = token(*id);
                let message = match t.map(|t| &t.waiting) {
                    Some(Waiting::Message { name, .. }) => name.clone(),
                    _ => self.tr(msg!("scenario.timer.the_message")),
                };
                (
                    t.map(|t| self.token_path(t)),
                    self.tr(msg!("scenario.timer.message", message = message)),
                )
            }
            TimerPurpose::TaskRung { task, rung, .. } => {
                let step = self.case().tasks.get(task).map(|t| t.step.clone());
                let percent = step
                    .as_deref()
                    .and_then(|s| self.plan.names.task(s))
                    .and_then(|(_, t)| t.escalation.get(*rung))
                    .map(|r| r.at_percent);
                (
                    step,
                    self.tr(msg!(
                        "scenario.timer.task_rung",
                        percent = percent.map(|p| p.to_string()).unwrap_or("?".into())
                    )),
                )
            }
            TimerPurpose::TermRung { rung, .. } => {
                let percent = self
                    .plan
                    .def
                    .term
                    .as_ref()
                    .and_then(|t| t.escalation.get(*rung))
                    .map(|r| r.at_percent);
                (
                    None,
                    self.tr(msg!(
                        "scenario.timer.term_rung",
                        percent = percent.map(|p| p.to_string()).unwrap_or("?".into())
                    )),
                )
            }
        }
    }
}

/// A value on one line.
pub fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
