//! The clerk's workplace, end to end (the issue's "Done when"): a new clerk takes a citizen
//! from the desk to the handed-over result on the pages alone — for the certificate
//! (workflows/rehabilitated-person-certificate, in Kazakh) and the compensation
//! (workflows/repression-victims-compensation, in Russian).
//!
//! Every action is a form of a page, posted as Chromium posts it: the form's own inputs as the
//! page rendered them (hidden ones too), what the clerk typed or chose over them, the button
//! pressed, scans as files. The engine's jobs and the gateway simulator run between the
//! clerks' actions (`drain`): that is time passing, not a clerk's action. What is asserted is
//! what the clerk sees on the page, in the clerk's language.
//!
//! The roles are the catalog's (workflows/catalog.yaml): front_office_operator,
//! provider_specialist, head_of_department. The steps are the definitions' happy paths:
//! seeds/004 item 3 and appendix 2 rows 5-10 (the certificate), appendix 4 (the compensation's
//! application, with its bank account).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use regex::Regex;
use tower::ServiceExt;

use qyzmet::web::text::{self, Lang};

use crate::service::{IIN, Running, audit_cli_on};
use crate::web::{self, Answer, clerk, page, service};

/// Ермекова Алия Сабитқызы in the gateway simulator: born 04.04.1955, refused by the
/// provider's register on 02.10.2024 (engine/gateway/sim.rs `people`).
const ERMEKOVA: &str = "550404400195";

/// A small PDF, as a scanner's first bytes say.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
/// A PNG's signature and a little more.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

/// What the clerk does to one input: types a text (or chooses an option), or picks a file.
enum Put<'a> {
    Text(&'a str),
    File(&'a str, &'a [u8]),
}

use Put::{File, Text};

/// A clerk at a browser: the session cookie with the language chosen.
struct Clerk<'r> {
    r: &'r Running,
    cookie: String,
    lang: Lang,
}

impl<'r> Clerk<'r> {
    /// An account made as an administrator makes it, signed in, its pages in `lang`.
    async fn new(r: &'r Running, login: &str, role: &str, lang: Lang) -> Clerk<'r> {
        let session = clerk(r, login, &[role], "almaty").await;
        let cookie = format!("{session}; lang={}", lang.code());
        Clerk { r, cookie, lang }
    }

    /// A word of the pages' text tables, in the clerk's language.
    fn t(&self, key: &str) -> String {
        text::get(self.lang, key)
            .unwrap_or_else(|| panic!("no text {key}"))
            .to_string()
    }

    /// Opens a page (following no redirect): the answer.
    async fn get(&self, uri: &str) -> Answer {
        page(self.r.svc(), "GET", uri, Some(&self.cookie), &[]).await
    }

    /// Opens a page that must open.
    async fn open(&self, uri: &str) -> Answer {
        let answer = self.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}:\n{}", answer.html);
        answer
    }

