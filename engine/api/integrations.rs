//! The endpoints other systems call, and the operator's view of them:
//!
//! - `GET /metrics`: the Prometheus text (requests per connector, latency, failures, open
//!   circuit breakers, outbox depth, open incidents, cases per service and state);
//! - `POST /gateway/answers`: the gateway's asynchronous channel delivers an answer (a SOAP
//!   `SendMessage` body); it becomes a message to the case whose request it answers;
//! - `POST /notify/sms/status`: an SMS aggregator's delivery report; it becomes a line in
//!   the case history;
//! - `POST /monitoring/replay`: the stage feed for a date range sent again, from the history.
//!
//! The request bodies other systems send are theirs to shape, so mistakes come back in the
//! API's error shape with the reason, and a body that names no case we know is a 404, not
//! a 500.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::{ApiError, ApiResult, Body};
use crate::accounts::Role;
use crate::runtime::Actor;
use crate::service::Service;
use crate::worker::{self, writer::Note};

/// The integration endpoints over a running service.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/gateway/answers", post(gateway_answer))
        .route("/notify/sms/status", post(sms_status))
        .route("/monitoring/replay", post(replay))
        .with_state(service)
}

async fn metrics(State(s): State<Service>, p: Principal) -> ApiResult<impl IntoResponse> {
    p.require(&[Role::Administrator])?;
    let text = s.metrics.render(&*s.ledger).await;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}

/// Other systems call these with their token; a person's session may not.
fn system(p: &Principal) -> Result<(), ApiError> {
    if p.session.is_some() {
        return Err(ApiError::Forbidden(
            "this endpoint is for systems, with an API token".into(),
        ));
    }
    Ok(())
}

async fn gateway_answer(
    State(s): State<Service>,
    p: Principal,
    body: String,
) -> ApiResult<StatusCode> {
    system(&p)?;
    let answer = s
        .gateway
        .async_answer(&body)
        .map_err(|e| ApiError::Invalid(e.to_string(), Value::Null))?;
    s.engine
        .answer(
            &answer.correlation_id,
            &answer.message,
            answer.payload,
            Actor::System(answer.connector),
        )
        .await
        .map_err(not_ours)?;
    Ok(StatusCode::ACCEPTED)
}

async fn sms_status(State(s): State<Service>, Body(body): Body<Value>) -> ApiResult<StatusCode> {
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
    s.engine
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

async fn replay(State(s): State<Service>, Body(body): Body<ReplayBody>) -> ApiResult<Json<Value>> {
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
    let done = feed.resend(&events).await;
    Ok(Json(json!({
        "reports": events.len(),
        "posted": done.posted,
        "failed": done.failed.iter().map(|(k, e)| json!({ "key": k, "error": e })).collect::<Vec<_>>(),
    })))
}

/// An answer for a case that does not exist or no longer waits is the sender's problem,
/// said plainly.
fn not_ours(e: worker::Error) -> ApiError {
    match e {
        worker::Error::NotFound(m) => ApiError::NotFound(m),
        other => ApiError::from(other),
    }
}
