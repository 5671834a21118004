//! Incidents: jobs whose retries ran out, waiting for an administrator (the worker's dead
//! letters). Each is listed with its case (number, service, region), what failed (the
//! connector or template), the error classified ([`ErrorKind`]) beside its raw text, the
//! attempts and since when; filtered by service, connector or template, region and time; and
//! retried one at a time or all the filter shows at once after an outage — each retry
//! journalled `incident_retried` exactly as a single one. An administrator sees and retries
//! the incidents of the cases of their region (`kz`: all).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, Params, Source};
use crate::accounts::{REPUBLIC, Role};
use crate::audit::Action;
use crate::runtime::Work;
use crate::store::incidents::{self as rows, Incident};
use crate::worker::{self, Engine};

/// The incidents endpoints; the administrator's.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retry_all))
}

/// Which incidents: every part optional; the view is the URL, so a page's filter and the
/// bulk retry name the same incidents.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilter {
    /// Of cases of this service (`rehabilitated-person-certificate`).
    #[serde(default)]
    pub service: Option<String>,
    /// Of this connector (`gbd_fl.person`) or notification/document template.
    #[serde(default)]
    pub connector: Option<String>,
    /// Of cases of this region (within the administrator's).
    #[serde(default)]
    pub region: Option<String>,
    /// Incidents since this day (Almaty), `YYYY-MM-DD` or `DD.MM.YYYY`.
    #[serde(default)]
    pub since: Option<String>,
}

impl IncidentFilter {
    /// Blank parts are no filter (an empty form field).
    fn tidy(&self) -> IncidentFilter {
        let keep = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        IncidentFilter {
            service: keep(&self.service),
            connector: keep(&self.connector),
            region: keep(&self.region).map(|r| r.to_ascii_lowercase()),
            since: keep(&self.since),
        }
    }
}

/// A day typed as `YYYY-MM-DD` or `DD.MM.YYYY`.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text.trim(), "%d.%m.%Y"))
        .ok()
}

/// The start of `day` in Almaty, in UTC.
pub fn almaty_midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    crate::clock::ZONE
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// What kind of failure an incident's last error is, for the administrator to read in
/// words; the raw text stays beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No answer in time.
    Timeout,
    /// The system could not be reached (connection refused, no route).
    Connection,
    /// It answered with an HTTP error status (`http_status`).
    HttpStatus,
    /// Its answer does not fit the catalog's contract, or cannot be read.
    Contract,
    /// The gateway's breaker is open after repeated failures.
    Breaker,
    /// A notification or document template failed to render.
    Template,
    /// The mail server or the SMS provider refused or could not be reached.
    Delivery,
    /// The recipient's address is not one a message can go to.
    Address,
    /// Something else (the raw text says what).
    Other,
}

impl ErrorKind {
    /// The code, as in the text tables (`incident_error_<code>`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Contract => "contract",
            ErrorKind::Breaker => "breaker",
            ErrorKind::Template => "template",
            ErrorKind::Delivery => "delivery",
            ErrorKind::Address => "address",
            ErrorKind::Other => "other",
        }
    }
}

/// Classifies a stored `last_error` (the performers' English text: `gateway::client`,
/// `gateway::mapping`, `notify`): the kind, and the HTTP status where one was answered.
pub fn classify(error: &str) -> (ErrorKind, Option<u16>) {
    let e = error.to_ascii_lowercase();
    if let Some(rest) = e.split("answered http ").nth(1) {
        let status = rest
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok();
        return (ErrorKind::HttpStatus, status);
    }
    let kind = if e.contains("no answer within") || e.contains("timed out") || e.contains("timeout")
    {
        ErrorKind::Timeout
    } else if e.contains("cannot connect")
        || e.contains("connection refused")
        || e.contains("could not be reached")
        || e.contains("connect")
    {
        ErrorKind::Connection
    } else if e.contains("does not fit") || e.contains("cannot be read") || e.contains("contract") {
        ErrorKind::Contract
    } else if e.contains("breaker") {
        ErrorKind::Breaker
    } else if e.contains("template") || e.contains("render") {
        ErrorKind::Template
    } else if e.contains("not an e-mail address") || e.contains("no phone") {
        ErrorKind::Address
    } else if e.contains("smtp") || e.contains("sms") {
        ErrorKind::Delivery
    } else {
        ErrorKind::Other
    };
    (kind, None)
}

/// An incident as listed: today's fields of a job (`key`, `work`, `attempts`,
/// `last_error`) with its case and the error classified.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    /// The job's idempotency key: `POST /incidents/{key}/retry`.
    pub key: String,
    /// The case's registration number (`/case/{number}`).
    pub number: String,
    /// The case's service.
    pub service: String,
    /// The case's region.
    pub region: String,
    /// What failed: `request`, `notify`, `document` or `stage`.
    pub kind: &'static str,
    /// The connector (a request), template (a notification or document) or stage code.
    pub what: String,
    /// The work, as stored.
    #[schema(value_type = Object)]
    pub work: Work,
    /// Always `incident`.
    pub status: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The last error, as the system said it (technical, in English).
    pub last_error: Option<String>,
    /// The error's kind.
    pub error_kind: ErrorKind,
    /// The HTTP status answered, for `http_status`.
    pub http_status: Option<u16>,
    /// Since when it waits.
    pub since: DateTime<Utc>,
}

