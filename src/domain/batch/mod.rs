//! Batches: the jobs of one submission as the job list shows them, their counts, and the links
//! between them (a retry of one, an undo of another), read from the ledger in one pass.

mod cache;
mod filter;
mod followup;
#[cfg(test)]
mod followup_tests;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use crate::api::jobs::Operation;
use crate::domain::job_state::JobPhase;
use crate::domain::ledger::{BatchLink, LedgerEntry, LinkKind};

pub use cache::BatchCache;
pub use filter::{filter_counts, FilterCounts, JobFilter, PhaseFilter};
pub use followup::{reread_plan, Followup};

/// Jobs counted by what became of them. `drift` overlaps the others (a job that ended but
/// whose key did not change as it should).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub running: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// Unknown to the manager, or no longer watched.
    pub unknown: usize,
    pub drift: usize,
}

impl Counts {
    fn add(&mut self, e: &LedgerEntry) {
        self.tally(e, true);
    }

    /// Counts `e` in (`add`) or out.
    fn tally(&mut self, e: &LedgerEntry, add: bool) {
        let slot = match e.phase {
            JobPhase::Running => &mut self.running,
            JobPhase::Succeeded => &mut self.succeeded,
            JobPhase::Failed => &mut self.failed,
            JobPhase::UnknownToManager | JobPhase::NoLongerWatched => &mut self.unknown,
        };
        *slot = if add {
            *slot + 1
        } else {
            slot.saturating_sub(1)
        };
        if e.is_drift() {
            self.drift = if add {
                self.drift + 1
            } else {
                self.drift.saturating_sub(1)
            };
        }
    }
}

/// The jobs of one submission: where they are in the entries it was read from, and what they
/// add up to. Its id, operation and user are those of its newest job ([`Batch::first`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Where its newest job is.
    pub first: usize,
    /// Its jobs in [`Batches::jobs`]'s order.
    start: usize,
    len: usize,
    pub counts: Counts,
    /// When its earliest job was created.
    pub created_ms: f64,
    /// The batch it retries or undoes.
    pub link: Option<BatchLink>,
    /// The batches that retry or undo it (their place in [`Batches::list`]), newest first.
    pub linked_by: Vec<(LinkKind, usize)>,
}

impl Batch {
    /// One job alone: the list shows it as a job, not as a folder.
    pub fn is_single(&self) -> bool {
        self.len == 1
    }

    /// How many jobs (one per key).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn newest<'a, E: AsRef<LedgerEntry>>(&self, entries: &'a [E]) -> Option<&'a LedgerEntry> {
        entries.get(self.first).map(AsRef::as_ref)
    }

    /// The submission's UUID, or for a job stored before batches existed its job id.
    pub fn id<'a, E: AsRef<LedgerEntry>>(&self, entries: &'a [E]) -> &'a str {
        self.newest(entries).map_or("", LedgerEntry::batch_id)
    }

    pub fn operation<E: AsRef<LedgerEntry>>(&self, entries: &[E]) -> Operation {
        self.newest(entries)
            .map_or(Operation::Delete, |e| e.operation)
    }

    /// Who started it.
    pub fn user<'a, E: AsRef<LedgerEntry>>(&self, entries: &'a [E]) -> &'a str {
        self.newest(entries).map_or("", |e| e.user.as_str())
    }
}

/// The batches of a ledger, newest first, and their jobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batches {
    pub list: Vec<Batch>,
    /// The jobs of every batch, batch after batch.
    order: Vec<usize>,
    /// The batch of every entry.
    of: Vec<usize>,
}

impl Batches {
    /// Where `b`'s jobs are in the entries, newest first.
    pub fn jobs(&self, b: &Batch) -> &[usize] {
        self.order.get(b.start..b.start + b.len).unwrap_or(&[])
    }

