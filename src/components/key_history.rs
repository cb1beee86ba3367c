//! One key's history: the key as the manager has it now (every field, the raw JSON, copy buttons
//! for its ids), every job this browser ran on it, and a way to start a delete or a restore of it
//! through the usual confirmation.
use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
use crate::api::decode::to_json_pretty;
use crate::api::jobs::Operation;
use crate::api::keys::{KeyState, SapKey};
use crate::browser::dom::{copy_text, local_rfc3339, local_time};
use crate::components::error_detail::ErrorDetail;
use crate::domain::job_state::JobPhase;
use crate::domain::key_history::{
    ended_count, key_actions, key_fields, key_history, FieldValue, HistoryRow, KeyField, KeyNow,
};
use crate::domain::ledger::Ledger;
use crate::domain::manager_error::ManagerError;
use crate::domain::permissions::Refusals;
use crate::domain::submit::Submission;
use crate::hooks::use_dialog::use_dialog_focus;
use crate::hooks::use_key_detail::use_key_detail;

#[derive(Properties, PartialEq)]
pub struct KeyHistoryProps {
    /// The key's CCKM id.
    pub key_id: String,
    pub api: Api,
    pub ledger: Rc<Ledger>,
    pub refusals: Refusals,
    /// Opens the usual confirmation of `Submission` for these keys (the key as just read).
    pub on_start: Callback<(Submission, Rc<Vec<SapKey>>)>,
    pub on_close: Callback<()>,
}

/// Which id was copied last, and how that went.
type Copied = Option<(String, Result<(), String>)>;

#[function_component(KeyHistory)]
pub fn key_history_panel(p: &KeyHistoryProps) -> Html {
    let root = use_node_ref();
    use_dialog_focus(root.clone(), Some(p.on_close.clone()));
    let detail = use_key_detail(&p.api, &p.key_id, ended_count(&p.ledger, &p.key_id));
    let copied = use_state(|| None::<(String, Result<(), String>)>);
    let rows = key_history(&p.ledger, &p.key_id);
    let name = match &detail.now {
        KeyNow::Loaded(k) => k.display_name(),
        _ => p
            .ledger
            .entries
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(&p.key_id))
            .map(|e| e.key_name.clone())
            .unwrap_or_else(|| p.key_id.clone()),
    };
    let now = match &detail.now {
        KeyNow::Loading => html! {
            <p class="muted" id="key-loading" aria-busy="true"><span class="spinner" aria-hidden="true"></span>{"Reading the key from the manager…"}</p>
        },
        KeyNow::Failed(e) => html! {
            <div class="key-failed" id="key-failed" role="alert">
                <p class="bad">{"⚠ The key could not be read from the manager. "}<ErrorDetail error={ManagerError::from(e)} /></p>
                <button type="button" id="key-retry" onclick={detail.retry.reform(|_| ())}>{"Try again"}</button>
            </div>
        },
        KeyNow::Missing(e) => html! {
            <div class="key-missing" id="key-missing" role="status">
                <p><strong>{"This key no longer exists on the manager."}</strong>{" It answered that it has no key with this id; the jobs this browser ran on it are listed below."}</p>
                <p class="muted"><ErrorDetail error={ManagerError::from(e)} /></p>
            </div>
        },
        KeyNow::Loaded(k) => html! {
            <>
                { key_facts(k, &copied) }
                { actions(k, p) }
            </>
        },
    };
    html! {
        <div class="modal-backdrop">
            <div class="modal wide key-history" role="dialog" aria-modal="true" aria-labelledby="key-history-title" id="key-history" ref={root}>
                <div class="modal-head">
                    <h2 id="key-history-title">{"Key · "}<bdi>{ name }</bdi></h2>
                    <button type="button" id="key-history-close" onclick={p.on_close.reform(|_| ())}>{"Close"}</button>
                </div>
                <div class="key-history-body">
                <section aria-labelledby="key-now-title">
                    <h3 id="key-now-title">{"The key now"}</h3>
                    { now }
                </section>
                <section aria-labelledby="key-jobs-title">
                    <h3 id="key-jobs-title">{ match rows.len() {
                        0 => "Jobs from this browser".to_string(),
                        1 => "1 job from this browser".to_string(),
                        n => format!("{n} jobs from this browser, oldest first"),
                    } }</h3>
                    if rows.is_empty() {
                        <p class="muted" id="key-jobs-empty">{"This browser has not run a job on this key."}</p>
                    } else {
                        <ol class="key-jobs" id="key-jobs">{ for rows.iter().map(job_row) }</ol>
                    }
                </section>
                </div>
            </div>
        </div>
    }
}

/// The key's state, every field, and the raw JSON.
fn key_facts(k: &SapKey, copied: &UseStateHandle<Copied>) -> Html {
    let state = k.state();
    let state_class = match state {
        KeyState::Enabled => "st-enabled",
        KeyState::Disabled => "st-disabled",
        KeyState::Gone => "st-gone",
        KeyState::Unknown => "st-unknown",
    };
    let fields = k.raw.as_ref().map(key_fields).unwrap_or_default();
    let raw = k.raw.as_ref().and_then(to_json_pretty);
    html! {
        <>
            <p class="key-now-state" id="key-state">
                <span class={classes!("key-state", state_class)}><span aria-hidden="true">{ state.icon() }</span>{" "}{ state.label() }</span>
            </p>
            <dl class="facts key-fields" id="key-fields">
                { for fields.iter().map(|f| field_row(f, copied)) }
            </dl>
            if let Some(raw) = raw {
                <details class="key-raw">
                    <summary>{"Raw JSON, as the manager sent it"}</summary>
                    <pre class="code" id="key-raw">{ raw }</pre>
                </details>
            }
        </>
    }
}

