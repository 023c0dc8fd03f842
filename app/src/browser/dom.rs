//! Small wrappers over the browser: the URL fragment, time, timers,
//! randomness, the clipboard and attachment downloads.

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::failure::BrowserError;

/// The page's window; every page this app runs in has one.
pub fn window() -> web_sys::Window {
    web_sys::window().expect("the app runs in a window")
}

/// The URL fragment without `#`, or `None` when there is none.
pub fn fragment() -> Option<String> {
    let hash = window().location().hash().ok()?;
    let frag = hash.strip_prefix('#').unwrap_or(&hash).to_string();
    (!frag.is_empty()).then_some(frag)
}

/// `https://host:port`, the start of every link this app makes.
pub fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// Milliseconds on a monotonic clock.
pub fn now_ms() -> f64 {
    window()
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

/// Fills `N` bytes from the browser's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], BrowserError> {
    let mut out = [0u8; N];
    window()
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut out))
        .map_err(|_| BrowserError::NoRandomness)?;
    Ok(out)
}

/// Copies `text` to the clipboard. Outside a secure context there is no
/// `navigator.clipboard`; calling into it would throw, so that is an error.
pub async fn copy_text(text: &str) -> Result<(), BrowserError> {
    let navigator = window().navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .unwrap_or(JsValue::UNDEFINED);
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err(BrowserError::NoClipboard);
    }
    let promise = navigator.clipboard().write_text(text);
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| BrowserError::NoClipboard)
}

/// Starts a download of `url` (an object URL) as an attachment named `name`.
pub fn trigger_download(url: &str, name: &str) -> Result<(), BrowserError> {
    let document = window()
        .document()
        .ok_or_else(|| BrowserError::Js("no document".into()))?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| BrowserError::Js("not an anchor".into()))?;
    anchor.set_href(url);
    anchor.set_download(name);
    anchor.set_rel("noopener");
    let body = document
        .body()
        .ok_or_else(|| BrowserError::Js("no body".into()))?;
    body.append_child(&anchor).map_err(js_error)?;
    anchor.click();
    anchor.remove();
    Ok(())
}

/// Formats an RFC 3339 time in the reader's locale and time zone.
pub fn local_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_string();
    }
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// Seconds from now until an RFC 3339 time (negative when past).
pub fn secs_until(rfc3339: &str) -> Option<i64> {
    let at = js_sys::Date::new(&JsValue::from_str(rfc3339)).get_time();
    (!at.is_nan()).then(|| ((at - js_sys::Date::now()) / 1000.0).round() as i64)
}

/// A JS exception as text, for messages that never reach the page as HTML.
pub fn js_text(value: JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// A JS exception as a [`BrowserError`].
pub fn js_error(value: JsValue) -> BrowserError {
    BrowserError::Js(js_text(value))
}
