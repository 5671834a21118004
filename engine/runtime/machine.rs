//! The transitions: how a case moves from step to step.
//!
//! `start` opens a case; `apply` takes one event. Both return the new state, the effects
//! and the history entries of that one transition. A token runs forward through steps
//! that need nothing from the world (decisions, forks, joins, notifications, documents,
//! calls, ends) until each token waits for a clerk, an answer, a timer or a message.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::event::*;
use super::state::*;
use super::{Context, Error, Transition};
use crate::calendar::Deadline;
use crate::definition::expr;
use crate::definition::model::*;

/// Opens a case for a submission whose data are `data`, checked (an application) or the
/// engine's own (a scheduled occurrence).
pub fn start(
    ctx: &Context<'_>,
    id: i64,
    number: &str,
    submission: &Submission,
    data: Value,
    signed_data: std::collections::BTreeMap<String, Value>,
) -> Result<Transition, Error> {
    let def = ctx.definition;
    let mut state = CaseState {
        id,
        number: number.to_string(),
        service: def.id.clone(),
        version: def.version.clone(),
        status: Status::Active,
        result: None,
        language: submission.language,
        sms_consent: submission.sms_consent,
        channel: submission.channel.clone(),
        region: submission.region.clone(),
        data: [(String::new(), data)].into_iter().collect(),
        tokens: Vec::new(),
        next_token: 0,
        joins: Default::default(),
        tasks: Default::default(),
        inbox: Vec::new(),
        term: None,
        stage: None,
        last_clerk: None,
        signers: Default::default(),
        held_since: None,
        in_event: None,
        event_keys: Vec::new(),
        signed_data,
        seq: 0,
        opened_at: ctx.now,
        closed_at: None,
    };
    let mut m = Machine::new(ctx, &mut state);
    m.history(
        Actor::Citizen,
        "submitted",
        None,
        json!({ "channel": submission.channel }),
        None,
    );
    let token = m.new_token(Vec::new(), def.start);
    m.run(token)?;
    Ok(m.finish())
}

/// Applies one event to a case.
pub fn apply(ctx: &Context<'_>, state: &CaseState, event: &Event) -> Result<Transition, Error> {
    if state.is_closed() {
        return Err(Error::Closed {
            number: state.number.clone(),
        });
    }
    let mut next = state.clone();
    next.seq += 1;
    let mut m = Machine::new(ctx, &mut next);
    m.event(event)?;
    Ok(m.finish())
}

/// Turns dotted keys (`applicant.iin: ...`) into nested objects, the shape expressions read.
pub fn normalise(data: &Value) -> Value {
    let mut out = Value::Object(Map::new());
    if let Value::Object(map) = data {
        for (key, value) in map {
            set_path(&mut out, key, normalise_value(value));
        }
    }
    out
}

fn normalise_value(v: &Value) -> Value {
    match v {
        Value::Object(_) => normalise(v),
        other => other.clone(),
    }
}

/// Sets `a.b.c` in a nested object.
pub fn set_path(target: &mut Value, dotted: &str, value: Value) {
    let mut cur = target;
    let parts: Vec<&str> = dotted.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let map = cur.as_object_mut().expect("made an object");
        if i == parts.len() - 1 {
            map.insert(part.to_string(), value);
            return;
        }
        cur = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Reads `a.b.c` from a nested object.
pub fn get_path<'v>(source: &'v Value, dotted: &str) -> Option<&'v Value> {
    dotted.split('.').try_fold(source, |v, part| v.get(part))
}

pub(super) struct Machine<'a, 'c> {
    pub(super) ctx: &'a Context<'c>,
    pub(super) state: &'a mut CaseState,
    pub(super) effects: Vec<Effect>,
    pub(super) history: Vec<HistoryEntry>,
    jobs: u32,
    /// The `record:` values before the transition: what changed is kept in the history.
    pub(super) record_before: Vec<Option<Value>>,
    /// The life event the case was inside before the transition.
    pub(super) event_before: Option<String>,
}

impl<'a, 'c> Machine<'a, 'c> {
    fn new(ctx: &'a Context<'c>, state: &'a mut CaseState) -> Self {
        let record_before = super::life::record_values(ctx.definition, state);
        let event_before = state.in_event.clone();
        Machine {
            event_before,
            ctx,
            state,
            effects: Vec::new(),
            history: Vec::new(),
            jobs: 0,
            record_before,
        }
    }

    fn finish(mut self) -> Transition {
        self.record_changes();
        Transition {
            state: self.state.clone(),
            effects: self.effects,
            history: self.history,
        }
    }

    /// A key unique to this effect: `case:seq:n`. The same transition never runs twice
    /// (the store commits it once), so the key identifies one event's one effect.
    pub(super) fn key(&mut self, prefix: &str) -> String {
        self.jobs += 1;
        format!("{prefix}{}:{}:{}", self.state.id, self.state.seq, self.jobs)
    }

    pub(super) fn history(
        &mut self,
        actor: Actor,
        kind: &str,
        step: Option<&str>,
        detail: Value,
        evidence: Option<Deadline>,
    ) {
        self.history.push(HistoryEntry {
            at: self.ctx.now,
            actor,
            kind: kind.to_string(),
            step: step.map(str::to_string),
            detail,
            evidence,
        });
    }

    fn new_token(&mut self, calls: Vec<StepId>, step: StepId) -> u32 {
        let id = self.state.next_token;
        self.state.next_token += 1;
        self.state.tokens.push(Token {
            id,
            calls,
            step,
            waiting: Waiting::Timer { key: String::new() },
            entered_at: self.ctx.now,
        });
        id
    }

    pub(super) fn token(&self, id: u32) -> Result<&Token, Error> {
        self.state
            .token(id)
            .ok_or(Error::Internal("token vanished"))
    }

    fn remove_token(&mut self, id: u32) {
        self.state.tokens.retain(|t| t.id != id);
    }

