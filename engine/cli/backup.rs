//! `qyzmet backup --out FILE` and `qyzmet restore --from FILE --data-dir NEW`: an
//! installation in one file, taken while `serve` runs, and put back into a new data directory
//! ([`crate::backup`] says what the file holds and what each checks).
//!
//! Output is counts only (rows per table, files per folder, the journal's head), never a
//! row's content: it may be pasted into a ticket. Exit codes: 0 done and checked; 1 refused
//! (a target not empty, a damaged archive, the other backend) or failed, with one line on
//! stderr; 2 a usage error (the folder of `--out` missing).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::backup::manifest::Manifest;
use crate::backup::{self, Error, Source, Target, short};

/// Arguments of `qyzmet backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (a gzip-compressed tar archive). Written under a temporary
    /// name beside it and renamed at the end: a failed backup leaves nothing here.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The data directory `serve` uses (its `documents/`, `uploads/`, `outbox/`, `sent/`,
    /// and `qyzmet.db` unless `--database` says otherwise).
    #[arg(long, default_value = "data", env = "QYZMET_DATA_DIR")]
    data_dir: PathBuf,
    /// The database, when it is not `qyzmet.db` in the data directory: a PostgreSQL URL
    /// (`postgres://user@host/db`; `pg_dump` must be on PATH) or an SQLite file.
    #[arg(long, env = "DATABASE_URL")]
    database: Option<String>,
}

/// Arguments of `qyzmet restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file `qyzmet backup` wrote.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The new data directory: it must not exist, or be empty.
    #[arg(long, value_name = "NEW")]
    data_dir: PathBuf,
    /// For a PostgreSQL backup: the empty database to restore into (made with `createdb`;
    /// `pg_restore` must be on PATH). Without it, the database is `qyzmet.db` in NEW.
    #[arg(long, env = "DATABASE_URL")]
    database: Option<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::from(2)
        })
}

/// Runs `qyzmet backup`.
pub fn run_backup(args: BackupArgs) -> ExitCode {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let source = Source {
        database: super::database_location(&args.data_dir, args.database.as_deref()),
        data_dir: args.data_dir,
    };
    match runtime.block_on(backup::backup(&source, &args.out)) {
        Ok(taken) => {
            println!(
                "backup of {} and {} written to {} ({})",
                source.database.describe(),
                source.data_dir.display(),
                args.out.display(),
                size(taken.bytes)
            );
            println!("taken at {}", crate::store::ts(taken.manifest.taken_at));
            print_tables(taken.manifest.tables.iter().map(|(t, n)| (t.as_str(), *n)));
            print_files(&taken.manifest);
            print_audit(&taken.manifest);
            ExitCode::SUCCESS
        }
        Err(e @ Error::OutFolder(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: no backup was written: {e}");
            ExitCode::from(1)
        }
    }
}

/// Runs `qyzmet restore`.
pub fn run_restore(args: RestoreArgs) -> ExitCode {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let target = Target {
        database: args
            .database
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| super::database_location(Path::new(""), Some(d))),
        data_dir: args.data_dir,
    };
    match runtime.block_on(backup::restore(&args.from, &target)) {
        Ok(restored) => {
            let m = &restored.manifest;
            println!(
                "restored {} (taken at {}, engine {}) into {} and {}",
                args.from.display(),
                crate::store::ts(m.taken_at),
                m.engine_version,
                target.data_dir.display(),
                target.location().describe()
            );
            print_tables(restored.tables.iter().map(|(t, n)| (t.as_str(), *n)));
            print_files(m);
            println!(
                "audit journal intact: {} records, last hash {}, as in the backup",
                restored.audit.count,
                short(&restored.audit.last_hash)
            );
            ExitCode::SUCCESS
        }
        Err(e @ Error::Mismatch(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: nothing was restored: {e}");
            ExitCode::from(1)
        }
    }
}

/// `  <table>  <rows>`, one line a table, aligned.
fn print_tables<'a>(tables: impl Iterator<Item = (&'a str, u64)> + Clone) {
    let width = tables.clone().map(|(t, _)| t.len()).max().unwrap_or(0);
    for (table, rows) in tables {
        println!("  {table:<width$}  {rows:>8}");
    }
}

/// `files: N (size): documents N, outbox N, …`.
fn print_files(manifest: &Manifest) {
    let mut by_folder: Vec<(String, usize)> = Vec::new();
    let mut bytes = 0;
    let mut count = 0;
    for file in &manifest.files {
        let Some(rest) = file.path.strip_prefix("files/") else {
            continue;
        };
        count += 1;
        bytes += file.size;
        let folder = rest.split('/').next().unwrap_or(rest).to_string();
        match by_folder.iter_mut().find(|(f, _)| *f == folder) {
            Some((_, n)) => *n += 1,
            None => by_folder.push((folder, 1)),
        }
    }
    let folders: Vec<String> = by_folder
        .iter()
        .map(|(folder, n)| format!("{folder} {n}"))
        .collect();
    if folders.is_empty() {
        println!("files: none");
    } else {
        println!("files: {count} ({}): {}", size(bytes), folders.join(", "));
    }
}

fn print_audit(manifest: &Manifest) {
    let audit = &manifest.audit;
    println!(
        "audit journal: {} records, last hash {}",
        audit.records,
        short(&audit.last_hash)
    );
    if let Some(broken) = &audit.broken {
        eprintln!("warning: the backed-up journal is broken: {broken}");
    }
}

/// Bytes as people read them.
fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else {
        format!("{:.2} GiB", b / KIB / KIB / KIB)
    }
}
