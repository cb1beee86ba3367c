//! Polls every unfinished job of the ledger by id, on the schedule `PollScheduler` decides: at most
//! four requests in flight, backing off while nothing changes, paused while the tab is hidden or
//! the session is not active, and re-reading the key when a job ends.
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_ledger::{LedgerAction, LedgerState};
use crate::api::client::{now_ms, Api};
use crate::api::error::ApiError;
use crate::api::jobs::Job;
use crate::browser::storage::document_hidden;
use crate::domain::job_state::{classify, read_word, JobPhase, Word};
use crate::domain::ledger::{Ledger, Verification};
use crate::domain::manager_error::ManagerError;
use crate::domain::poll::{past_watching, PollOutcome, PollScheduler};

struct Ctx {
    scheduler: PollScheduler,
    api: Api,
    dispatch: UseReducerDispatcher<LedgerState>,
    ledger: Rc<Ledger>,
    active: bool,
    timer: Option<Timeout>,
    verifying: HashSet<String>,
    on_key_changed: Callback<String>,
    on_connection: Callback<Option<f64>>,
}

type Shared = Rc<RefCell<Ctx>>;

fn wake(ctx: &Shared) {
    let due = {
        let mut c = ctx.borrow_mut();
        c.timer = None;
        if !c.active || document_hidden() {
            return;
        }
        let now = now_ms();
        let in_flight = c.scheduler.in_flight_count();
        let due = c.scheduler.due(now as u64, in_flight);
        if let Some(delay) = c.scheduler.next_wake_ms(now as u64) {
            let again = ctx.clone();
            let delay = delay.clamp(50, 60_000) as u32;
            c.timer = Some(Timeout::new(delay, move || wake(&again)));
        }
        due
    };
    for job_id in due {
        let ctx = ctx.clone();
        spawn_local(async move { poll_one(ctx, job_id).await });
    }
}

async fn poll_one(ctx: Shared, job_id: String) {
    let (api, last_state) = {
        let c = ctx.borrow();
        let last = c
            .ledger
            .get(&job_id)
            .and_then(|e| e.states.last().map(|s| s.state.clone()));
        (c.api.clone(), last)
    };
    let result = api.job(&job_id).await;
    let now = now_ms();
    if let Err(e) = &result {
        keep_error(&ctx, &job_id, e, now);
    }
    let (now, outcome) = match result {
        Ok(job) if read_word(&job.state) == Word::Unrecognised => {
            let changed = last_state.as_deref() != Some(job.state.as_str());
            ask_the_key(&ctx, &api, &job_id, job, changed).await
        }
        result => (now, {
            let c = ctx.borrow();
            match result {
                Ok(job) => {
                    let phase = classify(&job.state);
                    let changed = last_state.as_deref() != Some(job.state.as_str());
                    c.dispatch
                        .dispatch(LedgerAction::Record { job, now_ms: now });
                    if phase.is_terminal() {
                        PollOutcome::Ended
                    } else if changed {
                        PollOutcome::Changed
                    } else {
                        PollOutcome::Unchanged
                    }
                }
                Err(e) if e.is_not_found() => {
                    c.dispatch.dispatch(LedgerAction::MarkUnknown {
                        job_id: job_id.clone(),
                        now_ms: now,
                    });
                    PollOutcome::NotFound
                }
                Err(e) if e.is_transient() => PollOutcome::Failed {
                    retry_after_ms: e.retry_after_ms(),
                },
                // A refused session pauses polling through `active`; anything else is tried again later.
                Err(_) => PollOutcome::Unchanged,
            }
        }),
    };
    let lost = {
        let mut c = ctx.borrow_mut();
        c.scheduler.complete(&job_id, now as u64, outcome);
        c.scheduler
            .connection_lost(now as u64)
            .map(|ms| now + ms as f64)
    };
    let cb = ctx.borrow().on_connection.clone();
    cb.emit(lost);
    wake(&ctx);
}

/// Keeps an error the manager answered (its `NCERR…` name and request id) in the job's entry.
fn keep_error(ctx: &Shared, job_id: &str, e: &ApiError, now: f64) {
    if let Some(error) = ManagerError::for_job(e, now) {
        let dispatch = ctx.borrow().dispatch.clone();
        dispatch.dispatch(LedgerAction::Error {
            job_id: job_id.to_string(),
            error,
        });
    }
}

