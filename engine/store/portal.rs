//! The evidence of a case filed through the eGov portal: the `portal_filings` table
//! (migrations 0017, postgres 0008). The signed bytes and the detached CMS are kept in the
//! row itself, not as files, so that they are written in the transaction that opens the case
//! ([`record`], called by the writer) and archived, backed up and restored with it: a crash
//! leaves either the case with its evidence or neither.

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};

/// What the citizen signed and who signed it, as the signature check found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The signed bytes (UTF-8 JSON), exactly as signed.
    pub document: String,
    /// Their SHA-256, lowercase hex.
    pub document_sha256: String,
    /// The detached CMS SignedData, DER, in base64.
    pub signature: String,
    /// The signer's name, from the certificate.
    pub signer_name: String,
    /// The certificate's serial, lowercase hex.
    pub certificate_serial: String,
    /// The certificate's issuer.
    pub certificate_issuer: String,
    /// The CMS signingTime, the signer's claim.
    pub signed_at: Option<DateTime<Utc>>,
    /// The portal's system account that filed it.
    pub filed_by: String,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
}

/// An application filed through the portal, as the writer opens its case: the state systems'
/// answers the citizen signed, by connector, and the evidence kept with the case.
#[derive(Debug, Clone)]
pub struct Filing {
    /// Connector → answer, read from the signed document.
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// The signed bytes, the signature and the signer.
    pub evidence: Evidence,
}

/// Keeps the evidence of case `case_id`, in the caller's transaction (the one that opens it).
pub async fn record(
    conn: &mut Conn,
    case_id: i64,
    e: &Evidence,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "insert into portal_filings (case_id, document, document_sha256, signature, \
             signer_name, certificate_serial, certificate_issuer, signed_at, filed_by, \
             created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(case_id)
        .bind(&e.document)
        .bind(&e.document_sha256)
        .bind(&e.signature)
        .bind(&e.signer_name)
        .bind(&e.certificate_serial)
        .bind(&e.certificate_issuer)
        .bind(bind_ts_opt(e.signed_at))
        .bind(&e.filed_by)
        .bind(bind_ts(now))
        .bind(bind_ts(now))
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// The evidence of case `number`, when it was filed through the portal.
pub async fn of_case(conn: &mut Conn, number: &str) -> Result<Option<Evidence>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select p.document, p.document_sha256, p.signature, p.signer_name, \
             p.certificate_serial, p.certificate_issuer, p.signed_at, p.filed_by, p.created_at \
             from portal_filings p join cases c on c.id = p.case_id where c.number = ?",
        ))
        .bind(number)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref()
            .map(|r| -> Result<Evidence, Error> {
                Ok(Evidence {
                    document: r.try_get(0)?,
                    document_sha256: r.try_get(1)?,
                    signature: r.try_get(2)?,
                    signer_name: r.try_get(3)?,
                    certificate_serial: r.try_get(4)?,
                    certificate_issuer: r.try_get(5)?,
                    signed_at: read_ts_opt(r, 6)?,
                    filed_by: r.try_get(7)?,
                    filed_at: read_ts(r, 8)?,
                })
            })
            .transpose()
    })
}

/// How many portal filings are kept (the tests' "nothing stored").
pub async fn count(conn: &mut Conn) -> Result<i64, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql("select count(*) from portal_filings"))
            .fetch_one(&mut *c)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    })
}
