//! Hydrates the server-rendered page in the browser, and exports the one
//! function the Argon2id Web Worker (`public/argon2-worker.js`) calls.

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

/// Seals `total_mib` MiB in the page and returns MiB/s (the benchmark in
/// `end2end/bench/` calls it; it sends nothing anywhere). Only in bundles
/// built with the `bench` feature.
#[cfg(feature = "bench")]
#[wasm_bindgen]
pub fn seal_benchmark(total_mib: u32) -> Result<f64, JsError> {
    app::browser::bench::seal_mib_per_s(total_mib).map_err(|e| JsError::new(&e.to_string()))
}
