//! The administrator's pages: incidents (filtered, each with its case, what failed and the
//! error in words, retried one at a time or all at once after an outage), the accounts —
//! searched and paged, created on an access request (seeds/003 items 19-22; the temporary
//! password shown once on the answer), each with its own page of operations
//! ([`account`]) — the journal of logins issued ([`journal`], seeds/003 appendix 1), and
//! the systems' API tokens with a button that revokes one. The same operations as the API's
//! `/incidents` and `/accounts` endpoints (`api::incidents`, `api::accounts`).

mod account;
mod journal;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, WebError, csrf, view};
use crate::accounts::listing::{self, State as AccountState};
use crate::accounts::{self, Role, Status};
use crate::api::ApiError;
use crate::api::accounts::{
    AccountsQuery, CreateBody, listing as all_accounts, registering, revoking, searching,
    token_listing,
};
use crate::api::auth::{Principal, account_error};
use crate::api::incidents::{IncidentFilter, IncidentView, filtered, retrying_all};
use crate::api::retrying;
use crate::service::Service;

/// The administrator's pages beyond the first ones (`web::router` keeps those): an
/// account's page and its operations, the journal of logins, the bulk retry.
pub fn routes() -> Router<Service> {
    Router::new()
        .route("/admin/incidents/retry", post(retry_all))
        .route("/admin/accounts/{login}", get(account::page))
        .route("/admin/accounts/{login}/block", post(account::block))
        .route("/admin/accounts/{login}/unblock", post(account::unblock))
        .route("/admin/accounts/{login}/reset", post(account::reset))
        .route("/admin/accounts/{login}/unlock", post(account::unlock))
        .route("/admin/accounts/{login}/rights", post(account::rights))
        .route("/admin/logins-journal", get(journal::page))
        .route("/admin/logins-journal.csv", get(journal::csv))
}

/// The pairs of a query string, decoded (a blank value kept blank).
pub(super) fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `name` among `pairs`.
pub(super) fn pick(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The words of `key` in `lang` (empty when the table has none).
pub(super) fn word(lang: Lang, key: &str) -> String {
    text::get(lang, key).unwrap_or_default().to_string()
}

/// A time in Almaty, `HH:MM`.
pub(super) fn clock_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&crate::clock::ZONE)
        .format("%H:%M")
        .to_string()
}

/// An account's state in words: «locked until HH:MM» (Almaty) for a lock.
pub(super) fn state_words(lang: Lang, listed: &listing::Listed) -> String {
    match (listed.state, &listed.account.status) {
        (_, Status::Blocked { reason, .. }) => format!(
            "{}: {}",
            word(lang, "account_blocked"),
            word(lang, &format!("block_{}", reason.as_str()))
        ),
        (AccountState::Locked, _) => text::fill(
            &word(lang, "adm_locked_until"),
            &[(
                "time",
                &listed.locked_until.map(clock_time).unwrap_or_default(),
            )],
        ),
        (AccountState::MustChangePassword, _) => format!(
            "{} ({})",
            word(lang, "account_active"),
            word(lang, "account_must_change")
        ),
        _ => word(lang, "account_active"),
    }
}

/// The incidents filter of a page's address.
fn incident_filter(raw: Option<&str>) -> IncidentFilter {
    let pairs = pairs(raw);
    IncidentFilter {
        service: pick(&pairs, "service"),
        connector: pick(&pairs, "connector"),
        region: pick(&pairs, "region"),
        since: pick(&pairs, "since"),
    }
}

/// The filter as a query string (what the bulk retry and the links carry).
fn filter_query(f: &IncidentFilter) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("service", &f.service),
        ("connector", &f.connector),
        ("region", &f.region),
        ("since", &f.since),
    ] {
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    q.finish()
}

/// `GET /admin/incidents`: the jobs waiting for an administrator of the cases of their
/// region, filtered by a GET form, each with its case, what failed and the error in words,
/// a Retry button, and one button that retries every incident shown.
pub async fn incidents(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let lang = ctx.lang;
    let filter = incident_filter(raw.as_deref());
    let (rows, problem) = match filtered(&service.engine, &p, &filter).await {
        Ok(rows) => (rows, None),
        Err(ApiError::Invalid(..)) => (Vec::new(), Some(word(lang, "adm_err_day"))),
        Err(e) => return Err(e.into()),
    };
    let shared = service.engine.shared();
    let service_title = |id: &str| {
        shared
            .library
            .definitions
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_string(), |d| lang.pick(&d.title).to_string())
    };
    let items: Vec<Value> = rows
        .iter()
        .map(|i| incident_row(&service, lang, i, &service_title(&i.service)))
        .collect();
    let mut services: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for d in &shared.library.definitions {
        if seen.insert(d.id.clone()) {
            services.push(json!({
                "id": d.id,
                "title": lang.pick(&d.title),
                "selected": filter.service.as_deref() == Some(d.id.as_str()),
            }));
        }
    }
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(ctx.page(
        status,
        Some(&p),
        "incidents",
        json!({
            "title": text::get(lang, "incidents_title"),
            "incidents": items,
            "count": items.len(),
            "services": services,
            "filter": {
                "connector": filter.connector,
                "region": filter.region,
                "since": filter.since,
            },
            "filter_query": filter_query(&filter),
            "problem": problem,
            "retried": pick(&pairs(raw.as_deref()), "retried"),
            "csrf": csrf(&p),
        }),
    ))
}

