//! The bytes of file-backed payloads, kept as parts of protocol §5's size
//! ([`PART_SIZE`]): put a part, say which parts are missing, read a range,
//! delete a share's parts, list the shares that have any.
//!
//! Two backends sit behind [`BlobStore`], selected by `--blob-url`:
//! [`fs::FsBlobs`], files under `{data_dir}/parts/{id}/{index}` (the default),
//! and [`s3::S3Blobs`], one object per part, `{prefix}/{id}/{index}`, on any
//! S3-compatible store. Keys and paths are built only from a [`ShareId`]
//! (canonical by construction) and a numeric index, never from client text.
//!
//! What both share stays here, above the trait: mapping a byte range onto
//! parts ([`Blobs::read_range`]), and telling the record store that bytes were
//! freed ([`Blobs::delete_share_now`]). Resume, tickets and their byte budget
//! live above this module again (`api::blob`), so both backends obey them alike.

pub(crate) mod fs;
pub(crate) mod s3;

use std::{
    fmt,
    future::Future,
    io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
    time::SystemTime,
};

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use ots_proto::{part_count, part_len, ShareId, PART_SIZE};

use crate::{config::Config, store::Store};

/// A boxed future of a blob operation.
pub(crate) type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// A stream of payload bytes.
pub(crate) type BlobStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

/// One storage of payload parts. Every method is safe to call from several
/// instances at once on the same storage (an S3 bucket is shared by all).
pub(crate) trait BlobStore: fmt::Debug + Send + Sync + 'static {
    /// Stores part `index` of a share, replacing an earlier copy, and says which.
    fn put_part(&self, id: &ShareId, index: u64, data: Bytes) -> BlobFuture<'_, Placed>;

    /// The length of part `index` as stored, `None` when it is not there.
    fn part_len(&self, id: &ShareId, index: u64) -> BlobFuture<'_, Option<u64>>;

    /// Indexes of parts missing or of the wrong length for a payload of `size`
    /// bytes. When none is missing the parts are durable before this answers.
    fn missing_parts(&self, id: &ShareId, size: u64) -> BlobFuture<'_, Vec<u64>>;

    /// Deletes every part of a share (no error if there are none); answers the
    /// bytes of the parts it deleted.
    fn delete_share(&self, id: &ShareId) -> BlobFuture<'_, u64>;

    /// Bytes of every part kept (the stored-bytes count of a store opened afresh).
    fn stored_bytes(&self) -> BlobFuture<'_, u64>;

    /// Ids that have parts, each with the time its newest part was written
    /// (`None` when the backend does not say).
    fn share_ids(&self) -> BlobFuture<'_, Vec<(ShareId, Option<SystemTime>)>>;

    /// Streams `len` bytes of part `index` from `offset`; the part is opened
    /// (and a missing part or an unreachable storage reported) before this answers.
    fn read_part(
        &self,
        id: &ShareId,
        index: u64,
        offset: u64,
        len: u64,
    ) -> BlobFuture<'_, BlobStream>;

    /// The local directory the parts are in (`None` for object storage).
    fn local_root(&self) -> Option<&Path> {
        None
    }

    /// Whether the storage can be written now, for the operator's console.
    fn health(&self) -> Pin<Box<dyn Future<Output = BlobHealth> + Send + '_>>;
}

