//! The mass-events page, `/mass-events`: a methodologist or an administrator enters one life
//! event for every active case of a service (a mass increase), and follows its run.
//!
//! Three steps, without script: choose the service's event (`GET /mass-events?event=S/E`
//! shows the message's fields, labelled in the clerk's language, dates as dd.mm.yyyy); check
//! (`POST /mass-events/confirm`: the mistakes beside their fields, or how many cases it will
//! touch and a button to start it); start (`POST /mass-events`, through
//! [`crate::api::mass_events::entering`], as `POST /services/{service}/events/{event}`). The
//! list below shows each mass event's counts and a bar, and refreshes itself while one runs.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::fields::{form_input, plain};
use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, csrf, view};
use crate::api::auth::Principal;
use crate::api::mass_events::{MASS_EVENT_ROLES, entering, listing};
use crate::api::{ApiError, Completion};
use crate::definition::model::FormField;
use crate::mass_event;
use crate::runtime::FieldError;
use crate::service::Service;
use crate::store::mass_events::MassEvent;
use crate::worker::Shared;

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new()
        .route("/mass-events", get(page).post(start))
        .route("/mass-events/confirm", post(confirm))
}

/// Seconds between the list's refreshes while a mass event runs.
const REFRESH_SECONDS: u32 = 5;

/// `GET /mass-events`: the choice of event, its form when one is chosen, and the list.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    p.require(&MASS_EVENT_ROLES)
        .map_err(|e| e.on("mass-events"))?;
    let chosen = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "event")
        .map(|(_, v)| v.into_owned());
    let form = match chosen.as_deref().and_then(|c| c.split_once('/')) {
        Some((s, e)) => form(service.engine.shared(), s, e, &Value::Null, &[], ctx.lang),
        None => Value::Null,
    };
    render(
        &service,
        &ctx,
        &p,
        StatusCode::OK,
        chosen.as_deref(),
        form,
        Value::Null,
    )
    .await
}

/// `POST /mass-events/confirm`: the form checked; its mistakes, or the confirmation.
pub async fn confirm(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    fields: Fields,
) -> PageResult {
    p.require(&MASS_EVENT_ROLES)
        .map_err(|e| e.on("mass-events"))?;
    let (svc, event) = (fields.text("service"), fields.text("event"));
    let chosen = format!("{svc}/{event}");
    let shared = service.engine.shared();
    let payload = payload_of(shared, &svc, &event, &fields);
    match mass_event::check(shared, &svc, &event, &payload) {
        Ok(checked) => {
            let total = mass_event::active_cases(&service.engine, &svc)
                .await
                .map_err(|e| ApiError::from(crate::worker::Error::from(store_error(e))))?;
            let lang = ctx.lang;
            let confirm = json!({
                "service": svc,
                "event": event,
                "title": event_title(shared, &svc, &event, lang),
                "payload": checked.payload.to_string(),
                "values": values(shared, &svc, &checked.message, &checked.payload, lang),
                "touch": text::fill(
                    text::get(lang, "mass_confirm_touch").unwrap_or_default(),
                    &[("n", &total.to_string())],
                ),
            });
            render(
                &service,
                &ctx,
                &p,
                StatusCode::OK,
                Some(&chosen),
                Value::Null,
                confirm,
            )
            .await
        }
        Err(mass_event::Error::Rejected(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError {
                    field: e
                        .field
                        .strip_prefix("payload.")
                        .unwrap_or(&e.field)
                        .to_string(),
                    message: e.message,
                })
                .collect();
            let form = form(shared, &svc, &event, &payload, &errors, ctx.lang);
            render(
                &service,
                &ctx,
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&chosen),
                form,
                Value::Null,
            )
            .await
        }
        Err(_) => Err(ApiError::NotFound(chosen).into()),
    }
}

