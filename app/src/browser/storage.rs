//! Web Storage for the little the page keeps: a value for this tab only
//! (`sessionStorage`, gone when the tab closes) or on this device
//! (`localStorage`), never both. A browser that refuses storage (private
//! modes, blocked cookies) keeps nothing, and the page still works.

use super::dom::window;

/// The value kept under `key`, and whether it is kept on this device.
pub fn get(key: &str) -> Option<(String, bool)> {
    let session = window().session_storage().ok().flatten();
    if let Some(value) = session.and_then(|s| s.get_item(key).ok().flatten()) {
        return Some((value, false));
    }
    let local = window().local_storage().ok().flatten();
    local
        .and_then(|s| s.get_item(key).ok().flatten())
        .map(|value| (value, true))
}

/// Keeps `value` under `key` for this tab, or on this device when
/// `on_device`; the other storage forgets it.
pub fn set(key: &str, value: &str, on_device: bool) {
    remove(key);
    let storage = if on_device {
        window().local_storage()
    } else {
        window().session_storage()
    };
    if let Ok(Some(storage)) = storage {
        // A full or refused storage only means the value is asked again.
        let _ = storage.set_item(key, value);
    }
}

/// Forgets `key` in both storages.
pub fn remove(key: &str) {
    for storage in [window().session_storage(), window().local_storage()] {
        if let Ok(Some(storage)) = storage {
            let _ = storage.remove_item(key);
        }
    }
}