    /// The definition a token's steps belong to: the service, or a called sub-workflow.
    fn def_of(&self, calls: &[StepId]) -> Result<&'c Definition, Error> {
        let mut def = self.ctx.definition;
        for call in calls {
            let StepKind::Call { workflow, .. } = &def.step(*call).kind else {
                return Err(Error::Internal("a call frame is not a call step"));
            };
            def = self
                .ctx
                .subworkflows
                .get(workflow)
                .ok_or_else(|| Error::UnknownSubworkflow(workflow.clone()))?;
        }
        Ok(def)
    }

    /// The data scope of a token: `""` for the service, the call steps' names otherwise.
    fn scope_of(&self, calls: &[StepId]) -> Result<String, Error> {
        let mut def = self.ctx.definition;
        let mut names = Vec::new();
        for call in calls {
            let step = def.step(*call);
            names.push(step.name.clone());
            if let StepKind::Call { workflow, .. } = &step.kind {
                def = self
                    .ctx
                    .subworkflows
                    .get(workflow)
                    .ok_or_else(|| Error::UnknownSubworkflow(workflow.clone()))?;
            }
        }
        Ok(names.join("/"))
    }

    pub(super) fn step_path(&self, calls: &[StepId], step: &Step) -> Result<String, Error> {
        let scope = self.scope_of(calls)?;
        Ok(if scope.is_empty() {
            step.name.clone()
        } else {
            format!("{scope}/{}", step.name)
        })
    }

    pub(super) fn eval(
        &self,
        scope: &str,
        e: &expr::Expr,
        extra: Option<(&str, &Value)>,
    ) -> Result<Value, Error> {
        let mut data = self.state.scope(scope);
        if let Value::Object(map) = &mut data {
            map.insert("today".into(), json!(self.local_date().to_string()));
            map.insert("registration_number".into(), json!(self.state.number));
            map.insert("channel".into(), json!(self.state.channel));
            if let Some((name, value)) = extra {
                map.insert(name.to_string(), value.clone());
            }
        }
        expr::eval(e, &data).map_err(|err| Error::Expression {
            expression: e.source().to_string(),
            message: err.to_string(),
        })
    }

    pub(super) fn assign(
        &mut self,
        scope: &str,
        mappings: &[(String, expr::Expr)],
        extra: Option<(&str, &Value)>,
    ) -> Result<(), Error> {
        for (target, e) in mappings {
            let value = self.eval(scope, e, extra)?;
            let data = self
                .state
                .data
                .entry(scope.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            set_path(data, target, value);
        }
        Ok(())
    }

    /// Template variables: the case's data plus what every message may cite.
    fn vars(&self, scope: &str) -> Value {
        let mut vars = self.state.scope("");
        if !scope.is_empty()
            && let (Value::Object(map), Value::Object(sub)) = (&mut vars, self.state.scope(scope))
        {
            map.extend(sub);
        }
        if let Value::Object(map) = &mut vars {
            let def = self.ctx.definition;
            let (title, short) = match self.state.language {
                Language::Kk => (&def.title.kk, &def.short_title.kk),
                Language::Ru => (&def.title.ru, &def.short_title.ru),
            };
            map.insert("registration_number".into(), json!(self.state.number));
            map.insert("service_title".into(), json!(title));
            map.insert("service_short_title".into(), json!(short));
            map.insert("language".into(), json!(self.state.language));
            // The consent to SMS the application records (seeds/000 appendix 1): the form
            // printed back to the citizen marks it.
            map.insert("sms_consent".into(), json!(self.state.sms_consent));
            map.insert("today".into(), json!(self.local_date().to_string()));
            // Who acted last: the notifier adds the account's full name and the position
            // (`notify::vars::enrich`); the role's title travels here, as the support
            // e-mail's does, because the runtime has the catalog's titles and the notifier
            // does not.
            let described = |clerk: &LastClerk| {
                let mut c = json!({ "login": clerk.login, "role": clerk.role });
                if let Some(title) = def.roles.get(&clerk.role) {
                    c["role_title"] = json!(match self.state.language {
                        Language::Kk => &title.kk,
                        Language::Ru => &title.ru,
                    });
                }
                c
            };
            if let Some(clerk) = &self.state.last_clerk {
                map.insert("clerk".into(), described(clerk));
            }
            // Everyone who signed so far, by the task step (the notifier names them).
            if !self.state.signers.is_empty() {
                let signed: Map<String, Value> = self
                    .state
                    .signers
                    .iter()
                    .map(|(step, clerk)| (step.clone(), described(clerk)))
                    .collect();
                map.insert("signed".into(), Value::Object(signed));
            }
            if let Some(term) = &self.state.term {
                map.insert("deadline".into(), json!(term.due_on.to_string()));
                // The date and time of acceptance the receipt prints (seeds/004 item 5), not
                // the moment it is rendered after the data requests.
                if let Some(at) = term.started_at {
                    let local = at.with_timezone(&self.ctx.calendar.time_zone());
                    map.insert(
                        "accepted_at".into(),
                        json!(local.format("%d.%m.%Y %H:%M").to_string()),
                    );
                }
            }
        }
        vars
    }

    /// The day a notice the case waits for will go: a citizen's SMS waits for the end of the
    /// quiet hours (`notify::quiet`), and the notifier finishes the job only when it has gone.
    fn notice_day(&self, scope: &str, kind: &StepKind) -> NaiveDate {
        let urgent = matches!(kind, StepKind::Notify { urgent: true, .. });
        let sms = self
            .notice_channels(scope, kind)
            .contains(&NotifyChannel::Sms);
        match crate::notify::quiet::sms_not_before(self.ctx.now) {
            Some(at) if sms && !urgent => at
                .with_timezone(&self.ctx.calendar.time_zone())
                .date_naive(),
            _ => self.local_date(),
        }
    }

    /// The end of the window the citizen will have next, when the steps ahead of `from`
    /// (documents and notifications) lead to a `receive`: the objection deadline a notice
    /// must state (APPK art. 73). A window counted from the day a notice is obtained is
    /// counted from `obtained` (the day the notice about to go will go), or, that day not
    /// known yet, as if it were today: the earliest the window can end.
    fn deadline_ahead(
        &self,
        def: &Definition,
        scope: &str,
        from: StepId,
        obtained: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let mut step = from;
        for _ in 0..4 {
            match &def.step(step).kind {
                StepKind::Receive {
                    timeout,
                    counted_from,
                    ..
                } => {
                    let from = match counted_from {
                        Some(_) if obtained.is_some() => obtained,
                        Some(e) => self.date_of(scope, e).ok(),
                        None => None,
                    }
                    .unwrap_or_else(|| self.local_date());
                    let (at, _) = self.due_from(from, *timeout).ok()?;
                    return Some(
                        at.with_timezone(&self.ctx.calendar.time_zone())
                            .date_naive(),
                    );
                }
                StepKind::Notify { next, .. } | StepKind::Document { next, .. } => step = *next,
                _ => return None,
            }
        }
        None
    }

    fn local_date(&self) -> NaiveDate {
        self.ctx
            .now
            .with_timezone(&self.ctx.calendar.time_zone())
            .date_naive()
    }

    /// The end of a working day, as an instant: the close of the office that day.
    fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let tz = self.ctx.calendar.time_zone();
        let local = date.and_time(self.ctx.settings.close_of_day);
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local))
    }

    /// The date an expression gives (`YYYY-MM-DD`).
    pub(super) fn date_of(&self, scope: &str, e: &expr::Expr) -> Result<NaiveDate, Error> {
        let value = self.eval(scope, e, None)?;
        value
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| Error::Expression {
                expression: e.source().to_string(),
                message: "the expression did not give a date".into(),
            })
    }

    /// The start (00:00 local) of a day, as an instant.
    pub(super) fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let tz = self.ctx.calendar.time_zone();
        let local = date.and_time(NaiveTime::MIN);
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local))
    }

    /// When a length of time from now ends, with the evidence of a day count.
    fn due(&self, length: Length) -> Result<(DateTime<Utc>, Option<Deadline>), Error> {
        self.due_from(self.local_date(), length)
    }

    /// When a length of time counted from the day `today` ends (working minutes are always
    /// counted from now), with the evidence of a day count.
    fn due_from(
        &self,
        today: NaiveDate,
        length: Length,
    ) -> Result<(DateTime<Utc>, Option<Deadline>), Error> {
        Ok(match length {
            Length::WorkingDays(n) => {
                let d = self.ctx.calendar.add_working_days(today, n)?;
                (self.end_of_day(d.result), Some(d))
            }
            Length::CalendarDays(n) => {
                let d = self.ctx.calendar.add_calendar_days(today, n)?;
                (self.end_of_day(d.result), Some(d))
            }
            Length::WorkingMinutes(m) => {
                let tz = self.ctx.calendar.time_zone();
                let start = self.ctx.now.with_timezone(&tz);
                let end = self.ctx.calendar.add_working_minutes(
                    &self.ctx.settings.office_profile,
                    start,
                    m,
                )?;
                (end.with_timezone(&Utc), None)
            }
        })
    }

    /// Runs a token forward until it waits or ends.
    fn run(&mut self, token: u32) -> Result<(), Error> {
        let mut token = token;
        loop {
            let t = self.token(token)?.clone();
            let def = self.def_of(&t.calls)?;
            let step = def.step(t.step);
            let scope = self.scope_of(&t.calls)?;
            let path = self.step_path(&t.calls, step)?;
            self.enter(&t, step, &path)?;
            let next: Option<StepId> = match &step.kind {
                StepKind::Task(task) => {
                    self.open_task(token, step, &path, task)?;
                    None
                }
                StepKind::Request(r) if self.signed_answer(r).is_some() => {
                    // The citizen's own request fetched this answer and the citizen signed it
                    // with the application (seeds/001: Semipalatinsk item 3): held to the
                    // contract when filed, it is taken as it is, and nothing is asked.
                    let answer = self.signed_answer(r).cloned().unwrap_or_default();
                    self.assign(&scope, &r.output, Some(("response", &answer)))?;
                    self.history(
                        Actor::Citizen,
                        "data_signed",
                        Some(&path),
                        json!({ "connector": r.connector, "channel": self.state.channel }),
                        None,
                    );
                    Some(r.next)
                }
                StepKind::Request(r) => {
                    let mut input = Map::new();
                    for (name, e) in &r.input {
                        input.insert(name.clone(), self.eval(&scope, e, None)?);
                    }
                    let key = self.key("job:");
                    self.effects.push(Effect::Job(Job {
                        key: key.clone(),
                        work: Work::Request {
                            connector: r.connector.clone(),
                            input: Value::Object(input),
                            attempts: r.retry.attempts,
                            exponential: r.retry.exponential,
                            first_delay_seconds: r.retry.first_delay_seconds,
                        },
                    }));
                    self.wait(token, Waiting::Job { key });
                    None
                }
                StepKind::Notify { next, receipt, .. } => {
                    // A notice that starts the term (the acknowledgement of receipt) cites
                    // the deadline it starts: the term starts as it is sent, not after.
                    self.start_term_after(t.calls.is_empty(), step)?;
                    // A notice the case waits for: the window ahead runs from the day it goes.
                    let obtained = receipt
                        .as_ref()
                        .map(|_| self.notice_day(&scope, &step.kind));
                    let ahead = self.deadline_ahead(def, &scope, *next, obtained);
                    let job = self.notify(&scope, ahead, &step.kind)?;
                    match (receipt, job) {
                        (None, _) => Some(*next),
                        (Some(_), Some(key)) => {
                            self.wait(token, Waiting::Job { key });
                            None
                        }
                        (Some(r), None) => {
                            // No e-mail and no SMS consent: a clerk hands it over.
                            self.history(
                                Actor::Engine,
                                "notice_undeliverable",
                                Some(&path),
                                json!({ "reason": "no e-mail address and no consent to SMS" }),
                                None,
                            );
                            Some(r.undelivered)
                        }
                    }
                }
                StepKind::Document {
                    template,
                    kind,
                    next,
                    ..
                } => {
                    let key = self.key("job:");
                    let mut vars = self.vars(&scope);
                    if let (Some(d), Value::Object(map)) =
                        (self.deadline_ahead(def, &scope, *next, None), &mut vars)
                    {
                        map.insert("next_deadline".into(), json!(d.to_string()));
                    }
                    self.effects.push(Effect::Job(Job {
                        key,
                        work: Work::Document {
                            template: template.clone(),
                            kind: kind.clone(),
                            vars,
                        },
                    }));
                    Some(*next)
                }
                StepKind::Decide {
                    branches,
                    otherwise,
                } => {
                    let mut chosen = *otherwise;
                    for (e, target) in branches {
                        if self.eval(&scope, e, None)? == Value::Bool(true) {
                            chosen = *target;
                            break;
                        }
                    }
                    Some(chosen)
                }
                StepKind::Fork { branches, join } => {
                    let key = format!("{scope}/{}", def.step(*join).name);
                    self.state.joins.insert(key, 0);
                    self.remove_token(token);
                    for b in branches {
                        let id = self.new_token(t.calls.clone(), *b);
                        self.run(id)?;
                        if self.state.is_closed() {
                            return Ok(());
                        }
                    }
                    return Ok(());
                }
                StepKind::Join { fork, next } => {
                    let StepKind::Fork { branches, .. } = &def.step(*fork).kind else {
                        return Err(Error::Internal("a join names a non-fork"));
                    };
                    let key = format!("{scope}/{}", step.name);
                    let arrived = self.state.joins.entry(key.clone()).or_insert(0);
                    *arrived += 1;
                    if (*arrived as usize) < branches.len() {
                        self.remove_token(token);
                        return Ok(());
                    }
                    self.state.joins.remove(&key);
                    Some(*next)
                }
                StepKind::Wait { until, next } => {
                    let due_at = match until {
                        WaitFor::Length(l) => self.due(*l)?.0,
                        WaitFor::Until(e) => self.end_of_day(self.date_of(&scope, e)?),
                        WaitFor::WorkingDayAfter { days, after } => {
                            let from = self.date_of(&scope, after)?;
                            let day = self.ctx.calendar.add_working_days(from, *days)?;
                            let at = self.start_of_day(day.result);
                            self.history(
                                Actor::Engine,
                                "waiting_until",
                                Some(&path),
                                json!({ "until": at, "working_days": days, "after": from.to_string() }),
                                Some(day),
                            );
                            at
                        }
                    };
                    // A day already begun (a decision day reached while the case was busy):
                    // nothing to wait for.
                    if matches!(until, WaitFor::WorkingDayAfter { .. }) && due_at <= self.ctx.now {
                        Some(*next)
                    } else {
                        let key = self.key("timer:");
                        self.effects.push(Effect::SetTimer {
                            key: key.clone(),
                            due_at,
                            purpose: TimerPurpose::Wait { token },
                        });
                        self.wait(token, Waiting::Timer { key });
                        None
                    }
                }
                StepKind::Receive {
                    message,
                    timeout,
                    counted_from,
                    store,
                    next,
                    ..
                } => {
                    self.prune_inbox();
                    if let Some(pos) = self.state.inbox.iter().position(|m| &m.name == message) {
                        let m = self.state.inbox.remove(pos);
                        self.assign(&scope, store, Some(("message", &m.payload)))?;
                        self.history(
                            Actor::Engine,
                            "message_taken",
                            Some(&path),
                            json!({ "message": message, "received_at": m.received_at }),
                            None,
                        );
                        Some(*next)
                    } else {
                        let from = match counted_from {
                            Some(e) => self.date_of(&scope, e)?,
                            None => self.local_date(),
                        };
                        let (due_at, evidence) = self.due_from(from, *timeout)?;
                        let key = self.key("timer:");
                        self.effects.push(Effect::SetTimer {
                            key: key.clone(),
                            due_at,
                            purpose: TimerPurpose::MessageTimeout { token },
                        });
                        self.history(
                            Actor::Engine,
                            "waiting_for_message",
                            Some(&path),
                            json!({ "message": message, "until": due_at }),
                            evidence,
                        );
                        // A message the citizen may give by SMS: indexed by the number.
                        if let Some(reply) = def.sms_replies.get(message)
                            && let Some(phone) = self
                                .state
                                .data
                                .get(&scope)
                                .and_then(|d| get_path(d, &reply.phone))
                                .and_then(Value::as_str)
                        {
                            self.effects.push(Effect::AwaitSmsReply {
                                phone: phone.to_string(),
                                message: message.clone(),
                                timer: key.clone(),
                            });
                        }
                        self.wait(
                            token,
                            Waiting::Message {
                                name: message.clone(),
                                timer: key,
                            },
                        );
                        None
                    }
                }
                StepKind::Wave {
                    service,
                    list,
                    next,
                } => {
                    let value = self
                        .state
                        .data
                        .get(&scope)
                        .and_then(|d| get_path(d, list))
                        .cloned()
                        .unwrap_or(Value::Null);
                    let key = self.key("wave:");
                    self.history(
                        Actor::Engine,
                        "wave_started",
                        Some(&path),
                        json!({ "service": service, "wave": key }),
                        None,
                    );
                    self.effects.push(Effect::StartWave {
                        key,
                        service: service.clone(),
                        list: value,
                        step: path.clone(),
                    });
                    Some(*next)
                }
                StepKind::Call { workflow, with, .. } => {
                    let sub = self
                        .ctx
                        .subworkflows
                        .get(workflow)
                        .ok_or_else(|| Error::UnknownSubworkflow(workflow.clone()))?;
                    let mut params = Value::Object(Map::new());
                    for (name, e) in with {
                        set_path(&mut params, name, self.eval(&scope, e, None)?);
                    }
                    let mut calls = t.calls.clone();
                    calls.push(t.step);
                    let sub_scope = self.scope_of(&calls)?;
                    self.state.data.insert(sub_scope, params);
                    let tok = self
                        .state
                        .tokens
                        .iter_mut()
                        .find(|x| x.id == token)
                        .ok_or(Error::Internal("token vanished"))?;
                    tok.calls = calls;
                    tok.step = sub.start;
                    continue;
                }
                StepKind::Hold { .. } => {
                    self.hold(token, t.step, &path)?;
                    return Ok(());
                }
                StepKind::End { result } => {
                    if let Some((call, outer)) = t.calls.split_last() {
                        // The end of a sub-workflow: back to the calling step's outcome.
                        let outer_def = self.def_of(outer)?;
                        let StepKind::Call { outcomes, .. } = &outer_def.step(*call).kind else {
                            return Err(Error::Internal("a call frame is not a call step"));
                        };
                        let outcome = outcomes
                            .get(result)
                            .ok_or(Error::Internal("unhandled sub-workflow result"))?;
                        let next = outcome.next;
                        // The outcome's `set` records in the caller's data, as a task's
                        // outcome does in its own workflow's.
                        let outer_scope = self.scope_of(outer)?;
                        self.assign(&outer_scope, &outcome.set, None)?;
                        self.history(
                            Actor::Engine,
                            "call_returned",
                            Some(&path),
                            json!({ "result": result }),
                            None,
                        );
                        let tok = self
                            .state
                            .tokens
                            .iter_mut()
                            .find(|x| x.id == token)
                            .ok_or(Error::Internal("token vanished"))?;
                        tok.calls = outer.to_vec();
                        tok.step = next;
                        continue;
                    }
                    self.close(Status::Completed, result, Actor::Engine);
                    return Ok(());
                }
            };
            match next {
                Some(next) => {
                    self.leave(token, step)?;
                    let tok = self
                        .state
                        .tokens
                        .iter_mut()
                        .find(|x| x.id == token)
                        .ok_or(Error::Internal("token vanished"))?;
                    tok.step = next;
                }
                None => return Ok(()),
            }
            token = self.token(token)?.id;
        }
    }

    /// Entering a step: the stage report, the history line, the term pause.
    fn enter(&mut self, t: &Token, step: &Step, path: &str) -> Result<(), Error> {
        if let Some(tok) = self.state.tokens.iter_mut().find(|x| x.id == t.id) {
            tok.entered_at = self.ctx.now;
        }
        self.history(
            Actor::Engine,
            "entered",
            Some(path),
            json!({ "kind": step.kind.name() }),
            None,
        );
        if let Some(stage) = &step.stage
            && self.state.stage.as_ref() != Some(stage)
        {
            self.state.stage = Some(stage.clone());
            let key = self.key("job:");
            self.effects.push(Effect::Job(Job {
                key,
                work: Work::Stage {
                    stage: stage.clone(),
                    step: path.to_string(),
                    at: self.ctx.now,
                },
            }));
        }
        if step.pauses_term
            && let Some(term) = &mut self.state.term
            && term.paused_since.is_none()
        {
            term.paused_since = Some(self.ctx.now);
            self.history(Actor::Engine, "term_paused", Some(path), json!({}), None);
            // No escalation about a term that is not running; set again on resume.
            for i in self.pending_term_rungs() {
                self.effects.push(Effect::CancelTimer {
                    key: term_rung_key(self.state.id, i),
                });
            }
        }
        Ok(())
    }

    /// Leaving a step: resume a paused term, start the term after the acceptance.
    fn leave(&mut self, token: u32, step: &Step) -> Result<(), Error> {
        let calls = self.token(token)?.calls.clone();
        if step.pauses_term {
            self.resume_term(&step.name)?;
        }
        self.start_term_after(calls.is_empty(), step)
    }

    /// Starts the term when `step` (of the case's own workflow, `top`) is the one it starts
    /// after and it has not started yet.
    fn start_term_after(&mut self, top: bool, step: &Step) -> Result<(), Error> {
        let def = self.ctx.definition;
        if top
            && let Some(term) = &def.term
            && self.state.term.is_none()
            && def.step(term.starts_after).name == step.name
        {
            self.start_term(term)?;
        }
        Ok(())
    }

    fn start_term(&mut self, term: &Term) -> Result<(), Error> {
        let tz = self.ctx.calendar.time_zone();
        let local = self.ctx.now.with_timezone(&tz).naive_local();
        // An application accepted after office hours or on a day off counts as accepted on
        // the next working day (seeds/004 appendix 2 row 5: the acceptance day not counted).
        let accepted_on = self
            .ctx
            .calendar
            .acceptance_date(&self.ctx.settings.office_profile, local)?;
        let evidence = match term.length {
            Length::WorkingDays(n) if term.acceptance_day_counts => self
                .ctx
                .calendar
                .add_working_days(accepted_on, n.saturating_sub(1))?,
            Length::WorkingDays(n) => self.ctx.calendar.add_working_days(accepted_on, n)?,
            Length::CalendarDays(n) => self.ctx.calendar.add_calendar_days(accepted_on, n)?,
            Length::WorkingMinutes(m) => self
                .ctx
                .calendar
                .add_working_days(accepted_on, m.div_ceil(WorkingTime::MINUTES_PER_DAY))?,
        };
        let due_on = evidence.result;
        self.history(
            Actor::Engine,
            "term_started",
            None,
            json!({ "accepted_on": accepted_on, "due_on": due_on }),
            Some(evidence),
        );
        self.state.term = Some(TermState {
            accepted_on,
            due_on,
            paused_days: 0,
            paused_since: None,
            started_at: Some(self.ctx.now),
            escalated: Vec::new(),
            met_at: None,
        });
        self.set_term_rungs()
    }

    /// The term's escalation rungs not fired yet.
    pub(super) fn pending_term_rungs(&self) -> Vec<usize> {
        let (Some(term), Some(def_term)) = (&self.state.term, &self.ctx.definition.term) else {
            return Vec::new();
        };
        (0..def_term.escalation.len())
            .filter(|i| !term.escalated.contains(i))
            .collect()
    }

    /// Timers for the rungs not fired yet, at their shares of the time from the term's start
    /// to the end of its (possibly moved) last day; a share already past fires at once. Each
    /// waits for the office to be open: it reaches staff.
    fn set_term_rungs(&mut self) -> Result<(), Error> {
        let Some(def_term) = &self.ctx.definition.term else {
            return Ok(());
        };
        let Some(term) = &self.state.term else {
            return Ok(());
        };
        let start = term.started_at.unwrap_or(self.ctx.now);
        let due_at = self.end_of_day(term.due_on);
        let (accepted_on, paused_days) = (term.accepted_on, term.paused_days);
        for i in self.pending_term_rungs() {
            let percent = def_term.escalation[i].at_percent;
            let at = match def_term.length {
                // A term in working days is used up in working days: 80% of ten is the end of
                // the eighth, not 80% of the calendar time (which lands on the last day when
                // the term spans two weekends).
                Length::WorkingDays(n) => {
                    let counts = if def_term.acceptance_day_counts { 1 } else { 0 };
                    self.working_share(accepted_on, n, counts, paused_days, percent)?
                }
                _ => share(start, due_at, percent),
            }
            .max(self.ctx.now);
            let (due_at, moved_from) = self.in_office_hours(at)?;
            self.effects.push(Effect::SetTimer {
                key: term_rung_key(self.state.id, i),
                due_at,
                purpose: TimerPurpose::TermRung {
                    rung: i,
                    moved_from,
                },
            });
        }
        Ok(())
    }

    /// The moment `percent` of a term of `days` working days is used, counted in working time
    /// from `accepted_on` (the first day counted is the next working day, or the day itself
    /// when `counts` is 1), later by the working days the term was paused.
    fn working_share(
        &self,
        accepted_on: NaiveDate,
        days: u32,
        counts: u32,
        paused_days: u32,
        percent: u8,
    ) -> Result<DateTime<Utc>, Error> {
        let per_day = WorkingTime::MINUTES_PER_DAY;
        let used = days * per_day * u32::from(percent) / 100;
        let (whole, rest) = (used / per_day, used % per_day);
        let day = self
            .ctx
            .calendar
            .add_working_days(accepted_on, (whole + paused_days).saturating_sub(counts))?;
        let end = self.end_of_day(day.result);
        if rest == 0 {
            return Ok(end);
        }
        let tz = self.ctx.calendar.time_zone();
        Ok(self
            .ctx
            .calendar
            .add_working_minutes(
                &self.ctx.settings.office_profile,
                end.with_timezone(&tz),
                rest,
            )?
            .with_timezone(&Utc))
    }

    /// When a reminder or escalation to staff due at `at` goes: then, if the office (of
    /// the installation's profile) is open, else at its next opening — with the time it
    /// was due, to say in the history why it came later. Citizens' SMS have their own quiet
    /// hours in the notifier; this is about the people at work.
    fn in_office_hours(
        &self,
        at: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), Error> {
        let tz = self.ctx.calendar.time_zone();
        let open = self
            .ctx
            .calendar
            .next_opening(&self.ctx.settings.office_profile, at.with_timezone(&tz))?
            .with_timezone(&Utc);
        Ok(if open == at {
            (at, None)
        } else {
            (open, Some(at))
        })
    }

    /// A local time as the history writes it: `Sat 05.12 02:00`.
    fn local_stamp(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.ctx.calendar.time_zone())
            .format("%a %d.%m %H:%M")
            .to_string()
    }

    /// The term resumes with the time already used: its due date moves by the working days
    /// the case waited on the citizen.
    fn resume_term(&mut self, step: &str) -> Result<(), Error> {
        let Some(term) = &self.state.term else {
            return Ok(());
        };
        let Some(since) = term.paused_since else {
            return Ok(());
        };
        let tz = self.ctx.calendar.time_zone();
        let from = since.with_timezone(&tz).date_naive();
        let to = self.local_date();
        let days = self.ctx.calendar.working_days_between(from, to)?.max(0) as u32;
        let due = if days > 0 {
            Some(self.ctx.calendar.add_working_days(term.due_on, days)?)
        } else {
            None
        };
        let term = self.state.term.as_mut().expect("checked above");
        term.paused_since = None;
        term.paused_days += days;
        let mut evidence = None;
        if let Some(d) = due {
            term.due_on = d.result;
            evidence = Some(d);
        }
        let due_on = term.due_on;
        self.history(
            Actor::Engine,
            "term_resumed",
            Some(step),
            json!({ "paused_working_days": days, "due_on": due_on }),
            evidence,
        );
        self.set_term_rungs()
    }

    pub(super) fn wait(&mut self, token: u32, waiting: Waiting) {
        if let Some(t) = self.state.tokens.iter_mut().find(|t| t.id == token) {
            t.waiting = waiting;
        }
    }

    fn open_task(&mut self, token: u32, step: &Step, path: &str, task: &Task) -> Result<(), Error> {
        let (due_at, evidence) = match task.due {
            None => (None, None),
            Some(Due::After(length)) => {
                let (at, ev) = self.due(length)?;
                (Some(at), ev)
            }
            Some(Due::BeforeTermEnd(n)) => match &self.state.term {
                Some(term) => {
                    let d = self.ctx.calendar.subtract_working_days(term.due_on, n)?;
                    (Some(self.end_of_day(d.result)), Some(d))
                }
                None => (None, None),
            },
        };
        let key = format!("task:{}:{}:{}", self.state.id, self.state.seq, token);
        self.state.tasks.insert(
            key.clone(),
            OpenTask {
                token,
                step: path.to_string(),
                role: task.role.clone(),
                created_at: self.ctx.now,
                due_at,
            },
        );
        self.effects.push(Effect::CreateTask {
            key: key.clone(),
            step: path.to_string(),
            role: task.role.clone(),
            due_at,
            evidence: evidence.clone(),
        });
        if let Some(due_at) = due_at {
            for (i, rung) in task.escalation.iter().enumerate() {
                let at = share(self.ctx.now, due_at, rung.at_percent);
                let (at, moved_from) = self.in_office_hours(at)?;
                let timer = format!("{key}:rung{i}");
                self.effects.push(Effect::SetTimer {
                    key: timer,
                    due_at: at,
                    purpose: TimerPurpose::TaskRung {
                        task: key.clone(),
                        rung: i,
                        moved_from,
                    },
                });
            }
        }
        self.history(
            Actor::Engine,
            "task_created",
            Some(path),
            json!({ "task": key, "role": task.role, "due_at": due_at }),
            evidence,
        );
        let _ = step;
        self.wait(token, Waiting::Task { key });
        Ok(())
    }

    /// The job of a `notify` step (`kind`), with the login its e-mail sets a password for;
    /// its key, or `None` when no channel is left to send it by.
    fn notify(
        &mut self,
        scope: &str,
        ahead: Option<NaiveDate>,
        kind: &StepKind,
    ) -> Result<Option<String>, Error> {
        let StepKind::Notify {
            to,
            template,
            urgent,
            credentials,
            receipt,
            ..
        } = kind
        else {
            return Err(Error::Internal(
                "a notification of a step that is no notify",
            ));
        };
        let credentials = match credentials {
            Some(e) => match self.eval(scope, e, None)? {
                Value::String(login) => Some(login),
                other => {
                    return Err(Error::Expression {
                        expression: e.source().to_string(),
                        message: format!("the login is {other}, not a text"),
                    });
                }
            },
            None => None,
        };
        let urgent = *urgent;
        let to = match to {
            Recipient::Citizen => "citizen".to_string(),
            Recipient::Applicant => "applicant".to_string(),
            Recipient::Assignee => "assignee".to_string(),
            Recipient::SupportEmail => "support_email".to_string(),
            Recipient::Role(r) => format!("role:{r}"),
        };
        let awaited = receipt.is_some();
        let channels: Vec<String> = self
            .notice_channels(scope, kind)
            .into_iter()
            .map(|c| match c {
                NotifyChannel::Sms => "sms".to_string(),
                NotifyChannel::Email => "email".to_string(),
            })
            .collect();
        if channels.is_empty() {
            return Ok(None);
        }
        let key = self.key("job:");
        let mut vars = self.vars(scope);
        if let (Some(d), Value::Object(map)) = (ahead, &mut vars) {
            map.insert("next_deadline".into(), json!(d.to_string()));
        }
        self.effects.push(Effect::Job(Job {
            key: key.clone(),
            work: Work::Notify {
                to,
                template: template.to_string(),
                channels,
                urgent,
                credentials,
                awaited,
                vars,
            },
        }));
        Ok(Some(key))
    }

    /// The channels a notify step's message goes by: no SMS to a citizen who did not consent
    /// (seeds/000 appendix 1); and a notice the case waits for only by a channel with an
    /// address to send it to (the notifier would skip one without), so that the case knows
    /// when none can reach the citizen.
    fn notice_channels(&self, scope: &str, kind: &StepKind) -> Vec<NotifyChannel> {
        let StepKind::Notify {
            to,
            channels,
            receipt,
            ..
        } = kind
        else {
            return Vec::new();
        };
        let applicant = matches!(to, Recipient::Citizen | Recipient::Applicant);
        let vars = self.vars(scope);
        let has = |name: &str| {
            get_path(&vars, name)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty())
        };
        channels
            .iter()
            .copied()
            .filter(|c| !(applicant && *c == NotifyChannel::Sms && !self.state.sms_consent))
            .filter(|c| {
                receipt.is_none()
                    || match c {
                        NotifyChannel::Sms => has("applicant.phone"),
                        NotifyChannel::Email => has("applicant.email"),
                    }
            })
            .collect()
    }

    /// A notice the case waited for has gone (`delivered`) or could not: record the day it
    /// went, or take the step for handing it over.
    fn notice_done(&mut self, job: &str, delivered: bool, detail: Value) -> Result<(), Error> {
        let Some(t) = self.waiting_on(|w| matches!(w, Waiting::Job { key } if key == job)) else {
            return Err(Error::Stale(format!("no step waits for job {job}")));
        };
        let t = self.token(t)?.clone();
        let def = self.def_of(&t.calls)?;
        let step = def.step(t.step);
        let StepKind::Notify {
            receipt: Some(r),
            next,
            ..
        } = &step.kind
        else {
            return Err(Error::Internal("a notice wait outside a notify step"));
        };
        let scope = self.scope_of(&t.calls)?;
        let path = self.step_path(&t.calls, step)?;
        if delivered {
            let today = self.local_date().to_string();
            let data = self
                .state
                .data
                .entry(scope)
                .or_insert_with(|| Value::Object(Map::new()));
            set_path(data, &r.record, json!(today));
            // The same line the notifier writes for a notification nobody waits for, with
            // the day it counts as obtained.
            let mut detail = detail;
            if let Value::Object(map) = &mut detail {
                map.insert("job".into(), json!(job));
                map.insert("obtained_on".into(), json!(today));
            }
            self.history(
                Actor::Engine,
                "notification_sent",
                Some(&path),
                detail,
                None,
            );
            self.leave(t.id, step)?;
            self.advance(t.id, *next)
        } else {
            self.history(
                Actor::Engine,
                "notice_undeliverable",
                Some(&path),
                json!({ "reason": detail }),
                None,
            );
            self.leave(t.id, step)?;
            self.advance(t.id, r.undelivered)
        }
    }

    /// Whether a job's step is a notice the case waits for.
    fn waits_for_notice(&self, job: &str) -> bool {
        self.waiting_on(|w| matches!(w, Waiting::Job { key } if key == job))
            .and_then(|t| self.token(t).ok())
            .and_then(|t| Some(self.def_of(&t.calls).ok()?.step(t.step)))
            .is_some_and(|s| matches!(s.kind, StepKind::Notify { .. }))
    }

    pub(super) fn prune_inbox(&mut self) {
        let now = self.ctx.now;
        self.state.inbox.retain(|m| m.event || m.expires_at > now);
    }

    /// Ends the case: every task closed and every timer cancelled, the escalation ladders'
    /// included, so nothing fires for a case that is over.
    fn close(&mut self, status: Status, result: &str, actor: Actor) {
        let tasks: Vec<(String, u32)> = self
            .state
            .tasks
            .iter()
            .map(|(k, t)| (k.clone(), t.token))
            .collect();
        for (key, token) in tasks {
            let rungs = self
                .token(token)
                .ok()
                .and_then(|t| Some((self.def_of(&t.calls).ok()?, t.step)))
                .map(|(def, step)| match &def.step(step).kind {
                    StepKind::Task(task) => task.escalation.len(),
                    _ => 0,
                })
                .unwrap_or(0);
            for i in 0..rungs {
                self.effects.push(Effect::CancelTimer {
                    key: format!("{key}:rung{i}"),
                });
            }
            self.effects.push(Effect::CloseTask { key });
        }
        if self.state.term.is_some()
            && let Some(term) = &self.ctx.definition.term
        {
            for i in 0..term.escalation.len() {
                self.effects.push(Effect::CancelTimer {
                    key: term_rung_key(self.state.id, i),
                });
            }
        }
        for t in &self.state.tokens {
            match &t.waiting {
                Waiting::Timer { key } | Waiting::Message { timer: key, .. } if !key.is_empty() => {
                    self.effects.push(Effect::CancelTimer { key: key.clone() });
                }
                Waiting::Hold { timers } => {
                    for key in timers {
                        self.effects.push(Effect::CancelTimer { key: key.clone() });
                    }
                }
                _ => {}
            }
        }
        self.state.tasks.clear();
        self.state.tokens.clear();
        self.state.status = status;
        self.state.result = Some(result.to_string());
        self.state.closed_at = Some(self.ctx.now);
        self.history(
            actor,
            "closed",
            None,
            json!({ "status": status, "result": result }),
            None,
        );
    }

    /// The answer of `r`'s connector the citizen signed with the application, when the step
    /// takes signed data on the case's channel.
    fn signed_answer(&self, r: &Request) -> Option<&Value> {
        let signed = r.signed_data.as_ref()?;
        signed
            .channels
            .iter()
            .any(|c| c.as_str() == self.state.channel)
            .then(|| self.state.signed_data.get(&r.connector))
            .flatten()
    }

    /// The token waiting for a request job, with its step, the request, its scope and path.
    fn request_waiting_on(
        &self,
        job: &str,
    ) -> Result<(Token, &'c Step, &'c Request, String, String), Error> {
        let Some(t) = self.waiting_on(|w| matches!(w, Waiting::Job { key } if key == job)) else {
            return Err(Error::Stale(format!("no step waits for job {job}")));
        };
        let t = self.token(t)?.clone();
        let def = self.def_of(&t.calls)?;
        let step = def.step(t.step);
        let StepKind::Request(r) = &step.kind else {
            return Err(Error::Internal("a job wait outside a request"));
        };
        let scope = self.scope_of(&t.calls)?;
        let path = self.step_path(&t.calls, step)?;
        Ok((t, step, r, scope, path))
    }

    fn event(&mut self, event: &Event) -> Result<(), Error> {
        match event {
            Event::TaskCompleted {
                task,
                outcome,
                form,
                by,
            } => self.complete_task(task, outcome, form, by),
            Event::JobSucceeded { job, output } if self.waits_for_notice(job) => {
                // Gone by at least one channel (sent, or queued by the SMS provider); a
                // channel skipped for want of an address is no delivery.
                let channels = output.get("channels").unwrap_or(output);
                let sent = channels.as_object().is_some_and(|m| {
                    m.values().any(|c| {
                        c["status"]
                            .as_str()
                            .is_some_and(|s| !matches!(s, "skipped" | "deferred" | "failed"))
                    })
                });
                self.notice_done(job, sent, output.clone())
            }
            Event::JobFailed { job, error, .. } if self.waits_for_notice(job) => {
                self.notice_done(job, false, json!(error))
            }
            Event::JobSucceeded { job, output } => {
                let (t, step, r, scope, path) = self.request_waiting_on(job)?;
                self.assign(&scope, &r.output, Some(("response", output)))?;
                self.history(
                    Actor::System(r.connector.clone()),
                    "data_received",
                    Some(&path),
                    json!({ "connector": r.connector }),
                    None,
                );
                self.leave(t.id, step)?;
                self.advance(t.id, r.next)
            }
            Event::JobFailed {
                job,
                error,
                attempts,
            } => {
                let (t, step, r, scope, path) = self.request_waiting_on(job)?;
                self.history(
                    Actor::System(r.connector.clone()),
                    "request_failed",
                    Some(&path),
                    json!({ "connector": r.connector, "error": error, "attempts": attempts }),
                    None,
                );
                if r.escalate_to_support {
                    // Seeds/001 items 13, 14, 17: the service name, the registration number,
                    // the IIN, the steps that led to the error, the error.
                    let mut vars = self.vars(&scope);
                    let failed_title = self.title_in_case_language(step);
                    if let Value::Object(map) = &mut vars {
                        map.insert("failed_step".into(), json!(path));
                        if let Some(title) = failed_title {
                            map.insert("failed_step_title".into(), json!(title));
                        }
                        map.insert("connector".into(), json!(r.connector));
                        map.insert("error".into(), json!(error));
                        map.insert("attempts".into(), json!(attempts));
                        map.insert(
                            "support_email".into(),
                            json!(self.ctx.definition.support_email),
                        );
                        map.insert("steps".into(), json!(self.steps_so_far()));
                        // What the case does now, read from the definition.
                        let fallback = super::fallback::describe(
                            self.def_of(&t.calls)?,
                            r.on_failure,
                            self.state.language,
                        );
                        map.insert("fallback".into(), fallback);
                    }
                    let key = self.key("job:");
                    self.effects.push(Effect::Job(Job {
                        key,
                        work: Work::Notify {
                            to: "support_email".into(),
                            template: "technical_failure".into(),
                            channels: vec!["email".into()],
                            urgent: true,
                            credentials: None,
                            awaited: false,
                            vars,
                        },
                    }));
                }
                self.leave(t.id, step)?;
                self.advance(t.id, r.on_failure)
            }
            Event::TimerFired {
                timer,
                purpose,
                due_at,
            } => self.timer(timer, purpose, *due_at),
            Event::MessageReceived { name, payload, by }
                if self.ctx.definition.event_for_message(name).is_some() =>
            {
                self.event_message(name, payload, by)
            }
            Event::MessageReceived { name, payload, by } => {
                // The citizen's message is checked against the definition's declarations; a
                // system's answer was mapped to its connector's contract by the gateway.
                let checked;
                let payload = if matches!(by, Actor::Citizen) {
                    checked = super::message::check(self.ctx, name, payload)?;
                    &checked
                } else {
                    payload
                };
                let waiting =
                    self.waiting_on(|w| matches!(w, Waiting::Message { name: n, .. } if n == name));
                let Some(t) = waiting else {
                    // Nothing waits yet: keep it (a message may arrive before its step), up to
                    // the limit: the inbox is written with the case's state at every step.
                    self.prune_inbox();
                    let limit = self.ctx.settings.max_waiting_messages;
                    if self.state.inbox.len() >= limit {
                        return Err(Error::InboxFull { limit });
                    }
                    self.state.inbox.push(InboxMessage {
                        name: name.clone(),
                        payload: payload.clone(),
                        received_at: self.ctx.now,
                        expires_at: self.ctx.now + self.ctx.settings.message_retention,
                        event: false,
                    });
                    self.history(
                        by.clone(),
                        "message_kept",
                        None,
                        json!({ "message": name }),
                        None,
                    );
                    return Ok(());
                };
                let t = self.token(t)?.clone();
                let def = self.def_of(&t.calls)?;
                let step = def.step(t.step);
                let StepKind::Receive { store, next, .. } = &step.kind else {
                    return Err(Error::Internal("a message wait outside a receive step"));
                };
                if let Waiting::Message { timer, .. } = &t.waiting {
                    self.effects
                        .push(Effect::CancelTimer { key: timer.clone() });
                }
                let scope = self.scope_of(&t.calls)?;
                let path = self.step_path(&t.calls, step)?;
                self.assign(&scope, store, Some(("message", payload)))?;
                self.history(
                    by.clone(),
                    "message_received",
                    Some(&path),
                    json!({ "message": name }),
                    None,
                );
                self.leave(t.id, step)?;
                self.advance(t.id, *next)
            }
            Event::Withdrawn { by } => {
                self.close(Status::Withdrawn, "withdrawn", by.clone());
                Ok(())
            }
        }
    }

    /// The steps the case has been through, for the support e-mail.
    /// A step's title in the case's language, for what staff read (a support request, an
    /// escalation): the id alone says little to a support engineer or a head of department.
    pub(super) fn title_in_case_language(&self, step: &Step) -> Option<String> {
        step.title.as_ref().map(|t| match self.state.language {
            Language::Kk => t.kk.clone(),
            Language::Ru => t.ru.clone(),
        })
    }

    fn steps_so_far(&self) -> Vec<String> {
        self.state
            .tokens
            .iter()
            .filter_map(|t| {
                let def = self.def_of(&t.calls).ok()?;
                self.step_path(&t.calls, def.step(t.step)).ok()
            })
            .collect()
    }

    pub(super) fn advance(&mut self, token: u32, next: StepId) -> Result<(), Error> {
        if let Some(t) = self.state.tokens.iter_mut().find(|t| t.id == token) {
            t.step = next;
        }
        self.run(token)
    }

    fn waiting_on(&self, pred: impl Fn(&Waiting) -> bool) -> Option<u32> {
        self.state
            .tokens
            .iter()
            .find(|t| pred(&t.waiting))
            .map(|t| t.id)
    }

    fn complete_task(
        &mut self,
        key: &str,
        outcome: &str,
        form: &Value,
        by: &Actor,
    ) -> Result<(), Error> {
        let Some(open) = self.state.tasks.get(key).cloned() else {
            return Err(Error::TaskNotOpen(key.to_string()));
        };
        let t = self.token(open.token)?.clone();
        let def = self.def_of(&t.calls)?;
        let step = def.step(t.step);
        let StepKind::Task(task) = &step.kind else {
            return Err(Error::Internal("a task wait outside a task step"));
        };
        let Some(transition) = task.outcomes.get(outcome) else {
            return Err(Error::Rejected(vec![super::FieldError {
                field: "outcome".into(),
                message: format!(
                    "`{outcome}` is not an outcome of this task; choose one of: {}",
                    task.outcomes.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }]));
        };
        let scope = self.scope_of(&t.calls)?;
        let values = super::form::check(def, task, outcome, form, &self.state.scope(&scope))?;
        {
            let data = self
                .state
                .data
                .entry(scope.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            for (name, value) in values {
                set_path(data, &name, value);
            }
        }
        self.assign(&scope, &transition.set, None)?;
        if let Actor::Clerk(login) = by {
            let clerk = LastClerk {
                login: login.clone(),
                role: open.role.clone(),
            };
            if t.calls.is_empty() {
                self.state.signers.insert(step.name.clone(), clerk.clone());
            }
            self.state.last_clerk = Some(clerk);
        }
        self.state.tasks.remove(key);
        self.effects.push(Effect::CloseTask {
            key: key.to_string(),
        });
        for i in 0..task.escalation.len() {
            self.effects.push(Effect::CancelTimer {
                key: format!("{key}:rung{i}"),
            });
        }
        let late = open.due_at.map(|due| self.ctx.now > due).unwrap_or(false);
        self.history(
            by.clone(),
            "task_completed",
            Some(&open.step),
            json!({ "task": key, "outcome": outcome, "late": late }),
            None,
        );
        self.leave(t.id, step)?;
        self.advance(t.id, transition.next)
    }

    fn timer(
        &mut self,
        key: &str,
        purpose: &TimerPurpose,
        due_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let late_seconds = (self.ctx.now - due_at).num_seconds().max(0);
        match purpose {
            TimerPurpose::Wait { token } => {
                let Some(t) = self.state.token(*token).cloned() else {
                    return Err(Error::Stale(format!("timer {key}: its token is gone")));
                };
                if t.waiting
                    != (Waiting::Timer {
                        key: key.to_string(),
                    })
                {
                    return Err(Error::Stale(format!("timer {key}: the step moved on")));
                }
                let def = self.def_of(&t.calls)?;
                let step = def.step(t.step);
                let StepKind::Wait { next, .. } = &step.kind else {
                    return Err(Error::Internal("a timer wait outside a wait step"));
                };
                let path = self.step_path(&t.calls, step)?;
                self.history(
                    Actor::Engine,
                    "timer_fired",
                    Some(&path),
                    json!({ "late_seconds": late_seconds }),
                    None,
                );
                self.leave(t.id, step)?;
                self.advance(t.id, *next)
            }
            TimerPurpose::MessageTimeout { token } => {
                let Some(t) = self.state.token(*token).cloned() else {
                    return Err(Error::Stale(format!("timer {key}: its token is gone")));
                };
                if !matches!(&t.waiting, Waiting::Message { timer, .. } if timer == key) {
                    return Err(Error::Stale(format!("timer {key}: the message came")));
                }
                let def = self.def_of(&t.calls)?;
                let step = def.step(t.step);
                let StepKind::Receive {
                    on_timeout,
                    message,
                    ..
                } = &step.kind
                else {
                    return Err(Error::Internal("a message wait outside a receive step"));
                };
                let path = self.step_path(&t.calls, step)?;
                self.history(
                    Actor::Engine,
                    "message_timed_out",
                    Some(&path),
                    json!({ "message": message, "late_seconds": late_seconds }),
                    None,
                );
                self.leave(t.id, step)?;
                self.advance(t.id, *on_timeout)
            }
            TimerPurpose::TaskRung {
                task,
                rung,
                moved_from,
            } => {
                let Some(open) = self.state.tasks.get(task).cloned() else {
                    return Err(Error::Stale(format!("timer {key}: the task is done")));
                };
                let t = self.token(open.token)?.clone();
                let def = self.def_of(&t.calls)?;
                let StepKind::Task(spec) = &def.step(t.step).kind else {
                    return Err(Error::Internal("a task wait outside a task step"));
                };
                let Some(r) = spec.escalation.get(*rung) else {
                    return Err(Error::Internal("an escalation rung out of range"));
                };
                let scope = self.scope_of(&t.calls)?;
                let moved = moved_from.map(|from| (from, due_at));
                let title = self.title_in_case_language(def.step(t.step));
                self.escalate(
                    &scope,
                    &r.action,
                    Some(task),
                    r.at_percent,
                    (&open.step, title),
                    moved,
                )
            }
            TimerPurpose::LifeEvent { token, event } => self.event_date(key, *token, event),
            TimerPurpose::TermRung { rung, moved_from } => {
                match &mut self.state.term {
                    Some(term)
                        if term.paused_since.is_none()
                            && term.met_at.is_none()
                            && !term.escalated.contains(rung) =>
                    {
                        term.escalated.push(*rung);
                    }
                    _ => {
                        return Err(Error::Stale(format!(
                            "timer {key}: the term is paused or the rung fired"
                        )));
                    }
                }
                let Some(term) = &self.ctx.definition.term else {
                    return Err(Error::Internal("a term rung without a term"));
                };
                let Some(r) = term.escalation.get(*rung) else {
                    return Err(Error::Internal("an escalation rung out of range"));
                };
                let moved = moved_from.map(|from| (from, due_at));
                self.escalate("", &r.action, None, r.at_percent, ("term", None), moved)
            }
        }
    }

    /// Sends a rung's reminder or notice (and moves the task, for `reassign`). `moved` is
    /// (when it was due, when it was set for) when the office was closed at its time.
    fn escalate(
        &mut self,
        scope: &str,
        action: &RungAction,
        task: Option<&String>,
        percent: u8,
        (step, title): (&str, Option<String>),
        moved: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<(), Error> {
        let mut vars = self.vars(scope);
        if let Value::Object(map) = &mut vars {
            map.insert("step".into(), json!(step));
            if let Some(title) = title {
                map.insert("step_title".into(), json!(title));
            }
            map.insert("percent".into(), json!(percent));
        }
        let (to, template) = match action {
            RungAction::RemindAssignee => ("assignee".to_string(), "escalation_reminder"),
            RungAction::Notify(role) => (format!("role:{role}"), "escalation_notice"),
            RungAction::Reassign(role) => {
                if let Some(task) = task
                    && let Some(open) = self.state.tasks.get_mut(task)
                {
                    open.role = role.clone();
                    self.effects.push(Effect::ReassignTask {
                        key: task.clone(),
                        role: role.clone(),
                    });
                }
                (format!("role:{role}"), "escalation_reassigned")
            }
        };
        let key = self.key("job:");
        self.effects.push(Effect::Job(Job {
            key,
            work: Work::Notify {
                to,
                template: template.into(),
                channels: vec!["email".into()],
                urgent: false,
                credentials: None,
                awaited: false,
                vars,
            },
        }));
        let mut detail = json!({ "at_percent": percent, "action": format!("{action:?}") });
        if let Some((from, to)) = moved {
            detail["moved"] = json!(format!(
                "moved from {} to {}: outside office hours",
                self.local_stamp(from),
                self.local_stamp(to)
            ));
        }
        self.history(Actor::Engine, "escalated", Some(step), detail, None);
        Ok(())
    }
}

/// The timer of the term's `i`-th escalation rung: one per case, so closing can cancel it.
pub(super) fn term_rung_key(case: i64, i: usize) -> String {
    format!("timer:{case}:term:{i}")
}

/// The instant `percent`% of the way from `from` to `to`.
fn share(from: DateTime<Utc>, to: DateTime<Utc>, percent: u8) -> DateTime<Utc> {
    let total = (to - from).num_seconds().max(0);
    from + Duration::seconds(total * i64::from(percent) / 100)
}

/// The default close of a working day: a working-day deadline ends when the office closes.
pub const CLOSE_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(18, 0, 0) {
    Some(t) => t,
    None => panic!("18:00 is a time"),
};
