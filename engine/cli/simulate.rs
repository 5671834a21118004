//! `qyzmet simulate SCENARIO`: run one scenario and print what happened.
//!
//! The trace goes to stdout, one line per event and per effect, in the local time of the
//! service's calendar. Exit 0 when every expectation holds; 1 when one does not (the
//! divergence is printed last, with its `file:line:column`); 2 when the scenario cannot
//! run: no such file, a mistake in the scenario file, or problems in the definitions it
//! runs against (each printed with its position).

use std::path::PathBuf;
use std::process::ExitCode;

use super::validate::Common;
use crate::scenario::{self, Setup};

/// Arguments of `qyzmet simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (`workflows/<service>/scenarios/<name>.yaml`).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `qyzmet simulate`.
pub fn run(args: Args) -> ExitCode {
    if !args.scenario.is_file() {
        eprintln!("error: {}: no such file", args.scenario.display());
        return ExitCode::from(2);
    }
    let setup = match Setup::for_path(&args.scenario, &args.common.options()) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !setup.diagnostics.is_empty() {
        for d in &setup.diagnostics {
            println!("{d}");
        }
        eprintln!(
            "the definitions have {} problem(s): fix them first (`qyzmet validate`)",
            setup.diagnostics.len()
        );
        return ExitCode::from(2);
    }
    let run = match scenario::run_file(&setup, &args.scenario) {
        Ok(run) => run,
        Err(scenario::Error::Invalid(diagnostics)) => {
            for d in &diagnostics {
                println!("{d}");
            }
            eprintln!("the scenario has {} problem(s)", diagnostics.len());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for line in &run.trace {
        println!("{line}");
    }
    match &run.failure {
        None => {
            println!("ok: every expectation holds");
            ExitCode::SUCCESS
        }
        Some(divergence) => {
            println!("FAIL {divergence}");
            ExitCode::from(1)
        }
    }
}
