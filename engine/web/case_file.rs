//! The case file: what a clerk needs to see of a case to work it, on the case page and on
//! every task page — the applicant and the representative, the contacts, each state system's
//! answer and when it came, the citizen's messages (the objection), the documents, and every
//! earlier task with its values, outcome, clerk and time.
//!
//! It is laid out by the definition's own data labels (and a called sub-workflow's, for the
//! data of its scope), in the clerk's language, so a new service needs no code here. A value
//! is written as a person reads it ([`view::value_text`]).
//!
//! **Who sees what.** A case is opened only by the staff of its region (the callers go
//! through [`crate::api::opening`] or [`crate::api::task_for`]). Within that, data the
//! definition marks `personal: true` (and IINs and phones, always personal) are shown only to
//! the roles that handle the service — the roles of its tasks, of the tasks of the
//! sub-workflows it calls, and its `submitted_by`. Anyone else (an administrator, a
//! methodologist) sees that a value exists and that it is hidden: access to a system is
//! "exclusively within ex-officio full powers" (seeds/003 item 30), and keeping accounts and
//! incidents needs no citizen's name.
//!
//! **Journalled.** Every case file drawn is an `case_file_opened` record (who looked at whose
//! case: the object is the registration number; `details.task` names the task when it was
//! opened from a task's page), appended before anything is read, so no case file is shown
//! that the journal does not hold.

use std::collections::BTreeSet;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use super::WebError;
use super::text::{self, Lang};
use super::view;
use crate::api::{self, Source, auth::Principal};
use crate::audit::Action;
use crate::definition::expr::Type;
use crate::definition::model::{Definition, FieldDef, StepKind};
use crate::runtime::{CaseState, HistoryEntry, get_path};
use crate::service::Service;
use crate::store::case_links;
use crate::worker::{self, Shared};

/// This part's pages: the case's diagram at full size, to zoom without a script.
pub fn routes() -> Router<Service> {
    Router::new()
        .route("/case/{number}/diagram.svg", get(super::case::diagram_svg))
        // The evidence of a portal filing: the signed document and the signature.
        .merge(super::signed::routes())
}

/// The case file of `case` as `p` may see it, in `lang`, for the `case_file` partial;
/// journalled as opened by `p` from `source`.
pub async fn view(
    service: &Service,
    p: &Principal,
    case: &CaseState,
    lang: Lang,
    source: &Source,
) -> Result<Value, WebError> {
    build(service, p, case, lang, source, None).await
}

/// [`view`] for the page of task `key`: the journal names the task.
pub async fn view_on_task(
    service: &Service,
    p: &Principal,
    case: &CaseState,
    lang: Lang,
    source: &Source,
    key: &str,
) -> Result<Value, WebError> {
    build(service, p, case, lang, source, Some(key)).await
}

async fn build(
    service: &Service,
    p: &Principal,
    case: &CaseState,
    lang: Lang,
    source: &Source,
    task: Option<&str>,
) -> Result<Value, WebError> {
    let engine = &service.engine;
    let mut entry = api::record(p.login(), Action::CaseFileOpened, &case.number, source);
    if let Some(key) = task {
        entry = entry.details(json!({ "task": key }));
    }
    engine.audit(entry).await?;
    let shared = engine.shared();
    let (def, _) = shared.pinned(&case.service, &case.version)?;
    let history = engine
        .store()
        .history(case.id)
        .await
        .map_err(worker::Error::from)?;
    let (signed, counted, counted_in) = {
        let mut conn = engine.store().read().await.map_err(worker::Error::from)?;
        let signed = crate::store::portal::of_case(&mut conn, &case.number)
            .await
            .map_err(worker::Error::from)?;
        let counted = case_links::of_report(&mut conn, case.id)
            .await
            .map_err(worker::Error::from)?;
        let counted_in = case_links::counted_in(&mut conn, &case.number)
            .await
            .map_err(worker::Error::from)?;
        (signed, counted, counted_in)
    };
    let mut file = File {
        shared,
        def,
        case,
        lang,
        catalog: &service.catalog,
        personal: handles(shared, def, p),
        shown: BTreeSet::new(),
        signed,
        counted,
        counted_in,
    };
    Ok(file.draw(&history))
}

