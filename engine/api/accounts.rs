//! The administrator's accounts: search and list, create on an access request, block,
//! unblock and reset a password (a `password-reset` case e-mails a new temporary password),
//! unlock after wrong passwords, change roles and region, reactivate on a new request, the
//! journal of logins issued (seeds/003 appendix 1), and API tokens for systems — issued,
//! listed without their secret, revoked (seeds/003 items 19-29; issues #18, #19). Every
//! change is made by `crate::accounts`, which journals it in the same transaction, and an
//! administrator acts on the accounts of their region only (`kz`: every region).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Principal, account_error};
use super::{ApiError, ApiResult, Body, ErrorBody, Params, Source};
use crate::accounts::{self, BlockReason, NewAccount, Role, listing};
use crate::store;
use crate::worker::Engine;

/// The accounts endpoints; every one is the administrator's.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(journal))
        .routes(routes!(one))
        .routes(routes!(block))
        .routes(routes!(unblock))
        .routes(routes!(password_reset))
        .routes(routes!(unlock))
        .routes(routes!(rights))
        .routes(routes!(reactivate))
        .routes(routes!(tokens, token))
        .routes(routes!(revoke))
}

/// A period as UTC bounds `[since, until)`; either open.
pub type Period = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A query's mistakes: each field's name and what is wrong with it, in English.
pub type Mistakes = Vec<(&'static str, String)>;

/// What `GET /accounts` searches for; every part optional.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// A part of the login or of the full name, in any case.
    #[serde(default)]
    pub q: Option<String>,
    /// A role the account has (`provider_specialist`).
    #[serde(default)]
    pub role: Option<String>,
    /// The account's region (`almaty`; `kz`: the republic's accounts).
    #[serde(default)]
    pub region: Option<String>,
    /// `active`, `blocked`, `locked` (a source locked out after wrong passwords, for a
    /// while) or `must_change_password` (still on the temporary password).
    #[serde(default)]
    pub status: Option<String>,
    /// The page, from 1, of 50 accounts; without it, every account found.
    #[serde(default)]
    pub page: Option<String>,
}

impl AccountsQuery {
    /// The search, or the mistakes by field (an unknown role or status, a page that is not a
    /// number).
    pub fn parse(&self) -> Result<(listing::Query, Option<usize>), Mistakes> {
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let mut wrong = Vec::new();
        let role = match blank(&self.role) {
            None => None,
            Some(r) => match r.parse::<Role>() {
                Ok(r) => Some(r),
                Err(_) => {
                    wrong.push(("role", format!("`{r}` is not a role")));
                    None
                }
            },
        };
        let state = match blank(&self.status) {
            None => None,
            Some(s) => match listing::State::parse(&s) {
                Some(s) => Some(s),
                None => {
                    wrong.push((
                        "status",
                        format!(
                            "`{s}` is not a status: active, blocked, locked or must_change_password"
                        ),
                    ));
                    None
                }
            },
        };
        let page = match blank(&self.page) {
            None => None,
            Some(p) => match p.parse::<usize>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    wrong.push(("page", format!("`{p}` is not a page number (1, 2, …)")));
                    None
                }
            },
        };
        if !wrong.is_empty() {
            return Err(wrong);
        }
        Ok((
            listing::Query {
                q: blank(&self.q),
                role,
                region: blank(&self.region).map(|r| r.to_ascii_lowercase()),
                state,
            },
            page,
        ))
    }
}

