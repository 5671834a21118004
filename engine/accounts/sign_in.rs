//! The sign-in decision: a pure function of the account as stored, the record of the source
//! the attempt comes from, whether the password matched, and the time, so every rule of it is
//! tested without a database or a clock.
//!
//! **The check comes first, and always** ([`check`]): every attempt costs one Argon2
//! verification — against the account's hash, or a dummy's for a login that does not exist —
//! whatever the decision then makes of it. A blocked account or a locked source used to be
//! refused before the password was looked at, so those answers came back in a fraction of the
//! time and told an attacker which logins exist and which are locked (issue #19). The check is
//! also what takes the time, so the API runs it on a blocking thread before the writer's
//! transaction, which then only reads the counts, decides and writes.
//!
//! Two counts, kept apart (issue #19):
//!
//! - **The source's**, for the lock: [`LOCK_AFTER`] wrong passwords in a row *from one source*
//!   lock that source out of the account for [`LOCK_FOR`]. Whoever types a known login's
//!   wrong passwords from one address keeps out only that address; the account's owner signs
//!   in from theirs meanwhile.
//! - **The account's**, for the block: [`BLOCK_AFTER`] wrong passwords in a row from any
//!   sources are a security violation, and an ordinary account is blocked until a new access
//!   request (seeds/003 items 28-29). An account whose block would lock everybody out is
//!   [`Spared`]: the last active administrator, or a system's account that holds API
//!   tokens. The violation is journalled for an administrator instead, and the source locks
//!   still hold.
//!
//! **What a source is.** The client address of the TCP connection (`axum`'s `ConnectInfo`,
//! see [`crate::api::Source`]); an IPv6 client by its /64, the block a single host is usually
//! given. `qyzmet serve` is meant to sit behind a TLS proxy on the same host: then every
//! connection comes from the proxy, all clients are one source, and the lock is the account's
//! again (never a block of a spared account). `X-Forwarded-For` is not read: any client can
//! write it, and a forged one would give each guess a fresh source.

use std::net::IpAddr;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::password;
use super::{Account, BlockReason, Status};

/// A sign-in's password, checked against the account its login names before anything is
/// decided ([`check`]).
#[derive(Clone)]
pub struct Checked {
    /// The account the login names, as read for the check; `None`: no such login.
    pub account: Option<Account>,
    /// Whether the password is that account's (always `false` without one).
    pub matches: bool,
    /// The password, to check again should the account's hash have changed between the
    /// check and the decision (a password change in between). Never printed.
    password: String,
}

impl std::fmt::Debug for Checked {
    /// Without the password, nor the account's name and e-mail.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("account", &self.account.as_ref().map(|a| &a.login))
            .field("matches", &self.matches)
            .finish_non_exhaustive()
    }
}

impl Checked {
    /// Whether the password is `account`'s as it is now: the check made, when the hash is
    /// the one checked against; else a check again (rare: the password changed meanwhile).
    pub fn matches_now(&self, account: &Account) -> Result<bool, password::Error> {
        match &self.account {
            Some(read) if read.password_hash == account.password_hash => Ok(self.matches),
            _ => password::verify_password(&self.password, &account.password_hash),
        }
    }
}

/// Checks `password` against `account`'s hash, or against a dummy hash when the login names
/// no account, so that every attempt costs the same one Argon2 verification (the module's
/// doc). CPU-heavy: call it outside the writer's transaction.
pub fn check(account: Option<Account>, password: &str) -> Result<Checked, password::Error> {
    let matches = match &account {
        Some(a) => password::verify_password(password, &a.password_hash)?,
        None => {
            password::verify_password(password, dummy_hash())?;
            false
        }
    };
    Ok(Checked {
        account,
        matches,
        password: password.to_string(),
    })
}

/// A hash to verify against when the login does not exist, so that case takes as long as
/// any other.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        password::hash_password(&password::generate_temporary_password())
            .expect("hashing a random password works")
    })
}

/// Consecutive wrong passwords from one source after which that source is locked out of the
/// account for [`LOCK_FOR`]: a person who mistyped waits a quarter of an hour, a script
/// guessing gets five tries in fifteen minutes per address.
pub const LOCK_AFTER: u32 = 5;

