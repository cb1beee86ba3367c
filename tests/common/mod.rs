//! Shared by the component tests (tests/{key_table,job_form,confirm_dialog,job_list,job_detail,
//! login,small_views}.rs): a root to render into, DOM and event helpers, a callback recorder, and
//! the fixtures. Every fixture is built here from struct literals and the page's constructors,
//! never through its JSON readers; the page's types are re-exported from here, so when they move
//! or change, this module is the one place to adapt.
#![allow(dead_code, unused_imports)] // each test file uses its own part of this module

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::{BaseComponent, Callback};

pub use cckm_sap_admin::api::client::Api;
pub use cckm_sap_admin::api::error::ApiError;
pub use cckm_sap_admin::api::groups::SapGroup;
pub use cckm_sap_admin::api::jobs::{Job, Operation};
pub use cckm_sap_admin::api::keys::{SapKey, SapParam};
pub use cckm_sap_admin::api::sign_in::SignIn;
pub use cckm_sap_admin::domain::job_state::JobPhase;
pub use cckm_sap_admin::domain::key_fetch::{FetchState, KeyPage};
pub use cckm_sap_admin::domain::key_ref::KeyRef;
pub use cckm_sap_admin::domain::ledger::{Ledger, LedgerEntry, StateSeen, Verification};
pub use cckm_sap_admin::domain::manager_error::ManagerError;
pub use cckm_sap_admin::domain::permissions::{Refusals, Scope};
pub use cckm_sap_admin::domain::plan::SkipReason;
pub use cckm_sap_admin::hooks::use_ledger::EntryRef;

// ---------------------------------------------------------------------------------------------
// Rendering and the DOM

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// A fresh element in the page's body: each test renders into its own.
pub fn root() -> Element {
    let doc = document();
    let div = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&div)
        .expect("appended");
    div
}

/// Lets Yew render and run its effects.
pub async fn settle() {
    yew::scheduler::flush().await;
}

pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Renders `C` with `props` into a fresh root and lets it settle.
pub async fn render<C: BaseComponent>(props: C::Properties) -> Element {
    let root = root();
    yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    settle().await;
    root
}

/// The first element under `root` matching `selector`; fails the test if there is none.
pub fn el(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("no {selector} in {}", root.inner_html()))
}

/// The element that has the focus.
pub fn focused() -> Option<Element> {
    document().active_element()
}

/// Gives `selector` under `root` the focus.
pub fn focus(root: &Element, selector: &str) {
    el(root, selector)
        .dyn_into::<HtmlElement>()
        .expect("an HTML element")
        .focus()
        .expect("focusable");
}

/// Whether `root` holds an element matching `selector`.
pub fn has(root: &Element, selector: &str) -> bool {
    root.query_selector(selector)
        .expect("a valid selector")
        .is_some()
}

pub fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector)
        .expect("a valid selector")
        .length()
}

pub fn text(e: &Element) -> String {
    e.text_content().unwrap_or_default()
}

/// The text of every element matching `selector`, in order.
pub fn texts(root: &Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.text_content().unwrap_or_default())
        .collect()
}

