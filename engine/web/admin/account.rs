//! An account's page, `/admin/accounts/{login}`: what it is (roles, region, state — «locked
//! until HH:MM» after wrong passwords —, the last sign-in, the request its last change came
//! from) and what an administrator does to it, each through the API's operation
//! (`api::accounts`), so the checks, the records and the refusals are the same:
//! - block, with a reason and a confirmation step;
//! - unblock (a blocked account) or reset the password (an active one): a `password-reset`
//!   case e-mails a new temporary password to the account's own e-mail (seeds/003 items 22,
//!   29) — never shown here; the page says which case does it;
//! - unlock, after wrong passwords;
//! - change the roles and the region (seeds/003 item 27).
//!
//! Each operation answers with a redirect back to the page, which says what was done; a
//! refusal (the last administrator, nothing to unlock …) comes back beside its form.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde_json::{Map, Value, json};

use super::{pairs, pick, state_words, word};
use crate::accounts::listing::{Listed, State as AccountState};
use crate::accounts::{self, Role, Status};
use crate::api::accounts::{
    Reset, RightsBody, account_in_scope, block_reason, blocking, changing, resetting, unlocking,
};
use crate::api::auth::{Principal, account_error};
use crate::runtime::Language;
use crate::service::Service;
use crate::web::text::{self, Lang};
use crate::web::{Clerk, Ctx, Fields, PageResult, WebError, csrf, view};

/// What the page shows besides the account: a refusal beside its form, the block to
/// confirm, the rights form as sent.
#[derive(Default)]
struct Extra {
    /// Mistakes and refusals by form (`block`, `reset`, `unlock`, `rights`, `roles`,
    /// `region`), in the page's language.
    errors: Map<String, Value>,
    /// The block asked for, to confirm: its reason.
    confirm_block: Option<accounts::BlockReason>,
    /// The roles and region as sent, when the rights form comes back.
    rights: Option<(Vec<String>, String)>,
}

/// `GET /admin/accounts/{login}`.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(login): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let listed = account_in_scope(&service.engine, &p, &login).await?;
    let pairs = pairs(raw.as_deref());
    let done = pick(&pairs, "done")
        .filter(|d| ["block", "unblock", "reset", "unlock", "rights"].contains(&d.as_str()));
    let number = pick(&pairs, "number");
    let notice = done.map(|d| {
        text::fill(
            &word(ctx.lang, &format!("adm_done_{d}")),
            &[("number", number.as_deref().unwrap_or_default())],
        )
    });
    render(
        &service,
        &ctx,
        &p,
        &listed,
        StatusCode::OK,
        Extra::default(),
        notice,
        number,
    )
}

#[allow(clippy::too_many_arguments)]
fn render(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    listed: &Listed,
    status: StatusCode,
    extra: Extra,
    notice: Option<String>,
    number: Option<String>,
) -> PageResult {
    let lang = ctx.lang;
    let a = &listed.account;
    let (checked, region) = match &extra.rights {
        Some((roles, region)) => (roles.clone(), region.clone()),
        None => (
            a.roles.iter().map(|r| r.as_str().to_string()).collect(),
            a.region.clone(),
        ),
    };
    let roles: Vec<Value> = Role::ALL
        .iter()
        .map(|r| {
            json!({
                "code": r.as_str(),
                "title": view::role_title(&service.catalog, r.as_str(), lang),
                "checked": checked.iter().any(|c| c == r.as_str()),
            })
        })
        .collect();
    let has_roles: Vec<String> = a
        .roles
        .iter()
        .map(|r| view::role_title(&service.catalog, r.as_str(), lang))
        .collect();
    let blocked = matches!(a.status, Status::Blocked { .. });
    let reasons: Vec<Value> = [
        accounts::BlockReason::Administrator,
        accounts::BlockReason::SecurityViolation,
    ]
    .iter()
    .map(|r| json!({ "code": r.as_str(), "title": word(lang, &format!("block_{}", r.as_str())) }))
    .collect();
    Ok(ctx.page(
        status,
        Some(p),
        "account",
        json!({
            "title": text::fill(&word(lang, "adm_account_title"), &[("login", &a.login)]),
            "login": a.login,
            "full_name": a.full_name,
            "email": a.email,
            "roles_now": has_roles,
            "region_now": text::region(lang, &a.region),
            "status": state_words(lang, listed),
            "state": listed.state.as_str(),
            "last_sign_in": a.last_sign_in_at.map(view::when),
            "failed_sign_ins": a.failed_sign_ins,
            "created": view::when(a.created_at),
            "basis": a.basis,
            "blocked": blocked,
            "may_unlock": !blocked && (a.failed_sign_ins > 0 || listed.state == AccountState::Locked),
            "has_email": !a.email.trim().is_empty(),
            "roles": roles,
            "region": region,
            "reasons": reasons,
            "confirm_block": extra.confirm_block.map(|r| json!({
                "code": r.as_str(),
                "title": word(lang, &format!("block_{}", r.as_str())),
            })),
            "errors": extra.errors,
            "notice": notice,
            "number": number,
            "csrf": csrf(p),
        }),
    ))
}

