//! Notifications and documents: templates rendered in the case's language, sent by e-mail
//! and SMS exactly once per job and channel, and documents rendered to files.
//!
//! - [`render`] — every template of `templates/` compiled once (handlebars, strict mode),
//!   partials per language, `date` printing `dd.mm.yyyy`; [`words`] — amounts in words
//!   (`{{money_words x}}`).
//! - [`check`] — the load-time checks the definition loader calls: each template a workflow
//!   uses exists in kk and ru and cites only variables its step provides; each SMS fits its
//!   segment budget in the worst case.
//! - [`segments`] — SMS segment counting (GSM-7 160/153, UCS-2 70/67), a pure function.
//! - [`quiet`] — quiet hours (22:00–08:00 Asia/Almaty) for SMS to citizens.
//! - [`email`] — lettre over SMTP (TLS, STARTTLS or plain; authentication), or `.eml` files.
//! - [`sms`] — SMS providers: an HTTP aggregator, or JSON files.
//! - [`sent`] — the sent-record that keeps a repeat from sending twice.
//! - [`performer`] — [`NotifyPerformer`], the worker's performer for `Work::Notify` and
//!   `Work::Document`.
//! - [`rules`] — the change-of-rules notice (seeds/004 item 20); [`announce`] — the notices
//!   owed at a start and on a deployment through the API, each version's sent once.
//!
//! **Architecture Invariant:** nothing here decides *whether* to notify a case's recipients
//! — the runtime did, in the effect (consent, recipient, channels, urgency). The notifier
//! decides only *when* (quiet hours) and *how* (language, template, provider), and never
//! sends a channel twice for one idempotency key. The one notice no case owns, the change of
//! the rules, is owed by a version ([`rules::announced`]: state services only).
//!
//! **Architecture Invariant:** personal data (phones, addresses, names, IINs) are never
//! logged here; they go only into the messages and the files that are the messages.

pub mod announce;
pub mod check;
pub mod config;
pub mod email;
pub mod performer;
pub mod preview;
pub mod quiet;
pub mod render;
pub mod rules;
pub mod segments;
pub mod sent;
pub mod sms;
pub mod syntax;
pub mod vars;
pub mod words;

use std::fmt;
use std::path::PathBuf;

pub use check::{Problem, check_definition, check_engine_templates, check_templates};
pub use config::NotifyConfig;
pub use performer::{Credentials, NotifyPerformer};
pub use render::{Part, Templates};

/// What can go wrong while setting the notifier up or rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Template files that cannot be read or compiled.
    #[error("templates in {dir}: {}", errors.join("; "))]
    Templates {
        /// The folder.
        dir: PathBuf,
        /// Each file's problem.
        errors: Vec<String>,
    },
    /// A template part that does not exist.
    #[error("template `{template}` has no {file}")]
    MissingTemplate {
        /// The template.
        template: String,
        /// The file expected.
        file: String,
    },
    /// A template that failed to render (a missing variable in strict mode, a bad date).
    #[error("template `{template}` ({file}): {reason}")]
    Render {
        /// The template.
        template: String,
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A configuration that cannot work.
    #[error("notification configuration: {0}")]
    Config(String),
}

/// A secret (a password, an API key): never printed, never serialised.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Reads the environment variable `var`; an unset or empty variable is an error.
    pub fn from_env(var: &str) -> Result<Self, Error> {
        Self::lookup(var, &|name| std::env::var(name).ok())
    }

    /// Reads `var` through `env` (the process environment, or a test's own); an unset or
    /// empty variable is an error that names it.
    pub fn lookup(var: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        match env(var) {
            Some(v) if !v.is_empty() => Ok(Secret(v)),
            _ => Err(Error::Config(format!(
                "the environment variable {var} is not set"
            ))),
        }
    }

    /// The value, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
