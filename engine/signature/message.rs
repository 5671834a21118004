//! The CMS message: its parts, parsed by the `cms` crate, and the exact bytes that were
//! signed, read from the message itself.
//!
//! Why the raw bytes: the signature covers the signed attributes as the signer encoded them.
//! The `der` crate sorts a SET OF when it decodes one, so encoding the parsed attributes again
//! could give other bytes than the signer's (an unsorted, BER-style set) and fail a good
//! signature; the same holds for a certificate's TBS part. So the bytes to verify are cut out
//! of the input, and the parsed structures only say what they mean.

use base64ct::Encoding;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Header, Reader, SliceReader};
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::time::Time;

use super::algorithms::{self, Scheme};
use super::chain::{self, Cert};
use super::{DateTime, Error, Utc, malformed, utc};

/// id-signedData.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// The contentType signed attribute.
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// The messageDigest signed attribute.
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// The signingTime signed attribute.
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// The most certificates a message may carry: a citizen's, an issuing centre's, a root's, and
/// room for a cross-certificate or two.
const MAX_CERTIFICATES: usize = 16;

/// The largest signature accepted: a message with a few certificates is a few kilobytes.
const MAX_BYTES: usize = 1024 * 1024;

/// The signature as DER: as given, or from PEM, or from bare base64.
pub(crate) fn decode_input(signature: &[u8]) -> Result<Vec<u8>, Error> {
    if signature.len() > MAX_BYTES {
        return Err(Error::Malformed {
            what: format!(
                "it is {} bytes, more than the {MAX_BYTES} accepted",
                signature.len()
            ),
        });
    }
    if signature.first() == Some(&0x30) {
        return Ok(signature.to_vec());
    }
    let text = std::str::from_utf8(signature)
        .map_err(|_| Error::Malformed {
            what: "it is neither DER (which starts with 0x30, a SEQUENCE) nor text (PEM or base64)"
                .into(),
        })?
        .trim();
    if text.is_empty() {
        return Err(Error::Malformed {
            what: "it is empty".into(),
        });
    }
    if text.starts_with("-----BEGIN") {
        let (label, der) = x509_cert::der::pem::decode_vec(text.as_bytes())
            .map_err(|e| malformed("its PEM cannot be read", e))?;
        return match label {
            "CMS" | "PKCS7" | "PKCS #7 SIGNED DATA" => Ok(der),
            other => Err(Error::Malformed {
                what: format!("its PEM label is \"{other}\", not CMS or PKCS7"),
            }),
        };
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64ct::Base64::decode_vec(&compact).map_err(|e| {
        malformed(
            "it is neither DER nor PEM, and its base64 cannot be read",
            e,
        )
    })
}

/// The direct elements of a constructed DER element, each as its whole encoding.
pub(crate) fn children(tlv: &[u8]) -> Result<Vec<&[u8]>, x509_cert::der::Error> {
    let mut outer = SliceReader::new(tlv)?;
    let header = Header::decode(&mut outer)?;
    let value = outer.read_slice(header.length)?;
    let mut reader = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let start = usize::try_from(reader.position())?;
        let header = Header::decode(&mut reader)?;
        reader.read_slice(header.length)?;
        let end = usize::try_from(reader.position())?;
        out.push(&value[start..end]);
    }
    Ok(out)
}

/// A parsed SignedData with its one signer.
pub(crate) struct Message {
    /// The one signer.
    signer: SignerInfo,
    /// Its signature scheme, accepted.
    scheme: Scheme,
    /// The signed attributes as signed: the signer's bytes with the SET OF tag (RFC 5652 §5.4).
    signed_attrs: Option<Vec<u8>>,
    /// The encapsulated content's type.
    content_type: ObjectIdentifier,
    /// The attached content, if any.
    attached: Option<Vec<u8>>,
    /// The certificates the message carries.
    pub(crate) certificates: Vec<Cert>,
}

/// What the message's own checks found: the signer's certificate and the claimed time.
pub(crate) struct Verified {
    /// The certificate whose key verified the signature.
    pub(crate) certificate: Cert,
    /// The signingTime attribute.
    pub(crate) signed_at: Option<DateTime<Utc>>,
}

