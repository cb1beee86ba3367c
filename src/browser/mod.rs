//! Browser services that are not hooks: storage, local time, downloads, notifications, the title.
pub mod dom;
pub mod storage;
