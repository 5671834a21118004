//! A living case on the clerk's pages and in the API (issue #16: "the payment's state
//! (active, suspended, terminated) and its amount history are on the case page and in the
//! API"): the record card at the top of the case page, the life events a clerk of the
//! event's `by:` roles starts from it, the message form of `/case/{number}/messages/{name}`
//! for an event, and `GET /cases/{number}`'s `living` object.
//!
//! The service is a small definition of this test's own (`living-payment`, below), the shape
//! of the monthly payments after capitalisation cut to what the pages show: an application
//! decided by a clerk (seeds/001 item 12 part 1), then a payment that holds — active or
//! suspended — and is increased (seeds/000 appendix 3), suspended (appendix 4), resumed and
//! terminated (appendix 5). Everything the clerk does here is a form of a page, read from its
//! HTML and posted as a browser posts it; what is asserted is what the clerk reads.
//!
//! The helpers at the end (`Desk`, `form_values`, `text_of`, …) serve the monthly payments'
//! end-to-end test as well (`tests/it/monthly_payments.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use regex::Regex;
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Submission};
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::web::text::{self, Lang};

use crate::browser::Browser;
use crate::notify::mail_server;
use crate::service::{IIN, aggregator, almaty, config_file};
use crate::web::{self, Answer, change_password, page, signed_in};
pub(crate) use crate::workplace::{
    attr, button_formaction, decode, form_html, form_values, text_of,
};

/// The account the payment goes to: personal data on the record.
const ACCOUNT: &str = "KZ86125KZT5004100100";

/// The test's service: a payment that lives after its assignment.
const LIVING: &str = r#"
service: living-payment
version: 2026-01-01
effective_from: 2026-01-01
title: { kk: "Ай сайынғы төлем (сынақ)", ru: "Ежемесячная выплата (проверка)" }
short_title: { kk: "Ай сайынғы төлем", ru: "Ежемесячная выплата" }
basis:
  order_196: { title: "Order No. 196 of 26.05.2026", file: seeds/001 }
  order_213: { title: "Order No. 213", file: seeds/000 }
term:
  working_days: 4
  starts_after: accept
  acceptance_day_counts: false
  source: { act: order_196, item: "item 12 part 1" }
channels: [state_corporation]
results: [terminated]
application:
  - applicant.iin
  - { field: applicant.last_name, required: false }
data:
  applicant.iin:
    type: iin
    label: { kk: "ЖСН", ru: "ИИН" }
  applicant.last_name:
    type: string
    personal: true
    label: { kk: "Тегі", ru: "Фамилия" }
  payment.amount:
    type: money
    label: { kk: "Ай сайынғы төлем мөлшері", ru: "Размер ежемесячной выплаты" }
  payment.from:
    type: date
    label: { kk: "Төлем басталатын күн", ru: "Выплата с" }
  bank.account:
    type: string
    personal: true
    label: { kk: "Алушының шоты", ru: "Счёт получателя" }
  increase.act:
    type: string
    label: { kk: "Құқықтық акт", ru: "Правовой акт" }
  increase.percent:
    type: decimal
    label: { kk: "Арттыру пайызы", ru: "Процент повышения" }
  increase.from:
    type: date
    label: { kk: "Арттыру күні", ru: "Повышение с" }
  suspension.reason:
    type: text
    label: { kk: "Тоқтата тұру себебі", ru: "Причина приостановления" }
  resumption.reason:
    type: text
    label: { kk: "Қайта бастау себебі", ru: "Причина возобновления" }
  termination.reason:
    type: text
    label: { kk: "Тоқтату себебі", ru: "Причина прекращения" }
record: [payment.amount, payment.from, bank.account]
messages:
  increase:
    fields:
      act: { type: string, label: { kk: "Құқықтық акт", ru: "Правовой акт" } }
      from: { type: date, label: { kk: "Қай күннен бастап", ru: "С какой даты" } }
      percent: { type: decimal, label: { kk: "Пайызы", ru: "Процент" } }
  suspension:
    fields:
      reason: { type: text, label: { kk: "Себебі", ru: "Причина" } }
  resumption:
    fields:
      reason: { type: text, label: { kk: "Себебі", ru: "Причина" } }
  termination:
    fields:
      reason: { type: text, label: { kk: "Себебі", ru: "Причина" } }
