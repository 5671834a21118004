//! The citizen's CMS signature over a portal application (`engine/signature/`).
//!
//! What the portal's developer needs (seeds/001: Semipalatinsk item 3, social assistance
//! item 6, home education item 6, ENPF item 2; the digital signature "confirms the reliability
//! of the electronic document, its belonging and the invariance of its content", item 3(9) of
//! the difference-payment rules): a good signature yields who signed, with the IIN to compare
//! with the applicant's; every bad one is refused with a message that says what is wrong —
//! a changed document, an expired or untrusted certificate, a GOST key by name, garbage.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use x509_cert::der::asn1::{Any, OctetString};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};

use qyzmet::signature::test_pki::{Authority, ROOT_NAME, date};
use qyzmet::signature::{Signer, TrustedRoots, verify_detached};

/// The applicant of the examples.
const IIN: &str = "880101300123";
/// Their name as their certificate has it.
const NAME: &str = "ТЕСТОВ ТЕСТ";
/// The application as the portal sends it for signing.
const APPLICATION: &[u8] = "{\"service\":\"semipalatinsk-nuclear-test-victims\",\"iin\":\"880101300123\",\"zone\":\"Абай\"}".as_bytes();

/// When the citizen signs, and when the portal checks.
fn signed_at() -> DateTime<Utc> {
    date(2026, 7, 12) + chrono::Duration::hours(9)
}
fn now() -> DateTime<Utc> {
    signed_at() + chrono::Duration::minutes(2)
}

/// A signature by a citizen of the test root, valid 2026-01-01 to 2027-01-01.
fn good_signature() -> Vec<u8> {
    Authority::root()
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .sign(APPLICATION, signed_at())
}

/// Verifies against the test root.
fn verify(content: &[u8], signature: &[u8]) -> Result<Signer, String> {
    verify_detached(
        content,
        signature,
        &Authority::root().trusted_roots(),
        now(),
    )
    .map_err(|e| e.to_string())
}

/// The message a refused signature gets.
fn refused(content: &[u8], signature: &[u8]) -> String {
    match verify(content, signature) {
        Ok(signer) => panic!("expected a refusal, verified {signer:?}"),
        Err(message) => message,
    }
}

