//! Signing in and out, and changing the password: the same operations as `POST /session`,
//! `DELETE /session` and `POST /session/password`, with the refusals said in the clerk's
//! language beside the form.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde_json::json;

use super::task::drafts;
use super::text;
use super::{Ctx, Fields, PageResult, Person, WebError};
use crate::accounts::{self, SignIn};
use crate::api::auth::{self, Principal, Signed};
use crate::api::{Denial, Why};
use crate::service::Service;
use crate::store;

/// Whoever holds a live session, if anyone: the sign-in page sends them on.
pub struct Visitor(Option<Principal>);

impl FromRequestParts<Service> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Service,
    ) -> Result<Self, Self::Rejection> {
        Ok(Visitor(
            Signed::from_request_parts(parts, state)
                .await
                .ok()
                .map(|Signed(p)| p),
        ))
    }
}

/// Where a signed-in person starts: the password change while the password is temporary.
fn start_page(must_change_password: bool) -> &'static str {
    if must_change_password {
        "/password"
    } else {
        "/queue"
    }
}

/// `GET /`: the sign-in form; someone signed in already goes on to their start page. When a
/// form waits for its clerk (their session expired as they filled it in), the page says so.
pub async fn sign_in_page(
    State(service): State<Service>,
    ctx: Ctx,
    headers: header::HeaderMap,
    Visitor(visitor): Visitor,
) -> PageResult {
    if let Some(p) = visitor {
        return Ok(Redirect::to(start_page(p.account.must_change_password)).into_response());
    }
    let now = service.engine.shared().clock.now();
    let expired =
        auth::cookie(&headers, RESUME_COOKIE).is_some_and(|id| service.drafts.waits(&id, now));
    Ok(sign_in_form(&ctx, StatusCode::OK, "", None, expired))
}

/// The cookie that brings a clerk whose session expired as they filled in a task's form back
/// to it after signing in: the id of the values kept ([`drafts`]), nothing else — no personal
/// data leaves the server. It opens nothing by itself: the values go only to the login they
/// were kept for.
pub const RESUME_COOKIE: &str = "qyzmet_resume";

/// The `Set-Cookie` value that remembers draft `id` for the sign-in, as long as it is kept.
pub fn resume_cookie(id: &str) -> header::HeaderValue {
    header::HeaderValue::from_str(&format!(
        "{RESUME_COOKIE}={id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        drafts::LIFETIME.num_seconds()
    ))
    .expect("a draft's id is ASCII")
}

/// The `Set-Cookie` value that forgets the draft: the clerk is back at the form.
fn resume_cleared() -> header::HeaderValue {
    header::HeaderValue::from_str(&format!(
        "{RESUME_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"
    ))
    .expect("ASCII")
}

/// The login of the session cookie `headers` carry when that session has ended (idle too
/// long, or past its lifetime) and `csrf` is that session's own CSRF token: the form was
/// filled in in that very session, not posted by another site. `None` otherwise — no cookie,
/// a live session (then this is not why the request was refused), a session deleted (signed
/// out, a password changed, an account blocked), another token, an account no longer active.
pub async fn expired_login(
    service: &Service,
    headers: &header::HeaderMap,
    csrf: Option<&str>,
) -> Option<String> {
    let token = auth::cookie(headers, auth::COOKIE)?;
    let csrf = csrf.filter(|c| !c.is_empty())?;
    let engine = &service.engine;
    let now = engine.shared().clock.now();
    let mut conn = engine.store().read().await.ok()?;
    let session = store::accounts::session_by_token(&mut conn, &token)
        .await
        .ok()??;
    if session.is_live(now) || session.csrf_token != csrf {
        return None;
    }
    let account = store::accounts::account_by_id(&mut conn, session.account_id)
        .await
        .ok()??;
    account.is_active().then_some(account.login)
}

/// The cookie that pairs a sign-in form with its browser (a double-submit token): there is
/// no session yet to hold a CSRF token, and without one another site could post its own
/// login and password to `/` and sign the clerk's browser in as somebody else.
const SIGN_IN_COOKIE: &str = "qyzmet_signin";

fn sign_in_form(
    ctx: &Ctx,
    status: StatusCode,
    login: &str,
    refusal: Option<String>,
    expired: bool,
) -> axum::response::Response {
    let token = accounts::token::new_token();
    let mut page = ctx.page(
        status,
        None,
        "sign_in",
        json!({
            "title": text::get(ctx.lang, "sign_in_title"),
            "login": login,
            "refusal": refusal,
            "expired": expired.then(|| text::get(ctx.lang, "task_session_expired")),
            "csrf": token,
        }),
    );
    let cookie = format!(
        "{SIGN_IN_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=3600"
    );
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        page.headers_mut().append(header::SET_COOKIE, value);
    }
    page
}

