//! `use_fx`: Yew's `use_effect_with` behind boxes, so the whole page compiles one copy of the
//! effect hook instead of one per call site (about 800 bytes of wasm each).
use std::any::Any;
use std::rc::Rc;

use yew::functional::{Hook, TearDown};
use yew::use_effect_with;

trait Dep {
    fn same(&self, other: &dyn Any) -> bool;
    fn any(&self) -> &dyn Any;
}

impl<T: PartialEq + 'static> Dep for T {
    fn same(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<T>() == Some(self)
    }
    fn any(&self) -> &dyn Any {
        self
    }
}

/// Type-erased dependencies, compared by their own `PartialEq`.
#[derive(Clone)]
struct Deps(Rc<dyn Dep>);

impl PartialEq for Deps {
    fn eq(&self, other: &Self) -> bool {
        self.0.same(other.0.any())
    }
}

type Body = Box<dyn FnOnce(&Deps) -> Box<dyn FnOnce()>>;

/// Runs `f` after a render whenever `deps` changed, like `use_effect_with`; `f`'s result is the
/// clean-up.
pub fn use_fx<T, F, D>(deps: T, f: F) -> impl Hook<Output = ()>
where
    T: PartialEq + 'static,
    F: FnOnce(&T) -> D + 'static,
    D: TearDown,
{
    let body: Body = Box::new(move |deps: &Deps| match deps.0.any().downcast_ref::<T>() {
        Some(t) => {
            let clean_up = f(t);
            Box::new(move || clean_up.tear_down())
        }
        None => Box::new(|| ()),
    });
    use_effect_with(Deps(Rc::new(deps)), body)
}
