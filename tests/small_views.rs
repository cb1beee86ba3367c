#![cfg(target_arch = "wasm32")]
//! The small views in the browser: an error with its reference, the keyboard help, and the
//! last-resort banner written after a panic.
mod common;

use cckm_sap_admin::components::banner::show_fatal;
use cckm_sap_admin::components::error_detail::{ErrorDetail, ErrorDetailProps};
use cckm_sap_admin::components::help::{Help, HelpProps};
use common::*;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn an_error_with_nothing_to_look_up_is_just_its_sentence() {
    let root = render::<ErrorDetail>(ErrorDetailProps {
        error: ManagerError::from(HOSTILE),
    })
    .await;
    assert_eq!(text(&root), HOSTILE);
    assert!(!has(&root, ".error-ref") && !has(&root, "img"));
}

#[wasm_bindgen_test]
async fn an_error_shows_its_name_and_a_copyable_request_id() {
    let root = render::<ErrorDetail>(ErrorDetailProps {
        error: manager_error("The key was not found."),
    })
    .await;
    assert_eq!(
        text(&el(&root, ".error-sentence")),
        "The key was not found."
    );
    assert_eq!(
        text(&el(&root, ".error-ref")),
        "NCERRNotFound · request req-7f3aCopy"
    );
    click(&root, ".copy-request-id").await;
    assert_eq!(text(&el(&root, ".copy-request-id")), "Copied ✓");

    // A name alone: no separator, no button.
    let root = render::<ErrorDetail>(ErrorDetailProps {
        error: ManagerError {
            request_id: None,
            ..manager_error("Refused.")
        },
    })
    .await;
    assert_eq!(text(&el(&root, ".error-ref")), "NCERRNotFound");
    assert!(!has(&root, ".copy-request-id"));
}

#[wasm_bindgen_test]
async fn help_shows_the_switch_and_reports_it() {
    let toggled = Recorder::new();
    let closed = Recorder::new();
    let root = render::<Help>(HelpProps {
        shortcuts_on: true,
        on_toggle: toggled.callback(),
        on_close: closed.callback(),
    })
    .await;
    assert_eq!(text(&el(&root, "#help-title")), "Keyboard");
    assert_eq!(texts(&root, "kbd"), ["/", "?", "Space", "Tab", "Esc"]);
    let switch = input(&root, "#shortcuts-toggle");
    assert!(switch.checked());
    click(&root, "#shortcuts-toggle").await;
    assert_eq!(toggled.count(), 1);
    click(&root, "#help-close").await;
    press(&el(&root, "#help"), "Escape").await;
    assert_eq!(closed.count(), 2);

    let root = render::<Help>(HelpProps {
        shortcuts_on: false,
        on_toggle: Callback::noop(),
        on_close: Callback::noop(),
    })
    .await;
    assert!(!input(&root, "#shortcuts-toggle").checked());
}

#[wasm_bindgen_test]
async fn the_fatal_banner_writes_its_detail_as_text() {
    show_fatal("The page hit an internal error and stopped.", HOSTILE);
    let body = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .expect("a body");
    let banner = el(&body, ".fatal-banner");
    assert_eq!(
        body.first_element_child().as_ref(),
        Some(&banner),
        "the banner comes first in the page"
    );
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(text(&el(&banner, "pre")), HOSTILE);
    assert!(!has(&banner, "img") && !has(&banner, "script"));
    assert_eq!(text(&el(&banner, "button")), "Reload");
    assert_eq!(
        text(&banner),
        format!("The page hit an internal error and stopped.{HOSTILE}Reload")
    );
    banner.remove();
}
