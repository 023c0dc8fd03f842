//! The receive flow in the browser: read the share's public facts, claim
//! it, then download and decrypt the payload into a text or a saved file.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use futures_util::stream::{FuturesOrdered, StreamExt};
use futures_util::FutureExt;
use leptos::task::spawn_local;

use js_sys::{Array, Reflect, Uint8Array};
use ots_crypto::{open_meta, plaintext_size, ContentKeys, LinkKeys, LinkSecret, RECORD_SIZE};
use ots_proto::{
    paths, payload_size, ClaimRequest, Claimed, ErrorCode, Fixed, KdfParams, MetaKind, ShareId,
    ShareInfo, Token,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStreamDefaultReader, Url};

use super::archive::{entries_in_tail, entries_in_zip64_end, Entries, TAIL_BYTES, ZIP64_END_LEN};
use super::{
    listed_files, saved_name, shows_as_text, Facts, GoneReason, OpenError, Opened, Stage, Waiting,
};
use crate::browser::crypt::{CryptError, Crypter};
use crate::browser::dom::{
    forget_fragment, fragment, js_error, now_ms, random_bytes, session_mark, session_marked,
    session_unmark, sleep, trigger_download,
};
use crate::browser::files::read_slice;
use crate::browser::http::{call, call_with_retry, json, to_json, Body};
use crate::browser::kdf::derive_password_key;
use crate::browser::save::{
    remove_leftovers as remove_files_left, remove_tab_files, Sink, Written,
};
use crate::cancel::Stop;
use crate::failure::{ApiError, BrowserError};

/// Least time between two progress reports, in milliseconds.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Times a broken download is resumed before giving up.
const RESUME_ATTEMPTS: u32 = 20;

thread_local! {
    /// The key of the share this tab is on, once read from the fragment:
    /// the address bar no longer has it (protocol §1).
    static KEY: RefCell<Option<(ShareId, LinkSecret)>> = const { RefCell::new(None) };
}

/// The session-storage mark of a tab that read `id`'s key from the
/// fragment: the share id only, never the key.
fn opened_mark(id: &ShareId) -> String {
    format!("ots-opened:s:{id}")
}

/// The key this tab holds for `id`.
fn held_key(id: &ShareId) -> Option<LinkSecret> {
    KEY.with(|k| {
        k.borrow()
            .as_ref()
            .filter(|(held, _)| held == id)
            .map(|(_, secret)| secret.clone())
    })
}

fn hold_key(id: &ShareId, secret: LinkSecret) {
    KEY.with(|k| *k.borrow_mut() = Some((id.clone(), secret)));
}

fn drop_key() {
    KEY.with(|k| k.borrow_mut().take());
}

/// The share id of the route; a malformed one names no share.
fn share_id(id: &str) -> Result<ShareId, OpenError> {
    ShareId::parse(id).map_err(|_| OpenError::NotFound)
}

/// Takes the key out of the fragment into memory and the fragment out of
/// the address bar. `Ok(true)` when the tab now holds the key, `Ok(false)`
/// when the recipient must type it.
fn take_key(id: &ShareId, asking: bool) -> Result<bool, OpenError> {
    if let Some(text) = fragment() {
        forget_fragment();
        let secret = LinkSecret::from_fragment(&text).map_err(|_| OpenError::BadLink)?;
        hold_key(id, secret);
        // A reload finds no key: the mark lets it say why.
        session_mark(&opened_mark(id));
        return Ok(true);
    }
    if held_key(id).is_some() {
        return Ok(true);
    }
    if asking {
        session_unmark(&opened_mark(id));
    } else if session_marked(&opened_mark(id)) {
        return Err(OpenError::OpenedInTab);
    }
    Ok(false)
}

