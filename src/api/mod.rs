//! The manager's wire: one module per resource, each type beside its reading and writing, and
//! the one HTTP client. Imports nothing from `domain`.
pub mod client;
pub mod decode;
pub mod error;
pub mod groups;
pub mod jobs;
pub mod keys;
pub mod lenient;
pub mod list;
pub mod sign_in;
pub mod text;
pub mod tokens;
