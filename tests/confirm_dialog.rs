#![cfg(target_arch = "wasm32")]
//! The confirmation dialog rendered from fixed props: the typed confirmation, the plain one for
//! restore, skipped keys, and each key's outcome once the jobs are posted.
mod common;

use cckm_sap_admin::components::confirm_dialog::{ConfirmDialog, ConfirmProps};
use cckm_sap_admin::domain::review::KeyOutcome;
use common::*;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn props(operation: Operation, keys: Vec<KeyRef>) -> ConfirmProps {
    ConfirmProps {
        operation,
        delete_if_backup_fails: false,
        keys,
        skipped: vec![],
        outcomes: None,
        on_confirm: Callback::noop(),
        on_close: Callback::noop(),
        title: None,
        always_typed: false,
    }
}

fn two_keys() -> Vec<KeyRef> {
    vec![
        key_ref("payroll-master", &uuid(1)),
        key_ref("payroll-archive", &uuid(2)),
    ]
}

#[wasm_bindgen_test]
async fn delete_stays_disabled_until_the_typed_text_matches() {
    let confirmed = Recorder::new();
    let mut p = props(Operation::Delete, two_keys());
    p.on_confirm = confirmed.callback();
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(
        text(&el(&root, "#confirm-title")),
        "Delete 2 keys from SAP?"
    );
    assert_eq!(text(&el(&root, ".phrase")), "DELETE 2 KEYS");
    assert_eq!(
        texts(&root, ".confirm-name"),
        ["payroll-master", "payroll-archive"]
    );
    assert_eq!(texts(&root, ".confirm-group"), ["payroll", "payroll"]);
    assert!(
        text(&el(&root, ".lead")).ends_with("If a key's backup fails, that key is not deleted.")
    );
    let submit_button = button(&root, "#confirm-submit");
    assert_eq!(text(&submit_button), "Delete 2 keys");
    assert!(has_class(&submit_button, "danger"));
    assert!(submit_button.disabled());
    let field = input(&root, "#confirm-input");
    for (typed, enabled) in [
        ("delete 2 keys", false),
        ("DELETE 2 KEY", false),
        (" DELETE 2 KEYS", false),
        ("DELETE 2 KEYS", true),
    ] {
        type_into(&field, typed).await;
        assert_eq!(!submit_button.disabled(), enabled, "typed {typed:?}");
    }
    submit_button.click();
    settle().await;
    assert_eq!(confirmed.count(), 1);
}

#[wasm_bindgen_test]
async fn enter_does_not_confirm_before_the_text_matches() {
    let confirmed = Recorder::new();
    let mut p = props(Operation::Delete, vec![key_ref("payroll-master", &uuid(1))]);
    p.on_confirm = confirmed.callback();
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(text(&el(&root, "#confirm-title")), "Delete 1 key from SAP?");
    assert_eq!(
        text(&el(&root, ".phrase")),
        "payroll-master",
        "one key: its name"
    );
    type_into(&input(&root, "#confirm-input"), "payroll-maste").await;
    submit(&el(&root, "form")).await;
    assert_eq!(confirmed.count(), 0);
    type_into(&input(&root, "#confirm-input"), "payroll-master").await;
    submit(&el(&root, "form")).await;
    assert_eq!(confirmed.count(), 1);
}

#[wasm_bindgen_test]
async fn a_hostile_or_untypeable_name_is_shown_as_text_and_never_asked_for() {
    let root =
        render::<ConfirmDialog>(props(Operation::Delete, vec![key_ref(HOSTILE, &uuid(1))])).await;
    assert_eq!(
        text(&el(&root, ".phrase")),
        HOSTILE,
        "a typeable name is asked for"
    );
    assert_eq!(texts(&root, ".confirm-name"), [HOSTILE]);
    assert!(!has(&root, "img") && !has(&root, ".confirm-name script"));

    let spoof = "invoice-\u{202E}gpj.exe";
    let root =
        render::<ConfirmDialog>(props(Operation::Delete, vec![key_ref(spoof, &uuid(2))])).await;
    assert_eq!(text(&el(&root, ".phrase")), "DELETE 1 KEY");
    assert_eq!(texts(&root, ".confirm-name"), [spoof]);
    type_into(&input(&root, "#confirm-input"), "invoice-exe.jpg").await;
    assert!(button(&root, "#confirm-submit").disabled());
    type_into(&input(&root, "#confirm-input"), "DELETE 1 KEY").await;
    assert!(!button(&root, "#confirm-submit").disabled());
}

