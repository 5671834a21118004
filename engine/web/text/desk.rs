//! What comes from the citizen at the desk: objections and other messages registered by a clerk.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[];
