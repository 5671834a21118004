//! The engine's throughput, latency and memory, measured in process; `examples/bench/run`
//! runs every scenario and writes the tables of `BENCHMARKS.md`.
//!
//! ```sh
//! bench=target/release/examples/bench      # cargo build --release --example bench
//! $bench --rate 400 --seconds 16           # open loop, SQLite in a temporary folder
//! $bench --rate 400 --processes 2 --database postgres://postgres@127.0.0.1/qz_bench
//! $bench --storm 100000                    # timers due at the same instant
//! $bench --open 1000000                    # cases left open; then a restart on them
//! $bench --ceiling                         # the same statements without the engine
//! $bench --cases 5000                      # the closed loop, with a manual clock
//! ```
//!
//! The engine runs as `qyzmet serve` runs it — by default an SQLite file in a temporary
//! folder in WAL mode with `synchronous=FULL`, or the PostgreSQL database `--database`
//! names; one writer with group commit, every reply after its commit. The workflows are
//! `examples/bench/workflows`: an acceptance task, two data requests in parallel (answered
//! by the stub gateway), a timer, a decision task, a notification (counted, not sent).
//!
//! - `--rate R --seconds S [--processes N]` (`bench/open_loop.rs`): arrivals at a fixed rate
//!   whatever the completions; complete cases per second, the backlog (bounded or growing),
//!   the latency of each engine call, the timer's lateness, memory, bytes per case.
//! - `--storm N` (`bench/storm.rs`): N timers due at the same instant; fires per second.
//! - `--open N`: N cases left waiting at their acceptance task; memory, the database's size,
//!   and the restart: a fresh process opens the engine on the database and reads the queue.
//! - `--ceiling [--connections N]` (`bench/ceiling.rs`): the statements of a case, made by
//!   the store's own functions without the rest of the engine: the database's own limit on
//!   this machine.
//! - `--cases N`: the closed loop of before: N cases at once, a manual clock that a ticker
//!   moves a day every 100 ms.
//!
//! Each prints what it measured on standard error and one line of JSON on standard output.

#[path = "bench/ceiling.rs"]
mod ceiling;
#[path = "bench/db.rs"]
mod db;
#[path = "bench/open_loop.rs"]
mod open_loop;
#[path = "bench/stats.rs"]
mod stats;
#[path = "bench/storm.rs"]
mod storm;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Settings, Submission, Work};
use qyzmet::store::Location;
use qyzmet::worker::jobs::{BoxFuture, JobError, Performer};
use qyzmet::worker::outbox::{FileOutbox, stub_answer};
use qyzmet::worker::{Config, Engine};
use serde_json::{Value, json};

use stats::{Latencies, memory_mb, round};

/// The closed loop's and the open cases' service: the six steps with a one-day wait.
const SERVICE: &str = "bench-six-steps";

/// The benchmark's workflows, catalog and templates.
const WORKFLOWS: &str = "examples/bench/workflows";

/// Measures the engine.
#[derive(Debug, Parser)]
struct Args {
    /// The database: a `postgres://` URL, or an SQLite file (default: `qyzmet.db` in a
    /// temporary folder, or in `--dir`). A PostgreSQL database is used as it is: give an
    /// empty one.
    #[arg(long)]
    database: Option<String>,
    /// Open loop: this many new cases a second, whatever the engine does with them.
    #[arg(long)]
    rate: Option<f64>,
    /// Open loop: for this many seconds.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Open loop, PostgreSQL: this many engine processes on the database (this one and N-1
    /// copies of it), each with its share of the arrivals and of the queue.
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// Open loop: how many times as fast as the system clock the engine's clock runs (the
    /// wait, one working minute, lasts 60/speed seconds).
    #[arg(long, default_value_t = 20.0)]
    speed: f64,
    /// This many timers due at the same instant, fired by the engine's timer loop.
    #[arg(long)]
    storm: Option<usize>,
    /// Open this many cases that wait at their acceptance task; then restart on them.
    #[arg(long)]
    open: Option<usize>,
    /// The database's ceiling for a case's statements, without the engine.
    #[arg(long)]
    ceiling: bool,
    /// The ceiling: connections replaying at once (PostgreSQL; SQLite has one writer).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Closed loop: complete this many six-step cases.
    #[arg(long, default_value_t = 5000)]
    cases: usize,
    /// Clients submitting (and, closed loop, accepting) cases at once.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Closed loop: clerks working the decision queue at once.
    #[arg(long, default_value_t = 4)]
    clerks: usize,
    /// Closed loop: who performs the outbox jobs, `file` (the embedded default) or `count`.
    #[arg(long, value_enum, default_value_t = Outbox::File)]
    performer: Outbox,
    /// Keep the SQLite file and the outbox here (it must not hold a database yet) instead
    /// of a temporary folder.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// One engine process of an open-loop run its parent leads (internal).
    #[arg(long, hide = true)]
    child: Option<usize>,
    /// The system clock's milliseconds at which the paced clock starts (internal).
    #[arg(long, hide = true)]
    origin_ms: Option<i64>,
    /// Open the engine on an existing database and time until it answers (internal).
    #[arg(long, hide = true)]
    restart_check: bool,
}

