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
use crate::accounts::Role;
use crate::api;
use crate::api::auth::Principal;
use crate::definition::graph;
use crate::definition::model::{Definition, StepKind, Trigger};
use crate::runtime::{CaseState, HistoryEntry, Status, life};
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
    let view = match api::opening(engine, &p, &number, false, &ctx.source).await {
        // An archived case answers its short page.
        Err(api::ApiError::NotFound(missing)) => {
            return super::search::archived(&service, &ctx, &p, &number, missing).await;
        }
        opened => opened?,
    };
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
                "detail": detail(h, def, lang),
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

    // The waves of proactive cases this case started (seeds/001, ENPF rules item 16), with
    // their counts in the clerk's language and a link to the progress.
    let waves: Vec<Value> = crate::wave::of_case(engine, &case.number)
        .await
        .unwrap_or_default()
        .iter()
        .map(|w| {
            let c = &w.counts;
            let text = crate::definition::model::Text {
                kk: format!(
                    "Проактивті толқын: {} іс ашылды, {} адам өткізілді, {} жол қабылданбады{}",
                    c.opened,
                    c.skipped,
                    c.refused,
                    if w.finished_at.is_some() { "" } else { " (жалғасуда)" }
                ),
                ru: format!(
                    "Проактивная волна: открыто дел — {}, пропущено лиц — {}, отклонено строк — {}{}",
                    c.opened,
                    c.skipped,
                    c.refused,
                    if w.finished_at.is_some() { "" } else { " (идёт)" }
                ),
            };
            json!({ "id": w.id, "text": lang.pick(&text), "href": format!("/waves/{}", w.id) })
        })
        .collect();
    let living = living_card(&service, &p, def, case, &view.history, lang);
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
            "living": living,
            "waves": waves,
            "svg": svg,
            "steps": steps,
            "diagram_href": format!("/case/{}/diagram.svg", case.number),
        }),
    ))
}

/// The card at the top of a living case's page ([`api::living`]): the state in words (the
/// hold's title, or the end's once the case ended after holding), the `record:` values now,
/// when the service was rendered, the event under way and the messages waiting for it to
/// end, the events the clerk may start now (a button each, to the message's form), and each
/// record value's history with the event that changed it. `None` for a service without
/// holds, and for a case that ended without ever holding (refused). Personal data follow the
/// case file's rule ([`super::case_file::handles`]).
fn living_card(
    service: &Service,
    p: &Principal,
    def: &Definition,
    case: &CaseState,
    history: &[HistoryEntry],
    lang: Lang,
) -> Option<Value> {
    let living = api::living(def, case, history)?;
    if case.held_since.is_none() && case.is_closed() {
        return None;
    }
    let shared = service.engine.shared();
    let t = |key: &str| text::get(lang, key).unwrap_or_default().to_string();
    let event_title = |name: &str| {
        def.events
            .get(name)
            .and_then(|e| e.title.as_ref())
            .map_or_else(|| name.replace('_', " "), |t| lang.pick(t).to_string())
    };
    let step_title = |name: &str| {
        def.step_named(name)
            .map(|id| graph::title(def.step(id), lang.definition()))
    };
    // The state in words: the hold the case is at, or the one its running event left; the
    // end it came to; or that the application is still being decided.
    let state_text = if let Some((_, step)) = life::holding(def, case) {
        graph::title(def.step(step), lang.definition())
    } else if case.is_closed() {
        history
            .iter()
            .rev()
            .filter(|h| h.kind == "entered")
            .filter_map(|h| h.step.as_deref())
            .find_map(|s| {
                let id = def.step_named(s)?;
                matches!(def.step(id).kind, StepKind::End { .. })
                    .then(|| graph::title(def.step(id), lang.definition()))
            })
            .or_else(|| case.result.as_deref().map(|r| text::result(lang, r)))
            .unwrap_or_default()
    } else if case.held_since.is_some() {
        history
            .iter()
            .rev()
            .filter(|h| h.kind == "entered")
            .filter_map(|h| h.step.as_deref())
            .find(|s| {
                def.step_named(s)
                    .is_some_and(|id| matches!(def.step(id).kind, StepKind::Hold { .. }))
            })
            .and_then(step_title)
            .unwrap_or_default()
    } else {
        t("living_not_yet")
    };
    let personal = super::case_file::handles(shared, def, p);
    let decl = |name: &str| def.data.get(name);
    let shown = |name: &str, value: &Value| -> (String, bool) {
        let hidden = decl(name).is_some_and(|d| d.personal) && !personal;
        let text =
            view::value_text(value, decl(name).map(|d| &d.ty), lang).unwrap_or_else(|| t("dash"));
        (text, hidden)
    };
    let label = |name: &str| {
        decl(name)
            .and_then(|d| d.label.as_ref())
            .map_or_else(|| name.to_string(), |l| lang.pick(l).to_string())
    };
    let record: Vec<Value> = living
        .record
        .iter()
        .map(|(name, value)| {
            let (value, hidden) = shown(name, value);
            json!({ "name": name, "label": label(name), "value": value, "hidden": hidden })
        })
        .collect();
    let changes: Vec<Value> = living
        .changes
        .iter()
        .map(|c| {
            let (from, hidden) = shown(&c.field, &c.from);
            let (to, _) = shown(&c.field, &c.to);
            let event = match &c.event {
                Some(e) => event_title(e),
                None => t("living_by_decision"),
            };
            json!({
                "at": view::when(c.at),
                "field": label(&c.field),
                "name": c.field,
                "from": from,
                "to": to,
                "hidden": hidden,
                "event": event,
            })
        })
        .collect();
    let met = case.term.as_ref().and_then(|term| {
        let met = view::almaty_date(term.met_at?);
        let key = if met > term.due_on {
            "living_term_met_late"
        } else {
            "living_term_met"
        };
        Some(text::fill(
            &t(key),
            &[("met", &view::day(met)), ("due", &view::day(term.due_on))],
        ))
    });
    let running = living.running.as_deref().map(|e| {
        let since = history
            .iter()
            .rev()
            .find(|h| h.kind == "event_started")
            .map(|h| view::when(h.at))
            .unwrap_or_default();
        text::fill(
            &t("living_running"),
            &[("event", &event_title(e)), ("since", &since)],
        )
    });
    let waiting: Vec<String> = living
        .waiting
        .iter()
        .map(|w| {
            text::fill(
                &t("living_waiting_item"),
                &[
                    ("event", &event_title(&w.event)),
                    ("at", &view::when(w.received_at)),
                ],
            )
        })
        .collect();
    // What the clerk may start now: the open events whose `by:` names one of the clerk's
    // roles (the case is in the clerk's region: the page was opened).
    let may = |roles: &[String]| {
        roles
            .iter()
            .filter_map(|r| r.parse::<Role>().ok())
            .any(|r| p.account.has_role(r))
    };
    let offers: Vec<Value> = life::events_open(def, case)
        .into_iter()
        .filter(|e| may(&e.by))
        .filter_map(|e| {
            let Trigger::Message(message) = &e.trigger else {
                return None;
            };
            Some(json!({
                "name": e.name,
                "title": event_title(&e.name),
                "href": format!("/case/{}/messages/{message}", case.number),
            }))
        })
        .collect();
    Some(json!({
        "state": living.state,
        "state_text": state_text,
        "record": record,
        "met": met,
        "running": running,
        "waiting": waiting,
        "has_events": !def.events.is_empty() && !case.is_closed() && case.held_since.is_some(),
        "offers": offers,
        "changes": changes,
    }))
}

