//! Evaluation: case data in, JSON out, through the `cel` interpreter.
//!
//! The crate's `json` feature is not enabled, and conversion needs the declared types anyway
//! (a decimal field may hold `150000` in JSON, which must become an exact decimal, or
//! `income * 1.5` fails at run time; a money field holds text), so JSON is converted here.
//! Decimals and money run as [`Number`]s through the functions of [`super::exact`].

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock};

use cel::objects::{Key, Map};
use cel::{Context, ExecutionError, Value};
use chrono::NaiveDate;
use serde_json::Value as Json;

use super::exact::{self, Number};
use super::{EvalError, Expr, Type};
use crate::money::{Money, decimal_from_json};

/// The standard library, built once: building it declares a few hundred overloads.
static STDLIB: LazyLock<Arc<cel::Env>> = LazyLock::new(|| Arc::new(cel::Env::stdlib()));

/// JSON nested deeper than this is refused rather than risk the stack.
const MAX_NESTING: usize = 64;

/// See [`super::eval`].
pub(super) fn eval(expr: &Expr, data: &Json) -> Result<Json, EvalError> {
    let Json::Object(fields) = data else {
        return Err(EvalError::NotAnObject(json_kind(data)));
    };
    let mut context = Context::with_env(Arc::clone(&STDLIB));
    context
        .add_function("date", date)
        .map_err(|e| EvalError::Failed(e.to_string()))?;
    exact::declare(&mut context).map_err(|e| EvalError::Failed(e.to_string()))?;
    let roots: std::collections::BTreeSet<&str> = expr
        .variables
        .iter()
        .map(|v| v.split('.').next().unwrap_or(v))
        .collect();
    for root in roots {
        let declared = expr.types.get(root);
        match fields.get(root) {
            Some(value) if !value.is_null() => {
                let value = to_cel(value, root, declared, &expr.types, 0)?;
                context.add_variable_from_value(root, value);
            }
            // An absent group is an empty object, so that `has(person.x)` is false, not an error.
            _ if is_group(&expr.types, root) => {
                context.add_variable_from_value(
                    root,
                    Value::Map(Map::from(std::collections::HashMap::<Key, Value>::new())),
                );
            }
            _ => {}
        }
    }
    let tree = &expr.exact;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| Value::resolve(tree, &context)))
        .map_err(|_| EvalError::Failed("the expression could not be evaluated".into()))?;
    match result {
        Ok(value) => {
            to_json(&value, 0).map(|json| as_target(json, expr.target.as_ref().or(Some(&expr.ty))))
        }
        Err(error) => Err(execution_error(error)),
    }
}

/// A result in the form a field of the target type (else of the type inferred) keeps: a number
/// computed for a `money` field (`set: { amount: 432500 }`, `ok ? amount : 0`) as its canonical
/// text, money for a `decimal` field as a number. The checker has made sure the value fits.
fn as_target(json: Json, target: Option<&Type>) -> Json {
    match (target, &json) {
        (Some(Type::Money), Json::Number(_)) => match decimal_from_json(&json) {
            Ok(value) => Money::from_decimal(value).to_json(),
            Err(_) => json,
        },
        (Some(Type::Decimal), Json::String(_)) => match Money::from_json(&json) {
            Ok(money) => crate::money::decimal_to_json(money.amount()),
            Err(_) => json,
        },
        _ => json,
    }
}

/// Whether names are declared below `root`.
fn is_group(types: &std::collections::BTreeMap<String, Type>, root: &str) -> bool {
    let below = format!("{root}.");
    types.keys().any(|name| name.starts_with(&below))
}

/// `date("2026-01-01")`: checks the text and returns it, so dates compare as ISO strings.
fn date(text: Arc<String>) -> Result<Value, ExecutionError> {
    match parse_iso_date(&text) {
        Some(_) => Ok(Value::String(text)),
        None => Err(ExecutionError::function_error(
            "date",
            format!("`{text}` is not a date in the form YYYY-MM-DD"),
        )),
    }
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, a real day), the
/// only form whose string order is date order.
pub(super) fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = text[5..7].parse().ok()?;
    let day = text[8..10].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day).filter(|_| year >= 1)
}

/// What is wrong with a regular expression, by asking the interpreter that will run it.
pub(super) fn regex_problem(pattern: &str) -> Option<String> {
    let program = cel::Program::compile("''.matches(pattern)").ok()?;
    let mut context = Context::with_env(Arc::clone(&STDLIB));
    context.add_variable_from_value("pattern", pattern.to_string());
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| program.execute(&context))).ok()?;
    match result {
        Err(ExecutionError::FunctionError { message, .. }) => Some(
            message
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&message)
                .trim()
                .trim_start_matches("error: ")
                .to_string(),
        ),
        _ => None,
    }
}

