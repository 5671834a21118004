//! The engine's own "connectors": the `qyzmet.accounts` data request of the `access-request`
//! service, and the temporary passwords its answer e-mail carries; and the
//! `qyzmet.unused_accounts` request of the nightly `block-unused-accounts` case, which blocks
//! the accounts unused for more than 30 days and answers with those not yet told to the
//! administrators ([`super::unused`]).
//!
//! An access request is a case like any other (seeds/003 item 19: it is a request, answered
//! within three working days, item 22), so its effect on the accounts is a job of the outbox
//! like a gateway request: retried when the database is busy, recorded once, never done
//! twice ([`super::request`] keys it by the request's number). The work runs through the
//! engine's writer ([`Engine::transact`]), the only way anything writes the database; the
//! engine is opened after its performers, so the service hands it over with [`set_engine`].
//!
//! [`set_engine`]: AccountsPerformer::set_engine

use serde_json::{Value, json};

use super::request::{self, Kind, Request};
use super::{TemporaryPassword, unused};
use crate::notify::Credentials;
use crate::runtime::Work;
use crate::store;
use crate::worker::jobs::{BoxFuture, JobError, Performer};
use crate::worker::{Engine, EngineSlot};

/// The connector id in `workflows/catalog.yaml`.
pub const CONNECTOR: &str = "qyzmet.accounts";

/// The connector of the nightly report of accounts blocked as unused, in
/// `workflows/catalog.yaml`. A contract of its own, not a `kind` of [`CONNECTOR`]: it takes
/// nothing and answers with a list, where an access request names one account and answers
/// with a status.
pub const UNUSED: &str = "qyzmet.unused_accounts";

/// Whether this performer answers `connector`.
pub fn performs(connector: &str) -> bool {
    connector == CONNECTOR || connector == UNUSED
}

/// Performs `qyzmet.accounts` requests and issues temporary passwords.
#[derive(Default)]
pub struct AccountsPerformer {
    engine: EngineSlot,
}

impl AccountsPerformer {
    /// A performer still without its engine: work that reaches it before
    /// [`AccountsPerformer::set_engine`] is retried.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hands over the engine (once; later calls are ignored). Kept weakly: the engine owns
    /// this performer, and must stop when the service does.
    pub fn set_engine(&self, engine: &Engine) {
        self.engine.set(engine);
    }

    async fn apply(&self, key: &str, input: &Value) -> Result<Value, JobError> {
        let field = |name: &str| {
            input
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let kind = field("kind");
        let Some(kind) = Kind::parse(&kind) else {
            // The definition's enum allows only the four; anything else is a bug there.
            return Err(JobError::Fatal(format!(
                "`{kind}` is not a kind of access request (grant, change, block, reactivate)"
            )));
        };
        let request = Request {
            kind,
            login: field("login"),
            full_name: field("full_name"),
            email: field("email"),
            roles: field("roles"),
            region: field("region"),
            // The request's number, known inside the transaction that acts on it.
            basis: String::new(),
        };
        let login = request.login.clone();
        let key = key.to_string();
        let engine = self.engine.get()?;
        // The password a grant or a reactivation sets, hashed here: not in the writer's
        // transaction, which every commit waits for.
        let temporary = temporary().await?;
        let applied = engine
            .transact(move |conn, now| {
                let (key, request, temporary) = (key.clone(), request.clone(), temporary.clone());
                Box::pin(async move {
                    let request = Request {
                        basis: request_number(conn, &key).await?,
                        ..request
                    };
                    request::apply(conn, &request, &temporary, now)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?
            .map_err(JobError::Retryable)?;
        Ok(match applied.problem(&login) {
            Some(problem) => json!({ "status": applied.status(), "problem": problem }),
            None => json!({ "status": applied.status() }),
        })
    }
}

impl AccountsPerformer {
    /// Blocks what is due and answers with every block not yet told (`count`, `accounts`),
    /// marked as told by the case of job `key`; see [`super::unused`] for why a repeat
    /// answers the same.
    async fn report_unused(&self, key: &str) -> Result<Value, JobError> {
        let key = key.to_string();
        let told = self
            .engine
            .get()?
            .transact(move |conn, now| {
                let key = key.clone();
                Box::pin(async move {
                    let report = request_number(conn, &key).await?;
                    unused::block_and_report(conn, &report, now)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?
            .map_err(JobError::Retryable)?;
        // The count only: the answer names people.
        tracing::info!(
            count = told.len(),
            "accounts blocked as unused, reported to the administrators"
        );
        Ok(json!({ "count": told.len(), "accounts": unused::lines(&told) }))
    }
}

/// A temporary password, hashed on a blocking thread before the writer's transaction; a
/// failure is retried with the job.
async fn temporary() -> Result<TemporaryPassword, JobError> {
    TemporaryPassword::new()
        .await
        .map_err(|e| JobError::Retryable(e.to_string()))
}

/// The registration number of the case whose job `key` is: the basis of what the job does.
async fn request_number(conn: &mut store::Conn, key: &str) -> Result<String, String> {
    store::accounts::case_number_of_job(conn, key)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("job {key} belongs to no case"))
}

impl Performer for AccountsPerformer {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Request {
                    connector, input, ..
                } if connector == CONNECTOR => self.apply(key, input).await,
                Work::Request { connector, .. } if connector == UNUSED => {
                    self.report_unused(key).await
                }
                _ => Err(JobError::Fatal(format!(
                    "not a `{CONNECTOR}` or `{UNUSED}` request: the accounts performer got it by mistake"
                ))),
            }
        })
    }
}

impl Credentials for AccountsPerformer {
    fn issue<'a>(
        &'a self,
        login: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, JobError>> {
        Box::pin(async move {
            let (login, key) = (login.to_string(), key.to_string());
            let engine = self.engine.get()?;
            let temporary = temporary().await?;
            let issued = engine
                .transact(move |conn, now| {
                    let (login, key, temporary) = (login.clone(), key.clone(), temporary.clone());
                    Box::pin(async move {
                        let basis = request_number(conn, &key).await?;
                        request::issue_temporary_password(
                            conn,
                            &login,
                            Some(&basis),
                            &temporary,
                            now,
                        )
                        .await
                        .map_err(|e| e.to_string())
                    })
                })
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?
                .map_err(JobError::Retryable)?;
            // A refusal will not change on a retry: an incident for an administrator.
            issued.map_err(|refused| JobError::Fatal(refused.to_string()))
        })
    }
}
