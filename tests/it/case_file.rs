//! The case file on the task pages and the case page (`engine/web/case_file.rs`), and the
//! case page's diagram and small screens: what a specialist, a head of department and an
//! operator see of the case they work — the applicant, each state system's answer and when it
//! came, the register's earlier refusal, the citizen's objection, the earlier tasks — in
//! Kazakh and Russian; personal data only to the roles that handle the service; every opening
//! in the journal.

use std::path::PathBuf;

use axum::http::StatusCode;
use serde_json::json;

use qyzmet::runtime::{Actor, Language, Submission};

use crate::browser::Browser;
use crate::service::{IIN, Running, acceptance_form, almaty, audit_cli_on};
use crate::web::{clerk, page, service};

/// Ермекова Алия in the gateway simulator: born 04.04.1955, refused by the provider's
/// register on 02.10.2024.
const REFUSED_BEFORE: &str = "550404400195";

/// The case file of a page: the `<details id="case-file">` element's HTML.
fn case_file(html: &str) -> &str {
    let start = html
        .find(r#"id="case-file""#)
        .unwrap_or_else(|| panic!("no case file on the page:\n{html}"));
    let end = html[start..]
        .find("</details>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The part of the case file inside the element with `id` (a group of cards), up to the
/// next group.
fn part<'h>(file: &'h str, id: &str) -> &'h str {
    let start = file
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} in the case file:\n{file}"));
    let rest = &file[start + 1..];
    let end = rest
        .find(r#"<div class="cf-grid""#)
        .map_or(rest.len(), |e| e);
    &rest[..end]
}

/// The value the case file shows for data `name`.
fn value<'h>(file: &'h str, name: &str) -> &'h str {
    let marker = format!(r#"data-name="{name}""#);
    let start = file
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in the case file:\n{file}"));
    let rest = &file[start + marker.len()..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    &rest[..rest.find("</dd>").unwrap()]
}

/// A case of the certificate for `iin`, filed at Almaty's front office in `language` and
/// accepted by operator1 on Monday 23.11.2026: the state systems have answered and the review
/// waits in the specialists' queue.
async fn accepted(r: &Running, iin: &str, language: Language) -> String {
    let number = r
        .svc()
        .engine
        .submit(
            "rehabilitated-person-certificate",
            Submission {
                data: json!({
                    "applicant.iin": iin,
                    "applicant.phone": "+77017654321",
                    "applicant.email": "citizen@example.kz",
                }),
                channel: "state_corporation".into(),
                language,
                sms_consent: true,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    let mut form = acceptance_form();
    form["applicant.iin"] = json!(iin);
    r.complete(&number, "accept_documents", "complete", form, "operator1")
        .await;
    number
}

#[tokio::test]
async fn the_review_shows_the_gbd_fl_answer_and_the_registers_earlier_refusal_in_both_languages() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r, REFUSED_BEFORE, Language::Ru).await;
    let key = r.task(&number, "review").await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;

    let ru = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(ru.status, StatusCode::OK, "{}", ru.html);
    let file = case_file(&ru.html);
    assert!(file.contains("Материалы дела"), "{file}");
    assert!(!file.contains("case-file-restricted"), "{file}");
    // The applicant, as GBD FL gave them.
    assert_eq!(
        value(file, "applicant.full_name"),
        "Ермекова Алия Сабитқызы"
    );
    assert_eq!(value(file, "applicant.birth_date"), "04.04.1955");
    assert_eq!(value(file, "applicant.iin"), REFUSED_BEFORE);
    // GBD FL's answer, with when it came (the acceptance at 10:00, the requests at once).
    let answers = part(file, "cf-answers");
    // The two requests run side by side: their answers come in either order.
    let cards: Vec<&str> = answers.split("<section ").skip(1).collect();
    assert_eq!(cards.len(), 2, "{answers}");
    let card = |title: &str| {
        *cards
            .iter()
            .find(|c| c.contains(title))
            .unwrap_or_else(|| panic!("no answer of {title}:\n{answers}"))
    };
    let gbd = card("Сведения о физическом лице по ИИН (ГБД ФЛ)");
    for needed in [
        "Сведения о физическом лице по ИИН (ГБД ФЛ)",
        "Ответ получен: <strong>23.11.2026 10:",
        "Ермекова",
        "04.04.1955",
        "г. Алматы, ул. Сатпаева, 90, кв. 17",
    ] {
        assert!(
            gbd.contains(needed),
            "GBD FL's answer lacks {needed}:\n{gbd}"
        );
    }
    // The register's earlier refusal, with its date.
    let register = card("Проверка, выдавалось ли удостоверение ранее");
    assert!(
        register.contains("Проверка, выдавалось ли удостоверение ранее"),
        "{register}"
    );
    assert_eq!(value(register, "register.has_refusal"), "Да");
    assert_eq!(value(register, "register.refusal_date"), "02.10.2024");
    assert_eq!(value(register, "register.has_certificate"), "Нет");
    // What was accepted: the acceptance task, its outcome, who and when, its values.
    let tasks = part(file, "cf-tasks");
    for needed in [
        "Приём документов",
        "Пакет полный — принять",
        "operator1",
        "23.11.2026 10:00",
        "17-3/412",
        "14.06.1991",
        "Справка о реабилитации",
        "identity-card.pdf",
    ] {
        assert!(tasks.contains(needed), "the tasks lack {needed}:\n{tasks}");
    }
    // The contacts and the documents.
    assert_eq!(value(file, "applicant.phone"), "+77017654321");
    assert_eq!(value(file, "sms_consent"), "Да");
    assert!(part(file, "cf-tail").contains("rehabilitation-certificate.pdf"));

    // The same in Kazakh.
    let kk = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=kk"),
        Some(&specialist),
        &[],
    )
    .await;
    let file = case_file(&kk.html);
    for needed in [
        "Іс материалдары",
        "Мемлекеттік жүйелердің жауаптары",
        "Жауап алынды",
        "Бұрын бас тартылған",
        "Құжаттарды қабылдау",
        "Топтама толық — қабылдау",
    ] {
        assert!(
            file.contains(needed),
            "the Kazakh case file lacks {needed}:\n{file}"
        );
    }
    assert_eq!(value(file, "register.has_refusal"), "Иә");
    assert_eq!(value(file, "applicant.birth_date"), "04.04.1955");

    // Each opening is in the journal: who, whose case, from which task.
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    let opened: Vec<&str> = list
        .lines()
        .filter(|l| l.contains(&format!("specialist1 case_file_opened {number}")))
        .collect();
    assert_eq!(opened.len(), 2, "{list}");
    assert!(
        opened
            .iter()
            .all(|l| l.contains(&format!(r#""task":"{key}""#))),
        "{opened:?}"
    );
    assert!(!list.contains(REFUSED_BEFORE), "no IIN in the journal");
    assert!(!list.contains("Ермекова"), "no name in the journal");
}

#[tokio::test]
async fn the_hearing_task_shows_the_citizens_objection() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, true).await;
    r.refused_on_review(&number, "Справка о реабилитации выдана другому лицу")
        .await;
    r.advance_to(almaty(2026, 11, 24, 15, 30)).await;
    s.engine
        .message(
            &number,
            "objection",
            json!({
                "text": "Не согласна: справка выдана мне, прилагаю архивную выписку",
                "channel": "state_corporation",
            }),
            Actor::Citizen,
        )
        .await
        .unwrap();
    r.drain().await;
    let key = r
        .task(&number, "provisional_refusal_hearing/hold_hearing")
        .await;
    let specialist = clerk(&r, "specialist2", &["provider_specialist"], "almaty").await;
    let form = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let file = case_file(&form.html);
    let messages = part(file, "cf-messages");
    for needed in [
        "Возражение на предварительное решение",
        "Поступило: <strong>24.11.2026 15:30</strong>",
        "Не согласна: справка выдана мне, прилагаю архивную выписку",
        "Государственная корпорация",
    ] {
        assert!(
            messages.contains(needed),
            "the objection lacks {needed}:\n{messages}"
        );
    }
    // The refusal it objects to: the review's outcome and reasons, by whom.
    let tasks = part(file, "cf-tasks");
    for needed in [
        "Рассмотрение документов",
        "specialist1",
        "Справка о реабилитации выдана другому лицу",
    ] {
        assert!(tasks.contains(needed), "the tasks lack {needed}:\n{tasks}");
    }
    let kk = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=kk"),
        Some(&specialist),
        &[],
    )
    .await;
    let messages = part(case_file(&kk.html), "cf-messages");
    assert!(
        messages.contains("Алдын ала шешімге қарсылық")
            && messages.contains("Мемлекеттік корпорация"),
        "{messages}"
    );
}

