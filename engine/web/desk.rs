//! What comes from the citizen, registered at the desk: an objection to a provisional refusal
//! (written or oral) and any other message the case's definition declares, while the case
//! waits for it (`/case/{number}/messages/{name}`); and, on the same page, the message that
//! starts a life event of a living case (an increase, a suspension of a payment), which a
//! clerk of one of the event's `by:` roles registers from the case page.
//!
//! The form has the message's declared fields (labels from the definition, else from this
//! part's text table) and the day it was received, when the message declares
//! `received_on` (a letter opened the next morning is registered as received the day
//! before). It delivers through [`api::messaging`] — the same roles, region, checks and audit
//! record as `POST /cases/{number}/messages` — but only while a step of the case waits for
//! the message: the API keeps an early message in the case's inbox, which a clerk at the
//! desk would take for registered and acted on, so the page refuses it and says why.
//!
//! A life event's message is the clerk's own act (`Actor::Clerk`), delivered through
//! [`api::starting_event`]: the event's roles instead of the message roles, journalled as
//! `message_delivered` with the event's name. The form is offered while the event may start
//! (the case is at one of its holds) or while the case is busy with another event (it then
//! waits and starts when the case is back at a hold, and the page says so); a case at another
//! hold, or not yet held, is told in words, and so is a key the case took already
//! (`once_per`): nothing is registered, and the page is not an error page.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::NaiveDate;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::fields::form_input;
use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, csrf, view};
use crate::api::{self, ApiError, Completion, auth::Principal};
use crate::definition::expr::Type;
use crate::definition::model::{Definition, FieldDef, FormField, LifeEvent, Text};
use crate::runtime::{CaseState, FieldError, HistoryEntry, Status, Waiting, life};
use crate::service::Service;
use crate::worker::CaseView;

/// The field of a message that says when it was received, filled from the page's date.
const RECEIVED_ON: &str = "received_on";

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new().route("/case/{number}/messages/{name}", get(form).post(register))
}

/// The messages `case` waits for now that `p` may register: each with its title in `lang`
/// and the page's address, for the case page's links. Empty for a closed case, a clerk of
/// another role, or a case that waits for none.
pub fn offers(service: &Service, p: &Principal, case: &CaseState, lang: Lang) -> Vec<Value> {
    if !may_register(p, case) {
        return Vec::new();
    }
    waited_for(case)
        .into_iter()
        .filter(|name| declaration(service, case, name).is_some())
        .map(|name| {
            json!({
                "name": name,
                "title": title(name, lang),
                "href": format!("/case/{}/messages/{name}", case.number),
            })
        })
        .collect()
}

/// Whether `p` is of a role that registers messages, in the case's region.
fn may_register(p: &Principal, case: &CaseState) -> bool {
    case.status == Status::Active
        && api::MESSAGE_ROLES.iter().any(|r| p.account.has_role(*r))
        && p.account.covers_region(&case.region)
}

/// The names of the messages a step of `case` waits for now, each once.
fn waited_for(case: &CaseState) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for t in &case.tokens {
        if let Waiting::Message { name, .. } = &t.waiting
            && !names.contains(&name.as_str())
        {
            names.push(name);
        }
    }
    names
}

/// The fields message `name` is declared with, in the case's definition or a sub-workflow.
fn declaration<'s>(
    service: &'s Service,
    case: &CaseState,
    name: &str,
) -> Option<&'s IndexMap<String, FieldDef>> {
    let shared = service.engine.shared();
    let (def, _) = shared.pinned(&case.service, &case.version).ok()?;
    def.messages.get(name).or_else(|| {
        shared
            .subworkflows
            .values()
            .find_map(|s| s.messages.get(name))
    })
}

/// A message's title: this part's text, else its name.
fn title(name: &str, lang: Lang) -> String {
    text::or(lang, &format!("desk_message_{name}"), name)
}

/// The life event message `name` starts in `case`'s definition, when a clerk may start it
/// from the case page (its `by:` names roles).
fn event_of<'s>(service: &'s Service, case: &CaseState, name: &str) -> Option<&'s LifeEvent> {
    let shared = service.engine.shared();
    let (def, _) = shared.pinned(&case.service, &case.version).ok()?;
    def.event_for_message(name).filter(|e| !e.by.is_empty())
}

/// An event's title in `lang`, else its name.
fn event_title(event: &LifeEvent, lang: Lang) -> String {
    event.title.as_ref().map_or_else(
        || event.name.replace('_', " "),
        |t| lang.pick(t).to_string(),
    )
}

/// Why a life event's message was not registered, for the page to say.
enum Refusal {
    /// The case cannot take it where it is now.
    NotNow,
    /// The case took the event under this key already.
    Taken(String),
}

