//! Reports: `GET /reports/compliance?service=&region=&from=&to=`, the term-compliance figures
//! of [`crate::compliance`] — per month the cases registered, rendered in and out of term
//! and the share in term, the time each step's tasks took, and the steps and clerks with the
//! most overdue work. The page `/compliance` and its CSV read the same answer
//! ([`reading`]).
//!
//! **Who may read it**: a head of department, a department director or an administrator
//! ([`READERS`]) — those who answer for the office's terms. Of their region only (`kz`: every
//! region, or the one asked for): a `region` other than the reader's is a refusal, journalled
//! like every other (`api::denial`). The figures carry no citizen's data — counts, step
//! names and the logins of the clerks — so an administrator, who reads no case, reads them.
//!
//! **Parameters**, each refused with 422 naming it: `service` a service the engine runs
//! (absent: every service), `region` a region code, `from` and `to` months as `YYYY-MM`
//! (absent: the last 12 full months and the current one, in Almaty), `from` not after `to`,
//! at most [`MAX_MONTHS`] months.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, ErrorBody, Params, Why};
use crate::accounts::{REPUBLIC, Role};
use crate::compliance::{self, Figures, MAX_MONTHS, Month, Period};
use crate::definition::Kind;
use crate::store::compliance as rows;
use crate::worker::{self, Engine};

/// This part's endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new().routes(routes!(compliance_report))
}

/// The roles that read the compliance figures.
pub const READERS: [Role; 3] = [
    Role::HeadOfDepartment,
    Role::DepartmentDirector,
    Role::Administrator,
];

/// The query of `GET /reports/compliance`, as sent: every value text, so that a wrong one
/// is refused naming its parameter rather than by the extractor.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceParams {
    /// The service (its id, `rehabilitated-person-certificate`); absent or empty: every
    /// service.
    pub service: Option<String>,
    /// The region (`almaty`); absent or empty: the reader's own — every region for an
    /// account of the whole republic (`kz`).
    pub region: Option<String>,
    /// The first month, `YYYY-MM`; absent: 12 months before `to`.
    #[param(example = "2026-01")]
    pub from: Option<String>,
    /// The last month, `YYYY-MM`; absent: the current month (Almaty).
    #[param(example = "2026-12")]
    pub to: Option<String>,
}

/// What a report was asked for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// The service, or every one.
    pub service: Option<String>,
    /// The region, or every one (a reader of `kz` who named none).
    pub region: Option<String>,
    /// The months.
    pub period: Period,
}

/// The compliance report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceReport {
    /// The service, or `null` for every service.
    pub service: Option<String>,
    /// The region, or `null` for every region.
    pub region: Option<String>,
    /// The first month, `YYYY-MM`.
    pub from: String,
    /// The last month, `YYYY-MM`.
    pub to: String,
    /// When the figures were made: "open past term" and "open overdue" are as of then.
    pub as_of: chrono::DateTime<chrono::Utc>,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The term-compliance figures of a service (or all) in a region (within the reader's) over
/// a period of months: per month the cases registered, rendered in term and late, the share
/// in term, not accepted, withdrawn and open past their term now; the median and 90th
/// percentile of each step's task time; the steps and clerks with the most overdue work.
#[utoipa::path(
    get,
    path = "/reports/compliance",
    tag = "reports",
    params(ComplianceParams),
    responses(
        (status = 200, description = "The figures", body = ComplianceReport),
        (status = 403, description = "Not a head of department, department director or administrator; or a region other than the account's", body = ErrorBody),
        (status = 422, description = "An unknown service, a region that is no region code, a month that is not `YYYY-MM`, `from` after `to`, or more than 36 months: `fields[0].field` names the parameter", body = ErrorBody),
    ),
)]
async fn compliance_report(
    State(engine): State<Engine>,
    p: Principal,
    Params(params): Params<ComplianceParams>,
) -> ApiResult<Json<ComplianceReport>> {
    let asked = asked(&engine, &p, &params)?;
    Ok(Json(reading(&engine, &asked).await?))
}

/// A parameter that cannot be read, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// `service` names no service the engine runs.
    Service(String),
    /// `region` is no region code.
    Region(String),
    /// `from` or `to` (the first value) is not a month as `YYYY-MM`.
    Month(&'static str, String),
    /// `from` is after `to`.
    Order,
    /// More than [`MAX_MONTHS`] months.
    Span,
}

