//! Where the job ledger is kept. IndexedDB first: a record per job (the entry's serde form) and a
//! record per cleared job, in one database per ledger storage key, written only where something
//! changed, the unfinished jobs first in their own transaction. A ledger a page before this one
//! left in localStorage moves into IndexedDB once, and leaves localStorage only after the
//! IndexedDB transaction completed. A browser that opens no IndexedDB (private mode, refused)
//! keeps the ledger in localStorage as before, whole, merged with what is stored. Saving is in
//! `ledger_saver`.
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

use crate::browser::idb::{self, LedgerDb, Put, StoreError};
use crate::browser::storage;
use crate::domain::ledger::{
    to_compact, Ledger, LedgerEntry, StoredLedger, Tombstone, KEEP_RAW_NEWEST,
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

pub(super) fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A serializable value as a record: its serde form as JSON text. Text, not an object: reading
/// 50,000 records back as strings took half the time of reading them as objects (measured in
/// this Chromium: `getAll` 0.85–1.09 s against 1.57–2.78 s, plus a `JSON.stringify` saved).
pub(super) fn to_record<T: serde::Serialize>(value: &T) -> Option<JsValue> {
    serde_json::to_string(value).ok().map(JsValue::from)
}

/// `JSON.parse` called on a JS string, so the text never crosses into wasm and back.
fn js_parse(text: &JsValue) -> Option<JsValue> {
    let json = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("JSON")).ok()?;
    let parse: js_sys::Function = js_sys::Reflect::get(&json, &JsValue::from_str("parse"))
        .ok()?
        .dyn_into()
        .ok()?;
    parse.call1(&json, text).ok()
}

/// The records as parsed values, and how many were left out: text records are joined and parsed
/// as one array (in JS); only if that fails is each parsed alone, so a record that is no JSON
/// text costs only itself. A record that is not text (an object another writer put) is taken as
/// it is.
fn parse_records(records: &Array) -> (Array, usize) {
    if records.every(&mut |r, _, _| r.is_string()) {
        let text = js_sys::JsString::from("[")
            .concat(&records.join(","))
            .concat(&JsValue::from_str("]"));
        if let Some(all) = js_parse(&text).filter(Array::is_array) {
            return (all.unchecked_into(), 0);
        }
    }
    let out = Array::new();
    let mut skipped = 0;
    for r in records.iter() {
        let value = if r.is_string() { js_parse(&r) } else { Some(r) };
        match value {
            Some(v) => {
                out.push(&v);
            }
            None => skipped += 1,
        }
    }
    (out, skipped)
}

/// The ledger the stored records make, read by the domain's lenient reader as the page reads
/// any stored form (a record that does not read is skipped and counted), and how many were
/// skipped.
pub(crate) fn read_records(entries: &Array, cleared: &Array) -> (Ledger, usize) {
    let (e, skipped_e) = parse_records(entries);
    let (c, _) = parse_records(cleared);
    let stored = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&stored, &JsValue::from_str("entries"), &e);
    let _ = js_sys::Reflect::set(&stored, &JsValue::from_str("cleared"), &c);
    match serde_wasm_bindgen::from_value::<StoredLedger>(stored.into()) {
        Ok(stored) => {
            let (l, skipped) = Ledger::from_stored(stored);
            (l, skipped + skipped_e)
        }
        Err(_) => (Ledger::default(), entries.length() as usize),
    }
}

/// Joins a stored entry record with ours (the same job); keeps ours compacted if it was.
pub(super) fn join_records(stored: &JsValue, ours: &JsValue) -> Option<JsValue> {
    let both: Array = [stored, ours].into_iter().collect();
    let (joined, _) = read_records(&both, &Array::new());
    let e = joined.entries.first()?;
    let (ours_read, _) = read_records(&[ours].into_iter().collect(), &Array::new());
    let ours_compacted = ours_read
        .entries
        .first()
        .is_some_and(|o| o.last_job.is_none());
    if ours_compacted && e.is_compactable() {
        to_record(&e.compacted())
    } else {
        to_record(&**e)
    }
}

