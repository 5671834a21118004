//! Workflow definitions: the YAML format, its loading and checking, and the compiled form.
//!
//! Loading goes in two phases, the way a methodologist's mistakes are best reported:
//!
//! 1. **Shape.** The file is parsed with positions kept ([`crate::yaml`]) and checked
//!    against the JSON Schema generated from [`raw`] — every unknown field, missing field
//!    and wrong type at once — then read into the [`raw`] structs.
//! 2. **Meaning.** [`validate`] resolves every name (steps, roles, connectors, templates,
//!    calendars, sub-workflows), type-checks every expression ([`expr`]), checks the graph
//!    (reachability, a way to an end, forks and joins) and the statutory term ([`term`]),
//!    and produces the compiled [`model::Definition`].
//!
//! Then the versions of each service are checked side by side: no two in force on one day,
//! no day between them with none.
//!
//! **Architecture Invariant:** the runtime only ever sees [`model`]; nothing outside this
//! module reads [`raw`].

pub mod assigned;
pub mod catalog;
pub mod expr;
pub mod graph;
pub mod messages;
pub mod model;
pub mod raw;
pub mod schema;
pub mod service_cases;
mod term;
mod texts;
pub mod timeline;
pub mod validate;
pub mod waves;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::msg;
use crate::yaml::{self, Document};
use messages::Lang;
pub use model::{Definition, Kind, Step, StepId, StepKind};
use validate::{Context, Problems};

/// The name of the catalog file at the root of the workflows folder.
pub const CATALOG_FILE: &str = "catalog.yaml";
/// The folder, under the workflows root, of the sub-workflows services share.
pub const SHARED_DIR: &str = "_shared";

/// Where to find what definitions refer to. Unset paths are found next to the catalog.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The catalog file; by default `catalog.yaml` in the nearest folder above the paths.
    pub catalog: Option<PathBuf>,
    /// The templates folder; by default `templates/` beside the workflows folder.
    pub templates: Option<PathBuf>,
    /// The calendars folder; by default `calendars/` beside the workflows folder.
    pub calendars: Option<PathBuf>,
    /// The language of the messages.
    pub lang: Lang,
}

/// Every definition that loaded without problems.
#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Services and sub-workflows, all versions.
    pub definitions: Vec<Definition>,
    /// Which roles' open tasks each role steers, from the catalog they were checked against.
    pub supervision: catalog::Supervision,
}

impl Library {
    /// The sub-workflows, by id, as the runtime, the diagrams and the timeline take them.
    pub fn subworkflows(&self) -> IndexMap<String, Definition> {
        self.definitions
            .iter()
            .filter(|d| d.kind == Kind::Subworkflow)
            .map(|d| (d.id.clone(), d.clone()))
            .collect()
    }

    /// The version of `service` in force for a case accepted on `date`.
    pub fn in_force(&self, service: &str, date: NaiveDate) -> Option<&Definition> {
        self.definitions
            .iter()
            .find(|d| d.kind == Kind::Service && d.id == service && d.in_force_on(date))
    }

    /// A sub-workflow by id.
    pub fn subworkflow(&self, id: &str) -> Option<&Definition> {
        self.definitions
            .iter()
            .find(|d| d.kind == Kind::Subworkflow && d.id == id)
    }
}

/// What loading found: the definitions that passed, and every problem, in file order.
#[derive(Debug, Default)]
pub struct Report {
    /// The definitions without problems.
    pub library: Library,
    /// Every problem found: the errors, which keep a definition from loading.
    pub diagnostics: Vec<Diagnostic>,
    /// What breaks the guide's "always" rules (a step without a title or a source, an SMS
    /// without the registration number): the definitions load all the same; `validate` and
    /// `test` fail on them only with `--deny-warnings`. Apart from `diagnostics`, so that
    /// everything that loads definitions (the service, a deployment) is not stopped by them.
    pub warnings: Vec<Diagnostic>,
    /// How many workflow files were read.
    pub files: usize,
    /// The services whose only problems are term overruns, compiled all the same: they
    /// never run a case, but a dry run lays their dates out so the overrun can be seen.
    pub drafts: Vec<Definition>,
}