/// The mistakes of a query, as the API's 422 with each field named.
fn wrong_query(wrong: Mistakes) -> ApiError {
    let message = wrong
        .iter()
        .map(|(f, m)| format!("{f}: {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    let fields: Vec<Value> = wrong
        .into_iter()
        .map(|(f, m)| json!({ "field": f, "message": m }))
        .collect();
    ApiError::Invalid(message, Value::Array(fields))
}

/// The accounts of the administrator's region (`kz`: all), found by the query, without
/// password hashes: the same shape as before the search was added, each account with its
/// `state` and `locked_until` besides; `X-Total-Count` says how many were found in all.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    params(AccountsQuery),
    responses(
        (status = 200, description = "The accounts found, by login (a page of 50 with `page`): `login`, `full_name`, `email`, `roles`, `region`, `status`, `must_change_password`, the sign-in and password times and counters, `state` and `locked_until`; the header `X-Total-Count` has how many were found", body = Vec<Object>),
        (status = 422, description = "An unknown role or status, or a page that is not a number (`fields`)", body = ErrorBody),
    ),
)]
async fn list(
    State(engine): State<Engine>,
    p: Principal,
    Params(query): Params<AccountsQuery>,
) -> ApiResult<(HeaderMap, Json<Value>)> {
    let (query, page) = query.parse().map_err(wrong_query)?;
    let found = searching(&engine, &p, &query, page).await?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(found.total));
    let accounts: Vec<Value> = found
        .accounts
        .iter()
        .map(listed_json)
        .collect::<ApiResult<_>>()?;
    Ok((headers, Json(Value::Array(accounts))))
}

/// An account as the API lists it: the account, its state and its lock.
fn listed_json(l: &listing::Listed) -> ApiResult<Value> {
    let mut v = super::to_json(&l.account)?;
    v["state"] = json!(l.state);
    v["locked_until"] = json!(l.locked_until);
    Ok(v)
}

/// Every account; the administrator's only. (The accounts page's tokens name their
/// account by login.)
pub async fn listing(engine: &Engine, p: &Principal) -> ApiResult<Vec<accounts::Account>> {
    p.require(&[Role::Administrator])?;
    let listed = match engine.store().read().await {
        Ok(mut conn) => store::accounts::list_accounts(&mut conn).await,
        Err(e) => Err(e.into()),
    };
    listed.map_err(|e| {
        tracing::error!(error = %e, "listing accounts failed");
        ApiError::Internal
    })
}

/// The accounts of `p`'s region that answer `query`, page `page` (`None`: all); what `GET
/// /accounts` and the accounts page show. The administrator's only.
pub async fn searching(
    engine: &Engine,
    p: &Principal,
    query: &listing::Query,
    page: Option<usize>,
) -> ApiResult<listing::Page> {
    let all = listing(engine, p).await?;
    let now = engine.shared().clock.now();
    let locks = match engine.store().read().await {
        Ok(mut conn) => store::accounts::locks(&mut conn, now).await,
        Err(e) => Err(e.into()),
    }
    .map_err(|e| {
        tracing::error!(error = %e, "reading sign-in locks failed");
        ApiError::Internal
    })?;
    let visible = all
        .into_iter()
        .filter(|a| p.account.covers_region(&a.region))
        .collect();
    Ok(listing::search(visible, &locks, query, page))
}

/// The account `login` with its state and lock, for an administrator of its region: 404
/// when there is none, a refusal (journalled) when it is another region's.
pub async fn account_in_scope(
    engine: &Engine,
    p: &Principal,
    login: &str,
) -> ApiResult<listing::Listed> {
    p.require(&[Role::Administrator]).map_err(|e| e.on(login))?;
    let account = account_named(engine, login).await?;
    p.require_region(&account.region)
        .map_err(|e| e.on(&account.login))?;
    let now = engine.shared().clock.now();
    let locks = match engine.store().read().await {
        Ok(mut conn) => store::accounts::locks(&mut conn, now).await,
        Err(e) => Err(e.into()),
    }
    .map_err(|e| {
        tracing::error!(error = %e, "reading sign-in locks failed");
        ApiError::Internal
    })?;
    let locked_until = locks.get(&account.id).copied();
    Ok(listing::Listed {
        state: listing::State::of(&account, locked_until),
        account,
        locked_until,
    })
}

/// One account, with its `state` and `locked_until`; an administrator's of its region.
#[utoipa::path(
    get,
    path = "/accounts/{login}",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 200, description = "The account, as `GET /accounts` lists it", body = Object),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn one(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    p: Principal,
) -> ApiResult<Json<Value>> {
    let listed = account_in_scope(&engine, &p, &login).await?;
    Ok(Json(listed_json(&listed)?))
}

