//! What a case does once a data request's retries have run out, as the support e-mail
//! (`technical_failure`; seeds/001 items 13, 14, 17) tells it.
//!
//! The e-mail asks support to mend a digital system; whoever reads it also needs to know
//! what became of the application meanwhile, and that differs by request: the certificate's
//! GBD FL request falls back to a front-office operator who takes the data from the
//! citizen's documents; its register check has no fallback at all (the case goes on, and the
//! specialist at the review must check without the answer); the access request's accounts
//! request goes back to an administrator. So the words are read from the definition — the
//! `on_failure` step's kind, title and role, in the case's language — and never from a list
//! of connectors that a new workflow would outgrow.

use serde_json::{Value, json};

use super::Language;
use crate::definition::model::{Definition, StepId, StepKind, Text};

/// `fallback` for the support e-mail of a request whose `on_failure` leads to `step` of
/// `def`, titles in `lang`:
///
/// - `kind: task` — a clerk takes over: the `on_failure` step is a task, and `title`,
///   `role_title` name it and its role (a documents path, an administrator's correction);
/// - `kind: none` — nothing takes the place of the data: the case goes on without them, and
///   `title`, `role_title` name the first task it reaches, where someone must do without
///   them; both empty when the way on depends on the case (a decision, a fork);
/// - `kind: end` — the case ends without them.
///
/// `step` and `role` are the ids, for support to find them in the definition.
pub(super) fn describe(def: &Definition, step: StepId, lang: Language) -> Value {
    let mut at = step;
    // Each step at most once: a loop of notifications cannot hold the walk.
    for hop in 0..def.steps.len() {
        let s = def.step(at);
        match &s.kind {
            StepKind::Task(task) => {
                let kind = if hop == 0 { "task" } else { "none" };
                let role_title = def.roles.get(&task.role).map(|t| pick(t, lang));
                return json!({
                    "kind": kind,
                    "step": s.name,
                    "title": s.title.as_ref().map_or_else(|| s.name.clone(), |t| pick(t, lang)),
                    "role": task.role,
                    "role_title": role_title.unwrap_or_else(|| task.role.clone()),
                });
            }
            StepKind::Join { next, .. }
            | StepKind::Notify { next, .. }
            | StepKind::Document { next, .. }
            | StepKind::Wait { next, .. } => at = *next,
            StepKind::End { .. } => return blank("end"),
            _ => break,
        }
    }
    blank("none")
}

/// A fallback with no step to name.
fn blank(kind: &str) -> Value {
    json!({ "kind": kind, "step": "", "title": "", "role": "", "role_title": "" })
}

fn pick(text: &Text, lang: Language) -> String {
    match lang {
        Language::Kk => text.kk.clone(),
        Language::Ru => text.ru.clone(),
    }
}
