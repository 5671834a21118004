//! The endpoints other systems call, and the operator's view of them:
//!
//! - `GET /metrics`: the Prometheus text (requests per connector, latency, failures, open
//!   circuit breakers, outbox depth, open incidents, cases per service and state, open and
//!   overdue tasks, unfinished jobs by state, the writer's batches, HTTP requests by route,
//!   timer lateness: `gateway::metrics`);
//! - `POST /gateway/answers`: the gateway's asynchronous channel delivers an answer (a SOAP
//!   `SendMessage` body) to the data request its `correlationId` names; it is applied to the
//!   case as that request's answer — or its failure — exactly as a synchronous answer is;
//! - `POST /notify/sms/status`: an SMS aggregator's delivery report; it becomes a line in
//!   the case history;
//! - `POST /monitoring/replay`: the stage feed for a date range sent again, from the history.
//!
//! The request bodies other systems send are theirs to shape, so mistakes come back in the
//! API's error shape with the reason, and a body that names no case we know is a 404, not
//! a 500.
//!
//! Who may call what (issue #19): an answer from a state system and a delivery report move a
//! case, so only the integration's own system account posts them — a token of an account
//! with the role `gateway_system` for the answers, `sms_provider_system` for the reports;
//! no person's session, no other role, the administrator's neither. A regional system
//! account posts only into the cases of its region (`kz`: every region). Each one accepted is
//! journalled with the case (`answer_delivered`, `delivery_reported`), each refused as
//! `access_denied`. The metrics and the replay are an administrator's; a replay is
//! journalled (`monitoring_replayed`), and so is every refusal.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, Body, ErrorBody, Source, Why, allowed, record};
use crate::accounts::Role;
use crate::audit::Action;
use crate::runtime::Work;
use crate::service::Service;
use crate::worker::{self, writer::Note};

/// The integration endpoints over a running service; every refusal they answer is
/// journalled ([`super::denial::journal`]).
pub fn router(service: Service) -> Router {
    let engine = service.engine.clone();
    routes()
        .with_state(service)
        .split_for_parts()
        .0
        .layer(axum::middleware::from_fn_with_state(
            engine,
            super::denial::journal,
        ))
}

/// Every route of [`router`], each registered with its documentation.
pub(crate) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(metrics))
        .routes(routes!(gateway_answer))
        .routes(routes!(sms_status))
        .routes(routes!(replay))
        // The citizen's SMS replies and the waves of proactive cases.
        .merge(super::sms_replies::routes())
        // A case's documents: rendered with the service's templates, which the engine lacks.
        .merge(super::documents::routes())
        // The eGov portal files citizens' signed applications with its system token.
        .merge(super::portal::routes())
}

/// The Prometheus metrics (OpenMetrics text); an administrator's token or session.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "integrations",
    responses((status = 200, description = "Requests per connector, latency, failures, open circuit breakers, outbox depth, open incidents, cases per service and state", body = String, content_type = "application/openmetrics-text")),
)]
async fn metrics(State(s): State<Service>, p: Principal) -> ApiResult<impl IntoResponse> {
    administrator(&p)?;
    let now = s.engine.shared().clock.now();
    let text = s.metrics.render(&*s.ledger, now).await;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}

/// Refuses with 403 unless `p` is an administrator; the refusal is journalled as
/// `access_denied`, the route its object, by the router's layer (`api::denial`).
fn administrator(p: &Principal) -> Result<(), ApiError> {
    p.require(&[Role::Administrator])
}

/// Refuses with 403, journalled as [`administrator`]'s, unless `p` is a system account of `role` calling with its API token: a state system's answer or
/// an aggregator's report moves a case, and is no person's to post, nor another system's.
pub(super) fn system_account(p: &Principal, role: Role) -> Result<(), ApiError> {
    if p.session.is_some() {
        return Err(p.denied(Why::TokenRequired(role)));
    }
    p.require(&[role])
}