/// An access request granted (seeds/003 item 19, appendix 2).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// The login.
    pub login: String,
    /// The person's full name.
    pub full_name: String,
    /// The corporate e-mail.
    pub email: String,
    /// The roles: `front_office_operator`, `provider_specialist`,
    /// `state_corporation_specialist`, `head_of_department`, `department_director`,
    /// `methodologist`, `administrator`; for the account of a system that calls back, `gateway_system` or
    /// `sms_provider_system` (then issue it a token: `POST /accounts/{login}/tokens`).
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// The region.
    pub region: String,
}

/// Creates an account; returns it and its temporary password (shown once).
pub async fn creating(
    engine: &Engine,
    p: &Principal,
    body: CreateBody,
    source: Option<String>,
) -> Result<(accounts::Account, String), ApiError> {
    registering(engine, p, body, source)
        .await?
        .map_err(account_error)
}

/// Creates an account; the inner error is the account's refusal (the login taken or
/// malformed, no role, a bad region) kept whole, for the page to say it in the
/// administrator's language. The outer one: not an administrator, or the engine failed.
pub async fn registering(
    engine: &Engine,
    p: &Principal,
    body: CreateBody,
    source: Option<String>,
) -> Result<Result<(accounts::Account, String), accounts::Error>, ApiError> {
    p.require(&[Role::Administrator])?;
    let new = NewAccount {
        login: body.login,
        full_name: body.full_name,
        email: body.email,
        roles: body.roles,
        region: body.region,
        created_by: p.login().to_string(),
    };
    // Hashed here, not in the writer's transaction, which every commit waits for.
    let temporary = match accounts::TemporaryPassword::new().await {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    Ok(engine
        .transact(move |conn, now| {
            let (new, temporary, source) = (new.clone(), temporary.clone(), source.clone());
            Box::pin(async move {
                accounts::register(conn, &new, &temporary, source.as_deref(), now).await
            })
        })
        .await?)
}

/// An account created.
#[derive(Debug, Serialize, ToSchema)]
struct Created {
    /// The login.
    login: String,
    /// The roles.
    #[schema(value_type = Vec<String>)]
    roles: Vec<Role>,
    /// The region.
    region: String,
    /// The temporary password, shown this once; it must be changed at the first sign-in.
    temporary_password: String,
}

/// Creates an account on an access request; answers its temporary password, once.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "accounts",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created", body = Created),
        (status = 409, description = "The login is taken", body = ErrorBody),
        (status = 422, description = "The body is wrong, the login malformed, no role, or an unknown region", body = ErrorBody),
    ),
)]
async fn create(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    Body(body): Body<CreateBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let (account, temporary) = creating(&engine, &p, body, source.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            login: account.login,
            roles: account.roles,
            region: account.region,
            temporary_password: temporary,
        }),
    ))
}

/// Why an administrator blocks an account (`?reason=`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlockQuery {
    /// `administrator` (the default: a dismissal, a transfer, seeds/003 item 27) or
    /// `security_violation` (item 28).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The reason an administrator may give, or the mistake naming the field.
pub fn block_reason(reason: Option<&str>) -> Result<BlockReason, ApiError> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(BlockReason::Administrator),
        Some(r) => match BlockReason::parse(r) {
            Some(reason @ (BlockReason::Administrator | BlockReason::SecurityViolation)) => {
                Ok(reason)
            }
            _ => Err(ApiError::Invalid(
                format!("reason: `{r}` is not administrator or security_violation"),
                json!([{ "field": "reason", "message": "administrator or security_violation" }]),
            )),
        },
    }
}

