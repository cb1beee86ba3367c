//! The keys selected in the table, in the order they were selected, across pages.
use std::collections::HashSet;
use std::rc::Rc;

use crate::api::keys::SapKey;

/// The selection.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Selection {
    pub keys: Rc<Vec<SapKey>>,
}

#[allow(clippy::large_enum_variant)] // one at a time, dispatched and dropped
pub(crate) enum SelectionAction {
    /// Selects a key, or unselects it when it is selected.
    Toggle(SapKey),
    /// Selects (true) or unselects (false) every key of a page.
    Page(Rc<Vec<SapKey>>, bool),
    Clear,
}

impl Selection {
    /// The selected keys' CCKM ids.
    pub(crate) fn ids(&self) -> HashSet<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }
}

impl yew::Reducible for Selection {
    type Action = SelectionAction;

    fn reduce(self: Rc<Self>, action: SelectionAction) -> Rc<Self> {
        let mut keys = (*self.keys).clone();
        match action {
            SelectionAction::Toggle(k) => match keys.iter().position(|s| s.id == k.id) {
                Some(i) => {
                    keys.remove(i);
                }
                None => keys.push(k),
            },
            SelectionAction::Page(page, on) => {
                keys.retain(|s| !page.iter().any(|k| k.id == s.id));
                if on {
                    keys.extend(page.iter().cloned());
                }
            }
            SelectionAction::Clear => keys.clear(),
        }
        Rc::new(Selection {
            keys: Rc::new(keys),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yew::Reducible;

    fn key(id: &str) -> SapKey {
        SapKey {
            id: id.into(),
            ..Default::default()
        }
    }

    fn ids(s: &Selection) -> Vec<String> {
        s.keys.iter().map(|k| k.id.clone()).collect()
    }

    #[test]
    fn toggle_adds_then_removes() {
        let s = Rc::new(Selection::default());
        let s = s.reduce(SelectionAction::Toggle(key("a")));
        let s = s.reduce(SelectionAction::Toggle(key("b")));
        assert_eq!(ids(&s), ["a", "b"]);
        let s = s.reduce(SelectionAction::Toggle(key("a")));
        assert_eq!(ids(&s), ["b"]);
        assert!(s.ids().contains("b") && !s.ids().contains("a"));
    }

    #[test]
    fn a_page_is_selected_once_and_unselected_alone() {
        let s = Rc::new(Selection::default()).reduce(SelectionAction::Toggle(key("x")));
        let page = Rc::new(vec![key("a"), key("x"), key("b")]);
        let s = s.reduce(SelectionAction::Page(page.clone(), true));
        assert_eq!(ids(&s), ["a", "x", "b"], "no key twice");
        let s = s.reduce(SelectionAction::Toggle(key("other")));
        let s = s.reduce(SelectionAction::Page(page, false));
        assert_eq!(ids(&s), ["other"], "keys of other pages stay");
        let s = s.reduce(SelectionAction::Clear);
        assert!(s.keys.is_empty());
    }
}
