//! Who is asking: sign-in, sessions, API tokens, and the [`Principal`] every protected
//! handler takes.
//!
//! People sign in with a login and a password (`POST /session`) and get a session cookie:
//! `HttpOnly` (no script reads it), `Secure`, `SameSite=Strict` (no other site's page sends
//! it). A request that changes something with that cookie must also carry the session's CSRF
//! token, in the `X-CSRF-Token` header or a form's `csrf` field. Systems (the portal, the
//! contact centre, Prometheus) send `Authorization: Bearer <token>` instead: a token acts
//! as its account, with that account's roles and region, and needs no CSRF token.
//!
//! A session whose account still has its temporary password may only change it (seeds/003
//! item 24): every other call answers 403 `password_change_required`.
//!
//! **Architecture Invariant:** a handler that acts for someone takes a [`Principal`]; the
//! actor of what it does is the principal's login, never a name from the request body.

use axum::Json;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::denial::{Denial, Why};
use super::{ApiError, ApiResult, Body, ErrorBody, Source};
use crate::accounts::{self, Account, Role, Session, SignIn};
use crate::store;
use crate::worker::Engine;

/// The session cookie's name.
pub const COOKIE: &str = "qyzmet_session";

/// The header that carries the CSRF token on calls made with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session's last-seen time is written at most this often: each request would otherwise
/// be a write through the one writer.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Who a request acts for.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub account: Account,
    /// The browser session, when the request came with the cookie; `None` for a token.
    pub session: Option<Session>,
}

impl Principal {
    /// The login the actions are journalled under.
    pub fn login(&self) -> &str {
        &self.account.login
    }

    /// Refuses with 403 unless the account has one of `roles`; the refusal is journalled
    /// by the router's layer ([`super::denial`]).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.account.has_role(*r)) {
            Ok(())
        } else {
            Err(self.denied(Why::Role(roles.to_vec())))
        }
    }

    /// Refuses with 403 unless the account works in `region`; journalled as
    /// [`Principal::require`]'s.
    pub fn require_region(&self, region: &str) -> Result<(), ApiError> {
        if self.account.covers_region(region) {
            Ok(())
        } else {
            Err(self.denied(Why::Region(region.to_string())))
        }
    }

    /// The refusal of this principal, for `why`.
    pub fn denied(&self, why: Why) -> ApiError {
        Denial::new(self.login(), why).into()
    }
}

/// The principal, before the temporary-password rule: what the password change itself
/// takes.
pub struct Signed(pub Principal);

impl<S> FromRequestParts<S> for Signed
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let engine = Engine::from_ref(state);
        let now = engine.shared().clock.now();
        // A reader from the pool for the look-ups, given back before anything is written.
        let mut conn = engine.store().read().await.map_err(internal)?;
        if let Some(token) = bearer(&parts.headers) {
            let found = store::accounts::api_token(&mut conn, &token)
                .await
                .map_err(internal)?;
            let Some(t) = found else {
                return Err(ApiError::Unauthenticated);
            };
            let account = active(&mut conn, t.account_id).await?;
            drop(conn);
            // A token's use counts as the account's use, and is the token's "last used",
            // written at most hourly (a write per request would queue every call behind the
            // one writer).
            if t.last_used_at
                .is_none_or(|at| now - at >= Duration::hours(1))
            {
                let (account_id, token_id) = (account.id, t.id);
                best_effort(&engine, "a token's use", move |conn, now| {
                    Box::pin(async move {
                        store::accounts::record_token_use(conn, account_id, token_id, now).await
                    })
                })
                .await;
            }
            return Ok(Signed(Principal {
                account,
                session: None,
            }));
        }
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(ApiError::Unauthenticated);
        };
        let session = store::accounts::session_by_token(&mut conn, &token)
            .await
            .map_err(internal)?
            .filter(|s| s.is_live(now))
            .ok_or(ApiError::Unauthenticated)?;
        let account = active(&mut conn, session.account_id).await?;
        drop(conn);
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| parts.extensions.get::<FormCsrf>().map(|f| f.0.clone()));
            if sent.as_deref() != Some(session.csrf_token.as_str()) {
                return Err(Denial::new(&account.login, Why::Csrf).into());
            }
        }
        if now - session.last_seen_at >= TOUCH_EVERY {
            let id = session.id.clone();
            best_effort(&engine, "a session's last-seen time", move |conn, now| {
                let id = id.clone();
                Box::pin(async move { store::accounts::touch(conn, &id, now).await })
            })
            .await;
        }
        Ok(Signed(Principal {
            account,
            session: Some(session),
        }))
    }
}

