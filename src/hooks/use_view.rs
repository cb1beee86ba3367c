//! The view in the URL's query string: read from `location.search`, written with
//! `history.pushState`/`replaceState` (the path, and so any sub-path the page is served under,
//! is kept), and followed on Back/Forward (`popstate`).
//!
//! Why not yew-router: the page has one route and keeps its whole view in the query string, and
//! the router costs more than this file. Measured on 2026-11-30 (scratch branch
//! `hooks-router-exp`, release build, wasm-opt -Oz, `tools/sizes.sh`), yew-router 0.20 doing this
//! same URL state (`use_location`/`use_navigator`, the query through serde_urlencoded) on top of a
//! page that already links serde-wasm-bindgen (`to_value` and `from_value` in use):
//! wasm 537,720 → 591,388 B raw (+53,668), 181,297 → 196,736 B brotli (+15,439),
//! 219,659 → 240,165 B gzip -9 (+20,506); the whole page on the wire 195,306 → 211,117 B brotli
//! (+8.1 %). docs/performance.md's 68 KB raw / 27 KB gzip also counted serde-wasm-bindgen; the
//! router's own share is about 54 KB raw / 20 KB gzip, and it would buy nothing the page does not
//! already do.
use gloo_events::EventListener;
use web_sys::UrlSearchParams;
use yew::prelude::*;

use crate::domain::view::ViewParams;

fn current() -> ViewParams {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let Ok(params) = UrlSearchParams::new_with_str(&search) else {
        return ViewParams::default();
    };
    ViewParams::from_pairs(|k| params.get(k))
}

fn write(v: &ViewParams, replace: bool) {
    let Some(w) = web_sys::window() else { return };
    let Ok(params) = UrlSearchParams::new() else {
        return;
    };
    for (k, val) in v.pairs() {
        params.append(k, val);
    }
    let qs = String::from(params.to_string());
    // The path is written out: a bare "?…" would resolve against `<base href>`, not this page.
    // An empty query leaves the path alone, so the default view has a bare URL.
    let path = w.location().pathname().unwrap_or_default();
    let url = if qs.is_empty() {
        path
    } else {
        format!("{path}?{qs}")
    };
    let Ok(history) = w.history() else { return };
    let _ = if replace {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    } else {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    };
}

/// The view in the URL, and a callback that sets it: `(view, replace the history entry)`.
#[hook]
pub(crate) fn use_view() -> (ViewParams, Callback<(ViewParams, bool)>) {
    let view = use_state(current);
    {
        let view = view.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .map(|w| EventListener::new(&w, "popstate", move |_| view.set(current())));
            move || drop(listener)
        });
    }
    let set = {
        let view = view.clone();
        Callback::from(move |(v, replace): (ViewParams, bool)| {
            write(&v, replace);
            view.set(v);
        })
    };
    ((*view).clone(), set)
}
