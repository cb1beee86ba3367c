//! Keys: `GET /api/v1/cckm/sap/keys` and `/keys/{id}`. Only `id` is required; every other
//! field is read leniently (`lenient`), unknown fields are ignored.
use serde::Deserialize;
use serde_json::Value;

use crate::api::decode::{parse_json, parse_value, DecodeError};
use crate::api::lenient;

/// A key's state as the page shows it (no single enum exists on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyState {
    Enabled,
    Disabled,
    Gone,
    Unknown,
}

impl KeyState {
    pub fn label(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::Gone => "Deleted from SAP",
            KeyState::Unknown => "Unknown",
        }
    }

    /// A text glyph shown next to the label (never the only signal).
    pub fn icon(self) -> &'static str {
        match self {
            KeyState::Enabled => "●",
            KeyState::Disabled => "○",
            KeyState::Gone => "⊘",
            KeyState::Unknown => "?",
        }
    }
}

/// `sap_param.keystoreContext`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct KeystoreContext {
    #[serde(rename = "customerHeld", default, deserialize_with = "lenient::opt")]
    pub customer_held: Option<bool>,
}

/// `sap_param.meta`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct KeyMeta {
    #[serde(default, deserialize_with = "lenient::opt")]
    pub created: Option<String>,
    #[serde(rename = "creatorName", default, deserialize_with = "lenient::opt")]
    pub creator_name: Option<String>,
    #[serde(rename = "totalVersions", default, deserialize_with = "lenient::opt")]
    pub total_versions: Option<u64>,
}

/// `sap_param` of a key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SapParam {
    #[serde(default, deserialize_with = "lenient::opt")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub exportable: Option<bool>,
    #[serde(rename = "groupId", default, deserialize_with = "lenient::opt")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub sap_key_id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient::opt")]
    pub key_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub size: Option<u32>,
    #[serde(
        rename = "keystoreContext",
        default,
        deserialize_with = "lenient::object"
    )]
    pub keystore_context: Option<KeystoreContext>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub meta: Option<KeyMeta>,
}

/// An SAP key as the manager lists it. `id` is its CCKM id; `sap_param.sap_key_id` its SAP id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SapKey {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub uri: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub account: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub gone: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub tenant: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub cloud_name: Option<String>,
    #[serde(rename = "createdAt", default, deserialize_with = "lenient::opt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt", default, deserialize_with = "lenient::opt")]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub sap_group_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub sap_param: Option<SapParam>,
    /// The raw JSON this key was read from, when read with [`parse_key`] (one key, not a list).
    #[serde(skip)]
    pub raw: Option<Value>,
}

/// Parses one key's body, keeping the raw JSON in `SapKey::raw` (every field, known or not).
pub fn parse_key(body: &str) -> Result<SapKey, DecodeError> {
    let mut key: SapKey = parse_json(body)?;
    key.raw = parse_value(body).ok();
    Ok(key)
}

/// The text if it is not blank.
pub(crate) fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}

impl SapKey {
    pub fn state(&self) -> KeyState {
        if self.gone == Some(true) {
            return KeyState::Gone;
        }
        match self.enabled() {
            Some(true) => KeyState::Enabled,
            Some(false) => KeyState::Disabled,
            None => KeyState::Unknown,
        }
    }

    pub fn enabled(&self) -> Option<bool> {
        self.sap_param.as_ref().and_then(|p| p.enabled)
    }

    /// The key's name, or "(unnamed key <id>)".
    pub fn display_name(&self) -> String {
        match self.real_name() {
            Some(n) => n.to_string(),
            None => format!("(unnamed key {})", self.id),
        }
    }

    /// The name if it is not blank.
    pub(crate) fn real_name(&self) -> Option<&str> {
        non_blank(&self.name)
    }

