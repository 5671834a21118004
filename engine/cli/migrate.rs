//! `qyzmet migrate --from <database> --to <database>`: moves an installation to another
//! database — an SQLite file to a PostgreSQL server when one process is no longer enough,
//! or back, or to a new file or server of the same kind (issue #13 item 5).
//!
//! Everything is copied ([`crate::store::transfer`]): cases with their history, tasks,
//! timers and jobs, scheduled starts, deployed definitions, accounts, sessions, API tokens,
//! idempotency keys, the notifier's sent-record and the audit journal. The target must be
//! empty; it is written in one transaction, so a refusal or a failure leaves it as it was.
//! Afterwards the target's audit journal is verified here, as `qyzmet audit verify` would, and
//! must end with the hash the source's ended with: the one line a reviewer needs to see that
//! the journal moved whole.
//!
//! Output is counts only (rows per table, records of the journal), never a row's content: a
//! migration's log may be pasted into a ticket. Exit codes: 0 copied and verified; 1 refused
//! (the source in use, the target not empty) or failed, with one line on stderr; 2 a usage
//! error.

use std::process::ExitCode;

use crate::audit::{Broken, Verifier};
use crate::store::audit as journal;
use crate::store::transfer::{self, Copied};
use crate::store::{self, Location};

/// Arguments of `qyzmet migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database to copy from: an SQLite file (or `sqlite:` URL) or a PostgreSQL URL
    /// (`postgres://user@host/db`). It is only read. An SQLite file that `qyzmet serve` has
    /// open is refused as in use: stop the service first. On PostgreSQL stop every `serve`
    /// process too: the copy is one consistent snapshot, but what they do after it is not
    /// copied.
    #[arg(long, value_name = "DATABASE")]
    from: String,
    /// The database to copy into: a new SQLite file, or an empty PostgreSQL database (made
    /// with `createdb`); its schema is created as `serve` creates it. A database with any row
    /// in it is refused, never merged into.
    #[arg(long, value_name = "DATABASE")]
    to: String,
}

/// How many journal records the verification reads at a time.
const PAGE: u32 = 1000;

/// Runs `qyzmet migrate`.
pub fn run(args: Args) -> ExitCode {
    let (from, to) = match (location(&args.from), location(&args.to)) {
        (Some(from), Some(to)) => (from, to),
        _ => {
            eprintln!("error: --from and --to each name a database (a file or a URL)");
            return ExitCode::from(2);
        }
    };
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
    runtime.block_on(migrate(&from, &to))
}

fn location(text: &str) -> Option<Location> {
    let text = text.trim();
    (!text.is_empty()).then(|| super::database_location(std::path::Path::new(""), Some(text)))
}

async fn migrate(from: &Location, to: &Location) -> ExitCode {
    let copied = match transfer::migrate(from, to).await {
        Ok(copied) => copied,
        Err(transfer::Error::SameDatabase(name)) => {
            eprintln!("error: --from and --to are the same database ({name})");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: nothing was copied: {e}");
            return ExitCode::from(1);
        }
    };
    println!("copied {} to {}", from.describe(), to.describe());
    print_tables(&copied);
    match verify(to).await {
        Ok((count, last_hash)) => {
            let expected = copied.audit_last_hash.as_deref();
            if count != copied.rows("audit") || expected.is_some_and(|h| h != last_hash) {
                eprintln!(
                    "error: the copy's audit journal does not end as the source's: {count} records, last hash {}",
                    short(&last_hash)
                );
                return ExitCode::from(1);
            }
            println!(
                "audit journal: {count} records, last hash {}",
                short(&last_hash)
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: the copy was made, but its audit journal does not verify: {message}");
            ExitCode::from(1)
        }
    }
}

/// `  <table>  <rows>`, one line a table, aligned.
fn print_tables(copied: &Copied) {
    let width = copied
        .tables
        .iter()
        .map(|(t, _)| t.len())
        .max()
        .unwrap_or(0);
    for (table, rows) in &copied.tables {
        println!("  {table:<width$}  {rows:>8}");
    }
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

/// The target's journal checked record by record, as `qyzmet audit verify` does: its count
/// and last hash, or the first break.
async fn verify(database: &store::Location) -> Result<(u64, String), String> {
    let mut conn = journal::open_read_only(database)
        .await
        .map_err(|e| format!("cannot read {}: {e}", database.describe()))?;
    let mut verifier = Verifier::new();
    let mut after = 0;
    let result = loop {
        let rows = match journal::page(&mut conn, after, PAGE).await {
            Ok(rows) => rows,
            Err(e) => break Err(format!("cannot read {}: {e}", database.describe())),
        };
        if rows.is_empty() {
            let done = verifier.finish();
            break Ok((done.count, done.last_hash));
        }
        let mut broken: Option<Broken> = None;
        for row in rows {
            let checked = match row {
                Ok(record) => verifier.push(&record).map(|()| record.seq),
                Err(unreadable) => Err(verifier.unreadable(&unreadable)),
            };
            match checked {
                Ok(seq) => after = seq,
                Err(b) => {
                    broken = Some(b);
                    break;
                }
            }
        }
        if let Some(b) = broken {
            break Err(b.to_string());
        }
    };
    conn.close().await;
    result
}
