//! Previews: what a notification or a document would be, rendered and built as the notifier
//! renders and builds it, and sent nowhere.
//!
//! The scenarios render every message and document a case produces through these functions
//! (`qyzmet simulate --render`), so a methodologist reads the clerk's name on a receipt and
//! counts an SMS's segments before the service runs. They share with [`super::performer`]
//! everything that decides what goes out: the enrichment ([`super::vars::enrich`]), who an
//! e-mail goes to and which channels are skipped ([`email_recipients`], [`sms_recipient`]),
//! the parts of an e-mail ([`render_email`]) and the RFC 5322 message ([`super::email::build`]).

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, header};
use serde_json::Value;

use super::config::StaffAddresses;
use super::email::{Email, build};
use super::render::{Part, Templates};
use super::segments::{self, Count};
use crate::runtime::Language;

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template part failed to render (a variable the case does not hold, a bad date) or
    /// does not exist.
    #[error("{0}")]
    Render(#[from] super::Error),
    /// The e-mail could not be built (an address that does not parse).
    #[error("the e-mail cannot be built: {0}")]
    Email(String),
}

impl Error {
    /// The template part that failed, when a part did: its file (`ru.sms.hbs`).
    pub fn file(&self) -> Option<&str> {
        match self {
            Error::Render(super::Error::Render { file, .. })
            | Error::Render(super::Error::MissingTemplate { file, .. }) => Some(file.as_str()),
            _ => None,
        }
    }
}

/// One message or document, rendered.
#[derive(Debug, Clone)]
pub enum Body {
    /// An SMS: its text and what it costs.
    Sms {
        /// The text.
        text: String,
        /// Its encoding, length and segments.
        count: Count,
    },
    /// An e-mail: its parts and the message as a mail program reads it.
    Email {
        /// The rendered parts and the recipients.
        email: Email,
        /// The RFC 5322 message.
        eml: Vec<u8>,
    },
    /// A document's HTML.
    Document {
        /// The HTML.
        html: String,
    },
}

impl Body {
    /// Each rendered text with its part: what a reader of the preview sees.
    pub fn texts(&self) -> Vec<(Part, &str)> {
        match self {
            Body::Sms { text, .. } => vec![(Part::Sms, text.as_str())],
            Body::Email { email, .. } => {
                let mut out = vec![
                    (Part::Subject, email.subject.as_str()),
                    (Part::Text, email.text.as_str()),
                ];
                if let Some(html) = &email.html {
                    out.push((Part::Html, html.as_str()));
                }
                out
            }
            Body::Document { html } => vec![(Part::Html, html.as_str())],
        }
    }
}

/// Who an e-mail goes to, or why it is not sent.
pub enum Recipients {
    /// These addresses.
    To(Vec<String>),
    /// Not sent, and why (the citizen gave no address, or one that does not parse): the
    /// channel is skipped, not failed.
    Skipped(&'static str),
}

/// The addresses an e-mail to `to` goes to. `Err` when it cannot go at all: no support
/// address, no staff address configured, a recipient the notifier does not know.
pub fn email_recipients(
    to: &str,
    vars: &Value,
    staff: &StaffAddresses,
) -> Result<Recipients, String> {
    let recipients = match to {
        "citizen" | "applicant" => match text_at(vars, "/applicant/email") {
            // An address that does not parse will not parse on a retry either, and it is the
            // citizen's, not a fault an administrator can mend: the e-mail is not sent, as
            // when there is no address, and the job's other channels go on. (Submissions
            // refuse such an address; a case opened before they did may still carry one.)
            Some(a) if crate::domain::Email::parse(&a).is_err() => {
                return Ok(Recipients::Skipped("the address is not valid"));
            }
            Some(a) => vec![a],
            None => {
                return Ok(Recipients::Skipped(
                    "the application gives no e-mail address",
                ));
            }
        },
        "support_email" => match text_at(vars, "/support_email") {
            Some(a) => vec![a],
            None => return Err("the service has no support e-mail address".into()),
        },
        "assignee" => staff.assignee.clone(),
        other => match other.strip_prefix("role:") {
            Some(role) => staff.roles.get(role).cloned().unwrap_or_default(),
            None => return Err(format!("unknown recipient `{other}`")),
        },
    };
    if recipients.is_empty() {
        return Err(format!(
            "no e-mail address is configured for `{to}` (staff.roles / staff.assignee)"
        ));
    }
    Ok(Recipients::To(recipients))
}

/// The phone an SMS to `to` goes to, or why it is not sent: staff phones are not
/// configured, and a citizen may have given none.
pub fn sms_recipient(to: &str, vars: &Value) -> Result<String, &'static str> {
    if to != "citizen" && to != "applicant" {
        return Err("staff phone numbers are not configured");
    }
    text_at(vars, "/applicant/phone").ok_or("the application gives no phone number")
}

