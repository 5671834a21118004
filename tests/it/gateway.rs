//! The gateway connectors, the stage feed and the metrics, against the simulator of the
//! state systems started in-process on a loopback port. Time is a manual clock; the only
//! waits are real loopback round trips (and, where a timeout is the point, the timeout).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use qyzmet::clock::{Clock, ManualClock};
use qyzmet::definition::catalog::Catalog;
use qyzmet::definition::{load_catalog, messages::Lang};
use qyzmet::domain::{Iin, IinError, Sex};
use qyzmet::gateway::breaker::State;
use qyzmet::gateway::ledger::Deferred;
use qyzmet::gateway::sim::{Fault, Sim};
use qyzmet::gateway::{
    GatewayConfig, GatewayPerformer, Metrics, Routed, StagePerformer, StoreLedger, replay, soap,
};
use qyzmet::runtime::{Language, Settings, Submission, Work};
use qyzmet::worker::jobs::{JobError, Performer};
use qyzmet::worker::outbox::FileOutbox;
use qyzmet::worker::{Config, Engine};
use serde_json::{Value, json};

/// Almaty local time (UTC+5) as UTC.
fn almaty(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(5)
}

fn catalog() -> Catalog {
    load_catalog(Path::new("workflows/catalog.yaml"), Lang::En).expect("the catalog loads")
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// The shipped configuration, pointed at the simulator, with `edit` applied to its text.
fn config(base: &str, edit: impl FnOnce(String) -> String) -> GatewayConfig {
    let text = std::fs::read_to_string("config/connectors.yaml").unwrap();
    let mut config = GatewayConfig::parse(
        Path::new("config/connectors.yaml"),
        &edit(text),
        &catalog(),
        &no_env,
    )
    .unwrap_or_else(|d| panic!("{d:#?}"));
    config.rebase(base);
    config
}

struct Gw {
    sim: Arc<Sim>,
    base: String,
    clock: Arc<ManualClock>,
    metrics: Metrics,
}

async fn sim() -> Gw {
    let (base, sim) = qyzmet::gateway::sim::spawn().await.unwrap();
    Gw {
        sim,
        base,
        clock: Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0))),
        metrics: Metrics::new(),
    }
}

impl Gw {
    fn performer(&self, edit: impl FnOnce(String) -> String) -> GatewayPerformer {
        GatewayPerformer::new(
            config(&self.base, edit),
            self.clock.clone(),
            self.metrics.clone(),
        )
        .unwrap()
    }
}

fn request(connector: &str, input: Value) -> Work {
    Work::Request {
        connector: connector.into(),
        input,
        attempts: 5,
        exponential: true,
        first_delay_seconds: 30,
    }
}

#[tokio::test]
async fn healthy_answers_land_mapped_to_the_catalogs_fields() {
    let gw = sim().await;
    let p = gw.performer(|t| t);
    // (connector, input, the answer in the catalog's names and types)
    let cases = [
        (
            "gbd_fl.person",
            json!({ "iin": "520315400126" }),
            json!({
                "last_name": "Абенова", "first_name": "Айгүл", "middle_name": "Серікқызы",
                // SOAP sent `1952-03-15+06:00`: the catalog's date is the day.
                "birth_date": "1952-03-15", "address": "г. Алматы, ул. Жамбыла, 12, кв. 4",
                "document_type": "IDENTITY_CARD", "document_number": "041234567",
                "document_issued_by": "МВД РК", "document_issued_on": "2019-05-20",
                "document_valid_until": "2029-05-19",
            }),
        ),
        (
            // No patronymic: the field is absent, not empty.
            "gbd_fl.person",
            json!({ "iin": "610105302311" }),
            json!({
                "last_name": "Нұрланов", "first_name": "Ерлан", "birth_date": "1961-01-05",
                "address": "г. Шымкент, мкр. Нурсат, 7, кв. 55", "document_type": "IDENTITY_CARD",
                "document_number": "045551212", "document_issued_by": "МВД РК",
                "document_issued_on": "2021-11-03", "document_valid_until": "2031-11-02",
            }),
        ),
        (
            "bank.account",
            json!({ "iin": "480722301507", "account_number": "KZ40601A871001726091" }),
            json!({ "account_exists": true, "bank_name": "АО «Народный сберегательный банк»", "account_type": "current" }),
        ),
        (
            // A man serving a sentence: the control account of cash of the institution
            // (seeds/001 item 9 para 3).
            "bank.account",
            json!({ "iin": "750612398291", "account_number": "KZ80070101KSN0045127" }),
            json!({ "account_exists": true,
                    "bank_name": "РГУ «Комитет казначейства Министерства финансов Республики Казахстан»",
                    "account_type": "control" }),
        ),
        (
            "tsbdi.disability",
            json!({ "iin": "480722301507" }),
            json!({ "has_disability": true, "group": "second", "established_on": "2010-03-03", "indefinite": true }),
        ),
        (
            "tsbdi.disability",
            json!({ "iin": "790930400789" }),
            json!({ "has_disability": true, "group": "first", "established_on": "2019-01-21",
                    "valid_until": "2027-01-21", "indefinite": false }),
        ),
        (
            "enpf.account",
            json!({ "iin": "480722301507" }),
            json!({ "has_account": true, "has_right_to_payments": true, "pension_accruals": 2310750.0,
                    "payments_established": true, "pending_application": false }),
        ),
        (
            "provider.register",
            json!({ "iin": "480722301507", "service": "rehabilitated-person-certificate" }),
            json!({ "has_assignment": true, "assignment_date": "2012-06-15", "decision_number": "148/2012",
                    "has_payment": true, "payment_date": "2012-07-01", "has_refusal": false }),
        ),
    ];
    for (i, (connector, input, expected)) in cases.into_iter().enumerate() {
        let key = format!("job:1:{}:1", i + 1);
        let got = p
            .perform(&key, &request(connector, input.clone()))
            .await
            .unwrap_or_else(|e| panic!("{connector} {input}: {e}"));
        assert_eq!(got, expected, "{connector} {input}");
    }
    // The idempotency key went with each request: as the header, and as the envelope's
    // messageId on SOAP, with the configured serviceId and sender.
    let received = gw.sim.received();
    assert_eq!(received.len(), 8);
    for (i, r) in received.iter().enumerate() {
        assert_eq!(
            r.idempotency_key.as_deref(),
            Some(format!("job:1:{}:1", i + 1).as_str())
        );
    }
    assert_eq!(received[0].message_id.as_deref(), Some("job:1:1:1"));
    assert_eq!(received[0].service_id.as_deref(), Some("GBDFL_PERSON"));
    assert_eq!(received[0].sender_id.as_deref(), Some("qyzmet"));
}

