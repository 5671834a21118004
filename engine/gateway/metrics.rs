//! Prometheus metrics: the gateway's requests, latency, failures and open circuit breakers;
//! the stage feed; the commands the database refused for a while (locked, full); the writer's
//! batches (commands per commit, commit latency); the HTTP requests by matched route and
//! status; how late timers fire; and, read at scrape time, the outbox depth, the open
//! incidents, the cases per service and status, the open and overdue tasks by role and
//! region, and the unfinished jobs by kind and state with the age of the oldest ready one.
//!
//! **A scrape is cheap**: the families read at scrape time cost one grouped statement each
//! (four in all, through [`Ledger::counts`]), none of which reads a finished task or job but
//! the outbox's by-status count; everything else is counted as it happens.
//!
//! **Labels are bounded**: an HTTP request is labelled by the route it matched
//! (`/cases/{number}`), never its path, so no registration number or IIN becomes a series;
//! a request that matched no route is `route="unmatched"`.
//!
//! **Why `prometheus-client`.** It is the Prometheus project's own Rust client, maintained
//! with the OpenMetrics specification it implements; its registry is a value we own and
//! pass around, not a process-wide global, so each test (and each engine in a test process)
//! has its own metrics; label sets are typed; it has no unsafe code and few dependencies.
//! The `metrics` facade with its Prometheus exporter would bring a global recorder and an
//! HTTP server of its own, where we only need a function that returns the text.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabel {
    role: String,
    region: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    kind: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabel {
    method: String,
    route: String,
    status: String,
    class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    method: String,
    route: String,
}

/// The kinds of outbox work, each shown from zero so a dashboard's series do not appear
/// and vanish with the traffic.
const JOB_KINDS: [&str; 4] = ["request", "notify", "document", "stage"];

/// The states of an unfinished job (`store::operations::JobGauge::state`).
const JOB_STATES: [&str; 6] = [
    "ready",
    "leased",
    "retrying",
    "waiting",
    "awaiting_answer",
    "incident",
];

