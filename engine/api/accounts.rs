//! The administrator's accounts: list, create on an access request, block, reactivate on a
//! new request, and API tokens for systems — issued, listed without their secret, revoked
//! (seeds/003 items 19-29; issue #19). Every change is made by `crate::accounts`, which
//! journals it in the same transaction.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Principal, account_error};
use super::{ApiError, ApiResult, Body, ErrorBody, Source};
use crate::accounts::{self, BlockReason, NewAccount, Role};
use crate::store;
use crate::worker::Engine;

/// The accounts endpoints; every one is the administrator's.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(block))
        .routes(routes!(reactivate))
        .routes(routes!(tokens, token))
        .routes(routes!(revoke))
}

/// Every account, without password hashes; the administrator's.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    responses((status = 200, description = "Every account: `login`, `full_name`, `email`, `roles`, `region`, `status`, `must_change_password`, the sign-in and password times and counters", body = Vec<Object>)),
)]
async fn list(State(engine): State<Engine>, p: Principal) -> ApiResult<Json<Value>> {
    let accounts = listing(&engine, &p).await?;
    Ok(Json(super::to_json(&accounts)?))
}

/// Every account; the administrator's only.
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

/// Blocks an account (its sessions and tokens stop working); never the last active
/// administrator.
#[utoipa::path(
    post,
    path = "/accounts/{login}/block",
    tag = "accounts",
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 200, description = "It was blocked already"),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "`last_administrator`: it is the last active administrator, who alone could unblock accounts", body = ErrorBody),
        (status = 422, description = "The login is malformed", body = ErrorBody),
    ),
)]
async fn block(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    p.require(&[Role::Administrator])
        .map_err(|e| e.on(&login))?;
    let by = p.login().to_string();
    let source = source.0;
    let done = engine
        .transact(move |conn, now| {
            let (login, by, source) = (login.clone(), by.clone(), source.clone());
            Box::pin(async move {
                accounts::block(
                    conn,
                    &login,
                    BlockReason::Administrator,
                    &by,
                    source.as_deref(),
                    now,
                )
                .await
            })
        })
        .await?
        .map_err(account_error)?;
    Ok(if done {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    })
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
