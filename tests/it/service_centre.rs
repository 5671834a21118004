//! The registration of an application in ITsS TsON, the State Corporation's integrated digital
//! system "Service Centre of the Population" (`service_centre.register`; seeds/001, order
//! No. 196: home-education rules item 10 part 1 para 3, ENPF payment rules item 10), through
//! the shipped connector configuration against the simulator on a loopback port.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use qyzmet::clock::ManualClock;
use qyzmet::definition::{load_catalog, messages::Lang};
use qyzmet::gateway::sim::Fault;
use qyzmet::gateway::{GatewayConfig, GatewayPerformer, Metrics};
use qyzmet::runtime::Work;
use qyzmet::worker::jobs::{JobError, Performer};
use serde_json::json;

/// Almaty local time (UTC+5) as UTC.
fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
}

/// The shipped connectors, pointed at the simulator at `base`.
fn performer(base: &str) -> GatewayPerformer {
    let catalog =
        load_catalog(Path::new("workflows/catalog.yaml"), Lang::En).expect("the catalog loads");
    let text = std::fs::read_to_string("config/connectors.yaml").unwrap();
    let mut config = GatewayConfig::parse(
        Path::new("config/connectors.yaml"),
        &text,
        &catalog,
        &|_: &str| None,
    )
    .unwrap_or_else(|d| panic!("{d:#?}"));
    config.rebase(base);
    GatewayPerformer::new(
        config,
        std::sync::Arc::new(ManualClock::new(almaty(2026, 12, 7, 10, 0))),
        Metrics::new(),
    )
    .unwrap()
}

fn register(registration_number: &str, iin: &str) -> Work {
    Work::Request {
        connector: "service_centre.register".into(),
        input: json!({
            "iin": iin,
            "registration_number": registration_number,
            "service": "home-education-cost-recovery",
        }),
        attempts: 5,
        exponential: true,
        first_delay_seconds: 30,
    }
}

/// What the front office accepted is registered once per registration number, and the
/// answer — the number the receipt prints and the day — lands in the catalog's names, the
/// date as a date (the system writes `dd.mm.yyyy`).
#[tokio::test]
async fn an_application_is_registered_once_with_the_number_the_receipt_prints() {
    let (base, sim) = qyzmet::gateway::sim::spawn().await.unwrap();
    let p = performer(&base);
    let first = p
        .perform("job:1:1:1", &register("KZ-2026-000501", "790930400789"))
        .await
        .unwrap();
    // A retried job asks again: the same registration, not a second one.
    let again = p
        .perform("job:1:1:2", &register("KZ-2026-000501", "790930400789"))
        .await
        .unwrap();
    let other = p
        .perform("job:2:1:1", &register("KZ-2026-000502", "520315400126"))
        .await
        .unwrap();
    let kept = sim.registrations();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let day = &kept[0].registered_on;
    let iso = format!("{}-{}-{}", &day[6..], &day[3..5], &day[..2]);
    assert_eq!(
        first,
        json!({
            "registered": true,
            "registration_number": kept[0].tson_number,
            "registered_on": iso,
        })
    );
    assert_eq!(again, first);
    assert_ne!(other["registration_number"], first["registration_number"]);
    assert!(kept[0].tson_number.starts_with("TSON-"), "{kept:?}");
    assert_eq!(
        (
            kept[0].registration_number.as_str(),
            kept[0].iin.as_str(),
            kept[0].service.as_str()
        ),
        (
            "KZ-2026-000501",
            "790930400789",
            "home-education-cost-recovery"
        )
    );
}

/// ITsS TsON down is a retryable failure (the step's retries, then its `on_failure`: the
/// support e-mail of seeds/001 item 13); an IIN that does not parse is never registered.
#[tokio::test]
async fn a_system_down_is_retried_and_a_bad_iin_is_refused() {
    let (base, sim) = qyzmet::gateway::sim::spawn().await.unwrap();
    let p = performer(&base);
    sim.set_fault(
        "service_centre.register",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    let err = p
        .perform("job:1:1:1", &register("KZ-2026-000503", "790930400789"))
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Retryable(_)), "{err:?}");
    sim.clear_faults();
    let err = p
        .perform("job:1:2:1", &register("KZ-2026-000504", "790930400788"))
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Fatal(_)), "{err:?}");
    assert!(sim.registrations().is_empty());
}

