//! A head of department's view of her department and the moves she makes in it (issue #18):
//! what is late and who holds it, and a task given to another clerk, taken over, or put back
//! in the queue when a clerk is away.
//!
//! Whose tasks are a department's is data: the catalog's `supervises` (a head of department
//! supervises the provider's specialists and the heads of her region; `workflows/catalog.yaml`),
//! read through [`crate::definition::catalog::Supervision`]. A supervisor sees and moves the
//! open tasks of the roles she supervises in her region (every region for `kz`); anyone whose
//! roles supervise nothing is refused, and the refusal journalled like every other.
//!
//! Each move is one writer command ([`crate::worker::writer::Steering`]): the assignee changed
//! only if it is still the one the head saw (else 409, nothing written), a line in the case's
//! history, the audit record, and an e-mail to each clerk concerned as an outbox job of the
//! case (`account:<login>`, resolved by the notifier to the account's corporate e-mail when it
//! is sent). The pages (`web::department`) call the same functions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{
    ApiError, ApiResult, Body, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Params, Source, Why, allowed,
    bad_param, flag_param, number_param, record,
};
use crate::accounts::{Account, Role};
use crate::audit::Action;
use crate::runtime::{Job, Work};
use crate::store::department::{Counts, Scope};
use crate::store::{Due, TaskQuery, TaskRow, TaskSort, TaskStatus};
use crate::worker::writer::Steering;
use crate::worker::{self, Engine};

/// The routes of this part of the API.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(department_tasks))
        .routes(routes!(reassign))
        .routes(routes!(take_over))
        .routes(routes!(release))
}

/// The roles whose open tasks `p` steers, in the catalog's order; refused (journalled) when
/// none: the department's view and moves are a supervisor's only.
pub fn supervised(engine: &Engine, p: &Principal) -> ApiResult<Vec<String>> {
    let supervision = &engine.shared().library.supervision;
    let roles = supervision.supervised_by(p.account.roles.iter().map(|r| r.as_str()));
    if roles.is_empty() {
        let supervisors: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| !supervision.supervised_by([r.as_str()]).is_empty())
            .collect();
        return Err(p.denied(Why::Role(supervisors)));
    }
    Ok(roles)
}

/// Whether `p` supervises `role`: what lets a head complete a task of a role she does not
/// hold once she has taken it over (`api::task_for`).
pub fn supervises(engine: &Engine, p: &Principal, role: &str) -> bool {
    engine
        .shared()
        .library
        .supervision
        .supervises(p.account.roles.iter().map(|r| r.as_str()), role)
}

/// The query of `GET /department/tasks`, as sent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DepartmentParams {
    /// The tasks of this role only, one the principal supervises (default: all of them).
    role: Option<String>,
    /// The tasks of cases of this service only (its id).
    service: Option<String>,
    /// The tasks this clerk holds only (a login).
    assignee: Option<String>,
    /// `true`: only the tasks past their due time.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// The most tasks in the answer: 0 to 500, 50 by default.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 500)]
    limit: Option<String>,
    /// How many tasks to skip, most urgent first: 0 (the default) to 2147483647.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 2147483647)]
    offset: Option<String>,
}

/// Which of a department's open tasks to list, and which page: what `GET /department/tasks`
/// takes and the department's page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentQuery {
    /// One supervised role; `None`: all of them.
    pub role: Option<String>,
    /// Of cases of this service only.
    pub service: Option<String>,
    /// Held by this login only.
    pub assignee: Option<String>,
    /// Overdue only.
    pub overdue: bool,
    /// At most this many.
    pub limit: u32,
    /// After skipping this many.
    pub offset: u32,
}

