//! How many files a received ZIP archive holds, read from its end records
//! (PKWARE APPNOTE 4.3.14–4.3.16), so that the page can say "and N more"
//! when the sealed list is shorter than the archive. Nothing else of the
//! archive is read: the recipient's own tools open it.

/// Signature of the end of central directory record.
const END_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
/// Bytes of the end record before its comment.
const END_LEN: usize = 22;
/// Where the total entry count sits in the end record (u16).
const END_ENTRIES_AT: usize = 10;
/// Where the comment length sits in the end record (u16).
const END_COMMENT_LEN_AT: usize = 20;

/// Signature of the ZIP64 end of central directory locator.
const LOCATOR_SIGNATURE: [u8; 4] = *b"PK\x06\x07";
/// Bytes of the ZIP64 locator, which sits just before the end record.
const LOCATOR_LEN: usize = 20;
/// Where the ZIP64 end record's offset sits in the locator (u64).
const LOCATOR_RECORD_AT: usize = 8;

/// Signature of the ZIP64 end of central directory record.
const ZIP64_SIGNATURE: [u8; 4] = *b"PK\x06\x06";
/// Bytes of the ZIP64 end record up to its extensible data.
pub const ZIP64_END_LEN: u64 = 56;
/// Where the total entry count sits in the ZIP64 end record (u64).
const ZIP64_ENTRIES_AT: usize = 32;

/// The most an archive's tail must hold to find its end records: the end
/// record with the longest comment and the ZIP64 locator before it.
pub const TAIL_BYTES: u64 = (LOCATOR_LEN + END_LEN + u16::MAX as usize) as u64;

/// What the tail of an archive says about its entry count.
#[derive(Debug, PartialEq, Eq)]
pub enum Entries {
    /// The count itself.
    Count(u64),
    /// A ZIP64 archive: the count is in the ZIP64 end record at this offset
    /// (its first [`ZIP64_END_LEN`] bytes are enough).
    Zip64At(u64),
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 2)?;
    Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Reads the entry count from `tail`, the last bytes of an archive (up to
/// [`TAIL_BYTES`]); `None` when it holds no end record.
pub fn entries_in_tail(tail: &[u8]) -> Option<Entries> {
    let last_start = tail.len().checked_sub(END_LEN)?;
    // The end record is the one whose comment runs exactly to the end.
    let at = (0..=last_start).rev().find(|&at| {
        tail[at..].starts_with(&END_SIGNATURE)
            && u16_at(tail, at + END_COMMENT_LEN_AT)
                .is_some_and(|comment| at as u64 + END_LEN as u64 + comment == tail.len() as u64)
    })?;
    let locator = at
        .checked_sub(LOCATOR_LEN)
        .map(|start| &tail[start..at])
        .filter(|l| l.starts_with(&LOCATOR_SIGNATURE));
    match locator {
        // A writer that added the ZIP64 records keeps the true count there.
        Some(locator) => u64_at(locator, LOCATOR_RECORD_AT).map(Entries::Zip64At),
        None => u16_at(tail, at + END_ENTRIES_AT).map(Entries::Count),
    }
}

/// Reads the entry count from the start of a ZIP64 end record.
pub fn entries_in_zip64_end(record: &[u8]) -> Option<u64> {
    if !record.starts_with(&ZIP64_SIGNATURE) {
        return None;
    }
    u64_at(record, ZIP64_ENTRIES_AT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An end record for `entries` files with `comment`.
    fn end(entries: u16, comment: &[u8]) -> Vec<u8> {
        let mut r = END_SIGNATURE.to_vec();
        r.extend([0, 0, 0, 0]); // disk numbers
        r.extend(entries.to_le_bytes()); // on this disk
        r.extend(entries.to_le_bytes()); // in all
        r.extend(100u32.to_le_bytes()); // directory size
        r.extend(1000u32.to_le_bytes()); // directory offset
        r.extend((comment.len() as u16).to_le_bytes());
        r.extend(comment);
        r
    }

    fn zip64_end(entries: u64) -> Vec<u8> {
        let mut r = ZIP64_SIGNATURE.to_vec();
        r.extend(44u64.to_le_bytes()); // size of the rest
        r.extend([45, 0, 45, 0]); // versions
        r.extend([0; 8]); // disk numbers
        r.extend(entries.to_le_bytes()); // on this disk
        r.extend(entries.to_le_bytes()); // in all
        r.extend(100u64.to_le_bytes()); // directory size
        r.extend(1000u64.to_le_bytes()); // directory offset
        r
    }

    fn locator(record_at: u64) -> Vec<u8> {
        let mut r = LOCATOR_SIGNATURE.to_vec();
        r.extend(0u32.to_le_bytes());
        r.extend(record_at.to_le_bytes());
        r.extend(1u32.to_le_bytes());
        r
    }

    #[test]
    fn the_count_is_read_from_the_end_record() {
        let mut tail = vec![7u8; 300];
        tail.extend(end(1234, b""));
        assert_eq!(entries_in_tail(&tail), Some(Entries::Count(1234)));
    }

    #[test]
    fn a_signature_inside_the_comment_does_not_fool_it() {
        let mut comment = END_SIGNATURE.to_vec();
        comment.extend([0xff; 30]);
        let mut tail = vec![0u8; 10];
        tail.extend(end(3, &comment));
        assert_eq!(entries_in_tail(&tail), Some(Entries::Count(3)));
    }

    #[test]
    fn a_zip64_archive_points_at_its_zip64_end_record() {
        let mut tail = zip64_end(70_000);
        tail.extend(locator(5_000_000_000));
        tail.extend(end(u16::MAX, b""));
        assert_eq!(
            entries_in_tail(&tail),
            Some(Entries::Zip64At(5_000_000_000))
        );
        assert_eq!(entries_in_zip64_end(&zip64_end(70_000)), Some(70_000));
        assert_eq!(ZIP64_END_LEN as usize, zip64_end(1).len());
    }

    #[test]
    fn bytes_without_an_end_record_have_no_count() {
        assert_eq!(entries_in_tail(b"short"), None);
        assert_eq!(entries_in_tail(&[0u8; 4096]), None);
        let mut cut = end(3, b"comment");
        cut.pop();
        assert_eq!(entries_in_tail(&cut), None);
        assert_eq!(entries_in_zip64_end(&end(3, b"")), None);
        assert_eq!(entries_in_zip64_end(&ZIP64_SIGNATURE), None);
    }
}
