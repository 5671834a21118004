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
    // `true` or `false`: the application's consent to SMS (printed with `{{#if}}`).
    ("sms_consent", Some(5)),
    ("today", Some(10)),
    ("deadline", Some(10)),
    // `dd.mm.yyyy HH:MM`, Asia/Almaty: when the acceptance step completed (the term's start).
    ("accepted_at", Some(16)),
];

/// Variables the notifier adds when the case does not hold them: the office from the
/// configuration; the time of rendering (`dd.mm.yyyy HH:MM`, Asia/Almaty); and the clerk's
/// name and position, from the account that completed the case's last task (a blank line to
/// fill in by hand on the printed form when no clerk has acted yet).
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
    ("failed_step_title", None),
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
pub const ESCALATION: &[(&str, Option<usize>)] =
    &[("step", None), ("step_title", None), ("percent", Some(3))];

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
    "task_moved_away",
    "task_given",
];

/// The variables of the notices of a task a head of department moved (issue #18;
/// `api::department`): the case's number, its service and step in both languages (the
/// notice carries both), and who moved it from whom to whom — logins and staff names.
pub const STEERING: &[(&str, Option<usize>)] = &[
    ("language", Some(2)),
    ("registration_number", None),
    ("service_title", None),
    ("service_title_ru", None),
    ("step", None),
    ("step_title", None),
    ("step_title_ru", None),
    ("from", None),
    ("from_name", None),
    ("to", None),
    ("to_name", None),
    ("by", None),
    ("by_name", None),
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
/// | money | 16 | `999999999999.99`, its canonical text |
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
        Type::Money => Some(16),
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
    check_definition_all(templates, def).0
}

