//! Scans of documents uploaded on the clerks' forms (`engine/uploads.rs`,
//! `engine/web/uploads.rs`), and the forms' accessible fields (`engine/web/fields.rs`).
//!
//! What the front office needs (seeds/004 appendix 2, row 10: "originals are shown and
//! returned; scans stay"; DESIGN "where data are missing the clerk scans them"): a scan
//! chosen on the acceptance form is kept with the case, opens from it for the staff of the
//! case's region only, is journalled, and is never half-stored; a wrong file is refused
//! beside its field in the clerk's language; a form that comes back keeps the scan.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use qyzmet::runtime::Language;
use qyzmet::service::Service;

use crate::browser::Browser;
use crate::service::{IIN, Running, audit_cli_on};
use crate::web::{Part, answer, clerk, multipart, page, service};

/// A small PDF, as a scanner's first bytes say.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
/// A PNG's signature and a little more.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
/// A Windows program's first bytes.
const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0program";

/// The raw bytes of a GET.
async fn download(
    service: &Service,
    uri: &str,
    cookie: &str,
) -> (StatusCode, String, String, Vec<u8>) {
    let request = Request::builder()
        .uri(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let response = service.router().oneshot(request).await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (status, ct, cd) = (
        response.status(),
        header("content-type"),
        header("content-disposition"),
    );
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ct, cd, bytes)
}

/// A case waiting at the acceptance, claimed by an Almaty operator: (number, task key, the
/// operator's cookie, the form's CSRF token).
async fn at_acceptance(r: &Running) -> (String, String, String, String) {
    let s = r.svc();
    let number = r.submit(Language::Kk, true).await;
    let key = r.task(&number, "accept_documents").await;
    let operator = clerk(r, "operator1", &["front_office_operator"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let csrf = form.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&operator),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
    (number, key, operator, csrf)
}

/// The acceptance form's text fields, complete but for the scans and what `change` alters.
fn acceptance_text<'a>(csrf: &'a str, change: &[(&'a str, &'a str)]) -> Vec<Part<'a>> {
    let mut fields = vec![
        ("csrf", csrf),
        ("applicant.iin", IIN),
        ("application.kind", "certificate"),
        ("application.by_representative", "false"),
        ("consent.personal_data", "true"),
        ("rehabilitation.document_type", "rehabilitation_certificate"),
        ("rehabilitation.document_number", "17-3/412"),
        ("rehabilitation.document_date", "14.06.1991"),
        ("date:rehabilitation.document_date", "dd.mm.yyyy"),
        ("rehabilitation.issued_by", "Алматы облысының прокуратурасы"),
        ("outcome", "complete"),
    ];
    for (k, v) in change {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = v,
            None => fields.push((k, v)),
        }
    }
    fields.into_iter().map(|(k, v)| Part::Text(k, v)).collect()
}

/// The case's data.
async fn data(r: &Running, number: &str) -> Value {
    let view = r.svc().engine.case(number).await.unwrap().unwrap();
    view.case.scope("")
}

/// A data name's value in the case's data, nested or flat.
fn value<'a>(data: &'a Value, name: &str) -> &'a Value {
    if let Some(v) = data.get(name) {
        return v;
    }
    name.split('.').fold(data, |v, k| &v[k])
}

/// Every stored scan under the data directory (not the part-received ones).
fn stored_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(data_dir.join("uploads")) else {
        return out;
    };
    for d in dirs.flatten() {
        if d.file_name() == "tmp" || !d.path().is_dir() {
            continue;
        }
        out.extend(
            std::fs::read_dir(d.path())
                .unwrap()
                .flatten()
                .map(|f| f.path()),
        );
    }
    out
}

