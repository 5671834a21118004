//! The texts every clerk and citizen reads in both languages: titles and labels `{ kk, ru }`.
//!
//! The JSON Schema knows a title needs `kk` and `ru`, but what it says when one is missing
//! is about the schema, not the text: inside a field that takes either a type name or a
//! mapping (`data:`), a label without `kk` made the whole field fit neither form, and the
//! methodologist read "`data.refusal.reasons` must be one of: string". So before the shape
//! check, every place the schema expects a [`Text`](super::raw::Text) is found by walking
//! the document beside the schema, and a text that lacks a language (or is a plain string)
//! is reported in words — "`data.refusal.reasons.label` has no `kk` text: give the Kazakh
//! text too" — at the mapping. The document is then checked for the rest of its shape as if
//! each such text were complete, so that nothing is reported twice.

use serde_json::{Map, Value};

use super::validate::Problems;
use crate::msg;
use crate::yaml::{dotted, escape};

/// The languages every text is written in, with the key of the message that one is missing.
const LANGUAGES: [(&str, &str); 2] = [("kk", "text.no_kk"), ("ru", "text.no_ru")];

/// Reports every incomplete text of `value` (a document checked against `schema`, a
/// schema generated from the raw structs) into `problems`. Returns the value with each such
/// text completed (a missing language as an empty string, a plain string as both), for the
/// shape check to see no problem there twice; `None` when every text was complete.
pub fn check(schema: &Value, value: &Value, problems: &mut Problems) -> Option<Value> {
    let text = schema.pointer("/$defs/Text")?;
    let mut walker = Walker {
        root: schema,
        text,
        patches: Vec::new(),
    };
    walker.walk(schema, value, "", problems);
    if walker.patches.is_empty() {
        return None;
    }
    let mut patched = value.clone();
    for (pointer, replacement) in walker.patches {
        if let Some(slot) = patched.pointer_mut(&pointer) {
            *slot = replacement;
        }
    }
    Some(patched)
}

struct Walker<'a> {
    root: &'a Value,
    /// The schema of a text (`$defs/Text`).
    text: &'a Value,
    /// The completed texts, by pointer.
    patches: Vec<(String, Value)>,
}

impl<'a> Walker<'a> {
    /// Follows `$ref`s; stops at the text's schema.
    fn deref(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..16 {
            if std::ptr::eq(schema, self.text) {
                return schema;
            }
            match schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.root.pointer(r.trim_start_matches('#')))
            {
                Some(target) => schema = target,
                None => return schema,
            }
        }
        schema
    }

    fn walk(&mut self, schema: &'a Value, value: &Value, pointer: &str, problems: &mut Problems) {
        let schema = self.deref(schema);
        if std::ptr::eq(schema, self.text) {
            self.text(value, pointer, problems);
            return;
        }
        if let Some(alternatives) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            let resolved: Vec<&'a Value> = alternatives.iter().map(|a| self.deref(a)).collect();
            // An optional text (`anyOf: [Text, null]`): any value but null is meant as one.
            if !value.is_null() && resolved.iter().any(|a| std::ptr::eq(*a, self.text)) {
                self.text(value, pointer, problems);
                return;
            }
            // Otherwise the alternative of the value's own kind (the full form of a field).
            let kind = |a: &Value| match value {
                Value::Object(_) => {
                    a.get("properties").is_some()
                        || a.get("additionalProperties").is_some_and(Value::is_object)
                }
                Value::Array(_) => a.get("items").is_some(),
                _ => false,
            };
            if let Some(alternative) = resolved.into_iter().find(|a| kind(a)) {
                self.walk(alternative, value, pointer, problems);
            }
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_schema = schema
                        .get("properties")
                        .and_then(|p| p.get(key))
                        .or_else(|| schema.get("additionalProperties").filter(|v| v.is_object()));
                    if let Some(child_schema) = child_schema {
                        let at = format!("{pointer}/{}", escape(key));
                        self.walk(child_schema, child, &at, problems);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items").filter(|v| v.is_object()) {
                    for (i, child) in items.iter().enumerate() {
                        self.walk(item_schema, child, &format!("{pointer}/{i}"), problems);
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks one text: a mapping with a non-empty `kk` and `ru`.
    fn text(&mut self, value: &Value, pointer: &str, problems: &mut Problems) {
        let path = dotted(pointer);
        match value {
            Value::String(s) => {
                problems
                    .at_value(pointer, msg!("text.plain", path = path))
                    .hint(msg!("hint.text_plain", text = s.trim()));
                let mut both = Map::new();
                for (lang, _) in LANGUAGES {
                    both.insert(lang.to_string(), Value::String(s.clone()));
                }
                self.patches
                    .push((pointer.to_string(), Value::Object(both)));
            }
            Value::Object(map) => {
                let mut completed = map.clone();
                for (lang, key) in LANGUAGES {
                    match map.get(lang) {
                        None | Some(Value::Null) => {
                            problems.at_value(pointer, msg!(key, path = path));
                            completed.insert(lang.to_string(), Value::String(String::new()));
                        }
                        Some(Value::String(s)) if s.trim().is_empty() => {
                            problems.at_value(format!("{pointer}/{lang}"), msg!(key, path = path));
                        }
                        // Another type is the shape check's to report.
                        Some(_) => {}
                    }
                }
                if completed.len() != map.len() {
                    self.patches
                        .push((pointer.to_string(), Value::Object(completed)));
                }
            }
            // A list or a number where a text goes: the shape check says what is expected.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::schema;
    use serde_json::json;

    fn keys(problems: &Problems) -> Vec<(String, &'static str)> {
        problems
            .0
            .iter()
            .map(|p| (p.pointer.clone(), p.msg.key))
            .collect()
    }

    #[test]
    fn finds_a_missing_language_wherever_a_text_goes_and_completes_it() {
        let doc = json!({
            "title": { "ru": "Услуга" },
            "data": {
                "refusal.reasons": { "type": "text", "label": { "ru": "Причины" } },
                "applicant.iin": "iin"
            },
            "steps": { "accept": { "title": "Приём", "end": "issued" } },
            "messages": { "reply": { "title": { "kk": "Жауап", "ru": "" } } }
        });
        let mut problems = Problems::default();
        let patched = check(schema::workflow(), &doc, &mut problems).expect("patched");
        let mut found = keys(&problems);
        found.sort();
        assert_eq!(
            found,
            vec![
                ("/data/refusal.reasons/label".into(), "text.no_kk"),
                ("/messages/reply/title/ru".into(), "text.no_ru"),
                ("/steps/accept/title".into(), "text.plain"),
                ("/title".into(), "text.no_kk"),
            ]
        );
        assert_eq!(patched["title"], json!({ "kk": "", "ru": "Услуга" }));
        assert_eq!(
            patched["steps"]["accept"]["title"],
            json!({ "kk": "Приём", "ru": "Приём" })
        );
        // An empty text is reported, but left as it is: its shape is right.
        assert_eq!(patched["messages"]["reply"]["title"]["ru"], json!(""));
        let complete = json!({ "title": { "kk": "Қызмет", "ru": "Услуга" } });
        let mut none = Problems::default();
        assert_eq!(check(schema::workflow(), &complete, &mut none), None);
        assert!(none.0.is_empty());
    }
}
