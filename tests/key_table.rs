#![cfg(target_arch = "wasm32")]
//! The key table rendered from fixed props in headless Chromium: its rows, its loading, empty and
//! error views, and the query, selection and retry it reports.
mod common;

use std::collections::HashSet;
use std::rc::Rc;

use cckm_sap_admin::components::key_table::{KeyTable, KeyTableProps, SEARCH_DEBOUNCE_MS};
use cckm_sap_admin::domain::key_query::{KeyQuery, SortField, StateFilter};
use common::*;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

/// A key table showing `fetch`, with nothing selected and callbacks that do nothing.
fn props(fetch: FetchState<KeyPage>) -> KeyTableProps {
    KeyTableProps {
        fetch,
        query: KeyQuery::default(),
        groups: Rc::new(Vec::new()),
        selected: Rc::new(HashSet::new()),
        running: Rc::new(HashSet::new()),
        on_query: Callback::noop(),
        on_toggle: Callback::noop(),
        on_toggle_page: Callback::noop(),
        on_retry: Callback::noop(),
        on_open_key: Callback::noop(),
    }
}

fn three_keys() -> Vec<SapKey> {
    vec![
        key(&uuid(1), "payroll-master", false, true),
        key(&uuid(2), HOSTILE, true, false),
        key(&uuid(3), "crm-disabled-01", false, false),
    ]
}

#[wasm_bindgen_test]
async fn rows_show_names_as_text_with_state_and_selection() {
    let mut p = props(FetchState::Loaded(KeyPage {
        skipped: 1,
        messages: vec!["the manager trimmed this page".into()],
        ..page(three_keys(), 1234)
    }));
    p.selected = Rc::new(HashSet::from([uuid(1)]));
    p.running = Rc::new(HashSet::from([uuid(3)]));
    let root = render::<KeyTable>(p).await;

    assert_eq!(count(&root, "tbody tr"), 3);
    assert_eq!(
        texts(&root, "tbody .key-name"),
        ["payroll-master", HOSTILE, "crm-disabled-01"]
    );
    assert!(
        !has(&root, "img") && !has(&root, "tbody script"),
        "no element was injected"
    );
    assert_eq!(
        texts(&root, "tbody .key-state"),
        ["● Enabled", "⊘ Deleted from SAP", "○ Disabled"]
    );
    assert_eq!(texts(&root, "tbody .col-type"), ["AES 256"; 3]);
    assert_eq!(texts(&root, "tbody .col-group"), ["payroll"; 3]);
    assert_eq!(text(&el(&root, "#range-label")), "1–3 of 1,234");
    assert_eq!(
        texts(&root, ".notice"),
        [
            "ℹ the manager trimmed this page",
            "ℹ 1 key on this page could not be read and is not shown."
        ]
    );
    assert_eq!(attr(&root, "tr.selected", "data-id"), Some(uuid(1)));
    assert!(input(&root, &format!("tr[data-id='{}'] .row-check", uuid(1))).checked());
    assert!(!input(&root, &format!("tr[data-id='{}'] .row-check", uuid(2))).checked());
    assert_eq!(
        text(&el(
            &root,
            &format!("tr[data-id='{}'] .running-tag", uuid(3))
        )),
        "⟳ job running"
    );
    assert_eq!(count(&root, ".running-tag"), 1);
    assert_eq!(text(&el(&root, "#selection-bar-count")), "1 key selected");
}

#[wasm_bindgen_test]
async fn a_key_without_name_or_gone_says_so_and_a_long_name_keeps_its_title() {
    let long = long_name();
    let keys = vec![bare_key(&uuid(7)), key(&uuid(8), &long, false, true)];
    let root = render::<KeyTable>(props(FetchState::Loaded(page(keys, 2)))).await;
    let rows = texts(&root, "tbody .key-name");
    assert_eq!(rows[0], format!("(unnamed key {})", uuid(7)));
    assert_eq!(rows[1], long);
    assert_eq!(
        attr(
            &root,
            &format!("tr[data-id='{}'] .col-name", uuid(8)),
            "title"
        ),
        Some(long)
    );
    assert_eq!(
        texts(&root, ".gone-unstated"),
        ["deletion not stated"],
        "only the key without `gone` is flagged"
    );
    assert!(
        !has(&root, "#selection-bar"),
        "no bar with nothing selected"
    );
}

