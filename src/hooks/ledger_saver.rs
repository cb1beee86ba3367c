//! Saving the job ledger: batched (at most one save a second while jobs are polled, a new job
//! or a clearing at once), only the entries that changed, the unfinished ones first in their own
//! transaction; a refused write compacts old confirmed jobs and tries again, keeps unfinished
//! jobs the database still refuses in localStorage, and says what happened in a sentence.
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use web_sys::BroadcastChannel;
use yew::Callback;

use super::ledger_store::{entry_puts, join_records, plural, save_local, tombstone_puts, Backend};
use crate::browser::idb::{JoinFn, LedgerDb, StoreError};
use crate::domain::ledger::{
    to_compact_for_room, Ledger, LedgerEntry, SavePlan, Tombstone, KEEP_RAW_NEWEST,
};

const LOCAL_REFUSED: &str = "This browser refused to save the job list (storage full or disabled): keep this tab open until your jobs end.";

/// What a refused write means, in a sentence: `unfinished`, where the running and unverified
/// jobs are (`None`: this tab only).
fn refusal(e: &StoreError, unfinished: Option<&str>, ended_unsaved: usize) -> String {
    let why = if e.is_quota() {
        format!("this browser's storage for this page is full ({})", e.name)
    } else {
        format!("this browser refused to save it ({e})")
    };
    let ended = if ended_unsaved > 0 {
        format!(
            "; the latest changes to {} are kept only in this tab",
            plural(ended_unsaved, "finished job")
        )
    } else {
        String::new()
    };
    match unfinished {
        Some(place) => format!(
            "The job list could not be saved completely: {why}. Every running or unverified job is saved ({place}){ended}. Export the job list, then clear finished jobs to make room."
        ),
        None => format!(
            "The job list could not be saved: {why}. Jobs started or changed here are kept only in this tab: keep it open until they end, export the job list, then clear finished jobs to make room."
        ),
    }
}

/// Keeps unfinished jobs the database refused in localStorage (merged with what is there), where
/// the next load moves them into the database; whether that worked.
fn rescue_local(key: &str, unfinished: &[Rc<LedgerEntry>]) -> bool {
    let ledger = Ledger::from_parts(unfinished.to_vec(), Vec::new());
    save_local(key, &ledger)
}

/// Batches saves and messages to the other tabs.
pub(crate) struct Saver {
    key: String,
    backend: Option<Backend>,
    channel: Option<BroadcastChannel>,
    pending: Option<(Rc<Ledger>, Callback<Option<String>>)>,
    timer: Option<gloo_timers::callback::Timeout>,
    /// The entries last saved and sent to the other tabs, by job id: only changed ones go again.
    sent: HashMap<String, Rc<LedgerEntry>>,
    /// The entries of the ledger last flushed, in order: an entry still there at the same place
    /// is not looked up in `sent` (a pointer comparison each at 50,000 jobs).
    last: Vec<Rc<LedgerEntry>>,
    sent_cleared: HashSet<String>,
}

const SAVE_BATCH_MS: u32 = 1000;

impl Saver {
    pub(crate) fn new(key: String, channel: Option<BroadcastChannel>) -> Saver {
        Saver {
            key,
            backend: None,
            channel,
            pending: None,
            timer: None,
            sent: HashMap::new(),
            last: Vec::new(),
            sent_cleared: HashSet::new(),
        }
    }

    /// The store is open and held `loaded`: saving starts (with anything already pending).
    pub(crate) fn ready(this: &Rc<RefCell<Saver>>, backend: Backend, loaded: &Ledger) {
        {
            let mut s = this.borrow_mut();
            s.backend = Some(backend);
            for e in &loaded.entries {
                s.sent.insert(e.job_id.clone(), e.clone());
            }
            s.last = loaded.entries.clone();
            s.sent_cleared
                .extend(loaded.cleared.iter().map(|t| t.job_id.clone()));
        }
        if this.borrow().pending.is_some() {
            Saver::flush(this, false);
        }
    }

    pub(crate) fn backend(&self) -> Option<Backend> {
        self.backend.clone()
    }

    pub(crate) fn schedule(
        this: &Rc<RefCell<Saver>>,
        ledger: Rc<Ledger>,
        now: bool,
        done: Callback<Option<String>>,
    ) {
        let mut s = this.borrow_mut();
        s.pending = Some((ledger, done));
        if now {
            drop(s);
            Saver::flush(this, false);
        } else if s.timer.is_none() {
            let again = this.clone();
            s.timer = Some(gloo_timers::callback::Timeout::new(
                SAVE_BATCH_MS,
                move || Saver::flush(&again, false),
            ));
        }
    }

