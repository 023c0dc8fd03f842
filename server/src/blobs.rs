//! The bytes of file-backed payloads, kept as parts of protocol §5's size
//! ([`PART_SIZE`]): put a part, say which parts are missing, read a range,
//! delete a share's parts, list the shares that have any.
//!
//! The one backend today keeps them as files, `{data_dir}/parts/{id}/{index}`;
//! everything about files stays inside this module. Paths are built only from
//! a [`ShareId`] (canonical by construction) and a numeric index, never from
//! client text, so no request can name a file outside this directory.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use ots_proto::{part_count, part_len, ShareId, PART_SIZE};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::store::Store;

/// Read buffer of a download stream.
const READ_CHUNK_BYTES: usize = 256 * 1024;

/// The parts of every share, as files in one directory.
#[derive(Clone, Debug)]
pub(crate) struct Blobs {
    root: PathBuf,
}

impl Blobs {
    /// Part files under `{data_dir}/parts`.
    pub(crate) fn open(data_dir: &Path) -> io::Result<Self> {
        let root = data_dir.join("parts");
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn dir(&self, id: &ShareId) -> PathBuf {
        self.root.join(id.as_str())
    }

    fn part_path(&self, id: &ShareId, index: u64) -> PathBuf {
        self.dir(id).join(index.to_string())
    }

    /// Stores a part (temp file, then link or rename), replacing an earlier
    /// copy, and says which. It is made durable by [`Blobs::missing_parts`]
    /// before the share becomes ready: a part lost in a crash before that is
    /// simply reported missing again.
    pub(crate) async fn put_part(
        &self,
        id: &ShareId,
        index: u64,
        data: Bytes,
    ) -> io::Result<Placed> {
        let dir = self.dir(id);
        let path = self.part_path(id, index);
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            if !dir.exists() {
                std::fs::create_dir_all(&dir)?;
                // The new directory's entry in parts/ must survive a crash too.
                sync_dir(&root)?;
            }
            let mut nonce = [0u8; 8];
            getrandom::fill(&mut nonce).map_err(io::Error::other)?;
            let tmp = dir.join(format!(".{index}.{}.tmp", u64::from_le_bytes(nonce)));
            let res = (|| {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&data)?;
                // A hard link fails if the part is there already: of two uploads of one
                // part, exactly one is told it placed a new file.
                let placed = match std::fs::hard_link(&tmp, &path) {
                    Ok(()) => {
                        std::fs::remove_file(&tmp)?;
                        Placed::New
                    }
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        std::fs::rename(&tmp, &path)?;
                        Placed::Replaced
                    }
                    Err(e) => return Err(e),
                };
                sync_dir(&dir)?;
                Ok(placed)
            })();
            if res.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            res
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Whether part `index` is stored with its `len` bytes.
    pub(crate) async fn has_part(&self, id: &ShareId, index: u64, len: u64) -> bool {
        tokio::fs::metadata(self.part_path(id, index))
            .await
            .is_ok_and(|m| m.len() == len)
    }

