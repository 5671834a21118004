//! Work on a task's page is never lost (`engine/web/task.rs`): the claim carries what was
//! typed, a task another clerk holds is read-only, an outcome that refuses the citizen asks
//! for confirmation, a completed task says what became of the case (the receipt first, to
//! print), and a session that expired as the form was filled in brings the clerk back to it
//! with the values, submitting nothing by itself. Through the router as a browser posts, and
//! once in a real headless Chromium.

use axum::http::StatusCode;
use fantoccini::Locator;

use qyzmet::runtime::Language;

use crate::browser::Browser;
use crate::service::{Running, acceptance_form, almaty};
use crate::web::{Answer, clerk, page, service, sign_in_post};

/// The password `web::clerk` gives every clerk it makes.
const PASSWORD: &str = "Qyzmet-clerk-2026";

/// A certificate application (Russian, with SMS consent and an e-mail) accepted by
/// `operator1` through the engine: its number, waiting at the specialist's review.
async fn accepted(r: &Running) -> String {
    let number = r.submit(Language::Ru, true).await;
    r.complete(
        &number,
        "accept_documents",
        "complete",
        acceptance_form(),
        "operator1",
    )
    .await;
    number
}

/// `pairs` borrowed, as `page` takes them.
fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The acceptance form as the clerk fills it in from the citizen's documents, and `extra`.
fn acceptance(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = acceptance_form()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    all
}

