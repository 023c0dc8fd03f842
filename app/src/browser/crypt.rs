//! Sealing and opening payload records off the main thread (protocol §4).
//!
//! STREAM records depend only on their index, so a payload can be sealed
//! and opened in independent pieces. A [`Crypter`] runs those pieces in a
//! pool of module Web Workers (`public/crypt-worker.js`), one piece per
//! worker at a time, so every core of the machine works while the page
//! reads, uploads, downloads and writes. Each worker loads this same wasm
//! bundle and calls the `seal_records` / `open_records` exports of the
//! `frontend` crate. Where no worker can run, the pieces run in the page.
//! The pages start the pool ahead of a large transfer ([`warm_up`]), so
//! that the workers have loaded by the time the first piece comes.
//!
//! The payload key goes to a worker inside the message of each piece and
//! is overwritten on both sides once the piece is done; it never leaves
//! the browser.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use ots_crypto::{open_records, seal_records, PayloadKey, Plaintext};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::dom::js_error;
use super::files::read_blob;
use crate::failure::BrowserError;

/// The worker script, served from `public/`.
const WORKER_URL: &str = "/crypt-worker.js";

/// Most workers a pool starts, whatever the machine: past four, the
/// network and the disk bound a transfer, not the cipher.
const MAX_WORKERS: u32 = 4;

/// Why a piece did not give its bytes.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    /// The ciphertext did not open: damaged, or the wrong key (protocol §4).
    #[error("the share is damaged or the key is wrong")]
    Damaged,
    /// The piece of the bundle that seals and opens could not be fetched;
    /// the browser keeps that failure until the page is loaded again.
    #[error("part of the page could not be loaded")]
    NotLoaded,
    /// The browser failed (memory, a file that could not be read...).
    #[error(transparent)]
    Browser(BrowserError),
}

impl From<BrowserError> for CryptError {
    fn from(e: BrowserError) -> Self {
        CryptError::Browser(e)
    }
}

/// The code of [`seal_piece`] and [`open_piece`]: a piece of the wasm
/// bundle of its own, loaded by the workers (and by the page only when it
/// has to do the work itself).
impl From<SplitLoaderError> for CryptError {
    fn from(_: SplitLoaderError) -> Self {
        CryptError::NotLoaded
    }
}

/// Seals the records `first ..` holding `plain` and returns their
/// ciphertext, of which bytes `[from, to)` are a part of protocol §5,
/// "Upload": for a worker, whose bundle loads this piece on its first use.
#[wasm_split(stream_records, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn seal_piece(
    key: &[u8],
    first: u64,
    ends_payload: bool,
    plain: &[u8],
    from: usize,
    to: usize,
) -> Result<Sealed, CryptError> {
    seal_here(key, first, ends_payload, plain, from, to)
}

/// Opens the whole records `first ..` in `sealed` for a worker:
/// [`CryptError::Damaged`] when they do not authenticate.
#[wasm_split(stream_records, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn open_piece(
    key: &[u8],
    first: u64,
    ends_payload: bool,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptError> {
    open_here(key, first, ends_payload, sealed)
}

/// Does nothing but load the piece of the bundle that [`seal_piece`] and
/// [`open_piece`] live in: a worker calls it as soon as it starts, so that
/// its first piece does not wait for that download.
#[wasm_split(stream_records, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn load_records() -> Result<(), CryptError> {
    Ok(())
}

/// [`seal_piece`] in the page that runs it: the page's own code, so that a
/// page whose workers failed needs nothing more from the network.
fn seal_here(
    key: &[u8],
    first: u64,
    ends_payload: bool,
    plain: &[u8],
    from: usize,
    to: usize,
) -> Result<Sealed, CryptError> {
    let misshapen = || CryptError::Browser(BrowserError::Js("a misshapen piece".into()));
    let key = PayloadKey::from_slice(key).ok_or_else(misshapen)?;
    let bytes = seal_records(&key, first, plain, ends_payload).map_err(|_| misshapen())?;
    if from > to || to > bytes.len() {
        return Err(misshapen());
    }
    Ok(Sealed { bytes, from, to })
}

