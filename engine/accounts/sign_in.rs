//! The sign-in decision: a pure function of the account as stored, the password given and
//! the time, so every rule of it is tested without a database or a clock.

use chrono::{DateTime, Duration, Utc};

use super::password;
use super::{Account, BlockReason, Status};

/// Consecutive wrong passwords after which the account is locked for [`LOCK_FOR`]: a
/// person who mistyped waits a quarter of an hour, a script guessing gets five tries in
/// fifteen minutes.
pub const LOCK_AFTER: u32 = 5;

/// How long a lock lasts.
pub const LOCK_FOR: Duration = Duration::minutes(15);

/// Consecutive wrong passwords after which the account is blocked as a security violation
/// (seeds/003 item 28): two rounds of [`LOCK_AFTER`] are past mistyping. Only a new access
/// request unblocks it (seeds/003 item 29).
pub const BLOCK_AFTER: u32 = 10;

/// How long an account may go unused before it is blocked (seeds/003 item 28: "not
/// performed more than 30 (thirty) calendar days").
pub const UNUSED_DAYS: i64 = 30;

/// The cutoff of the unused-account rule: an account whose last use is *before* this
/// instant is blocked.
///
/// "More than 30 calendar days" is read as elapsed time: more than 30 × 24 hours since the
/// last sign-in (or since the account was created or reactivated, if nobody signed in
/// since). Kazakhstan has one offset all year (UTC+5, no summer time), so 30 calendar days
/// of local time are exactly 30 × 24 hours, and no day boundary has to be chosen. Used at
/// 09:00 on 1 March, an account is still usable at 09:00 on 31 March and blocked a second
/// later.
pub fn unused_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(UNUSED_DAYS)
}

/// What a sign-in attempt comes to, and what must be written because of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The password is right and the account usable. While `must_change_password`, the
    /// user must replace the temporary password before anything else (seeds/003 item 24).
    SignedIn {
        /// The temporary password is still in use.
        must_change_password: bool,
    },
    /// The account is blocked; the password was not checked. `newly` when it is this
    /// attempt that finds it unused for more than 30 days (the daily sweep had not run yet):
    /// the caller writes the block.
    Blocked {
        /// Why.
        reason: BlockReason,
        /// The block is to be written now.
        newly: bool,
    },
    /// Too many wrong passwords lately; the password was not checked and the attempt does
    /// not count.
    Locked {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// The password is wrong: the new count, and the lock or the block it brings.
    WrongPassword {
        /// Consecutive failures, this one included.
        failed_sign_ins: u32,
        /// Set when this failure locks the account.
        locked_until: Option<DateTime<Utc>>,
        /// This failure blocks the account as a security violation.
        blocked: bool,
    },
}

/// Decides a sign-in attempt on `account` with `password` at `now`.
///
/// In order: a blocked account is refused whatever the password; an account unused for
/// more than 30 days is blocked now; a locked one is refused until the lock ends; then the
/// password is checked. Every [`LOCK_AFTER`]th consecutive failure locks for [`LOCK_FOR`],
/// the [`BLOCK_AFTER`]th blocks. The right password clears the count.
pub fn decide(
    account: &Account,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Decision, password::Error> {
    if let Status::Blocked { reason, .. } = account.status {
        return Ok(Decision::Blocked {
            reason,
            newly: false,
        });
    }
    if account.last_used() < unused_since(now) {
        return Ok(Decision::Blocked {
            reason: BlockReason::Unused30Days,
            newly: true,
        });
    }
    if let Some(until) = account.locked_until
        && until > now
    {
        return Ok(Decision::Locked { until });
    }
    if password::verify_password(password, &account.password_hash)? {
        return Ok(Decision::SignedIn {
            must_change_password: account.must_change_password,
        });
    }
    let failed_sign_ins = account.failed_sign_ins.saturating_add(1);
    let blocked = failed_sign_ins >= BLOCK_AFTER;
    let locked_until =
        (!blocked && failed_sign_ins.is_multiple_of(LOCK_AFTER)).then(|| now + LOCK_FOR);
    Ok(Decision::WrongPassword {
        failed_sign_ins,
        locked_until,
        blocked,
    })
}
