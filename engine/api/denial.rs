//! Refusals for who the caller is — a role the account lacks, a region not its own, a request
//! without the session's CSRF token, a task another clerk holds, a temporary password still to
//! change — and the one place they are journalled.
//!
//! Why one place: a refusal is decided in many (the [`super::auth::Principal`] extractor,
//! `Principal::require`, the operations the pages share with the API, the sign-in form), and
//! issue #19 found that role, CSRF and some region refusals were answered but never
//! journalled, although every action of a user is to be registered (seeds/003 item 7). A
//! refusal is now a value, [`Denial`], carried by [`ApiError::Denied`] (or attached to a page's
//! answer) to the response; the [`journal`] layer of each router writes it as one
//! `access_denied` record, in its own transaction, before the answer leaves. Whichever check
//! refused and whether a page or the API answered, a refusal that reaches the caller is
//! journalled, and exactly once: the layer takes it off the response as it writes it.
//!
//! What is not a refusal here: a request with no session or token at all (401). Nobody is
//! there to name, and an anonymous caller could otherwise fill the append-only journal at
//! will; the sign-in attempts it does keep (`sign_in_failed`) are `accounts::sign_in`'s.

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::ApiError;
use crate::accounts::Role;
use crate::audit::{Action, Entry};
use crate::worker::Engine;

/// A refusal of a signed-in caller (or of the sign-in form), on its way to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Who was refused: the principal's login, or [`crate::audit::ANONYMOUS`] for the
    /// sign-in form, where nobody is signed in yet (the login typed is not trusted, nor kept).
    pub actor: String,
    /// What was refused: a task's key, a case's number, a login, a service; `None`: the
    /// request itself is what the record names (`GET /accounts`, `POST /tasks/QZ-…/claim`).
    pub object: Option<String>,
    /// Why.
    pub why: Why,
}

/// Why a caller was refused: the `reason` of the `access_denied` record. Codes and
/// identifiers only, like everything the journal keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The account has none of these roles.
    Role(Vec<Role>),
    /// What was asked for belongs to this region, and the account works in another.
    Region(String),
    /// A request that changes something came with the session cookie but without the
    /// session's CSRF token (or the sign-in form without the cookie that pairs it with the
    /// browser): another site may be posting in the user's name.
    Csrf,
    /// The session still has its temporary password, which must be changed first (seeds/003
    /// item 24).
    PasswordChangeRequired,
    /// The task is claimed by another clerk: it is theirs to complete or give back.
    AnotherClerksTask,
    /// An endpoint for a system's API token of this role, called with a person's session.
    TokenRequired(Role),
}

impl Why {
    /// The stored reason.
    pub fn code(&self) -> &'static str {
        match self {
            Why::Role(_) => "role",
            Why::Region(_) => "region",
            Why::Csrf => "csrf",
            Why::PasswordChangeRequired => "password_change_required",
            Why::AnotherClerksTask => "another_clerks_task",
            Why::TokenRequired(_) => "token_required",
        }
    }
}

impl Denial {
    /// `actor` refused for `why`, the request being what was refused until [`Denial::on`]
    /// says more.
    pub fn new(actor: impl Into<String>, why: Why) -> Denial {
        Denial {
            actor: actor.into(),
            object: None,
            why,
        }
    }

    /// The refusal of `object` (a task's key, a case's number, a login).
    pub fn on(mut self, object: impl Into<String>) -> Denial {
        self.object = Some(object.into());
        self
    }

    /// `response`, marked for the [`journal`] layer: for an answer that is no
    /// [`ApiError`] (the sign-in form shown again).
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }

    /// The status, code and message the caller gets.
    pub(crate) fn answer(&self) -> (StatusCode, &'static str, String) {
        let forbidden = |m: String| (StatusCode::FORBIDDEN, "forbidden", m);
        match &self.why {
            Why::Role(roles) => forbidden(format!(
                "this needs the role {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            Why::Region(region) => {
                forbidden(format!("this belongs to region `{region}`, not to yours"))
            }
            Why::Csrf => forbidden("the request lacks this session's CSRF token".into()),
            Why::TokenRequired(role) => forbidden(format!(
                "this endpoint is for the account of a system with the role {role}, with its API token"
            )),
            Why::PasswordChangeRequired => (
                StatusCode::FORBIDDEN,
                "password_change_required",
                "change the temporary password first (POST /session/password)".into(),
            ),
            Why::AnotherClerksTask => (
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "task {} is claimed by another clerk",
                    self.object.as_deref().unwrap_or_default()
                ),
            ),
        }
    }

    /// The `access_denied` record of this refusal of `request` (`POST /tasks/QZ-…/claim`,
    /// without its query: the object when the refusal names none) to `route` (its template,
    /// `POST /tasks/{key}/claim`) from `source`.
    pub fn entry(&self, request: &str, route: &str, source: Option<&str>) -> Entry {
        let mut details = json!({ "reason": self.why.code(), "route": route });
        match &self.why {
            Why::Role(roles) => details["needs"] = json!(roles),
            Why::Region(region) => details["region"] = json!(region),
            Why::TokenRequired(role) => details["needs"] = json!(role),
            Why::Csrf | Why::PasswordChangeRequired | Why::AnotherClerksTask => {}
        }
        Entry::new(&self.actor, Action::AccessDenied)
            .source(source)
            .object(self.object.clone().unwrap_or_else(|| request.to_string()))
            .details(details)
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> ApiError {
        ApiError::Denied(Box::new(d))
    }
}

impl ApiError {
    /// A refusal made about `object`: a [`Denial`] that names nothing yet names it; any
    /// other error is left as it is.
    pub fn on(self, object: &str) -> ApiError {
        match self {
            ApiError::Denied(mut d) if d.object.is_none() => {
                d.object = Some(object.to_string());
                ApiError::Denied(d)
            }
            other => other,
        }
    }
}

/// The layer every router (the API, the integrations, the pages) puts around its routes:
/// journals the [`Denial`] a response carries as an `access_denied` record, through the
/// engine's writer, before the response goes — so a test, an auditor or the next request
/// finds it there. The record names the route by its template (`POST /tasks/{key}/claim`),
/// and the source as `Source` does (the TCP peer). A path names identifiers only (numbers,
/// keys, logins); the query, which could carry anything, is left out.
///
/// A journal that cannot be written (the engine stopping) does not turn the refusal into
/// something else: the caller is refused all the same, and the failure is logged.
pub async fn journal(State(engine): State<Engine>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(m) => format!("{method} {}", m.as_str()),
        None => format!("{method} {path}"),
    };
    let source = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let mut response = next.run(request).await;
    if let Some(denial) = response.extensions_mut().remove::<Denial>()
        && let Err(e) = engine
            .audit(denial.entry(&format!("{method} {path}"), &route, source.as_deref()))
            .await
    {
        tracing::error!(error = %e, route, "a refusal was not journalled");
    }
    response
}
