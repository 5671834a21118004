//! Passwords: Argon2id hashes, temporary passwords and the policy a new password must meet.
//!
//! Hashing is RustCrypto's `argon2` with its defaults (Argon2id, version 19, 19 MiB, two
//! passes, one lane: the OWASP recommendation), stored as a PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). The string carries its salt and its
//! parameters, so they can be raised later and old hashes still verify.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::rngs::OsRng;
use rand::{Rng, TryRngCore};

/// The shortest password the policy accepts.
pub const MIN_LENGTH: usize = 12;

/// The longest: enough for any passphrase, short of a request that is only there to make
/// the server hash megabytes.
pub const MAX_LENGTH: usize = 128;

/// How long a temporary password is: 16 characters of a 52-character alphabet, about 91 bits.
pub const TEMPORARY_LENGTH: usize = 16;

/// Letters and digits that cannot be misread when the password is read out or copied from a
/// letter: no `0`/`O`/`o`, `1`/`l`/`I`, `5`/`S`, `2`/`Z`.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRTUVWXYabcdefghijkmnpqrstuvwxyz346789";

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The hasher failed (the operating system's random source, or a stored hash that is
    /// not a PHC string: the database was edited).
    #[error("password hash: {0}")]
    Hash(String),
}

/// Hashes a password with Argon2id and a fresh random salt from the operating system, for
/// storing: only the hash is kept, never the password.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| Error::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `phc` was made from. The comparison is in constant time;
/// a stored hash that is not a PHC string is an error, not a wrong password.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, Error> {
    match Argon2::default().verify_password(password.as_bytes(), phc) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(Error::Hash(e.to_string())),
    }
}

/// A temporary password for the first sign-in (seeds/003 item 20), to be replaced by the
/// user at that sign-in (seeds/003 item 24). Drawn from the operating system's random source;
/// it always meets the policy, so the user is never told their own first password is weak.
pub fn generate_temporary_password() -> String {
    let mut rng = OsRng.unwrap_err();
    loop {
        let candidate: String = (0..TEMPORARY_LENGTH)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        if check(&candidate, "").is_empty() {
            return candidate;
        }
    }
}

/// A rule of the password policy that a password breaks. Each names its rule, so the person
/// choosing a password is told what to change, all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Shorter than [`MIN_LENGTH`] characters.
    TooShort,
    /// Longer than [`MAX_LENGTH`] characters.
    TooLong,
    /// No letter at all.
    NoLetter,
    /// No digit at all.
    NoDigit,
    /// The login itself (in any case): the first thing anyone would try.
    SameAsLogin,
    /// The temporary password again: seeds/003 item 24 wants it replaced at first sign-in.
    SameAsTemporary,
    /// The password it is meant to replace.
    SameAsCurrent,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::TooShort => write!(f, "shorter than {MIN_LENGTH} characters"),
            Rule::TooLong => write!(f, "longer than {MAX_LENGTH} characters"),
            Rule::NoLetter => f.write_str("has no letter"),
            Rule::NoDigit => f.write_str("has no digit"),
            Rule::SameAsLogin => f.write_str("is the login"),
            Rule::SameAsTemporary => f.write_str("is the temporary password"),
            Rule::SameAsCurrent => f.write_str("is the current password"),
        }
    }
}

/// The rules `password` breaks as a password for `login`, in the policy's order; empty when
/// it is acceptable. Whether it repeats the password it replaces needs the stored hash and
/// is checked by [`super::change_password`].
pub fn check(password: &str, login: &str) -> Vec<Rule> {
    let mut broken = Vec::new();
    let length = password.chars().count();
    if length < MIN_LENGTH {
        broken.push(Rule::TooShort);
    }
    if length > MAX_LENGTH {
        broken.push(Rule::TooLong);
    }
    if !password.chars().any(char::is_alphabetic) {
        broken.push(Rule::NoLetter);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        broken.push(Rule::NoDigit);
    }
    if !login.is_empty() && password.to_lowercase() == login.to_lowercase() {
        broken.push(Rule::SameAsLogin);
    }
    broken
}

/// The rules as one English line: "the new password is refused: shorter than 12
/// characters; has no digit".
pub fn describe(rules: &[Rule]) -> String {
    let list: Vec<String> = rules.iter().map(Rule::to_string).collect();
    format!("the new password is refused: {}", list.join("; "))
}
