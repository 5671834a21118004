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

use crate::accounts::Role;
use crate::audit::{Action, Entry};
use crate::runtime::{self, Actor, Language, Submission};
use crate::worker::{self, Engine};
use auth::Principal;

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
pub(crate) fn record(actor: &str, action: Action, object: &str, source: &Source) -> Entry {
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
    source: Source,
    p: Principal,
    Body(body): Body<SubmitBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // An application comes in at a front office (or through a system acting as one, the
    // portal): seeds/004 item 6.
    p.require(&[Role::FrontOfficeOperator])?;
    p.require_region(&body.region)?;
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
    let entry = Entry::new(p.login(), Action::CaseSubmitted)
        .source(source.0.as_deref())
        .details(json!({ "service": body.service, "channel": submission.channel }));
    let number = engine
        .recording(entry)
        .submit(&body.service, submission)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "number": number }))))
}

async fn case(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<Json<Value>> {
    let view = opening(&engine, &p, &number, &source).await?;
    Ok(Json(
        serde_json::to_value(view).map_err(|_| ApiError::Internal)?,
    ))
}

/// Opens case `number` for `p`: refused (and the refusal journalled) outside the principal's
/// region, journalled as `case_opened` otherwise. A case holds personal data, so the API and
/// the clerks' page open it only through here.
pub async fn opening(
    engine: &Engine,
    p: &Principal,
    number: &str,
    source: &Source,
) -> ApiResult<worker::CaseView> {
    let view = engine
        .case(number)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    allowed(engine, p, &view.case.region, number, source).await?;
    engine
        .audit(record(p.login(), Action::CaseOpened, number, source))
        .await?;
    Ok(view)
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
    p: Principal,
    Body(body): Body<MessageBody>,
) -> ApiResult<StatusCode> {
    // The citizen's objection or statement, registered at a front office or by the portal.
    p.require(&[Role::FrontOfficeOperator])?;
    let region = case_region(&engine, &number).await?;
    allowed(&engine, &p, &region, &number, &source).await?;
    let entry = record(p.login(), Action::MessageDelivered, &number, &source)
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
    p: Principal,
) -> ApiResult<StatusCode> {
    p.require(&[Role::FrontOfficeOperator])?;
    let region = case_region(&engine, &number).await?;
    allowed(&engine, &p, &region, &number, &source).await?;
    engine
        .recording(record(p.login(), Action::CaseWithdrawn, &number, &source))
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
    p: Principal,
    Query(f): Query<TaskFilter>,
) -> ApiResult<Json<Value>> {
    let role = match &f.role {
        Some(r) => Some(r.parse().map_err(|e: crate::accounts::role::UnknownRole| {
            ApiError::Invalid(e.to_string(), Value::Null)
        })?),
        None => None,
    };
    let rows = queue(&engine, &p, role, f.region.as_deref(), f.case.as_deref()).await?;
    Ok(Json(json!(rows)))
}

/// The open and claimed tasks `p` may work, most urgent first (due soonest, overdue first;
/// tasks without a due time last): the queues of the principal's roles (or of `role`, one of
/// them) in the principal's region (or `region`, which they must cover); `kz` sees every
/// region's. What `GET /tasks` answers and the clerks' queue page shows.
pub async fn queue(
    engine: &Engine,
    p: &Principal,
    role: Option<Role>,
    region: Option<&str>,
    case: Option<&str>,
) -> ApiResult<Vec<crate::store::TaskRow>> {
    let roles: Vec<Role> = match role {
        Some(role) => {
            p.require(&[role])?;
            vec![role]
        }
        None => p.account.roles.clone(),
    };
    let region = match region {
        Some(r) => {
            p.require_region(r)?;
            Some(r.to_string())
        }
        None if p.account.region == crate::accounts::REPUBLIC => None,
        None => Some(p.account.region.clone()),
    };
    let mut rows = Vec::new();
    for role in roles {
        rows.extend(
            engine
                .store()
                .tasks(Some(role.as_str()), region.as_deref(), case)
                .await
                .map_err(|e| ApiError::from(worker::Error::from(e)))?,
        );
    }
    rows.sort_by(|a, b| {
        (a.due_at.is_none(), a.due_at, &a.key).cmp(&(b.due_at.is_none(), b.due_at, &b.key))
    });
    Ok(rows)
}

/// Refuses with 403 (and journals the refusal) unless `p` works in `region`.
async fn allowed(
    engine: &Engine,
    p: &Principal,
    region: &str,
    object: &str,
    source: &Source,
) -> Result<(), ApiError> {
    if let Err(e) = p.require_region(region) {
        engine
            .audit(record(p.login(), Action::AccessDenied, object, source))
            .await?;
        return Err(e);
    }
    Ok(())
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
/// journalled as `access_denied`).
pub async fn task_for(
    engine: &Engine,
    p: &Principal,
    key: &str,
    source: &Source,
) -> Result<crate::store::TaskRow, ApiError> {
    let task = engine
        .store()
        .task(key)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("task {key}")))?;
    let role: Option<Role> = task.role.parse().ok();
    if !role.is_some_and(|r| p.account.has_role(r)) {
        engine
            .audit(record(p.login(), Action::AccessDenied, key, source))
            .await?;
        return Err(ApiError::Forbidden(format!(
            "this task is for the role {}",
            task.role
        )));
    }
    allowed(engine, p, &task.region, key, source).await?;
    Ok(task)
}

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
    task_for(engine, p, key, source).await?;
    engine
        .recording(record(p.login(), Action::TaskClaimed, key, source))
        .claim(key, p.login())
        .await?;
    Ok(())
}

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
    task_for(engine, p, key, source).await?;
    engine
        .recording(record(p.login(), Action::TaskUnclaimed, key, source))
        .unclaim(key, p.login())
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    outcome: String,
    #[serde(default)]
    form: Value,
}

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
    task_for(engine, p, key, source).await?;
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
        Err(e) => Err(Completion::Refused(e.into())),
    }
}

async fn incidents(State(engine): State<Engine>, p: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(json!(listing_incidents(&engine, &p).await?)))
}

/// The jobs waiting for an administrator; the administrator's only.
pub async fn listing_incidents(
    engine: &Engine,
    p: &Principal,
) -> ApiResult<Vec<crate::store::JobRow>> {
    p.require(&[Role::Administrator])?;
    Ok(engine.incidents().await?)
}

async fn retry(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    retrying(&engine, &p, &key, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An administrator retries incident `key` with a fresh budget, journalled with it.
pub async fn retrying(engine: &Engine, p: &Principal, key: &str, source: &Source) -> ApiResult<()> {
    p.require(&[Role::Administrator])?;
    engine
        .recording(record(p.login(), Action::IncidentRetried, key, source))
        .retry_incident(key)
        .await?;
    Ok(())
}
