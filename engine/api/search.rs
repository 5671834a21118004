//! Search of cases: `GET /cases?q=…&page=N`, by registration number, IIN or surname, over
//! the open and closed cases a clerk may see — of their region (every region for an account
//! of the whole republic, `kz`), of the services their roles handle — newest first, in pages
//! of [`PER_PAGE`] with the total.
//!
//! **Who may search.** A search shows names and IINs, so it follows the rule a clerk's access
//! follows: within their duties (seeds/003 item 30). The services a principal's roles handle
//! are read from the definitions — the roles a service names for its tasks, their escalations
//! and notices, its sub-workflows', and who files it (`submitted_by`) — and a search finds
//! the cases of those services only: an administrator the access requests, a front-office
//! operator and a specialist the citizens' services. An account whose roles handle no service
//! (a methodologist, a system's account) is refused, and the refusal journalled.
//!
//! **Every search is journalled** (`cases_searched`): who, from where, how the query was
//! understood (by number, IIN or surname), how many cases it found, and the registration
//! numbers of the page shown — who looked for whom, by the identifiers the system gives people
//! (engine/audit/mod.rs: the journal carries no personal data). A registration number asked
//! for is kept as typed: it is such an identifier. An IIN or a surname is not kept: the cases
//! it found name the people, and a search that found nothing found no one. Tracing logs get
//! neither.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, ErrorBody, Params, Source, Why};
use crate::accounts::{REPUBLIC, Role};
use crate::audit::{Action, Entry};
use crate::definition::model::{Definition, Recipient, RungAction, StepKind};
use crate::store::search::{CaseSearch, Found, Query, Unusable};
use crate::worker::{self, Engine, Shared};

/// This part's endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new().routes(routes!(search))
}

/// The cases one page of a search holds.
pub const PER_PAGE: u32 = 50;

/// The last page a search turns to: 10,000 cases deep is past any list a clerk reads.
pub const MAX_PAGE: u32 = 200;

/// The query of `GET /cases`, as sent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// What to look for: a registration number, whole or its beginning (`QZ-2026-000123`,
    /// `QZ-2026-0001`) or its serial (`123`); a 12-digit IIN, the applicant's or the
    /// representative's, exactly; otherwise the beginning of a surname (at least 2 letters,
    /// any case, Kazakh and Russian letters alike), or of a full name with more words.
    q: Option<String>,
    /// The page, from 1 (the default) to 200; 50 cases each, newest first.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    page: Option<String>,
}

/// How a search was understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    /// A registration number, or its serial.
    Number,
    /// An IIN.
    Iin,
    /// A surname (or a full name).
    Surname,
}

impl QueryKind {
    /// The kind of `query`.
    pub fn of(query: &Query) -> QueryKind {
        match query {
            Query::Number { .. } | Query::Serial(_) => QueryKind::Number,
            Query::Iin(_) => QueryKind::Iin,
            Query::Surname { .. } => QueryKind::Surname,
        }
    }

    /// `number`, `iin` or `surname`.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryKind::Number => "number",
            QueryKind::Iin => "iin",
            QueryKind::Surname => "surname",
        }
    }
}

/// One page of a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchPage {
    /// What was asked, as typed (trimmed).
    pub query: String,
    /// How it was understood.
    pub kind: QueryKind,
    /// The cases of this page, newest first.
    pub cases: Vec<Found>,
    /// How many cases the search finds, on every page.
    pub total: u64,
    /// This page, from 1.
    pub page: u32,
    /// Cases per page.
    pub per_page: u32,
}

/// Finds cases by registration number, IIN or surname: the open and closed cases of the
/// principal's region (every region for `kz`) and of the services the principal's roles
/// handle, newest first, 50 a page, with the total. Every search is journalled
/// (`cases_searched`): who asked what, and what it found.
#[utoipa::path(
    get,
    path = "/cases",
    tag = "cases",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of the cases found (none is an empty page, not 404)", body = SearchPage),
        (status = 403, description = "The principal's roles handle no service (a methodologist, a system's account)", body = ErrorBody),
        (status = 422, description = "`q` is missing, blank, over 100 characters, or a surname's beginning under 2 letters; or `page` is not 1 to 200: `fields[0].field` names it", body = ErrorBody),
    ),
)]
async fn search(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    Params(params): Params<SearchParams>,
) -> ApiResult<Json<SearchPage>> {
    let text = params.q.unwrap_or_default();
    let query = Query::parse(&text).map_err(|u| unusable(u, "q"))?;
    let page = match params.page {
        None => 1,
        Some(p) => super::number_param("page", &p, 1, MAX_PAGE)?,
    };
    Ok(Json(
        searching(&engine, &p, &query, text.trim(), page, &source).await?,
    ))
}