/// `GET /shares/{id}`: public facts, changes nothing. The key comes from
/// the fragment, or the facts ask for it (a key sent apart, protocol §1).
pub(super) async fn facts(id: &str, asking: bool) -> Result<Facts, OpenError> {
    let id = share_id(id)?;
    let has_key = take_key(&id, asking)?;
    let response = call("GET", &paths::share(&id), None, Body::Empty, None).await?;
    let info: ShareInfo = json(&response).await?;
    // Workers will open it: they load while the recipient reads the page.
    if has_key && info.size > IN_PAGE_BYTES {
        crate::browser::crypt::warm_up();
    }
    Ok(Facts::from_info(info, !has_key))
}

/// Deletes this tab's decrypted file and its object URL.
pub(super) async fn forget_saved(url: &str) {
    let _ = Url::revoke_object_url(url);
    remove_tab_files().await;
}

/// Deletes decrypted files left by tabs that are gone.
pub(super) async fn remove_leftovers() {
    remove_files_left().await;
}

/// Claims the share (one download used), then downloads and decrypts it.
pub(super) async fn open(
    id: &str,
    kdf: Option<KdfParams>,
    typed_key: Option<&str>,
    password: &str,
    on_stage: impl Fn(Stage),
    stop: Stop,
) -> Result<Opened, OpenError> {
    let id = share_id(id)?;
    let secret = match typed_key {
        Some(text) => LinkSecret::from_fragment(text).map_err(|_| OpenError::KeyInvalid)?,
        None => held_key(&id).ok_or(OpenError::BadLink)?,
    };
    let password_key = match kdf {
        None => None,
        Some(params) => {
            // Refuse a cost outside protocol §2 before allocating anything.
            params.validate().map_err(|_| OpenError::KdfOutOfBounds)?;
            if password.is_empty() {
                return Err(OpenError::PasswordMissing);
            }
            on_stage(Stage::DerivingKey);
            Some(derive_password_key(&secret, password, params).await?)
        }
    };
    let keys = ContentKeys::derive(&secret, password_key.as_ref());
    let link_keys = LinkKeys::derive(&secret);

    on_stage(Stage::Claiming);
    let request_id: [u8; 16] = random_bytes()?;
    let claim = ClaimRequest {
        link_token: link_keys.link_token().clone(),
        claim_token: keys.claim_token().clone(),
        request_id: Some(Fixed(request_id)),
    };
    let body = to_json(&claim)?;
    // Safe to retry: the request id makes a repeated claim answer the same.
    let response = match call_with_retry(
        "POST",
        &paths::claim(&id),
        None,
        Body::Json(&body),
        |attempt, e| {
            on_stage(Stage::ClaimRetrying {
                attempt,
                cause: waiting(e),
            })
        },
    )
    .await
    {
        Ok(response) => response,
        Err(e) => {
            let error = OpenError::from(e);
            if error == OpenError::WrongLink {
                // The server changed nothing; the page asks for the key.
                drop_key();
            }
            return Err(error);
        }
    };
    // The key fits: this tab keeps it, whether it came typed or in the link.
    hold_key(&id, secret.clone());
    let claimed: Claimed = json(&response).await?;

    let meta = open_meta(keys.meta_key(), &claimed.meta.0).map_err(|_| OpenError::Damaged)?;
    if payload_size(meta.size) != claimed.size {
        return Err(OpenError::Damaged);
    }
    if plaintext_size(claimed.size).is_none() {
        return Err(OpenError::Damaged);
    }
    // Workers open the records unless the payload is small enough that
    // starting them would cost more than the work.
    let crypter = Rc::new(Crypter::new(
        keys.payload_key(),
        claimed.size > IN_PAGE_BYTES,
    ));

    let as_text = shows_as_text(&meta);
    // The file of an earlier share opened in this tab goes first.
    remove_tab_files().await;
    let mut sink = if as_text {
        Sink::memory()
    } else {
        Sink::open(meta.size).await
    };
    let mut text = Vec::new();
    let result = {
        let mut out = if as_text {
            Output::Text(&mut text)
        } else {
            Output::Sink(&mut sink)
        };
        let more = claimed.downloads_left > 0;
        stop.run(download(&id, &claimed, &crypter, &on_stage, &mut out))
            .await
            .unwrap_or(Err(OpenError::Cancelled { more }))
    };
    drop(crypter);
    match result {
        Ok(()) => {}
        Err(e) => {
            // Protocol §4: nothing of an incomplete or damaged payload is kept.
            sink.discard().await;
            text.fill(0);
            return Err(e);
        }
    };
    release(&id, &claimed.ticket).await;
    if as_text {
        return Ok(Opened::Text(String::from_utf8_lossy(&text).into_owned()));
    }
    let on_disk = sink.is_on_disk();
    let blob = sink.finish().await?;
    let url = Url::create_object_url_with_blob(&blob).map_err(js_error)?;
    let name = saved_name(&meta);
    trigger_download(&url, &name)?;
    let files = match meta.kind {
        MetaKind::Files => listed_files(&meta, archive_entries(&blob).await),
        _ => None,
    };
    Ok(Opened::File {
        name,
        size: meta.size,
        url,
        on_disk,
        files,
    })
}

