#![cfg(target_arch = "wasm32")]
//! A key's history panel rendered from a fixed ledger: its jobs oldest first (operation, outcome,
//! states, who, verification), the key read now (from the simulator, refused before sending, a
//! network failure with a retry, a key that no longer exists), copy buttons, and the delete or
//! restore it hands to the confirmation.
mod common;

use std::rc::Rc;

use cckm_sap_admin::components::key_history::{KeyHistory, KeyHistoryProps};
use cckm_sap_admin::domain::submit::Submission;
use common::*;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn props(key_id: &str, entries: Vec<LedgerEntry>, api: Api) -> KeyHistoryProps {
    KeyHistoryProps {
        key_id: key_id.into(),
        api,
        ledger: ledger(entries).into(),
        refusals: Refusals::default(),
        on_start: Callback::noop(),
        on_close: Callback::noop(),
    }
}

/// Not logged in, and nothing listens on this port: every read fails before it is sent.
fn offline() -> Api {
    Api::new("http://127.0.0.1:9")
}

/// Delete (succeeded, confirmed), restore (failed, by bob), delete (running) on `id`, and a job
/// on another key between them.
fn three_jobs(id: &str) -> Vec<LedgerEntry> {
    let k = key_ref("payroll-master", id);
    let mut first = ended(
        ledger_entry(1, &k, Operation::Delete, T0),
        "COMPLETED",
        JobPhase::Succeeded,
        T0 + 5000.0,
    );
    first.verification = Verification::Confirmed;
    first.verified_ms = Some(T0 + 6000.0);
    let other = ledger_entry(
        9,
        &key_ref("crm", &uuid(99)),
        Operation::Delete,
        T0 + 7000.0,
    );
    let mut second = ended(
        ledger_entry(2, &k, Operation::Restore, T0 + 10_000.0),
        "FAILED",
        JobPhase::Failed,
        T0 + 12_000.0,
    );
    second.user = "bob".into();
    second.failure_text = Some("no backup".into());
    let third = ledger_entry(3, &k, Operation::Delete, T0 + 20_000.0);
    vec![third, other, first, second]
}

#[wasm_bindgen_test]
async fn the_jobs_on_the_key_oldest_first_with_states_users_and_verification() {
    let id = uuid(42);
    let root = render::<KeyHistory>(props(&id, three_jobs(&id), offline())).await;
    assert_eq!(
        attr(&root, "#key-history", "role").as_deref(),
        Some("dialog")
    );
    assert_eq!(
        text(&el(&root, "#key-history-title")),
        "Key · payroll-master"
    );
    assert_eq!(
        text(&el(&root, "#key-jobs-title")),
        "3 jobs from this browser, oldest first"
    );
    let jobs: Vec<_> = texts(&root, "#key-jobs > li .job-op");
    assert_eq!(jobs, ["delete", "restore", "delete"]);
    let ids: Vec<_> = (0..3)
        .map(|i| {
            let li = el(&root, &format!("#key-jobs > li:nth-child({})", i + 1));
            li.get_attribute("data-job-id").unwrap_or_default()
        })
        .collect();
    assert_eq!(ids, [uuid(1), uuid(2), uuid(3)]);
    let outcomes = texts(&root, "#key-jobs > li .key-job-outcome");
    assert_eq!(
        outcomes,
        ["succeeded", "failed: no backup", "running (PENDING)"]
    );
    assert_eq!(
        texts(&root, "#key-jobs > li .key-job-user"),
        ["admin", "bob", "admin"]
    );
    assert_eq!(
        texts(&root, "#key-jobs > li:nth-child(1) .key-job-states code"),
        ["PENDING", "COMPLETED"]
    );
    assert_eq!(
        texts(&root, "#key-jobs > li:nth-child(2) .key-job-states code"),
        ["PENDING", "FAILED"]
    );
    assert_eq!(
        texts(&root, "#key-jobs > li .key-job-verification"),
        [
            "Key re-read: deleted from SAP.",
            "The key has not been re-read since the job ended."
        ],
        "the running job has none yet"
    );
    assert!(
        !text(&root).contains("crm"),
        "another key's job is not listed"
    );
}

#[wasm_bindgen_test]
async fn a_failed_read_says_so_and_try_again_reads_again() {
    let id = uuid(43);
    let root = render::<KeyHistory>(props(&id, vec![], offline())).await;
    assert_eq!(
        text(&el(&root, "#key-history-title")),
        format!("Key · {id}"),
        "no name is known: the id"
    );
    assert_eq!(
        text(&el(&root, "#key-jobs-empty")),
        "This browser has not run a job on this key."
    );
    let failed = wait_for(&root, "#key-failed", 5000).await;
    assert_eq!(attr(&root, "#key-failed", "role").as_deref(), Some("alert"));
    assert!(
        text(&failed).starts_with("⚠ The key could not be read from the manager. "),
        "{}",
        text(&failed)
    );
    // No session here: the manager is never asked, and the sentence says why.
    assert_eq!(
        text(&el(&failed, ".error-sentence")),
        "Your session has expired; please log in again."
    );
    click(&root, "#key-retry").await;
    let again = wait_for(&root, "#key-failed", 5000).await;
    assert!(
        !failed.is_connected() && again.is_connected(),
        "the key was read again (the failure view was replaced, through Loading)"
    );
    assert!(
        !has(&root, "#key-actions"),
        "nothing is offered for a key not read"
    );
}

