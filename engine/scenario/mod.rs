//! Scenarios: scripts of events and expectations that methodologists write beside each
//! workflow (`workflows/<service>/scenarios/*.yaml`), run against the pure runtime core.
//!
//! A scenario opens a case, then completes tasks, answers or fails gateway requests,
//! sends messages and moves the clock, checking between steps what the case waits for,
//! what it has sent and what it holds. It may open several cases (each `submit` opens one
//! and makes it current; `case:` turns back to another) and send a life event's message to
//! all of them at once (`broadcast:`, as the server's mass event does). The runner is an
//! in-memory world around [`crate::runtime`]: it keeps each case's open tasks, pending
//! requests and timers the effects ask for, "performs" every notification, document and
//! stage report at once by recording it, and moves one injected clock for every case — so
//! weeks of working days pass in milliseconds, with no database, no network and no real
//! time.
//!
//! Every notification and document is also rendered as the notifier would send it
//! ([`crate::notify::preview`]: the same templates, the same enrichment, in the case's
//! language, the clerk named by the scenario's `staff:`), so a template that does not render
//! fails the scenario at the step that led to it, `expect: { rendered: … }` checks the words a
//! reader sees, and [`run_to`] writes them as files (`qyzmet simulate --render DIR`).
//!
//! Loading is two-phase, like the definitions': the file is read with positions and
//! deserialised into [`raw`] structs (shape: unknown keys, wrong types), then compiled
//! against the definition in force (meaning: steps, outcomes, connectors, templates, data
//! names, IINs) with every problem reported at once. Running stops at the first
//! expectation that does not hold and names its `file:line:column`, what was expected and
//! what was found.
//!
//! **Architecture Invariant:** the runner drives the runtime only through
//! [`crate::runtime::start`] and [`crate::runtime::apply`] and learns what happened only
//! from the transitions they return, as the shell does; it never changes a case's state.

mod compile;
mod expect;
mod files;
pub mod raw;
mod words;
mod world;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use indexmap::IndexMap;

use crate::calendar::{self, Calendar};
use crate::definition::messages::Lang;
use crate::definition::{self, Definition, Library, catalog::Catalog};
use crate::diagnostic::Diagnostic;
use crate::notify::Templates;
use crate::notify::config::{EmailTransport, NotifyConfig, Office, StaffAddresses};
use crate::runtime::Settings;
use crate::yaml::{self, Document};
use lettre::message::Mailbox;

/// Why a scenario could not be run at all (as opposed to running and failing).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file has mistakes, each with its position.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
    /// The path is not inside a workflows folder (no `catalog.yaml` above it).
    #[error(
        "no {} in {} or a folder above it: scenarios live under a workflows folder",
        definition::CATALOG_FILE,
        .0.display()
    )]
    NoWorkflows(PathBuf),
    /// A calendar the definitions use could not be loaded.
    #[error("calendar `{id}`: {source}")]
    Calendar {
        /// The calendar id.
        id: String,
        /// What went wrong.
        #[source]
        source: calendar::Error,
    },
}

impl Error {
    /// The error in `lang`: what the command line prints.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Error::Invalid(diagnostics) => diagnostics
                .iter()
                .map(|d| d.display_in(lang))
                .collect::<Vec<_>>()
                .join("\n"),
            Error::NoWorkflows(path) => crate::msg!(
                "scenario.no_workflows",
                catalog = definition::CATALOG_FILE,
                path = path.display()
            )
            .render(lang),
            Error::Calendar { id, source } => {
                crate::msg!("scenario.calendar", calendar = id, error = source).render(lang)
            }
        }
    }
}

/// What scenarios run against: the definitions, their catalog and calendars, the settings.
pub struct Setup {
    /// The definitions that loaded without problems.
    pub library: Library,
    /// Every problem found in the definitions; a run that finds any must fail.
    pub diagnostics: Vec<Diagnostic>,
    /// The sub-workflows, by id, as the runtime takes them.
    subworkflows: IndexMap<String, Definition>,
    /// The catalog, to check connector answers against their contracts.
    catalog: Option<Catalog>,
    /// The calendars the definitions use, by id.
    calendars: HashMap<String, Calendar>,
    /// Installation settings: the defaults.
    settings: Settings,
    /// What every notification and document is rendered with, when the templates load.
    preview: Option<PreviewKit>,
    /// The language of what the methodologist reads: the scenario file's mistakes, the
    /// failed expectations, the trace (`--lang`, from the definition options).
    lang: Lang,
}

/// What a scenario renders its notifications and documents with: the templates the
/// definitions were checked against, and what the embedded installation (`qyzmet serve`
/// without a configuration file) sends with — its office, its staff addresses, its sender.
struct PreviewKit {
    templates: Templates,
    office: Option<Office>,
    staff: StaffAddresses,
    from: Mailbox,
}