/// The same message with its SignedData changed (re-encoded by the `cms` crate).
fn rewrite(signature: &[u8], change: impl FnOnce(&mut SignedData)) -> Vec<u8> {
    let mut info = ContentInfo::from_der(signature).unwrap();
    let mut signed_data: SignedData = info.content.decode_as().unwrap();
    change(&mut signed_data);
    info.content = Any::encode_from(&signed_data).unwrap();
    info.to_der().unwrap()
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

#[test]
fn a_good_signature_says_who_signed() {
    let signer = verify(APPLICATION, &good_signature()).unwrap();
    assert_eq!(signer.iin.as_deref(), Some(IIN));
    assert_eq!(signer.name, NAME);
    assert!(signer.issuer.contains(ROOT_NAME), "{}", signer.issuer);
    assert_eq!(signer.signed_at, Some(signed_at()));
    assert_eq!(signer.not_before, date(2026, 1, 1));
    assert_eq!(signer.not_after, date(2027, 1, 1));
    assert_eq!(signer.serial.len(), 32, "{}", signer.serial);
}

#[test]
fn a_signature_of_another_person_says_their_iin() {
    let other = Authority::root()
        .issue(
            "900202400456",
            "БАСҚА АДАМ",
            date(2026, 1, 1),
            date(2027, 1, 1),
        )
        .sign(APPLICATION, signed_at());
    let signer = verify(APPLICATION, &other).unwrap();
    assert_eq!(signer.iin.as_deref(), Some("900202400456"));
    assert_eq!(signer.name, "БАСҚА АДАМ");
}

#[test]
fn pem_and_base64_of_the_signature_are_read_too() {
    use base64ct::Encoding as _;
    let der = good_signature();
    let base64 = base64ct::Base64::encode_string(&der);
    let wrapped: String = base64
        .as_bytes()
        .chunks(64)
        .map(|line| format!("{}\n", std::str::from_utf8(line).unwrap()))
        .collect();
    let pem = format!("-----BEGIN CMS-----\n{wrapped}-----END CMS-----\n");
    assert_eq!(
        verify(APPLICATION, base64.as_bytes())
            .unwrap()
            .iin
            .as_deref(),
        Some(IIN)
    );
    assert_eq!(
        verify(APPLICATION, wrapped.as_bytes())
            .unwrap()
            .iin
            .as_deref(),
        Some(IIN)
    );
    assert_eq!(
        verify(APPLICATION, pem.as_bytes()).unwrap().iin.as_deref(),
        Some(IIN)
    );
}

#[test]
fn a_changed_document_is_refused() {
    let mut changed = APPLICATION.to_vec();
    *changed.last_mut().unwrap() ^= 1;
    assert_eq!(
        refused(&changed, &good_signature()),
        "the signature does not match the document: it was changed after signing"
    );
}

#[test]
fn an_expired_certificate_is_refused_with_its_dates() {
    let expired = Authority::root()
        .issue(IIN, NAME, date(2026, 1, 1), date(2026, 6, 1))
        .sign(APPLICATION, signed_at());
    let message = refused(APPLICATION, &expired);
    assert!(
        message.starts_with("the signer's certificate (serial "),
        "{message}"
    );
    assert!(
        message.ends_with(
            "expired on 2026-06-01 00:00:00 UTC (valid from 2026-01-01 00:00:00 UTC); the document was signed on 2026-07-12 09:00:00 UTC"
        ),
        "{message}"
    );
}

#[test]
fn a_certificate_not_yet_valid_is_refused_with_its_dates() {
    let early = Authority::root()
        .issue(IIN, NAME, date(2026, 8, 1), date(2027, 8, 1))
        .sign(APPLICATION, signed_at());
    let message = refused(APPLICATION, &early);
    assert!(
        message.ends_with(
            "is not yet valid on 2026-07-12 09:00:00 UTC: it is valid from 2026-08-01 00:00:00 UTC to 2027-08-01 00:00:00 UTC"
        ),
        "{message}"
    );
}

#[test]
fn a_signing_time_in_the_future_counts_as_now() {
    // Signed "in 2028", after the certificate expires: the claim is not believed, now is.
    let signature = Authority::root()
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .sign(APPLICATION, date(2028, 1, 1));
    assert_eq!(
        verify(APPLICATION, &signature).unwrap().signed_at,
        Some(date(2028, 1, 1))
    );
}

#[test]
fn a_certificate_of_another_root_is_untrusted() {
    // Same root name, another key: what an impostor makes.
    let impostor = Authority::impostor()
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .sign(APPLICATION, signed_at());
    let message = refused(APPLICATION, &impostor);
    assert!(
        message.starts_with(
            "signed with a certificate not issued by a trusted certifying centre (issuer: "
        ),
        "{message}"
    );
    // Carrying its own root in the message changes nothing.
    let carrying = Authority::impostor()
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .carrying(&Authority::impostor())
        .sign(APPLICATION, signed_at());
    assert!(refused(APPLICATION, &carrying).starts_with("signed with a certificate not issued"));
    // And with no root configured, nothing is trusted.
    let message = verify_detached(
        APPLICATION,
        &good_signature(),
        &TrustedRoots::default(),
        now(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.starts_with("signed with a certificate not issued"),
        "{message}"
    );
}

#[test]
fn gost_is_refused_by_name() {
    let cases = [
        // A Streebog digest and a GOST key, as a GOST signer writes them.
        (
            "1.2.643.7.1.1.2.2",
            "1.2.643.7.1.1.1.1",
            "GOST R 34.11-2015 (Streebog, 256-bit) (1.2.643.7.1.1.2.2) is not supported: sign with an RSA or ECDSA P-256 key and SHA-256",
        ),
        (
            "2.16.840.1.101.3.4.2.1",
            "1.2.643.7.1.1.3.3",
            "GOST R 34.10-2015 with GOST R 34.11-2015 (512-bit) (1.2.643.7.1.1.3.3) is not supported: sign with an RSA or ECDSA P-256 key and SHA-256",
        ),
        (
            "2.16.840.1.101.3.4.2.1",
            "1.2.398.3.10.1.1.2.3.2",
            "GOST R 34.10-2015 with GOST R 34.11-2015 (512-bit) (1.2.398.3.10.1.1.2.3.2) is not supported: sign with an RSA or ECDSA P-256 key and SHA-256",
        ),
        (
            "2.16.840.1.101.3.4.2.1",
            "1.3.6.1.4.1.6801.1.5.8",
            "GOST 34.310-2004 / 34.311-95 (Tumar, KalkanCrypt) (1.3.6.1.4.1.6801.1.5.8) is not supported: sign with an RSA or ECDSA P-256 key and SHA-256",
        ),
    ];
    for (digest, algorithm, expected) in cases {
        let gost = rewrite(&good_signature(), |sd| {
            let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
            signer.digest_alg.oid = oid(digest);
            signer.signature_algorithm.oid = oid(algorithm);
            signer.signature_algorithm.parameters = None;
            sd.signer_infos = vec![signer].try_into().unwrap();
            let mut digests = sd.digest_algorithms.get(0).unwrap().clone();
            digests.oid = oid(digest);
            sd.digest_algorithms = vec![digests].try_into().unwrap();
        });
        assert_eq!(refused(APPLICATION, &gost), expected);
    }
}

#[test]
fn weak_and_unknown_algorithms_are_refused() {
    let sha1 = rewrite(&good_signature(), |sd| {
        let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
        signer.digest_alg.oid = oid("1.3.14.3.2.26");
        sd.signer_infos = vec![signer].try_into().unwrap();
    });
    assert_eq!(
        refused(APPLICATION, &sha1),
        "SHA-1 (1.3.14.3.2.26) is too weak and refused: SHA-256 is required"
    );
    let unknown = rewrite(&good_signature(), |sd| {
        let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
        signer.signature_algorithm.oid = oid("1.3.101.112");
        sd.signer_infos = vec![signer].try_into().unwrap();
    });
    assert_eq!(
        refused(APPLICATION, &unknown),
        "unknown signature algorithm 1.3.101.112: supported are RSA PKCS#1 v1.5 and ECDSA P-256, with SHA-256"
    );
}

#[test]
fn garbage_is_refused_as_malformed() {
    let message = refused(APPLICATION, b"not a signature at all");
    assert!(
        message.starts_with(
            "the signature is not a well-formed CMS message: it is neither DER nor PEM, and its base64 cannot be read"
        ),
        "{message}"
    );
    let message = refused(APPLICATION, &[0x30, 0x82, 0x01]);
    assert!(
        message.starts_with(
            "the signature is not a well-formed CMS message: it is not a DER-encoded CMS ContentInfo"
        ),
        "{message}"
    );
    assert_eq!(
        refused(APPLICATION, b"  \n"),
        "the signature is not a well-formed CMS message: it is empty"
    );
    // A certificate is DER too, but not a CMS message.
    let certificate = Authority::root().certificate_der();
    assert!(
        refused(APPLICATION, &certificate)
            .starts_with("the signature is not a well-formed CMS message")
    );
}

#[test]
fn cms_that_is_not_signed_data_is_refused() {
    let mut info = ContentInfo::from_der(&good_signature()).unwrap();
    info.content_type = oid("1.2.840.113549.1.7.3");
    assert_eq!(
        refused(APPLICATION, &info.to_der().unwrap()),
        "the signature is a CMS message of content type 1.2.840.113549.1.7.3, not SignedData (1.2.840.113549.1.7.2)"
    );
}

#[test]
fn attached_content_is_accepted_only_when_it_is_the_application() {
    let attach = |content: &[u8]| {
        let content = OctetString::new(content.to_vec()).unwrap();
        rewrite(&good_signature(), move |sd| {
            sd.encap_content_info.econtent = Some(Any::encode_from(&content).unwrap());
        })
    };
    assert_eq!(
        verify(APPLICATION, &attach(APPLICATION))
            .unwrap()
            .iin
            .as_deref(),
        Some(IIN)
    );
    assert_eq!(
        refused(APPLICATION, &attach(b"another document")),
        "the signature carries a document of its own that differs from the application: sign the application itself (a detached signature is expected)"
    );
}

#[test]
fn signers_other_than_one_are_refused() {
    let none = rewrite(&good_signature(), |sd| {
        sd.signer_infos = vec![].try_into().unwrap()
    });
    assert_eq!(refused(APPLICATION, &none), "the signature has no signer");
    let two = rewrite(&good_signature(), |sd| {
        let first = sd.signer_infos.0.get(0).unwrap().clone();
        let mut second = first.clone();
        second.signature = OctetString::new(vec![1, 2, 3]).unwrap();
        sd.signer_infos = vec![first, second].try_into().unwrap();
    });
    assert_eq!(
        refused(APPLICATION, &two),
        "the signature has 2 signers; one signer, the applicant, is supported"
    );
}

#[test]
fn a_missing_certificate_or_a_forged_value_is_refused() {
    let without = rewrite(&good_signature(), |sd| sd.certificates = None);
    assert_eq!(
        refused(APPLICATION, &without),
        "the signer's certificate is missing from the signature: sign with the certificate included"
    );
    let forged = rewrite(&good_signature(), |sd| {
        let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
        // Another signer's value over the same attributes: not made by this certificate's key.
        let other = Authority::root()
            .issue(
                "900202400456",
                "БАСҚА АДАМ",
                date(2026, 1, 1),
                date(2027, 1, 1),
            )
            .sign(APPLICATION, signed_at());
        let other = ContentInfo::from_der(&other).unwrap();
        let other: SignedData = other.content.decode_as().unwrap();
        signer.signature = other.signer_infos.0.get(0).unwrap().signature.clone();
        sd.signer_infos = vec![signer].try_into().unwrap();
    });
    assert_eq!(
        refused(APPLICATION, &forged),
        "the signature is invalid: the signature value does not verify with the certificate's key"
    );
}

/// The committed RSA test key (`tests/fixtures/signature/README.md`).
fn rsa_test_key() -> rsa::RsaPrivateKey {
    use rsa::pkcs8::DecodePrivateKey as _;
    let pem = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/signature/test-only-rsa-2048-key.pem"),
    )
    .unwrap();
    rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap()
}

#[test]
fn an_rsa_certifying_centre_is_followed() {
    // RSA certificate signatures (SHA-256 with RSA), as the National Certifying Centre's.
    let root = Authority::rsa_root(
        "qyzmet RSA test root",
        rsa_test_key(),
        date(2026, 1, 1),
        date(2036, 1, 1),
    );
    let signature = root
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .sign(APPLICATION, signed_at());
    let signer = verify_detached(APPLICATION, &signature, &root.trusted_roots(), now()).unwrap();
    assert_eq!(signer.iin.as_deref(), Some(IIN));
    assert!(
        signer.issuer.contains("qyzmet RSA test root"),
        "{}",
        signer.issuer
    );
    // The ECDSA root of the same tests does not vouch for it.
    assert!(refused(APPLICATION, &signature).starts_with("signed with a certificate not issued"));
}

#[test]
fn the_rsa_path_verifies() {
    let key = rsa_test_key();
    let citizen = Authority::root().issue_rsa(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1), key);
    let signature = citizen.sign(APPLICATION, signed_at());
    assert_eq!(
        verify(APPLICATION, &signature).unwrap().iin.as_deref(),
        Some(IIN)
    );
    let mut changed = APPLICATION.to_vec();
    changed[0] = b'[';
    assert_eq!(
        refused(&changed, &signature),
        "the signature does not match the document: it was changed after signing"
    );
}