#[wasm_bindgen_test]
async fn an_id_that_is_not_a_uuid_is_not_sent() {
    let root = render::<KeyHistory>(props("not-a-uuid", vec![], offline())).await;
    let failed = wait_for(&root, "#key-failed", 2000).await;
    assert_eq!(
        text(&el(&failed, ".error-sentence")),
        "The request was not sent: 'not-a-uuid' is not a valid id (a UUID was expected)."
    );
}

#[wasm_bindgen_test]
async fn close_and_escape() {
    let closed = Recorder::new();
    let mut p = props(&uuid(44), vec![], offline());
    p.on_close = closed.callback();
    let root = render::<KeyHistory>(p).await;
    assert_eq!(
        focused().and_then(|e| e.get_attribute("id")).as_deref(),
        Some("key-history-close"),
        "focus moves into the panel"
    );
    click(&root, "#key-history-close").await;
    press(&el(&root, "#key-history"), "Escape").await;
    assert_eq!(closed.count(), 2);
}

#[wasm_bindgen_test]
async fn the_key_now_every_field_the_raw_json_and_a_way_to_delete_or_restore_it() {
    let (api, id, name) = sim_session().await;
    let started = Recorder::<(Submission, Rc<Vec<SapKey>>)>::new();
    let mut p = props(&id, vec![], api);
    p.on_start = started.callback();
    let root = render::<KeyHistory>(p).await;
    wait_for(&root, "#key-fields", 5000).await;
    assert_eq!(
        text(&el(&root, "#key-history-title")),
        format!("Key · {name}")
    );
    let labels = texts(&root, "#key-fields > dt");
    for l in ["Name", "CCKM key id", "SAP key id", "Group"] {
        assert!(labels.iter().any(|t| t == l), "{l} in {labels:?}");
    }
    assert!(
        text(&el(&root, "#key-fields > dd[data-path='id']")).contains(&id),
        "the id is shown"
    );
    assert_eq!(
        attr(
            &root,
            "#key-fields > dd[data-path='id'] .copy-id",
            "aria-label"
        )
        .as_deref(),
        Some("Copy CCKM key id")
    );
    assert!(has(
        &root,
        "#key-fields > dd[data-path='sap_param.sap_key_id'] .copy-id"
    ));
    let raw: serde_json::Value =
        serde_json::from_str(&text(&el(&root, "#key-raw"))).expect("the raw key is JSON");
    assert_eq!(raw["id"], id.as_str());
    // Every top-level field of the answer is listed, known or not (objects by their fields).
    let dds = root
        .query_selector_all("#key-fields > dd")
        .expect("a selector");
    let paths: Vec<String> = (0..dds.length())
        .filter_map(|i| dds.item(i))
        .filter_map(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
        .filter_map(|e| e.get_attribute("data-path"))
        .collect();
    for k in raw.as_object().expect("an object").keys() {
        assert!(
            paths
                .iter()
                .any(|p| p == k || p.starts_with(&format!("{k}."))),
            "{k} missing from {paths:?}"
        );
    }

    // Copy: the browser says yes or no, and the panel says which.
    click(&root, "#key-fields > dd[data-path='id'] .copy-id").await;
    for _ in 0..40 {
        settle().await;
        let t = text(&el(&root, "#key-fields > dd[data-path='id']"));
        if t.contains("Copied ✓") || t.contains("Could not copy: ") {
            break;
        }
        sleep(25).await;
    }
    let t = text(&el(&root, "#key-fields > dd[data-path='id']"));
    assert!(
        t.contains("Copied ✓") || t.contains("Could not copy: "),
        "{t}"
    );

    // Delete or restore, whichever applies, hands this one key to the confirmation.
    let button = if has(&root, "#key-delete") {
        "#key-delete"
    } else {
        "#key-restore"
    };
    click(&root, button).await;
    let calls = started.calls();
    assert_eq!(calls.len(), 1);
    let (s, keys) = &calls[0];
    let op = if button == "#key-delete" {
        Operation::Delete
    } else {
        Operation::Restore
    };
    assert_eq!(*s, Submission::new(op, false));
    assert_eq!(
        keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
}

#[wasm_bindgen_test]
async fn a_key_that_no_longer_exists() {
    let (api, _, _) = sim_session().await;
    let id = uuid(77_777);
    let k = key_ref("retired-key", &id);
    let entry = ended(
        ledger_entry(7, &k, Operation::Delete, T0),
        "COMPLETED",
        JobPhase::Succeeded,
        T0 + 1000.0,
    );
    let root = render::<KeyHistory>(props(&id, vec![entry], api)).await;
    let missing = wait_for(&root, "#key-missing", 5000).await;
    assert!(
        text(&missing).starts_with("This key no longer exists on the manager."),
        "{}",
        text(&missing)
    );
    assert_eq!(
        text(&el(&root, "#key-history-title")),
        "Key · retired-key",
        "the name from the ledger"
    );
    assert_eq!(
        count(&root, "#key-jobs > li"),
        1,
        "its jobs are still listed"
    );
    assert!(!has(&root, "#key-actions"));
}

#[wasm_bindgen_test]
async fn a_running_job_stops_both_operations_and_says_why() {
    let (api, id, _) = sim_session().await;
    let running = ledger_entry(8, &key_ref("x", &id), Operation::Delete, T0);
    let root = render::<KeyHistory>(props(&id, vec![running], api)).await;
    wait_for(&root, "#key-actions", 5000).await;
    assert!(!has(&root, "#key-delete") && !has(&root, "#key-restore"));
    assert_eq!(
        texts(&root, "#key-actions .key-blocked"),
        ["ℹ Not offered: a job is already running for this key."]
    );
}
