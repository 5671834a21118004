//! Turning the engine's values into what a page shows: times in Almaty, step titles through
//! sub-workflow calls, deadlines with their evidence, the names of history lines, all in the
//! page language.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::text::{self, Lang};
use crate::calendar::{Calendar, Deadline, Reason, Rule};
use crate::definition::catalog::Catalog;
use crate::definition::model::{Definition, StepKind};
use crate::runtime::Actor;
use crate::worker::Shared;

/// `dd.mm.yyyy HH:MM` in Almaty time (UTC+5 since 1 March 2024), as clerks read times.
pub fn when(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::clock::ZONE)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// The date in Almaty of an instant.
pub fn almaty_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::clock::ZONE).date_naive()
}

/// `dd.mm.yyyy`.
pub fn day(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// The title of the step at `path` in the page language; the path itself when unknown.
pub fn step_title(shared: &Shared, def: &Definition, path: &str, lang: Lang) -> String {
    match shared.step_at(def, path) {
        Some((_, step)) => crate::definition::graph::title(step, lang.definition()),
        None => path.to_string(),
    }
}

/// A role's title from the catalog; the role's code when the catalog has none.
pub fn role_title(catalog: &Catalog, role: &str, lang: Lang) -> String {
    catalog
        .roles
        .get(role)
        .map_or_else(|| role.to_string(), |e| lang.pick(&e.title).to_string())
}

/// Who did a history line's deed; a system by the catalog's title of its connector.
pub fn actor(actor: &Actor, catalog: &Catalog, lang: Lang) -> String {
    match actor {
        Actor::Clerk(login) => login.clone(),
        Actor::Citizen => text::or(lang, "actor_citizen", "citizen"),
        Actor::System(name) => {
            let title = catalog
                .connectors
                .get(name)
                .map_or_else(|| name.clone(), |c| lang.pick(&c.title).to_string());
            format!("{}: {title}", text::or(lang, "actor_system", "system"))
        }
        Actor::Engine => text::or(lang, "actor_engine", "engine"),
    }
}

/// The name of a history line's kind.
pub fn event(kind: &str, lang: Lang) -> String {
    text::get(lang, &format!("event_{kind}"))
        .or_else(|| text::get(lang, "event_other"))
        .unwrap_or(kind)
        .to_string()
}

/// A deadline and its evidence as the page shows it: the last day, the rule, the calendar
/// version, and each day skipped (with why) and counted, so that a clerk or an appeal body
/// can redo the count by hand.
pub fn deadline(d: &Deadline, calendar: Option<&Calendar>, lang: Lang) -> Value {
    let from = day(d.from);
    let (key, days) = match d.rule {
        Rule::WorkingDaysAfter { days } => ("rule_working_after", days),
        Rule::WorkingDaysBefore { days } => ("rule_working_before", days),
        Rule::CalendarDaysAfter { days } => ("rule_calendar_after", days),
        Rule::CalendarDaysAfterRolling { days } => ("rule_calendar_rolling", days),
    };
    let rule = text::fill(
        text::get(lang, key).unwrap_or_default(),
        &[("from", &from), ("days", &days.to_string())],
    );
    let calendar_name = calendar.map_or_else(
        || d.calendar.id.clone(),
        |c| match lang {
            Lang::Kk => c.names().kk.clone(),
            Lang::Ru => c.names().ru.clone(),
        },
    );
    let version = text::fill(
        text::get(lang, "calendar_version").unwrap_or_default(),
        &[("id", &calendar_name), ("hash", &d.calendar.hash)],
    );
    let skipped: Vec<Value> = d
        .skipped
        .iter()
        .map(|s| json!({ "date": day(s.date), "reason": reason(&s.reason, calendar, lang) }))
        .collect();
    let counted: Vec<String> = d.counted.iter().map(|c| day(*c)).collect();
    json!({
        "last_day": day(d.result),
        "rule": rule,
        "calendar": version,
        "provisional": d.provisional,
        "skipped": skipped,
        "counted": counted.join(", "),
    })
}

/// Why a day was not counted, with the holiday's name from the calendar in `lang`.
fn reason(reason: &Reason, calendar: Option<&Calendar>, lang: Lang) -> String {
    let holiday = |id: &str, english: &str| {
        calendar
            .and_then(|c| c.holidays().iter().find(|h| h.id == id))
            .map_or_else(
                || english.to_string(),
                |h| match lang {
                    Lang::Kk => h.names.kk.clone(),
                    Lang::Ru => h.names.ru.clone(),
                },
            )
    };
    let t = |key: &str| text::get(lang, key).unwrap_or_default();
    match reason {
        Reason::Working | Reason::WorkingByOrder { .. } => t("reason_working").to_string(),
        Reason::Weekend => t("reason_weekend").to_string(),
        Reason::Holiday { holiday: id, name } => {
            text::fill(t("reason_holiday"), &[("name", &holiday(id, name))])
        }
        Reason::HolidayMoved {
            holiday: id,
            name,
            from,
        } => text::fill(
            t("reason_holiday_moved"),
            &[("name", &holiday(id, name)), ("from", &day(*from))],
        ),
        Reason::DayOffByOrder { working_day, .. } => {
            text::fill(t("reason_day_off_by_order"), &[("day", &day(*working_day))])
        }
    }
}

/// The definition whose data a scope of a case holds: the service's own for `""`, the
/// called sub-workflow's for a call step's scope (`provisional_refusal_hearing`, or
/// `outer/inner` when nested). `None` for a scope the version does not know.
pub fn scope_definition<'a>(
    shared: &'a Shared,
    def: &'a Definition,
    scope: &str,
) -> Option<&'a Definition> {
    let mut def = def;
    for name in scope.split('/').filter(|s| !s.is_empty()) {
        let step = def.step(def.step_named(name)?);
        let StepKind::Call { workflow, .. } = &step.kind else {
            return None;
        };
        def = shared.subworkflows.get(workflow)?;
    }
    Some(def)
}

