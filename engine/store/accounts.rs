//! Accounts, sessions and API tokens: their rows. The rules they follow are in
//! `crate::accounts`; the functions here write what those decide.
//!
//! Reads take any executor (the pool, or the writer's connection inside its transaction);
//! writes take the writer's connection.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, Row, Sqlite, SqliteConnection};

use super::{json, parse, parse_ts, ts};
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

const ACCOUNT_COLUMNS: &str = "id, login, full_name, email, roles, region, password_hash, \
     must_change_password, status, blocked_reason, blocked_at, created_at, created_by, \
     reactivated_at, last_sign_in_at, failed_sign_ins, password_changed_at, basis";

/// Inserts an account, active; [`Error::LoginTaken`] when the login exists in any case.
pub async fn create_account(
    conn: &mut SqliteConnection,
    new: &NewAccount,
    password_hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<Account, Error> {
    let now_s = ts(now);
    let inserted = sqlx::query(
        "insert into accounts (login, full_name, email, roles, region, password_hash, \
         must_change_password, status, created_at, created_by, failed_sign_ins, password_changed_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, 0, ?8) returning id",
    )
    .bind(&new.login)
    .bind(&new.full_name)
    .bind(&new.email)
    .bind(json(&new.roles))
    .bind(&new.region)
    .bind(password_hash)
    .bind(must_change_password)
    .bind(&now_s)
    .bind(&new.created_by)
    .fetch_one(&mut *conn)
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.get(0),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::LoginTaken(new.login.clone()));
        }
        Err(e) => return Err(e.into()),
    };
    account_by_id(&mut *conn, id).await?.ok_or_else(|| {
        Error::Store(super::Error::Corrupt {
            what: "account",
            message: format!("account {id} vanished after its insert"),
        })
    })
}

/// The account with `login`, in any case.
pub async fn account_by_login<'e, E>(db: E, login: &str) -> Result<Option<Account>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {ACCOUNT_COLUMNS} from accounts where login = ?"
    )))
    .bind(login)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(account).transpose()
}

/// The account with row id `id`.
pub async fn account_by_id<'e, E>(db: E, id: i64) -> Result<Option<Account>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {ACCOUNT_COLUMNS} from accounts where id = ?"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(account).transpose()
}

/// Every account, by login.
pub async fn list_accounts<'e, E>(db: E) -> Result<Vec<Account>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {ACCOUNT_COLUMNS} from accounts order by login"
    )))
    .fetch_all(db)
    .await?;
    rows.iter().map(account).collect()
}

/// How many accounts there are (none: a fresh installation).
pub async fn count_accounts<'e, E>(db: E) -> Result<i64, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query("select count(*) from accounts")
        .fetch_one(db)
        .await?;
    Ok(row.get(0))
}

/// A successful sign-in from source `source` (a [`crate::accounts::sign_in::source_key`]):
/// the time, the account's failure count cleared, and that source's record of wrong
/// passwords with it. Other sources' records stay: the right password typed at one desk
/// says nothing of the guesses made from another address.
pub async fn record_sign_in_success(
    conn: &mut SqliteConnection,
    id: i64,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query("update accounts set last_sign_in_at = ?, failed_sign_ins = 0 where id = ?")
        .bind(ts(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from sign_in_throttle where account_id = ? and source = ?")
        .bind(id)
        .bind(source)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The record of wrong passwords from `source` on account `id` (none yet: the default).
pub async fn attempts<'e, E>(db: E, id: i64, source: &str) -> Result<Attempts, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(
        "select failures, locked_until, updated_at from sign_in_throttle where account_id = ? and source = ?",
    )
    .bind(id)
    .bind(source)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else {
        return Ok(Attempts::default());
    };
    Ok(Attempts {
        failures: u32::try_from(r.get::<i64, _>(0)).unwrap_or(u32::MAX),
        locked_until: r.get::<Option<&str>, _>(1).map(parse_ts).transpose()?,
        last_failure_at: Some(parse_ts(r.get(2))?),
    })
}

/// A wrong password from `source`: the account's new count, and the source's count and the
/// lock it brings if any.
pub async fn record_sign_in_failure(
    conn: &mut SqliteConnection,
    id: i64,
    failed_sign_ins: u32,
    source: &str,
    source_failures: u32,
    locked_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query("update accounts set failed_sign_ins = ? where id = ?")
        .bind(i64::from(failed_sign_ins))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into sign_in_throttle (account_id, source, failures, locked_until, created_at, updated_at) \
         values (?1, ?2, ?3, ?4, ?5, ?5) \
         on conflict (account_id, source) do update set \
           failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(source)
    .bind(i64::from(source_failures))
    .bind(locked_until.map(ts))
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the records of sources whose last wrong password is older than `before` (and so
/// is any lock it brought): [`crate::accounts::sign_in::decide`] ignores them already; this
/// keeps the table from growing with every address that ever mistyped. Returns how many went.
pub async fn forget_attempts(
    conn: &mut SqliteConnection,
    before: DateTime<Utc>,
) -> Result<u64, Error> {
    let done = sqlx::query("delete from sign_in_throttle where updated_at < ?")
        .bind(ts(before))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Whether another active account than `id` has the administrator's role: if not, `id` is
/// the last one who can unblock anybody.
pub async fn another_active_administrator<'e, E>(db: E, id: i64) -> Result<bool, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(
        "select exists (select 1 from accounts a, json_each(a.roles) r \
         where a.id <> ? and a.status = 'active' and r.value = 'administrator')",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(row.get::<bool, _>(0))
}

/// Whether account `id` holds an API token that is not revoked: a system's account.
pub async fn holds_api_token<'e, E>(db: E, id: i64) -> Result<bool, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(
        "select exists (select 1 from api_tokens where account_id = ? and revoked_at is null)",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(row.get::<bool, _>(0))
}

/// Whether an active account with `role` holds an API token that is not revoked: whether
/// the system of that role can call the endpoints kept for it at all.
pub async fn role_holds_api_token<'e, E>(db: E, role: crate::accounts::Role) -> Result<bool, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(
        "select exists (select 1 from accounts a, json_each(a.roles) r, api_tokens t \
         where a.status = 'active' and r.value = ? and t.account_id = a.id and t.revoked_at is null)",
    )
    .bind(role.as_str())
    .fetch_one(db)
    .await?;
    Ok(row.get::<bool, _>(0))
}

