//! Batches: the jobs of one submission as the job list shows them, their counts, and the links
//! between them (a retry of one, an undo of another), read from the ledger in one pass.

mod cache;
mod filter;
mod followup;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::api::jobs::Operation;
use crate::domain::job_state::JobPhase;
use crate::domain::ledger::{BatchLink, LedgerEntry, LinkKind};

pub use cache::{changed_in_place, BatchCache};
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
        match e.phase {
            JobPhase::Running => self.running += 1,
            JobPhase::Succeeded => self.succeeded += 1,
            JobPhase::Failed => self.failed += 1,
            JobPhase::UnknownToManager | JobPhase::NoLongerWatched => self.unknown += 1,
        }
        if e.is_drift() {
            self.drift += 1;
        }
    }
}

/// The jobs of one submission.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The submission's UUID, or for a job stored before batches existed its job id.
    pub id: String,
    pub operation: Operation,
    /// Where its jobs are in the entries it was read from, in their order (newest first).
    pub jobs: Vec<usize>,
    pub counts: Counts,
    /// Who started it (its first job's user).
    pub user: String,
    /// When its earliest job was created.
    pub created_ms: f64,
    /// The batch it retries or undoes.
    pub link: Option<BatchLink>,
    /// The batches that retry or undo it, newest first.
    pub linked_by: Vec<(LinkKind, String)>,
}

impl Batch {
    /// One job alone: the list shows it as a job, not as a folder.
    pub fn is_single(&self) -> bool {
        self.jobs.len() == 1
    }
}

/// The batches of `entries` (newest first, as the ledger keeps them), newest first: a batch
/// sits where its newest job is. One pass over the entries, then one over the batches for the
/// reverse links, so that they hold whichever tab wrote the linking batch.
pub fn batches<E: AsRef<LedgerEntry>>(entries: &[E]) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    // The jobs of a submission sit together: hash only where the batch changes.
    let mut last: Option<(&str, usize)> = None;
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let id = e.batch_id();
        let n = match last {
            Some((last_id, n)) if last_id == id => n,
            _ => *at.entry(id).or_insert_with(|| {
                out.push(Batch {
                    id: id.to_string(),
                    operation: e.operation,
                    jobs: Vec::new(),
                    counts: Counts::default(),
                    user: e.user.clone(),
                    created_ms: e.created_ms,
                    link: None,
                    linked_by: Vec::new(),
                });
                out.len() - 1
            }),
        };
        last = Some((id, n));
        let b = &mut out[n];
        b.jobs.push(i);
        b.counts.add(e);
        if e.created_ms < b.created_ms {
            b.created_ms = e.created_ms;
        }
        // Every job of a batch carries the same link; of two that differ, the same in every tab.
        if e.link > b.link {
            b.link = e.link.clone();
        }
    }
    for i in 0..out.len() {
        let Some(link) = out[i].link.clone() else {
            continue;
        };
        if let Some(&target) = at.get(link.of.as_str()) {
            if target != i {
                let by = (link.kind, out[i].id.clone());
                out[target].linked_by.push(by);
            }
        }
    }
    out
}

/// A batch id as short as it can be read: the first 8 characters of a UUID.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((at, _)) => &id[..at],
        None => id,
    }
}

/// The links of a batch in words: "retry of 1a2b3c4d", "undone by 5e6f7a8b".
pub fn link_sentences(b: &Batch) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(l) = &b.link {
        let what = match l.kind {
            LinkKind::Retry => "retry of",
            LinkKind::Undo => "undo of",
        };
        out.push(format!("{what} batch {}", short_id(&l.of)));
    }
    for (kind, by) in &b.linked_by {
        let what = match kind {
            LinkKind::Retry => "retried by",
            LinkKind::Undo => "undone by",
        };
        out.push(format!("{what} batch {}", short_id(by)));
    }
    out
}
