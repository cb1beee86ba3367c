//! Browser services that are not hooks: the ledger's IndexedDB, storage, local time, downloads, notifications, the title.
pub mod dom;
pub mod idb;
pub mod storage;
