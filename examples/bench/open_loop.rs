//! `--rate R --seconds S [--processes N]`: cases arrive at a fixed rate whatever the engine
//! does with them (an open loop), and the run says whether the engine kept up.
//!
//! Each arrival is a citizen's application (`submit`) that the front-office clerk accepts
//! at once (the case's tasks read, the acceptance completed); the two data requests are
//! answered by the stub gateway through the engine's own job loop; the wait fires from the
//! engine's own timer loop; a team of clerks reads the decision queue and approves what is
//! there; the notification is counted when the job loop performs it — that is a complete
//! case. Each engine process runs its loops (`Engine::spawn_loops`, as `qyzmet serve`) and
//! its share of the arrivals and of the decision queue.
//!
//! **The clock.** The wait must fire during the run, and the shortest wait the format has is
//! one working minute of the office (`minutes: 1`, `bench-six-steps-live`). The engine's
//! clock is the system clock, paced: it starts at a working Monday, 10:00 in Almaty, and
//! moves `--speed` times as fast as the system clock (20 by default: the minute passes in
//! 3 s). Every process of a run reads the same system clock from the same origin, so they
//! agree. Leases (60 s of the engine's clock) last 3 s of the run at that speed; the timer
//! loop's sleeps (until the next timer is due, which [`PacedClock`]'s `wall_until` turns
//! into the system clock's time; 10 to 250 ms) and every latency are the system clock's. The wait's
//! lateness is the firing transition's time less the due time, divided by the speed: a
//! delay in the run's seconds.
//!
//! **The verdict.** Arrivals and complete cases are counted per tenth of a second. The
//! backlog is arrivals less complete cases so far. The run is *bounded* when (1) cases
//! complete at ≥ 95% of the arrival rate in the steady window (the second half of the
//! arrivals: a case lives a few seconds, so the first half fills the pipeline), (2) the
//! backlog grew by no more than 5% of the arrivals between the middle and the end of the
//! arrivals, plus 0.3 s of arrivals for the bursts of the loops' batches, and (3) the
//! arrivals kept their schedule (no arrival more than 1 s late).
//!
//! With `--processes N` (PostgreSQL only) this process spawns N-1 copies of itself
//! (`--child`), each an engine process on the same database; each says `ready` on its
//! standard output once its engine has started, takes the moment to begin (`go <ms> <ms>`)
//! on its standard input, and answers with one line of JSON: its arrivals, completions,
//! latencies and memory.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use qyzmet::clock::Clock;
use qyzmet::runtime::{Settings, Work};
use qyzmet::store::Location;
use qyzmet::worker::jobs::{BoxFuture, JobError, Performer};
use qyzmet::worker::outbox::stub_answer;
use qyzmet::worker::{Config, Engine};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::db::Db;
use crate::stats::{
    Histogram, Latencies, Marks, add_series, cumulative_at, memory_mb, round, unix_ms,
};

/// The service of the open-loop runs: the six steps with a one-minute wait.
pub const SERVICE: &str = "bench-six-steps-live";

/// Monday 5 January 2026, 10:00 in Almaty: a working day, in office hours.
pub fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 5, 0, 0).unwrap()
}

/// The system clock, moved to a working morning and running `speed` times as fast.
pub struct PacedClock {
    base: DateTime<Utc>,
    origin_us: i64,
    speed: f64,
}

impl PacedClock {
    /// At `base` when the system clock says `origin_ms`.
    pub fn new(base: DateTime<Utc>, origin_ms: i64, speed: f64) -> Self {
        PacedClock {
            base,
            origin_us: origin_ms * 1000,
            speed,
        }
    }
}

impl Clock for PacedClock {
    fn now(&self) -> DateTime<Utc> {
        let us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        self.base
            + chrono::Duration::microseconds(((us - self.origin_us) as f64 * self.speed) as i64)
    }

