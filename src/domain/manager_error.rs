//! A manager error as the page shows and keeps it: the sentence, the manager's `NCERR…` name and
//! the `requestID` its administrator looks up in the logs. Plain data: stored in the ledger,
//! exported, and shown by the error view.
use std::cmp::Ordering;

use serde::{Deserialize, Deserializer, Serialize};

use crate::api::error::ApiError;
use crate::api::lenient;

/// One error. Stored as `{"name":…,"message":…,"request_id":…,"at_ms":…}`.
/// Read leniently: fields of the wrong type read as absent, a blank name or request id as none.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ManagerError {
    /// The manager's `NCERR…` name, when it sent one.
    #[serde(default, deserialize_with = "non_blank")]
    pub name: Option<String>,
    /// The sentence shown to the user.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub message: String,
    /// The manager's `requestID`, when it sent one.
    #[serde(default, deserialize_with = "non_blank")]
    pub request_id: Option<String>,
    /// When it was met (ms since the epoch; 0 when not recorded).
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub at_ms: f64,
}

fn non_blank<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(lenient::opt::<_, String>(d)?.filter(|s| !s.trim().is_empty()))
}

impl ManagerError {
    /// `e` as the user reads it now (its `user_message`).
    pub(crate) fn from_api(e: &ApiError, at_ms: f64) -> ManagerError {
        ManagerError {
            name: e.ncerr().map(str::to_string),
            message: e.user_message(),
            request_id: e.request_id().map(str::to_string),
            at_ms,
        }
    }

    /// What a job's poll or key re-read met, worth keeping in its ledger entry: an error answer
    /// of the manager. A refused session (401) is the session's business, and no answer at all
    /// (network, timeout) carries neither a name nor a request id.
    pub(crate) fn for_job(e: &ApiError, at_ms: f64) -> Option<ManagerError> {
        (e.is_manager_answer() && !e.is_unauthorized()).then(|| ManagerError::from_api(e, at_ms))
    }

    /// The same error told with another sentence.
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> ManagerError {
        self.message = message.into();
        self
    }

    /// Whether there is anything to show besides the sentence.
    pub(crate) fn has_reference(&self) -> bool {
        self.name.is_some() || self.request_id.is_some()
    }

    /// The later of two (ties broken by content): commutative, associative and idempotent, so
    /// that ledgers merged in any order keep the same last error.
    pub fn later(a: &Option<ManagerError>, b: &Option<ManagerError>) -> Option<ManagerError> {
        match (a, b) {
            (Some(x), Some(y)) => Some(
                if x.cmp_order(y) == Ordering::Less {
                    y
                } else {
                    x
                }
                .clone(),
            ),
            (x, None) => x.clone(),
            (None, y) => y.clone(),
        }
    }

    fn cmp_order(&self, other: &ManagerError) -> Ordering {
        self.at_ms
            .total_cmp(&other.at_ms)
            .then_with(|| self.message.cmp(&other.message))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.request_id.cmp(&other.request_id))
    }
}

impl From<String> for ManagerError {
    fn from(message: String) -> ManagerError {
        ManagerError {
            message,
            ..ManagerError::default()
        }
    }
}

impl From<&str> for ManagerError {
    fn from(message: &str) -> ManagerError {
        ManagerError::from(message.to_string())
    }
}

/// The error as shown now (its `user_message`), with no time.
impl From<&ApiError> for ManagerError {
    fn from(e: &ApiError) -> ManagerError {
        ManagerError::from_api(e, 0.0)
    }
}

