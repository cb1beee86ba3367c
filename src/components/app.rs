//! The page: header, login, and the console (keys, job form, confirmation, live job list).
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use super::confirm_dialog::{ConfirmDialog, KeyOutcome};
use super::job_form::JobForm;
use super::job_list::JobList;
use super::key_table::KeyTable;
use super::login::Login;
use crate::api::client::{now_ms, Api};
use crate::api::types::{Operation, SapGroup, SapKey};
use crate::domain::job_state::JobPhase;
use crate::domain::key_query::{groups_query, KeyQuery};
use crate::domain::ledger::{storage_key, LedgerEntry};
use crate::domain::plan::{plan, KeyRef, SkipReason};
use crate::domain::submit::{SubmitOutcome, SubmitQueue};
use crate::hooks::storage;
use crate::hooks::use_keys::use_keys;
use crate::hooks::use_ledger::{use_ledger, LedgerAction};
use crate::hooks::use_now::use_now;
use crate::hooks::use_poller::use_poller;
use crate::hooks::use_session::{use_session, SessionState};

/// The manager's origin from `<meta name="cckm-api-base">`; empty means this page's origin.
fn api_base() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=cckm-api-base]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_default()
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Overrides the meta tag (tests point the page at a simulator on another port).
    #[prop_or_default]
    pub api_base: Option<String>,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let api = {
        let base = props.api_base.clone().unwrap_or_else(api_base);
        (*use_memo((), move |_| Api::new(&base))).clone()
    };
    let session = use_session(&api);
    let user = session.state.user().map(str::to_string);
    let expired = matches!(session.state, SessionState::Expired { .. });

    html! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <svg class="brand-mark" viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
                        <circle cx="11" cy="16" r="6" fill="none" stroke="currentColor" stroke-width="3" />
                        <path d="M17 16h12M25 16v5M29 16v4" stroke="currentColor" stroke-width="3" fill="none" />
                    </svg>
                    <span class="brand-name">{"SAP key jobs"}</span>
                    <span class="brand-sub">{"CipherTrust Manager · CCKM"}</span>
                </div>
                if let Some(u) = &user {
                    <div class="who">
                        <span class="user">{"Signed in as "}<bdi id="current-user">{ u.clone() }</bdi></span>
                        <button type="button" id="logout" onclick={session.logout.reform(|_| ())}>{"Log out"}</button>
                    </div>
                }
            </header>
            if let Some(u) = &user {
                <Console key={u.clone()} api={api.clone()} user={u.clone()} active={!expired} />
            } else {
                <main class="login-page"><Login api={api.clone()} on_logged_in={session.logged_in.clone()} /></main>
            }
            if let SessionState::Expired { user } = &session.state {
                <div class="modal-backdrop" id="relogin">
                    <div class="modal narrow" role="dialog" aria-modal="true" aria-labelledby="login-title">
                        <Login api={api.clone()} on_logged_in={session.logged_in.clone()} expired_user={Some(user.clone())} />
                    </div>
                </div>
            }
        </div>
    }
}

/// The confirmation dialog's state: what is about to happen, then what happened to each key.
#[derive(Clone, PartialEq, Default)]
struct Dialog {
    open: Option<DialogData>,
}

#[derive(Clone, PartialEq)]
struct DialogData {
    operation: Operation,
    flag: bool,
    keys: Vec<KeyRef>,
    skipped: Vec<(KeyRef, SkipReason)>,
    outcomes: Option<Vec<KeyOutcome>>,
}

enum DialogAction {
    Open(DialogData),
    Close,
    Confirmed,
    Outcome(String, KeyOutcome),
}

