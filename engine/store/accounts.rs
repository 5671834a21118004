//! Accounts, sessions and API tokens: their rows. The rules they follow are in
//! `crate::accounts`; the functions here write what those decide.
//!
//! Every function takes a [`Conn`]: a reader from the pool (`Store::read`) for the reads
//! made outside a transaction, the writer's connection inside its transaction for the rest.
//!
//! A login is unique regardless of case: SQLite's column says so with `collate nocase`,
//! PostgreSQL's with a unique index on `lower(login)`. So every statement here compares
//! `lower(login) = lower(?)` (SQLite's `lower` folds ASCII as `nocase` does), and lists by
//! the lowercase login in byte order on both.

use chrono::{DateTime, Utc};

use super::Conn;
use super::backend::{micros, on};
use crate::accounts::sign_in::Attempts;
use crate::accounts::token::{new_token, token_hash};
use crate::accounts::{Account, ApiToken, BlockReason, NewAccount, Session, Status};

/// Why an account operation failed in the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another account has this login, in any case.
    #[error("the login `{0}` is taken")]
    LoginTaken(String),
    /// The database said no, or a stored value does not parse.
    #[error(transparent)]
    Store(#[from] super::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(super::Error::Database(e))
    }
}

/// An account's columns, in the order [`account_row!`] reads them: a macro, so that each
/// statement's text is one `'static` string.
macro_rules! account_columns {
    () => {
        "id, login, full_name, email, roles, region, password_hash, \
         must_change_password, status, blocked_reason, blocked_at, created_at, created_by, \
         reactivated_at, last_sign_in_at, failed_sign_ins, password_changed_at, basis"
    };
}

/// An API token's columns, in the order [`api_token_row!`] reads them.
macro_rules! token_columns {
    () => {
        "id, hash, name, account_id, created_at, last_used_at, revoked_at"
    };
}

/// An account from a row of [`account_columns!`], inside an [`on!`] body.
macro_rules! account_row {
    ($r:expr) => {{
        let r = $r;
        let status = match r.try_get::<&str, _>(8)? {
            "active" => Status::Active,
            _ => {
                let reason = r.try_get::<Option<&str>, _>(9)?.unwrap_or_default();
                Status::Blocked {
                    reason: BlockReason::parse(reason).ok_or_else(|| {
                        crate::store::Error::Corrupt {
                            what: "account block reason",
                            message: format!("`{reason}`"),
                        }
                    })?,
                    since: read_ts_opt(r, 10)?.ok_or_else(|| crate::store::Error::Corrupt {
                        what: "account",
                        message: "blocked without a time".into(),
                    })?,
                }
            }
        };
        Ok::<Account, Error>(Account {
            id: r.try_get(0)?,
            login: r.try_get(1)?,
            full_name: r.try_get(2)?,
            email: r.try_get(3)?,
            roles: read_json(r, 4, "account roles")?,
            region: r.try_get(5)?,
            password_hash: r.try_get(6)?,
            must_change_password: r.try_get::<bool, _>(7)?,
            status,
            created_at: read_ts(r, 11)?,
            created_by: r.try_get(12)?,
            reactivated_at: read_ts_opt(r, 13)?,
            last_sign_in_at: read_ts_opt(r, 14)?,
            failed_sign_ins: u32::try_from(r.try_get::<i64, _>(15)?).unwrap_or(u32::MAX),
            password_changed_at: read_ts(r, 16)?,
            basis: r.try_get(17)?,
        })
    }};
}

/// An API token from a row of [`token_columns!`], inside an [`on!`] body.
macro_rules! api_token_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<ApiToken, Error>(ApiToken {
            id: r.try_get(0)?,
            hash: r.try_get(1)?,
            name: r.try_get(2)?,
            account_id: r.try_get(3)?,
            created_at: read_ts(r, 4)?,
            last_used_at: read_ts_opt(r, 5)?,
            revoked_at: read_ts_opt(r, 6)?,
        })
    }};
}

