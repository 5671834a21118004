//! `qyzmet backup` and `qyzmet restore`: an installation in one file, taken while `serve`
//! runs, and put back into a new data directory (seeds/003 item 17: backup and recovery).
//!
//! A backup is a gzip-compressed tar archive ([`archive`]) of, in this order:
//!
//! - `database/qyzmet.db` (SQLite: `vacuum into` a new file, one read transaction's
//!   snapshot, while the engine's writer goes on; a `.db` is never copied without its `-wal`)
//!   or `database/qyzmet.pgdump` (PostgreSQL: `pg_dump --format=custom` of a snapshot this
//!   module exports, [`postgres`]);
//! - `files/…`: the data directory's `documents/`, `uploads/`, `outbox/` and `sent/`, which
//!   cases refer to by name (a document by its job's key, a scan by its hash);
//! - `manifest.json` ([`manifest`]): the format, the backend, when, the engine's version,
//!   the row count of every table and the audit journal's head *as of the snapshot* (read
//!   from the copy itself, or in the exported snapshot's transaction), and the SHA-256 and
//!   size of every other entry.
//!
//! **Invariant: the database first, the files after.** Files under the data directory are
//! only ever added, never changed or removed, and each is placed whole (a temporary name,
//! then a link or rename) *before* the row that names it commits: a document before its job
//! is recorded done, a scan before its `uploads` row, a message before its job ends. So every
//! file a row of the snapshot names was already there when the snapshot was taken, and is in
//! the archive because the files are listed after it; files the archive holds beyond that are
//! harmless (a retry writes the same name again and finds it). The test
//! `backup::a_backup_taken_under_load_restores_with_nothing_missing` checks it: every file
//! a restored row names is there, with the same bytes.
//!
//! A restore checks the whole archive against its manifest before it writes anything, writes
//! the database and then the files into a new, empty data directory (and, on PostgreSQL, an
//! empty database, with `pg_restore` in one transaction), opens the store (so the migrations
//! of a newer engine apply), verifies the audit journal end to end to the manifest's head and
//! compares every table's row count with the manifest. A backup restores to the backend it
//! was taken from; to move to the other one, restore it, then copy it with `qyzmet migrate`.

pub mod archive;
pub mod manifest;
pub mod postgres;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::audit::{Broken, Verified, Verifier};
use crate::store::{self, Backend, Conn, Location, Store, snapshot};
use manifest::Manifest;

/// The data directory's folders a backup holds: what cases refer to, and what the notifier
/// recorded as sent before it had a store.
pub const FOLDERS: [&str; 4] = ["documents", "uploads", "outbox", "sent"];

/// Why a backup or a restore did not happen, or did not check out.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder the backup file is to be written in does not exist.
    #[error("the folder of --out does not exist: {0}")]
    OutFolder(PathBuf),
    /// The SQLite file to back up is not there.
    #[error("no database at {0}")]
    NoDatabase(PathBuf),
    /// The database said no.
    #[error("database: {0}")]
    Store(#[from] store::Error),
    /// The audit journal could not be read.
    #[error("audit journal: {0}")]
    Journal(#[from] store::audit::Error),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// A PostgreSQL tool is not installed.
    #[error(
        "{0} was not found on PATH: install PostgreSQL's client tools (Debian: postgresql-client)"
    )]
    ToolMissing(&'static str),
    /// A PostgreSQL tool failed.
    #[error("{0} failed: {1}")]
    Tool(&'static str, String),
    /// The file is not a backup this engine reads.
    #[error("not a qyzmet backup: {0}")]
    NotABackup(String),
    /// An entry's content is not what the manifest says.
    #[error("{0} in the archive is damaged: its SHA-256 or size is not the manifest's")]
    Damaged(String),
    /// An entry the manifest lists is not in the archive.
    #[error("{0} is missing from the archive")]
    Missing(String),
    /// The restore's data directory has something in it.
    #[error("{0} is not empty: restore into a new or empty folder")]
    NotEmpty(PathBuf),
    /// The restore's SQLite file exists already.
    #[error("{0} exists already: restore into a new file")]
    DatabaseExists(PathBuf),
    /// The restore's PostgreSQL database has rows.
    #[error(
        "the database {0} is not empty (table {1} has rows): restore into a new one (createdb)"
    )]
    DatabaseNotEmpty(String, String),
    /// A backup of one backend, to be restored to the other.
    #[error(
        "this is a backup of a {backup} database and the target is {target}: restore it to {backup}, then copy it with `qyzmet migrate`"
    )]
    OtherBackend {
        /// The backup's.
        backup: &'static str,
        /// The target's.
        target: &'static str,
    },
    /// Written, but what was restored is not what the manifest says.
    #[error("restored, but {0}")]
    Mismatch(String),
}