/// Who performs the outbox jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Outbox {
    /// One file per notification under the data directory, as `qyzmet serve` writes them.
    File,
    /// Notifications counted, not written.
    Count,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let temp = tempfile::tempdir()?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let location = match &args.database {
        Some(text) => Location::parse(text),
        None => Location::Sqlite(dir.join("qyzmet.db")),
    };
    let plan = || open_loop::Plan {
        database: location.clone(),
        rate: args.rate.unwrap_or(0.0),
        seconds: args.seconds,
        processes: args.processes.max(1),
        speed: args.speed,
        origin_ms: args.origin_ms.unwrap_or_else(stats::unix_ms),
    };
    if let Some(index) = args.child {
        return open_loop::child(plan(), index).await;
    }
    if args.restart_check {
        return restart_check(location).await;
    }
    eprintln!("{}", machine());
    let result = if args.rate.is_some() {
        open_loop::run(plan()).await?
    } else if let Some(n) = args.storm {
        storm::run(location, n, args.clients).await?
    } else if args.ceiling {
        ceiling::run(location, args.seconds, args.connections).await?
    } else if let Some(n) = args.open {
        open(location, n, args.clients).await?
    } else {
        complete(&args, location, &dir).await?
    };
    println!("{result}");
    Ok(())
}

/// `--cases`: N cases from submission to the last notification, with a manual clock.
async fn complete(args: &Args, location: Location, dir: &std::path::Path) -> anyhow::Result<Value> {
    // Monday 5 January 2026, 10:00 in Almaty: a working day, in office hours.
    let clock = Arc::new(ManualClock::new(open_loop::monday_morning()));
    let inner: Box<dyn Performer> = match args.performer {
        Outbox::File => Box::new(FileOutbox::new(dir.join("outbox"))),
        Outbox::Count => Box::new(Counting),
    };
    let performer = Arc::new(Timed::new(inner));
    let engine = Engine::start(Config {
        database: location,
        workflows: PathBuf::from(WORKFLOWS),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock: clock.clone(),
        performer: performer.clone(),
        number_prefix: "QZ".into(),
    })
    .await?;
    let latencies = Latencies::default();
    let n = args.cases;
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let decided = Arc::new(AtomicUsize::new(0));
    let mut people = tokio::task::JoinSet::new();

    // Clients: submit, open the case's task, accept.
    for client in 0..args.clients {
        let (engine, next, lat) = (engine.clone(), next.clone(), latencies.clone());
        people.spawn(async move {
            let by = format!("operator-{client}");
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let number = lat
                    .time("submit", engine.submit(SERVICE, submission(client)))
                    .await?;
                let tasks = lat
                    .time(
                        "read: the case's tasks",
                        engine.store().tasks(None, None, Some(&number)),
                    )
                    .await?;
                let task = tasks
                    .first()
                    .ok_or_else(|| anyhow::anyhow!("{number} has no acceptance task"))?;
                lat.time(
                    "complete: acceptance",
                    engine.complete(&task.key, "complete", json!({}), &by),
                )
                .await?;
            }
            anyhow::Ok(())
        });
    }
    // Clerks: take the decision tasks that fall to them from the queue, approve each.
    for clerk in 0..args.clerks {
        let (engine, decided, lat, clerks) = (
            engine.clone(),
            decided.clone(),
            latencies.clone(),
            args.clerks,
        );
        people.spawn(async move {
            let by = format!("specialist-{clerk}");
            while decided.load(Ordering::Relaxed) < n {
                let woken = engine.shared().work_ready.notified();
                let queue = lat
                    .time(
                        "read: the decision queue",
                        engine
                            .store()
                            .tasks(Some("provider_specialist"), None, None),
                    )
                    .await?;
                let mine: Vec<_> = queue
                    .iter()
                    .filter(|t| fnv(&t.key) % clerks as u64 == clerk as u64)
                    .collect();
                if mine.is_empty() {
                    let _ = tokio::time::timeout(Duration::from_millis(20), woken).await;
                    continue;
                }
                for task in mine {
                    lat.time(
                        "complete: decision",
                        engine.complete(&task.key, "approve", json!({}), &by),
                    )
                    .await?;
                    decided.fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(())
        });
    }
    // The job worker: lease a batch, perform it, record every outcome.
    let stop = tokio_util::sync::CancellationToken::new();
    let mut loops = tokio::task::JoinSet::new();
    {
        let (engine, lat, performer, stop) = (
            engine.clone(),
            latencies.clone(),
            performer.clone(),
            stop.clone(),
        );
        loops.spawn(async move {
            while !stop.is_cancelled() {
                let woken = engine.shared().work_ready.notified();
                let ran = lat
                    .time("run_jobs_once (a batch)", engine.run_jobs_once(256))
                    .await?;
                let recorded = Instant::now();
                for answered in performer.answered.lock().unwrap().drain(..) {
                    lat.record("job: answer to recorded", recorded - answered);
                }
                if ran == 0 {
                    let _ = tokio::time::timeout(Duration::from_millis(20), woken).await;
                }
            }
            anyhow::Ok(())
        });
    }
    // The ticker: a day passes every 100 ms, and the timers due fire.
    {
        let (engine, lat, clock, stop) = (
            engine.clone(),
            latencies.clone(),
            clock.clone(),
            stop.clone(),
        );
        loops.spawn(async move {
            while !stop.is_cancelled() {
                clock.advance(chrono::Duration::days(1));
                while lat
                    .time("fire_due_timers (a batch)", engine.fire_due_timers(500))
                    .await?
                    == 500
                {}
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            anyhow::Ok(())
        });
    }

    while let Some(done) = people.join_next().await {
        done??;
    }
    // Every case has ended; the last notifications are being written.
    loop {
        let counts = engine.store().counts().await?;
        if counts["jobs"].get("pending").is_none() {
            anyhow::ensure!(
                counts["cases"]["completed"] == json!(n),
                "not every case completed: {counts}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    stop.cancel();
    while let Some(done) = loops.join_next().await {
        done??;
    }

    eprintln!(
        "\n{n} complete six-step cases, {} clients, {} clerks, outbox: {:?}",
        args.clients, args.clerks, args.performer
    );
    let per_s = n as f64 / elapsed.as_secs_f64();
    eprintln!("  {:<34} {:>12.0}", "cases per second", per_s);
    eprintln!("  {:<34} {:>12.2?}", "wall time", elapsed);
    latencies.print();
    let (rss, peak) = memory_mb();
    eprintln!("\n  memory: resident {rss:.0} MB now, {peak:.0} MB at the peak (VmRSS, VmHWM)");
    Ok(json!({
        "mode": "cases",
        "cases": n,
        "cases_per_s": round(per_s),
        "latency_ms": stats::summaries(&latencies.snapshot()),
        "peak_rss_mb": round(peak),
    }))
}

/// `--open N`: N cases left waiting at their acceptance task, then a restart on them.
async fn open(location: Location, n: usize, clients: usize) -> anyhow::Result<Value> {
    let clock = Arc::new(ManualClock::new(open_loop::monday_morning()));
    let engine = Engine::start(Config {
        database: location.clone(),
        workflows: PathBuf::from(WORKFLOWS),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock,
        performer: Arc::new(Counting),
        number_prefix: "QZ".into(),
    })
    .await?;
    let mut db = db::Db::open(&location).await?;
    let database = db.describe().await?;
    let size_before = db.size().await?;
    let latencies = Latencies::default();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut openers = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (engine, next, lat) = (engine.clone(), next.clone(), latencies.clone());
        openers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                if i > 0 && i.is_multiple_of(100_000) {
                    let (rss, _) = memory_mb();
                    eprintln!(
                        "  {i} cases open after {:.0?}, resident {rss:.0} MB",
                        started.elapsed()
                    );
                }
                lat.time("submit", engine.submit(SERVICE, submission(client)))
                    .await?;
            }
        });
    }
    while let Some(done) = openers.join_next().await {
        done??;
    }
    let elapsed = started.elapsed();
    // A clerk opening the queue: the first 1000 of every case waiting, most urgent first.
    let queue = latencies
        .time(
            "read: the acceptance queue",
            engine
                .store()
                .tasks(Some("front_office_operator"), None, None),
        )
        .await?
        .len();
    let (rss, peak) = memory_mb();
    engine.store().close().await;
    drop(engine);
    let size = db.size().await?;
    db.close().await;
    let per_s = n as f64 / elapsed.as_secs_f64();
    eprintln!(
        "\n{n} cases opened, waiting at their acceptance task ({clients} clients), {database}"
    );
    eprintln!("  {:<34} {:>12.2?}", "time", elapsed);
    eprintln!("  {:<34} {:>12.0}", "cases opened per second", per_s);
    eprintln!(
        "  {:<34} {:>9.1} MB ({:.0} bytes a case)",
        "database",
        size as f64 / 1e6,
        size.saturating_sub(size_before) as f64 / n as f64
    );
    eprintln!("  {:<34} {:>12}", "queue read (first 1000)", queue);
    latencies.print();
    eprintln!("\n  memory: resident {rss:.0} MB now, {peak:.0} MB at the peak (VmRSS, VmHWM)");

    // The restart: a fresh process opens the engine on the database and reads the queue.
    let database_arg = match &location {
        Location::Sqlite(p) => p.display().to_string(),
        Location::Postgres(url) => url.clone(),
    };
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["--restart-check", "--database", &database_arg])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(output.status.success(), "the restart failed");
    let restart: Value = serde_json::from_slice(&output.stdout)?;
    Ok(json!({
        "mode": "open",
        "database": database,
        "backend": location.backend().name(),
        "cases": n,
        "seconds": round(elapsed.as_secs_f64()),
        "opened_per_s": round(per_s),
        "database_mb": round(size as f64 / 1e6),
        "bytes_per_case": round(size.saturating_sub(size_before) as f64 / n as f64),
        "rss_mb": round(rss),
        "peak_rss_mb": round(peak),
        "latency_ms": stats::summaries(&latencies.snapshot()),
        "restart": restart,
    }))
}