fn partial_files(data_dir: &Path) -> usize {
    std::fs::read_dir(data_dir.join("uploads").join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_scan_uploaded_on_the_acceptance_opens_from_the_case_as_it_was_sent() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, csrf) = at_acceptance(&r).await;

    // The form: a document is a file input of scans, and the form sends files.
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    assert!(
        form.html.contains(r#"enctype="multipart/form-data""#),
        "{}",
        form.html
    );
    assert!(
        form.html
            .contains(r#"<input type="file" id="f-documents-identity" name="documents.identity" accept="application/pdf,image/jpeg,image/png"#),
        "{}",
        form.html
    );

    let mut parts = acceptance_text(&csrf, &[]);
    parts.push(Part::File(
        "documents.identity",
        "C:\\fakepath\\жеке куәлік.pdf",
        PDF,
    ));
    parts.push(Part::File("documents.rehabilitation", "анықтама.png", PNG));
    let done = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    r.drain().await;

    // The case holds each scan as its field's value: its name, and where it opens.
    let data = data(&r, &number).await;
    let identity = value(&data, "documents.identity");
    assert_eq!(identity["name"], "жеке куәлік.pdf", "{data:#}");
    assert_eq!(identity["content_type"], "application/pdf");
    let href = identity["href"].as_str().expect("a link").to_string();
    assert!(
        href.starts_with(&format!("/case/{number}/uploads/")),
        "{href}"
    );
    assert_eq!(value(&data, "rehabilitation.document_date"), "1991-06-14");

    // The case file links it.
    let case = page(s, "GET", &format!("/case/{number}"), Some(&operator), &[]).await;
    assert!(
        case.html.contains(&format!(r#"href="{href}""#)),
        "{}",
        case.html
    );

    // It opens as it was sent, as the type its content says, in the browser.
    let (status, ct, cd, bytes) = download(s, &href, &operator).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    assert!(cd.starts_with("inline; filename*=UTF-8''"), "{cd}");
    assert_eq!(bytes, PDF);
    let png = value(&data, "documents.rehabilitation")["href"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, ct, _, bytes) = download(s, &png, &operator).await;
    assert_eq!(
        (status, ct.as_str(), bytes.as_slice()),
        (StatusCode::OK, "image/png", PNG)
    );

    // Stored under its hash, whole; the journal says who uploaded what to which case.
    assert_eq!(stored_files(&r.data_dir()).len(), 2);
    assert_eq!(partial_files(&r.data_dir()), 0);
    let (code, list, err) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(code, 0, "{err}");
    let uploaded = list
        .lines()
        .filter(|l| l.contains(&format!("operator1 document_uploaded {number}")))
        .count();
    assert_eq!(uploaded, 2, "{list}");
    assert!(
        !list.contains("куәлік.pdf"),
        "no file name in the journal:\n{list}"
    );
    // Each opening of a scan is journalled, as a case's or a document's is.
    let opened = list
        .lines()
        .filter(|l| l.contains(&format!("operator1 scan_opened {number}")))
        .count();
    assert_eq!(opened, 2, "{list}");

    // An administrator of the region may not open it: a scan is the citizen's data, read by
    // the roles that work the service only.
    let admin = clerk(&r, "admin2", &["administrator"], "almaty").await;
    let (status, _, _, bytes) = download(s, &href, &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_ne!(bytes, PDF);

    // A clerk of another region may not open it; nor may anyone a hash the case lacks.
    let astana = clerk(&r, "operator7", &["front_office_operator"], "astana").await;
    let (status, _, _, bytes) = download(s, &href, &astana).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_ne!(bytes, PDF);
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(
        list.contains(&format!("operator7 access_denied {number}")),
        "{list}"
    );
    let other = format!("/case/{number}/uploads/{}", "0".repeat(64));
    assert_eq!(
        download(s, &other, &operator).await.0,
        StatusCode::NOT_FOUND
    );
    let escape = format!("/case/{number}/uploads/..%2F..%2Fqyzmet.db");
    assert_eq!(
        download(s, &escape, &operator).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_program_named_pdf_is_refused_beside_its_field_and_the_case_is_untouched() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, csrf) = at_acceptance(&r).await;
    let mut parts = acceptance_text(&csrf, &[]);
    parts.push(Part::File("documents.identity", "passport.pdf", EXE));
    parts.push(Part::File("documents.rehabilitation", "анықтама.pdf", PDF));
    let refused = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains(
            r#"<div class="error" id="error-f-documents-identity">Бұл файл PDF, JPEG немесе PNG емес"#
        ),
        "{}",
        refused.html
    );
    assert!(
        refused
            .html
            .contains(r#"aria-describedby="hint-f-documents-identity error-f-documents-identity""#),
        "{}",
        refused.html
    );
    // The good scan sent with it is kept for the next try.
    assert!(
        refused
            .html
            .contains(r#"name="kept:documents.rehabilitation""#),
        "{}",
        refused.html
    );
    // Nothing of the program is stored, and the case did not move.
    r.drain().await;
    assert_eq!(r.task(&number, "accept_documents").await, key);
    assert!(value(&data(&r, &number).await, "documents.identity").is_null());
    assert_eq!(partial_files(&r.data_dir()), 0);
    for f in stored_files(&r.data_dir()) {
        assert_eq!(
            std::fs::read(&f).unwrap(),
            PDF,
            "only the good scan: {}",
            f.display()
        );
    }
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(!list.contains("document_uploaded"), "{list}");

    // In Russian too.
    let ru = multipart(s, &format!("/queue/{key}?lang=ru"), &operator, &parts).await;
    assert!(
        ru.html
            .contains("Этот файл не PDF, JPEG или PNG (проверено по содержимому файла)"),
        "{}",
        ru.html
    );
}

#[tokio::test]
async fn a_scan_over_the_limit_is_refused_with_the_limit_and_leaves_nothing() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, csrf) = at_acceptance(&r).await;
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let mut parts = acceptance_text(&csrf, &[]);
    parts.push(Part::File("documents.identity", "big.pdf", &big));
    let refused = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused
            .html
            .contains("Файл тым үлкен: 10 МБ-тан аспауы керек."),
        "{}",
        refused.html
    );
    assert!(stored_files(&r.data_dir()).is_empty());
    assert_eq!(partial_files(&r.data_dir()), 0);
    r.drain().await;
    assert_eq!(r.task(&number, "accept_documents").await, key);
}

#[tokio::test]
async fn an_upload_cut_off_half_way_leaves_no_file_and_no_row() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, csrf) = at_acceptance(&r).await;
    // The body ends in the middle of the file: the connection dropped.
    let boundary = "cut-off";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"documents.identity\"; filename=\"a.pdf\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PDF);
    let request = Request::builder()
        .method("POST")
        .uri(format!("/queue/{key}"))
        .header("cookie", &operator)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let broken = answer(s, request).await;
    assert!(broken.status.is_client_error(), "{}", broken.status);
    assert!(stored_files(&r.data_dir()).is_empty());
    assert_eq!(partial_files(&r.data_dir()), 0);
    r.drain().await;
    assert_eq!(r.task(&number, "accept_documents").await, key);
}

#[tokio::test]
async fn a_mistake_elsewhere_keeps_the_scan_and_the_same_scan_is_one_file() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, csrf) = at_acceptance(&r).await;
    let mut parts = acceptance_text(&csrf, &[("rehabilitation.issued_by", "")]);
    parts.push(Part::File("documents.identity", "скан.pdf", PDF));
    // The same scan for the second document too (a clerk's slip, or one scan of both).
    parts.push(Part::File("documents.rehabilitation", "скан.pdf", PDF));
    let wrong = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.html
    );
    assert!(
        wrong
            .html
            .contains("Файл жүктелді: <strong>скан.pdf</strong>"),
        "{}",
        wrong.html
    );
    let kept =
        regex::Regex::new(r#"name="kept:documents.identity" value="([0-9a-f]{64}):скан.pdf""#)
            .unwrap();
    let sha = kept
        .captures(&wrong.html)
        .unwrap_or_else(|| panic!("{}", wrong.html))[1]
        .to_string();
    // The file input is not `required` while the hidden field keeps the scan.
    assert!(!wrong.html.contains(r#"id="f-documents-identity" name="documents.identity" accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png" required"#));
    assert_eq!(
        stored_files(&r.data_dir()).len(),
        1,
        "one file for one content"
    );

    // Sent again, mended, with no file chosen: the kept scans go with it.
    let kept_value = format!("{sha}:скан.pdf");
    let mut parts = acceptance_text(&csrf, &[]);
    parts.push(Part::Text("kept:documents.identity", &kept_value));
    parts.push(Part::Text("kept:documents.rehabilitation", &kept_value));
    parts.push(Part::File("documents.identity", "", b""));
    let done = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    r.drain().await;
    let data = data(&r, &number).await;
    assert_eq!(value(&data, "documents.identity")["sha256"], sha.as_str());
    assert_eq!(
        value(&data, "documents.rehabilitation")["sha256"],
        sha.as_str()
    );
    assert_eq!(stored_files(&r.data_dir()).len(), 1);
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert_eq!(
        list.matches("document_uploaded").count(),
        2,
        "one per field:\n{list}"
    );

    // A hash made up, kept by a forged form, is refused: it names no stored scan.
    let number2 = r.submit(Language::Kk, true).await;
    let key2 = r.task(&number2, "accept_documents").await;
    page(
        s,
        "POST",
        &format!("/queue/{key2}/claim"),
        Some(&operator),
        &[("csrf", &csrf)],
    )
    .await;
    let made_up = format!("{}:x.pdf", "ab".repeat(32));
    let mut parts = acceptance_text(&csrf, &[]);
    parts.push(Part::Text("kept:documents.identity", &made_up));
    let refused = multipart(s, &format!("/queue/{key2}"), &operator, &parts).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("Бұрын жүктелген файл табылмады"),
        "{}",
        refused.html
    );
}

#[tokio::test]
async fn a_multipart_form_without_its_csrf_token_stores_nothing() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, _) = at_acceptance(&r).await;
    let mut parts = acceptance_text("not-the-token", &[]);
    parts.push(Part::File("documents.identity", "a.pdf", PDF));
    let refused = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    // Refused (the task's page may keep the typed values for the clerk to send again), and
    // no file written: the CSRF check comes before the body's files.
    assert_ne!(refused.status, StatusCode::OK, "{}", refused.html);
    assert!(stored_files(&r.data_dir()).is_empty());
    assert_eq!(partial_files(&r.data_dir()), 0);
    r.drain().await;
    assert_eq!(r.task(&number, "accept_documents").await, key);
    let (_, list, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    assert!(list.contains("operator1 access_denied"), "{list}");
    assert!(!list.contains("document_uploaded"), "{list}");
}

