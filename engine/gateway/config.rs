//! The connectors' configuration: a YAML file (`config/connectors.yaml`) loaded in two phases.
//!
//! The raw structs mirror the file (`deny_unknown_fields`) and only check shape; [`compile`]
//! checks meaning against the catalog (`workflows/catalog.yaml`) — every connector is one the
//! catalog names, every request placeholder names an input of its contract, every mapped
//! answer field is an output of its contract, every enum value is one the contract allows,
//! every secret's environment variable is set, no `response` leaves without a source a field
//! the catalog does not mark optional (every answer would be refused) — and reports all
//! problems at once as positioned [`Diagnostic`]s (`file:line:column`), as the definition
//! loader does. What the file alone cannot show is checked at start against the database
//! ([`GatewayConfig::unanswerable`]), at the same places.
//!
//! A real integration is this file: the endpoint, the protocol, the names the far side uses
//! for its fields, its secrets (by environment variable name, never in the file).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::definition::catalog::{self, Catalog};
use crate::definition::raw::{Field, TypeName};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::yaml::{self, Document, escape};

// ── The raw form ────────────────────────────────────────────────────────────────────────────

/// The file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// Endpoints that start with `/` are relative to this (the simulator, or the gateway's host).
    base_url: Option<String>,
    /// What a connector does not say.
    #[serde(default)]
    defaults: RawDefaults,
    /// The digital monitoring system that receives the stage feed.
    monitoring: Option<RawMonitoring>,
    /// The connectors, by the catalog's name.
    #[serde(default)]
    connectors: IndexMap<String, RawConnector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    timeout_ms: Option<u64>,
    breaker: Option<RawBreaker>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitoring {
    endpoint: String,
    timeout_ms: Option<u64>,
    /// How long a stage report waits for an earlier one of the same case to be acknowledged
    /// before it gives up this attempt (and is retried later).
    order_wait_ms: Option<u64>,
    auth: Option<RawAuth>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnector {
    protocol: Protocol,
    endpoint: String,
    timeout_ms: Option<u64>,
    auth: Option<RawAuth>,
    soap: Option<RawSoap>,
    /// Outgoing field (a name, or a JSON pointer for nesting) → template.
    #[serde(default)]
    request: IndexMap<String, serde_json::Value>,
    #[serde(default)]
    response: RawResponse,
    #[serde(default)]
    retry: RawRetry,
    breaker: Option<RawBreaker>,
    /// For `soap_async`: how long after the gateway's acknowledgement the answer may take.
    answer_timeout_seconds: Option<u64>,
    /// No longer read: an asynchronous answer is the request step's output. Kept in the raw
    /// form only to say so at its place, rather than as an unknown field.
    message: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum RawAuth {
    Bearer { token_env: String },
    Basic { user: String, password_env: String },
    Header { name: String, value_env: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSoap {
    service_id: String,
    sender_id: String,
    password_env: Option<String>,
    #[serde(default)]
    success_codes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    /// A JSON pointer to the part of the answer that holds the fields.
    #[serde(default)]
    data: String,
    /// Catalog output field → where it is in the answer.
    fields: Option<IndexMap<String, RawSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawSource {
    Pointer(String),
    Full(RawSourceFull),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSourceFull {
    from: String,
    /// The far side's value → the catalog's enum value.
    #[serde(default)]
    values: BTreeMap<String, String>,
    /// A chrono format for a date the far side writes its own way (`%d.%m.%Y`).
    format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    attempts: Option<u32>,
    first_delay_seconds: Option<u32>,
    #[serde(default)]
    retryable_statuses: Vec<u16>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    failures: u32,
    open_seconds: u32,
}

// ── The compiled form ───────────────────────────────────────────────────────────────────────

/// How a connector talks to its system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// A JSON body POSTed over HTTP, a JSON answer.
    Json,
    /// The eGov gateway's synchronous channel: `SendMessage` with a `SyncSendMessageRequest`.
    SoapSync,
    /// The eGov gateway's asynchronous channel: the send is acknowledged at once, the answer
    /// comes later to `POST /gateway/answers` with our message id (the job's key) as its
    /// `correlationId`, and is the request's answer, as a synchronous one is.
    SoapAsync,
}

/// A secret read from the environment at load: it never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How a request proves who sends it.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// Nothing (the simulator; a system on a closed network).
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic`.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: Secret,
    },
    /// A header of its own (`X-Api-Key`).
    Header {
        /// The header's name.
        name: String,
        /// Its value.
        value: Secret,
    },
}

/// The gateway's envelope settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Soap {
    /// `serviceId`: which service of the gateway answers.
    pub service_id: String,
    /// `sender.senderId`: who we are to the gateway.
    pub sender_id: String,
    /// `sender.password`.
    pub password: Secret,
    /// The `responseInfo.status.code`s that mean success.
    pub success_codes: Vec<String>,
}

/// One piece of a request template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A value known when the request is made.
    Var(Var),
}

/// What a template placeholder names.
#[derive(Debug, Clone, PartialEq)]
pub enum Var {
    /// A field of the step's input (`{input.iin}`).
    Input(String),
    /// The message id: the job's idempotency key (`{message_id}`).
    MessageId,
    /// The time of the request, in Kazakhstan's time (`{message_date}`).
    MessageDate,
    /// The sender id of the `soap` settings (`{sender_id}`).
    SenderId,
}

/// A request field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A JSON value as written (a number, `true`, a text without placeholders).
    Literal(serde_json::Value),
    /// Exactly one placeholder: the value keeps its JSON type.
    Whole(Var),
    /// Text with placeholders.
    Text(Vec<Part>),
}

/// Where a catalog output field comes from in the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// A JSON pointer, relative to the answer's data.
    pub from: String,
    /// The far side's value → the catalog's enum value.
    pub values: BTreeMap<String, String>,
    /// A chrono format for dates.
    pub format: Option<String>,
}

/// The type and rules of a catalog field, as the mapping needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldType {
    /// The type.
    pub ty: TypeName,
    /// Enum values.
    pub values: Vec<String>,
    /// An answer's field the far side may leave out (`optional: true` in the catalog); every
    /// other output an answer must have, or it does not fit the contract.
    pub optional: bool,
}

/// The circuit breaker's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failures that open it.
    pub failures: u32,
    /// How long it stays open before one probe is let through.
    pub open_for: Duration,
}

/// Retry hints for this connector. The job loop retries with the budget the workflow's step
/// gives (`Work::Request`); these say what the far side tolerates and which of its 4xx
/// answers are worth another try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryHints {
    /// Attempts the system's operators advise (for the definition checks to compare).
    pub attempts: Option<u32>,
    /// The first pause they advise.
    pub first_delay_seconds: Option<u32>,
    /// 4xx statuses that are retried rather than fatal (by default 408, 425, 429).
    pub retryable_statuses: Vec<u16>,
}

/// One connector, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Connector {
    /// The catalog's name (`gbd_fl.person`).
    pub name: String,
    /// How it talks.
    pub protocol: Protocol,
    /// The full URL.
    pub endpoint: String,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// Credentials.
    pub auth: Auth,
    /// The envelope's settings (SOAP protocols only).
    pub soap: Option<Soap>,
    /// The outgoing fields: (JSON pointer, template). Empty: the input is sent as it is.
    pub request: Vec<(String, Template)>,
    /// A JSON pointer to the answer's data.
    pub data: String,
    /// Catalog output field → its source. Every output of the contract, by its own name,
    /// when the file gives no `fields`.
    pub fields: IndexMap<String, Source>,
    /// The contract's inputs (an `iin` input is checked before anything is sent).
    pub inputs: IndexMap<String, FieldType>,
    /// The contract's outputs.
    pub outputs: IndexMap<String, FieldType>,
    /// Retry hints.
    pub retry: RetryHints,
    /// The circuit breaker.
    pub breaker: BreakerPolicy,
    /// How long after the gateway's acknowledgement an answer may take before the request
    /// is sent again (`soap_async` only; others answer within `timeout`).
    pub answer_timeout: Duration,
    /// Where the connector's `protocol` is written: for the start-up checks that need more
    /// than the file (see [`GatewayConfig::unanswerable`]).
    pub declared_at: Place,
}

/// A place in the connectors file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file.
    pub file: std::path::PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Place {
    /// A diagnostic at this place.
    pub fn diagnostic(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.file, self.line, self.column, message)
    }
}

/// The monitoring system's endpoint for the stage feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitoring {
    /// The full URL.
    pub endpoint: String,
    /// How long one post may take.
    pub timeout: Duration,
    /// How long a report waits for an earlier one of its case before giving up the attempt.
    pub order_wait: Duration,
    /// Credentials.
    pub auth: Auth,
}

/// The whole configuration, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayConfig {
    /// The connectors, by name.
    pub connectors: IndexMap<String, Connector>,
    /// The stage feed's receiver.
    pub monitoring: Option<Monitoring>,
    /// The base URL relative endpoints were resolved against (and its relative endpoints,
    /// to resolve again with [`GatewayConfig::rebase`]).
    base_url: Option<String>,
    relative: Vec<(Option<String>, String)>,
}

/// The default timeout of one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default breaker: open after 5 consecutive failures, for 30 seconds.
pub const DEFAULT_BREAKER: BreakerPolicy = BreakerPolicy {
    failures: 5,
    open_for: Duration::from_secs(30),
};
/// The default wait for an earlier stage report of the same case.
pub const DEFAULT_ORDER_WAIT: Duration = Duration::from_secs(5);
/// How long an asynchronous answer may take after the acknowledgement when the connector
/// does not say (`answer_timeout_seconds`): an hour. GBD FL answers in seconds; an hour
/// covers a queue at the gateway without leaving a case stuck for the rest of a working day,
/// and the step's retry budget multiplies it.
pub const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(3600);
/// The statuses of `responseInfo.status.code` that mean success when the file lists none.
pub const DEFAULT_SUCCESS_CODES: [&str; 1] = ["SCSS001"];

impl GatewayConfig {
    /// Reads and compiles the file. `env` looks up an environment variable (pass
    /// `|name| std::env::var(name).ok()`); every missing one is a diagnostic.
    pub fn load(
        file: &Path,
        catalog: &Catalog,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<GatewayConfig, Vec<Diagnostic>> {
        let doc = yaml::read(file)?;
        compile(&doc, catalog, env)
    }

    /// Compiles YAML text (for tests and for a configuration embedded in the binary).
    pub fn parse(
        file: &Path,
        text: &str,
        catalog: &Catalog,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<GatewayConfig, Vec<Diagnostic>> {
        let doc = yaml::parse(file, text)?;
        compile(&doc, catalog, env)
    }

    /// Points every relative endpoint (`/gbd_fl/person`) at another base URL: the simulator
    /// started on port 0, or the gateway of another environment.
    pub fn rebase(&mut self, base_url: &str) {
        let base = base_url.trim_end_matches('/').to_string();
        for (connector, path) in &self.relative {
            let url = format!("{base}{path}");
            match connector {
                Some(name) => {
                    if let Some(c) = self.connectors.get_mut(name) {
                        c.endpoint = url;
                    }
                }
                None => {
                    if let Some(m) = &mut self.monitoring {
                        m.endpoint = url;
                    }
                }
            }
        }
        self.base_url = Some(base);
    }

    /// The base URL, if the file (or [`GatewayConfig::rebase`]) gave one.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The start-up check of what the file alone cannot show: an asynchronous connector's
    /// answers come back only through `POST /gateway/answers`, which takes only the API token
    /// of an active account with the role `gateway_system`. Without one (`answerable` false),
    /// every request on such a connector would wait for an answer that cannot arrive and end
    /// in its failure path: each such connector is a problem at its `protocol`.
    ///
    /// Assumed, not checked: that the gateway is configured with that token and calls the
    /// engine's address; and that the account's region covers the cases (a regional account
    /// posts only into its region's cases, `kz` into all).
    pub fn unanswerable(&self, answerable: bool) -> Vec<Diagnostic> {
        if answerable {
            return Vec::new();
        }
        self.connectors
            .values()
            .filter(|c| c.protocol == Protocol::SoapAsync)
            .map(|c| {
                c.declared_at
                    .diagnostic(format!(
                        "`{}` answers on the asynchronous channel, and no account with the role `gateway_system` holds an API token: no answer could reach POST /gateway/answers, and every request would fail",
                        c.name
                    ))
                    .with_hint(
                        "create the gateway's account and token first: qyzmet accounts add --login shep --full-name ШЭП --email … --role gateway_system --region kz --token shep",
                    )
            })
            .collect()
    }
}

struct Ctx<'a> {
    doc: &'a Document,
    env: &'a dyn Fn(&str) -> Option<String>,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.diags.push(self.doc.value_diagnostic(pointer, message));
    }

    fn error_hint(&mut self, pointer: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.diags
            .push(self.doc.value_diagnostic(pointer, message).with_hint(hint));
    }

    fn secret(&mut self, pointer: &str, var: &str) -> Secret {
        match (self.env)(var) {
            Some(v) => Secret(v),
            None => {
                self.error_hint(
                    pointer,
                    format!("the environment variable `{var}` is not set"),
                    "secrets are read from the environment: set it where the engine runs",
                );
                Secret(String::new())
            }
        }
    }

    fn auth(&mut self, at: &str, raw: &Option<RawAuth>) -> Auth {
        match raw {
            None => Auth::None,
            Some(RawAuth::Bearer { token_env }) => {
                Auth::Bearer(self.secret(&format!("{at}/bearer/token_env"), token_env))
            }
            Some(RawAuth::Basic { user, password_env }) => Auth::Basic {
                user: user.clone(),
                password: self.secret(&format!("{at}/basic/password_env"), password_env),
            },
            Some(RawAuth::Header { name, value_env }) => Auth::Header {
                name: name.clone(),
                value: self.secret(&format!("{at}/header/value_env"), value_env),
            },
        }
    }

    fn url(&mut self, at: &str, base: &Option<String>, endpoint: &str) -> String {
        if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
            return endpoint.to_string();
        }
        match (endpoint.starts_with('/'), base) {
            (true, Some(base)) => format!("{}{endpoint}", base.trim_end_matches('/')),
            (true, None) => {
                self.error_hint(
                    at,
                    format!("`{endpoint}` is relative, and the file has no `base_url`"),
                    "give a full URL (https://…) or a `base_url` at the top of the file",
                );
                String::new()
            }
            (false, _) => {
                self.error_hint(
                    at,
                    format!("`{endpoint}` is not a URL"),
                    "write https://host/path, or /path with a `base_url`",
                );
                String::new()
            }
        }
    }
}

fn field_type(field: &Field) -> FieldType {
    match field {
        Field::Short(ty) => FieldType {
            ty: *ty,
            values: Vec::new(),
            optional: false,
        },
        Field::Full(spec) => FieldType {
            ty: spec.ty,
            values: spec.values.clone(),
            optional: false,
        },
    }
}

fn compile(
    doc: &Document,
    catalog: &Catalog,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<GatewayConfig, Vec<Diagnostic>> {
    let raw: RawFile = doc.deserialize().map_err(|d| vec![d])?;
    let mut cx = Ctx {
        doc,
        env,
        diags: Vec::new(),
    };
    if let Some(base) = &raw.base_url
        && !(base.starts_with("http://") || base.starts_with("https://"))
    {
        cx.error("/base_url", format!("`{base}` is not an http(s) URL"));
    }
    let default_timeout = raw
        .defaults
        .timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_TIMEOUT);
    let default_breaker = raw
        .defaults
        .breaker
        .map(|b| breaker(&mut cx, "/defaults/breaker", b))
        .unwrap_or(DEFAULT_BREAKER);
    let mut relative = Vec::new();

    let monitoring = raw.monitoring.as_ref().map(|m| {
        if m.endpoint.starts_with('/') {
            relative.push((None, m.endpoint.clone()));
        }
        Monitoring {
            endpoint: cx.url("/monitoring/endpoint", &raw.base_url, &m.endpoint),
            timeout: m
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(default_timeout),
            order_wait: m
                .order_wait_ms
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_ORDER_WAIT),
            auth: cx.auth("/monitoring/auth", &m.auth),
        }
    });

    let mut connectors = IndexMap::new();
    for (name, rc) in &raw.connectors {
        let at = format!("/connectors/{}", escape(name));
        let Some(contract) = catalog.connectors.get(name) else {
            let hint = match did_you_mean(name, catalog.connectors.keys().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the catalog names: {}",
                    catalog
                        .connectors
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            cx.diags.push(
                doc.diagnostic(&at, format!("the catalog has no connector `{name}`"))
                    .with_hint(hint),
            );
            continue;
        };
        if rc.endpoint.starts_with('/') {
            relative.push((Some(name.clone()), rc.endpoint.clone()));
        }
        let connector = connector(&mut cx, &at, name, rc, contract, &raw, default_timeout)
            .with_breaker(
                rc.breaker
                    .map(|b| breaker(&mut cx, &format!("{at}/breaker"), b))
                    .unwrap_or(default_breaker),
            );
        connectors.insert(name.clone(), connector);
    }
    if cx.diags.is_empty() {
        Ok(GatewayConfig {
            connectors,
            monitoring,
            base_url: raw.base_url.clone(),
            relative,
        })
    } else {
        cx.diags.sort();
        cx.diags.dedup();
        Err(cx.diags)
    }
}

impl Connector {
    fn with_breaker(mut self, breaker: BreakerPolicy) -> Self {
        self.breaker = breaker;
        self
    }
}

fn breaker(cx: &mut Ctx, at: &str, raw: RawBreaker) -> BreakerPolicy {
    if raw.failures == 0 {
        cx.error(
            &format!("{at}/failures"),
            "a breaker opens after at least 1 failure",
        );
    }
    if raw.open_seconds == 0 {
        cx.error(
            &format!("{at}/open_seconds"),
            "a breaker stays open at least 1 second",
        );
    }
    BreakerPolicy {
        failures: raw.failures.max(1),
        open_for: Duration::from_secs(u64::from(raw.open_seconds.max(1))),
    }
}

fn connector(
    cx: &mut Ctx,
    at: &str,
    name: &str,
    rc: &RawConnector,
    contract: &catalog::Connector,
    raw: &RawFile,
    default_timeout: Duration,
) -> Connector {
    let inputs: IndexMap<String, FieldType> = contract
        .input
        .iter()
        .map(|(k, f)| (k.clone(), field_type(f)))
        .collect();
    let outputs: IndexMap<String, FieldType> = contract
        .output
        .iter()
        .map(|(k, o)| {
            let ty = FieldType {
                optional: o.is_optional(),
                ..field_type(&o.field())
            };
            (k.clone(), ty)
        })
        .collect();

    let soap = match (rc.protocol, &rc.soap) {
        (Protocol::Json, Some(_)) => {
            cx.error(
                &format!("{at}/soap"),
                "`soap` settings are for the `soap_sync` and `soap_async` protocols",
            );
            None
        }
        (Protocol::Json, None) => None,
        (_, None) => {
            cx.error_hint(
                &format!("{at}/protocol"),
                "a SOAP connector needs its `soap` settings",
                "add `soap: { service_id: …, sender_id: … }`",
            );
            None
        }
        (_, Some(s)) => Some(Soap {
            service_id: s.service_id.clone(),
            sender_id: s.sender_id.clone(),
            password: match &s.password_env {
                Some(var) => cx.secret(&format!("{at}/soap/password_env"), var),
                None => Secret(String::new()),
            },
            success_codes: if s.success_codes.is_empty() {
                DEFAULT_SUCCESS_CODES
                    .iter()
                    .map(|c| c.to_string())
                    .collect()
            } else {
                s.success_codes.clone()
            },
        }),
    };
    if rc.message.is_some() {
        cx.error_hint(
            &format!("{at}/message"),
            "`message` is no longer used: an asynchronous answer is the request step's output, as a synchronous one is",
            "remove it; the answer comes back to the request by its correlationId",
        );
    }
    let answer_timeout = match (rc.protocol, rc.answer_timeout_seconds) {
        (Protocol::SoapAsync, None) => DEFAULT_ANSWER_TIMEOUT,
        (Protocol::SoapAsync, Some(0)) => {
            cx.error(
                &format!("{at}/answer_timeout_seconds"),
                "an answer needs at least 1 second",
            );
            DEFAULT_ANSWER_TIMEOUT
        }
        (Protocol::SoapAsync, Some(s)) => Duration::from_secs(s),
        (_, Some(_)) => {
            cx.error_hint(
                &format!("{at}/answer_timeout_seconds"),
                "`answer_timeout_seconds` is for the `soap_async` protocol",
                "a synchronous answer comes within `timeout_ms`",
            );
            attempt_timeout(rc, default_timeout)
        }
        (_, None) => attempt_timeout(rc, default_timeout),
    };
    let declared = cx.doc.value_diagnostic(&format!("{at}/protocol"), "");
    let declared_at = Place {
        file: declared.file,
        line: declared.line,
        column: declared.column,
    };

    let mut request = Vec::new();
    for (key, value) in &rc.request {
        let p = format!("{at}/request/{}", escape(key));
        let pointer = if key.starts_with('/') {
            key.clone()
        } else {
            format!("/{}", escape(key))
        };
        if let Some(t) = template(cx, &p, value, &inputs) {
            request.push((pointer, t));
        }
    }

    let data = rc.response.data.clone();
    if !data.is_empty() && !data.starts_with('/') {
        cx.error(
            &format!("{at}/response/data"),
            "`data` is a JSON pointer: it starts with `/`",
        );
    }
    let fields = match &rc.response.fields {
        None => outputs
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    Source {
                        from: format!("/{}", escape(k)),
                        values: BTreeMap::new(),
                        format: None,
                    },
                )
            })
            .collect(),
        Some(map) => {
            let mut fields = IndexMap::new();
            for (target, source) in map {
                let p = format!("{at}/response/fields/{}", escape(target));
                let Some(ty) = outputs.get(target) else {
                    let hint = did_you_mean(target, outputs.keys().map(String::as_str))
                        .map(|b| format!("did you mean `{b}`?"))
                        .unwrap_or_else(|| {
                            format!(
                                "the outputs of `{name}` are: {}",
                                outputs.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        });
                    cx.diags.push(
                        cx.doc
                            .diagnostic(
                                &p,
                                format!("`{target}` is not an output of `{name}` in the catalog"),
                            )
                            .with_hint(hint),
                    );
                    continue;
                };
                let source = match source {
                    RawSource::Pointer(from) => Source {
                        from: from.clone(),
                        values: BTreeMap::new(),
                        format: None,
                    },
                    RawSource::Full(f) => Source {
                        from: f.from.clone(),
                        values: f.values.clone(),
                        format: f.format.clone(),
                    },
                };
                if !source.from.starts_with('/') {
                    cx.error_hint(
                        &p,
                        format!("`{}` is not a JSON pointer", source.from),
                        format!("write `/{}`", source.from.replace('.', "/")),
                    );
                }
                for (theirs, ours) in &source.values {
                    if ty.ty != TypeName::Enum && ty.ty != TypeName::Bool {
                        cx.error(
                            &format!("{p}/values"),
                            format!(
                                "`values` translates enum or yes/no answers; `{target}` is neither"
                            ),
                        );
                        break;
                    }
                    if ty.ty == TypeName::Enum && !ty.values.contains(ours) {
                        cx.error_hint(
                            &format!("{p}/values/{}", escape(theirs)),
                            format!("`{ours}` is not a value of `{target}`"),
                            format!("the catalog allows: {}", ty.values.join(", ")),
                        );
                    }
                }
                if source.format.is_some() && ty.ty != TypeName::Date {
                    cx.error(
                        &format!("{p}/format"),
                        format!("`format` reads dates; `{target}` is not a date"),
                    );
                }
                fields.insert(target.clone(), source);
            }
            // An answer must carry every output the catalog does not mark optional
            // (`mapping::response`): one with no source here would refuse every answer.
            let unmapped: Vec<&str> = outputs
                .iter()
                .filter(|(k, ty)| !ty.optional && !fields.contains_key(*k))
                .map(|(k, _)| k.as_str())
                .collect();
            if !unmapped.is_empty() {
                cx.error_hint(
                    &format!("{at}/response/fields"),
                    format!(
                        "every answer would be refused: no source for {}, which the catalog does not mark optional",
                        unmapped
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "map each, or mark it `optional: true` in the catalog if the far side may leave it out",
                );
            }
            fields
        }
    };

    if let Some(0) = rc.retry.attempts {
        cx.error(
            &format!("{at}/retry/attempts"),
            "at least 1 attempt is needed",
        );
    }
    for (i, s) in rc.retry.retryable_statuses.iter().enumerate() {
        if !(400..500).contains(s) {
            cx.error(
                &format!("{at}/retry/retryable_statuses/{i}"),
                format!("{s} is not a 4xx status: 5xx are always retried, others never"),
            );
        }
    }
    let retry = RetryHints {
        attempts: rc.retry.attempts,
        first_delay_seconds: rc.retry.first_delay_seconds,
        retryable_statuses: if rc.retry.retryable_statuses.is_empty() {
            vec![408, 425, 429]
        } else {
            rc.retry.retryable_statuses.clone()
        },
    };

    Connector {
        name: name.to_string(),
        protocol: rc.protocol,
        endpoint: cx.url(&format!("{at}/endpoint"), &raw.base_url, &rc.endpoint),
        timeout: attempt_timeout(rc, default_timeout),
        auth: cx.auth(&format!("{at}/auth"), &rc.auth),
        soap,
        request,
        data,
        fields,
        inputs,
        outputs,
        retry,
        breaker: DEFAULT_BREAKER,
        answer_timeout,
        declared_at,
    }
}

/// One attempt's timeout.
fn attempt_timeout(rc: &RawConnector, default_timeout: Duration) -> Duration {
    rc.timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(default_timeout)
}

/// Parses a request template: `{input.iin}`, `{message_id}`, `{message_date}`, `{sender_id}`.
fn template(
    cx: &mut Ctx,
    at: &str,
    value: &serde_json::Value,
    inputs: &IndexMap<String, FieldType>,
) -> Option<Template> {
    let serde_json::Value::String(text) = value else {
        return Some(Template::Literal(value.clone()));
    };
    let mut parts = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Text(rest[..open].to_string()));
        }
        let Some(close) = rest[open..].find('}') else {
            cx.error_hint(
                at,
                "a `{` without its `}`",
                "placeholders are written {input.<field>}, {message_id}, {message_date}, {sender_id}",
            );
            return None;
        };
        let name = rest[open + 1..open + close].trim();
        let var = match name {
            "message_id" => Var::MessageId,
            "message_date" => Var::MessageDate,
            "sender_id" => Var::SenderId,
            _ => match name.strip_prefix("input.") {
                Some(field) if inputs.contains_key(field) => Var::Input(field.to_string()),
                Some(field) => {
                    let hint = did_you_mean(field, inputs.keys().map(String::as_str))
                        .map(|b| format!("did you mean `input.{b}`?"))
                        .unwrap_or_else(|| {
                            format!(
                                "the contract's inputs are: {}",
                                inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        });
                    cx.error_hint(
                        at,
                        format!("`{field}` is not an input of this connector in the catalog"),
                        hint,
                    );
                    return None;
                }
                None => {
                    cx.error_hint(
                        at,
                        format!("unknown placeholder `{{{name}}}`"),
                        "placeholders are {input.<field>}, {message_id}, {message_date}, {sender_id}",
                    );
                    return None;
                }
            },
        };
        parts.push(Part::Var(var));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Some(match parts.as_slice() {
        [Part::Var(v)] => Template::Whole(v.clone()),
        [Part::Text(_)] | [] => Template::Literal(value.clone()),
        _ => Template::Text(parts),
    })
}
