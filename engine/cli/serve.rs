//! `qyzmet serve`: the HTTP API and the workers.
//!
//! No set-up: without `--config`, the embedded default — the database is a SQLite file under
//! the data directory (created on first start, migrations applied), e-mail and SMS are
//! files under `outbox/` beside it, documents under `documents/`, and the simulator of the
//! state systems runs in-process and answers every data request and the stage feed. With
//! `--config qyzmet.yaml` (see `config/qyzmet.example.yaml`): SMTP, an SMS aggregator, the
//! real gateway. It answers `GET /health` once ready, and stops cleanly on SIGTERM or
//! Ctrl-C: the loops finish their batch, leased jobs are handed back, the database is left
//! consistent. Its log lines go to stderr, human-readable or, with `--log-format json`
//! (`QYZMET_LOG_FORMAT=json`), as JSON lines carrying the request id and the case's number
//! (`crate::telemetry`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::clock::SystemClock;
use crate::service::{FileConfig, Options, Service};
use crate::telemetry::{self, LogFormat};
use tracing_subscriber::util::SubscriberInitExt as _;

/// Arguments of `qyzmet serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the database, the outbox and the documents live.
    #[arg(long, default_value = "data", env = "QYZMET_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The database, when it is not `qyzmet.db` in the data directory: a PostgreSQL URL
    /// (`postgres://user@host:5432/db`), which several `serve` processes may share, or an
    /// SQLite file, which one process owns.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// The address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", env = "QYZMET_LISTEN")]
    pub listen: SocketAddr,
    /// The configuration file (e-mail, SMS, gateway); without it, the embedded default.
    #[arg(long, env = "QYZMET_CONFIG")]
    pub config: Option<PathBuf>,
    /// The workflows folder.
    #[arg(long, default_value = "workflows")]
    pub workflows: PathBuf,
    /// The calendars folder.
    #[arg(long, default_value = "calendars", env = "QYZMET_CALENDAR_DIR")]
    pub calendars: PathBuf,
    /// The templates folder.
    #[arg(long, default_value = "templates", env = "QYZMET_TEMPLATE_DIR")]
    pub templates: PathBuf,
    /// How log lines are written to stderr: `human`, or `json` (one object a line, with the
    /// request id and the case's registration number, for a log collector). Which lines:
    /// `QYZMET_LOG` (`info` by default, e.g. `qyzmet=debug`).
    #[arg(long, value_enum, default_value = "human", env = "QYZMET_LOG_FORMAT")]
    pub log_format: LogFormat,
}

/// Runs `qyzmet serve`.
pub fn run(args: Args) -> ExitCode {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("QYZMET_LOG").unwrap_or_else(|_| "info".into());
    // `try_init`, not only `set_global_default`: it also routes the `log` records of the
    // libraries that use that crate (sqlx, lettre) into the same lines.
    if telemetry::subscriber(args.log_format, filter, std::io::stderr)
        .try_init()
        .is_err()
    {
        eprintln!("warning: a logger was set already; --log-format is ignored");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::embedded(),
    };
    let database = super::database_location(&args.data_dir, args.database.as_deref());
    tracing::info!(database = %database.describe(), "opening the database");
    let service = Service::start(Options {
        database: Some(database),
        data_dir: args.data_dir.clone(),
        workflows: args.workflows,
        calendars: args.calendars,
        templates: args.templates,
        config,
        clock: Arc::new(SystemClock),
        env: Arc::new(|name| std::env::var(name).ok()),
    })
    .await?;
    if let Some(password) = service.first_administrator().await? {
        // Printed once, on the terminal of the person installing: it is the only way in,
        // and it must be changed at first sign-in. Set QYZMET_ADMIN_PASSWORD to choose it.
        eprintln!(
            "first administrator created: login `admin`, temporary password `{password}` (change it at first sign-in; this is the only time it is shown)"
        );
    }
    let engine = service.engine.clone();
    let shutdown = CancellationToken::new();
    let mut loops = engine.spawn_loops(shutdown.clone());
    loops.spawn(service.clone().rules_notice_loop(shutdown.clone()));
    loops.spawn(service.clone().account_sweep_loop(shutdown.clone()));
    // Closed cases older than `archive.after_days`, once a day.
    if let Some(daily) = service.archive_daily() {
        loops.spawn(daily.run(shutdown.clone()));
    }
    // Mass events entered through the API or the page, or left half-way by a run that stopped.
    loops.spawn(crate::mass_event::run_loop(
        engine.clone(),
        shutdown.clone(),
    ));
    // Waves of proactive cases: started by a case's step or through the API.
    loops.spawn(crate::wave::run_loop(
        engine.clone(),
        (*service.uploads).clone(),
        shutdown.clone(),
    ));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "ready");
    eprintln!("qyzmet listening on http://{addr}");
    if let Some((base, _)) = &service.simulator {
        eprintln!("gateway simulator (in-process) on {base}");
    }
    if args.config.is_none() {
        eprintln!(
            "e-mail and SMS are written to {}",
            args.data_dir.join("outbox").display()
        );
    }
    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        stop.cancel();
    });
    let app = service.router();
    let stop = shutdown.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { stop.cancelled().await })
    .await?;
    while loops.join_next().await.is_some() {}
    let released = engine.release_leases().await?;
    tracing::info!(released, "stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
