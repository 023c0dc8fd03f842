//! Payload parts as files, `{root}/{id}/{index}` (root: `{data_dir}/parts`
//! unless `--blob-url file:///…` says otherwise). Everything about files stays
//! inside this module.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
    time::SystemTime,
};

use bytes::Bytes;
use futures_util::{future::BoxFuture, FutureExt};
use ots_proto::ShareId;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::{expected_parts, BlobFuture, BlobHealth, BlobStore, BlobStream, Placed};

/// Read buffer of a download stream.
const READ_CHUNK_BYTES: usize = 256 * 1024;

/// The parts of every share, as files in one directory.
#[derive(Clone, Debug)]
pub(crate) struct FsBlobs {
    root: PathBuf,
}

impl FsBlobs {
    /// Part files under `{data_dir}/parts`.
    pub(crate) fn open(data_dir: &Path) -> io::Result<Self> {
        Self::open_root(&data_dir.join("parts"))
    }

    /// Part files under `root` itself.
    pub(crate) fn open_root(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn dir(&self, id: &ShareId) -> PathBuf {
        self.root.join(id.as_str())
    }

    fn part_path(&self, id: &ShareId, index: u64) -> PathBuf {
        self.dir(id).join(index.to_string())
    }

    /// Stores a part (temp file, then link or rename), replacing an earlier
    /// copy, and says which. It is made durable by `missing_parts` before the
    /// share becomes ready: a part lost in a crash before that is simply
    /// reported missing again. Its bytes go to the disk in the background
    /// from now on, while later parts arrive, so that the completing sync
    /// finds little left to write.
    async fn put(&self, id: &ShareId, index: u64, data: Bytes) -> io::Result<Placed> {
        let dir = self.dir(id);
        let path = self.part_path(id, index);
        let root = self.root.clone();
        let written = path.clone();
        let placed = tokio::task::spawn_blocking(move || {
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
        .map_err(io::Error::other)??;
        // Not awaited: a part deleted meanwhile, or a failure here, is
        // `missing_parts`'s to find, as it syncs every part again.
        drop(tokio::task::spawn_blocking(move || {
            if let Ok(f) = std::fs::File::open(&written) {
                let _ = f.sync_data();
            }
        }));
        Ok(placed)
    }

    async fn missing(&self, id: &ShareId, size: u64) -> io::Result<Vec<u64>> {
        let this = self.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            let mut missing = Vec::new();
            for (i, want) in expected_parts(size) {
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
            for (i, _) in expected_parts(size) {
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

    async fn delete(&self, id: &ShareId) -> io::Result<u64> {
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

    async fn total_bytes(&self) -> io::Result<u64> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut total = 0u64;
            for entry in std::fs::read_dir(&root)? {
                total = total.saturating_add(part_bytes(&entry?.path())?);
            }
            Ok(total)
        })
        .await
        .map_err(io::Error::other)?
    }

    async fn ids(&self) -> io::Result<Vec<(ShareId, Option<SystemTime>)>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut ids = Vec::new();
            for entry in std::fs::read_dir(root)? {
                let name = entry?.file_name();
                let Some(name) = name.to_str() else { continue };
                if let Ok(id) = ShareId::parse(name) {
                    // This instance alone writes its data dir: no age is needed to tell an
                    // orphan from a part another instance is writing.
                    ids.push((id, None));
                }
            }
            Ok(ids)
        })
        .await
        .map_err(io::Error::other)?
    }

    async fn read(
        &self,
        id: &ShareId,
        index: u64,
        offset: u64,
        len: u64,
    ) -> io::Result<BlobStream> {
        let mut f = tokio::fs::File::open(self.part_path(id, index)).await?;
        f.seek(io::SeekFrom::Start(offset)).await?;
        Ok(Box::pin(ReaderStream::with_capacity(
            f.take(len),
            READ_CHUNK_BYTES,
        )))
    }

    /// Writes and removes a probe file, and reads the filesystem's free space.
    async fn check(&self) -> BlobHealth {
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

impl BlobStore for FsBlobs {
    fn put_part(&self, id: &ShareId, index: u64, data: Bytes) -> BlobFuture<'_, Placed> {
        let id = id.clone();
        async move { self.put(&id, index, data).await }.boxed()
    }

    fn part_len(&self, id: &ShareId, index: u64) -> BlobFuture<'_, Option<u64>> {
        let path = self.part_path(id, index);
        async move {
            match tokio::fs::metadata(path).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn missing_parts(&self, id: &ShareId, size: u64) -> BlobFuture<'_, Vec<u64>> {
        let id = id.clone();
        async move { self.missing(&id, size).await }.boxed()
    }

    fn delete_share(&self, id: &ShareId) -> BlobFuture<'_, u64> {
        let id = id.clone();
        async move { self.delete(&id).await }.boxed()
    }

    fn stored_bytes(&self) -> BlobFuture<'_, u64> {
        self.total_bytes().boxed()
    }

    fn share_ids(&self) -> BlobFuture<'_, Vec<(ShareId, Option<SystemTime>)>> {
        self.ids().boxed()
    }

    fn read_part(
        &self,
        id: &ShareId,
        index: u64,
        offset: u64,
        len: u64,
    ) -> BlobFuture<'_, BlobStream> {
        let id = id.clone();
        async move { self.read(&id, index, offset, len).await }.boxed()
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn health(&self) -> BoxFuture<'_, BlobHealth> {
        self.check().boxed()
    }
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
        let blobs = FsBlobs::open(dir.path()).unwrap();
        let id = ShareId::from_bytes([5; 16]);
        let root = dir.path().join("parts");
        let share_dir = root.join(id.as_str());
        blobs.put(&id, 0, vec![1; 10].into()).await.unwrap();
        assert!(
            synced::count(&root) >= 1,
            "parts/ holds the new directory's entry"
        );
        assert!(synced::count(&share_dir) >= 1, "the rename is durable");
        let before = synced::count(&share_dir);
        let again = blobs.put(&id, 0, vec![2; 10].into()).await.unwrap();
        assert_eq!(again, Placed::Replaced);
        assert!(
            synced::count(&share_dir) > before,
            "a replacing rename is durable too"
        );
    }

    #[tokio::test]
    async fn the_blob_suite_passes_on_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = super::super::Blobs::open(dir.path()).unwrap();
        super::super::suite::run(&blobs).await;
    }
}
