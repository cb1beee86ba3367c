#![cfg(target_arch = "wasm32")]
//! wasm tests in headless Chromium: components render from fixtures into a root, and the login
//! form talks to a real simulator (`CCKM_SIM_URL`, started with `--cors` by `cargo xtask test`).

use cckm_sap_admin::api::client::Api;
use cckm_sap_admin::components::login::{Login, LoginProps};
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

async fn settle() {
    yew::scheduler::flush().await;
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
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
