//! What an operator reads of a running qyzmet besides `/metrics`: its log lines, and the
//! request and case each belongs to.
//!
//! - **The request layer** ([`observe_requests`], on the whole service's router): every HTTP
//!   request runs inside a `request` span with its `request_id` — the caller's `X-Request-Id`
//!   when it is sane, else a fresh one, echoed in the answer's header either way — its method
//!   and matched route, and a `case` field recorded once the case is known (from the route's
//!   `{number}`, or by the writer when it opens or loads the case: the writer runs each
//!   command inside its sender's span). The request is counted on `/metrics` by its matched
//!   route template and status, and one line says how it ended.
//! - **The worker's spans** ([`job_span`], [`timer_span`]): a job performed and a timer fired
//!   run inside a span with the case's id and registration number.
//! - **Two formats** ([`LogFormat`], `qyzmet serve --log-format`): the human one, and JSON
//!   lines ([`FlatJson`]) with every span's fields lifted to the top level, so a log store
//!   filters on `request_id` or `case` without knowing how spans nest.
//!
//! **Personal data stay out of logs** in both formats: IINs are masked where they are
//! recorded (`domain::mask`, the gateway's spans), and the writer of every line masks any run
//! of twelve digits still left (an IIN quoted in an error text) — [`Masked`]. A request id
//! with such a run is not taken from the caller.

use std::fmt;
use std::io;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Instrument as _, Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::gateway::Metrics;
use crate::gateway::client::mask_iins;
use crate::runtime::Work;
use crate::store::JobRow;

/// The header a request id comes in and goes back in.
pub const REQUEST_ID: &str = "x-request-id";

/// How `qyzmet serve` writes its log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For a person at a terminal: time, level, spans, message, fields.
    #[default]
    Human,
    /// One JSON object a line, for a log collector.
    Json,
}

/// The subscriber `qyzmet serve` installs, writing to `writer` (stderr there, a buffer in
/// tests) in `format`, filtered by `filter` (`QYZMET_LOG`, `info` by default). Every line goes
/// through [`Masked`].
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Masked(writer));
    match format {
        LogFormat::Human => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .finish(),
        ),
    }
}

/// A writer that masks every run of exactly twelve digits (an IIN, perhaps) in what it is
/// given. The formatters write each line in one call, so a run is never split between calls.
pub struct Masked<W>(pub W);

/// The writer [`Masked`] makes.
pub struct MaskedWriter<W>(W);

impl<'w, W: MakeWriter<'w>> MakeWriter<'w> for Masked<W> {
    type Writer = MaskedWriter<W::Writer>;

    fn make_writer(&'w self) -> Self::Writer {
        MaskedWriter(self.0.make_writer())
    }
}

impl<W: io::Write> io::Write for MaskedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) if has_iin_run(text) => self.0.write_all(mask_iins(text).as_bytes())?,
            _ => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Whether `text` has a run of exactly twelve digits.
fn has_iin_run(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 12)
}

/// JSON lines: `timestamp`, `level`, `target`, then the fields of every span the event is in
/// (outermost first, an inner span's value winning), `spans` (their names, `request:job`),
/// then the event's own fields with its `message`. Span fields are stored as JSON by
/// [`JsonFields`], which [`subscriber`] sets beside this.
pub struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        if let Some(scope) = ctx.event_scope() {
            let mut names = Vec::new();
            for span in scope.from_root() {
                names.push(span.name());
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(map)) = serde_json::from_str(&fields.fields)
                {
                    line.extend(map);
                }
            }
            line.insert("spans".into(), names.join(":").into());
        }
        event.record(&mut JsonVisitor(&mut line));
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// An event's fields into a JSON object.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

