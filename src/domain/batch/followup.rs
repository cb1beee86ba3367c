//! Retry and undo: which keys of a batch they post again, and how the keys re-read just
//! before posting are split with the usual plan rules.

use std::collections::HashSet;

use super::{Batch, Batches};
use crate::api::jobs::Operation;
use crate::api::keys::SapKey;
use crate::domain::job_state::JobPhase;
use crate::domain::key_ref::KeyRef;
use crate::domain::ledger::{BatchLink, Ledger, LedgerEntry, LinkKind};
use crate::domain::permissions::Refusals;
use crate::domain::plan::{plan, Plan, SkipReason};

/// A retry or an undo of a batch, before its keys are re-read.
#[derive(Clone, Debug, PartialEq)]
pub struct Followup {
    pub link: BatchLink,
    pub operation: Operation,
    pub delete_if_backup_fails: bool,
    /// The keys, once each, in the batch's order.
    pub keys: Vec<KeyRef>,
}

impl Followup {
    /// The failed keys of `batch`, with its operation and flag; `None` when none failed.
    pub fn retry<E: AsRef<LedgerEntry>>(
        all: &Batches,
        batch: &Batch,
        entries: &[E],
    ) -> Option<Followup> {
        if batch.counts.failed == 0 {
            return None;
        }
        let keys = keys_where(all, batch, entries, JobPhase::Failed);
        let flag = jobs(all, batch, entries).any(|e| e.delete_if_backup_fails);
        let op = batch.operation(entries);
        Followup::of(batch.id(entries), LinkKind::Retry, op, flag, keys)
    }

    /// The succeeded keys of `batch` with the inverse operation; `None` when none succeeded.
    /// An undo never deletes with `delete_if_backup_fails`.
    pub fn undo<E: AsRef<LedgerEntry>>(
        all: &Batches,
        batch: &Batch,
        entries: &[E],
    ) -> Option<Followup> {
        if batch.counts.succeeded == 0 {
            return None;
        }
        let keys = keys_where(all, batch, entries, JobPhase::Succeeded);
        let inverse = match batch.operation(entries) {
            Operation::Delete => Operation::Restore,
            Operation::Restore => Operation::Delete,
        };
        Followup::of(batch.id(entries), LinkKind::Undo, inverse, false, keys)
    }

    fn of(
        id: &str,
        kind: LinkKind,
        operation: Operation,
        delete_if_backup_fails: bool,
        keys: Vec<KeyRef>,
    ) -> Option<Followup> {
        (!keys.is_empty()).then(|| Followup {
            link: BatchLink {
                kind,
                of: id.to_string(),
            },
            operation,
            delete_if_backup_fails,
            keys,
        })
    }

    /// What the confirmation dialog calls it: "Retry 2 failed deletes of batch 1a2b3c4d",
    /// "Undo: restore 4 keys of batch 1a2b3c4d".
    pub fn title(&self, eligible: usize) -> String {
        let of = super::short_id(&self.link.of);
        if eligible == 0 {
            let what = match self.link.kind {
                LinkKind::Retry => "Retry",
                LinkKind::Undo => "Undo",
            };
            return format!("{what} of batch {of}: nothing to post");
        }
        let keys = if eligible == 1 { "key" } else { "keys" };
        match self.link.kind {
            LinkKind::Retry => {
                let ops = match (self.operation, eligible) {
                    (Operation::Delete, 1) => "delete",
                    (Operation::Delete, _) => "deletes",
                    (Operation::Restore, 1) => "restore",
                    (Operation::Restore, _) => "restores",
                };
                format!("Retry {eligible} failed {ops} of batch {of}")
            }
            LinkKind::Undo => format!(
                "Undo: {} {eligible} {keys} of batch {of}",
                self.operation.as_str()
            ),
        }
    }
}

fn jobs<'a, E: AsRef<LedgerEntry>>(
    all: &'a Batches,
    batch: &'a Batch,
    entries: &'a [E],
) -> impl Iterator<Item = &'a LedgerEntry> + 'a {
    all.jobs(batch)
        .iter()
        .filter_map(|&i| entries.get(i))
        .map(AsRef::as_ref)
}

fn keys_where<E: AsRef<LedgerEntry>>(
    all: &Batches,
    batch: &Batch,
    entries: &[E],
    phase: JobPhase,
) -> Vec<KeyRef> {
    let mut seen = HashSet::new();
    jobs(all, batch, entries)
        .filter(|e| e.phase == phase && seen.insert(e.id.as_str()))
        .map(|e| KeyRef {
            id: e.id.clone(),
            name: e.key_name.clone(),
            group: e.group.clone(),
            sap_key_id: e.sap_key_id.clone(),
        })
        .collect()
}

/// Splits the keys of a retry or an undo as re-read just now (in the follow-up's order): the
/// usual [`plan`] rules for those read (already where `op` would put it, a job running, a
/// refused group), and a key that could not be read is skipped with the sentence why.
pub fn reread_plan(
    op: Operation,
    reread: &[(KeyRef, Result<SapKey, String>)],
    ledger: &Ledger,
    refusals: &Refusals,
) -> Plan {
    let read: Vec<SapKey> = reread
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().cloned())
        .collect();
    let mut out = plan(op, &read, ledger, refusals);
    for (k, r) in reread {
        if let Err(why) = r {
            let sentence = format!("could not be re-read: {why}");
            out.skipped
                .push((k.clone(), SkipReason::Unreadable(sentence)));
        }
    }
    out
}
