//! The incidents an administrator sees (jobs whose retries ran out), each with its case's
//! number, service and region and since when it has waited: what the incidents page and
//! `GET /incidents` list and filter, and what a bulk retry after an outage retries.

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};
use crate::runtime::Work;

/// An incident with its case.
#[derive(Debug, Clone)]
pub struct Incident {
    /// The job's idempotency key (what a retry names).
    pub key: String,
    /// The case's registration number.
    pub number: String,
    /// The case's service.
    pub service: String,
    /// The case's region.
    pub region: String,
    /// The work that failed.
    pub work: Work,
    /// Attempts made.
    pub attempts: u32,
    /// The last error, as the performer said it (in English, technical).
    pub last_error: Option<String>,
    /// When it became an incident (the job's last change).
    pub since: DateTime<Utc>,
}

/// Which incidents [`incidents`] returns; every part optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Of cases of this service.
    pub service: Option<String>,
    /// Of cases of this region.
    pub region: Option<String>,
    /// Incidents since this time.
    pub since: Option<DateTime<Utc>>,
}

/// The incidents answering `filter`, oldest first.
pub async fn incidents(conn: &mut Conn, filter: &Filter) -> Result<Vec<Incident>, Error> {
    let mut text = String::from(
        "select j.key, c.number, c.service, c.region, j.work, j.attempts, j.last_error, j.updated_at \
         from jobs j join cases c on c.id = j.case_id where j.status = 'incident'",
    );
    if filter.service.is_some() {
        text.push_str(" and c.service = ?");
    }
    if filter.region.is_some() {
        text.push_str(" and c.region = ?");
    }
    if filter.since.is_some() {
        text.push_str(" and j.updated_at >= ?");
    }
    text.push_str(" order by j.updated_at, j.key");
    on!(conn, |c| {
        let mut query = sqlx::query(sql_owned(text));
        for value in [&filter.service, &filter.region].into_iter().flatten() {
            query = query.bind(value.clone());
        }
        if let Some(since) = filter.since {
            query = query.bind(bind_ts(since));
        }
        let rows = query.fetch_all(&mut *c).await?;
        rows.iter()
            .map(|r| {
                Ok(Incident {
                    key: r.try_get(0)?,
                    number: r.try_get(1)?,
                    service: r.try_get(2)?,
                    region: r.try_get(3)?,
                    work: read_json(r, 4, "job")?,
                    attempts: u32::try_from(r.try_get::<i64, _>(5)?).unwrap_or(u32::MAX),
                    last_error: r.try_get(6)?,
                    since: read_ts(r, 7)?,
                })
            })
            .collect()
    })
}
