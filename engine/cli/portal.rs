//! `qyzmet portal`: the eGov portal's side of the portal channel, for a demonstration or a
//! training installation — never for production.
//!
//! - `qyzmet portal test-root > test-root.pem` writes the test PKI's root certificate
//!   ([`crate::signature::test_pki`], "NOT FOR PRODUCTION"), for `portal.trusted_roots` of a
//!   dev installation, so that it accepts test-signed applications;
//! - `qyzmet portal file --service … --application app.json --answers answers.json …` builds
//!   the document a citizen signs on the portal (`{service, application, data}`), signs it with
//!   a test certificate issued for the applicant's IIN, and posts it to
//!   `POST /portal/applications` with the portal account's token, printing the answer; without
//!   `--url` it prints the request body instead, for `curl`.
//!
//! stdout carries the PEM, the body or the answer; a mistake exits 2 with one line on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use base64ct::Encoding;
use serde_json::{Value, json};

use crate::signature::test_pki::{Authority, date};

/// The eGov portal's side, with the test PKI: the test root, and test-signed filings.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print the test root certificate (PEM) for `portal.trusted_roots` of a dev installation.
    TestRoot,
    /// Sign an application with a test certificate and file it as the portal does.
    File(Box<FileArgs>),
}

/// What a test-signed filing is made of.
#[derive(Debug, clap::Args)]
struct FileArgs {
    /// The service's id, e.g. semipalatinsk-nuclear-test-victims.
    #[arg(long)]
    service: String,
    /// A JSON file of the application's fields by data name (`{"applicant.iin": "…", …}`).
    #[arg(long, value_name = "FILE")]
    application: PathBuf,
    /// A JSON file of the state systems' answers the citizen's request received, by connector
    /// (`{"gbd_fl.person": {…}}`); none by default.
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// The name on the test certificate (its CN).
    #[arg(long, default_value = "TEST CITIZEN")]
    name: String,
    /// The IIN on the test certificate; by default the application's `applicant.iin`.
    #[arg(long)]
    iin: Option<String>,
    /// The region the application belongs to.
    #[arg(long, default_value = "almaty")]
    region: String,
    /// The applicant's language, kk or ru.
    #[arg(long, default_value = "kk")]
    language: String,
    /// The applicant agreed to SMS notices.
    #[arg(long)]
    sms_consent: bool,
    /// The service's base URL (`http://127.0.0.1:8080`); without it the body is printed.
    #[arg(long)]
    url: Option<String>,
    /// The API token of the portal's `egov_portal_system` account.
    #[arg(long, env = "QYZMET_PORTAL_TOKEN")]
    token: Option<String>,
}

/// Runs `qyzmet portal` and returns its exit status.
pub fn run(args: Args) -> ExitCode {
    let result = match args.command {
        Command::TestRoot => {
            print!("{}", Authority::root().certificate_pem());
            Ok(())
        }
        Command::File(f) => file(*f),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("qyzmet portal: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_json(path: &PathBuf) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn file(f: FileArgs) -> Result<(), String> {
    let application = read_json(&f.application)?;
    if !application.is_object() {
        return Err(format!(
            "{}: the application is a JSON object of fields",
            f.application.display()
        ));
    }
    let answers = match &f.answers {
        Some(path) => read_json(path)?,
        None => json!({}),
    };
    let iin = match f.iin.clone() {
        Some(iin) => iin,
        None => crate::runtime::get_path(&crate::runtime::normalise(&application), "applicant.iin")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or("the application has no applicant.iin: give --iin")?,
    };
    let document = serde_json::to_vec(&json!({
        "service": f.service,
        "application": application,
        "data": answers,
    }))
    .map_err(|e| e.to_string())?;
    let citizen = Authority::root().issue(&iin, &f.name, date(2026, 1, 1), date(2035, 12, 31));
    let signature = citizen.sign(&document, chrono::Utc::now());
    let body = json!({
        "service": f.service,
        "region": f.region,
        "language": f.language,
        "sms_consent": f.sms_consent,
        "document": base64ct::Base64::encode_string(&document),
        "signature": base64ct::Base64::encode_string(&signature),
    });
    let Some(url) = f.url else {
        println!("{body:#}");
        return Ok(());
    };
    let token = f
        .token
        .ok_or("--token (or QYZMET_PORTAL_TOKEN) is the portal account's API token")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let response = reqwest::Client::new()
            .post(format!("{}/portal/applications", url.trim_end_matches('/')))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        println!("{} {answer:#}", status.as_u16());
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the service answered {status}"))
        }
    })
}
