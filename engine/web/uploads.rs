//! Scans uploaded on the pages' forms: a `document` field is a file input; the file streams
//! to disk under its hash as the form is read ([`read_multipart`], [`crate::uploads`]), the
//! case takes the form with the file's description as the field's value
//! ([`document_value`]), and only then is the file linked to the case in the store and
//! journalled ([`completing`], [`filing`]). The scan opens at
//! `GET /case/{number}/uploads/{sha256}` for the staff of the case's region.
//!
//! What a document field's value is: an object `{name, sha256, content_type, size, href}`
//! (`href` when the case's number is known: a task's form), where the API and the scenarios
//! give a file's name as text; the runtime takes either (`document` is `Type::Any` there).
//! A refused file (not a scan by its content, over the limit) comes back beside its field
//! and the case is not touched; a form that comes back with other mistakes keeps the stored
//! file in a hidden `kept:NAME` field, so the clerk need not upload it again.
//!
//! **Why link after the case took the form:** a form refused for a mistake, or a clerk
//! refused the case, must leave no trace on the case. The one window is a crash between the
//! case's commit and the link's: the case's value then names the file (kept on disk), but
//! the download answers 404 until it is uploaded again.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use super::{Clerk, FORM_LIMIT, Fields, PageResult, WebError};
use crate::api::{self, ApiError, Completion, Source, auth::Principal};
use crate::audit::Action;
use crate::runtime::{FieldError, Submission};
use crate::service::Service;
use crate::store::{self, TaskRow};
use crate::uploads::{Error, Stored, Uploads};
use crate::worker;

/// The hidden field that keeps a stored scan when the form comes back: `kept:NAME`, its value
/// `SHA256:file name` ([`kept_value`]).
pub const KEPT: &str = "kept:";

/// How many scans of the largest size one form may carry: the body limit of a multipart form
/// is this many times the file limit, and [`FORM_LIMIT`] for the rest. The acceptance of the
/// certificate takes three documents.
pub const MAX_FILES: u64 = 6;

/// The refusal of a file that is not a PDF, JPEG or PNG by its content.
pub const NOT_A_SCAN: &str = "upload: not a PDF, JPEG or PNG by its content";
/// The refusal of a file over the limit; the limit in MiB follows.
pub const TOO_LARGE: &str = "upload: larger than the limit, MiB: ";
/// The refusal of an empty file.
pub const EMPTY: &str = "upload: the file is empty";
/// A kept scan whose file is not there (or a made-up hash).
pub const AGAIN: &str = "upload: the file kept from before is not there; upload it again";

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new().route("/case/{number}/uploads/{sha256}", get(download))
}

/// `GET /case/{number}/uploads/{sha256}`: a scan of the case, for the staff of its region,
/// as the type its content says, to open in the browser.
async fn download(
    State(service): State<Service>,
    Clerk(p): Clerk,
    source: Source,
    Path((number, sha256)): Path<(String, String)>,
) -> PageResult {
    let engine = &service.engine;
    let case = engine
        .store()
        .case_by_number(&number)
        .await
        .map_err(worker::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    api::case_allowed(engine.shared(), &p, &case, &number)?;
    let mut conn = engine.store().read().await.map_err(worker::Error::from)?;
    let upload = store::uploads::find(&mut conn, &number, &sha256)
        .await
        .map_err(worker::Error::from)?;
    drop(conn);
    let Some(upload) = upload else {
        return Err(ApiError::NotFound(format!("upload of case {number}")).into());
    };
    let bytes = match service.uploads.read(&upload.sha256).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            tracing::error!(case = %number, sha256 = %upload.sha256, "a linked scan's file is missing");
            return Err(ApiError::NotFound(format!("upload of case {number}")).into());
        }
        Err(e) => {
            tracing::error!(error = %e, "a scan could not be read");
            return Err(ApiError::Internal.into());
        }
    };
    engine
        .audit(
            api::record(p.login(), Action::ScanOpened, &number, &source)
                .details(json!({ "field": upload.field, "sha256": upload.sha256 })),
        )
        .await?;
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&upload.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename*=UTF-8''{}",
        percent(&upload.name)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The link of scan `sha256` of case `number`.
