//! `ots get`: info, password, claim, download and decrypt a share as a
//! stream (protocol §2–5, recipient side).
//!
//! A file is written to a temporary file beside its target, flushed to disk
//! and renamed into place only after the final record authenticated (then
//! its folder is synced); on any failure the temporary file is removed. A
//! share of several files is a ZIP archive: saved as it is, or with
//! `--extract` unpacked once it authenticated (see `extract`). Output to
//! stdout is held in memory until it authenticated when it is at most
//! [`HOLD_MAX`] bytes; a larger one is streamed, and a failure then exits 5
//! after part of it was written.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ots_crypto::{
    open_meta, payload_size, plaintext_size, ContentKeys, LinkKeys, Meta, MetaKind, PasswordKey,
    ShareLink, StreamDecryptor, Token,
};
use ots_proto::{archive_file_name, safe_file_name, Claimed, FileEntry, REQUEST_ID_SIZE};
use reqwest::StatusCode;
use tempfile::NamedTempFile;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::api::Api;
use crate::error::{Error, Result, Step};
use crate::extract::{self, Extracted, Refusal};
use crate::names::numbered;
use crate::password::PasswordSource;
use crate::progress::Progress;

/// Largest plaintext written to stdout only once it authenticated.
pub const HOLD_MAX: u64 = 16 * 1024 * 1024;
/// Broken downloads resumed in a row without progress before giving up.
const MAX_RESUMES: u32 = 5;
/// Pause before resuming a broken download; doubled each time.
const RESUME_PAUSE: Duration = Duration::from_millis(300);
/// Downloaded chunks queued for the decrypting thread.
const QUEUE_CHUNKS: usize = 16;
/// Numbered alternatives tried when a sealed file name is taken.
const MAX_NUMBERED: u32 = 999;

/// Where the plaintext goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// Texts to stdout, files to their sealed name in the current directory.
    Default,
    /// `-o -`.
    Stdout,
    /// `-o PATH`: that file, or the sealed name inside that directory.
    Path(PathBuf),
    /// `--extract DIR`: a share of several files unpacked into DIR (created
    /// if missing); any other share saved into DIR under its sealed name.
    Extract(PathBuf),
}

/// Everything `ots get` needs to know.
pub struct GetRequest {
    /// The share link.
    pub link: ShareLink,
    /// Where the plaintext goes.
    pub output: Output,
    /// Overwrite an existing file.
    pub force: bool,
    /// Where a password comes from, if the share needs one.
    pub password: PasswordSource,
}

/// Where the plaintext went, and how many downloads the share has left.
pub struct Received {
    /// `None` for stdout, else the file saved.
    pub saved: Option<PathBuf>,
    /// With `--extract`: the folder and what went into it.
    pub extracted: Option<(PathBuf, Extracted)>,
    /// For a share of several files: the list its sealed meta gives.
    pub files: Option<Vec<FileEntry>>,
    /// Claims left after this one.
    pub downloads_left: u32,
}

/// Resolved before the claim, so that a refusal costs no download.
enum Target {
    /// Stdout.
    Stdout,
    /// Exactly this path.
    Exact(PathBuf),
    /// The sealed name, made safe, in this directory.
    InDir(PathBuf),
    /// Stdout for a text, else the sealed name in the current directory.
    ByKind,
    /// Unpack into this folder.
    Extract(PathBuf),
}

/// Downloads and decrypts the share `request.link` names.
pub async fn get(api: &Api, request: GetRequest) -> Result<Received> {
    let target = resolve_target(&request.output, request.force)?;
    // A folder made for --extract goes again if nothing could be put in it.
    let made = match &target {
        Target::Extract(dir) if !dir.exists() => {
            std::fs::create_dir_all(dir)
                .map_err(Error::io(format!("creating {}", dir.display())))?;
            Some(dir.clone())
        }
        _ => None,
    };
    let result = receive(api, &request, target).await;
    if let (Err(_), Some(dir)) = (&result, made) {
        let _ = std::fs::remove_dir(dir);
    }
    result
}

