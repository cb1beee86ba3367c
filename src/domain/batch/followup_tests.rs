//! Retry and undo over every mix of outcomes, and the keys re-read before posting.

use super::tests::{ended, job, kid, ledger};
use super::*;
use crate::api::keys::SapKey;
use crate::domain::key_ref::KeyRef;
use crate::domain::permissions::Refusals;
use crate::domain::plan::SkipReason;

/// Every mix of outcomes over a batch of three keys: a retry posts exactly the failed keys, an
/// undo exactly the succeeded ones with the inverse operation.
#[test]
fn retry_and_undo_take_exactly_the_failed_and_the_succeeded_keys() {
    let phases = [
        JobPhase::Running,
        JobPhase::NoLongerWatched,
        JobPhase::UnknownToManager,
        JobPhase::Succeeded,
        JobPhase::Failed,
    ];
    for op in [Operation::Delete, Operation::Restore] {
        for mix in 0..phases.len().pow(3) {
            let ps: Vec<JobPhase> = (0..3)
                .map(|i| phases[mix / phases.len().pow(i) % phases.len()])
                .collect();
            let mut first = job("j0", 0, op, 1.0).in_batch("B", None);
            first.delete_if_backup_fails = true;
            let l = ledger(
                ps.iter()
                    .enumerate()
                    .map(|(i, &p)| {
                        let e = if i == 0 {
                            first.clone()
                        } else {
                            job(&format!("j{i}"), i, op, 1.0).in_batch("B", None)
                        };
                        ended(e, p)
                    })
                    .collect(),
            );
            let all = batches(&l.entries);
            let b = &all.list[0];
            let want = |phase: JobPhase| -> Vec<String> {
                let mut v: Vec<String> = (0..3).filter(|&i| ps[i] == phase).map(kid).collect();
                v.sort();
                v
            };
            let got = |f: Option<Followup>| -> Vec<String> {
                let mut v: Vec<String> = f
                    .map(|f| f.keys.into_iter().map(|k| k.id).collect())
                    .unwrap_or_default();
                v.sort();
                v
            };
            let retry = Followup::retry(&all, b, &l.entries);
            let undo = Followup::undo(&all, b, &l.entries);
            assert_eq!(retry.is_some(), ps.contains(&JobPhase::Failed), "{ps:?}");
            assert_eq!(undo.is_some(), ps.contains(&JobPhase::Succeeded), "{ps:?}");
            if let Some(r) = &retry {
                assert_eq!(
                    (r.operation, r.link.kind, r.link.of.as_str()),
                    (op, LinkKind::Retry, "B")
                );
                assert!(r.delete_if_backup_fails, "a retry keeps the batch's flag");
            }
            if let Some(u) = &undo {
                let inverse = if op == Operation::Delete {
                    Operation::Restore
                } else {
                    Operation::Delete
                };
                assert_eq!((u.operation, u.link.kind), (inverse, LinkKind::Undo));
                assert!(!u.delete_if_backup_fails, "an undo never forces a delete");
            }
            assert_eq!(got(retry), want(JobPhase::Failed), "{op:?} {ps:?}");
            assert_eq!(got(undo), want(JobPhase::Succeeded), "{op:?} {ps:?}");
        }
    }
}

fn sap(n: usize, gone: Option<bool>) -> SapKey {
    SapKey {
        id: kid(n),
        name: Some(format!("key-{n}")),
        gone,
        sap_group_name: Some("payroll".into()),
        ..Default::default()
    }
}

