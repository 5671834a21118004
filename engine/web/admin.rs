//! The administrator's pages: incidents with a retry, and accounts created on an access
//! request (seeds/003 items 19-22), the temporary password shown once on the answer, with
//! the systems' API tokens and a button that revokes one. The same operations as `GET
//! /incidents`, `POST /incidents/{key}/retry`, `GET /accounts`, `POST /accounts`, `GET
//! /accounts/{login}/tokens` and `DELETE /accounts/{login}/tokens/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, WebError, csrf, view};
use crate::accounts::{self, Role, Status};
use crate::api::ApiError;
use crate::api::accounts::{CreateBody, listing, registering, revoking, token_listing};
use crate::api::auth::{Principal, account_error};
use crate::api::{listing_incidents, retrying};
use crate::runtime::Work;
use crate::service::Service;

/// `GET /admin/incidents`: the jobs waiting for an administrator, each with a Retry button.
pub async fn incidents(State(service): State<Service>, ctx: Ctx, Clerk(p): Clerk) -> PageResult {
    let lang = ctx.lang;
    let rows = listing_incidents(&service.engine, &p).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|j| {
            let (kind, what) = match &j.work {
                Work::Request { connector, .. } => ("work_request", connector.clone()),
                Work::Notify { template, .. } => ("work_notify", template.clone()),
                Work::Document { template, .. } => ("work_document", template.clone()),
                Work::Stage { stage, .. } => ("work_stage", stage.clone()),
            };
            json!({
                "key": j.key,
                "work": text::get(lang, kind),
                "what": what,
                "attempts": j.attempts,
                "error": j.last_error,
            })
        })
        .collect();
    Ok(ctx.page(
        StatusCode::OK,
        Some(&p),
        "incidents",
        json!({
            "title": text::get(lang, "incidents_title"),
            "incidents": items,
            "csrf": csrf(&p),
        }),
    ))
}

/// `POST /admin/incidents/{key}/retry`: a fresh budget for one incident, then the list again.
pub async fn retry(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
) -> PageResult {
    retrying(&service.engine, &p, &key, &ctx.source).await?;
    Ok(Redirect::to("/admin/incidents").into_response())
}

/// `GET /admin/accounts`: every account and the form that grants an access request.
pub async fn accounts(State(service): State<Service>, ctx: Ctx, Clerk(p): Clerk) -> PageResult {
    accounts_page(&service, &ctx, &p, StatusCode::OK, &Draft::default()).await
}

/// The create form as sent, with the mistake found in it.
#[derive(Default)]
struct Draft {
    login: String,
    full_name: String,
    email: String,
    roles: Vec<String>,
    region: String,
    errors: serde_json::Map<String, Value>,
}

async fn accounts_page(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    status: StatusCode,
    draft: &Draft,
) -> PageResult {
    let lang = ctx.lang;
    let all = listing(&service.engine, p).await?;
    let t = |key: &str| text::get(lang, key).unwrap_or_default().to_string();
    let rows: Vec<Value> = all
        .iter()
        .map(|a| {
            let roles: Vec<String> = a
                .roles
                .iter()
                .map(|r| view::role_title(&service.catalog, r.as_str(), lang))
                .collect();
            let status = match a.status {
                Status::Active if a.must_change_password => {
                    format!("{} ({})", t("account_active"), t("account_must_change"))
                }
                Status::Active => t("account_active"),
                Status::Blocked { reason, .. } => format!(
                    "{}: {}",
                    t("account_blocked"),
                    t(&format!("block_{}", reason.as_str()))
                ),
            };
            json!({
                "login": a.login,
                "full_name": a.full_name,
                "email": a.email,
                "roles": roles,
                "region": text::region(lang, &a.region),
                "status": status,
                "last_sign_in": a.last_sign_in_at.map(view::when),
            })
        })
        .collect();
    // The systems' tokens, each by its account's login; never the token itself.
    let logins: std::collections::HashMap<i64, &str> =
        all.iter().map(|a| (a.id, a.login.as_str())).collect();
    let tokens: Vec<Value> = token_listing(&service.engine, p, None)
        .await?
        .into_iter()
        .map(|k| {
            json!({
                "id": k.id,
                "login": logins.get(&k.account_id).copied().unwrap_or_default(),
                "name": k.name,
                "created": view::when(k.created_at),
                "last_used": k.last_used_at.map(view::when),
                "revoked": k.revoked_at.map(view::when),
            })
        })
        .collect();
    let roles: Vec<Value> = Role::ALL
        .iter()
        .map(|r| {
            json!({
                "code": r.as_str(),
                "title": view::role_title(&service.catalog, r.as_str(), lang),
                "checked": draft.roles.iter().any(|c| c == r.as_str()),
            })
        })
        .collect();
    Ok(ctx.page(
        status,
        Some(p),
        "accounts",
        json!({
            "title": t("accounts_title"),
            "accounts": rows,
            "tokens": tokens,
            "roles": roles,
            "draft": {
                "login": draft.login,
                "full_name": draft.full_name,
                "email": draft.email,
                "region": draft.region,
            },
            "errors": draft.errors,
            "csrf": csrf(p),
        }),
    ))
}

