//! An access request carried out: what the `qyzmet.accounts` connector of the
//! `access-request` service does to the accounts once an administrator has satisfied the
//! request (seeds/003 items 19-29, in the new wording of seeds/000 appendix 6).
//!
//! The request is a case; this is only its effect. Each change records the request's
//! registration number on the account as its basis (appendix 1, "Basis"), which makes a
//! repeated job of the same request a no-op: the worker may run a job twice (a crash
//! between the change and the record of the job), and an account must not be created,
//! reactivated or re-passworded twice for one request.
//!
//! A problem the administrator can fix (the login is taken, there is no such login, an
//! unknown role) is an answer, not an error: the case goes back to the administrator with
//! the problem named. Only the database failing is an error, and the job is retried.

use super::{Account, Error, NewAccount, Role, TemporaryPassword, journal, normalize_login};
use crate::audit::{self, Action, Entry};
use crate::store::{self, Conn};
use chrono::{DateTime, Utc};

/// What a request asks for (the first line of the form of seeds/003 appendix 2:
/// "provide access, block, change the user's rights").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new account (item 19).
    Grant,
    /// New roles or region for an existing account (item 27: a transfer, new duties).
    Change,
    /// Block an account (item 27: a dismissal).
    Block,
    /// Activate a blocked account again, or give a new temporary password after a lost
    /// or compromised one (item 29).
    Reactivate,
}

impl Kind {
    /// `grant`, `change`, `block`, `reactivate`: the values of `request.kind`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "grant" => Some(Kind::Grant),
            "change" => Some(Kind::Change),
            "block" => Some(Kind::Block),
            "reactivate" => Some(Kind::Reactivate),
            _ => None,
        }
    }
}

/// A satisfied request, as the connector's input gives it.
#[derive(Clone)]
pub struct Request {
    /// What is asked.
    pub kind: Kind,
    /// The login: the new one for a grant (the administrator picks it, item 25), the
    /// existing one otherwise.
    pub login: String,
    /// The user's full name (for a grant).
    pub full_name: String,
    /// The user's corporate e-mail (for a grant).
    pub email: String,
    /// The roles, comma-separated (for a grant or a change).
    pub roles: String,
    /// The region (for a grant or a change).
    pub region: String,
    /// The request's registration number.
    pub basis: String,
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Done (now, or by an earlier run of the same request).
    Done,
    /// A grant asked for a login another account has.
    LoginTaken,
    /// A change, block or reactivation names a login no account has.
    NoSuchLogin,
    /// Something the administrator must correct, in English.
    Invalid(String),
}

impl Applied {
    /// The connector's `status`.
    pub fn status(&self) -> &'static str {
        match self {
            Applied::Done => "done",
            Applied::LoginTaken => "login_taken",
            Applied::NoSuchLogin => "no_such_login",
            Applied::Invalid(_) => "invalid",
        }
    }

    /// The connector's `problem`, for the administrator's correction task.
    pub fn problem(&self, login: &str) -> Option<String> {
        match self {
            Applied::Done => None,
            Applied::LoginTaken => Some(format!(
                "the login `{login}` belongs to another account: pick another one (a login is one person's, item 26)"
            )),
            Applied::NoSuchLogin => Some(format!("there is no account `{login}`")),
            Applied::Invalid(why) => Some(why.clone()),
        }
    }
}

/// Carries out `request` and journals it under the engine's name with the request's number;
/// see the module's note on repeats. `temporary` is the password a grant or a reactivation
/// sets, made before the writer's transaction ([`TemporaryPassword::new`]); it is never told:
/// the answer's e-mail sets the one the user receives ([`issue_temporary_password`]).
pub async fn apply(
    conn: &mut Conn,
    request: &Request,
    temporary: &TemporaryPassword,
    now: DateTime<Utc>,
) -> Result<Applied, Error> {
    let login = match normalize_login(&request.login) {
        Ok(l) => l,
        Err(e) => return Ok(Applied::Invalid(e.to_string())),
    };
    let existing = store::accounts::account_by_login(&mut *conn, &login).await?;
    let ours = existing
        .as_ref()
        .is_some_and(|a| a.basis.as_deref() == Some(request.basis.as_str()));
    if ours {
        return Ok(Applied::Done);
    }
    match (request.kind, existing) {
        (Kind::Grant, Some(_)) => Ok(Applied::LoginTaken),
        (Kind::Grant, None) => grant(conn, request, &login, temporary, now).await,
        (_, None) => Ok(Applied::NoSuchLogin),
        (Kind::Change, Some(account)) => change(conn, request, &account, now).await,
        (Kind::Block, Some(account)) => {
            match super::block(
                conn,
                &login,
                super::BlockReason::Administrator,
                audit::SYSTEM,
                Some(&request.basis),
                now,
            )
            .await
            {
                Ok(_) => {}
                Err(e @ Error::LastAdministrator(_)) => return Ok(Applied::Invalid(e.to_string())),
                Err(e) => return Err(e),
            }
            store::accounts::set_basis(conn, account.id, &request.basis).await?;
            Ok(Applied::Done)
        }
        (Kind::Reactivate, Some(account)) => {
            // The temporary password set here is never told: the answer's e-mail sets the one
            // the user receives ([`issue_temporary_password`]).
            super::reactivate(
                conn,
                &login,
                audit::SYSTEM,
                temporary,
                Some(&request.basis),
                now,
            )
            .await?;
            store::accounts::set_basis(conn, account.id, &request.basis).await?;
            Ok(Applied::Done)
        }
    }
}

