//! A whole qyzmet: the engine with its real performers, the HTTP API with the integration
//! endpoints, and — in the embedded default — the simulator of the state systems.
//!
//! `qyzmet serve` is this module plus a socket and signal handling; the end-to-end tests
//! start the same [`Service`] with a manual clock, so what they check is what runs.
//!
//! What performs each kind of outbox work:
//! - data requests: [`GatewayPerformer`] over `config/connectors.yaml` (a connector the file
//!   does not configure gets the stub answers of [`FileOutbox`]);
//! - stage reports: [`StagePerformer`] to the monitoring endpoint of that file (or the file
//!   outbox when none is configured);
//! - notifications and documents: [`NotifyPerformer`] (e-mail by SMTP or `.eml` files, SMS
//!   by an HTTP aggregator or JSON files, documents as HTML files);
//! - the `qyzmet.accounts` request of an access request, the temporary password its answer
//!   e-mail carries, and the `qyzmet.unused_accounts` request of the nightly report of
//!   accounts blocked as unused: [`AccountsPerformer`], through the engine's writer.
//! - the `qyzmet.service_cases` request of a report, which counts another service's cases and
//!   links them to it: [`ServiceCasesPerformer`], through the engine's writer.
//!
//! The configuration file (`--config qyzmet.yaml`, see `config/qyzmet.example.yaml`) says
//! how e-mail and SMS leave, who the staff recipients are, where the connectors file is and
//! whether the simulator runs. Without it, the embedded default: everything to files under
//! the data directory, the simulator in-process, no server needed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::accounts::performer::{self as accounts_performer, AccountsPerformer};
use crate::clock::Clock;
use crate::definition::{self, messages::Lang};
use crate::diagnostic::Diagnostic;
use crate::gateway::{
    self, GatewayConfig, GatewayPerformer, Metrics, Routed, StagePerformer, StoreLedger,
    ledger::Deferred,
};
use crate::notify::announce::RulesNotices;
use crate::notify::{self, NotifyConfig, NotifyPerformer};
use crate::runtime::Settings;
use crate::runtime::Work;
use crate::service_cases::{self, ServiceCasesPerformer};
use crate::worker::jobs::{BoxFuture, JobError, Performer};
use crate::worker::outbox::FileOutbox;
use crate::worker::{self, Engine};

impl axum::extract::FromRef<Service> for Engine {
    fn from_ref(service: &Service) -> Engine {
        service.engine.clone()
    }
}

/// Why a service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file has problems, each at its place.
    #[error("{}", crate::diagnostic::lines(.0))]
    Config(Vec<Diagnostic>),
    /// The notifier cannot be set up (templates, transports, secrets).
    #[error(transparent)]
    Notify(#[from] notify::Error),
    /// The gateway cannot be set up (connectors, the HTTP client).
    #[error(transparent)]
    Gateway(#[from] gateway::Error),
    /// The engine cannot start (workflows, calendars, the database).
    #[error(transparent)]
    Engine(#[from] worker::Error),
    /// The simulator cannot listen.
    #[error("the gateway simulator: {0}")]
    Simulator(std::io::Error),
    /// An account operation at start-up failed (the first administrator's password breaks
    /// the policy, the database refused).
    #[error("accounts: {0}")]
    Accounts(String),
    /// The eGov portal channel cannot be set up (a trusted roots file unreadable).
    #[error(transparent)]
    Portal(#[from] crate::api::portal::Error),
}

/// The engine's configuration file (`qyzmet.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// How notifications leave and who the staff recipients are; absent: the embedded
    /// default (files under the data directory).
    #[serde(default)]
    pub notify: Option<NotifyConfig>,
    /// The gateway.
    #[serde(default)]
    pub gateway: GatewaySection,
    /// The prefix of registration numbers.
    #[serde(default)]
    pub number_prefix: Option<String>,
    /// The database.
    #[serde(default)]
    pub database: DatabaseSection,
    /// Scans uploaded on the clerks' pages.
    #[serde(default)]
    pub uploads: UploadsSection,
    /// The daily archiving of closed cases.
    #[serde(default)]
    pub archive: ArchiveSection,
    /// The eGov portal channel: the certifying centres' roots a citizen's signature must
    /// chain to (`api::portal`).
    #[serde(default)]
    pub portal: crate::api::portal::PortalSection,
}

/// The `archive:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSection {
    /// Cases completed or withdrawn more than this many days ago move to the archive, once a
    /// day; by default 1095 (three years: an assumption, the seeds name no age —
    /// [`crate::archive`]). `0`: no daily run (`qyzmet archive run` still works).
    #[serde(default)]
    pub after_days: Option<u32>,
}

/// The `uploads:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadsSection {
    /// The largest scan a clerk may upload, in bytes; by default 10 MiB
    /// ([`crate::uploads::DEFAULT_MAX_BYTES`]). A larger file is refused beside its field.
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
}

