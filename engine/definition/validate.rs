//! From the raw form to the compiled form, collecting every problem on the way.
//!
//! The checks do not stop at the first problem: a methodologist fixing an amended order
//! wants the whole list. Each problem carries the JSON pointer of the node at fault; the
//! caller turns pointers into `file:line:column` with the document's position table.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indexmap::IndexMap;

use super::catalog::Catalog;
use super::expr::{self, Env, Expr, Type};
use super::messages::Msg;
use super::model::*;
use super::raw;
use super::term;
use crate::diagnostic::did_you_mean;
use crate::msg;
use crate::yaml::escape;

/// The results every service may end with, when it does not list its own.
pub const SERVICE_RESULTS: [&str; 4] = ["issued", "refused", "not_accepted", "withdrawn"];

/// Problems that leave a transition unresolved: with any of them, the graph and the term
/// cannot be checked.
const GRAPH_BLOCKERS: &[&str] = &[
    "step.unknown",
    "step.no_kind",
    "step.many_kinds",
    "step.needs_next",
    "step.needs_outcomes",
    "step.field_not_for_kind",
    "receive.needs_timeout",
    "request.needs_on_failure",
    "decide.no_otherwise",
    "decide.branch_form",
    "join.not_fork",
    "call.unknown",
    "call.recursive",
    "call.unknown_result",
    "call.missing_result",
    "file.not_workflow",
];

/// What a definition is checked against: the names it may use that are not its own.
pub struct Context<'a> {
    /// Roles, stages, connectors.
    pub catalog: &'a Catalog,
    /// The catalog's file, for hints.
    pub catalog_file: &'a Path,
    /// The calendar ids available.
    pub calendars: &'a [String],
    /// Where the templates are.
    pub templates: &'a Path,
}

/// One problem: where (a JSON pointer), what, and how to fix it.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The node at fault.
    pub pointer: String,
    /// Point at the value rather than at its key.
    pub at_value: bool,
    /// A character offset inside the value (an expression's mistake).
    pub offset: Option<usize>,
    /// What is wrong.
    pub msg: Msg,
    /// How to fix it.
    pub hint: Option<Msg>,
}

/// The problems found so far.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Records a problem at the key of `pointer`.
    pub fn at(&mut self, pointer: impl Into<String>, msg: Msg) -> &mut Problem {
        self.push(pointer.into(), false, msg)
    }

    /// Records a problem at the value of `pointer`.
    pub fn at_value(&mut self, pointer: impl Into<String>, msg: Msg) -> &mut Problem {
        self.push(pointer.into(), true, msg)
    }

    fn push(&mut self, pointer: String, at_value: bool, msg: Msg) -> &mut Problem {
        self.0.push(Problem {
            pointer,
            at_value,
            offset: None,
            msg,
            hint: None,
        });
        self.0.last_mut().expect("just pushed")
    }
}

impl Problem {
    /// Adds a hint.
    pub fn hint(&mut self, hint: Msg) -> &mut Self {
        self.hint = Some(hint);
        self
    }

    /// Adds a "did you mean" hint when a candidate is close enough, else "one of".
    pub fn suggest<'c>(&mut self, word: &str, candidates: impl IntoIterator<Item = &'c str>) {
        let candidates: Vec<&str> = candidates.into_iter().collect();
        if let Some(best) = did_you_mean(word, candidates.iter().copied()) {
            self.hint = Some(msg!("hint.did_you_mean", name = best));
        } else if !candidates.is_empty() && candidates.len() <= 12 {
            self.hint = Some(msg!("hint.one_of", names = candidates.join(", ")));
        }
    }
}

fn ptr(parts: &[&str]) -> String {
    parts.iter().map(|p| format!("/{}", escape(p))).collect()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The expression type of a declared field.
pub fn field_type(field: &raw::Field) -> Type {
    let (ty, values) = match field {
        raw::Field::Short(ty) => (*ty, &[][..]),
        raw::Field::Full(spec) => (spec.ty, &spec.values[..]),
    };
    match ty {
        raw::TypeName::String | raw::TypeName::Text => Type::String,
        raw::TypeName::Int => Type::Int,
        raw::TypeName::Decimal => Type::Decimal,
        raw::TypeName::Money => Type::Money,
        raw::TypeName::Bool => Type::Bool,
        raw::TypeName::Date => Type::Date,
        raw::TypeName::Iin => Type::Iin,
        raw::TypeName::Phone => Type::Phone,
        raw::TypeName::Email => Type::Email,
        raw::TypeName::Enum => Type::Enum(values.to_vec()),
        raw::TypeName::Document => Type::Any,
    }
}

fn is_snake(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_data_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_snake)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// The guide's "always" rules a definition can run without (workflows/README.md, Steps and
/// Sources): every step has a `title` and a `source`. Reported as warnings, so a draft still
/// loads and runs its scenarios while CI (`--deny-warnings`) keeps them from shipping.
pub fn warnings(raw: &raw::Workflow) -> Problems {
    let mut p = Problems::default();
    for (name, step) in &raw.steps {
        let at = ptr(&["steps", name]);
        if step.title.is_none() {
            p.at(&at, msg!("step.no_title", step = name))
                .hint(msg!("hint.step_title"));
        }
        if step.source.is_none() {
            p.at(&at, msg!("step.no_source", step = name))
                .hint(msg!("hint.step_source"));
        }
    }
    for (name, event) in &raw.events {
        let at = ptr(&["events", name]);
        if event.title.is_none() {
            p.at(&at, msg!("event.no_title", event = name))
                .hint(msg!("hint.step_title"));
        }
        if event.source.is_none() {
            p.at(&at, msg!("event.no_source", event = name))
                .hint(msg!("hint.step_source"));
        }
    }
    p
}

/// Compiles one workflow file. Returns the definition only when there are no problems.
/// `subworkflows` are those already compiled, by id, for the `call` steps.
pub fn compile(
    file: &Path,
    raw: &raw::Workflow,
    ctx: &Context<'_>,
    subworkflows: &IndexMap<String, Definition>,
) -> (Option<Definition>, Problems) {
    let (def, _draft, problems) = compile_draft(file, raw, ctx, subworkflows);
    (def, problems)
}

/// The problems that only say the term does not hold on some path: a definition with these
/// alone is whole, and a dry run may still lay its dates out, which is what the
/// methodologist needs to see to mend it.
const TERM_OVERRUNS: [&str; 2] = ["term.exceeded", "term.before_end"];

/// Like [`compile`], and also the definition whose only problems are term overruns (a
/// draft): it never runs a case, but `qyzmet simulate --dry-run` shows its dates.
pub fn compile_draft(
    file: &Path,
    raw: &raw::Workflow,
    ctx: &Context<'_>,
    subworkflows: &IndexMap<String, Definition>,
) -> (Option<Definition>, Option<Definition>, Problems) {
    let mut c = Compiler {
        raw,
        ctx,
        subworkflows,
        p: Problems::default(),
        ids: raw
            .steps
            .keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), StepId(i as u16)))
            .collect(),
        env: Env::new(),
        unchecked_edges: Vec::new(),
    };
    let def = c.definition(file.to_path_buf());
    let problems = c.p;
    if problems.0.is_empty() {
        (Some(def), None, problems)
    } else if problems
        .0
        .iter()
        .all(|p| TERM_OVERRUNS.contains(&p.msg.key))
    {
        (None, Some(def), problems)
    } else {
        (None, None, problems)
    }
}

struct Compiler<'a> {
    raw: &'a raw::Workflow,
    ctx: &'a Context<'a>,
    subworkflows: &'a IndexMap<String, Definition>,
    p: Problems,
    ids: HashMap<String, StepId>,
    env: Env,
    /// Edges whose condition failed to check: not in the compiled step, but real for the
    /// graph checks, which would otherwise call their targets unreachable.
    unchecked_edges: Vec<(StepId, StepId)>,
}

/// The most a `short_title` may take in each language: an e-mail subject of a few words
/// around it stays readable on a phone, and an SMS keeps room for the number and the date.
pub const SHORT_TITLE_CHARS: usize = 40;

