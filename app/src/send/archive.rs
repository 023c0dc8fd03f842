//! Several files in one share (protocol 1.1 §3): one ZIP archive, written
//! while it is sent. The protocol needs the payload's size at create,
//! before the first byte is read, so every entry is STORED (its size in the
//! archive is its size on disk) and [`Layout`] computes the archive's exact
//! length from names and sizes alone; [`ArchiveWriter`] then produces those
//! bytes in order and checks them against the layout as it goes. Pure Rust
//! (the `zip` crate over an in-memory sink), so it tests natively; the
//! browser side feeds it file slices.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Write;
use std::rc::Rc;

use ots_proto::{safe_archive_path, FileEntry, Meta, META_MAX_SEALED_SIZE, TAG_SIZE};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::SendError;
use crate::i18n::{td_string, Locale};

/// A file's last modification as local calendar time: year, month, day,
/// hour, minute, second (what a ZIP entry records).
pub type Stamp = (u16, u8, u8, u8, u8, u8);

/// The archive's name when the files share no folder.
pub const DEFAULT_ARCHIVE_NAME: &str = "files.zip";

// Record sizes of the ZIP format (APPNOTE.TXT 6.3.10) as the `zip` crate
// writes them for a STORED entry streamed with a data descriptor.
/// Local file header without name and extra field (4.3.7).
const LOCAL_HEADER_BYTES: u64 = 30;
/// Data descriptor with its signature, 32-bit sizes (4.3.9).
const DESCRIPTOR_BYTES: u64 = 16;
/// Data descriptor with its signature, 64-bit sizes.
const DESCRIPTOR_ZIP64_BYTES: u64 = 24;
/// Central directory header without name, extra field and comment (4.3.12).
const CENTRAL_HEADER_BYTES: u64 = 46;
/// Header of the ZIP64 extended information extra field (4.5.3).
const ZIP64_EXTRA_HEADER_BYTES: u64 = 4;
/// The two sizes in a ZIP64 extra field.
const ZIP64_EXTRA_SIZES_BYTES: u64 = 16;
/// The local header offset in a ZIP64 extra field.
const ZIP64_EXTRA_OFFSET_BYTES: u64 = 8;
/// ZIP64 end of central directory record and its locator (4.3.14, 4.3.15).
const ZIP64_END_BYTES: u64 = 56 + 20;
/// End of central directory record, no comment (4.3.16).
const END_BYTES: u64 = 22;
/// Sizes and offsets at or past this need ZIP64 (a 32-bit field holds the marker).
const ZIP64_BYTES: u64 = u32::MAX as u64;
/// More entries than this need ZIP64 (a 16-bit count).
const ZIP64_ENTRIES: usize = u16::MAX as usize;

/// One file of the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its name in the archive: relative, `/`-separated, safe, unique.
    pub name: String,
    /// Its bytes.
    pub size: u64,
    /// When it was last changed, when the browser said.
    pub modified: Option<Stamp>,
}

impl Entry {
    /// A file over 4 GiB carries its sizes in ZIP64 fields.
    fn is_large(&self) -> bool {
        self.size >= ZIP64_BYTES
    }

    /// Bytes from its local header to the end of its data descriptor.
    fn record_bytes(&self) -> u64 {
        let (extra, descriptor) = if self.is_large() {
            (
                ZIP64_EXTRA_HEADER_BYTES + ZIP64_EXTRA_SIZES_BYTES,
                DESCRIPTOR_ZIP64_BYTES,
            )
        } else {
            (0, DESCRIPTOR_BYTES)
        };
        LOCAL_HEADER_BYTES + self.name.len() as u64 + extra + self.size + descriptor
    }

    /// Bytes of its central directory header, for a local header at `offset`.
    fn central_bytes(&self, offset: u64) -> u64 {
        let sizes = if self.is_large() {
            ZIP64_EXTRA_SIZES_BYTES
        } else {
            0
        };
        let offset = if offset >= ZIP64_BYTES {
            ZIP64_EXTRA_OFFSET_BYTES
        } else {
            0
        };
        let extra = match sizes + offset {
            0 => 0,
            fields => ZIP64_EXTRA_HEADER_BYTES + fields,
        };
        CENTRAL_HEADER_BYTES + self.name.len() as u64 + extra
    }
}

/// Where every record of the archive starts, and its length: known before
/// a byte of it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Offset of each entry's local header.
    starts: Vec<u64>,
    /// Bytes of the whole archive.
    size: u64,
}

