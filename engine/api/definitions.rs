//! Service versions: what the engine has deployed, and deploying a new one.
//!
//! - `GET /definitions`, `GET /definitions/{service}`: every version deployed (each one a
//!   start loaded, and each one deployed here since), with its effective dates, whether new
//!   cases start under it today, its hash and titles; any signed-in staff member's.
//! - `POST /definitions`: a methodologist (or an administrator) deploys a new version from
//!   its YAML. It is checked exactly as the next start will check it — by the definition
//!   loader, over the workflows folder as it will be with the file in it, so against the
//!   catalog, the shared sub-workflows, the templates, the calendars and the service's other
//!   versions — and refused with every problem at its line and column. A version that passes
//!   is recorded (`definitions`, with its hash), journalled (`definition_deployed`) and
//!   written to `<workflows>/<service>/<version>.yaml`; then the organisations are told of
//!   the new rules (seeds/004 item 20: within three working days) by the engine's
//!   [`Announcer`](crate::worker::announce::Announcer) — at once, without waiting for the
//!   restart, and once per version.
//!
//! **A deployed version takes effect at the next start of the engine.** The running engine
//! keeps the versions it started with: its definitions are shared, immutable, by every
//! transition in flight, and swapping them under a running writer is not worth the risk for
//! something done a few times a year. Until the restart, `GET /definitions` lists the new
//! version with `running: false`.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::{ApiError, ApiResult, ErrorBody, Source, record};
use crate::accounts::Role;
use crate::audit::Action;
use crate::definition::{self, Definition, Kind};
use crate::diagnostic::Diagnostic;
use crate::store::{self, DefinitionRow};
use crate::worker::announce::Announced;
use crate::worker::{self, Engine};

/// The definitions endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
        .routes(routes!(list, deploy))
        // A definition is read whole before it is parsed: no more than the loader reads.
        .layer(DefaultBodyLimit::max(crate::yaml::MAX_BYTES))
        .routes(routes!(versions_of))
}

/// A title in both languages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Title {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// One deployed version of a service (or of a shared sub-workflow).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Version {
    /// The service's (or sub-workflow's) id.
    pub service: String,
    /// `service` or `subworkflow`.
    pub kind: String,
    /// The version label.
    pub version: String,
    /// The first day new cases start under it.
    pub effective_from: Option<NaiveDate>,
    /// The last day new cases start under it, inclusive; none while no later version ends
    /// it.
    pub effective_until: Option<NaiveDate>,
    /// New cases of the service start under this version today (Asia/Almaty): the running
    /// engine has it, and it is the version in force.
    pub in_force: bool,
    /// The running engine has it loaded. `false`: deployed through `POST /definitions` and
    /// loaded at the next start (or its file has since left the workflows folder).
    pub running: bool,
    /// The hash of its text as deployed; a start refuses a file whose text changed since.
    pub hash: String,
    /// The title.
    pub title: Option<Title>,
    /// When it was first deployed.
    pub deployed_at: DateTime<Utc>,
}

/// Every version the engine has deployed, of every service and sub-workflow, by service
/// and effective date.
#[utoipa::path(
    get,
    path = "/definitions",
    tag = "definitions",
    responses((status = 200, description = "Every version", body = Vec<Version>)),
)]
async fn list(State(engine): State<Engine>, p: Principal) -> ApiResult<Json<Vec<Version>>> {
    Ok(Json(listing(&engine, &p, None).await?))
}

/// The versions of one service (or sub-workflow), by effective date.
#[utoipa::path(
    get,
    path = "/definitions/{service}",
    tag = "definitions",
    params(("service" = String, Path, description = "The service's id")),
    responses(
        (status = 200, description = "Its versions", body = Vec<Version>),
        (status = 404, description = "No version of this service was deployed", body = ErrorBody),
    ),
)]
async fn versions_of(
    State(engine): State<Engine>,
    UrlPath(service): UrlPath<String>,
    p: Principal,
) -> ApiResult<Json<Vec<Version>>> {
    let versions = listing(&engine, &p, Some(&service)).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("service {service}")));
    }
    Ok(Json(versions))
}

