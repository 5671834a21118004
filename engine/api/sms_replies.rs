//! The citizen's SMS replies and the waves of proactive cases (issue #17; seeds/001, ENPF
//! rules items 4, 15, 16):
//!
//! - `POST /integrations/sms/replies`: the SMS aggregator posts a reply it received. The case
//!   waiting for a message with `sms_reply:` from that number (`store::sms_replies`, an index
//!   by number, not a scan of the cases) gets the message, as `POST /cases/{number}/messages`
//!   delivers one, when the reply is one of the words; otherwise the help SMS goes to that
//!   number through the outbox, a history line records the reply, and the case keeps waiting.
//!   Each reply once, by the aggregator's id: a repeat answers the same and does nothing.
//! - `POST /services/{service}/waves`: a list (CSV) for a wave of proactive cases, by an
//!   administrator or a State Corporation specialist; `GET /waves/{id}`: its progress.
//!
//! **Several cases waiting on one number** (two proactive services offered at once): the
//! reply goes to the case that entered its wait **last**. The citizen answers the SMS they
//! read last — the latest offer —, and an earlier offer still waiting has its own reminder
//! and timeout to come back to the citizen with.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::integrations::system_account;
use super::{ApiError, ApiResult, Body, ErrorBody, Source, allowed, record};
use crate::accounts::Role;
use crate::audit::Action;
use crate::definition::model::SmsReply;
use crate::runtime::{Actor, Job, Language, Waiting, Work};
use crate::service::Service;
use crate::store::{self, sms_replies, waves::Wave};
use crate::wave;
use crate::worker;

/// The routes, each registered with its documentation.
pub(crate) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(sms_reply))
        .routes(routes!(start_wave))
        .routes(routes!(get_wave))
}

/// An SMS the citizen sent back, as the aggregator posts it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Reply {
    /// The aggregator's id of the message: a reply posted twice is recognised by it.
    pub id: String,
    /// The number it came from, e.g. `+77011234567`.
    pub from: String,
    /// What the citizen wrote.
    pub text: String,
    /// When the aggregator received it.
    pub received_at: DateTime<Utc>,
}

/// What was made of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReplyOutcome {
    /// `delivered`: the case got the message; `help_sent`: the reply was none of the words, the
    /// help SMS goes back; `no_case`: no case waits for a reply from that number.
    pub outcome: String,
    /// The case's registration number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
}

/// `+7 701 *** ** 67`: a number for the logs.
fn masked(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return "***".into();
    }
    let head: String = digits[..digits.len().min(4)].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("+{head}*****{tail}")
}

/// The citizen's SMS reply to an offer. Only the token of a system account with the role
/// `sms_provider_system` (of the case's region, or `kz`). Recognised (the whole reply, case,
/// spaces and punctuation aside, one of the message's words): the message is delivered to the
/// case that waits for a reply from that number, the reply's text in its `text` field, and
/// journalled `message_delivered`. Not recognised: the help SMS is sent to that number (once
/// per reply id) and the case keeps waiting. No case waits: 202 `no_case`, nothing stored but
/// the id. A repeated id answers what the first did and does nothing.
#[utoipa::path(
    post,
    path = "/integrations/sms/replies",
    tag = "integrations",
    security(("bearer" = [])),
    request_body = Reply,
    responses(
        (status = 202, description = "Taken: delivered, help sent, or no case waits for that number", body = ReplyOutcome),
        (status = 403, description = "Not the token of an `sms_provider_system` account, or the case is in another region than the account's", body = ErrorBody),
        (status = 422, description = "Not a reply (no id, number or text)", body = ErrorBody),
    ),
)]
async fn sms_reply(
    State(s): State<Service>,
    source: Source,
    p: Principal,
    Body(reply): Body<Reply>,
) -> ApiResult<(StatusCode, Json<ReplyOutcome>)> {
    system_account(&p, Role::SmsProviderSystem)?;
    if reply.id.trim().is_empty() || reply.id.len() > 255 {
        return Err(ApiError::Invalid(
            "`id` must be the aggregator's message id (1 to 255 characters)".into(),
            json!({ "id": "required" }),
        ));
    }
    let engine = &s.engine;
    let db = |e: store::Error| ApiError::from(worker::Error::from(e));
    let (before, waiting) = {
        let mut conn = engine.store().read().await.map_err(db)?;
        let before = sms_replies::find(&mut conn, &reply.id).await.map_err(db)?;
        let waiting = match before {
            Some(_) => Vec::new(),
            None => sms_replies::waiting(&mut conn, &reply.from)
                .await
                .map_err(db)?,
        };
        (before, waiting)
    };
    if let Some((outcome, case)) = before {
        return Ok((StatusCode::ACCEPTED, Json(ReplyOutcome { outcome, case })));
    }
    let Some(w) = waiting.first().cloned() else {
        tracing::info!(phone = %masked(&reply.from), reply = %reply.id, "an SMS reply from a number no case waits for");
        let (id, at) = (reply.id.clone(), reply.received_at);
        engine
            .transact(move |conn, now| {
                let id = id.clone();
                Box::pin(
                    async move { sms_replies::record(conn, &id, "no_case", None, at, now).await },
                )
            })
            .await?
            .map_err(worker::Error::from)?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(ReplyOutcome {
                outcome: "no_case".into(),
                case: None,
            }),
        ));
    };
    allowed(&p, &w.region, &w.number)?;
    let shared = engine.shared();
    let (def, _) = shared
        .pinned(&w.service, &w.version)
        .map_err(ApiError::from)?;
    let Some(rule) = def.sms_replies.get(&w.message).cloned() else {
        return Err(ApiError::Internal);
    };
    let outcome = match read(&rule, &reply.text) {
        Some(payload) => {
            deliver(&s, &p, &source, &w, payload, &reply).await?;
            "delivered"
        }
        None => {
            help(&s, &w, &rule, &reply).await?;
            "help_sent"
        }
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(ReplyOutcome {
            outcome: outcome.into(),
            case: Some(w.number.clone()),
        }),
    ))
}

