//! A task's form: opened from the queue, claimed, completed with one of its outcomes. The
//! same rules as `POST /tasks/{key}/claim` and `…/complete` ([`crate::api::claiming`],
//! [`crate::api::completing`]).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::fields::{form_input, plain};
use super::text;
use super::{Clerk, Ctx, Fields, PageResult, WebError, case_file, csrf, view};
use crate::api::{self, ApiError, Completion, auth::Principal};
use crate::definition::model::{Definition, StepKind, Task};
use crate::runtime::{CaseState, FieldError};
use crate::service::Service;
use crate::store::TaskRow;
use crate::store::TaskStatus;
use crate::worker;

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
    let case_file = case_file::view(service, p, &case, lang, &ctx.source).await?;
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
            "case_file": case_file,
        }),
    ))
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
