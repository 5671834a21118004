//! `qyzmet archive run|find|restore`: the archive of closed cases ([`crate::archive`]).
//!
//! - `run --older-than-days N` moves every case completed or withdrawn more than N days ago
//!   to the archive, in batches, and prints how many (and the cases left because something
//!   is still open in them);
//! - `find <number|IIN>` prints the archived case of a registration number, or those of an
//!   IIN (the applicant's or the representative's), one per line;
//! - `restore <number>` puts an archived case back among the active ones, as it was.
//!
//! `run` and `restore` write: on PostgreSQL beside running servers; an SQLite file belongs to
//! one process, so there with `serve` stopped (a running `serve` archives by itself once a
//! day, and an administrator restores from the case's page or `POST /archive/{number}/restore`).
//! `find` reads without the owner's lock, like `qyzmet audit`, so it runs beside `serve`.
//! Both writers journal what they did (`cases_archived`, `case_restored`) as `--by`.
//!
//! Exit codes: 0 done (or found); 1 nothing found, no such archived case, or the database
//! refused; 2 a usage error or no database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::Location;
use crate::clock::SystemClock;
use crate::runtime::Settings;
use crate::store::archive::{self as stored, ArchivedCase};
use crate::store::{self, audit as journal};
use crate::worker::{Config, Engine, outbox::FileOutbox};

/// Arguments of `qyzmet archive`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Move the cases closed more than N days ago to the archive.
    Run(RunArgs),
    /// Print the archived case of a registration number, or the archived cases of an IIN.
    Find(FindArgs),
    /// Put an archived case back among the active ones.
    Restore(RestoreArgs),
}

/// What a writing command needs besides the database: who, and the engine's folders.
#[derive(Debug, clap::Args)]
struct Writing {
    #[command(flatten)]
    location: Location,
    /// Who does it, for the audit journal (a staff login).
    #[arg(long, default_value = "system", env = "USER")]
    by: String,
    /// The workflows folder.
    #[arg(long, default_value = "workflows")]
    workflows: PathBuf,
    /// The calendars folder.
    #[arg(long, default_value = "calendars", env = "QYZMET_CALENDAR_DIR")]
    calendars: PathBuf,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Archive the cases completed or withdrawn more than this many days ago.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    older_than_days: u32,
    #[command(flatten)]
    writing: Writing,
}

#[derive(Debug, clap::Args)]
struct FindArgs {
    /// A registration number (`QZ-2023-000123`) or a 12-digit IIN.
    what: String,
    #[command(flatten)]
    location: Location,
}

#[derive(Debug, clap::Args)]
struct RestoreArgs {
    /// The registration number.
    number: String,
    #[command(flatten)]
    writing: Writing,
}

/// Runs `qyzmet archive`.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match args.command {
            Command::Run(a) => archive(a).await,
            Command::Find(a) => find(a).await,
            Command::Restore(a) => restore(a).await,
        }
    })
}

async fn engine(w: &Writing) -> Result<Engine, ExitCode> {
    let database = w.location.resolve();
    if let store::Location::Sqlite(file) = &database
        && !file.is_file()
    {
        eprintln!("error: no database at {}", file.display());
        return Err(ExitCode::from(2));
    }
    Engine::start(Config {
        database,
        workflows: w.workflows.clone(),
        calendars: w.calendars.clone(),
        settings: Settings::default(),
        clock: Arc::new(SystemClock),
        // Nothing is performed here.
        performer: Arc::new(FileOutbox::new(w.location.data_dir.join("outbox"))),
        number_prefix: "QZ".into(),
    })
    .await
    .map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

async fn archive(a: RunArgs) -> ExitCode {
    let engine = match engine(&a.writing).await {
        Ok(e) => e,
        Err(code) => return code,
    };
    let code = match crate::archive::run(&engine, a.older_than_days, &a.writing.by, "cli").await {
        Ok(done) => {
            println!(
                "archived {} cases closed before {}",
                done.archived.len(),
                done.cutoff.format("%Y-%m-%d %H:%M UTC")
            );
            if !done.kept.is_empty() {
                println!(
                    "left {} closed cases with an open task, a timer or unfinished work: {}",
                    done.kept.len(),
                    done.kept.join(", ")
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    };
    engine.store().close().await;
    code
}

async fn restore(a: RestoreArgs) -> ExitCode {
    let engine = match engine(&a.writing).await {
        Ok(e) => e,
        Err(code) => return code,
    };
    let code = match crate::archive::restore(&engine, &a.number, &a.writing.by, Some("cli")).await {
        Ok(c) => {
            println!("restored {} ({}) to the active cases", c.number, c.service);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    };
    engine.store().close().await;
    code
}

async fn find(a: FindArgs) -> ExitCode {
    let database = a.location.resolve();
    if let store::Location::Sqlite(file) = &database
        && !file.is_file()
    {
        eprintln!("error: no database at {}", file.display());
        return ExitCode::from(2);
    }
    let mut conn = match journal::open_read_only(&database).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", database.describe());
            return ExitCode::from(2);
        }
    };
    let what = a.what.trim();
    let found = if what.len() == 12 && what.bytes().all(|b| b.is_ascii_digit()) {
        stored::by_iin(&mut conn, what, 1000).await
    } else {
        stored::by_number(&mut conn, &what.to_ascii_uppercase())
            .await
            .map(|c| c.into_iter().collect())
    };
    conn.close().await;
    match found {
        Ok(cases) if cases.is_empty() => {
            eprintln!("no archived case of {what}");
            ExitCode::FAILURE
        }
        Ok(cases) => {
            for c in &cases {
                println!("{}", line(c));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", database.describe());
            ExitCode::FAILURE
        }
    }
}

/// `QZ-2023-000123 benefit-child-birth almaty completed (granted) closed 2023-03-01 archived
/// 2026-12-06 by system`: no name, no IIN (the line may end up in a log).
fn line(c: &ArchivedCase) -> String {
    let status = match c.status {
        crate::runtime::Status::Completed => "completed",
        crate::runtime::Status::Withdrawn => "withdrawn",
        crate::runtime::Status::Active => "active",
    };
    format!(
        "{} {} {} {}{} closed {} archived {} by {}",
        c.number,
        c.service,
        c.region,
        status,
        c.result
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        c.closed_at.format("%Y-%m-%d"),
        c.archived_at.format("%Y-%m-%d"),
        c.archived_by
    )
}
