//! The case page: who, what and when — the header, the case file ([`super::case_file`]), the
//! open tasks, the timeline of the history, every deadline with its evidence, the documents,
//! and the process diagram with the current steps highlighted, the path taken beside them and
//! a text list of the steps (passed ✓, current ▶, not reached). The diagram also opens alone at
//! its full size (`/case/{number}/diagram.svg`), to zoom without a script. On a phone the
//! tables become stacked cards (the page's own `<style>`). Opened through
//! [`crate::api::opening`], so it is region-checked and journalled as `case_opened` exactly
//! like `GET /cases/{number}`.

use axum::extract::{Path as Param, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, PageResult, diagram, view};
use crate::api;
use crate::definition::graph;
use crate::definition::model::Definition;
use crate::runtime::{CaseState, HistoryEntry, Status};
use crate::service::Service;
use crate::worker;

/// `GET /case/{number}`: the case page, for the staff of the case's region.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Param(number): Param<String>,
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

    let progress = Progress::of(def, case, &view.history);
    let svg = diagram::svg(&progress.dot(def, lang));
    let steps = progress.steps(def, lang);

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
            "desk_offers": super::desk::offers(&service, &p, case, lang),
            "svg": svg,
            "steps": steps,
            "diagram_href": format!("/case/{}/diagram.svg", case.number),
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

/// `GET /case/{number}/diagram.svg`: the case's diagram alone, at its full size, for the
/// staff of the case's region: the browser zooms and scrolls it without a script. It shows
/// the steps and the path taken, no personal data, so it is not journalled as an opening.
pub async fn diagram_svg(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Param(number): Param<String>,
) -> PageResult {
    let engine = &service.engine;
    let store = engine.store();
    let case = store
        .case_by_number(&number)
        .await
        .map_err(worker::Error::from)?
        .ok_or_else(|| api::ApiError::NotFound(format!("case {number}")))?;
    api::allowed(&p, &case.region, &number)?;
    let history = store.history(case.id).await.map_err(worker::Error::from)?;
    let (def, _) = engine.shared().pinned(&case.service, &case.version)?;
    let progress = Progress::of(def, &case, &history);
    let Some(svg) = diagram::svg(&progress.dot(def, ctx.lang)) else {
        return Err(api::ApiError::NotFound(format!("diagram of {number}")).into());
    };
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}

/// Where a case stands and where it has been, by the steps of its service's diagram: a
/// token or a history line inside a called sub-workflow is at the call step of the service.
struct Progress<'d> {
    /// The steps the case is at now.
    current: Vec<&'d str>,
    /// The steps the case has entered, in the order first entered.
    visited: Vec<&'d str>,
}

impl<'d> Progress<'d> {
    fn of(def: &'d Definition, case: &CaseState, history: &[HistoryEntry]) -> Progress<'d> {
        let current: Vec<&str> = case
            .tokens
            .iter()
            .map(|t| {
                let id = t.calls.first().copied().unwrap_or(t.step);
                def.step(id).name.as_str()
            })
            .collect();
        let mut visited: Vec<&str> = Vec::new();
        for h in history.iter().filter(|h| h.kind == "entered") {
            let Some(first) = h.step.as_deref().and_then(|s| s.split('/').next()) else {
                continue;
            };
            if let Some(id) = def.step_named(first) {
                let name = def.step(id).name.as_str();
                if !visited.contains(&name) {
                    visited.push(name);
                }
            }
        }
        Progress { current, visited }
    }

    /// The DOT of the diagram: the current steps highlighted, the path taken beside them.
    fn dot(&self, def: &Definition, lang: Lang) -> String {
        graph::render(
            def,
            graph::Format::Dot,
            &graph::Options {
                highlight: self.current.clone(),
                visited: self.visited.clone(),
                lang: lang.definition(),
                clerk: Some(text::edge),
            },
        )
    }

    /// The text list beside the diagram: every step of the service, in the definition's
    /// order, marked as passed (✓), current (▶) or not reached.
    fn steps(&self, def: &Definition, lang: Lang) -> Vec<Value> {
        def.steps
            .iter()
            .map(|s| {
                let name = s.name.as_str();
                let (state, mark, key) = if self.current.contains(&name) {
                    ("current", "▶", "case_file_step_current")
                } else if self.visited.contains(&name) {
                    ("visited", "✓", "case_file_step_visited")
                } else {
                    ("ahead", "", "case_file_step_not_reached")
                };
                json!({
                    "title": graph::title(s, lang.definition()),
                    "state": state,
                    "mark": mark,
                    "current": state == "current",
                    "said": text::get(lang, key),
                })
            })
            .collect()
    }
}
