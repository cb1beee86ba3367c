//! The page: header, login, and the console (keys, job form, confirmation, live job list).
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::confirm_dialog::{ConfirmDialog, KeyOutcome};
use super::error_detail::ErrorDetail;
use super::help::Help;
use super::job_detail::JobDetail;
use super::job_form::JobForm;
use super::job_list::JobList;
use super::key_table::KeyTable;
use super::login::Login;
use crate::api::client::{now_ms, Api};
use crate::api::types::{Operation, SapGroup, SapKey};
use crate::domain::announce::{phase_changes, title};
use crate::domain::export::ExportFormat;
use crate::domain::job_state::JobPhase;
use crate::domain::key_query::{groups_query, KeyQuery};
use crate::domain::ledger::{storage_key, Ledger, LedgerEntry};
use crate::domain::manager_error::ManagerError;
use crate::domain::permissions::{Learned, Refusals};
use crate::domain::plan::{plan, KeyRef, SkipReason};
use crate::domain::sign_in::SignIn;
use crate::domain::submit::{SubmitOutcome, SubmitQueue};
use crate::domain::view::ViewParams;
use crate::hooks::dom;
use crate::hooks::storage;
use crate::hooks::use_keys::use_keys;
use crate::hooks::use_ledger::{use_ledger, LedgerAction};
use crate::hooks::use_now::use_now;
use crate::hooks::use_poller::use_poller;
use crate::hooks::use_session::{use_session, SessionState};
use crate::hooks::use_theme::use_theme;
use crate::hooks::use_view::use_view;
use crate::hooks::{fx::use_fx, state::use_state};

