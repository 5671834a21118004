//! The eGov portal channel (`POST /portal/applications`, issue #17 item 1), as the portal's
//! developer sees it: a signed application opens a case on the channel `egov_portal`, its
//! signed GBD FL answer is taken and not asked again, the evidence is kept with the case; a
//! changed byte, an expired certificate, another person's certificate and a certificate of an
//! untrusted root are each refused with a 422 naming the field, and leave nothing behind — no
//! case, no evidence, no job — but one journal record without personal data.
//!
//! The service is a small one of the tests' own (`tests/fixtures/portal/portal-check`), loaded
//! beside the shipped catalog and templates, so these tests do not wait for the services of
//! order No. 196; the test root of `signature::test_pki` is the installation's trusted root.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use base64ct::Encoding;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use qyzmet::clock::ManualClock;
use qyzmet::service::{FileConfig, Options, Service};
use qyzmet::signature::test_pki::{Authority, Citizen, date};

use crate::living::clerk_in;
use crate::service::{almaty, call};
use qyzmet::web::text::Lang;

/// Абенова Айгүл Серікқызы in the gateway simulator.
const IIN: &str = "520315400126";
/// Another valid IIN: a certificate of someone else.
const OTHER_IIN: &str = "850315301813";
const SERVICE: &str = "portal-check";

/// A running service with the fixture service, the test root trusted, and the portal's token.
struct Portal {
    svc: Service,
    token: String,
    _dir: tempfile::TempDir,
}

/// Copies a folder, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

async fn portal_with(roots: bool) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::copy("workflows/catalog.yaml", workflows.join("catalog.yaml")).unwrap();
    copy_dir(Path::new("workflows/_shared"), &workflows.join("_shared"));
    copy_dir(
        Path::new("tests/fixtures/portal/portal-check"),
        &workflows.join(SERVICE),
    );
    // The engine reads the templates and calendars beside the workflows folder.
    for shared in ["templates", "calendars"] {
        std::os::unix::fs::symlink(
            std::path::absolute(shared).unwrap(),
            dir.path().join(shared),
        )
        .unwrap();
    }
    let mut config = FileConfig::embedded();
    if roots {
        let pem = dir.path().join("test-root.pem");
        qyzmet::signature::test_pki::write_root_pem(&pem).unwrap();
        config.portal.trusted_roots = vec![pem];
    }
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let svc = Service::start(Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: dir.path().join("data"),
        workflows,
        calendars: dir.path().join("calendars"),
        templates: dir.path().join("templates"),
        config,
        clock,
        env: Arc::new(|_| None),
    })
    .await
    .expect("the service starts");
    let token = crate::engine::api_token(&svc.engine, "egov", &["egov_portal_system"], "kz").await;
    Portal {
        svc,
        token,
        _dir: dir,
    }
}

async fn portal() -> Portal {
    portal_with(true).await
}

/// The GBD FL answer the citizen's request received on the portal, as the catalog names it.
fn gbd_fl_answer() -> Value {
    json!({
        "last_name": "Абенова",
        "first_name": "Айгүл",
        "middle_name": "Серікқызы",
        "birth_date": "1952-03-15",
        "address": "Алматы қ., Жамбыл к-сі, 12, 4 п.",
        "document_type": "жеке куәлік",
        "document_number": "047111222",
        "document_issued_by": "ҚР ІІМ",
        "document_issued_on": "2018-06-01",
        "document_valid_until": "2028-05-31"
    })
}

/// The bytes the citizen signs: the application of `iin` with the GBD FL answer.
fn document(iin: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "service": SERVICE,
        "application": { "applicant.iin": iin, "applicant.phone": "+77011234567" },
        "data": { "gbd_fl.person": gbd_fl_answer() }
    }))
    .unwrap()
}

/// A citizen of the test root with a certificate valid through 2026.
fn citizen(iin: &str) -> Citizen {
    Authority::root().issue(iin, "АБЕНОВА АЙГҮЛ", date(2026, 1, 1), date(2027, 1, 1))
}

fn signed_at() -> DateTime<Utc> {
    almaty(2026, 11, 23, 9, 55)
}

/// The portal's request body for `document` signed as `signature`.
fn body(document: &[u8], signature: &[u8]) -> Value {
    json!({
        "service": SERVICE,
        "region": "almaty",
        "language": "kk",
        "sms_consent": true,
        "document": base64ct::Base64::encode_string(document),
        "signature": base64ct::Base64::encode_string(signature),
    })
}

