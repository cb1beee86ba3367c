//! The manager's wire: types and the one HTTP client.
pub mod client;
pub mod error;
pub mod lenient;
pub mod read;
pub mod types;
