//! The clerks' pages: server-rendered HTML that works without JavaScript, in Kazakh and
//! Russian.
//!
//! `router(service)` is merged beside the JSON API in [`crate::service::Service::router`];
//! the pages have their own paths (`/`, `/password`, `/queue`, `/case/{number}`,
//! `/apply/{service}`, `/admin/…`) and act only through what the API's handlers act through — the functions
//! of [`crate::api`] (`queue`, `claiming`, `completing`, `opening`, …) — so a claim made on a
//! page is checked, committed and journalled exactly as one made through the API.
//!
//! Who is asking is the API's [`Principal`]: the same session cookie, and on a form the
//! session's CSRF token in a hidden `csrf` field, which [`form_csrf`] hands to the extractor
//! as [`auth::FormCsrf`]. A page answers a missing session with a redirect to the sign-in
//! form, a temporary password with one to `/password`, and a refusal with a page that says
//! it in the clerk's language ([`frame`] renders every failure).
//!
//! Templates (`pages/*.hbs`) are compiled into the binary, in handlebars' strict mode with
//! HTML escaping; every word on them comes from [`text`]. The language is `?lang=kk|ru`,
//! remembered in a `lang` cookie; Kazakh by default.
//!
//! **Architecture Invariant:** a page handler never writes to the store itself; it calls the
//! same engine operations, with the same audit records, as the API.

mod admin;
mod apply;
mod case;
mod case_file;
mod compliance;
mod department;
mod desk;
pub mod diagram;
mod documents;
mod failure_report;
mod fields;
mod mass_events;
mod queue;
mod search;
mod session;
mod signed;
mod task;
pub mod text;
mod uploads;
mod view;

use std::sync::LazyLock;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use handlebars::Handlebars;
use serde_json::{Value, json};

use crate::accounts::Role;
use crate::api::auth::{self, Principal, Signed};
use crate::api::{ApiError, Source, Why};
use crate::service::Service;
pub use task::Drafts;
pub use text::Lang;

/// The largest form body the pages accept: a task's form is a few kilobytes at most.
pub const FORM_LIMIT: usize = 64 * 1024;

/// The cookie that remembers the page language.
pub const LANG_COOKIE: &str = "lang";

/// What every page answer carries: no script or frame from elsewhere (the pages have no
/// script at all), and nothing kept in a shared cache (they show personal data).
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'";

/// The pages over a running service.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/", get(session::sign_in_page).post(session::sign_in))
        .route(
            "/password",
            get(session::password_page).post(session::change_password),
        )
        .route("/signout", post(session::sign_out))
        .route("/queue", get(queue::list))
        .route("/queue/{key}", get(task::form).post(task::complete))
        .route("/queue/{key}/claim", post(task::claim))
        .route("/queue/{key}/done", get(task::done))
        .route("/queue/{key}/unclaim", post(task::unclaim))
        .route("/case/{number}", get(case::page))
        .route("/case/{number}/restore", post(search::restore))
        .route("/apply/{service}", get(apply::form).post(apply::file))
        .merge(case_file::routes())
        .merge(compliance::routes())
        .merge(department::routes())
        .merge(desk::routes())
        .merge(documents::routes())
        .merge(failure_report::routes())
        .merge(mass_events::routes())
        .merge(search::routes())
        .merge(uploads::routes())
        .merge(admin::routes())
        .route("/admin/incidents", get(admin::incidents))
        .route("/admin/incidents/{key}/retry", post(admin::retry))
        .route("/admin/accounts", get(admin::accounts).post(admin::create))
        .route(
            "/admin/accounts/{login}/tokens/{id}/revoke",
            post(admin::revoke_token),
        )
        // Inside `frame`, which renders a failure's page afresh: the journal reads the
        // refusal off the handler's own answer.
        .layer(middleware::from_fn_with_state(
            service.engine.clone(),
            crate::api::denial::journal,
        ))
        .layer(middleware::from_fn(form_csrf))
        .layer(middleware::from_fn(frame))
        .with_state(service)
}

