//! Load-time checks of the templates a definition uses.
//!
//! For every `notify` and `document` step, every escalation rung and every request that
//! escalates to the support address, the template must exist in both languages with the
//! parts its channels need, and cite only variables the step provides: the definition's
//! declared data (and a sub-workflow's parameters), the [`STANDARD`] variables every
//! message gets, the ones the notifier adds ([`NOTIFIER`]), and for the engine's own
//! messages their extra variables ([`TECHNICAL_FAILURE`], [`ESCALATION`]). An SMS template
//! whose worst case can take more segments than its budget — 2, or what a
//! `{{!-- segments: N --}}` comment says — is an error too.
//!
//! **The worst case** is computed from the template's syntax tree, not from one rendering:
//! each variable at its longest ([`max_chars`]), each `if`/`else` at its longer branch, each
//! partial expanded. Literal text is counted exactly. A variable is assumed to hold
//! characters of one unit each (no GSM-7 escape characters, no characters outside the Basic
//! Multilingual Plane: true of names, numbers and dates), but a text variable may hold a
//! Cyrillic letter, so the message is counted in UCS-2 whenever one may appear.
//!
//! **Set on every path.** A variable the step provides may still be missing when a case gets
//! there: the clerk took the documents by hand and no answer filled the patronymic. Templates
//! are strict, so such a notice fails to render. For each `notify` and `document` step, each
//! data name (and `deadline`) a template cites must be set on every path from `start`
//! ([`crate::definition::assigned`]), unless the template prints it only inside
//! `{{#if name}}…{{/if}}` (or `{{#with name}}`, `{{#each name}}`, the `{{else}}` of
//! `{{#unless name}}`). A name that is not is an error naming one path that leaves it unset.
//!
//! Messages carry the template file and line (in the definition's messages table, so in
//! English, Kazakh and Russian): the definition loader turns the pointer into the YAML file's
//! line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use handlebars::template::{Parameter, Template, TemplateElement};

use super::render::{LANGUAGES, PARTIALS, Part, Templates, file_name, lang_code};
use super::segments::{Encoding, segments_for};
use crate::definition::assigned::{self, Assigned};
use crate::definition::expr::Type;
use crate::definition::messages::Msg;
use crate::definition::model::{
    Definition, Kind, NotifyChannel, Recipient, RungAction, StepId, StepKind,
};
use crate::msg;
use crate::runtime::Language;

/// The SMS segment budget when a template does not declare one.
pub const DEFAULT_SEGMENTS: usize = 2;

/// Variables the runtime gives every notification and document (`runtime::machine::vars`),
/// with their longest printed length in characters (`None`: unbounded).
/// `deadline` is there once a service's term has started; `next_deadline` only before a
/// `receive` (checked separately).
pub const STANDARD: &[(&str, Option<usize>)] = &[
    // `QZ-2026-000123`: a prefix, the year, the case id; 20 leaves room for a longer
    // prefix and a seven-digit id.
    ("registration_number", Some(20)),
    ("language", Some(2)),
    ("today", Some(10)),
    ("deadline", Some(10)),
    // `dd.mm.yyyy HH:MM`, Asia/Almaty: when the acceptance step completed (the term's start).
    ("accepted_at", Some(16)),
];

/// Variables the notifier adds when the case does not hold them: the office from the
/// configuration; the time of rendering (`dd.mm.yyyy HH:MM`, Asia/Almaty); and the clerk's
/// name and position, which the engine does not know yet (accounts come later), as a blank
/// line to fill in by hand on the printed form.
pub const NOTIFIER: &[(&str, Option<usize>)] = &[
    ("office.name", None),
    ("office.address", None),
    ("office.phone", Some(20)),
    ("now", Some(16)),
    ("clerk.full_name", None),
    ("clerk.position", None),
];

