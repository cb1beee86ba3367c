//! The ledger's IndexedDB database, through the `idb` crate: one database per ledger storage key
//! (so users, managers and domains stay apart), a record per job in `entries` and a record per
//! cleared job in `cleared`, both keyed by the job id. Records are JSON texts; what they mean is
//! the caller's business.
use idb::{Database, DatabaseEvent, Error, Factory, ObjectStoreParams, Query, TransactionMode};
use js_sys::Array;
use wasm_bindgen::JsValue;

pub(crate) const ENTRIES: &str = "entries";
pub(crate) const CLEARED: &str = "cleared";
const VERSION: u32 = 1;

/// An open ledger database.
pub(crate) struct LedgerDb {
    db: Database,
}

/// Why a read or a write did not land: the browser's error name (`QuotaExceededError`, …) and
/// its message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoreError {
    pub name: String,
    pub message: String,
}

impl StoreError {
    pub(crate) fn is_quota(&self) -> bool {
        self.name == "QuotaExceededError"
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.message)
        }
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> StoreError {
        use wasm_bindgen::JsCast;
        let js = match &e {
            Error::DomException(d) => Some(d.clone()),
            Error::AddFailed(v)
            | Error::DeleteFailed(v)
            | Error::GetFailed(v)
            | Error::GetAllFailed(v)
            | Error::GetAllKeysFailed(v)
            | Error::IndexedDbOpenFailed(v)
            | Error::IndexedDbNotFound(v)
            | Error::ObjectStoreNotFound(v)
            | Error::ObjectStoreCreateFailed(v)
            | Error::TransactionOpenFailed(v)
            | Error::TransactionCommitError(v)
            | Error::UpdateFailed(v) => v.dyn_ref::<web_sys::DomException>().cloned(),
            _ => None,
        };
        match js {
            Some(d) => StoreError {
                name: d.name(),
                message: d.message(),
            },
            None => StoreError {
                name: "Error".into(),
                message: e.to_string(),
            },
        }
    }
}

fn aborted() -> StoreError {
    StoreError {
        name: "AbortError".into(),
        message: "the browser aborted the transaction".into(),
    }
}

/// Opens (creating on first use) the database named `name`.
pub(crate) async fn open(name: &str) -> Result<LedgerDb, StoreError> {
    let factory = Factory::new()?;
    let mut request = factory.open(name, Some(VERSION))?;
    request.on_upgrade_needed(|event| {
        let Ok(db) = event.database() else {
            return;
        };
        let names = db.store_names();
        for store in [ENTRIES, CLEARED] {
            if !names.iter().any(|n| n == store) {
                // Keys out of line: a record is JSON text, keyed by its job id.
                let _ = db.create_object_store(store, ObjectStoreParams::new());
            }
        }
    });
    Ok(LedgerDb { db: request.await? })
}

/// Joins a stored record with ours for the same key; `None` keeps ours as it is.
pub(crate) type JoinFn = dyn Fn(&JsValue, &JsValue) -> Option<JsValue>;

/// One record to write: put as it is, or joined first with the stored copy of the same key.
pub(crate) struct Put {
    pub key: String,
    pub value: JsValue,
}

impl LedgerDb {
    /// Every entry record and every tombstone record, read in one transaction.
    pub(crate) async fn read_all(&self) -> Result<(Array, Array), StoreError> {
        let tx = self
            .db
            .transaction(&[ENTRIES, CLEARED], TransactionMode::ReadOnly)?;
        let entries = tx.object_store(ENTRIES)?.get_all(None, None)?.await?;
        let cleared = tx.object_store(CLEARED)?.get_all(None, None)?.await?;
        Ok((entries.into_iter().collect(), cleared.into_iter().collect()))
    }

    /// In one transaction: puts `entries` (each joined by `join` with its stored copy, if
    /// given and there is one), puts `tombstones` and deletes the entries they name. Done only
    /// when the transaction committed.
    pub(crate) async fn write(
        &self,
        entries: Vec<Put>,
        tombstones: Vec<Put>,
        join: Option<&JoinFn>,
    ) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[ENTRIES, CLEARED], TransactionMode::ReadWrite)?;
        let store = tx.object_store(ENTRIES)?;
        let cleared = tx.object_store(CLEARED)?;
        // The browser's handle of the transaction: an abort's reason (a full disk aborts the
        // commit with `QuotaExceededError`, after every `put` was accepted) is read from it.
        let raw = web_sys::IdbObjectStore::from(store.clone()).transaction();
        let result = async {
            for put in &entries {
                let stored = match join {
                    Some(_) => store.get(Query::from(JsValue::from_str(&put.key)))?.await?,
                    None => None,
                };
                let value = match (stored, join) {
                    (Some(s), Some(j)) => j(&s, &put.value).unwrap_or_else(|| put.value.clone()),
                    _ => put.value.clone(),
                };
                let _ = store.put(&value, Some(&JsValue::from_str(&put.key)))?;
            }
            for t in &tombstones {
                let _ = store.delete(Query::from(JsValue::from_str(&t.key)))?;
                let _ = cleared.put(&t.value, Some(&JsValue::from_str(&t.key)))?;
            }
            Ok::<(), Error>(())
        }
        .await;
        if let Err(e) = result {
            let _ = tx.abort();
            return Err(e.into());
        }
        match tx.await {
            Ok(r) if r.is_committed() => Ok(()),
            Ok(_) => Err(raw.error().map_or_else(aborted, |d| StoreError {
                name: d.name(),
                message: d.message(),
            })),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn close(&self) {
        self.db.close();
    }
}