#[test]
fn the_soap_envelopes_round_trip() {
    let request = soap::SyncRequest {
        message_id: "job:12:7:3".into(),
        message_date: "2026-11-23T10:15:00.000+05:00".into(),
        service_id: "GBDFL_PERSON".into(),
        sender_id: "qyzmet".into(),
        password: "p<&>'\"".into(),
        data: json!({ "messageId": "job:12:7:3", "iin": "520315400126", "note": "A & B <c> ә ғ қ ң ө ұ ү һ і" }),
    };
    let xml = soap::sync_request(&request);
    assert!(
        xml.contains("<requestInfo><messageId>job:12:7:3</messageId>"),
        "{xml}"
    );
    assert!(xml.contains(soap::SYNC_NS), "{xml}");
    assert_eq!(soap::parse_sync_request(&xml).unwrap(), request);

    let response = soap::SyncResponse {
        message_id: "job:12:7:3".into(),
        response_date: "2026-11-23T10:15:01.000+05:00".into(),
        status_code: "SCSS001".into(),
        status_message: "ok".into(),
        data: json!({ "person": { "surname": "Абенова", "names": ["a", "b"] } }),
    };
    assert_eq!(
        soap::parse_sync_response(&soap::sync_response(&response)).unwrap(),
        Ok(response)
    );
    let fault = soap::Fault {
        code: "Server".into(),
        message: "down".into(),
    };
    assert_eq!(
        soap::parse_sync_response(&soap::fault(&fault)).unwrap(),
        Err(fault.clone())
    );
    assert_eq!(
        soap::parse_async_ack(&soap::fault(&fault)).unwrap(),
        Err(fault)
    );

    let message = soap::AsyncMessage {
        message_id: "sim-1".into(),
        correlation_id: Some("job:12:7:3".into()),
        service_id: "GBDFL_PERSON_ASYNC".into(),
        message_type: "RESPONSE".into(),
        message_date: "2026-11-23T10:15:02.000+05:00".into(),
        sender_id: "GBDFL".into(),
        password: String::new(),
        data: json!({ "person": { "surname": "Абенова" } }),
    };
    assert_eq!(
        soap::parse_async_message(&soap::async_message(&message)).unwrap(),
        message
    );
    assert_eq!(
        soap::parse_async_ack(&soap::async_ack("job:12:7:3", "now")).unwrap(),
        Ok("job:12:7:3".to_string())
    );

    // Another stack's prefixes and a nil element read the same.
    let foreign = r#"<?xml version="1.0"?>
        <S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <S:Body><ns2:SendMessageResponse xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types">
            <response>
              <responseInfo><messageId>m1</messageId><status><code>SCSS001</code></status></responseInfo>
              <responseData><data><person><surname>Ким</surname><patronymic xsi:nil="true"/></person></data></responseData>
            </response>
          </ns2:SendMessageResponse></S:Body>
        </S:Envelope>"#;
    let r = soap::parse_sync_response(foreign).unwrap().unwrap();
    assert_eq!(
        r.data,
        json!({ "person": { "surname": "Ким", "patronymic": null } })
    );
    assert!(soap::parse_sync_response("<a><b></a>").is_err());
}

