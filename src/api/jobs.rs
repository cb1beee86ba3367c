//! Jobs: `POST /api/v1/cckm/sap/keys/jobs` and `GET /keys/jobs/{id}`.
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::decode::{parse_json, parse_value, DecodeError};
use crate::api::keys::non_blank;
use crate::api::lenient;

/// A job operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Operation {
    Delete,
    Restore,
}

impl Operation {
    pub fn label(self) -> &'static str {
        match self {
            Operation::Delete => "Delete",
            Operation::Restore => "Restore",
        }
    }

    /// The wire spelling: "delete" / "restore".
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Delete => "delete",
            Operation::Restore => "restore",
        }
    }
}

/// Not "delete" or "restore".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation;

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an operation must be \"delete\" or \"restore\"")
    }
}

/// The wire spelling, in any case, trimmed.
impl std::str::FromStr for Operation {
    type Err = UnknownOperation;
    fn from_str(s: &str) -> Result<Operation, UnknownOperation> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("delete") {
            Ok(Operation::Delete)
        } else if s.eq_ignore_ascii_case("restore") {
            Ok(Operation::Restore)
        } else {
            Err(UnknownOperation)
        }
    }
}

impl TryFrom<String> for Operation {
    type Error = UnknownOperation;
    fn try_from(s: String) -> Result<Operation, UnknownOperation> {
        s.parse()
    }
}

impl From<Operation> for &'static str {
    fn from(op: Operation) -> &'static str {
        op.as_str()
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of `POST /api/v1/cckm/sap/keys/jobs`; `id` is the key's CCKM id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobRequest {
    pub id: String,
    pub operation: Operation,
    pub delete_if_backup_fails: bool,
}

/// A job as the manager returns it. `state` stays the manager's raw string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub state: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub uri: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub account: Option<String>,
    #[serde(rename = "createdAt", default, deserialize_with = "lenient::opt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt", default, deserialize_with = "lenient::opt")]
    pub updated_at: Option<String>,
    /// The key's CCKM id.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub cckm_key_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub group_id: Option<String>,
    /// The job's id on the SAP side.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub job_id: Option<String>,
    /// The key's SAP id (`sap_key_id`), despite the wire name.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub key_id: Option<String>,
    /// The raw word; [`Job::operation`] reads it.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub operation: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub creator_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub creator_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub error_details: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub details: Option<String>,
    /// The raw JSON this job was read from, when read with [`parse_job`].
    #[serde(skip)]
    pub raw: Option<Value>,
}

impl Job {
    /// The first non-blank of `error_details`, `error`, `message`, `details`.
    pub fn failure_text(&self) -> Option<String> {
        [
            &self.error_details,
            &self.error,
            &self.message,
            &self.details,
        ]
        .into_iter()
        .find_map(|t| non_blank(t).map(|s| s.trim().to_string()))
    }

    /// The operation as an [`Operation`], if it is a known one.
    pub fn operation(&self) -> Option<Operation> {
        self.operation.as_deref().and_then(|s| s.parse().ok())
    }
}

