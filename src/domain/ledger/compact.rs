//! What the stored ledger keeps at a year's scale: which entries are unfinished (saved first, in
//! their own transaction, never given up to make room) and which old ones may drop their raw job
//! JSON (never their id, key, outcome or times).

use std::rc::Rc;

use super::{Ledger, LedgerEntry, Verification};
use crate::domain::job_state::JobPhase;

/// The newest this many entries keep their raw job JSON in storage. About two weeks of a
/// custodian's year (50,000 jobs ≈ 1,000 a week): the jobs anyone still opens to read the
/// manager's answer. A stored entry with its raw JSON weighs about three times one without, so
/// 48,000 compacted entries plus 2,000 whole ones take about a third of the uncompacted year.
pub const KEEP_RAW_NEWEST: usize = 2_000;

impl LedgerEntry {
    /// Running, or ended but its key not re-read yet (or no longer watched): never given up.
    pub(crate) fn is_unfinished(&self) -> bool {
        !matches!(
            self.phase,
            JobPhase::Succeeded | JobPhase::Failed | JobPhase::UnknownToManager
        ) || !self.verification.is_set()
    }

    /// Ended, its key re-read and found as expected, and still carrying raw job JSON. A drift
    /// or an unavailable re-read keeps its raw JSON: that is the job someone will look into.
    pub(crate) fn is_compactable(&self) -> bool {
        !self.is_unfinished()
            && self.verification == Verification::Confirmed
            && self.last_job.is_some()
    }

    /// This entry without its raw job JSON; every other field as it is.
    pub(crate) fn compacted(&self) -> LedgerEntry {
        LedgerEntry {
            last_job: None,
            ..self.clone()
        }
    }
}

/// `entry` as it should be stored at `rank` (0 = newest): compacted past the newest `keep`.
pub(crate) fn stored_form(entry: &Rc<LedgerEntry>, rank: usize, keep: usize) -> Rc<LedgerEntry> {
    if rank >= keep && entry.is_compactable() {
        Rc::new(entry.compacted())
    } else {
        entry.clone()
    }
}

impl Ledger {
    /// Drops the raw job JSON of the entries past the newest `keep` that may lose it, in place
    /// (no entry moves); returns those entries as they now are, to be stored.
    pub fn compact_past(&mut self, keep: usize) -> Vec<Rc<LedgerEntry>> {
        let mut out = Vec::new();
        for e in self.entries.iter_mut().skip(keep) {
            if e.is_compactable() {
                *e = Rc::new(e.compacted());
                out.push(e.clone());
            }
        }
        out
    }
}

/// The compacted copies of the entries past the newest `keep` that still carry raw JSON.
pub(crate) fn to_compact(ledger: &Ledger, keep: usize) -> Vec<Rc<LedgerEntry>> {
    ledger
        .entries
        .iter()
        .skip(keep)
        .filter(|e| e.is_compactable())
        .map(|e| Rc::new(e.compacted()))
        .collect()
}

/// Changed entries split for saving: the unfinished first (their own transaction), then the
/// ended ones, each in its stored form for its rank in `ledger`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SavePlan {
    pub unfinished: Vec<Rc<LedgerEntry>>,
    pub ended: Vec<Rc<LedgerEntry>>,
}

impl SavePlan {
    /// The plan for the entries of `ledger` at these positions (ranks), in their order.
    pub(crate) fn at(ledger: &Ledger, keep: usize, ranks: &[usize]) -> SavePlan {
        let mut plan = SavePlan::default();
        for &rank in ranks {
            let Some(e) = ledger.entries.get(rank) else {
                continue;
            };
            if e.is_unfinished() {
                plan.unfinished.push(e.clone());
            } else {
                plan.ended.push(stored_form(e, rank, keep));
            }
        }
        plan
    }
}

