//! The engine survives `kill -9`: the real `qyzmet serve` is loaded with cases and killed
//! at random moments, restarted on the same data directory each time; in the end every
//! case has reached its end exactly once and every outbox effect was performed once.
//!
//! The client is written so that a reply lost to a kill is safe to retry: the submitter
//! reads how many cases exist from `/health` before each submission instead of counting its
//! own replies, and clerks find their work in `/tasks`, where a claim or a completion that
//! did commit answers 409 on retry. The verdict is read from the database file and the
//! outbox folder themselves, not from the API.
//!
//! The test waits on a live subprocess, with a deadline on every wait; it asserts nothing
//! about how fast the engine is. `QYZMET_CRASH_SEED=<n>` replays another kill plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

/// Cases the test submits.
const CASES: usize = 60;
/// Clerk threads completing acceptance tasks, beside the one submitter.
const CLERKS: usize = 3;
/// Kills during the load.
const KILLS: usize = 6;
/// The kill plan's seed, unless `QYZMET_CRASH_SEED` gives another.
const SEED: u64 = 20_261_121;
/// How long one wait on the server may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(60);
/// Where each kind of job leaves its one file under the data directory: e-mail as `.eml`
/// files (the notifier's file transport), documents as HTML, stage reports as the stub's
/// JSON (the fixture configures no monitoring endpoint).
const FILE_KINDS: [(&str, &str); 3] = [
    ("notify", "outbox/email"),
    ("document", "documents"),
    ("stage", "outbox/stage"),
];
/// The role of the acceptance task; every case's at once (the API's largest page).
const QUEUE: &str = "/tasks?role=front_office_operator&limit=500";

