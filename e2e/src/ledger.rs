//! The page's stored job ledger as a test sees it: IndexedDB (one database per ledger storage
//! key, stores `entries` and `cleared` keyed by the job id, each record an entry's serde form as
//! JSON text), or localStorage where the page had no IndexedDB. Seeding writes records the
//! page's way, so a test or the bench can start the page with 50,000 stored jobs.
use serde_json::{json, Value};

use crate::{Browser, Result};

/// Records sent to the browser per script call when seeding.
const SEED_CHUNK: usize = 2_000;

/// The page's ledger storage key (its IndexedDB database name) for `user` of the root domain
/// on the manager at `base` (the page's origin).
pub fn ledger_key(base: &str, user: &str) -> String {
    format!("cckm-sap-ledger:v1:{}:{user}", base.trim_end_matches('/'))
}

const SEED_JS: &str = "const [name, entries, cleared, done] = arguments;
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => { const db = req.result;
    for (const s of ['entries', 'cleared']) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s); };
  req.onerror = () => done('open: ' + req.error);
  req.onblocked = () => done('open: blocked');
  req.onsuccess = () => { const db = req.result;
    const tx = db.transaction(['entries', 'cleared'], 'readwrite');
    for (const e of entries) tx.objectStore('entries').put(JSON.stringify(e), e.job_id);
    for (const c of cleared) tx.objectStore('cleared').put(JSON.stringify(c), c.job_id);
    tx.oncomplete = () => { db.close(); done(true); };
    tx.onabort = () => { db.close(); done('write: ' + tx.error); }; };";

/// Writes `entries` and `cleared` (tombstones) into the ledger database `name` of the page's
/// origin (the browser must be on a page of it), in transactions of 2,000 records.
pub async fn seed_ledger(b: &Browser, name: &str, entries: &[Value], cleared: &[Value]) -> Result {
    let mut chunks: Vec<(&[Value], &[Value])> =
        entries.chunks(SEED_CHUNK).map(|c| (c, &[][..])).collect();
    chunks.push((&[], cleared));
    for (e, c) in chunks {
        let r = b
            .client
            .execute_async(SEED_JS, vec![json!(name), json!(e), json!(c)])
            .await?;
        if r != json!(true) {
            return Err(format!("seeding the ledger failed: {r}").into());
        }
    }
    Ok(())
}

/// A script that collects `FILTER(e)` over every stored entry of every ledger of this origin
/// (IndexedDB, then localStorage) and hands the array to WebDriver.
fn collect_js(filter: &str) -> String {
    format!(
        "const done = arguments[arguments.length - 1]; const pick = e => ({filter});
  const req = r => new Promise((ok, no) => {{ r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }});
  (async () => {{
    const out = [];
    for (const {{name}} of await indexedDB.databases()) {{
      if (!name.startsWith('cckm-sap-ledger:')) continue;
      const db = await req(indexedDB.open(name));
      if (db.objectStoreNames.contains('entries')) {{
        for (const r of await req(db.transaction('entries').objectStore('entries').getAll())) {{
          try {{ const e = typeof r === 'string' ? JSON.parse(r) : r; out.push(pick(e)); }} catch (x) {{}} }}
      }}
      db.close();
    }}
    for (let i = 0; i < localStorage.length; i++) {{ const k = localStorage.key(i);
      if (k.startsWith('cckm-sap-ledger:v1') && !k.includes(':unreadable:')) {{
        try {{ for (const e of (JSON.parse(localStorage.getItem(k)).entries || [])) out.push(pick(e)); }} catch (e) {{}} }} }}
    done(out);
  }})().catch(e => done('error: ' + e));"
    )
}

/// Every stored entry of this origin's ledgers, as stored.
pub async fn stored_entries(b: &Browser) -> Result<Vec<Value>> {
    stored_picks(b, "e").await
}

/// `pick` (a JS expression of `e`, the stored entry) over every stored entry; for large ledgers,
/// where sending whole entries back would be slow.
pub async fn stored_picks(b: &Browser, pick: &str) -> Result<Vec<Value>> {
    let v = b.client.execute_async(&collect_js(pick), vec![]).await?;
    match v {
        Value::Array(a) => Ok(a),
        other => Err(format!("reading the stored ledger failed: {other}").into()),
    }
}