/// `p` blocks `login` for `reason` (an administrator of its region): `accounts::block`, the
/// same operation as an access request's `block`, journalled with it. The inner error is the
/// account's refusal (the last active administrator) for the page to say in its language.
pub async fn blocking(
    engine: &Engine,
    p: &Principal,
    login: &str,
    reason: BlockReason,
    source: Option<String>,
) -> ApiResult<Result<bool, accounts::Error>> {
    let account = account_in_scope(engine, p, login).await?.account;
    let by = p.login().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let (login, by, source) = (account.login.clone(), by.clone(), source.clone());
            Box::pin(async move {
                accounts::block(conn, &login, reason, &by, source.as_deref(), now).await
            })
        })
        .await?)
}

/// Blocks an account (its sessions and tokens stop working); never the last active
/// administrator.
#[utoipa::path(
    post,
    path = "/accounts/{login}/block",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login"), BlockQuery),
    responses(
        (status = 204, description = "Blocked"),
        (status = 200, description = "It was blocked already"),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "`last_administrator`: it is the last active administrator, who alone could unblock accounts", body = ErrorBody),
        (status = 422, description = "The login is malformed, or the reason not one an administrator gives", body = ErrorBody),
    ),
)]
async fn block(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    Params(query): Params<BlockQuery>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    p.require(&[Role::Administrator])
        .map_err(|e| e.on(&login))?;
    let reason = block_reason(query.reason.as_deref())?;
    let done = blocking(&engine, &p, &login, reason, source.0)
        .await?
        .map_err(account_error)?;
    Ok(if done {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    })
}

/// What a new temporary password is for (the e-mail says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// A blocked account activated again (seeds/003 item 29).
    Unblock,
    /// A lost password replaced (item 29).
    LostPassword,
}

impl Reset {
    /// The value of the `password-reset` case's `reset.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reset::Unblock => "unblock",
            Reset::LostPassword => "lost_password",
        }
    }
}

/// The language of the e-mail a reset sends (`?language=kk|ru`, Kazakh by default).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResetQuery {
    /// `kk` (the default) or `ru`: the e-mail's language.
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub language: Option<crate::runtime::Language>,
}

/// The case that sends a new temporary password: its registration number (the basis
/// recorded on the account, seeds/003 appendix 1).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetFiled {
    /// The `password-reset` case's registration number.
    pub number: String,
}

/// `p` has a new temporary password e-mailed to `login`'s corporate e-mail (seeds/003 items
/// 20, 22, 29): files a case of the `password-reset` service (workflows/password-reset) with
/// the account's login, full name and e-mail, which activates the account with a fresh
/// temporary password through `qyzmet.accounts` (the access request's `reactivate`) and
/// sends it — made at the moment the e-mail goes, stored nowhere. `Unblock` is for a blocked
/// account only ([`accounts::Error::NotBlocked`]), `LostPassword` for an active one
/// ([`accounts::Error::Blocked`]); an account without an e-mail cannot get one
/// ([`accounts::Error::NoEmail`]). Returns the case's number.
pub async fn resetting(
    engine: &Engine,
    p: &Principal,
    login: &str,
    reset: Reset,
    language: crate::runtime::Language,
    source: &Source,
) -> ApiResult<Result<String, accounts::Error>> {
    let account = account_in_scope(engine, p, login).await?.account;
    let login = account.login.clone();
    match (reset, account.is_active()) {
        (Reset::Unblock, true) => return Ok(Err(accounts::Error::NotBlocked(login))),
        (Reset::LostPassword, false) => return Ok(Err(accounts::Error::Blocked(login))),
        _ => {}
    }
    if account.email.trim().is_empty() {
        return Ok(Err(accounts::Error::NoEmail(login)));
    }
    let submission = crate::runtime::Submission {
        data: json!({
            "reset.kind": reset.as_str(),
            "applicant.full_name": account.full_name,
            "applicant.email": account.email,
            "user.login": account.login,
        }),
        channel: "internal".into(),
        language,
        sms_consent: false,
        region: account.region.clone(),
    };
    let filed = super::filing(
        engine,
        p,
        accounts::journal::PASSWORD_RESET,
        submission,
        None,
        source,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Ok(filed.number))
}

