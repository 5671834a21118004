//! `qyzmet test [PATH]`: check the definitions, then run every scenario under PATH.
//!
//! Scenarios are the `.yaml` files directly inside folders named `scenarios`
//! (`workflows/<service>/scenarios/*.yaml`; a `pending/` folder below is not run). One
//! line per scenario, `ok   <file>  <title>` or `FAIL <file>  <title>` with the divergence
//! (or the scenario file's mistakes) indented below, then exactly `N passed, M failed`.
//! Exit 0 only when the definitions are valid and no scenario failed; 1 otherwise; 2 on a
//! usage error (a path that does not exist, or not inside a workflows folder).

use std::path::PathBuf;
use std::process::ExitCode;

use super::validate::Common;
use crate::diagnostic::Diagnostic;
use crate::scenario::{self, Setup};

/// Arguments of `qyzmet test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A workflows folder, a service folder or one scenario file.
    #[arg(default_value = "workflows")]
    pub path: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `qyzmet test`.
pub fn run(args: Args) -> ExitCode {
    if !args.path.exists() {
        eprintln!("error: {}: no such file or folder", args.path.display());
        return ExitCode::from(2);
    }
    let setup = match Setup::for_path(&args.path, &args.common.options()) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let definitions_valid = setup.diagnostics.is_empty();
    if !definitions_valid {
        for d in &setup.diagnostics {
            println!("{d}");
        }
        println!(
            "FAIL the definitions have {} problem(s)",
            setup.diagnostics.len()
        );
    }
    let (mut passed, mut failed) = (0, 0);
    for file in scenario::find(&args.path) {
        let shown = file.display();
        let loaded = scenario::load(&file);
        let title = loaded
            .as_ref()
            .map(|s| s.title().to_string())
            .unwrap_or_default();
        match loaded.and_then(|s| scenario::run(&setup, &s)) {
            Ok(run) if run.passed() => {
                passed += 1;
                println!("ok   {shown}  {title}");
            }
            Ok(run) => {
                failed += 1;
                println!("FAIL {shown}  {title}");
                if let Some(d) = &run.failure {
                    print_indented(d);
                }
            }
            Err(scenario::Error::Invalid(diagnostics)) => {
                failed += 1;
                println!("FAIL {shown}  {title}");
                for d in &diagnostics {
                    print_indented(d);
                }
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {shown}  {title}");
                println!("    {e}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 && definitions_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_indented(d: &Diagnostic) {
    for line in d.to_string().lines() {
        println!("    {line}");
    }
}
