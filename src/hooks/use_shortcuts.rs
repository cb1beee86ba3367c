//! The keyboard shortcuts (`/` searches, `?` opens the help), their on/off setting remembered in
//! this browser, and the help dialog's visibility.
use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::browser::{dom, storage};
use crate::domain::shortcuts::{enabled, stored, Context, Shortcut};

const SHORTCUTS_KEY: &str = "cckm-sap-shortcuts";

/// The shortcuts' setting and the help dialog.
pub(crate) struct ShortcutsHandle {
    pub enabled: bool,
    /// Turns the shortcuts on or off, and remembers it.
    pub toggle: Callback<()>,
    pub help_open: bool,
    pub set_help: Callback<bool>,
}

#[hook]
pub(crate) fn use_shortcuts() -> ShortcutsHandle {
    let on = use_state(|| enabled(storage::local_get(SHORTCUTS_KEY).as_deref()));
    let help_open = use_state(|| false);
    {
        let help_open = help_open.clone();
        use_effect_with(*on, move |on| {
            let doc = on.then(|| web_sys::window()?.document()).flatten();
            let listener = doc.map(|d| {
                let d2 = d.clone();
                EventListener::new_with_options(
                    &d,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |ev| {
                        let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        let cx = Context {
                            modifier: ev.ctrl_key() || ev.meta_key() || ev.alt_key(),
                            typing: ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                                .is_some_and(|el| {
                                    matches!(
                                        el.tag_name().as_str(),
                                        "INPUT" | "TEXTAREA" | "SELECT"
                                    )
                                }),
                            modal: d2
                                .query_selector(".modal-backdrop")
                                .ok()
                                .flatten()
                                .is_some(),
                        };
                        match Shortcut::of(&ev.key(), cx) {
                            Some(Shortcut::Search) => {
                                ev.prevent_default();
                                dom::focus_by_id("key-search");
                            }
                            Some(Shortcut::Help) => {
                                ev.prevent_default();
                                help_open.set(true);
                            }
                            None => {}
                        }
                    },
                )
            });
            move || drop(listener)
        });
    }
    let toggle = {
        let on = on.clone();
        Callback::from(move |_| {
            storage::local_set(SHORTCUTS_KEY, stored(!*on));
            on.set(!*on);
        })
    };
    let set_help = {
        let help_open = help_open.clone();
        Callback::from(move |open| help_open.set(open))
    };
    ShortcutsHandle {
        enabled: *on,
        toggle,
        help_open: *help_open,
        set_help,
    }
}
