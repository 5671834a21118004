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
    /// The head of the Department of the Committee of regulation and control in the field of
    /// social protection: the first signature of the monthly-payments decisions (seeds/000
    /// appendices 2-5).
    DepartmentDirector,
    /// Writes and deploys the services' definitions.
    Methodologist,
    /// Manages accounts and incidents (the "IB administrator" of seeds/003 item 21).
    Administrator,
    /// The "digital government" gateway's account: its tokens post the asynchronous answers
    /// of the state systems (`POST /gateway/answers`), into the cases of its region. Nothing
    /// else: a person's role does not post a state system's answer, and this one opens no
    /// case and works no queue.
    GatewaySystem,
    /// An SMS aggregator's account: its tokens post delivery reports
    /// (`POST /notify/sms/status`), for the cases of its region, and nothing else.
    SmsProviderSystem,
    /// The eGov portal's account: its tokens file citizens' signed applications
    /// (`POST /portal/applications`), in the regions of its account, and nothing else.
    EgovPortalSystem,
}

impl Role {
    /// Every role, in the catalog's order of concern (the clerks first, the systems last).
    pub const ALL: [Role; 10] = [
        Role::FrontOfficeOperator,
        Role::ProviderSpecialist,
        Role::StateCorporationSpecialist,
        Role::HeadOfDepartment,
        Role::DepartmentDirector,
        Role::Methodologist,
        Role::Administrator,
        Role::GatewaySystem,
        Role::SmsProviderSystem,
        Role::EgovPortalSystem,
    ];

    /// The name used in workflows, the catalog and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FrontOfficeOperator => "front_office_operator",
            Role::ProviderSpecialist => "provider_specialist",
            Role::StateCorporationSpecialist => "state_corporation_specialist",
            Role::HeadOfDepartment => "head_of_department",
            Role::DepartmentDirector => "department_director",
            Role::Methodologist => "methodologist",
            Role::Administrator => "administrator",
            Role::GatewaySystem => "gateway_system",
            Role::SmsProviderSystem => "sms_provider_system",
            Role::EgovPortalSystem => "egov_portal_system",
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
    "`{0}` is not a role (one of: front_office_operator, provider_specialist, state_corporation_specialist, head_of_department, department_director, methodologist, administrator, gateway_system, sms_provider_system, egov_portal_system)"
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