async fn receive(api: &Api, request: &GetRequest, target: Target) -> Result<Received> {
    let link = &request.link;

    let info = api.info(&link.id).await?;
    if plaintext_size(info.size).is_none() {
        return Err(Error::Damaged);
    }
    let link_keys = LinkKeys::derive(&link.secret);

    let (claimed, keys) = loop {
        let keys = match info.kdf {
            None => ContentKeys::derive(&link.secret, None),
            Some(kdf) => {
                // Refuse absurd parameters before anything is allocated.
                kdf.validate()
                    .map_err(|e| Error::protocol(Step::Info, e.to_string()))?;
                let password = request.password.read("Password: ", false)?;
                let secret = link.secret.clone();
                tokio::task::spawn_blocking(move || {
                    PasswordKey::derive(&secret, &password, &kdf)
                        .map(|pw| ContentKeys::derive(&secret, Some(&pw)))
                })
                .await
                .map_err(|_| Error::Internal("the key derivation thread stopped"))??
            }
        };
        let mut request_id = [0u8; REQUEST_ID_SIZE];
        getrandom::fill(&mut request_id).map_err(|_| Error::Crypto(ots_crypto::Error::Random))?;
        match api
            .claim(
                &link.id,
                link_keys.link_token(),
                keys.claim_token(),
                request_id,
            )
            .await
        {
            Ok(claimed) => break (claimed, keys),
            Err(err @ Error::BadPassword { attempts_left })
                if attempts_left > 0 && request.password.is_interactive() =>
            {
                eprintln!("ots: {err}");
            }
            Err(err) => return Err(err),
        }
    };

    let meta = open_meta(keys.meta_key(), &claimed.meta.0)?;
    let expected = payload_size(meta.size);
    if claimed.size != expected || info.size != expected {
        return Err(Error::Damaged);
    }

    let (sink, destination) = open_sink(target, &meta, request.force)?;
    let progress = Progress::new(expected, "receiving");
    let finished = download(api, link, &claimed, &keys, sink, &progress).await?;
    progress.clear();

    let mut received = Received {
        saved: None,
        extracted: None,
        files: (meta.kind == MetaKind::Files).then(|| meta.files.clone()),
        downloads_left: claimed.downloads_left,
    };
    match (finished, destination) {
        (Sink::Memory(plain), _) => write_stdout(&plain)?,
        (Sink::Stdout, _) => {}
        (Sink::File(tmp), Destination::File(path)) => {
            received.saved = Some(persist(tmp, &path, request.force)?);
        }
        (Sink::File(tmp), Destination::Extract { dir, archive }) => {
            let done = extract_archive(tmp, &dir, &archive, request.force).await?;
            received.extracted = Some((dir, done));
        }
        (Sink::File(_), Destination::Stdout) => {
            return Err(Error::Internal("a file without a destination"))
        }
    }
    // The whole plaintext is here: let the server drop the ciphertext now.
    if let Err(Error::Gone { reason }) = api.release(&link.id, &claimed.ticket).await {
        // What was saved is complete; the share ended meanwhile.
        eprintln!(
            "ots: note: {} (after the download completed)",
            Error::Gone { reason }
        );
    }
    Ok(received)
}