/// An e-mail's subject, plain-text body and HTML body (when the template has one).
pub fn render_email(
    templates: &Templates,
    template: &str,
    lang: Language,
    vars: &Value,
) -> Result<(String, String, Option<String>), super::Error> {
    let subject = templates.render(template, lang, Part::Subject, vars)?;
    let text = templates.render(template, lang, Part::Text, vars)?;
    let html = if templates.has(template, lang, Part::Html) {
        Some(templates.render(template, lang, Part::Html, vars)?)
    } else {
        None
    };
    Ok((subject, text, html))
}

/// What a preview needs besides the case: the templates, the staff addresses and the sender.
pub struct Previewer<'a> {
    /// The templates, compiled.
    pub templates: &'a Templates,
    /// Where staff e-mail goes.
    pub staff: &'a StaffAddresses,
    /// The sender of the e-mail.
    pub from: &'a Mailbox,
    /// When the messages go: the e-mail's `Date`.
    pub now: DateTime<Utc>,
}

/// A stand-in for the temporary password an access e-mail carries: the real one is set only
/// as the e-mail leaves, and never shown anywhere else.
pub const PASSWORD_PLACEHOLDER: &str = "********";

impl Previewer<'_> {
    /// A notification by each channel the notifier would send it by (a channel it skips —
    /// no address, no phone — has none), `vars` enriched already. `key` is the job's
    /// idempotency key, the e-mail's `Message-ID`.
    #[allow(clippy::too_many_arguments)]
    pub fn notification(
        &self,
        key: &str,
        to: &str,
        template: &str,
        channels: &[String],
        credentials: bool,
        lang: Language,
        vars: &Value,
    ) -> Result<Vec<Body>, Error> {
        let mut out = Vec::new();
        for channel in channels {
            match channel.as_str() {
                "sms" => {
                    if sms_recipient(to, vars).is_err() {
                        continue;
                    }
                    let text = self.templates.render(template, lang, Part::Sms, vars)?;
                    let count = segments::count(&text);
                    out.push(Body::Sms { text, count });
                }
                "email" => {
                    let recipients = match email_recipients(to, vars, self.staff) {
                        Ok(Recipients::To(r)) => r,
                        Ok(Recipients::Skipped(_)) => continue,
                        Err(e) => return Err(Error::Email(e)),
                    };
                    let with_password;
                    let vars = if credentials {
                        let mut v = vars.clone();
                        if let Value::Object(map) = &mut v {
                            map.insert("temporary_password".into(), PASSWORD_PLACEHOLDER.into());
                        }
                        with_password = v;
                        &with_password
                    } else {
                        vars
                    };
                    let (subject, text, html) = render_email(self.templates, template, lang, vars)?;
                    let email = Email {
                        to: recipients,
                        subject,
                        text,
                        html,
                        id: format!("{key}.email"),
                    };
                    let mut message =
                        build(&email, self.from).map_err(|e| Error::Email(e.to_string()))?;
                    message
                        .headers_mut()
                        .set(header::Date::new(SystemTime::from(self.now)));
                    let eml = message.formatted();
                    out.push(Body::Email { email, eml });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// A document, `vars` enriched already.
    pub fn document(&self, template: &str, lang: Language, vars: &Value) -> Result<Body, Error> {
        let html = self.templates.render(template, lang, Part::Html, vars)?;
        Ok(Body::Document { html })
    }
}

/// A non-empty string at a JSON pointer.
pub fn text_at(vars: &Value, pointer: &str) -> Option<String> {
    vars.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A rendered HTML text as a reader sees it: tags gone, entities decoded, the contents of
/// `<head>`, `<style>` and `<script>` left out, whitespace collapsed. Block elements part
/// words; inline ones (`<b>`, `<span>`…) do not, so `№<b>QZ-1</b>` reads `№QZ-1`.
pub fn visible_text(html: &str) -> String {
    use html5gum::{Token, Tokenizer};
    const HIDDEN: [&[u8]; 4] = [b"head", b"style", b"script", b"title"];
    const INLINE: [&[u8]; 12] = [
        b"b", b"i", b"u", b"em", b"strong", b"span", b"a", b"small", b"sup", b"sub", b"abbr",
        b"code",
    ];
    let mut out = String::new();
    let mut hidden = 0usize;
    for token in Tokenizer::new(html).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name: &[u8] = &tag.name;
                if HIDDEN.contains(&name) && !tag.self_closing {
                    hidden += 1;
                } else if !INLINE.contains(&name) {
                    out.push(' ');
                }
            }
            Token::EndTag(tag) => {
                let name: &[u8] = &tag.name;
                if HIDDEN.contains(&name) {
                    hidden = hidden.saturating_sub(1);
                } else if !INLINE.contains(&name) {
                    out.push(' ');
                }
            }
            Token::String(s) if hidden == 0 => out.push_str(&String::from_utf8_lossy(&s)),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_sees_the_words_not_the_markup() {
        let html = "<!DOCTYPE html><html><head><title>T</title><style>p { x: 1 }</style></head>\
                    <body><p>Номер: №<b>QZ-1</b></p><p>Иванов&nbsp;И. &laquo;А&raquo; &amp; Б</p></body></html>";
        assert_eq!(visible_text(html), "Номер: №QZ-1 Иванов И. «А» & Б");
    }
}
