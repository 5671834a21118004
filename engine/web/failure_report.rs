//! Reporting a technical failure of qyzmet from any page: the footer of every signed-in page
//! links here with the page's path (`/failure-report?page=…`).
//!
//! The Rules of order No. 419 (seeds/003; seeds/000 appendix 6 from 12.07.2026) make the user's
//! message by the feedback form the first source of information on a failure (item 12(1)); the
//! form holds contacts, an attachment, the subject, the text and the e-mail (item 14), and the
//! application the user's full name, position and login, the reason and the phone and e-mail
//! (item 13). It is a case of the service `technical-failure` (its versions hold the term of
//! item 15: three calendar days under order No. 419, three working days from 12.07.2026), so
//! the administrators find it in their queue, its term is the engine's, and the user is
//! answered by e-mail like any applicant.
//!
//! The form is short and filed the way the filing page files (`web/apply.rs`): through
//! [`super::uploads::filing`], hence [`crate::api::filing`] — the same roles (the service's
//! `submitted_by`: every staff role that is a person), region, checks and `case_submitted`
//! record — with the screenshot stored and linked as any scan is ([`crate::uploads`]): a file
//! that is not a PNG, JPEG or PDF by its content is refused beside its field and nothing is
//! filed. **Who reports is the account, not the form:** the full name and the login are taken
//! from the signed-in account on every post, so a report cannot be filed in another's name; the
//! position (an account has roles, not a position) and the contacts are typed, prefilled from
//! the account. After filing, the page at `/failure-report/{number}` gives the registration
//! number and the last day of the term, read from the case.
//!
//! **Who reads a report:** the administrators, whose task it is, and the reporter, on this
//! page. Every staff role files the service, but filing it is no duty that opens the other
//! reports (a screenshot may show a citizen's data): [`api::filing_readers`] leaves such a
//! service's submitters out of its readers and searchers.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::{form_input, plain};
use super::text::Lang;
use super::{Clerk, Ctx, Fields, PageResult, csrf};
use crate::accounts::Role;
use crate::api::{self, ApiError, Completion, auth::Principal};
use crate::definition::Definition;
use crate::runtime::{FieldError, Language, Submission};
use crate::service::Service;
use crate::worker;

/// The service a report opens a case of (`workflows/technical-failure/`).
pub const SERVICE: &str = "technical-failure";

/// The application's fields the account fills, never the form (seeds/003 item 13(1)).
const FULL_NAME: &str = "applicant.full_name";
const LOGIN: &str = "applicant.login";
/// The fields the page prefills: the position, from the account's role; the e-mail, from the
/// account; the page, from the footer's link.
const POSITION: &str = "applicant.position";
const EMAIL: &str = crate::runtime::submission::EMAIL;
const PAGE: &str = "failure.page";

/// The longest page path taken from the footer's link: a path is short, and the field is
/// text the administrators read.
const MAX_PAGE: usize = 500;

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new()
        .route("/failure-report", get(form).post(file))
        .route("/failure-report/{number}", get(filed))
}

/// The query of the footer's link.
#[derive(Deserialize)]
struct Asked {
    /// The path of the page the report is about.
    page: Option<String>,
}

/// The version of the service in force, if `p` may file it: 404 without one, 403 (journalled)
/// when none of `p`'s roles is in its `submitted_by` (a system's account).
fn in_force<'s>(service: &'s Service, p: &Principal) -> Result<&'s Definition, ApiError> {
    let shared = service.engine.shared();
    let (def, _) = shared
        .in_force(SERVICE, shared.clock.now())
        .map_err(|_| ApiError::NotFound(format!("service {SERVICE}")))?;
    p.require(&api::submitters(def))
        .map_err(|e| e.on(SERVICE))?;
    Ok(def)
}

/// `GET /failure-report?page=…`: the form, the page and the contacts filled in.
async fn form(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Query(asked): Query<Asked>,
) -> PageResult {
    let def = in_force(&service, &p)?;
    let mut values = HashMap::new();
    let page: String = asked
        .page
        .unwrap_or_default()
        .chars()
        .take(MAX_PAGE)
        .collect();
    values.insert(PAGE.to_string(), page);
    values.insert(EMAIL.to_string(), p.account.email.clone());
    values.insert(POSITION.to_string(), position(def, &p, ctx.lang));
    Ok(page_of(&ctx, &p, def, &values, &[], StatusCode::OK))
}

