//! The stored form of the ledger (localStorage and the messages between tabs): writing and
//! reading it leniently.

use std::rc::Rc;

use serde::Serialize;
use serde_json::Value;

use super::{Ledger, LedgerEntry, StateSeen, Tombstone, Verification};
use crate::api::read::{FromJson, Obj};
use crate::api::types::{parse_value, DecodeError, Operation};
use crate::domain::job_state::JobPhase;
use crate::domain::manager_error::ManagerError;

/// Version of the stored form written by [`Ledger::to_json`].
pub(crate) const LEDGER_VERSION: u32 = 1;

/// The storage key of a user's ledger on one manager: origin + domain + user. A root-domain
/// user keeps the key of the page before domains existed, so nothing stored is left behind.
pub(crate) fn storage_key(origin: &str, domain: &str, user: &str) -> String {
    if domain.is_empty() {
        format!("cckm-sap-ledger:v1:{origin}:{user}")
    } else {
        format!("cckm-sap-ledger:v1d:{origin}:{domain}:{user}")
    }
}

/// Serializes as the stored form (what [`Ledger::to_json`] writes).
impl Serialize for Ledger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredRef {
            version: LEDGER_VERSION,
            entries: &self.entries,
            cleared: &self.cleared,
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
struct StoredRef<'a> {
    version: u32,
    entries: &'a [Rc<LedgerEntry>],
    cleared: &'a [Tombstone],
}

impl Ledger {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Reads a stored ledger; malformed entries are skipped.
    pub fn from_json(text: &str) -> Result<Ledger, DecodeError> {
        Ledger::from_json_lossy(text).map(|(l, _)| l)
    }

    /// Like [`Ledger::from_json`], also counting the entries that had to be skipped.
    pub fn from_json_lossy(text: &str) -> Result<(Ledger, usize), DecodeError> {
        Ledger::from_value(parse_value(text)?)
    }

    fn from_value(value: Value) -> Result<(Ledger, usize), DecodeError> {
        let Some(mut obj) = Obj::new(value) else {
            return Err(DecodeError::WrongShape(
                "a stored ledger must be a JSON object".into(),
            ));
        };
        let mut skipped = 0;
        let mut ledger = Ledger::default();
        if let Some(Value::Array(items)) = obj.take("entries") {
            for item in items {
                match LedgerEntry::from_json(item) {
                    Some(e) => ledger.entries.push(Rc::new(e)),
                    None => skipped += 1,
                }
            }
        }
        if let Some(Value::Array(items)) = obj.take("cleared") {
            ledger.cleared = items.into_iter().filter_map(Tombstone::from_json).collect();
        }
        ledger.normalize();
        Ok((ledger, skipped))
    }
}

impl FromJson for StateSeen {
    const SHAPE: &'static str = "a state seen";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(StateSeen {
            state: o.string("state"),
            at_ms: o.f64_or_zero("at_ms"),
        })
    }
}

/// `"not_yet"`, `"confirmed"`, `{"drift": {"expected_gone": …, "actual_gone": …}}` or
/// `{"unavailable": "…"}`.
impl FromJson for Verification {
    const SHAPE: &'static str = "a verification";
    fn from_json(v: Value) -> Option<Self> {
        match v {
            Value::String(s) => match s.as_str() {
                "not_yet" => Some(Verification::NotYet),
                "confirmed" => Some(Verification::Confirmed),
                _ => None,
            },
            Value::Object(_) => {
                let mut o = Obj::new(v)?;
                if let Some(Value::String(m)) = o.take("unavailable") {
                    return Some(Verification::Unavailable(m));
                }
                let mut d = o.obj("drift")?;
                let expected_gone = d.take("expected_gone")?.as_bool()?;
                let actual_gone = match d.take("actual_gone") {
                    None | Some(Value::Null) => None,
                    Some(g) => Some(g.as_bool()?),
                };
                Some(Verification::Drift {
                    expected_gone,
                    actual_gone,
                })
            }
            _ => None,
        }
    }
}

impl FromJson for LedgerEntry {
    const SHAPE: &'static str = "a ledger entry";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        let states = match o.take("states") {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(StateSeen::from_json)
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let phase = o
            .take("phase")
            .and_then(JobPhase::from_json)
            .unwrap_or_default();
        Some(LedgerEntry {
            job_id: o.req_string("job_id")?,
            id: o.req_string("id")?,
            key_name: o.string("key_name"),
            group: o.opt_string("group"),
            sap_key_id: o.opt_string("sap_key_id"),
            operation: Operation::from_json(o.take("operation")?)?,
            delete_if_backup_fails: o.opt_bool("delete_if_backup_fails").unwrap_or(false),
            user: o.string("user"),
            manager: o.string("manager"),
            created_ms: o.f64_or_zero("created_ms"),
            states,
            failure_text: o.opt_string("failure_text"),
            inferred: phase == JobPhase::Succeeded && o.opt_bool("inferred").unwrap_or(false),
            phase,
            verification: o
                .take("verification")
                .and_then(Verification::from_json)
                .unwrap_or_default(),
            verified_ms: o.opt_f64("verified_ms"),
            last_polled_ms: o.opt_f64("last_polled_ms"),
            last_change_ms: o.f64_or_zero("last_change_ms"),
            last_job: o.take("last_job").filter(|v| !v.is_null()).map(Rc::new),
            last_error: o.take("last_error").and_then(ManagerError::from_json),
        })
    }
}

