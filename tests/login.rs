#![cfg(target_arch = "wasm32")]
//! The login form rendered in the browser: against the simulator (`CCKM_SIM_URL`) for a refused
//! and an accepted password, against a closed port for a manager that cannot be reached, and as
//! the expired-session form.
mod common;

use cckm_sap_admin::api::tokens::Tokens;
use cckm_sap_admin::components::login::{Login, LoginProps};
use common::*;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn props(api: Api) -> LoginProps {
    LoginProps {
        api,
        on_logged_in: Callback::noop(),
        expired: None,
    }
}

async fn log_in(root: &Element, user: &str, password: &str) {
    input(root, "#login-username").set_value(user);
    input(root, "#login-password").set_value(password);
    click(root, "#login-submit").await;
}

#[wasm_bindgen_test]
async fn a_refused_password_is_said_in_words_without_the_password() {
    let logged_in = Recorder::<Tokens>::new();
    let mut p = props(Api::new(sim_url()));
    p.on_logged_in = logged_in.callback();
    let root = render::<Login>(p).await;
    assert_eq!(
        text(&el(&root, "#login-title")),
        "Log in to CipherTrust Manager"
    );
    log_in(&root, "admin", "wrong-password").await;
    let error = wait_for(&root, "#login-error", 5000).await;
    assert_eq!(
        text(&el(&error, ".error-sentence")),
        "The manager refused the username or password."
    );
    assert_eq!(text(&el(&error, ".error-name")), "NCERRUnauthorizedAccess");
    assert!(has(&error, ".request-id"), "the request id is offered");
    assert!(!text(&error).contains("wrong-password"));
    assert_eq!(logged_in.count(), 0);
    assert!(!button(&root, "#login-submit").disabled());
    assert_eq!(text(&el(&root, "#login-submit")), "Log in");
}

#[wasm_bindgen_test]
async fn empty_fields_are_refused_before_anything_is_sent() {
    // Nothing listens on port 9: a request would fail with another sentence.
    let root = render::<Login>(props(Api::new("http://127.0.0.1:9"))).await;
    log_in(&root, "admin", "").await;
    assert_eq!(
        text(&el(&root, "#login-error")),
        "⚠ Enter your username and password."
    );
    assert_eq!(
        attr(&root, "#login-error", "role").as_deref(),
        Some("alert")
    );
    log_in(&root, "", "secret").await;
    assert_eq!(
        text(&el(&root, "#login-error")),
        "⚠ Enter your username and password."
    );
}

#[wasm_bindgen_test]
async fn a_manager_out_of_reach_is_told_apart_from_a_wrong_password() {
    let root = render::<Login>(props(Api::new("http://127.0.0.1:9"))).await;
    log_in(&root, "admin", "admin").await;
    let error = text(&wait_for(&root, "#login-error", 10_000).await);
    assert!(error.starts_with("⚠ Cannot reach the manager: "), "{error}");
    assert!(!error.contains("refused the username"));
}

#[wasm_bindgen_test]
async fn an_accepted_password_reports_the_session_and_clears_the_field() {
    let logged_in = Recorder::<Tokens>::new();
    let mut p = props(Api::new(sim_url()));
    p.on_logged_in = logged_in.callback();
    let root = render::<Login>(p).await;
    log_in(&root, "admin", "admin").await;
    let submit_button = button(&root, "#login-submit");
    assert_eq!(text(&submit_button), "Logging in…");
    assert!(submit_button.disabled());
    submit(&el(&root, "form")).await; // Enter again while waiting: ignored
    for _ in 0..200 {
        if logged_in.count() > 0 {
            break;
        }
        sleep(25).await;
        settle().await;
    }
    let calls = logged_in.calls();
    assert_eq!(calls.len(), 1, "on_logged_in fired once");
    assert_eq!(text(&submit_button), "Log in");
    assert_eq!(calls[0].user, "admin");
    assert!(!calls[0].jwt.is_empty());
    assert_eq!(
        input(&root, "#login-password").value(),
        "",
        "the password is not kept"
    );
    assert!(!has(&root, "#login-error"));
}

#[wasm_bindgen_test]
async fn an_expired_session_keeps_who_and_where_and_asks_only_for_the_password() {
    let mut p = props(Api::new("http://127.0.0.1:9"));
    p.expired = Some(SignIn::new("carol", "tenant-a", "corp-ldap"));
    let root = render::<Login>(p).await;
    assert_eq!(text(&el(&root, "#login-title")), "Your session has expired");
    assert!(has_class(&el(&root, "form"), "login-expired"));
    let user = input(&root, "#login-username");
    assert_eq!(user.value(), "carol");
    assert!(user.disabled());
    assert!(!input(&root, "#login-password").disabled());
    assert_eq!(input(&root, "#login-domain").value(), "tenant-a");
    assert_eq!(input(&root, "#login-connection").value(), "corp-ldap");
    assert!(
        input(&root, "#login-domain").disabled() && input(&root, "#login-connection").disabled()
    );
    assert!(
        el(&root, "#login-more").has_attribute("open"),
        "non-default source shown"
    );
    assert_eq!(
        text(&el(&root, "#login-more summary .muted")),
        " — domain tenant-a, corp-ldap"
    );
}