    /// Indexes of parts missing or of the wrong length for a payload of `size`
    /// bytes. When none is missing, the parts are durable before this answers
    /// (every part and the directory are fsynced).
    pub(crate) async fn missing_parts(&self, id: &ShareId, size: u64) -> io::Result<Vec<u64>> {
        let this = self.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            let mut missing = Vec::new();
            for i in 0..part_count(size) {
                let want = part_len(size, i).unwrap_or(0);
                match std::fs::metadata(this.part_path(&id, i)) {
                    Ok(m) if m.len() == want => {}
                    Ok(_) => missing.push(i),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(i),
                    Err(e) => return Err(e),
                }
            }
            if !missing.is_empty() {
                return Ok(missing);
            }
            // Every part's bytes and rename must be durable before the share is called ready.
            for i in 0..part_count(size) {
                std::fs::File::open(this.part_path(&id, i))?.sync_data()?;
            }
            sync_dir(&this.root)?;
            sync_dir(&this.dir(&id)).or_else(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            Ok(missing)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Deletes every part of a share (no error if there are none); answers the
    /// bytes of the parts it deleted.
    pub(crate) async fn delete_share(&self, id: &ShareId) -> io::Result<u64> {
        let dir = self.dir(id);
        tokio::task::spawn_blocking(move || {
            let bytes = part_bytes(&dir)?;
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(bytes),
            }
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Bytes of every part file kept (the stored-bytes count of a store opened afresh).
    pub(crate) fn bytes_on_disk(&self) -> io::Result<u64> {
        let mut total = 0u64;
        for entry in std::fs::read_dir(&self.root)? {
            total = total.saturating_add(part_bytes(&entry?.path())?);
        }
        Ok(total)
    }

    /// Deletes a share's parts now, as the store asked (a revoke, the last
    /// release), and tells the store they are gone. A failure is logged and
    /// left to the sweeper, which finds the share again.
    pub(crate) async fn delete_share_now(&self, store: &dyn Store, id: &ShareId) {
        match self.delete_share(id).await {
            Ok(freed) => {
                if let Err(e) = store.release_bytes(freed).await {
                    tracing::warn!(error = %e, "could not give back stored bytes");
                }
                if let Err(e) = store.files_deleted(vec![id.clone()]).await {
                    tracing::warn!(share = %id.short(), error = %e, "could not record deleted files");
                }
            }
            Err(e) => {
                tracing::warn!(share = %id.short(), error = %e, "could not delete part files")
            }
        }
    }

    /// Ids that have parts (for the sweeper's orphan check).
    pub(crate) async fn share_ids(&self) -> io::Result<Vec<ShareId>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut ids = Vec::new();
            for entry in std::fs::read_dir(root)? {
                let name = entry?.file_name();
                let Some(name) = name.to_str() else { continue };
                if let Ok(id) = ShareId::parse(name) {
                    ids.push(id);
                }
            }
            Ok(ids)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Streams bytes `[start, end)` of a share's payload across its parts.
    pub(crate) fn read_range(
        &self,
        id: &ShareId,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        let mut segments = Vec::new();
        let mut pos = start;
        while pos < end {
            let index = pos / PART_SIZE;
            let offset = pos % PART_SIZE;
            let len = (PART_SIZE - offset).min(end - pos);
            segments.push((self.part_path(id, index), offset, len));
            pos += len;
        }
        stream::iter(segments)
            .then(|(path, offset, len)| async move {
                let mut f = tokio::fs::File::open(path).await?;
                f.seek(io::SeekFrom::Start(offset)).await?;
                Ok::<_, io::Error>(ReaderStream::with_capacity(f.take(len), READ_CHUNK_BYTES))
            })
            .try_flatten()
    }
}

/// How the ciphertext storage is doing, for the operator's console.
#[derive(Clone, Debug)]
pub(crate) struct BlobHealth {
    /// What it is.
    pub(crate) label: String,
    /// Whether a file can be written there now.
    pub(crate) ok: bool,
    /// How it answered.
    pub(crate) detail: String,
    /// Free bytes for unprivileged writers on its filesystem.
    pub(crate) free_bytes: Option<u64>,
}

impl Blobs {
    /// Writes and removes a probe file, and reads the filesystem's free space.
    pub(crate) async fn health(&self) -> BlobHealth {
        let root = self.root.clone();
        let label = format!("files in {}", root.display());
        let checked = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let probe = root.join(".health-probe");
            let written = std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe));
            let free = rustix::fs::statvfs(&root)
                .ok()
                .map(|s| s.f_bavail.saturating_mul(s.f_frsize));
            (written, started.elapsed(), free)
        })
        .await;
        match checked {
            Ok((Ok(()), took, free_bytes)) => BlobHealth {
                label,
                ok: true,
                detail: format!("writable ({} ms)", took.as_millis()),
                free_bytes,
            },
            Ok((Err(e), _, free_bytes)) => {
                tracing::warn!(error = %e, "ciphertext directory is not writable");
                BlobHealth {
                    label,
                    ok: false,
                    detail: "not writable (see the server log)".into(),
                    free_bytes,
                }
            }
            Err(_) => BlobHealth {
                label,
                ok: false,
                detail: "the check did not finish".into(),
                free_bytes: None,
            },
        }
    }
}

