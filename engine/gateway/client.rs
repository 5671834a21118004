//! [`GatewayPerformer`]: performs `Work::Request` jobs through the configured connectors.
//!
//! One attempt: the inputs are checked (an IIN that does not parse is never sent), the
//! connector's circuit breaker is asked, the request is built from the connector's template
//! with the job's idempotency key as its message id (`Idempotency-Key` header on JSON, and
//! `messageId` in the envelope on SOAP, so the far side can drop a repeat), sent with the
//! connector's timeout, and the answer is mapped into the catalog's output fields.
//!
//! What an attempt's failure becomes:
//!
//! | what happened                                   | error       | breaker counts it |
//! | ----------------------------------------------- | ----------- | ----------------- |
//! | timeout, refused or broken connection           | `Retryable` | yes               |
//! | HTTP 5xx, SOAP fault `Server`                    | `Retryable` | yes               |
//! | the breaker is open                              | `Retryable` | (not sent)        |
//! | HTTP 408/425/429 (or the connector's list)       | `Retryable` | no                |
//! | other HTTP 4xx, SOAP fault `Client`, a status code other than success | `Fatal` | no |
//! | an answer that does not parse or fit the catalog | `Fatal`     | no                |
//! | a bad IIN, an unknown connector, other work      | `Fatal`     | (not sent)        |
//!
//! The job loop retries `Retryable` within the step's budget and then takes the step's
//! `on_failure` path (the support e-mail, once, and the documents path); `Fatal` goes there
//! at once. Error texts go to the support e-mail and the case history, so they say what
//! failed and where, and never carry an unmasked IIN: any 12-digit run in a text the far
//! side sent is masked before it is quoted.
//!
//! On the asynchronous channel (`soap_async`) a successful attempt is only acknowledged:
//! the gateway took the message, and the answer comes later to `POST /gateway/answers`.
//! The attempt ends in `JobError::Acknowledged` with the answer's deadline (the connector's
//! `answer_timeout`), never in an output: the acknowledgement is no answer, and the step's
//! `output:` mapping must not read it. [`GatewayPerformer::async_answer`] judges the answer
//! when it arrives — for the connector of the job its `correlationId` names — exactly as an
//! attempt judges a synchronous one: mapped into the catalog's fields, or the request's
//! failure (an `ERROR` message, an answer that does not fit the contract).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::Value;

use super::Error;
use super::breaker::Breaker;
use super::config::{Auth, Connector, GatewayConfig, Protocol};
use super::mapping::{self, Vars};
use super::metrics::Metrics;
use super::soap;
use crate::clock::Clock;
use crate::definition::catalog::Catalog;
use crate::definition::raw::TypeName;
use crate::domain::{Iin, mask};
use crate::runtime::Work;
use crate::worker::jobs::{BoxFuture, JobError, Performer};

/// Kazakhstan's time (UTC+5 since 1 March 2024), for `messageDate`.
fn almaty(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&FixedOffset::east_opt(5 * 3600).expect("a valid offset"))
}

