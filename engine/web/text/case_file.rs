//! The case file shown on the case page and every task page.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[];
