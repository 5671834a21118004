//! The queue: filters, sort, paging, time left.

/// (key, Kazakh, Russian).
pub const TEXT: &[(&str, &str, &str)] = &[];