pub(crate) fn href(number: &str, sha256: &str) -> String {
    format!("/case/{number}/uploads/{sha256}")
}

/// Completes task `row` with `outcome` and the form's `data` (as [`super::Fields::of`] made
/// it, the refusals already answered: [`super::Fields::refusals`]), as [`api::completing`]
/// does; each scan in it ([`document_value`]) gets its link, and is linked to the case and
/// journalled once the case took the form.
pub(super) async fn completing(
    service: &Service,
    p: &Principal,
    row: &TaskRow,
    outcome: &str,
    mut data: Map<String, Value>,
    source: &Source,
) -> Result<(), Completion> {
    let scans = scans_in(&service.uploads, &data).await;
    for (field, stored) in &scans {
        data.insert(field.clone(), document_value(stored, Some(&row.number)));
    }
    api::completing(
        &service.engine,
        p,
        &row.key,
        outcome,
        Value::Object(data),
        source,
    )
    .await?;
    link(service, p, &row.number, scans, source).await;
    Ok(())
}

/// Files an application, as [`api::filing`] does, with the form's scans: a refused file
/// comes back as its field's mistake and nothing is filed; the stored ones are linked to the
/// case it opened (see [`completing`]).
pub(super) async fn filing(
    service: &Service,
    p: &Principal,
    id: &str,
    submission: Submission,
    form: &Fields,
    source: &Source,
) -> Result<worker::idempotency::Filed, Completion> {
    let refused = form.refusals();
    if !refused.is_empty() {
        return Err(Completion::Rejected(refused));
    }
    let scans = match &submission.data {
        Value::Object(data) => scans_in(&service.uploads, data).await,
        _ => Vec::new(),
    };
    let filed = api::filing(&service.engine, p, id, submission, None, source).await?;
    link(service, p, &filed.number, scans, source).await;
    Ok(filed)
}

