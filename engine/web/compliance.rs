//! The term-compliance page: `GET /compliance?service=&region=&from=&to=` and the same
//! figures as a spreadsheet, `GET /compliance.csv?…`. What `GET /reports/compliance` answers
//! ([`crate::api::reports::reading`]), under its rule: heads of department, department
//! directors and administrators, of their region (`kz`: any); anyone else is refused, and
//! the refusal journalled by the frame's layer.
//!
//! The form is a GET whose view is the URL (a head sends the address to the director). Under
//! it: the share in term per month as a bar chart drawn here in SVG (no script: the numbers
//! are text in it, and its `<title>`/`<desc>` say what it shows), the table with the same
//! numbers, the time per step as the process diagram coloured by each step's median (a heat
//! map on `web::diagram`, with its scale and the table of medians and 90th percentiles), and
//! the steps and clerks with the most overdue work. Numbers as people here read them: `66,7 %`.
//!
//! **The CSV** is for Excel as it opens in a Kazakh or Russian locale: `;` between values
//! (that locale's list separator, since its decimal separator is the comma — a `,` file
//! opens as one column), the share with a decimal comma so it reads as a number, and UTF-8
//! with a BOM (without it Excel reads the file as the ANSI code page, and Cyrillic breaks).
//! Three sections, each with its header row: months, steps, clerks.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use super::text::{self, Lang};
use super::{Clerk, Ctx, PageResult, diagram, view};
use crate::accounts::REPUBLIC;
use crate::api::auth::Principal;
use crate::api::reports::{self, Bad, ComplianceParams, ComplianceReport, READERS};
use crate::compliance::{Month, MonthFigures, StepTime};
use crate::definition::graph;
use crate::service::Service;
use crate::worker::Shared;

/// The routes of this page.
pub fn routes() -> Router<Service> {
    Router::new()
        .route("/compliance", get(page))
        .route("/compliance.csv", get(csv))
}

/// The heat map's colours, from the quickest fifth of the slowest median to the slowest.
const SCALE: [&str; 5] = ["#c8e6c9", "#fff59d", "#ffcc80", "#ff8a65", "#e53935"];

/// The parameters of the address (`lang` is the frame's).
fn params(raw: Option<&str>) -> ComplianceParams {
    let mut p = ComplianceParams::default();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let value = Some(value.into_owned());
        match key.as_ref() {
            "service" => p.service = value,
            "region" => p.region = value,
            "from" => p.from = value,
            "to" => p.to = value,
            _ => {}
        }
    }
    p
}

/// `GET /compliance`.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    p.require(&READERS)?;
    let engine = &service.engine;
    let shared = engine.shared();
    let lang = ctx.lang;
    let asked = params(raw.as_deref());
    let mut data = json!({
        "title": text::get(lang, "compliance_title"),
        "form": form(shared, &p, &asked, lang),
        "problem": Value::Null,
        "report": Value::Null,
    });
    let (svc, region, period) = match reports::parse(engine, &asked) {
        Ok(parsed) => parsed,
        Err(bad) => {
            data["problem"] = json!({ "field": bad.field(), "text": problem(&bad, lang) });
            data["form"]["errors"][bad.field()] = json!(problem(&bad, lang));
            return Ok(ctx.page(StatusCode::OK, Some(&p), "compliance", data));
        }
    };
    let region = reports::scope(&p, region)?;
    data["form"]["from"] = json!(period.from.to_string());
    data["form"]["to"] = json!(period.to.to_string());
    let report = reports::reading(
        engine,
        &reports::Asked {
            service: svc,
            region,
            period,
        },
    )
    .await?;
    data["report"] = shown(&service, &report, &raw.unwrap_or_default(), lang).await;
    Ok(ctx.page(StatusCode::OK, Some(&p), "compliance", data))
}

/// What a parameter's refusal says beside its field.
fn problem(bad: &Bad, lang: Lang) -> String {
    let key = match bad {
        Bad::Service(_) => "compliance_err_service",
        Bad::Region(_) => "compliance_err_region",
        Bad::Month(..) => "compliance_err_month",
        Bad::Order => "compliance_err_order",
        Bad::Span => "compliance_err_span",
    };
    text::or(lang, key, key)
}

