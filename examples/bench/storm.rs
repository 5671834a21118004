//! `--storm N`: N timers due at the same instant, fired by the engine's own timer loop.
//!
//! N cases of `bench-timer-storm` (a wait of one calendar day, then the end) are opened
//! while the engine's clock stands still, so every timer falls due at the same instant.
//! Then the clock moves two days on and the engine's loops start (`Engine::spawn_loops`, as
//! `qyzmet serve`): the timer loop fires them 500 a command, each a transition. The storm is
//! over when no timer is left (the benchmark's own connection looks every 20 ms).
//! Meanwhile an application of the six-step service is submitted every 10 ms, to show what
//! the storm does to the other commands waiting for the same writer.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qyzmet::clock::ManualClock;
use qyzmet::runtime::Settings;
use qyzmet::store::Location;
use qyzmet::worker::{Config, Engine};
use serde_json::{Value, json};

use crate::db::Db;
use crate::stats::{Histogram, Latencies, memory_mb, round};

/// `--storm N`.
pub async fn run(location: Location, n: usize, clients: usize) -> anyhow::Result<Value> {
    let clock = Arc::new(ManualClock::new(crate::open_loop::monday_morning()));
    let engine = Engine::start(Config {
        database: location.clone(),
        workflows: PathBuf::from(crate::WORKFLOWS),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock: clock.clone(),
        performer: Arc::new(crate::Counting),
        number_prefix: "QZ".into(),
    })
    .await?;
    let mut db = Db::open(&location).await?;
    let database = db.describe().await?;

    // The cases, each waiting a day: all due at the same instant.
    let opening = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut openers = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (engine, next) = (engine.clone(), next.clone());
        openers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                if i > 0 && i.is_multiple_of(20_000) {
                    eprintln!("  {i} timers set after {:.0?}", opening.elapsed());
                }
                engine
                    .submit("bench-timer-storm", crate::submission(client))
                    .await?;
            }
        });
    }
    while let Some(done) = openers.join_next().await {
        done??;
    }
    let opened = opening.elapsed();
    let set = db.timers().await?;
    anyhow::ensure!(set as usize >= n, "only {set} timers set");

    // The storm.
    clock.advance(chrono::Duration::days(2));
    let started = Instant::now();
    let stop = tokio_util::sync::CancellationToken::new();
    let mut loops = engine.spawn_loops(stop.clone());
    let probes = Latencies::default();
    let prober = {
        let (engine, probes, stop) = (engine.clone(), probes.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.is_cancelled() {
                tick.tick().await;
                let (engine, probes) = (engine.clone(), probes.clone());
                tokio::spawn(async move {
                    let _ = probes
                        .time(
                            "submit during the storm",
                            engine.submit(crate::SERVICE, crate::submission(i)),
                        )
                        .await;
                });
                i += 1;
            }
        })
    };
    while db.any_timer().await? {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if started.elapsed() > Duration::from_secs(600) {
            let left = db.timers().await?;
            anyhow::bail!("{left} timers still due after 10 minutes");
        }
    }
    let fired_in = started.elapsed();
    stop.cancel();
    let _ = prober.await;
    while loops.join_next().await.is_some() {}
    let (_, peak) = memory_mb();
    let probe: Histogram = probes
        .snapshot()
        .remove("submit during the storm")
        .unwrap_or_default();
    db.close().await;

    let per_s = set as f64 / fired_in.as_secs_f64();
    eprintln!(
        "  {set} timers due at once on {database}: set in {opened:.1?}, all fired in {fired_in:.2?}: \
         {per_s:.0} fires/s; a submission meanwhile p50 {:.1} ms, p99 {:.1} ms ({} made); peak RSS {peak:.0} MB",
        probe.quantile_ms(0.5),
        probe.quantile_ms(0.99),
        probe.count
    );
    Ok(json!({
        "mode": "storm",
        "database": database,
        "backend": location.backend().name(),
        "timers": set,
        "set_seconds": round(opened.as_secs_f64()),
        "fired_seconds": round(fired_in.as_secs_f64()),
        "fires_per_s": round(per_s),
        "submit_during_storm_ms": probe.summary(),
        "peak_rss_mb": round(peak),
    }))
}