impl<S> FromRequestParts<S> for Principal
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Signed(p) = Signed::from_request_parts(parts, state).await?;
        // A person with the temporary password; a system's token has no password to change.
        if p.session.is_some() && p.account.must_change_password {
            return Err(p.denied(Why::PasswordChangeRequired));
        }
        Ok(p)
    }
}

/// Writes a use of a token or a session through the writer. A failure is logged, not
/// answered: the request it came with is allowed all the same, and the next one writes again.
async fn best_effort<F>(engine: &Engine, what: &'static str, f: F)
where
    F: for<'c> Fn(
            &'c mut store::Conn,
            DateTime<Utc>,
        )
            -> crate::worker::jobs::BoxFuture<'c, Result<(), store::accounts::Error>>
        + Send
        + Sync
        + 'static,
{
    match engine.transact(f).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "{what} was not written"),
        Err(e) => tracing::warn!(error = %e, "{what} was not written"),
    }
}

/// A CSRF token a page's form carried, put where the extractor finds it by the page
/// handler that parsed the form.
#[derive(Debug, Clone)]
pub struct FormCsrf(pub String);

async fn active(conn: &mut store::Conn, id: i64) -> Result<Account, ApiError> {
    store::accounts::account_by_id(conn, id)
        .await
        .map_err(internal)?
        .filter(Account::is_active)
        .ok_or(ApiError::Unauthenticated)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "reading accounts failed");
    ApiError::Internal
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> HeaderValue {
    let max_age = (expires_at - now).num_seconds().max(0);
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}"
    ))
    .expect("a token is ASCII")
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "qyzmet_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
    )
}

/// The session endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, whoami, sign_out))
        .routes(routes!(change_password))
}

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    /// The login.
    login: String,
    /// The password.
    password: String,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
