//! What changed between two ledgers, in words: for the screen reader's live region, the tab
//! title and browser notifications.
use super::job_state::JobPhase;
use super::ledger::Ledger;

/// One sentence per job whose phase changed from `before` to `after`, e.g.
/// "payroll-master: delete completed".
/// An entry still shared with `before` at the same place did not change, so a year of jobs costs
/// a pointer comparison each; only the others are looked up (through `before`'s own index).
pub(crate) fn phase_changes(before: &Ledger, after: &Ledger) -> Vec<(JobPhase, String)> {
    after
        .entries
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            !before
                .entries
                .get(*i)
                .is_some_and(|b| std::rc::Rc::ptr_eq(b, e))
        })
        .filter_map(|(_, e)| {
            let old = before.get(&e.job_id).map(|b| b.phase);
            if old == Some(e.phase) || (old.is_none() && e.phase == JobPhase::Running) {
                return None;
            }
            let name = if e.key_name.is_empty() {
                "a key"
            } else {
                e.key_name.as_str()
            };
            let what = match e.phase {
                JobPhase::Running => "started".to_string(),
                JobPhase::Succeeded if e.inferred => {
                    "completed (inferred from the key)".to_string()
                }
                JobPhase::Succeeded => "completed".to_string(),
                JobPhase::Failed => match &e.failure_text {
                    Some(t) => format!("failed: {t}"),
                    None => "failed".to_string(),
                },
                JobPhase::UnknownToManager => "is unknown to the manager".to_string(),
                JobPhase::NoLongerWatched => "is no longer watched — check the manager".to_string(),
            };
            Some((e.phase, format!("{name}: {} {what}", e.operation.as_str())))
        })
        .collect()
}

/// The live region's text for some changes: their sentences, one after the other.
pub(crate) fn live_text(changes: &[(JobPhase, String)]) -> String {
    changes
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join(". ")
}

/// Jobs that ended while the tab was hidden, counted in its title until it is shown again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Unseen {
    pub succeeded: usize,
    /// Failed, unknown to the manager, or no longer watched.
    pub failed: usize,
}

pub(crate) enum UnseenAction {
    /// Jobs reached these phases while the tab was hidden.
    Ended(Vec<JobPhase>),
    /// The tab is shown: everything has been seen.
    Seen,
}

impl Unseen {
    pub(crate) fn is_empty(&self) -> bool {
        self.succeeded + self.failed == 0
    }
}

impl yew::Reducible for Unseen {
    type Action = UnseenAction;

    fn reduce(self: std::rc::Rc<Self>, action: UnseenAction) -> std::rc::Rc<Self> {
        let mut next = *self;
        match action {
            UnseenAction::Ended(phases) => {
                for phase in phases {
                    match phase {
                        JobPhase::Succeeded => next.succeeded += 1,
                        JobPhase::Failed
                        | JobPhase::UnknownToManager
                        | JobPhase::NoLongerWatched => next.failed += 1,
                        JobPhase::Running => {}
                    }
                }
            }
            UnseenAction::Seen => next = Unseen::default(),
        }
        if next == *self {
            self
        } else {
            std::rc::Rc::new(next)
        }
    }
}

