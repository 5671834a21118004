//! A test PKI — NOT FOR PRODUCTION: a root "qyzmet test root — NOT FOR PRODUCTION" and the
//! citizens' certificates and signatures it vouches for, for the tests, the gateway
//! simulator and the dev installation's demo.
//!
//! Why deterministic: every key is an ECDSA P-256 key derived from a fixed seed (its name),
//! so the root is the same in every run and on every machine (the dev config can trust a PEM
//! written once), and issuing is instant even in a debug build, where RSA key generation is
//! not. Nothing here is secret: anyone can derive these keys, which is why a production
//! installation must never list this root among its trusted roots.
//!
//! The functions panic only on a bug in this module (a name the certificate builder refuses),
//! never on what a test passes them.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use p256::ecdsa::DerSignature;
use p256::ecdsa::signature::Signer as _;
use rsa::pkcs1v15::Pkcs1v15Sign;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::{Any, GeneralizedTime, OctetString, SetOfVec, UtcTime};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Encode, EncodePem, Tag};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

use super::TrustedRoots;
use super::algorithms::{ECDSA_WITH_SHA256, RSA_ENCRYPTION, SHA256};

/// The test root's common name.
pub const ROOT_NAME: &str = "qyzmet test root — NOT FOR PRODUCTION";

/// id-data, the content type of a signed document.
const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-signedData.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// RFC 5652 §11 attributes.
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// Name attributes.
const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// A certifying centre of the test PKI.
pub struct Authority {
    /// Its key.
    key: AuthorityKey,
    /// Its self-signed certificate.
    cert: Certificate,
}

/// The key types a certifying centre can hold.
enum AuthorityKey {
    /// ECDSA P-256, derived from a seed.
    Ec(p256::ecdsa::SigningKey),
    /// RSA with SHA-256, as the National Certifying Centre's own keys.
    Rsa(Box<rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>>),
}

impl AuthorityKey {
    /// The public key, for a certificate's subject.
    fn spki(&self) -> SubjectPublicKeyInfoOwned {
        match self {
            Self::Ec(key) => SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()),
            Self::Rsa(key) => {
                SubjectPublicKeyInfoOwned::from_key(key.as_ref().as_ref().to_public_key())
            }
        }
        .expect("an encodable public key")
    }

    /// Signs a certificate with this key.
    fn build(
        &self,
        profile: Profile,
        serial: SerialNumber,
        validity: Validity,
        subject: Name,
        spki: SubjectPublicKeyInfoOwned,
    ) -> Certificate {
        match self {
            Self::Ec(key) => CertificateBuilder::new(profile, serial, validity, subject, spki, key)
                .expect("a certificate")
                .build::<DerSignature>(),
            Self::Rsa(key) => {
                CertificateBuilder::new(profile, serial, validity, subject, spki, key.as_ref())
                    .expect("a certificate")
                    .build::<rsa::pkcs1v15::Signature>()
            }
        }
        .expect("a signed certificate")
    }
}

/// A citizen's key and certificate, issued by an [`Authority`].
pub struct Citizen {
    /// The signing key.
    key: CitizenKey,
    /// The certificate.
    cert: Certificate,
    /// Certificates carried in each signature beside the citizen's (none by default: the
    /// root is trusted, not carried).
    extra: Vec<Certificate>,
}

/// The key types a citizen can hold.
enum CitizenKey {
    /// ECDSA P-256, derived from a seed.
    Ec(p256::ecdsa::SigningKey),
    /// RSA (NCALayer's RSA keys), given.
    Rsa(Box<rsa::RsaPrivateKey>),
}

/// A P-256 key derived from a seed.
fn derived_key(seed: &str) -> p256::ecdsa::SigningKey {
    let bytes = Sha256::digest(format!("qyzmet test pki: {seed}").as_bytes());
    p256::ecdsa::SigningKey::from_slice(bytes.as_slice()).expect("a SHA-256 is a P-256 scalar")
}

/// A positive serial number derived from a seed.
fn derived_serial(seed: &str) -> SerialNumber {
    let mut bytes = Sha256::digest(format!("qyzmet test serial: {seed}").as_bytes()).to_vec();
    bytes.truncate(16);
    bytes[0] = (bytes[0] & 0x3f) | 0x10;
    SerialNumber::new(&bytes).expect("a 16-byte positive serial")
}

/// A certificate time: UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
fn time(at: DateTime<Utc>) -> Time {
    let since_epoch =
        Duration::from_secs(u64::try_from(at.timestamp()).expect("a time after 1970"));
    match UtcTime::from_unix_duration(since_epoch) {
        Ok(utc) => Time::UtcTime(utc),
        Err(_) => Time::GeneralTime(
            GeneralizedTime::from_unix_duration(since_epoch).expect("a time before 9999"),
        ),
    }
}