/// Unpacks the authenticated archive `tmp` into `dir`. When the archive is
/// refused, nothing is extracted and the archive itself is kept as
/// `archive` (numbered if taken): the share is spent, its content is not lost.
async fn extract_archive(
    tmp: NamedTempFile,
    dir: &Path,
    archive: &Path,
    force: bool,
) -> Result<Extracted> {
    /// Stops the extracting thread when `ots` is interrupted.
    struct CancelOnDrop(Arc<AtomicBool>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let guard = CancelOnDrop(cancel.clone());
    let runtime = tokio::runtime::Handle::current();
    let (path, into) = (tmp.path().to_owned(), dir.to_owned());
    let outcome = tokio::task::spawn_blocking(move || {
        extract::extract(&path, &into, force, &cancel, &runtime)
    })
    .await
    .map_err(|_| Error::Internal("the extracting thread stopped"))?;
    drop(guard);
    let keep = |tmp: NamedTempFile| persist(tmp, archive, false).ok();
    match outcome {
        Ok(done) => Ok(done),
        Err(Refusal::Unsafe(why)) => Err(Error::UnsafeArchive {
            why,
            kept: keep(tmp),
        }),
        Err(Refusal::Conflict(what)) => Err(Error::ExtractConflict {
            what,
            kept: keep(tmp),
        }),
        Err(Refusal::Failed(err)) => Err(err),
    }
}

fn resolve_target(output: &Output, force: bool) -> Result<Target> {
    Ok(match output {
        Output::Default => Target::ByKind,
        Output::Stdout => Target::Stdout,
        Output::Extract(dir) => {
            if std::fs::symlink_metadata(dir).is_ok() && !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "{} is not a folder to extract into",
                    dir.display()
                )));
            }
            Target::Extract(dir.clone())
        }
        Output::Path(path) if path.is_dir() => Target::InDir(path.clone()),
        Output::Path(path) => {
            if !force && std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::Exists(path.clone()));
            }
            Target::Exact(path.clone())
        }
    })
}

/// Where decrypted bytes go while the download runs.
enum Sink {
    /// Held until authenticated, then written to stdout.
    Memory(Zeroizing<Vec<u8>>),
    /// Streamed to stdout (too large to hold).
    Stdout,
    /// A temporary file beside the destination.
    File(NamedTempFile),
}

/// Where the authenticated plaintext goes at the end.
enum Destination {
    /// Already written (stdout).
    Stdout,
    /// Renamed into this path.
    File(PathBuf),
    /// Unpacked into `dir`; the archive is kept as `archive` if refused.
    Extract { dir: PathBuf, archive: PathBuf },
}

fn open_sink(target: Target, meta: &Meta, force: bool) -> Result<(Sink, Destination)> {
    let to_stdout = || {
        if meta.size <= HOLD_MAX {
            Sink::Memory(Zeroizing::new(Vec::with_capacity(meta.size as usize)))
        } else {
            Sink::Stdout
        }
    };
    let sealed_name = || sealed_file_name(meta);
    let path = match target {
        Target::Stdout => return Ok((to_stdout(), Destination::Stdout)),
        Target::ByKind if meta.kind == MetaKind::Text => {
            return Ok((to_stdout(), Destination::Stdout))
        }
        Target::ByKind => free_path(PathBuf::from(sealed_name()), force)?,
        Target::InDir(dir) => free_path(dir.join(sealed_name()), force)?,
        Target::Exact(path) => path,
        Target::Extract(dir) if meta.kind == MetaKind::Files => {
            let tmp = temp_file_in(&dir)?;
            let archive = dir.join(sealed_name());
            return Ok((Sink::File(tmp), Destination::Extract { dir, archive }));
        }
        // Not an archive of several files: saved into the folder as it is.
        Target::Extract(dir) => free_path(dir.join(sealed_name()), force)?,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((Sink::File(temp_file_in(&dir)?), Destination::File(path)))
}

/// The sealed name made safe to save under (protocol §3: untrusted); an
/// archive of several files always ends with `.zip`.
fn sealed_file_name(meta: &Meta) -> String {
    match meta.kind {
        MetaKind::Text => "ots-text.txt".to_owned(),
        MetaKind::File => safe_file_name(&meta.name),
        MetaKind::Files => archive_file_name(&meta.name),
    }
}

/// A private temporary file (`.ots-*.partial`, mode 0600) in `dir`.
fn temp_file_in(dir: &Path) -> Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".ots-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(Error::io(format!("creating a file in {}", dir.display())))
}

