//! Scans of documents a clerk uploads at the desk (a passport, a court act, a power of
//! attorney), kept under the data directory by their content's SHA-256.
//!
//! Why by content: the same scan uploaded twice (again after a mistake elsewhere on the form,
//! or to two cases) is one file, and its name is the evidence of what was received — a hash
//! in the journal can be recounted from the file. Why a temporary file then a rename: a file
//! under its hash is always whole; an upload cut off half-way (the connection dropped, the
//! size limit passed, the type refused) leaves nothing but a temporary file, which is
//! removed at once ([`Incoming`]'s `Drop`).
//!
//! What a file is, is read from its first bytes, never from its name or the type the browser
//! claims: a renamed program is not a scan. Three signatures (PDF, JPEG, PNG) are all a
//! scanner makes; a crate for hundreds of types would be more to trust for nothing.
//!
//! One more kind is not a scan: a list as CSV text (the reconciliation's list of people a
//! proactive wave opens cases for, `format: csv` on a document field). Text has no
//! signature, so a file is taken as a list only when its name ends in `.csv` **and** the
//! whole content is UTF-8 text with no control characters but tabs and line ends; which
//! fields take a list and which a scan is the definition's to say
//! (`runtime::form::check_value`).
//!
//! This module knows files, not cases: which case a file belongs to is a row of the
//! `uploads` table ([`crate::store::uploads`]), written by the page that received it once the
//! case took the form.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// The default largest file, 10 MiB: a multi-page scan at 300 dpi in PDF or JPEG.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// What a scan is, read from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `%PDF-`.
    Pdf,
    /// `FF D8 FF`.
    Jpeg,
    /// `89 50 4E 47 0D 0A 1A 0A`.
    Png,
    /// A `.csv` file of UTF-8 text ([`is_list_text`]): a list, not a scan.
    Csv,
}

impl Kind {
    /// The longest signature: how many first bytes [`Kind::sniff`] needs.
    pub const HEAD: usize = 8;

    /// The kind the first bytes say, if a scan.
    pub fn sniff(head: &[u8]) -> Option<Kind> {
        if head.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else {
            None
        }
    }

    /// The media type it is served as.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Csv => "text/csv",
        }
    }

    /// What a whole file is: a scan by its first bytes, else a list when its name ends in
    /// `.csv` and its content is text.
    pub fn of_file(name: &str, content: &[u8]) -> Option<Kind> {
        Kind::sniff(content).or_else(|| {
            (name.to_lowercase().ends_with(".csv") && is_list_text(content)).then_some(Kind::Csv)
        })
    }

    /// The kind of a media type [`Kind::mime`] gave.
    pub fn from_mime(mime: &str) -> Option<Kind> {
        [Kind::Pdf, Kind::Jpeg, Kind::Png, Kind::Csv]
            .into_iter()
            .find(|k| k.mime() == mime)
    }
}

/// A file stored whole under its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The SHA-256 of its content, lowercase hex: its name on disk.
    pub sha256: String,
    /// The name it had on the clerk's computer (no folders), as the case file shows it.
    pub name: String,
    /// What its first bytes say it is.
    pub kind: Kind,
    /// Its size in bytes.
    pub size: u64,
}

/// Why a file was not stored.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Over the configured limit; what was received of it is gone.
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// Not a PDF, JPEG or PNG by its content, nor a `.csv` list of text.
    #[error("the file is not a PDF, JPEG or PNG, nor a CSV list")]
    NotAScan,
    /// Nothing in it.
    #[error("the file is empty")]
    Empty,
    /// A hash that names no stored file (a form kept from before, whose file is gone, or a
    /// hash made up).
    #[error("no stored file has this hash")]
    Unknown,
    /// The disk.
    #[error("uploads: {0}")]
    Io(#[from] std::io::Error),
    /// The store did not take the link ([`linking`]).
    #[error("linking a scan: {0}")]
    Link(String),
}

/// The folder of stored scans and the size limit.
#[derive(Debug, Clone)]
pub struct Uploads {
    /// `<data-dir>/uploads`: `ab/abcdef…` by hash, and `tmp/` for files being received.
    dir: PathBuf,
    /// The largest file accepted, in bytes.
    max_bytes: u64,
}

