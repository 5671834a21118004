//! One input of a form, a task's or an application's, as the pages draw it: its label in
//! the clerk's language, its input type, what it requires and its mistake.
//!
//! Accessible as a screen reader needs it: a mistake is tied to its input
//! (`aria-invalid`, `aria-describedby` naming the mistake's id), and an input that must be
//! filled whatever the outcome carries `required`. One required only for some outcomes, or on
//! a condition, is marked in words only: `required` would stop the other outcomes' buttons.
//!
//! Dates are typed and shown as dd.mm.yyyy whatever the browser's locale (a browser's own date
//! input follows the computer's language and order): a text input with its pattern, and a
//! hidden `date:NAME` beside it that tells [`super::Fields::of`] to turn the day into the
//! ISO date the runtime and the API keep. A `document` field is a file input
//! ([`super::uploads`]).

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::text::{self, Lang};
use crate::definition::expr::Type;
use crate::definition::model::{FieldDef, FormField};
use crate::runtime::FieldError;

/// A value as a form field holds it.
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The hidden pair that marks a field typed as dd.mm.yyyy: `date:NAME`.
pub(super) const DATE_MARK: &str = "date:";

/// The ISO date of a day typed as dd.mm.yyyy (one-digit day and month too); `None` for
/// anything else, which then goes to the runtime as typed and is refused there beside its
/// field.
pub(super) fn iso_date(typed: &str) -> Option<String> {
    let mut parts = typed.trim().split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(d, 1..=2) || !digits(m, 1..=2) || !digits(y, 4..=4) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        .map(|day| day.format("%Y-%m-%d").to_string())
}

/// A stored ISO date as the clerk reads and types it, dd.mm.yyyy; anything else as it is.
fn shown_date(value: &str) -> String {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_or_else(|_| value.to_string(), |d| d.format("%d.%m.%Y").to_string())
}

/// Whether a field is a scan of a document: the one declared type the expressions see as
/// `any` (`definition::validate::field_type`).
fn is_document(decl: Option<&FieldDef>) -> bool {
    matches!(decl.map(|d| &d.ty), Some(Type::Any))
}

/// One input of a form (a task's or an application's) as drawn: the field, the value to
/// show, whether it is required (for which outcomes), and its mistake among `errors` in the
/// clerk's language.
pub(super) fn form_input(
    f: &FormField,
    decl: Option<&FieldDef>,
    value: String,
    errors: &[FieldError],
    lang: Lang,
) -> Value {
    let error = errors
        .iter()
        .find(|e| e.field == f.field)
        .map(|e| field_error(decl, &e.message, lang));
    let required = if !f.required {
        Value::Null
    } else if f.for_outcomes.is_empty() {
        json!(text::get(lang, "required"))
    } else {
        let outcomes: Vec<String> = f
            .for_outcomes
            .iter()
            .map(|o| text::outcome(lang, o))
            .collect();
        json!(format!(
            "{} {}",
            text::get(lang, "required_for").unwrap_or_default(),
            outcomes.join(", ")
        ))
    };
    // `required` in the HTML only when every outcome needs it, and not for a scan kept from
    // before (its file input stays empty: the hidden field carries it).
    let always = f.required && f.for_outcomes.is_empty() && f.required_when.is_none();
    let mut view = field_view(&f.field, decl, value, error, required, lang);
    let kept = view.get("kept").is_some_and(|k| !k.is_null());
    view["required_attr"] = json!(always && !kept);
    view
}

