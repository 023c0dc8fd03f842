//! Argon2id off the main thread (protocol §2): a module Web Worker
//! (`public/argon2-worker.js`) loads this same wasm bundle and calls
//! `derive_password_key`, exported by the `frontend` crate, so the page
//! keeps painting while 64 MiB of memory is hashed.

use js_sys::{Object, Promise, Reflect, Uint8Array};
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use ots_crypto::{KdfParams, LinkSecret, PasswordKey, KEY_SIZE};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::failure::BrowserError;

/// The worker script, served from `public/`.
const WORKER_URL: &str = "/argon2-worker.js";

/// The derivation itself, shared by the worker export and the fallback on
/// the main thread. Parameters are checked before anything is allocated.
fn derive_password_key_bytes(
    fragment: &str,
    password: &str,
    kdf: KdfParams,
) -> Result<Vec<u8>, BrowserError> {
    let failed = |e: ots_crypto::Error| BrowserError::KeyDerivation(e.to_string());
    kdf.validate()
        .map_err(|e| BrowserError::KeyDerivation(e.to_string()))?;
    let secret = LinkSecret::from_fragment(fragment).map_err(failed)?;
    let key = PasswordKey::derive(&secret, password, &kdf).map_err(failed)?;
    Ok(key.as_bytes().to_vec())
}

/// A piece of the bundle that did not load in the worker.
impl From<SplitLoaderError> for BrowserError {
    fn from(_: SplitLoaderError) -> Self {
        BrowserError::KeyDerivation("the key derivation code could not be loaded".into())
    }
}

/// [`derive_password_key_bytes`] with the cost as three numbers, for the
/// wasm export that the worker calls. A piece of the wasm bundle of its
/// own (`cargo leptos build --split`) with Argon2id: a page that derives
/// no key never loads it.
#[wasm_split(kdf_worker, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn derive_password_key_raw(
    fragment: &str,
    password: &str,
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<Vec<u8>, BrowserError> {
    derive_password_key_bytes(fragment, password, KdfParams { m_kib, t, p })
}

/// Derives the password key in a worker; if the browser cannot start the
/// worker, on the main thread (the page pauses for a moment).
pub async fn derive_password_key(
    secret: &LinkSecret,
    password: &str,
    kdf: KdfParams,
) -> Result<PasswordKey, BrowserError> {
    kdf.validate()
        .map_err(|e| BrowserError::KeyDerivation(e.to_string()))?;
    let fragment = secret.to_fragment();
    let bytes = match in_worker(&fragment, password, kdf).await {
        Ok(bytes) => bytes,
        Err(WorkerError::Unavailable) => {
            web_sys::console::warn_1(
                &"Argon2id runs on the main thread: no module worker here".into(),
            );
            derive_password_key_bytes(&fragment, password, kdf)?
        }
        Err(WorkerError::Failed(msg)) => return Err(BrowserError::KeyDerivation(msg)),
    };
    let bytes: [u8; KEY_SIZE] = bytes
        .try_into()
        .map_err(|_| BrowserError::KeyDerivation("a key of the wrong length".into()))?;
    Ok(PasswordKey::from_bytes(bytes))
}

enum WorkerError {
    /// The worker could not run at all: fall back to the main thread.
    Unavailable,
    /// The worker ran and the derivation failed.
    Failed(String),
}

async fn in_worker(fragment: &str, password: &str, kdf: KdfParams) -> Result<Vec<u8>, WorkerError> {
    let opts = WorkerOptions::new();
    opts.set_type(WorkerType::Module);
    opts.set_name("argon2id");
    let worker =
        Worker::new_with_options(WORKER_URL, &opts).map_err(|_| WorkerError::Unavailable)?;
    let reply = Promise::new(&mut |resolve, reject| {
        let on_message = Closure::once_into_js(move |event: MessageEvent| {
            let _ = resolve.call1(&JsValue::NULL, &event.data());
        });
        let on_error = Closure::once_into_js(move |event: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &event);
        });
        worker.set_onmessage(Some(on_message.unchecked_ref()));
        worker.set_onerror(Some(on_error.unchecked_ref()));
    });
    let request = Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&request, &JsValue::from_str(k), &v).map(|_| ());
    let filled = set("fragment", fragment.into())
        .and_then(|_| set("password", password.into()))
        .and_then(|_| set("m_kib", kdf.m_kib.into()))
        .and_then(|_| set("t", kdf.t.into()))
        .and_then(|_| set("p", kdf.p.into()));
    if filled.and_then(|_| worker.post_message(&request)).is_err() {
        worker.terminate();
        return Err(WorkerError::Unavailable);
    }
    let answer = JsFuture::from(reply).await;
    // The worker's 64 MiB go away with it.
    worker.terminate();
    let answer = answer.map_err(|_| WorkerError::Unavailable)?;
    let key = Reflect::get(&answer, &"key".into()).unwrap_or(JsValue::UNDEFINED);
    if let Some(key) = key.dyn_ref::<Uint8Array>() {
        return Ok(key.to_vec());
    }
    let error = Reflect::get(&answer, &"error".into())
        .ok()
        .and_then(|e| e.as_string());
    match error {
        // The bundle could not load in the worker: the main thread can still do it.
        Some(msg) if msg.starts_with("init:") => Err(WorkerError::Unavailable),
        Some(msg) => Err(WorkerError::Failed(msg)),
        None => Err(WorkerError::Failed(
            "the key derivation gave no answer".into(),
        )),
    }
}
