//! Staff accounts: the access rules of the ministry's digital systems (seeds/003 items
//! 18-30), as data and decisions.
//!
//! - An account is created on an access request, with a login and a temporary password
//!   (items 19-20, 22): [`register`]. On a fresh installation the first administrator is
//!   created by [`first_administrator`], since nobody is there to register them.
//! - The temporary password is replaced at the first sign-in (item 24): the account carries
//!   `must_change_password` until [`change_password`].
//! - A login is one person's (item 26): logins are unique regardless of case, and every
//!   sign-in and action is journalled under it ([`crate::audit`]).
//! - An account not used for more than 30 calendar days, or with a security violation, is
//!   blocked (item 28): [`block_unused`] (the hourly sweep, the nightly report of
//!   [`unused`], and [`sign_in()`] itself),
//!   [`sign_in::BLOCK_AFTER`] wrong passwords in a row, or [`block`] by an administrator.
//!   Wrong passwords never block the last active administrator or a system's account with
//!   API tokens ([`sign_in::Spared`]): anyone who knows the login could otherwise lock the
//!   installation or cut a system off. Their violation is journalled for an administrator
//!   (`security_violation`), and the lock of the guessing source holds. Nor does an
//!   administrator block the last active administrator ([`Error::LastAdministrator`]).
//! - Only a new request unblocks it (item 29): [`reactivate`], which issues a new temporary
//!   password. Nothing else sets an account back to active.
//!
//! The decisions are pure ([`sign_in::decide`], [`password::check`], [`unused_since`]); the
//! async functions here apply them through the store and journal each in the same
//! transaction. They take the writer's connection: call them inside its transaction.
//!
//! **Argon2 runs before that transaction, never inside it.** A hash or a verification takes
//! tens of milliseconds of CPU and 19 MiB, and the writer is the one connection every
//! commit of the process waits for: one password change inside it would stall every case.
//! So what needs Argon2 is made first, on a blocking thread ([`argon2`]): a new temporary
//! password with its hash ([`TemporaryPassword::new`]) for [`register`] and [`reactivate`],
//! the check of a sign-in ([`sign_in::check`]) and of a password change
//! ([`check_password_change`]). The functions run in the transaction take what was made and
//! only check that the account's hash is still the one checked against.

pub mod journal;
pub mod listing;
pub mod password;
pub mod performer;
pub mod request;
pub mod role;
pub mod sign_in;
pub mod token;
pub mod unused;

use std::fmt;

use crate::audit::{self, Action, Entry};
use crate::store::{self, Conn};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use password::{Rule, generate_temporary_password, hash_password, verify_password};
pub use role::Role;
pub use sign_in::{Decision, Spared, Violation, unused_since};

/// The region of an account that works for the whole republic (the ministry's
/// administrators and methodologists): it sees every region's queues.
pub const REPUBLIC: &str = "kz";

/// The first administrator's login on a fresh installation.
pub const FIRST_ADMINISTRATOR: &str = "admin";

/// How long a session lasts at most, however busy: a working day and then some.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// How long a session lasts without a request: a desk left unattended is signed out.
pub const SESSION_IDLE: Duration = Duration::minutes(30);