/// Masks every run of 12 digits (an IIN, perhaps) in a text the far side sent.
pub fn mask_iins(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 12 {
            out.push_str(&mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A short, masked quote of what the far side said.
fn quote(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = flat.chars().take(200).collect();
    let more = if flat.chars().count() > 200 {
        "…"
    } else {
        ""
    };
    mask_iins(&format!("{cut}{more}"))
}

/// Why one attempt failed, before it is judged retryable or fatal.
#[derive(Debug)]
enum Failure {
    /// Not sent: the input is not acceptable.
    BadInput(String),
    /// Not sent: the breaker is open.
    CircuitOpen(DateTime<Utc>),
    Timeout,
    Connect(String),
    Status(u16, String),
    Fault(soap::Fault),
    Refused {
        code: String,
        message: String,
    },
    Malformed(String),
    Mapping(mapping::MappingError),
}

impl Failure {
    fn reason(&self) -> &'static str {
        match self {
            Failure::BadInput(_) => "bad_input",
            Failure::CircuitOpen(_) => "circuit_open",
            Failure::Timeout => "timeout",
            Failure::Connect(_) => "connect",
            Failure::Status(s, _) if *s >= 500 => "status_5xx",
            Failure::Status(..) => "status_4xx",
            Failure::Fault(_) | Failure::Refused { .. } => "fault",
            Failure::Malformed(_) => "malformed",
            Failure::Mapping(_) => "mapping",
        }
    }

    /// Did the far side answer? (A breaker counts only the times it did not.)
    fn answered(&self) -> bool {
        match self {
            Failure::Timeout | Failure::Connect(_) => false,
            Failure::Status(s, _) => *s < 500,
            Failure::Fault(f) => f.code != "Server",
            _ => true,
        }
    }

    fn into_job_error(self, c: &Connector) -> JobError {
        let name = &c.name;
        match self {
            Failure::BadInput(m) => JobError::Fatal(format!("{name}: {m}; nothing was sent")),
            Failure::CircuitOpen(until) => JobError::Retryable(format!(
                "{name}: not sent, the circuit is open after repeated failures of {} (until {})",
                c.endpoint,
                until.to_rfc3339_opts(SecondsFormat::Secs, true)
            )),
            Failure::Timeout => JobError::Retryable(format!(
                "{name}: no answer within {} ms from {}",
                c.timeout.as_millis(),
                c.endpoint
            )),
            Failure::Connect(e) => JobError::Retryable(format!("{name}: {e}")),
            Failure::Status(s, body) if s >= 500 || c.retry.retryable_statuses.contains(&s) => {
                JobError::Retryable(format!("{name}: {} answered HTTP {s}: {body}", c.endpoint))
            }
            Failure::Status(s, body) => JobError::Fatal(format!(
                "{name}: {} refused the request with HTTP {s}: {body}",
                c.endpoint
            )),
            Failure::Fault(f) if f.code == "Server" => JobError::Retryable(format!(
                "{name}: the gateway answered with a SOAP fault ({}): {}",
                f.code,
                quote(&f.message)
            )),
            Failure::Fault(f) => JobError::Fatal(format!(
                "{name}: the gateway refused the request with a SOAP fault ({}): {}",
                f.code,
                quote(&f.message)
            )),
            Failure::Refused { code, message } => JobError::Fatal(format!(
                "{name}: the gateway answered status {code}: {}",
                quote(&message)
            )),
            Failure::Malformed(m) => {
                JobError::Fatal(format!("{name}: the answer cannot be read: {m}"))
            }
            Failure::Mapping(e) => JobError::Fatal(e.to_string()),
        }
    }
}

fn transport(e: reqwest::Error, c: &Connector) -> Failure {
    if e.is_timeout() {
        Failure::Timeout
    } else if e.is_connect() {
        Failure::Connect(format!("cannot connect to {}", c.endpoint))
    } else {
        Failure::Connect(format!(
            "the exchange with {} broke off: {}",
            c.endpoint,
            e.without_url()
        ))
    }
}

/// What one attempt came to, when it did not fail.
#[derive(Debug)]
enum Reply {
    /// The answer, mapped into the catalog's output fields.
    Answer(Value),
    /// The asynchronous channel took the message; the answer comes later.
    Acknowledged,
}

/// An answer that arrived on the asynchronous channel, read: what names the request it
/// answers, before it is judged against that request's connector.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The `correlationId`: the `messageId` of our request, which is its job's idempotency
    /// key, `job:{case}:{seq}:{n}`.
    pub correlation_id: String,
    /// The message as it came.
    pub message: soap::AsyncMessage,
}

/// An asynchronous answer judged against the connector of its request.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncAnswer {
    /// The job it answers (the `correlationId`).
    pub correlation_id: String,
    /// The connector that sent the request.
    pub connector: String,
    /// The answer mapped into the catalog's output fields; or, when it is the request's
    /// failure (an `ERROR` message, an answer that does not fit the contract), why.
    pub outcome: Result<Value, String>,
}

/// Performs data requests through the configured connectors.
pub struct GatewayPerformer {
    config: GatewayConfig,
    http: reqwest::Client,
    breakers: HashMap<String, Breaker>,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    /// Performs the requests of connectors the file does not configure (the embedded
    /// default's stub); without it they are fatal.
    fallback: Option<Arc<dyn Performer>>,
}

/// An HTTP client with rustls (no OpenSSL or other system library).
pub(crate) fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .map_err(|e| Error::Http(e.to_string()))
}

