//! [`NotifyPerformer`]: performs `Work::Notify` and `Work::Document` for the job loop.
//!
//! For a notification, each channel in turn: skipped if the sent-record has it (a repeat
//! after a crash); otherwise the recipient resolved, the template rendered in the case's
//! language, the message sent, and the sent-record written. Before rendering, the case's
//! variables get the office, `now` and the clerk who completed the last task, named by their
//! account ([`super::vars::enrich`]); who gets an e-mail and which channel is skipped are
//! decided in [`super::preview`], which the scenarios' previews share, so a preview cannot
//! drift from what is sent. A channel that fails does not undo one that went: the job is
//! retried and only the missing channel is tried again.
//!
//! An SMS to a citizen in quiet hours is not sent: the job answers `JobError::NotBefore`
//! with the first allowed instant (08:00 Almaty time), which spends no attempt, and the
//! e-mail of the same job goes at once; the job comes back in the morning for the SMS only.
//!
//! A document is rendered to `documents/<key>.html` under the data directory, placed whole
//! or not at all; a file that exists is the same job performed before a crash. Its HTML is
//! also the job's recorded output (`html`), which is what the clerks open and print.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::config::{
    EmailTransport, NotifyConfig, Office, RulesChangeRecipients, SmsTransport, StaffAddresses,
};
use super::email::{Email, FileMailer, Mailer, SmtpMailer};
use super::preview::{Recipients, email_recipients, render_email, sms_recipient};
use super::render::{Part, Templates, lang_code, parse_lang};
use super::sent::{SentRecord, file_key, place_file};
use super::sms::{FileSms, HttpSms, Sms, SmsProvider};
use super::vars::{Clerk, clerk_login, enrich, signer_logins};
use super::{Error, quiet, segments};
use crate::clock::Clock;
use crate::definition::Definition;
use crate::definition::model::Text;
use crate::runtime::{Language, Work};
use crate::worker::jobs::{BoxFuture, JobError, Performer};

/// The parts a [`NotifyPerformer`] is made of, for a caller (or a test) that builds its own
/// transports.
pub struct Parts {
    /// The templates.
    pub templates: Arc<Templates>,
    /// How e-mail leaves.
    pub mailer: Arc<dyn Mailer>,
    /// How SMS leave.
    pub sms: Arc<dyn SmsProvider>,
    /// The data directory (`sent/`, `documents/`).
    pub data_dir: PathBuf,
    /// Staff addresses by role.
    pub staff: StaffAddresses,
    /// The office cited as `office.*` where no office of `offices` serves the clerk.
    pub office: Option<Office>,
    /// The offices of the clerks, by role and region.
    pub offices: Vec<super::config::RoleOffice>,
    /// The change-of-rules recipients.
    pub rules_change: RulesChangeRecipients,
    /// The clock (quiet hours, `now`).
    pub clock: Arc<dyn Clock>,
}

/// Renders and sends notifications, renders documents.
pub struct NotifyPerformer {
    parts: Parts,
    sent: SentRecord,
    documents: PathBuf,
    credentials: OnceLock<Arc<dyn Credentials>>,
    /// The engine's database, once it is open: the accounts the clerks' names come from.
    store: OnceLock<crate::store::Store>,
    /// The catalog's role titles, once given: a clerk's position when the case names no
    /// role for the task they completed.
    role_titles: OnceLock<indexmap::IndexMap<String, Text>>,
}

/// Sets a fresh temporary password on an account and returns it, for the e-mail that
/// answers an access request (seeds/003 items 20, 22). The notifier asks at the moment it
/// sends, so the password exists only in the e-mail: in no job, no case and no log. The
/// accounts live behind the engine's writer, which is opened after the notifier; the
/// service sets this once it is.
pub trait Credentials: Send + Sync {
    /// A new temporary password for `login`, journalled under the job `key`'s request;
    /// [`JobError::Fatal`] when the account may not get one (blocked, or its user has
    /// chosen a password since).
    fn issue<'a>(&'a self, login: &'a str, key: &'a str)
    -> BoxFuture<'a, Result<String, JobError>>;
}

pub use super::vars::BLANK;

/// The recipient prefix of a notice to one staff account, `account:<login>` (a task moved by
/// a head of department): the account's corporate e-mail, read when the notice is sent.
pub const ACCOUNT: &str = "account:";