impl Default for DepartmentQuery {
    fn default() -> Self {
        DepartmentQuery {
            role: None,
            service: None,
            assignee: None,
            overdue: false,
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl DepartmentQuery {
    fn parse(q: DepartmentParams) -> ApiResult<DepartmentQuery> {
        let mut out = DepartmentQuery {
            role: q.role,
            service: q.service,
            assignee: q.assignee,
            overdue: flag_param("overdue", q.overdue.as_deref())?,
            ..DepartmentQuery::default()
        };
        if let Some(r) = &out.role
            && r.parse::<Role>().is_err()
        {
            return Err(bad_param("role", format!("`{r}` is not a role")));
        }
        if let Some(l) = q.limit {
            out.limit = number_param("limit", &l, 0, MAX_LIMIT)?;
        }
        if let Some(o) = q.offset {
            out.offset = number_param("offset", &o, 0, MAX_OFFSET)?;
        }
        Ok(out)
    }
}

/// A clerk of the department and what they hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentClerk {
    /// The login.
    pub login: String,
    /// The full name (staff only see it: the head's page and this answer).
    pub full_name: String,
    /// The account's roles that the principal supervises.
    pub roles: Vec<String>,
    /// The account's region.
    pub region: String,
    /// The department's tasks the clerk has claimed.
    pub claimed: u64,
    /// Of them, past their due time.
    pub overdue: u64,
    /// Of them, due today in Almaty.
    pub due_today: u64,
}

/// An open task of the department.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentTask {
    /// The task's key.
    pub key: String,
    /// The case's registration number.
    pub number: String,
    /// The case's service (its id).
    pub service: Option<String>,
    /// The step's path.
    pub step: String,
    /// The role whose queue it is in.
    pub role: String,
    /// The region.
    pub region: String,
    /// Open (in the queue) or claimed.
    pub status: TaskStatus,
    /// Who holds it.
    pub assignee: Option<String>,
    /// Their full name, when their account exists.
    pub assignee_name: Option<String>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Past its due time.
    pub overdue: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A department: its counts, its clerks and one page of its open tasks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Department {
    /// The roles supervised.
    pub roles: Vec<String>,
    /// The region (`null`: every region, for an account of the whole republic).
    pub region: Option<String>,
    /// Over every open task of the department, whatever the filters.
    pub counts: Counts,
    /// Each active clerk of the supervised roles in the region, and anyone else holding a
    /// task of the department, by login: those with nothing too, so the head sees who is free.
    pub clerks: Vec<DepartmentClerk>,
    /// The tasks of this page, most urgent first.
    pub tasks: Vec<DepartmentTask>,
    /// How many tasks the filters select, on every page.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// The tasks skipped before this page.
    pub offset: u32,
}

/// The open tasks of the roles the principal supervises in their region, the counts over
/// them, and the load of each clerk: what is late in the department and who holds it.
#[utoipa::path(
    get,
    path = "/department/tasks",
    tag = "department",
    params(DepartmentParams),
    responses(
        (status = 200, description = "The department and one page of its open tasks", body = Department),
        (status = 403, description = "The account supervises no role, or not the `role` asked for", body = super::ErrorBody),
        (status = 422, description = "A parameter's value is wrong, or the parameter unknown; `fields[0].field` names it", body = super::ErrorBody),
    ),
)]
async fn department_tasks(
    State(engine): State<Engine>,
    p: Principal,
    Params(params): Params<DepartmentParams>,
) -> ApiResult<Json<Department>> {
    let query = DepartmentQuery::parse(params)?;
    Ok(Json(overview(&engine, &p, &query).await?))
}

