//! What the notifier adds to a case's template variables before it renders: the office, the
//! clerk's name and position, and `now`.
//!
//! One function for the notifier and for the scenarios' previews ([`crate::scenario`]), so
//! that what a methodologist reads in a preview is what a citizen receives: the two differ
//! only in where the clerk's name comes from (the accounts table; a scenario's `staff:`).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::config::{Localized, Office};
use crate::runtime::Language;

/// A line to fill in by hand, where the engine does not know a value (no clerk has
/// completed a task yet, or the account is gone).
pub const BLANK: &str = "____________";

/// The clerk who completed the case's last task, as the caller found them. The runtime's
/// `clerk` variable names the login, the role the task was for and that role's title; the
/// caller looks the login up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clerk {
    /// The person's full name (the account's; a scenario's `staff:` entry, or the login).
    pub full_name: Option<String>,
    /// A position that takes the place of the role's title (a scenario's `staff:` entry).
    pub position: Option<String>,
    /// The title of the account's first role: the position when the runtime names no role
    /// title for the task.
    pub first_role_title: Option<String>,
}

/// The login the runtime's `clerk` variable names, if a clerk has completed a task.
pub fn clerk_login(vars: &Value) -> Option<&str> {
    vars.pointer("/clerk/login").and_then(Value::as_str)
}

/// The logins of everyone who signed so far (`signed.<step>.login`), for the caller to look up.
pub fn signer_logins(vars: &Value) -> Vec<String> {
    let mut out: Vec<String> = vars
        .get("signed")
        .and_then(Value::as_object)
        .map(|m| {
            m.values()
                .filter_map(|c| c.get("login").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// Names and places one clerk entry (`clerk`, or a `signed.<step>` entry) as the last clerk is:
/// the person's full name, else a blank; the position given, else the role's title, else the
/// account's first role's title, else a blank.
fn describe(entry: &mut Map<String, Value>, clerk: &Clerk) {
    if !entry.contains_key("full_name") {
        let name = clerk.full_name.clone().unwrap_or_else(|| BLANK.into());
        entry.insert("full_name".into(), json!(name));
    }
    if !entry.contains_key("position") {
        let role_title = entry.get("role_title").and_then(Value::as_str);
        let position = clerk
            .position
            .as_deref()
            .or(role_title)
            .or(clerk.first_role_title.as_deref())
            .unwrap_or(BLANK)
            .to_string();
        entry.insert("position".into(), json!(position));
    }
}

/// A text in the case's language.
pub fn pick(text: &Localized, lang: Language) -> String {
    match lang {
        Language::Kk => text.kk.clone(),
        Language::Ru => text.ru.clone(),
    }
}

/// The case's variables plus what the notifier adds: the office (from configuration, in the
/// case's language) where the case names none; the clerk's `full_name` and `position` (the
/// clerk's own, else the title of the role the task was for, else a blank line); and `now`,
/// the time of rendering in Almaty.
pub fn enrich(
    vars: &Value,
    lang: Language,
    office: Option<&Office>,
    clerk: &Clerk,
    signers: &std::collections::HashMap<String, Clerk>,
    now: DateTime<Utc>,
) -> Value {
    let mut vars = vars.clone();
    let Value::Object(map) = &mut vars else {
        return vars;
    };
    if let Some(office) = office
        && !map.contains_key("office")
    {
        map.insert(
            "office".into(),
            json!({
                "name": pick(&office.name, lang),
                "address": pick(&office.address, lang),
                "phone": office.phone,
            }),
        );
    }
    // A notice queued before `short_title` existed carries the title only: its subject
    // prints the title rather than fail the notice (the job's variables were fixed when
    // the case wrote it, by an older engine).
    if !map.contains_key("service_short_title")
        && let Some(title) = map.get("service_title").cloned()
    {
        map.insert("service_short_title".into(), title);
    }
    let mut who = match map.remove("clerk") {
        Some(Value::Object(c)) => c,
        _ => Map::new(),
    };
    describe(&mut who, clerk);
    map.insert("clerk".into(), Value::Object(who));
    if let Some(Value::Object(signed)) = map.get_mut("signed") {
        for entry in signed.values_mut() {
            if let Value::Object(entry) = entry {
                let login = entry
                    .get("login")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let found = signers.get(login).cloned().unwrap_or_default();
                describe(entry, &found);
            }
        }
    }
    if !map.contains_key("now") {
        let now = now.with_timezone(&crate::clock::ZONE);
        map.insert(
            "now".into(),
            json!(now.format("%d.%m.%Y %H:%M").to_string()),
        );
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clerk_is_named_by_the_account_and_placed_by_the_role_of_the_task() {
        let vars = json!({ "clerk": { "login": "op1", "role": "front_office_operator", "role_title": "Оператор" } });
        let clerk = Clerk {
            full_name: Some("Сейітова Айгерім".into()),
            position: None,
            first_role_title: Some("Руководитель".into()),
        };
        let out = enrich(
            &vars,
            Language::Ru,
            None,
            &clerk,
            &Default::default(),
            Utc::now(),
        );
        assert_eq!(out["clerk"]["full_name"], "Сейітова Айгерім");
        assert_eq!(out["clerk"]["position"], "Оператор");
        // A case that names no role title: the account's first role.
        let no_role = json!({ "clerk": { "login": "op1" } });
        let out = enrich(
            &no_role,
            Language::Ru,
            None,
            &clerk,
            &Default::default(),
            Utc::now(),
        );
        assert_eq!(out["clerk"]["position"], "Руководитель");
        let unknown = enrich(
            &json!({}),
            Language::Ru,
            None,
            &Clerk::default(),
            &Default::default(),
            Utc::now(),
        );
        assert_eq!(unknown["clerk"]["full_name"], BLANK);
        assert_eq!(unknown["clerk"]["position"], BLANK);
    }

    #[test]
    fn a_notice_queued_before_short_titles_prints_the_title_in_its_subject() {
        let old = json!({ "service_title": "Выдача удостоверения реабилитированному лицу" });
        let out = enrich(
            &old,
            Language::Ru,
            None,
            &Clerk::default(),
            &Default::default(),
            Utc::now(),
        );
        assert_eq!(
            out["service_short_title"],
            "Выдача удостоверения реабилитированному лицу"
        );
        let new = json!({ "service_title": "Выдача…", "service_short_title": "Удостоверение" });
        let out = enrich(
            &new,
            Language::Ru,
            None,
            &Clerk::default(),
            &Default::default(),
            Utc::now(),
        );
        assert_eq!(out["service_short_title"], "Удостоверение");
    }
}