/// One input of the form, drawn by the field's type.
fn field_view(
    name: &str,
    decl: Option<&FieldDef>,
    value: String,
    error: Option<String>,
    required: Value,
    lang: Lang,
) -> Value {
    let label = decl
        .and_then(|d| d.label.as_ref())
        .map_or_else(|| name.to_string(), |l| lang.pick(l).to_string());
    let ty = decl.map(|d| &d.ty);
    let options: Option<Vec<Value>> = match ty {
        Some(Type::Enum(values)) => Some(
            values
                .iter()
                .map(|v| json!({ "value": v, "label": text::value(lang, v), "selected": *v == value }))
                .collect(),
        ),
        // A yes-or-no that must be answered is a choice, not a checkbox: an unticked box
        // cannot say "no" apart from "not answered".
        Some(Type::Bool) => Some(vec![
            json!({ "value": "true", "label": text::get(lang, "yes"), "selected": value == "true" }),
            json!({ "value": "false", "label": text::get(lang, "no"), "selected": value == "false" }),
        ]),
        _ => None,
    };
    let input = match ty {
        Some(Type::Int | Type::Decimal) => "number",
        Some(Type::Email) => "email",
        Some(Type::Phone) => "tel",
        _ => "text",
    };
    let id = format!("f-{}", name.replace('.', "-"));
    let date = matches!(ty, Some(Type::Date));
    let document = is_document(decl);
    // A scan already stored (sent with this form before, or the case's value): kept by a
    // hidden field; a file's name given as text (the API's way) is kept as it is.
    let (kept, named) = if document {
        match super::uploads::parse_kept(&value) {
            Some((sha, file)) => (
                json!({ "value": format!("{sha}:{file}"), "name": file }),
                Value::Null,
            ),
            None if !value.trim().is_empty() => (Value::Null, json!(value)),
            None => (Value::Null, Value::Null),
        }
    } else {
        (Value::Null, Value::Null)
    };
    let hint = if date {
        Some(text::or(lang, "uploads_date_hint", "dd.mm.yyyy"))
    } else if document && decl.is_some_and(|d| d.csv) {
        Some(text::or(lang, "uploads_list_hint", "CSV"))
    } else if document {
        Some(text::or(lang, "uploads_file_hint", "PDF, JPEG, PNG"))
    } else {
        None
    };
    let error_id = format!("error-{id}");
    let hint_id = format!("hint-{id}");
    let described: Vec<&str> = [
        hint.as_ref().map(|_| hint_id.as_str()),
        error.as_ref().map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    json!({
        "name": name,
        "id": id,
        "label": label,
        "value": if date { shown_date(&value) } else { value },
        "error": error,
        "error_id": error_id,
        "hint": hint,
        "hint_id": hint_id,
        "describedby": if described.is_empty() { Value::Null } else { json!(described.join(" ")) },
        "required": required,
        "required_attr": false,
        "options": options,
        "textarea": decl.is_some_and(|d| d.multiline),
        "input": input,
        "step": if matches!(ty, Some(Type::Decimal)) { "any" } else { "1" },
        "date": date,
        "date_mark": format!("{DATE_MARK}{name}"),
        "placeholder": if date { Some(text::or(lang, "uploads_date_placeholder", "dd.mm.yyyy")) } else { None },
        "file": document,
        "accept": if decl.is_some_and(|d| d.csv) { "text/csv,.csv" } else { "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png" },
        "kept": kept,
        "kept_name": format!("{}{name}", super::uploads::KEPT),
        "named": named,
    })
}

/// A form mistake in the clerk's language. The runtime says it in English for the API; the
/// field's type says what was expected, which is what a clerk needs to hear.
fn field_error(decl: Option<&FieldDef>, message: &str, lang: Lang) -> String {
    let t = |key| text::get(lang, key).unwrap_or_default().to_string();
    if message == "required" {
        return t("err_required");
    }
    if message == crate::runtime::form::MUST_BE {
        return t("err_must_be");
    }
    // A file that is neither, sent for a list, is told what the list must be.
    if message == crate::runtime::form::MUST_BE_LIST
        || (message == super::uploads::NOT_A_SCAN && decl.is_some_and(|d| d.csv))
    {
        return t("uploads_err_list");
    }
    if message == crate::runtime::form::MUST_BE_SCAN {
        return t("uploads_err_scan");
    }
    if let Some(limit) = message.strip_prefix(super::uploads::TOO_LARGE) {
        return text::fill(&t("uploads_err_size"), &[("n", limit)]);
    }
    for (said, key) in [
        (super::uploads::NOT_A_SCAN, "uploads_err_type"),
        (super::uploads::EMPTY, "uploads_err_empty"),
        (super::uploads::AGAIN, "uploads_err_again"),
    ] {
        if message == said {
            return t(key);
        }
    }
    let Some(decl) = decl else {
        return t("err_other");
    };
    let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
    if message.starts_with("must be at least") {
        return text::fill(&t("err_min"), &[("n", &number(decl.min))]);
    }
    if message.starts_with("must be at most") {
        return text::fill(&t("err_max"), &[("n", &number(decl.max))]);
    }
    if message.starts_with("does not have the expected form") {
        return t("err_pattern");
    }
    t(match decl.ty {
        Type::Bool => "err_bool",
        Type::Int => "err_int",
        Type::Decimal | Type::Money => "err_decimal",
        Type::Date => "uploads_err_date",
        Type::Iin => "err_iin",
        Type::Enum(_) => "err_enum",
        Type::Email => "err_email",
        Type::Phone => "err_phone",
        Type::String => "err_text",
        _ => "err_other",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(ty: Type) -> FieldDef {
        FieldDef {
            ty,
            label: None,
            pattern: None,
            min: None,
            max: None,
            personal: false,
            multiline: false,
            csv: false,
        }
    }

    fn field(name: &str, for_outcomes: &[&str]) -> FormField {
        FormField {
            field: name.into(),
            required: true,
            for_outcomes: for_outcomes.iter().map(|o| o.to_string()).collect(),
            required_when: None,
            must_be: None,
        }
    }

    #[test]
    fn days_are_typed_and_shown_day_first() {
        assert_eq!(iso_date("05.12.2026").as_deref(), Some("2026-12-05"));
        assert_eq!(iso_date(" 5.1.2026 ").as_deref(), Some("2026-01-05"));
        for wrong in [
            "31.02.2026",
            "2026-12-05",
            "05.12.26",
            "05.12.2026.",
            "а5.12.2026",
        ] {
            assert_eq!(iso_date(wrong), None, "{wrong}");
        }
        let view = form_input(
            &field("born", &[]),
            Some(&decl(Type::Date)),
            "2026-12-05".into(),
            &[],
            Lang::Ru,
        );
        assert_eq!(view["value"], "05.12.2026");
        assert_eq!(view["placeholder"], "дд.мм.гггг");
        assert_eq!(view["date_mark"], "date:born");
    }

    #[test]
    fn required_in_html_only_where_every_outcome_needs_it() {
        let always = form_input(&field("a", &[]), None, String::new(), &[], Lang::Kk);
        assert_eq!(always["required_attr"], true);
        let some = form_input(
            &field("a", &["complete"]),
            None,
            String::new(),
            &[],
            Lang::Kk,
        );
        assert_eq!(some["required_attr"], false);
        assert!(
            some["required"]
                .as_str()
                .unwrap()
                .starts_with("міндетті, егер")
        );
    }

    #[test]
    fn a_mistake_names_its_message_and_a_kept_scan_is_not_required() {
        let error = FieldError {
            field: "doc".into(),
            message: "required".into(),
        };
        let doc = decl(Type::Any);
        let view = form_input(
            &field("doc", &[]),
            Some(&doc),
            String::new(),
            &[error],
            Lang::Kk,
        );
        assert_eq!(view["file"], true);
        assert_eq!(view["describedby"], "hint-f-doc error-f-doc");
        assert_eq!(view["required_attr"], true);
        let kept = format!("{}:скан.pdf", "a".repeat(64));
        let view = form_input(&field("doc", &[]), Some(&doc), kept.clone(), &[], Lang::Kk);
        assert_eq!(view["kept"]["value"], kept.as_str());
        assert_eq!(view["kept_name"], "kept:doc");
        assert_eq!(view["required_attr"], false);
    }
}
