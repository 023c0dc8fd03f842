//! The send flow in the browser: the chosen files, the server's offer,
//! generated passphrases; then seal in the page and create the share with
//! the payload inline (up to the server's inline limit, at most 1 MiB) or
//! upload it in 8 MiB parts (protocol §5).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use leptos::ev::Event;
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use ots_crypto::{seal_meta, seal_payload, ContentKeys, LinkKeys, LinkSecret, Verifier};
use ots_proto::{
    part_count, part_plan, paths, payload_size, Config, CreateRequest, Created, Fixed, KdfParams,
    Meta, Opaque, PartPlan, ShareId, Token,
};
use wasm_bindgen::JsCast;
use web_sys::{Blob, File};

use super::archive::{archive_meta, archive_name};
use super::pacing::Pacing;
use super::plaintext::{Plaintext, Ranges};
use super::secrets::{parse_word_list, passphrase as make_passphrase};
use super::{packing, Content, Offer, Packing, PickedFile, Request, SendError, Sent, Stage};
use crate::browser::crypt::Crypter;
use crate::browser::dom::{now_ms, origin, sleep};
use crate::browser::files::{from_input, local_stamp, Chosen, Dropped};
use crate::browser::http::{
    call, call_with_create_token, call_with_retry, get_text, json, to_json, Body,
};
use crate::browser::kdf::derive_password_key;
use crate::browser::storage;
use crate::failure::BrowserError;

/// Where the create token is kept (session or local storage).
const CREATE_TOKEN_KEY: &str = "ots-create-token";

/// The EFF long word list the site ships (`public/`).
const WORD_LIST_PATH: &str = "/eff_large_wordlist.txt";

thread_local! {
    /// The files chosen by the pickers or dropped on the page, by id.
    static PICKED: RefCell<Vec<(PickedFile, File)>> = const { RefCell::new(Vec::new()) };
    /// The id of the next file chosen.
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    /// The word list, once fetched.
    static WORDS: RefCell<Option<Rc<Vec<String>>>> = const { RefCell::new(None) };
    /// Whether the send piece of the bundle was asked for.
    static PREPARED: Cell<bool> = const { Cell::new(false) };
}

/// Fetches the send piece of the bundle in the background, once. A fetch
/// that fails is not worth asking again: the loader keeps the failure until
/// the page is reloaded, and the send then says so ([`SendError::NotLoaded`]).
pub(super) fn prepare() {
    if !PREPARED.replace(true) {
        leptos::task::spawn_local(async {
            let _ = preload_send().await;
        });
    }
}

/// The files chosen so far, in order.
pub(super) fn picked() -> Vec<PickedFile> {
    PICKED.with(|p| p.borrow().iter().map(|(f, _)| f.clone()).collect())
}

/// Adds files to the list; a file already in it (same path, size and
/// time) is not added twice.
fn add(chosen: Vec<Chosen>) {
    PICKED.with(|p| {
        let mut list = p.borrow_mut();
        for c in chosen {
            let size = c.file.size() as u64;
            let modified = local_stamp(&c.file);
            let known = list.iter().any(|(f, file)| {
                f.path == c.path && f.size == size && file.last_modified() == c.file.last_modified()
            });
            if known {
                continue;
            }
            let id = NEXT_ID.with(|n| n.replace(n.get() + 1));
            let entry = PickedFile {
                id,
                path: c.path,
                in_folder: c.in_folder,
                size,
                modified,
            };
            list.push((entry, c.file));
        }
    });
}

/// Adds the files of a file input's `change` or of a `drop` (walking
/// dropped folders), then hands over the whole list.
pub(super) fn pick(event: &Event, on_done: impl FnOnce(Vec<PickedFile>) + 'static) {
    if let Some(drop) = event.dyn_ref::<web_sys::DragEvent>() {
        let Some(dropped) = drop.data_transfer().map(|d| Dropped::take(&d)) else {
            return;
        };
        if dropped.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            // A folder that cannot be read adds what was read before it.
            if let Ok(chosen) = dropped.read().await {
                add(chosen);
            }
            workers_for_picked();
            on_done(picked());
        });
        return;
    }
    let input = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
    if let Some(input) = input {
        add(from_input(&input));
        // The same file can be chosen again after it was removed.
        input.set_value("");
    }
    workers_for_picked();
    on_done(picked());
}

/// Files too large to go inline are sealed by the worker pool: it starts
/// now, while the sender finishes the form, rather than once Send is pressed.
/// Once what is left goes inline, the pool ends.
fn workers_for_picked() {
    let total = PICKED.with(|p| p.borrow().iter().map(|(f, _)| f.size).sum::<u64>());
    if total > ots_proto::INLINE_MAX_BYTES {
        crate::browser::crypt::warm_up();
    } else {
        crate::browser::crypt::cool_down();
    }
}