    fn wall_until(&self, at: DateTime<Utc>) -> Option<std::time::Duration> {
        let ahead = (at - self.now()).to_std().unwrap_or_default();
        Some(ahead.div_f64(self.speed))
    }
}

/// What one run is: the same for every process of it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The database.
    pub database: Location,
    /// Arrivals per second, all processes together.
    pub rate: f64,
    /// How long arrivals come, in seconds.
    pub seconds: f64,
    /// Engine processes.
    pub processes: usize,
    /// How many times as fast as the system clock the engine's clock runs.
    pub speed: f64,
    /// The system clock's milliseconds at which the engine's clock is at [`monday_morning`].
    pub origin_ms: i64,
}

impl Plan {
    /// The wait, in seconds of the run.
    pub fn wait_seconds(&self) -> f64 {
        60.0 / self.speed
    }

    /// How long the processes go on after the last arrival: the wait, and three seconds.
    pub fn tail_seconds(&self) -> f64 {
        self.wait_seconds() + 3.0
    }

    /// The arguments of a child process `index`.
    fn child_args(&self, index: usize) -> Vec<String> {
        let database = match &self.database {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => url.clone(),
        };
        vec![
            "--child".into(),
            index.to_string(),
            "--database".into(),
            database,
            "--rate".into(),
            self.rate.to_string(),
            "--seconds".into(),
            self.seconds.to_string(),
            "--processes".into(),
            self.processes.to_string(),
            "--speed".into(),
            self.speed.to_string(),
            "--origin-ms".into(),
            self.origin_ms.to_string(),
        ]
    }
}

/// What one engine process measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProcessReport {
    /// Which process (0: the parent).
    pub index: usize,
    /// Arrivals per tenth of a second from the start.
    pub arrivals: Vec<u64>,
    /// Complete cases (notifications performed) per tenth of a second from the start.
    pub completions: Vec<u64>,
    /// Engine calls by kind.
    pub latencies: BTreeMap<String, Histogram>,
    /// Calls that failed, by what they said.
    pub errors: BTreeMap<String, u64>,
    /// The latest an arrival was made after its time, in milliseconds.
    pub arrival_lag_max_ms: f64,
    /// Resident memory at the peak, in MB.
    pub peak_rss_mb: f64,
    /// Resident memory at the end, in MB.
    pub rss_mb: f64,
    /// The writer's batches committed during the run.
    #[serde(default)]
    pub writer: WriterLoad,
}

/// How busy the writer was: batches committed, the commands in them, and the time from
/// each batch's `begin` to its commit, summed (`worker::Observer`). Busy time over the
/// run's length says how close the one writer came to its limit.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct WriterLoad {
    /// Batches committed.
    pub batches: u64,
    /// Commands in them.
    pub commands: u64,
    /// Milliseconds from begin to commit, summed.
    pub busy_ms: f64,
}

/// Counts the writer's batches (`WriterLoad`).
#[derive(Default)]
struct WriterWatch {
    batches: std::sync::atomic::AtomicU64,
    commands: std::sync::atomic::AtomicU64,
    busy_us: std::sync::atomic::AtomicU64,
}

impl WriterWatch {
    fn load(&self) -> WriterLoad {
        use std::sync::atomic::Ordering::Relaxed;
        WriterLoad {
            batches: self.batches.load(Relaxed),
            commands: self.commands.load(Relaxed),
            busy_ms: self.busy_us.load(Relaxed) as f64 / 1000.0,
        }
    }
}

impl qyzmet::worker::Observer for WriterWatch {
    fn batch_committed(&self, commands: usize, took: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        self.batches.fetch_add(1, Relaxed);
        self.commands.fetch_add(commands as u64, Relaxed);
        self.busy_us.fetch_add(took.as_micros() as u64, Relaxed);
    }
    fn timer_fired(&self, _late: chrono::Duration) {}
    fn batch_run_again(&self) {}
}

