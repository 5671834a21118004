//! Request templates in, the catalog's output fields out.
//!
//! The far side names its fields its own way (`surname`, `birthDate`, `regAddress/full`);
//! the connector's configuration says where each catalog output is in its answer. The
//! answer is then held to the catalog's types: a date is `YYYY-MM-DD` whatever the far side
//! wrote (`1952-03-15+06:00`, `15.03.1952`), a yes/no is a boolean even when XML sent the
//! text `true`, an enum value is one the catalog allows. An answer that does not fit is a
//! fatal error — another try would get the same answer — with a message that names the
//! field and never its value (it may be personal data).

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde_json::{Map, Value};

use super::config::{Connector, FieldType, Part, Template, Var};
use crate::definition::raw::TypeName;

/// What a request template's placeholders stand for.
pub struct Vars<'a> {
    /// The step's input.
    pub input: &'a Value,
    /// The idempotency key.
    pub message_id: &'a str,
    /// When.
    pub message_date: DateTime<FixedOffset>,
    /// Our sender id, for SOAP connectors.
    pub sender_id: &'a str,
}

impl Vars<'_> {
    fn value(&self, var: &Var) -> Value {
        match var {
            Var::Input(name) => self.input.get(name).cloned().unwrap_or(Value::Null),
            Var::MessageId => Value::String(self.message_id.to_string()),
            Var::MessageDate => Value::String(
                self.message_date
                    .to_rfc3339_opts(SecondsFormat::Millis, false),
            ),
            Var::SenderId => Value::String(self.sender_id.to_string()),
        }
    }
}

/// The request's data: the templates filled in, or the input as it is when the connector
/// gives none.
pub fn request(connector: &Connector, vars: &Vars) -> Value {
    if connector.request.is_empty() {
        return vars.input.clone();
    }
    let mut out = Value::Object(Map::new());
    for (pointer, template) in &connector.request {
        let value = match template {
            Template::Literal(v) => v.clone(),
            Template::Whole(var) => vars.value(var),
            Template::Text(parts) => {
                let mut s = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => s.push_str(t),
                        Part::Var(var) => match vars.value(var) {
                            Value::String(v) => s.push_str(&v),
                            Value::Null => {}
                            other => s.push_str(&other.to_string()),
                        },
                    }
                }
                Value::String(s)
            }
        };
        set(&mut out, pointer, value);
    }
    out
}

/// Sets the value at a JSON pointer, creating the objects on the way.
fn set(root: &mut Value, pointer: &str, value: Value) {
    let mut node = root;
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, seg) in segments.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("made an object above");
        if i + 1 == segments.len() {
            map.insert(seg.clone(), value);
            return;
        }
        node = map.entry(seg.clone()).or_insert(Value::Object(Map::new()));
    }
}

/// Why an answer does not fit the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the answer of `{connector}` does not fit the catalog: {problem}")]
pub struct MappingError {
    /// The connector.
    pub connector: String,
    /// What is wrong (field names and types, never values).
    pub problem: String,
}

/// Picks the catalog's output fields out of an answer and gives each its catalog type.
///
/// The catalog's contract decides what an absent field (or a `null`) means. An `optional`
/// one is left out — absent, never an error — and the workflow, which `qyzmet validate`
/// holds to `has(response.x)` before it reads one, goes on. Any other is the far side
/// breaking the contract: the answer does not fit, and the request takes its failure path
/// rather than stopping the case at a mapping that cannot be evaluated.
pub fn response(connector: &Connector, answer: &Value) -> Result<Value, MappingError> {
    let fail = |problem: String| MappingError {
        connector: connector.name.clone(),
        problem,
    };
    let data = if connector.data.is_empty() {
        answer
    } else {
        answer.pointer(&connector.data).ok_or_else(|| {
            fail(format!(
                "it has nothing at `{}` (where its data should be)",
                connector.data
            ))
        })?
    };
    let mut out = Map::new();
    for (target, ty) in &connector.outputs {
        let source = connector.fields.get(target);
        let raw = source
            .and_then(|s| data.pointer(&s.from))
            .filter(|v| !v.is_null());
        let (Some(source), Some(raw)) = (source, raw) else {
            if ty.optional {
                continue;
            }
            let place = source.map_or_else(|| "not mapped".to_string(), |s| s.from.clone());
            return Err(fail(format!(
                "`{target}` ({place}) is missing, and the catalog does not mark it optional"
            )));
        };
        let raw = match raw {
            Value::String(s) if !source.values.is_empty() => source
                .values
                .get(s.trim())
                .map(|v| Value::String(v.clone()))
                .unwrap_or_else(|| raw.clone()),
            Value::Bool(_) | Value::Number(_) if !source.values.is_empty() => {
                let key = match raw {
                    Value::Bool(b) => b.to_string(),
                    other => other.to_string(),
                };
                source
                    .values
                    .get(&key)
                    .map(|v| Value::String(v.clone()))
                    .unwrap_or_else(|| raw.clone())
            }
            _ => raw.clone(),
        };
        let value = coerce(ty, &raw, source.format.as_deref()).ok_or_else(|| {
            fail(format!(
                "`{target}` ({}) is not {}",
                source.from,
                describe(ty)
            ))
        })?;
        out.insert(target.clone(), value);
    }
    Ok(Value::Object(out))
}

