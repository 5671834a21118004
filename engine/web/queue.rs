//! "My queue": the tasks of the clerk's roles and region, filtered, sorted and paged with
//! the same rules as `GET /tasks` ([`crate::api::queue`]).
//!
//! The view is all in the URL (`?who=mine&due=today&service=…&step=…&sort=number&order=desc
//! &page=2`), a GET form with no script, so a clerk can bookmark a view and every link on
//! the page (the pager, the language switch) keeps it. A value the page does not know (a
//! bookmark from before a service was retired, a hand-edited URL) is dropped, not refused:
//! the queue still opens.
//!
//! Each row names the applicant (from the case's data), the service by its short title, the
//! step by its title, and the time left in the unit a clerk plans by: minutes in the last
//! hour, hours within a day, then working days by the case's own calendar; overdue says by
//! how much. Only the cases of the page's rows are read, in one statement.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, PageResult, view};
use crate::api::auth::Principal;
use crate::api::{self, OrderParam, SortParam};
use crate::calendar::Calendar;
use crate::definition::Kind;
use crate::definition::model::{Definition, StepKind};
use crate::runtime::{CaseState, get_path};
use crate::service::Service;
use crate::store::TaskStatus;
use crate::worker::{self, Shared};

/// The tasks one page of the queue shows.
pub const PAGE_SIZE: u32 = 50;

/// Whose tasks the view keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Who {
    #[default]
    All,
    Mine,
    Unassigned,
}

/// Which due times the view keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum DueView {
    #[default]
    Any,
    Overdue,
    Today,
}

/// A view of the queue, as the URL says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct View {
    who: Who,
    due: DueView,
    /// A service id.
    service: Option<String>,
    /// `service:path`: a step of one service (two services may both have a `review`).
    step: Option<(String, String)>,
    sort: SortParam,
    order: OrderParam,
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
        let Some(query) = query else {
            return view;
        };
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match (k.as_ref(), v.as_ref()) {
                ("who", "mine") => view.who = Who::Mine,
                ("who", "unassigned") => view.who = Who::Unassigned,
                ("due", "overdue") => view.due = DueView::Overdue,
                ("due", "today") => view.due = DueView::Today,
                ("service", s) if !s.is_empty() => view.service = Some(s.to_string()),
                ("step", s) => {
                    view.step = s
                        .split_once(':')
                        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                        .map(|(a, b)| (a.to_string(), b.to_string()));
                }
                ("sort", "created") => view.sort = SortParam::Created,
                ("sort", "number") => view.sort = SortParam::Number,
                ("order", "desc") => view.order = OrderParam::Desc,
                ("page", p) => view.page = p.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                _ => {}
            }
        }
        view
    }

    /// The query that shows this view at `page`: only what differs from the default, in a
    /// fixed order, so that one view has one URL.
    fn query(&self, page: u32) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        match self.who {
            Who::All => {}
            Who::Mine => {
                q.append_pair("who", "mine");
            }
            Who::Unassigned => {
                q.append_pair("who", "unassigned");
            }
        }
        match self.due {
            DueView::Any => {}
            DueView::Overdue => {
                q.append_pair("due", "overdue");
            }
            DueView::Today => {
                q.append_pair("due", "today");
            }
        }
        if let Some(s) = &self.service {
            q.append_pair("service", s);
        }
        if let Some((s, p)) = &self.step {
            q.append_pair("step", &format!("{s}:{p}"));
        }
        match self.sort {
            SortParam::Due => {}
            SortParam::Created => {
                q.append_pair("sort", "created");
            }
            SortParam::Number => {
                q.append_pair("sort", "number");
            }
        }
        if self.order == OrderParam::Desc {
            q.append_pair("order", "desc");
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        q.finish()
    }

    /// The API's query for this view.
    fn api_query(&self) -> api::QueueQuery {
        let (service, step) = match &self.step {
            // A step names its service; a different service chosen beside it selects nothing,
            // as the two filters say.
            Some((s, p)) => match &self.service {
                Some(chosen) if chosen != s => (Some(chosen.clone()), Some(String::new())),
                _ => (Some(s.clone()), Some(p.clone())),
            },
            None => (self.service.clone(), None),
        };
        api::QueueQuery {
            mine: self.who == Who::Mine,
            unassigned: self.who == Who::Unassigned,
            overdue: (self.due == DueView::Overdue).then_some(true),
            due_today: self.due == DueView::Today,
            service,
            step,
            sort: self.sort,
            order: self.order,
            limit: PAGE_SIZE,
            offset: (self.page - 1).saturating_mul(PAGE_SIZE),
            ..api::QueueQuery::default()
        }
    }

    /// Whether any filter is set (the sort and page are not filters).
    fn filtered(&self) -> bool {
        self.who != Who::All
            || self.due != DueView::Any
            || self.service.is_some()
            || self.step.is_some()
    }
}

