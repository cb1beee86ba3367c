//! A clock that re-renders its component every `period_ms`.
use yew::prelude::*;

use crate::api::client::now_ms;

#[hook]
pub(crate) fn use_now(period_ms: u32) -> f64 {
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with(period_ms, move |p| {
            let iv = gloo_timers::callback::Interval::new(*p, move || now.set(now_ms()));
            move || drop(iv)
        });
    }
    *now
}
