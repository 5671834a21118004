//! `GET /queue/{key}/done`: what became of a task the clerk has just completed — the outcome
//! chosen, where the case went ("passed to the specialist, due 08.12.2026 18:00", "waiting
//! for the citizen's objection", "completed: issued"), and the documents it led to, the
//! receipt first, ready to print (the front office hands it over at once: seeds/004 item 5,
//! appendix 3).
//!
//! Only for the clerk who completed the task (the history's `task_completed` line names
//! them), within the task's role and region like its form. What the case does next is read
//! from the store as it stands now: the case's tasks opened since the completion, and each
//! position that waits on something else. A case that moves on by itself (a gateway request
//! whose answer makes the receipt) is refreshed a few times by a `<meta>` refresh — no
//! script — until it has somewhere to be.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::text::{self, Lang};
use super::super::{Clerk, Ctx, PageResult, WebError, documents, view};
use crate::api::{self, ApiError, Denial, Why};
use crate::definition::graph;
use crate::definition::model::{Definition, Step, StepKind};
use crate::runtime::{Actor, CaseState, HistoryEntry, Status, Token, Waiting};
use crate::service::Service;
use crate::store::{TaskRow, TaskStatus};
use crate::worker::{CaseView, Shared};

/// How many times the page refreshes itself while the case moves on by itself (every
/// [`REFRESH_SECONDS`]): a minute, then the clerk has the link.
const MAX_REFRESHES: u32 = 20;

/// Seconds between two refreshes.
const REFRESH_SECONDS: u32 = 3;

/// How many transitions after the task's opening are searched for its documents.
const MAX_TRANSITIONS: usize = 50;

/// `?r=`: how many times the page has refreshed itself.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    /// The refresh count.
    r: Option<u32>,
}

/// `GET /queue/{key}/done`: the completed task's page, for the clerk who completed it.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let engine = &service.engine;
    let row = api::task_for(engine, &p, &key).await?;
    if row.status != TaskStatus::Closed {
        return Ok(Redirect::to(&format!("/queue/{key}")).into_response());
    }
    let view = engine
        .case(&row.number)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {}", row.number)))?;
    let Some(completion) = completed(&view.history, &key) else {
        // Closed with its case (withdrawn), not completed: nobody's to tell about.
        return Err(WebError::Api(ApiError::Conflict(format!(
            "task {key} was closed without a completion"
        ))));
    };
    if !matches!(&completion.actor, Actor::Clerk(login) if login == p.login()) {
        let denied: ApiError = Denial::new(p.login(), Why::AnotherClerksTask)
            .on(&key)
            .into();
        return Err(denied.into());
    }
    let shared = engine.shared();
    let case = &view.case;
    let (def, _) = shared.pinned(&case.service, &case.version)?;
    let outcome = completion.detail["outcome"].as_str().unwrap_or_default();
    let tasks = passed_to(&service, shared, def, &view, completion, lang);
    let waits = waiting(shared, def, case, lang);
    let closed = closed(case, lang);
    let documents = documents(&service, def, case, &key, lang).await?;
    let receipt = documents
        .iter()
        .rev()
        .find(|d| d["kind_code"] == "receipt" && !d["pdf_href"].is_null())
        .cloned();
    // The case moves on by itself (a request, a document, a notice it waits for): the page
    // looks again shortly, so the receipt made when the answer comes is here without a click.
    let moving = case.status == Status::Active
        && tasks.is_empty()
        && case
            .tokens
            .iter()
            .any(|t| matches!(t.waiting, Waiting::Job { .. }));
    let refreshed = q.r.unwrap_or(0);
    let refresh = (moving && refreshed < MAX_REFRESHES)
        .then(|| json!({ "seconds": REFRESH_SECONDS, "next": refreshed + 1 }));
    Ok(ctx.page(
        axum::http::StatusCode::OK,
        Some(&p),
        "task_done",
        json!({
            "title": text::get(lang, "task_done_title"),
            "step": view::step_title(shared, def, &row.step, lang),
            "key": key,
            "number": case.number,
            "service": lang.pick(&def.title),
            "outcome": text::outcome(lang, outcome),
            "at": view::when(completion.at),
            "tasks": tasks,
            "waits": waits,
            "closed": closed,
            "moving": moving,
            "refresh": refresh,
            "receipt": receipt,
            "documents": documents,
        }),
    ))
}

