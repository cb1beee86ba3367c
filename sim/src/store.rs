//! In-memory store of groups (with their ACLs), keys, jobs and refresh tokens, and its atomic state file.

use crate::acl::AclEntry;
use crate::views::KeyView;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

pub const ACCOUNT: &str = "kylo:kylo:admin:accounts:kylo";

/// Version of the state file; files of version 1 predate ACLs and get the demo ACLs on load.
pub const STORE_VERSION: u32 = 2;

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    let n = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// RFC 3339 with nanoseconds (trailing zeros trimmed), UTC `Z`.
pub fn rfc3339(ns: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// One SAP group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub id: Uuid,
    pub created_ns: i64,
    pub updated_ns: i64,
    pub name: String,
    pub group_id: Uuid,
    pub sap_application: String,
    pub keystore_id: Uuid,
    pub connection: String,
    pub cloud_name: String,
    pub tenant: String,
    pub tier: String,
    pub region: String,
    pub provider: String,
    pub key_store_name: String,
    pub creator_name: String,
    /// Who may do what with this group's keys.
    #[serde(default)]
    pub acls: Vec<AclEntry>,
}

/// One SAP key plus the simulator's hidden facts about its backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub id: Uuid,
    pub created_ns: i64,
    pub updated_ns: i64,
    pub cloud_name: String,
    pub tenant: String,
    pub name: String,
    pub gone: bool,
    pub description: String,
    pub enabled: bool,
    pub exportable: bool,
    pub group: usize,
    pub sap_key_id: Uuid,
    pub customer_held: bool,
    pub key_type: String,
    pub size: u32,
    pub meta_created: String,
    pub creator_name: String,
    pub total_versions: u32,
    /// A backup of the key exists in the manager.
    pub has_backup: bool,
    /// Backing this key up fails (delete needs `delete_if_backup_fails`).
    pub backup_fails: bool,
    pub active_job: Option<Uuid>,
    #[serde(skip)]
    pub name_lower: String,
    /// Position of `name` in name order (names never change), for cheap sorting.
    #[serde(skip)]
    pub name_rank: u32,
}

/// Job states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Pending,
    InProgress,
    Completed,
    Failed,
}

impl JobState {
    pub fn terminal(self) -> bool {
        matches!(self, JobState::Completed | JobState::Failed)
    }
}

/// Job operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Delete,
    Restore,
}

/// One delete/restore job and its timers (absolute wall-clock deadlines, so they survive restarts).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: Uuid,
    pub created_ns: i64,
    pub updated_ns: i64,
    pub cckm_key_id: Uuid,
    pub group_id: Uuid,
    pub job_id: Uuid,
    pub key_id: Uuid,
    pub operation: Operation,
    pub creator_id: String,
    pub creator_name: String,
    pub state: JobState,
    pub error_details: Option<String>,
    pub delete_if_backup_fails: bool,
    pub simulated_failure: bool,
    pub in_progress_at_ns: i64,
    pub done_at_ns: i64,
}

/// An issued refresh token: whose it is (user, home domain, connection), the domain it logs
/// into, and when it was last used (state files before domains load as root / `local_account`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub token: String,
    pub id: Uuid,
    pub username: String,
    pub client_id: Uuid,
    pub created_ns: i64,
    #[serde(default = "root_domain")]
    pub domain: String,
    #[serde(default = "root_domain")]
    pub auth_domain: String,
    #[serde(default = "local_account")]
    pub connection: String,
    /// 0 in old state files: `created_ns` counts instead.
    #[serde(default)]
    pub last_used_ns: i64,
}

fn root_domain() -> String {
    crate::users::ROOT_DOMAIN.to_string()
}

fn local_account() -> String {
    crate::users::LOCAL_ACCOUNT.to_string()
}

impl RefreshRecord {
    /// When the token was last issued or used.
    pub fn last_used(&self) -> i64 {
        self.last_used_ns.max(self.created_ns)
    }
}

/// Everything the simulator keeps (and persists with --state).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    pub version: u32,
    pub secret: String,
    pub groups: Vec<GroupRecord>,
    pub keys: Vec<KeyRecord>,
    pub jobs: HashMap<Uuid, JobRecord>,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    #[serde(skip)]
    pub key_index: HashMap<Uuid, usize>,
    /// All lower-case names, concatenated, and where each key's name starts in it (for substring search).
    #[serde(skip)]
    pub names_blob: String,
    #[serde(skip)]
    pub name_starts: Vec<usize>,
    /// Position of each group's name in name order.
    #[serde(skip)]
    pub group_rank: Vec<u32>,
}

impl Store {
    /// Rebuild derived indexes after loading or generating.
    pub fn reindex(&mut self) {
        self.key_index = self.keys.iter().enumerate().map(|(i, k)| (k.id, i)).collect();
        for k in &mut self.keys {
            k.name_lower = k.name.to_lowercase();
        }
        self.names_blob.clear();
        self.name_starts.clear();
        for k in &self.keys {
            self.name_starts.push(self.names_blob.len());
            self.names_blob.push_str(&k.name_lower);
            self.names_blob.push('\u{1}');
        }
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|&a, &b| self.keys[a].name.cmp(&self.keys[b].name));
        let mut rank = 0u32;
        for (pos, &i) in order.iter().enumerate() {
            if pos > 0 && self.keys[order[pos - 1]].name != self.keys[i].name {
                rank += 1;
            }
            self.keys[i].name_rank = rank;
        }
        let mut gorder: Vec<usize> = (0..self.groups.len()).collect();
        gorder.sort_by(|&a, &b| self.groups[a].name.cmp(&self.groups[b].name));
        self.group_rank = vec![0; self.groups.len()];
        for (pos, &i) in gorder.iter().enumerate() {
            self.group_rank[i] = u32::try_from(pos).unwrap_or(u32::MAX);
        }
    }

    /// Indexes (ascending) of keys whose lower-case name contains `needle` (already lower-case).
    pub fn keys_with_name_containing(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return (0..self.keys.len()).collect();
        }
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(found) = self.names_blob.get(pos..).and_then(|h| h.find(needle)) {
            let m = pos + found;
            let i = self.name_starts.partition_point(|&s| s <= m).saturating_sub(1);
            let end = self.name_starts[i] + self.keys[i].name_lower.len();
            if m + needle.len() <= end {
                out.push(i);
                pos = end;
            } else {
                pos = m + self.names_blob[m..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    pub fn key_view(&self, i: usize, drop_inferred: bool) -> Option<KeyView<'_>> {
        let key = self.keys.get(i)?;
        let group = self.groups.get(key.group)?;
        Some(KeyView { key, group, drop_inferred })
    }

    /// Load a state file.
    pub fn load(path: &Path) -> Result<Store, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut store: Store =
            serde_json::from_slice(&bytes).map_err(|e| format!("state file {} does not parse: {e}", path.display()))?;
        if store.keys.iter().any(|k| k.group >= store.groups.len()) {
            return Err(format!("state file {} refers to a missing group", path.display()));
        }
        if store.version < STORE_VERSION {
            crate::acl::seed_demo_acls(&mut store.groups);
            store.version = STORE_VERSION;
        }
        store.reindex();
        Ok(store)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(self).map_err(|e| e.to_string())
    }
}

/// Write `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{file_name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
