//! Light, dark, or the system's choice; remembered in this browser. The toggle's first press
//! always changes what the user sees: from the system's choice it goes to the other look.
use gloo_events::EventListener;
use yew::prelude::*;

use crate::browser::storage;
use crate::domain::theme::Theme;

const KEY: &str = "cckm-sap-theme";

/// The theme in force, whether the system's look is dark, and the toggle.
#[derive(Clone, PartialEq)]
pub(crate) struct ThemeHandle {
    pub theme: Theme,
    pub system_dark: bool,
    pub cycle: Callback<()>,
}

impl ThemeHandle {
    pub(crate) fn switch_label(&self) -> &'static str {
        self.theme.switch_label(self.system_dark)
    }
    pub(crate) fn current_label(&self) -> &'static str {
        self.theme.current_label()
    }
}

const DARK_QUERY: &str = "(prefers-color-scheme: dark)";

fn dark_query() -> Option<web_sys::MediaQueryList> {
    web_sys::window().and_then(|w| w.match_media(DARK_QUERY).ok().flatten())
}

#[hook]
pub(crate) fn use_theme() -> ThemeHandle {
    let theme = use_state(|| Theme::parse(&storage::local_get(KEY).unwrap_or_default()));
    let system_dark = use_state(|| dark_query().is_some_and(|q| q.matches()));
    {
        let system_dark = system_dark.clone();
        use_effect_with((), move |_| {
            let listener = dark_query().map(|q| {
                let q2 = q.clone();
                EventListener::new(&q, "change", move |_| system_dark.set(q2.matches()))
            });
            move || drop(listener)
        });
    }
    use_effect_with(*theme, |t| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = match t {
                Theme::System => root.remove_attribute("data-theme"),
                other => root.set_attribute("data-theme", other.as_str()),
            };
        }
    });
    let cycle = {
        let (theme, system_dark) = (theme.clone(), system_dark.clone());
        Callback::from(move |_| {
            let n = theme.next(*system_dark);
            storage::local_set(KEY, n.as_str());
            theme.set(n);
        })
    };
    ThemeHandle {
        theme: *theme,
        system_dark: *system_dark,
        cycle,
    }
}
