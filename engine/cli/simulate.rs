//! `qyzmet simulate SCENARIO`: run one scenario and print what happened.
//!
//! The trace goes to stdout, one line per event and per effect, in the local time of the
//! service's calendar. Exit 0 when every expectation holds; 1 when one does not (the
//! divergence is printed last, with its `file:line:column`); 2 when the scenario cannot
//! run: no such file, a mistake in the scenario file, or problems in the definitions it
//! runs against (each printed with its position).
//!
//! Every notification and document the case produces is rendered as it would be sent; a
//! template that does not render fails the run. With `--render DIR` they are also written
//! into DIR, named by order and step: each document as HTML and PDF, each e-mail as `.eml`,
//! each SMS as its text with its length and segments.

use std::path::PathBuf;
use std::process::ExitCode;

use super::validate::Common;
use crate::definition::messages::text;
use crate::msg;
use crate::scenario::{self, Setup};

/// Arguments of `qyzmet simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (`workflows/<service>/scenarios/<name>.yaml`); with `--dry-run`, a
    /// service id or a definition file.
    pub scenario: PathBuf,
    /// Run no scenario: print the service's dates for a case accepted at `--accepted` (the
    /// term, then every path's due times, windows and escalation rungs, with evidence).
    #[arg(long)]
    pub dry_run: bool,
    /// With `--dry-run`: the local time the term starts (the acceptance), YYYY-MM-DDTHH:MM.
    #[arg(long, value_name = "YYYY-MM-DDTHH:MM", allow_hyphen_values = true)]
    pub accepted: Option<String>,
    /// Write every document (HTML, PDF), e-mail (.eml) and SMS (text) the case produces
    /// into this folder.
    #[arg(long, value_name = "DIR")]
    pub render: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `qyzmet simulate`.
pub fn run(args: Args) -> ExitCode {
    if args.dry_run {
        return super::dry_run::run(&args.scenario, args.accepted.as_deref(), &args.common);
    }
    let options = args.common.options();
    let lang = options.lang;
    let error = text("word.error", lang);
    if !args.scenario.is_file() {
        eprintln!(
            "{error}: {}",
            msg!("simulate.no_such_file", path = args.scenario.display()).render(lang)
        );
        return ExitCode::from(2);
    }
    let setup = match Setup::for_path(&args.scenario, &options) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("{error}: {}", e.render(lang));
            return ExitCode::from(2);
        }
    };
    if !setup.diagnostics.is_empty() {
        for d in &setup.diagnostics {
            println!("{}", d.display_in(lang));
        }
        eprintln!(
            "{}",
            msg!(
                "simulate.definitions_fail",
                problems = setup.diagnostics.len()
            )
            .render(lang)
        );
        return ExitCode::from(2);
    }
    let run = match scenario::load_in(&args.scenario, lang)
        .and_then(|s| scenario::run_to(&setup, &s, args.render.as_deref()))
    {
        Ok(run) => run,
        Err(scenario::Error::Invalid(diagnostics)) => {
            for d in &diagnostics {
                println!("{}", d.display_in(lang));
            }
            eprintln!(
                "{}",
                msg!("simulate.scenario_fails", problems = diagnostics.len()).render(lang)
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{error}: {}", e.render(lang));
            return ExitCode::from(2);
        }
    };
    for line in &run.trace {
        println!("{line}");
    }
    if let Some(dir) = &args.render {
        println!(
            "{}",
            msg!(
                "simulate.rendered",
                files = run.written.len(),
                dir = dir.display()
            )
            .render(lang)
        );
    }
    match &run.failure {
        None => {
            println!("{}", msg!("simulate.ok").render(lang));
            ExitCode::SUCCESS
        }
        Some(divergence) => {
            println!(
                "{} {}",
                text("test.fail", lang),
                divergence.display_in(lang)
            );
            ExitCode::from(1)
        }
    }
}