/// The scans among a form's values ([`document_value`]), each found again on disk (its kind
/// and size read from the file, not the value): a value that names no stored file is left as
/// it is, and never linked.
async fn scans_in(uploads: &Uploads, data: &Map<String, Value>) -> Vec<(String, Stored)> {
    let mut out = Vec::new();
    for (field, value) in data {
        let (Some(sha), Some(name)) = (
            value.get("sha256").and_then(Value::as_str),
            value.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        match uploads.kept(sha, name).await {
            Ok(stored) => out.push((field.clone(), stored)),
            Err(e) => {
                tracing::warn!(error = %e, field, "a form's scan is not among the stored files")
            }
        }
    }
    out
}

/// Links `scans` to case `number` and journals each new one ([`crate::uploads::linking`]).
/// The case has already taken them: a failure here is logged, not answered (see the
/// module's note).
async fn link(
    service: &Service,
    p: &Principal,
    number: &str,
    scans: Vec<(String, Stored)>,
    source: &Source,
) {
    let linked = crate::uploads::linking(
        &service.engine,
        p.login(),
        number,
        scans,
        source.0.as_deref(),
    );
    if let Err(e) = linked.await {
        tracing::error!(error = %e, "scans were not linked to their case");
    }
}

/// A document field's value for a stored scan; with its link when the case is known.
pub(super) fn document_value(s: &Stored, number: Option<&str>) -> Value {
    let mut v = json!({
        "name": s.name,
        "sha256": s.sha256,
        "content_type": s.kind.mime(),
        "size": s.size,
    });
    if let Some(number) = number {
        v["href"] = json!(href(number, &s.sha256));
    }
    v
}

/// The value of a form's hidden `kept:NAME` field (and of the field as shown again):
/// `SHA256:file name`.
pub(super) fn kept_value(s: &Stored) -> String {
    format!("{}:{}", s.sha256, s.name)
}

/// The hash and name of a kept value ([`kept_value`]), or of a document field's value as the
/// case holds it (the object [`document_value`] made, as JSON text).
pub(super) fn parse_kept(value: &str) -> Option<(String, String)> {
    if let Some((sha, name)) = value.split_once(':')
        && crate::uploads::is_sha256(sha)
    {
        return Some((sha.to_string(), name.to_string()));
    }
    let v: Value = serde_json::from_str(value).ok()?;
    let sha = v.get("sha256")?.as_str()?;
    let name = v.get("name")?.as_str()?;
    crate::uploads::is_sha256(sha).then(|| (sha.to_string(), name.to_string()))
}

/// The scans kept from before (`kept:NAME` fields) for fields no new file was sent for,
/// looked up again on disk: a hash that names no stored scan is refused.
pub(super) async fn kept(
    pairs: &[(String, String)],
    files: &[(String, Result<Stored, Error>)],
    uploads: &Uploads,
) -> Vec<(String, Result<Stored, Error>)> {
    let mut out = Vec::new();
    for (key, value) in pairs {
        let Some(field) = key.strip_prefix(KEPT) else {
            continue;
        };
        if value.is_empty() || files.iter().any(|(f, _)| f == field) {
            continue;
        }
        let found = match parse_kept(value) {
            Some((sha, name)) => uploads.kept(&sha, &name).await,
            None => Err(Error::Unknown),
        };
        let found = match found {
            Err(Error::Io(e)) => {
                tracing::error!(error = %e, "a kept scan could not be read");
                Err(Error::Unknown)
            }
            other => other,
        };
        out.push((field.to_string(), found));
    }
    out
}

/// The mistakes of the files not stored.
pub(super) fn refusals(files: &[(String, Result<Stored, Error>)]) -> Vec<FieldError> {
    files
        .iter()
        .filter_map(|(field, f)| {
            let message = match f.as_ref().err()? {
                Error::TooLarge(limit) => format!("{TOO_LARGE}{}", mib(*limit)),
                Error::NotAScan => NOT_A_SCAN.to_string(),
                Error::Empty => EMPTY.to_string(),
                Error::Unknown | Error::Io(_) | Error::Link(_) => AGAIN.to_string(),
            };
            Some(FieldError {
                field: field.clone(),
                message,
            })
        })
        .collect()
}

/// A limit in MiB as a clerk reads it: `10`, `0.5`.
pub(super) fn mib(bytes: u64) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    let text = format!("{m:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// The boundary of a `multipart/form-data` body, if that is what the headers say it is.
pub(super) fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    multer::parse_boundary(ct).ok()
}

/// Reads a multipart form: its text fields, and each file streamed to disk
/// ([`Uploads::begin`]) and stored or refused — when `store` (a signed-in clerk's form), else
/// read past. A body past the limit (all files and the text together) or cut off is refused
/// whole, and the file being received is removed.
pub(super) async fn read_multipart(
    body: Body,
    boundary: String,
    uploads: &Uploads,
    store: bool,
) -> Result<(Vec<(String, String)>, Vec<(String, Result<Stored, Error>)>), WebError> {
    let limit = uploads
        .max_bytes()
        .saturating_mul(MAX_FILES)
        .saturating_add(FORM_LIMIT as u64);
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut form =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    let mut text = 0usize;
    while let Some(mut part) = form.next_field().await.map_err(broken)? {
        let name = part.name().unwrap_or_default().to_string();
        let Some(file_name) = part.file_name().map(str::to_string) else {
            let value = part.text().await.map_err(broken)?;
            text += value.len();
            if text > FORM_LIMIT {
                return Err(WebError::TooLarge);
            }
            pairs.push((name, value));
            continue;
        };
        if file_name.is_empty() || !store {
            // A file input left empty: the browser sends the part with no name and no bytes.
            while part.chunk().await.map_err(broken)?.is_some() {}
            continue;
        }
        let mut incoming = uploads.begin(&file_name).await.map_err(disk)?;
        let mut written = Ok(());
        while let Some(chunk) = part.chunk().await.map_err(broken)? {
            if written.is_ok() {
                written = incoming.write(&chunk).await;
            }
        }
        let stored = match written {
            Ok(()) => incoming.finish().await,
            Err(e) => Err(e),
        };
        match stored {
            Err(Error::Io(e)) => return Err(disk(Error::Io(e))),
            other => files.push((name, other)),
        }
    }
    Ok((pairs, files))
}

/// A multipart body that is not one, or was cut off, or passed the limit.
fn broken(e: multer::Error) -> WebError {
    match e {
        multer::Error::StreamSizeExceeded { .. } => WebError::UploadTooLarge,
        _ => WebError::Api(ApiError::Invalid("not a form".into(), Value::Null)),
    }
}

/// The disk refused a scan: the clerk's form is not at fault.
fn disk(e: Error) -> WebError {
    tracing::error!(error = %e, "a scan could not be stored");
    WebError::Api(ApiError::Internal)
}

/// The `csrf` field of a multipart body, read from its first part (every page's form puts
/// it first), and the body to pass on: what was read, then the rest of the stream. At most
/// [`FORM_LIMIT`] is read; a body whose first part is something else has no token, and the
/// extractor refuses it as it refuses a form without one.
pub(super) async fn csrf_of_multipart(body: Body, boundary: &str) -> (Option<String>, Body) {
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let mut failed = None;
    let token = loop {
        match first_part(&head, boundary) {
            First::Complete(name, value) => break (name == "csrf").then_some(value),
            First::Malformed => break None,
            First::Incomplete if head.len() > FORM_LIMIT => break None,
            First::Incomplete => {}
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break None;
            }
            None => break None,
        }
    };
    let head = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    let body =
        match failed {
            Some(e) => Body::from_stream(head.chain(futures_util::stream::once(async move {
                Err::<Bytes, _>(e)
            }))),
            None => Body::from_stream(head.chain(stream)),
        };
    (token, body)
}

