//! Turning the engine's values into what a page shows: times in Almaty, step titles through
//! sub-workflow calls, deadlines with their evidence, the names of history lines, all in the
//! page language.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::text::{self, Lang};
use crate::calendar::{Calendar, Deadline, Reason, Rule};
use crate::definition::catalog::Catalog;
use crate::definition::model::{Definition, Step, StepKind};
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

/// The definition and step a task's or history line's step path names: `review`, or
/// `hearing/hold_hearing` inside the sub-workflow the `hearing` call step runs.
pub fn step_at<'a>(
    shared: &'a Shared,
    def: &'a Definition,
    path: &str,
) -> Option<(&'a Definition, &'a Step)> {
    let mut def = def;
    let mut names = path.split('/').peekable();
    while let Some(name) = names.next() {
        let step = def.step(def.step_named(name)?);
        if names.peek().is_none() {
            return Some((def, step));
        }
        let StepKind::Call { workflow, .. } = &step.kind else {
            return None;
        };
        def = shared.subworkflows.get(workflow)?;
    }
    None
}

/// The title of the step at `path` in the page language; the path itself when unknown.
pub fn step_title(shared: &Shared, def: &Definition, path: &str, lang: Lang) -> String {
    match step_at(shared, def, path) {
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
