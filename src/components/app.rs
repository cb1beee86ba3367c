//! The page: header, key list, job list.
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">{"⚿"}</span>
                    <span class="brand-name">{"SAP key jobs"}</span>
                    <span class="brand-sub">{"CipherTrust Manager · CCKM"}</span>
                </div>
            </header>
            <main class="layout">
                <section class="panel keys" aria-labelledby="keys-title">
                    <h2 id="keys-title">{"SAP keys"}</h2>
                    <p class="empty">{"No keys loaded yet."}</p>
                </section>
                <section class="panel jobs" aria-labelledby="jobs-title">
                    <h2 id="jobs-title">{"Jobs started here"}</h2>
                    <p class="empty">{"No jobs yet."}</p>
                </section>
            </main>
        </div>
    }
}
