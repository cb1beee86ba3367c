//! One page of keys for the current query, fetched from the manager; a late answer to an older
//! query is dropped.
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
// The browser tests import these from here.
use crate::domain::key_fetch::{FetchAction, FetchState, KeyPage};

/// How long a new page may take before the table says it is loading.
pub(crate) const LOADING_DELAY_MS: u32 = 150;

/// The page of keys for the query, and a way to read it again.
pub(crate) struct Keys {
    pub fetch: FetchState<KeyPage>,
    /// Reads the same page again (after a failure, or when its keys changed).
    pub reload: Callback<()>,
}

#[hook]
pub(crate) fn use_keys(api: &Api, query: String) -> Keys {
    let state = use_reducer(|| FetchState::<KeyPage>::Loading { previous: None });
    let reload = use_state(|| 0u64);
    let seq = use_mut_ref(|| 0u64);
    let show_loading = use_mut_ref(|| None::<Timeout>);
    {
        let state = state.clone();
        let api = api.clone();
        use_effect_with((query, *reload), move |(query, _)| {
            let my = {
                let mut s = seq.borrow_mut();
                *s += 1;
                *s
            };
            // A quick answer replaces the page without a flash of "Loading…" (and without an extra
            // render and layout before it); a slow one is shown as loading after LOADING_DELAY_MS.
            *show_loading.borrow_mut() = (!state.loads_at_once()).then(|| {
                let d = state.dispatcher();
                Timeout::new(LOADING_DELAY_MS, move || d.dispatch(FetchAction::Slow))
            });
            state.dispatch(FetchAction::Sent);
            let query = query.clone();
            spawn_local(async move {
                let result = api.keys(&query).await;
                crate::perf::mark("cckm:keys-fetched");
                if *seq.borrow() != my {
                    return;
                }
                show_loading.borrow_mut().take();
                let page = result.map(|(page, skipped)| KeyPage {
                    keys: Rc::new(page.resources),
                    total: page.total,
                    skipped,
                    messages: page.messages,
                });
                state.dispatch(FetchAction::Answered(page));
            });
        });
    }
    Keys {
        fetch: (*state).clone(),
        reload: Callback::from(move |_| reload.set(*reload + 1)),
    }
}
