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
//!   shell would let it; any other refusal is a failure unless the step expects it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use serde_json::Value;

use super::compile::{Action, Advance, ENGINE_TEMPLATES, Plan, PlanStep};
use super::{Line, LineKind, Run, Scenario, Setup};
use crate::calendar::Calendar;
use crate::definition::StepKind;
use crate::diagnostic::Diagnostic;
use crate::runtime::{
    self, Actor, CaseState, Context, Effect, Event, Job, TimerPurpose, Token, Transition, Waiting,
    Work,
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

/// The world around one case.
pub struct World<'s> {
    setup: &'s Setup,
    plan: &'s Plan<'s>,
    scenario: &'s Scenario,
    calendar: &'s Calendar,
    /// The calendar's time zone: every time in the scenario and the trace is local.
    pub tz: Tz,
    /// Now.
    pub now: DateTime<Utc>,
    /// The case, once opened.
    pub state: Option<CaseState>,
    /// Open tasks, by key.
    pub tasks: BTreeMap<String, OpenTask>,
    /// Pending requests, by job key, in the order they were made.
    requests: IndexMap<String, Pending>,
    /// Timers in firing order.
    queue: BTreeSet<(DateTime<Utc>, u64, String)>,
    /// Timers by key.
    pub timers: HashMap<String, Timer>,
    next_timer: u64,
    /// Notices the case waits for, by job key: when the notifier sends them (at once, or
    /// when the SMS quiet hours end) and by which channels.
    sends: HashMap<String, (DateTime<Utc>, Vec<String>)>,
    /// Notifications sent, in order.
    pub notifications: Vec<Sent>,
    /// Documents rendered, in order.
    pub documents: Vec<Rendered>,
    /// Stage codes reported, in order.
    pub stages: Vec<String>,
    trace: Vec<Line>,
}