/// The technical-failure request's own variables (seeds/001 items 13, 14, 17), the
/// applicant's IIN where the case has one (a scheduled case has none: the template guards it
/// with `{{#if}}`), and what the case does now (`fallback.*`: `kind` is `task`, `none` or
/// `end`; the step, its title and its role's title in the case's language, empty where there
/// is none — see `runtime::fallback`).
pub const TECHNICAL_FAILURE: &[(&str, Option<usize>)] = &[
    ("applicant.iin", Some(12)),
    ("failed_step", None),
    ("connector", None),
    ("error", None),
    ("attempts", Some(3)),
    ("support_email", Some(254)),
    ("steps", None),
    ("fallback.kind", Some(4)),
    ("fallback.step", None),
    ("fallback.title", None),
    ("fallback.role", None),
    ("fallback.role_title", None),
];

/// An escalation rung's own variables: the step (or `term`) and the share of time elapsed.
pub const ESCALATION: &[(&str, Option<usize>)] = &[("step", None), ("percent", Some(3))];

/// The change-of-rules notice's variables (seeds/004 item 20); see [`super::rules`].
pub const RULES_CHANGED: &[(&str, Option<usize>)] = &[
    ("service", None),
    ("service_title", None),
    ("version", None),
    ("effective_from", Some(10)),
    ("previous_version", None),
    ("changes", None),
    ("today", Some(10)),
    ("language", Some(2)),
];

/// The templates the engine sends by itself, whatever the definitions say.
pub const ENGINE_TEMPLATES: &[&str] = &[
    "technical_failure",
    "escalation_reminder",
    "escalation_notice",
    "escalation_reassigned",
    "rules_changed",
];

/// The longest a value of a declared type prints, in characters; `None` where no bound
/// can be assumed (free text, documents, lists), which keeps it out of an SMS.
///
/// | type | assumed | why |
/// | --- | --- | --- |
/// | iin | 12 | twelve digits |
/// | phone | 16 | `+7 700 123 45 67` |
/// | date | 10 | `2026-04-20` or, through `date`, `20.04.2026` |
/// | int | 12 | amounts in tenge below a trillion |
/// | decimal | 16 | the same with a fraction |
/// | bool | 5 | `false` |
/// | enum | its longest value | |
/// | string | 40 | a name part, a number, a short label |
///
/// The compiled [`FieldDef`](crate::definition::model::FieldDef) keeps `string` and `text`
/// as one type, so free text is bounded as a string here; once it carries the declared type
/// (or a `max_length`), `text` should be `None`.
/// | email | 254 | RFC 5321 |
pub fn max_chars(ty: &Type) -> Option<usize> {
    match ty {
        Type::Iin => Some(12),
        Type::Phone => Some(16),
        Type::Date => Some(10),
        Type::Int => Some(12),
        Type::Decimal => Some(16),
        Type::Bool => Some(5),
        Type::Enum(values) => values.iter().map(|v| v.chars().count()).max(),
        Type::String => Some(40),
        Type::Email => Some(254),
        Type::List(_) | Type::Map | Type::Any => None,
    }
}

/// One problem with a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the definition the template is named (a JSON pointer).
    pub pointer: String,
    /// The template file concerned, when there is one.
    pub file: Option<PathBuf>,
    /// The line in that file.
    pub line: Option<usize>,
    /// What is wrong, with the file and line.
    pub message: Msg,
    /// How to put it right, when there is more to say than the message does.
    pub hint: Option<Msg>,
}

impl Problem {
    /// A problem told in English only, as the checks of names, files and SMS budgets are:
    /// the message table passes their text through (`template.check`).
    fn english(pointer: &str, file: Option<PathBuf>, line: Option<usize>, text: String) -> Self {
        Problem {
            pointer: pointer.to_string(),
            file,
            line,
            message: msg!("template.check", detail = text),
            hint: None,
        }
    }
}

