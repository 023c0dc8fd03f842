//! Payload parts on S3-compatible object storage (AWS, MinIO, Garage, Ceph,
//! R2, …) through `object_store`: one object per part, `{prefix}/{id}/{index}`.
//!
//! Why one object per part and not an S3 multipart upload: a part is 8 MiB
//! (protocol §5), so every part is a plain `PUT` that any instance can take,
//! in any order, and send again to resume, with no upload id to keep in the
//! record store and no 5 MiB minimum to respect (the last part of a payload
//! is short); a download maps `Range` onto whole objects. The cost is one
//! object per 8 MiB (256 for a 2 GiB share), a `HEAD` per part on complete
//! and a `LIST` + bulk delete per deletion: cheap next to the bytes.
//!
//! Credentials, region and endpoint come from the standard `AWS_*` variables
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ALLOW_HTTP`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`).

use std::{collections::HashMap, io, sync::Arc, time::Duration, time::SystemTime};

use bytes::Bytes;
use futures_util::{future::BoxFuture, FutureExt, StreamExt, TryStreamExt};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey},
    path::Path,
    BackoffConfig, ClientConfigKey, GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions,
    PutPayload, RetryConfig,
};
use ots_proto::ShareId;

use super::{expected_parts, BlobFuture, BlobHealth, BlobStore, BlobStream, Placed};

/// HEADs or DELETEs in flight at once for one share.
const CONCURRENT_REQUESTS: usize = 8;

/// The parts of every share, as objects in one bucket under one prefix.
#[derive(Clone)]
pub(crate) struct S3Blobs {
    s3: Arc<AmazonS3>,
    bucket: String,
    /// Key prefix without slashes at either end ("" for the bucket's root).
    prefix: String,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Blobs")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl S3Blobs {
    /// `s3://bucket[/prefix]`, with everything else from the `AWS_*` environment.
    pub(crate) fn from_env(url: &str) -> anyhow::Result<Self> {
        Self::with_builder(AmazonS3Builder::from_env(), url)
    }