/// Runs a compiled scenario.
pub fn run<'s>(setup: &'s Setup, scenario: &'s Scenario, plan: &'s Plan<'s>) -> Run {
    let Some(calendar) = setup.calendars.get(&plan.def.calendar) else {
        return Run {
            trace: Vec::new(),
            failure: Some(scenario.doc.value_diagnostic(
                "/service",
                format!("the calendar `{}` is not loaded", plan.def.calendar),
            )),
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
        state: None,
        tasks: BTreeMap::new(),
        requests: IndexMap::new(),
        queue: BTreeSet::new(),
        timers: HashMap::new(),
        next_timer: 0,
        sends: HashMap::new(),
        notifications: Vec::new(),
        documents: Vec::new(),
        stages: Vec::new(),
        trace: Vec::new(),
    };
    let mut failure = None;
    for step in &plan.steps {
        if let Err(d) = world.step(step) {
            failure = Some(d);
            break;
        }
    }
    Run {
        trace: world.trace,
        failure,
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
fn who(actor: &Actor) -> String {
    match actor {
        Actor::Clerk(login) => login.clone(),
        Actor::Citizen => "the citizen".into(),
        Actor::System(s) => s.clone(),
        Actor::Engine => "the engine".into(),
    }
}

/// A list as a sentence: "`a`", "`a` and `b`", "`a`, `b` and `c`".
pub fn listing<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl<'s> World<'s> {
    /// A local time as the trace and the messages show it.
    pub fn show(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.tz).naive_local();
        if local.and_utc().timestamp() % 60 == 0 {
            local.format("%a %Y-%m-%d %H:%M").to_string()
        } else {
            local.format("%a %Y-%m-%d %H:%M:%S").to_string()
        }
    }

    /// A local time.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.tz).naive_local()
    }

    fn line(&mut self, kind: LineKind, text: impl Into<String>, step: Option<String>) {
        self.trace.push(Line {
            at: self.local(self.now),
            kind,
            text: text.into(),
            step,
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

    /// The steps the case waits at now.
    pub fn waiting_at(&self) -> Vec<String> {
        self.state
            .iter()
            .flat_map(|s| s.tokens.iter())
            .map(|t| self.token_path(t))
            .collect()
    }

    fn step(&mut self, step: &PlanStep) -> Result<(), Diagnostic> {
        match &step.action {
            Action::Submit(submission) => {
                self.line(
                    LineKind::Step,
                    format!(
                        "submit: in {}, through {}, region {}, SMS consent {}",
                        serde_json::to_value(submission.language)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        submission.channel,
                        submission.region,
                        if submission.sms_consent {
                            "given"
                        } else {
                            "not given"
                        }
                    ),
                    None,
                );
                let result = runtime::start(&self.ctx(), 1, &self.plan.number, submission);
                self.settle(step, result).map(drop)
            }
            Action::Complete {
                step: path,
                outcome,
                form,
                by,
            } => {
                self.line(
                    LineKind::Step,
                    format!("complete: `{outcome}`, by {}", who(by)),
                    Some(path.clone()),
                );
                let Some(key) = self
                    .tasks
                    .iter()
                    .find(|(_, t)| &t.step == path)
                    .map(|(k, _)| k.clone())
                else {
                    let open: Vec<&str> = self.tasks.values().map(|t| t.step.as_str()).collect();
                    return Err(self.fail(
                        &step.pointer,
                        format!(
                            "there is no open task at `{path}`; open tasks: {}",
                            listing(&open)
                        ),
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
                    format!("answer: {connector} answers {}", compact(response)),
                    Some(path),
                );
                let event = Event::JobSucceeded {
                    job: job.clone(),
                    output: response.clone(),
                };
                if self.apply(step, &event)? {
                    self.requests.shift_remove(&job);
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
                    format!("fail: {connector} fails after {attempts} attempt(s): {error}"),
                    Some(path),
                );
                let event = Event::JobFailed {
                    job: job.clone(),
                    error: error.clone(),
                    attempts,
                };
                if self.apply(step, &event)? {
                    self.requests.shift_remove(&job);
                }
                Ok(())
            }
            Action::Advance(a) => self.advance(step, a),
            Action::Message { name, payload, by } => {
                self.line(
                    LineKind::Step,
                    format!("message: `{name}` from {}: {}", who(by), compact(payload)),
                    None,
                );
                let event = Event::MessageReceived {
                    name: name.clone(),
                    payload: payload.clone(),
                    by: by.clone(),
                };
                self.apply(step, &event).map(drop)
            }
            Action::Withdraw { by } => {
                self.line(
                    LineKind::Step,
                    format!("withdraw: recorded by {}", who(by)),
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
                    format!("expect: {} hold", keys.join(", ")),
                    None,
                );
                Ok(())
            }
        }
    }

    /// The pending request of a connector (and step): job key, step path, attempts.
    fn pending(
        &self,
        step: &PlanStep,
        connector: &str,
        at: &Option<String>,
    ) -> Result<(String, String, u32), Diagnostic> {
        let found: Vec<(&String, &Pending)> = self
            .requests
            .iter()
            .filter(|(_, p)| p.connector == connector)
            .filter(|(_, p)| at.as_ref().is_none_or(|s| &p.step == s))
            .collect();
        match found.as_slice() {
            [(key, p)] => Ok(((*key).clone(), p.step.clone(), p.attempts)),
            [] => {
                let pending: Vec<String> = self
                    .requests
                    .values()
                    .map(|p| format!("{} at {}", p.connector, p.step))
                    .collect();
                Err(self.fail(
                    &step.pointer,
                    format!(
                        "no request to `{connector}`{} is pending; pending: {}",
                        at.as_ref()
                            .map(|s| format!(" from `{s}`"))
                            .unwrap_or_default(),
                        if pending.is_empty() {
                            "none".to_string()
                        } else {
                            pending.join(", ")
                        }
                    ),
                ))
            }
            several => {
                let steps: Vec<&str> = several.iter().map(|(_, p)| p.step.as_str()).collect();
                Err(self.fail(
                    &step.pointer,
                    format!(
                        "{} requests to `{connector}` are pending, from {}: say which with `step:`",
                        several.len(),
                        listing(&steps)
                    ),
                ))
            }
        }
    }

    /// Applies an event; `Ok(true)` when the core took it, `Ok(false)` when it refused it
    /// as the step expected.
    fn apply(&mut self, step: &PlanStep, event: &Event) -> Result<bool, Diagnostic> {
        let Some(state) = &self.state else {
            return Err(self.fail(
                &step.pointer,
                "there is no case: the submission did not open one",
            ));
        };
        let result = runtime::apply(&self.ctx(), state, event);
        self.settle(step, result)
    }

    /// Takes the core's answer to a step: the transition, or its refusal.
    fn settle(
        &mut self,
        step: &PlanStep,
        result: Result<Transition, runtime::Error>,
    ) -> Result<bool, Diagnostic> {
        match (result, &step.expect_error) {
            (Ok(t), None) => {
                self.absorb(t);
                Ok(true)
            }
            (Ok(_), Some(want)) => Err(self.fail(
                &step.pointer,
                format!(
                    "expected the engine to refuse this with an error containing \"{want}\", but it accepted it"
                ),
            )),
            (Err(e), None) => Err(self.fail(
                &step.pointer,
                format!("the engine refused this: {e}"),
            )),
            (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => {
                self.line(
                    LineKind::Effect,
                    format!("refused, as expected: {e}"),
                    None,
                );
                Ok(false)
            }
            (Err(e), Some(want)) => Err(self.fail(
                &step.pointer,
                format!(
                    "expected the engine to refuse this with an error containing \"{want}\", but it said: {e}"
                ),
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
                    .map_err(|e| self.fail(&step.pointer, format!("calendar: {e}")))?;
                (
                    to_utc(self.tz, day.result.and_time(local.time())),
                    format!("{n} working day(s)"),
                )
            }
            Advance::CalendarDays(n) => (
                self.now + Duration::days(i64::from(*n)),
                format!("{n} calendar day(s)"),
            ),
            Advance::Minutes(m) => (
                self.now + Duration::minutes(*m),
                if m % 60 == 0 {
                    format!("{} hour(s)", m / 60)
                } else {
                    format!("{m} minute(s)")
                },
            ),
            Advance::Until(at) => (to_utc(self.tz, *at), "until then".to_string()),
        };
        if target < self.now {
            return Err(self.fail(
                &step.pointer,
                format!(
                    "the clock cannot go back to {}: it is {} already",
                    self.show(target),
                    self.show(self.now)
                ),
            ));
        }
        let shown = self.show(target);
        self.line(LineKind::Step, format!("advance {said}, to {shown}"), None);
        let mut refused = false;
        while let Some((due, seq, key)) = self.queue.first().cloned() {
            if due > target {
                break;
            }
            self.queue.remove(&(due, seq, key.clone()));
            if due > self.now && self.sends.contains_key(&key) {
                self.now = due;
            }
            if self.send_due(&key)? {
                continue;
            }
            let Some(timer) = self.timers.remove(&key) else {
                continue;
            };
            if due > self.now {
                self.now = due;
            }
            self.line(
                LineKind::Step,
                format!("timer fires: {}", timer.what),
                timer.step.clone(),
            );
            let Some(state) = &self.state else {
                continue;
            };
            let event = Event::TimerFired {
                timer: key,
                purpose: timer.purpose,
                due_at: due,
            };
            match runtime::apply(&self.ctx(), state, &event) {
                Ok(t) => self.absorb(t),
                Err(e @ (runtime::Error::Stale(_) | runtime::Error::Closed { .. })) => {
                    self.line(LineKind::Effect, format!("lapses: {e}"), None)
                }
                Err(e) => match &step.expect_error {
                    Some(want) if e.to_string().contains(want.as_str()) => {
                        refused = true;
                        self.line(LineKind::Effect, format!("refused, as expected: {e}"), None);
                    }
                    _ => {
                        return Err(self.fail(
                            &step.pointer,
                            format!("the engine refused the timer ({}): {e}", timer.what),
                        ));
                    }
                },
            }
        }
        self.now = target;
        if let Some(want) = &step.expect_error
            && !refused
        {
            return Err(self.fail(
                &step.pointer,
                format!(
                    "expected the engine to refuse a timer with an error containing \"{want}\", but no timer was refused"
                ),
            ));
        }
        Ok(())
    }

    /// A notice the case waits for goes, as the notifier would send it: the outcome comes
    /// back to the case. `Ok(false)` when `key` is no such notice.
    fn send_due(&mut self, key: &str) -> Result<bool, Diagnostic> {
        let Some((_, channels)) = self.sends.remove(key) else {
            return Ok(false);
        };
        if self.state.is_none() {
            return Ok(true);
        }
        self.line(
            LineKind::Effect,
            format!("the notice goes by {}", channels.join(", ")),
            None,
        );
        let Some(state) = &self.state else {
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
            Ok(t) => self.absorb(t),
            Err(e) => self.line(LineKind::Effect, format!("lapses: {e}"), None),
        }
        Ok(true)
    }

    /// Takes a transition in: the new state, then each effect in order; a notice the case
    /// waits for and that may go now goes now.
    fn absorb(&mut self, t: Transition) {
        self.state = Some(t.state);
        for effect in t.effects {
            self.effect(effect);
        }
        let now = self.now;
        let ready: Vec<String> = self
            .sends
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in ready {
            if let Some((at, _)) = self.sends.get(&key) {
                let at = *at;
                self.queue.retain(|(d, _, k)| !(*d == at && *k == key));
            }
            // An event the core refuses here is said in the trace; nothing else to report.
            let _ = self.send_due(&key);
        }
        for h in &t.history {
            let text = match h.kind.as_str() {
                "term_started" => format!(
                    "the term starts: accepted on {}, due {}",
                    h.detail["accepted_on"].as_str().unwrap_or_default(),
                    h.detail["due_on"].as_str().unwrap_or_default()
                ),
                "term_paused" => "the term pauses".to_string(),
                "term_resumed" => format!(
                    "the term resumes after {} paused working day(s): due {}",
                    h.detail["paused_working_days"],
                    h.detail["due_on"].as_str().unwrap_or_default()
                ),
                "message_kept" => format!(
                    "the message is kept until a step waits for it: `{}`",
                    h.detail["message"].as_str().unwrap_or_default()
                ),
                "closed" => format!(
                    "the case closes: {}",
                    h.detail["result"].as_str().unwrap_or_default()
                ),
                _ => continue,
            };
            self.line(LineKind::Effect, text, h.step.clone());
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
                let due = due_at
                    .map(|d| format!(", due {}", self.show(d)))
                    .unwrap_or_default();
                self.line(
                    LineKind::Effect,
                    format!("task opened for {role}{due}"),
                    Some(step.clone()),
                );
                self.tasks.insert(
                    key,
                    OpenTask {
                        step,
                        role,
                        due: due_at,
                    },
                );
            }
            Effect::CloseTask { key } => match self.tasks.remove(&key) {
                Some(task) => self.line(LineKind::Effect, "task closed", Some(task.step)),
                None => self.line(
                    LineKind::Effect,
                    format!("task {key} closed, but no such task was open"),
                    None,
                ),
            },
            Effect::ReassignTask { key, role } => {
                let step = self.tasks.get_mut(&key).map(|t| {
                    t.role = role.clone();
                    t.step.clone()
                });
                self.line(LineKind::Effect, format!("task moved to {role}"), step);
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
                    } => format!(" (moved from {}: outside office hours)", self.show(*from)),
                    _ => String::new(),
                };
                self.line(
                    LineKind::Effect,
                    format!("timer set for {}{moved}: {what}", self.show(due_at)),
                    step.clone(),
                );
                let seq = self.next_timer;
                self.next_timer += 1;
                self.queue.insert((due_at, seq, key.clone()));
                self.timers.insert(
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
                if let Some(timer) = self.timers.remove(&key) {
                    self.queue.remove(&(timer.due, timer.seq, key));
                    self.line(
                        LineKind::Effect,
                        format!("timer cancelled: {}", timer.what),
                        timer.step,
                    );
                }
            }
            Effect::Job(Job { key, work }) => self.job(key, work),
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
                    .state
                    .iter()
                    .flat_map(|s| s.tokens.iter())
                    .find(|t| matches!(&t.waiting, Waiting::Job { key: k } if *k == key))
                    .map(|t| self.token_path(t))
                    .unwrap_or_default();
                self.line(
                    LineKind::Effect,
                    format!("request to {connector}: {}", compact(&input)),
                    Some(step.clone()),
                );
                self.requests.insert(
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
                ..
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
                        self.queue.insert((at, seq, key.clone()));
                        self.line(
                            LineKind::Effect,
                            format!(
                                "the notice waits for the end of quiet hours: {}",
                                self.show(at)
                            ),
                            None,
                        );
                    }
                    self.sends.insert(key.clone(), (at, channels.clone()));
                }
                let step = self.sender(&template, &vars);
                self.line(
                    LineKind::Effect,
                    format!("notify {to}: `{template}` by {}", channels.join(", ")),
                    step,
                );
                self.notifications.push(Sent {
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
                let what = kind.as_ref().map(|k| format!(" ({k})")).unwrap_or_default();
                self.line(
                    LineKind::Effect,
                    format!("document `{template}`{what}"),
                    step,
                );
                self.documents.push(Rendered {
                    template,
                    kind,
                    vars,
                });
            }
            Work::Stage { stage, step, .. } => {
                self.line(LineKind::Effect, format!("stage `{stage}`"), Some(step));
                self.stages.push(stage);
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
        let token = |id: u32| self.state.as_ref().and_then(|s| s.token(id));
        match purpose {
            TimerPurpose::Wait { token: id } => (
                token(*id).map(|t| self.token_path(t)),
                "the wait ends".into(),
            ),
            TimerPurpose::MessageTimeout { token: id } => {
                let t = token(*id);
                let message = match t.map(|t| &t.waiting) {
                    Some(Waiting::Message { name, .. }) => name.clone(),
                    _ => "the message".into(),
                };
                (
                    t.map(|t| self.token_path(t)),
                    format!("the time for `{message}` runs out"),
                )
            }
            TimerPurpose::TaskRung { task, rung, .. } => {
                let step = self.tasks.get(task).map(|t| t.step.clone());
                let percent = step
                    .as_deref()
                    .and_then(|s| self.plan.names.task(s))
                    .and_then(|(_, t)| t.escalation.get(*rung))
                    .map(|r| r.at_percent);
                (
                    step,
                    format!(
                        "escalation at {}% of the task's time",
                        percent.map(|p| p.to_string()).unwrap_or("?".into())
                    ),
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
                    format!(
                        "escalation at {}% of the term",
                        percent.map(|p| p.to_string()).unwrap_or("?".into())
                    ),
                )
            }
        }
    }
}

/// A value on one line.
pub fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