/// The versions deployed, of `service` or of all; any signed-in staff member may look.
pub async fn listing(
    engine: &Engine,
    _p: &Principal,
    service: Option<&str>,
) -> ApiResult<Vec<Version>> {
    let rows = engine
        .store()
        .definitions(service)
        .await
        .map_err(|e| ApiError::from(worker::Error::from(e)))?;
    let shared = engine.shared();
    let today = shared
        .clock
        .now()
        .with_timezone(&crate::clock::ZONE)
        .date_naive();
    let mut versions: Vec<Version> = rows
        .into_iter()
        .map(|row| {
            let loaded = shared
                .library
                .definitions
                .iter()
                .find(|d| d.id == row.service && d.version == row.version);
            match loaded {
                Some(def) => Version {
                    kind: kind_name(def.kind).into(),
                    effective_from: Some(def.effective_from),
                    effective_until: def.effective_until,
                    in_force: match def.kind {
                        Kind::Service => shared
                            .library
                            .in_force(&def.id, today)
                            .is_some_and(|d| d.version == def.version),
                        Kind::Subworkflow => def.in_force_on(today),
                    },
                    running: true,
                    title: Some(Title {
                        kk: def.title.kk.clone(),
                        ru: def.title.ru.clone(),
                    }),
                    ..recorded(&row)
                },
                None => pending(&row),
            }
        })
        .collect();
    versions.sort_by(|a, b| {
        (&a.service, a.effective_from, &a.version).cmp(&(&b.service, b.effective_from, &b.version))
    });
    Ok(versions)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Service => "service",
        Kind::Subworkflow => "subworkflow",
    }
}

/// What the `definitions` table says of a version by itself.
fn recorded(row: &DefinitionRow) -> Version {
    Version {
        service: row.service.clone(),
        kind: "service".into(),
        version: row.version.clone(),
        effective_from: None,
        effective_until: None,
        in_force: false,
        running: false,
        hash: row.hash.clone(),
        title: None,
        deployed_at: row.deployed_at,
    }
}

/// A version the running engine has not loaded, as its stored text says.
fn pending(row: &DefinitionRow) -> Version {
    let doc = crate::yaml::parse(Path::new(&row.service), &row.source).ok();
    let value = doc.as_ref().map(|d| d.value()).unwrap_or(&Value::Null);
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
    let date = |pointer: &str| text(pointer).and_then(|t| t.parse::<NaiveDate>().ok());
    Version {
        kind: if value.get("subworkflow").is_some() {
            "subworkflow"
        } else {
            "service"
        }
        .into(),
        effective_from: date("/effective_from"),
        effective_until: date("/effective_until"),
        title: match (text("/title/kk"), text("/title/ru")) {
            (Some(kk), Some(ru)) => Some(Title {
                kk: kk.into(),
                ru: ru.into(),
            }),
            _ => None,
        },
        ..recorded(row)
    }
}

/// A version deployed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deployed {
    /// The service.
    pub service: String,
    /// The version.
    pub version: String,
    /// Always `true`: the version is in the workflows folder and the engine loads it at
    /// its next start; until then new cases start under the versions it runs.
    pub active_after_restart: bool,
    /// The running engine has this very version already (the same text deployed again).
    pub running: bool,
    /// What became of the change-of-rules notice to the contact centre, the provider, the
    /// State Corporation and the eGov operator (seeds/004 item 20). Absent when the running
    /// engine has this version already (told when it started) or the engine tells nobody.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_notice: Option<Announced>,
}

/// The media types a definition may be posted as.
const YAML_TYPES: [&str; 5] = [
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "text/plain",
];

/// Deploys a new version of a service from its YAML; a methodologist's or an
/// administrator's. The version is checked as the next start will check it and written to
/// `<workflows>/<service>/<version>.yaml`; **it takes effect when the engine next starts**.
/// Posting the same text again changes nothing.
#[utoipa::path(
    post,
    path = "/definitions",
    tag = "definitions",
    request_body(
        description = "The version's YAML, as a methodologist writes it (`workflows/README.md`)",
        content((String = "application/yaml"), (String = "text/plain")),
    ),
    responses(
        (status = 202, description = "Deployed: written and recorded, in force from the next start", body = Deployed),
        (status = 200, description = "This text of this version is running already", body = Deployed),
        (status = 409, description = "This version exists with a different text: give the change a new version", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB (`yaml::MAX_BYTES`)", body = ErrorBody),
        (status = 415, description = "Not YAML (`application/yaml` or `text/plain`)", body = ErrorBody),
        (status = 422, description = "The definition has problems: one entry per problem in `fields`, `{file, line, column, message, hint}`", body = ErrorBody),
    ),
)]
async fn deploy(
    State(engine): State<Engine>,
    source: Source,
    p: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Deployed>)> {
    may_deploy(&p)?;
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !media.as_deref().is_some_and(|m| YAML_TYPES.contains(&m)) {
        return Err(ApiError::UnsupportedMediaType(
            "send the definition as YAML: `Content-Type: application/yaml` (or `text/plain`)"
                .into(),
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(e.body_text())
        } else {
            ApiError::Invalid(e.body_text(), Value::Null)
        }
    })?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::Invalid("the definition is not UTF-8 text".into(), Value::Null))?;
    let deployed = deploying(&engine, &p, text, &source).await?;
    let status = if deployed.running {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(deployed)))
}