impl Uploads {
    /// The scans under `dir`, each at most `max_bytes`.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> Uploads {
        Uploads {
            dir: dir.into(),
            max_bytes,
        }
    }

    /// The largest file accepted, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Where the file of `sha256` is, when it is a SHA-256 in lowercase hex (anything else
    /// could name a path outside the folder).
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256(sha256).then(|| self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Starts receiving a file named `name` on the clerk's computer.
    pub async fn begin(&self, name: &str) -> Result<Incoming, Error> {
        let tmp = self.dir.join("tmp");
        tokio::fs::create_dir_all(&tmp).await?;
        let path = tmp.join(format!("{:032x}.part", rand::random::<u128>()));
        let file = tokio::fs::File::create_new(&path).await?;
        Ok(Incoming {
            uploads: self.clone(),
            name: base_name(name),
            temp: Some(path),
            file,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::with_capacity(Kind::HEAD),
        })
    }

    /// The stored file of `sha256`, under `name`: what a form that came back with mistakes
    /// keeps so the clerk need not upload again. Its kind and size are read again from the
    /// file, not taken from the form.
    pub async fn kept(&self, sha256: &str, name: &str) -> Result<Stored, Error> {
        let path = self.path(sha256).ok_or(Error::Unknown)?;
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::Unknown),
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        let mut head = vec![0; Kind::HEAD];
        let n = read_up_to(&mut file, &mut head).await?;
        let kind = match Kind::sniff(&head[..n]) {
            Some(kind) => kind,
            None => {
                let content = tokio::fs::read(&path).await?;
                Kind::of_file(name, &content).ok_or(Error::NotAScan)?
            }
        };
        Ok(Stored {
            sha256: sha256.to_string(),
            name: base_name(name),
            kind,
            size,
        })
    }

    /// The content of the file of `sha256`; `None` when there is none.
    pub async fn read(&self, sha256: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(path) = self.path(sha256) else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// A file being received: hashed and counted as it is written to a temporary file, which is
/// renamed to its hash by [`Incoming::finish`] or removed when dropped unfinished.
#[derive(Debug)]
pub struct Incoming {
    uploads: Uploads,
    name: String,
    /// The temporary file; `None` once renamed.
    temp: Option<PathBuf>,
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
    /// The first bytes, for the kind.
    head: Vec<u8>,
}

impl Incoming {
    /// Appends `chunk`; [`Error::TooLarge`] once the file passes the limit (the caller stops
    /// writing and drops it, which removes what was written).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.size += chunk.len() as u64;
        if self.size > self.uploads.max_bytes {
            return Err(Error::TooLarge(self.uploads.max_bytes));
        }
        let want = Kind::HEAD.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..want]);
        self.hasher.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    /// Checks what the file is and puts it under its hash, whole: written and synced, then
    /// renamed (a file already there is the same content, and stays).
    pub async fn finish(mut self) -> Result<Stored, Error> {
        if self.size == 0 {
            return Err(Error::Empty);
        }
        self.file.flush().await?;
        self.file.sync_all().await?;
        let kind = match Kind::sniff(&self.head) {
            Some(kind) => kind,
            // Only a `.csv` name is worth reading back (a list is small: the limit holds).
            None if self.name.to_lowercase().ends_with(".csv") => {
                let temp = self.temp.as_ref().expect("not finished yet");
                let content = tokio::fs::read(temp).await?;
                Kind::of_file(&self.name, &content).ok_or(Error::NotAScan)?
            }
            None => return Err(Error::NotAScan),
        };
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let target = self
            .uploads
            .path(&sha256)
            .expect("a SHA-256 in hex names a file");
        let folder = target.parent().expect("under the uploads folder");
        tokio::fs::create_dir_all(folder).await?;
        let temp = self.temp.clone().expect("not finished yet");
        tokio::fs::rename(&temp, &target).await?;
        self.temp = None;
        // The rename is durable once the folder that holds the new name is.
        if let Ok(dir) = tokio::fs::File::open(folder).await {
            let _ = dir.sync_all().await;
        }
        Ok(Stored {
            sha256,
            name: self.name.clone(),
            kind,
            size: self.size,
        })
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take()
            && let Err(e) = std::fs::remove_file(&temp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "a part-received upload was not removed");
        }
    }
}

/// Whether `content` is a list as text: UTF-8 (a byte-order mark allowed), not empty, and
/// no control character but tab, carriage return and line feed — what a spreadsheet's
/// "save as CSV" writes, and no binary renamed `.csv`.
pub fn is_list_text(content: &[u8]) -> bool {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    match std::str::from_utf8(content) {
        Ok(text) => {
            !text.trim().is_empty()
                && !text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
        }
        Err(_) => false,
    }
}

/// Whether `s` is a SHA-256 in lowercase hex.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The file's own name, without the folders some browsers send (`C:\fakepath\scan.pdf`),
/// control characters or more than 200 characters.
pub fn base_name(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        "scan".to_string()
    } else {
        clean.to_string()
    }
}

