//! The login form; also shown in place, over the page, when the session has expired.
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::{Api, Tokens};
use crate::hooks::{fx::use_fx, state::use_state};

#[derive(Properties, PartialEq)]
pub struct LoginProps {
    pub api: Api,
    pub on_logged_in: Callback<Tokens>,
    /// Set when the session expired: the name is kept and the form explains why it is back.
    #[prop_or_default]
    pub expired_user: Option<String>,
}

#[function_component(Login)]
pub fn login(props: &LoginProps) -> Html {
    let user_ref = use_node_ref();
    let pass_ref = use_node_ref();
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);

    let onsubmit = {
        let (api, cb, busy, error) = (props.api.clone(), props.on_logged_in.clone(), busy.clone(), error.clone());
        let (user_ref, pass_ref) = (user_ref.clone(), pass_ref.clone());
        let fixed_user = props.expired_user.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let user = fixed_user
                .clone()
                .or_else(|| user_ref.cast::<HtmlInputElement>().map(|i| i.value()))
                .unwrap_or_default();
            let password = pass_ref.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            if user.trim().is_empty() || password.is_empty() {
                error.set(Some("Enter your username and password.".into()));
                return;
            }
            busy.set(true);
            error.set(None);
            crate::perf::mark("cckm:login-submit");
            let (api, cb, busy, error, pass_ref) = (api.clone(), cb.clone(), busy.clone(), error.clone(), pass_ref.clone());
            spawn_local(async move {
                let result = api.login(user.trim(), &password).await;
                busy.set(false);
                match result {
                    Ok(t) => {
                        if let Some(i) = pass_ref.cast::<HtmlInputElement>() {
                            i.set_value("");
                        }
                        cb.emit(t)
                    }
                    Err(e) => error.set(Some(e.login_message())),
                }
            });
        })
    };

    use_fx((), |_| crate::perf::mark("cckm:login-ready"));
    let expired = props.expired_user.is_some();
    html! {
        <form class={classes!("login", expired.then_some("login-expired"))} {onsubmit} novalidate=true aria-labelledby="login-title">
            <h2 id="login-title">{ if expired { "Your session has expired" } else { "Log in to CipherTrust Manager" } }</h2>
            if expired {
                <p class="hint">{"Enter your password to continue. Your selection and the job list stay as they are; polling resumes after you log in."}</p>
            }
            <label for="login-username">{"Username"}</label>
            <input id="login-username" ref={user_ref} name="username" autocomplete="username" required=true
                value={props.expired_user.clone()} disabled={expired} />
            <label for="login-password">{"Password"}</label>
            <input id="login-password" ref={pass_ref} name="password" type="password" autocomplete="current-password" required=true />
            if let Some(msg) = &*error {
                <p class="form-error" role="alert" id="login-error">{"⚠ "}{msg}</p>
            }
            <button id="login-submit" type="submit" class="primary" disabled={*busy}>
                { if *busy { "Logging in…" } else { "Log in" } }
            </button>
        </form>
    }
}