/// Counts every notification performed; answers the data requests from the stub gateway.
struct Counting {
    completed: Marks,
}

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
                Work::Notify { .. } => {
                    self.completed.mark();
                    Ok(json!({ "counted": true }))
                }
                _ => Ok(json!({ "counted": true })),
            }
        })
    }
}

/// One engine process of a run, started and waiting for its moment.
pub struct Process {
    plan: Plan,
    index: usize,
    engine: Engine,
    completed: Marks,
    writer: Arc<WriterWatch>,
}

impl Process {
    /// Starts the engine (its migrations, its definitions) on the paced clock.
    pub async fn start(plan: &Plan, index: usize) -> anyhow::Result<Process> {
        let completed = Marks::default();
        let engine = Engine::start(Config {
            database: plan.database.clone(),
            workflows: PathBuf::from(crate::WORKFLOWS),
            calendars: PathBuf::from("calendars"),
            settings: Settings::default(),
            clock: Arc::new(PacedClock::new(
                monday_morning(),
                plan.origin_ms,
                plan.speed,
            )),
            performer: Arc::new(Counting {
                completed: completed.clone(),
            }),
            number_prefix: "QZ".into(),
        })
        .await?;
        let writer = Arc::new(WriterWatch::default());
        engine.observe(writer.clone());
        Ok(Process {
            plan: plan.clone(),
            index,
            engine,
            completed,
            writer,
        })
    }

    /// Runs its share from `go_ms` to `end_ms` (system clock) and says what it measured.
    pub async fn run(self, go_ms: i64, end_ms: i64) -> anyhow::Result<ProcessReport> {
        let Process {
            plan,
            index,
            engine,
            completed,
            writer,
        } = self;
        let n = plan.processes;
        let latencies = Latencies::default();
        let errors: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
        let arrived = Marks::default();
        let stop = tokio_util::sync::CancellationToken::new();
        let mut loops = engine.spawn_loops(stop.clone());

        sleep_until(go_ms).await;
        let writer_before = writer.load();
        // The decision clerks: this process's share of the queue, each task approved by a
        // clerk of its own (as many clerks as tasks waiting), the queue read again when a
        // commit made work or after 20 ms.
        let clerks = {
            let (engine, lat, errors) = (engine.clone(), latencies.clone(), errors.clone());
            tokio::spawn(async move {
                // Tasks taken (being completed, or completed but perhaps still in a queue
                // read that began before the completion's commit), and those completed.
                let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
                let finished: Arc<Mutex<HashSet<String>>> = Arc::default();
                let mut working = tokio::task::JoinSet::new();
                while unix_ms() < end_ms {
                    let woken = engine.shared().work_ready.notified();
                    match lat
                        .time(
                            "read: the decision queue",
                            engine
                                .store()
                                .tasks(Some("provider_specialist"), None, None),
                        )
                        .await
                    {
                        Ok(queue) => {
                            let seen: HashSet<&str> =
                                queue.iter().map(|t| t.key.as_str()).collect();
                            {
                                let mut busy = busy.lock().unwrap();
                                finished.lock().unwrap().retain(|k| {
                                    let gone = !seen.contains(k.as_str());
                                    if gone {
                                        busy.remove(k);
                                    }
                                    !gone
                                });
                            }
                            for task in &queue {
                                if crate::fnv(&task.key) % n as u64 != index as u64
                                    || !busy.lock().unwrap().insert(task.key.clone())
                                {
                                    continue;
                                }
                                let (engine, lat, errors, finished) = (
                                    engine.clone(),
                                    lat.clone(),
                                    errors.clone(),
                                    finished.clone(),
                                );
                                let key = task.key.clone();
                                working.spawn(async move {
                                    let by = format!("specialist-{index}");
                                    let done = lat
                                        .time(
                                            "complete: decision",
                                            engine.complete(&key, "approve", json!({}), &by),
                                        )
                                        .await;
                                    if let Err(e) = done {
                                        count(&errors, &e.to_string());
                                    }
                                    finished.lock().unwrap().insert(key);
                                });
                            }
                        }
                        Err(e) => count(&errors, &e.to_string()),
                    }
                    while working.try_join_next().is_some() {}
                    let _ = tokio::time::timeout(Duration::from_millis(20), woken).await;
                }
                working.shutdown().await;
            })
        };

        // The arrivals: process `index` of `n` takes arrivals index, index + n, …
        let total = (plan.rate * plan.seconds).floor() as usize;
        let mut lag_max: f64 = 0.0;
        let mut arrivals = tokio::task::JoinSet::new();
        let mut k = index;
        while k < total {
            let due = go_ms as f64 + k as f64 * 1000.0 / plan.rate;
            let wait = due - unix_ms() as f64;
            if wait > 0.0 {
                tokio::time::sleep(Duration::from_micros((wait * 1000.0) as u64)).await;
            }
            lag_max = lag_max.max(unix_ms() as f64 - due);
            let (engine, lat, errors, arrived) = (
                engine.clone(),
                latencies.clone(),
                errors.clone(),
                arrived.clone(),
            );
            arrivals.spawn(async move {
                arrived.mark();
                if let Err(e) = arrive(&engine, &lat, k).await {
                    count(&errors, &e.to_string());
                }
            });
            while arrivals.try_join_next().is_some() {}
            k += n;
        }
        sleep_until(end_ms).await;
        stop.cancel();
        let _ = clerks.await;
        arrivals.shutdown().await;
        while loops.join_next().await.is_some() {}
        let (rss, peak) = memory_mb();
        let errors = errors.lock().unwrap().clone();
        let writer_after = writer.load();
        Ok(ProcessReport {
            index,
            arrivals: arrived.series(go_ms),
            completions: completed.series(go_ms),
            latencies: latencies.snapshot(),
            errors,
            arrival_lag_max_ms: round(lag_max.max(0.0)),
            peak_rss_mb: round(peak),
            rss_mb: round(rss),
            writer: WriterLoad {
                batches: writer_after.batches - writer_before.batches,
                commands: writer_after.commands - writer_before.commands,
                busy_ms: round(writer_after.busy_ms - writer_before.busy_ms),
            },
        })
    }
}