/// Links stored `scans` (each with the data field it was received for) to case `number`,
/// and journals each new link as [`crate::audit::Action::DocumentUploaded`] by `actor`, in
/// one transaction of the engine's writer; returns how many were new (the same file for the
/// same field of the same case is linked once). The one operation that records a scan: the
/// pages call it once the case has taken the form that carried them.
pub async fn linking(
    engine: &crate::worker::Engine,
    actor: &str,
    number: &str,
    scans: Vec<(String, Stored)>,
    source: Option<&str>,
) -> Result<usize, Error> {
    use crate::audit::{Action, Entry};
    use crate::store;
    if scans.is_empty() {
        return Ok(0);
    }
    let (actor, number, source) = (
        actor.to_string(),
        number.to_string(),
        source.map(str::to_string),
    );
    let done = engine
        .transact(move |conn, now| {
            let (scans, actor, number, source) =
                (scans.clone(), actor.clone(), number.clone(), source.clone());
            Box::pin(async move {
                let mut new = 0;
                for (field, s) in &scans {
                    let upload = store::uploads::Upload {
                        field: field.clone(),
                        sha256: s.sha256.clone(),
                        name: s.name.clone(),
                        content_type: s.kind.mime().to_string(),
                        size: i64::try_from(s.size).unwrap_or(i64::MAX),
                        uploaded_by: actor.clone(),
                        at: now,
                    };
                    let linked = store::uploads::link(conn, &number, &upload)
                        .await
                        .map_err(store::audit::Error::from)?;
                    if linked {
                        new += 1;
                        // Identifiers only: a file's name may be a person's.
                        let entry = Entry::new(&actor, Action::DocumentUploaded)
                            .source(source.as_deref())
                            .object(&number)
                            .details(serde_json::json!({
                                "field": field,
                                "sha256": s.sha256,
                                "content_type": s.kind.mime(),
                                "size": s.size,
                            }));
                        store::audit::append(conn, &entry, now).await?;
                    }
                }
                Ok::<usize, store::audit::Error>(new)
            })
        })
        .await;
    match done {
        Ok(Ok(new)) => Ok(new),
        Ok(Err(e)) => Err(Error::Link(e.to_string())),
        Err(e) => Err(Error::Link(e.to_string())),
    }
}

async fn read_up_to(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use tokio::io::AsyncReadExt;
    let mut n = 0;
    while n < buf.len() {
        let got = file.read(&mut buf[n..]).await?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(n)
}

/// Whether `dir` holds no part-received file: what a test of an aborted upload asks.
pub fn no_partial_files(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("tmp")).map_or(true, |mut d| d.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_content() {
        assert_eq!(Kind::sniff(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(Kind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Jpeg));
        assert_eq!(Kind::sniff(b"\x89PNG\r\n\x1a\n\0"), Some(Kind::Png));
        assert_eq!(Kind::sniff(b"MZ\x90\0"), None, "a Windows program");
        assert_eq!(Kind::sniff(b"%PD"), None);
    }

    #[test]
    fn a_list_is_a_csv_file_of_text() {
        let list = "\u{feff}iin;phone\r\n420305400120;+77011230201\r\n".as_bytes();
        assert_eq!(Kind::of_file("recipients.CSV", list), Some(Kind::Csv));
        assert_eq!(
            Kind::of_file("recipients.txt", list),
            None,
            "not named a list"
        );
        assert_eq!(
            Kind::of_file("list.csv", b"MZ\x90\0iin;phone"),
            None,
            "a program"
        );
        assert_eq!(
            Kind::of_file("list.csv", b"iin;\xFF\xFE"),
            None,
            "not UTF-8"
        );
        assert_eq!(Kind::of_file("list.csv", b" \r\n"), None, "nothing in it");
        assert_eq!(Kind::of_file("scan.csv", b"%PDF-1.7\n"), Some(Kind::Pdf));
    }

    #[test]
    fn names_lose_their_folders() {
        assert_eq!(base_name("C:\\fakepath\\паспорт.pdf"), "паспорт.pdf");
        assert_eq!(base_name("../../etc/passwd"), "passwd");
        assert_eq!(base_name(" \u{7}"), "scan");
    }

    #[test]
    fn only_hex_digests_name_files() {
        let u = Uploads::new("/data/uploads", 1);
        assert!(u.path(&"a".repeat(64)).is_some());
        assert!(u.path("../../etc/passwd").is_none());
        assert!(u.path(&"A".repeat(64)).is_none());
    }

    #[tokio::test]
    async fn stored_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let u = Uploads::new(dir.path(), 16);
        let mut f = u.begin("a.pdf").await.unwrap();
        f.write(b"%PDF-1.7 ").await.unwrap();
        let stored = f.finish().await.unwrap();
        assert_eq!(stored.kind, Kind::Pdf);
        assert_eq!(
            u.read(&stored.sha256).await.unwrap().as_deref(),
            Some(&b"%PDF-1.7 "[..])
        );
        let mut f = u.begin("big.pdf").await.unwrap();
        f.write(b"%PDF-1.7 ").await.unwrap();
        assert!(matches!(
            f.write(b"more than the limit").await,
            Err(Error::TooLarge(16))
        ));
        drop(f);
        let mut f = u.begin("x.pdf").await.unwrap();
        f.write(b"MZ\x90\0").await.unwrap();
        assert!(matches!(f.finish().await, Err(Error::NotAScan)));
        assert!(no_partial_files(dir.path()));
    }
}
