//! Paged, filtered, sorted lists of keys and groups (§3), answered without cloning the store.
//! Only the groups (and keys of groups) the caller may view are listed and counted.

use crate::errors::ApiError;
use crate::store::{GroupRecord, KeyRecord, Store};
use crate::views::GroupView;
use serde::Serialize;
use std::cmp::Ordering;

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 1000;

/// The list envelope.
#[derive(Serialize)]
pub struct ListEnvelope<T: Serialize> {
    pub skip: usize,
    pub limit: usize,
    pub total: usize,
    pub resources: Vec<T>,
    pub messages: Vec<String>,
}

struct Paging {
    skip: usize,
    limit: usize,
    sort: Vec<(String, bool)>,
}

fn parse_count(name: &str, value: &str) -> Result<usize, ApiError> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(format!(
            "query parameter '{name}' must be a non-negative integer, got '{value}'"
        )));
    }
    v.parse::<usize>().map_err(|_| ApiError::bad_request(format!("query parameter '{name}' is too large: '{value}'")))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_request(format!("query parameter '{name}' must be true or false, got '{value}'"))),
    }
}

fn parse_u32(name: &str, value: &str) -> Result<u32, ApiError> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| ApiError::bad_request(format!("query parameter '{name}' must be a number, got '{value}'")))
}

fn paging(params: &[(String, String)], sortable: &[&str], messages: &mut Vec<String>) -> Result<Paging, ApiError> {
    let mut p = Paging { skip: 0, limit: DEFAULT_LIMIT, sort: Vec::new() };
    for (k, v) in params {
        match k.as_str() {
            "skip" => p.skip = parse_count("skip", v)?,
            "limit" => {
                let l = parse_count("limit", v)?;
                if l > MAX_LIMIT {
                    messages.push(format!("limit {l} is above the maximum of {MAX_LIMIT}; {MAX_LIMIT} used"));
                    p.limit = MAX_LIMIT;
                } else {
                    p.limit = l;
                }
            }
            "sort" => {
                p.sort.clear();
                for part in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (desc, field) = match part.strip_prefix('-') {
                        Some(f) => (true, f),
                        None => (false, part.strip_prefix('+').unwrap_or(part)),
                    };
                    if !sortable.contains(&field) {
                        return Err(ApiError::bad_request(format!(
                            "cannot sort by '{field}'; sortable fields: {}",
                            sortable.join(", ")
                        )));
                    }
                    p.sort.push((field.to_string(), desc));
                }
            }
            _ => {}
        }
    }
    Ok(p)
}

const KEY_SORTS: &[&str] = &[
    "name",
    "createdAt",
    "updatedAt",
    "sap_group_name",
    "type",
    "size",
    "gone",
    "enabled",
    "exportable",
    "id",
    "tenant",
    "cloud_name",
    "totalVersions",
    "sap_key_id",
    "creator_name",
];

const KEY_FILTERS: &[&str] = &[
    "id",
    "name",
    "cloud_name",
    "origin",
    "type",
    "size",
    "enabled",
    "exportable",
    "gone",
    "tenant",
    "creator_name",
    "creator_id",
    "sap_application",
    "sap_group_name",
    "totalVersions",
    "sap_key_id",
];

enum KeyFilter {
    Id(String),
    NameContains(String),
    CloudName(String),
    Origin(String),
    Type(String),
    Size(u32),
    Enabled(bool),
    Exportable(bool),
    Gone(bool),
    Tenant(String),
    CreatorName(String),
    SapApplication(String),
    SapGroupName(String),
    TotalVersions(u32),
    SapKeyId(String),
}

impl KeyFilter {
    fn matches(&self, store: &Store, k: &KeyRecord) -> bool {
        let group = store.groups.get(k.group);
        match self {
            KeyFilter::Id(v) => k.id.to_string().eq_ignore_ascii_case(v),
            KeyFilter::NameContains(v) => k.name_lower.contains(v.as_str()),
            KeyFilter::CloudName(v) => k.cloud_name.eq_ignore_ascii_case(v),
            KeyFilter::Origin(v) => v.eq_ignore_ascii_case("native"),
            KeyFilter::Type(v) => k.key_type.eq_ignore_ascii_case(v),
            KeyFilter::Size(v) => k.size == *v,
            KeyFilter::Enabled(v) => k.enabled == *v,
            KeyFilter::Exportable(v) => k.exportable == *v,
            KeyFilter::Gone(v) => k.gone == *v,
            KeyFilter::Tenant(v) => k.tenant == *v,
            KeyFilter::CreatorName(v) => k.creator_name.eq_ignore_ascii_case(v),
            KeyFilter::SapApplication(v) => group.is_some_and(|g| g.sap_application.eq_ignore_ascii_case(v)),
            KeyFilter::SapGroupName(v) => group.is_some_and(|g| g.name == *v),
            KeyFilter::TotalVersions(v) => k.total_versions == *v,
            KeyFilter::SapKeyId(v) => k.sap_key_id.to_string().eq_ignore_ascii_case(v),
        }
    }
}

