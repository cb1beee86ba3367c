//! The stored form of the ledger (localStorage and the messages between tabs): written through
//! `Serialize`, read through the derived `Deserialize` of [`StoredLedger`] and the entry types,
//! leniently: an entry that does not read is skipped and counted, a field of the wrong type reads
//! as absent, and the forms older pages wrote still read.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::readers::any_list;
use super::{Ledger, LedgerEntry, Tombstone};
use crate::api::decode::{parse_json, to_json, DecodeError};
use crate::api::lenient::Counted;
use crate::domain::job_state::JobPhase;

/// Version of the stored form written by [`Ledger::to_json`].
pub(crate) const LEDGER_VERSION: u32 = 1;

/// The storage key of a user's ledger on one manager: origin + domain + user. A root-domain
/// user keeps the key of the page before domains existed, so nothing stored is left behind.
pub fn storage_key(origin: &str, domain: &str, user: &str) -> String {
    if domain.is_empty() {
        format!("cckm-sap-ledger:v1:{origin}:{user}")
    } else {
        format!("cckm-sap-ledger:v1d:{origin}:{domain}:{user}")
    }
}

/// Serializes as the stored form.
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

/// The stored form as read (`version` is not needed to read it). Read it as an
/// `Object<StoredLedger>` (what `parse_json` does): anything but a JSON object is not a ledger.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StoredLedger {
    #[serde(default, deserialize_with = "any_list")]
    entries: Counted<LedgerEntry>,
    #[serde(default, deserialize_with = "any_list")]
    cleared: Counted<Tombstone>,
}

impl Ledger {
    /// The ledger a stored form holds, and how many of its entries could not be read. Copies of
    /// one job are merged; `inferred` only counts on a succeeded job.
    pub(crate) fn from_stored(stored: StoredLedger) -> (Ledger, usize) {
        let skipped = stored.entries.skipped;
        (
            Ledger::from_records(stored.entries.items, stored.cleared.items),
            skipped,
        )
    }

    /// The ledger of entries and tombstones read one by one (storage with a record per job), as
    /// [`Ledger::from_stored`] makes it.
    pub(crate) fn from_records(entries: Vec<LedgerEntry>, cleared: Vec<Tombstone>) -> Ledger {
        let mut ledger = Ledger::from_parts(
            entries
                .into_iter()
                .map(|mut e| {
                    e.inferred &= e.phase == JobPhase::Succeeded;
                    Rc::new(e)
                })
                .collect(),
            cleared,
        );
        ledger.normalize();
        ledger
    }

    /// The stored form as JSON text; `None` only if it cannot be written (then nothing should
    /// be stored in its place).
    pub(crate) fn write_json(&self) -> Option<String> {
        to_json(self)
    }

    /// The stored form as JSON text (`{}` if it cannot be written).
    pub fn to_json(&self) -> String {
        self.write_json().unwrap_or_else(|| String::from("{}"))
    }

    /// Reads a stored ledger from JSON text; malformed entries are skipped.
    pub fn from_json(text: &str) -> Result<Ledger, DecodeError> {
        Ledger::from_json_lossy(text).map(|(l, _)| l)
    }

