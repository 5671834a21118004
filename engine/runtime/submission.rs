//! What an application may carry when it opens a case, checked before anything is written.
//!
//! A service with an `application:` form takes exactly that form ([`form::check_application`]).
//! A service without one takes the names of its `data:` that are the applicant's to give:
//!
//! - a name the definition never records itself. What a request's answer, a clerk's form, an
//!   outcome's `set:`, a message's `store:` or a notice's receipt records is the service's own
//!   finding (`applicant.full_name` from GBD FL, `register.*`, `refusal.*`, `decision.*`,
//!   `review.approved`); taken from the application, it would let the applicant state what the
//!   service is there to establish — an account "verified", a refusal's grounds, a decision's
//!   number — or pre-empt a clerk's answer;
//! - a field of the acceptance's form (the task the term starts after, else the first step),
//!   even when a later step may record it again (`bank.account_number`, which a clerk corrects
//!   when the bank finds no account). That form is the application as the front office takes
//!   it: the clerk checks each value against the documents and completes the task with the
//!   values that hold, so a channel may give them first;
//! - the addresses notices go to, `applicant.email` and `applicant.phone`, whether or not the
//!   definition declares them: the runtime reaches the citizen through them.
//!
//! Each value is checked against its declared type ([`form::check_value`]): an IIN as text with
//! its control digit, a date as `YYYY-MM-DD`, an enum's listed values. The two addresses are
//! checked as an e-mail address and a phone number whatever type the definition gives them, so
//! that a notice never fails on an address the application brought. Every mistake is reported
//! at once, by name, and nothing of the case is written unless the whole application is right.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::form::{self, check_value, flatten, is_blank};
use super::{Error, FieldError};
use crate::definition::expr::Type;
use crate::definition::model::{Definition, FieldDef, StepId, StepKind};

/// The address e-mail notices to the citizen go to.
pub const EMAIL: &str = "applicant.email";

/// The number SMS notices to the citizen go to.
pub const PHONE: &str = "applicant.phone";