/// Inserts an account, active; [`Error::LoginTaken`] when the login exists in any case.
///
/// The insert does nothing on a conflict rather than fail: a failed statement aborts a
/// PostgreSQL transaction (the writer's whole batch), where SQLite only undoes the statement.
/// So a taken login is an insert that returns no row, on both backends.
pub async fn create_account(
    conn: &mut Conn,
    new: &NewAccount,
    password_hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<Account, Error> {
    let inserted: Option<i64> = on!(conn, |c| {
        let inserted = sqlx::query(sql(
            "insert into accounts (login, full_name, email, roles, region, password_hash, \
             must_change_password, status, created_at, created_by, failed_sign_ins, password_changed_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, 0, ?8) \
             on conflict do nothing returning id",
        ))
        .bind(&new.login)
        .bind(&new.full_name)
        .bind(&new.email)
        .bind(bind_json(&new.roles))
        .bind(&new.region)
        .bind(password_hash)
        .bind(must_change_password)
        .bind(bind_ts(now))
        .bind(&new.created_by)
        .fetch_optional(&mut *c)
        .await;
        match inserted {
            Ok(row) => row.map(|r| r.try_get::<i64, _>(0)).transpose()?,
            // Not reached while the insert says `on conflict do nothing`; should the
            // statement ever fail on the login's uniqueness all the same (SQLite's
            // SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's 23505 on `accounts_login_lower`), it is
            // still the login taken.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => None,
            Err(e) => return Err(e.into()),
        }
    });
    let Some(id) = inserted else {
        return Err(Error::LoginTaken(new.login.clone()));
    };
    account_by_id(conn, id).await?.ok_or_else(|| {
        Error::Store(super::Error::Corrupt {
            what: "account",
            message: format!("account {id} vanished after its insert"),
        })
    })
}

/// The account with `login`, in any case.
pub async fn account_by_login(conn: &mut Conn, login: &str) -> Result<Option<Account>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(concat!(
            "select ",
            account_columns!(),
            " from accounts where lower(login) = lower(?)"
        )))
        .bind(login)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(|r| account_row!(r)).transpose()
    })
}

/// The account with row id `id`.
pub async fn account_by_id(conn: &mut Conn, id: i64) -> Result<Option<Account>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(concat!(
            "select ",
            account_columns!(),
            " from accounts where id = ?"
        )))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(|r| account_row!(r)).transpose()
    })
}

/// Every account, by login.
pub async fn list_accounts(conn: &mut Conn) -> Result<Vec<Account>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(pick(
            concat!(
                "select ",
                account_columns!(),
                " from accounts order by lower(login)"
            ),
            concat!(
                "select ",
                account_columns!(),
                " from accounts order by lower(login) collate \"C\""
            ),
        ))
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(|r| account_row!(r)).collect()
    })
}

/// How many accounts there are (none: a fresh installation).
pub async fn count_accounts(conn: &mut Conn) -> Result<i64, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql("select count(*) from accounts"))
            .fetch_one(&mut *c)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    })
}

/// A successful sign-in from source `source` (a [`crate::accounts::sign_in::source_key`]):
/// the time, the account's failure count cleared, and that source's record of wrong
/// passwords with it. Other sources' records stay: the right password typed at one desk
/// says nothing of the guesses made from another address.
pub async fn record_sign_in_success(
    conn: &mut Conn,
    id: i64,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "update accounts set last_sign_in_at = ?, failed_sign_ins = 0 where id = ?",
        ))
        .bind(bind_ts(now))
        .bind(id)
        .execute(&mut *c)
        .await?;
        sqlx::query(sql(
            "delete from sign_in_throttle where account_id = ? and source = ?",
        ))
        .bind(id)
        .bind(source)
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// The record of wrong passwords from `source` on account `id` (none yet: the default).
pub async fn attempts(conn: &mut Conn, id: i64, source: &str) -> Result<Attempts, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select failures, locked_until, updated_at from sign_in_throttle where account_id = ? and source = ?",
        ))
        .bind(id)
        .bind(source)
        .fetch_optional(&mut *c)
        .await?;
        let Some(r) = row else {
            return Ok(Attempts::default());
        };
        Ok(Attempts {
            failures: u32::try_from(r.try_get::<i64, _>(0)?).unwrap_or(u32::MAX),
            locked_until: read_ts_opt(&r, 1)?,
            last_failure_at: Some(read_ts(&r, 2)?),
        })
    })
}

