//! Which algorithms a signature may use, and the names of those it may not.
//!
//! Why refuse by name: a citizen whose key is GOST (most keys of the National Certifying
//! Centre before 2020, and the GOST keys it still issues) should read "GOST R 34.10-2015 is
//! not supported", not a bare number, so that the portal can tell them to sign with their RSA
//! key; a developer reading the error learns the same.

use x509_cert::der::oid::ObjectIdentifier;

use super::Error;

/// SHA-256 (NIST), the one digest supported.
pub(crate) const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// rsaEncryption: an RSA key, and in CMS an RSA PKCS#1 v1.5 signature with the signer's digest.
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// sha256WithRSAEncryption (RFC 4055).
pub(crate) const SHA256_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// ecdsa-with-SHA256 (RFC 5758).
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// id-ecPublicKey: an elliptic-curve key; some CMS writers also name the signature so.
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// prime256v1 (secp256r1, NIST P-256), the one curve supported.
pub(crate) const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// Algorithms refused as too weak, by name: a signature made with them can be forged.
const WEAK: &[(&str, &str)] = &[
    ("1.3.14.3.2.26", "SHA-1"),
    ("1.2.840.113549.1.1.5", "SHA-1 with RSA"),
    ("1.2.840.10045.4.1", "ECDSA with SHA-1"),
    ("1.2.840.113549.2.5", "MD5"),
    ("1.2.840.113549.1.1.4", "MD5 with RSA"),
];

/// Algorithms that exist in Kazakhstan's PKI but are not implemented here, by exact OID.
const NAMED: &[(&str, &str)] = &[
    // GOST R 34.10-2012 / 34.11-2012 (Streebog), in Kazakhstan ST RK GOST R 34.10-2015.
    ("1.2.643.7.1.1.1.1", "GOST R 34.10-2015 (256-bit key)"),
    ("1.2.643.7.1.1.1.2", "GOST R 34.10-2015 (512-bit key)"),
    ("1.2.643.7.1.1.2.2", "GOST R 34.11-2015 (Streebog, 256-bit)"),
    ("1.2.643.7.1.1.2.3", "GOST R 34.11-2015 (Streebog, 512-bit)"),
    (
        "1.2.643.7.1.1.3.2",
        "GOST R 34.10-2015 with GOST R 34.11-2015 (256-bit)",
    ),
    (
        "1.2.643.7.1.1.3.3",
        "GOST R 34.10-2015 with GOST R 34.11-2015 (512-bit)",
    ),
    // The National Certifying Centre's own arc (KalkanCrypt's names).
    ("1.2.398.3.10.1.1.1.1", "GOST 34.310-2004"),
    (
        "1.2.398.3.10.1.1.1.2",
        "GOST 34.311-95 with GOST 34.310-2004",
    ),
    ("1.2.398.3.10.1.1.2.1", "GOST R 34.10-2015 (256-bit key)"),
    ("1.2.398.3.10.1.1.2.2", "GOST R 34.10-2015 (512-bit key)"),
    (
        "1.2.398.3.10.1.1.2.3.1",
        "GOST R 34.10-2015 with GOST R 34.11-2015 (256-bit)",
    ),
    (
        "1.2.398.3.10.1.1.2.3.2",
        "GOST R 34.10-2015 with GOST R 34.11-2015 (512-bit)",
    ),
    (
        "1.3.6.1.4.1.6801.1.2.2",
        "GOST 34.311-95 with GOST 34.310-2004 (old Tumar arc)",
    ),
    ("1.2.643.2.2.3", "GOST R 34.11-94 with GOST R 34.10-2001"),
    ("1.2.643.2.2.4", "GOST R 34.11-94 with GOST R 34.10-94"),
];

/// Families refused by name when the exact OID is not in [`NAMED`] (longest prefix first).
const NAMED_ARCS: &[(&str, &str)] = &[
    ("1.2.643.7.1.", "GOST R 34.10-2015 / 34.11-2015"),
    ("1.2.643.2.2.", "GOST R 34.10-2001 / 34.11-94"),
    ("1.2.398.3.10.1.1.1.", "GOST 34.310-2004"),
    ("1.2.398.3.10.1.1.2.", "GOST R 34.10-2015"),
    ("1.2.398.3.10.", "a Kazakh GOST algorithm (KalkanCrypt)"),
    (
        "1.3.6.1.4.1.6801.",
        "GOST 34.310-2004 / 34.311-95 (Tumar, KalkanCrypt)",
    ),
];