/// `path`, or the first free `path (n)` when it is taken and `force` is off.
fn free_path(path: PathBuf, force: bool) -> Result<PathBuf> {
    if force || std::fs::symlink_metadata(&path).is_err() {
        return Ok(path);
    }
    (1..=MAX_NUMBERED)
        .map(|n| numbered(&path, n))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .ok_or(Error::Exists(path))
}

/// Renames the authenticated temporary file into place. Without `force` an
/// existing file is never replaced: a name taken meanwhile gets a number.
fn persist(tmp: NamedTempFile, path: &Path, force: bool) -> Result<PathBuf> {
    // On disk before the name points at it: a crash never leaves a saved
    // name over a file that is not all there.
    tmp.as_file()
        .sync_all()
        .map_err(Error::io(format!("saving {}", path.display())))?;
    let saved = rename_into_place(tmp, path, force)?;
    if let Some(dir) = saved.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        extract::sync_dir(dir);
    }
    Ok(saved)
}

fn rename_into_place(tmp: NamedTempFile, path: &Path, force: bool) -> Result<PathBuf> {
    if force {
        tmp.persist(path)
            .map_err(|e| Error::io(format!("saving {}", path.display()))(e.error))?;
        return Ok(path.to_owned());
    }
    let mut tmp = tmp;
    let mut candidate = path.to_owned();
    for n in 1..=MAX_NUMBERED + 1 {
        match tmp.persist_noclobber(&candidate) {
            Ok(_) => return Ok(candidate),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                tmp = e.file;
                candidate = numbered(path, n);
            }
            Err(e) => {
                return Err(Error::io(format!("saving {}", candidate.display()))(
                    e.error,
                ))
            }
        }
    }
    Err(Error::Exists(path.to_owned()))
}

fn write_stdout(plain: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(plain)
        .map_err(Error::io("writing to stdout"))?;
    if out.is_terminal() && !plain.ends_with(b"\n") {
        out.write_all(b"\n")
            .map_err(Error::io("writing to stdout"))?;
    }
    out.flush().map_err(Error::io("writing to stdout"))
}

/// A message to the decrypting thread.
enum Piece {
    /// The next bytes of the payload.
    Bytes(Bytes),
    /// The download reached the payload's size.
    End,
}

/// Downloads the payload, resuming with `Range` after a broken connection,
/// while a blocking thread decrypts into `sink`. Returns the sink once the
/// final record authenticated.
async fn download(
    api: &Api,
    link: &ShareLink,
    claimed: &Claimed,
    keys: &ContentKeys,
    sink: Sink,
    progress: &Progress,
) -> Result<Sink> {
    let size = claimed.size;
    let decryptor = StreamDecryptor::with_payload_size(keys.payload_key(), size)?;
    let (tx, rx) = mpsc::channel::<Piece>(QUEUE_CHUNKS);
    let worker = tokio::task::spawn_blocking(move || decrypt_into(decryptor, rx, sink));

    let mut fetched = fetch(api, link, &claimed.ticket, size, &tx, progress).await;
    if fetched.is_ok() && tx.send(Piece::End).await.is_err() {
        fetched = Err(Error::Interrupted);
    }
    drop(tx);
    let decrypted = worker
        .await
        .map_err(|_| Error::Internal("the decrypting thread stopped"))?;
    match (fetched, decrypted) {
        (Ok(()), result) => result,
        // The decrypting thread stopped first; its error says why.
        (Err(Error::Interrupted), Err(err)) => Err(err),
        (_, Err(Error::Damaged)) => Err(Error::Damaged),
        (Err(err), _) => Err(err),
    }
}