/// A wrong password from `source`: the account's new count, and the source's count and the
/// lock it brings if any.
#[allow(clippy::too_many_arguments)]
pub async fn record_sign_in_failure(
    conn: &mut Conn,
    id: i64,
    failed_sign_ins: u32,
    source: &str,
    source_failures: u32,
    locked_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql("update accounts set failed_sign_ins = ? where id = ?"))
            .bind(i64::from(failed_sign_ins))
            .bind(id)
            .execute(&mut *c)
            .await?;
        sqlx::query(sql(
            "insert into sign_in_throttle (account_id, source, failures, locked_until, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?5) \
             on conflict (account_id, source) do update set \
               failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        ))
        .bind(id)
        .bind(source)
        .bind(i64::from(source_failures))
        .bind(bind_ts_opt(locked_until))
        .bind(bind_ts(now))
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// Deletes the records of sources whose last wrong password is older than `before` (and so
/// is any lock it brought): [`crate::accounts::sign_in::decide`] ignores them already; this
/// keeps the table from growing with every address that ever mistyped. Returns how many went.
pub async fn forget_attempts(conn: &mut Conn, before: DateTime<Utc>) -> Result<u64, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql("delete from sign_in_throttle where updated_at < ?"))
            .bind(bind_ts(before))
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected())
    })
}

/// Whether another active account than `id` has the administrator's role: if not, `id` is
/// the last one who can unblock anybody.
pub async fn another_active_administrator(conn: &mut Conn, id: i64) -> Result<bool, Error> {
    on!(conn, |c| {
        let row = sqlx::query(pick(
            "select exists (select 1 from accounts a, json_each(a.roles) r \
             where a.id <> ? and a.status = 'active' and r.value = 'administrator')",
            "select exists (select 1 from accounts a \
             where a.id <> ? and a.status = 'active' and a.roles @> '[\"administrator\"]'::jsonb)",
        ))
        .bind(id)
        .fetch_one(&mut *c)
        .await?;
        Ok(row.try_get::<bool, _>(0)?)
    })
}

/// Whether account `id` holds an API token that is not revoked: a system's account.
pub async fn holds_api_token(conn: &mut Conn, id: i64) -> Result<bool, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select exists (select 1 from api_tokens where account_id = ? and revoked_at is null)",
        ))
        .bind(id)
        .fetch_one(&mut *c)
        .await?;
        Ok(row.try_get::<bool, _>(0)?)
    })
}

/// Whether an active account with `role` holds an API token that is not revoked: whether
/// the system of that role can call the endpoints kept for it at all.
pub async fn role_holds_api_token(
    conn: &mut Conn,
    role: crate::accounts::Role,
) -> Result<bool, Error> {
    on!(conn, |c| {
        let row = sqlx::query(pick(
            "select exists (select 1 from accounts a, json_each(a.roles) r, api_tokens t \
             where a.status = 'active' and r.value = ? and t.account_id = a.id and t.revoked_at is null)",
            "select exists (select 1 from accounts a, api_tokens t \
             where a.status = 'active' and a.roles @> jsonb_build_array(cast(? as text)) \
             and t.account_id = a.id and t.revoked_at is null)",
        ))
        .bind(role.as_str())
        .fetch_one(&mut *c)
        .await?;
        Ok(row.try_get::<bool, _>(0)?)
    })
}