/// Checks every template `def` uses against the templates in `dir`.
pub fn check_templates(dir: &Path, def: &Definition) -> Vec<Problem> {
    match Templates::load(dir) {
        Ok(t) => check_definition(&t, def),
        Err(e) => vec![Problem::english(
            "",
            Some(dir.to_path_buf()),
            None,
            e.to_string(),
        )],
    }
}

/// Checks every template `def` uses against loaded templates.
pub fn check_definition(templates: &Templates, def: &Definition) -> Vec<Problem> {
    let mut c = Checker {
        templates,
        problems: Vec::new(),
    };
    let base = provided(def);
    let assigned = Assigned::of(def);
    let tracked = tracked(def);
    if let Some(term) = &def.term
        && !term.escalation.is_empty()
    {
        c.rungs(
            "/term/escalation",
            term.escalation.iter().map(|r| &r.action),
            &base,
        );
    }
    for (i, step) in def.steps.iter().enumerate() {
        let at = format!("/steps/{}", escape(&step.name));
        let paths = Paths {
            assigned: &assigned,
            tracked: &tracked,
            step: StepId(i as u16),
        };
        match &step.kind {
            StepKind::Notify {
                to,
                template,
                channels,
                credentials,
                next,
                ..
            } => {
                let mut vars = base.clone();
                if receive_ahead(def, *next) {
                    vars.insert("next_deadline".into(), Some(10));
                }
                if credentials.is_some() {
                    vars.insert("temporary_password".into(), Some(32));
                }
                let mut parts: Vec<Part> = Vec::new();
                for channel in channels {
                    match channel {
                        NotifyChannel::Sms => parts.push(Part::Sms),
                        NotifyChannel::Email => parts.extend([Part::Subject, Part::Text]),
                    }
                }
                if matches!(to, Recipient::SupportEmail) {
                    vars.insert("support_email".into(), Some(254));
                }
                c.template(&format!("{at}/notify/template"), template, &parts, &vars);
                c.unset(
                    &format!("{at}/notify/template"),
                    template,
                    &parts,
                    &vars,
                    &paths,
                );
            }
            StepKind::Document { template, next, .. } => {
                let mut vars = base.clone();
                if receive_ahead(def, *next) {
                    vars.insert("next_deadline".into(), Some(10));
                }
                c.template(
                    &format!("{at}/document/template"),
                    template,
                    &[Part::Html],
                    &vars,
                );
                c.unset(
                    &format!("{at}/document/template"),
                    template,
                    &[Part::Html],
                    &vars,
                    &paths,
                );
            }
            StepKind::Request(r) if r.escalate_to_support => {
                let mut vars = base.clone();
                vars.extend(own(TECHNICAL_FAILURE));
                c.template(
                    &format!("{at}/on_failure/escalate"),
                    "technical_failure",
                    &[Part::Subject, Part::Text],
                    &vars,
                );
            }
            StepKind::Task(task) if !task.escalation.is_empty() => {
                c.rungs(
                    &format!("{at}/task/escalation"),
                    task.escalation.iter().map(|r| &r.action),
                    &base,
                );
            }
            _ => {}
        }
    }
    c.problems
}

/// Checks the templates the engine sends by itself (see [`ENGINE_TEMPLATES`]) against the
/// variables each gets, with no definition's data: what every definition may rely on.
pub fn check_engine_templates(templates: &Templates) -> Vec<Problem> {
    let mut c = Checker {
        templates,
        problems: Vec::new(),
    };
    let mut base = own(STANDARD);
    base.insert("service_title".into(), None);
    for id in ENGINE_TEMPLATES {
        let mut vars = match *id {
            "rules_changed" => own(RULES_CHANGED),
            "technical_failure" => {
                let mut v = base.clone();
                v.extend(own(TECHNICAL_FAILURE));
                v
            }
            _ => {
                let mut v = base.clone();
                v.extend(own(ESCALATION));
                v
            }
        };
        vars.extend(own(NOTIFIER));
        c.template(
            &format!("/templates/{id}"),
            id,
            &[Part::Subject, Part::Text],
            &vars,
        );
    }
    c.problems
}

