//! Tells cargo that the crate depends on the migration folders, which `sqlx::migrate!` reads
//! at compile time: without it a migration added to `migrations/` is missing from a binary
//! that cargo considers up to date (the build script sqlx documents for stable Rust).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