/// Sealed records and the part of them to upload. The part is copied out
/// of wasm memory where it sits: cutting the records down to it would
/// move nearly every byte of a part.
pub struct Sealed {
    bytes: Vec<u8>,
    from: usize,
    to: usize,
}

impl Sealed {
    /// The bytes to upload.
    pub fn part(&self) -> &[u8] {
        &self.bytes[self.from..self.to]
    }
}

/// [`open_piece`] in the page that runs it.
fn open_here(
    key: &[u8],
    first: u64,
    ends_payload: bool,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptError> {
    let key = PayloadKey::from_slice(key).ok_or(CryptError::Damaged)?;
    open_records(&key, first, sealed, ends_payload).map_err(|_| CryptError::Damaged)
}

thread_local! {
    /// A pool started by [`warm_up`] and not yet taken by a [`Crypter`]:
    /// `Some(None)` when the page tried and no worker can run here.
    static SPARE: RefCell<Option<Option<Pool>>> = const { RefCell::new(None) };
}

/// Starts the worker pool ahead of a transfer that will need it (a large
/// file was chosen, a large share's link was opened), so that the workers'
/// bundle and the piece of it that seals and opens are loaded by the time
/// the first piece comes; the next [`Crypter`] with workers takes it.
/// Starts at most one pool until a transfer takes it; the pool holds no
/// key until a piece comes.
pub fn warm_up() {
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.is_none() {
            *spare = Some(Pool::start());
        }
    });
}

/// Ends the pool [`warm_up`] started and no transfer took (the sender
/// removed the large file): its workers and their memory go.
pub fn cool_down() {
    let spare = SPARE.with(|spare| spare.borrow_mut().take());
    drop(spare);
}

/// Runs pieces in workers, or in the page where workers cannot run.
pub struct Crypter {
    key: PayloadKey,
    pool: Option<Rc<Pool>>,
}

impl Crypter {
    /// Starts the workers for a payload under `key`: as many as the
    /// machine has cores (at most [`MAX_WORKERS`]), or none for a payload
    /// small enough that starting one would cost more than the work.
    pub fn new(key: &PayloadKey, workers: bool) -> Crypter {
        let pool = if workers {
            SPARE
                .with(|spare| spare.borrow_mut().take())
                .unwrap_or_else(Pool::start)
        } else {
            None
        };
        Crypter {
            key: PayloadKey::from_bytes(*key.as_bytes()),
            pool: pool.map(Rc::new),
        }
    }

    /// How many pieces can be worked on at once.
    pub fn width(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.slots.len())
    }

    /// Seals the records `first ..` whose plaintext is `plain` (a Blob: a
    /// slice of the chosen file, or bytes the page made) and returns the
    /// bytes `[from, to)` of their ciphertext as a Blob to upload.
    pub async fn seal(
        &self,
        first: u64,
        ends_payload: bool,
        plain: &Blob,
        from: u64,
        to: u64,
    ) -> Result<Blob, CryptError> {
        if let Some(pool) = self.live_pool() {
            let job = Job::new(&self.key, "seal", first, ends_payload, plain)?;
            job.set("from", (from as f64).into())?;
            job.set("to", (to as f64).into())?;
            match pool.run(&job, None).await {
                Ok(answer) => {
                    if let Some(msg) = field(&answer, "unreadable")?.as_string() {
                        return Err(BrowserError::FileUnreadable(msg).into());
                    }
                    if field(&answer, "changed")?.is_truthy() {
                        return Err(BrowserError::FileChanged.into());
                    }
                    let part = field(&answer, "part")?
                        .dyn_into::<Uint8Array>()
                        .map_err(|_| BrowserError::Js("a worker gave no part".into()))?;
                    return Ok(array_blob(&part)?);
                }
                Err(Failure::Unavailable(why)) => pool.give_up(&why),
                Err(Failure::Failed(e)) => return Err(e),
            }
        }
        let bytes = Plaintext::new(read_blob(plain).await?);
        let key = self.key.as_bytes();
        let (from, to) = (from as usize, to as usize);
        let sealed = seal_here(key, first, ends_payload, &bytes, from, to)?;
        Ok(bytes_blob(sealed.part())?)
    }

    /// Opens the whole records `first ..` held in `sealed`, downloaded
    /// chunks (`Uint8Array`s) in order, and returns their plaintext. The
    /// chunks' buffers may go to a worker: nothing else may use them.
    pub async fn open(
        &self,
        first: u64,
        ends_payload: bool,
        sealed: &Array,
    ) -> Result<Uint8Array, CryptError> {
        if let Some(pool) = self.live_pool() {
            let job = Job::new(&self.key, "open", first, ends_payload, sealed)?;
            match pool.run(&job, Some(&buffers(sealed))).await {
                Ok(answer) => {
                    if field(&answer, "damaged")?.is_truthy() {
                        return Err(CryptError::Damaged);
                    }
                    return field(&answer, "plain")?
                        .dyn_into::<Uint8Array>()
                        .map_err(|_| BrowserError::Js("a worker gave no plaintext".into()).into());
                }
                Err(Failure::Unavailable(why)) => pool.give_up(&why),
                Err(Failure::Failed(e)) => return Err(e),
            }
        }
        let bytes = gather(sealed);
        let plain = Plaintext::new(open_here(self.key.as_bytes(), first, ends_payload, &bytes)?);
        Ok(Uint8Array::from(&plain[..]))
    }

    fn live_pool(&self) -> Option<&Rc<Pool>> {
        self.pool.as_ref().filter(|p| !p.broken.get())
    }
}

