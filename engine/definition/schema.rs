//! The JSON Schema of the workflow format, and the structural check made with it.
//!
//! The schema is generated from the raw structs (`schemars`), so it can never drift from
//! what the loader accepts. It serves twice: editors use it for completion and hover
//! (`qyzmet schema`, referenced from each workflow file), and the loader validates every
//! file against it before serde sees it. The validator (`jsonschema`) reports *every*
//! structural mistake at once, where serde would stop at the first; each is mapped back
//! to a line and column through the document's position table.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::catalog::Catalog;
use super::raw::Workflow;
use super::validate::Problems;
use crate::msg;
use crate::yaml::{Document, dotted};

/// The JSON Schema of a workflow file.
pub fn workflow() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema =
            serde_json::to_value(schemars::schema_for!(Workflow)).expect("schema is JSON");
        schema["$id"] = Value::String("https://qyzmet.kz/schema/workflow.schema.json".into());
        schema
    })
}

/// The JSON Schema of the catalog file.
pub fn catalog() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(Catalog)).expect("schema is JSON")
    })
}

/// Checks a document's shape against `schema`, reporting every mismatch.
pub fn check_shape(doc: &Document, schema: &'static Value, problems: &mut Problems) {
    let validator = validator(schema);
    for error in validator.iter_errors(doc.value()) {
        let pointer = error.instance_path().as_str().to_string();
        match error.kind() {
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                let values = allowed_values(schema, doc.value(), &pointer);
                if !values.is_empty() {
                    // A choice of constants: an enum whose variants have doc comments.
                    report_choice(problems, &pointer, error.instance(), &values);
                    continue;
                }
                // An untagged form (`field: type` or `{ type: ... }`): report the closest
                // alternative's own errors, which name the real mistake.
                let object_branch = context.iter().find(|errs| {
                    errs.iter()
                        .all(|e| !matches!(e.kind(), ValidationErrorKind::Type { .. }))
                });
                let best = context
                    .iter()
                    .filter(|errs| !errs.is_empty())
                    .min_by_key(|errs| errs.len());
                let is_object = doc.value().pointer(&pointer).is_some_and(Value::is_object);
                match object_branch.or(best) {
                    Some(errs) if errs.len() <= 3 && is_object => {
                        for e in errs {
                            let inner = e.instance_path().as_str().to_string();
                            report(doc, schema, e, &inner, problems);
                        }
                    }
                    _ => {
                        problems.at_value(
                            &pointer,
                            msg!("schema.no_form_fits", path = dotted(&pointer)),
                        );
                    }
                }
            }
            _ => report(doc, schema, &error, &pointer, problems),
        }
    }
}

/// Reports one schema error that is not a choice between forms.
fn report(
    doc: &Document,
    schema: &Value,
    error: &jsonschema::ValidationError<'_>,
    pointer: &str,
    problems: &mut Problems,
) {
    let path = dotted(pointer);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(schema, doc.value(), pointer);
            for field in unexpected {
                let at = format!("{pointer}/{}", crate::yaml::escape(field));
                problems
                    .at(at, msg!("schema.unknown_field", field = field))
                    .suggest(field, allowed.iter().map(String::as_str));
            }
        }
        ValidationErrorKind::Required { property } => {
            let field = property.as_str().unwrap_or_default().to_string();
            problems.at(pointer, msg!("schema.missing_field", field = field));
        }
        ValidationErrorKind::Enum { options } => {
            let values: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            report_choice(problems, pointer, error.instance(), &values);
        }
        ValidationErrorKind::Type { kind } => {
            let expected = describe_type(&format!("{kind:?}"));
            problems.at_value(
                pointer,
                msg!("schema.wrong_type", path = path, expected = expected),
            );
        }
        ValidationErrorKind::Pattern { .. } => {
            let value = error.instance().as_str().unwrap_or_default().to_string();
            problems.at_value(pointer, msg!("schema.pattern", path = path, value = value));
        }
        _ => {
            problems.at_value(
                pointer,
                msg!("schema.invalid", path = path, detail = error.to_string()),
            );
        }
    }
}

