//! What the page says when jobs change phase: a sentence in the live region, and while the tab
//! is hidden a browser notification and a count in the tab's title until it is shown again.

use std::rc::Rc;

use gloo_events::EventListener;
use web_sys::NotificationPermission;
use yew::prelude::*;

use crate::browser::{dom, storage};
use crate::domain::announce::{live_text, phase_changes, title, Unseen, UnseenAction};
use crate::domain::ledger::Ledger;
use crate::hooks::use_ledger::LedgerState;

const TITLE: &str = "SAP key jobs · CipherTrust Manager";

/// The live region's text, and whether the page may still ask to notify.
pub(crate) struct JobNewsHandle {
    pub live: String,
    /// The browser has not been asked yet (neither granted nor denied).
    pub can_ask: bool,
    /// Asks the browser for permission to notify.
    pub ask: Callback<()>,
}

#[hook]
pub(crate) fn use_job_news(ledger: &UseReducerHandle<LedgerState>) -> JobNewsHandle {
    let live = use_state(String::new);
    let unseen = use_reducer_eq(Unseen::default);
    let previous = use_mut_ref(|| None::<Rc<Ledger>>);
    let permission = use_state(dom::notification_permission);

    {
        let (live, unseen) = (live.clone(), unseen.dispatcher());
        let current = ledger.ledger.clone();
        use_effect_with(ledger.version, move |_| {
            let before = previous.borrow_mut().replace(current.clone());
            let changes = before.map(|b| phase_changes(&b, &current));
            if let Some(changes) = changes.filter(|c| !c.is_empty()) {
                live.set(live_text(&changes));
                if storage::document_hidden() {
                    for (_, msg) in &changes {
                        dom::notify("SAP key jobs", msg);
                    }
                    let phases = changes.iter().map(|(p, _)| *p).collect();
                    unseen.dispatch(UnseenAction::Ended(phases));
                }
            }
        });
    }
    {
        let seen = unseen.dispatcher();
        use_effect_with(*unseen, move |u: &Unseen| {
            dom::set_title(&title(TITLE, u.succeeded, u.failed));
            let listener = (!u.is_empty())
                .then(|| web_sys::window()?.document())
                .flatten()
                .map(|d| {
                    EventListener::new(&d, "visibilitychange", move |_| {
                        if !storage::document_hidden() {
                            seen.dispatch(UnseenAction::Seen);
                        }
                    })
                });
            move || drop(listener)
        });
    }
    let ask = {
        let permission = permission.clone();
        Callback::from(move |_| {
            let permission = permission.clone();
            dom::request_notifications(Callback::from(move |p| permission.set(p)));
        })
    };
    JobNewsHandle {
        live: (*live).clone(),
        can_ask: *permission == Some(NotificationPermission::Default),
        ask,
    }
}
