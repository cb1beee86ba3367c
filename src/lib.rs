//! CCKM SAP key jobs: the admin page (Yew) and the browser-free logic it stands on.
pub mod api;
pub mod browser;
pub mod components;
pub mod domain;
pub mod hooks;
pub mod perf;

/// Installs the panic banner and renders the app into `<body>`.
pub fn start() {
    components::banner::install_panic_hook();
    yew::Renderer::<components::app::App>::new().render();
    // Building the first `Intl.DateTimeFormat` loads locale data (~30 ms): do it while the user
    // reads the login form, not while the first key page renders.
    browser::dom::after_paint(Box::new(browser::dom::warm_up));
}
