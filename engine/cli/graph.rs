//! `qyzmet graph FILE --format mermaid|dot`: print the process diagram of a workflow.
//!
//! The file is loaded and checked first: a diagram of an invalid definition would show a
//! process the engine will never run, so problems are listed instead (exit 1).

use std::path::PathBuf;
use std::process::ExitCode;

use super::validate::Common;
use crate::definition::{self, graph};

/// Arguments of `qyzmet graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workflow file.
    pub file: PathBuf,
    /// The diagram format.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: FormatArg,
    /// A step to highlight (e.g. a case's current step).
    #[arg(long)]
    pub highlight: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// The diagram formats, as the command line names them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// Runs `qyzmet graph`.
pub fn run(args: Args) -> ExitCode {
    if !args.file.is_file() {
        eprintln!("error: {}: no such file", args.file.display());
        return ExitCode::from(2);
    }
    let options = args.common.options();
    let report = definition::load(std::slice::from_ref(&args.file), &options);
    if !report.diagnostics.is_empty() {
        for d in &report.diagnostics {
            println!("{d}");
        }
        eprintln!(
            "{} problem(s): fix them to draw the diagram",
            report.diagnostics.len()
        );
        return ExitCode::from(1);
    }
    let Some(def) = report
        .library
        .definitions
        .iter()
        .find(|d| d.file == args.file)
    else {
        eprintln!("error: {}: not a workflow definition", args.file.display());
        return ExitCode::from(2);
    };
    if let Some(h) = &args.highlight
        && def.step_named(h).is_none()
    {
        eprintln!(
            "error: --highlight: no step `{h}` in {}",
            args.file.display()
        );
        return ExitCode::from(2);
    }
    let format = match args.format {
        FormatArg::Mermaid => graph::Format::Mermaid,
        FormatArg::Dot => graph::Format::Dot,
    };
    let opts = graph::Options {
        highlight: args.highlight.as_deref().into_iter().collect(),
        lang: options.lang,
        ..graph::Options::default()
    };
    print!("{}", graph::render(def, format, &opts));
    ExitCode::SUCCESS
}