/// What failed in `work`: its kind and its connector, template or stage.
pub fn what_failed(work: &Work) -> (&'static str, String) {
    match work {
        Work::Request { connector, .. } => ("request", connector.clone()),
        Work::Notify { template, .. } => ("notify", template.clone()),
        Work::Document { template, .. } => ("document", template.clone()),
        Work::Stage { stage, .. } => ("stage", stage.clone()),
    }
}

impl From<Incident> for IncidentView {
    fn from(i: Incident) -> IncidentView {
        let (kind, what) = what_failed(&i.work);
        let (error_kind, http_status) = classify(i.last_error.as_deref().unwrap_or_default());
        IncidentView {
            key: i.key,
            number: i.number,
            service: i.service,
            region: i.region,
            kind,
            what,
            work: i.work,
            status: "incident",
            attempts: i.attempts,
            last_error: i.last_error,
            error_kind,
            http_status,
            since: i.since,
        }
    }
}

/// The incidents `filter` names, of `p`'s region; the administrator's only. A `since` that
/// is not a day is a mistake named by its field.
pub async fn filtered(
    engine: &Engine,
    p: &Principal,
    filter: &IncidentFilter,
) -> ApiResult<Vec<IncidentView>> {
    p.require(&[Role::Administrator])?;
    let filter = filter.tidy();
    let since = match filter.since.as_deref() {
        None => None,
        Some(text) => Some(almaty_midnight(parse_day(text).ok_or_else(|| {
            ApiError::Invalid(
                format!("since: `{text}` is not a day (YYYY-MM-DD or DD.MM.YYYY)"),
                serde_json::json!([{ "field": "since", "message": "not a day: YYYY-MM-DD or DD.MM.YYYY" }]),
            )
        })?)),
    };
    // An administrator of a region sees that region's; one of the republic, any.
    let region = if p.account.region == REPUBLIC {
        filter.region.clone()
    } else {
        if let Some(r) = &filter.region {
            p.require_region(r)?;
        }
        Some(p.account.region.clone())
    };
    let query = rows::Filter {
        service: filter.service.clone(),
        region,
        since,
    };
    let found = match engine.store().read().await {
        Ok(mut conn) => rows::incidents(&mut conn, &query).await,
        Err(e) => Err(e),
    };
    let found = found.map_err(|e| {
        tracing::error!(error = %e, "listing incidents failed");
        ApiError::Internal
    })?;
    Ok(found
        .into_iter()
        .map(IncidentView::from)
        .filter(|i| filter.connector.as_deref().is_none_or(|c| i.what == c))
        .collect())
}

/// The jobs whose retries ran out and that wait for an administrator, of the cases of the
/// administrator's region, oldest first; filtered by the query.
#[utoipa::path(
    get,
    path = "/incidents",
    tag = "incidents",
    params(IncidentFilter),
    responses(
        (status = 200, description = "The incidents, oldest first", body = Vec<IncidentView>),
        (status = 422, description = "`since` is not a day", body = super::ErrorBody),
    ),
)]
async fn list(
    State(engine): State<Engine>,
    p: Principal,
    Params(filter): Params<IncidentFilter>,
) -> ApiResult<Json<Vec<IncidentView>>> {
    Ok(Json(filtered(&engine, &p, &filter).await?))
}

/// Incidents retried at once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Retried {
    /// How many were given a fresh budget.
    pub retried: usize,
    /// Their keys.
    pub keys: Vec<String>,
}

/// `p` retries every incident `filter` shows, each with a fresh budget and its own
/// `incident_retried` record, as a single retry is; one already retried meanwhile (another
/// administrator, another tab) is passed over.
pub async fn retrying_all(
    engine: &Engine,
    p: &Principal,
    filter: &IncidentFilter,
    source: &Source,
) -> ApiResult<Retried> {
    let incidents = filtered(engine, p, filter).await?;
    let mut keys = Vec::with_capacity(incidents.len());
    for i in incidents {
        match engine
            .recording(super::record(
                p.login(),
                Action::IncidentRetried,
                &i.key,
                source,
            ))
            .retry_incident(&i.key)
            .await
        {
            Ok(()) => keys.push(i.key),
            Err(worker::Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Retried {
        retried: keys.len(),
        keys,
    })
}

/// Retries every incident the filter shows (after an outage), each journalled as a single
/// retry; the administrator's.
#[utoipa::path(
    post,
    path = "/incidents/retry",
    tag = "incidents",
    params(IncidentFilter),
    responses(
        (status = 200, description = "Retried, with their keys", body = Retried),
        (status = 422, description = "`since` is not a day", body = super::ErrorBody),
    ),
)]
async fn retry_all(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    Params(filter): Params<IncidentFilter>,
) -> ApiResult<Json<Retried>> {
    Ok(Json(retrying_all(&engine, &p, &filter, &source).await?))
}