/// How long a source's lock lasts.
pub const LOCK_FOR: Duration = Duration::minutes(15);

/// A source's wrong passwords are forgotten after this long without another: mistakes made
/// yesterday do not bring today's first one closer to a lock.
pub const FORGET_AFTER: Duration = Duration::hours(24);

/// Consecutive wrong passwords, from all sources, after which the account is blocked as a
/// security violation (seeds/003 item 28): two rounds of [`LOCK_AFTER`] are past mistyping.
/// Only a new access request unblocks it (seeds/003 item 29). A [`Spared`] account is not
/// blocked; the violation is journalled at this count and at every multiple of it.
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

/// The key a source's wrong passwords are counted under: the address for IPv4 (and an
/// IPv4 address written as IPv6), the /64 network for IPv6 (one host commonly holds a whole
/// /64 and could otherwise take a fresh address for each guess), and `""` when the address
/// is not known (a request that did not come over a socket).
pub fn source_key(source: Option<&str>) -> String {
    let Some(source) = source else {
        return String::new();
    };
    match source.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        Err(_) => source.to_string(),
    }
}

/// One source's record of wrong passwords on one account, as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Consecutive wrong passwords from the source.
    pub failures: u32,
    /// The source is refused until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// The last wrong password from the source; `None`: there was none.
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// Why an account is not blocked however many wrong passwords it gets: its block would do
/// more harm than the guessing. Anyone who knows the login could otherwise block it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Spared {
    /// The last active administrator: only an administrator unblocks an account, so
    /// blocking the last one would leave the installation without anyone who can.
    LastAdministrator,
    /// A system's account with API tokens (the portal, the gateway): its block stops its
    /// tokens, and with them the system.
    SystemAccount,
}

impl Spared {
    /// The stored name, for the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Spared::LastAdministrator => "last_administrator",
            Spared::SystemAccount => "system_account",
        }
    }
}

/// What the account's count of wrong passwords comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// The account is blocked as a security violation now.
    Block,
    /// The account would be blocked but is spared: the violation goes to the journal for an
    /// administrator to act on.
    Spared(Spared),
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
    /// The account is blocked, whatever the password. `newly` when it is this
    /// attempt that finds it unused for more than 30 days (the daily sweep had not run yet):
    /// the caller writes the block.
    Blocked {
        /// Why.
        reason: BlockReason,
        /// The block is to be written now.
        newly: bool,
    },
    /// Too many wrong passwords from this source lately; the password, right or wrong, does
    /// not count, nor does the attempt.
    Locked {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// The password is wrong: the new counts, and the lock or the violation they bring.
    WrongPassword {
        /// Consecutive failures of the account from all sources, this one included.
        failed_sign_ins: u32,
        /// Consecutive failures from this source, this one included.
        source_failures: u32,
        /// Set when this failure locks the source out.
        locked_until: Option<DateTime<Utc>>,
        /// Set when the account's count is a security violation.
        violation: Option<Violation>,
    },
}