/// Streams the `size` bytes of the blob into `tx`. Fails with
/// [`Error::Interrupted`] when the decrypting thread stopped.
async fn fetch(
    api: &Api,
    link: &ShareLink,
    ticket: &Token,
    size: u64,
    tx: &mpsc::Sender<Piece>,
    progress: &Progress,
) -> Result<()> {
    let mut offset = 0u64;
    let mut failures = 0u32;
    // Tries in a row where the server answered but its body stopped short of
    // the share's size without a single new byte.
    let mut short_answers = 0u32;
    let mut pause = RESUME_PAUSE;
    loop {
        let before = offset;
        let (answered, broken) = match api.blob(&link.id, ticket, offset).await {
            Ok(resp) => {
                let skip = check_body(&resp, offset, size)?;
                (
                    true,
                    stream_body(resp, skip, &mut offset, tx, progress).await?,
                )
            }
            // The server holds fewer bytes than the share's size.
            Err(Error::Server { status: 416, .. }) => return Err(Error::Damaged),
            Err(err @ Error::Network { .. }) => (false, Some(err)),
            Err(err) => return Err(err),
        };
        if broken.is_none() && offset >= size {
            return Ok(());
        }
        if offset > before {
            failures = 0;
            short_answers = 0;
            pause = RESUME_PAUSE;
        } else {
            failures += 1;
            if answered {
                short_answers += 1;
            }
            if failures >= MAX_RESUMES {
                // A server that answers every time yet never gets past the
                // same byte has a truncated ciphertext, not a bad network.
                if short_answers == failures {
                    return Err(Error::Damaged);
                }
                return Err(broken.unwrap_or(Error::Network {
                    step: Step::Download,
                    detail: "the download keeps breaking off".into(),
                }));
            }
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
}

/// Checks that a blob answer fits a payload of `size` bytes read from
/// `offset` on; returns how many leading bytes to skip (a server that ignored
/// `Range` sends everything again).
fn check_body(resp: &reqwest::Response, offset: u64, size: u64) -> Result<u64> {
    if resp.status() == StatusCode::PARTIAL_CONTENT {
        let (start, total) = content_range(resp)
            .ok_or_else(|| Error::protocol(Step::Download, "206 without a usable Content-Range"))?;
        if start != offset {
            return Err(Error::protocol(
                Step::Download,
                "Content-Range does not match the request",
            ));
        }
        if total.is_some_and(|total| total != size) {
            return Err(Error::Damaged);
        }
        return Ok(0);
    }
    if resp.content_length().is_some_and(|len| len != size) {
        // The stored ciphertext is not the size the share was created with.
        return Err(Error::Damaged);
    }
    Ok(offset)
}

/// Feeds one response body into `tx`, skipping `skip` leading bytes.
/// `Ok(None)` when the body ended (maybe early), `Ok(Some(err))` when the
/// connection broke.
async fn stream_body(
    mut resp: reqwest::Response,
    mut skip: u64,
    offset: &mut u64,
    tx: &mpsc::Sender<Piece>,
    progress: &Progress,
) -> Result<Option<Error>> {
    loop {
        match resp.chunk().await {
            Ok(Some(mut chunk)) => {
                if skip > 0 {
                    let dropped = skip.min(chunk.len() as u64);
                    skip -= dropped;
                    chunk = chunk.slice(dropped as usize..);
                    if chunk.is_empty() {
                        continue;
                    }
                }
                let len = chunk.len() as u64;
                if tx.send(Piece::Bytes(chunk)).await.is_err() {
                    return Err(Error::Interrupted);
                }
                *offset += len;
                progress.advance(len);
            }
            Ok(None) => return Ok(None),
            Err(err) => return Ok(Some(Error::network(Step::Download, err))),
        }
    }
}

/// `(start, total)` of `Content-Range: bytes start-end/total` (total `None`
/// for `*`).
fn content_range(resp: &reqwest::Response) -> Option<(u64, Option<u64>)> {
    let value = resp
        .headers()
        .get(reqwest::header::CONTENT_RANGE)?
        .to_str()
        .ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let start = range.split('-').next()?.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, total))
}