/// A file that passed the shape check, on its way to compilation.
struct Parsed {
    doc: Document,
    raw: raw::Workflow,
    /// Whether the user asked for this file (as opposed to a shared one loaded for it).
    requested: bool,
}

/// Loads and checks every workflow file under `paths` (files or folders).
pub fn load(paths: &[PathBuf], options: &Options) -> Report {
    load_inner(paths, options, None)
}

/// Loads and checks the workflows folder `root` as [`load`] does, as it would be with `text`
/// written to `file` (a path under `root`; it need not exist, and if it does, `text` stands
/// in for what it holds). This is what a deployment checks before it writes the file: what
/// it accepts, the next start loads. Problems in `text` are reported at `file`.
pub fn load_with(root: &Path, file: &Path, text: &str, options: &Options) -> Report {
    load_inner(
        std::slice::from_ref(&root.to_path_buf()),
        options,
        Some((file, text)),
    )
}

fn load_inner(paths: &[PathBuf], options: &Options, extra: Option<(&Path, &str)>) -> Report {
    let mut report = Report::default();
    let Some(catalog_file) = options
        .catalog
        .clone()
        .or_else(|| paths.first().and_then(|p| find_catalog(p)))
    else {
        let at = paths.first().cloned().unwrap_or_default();
        let folder = if at.is_dir() {
            at.clone()
        } else {
            at.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let expected = folder.join(CATALOG_FILE);
        report.diagnostics.push(Diagnostic::new(
            &at,
            1,
            1,
            msg!("catalog.missing", path = expected.display()).render(options.lang),
        ));
        return report;
    };
    let root = catalog_file
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    let base = std::path::absolute(&root)
        .ok()
        .and_then(|r| r.parent().map(relative_to_cwd))
        .unwrap_or_else(|| root.join(".."));
    let templates = without_dot(
        &options
            .templates
            .clone()
            .unwrap_or_else(|| base.join("templates")),
    );
    let calendar_dir = options
        .calendars
        .clone()
        .unwrap_or_else(|| base.join("calendars"));
    let calendars = subfolders(&calendar_dir);

    let catalog = match load_catalog(&catalog_file, options.lang) {
        Ok(c) => c,
        Err(diags) => {
            report.diagnostics = diags;
            return report;
        }
    };

    // The files asked for, and the shared sub-workflows they may call.
    let mut files: BTreeMap<PathBuf, bool> = BTreeMap::new();
    for path in paths {
        for file in workflow_files(path) {
            files.insert(file, true);
        }
    }
    if let Some((file, _)) = extra {
        files.insert(file.to_path_buf(), true);
    }
    for file in workflow_files(&root.join(SHARED_DIR)) {
        files.entry(file).or_insert(false);
    }

    let mut parsed = Vec::new();
    for (file, requested) in files {
        if requested {
            report.files += 1;
        }
        let text = extra.filter(|(f, _)| *f == file).map(|(_, t)| t);
        match parse_file(&file, text, options.lang) {
            Ok(p) => {
                if requested {
                    let warnings = render(&p.doc, validate::warnings(&p.raw), options.lang);
                    report
                        .warnings
                        .extend(warnings.into_iter().map(Diagnostic::as_warning));
                }
                parsed.push(Parsed { requested, ..p })
            }
            Err(diags) => report.diagnostics.extend(diags),
        }
    }

    // The templates' variables and SMS budgets are checked against each step (issue #5: "at
    // definition load … otherwise a validation error with file:line"). A folder that does
    // not load is reported once; the missing-folder case is the validator's own message.
    // A template that does not compile is reported at its own file, line and column, in
    // plain words (`notify::syntax`); the folder's error is left only for what that does not
    // explain (a file that cannot be read).
    let loaded_templates = if templates.is_dir() {
        match crate::notify::Templates::load(&templates) {
            Ok(t) => Some(t),
            Err(e) => {
                let syntax = crate::notify::syntax::check_dir(&templates);
                if syntax.is_empty() {
                    report
                        .diagnostics
                        .push(Diagnostic::new(&templates, 1, 1, e.to_string()));
                }
                report.diagnostics.extend(syntax.into_iter().map(|p| {
                    let d =
                        Diagnostic::new(&p.file, p.line, p.column, p.message.render(options.lang));
                    match p.hint {
                        Some(h) => d.with_hint(h.render(options.lang)),
                        None => d,
                    }
                }));
                None
            }
        }
    } else {
        None
    };
    let context = Context {
        catalog: &catalog,
        catalog_file: &catalog_file,
        calendars: &calendars,
        templates: &templates,
    };
    let mut subworkflows: IndexMap<String, Definition> = IndexMap::new();
    let (subs, services): (Vec<&Parsed>, Vec<&Parsed>) =
        parsed.iter().partition(|p| p.raw.subworkflow.is_some());
    // Sub-workflows first, each after those it calls.
    let mut pending: Vec<&Parsed> = subs;
    while !pending.is_empty() {
        let ready: Vec<usize> = pending
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.raw
                    .steps
                    .values()
                    .filter_map(|s| s.call.as_ref())
                    .all(|c| {
                        subworkflows.contains_key(&c.workflow)
                            || !pending
                                .iter()
                                .any(|q| q.raw.subworkflow.as_deref() == Some(c.workflow.as_str()))
                            || p.raw.subworkflow.as_deref() == Some(c.workflow.as_str())
                    })
            })
            .map(|(i, _)| i)
            .collect();
        // A cycle of calls: compile the rest anyway, which reports the unknown calls.
        let batch: Vec<usize> = if ready.is_empty() {
            (0..pending.len()).collect()
        } else {
            ready
        };
        let mut compiled = Vec::new();
        for &i in &batch {
            let p = pending[i];
            let (def, problems) = validate::compile(p.doc.file(), &p.raw, &context, &subworkflows);
            report
                .diagnostics
                .extend(render(&p.doc, problems, options.lang));
            if let Some(def) = def {
                let (errors, warnings) =
                    template_problems(loaded_templates.as_ref(), &p.doc, &def, options.lang);
                report.diagnostics.extend(errors);
                report.warnings.extend(warnings);
                compiled.push(def);
            }
        }
        for def in compiled {
            subworkflows.insert(def.id.clone(), def);
        }
        let mut i = 0;
        pending.retain(|_| {
            let keep = !batch.contains(&i);
            i += 1;
            keep
        });
    }

    let mut defs: Vec<(Definition, &Document)> = Vec::new();
    for p in services {
        let (def, draft, problems) =
            validate::compile_draft(p.doc.file(), &p.raw, &context, &subworkflows);
        report
            .diagnostics
            .extend(render(&p.doc, problems, options.lang));
        if let Some(draft) = draft
            && p.requested
        {
            report.drafts.push(draft);
        }
        if let Some(def) = def
            && p.requested
        {
            let (errors, warnings) =
                template_problems(loaded_templates.as_ref(), &p.doc, &def, options.lang);
            report.diagnostics.extend(errors);
            report.warnings.extend(warnings);
            defs.push((def, &p.doc));
        }
    }
    report
        .diagnostics
        .extend(check_versions(&defs, options.lang));
    // A `wave` and a `qyzmet.service_cases` request name another service: checked against
    // every service known, its folder read when it was not asked for.
    let extra_services: Vec<Parsed> =
        other_services(&root, parsed.iter().filter(|p| p.requested).map(|p| &p.raw))
            .iter()
            .flat_map(|dir| workflow_files(dir))
            .filter_map(|file| parse_file(&file, None, options.lang).ok())
            .collect();
    let known: Vec<&raw::Workflow> = parsed
        .iter()
        .chain(extra_services.iter())
        .map(|p| &p.raw)
        .collect();
    for p in parsed.iter().filter(|p| p.requested) {
        let mut problems = waves::check(&p.raw, &known, &root);
        problems
            .0
            .extend(service_cases::check(&p.raw, &known, &root).0);
        report
            .diagnostics
            .extend(render(&p.doc, problems, options.lang));
    }

    report.library.definitions = defs.into_iter().map(|(d, _)| d).collect();
    report.library.supervision = catalog.supervision();
    close_open_ended(&mut report.library.definitions);
    report
        .library
        .definitions
        .extend(subworkflows.into_values());
    report.diagnostics.sort();
    report.diagnostics.dedup();
    report.warnings.sort();
    report.warnings.dedup();
    report
}