/// What a backup reads.
#[derive(Debug, Clone)]
pub struct Source {
    /// The data directory `serve` uses (`documents/`, `uploads/`, `outbox/`, `sent/`).
    pub data_dir: PathBuf,
    /// Its database.
    pub database: Location,
}

/// A backup written.
#[derive(Debug, Clone)]
pub struct Taken {
    /// What it holds.
    pub manifest: Manifest,
    /// The archive's size in bytes.
    pub bytes: u64,
}

/// Takes a backup of `source` into `out`: the database snapshot first, then the files. The
/// archive is written under a temporary name beside `out` and renamed at the end, so a failed
/// backup leaves nothing under `out`.
pub async fn backup(source: &Source, out: &Path) -> Result<Taken, Error> {
    backup_with(source, out, std::future::ready(())).await
}

/// [`backup`], awaiting `between` once the database snapshot is taken and before the files
/// are listed: the tests' way to put work exactly where the module's invariant matters.
#[doc(hidden)]
pub async fn backup_with(
    source: &Source,
    out: &Path,
    between: impl std::future::Future<Output = ()>,
) -> Result<Taken, Error> {
    let folder = match out.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(Error::OutFolder(folder.to_path_buf()));
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Io(format!("{}: not a file name", out.display())))?;
    let staging = Staging::new(folder.join(format!(".{name}.partial-{}", std::process::id())))?;
    let taken_at = Utc::now();
    let (database_entry, tables, audit) = match &source.database {
        Location::Sqlite(file) => {
            if !file.is_file() {
                return Err(Error::NoDatabase(file.clone()));
            }
            let copy = staging.path.join("qyzmet.db");
            let mut live = snapshot::open(&source.database).await?;
            let copied = snapshot::vacuum_into(&mut live, &copy).await;
            live.close().await;
            copied?;
            // Counted from the copy itself: the manifest says what the snapshot holds.
            let mut conn = snapshot::open(&Location::Sqlite(copy.clone())).await?;
            let read = read_snapshot(&mut conn).await;
            conn.close().await;
            let (tables, audit) = read?;
            (("database/qyzmet.db".to_string(), copy), tables, audit)
        }
        Location::Postgres(url) => {
            postgres::tool("pg_dump")?;
            let dump = staging.path.join("qyzmet.pgdump");
            let mut conn = snapshot::open(&source.database).await?;
            let exported = snapshot::export(&mut conn).await;
            let result = match exported {
                Ok(id) => {
                    // The dump and the counts read the same exported snapshot, at once.
                    let (dumped, read) =
                        tokio::join!(postgres::dump(url, &id, &dump), read_snapshot(&mut conn));
                    dumped.and(read)
                }
                Err(e) => Err(e.into()),
            };
            let _ = snapshot::end(&mut conn).await;
            conn.close().await;
            let (tables, audit) = result?;
            (("database/qyzmet.pgdump".to_string(), dump), tables, audit)
        }
    };
    between.await;
    let backend = source.database.backend().name().to_string();
    let data_dir = source.data_dir.clone();
    let archive_path = staging.path.join("backup.tar.gz");
    let written = archive_path.clone();
    let manifest = tokio::task::spawn_blocking(move || {
        // The files are listed now, after the snapshot: see the module's invariant.
        let mut entries = vec![database_entry];
        entries.extend(data_files(&data_dir)?);
        archive::write(&written, &entries, |files| Manifest {
            format: manifest::FORMAT,
            backend,
            taken_at,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            tables,
            audit,
            files,
        })
    })
    .await
    .map_err(|e| Error::Io(format!("the archive's writer stopped: {e}")))??;
    let bytes = std::fs::metadata(&archive_path)
        .map_err(|e| Error::Io(format!("{}: {e}", archive_path.display())))?
        .len();
    std::fs::rename(&archive_path, out)
        .map_err(|e| Error::Io(format!("{}: {e}", out.display())))?;
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(Taken { manifest, bytes })
}

