//! The OpenAPI 3 document of the API, served at `GET /openapi.json`.
//!
//! It is generated, not written: each handler's `#[utoipa::path]` gives its path, method,
//! parameters, body and answers, the request and response types give their schemas
//! (`#[derive(ToSchema)]`, their doc comments the descriptions), and the routers register
//! every route from those same attributes (`utoipa_axum`). What is common to every
//! operation is added here once: who may call (a bearer token, or the session cookie with
//! its CSRF token on a call that changes something), and the error answers every signed-in
//! call can get (401, 403, 500, 503) and every call with a JSON body (413, 415) in the one
//! error shape, [`ErrorBody`].

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
};

use super::auth::COOKIE;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, for programs to act on: `unauthenticated`, `sign_in_refused`, `forbidden`,
    /// `password_change_required`, `not_found`, `conflict`, `inbox_full`, `invalid`,
    /// `idempotency_key_reused`, `payload_too_large`, `unsupported_media_type`, `unavailable`,
    /// `internal`.
    pub code: String,
    /// What went wrong, for a person. A 5xx says only that something failed; the details
    /// are logged and never sent.
    pub message: String,
    /// With `invalid`, what is wrong where, when it can be said: `{field, message}` per
    /// field of a form, body or query; `{file, line, column, message, hint}` per problem of
    /// a posted definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub fields: Option<Value>,
}

/// The security scheme of an API token: `Authorization: Bearer <token>`.
pub const BEARER: &str = "bearer";
/// The security scheme of a browser session: the `qyzmet_session` cookie.
pub const SESSION: &str = "session";
/// The session's CSRF token, in the `X-CSRF-Token` header: with the cookie, every call but
/// a `GET` needs it.
pub const CSRF: &str = "csrf";

/// The whole document: the engine's API ([`super::router`]) and the integration endpoints
/// ([`super::integrations::router`]), as a running service serves them side by side.
pub fn openapi() -> OpenApi {
    let mut doc = super::routes().into_openapi();
    doc.merge(super::integrations::routes().into_openapi());
    finish(doc)
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    });
    &JSON
}

fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info = InfoBuilder::new()
        .title("qyzmet")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The durable workflow engine of the state services: cases, clerks' task queues, \
             messages, incidents, service definitions, sign-in and accounts, and the endpoints \
             other systems call. Errors are JSON `{code, message, fields?}` with a stable \
             `code`. Calls without a session or a token get 401, except where an operation \
             says otherwise.",
        ))
        .build();
    let components = doc.components.get_or_insert_with(Components::default);
    components.schemas.insert(
        <ErrorBody as ToSchema>::name().to_string(),
        <ErrorBody as utoipa::PartialSchema>::schema(),
    );
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API token (`POST /accounts/{login}/tokens`): acts as its account, with \
                     its roles and region; no CSRF token needed.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            COOKIE,
            "The session cookie `POST /session` sets (HttpOnly, Secure, SameSite=Strict).",
        ))),
    );
    components.add_security_scheme(
        CSRF,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The session's CSRF token (`csrf_token` of `POST /session`): required with the \
             session cookie on every call that is not a GET.",
        ))),
    );
    for (name, description) in [
        (
            "Unauthenticated",
            "No session or token, or one that no longer signs anybody in (`unauthenticated`)",
        ),
        (
            "Forbidden",
            "Not the principal's to do: a role or region it lacks, a missing CSRF token \
             (`forbidden`), or a temporary password to change first \
             (`password_change_required`); every refusal is journalled (`access_denied`)",
        ),
        (
            "Internal",
            "Something failed on the server; the details are logged, not sent (`internal`)",
        ),
        (
            "Unavailable",
            "The engine is stopping, or its database cannot be written just now (locked by \
             another program, the disk full); nothing of the request was done: try again \
             (`unavailable`)",
        ),
        (
            "PayloadTooLarge",
            "The body is larger than the endpoint takes: 2 MiB unless the operation says less \
             (`payload_too_large`)",
        ),
        (
            "UnsupportedMediaType",
            "The body is not sent as JSON: `Content-Type: application/json` \
             (`unsupported_media_type`)",
        ),
    ] {
        components.responses.insert(
            name.to_string(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    for item in doc.paths.paths.values_mut() {
        for (read_only, operation) in [
            (true, item.get.as_mut()),
            (true, item.head.as_mut()),
            (false, item.post.as_mut()),
            (false, item.put.as_mut()),
            (false, item.patch.as_mut()),
            (false, item.delete.as_mut()),
        ] {
            let Some(operation) = operation else {
                continue;
            };
            // An operation that says nothing is for staff: a token, or the session cookie
            // (with the CSRF token when it changes something).
            let security = operation.security.get_or_insert_with(|| {
                vec![
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                    if read_only {
                        SecurityRequirement::new(SESSION, Vec::<String>::new())
                    } else {
                        SecurityRequirement::new(SESSION, Vec::<String>::new())
                            .add(CSRF, Vec::<String>::new())
                    },
                ]
            });
            let anonymous = security
                .iter()
                .any(|r| *r == SecurityRequirement::default());
            // Every JSON body is read by one extractor (`api::Body`), which answers these two.
            let takes_json = operation.request_body.as_ref().is_some_and(|b| match b {
                RefOr::T(body) => body.content.contains_key("application/json"),
                RefOr::Ref(_) => false,
            });
            let responses = &mut operation.responses.responses;
            let mut common = vec![("500", "Internal"), ("503", "Unavailable")];
            if !anonymous {
                common.extend([("401", "Unauthenticated"), ("403", "Forbidden")]);
            }
            if takes_json {
                common.extend([("413", "PayloadTooLarge"), ("415", "UnsupportedMediaType")]);
            }
            for (status, name) in common {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
    doc
}