/// The middleware of the whole service's router: the `request` span with its id, the
/// response's `X-Request-Id`, the request counted on `/metrics` by matched route and status,
/// and one line when it ends (`debug` for `/health` and `/metrics`, which are polled).
pub async fn observe_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane_request_id(v))
        .map_or_else(new_request_id, str::to_string);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string();
    let method = method_label(request.method());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method,
        route = %route,
        case = tracing::field::Empty,
    );
    if let Some(number) = path_number(&route, request.uri().path()) {
        span.record("case", number);
    }
    let mut response = next.run(request).instrument(span.clone()).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    metrics.http(method, &route, status, took);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // Whole microseconds, as milliseconds: `0.807`, not the float's `0.8074939999999999`.
    let took_ms = took.as_micros() as f64 / 1000.0;
    span.in_scope(|| {
        if matches!(route.as_str(), "/health" | "/metrics") {
            tracing::debug!(status, took_ms, "request answered");
        } else {
            tracing::info!(status, took_ms, "request answered");
        }
    });
    response
}

/// A caller's request id we keep: 1-64 characters of letters, digits, `-`, `_`, `.`, `:`,
/// and no run of twelve digits (it would be masked in the logs, and might be an IIN).
fn sane_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && !has_iin_run(id)
}

/// 32 random hexadecimal digits in four groups of eight (`3f9a0c1e-…`): a group boundary
/// every eight characters, so the id never holds a run of twelve digits, which the log's
/// mask ([`Masked`]) would hide and make the id in the logs differ from the one answered.
fn new_request_id() -> String {
    let hex = format!("{:032x}", rand::random::<u128>());
    [&hex[0..8], &hex[8..16], &hex[16..24], &hex[24..32]].join("-")
}

/// The method as a label: the standard ones by name, any other as `OTHER`, so a caller
/// cannot make series.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The registration number a route's `{number}` segment holds in `path`, if the route has
/// one (`/cases/{number}/messages/{name}`); not a text with a run of twelve digits.
fn path_number<'p>(route: &str, path: &'p str) -> Option<&'p str> {
    let at = route.split('/').position(|s| s == "{number}")?;
    let number = path.split('/').nth(at)?;
    (!number.is_empty() && !has_iin_run(number)).then_some(number)
}

/// Records the case's registration number in the current span's `case` field (a request's,
/// a job's, a timer's), where it has one; elsewhere nothing.
pub fn record_case(number: &str) {
    Span::current().record("case", number);
}

/// The span a job is performed in: its key, kind and case.
pub fn job_span(job: &JobRow, number: Option<&String>) -> Span {
    let kind = match &job.work {
        Work::Request { .. } => "request",
        Work::Notify { .. } => "notify",
        Work::Document { .. } => "document",
        Work::Stage { .. } => "stage",
    };
    let span = tracing::info_span!(
        "job",
        job = %job.key,
        kind,
        case_id = job.case_id,
        case = tracing::field::Empty,
    );
    if let Some(number) = number {
        span.record("case", number.as_str());
    }
    span
}

/// The span a timer fires in: its key and case (the number is recorded when the case is
/// loaded).
pub fn timer_span(key: &str, case_id: i64) -> Span {
    tracing::info_span!(
        "timer",
        timer = %key,
        case_id,
        case = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_is_taken_only_when_it_is_sane() {
        assert!(sane_request_id("3f2a-9c.x_1:2"));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id(&"a".repeat(65)));
        assert!(!sane_request_id("a b"));
        assert!(!sane_request_id("id-900101300012"), "an IIN perhaps");
        assert!(
            sane_request_id("id-9001013000123"),
            "thirteen digits is no IIN"
        );
    }

    #[test]
    fn a_generated_request_id_is_one_a_caller_could_send_and_no_mask_hides() {
        // Twelve digits in a row in random hex come in about one id of fifteen: 5,000 ids, so a
        // format that allowed them would be caught here.
        for _ in 0..5_000 {
            let id = new_request_id();
            assert!(sane_request_id(&id), "{id}");
            assert_eq!(id.len(), 35, "{id}");
        }
    }

    #[test]
    fn the_case_number_is_read_from_the_routes_number_segment() {
        assert_eq!(
            path_number(
                "/cases/{number}/messages/{name}",
                "/cases/QZ-2026-000001/messages/x"
            ),
            Some("QZ-2026-000001")
        );
        assert_eq!(path_number("/tasks/{key}", "/tasks/t1"), None);
        assert_eq!(path_number("/case/{number}", "/case/900101300012"), None);
    }
}
