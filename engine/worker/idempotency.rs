//! An application's idempotency key: a caller that did not hear the answer to a submission
//! (a timeout, a dropped connection) sends it again with the same key and learns the case the
//! first one opened, instead of opening a second case for the same citizen.
//!
//! The key is the caller's (keys of two callers never meet) and is stored with the case, in
//! the transaction that opens it (`store::idempotency`): the case and its key exist together
//! or not at all, and the writer's one connection orders two submissions of the same key, so
//! the second always finds the first.

use sha2::{Digest, Sha256};

use crate::runtime::{Submission, normalise};

/// The longest key taken: longer is not a key but a payload.
pub const MAX_LEN: usize = 255;

/// A caller's idempotency key with the digest of the application it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Whose key: the login of the account that filed.
    pub owner: String,
    /// The key, as sent.
    pub key: String,
    /// The SHA-256 (hex) of the application's canonical form: the service and every field of
    /// the submission, the data nested and the keys in order, so that the same application
    /// written flat or nested, or with its keys in another order, is the same.
    pub digest: String,
}

/// Why a text is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key is 1 to {MAX_LEN} visible ASCII characters (a UUID is a good one)")]
pub struct BadKey;

impl IdempotencyKey {
    /// `owner`'s key `key` for an application of `submission` to `service`.
    pub fn new(
        owner: &str,
        key: &str,
        service: &str,
        submission: &Submission,
    ) -> Result<Self, BadKey> {
        if key.is_empty() || key.len() > MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(BadKey);
        }
        let form = serde_json::json!({
            "service": service,
            "data": normalise(&submission.data),
            "channel": submission.channel,
            "language": submission.language,
            "sms_consent": submission.sms_consent,
            "region": submission.region,
        });
        let canonical = crate::audit::chain::canonical_json(&form);
        Ok(IdempotencyKey {
            owner: owner.to_string(),
            key: key.to_string(),
            digest: hex::encode(Sha256::digest(canonical.as_bytes())),
        })
    }
}

/// What a submission answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// The case's registration number.
    pub number: String,
    /// `true` when the key opened this case before and nothing was opened now.
    pub repeat: bool,
}