/// A value outside a fixed list, with the closest allowed value as a hint.
fn report_choice(problems: &mut Problems, pointer: &str, given: &Value, values: &[String]) {
    let given = given.as_str().unwrap_or_default();
    problems
        .at_value(
            pointer,
            msg!(
                "schema.not_one_of",
                path = dotted(pointer),
                values = values.join(", ")
            ),
        )
        .suggest(given, values.iter().map(String::as_str));
}

fn validator(schema: &'static Value) -> &'static jsonschema::Validator {
    static WORKFLOW: OnceLock<jsonschema::Validator> = OnceLock::new();
    static CATALOG: OnceLock<jsonschema::Validator> = OnceLock::new();
    let cell = if std::ptr::eq(schema, workflow()) {
        &WORKFLOW
    } else {
        &CATALOG
    };
    cell.get_or_init(|| jsonschema::validator_for(schema).expect("the generated schema is valid"))
}

/// "Multiple((null, integer))" → "a whole number": the words a methodologist knows.
fn describe_type(debug: &str) -> String {
    let debug = debug.to_ascii_lowercase();
    let mut kinds = Vec::new();
    for (needle, word) in [
        ("object", "a mapping (key: value)"),
        ("array", "a list"),
        ("string", "text"),
        ("integer", "a whole number"),
        ("number", "a number"),
        ("boolean", "true or false"),
    ] {
        if debug.contains(needle) && !(needle == "number" && debug.contains("integer")) {
            kinds.push(word);
        }
    }
    if kinds.is_empty() {
        debug
    } else {
        kinds.join(" or ")
    }
}

/// The schema that applies to the value at `pointer`, `$ref`s followed.
fn schema_at<'a>(
    root: &'a Value,
    instance: &Value,
    pointer: &str,
    pick: bool,
) -> Option<&'a Value> {
    let mut schema = root;
    let mut value = instance;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        schema = resolve(root, schema, value);
        schema = schema
            .get("properties")
            .and_then(|p| p.get(&segment))
            .or_else(|| schema.get("additionalProperties").filter(|v| v.is_object()))
            .or_else(|| schema.get("items"))?;
        value = match value {
            Value::Object(map) => map.get(&segment).unwrap_or(&Value::Null),
            Value::Array(items) => segment
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    if pick {
        return Some(resolve(root, schema, value));
    }
    while let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| root.pointer(r.trim_start_matches('#')))
    {
        schema = target;
    }
    Some(schema)
}

/// The property names the schema allows for the object at `pointer`, for "did you mean".
fn allowed_properties(root: &Value, instance: &Value, pointer: &str) -> Vec<String> {
    schema_at(root, instance, pointer, true)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The values allowed at `pointer` when the schema is a choice of constants (an enum whose
/// variants carry doc comments is generated as `oneOf` of `const`s).
fn allowed_values(root: &Value, instance: &Value, pointer: &str) -> Vec<String> {
    let Some(schema) = schema_at(root, instance, pointer, false) else {
        return vec![];
    };
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
    }
    schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .map(|alts| {
            alts.iter()
                .map(|alt| resolve(root, alt, &Value::Null))
                .filter_map(|alt| alt.get("const").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Follows `$ref`s, and picks the object alternative of an `anyOf`/`oneOf`.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value, value: &Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let path = reference.trim_start_matches('#');
            match root.pointer(path) {
                Some(target) => schema = target,
                None => return schema,
            }
            continue;
        }
        let alternatives = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array);
        if let Some(alternatives) = alternatives {
            let want_object = value.is_object();
            let pick = alternatives.iter().find(|alt| {
                let alt = resolve(root, alt, value);
                alt.get("properties").is_some() == want_object
            });
            match pick {
                Some(alt) => {
                    schema = alt;
                    continue;
                }
                None => return schema,
            }
        }
        return schema;
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_the_step_kinds_with_their_docs() {
        let schema = workflow();
        let step = &schema["$defs"]["Step"]["properties"];
        for kind in [
            "task", "request", "notify", "document", "decide", "fork", "join", "wait", "receive",
            "call", "end",
        ] {
            assert!(
                step.get(kind).is_some(),
                "step kind {kind} missing from the schema"
            );
        }
        let text = serde_json::to_string(&schema["$defs"]["Step"]).unwrap();
        assert!(
            text.contains("The statutory term is paused"),
            "doc comments become descriptions"
        );
    }
}