/// Delivers the recognised reply as the message, journalled as `message_delivered`, and
/// records the reply's id; a message the case refuses now (it left the wait meanwhile) is a
/// conflict, the id left unrecorded so the aggregator may post it again.
async fn deliver(
    s: &Service,
    p: &Principal,
    source: &Source,
    w: &sms_replies::Waiting,
    payload: Value,
    reply: &Reply,
) -> Result<(), ApiError> {
    let entry = record(p.login(), Action::MessageDelivered, &w.number, source)
        .details(json!({ "message": w.message, "channel": "sms", "reply": reply.id }));
    s.engine
        .recording(entry)
        .message(&w.number, &w.message, payload, Actor::Citizen)
        .await?;
    let (id, number, at) = (reply.id.clone(), w.number.clone(), reply.received_at);
    s.engine
        .transact(move |conn, now| {
            let (id, number) = (id.clone(), number.clone());
            Box::pin(async move {
                sms_replies::record(conn, &id, "delivered", Some(&number), at, now).await
            })
        })
        .await?
        .map_err(worker::Error::from)?;
    Ok(())
}

/// The help SMS for a reply that is none of the words: an outbox job of the case (its key the
/// reply's id, so never sent twice), a history line with the reply, and the reply's id
/// recorded — in one transaction.
async fn help(
    s: &Service,
    w: &sms_replies::Waiting,
    rule: &SmsReply,
    reply: &Reply,
) -> Result<(), ApiError> {
    let engine = &s.engine;
    let shared = engine.shared();
    let (def, calendar) = shared
        .pinned(&w.service, &w.version)
        .map_err(ApiError::from)?;
    let state = {
        let mut conn = engine
            .store()
            .read()
            .await
            .map_err(|e| ApiError::from(worker::Error::from(e)))?;
        store::mass_events::states(&mut conn, &[w.case_id])
            .await
            .map_err(|e| ApiError::from(worker::Error::from(e)))?
            .into_iter()
            .next()
            .map(|(_, state)| state)
            .ok_or_else(|| ApiError::NotFound(format!("no case {}", w.number)))?
    };
    let now = shared.clock.now();
    let vars = help_vars(
        def,
        &state,
        now.with_timezone(&calendar.time_zone()).date_naive(),
    );
    let step = state
        .tokens
        .iter()
        .find(|t| matches!(&t.waiting, Waiting::Message { name, .. } if *name == w.message))
        .map(|t| def.step(t.step).name.clone())
        .unwrap_or_default();
    let job = Job {
        key: format!("sms-reply:{}", reply.id),
        work: help_notice(rule, vars),
    };
    let detail = json!({
        "message": w.message,
        "reply": reply.id,
        "text": reply.text,
        "received_at": reply.received_at,
        "help": rule.help,
    });
    let (case_id, id, number, at) = (
        w.case_id,
        reply.id.clone(),
        w.number.clone(),
        reply.received_at,
    );
    engine
        .transact(move |conn, now| {
            let (job, detail, step, id, number) = (
                job.clone(),
                detail.clone(),
                step.clone(),
                id.clone(),
                number.clone(),
            );
            Box::pin(async move {
                if !sms_replies::record(conn, &id, "help_sent", Some(&number), at, now).await? {
                    return Ok(());
                }
                store::department::note_at_step(
                    conn,
                    case_id,
                    &Actor::Citizen,
                    NOT_RECOGNISED,
                    &step,
                    &detail,
                    now,
                )
                .await?;
                store::department::enqueue_notice(conn, case_id, &job, now).await
            })
        })
        .await?
        .map_err(worker::Error::from)?;
    Ok(())
}

