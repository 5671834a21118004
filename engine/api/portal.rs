//! The eGov portal channel: `POST /portal/applications`.
//!
//! On the portal the citizen's own request fetches their data from the state systems, and the
//! citizen signs the application and that data with their digital signature (seeds/001:
//! Semipalatinsk item 3, social assistance item 6, home education item 6, ENPF item 2). The
//! portal files what was signed with its system token (role `egov_portal_system`): the signed
//! bytes and the detached CMS signature (NCALayer's format). qyzmet verifies the signature
//! ([`crate::signature`]) against the configured trusted roots on the signing date, checks that
//! the certificate's IIN is the applicant's, and files the application through the same path as
//! `POST /cases` ([`super::filing_with`]), on the channel `egov_portal`. A request step whose
//! `signed_data` lists the channel then takes its connector's answer from the signed data and
//! asks nothing.
//!
//! **What is filed is exactly what was signed.** The document is UTF-8 JSON, `{service,
//! application: {field: value…}, data: {connector: answer…}}`; the application and the answers
//! are read from it and from nowhere else, so there is no question of canonicalisation: the
//! bytes that verify are the bytes that are read. The request's own fields (`region`,
//! `language`, `sms_consent`) are not part of the application's content; `service` is both, and
//! must agree.
//!
//! **Architecture Invariant:** nothing of a refused filing is stored. Every check — the
//! signature, the document, the IIN, the service, the application's fields, each signed answer
//! against its connector's contract — is made before the writer opens the case, and the case
//! opens together with its evidence (`store::portal`) in one transaction or not at all. What a
//! refusal leaves is one `portal_filing_refused` record in the audit journal, naming the portal's
//! account, the service, the field at fault and why, never the document's personal data.

use std::path::PathBuf;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64ct::Encoding;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Digest;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, Body, Completion, ErrorBody, IDEMPOTENCY_KEY, Source};
use crate::accounts::Role;
use crate::audit::{Action, Entry};
use crate::definition::raw::Channel;
use crate::runtime::{Language, Submission};
use crate::service::Service;
use crate::signature::{self, TrustedRoots};
use crate::store::portal::{Evidence, Filing};

/// The environment variable that may list the trusted roots' PEM files, separated by `:`
/// (as `PATH`), beside or instead of the configuration file's `portal.trusted_roots`.
pub const ROOTS_ENV: &str = "QYZMET_PORTAL_TRUSTED_ROOTS";

/// The largest signed document taken, in bytes: an application and a few state systems'
/// answers are a few kilobytes; the evidence is kept in the database with the case.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The `portal:` section of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSection {
    /// PEM files of the certifying centres' root certificates a citizen's signing certificate
    /// must chain to (the National Certifying Centre's; on a demonstration installation, the
    /// test root `qyzmet portal test-root` writes). None: the portal endpoint answers 503.
    #[serde(default)]
    pub trusted_roots: Vec<PathBuf>,
}

/// Why the portal channel could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A roots file is missing or is not PEM certificates.
    #[error("portal.trusted_roots: {0}")]
    Roots(#[from] signature::Error),
}

/// The portal channel of a running service: the roots signatures are verified against.
#[derive(Debug, Default)]
pub struct Portal {
    /// `None` when no roots are configured: every filing is answered 503.
    roots: Option<TrustedRoots>,
}

impl Portal {
    /// The roots of `section` and of [`ROOTS_ENV`] (read through `env`). An unreadable file
    /// stops the start; no file at all is allowed (the channel is then closed) and logged.
    pub fn load(
        section: &PortalSection,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Portal, Error> {
        let mut paths = section.trusted_roots.clone();
        if let Some(list) = env(ROOTS_ENV) {
            paths.extend(
                list.split(':')
                    .filter(|p| !p.trim().is_empty())
                    .map(PathBuf::from),
            );
        }
        if paths.is_empty() {
            tracing::warn!(
                "the eGov portal channel is closed: no trusted roots configured (portal.trusted_roots or {ROOTS_ENV})"
            );
            return Ok(Portal { roots: None });
        }
        let roots = TrustedRoots::from_pem_files(&paths)?;
        if roots.is_empty() {
            tracing::warn!(
                "the eGov portal channel is closed: the trusted roots files hold no certificate"
            );
            return Ok(Portal { roots: None });
        }
        tracing::info!(roots = roots.len(), "the eGov portal channel is open");
        Ok(Portal { roots: Some(roots) })
    }

    /// A channel that trusts exactly `roots` (tests, the simulator).
    pub fn trusting(roots: TrustedRoots) -> Portal {
        Portal {
            roots: (!roots.is_empty()).then_some(roots),
        }
    }

    /// Whether signatures can be verified at all.
    pub fn is_open(&self) -> bool {
        self.roots.is_some()
    }
}

/// The portal's routes, documented (merged into the integration endpoints' router).
pub(crate) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new().routes(routes!(file))
}

