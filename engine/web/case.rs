//! The case page: who, what and when — the header, the open tasks, the timeline of the
//! history, every deadline with its evidence, the documents, and the process diagram with the
//! current steps highlighted. Opened through [`crate::api::opening`], so it is region-checked
//! and journalled as `case_opened` exactly like `GET /cases/{number}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, PageResult, diagram, view};
use crate::api;
use crate::definition::graph;
use crate::runtime::{HistoryEntry, Status};
use crate::service::Service;

/// `GET /case/{number}`: the case page, for the staff of the case's region.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(number): Path<String>,
) -> PageResult {
    let lang = ctx.lang;
    let engine = &service.engine;
    let view = api::opening(engine, &p, &number, &ctx.source).await?;
    let shared = engine.shared();
    let case = &view.case;
    let (def, calendar) = shared.pinned(&case.service, &case.version)?;

    let status = match case.status {
        Status::Active => text::get(lang, "status_active")
            .unwrap_or_default()
            .to_string(),
        Status::Completed | Status::Withdrawn => {
            let key = if case.status == Status::Completed {
                "status_completed"
            } else {
                "status_withdrawn"
            };
            let mut s = text::get(lang, key).unwrap_or_default().to_string();
            if let Some(result) = &case.result {
                s.push_str(": ");
                s.push_str(&text::result(lang, result));
            }
            s
        }
    };
    let term = case.term.as_ref().map(|t| {
        json!({
            "accepted_on": view::day(t.accepted_on),
            "due_on": view::day(t.due_on),
            "paused_days": t.paused_days,
        })
    });

    let tasks: Vec<Value> = view
        .tasks
        .iter()
        .map(|t| {
            json!({
                "key": t.key,
                "step": view::step_title(shared, def, &t.step, lang),
                "role": view::role_title(&service.catalog, &t.role, lang),
                "assignee": t.assignee,
                "due": t.due_at.map(view::when),
                "overdue": t.due_at.is_some_and(|d| d < shared.clock.now()),
            })
        })
        .collect();

    let timeline: Vec<Value> = view
        .history
        .iter()
        .map(|h| {
            json!({
                "at": view::when(h.at),
                "event": view::event(&h.kind, lang),
                "step": h.step.as_deref().map(|s| view::step_title(shared, def, s, lang)),
                "actor": view::actor(&h.actor, &service.catalog, lang),
                "detail": detail(h, lang),
            })
        })
        .collect();

    let mut deadlines: Vec<Value> = Vec::new();
    for h in view.history.iter().filter(|h| h.evidence.is_some()) {
        let Some(evidence) = &h.evidence else {
            continue;
        };
        let what = match h.kind.as_str() {
            "task_created" => "deadline_of_task",
            "term_started" | "term_resumed" => "deadline_of_term",
            _ => "deadline_other",
        };
        let mut d = view::deadline(evidence, Some(calendar), lang);
        d["what"] = json!(text::get(lang, what));
        d["step"] = json!(
            h.step
                .as_deref()
                .map(|s| view::step_title(shared, def, s, lang))
        );
        d["at"] = json!(view::when(h.at));
        deadlines.push(d);
    }

    let documents = super::documents::of_case(&service, def, case.id, lang).await?;
    let case_file = super::case_file::view(&service, &p, case, lang, &ctx.source).await?;

    // The current steps, as the service's diagram can show them: a token inside a called
    // sub-workflow is at the call step of the service.
    let current: Vec<&str> = case
        .tokens
        .iter()
        .map(|t| {
            let id = t.calls.first().copied().unwrap_or(t.step);
            def.step(id).name.as_str()
        })
        .collect();
    let dot = graph::render(
        def,
        graph::Format::Dot,
        &graph::Options {
            highlight: current.clone(),
            lang: lang.definition(),
            clerk: Some(text::edge),
        },
    );
    let svg = diagram::svg(&dot);
    let steps: Vec<Value> = def
        .steps
        .iter()
        .map(|s| {
            json!({
                "title": graph::title(s, lang.definition()),
                "current": current.contains(&s.name.as_str()),
            })
        })
        .collect();

    Ok(ctx.page(
        StatusCode::OK,
        Some(&p),
        "case",
        json!({
            "title": case.number,
            "number": case.number,
            "service": lang.pick(&def.title),
            "status": status,
            "region": text::region(lang, &case.region),
            "opened": view::when(case.opened_at),
            "term": term,
            "tasks": tasks,
            "timeline": timeline,
            "deadlines": deadlines,
            "documents": documents,
            "case_file": case_file,
            "svg": svg,
            "steps": steps,
        }),
    ))
}

/// What a history line adds beyond its kind and step: the outcome a clerk chose, how late
/// a task was completed. Other details stay in the API's view of the case.
fn detail(h: &HistoryEntry, lang: Lang) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(outcome) = h.detail.get("outcome").and_then(Value::as_str) {
        parts.push(format!(
            "{}: {}",
            text::get(lang, "detail_outcome").unwrap_or_default(),
            text::outcome(lang, outcome)
        ));
    }
    if h.detail.get("late").and_then(Value::as_bool) == Some(true) {
        parts.push(
            text::get(lang, "detail_late")
                .unwrap_or_default()
                .to_string(),
        );
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}
