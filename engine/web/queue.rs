//! "My queue": the tasks of the clerk's roles and region, most urgent first. The same rules
//! as `GET /tasks` ([`crate::api::queue`]).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::text;
use super::{Clerk, Ctx, PageResult, view};
use crate::api;
use crate::runtime::CaseState;
use crate::service::Service;
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