#[test]
fn trusted_roots_come_from_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roots.pem");
    qyzmet::signature::test_pki::write_root_pem(&path).unwrap();
    let roots = TrustedRoots::from_pem_files(std::slice::from_ref(&path)).unwrap();
    assert_eq!(roots.len(), 1);
    let signer = verify_detached(APPLICATION, &good_signature(), &roots, now()).unwrap();
    assert_eq!(signer.iin.as_deref(), Some(IIN));
    // The same PEM every time: a dev config can trust a file written once.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        Authority::root().certificate_pem()
    );

    // A DER `.cer`, as certifying centres publish their roots, and a bundle with OpenSSL's
    // text between the blocks, are read too.
    let cer = dir.path().join("root.cer");
    std::fs::write(&cer, Authority::root().certificate_der()).unwrap();
    let bundle = dir.path().join("bundle.pem");
    std::fs::write(
        &bundle,
        format!(
            "subject=CN = other\n{}\nsubject=CN = {ROOT_NAME}\n{}",
            Authority::impostor().certificate_pem(),
            Authority::root().certificate_pem()
        ),
    )
    .unwrap();
    let roots = TrustedRoots::from_pem_files(&[cer, bundle]).unwrap();
    assert_eq!(roots.len(), 3);
    assert!(verify_detached(APPLICATION, &good_signature(), &roots, now()).is_ok());

    let missing = dir.path().join("missing.pem");
    let message = TrustedRoots::from_pem_files(std::slice::from_ref(&missing))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "the trusted roots file {} cannot be read",
            missing.display()
        )),
        "{message}"
    );
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let message = TrustedRoots::from_pem_files(std::slice::from_ref(&empty))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!(
            "trusted root {} is not an X.509 certificate: no certificate in it",
            empty.display()
        )
    );
}