/// A failure of the ciphertext storage (disk or object store): the request
/// answers `503 unavailable`, and nothing about the share changes.
#[derive(Debug, thiserror::Error)]
#[error("ciphertext storage: {0}")]
pub(crate) struct BlobError(#[from] pub(crate) io::Error);

/// The parts of every share, in the backend the config selects.
#[derive(Clone, Debug)]
pub(crate) struct Blobs {
    inner: Arc<dyn BlobStore>,
}

impl Blobs {
    /// Part files under `{data_dir}/parts`.
    pub(crate) fn open(data_dir: &Path) -> io::Result<Self> {
        Ok(Self::new(fs::FsBlobs::open(data_dir)?))
    }

    /// Over one backend.
    pub(crate) fn new(store: impl BlobStore) -> Self {
        Self {
            inner: Arc::new(store),
        }
    }

    /// The backend of `--blob-url`: `file:///path`, `s3://bucket[/prefix]`, or
    /// (unset) files under `{data_dir}/parts`.
    pub(crate) fn from_config(config: &Config) -> anyhow::Result<Self> {
        match config.blob_url.as_deref() {
            None => Ok(Self::open(&config.data_dir)?),
            Some(url) => {
                if let Some(path) = url.strip_prefix("file://") {
                    anyhow::ensure!(
                        path.starts_with('/'),
                        "--blob-url file:// needs an absolute path (file:///var/lib/ots/parts)"
                    );
                    Ok(Self::new(fs::FsBlobs::open_root(Path::new(path))?))
                } else if url.starts_with("s3://") {
                    Ok(Self::new(s3::S3Blobs::from_env(url)?))
                } else {
                    anyhow::bail!("--blob-url must start with file:/// or s3:// (got {url:?})")
                }
            }
        }
    }

    /// The local directory the parts are in (`None` for object storage): the
    /// filesystem the quota keeps a tenth of free without `--max-stored-bytes`.
    pub(crate) fn local_root(&self) -> Option<PathBuf> {
        self.inner.local_root().map(Path::to_path_buf)
    }

    /// See [`BlobStore::put_part`].
    pub(crate) async fn put_part(
        &self,
        id: &ShareId,
        index: u64,
        data: Bytes,
    ) -> Result<Placed, BlobError> {
        Ok(self.inner.put_part(id, index, data).await?)
    }

    /// Whether part `index` is stored with its `len` bytes (a storage that does not answer: no).
    pub(crate) async fn has_part(&self, id: &ShareId, index: u64, len: u64) -> bool {
        matches!(self.inner.part_len(id, index).await, Ok(Some(n)) if n == len)
    }

    /// Whether part `index` is stored with its `len` bytes; a storage that
    /// does not answer is an error, not a "no".
    pub(crate) async fn part_is_whole(
        &self,
        id: &ShareId,
        index: u64,
        len: u64,
    ) -> Result<bool, BlobError> {
        Ok(self.inner.part_len(id, index).await? == Some(len))
    }

    /// See [`BlobStore::missing_parts`].
    pub(crate) async fn missing_parts(
        &self,
        id: &ShareId,
        size: u64,
    ) -> Result<Vec<u64>, BlobError> {
        Ok(self.inner.missing_parts(id, size).await?)
    }

    /// See [`BlobStore::delete_share`].
    pub(crate) async fn delete_share(&self, id: &ShareId) -> Result<u64, BlobError> {
        Ok(self.inner.delete_share(id).await?)
    }

    /// See [`BlobStore::stored_bytes`].
    pub(crate) async fn stored_bytes(&self) -> Result<u64, BlobError> {
        Ok(self.inner.stored_bytes().await?)
    }

    /// See [`BlobStore::share_ids`].
    pub(crate) async fn share_ids(&self) -> Result<Vec<(ShareId, Option<SystemTime>)>, BlobError> {
        Ok(self.inner.share_ids().await?)
    }

    /// How the storage is doing now.
    pub(crate) async fn health(&self) -> BlobHealth {
        self.inner.health().await
    }

    /// Deletes a share's parts now, as the store asked (a revoke, a takedown,
    /// the last release), and tells the store they are gone. A failure is
    /// logged and left to the sweeper, which finds the share again.
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
                tracing::warn!(share = %id.short(), error = %e, "could not delete parts")
            }
        }
    }

    /// Opens bytes `[start, end)` of a share's payload across its parts: the
    /// first part is opened before this answers (so an unreachable storage is
    /// an error here, not a cut-off body); later parts are opened in order as
    /// the stream reaches them, one at a time.
    pub(crate) async fn read_range(
        &self,
        id: &ShareId,
        start: u64,
        end: u64,
    ) -> Result<BlobStream, BlobError> {
        let mut segments = segments(start, end).into_iter();
        let Some((index, offset, len)) = segments.next() else {
            return Ok(Box::pin(stream::empty()));
        };
        let first = self.inner.read_part(id, index, offset, len).await?;
        let inner = self.inner.clone();
        let id = id.clone();
        let rest = stream::iter(segments)
            .then(move |(index, offset, len)| {
                let inner = inner.clone();
                let id = id.clone();
                async move { inner.read_part(&id, index, offset, len).await }
            })
            .try_flatten();
        Ok(Box::pin(first.chain(rest)))
    }
}

/// `(part index, offset in the part, length)` of every part a byte range touches.
fn segments(start: u64, end: u64) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let index = pos / PART_SIZE;
        let offset = pos % PART_SIZE;
        let len = (PART_SIZE - offset).min(end - pos);
        out.push((index, offset, len));
        pos += len;
    }
    out
}

/// `(index, expected length)` of every part of a payload of `size` bytes.
pub(crate) fn expected_parts(size: u64) -> impl Iterator<Item = (u64, u64)> {
    (0..part_count(size)).map(move |i| (i, part_len(size, i).unwrap_or(0)))
}

/// How the ciphertext storage is doing, for the operator's console.
#[derive(Clone, Debug)]
pub(crate) struct BlobHealth {
    /// What it is.
    pub(crate) label: String,
    /// Whether a part can be written there now.
    pub(crate) ok: bool,
    /// How it answered.
    pub(crate) detail: String,
    /// Free bytes for unprivileged writers on its filesystem (none for object storage).
    pub(crate) free_bytes: Option<u64>,
}

/// Whether [`Blobs::put_part`] added a part or replaced an earlier copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    /// The part was not there before.
    New,
    /// An earlier copy of the part was replaced (it took the same room).
    Replaced,
}

#[cfg(test)]
pub(crate) mod suite;
