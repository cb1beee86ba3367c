//! Paged, filtered, sorted lists of keys and groups (§3), answered without cloning the store.

use crate::errors::ApiError;
use crate::store::{GroupRecord, GroupView, KeyRecord, Store};
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
    v.parse::<usize>()
        .map_err(|_| ApiError::bad_request(format!("query parameter '{name}' is too large: '{value}'")))
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

fn paging(
    params: &[(String, String)],
    sortable: &[&str],
    messages: &mut Vec<String>,
) -> Result<Paging, ApiError> {
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
    "name", "createdAt", "updatedAt", "sap_group_name", "type", "size", "gone", "enabled", "exportable",
    "id", "tenant", "cloud_name", "totalVersions", "sap_key_id", "creator_name",
];

const KEY_FILTERS: &[&str] = &[
    "id", "name", "cloud_name", "origin", "type", "size", "enabled", "exportable", "gone", "tenant",
    "creator_name", "creator_id", "sap_application", "sap_group_name", "totalVersions", "sap_key_id",
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
                messages.push("filter 'creator_id' is accepted but keys carry no creator id in the simulator; ignored".into());
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

fn cmp_key(store: &Store, a: &KeyRecord, b: &KeyRecord, field: &str) -> Ordering {
    match field {
        "name" => a.name.cmp(&b.name),
        "createdAt" => a.created_ns.cmp(&b.created_ns),
        "updatedAt" => a.updated_ns.cmp(&b.updated_ns),
        "sap_group_name" => {
            let ga = store.groups.get(a.group).map(|g| g.name.as_str());
            let gb = store.groups.get(b.group).map(|g| g.name.as_str());
            ga.cmp(&gb)
        }
        "type" => a.key_type.cmp(&b.key_type),
        "size" => a.size.cmp(&b.size),
        "gone" => a.gone.cmp(&b.gone),
        "enabled" => a.enabled.cmp(&b.enabled),
        "exportable" => a.exportable.cmp(&b.exportable),
        "id" => a.id.cmp(&b.id),
        "tenant" => a.tenant.cmp(&b.tenant),
        "cloud_name" => a.cloud_name.cmp(&b.cloud_name),
        "totalVersions" => a.total_versions.cmp(&b.total_versions),
        "sap_key_id" => a.sap_key_id.cmp(&b.sap_key_id),
        "creator_name" => a.creator_name.cmp(&b.creator_name),
        _ => Ordering::Equal,
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

/// Answer `GET /keys` as JSON bytes.
pub fn list_keys(store: &Store, params: &[(String, String)]) -> Result<Vec<u8>, ApiError> {
    let mut messages = Vec::new();
    let p = paging(params, KEY_SORTS, &mut messages)?;
    let filters = key_filters(params, &mut messages)?;
    let mut idx: Vec<usize> = (0..store.keys.len())
        .filter(|&i| filters.iter().all(|f| f.matches(store, &store.keys[i])))
        .collect();
    let total = idx.len();
    if !p.sort.is_empty() {
        sort_page(&mut idx, p.skip, p.limit, |a, b| {
            let (ka, kb) = (&store.keys[a], &store.keys[b]);
            for (field, desc) in &p.sort {
                let o = cmp_key(store, ka, kb, field);
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
        .filter_map(|&i| store.key_view(i))
        .collect();
    let env = ListEnvelope { skip: p.skip, limit: p.limit, total, resources, messages };
    serde_json::to_vec(&env).map_err(|e| ApiError::internal(e.to_string()))
}

const GROUP_SORTS: &[&str] = &["name", "createdAt", "updatedAt", "sap_application", "group_id", "id", "connection"];
const GROUP_FILTERS: &[&str] = &[
    "id", "name", "connection", "cloud_name", "group_id", "application", "tier", "region", "provider",
    "key_store_name", "creator_name", "tenant",
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

/// Answer `GET /groups` as JSON bytes.
pub fn list_groups(store: &Store, params: &[(String, String)]) -> Result<Vec<u8>, ApiError> {
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
        .filter(|&i| filters.iter().all(|(f, v)| group_matches(&store.groups[i], f, v)))
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
    let resources: Vec<_> = idx.iter().skip(p.skip).take(p.limit).map(|&i| GroupView(&store.groups[i])).collect();
    let env = ListEnvelope { skip: p.skip, limit: p.limit, total, resources, messages };
    serde_json::to_vec(&env).map_err(|e| ApiError::internal(e.to_string()))
}
