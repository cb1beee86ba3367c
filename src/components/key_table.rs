//! The key list: search, filters, sortable headers, selectable rows and paging. All filtering,
//! sorting and paging happen on the manager; this only renders a page and forwards choices.
use std::collections::HashSet;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api::groups::SapGroup;

use crate::api::keys::{KeyState, SapKey};
use crate::browser::dom::local_rfc3339;
use crate::components::error_detail::ErrorDetail;
use crate::domain::key_fetch::{FetchState, KeyPage};
use crate::domain::key_query::{KeyQuery, SortField, SortOrder, StateFilter, PAGE_SIZES};
use crate::domain::manager_error::ManagerError;

/// How long typing must pause before the search is sent.
pub const SEARCH_DEBOUNCE_MS: u32 = 250;

#[derive(Properties, PartialEq)]
pub struct KeyTableProps {
    pub fetch: FetchState<KeyPage>,
    pub query: KeyQuery,
    pub groups: Rc<Vec<SapGroup>>,
    pub selected: Rc<HashSet<String>>,
    pub running: Rc<HashSet<String>>,
    pub on_query: Callback<KeyQuery>,
    pub on_toggle: Callback<SapKey>,
    pub on_toggle_page: Callback<(Rc<Vec<SapKey>>, bool)>,
    pub on_retry: Callback<()>,
    /// Opens the history panel of the key with this CCKM id.
    #[prop_or_default]
    pub on_open_key: Callback<String>,
}