/// Why an account operation failed. The messages are for the administrator or the user
/// who asked, in English.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The login is taken (in any case): a login is one person's (seeds/003 item 26).
    #[error("the login `{0}` is taken")]
    LoginTaken(String),
    /// Not a login.
    #[error(
        "`{0}` is not a login: 3 to 64 characters, latin letters, digits, `.`, `_` or `-`, starting with a letter"
    )]
    InvalidLogin(String),
    /// Not a region.
    #[error(
        "`{0}` is not a region: 2 to 32 characters, latin letters, digits, `_` or `-` (`kz` for the whole republic)"
    )]
    InvalidRegion(String),
    /// An account without a role could do nothing.
    #[error("an account needs at least one role")]
    NoRole,
    /// No such account.
    #[error("there is no account `{0}`")]
    NotFound(String),
    /// Blocking this account, or taking its role away, would leave no active administrator,
    /// and only an administrator unblocks accounts.
    #[error(
        "`{0}` is the last active administrator: make another administrator first, or nobody could unblock an account again"
    )]
    LastAdministrator(String),
    /// Nothing to unlock: no wrong password is counted against the account, and no source
    /// is locked out of it.
    #[error("`{0}` is not locked: no wrong password is counted against it")]
    NothingToUnlock(String),
    /// The account is blocked: unlocking does not activate it; unblocking does (a new
    /// temporary password, seeds/003 item 29).
    #[error("`{0}` is blocked: unblock it instead, which sends a new temporary password")]
    Blocked(String),
    /// The account is not blocked: there is nothing to unblock (a lost password is reset).
    #[error("`{0}` is not blocked: reset its password instead")]
    NotBlocked(String),
    /// The account has no corporate e-mail to send a temporary password to (seeds/003 item 22).
    #[error("`{0}` has no e-mail to send a temporary password to")]
    NoEmail(String),
    /// The account has no API token with this id.
    #[error("`{0}` has no API token {1}")]
    NoSuchToken(String, i64),
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The new password breaks the policy.
    #[error("{}", password::describe(.0))]
    Policy(Vec<Rule>),
    /// Hashing failed.
    #[error(transparent)]
    Password(#[from] password::Error),
    /// The database failed.
    #[error(transparent)]
    Store(store::accounts::Error),
    /// The journal failed.
    #[error(transparent)]
    Audit(#[from] store::audit::Error),
}

impl From<store::accounts::Error> for Error {
    fn from(e: store::accounts::Error) -> Self {
        match e {
            store::accounts::Error::LoginTaken(login) => Error::LoginTaken(login),
            other => Error::Store(other),
        }
    }
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        Error::Store(store::accounts::Error::Store(e))
    }
}

/// How many Argon2 computations run at once, whatever they are for (a sign-in's check, a
/// password change, a temporary password). Each holds 19 MiB for tens of milliseconds on a
/// blocking thread: without a bound, a flood of sign-ins would take as many threads and as
/// much memory as it likes. More at once would not run faster on a small server; the others
/// wait their turn, whatever their reason, so the wait tells nothing either.
static ARGON2: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Runs `work` — Argon2 hashing or verification — on a blocking thread, at most four at a
/// time ([`ARGON2`]). Call it before the writer's transaction, not inside it (the module's
/// doc).
pub async fn argon2<T, F>(work: F) -> Result<T, Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let failed = |e: &dyn fmt::Display| {
        Error::Password(password::Error::Hash(format!("the hashing thread: {e}")))
    };
    let _turn = ARGON2.acquire().await.map_err(|e| failed(&e))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| failed(&e))
}

/// A temporary password and its Argon2id hash, made before the writer's transaction
/// ([`TemporaryPassword::new`]) and handed into it: what [`register`], [`reactivate`] and
/// [`request::issue_temporary_password`] set. The password is shown once (or, for an access
/// request's grant, never: the answer's e-mail sets the one the user receives); only the
/// hash is stored.
#[derive(Clone)]
pub struct TemporaryPassword {
    password: String,
    hash: String,
}

impl TemporaryPassword {
    /// A fresh temporary password ([`generate_temporary_password`]), hashed on a blocking
    /// thread ([`argon2`]).
    pub async fn new() -> Result<TemporaryPassword, Error> {
        let password = generate_temporary_password();
        let plain = password.clone();
        let hash = argon2(move || hash_password(&plain)).await??;
        Ok(TemporaryPassword { password, hash })
    }

    /// The password, to tell the user once.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Its Argon2id PHC string, to store.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

impl fmt::Debug for TemporaryPassword {
    /// Without the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryPassword").finish_non_exhaustive()
    }
}

/// Why an account is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockReason {
    /// Not used for more than 30 calendar days (seeds/003 item 28).
    #[serde(rename = "unused_30_days")]
    Unused30Days,
    /// A security violation: too many wrong passwords, or found by an administrator
    /// (seeds/003 item 28).
    #[serde(rename = "security_violation")]
    SecurityViolation,
    /// An administrator blocked it (a dismissal, a transfer: seeds/003 item 27).
    #[serde(rename = "administrator")]
    Administrator,
}

impl BlockReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::Unused30Days => "unused_30_days",
            BlockReason::SecurityViolation => "security_violation",
            BlockReason::Administrator => "administrator",
        }
    }

    /// The stored name back; `None` for anything else.
    pub fn parse(s: &str) -> Option<BlockReason> {
        [
            BlockReason::Unused30Days,
            BlockReason::SecurityViolation,
            BlockReason::Administrator,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockReason::Unused30Days => "not used for more than 30 calendar days",
            BlockReason::SecurityViolation => "a security violation",
            BlockReason::Administrator => "blocked by an administrator",
        })
    }
}

