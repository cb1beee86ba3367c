//! The manager's wire: types and the one HTTP client.