impl Compiler<'_> {
    /// `short_title`, each language at most [`SHORT_TITLE_CHARS`]; `title` when not given.
    fn short_title(&mut self) -> Text {
        let Some(short) = &self.raw.short_title else {
            return self.raw.title.clone();
        };
        for (lang, text) in [("kk", &short.kk), ("ru", &short.ru)] {
            let chars = text.chars().count();
            if chars > SHORT_TITLE_CHARS {
                self.p
                    .at_value(
                        ptr(&["short_title", lang]),
                        msg!(
                            "file.short_title_long",
                            lang = lang,
                            chars = chars,
                            max = SHORT_TITLE_CHARS
                        ),
                    )
                    .hint(msg!("hint.short_title"));
            }
        }
        short.clone()
    }

    fn definition(&mut self, file: PathBuf) -> Definition {
        let raw = self.raw;
        let (kind, id) = match (&raw.service, &raw.subworkflow) {
            (Some(s), None) => (Kind::Service, s.clone()),
            (None, Some(s)) => (Kind::Subworkflow, s.clone()),
            (Some(s), Some(_)) => {
                self.p.at("/subworkflow", msg!("file.both_ids"));
                (Kind::Service, s.clone())
            }
            (None, None) => {
                self.p.at("", msg!("file.not_workflow"));
                (Kind::Service, String::new())
            }
        };
        let effective_from = self.date("/effective_from", "effective_from", &raw.effective_from);
        let effective_until = raw
            .effective_until
            .as_deref()
            .map(|s| self.date("/effective_until", "effective_until", s));
        if let Some(until) = effective_until
            && until < effective_from
        {
            self.p.at_value(
                "/effective_until",
                msg!(
                    "version.until_before_from",
                    until = until,
                    from = effective_from
                ),
            );
        }
        if !self.ctx.calendars.contains(&raw.calendar) {
            self.p
                .at_value("/calendar", msg!("calendar.unknown", name = raw.calendar))
                .suggest(&raw.calendar, self.ctx.calendars.iter().map(String::as_str));
        }
        if let Some(email) = &raw.support_email
            && !is_email(email)
        {
            self.p
                .at_value("/support_email", msg!("email.invalid", value = email));
        }
        let results = self.results(kind);
        let parameters = self.fields("/parameters", &raw.parameters);
        let data = self.fields("/data", &raw.data);
        self.check_name_clashes(&parameters, &data);
        // As `Definition::env`: the day of the transition.
        self.env.declare("today", Type::Date);
        // The case's registration number: what a system told of a case (the result sent to
        // the State Corporation, seeds/001 item 12 part 5) identifies it by.
        self.env.declare("registration_number", Type::String);
        // The channel the application came by, a string (`channel == 'egov_portal'`): a
        // service may branch on it, e.g. skip a check the portal made (seeds/001).
        self.env.declare("channel", Type::String);
        for (name, field) in parameters.iter().chain(data.iter()) {
            self.env.declare(name, field.ty.clone());
        }
        let messages = raw
            .messages
            .iter()
            .map(|(name, m)| {
                let at = ptr(&["messages", name, "fields"]);
                (name.clone(), self.fields(&at, &m.fields))
            })
            .collect();
        let sms_replies = self.sms_replies(&data);
        let schedule = raw.schedule.as_ref().map(|s| self.schedule(s));
        let start = self.step_ref("/start", &raw.start).unwrap_or(StepId(0));
        let term = self.term(kind);
        let submitted_by = if self.raw.submitted_by.is_empty() {
            vec!["front_office_operator".to_string()]
        } else {
            let roles = self.raw.submitted_by.clone();
            for (i, role) in roles.iter().enumerate() {
                self.role(&format!("/submitted_by/{i}"), role);
            }
            roles
        };
        let application = self.form("/application", &self.raw.application.clone(), None);
        let steps: Vec<Step> = raw
            .steps
            .iter()
            .map(|(name, step)| self.step(name, step, &results))
            .collect();
        let application_prefill = self.application_prefill(&application, &steps);
        let mut steps = steps;
        let events = self.events(&mut steps);
        let record = self.record();

        let mut def = Definition {
            file,
            kind,
            id,
            version: raw.version.clone(),
            effective_from,
            effective_until,
            title: raw.title.clone(),
            short_title: self.short_title(),
            term,
            calendar: raw.calendar.clone(),
            channels: raw.channels.clone(),
            submitted_by,
            application,
            application_prefill,
            support_email: raw.support_email.clone(),
            results,
            parameters,
            data,
            messages,
            sms_replies,
            schedule,
            events,
            record,
            start,
            steps,
            worst_case: WorkingTime::default(),
            roles: (self.ctx.catalog.roles.iter())
                .map(|(id, role)| (id.clone(), role.title.clone()))
                .collect(),
        };
        // The graph checks need every transition resolved; without that they would repeat
        // the same mistake as "unreachable" or "no way to an end". Other problems (an
        // unknown role, a bad expression) do not stop them: the methodologist gets all.
        let blocking = |p: &Problems| p.0.iter().any(|p| GRAPH_BLOCKERS.contains(&p.msg.key));
        if !blocking(&self.p) {
            let before = self.p.0.len();
            self.graph(&mut def);
            if self.p.0.len() == before {
                def.worst_case = term::check(&def, self.subworkflows, &mut self.p);
            }
        }
        def
    }

    /// The life events (`events:`), each checked against the steps and messages; every hold
    /// learns the events that may start at it. A hold no event leaves would keep a case
    /// forever, so it is an error.
    fn events(&mut self, steps: &mut [Step]) -> IndexMap<String, LifeEvent> {
        let raw = self.raw;
        let mut out = IndexMap::new();
        for (name, e) in &raw.events {
            let at = ptr(&["events", name]);
            if !is_snake(name) {
                self.p.at(&at, msg!("event.bad_id", event = name));
            }
            let mut env = self.env.clone();
            let trigger = match (&e.message, &e.date) {
                (Some(message), None) => {
                    match raw.messages.get(message) {
                        Some(m) => {
                            for (field, f) in &m.fields {
                                env.declare(&format!("message.{field}"), field_type(f));
                            }
                        }
                        None => {
                            self.p
                                .at_value(
                                    format!("{at}/message"),
                                    msg!("receive.unknown_message", name = message),
                                )
                                .suggest(message, raw.messages.keys().map(String::as_str));
                            if self.p.0.last().is_some_and(|p| p.hint.is_none()) {
                                self.p.0.last_mut().map(|p| p.hint(msg!("hint.messages")));
                            }
                        }
                    }
                    if raw
                        .steps
                        .values()
                        .any(|s| s.receive.as_ref().is_some_and(|r| &r.message == message))
                    {
                        self.p.at_value(
                            format!("{at}/message"),
                            msg!("event.message_also_received", name = message),
                        );
                    }
                    if out.values().any(
                        |o: &LifeEvent| matches!(&o.trigger, Trigger::Message(m) if m == message),
                    ) {
                        self.p.at_value(
                            format!("{at}/message"),
                            msg!("event.message_twice", name = message),
                        );
                    }
                    Trigger::Message(message.clone())
                }
                (None, Some(date)) => {
                    let e = self.expr(
                        &format!("{at}/date"),
                        date,
                        &self.env.clone(),
                        Some(&Type::Date),
                    );
                    match e {
                        Some(e) => Trigger::Date(e),
                        None => continue,
                    }
                }
                _ => {
                    self.p.at(&at, msg!("event.one_trigger", event = name));
                    continue;
                }
            };
            let dated = matches!(trigger, Trigger::Date(_));
            if dated && (!e.store.is_empty() || e.once_per.is_some()) {
                self.p
                    .at(&at, msg!("event.date_reads_no_message", event = name));
            }
            let once_per = e
                .once_per
                .as_ref()
                .filter(|_| !dated)
                .and_then(|source| self.expr(&format!("{at}/once_per"), source, &env, None));
            let store = if dated {
                Vec::new()
            } else {
                self.mapping(&format!("{at}/store"), &e.store, &env)
            };
            for (i, role) in e.by.iter().enumerate() {
                self.role(&format!("{at}/by/{i}"), role);
            }
            let start = self
                .step_ref(&format!("{at}/start"), &e.start)
                .unwrap_or(StepId(0));
            let mut during = Vec::new();
            if e.during.is_empty() {
                self.p.at(&at, msg!("event.no_during", event = name));
            }
            for (i, hold) in e.during.iter().enumerate() {
                let here = format!("{at}/during/{i}");
                let Some(id) = self.step_ref(&here, hold) else {
                    continue;
                };
                match &mut steps[id.index()].kind {
                    StepKind::Hold { events, .. } => {
                        events.push((name.clone(), start));
                        during.push(id);
                    }
                    other => {
                        let kind = other.name();
                        self.p.at_value(
                            here,
                            msg!("event.during_not_hold", step = hold, kind = kind),
                        );
                    }
                }
            }
            out.insert(
                name.clone(),
                LifeEvent {
                    name: name.clone(),
                    title: e.title.clone(),
                    source: e
                        .source
                        .as_ref()
                        .and_then(|src| self.source(&format!("{at}/source"), src)),
                    trigger,
                    during,
                    once_per,
                    store,
                    by: e.by.clone(),
                    start,
                },
            );
        }
        for (name, step) in raw.steps.iter() {
            if step.hold.is_some() && !raw.events.values().any(|e| e.during.contains(name)) {
                self.p.at(
                    ptr(&["steps", name, "hold"]),
                    msg!("hold.no_event", step = name),
                );
            }
        }
        out
    }

    /// The `record:` names: data of the case, each once.
    fn record(&mut self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, name) in self.raw.record.iter().enumerate() {
            let at = format!("/record/{i}");
            if self.data_type(&at, name).is_none() {
                continue;
            }
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        out
    }

    fn date(&mut self, pointer: &str, field: &str, value: &str) -> NaiveDate {
        parse_date(value).unwrap_or_else(|| {
            self.p
                .at_value(
                    pointer,
                    msg!("version.bad_date", field = field, value = value),
                )
                .hint(msg!("hint.date_form"));
            NaiveDate::MIN
        })
    }

    fn results(&mut self, kind: Kind) -> Vec<String> {
        match kind {
            Kind::Subworkflow if self.raw.results.is_empty() => {
                self.p.at("/subworkflow", msg!("results.subworkflow_none"));
                vec![]
            }
            Kind::Service if self.raw.results.is_empty() => {
                SERVICE_RESULTS.iter().map(|s| s.to_string()).collect()
            }
            _ => self.raw.results.clone(),
        }
    }

    fn fields(
        &mut self,
        at: &str,
        fields: &IndexMap<String, raw::Field>,
    ) -> IndexMap<String, FieldDef> {
        let mut out = IndexMap::new();
        for (name, field) in fields {
            let pointer = format!("{at}/{}", escape(name));
            if !is_data_name(name) {
                self.p
                    .at(&pointer, msg!("data.bad_name", name = name))
                    .hint(msg!("hint.data_name"));
            }
            let ty = field_type(field);
            let def = match field {
                raw::Field::Short(t) => {
                    if *t == raw::TypeName::Enum {
                        self.p
                            .at(&pointer, msg!("data.enum_without_values", name = name));
                    }
                    FieldDef {
                        ty,
                        label: None,
                        pattern: None,
                        min: None,
                        max: None,
                        personal: matches!(t, raw::TypeName::Iin | raw::TypeName::Phone),
                        multiline: *t == raw::TypeName::Text,
                        csv: false,
                    }
                }
                raw::Field::Full(spec) => {
                    if spec.ty == raw::TypeName::Enum && spec.values.is_empty() {
                        self.p
                            .at(&pointer, msg!("data.enum_without_values", name = name));
                    }
                    if spec.ty != raw::TypeName::Enum && !spec.values.is_empty() {
                        self.p.at(
                            format!("{pointer}/values"),
                            msg!("data.values_not_enum", name = name),
                        );
                    }
                    if let Some(pattern) = &spec.pattern
                        && let Err(e) = regex::Regex::new(pattern)
                    {
                        let detail = e.to_string().lines().last().unwrap_or("").to_string();
                        self.p.at_value(
                            format!("{pointer}/pattern"),
                            msg!("data.bad_pattern", name = name, detail = detail),
                        );
                    }
                    if let (Some(min), Some(max)) = (spec.min, spec.max)
                        && min > max
                    {
                        self.p
                            .at(format!("{pointer}/min"), msg!("data.min_max", name = name));
                    }
                    if spec.format.is_some() && spec.ty != raw::TypeName::Document {
                        self.p.at(
                            format!("{pointer}/format"),
                            msg!("data.format_not_document", name = name),
                        );
                    }
                    FieldDef {
                        ty,
                        label: spec.label.clone(),
                        pattern: spec.pattern.clone(),
                        min: spec.min,
                        max: spec.max,
                        personal: spec.personal
                            || matches!(spec.ty, raw::TypeName::Iin | raw::TypeName::Phone),
                        multiline: spec.ty == raw::TypeName::Text,
                        csv: spec.format == Some(raw::DocumentFormat::Csv),
                    }
                }
            };
            out.insert(name.clone(), def);
        }
        out
    }

    /// `applicant` declared as a value and `applicant.iin` as a field cannot both hold.
    fn check_name_clashes(
        &mut self,
        parameters: &IndexMap<String, FieldDef>,
        data: &IndexMap<String, FieldDef>,
    ) {
        let names: BTreeSet<&str> = parameters
            .keys()
            .chain(data.keys())
            .map(String::as_str)
            .collect();
        for name in &names {
            let group = format!("{name}.");
            if let Some(other) = names.iter().find(|n| n.starts_with(&group)) {
                let section = if data.contains_key(*name) {
                    "data"
                } else {
                    "parameters"
                };
                self.p.at(
                    ptr(&[section, name]),
                    msg!("data.prefix_clash", name = name, other = other),
                );
            }
        }
    }

    fn schedule(&mut self, s: &raw::Schedule) -> Schedule {
        let at = "/schedule";
        if s.cron.is_some() == s.every.is_some() {
            self.p.at(at, msg!("schedule.one_kind"));
        }
        if !self.raw.channels.is_empty() && !self.raw.channels.contains(&raw::Channel::Proactive) {
            self.p.at("/channels", msg!("schedule.not_proactive"));
        }
        if let Some(expression) = &s.cron {
            for (field, set) in [
                ("month", s.month.is_some()),
                ("working_day", s.working_day.is_some()),
                ("calendar_days_after", s.calendar_days_after.is_some()),
                ("working_days_after", s.working_days_after.is_some()),
                ("at", s.at.is_some()),
            ] {
                if set {
                    self.p.at(
                        format!("{at}/{field}"),
                        msg!("schedule.cron_only", field = field),
                    );
                }
            }
            return match expression.parse::<cron::Schedule>() {
                Ok(schedule) => Schedule::Cron {
                    expression: expression.clone(),
                    schedule: Box::new(schedule),
                    on_non_working_day: s.on_non_working_day,
                },
                Err(e) => {
                    // The cron crate draws a caret under the expression; the last line says why.
                    let text = e.to_string();
                    let detail = text.lines().last().unwrap_or_default().trim().to_string();
                    self.p
                        .at_value(
                            format!("{at}/cron"),
                            msg!("schedule.bad_cron", detail = detail),
                        )
                        .hint(msg!("hint.cron"));
                    Schedule::Every {
                        period: raw::Period::Year,
                        month: None,
                        offset: PeriodOffset::WorkingDay(1),
                        at: (9, 0),
                    }
                }
            };
        }
        if s.on_non_working_day != raw::NonWorkingDay::Run {
            self.p.at(
                format!("{at}/on_non_working_day"),
                msg!("schedule.every_only"),
            );
        }
        let offsets = [
            s.working_day.map(PeriodOffset::WorkingDay),
            s.calendar_days_after.map(PeriodOffset::CalendarDaysAfter),
            s.working_days_after.map(PeriodOffset::WorkingDaysAfter),
        ];
        let given: Vec<PeriodOffset> = offsets.into_iter().flatten().collect();
        // The 1st to the 15th working day: even May or March, with their holidays, has more
        // than 15, so the day exists in every period; 0 has no meaning.
        if let Some(n) = s.working_day
            && !(1..=15).contains(&n)
        {
            self.p.at_value(
                format!("{at}/working_day"),
                msg!("schedule.bad_working_day"),
            );
        }
        if given.len() != 1 && s.every.is_some() {
            self.p.at(at, msg!("schedule.every_needs_offset"));
        }
        let period = s.every.unwrap_or(raw::Period::Year);
        if let Some(month) = s.month {
            if !(1..=12).contains(&month) {
                self.p
                    .at_value(format!("{at}/month"), msg!("schedule.bad_month"));
            }
            if period != raw::Period::Year {
                self.p
                    .at(format!("{at}/month"), msg!("schedule.month_needs_year"));
            }
        }
        let time = match &s.at {
            None => (9, 0),
            Some(text) => match chrono::NaiveTime::parse_from_str(text, "%H:%M") {
                Ok(t) => {
                    use chrono::Timelike;
                    (t.hour(), t.minute())
                }
                Err(_) => {
                    self.p
                        .at_value(format!("{at}/at"), msg!("schedule.bad_time", value = text));
                    (9, 0)
                }
            },
        };
        Schedule::Every {
            period,
            month: s.month,
            offset: given
                .first()
                .copied()
                .unwrap_or(PeriodOffset::WorkingDay(1)),
            at: time,
        }
    }

    fn term(&mut self, kind: Kind) -> Option<Term> {
        let Some(t) = &self.raw.term else {
            if kind == Kind::Service {
                self.p
                    .at("/term", msg!("service.no_term"))
                    .hint(msg!("hint.term"));
            }
            return None;
        };
        if kind == Kind::Subworkflow {
            self.p.at("/term", msg!("term.subworkflow"));
        }
        let length = match (t.working_days, t.calendar_days) {
            (Some(d), None) => Length::WorkingDays(d),
            (None, Some(d)) => Length::CalendarDays(d),
            _ => {
                self.p.at("/term", msg!("term.one_unit"));
                Length::WorkingDays(0)
            }
        };
        let starts_after = match &t.starts_after {
            Some(name) => self
                .step_ref("/term/starts_after", name)
                .unwrap_or(StepId(0)),
            None => self.ids.get(&self.raw.start).copied().unwrap_or(StepId(0)),
        };
        if let Some(source) = &t.source {
            self.source("/term/source", source);
        }
        let escalation = self.rungs("/term/escalation", &t.escalation);
        Some(Term {
            length,
            starts_after,
            acceptance_day_counts: t.acceptance_day_counts,
            escalation,
        })
    }

    fn source(&mut self, at: &str, s: &raw::Source) -> Option<Source> {
        match self.raw.basis.get(&s.act) {
            Some(act) => Some(Source {
                act: act.title.clone(),
                file: act.file.clone(),
                item: s.item.clone(),
            }),
            None => {
                let names: Vec<&str> = self.raw.basis.keys().map(String::as_str).collect();
                let p = self
                    .p
                    .at_value(format!("{at}/act"), msg!("source.unknown_act", act = s.act));
                p.suggest(&s.act, names.iter().copied());
                if p.hint.is_none() || names.is_empty() {
                    p.hint(msg!("hint.basis", names = names.join(", ")));
                }
                None
            }
        }
    }

    /// Resolves a step reference, reporting an unknown one with the closest id.
    fn step_ref(&mut self, at: &str, name: &str) -> Option<StepId> {
        if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        self.p
            .at_value(at, msg!("step.unknown", step = name))
            .suggest(name, self.raw.steps.keys().map(String::as_str));
        None
    }

    /// Checks `application_prefill`: a `request` step of this file, whose input reads only
    /// fields of the application (the desk has nothing else before the case exists) and
    /// whose output fills at least one of them (else the button would fill nothing).
    fn application_prefill(&mut self, application: &[FormField], steps: &[Step]) -> Option<StepId> {
        let name = self.raw.application_prefill.clone()?;
        let at = "/application_prefill";
        let id = self.step_ref(at, &name)?;
        let StepKind::Request(r) = &steps.get(id.index())?.kind else {
            self.p
                .at_value(at, msg!("prefill.not_a_request", step = name));
            return None;
        };
        if application.is_empty() {
            self.p.at_value(at, msg!("prefill.no_application"));
            return None;
        }
        let on_form = |n: &str| application.iter().any(|f| f.field == n);
        let mut fits = true;
        for (input, e) in &r.input {
            for variable in e.variables() {
                if !on_form(&variable) {
                    self.p.at_value(
                        at,
                        msg!(
                            "prefill.input_not_on_application",
                            step = name,
                            input = input,
                            field = variable
                        ),
                    );
                    fits = false;
                }
            }
        }
        if !r.output.iter().any(|(target, _)| on_form(target)) {
            self.p
                .at_value(at, msg!("prefill.fills_nothing", step = name));
            fits = false;
        }
        fits.then_some(id)
    }

    /// Checks a form's fields: each declared, none twice, and `for_outcomes` naming the
    /// outcomes of `step` (a task's), or absent where there are none (the application).
    fn form(
        &mut self,
        at: &str,
        fields: &[raw::FormField],
        step: Option<(&str, &[&str])>,
    ) -> Vec<FormField> {
        let mut form = Vec::new();
        let mut seen = HashSet::new();
        for (i, f) in fields.iter().enumerate() {
            let there = format!("{at}/{i}");
            let (field, required, for_outcomes) = match f {
                raw::FormField::Name(n) => (n.clone(), true, vec![]),
                raw::FormField::Full(spec) => {
                    (spec.field.clone(), spec.required, spec.for_outcomes.clone())
                }
            };
            let (required_when, must_be) = match f {
                raw::FormField::Name(_) => (None, None),
                raw::FormField::Full(spec) => {
                    let env = self.env.clone();
                    let when = spec.required_when.as_ref().and_then(|source| {
                        self.expr(
                            &format!("{there}/required_when"),
                            source,
                            &env,
                            Some(&Type::Bool),
                        )
                    });
                    (when, spec.must_be)
                }
            };
            let field_at = match f {
                raw::FormField::Name(_) => there.clone(),
                raw::FormField::Full(_) => format!("{there}/field"),
            };
            if !seen.insert(field.clone()) {
                self.p
                    .at_value(&field_at, msg!("form.duplicate", name = field));
            }
            let ty = self.data_type(&field_at, &field);
            if must_be.is_some() && ty.is_some_and(|t| t != Type::Bool) {
                self.p.at(
                    format!("{there}/must_be"),
                    msg!("form.must_be_bool", name = field),
                );
            }
            for (j, o) in for_outcomes.iter().enumerate() {
                let here = format!("{there}/for_outcomes/{j}");
                match step {
                    Some((name, outcomes)) if !outcomes.contains(&o.as_str()) => {
                        self.p
                            .at_value(here, msg!("form.unknown_outcome", outcome = o, step = name))
                            .suggest(o, outcomes.iter().copied());
                    }
                    Some(_) => {}
                    None => {
                        self.p.at_value(here, msg!("application.no_outcomes"));
                    }
                }
            }
            form.push(FormField {
                field,
                // A condition makes the field required only when it holds.
                required: required && required_when.is_none(),
                for_outcomes,
                required_when,
                must_be,
            });
        }
        form
    }

    fn role(&mut self, at: &str, role: &str) {
        if !self.ctx.catalog.roles.contains_key(role) {
            let catalog = self.ctx.catalog_file.display().to_string();
            let names: Vec<&str> = self.ctx.catalog.roles.keys().map(String::as_str).collect();
            let p = self.p.at_value(at, msg!("task.unknown_role", role = role));
            p.suggest(role, names.iter().copied());
            if p.hint.is_none() {
                p.hint(msg!(
                    "hint.catalog",
                    catalog = catalog,
                    names = names.join(", ")
                ));
            }
        }
    }

    fn rungs(&mut self, at: &str, rungs: &[raw::Rung]) -> Vec<Rung> {
        let mut out = Vec::new();
        let mut last = 0u8;
        for (i, r) in rungs.iter().enumerate() {
            let here = format!("{at}/{i}");
            let percent =
                r.at.strip_suffix('%')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=100).contains(n));
            let Some(percent) = percent else {
                self.p
                    .at_value(format!("{here}/at"), msg!("rung.bad_percent", value = r.at));
                continue;
            };
            if percent <= last {
                self.p.at_value(
                    format!("{here}/at"),
                    msg!("rung.not_ascending", a = format!("{last}%"), b = r.at),
                );
            }
            last = percent;
            let action = match (&r.remind, &r.notify, &r.reassign) {
                (Some(who), None, None) => {
                    if who != "assignee" {
                        self.p
                            .at_value(format!("{here}/remind"), msg!("rung.remind_assignee"));
                    }
                    RungAction::RemindAssignee
                }
                (None, Some(role), None) => {
                    self.role(&format!("{here}/notify"), role);
                    RungAction::Notify(role.clone())
                }
                (None, None, Some(role)) => {
                    self.role(&format!("{here}/reassign"), role);
                    RungAction::Reassign(role.clone())
                }
                _ => {
                    self.p.at(&here, msg!("rung.one_action"));
                    continue;
                }
            };
            out.push(Rung {
                at_percent: percent,
                action,
            });
        }
        out
    }

    /// A length from a duration, when the context allows its kind.
    fn length(&mut self, at: &str, d: &raw::Duration, what: &str) -> Length {
        match d {
            raw::Duration::WorkingDays(n) => Length::WorkingDays(*n),
            raw::Duration::CalendarDays(n) => Length::CalendarDays(*n),
            raw::Duration::WorkingHours(n) => Length::WorkingMinutes(n.saturating_mul(60)),
            raw::Duration::Minutes(n) => Length::WorkingMinutes(*n),
            raw::Duration::WorkingDaysBeforeTermEnd(_) => {
                self.bad_duration(at, "working_days_before_term_end", what);
                Length::WorkingDays(0)
            }
            raw::Duration::Until(_) => {
                self.bad_duration(at, "until", what);
                Length::WorkingDays(0)
            }
            raw::Duration::UntilWorkingDay(_) => {
                self.bad_duration(at, "until_working_day", what);
                Length::WorkingDays(0)
            }
        }
    }

    fn bad_duration(&mut self, at: &str, kind: &str, what: &str) {
        self.p.at(
            format!("{at}/{kind}"),
            msg!("wait.bad_duration", kind = kind, what = what),
        );
    }

    /// Checks an expression and reports its problems at `at`.
    fn expr(&mut self, at: &str, source: &str, env: &Env, expected: Option<&Type>) -> Option<Expr> {
        match expr::check(source, env, expected) {
            Ok(e) => {
                self.channel_literals(at, source);
                Some(e)
            }
            Err(errors) => {
                for e in errors {
                    let p = self.p.at_value(
                        at,
                        msg!("expr.at", source = source).with_msg("detail", e.message),
                    );
                    p.offset = Some(e.offset);
                    if let Some(hint) = e.hint {
                        p.hint(hint);
                    }
                }
                None
            }
        }
    }

    /// `channel == 'egov_portal'` against a channel the service is not filed through is
    /// never true: a misspelt or forgotten channel, refused with the service's channels.
    fn channel_literals(&mut self, at: &str, source: &str) {
        static COMPARED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r#"\bchannel\s*(?:==|!=)\s*['"]([^'"]*)['"]|['"]([^'"]*)['"]\s*(?:==|!=)\s*channel\b"#,
            )
            .expect("a valid pattern")
        });
        if self.raw.channels.is_empty() || !source.contains("channel") {
            return;
        }
        for found in COMPARED.captures_iter(source) {
            let Some(literal) = found.get(1).or_else(|| found.get(2)) else {
                continue;
            };
            let name = literal.as_str();
            if self.raw.channels.iter().any(|c| c.as_str() == name) {
                continue;
            }
            let names: Vec<&str> = self.raw.channels.iter().map(|c| c.as_str()).collect();
            let p = self.p.at_value(
                at,
                msg!(
                    "expr.unknown_channel",
                    channel = name,
                    channels = names.join(", ")
                ),
            );
            p.offset = Some(source[..literal.start()].chars().count());
            p.suggest(name, names.iter().copied());
        }
    }

    /// Checks a `target: expression` mapping into case data.
    fn mapping(
        &mut self,
        at: &str,
        map: &IndexMap<String, String>,
        env: &Env,
    ) -> Vec<(String, Expr)> {
        let mut out = Vec::new();
        for (target, source) in map {
            let here = format!("{at}/{}", escape(target));
            let Some(ty) = self.data_type(&here, target) else {
                continue;
            };
            let before = self.p.0.len();
            if let Some(e) = self.expr(&here, source, env, Some(&ty)) {
                out.push((target.clone(), e));
            }
            // The checker words a non-boolean as a condition; here it is a value.
            for p in &mut self.p.0[before..] {
                for (_, details, _) in p.msg.lists.iter_mut().filter(|(k, ..)| *k == "detail") {
                    for detail in details
                        .iter_mut()
                        .filter(|m| m.key == "expr.condition_bool")
                    {
                        detail.key = "expr.target_bool";
                        detail.args.push(("target", target.clone()));
                    }
                }
            }
        }
        out
    }

    /// The type of a data field, reporting an unknown one.
    fn data_type(&mut self, at: &str, name: &str) -> Option<Type> {
        if let Some(field) = self
            .raw
            .data
            .get(name)
            .or_else(|| self.raw.parameters.get(name))
        {
            return Some(field_type(field));
        }
        self.p
            .at(at, msg!("data.unknown", name = name))
            .suggest(name, self.raw.data.keys().map(String::as_str));
        if self.p.0.last().is_some_and(|p| p.hint.is_none()) {
            self.p
                .0
                .last_mut()
                .map(|p| p.hint(msg!("hint.declare_data")));
        }
        None
    }

    fn template(&mut self, at: &str, template: &str, parts: &[&str]) {
        let dir = self.ctx.templates.join(template);
        if !dir.is_dir() {
            let existing = super::subfolders(self.ctx.templates);
            let templates = self.ctx.templates.display().to_string();
            let p = self
                .p
                .at_value(at, msg!("template.unknown", template = template));
            p.suggest(template, existing.iter().map(String::as_str));
            if p.hint.is_none() {
                p.hint(msg!("hint.template_dir", dir = templates));
            }
            return;
        }
        let missing: Vec<String> = ["kk", "ru"]
            .iter()
            .flat_map(|lang| parts.iter().map(move |part| format!("{lang}.{part}.hbs")))
            .filter(|file| !dir.join(file).is_file())
            .collect();
        if !missing.is_empty() {
            self.p
                .at_value(
                    at,
                    msg!(
                        "template.missing",
                        template = template,
                        files = missing.join(", ")
                    ),
                )
                .hint(msg!("hint.template", path = dir.display()));
        }
    }

    fn step(&mut self, name: &str, s: &raw::Step, results: &[String]) -> Step {
        let at = ptr(&["steps", name]);
        if !is_snake(name) {
            self.p
                .at(&at, msg!("step.bad_id", step = name))
                .hint(msg!("hint.step_id"));
        }
        let kinds: Vec<&str> = [
            ("task", s.task.is_some()),
            ("request", s.request.is_some()),
            ("notify", s.notify.is_some()),
            ("document", s.document.is_some()),
            ("decide", s.decide.is_some()),
            ("fork", s.fork.is_some()),
            ("join", s.join.is_some()),
            ("wait", s.wait.is_some()),
            ("receive", s.receive.is_some()),
            ("call", s.call.is_some()),
            ("end", s.end.is_some()),
            ("hold", s.hold.is_some()),
            ("wave", s.wave.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        let kind_name = match kinds.as_slice() {
            [] => {
                self.p
                    .at(&at, msg!("step.no_kind", step = name))
                    .hint(msg!("hint.kinds"));
                "end"
            }
            [one] => one,
            many => {
                self.p
                    .at(
                        &at,
                        msg!("step.many_kinds", step = name, kinds = many.join(", ")),
                    )
                    .hint(msg!("hint.split_step"));
                many[0]
            }
        };
        // Which of the transition fields this kind takes.
        let allowed: &[&str] = match kind_name {
            "task" | "call" => &["outcomes"],
            "request" => &["next", "on_failure", "signed_data"],
            "receive" => &["next", "on_timeout"],
            "notify" => &["next", "on_undelivered"],
            "decide" | "fork" | "end" | "hold" => &[],
            _ => &["next"],
        };
        for (field, set) in [
            ("next", s.next.is_some()),
            ("outcomes", !s.outcomes.is_empty()),
            ("on_failure", s.on_failure.is_some()),
            ("on_timeout", s.on_timeout.is_some()),
            ("on_undelivered", s.on_undelivered.is_some()),
            ("signed_data", !s.signed_data.is_empty()),
        ] {
            if set && !allowed.contains(&field) {
                self.p.at(
                    format!("{at}/{field}"),
                    msg!("step.field_not_for_kind", field = field, kind = kind_name),
                );
            }
        }
        if let Some(stage) = &s.stage
            && !self.ctx.catalog.stages.contains_key(stage)
        {
            let names: Vec<&str> = self.ctx.catalog.stages.keys().map(String::as_str).collect();
            let catalog = self.ctx.catalog_file.display().to_string();
            let p = self.p.at_value(
                format!("{at}/stage"),
                msg!("step.unknown_stage", stage = stage),
            );
            p.suggest(stage, names.iter().copied());
            if p.hint.is_none() {
                p.hint(msg!(
                    "hint.catalog",
                    catalog = catalog,
                    names = names.join(", ")
                ));
            }
        }
        let source = s
            .source
            .as_ref()
            .and_then(|src| self.source(&format!("{at}/source"), src));
        let kind = self.kind(name, &at, kind_name, s, results);
        Step {
            name: name.to_string(),
            title: s.title.clone(),
            stage: s.stage.clone(),
            source,
            pauses_term: s.pauses_term,
            kind,
        }
    }

    fn next(&mut self, at: &str, name: &str, s: &raw::Step) -> StepId {
        match &s.next {
            Some(next) => self
                .step_ref(&format!("{at}/next"), next)
                .unwrap_or(StepId(0)),
            None => {
                self.p.at(at, msg!("step.needs_next", step = name));
                StepId(0)
            }
        }
    }

    fn kind(
        &mut self,
        name: &str,
        at: &str,
        kind: &str,
        s: &raw::Step,
        results: &[String],
    ) -> StepKind {
        let env = self.env.clone();
        match kind {
            "task" => {
                let t = s.task.as_ref().expect("kind is task");
                StepKind::Task(self.task(name, at, t, s, &env))
            }
            "request" => {
                let r = s.request.as_ref().expect("kind is request");
                StepKind::Request(self.request(name, at, r, s, &env))
            }
            "notify" => {
                let n = s.notify.as_ref().expect("kind is notify");
                let to = match n.to.as_str() {
                    "citizen" => Recipient::Citizen,
                    "applicant" => Recipient::Applicant,
                    "assignee" => Recipient::Assignee,
                    "support_email" => Recipient::SupportEmail,
                    role if self.ctx.catalog.roles.contains_key(role) => {
                        Recipient::Role(role.into())
                    }
                    other => {
                        let mut names = vec!["citizen", "applicant", "assignee", "support_email"];
                        names.extend(self.ctx.catalog.roles.keys().map(String::as_str));
                        let roles: Vec<&str> =
                            self.ctx.catalog.roles.keys().map(String::as_str).collect();
                        let p = self.p.at_value(
                            format!("{at}/notify/to"),
                            msg!("notify.bad_recipient", to = other),
                        );
                        p.suggest(other, names);
                        if p.hint.is_none() {
                            p.hint(msg!("hint.recipient", roles = roles.join(", ")));
                        }
                        Recipient::Citizen
                    }
                };
                if to == Recipient::SupportEmail && self.raw.support_email.is_none() {
                    self.p.at_value(
                        format!("{at}/notify/to"),
                        msg!("email.support_missing", step = name),
                    );
                }
                if n.channels.is_empty() {
                    self.p
                        .at(format!("{at}/notify/channels"), msg!("notify.no_channels"));
                }
                for channel in &n.channels {
                    let parts: &[&str] = match channel {
                        raw::NotifyChannel::Sms => &["sms"],
                        raw::NotifyChannel::Email => &["subject", "text"],
                    };
                    self.template(&format!("{at}/notify/template"), &n.template, parts);
                }
                let credentials = n.credentials.as_ref().and_then(|login| {
                    // A password goes to the corporate e-mail of the request (seeds/003
                    // item 22), never by SMS.
                    if n.channels != [raw::NotifyChannel::Email] {
                        self.p.at_value(
                            format!("{at}/notify/channels"),
                            msg!("notify.credentials_email_only", step = name),
                        );
                    }
                    self.expr(
                        &format!("{at}/notify/credentials"),
                        login,
                        &env,
                        Some(&Type::String),
                    )
                });
                let receipt = self.receipt(name, at, n, &to, s);
                StepKind::Notify {
                    to,
                    template: n.template.clone(),
                    channels: n.channels.clone(),
                    urgent: n.urgent,
                    credentials,
                    receipt,
                    next: self.next(at, name, s),
                }
            }
            "document" => {
                let d = s.document.as_ref().expect("kind is document");
                self.template(&format!("{at}/document/template"), &d.template, &["html"]);
                StepKind::Document {
                    template: d.template.clone(),
                    kind: d.kind.clone(),
                    // The schema keeps it within 1..=10.
                    copies: d.copies.unwrap_or(1),
                    next: self.next(at, name, s),
                }
            }
            "decide" => self.decide(name, at, s.decide.as_deref().unwrap_or_default(), &env),
            "fork" => {
                let branches = s.fork.as_deref().unwrap_or_default();
                if branches.len() < 2 {
                    self.p.at(format!("{at}/fork"), msg!("fork.too_few"));
                }
                let branches = branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        self.step_ref(&format!("{at}/fork/{i}"), b)
                            .unwrap_or(StepId(0))
                    })
                    .collect();
                // The join is found by the graph check, once every step is known.
                StepKind::Fork {
                    branches,
                    join: StepId(0),
                }
            }
            "join" => {
                let fork = s.join.as_deref().unwrap_or_default();
                let fork_id = self
                    .step_ref(&format!("{at}/join"), fork)
                    .unwrap_or(StepId(0));
                if let Some(target) = self.raw.steps.get(fork)
                    && target.fork.is_none()
                {
                    self.p.at_value(
                        format!("{at}/join"),
                        msg!("join.not_fork", step = name, fork = fork),
                    );
                }
                StepKind::Join {
                    fork: fork_id,
                    next: self.next(at, name, s),
                }
            }
            "wait" => {
                let w = s.wait.as_ref().expect("kind is wait");
                let until = match w {
                    raw::Duration::Until(source) => {
                        let e =
                            self.expr(&format!("{at}/wait/until"), source, &env, Some(&Type::Date));
                        e.map(WaitFor::Until)
                            .unwrap_or(WaitFor::Length(Length::WorkingDays(0)))
                    }
                    raw::Duration::UntilWorkingDay(w) => {
                        let e = self.expr(
                            &format!("{at}/wait/until_working_day/after"),
                            &w.after,
                            &env,
                            Some(&Type::Date),
                        );
                        e.map(|after| WaitFor::WorkingDayAfter {
                            days: w.working_days,
                            after,
                        })
                        .unwrap_or(WaitFor::Length(Length::WorkingDays(0)))
                    }
                    d => WaitFor::Length(self.length(&format!("{at}/wait"), d, "a timer")),
                };
                StepKind::Wait {
                    until,
                    next: self.next(at, name, s),
                }
            }
            "receive" => {
                let r = s.receive.as_ref().expect("kind is receive");
                let here = format!("{at}/receive");
                let mut env = env;
                match self.raw.messages.get(&r.message) {
                    Some(m) => {
                        for (field, f) in &m.fields {
                            env.declare(&format!("message.{field}"), field_type(f));
                        }
                    }
                    None => {
                        self.p
                            .at_value(
                                format!("{here}/message"),
                                msg!("receive.unknown_message", name = r.message),
                            )
                            .suggest(&r.message, self.raw.messages.keys().map(String::as_str));
                        if self.p.0.last().is_some_and(|p| p.hint.is_none()) {
                            self.p.0.last_mut().map(|p| p.hint(msg!("hint.messages")));
                        }
                    }
                }
                let timeout = self.length(&format!("{here}/timeout"), &r.timeout, "a timeout");
                let counted_from = r.counted_from.as_ref().and_then(|source| {
                    self.expr(
                        &format!("{here}/counted_from"),
                        source,
                        &self.env.clone(),
                        Some(&Type::Date),
                    )
                });
                let store = self.mapping(&format!("{here}/store"), &r.store, &env);
                let on_timeout = match &s.on_timeout {
                    Some(step) => self
                        .step_ref(&format!("{at}/on_timeout"), step)
                        .unwrap_or(StepId(0)),
                    None => {
                        self.p.at(at, msg!("receive.needs_timeout", step = name));
                        StepId(0)
                    }
                };
                StepKind::Receive {
                    message: r.message.clone(),
                    timeout,
                    counted_from,
                    store,
                    next: self.next(at, name, s),
                    on_timeout,
                }
            }
            "call" => {
                let c = s.call.as_ref().expect("kind is call");
                self.call(name, at, c, s, &env)
            }
            "wave" => {
                let w = s.wave.as_ref().expect("kind is wave");
                self.wave(&format!("{at}/wave"), w);
                StepKind::Wave {
                    service: w.service.clone(),
                    list: w.list.clone(),
                    next: self.next(at, name, s),
                }
            }
            "hold" => {
                if self.raw.subworkflow.is_some() {
                    self.p.at(format!("{at}/hold"), msg!("hold.in_subworkflow"));
                }
                StepKind::Hold {
                    state: s.hold.clone().unwrap_or_default(),
                    events: Vec::new(),
                }
            }
            _ => {
                let result = s.end.clone().unwrap_or_default();
                if !result.is_empty() && !results.contains(&result) {
                    let p = self.p.at_value(
                        format!("{at}/end"),
                        msg!("end.unknown_result", result = result),
                    );
                    p.suggest(&result, results.iter().map(String::as_str));
                    if p.hint.is_none() {
                        p.hint(msg!("hint.results", names = results.join(", ")));
                    }
                }
                StepKind::End { result }
            }
        }
    }

    /// The messages a citizen may give by an SMS reply (`sms_reply:`): the number is a
    /// `phone` data field, the answer an `enum` field of the message whose values are the
    /// words' answers, the help SMS a template with both languages, and no word means two
    /// answers. Words are kept normalised, as replies are compared.
    fn sms_replies(&mut self, data: &IndexMap<String, FieldDef>) -> IndexMap<String, SmsReply> {
        let mut out = IndexMap::new();
        for (name, m) in &self.raw.messages {
            let Some(r) = &m.sms_reply else { continue };
            let at = ptr(&["messages", name, "sms_reply"]);
            match data.get(&r.phone).map(|f| &f.ty) {
                Some(Type::Phone) => {}
                Some(_) => {
                    self.p.at_value(
                        format!("{at}/phone"),
                        msg!("sms_reply.phone_not_phone", name = r.phone),
                    );
                }
                None => {
                    self.p
                        .at_value(format!("{at}/phone"), msg!("data.unknown", name = r.phone))
                        .suggest(&r.phone, self.raw.data.keys().map(String::as_str));
                }
            }
            let answers: Vec<String> = r.words.keys().cloned().collect();
            match m.fields.get(&r.answer).map(field_type) {
                Some(Type::Enum(values)) => {
                    let mut want = values.clone();
                    let mut have = answers.clone();
                    want.sort();
                    have.sort();
                    if want != have {
                        self.p.at(
                            format!("{at}/words"),
                            msg!(
                                "sms_reply.answers_not_values",
                                field = r.answer,
                                values = values.join(", "),
                                answers = answers.join(", ")
                            ),
                        );
                    }
                }
                Some(_) => {
                    self.p.at_value(
                        format!("{at}/answer"),
                        msg!(
                            "sms_reply.answer_not_enum",
                            field = r.answer,
                            message = name
                        ),
                    );
                }
                None => {
                    self.p
                        .at_value(
                            format!("{at}/answer"),
                            msg!("sms_reply.unknown_field", field = r.answer, message = name),
                        )
                        .suggest(&r.answer, m.fields.keys().map(String::as_str));
                }
            }
            let mut words: Vec<(String, String)> = Vec::new();
            for (answer, list) in &r.words {
                if list.is_empty() {
                    self.p.at(
                        format!("{at}/words/{}", escape(answer)),
                        msg!("sms_reply.no_words", answer = answer),
                    );
                }
                for (i, word) in list.iter().enumerate() {
                    let here = format!("{at}/words/{}/{i}", escape(answer));
                    let normal = SmsReply::normalise(word);
                    if normal.is_empty() {
                        self.p
                            .at_value(&here, msg!("sms_reply.empty_word", answer = answer));
                        continue;
                    }
                    match words.iter().find(|(w, _)| *w == normal) {
                        Some((_, other)) if other != answer => {
                            self.p.at_value(
                                &here,
                                msg!(
                                    "sms_reply.word_twice",
                                    word = word,
                                    answer = answer,
                                    other = other
                                ),
                            );
                        }
                        Some(_) => {}
                        None => words.push((normal, answer.clone())),
                    }
                }
            }
            self.template(&format!("{at}/help"), &r.help, &["sms"]);
            let text = m
                .fields
                .get("text")
                .filter(|f| field_type(f) == Type::String)
                .map(|_| "text".to_string());
            out.insert(
                name.clone(),
                SmsReply {
                    phone: r.phone.clone(),
                    answer: r.answer.clone(),
                    words,
                    help: r.help.clone(),
                    text,
                },
            );
        }
        out
    }

    /// A `wave` step: its list is a `document` field of this case, and only a service starts
    /// one. That the service it names is a proactive one is checked across the files
    /// (`definition::check_waves`), where every service is known.
    fn wave(&mut self, at: &str, w: &raw::Wave) {
        if self.raw.subworkflow.is_some() {
            self.p.at(at, msg!("wave.in_subworkflow"));
        }
        match self.raw.data.get(&w.list) {
            Some(raw::Field::Full(spec)) if spec.format == Some(raw::DocumentFormat::Csv) => {}
            Some(_) => {
                self.p.at_value(
                    format!("{at}/list"),
                    msg!("wave.list_not_document", name = w.list),
                );
            }
            None => {
                self.p
                    .at_value(format!("{at}/list"), msg!("data.unknown", name = w.list))
                    .suggest(&w.list, self.raw.data.keys().map(String::as_str));
            }
        }
    }

    /// A notice the case waits for (`record_sent_on` with `on_undelivered`).
    fn receipt(
        &mut self,
        name: &str,
        at: &str,
        n: &raw::Notify,
        to: &Recipient,
        s: &raw::Step,
    ) -> Option<Receipt> {
        let Some(record) = &n.record_sent_on else {
            if s.on_undelivered.is_some() {
                self.p.at(
                    format!("{at}/on_undelivered"),
                    msg!("notify.undelivered_needs_receipt"),
                );
            }
            return None;
        };
        let here = format!("{at}/notify/record_sent_on");
        if !matches!(to, Recipient::Citizen | Recipient::Applicant) {
            self.p.at_value(&here, msg!("notify.receipt_citizen_only"));
        }
        if let Some(ty) = self.data_type(&here, record)
            && ty != Type::Date
        {
            self.p
                .at_value(&here, msg!("notify.receipt_not_date", name = record));
        }
        let undelivered = match &s.on_undelivered {
            Some(step) => self
                .step_ref(&format!("{at}/on_undelivered"), step)
                .unwrap_or(StepId(0)),
            None => {
                self.p
                    .at(at, msg!("notify.receipt_needs_undelivered", step = name));
                StepId(0)
            }
        };
        Some(Receipt {
            record: record.clone(),
            undelivered,
        })
    }

    fn task(&mut self, name: &str, at: &str, t: &raw::Task, s: &raw::Step, env: &Env) -> Task {
        let here = format!("{at}/task");
        self.role(&format!("{here}/role"), &t.role);
        let due = t.due.as_ref().map(|d| match d {
            raw::Duration::WorkingDaysBeforeTermEnd(n) => {
                if self.raw.term.is_none() && self.raw.subworkflow.is_none() {
                    self.p
                        .at(format!("{here}/due"), msg!("term.before_end_no_term"));
                }
                Due::BeforeTermEnd(*n)
            }
            raw::Duration::Until(_) => {
                self.p.at(
                    format!("{here}/due/until"),
                    msg!("task.bad_due", kind = "until"),
                );
                Due::BeforeTermEnd(0)
            }
            raw::Duration::UntilWorkingDay(_) => {
                self.p.at(
                    format!("{here}/due/until_working_day"),
                    msg!("task.bad_due", kind = "until_working_day"),
                );
                Due::BeforeTermEnd(0)
            }
            d => Due::After(self.length(&format!("{here}/due"), d, "a task")),
        });
        let escalation = self.rungs(&format!("{here}/escalation"), &t.escalation);
        if !t.escalation.is_empty() && t.due.is_none() {
            self.p.at(
                format!("{here}/escalation"),
                msg!("rung.no_due", step = name),
            );
        }
        if s.outcomes.is_empty() {
            self.p.at(at, msg!("step.needs_outcomes", step = name));
        }
        let mut outcomes = IndexMap::new();
        for (outcome, o) in &s.outcomes {
            let there = ptr(&["steps", name, "outcomes", outcome]);
            outcomes.insert(outcome.clone(), self.transition(&there, o, env));
        }
        let outcome_names: Vec<&str> = s.outcomes.keys().map(String::as_str).collect();
        let form = self.form(
            &format!("{here}/form"),
            &t.form,
            Some((name, &outcome_names)),
        );
        Task {
            role: t.role.clone(),
            due,
            escalation,
            form,
            outcomes,
        }
    }

    /// Reads of answer fields the connector's contract may leave out, made where no `has()`
    /// shows them present: each would stop the case at this step for the citizens whose
    /// answer lacks the field (a first-time applicant without a patronymic).
    fn optional_reads(
        &mut self,
        at: &str,
        name: &str,
        connector: &super::catalog::Connector,
        output: &[(String, Expr)],
    ) {
        let optional: BTreeSet<String> = connector
            .optional_outputs()
            .map(|field| format!("response.{field}"))
            .collect();
        for (target, e) in output {
            for read in e.unguarded_reads(&optional) {
                let p = self.p.at_value(
                    format!("{at}/{}", escape(target)),
                    msg!(
                        "request.optional_unguarded",
                        name = read.name,
                        connector = name
                    ),
                );
                p.offset = Some(read.offset);
                p.hint(msg!(
                    "hint.optional_unguarded",
                    name = read.name,
                    target = target
                ));
            }
        }
    }

    /// Where an outcome of a task or a call leads and what it records: `set` is evaluated
    /// in the data of the step's own workflow (for a call, the caller's, once the
    /// sub-workflow has returned).
    fn transition(&mut self, at: &str, o: &raw::Outcome, env: &Env) -> Transition {
        let (next, set, confirm) = match o {
            raw::Outcome::Next(next) => (self.step_ref(at, next), vec![], false),
            raw::Outcome::Full(spec) => (
                self.step_ref(&format!("{at}/next"), &spec.next),
                self.mapping(&format!("{at}/set"), &spec.set, env),
                spec.confirm,
            ),
        };
        Transition {
            next: next.unwrap_or(StepId(0)),
            set,
            confirm,
        }
    }

    fn request(
        &mut self,
        name: &str,
        at: &str,
        r: &raw::Request,
        s: &raw::Step,
        env: &Env,
    ) -> Request {
        let here = format!("{at}/request");
        let connector = self.ctx.catalog.connectors.get(&r.connector);
        let mut response_env = env.clone();
        match connector {
            None => {
                let names: Vec<&str> = self
                    .ctx
                    .catalog
                    .connectors
                    .keys()
                    .map(String::as_str)
                    .collect();
                let catalog = self.ctx.catalog_file.display().to_string();
                let p = self.p.at_value(
                    format!("{here}/connector"),
                    msg!("request.unknown_connector", name = r.connector),
                );
                p.suggest(&r.connector, names.iter().copied());
                if p.hint.is_none() {
                    p.hint(msg!(
                        "hint.catalog",
                        catalog = catalog,
                        names = names.join(", ")
                    ));
                }
            }
            Some(c) => {
                for (field, f) in &c.output {
                    response_env.declare(&format!("response.{field}"), field_type(&f.field()));
                }
                for key in r.input.keys() {
                    if !c.input.contains_key(key) {
                        self.p
                            .at(
                                format!("{here}/input/{}", escape(key)),
                                msg!("request.unknown_input", connector = r.connector, name = key),
                            )
                            .suggest(key, c.input.keys().map(String::as_str));
                    }
                }
                for key in c.input.keys() {
                    if !r.input.contains_key(key) {
                        self.p.at(
                            format!("{here}/input"),
                            msg!("request.missing_input", connector = r.connector, name = key),
                        );
                    }
                }
            }
        }
        let mut input = Vec::new();
        for (key, source) in &r.input {
            let expected = connector.and_then(|c| c.input.get(key)).map(field_type);
            let there = format!("{here}/input/{}", escape(key));
            if let Some(e) = self.expr(&there, source, env, expected.as_ref()) {
                input.push((key.clone(), e));
            }
        }
        if r.output.is_empty() {
            self.p
                .at(&here, msg!("request.no_output"))
                .hint(msg!("hint.output"));
        }
        // Without the connector's contract the answer's fields are unknown: checking the
        // mapping would only repeat the unknown-connector problem.
        let output = if connector.is_some() {
            self.mapping(&format!("{here}/output"), &r.output, &response_env)
        } else {
            Vec::new()
        };
        if let Some(c) = connector {
            self.optional_reads(&format!("{here}/output"), &r.connector, c, &output);
        }
        let retry = match &r.retry {
            Some(policy) => {
                if policy.attempts == 0 {
                    self.p
                        .at_value(format!("{here}/retry/attempts"), msg!("request.attempts"));
                }
                RetryPolicy {
                    attempts: policy.attempts.max(1),
                    exponential: policy.backoff == raw::Backoff::Exponential,
                    first_delay_seconds: policy.first_delay_seconds,
                }
            }
            None => RetryPolicy::default(),
        };
        let timeout = r
            .timeout
            .as_ref()
            .map(|d| self.length(&format!("{here}/timeout"), d, "a timeout"));
        let (escalate_to_support, on_failure) = match &s.on_failure {
            None => {
                self.p
                    .at(at, msg!("request.needs_on_failure", step = name))
                    .hint(msg!("hint.on_failure"));
                (false, StepId(0))
            }
            Some(f) => {
                let mut support = false;
                for (i, target) in f.escalate.iter().enumerate() {
                    if target == "support_email" {
                        support = true;
                        if self.raw.support_email.is_none() {
                            self.p.at_value(
                                format!("{at}/on_failure/escalate/{i}"),
                                msg!("email.support_missing", step = name),
                            );
                        }
                    } else {
                        self.p
                            .at_value(
                                format!("{at}/on_failure/escalate/{i}"),
                                msg!("request.bad_escalate", value = target),
                            )
                            .suggest(target, ["support_email"]);
                    }
                }
                let next = self
                    .step_ref(&format!("{at}/on_failure/next"), &f.next)
                    .unwrap_or(StepId(0));
                (support, next)
            }
        };
        Request {
            connector: r.connector.clone(),
            input,
            output,
            retry,
            timeout,
            escalate_to_support,
            next: self.next(at, name, s),
            on_failure,
            signed_data: self.signed_data(at, s, connector),
        }
    }

    /// A request's `signed_data:`: each channel one the service is filed through, and the
    /// connector's answer contract, which a signed answer is held to at filing.
    fn signed_data(
        &mut self,
        at: &str,
        s: &raw::Step,
        connector: Option<&crate::definition::catalog::Connector>,
    ) -> Option<SignedData> {
        if s.signed_data.is_empty() {
            return None;
        }
        for (i, channel) in s.signed_data.iter().enumerate() {
            if !self.raw.channels.contains(channel) {
                let names: Vec<&str> = self.raw.channels.iter().map(|c| c.as_str()).collect();
                self.p.at_value(
                    format!("{at}/signed_data/{i}"),
                    msg!(
                        "request.signed_channel",
                        channel = channel.as_str(),
                        channels = if names.is_empty() {
                            "—".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                );
            }
        }
        let contract = connector?
            .output
            .iter()
            .map(|(name, o)| {
                let field = o.field();
                let (ty, values) = match &field {
                    raw::Field::Short(ty) => (*ty, Vec::new()),
                    raw::Field::Full(spec) => (spec.ty, spec.values.clone()),
                };
                let ty = crate::gateway::config::FieldType {
                    ty,
                    values,
                    optional: o.is_optional(),
                };
                (name.clone(), ty)
            })
            .collect();
        Some(SignedData {
            channels: s.signed_data.clone(),
            contract,
        })
    }

    fn decide(&mut self, name: &str, at: &str, branches: &[raw::Branch], env: &Env) -> StepKind {
        let mut out = Vec::new();
        let mut otherwise = None;
        for (i, b) in branches.iter().enumerate() {
            let here = format!("{at}/decide/{i}");
            match (&b.when, &b.next, &b.otherwise) {
                (Some(cond), Some(next), None) => {
                    if otherwise.is_some() {
                        self.p.at(&here, msg!("decide.otherwise_not_last"));
                    }
                    let e = self.expr(&format!("{here}/when"), cond, env, Some(&Type::Bool));
                    let step = self.step_ref(&format!("{here}/next"), next);
                    match (e, step) {
                        (Some(e), Some(step)) => out.push((e, step)),
                        (None, Some(step)) => {
                            let from = self.ids.get(name).copied().unwrap_or(StepId(0));
                            self.unchecked_edges.push((from, step));
                        }
                        _ => {}
                    }
                }
                (None, None, Some(next)) => {
                    otherwise = self
                        .step_ref(&format!("{here}/otherwise"), next)
                        .or(Some(StepId(0)));
                }
                _ => {
                    self.p.at(&here, msg!("decide.branch_form"));
                }
            }
        }
        if branches.iter().all(|b| b.when.is_none()) {
            self.p.at(format!("{at}/decide"), msg!("decide.no_branch"));
        }
        let otherwise = otherwise.unwrap_or_else(|| {
            self.p
                .at(
                    format!("{at}/decide"),
                    msg!("decide.no_otherwise", step = name),
                )
                .hint(msg!("hint.otherwise"));
            StepId(0)
        });
        StepKind::Decide {
            branches: out,
            otherwise,
        }
    }

    fn call(&mut self, name: &str, at: &str, c: &raw::Call, s: &raw::Step, env: &Env) -> StepKind {
        let here = format!("{at}/call");
        let mut with = Vec::new();
        let mut outcomes = IndexMap::new();
        let Some(sub) = self.subworkflows.get(&c.workflow) else {
            if self.raw.subworkflow.as_deref() == Some(c.workflow.as_str()) {
                self.p.at_value(
                    format!("{here}/workflow"),
                    msg!("call.recursive", name = c.workflow, via = name),
                );
            } else {
                self.p
                    .at_value(
                        format!("{here}/workflow"),
                        msg!("call.unknown", name = c.workflow),
                    )
                    .suggest(&c.workflow, self.subworkflows.keys().map(String::as_str));
            }
            return StepKind::Call {
                workflow: c.workflow.clone(),
                with,
                outcomes,
            };
        };
        for (param, source) in &c.with {
            let there = format!("{here}/with/{}", escape(param));
            match sub.parameters.get(param) {
                None => {
                    self.p
                        .at(
                            &there,
                            msg!("call.unknown_param", name = c.workflow, param = param),
                        )
                        .suggest(param, sub.parameters.keys().map(String::as_str));
                }
                Some(p) => {
                    if let Some(e) = self.expr(&there, source, env, Some(&p.ty)) {
                        with.push((param.clone(), e));
                    }
                }
            }
        }
        for param in sub.parameters.keys() {
            if !c.with.contains_key(param) {
                self.p.at(
                    format!("{here}/with"),
                    msg!("call.missing_param", name = c.workflow, param = param),
                );
            }
        }
        for (result, o) in &s.outcomes {
            let there = ptr(&["steps", name, "outcomes", result]);
            if !sub.results.contains(result) {
                self.p
                    .at(
                        &there,
                        msg!("call.unknown_result", result = result, name = c.workflow),
                    )
                    .suggest(result, sub.results.iter().map(String::as_str));
                continue;
            }
            if let raw::Outcome::Full(spec) = o
                && spec.confirm
            {
                self.p.at(
                    format!("{there}/confirm"),
                    msg!("call.confirm", result = result),
                );
            }
            outcomes.insert(result.clone(), self.transition(&there, o, env));
        }
        // Only the results some end step of the sub-workflow can actually produce must be handled.
        let reachable: BTreeSet<&str> = sub
            .steps
            .iter()
            .filter_map(|st| match &st.kind {
                StepKind::End { result } => Some(result.as_str()),
                _ => None,
            })
            .collect();
        for result in reachable {
            if !s.outcomes.contains_key(result) {
                self.p.at(
                    format!("{at}/outcomes"),
                    msg!("call.missing_result", name = c.workflow, result = result),
                );
            }
        }
        StepKind::Call {
            workflow: c.workflow.clone(),
            with,
            outcomes,
        }
    }

    /// Reachability, ends, forks and joins: the checks that need the whole graph.
    fn graph(&mut self, def: &mut Definition) {
        let n = def.steps.len();
        let mut succ: Vec<Vec<StepId>> = def
            .steps
            .iter()
            .map(|s| s.kind.successors().into_iter().map(|(id, _)| id).collect())
            .collect();
        for (from, to) in &self.unchecked_edges {
            succ[from.index()].push(*to);
        }
        // Reachable from the start.
        let reachable = reach(&succ, def.start, None);
        for (i, step) in def.steps.iter().enumerate() {
            if !reachable[i] {
                self.p
                    .at(
                        ptr(&["steps", &step.name]),
                        msg!(
                            "step.unreachable",
                            step = step.name,
                            start = def.steps[def.start.index()].name
                        ),
                    )
                    .hint(msg!("hint.unreachable"));
            }
        }
        // Can reach an end: walk the edges backwards from every end.
        let mut pred: Vec<Vec<StepId>> = vec![Vec::new(); n];
        for (i, ss) in succ.iter().enumerate() {
            for s in ss {
                pred[s.index()].push(StepId(i as u16));
            }
        }
        let mut to_end = vec![false; n];
        let mut stack: Vec<StepId> = def
            .steps
            .iter()
            .enumerate()
            // A living case may rest at a hold for good: that is not "stuck".
            .filter(|(_, s)| matches!(s.kind, StepKind::End { .. } | StepKind::Hold { .. }))
            .map(|(i, _)| StepId(i as u16))
            .collect();
        while let Some(s) = stack.pop() {
            if !std::mem::replace(&mut to_end[s.index()], true) {
                stack.extend(pred[s.index()].iter().copied());
            }
        }
        for (i, step) in def.steps.iter().enumerate() {
            if reachable[i] && !to_end[i] {
                self.p
                    .at(
                        ptr(&["steps", &step.name]),
                        msg!("step.no_end", step = step.name),
                    )
                    .hint(msg!("hint.no_end"));
            }
        }
        // Forks and their joins.
        for f in 0..n {
            let StepKind::Fork { branches, .. } = &def.steps[f].kind else {
                continue;
            };
            let branches = branches.clone();
            let fork_name = def.steps[f].name.clone();
            let joins: Vec<usize> = (0..n)
                .filter(|&j| matches!(def.steps[j].kind, StepKind::Join { fork, .. } if fork.index() == f))
                .collect();
            let join = match joins.as_slice() {
                [] => {
                    self.p
                        .at(
                            ptr(&["steps", &fork_name, "fork"]),
                            msg!("fork.no_join", step = fork_name),
                        )
                        .hint(msg!("hint.join", step = fork_name));
                    continue;
                }
                [one] => StepId(*one as u16),
                many => {
                    let names: Vec<&str> =
                        many.iter().map(|&j| def.steps[j].name.as_str()).collect();
                    self.p.at(
                        ptr(&["steps", &fork_name, "fork"]),
                        msg!(
                            "fork.many_joins",
                            step = fork_name,
                            joins = names.join(", ")
                        ),
                    );
                    continue;
                }
            };
            if let StepKind::Fork { join: j, .. } = &mut def.steps[f].kind {
                *j = join;
            }
            let join_name = def.steps[join.index()].name.clone();
            for b in branches {
                let seen = reach(&succ, b, Some(join));
                let leaks = def
                    .steps
                    .iter()
                    .enumerate()
                    .any(|(i, s)| seen[i] && matches!(s.kind, StepKind::End { .. }));
                if leaks {
                    let branch = def.steps[b.index()].name.clone();
                    self.p.at(
                        ptr(&["steps", &fork_name, "fork"]),
                        msg!(
                            "fork.branch_misses_join",
                            branch = branch,
                            step = fork_name,
                            join = join_name
                        ),
                    );
                }
            }
            // The join must not be reachable from the start without passing the fork.
            let around = reach(&succ, def.start, Some(StepId(f as u16)));
            if around[join.index()] && def.start.index() != f {
                self.p.at_value(
                    ptr(&["steps", &join_name, "join"]),
                    msg!("join.without_fork", step = join_name, fork = fork_name),
                );
            }
        }
    }
}

/// The steps reachable from `from`, not walking past `stop` (which is itself marked).
fn reach(succ: &[Vec<StepId>], from: StepId, stop: Option<StepId>) -> Vec<bool> {
    let mut seen = vec![false; succ.len()];
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut seen[s.index()], true) {
            continue;
        }
        if Some(s) == stop {
            continue;
        }
        stack.extend(succ[s.index()].iter().copied());
    }
    seen
}