    /// Saves what is pending; `leaving`: the page goes away, write without reading back first.
    pub(crate) fn flush(this: &Rc<RefCell<Saver>>, leaving: bool) {
        let mut s = this.borrow_mut();
        s.timer = None;
        let Some(backend) = s.backend.clone() else {
            return;
        };
        let Some((ledger, done)) = s.pending.take() else {
            return;
        };
        let ranks: Vec<usize> = (0..ledger.entries.len())
            .filter(|&i| {
                let e = &ledger.entries[i];
                !s.last.get(i).is_some_and(|x| Rc::ptr_eq(x, e))
                    && !s.sent.get(&e.job_id).is_some_and(|x| Rc::ptr_eq(x, e))
            })
            .collect();
        let changed_entries: Vec<Rc<LedgerEntry>> =
            ranks.iter().map(|&i| ledger.entries[i].clone()).collect();
        let new_cleared: Vec<Tombstone> = ledger
            .cleared
            .iter()
            .filter(|t| !s.sent_cleared.contains(&t.job_id))
            .cloned()
            .collect();
        for e in &changed_entries {
            s.sent.insert(e.job_id.clone(), e.clone());
        }
        s.last = ledger.entries.clone();
        for t in &new_cleared {
            s.sent.remove(&t.job_id);
            s.sent_cleared.insert(t.job_id.clone());
        }
        if changed_entries.is_empty() && new_cleared.is_empty() {
            if matches!(backend, Backend::Local) {
                done.emit((!save_local(&s.key, &ledger)).then(|| LOCAL_REFUSED.to_string()));
            }
            return;
        }
        if let Some(ch) = &s.channel {
            // A part of the ledger merges like the whole: merge is a union.
            let delta = Ledger::from_parts(changed_entries, ledger.cleared.clone());
            if let Some(text) = delta.write_json() {
                let _ = ch.post_message(&text.into());
            }
        }
        match backend {
            Backend::Local => {
                done.emit((!save_local(&s.key, &ledger)).then(|| LOCAL_REFUSED.to_string()));
            }
            Backend::Idb(db) => {
                let plan = SavePlan::at(&ledger, KEEP_RAW_NEWEST, &ranks);
                let this = this.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let key = this.borrow().key.clone();
                    let failed = write_plan(&key, &db, plan, new_cleared, &ledger, leaving).await;
                    let message = failed.map(|f| {
                        let mut s = this.borrow_mut();
                        // Not saved: tried again with the next save.
                        for id in &f.unsaved {
                            s.sent.remove(id);
                        }
                        for id in &f.unsaved_cleared {
                            s.sent_cleared.remove(id);
                        }
                        f.message
                    });
                    done.emit(message);
                });
            }
        }
    }
}

struct Failed {
    message: String,
    unsaved: Vec<String>,
    unsaved_cleared: Vec<String>,
}

/// Writes `records` in one transaction; after a refusal for lack of room, compacts every
/// compactable entry of `ledger` in storage and tries once more.
async fn write_making_room(
    db: &LedgerDb,
    records: &[Rc<LedgerEntry>],
    cleared: &[Tombstone],
    ledger: &Ledger,
    leaving: bool,
) -> Result<(), StoreError> {
    let join: Option<&JoinFn> = (!leaving).then_some(&join_records);
    let first = db
        .write(entry_puts(records), tombstone_puts(cleared), join)
        .await;
    match first {
        Err(e) if e.is_quota() => {
            let room = to_compact_for_room(ledger);
            if room.is_empty() || db.write(entry_puts(&room), Vec::new(), None).await.is_err() {
                return Err(e);
            }
            db.write(entry_puts(records), tombstone_puts(cleared), join)
                .await
        }
        other => other,
    }
}

/// The unfinished jobs first, in their own transaction (kept in localStorage if the database
/// refuses them); then the ended ones and the cleared.
async fn write_plan(
    key: &str,
    db: &LedgerDb,
    plan: SavePlan,
    cleared: Vec<Tombstone>,
    ledger: &Ledger,
    leaving: bool,
) -> Option<Failed> {
    let ids = |v: &[Rc<LedgerEntry>]| v.iter().map(|e| e.job_id.clone()).collect::<Vec<_>>();
    let mut failed: Option<Failed> = None;
    if !plan.unfinished.is_empty() {
        if let Err(e) = write_making_room(db, &plan.unfinished, &[], ledger, leaving).await {
            let place = rescue_local(key, &plan.unfinished)
                .then_some("in this browser's local storage until there is room");
            let mut unsaved = ids(&plan.unfinished);
            unsaved.extend(ids(&plan.ended));
            failed = Some(Failed {
                message: refusal(&e, place, plan.ended.len()),
                unsaved,
                unsaved_cleared: cleared.iter().map(|t| t.job_id.clone()).collect(),
            });
            if place.is_none() {
                return failed;
            }
        }
    }
    if plan.ended.is_empty() && cleared.is_empty() {
        return failed;
    }
    match write_making_room(db, &plan.ended, &cleared, ledger, leaving).await {
        Ok(()) => failed,
        Err(e) => Some(Failed {
            message: refusal(&e, Some("in this browser"), plan.ended.len()),
            unsaved: failed
                .map(|f| f.unsaved)
                .unwrap_or_else(|| ids(&plan.ended)),
            unsaved_cleared: cleared.iter().map(|t| t.job_id.clone()).collect(),
        }),
    }
}
