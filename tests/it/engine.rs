//! The engine shell over a real SQLite database: what a clerk and a citizen see through
//! the API, and what survives a restart. Time is a manual clock; nothing sleeps.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Actor, Language, Settings, Status, Submission};
use qyzmet::store::Location;
use qyzmet::worker::outbox::FileOutbox;
use qyzmet::worker::{self, Config, Engine};

use crate::backends;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Almaty local time (UTC+5) as UTC.
fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
}

struct Harness {
    engine: Engine,
    clock: Arc<ManualClock>,
    outbox: Arc<FileOutbox>,
    _dir: tempfile::TempDir,
}

/// The fixture services with one step of every kind.
const FIXTURES: &str = "tests/fixtures/definitions/valid";

/// An engine on `workflows` as `qyzmet serve` builds it, with a manual clock and a file outbox.
async fn start(
    workflows: &str,
    database: Location,
    clock: Arc<ManualClock>,
    outbox: Arc<FileOutbox>,
) -> Engine {
    Engine::start(Config {
        database,
        workflows: PathBuf::from(workflows),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock,
        performer: outbox,
        number_prefix: "QZ".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("the engine starts on {workflows}: {e}"))
}

async fn harness(database: Option<Location>, dir: tempfile::TempDir, at: DateTime<Utc>) -> Harness {
    let database = match database {
        Some(d) => d,
        None => backends::location(dir.path()).await,
    };
    let clock = Arc::new(ManualClock::new(at));
    let outbox = Arc::new(FileOutbox::new(dir.path().join("outbox")));
    let engine = start(FIXTURES, database, clock.clone(), outbox.clone()).await;
    Harness {
        engine,
        clock,
        outbox,
        _dir: dir,
    }
}

fn submission() -> Submission {
    Submission {
        data: json!({ "applicant.iin": "850315300128", "applicant.account": "KZ01", "applicant.language": "kk" }),
        channel: "state_corporation".into(),
        language: Language::Kk,
        sms_consent: true,
        region: "almaty".into(),
    }
}

async fn only_task(engine: &Engine, number: &str) -> qyzmet::store::TaskRow {
    let mut tasks = engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    tasks.remove(0)
}

/// A fixture case submitted and accepted by the operator; its registration number.
async fn accepted(engine: &Engine) -> String {
    let number = engine.submit("all-kinds", submission()).await.unwrap();
    let accept = only_task(engine, &number).await;
    engine
        .complete(&accept.key, "complete", json!({}), "op")
        .await
        .unwrap();
    number
}

fn files(dir: &std::path::Path, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(kind))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_case_runs_end_to_end_and_every_effect_is_done_once() {
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let e = &h.engine;
    let number = e.submit("all-kinds", submission()).await.unwrap();
    assert_eq!(number, "QZ-2026-000001");

    // The acceptance task is in the operator's queue, due in the 20-minute norm.
    let queue = e
        .store()
        .tasks(Some("front_office_operator"), Some("almaty"), None)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].due_at, Some(almaty(2026, 11, 23, 10, 20)));
    let accept = &queue[0].key;

    // A claimed task belongs to its clerk: another clerk's completion is a conflict.
    e.claim(accept, "operator1").await.unwrap();
    let err = e.claim(accept, "operator2").await.unwrap_err();
    assert!(matches!(err, worker::Error::Conflict(_)), "{err}");
    let err = e
        .complete(accept, "complete", json!({}), "operator2")
        .await
        .unwrap_err();
    assert!(matches!(err, worker::Error::Conflict(_)), "{err}");
    e.complete(accept, "complete", json!({}), "operator1")
        .await
        .unwrap();
    let err = e
        .complete(accept, "complete", json!({}), "operator1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already completed"), "{err}");

    // The requests are answered by the stub gateway after commit; the review follows.
    e.drain().await.unwrap();
    let review = only_task(e, &number).await;
    assert_eq!(review.step, "review");
    e.complete(&review.key, "approve", json!({}), "specialist1")
        .await
        .unwrap();

    // One working day's cool-off: nothing fires before its time, then the case ends.
    e.drain().await.unwrap();
    assert_eq!(
        e.case(&number).await.unwrap().unwrap().case.status,
        Status::Active
    );
    h.clock.set(almaty(2026, 11, 24, 18, 0));
    e.drain().await.unwrap();
    let view = e.case(&number).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Completed);
    assert_eq!(view.case.result.as_deref(), Some("issued"));
    assert_eq!(
        view.history.iter().filter(|h| h.kind == "closed").count(),
        1
    );
    assert!(view.tasks.is_empty());

    // Each notification, document and stage report was written once, named by its key.
    let dir = h.outbox.dir.clone();
    assert_eq!(files(&dir, "notify").len(), 1, "the acceptance notice");
    assert_eq!(files(&dir, "document").len(), 1, "the receipt");
    assert_eq!(
        files(&dir, "stage").len(),
        3,
        "accepted, data_requested, decision_made"
    );
    let counts = e.store().counts().await.unwrap();
    assert_eq!(
        counts["jobs"],
        json!({ "done": 7 }),
        "5 written + 2 requests answered: {counts}"
    );
    assert_eq!(counts["timers"], 0);
}

