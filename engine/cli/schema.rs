//! `qyzmet schema`: print the JSON Schema of the workflow format (or of the catalog).
//!
//! Editors use it for completion and hover docs: each workflow file starts with
//! `# yaml-language-server: $schema=../workflow.schema.json`, and that file is this
//! command's output, kept up to date by a test.

use std::process::ExitCode;

use crate::definition::schema;

/// Arguments of `qyzmet schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the catalog's schema instead of the workflow's.
    #[arg(long)]
    pub catalog: bool,
}

/// Runs `qyzmet schema`.
pub fn run(args: Args) -> ExitCode {
    let value = if args.catalog {
        schema::catalog()
    } else {
        schema::workflow()
    };
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("schema serialises")
    );
    ExitCode::SUCCESS
}