#[test]
fn every_case_ends_once_and_every_effect_happens_once_across_kill_9() {
    let seed = std::env::var("QYZMET_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut rng = StdRng::seed_from_u64(seed);
    // A kill comes a random few milliseconds after the load reaches a random number of
    // answered writes: somewhere among submissions, claims, completions and the jobs the
    // background loops run meanwhile. Fewer than CASES * 3 writes are always answered.
    let mut plan: Vec<(usize, Duration)> = (0..KILLS)
        .map(|_| {
            (
                rng.random_range(5..CASES * 5 / 2),
                Duration::from_micros(rng.random_range(0..20_000)),
            )
        })
        .collect();
    plan.sort();

    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut server = Server::start(dir.path(), &log);
    let load = Arc::new(Load::new(server.addr));
    let mut report = Report {
        seed,
        kills: Vec::new(),
        log: log.clone(),
    };

    let mut workers = Vec::new();
    {
        let load = load.clone();
        workers.push(std::thread::spawn(move || submitter(&load)));
    }
    for clerk in 0..CLERKS {
        let load = load.clone();
        workers.push(std::thread::spawn(move || clerk_at_work(&load, clerk)));
    }

    for (after, delay) in plan {
        load.wait("the load to reach a kill point", |s| s.answered >= after);
        std::thread::sleep(delay);
        let answered = load.lock().answered;
        server.kill();
        report.kills.push(Kill {
            after,
            delay,
            answered,
            at: started.elapsed(),
        });
        load.lock().addr = None;
        server = Server::start(dir.path(), &log);
        load.restarted(server.addr);
    }
    for worker in workers {
        if worker.join().is_err() {
            report.fail("a client thread failed (its message is above)");
        }
    }

    // The load is in; the engine finishes the cases on its own.
    let deadline = Instant::now() + PATIENCE;
    let health = loop {
        let health = load.get("/health");
        let counts = &health["counts"];
        let open_jobs: i64 = counts["jobs"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "done")
            .map(|(_, v)| v.as_i64().unwrap_or(0))
            .sum();
        if counts["cases"]["completed"].as_u64() == Some(CASES as u64) && open_jobs == 0 {
            break health;
        }
        if Instant::now() > deadline {
            report.fail(&format!(
                "the cases did not all end within {PATIENCE:?}: {health}"
            ));
        }
        load.pause(Duration::from_millis(50));
    };
    let answered = load.lock().answered;
    server.kill();
    let elapsed = started.elapsed();

    let verdict = verify(dir.path());
    if !verdict.problems.is_empty() {
        report.fail(&format!(
            "{}\nhealth at the end: {health}",
            verdict.problems.join("\n")
        ));
    }
    assert!(report.kills.len() >= 3, "{}", report.render());
    eprintln!(
        "crash test: {CASES} cases, {} kills, {answered} writes answered, {} jobs ({} performed again after a kill and recognised by key), {elapsed:?}\n{}",
        report.kills.len(),
        verdict.jobs,
        verdict.repeats,
        report.render()
    );
}

/// The API token the clients send to each server address: a front-office system account
/// of the whole republic, created with `qyzmet accounts add` before the server's first start
/// on its data directory.
static TOKENS: Mutex<BTreeMap<SocketAddr, String>> = Mutex::new(BTreeMap::new());

/// The clients' token for a data directory, its account created on first use.
fn account(data_dir: &Path) -> String {
    let kept = data_dir.join("crash-token");
    if let Ok(token) = std::fs::read_to_string(&kept) {
        return token;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args([
            "accounts",
            "add",
            "--login",
            "crash-kiosk",
            "--full-name",
            "Crash test kiosk",
        ])
        .args([
            "--email",
            "kiosk@example.kz",
            "--role",
            "front_office_operator",
            "--region",
            "kz",
        ])
        .args(["--token", "crash"])
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .expect("qyzmet accounts runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("API token: "))
        .expect("a token is printed")
        .to_string();
    std::fs::write(&kept, &token).unwrap();
    token
}

/// `qyzmet serve` on the crash fixture: its workflow, templates and configuration.
fn serve(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qyzmet"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--calendars", "calendars"])
        .args(["--workflows", "tests/fixtures/crash/workflows"])
        .args(["--templates", "tests/fixtures/crash/templates"])
        .args(["--config", "tests/fixtures/crash/qyzmet.yaml"])
        .arg("--data-dir")
        .arg(data_dir);
    command
}

#[test]
fn a_second_server_on_the_same_data_directory_refuses_to_start() {
    // Recovering leases at start-up is safe only because one process owns the database.
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let _first = Server::start(dir.path(), &log);
    let second = serve(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("qyzmet serve runs");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(
        stderr.contains("is in use by another qyzmet process"),
        "{stderr}"
    );
}

#[test]
fn a_submission_the_database_refuses_fails_alone_and_leaves_no_trace() {
    // The writer runs a batch of commands in one transaction without savepoints; a command
    // the database refuses halfway (here a trigger, in life a full disk or a bug) must fail
    // alone, and its rows must not stay behind with its batch-mates'.
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = Server::start(dir.path(), &log);
    let database = dir.path().join("qyzmet.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut db = SqliteConnectOptions::new()
            .filename(&database)
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await
            .unwrap();
        // The case row and its history are written before its task: the refusal comes midway.
        sqlx::query(
            "create trigger refuse_nowhere before insert on tasks when new.region = 'nowhere' \
             begin select raise(abort, 'refused'); end",
        )
        .execute(&mut db)
        .await
        .unwrap();
    });

    // Submissions at once, so that refused ones share batches with accepted ones.
    let addr = server.addr;
    let clients: Vec<_> = (0..32)
        .map(|i| {
            std::thread::spawn(move || {
                let region = if i % 4 == 0 { "nowhere" } else { "almaty" };
                let body = json!({
                    "service": "crash-check",
                    "data": { "applicant.iin": "850315300128", "applicant.account": format!("KZ{i:04}") },
                    "region": region,
                });
                let (status, answer) = http(addr, "POST", "/cases", Some(&body)).expect("the server answers");
                (region, status, answer)
            })
        })
        .collect();
    let mut accepted = 0;
    for client in clients {
        let (region, status, answer) = client.join().unwrap();
        match region {
            "nowhere" => assert_eq!(status, 500, "{answer}"),
            _ => {
                assert_eq!(status, 201, "{answer}\n{}", tail(&log));
                accepted += 1;
            }
        }
    }
    drop(server);
    let retried = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("each command in a savepoint"))
        .count();
    eprintln!("refused submissions shared a batch with others {retried} times");

    runtime.block_on(async {
        let mut db = SqliteConnectOptions::new()
            .filename(&database)
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let cases = scalar(&mut db, "select count(*) from cases").await;
        let refused = scalar(
            &mut db,
            "select count(*) from cases where region = 'nowhere'",
        )
        .await;
        let tasks = scalar(&mut db, "select count(*) from tasks").await;
        let with_history = scalar(&mut db, "select count(distinct case_id) from history").await;
        let orphans = scalar(
            &mut db,
            "select count(*) from history where case_id not in (select id from cases)",
        )
        .await;
        // Every case kept has its task and its history; nothing is left of a refused one.
        assert_eq!(
            (cases, refused, tasks, with_history, orphans),
            (accepted, 0, accepted, accepted, 0)
        );
    });
}