/// `POST /admin/accounts/{login}/tokens/{id}/revoke`: revokes an API token, then the list
/// again. A token revoked already is no mistake: the list shows it revoked.
pub async fn revoke_token(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path((login, id)): Path<(String, String)>,
) -> PageResult {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("`{login}` has no API token {id}")))?;
    revoking(&service.engine, &p, &login, id, ctx.source_ip()).await?;
    Ok(Redirect::to("/admin/accounts").into_response())
}

/// `POST /admin/accounts`: creates the account and shows its temporary password, once;
/// a mistake comes back beside its field with what was typed.
pub async fn create(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    form: Fields,
) -> PageResult {
    let lang = ctx.lang;
    let mut draft = Draft {
        login: form.text("login").trim().to_string(),
        full_name: form.text("full_name").trim().to_string(),
        email: form.text("email").trim().to_string(),
        roles: form.all("roles").into_iter().map(str::to_string).collect(),
        region: form.text("region").trim().to_string(),
        errors: serde_json::Map::new(),
    };
    let t = |key| json!(text::get(lang, key).unwrap_or_default());
    for (name, value) in [("full_name", &draft.full_name), ("email", &draft.email)] {
        if value.is_empty() {
            draft.errors.insert(name.into(), t("err_required"));
        }
    }
    if !draft.email.is_empty() && (!draft.email.contains('@') || draft.email.contains(' ')) {
        draft.errors.insert("email".into(), t("err_email"));
    }
    let roles: Vec<Role> = draft.roles.iter().filter_map(|r| r.parse().ok()).collect();
    if !draft.errors.is_empty() {
        return accounts_page(&service, &ctx, &p, StatusCode::UNPROCESSABLE_ENTITY, &draft).await;
    }
    let body = CreateBody {
        login: draft.login.clone(),
        full_name: draft.full_name.clone(),
        email: draft.email.clone(),
        roles,
        region: draft.region.clone(),
    };
    match registering(&service.engine, &p, body, ctx.source_ip()).await? {
        Ok((account, temporary)) => Ok(created(&ctx, &p, &service, &account, &temporary)),
        Err(e) => {
            let (field, key) = match &e {
                accounts::Error::LoginTaken(_) => ("login", "err_login_taken"),
                accounts::Error::InvalidLogin(_) => ("login", "err_login_invalid"),
                accounts::Error::InvalidRegion(_) => ("region", "err_region_invalid"),
                accounts::Error::NoRole => ("roles", "err_no_role"),
                _ => return Err(WebError::Api(account_error(e))),
            };
            draft.errors.insert(field.into(), t(key));
            accounts_page(&service, &ctx, &p, StatusCode::UNPROCESSABLE_ENTITY, &draft).await
        }
    }
}

/// The answer to a created account: the only place its temporary password is ever shown
/// (the store keeps its hash alone).
fn created(
    ctx: &Ctx,
    p: &Principal,
    service: &Service,
    account: &accounts::Account,
    temporary: &str,
) -> Response {
    let lang: Lang = ctx.lang;
    let roles: Vec<String> = account
        .roles
        .iter()
        .map(|r| view::role_title(&service.catalog, r.as_str(), lang))
        .collect();
    ctx.page(
        StatusCode::CREATED,
        Some(p),
        "account_created",
        json!({
            "title": text::get(lang, "created_title"),
            "login": account.login,
            "roles": roles,
            "region": text::region(lang, &account.region),
            "temporary": temporary,
        }),
    )
}