    /// "AES 256", "AES", "256" or "".
    pub fn type_size(&self) -> String {
        let p = self.sap_param.as_ref();
        let t = p.and_then(|p| non_blank(&p.key_type));
        let s = p.and_then(|p| p.size);
        match (t, s) {
            (Some(t), Some(s)) => format!("{t} {s}"),
            (Some(t), None) => t.to_string(),
            (None, Some(s)) => s.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The group's name, else the SAP group id, else "".
    pub fn group_label(&self) -> String {
        non_blank(&self.sap_group_name)
            .or_else(|| self.sap_param.as_ref().and_then(|p| non_blank(&p.group_id)))
            .unwrap_or("")
            .to_string()
    }

    pub fn sap_key_id(&self) -> Option<&str> {
        self.sap_param
            .as_ref()
            .and_then(|p| non_blank(&p.sap_key_id))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The contract's example key, with a field the contract does not list.
    pub(crate) const KEY: &str = r#"{
      "id": "d109deae-5ca7-421d-bf49-637e65c3bbcb",
      "uri": "kylo:kylo:cckm:sap-key:d109deae-5ca7-421d-bf49-637e65c3bbcb",
      "account": "kylo:kylo:admin:accounts:kylo",
      "createdAt": "2021-10-18T04:24:18.88509Z",
      "updatedAt": "2021-10-18T05:48:26.754073Z",
      "cloud_name": "sap",
      "tenant": "thales-preprod",
      "name": "payroll-master",
      "gone": false,
      "sap_param": {
        "description": "",
        "enabled": true,
        "exportable": false,
        "groupId": "489ac34d-3e9c-4be3-8c1c-2c383bf31461",
        "sap_key_id": "89ac400d-254f-4a19-a1fa-8952a2dca56f",
        "keystoreContext": {"customerHeld": false},
        "type": "AES", "size": 256,
        "meta": {"created": "2021-10-22T03:27:41Z", "creatorName": "creator.name@xyz.com", "totalVersions": 1}
      },
      "sap_group_name": "payroll",
      "some_future_field": {"x": [1, 2]}
    }"#;

    #[test]
    fn key_full_example() {
        let k: SapKey = parse_json(KEY).unwrap();
        assert_eq!(k.id, "d109deae-5ca7-421d-bf49-637e65c3bbcb");
        assert_eq!(k.state(), KeyState::Enabled);
        assert_eq!(k.display_name(), "payroll-master");
        assert_eq!(k.type_size(), "AES 256");
        assert_eq!(k.group_label(), "payroll");
        assert_eq!(k.sap_key_id(), Some("89ac400d-254f-4a19-a1fa-8952a2dca56f"));
        assert_eq!(k.created_at.as_deref(), Some("2021-10-18T04:24:18.88509Z"));
        assert_eq!(k.updated_at.as_deref(), Some("2021-10-18T05:48:26.754073Z"));
        let p = k.sap_param.unwrap();
        assert_eq!(
            p.keystore_context,
            Some(KeystoreContext {
                customer_held: Some(false)
            })
        );
        let meta = p.meta.unwrap();
        assert_eq!(meta.creator_name.as_deref(), Some("creator.name@xyz.com"));
        assert_eq!(meta.total_versions, Some(1));
    }

    #[test]
    fn parse_key_keeps_the_raw_json_and_a_list_entry_does_not() {
        let k = parse_key(KEY).unwrap();
        let raw = k.raw.as_ref().expect("the raw JSON is kept");
        assert_eq!(raw["some_future_field"]["x"][1], 2);
        assert_eq!(raw["sap_param"]["meta"]["totalVersions"], 1);
        let plain: SapKey = parse_json(KEY).unwrap();
        assert_eq!(plain.raw, None);
        assert_eq!(SapKey { raw: None, ..k }, plain);
        assert!(parse_key("[1]").is_err());
    }

    #[test]
    fn key_minimal_only_confirmed_fields() {
        let k: SapKey = parse_json(r#"{"id":"x","sap_param":{"enabled":false}}"#).unwrap();
        assert_eq!(k.state(), KeyState::Disabled);
        assert_eq!(k.display_name(), "(unnamed key x)");
        assert_eq!(k.type_size(), "");
        assert_eq!(k.group_label(), "");
        let bare: SapKey = parse_json(r#"{"id":"y"}"#).unwrap();
        assert_eq!(bare.state(), KeyState::Unknown);
    }

    #[test]
    fn key_state_rules() {
        let mk = |gone: Option<bool>, enabled: Option<bool>| SapKey {
            id: "k".into(),
            gone,
            sap_param: Some(SapParam {
                enabled,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(mk(Some(true), Some(true)).state(), KeyState::Gone);
        assert_eq!(mk(Some(true), None).state(), KeyState::Gone);
        assert_eq!(mk(Some(false), Some(true)).state(), KeyState::Enabled);
        assert_eq!(mk(None, Some(false)).state(), KeyState::Disabled);
        assert_eq!(mk(None, None).state(), KeyState::Unknown);
        // The key table tells the states apart by label and by icon: no two may share one.
        let all = [
            KeyState::Enabled,
            KeyState::Disabled,
            KeyState::Gone,
            KeyState::Unknown,
        ];
        let labels: std::collections::HashSet<_> = all.iter().map(|s| s.label()).collect();
        let icons: std::collections::HashSet<_> = all.iter().map(|s| s.icon()).collect();
        assert_eq!((labels.len(), icons.len()), (all.len(), all.len()));
        assert_eq!(KeyState::Gone.label(), "Deleted from SAP");
    }

    #[test]
    fn key_tolerates_odd_types_in_inferred_fields() {
        let k: SapKey = parse_json(
            r#"{"id":"x","name":42,"gone":"true","sap_group_name":null,
                "sap_param":{"enabled":"FALSE","size":"128","type":"HMAC","meta":"oops",
                             "keystoreContext":[1]}}"#,
        )
        .unwrap();
        assert_eq!(k.name.as_deref(), Some("42"));
        assert_eq!(k.state(), KeyState::Gone);
        assert_eq!(k.type_size(), "HMAC 128");
        let p = k.sap_param.unwrap();
        assert_eq!(p.enabled, Some(false));
        assert_eq!(p.meta, None);
        assert_eq!(p.keystore_context, None);
        let k2: SapKey = parse_json(r#"{"id":"x","sap_param":"nope","name":"  "}"#).unwrap();
        assert_eq!(k2.sap_param, None);
        assert_eq!(k2.display_name(), "(unnamed key x)");
    }

    #[test]
    fn type_size_and_group_label_fallbacks() {
        let k = SapKey {
            id: "k".into(),
            sap_param: Some(SapParam {
                size: Some(256),
                group_id: Some("g-1".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(k.type_size(), "256");
        assert_eq!(k.group_label(), "g-1");
        let k = SapKey {
            sap_param: Some(SapParam {
                key_type: Some("AES".into()),
                ..Default::default()
            }),
            ..k
        };
        assert_eq!(k.type_size(), "AES");
    }
}
