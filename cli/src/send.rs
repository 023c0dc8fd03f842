//! `ots send`: encrypt a file, several files, standard input or a generated
//! secret as a stream and upload it (protocol §2–5, sender side).
//!
//! The server's settings are read first (`GET /config`, 1.1), and a share
//! it would refuse (size, expiry, downloads, a missing create token) is
//! refused before anything is uploaded.
//!
//! The create request needs the payload size up front. A regular file's size
//! comes from its metadata and the file is encrypted straight into 8 MiB
//! parts while earlier parts upload. Everything else has no size until it is
//! read: standard input (and pipes, FIFOs) and the ZIP archive of several
//! files are encrypted into memory up to 1 MiB of payload and, past that,
//! into an anonymous temporary file (ciphertext only, unlinked at once),
//! then uploaded from there. Plaintext never touches the disk.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use ots_crypto::{
    payload_size, seal_meta, ContentKeys, KdfParams, LinkKeys, LinkSecret, ManageLink, Meta,
    PasswordKey, PayloadKey, ShareId, ShareLink, StreamEncryptor, Token, Verifier,
};
use ots_proto::{CreateRequest, Fixed, Opaque, INLINE_MAX_BYTES, PART_SIZE};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::api::{Api, CreateToken};
use crate::archive::Plan;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::names::mime_for;
use crate::progress::Progress;

/// Plaintext bytes read from the source at a time.
const READ_SIZE: usize = 1024 * 1024;
/// Parts uploading at once; with one more being encrypted and one queued,
/// at most four part buffers (about 37 MiB) are in memory.
const UPLOADS_IN_FLIGHT: usize = 2;

/// Where the plaintext comes from.
#[derive(Debug)]
pub enum Input {
    /// A path (a regular file is sized up front; anything else is a stream).
    Path(PathBuf),
    /// Several files and folders, sent as one ZIP archive.
    Archive(Vec<PathBuf>),
    /// Standard input.
    Stdin,
    /// A text already in memory (a generated secret).
    Text(Zeroizing<String>),
}

/// What the share is announced as in its sealed meta.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A text, shown in the recipient's page.
    Text,
    /// A file with this name, saved by the recipient (for an archive: its name).
    File(String),
}

/// Everything `ots send` needs to know.
pub struct SendRequest {
    /// The plaintext.
    pub input: Input,
    /// Text or file (`None`: a file named after the path, or a text for stdin).
    pub kind: Option<Kind>,
    /// Seconds until expiry (`None`: the server's default).
    pub expires_in: Option<u32>,
    /// Claims allowed.
    pub max_downloads: u32,
    /// The password, if the share has one.
    pub password: Option<Zeroizing<String>>,
    /// The create token, for a server that wants one.
    pub token: Option<CreateToken>,
}

/// The links of a share that was sent.
pub struct Sent {
    /// Give this to the recipient.
    pub share: ShareLink,
    /// Keep this to see the status and revoke.
    pub manage: ManageLink,
    /// RFC 3339.
    pub expires_at: String,
}

/// A source of plaintext.
enum Source {
    /// A regular file of known size.
    Sized { file: File, size: u64 },
    /// Anything read to its end.
    Stream(Box<dyn Read + Send>),
    /// Files and folders to archive.
    Archive(Plan),
}

