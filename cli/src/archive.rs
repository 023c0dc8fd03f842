//! `ots send a b dir/`: several files and folders as one ZIP archive
//! (protocol 1.1 §3), written as a stream into any [`std::io::Write`] (the
//! STREAM encryptor), one file after another, 1 MiB at a time.
//!
//! Names inside the archive are relative and use `/`: a file given by path
//! is its file name, a folder `dir/` gives `dir/…` for everything under it.
//! A name component no portable file system can hold (`a:b`, `CON`, a
//! trailing dot) is written as the protocol's sanitiser makes it, keeping a
//! leading dot (`a_b`, `_CON`, `.gitignore`), with a note.
//! A symbolic link met inside a folder is never followed (it could lead out
//! of the tree); it is notes with a note, as are sockets, FIFOs and
//! devices. A path given on the command line is followed, since the user
//! named it. Empty folders are not kept.
//!
//! An entry is STORED when its type is already compressed (by extension, or
//! when its first 64 KiB do not shrink by a tenth under DEFLATE), else
//! DEFLATE. Every entry is streamed with a data descriptor and a ZIP64
//! extra field, so no size or count limit applies: async_zip writes ZIP64
//! for every streamed entry, and its 32-bit streamed mode
//! (`force_no_zip64`) records an entry's two sizes swapped in 0.0.19, which
//! breaks every DEFLATE entry.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipDateTimeBuilder, ZipEntryBuilder};
use futures_util::io::{AllowStdIo, AsyncWriteExt};
use ots_proto::FileEntry;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::names::portable_component;
use crate::progress::Progress;

/// Plaintext bytes read from a file at a time.
const READ_SIZE: usize = 1024 * 1024;
/// Bytes of a file compressed to decide between STORED and DEFLATE.
const SAMPLE_SIZE: usize = 64 * 1024;
/// The archive's name when several things are sent and no `--name` is given.
pub const DEFAULT_ARCHIVE_NAME: &str = "files.zip";

/// Extensions of formats that are compressed already: DEFLATE would only
/// cost time.
const COMPRESSED_EXTENSIONS: &[&str] = &[
    "7z", "aac", "apk", "avif", "br", "bz2", "cab", "deb", "dmg", "docx", "epub", "flac", "gif",
    "gz", "heic", "heif", "jar", "jpeg", "jpg", "jxl", "lz", "lz4", "lzma", "m4a", "m4v", "mkv",
    "mov", "mp3", "mp4", "odp", "ods", "odt", "ogg", "opus", "png", "pptx", "rar", "rpm", "tgz",
    "txz", "webm", "webp", "whl", "woff", "woff2", "xlsx", "xz", "zip", "zst",
];

/// One file to put in the archive.
#[derive(Debug, Clone)]
pub struct ArchiveFile {
    /// Where it is on disk.
    pub source: PathBuf,
    /// Its name inside the archive (relative, `/`-separated).
    pub name: String,
    /// Its size when it was listed; reading a different size fails the send.
    pub size: u64,
    /// Its modification time, kept in the archive.
    pub modified: Option<SystemTime>,
    /// Whether any of its execute bits is set.
    pub executable: bool,
}

/// What an archive will hold, decided before anything is read.
#[derive(Debug)]
pub struct Plan {
    /// The files, in archive order.
    pub files: Vec<ArchiveFile>,
    /// What was left out or renamed and why, one line each.
    pub notes: Vec<String>,
    /// The archive's file name (ends with `.zip`).
    pub name: String,
}

impl Plan {
    /// Lists `paths` (files and folders) as the archive will hold them.
    /// `name` is the archive's name (`.zip` is added if missing); without
    /// one, a single folder `dir` gives `dir.zip`, anything else
    /// [`DEFAULT_ARCHIVE_NAME`].
    pub fn new(paths: &[PathBuf], name: Option<&str>) -> Result<Self> {
        let mut plan = Plan {
            files: Vec::new(),
            notes: Vec::new(),
            name: String::new(),
        };
        let mut single_dir = None;
        for path in paths {
            let metadata = std::fs::metadata(path)
                .map_err(Error::io(format!("reading {}", path.display())))?;
            let base = base_name(path)?;
            let base = plan.portable("", &base);
            if metadata.is_dir() {
                single_dir = Some(base.clone());
                plan.walk(path, &base)?;
            } else if metadata.is_file() {
                plan.files.push(listed(path.clone(), base, &metadata));
            } else {
                return Err(Error::Usage(format!(
                    "{} is neither a file nor a folder (a pipe or device cannot go in an archive)",
                    path.display()
                )));
            }
        }
        check_unique(&plan.files)?;
        if plan.files.is_empty() {
            return Err(Error::Usage(
                "nothing to send: the folders hold no files".into(),
            ));
        }
        plan.name = match (name, single_dir) {
            (Some(name), _) => zip_name(name),
            (None, Some(dir)) if paths.len() == 1 => zip_name(&dir),
            _ => DEFAULT_ARCHIVE_NAME.to_owned(),
        };
        Ok(plan)
    }

