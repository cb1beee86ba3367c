//! One job in full: its timeline, its key as the manager reports it now, the raw job JSON, and
//! the requests as curl commands (with `$TOKEN` in place of the token).
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
use crate::api::decode::to_json_pretty;
use crate::api::keys::SapKey;
use crate::browser::dom::{copy_to_clipboard, local_rfc3339, local_time};
use crate::components::error_detail::ErrorDetail;
use crate::domain::export::curl_commands;
use crate::domain::manager_error::ManagerError;
use crate::hooks::use_dialog::use_dialog_focus;
use crate::hooks::use_ledger::EntryRef;

#[derive(Properties, PartialEq)]
pub struct JobDetailProps {
    pub entry: EntryRef,
    pub api: Api,
    pub origin: String,
    pub on_close: Callback<()>,
    /// Opens the history panel of the key with this CCKM id.
    #[prop_or_default]
    pub on_open_key: Callback<String>,
}

#[function_component(JobDetail)]
pub fn job_detail(p: &JobDetailProps) -> Html {
    let e = &p.entry.0;
    let key = use_state(|| None::<Result<SapKey, ManagerError>>);
    let copied = use_state(|| false);
    let root = use_node_ref();
    use_dialog_focus(root.clone(), Some(p.on_close.clone()));
    {
        let (api, key, id) = (p.api.clone(), key.clone(), e.id.clone());
        use_effect_with(id, move |id| {
            let id = id.clone();
            spawn_local(async move {
                key.set(Some(api.key(&id).await.map_err(|e| ManagerError::from(&e))));
            });
        });
    }
    let curl = curl_commands(&p.origin, e);
    let raw = e
        .last_job
        .as_ref()
        .and_then(|v| to_json_pretty(&**v))
        .unwrap_or_else(|| "The manager's answer has not been read yet.".into());
    let on_copy = {
        let (curl, copied) = (curl.clone(), copied.clone());
        Callback::from(move |_| {
            copy_to_clipboard(&curl);
            copied.set(true);
        })
    };
    html! {
        <div class="modal-backdrop">
            <div class="modal wide" role="dialog" aria-modal="true" aria-labelledby="detail-title" id="job-detail" ref={root}>
                <h2 id="detail-title">{ format!("{} job · ", e.operation.label()) }<bdi>{ e.key_name.clone() }</bdi></h2>
                <dl class="facts">
                    <dt>{"Job id"}</dt><dd><code>{ e.job_id.clone() }</code></dd>
                    <dt>{"Key"}</dt><dd><button type="button" class="link" id="detail-open-key"
                        onclick={ let (cb, id) = (p.on_open_key.clone(), e.id.clone()); Callback::from(move |_| cb.emit(id.clone())) }>
                        <bdi>{ e.key_name.clone() }</bdi>{" — its history"}</button></dd>
                    <dt>{"CCKM key id"}</dt><dd><code>{ e.id.clone() }</code></dd>
                    <dt>{"Status"}</dt><dd>{ e.status_label() }</dd>
                    <dt>{"delete_if_backup_fails"}</dt><dd>{ e.delete_if_backup_fails.to_string() }</dd>
                    <dt>{"Started by"}</dt><dd><bdi>{ e.user.clone() }</bdi>{ format!(", {}", local_time(e.created_ms)) }</dd>
                    if let Some(err) = &e.last_error {
                        <dt>{"Last manager error"}</dt>
                        <dd id="job-last-error"><ErrorDetail error={err.clone()} />
                            if err.at_ms > 0.0 { <span class="muted">{ format!(" ({})", local_time(err.at_ms)) }</span> }
                        </dd>
                    }
                </dl>
                <h3>{"Timeline"}</h3>
                <ol class="timeline" id="job-timeline">
                    <li><span class="t">{ local_time(e.created_ms) }</span>{" posted"}</li>
                    { for e.states.iter().map(|s| html! { <li><span class="t">{ local_time(s.at_ms) }</span>{" "}<code>{ s.state.clone() }</code></li> }) }
                </ol>
                <h3>{"Key now"}</h3>
                { match &*key {
                    None => html! { <p class="muted"><span class="spinner" aria-hidden="true"></span>{"Reading the key…"}</p> },
                    Some(Err(m)) => html! { <p class="bad"><ErrorDetail error={m.clone()} /></p> },
                    Some(Ok(k)) => html! {
                        <dl class="facts" id="job-key">
                            <dt>{"Name"}</dt><dd><bdi>{ k.display_name() }</bdi></dd>
                            <dt>{"State"}</dt><dd>{ k.state().label() }</dd>
                            <dt>{"Group"}</dt><dd><bdi>{ k.group_label() }</bdi></dd>
                            <dt>{"Type"}</dt><dd>{ k.type_size() }</dd>
                            <dt>{"SAP key id"}</dt><dd><code>{ k.sap_key_id().unwrap_or("—").to_string() }</code></dd>
                            <dt>{"Updated"}</dt><dd>{ k.updated_at.as_deref().map(local_rfc3339).unwrap_or_default() }</dd>
                        </dl>
                    },
                } }
                <h3>{"Raw job"}</h3>
                <pre class="code" id="job-raw">{ raw }</pre>
                <h3>{"As curl"}</h3>
                <pre class="code" id="job-curl">{ curl }</pre>
                <div class="modal-actions">
                    <button type="button" id="copy-curl" onclick={on_copy}>{ if *copied { "Copied ✓" } else { "Copy as curl" } }</button>
                    <button type="button" id="detail-close" class="primary" onclick={p.on_close.reform(|_| ())}>{"Close"}</button>
                </div>
            </div>
        </div>
    }
}