/// The whole service with the simulator in-process, through a home-education case at the State
/// Corporation (workflows/home-education-cost-recovery): the simulator's Сергеева Ольга for her
/// son Сергеев Максим. The acceptance registers the application in ITsS TsON (seeds/001,
/// home-education rules item 10 part 1 para 3) and the case keeps the number the receipt
/// prints; GBD FL (both), TsBDI and the bank answer through the shipped connectors; the
/// assignment reaches the State Corporation through the gateway.
#[tokio::test]
async fn a_home_education_case_is_registered_in_itss_tson_and_its_result_reaches_the_state_corporation()
 {
    use crate::notify::mail_server;
    use crate::service::{aggregator, almaty, running};

    let (smtp_port, _inbox) = mail_server();
    let (_sms, sms_base) = aggregator().await;
    let r = running(smtp_port, &sms_base, almaty(2026, 12, 7, 10, 0)).await;
    let number = home_education_accepted(&r).await;

    let sim = r
        .svc()
        .simulator
        .as_ref()
        .expect("the simulator runs")
        .1
        .clone();
    let registered = sim.registrations();
    assert_eq!(registered.len(), 1, "{registered:?}");
    assert_eq!(
        (
            registered[0].registration_number.as_str(),
            registered[0].iin.as_str(),
            registered[0].service.as_str()
        ),
        (
            number.as_str(),
            "790930400789",
            "home-education-cost-recovery"
        )
    );
    let view = r.svc().engine.case(&number).await.unwrap().unwrap();
    let data = &view.case.data[""];
    assert_eq!(
        data["service_centre"]["registered"],
        json!(true),
        "{data:#?}"
    );
    assert_eq!(
        data["service_centre"]["number"],
        json!(registered[0].tson_number),
        "the number the receipt prints"
    );
    assert_eq!(
        data["child"]["full_name"],
        json!("Сергеев Максим Андреевич")
    );
    assert_eq!(data["disability"]["group"], json!("second"));
    assert_eq!(data["disability"]["valid_until"], json!("2027-10-15"));
    assert_eq!(data["bank"]["account_verified"], json!(true));
    assert_eq!(
        view.tasks
            .iter()
            .map(|t| t.step.as_str())
            .collect::<Vec<_>>(),
        ["review"]
    );

    r.clock.advance(Duration::hours(2));
    r.complete(
        &number,
        "review",
        "approve",
        json!({
            "home_education.document": "приказ школы № 16 от 01.09.2026 № 87-о",
            "payment.amount": "8650",
            "payment.from": "2026-12-01",
            "payment.until": "2027-05-31",
        }),
        "specialist1",
    )
    .await;
    r.complete(
        &number,
        "sign_decision",
        "signed",
        json!({ "decision.number": "ВО-0501" }),
        "head1",
    )
    .await;
    let results = sim.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(
        (
            results[0].registration_number.as_str(),
            results[0].result.as_str(),
            results[0].decision_number.as_str()
        ),
        (number.as_str(), "assigned", "ВО-0501")
    );
    let view = r.svc().engine.case(&number).await.unwrap().unwrap();
    assert_eq!(view.case.result.as_deref(), Some("assigned"));
}

/// A home-education application (Сергеева for her son, seeds/001 home-education rules)
/// filed at the State Corporation now and accepted by the operator 15 minutes later: the
/// simulator answers the state systems, and the case waits at the specialist's review.
pub(crate) async fn home_education_accepted(r: &crate::service::Running) -> String {
    use qyzmet::runtime::{Language, Submission};
    let number = r
        .svc()
        .engine
        .submit(
            "home-education-cost-recovery",
            Submission {
                data: json!({
                    "applicant.iin": "790930400789",
                    "child.iin": "091015591215",
                    "applicant.phone": "+77012223344",
                    "applicant.email": "sergeeva@example.kz",
                }),
                channel: "state_corporation".into(),
                language: Language::Ru,
                sms_consent: true,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    r.clock.advance(Duration::minutes(15));
    r.complete(
        &number,
        "accept_application",
        "accepted",
        json!({
            "applicant.iin": "790930400789",
            "child.iin": "091015591215",
            "applicant.relation": "parent",
            "applicant.last_name": "Сергеева",
            "applicant.first_name": "Ольга",
            "applicant.middle_name": "Петровна",
            "applicant.birth_date": "1979-09-30",
            "applicant.address": "г. Караганда, пр. Бухар-Жырау, 56, кв. 3",
            "identity.document_number": "039871234",
            "bank.account_number": "KZ21998CTB0000123456",
            "home_education.organisation": "КГУ «Общеобразовательная школа № 16» г. Караганды",
            "documents.home_education": "home-education-order-16.pdf",
            "consent.personal_data": true,
        }),
        "operator1",
    )
    .await;
    number
}
