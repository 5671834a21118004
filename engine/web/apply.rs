//! Filing an application from the pages: the form a service's `application` lists, for the
//! staff its `submitted_by` names — the head of department's access request (seeds/003
//! appendix 2), and a citizen's application registered at the front office's desk (seeds/004
//! appendix 1 for the certificate, appendix 4 for the compensation). It files through
//! [`api::filing`], as `POST /cases` does, so the same roles, region, checks, idempotency and
//! audit record apply; the mistakes come back beside their fields.
//!
//! A service with `application_prefill` gets a button that asks the gateway, at once, what
//! that request step asks after acceptance (GBD FL by the IIN typed): the answer fills the
//! fields still empty, and says which, for the clerk to check with the citizen. A gateway that
//! fails or is slow leaves the form as it was, says so, and the clerk types the data. Nothing
//! of the answer is logged: it is personal data.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde_json::{Map, Value, json};

use super::fields::{form_input, plain};
use super::text::{self, Lang};
use super::{Clerk, Ctx, Fields, PageResult, WebError, csrf};
use crate::api::{self, ApiError, Completion, auth::Principal};
use crate::audit::Action;
use crate::definition::Definition;
use crate::definition::model::{Channel, Request, StepKind};
use crate::runtime::form::check_value;
use crate::runtime::{FieldError, Language, Submission, Work};
use crate::service::Service;
use crate::worker::jobs::Performer;

/// How long the desk waits for the gateway's answer before the clerk types the data: a
/// citizen stands at the desk (the service norm is 20 minutes, seeds/004 appendix 2 row 5).
const PREFILL_TIMEOUT: Duration = Duration::from_secs(5);

/// The service `id` as `p` may file it; 404 when there is no such service with an
/// application form in force, 403 when it is not `p`'s to file.
fn service_for<'s>(
    service: &'s Service,
    p: &Principal,
    id: &str,
) -> Result<&'s Definition, ApiError> {
    let shared = service.engine.shared();
    let (def, _) = shared
        .in_force(id, shared.clock.now())
        .map_err(|_| ApiError::NotFound(format!("service {id}")))?;
    if def.application.is_empty() {
        return Err(ApiError::NotFound(format!("service {id}")));
    }
    p.require(&api::submitters(def)).map_err(|e| e.on(id))?;
    Ok(def)
}

/// What the pre-fill did, for the page to say.
enum Prefill {
    /// Not asked.
    NotAsked,
    /// The answer filled these fields (their names).
    Filled(Vec<String>),
    /// The fields the request needs are missing or wrong: the mistakes beside them.
    Input,
    /// The gateway failed, was slow, or answered on its asynchronous channel.
    Failed,
}

/// `GET /apply/{service}`: the empty application.
pub async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(id): Path<String>,
) -> PageResult {
    let def = service_for(&service, &p, &id)?;
    let form = Form {
        language: ctx.lang,
        sms_consent: None,
        ..Form::default()
    };
    Ok(page(&ctx, &p, def, &form, StatusCode::OK))
}

