//! A task's form: opened from the queue, claimed, completed with one of its outcomes. The
//! same rules as `POST /tasks/{key}/claim` and `…/complete` ([`crate::api::claiming`],
//! [`crate::api::completing`]).
//!
//! Work on it is never lost:
//! - **The claim carries the form.** On a task nobody holds the inputs are open and the
//!   "Claim" button is a submit button of the form itself (`formaction` to
//!   `/queue/{key}/claim`), so what was typed before the claim comes back after it
//!   ([`drafts`]). A form is locked (`<fieldset disabled>`) only where typing could never
//!   count: a task another clerk holds. Why not lock an unclaimed form as well: a clerk reads
//!   the case file and starts filling in while deciding to take the task; with the values
//!   carried, nothing typed is lost, and nothing needs typing twice.
//! - **A refusing outcome is confirmed.** An outcome the definition marks `confirm: true`
//!   (it refuses the citizen) is checked first, then shown with what was filled in: "Yes, I
//!   confirm" completes it, "Back to the form" opens the form with the values.
//! - **A finished task says what happened** ([`done`]): the outcome, where the case went, the
//!   documents it led to, the receipt first.
//! - **An expired session keeps the form**: a post without a live session, from a form of
//!   that very session (its CSRF token), keeps the values for the same login, and the sign-in
//!   brings the clerk back to the form with them ([`super::session`]). Nothing is submitted by
//!   itself.

mod done;
pub(super) mod drafts;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::fields::{form_input, plain};
use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, WebError, case_file, csrf, session, view};
use crate::api::{self, ApiError, Completion, Denial, Why, auth::Principal};
use crate::definition::model::{Definition, StepKind, Task};
use crate::runtime::{CaseState, FieldError};
use crate::service::Service;
use crate::store::TaskRow;
use crate::store::TaskStatus;
use crate::worker;
pub use done::page as done;
pub use drafts::Drafts;
use drafts::{Draft, Kept};

/// What the form is drawn with besides the case: the values sent or kept and the mistakes
/// found, a word on why the values are there, and a refusal waiting for its confirmation.
#[derive(Default)]
struct Sent {
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    /// The text key of the notice above the form.
    notice: Option<&'static str>,
    /// The outcome to confirm and the draft that holds the values.
    confirm: Option<(String, String)>,
}

/// `?draft=…`: the values kept for this form ([`drafts`]).
#[derive(Debug, Deserialize)]
pub struct FormQuery {
    /// A draft's id.
    draft: Option<String>,
}

/// `GET /queue/{key}`: a task's form, for a clerk of its role and region; with `?draft=` the
/// values kept for this clerk on this task. A completed task's address shows what became of
/// it ([`done`]).
pub async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    Query(q): Query<FormQuery>,
) -> PageResult {
    let task = api::task_for(&service.engine, &p, &key).await?;
    if task.status == TaskStatus::Closed {
        return Ok(Redirect::to(&done_path(&key)).into_response());
    }
    let sent = match q.draft {
        Some(id) => from_draft(&service, &p, &key, &id),
        None => Sent::default(),
    };
    task_page(&service, &ctx, &p, &task, &sent, StatusCode::OK).await
}

/// The form's values kept under draft `id`, with the notice that says why; a notice alone
/// when it is gone (expired, or not this clerk's).
fn from_draft(service: &Service, p: &Principal, key: &str, id: &str) -> Sent {
    let now = service.engine.shared().clock.now();
    match service.drafts.get(id, p.login(), key, now) {
        Some(d) => Sent {
            values: d.typed,
            notice: match d.kept {
                Kept::Claimed => Some("task_kept_claimed"),
                Kept::Taken => Some("task_kept_taken"),
                Kept::Expired => Some("task_kept_expired"),
                Kept::Confirm => None,
            },
            ..Sent::default()
        },
        None => Sent {
            notice: Some("task_draft_gone"),
            ..Sent::default()
        },
    }
}

/// Where a completed task's clerk lands.
fn done_path(key: &str) -> String {
    format!("/queue/{key}/done")
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
    )) = shared.step_at(def, &row.step)
    else {
        tracing::error!(task = %row.key, "a task's step is not a task of its definition");
        return Err(WebError::Api(ApiError::Internal));
    };
    Ok((case, sub, task))
}