fn may_deploy(p: &Principal) -> Result<(), ApiError> {
    p.require(&[Role::Methodologist, Role::Administrator])
}

/// One deployment at a time: each is checked against the folder as the ones before it left
/// it, so two versions that each fit alone cannot both be written when together they would
/// not.
static DEPLOYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `p` deploys `text` as a new version of its service: checked as the next start will
/// check it, recorded and journalled in one transaction, then written to the workflows
/// folder. What `POST /definitions` does.
pub async fn deploying(
    engine: &Engine,
    p: &Principal,
    text: String,
    source: &Source,
) -> ApiResult<Deployed> {
    may_deploy(p)?;
    let _turn = DEPLOYING.lock().await;
    let root = engine.shared().workflows.clone();
    let checked = {
        let (root, text) = (root.clone(), text.clone());
        tokio::task::spawn_blocking(move || check(&root, &text))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "checking a definition failed");
                ApiError::Internal
            })??
    };
    let Checked {
        service,
        version,
        target,
        new,
        previous,
    } = checked;
    let running = engine
        .shared()
        .definitions
        .contains_key(&(service.clone(), version.clone()));
    let hash = worker::content_hash(&text);

    // Written beside its place under a name the loader skips, recorded, then renamed into
    // place: a failure leaves either nothing, or a record that posting again completes.
    let temp = target.with_file_name(format!(
        ".{version}.yaml.{:016x}.tmp",
        rand::random::<u64>()
    ));
    if let Err(e) = write(&temp, &text).await {
        tracing::error!(file = %temp.display(), error = %e, "writing a deployed definition failed");
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(ApiError::Internal);
    }
    let entry = record(
        p.login(),
        Action::DefinitionDeployed,
        &format!("{service}/{version}"),
        source,
    )
    .details(json!({ "service": service, "version": version, "hash": hash }));
    let recorded = {
        let (service, version, hash, text) =
            (service.clone(), version.clone(), hash.clone(), text.clone());
        engine
            .transact(move |conn, now| {
                let (service, version, hash, text, entry) = (
                    service.clone(),
                    version.clone(),
                    hash.clone(),
                    text.clone(),
                    entry.clone(),
                );
                Box::pin(async move {
                    let stored = store::tx::deploy(conn, &service, &version, &hash, &text, now)
                        .await
                        .map_err(|e| Refused::Failed(e.to_string()))?;
                    match stored {
                        Some(stored) if stored != hash => Err(Refused::Different),
                        Some(_) => Ok(()),
                        None => store::audit::append(conn, &entry, now)
                            .await
                            .map(|_| ())
                            .map_err(|e| Refused::Failed(e.to_string())),
                    }
                })
            })
            .await
    };
    let refused = match recorded {
        Ok(Ok(())) => None,
        Ok(Err(Refused::Different)) => Some(ApiError::Conflict(format!(
            "version {version} of {service} was deployed with a different text; give the change a new version"
        ))),
        Ok(Err(Refused::Failed(e))) => {
            tracing::error!(error = %e, "recording a deployed definition failed");
            Some(ApiError::Internal)
        }
        Err(e) => Some(ApiError::from(e)),
    };
    if let Some(e) = refused {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(e);
    }
    if let Err(e) = tokio::fs::rename(&temp, &target).await {
        tracing::error!(file = %target.display(), error = %e, "putting a deployed definition in place failed");
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(ApiError::Internal);
    }
    tracing::info!(%service, %version, by = p.login(), "definition deployed; in force from the next start");
    // After the version is recorded and in place: a notice that does not go now is owed by
    // that record, and sent by the service's loop or at the next start.
    let rules_notice = match engine.shared().announcer.get() {
        Some(announcer) if !running => Some(announcer.deployed(&new, previous.as_ref()).await),
        _ => None,
    };
    Ok(Deployed {
        service,
        version,
        active_after_restart: true,
        running,
        rules_notice,
    })
}

