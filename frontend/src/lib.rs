//! Hydrates the server-rendered page in the browser; nothing else lives here.

/// Entry point called by the hydration script that Leptos emits.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
