//! What the page keeps of a key once it is chosen for a job: used by the plan, the ledger and
//! the confirmation.

use crate::api::keys::SapKey;
use crate::domain::permissions::Scope;

/// What the page keeps of a key once it is chosen for a job.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyRef {
    /// The key's CCKM id.
    pub id: String,
    /// The key's name, "" when it has none (or a blank one).
    pub name: String,
    pub group: Option<String>,
    pub sap_key_id: Option<String>,
}

impl KeyRef {
    /// What a permission of the manager covers for this key: its group, or the key alone.
    pub(crate) fn scope(&self) -> Scope {
        Scope::of(&self.id, self.group.as_deref())
    }

    /// The name, or "(unnamed key <id>)".
    pub fn display_name(&self) -> String {
        if self.name.trim().is_empty() {
            format!("(unnamed key {})", self.id)
        } else {
            self.name.clone()
        }
    }
}

impl From<&SapKey> for KeyRef {
    fn from(k: &SapKey) -> KeyRef {
        let group = k.group_label();
        KeyRef {
            id: k.id.clone(),
            name: k.real_name().unwrap_or("").to_string(),
            group: if group.is_empty() { None } else { Some(group) },
            sap_key_id: k.sap_key_id().map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::keys::SapParam;

    const U1: &str = "d109deae-5ca7-421d-bf49-637e65c3bbcb";

    fn key(id: &str, name: Option<&str>) -> SapKey {
        SapKey {
            id: id.into(),
            name: name.map(str::to_string),
            sap_group_name: Some("payroll".into()),
            sap_param: Some(SapParam {
                sap_key_id: Some("sap-1".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn key_ref_from_key() {
        let r = KeyRef::from(&key(U1, Some("payroll-master")));
        assert_eq!(r.name, "payroll-master");
        assert_eq!(r.group.as_deref(), Some("payroll"));
        assert_eq!(r.sap_key_id.as_deref(), Some("sap-1"));
        let unnamed = KeyRef::from(&key(U1, Some(" ")));
        assert_eq!(unnamed.name, "");
        assert_eq!(unnamed.display_name(), format!("(unnamed key {U1})"));
    }
}
