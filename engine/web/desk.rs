//! What comes from the citizen, registered at the desk: an objection to a provisional refusal
//! (written or oral) and any other message the case's definition declares, while the case
//! waits for it (`/case/{number}/messages/{name}`).
//!
//! The form has the message's declared fields (labels from the definition, else from this
//! part's text table) and the day it was received, when the message declares
//! `received_on` (a letter opened the next morning is registered as received the day
//! before). It delivers through [`api::messaging`] — the same roles, region, checks and audit
//! record as `POST /cases/{number}/messages` — but only while a step of the case waits for
//! the message: the API keeps an early message in the case's inbox, which a clerk at the
//! desk would take for registered and acted on, so the page refuses it and says why.

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
use crate::definition::model::{FieldDef, FormField, Text};
use crate::runtime::{CaseState, FieldError, Status, Waiting};
use crate::service::Service;

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

/// What the form is drawn with.
#[derive(Default)]
struct Sent {
    values: std::collections::HashMap<String, String>,
    errors: Vec<FieldError>,
}

/// `GET /case/{number}/messages/{name}`: the empty form, the day received today.
async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path((number, name)): Path<(String, String)>,
) -> PageResult {
    let case = case_for(&service, &p, &number, &ctx).await?;
    let mut sent = Sent::default();
    sent.values
        .insert(RECEIVED_ON.into(), view::day(today(&service)));
    page(&service, &ctx, &p, &case, &name, &sent)
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
    let case = case_for(&service, &p, &number, &ctx).await?;
    let Some(fields) = declaration(&service, &case, &name) else {
        return Err(ApiError::NotFound(format!("message {name}")).into());
    };
    // Read as a task's form is (a scan stored by its hash, a date typed dd.mm.yyyy); a field
    // left blank is one not given.
    let specs: Vec<FormField> = fields.keys().map(|f| spec(f)).collect();
    let (values, data) = form.of(&specs);
    let mut sent = Sent {
        values,
        errors: form.refusals(),
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
    if !waited_for(&case).contains(&name.as_str()) || !sent.errors.is_empty() {
        return page(&service, &ctx, &p, &case, &name, &sent);
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
            // The case took the message: its scans are linked to it and journalled. A
            // failure here is the uploads' to log; the message stands.
            let linked = crate::uploads::linking(
                &service.engine,
                p.login(),
                &number,
                scans,
                ctx.source.0.as_deref(),
            );
            if let Err(e) = linked.await {
                tracing::error!(error = %e, "a message's scans were not linked to their case");
            }
            Ok(Redirect::to(&format!("/case/{number}")).into_response())
        }
        Err(Completion::Rejected(errors)) => {
            // The runtime names a field `payload.<field>`; the form names it `<field>`.
            sent.errors = errors
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
            page(&service, &ctx, &p, &case, &name, &sent)
        }
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

/// The case, as `p` may register a message of it: the region checked and the opening
/// journalled by [`api::opening`], the role by the same list as [`api::messaging`].
async fn case_for(
    service: &Service,
    p: &Principal,
    number: &str,
    ctx: &Ctx,
) -> Result<CaseState, super::WebError> {
    p.require(&api::MESSAGE_ROLES).map_err(|e| e.on(number))?;
    let view = api::opening(&service.engine, p, number, &ctx.source).await?;
    Ok(view.case)
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
    case: &CaseState,
    name: &str,
    sent: &Sent,
) -> PageResult {
    let lang = ctx.lang;
    let Some(declared) = declaration(service, case, name) else {
        return Err(ApiError::NotFound(format!("message {name}")).into());
    };
    let waiting = waited_for(case).contains(&name);
    let status = if !waiting {
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
    let shared = service.engine.shared();
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
                "title": title(name, lang),
                "number": case.number,
                "service": service_title,
                "name": name,
                "waiting": waiting,
                "fields": fields,
                "has_errors": !sent.errors.is_empty(),
                "csrf": csrf(p),
            }),
        )
        .into_response())
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