/// What became of one channel.
enum Outcome {
    /// Done (sent or skipped), with what to record.
    Done(Value),
    /// Not now: quiet hours until then.
    Deferred(DateTime<Utc>),
}

impl NotifyPerformer {
    /// A performer from configuration: templates loaded and compiled, transports built,
    /// secrets read from the environment.
    pub fn new(config: NotifyConfig, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        Self::with_env(config, clock, &|name| std::env::var(name).ok())
    }

    /// A performer whose secrets are read through `env`.
    pub fn with_env(
        config: NotifyConfig,
        clock: Arc<dyn Clock>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let templates = Arc::new(Templates::load(&config.templates)?);
        let outbox = config.data_dir.join("outbox");
        let mailer: Arc<dyn Mailer> = match &config.email {
            EmailTransport::File { from } => Arc::new(FileMailer::new(outbox.join("email"), from)?),
            EmailTransport::Smtp(smtp) => Arc::new(SmtpMailer::with_env(smtp, env)?),
        };
        let sms: Arc<dyn SmsProvider> = match &config.sms {
            SmsTransport::File => Arc::new(FileSms {
                dir: outbox.join("sms"),
            }),
            SmsTransport::Http(http) => Arc::new(HttpSms::with_env((**http).clone(), env)?),
        };
        Ok(Self::from_parts(Parts {
            templates,
            mailer,
            sms,
            data_dir: config.data_dir,
            staff: config.staff,
            office: config.office,
            offices: config.offices,
            rules_change: config.rules_change,
            clock,
        }))
    }

    /// A performer from its parts.
    pub fn from_parts(parts: Parts) -> Self {
        NotifyPerformer {
            sent: SentRecord::new(parts.data_dir.join("sent")),
            documents: parts.data_dir.join("documents"),
            parts,
            credentials: OnceLock::new(),
            store: OnceLock::new(),
            role_titles: OnceLock::new(),
        }
    }

    /// Keeps the sent-record in the engine's database from now on (see [`SentRecord`]), and
    /// reads the clerks' names for documents and messages from its accounts: what the
    /// service does once the engine has opened it.
    pub fn use_store(&self, store: crate::store::Store) {
        self.sent.use_store(store.clone());
        let _ = self.store.set(store);
    }

    /// Gives the notifier the catalog's role titles (once; later calls are ignored): a
    /// clerk's position is then the title of the account's first role where the case names
    /// no role for the task the clerk completed.
    pub fn set_role_titles(&self, titles: indexmap::IndexMap<String, Text>) {
        let _ = self.role_titles.set(titles);
    }

    /// Gives the notifier the accounts' issuer of temporary passwords (once; later calls
    /// are ignored). Without it, an e-mail that carries credentials fails as an incident.
    pub fn set_credentials(&self, issuer: Arc<dyn Credentials>) {
        let _ = self.credentials.set(issuer);
    }

    /// Whether anyone is configured to receive the change-of-rules notice.
    pub fn tells_rules_changes(&self) -> bool {
        !self.parts.rules_change.all().is_empty()
    }

    /// Reads an SMS provider's delivery report: the provider's id and the status.
    pub fn sms_callback(&self, body: &Value) -> Option<(String, super::sms::DeliveryStatus)> {
        self.parts.sms.parse_callback(body)
    }

    /// The templates.
    pub fn templates(&self) -> &Templates {
        &self.parts.templates
    }

