//! `qyzmet validate PATH...`: check workflow files and list every problem.
//!
//! Exit 0 when every file is valid, 1 when any has problems, 2 on a usage error
//! (a path that does not exist). Problems go to stdout, one per line (`file:line:column:
//! message`, then an indented hint), so editors and CI logs can link them; the summary
//! goes to stderr. Warnings (`file:line:column: warning: message`: a rule of the guide
//! broken, the definitions still load) are printed among them and counted apart; they make
//! the exit 1 only with `--deny-warnings`, as CI runs it. Everything is in `--lang`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::definition::{
    self,
    messages::{self, Lang},
};
use crate::diagnostic::Diagnostic;
use crate::msg;

/// Arguments of `qyzmet validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Workflow files or folders (folders are searched for `.yaml` files).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub common: Common,
    /// Print the problems as JSON instead of text (each with its `severity`).
    #[arg(long)]
    pub json: bool,
    /// Fail on warnings too (a step without a title or a source, an SMS without the
    /// registration number), as CI does.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Options shared by the commands that load workflows.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// The catalog file (default: `catalog.yaml` in the nearest folder above the paths).
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// The templates folder (default: `templates/` beside the workflows folder).
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// The calendars folder (default: `calendars/` beside the workflows folder).
    #[arg(long)]
    pub calendars: Option<PathBuf>,
    /// The language of the messages: en, kk or ru (default: $QYZMET_LANG or en).
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("`{s}` is not a language: use en, kk or ru"))
}

impl Common {
    /// The loader options these flags describe.
    pub fn options(&self) -> definition::Options {
        definition::Options {
            catalog: self.catalog.clone(),
            templates: self.templates.clone(),
            calendars: self.calendars.clone(),
            lang: self.lang.unwrap_or_else(Lang::from_env),
        }
    }
}

/// `error: <path>: no such file or folder`, in `lang`: a usage error (exit 2).
pub fn no_such_path(path: &std::path::Path, lang: Lang) -> String {
    format!(
        "{}: {}",
        messages::text("word.error", lang),
        msg!("cli.no_such_path", path = path.display()).render(lang)
    )
}

/// The errors and the warnings of a report in one list, in file and position order, as
/// they are printed.
pub fn in_order(report: &definition::Report) -> Vec<&Diagnostic> {
    let mut all: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .chain(report.warnings.iter())
        .collect();
    all.sort();
    all
}

/// Runs `qyzmet validate`.
pub fn run(args: Args) -> ExitCode {
    let options = args.common.options();
    let lang = options.lang;
    for path in &args.paths {
        if !path.exists() {
            eprintln!("{}", no_such_path(path, lang));
            return ExitCode::from(2);
        }
    }
    let report = definition::load(&args.paths, &options);
    let all = in_order(&report);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&all).expect("diagnostics serialise")
        );
    } else {
        for d in &all {
            println!("{}", d.display_in(lang));
        }
    }
    let (problems, warnings, files) = (
        report.diagnostics.len(),
        report.warnings.len(),
        report.files,
    );
    let (summary, passed) = match (problems, warnings) {
        (0, 0) => (msg!("cli.valid", files = files), true),
        (0, _) if args.deny_warnings => (
            msg!("cli.warnings_denied", warnings = warnings, files = files),
            false,
        ),
        (0, _) => (
            msg!(
                "cli.valid_with_warnings",
                files = files,
                warnings = warnings
            ),
            true,
        ),
        (_, 0) => (
            msg!("cli.problems", problems = problems, files = files),
            false,
        ),
        _ => (
            msg!(
                "cli.problems_with_warnings",
                problems = problems,
                warnings = warnings,
                files = files
            ),
            false,
        ),
    };
    eprintln!("{}", summary.render(lang));
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