impl GatewayPerformer {
    /// A performer over a compiled configuration.
    pub fn new(
        config: GatewayConfig,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> Result<Self, Error> {
        let breakers: HashMap<String, Breaker> = config
            .connectors
            .values()
            .map(|c| (c.name.clone(), Breaker::new(c.breaker)))
            .collect();
        for name in breakers.keys() {
            metrics.circuit(name, false);
        }
        Ok(GatewayPerformer {
            config,
            http: http_client()?,
            breakers,
            clock,
            metrics,
            fallback: None,
        })
    }

    /// Sends the requests of connectors the file does not configure to `fallback` (e.g. the
    /// stub answers of `worker::outbox::FileOutbox`) instead of failing them.
    pub fn with_fallback(mut self, fallback: Arc<dyn Performer>) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// Loads `path` against the catalog, reading secrets from the process environment.
    pub fn from_config(
        path: &Path,
        catalog: &Catalog,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> Result<Self, Error> {
        let config = GatewayConfig::load(path, catalog, &|name| std::env::var(name).ok())
            .map_err(Error::Config)?;
        Self::new(config, clock, metrics)
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// A connector's breaker (for the tests and an administrator's page).
    pub fn breaker(&self, connector: &str) -> Option<&Breaker> {
        self.breakers.get(connector)
    }

    /// One attempt of a data request. `key` is the job's idempotency key.
    #[tracing::instrument(name = "gateway_request", skip_all, fields(connector, key, iin))]
    pub async fn request(
        &self,
        key: &str,
        connector: &str,
        input: &Value,
    ) -> Result<Value, JobError> {
        let span = tracing::Span::current();
        span.record("connector", connector);
        span.record("key", key);
        if let Some(iin) = input.get("iin").and_then(Value::as_str) {
            span.record("iin", mask(iin).as_str());
        }
        let Some(c) = self.config.connectors.get(connector) else {
            self.metrics.failure(connector, "unknown_connector");
            return Err(JobError::Fatal(format!(
                "no connector `{connector}` is configured for the gateway"
            )));
        };
        let started = Instant::now();
        let outcome = self.attempt(c, key, input).await;
        let took = started.elapsed();
        let breaker = &self.breakers[&c.name];
        match &outcome {
            Ok(Reply::Answer(_)) => {
                breaker.record(true, self.clock.now());
                self.metrics.request(&c.name, "ok", took);
                tracing::info!(took_ms = took.as_millis() as u64, "answered");
            }
            Ok(Reply::Acknowledged) => {
                breaker.record(true, self.clock.now());
                self.metrics.request(&c.name, "acknowledged", took);
                tracing::info!(took_ms = took.as_millis() as u64, "acknowledged");
            }
            Err(f) => {
                if !matches!(f, Failure::BadInput(_) | Failure::CircuitOpen(_)) {
                    breaker.record(f.answered(), self.clock.now());
                }
                self.metrics.failure(&c.name, f.reason());
            }
        }
        self.metrics.circuit(&c.name, breaker.is_open());
        match outcome {
            Ok(Reply::Answer(answer)) => Ok(answer),
            // The deadline runs on the injected clock from the acknowledgement.
            Ok(Reply::Acknowledged) => Err(JobError::Acknowledged {
                answer_by: self.clock.now()
                    + chrono::Duration::from_std(c.answer_timeout)
                        .unwrap_or(chrono::Duration::hours(1)),
            }),
            Err(f) => {
                let open = matches!(f, Failure::CircuitOpen(_));
                let e = f.into_job_error(c);
                let outcome = match &e {
                    _ if open => "circuit_open",
                    JobError::Retryable(_) => "retryable",
                    JobError::Fatal(_) => "fatal",
                    JobError::NotBefore { .. } => "deferred",
                    JobError::Acknowledged { .. } => "acknowledged",
                };
                self.metrics.request(&c.name, outcome, took);
                tracing::warn!(error = %e, took_ms = took.as_millis() as u64, "failed");
                Err(e)
            }
        }
    }

    async fn attempt(&self, c: &Connector, key: &str, input: &Value) -> Result<Reply, Failure> {
        for (field, ty) in &c.inputs {
            if ty.ty != TypeName::Iin {
                continue;
            }
            match input.get(field) {
                Some(Value::String(s)) => {
                    Iin::parse(s).map_err(|e| {
                        Failure::BadInput(format!("`{field}` is not a valid IIN ({e})"))
                    })?;
                }
                None | Some(Value::Null) => {
                    return Err(Failure::BadInput(format!("the input has no `{field}`")));
                }
                Some(_) => {
                    return Err(Failure::BadInput(format!("`{field}` is not a text")));
                }
            }
        }
        let now = self.clock.now();
        self.breakers[&c.name]
            .admit(now)
            .map_err(Failure::CircuitOpen)?;
        let sender_id = c.soap.as_ref().map(|s| s.sender_id.as_str()).unwrap_or("");
        let vars = Vars {
            input,
            message_id: key,
            message_date: almaty(now),
            sender_id,
        };
        let data = mapping::request(c, &vars);
        let date = vars
            .message_date
            .to_rfc3339_opts(SecondsFormat::Millis, false);
        let (content_type, body) = match (c.protocol, &c.soap) {
            (Protocol::Json, _) | (_, None) => (
                "application/json",
                serde_json::to_string(&data).expect("JSON serialises"),
            ),
            (Protocol::SoapSync, Some(s)) => (
                "text/xml; charset=utf-8",
                soap::sync_request(&soap::SyncRequest {
                    message_id: key.to_string(),
                    message_date: date,
                    service_id: s.service_id.clone(),
                    sender_id: s.sender_id.clone(),
                    password: s.password.expose().to_string(),
                    data,
                }),
            ),
            (Protocol::SoapAsync, Some(s)) => (
                "text/xml; charset=utf-8",
                soap::async_message(&soap::AsyncMessage {
                    message_id: key.to_string(),
                    correlation_id: None,
                    service_id: s.service_id.clone(),
                    message_type: "REQUEST".into(),
                    message_date: date,
                    sender_id: s.sender_id.clone(),
                    password: s.password.expose().to_string(),
                    data,
                }),
            ),
        };
        let mut req = self
            .http
            .post(&c.endpoint)
            .timeout(c.timeout)
            .header("Idempotency-Key", key)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        if c.protocol != Protocol::Json {
            req = req.header("SOAPAction", "\"\"");
        }
        req = match &c.auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t.expose()),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
            Auth::Header { name, value } => req.header(name.as_str(), value.expose()),
        };
        let resp = req.send().await.map_err(|e| transport(e, c))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| transport(e, c))?;
        match c.protocol {
            Protocol::Json => {
                if !(200..300).contains(&status) {
                    return Err(Failure::Status(status, quote(&text)));
                }
                let answer: Value = serde_json::from_str(&text)
                    .map_err(|e| Failure::Malformed(format!("not JSON ({e})")))?;
                mapping::response(c, &answer)
                    .map(Reply::Answer)
                    .map_err(Failure::Mapping)
            }
            Protocol::SoapSync => {
                // A fault comes with HTTP 500: read the body before judging the status.
                match soap::parse_sync_response(&text) {
                    Ok(Err(fault)) => Err(Failure::Fault(fault)),
                    Ok(Ok(r)) if (200..300).contains(&status) => {
                        let ok = c
                            .soap
                            .as_ref()
                            .is_some_and(|s| s.success_codes.contains(&r.status_code));
                        if !ok {
                            return Err(Failure::Refused {
                                code: r.status_code,
                                message: r.status_message,
                            });
                        }
                        if r.message_id != key {
                            tracing::warn!(answered = %r.message_id, "the answer names another messageId");
                        }
                        mapping::response(c, &r.data)
                            .map(Reply::Answer)
                            .map_err(Failure::Mapping)
                    }
                    _ if !(200..300).contains(&status) => {
                        Err(Failure::Status(status, quote(&text)))
                    }
                    Ok(Ok(_)) => unreachable!("a 2xx answer is handled above"),
                    Err(e) => Err(Failure::Malformed(e.to_string())),
                }
            }
            Protocol::SoapAsync => match soap::parse_async_ack(&text) {
                Ok(Err(fault)) => Err(Failure::Fault(fault)),
                Ok(Ok(_)) if (200..300).contains(&status) => Ok(Reply::Acknowledged),
                _ if !(200..300).contains(&status) => Err(Failure::Status(status, quote(&text))),
                Ok(Ok(_)) => unreachable!("a 2xx answer is handled above"),
                Err(e) => Err(Failure::Malformed(e.to_string())),
            },
        }
    }

