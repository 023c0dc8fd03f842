//! Small wrappers over the browser: the URL fragment and the tab's
//! session storage, time, timers, page visibility, notifications,
//! randomness, the clipboard and attachment downloads.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Notification, NotificationOptions, NotificationPermission, VisibilityState};

use crate::failure::BrowserError;

/// The page's window; every page this app runs in has one.
pub fn window() -> web_sys::Window {
    web_sys::window().expect("the app runs in a window")
}

/// Moves the keyboard focus to the element with `id`, when the page has
/// one: a screen reader then reads what a step led to.
pub fn focus(id: &str) {
    let element = window().document().and_then(|d| d.get_element_by_id(id));
    if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// The URL fragment without `#`, or `None` when there is none.
pub fn fragment() -> Option<String> {
    let hash = window().location().hash().ok()?;
    let frag = hash.strip_prefix('#').unwrap_or(&hash).to_string();
    (!frag.is_empty()).then_some(frag)
}

/// Removes the fragment from the address bar and from this history entry
/// (protocol §1): the key then lives only in the page's memory.
pub fn forget_fragment() {
    let location = window().location();
    let (Ok(path), Ok(query)) = (location.pathname(), location.search()) else {
        return;
    };
    replace_url(&format!("{path}{query}"));
}

/// Puts `url` in the address bar in place of this history entry's: no
/// reload, no new entry; the router's state object stays.
fn replace_url(url: &str) {
    if let Ok(history) = window().history() {
        let state = history.state().unwrap_or(JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(url));
    }
}

/// Sets `name=value` in the address bar's query, in place: no reload, no
/// new history entry, the fragment as it is.
pub fn set_query_param(name: &str, value: &str) {
    let location = window().location();
    let (Ok(path), Ok(search), Ok(hash)) =
        (location.pathname(), location.search(), location.hash())
    else {
        return;
    };
    let prefix = format!("{name}=");
    let mut pairs: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&prefix))
        .collect();
    let own = format!("{prefix}{value}");
    pairs.push(&own);
    replace_url(&format!("{path}?{}{hash}", pairs.join("&")));
}

/// The tab's session storage (it survives a reload, not the tab), when
/// the browser allows it.
fn session() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// Leaves a mark under `key` in the tab's session storage. Never for a
/// secret: the storage is written to disk.
pub fn session_mark(key: &str) {
    if let Some(storage) = session() {
        let _ = storage.set_item(key, "1");
    }
}

/// True when this tab holds the mark `key`.
pub fn session_marked(key: &str) -> bool {
    session().is_some_and(|s| s.get_item(key).ok().flatten().is_some())
}

/// Removes the mark `key` from the tab's session storage.
pub fn session_unmark(key: &str) {
    if let Some(storage) = session() {
        let _ = storage.remove_item(key);
    }
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

/// True while the page can be seen (its tab is in front, its window not
/// minimised).
pub fn page_visible() -> bool {
    window()
        .document()
        .is_none_or(|d| d.visibility_state() == VisibilityState::Visible)
}

/// Resolves after `ms` milliseconds, or sooner when the page is shown or
/// hidden; true in that case (so that a page the user returns to can be
/// brought up to date at once).
pub async fn nap_or_visibility_change(ms: i32) -> bool {
    let Some(document) = window().document() else {
        sleep(ms).await;
        return false;
    };
    // The promise's resolve function is both the timer's callback and the
    // listener: whichever comes first ends the nap; only the event passes
    // a value.
    let wake: Rc<RefCell<Option<Function>>> = Rc::default();
    let slot = wake.clone();
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        *slot.borrow_mut() = Some(resolve);
    });
    let listener = wake.borrow().clone();
    if let Some(listener) = &listener {
        let _ = document.add_event_listener_with_callback("visibilitychange", listener);
    }
    let woke = JsFuture::from(promise).await;
    if let Some(listener) = &listener {
        let _ = document.remove_event_listener_with_callback("visibilitychange", listener);
    }
    woke.is_ok_and(|value| value.is_object())
}

/// The site's notification permission; `None` where the browser has no
/// notifications.
pub fn notification_permission() -> Option<NotificationPermission> {
    // Calling into a missing `Notification` class would throw.
    if !Reflect::has(&window(), &JsValue::from_str("Notification")).unwrap_or(false) {
        return None;
    }
    Some(Notification::permission())
}

/// Asks the user to allow notifications (browsers prompt only after a
/// click); true when they are allowed.
pub async fn ask_for_notifications() -> bool {
    if notification_permission().is_none() {
        return false;
    }
    if let Ok(promise) = Notification::request_permission() {
        let _ = JsFuture::from(promise).await;
    }
    notification_permission() == Some(NotificationPermission::Granted)
}

/// Shows a notification when allowed; a later one with the same `tag`
/// replaces it.
pub fn notify(title: &str, body: &str, tag: &str) {
    if notification_permission() != Some(NotificationPermission::Granted) {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    let _ = Notification::new_with_options(title, &options);
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

/// Formats an RFC 3339 time as the language `lang` writes times, in the
/// reader's time zone.
pub fn local_time(lang: &str, rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_string();
    }
    String::from(date.to_locale_string(lang, &JsValue::UNDEFINED))
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
