//! Bearer secrets: session tokens, CSRF tokens, the systems' API tokens.
//!
//! A token is 32 bytes from the operating system's random source, in hex. The database keeps
//! only its SHA-256 (a token has 256 bits of entropy, so a fast hash is enough: there is
//! nothing to guess), and a stolen copy of the database signs nobody in.

use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// A new random token: 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source works");
    hex::encode(bytes)
}

/// What the database keeps of a token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