struct Me {
    /// The login.
    login: String,
    /// The roles.
    #[schema(value_type = Vec<String>)]
    roles: Vec<Role>,
    /// The region (`kz`: the whole republic).
    region: String,
    /// The temporary password must be changed before anything else.
    must_change_password: bool,
    /// The session's CSRF token, to send as `X-CSRF-Token` with the cookie on every call
    /// that is not a GET; only in the answer to the sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

/// Signs in; what the page and the API share. The password is checked first, on a blocking
/// thread and outside the writer's transaction: every attempt costs one Argon2 verification
/// whatever it comes to (`accounts::sign_in::check`), so neither the answer nor its time
/// says why a sign-in was refused, and the one writer is not held while Argon2 runs.
pub async fn signing_in(
    engine: &Engine,
    login: &str,
    password: &str,
    source: Option<String>,
) -> Result<SignIn, ApiError> {
    let account = {
        let mut conn = engine.store().read().await.map_err(internal)?;
        accounts::sign_in_account(&mut conn, login)
            .await
            .map_err(account_error)?
    };
    let password = password.to_string();
    // At most a few at once (`accounts::argon2`): a flood of sign-ins waits its turn rather
    // than take every thread and its memory; the wait tells nothing of why either.
    let checked = accounts::argon2(move || accounts::sign_in::check(account, &password))
        .await
        .map_err(account_error)?
        .map_err(|e| account_error(e.into()))?;
    engine
        .transact(move |conn, now| {
            let (checked, source) = (checked.clone(), source.clone());
            Box::pin(async move {
                accounts::sign_in_checked(conn, &checked, source.as_deref(), now).await
            })
        })
        .await?
        .map_err(account_error)
}

/// Signs in with a login and a password; sets the session cookie and answers the session's
/// CSRF token. Five wrong passwords in a row from one client address lock that address out
/// of the account for 15 minutes (the owner signs in from elsewhere meanwhile); ten in a row
/// from anywhere block the account as a security violation, except the last active
/// administrator and a system's account with API tokens, which stay active (the violation
/// is journalled as `security_violation`). Every refusal is the same answer — a wrong
/// password, an unknown login, a locked address, a blocked account — in the same time; the
/// journal keeps the reason (`sign_in_failed`).
#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    security(()),
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in; the `Set-Cookie` header carries the session", body = Me,
            headers(("set-cookie" = String, description = "`qyzmet_session=…; HttpOnly; Secure; SameSite=Strict`"))),
        (status = 401, description = "Refused (`sign_in_refused`): one answer, whether the login is unknown, the password wrong, the address locked out or the account blocked", body = ErrorBody),
        (status = 422, description = "The body is wrong", body = ErrorBody),
    ),
)]
async fn sign_in(
    State(engine): State<Engine>,
    source: Source,
    Body(body): Body<SignInBody>,
) -> ApiResult<Response> {
    let now = engine.shared().clock.now();
    match signing_in(&engine, &body.login, &body.password, source.0).await? {
        SignIn::Success {
            account,
            token,
            session,
            must_change_password,
        } => Ok((
            StatusCode::OK,
            [(
                header::SET_COOKIE,
                session_cookie(&token, session.expires_at, now),
            )],
            Json(Me {
                login: account.login,
                roles: account.roles,
                region: account.region,
                must_change_password,
                csrf_token: Some(session.csrf_token),
            }),
        )
            .into_response()),
        SignIn::Refused => Err(ApiError::SignInRefused),
    }
}

/// Who the session or token signs in, also while the temporary password waits to be
/// changed.
#[utoipa::path(
    get,
    path = "/session",
    tag = "session",
    responses((status = 200, description = "The principal", body = Me)),
)]
async fn whoami(Signed(p): Signed) -> Json<Me> {
    Json(Me {
        login: p.account.login,
        roles: p.account.roles,
        region: p.account.region,
        must_change_password: p.account.must_change_password,
        csrf_token: None,
    })
}

/// Ends the session and clears the cookie (a token has no session to end).
#[utoipa::path(
    delete,
    path = "/session",
    tag = "session",
    responses((status = 204, description = "Signed out; the cookie is cleared")),
)]
async fn sign_out(State(engine): State<Engine>, Signed(p): Signed) -> ApiResult<Response> {
    signing_out(&engine, &p).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_cookie())],
    )
        .into_response())
}