/// An application the citizen signed on the portal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalApplication {
    /// The service's id; the version in force today takes the case. The signed document
    /// names it too, and the two must agree.
    pub service: String,
    /// The region the application belongs to (whose clerks work it).
    pub region: String,
    /// The applicant's language, `kk` (the default) or `ru`.
    #[serde(default)]
    #[schema(value_type = String, example = "kk")]
    pub language: Language,
    /// The applicant agreed to SMS notices.
    #[serde(default)]
    pub sms_consent: bool,
    /// Base64 of the bytes the citizen signed: UTF-8 JSON `{"service": …, "application":
    /// {"<field>": value, …}, "data": {"<connector>": {…answer…}, …}}`. The application's
    /// fields are the service's (as `POST /cases` takes them); each answer is the connector's
    /// answer as the catalog names its fields.
    pub document: String,
    /// The detached CMS SignedData over `document`'s bytes (DER in base64, or PEM), as NCALayer
    /// makes it, with the signer's certificate inside. RSA or ECDSA P-256 with SHA-256; GOST
    /// keys are refused by name (see `crate::signature`).
    pub signature: String,
}

/// The document the citizen signed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signed {
    /// The service applied for.
    service: String,
    /// The application's fields.
    application: Map<String, Value>,
    /// The state systems' answers the citizen's request received, by connector.
    #[serde(default)]
    data: Map<String, Value>,
}

/// A case opened from the portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct Filed {
    /// Its registration number, `QZ-2026-000123`: the portal shows it in the citizen's account.
    pub number: String,
    /// `active` (or `completed`, for a service that ends at once).
    pub status: String,
    /// The last day of the statutory term, when it has started.
    #[schema(value_type = Option<String>, example = "2026-11-30")]
    pub term_due: Option<NaiveDate>,
}

/// A refusal of the filing: 422 naming the field, journalled without personal data.
struct Refusal {
    /// `signature`, `document`, `document.service`, `document.application.<field>`, …
    fields: Vec<(String, String)>,
    /// A short code for the journal: what kind of check refused.
    reason: &'static str,
}

impl Refusal {
    fn one(field: &str, message: impl Into<String>, reason: &'static str) -> Refusal {
        Refusal {
            fields: vec![(field.to_string(), message.into())],
            reason,
        }
    }
}

