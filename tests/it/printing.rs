//! Documents to open and print: a case's generated documents opened from the case page and
//! through the API, as the print view (HTML) and as a PDF, in the case's language, with the
//! copies the form asks for — the receipt of refusal to accept is made "in 2 (two) copies,
//! one for each party" (seeds/004 appendix 3) — for the staff of the case's region only, each
//! opening journalled.
//!
//! Each test runs the whole service (`tests/it/service.rs`), on PostgreSQL too when the run
//! asks for it (`backends`), and reads the PDF as a reader does (`pdf-extract`).

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use qyzmet::api::documents::{DocumentId, Printable};
use qyzmet::runtime::Language;
use qyzmet::service::Service;

use crate::service::{IIN, Running};
use crate::web::{clerk, page, service};

/// What the clerk typed as missing: every Kazakh letter Russian lacks (ә ғ қ ң ө ұ ү һ і)
/// is in it, so the PDF must carry each one.
const MISSING_KK: &str = "Шаһар әкімдігінің анықтамасы; ұйғарым көшірмесі; өтініш, үзінді";
const MISSING_RU: &str = "Справка о реабилитации; копия удостоверения личности";

/// One GET through the service's router, with `auth` as the `Cookie` header or a bearer
/// token: (status, headers, body bytes).
async fn get(service: &Service, uri: &str, auth: Auth<'_>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::builder().method("GET").uri(uri);
    request = match auth {
        Auth::Cookie(c) => request.header("cookie", c),
        Auth::Bearer(t) => request.header("authorization", format!("Bearer {t}")),
    };
    let response = service
        .router()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, headers, bytes.to_vec())
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Cookie(&'a str),
    Bearer(&'a str),
}

/// The text of each page, white space collapsed.
fn pages(pdf: &[u8]) -> Vec<String> {
    pdf_extract::extract_text_from_mem_by_pages(pdf)
        .expect("a PDF reader reads it")
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A case of the certificate service in `lang` whose documents the front office refused to
/// accept (`incomplete`), completed by `op-almaty`; `run` says whether the receipt's job runs
/// before the test goes on. Returns the case's number.
async fn refused_to_accept(r: &Running, lang: Language, run: bool) -> String {
    let number = r.submit(lang, false).await;
    let key = r.task(&number, "accept_documents").await;
    let missing = match lang {
        Language::Kk => MISSING_KK,
        Language::Ru => MISSING_RU,
    };
    r.svc()
        .engine
        .complete(
            &key,
            "incomplete",
            json!({
                "applicant.iin": IIN,
                "application.kind": "certificate",
                "application.by_representative": false,
                "acceptance.missing_documents": missing,
            }),
            "op-almaty",
        )
        .await
        .expect("the acceptance completes as not accepted");
    if run {
        r.drain().await;
    }
    number
}

/// The links of the case page's documents: (print view, PDF) of each.
fn links(html: &str, number: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(&format!(
        r#"href="(/case/{}/documents/(\d+-\d+))" class="document-open">[^<]*</a>(?:[^<]|<span[^>]*>[^<]*</span>)*<a href="([^"]+)" class="document-pdf""#,
        regex::escape(number)
    ))
    .unwrap();
    re.captures_iter(html)
        .map(|c| (c[1].to_string(), c[3].to_string()))
        .collect()
}

/// The journal as `ACTOR ACTION OBJECT DETAILS` lines.
async fn journal(service: &Service) -> Vec<String> {
    qyzmet::store::audit::page(&mut service.engine.store().read().await.unwrap(), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let r = r.unwrap();
            format!(
                "{} {} {} {}",
                r.actor,
                r.action,
                r.object.as_deref().unwrap_or("-"),
                r.details
            )
        })
        .collect()
}

/// A clerk of the front office in Almaty, signed in on the pages: the cookie.
async fn operator(r: &Running) -> String {
    clerk(r, "op-almaty", &["front_office_operator"], "almaty").await
}

#[tokio::test]
async fn the_kazakh_receipt_of_refusal_opens_from_the_case_page_and_prints_two_copies() {
    let r = service().await;
    let s = r.svc();
    let cookie = operator(&r).await;
    let number = refused_to_accept(&r, Language::Kk, true).await;

    // The case page lists the receipt with its links, in the clerk's language.
    let case = page(s, "GET", &format!("/case/{number}"), Some(&cookie), &[]).await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.html);
    let links = links(&case.html, &number);
    assert_eq!(links.len(), 1, "one document, the receipt: {}", case.html);
    let (view, pdf) = &links[0];
    assert_eq!(pdf, &format!("{view}.pdf"));
    assert!(case.html.contains("Ашу"), "{}", case.html);

    // The print view: the form twice, each copy from a new page, a way back and to the PDF.
    let (status, headers, body) = get(s, view, Auth::Cookie(&cookie)).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(html.contains(r#"<html lang="kk">"#), "{html}");
    assert_eq!(
        html.matches("Құжаттарды қабылдаудан бас тарту туралы қолхат</h1>")
            .count(),
        2,
        "two copies: {html}"
    );
    assert_eq!(html.matches(&format!("№{number}")).count(), 2, "{html}");
    assert!(html.contains("page-break-before: always"), "{html}");
    assert!(html.contains("@page { size: A4"), "{html}");
    assert!(
        html.contains(&format!(r#"<a href="/case/{number}" id="back-to-case">"#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"href="{pdf}" id="document-pdf""#)),
        "{html}"
    );
    assert!(html.contains("Іске оралу"), "the links in Kazakh: {html}");
    assert!(html.contains("2 данада"), "{html}");
    assert!(
        html.contains("Қызметкер op-almaty"),
        "the clerk who refused, by the account's name: {html}"
    );

    // The PDF: every Kazakh letter and the number, each copy the same pages.
    let (status, headers, body) = get(s, pdf, Auth::Cookie(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        format!("inline; filename=\"{number}-receipt.pdf\"").as_str()
    );
    assert!(body.starts_with(b"%PDF-"));
    let text = pages(&body);
    let one = pages(&qyzmet::document::html_to_pdf(&html_of_one_copy(s, &number).await).unwrap());
    assert_eq!(text.len(), 2 * one.len(), "two copies of {one:?}: {text:?}");
    let (first, second) = text.split_at(one.len());
    assert_eq!(first, second, "the copies are the same");
    let all = text.join(" ");
    for letter in ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'і'] {
        assert!(all.contains(letter), "{letter} not in {all}");
    }
    assert!(all.contains(&number), "{all}");
    assert!(all.contains("Шаһар әкімдігінің анықтамасы"), "{all}");
    assert!(
        first[0].contains("Нысан"),
        "each copy starts the form on its page: {first:?}"
    );
    assert!(second[0].contains("Нысан"), "{second:?}");
    // The print view, laid out as a PDF, breaks its pages where the PDF does.
    let printable = Printable {
        number: number.clone(),
        id: DocumentId::parse(view.rsplit('/').next().unwrap()).unwrap(),
        template: "refusal_to_accept_receipt".into(),
        kind: Some("receipt".into()),
        language: Language::Kk,
        copies: 2,
        html: html_of_one_copy(s, &number).await,
    };
    let printed = pages(&qyzmet::document::html_to_pdf(&printable.print_html(None)).unwrap());
    assert_eq!(printed, text, "the print view's pages");

    // Both openings are in the journal: who opened which document of whose case, how.
    let journal = journal(s).await;
    let id = view.rsplit('/').next().unwrap();
    for format in ["html", "pdf"] {
        assert!(
            journal.iter().any(
                |l| l.starts_with(&format!("op-almaty document_opened {number} "))
                    && l.contains(&format!("\"document\":\"{id}\""))
                    && l.contains(&format!("\"format\":\"{format}\""))
            ),
            "{journal:#?}"
        );
    }
}

/// The receipt's HTML as the job recorded it (one copy).
async fn html_of_one_copy(s: &Service, number: &str) -> String {
    let case = s
        .engine
        .store()
        .case_by_number(number)
        .await
        .unwrap()
        .unwrap();
    let jobs = s.engine.store().jobs_of_case(case.id).await.unwrap();
    let receipt = jobs
        .iter()
        .find(|j| matches!(&j.work, qyzmet::runtime::Work::Document { template, .. } if template == "refusal_to_accept_receipt"))
        .expect("the receipt's job");
    let output = s
        .engine
        .store()
        .job_output(&receipt.key)
        .await
        .unwrap()
        .expect("the job is done");
    output["html"]
        .as_str()
        .expect("the job recorded the document's HTML")
        .to_string()
}

#[tokio::test]
async fn the_russian_receipt_opens_through_the_api_as_html_and_pdf() {
    let r = service().await;
    let s = r.svc();
    let token = r
        .token("api-almaty", &["front_office_operator"], "almaty")
        .await;
    let number = refused_to_accept(&r, Language::Ru, true).await;
    let id = document_id(s, &number).await;

    let uri = format!("/cases/{number}/documents/{id}");
    let (status, headers, body) = get(s, &uri, Auth::Bearer(&token)).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains(r#"<html lang="ru">"#), "{html}");
    assert_eq!(
        html.matches("Расписка об отказе в приёме документов</h1>")
            .count(),
        2,
        "{html}"
    );
    assert!(html.contains(MISSING_RU), "{html}");
    assert!(
        !html.contains("back-to-case"),
        "the API gives the document only: {html}"
    );

    for uri in [
        format!("/cases/{number}/documents/{id}?format=pdf"),
        format!("/cases/{number}/documents/{id}.pdf"),
    ] {
        let (status, headers, body) = get(s, &uri, Auth::Bearer(&token)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(
            headers["content-disposition"],
            format!("inline; filename=\"{number}-receipt.pdf\"").as_str()
        );
        let text = pages(&body);
        assert_eq!(text.len() % 2, 0, "two copies: {text:?}");
        let all = text.join(" ");
        assert!(
            all.contains("Расписка об отказе в приёме документов"),
            "{all}"
        );
        assert!(all.contains(&format!("№{number}")), "{all}");
        assert!(all.contains("Справка о реабилитации"), "{all}");
    }

    // A format the endpoint does not make, and ids that are no document of this case.
    let (status, _, _) = get(s, &format!("{uri}?format=docx"), Auth::Bearer(&token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let notice = notice_id(s, &number).await;
    for wrong in ["999-1", "x", notice.as_str()] {
        let (status, _, body) = get(
            s,
            &format!("/cases/{number}/documents/{wrong}"),
            Auth::Bearer(&token),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "not_found", "{wrong}: {body}");
    }
    // The same id on a case that made no document is not this case's receipt.
    let other = r.submit(Language::Ru, false).await;
    let (status, _, _) = get(
        s,
        &format!("/cases/{other}/documents/{id}"),
        Auth::Bearer(&token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The id (`{seq}-{n}`) of the case's first document.
async fn document_id(s: &Service, number: &str) -> String {
    job_id(s, number, |w| {
        matches!(w, qyzmet::runtime::Work::Document { .. })
    })
    .await
}

/// The id a notification job of the case would have, were it a document.
async fn notice_id(s: &Service, number: &str) -> String {
    job_id(s, number, |w| {
        matches!(w, qyzmet::runtime::Work::Notify { .. })
    })
    .await
}

async fn job_id(s: &Service, number: &str, kind: fn(&qyzmet::runtime::Work) -> bool) -> String {
    let case = s
        .engine
        .store()
        .case_by_number(number)
        .await
        .unwrap()
        .unwrap();
    let job = s
        .engine
        .store()
        .jobs_of_case(case.id)
        .await
        .unwrap()
        .into_iter()
        .find(|j| kind(&j.work))
        .expect("a job of the kind");
    job.key
        .strip_prefix(&format!("job:{}:", case.id))
        .unwrap()
        .replace(':', "-")
}

#[tokio::test]
async fn another_regions_clerk_is_refused_the_document_and_the_refusal_is_journalled() {
    let r = service().await;
    let s = r.svc();
    let number = refused_to_accept(&r, Language::Kk, true).await;
    let id = document_id(s, &number).await;
    let astana = clerk(&r, "op-astana", &["front_office_operator"], "astana").await;
    let token = r
        .token("api-astana", &["front_office_operator"], "astana")
        .await;

    let on_page = page(
        s,
        "GET",
        &format!("/case/{number}/documents/{id}.pdf"),
        Some(&astana),
        &[],
    )
    .await;
    assert_eq!(on_page.status, StatusCode::FORBIDDEN);
    assert!(!on_page.html.contains("%PDF"), "{}", on_page.html);
    let (status, _, body) = get(
        s,
        &format!("/cases/{number}/documents/{id}"),
        Auth::Bearer(&token),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "forbidden", "{body}");
    // Nobody signed in: no document either.
    let (status, _, _) = get(
        s,
        &format!("/cases/{number}/documents/{id}"),
        Auth::Cookie(""),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let journal = journal(s).await;
    for who in ["op-astana", "api-astana"] {
        assert!(
            journal
                .iter()
                .any(|l| l.starts_with(&format!("{who} access_denied {number} "))),
            "{journal:#?}"
        );
        assert!(
            !journal
                .iter()
                .any(|l| l.starts_with(&format!("{who} document_opened"))),
            "{journal:#?}"
        );
    }
}

#[tokio::test]
async fn a_document_opened_before_its_job_ran_is_the_document_the_job_issues() {
    for lang in [Language::Kk, Language::Ru] {
        let r = service().await;
        let s = r.svc();
        let cookie = operator(&r).await;
        // Completed, and the receipt's job not yet run: the clerk is a second ahead of it.
        let number = refused_to_accept(&r, lang, false).await;
        let case = page(s, "GET", &format!("/case/{number}"), Some(&cookie), &[]).await;
        let links = links(&case.html, &number);
        assert_eq!(
            links.len(),
            1,
            "the receipt is listed before it ran: {}",
            case.html
        );
        let (view, pdf) = &links[0];
        let (status, _, early) = get(s, view, Auth::Cookie(&cookie)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&early)
        );
        let (status, _, early_pdf) = get(s, pdf, Auth::Cookie(&cookie)).await;
        assert_eq!(status, StatusCode::OK);

        r.drain().await;
        let issued = html_of_one_copy(s, &number).await;
        let (_, _, late) = get(s, view, Auth::Cookie(&cookie)).await;
        assert_eq!(
            String::from_utf8(early).unwrap(),
            String::from_utf8(late).unwrap(),
            "the same document before and after its job ran"
        );
        let (_, _, late_pdf) = get(s, pdf, Auth::Cookie(&cookie)).await;
        assert_eq!(early_pdf, late_pdf, "the same PDF, to the byte");
        let text = pages(&late_pdf).join(" ");
        assert!(text.contains(&number), "{text}");
        assert!(issued.contains(&number), "{issued}");
    }
}

#[tokio::test]
async fn in_chromium_the_receipt_opens_from_the_case_page_and_prints_one_copy_a_page() {
    let r = service().await;
    let s = r.svc();
    let cookie = operator(&r).await;
    let number = refused_to_accept(&r, Language::Kk, true).await;
    let base = crate::browser::serve(s).await;
    let browser = crate::browser::Browser::start().await;
    let shots = crate::browser::shots_dir("qyzmet-printing-shots-");

    browser.goto(&format!("{base}/")).await;
    browser.fill("#login", "op-almaty").await;
    browser.fill("#password", "Qyzmet-clerk-2026").await;
    browser.click("#sign-in").await;
    // Signed in (the queue's link is in the header) before leaving: a `goto` sent while the
    // sign-in's answer is still coming would be overtaken by its redirect to the queue.
    browser.text("#nav-queue").await;
    browser
        .goto(&format!("{base}/case/{number}#documents"))
        .await;
    if let Some(dir) = &shots {
        browser
            .screenshot(dir.join("case-documents-1366.png"))
            .await;
        browser.resize(390, 844).await;
        browser
            .goto(&format!("{base}/case/{number}#documents"))
            .await;
        browser.screenshot(dir.join("case-documents-390.png")).await;
        browser.resize(1366, 900).await;
    }
    browser.click("#documents a.document-open").await;
    assert!(browser.text("#back-to-case").await.contains("Іске оралу"));
    assert!(browser.text("#document-pdf").await.contains("PDF"));
    if let Some(dir) = &shots {
        browser
            .screenshot(dir.join("receipt-print-view-1366.png"))
            .await;
        browser.resize(390, 844).await;
        browser
            .screenshot(dir.join("receipt-print-view-390.png"))
            .await;
        browser.resize(1366, 900).await;
    }

    // What Chromium prints of the view: the form on each of two A4 pages, without the links.
    let a4 = fantoccini::wd::PrintConfiguration::builder()
        .size(fantoccini::wd::PrintSize::A4)
        .build()
        .unwrap();
    let printed = browser.client().print(a4).await.expect("Chromium prints");
    let text = pages(&printed);
    if let Some(dir) = &shots {
        std::fs::write(dir.join("receipt-printed-by-chromium.pdf"), &printed).unwrap();
        let id = document_id(s, &number).await;
        let uri = format!("/case/{number}/documents/{id}.pdf");
        let (_, _, ours) = get(s, &uri, Auth::Cookie(&cookie)).await;
        std::fs::write(dir.join("receipt.pdf"), ours).unwrap();
    }
    assert_eq!(text.len(), 2, "one copy a page: {text:#?}");
    for page in &text {
        // Chromium may break the line at the number's dash.
        assert!(
            page.replace(' ', "").contains(&format!("№{number}")),
            "{page}"
        );
        assert!(
            page.contains("Қабылдадым"),
            "the whole form on the page: {page}"
        );
        assert!(
            !page.contains("Іске оралу"),
            "the links are not printed: {page}"
        );
    }

    // Back to the case, by the link.
    browser.click("#back-to-case").await;
    assert!(
        browser
            .current_url()
            .await
            .ends_with(&format!("/case/{number}"))
    );
}

/// `GET /openapi.json` describes each kind of body this route answers 200 with: the print
/// view and the PDF. It described only `text/html`, so a client (or schemathesis, checking
/// every answer against the document) found the PDF undocumented.
#[tokio::test]
async fn the_openapi_document_describes_the_pdf_as_well_as_the_print_view() {
    let r = service().await;
    let s = r.svc();
    let token = r
        .token("api-almaty", &["front_office_operator"], "almaty")
        .await;
    let number = refused_to_accept(&r, Language::Ru, true).await;
    let id = document_id(s, &number).await;
    let doc = serde_json::to_value(qyzmet::api::openapi()).unwrap();
    let described =
        &doc["paths"]["/cases/{number}/documents/{id}"]["get"]["responses"]["200"]["content"];
    for uri in [
        format!("/cases/{number}/documents/{id}"),
        format!("/cases/{number}/documents/{id}?format=pdf"),
        format!("/cases/{number}/documents/{id}.pdf"),
    ] {
        let (status, headers, _) = get(s, &uri, Auth::Bearer(&token)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let served = headers["content-type"].to_str().unwrap();
        let media = served.split(';').next().unwrap().trim();
        assert!(
            described.get(media).is_some(),
            "{uri} answers {served}, the document describes {described}"
        );
    }
}
