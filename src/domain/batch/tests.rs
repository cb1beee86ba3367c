//! Batches, links, filters and ticks over stored ledgers (retry and undo: `followup_tests`).

use std::rc::Rc;

use super::*;
use crate::api::jobs::Job;
use crate::domain::key_ref::KeyRef;
use crate::domain::ledger::{Ledger, Verification};

/// A UUID-shaped key id for key `n` (plan() skips ids that are not UUIDs).
pub(super) fn kid(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

pub(super) fn job(job_id: &str, key: usize, op: Operation, created: f64) -> LedgerEntry {
    let k = KeyRef {
        id: kid(key),
        name: format!("key-{key}"),
        group: Some("payroll".into()),
        sap_key_id: None,
    };
    let j = Job {
        id: job_id.into(),
        state: "PENDING".into(),
        ..Default::default()
    };
    LedgerEntry::started(&j, &k, op, false, "alice", "https://cm", created)
}

pub(super) fn ended(mut e: LedgerEntry, phase: JobPhase) -> LedgerEntry {
    e.phase = phase;
    e
}

pub(super) fn ledger(entries: Vec<LedgerEntry>) -> Ledger {
    let mut l = Ledger::new();
    for e in entries {
        l.add(e);
    }
    l
}

fn ids<'a>(bs: &Batches, l: &'a Ledger) -> Vec<&'a str> {
    bs.list.iter().map(|b| b.id(&l.entries)).collect()
}

#[test]
fn entries_without_a_batch_are_batches_of_one_and_the_others_group() {
    let l = ledger(vec![
        job("old-1", 1, Operation::Delete, 10.0),
        job("old-2", 2, Operation::Restore, 20.0),
        ended(
            job("n-1", 3, Operation::Delete, 30.0).in_batch("B", None),
            JobPhase::Failed,
        ),
        ended(
            job("n-2", 4, Operation::Delete, 31.0).in_batch("B", None),
            JobPhase::Succeeded,
        ),
        job("n-3", 5, Operation::Delete, 32.0).in_batch("B", None),
    ]);
    let all = batches(&l.entries);
    assert_eq!(ids(&all, &l), ["B", "old-2", "old-1"], "newest first");
    let bs = &all.list;
    let b = &bs[0];
    assert_eq!(all.jobs(b).len(), 3);
    assert!(!b.is_single() && bs[1].is_single() && bs[2].is_single());
    assert_eq!(
        b.counts,
        Counts {
            running: 1,
            succeeded: 1,
            failed: 1,
            unknown: 0,
            drift: 0
        }
    );
    assert_eq!((b.created_ms, b.user(&l.entries)), (30.0, "alice"));
    assert_eq!(bs[1].operation(&l.entries), Operation::Restore);
    // The positions are those of the entries given.
    assert!(all.jobs(b).iter().all(|&i| l.entries[i].batch_id() == "B"));
    let jobs: Vec<&str> = all
        .jobs(b)
        .iter()
        .map(|&i| l.entries[i].job_id.as_str())
        .collect();
    assert_eq!(jobs, ["n-3", "n-2", "n-1"], "newest first");
    assert!(batches::<Rc<LedgerEntry>>(&[]).list.is_empty());
}

#[test]
fn interleaved_submissions_still_group() {
    // Two tabs submitted at the same time: their jobs interleave in the ledger's order.
    let l = ledger(
        (0..6)
            .map(|i| {
                let b = if i % 2 == 0 { "A" } else { "B" };
                job(&format!("j{i}"), i, Operation::Delete, i as f64).in_batch(b, None)
            })
            .collect(),
    );
    let all = batches(&l.entries);
    assert_eq!(ids(&all, &l), ["B", "A"]);
    let jobs = |b: &Batch| -> Vec<&str> {
        all.jobs(b)
            .iter()
            .map(|&i| l.entries[i].job_id.as_str())
            .collect()
    };
    assert_eq!(jobs(&all.list[0]), ["j5", "j3", "j1"]);
    assert_eq!(jobs(&all.list[1]), ["j4", "j2", "j0"]);
    assert_eq!(all.list[1].created_ms, 0.0);
}

