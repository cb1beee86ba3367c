#![cfg(target_arch = "wasm32")]
//! The job list rendered from fixed ledger entries: one row per job with its badge and notes,
//! the counts, "Show more", the open / export / clear callbacks, and batches with their
//! filters, retry and undo.
mod common;

use cckm_sap_admin::components::job_list::{JobList, JobListProps, JOBS_SHOWN};
use cckm_sap_admin::domain::batch::{Followup, JobFilter, PhaseFilter};
use cckm_sap_admin::domain::export::ExportFormat;
use cckm_sap_admin::domain::ledger::LinkKind;
use common::*;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn props(entries: Vec<LedgerEntry>) -> JobListProps {
    JobListProps {
        entries: rows(entries),
        now_ms: T0 + 90_000.0,
        on_clear_finished: Callback::noop(),
        on_open: Callback::noop(),
        on_export: Callback::noop(),
        filter: JobFilter::default(),
        on_filter: Callback::noop(),
        on_follow_up: Callback::noop(),
        note: None,
        on_open_key: None,
    }
}

fn job(n: u32, name: &str, op: Operation) -> LedgerEntry {
    ledger_entry(n, &key_ref(name, &uuid(n)), op, T0)
}

fn row(root: &web_sys::Element, n: u32) -> web_sys::Element {
    el(root, &format!("li.job[data-job-id='{}']", uuid(n)))
}

#[wasm_bindgen_test]
async fn no_jobs_says_so() {
    let root = render::<JobList>(props(vec![])).await;
    assert_eq!(
        text(&el(&root, "#jobs-empty")),
        "No jobs started from this browser yet."
    );
    assert!(!has(&root, "#job-list") && !has(&root, "#clear-finished"));
}

#[wasm_bindgen_test]
async fn each_phase_has_its_badge_class_and_note() {
    let mut failed = ended(
        job(3, "failed-key", Operation::Delete),
        "FAILED",
        JobPhase::Failed,
        T0 + 30_000.0,
    );
    failed.failure_text = Some(HOSTILE.into());
    let mut confirmed = ended(
        job(2, "done-key", Operation::Restore),
        "COMPLETED",
        JobPhase::Succeeded,
        T0 + 60_000.0,
    );
    confirmed.verification = Verification::Confirmed;
    let mut drift = ended(
        job(4, "drift-key", Operation::Delete),
        "COMPLETED",
        JobPhase::Succeeded,
        T0,
    );
    drift.verification = Verification::Drift {
        expected_gone: true,
        actual_gone: Some(false),
    };
    let mut inferred = ended(
        job(5, "inferred-key", Operation::Delete),
        "DONE_SOMEHOW",
        JobPhase::Succeeded,
        T0,
    );
    inferred.inferred = true;
    let unwatched = ended(
        job(6, "unwatched-key", Operation::Delete),
        "ON_HOLD",
        JobPhase::NoLongerWatched,
        T0,
    );
    let mut unknown = job(7, "unknown-key", Operation::Restore);
    unknown.phase = JobPhase::UnknownToManager;
    unknown.verification =
        Verification::Unavailable("the key does not say whether it is gone".into());
    let mut running = job(1, HOSTILE, Operation::Delete);
    running.delete_if_backup_fails = true;
    let root = render::<JobList>(props(vec![
        running, confirmed, failed, drift, inferred, unwatched, unknown,
    ]))
    .await;

    assert_eq!(text(&el(&root, ".jobs-head .muted")), "7 jobs, 4 finished");
    let badge = |n| text(&el(&row(&root, n), ".badge"));
    assert_eq!(badge(1), "⟳ running");
    assert_eq!(badge(2), "✓ succeeded");
    assert_eq!(badge(3), "✗ failed");
    assert_eq!(badge(4), "⚠ finished, key unchanged");
    assert_eq!(badge(5), "✓ succeeded (inferred from the key)");
    assert_eq!(badge(6), "⏸ no longer watched — check the manager");
    assert_eq!(badge(7), "? unknown to manager");
    for (n, class) in [
        (1, "phase-running"),
        (2, "phase-succeeded"),
        (3, "phase-failed"),
        (6, "phase-no-longer-watched"),
        (7, "phase-unknown-to-manager"),
    ] {
        assert!(has_class(&row(&root, n), class), "job {n}: {class}");
    }

    // The running job: its hostile name as text, its raw state and its flag.
    let r = row(&root, 1);
    assert_eq!(text(&el(&r, ".job-key")), HOSTILE);
    assert_eq!(text(&el(&r, ".job-state")), "PENDING");
    assert_eq!(text(&el(&r, ".job-op")), "delete");
    assert_eq!(text(&el(&r, ".flag-on")), "delete_if_backup_fails");
    assert_eq!(text(&el(&r, ".job-updated")), "updated 1 min ago");
    assert!(!has(&root, "img"), "names and failure texts are text");

    assert_eq!(
        text(&el(&row(&root, 2), ".job-ok")),
        "Key re-read: present in SAP again."
    );
    assert_eq!(
        text(&el(&row(&root, 2), ".job-updated")),
        "updated 30 s ago"
    );
    assert_eq!(
        text(&el(&row(&root, 3), ".job-error")),
        format!("✗ {HOSTILE}")
    );
    assert_eq!(
        text(&el(&row(&root, 4), ".job-drift")),
        "⚠ The job finished, but the key did not change: it should be deleted from SAP, yet the manager reports it present in SAP."
    );
    assert!(text(&el(&row(&root, 5), ".job-inferred")).contains("“DONE_SOMEHOW”"));
    assert!(text(&el(&row(&root, 6), ".job-unwatched")).contains("“ON_HOLD”"));
    assert_eq!(
        text(&el(&row(&root, 7), ".job-note")),
        "The key could not be re-read after the job: the key does not say whether it is gone"
    );
    assert!(!has(&row(&root, 1), ".job-note") && !has(&row(&root, 1), ".job-ok"));
}