/// The `database:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// How long a command waits, in milliseconds, while another program holds the database's
    /// write lock (a backup tool, the `sqlite3` shell) before it is answered 503
    /// `unavailable`; by default 30000. Every command waits behind it: the engine has one
    /// writer.
    #[serde(default)]
    pub lock_wait_ms: Option<u64>,
}

/// The `gateway:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySection {
    /// The connectors file; by default `config/connectors.yaml`.
    #[serde(default)]
    pub connectors: Option<PathBuf>,
    /// Run the simulator of the state systems in-process and point every connector and the
    /// monitoring feed at it (a demonstration or a training installation).
    #[serde(default)]
    pub simulator: bool,
}

impl FileConfig {
    /// Reads the file; a mistake is reported at `file:line:column`.
    pub fn load(path: &Path) -> Result<FileConfig, Error> {
        let doc = crate::yaml::read(path).map_err(Error::Config)?;
        if doc.value().is_null() {
            return Ok(FileConfig::default());
        }
        let config: FileConfig = doc.deserialize().map_err(|d| Error::Config(vec![d]))?;
        if let Some(notify) = &config.notify
            && notify.office.is_none()
        {
            // Found at the first message that cites it, a missing office would hold every
            // notification of every case as an incident; say it before the service starts.
            return Err(Error::Config(vec![doc.diagnostic(
                "/notify",
                "`notify.office` is missing: messages and documents cite the office's name, address and phone",
            )]));
        }
        Ok(config)
    }

    /// The embedded default: files for e-mail and SMS, the simulator in-process.
    pub fn embedded() -> FileConfig {
        FileConfig {
            notify: None,
            gateway: GatewaySection {
                connectors: None,
                simulator: true,
            },
            number_prefix: None,
            database: DatabaseSection::default(),
            uploads: UploadsSection::default(),
            archive: ArchiveSection::default(),
            portal: Default::default(),
        }
    }
}

/// Data requests: the engine's own connectors (the access request's effect, the nightly
/// report of accounts blocked as unused, the cases a report counts) here, every other
/// connector to the gateway.
struct Requests {
    accounts: Arc<AccountsPerformer>,
    cases: Arc<ServiceCasesPerformer>,
    gateway: Arc<GatewayPerformer>,
}

impl Performer for Requests {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<serde_json::Value, JobError>> {
        match work {
            Work::Request { connector, .. } if accounts_performer::performs(connector) => {
                self.accounts.perform(key, work)
            }
            Work::Request { connector, .. } if connector == service_cases::CONNECTOR => {
                self.cases.perform(key, work)
            }
            _ => self.gateway.perform(key, work),
        }
    }
}

/// Reads a secret by environment variable name: the process environment in `serve`, a
/// test's own map in tests (which then need not touch the process environment).
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where a service finds its files, and its clock.
pub struct Options {
    /// The database; `None`: `qyzmet.db` in the data directory.
    pub database: Option<crate::store::Location>,
    /// The database (unless `database` says otherwise), the outbox and the documents.
    pub data_dir: PathBuf,
    /// The workflows folder (with `catalog.yaml`).
    pub workflows: PathBuf,
    /// The calendars folder.
    pub calendars: PathBuf,
    /// The templates folder.
    pub templates: PathBuf,
    /// The configuration.
    pub config: FileConfig,
    /// The clock (a manual one in tests).
    pub clock: Arc<dyn Clock>,
    /// Secrets by environment variable name (the process environment in `serve`).
    pub env: Env,
}