#[tokio::test]
async fn mistakes_are_tied_to_their_inputs_and_required_is_only_where_always() {
    let r = service().await;
    let s = r.svc();
    let (_, key, operator, csrf) = at_acceptance(&r).await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&operator), &[]).await;
    let input = |html: &str, id: &str| -> String {
        let start = html
            .find(&format!(r#"id="{id}""#))
            .unwrap_or_else(|| panic!("no {id}:\n{html}"));
        let open = html[..start].rfind('<').unwrap();
        let end = start + html[start..].find('>').unwrap();
        html[open..=end].to_string()
    };
    // Required for every outcome: `required`.
    assert!(
        input(&form.html, "f-applicant-iin").contains(" required"),
        "{}",
        form.html
    );
    // Required only when the outcome is "complete", or on a condition: in words only.
    for id in [
        "f-documents-identity",
        "f-rehabilitation-issued_by",
        "f-representative-full_name",
        "f-acceptance-missing_documents",
    ] {
        assert!(
            !input(&form.html, id).contains(" required"),
            "{id}: {}",
            input(&form.html, id)
        );
    }
    // A date is typed as dd.mm.yyyy, whatever the browser's locale.
    let date = input(&form.html, "f-rehabilitation-document_date");
    for needed in [
        r#"type="text""#,
        r#"inputmode="numeric""#,
        r#"placeholder="кк.аа.жжжж""#,
        "pattern=",
    ] {
        assert!(date.contains(needed), "{date}");
    }

    // A mistake: the input says it is invalid and names its message.
    let parts = acceptance_text(
        &csrf,
        &[
            ("rehabilitation.issued_by", ""),
            ("rehabilitation.document_date", "31.02.2026"),
        ],
    );
    let wrong = multipart(s, &format!("/queue/{key}"), &operator, &parts).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.html
    );
    let issued = input(&wrong.html, "f-rehabilitation-issued_by");
    assert!(issued.contains(r#"aria-invalid="true""#), "{issued}");
    assert!(
        issued.contains(r#"aria-describedby="error-f-rehabilitation-issued_by""#),
        "{issued}"
    );
    assert!(
        wrong
            .html
            .contains(r#"<div class="error" id="error-f-rehabilitation-issued_by">"#)
    );
    // A wrong date comes back beside its field, in the clerk's language, as typed.
    let date = input(&wrong.html, "f-rehabilitation-document_date");
    assert!(date.contains(r#"aria-invalid="true""#), "{date}");
    assert!(date.contains(r#"value="31.02.2026""#), "{date}");
    assert!(
        wrong.html.contains(
            r#"<div class="error" id="error-f-rehabilitation-document_date">Күн дұрыс емес: кк.аа.жжжж түрінде енгізіңіз, мысалы 05.12.2026.</div>"#
        ),
        "{}",
        wrong.html
    );
    // The inputs without a mistake are not marked.
    assert!(!input(&wrong.html, "f-applicant-iin").contains("aria-invalid"));
}

#[tokio::test]
async fn a_date_typed_as_05_12_2026_is_stored_as_2026_12_05() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, csrf) = at_acceptance(&r).await;
    // A plain form (no files) says the same: the day turned into the ISO date.
    let done = page(
        s,
        "POST",
        &format!("/queue/{key}"),
        Some(&operator),
        &[
            ("csrf", &csrf),
            ("applicant.iin", IIN),
            ("application.kind", "certificate"),
            ("application.by_representative", "false"),
            ("consent.personal_data", "true"),
            ("documents.identity", "identity-card.pdf"),
            ("documents.rehabilitation", "rehabilitation-certificate.pdf"),
            ("rehabilitation.document_type", "rehabilitation_certificate"),
            ("rehabilitation.document_number", "17-3/412"),
            ("rehabilitation.document_date", "05.12.2026"),
            ("date:rehabilitation.document_date", "dd.mm.yyyy"),
            ("rehabilitation.issued_by", "Алматы облысының прокуратурасы"),
            ("outcome", "complete"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    r.drain().await;
    let data = data(&r, &number).await;
    assert_eq!(value(&data, "rehabilitation.document_date"), "2026-12-05");
    // A file's name given as text (as the API gives it) stays text.
    assert_eq!(value(&data, "documents.identity"), "identity-card.pdf");
}

#[tokio::test]
async fn in_chromium_the_operator_attaches_scans_on_the_acceptance_and_opens_one() {
    let r = service().await;
    let s = r.svc();
    let (number, key, operator, _) = at_acceptance(&r).await;
    let base = crate::browser::serve(s).await;
    let scans = tempfile::tempdir().unwrap();
    let identity = scans.path().join("жеке-куәлік.pdf");
    let certificate = scans.path().join("анықтама.png");
    std::fs::write(&identity, PDF).unwrap();
    std::fs::write(&certificate, PNG).unwrap();

    let browser = Browser::start().await;
    // The operator signs in (the password `clerk` set).
    browser.goto(&format!("{base}/")).await;
    browser.fill("#login", "operator1").await;
    browser.fill("#password", "Qyzmet-clerk-2026").await;
    browser.click("#sign-in").await;
    browser.element("#nav-password").await;
    browser.goto(&format!("{base}/queue/{key}")).await;
    let select = |css: &'static str, value: &'static str| {
        let browser = &browser;
        async move {
            browser
                .element(css)
                .await
                .select_by_value(value)
                .await
                .unwrap_or_else(|e| panic!("cannot choose {value} in {css}: {e}"));
        }
    };
    select("#f-application-kind", "certificate").await;
    select("#f-application-by_representative", "false").await;
    select("#f-consent-personal_data", "true").await;
    select(
        "#f-rehabilitation-document_type",
        "rehabilitation_certificate",
    )
    .await;
    browser
        .fill("#f-rehabilitation-document_number", "17-3/412")
        .await;
    // Typed as the clerk reads dates, whatever Chromium's locale.
    browser
        .fill("#f-rehabilitation-document_date", "14.06.1991")
        .await;
    // Leave one required field empty: the form comes back, and the scans stay.
    browser
        .element("#f-documents-identity")
        .await
        .send_keys(identity.to_str().unwrap())
        .await
        .unwrap();
    browser
        .element("#f-documents-rehabilitation")
        .await
        .send_keys(certificate.to_str().unwrap())
        .await
        .unwrap();
    browser.click("#outcome-complete").await;
    let kept = browser.text("#uploaded-f-documents-identity").await;
    assert!(kept.contains("жеке-куәлік.pdf"), "{kept}");
    if std::env::var_os("QYZMET_SCREENSHOTS").is_some() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("uploads");
        let field = browser.element("#field-f-documents-identity").await;
        let show = || async {
            browser
                .client()
                .execute(
                    "arguments[0].scrollIntoView()",
                    vec![serde_json::to_value(&field).unwrap()],
                )
                .await
                .unwrap();
        };
        browser.resize(1366, 900).await;
        show().await;
        browser.screenshot(dir.join("kept-1366.png")).await;
        browser.resize(390, 844).await;
        show().await;
        browser.screenshot(dir.join("kept-390.png")).await;
        browser.resize(1366, 900).await;
    }
    browser
        .fill(
            "#f-rehabilitation-issued_by",
            "Алматы облысының прокуратурасы",
        )
        .await;
    browser.click("#outcome-complete").await;
    // The finished task's page: the case moved on with the scans.
    browser.text("#done-title").await;
    r.drain().await;
    let data = data(&r, &number).await;
    assert_eq!(value(&data, "rehabilitation.document_date"), "1991-06-14");
    let href = value(&data, "documents.identity")["href"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, ct, _, bytes) = download(s, &href, &operator).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(bytes, PDF);
    assert_eq!(
        value(&data, "documents.rehabilitation")["name"],
        "анықтама.png"
    );
}

#[tokio::test]
async fn the_desk_files_an_application_sent_as_multipart_with_its_dates_day_first() {
    // The filing page's form is multipart too (a service's application may take a scan):
    // the CSRF check, the fields and the day-first dates read as from a plain form.
    let r = service().await;
    let s = r.svc();
    let operator = clerk(&r, "operator1", &["front_office_operator"], "almaty").await;
    let uri = "/apply/repression-victims-compensation";
    let form = page(s, "GET", uri, Some(&operator), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(
        form.html.contains(r#"enctype="multipart/form-data""#),
        "{}",
        form.html
    );
    let csrf = form.csrf();
    let filed = multipart(
        s,
        uri,
        &operator,
        &[
            Part::Text("csrf", &csrf),
            Part::Text("applicant.iin", IIN),
            Part::Text("applicant.birth_date", "15.03.1952"),
            Part::Text("date:applicant.birth_date", "dd.mm.yyyy"),
        ],
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    r.drain().await;
    let tasks = s.engine.store().tasks(None, None, None).await.unwrap();
    let number = &tasks.first().expect("a case was opened").number;
    assert_eq!(
        value(&data(&r, number).await, "applicant.birth_date"),
        "1952-03-15"
    );
}

/// The reconciliation's list of pension recipients (seeds/001, ENPF rules item 16) is a
/// document field with `format: csv`: its task page takes the `.csv` the State Corporation's
/// specialist saved from the spreadsheet, refuses a scan there beside the field, in kk and
/// ru, and the wave the step starts reads the list attached and opens a proactive case for
/// the person on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciliation_takes_its_list_as_a_csv_and_refuses_a_scan_there() {
    use qyzmet::runtime::Submission;
    let r = service().await;
    let s = r.svc();
    let number = s
        .engine
        .submit(
            "enpf-reconciliation",
            Submission {
                data: serde_json::json!({}),
                channel: "proactive".into(),
                language: Language::Kk,
                sms_consent: false,
                region: "almaty".into(),
            },
        )
        .await
        .unwrap();
    r.drain().await;
    let key = r.task(&number, "reconcile").await;
    let specialist = clerk(&r, "sc1", &["state_corporation_specialist"], "almaty").await;
    let form = page(s, "GET", &format!("/queue/{key}"), Some(&specialist), &[]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    // The page asks for a list, not a scan, and the browser's picker offers `.csv`.
    assert!(
        form.html.contains("Тізім: UTF-8 мәтіні бар .csv файлы"),
        "{}",
        form.html
    );
    assert!(
        form.html.contains(r#"accept="text/csv,.csv""#),
        "{}",
        form.html
    );
    let csrf = form.csrf();
    let claimed = page(
        s,
        "POST",
        &format!("/queue/{key}/claim"),
        Some(&specialist),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
    // A scan where the list goes: refused beside the field, and the case does not move.
    let mut parts = vec![
        Part::Text("csrf", &csrf),
        Part::Text("reconciliation.recipients_count", "1"),
        Part::Text("outcome", "reconciled"),
        Part::File("reconciliation.recipients_list", "тізім.pdf", PDF),
    ];
    let refused = multipart(s, &format!("/queue/{key}"), &specialist, &parts).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused
            .html
            .contains("Бұл өріске тізім керек: UTF-8 мәтіні бар .csv файлы"),
        "{}",
        refused.html
    );
    let ru = multipart(s, &format!("/queue/{key}?lang=ru"), &specialist, &parts).await;
    assert!(
        ru.html
            .contains("В это поле нужен список: файл .csv с текстом в UTF-8"),
        "{}",
        ru.html
    );
    // A program named `.csv` is not a list either.
    parts.pop();
    parts.push(Part::File(
        "reconciliation.recipients_list",
        "тізім.csv",
        EXE,
    ));
    let program = multipart(s, &format!("/queue/{key}"), &specialist, &parts).await;
    assert_eq!(
        program.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        program.html
    );
    assert!(
        program.html.contains("Бұл өріске тізім керек"),
        "{}",
        program.html
    );
    r.drain().await;
    assert_eq!(r.task(&number, "reconcile").await, key);

    // The list, as a spreadsheet saves it (a byte-order mark, `;`, CRLF).
    let list = format!("\u{feff}iin;phone\r\n{IIN};+77011230201\r\n");
    parts.pop();
    parts.push(Part::File(
        "reconciliation.recipients_list",
        "тізім.csv",
        list.as_bytes(),
    ));
    let done = multipart(s, &format!("/queue/{key}"), &specialist, &parts).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    r.drain().await;
    let kept = data(&r, &number).await;
    assert_eq!(
        value(&kept, "reconciliation.recipients_list")["content_type"],
        "text/csv"
    );
    let finished = qyzmet::wave::run_pending(
        &s.engine,
        Some(&s.uploads),
        &tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(finished, 1);
    let waves = qyzmet::wave::of_case(&s.engine, &number).await.unwrap();
    assert_eq!(
        (
            waves[0].total,
            waves[0].counts.opened,
            waves[0].error.clone()
        ),
        (1, 1, None)
    );
}
