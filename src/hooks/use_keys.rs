//! One page of keys for the current query, fetched from the manager; a late answer to an older
//! query is dropped.
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
use crate::api::error::ApiError;
use crate::api::types::SapKey;

/// How long a new page may take before the table says it is loading.
pub(crate) const LOADING_DELAY_MS: u32 = 150;

/// A page of keys as the table shows it.
#[derive(Clone, PartialEq, Debug)]
pub struct KeyPage {
    pub keys: Rc<Vec<SapKey>>,
    pub total: u64,
    /// Resources the page could not read and left out.
    pub skipped: usize,
    pub messages: Vec<String>,
}

/// Loading and failed cannot both be true: each state has its own variant.
#[derive(Clone, PartialEq, Debug)]
pub enum FetchState<T> {
    Loading {
        previous: Option<T>,
    },
    Loaded(T),
    Failed {
        error: ApiError,
        previous: Option<T>,
    },
}

impl<T: Clone> FetchState<T> {
    pub(crate) fn data(&self) -> Option<&T> {
        match self {
            FetchState::Loading { previous } | FetchState::Failed { previous, .. } => {
                previous.as_ref()
            }
            FetchState::Loaded(t) => Some(t),
        }
    }
}

/// The page of keys for the query, and a way to read it again.
pub struct Keys {
    pub fetch: FetchState<KeyPage>,
    /// Reads the same page again (after a failure, or when its keys changed).
    pub reload: Callback<()>,
}

#[hook]
pub(crate) fn use_keys(api: &Api, query: String) -> Keys {
    let state = use_state(|| FetchState::<KeyPage>::Loading { previous: None });
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
            let previous = state.data().cloned();
            // A quick answer replaces the page without a flash of "Loading…" (and without an extra
            // render and layout before it); a slow one is shown as loading after LOADING_DELAY_MS.
            // After an error (a retry) the error gives way at once.
            let at_once = previous.is_none() || matches!(*state, FetchState::Failed { .. });
            *show_loading.borrow_mut() = (!at_once).then(|| {
                let (state, previous) = (state.clone(), previous.clone());
                Timeout::new(LOADING_DELAY_MS, move || {
                    state.set(FetchState::Loading { previous })
                })
            });
            // (On mount it already is Loading: setting it again would only render the console twice.)
            if at_once && !matches!(*state, FetchState::Loading { previous: None }) {
                state.set(FetchState::Loading {
                    previous: previous.clone(),
                });
            }
            let query = query.clone();
            spawn_local(async move {
                let result = api.keys(&query).await;
                crate::perf::mark("cckm:keys-fetched");
                if *seq.borrow() != my {
                    return;
                }
                show_loading.borrow_mut().take();
                state.set(match result {
                    Ok((page, skipped)) => FetchState::Loaded(KeyPage {
                        keys: Rc::new(page.resources),
                        total: page.total,
                        skipped,
                        messages: page.messages,
                    }),
                    Err(error) => FetchState::Failed { error, previous },
                });
            });
        });
    }
    Keys {
        fetch: (*state).clone(),
        reload: Callback::from(move |_| reload.set(*reload + 1)),
    }
}