/// Activates a blocked account again: a `password-reset` case e-mails a new temporary
/// password to the account's corporate e-mail (seeds/003 item 29), to be changed at the
/// first sign-in; never shown here.
#[utoipa::path(
    post,
    path = "/accounts/{login}/unblock",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login"), ResetQuery),
    responses(
        (status = 202, description = "The case that unblocks it and sends the password", body = ResetFiled),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "It is not blocked, or has no e-mail", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn unblock(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    Params(query): Params<ResetQuery>,
    source: Source,
    p: Principal,
) -> ApiResult<(StatusCode, Json<ResetFiled>)> {
    let language = query.language.unwrap_or_default();
    let number = resetting(&engine, &p, &login, Reset::Unblock, language, &source)
        .await?
        .map_err(account_error)?;
    Ok((StatusCode::ACCEPTED, Json(ResetFiled { number })))
}

/// Replaces a lost password: a `password-reset` case e-mails a new temporary password to the
/// account's corporate e-mail (seeds/003 item 29), to be changed at the first sign-in.
#[utoipa::path(
    post,
    path = "/accounts/{login}/password-reset",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login"), ResetQuery),
    responses(
        (status = 202, description = "The case that sends the new password", body = ResetFiled),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "It is blocked (unblock it), or has no e-mail", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn password_reset(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    Params(query): Params<ResetQuery>,
    source: Source,
    p: Principal,
) -> ApiResult<(StatusCode, Json<ResetFiled>)> {
    let language = query.language.unwrap_or_default();
    let number = resetting(&engine, &p, &login, Reset::LostPassword, language, &source)
        .await?
        .map_err(account_error)?;
    Ok((StatusCode::ACCEPTED, Json(ResetFiled { number })))
}

/// `p` unlocks `login` after wrong passwords (`accounts::unlock`, journalled
/// `account_unlocked`); the inner error is the account's refusal (nothing to unlock, or
/// blocked).
pub async fn unlocking(
    engine: &Engine,
    p: &Principal,
    login: &str,
    source: Option<String>,
) -> ApiResult<Result<u64, accounts::Error>> {
    let account = account_in_scope(engine, p, login).await?.account;
    let by = p.login().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let (login, by, source) = (account.login.clone(), by.clone(), source.clone());
            Box::pin(
                async move { accounts::unlock(conn, &login, &by, source.as_deref(), now).await },
            )
        })
        .await?)
}