impl Reducible for Dialog {
    type Action = DialogAction;
    fn reduce(self: Rc<Self>, action: DialogAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            DialogAction::Open(d) => next.open = Some(d),
            DialogAction::Close => next.open = None,
            DialogAction::Confirmed => {
                if let Some(d) = next.open.as_mut() {
                    if d.outcomes.is_none() {
                        d.outcomes = Some(vec![KeyOutcome::Waiting; d.keys.len()]);
                    }
                }
            }
            DialogAction::Outcome(id, o) => {
                if let Some(d) = next.open.as_mut() {
                    if let (Some(i), Some(outs)) = (d.keys.iter().position(|k| k.id == id), d.outcomes.as_mut()) {
                        outs[i] = o;
                    }
                }
            }
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
struct ConsoleProps {
    api: Api,
    user: String,
    /// False while the session is expired: nothing is sent until the user logs in again.
    active: bool,
}

#[function_component(Console)]
fn console(p: &ConsoleProps) -> Html {
    let api = &p.api;
    let origin = storage::origin();
    let ledger = use_ledger(storage_key(&origin, &p.user));
    let query = use_state(KeyQuery::default);
    let reload = use_state(|| 0u64);
    let fetch = use_keys(api, query.to_query_string(), *reload);
    let groups = use_state(|| Rc::new(Vec::<SapGroup>::new()));
    let groups_error = use_state(|| None::<String>);
    let selected = use_state(|| Rc::new(Vec::<SapKey>::new()));
    let dialog = use_reducer(Dialog::default);
    let queue = use_mut_ref(SubmitQueue::default);
    let now = use_now(1000);

    let bump_reload = {
        let reload = reload.clone();
        Callback::from(move |_: String| reload.set(*reload + 1))
    };
    let connection = use_poller(api, &ledger.state, p.active, bump_reload);

    {
        let (api, groups, groups_error) = (api.clone(), groups.clone(), groups_error.clone());
        use_effect_with(p.active, move |active| {
            if *active && groups.is_empty() {
                spawn_local(async move {
                    match api.groups(&groups_query(0, 1000)).await {
                        Ok((page, _)) => {
                            groups.set(Rc::new(page.resources));
                            groups_error.set(None);
                        }
                        Err(e) => groups_error.set(Some(format!("The group filter is unavailable: {}", e.user_message()))),
                    }
                });
            }
        });
    }

    let selected_ids: Rc<HashSet<String>> = Rc::new(selected.iter().map(|k| k.id.clone()).collect());
    let running: Rc<HashSet<String>> = Rc::new(
        ledger.state.ledger.entries.iter().filter(|e| e.phase == JobPhase::Running).map(|e| e.id.clone()).collect(),
    );

    let on_toggle = {
        let selected = selected.clone();
        Callback::from(move |k: SapKey| {
            let mut v = (**selected).clone();
            if let Some(i) = v.iter().position(|s| s.id == k.id) {
                v.remove(i);
            } else {
                v.push(k);
            }
            selected.set(Rc::new(v));
        })
    };
    let on_toggle_page = {
        let selected = selected.clone();
        Callback::from(move |(keys, on): (Rc<Vec<SapKey>>, bool)| {
            let mut v = (**selected).clone();
            v.retain(|s| !keys.iter().any(|k| k.id == s.id));
            if on {
                v.extend(keys.iter().cloned());
            }
            selected.set(Rc::new(v));
        })
    };
    let on_review = {
        let (selected, dialog, ledger_state) = (selected.clone(), dialog.clone(), ledger.state.clone());
        Callback::from(move |(operation, flag): (Operation, bool)| {
            let pl = plan(operation, &selected, &ledger_state.ledger);
            if !pl.eligible.is_empty() {
                dialog.dispatch(DialogAction::Open(DialogData { operation, flag, keys: pl.eligible, skipped: pl.skipped, outcomes: None }));
            }
        })
    };
    let on_confirm = {
        let (dialog, queue, api) = (dialog.clone(), queue.clone(), api.clone());
        let ledger_dispatch = ledger.state.dispatcher();
        let (user, origin) = (p.user.clone(), origin.clone());
        Callback::from(move |_| {
            let Some(d) = dialog.open.clone() else { return };
            if d.outcomes.is_some() {
                return;
            }
            dialog.dispatch(DialogAction::Confirmed);
            queue.borrow_mut().enqueue(d.keys.clone(), d.operation, d.flag);
            let ctx = SubmitCtx {
                queue: queue.clone(),
                api: api.clone(),
                dialog: dialog.dispatcher(),
                ledger: ledger_dispatch.clone(),
                user: user.clone(),
                origin: origin.clone(),
                operation: d.operation,
                flag: d.flag,
            };
            pump(Rc::new(ctx));
        })
    };
    let on_close = {
        let (dialog, selected, reload) = (dialog.clone(), selected.clone(), reload.clone());
        Callback::from(move |_| {
            if dialog.open.as_ref().is_some_and(|d| d.outcomes.is_some()) {
                selected.set(Rc::new(Vec::new()));
                reload.set(*reload + 1);
            }
            dialog.dispatch(DialogAction::Close);
        })
    };
    let on_clear_selection = {
        let selected = selected.clone();
        Callback::from(move |_| selected.set(Rc::new(Vec::new())))
    };
    let on_clear_finished = {
        let d = ledger.state.dispatcher();
        Callback::from(move |_| d.dispatch(LedgerAction::ClearFinished))
    };

    let (run, ok, bad, unk) = ledger.state.ledger.summary();
    html! {
        <>
            if let Some(retry_at) = connection {
                <div class="banner warn" role="status" id="connection-lost">
                    { format!("⚠ Connection to the manager lost; retrying in {} s. No job is dropped.", ((retry_at - now) / 1000.0).ceil().max(0.0)) }
                </div>
            }
            if let Some(w) = &ledger.warning { <div class="banner warn" role="alert">{ "⚠ " }{ w.clone() }</div> }
            if let Some(w) = &*groups_error { <div class="banner info">{ "ℹ " }{ w.clone() }</div> }
            <main class="layout">
                <section class="panel keys" aria-labelledby="keys-title">
                    <h2 id="keys-title">{"SAP keys"}</h2>
                    <KeyTable fetch={fetch} query={(*query).clone()} groups={(*groups).clone()} selected={selected_ids}
                        running={running} on_query={ let q = query.clone(); Callback::from(move |n| q.set(n)) }
                        on_toggle={on_toggle} on_toggle_page={on_toggle_page}
                        on_retry={ let r = reload.clone(); Callback::from(move |_| r.set(*r + 1)) } />
                </section>
                <aside class="side">
                    <section class="panel selection" aria-labelledby="action-title">
                        <h2 id="action-title">{"Delete or restore"}</h2>
                        <JobForm selected={(*selected).clone()} ledger={ledger.state.ledger.clone()} on_review={on_review} on_clear={on_clear_selection} />
                    </section>
                    <section class="panel jobs" aria-labelledby="jobs-title">
                        <h2 id="jobs-title">{"Jobs started here"}
                            <span class="counts" id="job-counts">{ format!("{run} running · {ok} succeeded · {bad} failed{}", if unk > 0 { format!(" · {unk} unknown") } else { String::new() }) }</span>
                        </h2>
                        <JobList entries={ledger.state.rows.clone()} now_ms={now} on_clear_finished={on_clear_finished} />
                    </section>
                </aside>
            </main>
            if let Some(d) = &dialog.open {
                <ConfirmDialog operation={d.operation} delete_if_backup_fails={d.flag} keys={d.keys.clone()} skipped={d.skipped.clone()}
                    outcomes={d.outcomes.clone()} on_confirm={on_confirm} on_close={on_close} />
            }
        </>
    }
}

struct SubmitCtx {
    queue: Rc<RefCell<SubmitQueue>>,
    api: Api,
    dialog: UseReducerDispatcher<Dialog>,
    ledger: UseReducerDispatcher<crate::hooks::use_ledger::LedgerState>,
    user: String,
    origin: String,
    operation: Operation,
    flag: bool,
}

/// Starts as many posts as the queue allows; each finished post starts the next.
fn pump(ctx: Rc<SubmitCtx>) {
    loop {
        let next = ctx.queue.borrow_mut().next_ready();
        let Some((key, req)) = next else { break };
        ctx.dialog.dispatch(DialogAction::Outcome(key.id.clone(), KeyOutcome::Posting));
        let ctx = ctx.clone();
        spawn_local(async move {
            let result = ctx.api.create_job(&req).await;
            let now = now_ms();
            let outcome = match result {
                Ok(job) => {
                    let entry = LedgerEntry::started(&job, &key, ctx.operation, ctx.flag, &ctx.user, &ctx.origin, now);
                    ctx.ledger.dispatch(LedgerAction::Add(entry));
                    ctx.dialog.dispatch(DialogAction::Outcome(key.id.clone(), KeyOutcome::Created { state: job.state.clone() }));
                    SubmitOutcome::Created(job)
                }
                Err(e) if e.is_transient() || matches!(e.kind, crate::api::error::ErrorKind::Decode { .. }) => {
                    // Not idempotent: never retried. Say so, and find out what the key looks like now.
                    let msg = format!("Outcome unknown: {} The request was not repeated; re-reading the key…", e.user_message());
                    ctx.dialog.dispatch(DialogAction::Outcome(key.id.clone(), KeyOutcome::Unknown(msg)));
                    let (api, dialog, id, err) = (ctx.api.clone(), ctx.dialog.clone(), key.id.clone(), e.user_message());
                    spawn_local(async move {
                        let now_state = match api.key(&id).await {
                            Ok(k) => format!("the key is now {}", k.state().label().to_lowercase()),
                            Err(e2) => format!("the key could not be re-read either ({})", e2.user_message()),
                        };
                        dialog.dispatch(DialogAction::Outcome(id, KeyOutcome::Unknown(format!(
                            "Outcome unknown: {err} The request was not repeated; {now_state}. Check the job list and the manager before trying again."
                        ))));
                    });
                    SubmitOutcome::Unknown(e)
                }
                Err(e) => {
                    ctx.dialog.dispatch(DialogAction::Outcome(key.id.clone(), KeyOutcome::Refused(e.user_message())));
                    SubmitOutcome::Refused(e)
                }
            };
            ctx.queue.borrow_mut().finish(&key.id, outcome);
            pump(ctx);
        });
    }
}
