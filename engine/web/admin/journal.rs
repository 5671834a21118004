//! The journal of registration of users and issue of personal unique identifiers (logins),
//! the form of seeds/003 appendix 1 (item 25; seeds/000 appendix 6 the same), for the
//! administrator's region: a page with a period filter (`/admin/logins-journal?from=&to=`)
//! and the same lines as CSV (`/admin/logins-journal.csv`), the columns named in the page's
//! language. What it shows is `api::accounts::journal_lines`, the lines of `GET
//! /accounts/journal`.
//!
//! The CSV is for Excel as the offices have it (Kazakh and Russian locales): UTF-8 with a
//! byte-order mark, so Excel reads Cyrillic and Kazakh letters right when the file is
//! opened with a double click, and `;` between fields, the list separator of those locales
//! (a comma would put each line in one cell). Every field is quoted.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{pairs, pick, word};
use crate::accounts::Role;
use crate::accounts::journal::Line;
use crate::api::accounts::{JournalQuery, journal_lines};
use crate::api::auth::Principal;
use crate::service::Service;
use crate::web::text::{self, Lang};
use crate::web::{Clerk, Ctx, PageResult, view};

/// The columns of the form, in its order (the text keys of their titles).
const COLUMNS: [&str; 8] = [
    "adm_journal_col_n",
    "adm_journal_col_request",
    "adm_journal_col_system",
    "adm_journal_col_at",
    "adm_journal_col_basis",
    "adm_journal_col_administrator",
    "adm_journal_col_note",
    "login",
];

/// The period of the address.
fn period(raw: Option<&str>) -> JournalQuery {
    let pairs = pairs(raw);
    JournalQuery {
        from: pick(&pairs, "from"),
        to: pick(&pairs, "to"),
    }
}

/// A line's cells, in [`COLUMNS`]' order, in `lang`.
fn cells(line: &Line, lang: Lang) -> [String; 8] {
    let request = match (&line.request, line.request_at) {
        (Some(n), Some(at)) => format!(
            "{} / №{n}, {}",
            text::region(lang, &line.region),
            view::day(view::almaty_date(at))
        ),
        (Some(n), None) => format!("{} / №{n}", text::region(lang, &line.region)),
        (None, _) => text::region(lang, &line.region),
    };
    let basis = match (&line.request, line.request_service.as_deref()) {
        (Some(n), Some(service)) => format!(
            "{} №{n}",
            word(
                lang,
                &format!("adm_journal_basis_{}", service.replace('-', "_"))
            )
        ),
        (Some(n), None) => format!("№{n}"),
        (None, _) if line.administrator == crate::audit::SYSTEM => {
            word(lang, "adm_journal_basis_rule")
        }
        (None, _) => word(lang, "adm_journal_basis_administrator"),
    };
    let administrator = match &line.administrator_name {
        Some(name) => format!("{name} ({})", line.administrator),
        None if line.administrator == crate::audit::SYSTEM => word(lang, "adm_journal_system"),
        None => line.administrator.clone(),
    };
    let mut note = word(lang, &format!("adm_journal_note_{}", line.note.as_str()));
    if let Some(reason) = line.block_reason {
        note = format!(
            "{note}: {}",
            word(lang, &format!("block_{}", reason.as_str()))
        );
    }
    [
        line.n.to_string(),
        request,
        line.system.to_string(),
        view::when(line.at),
        basis,
        administrator,
        note,
        line.login.clone(),
    ]
}

/// The lines of the period, or the period's mistakes in words.
async fn lines(
    service: &Service,
    p: &Principal,
    asked: &JournalQuery,
    lang: Lang,
) -> Result<Result<Vec<Line>, Vec<(&'static str, String)>>, crate::web::WebError> {
    p.require(&[Role::Administrator])?;
    let (since, until) = match asked.period() {
        Ok(period) => period,
        Err(wrong) => {
            let words = wrong
                .into_iter()
                .map(|(field, _)| (field, word(lang, "adm_err_day")))
                .collect();
            return Ok(Err(words));
        }
    };
    Ok(Ok(journal_lines(&service.engine, p, since, until).await?))
}

/// `GET /admin/logins-journal`.
pub async fn page(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let lang = ctx.lang;
    let asked = period(raw.as_deref());
    let (found, errors) = match lines(&service, &p, &asked, lang).await? {
        Ok(found) => (found, serde_json::Map::new()),
        Err(wrong) => (
            Vec::new(),
            wrong
                .into_iter()
                .map(|(f, m)| (f.to_string(), json!(m)))
                .collect(),
        ),
    };
    let rows: Vec<Value> = found
        .iter()
        .map(|l| {
            let c = cells(l, lang);
            json!({
                "n": c[0], "request": c[1], "system": c[2], "at": c[3], "basis": c[4],
                "administrator": c[5], "note": c[6], "login": c[7],
                "number": l.request,
            })
        })
        .collect();
    let csv = match raw.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => format!("/admin/logins-journal.csv?{q}"),
        None => "/admin/logins-journal.csv".to_string(),
    };
    let columns: Vec<String> = COLUMNS.iter().map(|k| word(lang, k)).collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(ctx.page(
        status,
        Some(&p),
        "logins_journal",
        json!({
            "title": word(lang, "adm_journal_title"),
            "columns": columns,
            "lines": rows,
            "from": asked.from,
            "to": asked.to,
            "errors": errors,
            "csv": csv,
        }),
    ))
}

/// A CSV field, quoted (`"` doubled).
fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// `GET /admin/logins-journal.csv`: the same lines, for Excel (see the module's note).
pub async fn csv(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let lang = ctx.lang;
    let asked = period(raw.as_deref());
    let found = match lines(&service, &p, &asked, lang).await? {
        Ok(found) => found,
        Err(wrong) => {
            let message = wrong
                .into_iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, message).into_response());
        }
    };
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = COLUMNS.iter().map(|k| quoted(&word(lang, k))).collect();
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    for line in &found {
        let row: Vec<String> = cells(line, lang).iter().map(|c| quoted(c)).collect();
        out.push_str(&row.join(";"));
        out.push_str("\r\n");
    }
    let name = format!("logins-journal-{}.csv", lang.code());
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response())
}
