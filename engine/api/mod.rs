//! The HTTP API: cases, tasks, messages, incidents, definitions, health, and its OpenAPI 3
//! document.
//!
//! `fn router(engine) -> Router` is the whole API, tested with `oneshot` and no socket.
//! Errors are JSON with a stable `code` and a `message`; a 5xx says only that something
//! failed and logs the details, which never leave the server.
//!
//! Every route is registered from its handler's `#[utoipa::path]` (`routes()`), so the
//! router and `GET /openapi.json` ([`openapi`]) are built from one list and cannot differ.

pub mod accounts;
pub mod archive;
pub mod auth;
pub mod definitions;
pub mod denial;
pub mod department;
pub mod documents;
pub mod incidents;
pub mod integrations;
pub mod mass_events;
pub mod openapi;
pub mod portal;
pub mod reports;
pub mod search;
pub mod sms_replies;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::Role;
use crate::audit::{Action, Entry};
use crate::runtime::{self, Actor, Language, Submission};
use crate::store::case_links;
use crate::store::{Due, TaskQuery, TaskRow, TaskSort, TaskStatus};
use crate::worker::{self, Engine};
use auth::Principal;
pub use denial::{Denial, Why};
pub use openapi::{ErrorBody, openapi};

/// An API error: its status, its stable code and its message.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no session or token, or one that no longer signs anybody in.
    Unauthenticated,
    /// 401 `sign_in_refused`: the login and password did not sign in. One answer whatever
    /// the reason (wrong, unknown, locked, blocked): [`SIGN_IN_REFUSED`].
    SignInRefused,
    /// 403 (409 for a task another clerk holds): signed in, but this is not the account's to
    /// do — a role or region it lacks, no CSRF token, the temporary password still to change
    /// (`password_change_required`). Journalled as `access_denied` by the router's
    /// [`denial::journal`] layer, once.
    Denied(Box<Denial>),
    /// 404: no such case, task or incident.
    NotFound(String),
    /// 409: completed twice, claimed by another clerk, the case closed.
    Conflict(String),
    /// 409 `last_administrator`: the change would leave no active administrator (blocking
    /// the last one), and nobody could unblock an account again.
    LastAdministrator(String),
    /// 409: the case keeps as many messages that no step has taken as it may.
    InboxFull(String),
    /// 422: the `Idempotency-Key` opened a case for another application.
    IdempotencyKeyReused(String),
    /// 422: the request is understood but wrong (form mistakes, by field).
    Invalid(String, Value),
    /// 413: the body is larger than the endpoint takes.
    TooLarge(String),
    /// 415: the body is not of a type the endpoint takes.
    UnsupportedMediaType(String),
    /// 503: the engine is stopping, or its database cannot be written just now (locked by
    /// another program past the lock wait, the disk full); nothing was done.
    Unavailable,
    /// 500: details logged, never sent.
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, fields) = match self {
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in, or send an API token as `Authorization: Bearer …`".into(),
                Value::Null,
            ),
            ApiError::SignInRefused => (
                StatusCode::UNAUTHORIZED,
                "sign_in_refused",
                SIGN_IN_REFUSED.into(),
                Value::Null,
            ),
            ApiError::Denied(d) => {
                let (status, code, message) = d.answer();
                let mut response = (
                    status,
                    Json(ErrorBody {
                        code: code.to_string(),
                        message,
                        fields: None,
                    }),
                )
                    .into_response();
                // For the router's journal layer.
                response.extensions_mut().insert(*d);
                return response;
            }
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m, Value::Null),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, Value::Null),
            ApiError::LastAdministrator(m) => {
                (StatusCode::CONFLICT, "last_administrator", m, Value::Null)
            }
            ApiError::InboxFull(m) => (StatusCode::CONFLICT, "inbox_full", m, Value::Null),
            ApiError::IdempotencyKeyReused(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                m,
                json!([{ "field": IDEMPOTENCY_KEY, "message": "used before for another application" }]),
            ),
            ApiError::Invalid(m, f) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m, f),
            ApiError::TooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                m,
                Value::Null,
            ),
            ApiError::UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                m,
                Value::Null,
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the engine is not available; try again".into(),
                Value::Null,
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something failed on our side; it has been logged".into(),
                Value::Null,
            ),
        };
        let body = ErrorBody {
            code: code.to_string(),
            message,
            fields: (!fields.is_null()).then_some(fields),
        };
        (status, Json(body)).into_response()
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        match e {
            worker::Error::NotFound(m) => ApiError::NotFound(m),
            worker::Error::Conflict(m) => ApiError::Conflict(m),
            worker::Error::NoService(s) => ApiError::Invalid(
                format!("no version of service `{s}` is in force"),
                Value::Null,
            ),
            worker::Error::Runtime(runtime::Error::Rejected(fields)) => ApiError::Invalid(
                "the form has mistakes".into(),
                serde_json::to_value(fields).unwrap_or_default(),
            ),
            worker::Error::Runtime(runtime::Error::TaskNotOpen(k)) => {
                ApiError::Conflict(format!("task {k} is not open"))
            }
            worker::Error::Runtime(runtime::Error::Closed { number }) => {
                ApiError::Conflict(format!("case {number} is closed"))
            }
            worker::Error::Runtime(e @ runtime::Error::InboxFull { .. }) => {
                ApiError::InboxFull(e.to_string())
            }
            // A life event's message the case took already, or cannot take where it is.
            worker::Error::Runtime(
                e @ (runtime::Error::Duplicate { .. } | runtime::Error::EventNotNow(_)),
            ) => ApiError::Conflict(e.to_string()),
            worker::Error::IdempotencyKeyReused(key) => ApiError::IdempotencyKeyReused(format!(
                "the Idempotency-Key `{key}` opened a case for another application: \
                 use a new key for a new application"
            )),
            worker::Error::Unavailable(_) => ApiError::Unavailable,
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::Internal
            }
        }
    }
}

/// What a refused sign-in is told, whatever the reason: it must not say whether the login
/// exists, nor whether the account is locked or blocked (issue #19). What a person needs is
/// in it all the same: a lock ends by itself after 15 minutes, and a block only by a new
/// access request, which the head of department files (seeds/003 item 29). The pages say the
/// same in Kazakh and Russian (`web::text`, `refused`).
pub const SIGN_IN_REFUSED: &str = "wrong login or password, or the account is locked or blocked. \
     After several wrong passwords, wait 15 minutes and try again; if signing in still fails, \
     ask your head of department to file an access request";

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body whose mistakes come back in the API's error shape: `413
/// payload_too_large` over the endpoint's limit (axum's 2 MiB unless the route sets another),
/// `415 unsupported_media_type` without `Content-Type: application/json`, and `422 invalid`
/// naming what is wrong otherwise (not JSON, an unknown or missing field, a wrong type). Every
/// JSON endpoint reads its body through it, so every one answers the same way; the document
/// says so once (`openapi.rs`).
pub(crate) struct Body<T>(pub T);

/// Query parameters whose mistakes (an unknown or repeated parameter) come back in the API's
/// error shape, `422 {"code": "invalid", ...}`, naming the parameter.
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Params(v))
            .map_err(|e| ApiError::Invalid(e.body_text(), Value::Null))
    }
}