impl ManagerError {
    /// A stored error, for `#[serde(default, deserialize_with = "ManagerError::stored")]`: not an
    /// object, or one with nothing to show, is none.
    pub fn stored<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ManagerError>, D::Error> {
        Ok(lenient::object::<_, ManagerError>(d)?
            .filter(|e| e.has_reference() || !e.message.trim().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORBIDDEN: &str = r#"{"code":19,"codeDesc":"NCERRForbidden: not permitted","message":"you may not delete keys of group hr","requestID":"3f0c-9"}"#;

    fn err(at: f64, msg: &str) -> ManagerError {
        ManagerError {
            name: Some("NCERRX".into()),
            message: msg.into(),
            request_id: Some("r".into()),
            at_ms: at,
        }
    }

    #[test]
    fn from_an_api_error() {
        let api = ApiError::from_response(403, "Forbidden", FORBIDDEN, None);
        let e = ManagerError::from_api(&api, 5.0);
        assert_eq!(e.name.as_deref(), Some("NCERRForbidden"));
        assert_eq!(e.request_id.as_deref(), Some("3f0c-9"));
        assert_eq!(e.message, api.user_message());
        assert_eq!(e.at_ms, 5.0);
        assert!(e.has_reference());
        let plain = ManagerError::from("Enter your username and password.");
        assert!(!plain.has_reference());
        assert_eq!(
            ManagerError::from(&api).with_message("other").message,
            "other"
        );
    }

    #[test]
    fn only_manager_answers_are_kept_for_a_job() {
        let at = 1.0;
        assert!(
            ManagerError::for_job(&ApiError::from_response(500, "", FORBIDDEN, None), at).is_some()
        );
        assert!(
            ManagerError::for_job(&ApiError::from_response(404, "", "<html>", None), at).is_some()
        );
        assert!(
            ManagerError::for_job(&ApiError::from_response(401, "", FORBIDDEN, None), at).is_none()
        );
        assert!(ManagerError::for_job(&ApiError::network("Failed to fetch"), at).is_none());
        assert!(ManagerError::for_job(&ApiError::timeout(10), at).is_none());
    }

    #[test]
    fn later_is_a_join() {
        let (a, b, c) = (
            Some(err(1.0, "a")),
            Some(err(2.0, "b")),
            Some(err(2.0, "c")),
        );
        assert_eq!(ManagerError::later(&a, &b), b);
        assert_eq!(ManagerError::later(&b, &a), b);
        assert_eq!(ManagerError::later(&b, &c), ManagerError::later(&c, &b));
        assert_eq!(ManagerError::later(&a, &None), a);
        assert_eq!(ManagerError::later(&None, &a), a);
        assert_eq!(ManagerError::later(&a, &a), a);
        let abc = ManagerError::later(&ManagerError::later(&a, &b), &c);
        assert_eq!(abc, ManagerError::later(&a, &ManagerError::later(&b, &c)));
        assert_eq!(abc, c);
    }

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "ManagerError::stored")]
        e: Option<ManagerError>,
    }

    fn stored(e: serde_json::Value) -> Option<ManagerError> {
        serde_json::from_value::<Holder>(serde_json::json!({ "e": e }))
            .unwrap()
            .e
    }

    #[test]
    fn stored_form_round_trips_and_reads_leniently() {
        let e = err(3.5, "The manager failed: unexpected error (HTTP 500).");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["name"], "NCERRX");
        assert_eq!(v["request_id"], "r");
        assert_eq!(stored(v), Some(e));
        let odd =
            serde_json::json!({"name": 7, "message": ["x"], "request_id": "  ", "at_ms": "nope"});
        let read = stored(odd).unwrap();
        assert_eq!(
            (
                read.name.as_deref(),
                read.message.as_str(),
                read.request_id,
                read.at_ms
            ),
            (Some("7"), "", None, 0.0)
        );
        assert_eq!(stored(serde_json::json!({})), None);
        assert_eq!(
            stored(serde_json::json!({"message": " ", "name": ""})),
            None
        );
        assert_eq!(stored(serde_json::json!("x")), None);
        assert_eq!(stored(serde_json::json!([1, 2])), None);
        assert_eq!(stored(serde_json::Value::Null), None);
        let h: Holder = serde_json::from_str("{}").unwrap();
        assert_eq!(h.e, None);
    }
}
