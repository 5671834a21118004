//! A rendered document as a PDF a clerk can print: read, laid out on A4, written by krilla.
//!
//! Pure Rust end to end — no browser, no system font, no C library — so the same pages come
//! out on a clerk's workstation, the server and a methodologist's laptop. The text is real
//! text (subset fonts with ToUnicode maps): it can be searched, copied and read aloud.

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::Font;

use super::fonts::{Faces, Variant};
use super::html;
use super::layout::{self, CONTENT_WIDTH, Item, PAGE_HEIGHT, PAGE_WIDTH};

/// What can fail while writing a document's PDF. Neither depends on the document: both
/// mean a broken build or a bug, and say which part failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An embedded font file does not parse.
    #[error("the embedded font {0} cannot be read")]
    Font(&'static str),
    /// The PDF writer refused the document.
    #[error("could not write the document's PDF: {0}")]
    Pdf(String),
}

/// Lays out a rendered document (our templates' HTML) as an A4 PDF.
///
/// Any HTML is accepted: what the templates use is laid out as a browser would print it,
/// and anything else degrades to plain text rather than failing or losing words. The
/// `<title>` and `<html lang>` become the PDF's title and language. The same HTML always
/// gives the same bytes.
pub fn html_to_pdf(html: &str) -> Result<Vec<u8>, Error> {
    html_to_pdf_copies(html, 1)
}

/// [`html_to_pdf`] for a form made in several copies (a receipt "in 2 copies, one for each
/// party", seeds/004 appendix 3): the document is laid out once and its pages written
/// `copies` times, so each copy starts on a new page and every copy is the same to the
/// point. At least one copy.
pub fn html_to_pdf_copies(html: &str, copies: u32) -> Result<Vec<u8>, Error> {
    let doc = html::read(html, CONTENT_WIDTH);
    let faces = Faces::load().map_err(|v| Error::Font(v.file()))?;
    let one = layout::lay_out(&doc, &faces);
    let pages = std::iter::repeat_n(one.iter(), copies.max(1) as usize).flatten();

    let fonts = Variant::ALL
        .iter()
        .map(|v| Font::new(v.bytes().into(), 0).ok_or(Error::Font(v.file())))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pdf = Document::new();
    let mut metadata = Metadata::new().creator("qyzmet".to_string());
    if let Some(title) = doc.title {
        metadata = metadata.title(title);
    }
    if let Some(lang) = doc.lang {
        metadata = metadata.language(lang);
    }
    pdf.set_metadata(metadata);

    let a4 = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a valid page size");
    for page in pages {
        let mut p = pdf.start_page_with(a4.clone());
        let mut surface = p.surface();
        surface.set_fill(Some(Fill::default()));
        for item in &page.items {
            match item {
                Item::Text {
                    x,
                    baseline,
                    variant,
                    size,
                    text,
                    glyphs,
                } => surface.draw_glyphs(
                    Point::from_xy(*x, *baseline),
                    glyphs,
                    fonts[variant.index()].clone(),
                    text,
                    *size,
                    false,
                ),
                Item::Rule {
                    x,
                    y,
                    width,
                    height,
                } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        p.finish();
    }
    pdf.finish().map_err(|e| Error::Pdf(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_a_pdf_and_the_same_html_gives_the_same_bytes() {
        let html = "<html lang=\"ru\"><title>Расписка</title><h1>Расписка</h1><p>Текст</p>";
        let pdf = html_to_pdf(html).expect("a PDF");
        assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..8]);
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
        assert_eq!(html_to_pdf(html).expect("a PDF"), pdf);
    }

    #[test]
    fn empty_html_is_one_blank_page() {
        let pdf = html_to_pdf("").expect("a PDF");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 1"), "one page");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Any input at all, tag soup included, gives a PDF rather than an error.
        #[test]
        fn any_input_is_a_pdf(html in "(<[a-z/!]{0,8}[ a-z=\":;%0-9-]{0,20}>?|\\PC{0,20}|&[a-z#0-9]{0,6};?)*") {
            let pdf = html_to_pdf(&html);
            proptest::prop_assert!(pdf.as_ref().is_ok_and(|b| b.starts_with(b"%PDF-")), "{pdf:?}");
        }
    }
}