/// A job whose word nobody listed: re-reads its key and records the answer with what the key
/// showed. A key changed as the operation should ends the job (succeeded, inferred from the
/// key, through the same `Verify` as a job that said it ended); otherwise it is polled on,
/// slower after 15 minutes, and no longer watched a day after it was created.
async fn ask_the_key(
    ctx: &Shared,
    api: &Api,
    job_id: &str,
    job: Job,
    changed: bool,
) -> (f64, PollOutcome) {
    let entry = ctx
        .borrow()
        .ledger
        .get(job_id)
        .map(|e| (e.id.clone(), e.operation, e.created_ms));
    let gone = match &entry {
        Some((cckm_key_id, ..)) => match api.key(cckm_key_id).await {
            Ok(k) => k.gone,
            Err(e) => {
                keep_error(ctx, job_id, &e, now_ms());
                None
            }
        },
        None => None,
    };
    let now = now_ms();
    let (dispatch, on_key_changed) = {
        let c = ctx.borrow();
        (c.dispatch.clone(), c.on_key_changed.clone())
    };
    dispatch.dispatch(LedgerAction::Record { job, now_ms: now });
    let Some((cckm_key_id, operation, created_ms)) = entry else {
        return (now, PollOutcome::Unchanged);
    };
    let verification = Verification::for_key(operation, JobPhase::Succeeded, gone);
    let outcome = if verification == Verification::Confirmed {
        dispatch.dispatch(LedgerAction::Verify {
            job_id: job_id.to_string(),
            verification,
        });
        on_key_changed.emit(cckm_key_id);
        PollOutcome::Ended
    } else if past_watching(created_ms, now) {
        PollOutcome::Ended
    } else {
        PollOutcome::Unrecognised {
            changed,
            age_ms: (now - created_ms).max(0.0) as u64,
        }
    };
    (now, outcome)
}

/// Re-reads the key of a job that ended and records whether it changed as the job says.
fn verify(ctx: &Shared, job_id: String) {
    let (api, entry) = {
        let mut c = ctx.borrow_mut();
        if !c.verifying.insert(job_id.clone()) {
            return;
        }
        (c.api.clone(), c.ledger.get(&job_id).cloned())
    };
    let Some(entry) = entry else { return };
    let ctx = ctx.clone();
    spawn_local(async move {
        let read = api.key(&entry.id).await;
        if let Err(e) = &read {
            keep_error(&ctx, &job_id, e, now_ms());
        }
        let verification = match read {
            Ok(key) => Verification::for_key(entry.operation, entry.phase, key.gone),
            Err(e) if e.is_unauthorized() => {
                ctx.borrow_mut().verifying.remove(&job_id);
                return;
            }
            Err(e) => Verification::Unavailable(e.user_message()),
        };
        let (dispatch, on_key_changed) = {
            let c = ctx.borrow();
            (c.dispatch.clone(), c.on_key_changed.clone())
        };
        dispatch.dispatch(LedgerAction::Verify {
            job_id,
            verification,
        });
        on_key_changed.emit(entry.id);
    });
}

/// Returns when the connection was lost, as the time of the next retry (ms since the epoch).
#[hook]
pub(crate) fn use_poller(
    api: &Api,
    ledger: &UseReducerHandle<LedgerState>,
    active: bool,
    on_key_changed: Callback<String>,
) -> Option<f64> {
    let connection = use_state_eq(|| None::<f64>);
    let ctx: Shared = {
        let api = api.clone();
        let dispatch = ledger.dispatcher();
        let on_connection = {
            let connection = connection.clone();
            Callback::from(move |v| connection.set(v))
        };
        let on_key_changed = on_key_changed.clone();
        (*use_memo((), move |_| {
            Rc::new(RefCell::new(Ctx {
                scheduler: PollScheduler::new(),
                api,
                dispatch,
                ledger: Rc::default(),
                active: false,
                timer: None,
                verifying: HashSet::new(),
                on_key_changed,
                on_connection,
            }))
        }))
        .clone()
    };

    {
        let mut c = ctx.borrow_mut();
        c.on_key_changed = on_key_changed;
    }

    // Follow the ledger: track what runs, forget what ended, verify what ended unverified.
    {
        let ctx = ctx.clone();
        let ledger = ledger.clone();
        use_effect_with((ledger.version, active), move |(_, active)| {
            let to_verify: Vec<String> = {
                let mut guard = ctx.borrow_mut();
                let c = &mut *guard;
                c.ledger = ledger.ledger.clone();
                c.active = *active;
                let now = now_ms() as u64;
                let running = c
                    .ledger
                    .entries
                    .iter()
                    .filter(|e| e.phase == JobPhase::Running);
                c.scheduler.follow(running.map(|e| e.job_id.as_str()), now);
                let verify: Vec<String> = c
                    .ledger
                    .entries
                    .iter()
                    .filter(|e| e.awaits_verification())
                    .map(|e| e.job_id.clone())
                    .collect();
                if *active {
                    verify
                } else {
                    Vec::new()
                }
            };
            for job_id in to_verify {
                verify(&ctx, job_id);
            }
            wake(&ctx);
        });
    }

    // Hidden tab: nothing is sent; shown again: everything due is polled at once.
    {
        let ctx = ctx.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                EventListener::new(&doc, "visibilitychange", move |_| {
                    if !document_hidden() {
                        ctx.borrow_mut().scheduler.reset_due_now(now_ms() as u64);
                        wake(&ctx);
                    }
                })
            });
            move || drop(listener)
        });
    }

    *connection
}