/// The refusal of a body axum could not read as JSON, by what is wrong with it.
fn rejected(e: axum::extract::rejection::JsonRejection) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(
            "the request body is larger than this endpoint takes (see its 413 in /openapi.json)"
                .into(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(
            "send the body as JSON, with `Content-Type: application/json`".into(),
        ),
        _ => ApiError::Invalid(e.body_text(), Value::Null),
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| Body(v))
            .map_err(rejected)
    }
}

/// Where a request came from, for the audit journal and the sign-in lock (wrong passwords
/// are counted per source: `accounts::sign_in`): the TCP peer's address when the server
/// knows it (`serve` does; a test's `oneshot` does not, unless it sets `ConnectInfo`).
///
/// Behind a reverse proxy the peer is the proxy, so every client is one source: the journal
/// names the proxy and the sign-in lock is in effect the account's (never a block of the
/// last administrator or a system's account). `X-Forwarded-For` is deliberately not read:
/// any client can write it, and a forged one would give every guess a fresh source.
pub struct Source(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Source(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// The audit record of an action on `object` by `actor` from `source`.
pub(crate) fn record(actor: &str, action: Action, object: &str, source: &Source) -> Entry {
    Entry::new(actor, action)
        .source(source.0.as_deref())
        .object(object)
}

/// The API over an engine; every refusal it answers is journalled ([`denial::journal`]).
pub fn router(engine: Engine) -> Router {
    routes()
        .with_state(engine.clone())
        .split_for_parts()
        .0
        .layer(axum::middleware::from_fn_with_state(
            engine,
            denial::journal,
        ))
}

/// Every route of [`router`], each registered with its documentation.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(openapi_json))
        .routes(routes!(submit))
        .routes(routes!(case))
        .merge(
            // A message waits in the case's state, which is written whole at every step.
            OpenApiRouter::new()
                .routes(routes!(message))
                .layer(axum::extract::DefaultBodyLimit::max(MESSAGE_LIMIT)),
        )
        .routes(routes!(withdraw))
        .routes(routes!(tasks))
        .routes(routes!(claim))
        .routes(routes!(unclaim))
        .routes(routes!(complete))
        .merge(incidents::routes())
        .routes(routes!(retry))
        .merge(definitions::routes())
        .merge(auth::routes())
        .merge(accounts::routes())
        .merge(search::routes())
        .merge(mass_events::routes())
        .merge(archive::routes())
        .merge(department::routes())
        .merge(reports::routes())
}

/// What `GET /health` answers.
#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// Always `ok`: the engine answered.
    status: String,
    /// Cases and jobs by status, and the number of timers waiting.
    #[schema(value_type = Object)]
    counts: Value,
}

/// The engine answers, with its counts. No sign-in needed: load balancers ask.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    security(()),
    responses((status = 200, description = "The engine answers", body = Health)),
)]
async fn health(State(engine): State<Engine>) -> ApiResult<Json<Health>> {
    let counts = engine
        .store()
        .counts()
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?;
    Ok(Json(Health {
        status: "ok".into(),
        counts,
    }))
}

/// This document: the OpenAPI 3 description of every endpoint. No sign-in needed.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
async fn openapi_json() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi::json(),
    )
        .into_response()
}

/// A submission as the channels send it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// The service's id (`rehabilitated-person-certificate`); the version in force today
    /// takes the case.
    service: String,
    /// The application's data by the service's dotted names (`applicant.iin`), nested or
    /// flat: the applicant's to give only, each of its declared type (see the operation).
    #[schema(value_type = Object)]
    data: Value,
    /// Where it was received; `state_corporation` by default.
    #[serde(default = "default_channel")]
    channel: String,
    /// The applicant's language, `kk` (the default) or `ru`: every notice and document goes
    /// out in it.
    #[serde(default)]
    #[schema(value_type = String, example = "kk")]
    language: Language,
    /// The applicant agreed to SMS notices.
    #[serde(default)]
    sms_consent: bool,
    /// The region the application belongs to (the office that received it).
    region: String,
}

fn default_channel() -> String {
    "state_corporation".into()
}

/// A case opened.
#[derive(Debug, Serialize, ToSchema)]
struct Submitted {
    /// Its registration number, `QZ-2026-000123`.
    number: String,
}

/// The header that makes a submission safe to send again: `Idempotency-Key`.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Opens a case on the version of the service in force today, for a role the service's
/// `submitted_by` names (the front-office operator unless it says otherwise), in the
/// caller's region. The data are checked before anything is written: a service with an
/// `application` form takes that form; one without takes the names of its `data` that are the
/// applicant's to give (not what the service records itself: a request's answer, a clerk's
/// form, a decision), each of its declared type — an IIN as text with its control digit, which
/// never reaches the gateway otherwise, an e-mail address a notice can be sent to. With an
/// `Idempotency-Key`, sending the same application again answers the case it opened (200)
/// instead of opening another.
#[utoipa::path(
    post,
    path = "/cases",
    tag = "cases",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the caller's choosing (1 to 255 visible ASCII characters; a UUID): the same key with the same application opens one case however often it is sent, and answers it; kept with the case"),
    ),
    request_body = SubmitBody,
    responses(
        (status = 201, description = "The case is open", body = Submitted),
        (status = 200, description = "This Idempotency-Key opened this case for this same application before: nothing new is opened", body = Submitted),
        (status = 422, description = "The body is wrong, the data have mistakes (`fields`: `data.<name>` each — an unknown name, one the service records itself, a value not of its type, an IIN whose control digit does not match), no version of the service is in force, or the Idempotency-Key is malformed (`invalid`) or was used for another application (`idempotency_key_reused`)", body = ErrorBody),
    ),
)]
async fn submit(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    headers: axum::http::HeaderMap,
    Body(body): Body<SubmitBody>,
) -> ApiResult<(StatusCode, Json<Submitted>)> {
    let submission = Submission {
        data: body.data,
        channel: body.channel,
        language: body.language,
        sms_consent: body.sms_consent,
        region: body.region,
    };
    let key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| bad_key(worker::idempotency::BadKey.to_string()))?,
        ),
    };
    let filed = match filing(&engine, &p, &body.service, submission, key, &source).await {
        Ok(filed) => filed,
        // The application's mistakes, by their place in the body sent.
        Err(Completion::Rejected(fields)) => {
            let fields: Vec<Value> = fields
                .into_iter()
                .map(|f| {
                    let field = match f.field.as_str() {
                        "data" => f.field,
                        name => format!("data.{name}"),
                    };
                    json!({ "field": field, "message": f.message })
                })
                .collect();
            return Err(ApiError::Invalid(
                "the application has mistakes".into(),
                Value::Array(fields),
            ));
        }
        Err(Completion::Refused(e)) => return Err(e),
    };
    let status = if filed.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(Submitted {
            number: filed.number,
        }),
    ))
}

/// The refusal of a malformed `Idempotency-Key`: 422, naming the header.
fn bad_key(message: String) -> ApiError {
    ApiError::Invalid(
        format!("{IDEMPOTENCY_KEY}: {message}"),
        json!([{ "field": IDEMPOTENCY_KEY, "message": message }]),
    )
}

