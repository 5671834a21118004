//! The documents of a case — receipts, decisions, records its `document:` steps made —
//! listed on the case page and after a completed task, each opened to print
//! (`/case/{number}/documents/{id}`: the document in the case's language with its copies,
//! a link back to the case and one to the PDF, which the print sheet hides) or as its PDF
//! (`/case/{number}/documents/{id}.pdf`).
//!
//! Both go through [`api::documents::opening`], as `GET /cases/{number}/documents/{id}`
//! does: the same region check, the same 404 for a document of another case, the same
//! `document_opened` record. A failure is a page in the clerk's language, as on every page.
//! Printing needs no script: the PDF opens in the browser's viewer, which prints it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, PageResult, WebError};
use crate::api::documents::{DocumentId, Format, Printable};
use crate::api::{self, ApiError};
use crate::definition::graph;
use crate::definition::model::{Definition, StepKind};
use crate::runtime::Work;
use crate::service::Service;
use crate::store::{JobRow, JobStatus};
use crate::worker::{self, Shared};

/// This part's pages: a document's print view and its PDF.
pub fn routes() -> Router<Service> {
    Router::new().route("/case/{number}/documents/{id}", get(document))
}

/// The documents of case `case_id` (of definition `def`) for the `documents` partial: each
/// with its `title` (the step's), `kind`, `status`, and — when it can be opened — `href`
/// (the print view) and `pdf_href`.
pub async fn of_case(
    service: &Service,
    def: &Definition,
    case_id: i64,
    lang: Lang,
) -> Result<Vec<Value>, WebError> {
    listed(service, def, case_id, None, lang).await
}

/// The documents the case's transition `seq` made (job keys `job:{case_id}:{seq}:*`): what a
/// completed task's page shows, the receipt first to print. The same entries as
/// [`of_case`]: `title`, `kind`, `status`, `href`, `pdf_href`.
pub async fn of_transition(
    service: &Service,
    def: &Definition,
    case_id: i64,
    seq: i64,
    lang: Lang,
) -> Result<Vec<Value>, WebError> {
    listed(service, def, case_id, Some(seq), lang).await
}

/// The documents of a case, or of one of its transitions.
async fn listed(
    service: &Service,
    def: &Definition,
    case_id: i64,
    seq: Option<i64>,
    lang: Lang,
) -> Result<Vec<Value>, WebError> {
    let engine = &service.engine;
    let store = engine.store();
    let jobs: Vec<(DocumentId, JobRow)> = store
        .jobs_of_case(case_id)
        .await
        .map_err(worker::Error::from)?
        .into_iter()
        .filter(|j| matches!(j.work, Work::Document { .. }))
        .filter_map(|j| Some((DocumentId::of_key(case_id, &j.key)?, j)))
        .filter(|(id, _)| seq.is_none_or(|s| id.seq == s))
        .collect();
    let Some((_, first)) = jobs.first() else {
        return Ok(Vec::new());
    };
    let number = store
        .case_of_job(&first.key)
        .await
        .map_err(worker::Error::from)?
        .map(|(number, _)| number)
        .unwrap_or_default();
    let shared = engine.shared();
    Ok(jobs
        .iter()
        .filter_map(|(id, j)| match &j.work {
            Work::Document { template, kind, .. } => {
                let href = openable(j.status).then(|| href(&number, *id));
                Some(json!({
                    "id": id.to_string(),
                    "title": document_title(shared, def, template, lang),
                    "kind": text::or(lang, &format!("kind_{}", kind.as_deref().unwrap_or("document")), "—"),
                    // The definition's code (`receipt`), for what a page decides by the kind.
                    "kind_code": kind,
                    "status": text::or(lang, &format!("job_{}", j.status), j.status.as_str()),
                    "href": href,
                    "pdf_href": href.as_ref().map(|h| format!("{h}.pdf")),
                }))
            }
            _ => None,
        })
        .collect())
}

/// Whether a document of a job in `status` can be opened: done (the HTML it issued), or not
/// run yet (rendered as it will be). One that failed did not render and will not now.
fn openable(status: JobStatus) -> bool {
    !matches!(status, JobStatus::Failed | JobStatus::Incident)
}

/// The print view of document `id` of case `number`.
pub fn href(number: &str, id: DocumentId) -> String {
    format!("/case/{}/documents/{id}", encode(number))
}

/// A path segment with what a URL may not carry as it is percent-encoded (a registration
/// number is letters, digits and dashes; a prefix an installation chose might not be).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
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

/// `GET /case/{number}/documents/{id}` (the print view) and `…/{id}.pdf` (the PDF), for the
/// staff of the case's region.
async fn document(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path((number, segment)): Path<(String, String)>,
) -> PageResult {
    let Some((id, format)) = api::documents::requested(&segment, None) else {
        return Err(ApiError::NotFound(format!("document {segment} of case {number}")).into());
    };
    let printable = api::documents::opening(&service, &p, &number, id, format, &ctx.source).await?;
    let body = match format {
        Format::Html => printable
            .print_html(Some(&screen(&printable, ctx.lang)))
            .into_bytes(),
        Format::Pdf => printable.pdf().await?,
    };
    let mut response: Response = api::documents::answer(&printable, format, body);
    *response.status_mut() = StatusCode::OK;
    Ok(response.into_response())
}

/// The print view's links, in the clerk's language: back to the case, and the PDF — the way
/// to print without a script.
fn screen(printable: &Printable, lang: Lang) -> String {
    let t = |key: &str| escape(text::get(lang, key).unwrap_or_default());
    let case = format!("/case/{}", encode(&printable.number));
    let pdf = format!("{}.pdf", href(&printable.number, printable.id));
    let copies = if printable.copies > 1 {
        format!(
            " <span>{}</span>",
            escape(&text::fill(
                text::get(lang, "documents_copies").unwrap_or_default(),
                &[("copies", &printable.copies.to_string())],
            ))
        )
    } else {
        String::new()
    };
    format!(
        "<a href=\"{case}\" id=\"back-to-case\">{}</a><a href=\"{pdf}\" id=\"document-pdf\">{}</a>{copies}",
        t("documents_back_to_case"),
        t("documents_print_pdf"),
    )
}

/// Text for HTML.
fn escape(text: &str) -> String {
    handlebars::html_escape(text)
}