/// Unlocks an account locked out for a while after wrong passwords: every source's lock and
/// the count of wrong passwords cleared. Not a blocked account (that is `unblock`).
#[utoipa::path(
    post,
    path = "/accounts/{login}/unlock",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 204, description = "Unlocked"),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "Nothing to unlock, or it is blocked", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn unlock(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    unlocking(&engine, &p, &login, source.0)
        .await?
        .map_err(account_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account's new roles and region (seeds/003 item 27).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightsBody {
    /// The roles, at least one (as `POST /accounts` takes them).
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// The region (`kz`: the whole republic).
    pub region: String,
}

/// `p` replaces `login`'s roles and region: `accounts::change_rights`, the access request's
/// `change`, journalled `account_changed`; the account's sessions end. The new region must
/// be one `p` covers. The inner error is the account's refusal (the last administrator, no
/// role, a malformed region).
pub async fn changing(
    engine: &Engine,
    p: &Principal,
    login: &str,
    body: RightsBody,
    source: Option<String>,
) -> ApiResult<Result<(), accounts::Error>> {
    let account = account_in_scope(engine, p, login).await?.account;
    if let Ok(region) = accounts::normalize_region(&body.region) {
        p.require_region(&region)
            .map_err(|e| e.on(&account.login))?;
    }
    let by = p.login().to_string();
    Ok(engine
        .transact(move |conn, now| {
            let (account, body, by, source) =
                (account.clone(), body.clone(), by.clone(), source.clone());
            Box::pin(async move {
                accounts::change_rights(
                    conn,
                    &account,
                    &body.roles,
                    &body.region,
                    &by,
                    source.as_deref(),
                    now,
                )
                .await
            })
        })
        .await?)
}

/// Replaces an account's roles and region (the access request's `change`); its sessions
/// end, so the new rights hold from the next request on. Never takes the administrator's
/// role from the last active administrator.
#[utoipa::path(
    put,
    path = "/accounts/{login}/rights",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    request_body = RightsBody,
    responses(
        (status = 204, description = "Changed"),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "`last_administrator`: it is the last active administrator", body = ErrorBody),
        (status = 422, description = "The body is wrong: no role, an unknown role, or a malformed region", body = ErrorBody),
    ),
)]
async fn rights(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
    Body(body): Body<RightsBody>,
) -> ApiResult<StatusCode> {
    changing(&engine, &p, &login, body, source.0)
        .await?
        .map_err(|e| match e {
            accounts::Error::NoRole => ApiError::Invalid(
                e.to_string(),
                json!([{ "field": "roles", "message": e.to_string() }]),
            ),
            accounts::Error::InvalidRegion(_) => ApiError::Invalid(
                e.to_string(),
                json!([{ "field": "region", "message": e.to_string() }]),
            ),
            other => account_error(other),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The period of the journal of logins (`?from=&to=`, days in Almaty, both included).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// The first day, `YYYY-MM-DD` or `DD.MM.YYYY`; without it, from the beginning.
    #[serde(default)]
    pub from: Option<String>,
    /// The last day, included; without it, up to now.
    #[serde(default)]
    pub to: Option<String>,
}

impl JournalQuery {
    /// The period as UTC bounds `[since, until)`, or the mistakes by field.
    pub fn period(&self) -> Result<Period, Mistakes> {
        use super::incidents::{almaty_midnight, parse_day};
        let mut wrong = Vec::new();
        let mut day = |name: &'static str, v: &Option<String>| match v
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(text) => match parse_day(text) {
                Some(d) => Some(d),
                None => {
                    wrong.push((name, format!("`{text}` is not a day (DD.MM.YYYY)")));
                    None
                }
            },
        };
        let from = day("from", &self.from);
        let to = day("to", &self.to);
        if !wrong.is_empty() {
            return Err(wrong);
        }
        Ok((
            from.map(almaty_midnight),
            to.and_then(|d| d.succ_opt()).map(almaty_midnight),
        ))
    }
}

/// The most lines one period shows: the journal of a year of a ministry's staff.
const JOURNAL_LIMIT: u32 = 10_000;

/// The journal of registration of users and issue of logins (seeds/003 item 25, appendix 1)
/// for the accounts of `p`'s region, `since`..`until`: derived from the audit journal
/// (`accounts::journal`). The administrator's.
pub async fn journal_lines(
    engine: &Engine,
    p: &Principal,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> ApiResult<Vec<accounts::journal::Line>> {
    let everyone = listing(engine, p).await?;
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "reading the journal of logins failed");
        ApiError::Internal
    };
    let mut conn = engine.store().read().await.map_err(|e| failed(&e))?;
    let records = store::audit::of_actions(
        &mut conn,
        &accounts::journal::ACTIONS,
        since,
        until,
        JOURNAL_LIMIT,
    )
    .await
    .map_err(|e| failed(&e))?;
    let mut numbers: Vec<String> = records.iter().filter_map(|r| r.source.clone()).collect();
    numbers.sort();
    numbers.dedup();
    // A source is a registration number or a client's address; only numbers find a case.
    numbers.retain(|n| !n.contains(|c: char| c == ':' || c.is_whitespace()) && n.contains('-'));
    let requests = store::accounts::requests_in_journal(&mut conn, &numbers)
        .await
        .map_err(|e| failed(&e))?;
    let visible: Vec<accounts::Account> = everyone
        .iter()
        .filter(|a| p.account.covers_region(&a.region))
        .cloned()
        .collect();
    Ok(accounts::journal::lines(
        &records, &visible, &everyone, &requests,
    ))
}

