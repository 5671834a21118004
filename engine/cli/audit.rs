//! `qyzmet audit verify|list`: check the audit journal's hash chain, or print its records.
//!
//! Both read an SQLite file read-only and without the owner's lock, so they run beside
//! a live `qyzmet serve` (a PostgreSQL database is read like any other client would). `verify` exits 0 with `audit journal intact: N records, last hash
//! <16 hex>` on stdout; 1 with `audit journal broken at record SEQ (AT, ACTION): REASON` on
//! stderr; 2 with one line on stderr when there is no database or it cannot be read.

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};

use super::Location;
use crate::audit::{Broken, Record, Verifier};
use crate::store::audit::{self as journal, Filter};
use crate::store::{self, ts};

/// Arguments of `qyzmet audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check every record's hash and its link to the one before.
    Verify(Location),
    /// Print records, oldest first, one per line.
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    location: Location,
    /// Records at or after this date (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[arg(long, value_parser = parse_since)]
    since: Option<DateTime<Utc>>,
    /// Records of this actor (a login, `system`, `citizen`).
    #[arg(long)]
    actor: Option<String>,
    /// At most this many records.
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD) or an RFC 3339 instant"))
}

/// How many records `verify` reads at a time.
const PAGE: u32 = 1000;

/// Runs `qyzmet audit`.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match args.command {
            Command::Verify(location) => verify(&location.resolve()).await,
            Command::List(list_args) => list(list_args).await,
        }
    })
}

async fn open(database: &store::Location) -> Result<store::Conn, ExitCode> {
    if let store::Location::Sqlite(file) = database
        && !file.is_file()
    {
        eprintln!("error: no database at {}", file.display());
        return Err(ExitCode::from(2));
    }
    journal::open_read_only(database).await.map_err(|e| {
        eprintln!("error: cannot read {}: {e}", database.describe());
        ExitCode::from(2)
    })
}

async fn verify(database: &store::Location) -> ExitCode {
    let mut conn = match open(database).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut verifier = Verifier::new();
    let mut after = 0;
    loop {
        let rows = match journal::page(&mut conn, after, PAGE).await {
            Ok(rows) => rows,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", database.describe());
                return ExitCode::from(2);
            }
        };
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let checked: Result<i64, Broken> = match row {
                Ok(record) => verifier.push(&record).map(|()| record.seq),
                Err(unreadable) => Err(verifier.unreadable(&unreadable)),
            };
            match checked {
                Ok(seq) => after = seq,
                Err(broken) => {
                    eprintln!("{broken}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    let done = verifier.finish();
    println!(
        "audit journal intact: {} records, last hash {}",
        done.count,
        &done.last_hash[..16]
    );
    ExitCode::SUCCESS
}

async fn list(args: ListArgs) -> ExitCode {
    let mut conn = match open(&args.location.resolve()).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let filter = Filter {
        since: args.since,
        actor: args.actor,
        object: None,
        limit: args.limit,
    };
    match journal::list(&mut conn, &filter).await {
        Ok(records) => {
            for r in &records {
                println!("{}", line(r));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `SEQ AT ACTOR ACTION OBJECT SOURCE DETAILS`, `-` for what is absent.
fn line(r: &Record) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        r.seq,
        ts(r.at),
        r.actor,
        r.action,
        r.object.as_deref().unwrap_or("-"),
        r.source.as_deref().unwrap_or("-"),
        crate::audit::chain::canonical_json(&r.details)
    )
}
