//! Jobs, keys and ledgers the ledger's tests share.

use super::*;
use crate::api::error::ApiError;
use crate::api::jobs::{parse_job, Job, Operation};
use crate::domain::job_state::JobPhase;
use crate::domain::key_ref::KeyRef;
use crate::domain::manager_error::ManagerError;
use crate::domain::poll::UNWATCHED_AFTER_MS;

/// A job as the manager answers it (its raw JSON kept).
pub(super) fn job(id: &str, state: &str) -> Job {
    parse_job(&serde_json::json!({"id": id, "state": state}).to_string()).expect("a job")
}

pub(super) fn key(id: &str, name: &str) -> KeyRef {
    KeyRef {
        id: id.into(),
        name: name.into(),
        group: Some("payroll".into()),
        sap_key_id: Some(format!("sap-{id}")),
    }
}

pub(super) fn entry(job_id: &str, key_id: &str, created: f64) -> LedgerEntry {
    LedgerEntry::started(
        &job(job_id, "PENDING"),
        &key(key_id, &format!("name-{key_id}")),
        Operation::Delete,
        false,
        "admin",
        "https://cm.example",
        created,
    )
}

pub(super) fn sample_ledgers() -> Vec<Ledger> {
    let mut a = Ledger::new();
    a.add(entry("j1", "k1", 100.0));
    a.record_job(&job("j1", "IN_PROGRESS"), 1100.0);
    a.add(entry("j2", "k2", 200.0));

    let mut b = Ledger::new();
    b.add(entry("j1", "k1", 100.0));
    b.record_job(&job("j1", "IN_PROGRESS"), 1200.0);
    b.record_job(&job("j1", "COMPLETED"), 2200.0);
    b.set_verification_at("j1", Verification::Confirmed, 2300.0);
    b.add(entry("j3", "k3", 300.0));

    let mut c = Ledger::new();
    c.add(entry("j2", "k2", 200.0));
    c.mark_unknown_to_manager("j2", 900.0);
    c.add(entry("j4", "k4", 400.0));
    c.record_job(&job("j4", "FAILED"), 500.0);
    c.clear_finished();

    let mut d = Ledger::new();
    d.add(entry("j1", "k1", 100.0));
    d.record_job(&job("j1", "COMPLETED"), 2100.0);
    d.set_verification_at(
        "j1",
        Verification::for_key(Operation::Delete, JobPhase::Succeeded, Some(false)),
        2150.0,
    );
    d.add(entry("j2", "k2", 200.0));
    d.record_job(&job("j2", "FAILED"), 950.0);
    d.add(entry("j4", "k4", 400.0));

    let mut e = Ledger::new();
    let mut odd = entry("j5", "k5", 500.0);
    odd.group = None;
    odd.delete_if_backup_fails = true;
    e.add(odd);
    let mut odd2 = entry("j5", "k5", 450.0);
    odd2.key_name = "zzz".into();
    let mut f = Ledger::new();
    f.add(odd2);
    f.set_verification_at("j5", Verification::Unavailable("503".into()), 600.0);

    // Batches and links: the same job seen with and without its batch, and two links.
    let mut g = Ledger::new();
    g.add(entry("j6", "k6", 600.0).in_batch("b-1", None));
    g.add(entry("j7", "k7", 700.0).in_batch("b-2", Some(link(LinkKind::Retry, "b-1"))));
    let mut h = Ledger::new();
    h.add(entry("j6", "k6", 600.0));
    h.add(entry("j7", "k7", 700.0).in_batch("b-3", Some(link(LinkKind::Undo, "b-0"))));

    vec![Ledger::new(), a, b, c, d, e, f, g, h]
}

pub(crate) fn link(kind: LinkKind, of: &str) -> BatchLink {
    BatchLink {
        kind,
        of: of.into(),
    }
}

pub(super) fn merged(x: &Ledger, y: &Ledger) -> Ledger {
    let mut m = x.clone();
    m.merge(y);
    m
}

pub(super) const DAY: f64 = UNWATCHED_AFTER_MS;

pub(super) fn entry_for_op(job_id: &str, op: Operation, created: f64) -> LedgerEntry {
    let key = KeyRef {
        id: format!("k-{job_id}"),
        name: format!("key-{job_id}"),
        group: None,
        sap_key_id: None,
    };
    LedgerEntry::started(
        &job(job_id, "PENDING"),
        &key,
        op,
        false,
        "admin",
        "o",
        created,
    )
}

