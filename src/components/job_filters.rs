//! The job list's filters: phase, operation and a key-name search, each value with its count.
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api::jobs::Operation;
use crate::domain::batch::{FilterCounts, JobFilter, PhaseFilter};

#[derive(Properties, PartialEq)]
pub(crate) struct JobFiltersProps {
    pub filter: JobFilter,
    pub counts: FilterCounts,
    /// Every job in the list.
    pub total: usize,
    pub on_filter: Callback<JobFilter>,
}

#[function_component(JobFilters)]
pub(crate) fn job_filters(p: &JobFiltersProps) -> Html {
    let f = &p.filter;
    let on_phase = {
        let (f, cb) = (f.clone(), p.on_filter.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            cb.emit(JobFilter {
                phase: PhaseFilter::parse(&v),
                ..f.clone()
            })
        })
    };
    let on_op = {
        let (f, cb) = (f.clone(), p.on_filter.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            cb.emit(JobFilter {
                operation: v.parse().ok(),
                ..f.clone()
            })
        })
    };
    let on_search = {
        let (f, cb) = (f.clone(), p.on_filter.clone());
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            cb.emit(JobFilter {
                search: v.chars().take(200).collect(),
                ..f.clone()
            })
        })
    };
    let c = &p.counts;
    let clear = {
        let cb = p.on_filter.clone();
        Callback::from(move |_| cb.emit(JobFilter::default()))
    };
    html! {
        <div class="job-filters" role="search" aria-label="Filter the jobs">
            <label class="field">
                <span>{"Phase"}</span>
                <select id="jobs-phase" onchange={on_phase}>
                    <option value="" selected={f.phase.is_none()}>{ format!("All ({})", c.any_phase) }</option>
                    { for PhaseFilter::ALL.map(|ph| html! {
                        <option value={ph.word()} selected={f.phase == Some(ph)}>{ format!("{} ({})", ph.label(), c.of_phase(ph)) }</option>
                    }) }
                </select>
            </label>
            <label class="field">
                <span>{"Operation"}</span>
                <select id="jobs-op" onchange={on_op}>
                    <option value="" selected={f.operation.is_none()}>{ format!("All ({})", c.any_operation) }</option>
                    { for [Operation::Delete, Operation::Restore].map(|op| html! {
                        <option value={op.as_str()} selected={f.operation == Some(op)}>{ format!("{} ({})", op.label(), c.of_operation(op)) }</option>
                    }) }
                </select>
            </label>
            <label class="field grow">
                <span>{"Key name"}</span>
                <input id="jobs-search" type="search" value={f.search.clone()} oninput={on_search}
                    placeholder="Search the jobs" autocomplete="off" spellcheck="false" />
            </label>
            if f.is_active() {
                <span class="busy-note" id="jobs-filter-count" aria-live="polite">
                    { match (c.shown, p.total) {
                        (0, _) => "No job matches these filters.".to_string(),
                        (1, t) => format!("1 of {t} jobs matches."),
                        (n, t) => format!("{n} of {t} jobs match."),
                    } }
                </span>
                <button type="button" class="link" id="jobs-filter-clear" onclick={clear}>{"Clear filters"}</button>
            }
        </div>
    }
}
