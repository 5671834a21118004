//! The backup file: a gzip-compressed tar archive, written and read as a stream, each
//! entry hashed as it passes. Blocking IO: called from `spawn_blocking`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Read};
use std::path::{Component, Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use super::Error;
use super::manifest::{File, Manifest};

/// The manifest's name in the archive.
pub const MANIFEST: &str = "manifest.json";

/// A reader that hashes and counts what it gives.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.size)
    }
}

/// Writes `entries` (archive path, file on disk) and then the manifest made from them by
/// `manifest` into `out`, flushed to disk; returns the manifest written.
pub fn write(
    out: &Path,
    entries: &[(String, PathBuf)],
    manifest: impl FnOnce(Vec<File>) -> Manifest,
) -> Result<Manifest, Error> {
    let io = |e: io::Error| Error::Io(format!("{}: {e}", out.display()));
    // The archive holds every citizen's data: readable by its owner only (the administrator
    // who took it), whatever the umask.
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(out).map_err(io)?;
    let gz = GzEncoder::new(BufWriter::new(file), Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut files = Vec::with_capacity(entries.len());
    for (name, path) in entries {
        let opened =
            fs::File::open(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        let size = opened
            .metadata()
            .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?
            .len();
        let mut header = header(size);
        let mut reader = Hashing::new(opened.take(size));
        tar.append_data(&mut header, name, &mut reader)
            .map_err(io)?;
        let (sha256, read) = reader.finish();
        if read != size {
            return Err(Error::Io(format!(
                "{}: changed while it was read ({read} of {size} bytes)",
                path.display()
            )));
        }
        files.push(File {
            path: name.clone(),
            sha256,
            size,
        });
    }
    let manifest = manifest(files);
    let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    let mut header = header(text.len() as u64);
    tar.append_data(&mut header, MANIFEST, text.as_slice())
        .map_err(io)?;
    let gz = tar.into_inner().map_err(io)?;
    let buffered = gz.finish().map_err(io)?;
    let file = buffered.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(manifest)
}

fn header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header
}

/// Reads the whole archive, hashing every entry, and checks it against its manifest: every
/// file the manifest lists is there whole, and nothing else is. Writes nothing.
pub fn check(from: &Path) -> Result<Manifest, Error> {
    let mut seen: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut manifest_text: Option<Vec<u8>> = None;
    read(from, |name, entry| {
        if name == MANIFEST {
            let mut text = Vec::new();
            entry
                .read_to_end(&mut text)
                .map_err(|e| unreadable(from, e))?;
            manifest_text = Some(text);
            return Ok(());
        }
        let mut reader = Hashing::new(entry);
        io::copy(&mut reader, &mut io::sink()).map_err(|e| unreadable(from, e))?;
        seen.insert(name.to_string(), reader.finish());
        Ok(())
    })?;
    let text = manifest_text.ok_or_else(|| Error::NotABackup(format!("no {MANIFEST}")))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| Error::NotABackup(format!("{MANIFEST}: {e}")))?;
    if manifest.format > super::manifest::FORMAT {
        return Err(Error::NotABackup(format!(
            "format {} is newer than this engine's ({}): restore it with a newer qyzmet",
            manifest.format,
            super::manifest::FORMAT
        )));
    }
    for file in &manifest.files {
        match seen.remove(&file.path) {
            Some((sha256, size)) if sha256 == file.sha256 && size == file.size => {}
            Some(_) => return Err(Error::Damaged(file.path.clone())),
            None => return Err(Error::Missing(file.path.clone())),
        }
    }
    if let Some((extra, _)) = seen.into_iter().next() {
        return Err(Error::NotABackup(format!(
            "{extra} is in the archive but not in its manifest"
        )));
    }
    Ok(manifest)
}

/// Writes every entry but the manifest that `wanted` names to where `place` says (a path
/// that must not exist yet), hashing it again on the way: the archive must still be what
/// [`check`] read.
pub fn extract(
    from: &Path,
    manifest: &Manifest,
    wanted: impl Fn(&str) -> bool,
    place: impl Fn(&str) -> Option<PathBuf>,
) -> Result<(), Error> {
    let expected: BTreeMap<&str, &File> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    read(from, |name, entry| {
        if name == MANIFEST || !wanted(name) {
            return Ok(());
        }
        let (Some(file), Some(target)) = (expected.get(name), place(name)) else {
            return Err(Error::NotABackup(format!("{name} is not in its manifest")));
        };
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Error::Io(format!("{}: {e}", parent.display())))?;
        }
        let io = |e: io::Error| Error::Io(format!("{}: {e}", target.display()));
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(io)?;
        let mut reader = Hashing::new(entry);
        io::copy(&mut reader, &mut out).map_err(io)?;
        out.sync_all().map_err(io)?;
        let (sha256, size) = reader.finish();
        if sha256 != file.sha256 || size != file.size {
            return Err(Error::Damaged(name.to_string()));
        }
        Ok(())
    })
}

fn unreadable(from: &Path, e: io::Error) -> Error {
    Error::NotABackup(format!("{}: {e}", from.display()))
}

/// Calls `each` with every entry's path (checked to stay inside the archive's folders) and
/// its content.
fn read(
    from: &Path,
    mut each: impl FnMut(&str, &mut dyn Read) -> Result<(), Error>,
) -> Result<(), Error> {
    let file = fs::File::open(from).map_err(|e| Error::Io(format!("{}: {e}", from.display())))?;
    let mut archive = tar::Archive::new(GzDecoder::new(io::BufReader::new(file)));
    let entries = archive.entries().map_err(|e| unreadable(from, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| unreadable(from, e))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(Error::NotABackup(
                "an entry is not a regular file (a link or a device)".into(),
            ));
        }
        let path = entry.path().map_err(|e| unreadable(from, e))?.into_owned();
        let name = safe_name(&path).ok_or_else(|| {
            Error::NotABackup(format!("{} is not a plain relative path", path.display()))
        })?;
        each(&name, &mut entry)?;
    }
    Ok(())
}

/// The entry's path as `a/b/c` when it is relative and stays inside (no `..`, no root).
fn safe_name(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}
