//! Dialog focus: the first field gets focus on open, Tab stays inside, Escape closes (when the
//! dialog allows it), and focus goes back to where it was when the dialog closes.
use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::browser::dom::active_element;

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, a[href], [tabindex]:not([tabindex='-1'])";

/// `on_escape`: what Escape does now (`None` while the dialog must stay open).
#[hook]
pub(crate) fn use_dialog_focus(root: NodeRef, on_escape: Option<Callback<()>>) {
    let escape = use_mut_ref(|| None::<Callback<()>>);
    *escape.borrow_mut() = on_escape;
    use_effect_with((), move |_| {
        let previous = active_element();
        let container = root.cast::<web_sys::HtmlElement>();
        if let Some(c) = &container {
            let first = c
                .query_selector("[autofocus], input:not([disabled])")
                .ok()
                .flatten()
                .or_else(|| c.query_selector(FOCUSABLE).ok().flatten())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(f) = first {
                let _ = f.focus();
            }
        }
        let trap = container.map(|c| {
            let c2 = c.clone();
            EventListener::new_with_options(
                &c,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |ev| {
                    let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if ev.key() == "Escape" {
                        if let Some(cb) = escape.borrow().as_ref() {
                            cb.emit(());
                        }
                        return;
                    }
                    if ev.key() != "Tab" {
                        return;
                    }
                    let Ok(list) = c2.query_selector_all(FOCUSABLE) else {
                        return;
                    };
                    let n = list.length();
                    if n == 0 {
                        return;
                    }
                    let first = list
                        .item(0)
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                    let last = list
                        .item(n - 1)
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                    let active = active_element();
                    if ev.shift_key() && active.as_ref() == first.as_ref() {
                        ev.prevent_default();
                        if let Some(l) = last {
                            let _ = l.focus();
                        }
                    } else if !ev.shift_key() && active.as_ref() == last.as_ref() {
                        ev.prevent_default();
                        if let Some(f) = first {
                            let _ = f.focus();
                        }
                    }
                },
            )
        });
        move || {
            drop(trap);
            if let Some(p) = previous {
                let _ = p.focus();
            }
        }
    });
}
