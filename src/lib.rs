//! CCKM SAP key jobs: the admin page (Yew) and the browser-free logic it stands on.
pub mod api;
pub mod components;
pub mod hooks;
pub mod perf;
pub mod domain;

/// Installs the panic banner and renders the app into `<body>`.
pub fn start() {
    components::banner::install_panic_hook();
    yew::Renderer::<components::app::App>::new().render();
}