/// The message of one piece: what to do, the key, the records and the bytes.
struct Job {
    message: Object,
    key: Uint8Array,
}

impl Job {
    fn new(
        key: &PayloadKey,
        op: &str,
        first: u64,
        ends_payload: bool,
        data: &JsValue,
    ) -> Result<Job, BrowserError> {
        let job = Job {
            message: Object::new(),
            key: Uint8Array::from(key.as_bytes().as_slice()),
        };
        job.set("op", op.into())?;
        job.set("key", job.key.clone().into())?;
        job.set("first", (first as f64).into())?;
        job.set("ends", ends_payload.into())?;
        job.set("data", data.clone())?;
        Ok(job)
    }

    fn set(&self, name: &str, value: JsValue) -> Result<(), BrowserError> {
        Reflect::set(&self.message, &name.into(), &value)
            .map(|_| ())
            .map_err(js_error)
    }
}

impl Drop for Job {
    /// The worker got a copy of the key; this one is overwritten.
    fn drop(&mut self) {
        self.key.fill(0, 0, self.key.length());
    }
}

/// The distinct buffers under `chunks`, to move them to a worker.
fn buffers(chunks: &Array) -> Array {
    let seen = js_sys::Set::new(&JsValue::UNDEFINED);
    for chunk in chunks.iter() {
        seen.add(&chunk.unchecked_into::<Uint8Array>().buffer());
    }
    Array::from(&seen)
}

fn field(answer: &JsValue, name: &str) -> Result<JsValue, BrowserError> {
    Reflect::get(answer, &name.into()).map_err(js_error)
}

/// The bytes of `chunks` (`Uint8Array`s, e.g. downloaded pieces of
/// ciphertext) one after the other, in wasm memory.
pub fn gather(chunks: &Array) -> Vec<u8> {
    // `Uint8Array::new` of a Uint8Array would copy it: these are views.
    let chunks: Vec<Uint8Array> = chunks.iter().map(JsCast::unchecked_into).collect();
    let mut bytes = vec![0; chunks.iter().map(|c| c.length() as usize).sum()];
    let mut at = 0;
    for chunk in chunks {
        let end = at + chunk.length() as usize;
        chunk.copy_to(&mut bytes[at..end]);
        at = end;
    }
    bytes
}

/// Bytes as a Blob (copied out of wasm memory once).
pub fn bytes_blob(bytes: &[u8]) -> Result<Blob, BrowserError> {
    array_blob(&Uint8Array::from(bytes))
}

