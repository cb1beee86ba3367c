//! A key's history panel without the browser: the jobs this browser ran on the key (oldest
//! first, each with its states, who started it and its verification), the key's fields as the
//! manager sent them (known ones labelled, unknown ones by their JSON path), what reading the key
//! now gave, and which of delete and restore the panel offers.
use std::rc::Rc;

use serde_json::Value;

use crate::api::decode::to_json;
use crate::api::error::ApiError;
use crate::api::jobs::Operation;
use crate::api::keys::SapKey;
use crate::domain::job_state::JobPhase;
use crate::domain::ledger::{Ledger, LedgerEntry, StateSeen, Verification};
use crate::domain::order::sort_dyn;
use crate::domain::permissions::Refusals;
use crate::domain::plan::{plan, SkipReason};

/// One job of the key's history, as the panel lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub job_id: String,
    pub operation: Operation,
    pub phase: JobPhase,
    /// The job's status in words (as the job list says it).
    pub outcome: String,
    pub started_ms: f64,
    pub user: String,
    /// Every state the manager reported, and when, oldest first.
    pub states: Vec<StateSeen>,
    /// What re-reading the key after the job showed; `None` while the job runs.
    pub verification: Option<String>,
}

/// Every job of the ledger on the key with CCKM id `key_id`, oldest to newest. Ids are compared
/// without case: a UUID may be written either way.
pub fn key_history(ledger: &Ledger, key_id: &str) -> Vec<HistoryRow> {
    let mut mine: Vec<&Rc<LedgerEntry>> = ledger
        .entries
        .iter()
        .filter(|e| e.id.eq_ignore_ascii_case(key_id))
        .collect();
    sort_dyn(&mut mine, &|a, b| {
        a.created_ms
            .total_cmp(&b.created_ms)
            .then_with(|| a.job_id.cmp(&b.job_id))
    });
    mine.into_iter().map(|e| row(e)).collect()
}

fn row(e: &LedgerEntry) -> HistoryRow {
    HistoryRow {
        job_id: e.job_id.clone(),
        operation: e.operation,
        phase: e.phase,
        outcome: e.status_label(),
        started_ms: e.created_ms,
        user: e.user.clone(),
        states: e.states.clone(),
        verification: verification_sentence(e),
    }
}

/// How many of the key's jobs have ended: when it grows, the key is read again.
pub fn ended_count(ledger: &Ledger, key_id: &str) -> usize {
    let ended = |e: &&Rc<LedgerEntry>| e.id.eq_ignore_ascii_case(key_id) && e.phase.is_terminal();
    ledger.entries.iter().filter(ended).count()
}

/// The verification of an ended job in one sentence.
pub fn verification_sentence(e: &LedgerEntry) -> Option<String> {
    let gone_words = |g: bool| {
        if g {
            "deleted from SAP"
        } else {
            "present in SAP"
        }
    };
    Some(match &e.verification {
        Verification::NotYet if !e.phase.is_terminal() => return None,
        Verification::NotYet => "The key has not been re-read since the job ended.".to_string(),
        Verification::Confirmed => match (e.operation, e.phase) {
            (Operation::Delete, JobPhase::Succeeded) => "Key re-read: deleted from SAP.".into(),
            (Operation::Restore, JobPhase::Succeeded) => {
                "Key re-read: present in SAP again.".into()
            }
            _ => "Key re-read: unchanged.".into(),
        },
        Verification::Drift {
            expected_gone,
            actual_gone,
        } => format!(
            "Key re-read: it should be {}, yet the manager reports it {}.",
            gone_words(*expected_gone),
            actual_gone.map(gone_words).unwrap_or("of unknown state")
        ),
        Verification::Unavailable(m) => format!("The key could not be re-read after the job: {m}"),
    })
}

/// A field's value, typed enough to be shown well.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    Text(String),
    /// An RFC 3339 time (shown in local time, the raw text kept).
    Time(String),
    Flag(bool),
    Number(String),
    /// An array or an object, as compact JSON.
    Json(String),
    Null,
}

/// One field of the key as the manager sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyField {
    /// Its JSON path, e.g. `sap_param.sap_key_id`.
    pub path: String,
    /// Its label, for the fields the page knows; unknown fields are shown by path.
    pub label: Option<&'static str>,
    pub value: FieldValue,
    /// An id worth a copy button.
    pub copy: bool,
}

