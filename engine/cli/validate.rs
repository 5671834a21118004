//! `qyzmet validate PATH...`: check workflow files and list every problem.
//!
//! Exit 0 when every file is valid, 1 when any has problems, 2 on a usage error
//! (a path that does not exist). Problems go to stdout, one per line (`file:line:column:
//! message`, then an indented hint), so editors and CI logs can link them; the summary
//! goes to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::definition::{self, messages::Lang};

/// Arguments of `qyzmet validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Workflow files or folders (folders are searched for `.yaml` files).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub common: Common,
    /// Print the problems as JSON instead of text.
    #[arg(long)]
    pub json: bool,
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

/// Runs `qyzmet validate`.
pub fn run(args: Args) -> ExitCode {
    for path in &args.paths {
        if !path.exists() {
            eprintln!("error: {}: no such file or folder", path.display());
            return ExitCode::from(2);
        }
    }
    let report = definition::load(&args.paths, &args.common.options());
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.diagnostics).expect("diagnostics serialise")
        );
    } else {
        for d in &report.diagnostics {
            println!("{d}");
        }
    }
    if report.diagnostics.is_empty() {
        eprintln!("{} file(s) valid", report.files);
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{} problem(s) in {} file(s) checked",
            report.diagnostics.len(),
            report.files
        );
        ExitCode::from(1)
    }
}
