//! The key of the history panel, read now from the manager: again on "Try again", and again when
//! one of its jobs ends (so the panel shows what the job left). A late answer for another key or
//! an older read is dropped.
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
use crate::domain::key_history::KeyNow;

/// The key as read, and a way to read it again.
pub(crate) struct KeyDetail {
    pub now: KeyNow,
    pub retry: Callback<()>,
}

/// `ended`: how many of the key's jobs have ended (see `key_history::ended_count`).
#[hook]
pub(crate) fn use_key_detail(api: &Api, key_id: &str, ended: usize) -> KeyDetail {
    let now = use_state(|| KeyNow::Loading);
    let tries = use_state(|| 0u64);
    let seq = use_mut_ref(|| 0u64);
    {
        let (api, now) = (api.clone(), now.clone());
        use_effect_with((key_id.to_string(), ended, *tries), move |(id, _, _)| {
            let my = {
                let mut s = seq.borrow_mut();
                *s += 1;
                *s
            };
            now.set(now.rereading(id));
            let id = id.clone();
            spawn_local(async move {
                let answer = api.key(&id).await;
                if *seq.borrow() == my {
                    now.set(KeyNow::answered(answer));
                }
            });
        });
    }
    KeyDetail {
        now: (*now).clone(),
        retry: Callback::from(move |_| tries.set(*tries + 1)),
    }
}
