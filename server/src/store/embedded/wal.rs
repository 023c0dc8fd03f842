//! The write-ahead log of the embedded store and the changes it holds in memory.
//!
//! A group of operations becomes one frame of `records.wal`: the net
//! puts and deletes it made, framed as `[length u32][crc32 u32][entries]`
//! (little endian), appended and made durable with one `fdatasync`. The same
//! changes join an [`Overlay`], which readers consult before `records.redb`.
//! A checkpoint renames the log `records.wal.old`, starts a new one, writes
//! the old one's net effect to `records.redb` in one durable transaction
//! while new groups go on, and only then removes `records.wal.old`: a share
//! created and consumed between two checkpoints costs the B-tree nothing but
//! its final record. Replaying the logs (the old one first) over
//! `records.redb` is idempotent, as every entry is the whole value of a key
//! or its removal, so a crash at any moment, even between a checkpoint's
//! commit and the old log's removal, loses nothing that was answered. A frame
//! cut short by a crash (its length or checksum does not hold) ends its log:
//! it was never acknowledged.

use std::{
    collections::HashMap,
    fs::{File, OpenOptions},
    io::Read,
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

use super::StoreError;

/// The two tables the log covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Tbl {
    Records = 0,
    Payloads = 1,
}

const PUT: u8 = 1;
const DELETE: u8 = 0;
const FRAME_HEAD: usize = 8;
/// Larger frames than this are not ours: the log ends before them.
const MAX_FRAME: usize = 1 << 30;

/// Changes not yet in `records.redb`: per table, the value of a key (`None`: removed).
#[derive(Default, Debug)]
pub(super) struct Overlay {
    records: HashMap<Box<[u8]>, Option<Box<[u8]>>>,
    payloads: HashMap<Box<[u8]>, Option<Box<[u8]>>>,
    /// Bytes of keys and values set, overwritten ones included: a bound on its frame.
    bytes: usize,
}

impl Overlay {
    fn table(&self, t: Tbl) -> &HashMap<Box<[u8]>, Option<Box<[u8]>>> {
        match t {
            Tbl::Records => &self.records,
            Tbl::Payloads => &self.payloads,
        }
    }

    fn table_mut(&mut self, t: Tbl) -> &mut HashMap<Box<[u8]>, Option<Box<[u8]>>> {
        match t {
            Tbl::Records => &mut self.records,
            Tbl::Payloads => &mut self.payloads,
        }
    }

    /// `None`: the overlay does not know the key; `Some(None)`: it was removed.
    pub(super) fn get(&self, t: Tbl, key: &[u8]) -> Option<Option<&[u8]>> {
        self.table(t).get(key).map(|v| v.as_deref())
    }