/// One arrival: the application, and the front office's acceptance of it.
async fn arrive(engine: &Engine, lat: &Latencies, k: usize) -> anyhow::Result<()> {
    let number = lat
        .time("submit", engine.submit(SERVICE, crate::submission(k)))
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
        engine.complete(&task.key, "complete", json!({}), "operator"),
    )
    .await?;
    Ok(())
}

fn count(errors: &Mutex<BTreeMap<String, u64>>, what: &str) {
    let what: String = what.chars().take(80).collect();
    *errors.lock().unwrap().entry(what).or_default() += 1;
}

async fn sleep_until(ms: i64) {
    let wait = ms - unix_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}

/// `--child I`: one engine process of a run its parent leads.
pub async fn child(plan: Plan, index: usize) -> anyhow::Result<()> {
    let process = Process::start(&plan, index).await?;
    println!("ready");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let mut words = line.split_whitespace().skip(1).map(str::parse::<i64>);
    let (Some(Ok(go)), Some(Ok(end))) = (words.next(), words.next()) else {
        anyhow::bail!("expected `go <ms> <ms>`, got {line:?}");
    };
    let report = process.run(go, end).await?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// `--rate`: the whole run, this process and its children; prints the summary and returns
/// its JSON.
pub async fn run(plan: Plan) -> anyhow::Result<Value> {
    if plan.processes > 1 && matches!(plan.database, Location::Sqlite(_)) {
        anyhow::bail!("--processes needs PostgreSQL: one process owns an SQLite file");
    }
    let process = Process::start(&plan, 0).await?;
    let mut db = Db::open(&plan.database).await?;
    let database = db.describe().await?;
    let size_before = db.size().await?;

    // The other engine processes: started, then told when to begin.
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for index in 1..plan.processes {
        let mut child = std::process::Command::new(&exe)
            .args(plan.child_args(index))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        out.read_line(&mut line)?;
        anyhow::ensure!(
            line.trim() == "ready",
            "process {index} did not start: {line:?}"
        );
        children.push((child, out));
    }
    let go_ms = unix_ms() + 300;
    let end_ms = go_ms + ((plan.seconds + plan.tail_seconds()) * 1000.0) as i64;
    for (child, _) in &mut children {
        let stdin = child.stdin.as_mut().expect("piped");
        writeln!(stdin, "go {go_ms} {end_ms}")?;
        stdin.flush()?;
    }
    eprintln!(
        "  {} process(es), {} cases/s for {} s (+{:.1} s to finish), {database}",
        plan.processes,
        plan.rate,
        plan.seconds,
        plan.tail_seconds()
    );
    let engine = process.engine.clone();
    let mut reports = vec![process.run(go_ms, end_ms).await?];
    for (index, (mut child, mut out)) in children.into_iter().enumerate() {
        let mut line = String::new();
        out.read_line(&mut line)?;
        let report: ProcessReport = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("process {}: {e}: {line:?}", index + 1))?;
        reports.push(report);
        child.wait()?;
    }

    // The timer's lateness, from the history: due one working minute after the case
    // entered the wait, fired when the firing transition says.
    let (def, calendar) = engine.shared().in_force(SERVICE, monday_morning())?;
    let _ = def;
    let profile = engine.shared().settings.office_profile.clone();
    let mut late = Histogram::default();
    let mut early = 0;
    for (entered, fired) in db.waits("cool_off").await? {
        let due = calendar
            .add_working_minutes(&profile, entered.with_timezone(&calendar.time_zone()), 1)?
            .with_timezone(&Utc);
        let engine_late = (fired - due).num_microseconds().unwrap_or(0) as f64;
        if engine_late < 0.0 {
            early += 1;
        }
        late.record(Duration::from_micros(
            (engine_late.max(0.0) / plan.speed) as u64,
        ));
    }
    drop(engine);
    let size_after = db.size().await?;
    db.close().await;

    let summary = summarize(
        &plan,
        &reports,
        &late,
        early,
        size_after.saturating_sub(size_before),
        &database,
    );
    Ok(summary)
}