    /// Sends the change-of-rules notice for `new` (seeds/004 item 20) to the configured
    /// recipients, once per service version: a second call for the same version sends nothing.
    pub async fn send_rules_changed(
        &self,
        new: &Definition,
        previous: Option<&Definition>,
    ) -> Result<Value, JobError> {
        let key = super::rules::key(new);
        if let Some(done) = self.sent.get(&key, "email").await? {
            return Ok(repeat(done));
        }
        let today = self
            .parts
            .clock
            .now()
            .with_timezone(&crate::clock::ZONE)
            .date_naive();
        let email = super::rules::notice(
            &self.parts.templates,
            new,
            previous,
            &self.parts.rules_change,
            today,
        )
        .map_err(|e| JobError::Fatal(e.to_string()))?;
        if email.to.is_empty() {
            return Err(JobError::Fatal(
                "no recipients are configured for the change-of-rules notice".into(),
            ));
        }
        self.parts.mailer.send(&email).await?;
        let outcome = json!({ "status": "sent", "recipients": email.to.len(), "id": email.id });
        self.sent.put(&key, "email", &outcome).await?;
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        key: &str,
        to: &str,
        template: &str,
        channels: &[String],
        urgent: bool,
        credentials: Option<&str>,
        vars: &Value,
    ) -> Result<Value, JobError> {
        let lang = language(vars)?;
        let vars = self.enrich(vars, lang).await?;
        let mut outcomes = Map::new();
        let mut retry: Option<String> = None;
        let mut fatal: Option<String> = None;
        let mut deferred: Option<DateTime<Utc>> = None;
        for channel in channels {
            if let Some(done) = self.sent.get(key, channel).await? {
                outcomes.insert(channel.clone(), repeat(done));
                continue;
            }
            let result = match channel.as_str() {
                "email" => {
                    self.email(key, to, template, lang, credentials, &vars)
                        .await
                }
                "sms" => self.sms(key, to, template, lang, urgent, &vars).await,
                other => Err(JobError::Fatal(format!("unknown channel `{other}`"))),
            };
            match result {
                Ok(Outcome::Done(outcome)) => {
                    self.sent.put(key, channel, &outcome).await?;
                    outcomes.insert(channel.clone(), outcome);
                }
                Ok(Outcome::Deferred(at)) => {
                    outcomes.insert(
                        channel.clone(),
                        json!({ "status": "deferred", "not_before": at }),
                    );
                    deferred = Some(deferred.map_or(at, |d: DateTime<Utc>| d.max(at)));
                }
                Err(JobError::Retryable(e)) => {
                    retry = Some(format!("{channel}: {e}"));
                }
                Err(JobError::Fatal(e)) => {
                    fatal = Some(format!("{channel}: {e}"));
                }
                Err(JobError::NotBefore { at, .. }) => {
                    deferred = Some(deferred.map_or(at, |d: DateTime<Utc>| d.max(at)));
                }
                // A channel's answer never comes later: no channel acknowledges.
                Err(e @ JobError::Acknowledged { .. }) => {
                    fatal = Some(format!("{channel}: unexpected: {e}"));
                }
            }
        }
        if let Some(e) = fatal {
            return Err(JobError::Fatal(e));
        }
        if let Some(e) = retry {
            return Err(JobError::Retryable(e));
        }
        if let Some(at) = deferred {
            let local = at.with_timezone(&crate::clock::ZONE);
            return Err(JobError::NotBefore {
                at,
                reason: format!("quiet hours: SMS not before {}", local.format("%H:%M")),
                partial: Value::Object(outcomes),
            });
        }
        Ok(json!({ "to": to, "template": template, "channels": outcomes }))
    }

    /// The case's variables plus what the notifier adds ([`enrich`]): the office of the
    /// clerk who completed the last task (`offices` by role and region, else `office`), that
    /// clerk by their account (full name; position from the role the task was for), and
    /// `now`. A database that cannot be read
    /// now is a retry: a document must not print a blank where the name was only late.
    async fn enrich(&self, vars: &Value, lang: Language) -> Result<Value, JobError> {
        // The office is the clerk's: the role the task was for (else the account's roles)
        // and the account's region choose among the configured offices.
        let task_role = vars.pointer("/clerk/role").and_then(Value::as_str);
        let mut roles: Vec<String> = task_role.map(str::to_string).into_iter().collect();
        let mut region = None;
        // The last clerk's account and each signer's (the signatures a decision prints), read
        // together.
        let signer_logins = signer_logins(vars);
        let logins: Vec<&str> = (clerk_login(vars).into_iter())
            .chain(signer_logins.iter().map(String::as_str))
            .collect();
        let mut accounts = self.accounts(&logins).await?;
        let clerk = clerk_login(vars)
            .and_then(|login| accounts.get(login))
            .map_or_else(Clerk::default, |a| {
                if roles.is_empty() {
                    roles = a.roles.iter().map(|r| r.as_str().to_string()).collect();
                }
                region = Some(a.region.clone());
                Clerk {
                    full_name: Some(a.full_name.clone()),
                    position: None,
                    first_role_title: a
                        .roles
                        .first()
                        .and_then(|r| self.role_titles.get()?.get(r.as_str()))
                        .map(|t| match lang {
                            Language::Kk => t.kk.clone(),
                            Language::Ru => t.ru.clone(),
                        }),
                }
            });
        let office = super::config::office_for(
            &self.parts.offices,
            self.parts.office.as_ref(),
            &roles,
            region.as_deref(),
        );
        let signers = signer_logins
            .into_iter()
            .filter_map(|login| {
                let a = accounts.remove(&login)?;
                let clerk = Clerk {
                    full_name: Some(a.full_name),
                    position: None,
                    first_role_title: None,
                };
                Some((login, clerk))
            })
            .collect();
        Ok(enrich(
            vars,
            lang,
            office.as_ref(),
            &clerk,
            &signers,
            self.parts.clock.now(),
        ))
    }