#[test]
fn a_chain_through_an_issuing_centre_is_followed() {
    let root = Authority::root();
    let centre = root.subordinate(
        "qyzmet test issuing centre",
        "centre",
        date(2026, 1, 1),
        date(2030, 1, 1),
    );
    let citizen = centre.issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1));
    // Without the issuing centre's certificate the chain stops at it.
    let alone = citizen.sign(APPLICATION, signed_at());
    let message = refused(APPLICATION, &alone);
    assert!(
        message.contains("(issuer: ") && message.contains("qyzmet test issuing centre"),
        "{message}"
    );
    // With it, the chain reaches the root.
    let citizen = centre
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .carrying(&centre);
    let signer = verify(APPLICATION, &citizen.sign(APPLICATION, signed_at())).unwrap();
    assert!(
        signer.issuer.contains("qyzmet test issuing centre"),
        "{}",
        signer.issuer
    );
    assert_eq!(signer.iin.as_deref(), Some(IIN));

    // An expired issuing centre is named.
    let old = root.subordinate(
        "qyzmet old centre",
        "old centre",
        date(2026, 1, 1),
        date(2026, 3, 1),
    );
    let citizen = old
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .carrying(&old);
    assert!(
        refused(APPLICATION, &citizen.sign(APPLICATION, signed_at())).starts_with(
            "the certifying centre's certificate \"qyzmet old centre\" expired on 2026-03-01 00:00:00 UTC"
        )
    );

    // A citizen's certificate cannot issue others.
    let poser =
        root.end_entity_posing_as_ca("not a centre", "poser", date(2026, 1, 1), date(2030, 1, 1));
    let citizen = poser
        .issue(IIN, NAME, date(2026, 1, 1), date(2027, 1, 1))
        .carrying(&poser);
    assert_eq!(
        refused(APPLICATION, &citizen.sign(APPLICATION, signed_at())),
        "the certificate \"not a centre\" issued another but is not a certifying centre's (no CA basic constraint)"
    );
}