/// Entries compacted to make room after a refused write: every compactable one, whatever its
/// rank (the unfinished and the unconfirmed are never touched).
pub(crate) fn to_compact_for_room(ledger: &Ledger) -> Vec<Rc<LedgerEntry>> {
    to_compact(ledger, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::parse_job;
    use crate::domain::ledger::fixtures::entry;

    fn ended(id: &str, t: f64, v: Verification, phase: &str) -> LedgerEntry {
        let mut e = entry(id, "k", t);
        let job =
            parse_job(&format!(r#"{{"id":"{id}","state":"{phase}","big":"raw"}}"#)).expect("a job");
        e.record(&job, t + 1.0);
        e.verification = v;
        e
    }

    fn mixed() -> Ledger {
        let mut l = Ledger::new();
        l.add(entry("run", "k", 10.0));
        l.add(ended("ok-old", 1.0, Verification::Confirmed, "COMPLETED"));
        l.add(ended("ok-new", 9.0, Verification::Confirmed, "COMPLETED"));
        l.add(ended("failed-old", 2.0, Verification::Confirmed, "FAILED"));
        l.add(ended("unverified", 3.0, Verification::NotYet, "COMPLETED"));
        let drift = Verification::Drift {
            expected_gone: true,
            actual_gone: Some(false),
        };
        l.add(ended("drift", 4.0, drift, "COMPLETED"));
        l.add(ended(
            "unavailable",
            5.0,
            Verification::Unavailable("503".into()),
            "COMPLETED",
        ));
        l
    }

    #[test]
    fn unfinished_is_running_or_not_yet_verified() {
        let l = mixed();
        let unfinished: Vec<&str> = l
            .entries
            .iter()
            .filter(|e| e.is_unfinished())
            .map(|e| e.job_id.as_str())
            .collect();
        assert_eq!(unfinished, vec!["run", "unverified"]);
        let mut gone = entry("lost", "k", 1.0);
        gone.phase = JobPhase::NoLongerWatched;
        assert!(gone.is_unfinished());
        gone.phase = JobPhase::UnknownToManager;
        assert!(gone.is_unfinished(), "its key is not re-read yet");
        gone.verification = Verification::Confirmed;
        assert!(!gone.is_unfinished());
    }

    #[test]
    fn only_confirmed_ended_jobs_with_raw_json_compact() {
        let l = mixed();
        let ids: Vec<&str> = l
            .entries
            .iter()
            .filter(|e| e.is_compactable())
            .map(|e| e.job_id.as_str())
            .collect();
        assert_eq!(ids, vec!["ok-new", "failed-old", "ok-old"]);
        for e in &l.entries {
            if e.is_compactable() {
                assert!(e.last_job.is_some());
                let c = e.compacted();
                assert!(c.last_job.is_none() && !c.is_compactable());
                assert_eq!(
                    (&c.job_id, &c.id, c.phase, &c.verification, &c.states),
                    (&e.job_id, &e.id, e.phase, &e.verification, &e.states)
                );
                assert_eq!(
                    (c.created_ms, c.last_change_ms, c.verified_ms),
                    (e.created_ms, e.last_change_ms, e.verified_ms)
                );
            }
        }
    }

    #[test]
    fn past_the_newest_n_the_stored_form_drops_raw_json() {
        let l = mixed();
        // Newest first: run(10), ok-new(9), unavailable(5), drift(4), unverified(3),
        // failed-old(2), ok-old(1).
        let compacted: Vec<String> = to_compact(&l, 2).iter().map(|e| e.job_id.clone()).collect();
        assert_eq!(compacted, vec!["failed-old", "ok-old"]);
        assert!(to_compact(&l, 7).is_empty());
        assert_eq!(to_compact_for_room(&l).len(), 3);
        let plan = SavePlan::at(&l, 2, &(0..l.entries.len()).collect::<Vec<_>>());
        let ids = |v: &[Rc<LedgerEntry>]| v.iter().map(|e| e.job_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&plan.unfinished), vec!["run", "unverified"]);
        assert_eq!(
            ids(&plan.ended),
            vec!["ok-new", "unavailable", "drift", "failed-old", "ok-old"]
        );
        let raw: Vec<bool> = plan.ended.iter().map(|e| e.last_job.is_some()).collect();
        assert_eq!(raw, vec![true, true, true, false, false]);
        assert!(plan.unfinished.iter().all(|e| e.last_job.is_some()));
        let only_run = SavePlan::at(&l, 2, &[0]);
        assert_eq!(ids(&only_run.unfinished), vec!["run"]);
        assert!(only_run.ended.is_empty());
        assert_eq!(SavePlan::at(&l, 2, &[]), SavePlan::default());
        assert_eq!(SavePlan::at(&l, 2, &[99]), SavePlan::default());
    }

    #[test]
    fn a_compacted_copy_reads_back_and_merges_without_loss() {
        let l = mixed();
        let mut stored = Ledger::new();
        for e in to_compact(&l, 0) {
            stored.add((*e).clone());
        }
        let back = Ledger::from_json(&stored.to_json()).expect("reads");
        assert_eq!(back, stored);
        let mut merged = back.clone();
        merged.merge(&l);
        for e in &l.entries {
            assert_eq!(merged.get(&e.job_id), Some(&**e), "the raw JSON comes back");
        }
    }
}
