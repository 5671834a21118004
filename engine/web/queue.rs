//! "My queue" and a task's form: the tasks of the clerk's roles and region, most urgent
//! first, and the form of one, completed with one of its outcomes. The same rules as
//! `GET /tasks`, `POST /tasks/{key}/claim` and `…/complete` ([`crate::api::queue`],
//! [`crate::api::claiming`], [`crate::api::completing`]).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, WebError, csrf, view};
use crate::api::{self, ApiError, Completion, auth::Principal};
use crate::definition::expr::Type;
use crate::definition::model::{Definition, FieldDef, FormField, StepKind, Task};
use crate::runtime::{CaseState, FieldError};
use crate::service::Service;
use crate::store::TaskRow;
use crate::store::TaskStatus;
use crate::worker;

/// `GET /queue`: the clerk's queue, most urgent first.
pub async fn list(State(service): State<Service>, ctx: Ctx, Clerk(p): Clerk) -> PageResult {
    let engine = &service.engine;
    // The whole queue on one page, as far as a page of the API goes.
    let query = api::QueueQuery {
        limit: api::MAX_LIMIT,
        ..api::QueueQuery::default()
    };
    let rows = api::queue(engine, &p, &query).await?.tasks;
    let shared = engine.shared();
    let now = shared.clock.now();
    let today = view::almaty_date(now);
    let mut cases: HashMap<String, Option<CaseState>> = HashMap::new();
    let mut items = Vec::new();
    for row in rows {
        if !cases.contains_key(&row.number) {
            let case = engine
                .store()
                .case_by_number(&row.number)
                .await
                .map_err(worker::Error::from)?;
            cases.insert(row.number.clone(), case);
        }
        let case = cases.get(&row.number).and_then(Option::as_ref);
        let pinned = case.and_then(|c| shared.pinned(&c.service, &c.version).ok());
        let (step, service_title) = match pinned {
            Some((def, _)) => (
                view::step_title(shared, def, &row.step, ctx.lang),
                ctx.lang.pick(&def.title).to_string(),
            ),
            None => (row.step.clone(), String::new()),
        };
        // Working days from today to the due day, by the case's own calendar: what a clerk
        // plans by. A date the calendar does not cover shows no count rather than a guess.
        let days_left = match (row.due_at, pinned) {
            (Some(due), Some((_, calendar))) => calendar
                .working_days_between(today, view::almaty_date(due))
                .ok()
                .map(|d| d.max(0)),
            _ => None,
        };
        let overdue = row.due_at.is_some_and(|due| due < now);
        items.push(json!({
            "key": row.key,
            "number": row.number,
            "step": step,
            "service": service_title,
            "due": row.due_at.map(view::when),
            "days_left": days_left,
            "overdue": overdue,
            "assignee": row.assignee,
            "claimable": row.status == TaskStatus::Open,
            "mine": row.assignee.as_deref() == Some(p.login()),
        }));
    }
    // The applications this clerk files from the pages (a head of department's access
    // request), offered beside the queue.
    let fileable: Vec<Value> = api::fileable(engine, &p)
        .into_iter()
        .map(|d| json!({ "id": d.id, "title": ctx.lang.pick(&d.title) }))
        .collect();
    Ok(ctx.page(
        StatusCode::OK,
        Some(&p),
        "queue",
        json!({
            "title": text::get(ctx.lang, "queue_title"),
            "tasks": items,
            "fileable": fileable,
        }),
    ))
}

/// What the form is drawn with: the values sent and the mistakes found, when it comes back.
#[derive(Default)]
struct Sent {
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
}

/// `GET /queue/{key}`: a task's form, for a clerk of its role and region.
pub async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
) -> PageResult {
    let task = api::task_for(&service.engine, &p, &key).await?;
    task_page(&service, &ctx, &p, &task, &Sent::default(), StatusCode::OK).await
}