/// `POST /apply/{service}`: with `action=prefill`, asks the gateway and shows the form again
/// filled; else files the application in the clerk's region and the chosen language (the
/// answers go out in it) and takes the clerk to the new case's first task — for the operator,
/// the acceptance — or to the case; or shows the form again with what was typed and each
/// mistake beside its field.
pub async fn file(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(id): Path<String>,
    sent: Fields,
) -> PageResult {
    let def = service_for(&service, &p, &id)?;
    // A field left blank is one not given: the engine's check says so if it is required.
    let (values, data) = sent.of(&def.application);
    let mut form = Form {
        values,
        language: sent
            .get("language")
            .and_then(Lang::parse)
            .unwrap_or(ctx.lang),
        // "Choose…" is no answer: the form shows it again unchosen, not as a "no".
        sms_consent: match sent.get("sms_consent") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        ..Form::default()
    };
    if sent.get("action") == Some("prefill") {
        prefill(&service, &p, &ctx, def, &mut form).await?;
        let status = match form.prefill {
            Prefill::Input => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::OK,
        };
        return Ok(page(&ctx, &p, def, &form, status));
    }
    let submission = Submission {
        data: Value::Object(data),
        channel: channel(def),
        language: match form.language {
            Lang::Kk => Language::Kk,
            Lang::Ru => Language::Ru,
        },
        sms_consent: form.sms_consent.unwrap_or(false),
        region: p.account.region.clone(),
    };
    match super::uploads::filing(&service, &p, &def.id, submission, &sent, &ctx.source).await {
        Ok(filed) => Ok(Redirect::to(&landing(&service, &p, &filed.number).await).into_response()),
        Err(Completion::Rejected(errors)) => {
            form.errors = errors;
            Ok(page(&ctx, &p, def, &form, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

/// Where the clerk goes after filing: the new case's task that is theirs to do (the
/// operator's acceptance, ready to accept), else the case page.
async fn landing(service: &Service, p: &Principal, number: &str) -> String {
    let tasks = service
        .engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap_or_default();
    tasks
        .iter()
        .find(|t| t.role.parse().is_ok_and(|r| p.account.has_role(r)))
        .map_or_else(
            || format!("/case/{number}"),
            |t| format!("/queue/{}", t.key),
        )
}

/// The channel an application filed on a page comes through: the service's first.
fn channel(def: &Definition) -> String {
    def.channels
        .first()
        .map_or("internal", |c| c.as_str())
        .to_string()
}

/// A citizen's application (not staff's own, like the access request): it asks for the
/// citizen's language and consent to SMS.
fn for_citizen(def: &Definition) -> bool {
    !def.channels.contains(&Channel::Internal)
}

/// The application form as drawn: what was typed, the mistakes, what the pre-fill did.
struct Form {
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    prefill: Prefill,
    language: Lang,
    sms_consent: Option<bool>,
}

impl Default for Form {
    fn default() -> Self {
        Form {
            values: HashMap::new(),
            errors: Vec::new(),
            prefill: Prefill::NotAsked,
            language: Lang::Kk,
            sms_consent: None,
        }
    }
}

/// The request step of `def`'s `application_prefill`.
fn prefill_request(def: &Definition) -> Option<(&str, &Request)> {
    let step = def.step(def.application_prefill?);
    match &step.kind {
        StepKind::Request(r) => Some((step.name.as_str(), r)),
        _ => None,
    }
}

/// Asks the gateway what the `application_prefill` step asks, with the application's values
/// as typed; fills the fields still empty with the answer. The lookup is journalled before it
/// is made (who looked someone up, for which service, through which connector — never whom):
/// a lookup the journal could not record is not made.
async fn prefill(
    service: &Service,
    p: &Principal,
    ctx: &Ctx,
    def: &Definition,
    form: &mut Form,
) -> Result<(), WebError> {
    let Some((step, request)) = prefill_request(def) else {
        return Ok(());
    };
    let data = match checked_input(def, request, form) {
        Ok(data) => data,
        Err(errors) => {
            form.errors = errors;
            form.prefill = Prefill::Input;
            return Ok(());
        }
    };
    let entry = api::record(p.login(), Action::PersonLookedUp, &def.id, &ctx.source)
        .details(json!({ "step": step, "connector": request.connector }));
    service.engine.audit(entry).await?;
    let mut input = Map::new();
    for (name, e) in &request.input {
        match crate::definition::expr::eval(e, &data) {
            Ok(v) => {
                input.insert(name.clone(), v);
            }
            Err(_) => {
                form.prefill = Prefill::Failed;
                return Ok(());
            }
        }
    }
    let work = Work::Request {
        connector: request.connector.clone(),
        input: Value::Object(input),
        attempts: 1,
        exponential: false,
        first_delay_seconds: 0,
    };
    let key = prefill_key(&def.id);
    let answer = tokio::time::timeout(PREFILL_TIMEOUT, service.gateway.perform(&key, &work)).await;
    let answer = match answer {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            // What failed, never the input or the answer: they are personal data.
            tracing::warn!(service = %def.id, step, connector = %request.connector, kind = error_kind(&e), "the desk's pre-fill got no answer");
            form.prefill = Prefill::Failed;
            return Ok(());
        }
        Err(_) => {
            tracing::warn!(service = %def.id, step, connector = %request.connector, "the desk's pre-fill timed out");
            form.prefill = Prefill::Failed;
            return Ok(());
        }
    };
    let mut scope = data;
    if let Value::Object(map) = &mut scope {
        map.insert("response".into(), answer);
    }
    let mut filled = Vec::new();
    for (target, e) in &request.output {
        let on_form = def.application.iter().any(|f| &f.field == target);
        let empty = form.values.get(target).is_none_or(|v| v.trim().is_empty());
        if !on_form || !empty {
            continue;
        }
        match crate::definition::expr::eval(e, &scope) {
            Ok(Value::Null) | Err(_) => {}
            Ok(v) => {
                form.values.insert(target.clone(), plain(&v));
                filled.push(target.clone());
            }
        }
    }
    tracing::info!(service = %def.id, step, filled = filled.len(), "the desk's application pre-filled");
    form.prefill = Prefill::Filled(filled);
    Ok(())
}

/// The application's values the request's input reads, each checked against its type (the
/// IIN's control digit above all: a wrong IIN never reaches the gateway), as the case's
/// nested data; or the mistakes, by field.
fn checked_input(
    def: &Definition,
    request: &Request,
    form: &Form,
) -> Result<Value, Vec<FieldError>> {
    let mut needed: Vec<String> = request
        .input
        .iter()
        .flat_map(|(_, e)| e.variables())
        .collect();
    needed.dedup();
    let mut errors = Vec::new();
    let mut data = Value::Object(Map::new());
    for name in &needed {
        let typed = form.values.get(name).map(|v| v.trim()).unwrap_or_default();
        if typed.is_empty() {
            errors.push(FieldError {
                field: name.clone(),
                message: "required".into(),
            });
            continue;
        }
        let Some(decl) = def.data.get(name) else {
            continue;
        };
        match check_value(decl, &Value::from(typed)) {
            Ok(v) => crate::runtime::set_path(&mut data, name, v),
            Err(message) => errors.push(FieldError {
                field: name.clone(),
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(errors)
    }
}

/// A key of its own for each pre-fill: the gateway takes it as the message id.
fn prefill_key(service: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("prefill:{service}:{nanos}:{n}")
}

/// The kind of a gateway failure, for the log.
fn error_kind(e: &crate::worker::jobs::JobError) -> &'static str {
    match e {
        crate::worker::jobs::JobError::Retryable(_) => "retryable",
        crate::worker::jobs::JobError::Fatal(_) => "fatal",
        crate::worker::jobs::JobError::Acknowledged { .. } => "acknowledged",
        _ => "other",
    }
}

fn page(
    ctx: &Ctx,
    p: &Principal,
    def: &Definition,
    form: &Form,
    status: StatusCode,
) -> axum::response::Response {
    let lang = ctx.lang;
    let label = |name: &str| {
        def.data
            .get(name)
            .and_then(|d| d.label.as_ref())
            .map_or_else(|| name.to_string(), |l| lang.pick(l).to_string())
    };
    let fields: Vec<Value> = def
        .application
        .iter()
        .map(|f| {
            let value = form.values.get(&f.field).cloned().unwrap_or_default();
            form_input(f, def.data.get(&f.field), value, &form.errors, lang)
        })
        .collect();
    let prefill_button = prefill_request(def).map(|(_, _)| {
        let step = def.step(def.application_prefill.expect("a pre-fill step"));
        format!(
            "{} {}",
            text::get(lang, "desk_prefill").unwrap_or_default(),
            crate::definition::graph::title(step, lang.definition())
        )
    });
    let (prefilled, prefill_nothing) = match &form.prefill {
        Prefill::Filled(names) if names.is_empty() => (Value::Null, true),
        Prefill::Filled(names) => (
            json!(names.iter().map(|n| label(n)).collect::<Vec<_>>()),
            false,
        ),
        _ => (Value::Null, false),
    };
    let citizen = for_citizen(def);
    let languages: Vec<Value> = [Lang::Kk, Lang::Ru]
        .iter()
        .map(|l| {
            json!({
                "code": l.code(),
                "label": text::get(lang, &format!("desk_language_{}", l.code())),
                "selected": *l == form.language,
            })
        })
        .collect();
    // Only a citizen who gives a phone can consent to SMS (seeds/000 appendix 1).
    let asks_sms = citizen
        && def
            .application
            .iter()
            .any(|f| f.field == crate::runtime::submission::PHONE);
    ctx.page(
        status,
        Some(p),
        "apply",
        json!({
            "title": lang.pick(&def.title),
            "service": def.id,
            "region": text::region(lang, &p.account.region),
            "citizen": citizen,
            "fields": fields,
            "has_errors": !form.errors.is_empty(),
            "csrf": csrf(p),
            "prefill": prefill_button,
            "prefilled": prefilled,
            "prefill_nothing": prefill_nothing,
            "prefill_failed": matches!(form.prefill, Prefill::Failed),
            "prefill_input": matches!(form.prefill, Prefill::Input),
            "languages": if citizen { json!(languages) } else { Value::Null },
            "sms": if asks_sms {
                json!({
                    "yes": form.sms_consent == Some(true),
                    "no": form.sms_consent == Some(false),
                })
            } else {
                Value::Null
            },
        }),
    )
}