/// Ends the principal's browser session (a token has none to end) and journals it; what
/// the page and the API share.
pub async fn signing_out(engine: &Engine, p: &Principal) -> Result<(), ApiError> {
    if let Some(s) = &p.session {
        let id = s.id.clone();
        let login = p.account.login.clone();
        engine
            .transact(move |conn, now| {
                let (id, login) = (id.clone(), login.clone());
                Box::pin(async move {
                    store::accounts::delete_session(conn, &id)
                        .await
                        .map_err(|e| e.to_string())?;
                    store::audit::append(
                        conn,
                        &crate::audit::Entry::new(&login, crate::audit::Action::SignOut)
                            .object(&login),
                        now,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                    Ok::<_, String>(())
                })
            })
            .await?
            .map_err(internal)?;
    }
    Ok(())
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    /// The password in use (the temporary one, at first).
    current: String,
    /// The new one, by the policy (`accounts::password`): long enough, with a letter and a
    /// digit, not the login.
    new: String,
}

/// Changes the principal's password; what the API says of it: the `Set-Cookie` value of
/// the renewed session, when the change was made in one (see [`password_change`]).
pub async fn changing_password(
    engine: &Engine,
    p: &Principal,
    current: &str,
    new: &str,
    source: Option<String>,
) -> Result<Option<HeaderValue>, ApiError> {
    password_change(engine, p, current, new, source)
        .await?
        .map_err(account_error)
}

/// Changes the principal's password. Every other session of the account ends, and the one
/// the change is made in is renewed (`accounts::change_password`): the answer is the
/// `Set-Cookie` value of its new token — the old cookie opens nothing any more, the CSRF
/// token stays. The inner error is the account's refusal (a wrong current password, the
/// policy's rules broken) kept whole, for the page to say it in the clerk's language beside
/// its field. The outer one is the engine's failure.
pub async fn password_change(
    engine: &Engine,
    p: &Principal,
    current: &str,
    new: &str,
    source: Option<String>,
) -> Result<Result<Option<HeaderValue>, accounts::Error>, ApiError> {
    // Both Argon2 computations (the current password verified, the new one hashed) before
    // the writer's transaction, against the account as the request read it; the
    // transaction checks that its hash is still the one verified.
    let change = match accounts::check_password_change(&p.account, current, new).await {
        Ok(change) => change,
        Err(refused) => return Ok(Err(refused)),
    };
    let session = p.session.as_ref().map(|s| s.id.clone());
    let renewed = engine
        .transact(move |conn, now| {
            let (change, session, source) = (change.clone(), session.clone(), source.clone());
            Box::pin(async move {
                accounts::change_password(conn, &change, session.as_deref(), source.as_deref(), now)
                    .await
            })
        })
        .await?;
    let now = engine.shared().clock.now();
    Ok(renewed.map(|token| {
        token
            .zip(p.session.as_ref())
            .map(|(token, session)| session_cookie(&token, session.expires_at, now))
    }))
}

/// Changes the principal's password; what a session with the temporary password must do
/// first. Ends every other session of the account (and with an API token, every one); the
/// session it is made in goes on under a new cookie (`Set-Cookie`), with the same CSRF token.
#[utoipa::path(
    post,
    path = "/session/password",
    tag = "session",
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Changed; every other session of the account is ended",
            headers(("set-cookie" = String, description = "With a session: its new token, `qyzmet_session=…` (the old one no longer signs in); the CSRF token is unchanged"))),
        (status = 422, description = "The current password is wrong, or the new one breaks the policy; `fields` says which", body = ErrorBody),
    ),
)]
async fn change_password(
    State(engine): State<Engine>,
    source: Source,
    Signed(p): Signed,
    Body(body): Body<PasswordBody>,
) -> ApiResult<Response> {
    let cookie = changing_password(&engine, &p, &body.current, &body.new, source.0).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// An account operation's refusal as the API says it.
pub fn account_error(e: accounts::Error) -> ApiError {
    use accounts::Error as E;
    match e {
        E::LoginTaken(_) => ApiError::Conflict(e.to_string()),
        E::InvalidLogin(_) | E::InvalidRegion(_) | E::NoRole => {
            ApiError::Invalid(e.to_string(), Value::Null)
        }
        E::WrongPassword => ApiError::Invalid(
            e.to_string(),
            json!([{ "field": "current", "message": e.to_string() }]),
        ),
        E::Policy(_) => ApiError::Invalid(
            e.to_string(),
            json!([{ "field": "new", "message": e.to_string() }]),
        ),
        E::NotFound(_) | E::NoSuchToken(..) => ApiError::NotFound(e.to_string()),
        E::LastAdministrator(_) => ApiError::LastAdministrator(e.to_string()),
        // The account is not in the state the operation is for: say which, and what to do.
        E::NothingToUnlock(_) | E::Blocked(_) | E::NotBlocked(_) | E::NoEmail(_) => {
            ApiError::Conflict(e.to_string())
        }
        other => {
            tracing::error!(error = %other, "an account operation failed");
            ApiError::Internal
        }
    }
}
