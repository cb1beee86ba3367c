//! Merging copies of the ledger (other tabs, storage): a join, with tombstones for cleared jobs.

use std::cmp::Ordering;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::api::lenient;

use super::entry::{sort_states, states_sorted};
use super::{cmp_entries, Ledger, LedgerEntry};
use crate::domain::order::sort_dyn;

/// At most this many tombstones of cleared jobs are kept (the newest jobs' ones).
pub(crate) const MAX_TOMBSTONES: usize = 5000;

/// A cleared job, remembered so that merging an older copy does not bring it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub created_ms: f64,
}

impl Ledger {
    /// Union with another copy (another tab, or storage). Commutative, associative, idempotent
    /// (while fewer than [`MAX_TOMBSTONES`] jobs were cleared). Returns whether `self` changed.
    pub fn merge(&mut self, other: &Ledger) -> bool {
        match self.merge_known(other) {
            Some(changed) => changed,
            None => self.merge_all(other),
        }
    }

    /// The general merge: every entry of both, re-normalised.
    fn merge_all(&mut self, other: &Ledger) -> bool {
        let before = self.clone();
        self.entries.extend(other.entries.iter().cloned());
        self.cleared.extend(other.cleared.iter().cloned());
        self.normalize();
        self.cleared != before.cleared
            || self.entries.len() != before.entries.len()
            || self
                .entries
                .iter()
                .zip(&before.entries)
                .any(|(a, b)| !Rc::ptr_eq(a, b) && **a != **b)
    }

    /// [`Ledger::merge`] when `other` only updates jobs this ledger already holds and brings no
    /// new tombstone (another tab's poll results): joins entry by entry, without re-sorting the
    /// whole ledger. `None` when the full merge is needed; `self` is then untouched.
    fn merge_known(&mut self, other: &Ledger) -> Option<bool> {
        let known_tombstones = other.cleared.iter().all(|t| {
            self.cleared
                .binary_search_by(|c| c.job_id.cmp(&t.job_id))
                .is_ok_and(|i| self.cleared[i] == *t)
        });
        if !known_tombstones {
            return None;
        }
        let mut updates: Vec<(usize, Rc<LedgerEntry>)> = Vec::new();
        for theirs in &other.entries {
            if self
                .cleared
                .binary_search_by(|c| c.job_id.cmp(&theirs.job_id))
                .is_ok()
            {
                continue;
            }
            let i = self.position(&theirs.job_id)?;
            let ours = updates
                .iter()
                .rev()
                .find(|(j, _)| *j == i)
                .map_or(&self.entries[i], |(_, e)| e);
            if Rc::ptr_eq(ours, theirs) || **ours == **theirs {
                continue;
            }
            let mut joined = (**ours).clone();
            joined.join(theirs);
            if joined != **ours {
                updates.push((i, Rc::new(joined)));
            }
        }
        let changed = !updates.is_empty();
        let mut resort = false;
        for (i, e) in updates {
            resort |= e.created_ms.total_cmp(&self.entries[i].created_ms) != Ordering::Equal;
            self.entries[i] = e;
        }
        if resort {
            sort_dyn(&mut self.entries, &|a, b| cmp_entries(a, b));
            self.moved();
        }
        Some(changed)
    }