impl Layout {
    /// The layout of an archive of `entries`, in this order.
    pub fn of(entries: &[Entry]) -> Self {
        let mut starts = Vec::with_capacity(entries.len());
        let mut offset = 0u64;
        for entry in entries {
            starts.push(offset);
            offset = offset.saturating_add(entry.record_bytes());
        }
        let central = offset;
        let central_size: u64 = entries
            .iter()
            .zip(&starts)
            .map(|(entry, start)| entry.central_bytes(*start))
            .sum();
        let zip64_end = entries.len() > ZIP64_ENTRIES || central.max(central_size) > ZIP64_BYTES;
        let size = central
            .saturating_add(central_size)
            .saturating_add(if zip64_end { ZIP64_END_BYTES } else { 0 })
            .saturating_add(END_BYTES);
        Self { starts, size }
    }

    /// Bytes of the whole archive: the plaintext of the share.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Archive names for the sender's paths (a file's name, or its path inside
/// a chosen folder), in order: each made safe by
/// [`ots_proto::safe_archive_path`], then made unique (ignoring case, so
/// that nothing overwrites anything on extraction) by a ` (2)`, ` (3)`…
/// before the extension of the clashing component.
pub fn archive_names<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut files: HashSet<String> = HashSet::new();
    let mut folders: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for path in paths {
        let mut parts: Vec<String> = safe_archive_path(path)
            .split('/')
            .map(str::to_owned)
            .collect();
        // A folder that has the name of a file placed earlier is renamed,
        // then the file name itself if it is taken.
        let mut at = 0;
        while at < parts.len() {
            let last = at + 1 == parts.len();
            let base = parts[at].clone();
            let mut n = 1;
            loop {
                let key = parts[..=at].join("/").to_lowercase();
                let taken = files.contains(&key) || (last && folders.contains(&key));
                if !taken {
                    break;
                }
                n += 1;
                parts[at] = numbered(&base, n);
            }
            at += 1;
        }
        for depth in 1..parts.len() {
            folders.insert(parts[..depth].join("/").to_lowercase());
        }
        let name = parts.join("/");
        files.insert(name.to_lowercase());
        out.push(name);
    }
    out
}

/// `report (2).pdf` for `report.pdf`; a leading dot is not an extension.
fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// The archive's file name: the folder's, when every entry is inside one
/// top-level folder, otherwise [`DEFAULT_ARCHIVE_NAME`].
pub fn archive_name(entries: &[Entry]) -> String {
    let mut folders = entries
        .iter()
        .map(|e| e.name.split_once('/').map(|(top, _)| top));
    match folders.next().flatten() {
        Some(top) if folders.all(|f| f == Some(top)) => format!("{top}.zip"),
        _ => DEFAULT_ARCHIVE_NAME.to_owned(),
    }
}

/// The sealed meta of the archive (protocol 1.1 §3): `kind: "files"` and
/// the entries in archive order. Sealed meta is at most 4096 bytes, so a
/// list too long for it keeps as many entries as fit, in order, and ends
/// with one line that says how many more files the archive holds (and
/// their bytes together), in `locale`'s words; the archive itself always
/// holds every file. Also says how many files the list could not name.
pub fn archive_meta(locale: Locale, name: &str, size: u64, entries: &[Entry]) -> (Meta, usize) {
    let listed = |count: usize| {
        let mut files: Vec<FileEntry> = entries[..count]
            .iter()
            .map(|e| FileEntry {
                name: e.name.clone(),
                size: e.size,
            })
            .collect();
        let rest = &entries[count..];
        if !rest.is_empty() {
            files.push(FileEntry {
                name: more_files(locale, rest.len()),
                size: rest.iter().map(|e| e.size).sum(),
            });
        }
        Meta::files(name, size, files)
    };
    let fits = |meta: &Meta| {
        serde_json::to_vec(meta).is_ok_and(|json| json.len() + TAG_SIZE <= META_MAX_SEALED_SIZE)
    };
    let all = listed(entries.len());
    if fits(&all) {
        return (all, 0);
    }
    // The longest prefix that fits, by bisection: fits(listed(low)) holds
    // throughout (an empty list and one summary line always fit).
    let (mut low, mut high) = (0, entries.len());
    while low + 1 < high {
        let mid = (low + high) / 2;
        if fits(&listed(mid)) {
            low = mid;
        } else {
            high = mid;
        }
    }
    (listed(low), entries.len() - low)
}

