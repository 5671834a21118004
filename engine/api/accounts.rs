//! The administrator's accounts: list, create on an access request, block, reactivate on a
//! new request, and API tokens for systems (seeds/003 items 19-29). Every change is made by
//! `crate::accounts`, which journals it in the same transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Principal, account_error};
use super::{ApiError, ApiResult, Body, Source};
use crate::accounts::{self, BlockReason, NewAccount, Role};
use crate::store;
use crate::worker::Engine;

/// The accounts endpoints; every one is the administrator's.
pub fn router() -> Router<Engine> {
    Router::new()
        .route("/accounts", get(list).post(create))
        .route("/accounts/{login}/block", post(block))
        .route("/accounts/{login}/reactivate", post(reactivate))
        .route("/accounts/{login}/tokens", post(token))
}

async fn list(State(engine): State<Engine>, p: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(json!(listing(&engine, &p).await?)))
}

/// Every account; the administrator's only.
pub async fn listing(engine: &Engine, p: &Principal) -> ApiResult<Vec<accounts::Account>> {
    p.require(&[Role::Administrator])?;
    store::accounts::list_accounts(&engine.store().pool)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "listing accounts failed");
            ApiError::Internal
        })
}

/// An access request granted (seeds/003 item 19, appendix 2).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// The login.
    pub login: String,
    /// The person's full name.
    pub full_name: String,
    /// The corporate e-mail.
    pub email: String,
    /// The roles.
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
    Ok(engine
        .transact(move |conn, now| {
            let (new, source) = (new.clone(), source.clone());
            Box::pin(async move { accounts::register(conn, &new, source.as_deref(), now).await })
        })
        .await?)
}

async fn create(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    Body(body): Body<CreateBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (account, temporary) = creating(&engine, &p, body, source.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "login": account.login,
            "roles": account.roles,
            "region": account.region,
            "temporary_password": temporary,
        })),
    ))
}

async fn block(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<StatusCode> {
    p.require(&[Role::Administrator])?;
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

async fn reactivate(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    source: Source,
    p: Principal,
) -> ApiResult<Json<Value>> {
    p.require(&[Role::Administrator])?;
    let by = p.login().to_string();
    let source = source.0;
    let who = login.clone();
    let temporary = engine
        .transact(move |conn, now| {
            let (login, by, source) = (login.clone(), by.clone(), source.clone());
            Box::pin(async move {
                accounts::reactivate(conn, &login, &by, source.as_deref(), now).await
            })
        })
        .await?
        .map_err(account_error)?;
    Ok(Json(
        json!({ "login": who, "temporary_password": temporary }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
}

async fn token(
    State(engine): State<Engine>,
    Path(login): Path<String>,
    p: Principal,
    Body(body): Body<TokenBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    p.require(&[Role::Administrator])?;
    let account = store::accounts::account_by_login(
        &engine.store().pool,
        &accounts::normalize_login(&login).map_err(account_error)?,
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "reading an account failed");
        ApiError::Internal
    })?
    .ok_or_else(|| ApiError::NotFound(format!("account {login}")))?;
    let name = body.name;
    let (token, _) = engine
        .transact(move |conn, now| {
            let name = name.clone();
            Box::pin(async move {
                store::accounts::create_api_token(conn, account.id, &name, now).await
            })
        })
        .await?
        .map_err(|e| {
            tracing::error!(error = %e, "issuing a token failed");
            ApiError::Internal
        })?;
    Ok((StatusCode::CREATED, Json(json!({ "token": token }))))
}