/// Whether an account can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    /// It can.
    Active,
    /// It cannot, until a new access request reactivates it (seeds/003 item 29).
    Blocked {
        /// Why.
        reason: BlockReason,
        /// Since when.
        since: DateTime<Utc>,
    },
}

/// An account as stored.
#[derive(Clone, PartialEq, Serialize)]
pub struct Account {
    /// The row's id.
    pub id: i64,
    /// The personal unique identifier (seeds/003 item 20), lowercase.
    pub login: String,
    /// The person's full name, for the administrator's list. Personal data: never logged.
    pub full_name: String,
    /// The corporate e-mail the answer to the request went to (seeds/003 item 22).
    /// Personal data: never logged.
    pub email: String,
    /// What the person does; at least one.
    pub roles: Vec<Role>,
    /// Where: the queues of this region, or of all regions for [`REPUBLIC`].
    pub region: String,
    /// The Argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// The temporary password is still in use (seeds/003 item 24).
    pub must_change_password: bool,
    /// Active or blocked.
    pub status: Status,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Who created it: an administrator's login, or `system`.
    pub created_by: String,
    /// When a new request last reactivated it.
    pub reactivated_at: Option<DateTime<Utc>>,
    /// The last successful sign-in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Wrong passwords since the last successful sign-in, from all sources. (A source's
    /// lock is its own: `store::accounts::attempts`.)
    pub failed_sign_ins: u32,
    /// When the password was last set (by the user, or a temporary one).
    pub password_changed_at: DateTime<Utc>,
    /// The registration number of the access request its last change came from
    /// (seeds/003 appendix 1, "Basis"); `None` when an administrator made it by hand.
    pub basis: Option<String>,
}

impl fmt::Debug for Account {
    /// Without the name, the e-mail and the hash: an account may end up in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("roles", &self.roles)
            .field("region", &self.region)
            .field("must_change_password", &self.must_change_password)
            .field("status", &self.status)
            .field("last_sign_in_at", &self.last_sign_in_at)
            .field("failed_sign_ins", &self.failed_sign_ins)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// When the account was last used, for the 30-day rule: the last sign-in, or its
    /// creation or reactivation if that is later (a reactivated account gets 30 days to be
    /// used, as a new one does).
    pub fn last_used(&self) -> DateTime<Utc> {
        [
            Some(self.created_at),
            self.reactivated_at,
            self.last_sign_in_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.created_at)
    }

    /// Whether the account has `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the account works in `region` (its own, or all of them for [`REPUBLIC`]).
    pub fn covers_region(&self, region: &str) -> bool {
        self.region == REPUBLIC || self.region == region
    }

    /// Whether it can sign in at all.
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// An access request granted: the account to create (seeds/003 item 19).
#[derive(Clone, PartialEq)]
pub struct NewAccount {
    /// The login asked for.
    pub login: String,
    /// The person's full name.
    pub full_name: String,
    /// Their corporate e-mail.
    pub email: String,
    /// Their roles.
    pub roles: Vec<Role>,
    /// Their region.
    pub region: String,
    /// The administrator who granted the request.
    pub created_by: String,
}

impl fmt::Debug for NewAccount {
    /// Without the name and the e-mail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("login", &self.login)
            .field("roles", &self.roles)
            .field("region", &self.region)
            .field("created_by", &self.created_by)
            .finish_non_exhaustive()
    }
}

/// A signed-in browser, as stored (the token itself is not: `id` is its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The SHA-256 of the token, in hex.
    pub id: String,
    /// Whose.
    pub account_id: i64,
    /// The token forms must echo, so another site cannot post in the user's name.
    pub csrf_token: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it ends, however busy ([`SESSION_LIFETIME`]).
    pub expires_at: DateTime<Utc>,
    /// The last request made with it.
    pub last_seen_at: DateTime<Utc>,
    /// Where it was signed in from.
    pub ip: Option<String>,
}

impl Session {
    /// Whether the session still signs its holder in at `now`: not past its end, and not
    /// idle for more than [`SESSION_IDLE`]. (The account's own status is checked as well:
    /// blocking an account deletes its sessions.)
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at && now - self.last_seen_at <= SESSION_IDLE
    }
}

