//! The monthly payments after capitalisation on the pages, end to end (issue #16: "Done when a
//! clerk can take a monthly payment from the application to its termination on the pages"):
//! workflows/monthly-payments-after-capitalisation, in Russian.
//!
//! The desk registers the citizen's application (seeds/000 appendix 1, filled from GBD FL) and
//! the front office accepts it; GBD FL and the bank answer through the gateway (seeds/001 item
//! 9); the State Corporation prepares the draft decision, which the specialist of the
//! assignment division reviews, the head of division approves and the head of the Department
//! signs (seeds/000 appendix 2; seeds/001 item 12 part 1); the result goes to the State
//! Corporation through the gateway (item 12 part 5), and the payment holds, active. Then, from
//! the case page: an increase (appendix 3), a suspension (appendix 4), a resumption and a
//! termination (appendix 5), each prepared, reviewed, approved and signed, and the record card
//! says what the payment is and how its amount changed.
//!
//! Every action is a form of a page posted as a browser posts it (`living::Desk`); the
//! engine's jobs and the gateway simulator run between the clerks' actions (`drain`).

use axum::http::StatusCode;
use regex::Regex;

use qyzmet::web::text::Lang;

use crate::living::{self, Desk, changes, decode, event_href, text_of};
use crate::service::{IIN, Running};
use crate::web::{Answer, service};

const APPLY: &str = "/apply/monthly-payments-after-capitalisation";

/// A clerk of one role at a browser, in Russian.
struct Clerk<'r> {
    r: &'r Running,
    desk: Desk<'r>,
}