#[function_component(KeyTable)]
pub fn key_table(props: &KeyTableProps) -> Html {
    let q = &props.query;
    let page = props.fetch.data();
    let loading = matches!(props.fetch, FetchState::Loading { .. });

    let on_group = {
        let (q, cb) = (q.clone(), props.on_query.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            cb.emit(q.with_group(if v.is_empty() { None } else { Some(v) }));
        })
    };
    let on_state = {
        let (q, cb) = (q.clone(), props.on_query.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            cb.emit(q.with_state(v.parse().unwrap_or_default()));
        })
    };
    let on_size = {
        let (q, cb) = (q.clone(), props.on_query.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Ok(n) = v.parse::<u64>() {
                cb.emit(q.with_page_size(n));
            }
        })
    };

    let keys: Rc<Vec<SapKey>> = page.map(|p| p.keys.clone()).unwrap_or_default();
    {
        let loaded = matches!(props.fetch, FetchState::Loaded(_));
        use_effect_with((keys.clone(), loaded), |(_, loaded)| {
            if *loaded {
                crate::perf::mark("cckm:keys-rendered");
            }
        });
    }
    let total = page.map(|p| p.total).unwrap_or(0);
    let all_on_page = !keys.is_empty() && keys.iter().all(|k| props.selected.contains(&k.id));
    let on_page_toggle = {
        let (cb, keys) = (props.on_toggle_page.clone(), keys.clone());
        Callback::from(move |_: Event| cb.emit((keys.clone(), !all_on_page)))
    };

    let header = |field: SortField| {
        let order = q.sort_order(field);
        let arrow = match order {
            SortOrder::None => "↕",
            SortOrder::Ascending => "▲",
            SortOrder::Descending => "▼",
        };
        let onclick = {
            let (q, cb) = (q.clone(), props.on_query.clone());
            Callback::from(move |_| cb.emit(q.toggle_sort(field)))
        };
        html! {
            <th scope="col" class={format!("col-{}", field.as_str())} aria-sort={order.aria()}>
                <button type="button" class="sort" {onclick}>{field.label()}<span class="arrow" aria-hidden="true">{arrow}</span></button>
            </th>
        }
    };

    let body = match (&props.fetch, page) {
        (FetchState::Failed { error, .. }, _) => html! {
            <div class="state-view error-view" role="alert" id="keys-error">
                <p>{"⚠ The key list could not be loaded. "}<ErrorDetail error={ManagerError::from(error)} /></p>
                <button type="button" onclick={props.on_retry.reform(|_| ())}>{"Try again"}</button>
            </div>
        },
        (FetchState::Loading { previous: None }, _) => html! {
            <div class="state-view loading-view" aria-busy="true" id="keys-loading"><span class="spinner" aria-hidden="true"></span>{"Loading keys…"}</div>
        },
        (_, Some(p)) if p.keys.is_empty() => html! {
            <div class="state-view empty-view" id="keys-empty">
                <p>{ if q.search.trim().is_empty() && q.group.is_none() && q.state == StateFilter::All {
                    "The manager has no SAP keys.".to_string()
                } else {
                    "No key matches this search and these filters.".to_string()
                } }</p>
            </div>
        },
        (_, Some(_)) => html! {
            <table class={classes!("keys-table", loading.then_some("is-loading"))} aria-busy={loading.to_string()}>
                <thead><tr>
                    <th scope="col" class="col-check">
                        <label class="select-all">
                            <input type="checkbox" id="select-page" aria-label="Select all keys on this page" checked={all_on_page} onchange={on_page_toggle} />
                            <span class="cards-only" aria-hidden="true">{"Select all"}</span>
                        </label>
                    </th>
                    { for SortField::ALL.map(header) }
                </tr></thead>
                <KeyRows keys={keys.clone()} selected={props.selected.clone()} running={props.running.clone()} on_toggle={props.on_toggle.clone()} on_open_key={props.on_open_key.clone()} />
            </table>
        },
        _ => html! {},
    };

    let notes = page.map(|p| {
        let mut notes: Vec<String> = p.messages.clone();
        if p.skipped > 0 {
            notes.push(match p.skipped {
                1 => "1 key on this page could not be read and is not shown.".to_string(),
                n => format!("{n} keys on this page could not be read and are not shown."),
            });
        }
        notes
    });

    html! {
        <>
            <div class="toolbar" role="search">
                <SearchBox value={q.search.clone()} on_search={ let (q, cb) = (q.clone(), props.on_query.clone()); Callback::from(move |s: String| cb.emit(q.with_search(&s))) } />
                <label class="field">
                    <span>{"Group"}</span>
                    <select id="filter-group" onchange={on_group}>
                        <option value="" selected={q.group.is_none()}>{"All groups"}</option>
                        { for props.groups.iter().filter_map(|g| g.name.clone()).map(|name| html! {
                            <option value={name.clone()} selected={q.group.as_deref() == Some(name.as_str())}>{name.clone()}</option>
                        }) }
                    </select>
                </label>
                <label class="field">
                    <span>{"State"}</span>
                    <select id="filter-state" onchange={on_state}>
                        { for StateFilter::ALL.map(|f| html! {
                            <option value={f.as_str()} selected={q.state == f}>{f.label()}</option>
                        }) }
                    </select>
                </label>
                if loading { <span class="busy-note" aria-live="polite"><span class="spinner" aria-hidden="true"></span>{"Loading…"}</span> }
            </div>
            if let Some(notes) = notes {
                { for notes.iter().map(|n| html! { <p class="notice">{"ℹ "}{n.clone()}</p> }) }
            }
            <div class="table-wrap">{ body }</div>
            <div class="pager">
                <span id="range-label" class="range">{ if loading { format!("Loading {}…", q.range_label(total, keys.len())) } else { q.range_label(total, keys.len()) } }</span>
                <label class="field inline">
                    <span>{"Per page"}</span>
                    <select id="page-size" onchange={on_size}>
                        { for PAGE_SIZES.iter().map(|n| html! { <option value={n.to_string()} selected={q.page_size == *n}>{n.to_string()}</option> }) }
                    </select>
                </label>
                <button type="button" id="page-prev" disabled={q.page == 0} onclick={ let (q, cb) = (q.clone(), props.on_query.clone()); Callback::from(move |_| { crate::perf::mark("cckm:page-requested"); cb.emit(q.prev_page()) }) }>{"‹ Previous"}</button>
                <button type="button" id="page-next" disabled={(q.page + 1) >= q.page_count(total)} onclick={ let (q, cb) = (q.clone(), props.on_query.clone()); Callback::from(move |_| { crate::perf::mark("cckm:page-requested"); cb.emit(q.next_page(total)) }) }>{"Next ›"}</button>
            </div>
            <SelectionBar count={props.selected.len()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct KeyRowsProps {
    keys: Rc<Vec<SapKey>>,
    selected: Rc<HashSet<String>>,
    running: Rc<HashSet<String>>,
    on_toggle: Callback<SapKey>,
    on_open_key: Callback<String>,
}

/// The rows, as one component: a new query (paging, sorting) re-renders the toolbar and pager at
/// once without touching the rows until the new page arrives. A row is plain markup, not a
/// component: a page of rows is created at once and thrown away at once.
#[function_component(KeyRows)]
fn key_rows(p: &KeyRowsProps) -> Html {
    // From the render, not an effect: Yew may run effects a frame later than it patches the DOM.
    crate::perf::mark_after_paint("cckm:keys-painted");
    html! {
        <tbody>
            { for p.keys.iter().map(|k| key_row(k, p.selected.contains(&k.id), p.running.contains(&k.id), &p.on_toggle, &p.on_open_key)) }
        </tbody>
    }
}

fn key_row(
    k: &SapKey,
    selected: bool,
    running: bool,
    on_toggle: &Callback<SapKey>,
    on_open: &Callback<String>,
) -> Html {
    let state = k.state();
    let name = k.display_name();
    let onchange = {
        let (cb, k) = (on_toggle.clone(), k.clone());
        Callback::from(move |_: Event| cb.emit(k.clone()))
    };
    let onclick = {
        let (cb, id) = (on_open.clone(), k.id.clone());
        Callback::from(move |_: MouseEvent| cb.emit(id.clone()))
    };
    let state_class = match state {
        KeyState::Enabled => "st-enabled",
        KeyState::Disabled => "st-disabled",
        KeyState::Gone => "st-gone",
        KeyState::Unknown => "st-unknown",
    };
    html! {
        <tr key={k.id.clone()} class={classes!(selected.then_some("selected"))} data-id={k.id.clone()}>
            <td class="col-check">
                <input type="checkbox" class="row-check" checked={selected} {onchange} aria-label={format!("Select key {name}")} />
            </td>
            <td class="col-name" title={name.clone()}>
                <button type="button" class="link-like open-key" title="This key now, and its jobs from this browser" {onclick}>
                    <bdi class="key-name">{ name.clone() }</bdi>
                </button>
                if running { <span class="tag running-tag" title="A job started here is running for this key">{"⟳ job running"}</span> }
            </td>
            <td class="col-group" data-label="Group"><bdi>{ k.group_label() }</bdi></td>
            <td class="col-type" data-label="Type">{ k.type_size() }</td>
            <td class="col-state" data-label="State"><span class={classes!("key-state", state_class)}><span aria-hidden="true">{ state.icon() }</span>{" "}{ state.label() }</span>
                // A key without `gone` may be deleted from SAP all the same: say that it is not stated.
                if k.gone.is_none() && state != KeyState::Gone {
                    <span class="gone-unstated" title="The manager's answer does not say whether this key is deleted from SAP">{"deletion not stated"}</span>
                }
            </td>
            <td class="col-updated" data-label="Updated">{ k.updated_at.as_deref().map(local_rfc3339).unwrap_or_default() }</td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct SearchProps {
    value: String,
    on_search: Callback<String>,
}

/// Debounced: the search is sent when typing pauses, or at once on Enter.
#[function_component(SearchBox)]
fn search_box(p: &SearchProps) -> Html {
    let timer = use_mut_ref(|| None::<Timeout>);
    // Uncontrolled: the box is written only when the search itself changes (a link, Back), never
    // by an unrelated re-render while someone is typing.
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with(p.value.clone(), move |v| {
            if let Some(i) = input.cast::<HtmlInputElement>() {
                if i.value() != *v {
                    i.set_value(v);
                }
            }
        });
    }
    let oninput = {
        let (timer, cb) = (timer.clone(), p.on_search.clone());
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            let cb = cb.clone();
            *timer.borrow_mut() = Some(Timeout::new(SEARCH_DEBOUNCE_MS, move || {
                crate::perf::mark("cckm:search-sent");
                cb.emit(v)
            }));
        })
    };
    let onkeydown = {
        let (timer, cb) = (timer.clone(), p.on_search.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                timer.borrow_mut().take();
                crate::perf::mark("cckm:search-sent");
                cb.emit(e.target_unchecked_into::<HtmlInputElement>().value());
            }
        })
    };
    html! {
        <label class="field grow">
            <span>{"Search by name"}</span>
            <input id="key-search" ref={input} type="search" placeholder="e.g. payroll" {oninput} {onkeydown} autocomplete="off" />
        </label>
    }
}

