//! The notifier's configuration: a typed struct, read from the engine's configuration file
//! (serde), with secrets named by environment variable and never written in the file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::email::SmtpConfig;
use super::sms::HttpSmsConfig;

/// Everything the notifier needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// The templates folder (`templates/`); in the engine's configuration file it is left
    /// out and `qyzmet serve --templates` gives it.
    #[serde(default)]
    pub templates: PathBuf,
    /// The data directory: `sent/` (the sent-record), `documents/` (rendered documents),
    /// `outbox/` (the file transports' messages); given by `qyzmet serve --data-dir`.
    #[serde(default)]
    pub data_dir: PathBuf,
    /// How e-mail leaves.
    pub email: EmailTransport,
    /// How SMS leave.
    pub sms: SmsTransport,
    /// Staff addresses, until accounts carry them.
    #[serde(default)]
    pub staff: StaffAddresses,
    /// Who is told of a change of the rules (seeds/004 item 20).
    #[serde(default)]
    pub rules_change: RulesChangeRecipients,
    /// The office whose name, address and phone messages and documents cite (`office.*`),
    /// where the case data do not hold them.
    #[serde(default)]
    pub office: Option<Office>,
    /// The offices of the accounts that complete tasks, by role and region: a document cites
    /// the office of the clerk who completed the case's last task (a provider's decision, the
    /// local executive body; a receipt, the State Corporation's branch); `office` where none
    /// matches.
    #[serde(default)]
    pub offices: Vec<RoleOffice>,
}

impl NotifyConfig {
    /// The embedded default: e-mail and SMS as files under `data_dir/outbox/`, which a person
    /// can read; no server needed.
    pub fn embedded(templates: PathBuf, data_dir: PathBuf) -> Self {
        NotifyConfig {
            templates,
            data_dir,
            email: EmailTransport::File {
                from: "qyzmet <noreply@qyzmet.localhost>".into(),
            },
            sms: SmsTransport::File,
            staff: StaffAddresses::default(),
            rules_change: RulesChangeRecipients::default(),
            office: None,
            offices: Vec::new(),
        }
    }

    /// The embedded default with every staff and change-of-rules recipient given a
    /// `*.qyzmet.localhost` address, so that on a fresh machine each escalation and notice
    /// lands in the outbox folder where a person can read it, instead of failing for want
    /// of an address.
    pub fn demo(templates: PathBuf, data_dir: PathBuf) -> Self {
        let local = |who: &str| vec![format!("{who}@qyzmet.localhost")];
        let mut config = Self::embedded(templates, data_dir);
        for role in [
            "front_office_operator",
            "provider_specialist",
            "state_corporation_specialist",
            "head_of_department",
            "department_director",
            "methodologist",
            "administrator",
        ] {
            config.staff.roles.insert(role.into(), local(role));
        }
        config.staff.assignee = local("assignee");
        config.office = Some(Office {
            name: Localized {
                kk: "«Азаматтарға арналған үкімет» мемлекеттік корпорациясы (оқу кеңсесі)".into(),
                ru: "Государственная корпорация «Правительство для граждан» (учебный офис)".into(),
            },
            address: Localized {
                kk: "Алматы қ., Абай даңғылы, 1 (оқу мекенжайы)".into(),
                ru: "г. Алматы, пр. Абая, 1 (учебный адрес)".into(),
            },
            phone: "1414".into(),
        });
        config.rules_change = RulesChangeRecipients {
            contact_centre: local("contact-centre"),
            provider: local("provider"),
            state_corporation: local("state-corporation"),
            egov_operator: local("egov-operator"),
        };
        config
    }
}

/// How e-mail leaves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "transport", deny_unknown_fields)]
pub enum EmailTransport {
    /// `.eml` files under `data_dir/outbox/email/`.
    File {
        /// The sender written into the files.
        from: String,
    },
    /// An SMTP server.
    Smtp(SmtpConfig),
}

/// How SMS leave.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "transport", deny_unknown_fields)]
pub enum SmsTransport {
    /// JSON files under `data_dir/outbox/sms/`.
    File,
    /// An HTTP aggregator.
    Http(Box<HttpSmsConfig>),
}

