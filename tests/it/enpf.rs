//! The proactive pension of `workflows/enpf-retirement-payment` through the SMS dialogue, as
//! the aggregator posts the citizen's replies (seeds/001, the ENPF rules items 4, 15, 16; the
//! dialogue is the definition's assumptions A9-A13). The scenarios under the service's folder
//! cover consent, refusal and silence; an SMS the words do not recognise reaches qyzmet only
//! through `POST /integrations/sms/replies`, so it is tried here, on the shipped definition and
//! templates: the service's own help SMS goes back, the case keeps waiting, and a recognised
//! reply after it starts the data requests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::clock::ManualClock;
use qyzmet::runtime::{Language, Status, Submission};
use qyzmet::service::{FileConfig, Options, Service};

use crate::service::{aggregator, almaty, config_file};

const SERVICE: &str = "enpf-retirement-payment";

/// A workflows folder with the catalog, the shared hearing and the service as shipped (so
/// another service being drafted beside it cannot stop this one from loading); the calendars
/// and the shipped templates linked.
fn fixture(dir: &Path) -> PathBuf {
    let root = dir.join("workflows");
    std::fs::create_dir_all(root.join("_shared")).unwrap();
    std::fs::create_dir_all(root.join(SERVICE)).unwrap();
    std::fs::copy("workflows/catalog.yaml", root.join("catalog.yaml")).unwrap();
    std::fs::copy(
        "workflows/_shared/hearing.yaml",
        root.join("_shared/hearing.yaml"),
    )
    .unwrap();
    std::fs::copy(
        format!("workflows/{SERVICE}/2026-07-12.yaml"),
        root.join(SERVICE).join("2026-07-12.yaml"),
    )
    .unwrap();
    for shared in ["calendars", "templates"] {
        let target = std::fs::canonicalize(shared).unwrap();
        std::os::unix::fs::symlink(target, dir.join(shared)).unwrap();
    }
    root
}

/// A data field of a case by its dotted name, as the case state nests it.
fn field<'a>(data: &'a BTreeMap<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = data.get(name) {
        return Some(v);
    }
    let mut at = data.get("")?;
    for part in name.split('.') {
        at = at.get(part)?;
    }
    Some(at)
}

struct Running {
    service: Service,
    app: axum::Router,
    aggregator: crate::service::Aggregator,
    _dir: tempfile::TempDir,
}

async fn running() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture(dir.path());
    let (aggregator, base) = aggregator().await;
    let config = config_file(dir.path(), 9, &base);
    // Tuesday 23.02.2027 10:00 in Almaty: after the yearly reconciliation (item 15 part 2).
    let clock = Arc::new(ManualClock::new(almaty(2027, 2, 23, 10, 0)));
    let service = Service::start(Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: dir.path().join("data"),
        workflows: root,
        calendars: "calendars".into(),
        templates: dir.path().join("templates"),
        config: FileConfig::load(&config).expect("the configuration file loads"),
        clock,
        env: Arc::new(|name| (name == "TEST_SMS_KEY").then(|| "k-1".to_string())),
    })
    .await
    .expect("the service starts");
    let app = qyzmet::api::integrations::router(service.clone());
    Running {
        service,
        app,
        aggregator,
        _dir: dir,
    }
}

impl Running {
    /// Posts a reply from `from` as the aggregator does: its answer.
    async fn reply(&self, token: &str, id: &str, from: &str, text: &str) -> Value {
        let response = self
            .app
            .clone()
            .oneshot(
                Request::post("/integrations/sms/replies")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .body(Body::from(
                        json!({ "id": id, "from": from, "text": text, "received_at": "2027-02-23T11:00:00+05:00" })
                            .to_string(),
                    ))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// The texts of the SMS the aggregator was asked to send to `to`, in order.
    fn sent_to(&self, to: &str) -> Vec<String> {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        self.aggregator
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|b| digits(b["recipient"].as_str().unwrap_or("")).ends_with(&digits(to)[1..]))
            .map(|b| b["text"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

#[tokio::test]
async fn an_unrecognised_reply_gets_the_help_sms_and_a_recognised_one_then_goes_on() {
    let r = running().await;
    let engine = &r.service.engine;
    let token =
        crate::engine::api_token(engine, "sms-aggregator", &["sms_provider_system"], "kz").await;
    let phone = "+77471234501";
    // What the wave opens for a person of the list (common brief): channel `proactive`, the
    // IIN and the phone, the language, the consent of item 15 part 3.
    let number = engine
        .submit(
            SERVICE,
            Submission {
                data: json!({ "applicant.iin": "570112490315", "applicant.phone": phone }),
                channel: "proactive".into(),
                language: Language::Kk,
                sms_consent: true,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    engine.drain().await.unwrap();
    let sent = r.sent_to(phone);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("БЖЗҚ:") && sent[0].contains(&number),
        "{sent:?}"
    );
    assert!(
        sent[0].contains("02.03.2027"),
        "the reply window's last day: {sent:?}"
    );

    // «Қалай?» is none of the words: the help SMS, in Kazakh, once; the case keeps waiting.
    let first = r.reply(&token, "a1", phone, "Қалай?").await;
    assert_eq!(first["outcome"], "help_sent", "{first}");
    assert_eq!(r.reply(&token, "a1", phone, "Қалай?").await, first);
    engine.drain().await.unwrap();
    let sent = r.sent_to(phone);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].starts_with("Жауап танылмады.") && sent[1].contains(&number),
        "{sent:?}"
    );
    let view = engine.case(&number).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Active);
    assert_eq!(field(&view.case.data, "offer.answer"), None);

    // «Иә!» is consent: the case goes on to GBD FL (item 10, A6), no more SMS for now.
    let second = r.reply(&token, "a2", phone, "  Иә! ").await;
    assert_eq!(second, json!({ "outcome": "delivered", "case": number }));
    engine.drain().await.unwrap();
    let view = engine.case(&number).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Active);
    assert_eq!(
        field(&view.case.data, "offer.answer"),
        Some(&json!("consent"))
    );
    assert!(
        view.history
            .iter()
            .any(|h| h.step.as_deref() == Some("fetch_person")),
        "{:#?}",
        view.history
    );
    assert_eq!(r.sent_to(phone).len(), 2);
}
