//! PostgreSQL's own tools, found on `PATH`: `pg_dump --format=custom` reads one exported
//! snapshot, `pg_restore` writes it back in one transaction. Debian's `/usr/bin/pg_dump` is a
//! wrapper that picks the client matching the server's cluster.
//!
//! The connection URL is given to the tools as libpq reads it (`--dbname=URL`), without its
//! password: that goes in `PGPASSWORD`, since a command line is readable by every user of the
//! machine. Messages name the database only as [`crate::store::Location::describe`] does.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::Error;

/// The tool `name` on `PATH`, or an error saying what to install.
pub fn tool(name: &'static str) -> Result<PathBuf, Error> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or(Error::ToolMissing(name))
}

/// Dumps the database at `url`, as of the exported `snapshot`, to `file`.
pub async fn dump(url: &str, snapshot: &str, file: &Path) -> Result<(), Error> {
    let pg_dump = tool("pg_dump")?;
    let (url, password) = without_password(url);
    let mut command = Command::new(pg_dump);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--no-password")
        .arg(format!("--file={}", file.display()))
        .arg(format!("--dbname={url}"))
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| Error::Tool("pg_dump", e.to_string()))?;
    if !output.status.success() {
        return Err(Error::Tool("pg_dump", stderr(&output.stderr)));
    }
    Ok(())
}

/// Restores `file` into the database at `url` in one transaction: all of it or nothing.
/// Objects of the same name the database already has (an empty schema `serve` created) are
/// dropped first in that transaction; a database with rows was refused before this.
pub async fn restore(url: &str, file: &Path) -> Result<(), Error> {
    let pg_restore = tool("pg_restore")?;
    let (url, password) = without_password(url);
    let mut command = Command::new(pg_restore);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--clean",
            "--if-exists",
            "--no-password",
        ])
        .arg(format!("--dbname={url}"))
        .arg(file)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| Error::Tool("pg_restore", e.to_string()))?;
    if !output.status.success() {
        return Err(Error::Tool("pg_restore", stderr(&output.stderr)));
    }
    Ok(())
}

/// The tool's complaint: its last lines, which say what went wrong.
fn stderr(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    lines[start..].join("; ")
}

/// The URL without its password (in `user:password@` or `?password=`), and the password,
/// percent-decoded.
fn without_password(url: &str) -> (String, Option<String>) {
    let (address, query) = match url.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (url, None),
    };
    let mut password = None;
    let mut out = address.to_string();
    if let Some((scheme, rest)) = address.split_once("://") {
        let end = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if let Some((user, host)) = authority.rsplit_once('@')
            && let Some((name, secret)) = user.split_once(':')
        {
            password = Some(decode(secret));
            out = format!("{scheme}://{name}@{host}{path}");
        }
    }
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| match pair.split_once('=') {
                Some(("password", secret)) => {
                    password = Some(decode(secret));
                    false
                }
                _ => true,
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    (out, password)
}

/// `%XX` escapes decoded (as libpq decodes a URL's parts).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            without_password("postgres://qz:s%40cret@db:5432/qyzmet?sslmode=require"),
            (
                "postgres://qz@db:5432/qyzmet?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            without_password("postgres://qz@db/qyzmet?password=x&sslmode=require"),
            (
                "postgres://qz@db/qyzmet?sslmode=require".to_string(),
                Some("x".to_string())
            )
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1:5432/qz"),
            ("postgres://postgres@127.0.0.1:5432/qz".to_string(), None)
        );
    }
}
