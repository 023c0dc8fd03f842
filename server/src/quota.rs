//! The storage quota (protocol §5, 1.1: `507 storage_full`, nothing stored).
//!
//! With `--max-stored-bytes` the limit is on the store's stored-bytes count:
//! the bytes of part files, added when a part is about to be written and
//! taken off when parts are deleted. The count lives in the store, so several
//! instances on one Redis share one quota. Without it, the limit is the parts
//! directory's filesystem: a share or part is refused when writing it would
//! leave less than a tenth of the filesystem free, as `df` counts it (counting parts being
//! written). On object storage (`--blob-url s3://…`) there is no filesystem
//! to ask: only `--max-stored-bytes` limits it.
//!
//! A create is refused when the share would pass the limit; a part is refused
//! before any of its bytes is written.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use crate::store::{Store, StoreError};

/// The fraction of the filesystem kept free without `--max-stored-bytes`: one in this many.
const KEEP_FREE_DIVISOR: u64 = 10;

/// Where the limit comes from.
#[derive(Clone, Debug)]
enum Limit {
    /// `--max-stored-bytes`, on the store's count.
    Bytes(u64),
    /// A tenth of the parts directory's filesystem kept free.
    KeepFree(PathBuf),
    /// Object storage without `--max-stored-bytes`: no limit here.
    None,
}

/// The quota of one server.
#[derive(Clone, Debug)]
pub(crate) struct Quota {
    limit: Limit,
    /// Bytes of parts this instance is writing now (for the free-space check).
    writing: Arc<AtomicU64>,
}

/// Room taken for a part while it is written; see [`Quota::reserve_part`].
pub(crate) struct PartRoom {
    bytes: u64,
    counted: bool,
    writing: Arc<AtomicU64>,
}

impl Drop for PartRoom {
    fn drop(&mut self) {
        self.writing.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

impl Quota {
    /// A quota of `max_stored_bytes`, or a tenth of `parts_dir`'s filesystem
    /// kept free (no parts directory: no limit).
    pub(crate) fn new(max_stored_bytes: Option<u64>, parts_dir: Option<PathBuf>) -> Self {
        let limit = match (max_stored_bytes, parts_dir) {
            (Some(max), _) => Limit::Bytes(max),
            (None, Some(dir)) => Limit::KeepFree(dir),
            (None, None) => Limit::None,
        };
        Self {
            limit,
            writing: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether a share of `size` bytes fits now (nothing is taken).
    pub(crate) async fn admits(&self, store: &dyn Store, size: u64) -> Result<bool, StoreError> {
        match &self.limit {
            Limit::Bytes(max) => Ok(store.stored_bytes().await?.saturating_add(size) <= *max),
            Limit::KeepFree(dir) => Ok(self.leaves_room(dir, size)),
            Limit::None => Ok(true),
        }
    }

    /// Takes room for a part of `len` bytes before it is written; `None` when it would pass the limit.
    pub(crate) async fn reserve_part(
        &self,
        store: &dyn Store,
        len: u64,
    ) -> Result<Option<PartRoom>, StoreError> {
        let counted = match &self.limit {
            Limit::Bytes(max) => {
                if !store.reserve_bytes(len, *max).await? {
                    return Ok(None);
                }
                true
            }
            Limit::KeepFree(dir) => {
                if !self.leaves_room(dir, len) {
                    return Ok(None);
                }
                false
            }
            Limit::None => false,
        };
        self.writing.fetch_add(len, Ordering::SeqCst);
        Ok(Some(PartRoom {
            bytes: len,
            counted,
            writing: self.writing.clone(),
        }))
    }

    /// The part was not kept, or replaced an earlier copy: its room goes back.
    pub(crate) async fn give_back(&self, store: &dyn Store, room: PartRoom) {
        if room.counted {
            if let Err(e) = store.release_bytes(room.bytes).await {
                tracing::warn!(error = %e, "could not give back stored bytes");
            }
        }
    }

    /// Whether `bytes` more (and the parts being written) leave a tenth of the filesystem free.
    fn leaves_room(&self, dir: &std::path::Path, bytes: u64) -> bool {
        match rustix::fs::statvfs(dir) {
            Ok(fs) => keeps_free(
                fs.f_bavail.saturating_mul(fs.f_frsize),
                usable_blocks(fs.f_blocks, fs.f_bfree, fs.f_bavail).saturating_mul(fs.f_frsize),
                self.writing.load(Ordering::SeqCst).saturating_add(bytes),
            ),
            Err(e) => {
                // Without the figures, refuse nothing: the write itself reports a full disk.
                tracing::warn!(error = %e, "statvfs of the data dir failed");
                true
            }
        }
    }
}

/// The blocks this server can use, as `df` counts them: used plus available.
///
/// Blocks reserved for root (`bfree - bavail`) are left out; on a filesystem
/// with a large reservation, a tenth of all blocks can be more than all that
/// is available, and every share would be refused.
fn usable_blocks(blocks: u64, bfree: u64, bavail: u64) -> u64 {
    blocks.saturating_sub(bfree.saturating_sub(bavail))
}

/// Whether writing `bytes` leaves a tenth of a filesystem of `total` usable bytes free.
fn keeps_free(available: u64, total: u64, bytes: u64) -> bool {
    available.saturating_sub(bytes) >= total / KEEP_FREE_DIVISOR && bytes <= available
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenth_of_the_filesystem_is_kept_free() {
        assert!(keeps_free(500, 1000, 400));
        assert!(!keeps_free(500, 1000, 401));
        assert!(!keeps_free(50, 1000, 1));
        assert!(!keeps_free(5, 10, 6));
    }

    #[test]
    fn blocks_reserved_for_root_are_not_counted_as_the_filesystem() {
        // 252 GiB of blocks, 184 GiB free of which 24 GiB are available: the
        // server can use 92 GiB, and 24 GiB available is more than a tenth.
        let usable = usable_blocks(252, 184, 24);
        assert_eq!(usable, 92);
        assert!(keeps_free(24, usable, 1));
        assert!(!keeps_free(24, 252, 1));
        // No reservation: every block counts.
        assert_eq!(usable_blocks(1000, 500, 500), 1000);
    }
}