/// The bytes of `array` as a Blob, made by the page.
///
/// A Blob's bytes stay in the browser's memory until every object that
/// refers to them is garbage collected, and a Blob object costs the
/// collector next to nothing, so a page that only passes Blobs around can
/// hold a whole payload's parts long after they were uploaded (Chromium
/// then fails uploads with `ERR_BLOB_OUT_OF_MEMORY`). The array a part is
/// made from is as large as the part: the collector counts it, and it runs
/// often enough to let the parts go.
fn array_blob(array: &Uint8Array) -> Result<Blob, BrowserError> {
    let parts = Array::of1(array);
    let opts = BlobPropertyBag::new();
    opts.set_type("application/octet-stream");
    Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(js_error)
}

/// Why a worker did not answer a piece.
enum Failure {
    /// The worker could not run (no module workers, the bundle did not
    /// load in it), and why: the page does the work itself from now on.
    Unavailable(String),
    /// The worker ran, and the piece failed.
    Failed(CryptError),
}

/// The promises of the pieces a worker is on, by piece number: their
/// `resolve` and `reject`.
type Pending = Rc<RefCell<HashMap<u32, (Function, Function)>>>;

/// Pieces each worker holds at once: while it seals or opens one, the
/// bytes of the next are already on their way to it.
const DEPTH: usize = 2;

