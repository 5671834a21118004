//! What the benchmark counts: durations in logarithmic buckets, events per tenth of a
//! second, and the process's memory. Constant memory whatever the run's length (a million
//! submissions keep no million durations), and mergeable across engine processes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Each bucket is 2% wider than the one before: a quantile is known to within 1%.
const GROWTH: f64 = 1.02;

/// Durations in logarithmic buckets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Histogram {
    /// Count by bucket (bucket 0: under a microsecond).
    pub buckets: BTreeMap<u32, u64>,
    /// How many.
    pub count: u64,
    /// The longest, in milliseconds.
    pub max_ms: f64,
}

impl Histogram {
    /// Adds one duration.
    pub fn record(&mut self, took: Duration) {
        let us = took.as_secs_f64() * 1e6;
        let bucket = if us < 1.0 {
            0
        } else {
            (us.ln() / GROWTH.ln()) as u32 + 1
        };
        *self.buckets.entry(bucket).or_default() += 1;
        self.count += 1;
        self.max_ms = self.max_ms.max(us / 1e3);
    }

    /// Adds another process's.
    pub fn merge(&mut self, other: &Histogram) {
        for (b, n) in &other.buckets {
            *self.buckets.entry(*b).or_default() += n;
        }
        self.count += other.count;
        self.max_ms = self.max_ms.max(other.max_ms);
    }

    /// The `q` quantile in milliseconds (the middle of its bucket); 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((self.count as f64 * q).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                let us = if *b == 0 {
                    0.5
                } else {
                    GROWTH.powi(*b as i32 - 1) * (1.0 + GROWTH) / 2.0
                };
                return (us / 1e3).min(self.max_ms);
            }
        }
        self.max_ms
    }

    /// `{count, p50, p95, p99, max}` in milliseconds.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "count": self.count,
            "p50": round(self.quantile_ms(0.50)),
            "p95": round(self.quantile_ms(0.95)),
            "p99": round(self.quantile_ms(0.99)),
            "max": round(self.max_ms),
        })
    }
}

/// Each histogram's summary, by what was measured.
pub fn summaries(all: &BTreeMap<String, Histogram>) -> serde_json::Value {
    all.iter()
        .map(|(what, h)| (what.clone(), h.summary()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Three decimals: what a JSON figure keeps.
pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Durations by what was measured, shared by the tasks of one process.
#[derive(Clone, Default)]
pub struct Latencies(pub Arc<Mutex<BTreeMap<String, Histogram>>>);

impl Latencies {
    /// Times one call.
    pub async fn time<T, E>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let start = std::time::Instant::now();
        let out = call.await;
        self.record(what, start.elapsed());
        out
    }

    /// Adds one duration.
    pub fn record(&self, what: &str, took: Duration) {
        let mut all = self.0.lock().unwrap();
        match all.get_mut(what) {
            Some(h) => h.record(took),
            None => {
                let mut h = Histogram::default();
                h.record(took);
                all.insert(what.to_string(), h);
            }
        }
    }

    /// A copy of every histogram.
    pub fn snapshot(&self) -> BTreeMap<String, Histogram> {
        self.0.lock().unwrap().clone()
    }

    /// The table `--cases` and `--open` print.
    pub fn print(&self) {
        print_table(&self.snapshot());
    }
}

/// Prints histograms as a table on standard error.
pub fn print_table(all: &BTreeMap<String, Histogram>) {
    eprintln!(
        "\n  {:<34} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "latency", "count", "p50", "p95", "p99", "max"
    );
    for (what, h) in all {
        let ms = |x: f64| format!("{x:.2}ms");
        eprintln!(
            "  {what:<34} {:>9} {:>9} {:>9} {:>9} {:>9}",
            h.count,
            ms(h.quantile_ms(0.50)),
            ms(h.quantile_ms(0.95)),
            ms(h.quantile_ms(0.99)),
            ms(h.max_ms)
        );
    }
}

/// The width of a bucket of a series, in milliseconds.
pub const BUCKET_MS: i64 = 100;

/// When each of a kind of event happened (milliseconds of the system clock): arrivals,
/// completions. A run's few tens of thousands; counted per tenth of a second at its end.
#[derive(Clone, Default)]
pub struct Marks(Arc<Mutex<Vec<i64>>>);

impl Marks {
    /// One event now.
    pub fn mark(&self) {
        self.0.lock().unwrap().push(unix_ms());
    }

    /// The events per bucket of [`BUCKET_MS`] from `from_ms` (earlier ones in the first).
    pub fn series(&self, from_ms: i64) -> Vec<u64> {
        let mut counts = Vec::new();
        for at in self.0.lock().unwrap().iter() {
            let i = ((at - from_ms).max(0) / BUCKET_MS) as usize;
            if counts.len() <= i {
                counts.resize(i + 1, 0);
            }
            counts[i] += 1;
        }
        counts
    }
}

/// Adds series bucket by bucket.
pub fn add_series(into: &mut Vec<u64>, other: &[u64]) {
    if into.len() < other.len() {
        into.resize(other.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(other) {
        *a += b;
    }
}

/// How many up to second `t` of a series.
pub fn cumulative_at(series: &[u64], t: f64) -> u64 {
    let buckets = (t * 1000.0 / BUCKET_MS as f64).round() as usize;
    series.iter().take(buckets).sum()
}

/// The system clock in milliseconds since 1970: the time every process of a run agrees on.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The process's resident memory now and at its peak, in MB (VmRSS, VmHWM).
pub fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
