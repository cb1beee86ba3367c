//! The ledger of jobs this browser started: what the page remembers, merges across tabs and
//! stores as JSON (the manager has no job list).

mod compact;
mod entry;
#[cfg(test)]
pub(crate) mod fixtures;
mod merge;
mod readers;
mod stored;

use std::cmp::Ordering;
use std::rc::Rc;

use crate::api::jobs::{Job, Operation};
use crate::domain::job_state::JobPhase;
use crate::domain::manager_error::ManagerError;
use crate::domain::order::sort_dyn;
use entry::sort_states;

pub(crate) use compact::{to_compact, to_compact_for_room, SavePlan, KEEP_RAW_NEWEST};
pub use entry::{LedgerEntry, StateSeen, Verification};
pub use merge::Tombstone;
pub use stored::storage_key;
pub(crate) use stored::StoredLedger;

/// The jobs this browser started, newest first.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Shared: a copy of the ledger is cheap, and an entry that did not change keeps its `Rc`
    /// (the job list re-renders only the rows whose entry changed).
    pub entries: Vec<Rc<LedgerEntry>>,
    /// Jobs removed by [`Ledger::clear_finished`], sorted by `job_id`.
    pub cleared: Vec<Tombstone>,
}

/// Equal entries are usually the same `Rc`: compare pointers first, contents only when they differ.
impl PartialEq for Ledger {
    fn eq(&self, other: &Ledger) -> bool {
        self.cleared == other.cleared
            && self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| Rc::ptr_eq(a, b) || **a == **b)
    }
}

