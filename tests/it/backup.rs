//! `qyzmet backup` and `qyzmet restore` (issue #19 item 1): a backup taken while the service
//! takes applications, clerks work and jobs run restores into a new data directory with
//! every application answered before it began, each case as the source had it at one point,
//! the audit journal a verified prefix of the source's, every file a restored row names with
//! the same bytes — and the restored installation runs.
//!
//! On SQLite always; on PostgreSQL with `QYZMET_TEST_BACKEND=postgres` (`tests/run`).
//! `QYZMET_BENCH_BACKUP=N` also times a backup and a restore of N cases.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use qyzmet::audit::{Action, Entry};
use qyzmet::backup::{self, Source, Target};
use qyzmet::clock::{Clock, ManualClock};
use qyzmet::runtime::{Language, Submission};
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::store::{self, Location, Store, tx};
use serde_json::json;
use sqlx::Connection;

use crate::backends::{self, fixture};
use crate::cli::qyzmet;
use crate::service::{IIN, acceptance_form, almaty};

/// A service on `data` as `serve` starts it, with the simulator and the file outbox.
async fn service(data: &Path, database: Option<Location>, clock: Arc<ManualClock>) -> Service {
    let config = data.with_extension("yaml");
    std::fs::write(&config, "gateway:\n  simulator: true\n").unwrap();
    Service::start(Options {
        database,
        data_dir: data.to_path_buf(),
        workflows: "workflows".into(),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: FileConfig::load(&config).expect("the configuration loads"),
        clock,
        env: Arc::new(|_| None),
    })
    .await
    .expect("the service starts")
}

fn application(n: usize) -> Submission {
    Submission {
        data: json!({ "applicant.iin": IIN, "applicant.email": format!("a{n}@example.kz") }),
        channel: "state_corporation".into(),
        language: if n.is_multiple_of(2) {
            Language::Kk
        } else {
            Language::Ru
        },
        sms_consent: false,
        region: "almaty".into(),
    }
}

/// The restore's database: the SQLite file in the new folder, or a new scratch database.
async fn restore_target(data_dir: PathBuf) -> Target {
    let database = match backends::under_test() {
        store::Backend::Sqlite => None,
        store::Backend::Postgres => Some(backends::scratch_postgres().await),
    };
    Target { data_dir, database }
}

/// Every file under `dir`, by its path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    for folder in backup::FOLDERS {
        let mut stack = vec![dir.join(folder)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(dir).unwrap().display().to_string();
                    found.insert(relative, std::fs::read(&path).unwrap());
                }
            }
        }
    }
    found
}

