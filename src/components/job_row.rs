//! One job of the job list: its badge, key, state, times and what its key showed after it.
use yew::prelude::*;

use crate::api::jobs::Operation;
use crate::domain::job_state::JobPhase;
use crate::domain::ledger::{LedgerEntry, Verification};
use crate::hooks::use_ledger::EntryRef;

#[derive(Properties, PartialEq)]
pub(crate) struct JobRowProps {
    pub entry: EntryRef,
    /// Pre-formatted so a row re-renders only when its own text changes.
    pub updated: String,
    /// Opens the job's detail (its job id).
    pub on_open: Callback<String>,
    /// When set, the key's name opens its history (the CCKM key id) and a "Details" button
    /// opens the job.
    #[prop_or_default]
    pub on_open_key: Option<Callback<String>>,
    /// Shown at the row's end: a batch of one's retry and undo buttons.
    #[prop_or_default]
    pub actions: Html,
}

#[function_component(JobRow)]
pub(crate) fn job_row(p: &JobRowProps) -> Html {
    let e: &LedgerEntry = &p.entry.0;
    let raw = e.states.last().map(|s| s.state.clone()).unwrap_or_default();
    let drift = matches!(e.verification, Verification::Drift { .. });
    let (badge_class, badge, icon) = match (e.phase, drift) {
        (JobPhase::Succeeded, true) => ("badge drift", "finished, key unchanged", "⚠"),
        (JobPhase::Running, _) => ("badge running", "running", "⟳"),
        (JobPhase::Succeeded, false) if e.inferred => {
            ("badge succeeded", "succeeded (inferred from the key)", "✓")
        }
        (JobPhase::Succeeded, false) => ("badge succeeded", "succeeded", "✓"),
        (JobPhase::NoLongerWatched, _) => (
            "badge unknown",
            "no longer watched — check the manager",
            "⏸",
        ),
        (JobPhase::Failed, _) => ("badge failed", "failed", "✗"),
        (JobPhase::UnknownToManager, _) => ("badge unknown", "unknown to manager", "?"),
    };
    html! {
        <li class={classes!("job", phase_class(e.phase))} data-job-id={e.job_id.clone()}>
            <div class="job-main">
                <span class={badge_class}><span aria-hidden="true">{icon}</span>{" "}{badge}</span>
                <span class="job-op">{e.operation.as_str()}</span>
                { match &p.on_open_key {
                    None => html! {
                        <button type="button" class="job-key link-like" title={format!("Details of this job for {}", e.key_name)}
                            onclick={ let (cb, id) = (p.on_open.clone(), e.job_id.clone()); Callback::from(move |_| cb.emit(id.clone())) }>
                            <bdi>{ e.key_name.clone() }</bdi>
                        </button>
                    },
                    Some(open_key) => html! {
                        <>
                            <button type="button" class="job-key link-like" title={format!("History of the key {}", e.key_name)}
                                onclick={ let (cb, id) = (open_key.clone(), e.id.clone()); Callback::from(move |_| cb.emit(id.clone())) }>
                                <bdi>{ e.key_name.clone() }</bdi>
                            </button>
                            <button type="button" class="job-open link" aria-label={format!("Details of this job for {}", e.key_name)}
                                onclick={ let (cb, id) = (p.on_open.clone(), e.job_id.clone()); Callback::from(move |_| cb.emit(id.clone())) }>
                                {"Details"}
                            </button>
                        </>
                    },
                } }
                <code class="job-state" title="State as the manager reports it">{ if raw.is_empty() { "—".to_string() } else { raw } }</code>
            </div>
            <div class="job-meta">
                if let Some(g) = &e.group { <span><bdi>{ g.clone() }</bdi></span> }
                if e.delete_if_backup_fails { <span class="flag-on" title="delete_if_backup_fails was on">{"delete_if_backup_fails"}</span> }
                <span title="Created">{ format!("started {}", crate::browser::dom::local_time(e.created_ms)) }</span>
                <span class="job-updated">{ format!("updated {}", p.updated) }</span>
            </div>
            if let Some(t) = &e.failure_text {
                <p class="job-error">{"✗ "}<bdi>{ t.clone() }</bdi></p>
            }
            { watch_note(e) }
            { verification_note(e) }
            { p.actions.clone() }
        </li>
    }
}

fn phase_class(phase: JobPhase) -> &'static str {
    match phase {
        JobPhase::Running => "phase-running",
        JobPhase::NoLongerWatched => "phase-no-longer-watched",
        JobPhase::UnknownToManager => "phase-unknown-to-manager",
        JobPhase::Succeeded => "phase-succeeded",
        JobPhase::Failed => "phase-failed",
    }
}

/// Why a job the manager gave an unlisted word for ended, or stopped being watched.
fn watch_note(e: &LedgerEntry) -> Html {
    let word = e.last_state();
    match e.phase {
        JobPhase::Succeeded if e.inferred => html! {
            <p class="job-note job-inferred">{ format!("The manager's last word, “{word}”, is not one this page knows; the key shows the {} happened, so the job is counted as succeeded.", e.operation.as_str()) }</p>
        },
        JobPhase::NoLongerWatched => html! {
            <p class="job-note job-unwatched">{ format!("⏸ No longer watched — check the manager: its word “{word}” is not one this page knows, and the key did not change within a day of the job's start, so the page stopped asking.") }</p>
        },
        _ => html! {},
    }
}

fn verification_note(e: &LedgerEntry) -> Html {
    match &e.verification {
        Verification::Drift {
            expected_gone,
            actual_gone,
        } => {
            let expected = if *expected_gone {
                "deleted from SAP"
            } else {
                "present in SAP"
            };
            let actual = match actual_gone {
                Some(true) => "deleted from SAP",
                Some(false) => "present in SAP",
                None => "of unknown state",
            };
            let lead = if e.phase == JobPhase::Failed {
                "The job failed, but the key changed anyway"
            } else {
                "The job finished, but the key did not change"
            };
            html! { <p class="job-drift">{ format!("⚠ {lead}: it should be {expected}, yet the manager reports it {actual}.") }</p> }
        }
        Verification::Unavailable(m) => {
            html! { <p class="job-note">{ format!("The key could not be re-read after the job: {m}") }</p> }
        }
        Verification::Confirmed => html! { <p class="job-ok">{ match (e.operation, e.phase) {
            (Operation::Delete, JobPhase::Succeeded) => "Key re-read: deleted from SAP.",
            (Operation::Restore, JobPhase::Succeeded) => "Key re-read: present in SAP again.",
            _ => "Key re-read: unchanged.",
        } }</p> },
        Verification::NotYet => html! {},
    }
}