#[wasm_bindgen_test]
async fn a_key_name_opens_its_job_and_the_buttons_report() {
    let opened = Recorder::new();
    let exported = Recorder::new();
    let cleared = Recorder::new();
    let mut p = props(vec![
        job(1, "payroll-master", Operation::Delete),
        ended(
            job(2, "payroll-old", Operation::Delete),
            "COMPLETED",
            JobPhase::Succeeded,
            T0,
        ),
    ]);
    p.on_open = opened.callback();
    p.on_export = exported.callback();
    p.on_clear_finished = cleared.callback();
    let root = render::<JobList>(p).await;
    assert_eq!(text(&el(&root, ".jobs-head .muted")), "2 jobs, 1 finished");
    click(&row(&root, 2), ".job-key").await;
    assert_eq!(opened.calls(), [uuid(2)]);
    click(&root, "#export-csv").await;
    click(&root, "#export-json").await;
    assert_eq!(exported.calls(), [ExportFormat::Csv, ExportFormat::Json]);
    assert!(!button(&root, "#clear-finished").disabled());
    click(&root, "#clear-finished").await;
    assert_eq!(cleared.count(), 1);

    // With nothing finished there is nothing to clear.
    let root = render::<JobList>(props(vec![job(1, "payroll-master", Operation::Delete)])).await;
    assert_eq!(text(&el(&root, ".jobs-head .muted")), "1 job, 0 finished");
    assert!(button(&root, "#clear-finished").disabled());
}

#[wasm_bindgen_test]
async fn a_long_list_shows_the_newest_and_more_on_request() {
    let total = JOBS_SHOWN as u32 * 2 + 20;
    let entries: Vec<LedgerEntry> = (1..=total)
        .map(|n| {
            ledger_entry(
                n,
                &key_ref(&format!("key-{n:03}"), &uuid(n)),
                Operation::Delete,
                T0 + n as f64,
            )
        })
        .collect();
    let root = render::<JobList>(props(entries)).await;
    assert_eq!(count(&root, "li.job"), JOBS_SHOWN as u32);
    let more = format!("Show {JOBS_SHOWN} more ({JOBS_SHOWN} of {total} shown)");
    assert_eq!(text(&el(&root, "#jobs-show-more")), more);
    click(&root, "#jobs-show-more").await;
    assert_eq!(count(&root, "li.job"), 2 * JOBS_SHOWN as u32);
    assert_eq!(
        text(&el(&root, "#jobs-show-more")),
        format!("Show 20 more ({} of {total} shown)", 2 * JOBS_SHOWN)
    );
    click(&root, "#jobs-show-more").await;
    assert_eq!(count(&root, "li.job"), total);
    assert!(!has(&root, "#jobs-show-more"));
}

