//! The change-of-rules notice: "information on changes to the rules … is sent within three
//! working days to the Unified Contact Centre, the service provider, the State Corporation
//! and the operator of the e-government infrastructure" (seeds/004 item 20).
//!
//! [`notice`] builds the e-mail for a new version of a service: one message to every
//! configured recipient, in Kazakh and then Russian (the organisations work in both), with
//! what changed against the previous version as far as the engine can tell — the term, the
//! steps added and removed. The legal substance of the change is in the order itself,
//! which the notice names by version and effective date.

use chrono::NaiveDate;
use serde_json::json;

use super::Error;
use super::config::RulesChangeRecipients;
use super::email::Email;
use super::render::{LANGUAGES, Part, Templates, lang_code};
use crate::definition::model::Length;
use crate::definition::{Definition, Kind};
use crate::runtime::Language;

/// The template.
pub const TEMPLATE: &str = "rules_changed";

/// The idempotency key of the notice for a version: one notice per version.
pub fn key(new: &Definition) -> String {
    format!("rules:{}:{}", new.id, new.version)
}

/// Whether a version gets the notice: state services only. A scheduled internal job (a
/// quarterly report, a reconciliation, the nightly account check) is no rule the contact
/// centre answers citizens about.
pub fn announced(def: &Definition) -> bool {
    def.kind == Kind::Service && def.schedule.is_none()
}

/// The version of `new`'s service among `versions` that comes just before it (by effective
/// date), what the notice compares `new` with.
pub fn previous<'a>(
    versions: impl IntoIterator<Item = &'a Definition>,
    new: &Definition,
) -> Option<&'a Definition> {
    versions
        .into_iter()
        .filter(|d| d.kind == new.kind && d.id == new.id && d.effective_from < new.effective_from)
        .max_by_key(|d| d.effective_from)
}

/// The notice for `new`, compared with `previous` (`None` for a first version).
pub fn notice(
    templates: &Templates,
    new: &Definition,
    previous: Option<&Definition>,
    recipients: &RulesChangeRecipients,
    today: NaiveDate,
) -> Result<Email, Error> {
    let mut subjects = Vec::new();
    let mut texts = Vec::new();
    for lang in LANGUAGES {
        let vars = json!({
            "service": new.id,
            "service_title": title(new, lang),
            "version": new.version,
            "effective_from": new.effective_from.to_string(),
            "previous_version": previous.map(|p| p.version.clone()),
            "changes": changes(new, previous, lang),
            "today": today.to_string(),
            "language": lang_code(lang),
        });
        subjects.push(templates.render(TEMPLATE, lang, Part::Subject, &vars)?);
        texts.push(templates.render(TEMPLATE, lang, Part::Text, &vars)?);
    }
    Ok(Email {
        to: recipients.all(),
        subject: subjects.join(" / "),
        text: texts.join("\n\n────────────────────────────────\n\n"),
        html: None,
        id: format!("{}.email", key(new)),
    })
}

fn title(def: &Definition, lang: Language) -> String {
    match lang {
        Language::Kk => def.title.kk.clone(),
        Language::Ru => def.title.ru.clone(),
    }
}

fn length(l: Length, lang: Language) -> String {
    match (l, lang) {
        (Length::WorkingDays(n), Language::Kk) => format!("{n} жұмыс күні"),
        (Length::WorkingDays(n), Language::Ru) => format!("рабочих дней: {n}"),
        (Length::CalendarDays(n), Language::Kk) => format!("{n} күнтізбелік күн"),
        (Length::CalendarDays(n), Language::Ru) => format!("календарных дней: {n}"),
        (Length::WorkingMinutes(n), Language::Kk) => format!("{n} жұмыс минуты"),
        (Length::WorkingMinutes(n), Language::Ru) => format!("рабочих минут: {n}"),
    }
}

/// What changed, one line each, in `lang`.
fn changes(new: &Definition, previous: Option<&Definition>, lang: Language) -> Vec<String> {
    let Some(old) = previous else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let old_term = old.term.as_ref().map(|t| t.length);
    let new_term = new.term.as_ref().map(|t| t.length);
    if old_term != new_term
        && let (Some(a), Some(b)) = (old_term, new_term)
    {
        out.push(match lang {
            Language::Kk => format!(
                "Мемлекеттік қызмет көрсету мерзімі: {} → {}",
                length(a, lang),
                length(b, lang)
            ),
            Language::Ru => format!(
                "Срок оказания государственной услуги: {} → {}",
                length(a, lang),
                length(b, lang)
            ),
        });
    }
    let step_title = |d: &Definition, name: &str| {
        d.steps
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.title.as_ref())
            .map(|t| match lang {
                Language::Kk => t.kk.clone(),
                Language::Ru => t.ru.clone(),
            })
            .unwrap_or_else(|| name.to_string())
    };
    let added: Vec<String> = new
        .steps
        .iter()
        .filter(|s| old.step_named(&s.name).is_none())
        .map(|s| step_title(new, &s.name))
        .collect();
    let removed: Vec<String> = old
        .steps
        .iter()
        .filter(|s| new.step_named(&s.name).is_none())
        .map(|s| step_title(old, &s.name))
        .collect();
    if !added.is_empty() {
        out.push(match lang {
            Language::Kk => format!("Жаңа кезеңдер: {}", added.join("; ")),
            Language::Ru => format!("Новые этапы: {}", added.join("; ")),
        });
    }
    if !removed.is_empty() {
        out.push(match lang {
            Language::Kk => format!("Алып тасталған кезеңдер: {}", removed.join("; ")),
            Language::Ru => format!("Исключённые этапы: {}", removed.join("; ")),
        });
    }
    out
}