/// Sets the password hash and whether it is a temporary one.
pub async fn set_password(
    conn: &mut SqliteConnection,
    id: i64,
    password_hash: &str,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update accounts set password_hash = ?, must_change_password = ?, password_changed_at = ? where id = ?",
    )
    .bind(password_hash)
    .bind(must_change_password)
    .bind(ts(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Blocks every active account last used before `cutoff` (its last sign-in, or its
/// creation or reactivation if later) and deletes their sessions; returns their logins.
/// One statement for the accounts, so the sweep is all or nothing. Each block is news for
/// the administrators' next report ([`report_unused_blocks`]).
pub async fn block_unused(
    conn: &mut SqliteConnection,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(
        "update accounts set status = 'blocked', blocked_reason = 'unused_30_days', blocked_at = ?1, \
         block_reported_in = null \
         where status = 'active' \
           and max(created_at, coalesce(reactivated_at, created_at), coalesce(last_sign_in_at, created_at)) < ?2 \
         returning id, login",
    )
    .bind(ts(now))
    .bind(ts(cutoff))
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        delete_sessions_of(conn, r.get(0)).await?;
    }
    let mut logins: Vec<String> = rows.iter().map(|r| r.get(1)).collect();
    logins.sort();
    Ok(logins)
}

/// Blocks `login` for `reason` and deletes its sessions; `false` when it was not active. A
/// block as unused is news for the administrators' next report ([`report_unused_blocks`]).
pub async fn block(
    conn: &mut SqliteConnection,
    login: &str,
    reason: BlockReason,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let row = sqlx::query(
        "update accounts set status = 'blocked', blocked_reason = ?, blocked_at = ?, \
         block_reported_in = null \
         where login = ? and status = 'active' returning id",
    )
    .bind(reason.as_str())
    .bind(ts(now))
    .bind(login)
    .fetch_optional(&mut *conn)
    .await?;
    sessions_ended(conn, row).await
}

/// Sets `login` active again with a new temporary password: no failures, no source locked
/// out of it, its sessions deleted, `reactivated_at` now. `false` when there is no such
/// account.
pub async fn reactivate(
    conn: &mut SqliteConnection,
    login: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let now_s = ts(now);
    let row = sqlx::query(
        "update accounts set status = 'active', blocked_reason = null, blocked_at = null, \
         password_hash = ?1, must_change_password = 1, password_changed_at = ?2, \
         reactivated_at = ?2, failed_sign_ins = 0 \
         where login = ?3 returning id",
    )
    .bind(password_hash)
    .bind(&now_s)
    .bind(login)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = &row {
        sqlx::query("delete from sign_in_throttle where account_id = ?")
            .bind(r.get::<i64, _>(0))
            .execute(&mut *conn)
            .await?;
    }
    sessions_ended(conn, row).await
}

/// Opens a session for `account_id`: returns the token for the cookie (only its hash is
/// stored) and the session, with a new CSRF token.
pub async fn create_session(
    conn: &mut SqliteConnection,
    account_id: i64,
    ip: Option<&str>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(String, Session), Error> {
    let token = new_token();
    let session = Session {
        id: token_hash(&token),
        account_id,
        csrf_token: new_token(),
        created_at: parse_ts(&ts(now))?,
        expires_at: parse_ts(&ts(expires_at))?,
        last_seen_at: parse_ts(&ts(now))?,
        ip: ip.map(str::to_string),
    };
    sqlx::query(
        "insert into sessions (id, account_id, csrf_token, created_at, expires_at, last_seen_at, ip) \
         values (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&session.id)
    .bind(session.account_id)
    .bind(&session.csrf_token)
    .bind(ts(session.created_at))
    .bind(ts(session.expires_at))
    .bind(ts(session.last_seen_at))
    .bind(&session.ip)
    .execute(&mut *conn)
    .await?;
    Ok((token, session))
}

/// The session a token opens, live or not (the caller checks [`Session::is_live`]).
pub async fn session_by_token<'e, E>(db: E, token: &str) -> Result<Option<Session>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(
        "select id, account_id, csrf_token, created_at, expires_at, last_seen_at, ip from sessions where id = ?",
    )
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Session {
            id: r.get(0),
            account_id: r.get(1),
            csrf_token: r.get(2),
            created_at: parse_ts(r.get(3))?,
            expires_at: parse_ts(r.get(4))?,
            last_seen_at: parse_ts(r.get(5))?,
            ip: r.get(6),
        })
    })
    .transpose()
}

