//! The submit flow: review the selected keys, confirm, post one job per key (at most
//! `MAX_IN_FLIGHT` at once, never twice), and show each key's outcome in the dialog. What the
//! manager refuses with a 403 is learned for the rest of the session.
use std::cell::RefCell;
use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::{now_ms, Api};
use crate::api::keys::SapKey;
use crate::domain::batch::{reread_plan, Followup};
use crate::domain::key_ref::KeyRef;
use crate::domain::ledger::{BatchLink, LedgerEntry, LinkKind};
use crate::domain::permissions::{Learned, Refusals};
use crate::domain::plan::plan;
use crate::domain::review::{KeyOutcome, Review, ReviewAction, ReviewDialog};
use crate::domain::submit::{Submission, SubmitOutcome, SubmitQueue};
use crate::hooks::use_ledger::{LedgerAction, LedgerState};

/// The dialog's state and what the page can do with it.
pub(crate) struct SubmitHandle {
    /// The review on screen, if any.
    pub review: Option<Review>,
    /// What the manager refused this session (the form marks those keys).
    pub refusals: Refusals,
    /// Opens the review of the selected keys for a submission (nothing when no key is eligible).
    pub open: Callback<Submission>,
    /// Re-reads the keys of a retry or an undo, then opens its review.
    pub follow_up: Callback<Followup>,
    /// While the keys of a retry or an undo are re-read: what the page is doing.
    pub note: Option<String>,
    pub confirm: Callback<()>,
    pub close: Callback<()>,
}

/// `selected`: the keys a review covers. `on_done`: called when a dialog that posted is closed,
/// with whether it posted the selection (a retry or an undo leaves the selection alone).
#[hook]
pub(crate) fn use_submit(
    api: &Api,
    ledger: &UseReducerHandle<LedgerState>,
    user: &str,
    origin: &str,
    selected: Rc<Vec<SapKey>>,
    on_done: Callback<bool>,
) -> SubmitHandle {
    let dialog = use_reducer(ReviewDialog::default);
    let refusals = use_reducer(Refusals::default);

    let open = {
        let (dialog, ledger, refusals) = (dialog.clone(), ledger.clone(), refusals.clone());
        Callback::from(move |submission: Submission| {
            let p = plan(submission.operation, &selected, &ledger.ledger, &refusals);
            if let Some(review) = Review::of(submission, p) {
                dialog.dispatch(ReviewAction::Open(review));
            }
        })
    };
    let note = use_state(|| None::<String>);
    let follow_up = {
        let (dialog, ledger, refusals, api) = (
            dialog.clone(),
            ledger.clone(),
            refusals.clone(),
            api.clone(),
        );
        let note = note.clone();
        Callback::from(move |f: Followup| {
            if note.is_some() || dialog.open.is_some() {
                return;
            }
            let n = f.keys.len();
            note.set(Some(format!(
                "Re-reading {n} key{} before the {}…",
                if n == 1 { "" } else { "s" },
                match f.link.kind {
                    LinkKind::Retry => "retry",
                    LinkKind::Undo => "undo",
                }
            )));
            let (dialog, ledger, refusals, api, note) = (
                dialog.clone(),
                ledger.clone(),
                refusals.clone(),
                api.clone(),
                note.clone(),
            );
            spawn_local(async move {
                let mut reread = Vec::with_capacity(f.keys.len());
                for k in &f.keys {
                    let r = api.key(&k.id).await.map_err(|e| e.user_message());
                    reread.push((k.clone(), r));
                }
                let p = reread_plan(f.operation, &reread, &ledger.ledger, &refusals);
                dialog.dispatch(ReviewAction::Open(Review::followup(&f, p)));
                note.set(None);
            });
        })
    };
    let confirm = {
        let ctx = Sender {
            queue: Rc::default(),
            api: api.clone(),
            dialog: dialog.dispatcher(),
            ledger: ledger.dispatcher(),
            refusals: refusals.dispatcher(),
            user: user.to_string(),
            origin: origin.to_string(),
            batch: String::new(),
            link: None,
        };
        let dialog = dialog.clone();
        Callback::from(move |_| {
            let Some(review) = dialog.open.clone().filter(|r| !r.is_confirmed()) else {
                return;
            };
            dialog.dispatch(ReviewAction::Confirmed);
            // One queue per confirmation: it de-duplicates this submission's keys (a double click,
            // a held Enter); a key deleted earlier may be restored later.
            let mut q = SubmitQueue::default();
            q.enqueue(review.keys, review.submission);
            // Every submission is a batch of its own.
            let ctx = Sender {
                batch: uuid::Uuid::new_v4().to_string(),
                link: review.link.clone(),
                ..ctx.clone()
            };
            *ctx.queue.borrow_mut() = q;
            pump(Rc::new(ctx), review.submission);
        })
    };
    let close = {
        let dialog = dialog.clone();
        Callback::from(move |_| {
            if let Some(r) = dialog.open.as_ref().filter(|r| r.is_confirmed()) {
                on_done.emit(r.link.is_none());
            }
            dialog.dispatch(ReviewAction::Close);
        })
    };
    SubmitHandle {
        review: dialog.open.clone(),
        refusals: (*refusals).clone(),
        open,
        follow_up,
        note: (*note).clone(),
        confirm,
        close,
    }
}