/// What a history line adds beyond its kind and step: the outcome a clerk chose, how late
/// a task was completed. Other details stay in the API's view of the case.
fn detail(h: &HistoryEntry, def: &Definition, lang: Lang) -> Option<String> {
    let mut parts = Vec::new();
    // A life event started, or a record value it changed: the event's title, the field's
    // label (the values are on the living card, under the personal-data rule).
    let event = h.detail.get("event").and_then(Value::as_str);
    if matches!(
        h.kind.as_str(),
        "event_started" | "record_changed" | "message_kept"
    ) && let Some(event) = event.and_then(|e| def.events.get(e))
    {
        parts.push(
            event
                .title
                .as_ref()
                .map_or_else(|| event.name.clone(), |t| lang.pick(t).to_string()),
        );
    }
    if h.kind == "record_changed"
        && let Some(field) = h.detail.get("field").and_then(Value::as_str)
    {
        parts.push(
            def.data
                .get(field)
                .and_then(|d| d.label.as_ref())
                .map_or_else(|| field.to_string(), |l| lang.pick(l).to_string()),
        );
    }
    if let Some(outcome) = h.detail.get("outcome").and_then(Value::as_str) {
        parts.push(format!(
            "{}: {}",
            text::get(lang, "detail_outcome").unwrap_or_default(),
            text::outcome(lang, outcome)
        ));
    }
    // A task a head of department moved: from whom to whom (the actor is the head).
    if h.detail.get("task").is_some()
        && matches!(
            h.kind.as_str(),
            "task_reassigned" | "task_taken_over" | "task_released"
        )
    {
        let login = |key: &str| {
            h.detail.get(key).and_then(Value::as_str).map_or_else(
                || {
                    text::get(lang, "dept_not_taken")
                        .unwrap_or_default()
                        .to_string()
                },
                str::to_string,
            )
        };
        for (key, slot) in [("detail_moved_from", "from"), ("detail_moved_to", "to")] {
            parts.push(text::fill(
                text::get(lang, key).unwrap_or_default(),
                &[(slot, &login(slot))],
            ));
        }
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