/// The data scope of a task's step: the sub-workflow call's when the step is in one.
fn scope_of(row: &TaskRow) -> &str {
    row.step.rsplit_once('/').map_or("", |(s, _)| s)
}

/// The inputs of `task`'s form: the values sent or kept first, else the case's own.
fn inputs(def: &Definition, task: &Task, data: &Value, sent: &Sent, lang: Lang) -> Vec<Value> {
    task.form
        .iter()
        .map(|f| {
            let decl = def
                .data
                .get(&f.field)
                .or_else(|| def.parameters.get(&f.field));
            let value = match sent.values.get(&f.field) {
                Some(v) => v.clone(),
                None => crate::runtime::get_path(data, &f.field)
                    .map(plain)
                    .unwrap_or_default(),
            };
            form_input(f, decl, value, &sent.errors, lang)
        })
        .collect()
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
    let fields = inputs(def, task, &case.scope(scope_of(row)), sent, lang);
    // A mistake that belongs to no field of the form (an outcome that is not one).
    let general: Vec<String> = sent
        .errors
        .iter()
        .filter(|e| !task.form.iter().any(|f| f.field == e.field))
        .map(|_| text::get(lang, "err_other").unwrap_or_default().to_string())
        .collect();
    let outcomes: Vec<Value> = task
        .outcomes
        .iter()
        .map(|(o, t)| json!({ "code": o, "label": text::outcome(lang, o), "confirm": t.confirm }))
        .collect();
    let mine = row.status == TaskStatus::Claimed && row.assignee.as_deref() == Some(p.login());
    let claimable = row.status == TaskStatus::Open;
    let confirm = sent
        .confirm
        .as_ref()
        .map(|(outcome, draft)| confirmation(&fields, outcome, draft, lang));
    let case_file = case_file::view_on_task(service, p, &case, lang, &ctx.source, &row.key).await?;
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
            "claimable": claimable,
            // Typing counts only where the clerk holds the task or may take it with the form.
            "editable": mine || claimable,
            "other": if mine { None } else { row.assignee.clone() },
            "fields": fields,
            "outcomes": outcomes,
            "has_errors": !sent.errors.is_empty(),
            "general_errors": general,
            "notice": sent.notice.and_then(|k| text::get(lang, k)),
            "confirm": confirm,
            "csrf": csrf(p),
            "case_file": case_file,
        }),
    ))
}

/// The confirmation of a refusing `outcome`: the question, what was filled in (each field's
/// label and value as the form draws them), and the draft that holds it.
fn confirmation(fields: &[Value], outcome: &str, draft: &str, lang: Lang) -> Value {
    let label = text::outcome(lang, outcome);
    let values: Vec<Value> = fields
        .iter()
        .filter_map(|f| {
            let value = f["value"].as_str().unwrap_or_default();
            if value.is_empty() {
                return None;
            }
            // A choice reads as its option's name, not its code.
            let shown = f["options"]
                .as_array()
                .and_then(|o| o.iter().find(|o| o["value"] == value))
                .and_then(|o| o["label"].as_str())
                .unwrap_or(value);
            Some(json!({ "label": f["label"], "value": shown }))
        })
        .collect();
    json!({
        "outcome": outcome,
        "label": label,
        "question": text::fill(
            text::get(lang, "task_confirm_text").unwrap_or_default(),
            &[("outcome", &label)],
        ),
        "values": values,
        "draft": draft,
    })
}

