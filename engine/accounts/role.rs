//! Staff roles: what an account may do, and which task queues it sees.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A staff role. The names are the `role:` of the workflows' task steps and the `roles:` of
/// `workflows/catalog.yaml`, so an account's roles select the queues a task lands in; access
/// is given "within ex-officio full powers" only (seeds/003 item 30), so a role is the
/// smallest grant there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A State Corporation front-office worker: accepts documents, hands out results.
    FrontOfficeOperator,
    /// The service provider's specialist: checks data, drafts decisions.
    ProviderSpecialist,
    /// A State Corporation specialist for pensions and benefits (seeds/001 items 15-16).
    StateCorporationSpecialist,
    /// The provider's head of department: signs decisions.
    HeadOfDepartment,
    /// Writes and deploys the services' definitions.
    Methodologist,
    /// Manages accounts and incidents (the "IB administrator" of seeds/003 item 21).
    Administrator,
}

impl Role {
    /// Every role, in the catalog's order of concern (the clerks first).
    pub const ALL: [Role; 6] = [
        Role::FrontOfficeOperator,
        Role::ProviderSpecialist,
        Role::StateCorporationSpecialist,
        Role::HeadOfDepartment,
        Role::Methodologist,
        Role::Administrator,
    ];

    /// The name used in workflows, the catalog and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FrontOfficeOperator => "front_office_operator",
            Role::ProviderSpecialist => "provider_specialist",
            Role::StateCorporationSpecialist => "state_corporation_specialist",
            Role::HeadOfDepartment => "head_of_department",
            Role::Methodologist => "methodologist",
            Role::Administrator => "administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a role (one of: front_office_operator, provider_specialist, state_corporation_specialist, head_of_department, methodologist, administrator)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}