events:
  increase:
    title: { kk: "Төлем мөлшерін арттыру", ru: "Повышение размера выплаты" }
    source: { act: order_213, item: "appendix 3" }
    message: increase
    during: [payment_active, payment_suspended]
    once_per: "message.act"
    store: { increase.act: "message.act", increase.from: "message.from", increase.percent: "message.percent" }
    by: [provider_specialist]
    start: review_increase
  suspension:
    title: { kk: "Төлемді тоқтата тұру", ru: "Приостановление выплаты" }
    source: { act: order_213, item: "appendix 4" }
    message: suspension
    during: [payment_active]
    store: { suspension.reason: "message.reason" }
    by: [provider_specialist]
    start: review_suspension
  resumption:
    title: { kk: "Төлемді қайта бастау", ru: "Возобновление выплаты" }
    source: { act: order_196, item: "item 12" }
    message: resumption
    during: [payment_suspended]
    store: { resumption.reason: "message.reason" }
    by: [provider_specialist]
    start: review_resumption
  termination:
    title: { kk: "Төлемді тоқтату", ru: "Прекращение выплаты" }
    source: { act: order_213, item: "appendix 5" }
    message: termination
    during: [payment_active, payment_suspended]
    store: { termination.reason: "message.reason" }
    by: [provider_specialist]
    start: review_termination
start: accept
steps:
  accept:
    title: { kk: "Өтінішті қабылдау", ru: "Приём заявления" }
    source: { act: order_196, item: "item 9" }
    task:
      role: front_office_operator
      due: { minutes: 20 }
      form: [applicant.iin]
    outcomes:
      complete: decide
  decide:
    title: { kk: "Төлемді тағайындау", ru: "Назначение выплаты" }
    source: { act: order_196, item: "item 12 part 1" }
    task:
      role: provider_specialist
      due: { working_days: 1 }
      form: [payment.amount, payment.from, bank.account]
    outcomes:
      assign: payment_active
  payment_active:
    title: { kk: "Төлем жүргізілуде", ru: "Выплата производится" }
    source: { act: order_196, item: "item 12" }
    hold: active
  payment_suspended:
    title: { kk: "Төлем тоқтатыла тұрды", ru: "Выплата приостановлена" }
    source: { act: order_213, item: "appendix 4" }
    hold: suspended
  review_increase:
    title: { kk: "Арттыру туралы шешім жобасын қарау", ru: "Рассмотрение проекта решения о повышении" }
    source: { act: order_213, item: "appendix 3" }
    task:
      role: provider_specialist
      due: { working_days: 1 }
    outcomes:
      approve:
        next: payment_active
        set: { payment.amount: "payment.amount * (1.0 + increase.percent / 100.0)", payment.from: "increase.from" }
  review_suspension:
    title: { kk: "Тоқтата тұру туралы шешім", ru: "Решение о приостановлении" }
    source: { act: order_213, item: "appendix 4" }
    task:
      role: provider_specialist
      due: { working_days: 1 }
    outcomes:
      approve: payment_suspended
  review_resumption:
    title: { kk: "Қайта бастау туралы шешім", ru: "Решение о возобновлении" }
    source: { act: order_196, item: "item 12" }
    task:
      role: provider_specialist
      due: { working_days: 1 }
    outcomes:
      approve: payment_active
  review_termination:
    title: { kk: "Тоқтату туралы шешім", ru: "Решение о прекращении" }
    source: { act: order_213, item: "appendix 5" }
    task:
      role: provider_specialist
      due: { working_days: 1 }
    outcomes:
      approve: payment_terminated
  payment_terminated:
    title: { kk: "Төлем тоқтатылды", ru: "Выплата прекращена" }
    source: { act: order_213, item: "appendix 5" }
    end: terminated
"#;

/// A service that never holds: its cases have no `living` in the API.
const PLAIN: &str = r#"
service: plain-certificate
version: 2026-01-01
effective_from: 2026-01-01
title: { kk: "Анықтама (сынақ)", ru: "Справка (проверка)" }
short_title: { kk: "Анықтама", ru: "Справка" }
basis:
  order_196: { title: "Order No. 196 of 26.05.2026", file: seeds/001 }
term:
  working_days: 5
  starts_after: issue
  source: { act: order_196, item: "item 9" }
channels: [state_corporation]
results: [issued]
application: [applicant.iin]
data:
  applicant.iin:
    type: iin
    label: { kk: "ЖСН", ru: "ИИН" }
