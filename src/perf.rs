//! Marks on the browser's performance timeline, read back by the benchmark (`cargo xtask bench`).
//!
//! `cckm:login-ready` login form mounted · `cckm:login-submit` login sent ·
//! `cckm:search-sent` a search left the debounce · `cckm:page-requested` next/previous page ·
//! `cckm:keys-fetched` a key page arrived and was read · `cckm:keys-rendered` it was rendered ·
//! `cckm:keys-painted` a page of key rows painted · `cckm:ledger-update` the job list's
//! data changed · `cckm:ledger-merged` the reducer made the new ledger ·
//! `cckm:jobs-rendered` the job list rendered that change.

pub(crate) fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Marks once the next frame has been painted (a rendered DOM is not yet a painted one).
pub(crate) fn mark_after_paint(name: &'static str) {
    crate::browser::dom::after_paint(Box::new(move || mark(name)));
}