/// The services `p` may file an application for through the pages: in force today, with an
/// application form, and a role of `p`'s among their `submitted_by`.
pub fn fileable<'e>(engine: &'e Engine, p: &Principal) -> Vec<&'e crate::definition::Definition> {
    let shared = engine.shared();
    let today = shared
        .clock
        .now()
        .with_timezone(&crate::clock::ZONE)
        .date_naive();
    let mut services: Vec<&crate::definition::Definition> = shared
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == crate::definition::Kind::Service && d.in_force_on(today))
        .filter(|d| !d.application.is_empty())
        .filter(|d| may_file(p, d))
        .collect();
    services.sort_by(|a, b| a.id.cmp(&b.id));
    services
}

fn may_file(p: &Principal, def: &crate::definition::Definition) -> bool {
    submitters(def).into_iter().any(|r| p.account.has_role(r))
}

/// The roles that may open a case of `def` (its `submitted_by`, checked against the
/// catalog when it was loaded).
pub fn submitters(def: &crate::definition::Definition) -> Vec<Role> {
    def.submitted_by
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect()
}

/// `p` files an application for `service`, in force today: refused unless a role of `p`'s
/// is one the service's `submitted_by` names (the front-office operator unless it says
/// otherwise) and the region is `p`'s; the application's mistakes come back by field name.
/// The case opens and its `case_submitted` record commits together, with `key` (an
/// `Idempotency-Key`) when one is given: a repeat of it answers the same case and journals
/// nothing. `POST /cases` and the filing page both come here.
pub async fn filing(
    engine: &Engine,
    p: &Principal,
    service: &str,
    submission: Submission,
    key: Option<&str>,
    source: &Source,
) -> Result<worker::idempotency::Filed, Completion> {
    filing_with(engine, p, service, submission, None, key, source).await
}

/// [`filing`], or with `signed` an application the eGov portal files with the answers the
/// citizen signed and the evidence (`api::portal`, which has verified the signature): then
/// the caller must be the portal's system account instead of a role of `submitted_by`, the
/// answers are held to their contracts with the application, and the case opens with its
/// evidence in one transaction. A repeat of an `Idempotency-Key` is the same application only
/// with the same signed document.
pub(crate) async fn filing_with(
    engine: &Engine,
    p: &Principal,
    service: &str,
    submission: Submission,
    signed: Option<crate::store::portal::Filing>,
    key: Option<&str>,
    source: &Source,
) -> Result<worker::idempotency::Filed, Completion> {
    // Who may open a case is the service's to say: a citizen's application comes in at a
    // front office (or through a system acting as one, the portal: seeds/004 item 6); an
    // access request is signed by the head of the applicant's department (seeds/003
    // appendix 2). A service not in force today falls through to the engine's 422.
    let shared = engine.shared();
    let roles = match shared.in_force(service, shared.clock.now()) {
        Ok(_) if signed.is_some() => vec![Role::EgovPortalSystem],
        Ok((def, _)) => submitters(def),
        Err(_) if signed.is_some() => vec![Role::EgovPortalSystem],
        Err(_) => vec![Role::FrontOfficeOperator],
    };
    p.require(&roles).map_err(|e| e.on(service))?;
    p.require_region(&submission.region)
        .map_err(|e| e.on(service))?;
    // A bad IIN is refused here, whatever the service declares it as and whatever JSON type
    // it came as, and never reaches the gateway.
    if let Some(iin) = crate::runtime::get_path(
        &crate::runtime::normalise(&submission.data),
        "applicant.iin",
    )
    .filter(|v| !v.is_null())
        && let Err(message) = runtime::form::iin(iin)
    {
        return Err(Completion::Rejected(vec![runtime::FieldError {
            field: "applicant.iin".into(),
            message,
        }]));
    }
    let mut key = key
        .map(|k| worker::idempotency::IdempotencyKey::new(p.login(), k, service, &submission))
        .transpose()
        .map_err(|e| bad_key(e.to_string()))?;
    if let (Some(key), Some(signed)) = (&mut key, &signed) {
        key.digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            format!("{}:{}", key.digest, signed.evidence.document_sha256).as_bytes(),
        ));
    }
    let entry = Entry::new(p.login(), Action::CaseSubmitted)
        .source(source.0.as_deref())
        .details(json!({ "service": service, "channel": submission.channel }));
    let recording = engine.recording(entry);
    let opened = match signed {
        None => recording.submit_once(service, submission, key).await,
        Some(signed) => {
            recording
                .submit_signed(service, submission, signed, key)
                .await
        }
    };
    match opened {
        Ok(filed) => Ok(filed),
        Err(worker::Error::Runtime(runtime::Error::Rejected(fields))) => {
            Err(Completion::Rejected(fields))
        }
        Err(e) => Err(Completion::Refused(e.into())),
    }
}

/// A case as a clerk sees it.
#[derive(Debug, Serialize, ToSchema)]
struct CaseAnswer {
    /// The case: number, service and pinned version, status, region, data, the term (its
    /// start, pauses and due date), the open tasks' state, the result.
    #[schema(value_type = Object)]
    case: Value,
    /// The history, oldest first: every transition, each deadline computed with its
    /// evidence (the working days counted and the days skipped, and why).
    #[schema(value_type = Vec<Object>)]
    history: Value,
    /// The open and claimed tasks, with their due times.
    tasks: Vec<TaskRow>,
    /// For a case of a service that holds after it is rendered (a payment that lives for
    /// years): its state, record, the record's changes and the events that may start now.
    /// Absent for the other services.
    #[serde(skip_serializing_if = "Option::is_none")]
    living: Option<Living>,
    /// For a report that counts other cases (`qyzmet.service_cases`): the cases it counted.
    /// Absent when it counted none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    counted: Vec<case_links::Link>,
    /// The reports that counted this case. Absent when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    counted_in: Vec<case_links::CountedIn>,
}

/// A case with its history and deadlines; in the principal's region, to the roles that work
/// or file its service only (seeds/003 item 30). Opening it is journalled (`case_opened`): it
/// holds personal data.
#[utoipa::path(
    get,
    path = "/cases/{number}",
    tag = "cases",
    params(("number" = String, Path, description = "The registration number")),
    responses(
        (status = 200, description = "The case", body = CaseAnswer),
        (status = 403, description = "Another region's case, or a service none of the account's roles works or files (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such case", body = ErrorBody),
    ),
)]
async fn case(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<Json<CaseAnswer>> {
    let view = opening(&engine, &p, &number, true, &source).await?;
    let shared = engine.shared();
    let (def, _) = shared.pinned(&view.case.service, &view.case.version)?;
    let living = living(def, &view.case, &view.history);
    let (counted, counted_in) = {
        let mut conn = engine.store().read().await.map_err(worker::Error::from)?;
        (
            case_links::of_report(&mut conn, view.case.id)
                .await
                .map_err(worker::Error::from)?,
            case_links::counted_in(&mut conn, &number)
                .await
                .map_err(worker::Error::from)?,
        )
    };
    Ok(Json(CaseAnswer {
        case: to_json(&view.case)?,
        history: to_json(&view.history)?,
        tasks: view.tasks,
        living,
        counted,
        counted_in,
    }))
}

fn to_json<T: Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "an answer did not serialise");
        ApiError::Internal
    })
}