impl Portal {
    async fn file(&self, body: Value) -> (StatusCode, Value) {
        let auth = format!("Bearer {}", self.token);
        let (status, _, answer) = call(
            &self.svc,
            "POST",
            "/portal/applications",
            &[("authorization", auth.as_str())],
            Some(body),
        )
        .await;
        (status, answer)
    }

    /// Cases, jobs and kept evidence: what a refused filing must leave as it found.
    async fn stored(&self) -> (Value, Value, i64) {
        let store = self.svc.engine.store();
        let counts = store.counts().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let evidence = qyzmet::store::portal::count(&mut conn).await.unwrap();
        (counts["cases"].clone(), counts["jobs"].clone(), evidence)
    }

    /// The connectors the gateway simulator was asked, in order.
    fn asked(&self) -> Vec<String> {
        let (_, sim) = self.svc.simulator.as_ref().expect("the simulator runs");
        sim.received().into_iter().map(|r| r.connector).collect()
    }

    /// The `portal_filing_refused` records of the journal, as their details.
    async fn refusals(&self) -> Vec<Value> {
        let store = self.svc.engine.store();
        let mut conn = store.read().await.unwrap();
        let entries = qyzmet::store::audit::of_actions(
            &mut conn,
            &[qyzmet::audit::Action::PortalFilingRefused],
            None,
            None,
            100,
        )
        .await
        .unwrap();
        entries
            .into_iter()
            .map(|e| json!({ "actor": e.actor, "object": e.object, "details": e.details }))
            .collect()
    }