/// Sets the password hash and whether it is a temporary one.
pub async fn set_password(
    conn: &mut Conn,
    id: i64,
    password_hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "update accounts set password_hash = ?, must_change_password = ?, password_changed_at = ? where id = ?",
        ))
        .bind(password_hash)
        .bind(must_change_password)
        .bind(bind_ts(now))
        .bind(id)
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// Blocks every active account last used before `cutoff` (its last sign-in, or its
/// creation or reactivation if later) and deletes their sessions; returns their logins.
/// One statement for the accounts, so the sweep is all or nothing. Each block is news for
/// the administrators' next report ([`report_unused_blocks`]).
pub async fn block_unused(
    conn: &mut Conn,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let blocked: Vec<(i64, String)> = on!(conn, |c| {
        let rows = sqlx::query(pick(
            "update accounts set status = 'blocked', blocked_reason = 'unused_30_days', blocked_at = ?1, \
             block_reported_in = null \
             where status = 'active' \
               and max(created_at, coalesce(reactivated_at, created_at), coalesce(last_sign_in_at, created_at)) < ?2 \
             returning id, login",
            "update accounts set status = 'blocked', blocked_reason = 'unused_30_days', blocked_at = ?1, \
             block_reported_in = null \
             where status = 'active' \
               and greatest(created_at, coalesce(reactivated_at, created_at), coalesce(last_sign_in_at, created_at)) < ?2 \
             returning id, login",
        ))
        .bind(bind_ts(now))
        .bind(bind_ts(cutoff))
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| Ok::<_, Error>((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, _>>()?
    });
    let mut logins = Vec::with_capacity(blocked.len());
    for (id, login) in blocked {
        delete_sessions_of(conn, id).await?;
        logins.push(login);
    }
    logins.sort();
    Ok(logins)
}

/// Blocks `login` for `reason` and deletes its sessions; `false` when it was not active. A
/// block as unused is news for the administrators' next report ([`report_unused_blocks`]).
pub async fn block(
    conn: &mut Conn,
    login: &str,
    reason: BlockReason,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let id: Option<i64> = on!(conn, |c| {
        let row = sqlx::query(sql(
            "update accounts set status = 'blocked', blocked_reason = ?, blocked_at = ?, \
             block_reported_in = null \
             where lower(login) = lower(?) and status = 'active' returning id",
        ))
        .bind(reason.as_str())
        .bind(bind_ts(now))
        .bind(login)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| r.try_get::<i64, _>(0)).transpose()?
    });
    sessions_ended(conn, id).await
}

/// Sets `login` active again with a new temporary password: no failures, no source locked
/// out of it, its sessions deleted, `reactivated_at` now. `false` when there is no such
/// account.
pub async fn reactivate(
    conn: &mut Conn,
    login: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let id: Option<i64> = on!(conn, |c| {
        let row = sqlx::query(sql(
            "update accounts set status = 'active', blocked_reason = null, blocked_at = null, \
             password_hash = ?1, must_change_password = ?4, password_changed_at = ?2, \
             reactivated_at = ?2, failed_sign_ins = 0 \
             where lower(login) = lower(?3) returning id",
        ))
        .bind(password_hash)
        .bind(bind_ts(now))
        .bind(login)
        .bind(true)
        .fetch_optional(&mut *c)
        .await?;
        let id = row.map(|r| r.try_get::<i64, _>(0)).transpose()?;
        if let Some(id) = id {
            sqlx::query(sql("delete from sign_in_throttle where account_id = ?"))
                .bind(id)
                .execute(&mut *c)
                .await?;
        }
        id
    });
    sessions_ended(conn, id).await
}

/// Opens a session for `account_id`: returns the token for the cookie (only its hash is
/// stored) and the session, with a new CSRF token.
pub async fn create_session(
    conn: &mut Conn,
    account_id: i64,
    ip: Option<&str>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(String, Session), Error> {
    let token = new_token();
    // The times as stored (to the microsecond), so the session returned is the one read back.
    let session = Session {
        id: token_hash(&token),
        account_id,
        csrf_token: new_token(),
        created_at: micros(now),
        expires_at: micros(expires_at),
        last_seen_at: micros(now),
        ip: ip.map(str::to_string),
    };
    on!(conn, |c| {
        sqlx::query(sql(
            "insert into sessions (id, account_id, csrf_token, created_at, expires_at, last_seen_at, ip) \
             values (?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(&session.id)
        .bind(session.account_id)
        .bind(&session.csrf_token)
        .bind(bind_ts(session.created_at))
        .bind(bind_ts(session.expires_at))
        .bind(bind_ts(session.last_seen_at))
        .bind(&session.ip)
        .execute(&mut *c)
        .await?;
        Ok::<(), Error>(())
    })?;
    Ok((token, session))
}

/// The session a token opens, live or not (the caller checks [`Session::is_live`]).
pub async fn session_by_token(conn: &mut Conn, token: &str) -> Result<Option<Session>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select id, account_id, csrf_token, created_at, expires_at, last_seen_at, ip from sessions where id = ?",
        ))
        .bind(token_hash(token))
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| {
            Ok(Session {
                id: r.try_get(0)?,
                account_id: r.try_get(1)?,
                csrf_token: r.try_get(2)?,
                created_at: read_ts(&r, 3)?,
                expires_at: read_ts(&r, 4)?,
                last_seen_at: read_ts(&r, 5)?,
                ip: r.try_get(6)?,
            })
        })
        .transpose()
    })
}