    /// The accounts of `logins` that exist, by login, read on one connection. Without a
    /// store (a preview), none.
    async fn accounts(
        &self,
        logins: &[&str],
    ) -> Result<std::collections::HashMap<String, crate::accounts::Account>, JobError> {
        let mut found = std::collections::HashMap::new();
        let Some(store) = self.store.get().filter(|_| !logins.is_empty()) else {
            return Ok(found);
        };
        let retry = |e: &dyn std::fmt::Display| {
            JobError::Retryable(format!("reading the clerks' accounts: {e}"))
        };
        let mut conn = store.read().await.map_err(|e| retry(&e))?;
        for &login in logins {
            if let Some(account) = crate::store::accounts::account_by_login(&mut conn, login)
                .await
                .map_err(|e| retry(&e))?
            {
                found.insert(login.to_string(), account);
            }
        }
        Ok(found)
    }

    fn render(
        &self,
        template: &str,
        lang: Language,
        part: Part,
        vars: &Value,
    ) -> Result<String, JobError> {
        // A template that does not render will not render on a retry either: an incident
        // an administrator reads, with the template and the missing variable.
        self.parts
            .templates
            .render(template, lang, part, vars)
            .map_err(|e| JobError::Fatal(e.to_string()))
    }

    async fn email(
        &self,
        key: &str,
        to: &str,
        template: &str,
        lang: Language,
        credentials: Option<&str>,
        vars: &Value,
    ) -> Result<Outcome, JobError> {
        let found = match to.strip_prefix(ACCOUNT) {
            Some(login) => Some(self.account_address(login).await?),
            None => None,
        };
        let recipients =
            match found.map_or_else(|| email_recipients(to, vars, &self.parts.staff), Ok) {
                Ok(Recipients::To(r)) => r,
                Ok(Recipients::Skipped(reason)) => {
                    return Ok(Outcome::Done(
                        json!({ "status": "skipped", "reason": reason }),
                    ));
                }
                Err(e) => return Err(JobError::Fatal(e)),
            };
        // Asked for only now, when the e-mail goes: a password set earlier would be one
        // nobody received if this attempt failed.
        let with_password;
        let vars = match credentials {
            Some(login) => {
                let issuer = self.credentials.get().ok_or_else(|| {
                    JobError::Fatal("no issuer of temporary passwords is set up".into())
                })?;
                let password = issuer.issue(login, key).await?;
                let mut v = vars.clone();
                if let Value::Object(map) = &mut v {
                    map.insert("temporary_password".into(), Value::String(password));
                }
                with_password = v;
                &with_password
            }
            None => vars,
        };
        // A template that does not render will not render on a retry either.
        let (subject, text, html) = render_email(&self.parts.templates, template, lang, vars)
            .map_err(|e| JobError::Fatal(e.to_string()))?;
        let email = Email {
            to: recipients,
            subject,
            text,
            html,
            id: format!("{key}.email"),
        };
        self.parts.mailer.send(&email).await?;
        Ok(Outcome::Done(json!({
            "status": "sent",
            "recipients": email.to.len(),
            "message_id": file_key(&email.id, ""),
        })))
    }