/// A running service: the engine and what performs its work.
#[derive(Clone)]
pub struct Service {
    /// The engine.
    pub engine: Engine,
    /// The notifier.
    pub notify: Arc<NotifyPerformer>,
    /// The gateway.
    pub gateway: Arc<GatewayPerformer>,
    /// The monitoring feed, when a monitoring endpoint is configured.
    pub feed: Option<Arc<StagePerformer>>,
    /// The metrics of `/metrics`.
    pub metrics: Metrics,
    /// The read-only questions of the feed and the metrics.
    pub ledger: Arc<StoreLedger>,
    /// The in-process simulator and its base URL, when it runs.
    pub simulator: Option<(String, Arc<gateway::sim::Sim>)>,
    /// The catalog (`workflows/catalog.yaml`): the titles of roles the pages show.
    pub catalog: Arc<definition::catalog::Catalog>,
    /// The scans clerks upload, under `<data-dir>/uploads`.
    pub uploads: Arc<crate::uploads::Uploads>,
    /// The task forms kept for a clerk across a claim, a confirmation or an expired session.
    pub drafts: Arc<crate::web::Drafts>,
    /// The change-of-rules notices: at start, and on a deployment through the API.
    rules: Arc<RulesNotices>,
    /// Secrets by environment variable name.
    env: Env,
    /// The age in days after which the daily run archives a closed case; 0: no daily run.
    archive_after_days: u32,
    /// The eGov portal channel: the trusted roots its signatures are verified against.
    pub portal: Arc<crate::api::portal::Portal>,
}