/// Submits until `CASES` cases exist, reading the count from the server each time, so a
/// submission whose reply was lost to a kill is never made twice.
fn submitter(load: &Load) {
    let mut n: u32 = 0;
    loop {
        let health = load.get("/health");
        let existing: u64 = health["counts"]["cases"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, v)| v.as_u64().unwrap_or(0))
            .sum();
        if existing as usize >= CASES {
            load.lock().submitted = true;
            load.changed.notify_all();
            return;
        }
        n += 1;
        let body = json!({
            "service": "crash-check",
            "data": { "applicant.iin": "850315300128", "applicant.account": format!("KZ{n:04}"), "applicant.email": format!("citizen{n}@example.kz") },
            "region": "almaty",
            "language": if n.is_multiple_of(2) { "kk" } else { "ru" },
            "sms_consent": n.is_multiple_of(3),
            "channel": "state_corporation",
        });
        match load.try_call("POST", "/cases", Some(&body)) {
            Ok((201, _)) => load.answered(),
            Ok((status, body)) => panic!("a submission was answered {status}: {body}"),
            Err(lost) => load.after_failure(lost),
        }
    }
}

/// Takes the acceptance tasks whose case number falls to this clerk, claims and completes
/// each; stops when every case is in and no acceptance task is left.
fn clerk_at_work(load: &Load, clerk: usize) {
    loop {
        let queue = load.get(QUEUE);
        let tasks = queue["tasks"].as_array().cloned().unwrap_or_default();
        let mine: Vec<&Value> = tasks
            .iter()
            .filter(|t| {
                t["number"]
                    .as_str()
                    .and_then(|n| n.rsplit('-').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| n % CLERKS == clerk)
            })
            .collect();
        if mine.is_empty() {
            if tasks.is_empty() && load.lock().submitted {
                return;
            }
            load.pause(Duration::from_millis(20));
            continue;
        }
        for task in mine {
            let key = task["key"].as_str().expect("a task has a key");
            // A claim or completion that committed before a kill answers 409 when retried.
            load.write(&format!("/tasks/{key}/claim"), &json!({}));
            load.write(
                &format!("/tasks/{key}/complete"),
                &json!({ "outcome": "complete", "form": {} }),
            );
        }
    }
}

/// What the clients share with the test's main thread.
struct Load {
    state: Mutex<LoadState>,
    changed: Condvar,
}

struct LoadState {
    /// Where the server listens; `None` while it is down.
    addr: Option<SocketAddr>,
    /// How many times the server was started.
    generation: u32,
    /// Writes answered (submissions, claims, completions): the clock of the kill plan.
    answered: usize,
    /// Every case has been submitted.
    submitted: bool,
}

/// A request that got no answer: the server it was sent to (by generation) died, or said 5xx.
struct Lost(u32);

impl Load {
    fn new(addr: SocketAddr) -> Self {
        Load {
            state: Mutex::new(LoadState {
                addr: Some(addr),
                generation: 0,
                answered: 0,
                submitted: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, LoadState> {
        self.state.lock().unwrap()
    }

    /// Waits, up to `PATIENCE`, until `done` holds.
    fn wait(&self, what: &str, done: impl Fn(&LoadState) -> bool) {
        let (guard, timeout) = self
            .changed
            .wait_timeout_while(self.lock(), PATIENCE, |s| !done(s))
            .unwrap();
        drop(guard);
        assert!(!timeout.timed_out(), "gave up waiting for {what}");
    }

    /// Waits a little for something to change on the server; wakes at once on a restart.
    fn pause(&self, at_most: Duration) {
        let generation = self.lock().generation;
        let _ = self
            .changed
            .wait_timeout_while(self.lock(), at_most, |s| s.generation == generation)
            .unwrap();
    }

    fn restarted(&self, addr: SocketAddr) {
        let mut s = self.lock();
        s.addr = Some(addr);
        s.generation += 1;
        self.changed.notify_all();
    }

    fn answered(&self) {
        self.lock().answered += 1;
        self.changed.notify_all();
    }

    /// After a lost request: waits for the restart that follows a kill, or briefly, when
    /// the failure had another cause, before the caller retries.
    fn after_failure(&self, Lost(generation): Lost) {
        let _ = self
            .changed
            .wait_timeout_while(self.lock(), Duration::from_millis(200), |s| {
                s.generation == generation || s.addr.is_none()
            })
            .unwrap();
    }

    /// One attempt at a request against the server running now.
    fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), Lost> {
        let deadline = Instant::now() + PATIENCE;
        let (addr, generation) = loop {
            let s = self.lock();
            if let Some(addr) = s.addr {
                break (addr, s.generation);
            }
            drop(s);
            assert!(Instant::now() < deadline, "the server did not come back");
            self.after_failure(Lost(u32::MAX));
        };
        match http(addr, method, path, body) {
            Ok((status, _)) if status >= 500 => Err(Lost(generation)),
            Ok(answer) => Ok(answer),
            Err(_) => Err(Lost(generation)),
        }
    }

    /// A read, retried until answered.
    fn get(&self, path: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.try_call("GET", path, None) {
                Ok((200, body)) => return body,
                Ok((status, body)) => panic!("GET {path} answered {status}: {body}"),
                Err(lost) => self.after_failure(lost),
            }
            assert!(
                Instant::now() < deadline,
                "GET {path} got no answer within {PATIENCE:?}"
            );
        }
    }

    /// A clerk's write, retried until answered; a 409 on a retry means an earlier attempt
    /// committed.
    fn write(&self, path: &str, body: &Value) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.try_call("POST", path, Some(body)) {
                Ok((204 | 409, _)) => return self.answered(),
                Ok((status, answer)) => panic!("POST {path} answered {status}: {answer}"),
                Err(lost) => self.after_failure(lost),
            }
            assert!(
                Instant::now() < deadline,
                "POST {path} got no answer within {PATIENCE:?}"
            );
        }
    }
}

