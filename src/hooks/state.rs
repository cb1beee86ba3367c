//! `use_state`, as Yew's, but every state on the page shares one copy of Yew's hook machinery:
//! the value sits in a type-erased slot and a change re-renders through `use_force_update`.
//! (Yew's own compiles a reducer per state type and initialiser, about 900 bytes of wasm each.)
use std::any::Any;
use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use yew::prelude::*;

type Slot = Rc<RefCell<Option<Rc<dyn Any>>>>;

fn empty() -> Option<Rc<dyn Any>> {
    None
}

/// The value as of this render, and the way to change it.
pub struct State<T> {
    value: Rc<T>,
    slot: Slot,
    rerender: UseForceUpdateHandle,
}

impl<T: 'static> State<T> {
    /// Stores `value` and re-renders; this handle keeps reading the old value, as Yew's does.
    pub fn set(&self, value: T) {
        *self.slot.borrow_mut() = Some(Rc::new(value));
        self.rerender.force_update();
    }

    /// Like `use_state_eq`'s `set`: stores and re-renders only when `value` differs from the
    /// latest stored value (not this handle's, which may be from an older render).
    pub fn set_if_changed(&self, value: T)
    where
        T: PartialEq,
    {
        let same = self
            .slot
            .borrow()
            .as_ref()
            .and_then(|v| v.downcast_ref::<T>())
            .is_some_and(|v| *v == value);
        if !same {
            self.set(value);
        }
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State {
            value: self.value.clone(),
            slot: self.slot.clone(),
            rerender: self.rerender.clone(),
        }
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for State<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.value == *other.value
    }
}

#[hook]
pub fn use_state<T: 'static, F: FnOnce() -> T>(init: F) -> State<T> {
    let slot = use_mut_ref(empty);
    let rerender = use_force_update();
    let stored = slot
        .borrow()
        .as_ref()
        .and_then(|v| v.clone().downcast::<T>().ok());
    let value = match stored {
        Some(v) => v,
        None => {
            let v = Rc::new(init());
            *slot.borrow_mut() = Some(v.clone());
            v
        }
    };
    State {
        value,
        slot,
        rerender,
    }
}