    /// The corporate e-mail of `login`'s account, read when the notice goes (an address
    /// changed since the task moved is the one used), for a recipient `account:<login>`.
    ///
    /// An account that is gone, blocked, or has no address that parses is the e-mail
    /// skipped with the reason, not an incident: such a notice tells a clerk that a task moved
    /// (issue #18), the move itself is done and shown on the head's page and in the case's
    /// history, and no retry or administrator can make a blocked account read its mail. A
    /// database that cannot be read now is a retry.
    async fn account_address(&self, login: &str) -> Result<Recipients, JobError> {
        let accounts = self.accounts(&[login]).await?;
        Ok(match accounts.get(login) {
            None if self.store.get().is_none() => {
                return Err(JobError::Retryable("the accounts are not open yet".into()));
            }
            None => Recipients::Skipped("no account has this login"),
            Some(a) if !a.is_active() => Recipients::Skipped("the account is blocked"),
            Some(a) if crate::domain::Email::parse(&a.email).is_err() => {
                Recipients::Skipped("the account has no valid e-mail address")
            }
            Some(a) => Recipients::To(vec![a.email.clone()]),
        })
    }

    async fn sms(
        &self,
        key: &str,
        to: &str,
        template: &str,
        lang: Language,
        urgent: bool,
        vars: &Value,
    ) -> Result<Outcome, JobError> {
        let phone = match sms_recipient(to, vars) {
            Ok(phone) => phone,
            Err(reason) => {
                return Ok(Outcome::Done(
                    json!({ "status": "skipped", "reason": reason }),
                ));
            }
        };
        if !urgent && let Some(at) = quiet::sms_not_before(self.parts.clock.now()) {
            return Ok(Outcome::Deferred(at));
        }
        let text = self.render(template, lang, Part::Sms, vars)?;
        let count = segments::count(&text);
        let receipt = self
            .parts
            .sms
            .send(&Sms {
                id: format!("{key}.sms"),
                to: phone,
                text,
            })
            .await?;
        Ok(Outcome::Done(json!({
            "status": receipt.status,
            "provider_id": receipt.provider_id,
            "segments": count.segments,
            "encoding": count.encoding,
        })))
    }

    /// The HTML of a document job's work: its template rendered in the case's language
    /// with the variables the case wrote, enriched as for every message ([`enrich`]). What
    /// the job records when it runs, and what a clerk who opens the document before it ran
    /// is shown (`api::documents`): one function, so the two cannot differ.
    pub async fn document_html(&self, template: &str, vars: &Value) -> Result<String, JobError> {
        let lang = language(vars)?;
        let vars = self.enrich(vars, lang).await?;
        self.render(template, lang, Part::Html, &vars)
    }

    /// Renders the document, writes it to `documents/<key>.html` (a file that exists is the
    /// same job performed before a crash) and records its HTML in the job's output: the
    /// file is this process's, the output is the database's, so every engine process on a
    /// shared database serves the document as it was issued.
    async fn document(
        &self,
        key: &str,
        template: &str,
        kind: Option<&str>,
        vars: &Value,
    ) -> Result<Value, JobError> {
        let lang = language(vars)?;
        let html = self.document_html(template, vars).await?;
        let dir = self.documents.clone();
        let file = format!("{}.html", file_key(key, ""));
        let content = html.clone();
        let (path, new) = tokio::task::spawn_blocking(move || place_file(&dir, &file, &content))
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?
            .map_err(JobError::Retryable)?;
        Ok(json!({
            "file": path,
            "template": template,
            "kind": kind,
            "language": lang_code(lang),
            "repeat": !new,
            "html": html,
        }))
    }
}

impl Performer for NotifyPerformer {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Notify {
                    to,
                    template,
                    channels,
                    urgent,
                    credentials,
                    vars,
                    ..
                } => {
                    self.notify(
                        key,
                        to,
                        template,
                        channels,
                        *urgent,
                        credentials.as_deref(),
                        vars,
                    )
                    .await
                }
                Work::Document {
                    template,
                    kind,
                    vars,
                } => self.document(key, template, kind.as_deref(), vars).await,
                _ => Err(JobError::Fatal("not a notification".into())),
            }
        })
    }
}

/// A recorded outcome, marked as found on a repeat.
fn repeat(mut done: Value) -> Value {
    if let Value::Object(map) = &mut done {
        map.insert("repeat".into(), Value::Bool(true));
    }
    done
}

/// The case's language, from `vars.language`.
fn language(vars: &Value) -> Result<Language, JobError> {
    vars.get("language")
        .and_then(Value::as_str)
        .and_then(parse_lang)
        .ok_or_else(|| JobError::Fatal("the variables give no language (kk or ru)".into()))
}