/// The journal of registration of users and issue of personal unique identifiers (logins)
/// of seeds/003 appendix 1 (item 25), for the administrator's region: one line per account
/// registered, reactivated, given a new password, blocked, changed or unlocked, with the
/// request it was done on and the administrator.
#[utoipa::path(
    get,
    path = "/accounts/journal",
    tag = "accounts",
    params(JournalQuery),
    responses(
        (status = 200, description = "The lines, oldest first", body = Vec<accounts::journal::Line>),
        (status = 422, description = "`from` or `to` is not a day", body = ErrorBody),
    ),
)]
async fn journal(
    State(engine): State<Engine>,
    p: Principal,
    Params(query): Params<JournalQuery>,
) -> ApiResult<Json<Vec<accounts::journal::Line>>> {
    p.require(&[Role::Administrator])?;
    let (since, until) = query.period().map_err(wrong_query)?;
    Ok(Json(journal_lines(&engine, &p, since, until).await?))
}

/// A new temporary password of a reactivated account.
#[derive(Debug, Serialize, ToSchema)]
struct Reactivated {
    /// The login.
    login: String,
    /// The temporary password, shown this once.
    temporary_password: String,
}

/// Reactivates a blocked account on a new access request, with a new temporary password.
#[utoipa::path(
    post,
    path = "/accounts/{login}/reactivate",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 200, description = "Active again", body = Reactivated),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn reactivate(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<Json<Reactivated>> {
    p.require(&[Role::Administrator])
        .map_err(|e| e.on(&login))?;
    let by = p.login().to_string();
    let source = source.0;
    let who = login.clone();
    // Hashed here, not in the writer's transaction, which every commit waits for.
    let temporary = accounts::TemporaryPassword::new()
        .await
        .map_err(account_error)?;
    let temporary = engine
        .transact(move |conn, now| {
            let (login, by, temporary, source) =
                (login.clone(), by.clone(), temporary.clone(), source.clone());
            Box::pin(async move {
                accounts::reactivate(conn, &login, &by, &temporary, source.as_deref(), now).await
            })
        })
        .await?
        .map_err(account_error)?;
    Ok(Json(Reactivated {
        login: who,
        temporary_password: temporary,
    }))
}

/// An API token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    /// What it is for (`portal`, `prometheus`).
    name: String,
}

/// A token issued.
#[derive(Debug, Serialize, ToSchema)]
struct Token {
    /// The token, shown this once (only its hash is kept): `Authorization: Bearer <token>`.
    token: String,
}

/// Issues an API token that acts as the account, for a system (the portal, Prometheus).
#[utoipa::path(
    post,
    path = "/accounts/{login}/tokens",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    request_body = TokenBody,
    responses(
        (status = 201, description = "Issued", body = Token),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "The body is wrong, or the login malformed", body = ErrorBody),
    ),
)]
async fn token(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
    Body(body): Body<TokenBody>,
) -> ApiResult<(StatusCode, Json<Token>)> {
    p.require(&[Role::Administrator])
        .map_err(|e| e.on(&login))?;
    let account = account_named(&engine, &login).await?;
    let (name, by, source) = (body.name, p.login().to_string(), source.0);
    let token = engine
        .transact(move |conn, now| {
            let (account, name, by, source) =
                (account.clone(), name.clone(), by.clone(), source.clone());
            Box::pin(async move {
                accounts::issue_token(conn, &account, &name, &by, source.as_deref(), now).await
            })
        })
        .await?
        .map_err(account_error)?;
    Ok((StatusCode::CREATED, Json(Token { token })))
}