/// The journal's records' hashes, in order.
async fn journal_hashes(s: &Store) -> Vec<String> {
    let mut read = s.read().await.unwrap();
    let mut hashes = Vec::new();
    let mut after = 0;
    loop {
        let rows = store::audit::page(&mut read, after, 1000).await.unwrap();
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let record = row.unwrap();
            after = record.seq;
            hashes.push(record.hash);
        }
    }
    read.close().await;
    hashes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_with_nothing_missing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = backends::database(dir.path()).await;
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let svc = service(&data, database.clone(), clock.clone()).await;
    let engine = svc.engine.clone();

    // The load: three applicants' offices submitting, a clerk accepting the documents of
    // every other case answered, and the job loop running data requests and notices.
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = tokio::task::JoinSet::new();
    for office in 0..3 {
        let (engine, answered, stop) = (engine.clone(), answered.clone(), stop.clone());
        load.spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let number = engine
                    .submit(
                        "rehabilitated-person-certificate",
                        application(office * 100 + i),
                    )
                    .await
                    .unwrap();
                answered.lock().unwrap().push(number);
            }
        });
    }
    {
        let (engine, stop) = (engine.clone(), stop.clone());
        load.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                engine.drain().await.unwrap();
                tokio::task::yield_now().await;
            }
        });
    }
    {
        let (engine, answered, stop) = (engine.clone(), answered.clone(), stop.clone());
        load.spawn(async move {
            let mut done = BTreeSet::new();
            while !stop.load(Ordering::SeqCst) {
                let numbers: Vec<String> = answered
                    .lock()
                    .unwrap()
                    .iter()
                    .step_by(2)
                    .cloned()
                    .collect();
                for number in numbers {
                    if done.contains(&number) {
                        continue;
                    }
                    let tasks = engine
                        .store()
                        .tasks(None, None, Some(&number))
                        .await
                        .unwrap();
                    if let Some(task) = tasks.iter().find(|t| t.step == "accept_documents") {
                        let journalled =
                            Entry::new("operator1", Action::TaskCompleted).object(task.key.clone());
                        engine
                            .recording(journalled)
                            .complete(&task.key, "complete", acceptance_form(), "operator1")
                            .await
                            .unwrap();
                        done.insert(number);
                    }
                }
                tokio::task::yield_now().await;
            }
        });
    }

    // The backup, in the middle of it: what was answered before it began must be in it.
    // (once some notices have gone, so some rows name files).
    let sent = |dir: &Path| std::fs::read_dir(dir.join("outbox/email")).map_or(0, |d| d.count());
    while answered.lock().unwrap().len() < 60 || sent(&data) < 3 {
        tokio::task::yield_now().await;
    }
    let before: Vec<String> = answered.lock().unwrap().clone();
    let file = dir.path().join("backup.tar.gz");
    let source = Source {
        data_dir: data.clone(),
        database: engine.store().location().clone(),
    };
    // Between the snapshot and the listing of the files, clerks accept more documents and
    // their notices go: files the snapshot does not name, which is harmless; the other way
    // round, rows would name files the backup lacks.
    let between = {
        let (engine, answered) = (engine.clone(), answered.clone());
        async move {
            let numbers: Vec<String> = answered.lock().unwrap().clone();
            let mut accepted = 0;
            for number in numbers.iter().rev() {
                let tasks = engine
                    .store()
                    .tasks(None, None, Some(number))
                    .await
                    .unwrap();
                let Some(task) = tasks.iter().find(|t| t.step == "accept_documents") else {
                    continue;
                };
                if engine
                    .complete(&task.key, "complete", acceptance_form(), "operator2")
                    .await
                    .is_ok()
                {
                    accepted += 1;
                }
                if accepted == 5 {
                    break;
                }
            }
            // The jobs ready now, once (a drain would wait out the offices' load).
            for _ in 0..3 {
                engine.run_jobs_once(100).await.unwrap();
            }
        }
    };
    let taken = backup::backup_with(&source, &file, between)
        .await
        .expect("the backup is taken");
    let during = answered.lock().unwrap().len();

    // The load goes on after it, then finishes; the clock moves a day so timers fire too.
    while answered.lock().unwrap().len() < during + 30 {
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::SeqCst);
    while let Some(joined) = load.join_next().await {
        joined.unwrap();
    }
    clock.advance(Duration::days(1));
    engine.drain().await.unwrap();
    let total = answered.lock().unwrap().len() as u64;
    assert!(
        taken.manifest.tables["cases"] >= before.len() as u64
            && taken.manifest.tables["cases"] < total,
        "the backup was taken in the middle of the load"
    );

    // Restored into a new folder (and a new database), as an administrator would.
    let new = dir.path().join("restored");
    let target = restore_target(new.clone()).await;
    let restored = backup::restore(&file, &target)
        .await
        .expect("the backup restores");
    assert_eq!(restored.manifest, taken.manifest);
    let copy = Store::open(target.location()).await.unwrap();
    let source_store = engine.store();

    // Every case answered before the backup began is there, with its history as the source
    // had it at one point: a prefix of the source's.
    let cases = restored
        .tables
        .iter()
        .find(|(t, _)| t == "cases")
        .map(|(_, n)| *n)
        .unwrap();
    assert!(cases >= before.len() as u64);
    let mut all_numbers = answered.lock().unwrap().clone();
    all_numbers.sort();
    let mut restored_cases = Vec::new();
    for number in &all_numbers {
        let Some(case) = copy.case_by_number(number).await.unwrap() else {
            assert!(
                !before.contains(number),
                "{number} was answered before the backup began and is missing"
            );
            continue;
        };
        let theirs = source_store.case_by_number(number).await.unwrap().unwrap();
        let history = copy.history(case.id).await.unwrap();
        let source_history = source_store.history(theirs.id).await.unwrap();
        assert!(
            !history.is_empty() && source_history.starts_with(&history),
            "{number}: the restored history is a prefix of the source's"
        );
        // Its open tasks are the ones its state has open; its jobs were the source's.
        let tasks: BTreeSet<String> = copy
            .tasks(None, None, Some(number))
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.key)
            .collect();
        let open: BTreeSet<String> = case.tasks.keys().cloned().collect();
        assert_eq!(tasks, open, "{number}: the task rows are the state's tasks");
        let source_jobs: BTreeMap<String, serde_json::Value> = source_store
            .jobs_of_case(theirs.id)
            .await
            .unwrap()
            .into_iter()
            .map(|j| (j.key.clone(), serde_json::to_value(&j.work).unwrap()))
            .collect();
        for job in copy.jobs_of_case(case.id).await.unwrap() {
            assert_eq!(
                source_jobs.get(&job.key),
                Some(&serde_json::to_value(&job.work).unwrap()),
                "{number}: job {} is the source's",
                job.key
            );
        }
        restored_cases.push((number.clone(), case));
    }
    assert_eq!(
        restored_cases.len() as u64,
        cases,
        "no case but the source's"
    );
    // Every timer belongs to a restored case that is still running.
    let mut read = copy.read().await.unwrap();
    let timers = tx::due_timers(&mut read, almaty(2100, 1, 1, 0, 0), 10_000)
        .await
        .unwrap();
    read.close().await;
    let running: BTreeSet<i64> = restored_cases
        .iter()
        .filter(|(_, c)| c.status == qyzmet::runtime::Status::Active)
        .map(|(_, c)| c.id)
        .collect();
    assert!(
        !timers.is_empty(),
        "the restored cases wait on their timers"
    );
    for timer in &timers {
        assert!(
            running.contains(&timer.case_id),
            "timer {} has its case",
            timer.key
        );
    }

    // The journal verifies (the restore checked it) and is a prefix of the source's.
    let ours = journal_hashes(&copy).await;
    let theirs = journal_hashes(source_store).await;
    assert_eq!(ours.len() as u64, taken.manifest.audit.records);
    assert!(
        !ours.is_empty() && theirs.starts_with(&ours),
        "the restored journal is a prefix of the source's"
    );

    // Every file a restored row names is there with the source's bytes: each e-mail job
    // done in the copy has its message in the outbox; and every restored file is the
    // source's, byte for byte.
    let restored_files = files(&new);
    let source_files = files(&data);
    for (path, bytes) in &restored_files {
        assert_eq!(
            source_files.get(path),
            Some(bytes),
            "{path} is the source's"
        );
    }
    let mut emails = 0;
    for (number, case) in &restored_cases {
        for job in copy.jobs_of_case(case.id).await.unwrap() {
            if job.status != store::JobStatus::Done
                || !matches!(job.work, qyzmet::runtime::Work::Notify { .. })
            {
                continue;
            }
            let name = qyzmet::notify::sent::file_key(&job.key, "");
            let found = restored_files
                .keys()
                .any(|p| p.starts_with("outbox/") && p.contains(&name));
            assert!(
                found,
                "{number}: the message of job {} is in the outbox",
                job.key
            );
            emails += 1;
        }
    }
    assert!(emails > 0, "some notices were sent before the backup");
    copy.close().await;
    drop(copy);

    // The restored installation runs: a case waiting for its documents is accepted.
    drop(svc);
    drop(engine);
    let (number, _) = restored_cases
        .iter()
        .find(|(_, c)| c.tasks.values().any(|t| t.step == "accept_documents"))
        .expect("a restored case waits for its documents");
    let again = service(&new, target.database.clone(), clock.clone()).await;
    let tasks = again
        .engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap();
    let task = tasks.iter().find(|t| t.step == "accept_documents").unwrap();
    again
        .engine
        .complete(&task.key, "complete", acceptance_form(), "operator1")
        .await
        .unwrap();
    again.engine.drain().await.unwrap();
    let view = again.engine.case(number).await.unwrap().unwrap();
    assert!(
        view.history
            .iter()
            .any(|h| h.kind == "task_completed" && h.step.as_deref() == Some("accept_documents")),
        "the restored case moved on"
    );
}

