//! Light, dark, or the system's choice; remembered in this browser.
use yew::prelude::*;

use super::storage;
use crate::hooks::{fx::use_fx, state::use_state};

const KEY: &str = "cckm-sap-theme";

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn parse(s: &str) -> Theme {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
    /// What the toggle does when pressed now: it names the theme it switches to.
    pub fn switch_label(self) -> &'static str {
        match self.next() {
            Theme::System => "Switch to the system's theme",
            Theme::Light => "Switch to light theme",
            Theme::Dark => "Switch to dark theme",
        }
    }
    /// The theme in force, for the toggle's tooltip.
    pub fn current_label(self) -> &'static str {
        match self {
            Theme::System => "Theme now: the system's (light or dark). Remembered in this browser.",
            Theme::Light => "Theme now: light. Remembered in this browser.",
            Theme::Dark => "Theme now: dark. Remembered in this browser.",
        }
    }
}

#[hook]
pub fn use_theme() -> (Theme, Callback<()>) {
    let theme = use_state(|| Theme::parse(&storage::local_get(KEY).unwrap_or_default()));
    use_fx(*theme, |t| {
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = match t {
                Theme::System => root.remove_attribute("data-theme"),
                other => root.set_attribute("data-theme", other.as_str()),
            };
        }
    });
    let cycle = {
        let theme = theme.clone();
        Callback::from(move |_| {
            let n = theme.next();
            storage::local_set(KEY, n.as_str());
            theme.set(n);
        })
    };
    (*theme, cycle)
}