/// A living case — one whose service holds after it is rendered (a monthly payment that lives
/// for years after its assignment) — as the API and the case page show it: the state it is
/// in, its `record:` now, every change of it with the life event that made it, and what may
/// start now. Built from the case and its history alone ([`living`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Living {
    /// The `hold:` state of the hold the case is at or came from last (`active`,
    /// `suspended`), or its result once it has ended after holding (`terminated`); `null`
    /// while its application is still being decided, and when it ended without holding.
    pub state: Option<String>,
    /// When the case first came to a hold: its service was rendered, its term met.
    pub held_since: Option<chrono::DateTime<chrono::Utc>>,
    /// The `record:` values now, by data name, as the case holds them (money as a string
    /// with its two tiyn digits, `"130200.00"`, as everywhere in the API; a date as
    /// `yyyy-mm-dd`); `null` for one not set.
    #[schema(value_type = Object)]
    pub record: serde_json::Map<String, Value>,
    /// Each change of a `record:` value, oldest first.
    pub changes: Vec<LivingChange>,
    /// The life events a message may start now (the case is at a hold that takes them), by
    /// name.
    pub events_open: Vec<String>,
    /// The life event whose steps the case is in now, by name; `null` at a hold.
    pub running: Option<String>,
    /// The life events' messages that came while the case was busy with another event: each
    /// starts its event once the case is back at a hold that takes it.
    pub waiting: Vec<LivingWaiting>,
}

/// One change of a `record:` value (the history's `record_changed`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LivingChange {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The data name (`payment.amount`).
    pub field: String,
    /// The value before; `null` when it had none.
    #[schema(value_type = Object)]
    pub from: Value,
    /// The value after; `null` when it was cleared.
    #[schema(value_type = Object)]
    pub to: Value,
    /// The life event that made it, by name; `null` for what the application's own steps
    /// set before the case first held (the assignment).
    pub event: Option<String>,
}

/// A life event's message kept until the case is back at a hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LivingWaiting {
    /// The message's name.
    pub message: String,
    /// The event it starts.
    pub event: String,
    /// When it came.
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// The living record of `case` (of `def`, with its `history`), or `None` when its service
/// has no `hold` step: the object `GET /cases/{number}` answers as `living`, and what the
/// case page's card is drawn from.
pub fn living(
    def: &crate::definition::model::Definition,
    case: &runtime::CaseState,
    history: &[runtime::HistoryEntry],
) -> Option<Living> {
    use crate::definition::model::StepKind;
    if !def
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Hold { .. }))
    {
        return None;
    }
    let data = case.scope("");
    let record = def
        .record
        .iter()
        .map(|name| {
            let value = runtime::get_path(&data, name).cloned();
            (name.clone(), value.unwrap_or(Value::Null))
        })
        .collect();
    let text = |h: &runtime::HistoryEntry, key: &str| {
        h.detail
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut changes = Vec::new();
    let mut last_hold: Option<String> = None;
    for h in history {
        match h.kind.as_str() {
            // The hold entered last: where a running event left from (a message kept for
            // it may have taken the case on before it rested there).
            "entered" => {
                if let Some(StepKind::Hold { state, .. }) = h
                    .step
                    .as_deref()
                    .and_then(|s| def.step_named(s))
                    .map(|id| &def.step(id).kind)
                {
                    last_hold = Some(state.clone());
                }
            }
            "record_changed" => changes.push(LivingChange {
                at: h.at,
                field: text(h, "field").unwrap_or_default(),
                from: h.detail.get("from").cloned().unwrap_or(Value::Null),
                to: h.detail.get("to").cloned().unwrap_or(Value::Null),
                // The runtime names the event a change was made in (`life::record_changes`).
                event: text(h, "event"),
            }),
            _ => {}
        }
    }
    let running = case.in_event.clone().filter(|_| !case.is_closed());
    // Inside an event's steps the payment is what the hold it left says, until the event
    // decides otherwise.
    let left = running.as_ref().and(last_hold);
    let state = runtime::life::living_state(def, case).or(left);
    let waiting = case
        .inbox
        .iter()
        .filter(|m| m.event)
        .filter_map(|m| {
            let event = def.event_for_message(&m.name)?;
            Some(LivingWaiting {
                message: m.name.clone(),
                event: event.name.clone(),
                received_at: m.received_at,
            })
        })
        .collect();
    Some(Living {
        state,
        held_since: case.held_since,
        record,
        changes,
        events_open: runtime::life::events_open(def, case)
            .into_iter()
            .map(|e| e.name.clone())
            .collect(),
        running,
        waiting,
    })
}

/// Why a clerk's life event did not start.
#[derive(Debug)]
pub enum EventRefusal {
    /// The message's mistakes, one per wrong field (`payload.<field>`).
    Rejected(Vec<runtime::FieldError>),
    /// The case is not where the event may start (at another hold, not held yet): the
    /// runtime's words, for the log; the page says it from the case.
    NotNow(String),
    /// The case took the event under this `once_per` key already.
    Taken(String),
    /// Anything else, as the API says it.
    Refused(ApiError),
}

impl From<ApiError> for EventRefusal {
    fn from(e: ApiError) -> EventRefusal {
        EventRefusal::Refused(e)
    }
}

/// `p` starts the life event that message `name` starts on case `number`, from the case page
/// (`web::desk`): a clerk of one of the event's `by:` roles, in the case's region; the message
/// is the clerk's (`Actor::Clerk`), checked as the definition declares it, and journalled as
/// `message_delivered` with the event's name. Not an event's message, or one no role may
/// start from the page: 404.
pub async fn starting_event(
    engine: &Engine,
    p: &Principal,
    number: &str,
    name: &str,
    payload: Value,
    source: &Source,
) -> Result<(), EventRefusal> {
    let case = engine
        .store()
        .case_by_number(number)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    let shared = engine.shared();
    let (def, _) = shared
        .pinned(&case.service, &case.version)
        .map_err(ApiError::from)?;
    let event = def
        .event_for_message(name)
        .filter(|e| !e.by.is_empty())
        .ok_or_else(|| ApiError::NotFound(format!("life event of message {name}")))?;
    let roles: Vec<Role> = event.by.iter().filter_map(|r| r.parse().ok()).collect();
    p.require(&roles).map_err(|e| e.on(number))?;
    allowed(p, &case.region, number)?;
    let entry = record(p.login(), Action::MessageDelivered, number, source)
        .details(json!({ "message": name, "event": event.name }));
    match engine
        .recording(entry)
        .message(number, name, payload, Actor::Clerk(p.login().to_string()))
        .await
    {
        Ok(()) => Ok(()),
        Err(worker::Error::Runtime(runtime::Error::Rejected(fields))) => {
            Err(EventRefusal::Rejected(fields))
        }
        Err(worker::Error::Runtime(runtime::Error::EventNotNow(why))) => {
            Err(EventRefusal::NotNow(why))
        }
        Err(worker::Error::Runtime(runtime::Error::Duplicate { key, .. })) => {
            Err(EventRefusal::Taken(key))
        }
        Err(e) => Err(EventRefusal::Refused(e.into())),
    }
}

