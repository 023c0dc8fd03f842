//! Where a received file goes while it is decrypted: streamed into the
//! Origin Private File System when the browser can write there, otherwise
//! gathered in memory. Either way the result is handed to the browser as a
//! download (an attachment), never shown.
//!
//! A worker of its own (`public/save-worker.js`) writes the file through a
//! synchronous access handle where the browser has one: a gibibyte costs
//! Chromium about 2 CPU-seconds that way, against 12 through a writable
//! stream, whose every chunk passes through the browser's own process and a
//! swap file. Where that worker cannot open the file, the page writes it
//! through a writable stream.
//!
//! A decrypted file must not outlive its use. The browser reads the
//! download from the private file while it saves it and never tells the
//! page when it is done, so the file stays while the page is open (for
//! the download and "save it again") and goes when the recipient says so,
//! when the page is left or closed, and, for a tab that was killed, at
//! the next load of any page of the app. Each tab holds a Web Lock named
//! for each of its files, so that a load in one tab never removes a file
//! another open tab is still saving.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::FileSystemWritableFileStream;
use web_sys::{
    Blob, BlobPropertyBag, FileSystemDirectoryHandle, FileSystemFileHandle,
    FileSystemGetFileOptions, MessageEvent, Worker,
};

use super::dom::{js_error, js_text, random_bytes, window};
use crate::failure::BrowserError;

/// Prefix of this app's files in the origin private file system.
const ENTRY_PREFIX: &str = "ots-";

/// The script of the worker that writes a file through a synchronous
/// access handle.
const SAVE_WORKER_URL: &str = "/save-worker.js";

/// Prefix of the Web Lock a tab holds for each of its files.
const LOCK_PREFIX: &str = "onetimeshare-file:";

/// Without Web Locks, files older than this are taken as left over from a
/// closed tab (no save takes that long to start).
const STALE_AFTER_MS: f64 = 60.0 * 60.0 * 1000.0;

/// A file of this tab in the private file system, and the release of its
/// lock.
struct TabFile {
    dir: FileSystemDirectoryHandle,
    entry: String,
    release: Option<Function>,
}

impl TabFile {
    /// Starts removing the file (the browser finishes it even if the page
    /// goes away) and releases its lock.
    fn remove(self) -> Promise {
        let removing = self.dir.remove_entry(&self.entry);
        if let Some(release) = self.release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        removing
    }
}

thread_local! {
    /// The files this tab wrote and has not removed yet.
    static TAB_FILES: RefCell<Vec<TabFile>> = const { RefCell::new(Vec::new()) };
    /// Whether the `pagehide` listener that removes them is in place.
    static ON_PAGEHIDE: Cell<bool> = const { Cell::new(false) };
}

/// Removes every file this tab wrote: once the recipient has the file,
/// and before the next one is received.
pub async fn remove_tab_files() {
    let files = TAB_FILES.with(|f| f.take());
    for file in files {
        let _ = JsFuture::from(file.remove()).await;
    }
}

/// Removes the files of tabs that are gone. Called at every page load.
pub async fn remove_leftovers() {
    let Ok(dir) = opfs_root().await else {
        return;
    };
    let names = entry_names(&dir).await;
    if names.is_empty() {
        return;
    }
    let locked = locked_names().await;
    let now = js_sys::Date::now();
    for name in names {
        let ours = TAB_FILES.with(|f| f.borrow().iter().any(|t| t.entry == name));
        let leftover = match &locked {
            Some(locked) => !locked.contains(&format!("{LOCK_PREFIX}{name}")),
            None => created_ms(&name).is_some_and(|ms| now - ms > STALE_AFTER_MS),
        };
        if leftover && !ours {
            let _ = JsFuture::from(dir.remove_entry(&name)).await;
        }
    }
}

/// The root of the origin private file system, when the browser has one.
async fn opfs_root() -> Result<FileSystemDirectoryHandle, NoOpfs> {
    let storage = window().navigator().storage();
    // Older browsers have no getDirectory: calling it throws or is undefined.
    if !Reflect::has(&storage, &JsValue::from_str("getDirectory")).unwrap_or(false) {
        return Err(NoOpfs::Missing);
    }
    JsFuture::from(storage.get_directory())
        .await?
        .dyn_into()
        .map_err(|_| NoOpfs::Failed)
}