/// An API token as listed: what it is and how it is used, never the token itself (only its
/// hash is kept, and that is not shown either).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// What it is revoked by (`DELETE /accounts/{login}/tokens/{id}`).
    pub id: i64,
    /// What it is for.
    pub name: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was last used, to the hour; `null`: never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; `null`: it is in force.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<accounts::ApiToken> for TokenInfo {
    fn from(t: accounts::ApiToken) -> TokenInfo {
        TokenInfo {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Who may list and revoke `login`'s tokens: an administrator, and the account itself — a
/// system that finds its token leaked stops it at once, without waiting for an administrator
/// (issuing one stays an administrator's). Anyone else is refused, and the refusal
/// journalled.
fn may_manage_tokens(p: &Principal, login: &str) -> Result<(), ApiError> {
    if accounts::normalize_login(login).is_ok_and(|l| l == p.login()) {
        return Ok(());
    }
    p.require(&[Role::Administrator]).map_err(|e| e.on(login))
}

async fn account_named(engine: &Engine, login: &str) -> ApiResult<accounts::Account> {
    let login_as_stored = accounts::normalize_login(login).map_err(account_error)?;
    let found = match engine.store().read().await {
        Ok(mut conn) => store::accounts::account_by_login(&mut conn, &login_as_stored).await,
        Err(e) => Err(e.into()),
    };
    found
        .map_err(|e| {
            tracing::error!(error = %e, "reading an account failed");
            ApiError::Internal
        })?
        .ok_or_else(|| ApiError::NotFound(format!("account {login}")))
}

/// The API tokens of `login` (of every account: `None`), revoked ones too; what `GET
/// /accounts/{login}/tokens` and the accounts page list. For `None`, an administrator's
/// only.
pub async fn token_listing(
    engine: &Engine,
    p: &Principal,
    login: Option<&str>,
) -> ApiResult<Vec<accounts::ApiToken>> {
    let account_id = match login {
        Some(login) => {
            may_manage_tokens(p, login)?;
            Some(account_named(engine, login).await?.id)
        }
        None => {
            p.require(&[Role::Administrator])?;
            None
        }
    };
    let listed = match engine.store().read().await {
        Ok(mut conn) => store::accounts::api_tokens(&mut conn, account_id).await,
        Err(e) => Err(e.into()),
    };
    listed.map_err(|e| {
        tracing::error!(error = %e, "listing API tokens failed");
        ApiError::Internal
    })
}

/// The account's API tokens, revoked ones too, without their secret; an administrator's, or
/// the account's own.
#[utoipa::path(
    get,
    path = "/accounts/{login}/tokens",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 200, description = "Its tokens, in the order issued", body = Vec<TokenInfo>),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn tokens(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    p: Principal,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let tokens = token_listing(&engine, &p, Some(&login)).await?;
    Ok(Json(tokens.into_iter().map(TokenInfo::from).collect()))
}

/// `p` revokes token `id` of `login`: journalled (`token_revoked`) in the same transaction;
/// `false` when it was revoked already. What `DELETE /accounts/{login}/tokens/{id}` and the
/// accounts page's button do.
pub async fn revoking(
    engine: &Engine,
    p: &Principal,
    login: &str,
    id: i64,
    source: Option<String>,
) -> ApiResult<bool> {
    may_manage_tokens(p, login)?;
    let (login, by) = (login.to_string(), p.login().to_string());
    engine
        .transact(move |conn, now| {
            let (login, by, source) = (login.clone(), by.clone(), source.clone());
            Box::pin(async move {
                accounts::revoke_token(conn, &login, id, &by, source.as_deref(), now).await
            })
        })
        .await?
        .map_err(account_error)
}

/// Revokes an API token: it opens nothing from the next request on (401). An
/// administrator's, or the account's own; journalled (`token_revoked`).
#[utoipa::path(
    delete,
    path = "/accounts/{login}/tokens/{id}",
    tag = "accounts",
    params(
        ("login" = String, Path, description = "The account's login"),
        ("id" = i64, Path, description = "The token's id (`GET /accounts/{login}/tokens`)"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 200, description = "It was revoked already"),
        (status = 404, description = "No such account, or no such token of it", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn revoke(
    State(engine): State<Engine>,
    Path((login, id)): Path<(String, String)>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    // Not a number is no token of the account: the API's 404, not the router's plain 400.
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("`{login}` has no API token {id}")))?;
    Ok(if revoking(&engine, &p, &login, id, source.0).await? {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    })
}