    pub(super) fn set(&mut self, t: Tbl, key: &[u8], value: Option<&[u8]>) {
        self.bytes += 10 + key.len() + value.map_or(0, <[u8]>::len);
        let value = value.map(Box::from);
        match self.table_mut(t).get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                self.table_mut(t).insert(Box::from(key), value);
            }
        }
    }

    /// At least the bytes of this overlay's frame.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(super) fn len(&self) -> usize {
        self.records.len() + self.payloads.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves every change of `newer` over this overlay's.
    pub(super) fn absorb(&mut self, newer: Overlay) {
        self.records.extend(newer.records);
        self.payloads.extend(newer.payloads);
        self.bytes += newer.bytes;
    }

    /// Every change, table by table.
    pub(super) fn entries(&self) -> impl Iterator<Item = (Tbl, &[u8], Option<&[u8]>)> {
        fn of(
            t: Tbl,
            m: &HashMap<Box<[u8]>, Option<Box<[u8]>>>,
        ) -> impl Iterator<Item = (Tbl, &[u8], Option<&[u8]>)> {
            m.iter().map(move |(k, v)| (t, &k[..], v.as_deref()))
        }
        of(Tbl::Records, &self.records).chain(of(Tbl::Payloads, &self.payloads))
    }

    /// The frame of these changes.
    pub(super) fn frame(&self) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::with_capacity(FRAME_HEAD + self.bytes);
        out.extend_from_slice(&[0; FRAME_HEAD]);
        for (t, key, value) in self.entries() {
            out.push(t as u8);
            out.push(if value.is_some() { PUT } else { DELETE });
            // Keys are ours and short (at most 49 bytes); values fit in u32
            // because a request body is far smaller.
            out.extend_from_slice(&(key.len() as u16).to_le_bytes());
            out.extend_from_slice(key);
            if let Some(v) = value {
                out.extend_from_slice(&(v.len() as u32).to_le_bytes());
                out.extend_from_slice(v);
            }
        }
        let body = out.len() - FRAME_HEAD;
        if body > MAX_FRAME {
            return Err(StoreError(
                "a group of changes too large for one frame".into(),
            ));
        }
        let crc = crc32fast::hash(&out[FRAME_HEAD..]);
        out[..4].copy_from_slice(&(body as u32).to_le_bytes());
        out[4..FRAME_HEAD].copy_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Applies a frame body over this overlay.
    pub(super) fn decode_into(&mut self, mut body: &[u8]) -> Result<(), StoreError> {
        fn take<'a>(body: &mut &'a [u8], n: usize) -> Result<&'a [u8], StoreError> {
            if body.len() < n {
                return Err(StoreError(
                    "corrupt log frame: an entry is cut short".into(),
                ));
            }
            let (head, rest) = body.split_at(n);
            *body = rest;
            Ok(head)
        }
        while !body.is_empty() {
            let head = take(&mut body, 4)?;
            let t = match head[0] {
                0 => Tbl::Records,
                1 => Tbl::Payloads,
                other => return Err(StoreError(format!("corrupt log frame: table {other}"))),
            };
            let op = head[1];
            let key_len = u16::from_le_bytes([head[2], head[3]]) as usize;
            let key = take(&mut body, key_len)?;
            match op {
                PUT => {
                    let len = take(&mut body, 4)?;
                    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                    let value = take(&mut body, len)?;
                    self.set(t, key, Some(value));
                }
                DELETE => self.set(t, key, None),
                other => return Err(StoreError(format!("corrupt log frame: operation {other}"))),
            }
        }
        Ok(())
    }
}

/// The log: `records.wal`, appended frame by frame, and while a checkpoint
/// is under way the log before it, `records.wal.old`.
pub(super) struct Wal {
    dir: PathBuf,
    file: File,
    /// Bytes of whole frames in `records.wal`: where the next frame goes.
    len: u64,
    /// Why the log takes no more frames: a rotation failed half way, so
    /// which file holds what is known only to the next open.
    broken: Option<String>,
}

const CURRENT: &str = "records.wal";
const OLD: &str = "records.wal.old";

impl Wal {
    /// Opens the log in `dir` and reads what it holds, the old log first, each
    /// up to its first frame that does not hold together (a write cut short
    /// by a crash), which it cuts off.
    pub(super) fn open(dir: &Path) -> Result<(Self, Overlay), StoreError> {
        let mut overlay = Overlay::default();
        if let Some(mut old) = open_existing(&dir.join(OLD))? {
            read_frames(&mut old, &mut overlay)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(CURRENT))
            .map_err(StoreError::new)?;
        let len = read_frames(&mut file, &mut overlay)?;
        sync_dir(dir)?;
        Ok((
            Self {
                dir: dir.to_owned(),
                file,
                len,
                broken: None,
            },
            overlay,
        ))
    }

    /// Empties both logs once everything they hold is in the database.
    pub(super) fn clear(&mut self) -> Result<(), StoreError> {
        self.file.set_len(0).map_err(StoreError::new)?;
        self.file.sync_all().map_err(StoreError::new)?;
        self.len = 0;
        self.drop_old()?;
        sync_dir(&self.dir)
    }