impl Bad {
    /// The parameter (and the page's field) it is about.
    pub fn field(&self) -> &'static str {
        match self {
            Bad::Service(_) => "service",
            Bad::Region(_) => "region",
            Bad::Month(name, _) => name,
            Bad::Order | Bad::Span => "from",
        }
    }

    fn message(&self) -> String {
        match self {
            Bad::Service(s) => format!("`{s}` is not a service the engine runs"),
            Bad::Region(r) => format!(
                "`{r}` is not a region code: 2 to 32 characters, latin letters, digits, `_` or `-`"
            ),
            Bad::Month(_, t) => format!("`{t}` is not a month as `YYYY-MM`"),
            Bad::Order => "`from` is after `to`".into(),
            Bad::Span => format!("at most {MAX_MONTHS} months from `from` to `to`"),
        }
    }
}

impl From<Bad> for ApiError {
    fn from(bad: Bad) -> ApiError {
        let (name, message) = (bad.field(), bad.message());
        ApiError::Invalid(
            format!("query parameter `{name}`: {message}"),
            json!([{ "field": name, "message": message }]),
        )
    }
}

/// `params` read: the service, the region asked (not yet checked against the reader's) and
/// the period, or the first parameter that cannot be read.
pub fn parse(
    engine: &Engine,
    params: &ComplianceParams,
) -> Result<(Option<String>, Option<String>, Period), Bad> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let service = given(&params.service);
    if let Some(s) = &service
        && !services(engine).contains(s)
    {
        return Err(Bad::Service(s.clone()));
    }
    let region = match given(&params.region) {
        None => None,
        Some(r) => Some(crate::accounts::normalize_region(&r).map_err(|_| Bad::Region(r.clone()))?),
    };
    let month = |name: &'static str, v: &Option<String>| match given(v) {
        None => Ok(None),
        Some(t) => Month::parse(&t).map(Some).ok_or(Bad::Month(name, t)),
    };
    let (from, to) = (month("from", &params.from)?, month("to", &params.to)?);
    let to = to.unwrap_or(Period::default_at(engine.shared().clock.now()).to);
    let from = from.unwrap_or(to.plus(1 - compliance::DEFAULT_MONTHS as i32));
    if from > to {
        return Err(Bad::Order);
    }
    if from.span(to) > MAX_MONTHS {
        return Err(Bad::Span);
    }
    Ok((service, region, Period { from, to }))
}

/// The region `p` reads: the one asked when it is theirs (any, or none for all, for an
/// account of the whole republic), their own when none was asked; another is a refusal,
/// journalled by the router's layer.
pub fn scope(p: &Principal, asked: Option<String>) -> ApiResult<Option<String>> {
    match (asked, p.account.region.as_str()) {
        (None, REPUBLIC) => Ok(None),
        (Some(r), REPUBLIC) if r == REPUBLIC => Ok(None),
        (None, own) => Ok(Some(own.to_string())),
        (Some(r), own) if r == own => Ok(Some(r)),
        (Some(r), _) => Err(p.denied(Why::Region(r))),
    }
}

/// `params` checked for `p`: the role first (a refusal journalled), then each parameter (422
/// naming it), then the region against the reader's (a refusal journalled).
pub fn asked(engine: &Engine, p: &Principal, params: &ComplianceParams) -> ApiResult<Asked> {
    p.require(&READERS)?;
    let (service, region, period) = parse(engine, params)?;
    Ok(Asked {
        service,
        region: scope(p, region)?,
        period,
    })
}

/// The services the engine runs, by id, in the library's order.
pub fn services(engine: &Engine) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for d in &engine.shared().library.definitions {
        if d.kind == Kind::Service && !ids.contains(&d.id) {
            ids.push(d.id.clone());
        }
    }
    ids
}

/// The report `asked` (already checked: [`asked`]): read service by service, then figured.
pub async fn reading(engine: &Engine, asked: &Asked) -> ApiResult<ComplianceReport> {
    let now = engine.shared().clock.now();
    let (start, end) = (asked.period.start(), asked.period.end());
    let ids = match &asked.service {
        Some(s) => vec![s.clone()],
        None => services(engine),
    };
    let failed = |e| ApiError::from(worker::Error::from(e));
    let mut conn = engine.store().read().await.map_err(failed)?;
    let mut cases = Vec::new();
    let mut tasks = Vec::new();
    for id in &ids {
        let region = asked.region.as_deref();
        cases.extend(
            rows::cases(&mut conn, id, region, start, end)
                .await
                .map_err(failed)?,
        );
        tasks.extend(
            rows::tasks(&mut conn, id, region, start, end)
                .await
                .map_err(failed)?,
        );
    }
    conn.close().await;
    Ok(ComplianceReport {
        service: asked.service.clone(),
        region: asked.region.clone(),
        from: asked.period.from.to_string(),
        to: asked.period.to.to_string(),
        as_of: now,
        figures: compliance::figures(asked.period, &cases, &tasks, now),
    })
}