#[test]
fn keys_re_read_before_an_undo_are_split_with_the_reasons() {
    // A delete batch of five: four succeeded, one failed. Since then: key 2 was restored by
    // hand, key 3 has a restore running, key 4 cannot be read.
    let mut entries: Vec<LedgerEntry> = (0..5)
        .map(|i| {
            let phase = if i == 4 {
                JobPhase::Failed
            } else {
                JobPhase::Succeeded
            };
            ended(
                job(&format!("j{i}"), i, Operation::Delete, 1.0).in_batch("B", None),
                phase,
            )
        })
        .collect();
    entries.push(job("r3", 3, Operation::Restore, 2.0));
    let l = ledger(entries);
    let all = batches(&l.entries);
    let b = all.list.iter().find(|b| b.id(&l.entries) == "B").unwrap();
    let undo = Followup::undo(&all, b, &l.entries).unwrap();
    let mut keys: Vec<&str> = undo.keys.iter().map(|k| k.id.as_str()).collect();
    keys.sort();
    assert_eq!(keys, [kid(0), kid(1), kid(2), kid(3)]);
    let reread: Vec<(KeyRef, Result<SapKey, String>)> = undo
        .keys
        .iter()
        .map(|k| {
            let n: usize = k.id[24..].parse().unwrap();
            let r = match n {
                2 => Ok(sap(n, Some(false))),
                3 => Ok(sap(n, Some(true))),
                4 | 1 => Err("The manager did not answer in time.".to_string()),
                _ => Ok(sap(n, Some(true))),
            };
            (k.clone(), r)
        })
        .collect();
    let p = reread_plan(undo.operation, &reread, &l, &Refusals::default());
    let ok: Vec<&str> = p.eligible.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ok, [kid(0)]);
    let mut why: Vec<(String, String)> = p
        .skipped
        .iter()
        .map(|(k, r)| (k.id.clone(), r.describe(undo.operation, k)))
        .collect();
    why.sort();
    assert_eq!(
        why,
        [
            (
                kid(1),
                "could not be re-read: The manager did not answer in time.".to_string()
            ),
            (kid(2), "not deleted, nothing to restore".to_string()),
            (kid(3), "a job is already running for this key".to_string()),
        ]
    );
    assert!(p
        .skipped
        .iter()
        .any(|(_, r)| matches!(r, SkipReason::Unreadable(_))));
    assert_eq!(
        undo.title(p.eligible.len()),
        "Undo: restore 1 key of batch B"
    );
}

#[test]
fn keys_re_read_before_a_retry_are_split_with_the_reasons() {
    // A delete batch where three failed: key 0 is still there, key 1 was deleted meanwhile,
    // key 2 is in a group the manager refused this session.
    let l = ledger(
        (0..3)
            .map(|i| {
                ended(
                    job(&format!("j{i}"), i, Operation::Delete, 1.0).in_batch("B", None),
                    JobPhase::Failed,
                )
            })
            .collect(),
    );
    let all = batches(&l.entries);
    let retry = Followup::retry(&all, &all.list[0], &l.entries).unwrap();
    let mut refused_key = sap(2, Some(false));
    refused_key.sap_group_name = Some("hr".into());
    let mut refusals = Refusals::default();
    refusals.learn(
        KeyRef::from(&refused_key).scope(),
        Operation::Delete,
        Some("no"),
    );
    let reread: Vec<(KeyRef, Result<SapKey, String>)> = retry
        .keys
        .iter()
        .map(|k| {
            let r = match &k.id[24..] {
                "000000000000" => sap(0, Some(false)),
                "000000000001" => sap(1, Some(true)),
                _ => refused_key.clone(),
            };
            (k.clone(), Ok(r))
        })
        .collect();
    let p = reread_plan(retry.operation, &reread, &l, &refusals);
    assert_eq!(
        p.eligible.iter().map(|k| k.id.clone()).collect::<Vec<_>>(),
        [kid(0)]
    );
    let mut why: Vec<(String, SkipReason)> =
        p.skipped.into_iter().map(|(k, r)| (k.id, r)).collect();
    why.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        why,
        [
            (kid(1), SkipReason::AlreadyGone),
            (kid(2), SkipReason::NotPermitted)
        ]
    );
    assert_eq!(retry.title(1), "Retry 1 failed delete of batch B");
    assert_eq!(retry.title(2), "Retry 2 failed deletes of batch B");
    assert_eq!(retry.title(0), "Retry of batch B: nothing to post");
}