#[wasm_bindgen_test]
async fn loading_empty_and_error_have_their_own_views() {
    let root = render::<KeyTable>(props(FetchState::Loading { previous: None })).await;
    assert_eq!(text(&el(&root, "#keys-loading")), "Loading keys…");
    assert_eq!(
        attr(&root, "#keys-loading", "aria-busy").as_deref(),
        Some("true")
    );
    assert!(!has(&root, "table") && !has(&root, "#keys-empty") && !has(&root, "#keys-error"));

    let root = render::<KeyTable>(props(FetchState::Loaded(page(vec![], 0)))).await;
    assert_eq!(
        text(&el(&root, "#keys-empty")),
        "The manager has no SAP keys."
    );
    assert_eq!(text(&el(&root, "#range-label")), "No keys");
    assert!(button(&root, "#page-prev").disabled() && button(&root, "#page-next").disabled());

    let mut filtered = props(FetchState::Loaded(page(vec![], 0)));
    filtered.query = KeyQuery::default().with_search("nothing-like-this");
    let root = render::<KeyTable>(filtered).await;
    assert_eq!(
        text(&el(&root, "#keys-empty")),
        "No key matches this search and these filters."
    );

    let retried = Recorder::new();
    let mut failed = props(FetchState::Failed {
        error: manager_500(HOSTILE, "req-1234"),
        previous: None,
    });
    failed.on_retry = retried.callback();
    let root = render::<KeyTable>(failed).await;
    let error = el(&root, "#keys-error");
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(text(&error).starts_with("⚠ The key list could not be loaded. The manager failed: "));
    assert_eq!(
        text(&el(&error, ".error-sentence")),
        format!("The manager failed: {HOSTILE} (HTTP 500).")
    );
    assert_eq!(text(&el(&error, ".error-name")), "NCERRInternalServerError");
    assert_eq!(text(&el(&error, ".request-id")), "req-1234");
    assert!(!has(&root, "img"), "the manager's message is text");
    click(&root, "#keys-error button:not(.copy-request-id)").await;
    assert_eq!(retried.count(), 1);
}

#[wasm_bindgen_test]
async fn a_reload_keeps_the_old_rows_and_says_it_is_loading() {
    let root = render::<KeyTable>(props(FetchState::Loading {
        previous: Some(page(three_keys(), 3)),
    }))
    .await;
    assert_eq!(count(&root, "tbody tr"), 3, "the old rows stay");
    assert_eq!(attr(&root, "table", "aria-busy").as_deref(), Some("true"));
    assert!(has_class(&el(&root, "table"), "is-loading"));
    assert_eq!(text(&el(&root, ".busy-note")), "Loading…");
    assert_eq!(text(&el(&root, "#range-label")), "Loading 1–3 of 3…");
}

#[wasm_bindgen_test]
async fn a_failure_after_a_page_keeps_the_rows_out_and_the_error_in() {
    let root = render::<KeyTable>(props(FetchState::Failed {
        error: ApiError::network("Failed to fetch"),
        previous: Some(page(three_keys(), 3)),
    }))
    .await;
    assert_eq!(
        text(&el(&root, "#keys-error .error-sentence")),
        "Cannot reach the manager: Failed to fetch."
    );
    assert!(
        !has(&root, "#keys-error .error-ref"),
        "a network error has no reference"
    );
    assert!(!has(&root, "tbody"));
}

#[wasm_bindgen_test]
async fn rows_and_the_page_checkbox_report_the_selection() {
    let toggled = Recorder::new();
    let page_toggled = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 3)));
    p.on_toggle = toggled.callback();
    p.on_toggle_page = page_toggled.callback();
    let root = render::<KeyTable>(p).await;
    assert!(!input(&root, "#select-page").checked());
    click(&root, &format!("tr[data-id='{}'] .row-check", uuid(2))).await;
    assert_eq!(
        toggled
            .calls()
            .iter()
            .map(|k| k.id.clone())
            .collect::<Vec<_>>(),
        [uuid(2)]
    );
    click(&root, "#select-page").await;
    let calls = page_toggled.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0.len(), 3);
    assert!(calls[0].1, "an unselected page is selected");

    // With every key of the page selected, the page checkbox is checked and unselects.
    let page_toggled = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 3)));
    p.selected = Rc::new((1..=3).map(uuid).collect());
    p.on_toggle_page = page_toggled.callback();
    let root = render::<KeyTable>(p).await;
    assert!(input(&root, "#select-page").checked());
    assert_eq!(text(&el(&root, "#selection-bar-count")), "3 keys selected");
    click(&root, "#select-page").await;
    assert!(!page_toggled.calls()[0].1);
}

#[wasm_bindgen_test]
async fn headers_show_the_sort_and_ask_for_another() {
    let asked = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 3)));
    p.on_query = asked.callback();
    let root = render::<KeyTable>(p).await;
    let q = KeyQuery::default();
    for (class, field) in [
        ("col-name", SortField::Name),
        ("col-group", SortField::Group),
        ("col-updated", SortField::Updated),
    ] {
        let aria = attr(&root, &format!("th.{class}"), "aria-sort");
        let want = if q.sort == field {
            if q.descending {
                "descending"
            } else {
                "ascending"
            }
        } else {
            "none"
        };
        assert_eq!(aria.as_deref(), Some(want), "{class}");
    }
    click(&root, "th.col-group button.sort").await;
    click(&root, "th.col-name button.sort").await;
    assert_eq!(
        asked.calls(),
        [
            q.toggle_sort(SortField::Group),
            q.toggle_sort(SortField::Name)
        ]
    );
}

