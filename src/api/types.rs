//! The wire types by their old path, for the callers not yet moved to the resource modules
//! (`keys`, `groups`, `jobs`, `list`, `tokens`, `decode`). Remove once nothing imports it.
pub use super::decode::{parse_json, parse_value, DecodeError};
pub use super::error::ManagerErrorBody;
pub use super::groups::SapGroup;
pub use super::jobs::{parse_job, Job, JobRequest, Operation};
pub use super::keys::{KeyMeta, KeyState, KeystoreContext, SapKey, SapParam};
pub use super::list::{parse_list, ListPage};
pub use super::tokens::{TokenRequest, TokenResponse};
