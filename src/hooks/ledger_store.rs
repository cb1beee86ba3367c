//! Where the job ledger is kept. IndexedDB first: a record per job (the entry's serde form) and a
//! record per cleared job, in one database per ledger storage key, written only where something
//! changed, the unfinished jobs first in their own transaction. A ledger a page before this one
//! left in localStorage moves into IndexedDB once, and leaves localStorage only after the
//! IndexedDB transaction completed. A browser that opens no IndexedDB (private mode, refused)
//! keeps the ledger in localStorage as before, whole, merged with what is stored.
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::JsValue;
use web_sys::BroadcastChannel;
use yew::Callback;

use crate::browser::idb::{self, JoinFn, LedgerDb, Put, StoreError};
use crate::browser::storage;
use crate::domain::ledger::{
    to_compact_for_room, Ledger, LedgerEntry, SavePlan, Tombstone, KEEP_RAW_NEWEST,
};

/// Where this tab keeps the ledger.
#[derive(Clone)]
pub(crate) enum Backend {
    Idb(Rc<LedgerDb>),
    Local,
}

/// What opening the store found.
pub(crate) struct Loaded {
    pub backend: Backend,
    pub ledger: Ledger,
    pub warning: Option<String>,
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A record as stored: the value's serde form as JSON text. Text, not an object: IndexedDB
/// hands 50,000 texts back faster than 50,000 objects, and each is read straight by serde_json.
fn to_record<T: serde::Serialize>(value: &T) -> Option<JsValue> {
    serde_json::to_string(value).ok().map(JsValue::from)
}

/// One stored record (JSON text, or an object as a test may write it) read by the domain's
/// lenient derived reader: one record at a time, so a year of jobs is never one 28 MB text in
/// memory (reading them as one text peaked the wasm memory at 154 MB for 50,000 jobs).
fn read_record<T: serde::de::DeserializeOwned>(record: &JsValue) -> Option<T> {
    let text = match record.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(record).ok()?.as_string()?,
    };
    serde_json::from_str(&text).ok()
}

/// The ledger the stored records make (a record that does not read is skipped and counted),
/// and how many were skipped.
pub(crate) fn read_records(entries: &Array, cleared: &Array) -> (Ledger, usize) {
    let mut skipped = 0;
    let entries = entries
        .iter()
        .filter_map(|r| {
            let e = read_record::<LedgerEntry>(&r);
            skipped += usize::from(e.is_none());
            e
        })
        .collect();
    let cleared = cleared.iter().filter_map(|r| read_record(&r)).collect();
    (Ledger::from_records(entries, cleared), skipped)
}

/// Joins a stored entry record with ours (the same job); keeps ours compacted if it was.
fn join_records(stored: &JsValue, ours: &JsValue) -> Option<JsValue> {
    let both = Array::new();
    both.push(stored);
    both.push(ours);
    let (joined, _) = read_records(&both, &Array::new());
    let e = joined.entries.first()?;
    let ours_compacted = read_record::<LedgerEntry>(ours).is_some_and(|o| o.last_job.is_none());
    if ours_compacted && e.is_compactable() {
        to_record(&e.compacted())
    } else {
        to_record(&**e)
    }
}

fn entry_puts(entries: &[Rc<LedgerEntry>]) -> Vec<Put> {
    entries
        .iter()
        .filter_map(|e| {
            Some(Put {
                key: e.job_id.clone(),
                value: to_record(&**e)?,
            })
        })
        .collect()
}

fn tombstone_puts(tombstones: &[Tombstone]) -> Vec<Put> {
    tombstones
        .iter()
        .filter_map(|t| {
            Some(Put {
                key: t.job_id.clone(),
                value: to_record(t)?,
            })
        })
        .collect()
}

