//! The live list of every job this browser started for this manager and user, as batches (one
//! per submission), newest first, with filters in the URL.
use std::rc::Rc;

use yew::prelude::*;

use crate::components::batch_row::{BatchRow, BatchView};
use crate::components::job_filters::JobFilters;
use crate::domain::batch::{BatchCache, Batches, Followup, JobFilter};
use crate::domain::export::ExportFormat;
use crate::hooks::use_ledger::EntryRef;

/// Batches rendered at first and added per "Show more": the newest; every job is polled.
pub const JOBS_SHOWN: usize = 50;

#[derive(Properties, PartialEq)]
pub struct JobListProps {
    pub entries: Rc<Vec<EntryRef>>,
    pub now_ms: f64,
    pub on_clear_finished: Callback<()>,
    pub on_open: Callback<String>,
    pub on_export: Callback<ExportFormat>,
    /// The filters (kept in the URL by the page).
    #[prop_or_default]
    pub filter: JobFilter,
    #[prop_or_default]
    pub on_filter: Callback<JobFilter>,
    /// Retry or undo a batch: re-read its keys, then confirm.
    #[prop_or_default]
    pub on_follow_up: Callback<Followup>,
    /// What the page is doing for a retry or an undo (re-reading its keys).
    #[prop_or_default]
    pub note: Option<String>,
    /// Opens a key's history (its CCKM id), when the page offers it.
    #[prop_or_default]
    pub on_open_key: Option<Callback<String>>,
}

#[function_component(JobList)]
pub fn job_list(p: &JobListProps) -> Html {
    use_effect_with(p.entries.clone(), |_| {
        crate::perf::mark("cckm:jobs-rendered");
        crate::perf::mark_after_paint("cckm:jobs-painted");
    });
    let shown = use_state(|| JOBS_SHOWN);
    // Kept from one version of the ledger to the next: a tick counts only what it changed.
    let cache = use_mut_ref(BatchCache::<EntryRef>::default);
    let (all, counts): (Rc<Batches>, _) = cache.borrow_mut().update(&p.entries, &p.filter);
    // The batches with a job the filters let through (all of them without a filter).
    let visible: Rc<Vec<usize>> = use_memo((all.clone(), p.filter.clone()), |(all, f)| {
        if !f.is_active() {
            return (0..all.list.len()).collect();
        }
        let m = f.matcher();
        let matches = |i: &usize| p.entries.get(*i).is_some_and(|e| m.matches(&e.0));
        (0..all.list.len())
            .filter(|&b| all.jobs(&all.list[b]).iter().any(matches))
            .collect()
    });
    let finished: usize = all
        .list
        .iter()
        .map(|b| b.counts.succeeded + b.counts.failed)
        .sum();
    if p.entries.is_empty() {
        return html! { <p class="empty" id="jobs-empty">{"No jobs started from this browser yet."}</p> };
    }
    let busy = p.note.is_some();
    html! {
        <>
            <div class="jobs-head">
                <span class="muted">{ match p.entries.len() { 1 => format!("1 job, {finished} finished"), n => format!("{n} jobs, {finished} finished") } }</span>
                <span class="actions">
                    <button type="button" id="export-json" onclick={p.on_export.reform(|_| ExportFormat::Json)}>{"Export JSON"}</button>
                    <button type="button" id="export-csv" onclick={p.on_export.reform(|_| ExportFormat::Csv)}>{"Export CSV"}</button>
                    <button type="button" id="clear-finished" disabled={finished == 0} onclick={p.on_clear_finished.reform(|_| ())}>{"Clear finished"}</button>
                </span>
            </div>
            <JobFilters filter={p.filter.clone()} {counts} total={p.entries.len()} on_filter={p.on_filter.clone()} />
            if let Some(note) = &p.note {
                <p class="busy-note" id="jobs-followup-note" role="status"><span class="spinner" aria-hidden="true"></span>{ note.clone() }</p>
            }
            <ul class="job-list" id="job-list">
                { for visible.iter().take(*shown).filter_map(|&i| all.list.get(i)).map(|b| {
                    let m = p.filter.matcher();
                    let jobs: Vec<EntryRef> = all.jobs(b).iter().filter_map(|&i| p.entries.get(i))
                        .filter(|e| m.matches(&e.0)).cloned().collect();
                    let view = BatchView {
                        id: b.id(&p.entries).to_string(),
                        operation: b.operation(&p.entries),
                        user: b.user(&p.entries).to_string(),
                        counts: b.counts,
                        created_ms: b.created_ms,
                        size: b.len(),
                        links: all.link_sentences(b, &p.entries),
                    };
                    let key = view.id.clone();
                    html! {
                        <BatchRow {key} batch={view} {jobs} now_ms={p.now_ms}
                            retry={Followup::retry(&all, b, &p.entries)} undo={Followup::undo(&all, b, &p.entries)} {busy}
                            on_follow_up={p.on_follow_up.clone()} on_open={p.on_open.clone()} on_open_key={p.on_open_key.clone()} />
                    }
                }) }
            </ul>
            if visible.len() > *shown {
                <button type="button" class="show-more" id="jobs-show-more"
                    onclick={ let shown = shown.clone(); Callback::from(move |_| shown.set(*shown + JOBS_SHOWN)) }>
                    { format!("Show {} more ({} of {} shown)", JOBS_SHOWN.min(visible.len() - *shown), *shown, visible.len()) }
                </button>
            }
        </>
    }
}
