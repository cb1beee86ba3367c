//! The job ledger in the browser: a reducer over the pure `Ledger`, kept in IndexedDB (or
//! localStorage) under a key per manager and user (see `ledger_store`), and merged with what
//! other tabs send (BroadcastChannel messages; without it, the `storage` event or a fresh read
//! when the tab comes back into view).
//!
//! The stored form is read and written only by the domain's [`Ledger::from_json`] and
//! [`Ledger::to_json`], which in the browser cross with `JSON.parse` / `JSON.stringify` and
//! serde-wasm-bindgen. Tabs post it as JSON text, the form localStorage and the `storage` event
//! hold too: posting the serde-wasm-bindgen value instead (a structured message) measured no
//! faster, 2.5–3.8 ms against 2.8–3.7 ms to write and read a 76-job message (release wasm,
//! headless Chrome, best of 3×20), so one form serves all three.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent, StorageEvent};
use yew::prelude::*;

use super::ledger_saver::Saver;
use super::ledger_store::{self, Backend};
use crate::api::jobs::Job;
use crate::browser::storage;
use crate::domain::ledger::{Ledger, LedgerEntry, Tally, Verification};
use crate::domain::manager_error::ManagerError;

#[derive(Clone, Debug)]
pub enum LedgerAction {
    Add(LedgerEntry),
    /// A job as polled; its raw JSON (`Job::raw`) becomes the entry's `last_job`.
    Record {
        job: Job,
        now_ms: f64,
    },
    MarkUnknown {
        job_id: String,
        now_ms: f64,
    },
    Verify {
        job_id: String,
        verification: Verification,
    },
    /// An error the manager answered while polling the job or re-reading its key.
    Error {
        job_id: String,
        error: ManagerError,
    },
    ClearFinished,
    /// What another tab saved or sent; does not echo back to the other tabs.
    Merge(Ledger),
    /// The stored ledger, read at start: taken as it is (already in order, its job index built)
    /// while nothing else arrived, merged otherwise.
    Loaded(Ledger),
}

/// One ledger entry as a list row: compared by pointer, so a row re-renders only when its own
/// entry changed.
#[derive(Clone, Debug)]
pub struct EntryRef(pub Rc<LedgerEntry>);

/// So the domain's batch readers take the rows as they are.
impl AsRef<LedgerEntry> for EntryRef {
    fn as_ref(&self) -> &LedgerEntry {
        &self.0
    }
}

impl PartialEq for EntryRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The ledger plus what the page needs to know about saving it.
#[derive(Clone, PartialEq, Debug, Default)]
pub(crate) struct LedgerState {
    /// Shared: the readers of each version (rows, news, poller, saver, forms) copy a pointer,
    /// not 50,000 of them.
    pub ledger: Rc<Ledger>,
    /// The entries as rows, sharing the unchanged ones with the previous state.
    pub rows: Rc<Vec<EntryRef>>,
    /// Counts and the jobs that need work, read once per change for every reader.
    pub tally: Rc<Tally>,
    /// Bumped on every local change; a change only from other tabs leaves it alone.
    pub revision: u64,
    pub version: u64,
    /// The last local change must be saved at once (a new job), not with the next batch.
    pub flush: bool,
}

impl LedgerState {
    pub fn new(ledger: Ledger) -> LedgerState {
        let rows = rows_for(&ledger);
        let tally = Rc::new(ledger.tally());
        LedgerState {
            ledger: Rc::new(ledger),
            rows,
            tally,
            revision: 0,
            version: 0,
            flush: false,
        }
    }
}

/// Rows for `ledger`: the entries' own `Rc`s, so an unchanged entry keeps its row.
fn rows_for(ledger: &Ledger) -> Rc<Vec<EntryRef>> {
    Rc::new(ledger.entries.iter().map(|e| EntryRef(e.clone())).collect())
}

impl Reducible for LedgerState {
    type Action = LedgerAction;

    fn reduce(self: Rc<Self>, action: LedgerAction) -> Rc<Self> {
        crate::perf::mark("cckm:ledger-update");
        let flush = matches!(action, LedgerAction::Add(_) | LedgerAction::ClearFinished);
        let mut ledger = Ledger::clone(&self.ledger);
        let (changed, local) = match action {
            LedgerAction::Add(entry) => {
                ledger.add(entry);
                (true, true)
            }
            LedgerAction::Record { job, now_ms } => {
                let changed = ledger.record_job(&job, now_ms);
                (changed, changed)
            }
            LedgerAction::MarkUnknown { job_id, now_ms } => {
                let c = ledger.mark_unknown_to_manager(&job_id, now_ms);
                (c, c)
            }
            LedgerAction::Verify {
                job_id,
                verification,
            } => {
                let c = ledger.set_verification(&job_id, verification);
                (c, c)
            }
            LedgerAction::Error { job_id, error } => {
                let c = ledger.record_error(&job_id, error);
                (c, c)
            }
            LedgerAction::ClearFinished => {
                let c = ledger.clear_finished() > 0;
                (c, c)
            }
            LedgerAction::Merge(other) => (ledger.merge(&other), false),
            LedgerAction::Loaded(stored)
                if ledger.entries.is_empty() && ledger.cleared.is_empty() =>
            {
                let changed = !stored.entries.is_empty() || !stored.cleared.is_empty();
                ledger = stored;
                (changed, false)
            }
            LedgerAction::Loaded(stored) => (ledger.merge(&stored), false),
        };
        if !changed {
            return self;
        }
        let rows = rows_for(&ledger);
        let tally = Rc::new(ledger.tally());
        crate::perf::mark("cckm:ledger-merged");
        Rc::new(LedgerState {
            ledger: Rc::new(ledger),
            rows,
            tally,
            revision: self.revision + u64::from(local),
            version: self.version + 1,
            flush: flush && local,
        })
    }
}

