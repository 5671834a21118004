//! The documents of a case: listed on the case page. (to be written: opened and printed)

use axum::Router;
use serde_json::{Value, json};

use super::WebError;
use super::text::{self, Lang};
use crate::definition::graph;
use crate::definition::model::{Definition, StepKind};
use crate::runtime::Work;
use crate::service::Service;
use crate::worker::{self, Shared};

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new()
}

/// The documents of case `case_id` (of definition `def`) for the `documents` partial.
pub async fn of_case(
    service: &Service,
    def: &Definition,
    case_id: i64,
    lang: Lang,
) -> Result<Vec<Value>, WebError> {
    let engine = &service.engine;
    let shared = engine.shared();
    let jobs = engine
        .store()
        .jobs_of_case(case_id)
        .await
        .map_err(worker::Error::from)?;
    Ok(jobs
        .iter()
        .filter_map(|j| match &j.work {
            Work::Document { template, kind, .. } => Some(json!({
                "title": document_title(shared, def, template, lang),
                "kind": text::or(lang, &format!("kind_{}", kind.as_deref().unwrap_or("document")), "—"),
                "status": text::or(lang, &format!("job_{}", j.status), j.status.as_str()),
            })),
            _ => None,
        })
        .collect())
}

/// The title of the document step that renders `template`, in the service or a sub-workflow
/// it calls; the template's id when none does.
fn document_title(shared: &Shared, def: &Definition, template: &str, lang: Lang) -> String {
    std::iter::once(def)
        .chain(shared.subworkflows.values())
        .flat_map(|d| d.steps.iter())
        .find(|s| matches!(&s.kind, StepKind::Document { template: t, .. } if t == template))
        .map_or_else(
            || template.to_string(),
            |s| graph::title(s, lang.definition()),
        )
}