/// The row counts and the audit journal's head of the snapshot `conn` reads.
async fn read_snapshot(conn: &mut Conn) -> Result<(BTreeMap<String, u64>, manifest::Audit), Error> {
    let tables = snapshot::row_counts(conn).await?.into_iter().collect();
    let (verified, broken) = journal(conn).await?;
    Ok((
        tables,
        manifest::Audit {
            records: verified.count,
            last_hash: verified.last_hash,
            broken: broken.map(|b| b.to_string()),
        },
    ))
}

/// The audit journal checked record by record, in pages: how far it verifies, and where it
/// breaks if it does.
async fn journal(conn: &mut Conn) -> Result<(Verified, Option<Broken>), Error> {
    const PAGE: u32 = 1000;
    let mut verifier = Verifier::new();
    let mut after = 0;
    loop {
        let rows = store::audit::page(conn, after, PAGE).await?;
        if rows.is_empty() {
            return Ok((verifier.finish(), None));
        }
        for row in rows {
            let checked = match row {
                Ok(record) => verifier.push(&record).map(|()| record.seq),
                Err(unreadable) => Err(verifier.unreadable(&unreadable)),
            };
            match checked {
                Ok(seq) => after = seq,
                Err(broken) => return Ok((verifier.finish(), Some(broken))),
            }
        }
    }
}