/// The compiled pages: the layout partial and one template per page.
static PAGES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut h = Handlebars::new();
    // A value a template names and the page does not give is an error, never a blank.
    h.set_strict_mode(true);
    h.register_partial("layout", include_str!("pages/layout.hbs"))
        .expect("the layout compiles");
    h.register_partial("fields", include_str!("pages/fields.hbs"))
        .expect("the form fields compile");
    h.register_partial("case_file", include_str!("pages/case_file.hbs"))
        .expect("the case file compiles");
    h.register_partial("documents", include_str!("pages/documents.hbs"))
        .expect("the documents list compiles");
    for (name, source) in [
        ("sign_in", include_str!("pages/sign_in.hbs")),
        ("password", include_str!("pages/password.hbs")),
        ("queue", include_str!("pages/queue.hbs")),
        ("task", include_str!("pages/task.hbs")),
        ("task_done", include_str!("pages/task_done.hbs")),
        ("apply", include_str!("pages/apply.hbs")),
        ("desk", include_str!("pages/desk.hbs")),
        ("case", include_str!("pages/case.hbs")),
        ("archived", include_str!("pages/archived.hbs")),
        ("search", include_str!("pages/search.hbs")),
        ("mass_events", include_str!("pages/mass_events.hbs")),
        ("incidents", include_str!("pages/incidents.hbs")),
        ("accounts", include_str!("pages/accounts.hbs")),
        ("account_created", include_str!("pages/account_created.hbs")),
        ("failure", include_str!("pages/failure.hbs")),
        ("department", include_str!("pages/department.hbs")),
        ("compliance", include_str!("pages/compliance.hbs")),
        ("account", include_str!("pages/account.hbs")),
        ("logins_journal", include_str!("pages/logins_journal.hbs")),
        ("failure_report", include_str!("pages/failure_report.hbs")),
    ] {
        h.register_template_string(name, source)
            .unwrap_or_else(|e| panic!("page {name}: {e}"));
    }
    h
});

/// What a page knows of its request: the language, the path and query (for the language
/// switch), where it came from (for the journal).
pub struct Ctx {
    /// The page language.
    pub lang: Lang,
    /// The request's path, without the query.
    pub path: String,
    /// The request's query without `lang`, encoded (empty when none): the language switch
    /// keeps it, so a filtered queue or a search stays what it was in the other language.
    pub query: String,
    /// The peer's address, for the audit journal.
    pub source: Source,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let source = Source::from_request_parts(parts, state).await?;
        Ok(Ctx {
            lang: parts.extensions.get::<Lang>().copied().unwrap_or_default(),
            path: parts.uri.path().to_string(),
            query: query_without_lang(parts.uri.query()),
            source,
        })
    }
}

impl Ctx {
    /// Renders page `name` with `data` (an object), the frame's values added: the texts in
    /// the page language, the language switch, and who is signed in.
    pub fn page(
        &self,
        status: StatusCode,
        me: Option<&Principal>,
        name: &str,
        data: Value,
    ) -> Response {
        render(status, self.lang, (&self.path, &self.query), me, name, data)
    }

    /// The source's address, owned, as the account operations take it.
    pub fn source_ip(&self) -> Option<String> {
        self.source.0.clone()
    }
}

/// `query` without its `lang` pairs, encoded again: what the language switch appends.
fn query_without_lang(query: Option<&str>) -> String {
    let Some(query) = query else {
        return String::new();
    };
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "lang"))
        .finish()
}