/// `POST /mass-events`: the confirmed mass event entered, then the list.
pub async fn start(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    fields: Fields,
) -> PageResult {
    let (svc, event) = (fields.text("service"), fields.text("event"));
    let payload: Value = serde_json::from_str(&fields.text("payload")).unwrap_or(Value::Null);
    match entering(&service.engine, &p, &svc, &event, &payload, &ctx.source).await {
        Ok(_) => Ok(Redirect::to("/mass-events").into_response()),
        Err(Completion::Rejected(fields)) => Err(ApiError::Invalid(
            "the message has mistakes".into(),
            serde_json::to_value(fields).unwrap_or_default(),
        )
        .into()),
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

fn store_error(e: mass_event::Error) -> crate::store::Error {
    match e {
        mass_event::Error::Store(e) => e,
        other => crate::store::Error::Corrupt {
            what: "mass event",
            message: other.to_string(),
        },
    }
}

/// The page: the choice, the form or the confirmation, the list.
async fn render(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    status: StatusCode,
    chosen: Option<&str>,
    form: Value,
    confirm: Value,
) -> PageResult {
    let lang = ctx.lang;
    let shared = service.engine.shared();
    let events = listing(&service.engine, p).await?;
    let choices = choices(shared, chosen, lang);
    let running = events.iter().any(|e| e.finished_at.is_none());
    let rows: Vec<Value> = events.iter().map(|e| row(shared, e, lang)).collect();
    let mut response = ctx.page(
        status,
        Some(p),
        "mass_events",
        json!({
            "title": text::get(lang, "mass_title"),
            "csrf": csrf(p),
            "choices": choices,
            "form": form,
            "confirm": confirm,
            "events": rows,
            "refresh": running.then_some(REFRESH_SECONDS),
        }),
    );
    // Said twice: the page's `<meta http-equiv="refresh">` sits in its body (the layout's
    // head is shared), and the header is what every browser reads first.
    if running {
        response.headers_mut().insert(
            axum::http::HeaderName::from_static("refresh"),
            axum::http::HeaderValue::from(REFRESH_SECONDS),
        );
    }
    Ok(response)
}

/// Every (service, event) a mass event can start, for the choice.
fn choices(shared: &Shared, chosen: Option<&str>, lang: Lang) -> Vec<Value> {
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
        .collect();
    services.sort_by(|a, b| a.id.cmp(&b.id));
    services
        .into_iter()
        .flat_map(|d| {
            mass_event::events_of(shared, &d.id)
                .into_iter()
                .map(move |(event, _)| {
                    let value = format!("{}/{event}", d.id);
                    json!({
                        "value": value,
                        "label": format!("{} — {}", lang.pick(&d.title), event_title(shared, &d.id, &event, lang)),
                        "selected": Some(value.as_str()) == chosen,
                    })
                })
        })
        .collect()
}

/// An event's title in `lang`, or its name.
fn event_title(shared: &Shared, service: &str, event: &str, lang: Lang) -> String {
    shared
        .in_force(service, shared.clock.now())
        .ok()
        .and_then(|(d, _)| d.events.get(event))
        .and_then(|e| e.title.as_ref())
        .map_or_else(|| event.to_string(), |t| lang.pick(t).to_string())
}

/// The message's fields of `event`, drawn with `given` values and `errors` beside them.
fn form(
    shared: &Shared,
    service: &str,
    event: &str,
    given: &Value,
    errors: &[FieldError],
    lang: Lang,
) -> Value {
    let Ok((def, _)) = shared.in_force(service, shared.clock.now()) else {
        return Value::Null;
    };
    let Some(message) = mass_event::events_of(shared, service)
        .into_iter()
        .find(|(e, _)| e == event)
        .map(|(_, m)| m)
    else {
        return Value::Null;
    };
    let Some(declared) = def.messages.get(&message) else {
        return Value::Null;
    };
    let inputs: Vec<Value> = declared
        .iter()
        .map(|(name, decl)| {
            let field = FormField {
                field: name.clone(),
                required: true,
                for_outcomes: Vec::new(),
                required_when: None,
                must_be: None,
            };
            let value = given.get(name).map(plain).unwrap_or_default();
            form_input(&field, Some(decl), value, errors, lang)
        })
        .collect();
    json!({
        "service": service,
        "event": event,
        "title": event_title(shared, service, event, lang),
        "fields": inputs,
        "has_errors": !errors.is_empty(),
    })
}

/// The message's fields as the form sent them (a date typed dd.mm.yyyy made ISO); empty ones
/// left out.
fn payload_of(shared: &Shared, service: &str, event: &str, fields: &Fields) -> Value {
    let Ok((def, _)) = shared.in_force(service, shared.clock.now()) else {
        return Value::Null;
    };
    let Some((_, message)) = mass_event::events_of(shared, service)
        .into_iter()
        .find(|(e, _)| e == event)
    else {
        return Value::Null;
    };
    let Some(declared) = def.messages.get(&message) else {
        return Value::Null;
    };
    let form: Vec<FormField> = declared
        .keys()
        .map(|name| FormField {
            field: name.clone(),
            required: true,
            for_outcomes: Vec::new(),
            required_when: None,
            must_be: None,
        })
        .collect();
    let (_, data) = fields.of(&form);
    Value::Object(
        data.into_iter()
            .filter(|(_, v)| v.as_str().is_none_or(|s| !s.trim().is_empty()))
            .collect(),
    )
}

/// The checked values with their labels, for the confirmation and the list.
fn values(
    shared: &Shared,
    service: &str,
    message: &str,
    payload: &Value,
    lang: Lang,
) -> Vec<Value> {
    let declared = shared
        .in_force(service, shared.clock.now())
        .ok()
        .and_then(|(d, _)| d.messages.get(message).cloned())
        .unwrap_or_default();
    declared
        .iter()
        .filter_map(|(name, decl)| {
            let v = payload.get(name)?;
            let label = decl
                .label
                .as_ref()
                .map_or_else(|| name.clone(), |l| lang.pick(l).to_string());
            let shown = match (v.as_str(), &decl.ty) {
                (Some(s), crate::definition::expr::Type::Date) => {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_or_else(|_| s.to_string(), view::day)
                }
                // A rate as a person reads it here: `8,5`.
                (_, crate::definition::expr::Type::Decimal) => crate::money::decimal_from_json(v)
                    .map_or_else(|_| plain(v), crate::money::number_text),
                _ => plain(v),
            };
            Some(json!({ "label": label, "value": shown }))
        })
        .collect()
}

/// One mass event as the list shows it.
fn row(shared: &Shared, e: &MassEvent, lang: Lang) -> Value {
    let c = &e.counts;
    let done = c.done();
    let percent = (done.min(e.total) * 100)
        .checked_div(e.total)
        .map_or(100, |p| p as u32);
    json!({
        "id": e.id,
        "service": shared
            .library
            .definitions
            .iter()
            .find(|d| d.id == e.service)
            .map_or_else(|| e.service.clone(), |d| lang.pick(&d.title).to_string()),
        "event": event_title(shared, &e.service, &e.event, lang),
        // What was entered (the act, its date, the rule): which law this run is.
        "values": values(shared, &e.service, &e.message, &e.payload, lang),
        "by": e.created_by,
        "at": view::when(e.created_at),
        "done": done,
        "total": e.total,
        "percent": percent,
        "started": c.started,
        "kept": c.kept,
        "duplicate": c.duplicate,
        "not_now": c.not_now,
        "failed": c.failed,
        "failures": e.failures.iter().map(|f| json!({ "number": f.number, "error": f.error })).collect::<Vec<_>>(),
        "finished": e.finished_at.map(view::when),
    })
}
