//! Hydrates the server-rendered page in the browser, and exports the
//! functions its Web Workers call: Argon2id (`public/argon2-worker.js`) and
//! sealing and opening payload records (`public/crypt-worker.js`).

use ots_crypto::Plaintext;
use wasm_bindgen::prelude::*;

/// Entry point called by the hydration script that Leptos emits. The
/// receive, manage and console pages are lazily loaded pieces of the bundle
/// (`cargo leptos build --split`), so hydration waits for the piece of the
/// page at hand before it walks the server's HTML.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body();
        let Some(body) = body else { return };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // Tells tests (and anyone curious) that the page now responds.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}

/// Argon2id of protocol §2 for the worker: the 32-byte password key of the
/// share whose link fragment is `fragment`. The cost is checked against the
/// protocol's bounds before anything is allocated.
///
/// Answers a promise: the derivation is a piece of the bundle that loads
/// on its first use.
#[wasm_bindgen]
pub async fn derive_password_key(
    fragment: String,
    password: String,
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<js_sys::Uint8Array, JsError> {
    let password = zeroize::Zeroizing::new(password);
    app::browser::kdf::derive_password_key_raw(&fragment, &password, m_kib, t, p)
        .await
        .map(|key| key.as_slice().into())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Seals the payload records `first ..` holding `plain` under the 32-byte
/// payload key `key` and returns bytes `[from, to)` of their ciphertext:
/// one upload part (protocol §4, §5), for the worker pool of
/// `public/crypt-worker.js`. A piece of the bundle that loads on first use.
#[wasm_bindgen]
pub async fn seal_records(
    key: Vec<u8>,
    first: f64,
    ends_payload: bool,
    plain: Vec<u8>,
    from: f64,
    to: f64,
) -> Result<js_sys::Uint8Array, JsError> {
    let key = zeroize::Zeroizing::new(key);
    let plain = Plaintext::new(plain);
    let sealed = app::browser::crypt::seal_piece(
        &key,
        first as u64,
        ends_payload,
        &plain,
        from as usize,
        to as usize,
    )
    .await
    .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(sealed.part().into())
}

/// Loads the piece of the bundle that seals and opens payload records, so
/// that a worker of `public/crypt-worker.js` has it before its first piece.
#[wasm_bindgen]
pub async fn load_records() -> Result<(), JsError> {
    app::browser::crypt::load_records()
        .await
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Opens the whole payload records `first ..` held in `sealed`, an array
/// of `Uint8Array`s in order, under the 32-byte payload key `key`, for the
/// worker pool. `undefined` when they do not authenticate: damaged, or the
/// wrong key (protocol §4).
#[wasm_bindgen]
pub async fn open_records(
    key: Vec<u8>,
    first: f64,
    ends_payload: bool,
    sealed: js_sys::Array,
) -> Result<Option<js_sys::Uint8Array>, JsError> {
    let key = zeroize::Zeroizing::new(key);
    let bytes = app::browser::crypt::gather(&sealed);
    match app::browser::crypt::open_piece(&key, first as u64, ends_payload, &bytes).await {
        Ok(plain) => Ok(Some(Plaintext::new(plain)[..].into())),
        Err(app::browser::crypt::CryptError::Damaged) => Ok(None),
        Err(e) => Err(JsError::new(&e.to_string())),
    }
}

/// Seals `total_mib` MiB in the page and returns MiB/s (the benchmark in
/// `end2end/bench/` calls it; it sends nothing anywhere). Only in bundles
/// built with the `bench` feature.
#[cfg(feature = "bench")]
#[wasm_bindgen]
pub fn seal_benchmark(total_mib: u32) -> Result<f64, JsError> {
    app::browser::bench::seal_mib_per_s(total_mib).map_err(|e| JsError::new(&e.to_string()))
}