fn channel_name(key: &str) -> String {
    format!("{key}:bc")
}

/// A message another tab posted: the stored form in JSON text; an object (as older pages
/// posted it) is read through its JSON.
fn read_message(data: &JsValue) -> Option<Ledger> {
    let text = match data.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(data).ok()?.as_string()?,
    };
    Ledger::from_json(&text).ok()
}

pub(crate) struct LedgerHandle {
    pub state: UseReducerHandle<LedgerState>,
    pub warning: Option<String>,
}

#[hook]
pub fn use_ledger(key: String) -> LedgerHandle {
    let state = use_reducer(|| LedgerState::new(Ledger::default()));
    let load_warning = use_state_eq(|| None::<String>);
    let save_warning = use_state_eq(|| None::<String>);
    let channel = {
        let key = key.clone();
        use_memo(key, |k| BroadcastChannel::new(&channel_name(k)).ok())
    };

    // Local changes: saved and sent to the other tabs in batches (at most one save a second
    // while jobs are polled); a new job or a clearing is saved at once, and so is whatever is
    // pending when the page goes away. Nothing is saved before the store is open.
    let saver = {
        let channel = channel.clone();
        use_memo(key.clone(), move |k| {
            Rc::new(RefCell::new(Saver::new(k.clone(), (*channel).clone())))
        })
    };
    {
        let saver = (*saver).clone();
        let dispatcher = state.dispatcher();
        let load_warning = load_warning.clone();
        use_effect_with(key.clone(), move |key| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let loaded = ledger_store::open(&key).await;
                Saver::ready(&saver, loaded.backend, &loaded.ledger);
                load_warning.set(loaded.warning);
                dispatcher.dispatch(LedgerAction::Loaded(loaded.ledger));
            });
        });
    }
    {
        let saver = (*saver).clone();
        let state = state.clone();
        let save_warning = save_warning.clone();
        use_effect_with(state.revision, move |rev| {
            if *rev > 0 {
                let on_result = Callback::from(move |w: Option<String>| save_warning.set(w));
                Saver::schedule(&saver, state.ledger.clone(), state.flush, on_result);
            }
        });
    }
    {
        let saver = (*saver).clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "pagehide", move |_| {
                    Saver::flush(&saver, true);
                })
            });
            move || drop(listener)
        });
    }

    // Other tabs: their messages; without BroadcastChannel, the `storage` event (localStorage)
    // or a fresh read of the database when this tab comes back into view.
    {
        let state = state.clone();
        let saver = (*saver).clone();
        use_effect_with((key, channel), move |(key, channel)| {
            let dispatcher = state.dispatcher();
            let on_message = channel.as_ref().as_ref().map(|ch| {
                let d = dispatcher.clone();
                EventListener::new(ch, "message", move |ev| {
                    let Some(data) = ev.dyn_ref::<MessageEvent>().map(|ev| ev.data()) else {
                        return;
                    };
                    if let Some(other) = read_message(&data) {
                        d.dispatch(LedgerAction::Merge(other));
                    }
                })
            });
            let key = key.clone();
            let d = dispatcher.clone();
            let on_storage = channel.is_none().then(web_sys::window).flatten().map(|w| {
                EventListener::new(&w, "storage", move |ev| {
                    let Some(ev) = ev.dyn_ref::<StorageEvent>() else {
                        return;
                    };
                    if ev.key().as_deref() != Some(key.as_str()) {
                        return;
                    }
                    if let Some(other) = ev.new_value().and_then(|v| Ledger::from_json(&v).ok()) {
                        d.dispatch(LedgerAction::Merge(other));
                    }
                })
            });
            let on_visible = channel
                .is_none()
                .then(|| web_sys::window().and_then(|w| w.document()))
                .flatten()
                .map(|doc| {
                    EventListener::new(&doc, "visibilitychange", move |_| {
                        if storage::document_hidden() {
                            return;
                        }
                        let Some(Backend::Idb(db)) = saver.borrow().backend() else {
                            return;
                        };
                        let d = dispatcher.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            if let Some(other) = ledger_store::reread(&db).await {
                                d.dispatch(LedgerAction::Merge(other));
                            }
                        });
                    })
                });
            move || {
                drop(on_message);
                drop(on_storage);
                drop(on_visible);
            }
        });
    }

    let warning = (*save_warning).clone().or_else(|| (*load_warning).clone());
    LedgerHandle { state, warning }
}

