//! The archive of closed cases ([`crate::archive`]):
//!
//! - `GET /archive?number=…` or `?iin=…`: the archived cases of a registration number or of
//!   an IIN (the applicant's or the representative's), under the search's rules — the
//!   caller's region (every region for `kz`) and the services their roles handle — and
//!   journalled as a search (`cases_searched`, `details.archive`: true);
//! - `POST /archive/{number}/restore`: an administrator of the case's region puts it back
//!   among the active cases, exactly as it was; journalled (`case_restored`).
//!
//! The clerks' search (`GET /cases?q=`, the search page) finds archived cases too; this is
//! the archive alone, for a tool that asks it.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, ErrorBody, Params, Source, Why, allowed};
use crate::accounts::{REPUBLIC, Role};
use crate::archive::Error;
use crate::audit::{Action, Entry};
use crate::store::archive::ArchivedCase;
use crate::worker::{self, Engine};

/// This part's endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(find))
        .routes(routes!(restore))
}

/// The most archived cases one IIN's answer lists.
pub const LIMIT: u32 = 200;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotArchived(number) => ApiError::NotFound(format!("archived case {number}")),
            Error::Engine(e) => ApiError::from(e),
            Error::Store(e) => ApiError::from(worker::Error::from(e)),
            Error::Audit(e) => {
                tracing::error!(error = %e, "archive: the audit record could not be appended");
                ApiError::Internal
            }
        }
    }
}

/// The query of `GET /archive`: one of the two.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FindParams {
    /// A registration number, whole (`QZ-2023-000123`).
    number: Option<String>,
    /// A 12-digit IIN: the applicant's or the representative's.
    iin: Option<String>,
}

/// What `GET /archive` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveAnswer {
    /// The archived cases found, newest first (at most 200).
    pub cases: Vec<ArchivedCase>,
}

/// Finds archived cases by registration number or IIN: those of the principal's region
/// (every region for `kz`) and of the services their roles handle. Journalled as a search
/// (`cases_searched`): who asked, how, and the numbers found; never the IIN.
#[utoipa::path(
    get,
    path = "/archive",
    tag = "cases",
    params(FindParams),
    responses(
        (status = 200, description = "The archived cases found (none is an empty list, not 404)", body = ArchiveAnswer),
        (status = 403, description = "The principal's roles handle no service (a methodologist, a system's account)", body = ErrorBody),
        (status = 422, description = "Neither or both of `number` and `iin`, or an IIN that is not 12 digits: `fields[0].field` names it", body = ErrorBody),
    ),
)]
async fn find(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    Params(params): Params<FindParams>,
) -> ApiResult<Json<ArchiveAnswer>> {
    let invalid = |field: &str, message: &str| {
        ApiError::Invalid(
            format!("query parameter `{field}`: {message}"),
            json!([{ "field": field, "message": message }]),
        )
    };
    let shared = engine.shared();
    let services = super::search::handled(shared, &p.account.roles);
    if services.is_empty() {
        return Err(p.denied(Why::Role(
            Role::ALL
                .into_iter()
                .filter(|r| !super::search::handled(shared, &[*r]).is_empty())
                .collect(),
        )));
    }
    let store = engine.store();
    let (kind, cases) = match (params.number, params.iin) {
        (Some(number), None) => {
            let number = number.trim().to_ascii_uppercase();
            if number.is_empty() {
                return Err(invalid("number", "a registration number"));
            }
            let found = store
                .archived_case(&number)
                .await
                .map_err(|e| ApiError::from(worker::Error::from(e)))?;
            ("number", found.into_iter().collect::<Vec<_>>())
        }
        (None, Some(iin)) => {
            let iin = iin.trim().to_string();
            if iin.len() != 12 || !iin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("iin", "12 digits"));
            }
            let found = store
                .archived_of_iin(&iin, LIMIT)
                .await
                .map_err(|e| ApiError::from(worker::Error::from(e)))?;
            ("iin", found)
        }
        _ => return Err(invalid("number", "give `number` or `iin`, one of them")),
    };
    let cases: Vec<ArchivedCase> = cases
        .into_iter()
        .filter(|c| p.account.region == REPUBLIC || c.region == p.account.region)
        .filter(|c| services.contains(&c.service))
        .collect();
    let shown: Vec<&str> = cases.iter().map(|c| c.number.as_str()).collect();
    let entry = Entry::new(p.login(), Action::CasesSearched)
        .source(source.0.as_deref())
        .details(json!({
            "kind": kind,
            "archive": true,
            "found": cases.len(),
            "shown": shown,
        }));
    engine.audit(entry).await?;
    Ok(Json(ArchiveAnswer { cases }))
}

/// Restores an archived case to the active cases, exactly as it was archived (its page,
/// history, tasks and documents); an administrator's, of the case's region. Journalled
/// (`case_restored`).
#[utoipa::path(
    post,
    path = "/archive/{number}/restore",
    tag = "cases",
    params(("number" = String, Path, description = "The registration number")),
    responses(
        (status = 200, description = "Restored: the case is at `GET /cases/{number}` again; the body is what the archive held of it", body = ArchivedCase),
        (status = 403, description = "Not an administrator, or not of the case's region", body = ErrorBody),
        (status = 404, description = "No archived case has the number", body = ErrorBody),
    ),
)]
async fn restore(
    State(engine): State<Engine>,
    Path(number): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<Json<ArchivedCase>> {
    Ok(Json(restoring(&engine, &p, &number, &source).await?))
}

/// An administrator of the case's region restores archived case `number`: what the API and
/// the case's page do.
pub async fn restoring(
    engine: &Engine,
    p: &Principal,
    number: &str,
    source: &Source,
) -> ApiResult<ArchivedCase> {
    p.require(&[Role::Administrator])
        .map_err(|e| e.on(number))?;
    let archived = engine
        .store()
        .archived_case(number)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("archived case {number}")))?;
    allowed(p, &archived.region, number)?;
    Ok(crate::archive::restore(engine, number, p.login(), source.0.as_deref()).await?)
}