#[wasm_bindgen_test]
async fn restore_needs_no_typing_and_the_flag_is_spelled_out() {
    let confirmed = Recorder::new();
    let mut p = props(Operation::Restore, two_keys());
    p.on_confirm = confirmed.callback();
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(text(&el(&root, "#confirm-title")), "Restore 2 keys to SAP?");
    assert!(!has(&root, "#confirm-input"));
    let b = button(&root, "#confirm-submit");
    assert!(!b.disabled() && has_class(&b, "primary"));
    assert_eq!(text(&b), "Restore 2 keys");
    click(&root, "#confirm-submit").await;
    assert_eq!(confirmed.count(), 1);

    let mut p = props(Operation::Delete, two_keys());
    p.delete_if_backup_fails = true;
    let root = render::<ConfirmDialog>(p).await;
    assert!(text(&el(&root, ".lead"))
        .contains("delete_if_backup_fails is ON: a key whose backup fails is deleted anyway"));
}

#[wasm_bindgen_test]
async fn skipped_keys_are_listed_with_the_reason() {
    let mut p = props(Operation::Delete, two_keys());
    p.skipped = vec![
        (key_ref("crm-old", &uuid(3)), SkipReason::AlreadyGone),
        (key_ref(HOSTILE, &uuid(4)), SkipReason::JobRunning),
    ];
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(
        texts(&root, ".skipped-note .skip"),
        [
            "crm-old — already deleted from SAP; ",
            &format!("{HOSTILE} — a job is already running for this key; "),
        ]
    );
    assert!(text(&el(&root, ".skipped-note")).starts_with("Skipped (2): "));
    assert!(!has(&root, "img"));
}

#[wasm_bindgen_test]
async fn cancel_and_escape_close_before_posting() {
    let closed = Recorder::new();
    let mut p = props(Operation::Delete, two_keys());
    p.on_close = closed.callback();
    let root = render::<ConfirmDialog>(p).await;
    click(&root, "#confirm-cancel").await;
    assert_eq!(closed.count(), 1);
    press(&el(&root, "#confirm-input"), "Escape").await;
    assert_eq!(closed.count(), 2);
}

#[wasm_bindgen_test]
async fn while_posting_the_dialog_stays_open() {
    let closed = Recorder::new();
    let mut p = props(Operation::Delete, two_keys());
    p.outcomes = Some(vec![
        KeyOutcome::Created {
            state: "PENDING".into(),
        },
        KeyOutcome::Posting,
    ]);
    p.on_close = closed.callback();
    let root = render::<ConfirmDialog>(p).await;
    assert!(!has(&root, "#confirm-input") && !has(&root, "#confirm-submit"));
    assert_eq!(text(&el(&root, ".progress-note")), "Posting jobs…");
    assert!(button(&root, "#confirm-close").disabled());
    assert_eq!(
        texts(&root, "td.outcome"),
        ["✓ job created (PENDING)", "posting…"]
    );
    press(&el(&root, "#confirm-dialog"), "Escape").await;
    assert_eq!(closed.count(), 0, "Escape does not close while posting");
}

#[wasm_bindgen_test]
async fn each_key_shows_its_outcome_and_close_is_offered_at_the_end() {
    let closed = Recorder::new();
    let mut p = props(
        Operation::Delete,
        vec![
            key_ref("a", &uuid(1)),
            key_ref("b", &uuid(2)),
            key_ref("c", &uuid(3)),
            key_ref("d", &uuid(4)),
        ],
    );
    p.outcomes = Some(vec![
        KeyOutcome::Created {
            state: "IN_PROGRESS".into(),
        },
        KeyOutcome::Refused(manager_error(HOSTILE)),
        KeyOutcome::NotPermitted(
            "not permitted: you may not delete keys of group payroll (the manager refused)".into(),
            None,
        ),
        KeyOutcome::Unknown(ManagerError::from(
            "The manager did not answer: no answer within 30 s.",
        )),
    ]);
    p.on_close = closed.callback();
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(
        text(&el(&root, ".progress-note")),
        "Done. Follow the jobs in the list."
    );
    assert_eq!(
        texts(&root, "td.outcome .error-sentence"),
        [
            HOSTILE,
            "not permitted: you may not delete keys of group payroll (the manager refused)",
            "The manager did not answer: no answer within 30 s.",
        ]
    );
    assert!(text(&el(&root, "td.outcome .ok")).contains("IN_PROGRESS"));
    assert!(has(&root, "td.outcome .bad .request-id"));
    assert!(has(&root, "td.outcome .not-permitted") && has(&root, "td.outcome .unk"));
    assert!(!has(&root, "img"));
    let close = button(&root, "#confirm-close");
    assert!(!close.disabled());
    click(&root, "#confirm-close").await;
    assert_eq!(closed.count(), 1);
}

