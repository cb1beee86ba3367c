//! How long merging another tab's 1,000-job ledger (100 changed), or just its 100 changed
//! entries, takes natively.
use std::time::Instant;

use cckm_sap_admin::api::jobs::{parse_job, Job, Operation};
use cckm_sap_admin::domain::key_ref::KeyRef;
use cckm_sap_admin::domain::ledger::{Ledger, LedgerEntry};

fn job(id: &str, state: &str) -> Job {
    let body = serde_json::json!({"id": id, "state": state, "cckm_key_id": "x", "operation": "delete", "createdAt": "2021-11-24T09:54:45.962862797Z"});
    parse_job(&body.to_string()).expect("a job")
}

fn main() {
    let mut base = Ledger::new();
    for i in 0..1000 {
        let key = KeyRef {
            id: format!("k{i}"),
            name: format!("key-{i}"),
            group: Some("payroll".into()),
            sap_key_id: None,
        };
        base.add(LedgerEntry::started(
            &job(&format!("j{i:04}"), "PENDING"),
            &key,
            Operation::Delete,
            false,
            "admin",
            "o",
            i as f64,
        ));
        // A first poll: the entry keeps the job's raw JSON.
        base.record_job(&job(&format!("j{i:04}"), "PENDING"), i as f64 + 1.0);
    }
    let mut other = base.clone();
    for i in 0..100 {
        other.record_job(&job(&format!("j{i:04}"), "COMPLETED"), 5000.0);
    }
    // Another tab's copy shares nothing with ours: round-trip it through JSON.
    let other = Ledger::from_json(&other.to_json()).unwrap();
    let t = Instant::now();
    let n = 20;
    for _ in 0..n {
        let mut l = base.clone();
        assert!(l.merge(&other));
    }
    println!(
        "merge of 1,000 (100 changed): {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
    // What another tab really sends: only the 100 entries that changed.
    let delta = Ledger {
        entries: other
            .entries
            .iter()
            .filter(|e| e.last_change_ms == 5000.0)
            .cloned()
            .collect(),
        cleared: vec![],
    };
    assert_eq!(delta.entries.len(), 100);
    let t = Instant::now();
    for _ in 0..n {
        let mut l = base.clone();
        assert!(l.merge(&delta));
    }
    println!(
        "merge of a 100-entry delta into 1,000: {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        let _ = Ledger::from_json(&other.to_json()).unwrap();
    }
    println!(
        "to_json + from_json of 1,000: {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
}