/// Encrypts and uploads as `request` says, against `api`'s server.
pub async fn send(api: &Api, request: SendRequest) -> Result<Sent> {
    let limits = Limits::fetch(api).await?;
    if limits.token_required && request.token.is_none() {
        return Err(Error::TokenRequired);
    }
    let expires_in = limits.expiry(request.expires_in)?;
    let max_downloads = limits.downloads(request.max_downloads)?;
    let (source, kind) = open_source(request.input, request.kind)?;
    let what = match &kind {
        Kind::Text => "the text".to_owned(),
        Kind::File(name) => name.clone(),
    };

    let secret = LinkSecret::generate()?;
    let link_keys = LinkKeys::derive(&secret);
    let (kdf, content_keys) = derive_content_keys(&secret, request.password).await?;

    let mut files = None;
    let (plain_size, payload) = match source {
        Source::Sized { file, size } => {
            limits.payload(payload_size(size), &what)?;
            (size, Payload::Live { file })
        }
        Source::Stream(reader) => {
            let spooler = Spooler::new(content_keys.payload_key(), limits.max_payload());
            let spooled = tokio::task::spawn_blocking(move || spool_stream(reader, spooler))
                .await
                .map_err(|_| Error::Internal("the encrypting thread stopped"))?;
            let (size, spool) = over_limit(spooled, &limits, &what)?;
            (size, Payload::Spooled(spool))
        }
        Source::Archive(plan) => {
            for note in &plan.notes {
                eprintln!("ots: {note}");
            }
            let spooler = Spooler::new(content_keys.payload_key(), limits.max_payload());
            let progress = Progress::new(plan.total_bytes(), "packing");
            let runtime = tokio::runtime::Handle::current();
            let packed = tokio::task::spawn_blocking(move || {
                let (spooler, listed) = crate::archive::write(&plan, spooler, &runtime, &progress)?;
                progress.clear();
                Ok::<_, Error>((spooler.finish()?, listed))
            })
            .await
            .map_err(|_| Error::Internal("the archiving thread stopped"))?;
            let ((size, spool), listed) = match packed {
                Ok(packed) => packed,
                Err(err) if is_over_limit(&err) => return Err(limits.too_large(&what)),
                Err(err) => return Err(err),
            };
            files = Some(listed);
            (size, Payload::Spooled(spool))
        }
    };
    if plain_size == 0 && matches!(kind, Kind::Text) {
        return Err(Error::Usage("nothing to send: the input is empty".into()));
    }
    let payload_len = payload_size(plain_size);

    let meta = match (&kind, files) {
        (Kind::File(name), Some(files)) => {
            let total = files.len();
            let (meta, left_out) = Meta::files_fitting(name.clone(), plain_size, files);
            if left_out > 0 {
                eprintln!(
                    "ots: the share's sealed list names the first {} of {total} files (it holds at most 4 KiB); the archive holds them all",
                    total - left_out
                );
            }
            meta
        }
        (Kind::Text, _) => Meta::text(plain_size),
        (Kind::File(name), None) => Meta::file(name.clone(), mime_for(name), plain_size),
    };
    let sealed_meta = seal_meta(content_keys.meta_key(), &meta)?;

    let mut create = CreateRequest {
        size: payload_len,
        expires_in,
        max_downloads,
        link_verifier: Fixed(link_keys.link_token().verifier()),
        claim_verifier: Fixed(content_keys.claim_token().verifier()),
        meta: Opaque(sealed_meta),
        kdf,
        payload: None,
    };
    let token = request.token.as_ref();

    let created = if payload_len <= INLINE_MAX_BYTES {
        let bytes = match payload {
            Payload::Live { file } => {
                let key = content_keys.payload_key().clone();
                tokio::task::spawn_blocking(move || encrypt_small(file, plain_size, &key))
                    .await
                    .map_err(|_| Error::Internal("the encrypting thread stopped"))??
            }
            Payload::Spooled(Spool::Memory(bytes)) => bytes,
            Payload::Spooled(Spool::File(..)) => {
                return Err(Error::Internal("a small payload was spooled to disk"))
            }
        };
        create.payload = Some(Opaque(bytes));
        api.create(&create, token).await?
    } else {
        let created = api.create(&create, token).await?;
        let upload = created
            .upload_token
            .as_ref()
            .ok_or_else(|| Error::protocol(crate::error::Step::Create, "no upload token"))?;
        let progress = Progress::new(payload_len, "sending");
        let (tx, rx) = mpsc::channel(1);
        // Uploaded part buffers go back to the producer: a fixed set of 8 MiB
        // buffers instead of fresh ones, which the allocator would scatter.
        let (recycle, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        // The producer sends its own failure down the channel, and stops when
        // the uploader fails and drops the receiver.
        let producer = match payload {
            Payload::Live { file } => {
                let key = content_keys.payload_key().clone();
                tokio::task::spawn_blocking(move || {
                    produce(&tx, |tx| {
                        encrypt_into_parts(file, plain_size, &key, tx, &recycled)
                    })
                })
            }
            Payload::Spooled(spool) => tokio::task::spawn_blocking(move || {
                produce(&tx, |tx| spool_into_parts(spool, tx, &recycled))
            }),
        };
        let uploaded = upload_parts(api, &created.id, upload, rx, &recycle, &progress).await;
        let _ = producer.await;
        uploaded?;
        api.complete(&created.id, upload).await?;
        progress.clear();
        created
    };

    Ok(Sent {
        share: ShareLink {
            origin: api.origin().to_owned(),
            id: created.id.clone(),
            secret,
        },
        manage: ManageLink {
            origin: api.origin().to_owned(),
            id: created.id,
            token: created.manage_token,
        },
        expires_at: created.expires_at,
    })
}

/// The payload, not yet encrypted (a sized file) or already (a spooled stream).
enum Payload {
    Live { file: File },
    Spooled(Spool),
}

/// The ciphertext of a stream: in memory while it is small, else in an
/// anonymous temporary file.
enum Spool {
    Memory(Vec<u8>),
    File(File, u64),
}

fn open_source(input: Input, kind: Option<Kind>) -> Result<(Source, Kind)> {
    match input {
        Input::Stdin => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!("Type or paste the secret, then press Ctrl-D on a new line:");
            }
            Ok((
                Source::Stream(Box::new(std::io::stdin())),
                kind.unwrap_or(Kind::Text),
            ))
        }
        Input::Text(text) => Ok((
            Source::Stream(Box::new(std::io::Cursor::new(text))),
            Kind::Text,
        )),
        Input::Archive(paths) => {
            let name = match kind {
                Some(Kind::File(name)) => Some(name),
                _ => None,
            };
            let plan = Plan::new(&paths, name.as_deref())?;
            let kind = Kind::File(plan.name.clone());
            Ok((Source::Archive(plan), kind))
        }
        Input::Path(path) => {
            let what = || format!("reading {}", path.display());
            let file = File::open(&path).map_err(Error::io(what()))?;
            let metadata = file.metadata().map_err(Error::io(what()))?;
            if metadata.is_dir() {
                // A folder alone is sent as an archive of it.
                return open_source(Input::Archive(vec![path]), kind);
            }
            let kind = kind.unwrap_or_else(|| {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Kind::File(name)
            });
            let source = if metadata.is_file() {
                Source::Sized {
                    file,
                    size: metadata.len(),
                }
            } else {
                // A FIFO, a character device, a process substitution.
                Source::Stream(Box::new(file))
            };
            Ok((source, kind))
        }
    }
}

