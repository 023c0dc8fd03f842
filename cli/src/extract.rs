//! `ots get --extract DIR`: unpacks the ZIP archive of a share of several
//! files (protocol 1.1 §3) into a folder, treating every entry as hostile.
//!
//! It runs only on an archive whose payload authenticated completely, so a
//! damaged share never leaves anything behind. Then, all or nothing:
//!
//! 1. every entry is checked before a byte is written: no absolute path, no
//!    `..` or `.` component, no drive letter, no backslash, no symbolic link,
//!    device, pipe or socket, and every path component a name the protocol's
//!    sanitiser leaves as it is (`ots_proto::safe_file_name`: no reserved or
//!    invisible characters, no device name like `CON`, no trailing dot or
//!    space), except that one leading dot is allowed (`.gitignore`);
//! 2. nothing in `DIR` may be replaced without `--force`, nothing is ever
//!    written through a symbolic link, and no folder is replaced by a file;
//! 3. the entries are written into a private staging folder inside `DIR`,
//!    each one checked against its declared size and CRC and flushed to disk;
//! 4. only then are they renamed into place, and the folders are synced.
//!
//! A failure at any step removes the staging folder.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use async_zip::base::read1::seek::ZipArchiveReader;
use async_zip::base::read1::ZipOptions;
use async_zip::spec::constructs::CDR;
use async_zip::spec::extra::{EFD, EFHID};
use async_zip::spec::ZipString;
use futures_util::io::{AllowStdIo, AsyncReadExt, BufReader};
use ots_proto::safe_file_name;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::names::is_portable_component;

/// Most entries an archive may hold (each costs memory while extracting).
const MAX_ENTRIES: u64 = 1 << 18;
/// Bytes copied at a time.
const COPY_SIZE: usize = 1024 * 1024;
/// Unix file type bits in the upper half of a ZIP entry's external attributes.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
/// The MS-DOS attribute of a folder.
const DOS_DIRECTORY: u32 = 0x10;

/// What an extraction did.
#[derive(Debug)]
pub struct Extracted {
    /// Files written.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Why an extraction wrote nothing.
#[derive(Debug)]
pub enum Refusal {
    /// An entry is unsafe, or the archive is malformed: what and why.
    Unsafe(String),
    /// Something in the target folder is in the way.
    Conflict(String),
    /// Anything else (disk, interruption).
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(err: Error) -> Self {
        Refusal::Failed(err)
    }
}

/// One entry that passed the checks.
#[derive(Debug)]
struct Entry {
    index: usize,
    /// The path's components, each a safe name.
    parts: Vec<String>,
    is_dir: bool,
    size: u64,
}

impl Entry {
    fn rel(&self) -> PathBuf {
        self.parts.iter().collect()
    }
}

type Archive = ZipArchiveReader<BufReader<AllowStdIo<File>>>;

/// Extracts the archive at `archive` into `dir` as the module says. Runs on
/// a blocking thread; the ZIP reader's futures run on `runtime` and wait
/// only on this thread's own reads. Stops (and cleans up) when `cancel` is
/// set.
pub fn extract(
    archive: &Path,
    dir: &Path,
    force: bool,
    cancel: &AtomicBool,
    runtime: &tokio::runtime::Handle,
) -> std::result::Result<Extracted, Refusal> {
    runtime.block_on(extract_async(archive, dir, force, cancel))
}

async fn extract_async(
    archive: &Path,
    dir: &Path,
    force: bool,
    cancel: &AtomicBool,
) -> std::result::Result<Extracted, Refusal> {
    let file = File::open(archive).map_err(Error::io("reading the downloaded archive"))?;
    let options = ZipOptions {
        // Sizes are bounded by the archive and checked entry by entry below.
        max_uncompressed_size_per_file: u64::MAX,
        max_compressed_size_per_file: u64::MAX,
        max_cd_num_files: MAX_ENTRIES,
        max_cd_num_files_load: MAX_ENTRIES,
        max_cd_size_in_bytes: 64 * 1024 * 1024,
        ..ZipOptions::untrusted()
    };
    let mut zip = ZipArchiveReader::open_with_options(
        BufReader::with_capacity(64 * 1024, AllowStdIo::new(file)),
        options,
    )
    .await
    .map_err(|e| Refusal::Unsafe(format!("the archive is malformed ({e})")))?;

    let entries = check_entries(zip.cdrs())?;
    check_target(dir, &entries, force)?;

    let staging = tempfile::Builder::new()
        .prefix(".ots-extract-")
        .tempdir_in(dir)
        .map_err(Error::io(format!("creating a folder in {}", dir.display())))?;
    let mut extracted = Extracted { files: 0, bytes: 0 };
    for entry in &entries {
        if cancel.load(Ordering::Relaxed) {
            return Err(Refusal::Failed(Error::Interrupted));
        }
        let path = staging.path().join(entry.rel());
        if entry.is_dir {
            std::fs::create_dir_all(&path).map_err(Error::io("creating a folder"))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io("creating a folder"))?;
        }
        extracted.bytes += write_entry(&mut zip, entry, &path, cancel).await?;
        extracted.files += 1;
    }
    move_into(staging.path(), dir, &entries, force)?;
    Ok(extracted)
}