#[tokio::test]
async fn work_committed_before_a_restart_goes_on_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = backends::location(dir.path()).await;
    let outbox_dir = dir.path().join("outbox");
    let number = {
        let h = harness(
            Some(db.clone()),
            tempfile::tempdir().unwrap(),
            almaty(2026, 11, 23, 10, 0),
        )
        .await;
        let number = accepted(&h.engine).await;
        // The engine stops here: the outbox jobs are committed but not performed.
        number
    };
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 11, 0)));
    let outbox = Arc::new(FileOutbox::new(outbox_dir.clone()));
    let engine = start(FIXTURES, db, clock, outbox).await;
    engine.drain().await.unwrap();
    let review = only_task(&engine, &number).await;
    assert_eq!(review.step, "review", "the requests ran after the restart");
    assert_eq!(files(&outbox_dir, "notify").len(), 1);
}

/// Performs outbox work as the file outbox does, except the first job it is given: that
/// one hangs (a gateway that does not answer) until the test lets it go.
struct FirstHangs {
    outbox: FileOutbox,
    first: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<String>>>,
    release: tokio::sync::Semaphore,
    performed: tokio::sync::mpsc::UnboundedSender<String>,
}

impl qyzmet::worker::jobs::Performer for FirstHangs {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a qyzmet::runtime::Work,
    ) -> qyzmet::worker::jobs::BoxFuture<'a, Result<Value, qyzmet::worker::jobs::JobError>> {
        Box::pin(async move {
            let hung = self.first.lock().unwrap().take();
            if let Some(hung) = hung {
                let _ = hung.send(key.to_string());
                let _ = self.release.acquire().await.unwrap();
            }
            let done = self.outbox.perform(key, work).await;
            let _ = self.performed.send(key.to_string());
            done
        })
    }
}

/// The case of the job `key`, as the store keeps it.
async fn job_case(engine: &Engine, key: &str) -> i64 {
    let job = engine.store().job(key).await.unwrap();
    job.unwrap_or_else(|| panic!("job {key} is kept")).case_id
}

#[tokio::test]
async fn a_job_that_hangs_does_not_hold_back_the_jobs_after_it() {
    // The job loop leases, performs and records; a job whose far side does not answer must
    // not stop the loop from performing the jobs that became ready after it (another
    // citizen's notice, another case's data request) until it does.
    let dir = tempfile::tempdir().unwrap();
    let database = backends::location(dir.path()).await;
    let (hung_tx, hung_rx) = tokio::sync::oneshot::channel();
    let (performed_tx, mut performed) = tokio::sync::mpsc::unbounded_channel();
    let performer = Arc::new(FirstHangs {
        outbox: FileOutbox::new(dir.path().join("outbox")),
        first: std::sync::Mutex::new(Some(hung_tx)),
        release: tokio::sync::Semaphore::new(0),
        performed: performed_tx,
    });
    let engine = Engine::start(Config {
        database,
        workflows: PathBuf::from(FIXTURES),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock: Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0))),
        performer: performer.clone(),
        number_prefix: "QZ".into(),
    })
    .await
    .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let mut loops = engine.spawn_loops(stop.clone());
    let wait = std::time::Duration::from_secs(30);

    let first = engine.submit("all-kinds", submission()).await.unwrap();
    let hung = tokio::time::timeout(wait, hung_rx)
        .await
        .expect("the first case's jobs are leased")
        .unwrap();
    assert_eq!(
        job_case(&engine, &hung).await,
        1,
        "{hung} is the first case's"
    );

    // The second case's jobs are performed while the first one still hangs.
    let second = engine.submit("all-kinds", submission()).await.unwrap();
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("QZ-2026-000001", "QZ-2026-000002")
    );
    let of_second = tokio::time::timeout(wait, async {
        while let Some(key) = performed.recv().await {
            assert_ne!(key, hung, "the hanging job is still hanging");
            if job_case(&engine, &key).await == 2 {
                return key;
            }
        }
        panic!("the performer went away");
    })
    .await
    .unwrap_or_else(|_| panic!("no job of {second} was performed while {hung} hung"));
    // Let go, the hanging job is performed and recorded too, once.
    performer.release.add_permits(1);
    let late = tokio::time::timeout(wait, async {
        while let Some(key) = performed.recv().await {
            if key == hung {
                return key;
            }
        }
        panic!("the performer went away");
    })
    .await
    .expect("the hanging job ends once let go");
    stop.cancel();
    while loops.join_next().await.is_some() {}
    // Each was recorded once, the one that hung included, on its first attempt.
    for key in [&of_second, &late] {
        let job = engine
            .store()
            .job(key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("job {key} is kept"));
        assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "{job:?}");
    }
}

