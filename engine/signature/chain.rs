//! The signer's certificate, up to a trusted root: each certificate's signature verified with
//! its issuer's key, each valid on the signing date, each issuer a certifying centre.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::Any;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Tag, Tagged};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
use x509_cert::name::Name;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use super::algorithms::{self, Scheme};
use super::message::children;
use super::{DateTime, Error, Signer, TrustedRoots, Utc, malformed, utc};

/// The DigestInfo prefix of a SHA-256 digest in an RSA PKCS#1 v1.5 signature (RFC 8017 §9.2).
pub(crate) const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// commonName.
const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// serialNumber: "IIN" and the twelve digits in the National Certifying Centre's certificates.
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
/// givenName: the patronymic in the National Certifying Centre's certificates.
const GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
/// The longest chain followed: the national centre has a root and one issuing centre.
const MAX_DEPTH: usize = 8;

/// A certificate with the bytes its issuer signed.
#[derive(Debug, Clone)]
pub(crate) struct Cert {
    /// The whole certificate, DER, as received.
    pub(crate) der: Vec<u8>,
    /// Parsed.
    pub(crate) cert: Certificate,
    /// The TBSCertificate as received: what the issuer's signature covers.
    tbs: Vec<u8>,
}

impl Cert {
    /// Parses a DER certificate, keeping its bytes.
    pub(crate) fn parse(der: Vec<u8>) -> Result<Self, x509_cert::der::Error> {
        let cert = Certificate::from_der(&der)?;
        let tbs = children(&der)?
            .first()
            .map(|t| t.to_vec())
            .unwrap_or_default();
        Ok(Self { der, cert, tbs })
    }

    /// The subject's common name, for messages about certifying centres (never a person's).
    fn ca_name(&self) -> String {
        attribute(&self.cert.tbs_certificate.subject, CN)
            .unwrap_or_else(|| self.cert.tbs_certificate.subject.to_string())
    }
}

/// Verifies `signature` over the SHA-256 `hash` with the key of `spki`.
pub(crate) fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    scheme: Scheme,
    hash: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let key_scheme = algorithms::key(&spki.algorithm.oid, curve)?;
    if key_scheme != scheme {
        return Err(Error::SignatureInvalid {
            reason: format!(
                "its algorithm ({scheme}) does not fit the certificate's key ({key_scheme})"
            ),
        });
    }
    let spki_der = spki
        .to_der()
        .map_err(|e| malformed("a certificate's public key", e))?;
    let bad = || Error::SignatureInvalid {
        reason: "the signature value does not verify with the certificate's key".into(),
    };
    match scheme {
        Scheme::RsaSha256 => {
            let key = rsa::RsaPublicKey::from_public_key_der(&spki_der)
                .map_err(|e| malformed("a certificate's RSA key", e))?;
            let padding = Pkcs1v15Sign {
                hash_len: Some(32),
                prefix: SHA256_DIGEST_INFO.into(),
            };
            key.verify(padding, hash, signature).map_err(|_| bad())
        }
        Scheme::EcdsaSha256 => {
            let key = p256::PublicKey::from_public_key_der(&spki_der)
                .map_err(|e| malformed("a certificate's P-256 key", e))?;
            let signature = p256::ecdsa::Signature::from_der(signature).map_err(|_| bad())?;
            p256::ecdsa::VerifyingKey::from(&key)
                .verify_prehash(hash, &signature)
                .map_err(|_| bad())
        }
    }
}