/// How many files the ZIP archive in `blob` holds, from its end records;
/// `None` when they cannot be read.
async fn archive_entries(blob: &Blob) -> Option<u64> {
    let size = blob.size() as u64;
    let tail = read_slice(blob, size.saturating_sub(TAIL_BYTES), size)
        .await
        .ok()?;
    match entries_in_tail(&tail)? {
        Entries::Count(n) => Some(n),
        Entries::Zip64At(at) => {
            let end = at.checked_add(ZIP64_END_LEN).filter(|end| *end <= size)?;
            entries_in_zip64_end(&read_slice(blob, at, end).await.ok()?)
        }
    }
}

/// Downloads the payload (resuming with a `Range` request after a broken
/// connection) and opens it in whole-record pieces in the worker pool while
/// the next bytes arrive; the plaintext goes to `out` in order, and
/// progress counts the bytes that authenticated. `Ok` only once the final
/// record opened (protocol §4).
async fn download(
    id: &ShareId,
    claimed: &Claimed,
    crypter: &Rc<Crypter>,
    on_stage: &impl Fn(Stage),
    out: &mut Output<'_>,
) -> Result<(), OpenError> {
    let path = paths::blob(id);
    let total = claimed.size;
    let mut received = 0u64;
    let mut pieces = Pieces::default();
    let mut opening = FuturesOrdered::new();
    let mut opened = 0u64;
    let mut written: Option<Written> = None;
    let mut attempt = 0u32;
    let started = now_ms();
    let mut last_report = started;
    let resuming = |attempt, done| {
        on_stage(Stage::Resuming {
            attempt,
            done,
            total,
            elapsed_ms: now_ms() - started,
        })
    };
    on_stage(Stage::Downloading {
        done: 0,
        total,
        elapsed_ms: 0.0,
    });
    // Pieces opening at once: one per worker, and one more waiting its turn.
    let width = crypter.width() + 1;
    while received < total {
        let range = (received > 0).then_some(received);
        let response = match call("GET", &path, Some(&claimed.ticket), Body::Empty, range).await {
            Ok(r) => r,
            Err(e) if e.is_transient() && attempt < RESUME_ATTEMPTS => {
                attempt += 1;
                resuming(attempt, opened);
                sleep(500 * attempt.min(10) as i32).await;
                continue;
            }
            // A dead ticket: this claim is over.
            Err(e @ ApiError::Status { status: 401, .. })
                if matches!(e.code(), None | Some(ErrorCode::BadToken)) =>
            {
                return Err(OpenError::TicketExpired)
            }
            Err(e) => {
                return Err(match OpenError::from(e) {
                    // Revoked, removed or expired since the claim (1.1).
                    OpenError::Gone(reason) if reason != GoneReason::Consumed => {
                        OpenError::GoneWhileDownloading(reason)
                    }
                    other => other,
                });
            }
        };
        // A server that ignored the Range header starts from byte 0 again.
        let mut skip = if range.is_some() && response.status() == 200 {
            received
        } else {
            0
        };
        let Some(body) = response.body() else {
            return Err(BrowserError::Js("the download had no body".into()).into());
        };
        let mut reader = Reading {
            reader: body
                .get_reader()
                .dyn_into()
                .map_err(|_| BrowserError::Js("the download could not be read".into()))?,
            ended: false,
        };
        loop {
            let step = match JsFuture::from(reader.reader.read()).await {
                Ok(step) => step,
                Err(_) => {
                    // The connection broke: resume from `received`.
                    reader.ended = true;
                    break;
                }
            };
            if Reflect::get(&step, &"done".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(true)
            {
                reader.ended = true;
                break;
            }
            let Ok(value) = Reflect::get(&step, &"value".into()) else {
                break;
            };
            let Some(chunk) = value.dyn_ref::<Uint8Array>() else {
                break;
            };
            let mut chunk = chunk.clone();
            if skip > 0 {
                let drop = skip.min(u64::from(chunk.length())) as u32;
                chunk = chunk.subarray(drop, chunk.length());
                skip -= u64::from(drop);
            }
            if chunk.length() == 0 {
                continue;
            }
            received += u64::from(chunk.length());
            if received > total {
                return Err(OpenError::Damaged);
            }
            pieces.push(chunk);
            while let Some((at, sealed, len)) = pieces.cut(received == total) {
                if opening.len() >= width {
                    if let Some(plain) = opening.next().await {
                        opened += write_opened(plain, out, &mut written).await?;
                    }
                }
                let first = at / RECORD_SIZE as u64;
                let ends = at + len == total;
                let (job, handle) =
                    open_piece(crypter.clone(), first, ends, sealed, len).remote_handle();
                spawn_local(job);
                opening.push_back(handle);
            }
            // A repaint per network chunk would cost more than the crypto.
            let now = now_ms();
            if now - last_report >= PROGRESS_EVERY_MS {
                last_report = now;
                on_stage(Stage::Downloading {
                    done: opened,
                    total,
                    elapsed_ms: now - started,
                });
            }
        }
        if received < total {
            if attempt >= RESUME_ATTEMPTS {
                return Err(OpenError::DownloadBroken);
            }
            attempt += 1;
            resuming(attempt, opened);
            sleep(500 * attempt.min(10) as i32).await;
        }
    }
    while let Some(plain) = opening.next().await {
        opened += write_opened(plain, out, &mut written).await?;
    }
    if let Some(last) = written.take() {
        last.await?;
    }
    // Every byte opened, the final record with it (it is the last piece's).
    if opened != total {
        return Err(OpenError::Damaged);
    }
    on_stage(Stage::Downloading {
        done: opened,
        total,
        elapsed_ms: now_ms() - started,
    });
    Ok(())
}

/// The body of a download being read. Dropped before its end (the
/// download was cancelled, or the bytes were not the protocol's), it
/// cancels the stream, so that the browser stops receiving bytes nobody
/// reads; a body read to its end is left alone.
struct Reading {
    reader: ReadableStreamDefaultReader,
    ended: bool,
}

impl Drop for Reading {
    fn drop(&mut self) {
        if !self.ended {
            // Awaited, so that a refusal is not an unhandled rejection.
            let cancelled = JsFuture::from(self.reader.cancel());
            spawn_local(async move {
                let _ = cancelled.await;
            });
        }
    }
}

/// Bytes of ciphertext in one piece opened by a worker: 64 records, 4 MiB
/// of plaintext.
const PIECE_RECORDS: usize = 64;

/// Payloads up to this size open in the page: starting workers would cost
/// more than the work.
const IN_PAGE_BYTES: u64 = 4 * 1024 * 1024;

/// Opens one piece (`len` bytes in downloaded chunks); its ciphertext
/// length and plaintext.
async fn open_piece(
    crypter: Rc<Crypter>,
    first: u64,
    ends: bool,
    sealed: Array,
    len: u64,
) -> Result<(u64, Uint8Array), CryptError> {
    let plain = crypter.open(first, ends, &sealed).await?;
    Ok((len, plain))
}

/// Hands an opened piece to `out` once the write before it is done, and
/// says how many ciphertext bytes it stood for.
async fn write_opened(
    plain: Result<(u64, Uint8Array), CryptError>,
    out: &mut Output<'_>,
    written: &mut Option<Written>,
) -> Result<u64, OpenError> {
    let (len, plain) = plain.map_err(|e| match e {
        CryptError::Damaged => OpenError::Damaged,
        CryptError::NotLoaded => {
            BrowserError::Js("part of this page could not be loaded".into()).into()
        }
        CryptError::Browser(e) => e.into(),
    })?;
    if let Some(before) = written.take() {
        before.await?;
    }
    *written = out.write(&plain)?;
    Ok(len)
}

/// Downloaded bytes not yet cut into pieces, in order.
#[derive(Default)]
struct Pieces {
    chunks: VecDeque<Uint8Array>,
    len: u64,
    /// Offset of the first byte held.
    at: u64,
}

impl Pieces {
    fn push(&mut self, chunk: Uint8Array) {
        self.len += u64::from(chunk.length());
        self.chunks.push_back(chunk);
    }

    /// The next piece of whole records, its offset and length: the
    /// downloaded chunks that hold [`PIECE_RECORDS`] records (a chunk that
    /// straddles the end is split), or, at `end`, whatever is left.
    fn cut(&mut self, end: bool) -> Option<(u64, Array, u64)> {
        let full = (PIECE_RECORDS * RECORD_SIZE) as u64;
        let take = if self.len >= full {
            full
        } else if end && self.len > 0 {
            self.len
        } else {
            return None;
        };
        let piece = Array::new();
        let mut filled = 0u64;
        while filled < take {
            let Some(chunk) = self.chunks.pop_front() else {
                break;
            };
            let want = take - filled;
            if u64::from(chunk.length()) > want {
                let want = want as u32;
                // A copy: the rest's buffer goes with the next piece.
                piece.push(&chunk.slice(0, want));
                self.chunks.push_front(chunk.subarray(want, chunk.length()));
                filled += u64::from(want);
            } else {
                filled += u64::from(chunk.length());
                piece.push(&chunk);
            }
        }
        let at = self.at;
        self.at += take;
        self.len -= take;
        Some((at, piece, take))
    }
}

/// Where decrypted bytes go: kept for the page, or written to a file.
enum Output<'a> {
    Text(&'a mut Vec<u8>),
    Sink(&'a mut Sink),
}

impl Output<'_> {
    /// Starts writing `plain`; a write to disk answers when it is done.
    fn write(&mut self, plain: &Uint8Array) -> Result<Option<Written>, OpenError> {
        match self {
            Output::Text(text) => {
                let at = text.len();
                text.resize(at + plain.length() as usize, 0);
                plain.copy_to(&mut text[at..]);
                plain.fill(0, 0, plain.length());
                Ok(None)
            }
            Output::Sink(sink) => Ok(sink.start_write(plain)?),
        }
    }
}

/// `DELETE /blob`: the whole plaintext is here, so a consumed share's
/// ciphertext can go now. Best effort; the ticket's expiry does it anyway.
async fn release(id: &ShareId, ticket: &Token) {
    let _ = call("DELETE", &paths::blob(id), Some(ticket), Body::Empty, None).await;
}

/// Why the last attempt of a claim failed, as the page tells it.
fn waiting(error: &ApiError) -> Waiting {
    match error {
        ApiError::Network(_) => Waiting::Offline,
        ApiError::Status { status: 429, .. } => Waiting::RateLimited,
        _ if matches!(error.code(), Some(ErrorCode::RateLimited)) => Waiting::RateLimited,
        _ => Waiting::Busy,
    }
}