/// The engine's writer commits without checkpointing the SQLite log (a checkpoint inside a
/// commit held up every transition of its batch); the checkpointer beside it copies the log
/// into the database file. Were it not to, the log would grow with every case and the file
/// stay as the migrations left it.
#[tokio::test]
async fn the_sqlite_log_is_copied_into_the_database_file_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qyzmet.db");
    let h = harness(
        Some(Location::Sqlite(path.clone())),
        dir,
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let started = size(&path);
    let mut commits = 0;
    // Cases until the file has grown by a megabyte: each commit wakes the checkpointer,
    // which copies the log at most every 100 ms, so a fast machine needs a few hundred.
    while size(&path) < started + 1_048_576 {
        accepted(&h.engine).await;
        commits += 2;
        assert!(
            commits < 20_000,
            "after {commits} commits the database file is still {} bytes (from {started}) and the log {}",
            size(&path),
            size(&path.with_extension("db-wal"))
        );
    }
    // Nothing written is lost by the copying: every case reads back.
    let counts = h.engine.store().counts().await.unwrap();
    assert_eq!(counts["cases"]["active"], commits / 2, "{counts}");
}

#[tokio::test]
async fn a_storm_of_due_timers_is_fired_in_batches_without_losing_one() {
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let e = &h.engine;
    let mut numbers = Vec::new();
    for _ in 0..120 {
        let number = accepted(e).await;
        numbers.push(number);
    }
    e.drain().await.unwrap();
    for number in &numbers {
        let review = only_task(e, number).await;
        e.complete(&review.key, "approve", json!({}), "spec")
            .await
            .unwrap();
    }
    // 120 timers due at once, fired 50 at a time: each batch is one command among others.
    h.clock.set(almaty(2026, 11, 25, 9, 0));
    let mut batches = 0;
    while e.fire_due_timers(50).await.unwrap() > 0 {
        batches += 1;
    }
    assert_eq!(batches, 3);
    for number in &numbers {
        let view = e.case(number).await.unwrap().unwrap();
        assert_eq!(view.case.result.as_deref(), Some("issued"), "{number}");
        // The timer fired late; the history says by how much (15 hours).
        let fired = view
            .history
            .iter()
            .find(|h| h.kind == "timer_fired")
            .unwrap();
        assert_eq!(fired.detail["late_seconds"], 15 * 3600);
    }
}

/// The number of commands in each batch the writer commits, and how many batches ran again.
#[derive(Default)]
struct Batches(std::sync::Mutex<Vec<usize>>, std::sync::atomic::AtomicUsize);