/// The list's last line when it could not name every file.
fn more_files(locale: Locale, count: usize) -> String {
    let count = count as u64;
    td_string!(locale, send.more_files, count = count).to_string()
}

/// Where the ZIP writer puts its bytes: taken out by [`ArchiveWriter::take`]
/// after every step, so it never holds more than one step's output.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the archive of a [`Layout`] entry by entry, slice by slice: the
/// caller starts each entry, writes its bytes in any number of steps, and
/// takes the archive bytes out after each step.
pub struct ArchiveWriter {
    zip: Option<ZipWriter<StreamWriter<Sink>>>,
    sink: Sink,
    layout: Layout,
    /// Archive bytes handed out by [`ArchiveWriter::take`] so far.
    taken: u64,
    /// The entry being written.
    next: usize,
}

impl ArchiveWriter {
    /// A writer for the archive `layout` describes.
    pub fn new(layout: Layout) -> Self {
        let sink = Sink::default();
        Self {
            zip: Some(ZipWriter::new_stream(sink.clone())),
            sink,
            layout,
            taken: 0,
            next: 0,
        }
    }

    /// Archive bytes written so far, taken out or not.
    fn offset(&self) -> u64 {
        self.taken + self.sink.0.borrow().len() as u64
    }

    fn zip(&mut self) -> Result<&mut ZipWriter<StreamWriter<Sink>>, SendError> {
        self.zip
            .as_mut()
            .ok_or_else(|| SendError::Archive("the archive is already closed".into()))
    }

    /// Starts `entry`, the next one of the layout.
    pub fn start(&mut self, entry: &Entry) -> Result<(), SendError> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(entry.is_large())
            .last_modified_time(dos_time(entry.modified));
        // The previous entry's data descriptor is written first.
        self.zip()?
            .start_file(entry.name.as_str(), options)
            .map_err(archive_error)?;
        let lfh = LOCAL_HEADER_BYTES
            + entry.name.len() as u64
            + if entry.is_large() {
                ZIP64_EXTRA_HEADER_BYTES + ZIP64_EXTRA_SIZES_BYTES
            } else {
                0
            };
        let expected = self.layout.starts.get(self.next).copied();
        if expected.map(|start| start + lfh) != Some(self.offset()) {
            return Err(SendError::SizeMismatch);
        }
        self.next += 1;
        Ok(())
    }

    /// Writes the next bytes of the current entry.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        self.zip()?.write_all(bytes).map_err(archive_error)
    }

    /// Writes the central directory; the archive is complete once the
    /// bytes are taken.
    pub fn finish(&mut self) -> Result<(), SendError> {
        let zip = self
            .zip
            .take()
            .ok_or_else(|| SendError::Archive("the archive is already closed".into()))?;
        zip.finish().map_err(archive_error)?;
        if self.next != self.layout.starts.len() || self.offset() != self.layout.size {
            return Err(SendError::SizeMismatch);
        }
        Ok(())
    }

    /// The archive bytes written since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut *self.sink.0.borrow_mut());
        self.taken += bytes.len() as u64;
        bytes
    }

    /// Bytes of archive output waiting to be taken.
    pub fn pending(&self) -> usize {
        self.sink.0.borrow().len()
    }
}

fn archive_error(error: impl std::fmt::Display) -> SendError {
    SendError::Archive(error.to_string())
}