    /// Bytes in `records.wal`.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Appends one frame and waits until it is on disk. A failed append is
    /// cut off again, so that the frames after it are not lost behind it.
    pub(super) fn append(&mut self, frame: &[u8]) -> Result<(), StoreError> {
        if let Some(why) = &self.broken {
            return Err(StoreError(why.clone()));
        }
        let written = self
            .file
            .write_all_at(frame, self.len)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += frame.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Whatever part of the frame reached the file goes, or the log
                // would end at it and hide every later frame.
                let _ = self.file.set_len(self.len);
                Err(StoreError::new(e))
            }
        }
    }

    /// Starts a new log: `records.wal` becomes `records.wal.old` (replacing
    /// one whose changes are all in the database: the caller's to know) and
    /// an empty `records.wal` takes its place, durably named before any frame
    /// goes in. On an error nothing changed, or the log is broken: it takes
    /// no more frames (and rotates no more) until the store is opened again.
    pub(super) fn rotate(&mut self) -> Result<(), StoreError> {
        if let Some(why) = &self.broken {
            return Err(StoreError(why.clone()));
        }
        let (current, old) = (self.dir.join(CURRENT), self.dir.join(OLD));
        std::fs::rename(&current, &old).map_err(StoreError::new)?;
        let created = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&current);
        let file = match created {
            Ok(file) => file,
            Err(e) => {
                if std::fs::rename(&old, &current).is_err() {
                    self.broken = Some(format!("the store's log could not rotate: {e}"));
                }
                return Err(StoreError::new(e));
            }
        };
        if let Err(e) = sync_dir(&self.dir) {
            self.broken = Some(format!("the store's log could not rotate: {}", e.0));
            return Err(e);
        }
        self.file = file;
        self.len = 0;
        Ok(())
    }

    /// Removes `records.wal.old` once everything in it is in the database.
    pub(super) fn drop_old(&mut self) -> Result<(), StoreError> {
        match std::fs::remove_file(self.dir.join(OLD)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::new(e)),
            _ => Ok(()),
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::new)
}

fn open_existing(path: &Path) -> Result<Option<File>, StoreError> {
    match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::new(e)),
    }
}

/// Reads the whole frames of `file` into `overlay` and cuts off what follows
/// them; the length of those frames.
fn read_frames(file: &mut File, overlay: &mut Overlay) -> Result<u64, StoreError> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(StoreError::new)?;
    let mut at = 0usize;
    while let Some(body) = frame_at(&bytes, at) {
        overlay.decode_into(body)?;
        at += FRAME_HEAD + body.len();
    }
    if at < bytes.len() {
        tracing::warn!(
            dropped_bytes = bytes.len() - at,
            "the store's log ends in bytes that are no whole frame (a write cut short); they go"
        );
        file.set_len(at as u64).map_err(StoreError::new)?;
        file.sync_all().map_err(StoreError::new)?;
    }
    Ok(at as u64)
}

