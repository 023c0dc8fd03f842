//! The sender's files, read in slices: a file is never read whole.
//! Also where files come from: a file input (several files, or a folder
//! with `webkitdirectory`) or a drop, whose folders are walked entry by
//! entry.

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, DataTransfer, File, FileSystemDirectoryEntry, FileSystemEntry, FileSystemFileEntry,
    HtmlInputElement,
};

use super::dom::js_text;
use crate::failure::BrowserError;

/// Bytes `[start, end)` of `blob` (a file, or a slice of one), through a
/// Blob slice.
pub async fn read_slice(blob: &Blob, start: u64, end: u64) -> Result<Vec<u8>, BrowserError> {
    let slice = blob
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|e| BrowserError::FileUnreadable(js_text(e)))?;
    read_whole(&slice, end.saturating_sub(start)).await
}

/// Every byte of `blob`.
pub async fn read_blob(blob: &Blob) -> Result<Vec<u8>, BrowserError> {
    read_whole(blob, blob.size() as u64).await
}

/// The `len` bytes of `blob` in wasm memory; the browser's copy of them in
/// JS memory is overwritten. A file that changed on disk since it was
/// chosen reads short: [`BrowserError::FileChanged`].
async fn read_whole(blob: &Blob, len: u64) -> Result<Vec<u8>, BrowserError> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| BrowserError::FileUnreadable(js_text(e)))?;
    let bytes = Uint8Array::new(&buffer);
    if u64::from(bytes.length()) != len {
        return Err(BrowserError::FileChanged);
    }
    let copy = bytes.to_vec();
    bytes.fill(0, 0, bytes.length());
    Ok(copy)
}

/// A file the sender chose, with where it sits in what was chosen.
pub struct Chosen {
    /// The file.
    pub file: File,
    /// Its name, or its path inside a chosen or dropped folder
    /// (`folder/sub/a.txt`), as the browser tells it.
    pub path: String,
    /// Whether it came inside a folder.
    pub in_folder: bool,
}

/// The files of a file input: a folder picker (`webkitdirectory`) gives
/// each file's path inside the folder.
pub fn from_input(input: &HtmlInputElement) -> Vec<Chosen> {
    let Some(list) = input.files() else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            let relative = Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let in_folder = !relative.is_empty();
            let path = if in_folder { relative } else { file.name() };
            Chosen {
                file,
                path,
                in_folder,
            }
        })
        .collect()
}

/// What a drop carries, taken while the drop event lasts (the browser
/// empties the data transfer afterwards): files, and folders to walk.
pub struct Dropped {
    files: Vec<File>,
    folders: Vec<FileSystemDirectoryEntry>,
}

impl Dropped {
    /// The files and folders of `data`.
    pub fn take(data: &DataTransfer) -> Self {
        let items = data.items();
        let mut dropped = Dropped {
            files: Vec::new(),
            folders: Vec::new(),
        };
        for i in 0..items.length() {
            let Some(item) = items.get(i) else { continue };
            if item.kind() != "file" {
                continue;
            }
            let entry = item.webkit_get_as_entry().ok().flatten();
            match entry {
                Some(entry) if entry.is_directory() => {
                    dropped.folders.push(entry.unchecked_into());
                }
                _ => {
                    if let Ok(Some(file)) = item.get_as_file() {
                        dropped.files.push(file);
                    }
                }
            }
        }
        // Browsers without `items` still list the files.
        if items.length() == 0 {
            if let Some(list) = data.files() {
                dropped
                    .files
                    .extend((0..list.length()).filter_map(|i| list.get(i)));
            }
        }
        dropped
    }

    /// Whether nothing was dropped.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.folders.is_empty()
    }

    /// Every file: the loose ones, then each folder's, walked depth first
    /// with paths relative to the folder's parent (`folder/sub/a.txt`).
    pub async fn read(self) -> Result<Vec<Chosen>, BrowserError> {
        let mut out: Vec<Chosen> = self
            .files
            .into_iter()
            .map(|file| Chosen {
                path: file.name(),
                file,
                in_folder: false,
            })
            .collect();
        let mut stack: Vec<FileSystemEntry> =
            self.folders.into_iter().rev().map(Into::into).collect();
        while let Some(entry) = stack.pop() {
            if entry.is_directory() {
                let dir: FileSystemDirectoryEntry = entry.unchecked_into();
                let mut children = read_folder(&dir).await?;
                children.sort_by_key(|c| c.name());
                stack.extend(children.into_iter().rev());
            } else if entry.is_file() {
                let file = entry_file(entry.unchecked_ref()).await?;
                let path = entry.full_path().trim_start_matches('/').to_owned();
                out.push(Chosen {
                    file,
                    path,
                    in_folder: true,
                });
            }
        }
        Ok(out)
    }
}

/// Every entry of a folder: `readEntries` answers in batches until one is
/// empty.
async fn read_folder(dir: &FileSystemDirectoryEntry) -> Result<Vec<FileSystemEntry>, BrowserError> {
    let reader = dir.create_reader();
    let mut all = Vec::new();
    loop {
        let batch = callback_promise(|ok, err| {
            let read =
                Reflect::get(&reader, &JsValue::from_str("readEntries"))?.dyn_into::<Function>()?;
            read.call2(&reader, ok, err).map(|_| ())
        })
        .await?;
        let batch: Array = batch.unchecked_into();
        if batch.length() == 0 {
            return Ok(all);
        }
        all.extend(batch.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
    }
}

/// The file behind a file entry of a dropped folder.
async fn entry_file(entry: &FileSystemFileEntry) -> Result<File, BrowserError> {
    let file = callback_promise(|ok, err| {
        let get = Reflect::get(entry, &JsValue::from_str("file"))?.dyn_into::<Function>()?;
        get.call2(entry, ok, err).map(|_| ())
    })
    .await?;
    file.dyn_into::<File>()
        .map_err(|_| BrowserError::FileUnreadable("not a file".into()))
}

/// Awaits a callback-style browser call (success and error callbacks).
async fn callback_promise(
    start: impl FnOnce(&Function, &Function) -> Result<(), JsValue>,
) -> Result<JsValue, BrowserError> {
    let mut start = Some(start);
    let mut started = Ok(());
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |v: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &v);
        });
        let err = Closure::once_into_js(move |e: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        if let Some(start) = start.take() {
            started = start(ok.unchecked_ref(), err.unchecked_ref());
        }
    });
    started.map_err(|e| BrowserError::FileUnreadable(js_text(e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| BrowserError::FileUnreadable(js_text(e)))
}

/// When `file` was last changed, as local calendar time (year, month,
/// day, hour, minute, second): what a ZIP entry records.
pub fn local_stamp(file: &File) -> Option<(u16, u8, u8, u8, u8, u8)> {
    let date = js_sys::Date::new(&JsValue::from_f64(file.last_modified()));
    if date.get_time().is_nan() {
        return None;
    }
    Some((
        u16::try_from(date.get_full_year()).ok()?,
        (date.get_month() + 1) as u8,
        date.get_date() as u8,
        date.get_hours() as u8,
        date.get_minutes() as u8,
        date.get_seconds() as u8,
    ))
}