/// The names of this app's entries in `dir`.
async fn entry_names(dir: &FileSystemDirectoryHandle) -> Vec<String> {
    let iter = dir.keys();
    let mut names = Vec::new();
    loop {
        let Ok(promise) = iter.next() else { break };
        let Ok(step) = JsFuture::from(promise).await else {
            break;
        };
        if Reflect::get(&step, &"done".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        if let Some(name) = Reflect::get(&step, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
            .filter(|n| n.starts_with(ENTRY_PREFIX))
        {
            names.push(name);
        }
    }
    names
}

/// When an entry was created, from its name.
fn created_ms(name: &str) -> Option<f64> {
    name.strip_prefix(ENTRY_PREFIX)?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// `navigator.locks`, where the browser has Web Locks.
fn lock_manager() -> Option<JsValue> {
    Reflect::get(&window().navigator(), &JsValue::from_str("locks"))
        .ok()
        .filter(|l| l.is_object())
}

/// Asks for the lock `name` and holds it until the returned function is
/// called (or the tab is gone); `None` without Web Locks.
fn hold_lock(name: &str) -> Option<Function> {
    let locks = lock_manager()?;
    let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into()
        .ok()?;
    let mut release = None;
    let held = Promise::new(&mut |resolve, _reject| release = Some(resolve));
    // The lock is held for as long as the callback's promise is pending.
    let callback = Closure::once_into_js(move |_lock: JsValue| JsValue::from(held));
    request
        .call2(&locks, &JsValue::from_str(name), &callback)
        .ok()?;
    release
}

/// The names of every Web Lock held or asked for, in any tab of this
/// origin; `None` without Web Locks.
async fn locked_names() -> Option<Vec<String>> {
    let locks = lock_manager()?;
    let query: Function = Reflect::get(&locks, &JsValue::from_str("query"))
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: Promise = query.call0(&locks).ok()?.dyn_into().ok()?;
    let snapshot = JsFuture::from(promise).await.ok()?;
    let mut names = Vec::new();
    for list in ["held", "pending"] {
        let Ok(list) = Reflect::get(&snapshot, &JsValue::from_str(list)) else {
            continue;
        };
        for lock in Array::from(&list).iter() {
            if let Some(name) = Reflect::get(&lock, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
            {
                names.push(name);
            }
        }
    }
    Some(names)
}

/// Makes sure leaving the page removes this tab's files. `pagehide` also
/// fires for a page kept in the back/forward cache, which is fine: the
/// page's "save it again" is only promised while it stays open.
fn remove_on_pagehide() {
    if ON_PAGEHIDE.with(|set| set.replace(true)) {
        return;
    }
    let listener = Closure::<dyn Fn()>::new(|| {
        for file in TAB_FILES.with(|f| f.take()) {
            // Not awaited: there is no later. The browser carries it out.
            let _ = file.remove();
        }
    })
    .into_js_value();
    let _ = window().add_event_listener_with_callback("pagehide", listener.unchecked_ref());
}

/// A write to the private file system under way.
pub struct Written(JsFuture);

impl std::future::IntoFuture for Written {
    type Output = Result<(), BrowserError>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            self.0
                .await
                .map(|_| ())
                .map_err(|e| BrowserError::FileUnwritable(js_text(e)))
        })
    }
}

/// A received file being written.
pub struct Sink {
    kind: SinkKind,
}

enum SinkKind {
    /// Streamed to disk by a worker of its own: memory stays flat whatever
    /// the size.
    Writer {
        dir: FileSystemDirectoryHandle,
        entry: String,
        handle: FileSystemFileHandle,
        writer: SaveWorker,
    },
    /// Streamed to disk through a writable stream.
    Opfs {
        dir: FileSystemDirectoryHandle,
        entry: String,
        handle: FileSystemFileHandle,
        writable: FileSystemWritableFileStream,
    },
    /// Held in memory as a list of chunks (browsers without OPFS writes).
    Memory { parts: Array },
}

impl Sink {
    /// Opens a sink for `size` plaintext bytes: the private file system
    /// when it works and has room, memory otherwise.
    pub async fn open(size: u64) -> Sink {
        match open_opfs(size).await {
            Ok(kind) => Sink { kind },
            Err(_) => Sink::memory(),
        }
    }

    /// A sink in memory, for texts.
    pub fn memory() -> Sink {
        Sink {
            kind: SinkKind::Memory {
                parts: Array::new(),
            },
        }
    }

    /// True when the bytes go to disk rather than memory.
    pub fn is_on_disk(&self) -> bool {
        matches!(self.kind, SinkKind::Opfs { .. } | SinkKind::Writer { .. })
    }

    /// Starts appending `chunk`, which nobody may change afterwards; the
    /// answer, when there is one, settles once the bytes are written. Writes
    /// land in the order they were started.
    pub fn start_write(&mut self, chunk: &Uint8Array) -> Result<Option<Written>, BrowserError> {
        match &self.kind {
            SinkKind::Writer { writer, .. } => Ok(Some(writer.write(chunk))),
            SinkKind::Opfs { writable, .. } => {
                let promise = writable
                    .write_with_js_u8_array(chunk)
                    .map_err(|e| BrowserError::FileUnwritable(js_text(e)))?;
                Ok(Some(Written(JsFuture::from(promise))))
            }
            SinkKind::Memory { parts } => {
                parts.push(chunk);
                Ok(None)
            }
        }
    }

    /// Closes the sink and returns its content as a Blob typed
    /// `application/octet-stream`, so that no browser renders it.
    pub async fn finish(self) -> Result<Blob, BrowserError> {
        match self.kind {
            SinkKind::Writer { handle, writer, .. } => {
                writer.close().await?;
                drop(writer);
                typed_file(&handle).await
            }
            SinkKind::Opfs {
                writable, handle, ..
            } => {
                JsFuture::from(writable.close())
                    .await
                    .map_err(|e| BrowserError::FileUnwritable(js_text(e)))?;
                typed_file(&handle).await
            }
            SinkKind::Memory { parts } => {
                let opts = BlobPropertyBag::new();
                opts.set_type("application/octet-stream");
                Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(js_error)
            }
        }
    }

    /// Throws away what was written: nothing of a damaged share is kept.
    pub async fn discard(self) {
        let (dir, entry) = match self.kind {
            SinkKind::Writer {
                dir, entry, writer, ..
            } => {
                // Closed first: an open access handle keeps the entry.
                let _ = writer.close().await;
                drop(writer);
                (dir, entry)
            }
            SinkKind::Opfs {
                dir,
                entry,
                writable,
                ..
            } => {
                let _ = JsFuture::from(writable.abort()).await;
                (dir, entry)
            }
            SinkKind::Memory { .. } => return,
        };
        let _ = JsFuture::from(dir.remove_entry(&entry)).await;
        forget_tab_file(&entry);
    }
}

/// The file behind `handle` as a Blob typed `application/octet-stream`, so
/// that nothing ever renders it.
async fn typed_file(handle: &FileSystemFileHandle) -> Result<Blob, BrowserError> {
    let file = JsFuture::from(handle.get_file()).await.map_err(js_error)?;
    let file: Blob = file
        .dyn_into()
        .map_err(|_| BrowserError::Js("not a file".into()))?;
    file.slice_with_f64_and_f64_and_content_type(0.0, file.size(), "application/octet-stream")
        .map_err(js_error)
}

/// The answers a [`SaveWorker`] still owes, in the order it was asked: the
/// `resolve` and `reject` of each promise; `None` once the worker failed.
type Owed = Rc<RefCell<Option<VecDeque<(Function, Function)>>>>;

/// The worker that writes one file (`public/save-worker.js`). It answers
/// its messages one by one, in order. Terminated when dropped.
struct SaveWorker {
    worker: Worker,
    owed: Owed,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl SaveWorker {
    /// Starts a worker and has it open `entry` of the private file
    /// system's root; `None` when it cannot (no workers, no synchronous
    /// access handles, the script did not load, the file is in use).
    async fn open(entry: &str) -> Option<SaveWorker> {
        let worker = Worker::new(SAVE_WORKER_URL).ok()?;
        let owed: Owed = Rc::new(RefCell::new(Some(VecDeque::new())));
        let answered = owed.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let next = answered.borrow_mut().as_mut().and_then(VecDeque::pop_front);
            let Some((resolve, reject)) = next else {
                return;
            };
            let data = e.data();
            match Reflect::get(&data, &"error".into()) {
                Ok(error) if !error.is_undefined() => {
                    let _ = reject.call1(&JsValue::NULL, &error);
                }
                _ => {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::UNDEFINED);
                }
            }
        });
        let failed = owed.clone();
        // A script that does not load, or a message that cannot be read,
        // fails every answer owed and every later question.
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let why = e
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .unwrap_or_else(|| "the save worker did not run".into());
            for (_, reject) in failed.borrow_mut().take().into_iter().flatten() {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&why));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
        let writer = SaveWorker {
            worker,
            owed,
            _on_message: on_message,
            _on_error: on_error,
        };
        let job = Object::new();
        Reflect::set(&job, &"op".into(), &"open".into()).ok()?;
        Reflect::set(&job, &"entry".into(), &entry.into()).ok()?;
        JsFuture::from(writer.ask(&job, None)).await.ok()?;
        Some(writer)
    }

    /// Posts `job` (moving the buffers in `transfer`) and returns the
    /// promise of its answer.
    fn ask(&self, job: &JsValue, transfer: Option<&Array>) -> Promise {
        let mut settle = None;
        let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let Some((resolve, reject)) = settle else {
            return Promise::reject(&"no promise".into());
        };
        let mut owed = self.owed.borrow_mut();
        let Some(queue) = owed.as_mut() else {
            return Promise::reject(&"the save worker failed".into());
        };
        let posted = match transfer {
            Some(transfer) => self.worker.post_message_with_transfer(job, transfer),
            None => self.worker.post_message(job),
        };
        match posted {
            Ok(()) => {
                queue.push_back((resolve, reject));
                promise
            }
            Err(e) => Promise::reject(&e),
        }
    }

    /// Starts appending `chunk`: its bytes move to the worker (a copy of
    /// them when `chunk` is a view into a larger buffer).
    fn write(&self, chunk: &Uint8Array) -> Written {
        let whole = chunk.byte_offset() == 0 && chunk.byte_length() == chunk.buffer().byte_length();
        let data = if whole {
            chunk.clone()
        } else {
            chunk.slice(0, chunk.length())
        };
        let job = Object::new();
        let asked = Reflect::set(&job, &"op".into(), &"write".into())
            .and_then(|_| Reflect::set(&job, &"data".into(), &data));
        let promise = match asked {
            Ok(_) => self.ask(&job, Some(&Array::of1(&data.buffer()))),
            Err(e) => Promise::reject(&e),
        };
        Written(JsFuture::from(promise))
    }

    /// Flushes and closes the file; answers once every write before it is
    /// done.
    async fn close(&self) -> Result<(), BrowserError> {
        let job = Object::new();
        Reflect::set(&job, &"op".into(), &"close".into()).map_err(js_error)?;
        JsFuture::from(self.ask(&job, None))
            .await
            .map(|_| ())
            .map_err(|e| BrowserError::FileUnwritable(js_text(e)))
    }
}

