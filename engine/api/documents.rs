//! The documents a case's `document:` steps made — receipts, decisions, records — opened and
//! printed: `GET /cases/{number}/documents/{id}` as HTML, and as an A4 PDF with
//! `?format=pdf` or `{id}.pdf`.
//!
//! A document is the one its job issued: the HTML the notifier rendered and recorded in the
//! job's output (`notify::performer`), which every engine process on a shared database reads
//! alike. A job runs just after the transition that queued it commits, so a clerk who opens
//! the receipt a second after completing the acceptance may come before it: then the
//! document is rendered from the job's stored work, the template and the variables the case
//! wrote, through the same function the job will run ([`NotifyPerformer::document_html`]),
//! so it is the same document.
//!
//! A document carries the applicant's personal data: it opens only in the case's region, and
//! every opening is journalled as `document_opened` (who, which case, which document, HTML
//! or PDF), as a case's opening is.
//!
//! It is served beside the integration endpoints, on the service's router, not on the
//! engine's: rendering needs the templates and the notifier's enrichment (the clerk's name,
//! the office), which the [`Service`] holds and the engine does not.
//!
//! [`NotifyPerformer::document_html`]: crate::notify::NotifyPerformer::document_html

use std::fmt;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, ErrorBody, Params, Source, record};
use crate::audit::Action;
use crate::definition::model::{Definition, StepKind};
use crate::runtime::{Language, Work};
use crate::service::Service;
use crate::worker::{self, Shared};

/// The endpoints of this module; on the service's router (see the module's documentation).
pub(crate) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new().routes(routes!(document))
}

/// A document of a case, `{seq}-{n}`: the transition that made it (the case's sequence
/// number) and its place among that transition's jobs — the tail of its job's key
/// `job:{case}:{seq}:{n}`. Unique within the case, stable, short, and without the case's
/// internal id, which the registration number in the path already stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentId {
    /// The case's transition that queued the document.
    pub seq: i64,
    /// Its place among the jobs of that transition.
    pub n: i64,
}

impl DocumentId {
    /// The id of job `key` of case `case_id`; `None` for another case's job or a key of
    /// another shape.
    pub fn of_key(case_id: i64, key: &str) -> Option<DocumentId> {
        let rest = key.strip_prefix(&format!("job:{case_id}:"))?;
        let (seq, n) = rest.split_once(':')?;
        Some(DocumentId {
            seq: seq.parse().ok()?,
            n: n.parse().ok()?,
        })
    }

    /// The key of this document's job in case `case_id`.
    pub fn key(self, case_id: i64) -> String {
        format!("job:{case_id}:{}:{}", self.seq, self.n)
    }

    /// Reads `{seq}-{n}`.
    pub fn parse(text: &str) -> Option<DocumentId> {
        let (seq, n) = text.split_once('-')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(seq) || !digits(n) {
            return None;
        }
        Some(DocumentId {
            seq: seq.parse().ok()?,
            n: n.parse().ok()?,
        })
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.seq, self.n)
    }
}

/// HTML or PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The print view: the document's HTML, its copies one after the other.
    Html,
    /// An A4 PDF, each copy from a new page.
    Pdf,
}

impl Format {
    /// The name the journal records.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }
}

/// The last segment of a document's path, `{seq}-{n}` or `{seq}-{n}.pdf`, and the format it
/// asks for (`?format=` may ask for the PDF too).
pub fn requested(segment: &str, format: Option<&str>) -> Option<(DocumentId, Format)> {
    let (id, by_name) = match segment.strip_suffix(".pdf") {
        Some(id) => (id, Format::Pdf),
        None => (
            segment.strip_suffix(".html").unwrap_or(segment),
            Format::Html,
        ),
    };
    let format = match format {
        None => by_name,
        Some("pdf") => Format::Pdf,
        Some("html") if by_name == Format::Html => Format::Html,
        Some(_) => return None,
    };
    Some((DocumentId::parse(id)?, format))
}

/// A document opened for a clerk: what it is and its HTML as issued.
#[derive(Debug, Clone)]
pub struct Printable {
    /// The case's registration number.
    pub number: String,
    /// Which document of the case.
    pub id: DocumentId,
    /// The template it was rendered from.
    pub template: String,
    /// What it is (`receipt`, `decision`, …), as its step says.
    pub kind: Option<String>,
    /// The case's language, the document's.
    pub language: Language,
    /// How many copies are printed (the step's `copies`).
    pub copies: u32,
    /// The document's HTML, one copy, as its template rendered it.
    pub html: String,
}