impl Message {
    /// Parses a CMS ContentInfo holding a SignedData with one signer and supported algorithms.
    pub(crate) fn parse(der: &[u8]) -> Result<Self, Error> {
        let info = ContentInfo::from_der(der)
            .map_err(|e| malformed("it is not a DER-encoded CMS ContentInfo", e))?;
        if info.content_type != SIGNED_DATA {
            return Err(Error::NotSignedData {
                content_type: info.content_type.to_string(),
            });
        }
        let signed_data: SignedData = info
            .content
            .decode_as()
            .map_err(|e| malformed("its SignedData cannot be read", e))?;
        let count = signed_data.signer_infos.0.len();
        match count {
            0 => return Err(Error::NoSigner),
            1 => {}
            _ => return Err(Error::SeveralSigners { count }),
        }
        let signer = signed_data
            .signer_infos
            .0
            .get(0)
            .cloned()
            .ok_or(Error::NoSigner)?;

        // The same structure, walked raw for the signed bytes.
        let raw = |e: x509_cert::der::Error| malformed("its structure cannot be walked", e);
        let top = children(der).map_err(raw)?;
        let explicit = top.get(1).copied().ok_or(Error::NoSigner)?;
        let sd = children(explicit).map_err(raw)?;
        let sd = sd.first().copied().ok_or(Error::NoSigner)?;
        let parts = children(sd).map_err(raw)?;
        let mut certificates = Vec::new();
        if let Some(set) = parts.iter().find(|p| p.first() == Some(&0xA0)) {
            let set = children(set).map_err(raw)?;
            // Each may be tried as an issuer at each level of the chain: a bound on the work.
            if set.len() > MAX_CERTIFICATES {
                return Err(Error::Malformed {
                    what: format!(
                        "it carries {} certificates, more than the {MAX_CERTIFICATES} accepted",
                        set.len()
                    ),
                });
            }
            for c in set {
                // Other certificate formats (attribute certificates, …) are not X.509 keys.
                if c.first() == Some(&0x30) {
                    certificates.push(
                        Cert::parse(c.to_vec())
                            .map_err(|e| malformed("a certificate in it cannot be read", e))?,
                    );
                }
            }
        }
        let infos = parts.last().copied().ok_or(Error::NoSigner)?;
        let info = children(infos).map_err(raw)?;
        let info = info.first().copied().ok_or(Error::NoSigner)?;
        let signed_attrs = children(info)
            .map_err(raw)?
            .into_iter()
            .find(|p| p.first() == Some(&0xA0))
            .map(|p| {
                let mut set = p.to_vec();
                set[0] = 0x31;
                set
            });

        algorithms::digest(&signer.digest_alg.oid)?;
        let scheme = algorithms::cms_signature(&signer.signature_algorithm.oid)?;
        let attached = match &signed_data.encap_content_info.econtent {
            None => None,
            Some(any) => Some(
                any.decode_as::<OctetString>()
                    .map_err(|e| malformed("its attached content is not an OCTET STRING", e))?
                    .into_bytes(),
            ),
        };
        Ok(Self {
            signer,
            scheme,
            signed_attrs,
            content_type: signed_data.encap_content_info.econtent_type,
            attached,
            certificates,
        })
    }

    /// Checks the digest and the signature over `content`, and finds the signer's certificate.
    pub(crate) fn verify(&self, content: &[u8]) -> Result<Verified, Error> {
        // An attached copy of the application proves the same as a detached signature; any
        // other attached document is not what was filed.
        if let Some(attached) = &self.attached
            && attached.as_slice() != content
        {
            return Err(Error::AttachedContentDiffers);
        }
        let certificate = self.find_certificate()?.clone();
        chain::check_signing_usage(&certificate)?;
        let content_digest = Sha256::digest(content);
        let mut signed_at = None;
        let hash = match &self.signed_attrs {
            None => content_digest,
            Some(raw) => {
                signed_at = self.check_attributes(content_digest.as_slice())?;
                Sha256::digest(raw)
            }
        };
        chain::verify_signature(
            &certificate.cert.tbs_certificate.subject_public_key_info,
            self.scheme,
            hash.as_slice(),
            self.signer.signature.as_bytes(),
        )
        .map_err(|e| match e {
            Error::SignatureInvalid { .. } if self.signed_attrs.is_none() => {
                Error::SignatureInvalid {
                    reason: "it does not verify over the document with the signer's key: the document was changed after signing, or it was not signed with this certificate".into(),
                }
            }
            other => other,
        })?;
        Ok(Verified {
            certificate,
            signed_at,
        })
    }