/// What `GET /department/tasks` answers and the department's page shows.
pub async fn overview(
    engine: &Engine,
    p: &Principal,
    q: &DepartmentQuery,
) -> ApiResult<Department> {
    let supervised = supervised(engine, p)?;
    let roles = match &q.role {
        Some(r) if supervised.contains(r) => vec![r.clone()],
        Some(r) => {
            return Err(p.denied(Why::Role(r.parse().into_iter().collect())));
        }
        None => supervised.clone(),
    };
    let region = (p.account.region != crate::accounts::REPUBLIC).then(|| p.account.region.clone());
    let now = engine.shared().clock.now();
    let today = match super::today_in_almaty(now) {
        Due::Window {
            from: Some(from),
            to,
        } => (from, to),
        _ => (now, now),
    };
    let store = engine.store();
    let internal = |e: crate::store::Error| ApiError::from(worker::Error::from(e));
    let scope = Scope {
        roles: &supervised,
        region: region.as_deref(),
        now,
        today,
    };
    let counts = store.department_counts(&scope).await.map_err(internal)?;
    let load = store.department_load(&scope).await.map_err(internal)?;
    let query = TaskQuery {
        roles: Some(roles),
        region: region.clone(),
        assignee: q.assignee.clone(),
        service: q.service.clone(),
        due: if q.overdue {
            Due::Before(now)
        } else {
            Due::Any
        },
        sort: TaskSort::Due,
        limit: q.limit.min(MAX_LIMIT),
        offset: q.offset,
        ..TaskQuery::default()
    };
    let (rows, total) = store.task_page(&query).await.map_err(internal)?;
    let accounts = {
        let mut conn = store.read().await.map_err(internal)?;
        crate::store::accounts::list_accounts(&mut conn)
            .await
            .map_err(accounts_failed)?
    };
    let name_of = |login: &str| {
        accounts
            .iter()
            .find(|a| a.login == login)
            .map(|a| a.full_name.clone())
    };
    let mut clerks: Vec<DepartmentClerk> = accounts
        .iter()
        .filter(|a| a.is_active())
        .filter(|a| region.as_deref().is_none_or(|r| a.region == r))
        .filter_map(|a| {
            let roles = department_roles(a, &supervised);
            (!roles.is_empty()).then(|| clerk(a, roles))
        })
        .collect();
    for l in load {
        if !clerks.iter().any(|c| c.login == l.assignee) {
            let account = accounts.iter().find(|a| a.login == l.assignee);
            clerks.push(match account {
                Some(a) => clerk(a, department_roles(a, &supervised)),
                None => DepartmentClerk {
                    login: l.assignee.clone(),
                    full_name: String::new(),
                    roles: Vec::new(),
                    region: String::new(),
                    claimed: 0,
                    overdue: 0,
                    due_today: 0,
                },
            });
        }
        if let Some(c) = clerks.iter_mut().find(|c| c.login == l.assignee) {
            c.claimed = l.claimed;
            c.overdue = l.overdue;
            c.due_today = l.due_today;
        }
    }
    clerks.sort_by(|a, b| a.login.cmp(&b.login));
    let mut numbers: Vec<String> = rows.iter().map(|r| r.number.clone()).collect();
    numbers.sort();
    numbers.dedup();
    let cases = store.cases_by_numbers(&numbers).await.map_err(internal)?;
    let tasks = rows
        .into_iter()
        .map(|row| DepartmentTask {
            service: cases
                .iter()
                .find(|c| c.number == row.number)
                .map(|c| c.service.clone()),
            assignee_name: row.assignee.as_deref().and_then(name_of),
            overdue: row.due_at.is_some_and(|d| d < now),
            key: row.key,
            number: row.number,
            step: row.step,
            role: row.role,
            region: row.region,
            status: row.status,
            assignee: row.assignee,
            due_at: row.due_at,
            created_at: row.created_at,
        })
        .collect();
    Ok(Department {
        roles: supervised,
        region,
        counts,
        clerks,
        tasks,
        total,
        limit: query.limit,
        offset: query.offset,
    })
}

/// The roles of `a` among `supervised`.
fn department_roles(a: &Account, supervised: &[String]) -> Vec<String> {
    a.roles
        .iter()
        .map(|r| r.as_str().to_string())
        .filter(|r| supervised.contains(r))
        .collect()
}

fn clerk(a: &Account, roles: Vec<String>) -> DepartmentClerk {
    DepartmentClerk {
        login: a.login.clone(),
        full_name: a.full_name.clone(),
        roles,
        region: a.region.clone(),
        claimed: 0,
        overdue: 0,
        due_today: 0,
    }
}

/// Why a task cannot go to the clerk named: said beside the field (`to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadTarget {
    /// No account has this login.
    Unknown,
    /// The account is blocked.
    Blocked,
    /// The account lacks the task's role.
    LacksRole,
    /// The account does not cover the task's region.
    OtherRegion,
    /// The clerk holds the task already.
    HoldsIt,
}

