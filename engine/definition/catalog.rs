//! The catalog: the names workflows may use that are not theirs to define.
//!
//! Roles come from the access rules (seeds/003, seeds/000 appendix 6), stage codes from
//! the monitoring system, connectors from the gateway's contracts. Workflows refer to
//! them by name; the validator checks every name against `workflows/catalog.yaml`, so a
//! misspelt role is caught when the file is checked, not when a task lands in no queue.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::raw::{Field, FieldSpec, Text, TypeName};

/// `workflows/catalog.yaml`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Staff roles: the queues tasks go to and the people escalations reach.
    #[serde(default)]
    pub roles: IndexMap<String, RoleEntry>,
    /// Stage codes of the digital monitoring system.
    #[serde(default)]
    pub stages: IndexMap<String, Entry>,
    /// Data requests the gateway can make: their inputs and the fields of their answers.
    #[serde(default)]
    pub connectors: IndexMap<String, Connector>,
}

/// A named thing with titles in both languages.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// What it is called.
    pub title: Text,
}

/// A staff role: its titles, and whose open tasks its holders steer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    /// What it is called.
    pub title: Text,
    /// The roles whose open tasks a holder of this role sees and moves in their own region
    /// (every region for `kz`): the department's page, reassigning a task to another clerk,
    /// taking it over, putting it back in the queue. Each must be a role of this catalog.
    /// Kept here, as data, because who answers for whose work is the organisation's to say
    /// (seeds/003 item 30: access within ex-officio powers), not the engine's.
    #[serde(default)]
    pub supervises: Vec<String>,
}

/// The contract of one gateway request: what goes in and what comes back.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connector {
    /// What it is called.
    pub title: Text,
    /// The state database answering, e.g. "GBD FL".
    pub system: String,
    /// The request's fields and their types.
    #[serde(default)]
    pub input: IndexMap<String, Field>,
    /// The answer's fields and their types (read as `response.<name>` in `output`). A field
    /// the answer may lack is marked `optional: true`; a workflow reads it only after
    /// `has(response.<name>)`.
    #[serde(default)]
    pub output: IndexMap<String, Output>,
}

impl Connector {
    /// The answer's fields the contract lets the far side leave out.
    pub fn optional_outputs(&self) -> impl Iterator<Item = &str> {
        self.output
            .iter()
            .filter(|(_, o)| o.is_optional())
            .map(|(name, _)| name.as_str())
    }
}

/// A field of an answer: a data field's type and rules, and whether every answer has it.
/// Write just the type (`has_payment: bool`) for a field that is always there.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    /// Only the type: the answer always has the field.
    Short(TypeName),
    /// The type and more.
    Full(OutputSpec),
}

/// The full form of an answer's field.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// The type.
    #[serde(rename = "type")]
    pub ty: TypeName,
    /// The label a clerk sees on a form.
    pub label: Option<Text>,
    /// For `enum`: the allowed values.
    #[serde(default)]
    pub values: Vec<String>,
    /// For text: a regular expression the value must match.
    pub pattern: Option<String>,
    /// For numbers: the smallest allowed value.
    pub min: Option<f64>,
    /// For numbers: the largest allowed value.
    pub max: Option<f64>,
    /// Personal data (names, addresses): masked in logs and shown only to those who may see it.
    /// IINs and phones are always personal.
    #[serde(default)]
    pub personal: bool,
    /// The answer may come without this field: a patronymic "if any" (seeds/004 appendix 4),
    /// a payment date when there was no payment. A workflow that reads it without
    /// `has(response.<name>)` first is refused by `qyzmet validate`, because the case would
    /// stop at that step for every citizen whose answer lacks it.
    #[serde(default)]
    pub optional: bool,
}

impl Output {
    /// The field as a data field: its type and rules, without the answer's optionality.
    pub fn field(&self) -> Field {
        match self {
            Output::Short(ty) => Field::Short(*ty),
            Output::Full(spec) => Field::Full(FieldSpec {
                ty: spec.ty,
                label: spec.label.clone(),
                values: spec.values.clone(),
                pattern: spec.pattern.clone(),
                min: spec.min,
                max: spec.max,
                personal: spec.personal,
                format: None,
            }),
        }
    }

    /// Whether the answer may lack it.
    pub fn is_optional(&self) -> bool {
        matches!(self, Output::Full(spec) if spec.optional)
    }
}

impl Catalog {
    /// Each role's `supervises` list that names a role the catalog does not have: the JSON
    /// pointer of the name, the name, and the catalog's roles to suggest from.
    pub fn unknown_supervised(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (role, entry) in &self.roles {
            for (i, name) in entry.supervises.iter().enumerate() {
                if !self.roles.contains_key(name) {
                    out.push((
                        format!("/roles/{}/supervises/{i}", crate::yaml::escape(role)),
                        name.as_str(),
                    ));
                }
            }
        }
        out
    }

    /// Who supervises whom, as the engine asks it.
    pub fn supervision(&self) -> Supervision {
        Supervision(
            self.roles
                .iter()
                .filter(|(_, e)| !e.supervises.is_empty())
                .map(|(r, e)| (r.clone(), e.supervises.clone()))
                .collect(),
        )
    }
}

/// Which roles' open tasks each role steers (the catalog's `supervises`), checked against the
/// catalog when it was loaded: what the department's page and the reassignment rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supervision(IndexMap<String, Vec<String>>);

impl Supervision {
    /// The roles supervised by any of `roles`, each once, in the catalog's order of the
    /// supervisors' lists.
    pub fn supervised_by<'a>(&self, roles: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for role in roles {
            for r in self.0.get(role).into_iter().flatten() {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// Whether any of `roles` supervises `role`.
    pub fn supervises<'a>(&self, roles: impl IntoIterator<Item = &'a str>, role: &str) -> bool {
        self.supervised_by(roles).iter().any(|r| r == role)
    }
}
