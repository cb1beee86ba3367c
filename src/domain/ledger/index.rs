//! Where each job is in the ledger's entries, so that a tick's lookups in a year of jobs are
//! not scans. Built when first needed, shared by the ledger's copies, dropped when positions
//! change; a position is checked before it is trusted.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::LedgerEntry;

#[derive(Clone, Default)]
pub(super) struct JobIndex(OnceCell<Rc<HashMap<String, usize>>>);

impl std::fmt::Debug for JobIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobIndex")
    }
}

impl JobIndex {
    /// The position of `job_id` in `entries`. An index built for other entries (its size
    /// differs, or the position holds another job) falls back to a scan.
    pub(super) fn position(&self, entries: &[Rc<LedgerEntry>], job_id: &str) -> Option<usize> {
        let map = self.0.get_or_init(|| {
            Rc::new(
                entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.job_id.clone(), i))
                    .collect(),
            )
        });
        match map.get(job_id) {
            Some(&i) if entries.get(i).is_some_and(|e| e.job_id == job_id) => Some(i),
            None if map.len() == entries.len() => None,
            _ => entries.iter().position(|e| e.job_id == job_id),
        }
    }

    /// Positions changed: the next lookup builds the index again.
    pub(super) fn reset(&mut self) {
        self.0 = OnceCell::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::fixtures::entry;

    fn entries(ids: &[&str]) -> Vec<Rc<LedgerEntry>> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| Rc::new(entry(id, "k", i as f64)))
            .collect()
    }

    #[test]
    fn finds_each_job_and_nothing_else() {
        let e = entries(&["a", "b", "c"]);
        let ix = JobIndex::default();
        assert_eq!(ix.position(&e, "b"), Some(1));
        assert_eq!(ix.position(&e, "c"), Some(2));
        assert_eq!(ix.position(&e, "z"), None);
    }

    #[test]
    fn an_index_of_other_entries_is_not_trusted() {
        let mut e = entries(&["a", "b", "c"]);
        let ix = JobIndex::default();
        assert_eq!(ix.position(&e, "a"), Some(0));
        e.reverse();
        assert_eq!(ix.position(&e, "a"), Some(2));
        e.insert(0, Rc::new(entry("n", "k", 9.0)));
        assert_eq!(ix.position(&e, "n"), Some(0));
        e.truncate(1);
        assert_eq!(ix.position(&e, "a"), None);
    }

    #[test]
    fn copies_share_the_index_until_one_resets_it() {
        let e = entries(&["a", "b"]);
        let ix = JobIndex::default();
        assert_eq!(ix.position(&e, "b"), Some(1));
        let copy = ix.clone();
        assert!(Rc::ptr_eq(
            copy.0.get().expect("built"),
            ix.0.get().expect("built")
        ));
        let mut reset = copy;
        reset.reset();
        assert!(reset.0.get().is_none());
    }
}