/// What a signature's math is, once the algorithm is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// RSA PKCS#1 v1.5 over a SHA-256 digest.
    RsaSha256,
    /// ECDSA over a SHA-256 digest.
    EcdsaSha256,
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::RsaSha256 => "RSA",
            Self::EcdsaSha256 => "ECDSA P-256",
        })
    }
}

/// The name of an algorithm we know but do not support.
fn named(oid: &ObjectIdentifier) -> Option<&'static str> {
    let text = oid.to_string();
    NAMED
        .iter()
        .find(|(o, _)| *o == text)
        .or_else(|| NAMED_ARCS.iter().find(|(arc, _)| text.starts_with(arc)))
        .map(|(_, name)| *name)
}

/// The error for an algorithm that is not supported: weak, named, or unknown.
fn refuse(oid: &ObjectIdentifier, what: &'static str) -> Error {
    let text = oid.to_string();
    if let Some((_, name)) = WEAK.iter().find(|(o, _)| *o == text) {
        return Error::WeakAlgorithm { name, oid: text };
    }
    match named(oid) {
        Some(name) => Error::UnsupportedAlgorithm { name, oid: text },
        None => Error::UnknownAlgorithm { what, oid: text },
    }
}

/// A digest algorithm of a signer: SHA-256 only.
pub(crate) fn digest(oid: &ObjectIdentifier) -> Result<(), Error> {
    if *oid == SHA256 {
        Ok(())
    } else {
        Err(refuse(oid, "digest"))
    }
}

/// A CMS signer's signature algorithm (the digest is checked apart, by [`digest`]).
pub(crate) fn cms_signature(oid: &ObjectIdentifier) -> Result<Scheme, Error> {
    match *oid {
        RSA_ENCRYPTION | SHA256_WITH_RSA => Ok(Scheme::RsaSha256),
        ECDSA_WITH_SHA256 | EC_PUBLIC_KEY => Ok(Scheme::EcdsaSha256),
        _ => Err(refuse(oid, "signature")),
    }
}

/// A certificate's signature algorithm: the digest is part of the name.
pub(crate) fn certificate_signature(oid: &ObjectIdentifier) -> Result<Scheme, Error> {
    match *oid {
        SHA256_WITH_RSA => Ok(Scheme::RsaSha256),
        ECDSA_WITH_SHA256 => Ok(Scheme::EcdsaSha256),
        _ => Err(refuse(oid, "certificate signature")),
    }
}

/// A public key's algorithm (and, for elliptic curves, the curve).
pub(crate) fn key(
    algorithm: &ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
) -> Result<Scheme, Error> {
    match *algorithm {
        RSA_ENCRYPTION => Ok(Scheme::RsaSha256),
        EC_PUBLIC_KEY => match curve {
            Some(P256) => Ok(Scheme::EcdsaSha256),
            Some(other) => Err(refuse(&other, "elliptic curve")),
            None => Err(Error::UnknownAlgorithm {
                what: "elliptic curve",
                oid: "(none)".into(),
            }),
        },
        _ => Err(refuse(algorithm, "public key")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(s)
    }

    #[test]
    fn gost_is_refused_by_name_and_unknown_by_oid() {
        for gost in [
            "1.2.643.7.1.1.1.1",
            "1.2.643.7.1.1.1.2",
            "1.2.643.7.1.1.3.2",
            "1.2.643.7.1.1.3.3",
            "1.2.643.7.1.1.2.2",
            "1.2.643.7.1.1.2.3",
            "1.2.398.3.10.1.1.2.3.2",
            "1.3.6.1.4.1.6801.1.5.8",
        ] {
            let message = cms_signature(&oid(gost)).unwrap_err().to_string();
            assert!(message.contains("GOST"), "{gost}: {message}");
            assert!(message.contains(gost), "{gost}: {message}");
        }
        let message = digest(&oid("1.2.3.4.5")).unwrap_err().to_string();
        assert!(
            message.contains("unknown digest algorithm 1.2.3.4.5"),
            "{message}"
        );
        let message = digest(&oid("1.3.14.3.2.26")).unwrap_err().to_string();
        assert!(
            message.starts_with("SHA-1 (1.3.14.3.2.26) is too weak"),
            "{message}"
        );
    }
}
