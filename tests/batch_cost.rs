#![cfg(target_arch = "wasm32")]
//! What reading the batches and the filter counts of 50,000 jobs costs in the browser (printed;
//! ignored by default: `wasm-pack test --release --headless --chrome -- --test batch_cost
//! --include-ignored`).
use std::rc::Rc;

use cckm_sap_admin::api::jobs::{Job, Operation};
use cckm_sap_admin::domain::batch::{batches, filter_counts, JobFilter};
use cckm_sap_admin::domain::key_ref::KeyRef;
use cckm_sap_admin::domain::ledger::LedgerEntry;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[wasm_bindgen_test]
#[ignore]
fn fifty_thousand_jobs() {
    for with_batches in [true, false] {
        let entries: Vec<Rc<LedgerEntry>> = (0..50_000)
            .rev()
            .map(|i| {
                let key = KeyRef {
                    id: format!("k{i}"),
                    name: format!("key-{i}"),
                    group: None,
                    sap_key_id: None,
                };
                let job = Job {
                    id: format!("j{i:05}"),
                    state: "PENDING".into(),
                    ..Default::default()
                };
                let e =
                    LedgerEntry::started(&job, &key, Operation::Delete, false, "a", "o", i as f64);
                Rc::new(if with_batches {
                    e.in_batch(&format!("b{}", i / 40), None)
                } else {
                    e
                })
            })
            .collect();
        let t = now();
        let mut n = 0;
        for _ in 0..10 {
            n = batches(&entries).list.len();
        }
        let b = (now() - t) / 10.0;
        let t = now();
        for _ in 0..10 {
            filter_counts(&entries, &JobFilter::default());
        }
        let c = (now() - t) / 10.0;
        // A tick: 100 jobs end in place.
        let mut after = entries.clone();
        for e in after.iter_mut().step_by(500) {
            let mut x = (**e).clone();
            x.phase = cckm_sap_admin::domain::job_state::JobPhase::Succeeded;
            *e = Rc::new(x);
        }
        let all = batches(&entries);
        let f = JobFilter::default();
        let counts = filter_counts(&entries, &f);
        let t = now();
        for _ in 0..10 {
            let mut all = all.clone();
            let mut counts = counts;
            let changed = all.refresh(&entries, &after, Rc::ptr_eq).expect("in place");
            assert_eq!(changed.len(), 100);
            for (a, b) in changed {
                counts.changed(&f, a, b);
            }
        }
        let r = (now() - t) / 10.0;
        console_log!(
            "50,000 jobs, {n} batches: batches {b:.1} ms, filter counts {c:.1} ms, a tick of 100 followed in place {r:.2} ms"
        );
    }
}