pub(super) fn ledger_with(job_id: &str, op: Operation, states: &[(&str, f64)]) -> Ledger {
    let mut l = Ledger::new();
    l.add(entry_for_op(job_id, op, 1000.0));
    for (s, at) in states {
        l.record_job(&job(job_id, s), *at);
    }
    l
}

pub(super) fn unrecognised_samples() -> Vec<Ledger> {
    let inferred = {
        let mut l = ledger_with("j", Operation::Delete, &[("DELETED", 2000.0)]);
        l.set_verification_at("j", Verification::Confirmed, 2100.0);
        l
    };
    let said = ledger_with(
        "j",
        Operation::Delete,
        &[("DELETED", 2000.0), ("COMPLETED", 2050.0)],
    );
    let unwatched = ledger_with("j", Operation::Delete, &[("DELETED", 1000.0 + DAY)]);
    let mut unwatched2 = ledger_with("u", Operation::Restore, &[("RESTORED", 1000.0 + DAY)]);
    unwatched2.merge(&ledger_with("j", Operation::Delete, &[("DELETED", 2000.0)]));
    let failed = ledger_with(
        "j",
        Operation::Delete,
        &[("DELETED", 2000.0), ("FAILED", 2500.0)],
    );
    let running = ledger_with("u", Operation::Restore, &[("RESTORED", 1500.0)]);
    vec![
        Ledger::new(),
        inferred,
        said,
        unwatched,
        unwatched2,
        failed,
        running,
    ]
}

pub(super) fn one_job_ledger() -> Ledger {
    let job = Job {
        id: "j".into(),
        state: "PENDING".into(),
        ..Default::default()
    };
    let key = KeyRef {
        id: "k".into(),
        name: "payroll".into(),
        group: None,
        sap_key_id: None,
    };
    let mut l = Ledger::new();
    l.add(LedgerEntry::started(
        &job,
        &key,
        Operation::Delete,
        false,
        "admin",
        "o",
        1000.0,
    ));
    l
}

pub(super) fn error(at: f64, rid: &str) -> ManagerError {
    let body = format!(
        r#"{{"code":14,"codeDesc":"NCERRInternalServerError: unexpected error","requestID":"{rid}"}}"#
    );
    ManagerError::from_api(&ApiError::from_response(500, "", &body, None), at)
}

/// A stored ledger with a value of the wrong shape in every place (the native tests and the
/// browser's read it alike).
pub(crate) const HOSTILE_LEDGER: &str = r#"{"entries":[
            {"job_id":["j"],"id":"k","operation":"delete"},
            {"job_id":"a","id":{"x":[1,{"y":2}]},"operation":"delete"},
            {"job_id":"b","id":"k","operation":{"delete":true}},
            {"job_id":"c","id":"k","operation":"delete","verification":{"drift":{"expected_gone":[1]},"x":2},
             "states":[{"state":{"a":[]},"at_ms":[1]}],"last_error":{"name":{"n":1},"message":"m"},
             "group":[1,[2]],"phase":{"failed":1}},
            {"job_id":"d","id":"k","operation":"delete","verification":{"unavailable":"503","extra":[1]}},
            {"job_id":"e","id":"k","operation":"delete","verification":["confirmed"]},
            {"job_id":"f","id":"k","operation":"delete","verification":{"drift":[1,[2]]}},
            {"job_id":"g","id":"k","operation":"delete","verification":{"nope":{"a":[1]}}},
            {"job_id":"h","id":"k","operation":"delete","verification":{"unavailable":{"a":[2]},"b":1}},
            {"job_id":"i","id":"k","operation":"delete",
             "verification":{"drift":{"expected_gone":true,"actual_gone":[{}]}}}
        ],"cleared":[{"job_id":["x"]},{"job_id":"y","created_ms":{"a":1}}]}"#;

/// What a ledger holds, to compare with [`hostile_ledger_read`]: its job ids, their
/// verifications, and how many tombstones.
pub(crate) fn summary_of(l: &Ledger) -> (Vec<String>, Vec<Verification>, usize) {
    (
        l.entries.iter().map(|e| e.job_id.clone()).collect(),
        l.entries.iter().map(|e| e.verification.clone()).collect(),
        l.cleared.len(),
    )
}

/// What [`HOSTILE_LEDGER`] reads as (see [`summary_of`]).
pub(crate) fn hostile_ledger_read() -> (Vec<String>, Vec<Verification>, usize) {
    let mut verifications = vec![Verification::NotYet; 6];
    verifications.push(Verification::Drift {
        expected_gone: true,
        actual_gone: None,
    });
    (
        ["c", "d", "e", "f", "g", "h", "i"]
            .map(String::from)
            .to_vec(),
        verifications,
        1,
    )
}