/// A system's API token, as stored (the token itself is not: `hash` is its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// What it is listed and revoked by: the token itself is shown once and never again.
    pub id: i64,
    /// The SHA-256 of the token, in hex.
    pub hash: String,
    /// What it is for (`egov-portal`, `contact-centre`).
    pub name: String,
    /// The account of the system it acts as: its roles and region apply, its actions are
    /// journalled under its login.
    pub account_id: i64,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was last used, to the hour (a write per request would queue every call
    /// behind the one writer); `None`: never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked: it opens nothing from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A login as stored: trimmed and lowercase, 3-64 characters of `a-z 0-9 . _ -`, starting
/// with a letter. Logins are identifiers that end up in the journal and in URLs; the shape
/// keeps them readable and keeps lookalike logins apart.
pub fn normalize_login(login: &str) -> Result<String, Error> {
    let l = login.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&l.len())
        && l.starts_with(|c: char| c.is_ascii_lowercase())
        && l.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(l)
    } else {
        Err(Error::InvalidLogin(login.to_string()))
    }
}

/// A region as stored: lowercase, 2-32 characters of `a-z 0-9 _ -`.
pub fn normalize_region(region: &str) -> Result<String, Error> {
    let r = region.trim().to_ascii_lowercase();
    let ok = (2..=32).contains(&r.len())
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if ok {
        Ok(r)
    } else {
        Err(Error::InvalidRegion(region.to_string()))
    }
}

/// Creates the account an access request asks for, with a temporary password that must be
/// changed at first sign-in (seeds/003 items 19, 20, 24), and journals it. Returns the
/// account and the temporary password, which goes to the corporate e-mail of the request
/// (item 22) and is not kept anywhere. `temporary` is made before the writer's transaction
/// ([`TemporaryPassword::new`]): hashing it is not the writer's work.
pub async fn register(
    conn: &mut Conn,
    new: &NewAccount,
    temporary: &TemporaryPassword,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Account, String), Error> {
    let account = create(conn, new, temporary.hash(), source, now).await?;
    Ok((account, temporary.password().to_string()))
}

/// Creates an account with the password whose Argon2id hash is `password_hash`, to be
/// changed at first sign-in, and journals it.
async fn create(
    conn: &mut Conn,
    new: &NewAccount,
    password_hash: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Account, Error> {
    let mut roles = new.roles.clone();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(Error::NoRole);
    }
    let new = NewAccount {
        login: normalize_login(&new.login)?,
        region: normalize_region(&new.region)?,
        roles,
        ..new.clone()
    };
    let account = store::accounts::create_account(conn, &new, password_hash, true, now).await?;
    store::audit::append(
        conn,
        &Entry::new(&new.created_by, Action::AccountCreated)
            .source(source)
            .object(&account.login)
            .details(json!({ "roles": account.roles, "region": account.region })),
        now,
    )
    .await?;
    Ok(account)
}

