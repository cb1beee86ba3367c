//! Yew views: they render state and forward events, nothing more.
pub mod app;
pub mod banner;
pub(crate) mod batch_row;
pub mod confirm_dialog;
pub mod error_detail;
pub mod help;
pub mod job_detail;
pub mod job_filters;
pub mod job_form;
pub mod job_list;
pub(crate) mod job_row;
pub mod key_history;
pub mod key_table;
pub mod login;