/// Checks every template `def` uses, as [`check_definition`] does, and also each template
/// file on its own ([`Lint`]): helpers, the `variables:` header, the registration number in
/// an SMS. The definition loader calls this one.
pub fn check_definition_all(templates: &Templates, def: &Definition) -> (Vec<Problem>, Vec<Lint>) {
    let mut c = Checker {
        templates,
        problems: Vec::new(),
        lints: Some(Vec::new()),
        types: types(def),
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
    let mut lints = c.lints.unwrap_or_default();
    lints.sort();
    lints.dedup();
    (c.problems, lints)
}

/// Checks the templates the engine sends by itself (see [`ENGINE_TEMPLATES`]) against the
/// variables each gets, with no definition's data: what every definition may rely on.
pub fn check_engine_templates(templates: &Templates) -> Vec<Problem> {
    let mut c = Checker {
        templates,
        problems: Vec::new(),
        lints: None,
        types: BTreeMap::new(),
    };
    let mut base = own(STANDARD);
    base.insert("service_title".into(), None);
    for id in ENGINE_TEMPLATES {
        let mut vars = match *id {
            "rules_changed" => own(RULES_CHANGED),
            "task_moved_away" | "task_given" => own(STEERING),
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
        .chain(signatures(def))
        .collect()
}

/// `signed.<task>.full_name` and `.position` for each task of `def`: who completed it, given on
/// the ways after it (seeds/000 appendices 2-5: a decision signed by three officials).
fn signatures(def: &Definition) -> Vec<String> {
    def.steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Task(_)))
        .flat_map(|s| assigned::signed_names(&s.name))
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
    let short = [&def.short_title.kk, &def.short_title.ru]
        .iter()
        .map(|t| t.chars().count())
        .max();
    vars.insert("service_short_title".into(), short);
    for (name, field) in def.parameters.iter().chain(def.data.iter()) {
        vars.insert(name.clone(), max_chars(&field.ty));
    }
    for name in signatures(def) {
        vars.insert(name, None);
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
    /// The problems of each file on its own, when asked for ([`check_definition_all`]).
    lints: Option<Vec<Lint>>,
    /// The type of each name whose type is known, for the helpers' arguments.
    types: BTreeMap<String, Type>,
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
                    // `accepted_at` is the term's start: there when `deadline` is.
                    let needs = if u.name == "accepted_at" {
                        assigned::DEADLINE
                    } else {
                        u.name.as_str()
                    };
                    let tracked = paths.tracked.contains(needs)
                        || paths
                            .tracked
                            .iter()
                            .any(|t| t.starts_with(&format!("{needs}.")));
                    if !u.needs_value()
                        || !tracked
                        || !is_provided(&u.name, vars)
                        || paths.assigned.is_set(paths.step, needs)
                        || !reported.insert(u.name.clone())
                    {
                        continue;
                    }
                    let file = dir.join(file_name(lang, part));
                    let path = paths
                        .assigned
                        .path_without(needs, paths.step)
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
                    self.problems.push(Problem {
                        pointer: at.to_string(),
                        file: Some(file.clone()),
                        line: None,
                        message: msg!(
                            "template.no_part",
                            template = template,
                            name = file_name(lang, part),
                            file = file.display()
                        ),
                        hint: None,
                    });
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
        self.lint(lang, part, file, source, &compiled);
        let mut uses = Vec::new();
        collect(self.templates, lang, &compiled, &At::top(), &mut uses, 0);
        for u in uses {
            if is_provided(&u.name, vars) {
                continue;
            }
            let place = format!(
                "{}{}",
                file.display(),
                u.line.map(|l| format!(":{l}")).unwrap_or_default()
            );
            let message = match strsim_closest(&u.name, vars.keys()) {
                Some(like) => msg!(
                    "template.not_provided_like",
                    file = place,
                    name = u.name,
                    like = like
                ),
                None => msg!("template.not_provided", file = place, name = u.name),
            };
            self.problems.push(Problem {
                pointer: at.to_string(),
                file: Some(file.to_path_buf()),
                line: u.line,
                message,
                hint: None,
            });
        }
        if part == Part::Sms {
            let budget = declared_segments(source).unwrap_or(DEFAULT_SEGMENTS);
            match bound(self.templates, lang, &compiled, vars, 0) {
                Err(culprit) => self.problems.push(Problem {
                    pointer: at.to_string(),
                    file: Some(file.to_path_buf()),
                    line: None,
                    message: msg!(
                        "template.sms_unbounded",
                        file = file.display(),
                        name = culprit,
                        budget = budget
                    ),
                    hint: None,
                }),
                Ok(b) => {
                    let worst = b.worst_segments();
                    if worst > budget {
                        let ucs2 = b.literal_non_gsm || b.var_non_gsm;
                        self.problems.push(Problem {
                            pointer: at.to_string(),
                            file: Some(file.to_path_buf()),
                            line: None,
                            message: msg!(
                                "template.sms_over",
                                file = file.display(),
                                worst = worst,
                                chars = if ucs2 { b.units } else { b.septets },
                                budget = budget
                            )
                            .with_msg(
                                "encoding",
                                if ucs2 {
                                    msg!("sms.ucs2")
                                } else {
                                    msg!("sms.gsm7")
                                },
                            ),
                            hint: None,
                        });
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
    "if",
    "unless",
    "each",
    "with",
    "lookup",
    "log",
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "and",
    "or",
    "not",
    "len",
    "date",
    "money",
    "money_words",
    "number",
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
                } else if name == "money" {
                    // `999 999 999 999,99 теңге`: amounts below a trillion.
                    Bound::variable(24, true)
                } else if name == "money_words" {
                    // The longest amount below a trillion, in words.
                    Bound::variable(super::words::MAX_CHARS, true)
                } else if name == "number" {
                    Bound::variable(24, false)
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

// ── Each file on its own: helpers, the `variables:` header, the registration number ─────────

/// A problem of one template file on its own, at its own line and column: an unknown
/// helper, a helper given a value of the wrong type, a `variables:` header that disagrees
/// with what the file prints (errors), an SMS without the registration number (a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// The template file.
    pub file: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: Msg,
    /// How to put it right.
    pub hint: Option<Msg>,
    /// A rule of the guide rather than a mistake: see `Severity::Warning`.
    pub warning: bool,
}

impl PartialOrd for Lint {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Lint {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.file, self.line, self.column, self.message.to_string()).cmp(&(
            &other.file,
            other.line,
            other.column,
            other.message.to_string(),
        ))
    }
}

/// The types the helpers' arguments are checked against: the definition's data and
/// parameters, and the standard variables whose type is fixed. `now` and `accepted_at` are
/// printed already (`dd.mm.yyyy HH:MM`): text, not dates.
fn types(def: &Definition) -> BTreeMap<String, Type> {
    let mut out = standard_types();
    for (name, field) in def.parameters.iter().chain(def.data.iter()) {
        out.insert(name.clone(), field.ty.clone());
    }
    out
}

/// The types of the standard variables whose type is fixed.
fn standard_types() -> BTreeMap<String, Type> {
    let mut out = BTreeMap::new();
    for name in ["today", "deadline", "next_deadline"] {
        out.insert(name.to_string(), Type::Date);
    }
    for name in ["now", "accepted_at", "registration_number"] {
        out.insert(name.to_string(), Type::String);
    }
    out
}

/// The checks of each file on its own ([`Lint`]) for every template of the folder, whether
/// a definition uses it or not, the standard variables' types alone known: what every
/// template must keep, the engine's own (`rules_changed`) too.
pub fn lint_all(templates: &Templates) -> Vec<Lint> {
    let mut c = Checker {
        templates,
        problems: Vec::new(),
        lints: Some(Vec::new()),
        types: standard_types(),
    };
    for id in crate::definition::subfolders(templates.dir()) {
        if id == PARTIALS {
            continue;
        }
        for lang in LANGUAGES {
            for part in [Part::Sms, Part::Subject, Part::Text, Part::Html] {
                let Some(source) = templates.source(&id, lang, part) else {
                    continue;
                };
                let file = templates.dir().join(&id).join(file_name(lang, part));
                if let Ok(t) = Template::compile(source) {
                    c.lint(lang, part, &file, source, &t);
                }
            }
        }
    }
    let mut lints = c.lints.unwrap_or_default();
    lints.sort();
    lints.dedup();
    lints
}

/// Whether a value of a type is one a helper takes.
type TypeTest = fn(&Type) -> bool;

/// What a formatting helper prints (a message key) and whether it takes a value of a type:
/// `{{date x}}` a date, `{{money x}}` and `{{money_words x}}` an amount of money, `{{number x}}`
/// any number.
fn helper_takes(helper: &str) -> Option<(&'static str, TypeTest)> {
    match helper {
        "date" => Some(("type.date", |t| matches!(t, Type::Date))),
        "money" => Some(("type.money", |t| matches!(t, Type::Money))),
        "money_words" => Some(("type.money_words", |t| matches!(t, Type::Money))),
        "number" => Some(("type.number", |t| {
            matches!(t, Type::Int | Type::Decimal | Type::Money)
        })),
        _ => None,
    }
}

/// The words for a type, as a message key.
fn type_words(ty: &Type) -> &'static str {
    match ty {
        Type::Date => "type.date",
        Type::Money => "type.money",
        Type::String => "type.string",
        Type::Int => "type.int",
        Type::Decimal => "type.decimal",
        Type::Bool => "type.bool",
        Type::Iin => "type.iin",
        Type::Phone => "type.phone",
        Type::Email => "type.email",
        Type::Enum(_) => "type.enum",
        Type::List(_) => "type.list",
        _ => "type.other",
    }
}

/// A name a file prints, or a helper it calls, where.
#[derive(Debug, Clone)]
struct Seen {
    name: String,
    line: usize,
    column: usize,
}

/// What one file cites itself, its partials not expanded.
#[derive(Debug, Default)]
struct Cited {
    /// The case's names it prints or tests (not the names inside `each`/`with`).
    names: Vec<Seen>,
    /// The helpers it calls.
    helpers: Vec<Seen>,
    /// A formatting helper's argument: the helper and the name given to it.
    typed: Vec<(Seen, String)>,
    /// The partials it includes.
    partials: Vec<String>,
}

impl Cited {
    fn of(t: &Template) -> Cited {
        let mut out = Cited::default();
        out.walk(t, false, (1, 1));
        out
    }

    fn walk(&mut self, t: &Template, scoped: bool, at: (usize, usize)) {
        for (i, e) in t.elements.iter().enumerate() {
            let at = t.mapping.get(i).map_or(at, |m| (m.0, m.1));
            self.element(e, scoped, at);
        }
    }

    fn seen(name: &str, at: (usize, usize)) -> Seen {
        Seen {
            name: name.to_string(),
            line: at.0,
            column: at.1,
        }
    }

    fn param(&mut self, p: &Parameter, scoped: bool, at: (usize, usize)) {
        match p {
            Parameter::Name(_) | Parameter::Path(_) => {
                if let Some(name) = tested(p, scoped) {
                    self.names.push(Self::seen(&name, at));
                }
            }
            Parameter::Subexpression(s) => self.element(&s.element, scoped, at),
            _ => {}
        }
    }

    fn call(
        &mut self,
        ht: &handlebars::template::HelperTemplate,
        scoped: bool,
        at: (usize, usize),
    ) {
        let name = ht.name.as_name().unwrap_or_default();
        self.helpers.push(Self::seen(name, at));
        if helper_takes(name).is_some()
            && let Some(arg) = ht.params.first().and_then(|p| tested(p, scoped))
        {
            self.typed.push((Self::seen(name, at), arg));
        }
        for p in ht.params.iter().chain(ht.hash.values()) {
            self.param(p, scoped, at);
        }
    }

    fn element(&mut self, e: &TemplateElement, scoped: bool, at: (usize, usize)) {
        match e {
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                let name = ht.name.as_name().unwrap_or_default();
                if ht.params.is_empty() && ht.hash.is_empty() && !HELPERS.contains(&name) {
                    self.param(&ht.name, scoped, at);
                } else {
                    self.call(ht, scoped, at);
                }
            }
            TemplateElement::HelperBlock(ht) => {
                let name = ht.name.as_name().unwrap_or_default();
                self.call(ht, scoped, at);
                let inner = scoped || matches!(name, "each" | "with");
                if let Some(body) = &ht.template {
                    self.walk(body, inner, at);
                }
                if let Some(inverse) = &ht.inverse {
                    self.walk(inverse, scoped, at);
                }
            }
            TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
                self.partials
                    .push(dt.name.as_name().unwrap_or_default().to_string());
                for p in dt.params.iter().chain(dt.hash.values()) {
                    self.param(p, scoped, at);
                }
                if let Some(body) = &dt.template {
                    self.walk(body, scoped, at);
                }
            }
            _ => {}
        }
    }
}

/// The names the partials a file includes print, partials of partials too.
fn partial_names(
    templates: &Templates,
    lang: Language,
    cited: &Cited,
    depth: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    if depth >= 8 {
        return out;
    }
    for name in &cited.partials {
        if let Some(t) = templates
            .partial(lang, name)
            .and_then(|s| Template::compile(s).ok())
        {
            let inner = Cited::of(&t);
            out.extend(inner.names.iter().map(|s| s.name.clone()));
            out.extend(partial_names(templates, lang, &inner, depth + 1));
        }
    }
    out
}

/// The `{{!-- variables: a, b --}}` header: each name listed with its byte offset, and the
/// offset of the comment. The first comment that says `variables:` is the header.
fn header(source: &str) -> Option<(usize, Vec<(String, usize)>)> {
    let mut at = 0;
    while let Some(found) = source[at..].find("{{") {
        let start = at + found;
        let rest = &source[start..];
        let body = rest
            .strip_prefix("{{~")
            .unwrap_or(&rest[2..])
            .strip_prefix('!')?;
        let body_offset = start + (rest.len() - body.len());
        let end = body.find("}}").unwrap_or(body.len());
        let comment = body[..end]
            .trim_end_matches('~')
            .trim_end_matches("--")
            .trim_end_matches('~');
        if let Some(i) = comment.find("variables:") {
            let list_offset = body_offset + i + "variables:".len();
            let mut names = Vec::new();
            let mut offset = list_offset;
            for item in comment[i + "variables:".len()..].split(',') {
                let trimmed = item.trim();
                if !trimmed.is_empty() {
                    let lead = item.len() - item.trim_start().len();
                    names.push((trimmed.to_string(), offset + lead));
                }
                offset += item.len() + 1;
            }
            return Some((start, names));
        }
        // Only comments are looked at: the header comes before the text.
        at = body_offset + end;
    }
    None
}

/// Whether a listed name and a printed one are the same value: equal, or one holds the
/// other (`{{#if applicant}}` beside `applicant.full_name`).
fn covers(listed: &str, printed: &str) -> bool {
    listed == printed
        || printed.starts_with(&format!("{listed}."))
        || listed.starts_with(&format!("{printed}."))
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

impl Checker<'_> {
    /// The checks of one file on its own (see [`Lint`]), when they are asked for.
    fn lint(&mut self, lang: Language, part: Part, file: &Path, source: &str, t: &Template) {
        let Some(lints) = self.lints.as_mut() else {
            return;
        };
        // The one syntax mistake that compiles: a `{{!--` comment never closed.
        if let Some(p) = super::syntax::check_source(file, source) {
            lints.push(Lint {
                file: file.to_path_buf(),
                line: p.line,
                column: p.column,
                message: p.message,
                hint: p.hint,
                warning: false,
            });
        }
        let cited = Cited::of(t);
        let through_partials = partial_names(self.templates, lang, &cited, 0);
        let mut push = |line: usize, column: usize, message: Msg, hint: Option<Msg>, warning| {
            lints.push(Lint {
                file: file.to_path_buf(),
                line,
                column,
                message,
                hint,
                warning,
            })
        };
        for h in &cited.helpers {
            if !HELPERS.contains(&h.name.as_str()) {
                let hint = match crate::diagnostic::did_you_mean(&h.name, HELPERS.iter().copied()) {
                    Some(like) => msg!("hint.did_you_mean", name = like),
                    None => msg!("hint.helpers", names = HELPERS.join(", ")),
                };
                push(
                    h.line,
                    h.column,
                    msg!("hbs.unknown_helper", name = h.name),
                    Some(hint),
                    false,
                );
            }
        }
        for (helper, arg) in &cited.typed {
            let (Some((expected, takes)), Some(ty)) =
                (helper_takes(&helper.name), self.types.get(arg))
            else {
                continue;
            };
            if matches!(ty, Type::Any) || takes(ty) {
                continue;
            }
            let actual = type_words(ty);
            push(
                helper.line,
                helper.column,
                msg!("hbs.helper_type", helper = helper.name, name = arg)
                    .with_msg("expected", msg_key(expected))
                    .with_msg("actual", msg_key(actual)),
                Some(msg!("hint.helper_type", name = arg).with_msg("actual", msg_key(actual))),
                false,
            );
        }
        if let Some((at, listed)) = header(source) {
            let (header_line, _) = line_column(source, at);
            let mut reported = BTreeSet::new();
            for seen in &cited.names {
                if !listed.iter().any(|(l, _)| covers(l, &seen.name))
                    && reported.insert(seen.name.clone())
                {
                    push(
                        seen.line,
                        seen.column,
                        msg!("hbs.unlisted", name = seen.name, line = header_line),
                        Some(msg!("hint.unlisted", name = seen.name)),
                        false,
                    );
                }
            }
            for (name, offset) in &listed {
                let printed = cited
                    .names
                    .iter()
                    .map(|s| &s.name)
                    .chain(through_partials.iter())
                    .any(|p| covers(name, p));
                if !printed {
                    let (line, column) = line_column(source, *offset);
                    push(
                        line,
                        column,
                        msg!("hbs.unused", name = name),
                        Some(msg!("hint.unused")),
                        false,
                    );
                }
            }
        }
        if part == Part::Sms {
            let carries = cited
                .names
                .iter()
                .map(|s| &s.name)
                .chain(through_partials.iter())
                .any(|n| n == "registration_number");
            if !carries {
                push(
                    1,
                    1,
                    msg!("sms.no_registration_number"),
                    Some(msg!("hint.sms_registration_number")),
                    true,
                );
            }
        }
    }
}

/// A message of a key chosen at run time, with no placeholders.
fn msg_key(key: &'static str) -> Msg {
    Msg {
        key,
        args: Vec::new(),
        lists: Vec::new(),
    }
}
