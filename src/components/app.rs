//! The page: header, login, and the console (keys, job form, confirmation, live job list).
use std::collections::HashSet;
use std::rc::Rc;

use yew::prelude::*;

use super::confirm_dialog::ConfirmDialog;
use super::error_detail::ErrorDetail;
use super::help::Help;
use super::job_detail::JobDetail;
use super::job_form::JobForm;
use super::job_list::JobList;
use super::key_history::KeyHistory;
use super::key_table::KeyTable;
use super::login::Login;
use crate::api::client::{now_ms, Api};
use crate::api::sign_in::{SignIn, LOCAL_ACCOUNT};
use crate::browser::{dom, storage};
use crate::domain::export::ExportFormat;
use crate::domain::job_state::JobPhase;
use crate::domain::key_fetch::KeyPage;
use crate::domain::ledger::storage_key;
use crate::hooks::use_groups::use_groups;
use crate::hooks::use_job_news::use_job_news;
use crate::hooks::use_key_view::use_key_view;
use crate::hooks::use_keys::use_keys;
use crate::hooks::use_ledger::{use_ledger, LedgerAction, LedgerState};
use crate::hooks::use_now::use_now;
use crate::hooks::use_poller::use_poller;
use crate::hooks::use_selection::use_selection;
use crate::hooks::use_session::{use_session, SessionState};
use crate::hooks::use_shortcuts::use_shortcuts;
use crate::hooks::use_submit::use_submit;
use crate::hooks::use_theme::use_theme;

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
                            if w.connection != LOCAL_ACCOUNT {
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

#[derive(Properties, PartialEq)]
struct ConsoleProps {
    api: Api,
    who: SignIn,
    /// False while the session is expired: nothing is sent until the user logs in again.
    active: bool,
}

/// Keys on the left, the job form and the live job list on the right, and their dialogs.
#[function_component(Console)]
fn console(p: &ConsoleProps) -> Html {
    let api = &p.api;
    let origin = storage::origin();
    let ledger = use_ledger(storage_key(&origin, &p.who.domain, &p.who.ledger_user()));
    let view = use_key_view();
    let keys = use_keys(api, view.query.to_query_string());
    let connection = use_poller(api, &ledger.state, p.active, keys.reload.reform(|_| ()));
    let groups = use_groups(api, p.active);
    let selection = use_selection();
    let on_submitted = {
        let (clear, reload) = (selection.clear.clone(), keys.reload.clone());
        Callback::from(move |of_selection: bool| {
            if of_selection {
                clear.emit(());
            }
            reload.emit(());
        })
    };
    let submit = use_submit(
        api,
        &ledger.state,
        &p.who.user,
        &origin,
        selection.keys.clone(),
        on_submitted,
    );
    let shortcuts = use_shortcuts();
    let news = use_job_news(&ledger.state);
    let now = use_now(1000);

    let running = running_on_page(&ledger.state, keys.fetch.data());
    let on_clear_finished = {
        let d = ledger.state.dispatcher();
        Callback::from(move |_| d.dispatch(LedgerAction::ClearFinished))
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
    let detail = view.job.as_ref().and_then(|id| {
        let rows = &ledger.state.rows;
        rows.iter().find(|r| &r.0.job_id == id).cloned()
    });
    let (run, ok, bad, unk) = ledger.state.tally.summary;
    html! {
        <>
            if let Some(retry_at) = connection {
                <div class="banner warn" role="status" id="connection-lost">
                    { format!("⚠ Connection to the manager lost; retrying in {} s. No job is dropped.", ((retry_at - now) / 1000.0).ceil().max(0.0) as u64) }
                </div>
            }
            if let Some(w) = &ledger.warning { <div class="banner warn" role="alert">{ "⚠ " }{ w.clone() }</div> }
            if let Some(w) = &groups.error { <div class="banner info">{ "ℹ " }<ErrorDetail error={w.clone()} /></div> }
            <main class="layout">
                <section class="panel keys" aria-labelledby="keys-title">
                    <h2 id="keys-title">{"SAP keys"}</h2>
                    <KeyTable fetch={keys.fetch} query={view.query.clone()} groups={groups.list} selected={selection.ids}
                        running={running} on_query={view.set_query} on_open_key={view.open_key.clone()}
                        on_toggle={selection.toggle} on_toggle_page={selection.toggle_page}
                        on_retry={keys.reload} />
                </section>
                <aside class="side">
                    <section class="panel selection" aria-labelledby="action-title">
                        <h2 id="action-title">{"Delete or restore"}</h2>
                        <JobForm selected={selection.keys} ledger={ledger.state.ledger.clone()} refusals={submit.refusals.clone()} on_review={submit.open} on_clear={selection.clear} />
                    </section>
                    <section class="panel jobs" aria-labelledby="jobs-title">
                        <h2 id="jobs-title">{"Jobs started here"}
                            <span class="counts" id="job-counts">{ format!("{run} running · {ok} succeeded · {bad} failed{}", if unk > 0 { format!(" · {unk} unknown") } else { String::new() }) }</span>
                        </h2>
                        if news.can_ask {
                            <button type="button" class="link" id="notify-me" onclick={news.ask.reform(|_| ())}>{"Notify me when jobs end while this tab is hidden"}</button>
                        }
                        <JobList entries={ledger.state.rows.clone()} now_ms={now} on_clear_finished={on_clear_finished}
                            on_open={view.open_job} on_export={on_export}
                            filter={view.job_filter.clone()} on_filter={view.set_job_filter.clone()}
                            on_follow_up={submit.follow_up.clone()} note={submit.note.clone()} on_open_key={view.open_key.clone()} />
                    </section>
                </aside>
            </main>
            <div class="sr-only" aria-live="polite" id="live-region">{ news.live }</div>
            <button type="button" class="help-button" id="help-open" title="Keyboard shortcuts" aria-label="Keyboard shortcuts"
                onclick={shortcuts.set_help.reform(|_| true)}>{"?"}</button>
            if shortcuts.help_open {
                <Help shortcuts_on={shortcuts.enabled} on_toggle={shortcuts.toggle} on_close={shortcuts.set_help.reform(|_| false)} />
            }
            if let Some(entry) = detail {
                <JobDetail entry={entry} api={api.clone()} origin={origin.clone()} on_close={view.close_job} on_open_key={view.open_key.clone()} />
            }
            if let Some(id) = view.key.clone() {
                <KeyHistory key_id={id} api={api.clone()} ledger={ledger.state.ledger.clone()} refusals={submit.refusals.clone()}
                    on_start={submit.open_keys} on_close={view.close_key} />
            }
            if let Some(r) = submit.review {
                <ConfirmDialog operation={r.submission.operation} delete_if_backup_fails={r.submission.delete_if_backup_fails}
                    always_typed={r.always_typed()} title={r.title.clone()}
                    keys={r.keys} skipped={r.skipped} outcomes={r.outcomes} on_confirm={submit.confirm} on_close={submit.close} />
            }
        </>
    }
}

/// The keys on this page with a job running: only those, so the table's props stay equal while
/// other jobs change.
fn running_on_page(state: &LedgerState, page: Option<&KeyPage>) -> Rc<HashSet<String>> {
    let on_page: HashSet<&str> = page
        .map(|p| p.keys.iter().map(|k| k.id.as_str()).collect())
        .unwrap_or_default();
    let running = state
        .tally
        .running
        .iter()
        .filter_map(|&i| state.ledger.entries.get(i))
        .filter(|e| e.phase == JobPhase::Running && on_page.contains(e.id.as_str()));
    Rc::new(running.map(|e| e.id.clone()).collect())
}