#[test]
fn a_signature_made_by_openssl_verifies() {
    // Another implementation's CMS (`tests/fixtures/signature/openssl/make.sh`): an RSA root,
    // an RSA citizen with a patronymic (G=), signed attributes with S/MIME capabilities.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signature/openssl");
    let roots = TrustedRoots::from_pem_files(&[dir.join("root.pem")]).unwrap();
    let content = std::fs::read(dir.join("application.json")).unwrap();
    let signature = std::fs::read(dir.join("application.p7s")).unwrap();
    let signer = verify_detached(&content, &signature, &roots, date(2027, 1, 1)).unwrap();
    assert_eq!(signer.iin.as_deref(), Some(IIN));
    assert_eq!(signer.name, "ТЕСТОВ ТЕСТ ТЕСТОВИЧ");
    assert!(
        signer.issuer.contains("qyzmet OpenSSL test root"),
        "{}",
        signer.issuer
    );
    assert!(signer.signed_at.is_some());
    let mut changed = content.clone();
    changed[2] = b'S';
    assert_eq!(
        verify_detached(&changed, &signature, &roots, date(2027, 1, 1))
            .unwrap_err()
            .to_string(),
        "the signature does not match the document: it was changed after signing"
    );
}

#[test]
fn an_algorithm_that_does_not_fit_the_key_is_refused() {
    // An RSA signature claimed over an ECDSA certificate's key.
    let mismatched = rewrite(&good_signature(), |sd| {
        let mut signer = sd.signer_infos.0.get(0).unwrap().clone();
        signer.signature_algorithm.oid = oid("1.2.840.113549.1.1.11");
        sd.signer_infos = vec![signer].try_into().unwrap();
    });
    assert_eq!(
        refused(APPLICATION, &mismatched),
        "the signature is invalid: its algorithm (RSA) does not fit the certificate's key (ECDSA P-256)"
    );
}
