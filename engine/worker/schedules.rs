//! Scheduled starts: proactive and periodic cases the engine opens by itself.
//!
//! Each occurrence of a service's `schedule` is claimed by a row in `schedule_runs` in the
//! same transaction that opens its case, so it fires exactly once: across restarts, and
//! across processes sharing one database. After downtime, every occurrence missed since the
//! last one fired (or since the service was first deployed) fires on start, each once, in
//! order; the case records when it was due.

use crate::store::Conn;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Error, Shared};
use crate::definition::Kind;
use crate::runtime::{self, Language, Submission};
use crate::store::{self, tx};

/// Opens the cases of every occurrence due by `now` and not fired yet; returns how many.
pub async fn fire_due(
    shared: &Shared,
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let mut opened = 0;
    let mut services: Vec<&str> = shared
        .library
        .definitions
        .iter()
        .filter(|d| d.kind == Kind::Service && d.schedule.is_some())
        .map(|d| d.id.as_str())
        .collect();
    services.sort_unstable();
    services.dedup();
    for service in services {
        let Some(from) = store::schedule::last_handled(conn, service).await? else {
            continue;
        };
        // Each version contributes the occurrences that fall while it is in force.
        let versions = shared
            .library
            .definitions
            .iter()
            .filter(|d| d.kind == Kind::Service && d.id == service);
        for def in versions {
            let Some(schedule) = &def.schedule else {
                continue;
            };
            let calendar = shared.calendar(&def.calendar)?;
            let due = crate::schedule::occurrences_between(schedule, calendar, from, now)
                .map_err(|e| Error::Setup(format!("schedule of {service} {}: {e}", def.version)))?;
            for occurrence in due {
                if !def.in_force_on(occurrence.local_date)
                    || !store::schedule::claim(conn, service, &occurrence.key, occurrence.at, now)
                        .await?
                {
                    continue;
                }
                let id = tx::next_case_id(conn).await?;
                let number = shared.registration_number(id, now);
                let submission = Submission {
                    data: json!({ "schedule": { "occurrence": occurrence.key, "due_at": occurrence.at } }),
                    channel: "proactive".into(),
                    language: Language::Kk,
                    sms_consent: false,
                    region: "kz".into(),
                };
                let ctx = shared.context(def, calendar, now);
                let t = match runtime::start_scheduled(&ctx, id, &number, &submission) {
                    Ok(t) => t,
                    Err(e) => {
                        // The occurrence stays claimed with no case: it is not retried in a
                        // loop, and `schedule_runs` shows it for an administrator.
                        tracing::error!(service, occurrence = %occurrence.key, error = %e, "a scheduled case could not start");
                        continue;
                    }
                };
                tx::write(conn, &t, None, now).await?;
                store::schedule::started(conn, service, &occurrence.key, id).await?;
                tracing::info!(service, occurrence = %occurrence.key, case = %number, late_seconds = (now - occurrence.at).num_seconds(), "scheduled case opened");
                opened += 1;
            }
        }
    }
    Ok(opened)
}