fn breaker_of(config: String, failures: u32) -> String {
    config.replace(
        "breaker: { failures: 5, open_seconds: 30 }",
        &format!("breaker: {{ failures: {failures}, open_seconds: 30 }}"),
    )
}

#[tokio::test]
async fn a_down_connector_is_retryable_and_its_breaker_opens_fails_fast_and_half_opens() {
    let gw = sim().await;
    let p = gw.performer(|t| breaker_of(t, 3));
    let work = request("gbd_fl.person", json!({ "iin": "520315400126" }));
    gw.sim.set_fault(
        "gbd_fl.person",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    for attempt in 1..=3 {
        let err = p.perform("job:1:1:1", &work).await.unwrap_err();
        assert!(
            matches!(&err, JobError::Retryable(m) if m.contains("SOAP fault (Server)")),
            "attempt {attempt}: {err:?}"
        );
    }
    assert!(matches!(
        p.breaker("gbd_fl.person").unwrap().state(),
        State::Open { .. }
    ));
    // Open: fails fast, nothing is sent.
    let sent = gw.sim.received().len();
    let err = p.perform("job:1:1:1", &work).await.unwrap_err();
    assert!(
        matches!(&err, JobError::Retryable(m) if m.contains("circuit is open")),
        "{err:?}"
    );
    assert_eq!(gw.sim.received().len(), sent, "failed fast, not sent");

    // After open_seconds one probe goes; it fails, and the breaker opens again.
    gw.clock.advance(Duration::seconds(30));
    assert!(p.perform("job:1:1:1", &work).await.is_err());
    assert_eq!(gw.sim.received().len(), sent + 1, "the probe went");
    assert!(matches!(
        p.breaker("gbd_fl.person").unwrap().state(),
        State::Open { .. }
    ));
    let err = p.perform("job:1:1:1", &work).await.unwrap_err();
    assert!(err.to_string().contains("circuit is open"), "{err}");

    // The system is back: the next probe succeeds and closes it.
    gw.sim.clear_faults();
    gw.clock.advance(Duration::seconds(30));
    let answer = p.perform("job:1:1:1", &work).await.unwrap();
    assert_eq!(answer["last_name"], "Абенова");
    assert_eq!(
        p.breaker("gbd_fl.person").unwrap().state(),
        State::Closed { failures: 0 }
    );
    let text = gw.metrics.encode();
    for line in [
        r#"qyzmet_gateway_requests_total{connector="gbd_fl.person",outcome="retryable"} 4"#,
        r#"qyzmet_gateway_requests_total{connector="gbd_fl.person",outcome="circuit_open"} 2"#,
        r#"qyzmet_gateway_requests_total{connector="gbd_fl.person",outcome="ok"} 1"#,
        r#"qyzmet_gateway_failures_total{connector="gbd_fl.person",reason="fault"} 4"#,
        r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"} 0"#,
        r#"qyzmet_gateway_request_duration_seconds_count{connector="gbd_fl.person"} 7"#,
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

#[tokio::test]
async fn a_refusal_is_fatal_with_a_clear_message_and_a_masked_iin() {
    let gw = sim().await;
    let p = gw.performer(|t| t);
    // 850315301813 is a valid IIN (second pass), but no one the systems know.
    let cases = [
        (
            "bank.account",
            json!({ "iin": "850315301813" }),
            "refused the request with HTTP 404",
        ),
        (
            "gbd_fl.person",
            json!({ "iin": "850315301813" }),
            "the gateway answered status ERR_NOT_FOUND",
        ),
    ];
    for (connector, input, expected) in cases {
        let err = p
            .perform("job:1:1:1", &request(connector, input))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, JobError::Fatal(m) if m.contains(expected) && m.starts_with(connector)),
            "{err:?}"
        );
        assert!(!err.to_string().contains("850315301813"), "{err}");
    }
    // A 4xx is the system answering: the breaker does not count it.
    assert_eq!(
        p.breaker("bank.account").unwrap().state(),
        State::Closed { failures: 0 }
    );
    // A connector the file does not configure is fatal, or the fallback's (the stub).
    let batch = request("enpf.unclaimed_accruals", json!({}));
    let err = p.perform("job:1:1:3", &batch).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("no connector `enpf.unclaimed_accruals` is configured"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = gw
        .performer(|t| t)
        .with_fallback(Arc::new(FileOutbox::new(dir.path().to_path_buf())));
    assert!(
        p.perform("job:1:1:3", &batch)
            .await
            .unwrap()
            .get("count")
            .is_some()
    );
    // Another kind of work is not the gateway's.
    let err = p
        .perform(
            "job:1:1:2",
            &Work::Stage {
                stage: "submitted".into(),
                step: "a".into(),
                at: gw.clock.now(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Fatal(_)));
}

#[tokio::test]
async fn an_answer_without_a_field_the_contract_requires_does_not_fit() {
    let gw = sim().await;
    // The far side renamed its surname field: every answer now lacks `last_name`, which
    // the catalog does not mark optional (the patronymic it does: its absence is fine,
    // see `healthy_answers_land_mapped_to_the_catalogs_fields`).
    let p = gw.performer(|t| t.replace("last_name: /surname", "last_name: /familyName"));
    let err = p
        .perform(
            "job:1:1:1",
            &request("gbd_fl.person", json!({ "iin": "610105302311" })),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, JobError::Fatal(m) if m.contains(
            "`last_name` (/familyName) is missing, and the catalog does not mark it optional"
        )),
        "{err:?}"
    );
}

/// The result of the service goes to the State Corporation when the citizen applied there
/// (seeds/001 item 12 part 5): received, on the day, for any valid IIN — also one no state
/// database knows; sent again (a retried job, a repeated step), it is received once, on the
/// first day. What it received is what the case sent, in the State Corporation's names.
#[tokio::test]
async fn the_state_corporation_receives_a_result_once() {
    let gw = sim().await;
    let p = gw.performer(|t| t);
    let input = json!({
        "registration_number": "KZ-2026-000417",
        "iin": qyzmet::gateway::sim::UNKNOWN_IIN,
        "result": "assigned",
        "decision_number": "17",
        "decision_date": "2026-11-27",
    });
    let first = p
        .perform(
            "job:1:1:1",
            &request("state_corporation.result", input.clone()),
        )
        .await
        .unwrap();
    let again = p
        .perform("job:1:1:2", &request("state_corporation.result", input))
        .await
        .unwrap();
    let results = gw.sim.results();
    assert_eq!(results.len(), 1, "{results:?}");
    let day = &results[0].received_on;
    let iso = format!("{}-{}-{}", &day[6..], &day[3..5], &day[..2]);
    assert_eq!(first, json!({ "received": true, "received_at": iso }));
    assert_eq!(again, first);
    assert_eq!(
        (
            results[0].registration_number.as_str(),
            results[0].iin.as_str(),
            results[0].result.as_str(),
            results[0].decision_number.as_str(),
            results[0].decision_date.as_str(),
        ),
        (
            "KZ-2026-000417",
            qyzmet::gateway::sim::UNKNOWN_IIN,
            "assigned",
            "17",
            "2026-11-27"
        )
    );
    // A result the State Corporation does not know is refused, and the refusal is fatal.
    let err = p
        .perform(
            "job:1:2:1",
            &request(
                "state_corporation.result",
                json!({ "registration_number": "KZ-2026-000418", "iin": "520315400126",
                        "result": "approved", "decision_number": "18", "decision_date": "2026-11-27" }),
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Fatal(_)), "{err:?}");
    assert_eq!(gw.sim.results().len(), 1);
}

/// The stub answers the embedded default gives before the gateway is configured keep the
/// catalog's contract: every output it does not mark optional is there.
#[test]
fn every_stub_answer_has_every_field_the_catalog_requires() {
    for (name, connector) in &catalog().connectors {
        if name == "qyzmet.accounts" {
            continue; // performed by the accounts, never stubbed
        }
        let answer = qyzmet::worker::outbox::stub_answer(name, &json!({ "iin": "610105302311" }));
        for (field, output) in &connector.output {
            if !output.is_optional() {
                assert!(
                    answer.get(field).is_some_and(|v| !v.is_null()),
                    "the stub answer of `{name}` lacks `{field}`: {answer}"
                );
            }
        }
    }
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_retryable() {
    let gw = sim().await;
    let p = gw.performer(|t| {
        t.replace(
            "    endpoint: /tsbdi/disability\n",
            "    endpoint: /tsbdi/disability\n    timeout_ms: 150\n",
        )
    });
    let work = request("tsbdi.disability", json!({ "iin": "480722301507" }));
    gw.sim.set_fault(
        "tsbdi.disability",
        Fault {
            latency_ms: 1_000,
            ..Fault::default()
        },
    );
    let err = p.perform("job:1:1:1", &work).await.unwrap_err();
    assert!(
        matches!(&err, JobError::Retryable(m) if m.contains("no answer within 150 ms")),
        "{err:?}"
    );
    gw.sim.set_fault(
        "tsbdi.disability",
        Fault {
            timeout: true,
            ..Fault::default()
        },
    );
    let err = p.perform("job:1:1:1", &work).await.unwrap_err();
    assert!(
        matches!(&err, JobError::Retryable(m) if m.contains("no answer within")),
        "{err:?}"
    );
    // Latency within the timeout is only slow.
    gw.sim.set_fault(
        "tsbdi.disability",
        Fault {
            latency_ms: 20,
            ..Fault::default()
        },
    );
    assert!(p.perform("job:1:1:1", &work).await.is_ok());
}

#[tokio::test]
async fn a_bad_iin_is_rejected_by_parse_and_never_sent() {
    // The date of birth and the sex it encodes, or why it is not an IIN.
    type Expected = Result<(&'static str, Sex), IinError>;
    let cases: [(&str, Expected); 9] = [
        ("520315400126", Ok(("1952-03-15", Sex::Female))),
        ("480722301507", Ok(("1948-07-22", Sex::Male))),
        ("050211500445", Ok(("2005-02-11", Sex::Male))),
        // The first pass gives 10; the second pass (weights 3..11,1,2) gives 1.
        ("850315301801", Ok(("1985-03-15", Sex::Male))),
        ("52031540012", Err(IinError::Length)),
        ("5203154001260", Err(IinError::Length)),
        ("52031540012a", Err(IinError::Length)),
        ("520231400126", Err(IinError::BirthDate)),
        ("520315700126", Err(IinError::Century)),
    ];
    for (text, expected) in cases {
        let got =
            Iin::parse(text).map(|i| (i.birth_date().format("%Y-%m-%d").to_string(), i.sex()));
        let expected = expected.map(|(d, s)| (d.to_string(), s));
        assert_eq!(got, expected, "{text}");
    }
    // A wrong control digit; and 85031530260x, where both passes give 10: no digit is right.
    assert_eq!(Iin::parse("520315400127"), Err(IinError::Control));
    for last in 0..10 {
        assert_eq!(
            Iin::parse(&format!("85031530260{last}")),
            Err(IinError::Control)
        );
    }

    let gw = sim().await;
    let p = gw.performer(|t| t);
    let err = p
        .perform(
            "job:1:1:1",
            &request("gbd_fl.person", json!({ "iin": "520315400127" })),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, JobError::Fatal(m) if m.contains("not a valid IIN") && m.contains("nothing was sent")),
        "{err:?}"
    );
    assert!(gw.sim.received().is_empty());
}

/// GBD FL on the gateway's asynchronous channel, as `config/connectors.yaml`'s comment says.
pub(crate) fn asynchronous(text: String) -> String {
    let sync = "    protocol: soap_sync\n    endpoint: /shep/sync\n    timeout_ms: 3000\n    soap:\n      service_id: GBDFL_PERSON\n";
    assert!(text.contains(sync), "the shipped GBD FL connector changed");
    text.replace(
        sync,
        "    protocol: soap_async\n    endpoint: /shep/async\n    soap:\n      service_id: GBDFL_PERSON_ASYNC\n",
    )
}

#[tokio::test]
async fn an_asynchronous_send_is_only_acknowledged_and_its_answer_is_judged_when_it_comes() {
    // Issue #19: the acknowledgement used to be the job's output, and the step's `output:`
    // mapping read `{correlation_id, sent_at}` as if it were the person.
    let gw = sim().await;
    let p = gw.performer(asynchronous);
    let sent = p
        .perform(
            "job:42:3:1",
            &request("gbd_fl.person", json!({ "iin": "550404400195" })),
        )
        .await;
    assert_eq!(
        sent,
        Err(JobError::Acknowledged {
            answer_by: gw.clock.now() + Duration::hours(1)
        }),
        "no output: the answer is due within the default hour"
    );
    let answers = gw.sim.take_answers();
    assert_eq!(answers.len(), 1);
    let incoming = p.incoming(&answers[0]).unwrap();
    assert_eq!(incoming.correlation_id, "job:42:3:1");
    let answer = p.async_answer(&incoming, "gbd_fl.person").unwrap();
    let person = answer.outcome.unwrap();
    assert_eq!(person["last_name"], "Ермекова");
    assert_eq!(person["birth_date"], "1955-04-04");

    // A person GBD FL does not know: an `ERROR`, which is the request's failure, said plainly.
    p.perform(
        "job:42:3:2",
        &request("gbd_fl.person", json!({ "iin": "850315301813" })),
    )
    .await
    .unwrap_err();
    let error = p
        .async_answer(
            &p.incoming(&gw.sim.take_answers()[0]).unwrap(),
            "gbd_fl.person",
        )
        .unwrap();
    assert_eq!(
        error.outcome,
        Err(
            "gbd_fl.person: the system answered with an error: ERR_NOT_FOUND no such person".into()
        )
    );

    // Not an answer; an answer judged against a connector that sent no such request.
    assert!(p.incoming("<not-soap/>").is_err());
    assert!(p.async_answer(&incoming, "bank.account").is_err());
    // A connector's own timeout for the answer.
    let quick = gw.performer(|t| {
        asynchronous(t).replace(
            "    protocol: soap_async\n",
            "    protocol: soap_async\n    answer_timeout_seconds: 600\n",
        )
    });
    assert_eq!(
        quick
            .perform(
                "job:42:3:3",
                &request("gbd_fl.person", json!({ "iin": "550404400195" })),
            )
            .await,
        Err(JobError::Acknowledged {
            answer_by: gw.clock.now() + Duration::minutes(10)
        })
    );
}

/// `(file, line, column, message fragment)` of each problem, in order.
fn check(yaml: &str, env: &dyn Fn(&str) -> Option<String>, expected: &[(usize, usize, &str)]) {
    let err =
        GatewayConfig::parse(Path::new("connectors.yaml"), yaml, &catalog(), env).unwrap_err();
    let got: Vec<String> = err.iter().map(|d| d.to_string()).collect();
    let places: Vec<(usize, usize)> = err.iter().map(|d| (d.line, d.column)).collect();
    let wanted: Vec<(usize, usize)> = expected.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(places, wanted, "{got:#?}");
    for (d, (_, _, fragment)) in err.iter().zip(expected) {
        assert!(d.to_string().contains(fragment), "{d}\nwanted: {fragment}");
    }
}

#[test]
fn configuration_mistakes_are_reported_at_their_place_all_at_once() {
    let yaml = "\
base_url: http://127.0.0.1:9090
connectors:
  gbd_fl.persn:
    protocol: json
    endpoint: /x
  bank.account:
    protocol: json
    endpoint: /bank
    auth: { bearer: { token_env: QYZMET_TEST_UNSET } }
    request: { iin: \"{input.iinn}\", when: \"{today}\" }
    response:
      fields:
        bank_nam: /bank/name
        account_type: { from: /type, values: { CARD: debit } }
  tsbdi.disability:
    protocol: soap_sync
    endpoint: tsbdi
";
    check(
        yaml,
        &no_env,
        &[
            (3, 3, "the catalog has no connector `gbd_fl.persn`"),
            (
                9,
                34,
                "the environment variable `QYZMET_TEST_UNSET` is not set",
            ),
            (10, 21, "`iinn` is not an input of this connector"),
            (10, 43, "unknown placeholder `{today}`"),
            (13, 9, "`bank_nam` is not an output of `bank.account`"),
            (
                13,
                9,
                "every answer would be refused: no source for `account_exists`",
            ),
            (14, 54, "`debit` is not a value of `account_type`"),
            (16, 15, "a SOAP connector needs its `soap` settings"),
            (17, 15, "`tsbdi` is not a URL"),
        ],
    );
    check(
        "connectors:\n  bank.account:\n    protocol: xml\n    endpoint: /b\n",
        &no_env,
        &[(3, 15, "unknown variant `xml`")],
    );
    // The asynchronous channel (issue #19): what used to route its answer is refused with
    // the reason, and so is a mapping that would refuse every answer, whichever channel.
    check(
        "\
base_url: http://127.0.0.1:9090
connectors:
  gbd_fl.person:
    protocol: soap_async
    endpoint: /shep/async
    soap: { service_id: GBDFL_PERSON_ASYNC, sender_id: qyzmet }
    message: gbd_fl_person
    answer_timeout_seconds: 0
    response:
      fields:
        last_name: /surname
  bank.account:
    protocol: json
    endpoint: /bank
    answer_timeout_seconds: 60
",
        &no_env,
        &[
            (7, 14, "`message` is no longer used"),
            (8, 29, "an answer needs at least 1 second"),
            (
                11,
                9,
                "every answer would be refused: no source for `first_name`, `birth_date`",
            ),
            (
                15,
                29,
                "`answer_timeout_seconds` is for the `soap_async` protocol",
            ),
        ],
    );
    // The shipped file is clean against the catalog.
    let shipped =
        GatewayConfig::load(Path::new("config/connectors.yaml"), &catalog(), &no_env).unwrap();
    assert_eq!(shipped.connectors.len(), 8);
}

// ── The whole engine, with the gateway and the feed ───────────────────────────────────────────

struct Running {
    engine: Engine,
    gw: Gw,
    outbox: PathBuf,
    ledger: Arc<StoreLedger>,
    feed: Arc<StagePerformer>,
    _dir: tempfile::TempDir,
}

async fn engine(edit: impl FnOnce(String) -> String) -> Running {
    let gw = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let config = config(&gw.base, |t| {
        edit(t.replace("order_wait_ms: 5000", "order_wait_ms: 300"))
    });
    let monitoring = config.monitoring.clone().unwrap();
    let gateway =
        Arc::new(GatewayPerformer::new(config, gw.clock.clone(), gw.metrics.clone()).unwrap());
    // The feed needs the store, which the engine opens: it reads through a ledger set below.
    let slot = Arc::new(Deferred::default());
    let feed = Arc::new(StagePerformer::new(monitoring, slot.clone(), gw.metrics.clone()).unwrap());
    let engine = Engine::start(Config {
        database: crate::backends::location(dir.path()).await,
        workflows: PathBuf::from("workflows"),
        calendars: PathBuf::from("calendars"),
        settings: Settings::default(),
        clock: gw.clock.clone(),
        performer: Arc::new(Routed {
            requests: gateway,
            stages: feed.clone(),
            rest: Arc::new(FileOutbox::new(outbox.clone())),
        }),
        number_prefix: "QZ".into(),
    })
    .await
    .expect("the engine starts");
    let ledger = Arc::new(StoreLedger::new(engine.store().clone()));
    slot.set(ledger.clone());
    Running {
        engine,
        gw,
        outbox,
        ledger,
        feed,
        _dir: dir,
    }
}

fn submission(iin: &str) -> Submission {
    Submission {
        data: json!({ "applicant.iin": iin, "applicant.phone": "+77011234567", "applicant.email": "a@example.kz" }),
        channel: "state_corporation".into(),
        language: Language::Ru,
        sms_consent: true,
        region: "almaty".into(),
    }
}

async fn task_at(engine: &Engine, number: &str, step: &str) -> Option<String> {
    engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.step == step)
        .map(|t| t.key)
}

async fn accept(engine: &Engine, number: &str, iin: &str) {
    let key = task_at(engine, number, "accept_documents")
        .await
        .expect("the acceptance task");
    engine
        .complete(
            &key,
            "complete",
            json!({
                "applicant.iin": iin,
                "application.kind": "certificate",
                "application.by_representative": false,
                "consent.personal_data": true,
                "documents.identity": "identity-card.pdf",
                "documents.rehabilitation": "rehabilitation-certificate.pdf",
                "rehabilitation.document_type": "rehabilitation_certificate",
                "rehabilitation.document_number": "17-3/412",
                "rehabilitation.document_date": "1991-06-14",
                "rehabilitation.issued_by": "Прокуратура Алматинской области",
            }),
            "operator1",
        )
        .await
        .unwrap();
}

/// The case's data field, whether stored flat (`applicant.x`) or nested.
fn field(engine_case: &qyzmet::runtime::CaseState, name: &str) -> Value {
    let data = engine_case.scope("");
    data.get(name)
        .cloned()
        .or_else(|| {
            data.pointer(&format!("/{}", name.replace('.', "/")))
                .cloned()
        })
        .unwrap_or(Value::Null)
}

/// The stages the monitoring receiver kept for a case, in arrival order, with their sequence.
fn stages_of(gw: &Gw, number: &str) -> Vec<(u64, String)> {
    gw.sim
        .monitor()
        .stages
        .iter()
        .filter(|s| s["registration_number"] == number)
        .map(|s| {
            (
                s["sequence"].as_u64().unwrap(),
                s["stage"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn numbered(stages: &[&str]) -> Vec<(u64, String)> {
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| (i as u64 + 1, s.to_string()))
        .collect()
}

#[tokio::test]
async fn healthy_data_land_in_the_case_and_every_stage_reaches_monitoring_in_order() {
    let r = engine(|t| t).await;
    let e = &r.engine;
    let mut numbers = Vec::new();
    for iin in ["520315400126", "480722301507", "790930400789"] {
        let number = e
            .submit("rehabilitated-person-certificate", submission(iin))
            .await
            .unwrap();
        r.gw.clock.advance(Duration::minutes(5));
        accept(e, &number, iin).await;
        numbers.push(number);
    }
    e.drain().await.unwrap();
    let view = e.case(&numbers[0]).await.unwrap().unwrap();
    assert_eq!(
        field(&view.case, "applicant.full_name"),
        "Абенова Айгүл Серікқызы"
    );
    assert_eq!(field(&view.case, "applicant.birth_date"), "1952-03-15");
    assert_eq!(field(&view.case, "register.has_certificate"), false);
    let view = e.case(&numbers[1]).await.unwrap().unwrap();
    assert_eq!(field(&view.case, "register.certificate_number"), "148/2012");
    assert!(task_at(e, &numbers[0], "review").await.is_some());

    for number in &numbers {
        assert_eq!(
            stages_of(&r.gw, number),
            numbered(&["submitted", "data_requested", "accepted", "under_review"]),
            "{number}"
        );
    }
    let monitor = r.gw.sim.monitor();
    assert_eq!((monitor.out_of_order, monitor.repeats), (0, 0));
    // Each report went with its idempotency key as a header too.
    assert!(
        r.gw.sim
            .received()
            .iter()
            .filter(|x| x.connector == "monitoring")
            .all(|x| x.idempotency_key.is_some())
    );

    // The replay of the first five minutes rebuilds the first case's first report only;
    // of the whole morning, all twelve, with the same keys and sequence numbers; posted
    // again, every one is a repeat the receiver drops.
    let first = replay(
        r.ledger.as_ref(),
        almaty(2026, 11, 23, 10, 0),
        almaty(2026, 11, 23, 10, 5),
    )
    .await
    .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (
            first[0].registration_number.as_str(),
            first[0].sequence,
            first[0].stage.as_str()
        ),
        (numbers[0].as_str(), 1, "submitted")
    );
    let all = replay(
        r.ledger.as_ref(),
        almaty(2026, 11, 23, 0, 0),
        almaty(2026, 11, 24, 0, 0),
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 12);
    assert!(all.iter().all(|e| e.replay));
    let sent = r.feed.resend(&all).await;
    assert_eq!((sent.posted, sent.failed.len()), (12, 0));
    let monitor = r.gw.sim.monitor();
    assert_eq!(
        (monitor.stages.len(), monitor.repeats, monitor.out_of_order),
        (12, 12, 0)
    );

    // The metrics: requests per connector, the feed, and the engine's counts read at scrape.
    let text =
        r.gw.metrics
            .render(r.ledger.as_ref(), r.gw.clock.now())
            .await;
    for line in [
        r#"qyzmet_gateway_requests_total{connector="gbd_fl.person",outcome="ok"} 3"#,
        r#"qyzmet_gateway_requests_total{connector="provider.register",outcome="ok"} 3"#,
        r#"qyzmet_stage_feed_posts_total{outcome="ok"} 24"#,
        r#"qyzmet_cases{service="rehabilitated-person-certificate",status="active"} 3"#,
        r#"qyzmet_outbox_jobs{kind="stage",status="done"} 12"#,
        r#"qyzmet_incidents_open 0"#,
        "# TYPE qyzmet_gateway_circuit_open gauge",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

#[tokio::test]
async fn a_stage_report_waits_for_the_earlier_one_of_its_case() {
    let r = engine(|t| t).await;
    let e = &r.engine;
    // The monitoring system is down when the case is submitted: `submitted` is not delivered.
    r.gw.sim.set_fault(
        "monitoring",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    let number = e
        .submit(
            "rehabilitated-person-certificate",
            submission("550404400195"),
        )
        .await
        .unwrap();
    e.drain().await.unwrap();
    assert!(stages_of(&r.gw, &number).is_empty());
    // It is back, and the case moves on; `submitted` waits for its retry, so the later
    // stages wait too: none is posted before it.
    r.gw.sim.clear_faults();
    accept(e, &number, "550404400195").await;
    e.drain().await.unwrap();
    assert!(
        stages_of(&r.gw, &number).is_empty(),
        "{:?}",
        stages_of(&r.gw, &number)
    );
    // When the retries come due, every stage goes, in order.
    for _ in 0..6 {
        r.gw.clock.advance(Duration::minutes(10));
        e.drain().await.unwrap();
    }
    assert_eq!(
        stages_of(&r.gw, &number),
        numbered(&["submitted", "data_requested", "accepted", "under_review"])
    );
    assert_eq!(r.gw.sim.monitor().out_of_order, 0);
}

#[tokio::test]
async fn with_gbd_fl_down_the_case_retries_tells_support_once_and_takes_the_documents_path() {
    let r = engine(|t| t).await;
    let e = &r.engine;
    r.gw.sim.set_fault(
        "gbd_fl.person",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    let number = e
        .submit(
            "rehabilitated-person-certificate",
            submission("550404400195"),
        )
        .await
        .unwrap();
    accept(e, &number, "550404400195").await;
    let mut rounds = 0;
    while task_at(e, &number, "take_documents_from_citizen")
        .await
        .is_none()
    {
        rounds += 1;
        assert!(rounds < 30, "the documents path never came");
        e.drain().await.unwrap();
        r.gw.clock.advance(Duration::minutes(2));
    }
    // Five attempts (the step's budget), each sent with the same key.
    let tries: Vec<_> =
        r.gw.sim
            .received()
            .into_iter()
            .filter(|x| x.connector == "gbd_fl.person")
            .collect();
    assert_eq!(tries.len(), 5, "{tries:#?}");
    assert!(
        tries.iter().all(
            |t| t.message_id == tries[0].message_id && t.idempotency_key == tries[0].message_id
        )
    );
    e.drain().await.unwrap();
    // One support e-mail, with the fields the rules ask for.
    let notes: Vec<Value> = std::fs::read_dir(r.outbox.join("notify"))
        .unwrap()
        .flatten()
        .filter(|f| !f.file_name().to_string_lossy().starts_with('.'))
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap())
        .filter(|n: &Value| n["work"]["template"] == "technical_failure")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let vars = &notes[0]["work"]["vars"];
    assert_eq!(notes[0]["work"]["to"], "support_email");
    assert_eq!(vars["registration_number"], number);
    assert_eq!(vars["connector"], "gbd_fl.person");
    assert_eq!(vars["attempts"], 5);
    assert!(
        vars["error"]
            .as_str()
            .unwrap()
            .starts_with("gbd_fl.person: "),
        "{vars}"
    );
    assert!(
        stages_of(&r.gw, &number)
            .iter()
            .any(|(_, s)| s == "data_from_documents"),
        "{:?}",
        stages_of(&r.gw, &number)
    );
    let text = r.gw.metrics.encode();
    assert!(
        text.contains(r#"qyzmet_gateway_circuit_open{connector="gbd_fl.person"} 1"#),
        "{text}"
    );
}
