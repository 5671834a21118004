//! E-mail: built with lettre, sent over SMTP (implicit TLS, STARTTLS, or plain on a trusted
//! network), or written as `.eml` files for the embedded default.
//!
//! Subjects are RFC 2047 encoded words and bodies UTF-8 with a transfer encoding lettre
//! chooses, so Kazakh letters (ә ғ қ ң ө ұ ү һ і) arrive as written. The `Message-ID` is
//! derived from the job's idempotency key: a repeat after a crash carries the same id and is
//! recognisable downstream.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::sent::{file_key, place_file};
use super::{Error, Secret};
use crate::worker::jobs::{BoxFuture, JobError};

/// One e-mail, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email {
    /// The recipients.
    pub to: Vec<String>,
    /// The subject, on one line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// An HTML alternative, when the template has one.
    pub html: Option<String>,
    /// The idempotency key and channel it is sent for: the `Message-ID`'s left part.
    pub id: String,
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// TLS from the first byte ("SMTPS", port 465 by default).
    Tls,
    /// Plain, then upgraded with STARTTLS, which the server must offer (port 587 by default).
    StartTls,
    /// No TLS at all (port 25 by default): only to a relay on loopback or a trusted network.
    Plain,
}

/// The SMTP server and how to use it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The server's host name (checked against its certificate under TLS).
    pub host: String,
    /// The port; by default 465, 587 or 25 after `security`.
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is secured.
    pub security: Security,
    /// The login, when the server requires authentication.
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable that holds the password: never in a file.
    #[serde(default)]
    pub password_env: Option<String>,
    /// The sender: `Name <address>` or an address.
    pub from: String,
    /// How long one SMTP conversation may take, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_timeout() -> u64 {
    30
}

/// Sends e-mail.
pub trait Mailer: Send + Sync {
    /// Sends one message. A refused connection, a timeout or a 4xx reply is retryable; a 5xx
    /// reply (a permanent refusal) is fatal.
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), JobError>>;
}

/// The `Message-ID` for a message sent for `id` from `from`: `<id@domain-of-from>`.
pub fn message_id(id: &str, from: &Mailbox) -> String {
    format!("<{}@{}>", file_key(id, ""), from.email.domain())
}

/// Builds the RFC 5322 message. It says `MIME-Version: 1.0` whatever its body (lettre adds it
/// only to a multipart one): a plain-text message with a UTF-8 charset and a transfer encoding
/// is a MIME message, and without the header a strict reader (RFC 2045 §4) may take the body
/// as US-ASCII and the `Content-Type` as absent, and show the Kazakh letters as garbage.
pub fn build(email: &Email, from: &Mailbox) -> Result<Message, JobError> {
    let mut builder = Message::builder()
        .header(header::MIME_VERSION_1_0)
        .from(from.clone())
        .subject(email.subject.clone())
        .message_id(Some(message_id(&email.id, from)));
    for to in &email.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|e| JobError::Fatal(format!("`{to}` is not an e-mail address: {e}")))?;
        builder = builder.to(mailbox);
    }
    let built = match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone()),
    };
    built.map_err(|e| JobError::Fatal(format!("the message cannot be built: {e}")))
}

/// A mailer over SMTP.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer; the password is read from the environment variable the configuration names.
    pub fn new(config: &SmtpConfig) -> Result<Self, Error> {
        Self::with_env(config, &|name| std::env::var(name).ok())
    }

    /// A mailer whose password is read through `env`.
    pub fn with_env(
        config: &SmtpConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let password = match &config.password_env {
            Some(var) => Some(Secret::lookup(var, env)?),
            None => None,
        };
        Self::with_password(config, password)
    }

    /// A mailer with the password given (tests).
    pub fn with_password(config: &SmtpConfig, password: Option<Secret>) -> Result<Self, Error> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| Error::Config(format!("`from` ({}): {e}", config.from)))?;
        let mut builder = match config.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
            }
            Security::Plain => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &config.host,
            )),
        }
        .map_err(|e| Error::Config(format!("SMTP host `{}`: {e}", config.host)))?;
        if let Some(port) = config.port {
            builder = builder.port(port);
        }
        match (&config.username, password) {
            (Some(user), Some(password)) => {
                builder =
                    builder.credentials(Credentials::new(user.clone(), password.expose().into()));
            }
            (None, None) => {}
            _ => {
                return Err(Error::Config(
                    "SMTP `username` and `password_env` go together".into(),
                ));
            }
        }
        let transport = builder
            .timeout(Some(Duration::from_secs(config.timeout_seconds)))
            .build();
        Ok(SmtpMailer { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let message = build(email, &self.from)?;
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(JobError::Fatal(format!(
                    "the SMTP server refused the message: {e}"
                ))),
                Err(e) => Err(JobError::Retryable(format!("SMTP: {e}"))),
            }
        })
    }
}

/// The embedded default: every e-mail an `.eml` file under `dir` (any mail program opens
/// it), named by its id; a file that exists is the same message written before a crash.
pub struct FileMailer {
    /// The folder.
    pub dir: PathBuf,
    /// The sender written into the files.
    pub from: Mailbox,
}

impl FileMailer {
    /// A file mailer writing as `from`.
    pub fn new(dir: PathBuf, from: &str) -> Result<Self, Error> {
        let from = from
            .parse()
            .map_err(|e| Error::Config(format!("`from` ({from}): {e}")))?;
        Ok(FileMailer { dir, from })
    }
}

impl Mailer for FileMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let message = build(email, &self.from)?;
            let text = String::from_utf8_lossy(&message.formatted()).into_owned();
            let dir = self.dir.clone();
            let file = format!("{}.eml", file_key(&email.id, ""));
            tokio::task::spawn_blocking(move || place_file(&dir, &file, &text))
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?
                .map_err(JobError::Retryable)?;
            Ok(())
        })
    }
}