impl Setup {
    /// Loads the definitions under `paths` (files or folders; the shared sub-workflows
    /// come with them), the catalog and every calendar they use.
    pub fn load(paths: &[PathBuf], options: &definition::Options) -> Result<Setup, Error> {
        let catalog_file = options
            .catalog
            .clone()
            .or_else(|| paths.first().and_then(|p| definition::find_catalog(p)));
        let Some(catalog_file) = catalog_file else {
            return Err(Error::NoWorkflows(
                paths.first().cloned().unwrap_or_default(),
            ));
        };
        let report = definition::load(paths, options);
        let catalog = definition::load_catalog(&catalog_file, options.lang).ok();
        let calendar_dir = options.calendars.clone().unwrap_or_else(|| {
            let root = std::path::absolute(&catalog_file).unwrap_or(catalog_file.clone());
            root.parent()
                .and_then(Path::parent)
                .map(|p| p.join("calendars"))
                .unwrap_or_else(|| PathBuf::from("calendars"))
        });
        let mut calendars = HashMap::new();
        for def in &report.library.definitions {
            if !calendars.contains_key(&def.calendar) {
                let calendar = Calendar::load(&calendar_dir, &def.calendar).map_err(|source| {
                    Error::Calendar {
                        id: def.calendar.clone(),
                        source,
                    }
                })?;
                calendars.insert(def.calendar.clone(), calendar);
            }
        }
        let templates_dir = options.templates.clone().unwrap_or_else(|| {
            let root = std::path::absolute(&catalog_file).unwrap_or(catalog_file.clone());
            root.parent()
                .and_then(Path::parent)
                .map(|p| p.join("templates"))
                .unwrap_or_else(|| PathBuf::from("templates"))
        });
        // A folder that does not load is one of the definitions' problems already.
        let preview = Templates::load(&templates_dir).ok().map(|templates| {
            let demo = NotifyConfig::demo(templates_dir.clone(), PathBuf::new());
            let EmailTransport::File { from } = &demo.email else {
                unreachable!("the embedded default writes e-mail to files")
            };
            PreviewKit {
                from: from.parse().expect("the embedded sender is an address"),
                templates,
                office: demo.office,
                staff: demo.staff,
            }
        });
        let subworkflows = report.library.subworkflows();
        Ok(Setup {
            library: report.library,
            diagnostics: report.diagnostics,
            subworkflows,
            catalog,
            calendars,
            settings: Settings::default(),
            preview,
            lang: options.lang,
        })
    }

    /// The templates scenarios render with, when they loaded.
    pub fn templates(&self) -> Option<&Templates> {
        self.preview.as_ref().map(|p| &p.templates)
    }

    /// Loads what the scenarios at `path` run against: for a path inside a `scenarios`
    /// folder, the service folder above it; otherwise the definitions under `path`.
    pub fn for_path(path: &Path, options: &definition::Options) -> Result<Setup, Error> {
        Setup::load(&[definitions_of(path)], options)
    }
}

/// The folder of definitions that the scenarios at `path` belong to: the part of the path
/// before a `scenarios` folder, or, for any other file, its folder.
pub fn definitions_of(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        if part.as_os_str() == "scenarios" {
            return if out.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                out
            };
        }
        out.push(part);
    }
    if path.is_file() {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        path.to_path_buf()
    }
}

/// Every scenario under `path`: the `.yaml` files directly inside folders named
/// `scenarios` (a `pending/` folder below one is not run), sorted; or `path` itself when
/// it is a file.
pub fn find(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let in_scenarios = dir.file_name().is_some_and(|n| n == "scenarios");
        for entry in entries.flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if !in_scenarios {
                    stack.push(p);
                }
            } else if in_scenarios && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A scenario file whose shape is right, not yet checked against its definition.
#[derive(Debug, Clone)]
pub struct Scenario {
    doc: Document,
    raw: raw::Scenario,
}

impl Scenario {
    /// The file it was read from.
    pub fn file(&self) -> &Path {
        self.doc.file()
    }

    /// What it shows: its title.
    pub fn title(&self) -> &str {
        &self.raw.scenario
    }

    /// The service it runs.
    pub fn service(&self) -> &str {
        &self.raw.service
    }
}

/// Reads a scenario file and checks its shape.
pub fn load(file: &Path) -> Result<Scenario, Error> {
    load_in(file, Lang::En)
}

/// [`load`], the file's mistakes said in `lang` as far as the YAML reader says them.
pub fn load_in(file: &Path, lang: Lang) -> Result<Scenario, Error> {
    let doc = yaml::read_in(file, lang).map_err(Error::Invalid)?;
    let raw = doc
        .deserialize::<raw::Scenario>()
        .map_err(|d| Error::Invalid(vec![d]))?;
    Ok(Scenario { doc, raw })
}

/// Checks a scenario against its definition and runs it. `Err` when it cannot run (its
/// names do not resolve); `Ok` with the trace and, if one, the first divergence.
pub fn run(setup: &Setup, scenario: &Scenario) -> Result<Run, Error> {
    run_to(setup, scenario, None)
}