/// Forgets the chosen file `id`.
pub(super) fn remove(id: u64) -> Vec<PickedFile> {
    PICKED.with(|p| p.borrow_mut().retain(|(f, _)| f.id != id));
    workers_for_picked();
    picked()
}

/// The sent files are not sent twice by accident.
fn forget_picked() {
    PICKED.with(|p| p.borrow_mut().clear());
}

/// What the server accepts, or `None` when it does not say.
pub(super) async fn offer() -> Option<Offer> {
    let response = call("GET", &paths::config(), None, Body::Empty, None)
        .await
        .ok()?;
    let config: Config = json(&response).await.ok()?;
    Some(Offer::from_config(&config))
}

/// The create token kept for this tab or on this device.
pub(super) fn saved_create_token() -> (String, bool) {
    storage::get(CREATE_TOKEN_KEY).unwrap_or_default()
}

/// A passphrase from the shipped word list, both fetched on first use:
/// the word list parser is a piece of the bundle of its own.
#[wasm_split(
    passphrase,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    return_wrapper(let future = _; { future.await } -> Result<String, SendError>)
)]
pub(super) fn passphrase() -> PassphraseFuture {
    Box::pin(passphrase_now())
}

/// What the split-off [`passphrase`] hands back.
type PassphraseFuture = Pin<Box<dyn Future<Output = Result<String, SendError>>>>;

async fn passphrase_now() -> Result<String, SendError> {
    let cached = WORDS.with(|w| w.borrow().clone());
    let words = match cached {
        Some(words) => words,
        None => {
            let text = get_text(WORD_LIST_PATH)
                .await
                .map_err(|e| SendError::WordList(e.to_string()))?;
            let words = Rc::new(parse_word_list(&text)?);
            WORDS.with(|w| *w.borrow_mut() = Some(words.clone()));
            words
        }
    };
    make_passphrase(&words)
}

/// The plaintext and meta of the chosen files: one file as itself,
/// several as a ZIP archive.
fn files_plaintext(
    files: &[PickedFile],
    locale: crate::i18n::Locale,
) -> Result<(Plaintext, Meta), SendError> {
    let file_of = |id: u64| {
        PICKED.with(|p| {
            p.borrow()
                .iter()
                .find(|(f, _)| f.id == id)
                .map(|(_, file)| file.clone())
        })
    };
    match packing(files) {
        Packing::Single(one) => {
            let file = file_of(one.id).ok_or(SendError::NoFile)?;
            let meta = Meta::file(file.name(), file.type_(), file.size() as u64);
            Ok((Plaintext::file(file), meta))
        }
        Packing::Archive { entries, layout } => {
            let name = archive_name(&entries);
            let (meta, _) = archive_meta(locale, &name, layout.size(), &entries);
            let with_files = entries
                .into_iter()
                .zip(files)
                .map(|(entry, f)| file_of(f.id).map(|file| (entry, file)))
                .collect::<Option<Vec<_>>>()
                .ok_or(SendError::NoFile)?;
            Ok((Plaintext::archive(with_files, layout), meta))
        }
    }
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

/// A piece of the bundle that did not load (the page is offline, or the
/// server went away): the send could not start, and the browser will not
/// fetch that piece again before the page is reloaded.
impl From<SplitLoaderError> for SendError {
    fn from(_: SplitLoaderError) -> Self {
        SendError::NotLoaded
    }
}

/// Seals the request's content and stores it on the server; payloads up
/// to `max_inline` bytes go with the create request.
///
/// Sealing, uploading, the ZIP writer and the key derivation are a piece
/// of the wasm bundle of their own (`cargo leptos build --split`): the send
/// page's first load does without them, [`preload_send`] fetches them when
/// the form is first used, and a piece that cannot be fetched is
/// [`SendError::NotLoaded`], never a broken page.
#[wasm_split(
    send_engine,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_send),
    return_wrapper(let future = _; { future.await } -> Result<Sent, SendError>)
)]
pub(super) fn send(request: Request, max_inline: u64, on_stage: Box<dyn Fn(Stage)>) -> SendFuture {
    Box::pin(send_now(request, max_inline, on_stage))
}

/// What the split-off [`send`] hands back across the piece's boundary.
type SendFuture = Pin<Box<dyn Future<Output = Result<Sent, SendError>>>>;