impl worker::Observer for Batches {
    fn batch_committed(&self, commands: usize, _took: std::time::Duration) {
        self.0.lock().unwrap().push(commands);
    }
    fn timer_fired(&self, _late: Duration) {}
    fn batch_run_again(&self) {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a clerk reads of a case: its status and result, each history line's kind and step
/// in order, its open tasks' steps, and what a search by the applicant's IIN shows of it
/// (status, result, applicant's IIN).
type CaseFile = (
    Status,
    Option<String>,
    Vec<(String, Option<String>)>,
    Vec<String>,
    (Status, Option<String>, Option<String>),
);

/// What [`three_cases`] answers: each case's file, the store's counts, the largest batch of
/// the seven commands on the three cases, and how many batches ran again after a store
/// error.
type ThreeCases = (Vec<CaseFile>, Value, usize, usize);

/// Runs three applications through the same commands, either sent together (so the writer
/// takes them in one batch and writes them together) or one after the other.
async fn three_cases(together: bool) -> ThreeCases {
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let e = &h.engine;
    let batches = Arc::new(Batches::default());
    e.observe(batches.clone());
    let numbers = if together {
        let (a, b, c) = tokio::join!(
            e.submit("all-kinds", submission()),
            e.submit("all-kinds", submission()),
            e.submit("all-kinds", submission()),
        );
        vec![a.unwrap(), b.unwrap(), c.unwrap()]
    } else {
        let mut numbers = Vec::new();
        for _ in 0..3 {
            numbers.push(e.submit("all-kinds", submission()).await.unwrap());
        }
        numbers
    };
    assert_eq!(
        numbers,
        ["QZ-2026-000001", "QZ-2026-000002", "QZ-2026-000003"]
    );
    let accept: Vec<String> = {
        let mut keys = Vec::new();
        for n in &numbers {
            keys.push(only_task(e, n).await.key);
        }
        keys
    };
    let first = e.case(&numbers[0]).await.unwrap().unwrap().case.id;
    let note = |channel: &str| worker::writer::Note {
        case_id: first,
        kind: "notification_deferred".into(),
        detail: json!({ "channel": channel }),
    };
    // The first case accepted twice (the second is refused), two notes after its acceptance,
    // the second accepted, the third withdrawn and then accepted (refused: the withdrawal
    // took its task out of the queue).
    batches.0.lock().unwrap().clear();
    let (one, again, noted, noted_again, two, withdrawn, late) = if together {
        tokio::join!(
            e.complete(&accept[0], "complete", json!({}), "op"),
            e.complete(&accept[0], "complete", json!({}), "op"),
            e.note(note("sms")),
            e.note(note("email")),
            e.complete(&accept[1], "complete", json!({}), "op"),
            e.withdraw(&numbers[2], Actor::Citizen),
            e.complete(&accept[2], "complete", json!({}), "op"),
        )
    } else {
        (
            e.complete(&accept[0], "complete", json!({}), "op").await,
            e.complete(&accept[0], "complete", json!({}), "op").await,
            e.note(note("sms")).await,
            e.note(note("email")).await,
            e.complete(&accept[1], "complete", json!({}), "op").await,
            e.withdraw(&numbers[2], Actor::Citizen).await,
            e.complete(&accept[2], "complete", json!({}), "op").await,
        )
    };
    let largest = batches.0.lock().unwrap().iter().copied().max().unwrap_or(0);
    one.unwrap();
    let again = again.unwrap_err();
    assert!(again.to_string().contains("already completed"), "{again}");
    noted.unwrap();
    noted_again.unwrap();
    two.unwrap();
    withdrawn.unwrap();
    let late = late.unwrap_err();
    assert!(late.to_string().contains("already completed"), "{late}");

    // The data requests answered, then both reviews approved.
    e.drain().await.unwrap();
    let review: Vec<String> = {
        let mut keys = Vec::new();
        for n in &numbers[..2] {
            keys.push(only_task(e, n).await.key);
        }
        keys
    };
    if together {
        let (a, b) = tokio::join!(
            e.complete(&review[0], "approve", json!({}), "spec"),
            e.complete(&review[1], "approve", json!({}), "spec"),
        );
        a.unwrap();
        b.unwrap();
    } else {
        for key in &review {
            e.complete(key, "approve", json!({}), "spec").await.unwrap();
        }
    }
    // The two cool-off timers fire in one command.
    h.clock.set(almaty(2026, 11, 24, 18, 0));
    e.drain().await.unwrap();

    let search = qyzmet::store::search::CaseSearch {
        query: qyzmet::store::search::Query::parse("850315300128").unwrap(),
        region: None,
        services: None,
        limit: 10,
        offset: 0,
    };
    let (found, total) = e.store().search_cases(&search).await.unwrap();
    assert_eq!(total, 3);
    let mut files = Vec::new();
    for n in &numbers {
        let view = e.case(n).await.unwrap().unwrap();
        let hit = found.iter().find(|f| &f.number == n).unwrap();
        files.push((
            view.case.status,
            view.case.result,
            {
                // The engine's own notification's line is written when its job is done, which
                // is when its file is written: before the data requests' answers or after,
                // as the file system goes. Counted, not placed.
                let sent = |h: &&qyzmet::runtime::HistoryEntry| h.kind == "notification_sent";
                let mut lines: Vec<(String, Option<String>)> = view
                    .history
                    .iter()
                    .filter(|h| !sent(h))
                    .map(|h| (h.kind.clone(), h.step.clone()))
                    .collect();
                let count = view.history.iter().filter(sent).count();
                lines.push((format!("notification_sent × {count}"), None));
                lines
            },
            view.tasks.iter().map(|t| t.step.clone()).collect(),
            (hit.status, hit.result.clone(), hit.applicant_iin.clone()),
        ));
    }
    let run_again = batches.1.load(std::sync::atomic::Ordering::Relaxed);
    (files, e.store().counts().await.unwrap(), largest, run_again)
}

#[tokio::test]
async fn commands_in_one_batch_leave_the_case_files_commands_one_at_a_time_leave() {
    let (together, counts, largest, run_again) = three_cases(true).await;
    // The seven commands on three cases went in one batch, or one at a time; the held
    // writes did not fail over to the slow path, which would leave the same files.
    assert_eq!(largest, 7);
    assert_eq!(run_again, 0);
    let (apart, counts_apart, largest_apart, _) = three_cases(false).await;
    assert_eq!(largest_apart, 1);
    assert_eq!(together, apart);
    assert_eq!(counts, counts_apart);
    // And what they leave is what the service says, and what a search shows.
    for file in &together[..2] {
        assert_eq!(file.0, Status::Completed);
        assert_eq!(file.1.as_deref(), Some("issued"));
        assert!(file.3.is_empty(), "{file:?}");
        assert_eq!(
            file.4,
            (
                Status::Completed,
                Some("issued".into()),
                Some("850315300128".into())
            )
        );
    }
    assert_eq!(together[2].4.0, Status::Withdrawn);
    let accepted = |file: &CaseFile| {
        file.2
            .iter()
            .filter(|(kind, _)| kind == "task_completed")
            .count()
    };
    assert_eq!(accepted(&together[0]), accepted(&together[1]));
    // The note follows the first case's acceptance, before what its answers brought.
    let kinds: Vec<&str> = together[0].2.iter().map(|(k, _)| k.as_str()).collect();
    let note = kinds
        .iter()
        .position(|k| *k == "notification_deferred")
        .unwrap();
    let accepted_at = kinds.iter().position(|k| *k == "task_completed").unwrap();
    assert!(accepted_at < note, "{kinds:?}");
    assert_eq!(kinds[note + 1], "notification_deferred", "{kinds:?}");
    // The engine's own notification of the acceptance.
    assert_eq!(kinds.last(), Some(&"notification_sent × 1"), "{kinds:?}");
    assert_eq!(together[2].0, Status::Withdrawn);
    assert!(together[2].3.is_empty(), "{:?}", together[2]);
    assert_eq!(counts["timers"], 0, "{counts}");
}

/// Sets the version of its service that case `number` is pinned to, in its stored state (a
/// version the engine has not loaded makes every event of the case fail).
async fn pin(engine: &Engine, number: &str, version: &str) {
    sqlx::query("update cases set state = json_set(state, '$.version', ?) where number = ?")
        .bind(version)
        .bind(number)
        .execute(engine.store().sqlite_pool().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_timer_its_case_cannot_take_is_kept_for_an_hour_later_and_the_others_fire() {
    let dir = tempfile::tempdir().unwrap();
    let file = Location::Sqlite(dir.path().join("qyzmet.db"));
    let h = harness(Some(file), dir, almaty(2026, 11, 23, 10, 0)).await;
    let e = &h.engine;
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let number = accepted(e).await;
        e.drain().await.unwrap();
        let review = only_task(e, &number).await;
        e.complete(&review.key, "approve", json!({}), "spec")
            .await
            .unwrap();
        numbers.push(number);
    }
    let (broken, sound) = (&numbers[0], &numbers[1]);
    let version = e.case(broken).await.unwrap().unwrap().case.version;
    pin(e, broken, "1999-01-01").await;

    // Both timers are due; the look takes both, the sound case's fires, the broken case's
    // goes back, due an hour later.
    let at = almaty(2026, 11, 25, 9, 0);
    h.clock.set(at);
    assert_eq!(e.fire_due_timers(500).await.unwrap(), 2);
    let result = |number: &str| {
        let number = number.to_string();
        async move { e.case(&number).await.unwrap().unwrap().case.result }
    };
    assert_eq!(result(sound).await.as_deref(), Some("issued"));
    assert_eq!(result(broken).await, None);
    let mut read = e.store().read().await.unwrap();
    let kept = qyzmet::store::tx::due_timers(&mut read, at + Duration::days(1), 10)
        .await
        .unwrap();
    read.close().await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].due_at, at + Duration::hours(1), "{kept:?}");
    assert_eq!(
        e.fire_due_timers(500).await.unwrap(),
        0,
        "not due again yet"
    );

    // Its case can take it again: an hour later it fires.
    pin(e, broken, &version).await;
    h.clock.set(at + Duration::hours(1));
    assert_eq!(e.fire_due_timers(500).await.unwrap(), 1);
    assert_eq!(result(broken).await.as_deref(), Some("issued"));
}

#[tokio::test]
async fn a_message_waits_for_its_step_and_a_withdrawal_empties_the_queues() {
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let e = &h.engine;
    let number = e.submit("all-kinds", submission()).await.unwrap();
    e.message(&number, "reply", json!({ "text": "early" }), Actor::Citizen)
        .await
        .unwrap();
    assert_eq!(e.case(&number).await.unwrap().unwrap().case.inbox.len(), 1);
    e.withdraw(&number, Actor::Citizen).await.unwrap();
    let view = e.case(&number).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Withdrawn);
    assert!(
        e.store()
            .tasks(None, None, Some(&number))
            .await
            .unwrap()
            .is_empty()
    );
    let err = e.withdraw(&number, Actor::Citizen).await.unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");
}