/// What the form is drawn with.
#[derive(Default)]
struct Sent {
    values: std::collections::HashMap<String, String>,
    errors: Vec<FieldError>,
    /// A life event's message refused as a whole.
    refusal: Option<Refusal>,
}

/// `GET /case/{number}/messages/{name}`: the empty form, the day received today.
async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path((number, name)): Path<(String, String)>,
) -> PageResult {
    let view = case_for(&service, &p, &number, &name, &ctx).await?;
    let mut sent = Sent::default();
    sent.values
        .insert(RECEIVED_ON.into(), view::day(today(&service)));
    page(&service, &ctx, &p, &view, &name, &sent)
}

/// `POST /case/{number}/messages/{name}`: registers the message and goes back to the case;
/// or shows the form again with what was typed and each mistake beside its field; or, when
/// the case no longer waits for it, says so and registers nothing.
async fn register(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path((number, name)): Path<(String, String)>,
    form: Fields,
) -> PageResult {
    let view = case_for(&service, &p, &number, &name, &ctx).await?;
    let case = &view.case;
    let Some(fields) = declaration(&service, case, &name) else {
        return Err(ApiError::NotFound(format!("message {name}")).into());
    };
    // Read as a task's form is (a scan stored by its hash, a date typed dd.mm.yyyy); a field
    // left blank is one not given.
    let specs: Vec<FormField> = fields.keys().map(|f| spec(f)).collect();
    let (values, data) = form.of(&specs);
    let mut sent = Sent {
        values,
        errors: form.refusals(),
        refusal: None,
    };
    // A scan sent with the message is kept with it, by its link, as a task's are.
    let scans: Vec<(String, crate::uploads::Stored)> = form
        .stored()
        .filter(|(field, _)| fields.contains_key(*field))
        .map(|(field, stored)| (field.to_string(), stored.clone()))
        .collect();
    let mut payload = Map::new();
    for (field, stored) in &scans {
        payload.insert(
            field.clone(),
            super::uploads::document_value(stored, Some(&number)),
        );
    }
    for (field, value) in data {
        if payload.contains_key(&field) {
            continue;
        }
        if value.as_str().is_some_and(|v| v.trim().is_empty()) {
            continue;
        }
        if field == RECEIVED_ON {
            let typed = value.as_str().unwrap_or_default();
            match received_on(typed, today(&service)) {
                Some(date) => {
                    payload.insert(field, Value::from(date.to_string()));
                }
                None => sent.errors.push(FieldError {
                    field,
                    message: DATE_MISTAKE.into(),
                }),
            }
            continue;
        }
        payload.insert(field, value);
    }
    if let Some(event) = event_of(&service, case, &name) {
        if !sent.errors.is_empty() || !event_may_come(&service, case, event) {
            return page(&service, &ctx, &p, &view, &name, &sent);
        }
        let started = api::starting_event(
            &service.engine,
            &p,
            &number,
            &name,
            Value::Object(payload),
            &ctx.source,
        )
        .await;
        return match started {
            Ok(()) => {
                link_scans(&service, &p, &number, scans, &ctx).await;
                Ok(Redirect::to(&format!("/case/{number}")).into_response())
            }
            Err(api::EventRefusal::Rejected(errors)) => {
                sent.errors = by_field(errors);
                page(&service, &ctx, &p, &view, &name, &sent)
            }
            Err(api::EventRefusal::NotNow(why)) => {
                // The case moved since the form was drawn: said from where it is now.
                tracing::debug!(%why, "a life event refused where the case is");
                sent.refusal = Some(Refusal::NotNow);
                let now = case_for(&service, &p, &number, &name, &ctx).await?;
                page(&service, &ctx, &p, &now, &name, &sent)
            }
            Err(api::EventRefusal::Taken(key)) => {
                sent.refusal = Some(Refusal::Taken(key));
                page(&service, &ctx, &p, &view, &name, &sent)
            }
            Err(api::EventRefusal::Refused(e)) => Err(e.into()),
        };
    }
    if !waited_for(case).contains(&name.as_str()) || !sent.errors.is_empty() {
        return page(&service, &ctx, &p, &view, &name, &sent);
    }
    let delivered = api::messaging(
        &service.engine,
        &p,
        &number,
        &name,
        Value::Object(payload),
        &ctx.source,
    )
    .await;
    match delivered {
        Ok(()) => {
            link_scans(&service, &p, &number, scans, &ctx).await;
            Ok(Redirect::to(&format!("/case/{number}")).into_response())
        }
        Err(Completion::Rejected(errors)) => {
            sent.errors = by_field(errors);
            page(&service, &ctx, &p, &view, &name, &sent)
        }
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

/// The case took the message: its scans are linked to it and journalled. A failure here is
/// the uploads' to log; the message stands.
async fn link_scans(
    service: &Service,
    p: &Principal,
    number: &str,
    scans: Vec<(String, crate::uploads::Stored)>,
    ctx: &Ctx,
) {
    let linked = crate::uploads::linking(
        &service.engine,
        p.login(),
        number,
        scans,
        ctx.source.0.as_deref(),
    );
    if let Err(e) = linked.await {
        tracing::error!(error = %e, "a message's scans were not linked to their case");
    }
}

/// The runtime's mistakes of a message by the form's names: the runtime names a field
/// `payload.<field>`, the form `<field>`.
fn by_field(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError {
            field: e
                .field
                .strip_prefix("payload.")
                .unwrap_or(&e.field)
                .to_string(),
            message: e.message,
        })
        .collect()
}

/// Whether `event`'s message may come now: the case is at one of its holds, or busy with
/// another event (the message then waits for the case to come back to a hold).
fn event_may_come(service: &Service, case: &CaseState, event: &LifeEvent) -> bool {
    let Ok((def, _)) = service.engine.shared().pinned(&case.service, &case.version) else {
        return false;
    };
    !case.is_closed()
        && (life::events_open(def, case)
            .iter()
            .any(|e| e.name == event.name)
            || busy(def, case))
}

/// Whether a living case is inside an event's steps (held before, not at a hold now).
fn busy(def: &Definition, case: &CaseState) -> bool {
    !case.is_closed() && case.held_since.is_some() && life::holding(def, case).is_none()
}

/// The case, as `p` may register message `name` of it: the region checked and the opening
/// journalled by [`api::opening`], the role by the same list as [`api::messaging`] — or, for
/// a life event's message, as [`api::starting_event`]: one of the event's `by:` roles.
async fn case_for(
    service: &Service,
    p: &Principal,
    number: &str,
    name: &str,
    ctx: &Ctx,
) -> Result<CaseView, super::WebError> {
    let stored = service
        .engine
        .store()
        .case_by_number(number)
        .await
        .map_err(crate::worker::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    match event_of(service, &stored, name) {
        Some(event) => {
            let roles: Vec<crate::accounts::Role> =
                event.by.iter().filter_map(|r| r.parse().ok()).collect();
            p.require(&roles).map_err(|e| e.on(number))?;
        }
        None => p.require(&api::MESSAGE_ROLES).map_err(|e| e.on(number))?,
    }
    Ok(api::opening(&service.engine, p, number, true, &ctx.source).await?)
}

/// Today in Almaty, by the engine's clock.
fn today(service: &Service) -> NaiveDate {
    view::almaty_date(service.engine.shared().clock.now())
}

/// The mistake of a day received that is not a date, or is after today.
const DATE_MISTAKE: &str = "must be a date, DD.MM.YYYY, not after today";

/// The day received as typed (`dd.mm.yyyy`, or `yyyy-mm-dd` as a browser's date input sends
/// it), if it is a date no later than `today`.
fn received_on(typed: &str, today: NaiveDate) -> Option<NaiveDate> {
    let typed = typed.trim();
    let date = NaiveDate::parse_from_str(typed, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(typed, "%Y-%m-%d"))
        .ok()?;
    (date <= today).then_some(date)
}

fn page(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    view: &CaseView,
    name: &str,
    sent: &Sent,
) -> PageResult {
    let (case, history) = (&view.case, &view.history[..]);
    let lang = ctx.lang;
    let Some(declared) = declaration(service, case, name) else {
        return Err(ApiError::NotFound(format!("message {name}")).into());
    };
    let shared = service.engine.shared();
    let def = shared
        .pinned(&case.service, &case.version)
        .ok()
        .map(|(d, _)| d);
    let event = event_of(service, case, name);
    let t = |key: &str| text::get(lang, key).unwrap_or_default().to_string();
    // What the page says: a waited-for message's words, or a life event's.
    let (title, intro, submit, waiting, not_waiting, notice) = match (event, def) {
        (Some(event), Some(def)) => {
            let open = event_may_come(service, case, event)
                && !matches!(sent.refusal, Some(Refusal::NotNow));
            let notice = (open && busy(def, case)).then(|| {
                text::fill(
                    &t("desk_event_busy"),
                    &[("event", &running(def, history, lang))],
                )
            });
            (
                event_title(event, lang),
                t("desk_event_intro"),
                t("desk_event_start"),
                open,
                not_now(def, case, event, lang),
                notice,
            )
        }
        _ => (
            title(name, lang),
            t("desk_message_intro"),
            t("desk_register"),
            waited_for(case).contains(&name),
            t("desk_not_waiting"),
            None,
        ),
    };
    let refusal = match (&sent.refusal, event) {
        (Some(Refusal::Taken(key)), Some(event)) => Some(text::fill(
            &t("desk_event_taken"),
            &[("event", &event_title(event, lang)), ("key", key)],
        )),
        _ => None,
    };
    let status = if !waiting || refusal.is_some() {
        StatusCode::CONFLICT
    } else if sent.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let fields: Vec<Value> = declared
        .iter()
        .map(|(field, decl)| field_view(field, decl, sent, lang))
        .collect();
    let service_title = shared
        .pinned(&case.service, &case.version)
        .map(|(def, _)| lang.pick(&def.title).to_string())
        .unwrap_or_else(|_| case.service.clone());
    Ok(ctx
        .page(
            status,
            Some(p),
            "desk",
            json!({
                "title": title,
                "number": case.number,
                "service": service_title,
                "name": name,
                "waiting": waiting,
                "intro": intro,
                "submit": submit,
                "not_waiting": not_waiting,
                "notice": notice,
                "refusal": refusal,
                "fields": fields,
                "has_errors": !sent.errors.is_empty(),
                "csrf": csrf(p),
            }),
        )
        .into_response())
}

/// The title of the event a busy case is in: the last one started.
fn running(def: &Definition, history: &[HistoryEntry], lang: Lang) -> String {
    history
        .iter()
        .rev()
        .find(|h| h.kind == "event_started")
        .and_then(|h| h.detail.get("event").and_then(Value::as_str))
        .map(|name| match def.events.get(name) {
            Some(e) => event_title(e, lang),
            None => name.to_string(),
        })
        .unwrap_or_default()
}

/// Why a life event cannot start now, in words: the case has ended, has not held yet, or is
/// at a hold the event does not start from (naming the hold and the event's).
fn not_now(def: &Definition, case: &CaseState, event: &LifeEvent, lang: Lang) -> String {
    let t = |key: &str| text::get(lang, key).unwrap_or_default().to_string();
    let hold_title = |id| crate::definition::graph::title(def.step(id), lang.definition());
    if case.is_closed() {
        return t("desk_event_closed");
    }
    match life::holding(def, case) {
        Some((_, at)) => {
            let during: Vec<String> = event
                .during
                .iter()
                .map(|id| format!("«{}»", hold_title(*id)))
                .collect();
            text::fill(
                &t("desk_event_not_now"),
                &[
                    ("state", &hold_title(at)),
                    ("event", &event_title(event, lang)),
                    ("during", &during.join(", ")),
                ],
            )
        }
        None => t("desk_event_not_yet"),
    }
}

/// One input of the message's form: the shared field drawing, with this part's label when
/// the definition gives none, and the day received as text typed `dd.mm.yyyy`.
fn field_view(field: &str, decl: &FieldDef, sent: &Sent, lang: Lang) -> Value {
    let mut decl = decl.clone();
    if decl.label.is_none()
        && let (Some(kk), Some(ru)) = (
            text::get(Lang::Kk, &format!("desk_field_{field}")),
            text::get(Lang::Ru, &format!("desk_field_{field}")),
        )
    {
        decl.label = Some(Text {
            kk: kk.to_string(),
            ru: ru.to_string(),
        });
    }
    let is_date = field == RECEIVED_ON;
    if is_date {
        // Typed as dd.mm.yyyy whatever the browser's locale: a text input, read here.
        decl.ty = Type::String;
    }
    let value = sent.values.get(field).cloned().unwrap_or_default();
    let mut drawn = form_input(&spec(field), Some(&decl), value, &[], lang);
    if let Some(e) = sent.errors.iter().find(|e| e.field == field) {
        drawn["error"] = json!(mistake(&decl, field, &e.message, lang));
    }
    drawn
}

/// A message's field as a form's: optional here, the runtime's check says what is required.
fn spec(field: &str) -> FormField {
    FormField {
        field: field.to_string(),
        required: false,
        for_outcomes: Vec::new(),
        required_when: None,
        must_be: None,
    }
}

/// A mistake of the message's form in the clerk's language.
fn mistake(decl: &FieldDef, field: &str, message: &str, lang: Lang) -> String {
    let t = |key: &str| text::get(lang, key).unwrap_or_default().to_string();
    if field == RECEIVED_ON || message == DATE_MISTAKE {
        return t("desk_err_date");
    }
    if message.starts_with("required") {
        return t("err_required");
    }
    t(match decl.ty {
        Type::Enum(_) => "err_enum",
        Type::Date => "err_date",
        _ => "err_other",
    })
}
