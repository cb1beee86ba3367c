//! localStorage and sessionStorage, failing soft: a browser that refuses storage still works.
use web_sys::Storage;

fn local() -> Option<Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn session() -> Option<Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

pub(crate) fn local_get(key: &str) -> Option<String> {
    local().and_then(|s| s.get_item(key).ok().flatten())
}

/// Returns false when the browser refused the write (quota, privacy mode).
pub(crate) fn local_set(key: &str, value: &str) -> bool {
    local().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Removes a localStorage item (nothing happens if storage is refused).
pub(crate) fn local_remove(key: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(key);
    }
}

pub(crate) fn session_get(key: &str) -> Option<String> {
    session().and_then(|s| s.get_item(key).ok().flatten())
}

pub(crate) fn session_set(key: &str, value: &str) {
    if let Some(s) = session() {
        let _ = s.set_item(key, value);
    }
}

pub(crate) fn session_remove(key: &str) {
    if let Some(s) = session() {
        let _ = s.remove_item(key);
    }
}

/// The page's origin, which keys the ledger: one ledger per manager and user.
pub(crate) fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

pub(crate) fn document_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}