/// The case, the definition and the task step of a task row.
async fn task_step<'s>(
    service: &'s Service,
    row: &TaskRow,
) -> Result<(CaseState, &'s Definition, &'s Task), WebError> {
    let engine = &service.engine;
    let case = engine
        .store()
        .case_by_number(&row.number)
        .await
        .map_err(worker::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("case {}", row.number)))?;
    let shared = engine.shared();
    let (def, _) = shared.pinned(&case.service, &case.version)?;
    let Some((
        sub,
        crate::definition::model::Step {
            kind: StepKind::Task(task),
            ..
        },
    )) = view::step_at(shared, def, &row.step)
    else {
        tracing::error!(task = %row.key, "a task's step is not a task of its definition");
        return Err(WebError::Api(ApiError::Internal));
    };
    Ok((case, sub, task))
}

async fn task_page(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    row: &TaskRow,
    sent: &Sent,
    status: StatusCode,
) -> PageResult {
    if row.status == TaskStatus::Closed {
        return Err(WebError::Api(ApiError::Conflict(format!(
            "task {} is completed",
            row.key
        ))));
    }
    let lang = ctx.lang;
    let (case, def, task) = task_step(service, row).await?;
    let shared = service.engine.shared();
    let (service_def, _) = shared.pinned(&case.service, &case.version)?;
    // The data a form shows first are the case's own: the task's scope (the sub-workflow's
    // when the step is in one).
    let scope = row.step.rsplit_once('/').map_or("", |(s, _)| s);
    let data = case.scope(scope);
    let mut fields = Vec::new();
    for f in &task.form {
        let decl = def
            .data
            .get(&f.field)
            .or_else(|| def.parameters.get(&f.field));
        let value = match sent.values.get(&f.field) {
            Some(v) => v.clone(),
            None => crate::runtime::get_path(&data, &f.field)
                .map(plain)
                .unwrap_or_default(),
        };
        fields.push(form_input(f, decl, value, &sent.errors, lang));
    }
    // A mistake that belongs to no field of the form (an outcome that is not one).
    let general: Vec<String> = sent
        .errors
        .iter()
        .filter(|e| !task.form.iter().any(|f| f.field == e.field))
        .map(|_| text::get(lang, "err_other").unwrap_or_default().to_string())
        .collect();
    let outcomes: Vec<Value> = task
        .outcomes
        .keys()
        .map(|o| json!({ "code": o, "label": text::outcome(lang, o) }))
        .collect();
    let mine = row.status == TaskStatus::Claimed && row.assignee.as_deref() == Some(p.login());
    Ok(ctx.page(
        status,
        Some(p),
        "task",
        json!({
            "title": view::step_title(shared, service_def, &row.step, lang),
            "key": row.key,
            "number": row.number,
            "service": lang.pick(&service_def.title),
            "due": row.due_at.map(view::when),
            "mine": mine,
            "claimable": row.status == TaskStatus::Open,
            "other": if mine { None } else { row.assignee.clone() },
            "fields": fields,
            "outcomes": outcomes,
            "has_errors": !sent.errors.is_empty(),
            "general_errors": general,
            "csrf": csrf(p),
        }),
    ))
}

/// A value as a form field holds it.
fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One input of a form (a task's or an application's) as drawn: the field, the value to
/// show, whether it is required (for which outcomes), and its mistake among `errors` in the
/// clerk's language.
pub(super) fn form_input(
    f: &FormField,
    decl: Option<&FieldDef>,
    value: String,
    errors: &[FieldError],
    lang: Lang,
) -> Value {
    let error = errors
        .iter()
        .find(|e| e.field == f.field)
        .map(|e| field_error(decl, &e.message, lang));
    let required = if !f.required {
        Value::Null
    } else if f.for_outcomes.is_empty() {
        json!(text::get(lang, "required"))
    } else {
        let outcomes: Vec<String> = f
            .for_outcomes
            .iter()
            .map(|o| text::outcome(lang, o))
            .collect();
        json!(format!(
            "{} {}",
            text::get(lang, "required_for").unwrap_or_default(),
            outcomes.join(", ")
        ))
    };
    field_view(&f.field, decl, value, error, required, lang)
}