/// What the print view adds to a document's own head: a phone's width used as it is, and a
/// sheet after the document's own styles — A4 with the margins the templates set on `body`
/// (moved to the page, so a browser's header and footer do not eat them), the view's own
/// links not printed, a dashed line between the copies on screen, narrower margins on a
/// phone. Each copy starts a new page by its own `style` ([`Printable::print_html`]).
const PRINT_HEAD: &str = "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>\n\
@page { size: A4; margin: 2cm; }\n\
@media screen { .qz-copy + .qz-copy { border-top: 1px dashed #888; margin-top: 2em; padding-top: 2em; } }\n\
@media screen and (max-width: 40em) { body { margin: 1em; } }\n\
.qz-screen { display: flex; flex-wrap: wrap; gap: 0.75em 1.5em; align-items: baseline; font-family: sans-serif; font-size: 11pt; margin-bottom: 1.5em; }\n\
.qz-screen a { padding: 0.25em 0; }\n\
@media print { body { margin: 0; } .qz-screen { display: none; } }\n\
</style>\n";

impl Printable {
    /// The PDF's file name: `<number>-<kind>.pdf`, in characters every file system and
    /// `Content-Disposition` take.
    pub fn file_name(&self) -> String {
        let kind = self.kind.as_deref().unwrap_or("document");
        let safe: String = format!("{}-{kind}", self.number)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}.pdf")
    }

    /// The document with each of its copies in turn, each from a new page, and `screen`
    /// (HTML: the print view's links) above the first copy, hidden when printed. The
    /// document's own `<head>` (its title, its styles) is kept, and the print sheet added
    /// after its styles.
    pub fn print_html(&self, screen: Option<&str>) -> String {
        let (head, body) = split_body(&self.html);
        let mut out = String::with_capacity(self.html.len() * self.copies as usize + 1024);
        match head.rfind("</head>").or_else(|| head.rfind("</HEAD>")) {
            Some(at) => {
                out.push_str(&head[..at]);
                out.push_str(PRINT_HEAD);
                out.push_str(&head[at..]);
            }
            None => {
                out.push_str(head);
                out.push_str(PRINT_HEAD);
            }
        }
        out.push_str("<body>\n");
        if let Some(screen) = screen {
            out.push_str("<nav class=\"qz-screen\">");
            out.push_str(screen);
            out.push_str("</nav>\n");
        }
        for copy in 0..self.copies.max(1) {
            // Inline, so that a reader without sibling selectors (our PDF layout) breaks too.
            out.push_str(if copy == 0 {
                "<div class=\"qz-copy\">\n"
            } else {
                "<div class=\"qz-copy\" style=\"page-break-before: always; break-before: page\">\n"
            });
            out.push_str(body);
            out.push_str("\n</div>\n");
        }
        out.push_str("</body>\n</html>\n");
        out
    }

    /// The A4 PDF: the document laid out once and its pages repeated for each copy, so each
    /// copy starts on a new page and the copies are the same to the point.
    pub async fn pdf(&self) -> Result<Vec<u8>, ApiError> {
        let html = self.html.clone();
        let copies = self.copies;
        tokio::task::spawn_blocking(move || crate::document::html_to_pdf_copies(&html, copies))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "laying out a PDF panicked");
                ApiError::Internal
            })?
            .map_err(|e| {
                tracing::error!(error = %e, "a document's PDF could not be written");
                ApiError::Internal
            })
    }
}

/// The document's head (everything before the body's content: doctype, `<html>`, `<head>`)
/// and its body's content; a fragment without `<body>` is all content.
fn split_body(html: &str) -> (&str, &str) {
    let lower = html.to_ascii_lowercase();
    let Some(open) = lower.find("<body") else {
        return ("", html);
    };
    let Some(content) = lower[open..].find('>').map(|i| open + i + 1) else {
        return ("", html);
    };
    let end = lower
        .rfind("</body>")
        .filter(|&e| e >= content)
        .unwrap_or(html.len());
    (&html[..open], &html[content..end])
}

