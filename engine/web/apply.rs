//! Filing an application from the pages: the form a service's `application` lists, for the
//! staff its `submitted_by` names (the head of department's access request, seeds/003
//! appendix 2). It files through [`api::filing`], as `POST /cases` does, so the same roles,
//! region, checks and audit record apply; the mistakes come back beside their fields.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde_json::{Value, json};

use super::fields::form_input;
use super::text::Lang;
use super::{Clerk, Ctx, Fields, PageResult, csrf};
use crate::api::{self, ApiError, Completion, auth::Principal};
use crate::definition::Definition;
use crate::runtime::{FieldError, Language, Submission};
use crate::service::Service;

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

/// `GET /apply/{service}`: the empty application.
pub async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(id): Path<String>,
) -> PageResult {
    let def = service_for(&service, &p, &id)?;
    Ok(page(&ctx, &p, def, &HashMap::new(), &[], StatusCode::OK))
}

/// `POST /apply/{service}`: files the application in the clerk's region and the page's
/// language (the answers go out in it), and opens the new case; or shows the form again
/// with what was typed and each mistake beside its field.
pub async fn file(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(id): Path<String>,
    form: Fields,
) -> PageResult {
    let def = service_for(&service, &p, &id)?;
    // A field left blank is one not given: the engine's check says so if it is required.
    let (values, data) = form.of(&def.application);
    let submission = Submission {
        data: Value::Object(data),
        channel: channel(def),
        language: match ctx.lang {
            Lang::Kk => Language::Kk,
            Lang::Ru => Language::Ru,
        },
        sms_consent: false,
        region: p.account.region.clone(),
    };
    match api::filing(&service.engine, &p, &def.id, submission, None, &ctx.source).await {
        Ok(filed) => Ok(Redirect::to(&format!("/case/{}", filed.number)).into_response()),
        Err(Completion::Rejected(errors)) => Ok(page(
            &ctx,
            &p,
            def,
            &values,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(Completion::Refused(e)) => Err(e.into()),
    }
}

/// The channel an application filed on a page comes through: the service's first.
fn channel(def: &Definition) -> String {
    def.channels
        .first()
        .map_or("internal", |c| c.as_str())
        .to_string()
}

fn page(
    ctx: &Ctx,
    p: &Principal,
    def: &Definition,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    status: StatusCode,
) -> axum::response::Response {
    let lang = ctx.lang;
    let fields: Vec<Value> = def
        .application
        .iter()
        .map(|f| {
            let value = values.get(&f.field).cloned().unwrap_or_default();
            form_input(f, def.data.get(&f.field), value, errors, lang)
        })
        .collect();
    ctx.page(
        status,
        Some(p),
        "apply",
        json!({
            "title": lang.pick(&def.title),
            "service": def.id,
            "region": p.account.region,
            "fields": fields,
            "has_errors": !errors.is_empty(),
            "csrf": csrf(p),
        }),
    )
}