/// Where the selection bar's buttons lead: the delete/restore form and the job list.
const FORM_SECTION: &str = "section.selection";
const FORM_CONTROL: &str =
    "#job-form input[name=op]:checked:not(:disabled), #review:not(:disabled), #job-form button";
const JOBS_SECTION: &str = "section.jobs";
const JOBS_HEADING: &str = "#jobs-title";

#[derive(Properties, PartialEq)]
struct SelectionBarProps {
    count: usize,
}

/// While the form sits below the list (one column: a phone, a narrow window, a zoomed page), a
/// bar stays at the bottom of the list: how many keys are selected, and a way to the form and to
/// the jobs. Wide layouts hide it by CSS, where the form is beside the list.
#[function_component(SelectionBar)]
fn selection_bar(p: &SelectionBarProps) -> Html {
    if p.count == 0 {
        return html! {};
    }
    let to_form = Callback::from(|_: MouseEvent| reveal(FORM_SECTION, FORM_CONTROL));
    let to_jobs = Callback::from(|_: MouseEvent| reveal(JOBS_SECTION, JOBS_HEADING));
    html! {
        <div class="selection-bar" id="selection-bar" role="region" aria-label="Selected keys">
            <strong id="selection-bar-count">{ if p.count == 1 { "1 key selected".to_string() } else { format!("{} keys selected", p.count) } }</strong>
            <button type="button" id="selection-bar-go" class="primary" onclick={to_form}>{"Delete or restore…"}</button>
            <button type="button" id="selection-bar-jobs" onclick={to_jobs}>{"Jobs"}</button>
        </div>
    }
}

/// Scrolls `section` to the top of the window and moves focus to the first `focus` match in the
/// page (a heading is made focusable by script only, so Tab goes on from there).
fn reveal(section: &str, focus: &str) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(s) = doc.query_selector(section).ok().flatten() {
        s.scroll_into_view_with_bool(true);
    }
    let Some(el) = doc.query_selector(focus).ok().flatten() else {
        return;
    };
    if matches!(el.tag_name().as_str(), "H2" | "H3") && !el.has_attribute("tabindex") {
        let _ = el.set_attribute("tabindex", "-1");
    }
    if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}
