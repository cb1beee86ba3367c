//! Yew views: they render state and forward events, nothing more.
pub mod app;
pub mod banner;
