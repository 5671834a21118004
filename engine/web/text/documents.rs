//! Documents to open and print.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[];