/// A data directory with a database of the fixture service (three cases), a document and a
/// scan, stopped; returns the database when it is not the SQLite file in it.
async fn installation(data: &Path) -> Option<Location> {
    std::fs::create_dir_all(data).unwrap();
    let database = backends::database(data).await;
    let location = database
        .clone()
        .unwrap_or_else(|| Location::Sqlite(data.join("qyzmet.db")));
    let clock = Arc::new(ManualClock::new(fixture::almaty(2026, 11, 23, 10, 0)));
    let engine = fixture::engine(&location, clock, data.join("outbox")).await;
    for _ in 0..3 {
        engine
            .submit("all-kinds", fixture::submission())
            .await
            .unwrap();
    }
    engine.drain().await.unwrap();
    drop(engine);
    std::fs::create_dir_all(data.join("documents")).unwrap();
    std::fs::write(
        data.join("documents/QZ-2026-000001_3a_2_3a_1.html"),
        "<p>Анықтама / Справка</p>",
    )
    .unwrap();
    std::fs::create_dir_all(data.join("uploads/ab")).unwrap();
    std::fs::write(data.join("uploads/ab/abcdef"), b"%PDF-1.4 scan").unwrap();
    database
}

fn url(database: &Option<Location>) -> Vec<String> {
    match database {
        Some(Location::Postgres(url)) => vec!["--database".into(), url.clone()],
        _ => vec![],
    }
}