/// (path, label, is a time, is an id). Their order is the panel's.
const KNOWN: [(&str, &str, bool, bool); 20] = [
    ("name", "Name", false, false),
    ("id", "CCKM key id", false, true),
    ("sap_param.sap_key_id", "SAP key id", false, true),
    ("gone", "Deleted from SAP", false, false),
    ("sap_param.enabled", "Enabled", false, false),
    ("sap_group_name", "Group", false, false),
    ("sap_param.groupId", "SAP group id", false, true),
    ("sap_param.type", "Type", false, false),
    ("sap_param.size", "Size", false, false),
    ("sap_param.description", "Description", false, false),
    ("sap_param.exportable", "Exportable", false, false),
    (
        "sap_param.keystoreContext.customerHeld",
        "Customer held",
        false,
        false,
    ),
    ("sap_param.meta.created", "Created in SAP", true, false),
    (
        "sap_param.meta.creatorName",
        "Created in SAP by",
        false,
        false,
    ),
    ("sap_param.meta.totalVersions", "Versions", false, false),
    ("createdAt", "Created", true, false),
    ("updatedAt", "Updated", true, false),
    ("tenant", "Tenant", false, false),
    ("cloud_name", "Cloud", false, false),
    ("uri", "URI", false, true),
];

/// The objects whose fields are listed one by one; any other object is one field.
const CONTAINERS: [&str; 3] = ["sap_param", "sap_param.keystoreContext", "sap_param.meta"];

/// Every field of the raw key: the known ones first in the panel's order, then the others by
/// path. Nothing the manager sent is left out; a body that is not an object gives one field.
pub fn key_fields(raw: &Value) -> Vec<KeyField> {
    let mut leaves = Vec::new();
    flatten("", raw, &mut leaves);
    let rank = |p: &str| KNOWN.iter().position(|k| k.0 == p).unwrap_or(KNOWN.len());
    sort_dyn(&mut leaves, &|a, b| {
        rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0))
    });
    leaves
        .into_iter()
        .map(|(path, v)| {
            let known = KNOWN.iter().find(|k| k.0 == path);
            let is_time = known.is_some_and(|k| k.2);
            KeyField {
                label: known.map(|k| k.1),
                copy: known.is_some_and(|k| k.3) && v.as_str().is_some_and(|s| !s.is_empty()),
                value: value_of(v, is_time),
                path,
            }
        })
        .collect()
}

fn flatten<'a>(path: &str, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) if path.is_empty() || CONTAINERS.contains(&path) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        _ => out.push((path.to_string(), v)),
    }
}

fn value_of(v: &Value, is_time: bool) -> FieldValue {
    match v {
        Value::String(s) if is_time => FieldValue::Time(s.clone()),
        Value::String(s) => FieldValue::Text(s.clone()),
        Value::Bool(b) => FieldValue::Flag(*b),
        Value::Null => FieldValue::Null,
        // Written by the browser's JSON.stringify (see `decode`), not by serde_json's printer.
        Value::Number(_) => FieldValue::Number(to_json(v).unwrap_or_default()),
        other => FieldValue::Json(to_json(other).unwrap_or_default()),
    }
}

/// The key as read now from the manager.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyNow {
    Loading,
    Loaded(Rc<SapKey>),
    /// The manager answered 404: the key no longer exists there.
    Missing(ApiError),
    Failed(ApiError),
}

impl KeyNow {
    pub fn answered(result: Result<SapKey, ApiError>) -> KeyNow {
        match result {
            Ok(k) => KeyNow::Loaded(Rc::new(k)),
            Err(e) if e.is_not_found() => KeyNow::Missing(e),
            Err(e) => KeyNow::Failed(e),
        }
    }

    /// The state while the key `id` is read again: that key on screen stays until the answer (a
    /// re-read after a job ended does not flash "Loading"); anything else shows as loading.
    pub fn rereading(&self, id: &str) -> KeyNow {
        match self {
            KeyNow::Loaded(k) if k.id.eq_ignore_ascii_case(id) => KeyNow::Loaded(k.clone()),
            _ => KeyNow::Loading,
        }
    }
}

/// Which operations the panel offers for the key as just read, and why any other is not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyActions {
    pub offered: Vec<Operation>,
    /// Sentences for what stops an operation that the key's state would allow (a running job,
    /// a refusal, an id that is not a UUID).
    pub blocked: Vec<String>,
}

/// The same rule as the job form: a key not gone can be deleted, a gone one restored, one of
/// unknown state either; a running job or a refusal of the manager stops it.
pub fn key_actions(key: &SapKey, ledger: &Ledger, refusals: &Refusals) -> KeyActions {
    let mut out = KeyActions::default();
    let keys = std::slice::from_ref(key);
    for op in [Operation::Delete, Operation::Restore] {
        let p = plan(op, keys, ledger, refusals);
        if !p.eligible.is_empty() {
            out.offered.push(op);
            continue;
        }
        for (r, why) in &p.skipped {
            if matches!(why, SkipReason::AlreadyGone | SkipReason::NotGone) {
                continue;
            }
            let sentence = why.describe(op, r);
            if !out.blocked.contains(&sentence) {
                out.blocked.push(sentence);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