impl Service {
    /// Builds the performers, starts the simulator if asked, opens the engine.
    pub async fn start(options: Options) -> Result<Service, Error> {
        std::fs::create_dir_all(&options.data_dir).map_err(|e| {
            Error::Engine(worker::Error::Setup(format!(
                "{}: {e}",
                options.data_dir.display()
            )))
        })?;
        let notify_config = match options.config.notify {
            Some(mut c) => {
                c.templates = options.templates.clone();
                c.data_dir = options.data_dir.clone();
                c
            }
            None => NotifyConfig::demo(options.templates.clone(), options.data_dir.clone()),
        };
        let env = options.env.clone();
        let portal = Arc::new(crate::api::portal::Portal::load(
            &options.config.portal,
            &|name| env(name),
        )?);
        let notify = Arc::new(NotifyPerformer::with_env(
            notify_config,
            options.clock.clone(),
            &|name| env(name),
        )?);
        let stub = Arc::new(FileOutbox::new(options.data_dir.join("outbox")));

        let catalog_file = options.workflows.join(definition::CATALOG_FILE);
        let catalog = definition::load_catalog(&catalog_file, Lang::En).map_err(Error::Config)?;
        let connectors = options
            .config
            .gateway
            .connectors
            .clone()
            .unwrap_or_else(|| PathBuf::from("config/connectors.yaml"));
        let env = options.env.clone();
        let mut gw_config =
            GatewayConfig::load(&connectors, &catalog, &|name| env(name)).map_err(Error::Config)?;
        let simulator = if options.config.gateway.simulator {
            let (base, sim) = gateway::sim::spawn().await.map_err(Error::Simulator)?;
            gw_config.rebase(&base);
            tracing::info!(%base, "gateway simulator running in-process");
            Some((base, sim))
        } else {
            None
        };
        let metrics = Metrics::new();
        let monitoring = gw_config.monitoring.clone();
        let gateway = Arc::new(
            GatewayPerformer::new(gw_config, options.clock.clone(), metrics.clone())?
                .with_fallback(stub.clone()),
        );
        // The feed reads the store, which the engine opens: it asks through a slot set below.
        let slot = Arc::new(Deferred::default());
        let feed = match monitoring {
            Some(m) => Some(Arc::new(StagePerformer::new(
                m,
                slot.clone(),
                metrics.clone(),
            )?)),
            None => None,
        };
        let stages: Arc<dyn Performer> = match &feed {
            Some(f) => f.clone(),
            None => stub.clone(),
        };
        let accounts = Arc::new(AccountsPerformer::new());
        let cases = Arc::new(ServiceCasesPerformer::new());
        notify.set_credentials(accounts.clone());
        // A clerk's position on documents: the catalog's title of the account's first role
        // where the case names no role for the task the clerk completed.
        notify.set_role_titles(
            catalog
                .roles
                .iter()
                .map(|(id, role)| (id.clone(), role.title.clone()))
                .collect(),
        );
        let uploads = Arc::new(crate::uploads::Uploads::new(
            options.data_dir.join("uploads"),
            options
                .config
                .uploads
                .max_file_bytes
                .unwrap_or(crate::uploads::DEFAULT_MAX_BYTES),
        ));
        let lock_wait = options
            .config
            .database
            .lock_wait_ms
            .map_or(crate::store::Store::LOCK_WAIT, StdDuration::from_millis);
        let engine_config = worker::Config {
            database: options
                .database
                .clone()
                .unwrap_or_else(|| options.data_dir.join("qyzmet.db").into()),
            workflows: options.workflows,
            calendars: options.calendars,
            settings: Settings::default(),
            clock: options.clock,
            performer: Arc::new(Routed {
                requests: Arc::new(Requests {
                    accounts: accounts.clone(),
                    cases: cases.clone(),
                    gateway: gateway.clone(),
                }),
                stages,
                rest: notify.clone(),
            }),
            number_prefix: options.config.number_prefix.unwrap_or_else(|| "QZ".into()),
        };
        let engine = Engine::start_with(engine_config, lock_wait).await?;
        let counted = metrics.clone();
        engine.watch_unavailable(Arc::new(move |why| counted.database_unavailable(why)));
        engine.observe(Arc::new(metrics.clone()));
        // An asynchronous connector whose answers nobody may post would fail every case
        // that uses it: refuse to start (`GatewayConfig::unanswerable` says what is assumed).
        let answerable = {
            let mut conn = engine
                .store()
                .read()
                .await
                .map_err(|e| Error::Accounts(e.to_string()))?;
            crate::store::accounts::role_holds_api_token(
                &mut conn,
                crate::accounts::Role::GatewaySystem,
            )
            .await
            .map_err(|e| Error::Accounts(e.to_string()))?
        };
        let unanswerable = gateway.config().unanswerable(answerable);
        if !unanswerable.is_empty() {
            return Err(Error::Config(unanswerable));
        }
        accounts.set_engine(&engine);
        cases.set_engine(&engine);
        notify.use_store(engine.store().unowned());
        let rules = Arc::new(RulesNotices::new(notify.clone()));
        engine.set_announcer(rules.clone());
        let ledger = Arc::new(StoreLedger::new(engine.store().clone()));
        slot.set(ledger.clone());
        Ok(Service {
            engine,
            notify,
            gateway,
            feed,
            metrics,
            ledger,
            simulator,
            catalog: Arc::new(catalog),
            uploads,
            drafts: Arc::default(),
            rules,
            env: options.env,
            archive_after_days: options
                .config
                .archive
                .after_days
                .unwrap_or(crate::archive::DEFAULT_AFTER_DAYS),
            portal,
        })
    }

    /// The daily archiving loop of `archive.after_days`; `None` when it is `0`.
    pub fn archive_daily(&self) -> Option<crate::archive::Daily> {
        (self.archive_after_days > 0)
            .then(|| crate::archive::Daily::new(self.engine.clone(), self.archive_after_days))
    }

    /// The whole HTTP surface: the engine's API, the integration endpoints, and the clerks'
    /// pages; every request of each in its `request` span, counted by matched route
    /// ([`crate::telemetry::observe_requests`]).
    pub fn router(&self) -> axum::Router {
        crate::api::router(self.engine.clone())
            .merge(crate::api::integrations::router(self.clone()))
            .merge(crate::web::router(self.clone()))
            .layer(axum::middleware::from_fn_with_state(
                self.metrics.clone(),
                crate::telemetry::observe_requests,
            ))
    }