/// The outcomes the case's history says were chosen on task `key`.
async fn completions(r: &Running, number: &str, key: &str) -> Vec<String> {
    r.notes(number, "task_completed")
        .await
        .into_iter()
        .filter(|d| d["task"] == key)
        .map(|d| d["outcome"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The journal as `ACTOR ACTION OBJECT` lines, a refusal with its reason after.
async fn journal(r: &Running) -> Vec<String> {
    qyzmet::store::audit::page(&mut r.svc().engine.store().read().await.unwrap(), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .map(|rec| {
            let mut line = format!(
                "{} {} {}",
                rec.actor,
                rec.action.as_str(),
                rec.object.as_deref().unwrap_or("-")
            );
            if let Some(reason) = rec.details["reason"].as_str() {
                line.push(' ');
                line.push_str(reason);
            }
            line
        })
        .collect()
}

/// The `?draft=` address an answer redirects to, on task `key`, without its `#task-form`
/// (where the browser scrolls to: the form, below the case file).
fn draft_location(answer: &Answer, key: &str) -> String {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let location = answer.location.clone().expect("a redirect");
    let (address, fragment) = location.split_once('#').expect("to the form");
    assert_eq!(fragment, "task-form");
    assert!(
        address.starts_with(&format!("/queue/{key}?draft=")),
        "{location}"
    );
    address.to_string()
}

/// The opening tag of the form's fieldset: `disabled` when the form is read-only.
fn fieldset(html: &str) -> &str {
    let start = html.find(r#"<fieldset id="task-fields""#).expect(html);
    let end = start + html[start..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test]
async fn a_claim_pressed_on_the_form_keeps_what_was_typed_for_that_clerk_only() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let key = r.task(&number, "review").await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;

    // Nobody holds the task: the inputs are open, and the claim is a button of the form.
    let form = page(
        s,
        "GET",
        &format!("/queue/{key}?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(!fieldset(&form.html).contains("disabled"), "{}", form.html);
    assert!(
        form.html.contains(&format!(
            r#"formaction="/queue/{key}/claim" formnovalidate"#
        )),
        "{}",
        form.html
    );
    assert!(form.html.contains("То, что вы уже ввели, сохранится."));
    assert!(
        !form.html.contains(r#"id="outcome-refuse""#),
        "no outcome before the claim"
    );

    // Typed, then claimed: the form comes back with the values, the outcomes offered.
    let csrf = form.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&specialist),
        &[
            ("csrf", &csrf),
            ("then", "form"),
            ("review.notes", "Сверено с реестром"),
            ("refusal.ground", "non_compliance"),
            (
                "refusal.reasons",
                "Документ о реабилитации выдан другому лицу",
            ),
        ],
    )
    .await;
    let back = draft_location(&claimed, &key);
    let again = page(s, "GET", &format!("{back}&lang=ru"), Some(&specialist), &[]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.html);
    for kept in [
        "Задача ваша. Всё, что вы ввели, сохранено.",
        "Сверено с реестром",
        "Документ о реабилитации выдан другому лицу",
        r#"id="outcome-refuse""#,
    ] {
        assert!(again.html.contains(kept), "lacks {kept}:\n{}", again.html);
    }
    assert!(
        regex::Regex::new(r#"value="non_compliance"[^>]*selected"#)
            .unwrap()
            .is_match(&again.html),
        "{}",
        again.html
    );
    assert!(!fieldset(&again.html).contains("disabled"));

    // The same address opens nothing of it for another clerk of the same role and region.
    let other = clerk(&r, "specialist2", &["provider_specialist"], "almaty").await;
    let theirs = page(s, "GET", &format!("{back}&lang=ru"), Some(&other), &[]).await;
    assert!(
        !theirs.html.contains("выдан другому лицу"),
        "{}",
        theirs.html
    );
    assert!(theirs.html.contains("Сохранённые значения устарели"));
    assert!(
        journal(&r)
            .await
            .contains(&format!("specialist1 task_claimed {key}"))
    );
}

#[tokio::test]
async fn a_task_another_clerk_holds_is_read_only_and_a_late_claim_keeps_the_values_to_read() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let key = r.task(&number, "review").await;
    let first = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let late = clerk(&r, "specialist2", &["provider_specialist"], "almaty").await;

    // The late clerk opens the form while nobody holds it, and types.
    let form = page(s, "GET", &format!("/queue/{key}?lang=ru"), Some(&late), &[]).await;
    let late_csrf = form.csrf();
    // Meanwhile the first clerk takes it from the queue.
    let queue = page(s, "GET", "/queue", Some(&first), &[]).await;
    let taken = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&first),
        &[("csrf", &queue.csrf())],
    )
    .await;
    assert_eq!(taken.location.as_deref(), Some("/queue"), "{}", taken.html);

    // The late claim is refused, and journalled, but what was typed is not thrown away.
    let refused = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&late),
        &[
            ("csrf", &late_csrf),
            ("then", "form"),
            ("refusal.reasons", "Черновик второго специалиста"),
        ],
    )
    .await;
    let back = draft_location(&refused, &key);
    let shown = page(s, "GET", &format!("{back}&lang=ru"), Some(&late), &[]).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    assert!(
        shown
            .html
            .contains("Задачу раньше вас взял другой сотрудник")
    );
    assert!(shown.html.contains("Черновик второго специалиста"));
    assert!(
        shown.html.contains(
            "Задачу взял другой сотрудник: specialist1. Форма открыта только для чтения."
        ),
        "{}",
        shown.html
    );
    assert!(
        fieldset(&shown.html).contains("disabled"),
        "another clerk's task is read-only: {}",
        shown.html
    );
    assert!(!shown.html.contains(r#"id="outcome-refuse""#));
    assert!(!shown.html.contains(r#"id="claim""#));
    let journal = journal(&r).await;
    assert!(
        journal.contains(&format!(
            "specialist2 access_denied {key} another_clerks_task"
        )),
        "{journal:#?}"
    );
}

#[tokio::test]
async fn a_refusing_outcome_asks_for_confirmation_with_the_values_kept_then_refuses() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let key = r.task(&number, "review").await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&specialist), &[]).await;
    let csrf = form.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&specialist),
        &[("csrf", &csrf), ("then", "form")],
    )
    .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
    let refuse_url = format!("/queue/{key}?lang=ru");

    // A refusal without its reasons: the mistake beside its field at once, no confirmation.
    let wrong = page(
        s,
        "POST",
        &refuse_url,
        Some(&specialist),
        &[
            ("csrf", &csrf),
            ("outcome", "refuse"),
            ("refusal.ground", "non_compliance"),
        ],
    )
    .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.html
    );
    assert!(wrong.html.contains(r#"id="error-f-refusal-reasons""#));
    assert!(!wrong.html.contains(r#"id="confirm""#));

    // Filled in: the first press asks, shows what was filled in, and completes nothing.
    let asked = page(
        s,
        "POST",
        &refuse_url,
        Some(&specialist),
        &[
            ("csrf", &csrf),
            ("outcome", "refuse"),
            ("refusal.ground", "non_compliance"),
            (
                "refusal.reasons",
                "Документ о реабилитации выдан другому лицу",
            ),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
    for needed in [
        r#"id="confirm""#,
        "Подтвердите: это отказ",
        "Вы выбрали результат «Отказать»: это отказ услугополучателю.",
        "Документ о реабилитации выдан другому лицу",
        r#"id="confirm-yes""#,
    ] {
        assert!(
            asked.html.contains(needed),
            "lacks {needed}:\n{}",
            asked.html
        );
    }
    assert!(
        !asked.html.contains(r#"id="task-form""#),
        "the form waits behind the question"
    );
    assert!(completions(&r, &number, &key).await.is_empty());
    let draft = regex::Regex::new(r#"name="draft" value="([0-9a-f]+)""#)
        .unwrap()
        .captures(&asked.html)
        .unwrap()[1]
        .to_string();

    // "Back to the form": the values again, the outcomes to choose from.
    let back = page(
        s,
        "GET",
        &format!("/queue/{key}?draft={draft}&lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert!(
        back.html
            .contains("Документ о реабилитации выдан другому лицу")
    );
    assert!(back.html.contains(r#"id="outcome-refuse""#));
    assert!(
        back.html.contains(r#"class="refusing""#),
        "the refusing outcome looks it"
    );

    // "Yes": the refusal is taken, with the values of the first press.
    let yes = page(
        s,
        "POST",
        &refuse_url,
        Some(&specialist),
        &[("csrf", &csrf), ("confirm", "yes"), ("draft", &draft)],
    )
    .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER, "{}", yes.html);
    assert_eq!(yes.location, Some(format!("/queue/{key}/done")));
    assert_eq!(completions(&r, &number, &key).await, ["refuse"]);
    r.drain().await;
    let done = page(
        s,
        "GET",
        &format!("/queue/{key}/done?lang=ru"),
        Some(&specialist),
        &[],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Задача выполнена"), "{}", done.html);
    assert!(done.html.contains(r#"<dd id="done-outcome">Отказать</dd>"#));
    assert!(
        done.html.contains("Ожидание возражения"),
        "the case waits for the citizen's objection:\n{}",
        done.html
    );
    assert!(done.html.contains("от услугополучателя"));

    // Pressed again (a reload of the confirmation): what became of it, not an error.
    let again = page(
        s,
        "POST",
        &refuse_url,
        Some(&specialist),
        &[("csrf", &csrf), ("confirm", "yes"), ("draft", &draft)],
    )
    .await;
    assert_eq!(again.location, Some(format!("/queue/{key}/done")));
    assert_eq!(completions(&r, &number, &key).await, ["refuse"]);
}

#[tokio::test]
async fn a_refusal_to_accept_lands_the_operator_on_the_receipt_ready_to_print() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    let key = r.task(&number, "accept_documents").await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    let csrf = form.csrf();
    page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&operator),
        &[("csrf", &csrf), ("then", "form")],
    )
    .await;
    // The whole form goes with the press, as a browser sends it.
    let sent = acceptance(&[
        ("csrf", &csrf),
        ("outcome", "incomplete"),
        ("acceptance.missing_documents", "Ақтау туралы анықтама"),
    ]);
    let asked = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&operator),
        &borrowed(&sent),
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
    assert!(
        asked.html.contains("Растаңыз: бұл — бас тарту"),
        "{}",
        asked.html
    );
    let draft = regex::Regex::new(r#"name="draft" value="([0-9a-f]+)""#)
        .unwrap()
        .captures(&asked.html)
        .unwrap()[1]
        .to_string();
    let yes = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&operator),
        &[("csrf", &csrf), ("confirm", "yes"), ("draft", &draft)],
    )
    .await;
    assert_eq!(
        yes.location,
        Some(format!("/queue/{key}/done")),
        "{}",
        yes.html
    );

    // The receipt of refusal leads, ready to print, before its job has even run.
    let done = page(
        s,
        "GET",
        &format!("/queue/{key}/done"),
        Some(&operator),
        &[],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    let print = regex::Regex::new(r#"<a href="([^"]+\.pdf)" id="print-receipt">"#)
        .unwrap()
        .captures(&done.html)
        .unwrap_or_else(|| panic!("no receipt to print:\n{}", done.html))[1]
        .to_string();
    assert!(
        print.starts_with(&format!("/case/{number}/documents/")),
        "{print}"
    );
    assert!(done.html.contains("Қолхат дайын"));
    assert!(done.html.contains("Іс аяқталды."), "{}", done.html);
    assert!(done.html.contains("Құжаттар қабылданбады"));
    r.drain().await;
    let done = page(
        s,
        "GET",
        &format!("/queue/{key}/done"),
        Some(&operator),
        &[],
    )
    .await;
    assert!(done.html.contains(&print), "{}", done.html);

    // The task's own address now says what became of it.
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    assert_eq!(form.location, Some(format!("/queue/{key}/done")));

    // Only for the clerk who completed it: another operator is refused, and journalled.
    let other = clerk(&r, "operator2", &["front_office_operator"], "almaty").await;
    let refused = page(s, "GET", &format!("/queue/{key}/done"), Some(&other), &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(!refused.html.contains(&print));
    assert!(journal(&r).await.contains(&format!(
        "operator2 access_denied {key} another_clerks_task"
    )));
}

#[tokio::test]
async fn an_accepted_application_says_where_the_case_went_once_the_gateway_answers() {
    let r = service().await;
    let s = r.svc();
    let number = r.submit(Language::Ru, true).await;
    let key = r.task(&number, "accept_documents").await;
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    let csrf = form.csrf();
    page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&operator),
        &[("csrf", &csrf), ("then", "form")],
    )
    .await;
    let sent = acceptance(&[("csrf", &csrf), ("outcome", "complete")]);
    let done = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&operator),
        &borrowed(&sent),
    )
    .await;
    assert_eq!(
        done.location,
        Some(format!("/queue/{key}/done")),
        "{}",
        done.html
    );

    // At once: the case asks the state systems; the page looks again by itself.
    let moving = page(
        s,
        "GET",
        &format!("/queue/{key}/done?lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    assert!(
        moving.html.contains(r#"<dd id="done-outcome">"#),
        "{}",
        moving.html
    );
    assert!(moving.html.contains("Дело ожидает:"), "{}", moving.html);
    assert!(
        moving.html.contains(&format!(
            r#"http-equiv="refresh" content="3;url=/queue/{key}/done?r=1""#
        )),
        "{}",
        moving.html
    );

    // The answers came: the review is the specialist's, due 24.11 18:00; the receipt leads.
    r.drain().await;
    let done = page(
        s,
        "GET",
        &format!("/queue/{key}/done?lang=ru"),
        Some(&operator),
        &[],
    )
    .await;
    let passed = "Рассмотрение документов: выдать удостоверение или отказать (Специалист услугодателя), срок 24.11.2026 18:00";
    assert!(done.html.contains(passed), "{}", done.html);
    assert!(done.html.contains(r#"id="print-receipt""#), "{}", done.html);
    assert!(!done.html.contains("http-equiv=\"refresh\""));
}

#[tokio::test]
async fn an_expired_session_brings_the_same_clerk_back_to_the_form_with_the_values() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let key = r.task(&number, "review").await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let _ = clerk(&r, "specialist2", &["provider_specialist"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&specialist), &[]).await;
    let csrf = form.csrf();
    page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&specialist),
        &[("csrf", &csrf), ("then", "form")],
    )
    .await;

    // The clerk writes the reasons for 40 minutes: the session has been idle too long.
    r.advance_to(almaty(2026, 11, 23, 10, 40)).await;
    let typed = [
        ("csrf", csrf.as_str()),
        ("outcome", "refuse"),
        ("refusal.ground", "non_compliance"),
        (
            "refusal.reasons",
            "Подробные причины, которые писали сорок минут",
        ),
    ];
    // A post that is not that session's own form (another site's) keeps nothing.
    let forged = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&specialist),
        &[("csrf", "forged"), ("refusal.reasons", "чужое")],
    )
    .await;
    assert_eq!(forged.location.as_deref(), Some("/"));
    assert!(
        !forged
            .cookies
            .iter()
            .any(|c| c.starts_with("qyzmet_resume=")),
        "{:?}",
        forged.cookies
    );
    let expired = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&specialist),
        &typed,
    )
    .await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER, "{}", expired.html);
    assert_eq!(expired.location.as_deref(), Some("/"));
    let resume = expired
        .cookies
        .iter()
        .find(|c| c.starts_with("qyzmet_resume="))
        .unwrap_or_else(|| panic!("{:?}", expired.cookies));
    assert!(resume.contains("HttpOnly") && resume.contains("SameSite=Strict"));
    assert!(
        !resume.contains("Подробные") && !resume.contains("%D0"),
        "no value in the cookie"
    );
    let resume = resume.split(';').next().unwrap().to_string();
    assert!(completions(&r, &number, &key).await.is_empty());

    // The sign-in form says what happened.
    let sign_in = page(s, "GET", "/?lang=ru", Some(&resume), &[]).await;
    assert!(
        sign_in.html.contains(r#"id="session-expired""#),
        "{}",
        sign_in.html
    );
    assert!(sign_in.html.contains("Срок вашей сессии истёк"));

    // Another login signing in at that browser goes to its own start page; the values stay.
    let stranger = sign_in_post(s, Some(&resume), "specialist2", PASSWORD).await;
    assert_eq!(stranger.location.as_deref(), Some("/queue"));

    // The same login: back to the form, the values in it, the notice, nothing submitted.
    let back = sign_in_post(s, Some(&resume), "specialist1", PASSWORD).await;
    let location = draft_location(&back, &key);
    assert!(
        back.cookies
            .iter()
            .any(|c| c.starts_with("qyzmet_resume=;") && c.contains("Max-Age=0")),
        "{:?}",
        back.cookies
    );
    let session = back.session();
    let form = page(
        s,
        "GET",
        &format!("{location}&lang=ru"),
        Some(&session),
        &[],
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(
        form.html
            .contains("Срок вашей сессии истёк. Введённое вами сохранено")
    );
    assert!(
        form.html
            .contains("Подробные причины, которые писали сорок минут")
    );
    assert!(form.html.contains(r#"id="outcome-refuse""#));
    assert!(completions(&r, &number, &key).await.is_empty());

    // The other login, even at the address, does not get them.
    let theirs = signed_as(&r, "specialist2").await;
    let seen = page(s, "GET", &location, Some(&theirs), &[]).await;
    assert!(!seen.html.contains("сорок минут"), "{}", seen.html);
}

#[tokio::test]
async fn a_confirmation_pressed_after_the_session_expired_keeps_the_refusal_to_check_again() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let key = r.task(&number, "review").await;
    let specialist = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&specialist), &[]).await;
    let csrf = form.csrf();
    page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&specialist),
        &[("csrf", &csrf), ("then", "form")],
    )
    .await;
    let asked = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&specialist),
        &[
            ("csrf", &csrf),
            ("outcome", "refuse"),
            ("refusal.ground", "unreliable_documents"),
            ("refusal.reasons", "Печать на справке не читается"),
        ],
    )
    .await;
    let draft = regex::Regex::new(r#"name="draft" value="([0-9a-f]+)""#)
        .unwrap()
        .captures(&asked.html)
        .unwrap()[1]
        .to_string();

    // The clerk left the question open for 40 minutes, then pressed "Yes".
    r.advance_to(almaty(2026, 11, 23, 10, 40)).await;
    let yes = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&specialist),
        &[("csrf", &csrf), ("confirm", "yes"), ("draft", &draft)],
    )
    .await;
    assert_eq!(yes.location.as_deref(), Some("/"), "{}", yes.html);
    assert!(
        completions(&r, &number, &key).await.is_empty(),
        "nothing refused"
    );
    let resume = yes
        .cookies
        .iter()
        .find(|c| c.starts_with("qyzmet_resume="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("{:?}", yes.cookies));
    let back = sign_in_post(s, Some(&resume), "specialist1", PASSWORD).await;
    let location = draft_location(&back, &key);
    let form = page(
        s,
        "GET",
        &format!("{location}&lang=ru"),
        Some(&back.session()),
        &[],
    )
    .await;
    assert!(
        form.html.contains("Печать на справке не читается"),
        "{}",
        form.html
    );
    assert!(form.html.contains(r#"id="outcome-refuse""#));
    assert!(completions(&r, &number, &key).await.is_empty());
}

#[tokio::test]
async fn a_form_sent_after_signing_in_again_in_another_tab_comes_back_with_its_values() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let key = r.task(&number, "review").await;
    let first = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&first), &[]).await;
    let old_csrf = form.csrf();
    page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&first),
        &[("csrf", &old_csrf), ("then", "form")],
    )
    .await;
    // Another tab signs in again: the browser's cookie is the new session's now.
    let second = signed_as(&r, "specialist1").await;
    let sent = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&second),
        &[
            ("csrf", &old_csrf),
            ("outcome", "approve"),
            ("review.notes", "Заметка из первой вкладки"),
        ],
    )
    .await;
    let back = draft_location(&sent, &key);
    assert!(completions(&r, &number, &key).await.is_empty());
    let shown = page(s, "GET", &format!("{back}&lang=ru"), Some(&second), &[]).await;
    assert!(
        shown.html.contains("Заметка из первой вкладки"),
        "{}",
        shown.html
    );
    assert!(shown.html.contains("Введённое вами сохранено"));
    assert!(
        journal(&r)
            .await
            .iter()
            .any(|l| l.starts_with("specialist1 access_denied") && l.ends_with("csrf")),
        "the refusal is journalled as any other"
    );
}