/// Why recording a deployment did not happen.
enum Refused {
    /// The version is recorded with another text.
    Different,
    /// The database failed.
    Failed(String),
}

async fn write(path: &Path, text: &str) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut file = tokio::fs::File::create(path).await?;
    file.write_all(text.as_bytes()).await?;
    file.sync_all().await
}

/// A posted version that passed the checks, and where it goes.
struct Checked {
    service: String,
    version: String,
    target: PathBuf,
    /// The version, compiled.
    new: Definition,
    /// The version of the service before it, for the change-of-rules notice.
    previous: Option<Definition>,
}

/// The name problems are placed at while the posted text names no service and version.
const POSTED: &str = "posted.yaml";

/// Checks `text` as the next start will: the folder `root` loaded with `text` in its place.
fn check(root: &Path, text: &str) -> Result<Checked, ApiError> {
    let posted = root.join(POSTED);
    let doc = crate::yaml::parse(&posted, text).map_err(|d| invalid(root, &d))?;
    let value = doc.value();
    if value.get("subworkflow").is_some() && value.get("service").is_none() {
        return Err(invalid(
            root,
            &[doc.diagnostic(
                "/subworkflow",
                "a sub-workflow is shared by the services that call it and is deployed with the workflows folder, not through the API",
            )],
        ));
    }
    let named = (
        value.get("service").and_then(Value::as_str),
        value.get("version").and_then(Value::as_str),
    );
    let target = match named {
        (Some(service), Some(version)) if is_id(service) => {
            if !is_label(version) {
                return Err(invalid(
                    root,
                    &[doc.value_diagnostic(
                        "/version",
                        format!(
                            "`{version}` cannot name the version's file: use letters, digits, `.`, `_` and `-`, as in `2026-04-13`"
                        ),
                    )],
                ));
            }
            root.join(service).join(format!("{version}.yaml"))
        }
        // The loader says what is wrong with the names.
        _ => posted.clone(),
    };
    if target.is_file() {
        let existing = std::fs::read_to_string(&target).map_err(|e| {
            tracing::error!(file = %target.display(), error = %e, "reading a definition failed");
            ApiError::Internal
        })?;
        if existing != text {
            let (service, version) = (named.0.unwrap_or_default(), named.1.unwrap_or_default());
            return Err(ApiError::Conflict(format!(
                "version {version} of {service} exists with a different text; give the change a new version"
            )));
        }
    }
    let report = definition::load_with(root, &target, text, &definition::Options::default());
    if !report.diagnostics.is_empty() {
        return Err(invalid(root, &report.diagnostics));
    }
    let def = report
        .library
        .definitions
        .iter()
        .find(|d| d.file == target && d.kind == Kind::Service && target != posted)
        .ok_or_else(|| {
            invalid(
                root,
                &[doc.diagnostic("", "the definition names no `service` and `version`")],
            )
        })?;
    Ok(Checked {
        service: def.id.clone(),
        version: def.version.clone(),
        target,
        previous: crate::notify::rules::previous(&report.library.definitions, def).cloned(),
        new: def.clone(),
    })
}

/// A service id, as the format allows it (`^[a-z][a-z0-9-]*$`).
fn is_id(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A version label that can name a file in the service's folder.
fn is_label(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// 422 with every problem at its place, the files named from the folder that holds the
/// workflows (`workflows/…`, `templates/…`), never by the server's absolute paths.
fn invalid(root: &Path, diagnostics: &[Diagnostic]) -> ApiError {
    let base = root.parent().unwrap_or(Path::new(""));
    let name = |file: &Path| {
        file.strip_prefix(base)
            .or_else(|_| file.strip_prefix(root))
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from(file.file_name().unwrap_or_default()))
    };
    let fields: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "file": name(&d.file).display().to_string(),
                "line": d.line,
                "column": d.column,
                "message": d.message,
                "hint": d.hint,
            })
        })
        .collect();
    let lines: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            Diagnostic {
                file: name(&d.file),
                ..d.clone()
            }
            .to_string()
        })
        .collect();
    ApiError::Invalid(
        format!(
            "the definition has {} problem{}; nothing is deployed:\n{}",
            diagnostics.len(),
            if diagnostics.len() == 1 { "" } else { "s" },
            lines.join("\n")
        ),
        Value::Array(fields),
    )
}