/// The KDF parameters to announce and the content keys (Argon2id runs on a
/// blocking thread: it takes a noticeable fraction of a second).
async fn derive_content_keys(
    secret: &LinkSecret,
    password: Option<Zeroizing<String>>,
) -> Result<(Option<KdfParams>, ContentKeys)> {
    match password {
        None => Ok((None, ContentKeys::derive(secret, None))),
        Some(password) => {
            let secret = secret.clone();
            tokio::task::spawn_blocking(move || {
                let kdf = KdfParams::DEFAULT;
                let pw_key = PasswordKey::derive(&secret, &password, &kdf)?;
                Ok((Some(kdf), ContentKeys::derive(&secret, Some(&pw_key))))
            })
            .await
            .map_err(|_| Error::Internal("the key derivation thread stopped"))?
        }
    }
}

/// Reads `reader` to its end, `READ_SIZE` at a time, into a wiped buffer;
/// calls `each` with every slice read. Returns the bytes read.
fn read_all(
    mut reader: impl Read,
    what: &str,
    mut each: impl FnMut(&[u8]) -> Result<()>,
) -> Result<u64> {
    let mut buf = Zeroizing::new(vec![0u8; READ_SIZE]);
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(what.to_owned())(e)),
        };
        total += n as u64;
        each(&buf[..n])?;
    }
}

fn changed_size() -> Error {
    Error::Io {
        what: "reading the file".into(),
        source: std::io::Error::other("it changed size while it was being sent"),
    }
}

/// The whole payload of a small file.
fn encrypt_small(file: File, size: u64, key: &PayloadKey) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(payload_size(size) as usize);
    let mut enc = StreamEncryptor::new(key);
    let read = read_all(file.take(size + 1), "reading the file", |chunk| {
        enc.push(chunk, &mut out);
        Ok(())
    })?;
    if read != size {
        return Err(changed_size());
    }
    enc.finish(&mut out);
    Ok(out)
}