    /// Adds every regular file under `root` as `prefix/…`, depth first in
    /// name order (as a sorted listing of the paths would show them).
    fn walk(&mut self, root: &Path, prefix: &str) -> Result<()> {
        // An explicit stack: a deep tree cannot overflow the call stack.
        let mut stack = vec![(root.to_owned(), prefix.to_owned(), None)];
        while let Some((path, name, metadata)) = stack.pop() {
            let metadata = match metadata {
                Some(metadata) => metadata,
                // The root, named by the user: followed if it is a link.
                None => std::fs::metadata(&path)
                    .map_err(Error::io(format!("reading {}", path.display())))?,
            };
            let kind = metadata.file_type();
            if kind.is_symlink() {
                self.notes.push(format!(
                    "skipped {name}: a symbolic link (links inside a folder are not followed)"
                ));
            } else if kind.is_file() {
                self.files.push(listed(path, name, &metadata));
            } else if !kind.is_dir() {
                self.notes.push(format!(
                    "skipped {name}: not a regular file (a pipe, socket or device)"
                ));
            } else {
                let what = || format!("reading the folder {}", path.display());
                let mut entries = std::fs::read_dir(&path)
                    .map_err(Error::io(what()))?
                    .collect::<std::io::Result<Vec<_>>>()
                    .map_err(Error::io(what()))?;
                entries.sort_by_key(|e| e.file_name());
                // Reversed onto the stack, so they come out in name order.
                for entry in entries.into_iter().rev() {
                    let inner_path = entry.path();
                    let component = entry.file_name().into_string().map_err(|_| {
                        Error::Usage(format!(
                            "{} has a name that is not UTF-8, which an archive cannot carry",
                            inner_path.display()
                        ))
                    })?;
                    // symlink_metadata: a link is seen as a link, never followed.
                    let metadata = std::fs::symlink_metadata(&inner_path)
                        .map_err(Error::io(format!("reading {}", inner_path.display())))?;
                    let inner = format!("{name}/{}", self.portable(&name, &component));
                    stack.push((inner_path, inner, Some(metadata)));
                }
            }
        }
        Ok(())
    }

    /// `component` as it can be written into the archive under `parent`,
    /// with a note when it had to change.
    fn portable(&mut self, parent: &str, component: &str) -> String {
        let portable = portable_component(component);
        if portable != component {
            let at = if parent.is_empty() {
                String::new()
            } else {
                format!("{parent}/")
            };
            self.notes.push(format!(
                "renamed {at}{component:?} to {at}{portable:?} in the archive (not a portable file name)"
            ));
        }
        portable
    }

    /// Plaintext bytes of all files together.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

fn listed(source: PathBuf, name: String, metadata: &std::fs::Metadata) -> ArchiveFile {
    ArchiveFile {
        source,
        name,
        size: metadata.len(),
        modified: metadata.modified().ok(),
        executable: is_executable(metadata),
    }
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// The last component of a path the user gave (`.` and `..` resolved).
fn base_name(path: &Path) -> Result<String> {
    let named = match path.file_name() {
        Some(name) => PathBuf::from(name),
        None => std::fs::canonicalize(path)
            .map_err(Error::io(format!("reading {}", path.display())))?
            .file_name()
            .map(PathBuf::from)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} has no name to use in the archive (send the files inside it)",
                    path.display()
                ))
            })?,
    };
    named.into_os_string().into_string().map_err(|_| {
        Error::Usage(format!(
            "{} has a name that is not UTF-8, which an archive cannot carry",
            path.display()
        ))
    })
}

/// `name` ending with `.zip`.
fn zip_name(name: &str) -> String {
    let name = name.trim().trim_end_matches('/');
    if name.to_ascii_lowercase().ends_with(".zip") {
        name.to_owned()
    } else {
        format!("{name}.zip")
    }
}

/// Refuses two files with one name, and a file whose name is also a folder
/// of another (`a` and `a/b`): no extractor could make both.
fn check_unique(files: &[ArchiveFile]) -> Result<()> {
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    let mut folders = BTreeSet::new();
    for file in files {
        if let Some(first) = seen.insert(&file.name, &file.source) {
            return Err(Error::Usage(format!(
                "{} and {} would both be {:?} in the archive: rename one, or send their folders",
                first.display(),
                file.source.display(),
                file.name
            )));
        }
        let mut at = 0;
        while let Some(slash) = file.name[at..].find('/') {
            folders.insert(&file.name[..at + slash]);
            at += slash + 1;
        }
    }
    for file in files {
        if folders.contains(file.name.as_str()) {
            return Err(Error::Usage(format!(
                "{:?} would be both a file and a folder in the archive ({}): rename it",
                file.name,
                file.source.display()
            )));
        }
    }
    Ok(())
}

