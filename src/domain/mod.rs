//! Decisions that need no browser: job phases, the ledger, polling, queries, confirmation.
pub mod announce;
pub mod confirm;
pub mod export;
pub mod job_state;
pub mod key_query;
pub mod key_ref;
pub mod ledger;
pub mod manager_error;
pub mod order;
pub mod permissions;
pub mod plan;
pub mod poll;
pub mod session;
/// Moved to `api` (the client logs in as one); this path stays for the callers not yet moved.
pub use crate::api::sign_in;
pub mod submit;
pub mod time_fmt;
pub mod view;