/// Decides a sign-in attempt on `account` from a source with record `attempts`, whose
/// password did or did not match ([`check`]), at `now`; `spared` says whether the account
/// may be blocked for wrong passwords.
///
/// In order: a blocked account is refused whatever the password; an account unused for
/// more than 30 days is blocked now; a locked source is refused until its lock ends; then
/// the password counts. Every [`LOCK_AFTER`]th consecutive failure from the source
/// locks it for [`LOCK_FOR`]; the [`BLOCK_AFTER`]th consecutive failure of the account
/// blocks it, unless it is spared. The right password clears the counts.
pub fn decide(
    account: &Account,
    attempts: &Attempts,
    spared: Option<Spared>,
    password_matches: bool,
    now: DateTime<Utc>,
) -> Decision {
    if let Status::Blocked { reason, .. } = account.status {
        return Decision::Blocked {
            reason,
            newly: false,
        };
    }
    if account.last_used() < unused_since(now) {
        return Decision::Blocked {
            reason: BlockReason::Unused30Days,
            newly: true,
        };
    }
    if let Some(until) = attempts.locked_until
        && until > now
    {
        return Decision::Locked { until };
    }
    if password_matches {
        return Decision::SignedIn {
            must_change_password: account.must_change_password,
        };
    }
    let failed_sign_ins = account.failed_sign_ins.saturating_add(1);
    let earlier = match attempts.last_failure_at {
        Some(at) if now - at < FORGET_AFTER => attempts.failures,
        _ => 0,
    };
    let source_failures = earlier.saturating_add(1);
    let violation = match spared {
        _ if failed_sign_ins < BLOCK_AFTER => None,
        None => Some(Violation::Block),
        Some(s) => failed_sign_ins
            .is_multiple_of(BLOCK_AFTER)
            .then_some(Violation::Spared(s)),
    };
    let blocked = violation == Some(Violation::Block);
    let locked_until =
        (!blocked && source_failures.is_multiple_of(LOCK_AFTER)).then(|| now + LOCK_FOR);
    Decision::WrongPassword {
        failed_sign_ins,
        source_failures,
        locked_until,
        violation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn account(failed_sign_ins: u32) -> Account {
        let t = Utc.with_ymd_and_hms(2026, 4, 13, 4, 0, 0).unwrap();
        Account {
            id: 1,
            login: "a.saparova".into(),
            full_name: String::new(),
            email: String::new(),
            roles: vec![super::super::Role::Administrator],
            region: "kz".into(),
            password_hash: super::super::hash_password("Saryarka2026!").unwrap(),
            must_change_password: false,
            status: Status::Active,
            created_at: t,
            created_by: "system".into(),
            reactivated_at: None,
            last_sign_in_at: Some(t),
            failed_sign_ins,
            password_changed_at: t,
            basis: None,
        }
    }

    #[test]
    fn the_source_is_the_address_and_an_ipv6_client_its_64() {
        assert_eq!(source_key(Some("10.0.0.7")), "10.0.0.7");
        assert_eq!(source_key(Some("::ffff:10.0.0.7")), "10.0.0.7");
        assert_eq!(
            source_key(Some("2a02:1810:4d02:a100:8d2e:1:2:3")),
            "2a02:1810:4d02:a100::/64"
        );
        assert_eq!(
            source_key(Some("2a02:1810:4d02:a100::9")),
            source_key(Some("2a02:1810:4d02:a100:ffff::1"))
        );
        assert_eq!(source_key(None), "");
    }

    #[test]
    fn the_count_that_would_block_a_spared_account_is_journalled_not_applied() {
        let now = Utc.with_ymd_and_hms(2026, 4, 14, 4, 0, 0).unwrap();
        let fresh = Attempts::default();
        let decide = |failed, spared| decide(&account(failed), &fresh, spared, false, now);
        let violation = |d: Decision| match d {
            Decision::WrongPassword { violation, .. } => violation,
            other => panic!("{other:?}"),
        };
        assert_eq!(violation(decide(8, None)), None);
        assert_eq!(violation(decide(9, None)), Some(Violation::Block));
        let admin = Some(Spared::LastAdministrator);
        assert_eq!(
            violation(decide(9, admin)),
            Some(Violation::Spared(Spared::LastAdministrator))
        );
        assert_eq!(violation(decide(10, admin)), None);
        assert_eq!(
            violation(decide(19, admin)),
            Some(Violation::Spared(Spared::LastAdministrator))
        );
    }

    #[test]
    fn a_sources_old_mistakes_are_forgotten_after_a_day() {
        let now = Utc.with_ymd_and_hms(2026, 4, 14, 4, 0, 0).unwrap();
        let yesterday = Attempts {
            failures: 4,
            locked_until: None,
            last_failure_at: Some(now - FORGET_AFTER),
        };
        let recent = Attempts {
            last_failure_at: Some(now - FORGET_AFTER + Duration::seconds(1)),
            ..yesterday
        };
        let lock = |a: &Attempts| match decide(&account(0), a, None, false, now) {
            Decision::WrongPassword {
                source_failures,
                locked_until,
                ..
            } => (source_failures, locked_until),
            other => panic!("{other:?}"),
        };
        assert_eq!(lock(&yesterday), (1, None));
        assert_eq!(lock(&recent), (5, Some(now + LOCK_FOR)));
    }
}
