#![cfg(target_arch = "wasm32")]
//! wasm tests in headless Chromium: components render from fixtures into a root, and the login
//! form talks to a real simulator (`CCKM_SIM_URL`, started with `--cors` by `cargo xtask test`).
use std::collections::HashSet;
use std::rc::Rc;

use cckm_sap_admin::api::client::Api;
use cckm_sap_admin::api::types::{Operation, SapGroup, SapKey};
use cckm_sap_admin::components::confirm_dialog::{ConfirmDialog, ConfirmProps};
use cckm_sap_admin::components::key_table::{KeyTable, KeyTableProps};
use cckm_sap_admin::components::login::{Login, LoginProps};
use cckm_sap_admin::domain::key_query::KeyQuery;
use cckm_sap_admin::domain::plan::KeyRef;
use cckm_sap_admin::hooks::use_keys::{FetchState, KeyPage};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn root() -> Element {
    let doc = gloo_utils_document();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn gloo_utils_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn key(id: &str, name: &str, gone: bool, enabled: bool) -> SapKey {
    cckm_sap_admin::api::read::FromJson::from_json(serde_json::json!({
        "id": id, "name": name, "gone": gone, "sap_group_name": "payroll",
        "updatedAt": "2021-10-18T05:48:26.754073Z",
        "sap_param": {"enabled": enabled, "type": "AES", "size": 256}
    }))
    .unwrap()
}

async fn settle() {
    yew::scheduler::flush().await;
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// A key table showing `fetch`, with nothing selected and callbacks that do nothing.
fn table_props(fetch: FetchState<KeyPage>) -> KeyTableProps {
    KeyTableProps {
        fetch,
        query: KeyQuery::default(),
        groups: Rc::new(Vec::<SapGroup>::new()),
        selected: Rc::new(HashSet::new()),
        running: Rc::new(HashSet::new()),
        on_query: Callback::noop(),
        on_toggle: Callback::noop(),
        on_toggle_page: Callback::noop(),
        on_retry: Callback::noop(),
    }
}

const HOSTILE: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>";

#[wasm_bindgen_test]
async fn key_table_renders_rows_as_text() {
    let keys = vec![
        key(
            "d109deae-5ca7-421d-bf49-637e65c3bbcb",
            "payroll-master",
            false,
            true,
        ),
        key("b707ea86-37bb-4212-ad09-2635698dbe4a", HOSTILE, true, false),
        key(
            "5db60499-9f4f-4143-b963-370459d3cef1",
            "crm-disabled-01",
            false,
            false,
        ),
    ];
    let mut props = table_props(FetchState::Loaded(KeyPage {
        keys: Rc::new(keys),
        total: 1234,
        skipped: 1,
        messages: vec![],
    }));
    props.selected = Rc::new(HashSet::from([
        "d109deae-5ca7-421d-bf49-637e65c3bbcb".to_string()
    ]));
    let root = root();
    yew::Renderer::<KeyTable>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let rows = root.query_selector_all("tbody tr").unwrap();
    assert_eq!(rows.length(), 3);
    let text = root.text_content().unwrap();
    assert!(text.contains(HOSTILE), "the hostile name is shown as text");
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "no element was injected"
    );
    assert!(text.contains("Deleted from SAP"));
    assert!(text.contains("Disabled"));
    assert!(
        text.contains("1–50 of 1,234") || text.contains("1–3 of 1,234"),
        "range label: {text}"
    );
    assert!(
        text.contains("could not be read"),
        "skipped resources are reported"
    );
    let checked = root.query_selector("tr.selected").unwrap();
    assert!(checked.is_some(), "the selected key is marked");
}

#[wasm_bindgen_test]
async fn key_table_has_distinct_loading_empty_and_error_views() {
    for (fetch, id) in [
        (FetchState::Loading { previous: None }, "keys-loading"),
        (
            FetchState::Loaded(KeyPage {
                keys: Rc::new(vec![]),
                total: 0,
                skipped: 0,
                messages: vec![],
            }),
            "keys-empty",
        ),
        (
            FetchState::Failed {
                error: cckm_sap_admin::api::error::ApiError::from_response(
                    500,
                    "Internal Server Error",
                    "{\"code\":500,\"codeDesc\":\"NCERRInternalServerError\",\"message\":\"boom\"}",
                    None,
                ),
                previous: None,
            },
            "keys-error",
        ),
    ] {
        let props = table_props(fetch);
        let root = root();
        yew::Renderer::<KeyTable>::with_root_and_props(root.clone(), props).render();
        settle().await;
        assert!(
            root.query_selector(&format!("#{id}")).unwrap().is_some(),
            "{id} shown"
        );
        if id == "keys-error" {
            assert!(root.text_content().unwrap().contains("boom"));
        }
    }
}

fn kref(name: &str, id: &str) -> KeyRef {
    KeyRef {
        id: id.into(),
        name: name.into(),
        group: Some("payroll".into()),
        sap_key_id: None,
    }
}

#[wasm_bindgen_test]
async fn confirm_stays_disabled_until_the_typed_text_matches() {
    let root = root();
    let confirmed = Rc::new(std::cell::Cell::new(0));
    let c2 = confirmed.clone();
    let props = ConfirmProps {
        operation: Operation::Delete,
        delete_if_backup_fails: false,
        keys: vec![
            kref("payroll-master", "d109deae-5ca7-421d-bf49-637e65c3bbcb"),
            kref("payroll-archive", "b707ea86-37bb-4212-ad09-2635698dbe4a"),
        ],
        skipped: vec![],
        outcomes: None,
        on_confirm: Callback::from(move |_| c2.set(c2.get() + 1)),
        on_close: Callback::noop(),
    };
    yew::Renderer::<ConfirmDialog>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let button: HtmlButtonElement = root
        .query_selector("#confirm-submit")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let input: HtmlInputElement = root
        .query_selector("#confirm-input")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(button.disabled());
    assert!(root.text_content().unwrap().contains("DELETE 2 KEYS"));
    for (typed, enabled) in [
        ("delete 2 keys", false),
        ("DELETE 2 KEY", false),
        ("DELETE 2 KEYS", true),
    ] {
        input.set_value(typed);
        input
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        settle().await;
        assert_eq!(!button.disabled(), enabled, "typed {typed:?}");
    }
    button.click();
    settle().await;
    assert_eq!(confirmed.get(), 1);
}

#[wasm_bindgen_test]
async fn login_form_reports_a_401_in_words() {
    let Some(sim) = option_env!("CCKM_SIM_URL") else {
        panic!("CCKM_SIM_URL is not set: run the wasm tests through `cargo xtask test`");
    };
    let root = root();
    let props = LoginProps {
        api: Api::new(sim),
        on_logged_in: Callback::noop(),
        expired: None,
    };
    yew::Renderer::<Login>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let user: HtmlInputElement = root
        .query_selector("#login-username")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let pass: HtmlInputElement = root
        .query_selector("#login-password")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    user.set_value("admin");
    pass.set_value("wrong-password");
    let button: HtmlButtonElement = root
        .query_selector("#login-submit")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    button.click();
    let mut error = None;
    for _ in 0..100 {
        sleep(50).await;
        settle().await;
        if let Some(e) = root.query_selector("#login-error").unwrap() {
            error = e.text_content();
            break;
        }
    }
    let error = error.expect("the login form shows an error");
    assert!(
        error.contains("refused the username or password"),
        "{error}"
    );
    assert!(!error.contains("wrong-password"));
}