/// A distinguished name from (type, string tag, value), in encoding order.
fn name(parts: &[(ObjectIdentifier, Tag, &str)]) -> Name {
    RdnSequence(
        parts
            .iter()
            .map(|(oid, tag, value)| {
                let atv = AttributeTypeAndValue {
                    oid: *oid,
                    value: Any::new(*tag, value.as_bytes()).expect("a short string"),
                };
                RelativeDistinguishedName(SetOfVec::try_from(vec![atv]).expect("one attribute"))
            })
            .collect(),
    )
}

/// A certifying centre's distinguished name.
fn authority_name(common_name: &str) -> Name {
    name(&[
        (COUNTRY, Tag::PrintableString, "KZ"),
        (ORGANIZATION, Tag::Utf8String, "qyzmet tests"),
        (CN, Tag::Utf8String, common_name),
    ])
}

/// Midnight UTC of a date, for validity periods.
pub fn date(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .expect("a real date")
}

impl Authority {
    /// The test root: fixed seed, valid 2026-01-01 to 2036-01-01.
    pub fn root() -> Self {
        Self::self_signed(ROOT_NAME, ROOT_NAME, date(2026, 1, 1), date(2036, 1, 1))
    }

    /// A root with the test root's very name but another key: what an impostor would make.
    /// A certificate it issues must be refused as untrusted.
    pub fn impostor() -> Self {
        Self::self_signed(ROOT_NAME, "impostor", date(2026, 1, 1), date(2036, 1, 1))
    }

    /// A self-signed root named `common_name`, its key derived from `seed`.
    pub fn self_signed(
        common_name: &str,
        seed: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        Self::root_with(
            AuthorityKey::Ec(derived_key(seed)),
            common_name,
            seed,
            not_before,
            not_after,
        )
    }

    /// A self-signed root named `common_name` with an RSA key (SHA-256 with RSA certificate
    /// signatures, as the National Certifying Centre's): the RSA path of the chain.
    pub fn rsa_root(
        common_name: &str,
        key: rsa::RsaPrivateKey,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        let key = AuthorityKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key)));
        Self::root_with(key, common_name, common_name, not_before, not_after)
    }

    /// A self-signed root with `key`.
    fn root_with(
        key: AuthorityKey,
        common_name: &str,
        seed: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        let validity = Validity {
            not_before: time(not_before),
            not_after: time(not_after),
        };
        let cert = key.build(
            Profile::Root,
            derived_serial(seed),
            validity,
            authority_name(common_name),
            key.spki(),
        );
        Self { key, cert }
    }

    /// An issuing centre under this one, as the national root and its issuing centre are;
    /// a signature must carry its certificate ([`Citizen::carrying`]) to chain.
    pub fn subordinate(
        &self,
        common_name: &str,
        seed: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        let profile = Profile::SubCA {
            issuer: self.cert.tbs_certificate.subject.clone(),
            path_len_constraint: Some(0),
        };
        self.issue_authority(profile, common_name, seed, not_before, not_after)
    }

    /// A certificate under this one that is not a certifying centre's (an end entity's) but
    /// whose key issues certificates all the same: a chain through it must be refused.
    pub fn end_entity_posing_as_ca(
        &self,
        common_name: &str,
        seed: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        let profile = Profile::Leaf {
            issuer: self.cert.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        self.issue_authority(profile, common_name, seed, not_before, not_after)
    }

    /// A certificate of `profile` under this one, with a key that can issue in turn.
    fn issue_authority(
        &self,
        profile: Profile,
        common_name: &str,
        seed: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Self {
        let key = AuthorityKey::Ec(derived_key(seed));
        let validity = Validity {
            not_before: time(not_before),
            not_after: time(not_after),
        };
        let cert = self.key.build(
            profile,
            derived_serial(seed),
            validity,
            authority_name(common_name),
            key.spki(),
        );
        Self { key, cert }
    }

    /// The root's certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.cert.to_der().expect("an encodable certificate")
    }

    /// The root's certificate, PEM (for a trusted-roots file).
    pub fn certificate_pem(&self) -> String {
        self.cert
            .to_pem(LineEnding::LF)
            .expect("an encodable certificate")
    }

    /// This root alone, trusted.
    pub fn trusted_roots(&self) -> TrustedRoots {
        TrustedRoots::from_der(vec![self.certificate_der()]).expect("the test root parses")
    }

    /// Issues a citizen an ECDSA P-256 certificate (key derived from the IIN and the validity).
    pub fn issue(
        &self,
        iin: &str,
        name: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Citizen {
        let key = derived_key(&format!("citizen {iin} {not_before} {not_after}"));
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).expect("a P-256 key");
        let cert = self.certificate(iin, name, not_before, not_after, spki);
        Citizen {
            key: CitizenKey::Ec(key),
            cert,
            extra: Vec::new(),
        }
    }

    /// Issues a citizen a certificate for an RSA key (the path NCALayer's RSA keys take).
    pub fn issue_rsa(
        &self,
        iin: &str,
        name: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
        key: rsa::RsaPrivateKey,
    ) -> Citizen {
        let spki =
            SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).expect("an RSA public key");
        let cert = self.certificate(iin, name, not_before, not_after, spki);
        Citizen {
            key: CitizenKey::Rsa(Box::new(key)),
            cert,
            extra: Vec::new(),
        }
    }

    /// A leaf certificate for a citizen, as the National Certifying Centre names them.
    fn certificate(
        &self,
        iin: &str,
        common_name: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
        spki: SubjectPublicKeyInfoOwned,
    ) -> Certificate {
        let subject = name(&[
            (COUNTRY, Tag::PrintableString, "KZ"),
            (SERIAL_NUMBER, Tag::PrintableString, &format!("IIN{iin}")),
            (CN, Tag::Utf8String, common_name),
        ]);
        let profile = Profile::Leaf {
            issuer: self.cert.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let validity = Validity {
            not_before: time(not_before),
            not_after: time(not_after),
        };
        let seed = format!("{iin} {common_name} {not_before} {not_after}");
        self.key
            .build(profile, derived_serial(&seed), validity, subject, spki)
    }
}