async fn send_now(
    request: Request,
    max_inline: u64,
    on_stage: Box<dyn Fn(Stage)>,
) -> Result<Sent, SendError> {
    let (mut plaintext, meta) = match &request.content {
        Content::Text(text) => {
            let size = text.len() as u64;
            (Plaintext::text(text.clone().into_bytes()), Meta::text(size))
        }
        Content::Files(files) => files_plaintext(files, request.locale)?,
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

    let plain_len = plaintext.size();
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

    if total <= max_inline {
        let plain = plaintext.read_all().await?;
        create.payload = Some(Opaque(seal_payload(keys.payload_key(), &plain)));
        let created = create_share(&create, &request).await?;
        report.stored(total);
        forget_picked();
        return Ok(links(&secret, &created, request.key_apart));
    }

    let created = create_share(&create, &request).await?;
    let unfinished = Unfinished::new(&created);
    let upload_token = created
        .upload_token
        .clone()
        .ok_or_else(|| SendError::Malformed("no upload token".into()))?;
    let parts = part_count(total);
    // Parts are sealed by the worker pool and uploaded as each is ready,
    // in any order: one per worker being sealed, and as many uploading as
    // fill the link ([`Pacing`]).
    let crypter = Rc::new(Crypter::new(keys.payload_key(), true));
    let mut pacing = Pacing::new(now_ms());
    let mut ranges = Ranges::new(plaintext);
    let mut running = FuturesUnordered::new();
    let mut next_part = 0u64;
    let mut stored = 0u64;
    loop {
        while running.len() < crypter.width() + pacing.uploads() && next_part < parts {
            let plan = part_plan(plain_len, next_part).ok_or(SendError::SizeMismatch)?;
            let plain = ranges.range(plan.plain_start, plan.plain_end).await?;
            let upload = seal_and_put(
                paths::part(&created.id, next_part),
                upload_token.clone(),
                plan,
                plain,
                crypter.clone(),
                report.clone(),
            );
            // Runs at once, beside the others; dropping the handle (a part
            // failed, the send is over) stops it at its next step.
            let (upload, handle) = upload.remote_handle();
            leptos::task::spawn_local(upload);
            running.push(handle);
            next_part += 1;
        }
        match running.next().await {
            Some(Ok(len)) => {
                stored += len;
                report.stored(stored);
                pacing.acknowledged(len, now_ms());
            }
            Some(Err(e)) => return Err(e),
            None => break,
        }
    }
    drop(ranges);
    if next_part != parts || stored != total {
        return Err(SendError::SizeMismatch);
    }
    report.completing();
    complete(&created.id, &upload_token).await?;
    unfinished.finished();
    forget_picked();
    Ok(links(&secret, &created, request.key_apart))
}

/// A share whose upload has not completed: revoked if the send ends
/// without its links (a part failed for good, or the sender cancelled), so
/// that nothing is left on the server that nobody will open.
struct Unfinished {
    id: ShareId,
    manage_token: Option<Token>,
}

impl Unfinished {
    fn new(created: &Created) -> Unfinished {
        Unfinished {
            id: created.id.clone(),
            manage_token: Some(created.manage_token.clone()),
        }
    }

    /// The upload completed: the share stays.
    fn finished(mut self) {
        self.manage_token = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let Some(token) = self.manage_token.take() else {
            return;
        };
        let path = paths::share(&self.id);
        // Outlives the send; retried while the network is down, after which
        // the server's sweeper removes the share at its expiry anyway.
        leptos::task::spawn_local(async move {
            let _ = call_with_retry("DELETE", &path, Some(&token), Body::Empty, |_, _| {}).await;
        });
    }
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

/// Creates the share, with the create token when the sender gave one; a
/// token the server took is kept as the sender asked, one it refused is
/// forgotten.
async fn create_share(create: &CreateRequest, request: &Request) -> Result<Created, SendError> {
    let body = to_json(create)?;
    let token = Some(request.create_token.as_str()).filter(|t| !t.is_empty());
    // Not retried: a create that reached the server but lost its answer
    // would leave a second, orphaned share.
    let answer = call_with_create_token("POST", &paths::shares(), token, Body::Json(&body)).await;
    match answer {
        Ok(response) => {
            if let Some(token) = token {
                storage::set(CREATE_TOKEN_KEY, token, request.remember_token);
            }
            Ok(json(&response).await?)
        }
        Err(e) => {
            let error = SendError::from(e);
            if error == SendError::BadCreateToken {
                storage::remove(CREATE_TOKEN_KEY);
            }
            Err(error)
        }
    }
}

/// Seals a part in the worker pool and uploads it to `path`, retrying
/// transient failures, so a network drop only pauses the upload; the
/// part's length once the server has it.
async fn seal_and_put(
    path: String,
    token: Token,
    plan: PartPlan,
    plain: Blob,
    crypter: Rc<Crypter>,
    report: Rc<Reporter<impl Fn(Stage) + 'static>>,
) -> Result<u64, SendError> {
    let sealed = crypter
        .seal(
            plan.first_record,
            plan.ends_payload,
            &plain,
            plan.cut_start,
            plan.cut_end,
        )
        .await?;
    let len = sealed.size() as u64;
    if len != plan.cut_end - plan.cut_start {
        return Err(SendError::SizeMismatch);
    }
    call_with_retry(
        "PUT",
        &path,
        Some(&token),
        Body::Bytes(&sealed),
        |attempt, _| report.retrying(attempt),
    )
    .await?;
    Ok(len)
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