/// The form as asked: the services to choose from, the region (a field only for an account
/// of the whole republic), the months.
fn form(shared: &Shared, p: &Principal, asked: &ComplianceParams, lang: Lang) -> Value {
    let chosen = asked.service.as_deref().unwrap_or_default();
    let mut services: Vec<Value> = Vec::new();
    for d in &shared.library.definitions {
        if d.kind == crate::definition::Kind::Service
            && !services.iter().any(|s| s["value"] == json!(d.id))
        {
            services.push(json!({
                "value": d.id,
                "label": lang.pick(&d.title),
                "selected": d.id == chosen,
            }));
        }
    }
    let republic = p.account.region == REPUBLIC;
    json!({
        "services": services,
        "republic": republic,
        "region": asked.region.clone().unwrap_or_default(),
        "own_region": text::region(lang, &p.account.region),
        "from": asked.from.clone().unwrap_or_default(),
        "to": asked.to.clone().unwrap_or_default(),
        "errors": { "service": null, "region": null, "from": null, "to": null },
    })
}

/// A count as read here: groups of three digits with a space.
fn count(n: u64) -> String {
    crate::money::grouped(rust_decimal::Decimal::from(n))
}

/// A share as read here: `66,7`.
fn share(value: f64) -> String {
    format!("{value:.1}").replace('.', ",")
}

/// `MM.YYYY`, as a month is written here.
fn month_text(month: &str) -> String {
    match Month::parse(month) {
        Some(m) => format!("{:02}.{}", m.month(), m.year()),
        None => month.to_string(),
    }
}

/// A duration as a head reads it: minutes under an hour, hours under two days, else days.
fn duration(seconds: i64, lang: Lang) -> String {
    let unit = |key: &str| text::or(lang, key, "");
    if seconds < 3600 {
        format!("{} {}", (seconds + 59) / 60, unit("compliance_unit_min"))
    } else if seconds < 48 * 3600 {
        format!(
            "{} {}",
            share(seconds as f64 / 3600.0),
            unit("compliance_unit_hours")
        )
    } else {
        format!(
            "{} {}",
            share(seconds as f64 / 86400.0),
            unit("compliance_unit_days")
        )
    }
}

/// A step's title in `lang`, through the sub-workflow it is in; its path when no version
/// of the service knows it (a report over every service names steps of several).
fn step_title(shared: &Shared, service: Option<&str>, step: &str, lang: Lang) -> String {
    let Some(service) = service else {
        return step.to_string();
    };
    shared
        .library
        .definitions
        .iter()
        .filter(|d| d.id == service)
        .find(|d| {
            step.split('/')
                .next()
                .is_some_and(|first| d.step_named(first).is_some())
        })
        .map_or_else(
            || step.to_string(),
            |d| view::step_title(shared, d, step, lang),
        )
}

/// What the page shows of `report`.
async fn shown(service: &Service, report: &ComplianceReport, query: &str, lang: Lang) -> Value {
    let shared = service.engine.shared();
    let svc = report.service.as_deref();
    let f = &report.figures;
    let row = |m: &MonthFigures, label: String| {
        json!({
            "month": label,
            "registered": count(m.registered),
            "rendered": count(m.rendered),
            "in_term": count(m.in_term),
            "late": count(m.late),
            "share": m.share_in_term.map(|s| format!("{} %", share(s))),
            "not_accepted": count(m.not_accepted),
            "withdrawn": count(m.withdrawn),
            "open_past_term": count(m.open_past_term),
        })
    };
    let months: Vec<Value> = f
        .months
        .iter()
        .map(|m| row(m, month_text(&m.month)))
        .collect();
    let steps: Vec<Value> = f
        .steps
        .iter()
        .map(|s| {
            json!({
                "step": s.step,
                "title": step_title(shared, svc, &s.step, lang),
                "completed": count(s.completed),
                "median": duration(s.median_seconds, lang),
                "p90": duration(s.p90_seconds, lang),
            })
        })
        .collect();
    let overdue_steps: Vec<Value> = f
        .overdue_steps
        .iter()
        .map(|s| {
            json!({
                "title": step_title(shared, svc, &s.step, lang),
                "open_overdue": count(s.open_overdue),
                "completed_late": count(s.completed_late),
            })
        })
        .collect();
    let mut clerks = Vec::new();
    if let Ok(mut conn) = service.engine.store().read().await {
        for c in &f.overdue_clerks {
            let name = crate::store::accounts::account_by_login(&mut conn, &c.login)
                .await
                .ok()
                .flatten()
                .map(|a| a.full_name);
            clerks.push(json!({
                "login": c.login,
                "name": name,
                "holding": count(c.holding_overdue),
                "completed_late": count(c.completed_late),
            }));
        }
        conn.close().await;
    }
    let csv = if query.is_empty() {
        "/compliance.csv".to_string()
    } else {
        format!("/compliance.csv?{query}")
    };
    json!({
        "scope": format!(
            "{} · {} · {} — {}",
            svc.map_or_else(
                || text::or(lang, "compliance_all_services", ""),
                |s| shared
                    .library
                    .definitions
                    .iter()
                    .find(|d| d.id == s)
                    .map_or_else(|| s.to_string(), |d| lang.pick(&d.title).to_string()),
            ),
            report.region.as_deref().map_or_else(
                || text::or(lang, "compliance_all_regions", ""),
                |r| text::region(lang, r),
            ),
            month_text(&report.from),
            month_text(&report.to),
        ),
        "chart": chart(&f.months, lang),
        "months": months,
        "total": row(&f.total, text::or(lang, "compliance_total", "")),
        "steps": steps,
        "heat": svc.and_then(|s| heat(shared, s, &f.steps, lang)),
        "overdue_steps": overdue_steps,
        "overdue_clerks": clerks,
        "csv": csv,
    })
}

