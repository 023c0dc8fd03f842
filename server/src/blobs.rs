//! Payload parts as files: `{data_dir}/parts/{id}/{index}`.
//!
//! Paths are built only from a decoded [`ShareId`] (re-encoded here) and a
//! numeric index, never from client text, so no request can name a file
//! outside this directory.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::store::ShareId;

/// Bytes of every part but the last (protocol §5): 8 MiB.
pub const PART_BYTES: u64 = 8 * 1024 * 1024;
/// Read buffer of a download stream.
const READ_CHUNK_BYTES: usize = 256 * 1024;

/// The number of parts of a payload of `size` bytes.
pub fn part_count(size: u64) -> u64 {
    size.div_ceil(PART_BYTES).max(1)
}

/// The length of part `index` of a payload of `size` bytes, if it exists.
pub fn part_len(size: u64, index: u64) -> Option<u64> {
    if index >= part_count(size) {
        return None;
    }
    let start = index * PART_BYTES;
    Some(size.min(start + PART_BYTES) - start)
}

/// The directory of part files.
#[derive(Clone, Debug)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    /// Part files under `{data_dir}/parts`.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let root = data_dir.join("parts");
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn dir(&self, id: &ShareId) -> PathBuf {
        self.root.join(URL_SAFE_NO_PAD.encode(id))
    }

    fn part_path(&self, id: &ShareId, index: u64) -> PathBuf {
        self.dir(id).join(index.to_string())
    }

    /// Stores a part (temp file, rename), replacing an earlier copy. It is made
    /// durable by [`Blobs::missing_parts`] before the share becomes ready: a part
    /// lost in a crash before that is simply reported missing again.
    pub async fn write_part(&self, id: ShareId, index: u64, data: Bytes) -> io::Result<()> {
        let dir = self.dir(&id);
        let path = self.part_path(&id, index);
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let mut nonce = [0u8; 8];
            getrandom::fill(&mut nonce).map_err(io::Error::other)?;
            let tmp = dir.join(format!(".{index}.{}.tmp", u64::from_le_bytes(nonce)));
            let res = (|| {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&data)?;
                std::fs::rename(&tmp, &path)
            })();
            if res.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            res
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Indexes of parts missing or of the wrong length for a payload of `size` bytes.
    /// When none is missing, every part and the directory are fsynced first.
    pub async fn missing_parts(&self, id: ShareId, size: u64) -> io::Result<Vec<u64>> {
        let this = self.clone();
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
            std::fs::File::open(this.dir(&id))
                .and_then(|d| d.sync_all())
                .or_else(|e| {
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

    /// Deletes every part of a share (no error if there are none).
    pub async fn delete(&self, id: ShareId) -> io::Result<()> {
        let dir = self.dir(&id);
        tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Ids that have a part directory (for the sweeper's orphan check).
    pub async fn ids(&self) -> io::Result<Vec<ShareId>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut ids = Vec::new();
            for entry in std::fs::read_dir(root)? {
                let name = entry?.file_name();
                let Some(name) = name.to_str() else { continue };
                if let Some(id) = crate::api::ids::parse_id(name) {
                    ids.push(id);
                }
            }
            Ok(ids)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Streams bytes `[start, end)` of a payload of `size` bytes across its parts.
    pub fn stream_range(
        &self,
        id: ShareId,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        let mut segments = Vec::new();
        let mut pos = start;
        while pos < end {
            let index = pos / PART_BYTES;
            let offset = pos % PART_BYTES;
            let len = (PART_BYTES - offset).min(end - pos);
            segments.push((self.part_path(&id, index), offset, len));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_payload_exactly() {
        assert_eq!(part_count(1), 1);
        assert_eq!(part_count(PART_BYTES), 1);
        assert_eq!(part_count(PART_BYTES + 1), 2);
        assert_eq!(part_len(PART_BYTES + 1, 1), Some(1));
        assert_eq!(part_len(PART_BYTES + 1, 2), None);
        assert_eq!(part_len(10, 0), Some(10));
    }
}