/// A system account with `roles` in `region`, and an API token that acts as it (what
/// `qyzmet accounts add --token` or `POST /accounts/{login}/tokens` gives).
pub(crate) async fn api_token(
    engine: &Engine,
    login: &str,
    roles: &[&str],
    region: &str,
) -> String {
    let new = qyzmet::accounts::NewAccount {
        login: login.into(),
        full_name: format!("System {login}"),
        email: format!("{login}@example.kz"),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        region: region.into(),
        created_by: "system".into(),
    };
    let temporary = qyzmet::accounts::TemporaryPassword::new().await.unwrap();
    engine
        .transact(move |conn, now| {
            let (new, temporary) = (new.clone(), temporary.clone());
            Box::pin(async move {
                let (account, _) = qyzmet::accounts::register(conn, &new, &temporary, None, now)
                    .await
                    .map_err(|e| e.to_string())?;
                qyzmet::store::accounts::create_api_token(conn, account.id, "test", now)
                    .await
                    .map(|(token, _)| token)
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap()
}

async fn call(
    app: &axum::Router,
    token: &str,
    method: &str,
    uri: &str,
    body: Value,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        })
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_api_answers_with_stable_codes_and_field_errors() {
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let app = qyzmet::api::router(h.engine.clone());
    let token = api_token(
        &h.engine,
        "almaty-desk",
        &[
            "front_office_operator",
            "provider_specialist",
            "head_of_department",
            "administrator",
        ],
        "almaty",
    )
    .await;
    let (status, body) = call(&app, &token, "GET", "/health", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A bad IIN is refused at submission and never reaches the gateway.
    let bad = json!({ "service": "all-kinds", "region": "almaty", "data": { "applicant.iin": "850315300129" } });
    let (status, body) = call(&app, &token, "POST", "/cases", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["fields"][0]["field"], "data.applicant.iin");
    assert_eq!(
        body["fields"][0]["message"],
        "the control digit of the IIN does not match: check the number"
    );

    let (status, body) = call(
        &app,
        &token,
        "POST",
        "/cases",
        json!({ "service": "nope", "region": "almaty", "data": {} }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(
        &app,
        &token,
        "POST",
        "/cases",
        json!({ "servise": "all-kinds" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("servise"),
        "{body}"
    );

    let good = json!({ "service": "all-kinds", "region": "almaty", "language": "ru", "sms_consent": true,
                       "data": { "applicant.iin": "850315300128", "applicant.account": "KZ01", "applicant.language": "ru" } });
    let (status, body) = call(&app, &token, "POST", "/cases", good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap().to_string();

    let (_, page) = call(
        &app,
        &token,
        "GET",
        &format!("/tasks?case={number}"),
        Value::Null,
    )
    .await;
    let key = page["tasks"][0]["key"].as_str().unwrap().to_string();
    let (status, body) = call(
        &app,
        &token,
        "POST",
        &format!("/tasks/{key}/complete"),
        json!({ "outcome": "maybe" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "outcome");
    // A body that is not the expected JSON gets the same error shape, naming the mistake.
    let request = Request::builder()
        .method("POST")
        .uri(format!("/tasks/{key}/complete"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from("{\"outcome\": \"complete\", \"form\": 7"))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("a JSON error");
    assert_eq!(body["code"], "invalid");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("EOF while parsing"),
        "{body}"
    );
    let (status, body) = call(
        &app,
        &token,
        "POST",
        &format!("/tasks/{key}/complete"),
        json!({ "outcome": "complete", "as": "admin" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `as`"),
        "{body}"
    );
    let (status, _) = call(
        &app,
        &token,
        "POST",
        &format!("/tasks/{key}/complete"),
        json!({ "outcome": "complete" }),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(
        &app,
        &token,
        "POST",
        &format!("/tasks/{key}/complete"),
        json!({ "outcome": "complete" }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = call(&app, &token, "GET", "/cases/QZ-1999-000009", Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");

    let (status, body) = call(
        &app,
        &token,
        "GET",
        &format!("/cases/{number}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["case"]["number"], number);
    assert!(
        body["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "task_completed")
    );
}

#[tokio::test]
async fn every_endpoint_refuses_the_anonymous_and_other_regions_and_roles() {
    // seeds/003 item 30: access only within one's duties; a clerk sees and acts on the tasks
    // of their roles and region only.
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let app = qyzmet::api::router(h.engine.clone());
    let almaty_desk = api_token(
        &h.engine,
        "almaty-desk",
        &["front_office_operator"],
        "almaty",
    )
    .await;
    let astana_desk = api_token(
        &h.engine,
        "astana-desk",
        &["front_office_operator"],
        "astana",
    )
    .await;
    let specialist = api_token(&h.engine, "almaty-spec", &["provider_specialist"], "almaty").await;
    let ministry = api_token(&h.engine, "ministry", &["front_office_operator"], "kz").await;

    let good = json!({ "service": "all-kinds", "region": "almaty", "language": "ru", "sms_consent": false,
                       "data": { "applicant.iin": "850315300128", "applicant.account": "KZ01", "applicant.language": "ru" } });
    let (status, body) = call(&app, &astana_desk, "POST", "/cases", good.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    let (status, body) = call(&app, &specialist, "POST", "/cases", good.clone()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a specialist does not accept applications: {body}"
    );
    let (status, body) = call(&app, &almaty_desk, "POST", "/cases", good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let number = body["number"].as_str().unwrap().to_string();

    // Anonymous: 401 everywhere but /health.
    for (method, uri) in [
        ("GET", format!("/cases/{number}")),
        ("GET", "/tasks".into()),
        ("GET", "/incidents".into()),
    ] {
        let (status, body) = call(&app, "", method, &uri, Value::Null).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "{uri}"
        );
    }
    let (status, _) = call(
        &app,
        "not-a-token",
        "GET",
        &format!("/cases/{number}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Another region: an empty queue, and 403 on the case and the task. Another role: 403
    // on the task and on its queue. Incidents are the administrators'.
    let (_, queue) = call(&app, &astana_desk, "GET", "/tasks", Value::Null).await;
    assert_eq!(
        queue,
        json!({ "tasks": [], "total": 0, "limit": 50, "offset": 0 })
    );
    let (_, queue) = call(&app, &almaty_desk, "GET", "/tasks", Value::Null).await;
    let key = queue["tasks"][0]["key"].as_str().unwrap().to_string();
    let refused = [
        (&astana_desk, "GET", format!("/cases/{number}")),
        (&astana_desk, "POST", format!("/tasks/{key}/claim")),
        (&astana_desk, "GET", "/tasks?region=almaty".to_string()),
        (&specialist, "POST", format!("/tasks/{key}/claim")),
        (
            &specialist,
            "GET",
            "/tasks?role=front_office_operator".to_string(),
        ),
        (&almaty_desk, "GET", "/incidents".to_string()),
    ];
    for (token, method, uri) in refused {
        let (status, body) = call(&app, token, method, &uri, Value::Null).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{method} {uri}"
        );
    }

    // The whole republic's account sees Almaty's queue and acts on it, as itself.
    let (_, queue) = call(&app, &ministry, "GET", "/tasks", Value::Null).await;
    assert_eq!(queue["tasks"][0]["key"], key);
    let (status, _) = call(
        &app,
        &almaty_desk,
        "POST",
        &format!("/tasks/{key}/claim"),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, queue) = call(&app, &almaty_desk, "GET", "/tasks", Value::Null).await;
    assert_eq!(
        queue["tasks"][0]["assignee"], "almaty-desk",
        "the actor is the token's account, not a name in the body"
    );
}

async fn cases_by_service(engine: &Engine) -> Vec<(String, i64)> {
    let mut by_service = std::collections::BTreeMap::new();
    for (service, _, n) in engine.store().metric_counts().await.unwrap().cases {
        *by_service.entry(service).or_insert(0) += n;
    }
    by_service.into_iter().collect()
}

async fn real_engine(db: Location, outbox: PathBuf, clock: Arc<ManualClock>) -> Engine {
    start("workflows", db, clock, Arc::new(FileOutbox::new(outbox))).await
}

#[tokio::test]
async fn scheduled_services_start_once_per_occurrence_and_catch_up_after_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let db = backends::location(dir.path()).await;
    // Deployed on Monday 28 December 2026; the engine is then down until Wednesday 6 January.
    let clock = Arc::new(ManualClock::new(almaty(2026, 12, 28, 10, 0)));
    let engine = real_engine(db.clone(), dir.path().join("outbox"), clock.clone()).await;
    assert_eq!(
        engine.fire_schedules().await.unwrap(),
        0,
        "nothing was due at deployment"
    );
    drop(engine);
    clock.set(almaty(2027, 1, 6, 10, 0));
    let engine = real_engine(db.clone(), dir.path().join("outbox"), clock.clone()).await;
    let opened = engine.fire_schedules().await.unwrap();
    // Missed while down, each once: the nightly account check at 01:00 from 29 Dec to 6 Jan
    // (9 nights), and the quarterly report of 2026-Q4 on the first working day after the
    // quarter, Tuesday 5 January 2027 (1-2 January holidays, 4 January the day off moved
    // from Saturday 2 January; seeds/004 list item 1).
    assert_eq!(
        cases_by_service(&engine).await,
        vec![
            ("block-unused-accounts".to_string(), 9),
            ("quarterly-administrative-report".to_string(), 1)
        ]
    );
    assert_eq!(opened, 10);
    // Again, and after another restart: nothing fires twice.
    assert_eq!(engine.fire_schedules().await.unwrap(), 0);
    drop(engine);
    let engine = real_engine(db, dir.path().join("outbox"), clock.clone()).await;
    assert_eq!(engine.fire_schedules().await.unwrap(), 0);
    clock.set(almaty(2027, 1, 7, 2, 0));
    assert_eq!(
        engine.fire_schedules().await.unwrap(),
        1,
        "the next night's check"
    );
}

/// The job loops of every process on a shared database are woken by a notice at the commit
/// of a batch that queued jobs, and by no other: a notice after every commit made each
/// loop's lease a commit of its own, whose notice woke every loop again. Each notice names
/// the process that sent it (so its own loop, woken in-process, skips it). PostgreSQL
/// delivers notices in the order their transactions committed, so the first notice of a
/// process is the one of its first commit that sent any.
#[tokio::test]
async fn only_a_commit_that_queues_jobs_wakes_the_job_loops_of_the_other_processes() {
    let database = backends::scratch_postgres().await;
    let Location::Postgres(url) = &database else {
        unreachable!("a scratch PostgreSQL database")
    };
    let at = almaty(2026, 11, 23, 10, 0);
    let a = harness(Some(database.clone()), tempfile::tempdir().unwrap(), at).await;
    let b = harness(Some(database.clone()), tempfile::tempdir().unwrap(), at).await;
    let (a, b) = (&a.engine, &b.engine);
    let (mine, theirs) = (a.store().process(), b.store().process());
    assert_ne!(mine, theirs);
    let numbers = [
        a.submit("all-kinds", submission()).await.unwrap(),
        b.submit("all-kinds", submission()).await.unwrap(),
    ];

    let mut listener = sqlx::postgres::PgListener::connect(url).await.unwrap();
    listener.listen("qyzmet_work").await.unwrap();
    for (engine, number) in [a, b].into_iter().zip(&numbers) {
        // The claim queues no job; the acceptance queues the case's two data requests.
        let accept = only_task(engine, number).await;
        engine.claim(&accept.key, "operator1").await.unwrap();
        engine
            .complete(&accept.key, "complete", json!({}), "operator1")
            .await
            .unwrap();
    }
    let mut senders = Vec::new();
    while senders.last().map(String::as_str) != Some(theirs) {
        let notice = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv())
            .await
            .expect("a notice at the commit that queued the data requests")
            .unwrap();
        senders.push(notice.payload().to_string());
    }
    assert_eq!(
        senders,
        [mine, theirs],
        "one notice per process: its acceptance's, not its claim's"
    );
}

/// The term's evidence (every day counted and skipped, and why: what an appeal reads) is
/// kept once, on the `term_started` history line the case page shows, and no longer
/// repeated in the case's state, which every transition writes again. A state stored with
/// it, before, still loads as the same case.
#[tokio::test]
async fn the_terms_evidence_is_on_its_history_line_and_a_state_stored_with_it_still_loads() {
    let h = harness(
        None,
        tempfile::tempdir().unwrap(),
        almaty(2026, 11, 23, 10, 0),
    )
    .await;
    let number = accepted(&h.engine).await;
    let view = h.engine.case(&number).await.unwrap().unwrap();
    let term = view
        .case
        .term
        .as_ref()
        .expect("the term runs from the acceptance");
    let started = view
        .history
        .iter()
        .find(|l| l.kind == "term_started")
        .expect("a term_started line");
    let evidence = started.evidence.as_ref().expect("its evidence");
    assert_eq!(evidence.result, term.due_on);
    assert!(
        !evidence.counted.is_empty(),
        "the days counted: {evidence:?}"
    );

    let mut stored = serde_json::to_value(&view.case).unwrap();
    assert_eq!(stored["term"].get("evidence"), None, "{stored:#}");
    stored["term"]["evidence"] = serde_json::to_value(evidence).unwrap();
    let before: qyzmet::runtime::CaseState = serde_json::from_value(stored).unwrap();
    assert_eq!(before, view.case);
}
