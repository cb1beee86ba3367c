//! The hooks that wire the domain to the page: each owns one concern and returns a small handle.
mod ledger_saver;
mod ledger_store;
pub mod use_dialog;
pub mod use_groups;
pub mod use_job_news;
pub mod use_key_detail;
pub mod use_key_view;
pub mod use_keys;
pub mod use_ledger;
pub mod use_now;
pub mod use_poller;
pub mod use_selection;
pub mod use_session;
pub mod use_shortcuts;
pub mod use_submit;
pub mod use_theme;
pub mod use_view;
