//! A clerk's form, checked against the definition before it touches the case.
//!
//! Every field error is reported at once, by field, in words a clerk can act on; nothing
//! is written to the case unless the whole form is right.

use serde_json::Value;

use super::{Error, FieldError};
use crate::definition::expr::Type;
use crate::definition::model::{Definition, FieldDef, FormField, Task};
use crate::domain::{Email, Iin};
use crate::money::{Error as MoneyError, Money, decimal_from_json, decimal_to_json};
use rust_decimal::prelude::ToPrimitive;

/// Checks the form of `task` completed with `outcome` against the case's data (`data`, for
/// the fields `required_when` a condition holds); returns the values to record.
pub fn check(
    def: &Definition,
    task: &Task,
    outcome: &str,
    form: &Value,
    data: &Value,
) -> Result<Vec<(String, Value)>, Error> {
    fields(
        def,
        &task.form,
        Some(outcome),
        form,
        data,
        "this field is not on the form of this task",
    )
}

/// Checks an application against the service's `application` form (every field declared
/// there, the required ones given, each value of its type); returns the values, normalised,
/// to open the case with. `data` may be nested (`{"applicant": {"iin": …}}`) or flat
/// (`{"applicant.iin": …}`), as channels send it.
pub fn check_application(def: &Definition, data: &Value) -> Result<Vec<(String, Value)>, Error> {
    let mut flat = serde_json::Map::new();
    if let Value::Object(map) = data {
        for (key, value) in map {
            flatten(def, key, value, &mut flat);
        }
    } else if !data.is_null() {
        return Err(Error::Rejected(vec![FieldError {
            field: "data".into(),
            message: "the application must be an object of fields".into(),
        }]));
    }
    fields(
        def,
        &def.application,
        None,
        &Value::Object(flat),
        &Value::Object(serde_json::Map::new()),
        "this field is not on the application of this service",
    )
}

/// Undoes nesting down to the definition's dotted names: `{"a": {"b": 1}}` is `a.b`, unless
/// `a` is itself a declared name (a document's object value stays whole).
pub(super) fn flatten(
    def: &Definition,
    name: &str,
    value: &Value,
    out: &mut serde_json::Map<String, Value>,
) {
    match value {
        Value::Object(map) if !def.data.contains_key(name) => {
            for (key, inner) in map {
                flatten(def, &format!("{name}.{key}"), inner, out);
            }
        }
        other => {
            out.insert(name.to_string(), other.clone());
        }
    }
}

