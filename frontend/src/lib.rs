//! Hydrates the server-rendered page in the browser, and exports the one
//! function the Argon2id Web Worker (`public/argon2-worker.js`) calls.

use wasm_bindgen::prelude::*;

/// Entry point called by the hydration script that Leptos emits.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Tells tests (and anyone curious) that the page now responds.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// Argon2id of protocol §2 for the worker: the 32-byte password key of the
/// share whose link fragment is `fragment`. The cost is checked against the
/// protocol's bounds before anything is allocated.
#[wasm_bindgen]
pub fn derive_password_key(
    fragment: &str,
    password: &str,
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<Vec<u8>, JsError> {
    app::browser::kdf::derive_password_key_raw(fragment, password, m_kib, t, p)
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