/// Encrypts a sized file into parts of exactly [`PART_SIZE`] bytes (the last
/// may be shorter) and hands them to the uploader in order.
fn encrypt_into_parts(
    file: File,
    size: u64,
    key: &PayloadKey,
    tx: &mpsc::Sender<Result<Bytes>>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<()> {
    let mut parts = PartCutter::new(tx, recycled);
    let mut enc = StreamEncryptor::new(key);
    let read = read_all(file.take(size + 1), "reading the file", |chunk| {
        enc.push(chunk, parts.buffer());
        parts.send_full()
    });
    if read? != size {
        return Err(changed_size());
    }
    enc.finish(parts.buffer());
    parts.send_rest()
}

/// Runs a part producer; its failure goes to the uploader as the next item.
fn produce(
    tx: &mpsc::Sender<Result<Bytes>>,
    run: impl FnOnce(&mpsc::Sender<Result<Bytes>>) -> Result<()>,
) {
    if let Err(err) = run(tx) {
        let _ = tx.blocking_send(Err(err));
    }
}

/// Cuts a stream of ciphertext into parts.
struct PartCutter<'a> {
    tx: &'a mpsc::Sender<Result<Bytes>>,
    recycled: &'a std::sync::mpsc::Receiver<Vec<u8>>,
    buffer: Vec<u8>,
    tail: Vec<u8>,
}

impl<'a> PartCutter<'a> {
    /// Room for a part and one more read's ciphertext, so no push reallocates.
    const CAPACITY: usize = PART_SIZE as usize + READ_SIZE + READ_SIZE / 8;

    fn new(
        tx: &'a mpsc::Sender<Result<Bytes>>,
        recycled: &'a std::sync::mpsc::Receiver<Vec<u8>>,
    ) -> Self {
        Self {
            tx,
            recycled,
            buffer: Vec::with_capacity(Self::CAPACITY),
            tail: Vec::with_capacity(Self::CAPACITY - PART_SIZE as usize),
        }
    }

    /// An empty buffer: an uploaded one if there is one, else a new one.
    fn fresh_buffer(&self) -> Vec<u8> {
        match self.recycled.try_recv() {
            Ok(mut buffer) if buffer.capacity() >= Self::CAPACITY => {
                buffer.clear();
                buffer
            }
            _ => Vec::with_capacity(Self::CAPACITY),
        }
    }

    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    /// Sends every full part in the buffer.
    fn send_full(&mut self) -> Result<()> {
        while self.buffer.len() >= PART_SIZE as usize {
            // The tail (at most one read's ciphertext) waits in a small
            // buffer, so no second 8 MiB buffer is held while sending blocks.
            self.tail.clear();
            self.tail
                .extend_from_slice(&self.buffer[PART_SIZE as usize..]);
            self.buffer.truncate(PART_SIZE as usize);
            let part = std::mem::take(&mut self.buffer);
            self.send(Ok(Bytes::from(part)))?;
            self.buffer = self.fresh_buffer();
            self.buffer.extend_from_slice(&self.tail);
        }
        Ok(())
    }

    /// Sends the full parts and the last, shorter one.
    fn send_rest(mut self) -> Result<()> {
        self.send_full()?;
        if !self.buffer.is_empty() {
            let last = std::mem::take(&mut self.buffer);
            self.send(Ok(Bytes::from(last)))?;
        }
        Ok(())
    }

    fn send(&self, part: Result<Bytes>) -> Result<()> {
        // A closed channel means the uploader failed; its error is reported.
        self.tx.blocking_send(part).map_err(|_| Error::Interrupted)
    }
}

/// Encrypts everything written to it as one STREAM payload and keeps the
/// ciphertext: in memory while it can still travel inline, else in an
/// anonymous temporary file. Refuses to grow past the server's limit.
struct Spooler {
    enc: StreamEncryptor,
    out: Vec<u8>,
    file: Option<File>,
    spooled: u64,
    plain: u64,
    max_payload: u64,
}

/// The error a [`Spooler`] write fails with past the server's size limit.
#[derive(Debug)]
struct OverLimit;

impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("over the server's size limit")
    }
}

impl std::error::Error for OverLimit {}

/// Whether `err` is a [`Spooler`] refusing to grow past the limit.
fn is_over_limit(err: &Error) -> bool {
    matches!(err, Error::Io { source, .. }
        if source.get_ref().is_some_and(|inner| inner.is::<OverLimit>()))
}