/// The variables with their bounds.
type Vars = BTreeMap<String, Option<usize>>;

/// What the one-of-paths check needs of a step: the analysis, the names it tracks (the
/// definition's data and parameters, and `deadline`), and the step.
struct Paths<'a> {
    assigned: &'a Assigned,
    tracked: &'a BTreeSet<String>,
    step: StepId,
}

/// The names whose presence depends on the path: the case's data and the parameters, and
/// `deadline` (there once the term has started). The others are always given.
fn tracked(def: &Definition) -> BTreeSet<String> {
    def.data
        .keys()
        .chain(def.parameters.keys())
        .cloned()
        .chain([assigned::DEADLINE.to_string()])
        .collect()
}

fn own(list: &[(&str, Option<usize>)]) -> Vars {
    list.iter().map(|(n, b)| (n.to_string(), *b)).collect()
}

/// What every template of `def` may cite.
fn provided(def: &Definition) -> Vars {
    let mut vars = own(STANDARD);
    vars.extend(own(NOTIFIER));
    if def.term.is_none() && def.kind == Kind::Service {
        vars.remove("deadline");
    }
    let title = [&def.title.kk, &def.title.ru]
        .iter()
        .map(|t| t.chars().count())
        .max();
    vars.insert("service_title".into(), title);
    for (name, field) in def.parameters.iter().chain(def.data.iter()) {
        vars.insert(name.clone(), max_chars(&field.ty));
    }
    vars
}