/// The folders under `root` of the services that `workflows` name in a `wave` step or a
/// `qyzmet.service_cases` request and that are not among them (a service's folder is its id).
fn other_services<'a>(
    root: &Path,
    workflows: impl Iterator<Item = &'a raw::Workflow>,
) -> Vec<PathBuf> {
    let all: Vec<&raw::Workflow> = workflows.collect();
    let mut out = Vec::new();
    for w in &all {
        for service in waves::named(w).into_iter().chain(service_cases::named(w)) {
            let known = all
                .iter()
                .any(|s| s.service.as_deref() == Some(service.as_str()));
            let dir = root.join(&service);
            if !known && dir.is_dir() && !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

/// `./templates` → `templates`: the paths in messages as a person would type them.
fn without_dot(path: &Path) -> PathBuf {
    let rest: PathBuf = path
        .components()
        .skip_while(|c| matches!(c, std::path::Component::CurDir))
        .collect();
    if rest.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        rest
    }
}

/// Gives a version without `effective_until` the day before its service's next version
/// starts: a new order ends the old rules when the new ones take effect (seeds/004 item 4
/// names the day the new order applies from; cases already running keep their version).
fn close_open_ended(definitions: &mut [Definition]) {
    let mut starts: BTreeMap<(String, NaiveDate), ()> = BTreeMap::new();
    for d in definitions.iter() {
        starts.insert((d.id.clone(), d.effective_from), ());
    }
    for d in definitions.iter_mut() {
        if d.effective_until.is_some() {
            continue;
        }
        let next = starts
            .range((d.id.clone(), d.effective_from)..)
            .map(|((id, from), _)| (id, *from))
            .find(|(id, from)| *id == &d.id && *from > d.effective_from);
        if let Some((_, from)) = next {
            d.effective_until = from.pred_opt();
        }
    }
}

/// The notifier's checks of the templates a definition uses: the errors and the warnings.
/// What depends on the step (the variables it provides, the paths to it) is placed where
/// the definition names the template, the message naming the template file and line; what
/// is wrong with a file on its own (a helper, the `variables:` header, an SMS without the
/// registration number) is placed in that file, at its line and column.
fn template_problems(
    templates: Option<&crate::notify::Templates>,
    doc: &Document,
    def: &Definition,
    lang: Lang,
) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let Some(templates) = templates else {
        return (Vec::new(), Vec::new());
    };
    let (problems, lints) = crate::notify::check::check_definition_all(templates, def);
    let mut errors: Vec<Diagnostic> = problems
        .into_iter()
        .map(|p| {
            let d = doc.value_diagnostic(&p.pointer, p.message.render(lang));
            match p.hint {
                Some(h) => d.with_hint(h.render(lang)),
                None => d,
            }
        })
        .collect();
    let mut warnings = Vec::new();
    for lint in lints {
        let d = Diagnostic::new(
            &lint.file,
            lint.line,
            lint.column,
            lint.message.render(lang),
        );
        let d = match lint.hint {
            Some(h) => d.with_hint(h.render(lang)),
            None => d,
        };
        if lint.warning {
            warnings.push(d.as_warning());
        } else {
            errors.push(d);
        }
    }
    (errors, warnings)
}

/// Parses one file (or `text` given for it) and checks its shape.
fn parse_file(file: &Path, text: Option<&str>, lang: Lang) -> Result<Parsed, Vec<Diagnostic>> {
    let doc = match text {
        Some(text) => yaml::parse_in(file, text, lang)?,
        None => yaml::read_in(file, lang)?,
    };
    let problems = check_shape(&doc, schema::workflow());
    if !problems.0.is_empty() {
        return Err(render(&doc, problems, lang));
    }
    let raw = doc.deserialize::<raw::Workflow>().map_err(|d| vec![d])?;
    Ok(Parsed {
        doc,
        raw,
        requested: true,
    })
}

/// Reads `catalog.yaml`.
pub fn load_catalog(file: &Path, lang: Lang) -> Result<catalog::Catalog, Vec<Diagnostic>> {
    let doc = yaml::read_in(file, lang)?;
    let problems = check_shape(&doc, schema::catalog());
    if !problems.0.is_empty() {
        return Err(render(&doc, problems, lang));
    }
    let catalog: catalog::Catalog = doc.deserialize().map_err(|d| vec![d])?;
    // A role's `supervises` names roles of this same catalog, each at its own place.
    let mut problems = Problems::default();
    let names: Vec<&str> = catalog.roles.keys().map(String::as_str).collect();
    for (pointer, name) in catalog.unknown_supervised() {
        problems
            .at_value(pointer, msg!("task.unknown_role", role = name))
            .suggest(name, names.iter().copied());
    }
    if !problems.0.is_empty() {
        return Err(render(&doc, problems, lang));
    }
    Ok(catalog)
}

/// The shape check: first every text that lacks a language ([`texts`]), then the rest of
/// the shape, on the document with those texts completed so nothing is said twice.
fn check_shape(doc: &Document, schema: &'static serde_json::Value) -> Problems {
    let mut problems = Problems::default();
    match texts::check(schema, doc.value(), &mut problems) {
        Some(completed) => schema::check_shape(&doc.with_value(completed), schema, &mut problems),
        None => schema::check_shape(doc, schema, &mut problems),
    }
    problems
}

/// The kinds of value the shape check names in English (`schema::describe_type`), in
/// `lang`: "a whole number" → "бүтін сан". Anything else stays as it is.
fn kinds_in(expected: &str, lang: Lang) -> String {
    const KINDS: [(&str, &str); 6] = [
        ("a mapping (key: value)", "schema.type.object"),
        ("a list", "schema.type.array"),
        ("text", "schema.type.string"),
        ("a whole number", "schema.type.integer"),
        ("a number", "schema.type.number"),
        ("true or false", "schema.type.boolean"),
    ];
    let words: Option<Vec<&str>> = expected
        .split(" or ")
        .map(|kind| {
            KINDS
                .iter()
                .find(|(en, _)| *en == kind)
                .map(|(_, key)| messages::text(key, lang))
        })
        .collect();
    let Some(mut words) = words.filter(|w| !w.is_empty()) else {
        return expected.to_string();
    };
    let mut out = words.remove(0).to_string();
    for word in words {
        out = messages::text("schema.type.or", lang)
            .replace("{a}", &out)
            .replace("{b}", word);
    }
    out
}

/// Turns problems into positioned diagnostics in `lang`.
fn render(doc: &Document, problems: Problems, lang: Lang) -> Vec<Diagnostic> {
    problems
        .0
        .into_iter()
        .map(|mut p| {
            if p.msg.key == "schema.wrong_type" {
                for (name, value) in p.msg.args.iter_mut() {
                    if *name == "expected" {
                        *value = kinds_in(value, lang);
                    }
                }
            }
            let d = if let Some(offset) = p.offset {
                let pos = doc.position_in_scalar(&p.pointer, offset);
                Diagnostic::new(doc.file(), pos.line, pos.column, p.msg.render(lang))
            } else if p.at_value {
                doc.value_diagnostic(&p.pointer, p.msg.render(lang))
            } else {
                doc.diagnostic(&p.pointer, p.msg.render(lang))
            };
            match p.hint {
                Some(h) => d.with_hint(h.render(lang)),
                None => d,
            }
        })
        .collect()
}

/// No two versions of a service in force on one day, and no day without one between them.
fn check_versions(defs: &[(Definition, &Document)], lang: Lang) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut by_service: BTreeMap<&str, Vec<&(Definition, &Document)>> = BTreeMap::new();
    for entry in defs {
        by_service
            .entry(entry.0.id.as_str())
            .or_default()
            .push(entry);
    }
    for (service, mut versions) in by_service {
        versions.sort_by_key(|(d, _)| (d.effective_from, d.version.clone()));
        for pair in versions.windows(2) {
            let ((a, _), (b, b_doc)) = (pair[0], pair[1]);
            if a.version == b.version {
                out.push(
                    b_doc.value_diagnostic(
                        "/version",
                        msg!(
                            "version.duplicate",
                            version = b.version,
                            service = service,
                            other = a.file.display()
                        )
                        .render(lang),
                    ),
                );
                continue;
            }
            let day_before = b.effective_from.pred_opt().unwrap_or(b.effective_from);
            match a.effective_until {
                // An order that replaces the rules rarely says when the old ones end: the
                // next version's first day ends an open-ended one (see `close_open_ended`),
                // so the deployed file of the running version is never edited.
                None => {}
                Some(until) if until >= b.effective_from => out.push(
                    b_doc
                        .value_diagnostic(
                            "/effective_from",
                            msg!(
                                "version.overlap",
                                a = a.version,
                                b = b.version,
                                service = service,
                                date = b.effective_from
                            )
                            .render(lang),
                        )
                        .with_hint(
                            msg!("hint.overlap", until = day_before, a = a.version).render(lang),
                        ),
                ),
                Some(until) if until < day_before => {
                    let gap_from = until.succ_opt().unwrap_or(until);
                    out.push(
                        b_doc
                            .value_diagnostic(
                                "/effective_from",
                                msg!(
                                    "version.gap",
                                    service = service,
                                    from = gap_from,
                                    to = day_before
                                )
                                .render(lang),
                            )
                            .with_hint(
                                msg!(
                                    "hint.gap",
                                    a = a.version,
                                    b = b.version,
                                    date = gap_from,
                                    until = day_before
                                )
                                .render(lang),
                            ),
                    )
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// The nearest `catalog.yaml` in `path` or a folder above it.
pub fn find_catalog(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut dir = if absolute.is_dir() {
        Some(absolute.as_path())
    } else {
        absolute.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(CATALOG_FILE);
        if candidate.is_file() {
            return Some(relative_to_cwd(&candidate));
        }
        dir = d.parent();
    }
    None
}

/// `path` relative to the working folder when it is inside it, for shorter messages.
fn relative_to_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p
            }
        })
        .unwrap_or_else(|| path.to_path_buf())
}

/// The workflow files under `path`: itself if a file; otherwise every `.yaml`/`.yml` below
/// it, except the catalog and scenario folders. Sorted, so messages come in a stable order.
pub fn workflow_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if name != "scenarios" {
                    stack.push(p);
                }
            } else if (name.ends_with(".yaml") || name.ends_with(".yml")) && name != CATALOG_FILE {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The names of the folders in `dir`, sorted: calendar ids, template ids.
pub(crate) fn subfolders(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}