/// A spooled stream, or the server's "too large" when it passed the limit.
fn over_limit(spooled: Result<(u64, Spool)>, limits: &Limits, what: &str) -> Result<(u64, Spool)> {
    match spooled {
        Err(err) if is_over_limit(&err) => Err(limits.too_large(what)),
        other => other,
    }
}

impl Spooler {
    fn new(key: &PayloadKey, max_payload: u64) -> Self {
        Self {
            enc: StreamEncryptor::new(key),
            out: Vec::with_capacity(READ_SIZE * 2),
            file: None,
            spooled: 0,
            plain: 0,
            max_payload,
        }
    }

    /// Moves the ciphertext so far to the temporary file once it is too
    /// large to travel inline (or when `force`).
    fn flush_out(&mut self, force: bool) -> std::io::Result<()> {
        if (self.out.len() as u64) <= INLINE_MAX_BYTES && !force {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            none => none.insert(tempfile::tempfile()?),
        };
        file.write_all(&self.out)?;
        self.spooled += self.out.len() as u64;
        self.out.clear();
        Ok(())
    }

    /// The plaintext size and the whole ciphertext.
    fn finish(self) -> Result<(u64, Spool)> {
        let Self {
            enc,
            mut out,
            file,
            spooled,
            plain,
            ..
        } = self;
        enc.finish(&mut out);
        if file.is_none() && (out.len() as u64) <= INLINE_MAX_BYTES {
            return Ok((plain, Spool::Memory(out)));
        }
        // Also when the final record pushed a small stream just over the
        // inline limit.
        let write = |file: Option<File>| -> std::io::Result<File> {
            let mut file = match file {
                Some(file) => file,
                None => tempfile::tempfile()?,
            };
            file.write_all(&out)?;
            Ok(file)
        };
        let file = write(file).map_err(Error::io("writing a temporary file"))?;
        Ok((plain, Spool::File(file, spooled + out.len() as u64)))
    }
}

impl Write for Spooler {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let plain = self.plain + buf.len() as u64;
        if payload_size(plain) > self.max_payload {
            return Err(std::io::Error::other(OverLimit));
        }
        self.plain = plain;
        self.enc.push(buf, &mut self.out);
        self.flush_out(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Encrypts a stream of unknown length into a [`Spool`]. Returns the
/// plaintext size.
fn spool_stream(reader: Box<dyn Read + Send>, mut spooler: Spooler) -> Result<(u64, Spool)> {
    read_all(reader, "reading standard input", |chunk| {
        spooler
            .write_all(chunk)
            .map_err(Error::io("writing a temporary file"))
    })?;
    spooler.finish()
}

/// Reads a spooled payload back as parts.
fn spool_into_parts(
    spool: Spool,
    tx: &mpsc::Sender<Result<Bytes>>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<()> {
    let (mut file, len) = match spool {
        Spool::File(file, len) => (file, len),
        Spool::Memory(bytes) => {
            for part in bytes.chunks(PART_SIZE as usize) {
                let _ = tx.blocking_send(Ok(Bytes::copy_from_slice(part)));
            }
            return Ok(());
        }
    };
    file.seek(SeekFrom::Start(0))
        .map_err(Error::io("reading a temporary file"))?;
    let mut left = len;
    while left > 0 {
        let n = left.min(PART_SIZE) as usize;
        let mut part = recycled.try_recv().unwrap_or_default();
        part.resize(n, 0);
        file.read_exact(&mut part)
            .map_err(Error::io("reading a temporary file"))?;
        left -= n as u64;
        if tx.blocking_send(Ok(Bytes::from(part))).is_err() {
            break;
        }
    }
    Ok(())
}

/// Uploads the parts arriving on `rx` in order, a few at once.
async fn upload_parts(
    api: &Api,
    id: &ShareId,
    upload: &Token,
    rx: mpsc::Receiver<Result<Bytes>>,
    recycle: &std::sync::mpsc::Sender<Vec<u8>>,
    progress: &Progress,
) -> Result<()> {
    let parts =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) });
    parts
        .enumerate()
        .map(|(index, part)| async move {
            let part = part?;
            let len = part.len() as u64;
            api.put_part(id, upload, index as u64, &part).await?;
            progress.advance(len);
            // The request is done with it; hand the buffer back if it is ours alone.
            if let Ok(buffer) = part.try_into_mut() {
                let _ = recycle.send(buffer.into());
            }
            Ok::<(), Error>(())
        })
        .buffer_unordered(UPLOADS_IN_FLIGHT)
        .try_collect::<()>()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PayloadKey {
        PayloadKey::from_bytes([7; 32])
    }