fn cmp_entries(a: &LedgerEntry, b: &LedgerEntry) -> Ordering {
    b.created_ms
        .total_cmp(&a.created_ms)
        .then_with(|| a.job_id.cmp(&b.job_id))
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// What `gone` should be once `op` succeeded.
    pub fn expected_gone(op: Operation) -> bool {
        entry::expected_gone(op)
    }

    pub fn get(&self, job_id: &str) -> Option<&LedgerEntry> {
        self.entries
            .iter()
            .find(|e| e.job_id == job_id)
            .map(|e| &**e)
    }

    /// The entry to change; copied first if another ledger shares it.
    fn get_mut(&mut self, job_id: &str) -> Option<&mut LedgerEntry> {
        self.entries
            .iter_mut()
            .find(|e| e.job_id == job_id)
            .map(Rc::make_mut)
    }

    /// Adds a job; if the job is already there, the two are merged. Returns whether it changed.
    pub fn add(&mut self, mut entry: LedgerEntry) -> bool {
        let mut changed = false;
        if let Some(i) = self.cleared.iter().position(|t| t.job_id == entry.job_id) {
            self.cleared.remove(i);
            changed = true;
        }
        match self.get_mut(&entry.job_id) {
            Some(e) => {
                let before = e.clone();
                e.join(&entry);
                if *e != before {
                    changed = true;
                    sort_dyn(&mut self.entries, &|a, b| cmp_entries(a, b));
                }
            }
            None => {
                sort_states(&mut entry.states);
                let at = self
                    .entries
                    .partition_point(|x| cmp_entries(x, &entry) == Ordering::Less);
                self.entries.insert(at, Rc::new(entry));
                changed = true;
            }
        }
        changed
    }

    /// Applies a job answer from the manager. Appends a state only when it differs from the
    /// last one; a terminal phase is never undone. Returns whether anything changed.
    pub fn record_job(&mut self, job: &Job, now_ms: f64) -> bool {
        self.get_mut(&job.id)
            .map(|e| e.record(job, now_ms))
            .unwrap_or(false)
    }

    /// The manager answered 404 for a running job. The entry stays.
    pub(crate) fn mark_unknown_to_manager(&mut self, job_id: &str, now_ms: f64) -> bool {
        match self.get_mut(job_id) {
            Some(e) if e.phase == JobPhase::Running => {
                e.phase = JobPhase::UnknownToManager;
                e.last_polled_ms = Some(now_ms);
                e.last_change_ms = now_ms;
                true
            }
            _ => false,
        }
    }

    /// Keeps `error` as the job's last manager error, unless a later one is already kept.
    /// Not a change of the job: `last_change_ms` stays. Returns whether the entry changed.
    pub(crate) fn record_error(&mut self, job_id: &str, error: ManagerError) -> bool {
        let Some(e) = self.get(job_id) else {
            return false;
        };
        let later = ManagerError::later(&e.last_error, &Some(error));
        if later == e.last_error {
            return false;
        }
        match self.get_mut(job_id) {
            Some(e) => {
                e.last_error = later;
                true
            }
            None => false,
        }
    }

    /// Records what re-reading the key showed (timed after the entry's last poll or change).
    pub(crate) fn set_verification(&mut self, job_id: &str, v: Verification) -> bool {
        let at = match self.get(job_id) {
            Some(e) => e
                .last_polled_ms
                .unwrap_or(0.0)
                .max(e.last_change_ms)
                .max(e.verified_ms.unwrap_or(0.0)),
            None => return false,
        };
        self.set_verification_at(job_id, v, at)
    }

    /// Records what re-reading the key showed at `now_ms` (the later verification wins a merge).
    /// For a job whose word is unrecognised ([`LedgerEntry::awaits_key`]), only `Confirmed`
    /// counts: the key changed as the operation should, so the job succeeded, inferred from
    /// the key.
    pub fn set_verification_at(&mut self, job_id: &str, v: Verification, now_ms: f64) -> bool {
        match self.get_mut(job_id) {
            Some(e) if e.awaits_key() => {
                if v != Verification::Confirmed {
                    return false;
                }
                e.phase = JobPhase::Succeeded;
                e.inferred = true;
                e.verification = v;
                e.verified_ms = Some(now_ms);
                e.last_change_ms = now_ms;
                true
            }
            Some(e) if e.verification != v => {
                e.verification = v;
                e.verified_ms = Some(now_ms);
                e.last_change_ms = now_ms;
                true
            }
            _ => false,
        }
    }

    /// Jobs still to poll.
    pub(crate) fn unfinished(&self) -> impl Iterator<Item = &LedgerEntry> + '_ {
        self.entries
            .iter()
            .map(|e| &**e)
            .filter(|e| e.phase.needs_polling())
    }

    /// Whether a job is running for the key with this CCKM id.
    pub(crate) fn running_for_key(&self, id: &str) -> bool {
        self.unfinished().any(|e| e.id == id)
    }

    /// Removes succeeded and failed jobs (the only removal); returns how many.
    pub(crate) fn clear_finished(&mut self) -> usize {
        let mut removed = Vec::new();
        self.entries.retain(|e| {
            if e.phase.is_terminal() {
                removed.push(Tombstone {
                    job_id: e.job_id.clone(),
                    created_ms: e.created_ms,
                });
                false
            } else {
                true
            }
        });
        let n = removed.len();
        if n > 0 {
            self.cleared.extend(removed);
            self.normalize();
        }
        n
    }

    /// (running, succeeded, failed, unknown to manager or no longer watched).
    pub fn summary(&self) -> (usize, usize, usize, usize) {
        let mut s = (0, 0, 0, 0);
        for e in &self.entries {
            match e.phase {
                JobPhase::Running => s.0 += 1,
                JobPhase::Succeeded => s.1 += 1,
                JobPhase::Failed => s.2 += 1,
                JobPhase::UnknownToManager | JobPhase::NoLongerWatched => s.3 += 1,
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::api::jobs::parse_job;
    use serde_json::Value;

    fn awaiting(l: &Ledger) -> usize {
        l.entries.iter().filter(|e| e.awaits_verification()).count()
    }

    #[test]
    fn add_newest_first_and_no_duplicates() {
        let mut l = Ledger::new();
        assert!(l.add(entry("j1", "k1", 100.0)));
        assert!(l.add(entry("j2", "k2", 200.0)));
        assert!(l.add(entry("j0", "k0", 50.0)));
        let ids: Vec<_> = l.entries.iter().map(|e| e.job_id.as_str()).collect();
        assert_eq!(ids, ["j2", "j1", "j0"]);
        assert!(!l.add(entry("j1", "k1", 100.0)));
        assert_eq!(l.entries.len(), 3);
        let mut later = entry("j1", "k1", 100.0);
        later.states.push(StateSeen {
            state: "IN_PROGRESS".into(),
            at_ms: 150.0,
        });
        assert!(l.add(later));
        assert_eq!(l.entries.len(), 3);
        assert_eq!(l.get("j1").unwrap().states.len(), 2);
    }

    #[test]
    fn record_job_appends_only_changes() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        assert!(!l.record_job(&job("j1", "PENDING"), 1100.0));
        let e = l.get("j1").unwrap();
        assert_eq!(e.states.len(), 1);
        assert_eq!(e.last_polled_ms, Some(1100.0));
        assert_eq!(e.last_change_ms, 100.0);
        assert!(l.record_job(&job("j1", "IN_PROGRESS"), 2100.0));
        assert!(!l.record_job(&job("j1", "IN_PROGRESS"), 3100.0));
        assert!(l.record_job(&job("j1", "COMPLETED"), 4100.0));
        let e = l.get("j1").unwrap();
        assert_eq!(e.phase, JobPhase::Succeeded);
        assert_eq!(e.last_change_ms, 4100.0);
        let states: Vec<_> = e.states.iter().map(|s| s.state.as_str()).collect();
        assert_eq!(states, ["PENDING", "IN_PROGRESS", "COMPLETED"]);
        assert!(!l.record_job(&job("unknown", "FAILED"), 5000.0));
    }

    #[test]
    fn record_job_failure_text_and_raw() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        let j = parse_job(r#"{"id":"j1","state":"FAILED","error_details":"no backup","extra":1}"#)
            .unwrap();
        assert!(l.record_job(&j, 200.0));
        let e = l.get("j1").unwrap();
        assert_eq!(e.phase, JobPhase::Failed);
        assert_eq!(e.failure_text.as_deref(), Some("no backup"));
        assert_eq!(
            e.last_job
                .as_ref()
                .and_then(|v| v.get("extra"))
                .and_then(Value::as_u64),
            Some(1)
        );
        assert_eq!(e.status_label(), "failed: no backup");
        // A job not read from JSON (no raw answer) leaves the last one seen.
        let literal = Job {
            id: "j1".into(),
            state: "FAILED".into(),
            ..Default::default()
        };
        assert!(!l.record_job(&literal, 250.0));
        let e = l.get("j1").unwrap();
        assert_eq!(
            e.last_job.as_ref().and_then(|v| v.get("extra")),
            Some(&1.into())
        );
        assert_eq!(e.last_polled_ms, Some(250.0));
        assert_eq!(awaiting(&l), 1, "a failed job's key is re-read too");
        l.set_verification(
            "j1",
            Verification::for_key(Operation::Delete, JobPhase::Failed, Some(true)),
        );
        assert_eq!(
            l.get("j1").unwrap().status_label(),
            "failed: no backup (but the key changed)"
        );
        assert_eq!(awaiting(&l), 0);
    }

    #[test]
    fn terminal_phase_is_final() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        l.record_job(&job("j1", "COMPLETED"), 200.0);
        l.record_job(&job("j1", "PENDING"), 300.0);
        assert_eq!(l.get("j1").unwrap().phase, JobPhase::Succeeded);
    }

    #[test]
    fn unknown_to_manager_is_kept() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        assert!(l.running_for_key("k1"));
        assert!(l.mark_unknown_to_manager("j1", 200.0));
        assert!(!l.mark_unknown_to_manager("j1", 300.0));
        assert_eq!(l.get("j1").unwrap().phase, JobPhase::UnknownToManager);
        assert_eq!(l.unfinished().count(), 0);
        assert!(!l.running_for_key("k1"));
        assert_eq!(l.clear_finished(), 0);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.summary(), (0, 0, 0, 1));
        // The manager finds it again: polling results still apply.
        assert!(l.record_job(&job("j1", "COMPLETED"), 400.0));
        assert_eq!(l.get("j1").unwrap().phase, JobPhase::Succeeded);
        // A finished job is not marked unknown.
        assert!(!l.mark_unknown_to_manager("j1", 500.0));
    }

    #[test]
    fn drift_label_and_awaiting() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        l.record_job(&job("j1", "COMPLETED"), 200.0);
        assert_eq!(awaiting(&l), 1);
        assert_eq!(
            l.get("j1").unwrap().status_label(),
            "succeeded (checking the key…)"
        );
        let v = Verification::for_key(Operation::Delete, JobPhase::Succeeded, Some(false));
        assert!(l.set_verification_at("j1", v.clone(), 300.0));
        assert!(!l.set_verification("j1", v));
        let e = l.get("j1").unwrap();
        assert!(e.is_drift());
        assert_eq!(e.status_label(), "finished, but the key did not change");
        assert_eq!(awaiting(&l), 0);
        assert!(!l.set_verification("nope", Verification::Confirmed));
    }

    #[test]
    fn clear_finished_only_removes_terminal_and_leaves_tombstones() {
        let mut l = Ledger::new();
        for (j, state) in [
            ("a", "COMPLETED"),
            ("b", "FAILED"),
            ("c", "IN_PROGRESS"),
            ("d", "PENDING"),
        ] {
            l.add(entry(j, j, 10.0));
            l.record_job(&job(j, state), 20.0);
        }
        l.mark_unknown_to_manager("d", 30.0);
        assert_eq!(l.summary(), (1, 1, 1, 1));
        assert_eq!(l.clear_finished(), 2);
        let left: Vec<_> = l.entries.iter().map(|e| e.job_id.as_str()).collect();
        assert_eq!(left, ["c", "d"]);
        let dead: Vec<_> = l.cleared.iter().map(|t| t.job_id.as_str()).collect();
        assert_eq!(dead, ["a", "b"]);
        assert_eq!(l.clear_finished(), 0);
    }

    #[test]
    fn a_changed_key_ends_an_unrecognised_job_as_inferred() {
        for (op, word) in [
            (Operation::Delete, "DELETED"),
            (Operation::Restore, "restored"),
        ] {
            let mut l = ledger_with("j", op, &[("IN_PROGRESS", 2000.0)]);
            assert!(!l.get("j").unwrap().awaits_key(), "a known running word");
            l.record_job(&job("j", word), 3000.0);
            let e = l.get("j").unwrap();
            assert!(e.awaits_key());
            assert_eq!(e.phase, JobPhase::Running);
            assert_eq!(e.status_label(), format!("running ({word})"));
            assert_eq!(l.unfinished().count(), 1);
            // A key that did not change (yet) leaves it running and records nothing.
            let unchanged =
                Verification::for_key(op, JobPhase::Succeeded, Some(op == Operation::Restore));
            assert!(!l.set_verification_at("j", unchanged, 3100.0));
            assert!(!l.set_verification_at("j", Verification::Unavailable("503".into()), 3100.0));
            assert_eq!(l.get("j").unwrap().verification, Verification::NotYet);
            let changed =
                Verification::for_key(op, JobPhase::Succeeded, Some(op == Operation::Delete));
            assert!(l.set_verification_at("j", changed.clone(), 3200.0));
            assert!(!l.set_verification_at("j", changed, 3300.0));
            let e = l.get("j").unwrap();
            assert_eq!((e.phase, e.inferred), (JobPhase::Succeeded, true));
            assert_eq!(e.verification, Verification::Confirmed);
            assert_eq!(e.last_state(), word, "the raw word stays");
            assert_eq!(e.status_label(), "succeeded (inferred from the key)");
            assert_eq!(l.unfinished().count(), 0, "not polled again");
            assert_eq!(awaiting(&l), 0);
            assert_eq!(l.summary(), (0, 1, 0, 0));
            // A later answer does not undo it.
            assert!(!l.record_job(&job("j", word), 4000.0));
            assert_eq!(l.get("j").unwrap().phase, JobPhase::Succeeded);
        }
    }

    #[test]
    fn a_known_word_is_never_inferred() {
        let mut l = ledger_with("j", Operation::Delete, &[("RUNNING", 2000.0)]);
        l.set_verification_at("j", Verification::Confirmed, 2100.0);
        let e = l.get("j").unwrap();
        assert_eq!((e.phase, e.inferred), (JobPhase::Running, false));
        let mut l = ledger_with("j", Operation::Delete, &[("DELETE_FAILED", 2000.0)]);
        assert!(!l.get("j").unwrap().awaits_key(), "a failure word wins");
        l.set_verification_at("j", Verification::Confirmed, 2100.0);
        assert_eq!(l.get("j").unwrap().phase, JobPhase::Failed);
    }

    #[test]
    fn a_day_of_unrecognised_words_ends_the_watch_and_keeps_the_job() {
        let created = 1000.0;
        let mut l = ledger_with(
            "j",
            Operation::Delete,
            &[("DELETED", created + 5.0), ("DELETED", created + DAY - 1.0)],
        );
        assert_eq!(l.get("j").unwrap().phase, JobPhase::Running);
        assert!(l.record_job(&job("j", "DELETED"), created + DAY));
        let e = l.get("j").unwrap();
        assert_eq!(e.phase, JobPhase::NoLongerWatched);
        assert_eq!(e.status_label(), "no longer watched — check the manager");
        assert_eq!(e.last_state(), "DELETED");
        assert_eq!(l.unfinished().count(), 0, "not polled any more");
        assert!(!l.running_for_key("k-j"));
        assert_eq!(l.clear_finished(), 0, "never dropped");
        assert_eq!(l.summary(), (0, 0, 0, 1));
        // A running word from an old copy does not resume the watch; an end word ends it.
        l.record_job(&job("j", "PENDING"), created + DAY + 10.0);
        assert_eq!(l.get("j").unwrap().phase, JobPhase::NoLongerWatched);
        let mut failed = l.clone();
        failed.record_job(&job("j", "FAILED"), created + DAY + 20.0);
        assert_eq!(failed.get("j").unwrap().phase, JobPhase::Failed);
        // The key may still show it done.
        let mut l = ledger_with("j", Operation::Delete, &[("DELETED", created + DAY)]);
        assert!(l.get("j").unwrap().awaits_key());
        assert!(l.set_verification_at("j", Verification::Confirmed, created + DAY + 1.0));
        assert_eq!(
            l.get("j").unwrap().status_label(),
            "succeeded (inferred from the key)"
        );
        // A known running word is polled on, however old.
        let l = ledger_with(
            "j",
            Operation::Delete,
            &[("IN_PROGRESS", created + 2.0 * DAY)],
        );
        assert_eq!(l.get("j").unwrap().phase, JobPhase::Running);
    }

    #[test]
    fn the_last_error_is_kept_and_is_not_a_change_of_the_job() {
        let mut l = one_job_ledger();
        let before = l.get("j").unwrap().last_change_ms;
        assert!(l.record_error("j", error(2000.0, "r1")));
        assert!(
            !l.record_error("j", error(2000.0, "r1")),
            "the same error again"
        );
        assert!(
            !l.record_error("j", error(1500.0, "r0")),
            "an older one does not replace it"
        );
        assert!(l.record_error("j", error(3000.0, "r2")));
        assert!(!l.record_error("nope", error(4000.0, "r3")));
        let e = l.get("j").unwrap();
        let last = e.last_error.as_ref().unwrap();
        assert_eq!(
            (last.name.as_deref(), last.request_id.as_deref()),
            (Some("NCERRInternalServerError"), Some("r2"))
        );
        assert_eq!(e.last_change_ms, before);
        assert_eq!(e.phase, JobPhase::Running);
    }
}