/// Parses `a, b` into roles; the problem, in English, when a name is not a role.
fn roles(list: &str) -> Result<Vec<Role>, String> {
    let roles = list
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.parse::<Role>().map_err(|e| e.to_string()))
        .collect::<Result<Vec<Role>, String>>()?;
    if roles.is_empty() {
        return Err(Error::NoRole.to_string());
    }
    Ok(roles)
}

async fn grant(
    conn: &mut Conn,
    request: &Request,
    login: &str,
    temporary: &TemporaryPassword,
    now: DateTime<Utc>,
) -> Result<Applied, Error> {
    let roles = match roles(&request.roles) {
        Ok(r) => r,
        Err(why) => return Ok(Applied::Invalid(why)),
    };
    let new = NewAccount {
        login: login.to_string(),
        full_name: request.full_name.clone(),
        email: request.email.clone(),
        roles,
        region: request.region.clone(),
        created_by: audit::SYSTEM.to_string(),
    };
    // The temporary password is the answer e-mail's to set; this one is never told.
    match super::create(conn, &new, temporary.hash(), Some(&request.basis), now).await {
        Ok(account) => {
            store::accounts::set_basis(conn, account.id, &request.basis).await?;
            Ok(Applied::Done)
        }
        Err(Error::LoginTaken(_)) => Ok(Applied::LoginTaken),
        Err(e @ (Error::InvalidRegion(_) | Error::NoRole)) => Ok(Applied::Invalid(e.to_string())),
        Err(e) => Err(e),
    }
}

async fn change(
    conn: &mut Conn,
    request: &Request,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<Applied, Error> {
    let roles = match roles(&request.roles) {
        Ok(r) => r,
        Err(why) => return Ok(Applied::Invalid(why)),
    };
    // The same operation as the administrator's page: the rules (the last administrator,
    // a region's shape) and the record are one function's.
    match super::change_rights(
        conn,
        account,
        &roles,
        &request.region,
        audit::SYSTEM,
        Some(&request.basis),
        now,
    )
    .await
    {
        Ok(()) => {}
        Err(e @ (Error::InvalidRegion(_) | Error::NoRole | Error::LastAdministrator(_))) => {
            return Ok(Applied::Invalid(e.to_string()));
        }
        Err(e) => return Err(e),
    }
    store::accounts::set_basis(conn, account.id, &request.basis).await?;
    Ok(Applied::Done)
}

/// Why no temporary password may be issued for an account now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// No such account.
    #[error("there is no account `{0}`")]
    NoAccount(String),
    /// The account is blocked.
    #[error("the account `{0}` is blocked")]
    Blocked(String),
    /// The user has set a password of their own since: a new one takes a new request
    /// (item 29), not a repeated e-mail.
    #[error("the account `{0}` has a password of its own already; a new one takes a new request")]
    NotTemporary(String),
}

/// Sets a fresh temporary password on `login` and journals it (without the password);
/// returns the password for the answer's e-mail (seeds/003 items 20, 22). Only while the
/// account is active and its temporary password has not yet been replaced (item 24), so a
/// repeated e-mail can never take away a password the user chose. `temporary` is made before
/// the writer's transaction ([`TemporaryPassword::new`]).
pub async fn issue_temporary_password(
    conn: &mut Conn,
    login: &str,
    basis: Option<&str>,
    temporary: &TemporaryPassword,
    now: DateTime<Utc>,
) -> Result<Result<String, Refused>, Error> {
    let login = normalize_login(login)?;
    let Some(account) = store::accounts::account_by_login(&mut *conn, &login).await? else {
        return Ok(Err(Refused::NoAccount(login)));
    };
    if !account.is_active() {
        return Ok(Err(Refused::Blocked(login)));
    }
    if !account.must_change_password {
        return Ok(Err(Refused::NotTemporary(login)));
    }
    store::accounts::set_password(conn, account.id, temporary.hash(), true, now).await?;
    // A password set for the user ends what the one before opened, as a change does.
    store::accounts::delete_sessions_of(conn, account.id).await?;
    journal(
        conn,
        Entry::new(audit::SYSTEM, Action::TemporaryPasswordIssued)
            .source(basis)
            .object(&login),
        now,
    )
    .await?;
    Ok(Ok(temporary.password().to_string()))
}
