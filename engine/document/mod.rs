//! Documents as files a clerk can print: the HTML our document templates render (receipts,
//! notices, decisions, records — `templates/*/{kk,ru}.html.hbs`), laid out as A4 PDF.
//!
//! Three steps, one module each: [`html`] reads the HTML into blocks of styled text (the
//! CSS computed by [`style`]), [`layout`] shapes and breaks them into lines and pages,
//! [`pdf`] writes the pages with the embedded [`fonts`].

mod fonts;
mod html;
mod layout;
mod pdf;
mod style;

pub use pdf::{Error, html_to_pdf, html_to_pdf_copies};
