//! The head of department's page (`/department`, issue #18): what is late in her department
//! and who holds it, and the moves she makes when a clerk is away — give a task to another
//! clerk, take it over, put it back in the queue.
//!
//! What it shows and does is [`crate::api::department`]'s (`overview`, `reassigning`,
//! `taking_over`, `releasing`), the same checks and records as the API. The view is the URL
//! (`?role=…&service=…&assignee=…&overdue=1&page=2`), a GET form with no script; a value the
//! page does not know is dropped, not refused. Each move's form carries the view back, so the
//! head lands where she was; a clerk who cannot take a task is said beside that row's field.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::queue::{left_text, time_left};
use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, view};
use crate::api::auth::Principal;
use crate::api::department::{self, Department, DepartmentQuery, Reassignment};
use crate::definition::Kind;
use crate::service::Service;
use crate::store::TaskStatus;

/// The tasks one page shows.
pub const PAGE_SIZE: u32 = 50;

/// The routes of this page.
pub fn routes() -> Router<Service> {
    Router::new()
        .route("/department", get(page))
        .route("/department/tasks/{key}/reassign", post(reassign))
        .route("/department/tasks/{key}/take-over", post(take_over))
        .route("/department/tasks/{key}/release", post(release))
}

/// A view of the department, as the URL says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct View {
    role: Option<String>,
    service: Option<String>,
    assignee: Option<String>,
    overdue: bool,
    /// 1-based.
    page: u32,
}

impl View {
    /// Reads the query leniently: what it does not know is the default.
    fn parse(query: Option<&str>) -> View {
        let mut view = View {
            page: 1,
            ..View::default()
        };
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value = (!v.is_empty()).then(|| v.to_string());
            match k.as_ref() {
                "role" => view.role = value,
                "service" => view.service = value,
                "assignee" => view.assignee = value,
                "overdue" => view.overdue = v == "1",
                "page" => view.page = v.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                _ => {}
            }
        }
        view
    }

    /// The query that shows this view at `page`: what differs from the default, in a fixed
    /// order, so one view has one URL.
    fn query(&self, page: u32) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("role", &self.role),
            ("service", &self.service),
            ("assignee", &self.assignee),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        if self.overdue {
            q.append_pair("overdue", "1");
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        q.finish()
    }

    fn link(&self, page: u32) -> String {
        let q = self.query(page);
        if q.is_empty() {
            "/department".into()
        } else {
            format!("/department?{q}")
        }
    }

    fn api_query(&self) -> DepartmentQuery {
        DepartmentQuery {
            role: self.role.clone(),
            service: self.service.clone(),
            assignee: self.assignee.clone(),
            overdue: self.overdue,
            limit: PAGE_SIZE,
            offset: (self.page - 1).saturating_mul(PAGE_SIZE),
        }
    }
}

/// `GET /department`.
async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    render(&service, &ctx, &p, View::parse(raw.as_deref()), None).await
}

/// A move's mistake to show beside a row's field: the task's key and the words.
type Mistake = (String, String);

