//! Light, dark, or the system's choice. The toggle's first press always changes what the user
//! sees: from the system's choice it goes to the other look.

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    /// The stored name; anything else is the system's choice.
    pub(crate) fn parse(s: &str) -> Theme {
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