/// Opens case `number` for `p`: refused (and the refusal journalled) outside the principal's
/// region — and, with `personal` (the whole case, personal data and all, as the API answers
/// it), unless a role of theirs is among the service's [`readers`] —, journalled as
/// `case_opened` otherwise. A case holds personal data, so the API and the clerks' page open
/// it only through here; the page opens it without `personal` and shows the case file to the
/// readers only (`web::case_file`).
pub async fn opening(
    engine: &Engine,
    p: &Principal,
    number: &str,
    personal: bool,
    source: &Source,
) -> ApiResult<worker::CaseView> {
    let view = engine
        .case(number)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    if personal {
        case_allowed(engine.shared(), p, &view.case, number)?;
    } else {
        allowed(p, &view.case.region, number)?;
    }
    engine
        .audit(record(p.login(), Action::CaseOpened, number, source))
        .await?;
    Ok(view)
}

/// A message for a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    /// The message's name, one the service declares (`objection`).
    name: String,
    /// Its fields, as the service declares them.
    #[serde(default)]
    #[schema(value_type = Object)]
    payload: Value,
}

/// The largest body `POST /cases/{number}/messages` takes: a message is a statement and its
/// references, and one that waits is written with the case's state at every step after.
pub const MESSAGE_LIMIT: usize = 64 * 1024;

/// Delivers the citizen's message (an objection, a statement) to a case; a front-office
/// operator's or the provider's specialist's, in the case's region. Only a message the case's service (or a sub-workflow it
/// calls) declares is taken, with the fields declared for it, each of its type. A message the
/// case does not wait for yet waits in its inbox, up to 20 per case.
#[utoipa::path(
    post,
    path = "/cases/{number}/messages",
    tag = "cases",
    params(("number" = String, Path, description = "The registration number")),
    request_body = MessageBody,
    responses(
        (status = 202, description = "Delivered"),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "The case is closed, or a life event's message was taken already under its `once_per` key or cannot start where the case is (`conflict`); or it keeps 20 messages no step has taken yet (`inbox_full`)", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`payload_too_large`)", body = ErrorBody),
        (status = 422, description = "The body is wrong, the service declares no message of this `name`, or the payload has a field the message does not declare or a value not of its type; `fields` names each (`name`, `payload.<field>`)", body = ErrorBody),
    ),
)]
async fn message(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
    p: Principal,
    Body(body): Body<MessageBody>,
) -> ApiResult<StatusCode> {
    match messaging(&engine, &p, &number, &body.name, body.payload, &source).await {
        Ok(()) => Ok(StatusCode::ACCEPTED),
        Err(Completion::Rejected(fields)) => Err(ApiError::Invalid(
            "the message has mistakes".into(),
            to_json(&fields)?,
        )),
        Err(Completion::Refused(e)) => Err(e),
    }
}

/// Who registers a citizen's message (an objection, a statement): the front office or the
/// portal acting as one, or the provider's specialist who received it in writing or orally
/// (APPK art. 73; the objection's channels in workflows/_shared/hearing.yaml).
pub const MESSAGE_ROLES: [Role; 2] = [Role::FrontOfficeOperator, Role::ProviderSpecialist];

/// `p` delivers the citizen's message `name` to case `number`: the check `POST
/// /cases/{number}/messages` and the desk's page (`web::desk`) make, its mistakes by field
/// (`name`, `payload.<field>`), journalled as `message_delivered`.
pub async fn messaging(
    engine: &Engine,
    p: &Principal,
    number: &str,
    name: &str,
    payload: Value,
    source: &Source,
) -> Result<(), Completion> {
    p.require(&MESSAGE_ROLES).map_err(|e| e.on(number))?;
    let region = case_region(engine, number).await?;
    allowed(p, &region, number)?;
    let entry = record(p.login(), Action::MessageDelivered, number, source)
        .details(json!({ "message": name }));
    match engine
        .recording(entry)
        .message(number, name, payload, Actor::Citizen)
        .await
    {
        Ok(()) => Ok(()),
        Err(worker::Error::Runtime(runtime::Error::Rejected(fields))) => {
            Err(Completion::Rejected(fields))
        }
        Err(e) => Err(Completion::Refused(e.into())),
    }
}

/// The citizen withdraws the application; a front-office operator's, in the case's region.
#[utoipa::path(
    post,
    path = "/cases/{number}/withdraw",
    tag = "cases",
    params(("number" = String, Path, description = "The registration number")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "The case is closed", body = ErrorBody),
    ),
)]
async fn withdraw(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    p.require(&[Role::FrontOfficeOperator])
        .map_err(|e| e.on(&number))?;
    let region = case_region(&engine, &number).await?;
    allowed(&p, &region, &number)?;
    engine
        .recording(record(p.login(), Action::CaseWithdrawn, &number, &source))
        .withdraw(&number, Actor::Citizen)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The most tasks one page of `GET /tasks` holds.
pub const MAX_LIMIT: u32 = 500;

/// The most tasks `GET /tasks` skips: the document's 32-bit integer, which clients may hold
/// it in, and more tasks than any queue will have.
pub const MAX_OFFSET: u32 = i32::MAX as u32;

/// The tasks one page holds unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u32 = 50;

/// The longest look ahead `due_within_hours` takes: a year.
pub const MAX_DUE_WITHIN_HOURS: u32 = 366 * 24;

/// The query of `GET /tasks`, as sent: each value is read (and a wrong one refused, naming
/// the parameter) by [`QueueQuery::parse`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TaskParams {
    /// The queue of this role only, one of the principal's (default: all of them).
    role: Option<String>,
    /// The queue of this region only, one the principal covers (default: the principal's
    /// region; every region for an account of the whole republic, `kz`).
    region: Option<String>,
    /// The tasks of this case only (its registration number).
    case: Option<String>,
    /// `open` (in the queue) or `claimed` (taken by a clerk); default: both.
    #[param(value_type = Option<StatusParam>, inline)]
    status: Option<String>,
    /// `true`: only tasks past their due time (`due_at` before now). `false`: only tasks
    /// not past it, and those without one.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// Due soon: only tasks due from now to `N` hours from now, inclusive (none overdue).
    /// With `overdue=true`, the overdue ones as well: everything due by then.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 8784)]
    due_within_hours: Option<String>,
    /// `true`: only the tasks nobody has claimed yet (the open ones).
    #[param(value_type = Option<bool>)]
    unassigned: Option<String>,
    /// `true`: only the tasks due today in Almaty, those already past their time today
    /// included. Not with `overdue` or `due_within_hours`.
    #[param(value_type = Option<bool>)]
    due_today: Option<String>,
    /// `me`: only the tasks the principal has claimed.
    #[param(value_type = Option<AssigneeParam>, inline)]
    assignee: Option<String>,
    /// The tasks of cases of this service only (its id).
    service: Option<String>,
    /// The tasks at this step only: its path, `review` or `hearing/hold_hearing` inside a
    /// sub-workflow call.
    step: Option<String>,
    /// `due` (the default: the due time, tasks without one last, then the creation time),
    /// `created` (the creation time) or `number` (the registration number).
    #[param(value_type = Option<SortParam>, inline)]
    sort: Option<String>,
    /// `asc` (the default: soonest or oldest first) or `desc`. Tasks without a due time
    /// stay last either way.
    #[param(value_type = Option<OrderParam>, inline)]
    order: Option<String>,
    /// The most tasks in the answer: 0 to 500, 50 by default.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 500)]
    limit: Option<String>,
    /// How many tasks to skip, in the order asked for: 0 (the default) to 2147483647.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 2147483647)]
    offset: Option<String>,
}

