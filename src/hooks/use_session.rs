//! The login session: tokens in memory and sessionStorage (never localStorage), a silent refresh
//! before the JWT expires, and the switch to "log in again" when the manager refuses to refresh.
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::{now_ms, Api, AuthEvent};
use crate::api::decode::{parse_json, to_json};
use crate::api::sign_in::SignIn;
use crate::api::tokens::Tokens;
use crate::browser::storage;
use crate::domain::session::refresh_delay_ms;

const SESSION_KEY: &str = "cckm-sap-session";

#[derive(Clone, PartialEq, Debug)]
pub enum SessionState {
    LoggedOut,
    Active(Tokens),
    /// The session ended under the user's feet: ask for the password again, keep the page.
    Expired(SignIn),
}

impl SessionState {
    /// Who is (or was, while expired) signed in, and where.
    pub fn sign_in(&self) -> Option<SignIn> {
        match self {
            SessionState::LoggedOut => None,
            SessionState::Active(t) => Some(t.sign_in()),
            SessionState::Expired(who) => Some(who.clone()),
        }
    }
}

#[derive(Clone, PartialEq)]
pub(crate) struct SessionHandle {
    pub state: SessionState,
    pub logged_in: Callback<Tokens>,
    pub logout: Callback<()>,
}

#[hook]
pub(crate) fn use_session(api: &Api) -> SessionHandle {
    let state = {
        let api = api.clone();
        use_state(move || {
            let saved =
                storage::session_get(SESSION_KEY).and_then(|s| parse_json::<Tokens>(&s).ok());
            match saved {
                Some(t) => {
                    api.set_tokens(Some(t.clone()));
                    SessionState::Active(t)
                }
                None => SessionState::LoggedOut,
            }
        })
    };
    // A failed refresh for a reason other than refusal (network) is tried again later.
    let retry = use_state(|| 0u32);
    let last_user = use_mut_ref(|| None::<SignIn>);
    if let Some(who) = state.sign_in() {
        *last_user.borrow_mut() = Some(who);
    }

    {
        let state = state.clone();
        let last_user = last_user.clone();
        use_effect_with(api.clone(), move |api| {
            api.set_on_auth(Callback::from(move |ev: AuthEvent| match ev {
                AuthEvent::Refreshed(t) => {
                    if let Some(s) = to_json(&t) {
                        storage::session_set(SESSION_KEY, &s);
                    }
                    state.set(SessionState::Active(t));
                }
                AuthEvent::Expired => {
                    storage::session_remove(SESSION_KEY);
                    let who = last_user.borrow().clone();
                    if let Some(who) = who.filter(|w| !w.user.is_empty()) {
                        state.set(SessionState::Expired(who));
                    }
                }
            }));
        });
    }

    {
        let api = api.clone();
        let retry = retry.clone();
        let jwt = match &*state {
            SessionState::Active(t) => Some((t.clone(), *retry)),
            _ => None,
        };
        use_effect_with(jwt, move |jwt| {
            let timer = jwt.as_ref().map(|(t, attempt)| {
                let delay = if *attempt > 0 {
                    10_000
                } else {
                    let elapsed = (now_ms() - t.received_ms).max(0.0);
                    let claims = t.claims();
                    (refresh_delay_ms(t.received_ms, claims.as_ref(), t.duration_s) as f64
                        - elapsed)
                        .max(1000.0) as u64
                };
                gloo_timers::callback::Timeout::new(delay.min(u32::MAX as u64) as u32, move || {
                    spawn_local(async move {
                        match api.refresh().await {
                            Ok(_) => retry.set(0),
                            Err(e) if e.is_unauthorized() => {}
                            Err(_) => retry.set(*retry + 1),
                        }
                    });
                })
            });
            move || drop(timer)
        });
    }

    let logged_in = {
        let state = state.clone();
        let api = api.clone();
        Callback::from(move |t: Tokens| {
            api.set_tokens(Some(t.clone()));
            if let Some(s) = to_json(&t) {
                storage::session_set(SESSION_KEY, &s);
            }
            state.set(SessionState::Active(t));
        })
    };
    let logout = {
        let state = state.clone();
        let api = api.clone();
        Callback::from(move |_| {
            api.set_tokens(None);
            storage::session_remove(SESSION_KEY);
            state.set(SessionState::LoggedOut);
        })
    };
    SessionHandle {
        state: (*state).clone(),
        logged_in,
        logout,
    }
}
