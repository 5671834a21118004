//! The check of `wave` steps across files: a wave opens cases of another service, which must
//! be one a case can be opened for from a list (issue #17, seeds/001 ENPF rules item 16).
//!
//! Why here and not in `validate`: a file is compiled alone, and the service a wave names is
//! another file — maybe not among those asked for (`qyzmet validate
//! workflows/enpf-reconciliation`), in which case its folder beside the caller's is read for
//! the check, its own problems left to its own validation.

use std::path::Path;

use super::raw::{self, Channel};
use super::validate::Problems;
use crate::msg;

/// The data a case opened from a list carries: the CSV's columns.
pub const FROM_LIST: [&str; 2] = ["applicant.iin", "applicant.phone"];

/// The problems of the `wave` steps of `workflow`, checked against `services` (every
/// version of every service known), by pointer.
/// A service whose folder is under `root` but did not parse is left to its own messages.
pub fn check(workflow: &raw::Workflow, services: &[&raw::Workflow], root: &Path) -> Problems {
    let mut p = Problems::default();
    for (name, step) in &workflow.steps {
        let Some(w) = &step.wave else { continue };
        let at = format!("/steps/{name}/wave/service");
        let versions: Vec<&&raw::Workflow> = services
            .iter()
            .filter(|s| s.service.as_deref() == Some(w.service.as_str()))
            .collect();
        if versions.is_empty() && root.join(&w.service).is_dir() {
            continue;
        }
        if versions.is_empty() {
            let names: Vec<&str> = services
                .iter()
                .filter_map(|s| s.service.as_deref())
                .collect();
            p.at_value(&at, msg!("wave.unknown_service", service = w.service))
                .suggest(&w.service, names);
            continue;
        }
        for v in versions {
            if !v.channels.contains(&Channel::Proactive) {
                p.at_value(&at, msg!("wave.not_proactive", service = w.service));
            }
            let needed: Vec<String> = v
                .application
                .iter()
                .filter_map(|f| match f {
                    raw::FormField::Name(n) => Some(n.clone()),
                    raw::FormField::Full(spec)
                        if spec.required
                            && spec.for_outcomes.is_empty()
                            && spec.required_when.is_none() =>
                    {
                        Some(spec.field.clone())
                    }
                    raw::FormField::Full(_) => None,
                })
                .filter(|n| !FROM_LIST.contains(&n.as_str()))
                .map(|n| format!("`{n}`"))
                .collect();
            if !needed.is_empty() {
                p.at_value(
                    &at,
                    msg!(
                        "wave.application_needs",
                        service = w.service,
                        fields = needed.join(", ")
                    ),
                );
            }
        }
    }
    p
}

/// The services the `wave` steps of `workflow` name.
pub fn named(workflow: &raw::Workflow) -> Vec<String> {
    workflow
        .steps
        .values()
        .filter_map(|step| step.wave.as_ref().map(|w| w.service.clone()))
        .collect()
}