/// A task's status as `GET /tasks?status=` filters by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusParam {
    /// In the queue.
    Open,
    /// Taken by a clerk.
    Claimed,
}

/// Whose tasks: `me`, the principal's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AssigneeParam {
    /// The principal.
    Me,
}

/// What `GET /tasks` is ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortParam {
    /// The due time, tasks without one last; then the creation time.
    #[default]
    Due,
    /// The creation time.
    Created,
    /// The registration number.
    Number,
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderParam {
    /// Soonest or oldest first.
    #[default]
    Asc,
    /// Latest or newest first.
    Desc,
}

/// Which of the tasks a principal may work to list, and which page: what `GET /tasks`
/// takes and the clerks' queue page asks for.
#[derive(Debug, Clone)]
pub struct QueueQuery {
    /// One of the principal's roles; `None`: all of them.
    pub role: Option<Role>,
    /// A region the principal covers; `None`: the principal's (every region for `kz`).
    pub region: Option<String>,
    /// One case's tasks.
    pub case: Option<String>,
    /// Open or claimed only; `None`: both.
    pub status: Option<StatusParam>,
    /// Overdue only (`Some(true)`) or not overdue only (`Some(false)`).
    pub overdue: Option<bool>,
    /// Due within this many hours from now.
    pub due_within_hours: Option<u32>,
    /// Due today in Almaty (past their time today or not); with neither `overdue` nor
    /// `due_within_hours`.
    pub due_today: bool,
    /// The principal's claimed tasks only.
    pub mine: bool,
    /// Claimed by nobody only.
    pub unassigned: bool,
    /// Of cases of this service only.
    pub service: Option<String>,
    /// At this step path only.
    pub step: Option<String>,
    /// The order.
    pub sort: SortParam,
    /// Its direction.
    pub order: OrderParam,
    /// At most this many.
    pub limit: u32,
    /// After skipping this many.
    pub offset: u32,
}

impl Default for QueueQuery {
    fn default() -> Self {
        QueueQuery {
            role: None,
            region: None,
            case: None,
            status: None,
            overdue: None,
            due_within_hours: None,
            due_today: false,
            mine: false,
            unassigned: false,
            service: None,
            step: None,
            sort: SortParam::Due,
            order: OrderParam::Asc,
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// A refusal of query parameter `name`: 422, naming it.
fn bad_param(name: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::Invalid(
        format!("query parameter `{name}`: {message}"),
        json!([{ "field": name, "message": message }]),
    )
}

/// A whole number in `min..=max`, or a refusal naming parameter `name`.
fn number_param(name: &str, text: &str, min: u32, max: u32) -> Result<u32, ApiError> {
    match text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad_param(
            name,
            format!("`{text}` is not a whole number from {min} to {max}"),
        )),
    }
}

/// `true`, `false` or absent (false), or a refusal naming parameter `name`.
fn flag_param(name: &str, text: Option<&str>) -> Result<bool, ApiError> {
    match text {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(t) => Err(bad_param(name, format!("`{t}` is not `true` or `false`"))),
    }
}

impl QueueQuery {
    fn parse(q: TaskParams) -> Result<QueueQuery, ApiError> {
        let mut out = QueueQuery {
            region: q.region,
            case: q.case,
            service: q.service,
            step: q.step,
            ..QueueQuery::default()
        };
        out.unassigned = flag_param("unassigned", q.unassigned.as_deref())?;
        out.due_today = flag_param("due_today", q.due_today.as_deref())?;
        if let Some(r) = q.role {
            out.role = Some(r.parse().map_err(|e: crate::accounts::role::UnknownRole| {
                bad_param("role", e.to_string())
            })?);
        }
        if let Some(s) = q.status {
            out.status = Some(match s.as_str() {
                "open" => StatusParam::Open,
                "claimed" => StatusParam::Claimed,
                _ => {
                    return Err(bad_param(
                        "status",
                        format!("`{s}` is not `open` or `claimed`"),
                    ));
                }
            });
        }
        if let Some(o) = q.overdue {
            out.overdue = Some(match o.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(bad_param(
                        "overdue",
                        format!("`{o}` is not `true` or `false`"),
                    ));
                }
            });
        }
        if let Some(h) = q.due_within_hours {
            out.due_within_hours = Some(number_param(
                "due_within_hours",
                &h,
                1,
                MAX_DUE_WITHIN_HOURS,
            )?);
        }
        if let Some(a) = q.assignee {
            if a != "me" {
                return Err(bad_param("assignee", format!("`{a}` is not `me`")));
            }
            out.mine = true;
        }
        if let Some(s) = q.sort {
            out.sort = match s.as_str() {
                "due" => SortParam::Due,
                "created" => SortParam::Created,
                "number" => SortParam::Number,
                _ => {
                    return Err(bad_param(
                        "sort",
                        format!("`{s}` is not `due`, `created` or `number`"),
                    ));
                }
            };
        }
        if out.due_today && (out.overdue.is_some() || out.due_within_hours.is_some()) {
            return Err(bad_param(
                "due_today",
                "not with `overdue` or `due_within_hours`",
            ));
        }
        if let Some(o) = q.order {
            out.order = match o.as_str() {
                "asc" => OrderParam::Asc,
                "desc" => OrderParam::Desc,
                _ => return Err(bad_param("order", format!("`{o}` is not `asc` or `desc`"))),
            };
        }
        if let Some(l) = q.limit {
            out.limit = number_param("limit", &l, 0, MAX_LIMIT)?;
        }
        if let Some(o) = q.offset {
            out.offset = number_param("offset", &o, 0, MAX_OFFSET)?;
        }
        Ok(out)
    }
}

/// One page of a queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskPage {
    /// The tasks of this page, in the order asked for.
    pub tasks: Vec<TaskRow>,
    /// How many tasks the filters select, on every page.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// The tasks skipped before this page.
    pub offset: u32,
}

/// The open and claimed tasks the principal may work: the queues of their roles in their
/// region, filtered, sorted and paged.
#[utoipa::path(
    get,
    path = "/tasks",
    tag = "tasks",
    params(TaskParams),
    responses(
        (status = 200, description = "One page of the tasks", body = TaskPage),
        (status = 403, description = "A role or region that is not the principal's", body = ErrorBody),
        (status = 422, description = "A parameter's value is wrong, or the parameter unknown; `fields[0].field` names it", body = ErrorBody),
    ),
)]
async fn tasks(
    State(engine): State<Engine>,
    p: Principal,
    Params(params): Params<TaskParams>,
) -> ApiResult<Json<TaskPage>> {
    let query = QueueQuery::parse(params)?;
    Ok(Json(queue(&engine, &p, &query).await?))
}

