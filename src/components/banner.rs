//! The last-resort banner: a panic shows a sentence and a reload button instead of a dead page.
use wasm_bindgen::JsCast;

pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let detail = info.to_string();
        web_sys::console::error_1(&detail.clone().into());
        show_fatal("The page hit an internal error and stopped. Your job ledger is saved in this browser; reload the page to continue.", &detail);
    }));
}

/// Writes the banner with plain DOM calls: after a panic Yew can no longer render.
pub fn show_fatal(sentence: &str, detail: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = doc.body() else { return };
    let Ok(div) = doc.create_element("div") else {
        return;
    };
    div.set_class_name("fatal-banner");
    let _ = div.set_attribute("role", "alert");
    div.set_text_content(Some(sentence));
    if let Ok(pre) = doc.create_element("pre") {
        pre.set_text_content(Some(detail));
        let _ = div.append_child(&pre);
    }
    if let Ok(btn) = doc.create_element("button") {
        btn.set_text_content(Some("Reload"));
        let reload = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        if let Some(el) = btn.dyn_ref::<web_sys::HtmlElement>() {
            el.set_onclick(Some(reload.as_ref().unchecked_ref()));
        }
        reload.forget();
        let _ = div.append_child(&btn);
    }
    let _ = body.prepend_with_node_1(&div);
}