/// Renders a page; `(path, query)` is where the language switch points, the query without
/// `lang`.
fn render(
    status: StatusCode,
    lang: Lang,
    (path, query): (&str, &str),
    me: Option<&Principal>,
    name: &str,
    data: Value,
) -> Response {
    let mut data = match data {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    data.insert("t".into(), text::table(lang));
    data.insert("lang".into(), json!(lang.code()));
    data.insert("kk".into(), json!(lang == Lang::Kk));
    data.insert("path".into(), json!(path));
    data.insert("lang_query".into(), json!(query));
    // The header's search box shows what was searched for on the search page; elsewhere it
    // is empty.
    data.entry("search_q").or_insert(Value::Null);
    data.insert(
        "me".into(),
        match me {
            Some(p) => json!({
                "login": p.login(),
                "admin": p.account.has_role(Role::Administrator),
                // Who enters a mass event (a law that raises every payment).
                "mass_events": p.account.has_role(Role::Administrator)
                    || p.account.has_role(Role::Methodologist),
                // Who steers a department: its open tasks, reassignments (the roles the
                // shipped catalog gives a `supervises` list; `/department` itself asks the
                // catalog).
                "head": p.account.has_role(Role::HeadOfDepartment)
                    || p.account.has_role(Role::DepartmentDirector),
                // Who reads the term-compliance figures.
                "reports": p.account.has_role(Role::HeadOfDepartment)
                    || p.account.has_role(Role::DepartmentDirector)
                    || p.account.has_role(Role::Administrator),
                "csrf": csrf(p),
            }),
            None => Value::Null,
        },
    );
    match PAGES.render(name, &Value::Object(data)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            // A template bug: the details go to the log (a template error names the
            // template and the variable, never the data), the clerk gets the failure page.
            tracing::error!(page = name, error = %e, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The session's CSRF token, for the hidden field of every form (empty for a token, which
/// never reaches a page).
pub fn csrf(p: &Principal) -> String {
    p.session
        .as_ref()
        .map(|s| s.csrf_token.clone())
        .unwrap_or_default()
}

/// Why a page did not come: the API's refusal, answered as a page (by [`frame`]) or a
/// redirect.
#[derive(Debug)]
pub enum WebError {
    /// A refusal or failure of the operation behind the page.
    Api(ApiError),
    /// A form body over [`FORM_LIMIT`], or not a form.
    TooLarge,
    /// A multipart form past its limit ([`uploads::MAX_FILES`] scans of the largest size).
    UploadTooLarge,
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::Api(e)
    }
}

impl From<crate::worker::Error> for WebError {
    fn from(e: crate::worker::Error) -> Self {
        WebError::Api(e.into())
    }
}

/// A failure's page, marked on the response for [`frame`] to render in the page language.
#[derive(Debug, Clone, Copy)]
struct Failure {
    title: &'static str,
    text: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        // A refusal goes on the answer whatever the page makes of it, for the journal layer.
        let denial = match &self {
            WebError::Api(ApiError::Denied(d)) => Some((**d).clone()),
            _ => None,
        };
        let answer = |mut response: Response| {
            if let Some(d) = denial {
                response = d.attach(response);
            }
            response
        };
        let (status, title, text) = match self {
            WebError::Api(ApiError::Unauthenticated) => {
                return answer(Redirect::to("/").into_response());
            }
            WebError::Api(ApiError::Denied(d)) => match d.why {
                Why::PasswordChangeRequired => {
                    return answer(Redirect::to("/password").into_response());
                }
                Why::Csrf => (StatusCode::FORBIDDEN, "forbidden_title", "forbidden_csrf"),
                Why::AnotherClerksTask => (StatusCode::CONFLICT, "conflict_title", "conflict_text"),
                Why::Role(_) | Why::Region(_) | Why::TokenRequired(_) => {
                    (StatusCode::FORBIDDEN, "forbidden_title", "forbidden_text")
                }
            },
            WebError::Api(ApiError::SignInRefused) => {
                (StatusCode::FORBIDDEN, "forbidden_title", "forbidden_text")
            }
            WebError::Api(ApiError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "not_found_title", "not_found_text")
            }
            WebError::Api(ApiError::Conflict(_) | ApiError::InboxFull(_)) => {
                (StatusCode::CONFLICT, "conflict_title", "conflict_text")
            }
            WebError::Api(ApiError::LastAdministrator(_)) => (
                StatusCode::CONFLICT,
                "conflict_title",
                "last_administrator_text",
            ),
            WebError::Api(
                ApiError::Invalid(..)
                | ApiError::UnsupportedMediaType(_)
                | ApiError::IdempotencyKeyReused(_),
            ) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_title",
                "invalid_text",
            ),
            WebError::Api(ApiError::Unavailable) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_text",
            ),
            WebError::Api(ApiError::Internal) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_title",
                "internal_text",
            ),
            WebError::TooLarge | WebError::Api(ApiError::TooLarge(_)) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large_title",
                "too_large_text",
            ),
            WebError::UploadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "uploads_too_large_title",
                "uploads_too_large_text",
            ),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(Failure { title, text });
        answer(response)
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, WebError>;

/// The signed-in principal of a page, the temporary-password rule applied: no session is a
/// redirect to the sign-in form, a temporary password one to `/password`.
pub struct Clerk(pub Principal);

impl FromRequestParts<Service> for Clerk {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &Service) -> Result<Self, WebError> {
        Ok(Clerk(Principal::from_request_parts(parts, state).await?))
    }
}

/// The signed-in principal before the temporary-password rule: what `/password` takes.
pub struct Person(pub Principal);

impl FromRequestParts<Service> for Person {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &Service) -> Result<Self, WebError> {
        let Signed(p) = Signed::from_request_parts(parts, state).await?;
        Ok(Person(p))
    }
}

/// A form's fields in the order sent (a field may come more than once: checkboxes), and the
/// scans it carried (`multipart/form-data`), each stored under its hash or refused.
///
/// Read from `application/x-www-form-urlencoded` or `multipart/form-data` alike
/// ([`uploads::read_multipart`]); a file part streams to disk as it arrives. Two kinds of
/// hidden pair say how a field was typed (see `pages/fields.hbs`): `date:NAME` marks a date
/// typed as dd.mm.yyyy, turned into the ISO date the runtime checks; `kept:NAME` carries a
/// scan received before the form came back with mistakes ([`uploads::KEPT`]).
pub struct Fields {
    /// The text fields.
    pairs: Vec<(String, String)>,
    /// The files, by field: stored, or why not.
    files: Vec<(
        String,
        Result<crate::uploads::Stored, crate::uploads::Error>,
    )>,
}

impl FromRequest<Service> for Fields {
    type Rejection = WebError;