/// The refusal of a text that is no search, naming parameter `field`.
pub fn unusable(u: Unusable, field: &str) -> ApiError {
    let message = match u {
        Unusable::Empty => {
            "say what to look for: a registration number, an IIN or a surname".to_string()
        }
        Unusable::TooShort => format!(
            "a surname's beginning has at least {} letters",
            Query::MIN_SURNAME
        ),
        Unusable::TooLong => format!("at most {} characters", Query::MAX_LEN),
    };
    ApiError::Invalid(
        format!("query parameter `{field}`: {message}"),
        json!([{ "field": field, "message": message }]),
    )
}

/// `p` searches the cases for `query` (typed as `text`), page `page` (from 1): the cases of
/// the principal's region and of the services their roles handle; refused, and the refusal
/// journalled, when their roles handle none. The search and what it found are journalled.
/// What `GET /cases` answers and the search page shows.
pub async fn searching(
    engine: &Engine,
    p: &Principal,
    query: &Query,
    text: &str,
    page: u32,
    source: &Source,
) -> ApiResult<SearchPage> {
    let shared = engine.shared();
    let services = handled(shared, &p.account.roles);
    if services.is_empty() {
        return Err(p.denied(Why::Role(case_roles(shared))));
    }
    let every = shared
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == crate::definition::Kind::Service)
        .all(|d| services.contains(&d.id));
    let page = page.clamp(1, MAX_PAGE);
    let search = CaseSearch {
        query: query.clone(),
        region: (p.account.region != REPUBLIC).then(|| p.account.region.clone()),
        services: (!every).then(|| services.into_iter().collect()),
        limit: PER_PAGE,
        offset: (page - 1) * PER_PAGE,
    };
    let (found, total) = engine
        .store()
        .search_cases(&search)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?;
    let kind = QueryKind::of(query);
    let shown: Vec<&str> = found.iter().map(|f| f.number.as_str()).collect();
    let entry = Entry::new(p.login(), Action::CasesSearched)
        .source(source.0.as_deref())
        .details(json!({
            "kind": kind.as_str(),
            "query": (kind == QueryKind::Number).then_some(text),
            "found": total,
            "page": page,
            "shown": shown,
        }));
    engine.audit(entry).await?;
    Ok(SearchPage {
        query: text.to_string(),
        kind,
        cases: found,
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// The services whose cases `roles` handle: a role a service (or a sub-workflow it calls)
/// names for a task, a task's escalation, a notice, the term's escalation, or among those who
/// file it. Every version counts: a case runs under the version it started with.
pub fn handled(shared: &Shared, roles: &[Role]) -> BTreeSet<String> {
    let names: BTreeSet<&str> = roles.iter().map(|r| r.as_str()).collect();
    shared
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == crate::definition::Kind::Service)
        .filter(|d| {
            roles_of(shared, d, 0)
                .iter()
                .any(|r| names.contains(r.as_str()))
        })
        .map(|d| d.id.clone())
        .collect()
}

/// Every role that handles some service: what a refusal says is needed.
fn case_roles(shared: &Shared) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| !handled(shared, &[*r]).is_empty())
        .collect()
}

/// The roles definition `def` names for its cases, through its sub-workflow calls (a call
/// chain is at most a few deep; `depth` stops a cycle the loader would have refused anyway).
fn roles_of(shared: &Shared, def: &Definition, depth: u32) -> BTreeSet<String> {
    let mut roles: BTreeSet<String> = super::filing_readers(def)
        .iter()
        .map(|r| r.as_str().to_string())
        .collect();
    let rungs = |rungs: &[crate::definition::model::Rung], roles: &mut BTreeSet<String>| {
        for rung in rungs {
            match &rung.action {
                RungAction::Notify(r) | RungAction::Reassign(r) => {
                    roles.insert(r.clone());
                }
                RungAction::RemindAssignee => {}
            }
        }
    };
    if let Some(term) = &def.term {
        rungs(&term.escalation, &mut roles);
    }
    for step in &def.steps {
        match &step.kind {
            StepKind::Task(task) => {
                roles.insert(task.role.clone());
                rungs(&task.escalation, &mut roles);
            }
            StepKind::Notify {
                to: Recipient::Role(r),
                ..
            } => {
                roles.insert(r.clone());
            }
            StepKind::Call { workflow, .. } if depth < 8 => {
                if let Some(sub) = shared.subworkflows.get(workflow) {
                    roles.extend(roles_of(shared, sub, depth + 1));
                }
            }
            _ => {}
        }
    }
    roles
}