/// One incident as the page shows it.
fn incident_row(service: &Service, lang: Lang, i: &IncidentView, service_title: &str) -> Value {
    let what = match i.kind {
        "request" => service
            .catalog
            .connectors
            .get(&i.what)
            .map_or_else(|| i.what.clone(), |c| lang.pick(&c.title).to_string()),
        _ => i.what.clone(),
    };
    let mut error = word(lang, &format!("adm_error_{}", i.error_kind.as_str()));
    if let Some(status) = i.http_status {
        error = text::fill(&error, &[("status", &status.to_string())]);
    }
    json!({
        "key": i.key,
        "number": i.number,
        "service": service_title,
        "region": text::region(lang, &i.region),
        "work": word(lang, &format!("work_{}", i.kind)),
        "what": what,
        "code": i.what,
        "error": error,
        "raw": i.last_error,
        "attempts": i.attempts,
        "since": view::when(i.since),
    })
}

/// `POST /admin/incidents/retry`: retries every incident the filter (the form's hidden
/// fields, the page's own) shows, each journalled; then the list again, with the same
/// filter.
pub async fn retry_all(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    form: Fields,
) -> PageResult {
    let filter = IncidentFilter {
        service: Some(form.text("service")).filter(|v| !v.trim().is_empty()),
        connector: Some(form.text("connector")).filter(|v| !v.trim().is_empty()),
        region: Some(form.text("region")).filter(|v| !v.trim().is_empty()),
        since: Some(form.text("since")).filter(|v| !v.trim().is_empty()),
    };
    let done = retrying_all(&service.engine, &p, &filter, &ctx.source).await?;
    let mut query = filter_query(&filter);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!("retried={}", done.retried));
    Ok(Redirect::to(&format!("/admin/incidents?{query}")).into_response())
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

/// `GET /admin/accounts`: the accounts of the administrator's region, searched by a GET
/// form (login or name, role, region, state) and paged 50 at a time with the total, each
/// login a link to its page; and the form that grants an access request.
pub async fn accounts(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let asked = asked_accounts(raw.as_deref());
    accounts_page(
        &service,
        &ctx,
        &p,
        StatusCode::OK,
        &Draft::default(),
        &asked,
    )
    .await
}

/// The search of the accounts page's address.
fn asked_accounts(raw: Option<&str>) -> AccountsQuery {
    let pairs = pairs(raw);
    AccountsQuery {
        q: pick(&pairs, "q"),
        role: pick(&pairs, "role"),
        region: pick(&pairs, "region"),
        status: pick(&pairs, "status"),
        page: pick(&pairs, "page"),
    }
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
    asked: &AccountsQuery,
) -> PageResult {
    let lang = ctx.lang;
    let t = |key: &str| word(lang, key);
    // A search that cannot be (an unknown role or state typed into the address) is the
    // whole list, with the mistake beside the form.
    let (query, page, search_problem) = match asked.parse() {
        Ok((q, page)) => (q, page.unwrap_or(1), None),
        Err(_) => (listing::Query::default(), 1, Some(t("adm_err_search"))),
    };
    let found = searching(&service.engine, p, &query, Some(page)).await?;
    let rows: Vec<Value> = found
        .accounts
        .iter()
        .map(|l| {
            let a = &l.account;
            let roles: Vec<String> = a
                .roles
                .iter()
                .map(|r| view::role_title(&service.catalog, r.as_str(), lang))
                .collect();
            json!({
                "login": a.login,
                "full_name": a.full_name,
                "email": a.email,
                "roles": roles,
                "region": text::region(lang, &a.region),
                "status": state_words(lang, l),
                "state": l.state.as_str(),
                "last_sign_in": a.last_sign_in_at.map(view::when),
            })
        })
        .collect();
    // The systems' tokens, each by its account's login; never the token itself.
    let all = all_accounts(&service.engine, p).await?;
    let logins: std::collections::HashMap<i64, &str> =
        all.iter().map(|a| (a.id, a.login.as_str())).collect();
    let tokens: Vec<Value> = token_listing(&service.engine, p, None)
        .await?
        .into_iter()
        .filter(|k| {
            all.iter()
                .any(|a| a.id == k.account_id && p.account.covers_region(&a.region))
        })
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
                "searched": query.role == Some(*r),
            })
        })
        .collect();
    let states: Vec<Value> = AccountState::ALL
        .iter()
        .map(|s| {
            json!({
                "code": s.as_str(),
                "title": t(&format!("adm_state_{}", s.as_str())),
                "selected": query.state == Some(*s),
            })
        })
        .collect();
    // The pager keeps the search: the same address with another page.
    let link = |page: usize| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &asked.q),
            ("role", &asked.role),
            ("region", &asked.region),
            ("status", &asked.status),
        ] {
            if let Some(v) = value {
                q.append_pair(name, v);
            }
        }
        q.append_pair("page", &page.to_string());
        format!("/admin/accounts?{}", q.finish())
    };
    let first = (found.page - 1) * listing::PAGE + 1;
    let shown = text::fill(
        &t("adm_found"),
        &[
            ("total", &found.total.to_string()),
            ("from", &first.min(found.total).to_string()),
            (
                "to",
                &(first + found.accounts.len()).saturating_sub(1).to_string(),
            ),
        ],
    );
    Ok(ctx.page(
        status,
        Some(p),
        "accounts",
        json!({
            "title": t("accounts_title"),
            "accounts": rows,
            "tokens": tokens,
            "roles": roles,
            "states": states,
            "search": {
                "q": query.q,
                "region": query.region,
            },
            "search_problem": search_problem,
            "found": shown,
            "total": found.total,
            "prev": (found.page > 1).then(|| link(found.page - 1)),
            "next": (found.page < found.pages).then(|| link(found.page + 1)),
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
        return accounts_page(
            &service,
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            &draft,
            &AccountsQuery::default(),
        )
        .await;
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
            accounts_page(
                &service,
                &ctx,
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                &draft,
                &AccountsQuery::default(),
            )
            .await
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
