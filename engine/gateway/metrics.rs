//! Prometheus metrics: the gateway's requests, latency, failures and open circuit breakers;
//! the stage feed; the commands the database refused for a while (locked, full); and, read
//! at scrape time, the outbox depth, the open incidents and the cases per service and status.
//!
//! **Why `prometheus-client`.** It is the Prometheus project's own Rust client, maintained
//! with the OpenMetrics specification it implements; its registry is a value we own and
//! pass around, not a process-wide global, so each test (and each engine in a test process)
//! has its own metrics; label sets are typed; it has no unsafe code and few dependencies.
//! The `metrics` facade with its Prometheus exporter would bring a global recorder and an
//! HTTP server of its own, where we only need a function that returns the text.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::ledger::Ledger;
use crate::store::Unavailable;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    connector: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    connector: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectorLabel {
    connector: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedOutcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UnavailableLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabel {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CaseLabel {
    service: String,
    status: String,
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~41 s: the gateway answers in tens of milliseconds to tens of seconds.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// The metrics of one engine. Cheap to clone; clones share the counters.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<Outcome, Counter>,
    latency: Family<ConnectorLabel, Histogram, fn() -> Histogram>,
    failures: Family<Reason, Counter>,
    circuit_open: Family<ConnectorLabel, Gauge>,
    feed_posts: Family<FeedOutcome, Counter>,
    feed_latency: Histogram,
    database_unavailable: Family<UnavailableLabel, Counter>,
    jobs: Family<JobLabel, Gauge>,
    incidents: Gauge,
    cases: Family<CaseLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("qyzmet");
        let requests = Family::<Outcome, Counter>::default();
        r.register(
            "gateway_requests",
            "Gateway requests by connector and outcome (ok, retryable, fatal, circuit_open)",
            requests.clone(),
        );
        let latency: Family<ConnectorLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        r.register(
            "gateway_request_duration_seconds",
            "Time a gateway request took, answer or failure, by connector",
            latency.clone(),
        );
        let failures = Family::<Reason, Counter>::default();
        r.register(
            "gateway_failures",
            "Failed gateway requests by connector and reason (timeout, connect, status_5xx, status_4xx, fault, malformed, mapping, circuit_open, bad_input)",
            failures.clone(),
        );
        let circuit_open = Family::<ConnectorLabel, Gauge>::default();
        r.register(
            "gateway_circuit_open",
            "1 while a connector's circuit breaker is open or half-open, else 0",
            circuit_open.clone(),
        );
        let feed_posts = Family::<FeedOutcome, Counter>::default();
        r.register(
            "stage_feed_posts",
            "Stage reports posted to the monitoring system, by outcome (ok, retryable, fatal, waiting)",
            feed_posts.clone(),
        );
        let feed_latency = latency_histogram();
        r.register(
            "stage_feed_duration_seconds",
            "Time a stage report's post took",
            feed_latency.clone(),
        );
        // Nothing else shows an administrator that clerks and channels are being turned away
        // with 503 while another program holds the database or the disk is full: the job loop
        // only waits, and no incident is opened. Two reasons, so two series, both from zero.
        let database_unavailable = Family::<UnavailableLabel, Counter>::default();
        r.register(
            "database_unavailable",
            "Engine commands answered 503 unavailable because the database could not be written, by reason (locked: another program held its write lock past the lock wait; full: the disk is full)",
            database_unavailable.clone(),
        );
        for reason in [Unavailable::Locked, Unavailable::Full] {
            drop(database_unavailable.get_or_create(&UnavailableLabel {
                reason: reason.label().into(),
            }));
        }
        let jobs = Family::<JobLabel, Gauge>::default();
        r.register(
            "outbox_jobs",
            "Outbox jobs by kind and status, read at scrape time (pending is the outbox depth)",
            jobs.clone(),
        );
        let incidents = Gauge::default();
        r.register(
            "incidents_open",
            "Jobs that exhausted their retries and wait for an administrator",
            incidents.clone(),
        );
        let cases = Family::<CaseLabel, Gauge>::default();
        r.register(
            "cases",
            "Cases by service and status, read at scrape time",
            cases.clone(),
        );
        Metrics {
            registry: Arc::new(r),
            requests,
            latency,
            failures,
            circuit_open,
            feed_posts,
            feed_latency,
            database_unavailable,
            jobs,
            incidents,
            cases,
        }
    }

    /// Counts a gateway request's outcome and how long it took.
    pub fn request(&self, connector: &str, outcome: &str, took: Duration) {
        self.requests
            .get_or_create(&Outcome {
                connector: connector.into(),
                outcome: outcome.into(),
            })
            .inc();
        self.latency
            .get_or_create(&ConnectorLabel {
                connector: connector.into(),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts a failure by its reason.
    pub fn failure(&self, connector: &str, reason: &str) {
        self.failures
            .get_or_create(&Reason {
                connector: connector.into(),
                reason: reason.into(),
            })
            .inc();
    }

    /// Sets a connector's breaker gauge.
    pub fn circuit(&self, connector: &str, open: bool) {
        self.circuit_open
            .get_or_create(&ConnectorLabel {
                connector: connector.into(),
            })
            .set(i64::from(open));
    }

    /// Counts a stage report's post.
    pub fn feed(&self, outcome: &str, took: Option<Duration>) {
        self.feed_posts
            .get_or_create(&FeedOutcome {
                outcome: outcome.into(),
            })
            .inc();
        if let Some(took) = took {
            self.feed_latency.observe(took.as_secs_f64());
        }
    }

    /// Counts a command the database refused for a while (the engine's
    /// [`crate::worker::UnavailableWatch`]).
    pub fn database_unavailable(&self, why: Unavailable) {
        self.database_unavailable
            .get_or_create(&UnavailableLabel {
                reason: why.label().into(),
            })
            .inc();
    }

    /// The text exposition of every metric (OpenMetrics, which Prometheus reads).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing into a String cannot fail");
        out
    }

    /// Reads the counts of cases and jobs from the ledger, then encodes: what `GET /metrics`
    /// answers. A failed read leaves the last counts and is logged; the scrape still answers.
    pub async fn render(&self, ledger: &dyn Ledger) -> String {
        match ledger.counts().await {
            Ok(counts) => {
                self.jobs.clear();
                let mut incidents = 0;
                for (kind, status, n) in counts.jobs {
                    if status == "incident" {
                        incidents += n;
                    }
                    self.jobs.get_or_create(&JobLabel { kind, status }).set(n);
                }
                self.incidents.set(incidents);
                self.cases.clear();
                for (service, status, n) in counts.cases {
                    self.cases
                        .get_or_create(&CaseLabel { service, status })
                        .set(n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the counts for /metrics failed"),
        }
        self.encode()
    }
}