/// A data value as a clerk reads it: dates `dd.mm.yyyy`, money with its groups and
/// currency, enumerated codes by their names, yes or no, a list joined; `None` for no value
/// (absent, `null`, empty text). A document's value is its text (a file's name); see
/// [`document_link`] for the link an uploaded one has.
pub fn value_text(
    value: &Value,
    ty: Option<&crate::definition::expr::Type>,
    lang: Lang,
) -> Option<String> {
    use crate::definition::expr::Type;
    let language = match lang {
        Lang::Kk => crate::runtime::Language::Kk,
        Lang::Ru => crate::runtime::Language::Ru,
    };
    match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::Bool(b) => text::get(lang, if *b { "yes" } else { "no" }).map(str::to_string),
        Value::Array(items) => {
            let inner = match ty {
                Some(Type::List(t)) => Some(t.as_ref()),
                _ => None,
            };
            let parts: Vec<String> = items
                .iter()
                .filter_map(|v| value_text(v, inner, lang))
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Object(map) => ["name", "file_name", "filename", "title"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(str::to_string)
            .or_else(|| Some(value.to_string())),
        _ => Some(match ty {
            Some(Type::Date) => value
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .map_or_else(|| plain(value), day),
            Some(Type::Money) => crate::money::Money::from_json(value)
                .map_or_else(|_| plain(value), |m| m.display(language)),
            Some(Type::Decimal) => crate::money::decimal_from_json(value)
                .map_or_else(|_| plain(value), crate::money::number_text),
            Some(Type::Enum(_)) => value
                .as_str()
                .map_or_else(|| plain(value), |code| text::value(lang, code)),
            _ => plain(value),
        }),
    }
}

/// The link of a document's value when it is an upload (an object with an `href` on this
/// site); `None` for a file's name typed as text.
pub fn document_link(value: &Value) -> Option<String> {
    let href = value.get("href")?.as_str()?;
    // Only a path of this site: a value is data, and data must not send a clerk elsewhere.
    (href.starts_with('/') && !href.starts_with("//")).then(|| href.to_string())
}

/// A scalar's text as stored.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{document_link, value_text};
    use crate::definition::expr::Type;
    use crate::web::text::Lang;

    /// One value as a clerk reads it.
    fn check(value: serde_json::Value, ty: Option<Type>, lang: Lang, expect: Option<&str>) {
        assert_eq!(
            value_text(&value, ty.as_ref(), lang).as_deref(),
            expect,
            "{value} as {ty:?}"
        );
    }

    #[test]
    fn values_read_as_people_write_them() {
        check(
            json!("1955-04-04"),
            Some(Type::Date),
            Lang::Ru,
            Some("04.04.1955"),
        );
        check(
            json!("not a day"),
            Some(Type::Date),
            Lang::Ru,
            Some("not a day"),
        );
        check(
            json!("1850000.50"),
            Some(Type::Money),
            Lang::Kk,
            Some("1 850 000,50 теңге"),
        );
        check(json!(2.50), Some(Type::Decimal), Lang::Ru, Some("2,5"));
        check(json!(true), None, Lang::Kk, Some("Иә"));
        check(json!(false), None, Lang::Ru, Some("Нет"));
        check(
            json!("court_act"),
            Some(Type::Enum(vec!["court_act".into()])),
            Lang::Ru,
            Some("Судебный акт"),
        );
        check(
            json!("550404400195"),
            Some(Type::Iin),
            Lang::Ru,
            Some("550404400195"),
        );
        check(json!(["a", "b"]), None, Lang::Ru, Some("a, b"));
        check(json!(null), Some(Type::Date), Lang::Ru, None);
        check(json!("  "), None, Lang::Ru, None);
        check(
            json!({ "name": "анықтама.png", "href": "/uploads/ab12" }),
            Some(Type::Any),
            Lang::Kk,
            Some("анықтама.png"),
        );
    }

    #[test]
    fn a_document_links_only_within_the_site() {
        assert_eq!(
            document_link(&json!({ "href": "/uploads/ab12" })).as_deref(),
            Some("/uploads/ab12")
        );
        assert_eq!(
            document_link(&json!({ "href": "https://evil.example/" })),
            None
        );
        assert_eq!(document_link(&json!({ "href": "//evil.example/" })), None);
        assert_eq!(document_link(&json!("scan.pdf")), None);
    }
}
