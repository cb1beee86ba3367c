//! The job list's batches and filter counts kept from one version of the ledger to the next:
//! when a tick only changed jobs in place (the usual case: polls, other tabs' results), only the
//! batches holding a changed job are counted again, and the filter counts move by the changed
//! jobs alone. Anything else (a job added, removed or moved, a batch or link that changed)
//! reads everything again.

use std::rc::Rc;

use super::filter::{filter_counts, FilterCounts, JobFilter};
use super::{batches, Batches};
use crate::domain::ledger::LedgerEntry;

/// The batches and counts of the entries last read.
#[derive(Debug)]
pub struct BatchCache<E> {
    entries: Rc<Vec<E>>,
    filter: JobFilter,
    batches: Rc<Batches>,
    counts: FilterCounts,
}

impl<E> Default for BatchCache<E> {
    fn default() -> Self {
        BatchCache {
            entries: Rc::default(),
            filter: JobFilter::default(),
            batches: Rc::default(),
            counts: FilterCounts::default(),
        }
    }
}

impl<E: AsRef<LedgerEntry>> BatchCache<E> {
    /// The batches (newest first) and the filter counts of `entries`.
    pub fn update(
        &mut self,
        entries: &Rc<Vec<E>>,
        filter: &JobFilter,
    ) -> (Rc<Batches>, FilterCounts) {
        if Rc::ptr_eq(&self.entries, entries) && self.filter == *filter {
            return (self.batches.clone(), self.counts);
        }
        let mut batches_now = (*self.batches).clone();
        let same = |a: &E, b: &E| std::ptr::eq(a.as_ref(), b.as_ref());
        match batches_now.refresh(&self.entries, entries, same) {
            Some(changed) => {
                if self.filter == *filter {
                    for (before, after) in changed {
                        self.counts.changed(filter, before, after);
                    }
                } else {
                    self.counts = filter_counts(entries, filter);
                }
                self.batches = Rc::new(batches_now);
            }
            None => {
                self.batches = Rc::new(batches(entries));
                self.counts = filter_counts(entries, filter);
            }
        }
        self.entries = entries.clone();
        self.filter = filter.clone();
        (self.batches.clone(), self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::{Job, Operation};
    use crate::domain::batch::PhaseFilter;
    use crate::domain::key_ref::KeyRef;
    use crate::domain::ledger::{BatchLink, Ledger, LinkKind, Verification};

    fn job(id: &str, state: &str) -> Job {
        Job {
            id: id.into(),
            state: state.into(),
            ..Default::default()
        }
    }

    /// 60 jobs in batches of 6 (every third batch a retry of the one before), newest first.
    fn ledger() -> Ledger {
        let mut l = Ledger::new();
        for i in 0..60 {
            let key = KeyRef {
                id: format!("k{i}"),
                name: format!("key-{i}"),
                group: None,
                sap_key_id: None,
            };
            let b = i / 6;
            let link = (b % 3 == 2).then(|| BatchLink {
                kind: LinkKind::Retry,
                of: format!("B{}", b - 1),
            });
            let e = LedgerEntry::started(
                &job(&format!("j{i:02}"), "PENDING"),
                &key,
                Operation::Delete,
                false,
                "alice",
                "o",
                i as f64,
            )
            .in_batch(&format!("B{b}"), link);
            l.add(e);
        }
        l
    }

    fn rows(l: &Ledger) -> Rc<Vec<Rc<LedgerEntry>>> {
        Rc::new(l.entries.clone())
    }

    fn full(l: &Ledger, f: &JobFilter) -> (Batches, FilterCounts) {
        (batches(&l.entries), filter_counts(&l.entries, f))
    }

    fn same(got: &(Rc<Batches>, FilterCounts), want: &(Batches, FilterCounts)) -> bool {
        *got.0 == want.0 && got.1 == want.1
    }

    #[test]
    fn a_tick_recounts_only_the_batches_it_touched() {
        let mut l = ledger();
        let mut cache = BatchCache::default();
        let f = JobFilter::default();
        let before = cache.update(&rows(&l), &f);
        assert!(same(&before, &full(&l, &f)));
        l.record_job(&job("j07", "COMPLETED"), 100.0);
        l.record_job(&job("j08", "FAILED"), 100.0);
        let after = cache.update(&rows(&l), &f);
        assert!(same(&after, &full(&l, &f)));
        let touched: Vec<bool> = before
            .0
            .list
            .iter()
            .zip(after.0.list.iter())
            .map(|(a, b)| a != b)
            .collect();
        assert_eq!(touched.iter().filter(|t| **t).count(), 1, "{touched:?}");
        let b1 = after
            .0
            .list
            .iter()
            .find(|b| b.id(&l.entries) == "B1")
            .expect("B1");
        assert_eq!((b1.counts.succeeded, b1.counts.failed), (1, 1));
        assert_eq!(after.1.of_phase(PhaseFilter::Running), 58);
    }

    #[test]
    fn every_kind_of_change_gives_what_a_full_read_gives() {
        let mut l = ledger();
        let mut cache = BatchCache::default();
        let filters = [
            JobFilter::default(),
            JobFilter {
                phase: Some(PhaseFilter::Failed),
                ..JobFilter::default()
            },
            JobFilter {
                search: "key-1".into(),
                operation: Some(Operation::Delete),
                ..JobFilter::default()
            },
        ];
        for step in 0..40 {
            let f = &filters[step % filters.len()];
            match step % 5 {
                0 => {
                    l.record_job(
                        &job(&format!("j{:02}", step), "COMPLETED"),
                        200.0 + step as f64,
                    );
                }
                1 => {
                    l.set_verification_at(
                        &format!("j{:02}", step - 1),
                        Verification::Drift {
                            expected_gone: true,
                            actual_gone: Some(false),
                        },
                        300.0 + step as f64,
                    );
                }
                2 => {
                    let key = KeyRef {
                        id: format!("new{step}"),
                        name: format!("new-{step}"),
                        group: None,
                        sap_key_id: None,
                    };
                    l.add(
                        LedgerEntry::started(
                            &job(&format!("n{step}"), "PENDING"),
                            &key,
                            Operation::Restore,
                            false,
                            "bob",
                            "o",
                            1000.0 + step as f64,
                        )
                        .in_batch(
                            "U",
                            Some(BatchLink {
                                kind: LinkKind::Undo,
                                of: "B0".into(),
                            }),
                        ),
                    );
                }
                3 => {
                    l.record_job(&job(&format!("j{:02}", 59 - step), "FAILED"), 400.0);
                }
                _ => {
                    l.clear_finished();
                }
            }
            let got = cache.update(&rows(&l), f);
            assert!(same(&got, &full(&l, f)), "step {step}");
        }
    }
}