/// The page for `view`, with `mistake` beside its row's field (then answered 422).
async fn render(
    service: &Service,
    ctx: &Ctx,
    p: &Principal,
    mut view: View,
    mistake: Option<Mistake>,
) -> PageResult {
    let engine = &service.engine;
    let shared = engine.shared();
    let lang = ctx.lang;
    let supervised = department::supervised(engine, p)?;
    // A filter that is no longer one of the department's is dropped, not refused.
    if view.role.as_ref().is_some_and(|r| !supervised.contains(r)) {
        view.role = None;
    }
    let services = service_options(service, lang);
    if view
        .service
        .as_ref()
        .is_some_and(|s| !services.iter().any(|(id, _)| id == s))
    {
        view.service = None;
    }
    let d: Department = department::overview(engine, p, &view.api_query()).await?;
    if view
        .assignee
        .as_ref()
        .is_some_and(|a| !d.clerks.iter().any(|c| &c.login == a))
    {
        view.assignee = None;
    }
    let now = shared.clock.now();
    let role_title = |r: &str| view::role_title(&service.catalog, r, lang);
    let who = |login: &str, name: &str| {
        if name.is_empty() {
            login.to_string()
        } else {
            format!("{name} ({login})")
        }
    };
    let clerks: Vec<Value> = d
        .clerks
        .iter()
        .map(|c| {
            json!({
                "login": c.login,
                "name": who(&c.login, &c.full_name),
                "roles": c.roles.iter().map(|r| role_title(r)).collect::<Vec<_>>().join(", "),
                "claimed": c.claimed,
                "overdue": c.overdue,
                "due_today": c.due_today,
                "free": c.claimed == 0,
                "link": View { assignee: Some(c.login.clone()), page: 1, ..View::default() }.link(1),
            })
        })
        .collect();
    let back = view.query(view.page);
    let mut numbers: Vec<String> = d.tasks.iter().map(|t| t.number.clone()).collect();
    numbers.sort();
    numbers.dedup();
    let cases = engine
        .store()
        .cases_by_numbers(&numbers)
        .await
        .map_err(crate::worker::Error::from)?;
    let tasks: Vec<Value> = d
        .tasks
        .iter()
        .map(|t| {
            let case = cases.iter().find(|c| c.number == t.number);
            let pinned = case.and_then(|c| shared.pinned(&c.service, &c.version).ok());
            let (step, service_title) = match pinned {
                Some((def, _)) => (
                    view::step_title(shared, def, &t.step, lang),
                    lang.pick(&def.short_title).to_string(),
                ),
                None => (t.step.clone(), t.service.clone().unwrap_or_default()),
            };
            let left = t
                .due_at
                .map(|due| time_left(due, now, pinned.map(|(_, c)| c)));
            // Who may take it: an active clerk of the department with its role who works in
            // its region and does not hold it already.
            let candidates: Vec<Value> = d
                .clerks
                .iter()
                .filter(|c| c.roles.contains(&t.role))
                .filter(|c| c.region == t.region || c.region == crate::accounts::REPUBLIC)
                .filter(|c| t.assignee.as_deref() != Some(c.login.as_str()))
                .map(|c| json!({ "login": c.login, "name": who(&c.login, &c.full_name) }))
                .collect();
            let error = mistake
                .as_ref()
                .filter(|(key, _)| *key == t.key)
                .map(|(_, words)| words.clone());
            json!({
                "key": t.key,
                "number": t.number,
                "service": service_title,
                "step": step,
                "role": role_title(&t.role),
                "assignee": t.assignee.as_deref().map(|a| who(a, t.assignee_name.as_deref().unwrap_or_default())),
                "due": t.due_at.map(view::when),
                "left": left.map(|l| left_text(lang, l)),
                "overdue": left.is_some_and(|l| l.overdue),
                "candidates": candidates,
                "mine": t.assignee.as_deref() == Some(p.login()),
                "held": t.status == TaskStatus::Claimed,
                "error": error,
            })
        })
        .collect();
    let pages = d.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let page_of = text::fill(
        text::get(lang, "queue_page_of").unwrap_or_default(),
        &[
            ("page", &view.page.to_string()),
            ("pages", &pages.to_string()),
        ],
    );
    let first = u64::from(d.offset) + 1;
    let last = u64::from(d.offset) + d.tasks.len() as u64;
    let range = (!d.tasks.is_empty()).then(|| {
        text::fill(
            text::get(lang, "queue_range").unwrap_or_default(),
            &[
                ("from", &first.to_string()),
                ("to", &last.to_string()),
                ("total", &d.total.to_string()),
            ],
        )
    });
    let page = u64::from(view.page);
    let to_page = |n: u64| view.link(u32::try_from(n).unwrap_or(u32::MAX));
    let option = |value: &str, label: String, selected: bool| json!({ "value": value, "label": label, "selected": selected });
    let filters = json!({
        "role": supervised.iter().map(|r| option(r, role_title(r), view.role.as_deref() == Some(r))).collect::<Vec<_>>(),
        "service": services.iter().map(|(id, title)| option(id, title.clone(), view.service.as_deref() == Some(id))).collect::<Vec<_>>(),
        "assignee": d.clerks.iter().map(|c| option(&c.login, who(&c.login, &c.full_name), view.assignee.as_deref() == Some(&c.login))).collect::<Vec<_>>(),
        "overdue": view.overdue,
    });
    let status = if mistake.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let filtered =
        view.role.is_some() || view.service.is_some() || view.assignee.is_some() || view.overdue;
    let overdue_link = View {
        overdue: true,
        page: 1,
        ..View::default()
    }
    .link(1);
    Ok(ctx.page(
        status,
        Some(p),
        "department",
        json!({
            "title": text::get(lang, "dept_title"),
            "counts": d.counts,
            "overdue_link": overdue_link,
            "clerks": clerks,
            "tasks": tasks,
            "filters": filters,
            "filtered": filtered,
            "total": d.total,
            "range": range,
            "page_of": page_of,
            "back": back,
            "pager": {
                "first": (page > 1).then(|| to_page(1)),
                "prev": (page > 1).then(|| to_page(page.min(pages + 1) - 1)),
                "next": (page < pages).then(|| to_page(page + 1)),
                "last": (page < pages).then(|| to_page(pages)),
                "show": pages > 1 || page > 1,
            },
        }),
    ))
}

