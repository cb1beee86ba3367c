//! The login form; also shown in place, over the page, when the session has expired. Domain and
//! sign-in source sit under a disclosure and are remembered per browser (never the password).
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
use crate::api::sign_in::{SignIn, LOCAL_ACCOUNT};
use crate::api::tokens::Tokens;
use crate::browser::storage;
use crate::components::error_detail::ErrorDetail;
use crate::domain::login_form::{LoginAction, LoginForm};
use crate::domain::manager_error::ManagerError;

const DOMAIN_KEY: &str = "cckm-sap-login-domain";
const CONNECTION_KEY: &str = "cckm-sap-login-connection";
const HOME_KEY: &str = "cckm-sap-login-auth-domain";

#[derive(Properties, PartialEq)]
pub struct LoginProps {
    pub api: Api,
    pub on_logged_in: Callback<Tokens>,
    /// Set when the session expired: who and where are kept and the form explains why it is back.
    #[prop_or_default]
    pub expired: Option<SignIn>,
}

fn value(r: &NodeRef) -> String {
    r.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

#[function_component(Login)]
pub fn login(props: &LoginProps) -> Html {
    let user_ref = use_node_ref();
    let pass_ref = use_node_ref();
    let domain_ref = use_node_ref();
    let connection_ref = use_node_ref();
    let home_ref = use_node_ref();
    let form = use_reducer(LoginForm::default);
    let remembered = use_memo((), |_| {
        SignIn::new(
            "",
            &storage::local_get(DOMAIN_KEY).unwrap_or_default(),
            &storage::local_get(CONNECTION_KEY).unwrap_or_default(),
        )
        .with_home(&storage::local_get(HOME_KEY).unwrap_or_default())
    });
    let shown = props
        .expired
        .clone()
        .unwrap_or_else(|| (*remembered).clone());

    let onsubmit = {
        let (api, cb, form) = (props.api.clone(), props.on_logged_in.clone(), form.clone());
        let refs = (
            user_ref.clone(),
            pass_ref.clone(),
            domain_ref.clone(),
            connection_ref.clone(),
            home_ref.clone(),
        );
        let fixed = props.expired.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.busy {
                return;
            }
            let (user_ref, pass_ref, domain_ref, connection_ref, home_ref) = &refs;
            let who = fixed.clone().unwrap_or_else(|| {
                SignIn::new(&value(user_ref), &value(domain_ref), &value(connection_ref))
                    .with_home(&value(home_ref))
            });
            let password = value(pass_ref);
            if who.user.is_empty() || password.is_empty() {
                form.dispatch(LoginAction::Incomplete);
                return;
            }
            form.dispatch(LoginAction::Sent);
            crate::perf::mark("cckm:login-submit");
            let (api, cb, form, pass_ref) =
                (api.clone(), cb.clone(), form.dispatcher(), pass_ref.clone());
            spawn_local(async move {
                match api.login(&who, &password).await {
                    Ok(t) => {
                        form.dispatch(LoginAction::LoggedIn);
                        if let Some(i) = pass_ref.cast::<HtmlInputElement>() {
                            i.set_value("");
                        }
                        storage::local_set(DOMAIN_KEY, &who.domain);
                        storage::local_set(CONNECTION_KEY, &who.connection);
                        storage::local_set(HOME_KEY, &who.auth_domain);
                        cb.emit(t)
                    }
                    Err(e) => form.dispatch(LoginAction::Failed(
                        ManagerError::from(&e).with_message(e.login_message()),
                    )),
                }
            });
        })
    };

    use_effect_with((), |_| crate::perf::mark("cckm:login-ready"));
    let expired = props.expired.is_some();
    // Open the disclosure when it holds something other than the defaults, so nothing is hidden.
    let non_default = !shown.is_root_domain()
        || !shown.auth_domain.is_empty()
        || shown.connection != LOCAL_ACCOUNT;
    html! {
        <form class={classes!("login", expired.then_some("login-expired"))} {onsubmit} novalidate=true aria-labelledby="login-title">
            <h2 id="login-title">{ if expired { "Your session has expired" } else { "Log in to CipherTrust Manager" } }</h2>
            if expired {
                <p class="hint">{"Enter your password to continue. Your selection and the job list stay as they are; polling resumes after you log in."}</p>
            }
            <label for="login-username">{"Username"}</label>
            <input id="login-username" ref={user_ref} name="username" autocomplete="username" required=true
                value={props.expired.as_ref().map(|w| w.user.clone())} disabled={expired} />
            <label for="login-password">{"Password"}</label>
            <input id="login-password" ref={pass_ref} name="password" type="password" autocomplete="current-password" required=true />
            <details class="sign-in-source" id="login-more" open={non_default}>
                <summary>{"Domain and sign-in source"}
                    if non_default {
                        <span class="muted">{ format!(" — {}, {}", shown.domain_label(), shown.connection) }</span>
                    }
                </summary>
                <label for="login-domain">{"Domain"}</label>
                <input id="login-domain" ref={domain_ref} name="domain" placeholder="root" autocomplete="off" spellcheck="false"
                    value={shown.domain.clone()} disabled={expired} aria-describedby="login-domain-hint" />
                <p class="hint" id="login-domain-hint">{"The CipherTrust domain you work in. Leave empty for the root domain."}</p>
                <label for="login-auth-domain">{"Your home domain (only if it is another one)"}</label>
                <input id="login-auth-domain" ref={home_ref} name="auth_domain" autocomplete="off" spellcheck="false"
                    value={shown.auth_domain.clone()} disabled={expired} aria-describedby="login-auth-domain-hint" />
                <p class="hint" id="login-auth-domain-hint">{"For an administrator of one domain working in another, e.g. root. Usually empty."}</p>
                <label for="login-connection">{"Sign-in source (connection)"}</label>
                <input id="login-connection" ref={connection_ref} name="connection" autocomplete="off" spellcheck="false"
                    value={shown.connection.clone()} disabled={expired} aria-describedby="login-connection-hint" />
                <p class="hint" id="login-connection-hint">{"local_account for users of the manager itself, or the name of the LDAP or OIDC connection your administrator set up."}</p>
            </details>
            if let Some(msg) = &form.error {
                <p class="form-error" role="alert" id="login-error">{"⚠ "}<ErrorDetail error={msg.clone()} /></p>
            }
            <button id="login-submit" type="submit" class="primary" disabled={form.busy}>
                { if form.busy { "Logging in…" } else { "Log in" } }
            </button>
        </form>
    }
}