start: issue
steps:
  issue:
    title: { kk: "Беру", ru: "Выдача" }
    source: { act: order_196, item: "item 9" }
    task: { role: provider_specialist, due: { working_days: 1 } }
    outcomes: { issue: issued }
  issued:
    title: { kk: "Берілді", ru: "Выдано" }
    source: { act: order_196, item: "item 9" }
    end: issued
"#;

/// An installation running this test's services (and the catalog's roles), on a Monday
/// morning, with its loopback mail and SMS servers.
pub(crate) struct Installation {
    pub(crate) service: Service,
    pub(crate) clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

async fn installation() -> Installation {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    for (name, text) in [("living-payment", LIVING), ("plain-certificate", PLAIN)] {
        std::fs::create_dir_all(workflows.join(name)).unwrap();
        std::fs::write(workflows.join(name).join("2026-01-01.yaml"), text).unwrap();
    }
    std::fs::copy("workflows/catalog.yaml", workflows.join("catalog.yaml")).unwrap();
    // The loader finds the calendars and templates beside the workflows folder.
    for shared in ["templates", "calendars"] {
        std::os::unix::fs::symlink(
            std::path::absolute(shared).unwrap(),
            dir.path().join(shared),
        )
        .unwrap();
    }
    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let config = config_file(dir.path(), smtp_port, &sms_base);
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let service = Service::start(Options {
        database: None,
        data_dir: dir.path().join("data"),
        workflows,
        calendars: "calendars".into(),
        templates: "templates".into(),
        config: FileConfig::load(&config).expect("the configuration file loads"),
        clock: clock.clone(),
        env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
    })
    .await
    .expect("the service starts");
    Installation {
        service,
        clock,
        _dir: dir,
    }
}

impl Installation {
    /// A payment assigned: the application filed and accepted, 120 000 tenge a month from
    /// 01.12.2026 decided. Its registration number.
    async fn assigned(&self) -> String {
        let engine = &self.service.engine;
        let number = engine
            .submit(
                "living-payment",
                Submission {
                    data: json!({ "applicant.iin": IIN, "applicant.last_name": "Абенова" }),
                    channel: "state_corporation".into(),
                    language: Language::Ru,
                    sms_consent: false,
                    region: "almaty".into(),
                },
            )
            .await
            .unwrap();
        self.done(
            &number,
            "accept",
            "complete",
            json!({ "applicant.iin": IIN }),
        )
        .await;
        self.clock.set(almaty(2026, 11, 24, 11, 0));
        self.done(
            &number,
            "decide",
            "assign",
            json!({
                "payment.amount": "120000",
                "payment.from": "2026-12-01",
                "bank.account": ACCOUNT,
            }),
        )
        .await;
        number
    }

    /// The open task of `step` completed with `outcome`, as the engine takes a clerk's form.
    async fn done(&self, number: &str, step: &str, outcome: &str, form: Value) {
        let key = self.task(number, step).await;
        self.service
            .engine
            .complete(&key, outcome, form, "specialist1")
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        self.service.engine.drain().await.unwrap();
    }

    /// The key of case `number`'s open task of `step`.
    async fn task(&self, number: &str, step: &str) -> String {
        self.service
            .engine
            .store()
            .tasks(None, None, Some(number))
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.step == step)
            .unwrap_or_else(|| panic!("no open task {step} on {number}"))
            .key
    }
}

/// A staff account made as an administrator makes it, signed in on the page with its own
/// password: the cookie header, with the pages' language.
pub(crate) async fn clerk(service: &Service, login: &str, roles: &[&str], lang: Lang) -> String {
    clerk_in(service, login, roles, "almaty", lang).await
}

/// [`clerk`], of `region` (`kz`: the whole republic).
pub(crate) async fn clerk_in(
    service: &Service,
    login: &str,
    roles: &[&str],
    region: &str,
    lang: Lang,
) -> String {
    let new = qyzmet::accounts::NewAccount {
        login: login.into(),
        full_name: format!("Қызметкер {login}"),
        email: format!("{login}@gov4c.kz"),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        region: region.into(),
        created_by: "admin".into(),
    };
    let temporary = qyzmet::accounts::TemporaryPassword::new().await.unwrap();
    let temporary = service
        .engine
        .transact(move |conn, now| {
            let (new, temporary) = (new.clone(), temporary.clone());
            Box::pin(async move {
                qyzmet::accounts::register(conn, &new, &temporary, None, now)
                    .await
                    .map(|(_, t)| t)
                    .map_err(|e| e.to_string())
            })
        })
        .await
        .unwrap()
        .unwrap();
    let cookie = signed_in(service, login, &temporary).await;
    let cookie = change_password(service, &cookie, &temporary, "Qyzmet-clerk-2026").await;
    format!("{cookie}; lang={}", lang.code())
}

