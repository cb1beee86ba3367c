#![cfg(target_arch = "wasm32")]
//! The job form rendered from a fixed selection: which operation it offers, which keys it skips
//! and why, the delete_if_backup_fails flag, and what it asks to review.
mod common;

use std::rc::Rc;

use cckm_sap_admin::components::job_form::{JobForm, JobFormProps};
use cckm_sap_admin::domain::submit::Submission;
use common::*;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn props(selected: Vec<SapKey>) -> JobFormProps {
    JobFormProps {
        selected: Rc::new(selected),
        ledger: Ledger::new().into(),
        refusals: Refusals::default(),
        on_review: Callback::noop(),
        on_clear: Callback::noop(),
    }
}

fn in_group(k: SapKey, group: &str) -> SapKey {
    SapKey {
        sap_group_name: Some(group.into()),
        ..k
    }
}

#[wasm_bindgen_test]
async fn nothing_selected_shows_a_hint_and_no_button() {
    let root = render::<JobForm>(props(vec![])).await;
    assert!(has_class(&el(&root, "#job-form"), "empty"));
    assert_eq!(
        text(&el(&root, ".hint")),
        "Select keys in the table to delete them from SAP or restore them from their backup."
    );
    assert!(!has(&root, "#review") && !has(&root, "#refusals-note"));
}

#[wasm_bindgen_test]
async fn a_mixed_selection_offers_delete_and_lists_the_gone_key_as_skipped() {
    let cleared = Recorder::new();
    let reviewed = Recorder::new();
    let mut p = props(vec![
        key(&uuid(1), "payroll-master", false, true),
        key(&uuid(2), "payroll-old", true, false),
        key(&uuid(3), "crm-disabled", false, false),
    ]);
    p.on_clear = cleared.callback();
    p.on_review = reviewed.callback();
    let root = render::<JobForm>(p).await;
    assert_eq!(text(&el(&root, "#selected-count")), "3 keys selected");
    assert!(input(&root, "#op-delete").checked() && !input(&root, "#op-delete").disabled());
    assert!(
        !input(&root, "#op-restore").disabled(),
        "the gone key can be restored"
    );
    assert_eq!(
        texts(&root, ".ops label span"),
        [
            "Delete from SAP — 2 keys; the backup stays in CipherTrust Manager",
            "Restore to SAP — 1 key, from their backup",
        ]
    );
    assert_eq!(
        text(&el(&root, "#skipped-list p")),
        "1 selected key will be skipped:"
    );
    assert_eq!(
        texts(&root, "#skipped-list li"),
        ["payroll-old — already deleted from SAP"]
    );
    let review = button(&root, "#review");
    assert_eq!(text(&review), "Delete 2 keys…");
    assert!(has_class(&review, "danger") && !review.disabled());

    // The flag: off by default, its warning stronger when on, and sent with the review.
    assert!(!input(&root, "#flag-delete-if-backup-fails").checked());
    assert!(!has_class(&el(&root, "#flag-warning"), "strong"));
    click(&root, "#review").await;
    click(&root, "#flag-delete-if-backup-fails").await;
    assert!(has_class(&el(&root, "#flag-warning"), "strong"));
    click(&root, "#review").await;
    assert_eq!(
        reviewed.calls(),
        [
            Submission::new(Operation::Delete, false),
            Submission::new(Operation::Delete, true)
        ]
    );

    // Restore: the flag goes, the present keys are the skipped ones.
    click(&root, "#op-restore").await;
    assert!(!has(&root, "#flag-delete-if-backup-fails") && !has(&root, "#flag-warning"));
    assert_eq!(
        texts(&root, "#skipped-list li"),
        [
            "payroll-master — not deleted, nothing to restore",
            "crm-disabled — not deleted, nothing to restore"
        ]
    );
    assert!(has_class(&button(&root, "#review"), "primary"));
    click(&root, "#review").await;
    assert_eq!(
        reviewed.calls()[2],
        Submission::new(Operation::Restore, false),
        "the flag only goes with delete"
    );
    click(&root, ".selection-line button").await;
    assert_eq!(cleared.count(), 1);
}