/// The open and claimed tasks `p` may work, as `q` filters, orders and pages them: the
/// queues of the principal's roles (or of `q.role`, one of them) in the principal's region
/// (or `q.region`, which they must cover); `kz` sees every region's. What `GET /tasks`
/// answers and the clerks' queue page shows.
pub async fn queue(engine: &Engine, p: &Principal, q: &QueueQuery) -> ApiResult<TaskPage> {
    let roles: Vec<Role> = match q.role {
        Some(role) => {
            p.require(&[role])?;
            vec![role]
        }
        None => p.account.roles.clone(),
    };
    let region = match &q.region {
        Some(r) => {
            p.require_region(r)?;
            Some(r.clone())
        }
        None if p.account.region == crate::accounts::REPUBLIC => None,
        None => Some(p.account.region.clone()),
    };
    let now = engine.shared().clock.now();
    let due = match (q.overdue, q.due_within_hours) {
        _ if q.due_today => today_in_almaty(now),
        (None, None) => Due::Any,
        (Some(true), None) => Due::Before(now),
        (Some(false), None) => Due::NotBefore(now),
        (Some(true), Some(h)) => Due::Window {
            from: None,
            to: now + Duration::hours(i64::from(h)),
        },
        (_, Some(h)) => Due::Window {
            from: Some(now),
            to: now + Duration::hours(i64::from(h)),
        },
    };
    let query = TaskQuery {
        roles: Some(roles.iter().map(|r| r.as_str().to_string()).collect()),
        region,
        case: q.case.clone(),
        status: q.status.map(|s| match s {
            StatusParam::Open => TaskStatus::Open,
            StatusParam::Claimed => TaskStatus::Claimed,
        }),
        assignee: q.mine.then(|| p.login().to_string()),
        unassigned: q.unassigned,
        service: q.service.clone(),
        step: q.step.clone(),
        due,
        sort: match q.sort {
            SortParam::Due => TaskSort::Due,
            SortParam::Created => TaskSort::Created,
            SortParam::Number => TaskSort::Number,
        },
        descending: q.order == OrderParam::Desc,
        limit: q.limit.min(MAX_LIMIT),
        offset: q.offset,
    };
    let (tasks, total) = engine
        .store()
        .task_page(&query)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?;
    Ok(TaskPage {
        tasks,
        total,
        limit: query.limit,
        offset: query.offset,
    })
}

/// Due times within the Almaty day of `now`, from its midnight to the last microsecond
/// before the next: what a clerk means by "due today".
fn today_in_almaty(now: chrono::DateTime<chrono::Utc>) -> Due {
    let zone = crate::clock::ZONE;
    let day = now.with_timezone(&zone).date_naive();
    let midnight = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(zone).single())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    match (midnight(day), day.succ_opt().and_then(midnight)) {
        (Some(from), Some(next)) => Due::Window {
            from: Some(from),
            to: next - Duration::microseconds(1),
        },
        // Almaty has had no daylight saving since 2024 and no gap at midnight: unreachable,
        // but a day without a midnight would keep everything rather than fail the queue.
        _ => Due::Any,
    }
}

/// Refuses with 403 unless `p` works in `region`: the refusal of `object` (a case's
/// number, a task's key), journalled by the router's layer.
pub(crate) fn allowed(p: &Principal, region: &str, object: &str) -> Result<(), ApiError> {
    p.require_region(region).map_err(|e| e.on(object))
}

/// The roles that read the personal data of a case of `def`: those of its tasks (and of the
/// tasks of the sub-workflows it calls) and those its `submitted_by` names — access
/// "exclusively within ex-officio full powers" (seeds/003 item 30). The case file, the API's
/// case, its documents and its scans are theirs; the case page shows anyone else of the
/// region the case's progress without them.
pub fn readers(shared: &worker::Shared, def: &crate::definition::Definition) -> Vec<Role> {
    let mut roles: std::collections::BTreeSet<String> = filing_readers(def)
        .into_iter()
        .map(|r| r.as_str().to_string())
        .collect();
    task_roles(shared, def, &mut roles, &mut Vec::new());
    roles.iter().filter_map(|r| r.parse().ok()).collect()
}

/// The roles that read a service's cases because they file it: its `submitted_by` — unless
/// every person on the staff may file it (a technical-failure report, seeds/003 item 12(1)):
/// a right everyone has is no duty, and reading follows duties (item 30), so filing such a
/// service lets no one read the others' cases or search them; its tasks' roles read them.
pub fn filing_readers(def: &crate::definition::Definition) -> Vec<Role> {
    let roles = submitters(def);
    let everyone = Role::ALL
        .iter()
        .filter(|r| {
            !matches!(
                r,
                Role::GatewaySystem | Role::SmsProviderSystem | Role::EgovPortalSystem
            )
        })
        .all(|r| roles.contains(r));
    if everyone { Vec::new() } else { roles }
}

/// The roles of `def`'s tasks and of the sub-workflows it calls, each workflow once.
fn task_roles<'a>(
    shared: &'a worker::Shared,
    def: &'a crate::definition::Definition,
    roles: &mut std::collections::BTreeSet<String>,
    seen: &mut Vec<&'a str>,
) {
    use crate::definition::model::StepKind;
    if seen.contains(&def.id.as_str()) {
        return;
    }
    seen.push(&def.id);
    for step in &def.steps {
        match &step.kind {
            StepKind::Task(t) => {
                roles.insert(t.role.clone());
            }
            StepKind::Call { workflow, .. } => {
                if let Some(sub) = shared.subworkflows.get(workflow) {
                    task_roles(shared, sub, roles, seen);
                }
            }
            _ => {}
        }
    }
}

/// Refuses with 403 unless `p` may read the personal data of case `case` (number `number`):
/// one of their roles is among its service's [`readers`] and they work in its region. The
/// API's case, a document and a scan ask this first; the refusal is journalled as
/// [`allowed`]'s.
pub(crate) fn case_allowed(
    shared: &worker::Shared,
    p: &Principal,
    case: &crate::runtime::CaseState,
    number: &str,
) -> Result<(), ApiError> {
    let (def, _) = shared
        .pinned(&case.service, &case.version)
        .map_err(ApiError::from)?;
    let readers = readers(shared, def);
    if !readers.iter().any(|r| p.account.has_role(*r)) {
        return Err(p.denied(Why::Role(readers)).on(number));
    }
    allowed(p, &case.region, number)
}

async fn case_region(engine: &Engine, number: &str) -> Result<String, ApiError> {
    engine
        .store()
        .case_by_number(number)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .map(|c| c.region)
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))
}

