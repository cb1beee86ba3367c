//! The job list's batches and filter counts kept from one version of the ledger to the next:
//! when a tick only changed jobs in place (the usual case: polls, other tabs' results), only the
//! batches holding a changed job are counted again, and the filter counts move by the changed
//! jobs alone. Anything else (a job added, removed or moved, a batch or link that changed)
//! reads everything again.

use std::rc::Rc;

use super::filter::{filter_counts, FilterCounts, JobFilter};
use super::{batches, Batches, Counts};
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

/// Where `next` differs from `prev` by jobs changed in place: their positions. `None` when jobs
/// were added, removed or reordered, or a changed job's batch or link is not what it was.
pub fn changed_in_place<E: AsRef<LedgerEntry>>(prev: &[E], next: &[E]) -> Option<Vec<usize>> {
    if prev.len() != next.len() {
        return None;
    }
    let mut changed = Vec::new();
    for (i, (p, n)) in prev.iter().zip(next).enumerate() {
        let (p, n) = (p.as_ref(), n.as_ref());
        if std::ptr::eq(p, n) {
            continue;
        }
        if p.job_id != n.job_id || p.batch_id() != n.batch_id() || p.link != n.link {
            return None;
        }
        changed.push(i);
    }
    Some(changed)
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
        let changed = changed_in_place(&self.entries, entries);
        let same_filter = self.filter == *filter;
        self.batches = match &changed {
            Some(c) if c.is_empty() => self.batches.clone(),
            Some(c) => Rc::new(recount(&self.batches, entries, c)),
            None => Rc::new(batches(entries)),
        };
        self.counts = match &changed {
            Some(c) if same_filter => {
                let before: Vec<&LedgerEntry> =
                    c.iter().map(|&i| self.entries[i].as_ref()).collect();
                let after: Vec<&LedgerEntry> = c.iter().map(|&i| entries[i].as_ref()).collect();
                self.counts
                    .minus(&filter_counts(&before, filter))
                    .plus(&filter_counts(&after, filter))
            }
            _ => filter_counts(entries, filter),
        };
        self.entries = entries.clone();
        self.filter = filter.clone();
        (self.batches.clone(), self.counts)
    }
}

/// `old` with the batches holding a job at a `changed` position counted again from `entries`.
fn recount<E: AsRef<LedgerEntry>>(old: &Batches, entries: &[E], changed: &[usize]) -> Batches {
    let mut owner = vec![0u32; entries.len()];
    for (b, batch) in old.list.iter().enumerate() {
        for &j in old.jobs(batch) {
            if let Some(o) = owner.get_mut(j) {
                *o = b as u32;
            }
        }
    }
    let mut dirty: Vec<usize> = changed
        .iter()
        .filter_map(|&i| owner.get(i).map(|&b| b as usize))
        .collect();
    dirty.sort_unstable();
    dirty.dedup();
    let mut out = old.clone();
    for b in dirty {
        let (mut counts, mut created_ms) = (Counts::default(), f64::INFINITY);
        for e in old
            .list
            .get(b)
            .map_or(&[][..], |x| old.jobs(x))
            .iter()
            .filter_map(|&j| entries.get(j))
        {
            let e = e.as_ref();
            counts.add(e);
            created_ms = created_ms.min(e.created_ms);
        }
        if let Some(batch) = out.list.get_mut(b) {
            batch.counts = counts;
            batch.created_ms = created_ms;
        }
    }
    out
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

    #[test]
    fn a_job_moved_or_given_another_batch_reads_everything_again() {
        let l = ledger();
        let mut moved = l.entries.clone();
        moved.swap(0, 1);
        assert_eq!(changed_in_place(&l.entries, &moved), None);
        let mut rebatched = l.entries.clone();
        rebatched[3] = Rc::new(LedgerEntry::clone(&rebatched[3]).in_batch("other", None));
        assert_eq!(changed_in_place(&l.entries, &rebatched), None);
        let mut same_place = l.entries.clone();
        same_place[3] = Rc::new(LedgerEntry::clone(&same_place[3]));
        assert_eq!(changed_in_place(&l.entries, &same_place), Some(vec![3]));
        assert_eq!(changed_in_place(&l.entries, &l.entries[1..]), None);
    }
}