impl FromJson for Tombstone {
    const SHAPE: &'static str = "a cleared job";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(Tombstone {
            job_id: o.req_string("job_id")?,
            created_ms: o.f64_or_zero("created_ms"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::fixtures::*;

    #[test]
    fn storage_key_format() {
        assert_eq!(
            storage_key("https://cm.example", "", "admin"),
            "cckm-sap-ledger:v1:https://cm.example:admin"
        );
        assert_eq!(
            storage_key("https://cm.example", "eu-payments", "admin"),
            "cckm-sap-ledger:v1d:https://cm.example:eu-payments:admin"
        );
        assert_ne!(
            storage_key("https://cm.example", "eu-payments", "admin"),
            storage_key("https://cm.example", "", "admin")
        );
    }

    #[test]
    fn json_round_trip() {
        for l in sample_ledgers() {
            let text = l.to_json();
            assert!(text.contains("\"version\":1"));
            let back = Ledger::from_json(&text).unwrap();
            assert_eq!(back, l);
        }
    }

    #[test]
    fn from_json_tolerates_missing_and_bad_fields() {
        let text = r#"{"entries":[
            {"job_id":"j1","id":"k1","operation":"delete"},
            {"job_id":"j2","id":"k2","operation":"restore","phase":"who_knows","verification":42,
             "states":"oops","created_ms":"nan","last_polled_ms":null,"delete_if_backup_fails":"yes"},
            {"id":"no job id","operation":"delete"},
            {"job_id":"j3","id":"k3","operation":"shred"},
            17
        ],"cleared":[{"job_id":"jx","created_ms":1}, "bad"], "future":true}"#;
        let (l, skipped) = Ledger::from_json_lossy(text).unwrap();
        assert_eq!(skipped, 3);
        assert_eq!(l.entries.len(), 2);
        let j2 = l.get("j2").unwrap();
        assert_eq!(j2.phase, JobPhase::Running);
        assert_eq!(j2.verification, Verification::NotYet);
        assert!(j2.states.is_empty());
        assert_eq!(j2.created_ms, 0.0);
        assert!(!j2.delete_if_backup_fails);
        assert_eq!(l.cleared.len(), 1);
        assert_eq!(Ledger::from_json("{}").unwrap(), Ledger::new());
    }

    #[test]
    fn from_json_rejects_garbage_without_panic() {
        assert!(matches!(
            Ledger::from_json("not json"),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            Ledger::from_json("[1,2]"),
            Err(DecodeError::WrongShape(_))
        ));
        assert_eq!(
            Ledger::from_json(r#"{"entries":[{"job_id":"#),
            Err(DecodeError::Truncated)
        );
        assert!(Ledger::from_json("").is_err());
    }

    #[test]
    fn from_json_merges_duplicates() {
        let a = entry("j1", "k1", 100.0);
        let mut b = a.clone();
        b.states.push(StateSeen {
            state: "DONE".into(),
            at_ms: 200.0,
        });
        b.phase = JobPhase::Succeeded;
        let text = serde_json::json!({"version": 1, "entries": [a, b]}).to_string();
        let l = Ledger::from_json(&text).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].phase, JobPhase::Succeeded);
    }

    #[test]
    fn stored_leniently_and_round_tripped() {
        for l in unrecognised_samples() {
            assert_eq!(Ledger::from_json(&l.to_json()).unwrap(), l);
        }
        let text = unrecognised_samples()[1].to_json();
        assert!(text.contains("\"inferred\":true"), "{text}");
        let text = unrecognised_samples()[3].to_json();
        assert!(
            text.contains("\"phase\":\"no_longer_watched\"") && !text.contains("inferred"),
            "{text}"
        );
        // A ledger from before: no `inferred`; a stray one on a running job is ignored.
        let old = r#"{"version":1,"entries":[
            {"job_id":"a","id":"k","operation":"delete","phase":"succeeded","states":[{"state":"COMPLETED","at_ms":5}]},
            {"job_id":"b","id":"k","operation":"delete","phase":"running","inferred":true},
            {"job_id":"c","id":"k","operation":"restore","phase":"succeeded","inferred":"yes"}]}"#;
        let l = Ledger::from_json(old).unwrap();
        assert!(l.entries.iter().all(|e| !e.inferred));
        assert_eq!(
            l.get("a").unwrap().status_label(),
            "succeeded (checking the key…)"
        );
    }

    #[test]
    fn stored_round_trip_and_old_ledgers_still_load() {
        let mut l = one_job_ledger();
        assert!(
            !l.to_json().contains("last_error"),
            "absent until an error is met"
        );
        l.record_error("j", error(2000.0, "3f0c"));
        let text = l.to_json();
        assert!(
            text.contains(r#""last_error":{"name":"NCERRInternalServerError""#),
            "{text}"
        );
        assert!(text.contains(r#""request_id":"3f0c""#), "{text}");
        assert_eq!(Ledger::from_json(&text).unwrap(), l);
        let old = r#"{"version":1,"entries":[
            {"job_id":"a","id":"k","operation":"delete","phase":"running"},
            {"job_id":"b","id":"k","operation":"delete","last_error":"boom"},
            {"job_id":"c","id":"k","operation":"delete","last_error":{"name":["x"],"request_id":7,"at_ms":"?"}},
            {"job_id":"d","id":"k","operation":"delete","last_error":null}]}"#;
        let (l, skipped) = Ledger::from_json_lossy(old).unwrap();
        assert_eq!((l.entries.len(), skipped), (4, 0));
        assert_eq!(l.get("a").unwrap().last_error, None);
        assert_eq!(l.get("b").unwrap().last_error, None);
        assert_eq!(l.get("d").unwrap().last_error, None);
        let c = l.get("c").unwrap().last_error.clone().unwrap();
        assert_eq!(
            (c.name, c.request_id.as_deref(), c.at_ms),
            (None, Some("7"), 0.0)
        );
    }
}