#[test]
fn every_phase_and_drift_is_counted() {
    let mut drift = ended(job("d", 5, Operation::Delete, 5.0), JobPhase::Succeeded);
    drift.verification = Verification::Drift {
        expected_gone: true,
        actual_gone: Some(false),
    };
    let l = ledger(
        [
            ended(job("a", 1, Operation::Delete, 1.0), JobPhase::Running),
            ended(
                job("b", 2, Operation::Delete, 2.0),
                JobPhase::UnknownToManager,
            ),
            ended(
                job("c", 3, Operation::Delete, 3.0),
                JobPhase::NoLongerWatched,
            ),
            ended(job("e", 4, Operation::Delete, 4.0), JobPhase::Failed),
            drift,
        ]
        .into_iter()
        .map(|e| e.in_batch("X", None))
        .collect(),
    );
    let c = batches(&l.entries).list[0].counts;
    assert_eq!(
        c,
        Counts {
            running: 1,
            succeeded: 1,
            failed: 1,
            unknown: 2,
            drift: 1
        }
    );
}

#[test]
fn links_read_both_ways_and_survive_a_merge_from_another_tab() {
    let first = vec![
        ended(
            job("a", 1, Operation::Delete, 1.0).in_batch("B1", None),
            JobPhase::Failed,
        ),
        ended(
            job("b", 2, Operation::Delete, 1.0).in_batch("B1", None),
            JobPhase::Succeeded,
        ),
    ];
    let mut here = ledger(first.clone());
    // Another tab retried B1's failure, then undid B1's success.
    let mut there = ledger(first);
    let retry = BatchLink {
        kind: LinkKind::Retry,
        of: "B1".into(),
    };
    let undo = BatchLink {
        kind: LinkKind::Undo,
        of: "B1".into(),
    };
    there.add(job("c", 1, Operation::Delete, 2.0).in_batch("B2", Some(retry.clone())));
    there.add(job("d", 2, Operation::Restore, 3.0).in_batch("B3", Some(undo.clone())));
    assert_eq!(batches(&here.entries).list[0].linked_by, []);
    let stored = Ledger::from_json(&there.to_json()).expect("a ledger");
    here.merge(&stored);
    let all = batches(&here.entries);
    assert_eq!(ids(&all, &here), ["B3", "B2", "B1"]);
    let bs = &all.list;
    assert_eq!(bs[0].link, Some(undo));
    assert_eq!(bs[1].link, Some(retry));
    assert_eq!(bs[2].linked_by, [(LinkKind::Undo, 0), (LinkKind::Retry, 1)]);
    assert_eq!(
        all.link_sentences(&bs[2], &here.entries),
        ["undone by batch B3", "retried by batch B2"]
    );
    assert_eq!(
        all.link_sentences(&bs[0], &here.entries),
        ["undo of batch B1"]
    );
    // An old job (a batch of one) retried: linked both ways by its job id.
    let mut old = ledger(vec![ended(
        job("old", 9, Operation::Delete, 1.0),
        JobPhase::Failed,
    )]);
    old.add(job("new", 9, Operation::Delete, 2.0).in_batch(
        "B9",
        Some(BatchLink {
            kind: LinkKind::Retry,
            of: "old".into(),
        }),
    ));
    let all = batches(&old.entries);
    assert_eq!(
        all.link_sentences(&all.list[1], &old.entries),
        ["retried by batch B9"]
    );
    // A link to a batch no longer in the ledger still reads; a link to itself is no reverse link.
    let l = ledger(vec![
        job("x", 1, Operation::Delete, 1.0).in_batch(
            "5e6f7a8b-0000-4000-8000-000000000000",
            Some(BatchLink {
                kind: LinkKind::Retry,
                of: "1a2b3c4d-0000-4000-8000-000000000000".into(),
            }),
        ),
        job("y", 2, Operation::Delete, 0.0).in_batch(
            "S",
            Some(BatchLink {
                kind: LinkKind::Retry,
                of: "S".into(),
            }),
        ),
    ]);
    let all = batches(&l.entries);
    assert_eq!(
        all.link_sentences(&all.list[0], &l.entries),
        ["retry of batch 1a2b3c4d"]
    );
    assert_eq!(all.list[1].linked_by, []);
}