/// Records a request made with session `id`.
pub async fn touch(conn: &mut Conn, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql("update sessions set last_seen_at = ? where id = ?"))
            .bind(bind_ts(now))
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(())
    })
}

/// Ends session `id` (sign-out).
pub async fn delete_session(conn: &mut Conn, id: &str) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql("delete from sessions where id = ?"))
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(())
    })
}

/// Ends every session of account `account_id` but `keep` (the one its password was just
/// changed in); returns how many ended.
pub async fn delete_other_sessions(
    conn: &mut Conn,
    account_id: i64,
    keep: &str,
) -> Result<u64, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql("delete from sessions where account_id = ? and id <> ?"))
            .bind(account_id)
            .bind(keep)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected())
    })
}

/// Gives session `id` a new token, keeping everything else (its CSRF token, its lifetime):
/// returns the token for the cookie, or `None` when there is no such session. The old token
/// opens nothing from then on.
pub async fn renew_session(conn: &mut Conn, id: &str) -> Result<Option<String>, Error> {
    let token = new_token();
    on!(conn, |c| {
        let done = sqlx::query(sql("update sessions set id = ? where id = ?"))
            .bind(token_hash(&token))
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok((done.rows_affected() == 1).then_some(token))
    })
}

/// Ends every session of an account (blocked, reactivated, its rights changed, a temporary
/// password issued).
pub async fn delete_sessions_of(conn: &mut Conn, account_id: i64) -> Result<u64, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql("delete from sessions where account_id = ?"))
            .bind(account_id)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected())
    })
}

/// Issues an API token named `name` for the system account `account_id`: returns the token,
/// shown once, and the stored row (its hash).
pub async fn create_api_token(
    conn: &mut Conn,
    account_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, ApiToken), Error> {
    let token = new_token();
    on!(conn, |c| {
        let row = sqlx::query(sql(concat!(
            "insert into api_tokens (hash, name, account_id, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?4) returning ",
            token_columns!()
        )))
        .bind(token_hash(&token))
        .bind(name)
        .bind(account_id)
        .bind(bind_ts(now))
        .fetch_one(&mut *c)
        .await?;
        Ok((token, api_token_row!(&row)?))
    })
}

/// The unrevoked API token `token` is, if any.
pub async fn api_token(conn: &mut Conn, token: &str) -> Result<Option<ApiToken>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(concat!(
            "select ",
            token_columns!(),
            " from api_tokens where hash = ? and revoked_at is null"
        )))
        .bind(token_hash(token))
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(|r| api_token_row!(r)).transpose()
    })
}

/// The API tokens of account `account_id` (of every account: `None`), revoked ones too, in
/// the order issued.
pub async fn api_tokens(conn: &mut Conn, account_id: Option<i64>) -> Result<Vec<ApiToken>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(concat!(
            "select ",
            token_columns!(),
            " from api_tokens where ?1 is null or account_id = ?1 order by id"
        )))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(|r| api_token_row!(r)).collect()
    })
}

/// Token `id` of account `account_id`, revoked or not.
pub async fn api_token_of(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<Option<ApiToken>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(concat!(
            "select ",
            token_columns!(),
            " from api_tokens where id = ? and account_id = ?"
        )))
        .bind(id)
        .bind(account_id)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(|r| api_token_row!(r)).transpose()
    })
}