/// A fresh session of `login` (password [`PASSWORD`]).
async fn signed_as(r: &Running, login: &str) -> String {
    crate::web::signed_in(r.svc(), login, PASSWORD).await
}

#[tokio::test]
async fn in_chromium_the_claim_keeps_the_typing_a_refusal_is_confirmed_and_the_next_step_named() {
    let r = service().await;
    let s = r.svc();
    let number = accepted(&r).await;
    let _ = clerk(&r, "specialist1", &["provider_specialist"], "almaty").await;

    let base = crate::browser::serve(s).await;
    let browser = Browser::start().await;
    let shots = crate::browser::shots_dir("qyzmet-task-page-shots-");
    browser.goto(&format!("{base}/?lang=ru")).await;
    browser.fill("#login", "specialist1").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    let row = format!(r#"tr[data-number="{number}"]"#);
    browser.text(&row).await;

    // The form of a task nobody holds: typed first, then claimed — still there.
    let key = r.task(&number, "review").await;
    browser.goto(&format!("{base}/queue/{key}")).await;
    browser
        .client()
        .wait()
        .for_element(Locator::Css("#f-refusal-ground"))
        .await
        .unwrap()
        .select_by_value("non_compliance")
        .await
        .unwrap();
    let reasons = "Документ о реабилитации выдан другому лицу";
    browser.fill("#f-refusal-reasons", reasons).await;
    browser.click("#claim").await;
    browser.text("#task-notice").await;
    let kept = browser
        .element("#f-refusal-reasons")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(reasons));

    // Refuse: the question first, with what was filled in; "Yes" takes it.
    browser.click("#outcome-refuse").await;
    let question = browser.text("#confirm").await;
    assert!(question.contains("«Отказать»"), "{question}");
    assert!(question.contains(reasons), "{question}");
    if let Some(dir) = &shots {
        browser.resize(1366, 900).await;
        browser.screenshot(dir.join("confirm-1366.png")).await;
        browser.resize(390, 844).await;
        browser.screenshot(dir.join("confirm-390.png")).await;
        browser.resize(1366, 900).await;
    }
    assert!(completions(&r, &number, &key).await.is_empty());
    browser.click("#confirm-yes").await;
    assert_eq!(browser.text("#done-outcome").await, "Отказать");
    assert_eq!(completions(&r, &number, &key).await, ["refuse"]);

    // The notice to the citizen goes out; the page names where the case waits now.
    r.drain().await;
    browser.goto(&format!("{base}/queue/{key}/done")).await;
    let next = browser.text("#next").await;
    assert!(next.contains("Ожидание возражения"), "{next}");
    if let Some(dir) = &shots {
        browser.screenshot(dir.join("done-1366.png")).await;
        browser.resize(390, 844).await;
        browser.screenshot(dir.join("done-390.png")).await;
        eprintln!("screenshots in {}", dir.display());
    }
}