/// Opens document `id` of case `number` for `p`: refused (and the refusal journalled)
/// outside the principal's region, 404 for an id that is no document of this case,
/// journalled as `document_opened` with the document and the format otherwise. The pages
/// and the API open a document only through here.
pub async fn opening(
    service: &Service,
    p: &Principal,
    number: &str,
    id: DocumentId,
    format: Format,
    source: &Source,
) -> ApiResult<Printable> {
    let engine = &service.engine;
    let store = engine.store();
    let case = store
        .case_by_number(number)
        .await
        .map_err(worker::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    super::case_allowed(engine.shared(), p, &case, number)?;
    let not_found = || ApiError::NotFound(format!("document {id} of case {number}"));
    let key = id.key(case.id);
    let job = store
        .job(&key)
        .await
        .map_err(worker::Error::from)?
        .ok_or_else(not_found)?;
    let Work::Document {
        template,
        kind,
        vars,
    } = job.work
    else {
        return Err(not_found());
    };
    let issued = store
        .job_output(&key)
        .await
        .map_err(worker::Error::from)?
        .and_then(|o| o.get("html").and_then(Value::as_str).map(str::to_string));
    let html = match issued {
        Some(html) => html,
        // Not run yet (or run by an engine that did not record the HTML): rendered as the
        // job renders it.
        None => service
            .notify
            .document_html(&template, &vars)
            .await
            .map_err(|e| match e {
                // The clerk's account could not be read just now.
                crate::worker::jobs::JobError::Retryable(e) => {
                    tracing::warn!(%key, error = %e, "a document could not be rendered yet");
                    ApiError::Unavailable
                }
                e => {
                    tracing::error!(%key, error = %e, "a document does not render");
                    ApiError::Internal
                }
            })?,
    };
    let shared = engine.shared();
    let (def, _) = shared.pinned(&case.service, &case.version)?;
    let copies = copies(shared, def, &template);
    engine
        .audit(
            record(p.login(), Action::DocumentOpened, number, source)
                .details(json!({ "document": id.to_string(), "format": format.as_str() })),
        )
        .await?;
    Ok(Printable {
        number: case.number,
        id,
        template,
        kind,
        language: case.language,
        copies,
        html,
    })
}

/// The copies of the document step that renders `template` in the service or a
/// sub-workflow it calls (the most any such step asks for); 1 when none does. A job keeps
/// the template, not its step; the definition a case runs is fixed, so its steps still say.
pub fn copies(shared: &Shared, def: &Definition, template: &str) -> u32 {
    std::iter::once(def)
        .chain(shared.subworkflows.values())
        .flat_map(|d| d.steps.iter())
        .filter_map(|s| match &s.kind {
            StepKind::Document {
                template: t,
                copies,
                ..
            } if t == template => Some(*copies),
            _ => None,
        })
        .max()
        .unwrap_or(1)
}

/// The answer carrying a document: HTML for the print view, PDF inline (the browser's
/// viewer prints it), under the name `<number>-<kind>.pdf`. Nothing is cached (personal
/// data); the HTML may not run a script or load anything from elsewhere.
pub fn answer(printable: &Printable, format: Format, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    let content_type = match format {
        Format::Html => "text/html; charset=utf-8",
        Format::Pdf => "application/pdf",
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if format == Format::Pdf
        && let Ok(v) =
            HeaderValue::from_str(&format!("inline; filename=\"{}\"", printable.file_name()))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The query of `GET /cases/{number}/documents/{id}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DocumentParams {
    /// `pdf` for the PDF (as `{id}.pdf` does), `html` (the default) for the print view.
    format: Option<String>,
}

/// A document of a case, in the case's language: the print view (HTML, its copies one
/// after the other) or an A4 PDF (`?format=pdf`, or `{id}.pdf`), for the staff of the case's
/// region. Each opening is journalled (`document_opened`).
#[utoipa::path(
    get,
    path = "/cases/{number}/documents/{id}",
    tag = "cases",
    params(
        ("number" = String, Path, description = "The registration number"),
        ("id" = String, Path, description = "The document: `{seq}-{n}`, the tail of its job's key (the case page and `GET /cases/{number}` list them); `{seq}-{n}.pdf` for the PDF"),
        DocumentParams,
    ),
    responses(
        (status = 200, description = "The document: `text/html` (the print view), or `application/pdf` with `Content-Disposition: inline; filename=\"<number>-<kind>.pdf\"`",
            content((String = "text/html"), (Vec<u8> = "application/pdf"))),
        (status = 404, description = "No such case, or no such document of this case", body = ErrorBody),
        (status = 422, description = "A `format` other than `html` or `pdf`", body = ErrorBody),
    ),
)]
async fn document(
    State(service): State<Service>,
    Path((number, segment)): Path<(String, String)>,
    Params(params): Params<DocumentParams>,
    source: Source,
    p: Principal,
) -> ApiResult<Response> {
    let (id, format) = match requested(&segment, params.format.as_deref()) {
        Some(r) => r,
        None if params
            .format
            .as_deref()
            .is_some_and(|f| f != "pdf" && f != "html") =>
        {
            return Err(ApiError::Invalid(
                "`format` is `html` or `pdf`".into(),
                json!([{ "field": "format", "message": "html or pdf" }]),
            ));
        }
        None => {
            return Err(ApiError::NotFound(format!(
                "document {segment} of case {number}"
            )));
        }
    };
    let printable = opening(&service, &p, &number, id, format, &source).await?;
    let body = match format {
        Format::Html => printable.print_html(None).into_bytes(),
        Format::Pdf => printable.pdf().await?,
    };
    Ok(answer(&printable, format, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_id_is_the_tail_of_its_jobs_key_in_its_own_case() {
        let id = DocumentId::of_key(42, "job:42:3:1").expect("an id");
        assert_eq!(id.to_string(), "3-1");
        assert_eq!(id.key(42), "job:42:3:1");
        assert_eq!(DocumentId::parse("3-1"), Some(id));
        assert_eq!(DocumentId::of_key(4, "job:42:3:1"), None);
        assert_eq!(DocumentId::of_key(42, "job:42:3"), None);
        for wrong in ["", "3", "3-", "-1", "3-1-2", "a-1", "+3-1", "3--1"] {
            assert_eq!(DocumentId::parse(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn the_pdf_is_asked_for_by_its_name_or_the_query() {
        let id = DocumentId { seq: 3, n: 1 };
        assert_eq!(requested("3-1", None), Some((id, Format::Html)));
        assert_eq!(requested("3-1.html", None), Some((id, Format::Html)));
        assert_eq!(requested("3-1.pdf", None), Some((id, Format::Pdf)));
        assert_eq!(requested("3-1", Some("pdf")), Some((id, Format::Pdf)));
        assert_eq!(requested("3-1.pdf", Some("pdf")), Some((id, Format::Pdf)));
        assert_eq!(requested("3-1.pdf", Some("html")), None);
        assert_eq!(requested("3-1", Some("docx")), None);
        assert_eq!(requested("x.pdf", None), None);
    }

    fn printable(html: &str, copies: u32) -> Printable {
        Printable {
            number: "QZ-2026/000001".into(),
            id: DocumentId { seq: 3, n: 1 },
            template: "t".into(),
            kind: Some("receipt".into()),
            language: Language::Kk,
            copies,
            html: html.into(),
        }
    }

    #[test]
    fn the_print_view_repeats_the_body_for_each_copy_and_keeps_the_head() {
        let doc = "<!DOCTYPE html>\n<html lang=\"kk\"><head><title>Қолхат</title><style>p{}</style></head>\n<body class=\"x\">\n<p>Мәтін</p>\n</body>\n</html>";
        let html = printable(doc, 2).print_html(Some("<a href=\"/case/1\">←</a>"));
        assert_eq!(html.matches("<p>Мәтін</p>").count(), 2, "{html}");
        assert_eq!(html.matches("class=\"qz-copy\"").count(), 2, "{html}");
        assert_eq!(html.matches("<title>Қолхат</title>").count(), 1, "{html}");
        let style = html.find("<style>p{}</style>").unwrap();
        let print = html.find("@page").unwrap();
        let end = html.find("</head>").unwrap();
        assert!(style < print && print < end, "{html}");
        assert!(html.find("qz-screen\"><a").unwrap() < html.find("qz-copy\"").unwrap());
        let one = printable("<p>фрагмент</p>", 1).print_html(None);
        assert_eq!(one.matches("фрагмент").count(), 1, "{one}");
        assert!(!one.contains("<nav"), "{one}");
    }

    #[test]
    fn the_file_name_is_the_number_and_the_kind_in_safe_characters() {
        assert_eq!(printable("", 1).file_name(), "QZ-2026_000001-receipt.pdf");
        let mut p = printable("", 1);
        p.kind = None;
        assert_eq!(p.file_name(), "QZ-2026_000001-document.pdf");
    }
}