/// Whether `issuer`'s key signed `child`.
fn issued(child: &Cert, issuer: &Cert) -> Result<bool, Error> {
    let scheme = algorithms::certificate_signature(&child.cert.signature_algorithm.oid)?;
    let signature = child.cert.signature.raw_bytes();
    match verify_signature(
        &issuer.cert.tbs_certificate.subject_public_key_info,
        scheme,
        Sha256::digest(&child.tbs).as_slice(),
        signature,
    ) {
        Ok(()) => Ok(true),
        Err(Error::SignatureInvalid { .. }) => Ok(false),
        // A root of another algorithm, or a malformed key: not this child's issuer.
        Err(Error::UnsupportedAlgorithm { .. } | Error::UnknownAlgorithm { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The signer's certificate may sign documents.
pub(crate) fn check_signing_usage(cert: &Cert) -> Result<(), Error> {
    match cert.cert.tbs_certificate.get::<KeyUsage>() {
        Ok(None) => Ok(()),
        Ok(Some((_, usage))) if usage.digital_signature() || usage.non_repudiation() => Ok(()),
        Ok(Some(_)) => Err(Error::KeyUsage),
        Err(e) => Err(malformed("the signer's certificate's key usage", e)),
    }
}

/// Checks that `cert` was valid at `at`.
fn valid_at(cert: &Cert, which: String, at: DateTime<Utc>) -> Result<(), Error> {
    let validity = &cert.cert.tbs_certificate.validity;
    let (not_before, not_after) = (utc(&validity.not_before), utc(&validity.not_after));
    if at < not_before {
        return Err(Error::NotYetValid {
            which,
            not_before,
            not_after,
            at,
        });
    }
    if at > not_after {
        return Err(Error::Expired {
            which,
            not_before,
            not_after,
            at,
        });
    }
    Ok(())
}

/// Follows `signer`'s chain through the message's certificates to a trusted root.
pub(crate) fn verify(
    signer: &Cert,
    bag: &[Cert],
    roots: &TrustedRoots,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let serial = hex::encode(signer.cert.tbs_certificate.serial_number.as_bytes());
    valid_at(
        signer,
        format!("the signer's certificate (serial {serial})"),
        at,
    )?;
    let mut current = signer;
    for _ in 0..MAX_DEPTH {
        if roots.roots.iter().any(|r| r.der == current.der) {
            return Ok(());
        }
        let issuer_name = &current.cert.tbs_certificate.issuer;
        for root in roots
            .roots
            .iter()
            .filter(|r| r.cert.tbs_certificate.subject == *issuer_name)
        {
            if issued(current, root)? {
                return valid_at(
                    root,
                    format!("the certifying centre's certificate \"{}\"", root.ca_name()),
                    at,
                );
            }
        }
        let mut next = None;
        for candidate in bag
            .iter()
            .filter(|c| c.cert.tbs_certificate.subject == *issuer_name && c.der != current.der)
        {
            if issued(current, candidate)? {
                next = Some(candidate);
                break;
            }
        }
        let Some(next) = next else { break };
        match next.cert.tbs_certificate.get::<BasicConstraints>() {
            Ok(Some((_, bc))) if bc.ca => {}
            _ => {
                return Err(Error::NotCa {
                    issuer: next.ca_name(),
                });
            }
        }
        valid_at(
            next,
            format!("the certifying centre's certificate \"{}\"", next.ca_name()),
            at,
        )?;
        current = next;
    }
    Err(Error::Untrusted {
        issuer: current.cert.tbs_certificate.issuer.to_string(),
    })
}

/// Who signed, read from the verified certificate.
pub(crate) fn signer(cert: &Cert, signed_at: Option<DateTime<Utc>>) -> Signer {
    let tbs = &cert.cert.tbs_certificate;
    let iin = attribute(&tbs.subject, SERIAL_NUMBER).and_then(|s| {
        let digits = s.strip_prefix("IIN")?;
        (digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.to_owned())
    });
    let cn = attribute(&tbs.subject, CN).unwrap_or_default();
    let name = match attribute(&tbs.subject, GIVEN_NAME) {
        Some(given) if !given.is_empty() => format!("{cn} {given}"),
        _ => cn,
    };
    Signer {
        iin,
        name,
        serial: hex::encode(tbs.serial_number.as_bytes()),
        issuer: tbs.issuer.to_string(),
        not_before: utc(&tbs.validity.not_before),
        not_after: utc(&tbs.validity.not_after),
        signed_at,
    }
}

/// The first value of an attribute of a name, as text.
fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| text(&atv.value))
}

/// A directory string's text (UTF8String, PrintableString, IA5String, BMPString).
fn text(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(value.value()).ok().map(str::to_owned)
        }
        Tag::BmpString => {
            let units: Vec<u16> = value
                .value()
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}