/// One HTTP/1.1 exchange on its own connection: the status and the JSON body (null when empty).
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let broken =
        |what: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_string());
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        TOKENS
            .lock()
            .unwrap()
            .get(&addr)
            .cloned()
            .unwrap_or_default(),
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| broken("no complete response head"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| broken("no status"))?;
    let body = if rest.trim().is_empty() {
        Value::Null
    } else {
        // A reply cut short by a kill does not parse: it counts as lost.
        serde_json::from_str(rest).map_err(|_| broken("a truncated body"))?
    };
    Ok((status, body))
}

/// One `qyzmet serve`; killed when dropped, so a failing test leaves no process behind.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts the binary on `data_dir` and waits until it says where it listens.
    fn start(data_dir: &Path, log: &Arc<Mutex<Vec<String>>>) -> Server {
        let token = account(data_dir);
        let mut child = serve(data_dir)
            .env("QYZMET_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qyzmet serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (ready, address) = mpsc::channel();
        let lines = log.clone();
        // Drains stderr for the life of the process, so the server never blocks on a full
        // pipe, and keeps the lines for a failure message.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("qyzmet listening on http://") {
                    let _ = ready.send(addr.trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let Ok(addr) = address.recv_timeout(PATIENCE) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("qyzmet serve did not start:\n{}", tail(log));
        };
        let addr: SocketAddr = addr.parse().expect("the printed address parses");
        TOKENS.lock().unwrap().insert(addr, token);
        Server { child, addr }
    }

    /// `kill -9` (what `Child::kill` sends on Unix), and reaps the process.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A kill as it happened.
struct Kill {
    /// The planned point: after this many answered writes…
    after: usize,
    /// …and this pause.
    delay: Duration,
    /// Writes answered when the kill came.
    answered: usize,
    /// Since the test started.
    at: Duration,
}

/// What a failure message says: how to replay the run and what the server printed.
struct Report {
    seed: u64,
    kills: Vec<Kill>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Report {
    fn render(&self) -> String {
        let mut out = format!(
            "seed {} (replay with QYZMET_CRASH_SEED={})\nkills:\n",
            self.seed, self.seed
        );
        for k in &self.kills {
            let _ = writeln!(
                out,
                "  after {} writes + {:?}: killed with {} answered, {:?} into the test",
                k.after, k.delay, k.answered, k.at
            );
        }
        out
    }

    fn fail(&self, problem: &str) -> ! {
        panic!(
            "{problem}\n{}server log (last lines):\n{}",
            self.render(),
            tail(&self.log)
        );
    }
}

fn tail(log: &Mutex<Vec<String>>) -> String {
    let log = log.lock().unwrap();
    log[log.len().saturating_sub(40)..].join("\n")
}

/// What the database and the outbox folder say.
struct Verdict {
    /// Every broken promise found.
    problems: Vec<String>,
    /// Jobs in all.
    jobs: usize,
    /// Jobs performed again after a kill, recognised by their key and not repeated.
    repeats: i64,
}

/// Reads the data directory the server left: the database (read-only) and the outbox.
fn verify(dir: &Path) -> Verdict {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut db = SqliteConnectOptions::new()
            .filename(dir.join("qyzmet.db"))
            .read_only(true)
            .connect()
            .await
            .expect("the database opens");
        let mut problems = Vec::new();

        // Every case completed, after exactly four transitions (submission, acceptance, two
        // answers), each recorded once in the history, and closed once.
        let cases = sqlx::query("select id, number, status, seq from cases order by id")
            .fetch_all(&mut db)
            .await
            .unwrap();
        if cases.len() != CASES {
            problems.push(format!(
                "{} cases in the database, {CASES} submitted",
                cases.len()
            ));
        }
        let mut seqs: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for r in sqlx::query("select distinct case_id, seq from history")
            .fetch_all(&mut db)
            .await
            .unwrap()
        {
            seqs.entry(r.get(0)).or_default().insert(r.get(1));
        }
        let closed: BTreeMap<i64, i64> = sqlx::query(
            "select case_id, count(*) from history where kind = 'closed' group by case_id",
        )
        .fetch_all(&mut db)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        for case in &cases {
            let (id, number, status, seq): (i64, String, String, i64) =
                (case.get(0), case.get(1), case.get(2), case.get(3));
            if status != "completed" {
                problems.push(format!("{number} is {status}"));
            }
            if seq != 3 {
                problems.push(format!(
                    "{number} took {} transitions, not 4: an event was lost or applied twice",
                    seq + 1
                ));
            }
            let expected: BTreeSet<i64> = (0..=seq).collect();
            let recorded = seqs.get(&id).cloned().unwrap_or_default();
            if recorded != expected {
                problems.push(format!(
                    "{number}: history transitions {recorded:?}, expected {expected:?}"
                ));
            }
            if closed.get(&id) != Some(&1) {
                problems.push(format!(
                    "{number} was closed {} times in its history",
                    closed.get(&id).unwrap_or(&0)
                ));
            }
        }

        // No task left open; one acceptance task per case.
        let open: i64 = sqlx::query("select count(*) from tasks where status != 'closed'")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get(0);
        let tasks: i64 = sqlx::query("select count(*) from tasks")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get(0);
        if open != 0 || tasks != CASES as i64 {
            problems.push(format!(
                "{tasks} tasks, {open} of them open; expected {CASES}, none open"
            ));
        }

        // Every job done, seven per case; each file job's file written exactly once.
        let jobs = sqlx::query("select key, kind, status from jobs")
            .fetch_all(&mut db)
            .await
            .unwrap();
        let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for j in &jobs {
            let (key, kind, status): (String, String, String) = (j.get(0), j.get(1), j.get(2));
            if status != "done" {
                problems.push(format!("job {key} ({kind}) is {status}"));
            }
            if let Some((_, folder)) = FILE_KINDS.iter().find(|(k, _)| *k == kind) {
                expected
                    .entry(folder.to_string())
                    .or_default()
                    .insert(file_name(&kind, &key));
            }
        }
        if jobs.len() != CASES * 7 {
            problems.push(format!("{} jobs, expected 7 per case", jobs.len()));
        }
        let folders = names(&dir.join("outbox"));
        let known: BTreeSet<String> = ["email", "stage"].map(String::from).into();
        if !folders.is_subset(&known) {
            problems.push(format!(
                "unexpected outbox folders: {:?}",
                folders.difference(&known).collect::<Vec<_>>()
            ));
        }
        for (_, folder) in FILE_KINDS {
            let files = names(&dir.join(folder));
            let want = expected.remove(folder).unwrap_or_default();
            let missing: Vec<_> = want.difference(&files).collect();
            let extra: Vec<_> = files.difference(&want).collect();
            if !missing.is_empty() || !extra.is_empty() {
                problems.push(format!(
                    "{folder}: missing {missing:?}, not a job's {extra:?}"
                ));
            }
        }
        let repeats: i64 =
            sqlx::query("select count(*) from jobs where output like '%\"repeat\":true%'")
                .fetch_one(&mut db)
                .await
                .unwrap()
                .get(0);
        Verdict {
            problems,
            jobs: jobs.len(),
            repeats,
        }
    })
}

/// One number from the database.
async fn scalar(db: &mut sqlx::SqliteConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

/// The file a job's effect is written to: the notifier's names for e-mail and documents
/// (`notify::sent::file_key`), the stub outbox's for stage reports
/// (`worker::outbox::FileOutbox`).
pub(crate) fn file_name(kind: &str, key: &str) -> String {
    use qyzmet::notify::sent::file_key;
    match kind {
        "notify" => format!("{}.eml", file_key(&format!("{key}.email"), "")),
        "document" => format!("{}.html", file_key(key, "")),
        _ => format!("{}.json", qyzmet::worker::outbox::file_stem(key)),
    }
}

/// The visible entries of a folder (a `.tmp` left by a kill mid-write is not an effect).
pub(crate) fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}