impl BadTarget {
    /// What the API says.
    pub fn message(self) -> &'static str {
        match self {
            BadTarget::Unknown => "no account has this login",
            BadTarget::Blocked => "the account is blocked",
            BadTarget::LacksRole => "the account does not have the task's role",
            BadTarget::OtherRegion => "the account does not work in the task's region",
            BadTarget::HoldsIt => "the clerk holds the task already",
        }
    }

    /// The key of what the page says, in `web::text`.
    pub fn text_key(self) -> &'static str {
        match self {
            BadTarget::Unknown => "dept_to_unknown",
            BadTarget::Blocked => "dept_to_blocked",
            BadTarget::LacksRole => "dept_to_lacks_role",
            BadTarget::OtherRegion => "dept_to_other_region",
            BadTarget::HoldsIt => "dept_to_holds_it",
        }
    }
}

/// Why a reassignment did not happen.
#[derive(Debug)]
pub enum Reassignment {
    /// The clerk named cannot take the task.
    To(BadTarget),
    /// Anything else, as the API says it.
    Refused(ApiError),
}

impl From<ApiError> for Reassignment {
    fn from(e: ApiError) -> Self {
        Reassignment::Refused(e)
    }
}

impl From<Reassignment> for ApiError {
    fn from(r: Reassignment) -> ApiError {
        match r {
            Reassignment::To(bad) => ApiError::Invalid(
                format!("`to`: {}", bad.message()),
                json!([{ "field": "to", "message": bad.message() }]),
            ),
            Reassignment::Refused(e) => e,
        }
    }
}

/// Who a task goes to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReassignBody {
    /// The login of an active clerk who has the task's role and works in its region.
    to: String,
}

/// Gives an open task to another clerk: one who is active, has the task's role and works in
/// its region. The former assignee (if any) and the new one are told by e-mail; the case's
/// history and the audit journal (`task_reassigned`) say who moved it from whom to whom.
#[utoipa::path(
    post,
    path = "/tasks/{key}/reassign",
    tag = "department",
    params(("key" = String, Path, description = "The task's key")),
    request_body = ReassignBody,
    responses(
        (status = 204, description = "The task is the new clerk's"),
        (status = 403, description = "The account does not supervise the task's role, or not in its region", body = super::ErrorBody),
        (status = 404, description = "No such task", body = super::ErrorBody),
        (status = 409, description = "The task is completed, or was completed or moved meanwhile: nothing changed", body = super::ErrorBody),
        (status = 422, description = "The clerk cannot take it (`fields[0].field` is `to`)", body = super::ErrorBody),
    ),
)]
async fn reassign(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
    Body(body): Body<ReassignBody>,
) -> ApiResult<StatusCode> {
    reassigning(&engine, &p, &key, &body.to, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a task over: the principal becomes its assignee, and may complete it although they
/// do not hold its role. The former assignee (if any) is told by e-mail; journalled as
/// `task_taken_over`.
#[utoipa::path(
    post,
    path = "/tasks/{key}/take-over",
    tag = "department",
    params(("key" = String, Path, description = "The task's key")),
    responses(
        (status = 204, description = "The task is the principal's"),
        (status = 403, description = "The account does not supervise the task's role, or not in its region", body = super::ErrorBody),
        (status = 404, description = "No such task", body = super::ErrorBody),
        (status = 409, description = "The principal holds it already, or it is completed, or was completed or moved meanwhile: nothing changed", body = super::ErrorBody),
    ),
)]
async fn take_over(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    taking_over(&engine, &p, &key, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts a task a clerk holds back in the queue of its role, unassigned. The clerk is told by
/// e-mail; journalled as `task_released`.
#[utoipa::path(
    post,
    path = "/tasks/{key}/release",
    tag = "department",
    params(("key" = String, Path, description = "The task's key")),
    responses(
        (status = 204, description = "Back in the queue"),
        (status = 403, description = "The account does not supervise the task's role, or not in its region", body = super::ErrorBody),
        (status = 404, description = "No such task", body = super::ErrorBody),
        (status = 409, description = "Nobody holds it, or it is completed, or was completed or moved meanwhile: nothing changed", body = super::ErrorBody),
    ),
)]
async fn release(
    State(engine): State<Engine>,
    Path(key): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    releasing(&engine, &p, &key, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Task `key`, if `p` steers it: of a role they supervise, in their region, still open or
/// claimed.
async fn steerable(engine: &Engine, p: &Principal, key: &str) -> ApiResult<TaskRow> {
    let supervised = supervised(engine, p).map_err(|e| on(e, key))?;
    let task = engine
        .store()
        .task(key)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("task {key}")))?;
    if !supervised.contains(&task.role) {
        return Err(on(
            p.denied(Why::Role(task.role.parse().into_iter().collect())),
            key,
        ));
    }
    allowed(p, &task.region, key)?;
    if task.status == TaskStatus::Closed {
        return Err(ApiError::Conflict(format!(
            "task {key} is already completed"
        )));
    }
    Ok(task)
}