/// The stored form through the browser's own JSON and serde-wasm-bindgen, as the page reads and
/// writes it (the native tests cover the same derived readers through serde_json).
#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::api::jobs::{parse_job, Operation};
    use crate::domain::job_state::JobPhase;
    use crate::domain::key_ref::KeyRef;
    use crate::domain::ledger::fixtures::{hostile_ledger_read, summary_of, HOSTILE_LEDGER};
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn ledger(n: usize) -> Ledger {
        let mut l = Ledger::new();
        for i in 0..n {
            let body = format!(
                r#"{{"id":"j{i:04}","state":"PENDING","cckm_key_id":"k{i}","operation":"delete","error":{{"code":{i}}}}}"#
            );
            let job = parse_job(&body).expect("a job");
            let key = KeyRef {
                id: format!("k{i}"),
                name: format!("key \"{i}\" ✓"),
                group: (i % 2 == 0).then(|| "payroll".to_string()),
                sap_key_id: None,
            };
            let op = if i % 3 == 0 {
                Operation::Restore
            } else {
                Operation::Delete
            };
            l.add(LedgerEntry::started(
                &job,
                &key,
                op,
                i % 5 == 0,
                "admin",
                "o",
                i as f64 + 0.5,
            ));
        }
        for i in (0..n).step_by(4) {
            let done =
                parse_job(&format!(r#"{{"id":"j{i:04}","state":"COMPLETED"}}"#)).expect("a job");
            l.record_job(&done, 1e12 + i as f64);
            l.set_verification(&format!("j{i:04}"), Verification::Unavailable("503".into()));
        }
        l.clear_finished();
        l.add(LedgerEntry::started(
            &parse_job(r#"{"id":"last","state":"PENDING"}"#).expect("a job"),
            &KeyRef {
                id: "k".into(),
                name: String::new(),
                group: None,
                sap_key_id: None,
            },
            Operation::Delete,
            false,
            "admin",
            "o",
            2e12,
        ));
        l
    }

    #[wasm_bindgen_test]
    fn the_stored_form_round_trips_through_the_browser() {
        let l = ledger(40);
        assert!(!l.cleared.is_empty());
        assert_eq!(Ledger::from_json(&l.to_json()), Ok(l.clone()));
        assert_eq!(read_message(&l.to_json().into()), Some(l.clone()));
        // An object, as older pages posted it.
        let object = js_sys::JSON::parse(&l.to_json()).expect("JSON");
        assert_eq!(read_message(&object), Some(l));
        assert_eq!(read_message(&JsValue::from_f64(7.0)), None);
        assert_eq!(read_message(&js_sys::Array::new().into()), None);
    }

    #[wasm_bindgen_test]
    fn the_browser_reads_as_leniently_as_the_native_readers() {
        let old = r#"{"version":1,"entries":[
            {"job_id":"a","id":"k","operation":"delete","phase":"succeeded","states":[{"state":"COMPLETED","at_ms":5}]},
            {"job_id":"b","id":"k","operation":"delete","phase":"running","inferred":true,"last_error":"boom"},
            {"job_id":"c","id":"k","operation":"restore","phase":"who_knows","verification":42,
             "states":[{"state":7,"at_ms":"12"},3],"created_ms":"nan","delete_if_backup_fails":"TRUE",
             "last_error":{"name":["x"],"request_id":7,"at_ms":"?"}},
            {"id":"no job id","operation":"delete"},
            {"job_id":"d","id":"k","operation":"shred"},
            17],"cleared":[{"job_id":"x","created_ms":1},"bad"],"future":true}"#;
        let (l, skipped) = Ledger::from_json_lossy(old).expect("read");
        assert_eq!((l.entries.len(), skipped, l.cleared.len()), (3, 3, 1));
        assert_eq!(l.get("a").map(|e| e.phase), Some(JobPhase::Succeeded));
        let b = l.get("b").expect("b");
        assert!(!b.inferred && b.last_error.is_none());
        let c = l.get("c").expect("c");
        assert!(c.states.is_empty() && c.delete_if_backup_fails && c.created_ms == 0.0);
        assert_eq!(
            (c.phase, &c.verification),
            (JobPhase::Running, &Verification::NotYet)
        );
        assert_eq!(
            c.last_error.as_ref().and_then(|e| e.request_id.as_deref()),
            Some("7")
        );
        let (hostile, skipped) = Ledger::from_json_lossy(HOSTILE_LEDGER).expect("read");
        assert_eq!((summary_of(&hostile), skipped), (hostile_ledger_read(), 3));
        for garbage in ["[1,2]", "not json", "", "7", r#"{"entries":[{"job_id":"#] {
            assert!(Ledger::from_json(garbage).is_err(), "{garbage}");
        }
        assert_eq!(Ledger::from_json("{}"), Ok(Ledger::new()));
    }
}
