//! The citizen's digital signature over a portal application: a detached CMS SignedData
//! (RFC 5652), checked before the application becomes a case.
//!
//! Why: order No. 196 accepts a portal application "certified by the electronic digital
//! signature of the service recipient" (seeds/001: Semipalatinsk item 3, social assistance
//! item 6, home education item 6, ENPF item 2), and the digital signature is what "confirms
//! the reliability of the electronic document, its belonging and the invariance of its
//! content" (seeds/001, rules of the difference payment, item 3(9)). So [`verify_detached`]
//! checks exactly those three: the content is unchanged (message digest and signature), it
//! belongs to the certificate's holder (the certificate chains to a trusted certifying centre
//! and was valid when the document was signed), and it says who that holder is ([`Signer`],
//! with the IIN the portal compares with the applicant's).
//!
//! Supported:
//! - CMS SignedData in DER, or PEM (`CMS`, `PKCS7`) or bare base64 of it (as NCALayer returns it);
//!   detached, or attached when the attached content is byte for byte the application;
//! - one signer, identified by issuer and serial number or by subject key identifier, whose
//!   certificate is in the message;
//! - SHA-256 digests; RSA PKCS#1 v1.5 with SHA-256 (NCALayer's RSA keys); ECDSA P-256 with
//!   SHA-256; signed attributes (contentType, messageDigest, signingTime), as RFC 5652 §5.4
//!   says, or none;
//! - certificate chains of RSA or ECDSA P-256 (SHA-256) certificates up to a trusted root,
//!   each certificate valid on the signing date.
//!
//! Not supported, refused with a named error:
//! - GOST keys and digests: GOST R 34.10-2015 / 34.11-2015 (1.2.643.7.1.*, and the National
//!   Certifying Centre's 1.2.398.3.10.1.*), GOST 34.310-2004 / 34.311-95 (1.3.6.1.4.1.6801.*),
//!   GOST R 34.10-2001 (1.2.643.2.2.*): no maintained pure-Rust implementation we trust; a
//!   citizen signs with their RSA key instead;
//! - SHA-1 and MD5 (too weak); any other algorithm, named by its OID;
//! - several signers; BER (indefinite lengths); certificates not carried in the message.
//!
//! Not checked (to be added with the connection to the certifying centre): revocation (CRL,
//! OCSP) and timestamps (TSP); nor, of RFC 5280's path validation, unknown critical extensions,
//! path length constraints, name constraints and policies (a chain is two or three certificates
//! of one national centre). The signing date is the signer's own `signingTime` claim when
//! it is not in the future, else now; without a timestamp a holder of an expired key could
//! claim an earlier date: [`Signer::signed_at`] is returned for the case record, where it can be
//! compared with the submission.

mod algorithms;
mod chain;
mod message;
pub mod test_pki;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use message::Message;

/// The roots a signer's certificate must chain to (the national certifying centre's; in
/// tests and the simulator, the test root).
#[derive(Debug, Clone, Default)]
pub struct TrustedRoots {
    /// The roots, parsed, each with its DER to recognise a root carried in a message.
    roots: Vec<chain::Cert>,
}

