//! `--render DIR`: what a scenario's case produced, as files a methodologist opens — each
//! document as HTML and PDF, each e-mail as an `.eml` a mail program reads, each SMS as its
//! text with its length and segments — named by order, step and template:
//! `03-accept_documents-rehabilitated_certificate_receipt.ru.html`.

use std::path::{Path, PathBuf};

use super::Rendition;
use crate::notify::preview::Body;
use crate::notify::render::lang_code;
use crate::notify::segments::Encoding;

/// Why the files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or the folder could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A document's PDF could not be made.
    #[error("{}: {source}", path.display())]
    Pdf {
        /// The PDF file it was to be.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: crate::document::Error,
    },
}

/// Writes every rendition into `dir` (created if need be); the files written, in order.
pub fn write(renditions: &[Rendition], dir: &Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for r in renditions {
        let stem = stem(r);
        let mut put = |ext: &str, bytes: &[u8]| -> Result<(), Error> {
            let path = dir.join(format!("{stem}.{ext}"));
            std::fs::write(&path, bytes).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            written.push(path);
            Ok(())
        };
        match &r.body {
            Body::Document { html } => {
                put("html", html.as_bytes())?;
                let pdf = crate::document::html_to_pdf(html).map_err(|source| Error::Pdf {
                    path: dir.join(format!("{stem}.pdf")),
                    source,
                })?;
                put("pdf", &pdf)?;
            }
            Body::Email { eml, .. } => put("eml", eml)?,
            Body::Sms { text, count } => {
                let chars = text.chars().count();
                let units = if count.units == chars {
                    String::new()
                } else {
                    format!(" ({} septets)", count.units)
                };
                let encoding = match count.encoding {
                    Encoding::Gsm7 => "GSM-7",
                    Encoding::Ucs2 => "UCS-2",
                };
                let segments = match count.segments {
                    1 => "1 segment".to_string(),
                    n => format!("{n} segments"),
                };
                let file = format!("{text}\n— {chars} characters{units}, {encoding}, {segments}\n");
                put("sms.txt", file.as_bytes())?;
            }
        }
    }
    Ok(written)
}

/// `03-accept_documents-rehabilitated_certificate_receipt.ru`: the order, the case's name
/// when the scenario has several (`03-second-review_increase-…`), the step (a sub-workflow's
/// by its call, `hearing.notify_notice`) when one is known, the template, the language.
fn stem(r: &Rendition) -> String {
    let case = r
        .case
        .as_deref()
        .map(|c| format!("{}-", safe(c)))
        .unwrap_or_default();
    let step = r
        .step
        .as_deref()
        .map(|s| format!("{}-", s.replace('/', ".")))
        .unwrap_or_default();
    format!(
        "{:02}-{case}{step}{}.{}",
        r.order,
        r.template,
        lang_code(r.lang)
    )
}

/// A case's name as part of a file name: what is not a letter, a digit, `-` or `_` becomes
/// `_`, so that a name cannot leave the folder or upset a file system.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::preview::Body;
    use crate::runtime::Language;

    fn rendition(case: Option<&str>) -> Rendition {
        Rendition {
            order: 3,
            case: case.map(str::to_string),
            step: Some("hearing/notify_notice".into()),
            template: "provisional_refusal".into(),
            lang: Language::Ru,
            body: Body::Document {
                html: String::new(),
            },
        }
    }

    #[test]
    fn a_file_is_named_by_order_case_step_template_and_language() {
        assert_eq!(
            stem(&rendition(None)),
            "03-hearing.notify_notice-provisional_refusal.ru"
        );
        assert_eq!(
            stem(&rendition(Some("second"))),
            "03-second-hearing.notify_notice-provisional_refusal.ru"
        );
        assert_eq!(
            stem(&rendition(Some("../up"))),
            "03-___up-hearing.notify_notice-provisional_refusal.ru"
        );
    }
}