/// The task `key`, if `p` may act on it: one of their roles, in their region (a refusal is
/// journalled as `access_denied`) — or a task of a role they supervise that they hold, having
/// taken it over (`department::taking_over`), and only while they hold it.
pub async fn task_for(engine: &Engine, p: &Principal, key: &str) -> Result<TaskRow, ApiError> {
    let task = engine
        .store()
        .task(key)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("task {key}")))?;
    let role: Option<Role> = task.role.parse().ok();
    let taken_over = task.status == TaskStatus::Claimed
        && task.assignee.as_deref() == Some(p.login())
        && department::supervises(engine, p, &task.role);
    if !taken_over && !role.is_some_and(|r| p.account.has_role(r)) {
        return Err(
            Denial::new(p.login(), Why::Role(role.into_iter().collect()))
                .on(key)
                .into(),
        );
    }
    allowed(p, &task.region, key)?;
    Ok(task)
}

/// Refuses `p` a task another clerk has claimed (409, journalled as `access_denied`): it is
/// that clerk's to complete or to put back. Checked on the row read before the writer is
/// asked; the writer checks again, atomically ([`held_meanwhile`]).
fn not_anothers(p: &Principal, task: &TaskRow) -> Result<(), ApiError> {
    if task.status == TaskStatus::Claimed && task.assignee.as_deref() != Some(p.login()) {
        return Err(Denial::new(p.login(), Why::AnotherClerksTask)
            .on(&task.key)
            .into());
    }
    Ok(())
}

/// The writer's refusal `e` of `p`'s action on task `key`, as the caller is told it: when
/// another clerk claimed the task between the check and the write, the refusal of
/// [`not_anothers`] (journalled); anything else as it was.
async fn held_meanwhile(engine: &Engine, p: &Principal, key: &str, e: worker::Error) -> ApiError {
    if let worker::Error::Conflict(_) = e
        && let Ok(Some(task)) = engine.store().task(key).await
        && let Err(denied) = not_anothers(p, &task)
    {
        return denied;
    }
    e.into()
}

/// Takes a task from the queue; the task's role and region must be the principal's.
#[utoipa::path(
    post,
    path = "/tasks/{key}/claim",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key")),
    responses(
        (status = 204, description = "Claimed by the principal"),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 409, description = "Claimed by another clerk (`conflict`, journalled as `access_denied`), or no longer open", body = ErrorBody),
    ),
)]
async fn claim(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    claiming(&engine, &p, &key, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `p` takes task `key` from the queue; the claim and its audit record commit together.
pub async fn claiming(engine: &Engine, p: &Principal, key: &str, source: &Source) -> ApiResult<()> {
    let task = task_for(engine, p, key).await?;
    not_anothers(p, &task)?;
    match engine
        .recording(record(p.login(), Action::TaskClaimed, key, source))
        .claim(key, p.login())
        .await
    {
        Ok(()) => Ok(()),
        Err(e) => Err(held_meanwhile(engine, p, key, e).await),
    }
}

/// Puts a task the principal holds back in the queue.
#[utoipa::path(
    post,
    path = "/tasks/{key}/unclaim",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key")),
    responses(
        (status = 204, description = "Back in the queue"),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 409, description = "The principal does not hold it; held by another clerk, the refusal is journalled (`access_denied`)", body = ErrorBody),
    ),
)]
async fn unclaim(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    unclaiming(&engine, &p, &key, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `p` puts task `key` back in the queue, journalled with it.
pub async fn unclaiming(
    engine: &Engine,
    p: &Principal,
    key: &str,
    source: &Source,
) -> ApiResult<()> {
    let task = task_for(engine, p, key).await?;
    not_anothers(p, &task)?;
    match engine
        .recording(record(p.login(), Action::TaskUnclaimed, key, source))
        .unclaim(key, p.login())
        .await
    {
        Ok(()) => Ok(()),
        Err(e) => Err(held_meanwhile(engine, p, key, e).await),
    }
}

/// A task's completion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    /// One of the step's outcomes (`approve`, `refuse`, `complete`, …).
    outcome: String,
    /// The form's fields by name, as the step declares them.
    #[serde(default)]
    #[schema(value_type = Object)]
    form: Value,
}

/// Completes a task with an outcome and its form; the case moves on in the same commit.
#[utoipa::path(
    post,
    path = "/tasks/{key}/complete",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key")),
    request_body = CompleteBody,
    responses(
        (status = 204, description = "Completed"),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 409, description = "Completed already, claimed by another clerk (journalled as `access_denied`), or the case is closed", body = ErrorBody),
        (status = 422, description = "The outcome or the form has mistakes, one entry per field in `fields`", body = ErrorBody),
    ),
)]
async fn complete(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
    Body(body): Body<CompleteBody>,
) -> ApiResult<StatusCode> {
    completing(&engine, &p, &key, &body.outcome, body.form, &source)
        .await
        .map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why completing a task failed: the form's mistakes by field, kept whole so that a page can
/// show each beside its field, or any other refusal, as the API says it.
#[derive(Debug)]
pub enum Completion {
    /// The runtime refused the form: one entry per wrong field.
    Rejected(Vec<runtime::FieldError>),
    /// Anything else.
    Refused(ApiError),
}

impl From<Completion> for ApiError {
    fn from(c: Completion) -> ApiError {
        match c {
            Completion::Rejected(fields) => {
                worker::Error::Runtime(runtime::Error::Rejected(fields)).into()
            }
            Completion::Refused(e) => e,
        }
    }
}

impl From<ApiError> for Completion {
    fn from(e: ApiError) -> Completion {
        Completion::Refused(e)
    }
}

/// `p` completes task `key` with `outcome` and `form`; the transition and its audit record
/// commit together.
pub async fn completing(
    engine: &Engine,
    p: &Principal,
    key: &str,
    outcome: &str,
    form: Value,
    source: &Source,
) -> Result<(), Completion> {
    let task = task_for(engine, p, key).await?;
    not_anothers(p, &task)?;
    let entry = record(p.login(), Action::TaskCompleted, key, source)
        .details(json!({ "outcome": outcome }));
    match engine
        .recording(entry)
        .complete(key, outcome, form, p.login())
        .await
    {
        Ok(()) => Ok(()),
        Err(worker::Error::Runtime(runtime::Error::Rejected(fields))) => {
            Err(Completion::Rejected(fields))
        }
        Err(e) => Err(Completion::Refused(held_meanwhile(engine, p, key, e).await)),
    }
}

/// Retries an incident with a fresh budget of attempts; the administrator's.
#[utoipa::path(
    post,
    path = "/incidents/{key}/retry",
    tag = "incidents",
    params(("key" = String, Path, description = "The job's idempotency key")),
    responses(
        (status = 204, description = "Due again now"),
        (status = 404, description = "No such incident", body = ErrorBody),
    ),
)]
async fn retry(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    retrying(&engine, &p, &key, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An administrator retries incident `key` with a fresh budget, journalled with it: an
/// incident of a case of their region (`kz`: any), as the list shows them.
pub async fn retrying(engine: &Engine, p: &Principal, key: &str, source: &Source) -> ApiResult<()> {
    p.require(&[Role::Administrator]).map_err(|e| e.on(key))?;
    let (_, region) = engine
        .store()
        .case_of_job(key)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("incident {key}")))?;
    allowed(p, &region, key)?;
    engine
        .recording(record(p.login(), Action::IncidentRetried, key, source))
        .retry_incident(key)
        .await?;
    Ok(())
}