/// Starts a wave of proactive cases of `service` from a list in the body: a CSV in UTF-8,
/// header `iin;phone` (and optionally `language`, `kk` or `ru`), `;` or `,` between the
/// columns. For an administrator or a State Corporation specialist; the cases are opened in
/// the caller's region (an account of `kz`: in `kz`). The run goes on in the background:
/// `GET /waves/{id}` says how far it has come.
#[utoipa::path(
    post,
    path = "/services/{service}/waves",
    tag = "cases",
    security(("bearer" = [])),
    params(("service" = String, Path, description = "The proactive service")),
    request_body(content = String, content_type = "text/csv", description = "The list: `iin;phone[;language]`"),
    responses(
        (status = 202, description = "Recorded; the cases are opened in the background", body = Wave),
        (status = 403, description = "Not an administrator or a State Corporation specialist", body = ErrorBody),
        (status = 404, description = "No such service in force", body = ErrorBody),
        (status = 422, description = "Not a proactive service, or the list has no header `iin;phone`", body = ErrorBody),
    ),
)]
async fn start_wave(
    State(s): State<Service>,
    source: Source,
    p: Principal,
    Path(service): Path<String>,
    body: String,
) -> ApiResult<(StatusCode, Json<Wave>)> {
    p.require(&[Role::Administrator, Role::StateCorporationSpecialist])?;
    let region = p.account.region.clone();
    let created = wave::create(&s.engine, &service, body, &region, p.login())
        .await
        .map_err(wave_error)?;
    let entry = record(p.login(), Action::WaveStarted, &service, &source)
        .details(json!({ "wave": created.id, "rows": created.total }));
    s.engine.audit(entry).await?;
    Ok((StatusCode::ACCEPTED, Json(created)))
}

/// A wave's progress: the rows done of the list's, the cases opened, the people skipped (a case
/// of the service open already), the rows refused with their lines and reasons.
#[utoipa::path(
    get,
    path = "/waves/{id}",
    tag = "cases",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The wave's id (a whole number)")),
    responses(
        (status = 200, description = "The wave", body = Wave),
        (status = 403, description = "Not an administrator or a State Corporation specialist", body = ErrorBody),
        (status = 404, description = "No such wave", body = ErrorBody),
    ),
)]
async fn get_wave(
    State(s): State<Service>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Wave>> {
    p.require(&[Role::Administrator, Role::StateCorporationSpecialist])?;
    // Taken as text: an id that is no number, or too large for one, names no wave (404),
    // rather than a 400 of the path's parser.
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::NotFound(format!("no wave `{id}`")));
    };
    Ok(Json(wave::get(&s.engine, id).await.map_err(wave_error)?))
}

/// The variables of the help SMS: those a notice of the case has (the runtime makes them for
/// its own notices): the case data, the registration number, the service's titles in the
/// case's language, the language, the SMS consent and the day. The scenario runner sends its
/// help SMS with the same.
pub fn help_vars(
    def: &crate::definition::Definition,
    state: &crate::runtime::CaseState,
    today: chrono::NaiveDate,
) -> Value {
    let mut vars = state.scope("");
    if let Value::Object(map) = &mut vars {
        let (title, short) = match state.language {
            Language::Kk => (&def.title.kk, &def.short_title.kk),
            Language::Ru => (&def.title.ru, &def.short_title.ru),
        };
        map.insert("registration_number".into(), json!(state.number));
        map.insert("service_title".into(), json!(title));
        map.insert("service_short_title".into(), json!(short));
        map.insert("language".into(), json!(state.language));
        map.insert("sms_consent".into(), json!(state.sms_consent));
        map.insert("today".into(), json!(today.to_string()));
    }
    vars
}

/// What a reply to the message `rule` gives: the message to deliver when the whole reply is
/// one of its words ([`SmsReply::recognise`]) — the answer in its enum field, what the citizen
/// wrote in its `text` field when it has one —, `None` when the help SMS must go instead. The
/// server and the scenario runner (`sms_reply:` steps) both read a reply by this, so a
/// methodologist's scenario reads it as production does.
pub fn read(rule: &SmsReply, text: &str) -> Option<Value> {
    let answer = rule.recognise(text)?;
    let mut payload = json!({ rule.answer.clone(): answer });
    if let Some(field) = &rule.text {
        payload[field] = json!(text);
    }
    Some(payload)
}

/// The kind of the history line a reply that is none of the words leaves on its case.
pub const NOT_RECOGNISED: &str = "sms_reply_not_recognised";

/// The help SMS for a reply that is none of the words, with the variables of [`help_vars`]:
/// to the citizen, by SMS, in the case's language. The server queues it as an outbox job of
/// the case; the scenario runner records it as sent, for `expect: notified:`.
pub fn help_notice(rule: &SmsReply, vars: Value) -> Work {
    Work::Notify {
        to: "citizen".into(),
        template: rule.help.clone(),
        channels: vec!["sms".into()],
        // An answer to the citizen's own SMS, sent as it comes, quiet hours or not.
        urgent: true,
        credentials: None,
        awaited: false,
        vars,
    }
}

fn wave_error(e: wave::Error) -> ApiError {
    match e {
        wave::Error::NoService(_) | wave::Error::NotFound(_) => ApiError::NotFound(e.to_string()),
        wave::Error::NotProactive(_) | wave::Error::BadList(_) => {
            ApiError::Invalid(e.to_string(), Value::Null)
        }
        wave::Error::Engine(e) => e.into(),
        wave::Error::Store(e) => worker::Error::from(e).into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_number_in_the_logs_keeps_its_ends_only() {
        assert_eq!(super::masked("+77011234567"), "+7701*****67");
    }
}