/// Checks every entry of the central directory; returns them in archive
/// order, or why the archive is refused.
fn check_entries(cdrs: &[CDR]) -> std::result::Result<Vec<Entry>, Refusal> {
    let mut entries = Vec::with_capacity(cdrs.len());
    let mut files = HashSet::new();
    let mut folders = HashSet::new();
    for (index, cdr) in cdrs.iter().enumerate() {
        let name = match &cdr.insecure_file_name {
            ZipString::UTF8(name) => name.as_str(),
            ZipString::Raw(_) => {
                return Err(Refusal::Unsafe(format!(
                    "entry {} has a name that is not UTF-8",
                    index + 1
                )))
            }
        };
        let (parts, named_dir) = safe_parts(name).map_err(Refusal::Unsafe)?;
        let is_dir = named_dir || entry_kind(cdr, name)? == Kind::Dir;
        let size = cdr
            .uncompressed_size()
            .map_err(|e| Refusal::Unsafe(format!("{name:?} is malformed ({e})")))?;
        if is_dir && size > 0 {
            return Err(Refusal::Unsafe(format!(
                "{name:?} is a folder with content"
            )));
        }
        // A ZIP64 entry must say where its data is: the reader would
        // otherwise fail hard on it.
        if cdr.cdrh.lfh_offset == u32::MAX
            && !matches!(
                cdr.find_ef(EFHID::EI64).map(|ef| &ef.efd),
                Some(EFD::EI64(ei)) if ei.relative_offset.is_some()
            )
        {
            return Err(Refusal::Unsafe(format!(
                "{name:?} is malformed (no offset)"
            )));
        }
        let key = parts.join("/");
        for depth in 1..parts.len() {
            folders.insert(parts[..depth].join("/"));
        }
        if is_dir {
            folders.insert(key);
        } else if !files.insert(key.clone()) {
            return Err(Refusal::Unsafe(format!("the archive holds {key:?} twice")));
        }
        entries.push(Entry {
            index,
            parts,
            is_dir,
            size,
        });
    }
    if let Some(both) = files.iter().find(|f| folders.contains(*f)) {
        return Err(Refusal::Unsafe(format!(
            "{both:?} is both a file and a folder in the archive"
        )));
    }
    Ok(entries)
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
}

/// What the entry's attributes say it is; links and special files are refused.
fn entry_kind(cdr: &CDR, name: &str) -> std::result::Result<Kind, Refusal> {
    let attrs = cdr.cdrh.exter_attr;
    let mode = attrs >> 16;
    let host = cdr.cdrh.v_made_by >> 8;
    // Unix (3) and macOS (19) keep the file's mode in the upper half.
    let unix_like = host == 3 || host == 19;
    match mode & S_IFMT {
        S_IFLNK => Err(Refusal::Unsafe(format!("{name:?} is a symbolic link"))),
        S_IFDIR if unix_like => Ok(Kind::Dir),
        0 | S_IFREG => Ok(if attrs & DOS_DIRECTORY != 0 && !unix_like {
            Kind::Dir
        } else {
            Kind::File
        }),
        _ if unix_like => Err(Refusal::Unsafe(format!(
            "{name:?} is a device, pipe or socket, not a file"
        ))),
        _ => Ok(Kind::File),
    }
}