    /// Sends the change-of-rules notice (seeds/004 item 20) of every state-service version
    /// the engine runs, and of every version deployed through the API since whose notice
    /// did not go, unless sent before; returns how many are still unsent. The sent-record
    /// keys each notice by service and version, so a restart sends none twice, and a
    /// version told when it was deployed is not told again when it starts to run
    /// (`notify::announce`).
    pub async fn send_rules_notices(&self) -> usize {
        self.rules
            .send_owed(&self.engine.shared().library.definitions)
            .await
    }

    /// On a fresh installation (no account yet), creates the first administrator, `admin`,
    /// with the password in `QYZMET_ADMIN_PASSWORD` or a generated temporary one; either
    /// must be changed at first sign-in (seeds/003 item 24). Returns the generated password
    /// for the caller to print once; `None` when accounts exist or the operator chose it.
    pub async fn first_administrator(&self) -> Result<Option<String>, Error> {
        let chosen = (self.env)("QYZMET_ADMIN_PASSWORD").filter(|p| !p.is_empty());
        let given = chosen.clone();
        let created = self
            .engine
            .transact(move |conn, now| {
                let given = given.clone();
                Box::pin(async move {
                    crate::accounts::first_administrator(conn, given.as_deref(), now).await
                })
            })
            .await?
            .map_err(|e| Error::Accounts(e.to_string()))?;
        Ok(created.filter(|_| chosen.is_none()))
    }

    /// Blocks every account not used for more than 30 calendar days (seeds/003 item 28);
    /// returns the logins blocked. Runs at start and then hourly, so no account outlives the
    /// rule by more than an hour, whether or not the nightly `block-unused-accounts` case
    /// runs. That case's request blocks what is due at 01:00 too (the same statement: an
    /// account is blocked once, by whichever comes first) and tells the administrators of
    /// every block not told yet, this sweep's included (`accounts::unused`). Forgets the
    /// wrong passwords of sources quiet for a day while at it.
    pub async fn block_unused_accounts(&self) -> Result<Vec<String>, Error> {
        self.engine
            .transact(|conn, now| {
                Box::pin(async move {
                    crate::accounts::forget_attempts(conn, now).await?;
                    crate::accounts::block_unused(conn, now).await
                })
            })
            .await?
            .map_err(|e| Error::Accounts(e.to_string()))
    }

    /// The hourly sweep of [`Service::block_unused_accounts`].
    pub async fn account_sweep_loop(self, shutdown: CancellationToken) {
        loop {
            match self.block_unused_accounts().await {
                Ok(blocked) if !blocked.is_empty() => {
                    tracing::info!(count = blocked.len(), "accounts unused for 30 days blocked")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the unused-account sweep failed; next try in an hour")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(StdDuration::from_secs(3600)) => {}
            }
        }
    }

    /// Sends the change-of-rules notices owed at start, then waits: for a deployment whose
    /// notice did not go, and, while any is unsent, retries (30 s, doubling to an hour).
    pub async fn rules_notice_loop(self, shutdown: CancellationToken) {
        let mut pause = StdDuration::from_secs(30);
        loop {
            let unsent = self.send_rules_notices().await;
            if unsent == 0 {
                pause = StdDuration::from_secs(30);
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.rules.owed() => {}
                _ = tokio::time::sleep(pause), if unsent > 0 => {
                    pause = (pause * 2).min(StdDuration::from_secs(3600));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example an operator copies loads as it is, offices by role and region included.
    #[test]
    fn the_example_configuration_loads() {
        let config = FileConfig::load(Path::new("config/qyzmet.example.yaml"))
            .unwrap_or_else(|e| panic!("config/qyzmet.example.yaml: {e}"));
        let notify = config.notify.expect("the example configures the notifier");
        assert!(notify.office.is_some());
        assert!(
            notify
                .offices
                .iter()
                .any(|o| o.serves(&["head_of_department".to_string()], Some("almaty"))),
            "{:?}",
            notify.offices
        );
    }
}
