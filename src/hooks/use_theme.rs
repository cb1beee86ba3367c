//! Light, dark, or the system's choice; remembered in this browser. The toggle's first press
//! always changes what the user sees: from the system's choice it goes to the other look.
use gloo_events::EventListener;
use yew::prelude::*;

use crate::browser::storage;

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
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    /// System → the look the system does not have → the one it has → System.
    pub(crate) fn next(self, system_dark: bool) -> Theme {
        let (other, same) = if system_dark {
            (Theme::Light, Theme::Dark)
        } else {
            (Theme::Dark, Theme::Light)
        };
        if self == Theme::System {
            other
        } else if self == other {
            same
        } else {
            Theme::System
        }
    }
    /// What the toggle does when pressed now: it names the theme it switches to.
    pub(crate) fn switch_label(self, system_dark: bool) -> &'static str {
        match self.next(system_dark) {
            Theme::System => "Switch to the system's theme",
            Theme::Light => "Switch to light theme",
            Theme::Dark => "Switch to dark theme",
        }
    }
    /// The theme in force, for the toggle's tooltip.
    pub(crate) fn current_label(self) -> &'static str {
        match self {
            Theme::System => "Theme now: the system's (light or dark). Remembered in this browser.",
            Theme::Light => "Theme now: light. Remembered in this browser.",
            Theme::Dark => "Theme now: dark. Remembered in this browser.",
        }
    }
}

/// The theme in force, whether the system's look is dark, and the toggle.
#[derive(Clone, PartialEq)]
pub struct ThemeHandle {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_press_always_changes_the_look() {
        for dark in [false, true] {
            let first = Theme::System.next(dark);
            assert_eq!(first, if dark { Theme::Light } else { Theme::Dark });
            let second = first.next(dark);
            assert_eq!(second, if dark { Theme::Dark } else { Theme::Light });
            assert_eq!(second.next(dark), Theme::System);
        }
        assert_eq!(Theme::System.switch_label(false), "Switch to dark theme");
        assert_eq!(Theme::System.switch_label(true), "Switch to light theme");
        assert_eq!(
            Theme::Light.switch_label(false),
            "Switch to the system's theme"
        );
    }
}