#[wasm_bindgen_test]
async fn focus_starts_in_the_field_and_tab_stays_inside() {
    let root = render::<ConfirmDialog>(props(Operation::Delete, two_keys())).await;
    assert_eq!(focused(), Some(el(&root, "#confirm-input")));
    // The submit button is disabled, so Cancel is the last control; Tab there wraps to the field.
    focus(&root, "#confirm-cancel");
    press(&el(&root, "#confirm-cancel"), "Tab").await;
    assert_eq!(focused(), Some(el(&root, "#confirm-input")));
    // Shift+Tab from the first control goes to the last.
    press_shifted(&el(&root, "#confirm-input"), "Tab").await;
    assert_eq!(focused(), Some(el(&root, "#confirm-cancel")));
}

#[wasm_bindgen_test]
async fn a_refusal_keeps_the_managers_name_with_the_pages_sentence() {
    let refused = ApiError::from_response(
        403,
        "Forbidden",
        r#"{"code":7,"codeDesc":"NCERRPermissionDenied: not allowed","message":"User is not authorized","requestID":"req-403"}"#,
        None,
    );
    let mut p = props(Operation::Delete, vec![key_ref("crm-master", &uuid(1))]);
    p.outcomes = Some(vec![KeyOutcome::NotPermitted(
        "not permitted: you may not delete keys of group payroll (the manager refused)".into(),
        Some(refused),
    )]);
    let root = render::<ConfirmDialog>(p).await;
    let cell = el(&root, "td.outcome .not-permitted");
    assert_eq!(
        text(&el(&cell, ".error-sentence")),
        "not permitted: you may not delete keys of group payroll (the manager refused)"
    );
    assert_eq!(text(&el(&cell, ".error-name")), "NCERRPermissionDenied");
    assert_eq!(text(&el(&cell, ".request-id")), "req-403");
}

#[wasm_bindgen_test]
async fn an_undo_says_what_it_is_and_types_even_a_restore() {
    let confirmed = Recorder::new();
    let mut p = props(Operation::Restore, two_keys());
    p.title = Some("Undo: restore 2 keys of batch 1a2b3c4d".into());
    p.always_typed = true;
    p.on_confirm = confirmed.callback();
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(
        text(&el(&root, "#confirm-title")),
        "Undo: restore 2 keys of batch 1a2b3c4d"
    );
    assert!(button(&root, "#confirm-submit").disabled());
    assert_eq!(text(&el(&root, ".phrase")), "RESTORE 2 KEYS");
    type_into(&input(&root, "#confirm-input"), "RESTORE 2 KEYS").await;
    assert!(!button(&root, "#confirm-submit").disabled());
    click(&root, "#confirm-submit").await;
    assert_eq!(confirmed.count(), 1);
    // Every key skipped: the dialog says so and offers only to close.
    let mut p = props(Operation::Delete, vec![]);
    p.title = Some("Retry of batch 1a2b3c4d: nothing to post".into());
    p.skipped = vec![(key_ref("gone-key", &uuid(3)), SkipReason::AlreadyGone)];
    let root = render::<ConfirmDialog>(p).await;
    assert_eq!(
        text(&el(&root, "#confirm-nothing")),
        "Nothing to post: every key was skipped, for the reason given beside it."
    );
    assert!(!has(&root, "#confirm-submit") && !has(&root, "#confirm-input"));
    assert_eq!(text(&el(&root, "#confirm-cancel")), "Close");
    assert!(text(&el(&root, ".skipped-note")).contains("gone-key — already deleted from SAP"));
}
