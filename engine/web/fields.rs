//! One input of a form, a task's or an application's, as the pages draw it: its label in
//! the clerk's language, its input type, what it requires and its mistake.

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
    field_view(&f.field, decl, value, error, required, lang)
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
        Some(Type::Date) => "date",
        Some(Type::Int | Type::Decimal) => "number",
        Some(Type::Email) => "email",
        Some(Type::Phone) => "tel",
        _ => "text",
    };
    json!({
        "name": name,
        "id": format!("f-{}", name.replace('.', "-")),
        "label": label,
        "value": value,
        "error": error,
        "required": required,
        "options": options,
        "textarea": decl.is_some_and(|d| d.multiline),
        "input": input,
        "step": if matches!(ty, Some(Type::Decimal)) { "any" } else { "1" },
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
        Type::Date => "err_date",
        Type::Iin => "err_iin",
        Type::Enum(_) => "err_enum",
        Type::Email => "err_email",
        Type::Phone => "err_phone",
        Type::String => "err_text",
        _ => "err_other",
    })
}