/// `POST /queue/{key}`: completes the task with the outcome whose button was pressed; the
/// form's mistakes come back beside their fields, with what was typed kept. An outcome that
/// refuses the citizen is confirmed first (`confirm=yes` with the draft of the first press);
/// a post whose session has expired keeps the form for the sign-in ([`kept_for_sign_in`]).
pub async fn complete(
    State(service): State<Service>,
    ctx: Ctx,
    headers: HeaderMap,
    clerk: Result<Clerk, WebError>,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    let p = match clerk {
        Ok(Clerk(p)) => p,
        Err(e) => return kept_for_sign_in(&service, &headers, &key, &form, e).await,
    };
    let row = api::task_for(&service.engine, &p, &key).await?;
    if row.status == TaskStatus::Closed {
        // Sent twice (a double press, a reload): what became of it.
        return Ok(Redirect::to(&done_path(&key)).into_response());
    }
    if form.get("confirm") == Some("yes") {
        return confirmed(&service, &ctx, &p, &row, &form.text("draft")).await;
    }
    let (_, def, task) = task_step(&service, &row).await?;
    let outcome = form.text("outcome");
    let (values, data) = form.of(&task.form);
    // A scan refused (its type, its size) comes back beside its field; nothing completes.
    let refused = form.refusals();
    if !refused.is_empty() {
        let sent = Sent {
            values,
            errors: refused,
            ..Sent::default()
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return task_page(&service, &ctx, &p, &row, &sent, status).await;
    }
    if task.outcomes.get(&outcome).is_some_and(|t| t.confirm) {
        return to_confirm(&service, &ctx, &p, &row, def, task, &outcome, values, data).await;
    }
    finish(&service, &ctx, &p, &row, &outcome, values, data).await
}

/// Completes `row` with `outcome` and the form's `data`: to the page of what happened, or
/// the form again with its mistakes beside their fields.
async fn finish(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    row: &TaskRow,
    outcome: &str,
    values: HashMap<String, String>,
    data: Map<String, Value>,
) -> PageResult {
    match super::uploads::completing(service, p, row, outcome, data, &ctx.source).await {
        Ok(()) => {
            service.drafts.forget(p.login(), &row.key);
            Ok(Redirect::to(&done_path(&row.key)).into_response())
        }
        Err(Completion::Rejected(errors)) => {
            let sent = Sent {
                values,
                errors,
                ..Sent::default()
            };
            task_page(
                service,
                ctx,
                p,
                row,
                &sent,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

/// The first press of a refusing outcome: the form is checked as the completion would check
/// it (a mistake comes back beside its field at once, not after the confirmation), then kept,
/// and the page asks for the confirmation.
#[allow(clippy::too_many_arguments)]
async fn to_confirm(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    row: &TaskRow,
    def: &Definition,
    task: &Task,
    outcome: &str,
    values: HashMap<String, String>,
    data: Map<String, Value>,
) -> PageResult {
    let (case, _, _) = task_step(service, row).await?;
    let form = Value::Object(data.clone());
    if let Err(crate::runtime::Error::Rejected(errors)) =
        crate::runtime::form::check(def, task, outcome, &form, &case.scope(scope_of(row)))
    {
        let sent = Sent {
            values,
            errors,
            ..Sent::default()
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return task_page(service, ctx, p, row, &sent, status).await;
    }
    let now = service.engine.shared().clock.now();
    let id = service.drafts.keep(
        Draft {
            login: p.login().to_string(),
            key: row.key.clone(),
            typed: values.clone(),
            data,
            outcome: Some(outcome.to_string()),
            kept: Kept::Confirm,
        },
        now,
    );
    let sent = Sent {
        values,
        confirm: Some((outcome.to_string(), id)),
        ..Sent::default()
    };
    task_page(service, ctx, p, row, &sent, StatusCode::OK).await
}

/// "Yes, I confirm": completes with the outcome and the values the first press kept. When
/// they are gone (past their lifetime), the form says so and is filled in again.
async fn confirmed(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    row: &TaskRow,
    id: &str,
) -> PageResult {
    let now = service.engine.shared().clock.now();
    let kept = service
        .drafts
        .get(id, p.login(), &row.key, now)
        .filter(|d| d.kept == Kept::Confirm);
    let Some(Draft {
        typed,
        data,
        outcome: Some(outcome),
        ..
    }) = kept
    else {
        let sent = Sent {
            notice: Some("task_confirm_gone"),
            ..Sent::default()
        };
        return task_page(service, ctx, p, row, &sent, StatusCode::CONFLICT).await;
    };
    finish(service, ctx, p, row, &outcome, typed, data).await
}

/// A post to a task's form or claim that its session no longer signs: what was typed is
/// kept for the clerk, never submitted, and the form opens with it once they are signed in.
/// - The session has ended (idle, past its lifetime) and the form is that session's own (its
///   CSRF token): the values wait for the same login to sign in again.
/// - The clerk is signed in under a newer session (another tab signed in again, or changed
///   the password) and the form carries the older one's token: the session cookie is
///   `SameSite=Strict`, so the form is one of our pages in the clerk's own browser; the
///   values go back to the form at once, and the refusal is journalled as any other.
///
/// Anything else is the refusal as it was (the sign-in form, nothing kept).
async fn kept_for_sign_in(
    service: &Service,
    headers: &HeaderMap,
    key: &str,
    form: &Fields,
    refusal: WebError,
) -> PageResult {
    match &refusal {
        WebError::Api(ApiError::Unauthenticated) => {
            let Some(login) = session::expired_login(service, headers, form.get("csrf")).await
            else {
                return Err(refusal);
            };
            let id = keep_posted(service, &login, key, form).await?;
            Ok((
                [(header::SET_COOKIE, session::resume_cookie(&id))],
                Redirect::to("/"),
            )
                .into_response())
        }
        WebError::Api(ApiError::Denied(d)) if matches!(d.why, Why::Csrf) => {
            let denial = (**d).clone();
            let id = keep_posted(service, &denial.actor, key, form).await?;
            let back = Redirect::to(&format!("/queue/{key}?draft={id}#task-form"));
            Ok(denial.attach(back.into_response()))
        }
        _ => Err(refusal),
    }
}

/// Keeps what `form` carried for `login` on task `key` (as a session's expiry): the fields of
/// the task's own form, or — from a confirmation — the values its first press kept.
async fn keep_posted(
    service: &Service,
    login: &str,
    key: &str,
    form: &Fields,
) -> Result<String, WebError> {
    let row = service
        .engine
        .store()
        .task(key)
        .await
        .map_err(worker::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("task {key}")))?;
    let (_, _, task) = task_step(service, &row).await?;
    let now = service.engine.shared().clock.now();
    let confirming = form
        .get("draft")
        .and_then(|id| service.drafts.get(id, login, key, now))
        .filter(|d| d.kept == Kept::Confirm && form.get("confirm") == Some("yes"));
    let draft = match confirming {
        Some(d) => Draft {
            kept: Kept::Expired,
            ..d
        },
        None => {
            let (typed, data) = form.of(&task.form);
            Draft {
                login: login.to_string(),
                key: key.to_string(),
                typed,
                data,
                outcome: form.get("outcome").map(str::to_string),
                kept: Kept::Expired,
            }
        }
    };
    Ok(service.drafts.keep(draft, now))
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

/// `POST /queue/{key}/claim`: the clerk takes the task. Pressed on the task's form, the
/// claim carries the form: what was typed opens again with the claimed task; when another
/// clerk was quicker, it opens with theirs, to be read, not sent (the refusal journalled).
pub async fn claim(
    State(service): State<Service>,
    ctx: Ctx,
    headers: HeaderMap,
    clerk: Result<Clerk, WebError>,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    let p = match clerk {
        Ok(Clerk(p)) => p,
        Err(e) if form.get("then") == Some("form") => {
            return kept_for_sign_in(&service, &headers, &key, &form, e).await;
        }
        Err(e) => return Err(e),
    };
    let claimed = api::claiming(&service.engine, &p, &key, &ctx.source).await;
    if form.get("then") != Some("form") {
        claimed?;
        return Ok(back(&form, &key));
    }
    let (kept, denial) = match claimed {
        Ok(()) => (Kept::Claimed, None),
        Err(ApiError::Denied(d)) if d.why == Why::AnotherClerksTask => (Kept::Taken, Some(*d)),
        Err(e) => return Err(e.into()),
    };
    let redirect = carried(&service, &p, &key, &form, kept).await?;
    Ok(match denial {
        Some(d) => Denial::attach(d, redirect),
        None => redirect,
    })
}

/// The form's values kept for `p` on task `key`, and the way back to the form with them.
async fn carried(
    service: &Service,
    p: &Principal,
    key: &str,
    form: &Fields,
    kept: Kept,
) -> PageResult {
    let row = api::task_for(&service.engine, p, key).await?;
    let (_, _, task) = task_step(service, &row).await?;
    let (typed, data) = form.of(&task.form);
    if typed.is_empty() {
        return Ok(Redirect::to(&format!("/queue/{key}")).into_response());
    }
    let now = service.engine.shared().clock.now();
    let id = service.drafts.keep(
        Draft {
            login: p.login().to_string(),
            key: key.to_string(),
            typed,
            data,
            outcome: None,
            kept,
        },
        now,
    );
    Ok(Redirect::to(&format!("/queue/{key}?draft={id}#task-form")).into_response())
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