/// `GET /queue`: one page of the clerk's queue, as the URL's view filters and sorts it.
pub async fn list(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let engine = &service.engine;
    let shared = engine.shared();
    let mut view = View::parse(raw.as_deref());
    let services = service_options(shared, &p, ctx.lang);
    // A service or step the clerk's roles have no task in is no filter of theirs.
    if view
        .service
        .as_ref()
        .is_some_and(|s| !services.iter().any(|o| &o.id == s))
    {
        view.service = None;
    }
    if view.step.as_ref().is_some_and(|(s, path)| {
        !services
            .iter()
            .any(|o| &o.id == s && o.steps.iter().any(|(p, _)| p == path))
    }) {
        view.step = None;
    }
    let page = api::queue(engine, &p, &view.api_query()).await?;
    let now = shared.clock.now();
    let cases = page_cases(engine, &page.tasks).await?;
    let items: Vec<Value> = page
        .tasks
        .iter()
        .map(|row| {
            let case = cases.get(&row.number);
            let pinned = case.and_then(|c| shared.pinned(&c.service, &c.version).ok());
            // The short title fits a row; the full one is the cell's tooltip.
            let (step, service_title, service_full) = match pinned {
                Some((def, _)) => (
                    view::step_title(shared, def, &row.step, ctx.lang),
                    ctx.lang.pick(&def.short_title).to_string(),
                    ctx.lang.pick(&def.title).to_string(),
                ),
                None => (row.step.clone(), String::new(), String::new()),
            };
            let left = row
                .due_at
                .map(|due| time_left(due, now, pinned.map(|(_, c)| c)));
            json!({
                "key": row.key,
                "number": row.number,
                "applicant": case.and_then(applicant_name),
                "step": step,
                "service": service_title,
                "service_full": service_full,
                "due": row.due_at.map(view::when),
                "left": left.map(|l| left_text(ctx.lang, l)),
                "overdue": left.is_some_and(|l| l.overdue),
                "assignee": row.assignee,
                "claimable": row.status == TaskStatus::Open,
                "mine": row.assignee.as_deref() == Some(p.login()),
            })
        })
        .collect();
    let pages = page.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let first = u64::from(page.offset) + 1;
    let last = u64::from(page.offset) + page.tasks.len() as u64;
    let range = (!page.tasks.is_empty()).then(|| {
        text::fill(
            text::get(ctx.lang, "queue_range").unwrap_or_default(),
            &[
                ("from", &first.to_string()),
                ("to", &last.to_string()),
                ("total", &page.total.to_string()),
            ],
        )
    });
    let page_of = text::fill(
        text::get(ctx.lang, "queue_page_of").unwrap_or_default(),
        &[
            ("page", &view.page.to_string()),
            ("pages", &pages.to_string()),
        ],
    );
    // The applications this clerk files from the pages (a head of department's access
    // request), offered beside the queue.
    let fileable: Vec<Value> = api::fileable(engine, &p)
        .into_iter()
        .map(|d| json!({ "id": d.id, "title": ctx.lang.pick(&d.title) }))
        .collect();
    Ok(ctx.page(
        StatusCode::OK,
        Some(&p),
        "queue",
        json!({
            "title": text::get(ctx.lang, "queue_title"),
            "tasks": items,
            "fileable": fileable,
            "filters": filters(&view, &services, ctx.lang),
            "filtered": view.filtered(),
            "total": page.total,
            "range": range,
            "page_of": page_of,
            "pager": pager(&view, u64::from(view.page), pages),
        }),
    ))
}

/// The cases of a page's rows, by registration number: one statement for the page.
async fn page_cases(
    engine: &worker::Engine,
    rows: &[crate::store::TaskRow],
) -> Result<HashMap<String, CaseState>, super::WebError> {
    let mut numbers: Vec<String> = rows.iter().map(|r| r.number.clone()).collect();
    numbers.sort();
    numbers.dedup();
    let cases = engine
        .store()
        .cases_by_numbers(&numbers)
        .await
        .map_err(worker::Error::from)?;
    Ok(cases.into_iter().map(|c| (c.number.clone(), c)).collect())
}