/// Every service, by its short title in the page language: the service filter.
fn service_options(service: &Service, lang: Lang) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for d in service
        .engine
        .shared()
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == Kind::Service)
    {
        if !out.iter().any(|(id, _)| *id == d.id) {
            out.push((d.id.clone(), lang.pick(&d.short_title).to_string()));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Where a move lands: the view its form came from.
fn back_to(form: &Fields) -> Redirect {
    let view = View::parse(form.get("view"));
    Redirect::to(&view.link(view.page))
}

/// `POST /department/tasks/{key}/reassign`: the task to the clerk chosen, or the page again
/// with why not beside the row's field.
async fn reassign(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    let to = form.text("to");
    match department::reassigning(&service.engine, &p, &key, &to, &ctx.source).await {
        Ok(()) => Ok(back_to(&form).into_response()),
        Err(Reassignment::To(bad)) => {
            let words = text::get(ctx.lang, bad.text_key())
                .unwrap_or_default()
                .to_string();
            let view = View::parse(form.get("view"));
            render(&service, &ctx, &p, view, Some((key, words))).await
        }
        Err(Reassignment::Refused(e)) => Err(e.into()),
    }
}

/// `POST /department/tasks/{key}/take-over`: the task is the head's.
async fn take_over(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    department::taking_over(&service.engine, &p, &key, &ctx.source).await?;
    Ok(back_to(&form).into_response())
}

/// `POST /department/tasks/{key}/release`: the task back in its queue.
async fn release(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(key): Path<String>,
    form: Fields,
) -> PageResult {
    department::releasing(&service.engine, &p, &key, &ctx.source).await?;
    Ok(back_to(&form).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_has_one_url_and_reads_back_from_it() {
        let view = View {
            role: Some("provider_specialist".into()),
            service: Some("rehabilitated-person-certificate".into()),
            assignee: Some("spec.almaty".into()),
            overdue: true,
            page: 2,
        };
        assert_eq!(View::parse(Some(&view.query(2))), view);
        assert_eq!(View::default().link(1), "/department");
        assert_eq!(View::parse(Some("page=0&overdue=yes&x=1")).page, 1);
        assert!(!View::parse(Some("overdue=yes")).overdue);
    }
}