/// Files an application the citizen signed on the eGov portal. Only the token of the
/// portal's system account (`egov_portal_system`, of the application's region or `kz`). The
/// signature must verify against the configured trusted roots on the signing date, its
/// certificate must carry the IIN of `application.applicant.iin`, the service must be in
/// force and filed through the portal, and the application and each signed answer must be
/// right (as `POST /cases` checks an application; an answer as the connector's contract
/// says). Each refusal is a 422 naming the field (`signature`, `document`,
/// `document.service`, `document.application.<field>`, `document.data.<connector>.<field>`),
/// nothing of it is stored, and it is journalled (`portal_filing_refused`) without the
/// document's personal data. The signed document and the signature are kept with the case as
/// evidence. With an `Idempotency-Key`, the same signed document sent again answers the case
/// it opened (200).
#[utoipa::path(
    post,
    path = "/portal/applications",
    tag = "integrations",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the portal's choosing (1 to 255 visible ASCII characters): the same key with the same signed document opens one case however often it is sent"),
    ),
    request_body = PortalApplication,
    responses(
        (status = 201, description = "The case is open, its evidence kept", body = Filed),
        (status = 200, description = "This Idempotency-Key opened this case for this same signed document before", body = Filed),
        (status = 403, description = "Not the token of an `egov_portal_system` account, or a region not the account's", body = ErrorBody),
        (status = 422, description = "The signature does not verify (`signature`: the document changed after signing, a certificate not issued by a trusted certifying centre, expired on the signing date, of another IIN than the applicant's, an unsupported algorithm named), the document is not the JSON described (`document`), names another service (`document.service`), the service is not in force or not filed through the portal (`service`), or the application or a signed answer has mistakes (`document.application.<field>`, `document.data.<connector>.<field>`)", body = ErrorBody),
        (status = 503, description = "No trusted roots are configured: no signature can be verified, so no filing is taken", body = ErrorBody),
    ),
)]
async fn file(
    State(s): State<Service>,
    source: Source,
    p: Principal,
    headers: HeaderMap,
    Body(body): Body<PortalApplication>,
) -> ApiResult<Response> {
    super::integrations::system_account(&p, Role::EgovPortalSystem)?;
    p.require_region(&body.region)
        .map_err(|e| e.on(&body.service))?;
    let Some(roots) = s.portal.roots.as_ref() else {
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(ErrorBody {
                code: "unavailable".into(),
                message: "no trusted roots configured: the eGov portal channel takes no filing until an administrator configures `portal.trusted_roots`".into(),
                fields: None,
            }),
        )
            .into_response());
    };
    let key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| super::bad_key(crate::worker::idempotency::BadKey.to_string()))?,
        ),
    };
    let service = body.service.clone();
    let (submission, filing) = match check(&s, &p, roots, body) {
        Ok(checked) => checked,
        Err(refusal) => return Err(refused(&s, &p, &source, &service, refusal).await),
    };
    let filed = match super::filing_with(
        &s.engine,
        &p,
        &service,
        submission,
        Some(filing),
        key,
        &source,
    )
    .await
    {
        Ok(filed) => filed,
        Err(Completion::Rejected(fields)) => {
            let fields = fields
                .into_iter()
                .map(|f| {
                    let field = match f.field.strip_prefix("signed_data.") {
                        Some(rest) => format!("document.data.{rest}"),
                        None if f.field == "data" => "document.application".to_string(),
                        None => format!("document.application.{}", f.field),
                    };
                    (field, f.message)
                })
                .collect();
            let refusal = Refusal {
                fields,
                reason: "application",
            };
            return Err(refused(&s, &p, &source, &service, refusal).await);
        }
        Err(Completion::Refused(e)) => return Err(e),
    };
    tracing::info!(service, number = %filed.number, "a signed application from the eGov portal is filed");
    let case = s
        .engine
        .store()
        .case_by_number(&filed.number)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a case just opened could not be read");
            ApiError::Internal
        })?;
    let answer = Filed {
        status: case
            .as_ref()
            .and_then(|c| serde_json::to_value(c.status).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "active".into()),
        term_due: case
            .as_ref()
            .and_then(|c| c.term.as_ref())
            .map(|t| t.due_on),
        number: filed.number,
    };
    let status = if filed.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(answer)).into_response())
}