/// A system's token was used: for the 30-day rule (seeds/003 item 28) an entrance with a
/// token is an entrance, so the account's last-use time is the token's. Only the times
/// change: the failure count is a person's.
pub async fn record_token_use(
    conn: &mut Conn,
    account_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql("update accounts set last_sign_in_at = ? where id = ?"))
            .bind(bind_ts(now))
            .bind(account_id)
            .execute(&mut *c)
            .await?;
        sqlx::query(sql(
            "update api_tokens set last_used_at = ?1, updated_at = ?1 where id = ?2",
        ))
        .bind(bind_ts(now))
        .bind(token_id)
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// Revokes API token `id`; `false` when there is none or it was revoked already.
pub async fn revoke_api_token(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql(
            "update api_tokens set revoked_at = ?1, updated_at = ?1 where id = ?2 and revoked_at is null",
        ))
        .bind(bind_ts(now))
        .bind(id)
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// The registration number of the case job `key` belongs to: the access request an
/// account change is made on.
pub async fn case_number_of_job(conn: &mut Conn, key: &str) -> Result<Option<String>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select c.number from jobs j join cases c on c.id = j.case_id where j.key = ?",
        ))
        .bind(key)
        .fetch_optional(&mut *c)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    })
}

/// Marks every account blocked as unused that no report has told yet as told by `report`
/// (the registration number of the nightly case), and returns every account `report` tells,
/// by login: those marked now and those an earlier run of the same job marked (migration
/// 0005).
pub async fn report_unused_blocks(conn: &mut Conn, report: &str) -> Result<Vec<Account>, Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "update accounts set block_reported_in = ?1 \
             where status = 'blocked' and blocked_reason = 'unused_30_days' and block_reported_in is null",
        ))
        .bind(report)
        .execute(&mut *c)
        .await?;
        let rows = sqlx::query(pick(
            concat!(
                "select ",
                account_columns!(),
                " from accounts where block_reported_in = ? order by lower(login)"
            ),
            concat!(
                "select ",
                account_columns!(),
                " from accounts where block_reported_in = ? order by lower(login) collate \"C\""
            ),
        ))
        .bind(report)
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(|r| account_row!(r)).collect()
    })
}

/// Records the access request an account's last change came from.
pub async fn set_basis(conn: &mut Conn, id: i64, basis: &str) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql("update accounts set basis = ? where id = ?"))
            .bind(basis)
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(())
    })
}

/// Replaces the roles and the region of `login` (seeds/003 item 27) and deletes its
/// sessions, so the new rights hold from the next request on; `false` when there is no
/// such account.
pub async fn change_rights(
    conn: &mut Conn,
    login: &str,
    roles: &[crate::accounts::Role],
    region: &str,
) -> Result<bool, Error> {
    let id: Option<i64> = on!(conn, |c| {
        let row = sqlx::query(sql(
            "update accounts set roles = ?, region = ? where lower(login) = lower(?) returning id",
        ))
        .bind(bind_json(roles))
        .bind(region)
        .bind(login)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| r.try_get::<i64, _>(0)).transpose()?
    });
    sessions_ended(conn, id).await
}

/// After an update that returned the id of the one account it changed (`id`): its sessions
/// deleted, so the change holds from the next request on; `false` when no account was
/// updated.
async fn sessions_ended(conn: &mut Conn, id: Option<i64>) -> Result<bool, Error> {
    match id {
        Some(id) => {
            delete_sessions_of(conn, id).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Every account's sign-in lock still running at `now`: the latest `locked_until` of its
/// sources, by account id. One query for a whole list, so the accounts page shows «locked
/// until» without a query per row.
pub async fn locks(
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> Result<std::collections::HashMap<i64, DateTime<Utc>>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select account_id, locked_until from sign_in_throttle where locked_until > ?",
        ))
        .bind(bind_ts(now))
        .fetch_all(&mut *c)
        .await?;
        let mut locks = std::collections::HashMap::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            if let Some(until) = read_ts_opt(r, 1)? {
                let e = locks.entry(id).or_insert(until);
                if until > *e {
                    *e = until;
                }
            }
        }
        Ok(locks)
    })
}

