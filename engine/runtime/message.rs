//! A citizen's message (an objection, a statement), checked against what the case's
//! definition declares before the case takes it.
//!
//! A message no step waits for yet is kept in the case's inbox, and the inbox is part of the
//! case's state, written whole with every transition: a message the case can never use (a
//! name nobody declares, a field nobody reads) would cost every later write of the case and
//! wait there for nothing. So a message is taken only under a name the service or one of the
//! sub-workflows it calls declares (`messages:`), with the fields declared for it, each of its
//! type, and with every field a step that receives it records (a field it could not read would
//! fail that step); whatever is wrong is said at once, by its place in the request (`name`,
//! `payload.<field>`).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::form::check_value;
use super::{Context, Error, FieldError};
use crate::definition::model::{Definition, FieldDef, StepKind};
use indexmap::IndexMap;

/// Checks message `name` with `payload` against the declarations of the case's definition and
/// of the sub-workflows it calls; returns the payload, each value normalised.
pub fn check(ctx: &Context<'_>, name: &str, payload: &Value) -> Result<Value, Error> {
    let definitions = reachable(ctx);
    let declared: Vec<(&str, &IndexMap<String, FieldDef>)> = definitions
        .iter()
        .flat_map(|d| d.messages.iter().map(|(n, f)| (n.as_str(), f)))
        .collect();
    let Some(fields) = declared
        .iter()
        .find_map(|(n, f)| (*n == name).then_some(*f))
    else {
        let names: Vec<&str> = declared.iter().map(|(n, _)| *n).collect();
        return Err(refusal("name", unknown_name(ctx.definition, name, &names)));
    };
    let empty = Map::new();
    let given = match payload {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => {
            return Err(refusal(
                "payload",
                "must be an object of the message's fields".into(),
            ));
        }
    };
    let mut errors = Vec::new();
    let mut checked = Map::new();
    for (field, value) in given {
        let at = format!("payload.{field}");
        let Some(decl) = fields.get(field) else {
            let mut message = format!("the message `{name}` has no field `{field}`");
            if let Some(best) =
                crate::diagnostic::did_you_mean(field, fields.keys().map(String::as_str))
            {
                message.push_str(&format!(": did you mean `{best}`?"));
            } else if !fields.is_empty() {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                message.push_str(&format!(" (its fields: {})", names.join(", ")));
            }
            errors.push(FieldError { field: at, message });
            continue;
        };
        if value.is_null() {
            continue;
        }
        match check_value(decl, value) {
            Ok(v) => {
                checked.insert(field.clone(), v);
            }
            Err(message) => errors.push(FieldError { field: at, message }),
        }
    }
    for (field, step) in required(&definitions, name) {
        if given.get(&field).is_none_or(Value::is_null) && fields.contains_key(&field) {
            errors.push(FieldError {
                field: format!("payload.{field}"),
                message: format!("required: step `{step}` records it from the message"),
            });
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(checked))
    } else {
        Err(Error::Rejected(errors))
    }
}

/// The definitions whose messages a case of `ctx.definition` can take: the definition first,
/// then every sub-workflow it calls, directly or through another.
fn reachable<'c>(ctx: &'c Context<'_>) -> Vec<&'c Definition> {
    let mut out = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut pending: Vec<&Definition> = vec![ctx.definition];
    while let Some(def) = pending.pop() {
        if !seen.insert(def.id.as_str()) {
            continue;
        }
        out.push(def);
        for step in def.steps.iter().rev() {
            if let StepKind::Call { workflow, .. } = &step.kind
                && let Some(sub) = ctx.subworkflows.get(workflow)
            {
                pending.push(sub);
            }
        }
    }
    out
}

/// The fields of message `name` a step that receives it records unguarded (`message.text`,
/// not `has(message.text) ? … : …`), each with that step: without them the step could not
/// take the message — now, or later from the inbox, in the middle of a clerk's transition.
fn required<'d>(definitions: &[&'d Definition], name: &str) -> Vec<(String, &'d str)> {
    let mut out: Vec<(String, &str)> = Vec::new();
    for def in definitions {
        // A life event records from its message as a receive step does.
        let events = def.events.values().filter_map(|e| match &e.trigger {
            crate::definition::model::Trigger::Message(m) => Some((
                m,
                e.name.as_str(),
                e.store.iter().map(|(_, x)| x).chain(&e.once_per),
            )),
            _ => None,
        });
        let receives = def.steps.iter().filter_map(|step| match &step.kind {
            StepKind::Receive { message, store, .. } => Some((message, step.name.as_str(), store)),
            _ => None,
        });
        let mut reads: Vec<(&String, &str, Vec<&crate::definition::expr::Expr>)> = receives
            .map(|(m, n, store)| (m, n, store.iter().map(|(_, x)| x).collect()))
            .collect();
        reads.extend(events.map(|(m, n, xs)| (m, n, xs.collect())));
        for (message, step, store) in reads {
            if message != name {
                continue;
            }
            for e in store {
                for variable in e.variables() {
                    let Some(field) = variable.strip_prefix("message.") else {
                        continue;
                    };
                    let field = field.split('.').next().unwrap_or(field);
                    let guarded = e.source().contains(&format!("has(message.{field})"));
                    if !guarded && !out.iter().any(|(f, _)| f == field) {
                        out.push((field.to_string(), step));
                    }
                }
            }
        }
    }
    out
}

fn unknown_name(def: &Definition, name: &str, declared: &[&str]) -> String {
    if declared.is_empty() {
        return format!("the service `{}` takes no messages", def.id);
    }
    let mut message = if name.trim().is_empty() {
        "a message needs the name of one the service declares".to_string()
    } else {
        format!("the service `{}` declares no message `{name}`", def.id)
    };
    match crate::diagnostic::did_you_mean(name, declared.iter().copied()) {
        Some(best) if !name.trim().is_empty() => {
            message.push_str(&format!(": did you mean `{best}`?"));
        }
        _ => message.push_str(&format!(" (it takes: {})", declared.join(", "))),
    }
    message
}

fn refusal(field: &str, message: String) -> Error {
    Error::Rejected(vec![FieldError {
        field: field.into(),
        message,
    }])
}
