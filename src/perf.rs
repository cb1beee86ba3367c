//! Marks on the browser's performance timeline, read back by the benchmark (`cargo xtask bench`).
//!
//! `cckm:login-ready` login form mounted · `cckm:login-submit` login sent ·
//! `cckm:search-sent` a search left the debounce · `cckm:page-requested` next/previous page ·
//! `cckm:keys-fetched` a key page arrived and was read · `cckm:keys-rendered` it was rendered ·
//! `cckm:keys-painted` a page of keys rendered and painted · `cckm:ledger-update` the job list's
//! data changed · `cckm:ledger-merged` the reducer made the new ledger ·
//! `cckm:jobs-rendered` the job list rendered that change.

pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Marks after the next frame is painted (a rendered DOM is not yet a painted one).
pub fn mark_after_paint(name: &'static str) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(w) = web_sys::window() else { return };
    let cb = Closure::once_into_js(move || mark(name));
    let _ = w.request_animation_frame(cb.unchecked_ref());
}