/// On a fresh installation (no account at all), creates the first administrator: login
/// `admin`, role administrator, region `kz`, with `password` (from the operator's
/// environment, read by the caller) or a generated temporary one, to be changed at first
/// sign-in all the same. Returns the password for the caller to print once; `None` when any
/// account exists (so it is safe to call at every start). The one password hashed inside the
/// writer's transaction: once in an installation's life, at its first start, and only after
/// the count found no account.
pub async fn first_administrator(
    conn: &mut Conn,
    password: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    if store::accounts::count_accounts(&mut *conn).await? > 0 {
        return Ok(None);
    }
    let password = match password {
        Some(p) => {
            let broken = password::check(p, FIRST_ADMINISTRATOR);
            if !broken.is_empty() {
                return Err(Error::Policy(broken));
            }
            p.to_string()
        }
        None => generate_temporary_password(),
    };
    let new = NewAccount {
        login: FIRST_ADMINISTRATOR.into(),
        full_name: "Administrator".into(),
        email: String::new(),
        roles: vec![Role::Administrator],
        region: REPUBLIC.into(),
        created_by: audit::SYSTEM.into(),
    };
    let hash = hash_password(&password)?;
    match create(conn, &new, &hash, None, now).await {
        Ok(_) => Ok(Some(password)),
        // Another process sharing the database made it between the count and the insert
        // (several `serve` starting at once on a new database): it is there, once.
        Err(Error::LoginTaken(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a sign-in attempt gave.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: a new session. While `must_change_password`, the session may only change
    /// the password (seeds/003 item 24).
    Success {
        /// The account, as it is after this sign-in.
        account: Box<Account>,
        /// The session's token, for the cookie; only its hash is stored.
        token: String,
        /// The session.
        session: Session,
        /// The temporary password is still in use.
        must_change_password: bool,
    },
    /// Refused, for a reason the journal keeps (`sign_in_failed`, `reason`: `unknown_login`,
    /// `wrong_password`, `locked`, `blocked`) and the person signing in is not told: a wrong
    /// password, an unknown login, a source locked out and a blocked account get the same
    /// answer, so that it does not say which logins exist, nor which are locked or blocked
    /// (issue #19). What the one answer says is the pages' and the API's to word.
    Refused,
}

/// The account a sign-in's `login` names, if any (a login that is not one names none): what
/// [`sign_in::check`] checks the password against.
pub async fn sign_in_account(conn: &mut Conn, login: &str) -> Result<Option<Account>, Error> {
    match normalize_login(login) {
        Ok(l) => Ok(store::accounts::account_by_login(conn, &l).await?),
        Err(_) => Ok(None),
    }
}

/// A sign-in attempt from `source` (the client's address) on one connection: the account
/// read, the password checked ([`sign_in::check`]) and the attempt applied
/// ([`sign_in_checked`]). The API does the same in three steps, the check on a blocking thread
/// outside the writer's transaction.
pub async fn sign_in(
    conn: &mut Conn,
    login: &str,
    password: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SignIn, Error> {
    let account = sign_in_account(&mut *conn, login).await?;
    let checked = sign_in::check(account, password)?;
    sign_in_checked(conn, &checked, source, now).await
}

/// Applies a sign-in attempt whose password is `checked`: decides it ([`sign_in::decide`]),
/// writes what it changes (the account's and the source's failure counts, the source's lock,
/// the block, the last sign-in, a new session) and journals it with its true reason.
pub async fn sign_in_checked(
    conn: &mut Conn,
    checked: &sign_in::Checked,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SignIn, Error> {
    // The account again, inside the transaction: the counts and the status are as of now.
    let found = match &checked.account {
        Some(read) => store::accounts::account_by_id(&mut *conn, read.id).await?,
        None => None,
    };
    let Some(account) = found else {
        journal(
            conn,
            Entry::new(audit::ANONYMOUS, Action::SignInFailed)
                .source(source)
                .details(json!({ "reason": "unknown_login" })),
            now,
        )
        .await?;
        return Ok(SignIn::Refused);
    };
    let failed = |details: serde_json::Value| {
        Entry::new(&account.login, Action::SignInFailed)
            .source(source)
            .object(&account.login)
            .details(details)
    };
    let key = sign_in::source_key(source);
    let attempts = store::accounts::attempts(&mut *conn, account.id, &key).await?;
    let spared = spared(conn, &account).await?;
    let matches = checked.matches_now(&account)?;
    match sign_in::decide(&account, &attempts, spared, matches, now) {
        Decision::SignedIn {
            must_change_password,
        } => {
            store::accounts::record_sign_in_success(conn, account.id, &key, now).await?;
            let (token, session) = store::accounts::create_session(
                conn,
                account.id,
                source,
                now,
                now + SESSION_LIFETIME,
            )
            .await?;
            journal(
                conn,
                Entry::new(&account.login, Action::SignIn)
                    .source(source)
                    .object(&account.login)
                    .details(json!({ "must_change_password": must_change_password })),
                now,
            )
            .await?;
            let account = Box::new(Account {
                last_sign_in_at: Some(now),
                failed_sign_ins: 0,
                ..account
            });
            Ok(SignIn::Success {
                account,
                token,
                session,
                must_change_password,
            })
        }
        Decision::Blocked { reason, newly } => {
            if newly {
                store::accounts::block(conn, &account.login, reason, now).await?;
                journal_block(conn, &account.login, reason, audit::SYSTEM, None, now).await?;
            }
            let details = json!({ "reason": "blocked", "blocked": reason });
            journal(conn, failed(details), now).await?;
            Ok(SignIn::Refused)
        }
        Decision::Locked { until } => {
            let details = json!({ "reason": "locked", "locked_until": until });
            journal(conn, failed(details), now).await?;
            Ok(SignIn::Refused)
        }
        Decision::WrongPassword {
            failed_sign_ins,
            source_failures,
            locked_until,
            violation,
        } => {
            store::accounts::record_sign_in_failure(
                conn,
                account.id,
                failed_sign_ins,
                &key,
                source_failures,
                locked_until,
                now,
            )
            .await?;
            let mut details = json!({
                "reason": "wrong_password",
                "failed_sign_ins": failed_sign_ins,
                "source_failures": source_failures,
            });
            if let Some(until) = locked_until {
                details["locked_until"] = json!(until);
            }
            journal(conn, failed(details), now).await?;
            match violation {
                Some(Violation::Block) => {
                    let reason = BlockReason::SecurityViolation;
                    store::accounts::block(conn, &account.login, reason, now).await?;
                    journal_block(conn, &account.login, reason, audit::SYSTEM, None, now).await?;
                }
                Some(Violation::Spared(why)) => {
                    // The account stays active: an administrator must look. Who guessed and
                    // from where is in the journal's `sign_in_failed` records.
                    tracing::warn!(
                        login = %account.login,
                        failed_sign_ins,
                        spared = why.as_str(),
                        "wrong passwords past the block threshold on an account that is not blocked; see the audit journal"
                    );
                    journal(
                        conn,
                        Entry::new(audit::SYSTEM, Action::SecurityViolation)
                            .source(source)
                            .object(&account.login)
                            .details(json!({
                                "reason": "wrong_passwords",
                                "failed_sign_ins": failed_sign_ins,
                                "not_blocked": why,
                            })),
                        now,
                    )
                    .await?;
                }
                None => {}
            }
            Ok(SignIn::Refused)
        }
    }
}

/// Whether wrong passwords may block `account`: not when it is the last active
/// administrator, nor when it is a system's with API tokens ([`Spared`]).
async fn spared(conn: &mut Conn, account: &Account) -> Result<Option<Spared>, Error> {
    if is_last_administrator(conn, account).await? {
        return Ok(Some(Spared::LastAdministrator));
    }
    if store::accounts::holds_api_token(&mut *conn, account.id).await? {
        return Ok(Some(Spared::SystemAccount));
    }
    Ok(None)
}

/// A password change checked before the writer's transaction ([`check_password_change`]):
/// the current password verified against the account's hash as read then, the new one
/// found to meet the policy and hashed. [`change_password`] applies it.
#[derive(Clone)]
pub struct PasswordChange {
    account_id: i64,
    /// The hash the current password was verified against.
    verified: String,
    /// The new password's Argon2id PHC string.
    hash: String,
}

impl fmt::Debug for PasswordChange {
    /// Without the hashes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordChange")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Checks a change of `account`'s password from `current` to `new`, on a blocking thread
/// ([`argon2`]): the current password must be the account's ([`Error::WrongPassword`]), the
/// new one must meet the policy and differ from the current one (at first sign-in, the
/// temporary one: seeds/003 item 24) ([`Error::Policy`]); then it is hashed. Two Argon2
/// computations: call it before the writer's transaction, with the account as read outside
/// it, and hand what it returns to [`change_password`] inside.
pub async fn check_password_change(
    account: &Account,
    current: &str,
    new: &str,
) -> Result<PasswordChange, Error> {
    let (account_id, login, verified, temporary) = (
        account.id,
        account.login.clone(),
        account.password_hash.clone(),
        account.must_change_password,
    );
    let (current, new) = (current.to_string(), new.to_string());
    argon2(move || {
        if !verify_password(&current, &verified)? {
            return Err(Error::WrongPassword);
        }
        let mut broken = password::check(&new, &login);
        if new == current {
            broken.push(if temporary {
                Rule::SameAsTemporary
            } else {
                Rule::SameAsCurrent
            });
        }
        if !broken.is_empty() {
            return Err(Error::Policy(broken));
        }
        let hash = hash_password(&new)?;
        Ok(PasswordChange {
            account_id,
            verified,
            hash,
        })
    })
    .await?
}

/// Replaces the password of the account `change` was checked for
/// ([`check_password_change`], before the transaction). Clears `must_change_password`,
/// which completes the user's registration (seeds/003 item 24), and journals it.
///
/// The account's hash must still be the one the current password was verified against: if
/// the password was changed (or a temporary one issued) since the check, the current
/// password given is not the current one any more, and the answer is
/// [`Error::WrongPassword`] — what verifying it now would answer — rather than a change
/// that overwrites the other.
///
/// Ends every other session of the account: a person changes a password because someone
/// else may know the old one, and what was opened with it must not outlive it. The session
/// the change is made in (`session`, its id) goes on, renewed: a new token, returned for the
/// cookie, with the same CSRF token and lifetime — so a copy of its old cookie opens nothing
/// either, and the person carries on without signing in again. (With an API token there is
/// no session: every session ends.)
pub async fn change_password(
    conn: &mut Conn,
    change: &PasswordChange,
    session: Option<&str>,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let account = store::accounts::account_by_id(&mut *conn, change.account_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("#{}", change.account_id)))?;
    if account.password_hash != change.verified {
        return Err(Error::WrongPassword);
    }
    store::accounts::set_password(conn, account.id, &change.hash, false, now).await?;
    let (ended, renewed) = match session {
        Some(id) => (
            store::accounts::delete_other_sessions(conn, account.id, id).await?,
            store::accounts::renew_session(conn, id).await?,
        ),
        None => (
            store::accounts::delete_sessions_of(conn, account.id).await?,
            None,
        ),
    };
    journal(
        conn,
        Entry::new(&account.login, Action::PasswordChanged)
            .source(source)
            .object(&account.login)
            .details(json!({
                "was_temporary": account.must_change_password,
                "other_sessions_ended": ended,
            })),
        now,
    )
    .await?;
    Ok(renewed)
}

/// Blocks `login` for `reason` on the word of `by` (an administrator), ends its sessions and
/// journals it; `false` when it was blocked already. The last active administrator is not
/// blocked ([`Error::LastAdministrator`]): nobody would be left to unblock anyone.
pub async fn block(
    conn: &mut Conn,
    login: &str,
    reason: BlockReason,
    by: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let login = normalize_login(login)?;
    let Some(account) = store::accounts::account_by_login(&mut *conn, &login).await? else {
        return Err(Error::NotFound(login));
    };
    if is_last_administrator(conn, &account).await? {
        return Err(Error::LastAdministrator(login));
    }
    let blocked = store::accounts::block(conn, &login, reason, now).await?;
    if blocked {
        journal_block(conn, &login, reason, by, source, now).await?;
    }
    Ok(blocked)
}

/// Unlocks `login`, locked out for a while after wrong passwords ([`sign_in::decide`]): every
/// source's lock and the account's count of wrong passwords cleared, on the word of `by` (an
/// administrator), journalled `account_unlocked`. Not a blocked account: only a new request
/// activates it ([`Error::Blocked`]; seeds/003 item 29). [`Error::NothingToUnlock`] when no
/// wrong password is counted against it. Returns how many sources were locked or counted.
pub async fn unlock(
    conn: &mut Conn,
    login: &str,
    by: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let login = normalize_login(login)?;
    let Some(account) = store::accounts::account_by_login(&mut *conn, &login).await? else {
        return Err(Error::NotFound(login));
    };
    if !account.is_active() {
        return Err(Error::Blocked(login));
    }
    let locked = store::accounts::locks(&mut *conn, now)
        .await?
        .contains_key(&account.id);
    if account.failed_sign_ins == 0 && !locked {
        return Err(Error::NothingToUnlock(login));
    }
    let sources = store::accounts::clear_sign_in_failures(conn, account.id).await?;
    journal(
        conn,
        Entry::new(by, Action::AccountUnlocked)
            .source(source)
            .object(&login)
            .details(json!({
                "failed_sign_ins": account.failed_sign_ins,
                "sources": sources,
                "was_locked": locked,
            })),
        now,
    )
    .await?;
    Ok(sources)
}

/// Replaces the roles and the region of `account` (seeds/003 item 27: a transfer, new
/// duties) on the word of `by` — the engine for an access request (`source`: its number),
/// or an administrator — and journals it (`account_changed`, with what it was). Its sessions
/// end, so the new rights hold from the next request on. The last active administrator keeps
/// the administrator's role ([`Error::LastAdministrator`]). The one operation both the
/// access request's effect ([`request`]) and the administrator's page use.
pub async fn change_rights(
    conn: &mut Conn,
    account: &Account,
    roles: &[Role],
    region: &str,
    by: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(Error::NoRole);
    }
    let region = normalize_region(region)?;
    if !roles.contains(&Role::Administrator) && is_last_administrator(conn, account).await? {
        return Err(Error::LastAdministrator(account.login.clone()));
    }
    store::accounts::change_rights(conn, &account.login, &roles, &region).await?;
    journal(
        conn,
        Entry::new(by, Action::AccountChanged)
            .source(source)
            .object(&account.login)
            .details(json!({
                "roles": roles,
                "region": region,
                "was": { "roles": account.roles, "region": account.region },
            })),
        now,
    )
    .await
}

/// Whether `account` is the last active administrator.
pub(crate) async fn is_last_administrator(
    conn: &mut Conn,
    account: &Account,
) -> Result<bool, Error> {
    Ok(account.is_active()
        && account.has_role(Role::Administrator)
        && !store::accounts::another_active_administrator(&mut *conn, account.id).await?)
}

/// Forgets the wrong passwords of sources quiet for [`sign_in::FORGET_AFTER`] (the decision
/// ignores them already, and their locks are long over; the table need not keep them). Part
/// of the hourly sweep; returns how many records went.
pub async fn forget_attempts(conn: &mut Conn, now: DateTime<Utc>) -> Result<u64, Error> {
    Ok(store::accounts::forget_attempts(conn, now - sign_in::FORGET_AFTER).await?)
}

/// The sweep of seeds/003 item 28: blocks every active account not used for more than 30
/// calendar days at `now` ([`unused_since`]), ends their sessions, journals each block, and
/// returns the logins blocked. The administrators hear of them in the next nightly report
/// ([`unused::block_and_report`]).
pub async fn block_unused(conn: &mut Conn, now: DateTime<Utc>) -> Result<Vec<String>, Error> {
    sweep(conn, None, now).await
}

/// [`block_unused`], journalled with `source` (the nightly report's registration number).
async fn sweep(
    conn: &mut Conn,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let logins = store::accounts::block_unused(conn, unused_since(now), now).await?;
    for login in &logins {
        journal_block(
            conn,
            login,
            BlockReason::Unused30Days,
            audit::SYSTEM,
            source,
            now,
        )
        .await?;
    }
    Ok(logins)
}

/// A new access request for `login` granted by `by` (seeds/003 item 29: after a block, a
/// lost password or a compromised one): the account is active again, with a new temporary
/// password to be changed at first sign-in, no failures, no source locked out, its old
/// sessions ended,
/// and 30 days from now to be used. Returns the temporary password, `temporary`, made before
/// the writer's transaction ([`TemporaryPassword::new`]). The only way a blocked account
/// becomes active.
pub async fn reactivate(
    conn: &mut Conn,
    login: &str,
    by: &str,
    temporary: &TemporaryPassword,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let login = normalize_login(login)?;
    // Whether it was blocked: the journal of logins tells an unblock from a lost password
    // replaced (seeds/003 appendix 1, "Note").
    let was_blocked = store::accounts::account_by_login(&mut *conn, &login)
        .await?
        .is_some_and(|a| !a.is_active());
    if !store::accounts::reactivate(conn, &login, temporary.hash(), now).await? {
        return Err(Error::NotFound(login));
    }
    journal(
        conn,
        Entry::new(by, Action::AccountReactivated)
            .source(source)
            .object(&login)
            .details(json!({ "was_blocked": was_blocked })),
        now,
    )
    .await?;
    Ok(temporary.password().to_string())
}

/// Issues an API token for a system's account, journalled: the token acts as the account
/// from then on, so who gave it and when belongs in the journal. Returns the token, which
/// is stored only as its hash and shown once.
pub async fn issue_token(
    conn: &mut Conn,
    account: &Account,
    name: &str,
    by: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let (token, issued) = store::accounts::create_api_token(conn, account.id, name, now).await?;
    journal(
        conn,
        Entry::new(by, Action::TokenIssued)
            .source(source)
            .object(&account.login)
            .details(json!({ "token": issued.id, "name": name })),
        now,
    )
    .await?;
    Ok(token)
}

/// Revokes API token `id` of `login` on the word of `by` and journals it (`token_revoked`,
/// with the token's id and name): the token opens nothing from the next request on. `false`
/// when it was revoked already (nothing is journalled then).
pub async fn revoke_token(
    conn: &mut Conn,
    login: &str,
    id: i64,
    by: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let login = normalize_login(login)?;
    let Some(account) = store::accounts::account_by_login(&mut *conn, &login).await? else {
        return Err(Error::NotFound(login));
    };
    let Some(token) = store::accounts::api_token_of(&mut *conn, account.id, id).await? else {
        return Err(Error::NoSuchToken(login, id));
    };
    if !store::accounts::revoke_api_token(conn, token.id, now).await? {
        return Ok(false);
    }
    journal(
        conn,
        Entry::new(by, Action::TokenRevoked)
            .source(source)
            .object(&login)
            .details(json!({ "token": token.id, "name": token.name })),
        now,
    )
    .await?;
    Ok(true)
}

async fn journal_block(
    conn: &mut Conn,
    login: &str,
    reason: BlockReason,
    by: &str,
    source: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    journal(
        conn,
        Entry::new(by, Action::AccountBlocked)
            .source(source)
            .object(login)
            .details(json!({ "reason": reason })),
        now,
    )
    .await
}

async fn journal(conn: &mut Conn, entry: Entry, now: DateTime<Utc>) -> Result<(), Error> {
    store::audit::append(conn, &entry, now).await?;
    Ok(())
}
