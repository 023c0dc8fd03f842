//! The protocol's numbers and the arithmetic on them: STREAM records
//! (protocol §4), parts (§5, "Upload"), meta bounds (§3), tickets, limits.

/// Plaintext bytes per STREAM chunk, `C` of protocol §4.
pub const CHUNK_SIZE: usize = 65_536;
/// Bytes of a Poly1305 tag.
pub const TAG_SIZE: usize = 16;
/// Bytes of a full ciphertext record: a chunk and its tag.
pub const RECORD_SIZE: usize = CHUNK_SIZE + TAG_SIZE;

/// Payload bytes of every uploaded part but the last (protocol §5, "Upload").
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// The largest payload that may travel inline in the create request (§5).
pub const INLINE_MAX_BYTES: u64 = 1024 * 1024;

/// Smallest sealed meta record: a tag and at least one byte of JSON (§3).
pub const META_MIN_SEALED_SIZE: usize = TAG_SIZE + 1;
/// Largest sealed meta record (§3, §5).
pub const META_MAX_SEALED_SIZE: usize = 4096;

/// Bytes of a share id (§1).
pub const SHARE_ID_SIZE: usize = 16;
/// Characters of a share id: base64url of 16 bytes without padding.
pub const SHARE_ID_LEN: usize = crate::b64::encoded_len(SHARE_ID_SIZE);
/// Bytes of every token: link and claim tokens, server-issued tokens (§2, §5).
pub const TOKEN_SIZE: usize = 32;
/// Bytes of a verifier, the SHA-256 of a token (§2).
pub const VERIFIER_SIZE: usize = 32;
/// Bytes of a claim's `request_id` (§5, "Claim").
pub const REQUEST_ID_SIZE: usize = 16;

/// A ticket lives this long after its last use (§5, "Download").
pub const TICKET_TTL_SECS: u32 = 600;
/// A ticket serves at most this many times the payload, counting every range (§5, 1.1).
pub const TICKET_BUDGET_FACTOR: u64 = 3;
/// Wrong passwords after which a share is locked for good (§5, claim step 3).
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
/// Shortest expiry a create may ask for, in seconds (§5, "Create").
pub const EXPIRES_IN_MIN_SECS: u32 = 60;
/// Longest expiry a create may ask for, in seconds (§5, "Create").
pub const EXPIRES_IN_MAX_SECS: u32 = 604_800;
/// Most downloads a share may allow (§5, "Create").
pub const MAX_DOWNLOADS: u32 = 100;

/// Bytes of the payload of `plaintext_len` bytes: `P + 16 * max(1, ceil(P / C))`
/// (§4). Saturates at `u64::MAX` for absurd inputs.
pub fn payload_size(plaintext_len: u64) -> u64 {
    let chunks = plaintext_len.div_ceil(CHUNK_SIZE as u64).max(1);
    plaintext_len.saturating_add(chunks.saturating_mul(TAG_SIZE as u64))
}

/// The plaintext length of a payload of `payload_len` bytes, or `None` if no
/// payload of the protocol has that length (the inverse of [`payload_size`]).
/// A server refuses such sizes at create (§5, 1.1).
pub fn plaintext_size(payload_len: u64) -> Option<u64> {
    let record = RECORD_SIZE as u64;
    let tag = TAG_SIZE as u64;
    let full = payload_len / record;
    let tail = payload_len % record;
    match (full, tail) {
        (0, t) if t == tag => Some(0),
        (0, 0) => None,
        // The last record holds 1..=C plaintext bytes.
        (f, 0) => Some(f * CHUNK_SIZE as u64),
        (f, t) if t > tag => Some(f * CHUNK_SIZE as u64 + t - tag),
        _ => None,
    }
}

/// The largest plaintext whose payload fits in `max_payload` bytes: what a
/// client may offer to send under a server's `max_share_bytes`.
pub fn max_plaintext_for(max_payload: u64) -> u64 {
    let record = RECORD_SIZE as u64;
    let full = max_payload / record;
    let rest = max_payload % record;
    full * CHUNK_SIZE as u64 + rest.saturating_sub(TAG_SIZE as u64)
}

