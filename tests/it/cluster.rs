//! Three `qyzmet serve` on one PostgreSQL survive `kill -9` of one of them (issue #13 item
//! 4): the real binary, three processes on one scratch database, each with its own data
//! directory (its own outbox and documents). N cases are submitted round-robin across them
//! and driven through their two tasks by clerks who go to whichever process answers; one
//! process is killed with SIGKILL after about a third of the submissions and again after
//! about two thirds, and restarted each time on its data directory and the same database
//! while the other two go on.
//!
//! In the end, what a user would see: every case submitted is completed and was closed
//! once (its history through `GET /cases/{number}`), its wait's timer fired once, every job
//! is done and was leased once — except the jobs the killed process held leased when it
//! died, which another process (or its successor) takes over once the lease lapses
//! (`worker::jobs::LEASE`) — and every e-mail, document and stage report is one file under
//! one data directory, named by its idempotency key. Delivery is at least once: a job the
//! killed process had performed but not yet recorded is performed again, in whichever data
//! directory takes it over; such a repeat is allowed only for a job that process held at
//! the moment it died, and each is counted in the summary. `qyzmet audit verify` passes on
//! the journal the three processes appended to.
//!
//! The client is written so that a reply lost to a kill is safe to retry on another
//! process: a submission carries an `Idempotency-Key` (a repeat answers the case the first
//! one opened), and a claim or completion that committed before the kill answers 409 when
//! sent again.
//!
//! The service (`cluster-check`, written by the test beside its catalog): acceptance task
//! → two data requests in parallel → receipt document → a `wait` until the application's
//! date (a date in the past, so its timer is due at once and fired by whichever process's
//! timer loop takes it: the processes run on the system clock) → review task → e-mail →
//! decision. The installation is the crash test's (`tests/fixtures/crash/qyzmet.yaml`):
//! e-mail as files, data requests answered by the stub, stage reports as files.
//!
//! `QYZMET_CLUSTER_CASES=<n>` sets N. The test waits on live subprocesses with a deadline
//! on every wait; it asserts nothing about how fast the engine is.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::{Duration, Instant};

use qyzmet::store::Location;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, Row};

use crate::crash::{file_name, names};