/// Every file under the data directory's [`FOLDERS`], as (archive path, file), in a stable
/// order; files being received (`uploads/tmp/`) and files being placed (hidden `.…tmp`
/// names) are not whole yet and are left out.
fn data_files(data_dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut found = Vec::new();
    for folder in FOLDERS {
        let mut stack = vec![data_dir.join(folder)];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::Io(format!("{}: {e}", dir.display()))),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
                let path = entry.path();
                let kind = entry
                    .file_type()
                    .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if kind.is_dir() {
                    if path != data_dir.join("uploads").join("tmp") {
                        stack.push(path);
                    }
                } else if kind.is_file() && !(name.starts_with('.') && name.ends_with(".tmp")) {
                    let relative = path
                        .strip_prefix(data_dir)
                        .expect("under the data directory")
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    found.push((format!("files/{relative}"), path));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A folder beside the backup file for its parts, removed however the backup ends.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn new(path: PathBuf) -> Result<Staging, Error> {
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        Ok(Staging { path })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Where a restore writes.
#[derive(Debug, Clone)]
pub struct Target {
    /// The new data directory: must not exist, or be empty.
    pub data_dir: PathBuf,
    /// The database, when it is not `qyzmet.db` in the new data directory: an empty
    /// PostgreSQL database (or a new SQLite file).
    pub database: Option<Location>,
}

impl Target {
    /// The database written.
    pub fn location(&self) -> Location {
        self.database
            .clone()
            .unwrap_or_else(|| Location::Sqlite(self.data_dir.join("qyzmet.db")))
    }
}

/// A restore done and checked.
#[derive(Debug, Clone)]
pub struct Restored {
    /// What the backup held.
    pub manifest: Manifest,
    /// The restored database's tables and rows, after its migrations.
    pub tables: Vec<(String, u64)>,
    /// The restored journal, verified.
    pub audit: Verified,
}

/// Restores the backup `from` into `target`; see the module's documentation for the order
/// of the checks. Nothing is written until the whole archive has checked out against its
/// manifest and the target is known to be empty.
pub async fn restore(from: &Path, target: &Target) -> Result<Restored, Error> {
    if let Ok(mut entries) = std::fs::read_dir(&target.data_dir)
        && entries.next().is_some()
    {
        return Err(Error::NotEmpty(target.data_dir.clone()));
    }
    if target.data_dir.exists() && !target.data_dir.is_dir() {
        return Err(Error::NotEmpty(target.data_dir.clone()));
    }
    let checked = from.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || archive::check(&checked))
        .await
        .map_err(|e| Error::Io(format!("the archive's reader stopped: {e}")))??;
    let location = target.location();
    let backup = match manifest.backend.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        other => {
            return Err(Error::NotABackup(format!("unknown backend {other}")));
        }
    };
    if backup != location.backend() {
        return Err(Error::OtherBackend {
            backup: backup.name(),
            target: location.backend().name(),
        });
    }
    let dump = target
        .data_dir
        .join(format!(".restore-{}.pgdump", std::process::id()));
    match &location {
        Location::Sqlite(file) => {
            if file.exists() {
                return Err(Error::DatabaseExists(file.clone()));
            }
        }
        Location::Postgres(_) => {
            postgres::tool("pg_restore")?;
            let mut conn = snapshot::open(&location).await?;
            let rows = snapshot::first_table_with_rows(&mut conn).await;
            conn.close().await;
            if let Some(table) = rows? {
                return Err(Error::DatabaseNotEmpty(location.describe(), table));
            }
        }
    }
    let place = {
        let data_dir = target.data_dir.clone();
        let location = location.clone();
        let dump = dump.clone();
        move |name: &str| -> Option<PathBuf> {
            match (name, &location) {
                ("database/qyzmet.db", Location::Sqlite(file)) => Some(file.clone()),
                ("database/qyzmet.pgdump", Location::Postgres(_)) => Some(dump.clone()),
                _ => {
                    let rest = name.strip_prefix("files/")?;
                    let folder = rest.split('/').next()?;
                    FOLDERS.contains(&folder).then(|| data_dir.join(rest))
                }
            }
        }
    };
    if let Some(odd) = manifest.files.iter().find(|f| place(&f.path).is_none()) {
        return Err(Error::NotABackup(format!(
            "{} has no place in a data directory",
            odd.path
        )));
    }
    std::fs::create_dir_all(&target.data_dir)
        .map_err(|e| Error::Io(format!("{}: {e}", target.data_dir.display())))?;
    // The database first, then the files.
    extract(from, &manifest, true, place.clone()).await?;
    if let Location::Postgres(url) = &location {
        let restored = postgres::restore(url, &dump).await;
        let _ = std::fs::remove_file(&dump);
        restored?;
    }
    extract(from, &manifest, false, place).await?;
    // Opened as `serve` opens it: a newer engine's migrations apply here.
    let store = Store::open(&location).await?;
    let checked = check_restored(&store, &manifest).await;
    store.close().await;
    let (tables, audit) = checked?;
    Ok(Restored {
        manifest,
        tables,
        audit,
    })
}

/// Writes the archive's database entry (`database`), or its files, where `place` says.
async fn extract(
    from: &Path,
    manifest: &Manifest,
    database: bool,
    place: impl Fn(&str) -> Option<PathBuf> + Send + 'static,
) -> Result<(), Error> {
    let (from, manifest) = (from.to_path_buf(), manifest.clone());
    tokio::task::spawn_blocking(move || {
        archive::extract(
            &from,
            &manifest,
            |name| name.starts_with("database/") == database,
            place,
        )
    })
    .await
    .map_err(|e| Error::Io(format!("the archive's reader stopped: {e}")))?
}

/// The restored journal verified to the manifest's head, and every table the backup counted
/// holding as many rows.
async fn check_restored(
    store: &Store,
    manifest: &Manifest,
) -> Result<(Vec<(String, u64)>, Verified), Error> {
    let mut conn = store.read().await?;
    let tables = snapshot::row_counts(&mut conn).await;
    let journal = journal(&mut conn).await;
    conn.close().await;
    let (tables, (verified, broken)) = (tables?, journal?);
    match (broken, &manifest.audit.broken) {
        (None, None) => {}
        (Some(b), Some(expected)) if &b.to_string() == expected => {}
        (Some(b), _) => {
            return Err(Error::Mismatch(format!(
                "its audit journal does not verify: {b}"
            )));
        }
        (None, Some(expected)) => {
            return Err(Error::Mismatch(format!(
                "its audit journal verifies, and the backup's was broken ({expected})"
            )));
        }
    }
    if verified.count != manifest.audit.records || verified.last_hash != manifest.audit.last_hash {
        return Err(Error::Mismatch(format!(
            "its audit journal ends at record {} ({}), the backup's at {} ({})",
            verified.count,
            short(&verified.last_hash),
            manifest.audit.records,
            short(&manifest.audit.last_hash)
        )));
    }
    let restored: BTreeMap<&str, u64> = tables.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    for (table, rows) in &manifest.tables {
        let found = restored.get(table.as_str()).copied().unwrap_or(0);
        if found != *rows {
            return Err(Error::Mismatch(format!(
                "table {table} has {found} rows, the backup {rows}"
            )));
        }
    }
    Ok((tables, verified))
}

/// The first 16 hex digits of a hash, as the commands print it.
pub fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}
