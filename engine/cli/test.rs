//! `qyzmet test [PATH]`: check the definitions, then run every scenario under PATH.
//!
//! Scenarios are the `.yaml` files directly inside folders named `scenarios`
//! (`workflows/<service>/scenarios/*.yaml`; a `pending/` folder below is not run). One
//! line per scenario, `ok   <file>  <title>` or `FAIL <file>  <title>` (the markers in `--lang`) with the divergence
//! (or the scenario file's mistakes) indented below, then the verdict on the last line:
//! `N passed, M failed` when the definitions are valid (with their warnings counted after
//! it), `FAILED: the definitions have K problem(s); N scenario(s) passed, M failed` when they
//! are not — a run is never reported as passed over broken definitions. Warnings fail the
//! run only with `--deny-warnings`. Everything the methodologist reads is in `--lang`.
//! Exit 0 only when the definitions are valid and no scenario failed; 1 otherwise; 2 on a
//! usage error (a path that does not exist, or not inside a workflows folder).

use std::path::PathBuf;
use std::process::ExitCode;

use super::validate::Common;
use crate::definition;
use crate::definition::messages::{Lang, text};
use crate::diagnostic::Diagnostic;
use crate::msg;
use crate::scenario::{self, Setup};

/// Arguments of `qyzmet test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A workflows folder, a service folder or one scenario file.
    #[arg(default_value = "workflows")]
    pub path: PathBuf,
    #[command(flatten)]
    pub common: Common,
    /// Fail on the definitions' warnings too (a step without a title or a source, an SMS
    /// without the registration number), as CI does.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Write every document, e-mail and SMS each scenario produces into
    /// DIR/<service>/<scenario file stem>/ (see `qyzmet simulate --render`).
    #[arg(long, value_name = "DIR")]
    pub render: Option<PathBuf>,
}

/// Runs `qyzmet test`.
pub fn run(args: Args) -> ExitCode {
    let options = args.common.options();
    let lang = options.lang;
    if !args.path.exists() {
        eprintln!("{}", super::validate::no_such_path(&args.path, lang));
        return ExitCode::from(2);
    }
    let setup = match Setup::for_path(&args.path, &options) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("{}: {}", text("word.error", lang), e.render(lang));
            return ExitCode::from(2);
        }
    };
    let definitions_valid = setup.diagnostics.is_empty();
    // The setup keeps only the errors (what a run cannot go on with); the warnings are the
    // validator's, from the same definitions.
    let warnings = definition::load(&[scenario::definitions_of(&args.path)], &options).warnings;
    if !definitions_valid {
        for d in &setup.diagnostics {
            println!("{}", d.display_in(lang));
        }
    }
    for d in &warnings {
        println!("{}", d.display_in(lang));
    }
    if !definitions_valid {
        println!(
            "{}",
            msg!("test.definitions_fail", problems = setup.diagnostics.len()).render(lang)
        );
    }
    let (mut passed, mut failed) = (0, 0);
    let (ok, fail) = markers(lang);
    for file in scenario::find(&args.path) {
        let shown = file.display();
        let loaded = scenario::load_in(&file, lang);
        let title = loaded
            .as_ref()
            .map(|s| s.title().to_string())
            .unwrap_or_default();
        let render =
            |s: &scenario::Scenario| args.render.as_ref().map(|r| scenario::render_dir(r, s));
        match loaded.and_then(|s| scenario::run_to(&setup, &s, render(&s).as_deref())) {
            Ok(run) if run.passed() => {
                passed += 1;
                println!("{ok}{shown}  {title}");
            }
            Ok(run) => {
                failed += 1;
                println!("{fail}{shown}  {title}");
                if let Some(d) = &run.failure {
                    print_indented(d, lang);
                }
            }
            Err(scenario::Error::Invalid(diagnostics)) => {
                failed += 1;
                println!("{fail}{shown}  {title}");
                for d in &diagnostics {
                    print_indented(d, lang);
                }
            }
            Err(e) => {
                failed += 1;
                println!("{fail}{shown}  {title}");
                println!("    {}", e.render(lang));
            }
        }
    }
    if let Some(dir) = &args.render {
        println!(
            "{}",
            msg!("test.rendered", dir = dir.display()).render(lang)
        );
    }
    let denied = args.deny_warnings && !warnings.is_empty();
    let verdict = if !definitions_valid {
        msg!(
            "test.failed_problems",
            problems = setup.diagnostics.len(),
            passed = passed,
            failed = failed
        )
    } else if denied {
        msg!(
            "test.failed_warnings",
            warnings = warnings.len(),
            passed = passed,
            failed = failed
        )
    } else if !warnings.is_empty() {
        msg!(
            "test.summary_with_warnings",
            passed = passed,
            failed = failed,
            warnings = warnings.len()
        )
    } else {
        msg!("test.summary", passed = passed, failed = failed)
    };
    println!("{}", verdict.render(lang));
    if failed == 0 && definitions_valid && !denied {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The markers of a passed and a failed scenario in `lang`, padded to one width so that the
/// files line up: `ok   ` and `FAIL `.
fn markers(lang: Lang) -> (String, String) {
    let (ok, fail) = (text("test.ok", lang), text("test.fail", lang));
    let width = ok.chars().count().max(fail.chars().count()) + 1;
    (format!("{ok:width$}"), format!("{fail:width$}"))
}

fn print_indented(d: &Diagnostic, lang: Lang) {
    for line in d.display_in(lang).lines() {
        println!("    {line}");
    }
}