/// A refusal of `p`, named on `object`.
fn on(e: ApiError, object: &str) -> ApiError {
    match e {
        ApiError::Denied(d) => d.on(object).into(),
        other => other,
    }
}

/// `p` gives task `key` to clerk `to`: see [`reassign`].
pub async fn reassigning(
    engine: &Engine,
    p: &Principal,
    key: &str,
    to: &str,
    source: &Source,
) -> Result<(), Reassignment> {
    let task = steerable(engine, p, key).await?;
    let login = to.trim().to_lowercase();
    let target = account(engine, &login).await?;
    let target = match target {
        None => return Err(Reassignment::To(BadTarget::Unknown)),
        Some(a) if !a.is_active() => return Err(Reassignment::To(BadTarget::Blocked)),
        Some(a) if !task.role.parse().is_ok_and(|r| a.has_role(r)) => {
            return Err(Reassignment::To(BadTarget::LacksRole));
        }
        Some(a) if !a.covers_region(&task.region) => {
            return Err(Reassignment::To(BadTarget::OtherRegion));
        }
        Some(a) if task.assignee.as_deref() == Some(a.login.as_str()) => {
            return Err(Reassignment::To(BadTarget::HoldsIt));
        }
        Some(a) => a,
    };
    steer(
        engine,
        p,
        &task,
        Move {
            to: Some(target.login.clone()),
            action: Action::TaskReassigned,
            kind: "task_reassigned",
        },
        source,
    )
    .await?;
    Ok(())
}

/// `p` takes task `key` over: see [`take_over`].
pub async fn taking_over(
    engine: &Engine,
    p: &Principal,
    key: &str,
    source: &Source,
) -> ApiResult<()> {
    let task = steerable(engine, p, key).await?;
    if task.assignee.as_deref() == Some(p.login()) {
        return Err(ApiError::Conflict(format!("task {key} is yours already")));
    }
    steer(
        engine,
        p,
        &task,
        Move {
            to: Some(p.login().to_string()),
            action: Action::TaskTakenOver,
            kind: "task_taken_over",
        },
        source,
    )
    .await
}

/// `p` puts task `key` back in the queue: see [`release`].
pub async fn releasing(
    engine: &Engine,
    p: &Principal,
    key: &str,
    source: &Source,
) -> ApiResult<()> {
    let task = steerable(engine, p, key).await?;
    if task.assignee.is_none() {
        return Err(ApiError::Conflict(format!("nobody holds task {key}")));
    }
    steer(
        engine,
        p,
        &task,
        Move {
            to: None,
            action: Action::TaskReleased,
            kind: "task_released",
        },
        source,
    )
    .await
}

/// The account of `login`, active or not.
async fn account(engine: &Engine, login: &str) -> ApiResult<Option<Account>> {
    let internal = |e: crate::store::Error| ApiError::from(worker::Error::from(e));
    let mut conn = engine.store().read().await.map_err(internal)?;
    crate::store::accounts::account_by_login(&mut conn, login)
        .await
        .map_err(accounts_failed)
}

/// A failure to read the accounts: a 5xx, logged.
fn accounts_failed(e: crate::store::accounts::Error) -> ApiError {
    match e {
        crate::store::accounts::Error::Store(e) => ApiError::from(worker::Error::Store(e)),
        other => {
            tracing::error!(error = %other, "reading the accounts failed");
            ApiError::Internal
        }
    }
}

