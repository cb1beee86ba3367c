//! The single-key shortcuts: `/` searches, `?` opens the help; never while typing in a field,
//! with a modifier held, or while a dialog is open. They can be turned off, in this browser.

/// What a key press does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shortcut {
    /// Focus the key search.
    Search,
    /// Open the keyboard help.
    Help,
}

/// Where the key was pressed, as far as the shortcuts care.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Context {
    /// Ctrl, Meta or Alt was held.
    pub modifier: bool,
    /// The focus is in an input, a text area or a select.
    pub typing: bool,
    /// A dialog is open.
    pub modal: bool,
}

impl Shortcut {
    /// The shortcut `key` (a `KeyboardEvent.key`) stands for here, if any.
    pub(crate) fn of(key: &str, cx: Context) -> Option<Shortcut> {
        if cx.modifier || cx.typing || cx.modal {
            return None;
        }
        match key {
            "/" => Some(Shortcut::Search),
            "?" => Some(Shortcut::Help),
            _ => None,
        }
    }
}

/// Whether the shortcuts are on, from the stored setting (on unless turned off).
pub(crate) fn enabled(stored: Option<&str>) -> bool {
    stored != Some("off")
}

/// The stored form of the setting.
pub(crate) fn stored(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_shortcuts_only_when_free() {
        let free = Context::default();
        assert_eq!(Shortcut::of("/", free), Some(Shortcut::Search));
        assert_eq!(Shortcut::of("?", free), Some(Shortcut::Help));
        assert_eq!(Shortcut::of("a", free), None);
        assert_eq!(Shortcut::of("Escape", free), None);
        for busy in [
            Context {
                modifier: true,
                ..free
            },
            Context {
                typing: true,
                ..free
            },
            Context {
                modal: true,
                ..free
            },
        ] {
            assert_eq!(Shortcut::of("/", busy), None, "{busy:?}");
            assert_eq!(Shortcut::of("?", busy), None, "{busy:?}");
        }
    }

    #[test]
    fn the_setting_round_trips_and_defaults_to_on() {
        assert!(enabled(None));
        assert!(enabled(Some("garbage")));
        for on in [true, false] {
            assert_eq!(enabled(Some(stored(on))), on);
        }
    }
}