/// The first part of a multipart body's beginning.
#[derive(Debug, PartialEq, Eq)]
enum First {
    /// Its name and its value.
    Complete(String, String),
    /// More bytes are needed.
    Incomplete,
    /// Not a multipart body with this boundary.
    Malformed,
}

/// Reads the first part of `head` (RFC 7578): the delimiter line, the headers to a blank
/// line, the value to the next delimiter.
fn first_part(head: &[u8], boundary: &str) -> First {
    let open = format!("--{boundary}\r\n");
    let rest = head.strip_prefix(b"\r\n").unwrap_or(head);
    if rest.len() < open.len() {
        return if open.as_bytes().starts_with(rest) {
            First::Incomplete
        } else {
            First::Malformed
        };
    }
    let Some(after) = rest.strip_prefix(open.as_bytes()) else {
        return First::Malformed;
    };
    let Some(end) = find(after, b"\r\n\r\n") else {
        return First::Incomplete;
    };
    let headers = String::from_utf8_lossy(&after[..end]);
    let Some(name) = part_name(&headers) else {
        return First::Malformed;
    };
    let value = &after[end + 4..];
    let close = format!("\r\n--{boundary}");
    match find(value, close.as_bytes()) {
        Some(at) => First::Complete(name, String::from_utf8_lossy(&value[..at]).into_owned()),
        None => First::Incomplete,
    }
}

/// The `name` of a part's `Content-Disposition: form-data; name="…"` header.
fn part_name(headers: &str) -> Option<String> {
    let line = headers
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    let (_, params) = line.split_once(':')?;
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case("name")).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// RFC 5987's encoding of a file name for `filename*=UTF-8''…`.
fn percent(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_part_is_read_as_it_arrives() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a.pdf\"\r\n\r\n%PDF";
        for cut in 0..60 {
            assert_eq!(first_part(&body[..cut], "XyZ"), First::Incomplete, "{cut}");
        }
        assert_eq!(
            first_part(body, "XyZ"),
            First::Complete("csrf".into(), "tok-1".into())
        );
        assert_eq!(first_part(b"garbage here", "XyZ"), First::Malformed);
    }

    #[test]
    fn a_file_name_is_not_the_name() {
        assert_eq!(
            part_name("Content-Disposition: form-data; filename=\"x\"; name=\"doc\""),
            Some("doc".into())
        );
    }

    #[test]
    fn kept_values_parse() {
        let sha = "a".repeat(64);
        assert_eq!(
            parse_kept(&format!("{sha}:скан: 1.pdf")),
            Some((sha.clone(), "скан: 1.pdf".into()))
        );
        assert_eq!(
            parse_kept(&format!(r#"{{"name":"p.pdf","sha256":"{sha}"}}"#)),
            Some((sha, "p.pdf".into()))
        );
        assert_eq!(parse_kept("identity-card.pdf"), None);
        assert_eq!(mib(10 * 1024 * 1024), "10");
        assert_eq!(
            percent("паспорт 1.pdf"),
            "%D0%BF%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82%201.pdf"
        );
    }
}
