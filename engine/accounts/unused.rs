//! The administrators' report of the accounts blocked as unused: what the
//! `qyzmet.unused_accounts` request of the nightly `block-unused-accounts` case does
//! (seeds/003 item 28; seeds/000 appendix 6 item 28, in force from 12.07.2026).
//!
//! Blocking is not this module's alone. The engine's hourly sweep ([`super::block_unused`])
//! blocks whether or not any case runs — the rule holds even with no version of the service
//! in force — and a sign-in after 30 days blocks too. So the report does not list "what this
//! job blocked" (which would miss every block the sweep made first, and would list nothing
//! on a repeated run): it blocks what is due at this moment, so that it is up to date, and
//! then *tells* every block no report has told yet, marking each with the report's
//! registration number in the same transaction. Whoever made a block, it is told exactly
//! once; a job of the same case run twice (a crash between its transaction and the record
//! of its answer) finds its own number on the accounts and answers with the same accounts.
//!
//! The answer lists people by name: personal data. It goes into the case and the
//! administrators' e-mail, never into a log (only the count is logged).

use super::{Account, Error, Status};
use crate::clock::ZONE;
use crate::store::{self, Conn};
use chrono::{DateTime, Utc};

/// Blocks every account unused for more than 30 calendar days at `now`, journalled with
/// `report` as the source, then marks every block not told yet as told by `report` and
/// returns the accounts `report` tells, by login. Call it inside the writer's transaction.
pub async fn block_and_report(
    conn: &mut Conn,
    report: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Account>, Error> {
    super::sweep(conn, Some(report), now).await?;
    Ok(store::accounts::report_unused_blocks(conn, report).await?)
}

/// The accounts for the administrators' e-mail, one line each:
/// `login — full name — last sign-in — blocked on`, the dates as `dd.mm.yyyy` in Almaty and
/// `—` for an account nobody ever signed in to. No word in any language: the template's
/// heading says what the columns are, in Kazakh or Russian.
pub fn lines(accounts: &[Account]) -> String {
    let day = |at: DateTime<Utc>| at.with_timezone(&ZONE).format("%d.%m.%Y").to_string();
    accounts
        .iter()
        .map(|a| {
            let last = a.last_sign_in_at.map(day).unwrap_or_else(|| "—".into());
            let blocked = match a.status {
                Status::Blocked { since, .. } => day(since),
                // Reactivated since the report first listed it (a repeated run): it was blocked.
                Status::Active => "—".into(),
            };
            format!("- {} — {} — {last} — {blocked}", a.login, a.full_name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
