//! The `qyzmet` command: the edge where errors become exit codes and messages.

use std::process::ExitCode;

fn main() -> ExitCode {
    qyzmet::cli::main()
}