    fn collect(mut rx: mpsc::Receiver<Result<Bytes>>) -> Vec<Bytes> {
        let mut parts = Vec::new();
        while let Some(part) = rx.blocking_recv() {
            parts.push(part.unwrap());
        }
        parts
    }

    #[test]
    fn parts_are_full_size_but_the_last_and_decrypt_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let plain: Vec<u8> = (0..(PART_SIZE as usize * 2 + 12345))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &plain).unwrap();
        let (tx, rx) = mpsc::channel(64);
        let file = File::open(&path).unwrap();
        let (_recycle, recycled) = std::sync::mpsc::channel();
        encrypt_into_parts(file, plain.len() as u64, &key(), &tx, &recycled).unwrap();
        drop(tx);
        let parts = collect(rx);
        let total: usize = parts.iter().map(|p| p.len()).sum();
        assert_eq!(total as u64, payload_size(plain.len() as u64));
        for part in &parts[..parts.len() - 1] {
            assert_eq!(part.len() as u64, PART_SIZE);
        }
        let payload: Vec<u8> = parts.concat();
        assert_eq!(ots_crypto::open_payload(&key(), &payload).unwrap(), plain);
    }

    #[test]
    fn a_file_that_grows_while_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; 5000]).unwrap();
        let (tx, _rx) = mpsc::channel(64);
        let file = File::open(&path).unwrap();
        let (_recycle, recycled) = std::sync::mpsc::channel();
        assert!(encrypt_into_parts(file, 4000, &key(), &tx, &recycled).is_err());
    }

    #[test]
    fn small_stream_stays_in_memory_and_large_one_spools() {
        let small = vec![3u8; 1000];
        let (size, spool) = spool_stream(
            Box::new(std::io::Cursor::new(small.clone())),
            Spooler::new(&key(), u64::MAX),
        )
        .unwrap();
        assert_eq!(size, 1000);
        match spool {
            Spool::Memory(bytes) => {
                assert_eq!(ots_crypto::open_payload(&key(), &bytes).unwrap(), small)
            }
            Spool::File(..) => panic!("a small stream went to disk"),
        }

        let large: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 13) as u8).collect();
        let (size, spool) = spool_stream(
            Box::new(std::io::Cursor::new(large.clone())),
            Spooler::new(&key(), u64::MAX),
        )
        .unwrap();
        assert_eq!(size, large.len() as u64);
        let (tx, rx) = mpsc::channel(64);
        match spool {
            Spool::File(_, len) => assert_eq!(len, payload_size(size)),
            Spool::Memory(_) => panic!("a large stream stayed in memory"),
        }
        let (_, spool) = spool_stream(
            Box::new(std::io::Cursor::new(large.clone())),
            Spooler::new(&key(), u64::MAX),
        )
        .unwrap();
        let (_recycle, recycled) = std::sync::mpsc::channel();
        spool_into_parts(spool, &tx, &recycled).unwrap();
        drop(tx);
        let payload = collect(rx).concat();
        assert_eq!(ots_crypto::open_payload(&key(), &payload).unwrap(), large);
    }

    #[test]
    fn stream_just_over_the_inline_limit_spools() {
        // Payload of exactly INLINE_MAX_BYTES + 1 bytes after the final record.
        let records = INLINE_MAX_BYTES / ots_crypto::RECORD_SIZE as u64;
        let plain_len = (INLINE_MAX_BYTES + 1) - (records + 1) * 16;
        let plain = vec![9u8; plain_len as usize];
        let (size, spool) = spool_stream(
            Box::new(std::io::Cursor::new(plain)),
            Spooler::new(&key(), u64::MAX),
        )
        .unwrap();
        assert_eq!(payload_size(size), INLINE_MAX_BYTES + 1);
        assert!(matches!(spool, Spool::File(_, len) if len == INLINE_MAX_BYTES + 1));
    }
}