/// What posting needs, shared by the posts of one confirmation.
#[derive(Clone)]
struct Sender {
    queue: Rc<RefCell<SubmitQueue>>,
    api: Api,
    dialog: UseReducerDispatcher<ReviewDialog>,
    ledger: UseReducerDispatcher<LedgerState>,
    refusals: UseReducerDispatcher<Refusals>,
    user: String,
    origin: String,
    /// This confirmation's batch id, stored in each entry it creates.
    batch: String,
    link: Option<BatchLink>,
}

/// Starts as many posts as the queue allows; each finished post starts the next.
fn pump(ctx: Rc<Sender>, s: Submission) {
    loop {
        let next = ctx.queue.borrow_mut().next_ready();
        let Some((key, req)) = next else { break };
        ctx.dialog
            .dispatch(ReviewAction::Outcome(key.id.clone(), KeyOutcome::Posting));
        let ctx = ctx.clone();
        spawn_local(async move {
            let outcome = match ctx.api.create_job(&req).await {
                Ok(job) => SubmitOutcome::Created(job),
                Err(e) => SubmitOutcome::from_error(e),
            };
            answered(&ctx, s, &key, &outcome);
            ctx.queue.borrow_mut().finish(&key.id, outcome);
            pump(ctx, s);
        });
    }
}

/// Records one answer: the ledger, the dialog, and what a refusal teaches.
fn answered(ctx: &Sender, s: Submission, key: &KeyRef, outcome: &SubmitOutcome) {
    let say = |id: &str, o: KeyOutcome| ctx.dialog.dispatch(ReviewAction::Outcome(id.into(), o));
    if let SubmitOutcome::Created(job) = outcome {
        let entry = LedgerEntry::started(
            job,
            key,
            s.operation,
            s.delete_if_backup_fails,
            &ctx.user,
            &ctx.origin,
            now_ms(),
        )
        .in_batch(&ctx.batch, ctx.link.clone());
        ctx.ledger.dispatch(LedgerAction::Add(entry));
    }
    say(&key.id, KeyOutcome::answered(outcome, s, key));
    match outcome {
        // Not idempotent, so never retried: find out what the key looks like now.
        SubmitOutcome::Unknown(e) => {
            let (api, dialog, id, e) = (
                ctx.api.clone(),
                ctx.dialog.clone(),
                key.id.clone(),
                e.clone(),
            );
            spawn_local(async move {
                let read = api.key(&id).await;
                let state = read.as_ref().map(|k| k.state().label());
                let o = KeyOutcome::unknown_after_reread(&e, state);
                dialog.dispatch(ReviewAction::Outcome(id, o));
            });
        }
        // Permissions are per group: the rest of this group is not posted, and the form marks
        // the group as refused for this operation from now on.
        SubmitOutcome::NotPermitted(e) => {
            let scope = key.scope();
            for k in ctx.queue.borrow_mut().withhold(&scope) {
                say(&k.id, KeyOutcome::withheld(s, &k));
            }
            ctx.refusals
                .dispatch(Learned(scope, s.operation, Some(e.user_message())));
        }
        _ => {}
    }
}