/// The history line that completed task `key`.
fn completed<'h>(history: &'h [HistoryEntry], key: &str) -> Option<&'h HistoryEntry> {
    history
        .iter()
        .rev()
        .find(|h| h.kind == "task_completed" && h.detail["task"] == key)
}

/// The case's tasks opened by the completion or since: to whom it passed, by when.
fn passed_to(
    service: &Service,
    shared: &Shared,
    def: &Definition,
    view: &CaseView,
    completion: &HistoryEntry,
    lang: Lang,
) -> Vec<Value> {
    view.tasks
        .iter()
        .filter(|t| t.status != TaskStatus::Closed && t.created_at >= completion.at)
        .map(|t: &TaskRow| {
            json!({
                "key": t.key,
                "step": view::step_title(shared, def, &t.step, lang),
                "role": view::role_title(&service.catalog, &t.role, lang),
                "due": t.due_at.map(view::when),
                "assignee": t.assignee,
            })
        })
        .collect()
}

/// Each position of the case that waits on something other than a clerk: a request's
/// answer, a notice's sending, a timer, the citizen's message — by its step's title.
fn waiting(shared: &Shared, def: &Definition, case: &CaseState, lang: Lang) -> Vec<Value> {
    if case.status != Status::Active {
        return Vec::new();
    }
    case.tokens
        .iter()
        .filter(|t| !matches!(t.waiting, Waiting::Task { .. }))
        .filter_map(|t| {
            let step = token_step(shared, def, t)?;
            let citizen = matches!(t.waiting, Waiting::Message { .. });
            Some(json!({
                "step": graph::title(step, lang.definition()),
                "citizen": citizen,
            }))
        })
        .collect()
}

/// The step a token is at, through the sub-workflows it is inside.
fn token_step<'d>(shared: &'d Shared, def: &'d Definition, t: &Token) -> Option<&'d Step> {
    let mut def = def;
    for call in &t.calls {
        let StepKind::Call { workflow, .. } = &def.step(*call).kind else {
            return None;
        };
        def = shared.subworkflows.get(workflow)?;
    }
    Some(def.step(t.step))
}

/// "The case is completed: issued", or withdrawn; `null` while it runs.
fn closed(case: &CaseState, lang: Lang) -> Option<String> {
    let key = match case.status {
        Status::Active => return None,
        Status::Completed => "status_completed",
        Status::Withdrawn => "status_withdrawn",
    };
    let mut s = text::or(lang, key, key);
    if let Some(result) = &case.result {
        s.push_str(": ");
        s.push_str(&text::result(lang, result));
    }
    Some(s)
}

/// The documents made since task `key` was opened: its completion's and those of the steps
/// the case ran through by itself after it (the acceptance's receipt is made when the
/// gateway's answer comes, a transition after the completion). A task's key carries the
/// transition that opened it (`task:{case}:{seq}:{n}`); each later transition's documents are
/// [`documents::of_transition`]'s, up to [`MAX_TRANSITIONS`] of them (a page opened long after
/// the completion; the case page lists them all).
async fn documents(
    service: &Service,
    def: &Definition,
    case: &CaseState,
    key: &str,
    lang: Lang,
) -> Result<Vec<Value>, WebError> {
    let opened = key
        .split(':')
        .nth(2)
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let last = i64::try_from(case.seq).unwrap_or(i64::MAX);
    let mut all = Vec::new();
    for seq in (opened + 1..=last).take(MAX_TRANSITIONS) {
        all.extend(documents::of_transition(service, def, case.id, seq, lang).await?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn line(kind: &str, task: &str, login: &str) -> HistoryEntry {
        HistoryEntry {
            at: Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap(),
            actor: Actor::Clerk(login.into()),
            kind: kind.into(),
            step: Some("accept_documents".into()),
            detail: json!({ "task": task, "outcome": "complete" }),
            evidence: None,
        }
    }

    #[test]
    fn the_completion_is_the_line_that_completed_this_task() {
        let history = vec![
            line("task_created", "task:1:1:0", "engine"),
            line("task_completed", "task:1:1:0", "operator1"),
            line("task_completed", "task:1:3:1", "specialist1"),
        ];
        let found = completed(&history, "task:1:1:0").unwrap();
        assert_eq!(found.actor, Actor::Clerk("operator1".into()));
        assert!(completed(&history, "task:1:9:0").is_none());
    }
}