/// Whether a file of this name is already compressed.
fn compressed_by_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| COMPRESSED_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The error a ZIP writer failure becomes: the sink's own error when it is
/// one (a full spool, an over-size payload), else a description.
fn zip_error(err: async_zip::error::ZipError) -> Error {
    match err {
        async_zip::error::ZipError::UpstreamReadError(io) => sink_error(io),
        other => Error::Io {
            what: "writing the archive".into(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

fn sink_error(io: std::io::Error) -> Error {
    Error::io("writing the archive")(io)
}

/// Writes the archive of `plan` into `sink` and returns the sink and the
/// file list for the sealed meta. Runs on a blocking thread (it reads
/// files); the ZIP writer's futures run on `runtime`, and never wait on
/// anything but this thread's own reads and writes.
pub fn write<W: Write + Unpin>(
    plan: &Plan,
    sink: W,
    runtime: &tokio::runtime::Handle,
    progress: &Progress,
) -> Result<(W, Vec<FileEntry>)> {
    runtime.block_on(write_async(plan, sink, progress))
}

async fn write_async<W: Write + Unpin>(
    plan: &Plan,
    sink: W,
    progress: &Progress,
) -> Result<(W, Vec<FileEntry>)> {
    let mut zip = ZipFileWriter::new(AllowStdIo::new(sink));
    let mut listed = Vec::with_capacity(plan.files.len());
    let mut buf = Zeroizing::new(vec![0u8; READ_SIZE]);
    for file in &plan.files {
        let what = || format!("reading {}", file.source.display());
        let mut reader = File::open(&file.source).map_err(Error::io(what()))?;
        let metadata = reader.metadata().map_err(Error::io(what()))?;
        if !metadata.is_file() || metadata.len() != file.size {
            return Err(changed(&file.source));
        }
        // The first bytes decide the compression, then go in first.
        let mut first = read_up_to(&mut reader, &mut buf[..SAMPLE_SIZE], &what)?;
        let compression = if compressed_by_name(&file.name) || !shrinks(&buf[..first]).await {
            Compression::Stored
        } else {
            Compression::Deflate
        };
        let mode = if file.executable {
            0o100_755
        } else {
            0o100_644
        };
        let mut builder =
            ZipEntryBuilder::new(file.name.clone().into(), compression).unix_permissions(mode);
        if let Some(modified) = file.modified {
            builder = builder.last_modification_date(dos_time(modified));
        }
        let mut entry = zip.write_entry_stream(builder).await.map_err(zip_error)?;
        let mut read = 0u64;
        loop {
            if first > 0 {
                entry.write_all(&buf[..first]).await.map_err(sink_error)?;
                read += first as u64;
                progress.advance(first as u64);
                if read > file.size {
                    return Err(changed(&file.source));
                }
            }
            first = read_up_to(&mut reader, &mut buf[..], &what)?;
            if first == 0 {
                break;
            }
        }
        if read != file.size {
            return Err(changed(&file.source));
        }
        entry.close().await.map_err(zip_error)?;
        listed.push(FileEntry {
            name: file.name.clone(),
            size: read,
        });
    }
    let sink = zip.close().await.map_err(zip_error)?.into_inner();
    Ok((sink, listed))
}

/// Fills `buf` as far as the file goes; returns the bytes read.
fn read_up_to(reader: &mut File, buf: &mut [u8], what: &impl Fn() -> String) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(what())(e)),
        }
    }
    Ok(filled)
}

/// Whether DEFLATE makes `sample` at least a tenth smaller.
async fn shrinks(sample: &[u8]) -> bool {
    if sample.len() < 64 {
        // Too little to judge, and too little to matter.
        return true;
    }
    let entry = ZipEntryBuilder::new(String::new().into(), Compression::Deflate).build();
    let deflated = async_zip::base::write::compress(&entry, sample).await;
    (deflated.len() as u64) * 10 < (sample.len() as u64) * 9
}

fn changed(path: &Path) -> Error {
    Error::Io {
        what: format!("reading {}", path.display()),
        source: std::io::Error::other("it changed while it was being sent"),
    }
}

