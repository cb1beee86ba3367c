//! How long reading the batches and the filter counts of a 50,000-job ledger takes natively
//! (batches of 40, every tenth a retry of the one before).
use std::time::Instant;

use cckm_sap_admin::api::jobs::{Job, Operation};
use cckm_sap_admin::domain::batch::{batches, filter_counts, JobFilter, PhaseFilter};
use cckm_sap_admin::domain::key_ref::KeyRef;
use cckm_sap_admin::domain::ledger::{BatchLink, Ledger, LedgerEntry, LinkKind};

fn main() {
    let mut ledger = Ledger::new();
    let n = 50_000;
    for i in 0..n {
        let key = KeyRef {
            id: format!("k{i}"),
            name: format!("key-{i}"),
            group: Some("payroll".into()),
            sap_key_id: None,
        };
        let job = Job {
            id: format!("j{i:05}"),
            state: "PENDING".into(),
            ..Default::default()
        };
        let b = i / 40;
        let link = (b % 10 == 9).then(|| BatchLink {
            kind: LinkKind::Retry,
            of: format!("batch-{}", b - 1),
        });
        let e = LedgerEntry::started(&job, &key, Operation::Delete, false, "admin", "o", i as f64)
            .in_batch(&format!("batch-{b}"), link);
        ledger.entries.push(std::rc::Rc::new(e));
    }
    ledger.entries.reverse();
    let rounds = 20;
    let t = Instant::now();
    let mut count = 0;
    for _ in 0..rounds {
        count = batches(&ledger.entries).list.len();
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    println!("batches of {n} jobs ({count} batches): {per:.2} ms");
    let f = JobFilter {
        phase: Some(PhaseFilter::Failed),
        operation: None,
        search: "key-4999".into(),
    };
    let t = Instant::now();
    let mut shown = 0;
    for _ in 0..rounds {
        shown = filter_counts(&ledger.entries, &f).any;
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    println!("filter counts of {n} jobs with a search ({shown} match it): {per:.2} ms");
    // A ledger from before batches: every job a batch of one.
    for e in &mut ledger.entries {
        let e = std::rc::Rc::make_mut(e);
        e.batch = None;
        e.link = None;
    }
    let t = Instant::now();
    for _ in 0..rounds {
        count = batches(&ledger.entries).list.len();
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    println!("batches of {n} jobs stored before batches ({count} batches of one): {per:.2} ms");
}
