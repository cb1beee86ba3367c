//! How long the ledger's work on a poll tick takes natively at a given size (default 1,000 jobs,
//! `cargo run --release --example merge_cost -- 50000` for a year's): merging another tab's copy
//! or its 100 changed entries, recording 100 answers, adding a job, reading the stored form.
use std::rc::Rc;
use std::time::Instant;

use cckm_sap_admin::api::jobs::{parse_job, Job, Operation};
use cckm_sap_admin::domain::key_ref::KeyRef;
use cckm_sap_admin::domain::ledger::{Ledger, LedgerEntry};

fn job(id: &str, state: &str) -> Job {
    let body = serde_json::json!({"id": id, "state": state, "cckm_key_id": "x", "operation": "delete", "createdAt": "2021-11-24T09:54:45.962862797Z"});
    parse_job(&body.to_string()).expect("a job")
}

fn ms(t: Instant, n: usize) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0 / n as f64
}

fn main() {
    let size: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let t = Instant::now();
    let entries = (0..size)
        .map(|i| {
            let key = KeyRef {
                id: format!("k{i}"),
                name: format!("key-{i}"),
                group: Some("payroll".into()),
                sap_key_id: None,
            };
            Rc::new(LedgerEntry::started(
                &job(&format!("j{i:06}"), "PENDING"),
                &key,
                Operation::Delete,
                false,
                "admin",
                "o",
                i as f64,
            ))
        })
        .collect();
    let mut base = Ledger::new();
    base.merge(&Ledger::from_parts(entries, vec![]));
    for i in 0..size {
        // A first poll: the entry keeps the job's raw JSON.
        base.record_job(&job(&format!("j{i:06}"), "PENDING"), i as f64 + 1.0);
    }
    println!("building {size} entries: {:.1} ms", ms(t, 1));
    let mut other = base.clone();
    for i in 0..100 {
        other.record_job(&job(&format!("j{i:06}"), "COMPLETED"), 1e12);
    }
    // Another tab's copy shares nothing with ours: round-trip it through JSON.
    let other = Ledger::from_json(&other.to_json()).unwrap();
    let n = 20;
    let t = Instant::now();
    for _ in 0..n {
        let mut l = base.clone();
        assert!(l.merge(&other));
    }
    println!("merge of {size} (100 changed): {:.2} ms", ms(t, n));
    // What another tab really sends: only the 100 entries that changed.
    let delta = Ledger::from_parts(
        other
            .entries
            .iter()
            .filter(|e| e.last_change_ms == 1e12)
            .cloned()
            .collect(),
        vec![],
    );
    assert_eq!(delta.entries.len(), 100);
    let t = Instant::now();
    for _ in 0..n {
        let mut l = base.clone();
        assert!(l.merge(&delta));
    }
    println!("merge of a 100-entry delta into {size}: {:.2} ms", ms(t, n));
    let answers: Vec<Job> = (0..100)
        .map(|i| job(&format!("j{:06}", size - 1 - i), "COMPLETED"))
        .collect();
    let t = Instant::now();
    for _ in 0..n {
        let mut l = base.clone();
        for a in &answers {
            assert!(l.record_job(a, 6000.0));
        }
    }
    println!("100 poll answers recorded into {size}: {:.2} ms", ms(t, n));
    let key = KeyRef {
        id: "new".into(),
        name: "new".into(),
        group: None,
        sap_key_id: None,
    };
    let fresh = LedgerEntry::started(
        &job("jnew", "PENDING"),
        &key,
        Operation::Delete,
        false,
        "admin",
        "o",
        1e9,
    );
    let t = Instant::now();
    for _ in 0..n {
        let mut l = base.clone();
        assert!(l.add(fresh.clone()));
    }
    println!("a new job added to {size}: {:.2} ms", ms(t, n));
    let text = other.to_json();
    let t = Instant::now();
    for _ in 0..n {
        let _ = Ledger::from_json(&text).unwrap();
    }
    println!(
        "from_json of {size} ({:.1} MB): {:.2} ms",
        text.len() as f64 / 1e6,
        ms(t, n)
    );
}