/// Opens the ledger under `key`: IndexedDB (moving a localStorage ledger into it once), or
/// localStorage when IndexedDB cannot be opened or read.
pub(crate) async fn open(key: &str) -> Loaded {
    let db = match idb::open(key).await {
        Ok(db) => db,
        Err(e) => return local_fallback(key, &e),
    };
    let (entries, cleared) = match db.read_all().await {
        Ok(records) => records,
        Err(e) => {
            db.close();
            return local_fallback(key, &e);
        }
    };
    crate::perf::mark("cckm:ledger-read");
    let (mut ledger, skipped) = read_records(&entries, &cleared);
    crate::perf::mark("cckm:ledger-decoded");
    let mut warnings = Vec::new();
    if skipped > 0 {
        warnings.push(format!(
            "{} of the saved job list could not be read and {} left out; they stay stored as they are.",
            plural(skipped, "job"),
            if skipped == 1 { "is" } else { "are" }
        ));
    }
    let db = Rc::new(db);
    if let Some(w) = move_from_local(key, &db, &mut ledger).await {
        warnings.push(w);
    }
    // Old confirmed jobs drop their raw JSON, here as in storage (memory at 50,000 jobs).
    let compact = ledger.compact_past(KEEP_RAW_NEWEST);
    if !compact.is_empty() {
        let db = db.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = db.write(entry_puts(&compact), Vec::new(), None).await;
        });
    }
    // The job index is built now, not on the first tick.
    let _ = ledger.get("");
    Loaded {
        backend: Backend::Idb(db),
        ledger,
        warning: (!warnings.is_empty()).then(|| warnings.join(" ")),
    }
}

/// Moves a ledger a page before this one stored in localStorage into IndexedDB, joined with
/// what IndexedDB holds; removes the localStorage copy only once the transaction completed.
async fn move_from_local(key: &str, db: &LedgerDb, ledger: &mut Ledger) -> Option<String> {
    let text = storage::local_get(key)?;
    let old = match Ledger::from_json(&text) {
        Ok(old) => old,
        Err(e) => {
            let aside = set_aside(key, &text);
            return Some(format!(
                "The job list saved by an earlier version of this page could not be read ({e}); it was kept in this browser under {aside}."
            ));
        }
    };
    ledger.merge(&old);
    let moved: Vec<Rc<LedgerEntry>> = old
        .entries
        .iter()
        .filter_map(|e| {
            ledger
                .entries
                .iter()
                .find(|m| m.job_id == e.job_id)
                .cloned()
        })
        .collect();
    match db
        .write(entry_puts(&moved), tombstone_puts(&old.cleared), None)
        .await
    {
        Ok(()) => {
            storage::local_remove(key);
            None
        }
        Err(e) => Some(format!(
            "The job list saved by an earlier version of this page could not be moved into this browser's database ({e}); it stays where it was and is shown here."
        )),
    }
}

/// Keeps an unreadable stored ledger under another key; returns that key.
fn set_aside(key: &str, text: &str) -> String {
    let aside = format!("{key}:unreadable:{}", js_sys::Date::now() as u64);
    if storage::local_set(&aside, text) {
        storage::local_remove(key);
    }
    aside
}

fn local_fallback(key: &str, e: &StoreError) -> Loaded {
    let (ledger, warning) = load_local(key);
    let note = format!(
        "This browser gives this page no database ({e}), so the job list is kept in its smaller local storage (about 4,500 jobs)."
    );
    Loaded {
        backend: Backend::Local,
        ledger,
        warning: Some(match warning {
            Some(w) => format!("{note} {w}"),
            None => note,
        }),
    }
}

/// Loads a ledger from localStorage; a corrupt one is kept aside under another key, never lost.
pub(crate) fn load_local(key: &str) -> (Ledger, Option<String>) {
    match storage::local_get(key) {
        None => (Ledger::default(), None),
        Some(text) => match Ledger::from_json(&text) {
            Ok(l) => (l, None),
            Err(e) => {
                let aside = format!("{key}:unreadable:{}", js_sys::Date::now() as u64);
                storage::local_set(&aside, &text);
                (Ledger::default(), Some(format!("The saved job list could not be read ({e}); it was kept in this browser under {aside}.")))
            }
        },
    }
}

/// Saves ours merged with whatever is stored now, so a write never drops another tab's jobs.
fn save_local(key: &str, ours: &Ledger) -> bool {
    let mut merged = ours.clone();
    if let Some(stored) = storage::local_get(key).and_then(|t| Ledger::from_json(&t).ok()) {
        merged.merge(&stored);
    }
    // A ledger that cannot be written leaves the stored one as it is.
    merged
        .write_json()
        .is_some_and(|text| storage::local_set(key, &text))
}

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
    pending: Option<(Ledger, Callback<Option<String>>)>,
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
        ledger: Ledger,
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

/// Reads the whole stored ledger again (a tab without BroadcastChannel, coming back into view).
pub(crate) async fn reread(db: &LedgerDb) -> Option<Ledger> {
    let (entries, cleared) = db.read_all().await.ok()?;
    Some(read_records(&entries, &cleared).0)
}