/// Every check before the writer: the signature, the document, the IIN, the service.
fn check(
    s: &Service,
    p: &Principal,
    roots: &TrustedRoots,
    body: PortalApplication,
) -> Result<(Submission, Filing), Refusal> {
    let bytes = base64ct::Base64::decode_vec(body.document.trim()).map_err(|_| {
        Refusal::one(
            "document",
            "not base64: send the signed bytes in standard base64",
            "document",
        )
    })?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Refusal::one(
            "document",
            format!("larger than {MAX_DOCUMENT_BYTES} bytes"),
            "document",
        ));
    }
    let now = s.engine.shared().clock.now();
    let signer = signature::verify_detached(&bytes, body.signature.as_bytes(), roots, now)
        .map_err(|e| Refusal::one("signature", e.to_string(), "signature"))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Refusal::one(
            "document",
            "the signed bytes are not UTF-8 text",
            "document",
        )
    })?;
    let de = &mut serde_json::Deserializer::from_str(text);
    let signed: Signed = serde_path_to_error::deserialize(de).map_err(|e| {
        let place = e.path().to_string();
        let field = if place == "." || place.is_empty() {
            "document".to_string()
        } else {
            format!("document.{place}")
        };
        Refusal::one(
            &field,
            format!(
                "the signed document is not the JSON expected ({{service, application, data}}): {}",
                e.inner()
            ),
            "document",
        )
    })?;
    if signed.service != body.service {
        return Err(Refusal::one(
            "document.service",
            format!(
                "the citizen signed an application to `{}`, not to `{}`",
                signed.service, body.service
            ),
            "service",
        ));
    }
    let application = Value::Object(signed.application);
    let nested = crate::runtime::normalise(&application);
    let applicant = crate::runtime::get_path(&nested, "applicant.iin")
        .and_then(Value::as_str)
        .map(str::trim);
    match (applicant, signer.iin.as_deref()) {
        (None, _) => {
            return Err(Refusal::one(
                "document.application.applicant.iin",
                "missing: the applicant's IIN is what the signature is checked against",
                "iin",
            ));
        }
        (Some(_), None) => {
            return Err(Refusal::one(
                "signature",
                "the signer's certificate carries no IIN: an application is signed with the applicant's own personal certificate",
                "iin",
            ));
        }
        (Some(a), Some(b)) if a != b => {
            return Err(Refusal::one(
                "signature",
                "signed with the certificate of another person: the certificate's IIN is not the applicant's",
                "iin",
            ));
        }
        _ => {}
    }
    let shared = s.engine.shared();
    let def = match shared.in_force(&body.service, now) {
        Ok((def, _)) => def,
        Err(e) => {
            return Err(Refusal::one("service", e.to_string(), "service"));
        }
    };
    if !def.channels.contains(&Channel::EgovPortal) {
        return Err(Refusal::one(
            "service",
            format!(
                "`{}` is not filed through the eGov portal (its channels: {})",
                body.service,
                def.channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "service",
        ));
    }
    let submission = Submission {
        data: application,
        channel: Channel::EgovPortal.as_str().to_string(),
        language: body.language,
        sms_consent: body.sms_consent,
        region: body.region,
    };
    let evidence = Evidence {
        document_sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        document: text.to_string(),
        signature: base64ct::Base64::encode_string(&signature_der(&body.signature)),
        signer_name: signer.name,
        certificate_serial: signer.serial,
        certificate_issuer: signer.issuer,
        signed_at: signer.signed_at,
        filed_by: p.login().to_string(),
        filed_at: now,
    };
    Ok((
        submission,
        Filing {
            answers: signed.data,
            evidence,
        },
    ))
}

/// The signature's DER, however it was sent (base64, PEM): it verified, so it decodes.
fn signature_der(sent: &str) -> Vec<u8> {
    let body: String = sent
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
        .split_whitespace()
        .collect();
    base64ct::Base64::decode_vec(&body).unwrap_or_else(|_| sent.as_bytes().to_vec())
}

/// Journals a refusal (who, which service, which field, what kind — no values) and answers it.
async fn refused(
    s: &Service,
    p: &Principal,
    source: &Source,
    service: &str,
    refusal: Refusal,
) -> ApiError {
    let fields: Vec<&str> = refusal.fields.iter().map(|(f, _)| f.as_str()).collect();
    let entry = Entry::new(p.login(), Action::PortalFilingRefused)
        .source(source.0.as_deref())
        .object(service)
        .details(json!({ "reason": refusal.reason, "fields": fields }));
    if let Err(e) = s.engine.audit(entry).await {
        tracing::error!(error = %e, "a refused portal filing was not journalled");
    }
    tracing::info!(
        service,
        reason = refusal.reason,
        "a signed application from the eGov portal is refused"
    );
    let message = match refusal.fields.as_slice() {
        [(field, message)] => format!("{field}: {message}"),
        _ => "the application has mistakes".to_string(),
    };
    ApiError::Invalid(
        message,
        Value::Array(
            refusal
                .fields
                .into_iter()
                .map(|(field, message)| json!({ "field": field, "message": message }))
                .collect(),
        ),
    )
}
