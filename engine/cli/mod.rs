//! The command line: argument parsing and dispatch to one module per command.
//!
//! Each subcommand returns its own exit code; `anyhow` is not used past this edge.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod dry_run;
pub mod graph;
pub mod iin;
pub mod mass_event;
pub mod migrate;
pub mod portal;
pub mod schema;
pub mod serve;
pub mod simulate;
pub mod test;
pub mod validate;

/// qyzmet: state-service workflows, working-day calendars and the engine that runs them.
#[derive(Debug, Parser)]
#[command(name = "qyzmet", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Working-day calendar: non-working days, deadlines, evidence.
    Calendar(calendar::Args),
    /// Check workflow files and list every problem with its position.
    Validate(validate::Args),
    /// Print the JSON Schema of the workflow format, for editors.
    Schema(schema::Args),
    /// Print the process diagram of a workflow (Mermaid, DOT, or SVG and HTML to read offline).
    Graph(graph::Args),
    /// Make valid fictional IINs for scenarios and tests (serials 9000-9999 mark test data).
    Iin(iin::Args),
    /// Run the HTTP API and the workers: on the embedded default (SQLite, file outbox), or
    /// one of several processes on a shared PostgreSQL (`--database postgres://…`).
    Serve(serve::Args),
    /// Run one scenario against the runtime with a simulated clock, and print its trace; or,
    /// with `--dry-run SERVICE --accepted TIME`, print the service's dates for that acceptance.
    Simulate(simulate::Args),
    /// Check the definitions and run every scenario under a folder (default `workflows/`).
    Test(test::Args),
    /// Check the audit journal's hash chain, or list its records (read-only, beside `serve`).
    Audit(audit::Args),
    /// Create an account (and a system's API token) before the service starts.
    Accounts(accounts::Args),
    /// Copy an installation's database into an empty one: SQLite to PostgreSQL, back, or
    /// same to same (stop `serve` first: a database in use is refused).
    Migrate(migrate::Args),
    /// Enter one life event for every active case of a service (a mass increase) and run it
    /// here, printing progress; resumes one that was stopped, does no case twice.
    MassEvent(mass_event::Args),
    /// Move closed cases older than N days to the archive, find an archived case by number
    /// or IIN, or restore one to the active cases.
    Archive(archive::Args),
    /// Write the database and the data directory's files to one file, online, beside a
    /// running `serve` (SQLite or PostgreSQL).
    Backup(backup::BackupArgs),
    /// Put a backup back into a new data directory (and, on PostgreSQL, an empty database),
    /// checking every file and the audit journal.
    Restore(backup::RestoreArgs),
    /// The eGov portal's side with the test PKI (demonstration only): print the test root
    /// for `portal.trusted_roots`, or sign an application and file it as the portal does.
    Portal(portal::Args),
}

/// Where an installation's database is, as the commands that read or write it beside
/// `serve` take it (`audit`, `archive`): `--data-dir` and `--database`.
#[derive(Debug, clap::Args)]
pub struct Location {
    /// The data directory of `qyzmet serve` (the database is `qyzmet.db` in it).
    #[arg(long, default_value = "data", env = "QYZMET_DATA_DIR")]
    pub data_dir: std::path::PathBuf,
    /// The database, when it is not `qyzmet.db` in the data directory: a PostgreSQL URL
    /// (`postgres://user@host/db`) or an SQLite file.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
}

impl Location {
    /// The database these arguments name ([`database_location`]).
    pub fn resolve(&self) -> crate::store::Location {
        database_location(&self.data_dir, self.database.as_deref())
    }
}

/// The database a command works on: `--database` (or `DATABASE_URL`) when given — a
/// PostgreSQL URL or an SQLite file —, else `qyzmet.db` in the data directory.
pub fn database_location(
    data_dir: &std::path::Path,
    database: Option<&str>,
) -> crate::store::Location {
    match database {
        Some(text) if !text.trim().is_empty() => crate::store::Location::parse(text.trim()),
        _ => crate::store::Location::Sqlite(data_dir.join("qyzmet.db")),
    }
}

/// Parses the command line and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Calendar(args) => calendar::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Iin(args) => iin::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Test(args) => test::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Accounts(args) => accounts::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::MassEvent(args) => mass_event::run(args),
        Command::Archive(args) => archive::run(args),
        Command::Backup(args) => backup::run_backup(args),
        Command::Restore(args) => backup::run_restore(args),
        Command::Portal(args) => portal::run(args),
    }
}