#[tokio::test]
async fn a_role_that_does_not_handle_the_service_sees_no_personal_data() {
    // seeds/003 item 30: access "exclusively within ex-officio full powers". An administrator
    // of the same region opens the case page, but handles no task of the service.
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r, IIN, Language::Kk).await;
    let admin = clerk(&r, "admin2", &["administrator"], "almaty").await;
    let case = page(
        s,
        "GET",
        &format!("/case/{number}?lang=ru"),
        Some(&admin),
        &[],
    )
    .await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.html);
    let file = case_file(&case.html);
    assert!(file.contains(r#"id="case-file-restricted""#), "{file}");
    for personal in [
        "applicant.full_name",
        "applicant.birth_date",
        "applicant.address",
        "applicant.iin",
        "applicant.phone",
        "applicant.email",
    ] {
        assert!(
            value(file, personal).contains("скрыто (персональные данные)"),
            "{personal} is shown to the administrator:\n{file}"
        );
    }
    for secret in [IIN, "Абенова", "Жамбыла", "15.03.1952", "+77017654321"] {
        assert!(!file.contains(secret), "{secret} shown:\n{file}");
    }
    // What is not personal stays: the answers came, the register says no refusal.
    assert_eq!(value(file, "register.has_refusal"), "Нет");

    // The front-office operator, who accepted it, sees it all on the case page.
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let case = page(s, "GET", &format!("/case/{number}"), Some(&operator), &[]).await;
    let file = case_file(&case.html);
    assert!(!file.contains("case-file-restricted"), "{file}");
    assert_eq!(
        value(file, "applicant.full_name"),
        "Абенова Айгүл Серікқызы"
    );
    assert_eq!(value(file, "applicant.birth_date"), "15.03.1952");

    // Both openings are journalled; from the case page, no task is named.
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    for who in ["admin2", "operator1"] {
        let line = list
            .lines()
            .find(|l| l.contains(&format!("{who} case_file_opened {number}")))
            .unwrap_or_else(|| panic!("no case_file_opened of {who}:\n{list}"));
        assert!(!line.contains("\"task\""), "{line}");
    }
}

#[tokio::test]
async fn the_diagram_draws_the_path_taken_and_opens_full_size_for_the_cases_region_only() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r, IIN, Language::Ru).await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let case = page(
        s,
        "GET",
        &format!("/case/{number}?lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    // The review is where the case is; the acceptance and the requests are behind it.
    assert!(
        case.html.contains(r##"fill="#ffd54fff""##),
        "the current step"
    );
    assert!(
        case.html.contains(r##"fill="#c8e6c9ff""##),
        "the path taken"
    );
    let list = &case.html[case.html.find(r#"id="step-list""#).unwrap()..];
    let list = &list[..list.find("</ol>").unwrap()];
    assert!(
        list.contains(r#"<li class="step-visited"><span class="step-mark" aria-hidden="true">✓</span> Приём документов"#),
        "{list}"
    );
    assert!(
        list.contains(r#"<li class="step-current current"><span class="step-mark" aria-hidden="true">▶</span> Рассмотрение документов"#),
        "{list}"
    );
    assert!(
        list.contains(r#"<li class="step-ahead"><span class="step-mark" aria-hidden="true"></span> Подписание удостоверения"#),
        "{list}"
    );
    assert!(
        case.html
            .contains(&format!(r#"href="/case/{number}/diagram.svg""#))
    );

    let svg = page(
        s,
        "GET",
        &format!("/case/{number}/diagram.svg?lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(
        svg.headers["content-type"].to_str().unwrap(),
        "image/svg+xml; charset=utf-8"
    );
    assert!(svg.html.starts_with("<svg "), "{}", &svg.html[..80]);
    assert!(svg.html.contains("Рассмотрение документов"));

    let astana = clerk(&r, "operator9", &["front_office_operator"], "astana").await;
    let refused = page(
        s,
        "GET",
        &format!("/case/{number}/diagram.svg"),
        Some(&astana),
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn in_chromium_the_case_page_and_its_file_fit_an_office_screen_and_a_phone() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r, REFUSED_BEFORE, Language::Ru).await;
    let _ = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let key = r.task(&number, "review").await;

    let base = crate::browser::serve(s).await;
    let shots = crate::browser::shots_dir("qyzmet-case-file-shots-");
    let browser = Browser::start().await;
    browser.resize(1366, 900).await;
    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "specialist1").await;
    browser.fill("#password", "Qyzmet-clerk-2026").await;
    browser.click("#sign-in").await;
    browser.text("#nav-queue").await;

    // The review task: the case file above the form, the register's refusal in it.
    browser.goto(&format!("{base}/queue/{key}")).await;
    let refusal = browser
        .text(r#"#cf-answers dd[data-name="register.refusal_date"]"#)
        .await;
    assert_eq!(refusal, "02.10.2024");
    if let Some(dir) = &shots {
        eprintln!(
            "screenshot: {}",
            browser
                .screenshot(dir.join("review-1366.png"))
                .await
                .display()
        );
    }

    // The case page, on an office screen and on a phone.
    for (width, name) in [(1366, "case-1366.png"), (390, "case-390.png")] {
        browser.resize(width, 900).await;
        browser.goto(&format!("{base}/case/{number}")).await;
        let name_shown = browser
            .text(r#"#cf-applicant dd[data-name="applicant.full_name"]"#)
            .await;
        assert_eq!(name_shown, "Ермекова Алия Сабитқызы");
        let wide: u64 = browser
            .client()
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        if wide > u64::from(width) {
            let culprits = browser
                .client()
                .execute(
                    "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(0, 12).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('\\n')",
                    vec![],
                )
                .await
                .unwrap();
            eprintln!(
                "wider than the screen:\n{}",
                culprits.as_str().unwrap_or_default()
            );
        }
        assert!(
            wide <= u64::from(width),
            "the case page is {wide} px wide on a {width} px screen"
        );
        full_shot(&browser, &shots, width, name).await;
    }
    // On the phone the timeline's rows are cards: each cell labelled, one under another.
    let label = browser
        .client()
        .execute(
            "return getComputedStyle(document.querySelector('#timeline td'), '::before').content",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        label
            .as_str()
            .is_some_and(|l| l.contains("Время") || l.contains("Уақыт")),
        "{label}"
    );
    if shots.is_some() {
        browser.resize(390, 900).await;
        browser.goto(&format!("{base}/queue/{key}")).await;
        browser.text("#case-file").await;
        full_shot(&browser, &shots, 390, "review-390.png").await;
    }
}

/// Screenshots at `width` into `dir`, when asked for: the whole page (the window made as tall
/// as the page), then the window scrolled to each part of the case file and to the diagram,
/// at a size a person can read. Their paths are printed for looking at.
async fn full_shot(browser: &Browser, dir: &Option<PathBuf>, width: u32, name: &str) {
    let Some(dir) = dir else {
        return;
    };
    let height = browser
        .client()
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    browser.resize(width, height.clamp(600, 8000) as u32).await;
    let path = browser.screenshot(dir.join(name)).await;
    eprintln!("screenshot: {}", path.display());
    browser.resize(width, 900).await;
    for part in ["cf-answers", "cf-tasks", "cf-tail", "diagram"] {
        let found = browser
            .client()
            .execute(
                "const e = document.getElementById(arguments[0]); if (e) { e.scrollIntoView(); } return !!e;",
                vec![serde_json::json!(part)],
            )
            .await
            .unwrap();
        if found.as_bool() == Some(true) {
            let path = browser
                .screenshot(dir.join(format!("{}-{part}.png", name.trim_end_matches(".png"))))
                .await;
            eprintln!("screenshot: {}", path.display());
        }
    }
}

#[tokio::test]
async fn a_state_system_that_did_not_answer_is_said_so_and_the_operator_enters_the_data() {
    // GBD FL does not know the IIN: the request fails, and the operator who takes the data from
    // the citizen's documents sees which system did not answer, when, and after how many tries.
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r, qyzmet::gateway::sim::UNKNOWN_IIN, Language::Ru).await;
    let key = r.task(&number, "take_documents_from_citizen").await;
    let operator = clerk(&r, "operator2", &["front_office_operator"], "almaty").await;
    let form = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let answers = part(case_file(&form.html), "cf-answers");
    let failed = answers
        .split("<section ")
        .find(|c| c.contains("Сведения о физическом лице по ИИН (ГБД ФЛ)"))
        .unwrap_or_else(|| panic!("no card of GBD FL:\n{answers}"));
    assert!(failed.contains("cf-failed"), "{failed}");
    assert!(failed.contains("Система не ответила"), "{failed}");
    assert!(failed.contains("23.11.2026 10:"), "{failed}");
    assert!(
        !failed.contains("data-name=\"applicant.last_name\""),
        "{failed}"
    );
}

#[tokio::test]
async fn an_uploaded_scan_opens_from_the_case_file() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    let sha = "a".repeat(64);
    let mut form = acceptance_form();
    form["documents.identity"] = json!({
        "name": "жеке-куәлік.pdf",
        "sha256": sha,
        "content_type": "application/pdf",
        "size": 48213,
    });
    r.complete(&number, "accept_documents", "complete", form, "operator1")
        .await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let case = page(s, "GET", &format!("/case/{number}"), Some(&operator), &[]).await;
    let documents = part(case_file(&case.html), "cf-tail");
    assert!(
        documents.contains(&format!(
            r#"data-name="documents.identity"><a href="/case/{number}/uploads/{sha}">жеке-куәлік.pdf</a>"#
        )),
        "{documents}"
    );
    assert!(
        documents
            .contains(r#"data-name="documents.rehabilitation">rehabilitation-certificate.pdf<"#),
        "a name typed as text stays text:\n{documents}"
    );
}
