//! `qyzmet accounts add`: an account (and, for a system, its API token) created on the
//! command line, for an installation's systems (the portal, Prometheus) before the service
//! first starts, and for scripted set-ups. People's accounts are created by an administrator
//! through the API or the pages; this is the same `accounts::register`, journalled the same
//! way, with the operator of the machine as `system`.
//!
//! It opens the database as its owner, so it refuses while `qyzmet serve` runs on it: then
//! use the API (`POST /accounts`, `POST /accounts/{login}/tokens`). A token is revoked the
//! same way, through the running service (`DELETE /accounts/{login}/tokens/{id}`, or the
//! accounts page), which is when it is urgent: there is no command for it here.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::accounts::{self, NewAccount, Role, TemporaryPassword};
use crate::store::Store;

/// Arguments of `qyzmet accounts`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create an account; prints its temporary password (and a token with --token).
    Add(AddArgs),
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The data directory (the database is `qyzmet.db` in it).
    #[arg(long, default_value = "data", env = "QYZMET_DATA_DIR")]
    data_dir: PathBuf,
    /// The database, when it is not `qyzmet.db` in the data directory: a PostgreSQL URL or an
    /// SQLite file (as `serve --database`).
    #[arg(long, env = "DATABASE_URL")]
    database: Option<String>,
    /// The login.
    #[arg(long)]
    login: String,
    /// The person's or the system's full name.
    #[arg(long)]
    full_name: String,
    /// The corporate e-mail.
    #[arg(long)]
    email: String,
    /// A role (repeat for several): front_office_operator, provider_specialist,
    /// state_corporation_specialist, head_of_department, department_director, methodologist,
    /// administrator; for the systems that call back, gateway_system (`POST /gateway/answers`)
    /// or sms_provider_system (`POST /notify/sms/status`).
    #[arg(long = "role", required = true)]
    roles: Vec<Role>,
    /// The region (`kz` for the whole republic).
    #[arg(long)]
    region: String,
    /// Also issue an API token with this name (for a system).
    #[arg(long)]
    token: Option<String>,
}

/// Runs `qyzmet accounts`.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let Command::Add(add) = args.command;
    match runtime.block_on(add_account(add)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn add_account(args: AddArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| format!("{}: {e}", args.data_dir.display()))?;
    let store = Store::open(super::database_location(
        &args.data_dir,
        args.database.as_deref(),
    ))
    .await
    .map_err(|e| e.to_string())?;
    // Hashed before the transaction, as everywhere (`accounts`' module doc).
    let temporary = TemporaryPassword::new().await.map_err(|e| e.to_string())?;
    let mut conn = store.writer().await.map_err(|e| e.to_string())?;
    conn.begin().await.map_err(|e| e.to_string())?;
    let now = {
        use crate::clock::Clock;
        crate::clock::SystemClock.now()
    };
    let new = NewAccount {
        login: args.login,
        full_name: args.full_name,
        email: args.email,
        roles: args.roles,
        region: args.region,
        created_by: crate::audit::SYSTEM.into(),
    };
    let (account, temporary) = accounts::register(&mut conn, &new, &temporary, Some("cli"), now)
        .await
        .map_err(|e| e.to_string())?;
    let token = match &args.token {
        Some(name) => Some(
            accounts::issue_token(
                &mut conn,
                &account,
                name,
                crate::audit::SYSTEM,
                Some("cli"),
                now,
            )
            .await
            .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    conn.commit().await.map_err(|e| e.to_string())?;
    println!(
        "account {} created; temporary password: {temporary}",
        account.login
    );
    if let Some(t) = token {
        println!("API token: {t}");
    }
    Ok(())
}