    async fn from_request(req: Request, service: &Service) -> Result<Self, WebError> {
        let mut fields = match uploads::multipart_boundary(req.headers()) {
            Some(boundary) => {
                // Files are written only for a signed-in clerk whose form carried the
                // session's CSRF token: nobody else may fill the disk.
                let (mut parts, body) = req.into_parts();
                let signed = Principal::from_request_parts(&mut parts, service)
                    .await
                    .is_ok();
                let (pairs, files) =
                    uploads::read_multipart(body, boundary, &service.uploads, signed).await?;
                Fields { pairs, files }
            }
            None => Form::<Vec<(String, String)>>::from_request(req, service)
                .await
                .map(|Form(pairs)| Fields {
                    pairs,
                    files: Vec::new(),
                })
                .map_err(|_| WebError::Api(ApiError::Invalid("not a form".into(), Value::Null)))?,
        };
        let kept = uploads::kept(&fields.pairs, &fields.files, &service.uploads).await;
        fields.files.extend(kept);
        Ok(fields)
    }
}

impl Fields {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The values of a form's `fields` as sent: as typed (to show again beside the
    /// mistakes) and as the data the engine checks.
    pub fn of(
        &self,
        fields: &[crate::definition::model::FormField],
    ) -> (
        std::collections::HashMap<String, String>,
        serde_json::Map<String, Value>,
    ) {
        let mut typed = std::collections::HashMap::new();
        let mut data = serde_json::Map::new();
        for f in fields {
            // A file sent (or kept) for the field is its value; a refused one leaves it empty
            // (the refusal comes back beside it: [`Fields::refusals`]).
            if let Some((_, file)) = self.files.iter().rev().find(|(k, _)| *k == f.field) {
                if let Ok(stored) = file {
                    typed.insert(f.field.clone(), uploads::kept_value(stored));
                    data.insert(f.field.clone(), uploads::document_value(stored, None));
                }
                continue;
            }
            if let Some(v) = self.get(&f.field) {
                typed.insert(f.field.clone(), v.to_string());
                let typed_as_day = self.get(&format!("{}{}", fields::DATE_MARK, f.field));
                let v = match typed_as_day.and_then(|_| fields::iso_date(v)) {
                    Some(iso) => iso,
                    None => v.to_string(),
                };
                data.insert(f.field.clone(), Value::from(v));
            }
        }
        (typed, data)
    }

    /// The files this form carried that were not stored, each as a mistake of its field.
    pub fn refusals(&self) -> Vec<crate::runtime::FieldError> {
        uploads::refusals(&self.files)
    }

    /// The files this form carried that were stored (sent now or kept from before), by field.
    pub fn stored(&self) -> impl Iterator<Item = (&str, &crate::uploads::Stored)> {
        self.files
            .iter()
            .filter_map(|(k, f)| f.as_ref().ok().map(|s| (k.as_str(), s)))
    }

    /// The first value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The frame of every page answer: picks the language (`?lang=` first, which is then
/// remembered in the cookie, then the cookie, then Kazakh), renders a failure marked by
/// [`WebError`] as a page in that language, and sets the security headers.
async fn frame(mut req: Request, next: Next) -> Response {
    let asked = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    let lang = asked
        .or_else(|| auth::cookie(req.headers(), LANG_COOKIE).and_then(|c| Lang::parse(&c)))
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    let path = req.uri().path().to_string();
    let query = query_without_lang(req.uri().query());
    let mut response = next.run(req).await;
    if let Some(failure) = response.extensions().get::<Failure>().copied() {
        let status = response.status();
        response = render(
            status,
            lang,
            (&path, &query),
            None,
            "failure",
            json!({
                "title": text::get(lang, failure.title).unwrap_or_default(),
                "message": text::get(lang, failure.text).unwrap_or_default(),
            }),
        );
    }
    let headers = response.headers_mut();
    if let Some(lang) = asked {
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                lang.code()
            ))
            .expect("a language code is ASCII"),
        );
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// For a posted form, finds its `csrf` field, hands it to the [`Principal`] extractor as
/// [`auth::FormCsrf`], and passes the request on with the same body. A page's form cannot
/// set a header, so this is how its CSRF token reaches the check the API makes — before the
/// handler reads the rest of the body, so a forged request stores no file.
///
/// An `application/x-www-form-urlencoded` body is read whole (at most [`FORM_LIMIT`]); a
/// `multipart/form-data` one only as far as its first part, which every page's form makes
/// the `csrf` field ([`uploads::csrf_of_multipart`]), and the rest streams on to the handler.
async fn form_csrf(req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    if let Some(boundary) = uploads::multipart_boundary(req.headers()) {
        let (mut parts, body) = req.into_parts();
        let (token, body) = uploads::csrf_of_multipart(body, &boundary).await;
        if let Some(token) = token {
            parts.extensions.insert(auth::FormCsrf(token));
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return WebError::TooLarge.into_response();
    };
    if let Some((_, token)) = form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf") {
        parts.extensions.insert(auth::FormCsrf(token.into_owned()));
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}