/// The components of an entry name, and whether it names a folder (ends
/// with `/`); `Err` says why the name is refused.
fn safe_parts(name: &str) -> std::result::Result<(Vec<String>, bool), String> {
    if name.is_empty() {
        return Err("an entry has no name".into());
    }
    if name.contains('\\') {
        return Err(format!(
            "{name:?} holds a backslash, a path separator on Windows"
        ));
    }
    if name.starts_with('/') {
        return Err(format!("{name:?} is an absolute path"));
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(format!("{name:?} starts with a drive letter"));
    }
    let is_dir = name.ends_with('/');
    let path = name.strip_suffix('/').unwrap_or(name);
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" => return Err(format!("{name:?} has an empty path component")),
            ".." => return Err(format!("{name:?} climbs out of the folder (..)")),
            "." => return Err(format!("{name:?} has a '.' component")),
            _ => {}
        }
        if !is_portable_component(part) {
            let rest = part.strip_prefix('.').unwrap_or(part);
            let safe = safe_file_name(rest);
            let why = if safe.strip_prefix('_') == Some(rest) {
                "a reserved device name"
            } else {
                "not a safe file name (reserved or invisible characters, a trailing dot or space, a leading '..', or over 200 bytes)"
            };
            return Err(format!("{name:?}: {part:?} is {why}"));
        }
        parts.push(part.to_owned());
    }
    Ok((parts, is_dir))
}

/// Checks that extracting `entries` into `dir` replaces nothing (without
/// `force`), writes through no link, and turns no folder into a file.
fn check_target(dir: &Path, entries: &[Entry], force: bool) -> std::result::Result<(), Refusal> {
    let mut checked = BTreeSet::new();
    for entry in entries {
        let mut at = dir.to_owned();
        for (depth, part) in entry.parts.iter().enumerate() {
            at.push(part);
            let last = depth + 1 == entry.parts.len();
            if !last && !checked.insert(at.clone()) {
                continue;
            }
            let Ok(existing) = std::fs::symlink_metadata(&at) else {
                // Absent: everything below it will be new.
                break;
            };
            let kind = existing.file_type();
            let wants_dir = !last || entry.is_dir;
            if kind.is_dir() && wants_dir {
                continue;
            }
            let shown = at.display();
            let why = match (kind.is_symlink(), kind.is_dir(), wants_dir) {
                (true, _, true) => {
                    format!("{shown} is a symbolic link, and nothing is extracted through a link")
                }
                (_, true, _) => {
                    format!("{shown} is a folder, and a file of the archive has its name")
                }
                (_, _, true) => {
                    format!("{shown} is a file, and a folder of the archive has its name")
                }
                // A file (or a link, which is replaced, not followed).
                _ if force => continue,
                _ => format!("{shown} already exists (use --force to overwrite)"),
            };
            return Err(Refusal::Conflict(why));
        }
    }
    Ok(())
}

/// Writes entry `entry` of `zip` to `path` (a new file), checking its size;
/// the archive's CRC is checked when the entry's end is read.
async fn write_entry(
    zip: &mut Archive,
    entry: &Entry,
    path: &Path,
    cancel: &AtomicBool,
) -> std::result::Result<u64, Refusal> {
    let shown = entry.parts.join("/");
    let damaged =
        |e: &dyn std::fmt::Display| Refusal::Unsafe(format!("{shown:?} is damaged ({e})"));
    let mut reader = zip.file(entry.index).await.map_err(|e| damaged(&e))?;
    let mut out = File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                // Two names one file system takes as one (`A` and `a`).
                Refusal::Unsafe(format!("the archive holds {shown:?} twice"))
            } else {
                Refusal::Failed(Error::io(format!("writing {shown}"))(e))
            }
        })?;
    let mut buf = Zeroizing::new(vec![0u8; COPY_SIZE]);
    let mut written = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Refusal::Failed(Error::Interrupted));
        }
        let n = reader.read(&mut buf[..]).await.map_err(|e| damaged(&e))?;
        if n == 0 {
            break;
        }
        written += n as u64;
        if written > entry.size {
            return Err(Refusal::Unsafe(format!(
                "{shown:?} is larger than the archive says"
            )));
        }
        out.write_all(&buf[..n])
            .map_err(Error::io(format!("writing {shown}")))?;
    }
    if written != entry.size {
        return Err(damaged(&"shorter than the archive says"));
    }
    out.sync_all()
        .map_err(Error::io(format!("writing {shown}")))?;
    Ok(written)
}

/// Renames what was staged into `dir`: a whole new top-level folder at
/// once, and into existing folders file by file. Syncs every folder that
/// received something.
fn move_into(
    staging: &Path,
    dir: &Path,
    entries: &[Entry],
    force: bool,
) -> std::result::Result<(), Refusal> {
    let mut touched = BTreeSet::new();
    let tops: BTreeSet<&String> = entries.iter().filter_map(|e| e.parts.first()).collect();
    for top in tops {
        move_one(&staging.join(top), &dir.join(top), force, &mut touched)?;
    }
    for folder in touched {
        sync_dir(&folder);
    }
    Ok(())
}

