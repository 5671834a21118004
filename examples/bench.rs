//! The engine's throughput, latency and memory, measured in process.
//!
//! ```sh
//! cargo run --release --example bench -- --cases 5000     # complete six-step cases
//! cargo run --release --example bench -- --open 1000000   # cases left waiting at a task
//! ```
//!
//! The engine runs as `qyzmet serve` runs it — a SQLite file in WAL mode with
//! `synchronous=FULL`, one writer with group commit, every reply after its commit — with a
//! manual clock and, by default, the file outbox (every notification is a file; the stub
//! gateway answers the data requests). `--performer count` answers the requests the same
//! way but only counts notifications, to measure the engine without the file system. The
//! workflow is `examples/bench/workflows`: an acceptance task, two
//! data requests in parallel, a one-day timer, a decision task, a notification.
//!
//! `--cases` plays the people and loops around the engine at once, as in production:
//! clients submit and accept cases, clerks work the decision queue, a job worker runs the
//! outbox, and a ticker moves the clock a day at a time and fires due timers. It reports
//! complete cases per second (from the first submission to the last notification written),
//! the latency of each engine call, and the process's peak memory.
//!
//! `--open` submits cases that stop at their acceptance task and reports the time taken,
//! the database's size and the process's memory afterwards: the engine keeps no case in
//! memory, so this is the memory of the process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use clap::Parser;
use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Settings, Submission, Work};
use qyzmet::worker::jobs::{BoxFuture, JobError, Performer};
use qyzmet::worker::outbox::{FileOutbox, stub_answer};
use qyzmet::worker::{Config, Engine};
use serde_json::{Value, json};

const SERVICE: &str = "bench-six-steps";

/// Measures the engine.
#[derive(Debug, Parser)]
struct Args {
    /// Complete this many six-step cases.
    #[arg(long, default_value_t = 5000)]
    cases: usize,
    /// Instead, open this many cases that wait at their acceptance task.
    #[arg(long)]
    open: Option<usize>,
    /// Clients submitting and accepting cases at once.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Clerks working the decision queue at once.
    #[arg(long, default_value_t = 4)]
    clerks: usize,
    /// Who performs the outbox jobs: `file` (the embedded default) or `count`.
    #[arg(long, value_enum, default_value_t = Outbox::File)]
    performer: Outbox,
    /// Keep the data here (it must not hold a database yet) instead of a temporary folder.
    #[arg(long)]
    dir: Option<PathBuf>,
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
    // Monday 5 January 2026, 10:00 in Almaty: a working day, in office hours.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 5, 5, 0, 0).unwrap(),
    ));
    let inner: Box<dyn Performer> = match args.performer {
        Outbox::File => Box::new(FileOutbox::new(dir.join("outbox"))),
        Outbox::Count => Box::new(Counting),
    };
    let performer = Arc::new(Timed::new(inner));
    let engine = Engine::start(Config {
        database: dir.join("qyzmet.db").into(),
        workflows: PathBuf::from("examples/bench/workflows"),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock: clock.clone(),
        performer: performer.clone(),
        number_prefix: "QZ".into(),
    })
    .await?;
    println!("{}", machine());
    let latencies = Latencies::default();
    match args.open {
        Some(n) => open(&engine, &args, n, &dir, &latencies).await?,
        None => complete(&engine, &args, &clock, &performer, &latencies).await?,
    }
    Ok(())
}

/// `--cases`: N cases from submission to the last notification.
async fn complete(
    engine: &Engine,
    args: &Args,
    clock: &Arc<ManualClock>,
    performer: &Arc<Timed>,
    latencies: &Latencies,
) -> anyhow::Result<()> {
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

    println!(
        "\n{n} complete six-step cases, {} clients, {} clerks, outbox: {:?}",
        args.clients, args.clerks, args.performer
    );
    println!(
        "  {:<34} {:>12.0}",
        "cases per second",
        n as f64 / elapsed.as_secs_f64()
    );
    println!("  {:<34} {:>12.2?}", "wall time", elapsed);
    latencies.print();
    println!("{}", memory());
    Ok(())
}

/// `--open N`: N cases left waiting at their acceptance task.
async fn open(
    engine: &Engine,
    args: &Args,
    n: usize,
    dir: &Path,
    latencies: &Latencies,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..args.clients {
        let (engine, next, lat) = (engine.clone(), next.clone(), latencies.clone());
        clients.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                if i > 0 && i.is_multiple_of(100_000) {
                    eprintln!("  {i} cases open after {:.0?}", started.elapsed());
                }
                lat.time("submit", engine.submit(SERVICE, submission(client)))
                    .await?;
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done??;
    }
    let elapsed = started.elapsed();
    let size = |name: &str| {
        std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    // A clerk opening the queue: the first 1000 of every case waiting, most urgent first.
    let open_tasks = latencies
        .time(
            "read: the acceptance queue",
            engine
                .store()
                .tasks(Some("front_office_operator"), None, None),
        )
        .await?
        .len();
    println!(
        "\n{n} cases opened, waiting at their acceptance task ({} clients)",
        args.clients
    );
    println!("  {:<34} {:>12.2?}", "time", elapsed);
    println!(
        "  {:<34} {:>12.0}",
        "cases opened per second",
        n as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  {:<34} {:>9.1} MB",
        "database file",
        size("qyzmet.db") as f64 / 1e6
    );
    println!(
        "  {:<34} {:>9.1} MB",
        "write-ahead log",
        size("qyzmet.db-wal") as f64 / 1e6
    );
    println!("  {:<34} {:>12}", "queue read (first 1000)", open_tasks);
    latencies.print();
    println!("{}", memory());
    Ok(())
}

fn submission(client: usize) -> Submission {
    Submission {
        data: json!({ "applicant.iin": "850315300128", "applicant.account": format!("KZ{client:04}") }),
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

/// Durations by what was measured.
#[derive(Clone, Default)]
struct Latencies(Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>);

impl Latencies {
    async fn time<T, E>(
        &self,
        what: &'static str,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let start = Instant::now();
        let out = call.await;
        self.record(what, start.elapsed());
        out
    }

    fn record(&self, what: &'static str, took: Duration) {
        self.0.lock().unwrap().entry(what).or_default().push(took);
    }

    fn print(&self) {
        println!(
            "\n  {:<34} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency", "count", "p50", "p95", "p99", "max"
        );
        for (what, all) in self.0.lock().unwrap().iter_mut() {
            all.sort();
            let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
            let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1e3);
            println!(
                "  {what:<34} {:>9} {:>9} {:>9} {:>9} {:>9}",
                all.len(),
                ms(at(0.50)),
                ms(at(0.95)),
                ms(at(0.99)),
                ms(*all.last().unwrap())
            );
        }
    }
}

/// The process's resident memory now and at its peak.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "\n  memory: resident {} now, {} at the peak (VmRSS, VmHWM)",
        field("VmRSS:"),
        field("VmHWM:")
    )
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
    format!("machine: {cores} cores, {cpu}, {memory} memory; SQLite WAL, synchronous=FULL")
}

/// Spreads task keys over clerks.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
