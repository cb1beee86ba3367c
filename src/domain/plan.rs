//! Which of the selected keys a job operation applies to, and why the others are skipped.

use crate::api::jobs::Operation;
use crate::api::keys::SapKey;
use crate::domain::job_state::JobPhase;
use crate::domain::key_ref::KeyRef;
use crate::domain::ledger::Ledger;
use crate::domain::permissions::{refusal_sentence, Refusals};

/// Why a selected key is left out of a job operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    AlreadyGone,
    NotGone,
    JobRunning,
    InvalidId,
    /// The same key was selected twice.
    Duplicate,
    /// The manager refused this operation in the key's group earlier this session.
    NotPermitted,
    /// Re-read before a retry or an undo, the key could not be read (the sentence why).
    Unreadable(String),
}

impl SkipReason {
    pub fn sentence(&self) -> &str {
        match self {
            SkipReason::AlreadyGone => "already deleted from SAP",
            SkipReason::NotGone => "not deleted, nothing to restore",
            SkipReason::JobRunning => "a job is already running for this key",
            SkipReason::InvalidId => "its id is not a valid UUID",
            SkipReason::Duplicate => "selected twice",
            SkipReason::NotPermitted => "not permitted (the manager refused)",
            SkipReason::Unreadable(why) => why,
        }
    }

    /// The sentence for this key and operation; a refusal names the group.
    pub(crate) fn describe(&self, op: Operation, key: &KeyRef) -> String {
        match self {
            SkipReason::NotPermitted => refusal_sentence(op, &key.scope()),
            other => other.sentence().to_string(),
        }
    }
}

/// The keys an operation will post a job for, and the ones it leaves out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub eligible: Vec<KeyRef>,
    pub skipped: Vec<(KeyRef, SkipReason)>,
}

/// Splits `keys` for `op`: delete applies to keys not gone, restore to gone keys; a key with a
/// running job in the ledger, an id that is not a UUID, or a group where the manager refused `op`
/// this session is skipped. Selection order is kept.
pub fn plan(op: Operation, keys: &[SapKey], ledger: &Ledger, refusals: &Refusals) -> Plan {
    let mut out = Plan::default();
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        let r = KeyRef::from(k);
        let reason = if !seen.insert(k.id.as_str()) {
            Some(SkipReason::Duplicate)
        } else if uuid::Uuid::parse_str(&k.id).is_err() {
            Some(SkipReason::InvalidId)
        } else if ledger.running_for_key(&k.id) {
            Some(SkipReason::JobRunning)
        } else if refusals.refused(&r.scope(), op).is_some() {
            Some(SkipReason::NotPermitted)
        } else {
            match (op, known_gone(k, ledger)) {
                (Operation::Delete, Some(true)) => Some(SkipReason::AlreadyGone),
                (Operation::Restore, Some(false)) => Some(SkipReason::NotGone),
                _ => None,
            }
        };
        match reason {
            Some(why) => out.skipped.push((r, why)),
            None => out.eligible.push(r),
        }
    }
    out
}

