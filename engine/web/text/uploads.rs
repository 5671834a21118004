//! Uploaded scans of documents.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[];
