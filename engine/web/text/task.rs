//! The task form: claiming, confirming, what happened after completion, expired sessions.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[];
