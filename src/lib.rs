//! CCKM SAP key jobs: the admin page (Yew) and the browser-free logic it stands on.
pub mod api;
pub mod domain;