impl TrustedRoots {
    /// PEM files (each may hold several certificates) — from the config file's list. A file
    /// that is one DER certificate (a `.cer` as certifying centres publish their roots) is
    /// read too. Text around the PEM blocks (OpenSSL's `subject=` lines) is ignored.
    pub fn from_pem_files(paths: &[PathBuf]) -> Result<Self, Error> {
        let mut roots = Vec::new();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|source| Error::RootsFile {
                path: path.clone(),
                source,
            })?;
            let invalid = |reason: String| Error::RootInvalid {
                which: path.display().to_string(),
                reason,
            };
            let ders = if bytes.first() == Some(&0x30) {
                vec![bytes]
            } else {
                pem_certificates(&bytes).map_err(invalid)?
            };
            if ders.is_empty() {
                return Err(invalid("no certificate in it".into()));
            }
            for der in ders {
                roots.push(chain::Cert::parse(der).map_err(|e| invalid(e.to_string()))?);
            }
        }
        Ok(Self { roots })
    }

    /// Certificates in DER.
    pub fn from_der(certs: Vec<Vec<u8>>) -> Result<Self, Error> {
        let roots = certs
            .into_iter()
            .enumerate()
            .map(|(i, der)| {
                chain::Cert::parse(der).map_err(|e| Error::RootInvalid {
                    which: format!("certificate {} of the list", i + 1),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { roots })
    }

    /// No root: nothing can be verified (every signature is refused as untrusted).
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// How many roots.
    pub fn len(&self) -> usize {
        self.roots.len()
    }
}

/// Who signed, read from the verified certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// Subject serialNumber "IIN123456789012" → "123456789012"; `None` for a certificate
    /// without one (a legal entity's BIN, a foreigner's).
    pub iin: Option<String>,
    /// Subject CN (and G= given name when present: in the National Certifying Centre's
    /// certificates the CN is surname and first name, G the patronymic).
    pub name: String,
    /// Certificate serial, lowercase hex.
    pub serial: String,
    /// The issuer's distinguished name (RFC 4514).
    pub issuer: String,
    /// The certificate's validity start.
    pub not_before: DateTime<Utc>,
    /// The certificate's validity end.
    pub not_after: DateTime<Utc>,
    /// The CMS signingTime attribute, the signer's own claim.
    pub signed_at: Option<DateTime<Utc>>,
}

/// What is wrong with a signature, or with the trusted roots. Each message names the fault
/// in plain English for the portal's developer; none holds the signer's personal data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A roots file cannot be read.
    #[error("the trusted roots file {path} cannot be read: {source}")]
    RootsFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A root is not a certificate.
    #[error("trusted root {which} is not an X.509 certificate: {reason}")]
    RootInvalid { which: String, reason: String },
    /// Not CMS, or not well-formed.
    #[error("the signature is not a well-formed CMS message: {what}")]
    Malformed { what: String },
    /// A CMS message, but not SignedData.
    #[error(
        "the signature is a CMS message of content type {content_type}, not SignedData (1.2.840.113549.1.7.2)"
    )]
    NotSignedData { content_type: String },
    /// Attached content that is not the application.
    #[error(
        "the signature carries a document of its own that differs from the application: sign the application itself (a detached signature is expected)"
    )]
    AttachedContentDiffers,
    /// No SignerInfo.
    #[error("the signature has no signer")]
    NoSigner,
    /// Several SignerInfos.
    #[error("the signature has {count} signers; one signer, the applicant, is supported")]
    SeveralSigners { count: usize },
    /// The content's digest is not the signed one.
    #[error("the signature does not match the document: it was changed after signing")]
    DigestMismatch,
    /// The signature value does not verify.
    #[error("the signature is invalid: {reason}")]
    SignatureInvalid { reason: String },
    /// Signed attributes that RFC 5652 §5.3 forbids or requires.
    #[error("the signature's signed attributes are wrong: {what}")]
    SignedAttributes { what: String },
    /// The signer's certificate is not in the message.
    #[error(
        "the signer's certificate is missing from the signature: sign with the certificate included"
    )]
    CertificateMissing,
    /// The chain does not reach a trusted root.
    #[error(
        "signed with a certificate not issued by a trusted certifying centre (issuer: {issuer})"
    )]
    Untrusted { issuer: String },
    /// A certificate of the chain expired before the signing date.
    #[error(
        "{which} expired on {not_after} (valid from {not_before}); the document was signed on {at}"
    )]
    Expired {
        which: String,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A certificate of the chain was not yet valid on the signing date.
    #[error("{which} is not yet valid on {at}: it is valid from {not_before} to {not_after}")]
    NotYetValid {
        which: String,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A known algorithm that is not implemented (GOST).
    #[error("{name} ({oid}) is not supported: sign with an RSA or ECDSA P-256 key and SHA-256")]
    UnsupportedAlgorithm { name: &'static str, oid: String },
    /// A known algorithm that is too weak.
    #[error("{name} ({oid}) is too weak and refused: SHA-256 is required")]
    WeakAlgorithm { name: &'static str, oid: String },
    /// An algorithm we do not know.
    #[error(
        "unknown {what} algorithm {oid}: supported are RSA PKCS#1 v1.5 and ECDSA P-256, with SHA-256"
    )]
    UnknownAlgorithm { what: &'static str, oid: String },
    /// The signer's certificate is not for signing.
    #[error(
        "the signer's certificate may not sign documents: its key usage allows neither digital signature nor non-repudiation"
    )]
    KeyUsage,
    /// A certificate that issued another is not a certifying centre's.
    #[error(
        "the certificate \"{issuer}\" issued another but is not a certifying centre's (no CA basic constraint)"
    )]
    NotCa { issuer: String },
}

/// Verifies a detached CMS SignedData (DER, or PEM / base64 of it) over `content`:
/// message digest, signature, chain to a trusted root, validity of every certificate on the
/// signing date (`signed_at` if present and not in the future of `now`, else `now`).
pub fn verify_detached(
    content: &[u8],
    signature: &[u8],
    roots: &TrustedRoots,
    now: DateTime<Utc>,
) -> Result<Signer, Error> {
    let der = message::decode_input(signature)?;
    let message = Message::parse(&der)?;
    let verified = message.verify(content)?;
    let at = match verified.signed_at {
        Some(t) if t <= now => t,
        _ => now,
    };
    chain::verify(&verified.certificate, &message.certificates, roots, at)?;
    Ok(chain::signer(&verified.certificate, verified.signed_at))
}

/// The DER of each `CERTIFICATE` PEM block of a file, in order.
///
/// Why not `Certificate::load_pem_chain`: in x509-cert 0.2 it panics on an empty file and
/// refuses text between the blocks.
fn pem_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text =
        std::str::from_utf8(bytes).map_err(|_| "it is neither PEM text nor DER".to_owned())?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let block = &rest[start..];
        let end = block
            .find(END)
            .ok_or_else(|| format!("certificate {} has no END line", out.len() + 1))?
            + END.len();
        let (label, der) = x509_cert::der::pem::decode_vec(&block.as_bytes()[..end])
            .map_err(|e| format!("certificate {}: {e}", out.len() + 1))?;
        debug_assert_eq!(label, "CERTIFICATE");
        out.push(der);
        rest = &block[end..];
    }
    Ok(out)
}

/// A certificate's time as UTC.
fn utc(time: &x509_cert::time::Time) -> DateTime<Utc> {
    let d = time.to_unix_duration();
    DateTime::from_timestamp(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_nanos(),
    )
    .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A parse error of one of the message's parts.
fn malformed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: format!("{what}: {e}"),
    }
}
