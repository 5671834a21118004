//! Documents as PDF: real templates rendered the way the engine renders them, laid out by
//! `document::html_to_pdf`, and read back as a PDF reader reads them (the text through the
//! subset fonts' ToUnicode maps, page by page).

use std::path::Path;

use serde_json::{Value, json};

use qyzmet::document::html_to_pdf;
use qyzmet::notify::{Part, Templates};
use qyzmet::runtime::Language;

fn templates() -> Templates {
    Templates::load(Path::new("templates")).expect("templates/ compiles")
}

/// The variables of the receipt for a certificate of a rehabilitated person.
fn receipt_vars() -> Value {
    json!({
        "registration_number": "KZ-2026-000417",
        "service_title": "Выдача удостоверения реабилитированного лица",
        "deadline": "2026-04-27",
        "accepted_at": "20.04.2026 10:42",
        "clerk": { "full_name": "Сейтқали Әсем Нұрланқызы", "position": "менеджер ЦОН" },
        "office": { "name": "ЦОН района Байқоңыр", "address": "г. Астана, ул. Жұбанова, 14" },
        "applicant": { "full_name": "Жақыпова Гүлнәр Өмірқызы", "iin": "560314400123" },
        "application": { "kind": "original", "by_representative": true },
        "representative": { "full_name": "Ұлықбек Нұрсұлтан Серікұлы" },
        "rehabilitation": {
            "document_type": "certificate",
            "document_number": "12-345",
            "document_date": "1991-06-12",
            "issued_by": "Прокуратура Карагандинской области"
        }
    })
}

fn receipt(lang: Language) -> String {
    templates()
        .render(
            "rehabilitated_certificate_receipt",
            lang,
            Part::Html,
            &receipt_vars(),
        )
        .expect("the receipt renders")
}

/// The text of each page, white space collapsed: what a reader sees and can search.
fn pages(pdf: &[u8]) -> Vec<String> {
    pdf_extract::extract_text_from_mem_by_pages(pdf)
        .expect("a PDF reader reads it")
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn a_receipt_prints_its_russian_and_kazakh_text_and_its_number() {
    let ru = html_to_pdf(&receipt(Language::Ru)).expect("a PDF");
    assert!(ru.starts_with(b"%PDF-"));
    let text = pages(&ru);
    assert_eq!(text.len(), 1, "a receipt is one page: {text:?}");
    let text = &text[0];
    for phrase in [
        "Расписка о приёме документов",
        "№KZ-2026-000417",
        "Жақыпова Гүлнәр Өмірқызы, ИИН 560314400123",
        "Представитель услугополучателя: Ұлықбек Нұрсұлтан Серікұлы",
        "1. Заявление о выдаче удостоверения",
        "4. Нотариально удостоверенный документ",
        "Дата выдачи готовых документов: 27.04.2026",
        "Сейтқали Әсем Нұрланқызы, менеджер ЦОН",
        "1414, 8-800-080-7777.",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in {text}");
    }

    let kk = html_to_pdf(&receipt(Language::Kk)).expect("a PDF");
    let text = pages(&kk).join(" ");
    for phrase in ["Құжаттарды қабылдау туралы қолхат", "№KZ-2026-000417"]
    {
        assert!(text.contains(phrase), "{phrase:?} not in {text}");
    }
    // Kazakh sentences, with қ, ң, ү, ө, ә, і, ұ, survive shaping, subsetting and the
    // ToUnicode map.
    for phrase in [
        "(құжаттарды қабылдау күні мемлекеттік қызмет көрсету мерзіміне кірмейді)",
        "Өтініштің мәртебесі туралы анықтаманы Бірыңғай байланыс орталығынан алуға болады",
        "Көрсетілетін қызметті алушының өкілі: Ұлықбек Нұрсұлтан Серікұлы",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in {text}");
    }
}

#[test]
fn every_document_template_makes_a_pdf_with_its_heading() {
    let t = templates();
    let mut checked = 0;
    for entry in std::fs::read_dir("templates").expect("templates/") {
        let dir = entry.expect("an entry").path();
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        for lang in [Language::Kk, Language::Ru] {
            let Some(source) = t.source(&id, lang, Part::Html) else {
                continue;
            };
            // The template itself, its Handlebars left in: every tag and style still there,
            // and the heading's text is plain.
            let pdf = html_to_pdf(source).unwrap_or_else(|e| panic!("{id}: {e}"));
            let text = pages(&pdf).join(" ");
            let heading = source
                .split_once("<h1>")
                .and_then(|(_, rest)| rest.split_once("<"))
                .map(|(h, _)| h.trim().to_string())
                .unwrap_or_else(|| panic!("{id} has an <h1>"));
            assert!(text.contains(&heading), "{id}: {heading:?} not in {text}");
            checked += 1;
        }
    }
    assert!(checked >= 18, "{checked} document templates");
}

#[test]
fn a_long_document_runs_onto_a_second_page() {
    let mut html = receipt(Language::Ru);
    let items: String = (1..=60)
        .map(|i| format!("<li>Документ номер {i}, сверен и возвращён.</li>"))
        .collect();
    html = html.replace("</ol>", &format!("{items}</ol>"));
    let text = pages(&html_to_pdf(&html).expect("a PDF"));
    assert!(text.len() >= 2, "{} page(s)", text.len());
    assert!(
        text[0].contains("Расписка о приёме документов"),
        "{}",
        text[0]
    );
    let last = text.last().expect("a page");
    assert!(
        last.contains("Справки о статусе заявления"),
        "the end is on the last page: {last}"
    );
    let all = text.join(" ");
    assert!(
        all.contains("64. Документ номер 60, сверен и возвращён."),
        "{all}"
    );
}

#[test]
fn unknown_tags_keep_their_text() {
    let html = "<html><body><article><marquee>Бегущая строка</marquee>\
                <section><x-field name=\"iin\">ИИН 560314400123</x-field></section>\
                <dl><dt>Срок</dt><dd>пять рабочих дней</dd></dl>\
                <p>Текст <span class=\"unknown\">внутри <sup>1</sup></span> и <font color=red>после</font>\
                </article>";
    let text = pages(&html_to_pdf(html).expect("a PDF")).join(" ");
    for phrase in [
        "Бегущая строка",
        "ИИН 560314400123",
        "Срок",
        "пять рабочих дней",
        "Текст внутри 1 и после",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in {text}");
    }
}
