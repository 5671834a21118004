//! Mass events: one life event for every active case of a service (issue #16 item 3).
//!
//! - `POST /services/{service}/events/{event}`: a methodologist or an administrator enters
//!   the event's message once (an increase: the act, its date, the percent); it is checked
//!   against the message's fields of the version in force today, recorded with the number of
//!   cases it will touch, journalled (`mass_event_started`), and run in the background
//!   ([`crate::mass_event`]). 202 with the mass event.
//! - `GET /services/{service}/events/mass/{id}`: its progress — the cursor, the counts, the
//!   first failures, and when it finished.
//!
//! The `/mass-events` page enters and follows them through the same functions
//! ([`entering`], [`progress`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, Body, Completion, ErrorBody, Source, record};
use crate::accounts::Role;
use crate::audit::Action;
use crate::mass_event::{self, Error};
use crate::store::mass_events::MassEvent;
use crate::worker::Engine;

/// Who enters a mass event: what a law changes for every case is the methodologist's to
/// enter, or the administrator's.
pub const MASS_EVENT_ROLES: [Role; 2] = [Role::Methodologist, Role::Administrator];

/// The mass-event endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(show))
}

/// A mass event as entered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// The fields of the message that starts the event, as the service declares them
    /// (`{"act": "…", "from": "2027-01-01", "percent": 8.5}`): each of its type, the event's
    /// `once_per` key among them.
    #[schema(value_type = Object)]
    payload: Value,
}

/// Enters life event `event` for every active case of `service`; a methodologist's or an
/// administrator's. The payload is checked against the event's message in the version of the
/// service in force today, each mistake named by its place (`payload.<field>`). The mass event
/// is recorded with the number of active cases (`total`), journalled (`mass_event_started`)
/// and run in the background, a batch at a time: each case takes the message as one posted to
/// it would be taken, once per the event's `once_per` key — entering the same act again adds
/// nothing, and a run resumed after a crash does nothing twice.
#[utoipa::path(
    post,
    path = "/services/{service}/events/{event}",
    tag = "cases",
    params(
        ("service" = String, Path, description = "The service's id"),
        ("event" = String, Path, description = "The life event, one the service starts by a message, with a `once_per` key (`increase`)"),
    ),
    request_body = StartBody,
    responses(
        (status = 202, description = "Entered: it runs in the background; follow it at `GET /services/{service}/events/mass/{id}`", body = MassEvent),
        (status = 404, description = "No version of the service is in force, or it has no such life event started by a message", body = ErrorBody),
        (status = 422, description = "The body is wrong, the payload has mistakes (`fields`: `payload.<field>` each — unknown, missing, not of its type), or the event has no `once_per` key", body = ErrorBody),
    ),
)]
async fn start(
    State(engine): State<Engine>,
    Path((service, event)): Path<(String, String)>,
    source: Source,
    p: Principal,
    Body(body): Body<StartBody>,
) -> ApiResult<(StatusCode, Json<MassEvent>)> {
    match entering(&engine, &p, &service, &event, &body.payload, &source).await {
        Ok(created) => Ok((StatusCode::ACCEPTED, Json(created))),
        Err(Completion::Rejected(fields)) => Err(ApiError::Invalid(
            "the message has mistakes".into(),
            serde_json::to_value(fields).unwrap_or_default(),
        )),
        Err(Completion::Refused(e)) => Err(e),
    }
}

/// A mass event's progress: the cases touched so far out of `total`, what became of them
/// (`started`, `kept` while a case was busy, `duplicate` — had it already —, `not_now`,
/// `failed`, the first 100 failures with their errors), and `finished_at` once it is over.
#[utoipa::path(
    get,
    path = "/services/{service}/events/mass/{id}",
    tag = "cases",
    params(
        ("service" = String, Path, description = "The service's id"),
        ("id" = i64, Path, description = "The mass event's id"),
    ),
    responses(
        (status = 200, description = "The mass event", body = MassEvent),
        (status = 404, description = "No such mass event of this service", body = ErrorBody),
    ),
)]
async fn show(
    State(engine): State<Engine>,
    p: Principal,
    Path((service, id)): Path<(String, String)>,
) -> ApiResult<Json<MassEvent>> {
    let Ok(id) = id.parse::<i64>() else {
        p.require(&MASS_EVENT_ROLES)?;
        return Err(ApiError::NotFound(format!("mass event {id} of {service}")));
    };
    let found = progress(&engine, &p, id).await?;
    if found.service != service {
        return Err(ApiError::NotFound(format!("mass event {id} of {service}")));
    }
    Ok(Json(found))
}

/// `p` enters life event `event` for every active case of `service`: refused without the
/// role ([`MASS_EVENT_ROLES`]), the payload's mistakes by field, recorded and journalled
/// together. What `POST /services/{service}/events/{event}` and the page do.
pub async fn entering(
    engine: &Engine,
    p: &Principal,
    service: &str,
    event: &str,
    payload: &Value,
    source: &Source,
) -> Result<MassEvent, Completion> {
    p.require(&MASS_EVENT_ROLES)
        .map_err(|e| Completion::Refused(e.on(&format!("{service}/{event}"))))?;
    let checked = mass_event::check(engine.shared(), service, event, payload).map_err(refusal)?;
    let entry = record(
        p.login(),
        Action::MassEventStarted,
        &format!("{service}/{event}"),
        source,
    );
    mass_event::create(engine, checked, p.login(), Some(entry))
        .await
        .map_err(refusal)
}

/// Mass event `id`, for `p` (a methodologist or an administrator).
pub async fn progress(engine: &Engine, p: &Principal, id: i64) -> ApiResult<MassEvent> {
    p.require(&MASS_EVENT_ROLES)
        .map_err(|e| e.on(&format!("mass-event/{id}")))?;
    mass_event::get(engine, id)
        .await
        .map_err(|e| Completion::into(refusal(e)))
}

/// The latest mass events, for `p`.
pub async fn listing(engine: &Engine, p: &Principal) -> ApiResult<Vec<MassEvent>> {
    p.require(&MASS_EVENT_ROLES)?;
    mass_event::list(engine)
        .await
        .map_err(|e| Completion::into(refusal(e)))
}

/// A mass event's refusal as the API says it.
fn refusal(e: Error) -> Completion {
    match e {
        Error::Rejected(fields) => Completion::Rejected(fields),
        Error::NoService(service) => Completion::Refused(ApiError::NotFound(format!(
            "no version of service `{service}` is in force"
        ))),
        e @ Error::NoEvent { .. } => Completion::Refused(ApiError::NotFound(e.to_string())),
        e @ Error::NoKey(_) => Completion::Refused(ApiError::Invalid(
            e.to_string(),
            json!([{ "field": "event", "message": e.to_string() }]),
        )),
        Error::NotFound(id) => Completion::Refused(ApiError::NotFound(format!("mass event {id}"))),
        Error::Engine(e) => Completion::Refused(e.into()),
        Error::Store(e) => Completion::Refused(crate::worker::Error::from(e).into()),
    }
}