/// Clears account `id`'s wrong passwords: every source's record (and its lock) deleted,
/// the account's count back to 0. Returns how many sources had a record.
pub async fn clear_sign_in_failures(conn: &mut Conn, id: i64) -> Result<u64, Error> {
    on!(conn, |c| {
        sqlx::query(sql("update accounts set failed_sign_ins = 0 where id = ?"))
            .bind(id)
            .execute(&mut *c)
            .await?;
        let done = sqlx::query(sql("delete from sign_in_throttle where account_id = ?"))
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected())
    })
}

/// What the journal says of each registration number in `numbers` (access requests and
/// password resets): who filed it and when, its service, and who last completed one of its
/// tasks (the administrator who satisfied an access request). Read from the audit journal,
/// so an archived request still answers. Oldest record first; the last completion wins.
pub async fn requests_in_journal(
    conn: &mut Conn,
    numbers: &[String],
) -> Result<std::collections::HashMap<String, RequestInJournal>, Error> {
    let mut found: std::collections::HashMap<String, RequestInJournal> =
        std::collections::HashMap::new();
    for chunk in numbers.chunks(100) {
        // A task's key names its case by id (`task:<id>:…`): the ids of the cases still in
        // the working tables (an archived request keeps who filed it).
        let marks = vec!["?"; chunk.len()].join(", ");
        let ids: Vec<(i64, String)> = on!(conn, |c| {
            let mut query = sqlx::query(sql_owned(format!(
                "select id, number from cases where number in ({marks})"
            )));
            for number in chunk {
                query = query.bind(number.clone());
            }
            let rows = query.fetch_all(&mut *c).await?;
            rows.iter()
                .map(|r| Ok::<_, Error>((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, _>>()?
        });
        let by_task: std::collections::HashMap<String, String> = ids
            .iter()
            .map(|(id, number)| (format!("task:{id}:"), number.clone()))
            .collect();
        let mut wanted = vec!["object = ?"; chunk.len()];
        wanted.extend(vec!["object like ?"; ids.len()]);
        let text = format!(
            "select action, actor, object, at, details from audit \
             where action in ('case_submitted', 'task_completed') and ({}) order by seq",
            wanted.join(" or ")
        );
        let rows: Vec<(String, String, String, DateTime<Utc>, serde_json::Value)> =
            on!(conn, |c| {
                let mut query = sqlx::query(sql_owned(text));
                for number in chunk {
                    query = query.bind(number.clone());
                }
                for (id, _) in &ids {
                    query = query.bind(format!("task:{id}:%"));
                }
                let rows = query.fetch_all(&mut *c).await?;
                rows.iter()
                    .map(|r| {
                        // Text on both backends: the canonical JSON the chain sealed.
                        let details: String = r.try_get(4)?;
                        let details = serde_json::from_str(&details).unwrap_or_default();
                        Ok::<_, Error>((
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            read_ts(r, 3)?,
                            details,
                        ))
                    })
                    .collect::<Result<_, _>>()?
            });
        for (action, actor, object, at, details) in rows {
            let number = match by_task
                .iter()
                .find(|(prefix, _)| object.starts_with(*prefix))
            {
                Some((_, number)) => number.clone(),
                None => object.clone(),
            };
            let entry = found.entry(number).or_default();
            if action == "case_submitted" {
                entry.submitted_at = Some(at);
                entry.submitted_by = Some(actor);
                entry.service = details
                    .get("service")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string);
            } else {
                entry.completed_by = Some(actor);
            }
        }
    }
    Ok(found)
}

/// A request as [`requests_in_journal`] finds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInJournal {
    /// When it was filed (the date of the applicant's letter, seeds/003 appendix 1).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who filed it.
    pub submitted_by: Option<String>,
    /// Its service (`access-request`, `password-reset`).
    pub service: Option<String>,
    /// Who last completed one of its tasks.
    pub completed_by: Option<String>,
}