impl Citizen {
    /// The certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.cert.to_der().expect("an encodable certificate")
    }

    /// Carries `authority`'s certificate in every signature too (as some signers carry the
    /// whole chain).
    pub fn carrying(mut self, authority: &Authority) -> Self {
        self.extra.push(authority.cert.clone());
        self
    }

    /// Signs `content`: a detached CMS SignedData (DER) with the signed attributes
    /// contentType, signingTime and messageDigest, as NCALayer makes them.
    pub fn sign(&self, content: &[u8], signed_at: DateTime<Utc>) -> Vec<u8> {
        let digest = Sha256::digest(content);
        let attributes = vec![
            attribute(CONTENT_TYPE, Any::encode_from(&DATA).expect("an OID")),
            attribute(
                SIGNING_TIME,
                Any::encode_from(&time(signed_at)).expect("a time"),
            ),
            attribute(
                MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest.to_vec()).expect("32 bytes"))
                    .expect("an octet string"),
            ),
        ];
        let signed_attrs = SetOfVec::try_from(attributes).expect("three attributes");
        let to_sign = signed_attrs.to_der().expect("encodable attributes");
        let (signature, signature_algorithm) = match &self.key {
            CitizenKey::Ec(key) => {
                let signature: DerSignature = key.sign(&to_sign);
                (
                    signature.to_bytes().to_vec(),
                    AlgorithmIdentifierOwned {
                        oid: ECDSA_WITH_SHA256,
                        parameters: None,
                    },
                )
            }
            CitizenKey::Rsa(key) => {
                let padding = Pkcs1v15Sign {
                    hash_len: Some(32),
                    prefix: super::chain::SHA256_DIGEST_INFO.into(),
                };
                let hash = Sha256::digest(&to_sign);
                let signature = key
                    .sign(padding, hash.as_slice())
                    .expect("an RSA signature");
                (
                    signature,
                    AlgorithmIdentifierOwned {
                        oid: RSA_ENCRYPTION,
                        parameters: Some(Any::null()),
                    },
                )
            }
        };
        let sha256 = AlgorithmIdentifierOwned {
            oid: SHA256,
            parameters: None,
        };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: self.cert.tbs_certificate.issuer.clone(),
                serial_number: self.cert.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm,
            signature: OctetString::new(signature).expect("a signature"),
            unsigned_attrs: None,
        };
        let certificates = std::iter::once(&self.cert)
            .chain(&self.extra)
            .map(|c| CertificateChoices::Certificate(c.clone()))
            .collect::<Vec<_>>();
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![sha256]).expect("one digest"),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet::try_from(certificates).expect("certificates")),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer]).expect("one signer"),
        };
        ContentInfo {
            content_type: SIGNED_DATA,
            content: Any::encode_from(&signed_data).expect("encodable signed data"),
        }
        .to_der()
        .expect("encodable content info")
    }
}

/// A one-valued attribute.
fn attribute(oid: ObjectIdentifier, value: Any) -> Attribute {
    Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).expect("one value"),
    }
}

/// Writes the test root as PEM to `path`, for a dev installation's trusted roots, so the
/// demo accepts test-signed applications. Never for production.
pub fn write_root_pem(path: &Path) -> std::io::Result<()> {
    std::fs::write(path, Authority::root().certificate_pem())
}