/// Parts of a payload of `size` bytes (at least one).
pub fn part_count(size: u64) -> u64 {
    size.div_ceil(PART_SIZE).max(1)
}

/// Bytes of part `index` of a payload of `size` bytes, or `None` for an
/// index past the end.
pub fn part_len(size: u64, index: u64) -> Option<u64> {
    if index >= part_count(size) {
        return None;
    }
    let start = index * PART_SIZE;
    Some(size.saturating_sub(start).min(PART_SIZE))
}

/// What it takes to seal part `index` of a payload on its own: the records
/// that overlap the part's byte range, the plaintext they hold, and where
/// the part lies in their ciphertext. Parts and records do not align (8 MiB
/// is not a multiple of a record), so a record that straddles two parts is
/// sealed for both; STREAM records depend only on their index, so both
/// copies are the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// Index of the first record the part touches.
    pub first_record: u64,
    /// Plaintext range `[start, end)` of those records.
    pub plain_start: u64,
    /// End of that plaintext range (exclusive).
    pub plain_end: u64,
    /// True when the last of those records is the payload's final one.
    pub ends_payload: bool,
    /// The part within the records' ciphertext: `[cut_start, cut_end)`.
    pub cut_start: u64,
    /// End of the part within that ciphertext (exclusive).
    pub cut_end: u64,
}

/// The [`PartPlan`] of part `index` of the payload of `plaintext_len`
/// plaintext bytes, or `None` for an index past the end.
pub fn part_plan(plaintext_len: u64, index: u64) -> Option<PartPlan> {
    let size = payload_size(plaintext_len);
    let len = part_len(size, index)?;
    let record = RECORD_SIZE as u64;
    let chunk = CHUNK_SIZE as u64;
    let records = plaintext_len.div_ceil(chunk).max(1);
    let start = index * PART_SIZE;
    let end = start + len;
    let first_record = start / record;
    let end_record = end.div_ceil(record).min(records);
    Some(PartPlan {
        first_record,
        plain_start: first_record * chunk,
        plain_end: (end_record * chunk).min(plaintext_len),
        ends_payload: end_record == records,
        cut_start: start - first_record * record,
        cut_end: end - first_record * record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_size_matches_protocol_examples() {
        assert_eq!(payload_size(0), 16);
        assert_eq!(payload_size(1), 17);
        assert_eq!(payload_size(65_536), 65_552);
        assert_eq!(payload_size(65_537), 65_537 + 32);
        assert_eq!(payload_size(u64::MAX), u64::MAX);
    }

    #[test]
    fn plaintext_size_inverts_payload_size() {
        for plain in [0, 1, 65_535, 65_536, 65_537, 50 << 20, 1 << 30] {
            assert_eq!(plaintext_size(payload_size(plain)), Some(plain), "{plain}");
        }
    }

    #[test]
    fn sizes_no_payload_can_have_are_refused() {
        for bad in [0, 1, 15, 65_553, 65_552 + 16, 2 * 65_552 + 5] {
            assert_eq!(plaintext_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn max_plaintext_fits_the_limit() {
        for limit in [16, 17, 65_552, 65_553, 65_570, 1 << 30, 5 << 30] {
            let plain = max_plaintext_for(limit);
            assert!(payload_size(plain) <= limit, "{limit}");
            assert!(payload_size(plain + 1) > limit, "{limit}");
        }
    }

    #[test]
    fn parts_cover_the_payload_exactly() {
        assert_eq!(part_count(1), 1);
        assert_eq!(part_count(PART_SIZE), 1);
        assert_eq!(part_count(PART_SIZE + 1), 2);
        assert_eq!(part_len(PART_SIZE + 1, 0), Some(PART_SIZE));
        assert_eq!(part_len(PART_SIZE + 1, 1), Some(1));
        assert_eq!(part_len(PART_SIZE + 1, 2), None);
        assert_eq!(part_len(100, 0), Some(100));
    }
}