impl<'r> Clerk<'r> {
    async fn new(r: &'r Running, login: &str, role: &str) -> Clerk<'r> {
        let cookie = living::clerk(r.svc(), login, &[role], Lang::Ru).await;
        Clerk {
            r,
            desk: Desk {
                service: r.svc(),
                cookie,
                lang: Lang::Ru,
            },
        }
    }

    /// The key of case `number`'s task in the clerk's queue (the row's "open" link).
    async fn task_in_queue(&self, number: &str) -> String {
        let queue = self.desk.open("/queue").await;
        let re = Regex::new(&format!(
            r#"(?s)<tr class="task[^"]*" data-key="([^"]+)" data-number="{}""#,
            regex::escape(number)
        ))
        .unwrap();
        let c = re
            .captures(&queue.html)
            .unwrap_or_else(|| panic!("{number} is not in the clerk's queue:\n{}", queue.html));
        decode(&c[1])
    }

    /// The task of case `number` in the clerk's queue: opened, claimed, the fields `puts`
    /// typed, the outcome `outcome` pressed (and confirmed when the page asks). The done
    /// page's HTML, once the engine and the simulator ran.
    async fn complete(&self, number: &str, outcome: &str, puts: &[(&str, &str)]) -> Answer {
        let key = self.task_in_queue(number).await;
        let form = self.desk.open(&format!("/queue/{key}")).await;
        assert!(
            form.html.contains(r#"id="claim""#),
            "the task {key} offers no claim:\n{}",
            form.html
        );
        let claimed = self
            .desk
            .send(&form, "task-form", Some(("then", "form")), &[])
            .await;
        let (_, form) = self.desk.follow(&claimed, "the claim").await;
        assert!(
            form.html.contains(&format!(r#"id="outcome-{outcome}""#)),
            "no button for outcome {outcome}:\n{}",
            form.html
        );
        let sent = self
            .desk
            .send(&form, "task-form", Some(("outcome", outcome)), puts)
            .await;
        let sent = if sent.status == StatusCode::OK && sent.html.contains(r#"id="confirm-yes""#) {
            self.desk
                .send(&sent, "confirm-form", Some(("confirm", "yes")), &[])
                .await
        } else {
            sent
        };
        let (to, _) = self.desk.follow(&sent, &format!("outcome {outcome}")).await;
        assert_eq!(to, format!("/queue/{key}/done"));
        self.r.drain().await;
        self.desk.open(&to).await
    }

    /// The case page, as the clerk reads it.
    async fn case(&self, number: &str) -> Answer {
        self.desk.open(&format!("/case/{number}")).await
    }
}

/// The four signatures every decision of the payment's life takes (seeds/000 appendices 3-5:
/// prepared by the State Corporation; the specialist, the head of division, the head of the
/// Department), each from the clerk's own queue.
struct Officials<'r> {
    state_corporation: Clerk<'r>,
    specialist: Clerk<'r>,
    head: Clerk<'r>,
    director: Clerk<'r>,
}

impl Officials<'_> {
    /// A life event's decision from the draft to the signature: `prepare` with `prepared`,
    /// then reviewed, approved and signed with its number `number_field`.
    async fn decide(
        &self,
        case: &str,
        prepared: &[(&str, &str)],
        number_field: &str,
        decision_number: &str,
    ) {
        self.state_corporation
            .complete(case, "prepared", prepared)
            .await;
        self.specialist.complete(case, "reviewed", &[]).await;
        self.head.complete(case, "approved", &[]).await;
        self.director
            .complete(case, "signed", &[(number_field, decision_number)])
            .await;
    }
}

#[tokio::test]
async fn a_clerk_takes_a_monthly_payment_from_the_application_to_its_termination_on_the_pages() {
    let r = service().await;
    let operator = Clerk::new(&r, "desk-mp", "front_office_operator").await;
    let officials = Officials {
        state_corporation: Clerk::new(&r, "gk-mp", "state_corporation_specialist").await,
        specialist: Clerk::new(&r, "spec-mp", "provider_specialist").await,
        head: Clerk::new(&r, "head-mp", "head_of_department").await,
        director: Clerk::new(&r, "director-mp", "department_director").await,
    };

    // ── The desk: the IIN typed, "Fill from GBD FL", the application registered. ──
    let form = operator.desk.open(APPLY).await;
    let filled = operator
        .desk
        .send(
            &form,
            "apply-form",
            Some(("action", "prefill")),
            &[("applicant.iin", IIN)],
        )
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.html);
    assert!(filled.html.contains(r#"id="prefilled""#), "{}", filled.html);
    let filed = operator
        .desk
        .send(
            &filled,
            "apply-form",
            Some(("action", "file")),
            &[
                ("bank.account_number", "KZ86125KZT5004100100"),
                ("language", "ru"),
            ],
        )
        .await;
    let (to, acceptance) = operator.desk.follow(&filed, "filing at the desk").await;
    assert!(to.starts_with("/queue/"), "{to}");
    let number = Regex::new(r#"<a href="/case/([^"/]+)" id="case-link">"#)
        .unwrap()
        .captures(&acceptance.html)
        .unwrap_or_else(|| panic!("no link to the case:\n{}", acceptance.html))[1]
        .to_string();

    // ── The acceptance: the form of appendix 1 completed from the documents. ──
    operator
        .complete(
            &number,
            "accepted",
            &[
                ("applicant.sex", "female"),
                ("identity.document_type", "identity_card"),
                ("address.region", "г. Алматы"),
                ("address.city", "Алматы"),
                ("address.street", "ул. Жамбыла"),
                ("address.house", "12"),
                ("bank.name", "АО «Халык Банк Казахстана»"),
                ("bank.account_type", "card"),
                ("application.filed_on", "23.11.2026"),
                (
                    "application.documents",
                    "Удостоверение личности — 1 л.\nСправка о капитализации — 2 л.",
                ),
                ("consent.personal_data", "true"),
                ("consent.secret_data", "true"),
                ("department.region", "г. Алматы"),
            ],
        )
        .await;

    // ── The decision: the State Corporation's draft, the three signatures. ──
    officials
        .state_corporation
        .complete(
            &number,
            "sent",
            &[
                ("capitalisation.amount", "3 125 000,00"),
                ("capitalisation.period", "01.01.2011 – 31.12.2025"),
                ("capacity.loss_percent", "60"),
                ("capacity.indefinite", "true"),
                ("payment.amount", "130 200,00"),
                ("payment.from", "01.12.2026"),
            ],
        )
        .await;
    officials.specialist.complete(&number, "approve", &[]).await;
    officials.head.complete(&number, "approved", &[]).await;
    officials
        .director
        .complete(&number, "signed", &[("decision.number", "МП-17")])
        .await;

    // The result went to the State Corporation through the gateway; the payment holds.
    let spec = &officials.specialist;
    let case = spec.case(&number).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата производится");
    assert!(
        text_of(&case.html, "living-record").contains("130 200,00 тенге"),
        "{}",
        text_of(&case.html, "living-record")
    );
    assert!(text_of(&case.html, "living-met").starts_with("Услуга оказана"));

    // ── An increase by a law, from the case page: its draft computed, signed. ──
    let case = spec
        .desk
        .start_event(
            &case,
            "increase",
            &[
                ("act", "Закон РК № 12-VIII от 15.12.2026"),
                ("from", "01.01.2027"),
                ("percent", "8.5"),
            ],
        )
        .await;
    assert!(
        text_of(&case.html, "living-running")
            .starts_with("Идёт: Увеличение размера ежемесячной выплаты"),
        "{}",
        case.html
    );
    officials
        .decide(&number, &[], "increase.number", "МП-17/1")
        .await;
    let case = spec.case(&number).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата производится");
    let increased = changes(&case.html);
    assert!(
        increased.contains(&[
            "Размер ежемесячной выплаты".to_string(),
            "130 200,00 тенге".into(),
            "141 267,00 тенге".into(),
            "Увеличение размера ежемесячной выплаты".into(),
        ]),
        "{increased:?}"
    );

    // ── A suspension, then a resumption. ──
    let case = spec
        .desk
        .start_event(
            &case,
            "suspension",
            &[
                ("reason", "Выезд за пределы Республики Казахстан"),
                ("from", "01.02.2027"),
            ],
        )
        .await;
    assert!(text_of(&case.html, "living-running").starts_with("Идёт: Приостановление выплаты"));
    officials
        .decide(&number, &[], "suspension.number", "МП-17/2")
        .await;
    let case = spec.case(&number).await;
    assert_eq!(
        text_of(&case.html, "living-state"),
        "Выплата приостановлена"
    );
    assert!(event_href(&case.html, "resumption").is_some());
    assert_eq!(event_href(&case.html, "suspension"), None);

    spec.desk
        .start_event(
            &case,
            "resumption",
            &[
                ("reason", "Возвращение в Республику Казахстан"),
                ("from", "01.03.2027"),
            ],
        )
        .await;
    officials
        .decide(
            &number,
            &[("capacity.indefinite", "true")],
            "resumption.number",
            "МП-17/3",
        )
        .await;
    let case = spec.case(&number).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата производится");

    // ── The termination: the payment ends, and the card says so. ──
    spec.desk
        .start_event(
            &case,
            "termination",
            &[("reason", "Смерть получателя"), ("from", "01.04.2027")],
        )
        .await;
    officials
        .decide(&number, &[], "termination.number", "МП-17/4")
        .await;
    let case = spec.case(&number).await;
    assert_eq!(text_of(&case.html, "living-state"), "Выплата прекращена");
    assert!(text_of(&case.html, "living-state").contains("прекращена"));
    assert!(!case.html.contains(r#"id="living-events-title""#));
    assert!(
        text_of(&case.html, "living-record").contains("141 267,00 тенге"),
        "the last amount stays on the record"
    );
}