/// Whether the steps after `from` (documents and notifications) lead to a `receive`: then
/// the runtime gives `next_deadline`, the end of the citizen's window.
fn receive_ahead(def: &Definition, from: StepId) -> bool {
    let mut step = from;
    for _ in 0..4 {
        match &def.step(step).kind {
            StepKind::Receive { .. } => return true,
            StepKind::Notify { next, .. } | StepKind::Document { next, .. } => step = *next,
            _ => return false,
        }
    }
    false
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

struct Checker<'a> {
    templates: &'a Templates,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn rungs<'r>(&mut self, at: &str, actions: impl Iterator<Item = &'r RungAction>, base: &Vars) {
        let mut vars = base.clone();
        vars.extend(own(ESCALATION));
        let mut seen = Vec::new();
        for action in actions {
            let template = match action {
                RungAction::RemindAssignee => "escalation_reminder",
                RungAction::Notify(_) => "escalation_notice",
                RungAction::Reassign(_) => "escalation_reassigned",
            };
            if !seen.contains(&template) {
                seen.push(template);
                self.template(at, template, &[Part::Subject, Part::Text], &vars);
            }
        }
    }

    /// The parts of `template` a step with `parts` renders: an e-mail may carry an HTML body
    /// beside its text, checked where it exists.
    fn parts(&self, template: &str, parts: &[Part]) -> Vec<Part> {
        let mut parts = parts.to_vec();
        if parts.contains(&Part::Text)
            && LANGUAGES
                .iter()
                .any(|l| self.templates.has(template, *l, Part::Html))
        {
            parts.push(Part::Html);
        }
        parts
    }

    /// The names `template` cites that a case may reach the step without: one problem a
    /// name, at the first file and line that needs it, naming a path that leaves it unset.
    fn unset(&mut self, at: &str, template: &str, parts: &[Part], vars: &Vars, paths: &Paths) {
        if !paths.assigned.reaches(paths.step) {
            return;
        }
        let dir = self.templates.dir().join(template);
        let mut reported = BTreeSet::new();
        for lang in LANGUAGES {
            for part in self.parts(template, parts) {
                let Some(source) = self.templates.source(template, lang, part) else {
                    continue;
                };
                let Ok(compiled) = Template::compile(source) else {
                    continue;
                };
                let mut uses = Vec::new();
                collect(self.templates, lang, &compiled, &At::top(), &mut uses, 0);
                for u in uses {
                    let tracked = paths.tracked.contains(&u.name)
                        || paths
                            .tracked
                            .iter()
                            .any(|t| t.starts_with(&format!("{}.", u.name)));
                    if !u.needs_value()
                        || !tracked
                        || !is_provided(&u.name, vars)
                        || paths.assigned.is_set(paths.step, &u.name)
                        || !reported.insert(u.name.clone())
                    {
                        continue;
                    }
                    let file = dir.join(file_name(lang, part));
                    let path = paths
                        .assigned
                        .path_without(&u.name, paths.step)
                        .map(|p| assigned::describe(&p))
                        .unwrap_or_else(|| "…".into());
                    self.problems.push(Problem {
                        pointer: at.to_string(),
                        file: Some(file.clone()),
                        line: u.line,
                        message: msg!(
                            "template.unset",
                            file = format!(
                                "{}{}",
                                file.display(),
                                u.line.map(|l| format!(":{l}")).unwrap_or_default()
                            ),
                            name = u.name,
                            path = path
                        ),
                        hint: Some(if u.name == assigned::DEADLINE {
                            msg!("hint.template_deadline")
                        } else {
                            msg!("hint.template_unset", name = u.name)
                        }),
                    });
                }
            }
        }
    }

    fn template(&mut self, at: &str, template: &str, parts: &[Part], vars: &Vars) {
        let dir = self.templates.dir().join(template);
        let parts = self.parts(template, parts);
        for lang in LANGUAGES {
            for &part in &parts {
                let file = dir.join(file_name(lang, part));
                let Some(source) = self.templates.source(template, lang, part) else {
                    self.problems.push(Problem::english(
                        at,
                        Some(file.clone()),
                        None,
                        format!(
                            "template `{template}` has no {} ({}): every message exists in Kazakh and Russian",
                            file_name(lang, part),
                            file.display()
                        ),
                    ));
                    continue;
                };
                self.source(at, lang, part, &file, source, vars);
            }
        }
    }

    fn source(
        &mut self,
        at: &str,
        lang: Language,
        part: Part,
        file: &Path,
        source: &str,
        vars: &Vars,
    ) {
        let Ok(compiled) = Template::compile(source) else {
            // `Templates::load` compiled every file already.
            return;
        };
        let mut uses = Vec::new();
        collect(self.templates, lang, &compiled, &At::top(), &mut uses, 0);
        for u in uses {
            if is_provided(&u.name, vars) {
                continue;
            }
            let hint = strsim_closest(&u.name, vars.keys())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "; declare it under `data:` or remove it from the template".to_string()
                });
            self.problems.push(Problem::english(
                at,
                Some(file.to_path_buf()),
                u.line,
                format!(
                    "{}{}: `{{{{{}}}}}` is not a variable this step provides{hint}",
                    file.display(),
                    u.line.map(|l| format!(":{l}")).unwrap_or_default(),
                    u.name
                ),
            ));
        }
        if part == Part::Sms {
            let budget = declared_segments(source).unwrap_or(DEFAULT_SEGMENTS);
            match bound(self.templates, lang, &compiled, vars, 0) {
                Err(culprit) => self.problems.push(Problem::english(
                    at,
                    Some(file.to_path_buf()),
                    None,
                    format!(
                        "{}: the SMS cites `{culprit}`, whose length has no bound, so it may exceed its budget of {budget} segment(s); cite a shorter value or move it to the e-mail",
                        file.display()
                    ),
                )),
                Ok(b) => {
                    let worst = b.worst_segments();
                    if worst > budget {
                        self.problems.push(Problem::english(
                            at,
                            Some(file.to_path_buf()),
                            None,
                            format!(
                                "{}: the SMS can take {worst} segments ({} characters at worst, {}), over its budget of {budget}; shorten it or declare `{{{{!-- segments: {worst} --}}}}`",
                                file.display(),
                                if b.literal_non_gsm || b.var_non_gsm { b.units } else { b.septets },
                                if b.literal_non_gsm || b.var_non_gsm { "UCS-2: 70 a message, 67 a segment" } else { "GSM-7: 160 a message, 153 a segment" },
                            ),
                        ));
                    }
                }
            }
        }
    }
}