/// Converts a JSON value declared as `declared` (if known) at dotted `path`.
fn to_cel(
    json: &Json,
    path: &str,
    declared: Option<&Type>,
    types: &std::collections::BTreeMap<String, Type>,
    depth: usize,
) -> Result<Value, EvalError> {
    if depth > MAX_NESTING {
        return Err(EvalError::Failed(format!("`{path}` is nested too deeply")));
    }
    let bad = |expected: &Type| EvalError::BadData {
        name: path.to_string(),
        expected: expected.describe(),
        found: found(json),
    };
    let value = match (declared, json) {
        (_, Json::Null) => Value::Null,
        (Some(Type::Any) | None, _) => untyped(json, path, types, depth)?,
        (Some(ty @ Type::Int), Json::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => match n.as_f64() {
                // 3.0 in JSON is still a whole number.
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
                _ => return Err(bad(ty)),
            },
        },
        (Some(ty @ Type::Decimal), Json::Number(_)) => {
            Number::decimal(decimal_from_json(json).map_err(|_| bad(ty))?)
        }
        (Some(ty @ Type::Money), Json::Number(_) | Json::String(_)) => {
            Number::money(Money::from_json(json).map_err(|_| bad(ty))?)
        }
        (Some(Type::Bool), Json::Bool(b)) => Value::Bool(*b),
        (Some(ty @ Type::Date), Json::String(s)) => match parse_iso_date(s) {
            Some(_) => Value::String(Arc::new(s.clone())),
            None => return Err(bad(ty)),
        },
        (Some(ty), Json::String(s)) if ty.is_text() => Value::String(Arc::new(s.clone())),
        (Some(Type::List(item)), Json::Array(items)) => Value::List(Arc::new(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| to_cel(v, &format!("{path}[{i}]"), Some(item), types, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        (Some(Type::Map), Json::Object(_)) => untyped(json, path, types, depth)?,
        (Some(ty), _) => return Err(bad(ty)),
    };
    Ok(value)
}

/// Converts JSON with no declared type of its own; declared names below it still convert
/// by their types.
fn untyped(
    json: &Json,
    path: &str,
    types: &std::collections::BTreeMap<String, Type>,
    depth: usize,
) -> Result<Value, EvalError> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::UInt(u),
            (None, None, Some(f)) => Value::Float(f),
            _ => {
                return Err(EvalError::Failed(format!(
                    "`{path}` is not a usable number"
                )));
            }
        },
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| to_cel(v, &format!("{path}[{i}]"), None, types, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        Json::Object(fields) => {
            let mut map = std::collections::HashMap::with_capacity(fields.len());
            for (name, value) in fields {
                // null is absent: `has()` is false for it.
                if value.is_null() {
                    continue;
                }
                let child = format!("{path}.{name}");
                let value = to_cel(value, &child, types.get(&child), types, depth + 1)?;
                map.insert(Key::String(Arc::new(name.clone())), value);
            }
            Value::Map(Map::from(map))
        }
    })
}

/// Converts a result back to JSON. Map keys come out sorted, so results are reproducible.
fn to_json(value: &Value, depth: usize) -> Result<Json, EvalError> {
    if depth > MAX_NESTING {
        return Err(EvalError::NotJson("the result is nested too deeply".into()));
    }
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::UInt(u) => Json::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or_else(|| EvalError::NotJson(format!("{f} is not a finite number")))?,
        Value::String(s) => Json::String(s.as_str().to_string()),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|v| to_json(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => {
            let mut entries: Vec<(String, &Value)> = map
                .map
                .iter()
                .map(|(key, value)| (key_text(key), value))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut object = serde_json::Map::with_capacity(entries.len());
            for (key, value) in entries {
                object.insert(key, to_json(value, depth + 1)?);
            }
            Json::Object(object)
        }
        Value::Opaque(o) if o.downcast_ref::<Number>().is_some() => o
            .downcast_ref::<Number>()
            .copied()
            .map(Number::to_json)
            .unwrap_or(Json::Null),
        other => return Err(EvalError::NotJson(format!("a {} value", other.type_of()))),
    })
}

/// A map key as a JSON object key.
fn key_text(key: &Key) -> String {
    match key {
        Key::String(s) => s.as_str().to_string(),
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
    }
}

/// Turns the interpreter's error into ours.
fn execution_error(error: ExecutionError) -> EvalError {
    match error {
        ExecutionError::NoSuchKey(key) => EvalError::Missing(key.as_str().to_string()),
        ExecutionError::UndeclaredReference(name) => EvalError::Missing(name.as_str().to_string()),
        ExecutionError::DivisionByZero(_) | ExecutionError::RemainderByZero(_) => {
            EvalError::Failed("division by zero".into())
        }
        ExecutionError::Overflow(..) => EvalError::Failed("a number is too large".into()),
        ExecutionError::IndexOutOfBounds(index) => {
            EvalError::Failed(format!("there is no element {index:?} in the list"))
        }
        ExecutionError::FunctionError { function, message } => {
            EvalError::Failed(format!("{function}: {message}"))
        }
        other => EvalError::Failed(other.to_string()),
    }
}

/// What a JSON value is, for messages.
fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "true or false",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// What the data holds instead, for [`EvalError::BadData`]: its kind, never the value, which
/// may be personal data (an IIN, a name) and would end up in logs.
fn found(json: &Json) -> String {
    json_kind(json).to_string()
}