/// The bar chart of the share in term per month, as inline SVG: a bar per month with its
/// percentage above it, the month under it, the 0/50/100 % lines; `<title>` and `<desc>`
/// for a screen reader. No bar (and a dash) for a month with nothing rendered.
fn chart(months: &[MonthFigures], lang: Lang) -> String {
    const LEFT: f64 = 48.0;
    const TOP: f64 = 24.0;
    const HEIGHT: f64 = 180.0;
    const STEP: f64 = 56.0;
    const BAR: f64 = 36.0;
    let width = LEFT + STEP * months.len() as f64 + 8.0;
    let total_height = TOP + HEIGHT + 40.0;
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut svg = format!(
        "<svg id=\"compliance-chart\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         width=\"{width}\" height=\"{total_height}\" viewBox=\"0 0 {width} {total_height}\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"12\">\
         <title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>",
        esc(&text::or(lang, "compliance_chart_title", "")),
        esc(&text::or(lang, "compliance_chart_desc", "")),
    );
    for pct in [0.0, 50.0, 100.0] {
        let y = TOP + HEIGHT - HEIGHT * pct / 100.0;
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\" stroke=\"#c5cad0\" stroke-width=\"1\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{} %</text>",
            LEFT - 6.0,
            y + 4.0,
            pct as u32
        ));
    }
    for (i, m) in months.iter().enumerate() {
        let x = LEFT + STEP * i as f64 + (STEP - BAR) / 2.0;
        let centre = x + BAR / 2.0;
        match m.share_in_term {
            Some(s) => {
                let h = HEIGHT * s / 100.0;
                let y = TOP + HEIGHT - h;
                let colour = if s >= 90.0 {
                    "#2e7d32"
                } else if s >= 70.0 {
                    "#f9a825"
                } else {
                    "#c62828"
                };
                svg.push_str(&format!(
                    "<rect class=\"bar\" data-month=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{BAR}\" height=\"{h}\" fill=\"{colour}\"/>\
                     <text class=\"share\" data-month=\"{}\" x=\"{centre}\" y=\"{}\" text-anchor=\"middle\">{} %</text>",
                    m.month,
                    m.month,
                    y - 5.0,
                    share(s)
                ));
            }
            None => svg.push_str(&format!(
                "<text class=\"share\" data-month=\"{}\" x=\"{centre}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\">—</text>",
                m.month,
                TOP + HEIGHT - 5.0
            )),
        }
        svg.push_str(&format!(
            "<text class=\"month\" x=\"{centre}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            TOP + HEIGHT + 18.0,
            month_text(&m.month)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The service's diagram (its version in force now, else its newest) with each task step
/// filled by its median's fifth of the slowest median, and the scale; `None` when no task
/// was completed or the diagram cannot be laid out.
fn heat(shared: &Shared, service: &str, steps: &[StepTime], lang: Lang) -> Option<Value> {
    let today = shared
        .clock
        .now()
        .with_timezone(&crate::clock::ZONE)
        .date_naive();
    let def = shared.library.in_force(service, today).or_else(|| {
        shared
            .library
            .definitions
            .iter()
            .filter(|d| d.id == service)
            .max_by_key(|d| d.effective_from)
    })?;
    let top: Vec<&StepTime> = steps
        .iter()
        .filter(|s| !s.step.contains('/') && def.step_named(&s.step).is_some())
        .collect();
    let slowest = top.iter().map(|s| s.median_seconds).max()?.max(1);
    let bucket = |seconds: i64| ((seconds * 5 / slowest).clamp(0, 4)) as usize;
    let fills: Vec<(String, String)> = top
        .iter()
        .map(|s| (s.step.clone(), SCALE[bucket(s.median_seconds)].to_string()))
        .collect();
    let dot = graph::render(
        def,
        graph::Format::Dot,
        &graph::Options {
            lang: lang.definition(),
            clerk: Some(text::edge),
            ..Default::default()
        },
    );
    let svg = diagram::svg_filled(&dot, &fills)?;
    let scale: Vec<Value> = SCALE
        .iter()
        .enumerate()
        .map(|(i, colour)| {
            json!({
                "colour": colour,
                "from": duration(slowest * i as i64 / 5, lang),
                "to": duration(slowest * (i as i64 + 1) / 5, lang),
            })
        })
        .collect();
    Some(json!({ "svg": svg, "scale": scale }))
}

/// `GET /compliance.csv`: the same figures as a spreadsheet (see the module's note).
pub async fn csv(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let engine = &service.engine;
    let asked = reports::asked(engine, &p, &params(raw.as_deref()))?;
    let report = reports::reading(engine, &asked).await?;
    let body = csv_text(engine.shared(), &report, ctx.lang);
    let name = format!(
        "compliance-{}-{}-{}.csv",
        report.service.as_deref().unwrap_or("all"),
        report.from,
        report.to
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A value of the CSV: quoted when it holds the separator, a quote or a line break.
fn cell(value: &str) -> String {
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// The CSV's text: a BOM, then the months, the steps and the clerks, each with its header.
pub fn csv_text(shared: &Shared, report: &ComplianceReport, lang: Lang) -> String {
    let t = |key: &str| text::or(lang, key, key);
    let line = |values: Vec<String>| {
        let mut l = values.iter().map(|v| cell(v)).collect::<Vec<_>>().join(";");
        l.push_str("\r\n");
        l
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&line(vec![t("compliance_csv_section_months")]));
    out.push_str(&line(
        [
            "compliance_col_month",
            "compliance_col_registered",
            "compliance_col_rendered",
            "compliance_col_in_term",
            "compliance_col_late",
            "compliance_col_share",
            "compliance_col_not_accepted",
            "compliance_col_withdrawn",
            "compliance_col_open_past",
        ]
        .iter()
        .map(|k| t(k))
        .collect(),
    ));
    let f = &report.figures;
    for m in f.months.iter().chain(std::iter::once(&f.total)) {
        let month = if m.month == "total" {
            t("compliance_total")
        } else {
            m.month.clone()
        };
        out.push_str(&line(vec![
            month,
            m.registered.to_string(),
            m.rendered.to_string(),
            m.in_term.to_string(),
            m.late.to_string(),
            m.share_in_term.map(share).unwrap_or_default(),
            m.not_accepted.to_string(),
            m.withdrawn.to_string(),
            m.open_past_term.to_string(),
        ]));
    }
    out.push_str("\r\n");
    out.push_str(&line(vec![t("compliance_csv_section_steps")]));
    out.push_str(&line(vec![
        t("compliance_col_step"),
        t("compliance_col_completed"),
        t("compliance_csv_median_hours"),
        t("compliance_csv_p90_hours"),
        t("compliance_col_open_overdue"),
        t("compliance_col_completed_late"),
    ]));
    let svc = report.service.as_deref();
    for s in &f.steps {
        let overdue = f.overdue_steps.iter().find(|o| o.step == s.step);
        out.push_str(&line(vec![
            step_title(shared, svc, &s.step, lang),
            s.completed.to_string(),
            share(s.median_seconds as f64 / 3600.0),
            share(s.p90_seconds as f64 / 3600.0),
            overdue.map_or(0, |o| o.open_overdue).to_string(),
            overdue.map_or(0, |o| o.completed_late).to_string(),
        ]));
    }
    for o in &f.overdue_steps {
        if !f.steps.iter().any(|s| s.step == o.step) {
            out.push_str(&line(vec![
                step_title(shared, svc, &o.step, lang),
                "0".into(),
                String::new(),
                String::new(),
                o.open_overdue.to_string(),
                o.completed_late.to_string(),
            ]));
        }
    }
    out.push_str("\r\n");
    out.push_str(&line(vec![t("compliance_csv_section_clerks")]));
    out.push_str(&line(vec![
        t("compliance_col_clerk"),
        t("compliance_col_holding"),
        t("compliance_col_completed_late"),
    ]));
    for c in &f.overdue_clerks {
        out.push_str(&line(vec![
            c.login.clone(),
            c.holding_overdue.to_string(),
            c.completed_late.to_string(),
        ]));
    }
    out
}