/// Whether [`Blobs::put_part`] added a part or replaced an earlier copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    /// The part was not there before.
    New,
    /// An earlier copy of the part was replaced (it took the same room).
    Replaced,
}

/// Bytes of the part files in one share's directory (none if it is gone).
fn part_bytes(dir: &Path) -> io::Result<u64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut total = 0u64;
    for entry in entries {
        let entry = entry?;
        // Temp files of uploads in flight are not parts yet.
        let is_part = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.parse::<u64>().is_ok());
        if is_part {
            total = total.saturating_add(entry.metadata()?.len());
        }
    }
    Ok(total)
}

/// Makes a directory's entries durable (a created or renamed file in it).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(test)]
    synced::record(dir);
    std::fs::File::open(dir)?.sync_all()
}

/// The directories fsynced so far (tests look for theirs).
#[cfg(test)]
mod synced {
    use std::{
        path::{Path, PathBuf},
        sync::Mutex,
    };

    static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    pub(super) fn record(dir: &Path) {
        DIRS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(dir.to_path_buf());
    }

    pub(super) fn count(dir: &Path) -> usize {
        DIRS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|d| d.as_path() == dir)
            .count()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_part_directory_and_every_part_rename_are_made_durable() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let id = ShareId::from_bytes([5; 16]);
        let root = dir.path().join("parts");
        let share_dir = root.join(id.as_str());
        blobs.put_part(&id, 0, vec![1; 10].into()).await.unwrap();
        assert!(
            synced::count(&root) >= 1,
            "parts/ holds the new directory's entry"
        );
        assert!(synced::count(&share_dir) >= 1, "the rename is durable");
        let before = synced::count(&share_dir);
        let again = blobs.put_part(&id, 0, vec![2; 10].into()).await.unwrap();
        assert_eq!(again, Placed::Replaced);
        assert!(
            synced::count(&share_dir) > before,
            "a replacing rename is durable too"
        );
    }

    async fn read_all(blobs: &Blobs, id: &ShareId, start: u64, end: u64) -> Vec<u8> {
        let chunks: Vec<Bytes> = blobs
            .read_range(id, start, end)
            .try_collect()
            .await
            .unwrap();
        chunks.concat()
    }

    #[tokio::test]
    async fn parts_are_put_read_across_their_border_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let id = ShareId::from_bytes([3; 16]);
        let size = PART_SIZE + 10;
        assert_eq!(blobs.missing_parts(&id, size).await.unwrap(), vec![0, 1]);
        let first: Vec<u8> = (0..PART_SIZE).map(|i| (i % 251) as u8).collect();
        blobs.put_part(&id, 0, first.clone().into()).await.unwrap();
        blobs.put_part(&id, 1, vec![7; 9].into()).await.unwrap();
        assert_eq!(
            blobs.missing_parts(&id, size).await.unwrap(),
            vec![1],
            "short part"
        );
        blobs.put_part(&id, 1, vec![7; 10].into()).await.unwrap();
        assert!(blobs.missing_parts(&id, size).await.unwrap().is_empty());
        let across = read_all(&blobs, &id, PART_SIZE - 3, PART_SIZE + 2).await;
        assert_eq!(across, [&first[first.len() - 3..], &[7, 7]].concat());
        assert_eq!(blobs.share_ids().await.unwrap(), vec![id.clone()]);
        assert_eq!(blobs.bytes_on_disk().unwrap(), size);
        assert_eq!(blobs.delete_share(&id).await.unwrap(), size);
        assert_eq!(blobs.delete_share(&id).await.unwrap(), 0);
        assert!(blobs.share_ids().await.unwrap().is_empty());
        assert_eq!(blobs.missing_parts(&id, size).await.unwrap(), vec![0, 1]);
    }
}
