//! The last step before anything is posted: the keys, their groups, and a typed confirmation for
//! delete (the key's name, or `DELETE n KEYS`). After confirming, each key's outcome is shown here.
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::jobs::Operation;
use crate::components::error_detail::ErrorDetail;
use crate::domain::confirm::{required_always_typed, required_for, Confirmation};
use crate::domain::key_ref::KeyRef;
use crate::domain::manager_error::ManagerError;
use crate::domain::plan::SkipReason;
use crate::domain::review::KeyOutcome;

#[derive(Properties, PartialEq)]
pub struct ConfirmProps {
    pub operation: Operation,
    pub delete_if_backup_fails: bool,
    pub keys: Vec<KeyRef>,
    pub skipped: Vec<(KeyRef, SkipReason)>,
    /// `None` until confirmed; then one outcome per key, in order.
    pub outcomes: Option<Vec<KeyOutcome>>,
    pub on_confirm: Callback<()>,
    pub on_close: Callback<()>,
    /// A retry's or an undo's own title ("Retry 2 failed deletes of batch …").
    #[prop_or_default]
    pub title: Option<String>,
    /// An undo: typed confirmation whatever the operation.
    #[prop_or_default]
    pub always_typed: bool,
}

#[function_component(ConfirmDialog)]
pub fn confirm_dialog(p: &ConfirmProps) -> Html {
    let typed = use_state(String::new);
    let need = if p.always_typed {
        required_always_typed(p.operation, &p.keys)
    } else {
        required_for(p.operation, &p.keys)
    };
    let satisfied = need.is_satisfied(&typed);
    let submitted = p.outcomes.is_some();
    let nothing = p.keys.is_empty();
    let input_ref = use_node_ref();
    let root = use_node_ref();
    crate::hooks::use_dialog::use_dialog_focus(
        root.clone(),
        (!submitted).then(|| p.on_close.clone()),
    );

    let oninput = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            typed.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let confirm = {
        let cb = p.on_confirm.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if satisfied && !submitted && !nothing {
                cb.emit(());
            }
        })
    };
    let finished = p
        .outcomes
        .as_ref()
        .is_some_and(|o| !o.iter().any(KeyOutcome::is_pending));
    let title = match (p.operation, p.keys.len()) {
        _ if p.title.is_some() => p.title.clone().unwrap_or_default(),
        (Operation::Delete, 1) => "Delete 1 key from SAP?".to_string(),
        (Operation::Delete, n) => format!("Delete {n} keys from SAP?"),
        (Operation::Restore, 1) => "Restore 1 key to SAP?".to_string(),
        (Operation::Restore, n) => format!("Restore {n} keys to SAP?"),
    };

    html! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" id="confirm-dialog" ref={root}>
                <form onsubmit={confirm}>
                    <h2 id="confirm-title">{ title }</h2>
                    if nothing {
                        <p class="lead" id="confirm-nothing">{ "Nothing to post: every key was skipped, for the reason given beside it." }</p>
                    }
                    <p class="lead">{ match p.operation {
                        Operation::Delete => if p.delete_if_backup_fails {
                            "Each key is backed up in CipherTrust Manager, then removed from SAP. delete_if_backup_fails is ON: a key whose backup fails is deleted anyway and cannot be restored."
                        } else {
                            "Each key is backed up in CipherTrust Manager, then removed from SAP. If a key's backup fails, that key is not deleted."
                        },
                        Operation::Restore => "Each key is put back into SAP from its backup in CipherTrust Manager.",
                    } }</p>
                    <div class="confirm-list-wrap">
                        <table class="confirm-list">
                            <thead><tr><th scope="col">{"Key"}</th><th scope="col">{"Group"}</th>
                                if submitted { <th scope="col">{"Result"}</th> }
                            </tr></thead>
                            <tbody>
                            { for p.keys.iter().enumerate().map(|(i, k)| {
                                let outcome = p.outcomes.as_ref().and_then(|o| o.get(i));
                                html! {
                                    <tr key={k.id.clone()}>
                                        <td class="confirm-name" title={k.name.clone()}><bdi>{ k.name.clone() }</bdi></td>
                                        <td class="confirm-group" data-label="Group"><bdi>{ k.group.clone().unwrap_or_else(|| "—".into()) }</bdi></td>
                                        if submitted { <td class="outcome" data-label="Result">{ outcome.map(render_outcome).unwrap_or_default() }</td> }
                                    </tr>
                                }
                            }) }
                            </tbody>
                        </table>
                    </div>
                    if !p.skipped.is_empty() {
                        <p class="skipped-note">{ format!("Skipped ({}): ", p.skipped.len()) }
                            { for p.skipped.iter().take(10).map(|(k, why)| html! { <span class="skip"><bdi>{ k.name.clone() }</bdi>{ format!(" — {}; ", why.describe(p.operation, k)) }</span> }) }
                        </p>
                    }
                    if !submitted && !nothing {
                        if let Confirmation::TypeToConfirm(phrase) = &need {
                            <label for="confirm-input" class="confirm-label">
                                {"To confirm, type "}<code class="phrase"><bdi>{ phrase.clone() }</bdi></code>
                            </label>
                            <input id="confirm-input" ref={input_ref.clone()} value={(*typed).clone()} {oninput} autocomplete="off" spellcheck="false" />
                        }
                    }
                    <div class="modal-actions">
                        if !submitted {
                            <button type="button" id="confirm-cancel" onclick={p.on_close.reform(|_| ())}>{ if nothing { "Close" } else { "Cancel" } }</button>
                            if !nothing {
                            <button type="submit" id="confirm-submit" class={if p.operation == Operation::Delete || p.always_typed { "danger" } else { "primary" }} disabled={!satisfied}>
                                { format!("{} {} key{}", p.operation.label(), p.keys.len(), if p.keys.len() == 1 { "" } else { "s" }) }
                            </button>
                            }
                        } else {
                            <span class="progress-note" aria-live="polite">{ if finished { "Done. Follow the jobs in the list." } else { "Posting jobs…" } }</span>
                            <button type="button" id="confirm-close" class="primary" disabled={!finished} onclick={p.on_close.reform(|_| ())}>{"Close"}</button>
                        }
                    </div>
                </form>
            </div>
        </div>
    }
}

fn render_outcome(o: &KeyOutcome) -> Html {
    match o {
        KeyOutcome::Waiting => html! { <span class="muted">{"waiting"}</span> },
        KeyOutcome::Posting => {
            html! { <span class="muted"><span class="spinner" aria-hidden="true"></span>{"posting…"}</span> }
        }
        KeyOutcome::Created { state } => {
            html! { <span class="ok">{"✓ job created ("}{ state.clone() }{")"}</span> }
        }
        KeyOutcome::Refused(m) => {
            html! { <span class="bad">{"✗ "}<ErrorDetail error={m.clone()} /></span> }
        }
        KeyOutcome::NotPermitted(m, e) => {
            html! { <span class="not-permitted">{"⊘ "}<ErrorDetail error={e.as_ref().map_or_else(|| ManagerError::from(m.as_str()), |e| ManagerError::from(e).with_message(m.clone()))} /></span> }
        }
        KeyOutcome::Unknown(m) => {
            html! { <span class="unk">{"? "}<ErrorDetail error={m.clone()} /></span> }
        }
    }
}