    /// Canonical form: one entry per job, states sorted, newest first, tombstones applied.
    pub(super) fn normalize(&mut self) {
        sort_dyn(&mut self.cleared, &|a, b| {
            a.job_id
                .cmp(&b.job_id)
                .then(a.created_ms.total_cmp(&b.created_ms))
        });
        self.cleared.dedup_by(|a, b| a.job_id == b.job_id);
        if self.cleared.len() > MAX_TOMBSTONES {
            sort_dyn(&mut self.cleared, &|a, b| {
                b.created_ms
                    .total_cmp(&a.created_ms)
                    .then_with(|| a.job_id.cmp(&b.job_id))
            });
            self.cleared.truncate(MAX_TOMBSTONES);
            sort_dyn(&mut self.cleared, &|a, b| a.job_id.cmp(&b.job_id));
        }
        let mut entries = std::mem::take(&mut self.entries);
        sort_dyn(&mut entries, &|a, b| a.job_id.cmp(&b.job_id));
        let mut merged: Vec<Rc<LedgerEntry>> = Vec::with_capacity(entries.len());
        for mut e in entries {
            if self
                .cleared
                .binary_search_by(|t| t.job_id.cmp(&e.job_id))
                .is_ok()
            {
                continue;
            }
            match merged.last_mut() {
                Some(last) if last.job_id == e.job_id => {
                    // Only a real difference makes a new entry; an equal copy keeps the old one.
                    if !Rc::ptr_eq(last, &e) && **last != *e {
                        let mut joined = (**last).clone();
                        joined.join(&e);
                        if joined != **last {
                            *last = Rc::new(joined);
                        }
                    }
                }
                _ => {
                    if !states_sorted(&e.states) {
                        sort_states(&mut Rc::make_mut(&mut e).states);
                    }
                    merged.push(e);
                }
            }
        }
        sort_dyn(&mut merged, &|a, b| cmp_entries(a, b));
        self.entries = merged;
        self.moved();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::Operation;
    use crate::domain::job_state::JobPhase;
    use crate::domain::key_ref::KeyRef;
    use crate::domain::ledger::fixtures::*;
    use crate::domain::ledger::Verification;

    #[test]
    fn cleared_jobs_do_not_come_back_from_an_older_copy() {
        let mut tab1 = Ledger::new();
        tab1.add(entry("a", "ka", 10.0));
        tab1.record_job(&job("a", "COMPLETED"), 20.0);
        let tab2 = tab1.clone();
        tab1.clear_finished();
        assert!(!tab1.merge(&tab2));
        assert!(tab1.get("a").is_none());
        let mut tab2b = tab2.clone();
        assert!(tab2b.merge(&tab1));
        assert!(tab2b.get("a").is_none());
        assert_eq!(tab1, tab2b);
    }

    #[test]
    fn tombstones_are_bounded_keeping_the_newest() {
        let mut l = Ledger::new();
        for i in 0..(MAX_TOMBSTONES + 10) {
            let id = format!("j{i:05}");
            l.add(entry(&id, "k", i as f64));
            l.record_job(&job(&id, "DONE"), i as f64 + 1.0);
        }
        assert_eq!(l.clear_finished(), MAX_TOMBSTONES + 10);
        assert_eq!(l.cleared.len(), MAX_TOMBSTONES);
        assert!(l.cleared.iter().all(|t| t.created_ms >= 10.0));
    }

    #[test]
    fn merge_is_idempotent() {
        for l in sample_ledgers() {
            let mut m = l.clone();
            assert!(!m.merge(&l));
            assert_eq!(m, l);
        }
    }

    #[test]
    fn merge_is_commutative() {
        let ls = sample_ledgers();
        for x in &ls {
            for y in &ls {
                assert_eq!(merged(x, y), merged(y, x));
            }
        }
    }

    #[test]
    fn merge_is_associative() {
        let ls = sample_ledgers();
        for x in &ls {
            for y in &ls {
                for z in &ls {
                    assert_eq!(merged(&merged(x, y), z), merged(x, &merged(y, z)));
                }
            }
        }
    }

    #[test]
    fn merge_all_orders_agree() {
        let ls = sample_ledgers();
        let reference = ls.iter().fold(Ledger::new(), |acc, l| merged(&acc, l));
        // Every rotation and the reverse order.
        for start in 0..ls.len() {
            let mut acc = Ledger::new();
            for i in 0..ls.len() {
                acc.merge(&ls[(start + i) % ls.len()]);
            }
            assert_eq!(acc, reference);
        }
        let rev = ls
            .iter()
            .rev()
            .fold(Ledger::new(), |acc, l| merged(&acc, l));
        assert_eq!(rev, reference);
    }

    /// Another tab's delta (some of its entries, maybe out of order) merges by the fast path
    /// exactly as by the full one.
    #[test]
    fn merging_known_jobs_agrees_with_the_full_merge() {
        let ls = sample_ledgers();
        let all = ls.iter().fold(Ledger::new(), |acc, l| merged(&acc, l));
        let mut fast_taken = 0;
        for x in &ls {
            for y in ls.iter().chain([&all]) {
                let mut deltas: Vec<Ledger> = y
                    .entries
                    .iter()
                    .map(|e| Ledger::from_parts(vec![e.clone()], y.cleared.clone()))
                    .collect();
                let mut reversed = y.clone();
                reversed.entries.reverse();
                if let Some(e) = reversed.entries.first_mut() {
                    Rc::make_mut(e).states.reverse();
                }
                deltas.push(reversed);
                for d in &deltas {
                    let mut fast = merged(x, y);
                    let mut full = fast.clone();
                    let known = fast.clone().merge_known(d).is_some();
                    fast_taken += usize::from(known);
                    assert_eq!(fast.merge(d), full.merge_all(d));
                    assert_eq!(fast, full);
                    let (mut fast, mut full) = (x.clone(), x.clone());
                    assert_eq!(fast.merge(d), full.merge_all(d));
                    assert_eq!(fast, full);
                }
            }
        }
        assert!(
            fast_taken > 20,
            "the fast path was taken {fast_taken} times"
        );
    }

    #[test]
    fn merge_outcome() {
        let ls = sample_ledgers();
        let all = ls.iter().fold(Ledger::new(), |acc, l| merged(&acc, l));
        // j4 was cleared in c: stays cleared.
        assert!(all.get("j4").is_none());
        // j1: the terminal phase wins; states are the union; the later verification wins.
        let j1 = all.get("j1").unwrap();
        assert_eq!(j1.phase, JobPhase::Succeeded);
        assert_eq!(j1.verification, Verification::Confirmed);
        assert_eq!(j1.verified_ms, Some(2300.0));
        let at: Vec<_> = j1.states.iter().map(|s| s.at_ms).collect();
        assert_eq!(at, [100.0, 1100.0, 1200.0, 2100.0, 2200.0]);
        assert_eq!(j1.last_polled_ms, Some(2200.0));
        // j2: unknown to manager loses to a real failure seen elsewhere.
        assert_eq!(all.get("j2").unwrap().phase, JobPhase::Failed);
        // j5: the earliest creation time is kept.
        let j5 = all.get("j5").unwrap();
        assert_eq!(j5.created_ms, 450.0);
        assert!(j5.delete_if_backup_fails);
        assert_eq!(j5.group.as_deref(), Some("payroll"));
        // Newest first.
        let ids: Vec<_> = all.entries.iter().map(|e| e.job_id.as_str()).collect();
        assert_eq!(ids, ["j7", "j6", "j5", "j3", "j2", "j1"]);
        // Batches: one tab's id is kept when the other had none; of two links, the same in
        // every tab.
        assert_eq!(all.get("j6").unwrap().batch_id(), "b-1");
        let j7 = all.get("j7").unwrap();
        assert_eq!(j7.batch_id(), "b-3");
        assert_eq!(
            j7.link,
            Some(link(crate::domain::ledger::LinkKind::Undo, "b-0"))
        );
    }

    #[test]
    fn unknown_to_manager_beats_running_in_merge() {
        let mut a = Ledger::new();
        a.add(entry("j", "k", 1.0));
        let mut b = a.clone();
        b.mark_unknown_to_manager("j", 5.0);
        assert!(a.merge(&b));
        assert_eq!(a.get("j").unwrap().phase, JobPhase::UnknownToManager);
    }

    #[test]
    fn out_of_order_clock_keeps_states_sorted() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 1000.0));
        l.record_job(&job("j1", "IN_PROGRESS"), 500.0);
        let at: Vec<_> = l
            .get("j1")
            .unwrap()
            .states
            .iter()
            .map(|s| s.at_ms)
            .collect();
        assert_eq!(at, [500.0, 1000.0]);
        let copy = l.clone();
        assert!(!l.merge(&copy));
    }

    fn ledger(n: usize) -> Ledger {
        let mut l = Ledger::new();
        for i in 0..n {
            let key = KeyRef {
                id: format!("k{i}"),
                name: format!("key-{i}"),
                group: None,
                sap_key_id: None,
            };
            l.add(LedgerEntry::started(
                &job(&format!("j{i:04}"), "PENDING"),
                &key,
                Operation::Delete,
                false,
                "admin",
                "o",
                i as f64,
            ));
        }
        l
    }

    /// The job list re-renders a row only when its entry's `Rc` changed: a change to one job
    /// must leave every other entry shared, through `record_job` and through `merge`.
    #[test]
    fn only_changed_entries_get_new_rcs() {
        let before = ledger(50);
        let mut after = before.clone();
        assert!(after.record_job(&job("j0007", "COMPLETED"), 100.0));
        let fresh: Vec<&str> = after
            .entries
            .iter()
            .filter(|e| !before.entries.iter().any(|b| Rc::ptr_eq(b, e)))
            .map(|e| e.job_id.as_str())
            .collect();
        assert_eq!(fresh, vec!["j0007"]);

        let mut merged = before.clone();
        let delta = Ledger::from_parts(
            vec![after
                .entries
                .iter()
                .find(|e| e.job_id == "j0007")
                .unwrap()
                .clone()],
            vec![],
        );
        assert!(merged.merge(&delta));
        let fresh = merged
            .entries
            .iter()
            .filter(|e| !before.entries.iter().any(|b| Rc::ptr_eq(b, e)))
            .count();
        assert_eq!(fresh, 1, "merging a one-job delta changes one entry");
        assert!(
            !merged.clone().merge(&delta),
            "merging it again changes nothing"
        );
        assert_eq!(
            merged.get("j0007").map(|e| e.phase),
            Some(JobPhase::Succeeded)
        );
    }

    #[test]
    fn merge_stays_a_join() {
        let ls = unrecognised_samples();
        for x in &ls {
            let mut m = x.clone();
            assert!(!m.merge(x), "idempotent");
            for y in &ls {
                assert_eq!(merged(x, y), merged(y, x), "commutative");
                for z in &ls {
                    assert_eq!(
                        merged(&merged(x, y), z),
                        merged(x, &merged(y, z)),
                        "associative"
                    );
                }
            }
        }
        let phase = |l: &Ledger| l.get("j").map(|e| (e.phase, e.inferred));
        let [_, inferred, said, unwatched, _, failed, _] = &ls[..] else {
            unreachable!()
        };
        assert_eq!(
            phase(&merged(inferred, unwatched)),
            Some((JobPhase::Succeeded, true))
        );
        assert_eq!(
            phase(&merged(inferred, said)),
            Some((JobPhase::Succeeded, false)),
            "the manager's word beats an inference"
        );
        assert_eq!(
            phase(&merged(inferred, failed)),
            Some((JobPhase::Failed, false))
        );
        assert_eq!(
            phase(&merged(&ls[6], unwatched)),
            Some((JobPhase::NoLongerWatched, false))
        );
    }

    #[test]
    fn merged_in_any_order_the_later_error_wins() {
        let (mut a, mut b) = (one_job_ledger(), one_job_ledger());
        a.record_error("j", error(2000.0, "ra"));
        b.record_error("j", error(3000.0, "rb"));
        let none = one_job_ledger();
        for (x, y) in [(&a, &b), (&b, &a), (&a, &none), (&none, &b)] {
            let mut m = x.clone();
            m.merge(y);
            let mut n = y.clone();
            n.merge(x);
            assert_eq!(m, n);
        }
        let mut m = a.clone();
        m.merge(&b);
        assert_eq!(
            m.get("j")
                .unwrap()
                .last_error
                .as_ref()
                .and_then(|e| e.request_id.as_deref()),
            Some("rb")
        );
        let mut m = none.clone();
        m.merge(&a);
        assert_eq!(
            m.get("j")
                .unwrap()
                .last_error
                .as_ref()
                .and_then(|e| e.request_id.as_deref()),
            Some("ra")
        );
    }
}
