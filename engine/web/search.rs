//! The search page: `GET /search?q=…&page=N`, what the header's search box opens. The same
//! search, rules and journal as `GET /cases?q=` ([`crate::api::search::searching`]): by
//! registration number, IIN or surname, over the open and closed cases of the clerk's region
//! and services, newest first, 50 a page. The page says how it understood the query ("by
//! IIN"), how many it found ("1–50 of 521"), and links each case to its page.
//!
//! A blank box shows what can be searched and journals nothing; a query that is no search
//! (one letter, over 100 characters) says why, beside the box's text, and journals nothing
//! either: nothing was looked up.
//!
//! An archived case ([`crate::archive`]) is found by number and IIN like any other and shown
//! «Мұрағатта» / «В архиве» with its closing date. Its `/case/{number}` is a short page
//! ([`archived`]): number, service, result, closed, archived on — no personal data — and, for
//! an administrator of its region, the button that restores it (`POST
//! /case/{number}/restore`, [`restore`]).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, PageResult, view};
use crate::accounts::Role;
use crate::api::auth::Principal;
use crate::api::search::{MAX_PAGE, SearchPage, searching};
use crate::api::{self, ApiError};
use crate::audit::Action;
use crate::runtime::Status;
use crate::service::Service;
use crate::store::search::{Party, Query, Unusable};
use crate::worker::Shared;

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new().route("/search", get(page))
}

/// `q` and `page` of the address; a `page` that is no number is the first.
fn asked(raw: Option<&str>) -> (String, u32) {
    let mut q = String::new();
    let mut page = 1;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "q" => q = value.trim().to_string(),
            "page" => page = value.parse::<u32>().unwrap_or(1).clamp(1, MAX_PAGE),
            _ => {}
        }
    }
    (q, page)
}

/// `GET /search`: the search page.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (q, page) = asked(raw.as_deref());
    let lang = ctx.lang;
    let mut data = json!({
        "title": text::get(lang, "search_title"),
        "search_q": (!q.is_empty()).then_some(q.as_str()),
        "scope": scope(&p, lang),
        "asked": Value::Null,
        "problem": Value::Null,
        "results": Value::Null,
    });
    if q.is_empty() {
        return Ok(ctx.page(StatusCode::OK, Some(&p), "search", data));
    }
    let query = match Query::parse(&q) {
        Ok(query) => query,
        Err(u) => {
            let key = match u {
                Unusable::Empty | Unusable::TooShort => "search_too_short",
                Unusable::TooLong => "search_too_long",
            };
            data["problem"] = json!(text::get(lang, key));
            return Ok(ctx.page(StatusCode::OK, Some(&p), "search", data));
        }
    };
    let found = searching(&service.engine, &p, &query, &q, page, &ctx.source).await?;
    data["asked"] = json!(text::fill(
        text::get(lang, &format!("search_asked_{}", found.kind.as_str())).unwrap_or_default(),
        &[("q", &q)],
    ));
    data["results"] = results(service.engine.shared(), &found, &q, lang);
    Ok(ctx.page(StatusCode::OK, Some(&p), "search", data))
}

/// Where the clerk's search looks: their region, or every region for `kz`.
fn scope(p: &Principal, lang: Lang) -> String {
    if p.account.region == crate::accounts::REPUBLIC {
        text::or(lang, "search_scope_all", "")
    } else {
        text::fill(
            text::get(lang, "search_scope_region").unwrap_or_default(),
            &[("region", &text::region(lang, &p.account.region))],
        )
    }
}