#[wasm_bindgen_test]
async fn only_gone_keys_pick_restore_by_themselves() {
    let reviewed = Recorder::new();
    let mut p = props(vec![
        key(&uuid(1), "a", true, false),
        key(&uuid(2), "b", true, false),
    ]);
    p.on_review = reviewed.callback();
    let root = render::<JobForm>(p).await;
    assert!(input(&root, "#op-delete").disabled());
    assert!(has_class(&el(&root, ".ops label"), "disabled"));
    assert!(input(&root, "#op-restore").checked());
    assert_eq!(text(&el(&root, "#review")), "Restore 2 keys…");
    assert!(!has(&root, "#skipped-list"));
    click(&root, "#review").await;
    assert_eq!(
        reviewed.calls(),
        [Submission::new(Operation::Restore, false)]
    );
}

#[wasm_bindgen_test]
async fn running_jobs_invalid_ids_and_duplicates_leave_nothing_to_post() {
    let running = key(&uuid(1), "payroll-busy", false, true);
    let job = ledger_entry(9, &KeyRef::from(&running), Operation::Delete, T0);
    let reviewed = Recorder::new();
    let mut p = props(vec![
        running,
        key("not-a-uuid", HOSTILE, false, true),
        key(&uuid(1), "payroll-busy", false, true),
    ]);
    p.ledger = ledger(vec![job]).into();
    p.on_review = reviewed.callback();
    let root = render::<JobForm>(p).await;
    assert_eq!(
        texts(&root, "#skipped-list li"),
        [
            "payroll-busy — a job is already running for this key".to_string(),
            format!("{HOSTILE} — its id is not a valid UUID"),
            "payroll-busy — selected twice".to_string(),
        ]
    );
    assert!(!has(&root, "img"), "a hostile name is text");
    let review = button(&root, "#review");
    assert!(review.disabled());
    assert_eq!(text(&review), "Nothing to post for the selected keys");
    assert!(
        !has(&root, "#flag-delete-if-backup-fails"),
        "no flag for nothing"
    );
    review.click();
    settle().await;
    assert_eq!(reviewed.count(), 0);
}

#[wasm_bindgen_test]
async fn a_refused_group_is_noted_and_its_keys_skipped() {
    let mut refusals = Refusals::default();
    refusals.learn(
        Scope::Group("crm".into()),
        Operation::Delete,
        Some("User is not authorized"),
    );
    let mut p = props(vec![
        key(&uuid(1), "payroll-master", false, true),
        in_group(key(&uuid(2), "crm-master", false, true), "crm"),
    ]);
    p.refusals = refusals.clone();
    let root = render::<JobForm>(p).await;
    assert_eq!(
        text(&el(&root, "#refusals-note")),
        "ℹ The manager does not let you delete in group crm. Keys there are marked and not posted; an administrator can change the group's permissions."
    );
    assert_eq!(
        texts(&root, "#skipped-list li"),
        ["crm-master — not permitted: you may not delete keys of group crm (the manager refused)"]
    );
    assert_eq!(text(&el(&root, "#review")), "Delete 1 key…");

    // The note stays when nothing is selected.
    let mut p = props(vec![]);
    p.refusals = refusals;
    let root = render::<JobForm>(p).await;
    assert!(has(&root, "#refusals-note"));
}

#[wasm_bindgen_test]
async fn a_long_skip_list_is_cut_at_twenty() {
    let keys: Vec<SapKey> = (1..=25)
        .map(|i| key(&uuid(i), &format!("gone-{i:02}"), true, false))
        .chain([key(&uuid(99), &long_name(), false, true)])
        .collect();
    let root = render::<JobForm>(props(keys)).await;
    assert_eq!(
        text(&el(&root, "#skipped-list p")),
        "25 selected keys will be skipped:"
    );
    let items = texts(&root, "#skipped-list li");
    assert_eq!(items.len(), 21);
    assert_eq!(items[0], "gone-01 — already deleted from SAP");
    assert_eq!(items[20], "… and 5 more");
    assert_eq!(text(&el(&root, "#review")), "Delete 1 key…");
}
