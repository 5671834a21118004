//! Which uploaded scan belongs to which case: the `uploads` table (migrations 0012, postgres
//! 0003). The files themselves are under the data directory by hash ([`crate::uploads`]).

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};

/// One scan of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The data field it was received for (`documents.identity`).
    pub field: String,
    /// The SHA-256 of its content, lowercase hex.
    pub sha256: String,
    /// Its name on the clerk's computer.
    pub name: String,
    /// Its media type, sniffed from its content.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An [`Upload`] from a row of the columns the reads select, in the backend's types.
macro_rules! read {
    ($r:expr) => {
        (|r: &DbRow| -> Result<Upload, Error> {
            Ok(Upload {
                field: r.try_get(0)?,
                sha256: r.try_get(1)?,
                name: r.try_get(2)?,
                content_type: r.try_get(3)?,
                size: r.try_get(4)?,
                uploaded_by: r.try_get(5)?,
                at: read_ts(r, 6)?,
            })
        })($r)
    };
}

/// Links `upload` to case `number` (its `at` is the time written); `false` when the same file
/// was already linked to the same field of that case, or there is no such case.
pub async fn link(conn: &mut Conn, number: &str, upload: &Upload) -> Result<bool, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql(
            "insert into uploads (case_id, field, sha256, name, content_type, size, uploaded_by, \
             created_at, updated_at) \
             select id, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 from cases where number = ?8 \
             on conflict (case_id, field, sha256) do nothing",
        ))
        .bind(&upload.field)
        .bind(&upload.sha256)
        .bind(&upload.name)
        .bind(&upload.content_type)
        .bind(upload.size)
        .bind(&upload.uploaded_by)
        .bind(bind_ts(upload.at))
        .bind(number)
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// The scans of case `number`, oldest first.
pub async fn of_case(conn: &mut Conn, number: &str) -> Result<Vec<Upload>, Error> {
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select u.field, u.sha256, u.name, u.content_type, u.size, u.uploaded_by, u.created_at \
             from uploads u join cases c on c.id = u.case_id where c.number = ? \
             order by u.created_at, u.field, u.sha256",
        ))
        .bind(number)
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(|r| read!(r)).collect()
    })
}

/// The scan `sha256` of case `number` (the first field it was received for), if it is one.
pub async fn find(conn: &mut Conn, number: &str, sha256: &str) -> Result<Option<Upload>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select u.field, u.sha256, u.name, u.content_type, u.size, u.uploaded_by, u.created_at \
             from uploads u join cases c on c.id = u.case_id \
             where c.number = ? and u.sha256 = ? order by u.created_at limit 1",
        ))
        .bind(number)
        .bind(sha256)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(|r| read!(r)).transpose()
    })
}
