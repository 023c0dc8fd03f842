//! The send flow in the browser: seal in the page, then create the share
//! with the payload inline (≤ 1 MiB) or upload it in 8 MiB parts
//! (protocol §5).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Uint8Array;
use leptos::ev::Event;
use ots_crypto::{
    seal_meta, seal_payload, ContentKeys, LinkKeys, LinkSecret, StreamEncryptor, Verifier,
};
use ots_proto::{
    part_count, paths, payload_size, CreateRequest, Created, Fixed, KdfParams, Meta, Opaque,
    ShareId, Token, INLINE_MAX_BYTES, PART_SIZE,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Blob, BlobPropertyBag};

use super::{Content, PickedFile, Request, SendError, Sent, Stage};
use crate::browser::dom::{js_error, now_ms, origin, sleep};
use crate::browser::files::Source;
use crate::browser::http::{call, call_with_retry, json, to_json, Body};
use crate::browser::kdf::derive_password_key;
use crate::failure::{ApiError, BrowserError};

/// Parts uploading at once: a second request in flight gains about a fifth
/// in Chromium on loopback (BENCHMARKS.md); a third gains nothing.
const UPLOADS_IN_FLIGHT: usize = 2;

/// Plaintext read from the file per step: large enough to keep the cipher
/// busy, small enough that the page stays responsive between steps.
const READ_BYTES: u64 = 4 * 1024 * 1024;

thread_local! {
    /// The file chosen by the picker or dropped on the page.
    static PICKED: RefCell<Option<web_sys::File>> = const { RefCell::new(None) };
}

/// Remembers the file of a file input's `change` or of a `drop`. A drop without a file keeps the file chosen before; a file input
/// emptied by the sender forgets it.
pub(super) fn pick(event: &Event) -> Option<PickedFile> {
    let drop = event.dyn_ref::<web_sys::DragEvent>();
    let files = match drop {
        Some(drop) => drop.data_transfer().and_then(|d| d.files()),
        None => event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files()),
    };
    let file = files.and_then(|f| f.get(0));
    let picked = file.as_ref().map(|f| PickedFile {
        name: f.name(),
        size: f.size() as u64,
    });
    if file.is_some() || drop.is_none() {
        PICKED.with(|p| *p.borrow_mut() = file);
    }
    picked
}

/// Reports stages with the time since the upload began and the bytes the
/// server has so far.
struct Reporter<F> {
    on_stage: F,
    started: f64,
    done: Cell<u64>,
    total: u64,
}

impl<F: Fn(Stage)> Reporter<F> {
    fn elapsed_ms(&self) -> f64 {
        now_ms() - self.started
    }

    fn stored(&self, done: u64) {
        self.done.set(done);
        (self.on_stage)(Stage::Uploading {
            done,
            total: self.total,
            elapsed_ms: self.elapsed_ms(),
        });
    }

    fn retrying(&self, attempt: u32) {
        (self.on_stage)(Stage::Retrying {
            attempt,
            done: self.done.get(),
            total: self.total,
            elapsed_ms: self.elapsed_ms(),
        });
    }

    fn completing(&self) {
        (self.on_stage)(Stage::Completing {
            total: self.total,
            elapsed_ms: self.elapsed_ms(),
        });
    }
}