/// The applicant's name as the case's data has it: `applicant.full_name`, else the last,
/// first and middle names; `None` before the acceptance recorded any.
fn applicant_name(case: &CaseState) -> Option<String> {
    let data = case.data.get("")?;
    let text = |name: &str| {
        get_path(data, name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let Some(full) = text("applicant.full_name") {
        return Some(full.to_string());
    }
    let parts: Vec<&str> = [
        "applicant.last_name",
        "applicant.first_name",
        "applicant.middle_name",
    ]
    .into_iter()
    .filter_map(text)
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// How much time a task has left, or how far past its due time it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLeft {
    /// In the unit a clerk plans by.
    pub amount: Amount,
    /// Past the due time.
    pub overdue: bool,
}

/// An amount of time in one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// Under an hour.
    Minutes(i64),
    /// Under a day, or further when the calendar cannot count the days.
    Hours(i64),
    /// By the case's working-day calendar.
    WorkingDays(i64),
}

/// The time from `now` to `due` (or past it): minutes in the last hour (rounded up while
/// time is left, so "1 min" is never "0 min"), hours within a day, beyond that the working
/// days between the Almaty dates by `calendar` — what the statutory terms count. Hours again
/// when there is no calendar, it does not cover the dates, or no working day lies between
/// (a task due on Monday morning, seen on Saturday).
pub fn time_left(due: DateTime<Utc>, now: DateTime<Utc>, calendar: Option<&Calendar>) -> TimeLeft {
    let overdue = due < now;
    let span = if overdue { now - due } else { due - now };
    let minutes = if overdue {
        span.num_minutes().max(1)
    } else {
        (span.num_seconds() + 59).div_euclid(60).max(1)
    };
    let amount = if minutes < 60 {
        Amount::Minutes(minutes)
    } else if minutes < 24 * 60 {
        Amount::Hours(minutes / 60)
    } else {
        let (from, to) = (view::almaty_date(now), view::almaty_date(due));
        calendar
            .and_then(|c| c.working_days_between(from, to).ok())
            .map(i64::abs)
            .filter(|d| *d >= 1)
            .map_or(Amount::Hours(minutes / 60), Amount::WorkingDays)
    };
    TimeLeft { amount, overdue }
}

/// Russian's form of a noun after `n`: `one` (1, 21, 101), `few` (2-4, 22-24), `many` (0,
/// 5-20, 25-30, 111-114). Kazakh uses one form for all three.
pub fn plural(n: i64) -> &'static str {
    let n = n.abs();
    match (n % 10, n % 100) {
        (1, h) if h != 11 => "one",
        (2..=4, h) if !(12..=14).contains(&h) => "few",
        _ => "many",
    }
}

/// The time left as a clerk reads it: "20 мин", "3 ч", "2 рабочих дня", "просрочено на 2 ч".
pub fn left_text(lang: Lang, left: TimeLeft) -> String {
    let t = |key: &str| text::get(lang, key).unwrap_or_default();
    let (key, n) = match left.amount {
        Amount::Minutes(n) => ("queue_minutes".to_string(), n),
        Amount::Hours(n) => ("queue_hours".to_string(), n),
        Amount::WorkingDays(n) => (format!("queue_days_{}", plural(n)), n),
    };
    let amount = text::fill(t(&key), &[("n", &n.to_string())]);
    if left.overdue {
        text::fill(t("queue_overdue_by"), &[("left", &amount)])
    } else {
        amount
    }
}

/// A service a clerk's queue can hold, with the steps of its tasks in the clerk's roles.
struct ServiceOption {
    id: String,
    title: String,
    /// (step path, title).
    steps: Vec<(String, String)>,
}

/// The services with a task step for one of `p`'s roles, by title, each with those steps
/// (inside its sub-workflow calls too) in the order of its latest version's file.
fn service_options(shared: &Shared, p: &Principal, lang: Lang) -> Vec<ServiceOption> {
    let mut latest: HashMap<&str, &Definition> = HashMap::new();
    for d in shared
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == Kind::Service)
    {
        let e = latest.entry(d.id.as_str()).or_insert(d);
        if d.effective_from > e.effective_from {
            *e = d;
        }
    }
    let mut options: Vec<ServiceOption> = latest
        .into_values()
        .filter_map(|def| {
            let mut steps = Vec::new();
            task_steps(shared, def, "", p, lang, &mut steps, 0);
            (!steps.is_empty()).then(|| ServiceOption {
                id: def.id.clone(),
                title: lang.pick(&def.short_title).to_string(),
                steps,
            })
        })
        .collect();
    options.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    options
}