/// The page's rows, the range shown and the links to the pages beside it.
fn results(shared: &Shared, found: &SearchPage, q: &str, lang: Lang) -> Value {
    let rows: Vec<Value> = found
        .cases
        .iter()
        .map(|c| {
            json!({
                "number": c.number,
                "service": service_title(shared, &c.service, lang),
                "applicant": c.applicant_name,
                "iin": c.applicant_iin,
                "by_representative": c.matched_as == Some(Party::Representative),
                "status": match &c.archived {
                    Some(a) => text::fill(
                        text::get(lang, "search_archived").unwrap_or_default(),
                        &[("closed", &view::day(view::almaty_date(a.closed_at)))],
                    ),
                    None => status(c.status, c.result.as_deref(), lang),
                },
                "active": c.status == Status::Active,
                "archived": c.archived.is_some(),
                "opened": view::day(view::almaty_date(c.opened_at)),
                "region": text::region(lang, &c.region),
            })
        })
        .collect();
    let first = u64::from(found.page - 1) * u64::from(found.per_page);
    let range = (!rows.is_empty()).then(|| {
        text::fill(
            text::get(lang, "search_range").unwrap_or_default(),
            &[
                ("from", &(first + 1).to_string()),
                ("to", &(first + rows.len() as u64).to_string()),
                ("total", &found.total.to_string()),
            ],
        )
    });
    let link = |page: u32| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("q", q);
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        format!("/search?{}", query.finish())
    };
    let shown = first + rows.len() as u64;
    json!({
        "rows": rows,
        "range": range,
        "prev": (found.page > 1).then(|| link(found.page - 1)),
        "next": (shown < found.total && found.page < MAX_PAGE).then(|| link(found.page + 1)),
    })
}

/// A service's title in `lang` (of any version: the title is the service's); its id when no
/// version is loaded.
fn service_title(shared: &Shared, service: &str, lang: Lang) -> String {
    shared
        .library
        .definitions
        .iter()
        .find(|d| d.id == service)
        .map_or_else(|| service.to_string(), |d| lang.pick(&d.title).to_string())
}

/// "Running", or "Completed: certificate issued".
fn status(status: Status, result: Option<&str>, lang: Lang) -> String {
    let key = match status {
        Status::Active => return text::or(lang, "status_active", "active"),
        Status::Completed => "status_completed",
        Status::Withdrawn => "status_withdrawn",
    };
    let mut s = text::or(lang, key, key);
    if let Some(result) = result {
        s.push_str(": ");
        s.push_str(&text::result(lang, result));
    }
    s
}

/// The page of archived case `number` (`/case/{number}` once the case is archived), for the
/// staff of its region: the number, the service, the result, when it closed and when it was
/// archived; for an administrator, the restore button. No such archived case: the 404 the
/// case page would have given (`missing`). Journalled as the case's opening.
pub async fn archived(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    number: &str,
    missing: String,
) -> PageResult {
    let engine = &service.engine;
    let Some(case) = engine
        .store()
        .archived_case(number)
        .await
        .map_err(|e| ApiError::from(crate::worker::Error::from(e)))?
    else {
        return Err(ApiError::NotFound(missing).into());
    };
    api::allowed(p, &case.region, number)?;
    engine
        .audit(api::record(
            p.login(),
            Action::CaseOpened,
            number,
            &ctx.source,
        ))
        .await?;
    let lang = ctx.lang;
    Ok(ctx.page(
        StatusCode::OK,
        Some(p),
        "archived",
        json!({
            "title": case.number,
            "number": case.number,
            "service": service_title(engine.shared(), &case.service, lang),
            "status": status(case.status, case.result.as_deref(), lang),
            "closed": view::day(view::almaty_date(case.closed_at)),
            "archived": view::day(view::almaty_date(case.archived_at)),
            "can_restore": p.account.has_role(Role::Administrator),
            "csrf": super::csrf(p),
        }),
    ))
}

/// `POST /case/{number}/restore`: an administrator puts the archived case back among the
/// active ones ([`api::archive::restoring`]), then its full page.
pub async fn restore(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(number): Path<String>,
) -> PageResult {
    api::archive::restoring(&service.engine, &p, &number, &ctx.source).await?;
    Ok(Redirect::to(&format!("/case/{number}")).into_response())
}
