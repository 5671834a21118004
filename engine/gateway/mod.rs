//! Data requests through the "digital government" gateway, the stage feed to the digital
//! monitoring system, their metrics, and a simulator of the state systems.
//!
//! - [`config`]: the connectors, declared in YAML (`config/connectors.yaml`): endpoint,
//!   protocol (JSON over HTTP, the gateway's SOAP sync channel, its async channel), timeout,
//!   authentication (secrets by environment variable name), request template, response
//!   mapping into the catalog's output fields, retry hints, circuit breaker. Loaded with
//!   `crate::yaml`, so a mistake is reported at `file:line:column`.
//! - [`GatewayPerformer`] ([`client`]): performs `Work::Request` jobs; 5xx, timeouts and
//!   refused connections are `Retryable`, 4xx and answers that do not fit are `Fatal`.
//!   The job loop turns a spent budget into the step's `on_failure` path and one support
//!   e-mail (the runtime does that; see `runtime::machine`). On the asynchronous channel an
//!   attempt is only acknowledged (`JobError::Acknowledged`, with the answer's deadline);
//!   [`GatewayPerformer::async_answer`] judges the answer when `POST /gateway/answers` brings
//!   it, for the connector of the job its `correlationId` names.
//! - [`StagePerformer`] ([`feed`]): performs `Work::Stage` jobs, in order per case, at least
//!   once; [`feed::replay`] rebuilds a date range's reports.
//! - [`soap`]: the gateway's envelopes. [`mapping`]: templates and type coercion.
//!   [`breaker`]: the circuit breaker. [`metrics`]: the Prometheus text of `/metrics`.
//!   [`ledger`]: the read-only database questions of the feed and the metrics.
//! - [`sim`]: GBD FL, a bank, TsBDI, ENPF, the provider's register and the monitoring
//!   receiver, with seeded fictional people and fault injection; `examples/gateway-sim`
//!   serves it, tests start it in-process on port 0.
//!
//! **Architecture Invariant:** the gateway knows connectors and the catalog's contracts,
//! not workflows: it never decides what a case does with an answer or a failure. It turns
//! one job into one answer or one `JobError`; the runtime core decides the rest.
//!
//! **Architecture Invariant:** an IIN is never logged or quoted unmasked: spans carry
//! `domain::mask`, and texts the far side sent are masked before they reach an error.

pub mod breaker;
pub mod client;
pub mod config;
pub mod feed;
pub mod ledger;
pub mod mapping;
pub mod metrics;
pub mod sim;
pub mod soap;

pub use client::{AsyncAnswer, GatewayPerformer, Incoming, Routed};
pub use config::GatewayConfig;
pub use feed::{StageEvent, StagePerformer, replay};
pub use ledger::{Ledger, StoreLedger};
pub use metrics::Metrics;

use crate::diagnostic::Diagnostic;

/// Why the gateway cannot start, or cannot read an incoming answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration has problems; each is positioned in its file.
    #[error("the gateway configuration has {} problem(s):\n{}", .0.len(), crate::diagnostic::lines(.0))]
    Config(Vec<Diagnostic>),
    /// The HTTP client could not be built.
    #[error("the HTTP client: {0}")]
    Http(String),
    /// An envelope that cannot be read.
    #[error(transparent)]
    Soap(#[from] soap::Error),
    /// A body that is no answer to one of our asynchronous requests (no correlation id, a
    /// message for another service or connector). An answer that is a request's failure
    /// (an `ERROR`, one that does not fit) is not this: it is delivered as that failure.
    #[error("the asynchronous answer cannot be delivered: {0}")]
    Answer(String),
}