#[test]
fn filters_and_their_counts() {
    let mut drift = ended(job("e", 5, Operation::Restore, 5.0), JobPhase::Succeeded);
    drift.verification = Verification::Drift {
        expected_gone: false,
        actual_gone: Some(true),
    };
    let mut named = ended(job("f", 6, Operation::Delete, 6.0), JobPhase::Failed);
    named.key_name = "Clé-Paie".into();
    let l = ledger(vec![
        job("a", 1, Operation::Delete, 1.0),
        ended(job("b", 2, Operation::Delete, 2.0), JobPhase::Failed),
        ended(job("c", 3, Operation::Restore, 3.0), JobPhase::Succeeded),
        ended(
            job("d", 4, Operation::Delete, 4.0),
            JobPhase::NoLongerWatched,
        ),
        drift,
        named,
    ]);
    let all = JobFilter::default();
    assert!(!all.is_active());
    let c = filter_counts(&l.entries, &all);
    assert_eq!((c.any, c.shown), (6, 6));
    let per: Vec<usize> = PhaseFilter::ALL.iter().map(|&p| c.of_phase(p)).collect();
    assert_eq!(per, [1, 2, 2, 1, 1]);
    assert_eq!(
        (
            c.of_operation(Operation::Delete),
            c.of_operation(Operation::Restore)
        ),
        (4, 2)
    );
    // The phase filter's counts keep the operation filter, and the other way round.
    let f = JobFilter {
        phase: Some(PhaseFilter::Failed),
        operation: Some(Operation::Delete),
        search: String::new(),
    };
    assert!(f.is_active());
    let c = filter_counts(&l.entries, &f);
    assert_eq!(c.shown, 2);
    assert_eq!(
        (c.any_phase, c.any_operation),
        (4, 2),
        "deletes; failed jobs"
    );
    assert_eq!(c.of_phase(PhaseFilter::Succeeded), 0, "no succeeded delete");
    assert_eq!(c.of_operation(Operation::Restore), 0, "no failed restore");
    // The search is any case, in the name or the id, and counts apply it everywhere.
    let f = JobFilter {
        search: "  clé-PAIE ".into(),
        ..Default::default()
    };
    let c = filter_counts(&l.entries, &f);
    assert_eq!((c.any, c.shown, c.of_phase(PhaseFilter::Failed)), (1, 1, 1));
    let by_id = JobFilter {
        search: kid(3)[20..].to_uppercase(),
        ..Default::default()
    };
    let m = by_id.matcher();
    let hits: Vec<&str> = l
        .entries
        .iter()
        .filter(|e| m.matches(e))
        .map(|e| e.job_id.as_str())
        .collect();
    assert_eq!(hits, ["c"]);
    let none = JobFilter {
        search: "zzz".into(),
        ..Default::default()
    };
    assert_eq!(filter_counts(&l.entries, &none), FilterCounts::default());
    for p in PhaseFilter::ALL {
        assert_eq!(PhaseFilter::parse(p.word()), Some(p));
    }
    assert_eq!(PhaseFilter::parse("Failed"), None);
}

#[test]
fn short_ids() {
    assert_eq!(short_id("1a2b3c4d-0000-4000-8000-000000000000"), "1a2b3c4d");
    assert_eq!(short_id("job-1"), "job-1");
    assert_eq!(short_id("ééééééééé"), "éééééééé");
}

#[test]
fn a_tick_refreshes_the_counts_in_place_as_a_full_read_would() {
    let mut l = ledger(
        (0..8)
            .map(|i| {
                let b = if i < 5 { "A" } else { "B" };
                job(&format!("j{i}"), i, Operation::Delete, i as f64).in_batch(b, None)
            })
            .collect(),
    );
    let before = l.clone();
    let mut all = batches(&before.entries);
    let filter = JobFilter {
        phase: Some(PhaseFilter::Failed),
        ..Default::default()
    };
    let mut counts = filter_counts(&before.entries, &filter);
    let answer = |id: &str, state: &str| Job {
        id: id.into(),
        state: state.into(),
        ..Default::default()
    };
    l.record_job(&answer("j1", "FAILED"), 10.0);
    l.record_job(&answer("j6", "COMPLETED"), 10.0);
    l.mark_unknown_to_manager("j3", 10.0);
    let changed = all
        .refresh(&before.entries, &l.entries, Rc::ptr_eq)
        .expect("in place");
    assert_eq!(changed.len(), 3);
    for (a, b) in &changed {
        counts.changed(&filter, a, b);
    }
    assert_eq!(all, batches(&l.entries));
    assert_eq!(counts, filter_counts(&l.entries, &filter));
    assert_eq!(counts.shown, 1);
    // A new job, or a job that moved to another batch, needs a full read.
    let mut grown = l.clone();
    grown.add(job("j9", 9, Operation::Delete, 9.0).in_batch("B", None));
    assert!(all
        .clone()
        .refresh(&l.entries, &grown.entries, Rc::ptr_eq)
        .is_none());
    let mut moved = l.clone();
    moved.add(job("j0", 0, Operation::Delete, 0.0).in_batch("Z", None));
    assert!(all
        .clone()
        .refresh(&l.entries, &moved.entries, Rc::ptr_eq)
        .is_none());
    // Nothing changed: nothing to do.
    assert_eq!(
        all.refresh(&l.entries, &l.entries, Rc::ptr_eq)
            .map(|c| c.len()),
        Some(0)
    );
}