    /// The certificate the signer names.
    fn find_certificate(&self) -> Result<&Cert, Error> {
        let found = match &self.signer.sid {
            SignerIdentifier::IssuerAndSerialNumber(id) => self.certificates.iter().find(|c| {
                let tbs = &c.cert.tbs_certificate;
                tbs.issuer == id.issuer && tbs.serial_number == id.serial_number
            }),
            SignerIdentifier::SubjectKeyIdentifier(ski) => self.certificates.iter().find(|c| {
                matches!(
                    c.cert.tbs_certificate.get::<SubjectKeyIdentifier>(),
                    Ok(Some((_, own))) if own == *ski
                )
            }),
        };
        found.ok_or(Error::CertificateMissing)
    }

    /// Checks contentType and messageDigest (RFC 5652 §5.3, §11), returns signingTime.
    fn check_attributes(&self, content_digest: &[u8]) -> Result<Option<DateTime<Utc>>, Error> {
        let attrs = self
            .signer
            .signed_attrs
            .as_ref()
            .ok_or_else(|| Error::SignedAttributes {
                what: "they cannot be read".into(),
            })?;
        let mut content_type = None;
        let mut digest = None;
        let mut signed_at = None;
        for attr in attrs.iter() {
            let one = || {
                if attr.values.len() == 1 {
                    attr.values.get(0).ok_or_else(|| Error::SignedAttributes {
                        what: format!("attribute {} has no value", attr.oid),
                    })
                } else {
                    Err(Error::SignedAttributes {
                        what: format!(
                            "attribute {} has {} values, not one",
                            attr.oid,
                            attr.values.len()
                        ),
                    })
                }
            };
            match attr.oid {
                CONTENT_TYPE => {
                    let oid: ObjectIdentifier = one()?
                        .decode_as()
                        .map_err(|e| malformed("its contentType attribute", e))?;
                    content_type = Some(oid);
                }
                MESSAGE_DIGEST => {
                    let value: OctetString = one()?
                        .decode_as()
                        .map_err(|e| malformed("its messageDigest attribute", e))?;
                    digest = Some(value.into_bytes());
                }
                SIGNING_TIME => {
                    let time = one()?
                        .to_der()
                        .and_then(|der| Time::from_der(&der))
                        .map_err(|e| malformed("its signingTime attribute", e))?;
                    signed_at = Some(utc(&time));
                }
                _ => {}
            }
        }
        match content_type {
            None => {
                return Err(Error::SignedAttributes {
                    what: "the contentType attribute is missing (RFC 5652 §5.3)".into(),
                });
            }
            Some(t) if t != self.content_type => {
                return Err(Error::SignedAttributes {
                    what: format!(
                        "the contentType attribute {t} is not the signed content's type {}",
                        self.content_type
                    ),
                });
            }
            Some(_) => {}
        }
        match digest {
            None => Err(Error::SignedAttributes {
                what: "the messageDigest attribute is missing (RFC 5652 §5.3)".into(),
            }),
            Some(d) if d.as_slice() != content_digest => Err(Error::DigestMismatch),
            Some(_) => Ok(signed_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_forms() {
        assert_eq!(decode_input(&[0x30, 0x00]).unwrap(), vec![0x30, 0x00]);
        assert_eq!(decode_input(b" MAA= \n").unwrap(), vec![0x30, 0x00]);
        assert_eq!(
            decode_input(b"-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n").unwrap(),
            vec![0x30, 0x00]
        );
        let message =
            decode_input(b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
                .unwrap_err()
                .to_string();
        assert!(
            message.ends_with("its PEM label is \"CERTIFICATE\", not CMS or PKCS7"),
            "{message}"
        );
        let message = decode_input(&[0xff, 0xfe]).unwrap_err().to_string();
        assert!(message.contains("neither DER"), "{message}");
    }

    #[test]
    fn children_are_whole_encodings() {
        // SEQUENCE { INTEGER 5, [0] { NULL } }
        let der = [0x30, 0x07, 0x02, 0x01, 0x05, 0xa0, 0x02, 0x05, 0x00];
        assert_eq!(children(&der).unwrap(), vec![&der[2..5], &der[5..9]]);
        assert!(children(&[0x30, 0x05, 0x02]).is_err());
    }
}
