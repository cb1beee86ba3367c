#![cfg(target_arch = "wasm32")]
//! One job in full, rendered from a fixed ledger entry: its facts, timeline, raw answer, curl
//! commands and last error; its key read now from the simulator or refused before sending.
mod common;

use std::rc::Rc;

use cckm_sap_admin::components::job_detail::{JobDetail, JobDetailProps};
use common::*;
use serde_json::json;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

const ORIGIN: &str = "https://cm.example";

fn props(entry: LedgerEntry, api: Api) -> JobDetailProps {
    JobDetailProps {
        entry: EntryRef(Rc::new(entry)),
        api,
        origin: ORIGIN.into(),
        on_close: Callback::noop(),
        on_open_key: Callback::noop(),
    }
}

/// A key id the page will not send: the key is never asked for.
fn offline(entry: LedgerEntry) -> JobDetailProps {
    props(entry, Api::new("http://127.0.0.1:9"))
}

/// The `<dd>` after the `<dt>` reading `label`.
fn fact(root: &web_sys::Element, dl: &str, label: &str) -> String {
    let dts = texts(root, &format!("{dl} > dt"));
    let dds = texts(root, &format!("{dl} > dd"));
    let i = dts
        .iter()
        .position(|t| t == label)
        .unwrap_or_else(|| panic!("no {label} in {dts:?}"));
    dds[i].clone()
}

#[wasm_bindgen_test]
async fn facts_timeline_raw_answer_and_curl() {
    let e = ended(
        ledger_entry(1, &key_ref(HOSTILE, "not-a-uuid"), Operation::Delete, T0),
        "FAILED",
        JobPhase::Failed,
        T0 + 5000.0,
    );
    let mut e = with_last_job(
        e,
        json!({"id": uuid(1), "state": "FAILED", "error_details": "HSM offline"}),
    );
    e.failure_text = Some("HSM offline".into());
    let root = render::<JobDetail>(offline(e)).await;
    assert_eq!(
        text(&el(&root, "#detail-title")),
        format!("Delete job · {HOSTILE}")
    );
    assert!(!has(&root, "img"), "the name is text");
    assert_eq!(fact(&root, ".facts:first-of-type", "Job id"), uuid(1));
    assert_eq!(
        fact(&root, ".facts:first-of-type", "CCKM key id"),
        "not-a-uuid"
    );
    assert_eq!(
        fact(&root, ".facts:first-of-type", "Status"),
        "failed: HSM offline"
    );
    assert_eq!(
        fact(&root, ".facts:first-of-type", "delete_if_backup_fails"),
        "false"
    );
    assert!(fact(&root, ".facts:first-of-type", "Started by").starts_with("admin, "));
    let timeline = texts(&root, "#job-timeline li code");
    assert_eq!(timeline, ["PENDING", "FAILED"]);
    assert!(texts(&root, "#job-timeline li")[0].ends_with(" posted"));
    let raw: serde_json::Value =
        serde_json::from_str(&text(&el(&root, "#job-raw"))).expect("the raw job is JSON");
    assert_eq!(raw["error_details"], "HSM offline");
    let curl = text(&el(&root, "#job-curl"));
    assert!(
        curl.contains(&format!(
            "curl '{ORIGIN}/api/v1/cckm/sap/keys/jobs/{}'",
            uuid(1)
        )),
        "{curl}"
    );
    assert!(
        curl.contains("Bearer $TOKEN") && curl.contains("\"operation\":\"delete\""),
        "{curl}"
    );

    // The key is not asked for with an id that is not a UUID.
    let key_now = wait_for(&root, "p.bad", 2000).await;
    assert_eq!(
        text(&el(&key_now, ".error-sentence")),
        "The request was not sent: 'not-a-uuid' is not a valid id (a UUID was expected)."
    );
    assert!(!has(&root, "#job-last-error"));
}

#[wasm_bindgen_test]
async fn an_unread_answer_and_the_last_manager_error() {
    let mut e = ledger_entry(
        2,
        &key_ref("payroll-master", "not-a-uuid"),
        Operation::Restore,
        T0,
    );
    e.last_job = None;
    e.last_error = Some(manager_error("The manager failed: boom (HTTP 500)."));
    let root = render::<JobDetail>(offline(e)).await;
    assert_eq!(
        text(&el(&root, "#detail-title")),
        "Restore job · payroll-master"
    );
    assert_eq!(
        text(&el(&root, "#job-raw")),
        "The manager's answer has not been read yet."
    );
    let error = el(&root, "#job-last-error");
    assert_eq!(
        text(&el(&error, ".error-sentence")),
        "The manager failed: boom (HTTP 500)."
    );
    assert_eq!(text(&el(&error, ".error-name")), "NCERRNotFound");
    assert_eq!(text(&el(&error, ".request-id")), "req-7f3a");
    let copy = button(&error, ".copy-request-id");
    assert_eq!(text(&copy), "Copy");
    copy.click();
    settle().await;
    assert_eq!(text(&copy), "Copied ✓");
}

#[wasm_bindgen_test]
async fn copy_close_and_escape() {
    let closed = Recorder::new();
    let mut p = offline(ledger_entry(
        3,
        &key_ref("k", "not-a-uuid"),
        Operation::Delete,
        T0,
    ));
    p.on_close = closed.callback();
    let root = render::<JobDetail>(p).await;
    assert_eq!(text(&el(&root, "#copy-curl")), "Copy as curl");
    click(&root, "#copy-curl").await;
    assert_eq!(text(&el(&root, "#copy-curl")), "Copied ✓");
    click(&root, "#detail-close").await;
    press(&el(&root, "#job-detail"), "Escape").await;
    assert_eq!(closed.count(), 2);
}

#[wasm_bindgen_test]
async fn the_key_is_read_now_from_the_manager() {
    let (api, id, name) = sim_session().await;
    let e = ledger_entry(4, &key_ref("as it was named", &id), Operation::Delete, T0);
    let root = render::<JobDetail>(props(e, api)).await;
    assert!(
        has(&root, "#job-key") || text(&root).contains("Reading the key…"),
        "the key is being read"
    );
    wait_for(&root, "#job-key", 5000).await;
    assert_eq!(
        fact(&root, "#job-key", "Name"),
        name,
        "the name the manager gives now"
    );
    let state = fact(&root, "#job-key", "State");
    assert!(
        ["Enabled", "Disabled", "Deleted from SAP", "Unknown"].contains(&state.as_str()),
        "{state}"
    );
    assert!(!fact(&root, "#job-key", "Group").is_empty());
}

#[wasm_bindgen_test]
async fn the_keys_name_opens_its_history() {
    let opened = Recorder::new();
    let mut p = offline(ledger_entry(
        5,
        &key_ref("payroll-master", &uuid(50)),
        Operation::Delete,
        T0,
    ));
    p.on_open_key = opened.callback();
    let root = render::<JobDetail>(p).await;
    assert_eq!(
        fact(&root, ".facts:first-of-type", "Key"),
        "payroll-master — its history"
    );
    click(&root, "#detail-open-key").await;
    assert_eq!(opened.calls(), [uuid(50)]);
}