/// Cases submitted, unless `QYZMET_CLUSTER_CASES` gives another number.
const CASES: usize = 2000;
/// `qyzmet serve` processes on the database.
const NODES: usize = 3;
/// The process killed, twice.
const VICTIM: usize = 1;
/// Submissions in flight at once.
const SUBMITTERS: usize = 12;
/// Clerks working the queues at once; each takes the tasks of the cases whose number falls
/// to it, so no two clerks race for one task.
const CLERKS: usize = 6;
/// How long one request may go unanswered by every process, or a process take to start.
const PATIENCE: Duration = Duration::from_secs(60);
/// How long the counts of cases, jobs and timers may stand still, once the killed
/// process's leases have lapsed, before the test says the cases are stuck.
const STALLED: Duration = Duration::from_secs(60);
/// How long a kill waits for the process to hold a leased job.
const HOLDING: Duration = Duration::from_secs(10);
/// Transitions of every case: submission, acceptance, two answers, the timer, the review.
const TRANSITIONS: i64 = 6;
/// Jobs of every case by kind: two data requests, the receipt, the e-mail, and a stage
/// report for each of the four stages.
const JOBS: [(&str, i64); 4] = [("request", 2), ("document", 1), ("notify", 1), ("stage", 4)];
/// Where each kind of job leaves its one file under a data directory: e-mail as `.eml`
/// (the notifier's file transport), documents as HTML, stage reports as the stub's JSON.
const FILE_KINDS: [(&str, &str); 3] = [
    ("notify", "outbox/email"),
    ("document", "documents"),
    ("stage", "outbox/stage"),
];
/// Every open task the clerk may work, oldest first (the API's largest page).
const QUEUE: &str = "/tasks?limit=500&sort=created";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_on_one_postgres_end_every_case_once_across_two_kill_9() {
    let cases: usize = std::env::var("QYZMET_CLUSTER_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n >= NODES)
        .unwrap_or(CASES);
    let started = Instant::now();
    let Location::Postgres(database) = crate::backends::scratch_postgres().await else {
        unreachable!("a scratch PostgreSQL database")
    };
    let mut db = PgConnection::connect(&database).await.unwrap();
    let scratch = scratch_dir();
    install(scratch.path());
    let dirs: Vec<PathBuf> = (0..NODES)
        .map(|i| scratch.path().join(format!("node{i}")))
        .collect();
    let cluster = Arc::new(Cluster {
        database: database.clone(),
        root: scratch.path().to_path_buf(),
        dirs: dirs.clone(),
        nodes: Mutex::new((0..NODES).map(|_| None).collect()),
        addrs: RwLock::new(vec![None; NODES]),
        log: Arc::new(Mutex::new(Vec::new())),
    });

    // The clerks' account and token first (it applies the migrations), then the three
    // processes at once.
    let token = clerk_token(&database, scratch.path());
    let starting: Vec<_> = (0..NODES)
        .map(|i| tokio::spawn(up(cluster.clone(), i, 0)))
        .collect();
    for start in starting {
        start.await.unwrap();
    }
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        cluster: cluster.clone(),
        token,
        failures: Mutex::new(Vec::new()),
        lost: AtomicUsize::new(0),
    });
    let ready = started.elapsed();

    // The load: submissions round-robin, clerks at work on every process.
    let progress = Arc::new(Progress::default());
    let next = Arc::new(AtomicUsize::new(0));
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|_| {
            tokio::spawn(submitter(
                api.clone(),
                next.clone(),
                cases,
                progress.clone(),
            ))
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clerks: Vec<_> = (0..CLERKS)
        .map(|c| tokio::spawn(clerk(api.clone(), c, stop.clone(), progress.clone())))
        .collect();

    // Two kills of the same process, mid-run, each followed by its restart.
    let mut kills = Vec::new();
    for (generation, at) in [(1, cases / 3), (2, 2 * cases / 3)] {
        let deadline = Instant::now() + PATIENCE;
        while progress.submitted.load(Ordering::SeqCst) < at {
            assert!(
                Instant::now() < deadline,
                "the submissions did not reach {at} within {PATIENCE:?}\n{}",
                cluster.tail()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The kill comes while the process holds leased jobs, if it does within a while:
        // what a lease is for is what a kill then does to them.
        let pid = cluster.pid(VICTIM);
        let holding = Instant::now() + HOLDING;
        while leased_by(&mut db, pid).await.is_empty() && Instant::now() < holding {}
        let submitted = progress.submitted.load(Ordering::SeqCst);
        assert_eq!(cluster.kill(VICTIM), pid);
        let at = started.elapsed();
        // What the dead process held: leased, not recorded. Only these may be performed
        // twice; nobody else takes them before the lease lapses. (A commit it sent just
        // before it died may still land after this look: then a job counted here is done
        // by it, and was not performed twice. The count is an upper bound.)
        let held = leased_by(&mut db, pid).await;
        kills.push(Kill {
            pid,
            at,
            submitted,
            held,
        });
        up(cluster.clone(), VICTIM, generation).await;
    }
    let mut numbers = BTreeMap::new();
    for s in submitters {
        numbers.extend(s.await.unwrap());
    }
    let submitted_in = started.elapsed();

    // The load is in; the clerks and the engine finish the cases. A job the killed process
    // held waits for its lease to lapse. The wait gives up when nothing has moved for
    // `STALLED` past that lapse: an absolute deadline would measure the machine (a CI
    // machine running two other tests beside this one is several times slower), a stall
    // is what a lost case or a job nobody takes looks like.
    let last_kill = kills.last().map(|k| k.at).unwrap_or_default();
    let lapsed = last_kill + lease();
    let mut last_counts = Value::Null;
    let mut moved = started.elapsed();
    let health = loop {
        let (_, health) = api.call(0, Method::GET, "/health", None, None).await;
        let counts = &health["counts"];
        let completed = counts["cases"]["completed"].as_u64().unwrap_or(0);
        let unfinished: i64 = counts["jobs"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "done")
            .map(|(_, v)| v.as_i64().unwrap_or(0))
            .sum();
        if completed == cases as u64 && unfinished == 0 && counts["timers"] == json!(0) {
            break health;
        }
        // A clerk that failed says why now, not at the deadline.
        if let Some(i) = clerks.iter().position(|c| c.is_finished()) {
            clerks.swap_remove(i).await.unwrap();
            panic!("a clerk stopped before the work was done");
        }
        if *counts != last_counts {
            last_counts = counts.clone();
            moved = started.elapsed();
        }
        if started.elapsed() > lapsed.max(moved) + STALLED {
            stop.store(true, Ordering::SeqCst);
            panic!(
                "the cases stopped moving {:?} after the start and had not all ended {STALLED:?} later: {health}\n{}",
                moved,
                cluster.tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let finished_in = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    for c in clerks {
        c.await.unwrap();
    }

    let mut problems = Vec::new();
    if kills.iter().all(|k| k.held.is_empty()) {
        problems.push(format!(
            "neither kill came while the process held a leased job (each waited up to {HOLDING:?}): the takeover of a lapsed lease went untested"
        ));
    }
    let held: BTreeMap<String, String> = kills
        .iter()
        .flat_map(|k| k.held.iter().map(|(key, kind)| (key.clone(), kind.clone())))
        .collect();

    // 1. Every case submitted ended exactly once, as its page says: completed, closed once,
    //    its timer fired once. One case per submission, whatever was retried.
    if numbers.len() != cases {
        problems.push(format!(
            "{} case numbers answered for {cases} submissions",
            numbers.len()
        ));
    }
    let distinct: BTreeSet<&String> = numbers.values().collect();
    if distinct.len() != numbers.len() {
        problems.push(format!(
            "{} submissions answered only {} distinct cases",
            numbers.len(),
            distinct.len()
        ));
    }
    problems.extend(case_pages(&api, numbers.values().cloned().collect()).await);
    let in_database = scalar(&mut db, "select count(*) from cases").await;
    if in_database != cases as i64 {
        problems.push(format!(
            "{in_database} cases in the database for {cases} submissions"
        ));
    }
    let keys = scalar(&mut db, "select count(*) from idempotency_keys").await;
    if keys != cases as i64 {
        problems.push(format!("{keys} idempotency keys kept for {cases} cases"));
    }
    let wrong_seq = scalar(
        &mut db,
        &format!(
            "select count(*) from cases where seq != {} or status != 'completed'",
            TRANSITIONS - 1
        ),
    )
    .await;
    if wrong_seq != 0 {
        problems.push(format!(
            "{wrong_seq} cases did not take exactly {TRANSITIONS} transitions to completion: an event lost or applied twice"
        ));
    }
    let gaps = scalar(
        &mut db,
        "select count(*) from cases c where (select count(distinct h.seq) from history h where h.case_id = c.id) != c.seq + 1",
    )
    .await;
    if gaps != 0 {
        problems.push(format!(
            "{gaps} cases whose history does not record each transition once"
        ));
    }
    let open_tasks = scalar(
        &mut db,
        "select count(*) from tasks where status != 'closed'",
    )
    .await;
    let tasks = scalar(&mut db, "select count(*) from tasks").await;
    if open_tasks != 0 || tasks != 2 * cases as i64 {
        problems.push(format!(
            "{tasks} tasks, {open_tasks} of them open; expected {}, none open",
            2 * cases
        ));
    }

    // 3. No timer left, none fired twice (the pages' `timer_fired` lines, above).
    let timers = scalar(&mut db, "select count(*) from timers").await;
    if timers != 0 {
        problems.push(format!("{timers} timers left"));
    }

    // 2. Every job done, leased once unless the killed process held it, and each effect one
    //    file under one data directory, named by its idempotency key.
    let jobs = sqlx::query("select key, kind, status, attempts, output from jobs")
        .fetch_all(&mut db)
        .await
        .unwrap();
    let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
    let mut taken_over = Vec::new();
    let mut repeats = Vec::new();
    let mut expected: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    for j in &jobs {
        let (key, kind, status, attempts): (String, String, String, i64) =
            (j.get(0), j.get(1), j.get(2), j.get(3));
        let output: Option<Value> = j.get(4);
        *by_kind.entry(kind.clone()).or_default() += 1;
        if status != "done" {
            problems.push(format!("job {key} ({kind}) is {status}"));
        }
        if attempts != 1 {
            if held.contains_key(&key) {
                taken_over.push(key.clone());
            } else {
                problems.push(format!(
                    "job {key} ({kind}) was leased {attempts} times, and no killed process held it"
                ));
            }
        }
        if output.as_ref().is_some_and(says_repeat) {
            if held.contains_key(&key) {
                repeats.push(key.clone());
            } else {
                problems.push(format!(
                    "job {key} ({kind}) was performed again, and no killed process held it: {}",
                    output.unwrap_or_default()
                ));
            }
        }
        if let Some((_, folder)) = FILE_KINDS.iter().find(|(k, _)| *k == kind) {
            expected
                .entry(folder)
                .or_default()
                .insert(file_name(&kind, &key), key.clone());
        }
    }
    let want: BTreeMap<String, i64> = JOBS
        .iter()
        .map(|(k, n)| (k.to_string(), n * cases as i64))
        .collect();
    if by_kind != want {
        problems.push(format!("jobs by kind {by_kind:?}, expected {want:?}"));
    }
    let known: BTreeSet<String> = ["email", "stage"].map(String::from).into();
    let mut twice = Vec::new();
    for dir in &dirs {
        let folders = names(&dir.join("outbox"));
        if !folders.is_subset(&known) {
            problems.push(format!(
                "{}: unexpected outbox folders {:?}",
                dir.display(),
                folders.difference(&known).collect::<Vec<_>>()
            ));
        }
    }
    for (_, folder) in FILE_KINDS {
        let want = expected.remove(folder).unwrap_or_default();
        let mut found: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, dir) in dirs.iter().enumerate() {
            for name in names(&dir.join(folder)) {
                found.entry(name).or_default().push(i);
            }
        }
        let missing: Vec<&String> = want.keys().filter(|n| !found.contains_key(*n)).collect();
        let extra: Vec<&String> = found.keys().filter(|n| !want.contains_key(*n)).collect();
        if !missing.is_empty() || !extra.is_empty() {
            problems.push(format!(
                "{folder}: missing {missing:?}, not a job's {extra:?}"
            ));
        }
        for (name, nodes) in &found {
            let Some(key) = want.get(name) else { continue };
            if nodes.len() > 1 {
                if held.contains_key(key) {
                    twice.push(format!("{folder}/{name} in nodes {nodes:?}"));
                } else {
                    problems.push(format!(
                        "{folder}/{name} was performed by nodes {nodes:?}, and no killed process held its job"
                    ));
                }
            }
        }
    }

    // The journal: each submission, claim and completion recorded once, by whichever
    // process answered it; and its chain intact.
    for (action, n) in [
        ("case_submitted", cases),
        ("task_claimed", 2 * cases),
        ("task_completed", 2 * cases),
    ] {
        let recorded: i64 = sqlx::query_scalar("select count(*) from audit where action = $1")
            .bind(action)
            .fetch_one(&mut db)
            .await
            .unwrap();
        if recorded != n as i64 {
            problems.push(format!(
                "{recorded} `{action}` records in the journal, expected {n}"
            ));
        }
    }
    // 4. `qyzmet audit verify` on the shared database.
    let verify = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args(["audit", "verify", "--database", &database])
        .arg("--data-dir")
        .arg(scratch.path())
        .stdin(Stdio::null())
        .output()
        .expect("qyzmet audit runs");
    let verified = String::from_utf8_lossy(&verify.stdout).into_owned();
    if verify.status.code() != Some(0) || !verified.starts_with("audit journal intact: ") {
        problems.push(format!(
            "qyzmet audit verify exited {:?}: {verified}{}",
            verify.status.code(),
            String::from_utf8_lossy(&verify.stderr)
        ));
    }

    cluster.stop();
    let elapsed = started.elapsed();
    // A 5xx is the engine failing a request on a live process (a killed one answers
    // nothing): the client went on to another, but a user would have seen it.
    let failures = api.failures.lock().unwrap().clone();
    if !failures.is_empty() {
        problems.push(format!("{} requests were answered 5xx", failures.len()));
    }
    let per_node: Vec<usize> = dirs
        .iter()
        .map(|d| {
            FILE_KINDS
                .iter()
                .map(|(_, folder)| names(&d.join(folder)).len())
                .sum()
        })
        .collect();
    let mut summary = format!(
        "cluster test: {cases} cases on {NODES} processes, {} jobs; ready in {ready:?}, submitted by {submitted_in:?}, all ended by {finished_in:?}, verified by {elapsed:?}\n",
        jobs.len()
    );
    for (i, k) in kills.iter().enumerate() {
        let _ = writeln!(
            summary,
            "  kill {} of node {VICTIM} (pid {}) at {:?}, {} submissions answered: {} unfinished jobs leased in its name",
            i + 1,
            k.pid,
            k.at,
            k.submitted,
            k.held.len()
        );
    }
    let _ = writeln!(
        summary,
        "  jobs held by a killed process and taken over after their lease lapsed: {}; of them found performed already (the same data directory's file, or the e-mail's sent-record): {}; performed again into another data directory (at-least-once repeats): {} {:?}",
        taken_over.len(),
        repeats.len(),
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    let _ = writeln!(
        summary,
        "  requests without an answer (retried on another process): {}; submissions answered as a repeat of their Idempotency-Key: {}; claims or completions answered 409 (an earlier try had committed): {}; 5xx answers: {}",
        api.lost.load(Ordering::SeqCst),
        progress.repeats.load(Ordering::SeqCst),
        progress.conflicts.load(Ordering::SeqCst),
        failures.len()
    );
    let _ = writeln!(
        summary,
        "  effect files under each node's data directory: {per_node:?}"
    );
    let _ = writeln!(summary, "  {}", verified.trim());
    let _ = writeln!(summary, "  health at the end: {health}");
    for f in failures.iter().take(20) {
        let _ = writeln!(summary, "  5xx: {f}");
    }
    if !problems.is_empty() {
        let shown: Vec<&String> = problems.iter().take(40).collect();
        panic!(
            "{} problems:\n{}\n{summary}server log (last lines):\n{}",
            problems.len(),
            shown
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            cluster.tail()
        );
    }
    eprintln!("{summary}");
}

/// The folder of the installation and the data directories: in memory where the machine
/// has `/dev/shm`. A `kill -9` loses nothing the page cache holds, so what is tested is the
/// same; but the files the processes write are synced, and removing some ten thousand synced
/// files from a disk mounted with `discard` takes longer than the whole run.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::Builder::new()
            .prefix("qz-cluster-")
            .tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

/// The lease a job is held under before another process may take it over.
fn lease() -> Duration {
    qyzmet::worker::jobs::LEASE
        .to_std()
        .expect("a positive lease")
}

/// Writes the installation's folders under `root`: `workflows/` (the test's service and
/// its catalog), and beside it `templates/` (the crash fixture's) and `calendars/` (the
/// repository's), where the start checks the definitions against them whatever `--templates`
/// and `--calendars` say.
fn install(root: &Path) {
    let workflows = root.join("workflows");
    std::fs::create_dir_all(workflows.join("cluster-check")).unwrap();
    std::fs::write(workflows.join("catalog.yaml"), CATALOG).unwrap();
    std::fs::write(workflows.join("cluster-check/2020-01-01.yaml"), SERVICE).unwrap();
    copy_tree(
        Path::new("tests/fixtures/crash/templates"),
        &root.join("templates"),
    );
    copy_tree(Path::new("calendars"), &root.join("calendars"));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

const CATALOG: &str = r#"# The catalog of the cluster test's one service.
roles:
  front_office_operator: { title: { kk: "Мемлекеттік корпорация операторы", ru: "Оператор Госкорпорации" } }
  provider_specialist: { title: { kk: "Қызмет берушінің маманы", ru: "Специалист услугодателя" } }
stages:
  accepted: { title: { kk: "Қабылданды", ru: "Принято" } }
  data_requested: { title: { kk: "Деректер сұратылды", ru: "Данные запрошены" } }
  under_review: { title: { kk: "Қаралуда", ru: "На рассмотрении" } }
  decision_made: { title: { kk: "Шешім қабылданды", ru: "Решение принято" } }
connectors:
  gbd_fl.person:
    title: { kk: "ЖТ МДҚ: жеке тұлға", ru: "ГБД ФЛ: физическое лицо" }
    system: GBD FL
    input: { iin: iin }
    output: { last_name: string, first_name: string, birth_date: date, address: string }
  bank.account:
    title: { kk: "Банк шоты", ru: "Банковский счёт" }
    system: second-tier bank
    input: { iin: iin, account: string }
    output: { open: bool }
"#;

const SERVICE: &str = r#"# The cluster test's service: two tasks, two requests, a document, a timer, an e-mail.
service: cluster-check
version: "2020-01-01"
effective_from: 2020-01-01
title: { kk: "Кластер тексеруі", ru: "Проверка кластера" }
basis:
  order_1: { title: "Test order No. 1" }
term:
  working_days: 10
  starts_after: accept
  source: { act: order_1, item: "1" }
channels: [state_corporation]
data:
  applicant.iin: iin
  applicant.account: string
  applicant.email: { type: string, personal: true }
  applicant.filed_on: date
  person.last_name: { type: string, personal: true }
  account.open: bool
start: accept
steps:
  accept:
    stage: accepted
    task: { role: front_office_operator }
    outcomes: { complete: fetch }
  fetch:
    stage: data_requested
    fork: [fetch_person, fetch_account]
  fetch_person:
    request:
      connector: gbd_fl.person
      input: { iin: applicant.iin }
      output: { person.last_name: response.last_name }
    on_failure: { next: fetched }
    next: fetched
  fetch_account:
    request:
      connector: bank.account
      input: { iin: applicant.iin, account: applicant.account }
      output: { account.open: response.open }
    on_failure: { next: fetched }
    next: fetched
  fetched:
    join: fetch
    next: receipt
  receipt:
    document: { template: crash_receipt, kind: receipt }
    next: cool_off
  # Until the end of a day already past: the timer is due at once.
  cool_off:
    wait: { until: applicant.filed_on }
    next: review
  review:
    stage: under_review
    task: { role: provider_specialist }
    outcomes: { approve: tell }
  tell:
    notify: { to: citizen, template: crash_result, channels: [email] }
    next: decide
  decide:
    stage: decision_made
    decide:
      - { when: "account.open", next: issued }
      - otherwise: refused
  issued: { end: issued }
  refused: { end: refused }
"#;

/// The three processes: who runs where, and the addresses the clients may use.
struct Cluster {
    database: String,
    /// Where `workflows/`, `templates/` and `calendars/` are.
    root: PathBuf,
    dirs: Vec<PathBuf>,
    nodes: Mutex<Vec<Option<Node>>>,
    /// `None` while a process is down.
    addrs: RwLock<Vec<Option<SocketAddr>>>,
    /// Every process's stderr, each line marked with the process and its generation.
    log: Arc<Mutex<Vec<String>>>,
}

/// One `qyzmet serve`; killed when dropped, so a failing test leaves no process behind.
struct Node {
    child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Cluster {
    fn addr(&self, node: usize) -> Option<SocketAddr> {
        self.addrs.read().unwrap()[node]
    }

    /// Starts process `node` on its data directory and the database, and waits until it
    /// says where it listens.
    fn start(&self, node: usize, generation: u32) -> SocketAddr {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--database", &self.database])
            .arg("--data-dir")
            .arg(&self.dirs[node])
            .arg("--workflows")
            .arg(self.root.join("workflows"))
            .arg("--calendars")
            .arg(self.root.join("calendars"))
            .arg("--templates")
            .arg(self.root.join("templates"))
            .args(["--config", "tests/fixtures/crash/qyzmet.yaml"])
            .env("QYZMET_LOG", "warn")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qyzmet serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (ready, address) = mpsc::channel();
        let lines = self.log.clone();
        // Drains stderr for the life of the process, so it never blocks on a full pipe, and
        // keeps the lines for a failure message.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("qyzmet listening on http://") {
                    let _ = ready.send(addr.trim().to_string());
                }
                lines
                    .lock()
                    .unwrap()
                    .push(format!("[node {node}.{generation}] {line}"));
            }
        });
        let node_guard = Node { child };
        let Ok(addr) = address.recv_timeout(PATIENCE) else {
            drop(node_guard);
            panic!("qyzmet serve {node} did not start:\n{}", self.tail());
        };
        let addr: SocketAddr = addr.parse().expect("the printed address parses");
        self.nodes.lock().unwrap()[node] = Some(node_guard);
        addr
    }

    /// The process id of process `node`.
    fn pid(&self, node: usize) -> u32 {
        self.nodes.lock().unwrap()[node]
            .as_ref()
            .expect("the process runs")
            .child
            .id()
    }

    /// `kill -9` (what `Child::kill` sends on Unix) of process `node`; returns its pid.
    fn kill(&self, node: usize) -> u32 {
        self.addrs.write().unwrap()[node] = None;
        let mut killed = self.nodes.lock().unwrap()[node]
            .take()
            .expect("the process runs");
        let pid = killed.child.id();
        let _ = killed.child.kill();
        let _ = killed.child.wait();
        pid
    }

    /// Kills every process.
    fn stop(&self) {
        self.addrs
            .write()
            .unwrap()
            .iter_mut()
            .for_each(|a| *a = None);
        let nodes: Vec<Option<Node>> = self.nodes.lock().unwrap().drain(..).collect();
        drop(nodes);
    }

    fn tail(&self) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(60)..].join("\n")
    }
}

/// Starts process `node` (off the async threads: the start is waited for) and waits until
/// it answers `/health`; only then do the clients see its address.
async fn up(cluster: Arc<Cluster>, node: usize, generation: u32) {
    let starting = cluster.clone();
    let addr = tokio::task::spawn_blocking(move || starting.start(node, generation))
        .await
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = reqwest::get(format!("http://{addr}/health")).await;
        if answer.is_ok_and(|a| a.status() == 200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node {node} does not answer /health:\n{}",
            cluster.tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.addrs.write().unwrap()[node] = Some(addr);
}

/// The clerks' API token: their account — both roles of the service, the whole republic —
/// created with `qyzmet accounts add` on the shared database before any process starts.
/// (With an account there, no process creates the first administrator.)
fn clerk_token(database: &str, scratch: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args(["accounts", "add", "--database", database])
        .arg("--data-dir")
        .arg(scratch.join("accounts"))
        .args([
            "--login",
            "cluster-clerk",
            "--full-name",
            "Cluster test clerk",
        ])
        .args(["--email", "clerk@example.kz", "--region", "kz"])
        .args([
            "--role",
            "front_office_operator",
            "--role",
            "provider_specialist",
        ])
        .args(["--token", "cluster-test"])
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("qyzmet accounts runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("API token: "))
        .expect("a token is printed")
        .to_string()
}

/// The clients' way to the cluster: the clerk's token, and every process in turn.
struct Api {
    http: reqwest::Client,
    cluster: Arc<Cluster>,
    token: String,
    /// Every 5xx answer: the request went on to another process, and is reported.
    failures: Mutex<Vec<String>>,
    /// Requests that got no answer (a killed process, a refused connection).
    lost: AtomicUsize,
}

impl Api {
    /// Sends a request to process `prefer`, or, when it gets no answer or a 5xx, to the next
    /// that runs, until one answers: the status and the JSON body (null when empty).
    async fn call(
        &self,
        prefer: usize,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> (u16, Value) {
        let deadline = Instant::now() + PATIENCE;
        for attempt in 0.. {
            let node = (prefer + attempt) % NODES;
            if let Some(addr) = self.cluster.addr(node) {
                let mut request = self
                    .http
                    .request(method.clone(), format!("http://{addr}{path}"))
                    .bearer_auth(&self.token);
                if let Some(body) = body {
                    request = request.json(body);
                }
                if let Some(key) = idempotency_key {
                    request = request.header("Idempotency-Key", key);
                }
                let answer = match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        response.bytes().await.map(|b| (status, b))
                    }
                    Err(e) => Err(e),
                };
                match answer {
                    Ok((status, bytes)) => {
                        let value = if bytes.is_empty() {
                            Value::Null
                        } else {
                            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                                Value::String(String::from_utf8_lossy(&bytes).into_owned())
                            })
                        };
                        if status < 500 {
                            return (status, value);
                        }
                        self.failures
                            .lock()
                            .unwrap()
                            .push(format!("{method} {path} on node {node}: {status} {value}"));
                    }
                    Err(_) => {
                        self.lost.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            if (attempt + 1) % NODES == 0 {
                assert!(
                    Instant::now() < deadline,
                    "{method} {path}: no process answered within {PATIENCE:?}\n{}",
                    self.cluster.tail()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        unreachable!()
    }
}

/// What the clients count.
#[derive(Default)]
struct Progress {
    /// Submissions answered.
    submitted: AtomicUsize,
    /// Submissions answered 200: the Idempotency-Key had opened the case already.
    repeats: AtomicUsize,
    /// Claims or completions answered 409: an earlier try committed.
    conflicts: AtomicUsize,
}

/// Submits cases, each to the next process in turn (another when it does not answer),
/// each with its own Idempotency-Key; returns the registration number of each.
async fn submitter(
    api: Arc<Api>,
    next: Arc<AtomicUsize>,
    cases: usize,
    progress: Arc<Progress>,
) -> BTreeMap<usize, String> {
    let mut numbers = BTreeMap::new();
    loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= cases {
            return numbers;
        }
        let body = json!({
            "service": "cluster-check",
            "data": {
                "applicant.iin": "850315300128",
                "applicant.account": format!("KZ{i:06}"),
                "applicant.email": format!("citizen{i}@example.kz"),
                "applicant.filed_on": "2020-01-01",
            },
            "region": "almaty",
            "language": if i.is_multiple_of(2) { "kk" } else { "ru" },
            "channel": "state_corporation",
        });
        let key = format!("cluster-{i}");
        let (status, answer) = api
            .call(i % NODES, Method::POST, "/cases", Some(&body), Some(&key))
            .await;
        match status {
            201 => {}
            200 => {
                progress.repeats.fetch_add(1, Ordering::SeqCst);
            }
            _ => panic!("submission {i} was answered {status}: {answer}"),
        }
        let number = answer["number"].as_str().expect("a number").to_string();
        numbers.insert(i, number);
        progress.submitted.fetch_add(1, Ordering::SeqCst);
    }
}

/// Works the queue until told to stop: claims and completes each task of the cases whose
/// number falls to clerk `c`, at its own process first.
async fn clerk(api: Arc<Api>, c: usize, stop: Arc<AtomicBool>, progress: Arc<Progress>) {
    let prefer = c % NODES;
    while !stop.load(Ordering::SeqCst) {
        let (status, page) = api.call(prefer, Method::GET, QUEUE, None, None).await;
        assert_eq!(status, 200, "{page}");
        let mine: Vec<(String, String)> = page["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["number"]
                    .as_str()
                    .and_then(|n| n.rsplit('-').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| n % CLERKS == c)
            })
            .map(|t| {
                (
                    t["key"].as_str().expect("a key").to_string(),
                    t["step"].as_str().expect("a step").to_string(),
                )
            })
            .collect();
        if mine.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        for (key, step) in mine {
            let outcome = match step.as_str() {
                "accept" => "complete",
                "review" => "approve",
                other => panic!("a task of step {other}"),
            };
            for (path, body) in [
                (format!("/tasks/{key}/claim"), json!({})),
                (
                    format!("/tasks/{key}/complete"),
                    json!({ "outcome": outcome, "form": {} }),
                ),
            ] {
                let (status, answer) = api
                    .call(prefer, Method::POST, &path, Some(&body), None)
                    .await;
                match status {
                    204 => {}
                    // A try that committed before its process was killed.
                    409 => {
                        progress.conflicts.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => panic!("POST {path} was answered {status}: {answer}"),
                }
            }
        }
    }
}

/// Opens every case's page, a few at a time, each at the next process in turn: completed,
/// closed once, its timer fired once. Returns what is wrong.
async fn case_pages(api: &Arc<Api>, numbers: Vec<String>) -> Vec<String> {
    let numbers = Arc::new(numbers);
    let next = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (api, numbers, next) = (api.clone(), numbers.clone(), next.clone());
            tokio::spawn(async move {
                let mut problems = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(number) = numbers.get(i) else {
                        return problems;
                    };
                    let (status, page) = api
                        .call(i % NODES, Method::GET, &format!("/cases/{number}"), None, None)
                        .await;
                    if status != 200 {
                        problems.push(format!("GET /cases/{number} answered {status}: {page}"));
                        continue;
                    }
                    let lines = |kind: &str| {
                        page["history"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|h| h["kind"] == kind)
                            .count()
                    };
                    let (closed, fired) = (lines("closed"), lines("timer_fired"));
                    let case_status = &page["case"]["status"];
                    if case_status != "completed" || closed != 1 || fired != 1 {
                        problems.push(format!(
                            "{number} is {case_status}, closed {closed} times, its timer fired {fired} times"
                        ));
                    }
                }
            })
        })
        .collect();
    let mut problems = Vec::new();
    for r in readers {
        problems.extend(r.await.unwrap());
    }
    problems
}

/// A kill as it happened.
struct Kill {
    pid: u32,
    /// Since the test started.
    at: Duration,
    /// Submissions answered when it came.
    submitted: usize,
    /// The jobs the process held leased and had not recorded: key and kind.
    held: Vec<(String, String)>,
}

/// The unfinished jobs leased in the name of the process `pid` (`Store::process` is
/// `host:pid:tag`).
async fn leased_by(db: &mut PgConnection, pid: u32) -> Vec<(String, String)> {
    sqlx::query(
        "select key, kind from jobs where leased_by like $1 and status in ('pending', 'awaiting_answer')",
    )
    .bind(format!("%:{pid}:%"))
    .fetch_all(db)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// One number from the database.
async fn scalar(db: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db)
        .await
        .unwrap()
}

/// Whether a job's output says its effect was found performed already (the file outbox's
/// and the documents' `repeat`, the notifier's sent-record, per channel).
fn says_repeat(output: &Value) -> bool {
    match output {
        Value::Object(map) => {
            map.get("repeat") == Some(&Value::Bool(true)) || map.values().any(says_repeat)
        }
        Value::Array(items) => items.iter().any(says_repeat),
        _ => false,
    }
}