    /// Reads an answer that arrived on the asynchronous channel (the body of the gateway's
    /// `SendMessage` to us): the envelope and its `correlationId`, which names the request's
    /// job. An error here means the body is no answer at all.
    pub fn incoming(&self, xml: &str) -> Result<Incoming, Error> {
        let message = soap::parse_async_message(xml).map_err(Error::Soap)?;
        let correlation_id = message
            .correlation_id
            .clone()
            .ok_or_else(|| Error::Answer("the message has no correlationId".into()))?;
        Ok(Incoming {
            correlation_id,
            message,
        })
    }

    /// Judges an answer for the request it names, sent through `connector` (the job's): an
    /// error when it cannot be that request's answer (the connector is not on the
    /// asynchronous channel, the message names another service, it is no answer); else the
    /// answer mapped into the catalog's fields, or — an `ERROR` message, an answer that does
    /// not fit the contract — the request's failure, as for a synchronous answer.
    pub fn async_answer(&self, incoming: &Incoming, connector: &str) -> Result<AsyncAnswer, Error> {
        let m = &incoming.message;
        let c = self
            .config
            .connectors
            .get(connector)
            .filter(|c| c.protocol == Protocol::SoapAsync)
            .ok_or_else(|| {
                Error::Answer(format!(
                    "{} was sent through `{connector}`, which is not a connector of the asynchronous channel",
                    incoming.correlation_id
                ))
            })?;
        let service_id = c.soap.as_ref().map(|s| s.service_id.as_str()).unwrap_or("");
        if m.service_id != service_id {
            return Err(Error::Answer(format!(
                "{} was sent to serviceId `{service_id}`, and this answer names `{}`",
                incoming.correlation_id, m.service_id
            )));
        }
        let outcome = match m.message_type.to_ascii_uppercase().as_str() {
            "RESPONSE" => mapping::response(c, &m.data).map_err(|e| e.to_string()),
            "ERROR" => Err(format!(
                "{}: the system answered with an error: {}",
                c.name,
                quote(&error_text(&m.data))
            )),
            other => {
                return Err(Error::Answer(format!(
                    "a message of type `{other}` is no answer (RESPONSE or ERROR)"
                )));
            }
        };
        if let Err(e) = &outcome {
            self.metrics.failure(&c.name, "answer_refused");
            tracing::warn!(connector = %c.name, key = %incoming.correlation_id, error = %e, "the asynchronous answer is the request's failure");
        }
        Ok(AsyncAnswer {
            correlation_id: incoming.correlation_id.clone(),
            connector: c.name.clone(),
            outcome,
        })
    }
}