/// The full name of `login`'s account; empty for none.
async fn full_name(engine: &Engine, login: Option<&str>) -> ApiResult<String> {
    match login {
        Some(l) => Ok(account(engine, l)
            .await?
            .map(|a| a.full_name)
            .unwrap_or_default()),
        None => Ok(String::new()),
    }
}

/// What a move does to a task.
struct Move {
    /// The new assignee; `None`: the queue.
    to: Option<String>,
    /// Its audit action.
    action: Action,
    /// Its history line's kind.
    kind: &'static str,
}

/// The template of the notice to the clerk a task was taken from.
pub const MOVED_AWAY: &str = "task_moved_away";
/// The template of the notice to the clerk a task was given to.
pub const GIVEN: &str = "task_given";

/// Moves `task` as `m` says, with its notices, history line and audit record in one command.
async fn steer(
    engine: &Engine,
    p: &Principal,
    task: &TaskRow,
    m: Move,
    source: &Source,
) -> ApiResult<()> {
    let from = task.assignee.clone();
    let detail = json!({ "task": task.key, "from": from, "to": m.to });
    let vars = notice_vars(engine, p, task, m.to.as_deref()).await?;
    let nonce: u64 = rand::random();
    let mut notices = Vec::new();
    let notice = |n: usize, login: &str, template: &str| Job {
        key: format!("{}-{}-{nonce:016x}-{n}", task.key, m.kind),
        work: Work::Notify {
            to: format!("account:{login}"),
            template: template.to_string(),
            channels: vec!["email".into()],
            urgent: false,
            credentials: None,
            awaited: false,
            vars: vars.clone(),
        },
    };
    // Whoever held it is told it is no longer theirs, unless they moved it themselves.
    if let Some(former) = from.as_deref().filter(|f| *f != p.login()) {
        notices.push(notice(0, former, MOVED_AWAY));
    }
    // Whoever it is given to is told, unless it is the one who moves it.
    if let Some(new) = m.to.as_deref().filter(|t| *t != p.login()) {
        notices.push(notice(1, new, GIVEN));
    }
    let entry = record(p.login(), m.action, &task.key, source)
        .details(json!({ "case": task.number, "from": from, "to": m.to }));
    engine
        .recording(entry)
        .steer(Steering {
            key: task.key.clone(),
            step: task.step.clone(),
            from,
            to: m.to,
            by: p.login().to_string(),
            kind: m.kind,
            detail,
            notices,
        })
        .await?;
    Ok(())
}

/// What the clerks' notices print: the case's number, its service and step in both
/// languages, and who moved the task from whom to whom (logins and staff names; nothing of
/// the citizen's). Kazakh first, the state language; the text has both.
async fn notice_vars(
    engine: &Engine,
    p: &Principal,
    task: &TaskRow,
    to: Option<&str>,
) -> ApiResult<Value> {
    use crate::definition::messages::Lang;
    let shared = engine.shared();
    let case = engine
        .store()
        .case_by_number(&task.number)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?
        .ok_or_else(|| ApiError::NotFound(format!("case {}", task.number)))?;
    let def = shared
        .pinned(&case.service, &case.version)
        .ok()
        .map(|(d, _)| d);
    let step = def
        .and_then(|d| shared.step_at(d, &task.step))
        .map(|(_, step)| step);
    let title = |lang: Lang| {
        step.map_or_else(
            || task.step.clone(),
            |s| crate::definition::graph::title(s, lang),
        )
    };
    Ok(json!({
        "language": "kk",
        "registration_number": task.number,
        "service_title": def.map(|d| d.title.kk.clone()).unwrap_or_default(),
        "service_title_ru": def.map(|d| d.title.ru.clone()).unwrap_or_default(),
        "step": task.step,
        "step_title": title(Lang::Kk),
        "step_title_ru": title(Lang::Ru),
        "from": task.assignee.clone().unwrap_or_default(),
        "from_name": full_name(engine, task.assignee.as_deref()).await?,
        "to": to.unwrap_or_default(),
        "to_name": full_name(engine, to).await?,
        "by": p.login(),
        "by_name": p.account.full_name,
    }))
}
