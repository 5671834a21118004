//! The journal of registration of users and issue of personal unique identifiers (logins):
//! the form of seeds/003 appendix 1 (item 25; the same in the new wording of seeds/000
//! appendix 6). Item 25 lets it be kept automatically; here it is derived, not kept: every
//! line is an audit record of an account's registration, reactivation, password reset,
//! block, change of rights or unlock ([`ACTIONS`]), read with the request it came from
//! (the registration number the record carries as its source, seeds/003 appendix 1
//! "Basis") and the administrator who answered it. A second copy of these facts could
//! disagree with the journal the auditors verify; a derived one cannot.
//!
//! The columns, in the form's order: №; the region and the request's number and date (the
//! form's "region / ref. number, date of the applicant's letter and incoming number, date
//! of the owner's letter": the request is both here); the information system (qyzmet);
//! the date of registration and issue of the login; the basis; the administrator's full
//! name; the note. The login the line is about goes beside the number: the form assumes a
//! paper journal where the letter names the user.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Account, BlockReason};
use crate::audit::{self, Action, Record};
use crate::store::accounts::RequestInJournal;

/// The audit actions that make a line.
pub const ACTIONS: [Action; 5] = [
    Action::AccountCreated,
    Action::AccountReactivated,
    Action::AccountBlocked,
    Action::AccountChanged,
    Action::AccountUnlocked,
];

/// The information system every line names (the form's third column).
pub const SYSTEM_NAME: &str = "qyzmet";

/// The service whose cases reset a password ([`crate::accounts::reset`]).
pub const PASSWORD_RESET: &str = "password-reset";

/// What a line records: the form's "Note".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// The account registered, its login and temporary password issued (items 19-20).
    Registered,
    /// A blocked account activated again with a new temporary password (item 29).
    Reactivated,
    /// A lost password replaced with a new temporary one (item 29).
    PasswordReset,
    /// Blocked (items 27-28), `reason` beside it.
    Blocked,
    /// Its roles or region changed (item 27).
    RightsChanged,
    /// A lock after wrong passwords lifted.
    Unlocked,
}

impl Note {
    /// The code, as in the API and the text tables (`journal_note_<code>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Note::Registered => "registered",
            Note::Reactivated => "reactivated",
            Note::PasswordReset => "password_reset",
            Note::Blocked => "blocked",
            Note::RightsChanged => "rights_changed",
            Note::Unlocked => "unlocked",
        }
    }
}

/// One line of the journal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// №, from 1 in the period shown.
    pub n: usize,
    /// The login the line is about.
    pub login: String,
    /// The account's region (as the change made it, where the record says).
    pub region: String,
    /// The registration number of the request it was done on; `null`: an administrator's
    /// own action, or the engine's (a block after 30 days unused).
    pub request: Option<String>,
    /// When that request was filed.
    pub request_at: Option<DateTime<Utc>>,
    /// The service of that request (`access-request`, `password-reset`).
    pub request_service: Option<String>,
    /// The information system: `qyzmet`.
    pub system: &'static str,
    /// When it was done (registration and issue of the login, or the change).
    pub at: DateTime<Utc>,
    /// The administrator's login: who answered the request, or who acted; `system` for the
    /// engine's own blocks.
    pub administrator: String,
    /// That administrator's full name (the form's column), when the login is an account's.
    pub administrator_name: Option<String>,
    /// What was done.
    pub note: Note,
    /// For a block: why.
    #[schema(value_type = Option<String>)]
    pub block_reason: Option<BlockReason>,
}

/// The lines of `records` (of [`ACTIONS`], oldest first) about the accounts `visible` (the
/// administrator's region's: a record about another account is left out), with what the
/// journal says of each request (`requests`, by number).
pub fn lines(
    records: &[Record],
    visible: &[Account],
    everyone: &[Account],
    requests: &HashMap<String, RequestInJournal>,
) -> Vec<Line> {
    let by_login: HashMap<&str, &Account> = visible.iter().map(|a| (a.login.as_str(), a)).collect();
    let names: HashMap<&str, &str> = everyone
        .iter()
        .map(|a| (a.login.as_str(), a.full_name.as_str()))
        .collect();
    let mut out = Vec::new();
    for r in records {
        let Some(login) = r.object.as_deref() else {
            continue;
        };
        let Some(account) = by_login.get(login) else {
            continue;
        };
        let request = r
            .source
            .as_deref()
            .filter(|s| requests.contains_key(*s))
            .map(str::to_string);
        let found = request.as_deref().and_then(|n| requests.get(n));
        let service = found.and_then(|f| f.service.clone());
        let note = match r.action {
            Action::AccountCreated => Note::Registered,
            Action::AccountReactivated if service.as_deref() == Some(PASSWORD_RESET) => {
                match r.details.get("was_blocked").and_then(|v| v.as_bool()) {
                    Some(true) => Note::Reactivated,
                    _ => Note::PasswordReset,
                }
            }
            Action::AccountReactivated => Note::Reactivated,
            Action::AccountBlocked => Note::Blocked,
            Action::AccountChanged => Note::RightsChanged,
            Action::AccountUnlocked => Note::Unlocked,
            _ => continue,
        };
        // The engine acts on a request: the administrator is who answered it (completed
        // its task), or who filed it (a password reset has no task).
        let administrator = if r.actor == audit::SYSTEM {
            found
                .and_then(|f| f.completed_by.clone().or_else(|| f.submitted_by.clone()))
                .unwrap_or_else(|| r.actor.clone())
        } else {
            r.actor.clone()
        };
        let region = r
            .details
            .get("region")
            .and_then(|v| v.as_str())
            .unwrap_or(&account.region)
            .to_string();
        out.push(Line {
            n: out.len() + 1,
            login: login.to_string(),
            region,
            request_at: found.and_then(|f| f.submitted_at),
            request_service: service,
            request,
            system: SYSTEM_NAME,
            at: r.at,
            administrator_name: names.get(administrator.as_str()).map(|n| n.to_string()),
            administrator,
            note,
            block_reason: r
                .details
                .get("reason")
                .and_then(|v| v.as_str())
                .and_then(BlockReason::parse),
        });
    }
    out
}