    /// Files a signed application that must be refused on `field`, and checks nothing of it
    /// was kept; returns the message.
    async fn refused(&self, body: Value, field: &str) -> String {
        let before = self.stored().await;
        let (status, answer) = self.file(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["code"], "invalid", "{answer}");
        let fields = answer["fields"].as_array().expect("fields");
        assert_eq!(fields.len(), 1, "{answer}");
        assert_eq!(fields[0]["field"], field, "{answer}");
        // Nothing stored: no case, no job, no evidence.
        assert_eq!(self.stored().await, before);
        assert!(self.asked().is_empty(), "{:?}", self.asked());
        fields[0]["message"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn a_valid_signature_opens_a_portal_case_that_takes_the_signed_answer_and_keeps_the_evidence()
{
    let p = portal().await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let (status, answer) = p.file(body(&doc, &signature)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let number = answer["number"].as_str().unwrap().to_string();
    assert_eq!(answer["status"], "active");
    p.svc.engine.drain().await.unwrap();

    let case = p
        .svc
        .engine
        .store()
        .case_by_number(&number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.channel, "egov_portal");
    assert_eq!(case.region, "almaty");
    // GBD FL's answer came signed: mapped by the step, never asked; the register is asked.
    let data = &case.data[""];
    assert_eq!(data["applicant"]["full_name"], "Абенова Айгүл");
    assert_eq!(data["applicant"]["birth_date"], "1952-03-15");
    assert_eq!(p.asked(), vec!["provider.register".to_string()]);
    let view = p.svc.engine.case(&number).await.unwrap().unwrap();
    let signed: Vec<&str> = view
        .history
        .iter()
        .filter(|h| h.kind == "data_signed")
        .map(|h| h.detail["connector"].as_str().unwrap())
        .collect();
    assert_eq!(signed, ["gbd_fl.person"]);

    // The evidence: exactly the bytes signed, the signature, the signer.
    let mut conn = p.svc.engine.store().read().await.unwrap();
    let evidence = qyzmet::store::portal::of_case(&mut conn, &number)
        .await
        .unwrap()
        .expect("the evidence is kept with the case");
    assert_eq!(evidence.document.as_bytes(), doc.as_slice());
    assert_eq!(
        base64ct::Base64::decode_vec(&evidence.signature).unwrap(),
        signature
    );
    assert_eq!(evidence.signer_name, "АБЕНОВА АЙГҮЛ");
    assert_eq!(evidence.signed_at, Some(signed_at()));
    assert_eq!(evidence.filed_by, "egov");
}

#[tokio::test]
async fn the_same_signed_document_sent_again_with_its_key_opens_one_case() {
    let p = portal().await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let auth = format!("Bearer {}", p.token);
    let headers = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "portal-0001"),
    ];
    let (first, _, a) = call(
        &p.svc,
        "POST",
        "/portal/applications",
        &headers,
        Some(body(&doc, &signature)),
    )
    .await;
    let (again, _, b) = call(
        &p.svc,
        "POST",
        "/portal/applications",
        &headers,
        Some(body(&doc, &signature)),
    )
    .await;
    assert_eq!((first, again), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(a["number"], b["number"]);
    assert_eq!(p.stored().await.0, json!({ "active": 1 }));
}

#[tokio::test]
async fn a_changed_byte_is_refused_and_nothing_is_stored() {
    let p = portal().await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let mut changed = doc.clone();
    // One bit of the GBD FL answer changed: what the citizen did not sign.
    let at = changed.len() - 10;
    changed[at] ^= 0x01;
    let message = p.refused(body(&changed, &signature), "signature").await;
    assert_eq!(
        message,
        "the signature does not match the document: it was changed after signing"
    );
    let refusals = p.refusals().await;
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["actor"], "egov");
    assert_eq!(refusals[0]["object"], SERVICE);
    // The journal names what refused, never the document's personal data.
    let text = refusals[0].to_string();
    assert!(!text.contains(IIN) && !text.contains("Абенова"), "{text}");
}

#[tokio::test]
async fn an_expired_certificate_is_refused_and_nothing_is_stored() {
    let p = portal().await;
    let doc = document(IIN);
    let expired = Authority::root().issue(IIN, "АБЕНОВА АЙГҮЛ", date(2026, 1, 1), date(2026, 6, 1));
    let signature = expired.sign(&doc, signed_at());
    let message = p.refused(body(&doc, &signature), "signature").await;
    assert!(message.contains("expired on 2026-06-01"), "{message}");
}

#[tokio::test]
async fn a_certificate_of_another_iin_is_refused_and_nothing_is_stored() {
    let p = portal().await;
    let doc = document(IIN);
    let signature = citizen(OTHER_IIN).sign(&doc, signed_at());
    let message = p.refused(body(&doc, &signature), "signature").await;
    assert_eq!(
        message,
        "signed with the certificate of another person: the certificate's IIN is not the applicant's"
    );
}

#[tokio::test]
async fn a_signature_from_an_untrusted_root_is_refused_and_nothing_is_stored() {
    let p = portal().await;
    let doc = document(IIN);
    let stranger =
        Authority::impostor().issue(IIN, "АБЕНОВА АЙГҮЛ", date(2026, 1, 1), date(2027, 1, 1));
    let signature = stranger.sign(&doc, signed_at());
    let message = p.refused(body(&doc, &signature), "signature").await;
    assert!(
        message.starts_with("signed with a certificate not issued by a trusted certifying centre"),
        "{message}"
    );
}

#[tokio::test]
async fn a_signed_answer_that_does_not_fit_its_contract_is_refused_by_its_field() {
    let p = portal().await;
    let mut answer = gbd_fl_answer();
    answer["birth_date"] = json!("15 наурыз 1952");
    let doc = serde_json::to_vec(&json!({
        "service": SERVICE,
        "application": { "applicant.iin": IIN },
        "data": { "gbd_fl.person": answer }
    }))
    .unwrap();
    let signature = citizen(IIN).sign(&doc, signed_at());
    let message = p
        .refused(
            body(&doc, &signature),
            "document.data.gbd_fl.person.birth_date",
        )
        .await;
    assert_eq!(message, "not a date");
}

#[tokio::test]
async fn a_document_of_another_service_is_refused() {
    let p = portal().await;
    let doc = serde_json::to_vec(&json!({
        "service": "rehabilitated-person-certificate",
        "application": { "applicant.iin": IIN },
        "data": {}
    }))
    .unwrap();
    let signature = citizen(IIN).sign(&doc, signed_at());
    let message = p.refused(body(&doc, &signature), "document.service").await;
    assert!(
        message.contains("rehabilitated-person-certificate"),
        "{message}"
    );
}

#[tokio::test]
async fn without_trusted_roots_the_portal_is_unavailable() {
    let p = portal_with(false).await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let (status, answer) = p.file(body(&doc, &signature)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("no trusted roots configured"),
        "{answer}"
    );
}

#[tokio::test]
async fn only_the_portals_system_account_files() {
    let p = portal().await;
    let operator = crate::engine::api_token(
        &p.svc.engine,
        "operator1",
        &["front_office_operator"],
        "almaty",
    )
    .await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let auth = format!("Bearer {operator}");
    let (status, _, answer) = call(
        &p.svc,
        "POST",
        "/portal/applications",
        &[("authorization", auth.as_str())],
        Some(body(&doc, &signature)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(p.stored().await.0, json!({}));
}

/// The fixture's scenarios: `signed_data` in `submit`, `requested`/`not_requested`, and a signed
/// answer held to its contract at filing, run as `qyzmet test` runs them.
#[test]
fn the_portal_scenarios_pass() {
    let options = qyzmet::definition::Options {
        catalog: Some("workflows/catalog.yaml".into()),
        templates: Some("templates".into()),
        calendars: Some("calendars".into()),
        lang: qyzmet::definition::messages::Lang::En,
    };
    let dir = Path::new("tests/fixtures/portal/portal-check");
    let setup = qyzmet::scenario::Setup::load(&[dir.join("2026-07-12.yaml")], &options)
        .expect("the fixture service loads");
    assert_eq!(setup.diagnostics, vec![]);
    let mut ran = 0;
    for entry in std::fs::read_dir(dir.join("scenarios")).unwrap().flatten() {
        let run = qyzmet::scenario::run_file(&setup, &entry.path()).expect("the scenario loads");
        assert!(
            run.failure.is_none(),
            "{}: {:?}",
            entry.path().display(),
            run.failure
        );
        ran += 1;
    }
    assert_eq!(ran, 3);
}

#[tokio::test]
async fn the_case_file_lists_the_signed_application_and_its_files_for_the_regions_clerks() {
    let p = portal().await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let (status, answer) = p.file(body(&doc, &signature)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let number = answer["number"].as_str().unwrap().to_string();
    let specialist = clerk_in(
        &p.svc,
        "specialist1",
        &["provider_specialist"],
        "almaty",
        Lang::Ru,
    )
    .await;

    for (lang, title, signer) in [
        (
            "kk",
            "ЭЦҚ қойылған өтініш («электрондық үкімет» порталы)",
            "Қол қойған",
        ),
        (
            "ru",
            "Подписанное заявление (портал «электронного правительства»)",
            "Подписал",
        ),
    ] {
        let page = crate::web::page(
            &p.svc,
            "GET",
            &format!("/case/{number}?lang={lang}"),
            Some(&specialist),
            &[],
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let start = page
            .html
            .find(r#"id="cf-signed""#)
            .expect("the signed card");
        let card = &page.html[start..];
        let card = &card[..card.find("</section>").unwrap()];
        assert!(card.contains(title), "{card}");
        assert!(card.contains(signer), "{card}");
        assert!(card.contains("АБЕНОВА АЙГҮЛ"), "{card}");
        assert!(card.contains("23.11.2026 09:55"), "{card}");
        assert!(
            card.contains(&format!("/case/{number}/portal/document.json")),
            "{card}"
        );
        assert!(
            card.contains(&format!("/case/{number}/portal/signature.p7s")),
            "{card}"
        );
    }

    // Both files, byte for byte as filed.
    let got = crate::web::page(
        &p.svc,
        "GET",
        &format!("/case/{number}/portal/document.json"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.html.as_bytes(), doc.as_slice());
    let got = crate::web::page(
        &p.svc,
        "GET",
        &format!("/case/{number}/portal/signature.p7s"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        got.headers["content-type"].to_str().unwrap(),
        "application/pkcs7-signature"
    );

    // Another region's clerk opens neither.
    let elsewhere = clerk_in(
        &p.svc,
        "specialist2",
        &["provider_specialist"],
        "astana",
        Lang::Ru,
    )
    .await;
    let got = crate::web::page(
        &p.svc,
        "GET",
        &format!("/case/{number}/portal/document.json"),
        Some(&elsewhere),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
}

/// `qyzmet portal test-root` prints a root the configuration can trust, and `qyzmet portal
/// file` without `--url` prints a body whose signature verifies against it for the IIN of the
/// application: what the demo files by hand.
#[test]
fn the_cli_prints_the_test_root_and_a_test_signed_body() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qyzmet"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let pem = dir.path().join("root.pem");
    std::fs::write(&pem, run(&["portal", "test-root"])).unwrap();
    let roots = qyzmet::signature::TrustedRoots::from_pem_files(&[pem]).unwrap();
    let application = dir.path().join("application.json");
    std::fs::write(&application, json!({ "applicant.iin": IIN }).to_string()).unwrap();
    let answers = dir.path().join("answers.json");
    std::fs::write(
        &answers,
        json!({ "gbd_fl.person": gbd_fl_answer() }).to_string(),
    )
    .unwrap();
    let body: Value = serde_json::from_str(&run(&[
        "portal",
        "file",
        "--service",
        SERVICE,
        "--application",
        application.to_str().unwrap(),
        "--answers",
        answers.to_str().unwrap(),
        "--name",
        "АБЕНОВА АЙГҮЛ",
    ]))
    .unwrap();
    let document = base64ct::Base64::decode_vec(body["document"].as_str().unwrap()).unwrap();
    let signed: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(signed["service"], SERVICE);
    assert_eq!(signed["data"]["gbd_fl.person"]["last_name"], "Абенова");
    let signer = qyzmet::signature::verify_detached(
        &document,
        body["signature"].as_str().unwrap().as_bytes(),
        &roots,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(signer.iin.as_deref(), Some(IIN));
    assert_eq!(signer.name, "АБЕНОВА АЙГҮЛ");
}

/// A GOST signature (what a citizen's GOST key makes) is refused by the algorithm's name,
/// and nothing is stored.
#[tokio::test]
async fn a_gost_signature_is_refused_by_name_and_nothing_is_stored() {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use x509_cert::der::asn1::Any;
    use x509_cert::der::oid::ObjectIdentifier;
    use x509_cert::der::{Decode, Encode};

    let p = portal().await;
    let doc = document(IIN);
    let good = citizen(IIN).sign(&doc, signed_at());
    // The same message with the GOST R 34.10-2015 / 34.11-2015 (256-bit) algorithms named.
    let mut info = ContentInfo::from_der(&good).unwrap();
    let mut sd: SignedData = info.content.decode_as().unwrap();
    let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
    signer.digest_alg.oid = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.2.2");
    signer.signature_algorithm.oid = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.1.1");
    signer.signature_algorithm.parameters = None;
    sd.signer_infos = vec![signer].try_into().unwrap();
    let mut digest = sd.digest_algorithms.get(0).unwrap().clone();
    digest.oid = ObjectIdentifier::new_unwrap("1.2.643.7.1.1.2.2");
    sd.digest_algorithms = vec![digest].try_into().unwrap();
    info.content = Any::encode_from(&sd).unwrap();
    let gost = info.to_der().unwrap();

    let message = p.refused(body(&doc, &gost), "signature").await;
    assert!(message.starts_with("GOST R 34.11-2015"), "{message}");
    assert!(message.contains("is not supported"), "{message}");
}

/// Each shipped service of order No. 196 with a portal channel (seeds/001: Semipalatinsk item
/// 3, social assistance item 6, home education item 6, ENPF item 2) takes a signed application
/// through `POST /portal/applications`: the application and the signed answers of the
/// service's own portal scenario, signed by the applicant with a certificate of the test root,
/// open a case on `egov_portal`, and the gateway is not asked what the citizen's signed data
/// answered. So what the scenarios check of the definitions is what the portal can file.
#[tokio::test]
async fn every_portal_service_of_order_196_takes_a_signed_application() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = FileConfig::embedded();
    let pem = dir.path().join("test-root.pem");
    qyzmet::signature::test_pki::write_root_pem(&pem).unwrap();
    config.portal.trusted_roots = vec![pem];
    let now = almaty(2026, 11, 23, 10, 0);
    let svc = Service::start(Options {
        database: crate::backends::database(dir.path()).await,
        data_dir: dir.path().join("data"),
        workflows: "workflows".into(),
        calendars: "calendars".into(),
        templates: "templates".into(),
        config,
        clock: Arc::new(ManualClock::new(now)),
        env: Arc::new(|_| None),
    })
    .await
    .expect("the service starts");
    let token = crate::engine::api_token(&svc.engine, "egov", &["egov_portal_system"], "kz").await;
    let auth = format!("Bearer {token}");
    for (service, scenario) in [
        (
            "semipalatinsk-nuclear-test-victims",
            "issued-through-the-portal.yaml",
        ),
        (
            "social-assistance-local-decisions",
            "portal-application-assigned.yaml",
        ),
        (
            "home-education-cost-recovery",
            "assigned-on-the-portal.yaml",
        ),
        (
            "enpf-retirement-payment",
            "portal-assigned-from-signed-data.yaml",
        ),
    ] {
        let file = Path::new("workflows")
            .join(service)
            .join("scenarios")
            .join(scenario);
        let doc = qyzmet::yaml::read(&file).expect("the scenario reads");
        let submit = doc.value()["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|s| s.get("submit"))
            .expect("the scenario submits")
            .clone();
        assert_eq!(submit["channel"], "egov_portal", "{service}");
        let application = submit["data"].clone();
        let signed = submit["signed_data"].clone();
        let iin = application["applicant.iin"].as_str().unwrap().to_string();
        let document = serde_json::to_vec(&json!({
            "service": service,
            "application": application,
            "data": signed,
        }))
        .unwrap();
        let signer =
            Authority::root().issue(&iin, "ӨТІНІШ БЕРУШІ", date(2026, 1, 1), date(2028, 1, 1));
        let signature = signer.sign(&document, now - chrono::Duration::minutes(5));
        let asked_before = svc.simulator.as_ref().unwrap().1.received().len();
        let (status, _, answer) = call(
            &svc,
            "POST",
            "/portal/applications",
            &[("authorization", auth.as_str())],
            Some(json!({
                "service": service,
                "region": submit.get("region").and_then(Value::as_str).unwrap_or("almaty"),
                "language": submit["language"],
                "sms_consent": submit.get("sms_consent").cloned().unwrap_or(json!(false)),
                "document": base64ct::Base64::encode_string(&document),
                "signature": base64ct::Base64::encode_string(&signature),
            })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{service}: {answer}");
        let number = answer["number"].as_str().unwrap();
        svc.engine.drain().await.unwrap();
        let case = svc
            .engine
            .store()
            .case_by_number(number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.channel, "egov_portal", "{service}");
        let asked: Vec<String> = svc.simulator.as_ref().unwrap().1.received()[asked_before..]
            .iter()
            .map(|r| r.connector.clone())
            .collect();
        for connector in signed.as_object().unwrap().keys() {
            // The signed data hold one answer a connector: the home-education case asks GBD FL
            // for the child, whose record the applicant's own request did not fetch (its A13).
            let again = usize::from(
                service == "home-education-cost-recovery" && connector == "gbd_fl.person",
            );
            assert_eq!(
                asked.iter().filter(|c| *c == connector).count(),
                again,
                "{service}: {connector} was signed; asked: {asked:?}"
            );
        }
    }
}

/// In Chromium, a clerk of the region opens a portal case and reads, on an office screen and
/// on a phone, who signed the application, with what certificate and when, and the two files.
#[tokio::test]
async fn in_chromium_a_clerk_reads_who_signed_the_portal_application() {
    let p = portal().await;
    let doc = document(IIN);
    let signature = citizen(IIN).sign(&doc, signed_at());
    let (status, answer) = p.file(body(&doc, &signature)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let number = answer["number"].as_str().unwrap().to_string();
    let _ = clerk_in(
        &p.svc,
        "specialist1",
        &["provider_specialist"],
        "almaty",
        Lang::Ru,
    )
    .await;

    let base = crate::browser::serve(&p.svc).await;
    let shots = crate::browser::shots_dir("qyzmet-portal-shots-");
    let browser = crate::browser::Browser::start().await;
    browser.resize(1366, 900).await;
    browser
        .sign_in(&base, "specialist1", "Qyzmet-clerk-2026")
        .await;
    for (width, lang) in [(1366, "ru"), (390, "kk")] {
        browser.resize(width, 900).await;
        browser
            .goto(&format!("{base}/case/{number}?lang={lang}"))
            .await;
        let card = browser.text("#cf-signed").await;
        assert!(card.contains("АБЕНОВА АЙГҮЛ"), "{card}");
        assert!(card.contains("23.11.2026 09:55"), "{card}");
        browser.assert_fits(width).await;
        let name = format!("portal-case-{lang}-{width}.png");
        browser.shoot_at(shots.as_deref(), "cf-signed", &name).await;
    }
}