/// What an `ERROR` message says: its code and message when it has them, else its data.
fn error_text(data: &Value) -> String {
    let field = |name: &str| data.get(name).and_then(Value::as_str).unwrap_or("");
    match (field("code"), field("message")) {
        ("", "") if data.is_null() => "no details".into(),
        ("", "") => data.to_string(),
        (code, "") => code.to_string(),
        ("", message) => message.to_string(),
        (code, message) => format!("{code} {message}"),
    }
}

impl Performer for GatewayPerformer {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Request { connector, .. }
                    if !self.config.connectors.contains_key(connector) =>
                {
                    match &self.fallback {
                        Some(f) => f.perform(key, work).await,
                        None => self.request(key, connector, &Value::Null).await,
                    }
                }
                Work::Request {
                    connector, input, ..
                } => self.request(key, connector, input).await,
                other => Err(JobError::Fatal(format!(
                    "the gateway performs data requests, not {}",
                    kind(other)
                ))),
            }
        })
    }
}

pub(crate) fn kind(work: &Work) -> &'static str {
    match work {
        Work::Request { .. } => "data requests",
        Work::Notify { .. } => "notifications",
        Work::Document { .. } => "documents",
        Work::Stage { .. } => "stage reports",
    }
}

/// Sends each kind of work to its performer: data requests to the gateway, stage reports
/// to the monitoring feed, the rest (notifications, documents) to `rest`.
pub struct Routed {
    /// `Work::Request`.
    pub requests: Arc<dyn Performer>,
    /// `Work::Stage`.
    pub stages: Arc<dyn Performer>,
    /// Everything else.
    pub rest: Arc<dyn Performer>,
}

impl Performer for Routed {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        match work {
            Work::Request { .. } => self.requests.perform(key, work),
            Work::Stage { .. } => self.stages.perform(key, work),
            _ => self.rest.perform(key, work),
        }
    }
}
