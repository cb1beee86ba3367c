//! Permissions per SAP group: the ACL entries, the check, the demo ACLs and
//! `POST /api/v1/cckm/sap/groups/{id}/update-acls`.
//!
//! An entry names a user (`user_id`, a JWT `sub`) or a user group (`group`, one of `cust.groups`)
//! and the actions it permits. A user may take an action in a group when they are in the `admin`
//! user group, or an entry of that group naming them or one of their user groups permits it.
//! `update-acls` adds (`permit: true`) or removes (`permit: false`) actions for one principal and
//! answers the group with its `acls` [S]; only administrators may call it (others get 403).

use crate::auth::AuthUser;
use crate::errors::ApiError;
use crate::store::{GroupRecord, Store};
use crate::users::{AUDITORS_GROUP, CUSTODIANS_GROUP, LDAP_CUSTODIANS_GROUP};
use crate::views::GroupView;
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The actions of a SAP group's ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    View,
    Keydelete,
    Keyrestore,
    Deletebackup,
    Keypurge,
    Keycreate,
    Keyupload,
    Keyrotate,
    Keyupdate,
    Keysynchronize,
}

pub const ACTIONS: &[(&str, Action)] = &[
    ("view", Action::View),
    ("keydelete", Action::Keydelete),
    ("keyrestore", Action::Keyrestore),
    ("deletebackup", Action::Deletebackup),
    ("keypurge", Action::Keypurge),
    ("keycreate", Action::Keycreate),
    ("keyupload", Action::Keyupload),
    ("keyrotate", Action::Keyrotate),
    ("keyupdate", Action::Keyupdate),
    ("keysynchronize", Action::Keysynchronize),
];

impl Action {
    pub fn name(self) -> &'static str {
        ACTIONS.iter().find(|(_, a)| *a == self).map_or("", |(n, _)| n)
    }

    fn parse(s: &str) -> Option<Action> {
        ACTIONS.iter().find(|(n, _)| *n == s).map(|(_, a)| *a)
    }
}

/// One principal's permitted actions in a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub actions: Vec<Action>,
}

impl AclEntry {
    fn for_group(group: &str, actions: &[Action]) -> AclEntry {
        AclEntry { user_id: None, group: Some(group.into()), actions: actions.to_vec() }
    }

    fn names(&self, user: &AuthUser) -> bool {
        self.user_id.as_deref() == Some(user.sub.as_str())
            || self.group.as_ref().is_some_and(|g| user.groups.iter().any(|ug| ug == g))
    }
}

/// Whether `user` may take `action` on the keys of `group`.
pub fn may(user: &AuthUser, group: &GroupRecord, action: Action) -> bool {
    user.is_admin() || group.acls.iter().any(|e| e.names(user) && e.actions.contains(&action))
}

/// For each group index, whether `user` may view it (`None`: every group, an administrator).
pub fn viewable(user: &AuthUser, store: &Store) -> Option<Vec<bool>> {
    if user.is_admin() {
        return None;
    }
    Some(store.groups.iter().map(|g| may(user, g, Action::View)).collect())
}

/// The 403 for `user` not permitted `action` in `group`.
pub fn refusal(user: &AuthUser, group: &GroupRecord, action: Action) -> ApiError {
    ApiError::forbidden(format!("user '{}' may not {} keys of group '{}'", user.username, action.name(), group.name))
}

/// Names of the groups where `custodian` may delete and restore: the first half of the groups
/// in name order (rounded up).
pub fn custodian_groups(groups: &[GroupRecord]) -> Vec<String> {
    let mut names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    names.sort();
    names.truncate(names.len().div_ceil(2));
    names
}

/// Give every group the demo ACLs (see the README's "Demo users and simulator options").
pub fn seed_demo_acls(groups: &mut [GroupRecord]) {
    use Action::{Keydelete, Keyrestore, View};
    let deleters = custodian_groups(groups);
    for g in groups.iter_mut() {
        let custodian: &[Action] = if deleters.contains(&g.name) { &[View, Keydelete, Keyrestore] } else { &[View] };
        g.acls = vec![
            AclEntry::for_group(CUSTODIANS_GROUP, custodian),
            AclEntry::for_group(AUDITORS_GROUP, &[View]),
            AclEntry::for_group(LDAP_CUSTODIANS_GROUP, &[View, Keydelete, Keyrestore]),
        ];
    }
}

/// A validated `update-acls` body.
#[derive(Debug, PartialEq, Eq)]
pub struct AclUpdate {
    pub user_id: Option<String>,
    pub group: Option<String>,
    pub actions: Vec<Action>,
    pub permit: bool,
}

fn principal(body: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(_) => Err(ApiError::bad_request(format!("field '{name}' must be a non-empty string"))),
    }
}

