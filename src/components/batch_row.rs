//! One batch of the job list: a submission's operation, keys, counts, who, when and links, its
//! retry and undo buttons, and its jobs once opened. A batch of one is shown as its job.
use yew::prelude::*;

use crate::api::jobs::Operation;
use crate::components::job_row::JobRow;
use crate::domain::batch::{short_id, Counts, Followup};
use crate::domain::time_fmt::ago;
use crate::hooks::use_ledger::EntryRef;

/// What a batch row shows of its batch.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BatchView {
    pub id: String,
    pub operation: Operation,
    pub user: String,
    pub counts: Counts,
    pub created_ms: f64,
    /// How many jobs.
    pub size: usize,
    /// "retry of batch …", "undone by batch …".
    pub links: Vec<String>,
}

#[derive(Properties, PartialEq)]
pub(crate) struct BatchRowProps {
    pub batch: BatchView,
    /// Its jobs the filters let through, in order.
    pub jobs: Vec<EntryRef>,
    pub now_ms: f64,
    pub retry: Option<Followup>,
    pub undo: Option<Followup>,
    /// While a retry or an undo is being prepared, no other starts.
    pub busy: bool,
    pub on_follow_up: Callback<Followup>,
    pub on_open: Callback<String>,
    #[prop_or_default]
    pub on_open_key: Option<Callback<String>>,
}

#[function_component(BatchRow)]
pub(crate) fn batch_row(p: &BatchRowProps) -> Html {
    let b = &p.batch;
    // What is running is shown open; what ended before the page loaded, folded.
    let open = use_state(|| b.counts.running > 0);
    let actions = actions(p);
    let row = |e: &EntryRef, actions: Html| {
        let updated = ago(p.now_ms, e.0.last_change_ms);
        html! { <JobRow key={e.0.job_id.clone()} entry={e.clone()} {updated} on_open={p.on_open.clone()}
        on_open_key={p.on_open_key.clone()} {actions} /> }
    };
    if b.size == 1 {
        return match p.jobs.first() {
            Some(e) => row(e, actions),
            None => html! {},
        };
    }
    let list_id = format!(
        "batch-jobs-{}",
        b.id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
    );
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let c = b.counts;
    let n = b.size;
    html! {
        <li class="batch" data-batch-id={b.id.clone()}>
            <div class="batch-main">
                <button type="button" class="batch-toggle" aria-expanded={open.to_string()} aria-controls={open.then(|| list_id.clone())} onclick={toggle}>
                    <span aria-hidden="true" class="chevron">{ if *open { "▾" } else { "▸" } }</span>
                    <span class="job-op">{ b.operation.as_str() }</span>
                    <span class="batch-size">{ format!("{n} keys") }</span>
                </button>
                <span class="batch-counts">
                    if c.running > 0 { <span class="badge running">{ format!("⟳ {} running", c.running) }</span> }
                    if c.succeeded > 0 { <span class="badge succeeded">{ format!("✓ {} succeeded", c.succeeded) }</span> }
                    if c.failed > 0 { <span class="badge failed">{ format!("✗ {} failed", c.failed) }</span> }
                    if c.unknown > 0 { <span class="badge unknown">{ format!("? {} unknown", c.unknown) }</span> }
                    if c.drift > 0 { <span class="badge drift">{ format!("⚠ {} key{} unchanged", c.drift, if c.drift == 1 { "" } else { "s" }) }</span> }
                </span>
            </div>
            <div class="job-meta">
                <span>{"by "}<bdi>{ b.user.clone() }</bdi></span>
                <span title="Created">{ format!("started {}", crate::browser::dom::local_time(b.created_ms)) }</span>
                <span class="batch-id" title={format!("Batch {}", b.id)}>{ format!("batch {}", short_id(&b.id)) }</span>
                { for b.links.iter().map(|s| html! { <span class="batch-link">{ s.clone() }</span> }) }
            </div>
            { actions }
            if *open {
                <ul class="batch-jobs" id={list_id}>
                    { for p.jobs.iter().map(|e| row(e, html! {})) }
                </ul>
                if p.jobs.len() < n {
                    <p class="job-note batch-filtered">{ format!("{} of its {n} jobs match the filters.", p.jobs.len()) }</p>
                }
            }
        </li>
    }
}

/// "Retry failed (n)" and "Undo (n)", on a batch that has failed or succeeded jobs.
fn actions(p: &BatchRowProps) -> Html {
    if p.retry.is_none() && p.undo.is_none() {
        return html! {};
    }
    let button = |f: &Option<Followup>, class: &'static str, label: &str, what: &str| match f {
        Some(f) => {
            let (cb, f2) = (p.on_follow_up.clone(), f.clone());
            html! {
                <button type="button" class={class} disabled={p.busy}
                    title={format!("{what} of batch {}", short_id(&p.batch.id))}
                    onclick={Callback::from(move |_| cb.emit(f2.clone()))}>
                    { format!("{label} ({})", f.keys.len()) }
                </button>
            }
        }
        None => html! {},
    };
    html! {
        <div class="batch-actions">
            { button(&p.retry, "batch-retry", "Retry failed", "Re-read and post again the failed keys") }
            { button(&p.undo, "batch-undo", "Undo", "Re-read and reverse the succeeded keys") }
        </div>
    }
}