/// Merges the processes' figures, judges the run and prints it.
fn summarize(
    plan: &Plan,
    reports: &[ProcessReport],
    late: &Histogram,
    early: u64,
    grown_bytes: u64,
    database: &str,
) -> Value {
    let mut arrivals = Vec::new();
    let mut completions = Vec::new();
    let mut latencies: BTreeMap<String, Histogram> = BTreeMap::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for r in reports {
        add_series(&mut arrivals, &r.arrivals);
        add_series(&mut completions, &r.completions);
        for (what, h) in &r.latencies {
            latencies.entry(what.clone()).or_default().merge(h);
        }
        for (what, n) in &r.errors {
            *errors.entry(what.clone()).or_default() += n;
        }
    }
    let mut transitions = Histogram::default();
    for what in ["submit", "complete: acceptance", "complete: decision"] {
        if let Some(h) = latencies.get(what) {
            transitions.merge(h);
        }
    }
    let verdict = judge(plan.rate, plan.seconds, &arrivals, &completions);
    let lag = reports
        .iter()
        .map(|r| r.arrival_lag_max_ms)
        .fold(0.0, f64::max);
    let bounded = verdict.bounded && lag < 1000.0;
    let submitted: u64 = arrivals.iter().sum();
    let completed: u64 = completions.iter().sum();
    let peak = reports.iter().map(|r| r.peak_rss_mb).fold(0.0, f64::max);
    let bytes_per_case = if submitted > 0 {
        grown_bytes as f64 / submitted as f64
    } else {
        0.0
    };

    eprintln!(
        "  submitted {submitted}, complete {completed}; complete cases/s in the steady window {:.0} \
         (arrivals {:.0}/s); backlog {} at mid-run, {} at the end: {}",
        verdict.completed_per_s,
        plan.rate,
        verdict.backlog_mid,
        verdict.backlog_end,
        if bounded { "bounded" } else { "GROWING" }
    );
    eprintln!(
        "  transition latency p50 {:.2} ms, p99 {:.2} ms; timer lateness p50 {:.0} ms, p99 {:.0} ms ({} timers{}); \
         peak RSS {:.0} MB (largest process); {:.0} bytes per case; arrivals at most {:.0} ms late",
        transitions.quantile_ms(0.5),
        transitions.quantile_ms(0.99),
        late.quantile_ms(0.5),
        late.quantile_ms(0.99),
        late.count,
        if early > 0 {
            format!(", {early} early")
        } else {
            String::new()
        },
        peak,
        bytes_per_case,
        lag
    );
    if !errors.is_empty() {
        eprintln!("  errors: {errors:?}");
    }
    let run_ms = (plan.seconds + plan.tail_seconds()) * 1000.0;
    for r in reports {
        let w = r.writer;
        eprintln!(
            "  process {}: the writer committed {} batches of {:.1} commands on average, busy {:.0}% of the run",
            r.index,
            w.batches,
            w.commands as f64 / w.batches.max(1) as f64,
            100.0 * w.busy_ms / run_ms
        );
    }
    crate::stats::print_table(&latencies);
    json!({
        "mode": "rate",
        "engine": "qyzmet",
        "database": database,
        "backend": plan.database.backend().name(),
        "processes": plan.processes,
        "rate": plan.rate,
        "seconds": plan.seconds,
        "speed": plan.speed,
        "wait_seconds": plan.wait_seconds(),
        "submitted": submitted,
        "completed": completed,
        "completed_per_s": round(verdict.completed_per_s),
        "backlog_mid": verdict.backlog_mid,
        "backlog_end": verdict.backlog_end,
        "bounded": bounded,
        "arrival_lag_max_ms": lag,
        "transition_ms": transitions.summary(),
        "latency_ms": crate::stats::summaries(&latencies),
        "timer_late_ms": late.summary(),
        "timers_early": early,
        "peak_rss_mb": peak,
        "peak_rss_mb_by_process": reports.iter().map(|r| r.peak_rss_mb).collect::<Vec<_>>(),
        "writer_by_process": reports.iter().map(|r| r.writer).collect::<Vec<_>>(),
        "bytes_per_case": round(bytes_per_case),
        "errors": errors,
        "arrivals": arrivals,
        "completions": completions,
    })
}

/// Whether the engine kept up with the arrivals (see the module's documentation).
pub struct Verdict {
    /// Complete cases per second in the steady window.
    pub completed_per_s: f64,
    /// Arrivals less complete cases at the middle of the arrivals.
    pub backlog_mid: i64,
    /// … and at the last arrival.
    pub backlog_end: i64,
    /// Kept up.
    pub bounded: bool,
}

/// Judges a run from its arrivals and completions per tenth of a second.
pub fn judge(rate: f64, seconds: f64, arrivals: &[u64], completions: &[u64]) -> Verdict {
    let from = seconds / 2.0;
    let completed_per_s = (cumulative_at(completions, seconds) - cumulative_at(completions, from))
        as f64
        / (seconds - from);
    let backlog = |t: f64| cumulative_at(arrivals, t) as i64 - cumulative_at(completions, t) as i64;
    let (backlog_mid, backlog_end) = (backlog(seconds / 2.0), backlog(seconds));
    let allowed = 0.05 * rate * seconds / 2.0 + 0.3 * rate;
    Verdict {
        completed_per_s,
        backlog_mid,
        backlog_end,
        bounded: completed_per_s >= 0.95 * rate && (backlog_end - backlog_mid) as f64 <= allowed,
    }
}