/// Whether `p` holds a role that handles cases of `def` ([`api::readers`]): the case
/// file shows personal data to them only.
pub fn handles(shared: &Shared, def: &Definition, p: &Principal) -> bool {
    api::readers(shared, def)
        .into_iter()
        .any(|r| p.account.has_role(r))
}

/// The scope of a step path: `""` for `review`, `provisional_refusal_hearing` for
/// `provisional_refusal_hearing/hold_hearing`.
fn scope_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(scope, _)| scope)
}

/// One case file being drawn.
struct File<'a> {
    shared: &'a Shared,
    def: &'a Definition,
    case: &'a CaseState,
    lang: Lang,
    catalog: &'a crate::definition::catalog::Catalog,
    /// Whether the reader may see personal data.
    personal: bool,
    /// The data (scope, name) already shown in a group of their own, so that "other data"
    /// lists only the rest.
    shown: BTreeSet<(String, String)>,
    /// The evidence of a portal filing: what the citizen signed, and who signed.
    signed: Option<crate::store::portal::Evidence>,
    /// The cases this case (a report) counted.
    counted: Vec<case_links::Link>,
    /// The reports that counted this case.
    counted_in: Vec<case_links::CountedIn>,
}

impl File<'_> {
    fn draw(&mut self, history: &[HistoryEntry]) -> Value {
        let applicant = self.group("", |name, d| {
            name.starts_with("applicant.") && !matches!(d.ty, Type::Phone | Type::Email)
        });
        let representative = self.group("", |name, _| name.starts_with("representative."));
        let contacts = self.contacts();
        let answers = self.answers(history);
        let messages = self.messages(history);
        let documents = self.documents();
        let tasks = self.tasks(history);
        let other = self.other();
        let card = |id: &str, title: &str, lines: Vec<Value>| {
            let title = self.t(title);
            json!({ "id": id, "title": title, "lines": lines })
        };
        let mut head = vec![card("applicant", "case_file_applicant", applicant)];
        if !representative.is_empty() {
            head.push(card(
                "representative",
                "case_file_representative",
                representative,
            ));
        }
        head.push(card("contacts", "case_file_contacts", contacts));
        let mut tail = Vec::new();
        if let Some(signed) = self.signed_lines() {
            tail.push(card("signed", "case_file_signed", signed));
        }
        if !self.counted.is_empty() {
            tail.push(card("counted", "case_file_counted", self.counted_lines()));
        }
        if !self.counted_in.is_empty() {
            tail.push(card(
                "counted-in",
                "case_file_counted_in",
                self.counted_in_lines(),
            ));
        }
        if !documents.is_empty() {
            tail.push(card("documents", "case_file_documents", documents));
        }
        if !other.is_empty() {
            tail.push(card("other", "case_file_other", other));
        }
        json!({
            "restricted": !self.personal,
            "head": head,
            "answers": answers,
            "messages": messages,
            "tasks": tasks,
            "tail": tail,
        })
    }

    fn t(&self, key: &str) -> String {
        text::get(self.lang, key).unwrap_or_default().to_string()
    }

    /// The declaration of `name` in `scope`: the data of the scope's definition (or its
    /// parameters).
    fn decl(&self, scope: &str, name: &str) -> Option<&FieldDef> {
        let def = view::scope_definition(self.shared, self.def, scope)?;
        def.data.get(name).or_else(|| def.parameters.get(name))
    }

    /// One line of a group: the label and the value of data `name` in `scope`, or `None`
    /// when it has no value. A personal value is hidden from a reader who does not handle the
    /// case.
    fn item(&mut self, scope: &str, name: &str) -> Option<Value> {
        let value = get_path(self.case.data.get(scope)?, name)?;
        let decl = self.decl(scope, name);
        let text = view::value_text(value, decl.map(|d| &d.ty), self.lang)?;
        let label = decl
            .and_then(|d| d.label.as_ref())
            .map_or_else(|| name.to_string(), |l| self.lang.pick(l).to_string());
        let personal = decl.is_some_and(|d| d.personal);
        let href = view::document_link(value).or_else(|| self.scan_link(value));
        self.shown.insert((scope.to_string(), name.to_string()));
        Some(line(name, label, text, href, personal && !self.personal))
    }

    /// The link of an uploaded scan the case holds without one (stored before the case had
    /// its number: a scan attached at filing), made from its content hash.
    fn scan_link(&self, value: &Value) -> Option<String> {
        let sha = value.get("sha256")?.as_str()?;
        crate::uploads::is_sha256(sha).then(|| super::uploads::href(&self.case.number, sha))
    }

    /// The lines of the data of `scope` that `pick` chooses, in the definition's order.
    fn group(&mut self, scope: &str, pick: impl Fn(&str, &FieldDef) -> bool) -> Vec<Value> {
        let Some(def) = view::scope_definition(self.shared, self.def, scope) else {
            return Vec::new();
        };
        let names: Vec<String> = def
            .data
            .iter()
            .filter(|(name, d)| pick(name, d))
            .map(|(name, _)| name.clone())
            .collect();
        names
            .iter()
            .filter_map(|name| self.item(scope, name))
            .collect()
    }

    /// How the citizen is reached: the phone and e-mail the case holds, the consent to SMS,
    /// the language of the application and where it was filed.
    fn contacts(&mut self) -> Vec<Value> {
        let mut lines = self.group("", |_, d| matches!(d.ty, Type::Phone | Type::Email));
        let sms = self.t(if self.case.sms_consent { "yes" } else { "no" });
        lines.push(line(
            "sms_consent",
            self.t("case_file_sms_consent"),
            sms,
            None,
            false,
        ));
        let language = self.t(match self.case.language {
            crate::runtime::Language::Kk => "case_file_language_kk",
            crate::runtime::Language::Ru => "case_file_language_ru",
        });
        lines.push(line(
            "language",
            self.t("case_file_language"),
            language,
            None,
            false,
        ));
        lines.push(line(
            "channel",
            self.t("case_file_channel"),
            text::value(self.lang, &self.case.channel),
            None,
            false,
        ));
        lines
    }

    /// Each state system's answer (or its failure to answer), when it came, and the data
    /// its request step recorded from it.
    fn answers(&mut self, history: &[HistoryEntry]) -> Vec<Value> {
        let mut out = Vec::new();
        for h in history {
            let answered = match h.kind.as_str() {
                // An answer the citizen signed with the application (the eGov portal): what
                // it recorded shows as a gateway answer's does.
                "data_received" | "data_signed" => true,
                "request_failed" => false,
                _ => continue,
            };
            let Some(path) = h.step.as_deref() else {
                continue;
            };
            let Some((_, step)) = self.shared.step_at(self.def, path) else {
                continue;
            };
            let StepKind::Request(r) = &step.kind else {
                continue;
            };
            let scope = scope_of(path);
            let lines: Vec<Value> = if answered {
                r.output
                    .iter()
                    .filter_map(|(name, _)| self.item(scope, name))
                    .collect()
            } else {
                Vec::new()
            };
            let system = self.catalog.connectors.get(&r.connector).map_or_else(
                || r.connector.clone(),
                |c| self.lang.pick(&c.title).to_string(),
            );
            out.push(json!({
                "step": crate::definition::graph::title(step, self.lang.definition()),
                "system": system,
                "at": view::when(h.at),
                "answered": answered,
                "attempts": h.detail.get("attempts").and_then(Value::as_u64),
                "lines": lines,
            }));
        }
        out
    }

    /// The citizen's messages the case took (an objection: what it says, how it came), with
    /// when, and those still waiting for a step to take them.
    fn messages(&mut self, history: &[HistoryEntry]) -> Vec<Value> {
        let mut out = Vec::new();
        for h in history {
            if !matches!(h.kind.as_str(), "message_received" | "message_taken") {
                continue;
            }
            let Some(path) = h.step.as_deref() else {
                continue;
            };
            let Some((_, step)) = self.shared.step_at(self.def, path) else {
                continue;
            };
            let StepKind::Receive { message, store, .. } = &step.kind else {
                continue;
            };
            let scope = scope_of(path);
            let lines: Vec<Value> = store
                .iter()
                .filter_map(|(name, _)| self.item(scope, name))
                .collect();
            // A message taken from the inbox came when it was received, not when taken.
            let at = h
                .detail
                .get("received_at")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or(h.at);
            out.push(json!({
                "title": self.message_title(message),
                "at": view::when(at),
                "by": view::actor(&h.actor, self.catalog, self.lang),
                "waiting": false,
                "lines": lines,
            }));
        }
        for m in &self.case.inbox {
            let lines = self.payload(&m.name, &m.payload);
            out.push(json!({
                "title": self.message_title(&m.name),
                "at": view::when(m.received_at),
                "by": Value::Null,
                "waiting": true,
                "lines": lines,
            }));
        }
        out
    }

    fn message_title(&self, name: &str) -> String {
        text::or(self.lang, &format!("case_file_message_{name}"), name)
    }

    /// The fields of a message no step has taken yet, typed as the definition (or a called
    /// sub-workflow) declares the message.
    fn payload(&self, name: &str, payload: &Value) -> Vec<Value> {
        let Some(fields) = payload.as_object() else {
            return Vec::new();
        };
        let declared = self.message_fields(name);
        fields
            .iter()
            .filter_map(|(field, value)| {
                let decl = declared.and_then(|d| d.get(field));
                let text = view::value_text(value, decl.map(|d| &d.ty), self.lang)?;
                let label = text::or(
                    self.lang,
                    &format!("case_file_message_field_{field}"),
                    field,
                );
                let hidden = decl.is_some_and(|d| d.personal) && !self.personal;
                Some(line(field, label, text, view::document_link(value), hidden))
            })
            .collect()
    }

    fn message_fields(&self, name: &str) -> Option<&indexmap::IndexMap<String, FieldDef>> {
        self.def.messages.get(name).or_else(|| {
            self.shared
                .subworkflows
                .values()
                .find_map(|sub| sub.messages.get(name))
        })
    }

    /// The application the citizen signed on the eGov portal: the signer as the certificate
    /// names them (personal data), the certificate, when it was signed, and both files.
    fn signed_lines(&self) -> Option<Vec<Value>> {
        let e = self.signed.as_ref()?;
        let number = &self.case.number;
        Some(vec![
            line(
                "signed.signer",
                self.t("case_file_signed_signer"),
                e.signer_name.clone(),
                None,
                !self.personal,
            ),
            line(
                "signed.serial",
                self.t("case_file_signed_serial"),
                e.certificate_serial.clone(),
                None,
                false,
            ),
            line(
                "signed.issuer",
                self.t("case_file_signed_issuer"),
                e.certificate_issuer.clone(),
                None,
                false,
            ),
            line(
                "signed.at",
                self.t("case_file_signed_at"),
                e.signed_at
                    .map(view::when)
                    .unwrap_or_else(|| self.t("case_file_signed_no_time")),
                None,
                false,
            ),
            line(
                "signed.document",
                self.t("case_file_signed_document"),
                format!("{number}-document.json"),
                Some(super::signed::href(number, "document.json")),
                !self.personal,
            ),
            line(
                "signed.signature",
                self.t("case_file_signed_signature"),
                format!("{number}-signature.p7s"),
                Some(super::signed::href(number, "signature.p7s")),
                !self.personal,
            ),
        ])
    }

    /// The cases a report counted, each a link to its page, under its result: the number, the
    /// date it was counted by and the amount summed (the period too, when the report counted
    /// more than one). Registration numbers and amounts, no citizen's name: shown to whoever
    /// may open the report; each case's own page asks its own permission.
    fn counted_lines(&self) -> Vec<Value> {
        let periods: BTreeSet<&str> = self.counted.iter().map(|l| l.period.as_str()).collect();
        self.counted
            .iter()
            .map(|l| {
                let mut label = l
                    .result
                    .as_deref()
                    .map(|r| text::result(self.lang, r))
                    .unwrap_or_else(|| self.t("case_file_counted_running"));
                if periods.len() > 1 {
                    label = format!("{label} · {}", l.period);
                }
                let mut parts = vec![l.number.clone()];
                parts.extend(view::value_text(
                    &json!(l.on_date),
                    Some(&Type::Date),
                    self.lang,
                ));
                if let Some(amount) = &l.amount {
                    parts.extend(view::value_text(
                        &json!(amount),
                        Some(&Type::Money),
                        self.lang,
                    ));
                }
                line(
                    &format!("counted.{}", l.number),
                    label,
                    parts.join(" · "),
                    Some(format!("/case/{}", l.number)),
                    false,
                )
            })
            .collect()
    }

    /// The reports that counted this case, each a link to the report's page.
    fn counted_in_lines(&self) -> Vec<Value> {
        self.counted_in
            .iter()
            .map(|c| {
                line(
                    &format!("counted_in.{}", c.number),
                    c.period.clone(),
                    format!("{} — {}", c.number, self.service_title(&c.service)),
                    Some(format!("/case/{}", c.number)),
                    false,
                )
            })
            .collect()
    }

    /// A service's short title in the reader's language (its latest version's), or its id.
    fn service_title(&self, service: &str) -> String {
        self.shared
            .definitions
            .iter()
            .filter(|((id, _), _)| id == service)
            .max_by_key(|(_, d)| d.effective_from)
            .map(|(_, d)| self.lang.pick(&d.short_title).to_string())
            .unwrap_or_else(|| service.to_string())
    }

    /// The documents the case holds (a `document` field's value, in any scope).
    fn documents(&mut self) -> Vec<Value> {
        let scopes: Vec<String> = self.case.data.keys().cloned().collect();
        let mut out = Vec::new();
        for scope in scopes {
            out.extend(self.group(&scope, |_, d| matches!(d.ty, Type::Any)));
        }
        out
    }

    /// Every completed task: its step, the outcome, who completed it and when, and the
    /// values of its form and of its outcome's `set`.
    fn tasks(&mut self, history: &[HistoryEntry]) -> Vec<Value> {
        let mut out = Vec::new();
        for h in history.iter().filter(|h| h.kind == "task_completed") {
            let Some(path) = h.step.as_deref() else {
                continue;
            };
            let Some((_, step)) = self.shared.step_at(self.def, path) else {
                continue;
            };
            let StepKind::Task(task) = &step.kind else {
                continue;
            };
            let outcome = h.detail.get("outcome").and_then(Value::as_str);
            let scope = scope_of(path);
            let mut names: Vec<&str> = task.form.iter().map(|f| f.field.as_str()).collect();
            if let Some(t) = outcome.and_then(|o| task.outcomes.get(o)) {
                names.extend(t.set.iter().map(|(name, _)| name.as_str()));
            }
            let lines: Vec<Value> = names
                .iter()
                .filter_map(|name| self.item(scope, name))
                .collect();
            out.push(json!({
                "step": crate::definition::graph::title(step, self.lang.definition()),
                "outcome": outcome.map(|o| text::outcome(self.lang, o)),
                "by": view::actor(&h.actor, self.catalog, self.lang),
                "at": view::when(h.at),
                "late": h.detail.get("late").and_then(Value::as_bool) == Some(true),
                "lines": lines,
            }));
        }
        out
    }

    /// The data with a value that no group above showed (set by an outcome, recorded on a
    /// notice's sending), so that the file holds everything the case does.
    fn other(&mut self) -> Vec<Value> {
        let scopes: Vec<String> = self.case.data.keys().cloned().collect();
        let mut out = Vec::new();
        for scope in scopes {
            let shown: BTreeSet<String> = self
                .shown
                .iter()
                .filter(|(s, _)| *s == scope)
                .map(|(_, n)| n.clone())
                .collect();
            out.extend(self.group(&scope, |name, _| !shown.contains(name)));
        }
        out
    }
}

/// One line as the partial draws it; a hidden one has no value and no link.
fn line(name: &str, label: String, value: String, href: Option<String>, hidden: bool) -> Value {
    if hidden {
        json!({ "name": name, "label": label, "value": Value::Null, "href": Value::Null, "hidden": true })
    } else {
        json!({ "name": name, "label": label, "value": value, "href": href, "hidden": false })
    }
}

#[cfg(test)]
mod tests {
    use super::scope_of;

    #[test]
    fn a_step_path_names_its_scope() {
        assert_eq!(scope_of("review"), "");
        assert_eq!(
            scope_of("provisional_refusal_hearing/hold_hearing"),
            "provisional_refusal_hearing"
        );
        assert_eq!(scope_of("a/b/c"), "a/b");
    }
}