/// The task steps of `def` for `p`'s roles, as paths under `prefix`, into `out`; sub-workflow
/// calls followed a few levels deep (definitions cannot call in a cycle, the depth is a
/// guard only).
fn task_steps(
    shared: &Shared,
    def: &Definition,
    prefix: &str,
    p: &Principal,
    lang: Lang,
    out: &mut Vec<(String, String)>,
    depth: u32,
) {
    for step in &def.steps {
        let path = format!("{prefix}{}", step.name);
        match &step.kind {
            StepKind::Task(task)
                if may_work(p, &task.role) && !out.iter().any(|(known, _)| *known == path) =>
            {
                let title = crate::definition::graph::title(step, lang.definition());
                out.push((path, title));
            }
            StepKind::Call { workflow, .. } if depth < 4 => {
                if let Some(sub) = shared.subworkflows.get(workflow) {
                    task_steps(shared, sub, &format!("{path}/"), p, lang, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Whether `role` (a definition's role id) is one of `p`'s.
fn may_work(p: &Principal, role: &str) -> bool {
    role.parse::<crate::accounts::Role>()
        .is_ok_and(|r| p.account.has_role(r))
}

/// The filter form's selects, each option marked when chosen.
fn filters(view: &View, services: &[ServiceOption], lang: Lang) -> Value {
    let t = |key: &str| text::get(lang, key).unwrap_or_default();
    let option = |value: &str, label: &str, selected: bool| json!({ "value": value, "label": label, "selected": selected });
    let who = [
        ("", "queue_who_all", Who::All),
        ("mine", "queue_who_mine", Who::Mine),
        ("unassigned", "queue_who_unassigned", Who::Unassigned),
    ]
    .map(|(v, k, w)| option(v, t(k), view.who == w));
    let due = [
        ("", "queue_due_any", DueView::Any),
        ("overdue", "queue_due_overdue", DueView::Overdue),
        ("today", "queue_due_today", DueView::Today),
    ]
    .map(|(v, k, d)| option(v, t(k), view.due == d));
    let sort = [
        ("", "queue_sort_due", SortParam::Due),
        ("created", "queue_sort_created", SortParam::Created),
        ("number", "queue_sort_number", SortParam::Number),
    ]
    .map(|(v, k, s)| option(v, t(k), view.sort == s));
    let order = [
        ("", "queue_order_asc", OrderParam::Asc),
        ("desc", "queue_order_desc", OrderParam::Desc),
    ]
    .map(|(v, k, o)| option(v, t(k), view.order == o));
    let service: Vec<Value> = services
        .iter()
        .map(|s| option(&s.id, &s.title, view.service.as_deref() == Some(&s.id)))
        .collect();
    let steps: Vec<Value> = services
        .iter()
        .map(|s| {
            let options: Vec<Value> = s
                .steps
                .iter()
                .map(|(path, title)| {
                    let value = format!("{}:{path}", s.id);
                    let chosen = view
                        .step
                        .as_ref()
                        .is_some_and(|(vs, vp)| *vs == s.id && vp == path);
                    option(&value, title, chosen)
                })
                .collect();
            json!({ "label": s.title, "options": options })
        })
        .collect();
    json!({
        "who": who,
        "due": due,
        "service": service,
        "steps": steps,
        "sort": sort,
        "order": order,
    })
}

/// The pager's links: first, previous, next and last, each keeping the view, absent where
/// it would lead nowhere.
fn pager(view: &View, page: u64, pages: u64) -> Value {
    let link = |to: u64| {
        let to = u32::try_from(to).unwrap_or(u32::MAX);
        format!("/queue?{}", view.query(to))
            .trim_end_matches('?')
            .to_string()
    };
    let back = page > 1;
    let forward = page < pages;
    json!({
        "first": back.then(|| link(1)),
        "prev": back.then(|| link(page.min(pages + 1) - 1)),
        "next": forward.then(|| link(page + 1)),
        "last": forward.then(|| link(pages)),
        "show": pages > 1 || page > 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_agrees_the_noun_with_the_number() {
        for (n, form) in [
            (1, "one"),
            (2, "few"),
            (4, "few"),
            (5, "many"),
            (11, "many"),
            (12, "many"),
            (14, "many"),
            (21, "one"),
            (22, "few"),
            (25, "many"),
            (101, "one"),
            (111, "many"),
        ] {
            assert_eq!(plural(n), form, "{n}");
        }
        let days = |n| TimeLeft {
            amount: Amount::WorkingDays(n),
            overdue: false,
        };
        assert_eq!(left_text(Lang::Ru, days(1)), "1 рабочий день");
        assert_eq!(left_text(Lang::Ru, days(3)), "3 рабочих дня");
        assert_eq!(left_text(Lang::Ru, days(5)), "5 рабочих дней");
        assert_eq!(left_text(Lang::Kk, days(5)), "5 жұмыс күні");
    }

    #[test]
    fn a_view_has_one_url_and_reads_back_from_it() {
        let view = View {
            who: Who::Unassigned,
            due: DueView::Today,
            service: Some("rehabilitated-person-certificate".into()),
            step: Some((
                "rehabilitated-person-certificate".into(),
                "hearing/hold".into(),
            )),
            sort: SortParam::Number,
            order: OrderParam::Desc,
            page: 3,
        };
        let query = view.query(3);
        assert_eq!(View::parse(Some(&query)), view, "{query}");
        assert_eq!(View::parse(None).query(1), "");
        assert_eq!(View::parse(Some("page=0&who=nobody&lang=ru")).page, 1);
    }
}