fn fields(
    def: &Definition,
    form: &[FormField],
    outcome: Option<&str>,
    given: &Value,
    data: &Value,
    stranger: &str,
) -> Result<Vec<(String, Value)>, Error> {
    let empty = serde_json::Map::new();
    let given = match given {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            return Err(Error::Rejected(vec![FieldError {
                field: "form".into(),
                message: "the form must be an object of fields".into(),
            }]));
        }
    };
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for name in given.keys() {
        if !form.iter().any(|f| &f.field == name) {
            errors.push(FieldError {
                field: name.clone(),
                message: stranger.into(),
            });
        }
    }
    let for_this_outcome = |field: &FormField| {
        field.for_outcomes.is_empty()
            || outcome.is_some_and(|o| field.for_outcomes.iter().any(|f| f == o))
    };
    let mut missing = Vec::new();
    for field in form {
        let value = given.get(&field.field).filter(|v| !is_blank(v));
        let Some(value) = value else {
            if field.required && for_this_outcome(field) {
                errors.push(FieldError {
                    field: field.field.clone(),
                    message: "required".into(),
                });
            } else if field.required_when.is_some() && for_this_outcome(field) {
                missing.push(field);
            }
            continue;
        };
        let Some(decl) = def
            .data
            .get(&field.field)
            .or_else(|| def.parameters.get(&field.field))
        else {
            continue;
        };
        match check_value(decl, value) {
            // A consent that must be given for one outcome (`accepted`) may be recorded as
            // refused for another (`not_accepted`: the reason it was not accepted).
            Ok(v)
                if field.must_be.is_some_and(|want| v != Value::Bool(want))
                    && for_this_outcome(field) =>
            {
                errors.push(FieldError {
                    field: field.field.clone(),
                    message: MUST_BE.into(),
                });
            }
            Ok(v) => values.push((field.field.clone(), v)),
            Err(message) => errors.push(FieldError {
                field: field.field.clone(),
                message,
            }),
        }
    }
    // A field required on a condition: the condition reads the case as this form leaves it.
    if !missing.is_empty() {
        let mut after = match data {
            Value::Object(_) => data.clone(),
            _ => Value::Object(serde_json::Map::new()),
        };
        for (name, value) in &values {
            super::machine::set_path(&mut after, name, value.clone());
        }
        for field in missing {
            let Some(when) = &field.required_when else {
                continue;
            };
            if crate::definition::expr::eval(when, &after).is_ok_and(|v| v == Value::Bool(true)) {
                errors.push(FieldError {
                    field: field.field.clone(),
                    message: "required".into(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(Error::Rejected(errors))
    }
}

/// The message of a value other than the one a field must have (a consent not given).
pub const MUST_BE: &str = "must be yes: without it the application is not accepted";

/// The message of a scan given where the field takes a list (`format: csv`).
pub const MUST_BE_LIST: &str = "must be a list: a .csv file of UTF-8 text with a header line";

/// The message of a list given where the field takes a scan.
pub const MUST_BE_SCAN: &str = "must be a scan: a PDF, JPEG or PNG file";

pub(super) fn is_blank(v: &Value) -> bool {
    v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())
}

/// Checks one value against its declaration; returns it normalised (trimmed, typed).
pub fn check_value(decl: &FieldDef, value: &Value) -> Result<Value, String> {
    let text = value.as_str().map(str::trim);
    let checked = match &decl.ty {
        Type::Bool => match value {
            Value::Bool(_) => value.clone(),
            _ => match text {
                Some("true" | "yes" | "on") => Value::Bool(true),
                Some("false" | "no" | "off") => Value::Bool(false),
                _ => return Err("must be yes or no".into()),
            },
        },
        Type::Int => {
            let n = value
                .as_i64()
                .or_else(|| text.and_then(|t| t.parse().ok()))
                .ok_or("must be a whole number")?;
            in_range(decl, n as f64)?;
            Value::from(n)
        }
        // Exact: the text typed is read as a decimal, never through a float (`crate::money`).
        Type::Decimal => {
            let n = decimal_from_json(value).map_err(|_| "must be a number")?;
            in_range(decl, n.to_f64().unwrap_or(f64::NAN))?;
            decimal_to_json(n)
        }
        // As a clerk types it (`1 850 000,50`, `1850000.50`, `1850000`) or a channel sends
        // it (`1850000.5`); kept as its canonical text, `"1850000.50"`.
        Type::Money => {
            let m = Money::from_json(value).map_err(|e| match e {
                MoneyError::TooPrecise(_) => MONEY_TIYN,
                _ => NOT_MONEY,
            })?;
            in_range(decl, m.amount().to_f64().unwrap_or(f64::NAN))?;
            m.to_json()
        }
        Type::Date => {
            let t = text.ok_or("must be a date")?;
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| "must be a date, YYYY-MM-DD")?;
            Value::from(t)
        }
        Type::Iin => Value::from(iin(value)?),
        Type::Enum(values) => {
            let t = text.ok_or("must be one of the listed values")?;
            if !values.iter().any(|v| v == t) {
                return Err(format!("must be one of: {}", values.join(", ")));
            }
            Value::from(t)
        }
        Type::Email => {
            let t = text.ok_or("must be an e-mail address")?;
            Value::from(Email::parse(t).map_err(|e| e.to_string())?.as_str())
        }
        Type::Phone => {
            let t = text.ok_or("must be a phone number")?;
            let digits: String = t.chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 11 {
                return Err("must be a phone number of 11 digits, e.g. +7 701 123 45 67".into());
            }
            Value::from(format!("+{digits}"))
        }
        Type::String => Value::from(text.ok_or("must be text")?),
        // A stored file says what it is (`content_type`, read from its content when it was
        // uploaded): a list where the field takes a list, a scan elsewhere. A file named as
        // text (the API's and the scenarios' way) is not checked here.
        _ => {
            if let Some(kind) = value.get("content_type").and_then(Value::as_str) {
                let list = kind == crate::uploads::Kind::Csv.mime();
                if decl.csv && !list {
                    return Err(MUST_BE_LIST.into());
                }
                if !decl.csv && list {
                    return Err(MUST_BE_SCAN.into());
                }
            }
            value.clone()
        }
    };
    if let (Some(pattern), Some(t)) = (&decl.pattern, checked.as_str())
        && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
        && !re.is_match(t)
    {
        return Err(format!("does not have the expected form ({pattern})"));
    }
    Ok(checked)
}

/// An IIN as the channels must send it: 12 digits written as text, control digit checked.
///
/// A JSON number is refused rather than read as the digits it spells: a number has no
/// leading zeros, and an IIN of anyone born in 2000-2009 starts with one, so `"0…"` sent as a
/// number arrives as another, shorter number. Refusing it says what to fix; reading it would
/// check a number nobody wrote.
pub fn iin(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Iin::parse(text.trim())
            .map(|iin| iin.as_str().to_string())
            .map_err(|e| e.to_string()),
        Value::Number(_) => Err(NOT_TEXT_IIN.into()),
        _ => Err("must be an IIN: 12 digits, as text".into()),
    }
}

/// The refusal of a value that is not an amount of money.
pub const NOT_MONEY: &str = "must be an amount in tenge, such as 1 850 000,50 or 1850000.50";

/// The refusal of an amount with more than two digits after the comma.
pub const MONEY_TIYN: &str =
    "must be an amount in tenge with at most two digits of tiyn, such as 1 850 000,50";

/// The refusal of an IIN sent as a JSON number.
pub const NOT_TEXT_IIN: &str = "must be an IIN written as text (\"611201300230\"), not a number: a number loses the leading zeros an IIN may have";

fn in_range(decl: &FieldDef, n: f64) -> Result<(), String> {
    if let Some(min) = decl.min
        && n < min
    {
        return Err(format!("must be at least {min}"));
    }
    if let Some(max) = decl.max
        && n > max
    {
        return Err(format!("must be at most {max}"));
    }
    Ok(())
}