/// `POST /`: signs in and sets the API's session cookie; a refusal is said beside the form.
pub async fn sign_in(
    State(service): State<Service>,
    ctx: Ctx,
    headers: header::HeaderMap,
    form: Fields,
) -> PageResult {
    let login = form.text("login");
    let paired = auth::cookie(&headers, SIGN_IN_COOKIE)
        .is_some_and(|c| !c.is_empty() && form.get("csrf") == Some(c.as_str()));
    if !paired {
        // Journalled like any refusal, as nobody's: no one is signed in yet, and the login
        // typed is not to be trusted (nor kept: people type passwords into it).
        let form = sign_in_form(
            &ctx,
            StatusCode::FORBIDDEN,
            &login,
            text::get(ctx.lang, "sign_in_expired").map(str::to_string),
            false,
        );
        return Ok(Denial::new(crate::audit::ANONYMOUS, Why::Csrf).attach(form));
    }
    let outcome = auth::signing_in(
        &service.engine,
        login.trim(),
        &form.text("password"),
        ctx.source_ip(),
    )
    .await?;
    match outcome {
        SignIn::Success {
            token,
            session,
            must_change_password,
            ..
        } => {
            let now = service.engine.shared().clock.now();
            let mut response = (
                [(
                    header::SET_COOKIE,
                    auth::session_cookie(&token, session.expires_at, now),
                )],
                Redirect::to(start_page(must_change_password)),
            )
                .into_response();
            // Back to the form the session expired on, with what was typed, when it is this
            // login's; the password comes first when it is temporary.
            let back = auth::cookie(&headers, RESUME_COOKIE).and_then(|id| {
                service
                    .drafts
                    .expired_task(&id, login.trim(), now)
                    .map(|key| format!("/queue/{key}?draft={id}#task-form"))
            });
            if let Some(back) = back.filter(|_| !must_change_password) {
                if let Ok(location) = header::HeaderValue::from_str(&back) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, resume_cleared());
            }
            Ok(response)
        }
        // One answer whatever the reason, as the API's: the journal keeps why.
        SignIn::Refused => Ok(sign_in_form(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &login,
            text::get(ctx.lang, "refused").map(str::to_string),
            false,
        )),
    }
}

/// `GET /password`: the password change, which a temporary password must go through first.
pub async fn password_page(ctx: Ctx, Person(p): Person) -> PageResult {
    Ok(password_form(&ctx, &p, StatusCode::OK, json!({})))
}

fn password_form(
    ctx: &Ctx,
    p: &Principal,
    status: StatusCode,
    errors: serde_json::Value,
) -> axum::response::Response {
    ctx.page(
        status,
        Some(p),
        "password",
        json!({
            "title": text::get(ctx.lang, "password_title"),
            "temporary": p.account.must_change_password,
            "errors": errors,
        }),
    )
}

/// `POST /password`: changes the password; each mistake is said beside its field. The
/// clerk's other sessions end (another browser is sent to the sign-in form), and this one
/// goes on under a new cookie.
pub async fn change_password(
    State(service): State<Service>,
    ctx: Ctx,
    Person(p): Person,
    form: Fields,
) -> PageResult {
    let t = |key| text::get(ctx.lang, key).unwrap_or_default();
    let (current, new, repeat) = (form.text("current"), form.text("new"), form.text("repeat"));
    if new != repeat {
        return Ok(password_form(
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "repeat": t("password_mismatch") }),
        ));
    }
    let errors = match auth::password_change(&service.engine, &p, &current, &new, ctx.source_ip())
        .await?
    {
        // The session goes on under a new cookie; every other one of the account has ended.
        Ok(cookie) => {
            let mut response = Redirect::to("/queue").into_response();
            if let Some(cookie) = cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            return Ok(response);
        }
        Err(accounts::Error::WrongPassword) => json!({ "current": t("password_wrong_current") }),
        Err(accounts::Error::Policy(rules)) => {
            let broken: Vec<String> = rules.iter().map(|r| t(rule_key(*r)).to_string()).collect();
            json!({ "new": format!("{} {}.", t("password_refused"), broken.join("; ")) })
        }
        Err(other) => return Err(WebError::Api(auth::account_error(other))),
    };
    Ok(password_form(
        &ctx,
        &p,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
    ))
}

fn rule_key(rule: accounts::Rule) -> &'static str {
    use accounts::Rule as R;
    match rule {
        R::TooShort => "rule_too_short",
        R::TooLong => "rule_too_long",
        R::NoLetter => "rule_no_letter",
        R::NoDigit => "rule_no_digit",
        R::SameAsLogin => "rule_same_as_login",
        R::SameAsTemporary => "rule_same_as_temporary",
        R::SameAsCurrent => "rule_same_as_current",
    }
}

/// `POST /signout`: ends the session and clears its cookie.
pub async fn sign_out(State(service): State<Service>, Person(p): Person) -> PageResult {
    auth::signing_out(&service.engine, &p).await?;
    Ok((
        [(header::SET_COOKIE, auth::cleared_cookie())],
        Redirect::to("/"),
    )
        .into_response())
}