/// `POST /failure-report`: files the report in the reporter's region and the page's language
/// and goes to the page that gives its number; or shows the form again with what was typed and
/// each mistake beside its field.
async fn file(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    sent: Fields,
) -> PageResult {
    let def = in_force(&service, &p)?;
    let typed: Vec<_> = def
        .application
        .iter()
        .filter(|f| f.field != FULL_NAME && f.field != LOGIN)
        .cloned()
        .collect();
    let (values, mut data) = sent.of(&typed);
    data.insert(FULL_NAME.into(), json!(p.account.full_name));
    data.insert(LOGIN.into(), json!(p.login()));
    let submission = Submission {
        data: Value::Object(data),
        channel: "internal".into(),
        language: match ctx.lang {
            Lang::Kk => Language::Kk,
            Lang::Ru => Language::Ru,
        },
        sms_consent: false,
        region: p.account.region.clone(),
    };
    match super::uploads::filing(&service, &p, SERVICE, submission, &sent, &ctx.source).await {
        Ok(filed) => Ok(Redirect::to(&format!("/failure-report/{}", filed.number)).into_response()),
        Err(Completion::Rejected(errors)) => Ok(page_of(
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

/// `GET /failure-report/{number}`: the report filed — its registration number, the last day
/// of its term, where the answer goes — for its reporter (by the login the account gave it),
/// and for those who may read the case (its readers, in its region: [`api::case_allowed`]).
/// Filing it makes no one else a reader ([`api::filing_readers`]): every clerk may file one.
async fn filed(
    State(service): State<Service>,
    ctx: Ctx,
    Clerk(p): Clerk,
    Path(number): Path<String>,
) -> PageResult {
    let engine = &service.engine;
    let case = engine
        .store()
        .case_by_number(&number)
        .await
        .map_err(worker::Error::from)?
        .filter(|c| c.service == SERVICE)
        .ok_or_else(|| ApiError::NotFound(format!("case {number}")))?;
    let data = crate::runtime::normalise(&case.scope(""));
    let read = |name: &str| {
        crate::runtime::get_path(&data, name)
            .map(plain)
            .unwrap_or_default()
    };
    // The reporter reads their own report; anyone else only as a reader of the case (the
    // administrators of its region).
    if read(LOGIN) != p.login() {
        api::case_allowed(engine.shared(), &p, &case, &number)?;
    }
    let due = case
        .term
        .as_ref()
        .map(|t| t.due_on.format("%d.%m.%Y").to_string());
    let page = read(PAGE);
    // Back to the page only when it is one of ours: a path, not another site.
    let back = (page.starts_with('/') && !page.starts_with("//")).then_some(page.clone());
    Ok(ctx.page(
        StatusCode::OK,
        Some(&p),
        "failure_report",
        json!({
            "title": super::text::get(ctx.lang, "failure_done_title"),
            "done": {
                "number": number,
                "due": due,
                "email": read(EMAIL),
                "subject": read("failure.subject"),
                "page": page,
                "back": back,
            },
            "form": Value::Null,
        }),
    ))
}

/// What the position field starts with: the title of the reporter's first role (an account
/// holds roles, not a position), for them to correct.
fn position(def: &Definition, p: &Principal, lang: Lang) -> String {
    Role::ALL
        .iter()
        .find(|r| p.account.has_role(**r))
        .and_then(|r| def.roles.get(r.as_str()))
        .map(|t| lang.pick(t).to_string())
        .unwrap_or_default()
}

/// The form, with `values` as typed and `errors` beside their fields.
fn page_of(
    ctx: &Ctx,
    p: &Principal,
    def: &Definition,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let fields: Vec<Value> = def
        .application
        .iter()
        .filter(|f| f.field != FULL_NAME && f.field != LOGIN)
        .map(|f| {
            let value = values.get(&f.field).cloned().unwrap_or_default();
            form_input(f, def.data.get(&f.field), value, errors, lang)
        })
        .collect();
    // A mistake of a field the form does not show (the account's full name or login): said
    // above the form, not lost.
    let unshown: Vec<String> = errors
        .iter()
        .filter(|e| e.field == FULL_NAME || e.field == LOGIN)
        .map(|e| e.field.clone())
        .collect();
    ctx.page(
        status,
        Some(p),
        "failure_report",
        json!({
            "title": super::text::get(lang, "report_failure"),
            "done": Value::Null,
            "form": {
                "title": lang.pick(&def.title),
                "full_name": p.account.full_name,
                "login": p.login(),
                "region": super::text::region(lang, &p.account.region),
                "fields": fields,
                "has_errors": !errors.is_empty(),
                "account_incomplete": !unshown.is_empty(),
                "csrf": csrf(p),
            },
        }),
    )
}
