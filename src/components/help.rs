//! Keyboard shortcuts, and the switch to turn them off.
use yew::prelude::*;

use crate::hooks::use_dialog::use_dialog_focus;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub shortcuts_on: bool,
    pub on_toggle: Callback<()>,
    pub on_close: Callback<()>,
}

#[function_component(Help)]
pub fn help(p: &HelpProps) -> Html {
    let root = use_node_ref();
    use_dialog_focus(root.clone(), Some(p.on_close.clone()));
    html! {
        <div class="modal-backdrop">
            <div class="modal narrow" role="dialog" aria-modal="true" aria-labelledby="help-title" id="help" ref={root}>
                <h2 id="help-title">{"Keyboard"}</h2>
                <dl class="facts">
                    <dt><kbd>{"/"}</kbd></dt><dd>{"Search keys"}</dd>
                    <dt><kbd>{"?"}</kbd></dt><dd>{"This help"}</dd>
                    <dt><kbd>{"Space"}</kbd></dt><dd>{"Select the focused key"}</dd>
                    <dt><kbd>{"Tab"}</kbd></dt><dd>{"Move between controls; dialogs keep focus inside"}</dd>
                    <dt><kbd>{"Esc"}</kbd></dt><dd>{"Close a dialog"}</dd>
                </dl>
                <label class="flag">
                    <input type="checkbox" id="shortcuts-toggle" checked={p.shortcuts_on} onchange={p.on_toggle.reform(|_: Event| ())} />
                    <span>{"Single-key shortcuts (/ and ?)"}</span>
                </label>
                <div class="modal-actions">
                    <button type="button" class="primary" id="help-close" onclick={p.on_close.reform(|_| ())}>{"Close"}</button>
                </div>
            </div>
        </div>
    }
}
