//! `qyzmet mass-event --service S --event E --payload FILE.json`: one life event for every
//! active case of a service, entered and run in this process against the database
//! ([`crate::mass_event`]) — while `serve` is down (an SQLite file belongs to one process), or
//! on a shared PostgreSQL beside running servers, which leave it alone while this process
//! holds its lease.
//!
//! The payload is checked against the event's message in the version in force today, every
//! mistake named. An unfinished mass event of the same service, event and payload (a run that
//! was stopped or killed) is resumed rather than entered again; one entered again after it
//! finished finds every case has it already (`already`), and adds nothing. A progress line
//! after each batch: `1200/5000 started 1198, kept 0, already 2, not now 0, failed 0`.
//!
//! Exit codes: 0 the run finished; 1 refused (the payload's mistakes, no such event, another
//! process holds the mass event) or failed; 2 a usage error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::audit::{Action, Entry};
use crate::clock::SystemClock;
use crate::mass_event::{self, Error};
use crate::runtime::Settings;
use crate::store::mass_events::MassEvent;
use crate::worker::{Config, Engine, outbox::FileOutbox};

/// Arguments of `qyzmet mass-event`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The service whose active cases take the event.
    #[arg(long)]
    pub service: String,
    /// The life event, one the service starts by a message with a `once_per` key (`increase`).
    #[arg(long)]
    pub event: String,
    /// A JSON file with the message's fields (`{"act": "…", "from": "2027-01-01", "percent": 8.5}`).
    #[arg(long, value_name = "FILE.json")]
    pub payload: PathBuf,
    /// Who enters it, for the case histories and the audit journal (a staff login).
    #[arg(long, default_value = "system", env = "USER")]
    pub by: String,
    /// Cases per batch (the cursor and the counts are recorded after each).
    #[arg(long, default_value_t = mass_event::BATCH, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub batch: u32,
    /// Where the database lives (`qyzmet.db` in it, unless `--database` says otherwise).
    #[arg(long, default_value = "data", env = "QYZMET_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The database: a PostgreSQL URL or an SQLite file.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// The workflows folder.
    #[arg(long, default_value = "workflows")]
    pub workflows: PathBuf,
    /// The calendars folder.
    #[arg(long, default_value = "calendars", env = "QYZMET_CALENDAR_DIR")]
    pub calendars: PathBuf,
}

/// Runs `qyzmet mass-event`.
pub fn run(args: Args) -> ExitCode {
    let payload = match std::fs::read_to_string(&args.payload)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", args.payload.display());
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(mass(args, payload))
}

async fn mass(args: Args, payload: serde_json::Value) -> ExitCode {
    let database = super::database_location(&args.data_dir, args.database.as_deref());
    let engine = match Engine::start(Config {
        database,
        workflows: args.workflows.clone(),
        calendars: args.calendars.clone(),
        settings: Settings::default(),
        clock: Arc::new(SystemClock),
        // Nothing is performed here: the jobs the cases make wait for `serve`.
        performer: Arc::new(FileOutbox::new(args.data_dir.join("outbox"))),
        number_prefix: "QZ".into(),
    })
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match enter_and_run(&engine, &args, &payload).await {
        Ok(e) => {
            println!("finished: {}", line(&e));
            ExitCode::SUCCESS
        }
        Err(Error::Rejected(fields)) => {
            eprintln!("error: the payload has mistakes:");
            for f in fields {
                eprintln!("  {}: {}", f.field, f.message);
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    };
    engine.store().close().await;
    code
}

async fn enter_and_run(
    engine: &Engine,
    args: &Args,
    payload: &serde_json::Value,
) -> Result<MassEvent, Error> {
    let checked = mass_event::check(engine.shared(), &args.service, &args.event, payload)?;
    let unfinished = mass_event::list(engine).await?.into_iter().find(|e| {
        e.finished_at.is_none()
            && e.service == checked.service
            && e.event == checked.event
            && e.payload == checked.payload
    });
    let event = match unfinished {
        Some(e) => {
            println!(
                "resuming mass event {} after case id {}: {}",
                e.id,
                e.cursor,
                line(&e)
            );
            e
        }
        None => {
            let entry = Entry::new(&args.by, Action::MassEventStarted).source(Some("cli"));
            let e = mass_event::create(engine, checked, &args.by, Some(entry)).await?;
            println!("mass event {} entered: {} active cases", e.id, e.total);
            e
        }
    };
    let stop = CancellationToken::new();
    let done = mass_event::run(engine, event.id, args.batch, &stop, |e| {
        println!("{}", line(e));
        let _ = std::io::stdout().flush();
    })
    .await?;
    done.ok_or_else(|| {
        Error::Engine(crate::worker::Error::Conflict(format!(
            "another process holds mass event {}; it goes on there",
            event.id
        )))
    })
}

/// `1200/5000 started 1198, kept 0, already 2, not now 0, failed 0`.
fn line(e: &MassEvent) -> String {
    let c = &e.counts;
    format!(
        "{}/{} started {}, kept {}, already {}, not now {}, failed {}",
        c.done(),
        e.total,
        c.started,
        c.kept,
        c.duplicate,
        c.not_now,
        c.failed
    )
}