/// The gateway's asynchronous channel delivers an answer (a SOAP `SendMessage` body) to the
/// data request its `correlationId` names (our `messageId`, the request's job key). A
/// `RESPONSE` is mapped by the connector's `response` into the catalog's fields and applied
/// to the case as the request's output, in the transaction that finishes the job; an `ERROR`,
/// or an answer that does not fit the contract, is the request's failure (the step's
/// `on_failure` path and its support e-mail), as a synchronous one would be. Once only: an
/// answer for a request that awaits none (answered already, its failure path taken) is
/// refused with 409 and changes nothing. Only the token of a system account with the role
/// `gateway_system`, of the case's region or of `kz`; each answer applied is journalled
/// (`answer_delivered`, the case's number), each refusal of access too (`access_denied`).
#[utoipa::path(
    post,
    path = "/gateway/answers",
    tag = "integrations",
    security(("bearer" = [])),
    request_body(content = String, content_type = "text/xml", description = "The SOAP envelope"),
    responses(
        (status = 202, description = "Applied to its case: as the request's answer, or (an `ERROR`, an answer that does not fit) as its failure"),
        (status = 403, description = "Not the token of a `gateway_system` account, or the case is in another region than the account's", body = ErrorBody),
        (status = 404, description = "No request of ours has this correlationId", body = ErrorBody),
        (status = 409, description = "The request awaits no answer: answered already (a repeat), its failure path taken, or not sent", body = ErrorBody),
        (status = 422, description = "Not an answer the gateway sends, or not one for this request's connector", body = ErrorBody),
    ),
)]
async fn gateway_answer(
    State(s): State<Service>,
    source: Source,
    p: Principal,
    body: String,
) -> ApiResult<StatusCode> {
    system_account(&p, Role::GatewaySystem)?;
    let incoming = s
        .gateway
        .incoming(&body)
        .map_err(|e| ApiError::Invalid(e.to_string(), Value::Null))?;
    let key = &incoming.correlation_id;
    let unknown = || ApiError::NotFound(format!("no request of ours has the correlationId {key}"));
    let store = s.engine.store();
    let job = store
        .job(key)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(unknown)?;
    let (number, region) = store
        .case_of_job(key)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(unknown)?;
    allowed(&p, &region, &number)?;
    let Work::Request { connector, .. } = &job.work else {
        return Err(ApiError::Conflict(format!(
            "{key} is not a data request: it awaits no answer"
        )));
    };
    let answer = s
        .gateway
        .async_answer(&incoming, connector)
        .map_err(|e| ApiError::Invalid(e.to_string(), Value::Null))?;
    let entry = record(p.login(), Action::AnswerDelivered, &number, &source).details(json!({
        "connector": answer.connector,
        "correlation_id": answer.correlation_id,
        "outcome": if answer.outcome.is_ok() { "answer" } else { "failure" },
    }));
    s.engine
        .recording(entry)
        .answer(key, answer.outcome, job.attempts)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// An SMS aggregator's delivery report: it becomes a line in the case history. Only the
/// token of a system account with the role `sms_provider_system`, of the case's region or
/// of `kz`; each report noted is journalled (`delivery_reported`, the case's number), each
/// refusal too (`access_denied`).
#[utoipa::path(
    post,
    path = "/notify/sms/status",
    tag = "integrations",
    security(("bearer" = [])),
    request_body(content = Object, description = "The report as the configured aggregator sends it (its message id and status at the configured JSON pointers)"),
    responses(
        (status = 204, description = "Noted in the case history"),
        (status = 403, description = "Not the token of an `sms_provider_system` account, or the case is in another region than the account's", body = ErrorBody),
        (status = 404, description = "No SMS we sent has this provider id", body = ErrorBody),
        (status = 422, description = "Not a report this aggregator sends", body = ErrorBody),
    ),
)]
async fn sms_status(
    State(s): State<Service>,
    source: Source,
    p: Principal,
    Body(body): Body<Value>,
) -> ApiResult<StatusCode> {
    system_account(&p, Role::SmsProviderSystem)?;
    let (id, status) = s.notify.sms_callback(&body).ok_or_else(|| {
        ApiError::Invalid(
            "not a delivery report this SMS provider sends (no message id or status)".into(),
            Value::Null,
        )
    })?;
    let (job, case_id) = s
        .engine
        .store()
        .job_by_sms_id(&id)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("no SMS we sent has the provider id {id}")))?;
    let (number, region) = s
        .engine
        .store()
        .case_of_job(&job)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("no SMS we sent has the provider id {id}")))?;
    allowed(&p, &region, &number)?;
    let entry = record(p.login(), Action::DeliveryReported, &number, &source)
        .details(json!({ "job": job, "status": status_name(status) }));
    s.engine
        .recording(entry)
        .note(Note {
            case_id,
            kind: format!("notification_{}", status_name(status)),
            detail: json!({ "job": job, "channel": "sms", "status": status, "provider_id": id }),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn status_name(status: crate::notify::sms::DeliveryStatus) -> &'static str {
    use crate::notify::sms::DeliveryStatus::*;
    match status {
        Queued => "queued",
        Sent => "sent",
        Delivered => "delivered",
        Failed => "failed",
    }
}

/// A date range of the stage feed to send again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    /// From (inclusive), RFC 3339.
    from: DateTime<Utc>,
    /// To (exclusive), RFC 3339.
    to: DateTime<Utc>,
}

/// What a replay sent.
#[derive(Debug, Serialize, ToSchema)]
struct Replayed {
    /// The stage reports of the range, rebuilt from the case histories.
    reports: usize,
    /// How many the monitoring system took.
    posted: usize,
    /// Those it did not, by key, with the error.
    #[schema(value_type = Vec<Object>)]
    failed: Value,
}

/// Sends the stage feed of a date range to the monitoring system again, rebuilt from the
/// history with the same keys and sequence numbers; an administrator's, journalled
/// (`monitoring_replayed`).
#[utoipa::path(
    post,
    path = "/monitoring/replay",
    tag = "integrations",
    request_body = ReplayBody,
    responses(
        (status = 200, description = "Sent", body = Replayed),
        (status = 409, description = "No monitoring endpoint is configured", body = ErrorBody),
        (status = 422, description = "The body is wrong, or `to` is not after `from`", body = ErrorBody),
    ),
)]
async fn replay(
    State(s): State<Service>,
    source: Source,
    p: Principal,
    Body(body): Body<ReplayBody>,
) -> ApiResult<Json<Replayed>> {
    administrator(&p)?;
    if body.to <= body.from {
        return Err(ApiError::Invalid(
            "`to` must be after `from`".into(),
            json!([{ "field": "to", "message": "must be after `from`" }]),
        ));
    }
    let Some(feed) = &s.feed else {
        return Err(ApiError::Conflict(
            "no monitoring endpoint is configured (config/connectors.yaml, `monitoring`)".into(),
        ));
    };
    let events = crate::gateway::replay(&*s.ledger, body.from, body.to)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading the stage feed for a replay failed");
            ApiError::Internal
        })?;
    let range = format!("{}/{}", body.from.to_rfc3339(), body.to.to_rfc3339());
    s.engine
        .audit(
            record(p.login(), Action::MonitoringReplayed, &range, &source)
                .details(json!({ "reports": events.len() })),
        )
        .await?;
    let done = feed.resend(&events).await;
    Ok(Json(Replayed {
        reports: events.len(),
        posted: done.posted,
        failed: done
            .failed
            .iter()
            .map(|(k, e)| json!({ "key": k, "error": e }))
            .collect(),
    }))
}