fn http_histogram() -> Histogram {
    // 1 ms … ~16 s: a page or an API call, the slowest being a PDF or a search.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
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
    tasks_open: Family<TaskLabel, Gauge>,
    tasks_overdue: Family<TaskLabel, Gauge>,
    queue: Family<QueueLabel, Gauge>,
    oldest_ready: Family<KindLabel, Gauge<f64, AtomicU64>>,
    batch_commands: Histogram,
    commit_duration: Histogram,
    batches_run_again: Counter,
    http_requests: Family<HttpLabel, Counter>,
    http_duration: Family<RouteLabel, Histogram, fn() -> Histogram>,
    timer_lateness: Histogram,
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
        let tasks_open = Family::<TaskLabel, Gauge>::default();
        r.register(
            "tasks_open",
            "Open and claimed tasks by role and region, read at scrape time",
            tasks_open.clone(),
        );
        let tasks_overdue = Family::<TaskLabel, Gauge>::default();
        r.register(
            "tasks_overdue",
            "Open and claimed tasks past their due time, by role and region, read at scrape time",
            tasks_overdue.clone(),
        );
        let queue = Family::<QueueLabel, Gauge>::default();
        r.register(
            "jobs_unfinished",
            "Unfinished outbox jobs by kind and state (ready: due and not leased; leased: being performed; retrying: failed, waiting for its backoff; waiting: not due yet, e.g. an SMS put off to the morning; awaiting_answer; incident), read at scrape time",
            queue.clone(),
        );
        let oldest_ready = Family::<KindLabel, Gauge<f64, AtomicU64>>::default();
        r.register_with_unit(
            "jobs_oldest_ready_age",
            "How long the oldest ready job of each kind has been due without being leased (0: none ready), read at scrape time",
            prometheus_client::registry::Unit::Seconds,
            oldest_ready.clone(),
        );
        // One commit per batch: the histogram of commands per commit says how much group
        // commit saves, the latency what every command of a batch waited for together.
        let batch_commands = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        r.register(
            "writer_batch_commands",
            "Commands per committed writer batch (one transaction, one fsync)",
            batch_commands.clone(),
        );
        let commit_duration = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        r.register_with_unit(
            "writer_commit_duration",
            "Time from a writer batch's begin to its commit, retries included",
            prometheus_client::registry::Unit::Seconds,
            commit_duration.clone(),
        );
        let batches_run_again = Counter::default();
        r.register(
            "writer_batches_run_again",
            "Writer batches that met a store error on their fast path and ran again, each command in a savepoint",
            batches_run_again.clone(),
        );
        let http_requests = Family::<HttpLabel, Counter>::default();
        r.register(
            "http_requests",
            "HTTP requests by method, matched route template, status code and class",
            http_requests.clone(),
        );
        let http_duration: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(http_histogram);
        r.register_with_unit(
            "http_request_duration",
            "Time an HTTP request took to answer, by method and matched route template",
            prometheus_client::registry::Unit::Seconds,
            http_duration.clone(),
        );
        // 0.1 s … ~5 days: the timer loop polls every 250 ms; hours mean a storm or downtime.
        let timer_lateness = Histogram::new(exponential_buckets(0.1, 4.0, 12));
        r.register_with_unit(
            "timer_lateness",
            "How long after its due time each timer fired",
            prometheus_client::registry::Unit::Seconds,
            timer_lateness.clone(),
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
            tasks_open,
            tasks_overdue,
            queue,
            oldest_ready,
            batch_commands,
            commit_duration,
            batches_run_again,
            http_requests,
            http_duration,
            timer_lateness,
        }
    }

    /// Counts an HTTP request answered: `route` is the matched route's template (or
    /// `unmatched`), never the request's path.
    pub fn http(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&HttpLabel {
                method: method.into(),
                route: route.into(),
                status: status.to_string(),
                class: format!("{}xx", status / 100),
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabel {
                method: method.into(),
                route: route.into(),
            })
            .observe(took.as_secs_f64());
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
    pub async fn render(&self, ledger: &dyn Ledger, now: DateTime<Utc>) -> String {
        match ledger.counts(now).await {
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
                self.tasks_open.clear();
                self.tasks_overdue.clear();
                for t in counts.tasks {
                    let label = TaskLabel {
                        role: t.role,
                        region: t.region,
                    };
                    self.tasks_overdue.get_or_create(&label).set(t.overdue);
                    self.tasks_open.get_or_create(&label).set(t.open);
                }
                self.queue.clear();
                self.oldest_ready.clear();
                for kind in JOB_KINDS {
                    self.oldest_ready
                        .get_or_create(&KindLabel { kind: kind.into() })
                        .set(0.0);
                    for state in JOB_STATES {
                        self.queue
                            .get_or_create(&QueueLabel {
                                kind: kind.into(),
                                state: state.into(),
                            })
                            .set(0);
                    }
                }
                for j in counts.queue {
                    if j.state == "ready"
                        && let Some(due) = j.oldest_due
                    {
                        let age = (now - due).num_milliseconds().max(0) as f64 / 1000.0;
                        self.oldest_ready
                            .get_or_create(&KindLabel {
                                kind: j.kind.clone(),
                            })
                            .set(age);
                    }
                    self.queue
                        .get_or_create(&QueueLabel {
                            kind: j.kind,
                            state: j.state,
                        })
                        .set(j.count);
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the counts for /metrics failed"),
        }
        self.encode()
    }
}

/// The writer's batches and the timers' lateness, as the engine tells them.
impl crate::worker::Observer for Metrics {
    fn batch_committed(&self, commands: usize, took: Duration) {
        self.batch_commands.observe(commands as f64);
        self.commit_duration.observe(took.as_secs_f64());
    }

    fn timer_fired(&self, late: chrono::Duration) {
        let late = late.num_milliseconds().max(0) as f64 / 1000.0;
        self.timer_lateness.observe(late);
    }

    fn batch_run_again(&self) {
        self.batches_run_again.inc();
    }
}