/// A clerk at a browser on the pages of `service`.
pub(crate) struct Desk<'s> {
    pub(crate) service: &'s Service,
    pub(crate) cookie: String,
    pub(crate) lang: Lang,
}

impl Desk<'_> {
    /// A word of the pages' text tables, in the clerk's language.
    pub(crate) fn t(&self, key: &str) -> String {
        text::get(self.lang, key)
            .unwrap_or_else(|| panic!("no text {key}"))
            .to_string()
    }

    /// Opens a page, following no redirect.
    pub(crate) async fn get(&self, uri: &str) -> Answer {
        page(self.service, "GET", uri, Some(&self.cookie), &[]).await
    }

    /// Opens a page that must open.
    pub(crate) async fn open(&self, uri: &str) -> Answer {
        let answer = self.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}:\n{}", answer.html);
        answer
    }

    /// Sends the form `form_id` of the page `on` as the browser sends it (multipart, every
    /// input as rendered, hidden ones too) after the clerk typed `puts` into its inputs, with
    /// the button `name=value` pressed when given.
    pub(crate) async fn send(
        &self,
        on: &Answer,
        form_id: &str,
        button: Option<(&str, &str)>,
        puts: &[(&str, &str)],
    ) -> Answer {
        let form = form_html(&on.html, form_id);
        let open = &form[..form.find('>').unwrap()];
        let mut action = decode(&attr(open, "action").expect("the form has an action"));
        if let Some((name, value)) = button
            && let Some(to) = button_formaction(form, name, value)
        {
            action = to;
        }
        let mut fields = form_values(form);
        for (name, value) in puts {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = value.to_string(),
                None => panic!("the form {form_id} has no input {name}:\n{form}"),
            }
        }
        if let Some((name, value)) = button {
            fields.push((name.to_string(), value.to_string()));
        }
        let parts: Vec<web::Part<'_>> = fields.iter().map(|(n, v)| web::Part::Text(n, v)).collect();
        web::multipart(self.service, &action, &self.cookie, &parts).await
    }

    /// Follows a redirect as the browser does: where it led, and the page there.
    pub(crate) async fn follow(&self, answer: &Answer, what: &str) -> (String, Answer) {
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{what}: no redirect:\n{}",
            answer.html
        );
        let to = answer.location.clone().expect("a location");
        (to.clone(), self.open(&to).await)
    }

    /// On the case page `case`, presses the button of life event `event` and registers it
    /// with `puts` typed into its form: back on the case page, which it returns.
    pub(crate) async fn start_event(
        &self,
        case: &Answer,
        event: &str,
        puts: &[(&str, &str)],
    ) -> Answer {
        let href = event_href(&case.html, event).unwrap_or_else(|| {
            panic!(
                "no button for the event {event} on the case page:\n{}",
                case.html
            )
        });
        let form = self.open(&href).await;
        let sent = self.send(&form, "desk-form", None, puts).await;
        let (to, back) = self.follow(&sent, &format!("the event {event}")).await;
        assert!(to.starts_with("/case/"), "{to}");
        back
    }
}

/// The address the case page's button of life event `event` leads to, if it has one.
pub(crate) fn event_href(html: &str, event: &str) -> Option<String> {
    Regex::new(&format!(
        r#"<a class="button" href="([^"]+)" id="event-{}">"#,
        regex::escape(event)
    ))
    .unwrap()
    .captures(html)
    .map(|c| decode(&c[1]))
}