/// Parses a job body, keeping the raw JSON in `Job::raw`.
pub fn parse_job(body: &str) -> Result<Job, DecodeError> {
    let mut job: Job = parse_json(body)?;
    job.raw = parse_value(body).ok();
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JOB: &str = r#"{
      "id": "5db60499-9f4f-4143-b963-370459d3cef1",
      "uri": "kylo:kylo:cckm:sap_job:5db60499-9f4f-4143-b963-370459d3cef1",
      "account": "kylo:kylo:admin:accounts:kylo",
      "createdAt": "2021-11-24T09:54:45.962862797Z",
      "updatedAt": "2021-11-24T09:54:45.963309486Z",
      "cckm_key_id": "b707ea86-37bb-4212-ad09-2635698dbe4a",
      "group_id": "489ac34d-3e9c-4be3-8c1c-2c383bf31461",
      "job_id": "b6b65380-4c0d-4b39-853a-e54676fe6706",
      "key_id": "89ac400d-254f-4a19-a1fa-8952a2dca56f",
      "operation": "delete",
      "creator_id": "69f41156-5197-490d-aa5f-f1ffb0ab4e66",
      "creator_name": "creator.name@xyz.com",
      "state": "PENDING"
    }"#;

    #[test]
    fn operation_wire_and_labels() {
        assert_eq!(
            serde_json::to_string(&Operation::Delete).unwrap(),
            "\"delete\""
        );
        assert_eq!(
            serde_json::to_string(&Operation::Restore).unwrap(),
            "\"restore\""
        );
        assert_eq!(Operation::Delete.label(), "Delete");
        assert_eq!(Operation::Restore.as_str(), "restore");
        assert_eq!(" DELETE ".parse(), Ok(Operation::Delete));
        assert_eq!("purge".parse::<Operation>(), Err(UnknownOperation));
    }

    #[test]
    fn what_is_written_reads_back() {
        for op in [Operation::Delete, Operation::Restore] {
            let text = serde_json::to_string(&op).unwrap();
            assert_eq!(serde_json::from_str::<Operation>(&text).unwrap(), op);
        }
        assert_eq!(
            serde_json::from_str::<Operation>(r#"" Restore ""#).unwrap(),
            Operation::Restore
        );
        assert!(serde_json::from_str::<Operation>(r#""purge""#).is_err());
        assert!(serde_json::from_str::<Operation>("1").is_err());
        let job = parse_job(JOB).unwrap();
        let text = crate::api::decode::to_json(&job).unwrap();
        let again = parse_job(&text).unwrap();
        assert_eq!(Job { raw: None, ..again }, Job { raw: None, ..job });
    }

    #[test]
    fn job_request_sends_a_boolean() {
        let r = JobRequest {
            id: "k".into(),
            operation: Operation::Restore,
            delete_if_backup_fails: false,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"id":"k","operation":"restore","delete_if_backup_fails":false})
        );
    }

    #[test]
    fn job_seed_example() {
        let j = parse_job(JOB).unwrap();
        assert_eq!(j.id, "5db60499-9f4f-4143-b963-370459d3cef1");
        assert_eq!(j.state, "PENDING");
        assert_eq!(
            j.cckm_key_id.as_deref(),
            Some("b707ea86-37bb-4212-ad09-2635698dbe4a")
        );
        assert_eq!(
            j.key_id.as_deref(),
            Some("89ac400d-254f-4a19-a1fa-8952a2dca56f")
        );
        assert_eq!(j.operation(), Some(Operation::Delete));
        assert_eq!(
            j.created_at.as_deref(),
            Some("2021-11-24T09:54:45.962862797Z")
        );
        assert_eq!(j.failure_text(), None);
        assert!(j.raw.is_some());
    }

    #[test]
    fn job_failure_text_order_and_odd_types() {
        let j = parse_job(r#"{"id":"j","state":"FAILED","error_details":"no backup","error":"x"}"#)
            .unwrap();
        assert_eq!(j.failure_text().as_deref(), Some("no backup"));
        let j = parse_job(r#"{"id":"j","error_details":"  ","error":{"code":5},"message":"m"}"#)
            .unwrap();
        assert_eq!(j.failure_text().as_deref(), Some(r#"{"code":5}"#));
        let j = parse_job(r#"{"id":"j","details":["a","b"]}"#).unwrap();
        assert_eq!(j.failure_text().as_deref(), Some(r#"["a","b"]"#));
        let j = parse_job(r#"{"id":"j","message":"m"}"#).unwrap();
        assert_eq!(j.failure_text().as_deref(), Some("m"));
        assert_eq!(j.state, "");
        let j = parse_job(r#"{"id":"j","state":null,"operation":"shred"}"#).unwrap();
        assert_eq!(j.state, "");
        assert_eq!(j.operation(), None);
        assert_eq!(j.operation.as_deref(), Some("shred"));
    }

    #[test]
    fn job_without_id_is_wrong_shape() {
        assert!(matches!(
            parse_job(r#"{"state":"PENDING"}"#),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(parse_job("nope"), Err(DecodeError::NotJson(_))));
    }
}
