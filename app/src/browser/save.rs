//! Where a received file goes while it is decrypted: streamed into the
//! Origin Private File System when the browser can write there, otherwise
//! gathered in memory. Either way the result is handed to the browser as a
//! download (an attachment), never shown.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::FileSystemWritableFileStream;
use web_sys::{
    Blob, BlobPropertyBag, FileSystemDirectoryHandle, FileSystemFileHandle,
    FileSystemGetFileOptions,
};

use super::dom::{js_error, js_text, random_bytes, window};
use crate::failure::BrowserError;

/// Prefix of this app's files in the origin private file system.
const ENTRY_PREFIX: &str = "ots-";

/// Files older than this are left over from an earlier visit and removed.
const STALE_AFTER_MS: f64 = 60.0 * 60.0 * 1000.0;

/// A received file being written.
pub struct Sink {
    kind: SinkKind,
}

enum SinkKind {
    /// Streamed to disk: memory stays flat whatever the size.
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
        matches!(self.kind, SinkKind::Opfs { .. })
    }

    /// Appends decrypted bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BrowserError> {
        if bytes.is_empty() {
            return Ok(());
        }
        // A copy owned by JS: the stream may read it after wasm memory moved on.
        let chunk = Uint8Array::from(bytes);
        match &self.kind {
            SinkKind::Opfs { writable, .. } => {
                let promise = writable
                    .write_with_js_u8_array(&chunk)
                    .map_err(|e| BrowserError::FileUnwritable(js_text(e)))?;
                JsFuture::from(promise)
                    .await
                    .map_err(|e| BrowserError::FileUnwritable(js_text(e)))?;
            }
            SinkKind::Memory { parts } => {
                parts.push(&chunk);
            }
        }
        Ok(())
    }

    /// Closes the sink and returns its content as a Blob typed
    /// `application/octet-stream`, so that no browser renders it.
    pub async fn finish(self) -> Result<Blob, BrowserError> {
        match self.kind {
            SinkKind::Opfs {
                writable, handle, ..
            } => {
                JsFuture::from(writable.close())
                    .await
                    .map_err(|e| BrowserError::FileUnwritable(js_text(e)))?;
                let file = JsFuture::from(handle.get_file()).await.map_err(js_error)?;
                let file: Blob = file
                    .dyn_into()
                    .map_err(|_| BrowserError::Js("not a file".into()))?;
                // Typed explicitly, so that nothing ever renders it.
                file.slice_with_f64_and_f64_and_content_type(
                    0.0,
                    file.size(),
                    "application/octet-stream",
                )
                .map_err(js_error)
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
        if let SinkKind::Opfs {
            dir,
            entry,
            writable,
            ..
        } = self.kind
        {
            let _ = JsFuture::from(writable.abort()).await;
            let _ = JsFuture::from(dir.remove_entry(&entry)).await;
        }
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
    // Older browsers have no getDirectory: calling it throws or is undefined.
    if !Reflect::has(&storage, &JsValue::from_str("getDirectory")).unwrap_or(false) {
        return Err(NoOpfs::Missing);
    }
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
    let dir: FileSystemDirectoryHandle = JsFuture::from(storage.get_directory())
        .await?
        .dyn_into()
        .map_err(|_| NoOpfs::Failed)?;
    remove_stale(&dir).await;
    let tag: [u8; 8] = random_bytes().map_err(|_| NoOpfs::Failed)?;
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let entry = format!("{ENTRY_PREFIX}{}-{hex}", js_sys::Date::now() as u64);
    let opts = FileSystemGetFileOptions::new();
    opts.set_create(true);
    let handle: FileSystemFileHandle =
        JsFuture::from(dir.get_file_handle_with_options(&entry, &opts))
            .await?
            .dyn_into()
            .map_err(|_| NoOpfs::Failed)?;
    // Safari before 26 has OPFS but no createWritable on the main thread.
    if !Reflect::has(&handle, &JsValue::from_str("createWritable")).unwrap_or(false) {
        let _ = JsFuture::from(dir.remove_entry(&entry)).await;
        return Err(NoOpfs::Missing);
    }
    let writable = match JsFuture::from(handle.create_writable()).await {
        Ok(w) => w.unchecked_into::<FileSystemWritableFileStream>(),
        Err(_) => {
            let _ = JsFuture::from(dir.remove_entry(&entry)).await;
            return Err(NoOpfs::Failed);
        }
    };
    Ok(SinkKind::Opfs {
        dir,
        entry,
        handle,
        writable,
    })
}

/// Removes this app's files left from visits more than an hour ago (a file
/// stays after its download starts, since the download reads from it).
async fn remove_stale(dir: &FileSystemDirectoryHandle) {
    let now = js_sys::Date::now();
    let iter = dir.keys();
    let mut stale = Vec::new();
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
        let Some(name) = Reflect::get(&step, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
        else {
            continue;
        };
        let Some(rest) = name.strip_prefix(ENTRY_PREFIX) else {
            continue;
        };
        let created = rest.split('-').next().and_then(|ms| ms.parse::<f64>().ok());
        if created.is_some_and(|ms| now - ms > STALE_AFTER_MS) {
            stale.push(name);
        }
    }
    for name in stale {
        let _ = JsFuture::from(dir.remove_entry(&name)).await;
    }
}