fn run(args: &[String]) -> (i32, String, String) {
    qyzmet(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[tokio::test]
async fn the_commands_back_up_restore_and_refuse_what_they_must() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = installation(&data).await;
    let file = dir.path().join("b.tar.gz");
    let s = |p: &Path| p.display().to_string();

    let mut args = vec![
        "backup".into(),
        "--out".into(),
        s(&file),
        "--data-dir".into(),
        s(&data),
    ];
    args.extend(url(&database));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("backup of "), "{out}");
    assert!(
        out.contains(&format!("written to {}", file.display())),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["cases", "3"]),
        "{out}"
    );
    assert!(out.contains("files: "), "{out}");
    assert!(
        out.contains("documents 1") && out.contains("uploads 1"),
        "{out}"
    );
    assert!(out.contains("audit journal: "), "{out}");
    // Every citizen's data are in it: readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file is left: {leftovers:?}"
    );

    // Restored into a new folder.
    let new = dir.path().join("new");
    let target = restore_target(new.clone()).await;
    let mut args = vec![
        "restore".into(),
        "--from".into(),
        s(&file),
        "--data-dir".into(),
        s(&new),
    ];
    args.extend(url(&target.database));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with(&format!("restored {}", file.display())),
        "{out}"
    );
    assert!(out.contains("audit journal intact: "), "{out}");
    assert!(out.contains(", as in the backup"), "{out}");
    assert_eq!(files(&new), files(&data), "the files are the source's");
    let copy = Store::open(target.location()).await.unwrap();
    assert!(
        copy.case_by_number("QZ-2026-000003")
            .await
            .unwrap()
            .is_some()
    );
    copy.close().await;
    drop(copy);

    // Into a database that has rows (PostgreSQL): refused, nothing written.
    if let Some(Location::Postgres(used)) = &target.database {
        let (code, _, err) = run(&[
            "restore".into(),
            "--from".into(),
            s(&file),
            "--data-dir".into(),
            s(&dir.path().join("again")),
            "--database".into(),
            used.clone(),
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("is not empty (table "), "{err}");
        assert!(!dir.path().join("again").exists(), "nothing written");
    }

    // A backup that fails (no database there) leaves no file.
    let failed = dir.path().join("failed.tar.gz");
    let (code, _, err) = run(&[
        "backup".into(),
        "--out".into(),
        s(&failed),
        "--data-dir".into(),
        s(&dir.path().join("empty")),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no backup was written: no database at"),
        "{err}"
    );
    assert!(!failed.exists(), "no file under --out");

    // Into a folder that is not empty: refused, nothing written.
    let busy = dir.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "keep").unwrap();
    let (code, _, err) = run(&[
        "restore".into(),
        "--from".into(),
        s(&file),
        "--data-dir".into(),
        s(&busy),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_dir(&busy).unwrap().count(),
        1,
        "nothing written"
    );

    // One byte changed in one file of the archive: refused, naming it, nothing written.
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
        .read_to_end(&mut tar)
        .unwrap();
    let at = tar
        .windows(9)
        .position(|w| w == b"%PDF-1.4 ")
        .expect("the scan is in the archive");
    tar[at + 9] ^= 0x20;
    let damaged = dir.path().join("damaged.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&damaged).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let (code, _, err) = run(&[
        "restore".into(),
        "--from".into(),
        s(&damaged),
        "--data-dir".into(),
        s(&elsewhere),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("files/uploads/ab/abcdef") && err.contains("damaged"),
        "{err}"
    );
    assert!(!elsewhere.exists(), "nothing written");

    // A backup of the other backend: refused, pointing at `qyzmet migrate`.
    if database.is_none() {
        let other = backends::scratch_postgres().await;
        let Location::Postgres(other_url) = &other else {
            unreachable!()
        };
        let (code, _, err) = run(&[
            "restore".into(),
            "--from".into(),
            s(&file),
            "--data-dir".into(),
            s(&elsewhere),
            "--database".into(),
            other_url.clone(),
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("qyzmet migrate"), "{err}");
        assert!(!elsewhere.exists(), "nothing written");
    }

    // The folder of --out missing.
    let (code, _, err) = run(&[
        "backup".into(),
        "--out".into(),
        s(&dir.path().join("no/such/folder/b.tar.gz")),
        "--data-dir".into(),
        s(&data),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the folder of --out does not exist"), "{err}");
}

#[tokio::test]
async fn an_sqlite_backup_completes_beside_an_open_write_transaction_and_leaves_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let location = Location::Sqlite(data.join("qyzmet.db"));
    let clock = Arc::new(ManualClock::new(fixture::almaty(2026, 11, 23, 10, 0)));
    let engine = fixture::engine(&location, clock.clone(), data.join("outbox")).await;
    let number = engine
        .submit("all-kinds", fixture::submission())
        .await
        .unwrap();

    // Another program holds the write lock, mid-change.
    let mut other =
        sqlx::SqliteConnection::connect(&format!("sqlite:{}", data.join("qyzmet.db").display()))
            .await
            .unwrap();
    sqlx::query("begin immediate")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("update cases set region = 'astana'")
        .execute(&mut other)
        .await
        .unwrap();

    let file = dir.path().join("b.tar.gz");
    let source = Source {
        data_dir: data.clone(),
        database: location.clone(),
    };
    let taken = backup::backup(&source, &file)
        .await
        .expect("the backup does not wait for the writer");
    sqlx::query("commit").execute(&mut other).await.unwrap();
    let _ = other.close().await;
    assert_eq!(taken.manifest.tables["cases"], 1);
    drop(engine);

    let new = dir.path().join("new");
    let target = Target {
        data_dir: new.clone(),
        database: None,
    };
    backup::restore(&file, &target).await.expect("it restores");
    let region = |file: PathBuf| async move {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", file.display()))
            .await
            .unwrap();
        let (region,): (String,) = sqlx::query_as("select region from cases")
            .fetch_one(&mut c)
            .await
            .unwrap();
        let _ = c.close().await;
        region
    };
    assert_eq!(
        region(data.join("qyzmet.db")).await,
        "astana",
        "the change committed"
    );
    assert_eq!(
        region(new.join("qyzmet.db")).await,
        "almaty",
        "the backup holds what was committed when it began, not the change under way"
    );
    let copy = Store::open(target.location()).await.unwrap();
    assert!(copy.case_by_number(&number).await.unwrap().is_some());
    copy.close().await;
}

/// `QYZMET_BENCH_BACKUP=N cargo test --release --test it backup::bench` times a backup and a
/// restore of N cases of the fixture service (on PostgreSQL with `QYZMET_TEST_BACKEND`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_backup_and_restore() {
    let Some(n) = std::env::var("QYZMET_BENCH_BACKUP")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let database = backends::database(&data)
        .await
        .unwrap_or_else(|| Location::Sqlite(data.join("qyzmet.db")));
    let clock = Arc::new(ManualClock::new(fixture::almaty(2026, 11, 23, 10, 0)));
    let engine = fixture::engine(&database, clock.clone(), data.join("outbox")).await;
    let mut submitting = tokio::task::JoinSet::new();
    for w in 0..16 {
        let engine = engine.clone();
        submitting.spawn(async move {
            for _ in (w..n).step_by(16) {
                engine
                    .submit("all-kinds", fixture::submission())
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(j) = submitting.join_next().await {
        j.unwrap();
    }
    let file = dir.path().join("b.tar.gz");
    let started = std::time::Instant::now();
    let taken = backup::backup(
        &Source {
            data_dir: data.clone(),
            database: database.clone(),
        },
        &file,
    )
    .await
    .unwrap();
    let backup_time = started.elapsed();
    let target = restore_target(dir.path().join("new")).await;
    let started = std::time::Instant::now();
    backup::restore(&file, &target).await.unwrap();
    let restore_time = started.elapsed();
    println!(
        "{} cases on {}: backup {:.2?}, restore {:.2?}, archive {} bytes, rows {}",
        n,
        database.backend().name(),
        backup_time,
        restore_time,
        taken.bytes,
        taken.manifest.tables.values().sum::<u64>()
    );
    let _ = clock.now();
}