/// An MS-DOS date and time (UTC) as ZIP stores it, within its 1980–2107 range.
fn dos_time(time: SystemTime) -> async_zip::ZipDateTime {
    let t = time::OffsetDateTime::from(time);
    let (year, month, day, hour, minute, second) = if t.year() < 1980 {
        (1980, 1, 1, 0, 0, 0)
    } else if t.year() > 2107 {
        (2107, 12, 31, 23, 59, 58)
    } else {
        (
            t.year(),
            u32::from(u8::from(t.month())),
            u32::from(t.day()),
            u32::from(t.hour()),
            u32::from(t.minute()),
            u32::from(t.second()),
        )
    };
    ZipDateTimeBuilder::new()
        .year(year)
        .month(month)
        .day(day)
        .hour(hour)
        .minute(minute)
        .second(second)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("README.md"), "hello\n").unwrap();
        std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(root.join("src/deep/data.bin"), vec![7u8; 5000]).unwrap();
        std::fs::write(dir.path().join("loose.txt"), "loose").unwrap();
        dir
    }

    fn names(plan: &Plan) -> Vec<&str> {
        plan.files.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn a_folder_gives_relative_names_under_its_own_name() {
        let dir = tree();
        let plan = Plan::new(&[dir.path().join("project/")], None).unwrap();
        assert_eq!(
            names(&plan),
            [
                "project/README.md",
                "project/src/deep/data.bin",
                "project/src/main.rs"
            ]
        );
        assert_eq!(plan.name, "project.zip");
    }

    #[test]
    fn files_given_by_path_keep_only_their_name() {
        let dir = tree();
        let plan = Plan::new(
            &[
                dir.path().join("loose.txt"),
                dir.path().join("project/src/main.rs"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(names(&plan), ["loose.txt", "main.rs"]);
        assert_eq!(plan.name, DEFAULT_ARCHIVE_NAME);
        let plan = Plan::new(&[dir.path().join("loose.txt")], Some("mine")).unwrap();
        assert_eq!(plan.name, "mine.zip");
    }

    #[test]
    fn the_current_folder_is_named_after_itself() {
        let dir = tree();
        let plan = Plan::new(&[dir.path().join("project/src/.")], None).unwrap();
        assert_eq!(names(&plan), ["src/deep/data.bin", "src/main.rs"]);
    }

    #[test]
    fn two_files_of_one_name_are_refused() {
        let dir = tree();
        std::fs::write(dir.path().join("main.rs"), "other").unwrap();
        let err = Plan::new(
            &[
                dir.path().join("main.rs"),
                dir.path().join("project/src/main.rs"),
            ],
            None,
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("would both be \"main.rs\""),
            "{err}"
        );
    }

    #[test]
    fn a_file_named_like_a_folder_is_refused() {
        let dir = tree();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("project"), "a file").unwrap();
        let err = Plan::new(
            &[dir.path().join("project"), other.path().join("project")],
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("both a file and a folder"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_a_folder_are_notes_not_followed() {
        let dir = tree();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "outside").unwrap();
        let root = dir.path().join("project");
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("leak")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("leakdir")).unwrap();
        let plan = Plan::new(&[root], None).unwrap();
        assert!(
            !names(&plan).iter().any(|n| n.contains("leak")),
            "{:?}",
            names(&plan)
        );
        assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
        assert!(plan.notes[0].contains("symbolic link"));
    }

    #[test]
    fn names_no_file_system_can_hold_are_made_portable() {
        let dir = tree();
        let root = dir.path().join("project");
        std::fs::write(root.join("notes: 2026.txt"), "x").unwrap();
        std::fs::write(root.join(".env"), "x").unwrap();
        std::fs::write(root.join("CON"), "x").unwrap();
        let plan = Plan::new(&[root], None).unwrap();
        let names = names(&plan);
        assert!(names.contains(&"project/notes_ 2026.txt"), "{names:?}");
        assert!(names.contains(&"project/.env"), "{names:?}");
        assert!(names.contains(&"project/_CON"), "{names:?}");
        assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
        assert!(plan.notes[0].starts_with("renamed"), "{:?}", plan.notes);
    }

    #[test]
    fn an_empty_folder_is_nothing_to_send() {
        let dir = tree();
        let err = Plan::new(&[dir.path().join("project/empty")], None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn compressed_formats_are_known_by_extension() {
        assert!(compressed_by_name("a/photo.JPG"));
        assert!(compressed_by_name("x.tar.gz"));
        assert!(!compressed_by_name("notes.txt"));
        assert!(!compressed_by_name("zip"));
    }

    #[test]
    fn dos_times_are_clamped_to_what_zip_can_hold() {
        let old = dos_time(SystemTime::UNIX_EPOCH);
        assert_eq!((old.year(), old.month(), old.day()), (1980, 1, 1));
        let now = dos_time(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600));
        assert_eq!((now.year(), now.month(), now.day()), (2026, 1, 1));
    }
}