fn strsim_closest<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> Option<&'a String> {
    names
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// Whether a cited name is provided: exactly, or as the object that holds provided names
/// (`{{#if applicant}}`).
fn is_provided(name: &str, vars: &Vars) -> bool {
    vars.contains_key(name) || {
        let prefix = format!("{name}.");
        vars.keys().any(|k| k.starts_with(&prefix))
    }
}

/// The budget a `{{!-- segments: N --}}` comment declares.
pub fn declared_segments(source: &str) -> Option<usize> {
    let re = regex::Regex::new(r"\{\{!--[^}]*?segments:\s*(\d+)").expect("a valid pattern");
    re.captures(source).and_then(|c| c[1].parse().ok())
}

/// A variable cited, with its line and what protects it.
struct Use {
    name: String,
    line: Option<usize>,
    /// The names the enclosing blocks show present: the body of `{{#if x}}`, `{{#with x}}`
    /// and `{{#each x}}`, the `{{else}}` of `{{#unless x}}`.
    guards: Vec<String>,
    /// Cited as the very value such a block tests (`{{#if x}}`), which may be missing: the
    /// block then takes its other branch.
    soft: bool,
}

impl Use {
    /// Whether rendering fails when the name is missing.
    fn needs_value(&self) -> bool {
        !self.soft && !self.guards.contains(&self.name)
    }
}

/// Helpers with a meaning of their own (not variables).
const HELPERS: &[&str] = &[
    "if", "unless", "each", "with", "lookup", "log", "eq", "ne", "gt", "gte", "lt", "lte", "and",
    "or", "not", "len", "date",
];

/// The variable a path names, as the root context sees it; `None` for locals (`@index`),
/// `this`, and paths inside an `each`/`with` block, which name the element, not the case.
fn root_name(raw: &str, scoped: bool) -> Option<String> {
    if let Some(rest) = raw.strip_prefix("@root.") {
        return Some(rest.to_string());
    }
    if raw.starts_with('@') || raw == "this" || raw == "." {
        return None;
    }
    if scoped {
        let mut rest = raw;
        let mut up = false;
        while let Some(r) = rest.strip_prefix("../") {
            rest = r;
            up = true;
        }
        return up.then(|| rest.to_string());
    }
    Some(
        raw.strip_prefix("this.")
            .or_else(|| raw.strip_prefix("./"))
            .unwrap_or(raw)
            .to_string(),
    )
}

/// Where in a template a walk is: inside an `each`/`with` (paths name the element), under
/// which guards, on which line.
#[derive(Clone)]
struct At {
    scoped: bool,
    guards: Vec<String>,
    line: Option<usize>,
}

fn collect(
    templates: &Templates,
    lang: Language,
    t: &Template,
    at: &At,
    out: &mut Vec<Use>,
    depth: usize,
) {
    for (i, e) in t.elements.iter().enumerate() {
        let at = At {
            line: t.mapping.get(i).map(|m| m.0),
            ..at.clone()
        };
        element(templates, lang, e, &at, out, depth);
    }
}

impl At {
    /// The top of a template: the case's own names, nothing shown present yet.
    fn top() -> Self {
        At {
            scoped: false,
            guards: Vec::new(),
            line: None,
        }
    }
}

/// The root name a block helper's parameter tests, when it is a plain path.
fn tested(p: &Parameter, scoped: bool) -> Option<String> {
    match p {
        Parameter::Name(n) => root_name(n, scoped),
        Parameter::Path(path) => path_raw(path).and_then(|raw| root_name(raw, scoped)),
        _ => None,
    }
}