pub(super) fn entry_puts(entries: &[Rc<LedgerEntry>]) -> Vec<Put> {
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

pub(super) fn tombstone_puts(tombstones: &[Tombstone]) -> Vec<Put> {
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
    let compact = to_compact(&ledger, KEEP_RAW_NEWEST);
    if !compact.is_empty() {
        // Old confirmed jobs drop their raw JSON, here as in storage (memory at 50,000 jobs).
        let by_id: HashMap<&str, &Rc<LedgerEntry>> =
            compact.iter().map(|e| (e.job_id.as_str(), e)).collect();
        for e in ledger.entries.iter_mut() {
            if let Some(c) = by_id.get(e.job_id.as_str()) {
                *e = Rc::clone(c);
            }
        }
        let db = db.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = db.write(entry_puts(&compact), Vec::new(), None).await;
        });
    }
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
pub(super) fn save_local(key: &str, ours: &Ledger) -> bool {
    let mut merged = ours.clone();
    if let Some(stored) = storage::local_get(key).and_then(|t| Ledger::from_json(&t).ok()) {
        merged.merge(&stored);
    }
    // A ledger that cannot be written leaves the stored one as it is.
    merged
        .write_json()
        .is_some_and(|text| storage::local_set(key, &text))
}

/// Reads the whole stored ledger again (a tab without BroadcastChannel, coming back into view).
pub(crate) async fn reread(db: &LedgerDb) -> Option<Ledger> {
    let (entries, cleared) = db.read_all().await.ok()?;
    Some(read_records(&entries, &cleared).0)
}

/// The records as the browser holds them: JSON text (or objects another writer put), read back through the domain's
/// lenient reader.
#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::domain::ledger::Verification;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn parse(text: &str) -> JsValue {
        JsValue::from_str(text)
    }

    fn array(items: &[JsValue]) -> Array {
        items.iter().collect()
    }

    const ENDED: &str = r#"{"job_id":"a","id":"k","operation":"delete","phase":"succeeded",
        "verification":"confirmed","created_ms":5,"states":[{"state":"COMPLETED","at_ms":6}],
        "last_job":{"id":"a","state":"COMPLETED"}}"#;

    #[wasm_bindgen_test]
    fn a_record_that_does_not_read_costs_only_itself() {
        let records = array(&[
            parse(ENDED),
            parse(r#"{"id":"no job id","operation":"delete"}"#),
            parse(r#"{"job_id":"b","id":"k","operation":"restore","future_field":[1]}"#),
            JsValue::from_f64(7.0),
            parse(r#"{"job_id":"c","#),
            js_sys::JSON::parse(r#"{"job_id":"d","id":"k","operation":"delete"}"#)
                .expect("an object"),
        ]);
        let cleared = array(&[parse(r#"{"job_id":"x","created_ms":1}"#)]);
        let (l, skipped) = read_records(&records, &cleared);
        assert_eq!((l.entries.len(), skipped, l.cleared.len()), (3, 3, 1));
        assert!(l.get("d").is_some(), "an object record reads too");
        assert_eq!(
            l.get("a").map(|e| e.verification.clone()),
            Some(Verification::Confirmed)
        );
        let e = l.get("a").expect("a");
        let back = to_record(e).expect("a record");
        let (again, _) = read_records(&array(&[back]), &Array::new());
        assert_eq!(again.get("a"), Some(e));
    }

    #[wasm_bindgen_test]
    fn a_stored_copy_joins_ours_and_a_compacted_one_stays_compacted() {
        let stored = parse(ENDED);
        let mut older: serde_json::Value = serde_json::from_str(ENDED).expect("json");
        older["states"] = serde_json::json!([]);
        older["phase"] = serde_json::json!("running");
        older["verification"] = serde_json::json!("not_yet");
        let ours = parse(&older.to_string());
        let joined = join_records(&stored, &ours).expect("joined");
        let (l, _) = read_records(&array(&[joined]), &Array::new());
        let e = l.get("a").expect("a");
        assert_eq!(e.states.len(), 1, "the stored state is kept");
        assert!(e.last_job.is_some());
        let mut compacted: serde_json::Value = serde_json::from_str(ENDED).expect("json");
        compacted.as_object_mut().map(|o| o.remove("last_job"));
        let joined = join_records(&stored, &parse(&compacted.to_string())).expect("joined");
        let (l, _) = read_records(&array(&[joined]), &Array::new());
        let e = l.get("a").expect("a");
        assert!(e.last_job.is_none(), "ours was compacted: it stays so");
        assert_eq!((e.created_ms, e.states.len()), (5.0, 1));
    }
}
