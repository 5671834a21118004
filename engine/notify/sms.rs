//! SMS providers behind one trait: an HTTP provider for the Kazakhstan aggregators' REST
//! APIs, and a file outbox for the embedded default.
//!
//! The aggregators differ in field names, in where the API key goes and in how they answer,
//! so the HTTP provider is configured, not coded per aggregator: the request's field names,
//! the key's place, the JSON pointers to the message id and the error in the answer, and how
//! the aggregator's delivery states map onto [`DeliveryStatus`]. Delivery status comes back
//! by callback ([`HttpSms::parse_callback`], for the API to route) or by polling
//! ([`SmsProvider::status`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Secret;
use super::sent::place;
use crate::worker::jobs::{BoxFuture, JobError};

/// Where an SMS is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Accepted by the provider, not yet handed to the operator.
    Queued,
    /// Handed to the mobile operator.
    Sent,
    /// The handset confirmed it.
    Delivered,
    /// Rejected or expired: it will not arrive.
    Failed,
}

/// One SMS to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sms {
    /// The client id: the job's idempotency key and the channel, so a repeat is recognisable.
    pub id: String,
    /// The phone number.
    pub to: String,
    /// The text, rendered.
    pub text: String,
}

/// What the provider said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The provider's id of the message, for status queries and callbacks.
    pub provider_id: Option<String>,
    /// Its status as of the answer.
    pub status: DeliveryStatus,
}

/// Sends SMS.
pub trait SmsProvider: Send + Sync {
    /// Sends one message. Timeouts, refused connections, 5xx and 429 are retryable; any
    /// other refusal is fatal.
    fn send<'a>(&'a self, sms: &'a Sms) -> BoxFuture<'a, Result<Receipt, JobError>>;

    /// The delivery status of a message sent earlier, by the provider's id.
    fn status<'a>(
        &'a self,
        provider_id: &'a str,
    ) -> BoxFuture<'a, Result<DeliveryStatus, JobError>>;

    /// The provider's id and status a delivery report (a callback the provider posts to
    /// us) carries; `None` when this provider does not report by callback or the body is
    /// not a report.
    fn parse_callback(&self, _body: &Value) -> Option<(String, DeliveryStatus)> {
        None
    }
}

/// The embedded default: every SMS a JSON file under `dir`, named by its id, that a person
/// can read. A file that exists is the same message written before a crash.
#[derive(Debug, Clone)]
pub struct FileSms {
    /// The folder.
    pub dir: PathBuf,
}

impl SmsProvider for FileSms {
    fn send<'a>(&'a self, sms: &'a Sms) -> BoxFuture<'a, Result<Receipt, JobError>> {
        Box::pin(async move {
            let dir = self.dir.clone();
            let name = super::sent::file_key(&sms.id, "");
            let text = serde_json::to_string_pretty(&json!({
                "id": sms.id,
                "to": sms.to,
                "text": sms.text,
                "segments": super::segments::count(&sms.text),
            }))
            .expect("JSON");
            tokio::task::spawn_blocking(move || place(&dir, &name, &text))
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?
                .map_err(JobError::Retryable)?;
            Ok(Receipt {
                provider_id: Some(sms.id.clone()),
                status: DeliveryStatus::Delivered,
            })
        })
    }

    fn status<'a>(
        &'a self,
        _provider_id: &'a str,
    ) -> BoxFuture<'a, Result<DeliveryStatus, JobError>> {
        Box::pin(async { Ok(DeliveryStatus::Delivered) })
    }
}

/// How the request body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// `application/x-www-form-urlencoded` (most aggregators).
    #[default]
    Form,
    /// A JSON object.
    Json,
}

/// Where the API key goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyPlace {
    /// A query parameter of this name (`?apiKey=…`).
    Query(String),
    /// A field of the body, of this name.
    Field(String),
    /// A header of this name (`Authorization` takes `Bearer <key>`).
    Header(String),
}

/// An HTTP SMS aggregator's API, as configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSmsConfig {
    /// The send endpoint (POST).
    pub url: String,
    /// How the body is encoded.
    #[serde(default)]
    pub encoding: Encoding,
    /// The recipient's field (`recipient`, `phones`, `to`).
    pub recipient_field: String,
    /// The text's field (`text`, `mes`, `message`).
    pub text_field: String,
    /// The sender name's field (`from`, `sender`).
    pub sender_field: String,
    /// The sender name registered with the aggregator (alpha-name).
    pub sender: String,
    /// The field for our message id, where the aggregator takes one (for deduplication).
    #[serde(default)]
    pub client_id_field: Option<String>,
    /// Where the API key goes.
    pub key_place: KeyPlace,
    /// The environment variable holding the API key: never in a file.
    pub api_key_env: String,
    /// A JSON pointer to the provider's message id in the answer (`/data/messageId`).
    #[serde(default)]
    pub id_pointer: Option<String>,
    /// A JSON pointer to an error code in the answer; a value other than 0, "0", "" or null
    /// is a refusal even with HTTP 200 (aggregators answer 200 with `{"code": 1, …}`).
    #[serde(default)]
    pub error_pointer: Option<String>,
    /// The status endpoint for polling, with `{id}` for the provider's id.
    #[serde(default)]
    pub status_url: Option<String>,
    /// A JSON pointer to the status in a status answer or a callback.
    #[serde(default)]
    pub status_pointer: Option<String>,
    /// A JSON pointer to the message id in a callback.
    #[serde(default)]
    pub callback_id_pointer: Option<String>,
    /// The aggregator's status values and what they mean.
    #[serde(default)]
    pub statuses: BTreeMap<String, DeliveryStatus>,
    /// How long one request may take, in milliseconds; slower is a retryable timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// An HTTP SMS aggregator.