fn move_one(
    from: &Path,
    to: &Path,
    force: bool,
    touched: &mut BTreeSet<PathBuf>,
) -> std::result::Result<(), Refusal> {
    let target = std::fs::symlink_metadata(to);
    let from_is_dir = from.is_dir();
    match target {
        Err(_) => rename(from, to, touched),
        Ok(existing) if from_is_dir && existing.is_dir() => {
            let children = std::fs::read_dir(from)
                .map_err(Error::io("reading the staging folder"))?
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(Error::io("reading the staging folder"))?;
            for child in children {
                move_one(&child.path(), &to.join(child.file_name()), force, touched)?;
            }
            Ok(())
        }
        // Checked before anything was written; only a race gets here.
        Ok(_) if from_is_dir || !force => Err(Refusal::Conflict(format!(
            "{} appeared while extracting",
            to.display()
        ))),
        Ok(_) => rename(from, to, touched),
    }
}

fn rename(
    from: &Path,
    to: &Path,
    touched: &mut BTreeSet<PathBuf>,
) -> std::result::Result<(), Refusal> {
    std::fs::rename(from, to).map_err(Error::io(format!("moving {} into place", to.display())))?;
    if let Some(parent) = to.parent() {
        touched.insert(parent.to_owned());
    }
    Ok(())
}

/// Makes a folder's entries durable (Unix; elsewhere a no-op).
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(folder) = File::open(dir) {
        // Best effort: the files themselves are synced already.
        let _ = folder.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> String {
        safe_parts(name).unwrap_err()
    }

    #[test]
    fn ordinary_names_pass() {
        assert_eq!(
            safe_parts("dir/sub/a.txt").unwrap(),
            (vec!["dir".into(), "sub".into(), "a.txt".into()], false)
        );
        assert_eq!(safe_parts("dir/").unwrap(), (vec!["dir".into()], true));
        assert!(safe_parts("project/.gitignore").is_ok());
        assert!(safe_parts("résumé/ملف.txt").is_ok());
    }

    #[test]
    fn names_that_escape_are_refused() {
        assert!(refused("../evil").contains("climbs out"));
        assert!(refused("a/../../evil").contains("climbs out"));
        assert!(refused("/etc/passwd").contains("absolute"));
        assert!(refused("C:/Windows/x").contains("drive letter"));
        assert!(refused("c:evil").contains("drive letter"));
        assert!(refused("a\\..\\b").contains("backslash"));
        assert!(refused("a//b").contains("empty"));
        assert!(refused("./a").contains("'.'"));
        assert!(refused("").contains("no name"));
    }

    #[test]
    fn device_and_unsafe_names_are_refused() {
        assert!(refused("dir/CON").contains("device"));
        assert!(refused("nul.txt").contains("device"));
        assert!(refused("LPT1/x").contains("device"));
        assert!(refused("dir/a:b").contains("not a safe file name"));
        assert!(refused("ab:c").contains("not a safe file name"));
        assert!(refused("x\u{202E}gpj.exe").contains("not a safe file name"));
        assert!(refused("dir/name. ").contains("not a safe file name"));
        assert!(refused("..hidden").contains("not a safe file name"));
        assert!(refused("bell\u{7}").contains("not a safe file name"));
    }

    #[test]
    fn a_target_file_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/a.txt"), "mine").unwrap();
        let entries = vec![Entry {
            index: 0,
            parts: vec!["d".into(), "a.txt".into()],
            is_dir: false,
            size: 1,
        }];
        assert!(matches!(
            check_target(dir.path(), &entries, false),
            Err(Refusal::Conflict(why)) if why.contains("already exists")
        ));
        assert!(check_target(dir.path(), &entries, true).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_extracted_through_a_link_even_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("d")).unwrap();
        let entries = vec![Entry {
            index: 0,
            parts: vec!["d".into(), "a.txt".into()],
            is_dir: false,
            size: 1,
        }];
        assert!(matches!(
            check_target(dir.path(), &entries, true),
            Err(Refusal::Conflict(why)) if why.contains("symbolic link")
        ));
    }

    #[test]
    fn a_folder_is_never_replaced_by_a_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a.txt")).unwrap();
        let entries = vec![Entry {
            index: 0,
            parts: vec!["a.txt".into()],
            is_dir: false,
            size: 1,
        }];
        assert!(matches!(
            check_target(dir.path(), &entries, true),
            Err(Refusal::Conflict(why)) if why.contains("is a folder")
        ));
    }
}