/// A delete batch of three that ended: one failed, two succeeded.
fn ended_batch() -> Vec<LedgerEntry> {
    let phase = |n: u32| {
        if n == 11 {
            ("FAILED", JobPhase::Failed)
        } else {
            ("COMPLETED", JobPhase::Succeeded)
        }
    };
    (11..=13)
        .map(|n| {
            let (state, ph) = phase(n);
            ended(
                job(n, &format!("batch-key-{n}"), Operation::Delete),
                state,
                ph,
                T0,
            )
            .in_batch("1a2b3c4d-0000-4000-8000-000000000000", None)
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_batch_folds_its_jobs_and_offers_retry_and_undo() {
    let followed = Recorder::<Followup>::new();
    let mut p = props(
        ended_batch()
            .into_iter()
            .chain([job(1, "alone", Operation::Restore)])
            .collect(),
    );
    p.on_follow_up = followed.callback();
    let root = render::<JobList>(p).await;
    // The lone job is a job row; the batch a folded row with its counts.
    assert!(has(&root, "#job-list > li.job"));
    let batch = el(&root, "li.batch");
    assert_eq!(text(&el(&batch, ".batch-toggle")), "▸delete3 keys");
    assert_eq!(
        attr(&batch, ".batch-toggle", "aria-expanded").as_deref(),
        Some("false")
    );
    assert_eq!(
        texts(&batch, ".batch-counts .badge"),
        ["✓ 2 succeeded", "✗ 1 failed"]
    );
    assert_eq!(text(&el(&batch, ".batch-id")), "batch 1a2b3c4d");
    assert_eq!(count(&batch, "li.job"), 0, "folded");
    click(&batch, ".batch-toggle").await;
    assert_eq!(
        attr(&batch, ".batch-toggle", "aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(count(&batch, "li.job"), 3);
    assert_eq!(text(&el(&batch, ".batch-retry")), "Retry failed (1)");
    assert_eq!(text(&el(&batch, ".batch-undo")), "Undo (2)");
    click(&batch, ".batch-retry").await;
    click(&batch, ".batch-undo").await;
    let calls = followed.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].link.kind, calls[0].operation),
        (LinkKind::Retry, Operation::Delete)
    );
    assert_eq!(
        calls[0]
            .keys
            .iter()
            .map(|k| k.id.clone())
            .collect::<Vec<_>>(),
        [uuid(11)]
    );
    assert_eq!(
        (calls[1].link.kind, calls[1].operation),
        (LinkKind::Undo, Operation::Restore)
    );
    assert_eq!(calls[1].keys.len(), 2);
    // While a retry or an undo is prepared, no other starts, and the page says what it does.
    let mut p = props(ended_batch());
    p.note = Some("Re-reading 2 keys before the undo…".into());
    let root = render::<JobList>(p).await;
    assert!(button(&root, ".batch-undo").disabled());
    assert_eq!(
        text(&el(&root, "#jobs-followup-note")),
        "Re-reading 2 keys before the undo…"
    );
}

#[wasm_bindgen_test]
async fn filters_show_their_counts_and_report_a_change() {
    let changed = Recorder::<JobFilter>::new();
    let mut p = props(
        ended_batch()
            .into_iter()
            .chain([job(1, "alone", Operation::Restore)])
            .collect(),
    );
    p.on_filter = changed.callback();
    p.filter = JobFilter {
        phase: Some(PhaseFilter::Failed),
        ..Default::default()
    };
    let root = render::<JobList>(p).await;
    assert_eq!(
        texts(&root, "#jobs-phase option"),
        [
            "All (4)",
            "Running (1)",
            "Failed (1)",
            "Succeeded (2)",
            "Unknown (0)",
            "Key did not change (0)"
        ]
    );
    assert_eq!(
        texts(&root, "#jobs-op option"),
        ["All (1)", "Delete (1)", "Restore (0)"]
    );
    assert_eq!(
        text(&el(&root, "#jobs-filter-count")),
        "1 of 4 jobs matches."
    );
    // Only the batch with a failed job, and opened, only that job.
    assert!(!has(&root, "#job-list > li.job"));
    click(&root, ".batch-toggle").await;
    assert_eq!(count(&root, ".batch li.job"), 1);
    assert_eq!(
        text(&el(&root, ".batch .batch-filtered")),
        "1 of its 3 jobs match the filters."
    );
    choose(&select(&root, "#jobs-op"), "restore").await;
    click(&root, "#jobs-filter-clear").await;
    assert_eq!(
        changed.calls(),
        [
            JobFilter {
                phase: Some(PhaseFilter::Failed),
                operation: Some(Operation::Restore),
                search: String::new()
            },
            JobFilter::default()
        ]
    );
}
