//! The front office's desk (`engine/web/apply.rs`, `engine/web/desk.rs`): a citizen's
//! application registered on the pages — the IIN checked, the data pre-filled from GBD FL
//! through the gateway — and what comes from the citizen later (the objection to a
//! provisional refusal), registered while the case waits for it.
//!
//! seeds/004 item 3 and appendix 1 (the certificate's application), appendix 4 (the
//! compensation's), appendix 2 row 10 item 1 (identification); APPK art. 73(3) and
//! workflows/_shared/hearing.yaml (the objection, in writing or orally).

use axum::http::StatusCode;
use serde_json::{Value, json};

use qyzmet::gateway::sim::Fault;
use qyzmet::runtime::Language;

use crate::browser::Browser;
use crate::service::{IIN, Running, audit_cli_on};
use crate::web::{self, clerk, page, service};

const CERTIFICATE: &str = "/apply/rehabilitated-person-certificate";
const COMPENSATION: &str = "/apply/repression-victims-compensation";

/// The form's `csrf` field and the pairs of `fields`, as the page posts them.
async fn post(r: &Running, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> crate::web::Answer {
    let form = page(r.svc(), "GET", uri, Some(cookie), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{uri}: {}", form.html);
    let csrf = form.csrf();
    let mut pairs = vec![("csrf", csrf.as_str())];
    pairs.extend_from_slice(fields);
    page(r.svc(), "POST", uri, Some(cookie), &pairs).await
}

/// A small PDF, as a scanner's first bytes say.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// A field of a multipart form: its text, or a file (its name and bytes).
type Part<'a> = Result<&'a str, (&'a str, &'a [u8])>;

/// POSTs the page's form as a browser sends it with `enctype="multipart/form-data"`: the
/// `csrf` field of the form at `uri`, then each field — a text, or a file (name, bytes).
async fn multipart(
    r: &Running,
    cookie: &str,
    uri: &str,
    fields: &[(&str, Part<'_>)],
) -> crate::web::Answer {
    let form = page(r.svc(), "GET", uri, Some(cookie), &[]).await;
    let csrf = form.csrf();
    let mut parts = vec![web::Part::Text("csrf", &csrf)];
    parts.extend(fields.iter().map(|(name, value)| match value {
        Ok(text) => web::Part::Text(name, text),
        Err((file, bytes)) => web::Part::File(name, file, bytes),
    }));
    web::multipart(r.svc(), uri, cookie, &parts).await
}

/// The value an input of the page shows, by its id (`f-applicant-last_name`).
fn input_value(html: &str, id: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"id="{id}" name="[^"]*" value="([^"]*)""#)).unwrap();
    re.captures(html).map(|c| c[1].to_string())
}

/// How many cases the engine holds, in any status.
async fn cases(r: &Running) -> i64 {
    let counts = r.svc().engine.store().counts().await.unwrap();
    counts["cases"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum()
}

/// A JSON call to the API with a bearer token: its status and body.
async fn call(
    r: &Running,
    token: &str,
    method: &str,
    uri: &str,
    body: Value,
) -> (StatusCode, Value) {
    use tower::ServiceExt;
    let request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let response = r.svc().router().oneshot(request).await.unwrap();
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

/// The case a task key belongs to.
async fn case_of_task(r: &Running, key: &str) -> String {
    r.svc()
        .engine
        .store()
        .task(key)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no task {key}"))
        .number
}

#[tokio::test]
async fn an_operator_registers_a_citizen_for_the_certificate_and_lands_on_the_acceptance() {
    let r = service().await;
    let desk = clerk(&r, "desk1", &["front_office_operator"], "almaty").await;

    // The queue offers the citizen services beside it.
    let queue = page(r.svc(), "GET", "/queue?lang=ru", Some(&desk), &[]).await;
    assert!(queue.html.contains(CERTIFICATE), "{}", queue.html);
    assert!(queue.html.contains(COMPENSATION), "{}", queue.html);

    // The IIN typed, "Fill from GBD FL": the name and address come, and the page says which.
    let uri = format!("{CERTIFICATE}?lang=ru");
    let filled = post(
        &r,
        &desk,
        &uri,
        &[("applicant.iin", IIN), ("action", "prefill")],
    )
    .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.html);
    assert!(filled.html.contains(r#"id="prefilled""#), "{}", filled.html);
    assert_eq!(
        input_value(&filled.html, "f-applicant-last_name").as_deref(),
        Some("Абенова")
    );
    assert_eq!(
        input_value(&filled.html, "f-applicant-first_name").as_deref(),
        Some("Айгүл")
    );
    assert_eq!(
        input_value(&filled.html, "f-applicant-middle_name").as_deref(),
        Some("Серікқызы")
    );
    assert!(filled.html.contains("ул. Жамбыла, 12"), "{}", filled.html);
    assert_eq!(
        input_value(&filled.html, "f-applicant-iin").as_deref(),
        Some(IIN),
        "what was typed stays"
    );

    // Filed: the clerk lands on the new case's acceptance, with what was filed in its form.
    let filed = post(
        &r,
        &desk,
        &uri,
        &[
            ("applicant.iin", IIN),
            ("applicant.last_name", "Абенова"),
            ("applicant.first_name", "Айгүл"),
            ("applicant.middle_name", "Серікқызы"),
            ("applicant.address", "г. Алматы, ул. Жамбыла, 12, кв. 4"),
            ("application.kind", "duplicate"),
            ("application.by_representative", "false"),
            ("applicant.phone", "+7 701 123 45 67"),
            ("language", "kk"),
            ("sms_consent", "true"),
            ("action", "file"),
        ],
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    let to = filed.location.expect("a redirect");
    let key = to.strip_prefix("/queue/").unwrap_or_else(|| panic!("{to}"));
    let number = case_of_task(&r, key).await;
    let case = r.svc().engine.case(&number).await.unwrap().unwrap().case;
    assert_eq!(case.region, "almaty");
    assert_eq!(case.channel, "state_corporation");
    assert_eq!(case.language, Language::Kk, "the citizen's language");
    assert!(case.sms_consent);
    assert_eq!(case.data[""]["applicant"]["last_name"], "Абенова");
    assert_eq!(case.data[""]["applicant"]["phone"], "+77011234567");
    assert_eq!(case.data[""]["application"]["kind"], "duplicate");
    let row = r.svc().engine.store().task(key).await.unwrap().unwrap();
    assert_eq!(row.step, "accept_documents");

    let task = page(r.svc(), "GET", &format!("{to}?lang=ru"), Some(&desk), &[]).await;
    assert_eq!(task.status, StatusCode::OK, "{}", task.html);
    assert_eq!(
        input_value(&task.html, "f-applicant-iin").as_deref(),
        Some(IIN)
    );
    assert!(
        task.html.contains(r#"<option value="duplicate" selected>"#),
        "the acceptance shows the kind filed: {}",
        task.html
    );

    // The lookup and the filing are journalled: who looked someone up (never whom), and
    // the case filed as `POST /cases` files it.
    let (_, journal, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(
        journal.contains("desk1 person_looked_up rehabilitated-person-certificate"),
        "{journal}"
    );
    assert!(
        journal.contains(&format!("desk1 case_submitted {number}")),
        "{journal}"
    );
    assert!(!journal.contains(IIN), "no IIN in the journal: {journal}");
}

#[tokio::test]
async fn a_wrong_iin_control_digit_comes_back_beside_the_field_in_kazakh_and_russian() {
    let r = service().await;
    let desk = clerk(&r, "desk1", &["front_office_operator"], "almaty").await;
    let (_, sim) = r.svc().simulator.clone().unwrap();
    let asked = sim.received().len();
    let beside = regex::Regex::new(r#"id="error-f-applicant-iin">([^<]+)<"#).unwrap();
    // 520315400126 with its last digit changed.
    for (lang, says) in [("kk", "ЖСН дұрыс емес"), ("ru", "Неверный ИИН")] {
        let uri = format!("{CERTIFICATE}?lang={lang}");
        for action in ["file", "prefill"] {
            let answer = post(
                &r,
                &desk,
                &uri,
                &[("applicant.iin", "520315400127"), ("action", action)],
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                answer.html
            );
            let error = beside
                .captures(&answer.html)
                .unwrap_or_else(|| panic!("no mistake beside the IIN: {}", answer.html))[1]
                .to_string();
            assert!(error.contains(says), "{lang} {action}: {error}");
            assert_eq!(
                input_value(&answer.html, "f-applicant-iin").as_deref(),
                Some("520315400127"),
                "what was typed stays to be corrected"
            );
        }
    }
    assert_eq!(
        sim.received().len(),
        asked,
        "a wrong IIN never reaches the gateway"
    );
    assert_eq!(cases(&r).await, 0, "nothing was filed");
}

#[tokio::test]
async fn gbd_fl_fills_the_name_and_birth_date_and_when_it_fails_the_form_stays_usable() {
    let r = service().await;
    let desk = clerk(&r, "desk1", &["front_office_operator"], "almaty").await;
    let uri = format!("{COMPENSATION}?lang=ru");

    // A surname typed already is kept: the answer fills only what is empty.
    let filled = post(
        &r,
        &desk,
        &uri,
        &[
            ("applicant.iin", IIN),
            ("applicant.last_name", "Абенова-Серікова"),
            ("action", "prefill"),
        ],
    )
    .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.html);
    assert_eq!(
        input_value(&filled.html, "f-applicant-last_name").as_deref(),
        Some("Абенова-Серікова")
    );
    assert_eq!(
        input_value(&filled.html, "f-applicant-first_name").as_deref(),
        Some("Айгүл")
    );
    let birth = input_value(&filled.html, "f-applicant-birth_date").unwrap_or_default();
    assert!(
        birth == "1952-03-15" || birth == "15.03.1952",
        "the birth date: {birth:?}"
    );
    assert_eq!(
        input_value(&filled.html, "f-identity-document_number").as_deref(),
        Some("041234567")
    );
    let said = regex::Regex::new(r#"id="prefilled"[^>]*>([^<]+)<"#)
        .unwrap()
        .captures(&filled.html)
        .unwrap()[1]
        .to_string();
    assert!(
        said.contains("Имя") && said.contains("Дата рождения"),
        "{said}"
    );
    assert!(
        !said.contains("Фамилия"),
        "the surname was typed, not filled: {said}"
    );

    // GBD FL down: the page says so, keeps what was typed, and the form still files.
    let (_, sim) = r.svc().simulator.clone().unwrap();
    sim.set_fault(
        "gbd_fl.person",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    let failed = post(
        &r,
        &desk,
        &uri,
        &[
            ("applicant.iin", IIN),
            ("applicant.last_name", "Абенова"),
            ("action", "prefill"),
        ],
    )
    .await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.html);
    assert!(
        failed.html.contains(r#"id="prefill-failed""#)
            && failed.html.contains("Государственная база не ответила"),
        "{}",
        failed.html
    );
    assert_eq!(
        input_value(&failed.html, "f-applicant-last_name").as_deref(),
        Some("Абенова")
    );
    assert_eq!(
        input_value(&failed.html, "f-applicant-first_name").as_deref(),
        Some("")
    );
    assert!(failed.html.contains(r#"id="file""#));
    let filed = post(
        &r,
        &desk,
        &uri,
        &[
            ("applicant.iin", IIN),
            ("applicant.last_name", "Абенова"),
            ("applicant.first_name", "Айгүл"),
            ("language", "ru"),
            ("action", "file"),
        ],
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    assert!(
        filed.location.as_deref().unwrap().starts_with("/queue/"),
        "{:?}",
        filed.location
    );
}

#[tokio::test]
async fn a_head_of_department_cannot_file_a_citizens_application() {
    let r = service().await;
    let head = clerk(&r, "head1", &["head_of_department"], "almaty").await;
    let queue = page(r.svc(), "GET", "/queue", Some(&head), &[]).await;
    assert!(!queue.html.contains(CERTIFICATE), "{}", queue.html);

    let form = page(r.svc(), "GET", CERTIFICATE, Some(&head), &[]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{}", form.html);
    // Even with the form of another page's CSRF token: the same refusal, nothing filed.
    let csrf = queue.csrf();
    let posted = page(
        r.svc(),
        "POST",
        CERTIFICATE,
        Some(&head),
        &[("csrf", &csrf), ("applicant.iin", IIN), ("action", "file")],
    )
    .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN, "{}", posted.html);
    let prefill = page(
        r.svc(),
        "POST",
        CERTIFICATE,
        Some(&head),
        &[
            ("csrf", &csrf),
            ("applicant.iin", IIN),
            ("action", "prefill"),
        ],
    )
    .await;
    assert_eq!(prefill.status, StatusCode::FORBIDDEN, "{}", prefill.html);
    assert_eq!(cases(&r).await, 0, "nothing was filed");
}

/// A certificate case of Абенова Айгүл, with an e-mail address, whose review refused it: the
/// notice went by e-mail, and the case waits for her objection.
async fn waiting_for_an_objection(r: &Running) -> String {
    let number = r.submit(Language::Ru, false).await;
    r.refused_on_review(&number, "Ақтау туралы құжат өтініш берушіге қатысты емес")
        .await;
    let case = r.svc().engine.case(&number).await.unwrap().unwrap().case;
    assert!(
        case.tokens.iter().any(|t| matches!(
            &t.waiting,
            qyzmet::runtime::Waiting::Message { name, .. } if name == "objection"
        )),
        "the case waits for the objection: {:?}",
        case.tokens
    );
    number
}

/// The case's open task steps and the objection it recorded.
async fn after(r: &Running, number: &str) -> (Vec<String>, Value) {
    let mut steps: Vec<String> = r
        .svc()
        .engine
        .store()
        .tasks(None, None, Some(number))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.step)
        .collect();
    steps.sort();
    let case = r.svc().engine.case(number).await.unwrap().unwrap().case;
    let objection = case
        .data
        .values()
        .filter_map(|scope| scope.get("objection").cloned())
        .next()
        .unwrap_or(Value::Null);
    (steps, objection)
}

#[tokio::test]
async fn an_objection_registered_at_the_desk_moves_the_case_on_as_the_apis_message_does() {
    let r = service().await;
    let at_desk = waiting_for_an_objection(&r).await;
    let by_api = waiting_for_an_objection(&r).await;
    // Signed in now: a session does not last the day the case took to get here.
    let desk = clerk(&r, "desk1", &["front_office_operator"], "almaty").await;

    // The case page offers the registration; the form has the objection's fields.
    let case = page(
        r.svc(),
        "GET",
        &format!("/case/{at_desk}?lang=ru"),
        Some(&desk),
        &[],
    )
    .await;
    let href = format!("/case/{at_desk}/messages/objection");
    assert!(
        case.html
            .contains(&format!(r#"href="{href}" id="register-objection""#)),
        "{}: {}",
        case.status,
        case.html
    );
    let form = page(r.svc(), "GET", &format!("{href}?lang=ru"), Some(&desk), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    for id in ["f-text", "f-channel", "f-attachment", "f-received_on"] {
        assert!(
            form.html.contains(&format!(r#"id="{id}""#)),
            "{id}: {}",
            form.html
        );
    }
    assert_eq!(
        input_value(&form.html, "f-received_on").as_deref(),
        Some("24.11.2026"),
        "received today by default"
    );
    for label in [
        "Зарегистрировать возражение",
        "Текст (или изложенное устно)",
        "Как поступило",
        "Дата получения (дд.мм.гггг)",
    ] {
        assert!(form.html.contains(label), "{label}: {}", form.html);
    }

    // A mistake comes back beside its field, nothing registered.
    let wrong = post(
        &r,
        &desk,
        &href,
        &[
            ("text", "Келіспеймін"),
            ("channel", ""),
            ("received_on", "31.02.2026"),
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
        wrong.html.contains(r#"id="error-f-received_on""#),
        "{}",
        wrong.html
    );

    // As the browser sends the form (`multipart/form-data`), with the letter's scan.
    let registered = multipart(
        &r,
        &desk,
        &href,
        &[
            (
                "text",
                Ok("Ақтау туралы анықтама менің атыма берілген, түпнұсқасын ұсынамын"),
            ),
            ("channel", Ok("provider_in_writing")),
            ("received_on", Ok("24.11.2026")),
            ("attachment", Err(("хат.pdf", PDF))),
        ],
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.html
    );
    assert_eq!(
        registered.location.as_deref(),
        Some(format!("/case/{at_desk}").as_str())
    );
    r.drain().await;

    let token = r
        .token("portal", &["front_office_operator"], "almaty")
        .await;
    let (status, body) = call(
        &r,
        &token,
        "POST",
        &format!("/cases/{by_api}/messages"),
        json!({ "name": "objection", "payload": {
            "text": "Ақтау туралы анықтама менің атыма берілген, түпнұсқасын ұсынамын",
            "channel": "provider_in_writing",
            "received_on": "2026-11-24",
        } }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    r.drain().await;

    // The letter's scan is linked to the case and journalled, as a task's are.
    let (_, journal, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(
        journal.contains(&format!("desk1 message_delivered {at_desk}"))
            && journal.contains(&format!("desk1 document_uploaded {at_desk}")),
        "{journal}"
    );

    let (desk_steps, desk_objection) = after(&r, &at_desk).await;
    let (api_steps, api_objection) = after(&r, &by_api).await;
    assert_eq!(desk_steps, api_steps);
    assert_eq!(desk_steps, ["provisional_refusal_hearing/hold_hearing"]);
    assert_eq!(desk_objection, api_objection);
    assert_eq!(desk_objection["channel"], "provider_in_writing");
    assert_eq!(desk_objection["received_on"], "2026-11-24");

    // Now the case waits for none: the page says so and registers nothing.
    let again = page(r.svc(), "GET", &format!("{href}?lang=ru"), Some(&desk), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.html);
    assert!(again.html.contains(r#"id="not-waiting""#), "{}", again.html);
    let csrf = case.csrf();
    let refused = page(
        r.svc(),
        "POST",
        &href,
        Some(&desk),
        &[
            ("csrf", &csrf),
            ("text", "Тағы бір"),
            ("channel", "state_corporation"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    let state = r.svc().engine.case(&at_desk).await.unwrap().unwrap().case;
    assert!(
        state.inbox.is_empty(),
        "nothing waits in the inbox: {:?}",
        state.inbox
    );
    let case = page(
        r.svc(),
        "GET",
        &format!("/case/{at_desk}"),
        Some(&desk),
        &[],
    )
    .await;
    assert!(!case.html.contains(r#"id="register-objection""#));
}

#[tokio::test]
async fn a_case_at_its_acceptance_waits_for_no_objection_and_a_head_registers_none() {
    let r = service().await;
    let desk = clerk(&r, "desk1", &["front_office_operator"], "almaty").await;
    let head = clerk(&r, "head1", &["head_of_department"], "almaty").await;
    let number = r.submit(Language::Ru, false).await;
    let href = format!("/case/{number}/messages/objection");
    let case = page(r.svc(), "GET", &format!("/case/{number}"), Some(&desk), &[]).await;
    assert!(
        !case.html.contains(r#"id="register-objection""#),
        "{}",
        case.html
    );
    let form = page(r.svc(), "GET", &href, Some(&desk), &[]).await;
    assert_eq!(form.status, StatusCode::CONFLICT, "{}", form.html);
    assert!(form.html.contains(r#"id="not-waiting""#));
    let csrf = case.csrf();
    let refused = page(
        r.svc(),
        "POST",
        &href,
        Some(&desk),
        &[
            ("csrf", &csrf),
            ("text", "Келіспеймін"),
            ("channel", "state_corporation"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    let state = r.svc().engine.case(&number).await.unwrap().unwrap().case;
    assert!(state.inbox.is_empty(), "{:?}", state.inbox);

    let form = page(r.svc(), "GET", &href, Some(&head), &[]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "{}", form.html);
}

#[tokio::test]
async fn in_chromium_the_operator_fills_the_application_from_gbd_fl_and_files_it() {
    let r = service().await;
    let s = r.svc();
    // Another citizen's case waits for her objection (a day later: the clerk signs in then).
    let waiting = waiting_for_an_objection(&r).await;
    clerk(&r, "desk1", &["front_office_operator"], "almaty").await;

    let base = crate::browser::serve(s).await;
    let browser = Browser::start().await;
    let shots = std::env::var_os("QYZMET_SCREENSHOTS").map(std::path::PathBuf::from);

    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "desk1").await;
    browser.fill("#password", "Qyzmet-clerk-2026").await;
    browser.click("#sign-in").await;
    browser.click(&format!(r#"a[href="{CERTIFICATE}"]"#)).await;
    browser.fill("#f-applicant-iin", IIN).await;
    browser.click("#prefill").await;
    assert!(browser.text("#prefilled").await.contains("Фамилия"));
    // The answer's values are in the inputs, not only in the notice.
    let surname = browser
        .element("#f-applicant-last_name")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(surname.as_deref(), Some("Абенова"));
    if let Some(dir) = &shots {
        browser.resize(1366, 900).await;
        browser.screenshot(dir.join("desk-apply-1366.png")).await;
        browser.resize(390, 844).await;
        browser.screenshot(dir.join("desk-apply-390.png")).await;
        browser.resize(1366, 900).await;
    }
    browser.click("#file").await;
    // The acceptance of the new case, with what was filed.
    browser.element("#task-form").await;
    let url = browser.current_url().await;
    assert!(
        url.starts_with(&format!("{base}/queue/")),
        "{url}: {}",
        browser.client().source().await.unwrap_or_default()
    );
    let iin = browser
        .element("#f-applicant-iin")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(iin.as_deref(), Some(IIN));
    if let Some(dir) = &shots {
        browser
            .screenshot(dir.join("desk-acceptance-1366.png"))
            .await;
    }

    // The objection she brings in writing, registered from her case's page.
    browser.goto(&format!("{base}/case/{waiting}")).await;
    browser.click("#register-objection").await;
    browser
        .fill(
            "#f-text",
            "Анықтама менің атыма берілген, түпнұсқасын ұсынамын",
        )
        .await;
    browser
        .element(r#"#f-channel option[value="provider_in_writing"]"#)
        .await
        .click()
        .await
        .unwrap();
    if let Some(dir) = &shots {
        browser
            .screenshot(dir.join("desk-objection-1366.png"))
            .await;
        browser.resize(390, 844).await;
        browser.screenshot(dir.join("desk-objection-390.png")).await;
        browser.resize(1366, 900).await;
    }
    browser.click("#register").await;
    browser.element("#case-number").await;
    let url = browser.current_url().await;
    assert_eq!(url, format!("{base}/case/{waiting}"));
    let case = s.engine.case(&waiting).await.unwrap().unwrap().case;
    assert!(
        case.tokens
            .iter()
            .all(|t| !matches!(t.waiting, qyzmet::runtime::Waiting::Message { .. })),
        "the case took the objection: {:?}",
        case.tokens
    );
}