/// The tab title while jobs ended unseen, e.g. "(2✓ 1✗) SAP key jobs".
pub(crate) fn title(base: &str, succeeded_unseen: usize, failed_unseen: usize) -> String {
    match (succeeded_unseen, failed_unseen) {
        (0, 0) => base.to_string(),
        (s, 0) => format!("({s}✓) {base}"),
        (0, f) => format!("({f}✗) {base}"),
        (s, f) => format!("({s}✓ {f}✗) {base}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::{Job, Operation};
    use crate::domain::key_ref::KeyRef;
    use crate::domain::ledger::LedgerEntry;

    fn job(state: &str) -> Job {
        serde_json::from_value(serde_json::json!({"id": "5db60499-9f4f-4143-b963-370459d3cef1", "state": state, "error_details": "no backup"})).unwrap()
    }

    #[test]
    fn reports_only_changes() {
        let key = KeyRef {
            id: "b707ea86-37bb-4212-ad09-2635698dbe4a".into(),
            name: "payroll-master".into(),
            group: None,
            sap_key_id: None,
        };
        let mut a = Ledger::new();
        a.add(LedgerEntry::started(
            &job("PENDING"),
            &key,
            Operation::Delete,
            false,
            "admin",
            "o",
            1.0,
        ));
        assert!(
            phase_changes(&Ledger::new(), &a).is_empty(),
            "a new running job is not news"
        );
        assert!(phase_changes(&a, &a).is_empty());
        let mut b = a.clone();
        b.record_job(&job("COMPLETED"), 2.0);
        assert_eq!(
            phase_changes(&a, &b),
            vec![(
                JobPhase::Succeeded,
                "payroll-master: delete completed".to_string()
            )]
        );
        let mut c = a.clone();
        c.record_job(&job("FAILED"), 2.0);
        assert_eq!(
            phase_changes(&a, &c)[0].1,
            "payroll-master: delete failed: no backup"
        );
    }

    #[test]
    fn inferred_successes_are_successes() {
        let key = KeyRef {
            id: "b707ea86-37bb-4212-ad09-2635698dbe4a".into(),
            name: "payroll-master".into(),
            group: None,
            sap_key_id: None,
        };
        let mut a = Ledger::new();
        a.add(LedgerEntry::started(
            &job("IN_PROGRESS"),
            &key,
            Operation::Delete,
            false,
            "admin",
            "o",
            1.0,
        ));
        a.record_job(&job("DELETED"), 2.0);
        let mut b = a.clone();
        b.set_verification_at(
            "5db60499-9f4f-4143-b963-370459d3cef1",
            crate::domain::ledger::Verification::Confirmed,
            3.0,
        );
        assert_eq!(
            phase_changes(&a, &b),
            vec![(
                JobPhase::Succeeded,
                "payroll-master: delete completed (inferred from the key)".to_string()
            )]
        );
        let mut c = a.clone();
        c.record_job(
            &job("DELETED"),
            2.0 + crate::domain::poll::UNWATCHED_AFTER_MS,
        );
        assert_eq!(
            phase_changes(&a, &c),
            vec![(
                JobPhase::NoLongerWatched,
                "payroll-master: delete is no longer watched — check the manager".to_string()
            )]
        );
    }

    #[test]
    fn unseen_endings_are_counted_until_seen() {
        use std::rc::Rc;
        use yew::Reducible;
        let u = Rc::new(Unseen::default());
        assert!(u.is_empty());
        let u = u.reduce(UnseenAction::Ended(vec![
            JobPhase::Succeeded,
            JobPhase::Failed,
            JobPhase::UnknownToManager,
            JobPhase::NoLongerWatched,
            JobPhase::Running,
        ]));
        assert_eq!((u.succeeded, u.failed), (1, 3));
        let u = u.reduce(UnseenAction::Ended(vec![JobPhase::Succeeded]));
        assert_eq!((u.succeeded, u.failed), (2, 3));
        let same = u
            .clone()
            .reduce(UnseenAction::Ended(vec![JobPhase::Running]));
        assert!(Rc::ptr_eq(&u, &same), "nothing ended, nothing changes");
        assert!(u.reduce(UnseenAction::Seen).is_empty());
    }

    #[test]
    fn live_text_joins_the_sentences() {
        assert_eq!(live_text(&[]), "");
        assert_eq!(
            live_text(&[
                (JobPhase::Succeeded, "a: delete completed".into()),
                (JobPhase::Failed, "b: restore failed".into())
            ]),
            "a: delete completed. b: restore failed"
        );
    }

    #[test]
    fn titles() {
        assert_eq!(title("SAP key jobs", 0, 0), "SAP key jobs");
        assert_eq!(title("SAP key jobs", 2, 1), "(2✓ 1✗) SAP key jobs");
        assert_eq!(title("T", 0, 3), "(3✗) T");
        assert_eq!(title("T", 4, 0), "(4✓) T");
    }
}