    /// Like [`Ledger::from_json`], also counting the entries that had to be skipped. Anything
    /// but a JSON object is not a ledger.
    pub fn from_json_lossy(text: &str) -> Result<(Ledger, usize), DecodeError> {
        parse_json::<StoredLedger>(text).map(Ledger::from_stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::fixtures::*;
    use crate::domain::ledger::{StateSeen, Verification};

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
            assert_eq!(l.write_json().as_ref(), Some(&text));
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
    fn tombstones_round_trip_and_keep_cleared_jobs_out() {
        let mut l = sample_ledgers()[3].clone();
        assert!(!l.cleared.is_empty());
        l.add(entry("j9", "k9", 900.0));
        let back = Ledger::from_json(&l.to_json()).unwrap();
        assert_eq!(back, l);
        let older = r#"{"version":1,"entries":[{"job_id":"j4","id":"k4","operation":"delete"}],
            "cleared":[{"job_id":"j4","created_ms":400}]}"#;
        assert!(Ledger::from_json(older).unwrap().get("j4").is_none());
    }

    #[test]
    fn states_read_whole_or_not_at_all() {
        let read = |states: &str| {
            let text = format!(
                r#"{{"entries":[{{"job_id":"j","id":"k","operation":"delete","states":{states}}}]}}"#
            );
            let l = Ledger::from_json(&text).unwrap();
            l.get("j").unwrap().states.clone()
        };
        assert_eq!(
            read(r#"[{"state":7,"at_ms":"12"},{"state":"DONE","at_ms":"x","extra":[]}]"#),
            vec![
                StateSeen {
                    state: "DONE".into(),
                    at_ms: 0.0
                },
                StateSeen {
                    state: "7".into(),
                    at_ms: 12.0
                }
            ]
        );
        for odd in [
            r#"[{"state":"A","at_ms":1},5]"#,
            r#"[["A",1]]"#,
            "{}",
            "null",
            "\"A\"",
        ] {
            assert!(read(odd).is_empty(), "{odd}");
        }
    }

    #[test]
    fn a_value_of_the_wrong_shape_anywhere_costs_one_entry_at_most() {
        let text = HOSTILE_LEDGER;
        let (l, skipped) = Ledger::from_json_lossy(text).unwrap();
        assert_eq!(skipped, 3);
        assert_eq!(summary_of(&l), hostile_ledger_read());
        let c = l.get("c").unwrap();
        assert_eq!(c.verification, Verification::NotYet);
        assert_eq!(c.phase, JobPhase::Running);
        assert_eq!(c.group, None);
        assert_eq!(
            c.states.len(),
            1,
            "a state of odd fields reads as blank, not as none"
        );
        assert_eq!(c.last_error.as_ref().map(|e| e.name.clone()), Some(None));
        // An object of more than one key is no stored verification (none was ever written).
        for id in ["d", "e", "f", "g", "h"] {
            assert_eq!(
                l.get(id).unwrap().verification,
                Verification::NotYet,
                "{id}"
            );
        }
        assert_eq!(
            l.get("i").unwrap().verification,
            Verification::Drift {
                expected_gone: true,
                actual_gone: None
            }
        );
        assert_eq!(l.cleared.len(), 1);
        assert_eq!(l.cleared[0].created_ms, 0.0);
    }

    #[test]
    fn lists_that_are_not_lists_read_as_empty() {
        let (l, skipped) =
            Ledger::from_json_lossy(r#"{"entries":{"job_id":"j"},"cleared":"all"}"#).unwrap();
        assert_eq!((l, skipped), (Ledger::new(), 0));
        let (l, skipped) = Ledger::from_json_lossy(r#"{"entries":null,"cleared":7}"#).unwrap();
        assert_eq!((l, skipped), (Ledger::new(), 0));
    }

    #[test]
    fn every_verification_and_the_raw_job_read_back() {
        let text = r#"{"entries":[
            {"job_id":"a","id":"k","operation":"delete","verification":{"drift":{"expected_gone":true}},
             "last_job":{"id":"a","state":"DONE","n":[1,{"x":null}]}},
            {"job_id":"b","id":"k","operation":"delete","verification":{"unavailable":"503"}},
            {"job_id":"c","id":"k","operation":"delete","verification":"confirmed"},
            {"job_id":"d","id":"k","operation":"delete","verification":{"drift":{"actual_gone":true}}},
            {"job_id":"e","id":"k","operation":"delete","verification":"drift"}]}"#;
        let l = Ledger::from_json(text).unwrap();
        let v = |id: &str| l.get(id).unwrap().verification.clone();
        assert_eq!(
            v("a"),
            Verification::Drift {
                expected_gone: true,
                actual_gone: None
            }
        );
        assert_eq!(v("b"), Verification::Unavailable("503".into()));
        assert_eq!(v("c"), Verification::Confirmed);
        assert_eq!(v("d"), Verification::NotYet, "drift without expected_gone");
        assert_eq!(v("e"), Verification::NotYet);
        let job = l.get("a").unwrap().last_job.clone().unwrap();
        assert_eq!(job["n"][1], serde_json::json!({"x": null}));
        assert_eq!(Ledger::from_json(&l.to_json()).unwrap(), l);
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