#[wasm_bindgen_test]
async fn pager_filters_and_page_size_ask_for_a_new_query() {
    let asked = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 120)));
    p.groups = Rc::new(vec![group("payroll"), group("crm")]);
    p.on_query = asked.callback();
    let root = render::<KeyTable>(p).await;
    let q = KeyQuery::default();
    assert!(
        button(&root, "#page-prev").disabled(),
        "no page before the first"
    );
    assert!(!button(&root, "#page-next").disabled());
    assert_eq!(
        texts(&root, "#filter-group option"),
        ["All groups", "payroll", "crm"]
    );
    click(&root, "#page-next").await;
    choose(&select(&root, "#filter-group"), "crm").await;
    choose(&select(&root, "#filter-state"), "gone").await;
    choose(&select(&root, "#page-size"), "25").await;
    assert_eq!(
        asked.calls(),
        [
            q.next_page(120),
            q.with_group(Some("crm".into())),
            q.with_state(StateFilter::Gone),
            q.with_page_size(25),
        ]
    );

    // On the last page, Next is disabled and Previous goes back.
    let asked = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 120)));
    p.query = q.next_page(120).next_page(120);
    p.on_query = asked.callback();
    let root = render::<KeyTable>(p).await;
    assert!(button(&root, "#page-next").disabled());
    click(&root, "#page-prev").await;
    assert_eq!(asked.calls(), [q.next_page(120).next_page(120).prev_page()]);
}

#[wasm_bindgen_test]
async fn search_is_sent_after_a_pause_or_at_once_on_enter() {
    let asked = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 3)));
    p.on_query = asked.callback();
    let root = render::<KeyTable>(p).await;
    let search = input(&root, "#key-search");
    type_into(&search, "pay").await;
    type_into(&search, "payroll").await;
    assert_eq!(asked.count(), 0, "nothing is sent while typing");
    sleep(SEARCH_DEBOUNCE_MS + 100).await;
    settle().await;
    assert_eq!(asked.calls(), [KeyQuery::default().with_search("payroll")]);

    type_into(&search, "crm").await;
    press(&search, "Enter").await;
    assert_eq!(asked.calls()[1], KeyQuery::default().with_search("crm"));
    sleep(SEARCH_DEBOUNCE_MS + 100).await;
    settle().await;
    assert_eq!(asked.count(), 2, "Enter cancels the pending search");
}

#[wasm_bindgen_test]
async fn the_selection_bar_leads_to_the_form_and_to_the_jobs() {
    // The page's sections the bar leads to, as the console lays them out.
    let layout = root();
    layout.set_inner_html(
        "<section class=\"selection\"><div id=\"job-form\"><input type=\"radio\" name=\"op\" id=\"op-delete\" checked disabled>\
         <button type=\"button\" id=\"review\">Delete 1 key…</button></div></section>\
         <section class=\"jobs\"><h2 id=\"jobs-title\">Jobs</h2></section>",
    );
    let mut p = props(FetchState::Loaded(page(three_keys(), 3)));
    p.selected = Rc::new(HashSet::from([uuid(1)]));
    let root = render::<KeyTable>(p).await;
    click(&root, "#selection-bar-go").await;
    assert_eq!(
        focused(),
        Some(el(&layout, "#review")),
        "the disabled radio is passed over"
    );
    click(&root, "#selection-bar-jobs").await;
    let heading = el(&layout, "#jobs-title");
    assert_eq!(focused(), Some(heading.clone()));
    assert_eq!(heading.get_attribute("tabindex").as_deref(), Some("-1"));
}

#[wasm_bindgen_test]
async fn a_keys_name_opens_its_history() {
    let opened = Recorder::new();
    let mut p = props(FetchState::Loaded(page(three_keys(), 3)));
    p.on_open_key = opened.callback();
    let toggled = Recorder::new();
    p.on_toggle = toggled.callback();
    let root = render::<KeyTable>(p).await;
    let name = el(&root, &format!("tr[data-id='{}'] button.open-key", uuid(2)));
    assert_eq!(text(&name), HOSTILE, "the button is the name itself");
    click(&root, &format!("tr[data-id='{}'] button.open-key", uuid(2))).await;
    assert_eq!(opened.calls(), [uuid(2)]);
    assert_eq!(
        toggled.count(),
        0,
        "opening the history does not select the key"
    );
}