/// `--restart-check`: the engine opened on a database that holds cases, timed until it
/// answers a clerk's queue; the memory of the fresh process.
async fn restart_check(location: Location) -> anyhow::Result<()> {
    let started = Instant::now();
    let engine = Engine::start(Config {
        database: location,
        workflows: PathBuf::from(WORKFLOWS),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock: Arc::new(ManualClock::new(open_loop::monday_morning())),
        performer: Arc::new(Counting),
        number_prefix: "QZ".into(),
    })
    .await?;
    let ready = started.elapsed();
    let queue = engine
        .store()
        .tasks(Some("front_office_operator"), None, None)
        .await?
        .len();
    let answered = started.elapsed();
    let (rss, peak) = memory_mb();
    eprintln!(
        "  restart: the engine started in {ready:.2?}, answered the queue ({queue} tasks) \
         after {answered:.2?}; resident {rss:.0} MB, peak {peak:.0} MB"
    );
    println!(
        "{}",
        json!({
            "start_ms": round(ready.as_secs_f64() * 1e3),
            "answered_ms": round(answered.as_secs_f64() * 1e3),
            "rss_mb": round(rss),
            "peak_rss_mb": round(peak),
        })
    );
    Ok(())
}

fn submission(client: usize) -> Submission {
    Submission {
        data: json!({
            "applicant.iin": "850315300128",
            "applicant.account": format!("KZ{:04}", client % 10_000),
        }),
        channel: "state_corporation".into(),
        language: if client.is_multiple_of(2) {
            Language::Kk
        } else {
            Language::Ru
        },
        sms_consent: false,
        region: "almaty".into(),
    }
}

/// Answers data requests from the stub gateway; counts the rest and writes nothing.
struct Counting;

impl Performer for Counting {
    fn perform<'a>(
        &'a self,
        _key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Request {
                    connector, input, ..
                } => Ok(stub_answer(connector, input)),
                _ => Ok(json!({ "counted": true })),
            }
        })
    }
}

/// A performer, noting when each answer came back, so the time to record it is known.
struct Timed {
    inner: Box<dyn Performer>,
    answered: Mutex<Vec<Instant>>,
}

impl Timed {
    fn new(inner: Box<dyn Performer>) -> Self {
        Timed {
            inner,
            answered: Mutex::new(Vec::new()),
        }
    }
}

impl Performer for Timed {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            let outcome = self.inner.perform(key, work).await;
            self.answered.lock().unwrap().push(Instant::now());
            outcome
        })
    }
}

/// What the numbers were measured on.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GB", kb / 1e6))
        .unwrap_or_else(|| "?".into());
    format!("machine: {cores} cores, {cpu}, {memory} memory")
}

/// Spreads task keys over clerks.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