/// The rows of the living card's history of changes: (field, was, became, event), as read.
pub(crate) fn changes(html: &str) -> Vec<[String; 4]> {
    if !html.contains(r#"id="living-changes""#) {
        return Vec::new();
    }
    let table = text_html(html, "living-changes");
    let cell = Regex::new(r#"(?s)<td[^>]*>(.*?)</td>"#).unwrap();
    let tags = Regex::new(r"<[^>]+>").unwrap();
    Regex::new(r#"(?s)<tr data-name="[^"]*">(.*?)</tr>"#)
        .unwrap()
        .captures_iter(table)
        .map(|row| {
            let cells: Vec<String> = cell
                .captures_iter(&row[1])
                .map(|c| {
                    let text = tags.replace_all(&c[1], " ");
                    decode(&text.split_whitespace().collect::<Vec<_>>().join(" "))
                })
                .collect();
            [
                cells[1].clone(),
                cells[2].clone(),
                cells[3].clone(),
                cells[4].clone(),
            ]
        })
        .collect()
}

/// The HTML of the element with `id`, to its end tag.
fn text_html<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html.find(&format!(r#"id="{id}""#)).unwrap();
    let end = html[start..]
        .find("</table>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// A row of the history of changes, as the clerk reads it.
fn row(field: &str, was: &str, became: &str, event: &str) -> [String; 4] {
    [field.into(), was.into(), became.into(), event.into()]
}

/// A JSON call to the API with a bearer token: its status and body.
async fn call(service: &Service, token: &str, uri: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = service.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_clerk_increases_suspends_resumes_and_terminates_a_payment_from_its_case_page() {
    let i = installation().await;
    let s = &i.service;
    let number = i.assigned().await;
    let case_uri = format!("/case/{number}");
    let specialist = Desk {
        service: s,
        cookie: clerk(s, "specialist1", &["provider_specialist"], Lang::Ru).await,
        lang: Lang::Ru,
    };

    // The card: the state in words, the amount and its date, when the service was rendered,
    // and the assignment as the first line of the history.
    let case = specialist.open(&case_uri).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата производится");
    assert_eq!(
        text_of(&case.html, "living-record"),
        format!(
            "Размер ежемесячной выплаты 120 000,00 тенге Выплата с 01.12.2026 Счёт получателя \
             {ACCOUNT}"
        )
    );
    assert_eq!(
        text_of(&case.html, "living-met"),
        "Услуга оказана 24.11.2026 (срок — до 27.11.2026)"
    );
    let by_decision = specialist.t("living_by_decision");
    assert_eq!(by_decision, "Решение по заявлению");
    assert_eq!(
        changes(&case.html),
        vec![
            row(
                "Размер ежемесячной выплаты",
                "—",
                "120 000,00 тенге",
                &by_decision
            ),
            row("Выплата с", "—", "01.12.2026", &by_decision),
            row("Счёт получателя", "—", ACCOUNT, &by_decision),
        ]
    );
    // What may happen now, for a clerk of the events' `by:` role: an active payment is
    // increased, suspended or terminated, not resumed.
    for event in ["increase", "suspension", "termination"] {
        assert!(event_href(&case.html, event).is_some(), "{event}");
    }
    assert_eq!(event_href(&case.html, "resumption"), None);
    assert_eq!(
        event_href(&case.html, "increase").as_deref(),
        Some(format!("/case/{number}/messages/increase").as_str())
    );

    // A head of department is not in `by:`: no button, and the form is refused (journalled).
    let head = Desk {
        service: s,
        cookie: clerk(s, "head1", &["head_of_department"], Lang::Ru).await,
        lang: Lang::Ru,
    };
    let seen = head.open(&case_uri).await;
    assert_eq!(text_of(&seen.html, "living-state"), "Выплата производится");
    assert_eq!(event_href(&seen.html, "increase"), None);
    // The account is personal: a head of department handles no task of this service, and
    // reads that it is there, not what it is (engine/web/case_file.rs).
    let record = text_of(&seen.html, "living-record");
    assert!(
        record.contains("120 000,00 тенге")
            && record.contains("Счёт получателя скрыто (персональные данные)")
            && !record.contains(ACCOUNT),
        "{record}"
    );
    assert!(!seen.html.contains(ACCOUNT), "nowhere on the page");
    assert!(seen.html.contains(r#"id="living-no-events""#));
    let refused = head.get(&format!("/case/{number}/messages/increase")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);

    // The increase: the event's form has the message's fields with their labels; a mistake
    // comes back beside its field; then it starts, and the case has the event's task.
    let form = specialist
        .open(&format!("/case/{number}/messages/increase"))
        .await;
    assert_eq!(
        text_of(&form.html, "desk-title"),
        "Повышение размера выплаты"
    );
    for label in ["Правовой акт", "С какой даты", "Процент"] {
        assert!(form.html.contains(label), "{label}:\n{}", form.html);
    }
    assert_eq!(text_of(&form.html, "register"), "Начать событие");
    let wrong = specialist
        .send(
            &form,
            "desk-form",
            None,
            &[
                ("act", "Закон № 1"),
                ("from", "31.02.2027"),
                ("percent", "5"),
            ],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.html
    );
    assert!(
        wrong.html.contains(r#"id="field-f-from""#) && wrong.html.contains("aria-invalid"),
        "{}",
        wrong.html
    );
    let case = specialist
        .start_event(
            &case,
            "increase",
            &[
                ("act", "Закон № 1"),
                ("from", "01.01.2027"),
                ("percent", "5"),
            ],
        )
        .await;
    assert!(
        text_of(&case.html, "living-running").starts_with("Идёт: Повышение размера выплаты"),
        "{}",
        text_of(&case.html, "living-running")
    );
    assert!(
        text_of(&case.html, "case-tasks").contains("Рассмотрение проекта решения о повышении"),
        "{}",
        text_of(&case.html, "case-tasks")
    );
    assert_eq!(
        event_href(&case.html, "suspension"),
        None,
        "busy: nothing starts"
    );

    // The same act again is refused in words, beside the form, not as an error page.
    let again = specialist
        .open(&format!("/case/{number}/messages/increase"))
        .await;
    assert!(text_of(&again.html, "desk-notice").contains("занято другим событием"));
    let taken = specialist
        .send(
            &again,
            "desk-form",
            None,
            &[
                ("act", "Закон № 1"),
                ("from", "01.01.2027"),
                ("percent", "5"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.html);
    assert_eq!(
        text_of(&taken.html, "desk-refusal"),
        "«Повышение размера выплаты» по «Закон № 1» уже было начато по этому делу и повторно \
         не регистрируется. Ничего не зарегистрировано."
    );

    // The increase approved: the amount history shows old → new with the event's title.
    i.done(&number, "review_increase", "approve", json!({}))
        .await;
    let case = specialist.open(&case_uri).await;
    assert_eq!(
        changes(&case.html)[3..],
        [
            row(
                "Размер ежемесячной выплаты",
                "120 000,00 тенге",
                "126 000,00 тенге",
                "Повышение размера выплаты"
            ),
            row(
                "Выплата с",
                "01.12.2026",
                "01.01.2027",
                "Повышение размера выплаты"
            ),
        ]
    );
    assert_eq!(text_of(&case.html, "living-state"), "Выплата производится");
    assert!(!case.html.contains(r#"id="living-running""#));

    let case = specialist
        .start_event(
            &case,
            "suspension",
            &[("reason", "Выезд за пределы Республики")],
        )
        .await;
    assert!(text_of(&case.html, "living-running").starts_with("Идёт: Приостановление выплаты"));
    assert_eq!(
        text_of(&case.html, "living-state"),
        "Выплата производится",
        "the payment is what it was until the suspension is decided"
    );

    // Suspended: said in Russian and in Kazakh; it may be resumed, not suspended again.
    i.done(&number, "review_suspension", "approve", json!({}))
        .await;
    let case = specialist.open(&case_uri).await;
    assert_eq!(
        text_of(&case.html, "living-state"),
        "Выплата приостановлена"
    );
    assert!(text_of(&case.html, "living-state").contains("приостановлена"));
    let kazakh = specialist.open(&format!("{case_uri}?lang=kk")).await;
    assert!(text_of(&kazakh.html, "living-state").contains("тоқтатыла тұрды"));
    for event in ["resumption", "increase", "termination"] {
        assert!(event_href(&case.html, event).is_some(), "{event}");
    }
    assert_eq!(event_href(&case.html, "suspension"), None);
    let not_now = specialist
        .get(&format!("/case/{number}/messages/suspension?lang=ru"))
        .await;
    assert_eq!(not_now.status, StatusCode::CONFLICT);
    assert_eq!(
        text_of(&not_now.html, "not-waiting"),
        "Сейчас это невозможно: дело в состоянии «Выплата приостановлена». «Приостановление \
         выплаты» начинается только в состоянии: «Выплата производится». Ничего не \
         зарегистрировано."
    );

    // The API: the same record, as data.
    let token =
        crate::engine::api_token(&s.engine, "system1", &["provider_specialist"], "almaty").await;
    let (status, body) = call(s, &token, &format!("/cases/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let living = &body["living"];
    assert_eq!(living["state"], "suspended");
    assert_eq!(
        living["record"],
        json!({
            "payment.amount": "126000.00",
            "payment.from": "2027-01-01",
            "bank.account": ACCOUNT,
        })
    );
    assert_eq!(
        living["events_open"],
        json!(["increase", "resumption", "termination"])
    );
    assert!(living["held_since"].is_string(), "{living}");
    assert_eq!(living["running"], Value::Null);
    let seen: Vec<Value> = living["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["field"], c["from"], c["to"], c["event"]]))
        .collect();
    assert_eq!(
        seen,
        vec![
            json!(["payment.amount", null, "120000.00", null]),
            json!(["payment.from", null, "2026-12-01", null]),
            json!(["bank.account", null, ACCOUNT, null]),
            json!(["payment.amount", "120000.00", "126000.00", "increase"]),
            json!(["payment.from", "2026-12-01", "2027-01-01", "increase"]),
        ]
    );

    // The OpenAPI document describes it.
    let (_, doc) = call(s, &token, "/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["CaseAnswer"]["properties"]["living"].is_object(),
        "{}",
        schemas["CaseAnswer"]
    );
    for property in ["state", "held_since", "record", "changes", "events_open"] {
        assert!(
            schemas["Living"]["properties"][property].is_object(),
            "{property}: {}",
            schemas["Living"]
        );
    }

    // Resumed, then terminated: the card says the payment ended and offers nothing more.
    let case = specialist
        .start_event(&case, "resumption", &[("reason", "Вернулся в Республику")])
        .await;
    assert!(text_of(&case.html, "living-running").starts_with("Идёт: Возобновление выплаты"));
    i.done(&number, "review_resumption", "approve", json!({}))
        .await;
    let case = specialist.open(&case_uri).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата производится");
    specialist
        .start_event(&case, "termination", &[("reason", "Смерть получателя")])
        .await;
    i.done(&number, "review_termination", "approve", json!({}))
        .await;
    let case = specialist.open(&case_uri).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата прекращена");
    assert!(!case.html.contains(r#"id="living-events-title""#));
    let (_, body) = call(s, &token, &format!("/cases/{number}")).await;
    assert_eq!(body["living"]["state"], "terminated");
    assert_eq!(body["living"]["events_open"], json!([]));

    // A payment still being decided: the card says so, and nothing may start yet.
    let pending = s
        .engine
        .submit(
            "living-payment",
            Submission {
                data: json!({ "applicant.iin": IIN }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    let case = specialist.open(&format!("/case/{pending}")).await;
    assert_eq!(
        text_of(&case.html, "living-state"),
        "Услуга ещё оказывается: состояние появится после решения"
    );
    assert!(!case.html.contains(r#"id="living-events-title""#));
    let (_, body) = call(s, &token, &format!("/cases/{pending}")).await;
    assert_eq!(body["living"]["state"], Value::Null);
    assert_eq!(body["living"]["held_since"], Value::Null);
    let refused = specialist
        .get(&format!("/case/{pending}/messages/increase"))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        text_of(&refused.html, "not-waiting"),
        "Сейчас это невозможно: решение по заявлению ещё не принято. Ничего не зарегистрировано."
    );

    // A service that never holds has no `living`.
    let plain = s
        .engine
        .submit(
            "plain-certificate",
            Submission {
                data: json!({ "applicant.iin": IIN }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    let (status, body) = call(s, &token, &format!("/cases/{plain}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("living").is_none(), "{body}");
    let page = specialist.open(&format!("/case/{plain}")).await;
    assert!(!page.html.contains(r#"id="living""#));
}

#[tokio::test]
async fn each_life_event_started_on_the_page_is_journalled_as_the_clerks_message() {
    let i = installation().await;
    let s = &i.service;
    let number = i.assigned().await;
    let specialist = Desk {
        service: s,
        cookie: clerk(s, "specialist1", &["provider_specialist"], Lang::Kk).await,
        lang: Lang::Kk,
    };
    let case = specialist.open(&format!("/case/{number}")).await;
    assert_eq!(text_of(&case.html, "living-state"), "Төлем жүргізілуде");
    specialist
        .start_event(&case, "suspension", &[("reason", "Тексеру")])
        .await;

    // A resumption registered while the suspension runs waits for it, and the card says so;
    // once the suspension is decided it starts by itself.
    let form = specialist
        .open(&format!("/case/{number}/messages/resumption"))
        .await;
    assert!(
        text_of(&form.html, "desk-notice").contains("Төлемді тоқтата тұру"),
        "{}",
        form.html
    );
    let sent = specialist
        .send(&form, "desk-form", None, &[("reason", "Тексеру аяқталды")])
        .await;
    let (_, case) = specialist.follow(&sent, "the resumption").await;
    assert_eq!(
        text_of(&case.html, "living-waiting"),
        "Ағымдағы оқиға аяқталғанда басталады: Төлемді қайта бастау (24.11.2026 11:00 тіркелді)"
    );
    i.done(&number, "review_suspension", "approve", json!({}))
        .await;
    let case = specialist.open(&format!("/case/{number}")).await;
    assert_eq!(text_of(&case.html, "living-state"), "Төлем тоқтатыла тұрды");
    assert!(text_of(&case.html, "living-running").starts_with("Жүріп жатыр: Төлемді қайта бастау"));
    assert!(!case.html.contains(r#"id="living-waiting""#));

    // The history names the clerk who started it; the journal has the registration.
    let view = s.engine.case(&number).await.unwrap().unwrap();
    let started = view
        .history
        .iter()
        .find(|h| h.kind == "event_started")
        .expect("the event started");
    assert_eq!(
        started.actor,
        qyzmet::runtime::Actor::Clerk("specialist1".into())
    );
    let pool = s.engine.store().sqlite_pool().unwrap();
    let details: Vec<String> = sqlx::query_scalar(
        "select details from audit where action = 'message_delivered' and object = ?",
    )
    .bind(&number)
    .fetch_all(pool)
    .await
    .unwrap();
    let details: Vec<Value> = details
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(
        details,
        vec![
            json!({ "message": "suspension", "event": "suspension" }),
            json!({ "message": "resumption", "event": "resumption" }),
        ]
    );

    // An operator registers the citizen's messages, but does not start events: refused.
    let operator = Desk {
        service: s,
        cookie: clerk(s, "operator1", &["front_office_operator"], Lang::Kk).await,
        lang: Lang::Kk,
    };
    let refused = operator
        .get(&format!("/case/{number}/messages/suspension"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let denied: i64 = sqlx::query_scalar(
        "select count(*) from audit where action = 'access_denied' and actor = 'operator1'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(denied, 1);
}

#[tokio::test]
async fn in_chromium_the_record_card_fits_an_office_screen_and_a_phone() {
    let i = installation().await;
    let s = &i.service;
    let number = i.assigned().await;
    let _ = clerk(s, "specialist1", &["provider_specialist"], Lang::Ru).await;
    // An increase decided, so that the card has its history.
    s.engine
        .message(
            &number,
            "increase",
            json!({ "act": "Закон № 1", "from": "2027-01-01", "percent": 5 }),
            qyzmet::runtime::Actor::Clerk("specialist1".into()),
        )
        .await
        .unwrap();
    i.done(&number, "review_increase", "approve", json!({}))
        .await;

    let base = crate::browser::serve(s).await;
    let shots: Option<PathBuf> = crate::browser::shots_dir("qyzmet-living-shots-");
    let browser = Browser::start().await;
    browser.resize(1366, 900).await;
    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "specialist1").await;
    browser.fill("#password", "Qyzmet-clerk-2026").await;
    browser.click("#sign-in").await;
    browser.text("#nav-queue").await;
    for width in [1366u32, 390] {
        browser.resize(width, 900).await;
        browser.goto(&format!("{base}/case/{number}")).await;
        assert_eq!(browser.text("#living-state").await, "Выплата производится");
        assert!(
            browser
                .text(r#"#living-record dd[data-name="payment.amount"]"#)
                .await
                .contains("126 000,00")
        );
        let wide = browser
            .client()
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        assert!(
            wide <= u64::from(width),
            "the case page is {wide} px wide on a {width} px screen"
        );
        if let Some(dir) = &shots {
            let height = browser
                .client()
                .execute(
                    "const e = document.getElementById('living'); \
                     return Math.ceil(e.getBoundingClientRect().bottom + window.scrollY + 200)",
                    vec![],
                )
                .await
                .unwrap()
                .as_u64()
                .unwrap();
            browser.resize(width, height.clamp(400, 3000) as u32).await;
            browser.goto(&format!("{base}/case/{number}")).await;
            browser.text("#living-state").await;
            let path = browser
                .screenshot(dir.join(format!("living-{width}.png")))
                .await;
            eprintln!("screenshot: {}", path.display());
        }
    }
    // The button leads to the event's form, as a browser follows it.
    browser.resize(1366, 900).await;
    browser.goto(&format!("{base}/case/{number}")).await;
    browser.click("#event-suspension").await;
    assert_eq!(browser.text("#desk-title").await, "Приостановление выплаты");
}