/// Checks the data of an application to `def`; returns the values, normalised, to open the
/// case with. `data` may be nested (`{"applicant": {"iin": …}}`) or flat (`{"applicant.iin":
/// …}`), as channels send it.
pub fn check(def: &Definition, data: &Value) -> Result<Vec<(String, Value)>, Error> {
    if def.application.is_empty() {
        declared(def, data)
    } else {
        let mut values = form::check_application(def, data)?;
        let errors: Vec<FieldError> = values
            .iter_mut()
            .filter_map(|(name, value)| {
                let decl = contact(name, def.data.get(name.as_str()))?;
                match check_value(&decl, value) {
                    Ok(checked) => {
                        *value = checked;
                        None
                    }
                    Err(message) => Some(FieldError {
                        field: name.clone(),
                        message,
                    }),
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(Error::Rejected(errors))
        }
    }
}

/// The data of an application to a service without an `application` form: the names that are
/// the applicant's (see the module's documentation), each of its declared type.
fn declared(def: &Definition, data: &Value) -> Result<Vec<(String, Value)>, Error> {
    let mut flat = Map::new();
    match data {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(def, key, value, &mut flat);
            }
        }
        Value::Null => {}
        _ => {
            return Err(Error::Rejected(vec![FieldError {
                field: "data".into(),
                message: "the application must be an object of fields".into(),
            }]));
        }
    }
    let recorded = recorded(def);
    let accepted = acceptance_form(def);
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for (name, value) in &flat {
        let Some(decl) = contact(name, def.data.get(name)).or_else(|| def.data.get(name).cloned())
        else {
            errors.push(FieldError {
                field: name.clone(),
                message: unknown(def, name, &recorded, &accepted),
            });
            continue;
        };
        let is_contact = name == EMAIL || name == PHONE;
        if !is_contact
            && !accepted.contains(&name.as_str())
            && let Some(by) = recorded.get(name.as_str())
        {
            errors.push(FieldError {
                field: name.clone(),
                message: format!(
                    "the service records this itself ({}): it is not the applicant's to give",
                    by.describe()
                ),
            });
            continue;
        }
        if is_blank(value) {
            continue;
        }
        match check_value(&decl, value) {
            Ok(v) => values.push((name.clone(), v)),
            Err(message) => errors.push(FieldError {
                field: name.clone(),
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(Error::Rejected(errors))
    }
}

/// The declaration a contact address is checked by: its own (pattern and all), as an e-mail
/// address or a phone number whatever type it was given; `None` for any other name.
fn contact(name: &str, declared: Option<&FieldDef>) -> Option<FieldDef> {
    let ty = match name {
        EMAIL => Type::Email,
        PHONE => Type::Phone,
        _ => return None,
    };
    Some(match declared {
        Some(decl) => FieldDef { ty, ..decl.clone() },
        None => FieldDef {
            ty,
            label: None,
            pattern: None,
            min: None,
            max: None,
            personal: true,
            multiline: false,
            csv: false,
        },
    })
}

/// The refusal of a name the service does not declare, with the closest name the applicant
/// may give when one is a plausible typo.
fn unknown(
    def: &Definition,
    name: &str,
    recorded: &HashMap<&str, Recorder<'_>>,
    accepted: &[&str],
) -> String {
    let givable = def
        .data
        .keys()
        .map(String::as_str)
        .filter(|n| accepted.contains(n) || !recorded.contains_key(n))
        .chain([EMAIL, PHONE]);
    let message = format!("the service `{}` has no such field", def.id);
    match suggest(name, givable) {
        Some(best) => format!("{message}: did you mean `{best}`?"),
        None => message,
    }
}

/// A "did you mean" only for a plausible typo: close, and within a few edits of the last
/// segment's length, so that a shared `applicant.` prefix does not make every name look like
/// a typo of every other.
fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let last = word.rsplit('.').next().unwrap_or(word);
    let allowed = 1 + last.chars().count() / 4;
    crate::diagnostic::did_you_mean(word, candidates)
        .filter(|best| strsim::damerau_levenshtein(word, best) <= allowed)
}

/// The fields of the acceptance's form: the task the term starts after, else the first step.
fn acceptance_form(def: &Definition) -> Vec<&str> {
    let acceptance = def.term.as_ref().map_or(def.start, |t| t.starts_after);
    match &def.step(acceptance).kind {
        StepKind::Task(task) => task.form.iter().map(|f| f.field.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// What records a data name: a step and how.
#[derive(Debug, Clone, Copy)]
struct Recorder<'d> {
    step: &'d str,
    how: How,
}

#[derive(Debug, Clone, Copy)]
enum How {
    Answer,
    Form,
    Set,
    Message,
    Receipt,
}

impl Recorder<'_> {
    fn describe(&self) -> String {
        let how = match self.how {
            How::Answer => "the answer to the request of step",
            How::Form => "the clerk's form of step",
            How::Set => "an outcome of step",
            How::Message => "the message step",
            How::Receipt => "the notice of step",
        };
        format!("{how} `{}`", self.step)
    }
}

/// Every data name the definition records itself, with the first step that does (in the
/// order of the file). The acceptance's form is not among them: it is the application.
fn recorded(def: &Definition) -> HashMap<&str, Recorder<'_>> {
    let acceptance = def.term.as_ref().map_or(def.start, |t| t.starts_after);
    let mut out: HashMap<&str, Recorder<'_>> = HashMap::new();
    for (i, step) in def.steps.iter().enumerate() {
        let mut note = |name: &'_ str, how: How| {
            let name: &str = def.data.get_key_value(name).map_or("", |(k, _)| k.as_str());
            if !name.is_empty() {
                out.entry(name).or_insert(Recorder {
                    step: &step.name,
                    how,
                });
            }
        };
        match &step.kind {
            StepKind::Task(task) => {
                if StepId(i as u16) != acceptance {
                    for field in &task.form {
                        note(&field.field, How::Form);
                    }
                }
                for outcome in task.outcomes.values() {
                    for (target, _) in &outcome.set {
                        note(target, How::Set);
                    }
                }
            }
            StepKind::Request(r) => {
                for (target, _) in &r.output {
                    note(target, How::Answer);
                }
            }
            StepKind::Receive { store, .. } => {
                for (target, _) in store {
                    note(target, How::Message);
                }
            }
            StepKind::Notify {
                receipt: Some(r), ..
            } => note(&r.record, How::Receipt),
            _ => {}
        }
    }
    out
}

/// The state systems' answers the citizen signed with an application filed through
/// `channel` (the eGov portal: seeds/001, Semipalatinsk item 3; social assistance item 6),
/// by connector. Each is held to its connector's contract as a gateway answer is
/// (`gateway::mapping::coerce`: every field the catalog does not mark `optional` present,
/// each of its type; fields the contract does not name are left out), so an answer that does
/// not fit refuses the filing rather than stopping the case at a mapping later. An answer of a
/// connector no step of the service takes from signed data on `channel` is refused too: it
/// would be signed evidence of nothing the case uses. Mistakes are named
/// `signed_data.<connector>[.<field>]` and never quote a value (it is personal data).
pub fn signed(
    def: &Definition,
    channel: &str,
    answers: &Map<String, Value>,
) -> Result<std::collections::BTreeMap<String, Value>, Error> {
    use crate::gateway::mapping::{coerce, describe};
    let mut contracts: indexmap::IndexMap<&str, &indexmap::IndexMap<_, _>> = Default::default();
    for step in &def.steps {
        if let StepKind::Request(r) = &step.kind
            && let Some(s) = &r.signed_data
            && s.channels.iter().any(|c| c.as_str() == channel)
        {
            contracts.entry(r.connector.as_str()).or_insert(&s.contract);
        }
    }
    let mut errors = Vec::new();
    let mut out = std::collections::BTreeMap::new();
    for (connector, answer) in answers {
        let at = format!("signed_data.{connector}");
        let Some(contract) = contracts.get(connector.as_str()) else {
            let message = if contracts.is_empty() {
                format!("the service takes no signed data on the channel `{channel}`")
            } else {
                format!(
                    "no step of the service takes `{connector}` from the signed data; it takes {}",
                    contracts.keys().copied().collect::<Vec<_>>().join(", ")
                )
            };
            errors.push(FieldError { field: at, message });
            continue;
        };
        let Value::Object(fields) = answer else {
            errors.push(FieldError {
                field: at,
                message: "an answer is an object of the connector's answer fields".into(),
            });
            continue;
        };
        let mut checked = Map::new();
        for (name, ty) in contract.iter() {
            match fields.get(name.as_str()).filter(|v| !v.is_null()) {
                None if ty.optional => {}
                None => errors.push(FieldError {
                    field: format!("{at}.{name}"),
                    message: "missing, and the connector's contract does not mark it optional"
                        .into(),
                }),
                Some(raw) => match coerce(ty, raw, None) {
                    Some(value) => {
                        checked.insert(name.clone(), value);
                    }
                    None => errors.push(FieldError {
                        field: format!("{at}.{name}"),
                        message: format!("not {}", describe(ty)),
                    }),
                },
            }
        }
        out.insert(connector.clone(), Value::Object(checked));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Rejected(errors))
    }
}