fn element(
    templates: &Templates,
    lang: Language,
    e: &TemplateElement,
    at: &At,
    out: &mut Vec<Use>,
    depth: usize,
) {
    let param = |p: &Parameter, soft: bool, out: &mut Vec<Use>| match p {
        Parameter::Name(_) | Parameter::Path(_) => {
            if let Some(name) = tested(p, at.scoped) {
                out.push(Use {
                    name,
                    line: at.line,
                    guards: at.guards.clone(),
                    soft,
                });
            }
        }
        Parameter::Literal(_) => {}
        Parameter::Subexpression(s) => {
            element(templates, lang, &s.element, at, out, depth);
        }
        _ => {}
    };
    match e {
        TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
            let name = ht.name.as_name().unwrap_or_default();
            if ht.params.is_empty() && ht.hash.is_empty() && !HELPERS.contains(&name) {
                param(&ht.name, false, out);
            } else {
                for p in ht.params.iter().chain(ht.hash.values()) {
                    param(p, false, out);
                }
            }
        }
        TemplateElement::HelperBlock(ht) => {
            let name = ht.name.as_name().unwrap_or_default();
            // `if`, `unless`, `with` and `each` take a missing value as false or empty; any
            // other block helper, like a helper in an expression, needs its values.
            let tests = matches!(name, "if" | "unless" | "with" | "each");
            for p in ht.params.iter().chain(ht.hash.values()) {
                param(p, tests, out);
            }
            let subject = ht
                .params
                .first()
                .filter(|_| tests)
                .and_then(|p| tested(p, at.scoped));
            let guarded = |guards: &[String]| {
                let mut g = guards.to_vec();
                g.extend(subject.clone());
                g
            };
            let inner = At {
                scoped: at.scoped || matches!(name, "each" | "with"),
                guards: if name == "unless" {
                    at.guards.clone()
                } else {
                    guarded(&at.guards)
                },
                line: at.line,
            };
            if let Some(body) = &ht.template {
                collect(templates, lang, body, &inner, out, depth);
            }
            let other = At {
                guards: if name == "unless" {
                    guarded(&at.guards)
                } else {
                    at.guards.clone()
                },
                ..at.clone()
            };
            if let Some(inverse) = &ht.inverse {
                collect(templates, lang, inverse, &other, out, depth);
            }
        }
        TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
            for p in dt.params.iter().chain(dt.hash.values()) {
                param(p, false, out);
            }
            let name = dt.name.as_name().unwrap_or_default();
            match templates.partial(lang, name) {
                Some(source) if depth < 8 => {
                    if let Ok(p) = Template::compile(source) {
                        collect(templates, lang, &p, at, out, depth + 1);
                    }
                }
                _ => out.push(Use {
                    name: format!("> {name} (no {PARTIALS}/{}.{name}.hbs)", lang_code(lang)),
                    line: at.line,
                    guards: Vec::new(),
                    soft: false,
                }),
            }
        }
        _ => {}
    }
}

fn path_raw(p: &handlebars::Path) -> Option<&str> {
    match p {
        handlebars::Path::Relative((_, raw)) => Some(raw),
        handlebars::Path::Local(_) => None,
    }
}

/// The worst case of an SMS: its length in UTF-16 units and in GSM-7 septets, and whether
/// its literal text or a variable may force UCS-2.
#[derive(Debug, Clone, Copy, Default)]
struct Bound {
    units: usize,
    septets: usize,
    literal_non_gsm: bool,
    var_non_gsm: bool,
}

impl Bound {
    fn plus(self, o: Bound) -> Bound {
        Bound {
            units: self.units + o.units,
            septets: self.septets + o.septets,
            literal_non_gsm: self.literal_non_gsm || o.literal_non_gsm,
            var_non_gsm: self.var_non_gsm || o.var_non_gsm,
        }
    }