/// Whether the key is deleted from SAP: its `gone` when the manager says, else what the newest
/// succeeded job of this browser on it left, else unknown (then both operations are offered and
/// the manager decides).
pub(crate) fn known_gone(k: &SapKey, ledger: &Ledger) -> Option<bool> {
    k.gone.or_else(|| {
        ledger
            .entries
            .iter()
            .filter(|e| e.id == k.id && e.phase == JobPhase::Succeeded)
            .max_by(|a, b| a.last_change_ms.total_cmp(&b.last_change_ms))
            .map(|e| Ledger::expected_gone(e.operation))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::Job;
    use crate::api::keys::SapParam;
    use crate::domain::ledger::LedgerEntry;

    const U1: &str = "d109deae-5ca7-421d-bf49-637e65c3bbcb";
    const U2: &str = "b707ea86-37bb-4212-ad09-2635698dbe4a";
    const U3: &str = "5db60499-9f4f-4143-b963-370459d3cef1";

    fn key(id: &str, name: Option<&str>, gone: Option<bool>, enabled: Option<bool>) -> SapKey {
        SapKey {
            id: id.into(),
            name: name.map(str::to_string),
            gone,
            sap_group_name: Some("payroll".into()),
            sap_param: Some(SapParam {
                enabled,
                sap_key_id: Some("sap-1".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn delete_plan() {
        let keys = [
            key(U1, Some("a"), Some(false), Some(true)),
            key(U2, Some("b"), Some(true), Some(true)),
            key(U3, Some("c"), None, None),
            key("not-a-uuid", Some("d"), Some(false), Some(false)),
        ];
        let p = plan(
            Operation::Delete,
            &keys,
            &Ledger::new(),
            &Refusals::default(),
        );
        let ok: Vec<_> = p.eligible.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ok, [U1, U3]);
        let why: Vec<_> = p
            .skipped
            .iter()
            .map(|(k, r)| (k.id.as_str(), r.clone()))
            .collect();
        assert_eq!(
            why,
            [
                (U2, SkipReason::AlreadyGone),
                ("not-a-uuid", SkipReason::InvalidId)
            ]
        );
    }

    #[test]
    fn restore_plan() {
        let keys = [
            key(U1, Some("a"), Some(false), Some(true)),
            key(U2, Some("b"), Some(true), Some(false)),
            key(U3, Some("c"), None, Some(false)),
        ];
        let p = plan(
            Operation::Restore,
            &keys,
            &Ledger::new(),
            &Refusals::default(),
        );
        // U3 does not say whether it is gone: restore is offered and the manager decides.
        let ok: Vec<_> = p.eligible.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ok, [U2, U3]);
        assert!(p.skipped.iter().all(|(_, r)| *r == SkipReason::NotGone));
    }

    #[test]
    fn a_key_without_gone_takes_its_state_from_the_newest_succeeded_job() {
        let k = key(U1, Some("a"), None, Some(true));
        let mut ledger = Ledger::new();
        let job = |id: &str, state: &str| Job {
            id: id.into(),
            state: state.into(),
            ..Default::default()
        };
        ledger.add(LedgerEntry::started(
            &job("j1", "PENDING"),
            &KeyRef::from(&k),
            Operation::Delete,
            false,
            "u",
            "m",
            1.0,
        ));
        ledger.record_job(&job("j1", "COMPLETED"), 2.0);
        assert_eq!(known_gone(&k, &ledger), Some(true));
        let none = Refusals::default();
        assert_eq!(
            plan(Operation::Delete, std::slice::from_ref(&k), &ledger, &none).skipped[0].1,
            SkipReason::AlreadyGone
        );
        assert_eq!(
            plan(Operation::Restore, std::slice::from_ref(&k), &ledger, &none)
                .eligible
                .len(),
            1
        );
        ledger.add(LedgerEntry::started(
            &job("j2", "PENDING"),
            &KeyRef::from(&k),
            Operation::Restore,
            false,
            "u",
            "m",
            3.0,
        ));
        ledger.record_job(&job("j2", "COMPLETED"), 4.0);
        assert_eq!(known_gone(&k, &ledger), Some(false));
        // The manager's own word wins over the ledger.
        let said = key(U1, Some("a"), Some(true), Some(true));
        assert_eq!(known_gone(&said, &ledger), Some(true));
    }

    #[test]
    fn a_refused_group_is_skipped_for_that_operation() {
        let keys = [
            key(U1, Some("a"), Some(false), Some(true)),
            key(U2, Some("b"), Some(true), Some(true)),
        ];
        let mut refusals = Refusals::default();
        refusals.learn(
            KeyRef::from(&keys[0]).scope(),
            Operation::Delete,
            Some("no"),
        );
        let p = plan(Operation::Delete, &keys, &Ledger::new(), &refusals);
        assert!(p.eligible.is_empty());
        assert_eq!(p.skipped[0].1, SkipReason::NotPermitted);
        assert_eq!(
            p.skipped[0].1.describe(Operation::Delete, &p.skipped[0].0),
            "not permitted: you may not delete keys of group payroll (the manager refused)"
        );
        assert_eq!(
            plan(Operation::Restore, &keys[1..], &Ledger::new(), &refusals)
                .eligible
                .len(),
            1
        );
    }

    #[test]
    fn running_job_and_duplicates_skip() {
        let mut ledger = Ledger::new();
        let k1 = key(U1, Some("a"), Some(false), Some(true));
        let job = Job {
            id: "job-1".into(),
            state: "PENDING".into(),
            ..Default::default()
        };
        ledger.add(LedgerEntry::started(
            &job,
            &KeyRef::from(&k1),
            Operation::Delete,
            false,
            "u",
            "m",
            1.0,
        ));
        let keys = [
            k1.clone(),
            key(U2, Some("b"), Some(false), None),
            key(U2, Some("b"), Some(false), None),
        ];
        let p = plan(Operation::Delete, &keys, &ledger, &Refusals::default());
        assert_eq!(p.eligible.len(), 1);
        assert_eq!(p.skipped[0].1, SkipReason::JobRunning);
        assert_eq!(p.skipped[1].1, SkipReason::Duplicate);
        // Once the job ends, the key is offered again.
        ledger.record_job(
            &Job {
                id: "job-1".into(),
                state: "FAILED".into(),
                ..Default::default()
            },
            2.0,
        );
        assert_eq!(
            plan(Operation::Delete, &keys[..1], &ledger, &Refusals::default())
                .eligible
                .len(),
            1
        );
        assert!(!plan(Operation::Delete, &[], &ledger, &Refusals::default())
            .eligible
            .iter()
            .any(|_| true));
        assert!(plan(Operation::Delete, &[], &ledger, &Refusals::default())
            .eligible
            .is_empty());
    }

    #[test]
    fn sentences() {
        assert_eq!(
            SkipReason::AlreadyGone.sentence(),
            "already deleted from SAP"
        );
        assert_eq!(
            SkipReason::NotGone.sentence(),
            "not deleted, nothing to restore"
        );
        assert_eq!(
            SkipReason::JobRunning.sentence(),
            "a job is already running for this key"
        );
        assert_eq!(
            SkipReason::InvalidId.sentence(),
            "its id is not a valid UUID"
        );
    }
}