/// The account's refusal in the page's words, and the form it belongs beside; anything
/// else is the API's failure.
fn refusal(lang: Lang, e: accounts::Error) -> Result<(&'static str, String, StatusCode), WebError> {
    let (form, key, status) = match &e {
        accounts::Error::LastAdministrator(_) => {
            ("any", "adm_err_last_admin", StatusCode::CONFLICT)
        }
        accounts::Error::NothingToUnlock(_) => {
            ("unlock", "adm_err_nothing_to_unlock", StatusCode::CONFLICT)
        }
        accounts::Error::Blocked(_) => ("reset", "adm_err_blocked", StatusCode::CONFLICT),
        accounts::Error::NotBlocked(_) => ("reset", "adm_err_not_blocked", StatusCode::CONFLICT),
        accounts::Error::NoEmail(_) => ("reset", "adm_err_no_email", StatusCode::CONFLICT),
        accounts::Error::NoRole => ("roles", "err_no_role", StatusCode::UNPROCESSABLE_ENTITY),
        accounts::Error::InvalidRegion(_) => (
            "region",
            "err_region_invalid",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        _ => return Err(WebError::Api(account_error(e))),
    };
    Ok((form, word(lang, key), status))
}

/// The page again with `e` beside form `form` (`any`: the form the operation came from).
async fn refused(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    login: &str,
    from: &str,
    e: accounts::Error,
    mut extra: Extra,
) -> PageResult {
    let (form, message, status) = refusal(ctx.lang, e)?;
    let form = if form == "any" { from } else { form };
    extra.errors.insert(form.into(), json!(message));
    let listed = account_in_scope(&service.engine, p, login).await?;
    render(service, ctx, p, &listed, status, extra, None, None)
}

/// Back to the page, saying what was done (and by which case).
fn done(login: &str, what: &str, number: Option<&str>) -> PageResult {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("done", what);
    if let Some(n) = number {
        q.append_pair("number", n);
    }
    Ok(Redirect::to(&format!("/admin/accounts/{login}?{}", q.finish())).into_response())
}

/// `POST /admin/accounts/{login}/block`: first the confirmation (the reason chosen, a
/// button that confirms), then the block.
pub async fn block(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(login): Path<String>,
    form: Fields,
) -> PageResult {
    let listed = account_in_scope(&service.engine, &p, &login).await?;
    let login = listed.account.login.clone();
    let reason = block_reason(Some(&form.text("reason")))?;
    if form.text("confirm") != "yes" {
        let extra = Extra {
            confirm_block: Some(reason),
            ..Extra::default()
        };
        return render(
            &service,
            &ctx,
            &p,
            &listed,
            StatusCode::OK,
            extra,
            None,
            None,
        );
    }
    match blocking(&service.engine, &p, &login, reason, ctx.source_ip()).await? {
        Ok(_) => done(&login, "block", None),
        Err(e) => refused(&service, &ctx, &p, &login, "block", e, Extra::default()).await,
    }
}

/// The e-mail's language: the page's.
fn language(lang: Lang) -> Language {
    match lang {
        Lang::Ru => Language::Ru,
        _ => Language::Kk,
    }
}

async fn reset_as(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    login: &str,
    reset: Reset,
) -> PageResult {
    let what = match reset {
        Reset::Unblock => "unblock",
        Reset::LostPassword => "reset",
    };
    match resetting(
        &service.engine,
        p,
        login,
        reset,
        language(ctx.lang),
        &ctx.source,
    )
    .await?
    {
        Ok(number) => done(login, what, Some(&number)),
        Err(e) => refused(service, ctx, p, login, "reset", e, Extra::default()).await,
    }
}

/// `POST /admin/accounts/{login}/unblock`: a new temporary password by e-mail, the account
/// active again (seeds/003 item 29).
pub async fn unblock(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(login): Path<String>,
    _form: Fields,
) -> PageResult {
    reset_as(&service, &ctx, &p, &login, Reset::Unblock).await
}

/// `POST /admin/accounts/{login}/reset`: a new temporary password by e-mail for a lost one
/// (seeds/003 item 29).
pub async fn reset(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(login): Path<String>,
    _form: Fields,
) -> PageResult {
    reset_as(&service, &ctx, &p, &login, Reset::LostPassword).await
}

/// `POST /admin/accounts/{login}/unlock`: the locks after wrong passwords lifted.
pub async fn unlock(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(login): Path<String>,
    _form: Fields,
) -> PageResult {
    match unlocking(&service.engine, &p, &login, ctx.source_ip()).await? {
        Ok(_) => done(&login, "unlock", None),
        Err(e) => refused(&service, &ctx, &p, &login, "unlock", e, Extra::default()).await,
    }
}

/// `POST /admin/accounts/{login}/rights`: new roles and region (the access request's
/// `change`); the account's sessions end.
pub async fn rights(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(login): Path<String>,
    form: Fields,
) -> PageResult {
    let sent: Vec<String> = form.all("roles").into_iter().map(str::to_string).collect();
    let region = form.text("region").trim().to_string();
    let body = RightsBody {
        roles: sent.iter().filter_map(|r| r.parse().ok()).collect(),
        region: region.clone(),
    };
    match changing(&service.engine, &p, &login, body, ctx.source_ip()).await? {
        Ok(()) => done(&login, "rights", None),
        Err(e) => {
            let extra = Extra {
                rights: Some((sent, region)),
                ..Extra::default()
            };
            refused(&service, &ctx, &p, &login, "rights", e, extra).await
        }
    }
}
