//! The keys selected in the table (see `domain::selection`), with stable callbacks: the rows
//! compare their props, so a callback that changed on every render would re-render them all.
use std::collections::HashSet;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::keys::SapKey;
use crate::domain::selection::{Selection, SelectionAction};

pub(crate) struct SelectionHandle {
    /// In the order they were selected.
    pub keys: Rc<Vec<SapKey>>,
    pub ids: Rc<HashSet<String>>,
    pub toggle: Callback<SapKey>,
    pub toggle_page: Callback<(Rc<Vec<SapKey>>, bool)>,
    pub clear: Callback<()>,
}

#[hook]
pub(crate) fn use_selection() -> SelectionHandle {
    let selection = use_reducer(Selection::default);
    let d = selection.dispatcher();
    let toggle = {
        let d = d.clone();
        use_callback((), move |k, _| d.dispatch(SelectionAction::Toggle(k)))
    };
    let toggle_page = {
        let d = d.clone();
        use_callback((), move |(keys, on), _| {
            d.dispatch(SelectionAction::Page(keys, on))
        })
    };
    let clear = use_callback((), move |_, _| d.dispatch(SelectionAction::Clear));
    SelectionHandle {
        keys: selection.keys.clone(),
        ids: Rc::new(selection.ids()),
        toggle,
        toggle_page,
        clear,
    }
}