/// Records a request made with session `id`.
pub async fn touch(conn: &mut SqliteConnection, id: &str, now: DateTime<Utc>) -> Result<(), Error> {
    sqlx::query("update sessions set last_seen_at = ? where id = ?")
        .bind(ts(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends session `id` (sign-out).
pub async fn delete_session(conn: &mut SqliteConnection, id: &str) -> Result<(), Error> {
    sqlx::query("delete from sessions where id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends every session of account `account_id` but `keep` (the one its password was just
/// changed in); returns how many ended.
pub async fn delete_other_sessions(
    conn: &mut SqliteConnection,
    account_id: i64,
    keep: &str,
) -> Result<u64, Error> {
    let done = sqlx::query("delete from sessions where account_id = ? and id <> ?")
        .bind(account_id)
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Gives session `id` a new token, keeping everything else (its CSRF token, its lifetime):
/// returns the token for the cookie, or `None` when there is no such session. The old token
/// opens nothing from then on.
pub async fn renew_session(conn: &mut SqliteConnection, id: &str) -> Result<Option<String>, Error> {
    let token = new_token();
    let done = sqlx::query("update sessions set id = ? where id = ?")
        .bind(token_hash(&token))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok((done.rows_affected() == 1).then_some(token))
}

/// Ends every session of an account (blocked, reactivated, its rights changed, a temporary
/// password issued).
pub async fn delete_sessions_of(
    conn: &mut SqliteConnection,
    account_id: i64,
) -> Result<u64, Error> {
    let done = sqlx::query("delete from sessions where account_id = ?")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Issues an API token named `name` for the system account `account_id`: returns the token,
/// shown once, and the stored row (its hash).
pub async fn create_api_token(
    conn: &mut SqliteConnection,
    account_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, ApiToken), Error> {
    let token = new_token();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "insert into api_tokens (hash, name, account_id, created_at, updated_at) \
         values (?1, ?2, ?3, ?4, ?4) returning {TOKEN_COLUMNS}"
    )))
    .bind(token_hash(&token))
    .bind(name)
    .bind(account_id)
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    Ok((token, api_token_row(&row)?))
}

const TOKEN_COLUMNS: &str = "id, hash, name, account_id, created_at, last_used_at, revoked_at";

fn api_token_row(r: &SqliteRow) -> Result<ApiToken, Error> {
    let optional_ts = |i: usize| r.get::<Option<&str>, _>(i).map(parse_ts).transpose();
    Ok(ApiToken {
        id: r.get(0),
        hash: r.get(1),
        name: r.get(2),
        account_id: r.get(3),
        created_at: parse_ts(r.get(4))?,
        last_used_at: optional_ts(5)?,
        revoked_at: optional_ts(6)?,
    })
}

/// The unrevoked API token `token` is, if any.
pub async fn api_token<'e, E>(db: E, token: &str) -> Result<Option<ApiToken>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {TOKEN_COLUMNS} from api_tokens where hash = ? and revoked_at is null"
    )))
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?;
    row.as_ref().map(api_token_row).transpose()
}

/// The API tokens of account `account_id` (of every account: `None`), revoked ones too, in
/// the order issued.
pub async fn api_tokens<'e, E>(db: E, account_id: Option<i64>) -> Result<Vec<ApiToken>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {TOKEN_COLUMNS} from api_tokens where ?1 is null or account_id = ?1 order by id"
    )))
    .bind(account_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(api_token_row).collect()
}