/// Staff e-mail addresses by role, until accounts carry them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAddresses {
    /// Role → addresses: who gets `role:<role>` messages (escalation notices, reports).
    #[serde(default)]
    pub roles: BTreeMap<String, Vec<String>>,
    /// Who gets `assignee` messages (reminders) while the engine does not know a clerk's
    /// address.
    #[serde(default)]
    pub assignee: Vec<String>,
}

/// The recipients of the change-of-rules notice: "within three working days … to the
/// Unified Contact Centre, the service provider, the State Corporation and the operator of
/// the e-government infrastructure" (seeds/004 item 20).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesChangeRecipients {
    /// The Unified Contact Centre (1414).
    #[serde(default)]
    pub contact_centre: Vec<String>,
    /// The service provider.
    #[serde(default)]
    pub provider: Vec<String>,
    /// The State Corporation "Government for Citizens".
    #[serde(default)]
    pub state_corporation: Vec<String>,
    /// The operator of the e-government infrastructure.
    #[serde(default)]
    pub egov_operator: Vec<String>,
}

impl RulesChangeRecipients {
    /// Every address once, in the order above.
    pub fn all(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in self
            .contact_centre
            .iter()
            .chain(&self.provider)
            .chain(&self.state_corporation)
            .chain(&self.egov_operator)
        {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
        out
    }
}

/// A text in both languages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// The office of the accounts of some roles, in one region or in all.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleOffice {
    /// The roles whose accounts work there (`provider_specialist`, …); empty: any.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The accounts' region (`almaty`); none: every region.
    #[serde(default)]
    pub region: Option<String>,
    /// Its name.
    pub name: Localized,
    /// Its address.
    pub address: Localized,
    /// Its phone.
    pub phone: String,
}

impl RoleOffice {
    /// Whether a clerk of `role` (the task's, else the account's roles) in `region` works here.
    pub fn serves(&self, roles: &[String], region: Option<&str>) -> bool {
        (self.roles.is_empty() || roles.iter().any(|r| self.roles.contains(r)))
            && self
                .region
                .as_deref()
                .is_none_or(|want| region == Some(want))
    }

    /// The office, as documents cite it.
    pub fn office(&self) -> Office {
        Office {
            name: self.name.clone(),
            address: self.address.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// The first of `offices` that serves a clerk of `roles` in `region`, else `default`.
pub fn office_for(
    offices: &[RoleOffice],
    default: Option<&Office>,
    roles: &[String],
    region: Option<&str>,
) -> Option<Office> {
    offices
        .iter()
        .find(|o| o.serves(roles, region))
        .map(RoleOffice::office)
        .or_else(|| default.cloned())
}

/// The office messages and documents cite.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    /// Its name.
    pub name: Localized,
    /// Its address.
    pub address: Localized,
    /// Its phone.
    pub phone: String,
}

#[cfg(test)]
mod office_tests {
    use super::*;

    fn office(name: &str, roles: &[&str], region: Option<&str>) -> RoleOffice {
        RoleOffice {
            roles: roles.iter().map(|r| r.to_string()).collect(),
            region: region.map(str::to_string),
            name: Localized {
                kk: name.into(),
                ru: name.into(),
            },
            address: Localized {
                kk: String::new(),
                ru: String::new(),
            },
            phone: String::new(),
        }
    }

    /// A provider's decision cites the provider's office in the clerk's region, a receipt the
    /// State Corporation's branch: the office follows the clerk who completed the task.
    #[test]
    fn the_office_is_the_clerks_by_role_and_region() {
        let offices = [
            office(
                "Управление занятости города Алматы",
                &["provider_specialist", "head_of_department"],
                Some("almaty"),
            ),
            office("Управление занятости", &["provider_specialist"], None),
        ];
        let default = office("Филиал по городу Алматы", &[], None).office();
        let name = |roles: &[&str], region: Option<&str>| {
            let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            office_for(&offices, Some(&default), &roles, region).map(|o| o.name.ru)
        };
        assert_eq!(
            name(&["head_of_department"], Some("almaty")).as_deref(),
            Some("Управление занятости города Алматы")
        );
        assert_eq!(
            name(&["provider_specialist"], Some("astana")).as_deref(),
            Some("Управление занятости")
        );
        assert_eq!(
            name(&["front_office_operator"], Some("almaty")).as_deref(),
            Some("Филиал по городу Алматы")
        );
        assert_eq!(name(&[], None).as_deref(), Some("Филиал по городу Алматы"));
        assert!(office_for(&offices, None, &[], None).is_none());
    }
}