pub struct HttpSms {
    config: HttpSmsConfig,
    key: Secret,
    client: reqwest::Client,
}

impl HttpSms {
    /// A provider; the API key is read from the environment variable the configuration names.
    pub fn new(config: HttpSmsConfig) -> Result<Self, super::Error> {
        Self::with_env(config, &|name| std::env::var(name).ok())
    }

    /// A provider whose API key is read through `env`.
    pub fn with_env(
        config: HttpSmsConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, super::Error> {
        let key = Secret::lookup(&config.api_key_env, env)?;
        Self::with_key(config, key)
    }

    /// A provider with the key given (tests).
    pub fn with_key(config: HttpSmsConfig, key: Secret) -> Result<Self, super::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()
            .map_err(|e| super::Error::Config(format!("the HTTP client: {e}")))?;
        Ok(HttpSms {
            config,
            key,
            client,
        })
    }

    /// The message id and status a delivery callback carries, when it carries both.
    pub fn parse_callback(&self, body: &Value) -> Option<(String, DeliveryStatus)> {
        let id = body.pointer(self.config.callback_id_pointer.as_deref()?)?;
        let id = match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let status = self.map_status(body)?;
        Some((id, status))
    }

    fn map_status(&self, body: &Value) -> Option<DeliveryStatus> {
        let raw = body.pointer(self.config.status_pointer.as_deref()?)?;
        let raw = match raw {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.config.statuses.get(&raw).copied()
    }

    fn request(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.key_place {
            KeyPlace::Query(name) => builder.query(&[(name.as_str(), self.key.expose())]),
            KeyPlace::Header(name) if name.eq_ignore_ascii_case("authorization") => {
                builder.header(name.as_str(), format!("Bearer {}", self.key.expose()))
            }
            KeyPlace::Header(name) => builder.header(name.as_str(), self.key.expose()),
            KeyPlace::Field(_) => builder,
        }
    }

    async fn answer(response: reqwest::Response) -> Result<Value, JobError> {
        let status = response.status();
        let text = response.text().await.map_err(|e| transport(&e))?;
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            return Err(JobError::Retryable(format!(
                "the SMS provider answered {status}"
            )));
        }
        if !status.is_success() {
            return Err(JobError::Fatal(format!(
                "the SMS provider refused: {status} {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

fn transport(e: &reqwest::Error) -> JobError {
    if e.is_timeout() {
        JobError::Retryable("the SMS provider did not answer in time".into())
    } else {
        JobError::Retryable(format!("the SMS provider could not be reached: {e}"))
    }
}

fn is_error_code(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !(s.is_empty() || s == "0"),
        Value::Bool(b) => *b,
        _ => true,
    }
}

impl SmsProvider for HttpSms {
    fn parse_callback(&self, body: &Value) -> Option<(String, DeliveryStatus)> {
        HttpSms::parse_callback(self, body)
    }

    fn send<'a>(&'a self, sms: &'a Sms) -> BoxFuture<'a, Result<Receipt, JobError>> {
        Box::pin(async move {
            let c = &self.config;
            let mut fields = serde_json::Map::new();
            fields.insert(c.recipient_field.clone(), json!(sms.to));
            fields.insert(c.text_field.clone(), json!(sms.text));
            fields.insert(c.sender_field.clone(), json!(c.sender));
            if let Some(f) = &c.client_id_field {
                fields.insert(f.clone(), json!(sms.id));
            }
            if let KeyPlace::Field(f) = &c.key_place {
                fields.insert(f.clone(), json!(self.key.expose()));
            }
            let builder = self.request(self.client.post(&c.url));
            let builder = match c.encoding {
                Encoding::Json => builder.json(&Value::Object(fields)),
                Encoding::Form => {
                    let pairs: Vec<(String, String)> = fields
                        .into_iter()
                        .map(|(k, v)| {
                            let v = match v {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (k, v)
                        })
                        .collect();
                    builder.form(&pairs)
                }
            };
            let response = builder.send().await.map_err(|e| transport(&e))?;
            let body = Self::answer(response).await?;
            if let Some(p) = &c.error_pointer
                && let Some(code) = body.pointer(p)
                && is_error_code(code)
            {
                return Err(JobError::Fatal(format!(
                    "the SMS provider refused the message: {}",
                    body.to_string().chars().take(200).collect::<String>()
                )));
            }
            let provider_id =
                c.id_pointer
                    .as_deref()
                    .and_then(|p| body.pointer(p))
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
            Ok(Receipt {
                provider_id,
                status: self.map_status(&body).unwrap_or(DeliveryStatus::Queued),
            })
        })
    }

    fn status<'a>(
        &'a self,
        provider_id: &'a str,
    ) -> BoxFuture<'a, Result<DeliveryStatus, JobError>> {
        Box::pin(async move {
            let Some(url) = &self.config.status_url else {
                return Err(JobError::Fatal(
                    "no status_url is configured: this provider reports by callback".into(),
                ));
            };
            let url = url.replace("{id}", provider_id);
            let response = self
                .request(self.client.get(url))
                .send()
                .await
                .map_err(|e| transport(&e))?;
            let body = Self::answer(response).await?;
            self.map_status(&body)
                .ok_or_else(|| JobError::Retryable("the status answer held no known status".into()))
        })
    }
}