/// What a value of `ty` must be, as an answer's mistake says it.
pub fn describe(ty: &FieldType) -> String {
    match ty.ty {
        TypeName::Enum => format!("one of {}", ty.values.join(", ")),
        TypeName::Date => "a date".into(),
        TypeName::Bool => "yes or no".into(),
        TypeName::Int => "a whole number".into(),
        TypeName::Decimal => "a number".into(),
        TypeName::Money => "an amount".into(),
        TypeName::Iin => "an IIN".into(),
        _ => "a text".into(),
    }
}

/// Gives a value its catalog type; `None` when it cannot be.
pub fn coerce(ty: &FieldType, raw: &Value, format: Option<&str>) -> Option<Value> {
    match ty.ty {
        TypeName::String
        | TypeName::Text
        | TypeName::Phone
        | TypeName::Email
        | TypeName::Document => match raw {
            Value::String(s) => Some(Value::String(s.trim().to_string())),
            Value::Number(n) => Some(Value::String(n.to_string())),
            Value::Object(_) | Value::Array(_) if ty.ty == TypeName::Document => Some(raw.clone()),
            _ => None,
        },
        TypeName::Iin => {
            let s = raw.as_str()?.trim();
            crate::domain::Iin::parse(s).ok()?;
            Some(Value::String(s.to_string()))
        }
        TypeName::Enum => {
            let s = raw.as_str()?.trim();
            ty.values
                .iter()
                .any(|v| v == s)
                .then(|| Value::String(s.to_string()))
        }
        TypeName::Bool => match raw {
            Value::Bool(b) => Some(Value::Bool(*b)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(Value::Bool(true)),
                "false" | "0" | "no" => Some(Value::Bool(false)),
                _ => None,
            },
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(Value::Bool(true)),
                Some(0) => Some(Value::Bool(false)),
                _ => None,
            },
            _ => None,
        },
        TypeName::Int => match raw {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(raw.clone()),
            Value::String(s) => s.trim().parse::<i64>().ok().map(Value::from),
            _ => None,
        },
        TypeName::Decimal => match raw {
            Value::Number(_) => Some(raw.clone()),
            Value::String(s) => {
                let n: f64 = s.trim().replace(',', ".").parse().ok()?;
                serde_json::Number::from_f64(n).map(Value::Number)
            }
            _ => None,
        },
        TypeName::Money => crate::money::Money::from_json(raw)
            .ok()
            .map(|m| m.to_json()),
        TypeName::Date => {
            let s = raw.as_str()?.trim();
            date(s, format).map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
        }
    }
}

/// Reads a date as gateways write them: `2026-03-15`, `2026-03-15+06:00` (xsd:date with a
/// zone), `2026-03-15T00:00:00+05:00`, `15.03.2026`, or the connector's own `format`.
fn date(s: &str, format: Option<&str>) -> Option<NaiveDate> {
    if let Some(f) = format {
        return NaiveDate::parse_from_str(s, f).ok();
    }
    // `get`, not `[..10]`: a far side's text with a letter of two bytes across the tenth
    // byte (`2026-03-1ё`) must be "not a date", not a panic.
    if let Some(day) = s.get(..10)
        && let Ok(d) = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        && (s.len() == 10 || matches!(s.as_bytes()[10], b'T' | b'+' | b'-' | b'Z' | b' '))
    {
        return Some(d);
    }
    NaiveDate::parse_from_str(s, "%d.%m.%Y").ok()
}