    /// Presses the button `button` (`name=value`, or `None` for a plain submit) of the form
    /// `form_id` on `on` (the page's HTML, opened at `uri`), after putting `puts` in its
    /// inputs: the form goes as the browser sends it, multipart, every input as the page
    /// rendered it unless the clerk changed it. The button's `formaction` is followed.
    async fn press(
        &self,
        on: &Answer,
        form_id: &str,
        button: Option<(&str, &str)>,
        puts: &[(&str, Put<'_>)],
    ) -> Answer {
        let form = form_html(&on.html, form_id);
        let action = {
            let open = &form[..form.find('>').unwrap()];
            decode(&attr(open, "action").expect("the form has an action"))
        };
        let action = match button {
            Some((name, value)) => button_formaction(form, name, value).unwrap_or(action),
            None => action,
        };
        let mut fields = form_values(form);
        let mut files: Vec<(String, String, Vec<u8>)> = Vec::new();
        for (name, put) in puts {
            match put {
                Text(value) => match fields.iter_mut().find(|(n, _)| n == name) {
                    Some(field) => field.1 = value.to_string(),
                    None => panic!(
                        "the form {form_id} has no input {name} for the clerk to fill:\n{form}"
                    ),
                },
                File(file, bytes) => {
                    assert!(
                        form.contains(&format!(r#"type="file" id="f-{}""#, name.replace('.', "-"))),
                        "the form {form_id} has no file input {name}:\n{form}"
                    );
                    files.push((name.to_string(), file.to_string(), bytes.to_vec()));
                }
            }
        }
        if let Some((name, value)) = button {
            fields.push((name.to_string(), value.to_string()));
        }
        self.multipart(&action, &fields, &files).await
    }

    async fn multipart(
        &self,
        uri: &str,
        fields: &[(String, String)],
        files: &[(String, String, Vec<u8>)],
    ) -> Answer {
        let parts: Vec<web::Part<'_>> = fields
            .iter()
            .map(|(name, value)| web::Part::Text(name, value))
            .chain(
                files
                    .iter()
                    .map(|(name, file, bytes)| web::Part::File(name, file, bytes)),
            )
            .collect();
        web::multipart(self.r.svc(), uri, &self.cookie, &parts).await
    }

    /// Follows a redirect the browser follows: the page it leads to.
    async fn follow(&self, answer: &Answer, what: &str) -> (String, Answer) {
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{what}: no redirect:\n{}",
            answer.html
        );
        let to = answer.location.clone().expect("a location");
        let next = self.open(&to).await;
        (to, next)
    }

    /// The raw answer of a link: status, content type, bytes.
    async fn download(&self, uri: &str) -> (StatusCode, String, Vec<u8>) {
        let request = Request::builder()
            .uri(uri)
            .header("cookie", &self.cookie)
            .body(Body::empty())
            .unwrap();
        let response = self.r.svc().router().oneshot(request).await.unwrap();
        let status = response.status();
        let ct = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, ct, bytes)
    }

    /// The clerk's queue: the key of case `number`'s task in it (the row's "open" link).
    async fn task_in_queue(&self, number: &str) -> String {
        let queue = self.open("/queue").await;
        let re = Regex::new(&format!(
            r#"(?s)<tr class="task[^"]*" data-key="([^"]+)" data-number="{}".*?<a href="/queue/([^"]+)" class="open">"#,
            regex::escape(number)
        ))
        .unwrap();
        let c = re.captures(&queue.html).unwrap_or_else(|| {
            panic!(
                "{number} is not in the queue of the clerk (or has no link to open):\n{}",
                queue.html
            )
        });
        assert_eq!(decode(&c[2]), c[1], "the row opens its own task");
        c[1].to_string()
    }

    /// Opens the task, presses "Claim" with what is typed, and comes back to the form: the
    /// form, claimed, with the outcomes to press.
    async fn claim(&self, key: &str, puts: &[(&str, Put<'_>)]) -> Answer {
        let form = self.open(&format!("/queue/{key}")).await;
        assert!(
            form.html.contains(r#"id="claim""#),
            "the task {key} offers no claim:\n{}",
            form.html
        );
        let claimed = self
            .press(&form, "task-form", Some(("then", "form")), puts)
            .await;
        let (_, back) = self.follow(&claimed, "the claim").await;
        assert!(
            back.html.contains(r#"id="outcome-"#) || back.html.contains(r#"name="outcome""#),
            "the claimed task offers no outcome:\n{}",
            back.html
        );
        back
    }

    /// Presses outcome `outcome` on the claimed form `form` of task `key` with `puts`; for an
    /// outcome that asks first, answers "yes". Lands on the done page: its HTML.
    async fn complete(
        &self,
        key: &str,
        form: &Answer,
        outcome: &str,
        puts: &[(&str, Put<'_>)],
    ) -> Answer {
        assert!(
            form.html.contains(&format!(r#"id="outcome-{outcome}""#)),
            "no button for outcome {outcome}:\n{}",
            form.html
        );
        let sent = self
            .press(form, "task-form", Some(("outcome", outcome)), puts)
            .await;
        let sent = if sent.status == StatusCode::OK && sent.html.contains(r#"id="confirm-yes""#) {
            self.press(&sent, "confirm-form", Some(("confirm", "yes")), &[])
                .await
        } else {
            sent
        };
        let (to, done) = self.follow(&sent, &format!("outcome {outcome}")).await;
        assert_eq!(to, format!("/queue/{key}/done"));
        done
    }
}

/// The HTML of the form with `id` (up to its `</form>`).
pub(crate) fn form_html<'h>(html: &'h str, id: &str) -> &'h str {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no form #{id} on the page:\n{html}"));
    let start = html[..at].rfind("<form").unwrap();
    let end = html[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The value of attribute `name` in a tag's text.
pub(crate) fn attr(tag: &str, name: &str) -> Option<String> {
    Regex::new(&format!(r#"\s{name}="([^"]*)""#))
        .unwrap()
        .captures(tag)
        .map(|c| c[1].to_string())
}

/// Handlebars' escapes, undone as the browser undoes them.
pub(crate) fn decode(s: &str) -> String {
    s.replace("&#x3D;", "=")
        .replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&#x60;", "`")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `formaction` of the button `name=value` of a form, if it has one.
pub(crate) fn button_formaction(form: &str, name: &str, value: &str) -> Option<String> {
    Regex::new(r"<button\b[^>]*>")
        .unwrap()
        .find_iter(form)
        .map(|m| m.as_str())
        .find(|b| {
            attr(b, "name").as_deref() == Some(name) && attr(b, "value").as_deref() == Some(value)
        })
        .and_then(|b| attr(b, "formaction"))
        .map(|a| decode(&a))
}

/// What the browser sends of a form's inputs as rendered (files and buttons aside): text and
/// hidden inputs, checked boxes, each select's chosen option, each textarea's text.
pub(crate) fn form_values(form: &str) -> Vec<(String, String)> {
    let mut out: Vec<(usize, String, String)> = Vec::new();
    for m in Regex::new(r"<input\b[^>]*>").unwrap().find_iter(form) {
        let tag = m.as_str();
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
        if matches!(
            kind.as_str(),
            "file" | "submit" | "button" | "image" | "reset"
        ) {
            continue;
        }
        if matches!(kind.as_str(), "checkbox" | "radio") && !tag.contains(" checked") {
            continue;
        }
        let value = attr(tag, "value").unwrap_or_else(|| {
            if kind == "checkbox" {
                "on".into()
            } else {
                String::new()
            }
        });
        out.push((m.start(), decode(&name), decode(&value)));
    }
    let option = Regex::new(r#"<option value="([^"]*)"( selected)?"#).unwrap();
    for c in Regex::new(r#"(?s)<select\b([^>]*)>(.*?)</select>"#)
        .unwrap()
        .captures_iter(form)
    {
        let Some(name) = attr(&c[1], "name") else {
            continue;
        };
        let options: Vec<_> = option.captures_iter(&c[2]).collect();
        let chosen = options
            .iter()
            .find(|o| o.get(2).is_some())
            .or(options.first())
            .map(|o| decode(&o[1]))
            .unwrap_or_default();
        out.push((c.get(0).unwrap().start(), decode(&name), chosen));
    }
    for c in Regex::new(r#"(?s)<textarea\b([^>]*)>(.*?)</textarea>"#)
        .unwrap()
        .captures_iter(form)
    {
        if let Some(name) = attr(&c[1], "name") {
            out.push((c.get(0).unwrap().start(), decode(&name), decode(&c[2])));
        }
    }
    out.sort_by_key(|(at, _, _)| *at);
    out.into_iter().map(|(_, n, v)| (n, v)).collect()
}

/// The text of the element with `id`, tags stripped and spaces folded.
pub(crate) fn text_of(html: &str, id: &str) -> String {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} on the page:\n{html}"));
    let open = html[start..].find('>').unwrap() + start + 1;
    let tag = html[..start].rfind('<').unwrap();
    let name: String = html[tag + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let close = html[open..]
        .find(&format!("</{name}>"))
        .map_or(html.len(), |e| open + e);
    let stripped = Regex::new(r"<[^>]+>")
        .unwrap()
        .replace_all(&html[open..close], " ");
    decode(&stripped.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The value an input of a page shows, by its id (`f-applicant-last_name`).
fn input_value(html: &str, id: &str) -> String {
    let tag = Regex::new(&format!(r#"<(input|textarea)\b[^>]*id="{id}"[^>]*>"#))
        .unwrap()
        .find(html)
        .unwrap_or_else(|| panic!("no input #{id}:\n{html}"))
        .as_str()
        .to_string();
    if tag.starts_with("<textarea") {
        let at = html.find(&tag).unwrap() + tag.len();
        decode(&html[at..at + html[at..].find("</textarea>").unwrap()])
    } else {
        decode(&attr(&tag, "value").unwrap_or_default())
    }
}

/// The case a page names (the done page's and the task page's link to it).
fn case_number(html: &str) -> String {
    Regex::new(r#"<a href="/case/([^"/]+)" id="case-link">"#)
        .unwrap()
        .captures(html)
        .unwrap_or_else(|| panic!("no link to the case:\n{html}"))[1]
        .to_string()
}

/// The rows of a page's documents table: (title, print view, PDF) of each that opens.
fn documents(html: &str) -> Vec<(String, String, String)> {
    let row = Regex::new(r#"(?s)<tr id="document-[^"]+">(.*?)</tr>"#).unwrap();
    let title = Regex::new(r#"(?s)<td[^>]*>\s*<(?:a href="[^"]*"|span)>([^<]*)<"#).unwrap();
    let open = Regex::new(r#"<a href="([^"]+)" class="document-open">"#).unwrap();
    let pdf = Regex::new(r#"<a href="([^"]+)" class="document-pdf">"#).unwrap();
    row.captures_iter(html)
        .filter_map(|c| {
            let cells = &c[1];
            Some((
                decode(&title.captures(cells)?[1]),
                decode(&open.captures(cells)?[1]),
                decode(&pdf.captures(cells)?[1]),
            ))
        })
        .collect()
}

/// The text of a PDF, as a reader extracts it.
fn pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem_by_pages(pdf)
        .expect("the PDF reads")
        .join("\n")
}

/// The done page names where the case went: each next task's step (and the role) in
/// `#done-tasks`; the page refreshes itself while the engine still works, so it is read
/// again once the engine ran.
async fn done_again(clerk: &Clerk<'_>, key: &str) -> Answer {
    clerk.r.drain().await;
    let done = clerk.open(&format!("/queue/{key}/done")).await;
    assert!(
        !done.html.contains(r#"id="done-moving""#),
        "the case still moves after the engine ran:\n{}",
        done.html
    );
    done
}

/// Asserts the done page says the task was done with `outcome` and passed the case on to
/// `next` (a step's title in the clerk's language); the outcome as the pages name it.
fn passed_on(clerk: &Clerk<'_>, done: &Answer, outcome: &str, next: &str) {
    assert_eq!(
        text_of(&done.html, "done-outcome"),
        clerk.t(&format!("outcome_{outcome}")),
        "{}",
        done.html
    );
    let next_part = text_of(&done.html, "next");
    assert!(
        next_part.contains(&clerk.t("task_done_passed")),
        "the done page does not say the case was passed on: {next_part}"
    );
    let tasks = text_of(&done.html, "done-tasks");
    assert!(
        tasks.contains(next),
        "the done page does not name the next step «{next}»: {tasks}"
    );
}

#[tokio::test]
async fn a_new_clerk_takes_a_citizen_from_the_desk_to_the_issued_certificate_in_kazakh() {
    let r = service().await;
    let lang = Lang::Kk;
    let operator = Clerk::new(&r, "desk-kk", "front_office_operator", lang).await;

    // ── The desk: the queue offers the service; the IIN typed, "Fill from GBD FL". ──
    let queue = operator.open("/queue").await;
    let apply = "/apply/rehabilitated-person-certificate";
    assert!(
        queue.html.contains(&format!(
            r#"<a href="{apply}" class="apply-link">Ақталған адамға куәлік беру</a>"#
        )),
        "the queue offers no filing of the certificate:\n{}",
        queue.html
    );
    let form = operator.open(apply).await;
    let filled = operator
        .press(
            &form,
            "apply-form",
            Some(("action", "prefill")),
            &[("applicant.iin", Text(ERMEKOVA))],
        )
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.html);
    assert!(filled.html.contains(r#"id="prefilled""#), "{}", filled.html);
    assert_eq!(
        input_value(&filled.html, "f-applicant-last_name"),
        "Ермекова"
    );
    assert_eq!(input_value(&filled.html, "f-applicant-first_name"), "Алия");
    assert_eq!(
        input_value(&filled.html, "f-applicant-middle_name"),
        "Сабитқызы"
    );
    assert!(
        input_value(&filled.html, "f-applicant-address").contains("ул. Сатпаева, 90"),
        "{}",
        filled.html
    );

    // Filed with what GBD FL gave and what the citizen says: the acceptance opens.
    let filed = operator
        .press(
            &filled,
            "apply-form",
            Some(("action", "file")),
            &[
                ("application.kind", Text("certificate")),
                ("application.by_representative", Text("false")),
                ("applicant.phone", Text("+7 701 555 44 33")),
                // The citizen's language, which her documents are written in.
                ("language", Text("kk")),
            ],
        )
        .await;
    let (to, acceptance) = operator.follow(&filed, "filing at the desk").await;
    let key = to
        .strip_prefix("/queue/")
        .unwrap_or_else(|| panic!("filing led to {to}, not to the acceptance"))
        .to_string();
    let number = case_number(&acceptance.html);
    assert!(
        acceptance.html.contains("Құжаттарды қабылдау"),
        "the acceptance's title in Kazakh:\n{}",
        acceptance.html
    );
    assert_eq!(input_value(&acceptance.html, "f-applicant-iin"), ERMEKOVA);

    // ── The acceptance: claimed (what was typed kept), completed with the scans. ──
    let claimed = operator
        .claim(
            &key,
            &[("rehabilitation.document_number", Text("17-3/412"))],
        )
        .await;
    assert_eq!(
        input_value(&claimed.html, "f-rehabilitation-document_number"),
        "17-3/412",
        "the claim kept what was typed"
    );
    let done = operator
        .complete(
            &key,
            &claimed,
            "complete",
            &[
                ("consent.personal_data", Text("true")),
                (
                    "rehabilitation.document_type",
                    Text("rehabilitation_certificate"),
                ),
                ("rehabilitation.document_date", Text("14.06.1991")),
                (
                    "rehabilitation.issued_by",
                    Text("Алматы облысының прокуратурасы"),
                ),
                ("documents.identity", File("жеке куәлік.pdf", PDF)),
                ("documents.rehabilitation", File("анықтама.png", PNG)),
            ],
        )
        .await;
    assert!(done.html.contains(&number), "{}", done.html);
    let done = done_again(&operator, &key).await;
    passed_on(
        &operator,
        &done,
        "complete",
        "Құжаттарды қарау: куәлік беру немесе бас тарту",
    );
    // The receipt leads, ready to print; its PDF has her number and Kazakh letters.
    assert!(
        done.html.contains(r#"id="print-receipt""#),
        "no receipt on the done page:\n{}",
        done.html
    );
    let print = Regex::new(r#"<a href="([^"]+)" id="print-receipt">"#)
        .unwrap()
        .captures(&done.html)
        .unwrap()[1]
        .to_string();
    let (status, ct, pdf) = operator.download(&decode(&print)).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    let receipt = pdf_text(&pdf);
    assert!(receipt.contains(&number), "{receipt}");
    assert!(
        receipt.chars().any(|c| "әғқңөұүһі".contains(c)),
        "the receipt is in Kazakh: {receipt}"
    );

    // ── The specialist: the case in the queue and found by IIN; the review shows the
    //    GBD FL answer and the register's earlier refusal; approved. ──
    let specialist = Clerk::new(&r, "spec-kk", "provider_specialist", lang).await;
    let review = specialist.task_in_queue(&number).await;
    let found = specialist.open(&format!("/search?q={ERMEKOVA}")).await;
    assert!(
        found
            .html
            .contains(&format!(r#"<tr class="found" data-number="{number}">"#)),
        "the search by IIN does not find the case:\n{}",
        found.html
    );
    let form = specialist.open(&format!("/queue/{review}")).await;
    let answers = text_of(&form.html, "cf-answers");
    for seen in ["Ермекова", "04.04.1955", "02.10.2024"] {
        assert!(
            answers.contains(seen),
            "the review's case file lacks {seen}: {answers}"
        );
    }
    // The scans the operator uploaded are in the case file, and open as they were sent.
    let scan = Regex::new(&format!(
        r#"<a href="(/case/{}/uploads/[0-9a-f]+)">жеке куәлік\.pdf</a>"#,
        regex::escape(&number)
    ))
    .unwrap()
    .captures(&form.html)
    .unwrap_or_else(|| panic!("the identity scan is not in the case file:\n{}", form.html))[1]
        .to_string();
    let (status, ct, bytes) = specialist.download(&scan).await;
    assert_eq!(
        (status, ct.as_str(), bytes.as_slice()),
        (StatusCode::OK, "application/pdf", PDF)
    );
    let claimed = specialist.claim(&review, &[]).await;
    let done = specialist
        .complete(
            &review,
            &claimed,
            "approve",
            &[(
                "review.notes",
                Text("Тізілімдегі бас тарту 2024 жылғы, жаңа анықтама ұсынылды"),
            )],
        )
        .await;
    let _ = done;
    let done = done_again(&specialist, &review).await;
    passed_on(&specialist, &done, "approve", "Куәлікке қол қою");

    // ── The head of department: sees whose certificate, signs it with the blank's number. ──
    let head = Clerk::new(&r, "head-kk", "head_of_department", lang).await;
    let sign = head.task_in_queue(&number).await;
    let form = head.open(&format!("/queue/{sign}")).await;
    assert!(
        text_of(&form.html, "case-file").contains("Ермекова"),
        "the head does not see whose certificate:\n{}",
        form.html
    );
    let claimed = head.claim(&sign, &[]).await;
    head.complete(
        &sign,
        &claimed,
        "signed",
        &[("certificate.number", Text("АК-000417"))],
    )
    .await;
    let done = done_again(&head, &sign).await;
    passed_on(
        &head,
        &done,
        "signed",
        "Куәлікті Мемлекеттік корпорацияға жеткізу",
    );

    // ── The specialist prints the certificate (from the task, through its case) and
    //    delivers it to the State Corporation. ──
    let deliver = specialist.task_in_queue(&number).await;
    let form = specialist.open(&format!("/queue/{deliver}")).await;
    let case = specialist
        .open(&format!("/case/{}", case_number(&form.html)))
        .await;
    let docs = documents(&case.html);
    let certificate = docs
        .iter()
        .find(|(title, _, _)| title.to_lowercase().contains("куәлі"))
        .unwrap_or_else(|| panic!("the certificate to deliver is not on the case page: {docs:?}"));
    let (status, ct, pdf) = specialist.download(&certificate.2).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    let printed = pdf_text(&pdf);
    assert!(printed.contains("АК-000417"), "{printed}");
    assert!(printed.contains("Ермекова"), "{printed}");
    let claimed = specialist.claim(&deliver, &[]).await;
    specialist
        .complete(&deliver, &claimed, "delivered", &[])
        .await;
    let done = done_again(&specialist, &deliver).await;
    passed_on(
        &specialist,
        &done,
        "delivered",
        "Куәлікті көрсетілетін қызметті алушыға беру",
    );

    // ── The operator hands it over: the case is completed, the certificate opens. ──
    let hand = operator.task_in_queue(&number).await;
    let form = operator.open(&format!("/queue/{hand}")).await;
    let file = text_of(&form.html, "case-file");
    assert!(
        file.contains("Ермекова") && file.contains("Алия"),
        "the operator handing over does not see whom to hand it to: {file}"
    );
    let claimed = operator.claim(&hand, &[]).await;
    operator
        .complete(
            &hand,
            &claimed,
            "handed_over",
            &[("handover.recipient", Text("Ермекова Алия Сабитқызы (өзі)"))],
        )
        .await;
    let done = done_again(&operator, &hand).await;
    assert!(
        done.html.contains(r#"id="done-closed""#),
        "the done page does not say the case closed:\n{}",
        done.html
    );
    let case = operator.open(&format!("/case/{number}")).await;
    assert_eq!(
        text_of(&case.html, "case-status"),
        format!(
            "{}: {}",
            operator.t("status_completed"),
            operator.t("result_issued")
        )
    );
    let docs = documents(&case.html);
    let certificate = docs
        .iter()
        .find(|(title, _, _)| title.to_lowercase().contains("куәлі"))
        .unwrap_or_else(|| panic!("no certificate among the case's documents: {docs:?}"));
    let view = operator.open(&certificate.1).await;
    assert!(view.html.contains("АК-000417"), "{}", view.html);
    assert!(view.html.contains("Ермекова"), "{}", view.html);
    let (status, ct, pdf) = operator.download(&certificate.2).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf_text(&pdf).contains("АК-000417"));

    // Each opening of the case file is journalled, the IIN never.
    let (_, journal, _) = audit_cli_on(&["list"], &r.data_dir(), r.database.as_ref());
    for who in ["desk-kk", "spec-kk", "head-kk"] {
        assert!(
            journal.contains(&format!("{who} case_file_opened {number}")),
            "{who} opened the case file unjournalled:\n{journal}"
        );
    }
    assert!(
        journal.contains("spec-kk cases_searched"),
        "the search unjournalled:\n{journal}"
    );
    assert!(!journal.contains(ERMEKOVA), "{journal}");
}

#[tokio::test]
async fn a_new_clerk_takes_a_citizen_from_the_desk_to_the_assigned_compensation_in_russian() {
    let r = service().await;
    let lang = Lang::Ru;
    let operator = Clerk::new(&r, "desk-ru", "front_office_operator", lang).await;

    // ── The desk. ──
    let apply = "/apply/repression-victims-compensation";
    let queue = operator.open("/queue").await;
    assert!(
        queue
            .html
            .contains(&format!(r#"<a href="{apply}" class="apply-link">"#)),
        "the queue offers no filing of the compensation:\n{}",
        queue.html
    );
    let form = operator.open(apply).await;
    let filled = operator
        .press(
            &form,
            "apply-form",
            Some(("action", "prefill")),
            &[("applicant.iin", Text(IIN))],
        )
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.html);
    assert_eq!(
        input_value(&filled.html, "f-applicant-last_name"),
        "Абенова"
    );
    assert_eq!(
        input_value(&filled.html, "f-identity-document_number"),
        "041234567"
    );
    let filed = operator
        .press(
            &filled,
            "apply-form",
            Some(("action", "file")),
            &[
                ("bank.account_number", Text("KZ86125KZT5004100100")),
                ("benefit.kind", Text("pension")),
                ("earlier_compensation.received", Text("false")),
                ("rehabilitation.certificate_number", Text("12/1990")),
                ("rehabilitation.certificate_date", Text("20.11.1990")),
                ("applicant.phone", Text("+7 701 123 45 67")),
                ("language", Text("ru")),
            ],
        )
        .await;
    let (to, acceptance) = operator.follow(&filed, "filing at the desk").await;
    let key = to
        .strip_prefix("/queue/")
        .unwrap_or_else(|| panic!("filing led to {to}, not to the acceptance"))
        .to_string();
    let number = case_number(&acceptance.html);
    assert!(
        acceptance.html.contains("Приём заявления"),
        "{}",
        acceptance.html
    );
    assert_eq!(
        input_value(&acceptance.html, "f-bank-account_number"),
        "KZ86125KZT5004100100",
        "the acceptance shows the account filed"
    );

    // ── The acceptance, with the scan of the rehabilitation certificate and both consents. ──
    let claimed = operator.claim(&key, &[]).await;
    let done = operator
        .complete(
            &key,
            &claimed,
            "accepted",
            &[
                ("bank.name", Text("АО «Халык Банк Казахстана»")),
                ("consent.personal_data", Text("true")),
                ("consent.secret_data", Text("true")),
                ("documents.rehabilitation", File("справка.pdf", PDF)),
            ],
        )
        .await;
    assert!(done.html.contains(&number), "{}", done.html);
    let done = done_again(&operator, &key).await;
    passed_on(
        &operator,
        &done,
        "accepted",
        "Рассмотрение заявления: назначить компенсацию или отказать",
    );
    // The application on its form with the mark of acceptance (seeds/004 appendix 4), which
    // the citizen signs: listed on the done page, it opens and prints with her number. (The
    // definition makes it `kind: application`, not a receipt, so it is not the page's
    // leading "print the receipt".)
    let docs = documents(&done.html);
    let application = docs
        .iter()
        .find(|(title, _, _)| title.contains("Оформление заявления"))
        .unwrap_or_else(|| panic!("the application is not on the done page: {docs:?}"));
    let view = operator.open(&application.1).await;
    assert!(view.html.contains(&number), "{}", view.html);
    assert!(view.html.contains("Абенова"), "{}", view.html);
    let (status, ct, pdf) = operator.download(&application.2).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(pdf_text(&pdf).contains(&number));

    // ── The specialist: the bank's and GBD FL's answers in the case file; approved. ──
    let specialist = Clerk::new(&r, "spec-ru", "provider_specialist", lang).await;
    let review = specialist.task_in_queue(&number).await;
    let found = specialist.open(&format!("/search?q={IIN}")).await;
    assert!(
        found
            .html
            .contains(&format!(r#"<tr class="found" data-number="{number}">"#)),
        "{}",
        found.html
    );
    let form = specialist.open(&format!("/queue/{review}")).await;
    let answers = text_of(&form.html, "cf-answers");
    for seen in [
        "Абенова",
        "15.03.1952",
        "Счёт открыт и принадлежит заявителю Да",
        "АО «Халык Банк Казахстана»",
    ] {
        assert!(
            answers.contains(seen),
            "the case file lacks {seen}: {answers}"
        );
    }
    let claimed = specialist.claim(&review, &[]).await;
    specialist.complete(&review, &claimed, "approve", &[]).await;
    let done = done_again(&specialist, &review).await;
    passed_on(
        &specialist,
        &done,
        "approve",
        "Подписание решения о назначении единовременной денежной компенсации",
    );

    // ── The head signs the decision with its number and the amount. ──
    let head = Clerk::new(&r, "head-ru", "head_of_department", lang).await;
    let sign = head.task_in_queue(&number).await;
    let claimed = head.claim(&sign, &[]).await;
    head.complete(
        &sign,
        &claimed,
        "signed",
        &[
            ("decision.number", Text("РК-2026/118")),
            ("compensation.amount", Text("250000")),
        ],
    )
    .await;
    let done = done_again(&head, &sign).await;
    passed_on(&head, &done, "signed", "Направление решения для выплаты");

    // ── The specialist sends it for payment: the case ends "assigned". ──
    let send = specialist.task_in_queue(&number).await;
    let claimed = specialist.claim(&send, &[]).await;
    specialist.complete(&send, &claimed, "sent", &[]).await;
    let done = done_again(&specialist, &send).await;
    assert!(
        done.html.contains(r#"id="done-closed""#),
        "the done page does not say the case closed:\n{}",
        done.html
    );
    let case = specialist.open(&format!("/case/{number}")).await;
    assert_eq!(
        text_of(&case.html, "case-status"),
        format!(
            "{}: {}",
            specialist.t("status_completed"),
            specialist.t("result_issued")
        )
    );
    let docs = documents(&case.html);
    let decision = docs
        .iter()
        .find(|(title, _, _)| title.contains("назначени"))
        .unwrap_or_else(|| panic!("no decision among the case's documents: {docs:?}"));
    let view = specialist.open(&decision.1).await;
    assert!(view.html.contains("РК-2026/118"), "{}", view.html);
    let (status, ct, _) = specialist.download(&decision.2).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
}