    /// Follows a change of the ledger in which jobs changed in place (the same jobs, in the same
    /// order, with the same batch, link, creation time, user and operation; a tick of the
    /// poller): `same` tells which did not change at all. Returns the jobs that changed, or
    /// `None` when the batches must be read again with [`batches`].
    pub fn refresh<'a, E: AsRef<LedgerEntry>>(
        &mut self,
        before: &'a [E],
        after: &'a [E],
        same: impl Fn(&E, &E) -> bool,
    ) -> Option<Vec<(&'a LedgerEntry, &'a LedgerEntry)>> {
        if before.len() != after.len() || self.of.len() != after.len() {
            return None;
        }
        let mut changed = Vec::new();
        for (i, (a, b)) in before.iter().zip(after).enumerate() {
            if same(a, b) {
                continue;
            }
            let (a, b) = (a.as_ref(), b.as_ref());
            let in_place = a.job_id == b.job_id
                && a.batch_id() == b.batch_id()
                && a.link == b.link
                && a.created_ms.total_cmp(&b.created_ms).is_eq()
                && a.user == b.user
                && a.operation == b.operation;
            if !in_place {
                return None;
            }
            changed.push((i, a, b));
        }
        for &(i, a, b) in &changed {
            let batch = self.list.get_mut(self.of[i])?;
            batch.counts.tally(a, false);
            batch.counts.tally(b, true);
        }
        Some(changed.into_iter().map(|(_, a, b)| (a, b)).collect())
    }

    /// The links of `b` in words: "retry of batch 1a2b3c4d", "undone by batch 5e6f7a8b".
    pub fn link_sentences<E: AsRef<LedgerEntry>>(&self, b: &Batch, entries: &[E]) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(l) = &b.link {
            let what = match l.kind {
                LinkKind::Retry => "retry of",
                LinkKind::Undo => "undo of",
            };
            out.push(format!("{what} batch {}", short_id(&l.of)));
        }
        for &(kind, by) in &b.linked_by {
            let what = match kind {
                LinkKind::Retry => "retried by",
                LinkKind::Undo => "undone by",
            };
            let id = self.list.get(by).map_or("", |x| x.id(entries));
            out.push(format!("{what} batch {}", short_id(id)));
        }
        out
    }
}

/// The batches of `entries` (newest first, as the ledger keeps them), newest first: a batch
/// sits where its newest job is. One pass over the entries and a handful of allocations
/// whatever their number: a job stored before batches existed is a batch of one without a
/// look-up, and the jobs of a submission, stored side by side, are looked up once. Reverse
/// links are read from the other batches, so they hold whichever tab wrote the linking one.
pub fn batches<E: AsRef<LedgerEntry>>(entries: &[E]) -> Batches {
    let mut list: Vec<Batch> = Vec::new();
    let mut of: Vec<usize> = Vec::with_capacity(entries.len());
    // Batch ids that several entries share, and those a link names.
    let mut at: HashMap<&str, usize> = HashMap::new();
    let targets: HashSet<&str> = entries
        .iter()
        .filter_map(|e| e.as_ref().link.as_ref().map(|l| l.of.as_str()))
        .collect();
    let mut prev: Option<(&str, usize)> = None;
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let id = e.batch_id();
        let found = match prev {
            Some((p, b)) if p == id => Some(b),
            _ if e.batch.is_some() => at.get(id).copied(),
            _ => None,
        };
        let b = match found {
            Some(b) => b,
            None => {
                let b = list.len();
                if e.batch.is_some() || (!targets.is_empty() && targets.contains(id)) {
                    at.insert(id, b);
                }
                list.push(Batch {
                    first: i,
                    start: 0,
                    len: 0,
                    counts: Counts::default(),
                    created_ms: e.created_ms,
                    link: None,
                    linked_by: Vec::new(),
                });
                b
            }
        };
        prev = Some((id, b));
        of.push(b);
        let batch = &mut list[b];
        batch.len += 1;
        batch.counts.add(e);
        if e.created_ms < batch.created_ms {
            batch.created_ms = e.created_ms;
        }
        // Every job of a batch carries the same link; of two that differ, the same in every tab.
        if e.link > batch.link {
            batch.link = e.link.clone();
        }
    }
    let mut start = 0;
    for b in &mut list {
        b.start = start;
        start += b.len;
        b.len = 0;
    }
    let mut order = vec![0; entries.len()];
    for (i, &b) in of.iter().enumerate() {
        let batch = &mut list[b];
        order[batch.start + batch.len] = i;
        batch.len += 1;
    }
    if !targets.is_empty() {
        for i in 0..list.len() {
            let Some(link) = &list[i].link else { continue };
            let kind = link.kind;
            if let Some(&target) = at.get(link.of.as_str()) {
                if target != i {
                    list[target].linked_by.push((kind, i));
                }
            }
        }
    }
    Batches { list, order, of }
}

/// A batch id as short as it can be read: the first 8 characters of a UUID.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((at, _)) => &id[..at],
        None => id,
    }
}