/// The body of the whole frame at `at`, if one is there.
fn frame_at(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let head = bytes.get(at..at.checked_add(FRAME_HEAD)?)?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if len > MAX_FRAME {
        return None;
    }
    let start = at + FRAME_HEAD;
    let body = bytes.get(start..start.checked_add(len)?)?;
    (crc32fast::hash(body) == crc).then_some(body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn group(n: u8) -> Overlay {
        let mut o = Overlay::default();
        o.set(Tbl::Records, &[n; 16], Some(&[n; 40]));
        o.set(Tbl::Payloads, &[n; 16], Some(&vec![n; 300]));
        o.set(Tbl::Records, &[n.wrapping_sub(1); 16], None);
        o
    }

    fn sorted(o: &Overlay) -> Vec<(Tbl, Vec<u8>, Option<Vec<u8>>)> {
        let mut v: Vec<_> = o
            .entries()
            .map(|(t, k, v)| (t, k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect();
        v.sort_by(|a, b| (a.0 as u8, &a.1).cmp(&(b.0 as u8, &b.1)));
        v
    }

    #[test]
    fn frames_read_back_as_the_changes_they_hold_the_later_over_the_earlier() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CURRENT);
        let (mut wal, empty) = Wal::open(dir.path()).unwrap();
        assert!(empty.is_empty());
        let mut expected = Overlay::default();
        for n in 1..=3 {
            wal.append(&group(n).frame().unwrap()).unwrap();
            expected.absorb(group(n));
        }
        drop(wal);
        let (wal, read) = Wal::open(dir.path()).unwrap();
        assert_eq!(sorted(&read), sorted(&expected));
        // Group 2 removed the record group 1 wrote.
        assert_eq!(read.get(Tbl::Records, &[1; 16]), Some(None));
        assert_eq!(wal.len(), std::fs::metadata(&path).unwrap().len());
    }

    /// A log of groups 1 and 2: its path and the length of its first frame.
    fn two_groups(dir: &Path) -> (PathBuf, u64) {
        let (mut wal, _) = Wal::open(dir).unwrap();
        wal.append(&group(1).frame().unwrap()).unwrap();
        let whole = wal.len();
        wal.append(&group(2).frame().unwrap()).unwrap();
        (dir.join(CURRENT), whole)
    }

    #[test]
    fn a_frame_cut_short_at_any_byte_ends_the_log_and_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let (path, whole) = two_groups(dir.path());
        let full = std::fs::read(&path).unwrap();
        for cut in whole..full.len() as u64 {
            std::fs::write(&path, &full[..cut as usize]).unwrap();
            let (wal, read) = Wal::open(dir.path()).unwrap();
            assert_eq!(sorted(&read), sorted(&group(1)), "cut at {cut}");
            assert_eq!(wal.len(), whole);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        }
    }

    #[test]
    fn a_damaged_last_frame_ends_the_log_and_the_next_append_follows_the_good_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (path, whole) = two_groups(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let (mut wal, read) = Wal::open(dir.path()).unwrap();
        assert_eq!(sorted(&read), sorted(&group(1)));
        assert_eq!(wal.len(), whole);
        wal.append(&group(3).frame().unwrap()).unwrap();
        drop(wal);
        let (_, read) = Wal::open(dir.path()).unwrap();
        let mut expected = group(1);
        expected.absorb(group(3));
        assert_eq!(sorted(&read), sorted(&expected));
    }

    #[test]
    fn a_frame_whose_checksum_holds_but_whose_entries_do_not_is_an_error() {
        let mut o = Overlay::default();
        assert!(o.decode_into(&[0, PUT, 16, 0, 1, 2]).is_err());
        assert!(o.decode_into(&[7, DELETE, 0, 0]).is_err());
        assert!(o.decode_into(&[0, 9, 0, 0]).is_err());
    }

    #[test]
    fn after_a_rotation_the_old_log_reads_first_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        wal.append(&group(1).frame().unwrap()).unwrap();
        wal.rotate().unwrap();
        assert_eq!(wal.len(), 0);
        wal.append(&group(2).frame().unwrap()).unwrap();
        drop(wal);
        // As a crash during a checkpoint leaves it: both logs, in order.
        let (mut wal, read) = Wal::open(dir.path()).unwrap();
        let mut expected = group(1);
        expected.absorb(group(2));
        assert_eq!(sorted(&read), sorted(&expected));
        assert_eq!(read.get(Tbl::Records, &[1; 16]), Some(None));
        wal.drop_old().unwrap();
        wal.drop_old().unwrap();
        drop(wal);
        let (_, read) = Wal::open(dir.path()).unwrap();
        assert_eq!(sorted(&read), sorted(&group(2)));
    }
}