/// Runs a scenario as [`run`] does and, with `dir`, writes into it every document (HTML
/// and PDF), e-mail (`.eml`) and SMS (text and segment count) the case produced, named by
/// order and step (`03-accept_documents-rehabilitated_certificate_receipt.ru.html`). A file
/// that cannot be written fails the run, if nothing failed before it.
pub fn run_to(setup: &Setup, scenario: &Scenario, dir: Option<&Path>) -> Result<Run, Error> {
    let plan = compile::compile(setup, scenario).map_err(Error::Invalid)?;
    let mut run = world::run(setup, scenario, &plan);
    if let Some(dir) = dir {
        match files::write(&run.renditions, dir) {
            Ok(written) => run.written = written,
            Err(e) => {
                if run.failure.is_none() {
                    run.failure = Some(Diagnostic::new(scenario.file(), 1, 1, e.to_string()));
                }
            }
        }
    }
    Ok(run)
}

/// Where `qyzmet test --render ROOT` writes a scenario's files: `ROOT/<service>/<file stem>`.
pub fn render_dir(root: &Path, scenario: &Scenario) -> PathBuf {
    let stem = scenario
        .file()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    root.join(scenario.service()).join(stem)
}

/// Loads and runs one scenario file.
pub fn run_file(setup: &Setup, file: &Path) -> Result<Run, Error> {
    run(setup, &load_in(file, setup.lang)?)
}

/// What a run did and whether it held.
#[derive(Debug, Clone)]
pub struct Run {
    /// One line per event and per effect, in order.
    pub trace: Vec<Line>,
    /// The first expectation that did not hold (or the first step the engine refused, or
    /// the first template that did not render), at its position in the scenario file.
    pub failure: Option<Diagnostic>,
    /// Every notification and document rendered, in order.
    pub renditions: Vec<Rendition>,
    /// The files written for them (`run_to` with a folder).
    pub written: Vec<PathBuf>,
}

/// A notification or a document as the case's recipient gets it.
#[derive(Debug, Clone)]
pub struct Rendition {
    /// Its place among the scenario's notifications and documents, from 1.
    pub order: usize,
    /// The case's name, when the scenario has several cases.
    pub case: Option<String>,
    /// The step that sent or rendered it, by path, when one is known.
    pub step: Option<String>,
    /// The template.
    pub template: String,
    /// The case's language.
    pub lang: crate::runtime::Language,
    /// What was rendered: an SMS, an e-mail, a document.
    pub body: crate::notify::preview::Body,
}

impl Run {
    /// Whether every step ran and every expectation held.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// What a line of the trace reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A step of the scenario: an event for the case, the clock moving, a check.
    Step,
    /// What the case asked the world to do, or what happened to it as a result.
    Effect,
}

/// One line of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// When, in the local time of the service's calendar.
    pub at: NaiveDateTime,
    /// A scenario step or one of its effects.
    pub kind: LineKind,
    /// What happened.
    pub text: String,
    /// The workflow step concerned, by path, when there is one.
    pub step: Option<String>,
    /// The case concerned, by name, when the scenario has several cases and the line is
    /// about one of them.
    pub case: Option<String>,
    /// The language of its day of the week (the text is in it already).
    pub lang: Lang,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indent = match self.kind {
            LineKind::Step => "",
            LineKind::Effect => "    ",
        };
        let case = match &self.case {
            Some(case) => format!("#{case}  "),
            None => String::new(),
        };
        write!(
            f,
            "{}  {case}{indent}{}",
            words::minute(self.at, self.lang),
            self.text
        )?;
        if let Some(step) = &self.step {
            write!(f, "  [{step}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_belongs_to_the_service_folder_above_its_scenarios_folder() {
        let p = |s: &str| definitions_of(Path::new(s));
        assert_eq!(
            p("workflows/a/scenarios/x.yaml"),
            PathBuf::from("workflows/a")
        );
        assert_eq!(
            p("workflows/a/scenarios/pending/x.yaml"),
            PathBuf::from("workflows/a")
        );
        assert_eq!(p("workflows/a/scenarios"), PathBuf::from("workflows/a"));
        assert_eq!(p("workflows"), PathBuf::from("workflows"));
        assert_eq!(p("scenarios/x.yaml"), PathBuf::from("."));
    }

    #[test]
    fn only_files_directly_in_a_scenarios_folder_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "a/scenarios/one.yaml",
            "a/scenarios/two.yml",
            "a/scenarios/notes.md",
            "a/scenarios/pending/three.yaml",
            "a/2026-04-13.yaml",
            "b/scenarios/four.yaml",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let found: Vec<String> = find(root)
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            found,
            vec![
                "a/scenarios/one.yaml",
                "a/scenarios/two.yml",
                "b/scenarios/four.yaml"
            ]
        );
    }
}