    /// `s3://bucket[/prefix]` on a builder that holds the endpoint and credentials.
    pub(crate) fn with_builder(builder: AmazonS3Builder, url: &str) -> anyhow::Result<Self> {
        let (bucket, prefix) = parse_url(url)?;
        let s3 = builder
            .with_bucket_name(&bucket)
            // A storage that does not answer fails the request (503) within seconds,
            // rather than holding it for the library's default three minutes.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
            })
            // Set one by one: `with_client_options` would drop what `from_env` read
            // (AWS_ALLOW_HTTP among it).
            .with_config(
                AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                "5s",
            )
            .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "60s")
            .build()?;
        Ok(Self {
            s3: Arc::new(s3),
            bucket,
            prefix,
        })
    }

    fn share_path(&self, id: &ShareId) -> Path {
        if self.prefix.is_empty() {
            Path::from(id.as_str())
        } else {
            Path::from(format!("{}/{}", self.prefix, id.as_str()))
        }
    }

    fn part_path(&self, id: &ShareId, index: u64) -> Path {
        self.share_path(id).join(index.to_string())
    }

    fn root(&self) -> Option<Path> {
        (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()))
    }

    /// The share id and part index of a key under the prefix (none for other keys).
    fn parse_key<'a>(&self, key: &'a str) -> Option<(ShareId, &'a str)> {
        let rest = if self.prefix.is_empty() {
            key
        } else {
            key.strip_prefix(self.prefix.as_str())?.strip_prefix('/')?
        };
        let (id, index) = rest.split_once('/')?;
        index.parse::<u64>().ok()?;
        Some((ShareId::parse(id).ok()?, index))
    }

    async fn put(&self, id: &ShareId, index: u64, data: Bytes) -> io::Result<Placed> {
        let path = self.part_path(id, index);
        let payload = PutPayload::from(data);
        // Create-only first: of two uploads of one part, exactly one is told it placed a new object.
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self.s3.put_opts(&path, payload.clone(), create).await {
            Ok(_) => Ok(Placed::New),
            Err(object_store::Error::AlreadyExists { .. }) => {
                self.s3.put(&path, payload).await.map_err(to_io)?;
                Ok(Placed::Replaced)
            }
            Err(e) => Err(to_io(e)),
        }
    }

    async fn len_of(&self, path: &Path) -> io::Result<Option<u64>> {
        match self.s3.head(path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(to_io(e)),
        }
    }

    async fn missing(&self, id: &ShareId, size: u64) -> io::Result<Vec<u64>> {
        let checks = futures_util::stream::iter(expected_parts(size))
            .map(|(i, want)| {
                let path = self.part_path(id, i);
                async move { Ok::<_, io::Error>((i, self.len_of(&path).await? == Some(want))) }
            })
            .buffered(CONCURRENT_REQUESTS);
        // A PUT that answered is durable on S3: nothing more to do before the share is ready.
        checks
            .try_filter_map(|(i, ok)| async move { Ok((!ok).then_some(i)) })
            .try_collect()
            .await
    }

    async fn delete(&self, id: &ShareId) -> io::Result<u64> {
        let metas: Vec<_> = self
            .s3
            .list(Some(&self.share_path(id)))
            .try_collect()
            .await
            .map_err(to_io)?;
        let bytes = metas.iter().map(|m| m.size).sum();
        futures_util::stream::iter(metas)
            .map(|m| async move {
                match self.s3.delete(&m.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(to_io(e)),
                }
            })
            .buffer_unordered(CONCURRENT_REQUESTS)
            .try_collect::<()>()
            .await?;
        Ok(bytes)
    }

    async fn total_bytes(&self) -> io::Result<u64> {
        let mut total = 0u64;
        let mut list = self.s3.list(self.root().as_ref());
        while let Some(meta) = list.next().await {
            let meta = meta.map_err(to_io)?;
            if self.parse_key(meta.location.as_ref()).is_some() {
                total = total.saturating_add(meta.size);
            }
        }
        Ok(total)
    }

    async fn ids(&self) -> io::Result<Vec<(ShareId, Option<SystemTime>)>> {
        let mut newest: HashMap<ShareId, SystemTime> = HashMap::new();
        let mut list = self.s3.list(self.root().as_ref());
        while let Some(meta) = list.next().await {
            let meta = meta.map_err(to_io)?;
            let Some((id, _)) = self.parse_key(meta.location.as_ref()) else {
                continue;
            };
            let at = SystemTime::from(meta.last_modified);
            let e = newest.entry(id).or_insert(at);
            *e = (*e).max(at);
        }
        Ok(newest.into_iter().map(|(id, at)| (id, Some(at))).collect())
    }

    async fn read(
        &self,
        id: &ShareId,
        index: u64,
        offset: u64,
        len: u64,
    ) -> io::Result<BlobStream> {
        let opts = GetOptions {
            range: Some((offset..offset + len).into()),
            ..Default::default()
        };
        let got = self
            .s3
            .get_opts(&self.part_path(id, index), opts)
            .await
            .map_err(to_io)?;
        Ok(Box::pin(got.into_stream().map_err(to_io)))
    }

    /// Writes and deletes a probe object next to the parts.
    async fn check(&self) -> BlobHealth {
        let label = if self.prefix.is_empty() {
            format!("objects in s3://{}", self.bucket)
        } else {
            format!("objects in s3://{}/{}", self.bucket, self.prefix)
        };
        let probe = match self.root() {
            Some(root) => root.join(".health-probe"),
            None => Path::from(".health-probe"),
        };
        let started = std::time::Instant::now();
        let written = async {
            self.s3
                .put(&probe, Bytes::from_static(b"ok").into())
                .await?;
            self.s3.delete(&probe).await
        }
        .await;
        match written {
            Ok(()) => BlobHealth {
                label,
                ok: true,
                detail: format!("writable ({} ms)", started.elapsed().as_millis()),
                free_bytes: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "object storage is not writable");
                BlobHealth {
                    label,
                    ok: false,
                    detail: "not writable (see the server log)".into(),
                    free_bytes: None,
                }
            }
        }
    }
}

impl BlobStore for S3Blobs {
    fn put_part(&self, id: &ShareId, index: u64, data: Bytes) -> BlobFuture<'_, Placed> {
        let id = id.clone();
        async move { self.put(&id, index, data).await }.boxed()
    }

    fn part_len(&self, id: &ShareId, index: u64) -> BlobFuture<'_, Option<u64>> {
        let path = self.part_path(id, index);
        async move { self.len_of(&path).await }.boxed()
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

    fn health(&self) -> BoxFuture<'_, BlobHealth> {
        self.check().boxed()
    }
}

/// `s3://bucket[/prefix]` → (bucket, prefix without slashes at either end).
fn parse_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| anyhow::anyhow!("an S3 blob URL starts with s3:// (got {url:?})"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    anyhow::ensure!(
        !bucket.is_empty(),
        "s3:// needs a bucket name (s3://bucket/prefix)"
    );
    let prefix = prefix.trim_matches('/');
    if !prefix.is_empty() {
        Path::parse(prefix).map_err(|e| anyhow::anyhow!("bad S3 key prefix {prefix:?}: {e}"))?;
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

/// An object store failure as I/O: a missing object is `NotFound`, anything else `Other`.
fn to_io(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e),
        e => io::Error::other(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_bucket_and_prefix() {
        assert_eq!(parse_url("s3://b").unwrap(), ("b".into(), "".into()));
        assert_eq!(parse_url("s3://b/").unwrap(), ("b".into(), "".into()));
        assert_eq!(
            parse_url("s3://b/ots/parts/").unwrap(),
            ("b".into(), "ots/parts".into())
        );
        assert!(parse_url("s3:///x").is_err());
        assert!(parse_url("http://b/x").is_err());
    }
}