/// One input of the form, drawn by the field's type.
fn field_view(
    name: &str,
    decl: Option<&FieldDef>,
    value: String,
    error: Option<String>,
    required: Value,
    lang: Lang,
) -> Value {
    let label = decl
        .and_then(|d| d.label.as_ref())
        .map_or_else(|| name.to_string(), |l| lang.pick(l).to_string());
    let ty = decl.map(|d| &d.ty);
    let options: Option<Vec<Value>> = match ty {
        Some(Type::Enum(values)) => Some(
            values
                .iter()
                .map(|v| json!({ "value": v, "label": text::value(lang, v), "selected": *v == value }))
                .collect(),
        ),
        // A yes-or-no that must be answered is a choice, not a checkbox: an unticked box
        // cannot say "no" apart from "not answered".
        Some(Type::Bool) => Some(vec![
            json!({ "value": "true", "label": text::get(lang, "yes"), "selected": value == "true" }),
            json!({ "value": "false", "label": text::get(lang, "no"), "selected": value == "false" }),
        ]),
        _ => None,
    };
    let input = match ty {
        Some(Type::Date) => "date",
        Some(Type::Int | Type::Decimal) => "number",
        Some(Type::Email) => "email",
        Some(Type::Phone) => "tel",
        _ => "text",
    };
    json!({
        "name": name,
        "id": format!("f-{}", name.replace('.', "-")),
        "label": label,
        "value": value,
        "error": error,
        "required": required,
        "options": options,
        "textarea": decl.is_some_and(|d| d.multiline),
        "input": input,
        "step": if matches!(ty, Some(Type::Decimal)) { "any" } else { "1" },
    })
}

/// A form mistake in the clerk's language. The runtime says it in English for the API; the
/// field's type says what was expected, which is what a clerk needs to hear.
fn field_error(decl: Option<&FieldDef>, message: &str, lang: Lang) -> String {
    let t = |key| text::get(lang, key).unwrap_or_default().to_string();
    if message == "required" {
        return t("err_required");
    }
    if message == crate::runtime::form::MUST_BE {
        return t("err_must_be");
    }
    let Some(decl) = decl else {
        return t("err_other");
    };
    let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
    if message.starts_with("must be at least") {
        return text::fill(&t("err_min"), &[("n", &number(decl.min))]);
    }
    if message.starts_with("must be at most") {
        return text::fill(&t("err_max"), &[("n", &number(decl.max))]);
    }
    if message.starts_with("does not have the expected form") {
        return t("err_pattern");
    }
    t(match decl.ty {
        Type::Bool => "err_bool",
        Type::Int => "err_int",
        Type::Decimal | Type::Money => "err_decimal",
        Type::Date => "err_date",
        Type::Iin => "err_iin",
        Type::Enum(_) => "err_enum",
        Type::Email => "err_email",
        Type::Phone => "err_phone",
        Type::String => "err_text",
        _ => "err_other",
    })
}

/// `POST /queue/{key}`: completes the task with the outcome whose button was pressed; the
/// form's mistakes come back beside their fields, with what was typed kept.
pub async fn complete(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    let row = api::task_for(&service.engine, &p, &key).await?;
    let (_, _, task) = task_step(&service, &row).await?;
    let outcome = form.text("outcome");
    let (values, data) = form.of(&task.form);
    match api::completing(
        &service.engine,
        &p,
        &key,
        &outcome,
        Value::Object(data),
        &ctx.source,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/queue").into_response()),
        Err(Completion::Rejected(errors)) => {
            let sent = Sent { values, errors };
            task_page(
                &service,
                &ctx,
                &p,
                &row,
                &sent,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

/// Where a claim or unclaim sends the clerk back to: the task's form when asked from it,
/// else the queue. Only these two, so no form can send anyone elsewhere.
fn back(form: &Fields, key: &str) -> Response {
    if form.get("then") == Some("form") {
        Redirect::to(&format!("/queue/{key}")).into_response()
    } else {
        Redirect::to("/queue").into_response()
    }
}

/// `POST /queue/{key}/claim`: the clerk takes the task.
pub async fn claim(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    api::claiming(&service.engine, &p, &key, &ctx.source).await?;
    Ok(back(&form, &key))
}

/// `POST /queue/{key}/unclaim`: the clerk puts the task back in the queue.
pub async fn unclaim(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    api::unclaiming(&service.engine, &p, &key, &ctx.source).await?;
    Ok(back(&form, &key))
}
