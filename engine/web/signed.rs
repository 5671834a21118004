//! The evidence of an application filed through the eGov portal, on the case's pages: the
//! bytes the citizen signed and the detached CMS signature, downloaded exactly as they were
//! filed (`store::portal`), for the staff who may open the case — so a clerk, an appeal or an
//! auditor can verify the signature again with any CMS tool.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use base64ct::Encoding;
use serde_json::json;

use super::{Clerk, PageResult};
use crate::api::{self, ApiError, Source};
use crate::audit::Action;
use crate::service::Service;
use crate::store;
use crate::worker;

/// The two files' routes.
pub fn routes() -> Router<Service> {
    Router::new().route("/case/{number}/portal/{file}", get(download))
}

/// The link of the signed document (`document.json`) or the signature (`signature.p7s`).
pub fn href(number: &str, file: &str) -> String {
    format!("/case/{number}/portal/{file}")
}

/// `GET /case/{number}/portal/{document.json|signature.p7s}`: the evidence of a portal
/// filing, for the staff of the case's region; each download journalled (`document_opened`).
async fn download(
    State(service): State<Service>,
    Clerk(p): Clerk,
    source: Source,
    Path((number, file)): Path<(String, String)>,
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
    let evidence = store::portal::of_case(&mut conn, &number)
        .await
        .map_err(worker::Error::from)?;
    drop(conn);
    let Some(evidence) = evidence else {
        return Err(ApiError::NotFound(format!("signed application of case {number}")).into());
    };
    let (bytes, content_type) = match file.as_str() {
        "document.json" => (
            evidence.document.into_bytes(),
            "application/json; charset=utf-8",
        ),
        "signature.p7s" => (
            base64ct::Base64::decode_vec(&evidence.signature).map_err(|_| {
                tracing::error!(case = %number, "a kept portal signature is not base64");
                ApiError::Internal
            })?,
            "application/pkcs7-signature",
        ),
        _ => return Err(ApiError::NotFound(format!("{file} of case {number}")).into()),
    };
    engine
        .audit(
            api::record(p.login(), Action::DocumentOpened, &number, &source)
                .details(json!({ "portal": file, "sha256": evidence.document_sha256 })),
        )
        .await?;
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{number}-{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