/// Validate an `update-acls` body.
pub fn parse_update(body: &Value) -> Result<AclUpdate, ApiError> {
    let user_id = principal(body, "user_id")?;
    let group = principal(body, "group")?;
    if user_id.is_some() == group.is_some() {
        return Err(ApiError::bad_request("exactly one of 'user_id' and 'group' is required"));
    }
    let known = || ACTIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let actions = match body.get("actions") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| match v.as_str().and_then(Action::parse) {
                Some(a) => Ok(a),
                None => Err(ApiError::bad_request(format!("unknown action {v}; actions: {}", known()))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(ApiError::bad_request(format!("field 'actions' must be a non-empty list of: {}", known()))),
    };
    let permit = match body.get("permit") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(ApiError::bad_request("field 'permit' must be true or false")),
    };
    Ok(AclUpdate { user_id, group, actions, permit })
}

/// Apply an update to a group's entries.
pub fn apply(acls: &mut Vec<AclEntry>, update: &AclUpdate) {
    let pos = acls.iter().position(|e| e.user_id == update.user_id && e.group == update.group);
    let entry = match pos {
        Some(i) => &mut acls[i],
        None if update.permit => {
            acls.push(AclEntry { user_id: update.user_id.clone(), group: update.group.clone(), actions: Vec::new() });
            let last = acls.len() - 1;
            &mut acls[last]
        }
        None => return,
    };
    for a in &update.actions {
        if update.permit && !entry.actions.contains(a) {
            entry.actions.push(*a);
        } else if !update.permit {
            entry.actions.retain(|x| x != a);
        }
    }
    entry.actions.sort();
    acls.retain(|e| !e.actions.is_empty());
}

/// POST /api/v1/cckm/sap/groups/{id}/update-acls
pub async fn update_acls(
    State(app): State<Arc<App>>,
    user: AuthUser,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = crate::jobs::parse_uuid("group id", &id)?;
    if !user.is_admin() {
        return Err(ApiError::forbidden(format!("user '{}' may not change the ACLs of SAP groups", user.username)));
    }
    let update = parse_update(&crate::body_json(body)?)?;
    let bytes = {
        let mut store = app.write_store();
        let group = store
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| ApiError::not_found(format!("group '{id}' not found")))?;
        apply(&mut group.acls, &update);
        group.updated_ns = crate::store::now_ns().max(group.updated_ns + 1);
        serde_json::to_vec(&GroupView { group, acls: true }).map_err(|e| ApiError::internal(e.to_string()))?
    };
    app.persist().await;
    Ok(crate::json_response(StatusCode::OK, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_rejects_bad_bodies() {
        for bad in [
            json!({"actions": ["view"], "permit": true}),
            json!({"user_id": "u", "group": "g", "actions": ["view"], "permit": true}),
            json!({"user_id": "", "actions": ["view"], "permit": true}),
            json!({"user_id": 5, "actions": ["view"], "permit": true}),
            json!({"group": "g", "actions": [], "permit": true}),
            json!({"group": "g", "actions": "view", "permit": true}),
            json!({"group": "g", "actions": ["fly"], "permit": true}),
            json!({"group": "g", "actions": ["View"], "permit": true}),
            json!({"group": "g", "actions": ["view"]}),
            json!({"group": "g", "actions": ["view"], "permit": "yes"}),
        ] {
            assert!(parse_update(&bad).is_err(), "{bad}");
        }
        let ok = parse_update(&json!({"group": "g", "actions": ["keydelete", "view"], "permit": false})).unwrap();
        assert_eq!(ok.actions, vec![Action::Keydelete, Action::View]);
        assert!(!ok.permit);
    }

    #[test]
    fn apply_adds_and_removes() {
        let mut acls = Vec::new();
        let up = |actions: &[Action], permit| AclUpdate {
            user_id: Some("local|x".into()),
            group: None,
            actions: actions.to_vec(),
            permit,
        };
        apply(&mut acls, &up(&[Action::View, Action::Keydelete], true));
        apply(&mut acls, &up(&[Action::View], true));
        assert_eq!(acls.len(), 1);
        assert_eq!(acls[0].actions, vec![Action::View, Action::Keydelete]);
        apply(&mut acls, &up(&[Action::Keydelete], false));
        assert_eq!(acls[0].actions, vec![Action::View]);
        apply(&mut acls, &up(&[Action::View], false));
        assert!(acls.is_empty());
        apply(&mut acls, &up(&[Action::View], false));
        assert!(acls.is_empty());
    }

    #[test]
    fn action_names_round_trip() {
        for (n, a) in ACTIONS {
            assert_eq!(a.name(), *n);
            assert_eq!(serde_json::to_value(a).unwrap(), json!(n));
        }
    }
}
