//! What changed between two ledgers, in words: for the screen reader's live region, the tab
//! title and browser notifications.
use super::job_state::JobPhase;
use super::ledger::Ledger;

/// One sentence per job whose phase changed from `before` to `after`, e.g.
/// "payroll-master: delete completed".
pub fn phase_changes(before: &Ledger, after: &Ledger) -> Vec<(JobPhase, String)> {
    // Positions, not phases: the ledger's own index has this type, so the wasm holds one map.
    let old: std::collections::HashMap<&str, usize> = before
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.job_id.as_str(), i))
        .collect();
    after
        .entries
        .iter()
        .filter_map(|e| {
            let old = old
                .get(e.job_id.as_str())
                .and_then(|i| before.entries.get(*i))
                .map(|b| b.phase);
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

/// The tab title while jobs ended unseen, e.g. "(2✓ 1✗) SAP key jobs".
pub fn title(base: &str, succeeded_unseen: usize, failed_unseen: usize) -> String {
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
    use crate::api::types::{Job, Operation};
    use crate::domain::ledger::LedgerEntry;
    use crate::domain::plan::KeyRef;

    fn job(state: &str) -> Job {
        crate::api::read::FromJson::from_json(serde_json::json!({"id": "5db60499-9f4f-4143-b963-370459d3cef1", "state": state, "error_details": "no backup"})).unwrap()
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
    fn titles() {
        assert_eq!(title("SAP key jobs", 0, 0), "SAP key jobs");
        assert_eq!(title("SAP key jobs", 2, 1), "(2✓ 1✗) SAP key jobs");
        assert_eq!(title("T", 0, 3), "(3✗) T");
        assert_eq!(title("T", 4, 0), "(4✓) T");
    }
}
