//! An error from the manager as the user reads it: the sentence, then a muted line with the
//! manager's `NCERR…` name and its request id, with a button that copies the id for the
//! manager's administrator. Inline (spans), so it fits in a paragraph, a cell or a banner.
use yew::prelude::*;

use crate::browser::dom::copy_to_clipboard;
use crate::domain::manager_error::ManagerError;

#[derive(Properties, PartialEq)]
pub struct ErrorDetailProps {
    pub error: ManagerError,
}

#[function_component(ErrorDetail)]
pub fn error_detail(p: &ErrorDetailProps) -> Html {
    let copied = use_state(|| false);
    let e = &p.error;
    let on_copy = e.request_id.clone().map(|rid| {
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            copy_to_clipboard(&rid);
            copied.set(true);
        })
    });
    html! {
        <>
            <span class="error-sentence">{ e.message.clone() }</span>
            if e.has_reference() {
                <span class="error-ref">
                    if let Some(name) = &e.name {
                        <code class="error-name">{ name.clone() }</code>
                    }
                    if e.name.is_some() && e.request_id.is_some() {
                        <span aria-hidden="true">{" · "}</span>
                    }
                    if let (Some(rid), Some(onclick)) = (&e.request_id, on_copy) {
                        {"request "}<code class="request-id">{ rid.clone() }</code>
                        <button type="button" class="copy-request-id" aria-label="Copy request ID"
                            title="Copy the request ID for the manager's administrator" {onclick}>
                            { if *copied { "Copied ✓" } else { "Copy" } }
                        </button>
                    }
                </span>
            }
        </>
    }
}