fn key_filters(params: &[(String, String)], messages: &mut Vec<String>) -> Result<Vec<KeyFilter>, ApiError> {
    let mut out = Vec::new();
    for (k, v) in params {
        let f = match k.as_str() {
            "skip" | "limit" | "sort" => continue,
            "id" => KeyFilter::Id(v.trim().to_string()),
            "name" => KeyFilter::NameContains(v.to_lowercase()),
            "cloud_name" => KeyFilter::CloudName(v.clone()),
            "origin" => KeyFilter::Origin(v.clone()),
            "type" => KeyFilter::Type(v.clone()),
            "size" => KeyFilter::Size(parse_u32(k, v)?),
            "enabled" => KeyFilter::Enabled(parse_bool(k, v)?),
            "exportable" => KeyFilter::Exportable(parse_bool(k, v)?),
            "gone" => KeyFilter::Gone(parse_bool(k, v)?),
            "tenant" => KeyFilter::Tenant(v.clone()),
            "creator_name" => KeyFilter::CreatorName(v.clone()),
            "creator_id" => {
                messages.push(
                    "filter 'creator_id' is accepted but keys carry no creator id in the simulator; ignored".into(),
                );
                continue;
            }
            "sap_application" => KeyFilter::SapApplication(v.clone()),
            "sap_group_name" => KeyFilter::SapGroupName(v.clone()),
            "totalVersions" => KeyFilter::TotalVersions(parse_u32(k, v)?),
            "sap_key_id" => KeyFilter::SapKeyId(v.trim().to_string()),
            other => {
                messages.push(format!(
                    "unknown query parameter '{other}' ignored; key filters: {}",
                    KEY_FILTERS.join(", ")
                ));
                continue;
            }
        };
        out.push(f);
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum KeyField {
    Name,
    CreatedAt,
    UpdatedAt,
    GroupName,
    Type,
    Size,
    Gone,
    Enabled,
    Exportable,
    Id,
    Tenant,
    CloudName,
    TotalVersions,
    SapKeyId,
    CreatorName,
}

fn key_field(name: &str) -> Option<KeyField> {
    Some(match name {
        "name" => KeyField::Name,
        "createdAt" => KeyField::CreatedAt,
        "updatedAt" => KeyField::UpdatedAt,
        "sap_group_name" => KeyField::GroupName,
        "type" => KeyField::Type,
        "size" => KeyField::Size,
        "gone" => KeyField::Gone,
        "enabled" => KeyField::Enabled,
        "exportable" => KeyField::Exportable,
        "id" => KeyField::Id,
        "tenant" => KeyField::Tenant,
        "cloud_name" => KeyField::CloudName,
        "totalVersions" => KeyField::TotalVersions,
        "sap_key_id" => KeyField::SapKeyId,
        "creator_name" => KeyField::CreatorName,
        _ => return None,
    })
}

fn cmp_key(store: &Store, a: &KeyRecord, b: &KeyRecord, field: KeyField) -> Ordering {
    match field {
        KeyField::Name => a.name_rank.cmp(&b.name_rank),
        KeyField::CreatedAt => a.created_ns.cmp(&b.created_ns),
        KeyField::UpdatedAt => a.updated_ns.cmp(&b.updated_ns),
        KeyField::GroupName => store.group_rank.get(a.group).cmp(&store.group_rank.get(b.group)),
        KeyField::Type => a.key_type.cmp(&b.key_type),
        KeyField::Size => a.size.cmp(&b.size),
        KeyField::Gone => a.gone.cmp(&b.gone),
        KeyField::Enabled => a.enabled.cmp(&b.enabled),
        KeyField::Exportable => a.exportable.cmp(&b.exportable),
        KeyField::Id => a.id.cmp(&b.id),
        KeyField::Tenant => a.tenant.cmp(&b.tenant),
        KeyField::CloudName => a.cloud_name.cmp(&b.cloud_name),
        KeyField::TotalVersions => a.total_versions.cmp(&b.total_versions),
        KeyField::SapKeyId => a.sap_key_id.cmp(&b.sap_key_id),
        KeyField::CreatorName => a.creator_name.cmp(&b.creator_name),
    }
}

fn prefix_key(s: &str) -> u64 {
    let mut b = [0u8; 8];
    for (d, x) in b.iter_mut().zip(s.bytes()) {
        *d = x;
    }
    u64::from_be_bytes(b)
}

fn ns_key(ns: i64) -> u64 {
    (ns as u64) ^ (1 << 63)
}

/// A u64 whose order agrees with `cmp_key` (equal keys may still differ on the full comparison).
fn primary_key(store: &Store, k: &KeyRecord, field: KeyField) -> u64 {
    match field {
        KeyField::Name => u64::from(k.name_rank),
        KeyField::CreatedAt => ns_key(k.created_ns),
        KeyField::UpdatedAt => ns_key(k.updated_ns),
        KeyField::GroupName => u64::from(store.group_rank.get(k.group).copied().unwrap_or(u32::MAX)),
        KeyField::Type => prefix_key(&k.key_type),
        KeyField::Size => u64::from(k.size),
        KeyField::Gone => u64::from(k.gone),
        KeyField::Enabled => u64::from(k.enabled),
        KeyField::Exportable => u64::from(k.exportable),
        KeyField::Id => u64::from_be_bytes(k.id.as_bytes()[..8].try_into().unwrap_or_default()),
        KeyField::Tenant => prefix_key(&k.tenant),
        KeyField::CloudName => prefix_key(&k.cloud_name),
        KeyField::TotalVersions => u64::from(k.total_versions),
        KeyField::SapKeyId => u64::from_be_bytes(k.sap_key_id.as_bytes()[..8].try_into().unwrap_or_default()),
        KeyField::CreatorName => prefix_key(&k.creator_name),
    }
}

/// Sort `idx` by `cmp` (ties broken by position) but only as far as the page `[skip, skip+limit)` needs.
fn sort_page<F>(idx: &mut [usize], skip: usize, limit: usize, cmp: F)
where
    F: Fn(usize, usize) -> Ordering,
{
    let full = |a: &usize, b: &usize| cmp(*a, *b).then(a.cmp(b));
    let end = skip.saturating_add(limit).min(idx.len());
    if end == 0 {
        return;
    }
    if end < idx.len() {
        idx.select_nth_unstable_by(end - 1, full);
        idx[..end].sort_unstable_by(full);
    } else {
        idx.sort_unstable_by(full);
    }
}

/// Whether group `g` is in the caller's view (`None`: every group).
fn sees(visible: Option<&[bool]>, g: usize) -> bool {
    visible.is_none_or(|v| v.get(g).copied().unwrap_or(false))
}

/// Answer `GET /keys` as JSON bytes: keys of the groups `visible` (`None`: all), [I] fields
/// left out with `drop_inferred`.
pub fn list_keys(
    store: &Store,
    params: &[(String, String)],
    visible: Option<&[bool]>,
    drop_inferred: bool,
) -> Result<Vec<u8>, ApiError> {
    let mut messages = Vec::new();
    let p = paging(params, KEY_SORTS, &mut messages)?;
    let filters = key_filters(params, &mut messages)?;
    let name = filters.iter().find_map(|f| match f {
        KeyFilter::NameContains(n) => Some(n.as_str()),
        _ => None,
    });
    let candidates = match name {
        Some(n) => store.keys_with_name_containing(n),
        None => (0..store.keys.len()).collect(),
    };
    let mut idx: Vec<usize> = candidates
        .into_iter()
        .filter(|&i| sees(visible, store.keys[i].group) && filters.iter().all(|f| f.matches(store, &store.keys[i])))
        .collect();
    let total = idx.len();
    let sort: Vec<(KeyField, bool)> = p.sort.iter().filter_map(|(f, d)| key_field(f).map(|k| (k, *d))).collect();
    if let Some(&(first, first_desc)) = sort.first() {
        // Sort (primary key, index) pairs: cache-friendly; records are only read to break ties.
        let mut pairs: Vec<(u64, usize)> = idx
            .iter()
            .map(|&i| {
                let key = primary_key(store, &store.keys[i], first);
                (if first_desc { !key } else { key }, i)
            })
            .collect();
        let full = |a: &(u64, usize), b: &(u64, usize)| {
            a.0.cmp(&b.0)
                .then_with(|| {
                    let (ka, kb) = (&store.keys[a.1], &store.keys[b.1]);
                    for &(field, desc) in &sort {
                        let o = cmp_key(store, ka, kb, field);
                        let o = if desc { o.reverse() } else { o };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                })
                .then(a.1.cmp(&b.1))
        };
        let end = p.skip.saturating_add(p.limit).min(pairs.len());
        if end > 0 && end < pairs.len() {
            pairs.select_nth_unstable_by(end - 1, full);
            pairs[..end].sort_unstable_by(full);
        } else {
            pairs.sort_unstable_by(full);
        }
        idx = pairs.into_iter().map(|(_, i)| i).collect();
    }
    let resources: Vec<_> =
        idx.iter().skip(p.skip).take(p.limit).filter_map(|&i| store.key_view(i, drop_inferred)).collect();
    let env = ListEnvelope { skip: p.skip, limit: p.limit, total, resources, messages };
    serde_json::to_vec(&env).map_err(|e| ApiError::internal(e.to_string()))
}

const GROUP_SORTS: &[&str] = &["name", "createdAt", "updatedAt", "sap_application", "group_id", "id", "connection"];
const GROUP_FILTERS: &[&str] = &[
    "id",
    "name",
    "connection",
    "cloud_name",
    "group_id",
    "application",
    "tier",
    "region",
    "provider",
    "key_store_name",
    "creator_name",
    "tenant",
];

fn group_matches(g: &GroupRecord, field: &str, v: &str) -> bool {
    let eq = |s: &str| s.eq_ignore_ascii_case(v.trim());
    match field {
        "id" => eq(&g.id.to_string()),
        "name" => g.name.to_lowercase().contains(&v.to_lowercase()),
        "connection" => eq(&g.connection),
        "cloud_name" => eq(&g.cloud_name),
        "group_id" => eq(&g.group_id.to_string()),
        "application" | "sap_application" => eq(&g.sap_application),
        "tier" => eq(&g.tier),
        "region" => eq(&g.region),
        "provider" => eq(&g.provider),
        "key_store_name" => eq(&g.key_store_name),
        "creator_name" => eq(&g.creator_name),
        "tenant" => eq(&g.tenant),
        _ => true,
    }
}

fn cmp_group(a: &GroupRecord, b: &GroupRecord, field: &str) -> Ordering {
    match field {
        "name" => a.name.cmp(&b.name),
        "createdAt" => a.created_ns.cmp(&b.created_ns),
        "updatedAt" => a.updated_ns.cmp(&b.updated_ns),
        "sap_application" => a.sap_application.cmp(&b.sap_application),
        "group_id" => a.group_id.cmp(&b.group_id),
        "id" => a.id.cmp(&b.id),
        "connection" => a.connection.cmp(&b.connection),
        _ => Ordering::Equal,
    }
}

/// Answer `GET /groups` as JSON bytes: the groups `visible` (`None`: all, to an administrator,
/// each with its `acls`).
pub fn list_groups(store: &Store, params: &[(String, String)], visible: Option<&[bool]>) -> Result<Vec<u8>, ApiError> {
    let mut messages = Vec::new();
    let p = paging(params, GROUP_SORTS, &mut messages)?;
    let mut filters: Vec<(&str, &str)> = Vec::new();
    for (k, v) in params {
        match k.as_str() {
            "skip" | "limit" | "sort" => {}
            f if GROUP_FILTERS.contains(&f) || f == "sap_application" => filters.push((f, v)),
            other => messages.push(format!(
                "unknown query parameter '{other}' ignored; group filters: {}",
                GROUP_FILTERS.join(", ")
            )),
        }
    }
    let mut idx: Vec<usize> = (0..store.groups.len())
        .filter(|&i| sees(visible, i) && filters.iter().all(|(f, v)| group_matches(&store.groups[i], f, v)))
        .collect();
    let total = idx.len();
    if !p.sort.is_empty() {
        sort_page(&mut idx, p.skip, p.limit, |a, b| {
            for (field, desc) in &p.sort {
                let o = cmp_group(&store.groups[a], &store.groups[b], field);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
    let resources: Vec<_> = idx
        .iter()
        .skip(p.skip)
        .take(p.limit)
        .map(|&i| GroupView { group: &store.groups[i], acls: visible.is_none() })
        .collect();
    let env = ListEnvelope { skip: p.skip, limit: p.limit, total, resources, messages };
    serde_json::to_vec(&env).map_err(|e| ApiError::internal(e.to_string()))
}