const TITLE: &str = "SAP key jobs · CipherTrust Manager";
const PAGE_SIZE_KEY: &str = "cckm-sap-page-size";
const SHORTCUTS_KEY: &str = "cckm-sap-shortcuts";

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
    let who = session.state.sign_in();
    let expired = matches!(session.state, SessionState::Expired(_));
    let theme = use_theme();

    html! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <svg class="brand-mark" viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
                        <circle cx="11" cy="16" r="6" fill="none" stroke="currentColor" stroke-width="3" />
                        <path d="M17 16h12M25 16v5M29 16v4" stroke="currentColor" stroke-width="3" fill="none" />
                    </svg>
                    <h1 class="brand-name">{"SAP key jobs"}</h1>
                    <span class="brand-sub">{"CipherTrust Manager · CCKM"}</span>
                </div>
                <div class="who">
                    if let Some(w) = &who {
                        <span class="user">{"Signed in as "}<bdi id="current-user">{ w.user.clone() }</bdi>
                            {" · "}<bdi id="current-domain">{ w.domain_label() }</bdi>
                            if w.connection != crate::domain::sign_in::LOCAL_ACCOUNT {
                                {" · via "}<bdi id="current-connection">{ w.connection.clone() }</bdi>
                            }
                        </span>
                    }
                    <button type="button" id="theme-toggle" title={theme.current_label()}
                        onclick={theme.cycle.reform(|_| ())}>{ theme.switch_label() }</button>
                    if who.is_some() {
                        <button type="button" id="logout" onclick={session.logout.reform(|_| ())}>{"Log out"}</button>
                    }
                </div>
            </header>
            if let Some(w) = &who {
                <Console key={w.owner_key()} api={api.clone()} who={w.clone()} active={!expired} />
            } else {
                <main class="login-page"><Login api={api.clone()} on_logged_in={session.logged_in.clone()} /></main>
            }
            if let SessionState::Expired(w) = &session.state {
                <div class="modal-backdrop" id="relogin">
                    <div class="modal narrow" role="dialog" aria-modal="true" aria-labelledby="login-title">
                        <Login api={api.clone()} on_logged_in={session.logged_in.clone()} expired={Some(w.clone())} />
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
                    if let (Some(i), Some(outs)) =
                        (d.keys.iter().position(|k| k.id == id), d.outcomes.as_mut())
                    {
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
    who: SignIn,
    /// False while the session is expired: nothing is sent until the user logs in again.
    active: bool,
}

#[function_component(Console)]
fn console(p: &ConsoleProps) -> Html {
    let api = &p.api;
    let origin = storage::origin();
    let ledger = use_ledger(storage_key(&origin, &p.who.domain, &p.who.ledger_user()));
    let (params, set_view) = use_view();
    let remembered_size = storage::local_get(PAGE_SIZE_KEY).and_then(|s| s.parse().ok());
    let query = params.key_query(remembered_size);
    let on_query = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), params.job.clone()),
            move |next: KeyQuery, (current, job): &(KeyQuery, Option<String>)| {
                if next.page_size != current.page_size {
                    storage::local_set(PAGE_SIZE_KEY, &next.page_size.to_string());
                }
                // Typing a search replaces the history entry; every other change adds one.
                let replace = next.search != current.search
                    && !current.search.is_empty()
                    && !next.search.is_empty();
                set_view.emit((ViewParams::from_query(&next, job.as_deref()), replace));
            },
        )
    };
    let reload = use_state(|| 0u64);
    let fetch = use_keys(api, query.to_query_string(), *reload);
    let shortcuts_on = use_state(|| storage::local_get(SHORTCUTS_KEY).as_deref() != Some("off"));
    let help_open = use_state(|| false);
    let live = use_state(String::new);
    let unseen = use_state(|| (0usize, 0usize));
    let previous_ledger = use_mut_ref(|| None::<Ledger>);
    let notify_permission =
        use_state(|| dom::notifications_supported().then(dom::notification_permission));
    let groups = use_state(|| Rc::new(Vec::<SapGroup>::new()));
    let groups_error = use_state(|| None::<ManagerError>);
    let selected = use_state(|| Rc::new(Vec::<SapKey>::new()));
    let dialog = use_reducer(Dialog::default);
    let queue = use_mut_ref(SubmitQueue::default);
    let refusals = use_reducer(Refusals::default);
    let now = use_now(1000);

    let bump_reload = {
        let reload = reload.clone();
        Callback::from(move |_: String| reload.set(*reload + 1))
    };
    let connection = use_poller(api, &ledger.state, p.active, bump_reload);

    {
        let (api, groups, groups_error) = (api.clone(), groups.clone(), groups_error.clone());
        use_fx(p.active, move |active| {
            if *active && groups.is_empty() {
                spawn_local(async move {
                    match api.groups(&groups_query(0, 1000)).await {
                        Ok((page, _)) => {
                            groups.set(Rc::new(page.resources));
                            groups_error.set(None);
                        }
                        Err(e) => groups_error.set(Some(ManagerError::from(&e).with_message(
                            format!("The group filter is unavailable: {}", e.user_message()),
                        ))),
                    }
                });
            }
        });
    }

    let selected_ids: Rc<HashSet<String>> =
        Rc::new(selected.iter().map(|k| k.id.clone()).collect());
    // Only the keys on this page: the table's props then stay equal while other jobs change.
    let running: Rc<HashSet<String>> = {
        let on_page: HashSet<&str> = fetch
            .data()
            .map(|p| p.keys.iter().map(|k| k.id.as_str()).collect())
            .unwrap_or_default();
        Rc::new(
            ledger
                .state
                .ledger
                .entries
                .iter()
                .filter(|e| e.phase == JobPhase::Running && on_page.contains(e.id.as_str()))
                .map(|e| e.id.clone())
                .collect(),
        )
    };

    // Memoised: rows compare their props, and a new callback each second would re-render them all.
    let on_toggle = {
        let handle = selected.clone();
        use_callback(
            (*selected).clone(),
            move |k: SapKey, current: &Rc<Vec<SapKey>>| {
                let mut v = (**current).clone();
                if let Some(i) = v.iter().position(|s| s.id == k.id) {
                    v.remove(i);
                } else {
                    v.push(k);
                }
                handle.set(Rc::new(v));
            },
        )
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
        let (selected, dialog, ledger_state, refusals) = (
            selected.clone(),
            dialog.clone(),
            ledger.state.clone(),
            refusals.clone(),
        );
        Callback::from(move |(operation, flag): (Operation, bool)| {
            let pl = plan(operation, &selected, &ledger_state.ledger, &refusals);
            if !pl.eligible.is_empty() {
                dialog.dispatch(DialogAction::Open(DialogData {
                    operation,
                    flag,
                    keys: pl.eligible,
                    skipped: pl.skipped,
                    outcomes: None,
                }));
            }
        })
    };
    let on_confirm = {
        let (dialog, queue, api) = (dialog.clone(), queue.clone(), api.clone());
        let ledger_dispatch = ledger.state.dispatcher();
        let (user, origin, refusals) = (p.who.user.clone(), origin.clone(), refusals.dispatcher());
        Callback::from(move |_| {
            let Some(d) = dialog.open.clone() else { return };
            if d.outcomes.is_some() {
                return;
            }
            dialog.dispatch(DialogAction::Confirmed);
            // One queue per confirmation: it de-duplicates this submission's keys (a double click,
            // a held Enter); a key deleted earlier may be restored later.
            let mut q = SubmitQueue::default();
            q.enqueue(d.keys.clone(), d.operation, d.flag);
            *queue.borrow_mut() = q;
            let ctx = SubmitCtx {
                queue: queue.clone(),
                api: api.clone(),
                dialog: dialog.dispatcher(),
                ledger: ledger_dispatch.clone(),
                refusals: refusals.clone(),
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

    let on_open_job = {
        let set_view = set_view.clone();
        use_callback(query.clone(), move |job_id: String, q: &KeyQuery| {
            set_view.emit((ViewParams::from_query(q, Some(&job_id)), false))
        })
    };
    let on_close_job = {
        let (set_view, q) = (set_view.clone(), query.clone());
        Callback::from(move |_| set_view.emit((ViewParams::from_query(&q, None), false)))
    };
    let on_export = {
        let state = ledger.state.clone();
        Callback::from(move |format: ExportFormat| {
            let stamp = dom::local_time(now_ms()).replace([' ', '/', ':', ','], "-");
            dom::download(
                &format.file_name(&stamp),
                format.mime_type(),
                &format.render(&state.ledger),
            );
        })
    };
    let on_toggle_shortcuts = {
        let s = shortcuts_on.clone();
        Callback::from(move |_| {
            storage::local_set(SHORTCUTS_KEY, if *s { "off" } else { "on" });
            s.set(!*s);
        })
    };

    // `/` searches, `?` opens the help; never while typing or while a dialog is open.
    {
        let help_open = help_open.clone();
        use_fx(*shortcuts_on, move |on| {
            let listener = on.then(|| {
                let doc = web_sys::window().and_then(|w| w.document());
                doc.map(|d| {
                    let d2 = d.clone();
                    EventListener::new_with_options(
                        &d,
                        "keydown",
                        EventListenerOptions::enable_prevent_default(),
                        move |ev| {
                            let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
                                return;
                            };
                            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                                return;
                            }
                            let typing = ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                                .is_some_and(|el| {
                                    matches!(
                                        el.tag_name().as_str(),
                                        "INPUT" | "TEXTAREA" | "SELECT"
                                    )
                                });
                            let modal = d2
                                .query_selector(".modal-backdrop")
                                .ok()
                                .flatten()
                                .is_some();
                            if typing || modal {
                                return;
                            }
                            match ev.key().as_str() {
                                "/" => {
                                    ev.prevent_default();
                                    dom::focus_by_id("key-search");
                                }
                                "?" => {
                                    ev.prevent_default();
                                    help_open.set(true);
                                }
                                _ => {}
                            }
                        },
                    )
                })
            });
            move || drop(listener)
        });
    }

    // Job changes: said in the live region; counted in the title and notified while hidden.
    {
        let (live, unseen, previous_ledger) =
            (live.clone(), unseen.clone(), previous_ledger.clone());
        let current = ledger.state.ledger.clone();
        use_fx(ledger.state.version, move |_| {
            let before = previous_ledger.borrow_mut().replace(current.clone());
            if let Some(before) = before {
                let changes = phase_changes(&before, &current);
                if !changes.is_empty() {
                    live.set(
                        changes
                            .iter()
                            .map(|(_, m)| m.clone())
                            .collect::<Vec<_>>()
                            .join(". "),
                    );
                    if storage::document_hidden() {
                        let (mut ok, mut bad) = *unseen;
                        for (phase, msg) in &changes {
                            match phase {
                                JobPhase::Succeeded => ok += 1,
                                JobPhase::Failed
                                | JobPhase::UnknownToManager
                                | JobPhase::NoLongerWatched => bad += 1,
                                JobPhase::Running => {}
                            }
                            dom::notify("SAP key jobs", msg);
                        }
                        unseen.set((ok, bad));
                    }
                }
            }
        });
    }
    {
        let unseen = unseen.clone();
        use_fx(*unseen, move |(ok, bad)| {
            dom::set_title(&title(TITLE, *ok, *bad));
            let listener = (*ok + *bad > 0)
                .then(|| web_sys::window().and_then(|w| w.document()))
                .flatten()
                .map(|d| {
                    EventListener::new(&d, "visibilitychange", move |_| {
                        if !storage::document_hidden() {
                            unseen.set((0, 0));
                        }
                    })
                });
            move || drop(listener)
        });
    }

    let detail = params.job.as_ref().and_then(|id| {
        ledger
            .state
            .rows
            .iter()
            .find(|r| &r.0.job_id == id)
            .cloned()
    });
    let (run, ok, bad, unk) = ledger.state.ledger.summary();
    html! {
        <>
            if let Some(retry_at) = connection {
                <div class="banner warn" role="status" id="connection-lost">
                    { format!("⚠ Connection to the manager lost; retrying in {} s. No job is dropped.", ((retry_at - now) / 1000.0).ceil().max(0.0) as u64) }
                </div>
            }
            if let Some(w) = &ledger.warning { <div class="banner warn" role="alert">{ "⚠ " }{ w.clone() }</div> }
            if let Some(w) = &*groups_error { <div class="banner info">{ "ℹ " }<ErrorDetail error={w.clone()} /></div> }
            <main class="layout">
                <section class="panel keys" aria-labelledby="keys-title">
                    <h2 id="keys-title">{"SAP keys"}</h2>
                    <KeyTable fetch={fetch} query={query.clone()} groups={(*groups).clone()} selected={selected_ids}
                        running={running} on_query={on_query}
                        on_toggle={on_toggle} on_toggle_page={on_toggle_page}
                        on_retry={ let r = reload.clone(); Callback::from(move |_| r.set(*r + 1)) } />
                </section>
                <aside class="side">
                    <section class="panel selection" aria-labelledby="action-title">
                        <h2 id="action-title">{"Delete or restore"}</h2>
                        <JobForm selected={(*selected).clone()} ledger={ledger.state.ledger.clone()} refusals={(*refusals).clone()} on_review={on_review} on_clear={on_clear_selection} />
                    </section>
                    <section class="panel jobs" aria-labelledby="jobs-title">
                        <h2 id="jobs-title">{"Jobs started here"}
                            <span class="counts" id="job-counts">{ format!("{run} running · {ok} succeeded · {bad} failed{}", if unk > 0 { format!(" · {unk} unknown") } else { String::new() }) }</span>
                        </h2>
                        if let Some(perm) = *notify_permission {
                            if perm == "default" {
                                <button type="button" class="link" id="notify-me" onclick={ let np = notify_permission.clone(); Callback::from(move |_| {
                                    let np = np.clone();
                                    dom::request_notifications(Callback::from(move |p| np.set(Some(p))));
                                }) }>{"Notify me when jobs end while this tab is hidden"}</button>
                            }
                        }
                        <JobList entries={ledger.state.rows.clone()} now_ms={now} on_clear_finished={on_clear_finished}
                            on_open={on_open_job} on_export={on_export} />
                    </section>
                </aside>
            </main>
            <div class="sr-only" aria-live="polite" id="live-region">{ (*live).clone() }</div>
            <button type="button" class="help-button" id="help-open" title="Keyboard shortcuts" aria-label="Keyboard shortcuts"
                onclick={ let h = help_open.clone(); Callback::from(move |_| h.set(true)) }>{"?"}</button>
            if *help_open {
                <Help shortcuts_on={*shortcuts_on} on_toggle={on_toggle_shortcuts} on_close={ let h = help_open.clone(); Callback::from(move |_| h.set(false)) } />
            }
            if let Some(entry) = detail {
                <JobDetail entry={entry} api={api.clone()} origin={origin.clone()} on_close={on_close_job} />
            }
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
    refusals: UseReducerDispatcher<Refusals>,
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
        ctx.dialog
            .dispatch(DialogAction::Outcome(key.id.clone(), KeyOutcome::Posting));
        let ctx = ctx.clone();
        spawn_local(async move {
            let result = ctx.api.create_job(&req).await;
            let now = now_ms();
            let outcome = match result {
                Ok(job) => {
                    let entry = LedgerEntry::started(
                        &job,
                        &key,
                        ctx.operation,
                        ctx.flag,
                        &ctx.user,
                        &ctx.origin,
                        now,
                    );
                    ctx.ledger.dispatch(LedgerAction::Add(entry));
                    ctx.dialog.dispatch(DialogAction::Outcome(
                        key.id.clone(),
                        KeyOutcome::Created {
                            state: job.state.clone(),
                        },
                    ));
                    SubmitOutcome::Created(job)
                }
                Err(e)
                    if e.is_transient()
                        || matches!(e.kind, crate::api::error::ErrorKind::Decode { .. }) =>
                {
                    // Not idempotent: never retried. Say so, and find out what the key looks like now.
                    let msg = format!(
                        "Outcome unknown: {} The request was not repeated; re-reading the key…",
                        e.user_message()
                    );
                    ctx.dialog.dispatch(DialogAction::Outcome(
                        key.id.clone(),
                        KeyOutcome::Unknown(ManagerError::from(&e).with_message(msg)),
                    ));
                    let (api, dialog, id, err, shown) = (
                        ctx.api.clone(),
                        ctx.dialog.clone(),
                        key.id.clone(),
                        e.user_message(),
                        ManagerError::from(&e),
                    );
                    spawn_local(async move {
                        let now_state = match api.key(&id).await {
                            Ok(k) => {
                                format!("the key is now {}", k.state().label().to_ascii_lowercase())
                            }
                            Err(e2) => format!(
                                "the key could not be re-read either ({})",
                                e2.user_message()
                            ),
                        };
                        dialog.dispatch(DialogAction::Outcome(id, KeyOutcome::Unknown(shown.with_message(format!(
                            "Outcome unknown: {err} The request was not repeated; {now_state}. Check the job list and the manager before trying again."
                        )))));
                    });
                    SubmitOutcome::Unknown(e)
                }
                Err(e) if e.status == Some(403) => {
                    // Permissions are per group: the rest of this group is not posted, and the
                    // form marks the group as refused for this operation from now on.
                    let scope = key.scope();
                    let sentence = SkipReason::NotPermitted.describe(ctx.operation, &key);
                    ctx.dialog.dispatch(DialogAction::Outcome(
                        key.id.clone(),
                        KeyOutcome::NotPermitted(sentence, Some(e.clone())),
                    ));
                    for k in ctx.queue.borrow_mut().withhold(&scope) {
                        let sentence = format!(
                            "{} — not posted",
                            SkipReason::NotPermitted.describe(ctx.operation, &k)
                        );
                        ctx.dialog.dispatch(DialogAction::Outcome(
                            k.id.clone(),
                            KeyOutcome::NotPermitted(sentence, None),
                        ));
                    }
                    ctx.refusals
                        .dispatch(Learned(scope, ctx.operation, Some(e.user_message())));
                    SubmitOutcome::Refused(e)
                }
                Err(e) => {
                    ctx.dialog.dispatch(DialogAction::Outcome(
                        key.id.clone(),
                        KeyOutcome::Refused(ManagerError::from(&e)),
                    ));
                    SubmitOutcome::Refused(e)
                }
            };
            ctx.queue.borrow_mut().finish(&key.id, outcome);
            pump(ctx);
        });
    }
}
