//! The catalog: the names workflows may use that are not theirs to define.
//!
//! Roles come from the access rules (seeds/003, seeds/000 appendix 6), stage codes from
//! the monitoring system, connectors from the gateway's contracts. Workflows refer to
//! them by name; the validator checks every name against `workflows/catalog.yaml`, so a
//! misspelt role is caught when the file is checked, not when a task lands in no queue.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::raw::{Field, Text};

/// `workflows/catalog.yaml`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Staff roles: the queues tasks go to and the people escalations reach.
    #[serde(default)]
    pub roles: IndexMap<String, Entry>,
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
    /// The answer's fields and their types (read as `response.<name>` in `output`).
    #[serde(default)]
    pub output: IndexMap<String, Field>,
}