    fn max(self, o: Bound) -> Bound {
        Bound {
            units: self.units.max(o.units),
            septets: self.septets.max(o.septets),
            literal_non_gsm: self.literal_non_gsm || o.literal_non_gsm,
            var_non_gsm: self.var_non_gsm || o.var_non_gsm,
        }
    }

    fn worst_segments(self) -> usize {
        let ucs2 = if self.literal_non_gsm || self.var_non_gsm {
            segments_for(Encoding::Ucs2, self.units)
        } else {
            0
        };
        let gsm = if self.literal_non_gsm {
            0
        } else {
            segments_for(Encoding::Gsm7, self.septets)
        };
        ucs2.max(gsm)
    }

    fn literal(s: &str) -> Bound {
        let septets: Option<usize> = s.chars().map(super::segments::gsm7_septets).sum();
        Bound {
            units: s.encode_utf16().count(),
            septets: septets.unwrap_or(0),
            literal_non_gsm: septets.is_none(),
            var_non_gsm: false,
        }
    }

    fn variable(chars: usize, may_be_cyrillic: bool) -> Bound {
        Bound {
            units: chars,
            septets: chars,
            literal_non_gsm: false,
            var_non_gsm: may_be_cyrillic,
        }
    }
}

/// Types whose values are digits and punctuation only.
fn numeric(name: &str) -> bool {
    matches!(
        name,
        "registration_number"
            | "today"
            | "deadline"
            | "next_deadline"
            | "now"
            | "accepted_at"
            | "attempts"
    )
}

fn bound(
    templates: &Templates,
    lang: Language,
    t: &Template,
    vars: &Vars,
    depth: usize,
) -> Result<Bound, String> {
    let mut total = Bound::default();
    for e in &t.elements {
        let b = match e {
            TemplateElement::RawString(s) => Bound::literal(s),
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                let name = ht.name.as_name().unwrap_or_default();
                if name == "date" {
                    Bound::variable(10, false)
                } else if ht.params.is_empty() && ht.hash.is_empty() && !HELPERS.contains(&name) {
                    let name = root_name(name, false).unwrap_or_default();
                    let chars = vars.get(&name).copied().flatten().ok_or(name.clone())?;
                    Bound::variable(chars, !numeric(&name))
                } else {
                    return Err(format!("{{{{{name} …}}}}"));
                }
            }
            TemplateElement::HelperBlock(ht) => {
                let name = ht.name.as_name().unwrap_or_default();
                if !matches!(name, "if" | "unless") {
                    return Err(format!("{{{{#{name} …}}}}"));
                }
                let yes = match &ht.template {
                    Some(inner) => bound(templates, lang, inner, vars, depth)?,
                    None => Bound::default(),
                };
                let no = match &ht.inverse {
                    Some(inner) => bound(templates, lang, inner, vars, depth)?,
                    None => Bound::default(),
                };
                yes.max(no)
            }
            TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
                let name = dt.name.as_name().unwrap_or_default();
                let source = templates
                    .partial(lang, name)
                    .filter(|_| depth < 8)
                    .ok_or_else(|| format!("> {name}"))?;
                let p = Template::compile(source).map_err(|_| format!("> {name}"))?;
                bound(templates, lang, &p, vars, depth + 1)?
            }
            _ => Bound::default(),
        };
        total = total.plus(b);
    }
    Ok(total)
}

/// The worst-case segments of an SMS template given variables' bounds: for tests and tools.
pub fn worst_case_segments(
    templates: &Templates,
    template: &str,
    lang: Language,
    bounds: &[(&str, Option<usize>)],
) -> Result<usize, String> {
    let source = templates
        .source(template, lang, Part::Sms)
        .ok_or_else(|| format!("no {}", file_name(lang, Part::Sms)))?;
    let t = Template::compile(source).map_err(|e| e.to_string())?;
    bound(templates, lang, &t, &own(bounds), 0).map(Bound::worst_segments)
}
