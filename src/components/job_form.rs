//! What to do with the selected keys: delete or restore, and the `delete_if_backup_fails` flag.
//! Only the operation that fits a key's state is offered; the rest are listed as skipped.
use std::rc::Rc;

use yew::prelude::*;

use crate::api::jobs::Operation;

use crate::api::keys::SapKey;
use crate::domain::ledger::Ledger;
use crate::domain::permissions::{summary, Refusals};
use crate::domain::plan::plan;
use crate::domain::submit::Submission;

#[derive(Properties, PartialEq)]
pub struct JobFormProps {
    pub selected: Rc<Vec<SapKey>>,
    pub ledger: Rc<Ledger>,
    /// What the manager refused this session; those keys are marked before anyone clicks.
    pub refusals: Refusals,
    /// The user asks to review posting the eligible keys.
    pub on_review: Callback<Submission>,
    pub on_clear: Callback<()>,
}

#[function_component(JobForm)]
pub fn job_form(p: &JobFormProps) -> Html {
    let op = use_state(|| Operation::Delete);
    let flag = use_state(|| false);
    let deletes = plan(Operation::Delete, &p.selected, &p.ledger, &p.refusals);
    let restores = plan(Operation::Restore, &p.selected, &p.ledger, &p.refusals);
    // Offer what fits: when only one operation applies to the selection, pick it.
    let current = match (
        *op,
        deletes.eligible.is_empty(),
        restores.eligible.is_empty(),
    ) {
        (Operation::Delete, true, false) => Operation::Restore,
        (Operation::Restore, false, true) => Operation::Delete,
        (o, _, _) => o,
    };
    let chosen = if current == Operation::Delete {
        &deletes
    } else {
        &restores
    };

    let refused_note = (!p.refusals.is_empty()).then(|| html! {
        <p class="note not-permitted" id="refusals-note" role="note">
            {"ℹ The manager does not let you "}{ summary(&p.refusals) }{". Keys there are marked and not posted; an administrator can change the group's permissions."}
        </p>
    });
    if p.selected.is_empty() {
        return html! {
            <div class="job-form empty" id="job-form">
                <p class="hint">{"Select keys in the table to delete them from SAP or restore them from their backup."}</p>
                { refused_note }
            </div>
        };
    }

    let choose = |o: Operation| {
        let op = op.clone();
        Callback::from(move |_: Event| op.set(o))
    };
    let on_flag = {
        let flag = flag.clone();
        Callback::from(move |_: Event| flag.set(!*flag))
    };
    let on_review = {
        let (cb, flag) = (p.on_review.clone(), *flag);
        Callback::from(move |_: MouseEvent| cb.emit(Submission::new(current, flag)))
    };

    html! {
        <div class="job-form" id="job-form">
            <div class="selection-line">
                <strong id="selected-count">{ format!("{} selected", keys(p.selected.len())) }</strong>
                <button type="button" class="link" onclick={p.on_clear.reform(|_| ())}>{"Clear selection"}</button>
            </div>
            <fieldset class="ops">
                <legend>{"Operation"}</legend>
                <label class={classes!("op", (deletes.eligible.is_empty()).then_some("disabled"))}>
                    <input type="radio" name="op" id="op-delete" checked={current == Operation::Delete}
                        disabled={deletes.eligible.is_empty()} onchange={choose(Operation::Delete)} />
                    <span><strong>{"Delete from SAP"}</strong>{ format!(" — {}; the backup stays in CipherTrust Manager", keys(deletes.eligible.len())) }</span>
                </label>
                <label class={classes!("op", (restores.eligible.is_empty()).then_some("disabled"))}>
                    <input type="radio" name="op" id="op-restore" checked={current == Operation::Restore}
                        disabled={restores.eligible.is_empty()} onchange={choose(Operation::Restore)} />
                    <span><strong>{"Restore to SAP"}</strong>{ format!(" — {}, from their backup", keys(restores.eligible.len())) }</span>
                </label>
            </fieldset>
            if current == Operation::Delete && !chosen.eligible.is_empty() {
                <label class="flag">
                    <input type="checkbox" id="flag-delete-if-backup-fails" checked={*flag} onchange={on_flag} />
                    <span><code>{"delete_if_backup_fails"}</code>{" — delete even if the backup fails"}</span>
                </label>
                <p class={classes!("warning", flag.then_some("strong"))} id="flag-warning">
                    {"⚠ When this is on, a key whose backup fails is deleted from SAP anyway and cannot be restored."}
                </p>
            }
            if !chosen.skipped.is_empty() {
                <div class="skipped" id="skipped-list">
                    <p>{ match chosen.skipped.len() { 1 => "1 selected key will be skipped:".to_string(), n => format!("{n} selected keys will be skipped:") } }</p>
                    <ul>
                        { for chosen.skipped.iter().take(20).map(|(k, why)| html! { <li><bdi>{ k.name.clone() }</bdi>{" — "}{ why.describe(current, k) }</li> }) }
                        if chosen.skipped.len() > 20 { <li>{ format!("… and {} more", chosen.skipped.len() - 20) }</li> }
                    </ul>
                </div>
            }
            { refused_note }
            <button type="button" id="review" class={classes!((!chosen.eligible.is_empty()).then_some(if current == Operation::Delete { "danger" } else { "primary" }))}
                disabled={chosen.eligible.is_empty()} onclick={on_review}>
                if chosen.eligible.is_empty() {
                    {"Nothing to post for the selected keys"}
                } else {
                    { format!("{} {}…", current.label(), keys(chosen.eligible.len())) }
                }
            </button>
        </div>
    }
}

/// "1 key", "2 keys".
fn keys(n: usize) -> String {
    if n == 1 {
        "1 key".to_string()
    } else {
        format!("{n} keys")
    }
}