/// A ZIP time stamp: the file's, or 1980-01-01 when unknown or outside
/// what ZIP can record (1980–2107).
fn dos_time(stamp: Option<Stamp>) -> DateTime {
    stamp
        .and_then(|(y, mo, d, h, mi, s)| DateTime::from_date_and_time(y, mo, d, h, mi, s).ok())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn entry(name: &str, size: u64) -> Entry {
        Entry {
            name: name.into(),
            size,
            modified: Some((2026, 11, 30, 12, 34, 56)),
        }
    }

    /// Content of entry `i`: recognisable bytes, different per entry.
    fn content(i: usize, size: u64) -> Vec<u8> {
        (0..size).map(|b| (b as usize * 7 + i * 13) as u8).collect()
    }

    /// Writes the archive of `entries` through [`ArchiveWriter`] in steps
    /// of `step` bytes, taking the output after every step.
    fn write_archive(entries: &[Entry], step: usize) -> Vec<u8> {
        let layout = Layout::of(entries);
        let size = layout.size();
        let mut writer = ArchiveWriter::new(layout);
        let mut out = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            writer.start(e).unwrap();
            for piece in content(i, e.size).chunks(step) {
                writer.write(piece).unwrap();
                out.extend(writer.take());
            }
        }
        writer.finish().unwrap();
        out.extend(writer.take());
        assert_eq!(out.len() as u64, size, "the layout's size is the archive's");
        out
    }

    #[test]
    fn the_archive_holds_every_file_byte_for_byte() {
        let entries = [
            entry("a.txt", 5),
            entry("Grüße/日本語.txt", 70_000),
            entry("empty", 0),
            entry("photos/2026/big.bin", 300_001),
        ];
        let bytes = write_archive(&entries, 65_536);
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), entries.len());
        for (i, e) in entries.iter().enumerate() {
            let mut file = zip.by_index(i).unwrap();
            assert_eq!(file.name().unwrap(), e.name);
            assert_eq!(file.compression(), CompressionMethod::Stored);
            assert_eq!(file.size(), e.size);
            let mut data = Vec::new();
            // Reading to the end checks the CRC.
            file.read_to_end(&mut data).unwrap();
            assert_eq!(data, content(i, e.size), "{}", e.name);
            let t = file.last_modified().unwrap();
            assert_eq!((t.year(), t.month(), t.day()), (2026, 11, 30));
        }
    }

    #[test]
    fn the_layout_predicts_the_size_for_any_names_sizes_and_steps() {
        // A cheap deterministic spread of cases: no randomness, no flakes.
        let sizes = [0u64, 1, 15, 16, 65_535, 65_536, 65_537, 1_000_000];
        for (case, steps) in [1usize, 7, 4096, 1 << 20].into_iter().enumerate() {
            let entries: Vec<Entry> = (0..12)
                .map(|i| {
                    let name = "é".repeat(i % 5) + &format!("dir{}/f{i}", i % 3);
                    entry(&name, sizes[(i * 3 + case) % sizes.len()])
                })
                .collect();
            write_archive(&entries, steps);
        }
        assert_eq!(Layout::of(&[]).size(), END_BYTES);
    }

    #[test]
    fn more_than_65535_entries_get_a_zip64_end_record() {
        let entries: Vec<Entry> = (0..65_540).map(|i| entry(&format!("{i}"), 1)).collect();
        let bytes = write_archive(&entries, 1);
        let zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), 65_540);
    }

    /// A sink that only counts, for archives too large to keep.
    #[derive(Default)]
    struct Counter(u64);

    impl Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    #[ignore = "streams 8.5 GiB through the writer; run with --release --ignored"]
    fn the_layout_predicts_zip64_sizes_and_offsets() {
        // A file of exactly 4 GiB - 1 (the first size that needs ZIP64), then
        // files whose headers start past 4 GiB, then one over 4 GiB.
        let entries = [
            entry("a", ZIP64_BYTES),
            entry("b", 10),
            entry("c", ZIP64_BYTES + 5),
            entry("d", 3),
        ];
        let layout = Layout::of(&entries);
        let mut writer = ArchiveWriter::new(layout.clone());
        let mut count = Counter::default();
        let block = vec![0u8; 8 << 20];
        for e in &entries {
            writer.start(e).unwrap();
            let mut left = e.size;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                writer.write(&block[..n]).unwrap();
                count.write_all(&writer.take()).unwrap();
                left -= n as u64;
            }
        }
        writer.finish().unwrap();
        count.write_all(&writer.take()).unwrap();
        assert_eq!(count.0, layout.size());
        assert!(layout.starts[3] > ZIP64_BYTES, "d starts past 4 GiB");
    }

    #[test]
    fn names_are_safe_relative_and_unique() {
        let names = archive_names([
            "../../etc/passwd",
            "/abs/x.txt",
            "a.txt",
            "A.TXT",
            "a.txt",
            "dir/CON",
            "Grüße 日本.txt",
            ".hidden",
        ]);
        assert_eq!(
            names,
            [
                "etc/passwd",
                "abs/x.txt",
                "a.txt",
                "A (2).TXT",
                "a (3).txt",
                "dir/_CON",
                "Grüße 日本.txt",
                "hidden",
            ]
        );
    }

    #[test]
    fn a_file_and_a_folder_never_share_a_name() {
        assert_eq!(archive_names(["x", "x/y"]), ["x", "x (2)/y"]);
        assert_eq!(archive_names(["x/y", "x"]), ["x/y", "x (2)"]);
        assert_eq!(archive_names(["x/y", "X/z"]), ["x/y", "X/z"]);
    }

    #[test]
    fn the_archive_is_named_after_a_common_folder() {
        assert_eq!(
            archive_name(&[entry("photos/a.jpg", 1), entry("photos/b/c.jpg", 1)]),
            "photos.zip"
        );
        assert_eq!(
            archive_name(&[entry("photos/a.jpg", 1), entry("b.jpg", 1)]),
            DEFAULT_ARCHIVE_NAME
        );
        assert_eq!(archive_name(&[entry("a", 1)]), DEFAULT_ARCHIVE_NAME);
    }

    #[test]
    fn a_short_list_is_sealed_whole() {
        let entries = [entry("a.txt", 1), entry("b/c.txt", 2)];
        let (meta, unlisted) = archive_meta(Locale::en, "files.zip", 300, &entries);
        assert_eq!(unlisted, 0);
        assert_eq!(meta.kind, ots_proto::MetaKind::Files);
        assert_eq!(meta.mime, ots_proto::ZIP_MIME);
        assert_eq!(
            meta.files,
            vec![
                FileEntry {
                    name: "a.txt".into(),
                    size: 1
                },
                FileEntry {
                    name: "b/c.txt".into(),
                    size: 2
                },
            ]
        );
    }

    #[test]
    fn a_long_list_keeps_what_fits_and_counts_the_rest() {
        let entries: Vec<Entry> = (0..1000)
            .map(|i| entry(&format!("folder/file-{i:04}.bin"), 1000 + i as u64))
            .collect();
        let (meta, unlisted) = archive_meta(Locale::en, "folder.zip", 123, &entries);
        let json = serde_json::to_vec(&meta).unwrap();
        assert!(json.len() + TAG_SIZE <= META_MAX_SEALED_SIZE);
        let (last, listed) = meta.files.split_last().unwrap();
        assert!(listed.len() > 50, "only {} listed", listed.len());
        for (i, f) in listed.iter().enumerate() {
            assert_eq!(f.name, entries[i].name);
        }
        let rest = &entries[listed.len()..];
        assert_eq!(unlisted, rest.len());
        assert_eq!(last.name, format!("… and {} more files", rest.len()));
        assert_eq!(last.size, rest.iter().map(|e| e.size).sum::<u64>());
        // One more entry would not have fitted.
        let mut longer = meta.files.clone();
        longer.insert(
            listed.len(),
            FileEntry {
                name: entries[listed.len()].name.clone(),
                size: entries[listed.len()].size,
            },
        );
        let json = serde_json::to_vec(&Meta::files("folder.zip", 123, longer)).unwrap();
        assert!(json.len() + TAG_SIZE > META_MAX_SEALED_SIZE);
    }

    #[test]
    fn the_last_line_counts_the_rest_in_the_senders_language() {
        assert_eq!(more_files(Locale::en, 1), "… and 1 more file");
        assert_eq!(more_files(Locale::en, 12), "… and 12 more files");
        assert_eq!(more_files(Locale::de, 1), "… und eine weitere Datei");
        assert_eq!(more_files(Locale::de, 12), "… und 12 weitere Dateien");
        assert_eq!(more_files(Locale::ar, 2), "… وملفان آخران");
        assert_eq!(more_files(Locale::ar, 5), "… و5 ملفات أخرى");
        assert_eq!(more_files(Locale::ar, 12), "… و12 ملفًا آخر");
        let entries: Vec<Entry> = (0..1000)
            .map(|i| entry(&format!("folder/file-{i:04}.bin"), 1))
            .collect();
        let (meta, unlisted) = archive_meta(Locale::ar, "folder.zip", 1, &entries);
        let json = serde_json::to_vec(&meta).unwrap();
        assert!(json.len() + TAG_SIZE <= META_MAX_SEALED_SIZE);
        let last = meta.files.last().unwrap();
        assert_eq!(last.name, more_files(Locale::ar, unlisted));
    }

    #[test]
    fn writing_past_the_layout_is_caught() {
        let entries = [entry("a", 3)];
        let mut writer = ArchiveWriter::new(Layout::of(&entries));
        writer.start(&entries[0]).unwrap();
        writer.write(b"abcd").unwrap();
        assert_eq!(writer.finish(), Err(SendError::SizeMismatch));
        let mut writer = ArchiveWriter::new(Layout::of(&entries));
        writer.start(&entries[0]).unwrap();
        writer.write(b"ab").unwrap();
        assert_eq!(writer.start(&entry("b", 1)), Err(SendError::SizeMismatch));
    }
}
