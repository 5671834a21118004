//! The HTTP API: cases, tasks, messages, incidents, health.
//!
//! `fn router(engine) -> Router` is the whole API, tested with `oneshot` and no socket.
//! Errors are JSON with a stable `code` and a `message`; a 5xx says only that something
//! failed and logs the details, which never leave the server.

pub mod accounts;
pub mod auth;
pub mod integrations;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{self, Action, Entry};
use crate::runtime::{self, Actor, Language, Submission};
use crate::worker::{self, Engine};

/// An API error: its status, its stable code and its message.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no session or token, or one that no longer signs anybody in.
    Unauthenticated,
    /// 401: the login and password did not sign in, with why (wrong, locked, blocked).
    SignInRefused(String),
    /// 403: signed in, but this is not the account's to do (role, region, CSRF).
    Forbidden(String),
    /// 403: the temporary password must be changed first (seeds/003 item 24).
    PasswordChangeRequired,
    /// 404: no such case, task or incident.
    NotFound(String),
    /// 409: completed twice, claimed by another clerk, the case closed.
    Conflict(String),
    /// 422: the request is understood but wrong (form mistakes, by field).
    Invalid(String, Value),
    /// 503: the engine is stopping.
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
            ApiError::SignInRefused(m) => {
                (StatusCode::UNAUTHORIZED, "sign_in_refused", m, Value::Null)
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, Value::Null),
            ApiError::PasswordChangeRequired => (
                StatusCode::FORBIDDEN,
                "password_change_required",
                "change the temporary password first (POST /session/password)".into(),
                Value::Null,
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m, Value::Null),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, Value::Null),
            ApiError::Invalid(m, f) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m, f),
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
        let mut body = json!({ "code": code, "message": message });
        if !fields.is_null() {
            body["fields"] = fields;
        }
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
            worker::Error::Unavailable(_) => ApiError::Unavailable,
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::Internal
            }
        }
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body whose mistakes (not JSON, an unknown or missing field, a wrong type)
/// come back in the API's error shape, `422 {"code": "invalid", ...}`, naming what is wrong.
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| Body(v))
            .map_err(|e| ApiError::Invalid(e.body_text(), Value::Null))
    }
}

/// Where a request came from, for the audit journal: the peer's address when the server
/// knows it (`serve` does; a test's `oneshot` does not).
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
fn record(actor: &str, action: Action, object: &str, source: &Source) -> Entry {
    Entry::new(actor, action)
        .source(source.0.as_deref())
        .object(object)
}

/// The API over an engine.
pub fn router(engine: Engine) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/cases", post(submit))
        .route("/cases/{number}", get(case))
        .route("/cases/{number}/messages", post(message))
        .route("/cases/{number}/withdraw", post(withdraw))
        .route("/tasks", get(tasks))
        .route("/tasks/{key}/claim", post(claim))
        .route("/tasks/{key}/unclaim", post(unclaim))
        .route("/tasks/{key}/complete", post(complete))
        .route("/incidents", get(incidents))
        .route("/incidents/{key}/retry", post(retry))
        .merge(auth::router())
        .merge(accounts::router())
        .with_state(engine)
}

async fn health(State(engine): State<Engine>) -> ApiResult<Json<Value>> {
    let counts = engine
        .store()
        .counts()
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?;
    Ok(Json(json!({ "status": "ok", "counts": counts })))
}

/// A submission as the channels send it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    service: String,
    data: Value,
    #[serde(default = "default_channel")]
    channel: String,
    #[serde(default)]
    language: Language,
    #[serde(default)]
    sms_consent: bool,
    region: String,
}

fn default_channel() -> String {
    "state_corporation".into()
}

async fn submit(
    State(engine): State<Engine>,
    Body(body): Body<SubmitBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // A bad IIN is refused here, and never reaches the gateway.
    if let Some(iin) =
        crate::runtime::get_path(&crate::runtime::normalise(&body.data), "applicant.iin")
            .and_then(Value::as_str)
        && let Err(e) = crate::domain::Iin::parse(iin)
    {
        return Err(ApiError::Invalid(
            "the application has mistakes".into(),
            json!([{ "field": "data.applicant.iin", "message": e.to_string() }]),
        ));
    }
    let submission = Submission {
        data: body.data,
        channel: body.channel,
        language: body.language,
        sms_consent: body.sms_consent,
        region: body.region,
    };
    let number = engine.submit(&body.service, submission).await?;
    Ok((StatusCode::CREATED, Json(json!({ "number": number }))))
}

async fn case(State(engine): State<Engine>, Path(number): Path<String>) -> ApiResult<Json<Value>> {
    let view = engine
        .case(&number)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    Ok(Json(
        serde_json::to_value(view).map_err(|_| ApiError::Internal)?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    name: String,
    #[serde(default)]
    payload: Value,
}

async fn message(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
    Body(body): Body<MessageBody>,
) -> ApiResult<StatusCode> {
    let entry = record(audit::CITIZEN, Action::MessageDelivered, &number, &source)
        .details(json!({ "message": body.name }));
    engine
        .recording(entry)
        .message(&number, &body.name, body.payload, Actor::Citizen)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

async fn withdraw(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
) -> ApiResult<StatusCode> {
    engine
        .recording(record(
            audit::CITIZEN,
            Action::CaseWithdrawn,
            &number,
            &source,
        ))
        .withdraw(&number, Actor::Citizen)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct TaskFilter {
    role: Option<String>,
    region: Option<String>,
    case: Option<String>,
}

async fn tasks(
    State(engine): State<Engine>,
    Query(f): Query<TaskFilter>,
) -> ApiResult<Json<Value>> {
    let rows = engine
        .store()
        .tasks(f.role.as_deref(), f.region.as_deref(), f.case.as_deref())
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?;
    Ok(Json(json!(rows)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ByBody {
    by: String,
}

async fn claim(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    Body(body): Body<ByBody>,
) -> ApiResult<StatusCode> {
    engine
        .recording(record(&body.by, Action::TaskClaimed, &key, &source))
        .claim(&key, &body.by)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unclaim(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    Body(body): Body<ByBody>,
) -> ApiResult<StatusCode> {
    engine
        .recording(record(&body.by, Action::TaskUnclaimed, &key, &source))
        .unclaim(&key, &body.by)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    outcome: String,
    #[serde(default)]
    form: Value,
    by: String,
}

async fn complete(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    Body(body): Body<CompleteBody>,
) -> ApiResult<StatusCode> {
    let entry = record(&body.by, Action::TaskCompleted, &key, &source)
        .details(json!({ "outcome": body.outcome }));
    engine
        .recording(entry)
        .complete(&key, &body.outcome, body.form, &body.by)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn incidents(State(engine): State<Engine>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(engine.incidents().await?)))
}

async fn retry(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
) -> ApiResult<StatusCode> {
    engine
        .recording(record(
            audit::ANONYMOUS,
            Action::IncidentRetried,
            &key,
            &source,
        ))
        .retry_incident(&key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
