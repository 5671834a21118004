//! The check of `qyzmet.service_cases` requests across files: a report that counts the cases
//! of another service names that service, the date its cases are selected by, the result they
//! ended with and the amount summed ([`crate::service_cases`]). Each must be one the service
//! has, or the report would count nothing, every quarter, without an error anyone sees.
//!
//! Why the names are quoted literals: they are checked here, against the other service's
//! file, before anything runs; a name computed from the case's data could not be.
//! Why here and not in `validate`: the service is another file, read as [`super::waves`]
//! reads a wave's (its folder beside the caller's when it was not asked for).

use std::path::Path;

use super::raw::{self, TypeName};
use super::validate::Problems;
use crate::msg;
use crate::service_cases::CONNECTOR;
use crate::yaml::escape;

/// The inputs that name something of the counted service.
const NAMES: [&str; 4] = ["service", "date_field", "result", "amount_field"];

/// The text of a quoted CEL string literal (`'x'` or `"x"`), or `None` for any other
/// expression.
fn literal(expr: &str) -> Option<&str> {
    let e = expr.trim();
    let quote = e.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = e.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote) && !inner.contains('\\')).then_some(inner)
}

/// The services the `qyzmet.service_cases` requests of `workflow` name, as written.
pub fn named(workflow: &raw::Workflow) -> Vec<String> {
    requests(workflow)
        .filter_map(|(_, r)| r.input.get("service").and_then(|e| literal(e)))
        .map(str::to_string)
        .collect()
}

fn requests(workflow: &raw::Workflow) -> impl Iterator<Item = (&String, &raw::Request)> {
    workflow.steps.iter().filter_map(|(name, step)| {
        step.request
            .as_ref()
            .filter(|r| r.connector == CONNECTOR)
            .map(|r| (name, r))
    })
}

/// The services a name may be meant for: those read, and the folders under `root` (a
/// service's folder is its id; `_shared` holds sub-workflows).
fn service_names(services: &[&raw::Workflow], root: &Path) -> Vec<String> {
    let mut names: Vec<String> = services.iter().filter_map(|s| s.service.clone()).collect();
    if let Ok(entries) = std::fs::read_dir(root) {
        names.extend(
            entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with(['_', '.'])),
        );
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The type `name` has in `version`'s data, if it declares it.
fn type_of(version: &raw::Workflow, name: &str) -> Option<TypeName> {
    version.data.get(name).map(|f| match f {
        raw::Field::Short(ty) => *ty,
        raw::Field::Full(spec) => spec.ty,
    })
}

/// The problems of the `qyzmet.service_cases` requests of `workflow`, checked against
/// `services` (every version of every service known), by pointer. A service whose folder is
/// under `root` but did not parse is left to its own messages.
pub fn check(workflow: &raw::Workflow, services: &[&raw::Workflow], root: &Path) -> Problems {
    let mut p = Problems::default();
    for (step, request) in requests(workflow) {
        let at = |input: &str| format!("/steps/{}/request/input/{input}", escape(step));
        let mut given = std::collections::BTreeMap::new();
        for name in NAMES {
            let Some(expr) = request.input.get(name) else {
                continue; // a missing input is `validate`'s to report
            };
            match literal(expr) {
                Some(text) => {
                    given.insert(name, text);
                }
                None => {
                    p.at_value(at(name), msg!("service_cases.not_literal", name = name));
                }
            }
        }
        let Some(service) = given.get("service").copied() else {
            continue;
        };
        let versions: Vec<&raw::Workflow> = services
            .iter()
            .copied()
            .filter(|s| s.service.as_deref() == Some(service))
            .collect();
        if versions.is_empty() {
            if !root.join(service).is_dir() {
                let names = service_names(services, root);
                p.at_value(
                    at("service"),
                    msg!("wave.unknown_service", service = service),
                )
                .suggest(service, names.iter().map(String::as_str));
            }
            continue;
        }
        let typed = |name: &str, field: &str, want: TypeName, p: &mut Problems| {
            for v in &versions {
                if type_of(v, field) != Some(want) {
                    let version = v.version.clone();
                    let ty = format!("{want:?}").to_lowercase();
                    p.at_value(
                        at(name),
                        msg!(
                            "service_cases.not_typed",
                            field = field,
                            service = service,
                            version = version,
                            ty = ty
                        ),
                    )
                    .suggest(
                        field,
                        v.data
                            .keys()
                            .filter(|k| type_of(v, k) == Some(want))
                            .map(String::as_str),
                    );
                }
            }
        };
        if let Some(field) = given.get("date_field") {
            typed("date_field", field, TypeName::Date, &mut p);
        }
        if let Some(field) = given.get("amount_field").filter(|f| !f.is_empty()) {
            typed("amount_field", field, TypeName::Money, &mut p);
        }
        if let Some(result) = given.get("result").filter(|r| !r.is_empty())
            && !versions
                .iter()
                .any(|v| v.results.iter().any(|r| r == result))
        {
            let mut results: Vec<&str> = versions
                .iter()
                .flat_map(|v| v.results.iter().map(String::as_str))
                .collect();
            results.sort_unstable();
            results.dedup();
            p.at_value(
                at("result"),
                msg!(
                    "service_cases.unknown_result",
                    result = result,
                    service = service
                ),
            )
            .suggest(result, results);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::literal;

    #[test]
    fn only_a_quoted_text_is_a_literal() {
        assert_eq!(literal("'decision.date'"), Some("decision.date"));
        assert_eq!(literal(" \"payment.amount\" "), Some("payment.amount"));
        assert_eq!(literal("''"), Some(""));
        for not in [
            "decision.date",
            "'a' + 'b'",
            "'a",
            "x ? 'a' : 'b'",
            "'it\\'s'",
        ] {
            assert_eq!(literal(not), None, "{not}");
        }
    }
}