fn field_row(f: &KeyField, copied: &UseStateHandle<Copied>) -> Html {
    let label = match f.label {
        Some(l) => html! { { l } },
        None => {
            html! { <><code>{ f.path.clone() }</code><span class="sr-only">{" (a field this page does not know)"}</span></> }
        }
    };
    let value = match &f.value {
        FieldValue::Text(s) if s.is_empty() => html! { <span class="muted">{"(empty)"}</span> },
        FieldValue::Text(s) if f.copy => html! { <code>{ s.clone() }</code> },
        FieldValue::Text(s) => html! { <bdi>{ s.clone() }</bdi> },
        FieldValue::Time(s) => {
            html! { <time datetime={s.clone()} title={s.clone()}>{ local_rfc3339(s) }</time> }
        }
        FieldValue::Flag(b) => html! { { if *b { "yes" } else { "no" } } },
        FieldValue::Number(n) => html! { { n.clone() } },
        FieldValue::Json(j) => html! { <code>{ j.clone() }</code> },
        FieldValue::Null => html! { <span class="muted">{"null"}</span> },
    };
    let copy = match (&f.value, f.copy) {
        (FieldValue::Text(s), true) => copy_button(&f.path, f.label.unwrap_or("id"), s, copied),
        _ => html! {},
    };
    html! {
        <>
            <dt data-path={f.path.clone()}>{ label }</dt>
            <dd data-path={f.path.clone()}>{ value }{ copy }</dd>
        </>
    }
}

fn copy_button(path: &str, label: &str, text: &str, copied: &UseStateHandle<Copied>) -> Html {
    let onclick = {
        let (path, text, copied) = (path.to_string(), text.to_string(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (path, text, copied) = (path.clone(), text.clone(), copied.clone());
            spawn_local(async move {
                let r = copy_text(&text).await;
                copied.set(Some((path, r)));
            });
        })
    };
    let result = copied.as_ref().filter(|(p, _)| p == path).map(|(_, r)| r);
    html! {
        <>
            <button type="button" class="copy-id" aria-label={format!("Copy {label}")} {onclick}>
                { if matches!(result, Some(Ok(()))) { "Copied ✓" } else { "Copy" } }
            </button>
            <span role="status" class="copy-status">
                if let Some(Err(e)) = result { <span class="bad">{ format!("Could not copy: {e}.") }</span> }
            </span>
        </>
    }
}

/// Delete or restore the key as just read, through the usual confirmation.
fn actions(k: &Rc<SapKey>, p: &KeyHistoryProps) -> Html {
    let a = key_actions(k, &p.ledger, &p.refusals);
    let button = |op: Operation| {
        let onclick = {
            let (cb, k) = (p.on_start.clone(), k.clone());
            Callback::from(move |_: MouseEvent| {
                cb.emit((Submission::new(op, false), Rc::new(vec![(*k).clone()])))
            })
        };
        match op {
            Operation::Delete => html! {
                <button type="button" class="danger" id="key-delete" {onclick}>{"Delete from SAP…"}</button>
            },
            Operation::Restore => html! {
                <button type="button" class="primary" id="key-restore" {onclick}>{"Restore from backup…"}</button>
            },
        }
    };
    html! {
        <div class="key-actions" id="key-actions">
            { for a.offered.iter().map(|op| button(*op)) }
            { for a.blocked.iter().map(|s| html! { <p class="note not-permitted key-blocked">{ format!("ℹ Not offered: {s}.") }</p> }) }
        </div>
    }
}

fn job_row(r: &HistoryRow) -> Html {
    let class = match r.phase {
        JobPhase::Running => "phase-running",
        JobPhase::Succeeded => "phase-succeeded",
        JobPhase::Failed => "phase-failed",
        JobPhase::UnknownToManager | JobPhase::NoLongerWatched => "phase-unknown",
    };
    html! {
        <li class={classes!("key-job", class)} data-job-id={r.job_id.clone()}>
            <div class="key-job-head">
                <span class="job-op">{ r.operation.as_str() }</span>
                <span class="key-job-outcome">{ r.outcome.clone() }</span>
            </div>
            <div class="job-meta">
                <span>{ format!("started {} by ", local_time(r.started_ms)) }<bdi class="key-job-user">{ r.user.clone() }</bdi></span>
                <span>{"job "}<code>{ r.job_id.clone() }</code></span>
            </div>
            <ol class="timeline key-job-states" aria-label="States seen">
                { for r.states.iter().map(|s| html! {
                    <li><span class="t">{ local_time(s.at_ms) }</span>{" "}<code>{ s.state.clone() }</code></li>
                }) }
            </ol>
            if let Some(v) = &r.verification {
                <p class="job-note key-job-verification">{ v.clone() }</p>
            }
        </li>
    }
}