/// Whether the element's `class` holds `class`.
pub fn has_class(e: &Element, class: &str) -> bool {
    e.get_attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

pub fn attr(root: &Element, selector: &str, name: &str) -> Option<String> {
    el(root, selector).get_attribute(name)
}

pub fn button(root: &Element, selector: &str) -> HtmlButtonElement {
    el(root, selector).dyn_into().expect("a button")
}

pub fn input(root: &Element, selector: &str) -> HtmlInputElement {
    el(root, selector).dyn_into().expect("an input")
}

pub fn select(root: &Element, selector: &str) -> HtmlSelectElement {
    el(root, selector).dyn_into().expect("a select")
}

/// Clicks the element and lets Yew render.
pub async fn click(root: &Element, selector: &str) {
    el(root, selector)
        .dyn_into::<HtmlElement>()
        .expect("an HTML element")
        .click();
    settle().await;
}

/// Types `value` into the field as one input event.
pub async fn type_into(field: &HtmlInputElement, value: &str) {
    field.set_value(value);
    field
        .dispatch_event(&web_sys::InputEvent::new("input").expect("an input event"))
        .expect("dispatched");
    settle().await;
}

/// Picks `value` in the select, as a user does (a change event).
pub async fn choose(field: &HtmlSelectElement, value: &str) {
    field.set_value(value);
    field
        .dispatch_event(&web_sys::Event::new("change").expect("a change event"))
        .expect("dispatched");
    settle().await;
}

/// Runs `body` as a JavaScript function of `el` (for events web-sys cannot build here).
fn run_js(el: &Element, body: &str) {
    js_sys::Function::new_with_args("el", body)
        .call1(&JsValue::NULL, el)
        .expect("the script ran");
}

/// Presses `key` on the element (a bubbling keydown).
pub async fn press(el: &Element, key: &str) {
    key_down(el, key, false).await;
}

/// Presses Shift+`key` on the element.
pub async fn press_shifted(el: &Element, key: &str) {
    key_down(el, key, true).await;
}

async fn key_down(el: &Element, key: &str, shift: bool) {
    run_js(
        el,
        &format!("el.dispatchEvent(new KeyboardEvent('keydown', {{key: {key:?}, shiftKey: {shift}, bubbles: true, cancelable: true}}));"),
    );
    settle().await;
}

/// Submits the form the way Enter does, whatever state its submit button is in.
pub async fn submit(form: &Element) {
    run_js(form, "el.requestSubmit();");
    settle().await;
}

/// Polls (rendering in between) until `root` holds `selector`, for at most `ms`.
pub async fn wait_for(root: &Element, selector: &str, ms: u32) -> Element {
    for _ in 0..(ms / 25).max(1) {
        settle().await;
        if let Some(e) = root.query_selector(selector).expect("a valid selector") {
            return e;
        }
        sleep(25).await;
    }
    panic!("no {selector} within {ms} ms in {}", root.inner_html())
}

// ---------------------------------------------------------------------------------------------
// Callbacks

/// Records every value a callback is given.
pub struct Recorder<T>(Rc<RefCell<Vec<T>>>);

impl<T: Clone + 'static> Recorder<T> {
    pub fn new() -> Self {
        Recorder(Rc::new(RefCell::new(Vec::new())))
    }

    pub fn callback(&self) -> Callback<T> {
        let calls = self.0.clone();
        Callback::from(move |v: T| calls.borrow_mut().push(v))
    }

    pub fn calls(&self) -> Vec<T> {
        self.0.borrow().clone()
    }

    pub fn count(&self) -> usize {
        self.0.borrow().len()
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A name that would inject markup if it were rendered as HTML.
pub const HOSTILE: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>";

/// A key name far longer than any column.
pub fn long_name() -> String {
    format!("payroll-{}", "very-long-segment-".repeat(20))
}

/// The simulator the login tests talk to (`CCKM_SIM_URL`, set by `cargo xtask test`).
pub fn sim_url() -> &'static str {
    let Some(url) = option_env!("CCKM_SIM_URL") else {
        panic!("CCKM_SIM_URL is not set: run the wasm tests through `cargo xtask test`");
    };
    url
}

/// A UUID made from `n`, distinct for each `n`.
pub fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// A key as the manager lists it: group "payroll", AES 256, updated in 2021.
pub fn key(id: &str, name: &str, gone: bool, enabled: bool) -> SapKey {
    SapKey {
        id: id.into(),
        name: Some(name.into()),
        gone: Some(gone),
        sap_group_name: Some("payroll".into()),
        updated_at: Some("2021-10-18T05:48:26.754073Z".into()),
        sap_param: Some(SapParam {
            enabled: Some(enabled),
            key_type: Some("AES".into()),
            size: Some(256),
            ..SapParam::default()
        }),
        ..SapKey::default()
    }
}

/// A key whose answer leaves out `gone` and the name.
pub fn bare_key(id: &str) -> SapKey {
    SapKey {
        id: id.into(),
        sap_param: Some(SapParam {
            enabled: Some(true),
            ..SapParam::default()
        }),
        ..SapKey::default()
    }
}

pub fn page(keys: Vec<SapKey>, total: u64) -> KeyPage {
    KeyPage {
        keys: Rc::new(keys),
        total,
        skipped: 0,
        messages: vec![],
    }
}

pub fn group(name: &str) -> SapGroup {
    SapGroup {
        id: format!("group-{name}"),
        name: Some(name.into()),
        ..SapGroup::default()
    }
}

pub fn key_ref(name: &str, id: &str) -> KeyRef {
    KeyRef {
        id: id.into(),
        name: name.into(),
        group: Some("payroll".into()),
        sap_key_id: None,
    }
}

/// The error a manager's 500 answer with this message and request id gives.
pub fn manager_500(message: &str, request_id: &str) -> ApiError {
    let body = format!(
        "{{\"code\":500,\"codeDesc\":\"NCERRInternalServerError: boom\",\"message\":{message:?},\"requestID\":{request_id:?}}}"
    );
    ApiError::from_response(500, "Internal Server Error", &body, None)
}

/// What the manager refused, shown with its name and request id.
pub fn manager_error(message: &str) -> ManagerError {
    ManagerError {
        name: Some("NCERRNotFound".into()),
        message: message.into(),
        request_id: Some("req-7f3a".into()),
        at_ms: 0.0,
    }
}

/// The time the job fixtures start at (2024-05-01 UTC).
pub const T0: f64 = 1_714_521_600_000.0;

/// A job the page started for `key` at `at_ms`, as the manager first answered it (`PENDING`).
/// Built as the page builds it (`LedgerEntry::started`); change its public fields for other phases.
pub fn ledger_entry(job: u32, key: &KeyRef, op: Operation, at_ms: f64) -> LedgerEntry {
    let job = Job {
        id: uuid(job),
        state: "PENDING".into(),
        cckm_key_id: Some(key.id.clone()),
        operation: Some(op.as_str().into()),
        ..Job::default()
    };
    LedgerEntry::started(&job, key, op, false, "admin", "https://cm.example", at_ms)
}

/// The entry moved on to `state` in `phase` at `at_ms`.
pub fn ended(mut e: LedgerEntry, state: &str, phase: JobPhase, at_ms: f64) -> LedgerEntry {
    e.states.push(StateSeen {
        state: state.into(),
        at_ms,
    });
    e.phase = phase;
    e.last_change_ms = at_ms;
    e
}

pub fn rows(entries: Vec<LedgerEntry>) -> Rc<Vec<EntryRef>> {
    Rc::new(entries.into_iter().map(|e| EntryRef(Rc::new(e))).collect())
}

pub fn ledger(entries: Vec<LedgerEntry>) -> Ledger {
    let mut l = Ledger::new();
    for e in entries {
        l.add(e);
    }
    l
}

/// The entry with `raw` as the manager's last job answer.
pub fn with_last_job(mut e: LedgerEntry, raw: serde_json::Value) -> LedgerEntry {
    e.last_job = Some(Rc::new(raw));
    e
}

/// An `Api` logged in to the simulator as admin, and the id and name of the first key it lists.
pub async fn sim_session() -> (Api, String, String) {
    let api = Api::new(sim_url());
    api.login(&SignIn::new("admin", "", ""), "admin")
        .await
        .expect("the simulator accepts admin/admin");
    let (page, _) = api.keys("limit=1").await.expect("the simulator lists keys");
    let first = page.resources.first().expect("the simulator has keys");
    (api, first.id.clone(), first.display_name())
}