/// Token `id` of account `account_id`, revoked or not.
pub async fn api_token_of<'e, E>(db: E, account_id: i64, id: i64) -> Result<Option<ApiToken>, Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {TOKEN_COLUMNS} from api_tokens where id = ? and account_id = ?"
    )))
    .bind(id)
    .bind(account_id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(api_token_row).transpose()
}

/// A system's token was used: for the 30-day rule (seeds/003 item 28) an entrance with a
/// token is an entrance, so the account's last-use time is the token's. Only the times
/// change: the failure count is a person's.
pub async fn record_token_use(
    conn: &mut SqliteConnection,
    account_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query("update accounts set last_sign_in_at = ? where id = ?")
        .bind(ts(now))
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("update api_tokens set last_used_at = ?1, updated_at = ?1 where id = ?2")
        .bind(ts(now))
        .bind(token_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Revokes API token `id`; `false` when there is none or it was revoked already.
pub async fn revoke_api_token(
    conn: &mut SqliteConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let done = sqlx::query(
        "update api_tokens set revoked_at = ?1, updated_at = ?1 where id = ?2 and revoked_at is null",
    )
    .bind(ts(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn account(r: &SqliteRow) -> Result<Account, Error> {
    let status = match r.get::<&str, _>(8) {
        "active" => Status::Active,
        _ => {
            let reason = r.get::<Option<&str>, _>(9).unwrap_or_default();
            Status::Blocked {
                reason: BlockReason::parse(reason).ok_or_else(|| super::Error::Corrupt {
                    what: "account block reason",
                    message: format!("`{reason}`"),
                })?,
                since: r
                    .get::<Option<&str>, _>(10)
                    .map(parse_ts)
                    .transpose()?
                    .ok_or_else(|| super::Error::Corrupt {
                        what: "account",
                        message: "blocked without a time".into(),
                    })?,
            }
        }
    };
    let optional_ts = |i: usize| r.get::<Option<&str>, _>(i).map(parse_ts).transpose();
    Ok(Account {
        id: r.get(0),
        login: r.get(1),
        full_name: r.get(2),
        email: r.get(3),
        roles: parse("account roles", r.get(4))?,
        region: r.get(5),
        password_hash: r.get(6),
        must_change_password: r.get(7),
        status,
        created_at: parse_ts(r.get(11))?,
        created_by: r.get(12),
        reactivated_at: optional_ts(13)?,
        last_sign_in_at: optional_ts(14)?,
        failed_sign_ins: u32::try_from(r.get::<i64, _>(15)).unwrap_or(u32::MAX),
        password_changed_at: parse_ts(r.get(16))?,
        basis: r.get(17),
    })
}

/// The registration number of the case job `key` belongs to: the access request an
/// account change is made on.
pub async fn case_number_of_job(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<String>, Error> {
    let row =
        sqlx::query("select c.number from jobs j join cases c on c.id = j.case_id where j.key = ?")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Marks every account blocked as unused that no report has told yet as told by `report`
/// (the registration number of the nightly case), and returns every account `report` tells,
/// by login: those marked now and those an earlier run of the same job marked (migration
/// 0005).
pub async fn report_unused_blocks(
    conn: &mut SqliteConnection,
    report: &str,
) -> Result<Vec<Account>, Error> {
    sqlx::query(
        "update accounts set block_reported_in = ?1 \
         where status = 'blocked' and blocked_reason = 'unused_30_days' and block_reported_in is null",
    )
    .bind(report)
    .execute(&mut *conn)
    .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {ACCOUNT_COLUMNS} from accounts where block_reported_in = ? order by login"
    )))
    .bind(report)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(account).collect()
}

/// Records the access request an account's last change came from.
pub async fn set_basis(conn: &mut SqliteConnection, id: i64, basis: &str) -> Result<(), Error> {
    sqlx::query("update accounts set basis = ? where id = ?")
        .bind(basis)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces the roles and the region of `login` (seeds/003 item 27) and deletes its
/// sessions, so the new rights hold from the next request on; `false` when there is no
/// such account.
pub async fn change_rights(
    conn: &mut SqliteConnection,
    login: &str,
    roles: &[crate::accounts::Role],
    region: &str,
) -> Result<bool, Error> {
    let row = sqlx::query("update accounts set roles = ?, region = ? where login = ? returning id")
        .bind(json(&roles))
        .bind(region)
        .bind(login)
        .fetch_optional(&mut *conn)
        .await?;
    sessions_ended(conn, row).await
}

/// After an update that `returning id` one account (`row`): its sessions deleted, so the
/// change holds from the next request on; `false` when no account was updated.
async fn sessions_ended(
    conn: &mut SqliteConnection,
    row: Option<SqliteRow>,
) -> Result<bool, Error> {
    match row {
        Some(r) => {
            delete_sessions_of(conn, r.get(0)).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}
