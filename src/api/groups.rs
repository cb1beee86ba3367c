//! Groups: `GET /api/v1/cckm/sap/groups`.
use serde::Deserialize;

use crate::api::keys::non_blank;
use crate::api::lenient;

/// An SAP group. Only `id` is required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SapGroup {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub uri: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub account: Option<String>,
    #[serde(rename = "createdAt", default, deserialize_with = "lenient::opt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt", default, deserialize_with = "lenient::opt")]
    pub updated_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub sap_application: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub keystore_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub connection: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub cloud_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub tenant: Option<String>,
}

impl SapGroup {
    /// The group's name, else its SAP group id, else its CCKM id.
    pub fn label(&self) -> String {
        non_blank(&self.name)
            .or_else(|| non_blank(&self.group_id))
            .unwrap_or(&self.id)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::decode::parse_json;

    #[test]
    fn group_parses() {
        let g: SapGroup = parse_json(
            r#"{"id":"e4b2c2da","uri":"u","account":"a","createdAt":"c","updatedAt":"u",
                "name":"payroll","group_id":"a42e389b","sap_application":"GENERAL",
                "keystore_id":"1e40864c","connection":"sap-connection","cloud_name":"sap"}"#,
        )
        .unwrap();
        assert_eq!(g.label(), "payroll");
        assert_eq!(g.sap_application.as_deref(), Some("GENERAL"));
        assert_eq!(g.connection.as_deref(), Some("sap-connection"));
        let g: SapGroup = parse_json(r#"{"id":"e4","group_id":"gid"}"#).unwrap();
        assert_eq!(g.label(), "gid");
        let g: SapGroup = parse_json(r#"{"id":"e4"}"#).unwrap();
        assert_eq!(g.label(), "e4");
    }
}