/// One worker, and the handlers that answer its piece.
struct Slot {
    worker: Worker,
    pending: Pending,
    /// Set once the worker answered a piece: its bundle is loaded, so a
    /// piece's bytes can be moved to it rather than copied.
    proven: Cell<bool>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

/// The workers, and which of them can take a piece.
struct Pool {
    slots: Vec<Slot>,
    /// A worker's index once for each piece it can still take.
    idle: RefCell<Vec<usize>>,
    /// The number of the next piece.
    next_id: Cell<u32>,
    /// Callers waiting for a free worker: the `resolve` of their promise.
    waiting: RefCell<VecDeque<Function>>,
    /// Set when a worker could not run: the page does the work from then on.
    broken: Rc<Cell<bool>>,
}

impl Pool {
    fn start() -> Option<Pool> {
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency())
            .unwrap_or(1.0);
        let count = (cores as u32).clamp(1, MAX_WORKERS);
        let opts = WorkerOptions::new();
        opts.set_type(WorkerType::Module);
        opts.set_name("ots-crypt");
        let broken = Rc::new(Cell::new(false));
        let slots: Vec<Slot> = (0..count)
            .filter_map(|_| {
                let worker = Worker::new_with_options(WORKER_URL, &opts).ok()?;
                let pending: Pending = Rc::default();
                let answered = pending.clone();
                let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                    let data = e.data();
                    let id = field(&data, "id").ok().and_then(|id| id.as_f64());
                    let promise = id.and_then(|id| answered.borrow_mut().remove(&(id as u32)));
                    if let Some((resolve, _)) = promise {
                        let _ = resolve.call1(&JsValue::NULL, &data);
                    }
                });
                let failed = pending.clone();
                let dead = broken.clone();
                // A script that does not load fails here, with or without a piece.
                let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
                    let why = e
                        .dyn_ref::<web_sys::ErrorEvent>()
                        .map(|e| e.message())
                        .unwrap_or_else(|| "the worker's script did not load".into());
                    fall_back(&dead, &why);
                    let promises: Vec<_> = failed.borrow_mut().drain().collect();
                    for (_, (_, reject)) in promises {
                        let _ = reject.call1(&JsValue::NULL, &e);
                    }
                });
                worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                // A message that cannot be read is as bad as a worker that died.
                worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
                Some(Slot {
                    worker,
                    pending,
                    proven: Cell::new(false),
                    _on_message: on_message,
                    _on_error: on_error,
                })
            })
            .collect();
        if slots.is_empty() {
            web_sys::console::warn_1(
                &"payload records are sealed and opened on the main thread: no module worker here"
                    .into(),
            );
            return None;
        }
        Some(Pool {
            idle: RefCell::new((0..DEPTH).flat_map(|_| 0..slots.len()).collect()),
            next_id: Cell::new(0),
            slots,
            waiting: RefCell::new(VecDeque::new()),
            broken,
        })
    }

    /// No more pieces for the workers: the page does the work.
    fn give_up(&self, why: &str) {
        fall_back(&self.broken, why);
    }

    /// Runs `job` on the next free worker. The buffers in `movable` are
    /// moved to a worker known to run (they are unusable here after), and
    /// copied to one not yet known to, so that the page can still do the
    /// piece itself if that worker cannot.
    ///
    /// A worker that fails before it ever answered (its bundle, or the piece
    /// of it that seals and opens, did not load) is unavailable: the page
    /// does the work. Once a worker answered, its failures are the piece's.
    async fn run(&self, job: &Job, movable: Option<&Array>) -> Result<JsValue, Failure> {
        let turn = Turn {
            pool: self,
            index: self.acquire().await,
        };
        let slot = &self.slots[turn.index];
        let answer = self.ask(turn.index, job, movable).await;
        drop(turn);
        let answer = answer?;
        match field(&answer, "error").map(|e| e.as_string()) {
            Ok(None) => {
                slot.proven.set(true);
                Ok(answer)
            }
            Ok(Some(msg)) if msg.starts_with("init:") || !slot.proven.get() => {
                Err(Failure::Unavailable(msg))
            }
            Ok(Some(msg)) => Err(Failure::Failed(BrowserError::Js(msg).into())),
            Err(e) => Err(Failure::Failed(e.into())),
        }
    }

    async fn ask(
        &self,
        index: usize,
        job: &Job,
        movable: Option<&Array>,
    ) -> Result<JsValue, Failure> {
        let slot = &self.slots[index];
        if self.broken.get() {
            return Err(Failure::Unavailable("a worker failed before".into()));
        }
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        job.set("id", id.into())
            .map_err(|e| Failure::Failed(e.into()))?;
        let reply = Promise::new(&mut |resolve, reject| {
            slot.pending.borrow_mut().insert(id, (resolve, reject));
        });
        let moved = movable.filter(|_| slot.proven.get());
        let posted = match moved {
            Some(transfer) => slot
                .worker
                .post_message_with_transfer(&job.message, transfer),
            None => slot.worker.post_message(&job.message),
        };
        if let Err(e) = posted {
            slot.pending.borrow_mut().remove(&id);
            return Err(Failure::Unavailable(super::dom::js_text(e)));
        }
        let answer = JsFuture::from(reply).await;
        match answer {
            Ok(answer) => Ok(answer),
            // The bytes went with the piece: the page cannot do it instead.
            Err(_) if moved.is_some() => Err(Failure::Failed(
                BrowserError::Js("a worker stopped".into()).into(),
            )),
            Err(e) => Err(Failure::Unavailable(
                e.dyn_ref::<web_sys::ErrorEvent>()
                    .map(|e| e.message())
                    .unwrap_or_default(),
            )),
        }
    }

    async fn acquire(&self) -> usize {
        loop {
            if let Some(index) = self.idle.borrow_mut().pop() {
                return index;
            }
            let turn = Promise::new(&mut |resolve, _| self.waiting.borrow_mut().push_back(resolve));
            let _ = JsFuture::from(turn).await;
        }
    }

    /// Gives a worker's place back and wakes every caller waiting for one:
    /// each looks again, so a waiter that went away loses no wake-up.
    fn release(&self, index: usize) {
        self.idle.borrow_mut().push(index);
        let waiting: Vec<Function> = self.waiting.borrow_mut().drain(..).collect();
        for next in waiting {
            let _ = next.call0(&JsValue::NULL);
        }
    }
}

/// A worker's place taken by one piece: given back when the piece is done,
/// or when whoever waited for it went away.
struct Turn<'p> {
    pool: &'p Pool,
    index: usize,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.pool.release(self.index);
    }
}

/// Marks the pool as unable to work, saying so in the console once.
fn fall_back(broken: &Cell<bool>, why: &str) {
    if !broken.replace(true) {
        web_sys::console::warn_1(
            &format!("payload records are sealed and opened on the main thread: the workers did not start ({why})")
                .into(),
        );
    }
}

impl Drop for Pool {
    /// The workers' memory goes with them.
    fn drop(&mut self) {
        for slot in &self.slots {
            // No answer may reach the handlers dropped with the pool.
            slot.worker.set_onmessage(None);
            slot.worker.set_onerror(None);
            slot.worker.set_onmessageerror(None);
            slot.worker.terminate();
        }
    }
}