/// Seals the request's content and stores it on the server.
pub(super) async fn send(
    request: Request,
    on_stage: impl Fn(Stage) + 'static,
) -> Result<Sent, SendError> {
    let (source, meta) = match request.content {
        Content::Text(text) => {
            let size = text.len() as u64;
            (Source::Text(text.into_bytes()), Meta::text(size))
        }
        Content::File(_) => {
            let file = PICKED
                .with(|p| p.borrow().clone())
                .ok_or(SendError::NoFile)?;
            let meta = Meta::file(file.name(), file.type_(), file.size() as u64);
            (Source::File(file), meta)
        }
    };
    let secret = LinkSecret::generate().map_err(|_| BrowserError::NoRandomness)?;
    let (password_key, kdf) = if request.password.is_empty() {
        (None, None)
    } else {
        on_stage(Stage::DerivingKey);
        let kdf = KdfParams::DEFAULT;
        let key = derive_password_key(&secret, &request.password, kdf).await?;
        (Some(key), Some(kdf))
    };
    let link_keys = LinkKeys::derive(&secret);
    let keys = ContentKeys::derive(&secret, password_key.as_ref());

    let plain_len = source.size();
    let sealed_meta = seal_meta(keys.meta_key(), &meta).map_err(|_| SendError::NameTooLong)?;
    let total = payload_size(plain_len);
    let mut create = CreateRequest {
        size: total,
        expires_in: request.expires_in,
        max_downloads: request.max_downloads,
        link_verifier: Fixed(link_keys.link_token().verifier()),
        claim_verifier: Fixed(keys.claim_token().verifier()),
        meta: Opaque(sealed_meta),
        kdf,
        payload: None,
    };
    let report = Rc::new(Reporter {
        on_stage,
        started: now_ms(),
        done: Cell::new(0),
        total,
    });
    report.stored(0);

    if total <= INLINE_MAX_BYTES {
        let plain = source.read(0, plain_len).await?;
        create.payload = Some(Opaque(seal_payload(keys.payload_key(), &plain)));
        let created = create_share(&create).await?;
        report.stored(total);
        forget_picked();
        return Ok(links(&secret, &created, request.key_apart));
    }

    let created = create_share(&create).await?;
    let upload_token = created
        .upload_token
        .clone()
        .ok_or_else(|| SendError::Malformed("no upload token".into()))?;
    let parts = part_count(total);
    let mut encryptor = Some(StreamEncryptor::new(keys.payload_key()));
    let mut pending: Vec<u8> =
        Vec::with_capacity((PART_SIZE + READ_BYTES + READ_BYTES / 64) as usize);
    let mut next_part = 0u64;
    let mut stored = 0u64;
    // The first part that fails for good leaves its error here.
    let failure: Failure = Rc::default();
    // Up to two parts upload while the next is encrypted.
    let mut in_flight: VecDeque<(u64, JsFuture)> = VecDeque::with_capacity(UPLOADS_IN_FLIGHT);
    let mut offset = 0u64;
    loop {
        let end = (offset + READ_BYTES).min(plain_len);
        if offset < end {
            let plain = source.read(offset, end).await?;
            if let Some(enc) = encryptor.as_mut() {
                enc.push(&plain, &mut pending);
            }
            offset = end;
        }
        let done_reading = offset >= plain_len;
        if done_reading {
            if let Some(enc) = encryptor.take() {
                enc.finish(&mut pending);
            }
        }
        while pending.len() as u64 >= PART_SIZE || (done_reading && !pending.is_empty()) {
            let take = (pending.len() as u64).min(PART_SIZE) as usize;
            let rest = pending.split_off(take);
            let part = part_blob(&pending[..]).map_err(js_error)?;
            pending = rest;
            pending.reserve(PART_SIZE as usize);
            if in_flight.len() >= UPLOADS_IN_FLIGHT {
                if let Some((len, upload)) = in_flight.pop_front() {
                    upload.await.map_err(|_| part_failed(&failure))?;
                    stored += len;
                    report.stored(stored);
                }
            }
            let len = part.size() as u64;
            let upload = put_part(
                &created.id,
                &upload_token,
                next_part,
                part,
                report.clone(),
                failure.clone(),
            );
            in_flight.push_back((len, JsFuture::from(upload)));
            next_part += 1;
        }
        if done_reading {
            break;
        }
    }
    while let Some((len, upload)) = in_flight.pop_front() {
        upload.await.map_err(|_| part_failed(&failure))?;
        stored += len;
        report.stored(stored);
    }
    if next_part != parts || stored != total {
        return Err(SendError::SizeMismatch);
    }
    report.completing();
    complete(&created.id, &upload_token).await?;
    forget_picked();
    Ok(links(&secret, &created, request.key_apart))
}

/// Where a part upload leaves the error that ended it.
type Failure = Rc<RefCell<Option<ApiError>>>;

/// The error of the part upload that failed.
fn part_failed(failure: &Failure) -> SendError {
    failure
        .borrow_mut()
        .take()
        .map(SendError::from)
        .unwrap_or(SendError::Unreachable)
}

/// The sent file is not sent twice by accident.
fn forget_picked() {
    PICKED.with(|p| *p.borrow_mut() = None);
}

/// A part as a Blob (copied out of wasm memory once).
fn part_blob(bytes: &[u8]) -> Result<Blob, JsValue> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let opts = BlobPropertyBag::new();
    opts.set_type("application/octet-stream");
    Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
}

fn links(secret: &LinkSecret, created: &Created, key_apart: bool) -> Sent {
    let origin = origin();
    Sent {
        share_link: format!("{origin}/s/{}#{}", created.id, secret.to_fragment()),
        manage_link: format!(
            "{origin}/m/{}#{}",
            created.id,
            created.manage_token.to_b64()
        ),
        expires_at: created.expires_at.clone(),
        key_apart,
    }
}

async fn create_share(request: &CreateRequest) -> Result<Created, SendError> {
    let body = to_json(request)?;
    // Not retried: a create that reached the server but lost its answer
    // would leave a second, orphaned share.
    let response = call("POST", &paths::shares(), None, Body::Json(&body), None).await?;
    Ok(json(&response).await?)
}

/// Starts uploading part `index` at once (a JS promise runs eagerly),
/// retrying transient failures, so a network drop only pauses the upload.
fn put_part(
    id: &ShareId,
    token: &Token,
    index: u64,
    bytes: Blob,
    report: Rc<Reporter<impl Fn(Stage) + 'static>>,
    failure: Failure,
) -> js_sys::Promise {
    let path = paths::part(id, index);
    let token = token.clone();
    future_to_promise(async move {
        let result = call_with_retry("PUT", &path, Some(&token), Body::Bytes(&bytes), |attempt| {
            report.retrying(attempt)
        })
        .await;
        match result {
            Ok(_) => Ok(JsValue::UNDEFINED),
            Err(e) => {
                failure.borrow_mut().get_or_insert(e);
                Err(JsValue::NULL)
            }
        }
    })
}

async fn complete(id: &ShareId, token: &Token) -> Result<(), SendError> {
    let path = paths::complete(id);
    let mut retried = false;
    loop {
        match call("POST", &path, Some(token), Body::Empty, None).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_transient() && !retried => {
                retried = true;
                sleep(1_000).await;
            }
            // A retried complete whose first try landed finds its token dead:
            // the share being ready says it worked.
            Err(e) if retried => {
                return match call("GET", &paths::share(id), None, Body::Empty, None).await {
                    Ok(_) => Ok(()),
                    Err(_) => Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}