impl Drop for SaveWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}

/// Takes `entry` off this tab's list, releasing its lock.
fn forget_tab_file(entry: &str) {
    let gone = TAB_FILES.with(|f| {
        let mut files = f.borrow_mut();
        let at = files.iter().position(|t| t.entry == entry)?;
        Some(files.remove(at))
    });
    if let Some(release) = gone.and_then(|t| t.release) {
        let _ = release.call0(&JsValue::UNDEFINED);
    }
}

/// Why the private file system cannot take this file; the sink then
/// gathers it in memory.
enum NoOpfs {
    /// The browser has no (writable) origin private file system.
    Missing,
    /// Not enough quota left for the file.
    NoRoom,
    /// A call into it failed.
    Failed,
}

impl From<JsValue> for NoOpfs {
    fn from(_: JsValue) -> Self {
        NoOpfs::Failed
    }
}

async fn open_opfs(size: u64) -> Result<SinkKind, NoOpfs> {
    let storage = window().navigator().storage();
    if let Ok(promise) = storage.estimate() {
        if let Ok(estimate) = JsFuture::from(promise).await {
            let quota = Reflect::get(&estimate, &"quota".into())
                .ok()
                .and_then(|v| v.as_f64());
            let usage = Reflect::get(&estimate, &"usage".into())
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            if let Some(quota) = quota {
                if quota - usage < size as f64 {
                    return Err(NoOpfs::NoRoom);
                }
            }
        }
    }
    let dir = opfs_root().await?;
    let tag: [u8; 8] = random_bytes().map_err(|_| NoOpfs::Failed)?;
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let entry = format!("{ENTRY_PREFIX}{}-{hex}", js_sys::Date::now() as u64);
    // The lock first: another tab's clean-up must never see the file unlocked.
    let release = hold_lock(&format!("{LOCK_PREFIX}{entry}"));
    remove_on_pagehide();
    TAB_FILES.with(|f| {
        f.borrow_mut().push(TabFile {
            dir: dir.clone(),
            entry: entry.clone(),
            release,
        })
    });
    let opened = open_entry(dir.clone(), entry.clone()).await;
    if opened.is_err() {
        let _ = JsFuture::from(dir.remove_entry(&entry)).await;
        forget_tab_file(&entry);
    }
    opened
}

/// Creates `entry` in `dir` and opens it for writing: in a save worker
/// where it can, through a writable stream otherwise.
async fn open_entry(dir: FileSystemDirectoryHandle, entry: String) -> Result<SinkKind, NoOpfs> {
    let opts = FileSystemGetFileOptions::new();
    opts.set_create(true);
    let handle: FileSystemFileHandle =
        JsFuture::from(dir.get_file_handle_with_options(&entry, &opts))
            .await?
            .dyn_into()
            .map_err(|_| NoOpfs::Failed)?;
    if let Some(writer) = SaveWorker::open(&entry).await {
        return Ok(SinkKind::Writer {
            dir,
            entry,
            handle,
            writer,
        });
    }
    // Safari before 26 has OPFS but no createWritable on the main thread.
    if !Reflect::has(&handle, &JsValue::from_str("createWritable")).unwrap_or(false) {
        return Err(NoOpfs::Missing);
    }
    let writable = JsFuture::from(handle.create_writable())
        .await?
        .unchecked_into::<FileSystemWritableFileStream>();
    Ok(SinkKind::Opfs {
        dir,
        entry,
        handle,
        writable,
    })
}