/// The decrypting thread: opens records as they arrive and writes them out.
/// The sink (and with it a temporary file) is dropped on any failure.
fn decrypt_into(decryptor: StreamDecryptor, rx: mpsc::Receiver<Piece>, sink: Sink) -> Result<Sink> {
    match sink {
        Sink::File(tmp) => {
            {
                let mut writer = std::io::BufWriter::with_capacity(1024 * 1024, tmp.as_file());
                decrypt_stream(decryptor, rx, &mut writer, "writing the file")?;
                writer.flush().map_err(Error::io("writing the file"))?;
            }
            Ok(Sink::File(tmp))
        }
        Sink::Memory(mut held) => {
            // Capacity was reserved for the whole plaintext: no reallocation
            // leaves an unwiped copy behind.
            decrypt_stream(decryptor, rx, &mut *held, "holding the text")?;
            Ok(Sink::Memory(held))
        }
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            decrypt_stream(decryptor, rx, &mut out, "writing to stdout")?;
            out.flush().map_err(Error::io("writing to stdout"))?;
            Ok(Sink::Stdout)
        }
    }
}

fn decrypt_stream(
    mut decryptor: StreamDecryptor,
    mut rx: mpsc::Receiver<Piece>,
    out: &mut impl Write,
    what: &str,
) -> Result<()> {
    let mut plain = Zeroizing::new(Vec::with_capacity(1024 * 1024));
    loop {
        match rx.blocking_recv() {
            Some(Piece::Bytes(chunk)) => {
                plain.clear();
                decryptor
                    .push(&chunk, &mut plain)
                    .map_err(|_| Error::Damaged)?;
                out.write_all(&plain).map_err(Error::io(what.to_owned()))?;
            }
            Some(Piece::End) => break,
            // The download failed; its error is the one reported.
            None => return Err(Error::Interrupted),
        }
    }
    plain.clear();
    decryptor.finish(&mut plain).map_err(|_| Error::Damaged)?;
    out.write_all(&plain).map_err(Error::io(what.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_path_numbers_a_taken_name() {
        let dir = tempfile::tempdir().unwrap();
        let taken = dir.path().join("a.txt");
        std::fs::write(&taken, "x").unwrap();
        assert_eq!(
            free_path(taken.clone(), false).unwrap(),
            dir.path().join("a (1).txt")
        );
        assert_eq!(free_path(taken.clone(), true).unwrap(), taken);
    }

    #[test]
    fn persist_never_replaces_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.bin");
        std::fs::write(&path, "old").unwrap();
        let mut tmp = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        tmp.write_all(b"new").unwrap();
        let saved = persist(tmp, &path, false).unwrap();
        assert_eq!(saved, dir.path().join("b (1).bin"));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read(&saved).unwrap(), b"new");
    }

    #[test]
    fn existing_exact_output_is_refused_before_anything_happens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, "keep").unwrap();
        assert!(matches!(
            resolve_target(&Output::Path(path.clone()), false),
            Err(Error::Exists(_))
        ));
        assert!(resolve_target(&Output::Path(path), true).is_ok());
    }

    #[test]
    fn decrypting_thread_rejects_a_truncated_payload() {
        let key = ots_crypto::PayloadKey::from_bytes([5; 32]);
        let payload = ots_crypto::seal_payload(&key, &vec![1u8; 200_000]);
        let dir = tempfile::tempdir().unwrap();
        let tmp = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        let dec = StreamDecryptor::new(&key);
        let (tx, rx) = mpsc::channel(4);
        let cut = Bytes::copy_from_slice(&payload[..payload.len() - 10]);
        tx.blocking_send(Piece::Bytes(cut)).unwrap();
        tx.blocking_send(Piece::End).unwrap();
        drop(tx);
        assert!(matches!(
            decrypt_into(dec, rx, Sink::File(tmp)),
            Err(Error::Damaged)
        ));
    }
}
