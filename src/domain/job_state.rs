//! The page's reading of a job's raw manager `state`: a [`JobPhase`].

use serde::Serialize;
use serde_json::Value;

use crate::api::read::FromJson;

/// Where a job stands for the page. Ordered by how advanced it is (merge keeps the greater).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobPhase {
    /// Still running, or a state the page does not know (shown raw).
    #[default]
    Running,
    /// The manager answered 404 for this job: it no longer knows it.
    UnknownToManager,
    Succeeded,
    Failed,
}

/// Reads a stored phase; an unknown or malformed value reads as `Running` (so it is polled again).
impl FromJson for JobPhase {
    const SHAPE: &'static str = "a phase";
    fn from_json(v: Value) -> Option<Self> {
        Some(match v.as_str() {
            Some("succeeded") => JobPhase::Succeeded,
            Some("failed") => JobPhase::Failed,
            Some("unknown_to_manager") => JobPhase::UnknownToManager,
            _ => JobPhase::Running,
        })
    }
}

impl JobPhase {
    /// The manager said the job ended (succeeded or failed).
    pub fn is_terminal(self) -> bool {
        matches!(self, JobPhase::Succeeded | JobPhase::Failed)
    }

    /// Only running jobs are polled; a job unknown to the manager is not.
    pub fn needs_polling(self) -> bool {
        self == JobPhase::Running
    }

    pub fn label(self) -> &'static str {
        match self {
            JobPhase::Running => "running",
            JobPhase::Succeeded => "succeeded",
            JobPhase::Failed => "failed",
            JobPhase::UnknownToManager => "unknown to manager",
        }
    }
}

/// Case-insensitive substring match on the manager's raw state. Failure words win over
/// success words ("COMPLETED_WITH_ERRORS" is a failure).
pub fn classify(state: &str) -> JobPhase {
    let s = state.to_ascii_uppercase();
    let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
    if has(&["FAIL", "ERROR", "ABORT", "CANCEL"]) {
        JobPhase::Failed
    } else if has(&["COMPLETE", "SUCCE", "DONE", "FINISH"]) {
        JobPhase::Succeeded
    } else {
        JobPhase::Running
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling() {
        let cases = [
            ("PENDING", JobPhase::Running),
            ("IN_PROGRESS", JobPhase::Running),
            ("RUNNING", JobPhase::Running),
            ("COMPLETED", JobPhase::Succeeded),
            ("Completed", JobPhase::Succeeded),
            ("SUCCEEDED", JobPhase::Succeeded),
            ("SUCCESS", JobPhase::Succeeded),
            ("DONE", JobPhase::Succeeded),
            ("FINISHED", JobPhase::Succeeded),
            ("FAILED", JobPhase::Failed),
            ("ERROR", JobPhase::Failed),
            ("ABORTED", JobPhase::Failed),
            ("CANCELLED", JobPhase::Failed),
            ("CANCELED", JobPhase::Failed),
            ("", JobPhase::Running),
            ("weird_new_state", JobPhase::Running),
            ("failed", JobPhase::Failed),
            ("in progress", JobPhase::Running),
            ("COMPLETED_WITH_ERRORS", JobPhase::Failed),
            ("succeeded ", JobPhase::Succeeded),
            ("état inconnu", JobPhase::Running),
        ];
        for (state, phase) in cases {
            assert_eq!(classify(state), phase, "{state:?}");
        }
    }

    #[test]
    fn terminal_and_labels() {
        assert!(!JobPhase::Running.is_terminal());
        assert!(JobPhase::Succeeded.is_terminal());
        assert!(JobPhase::Failed.is_terminal());
        assert!(!JobPhase::UnknownToManager.is_terminal());
        assert!(JobPhase::Running.needs_polling());
        assert!(!JobPhase::UnknownToManager.needs_polling());
        assert!(!JobPhase::Failed.needs_polling());
        assert_eq!(JobPhase::Running.label(), "running");
        assert_eq!(JobPhase::Succeeded.label(), "succeeded");
        assert_eq!(JobPhase::Failed.label(), "failed");
        assert_eq!(JobPhase::UnknownToManager.label(), "unknown to manager");
    }

    #[test]
    fn order_is_advancement() {
        assert!(JobPhase::Running < JobPhase::UnknownToManager);
        assert!(JobPhase::UnknownToManager < JobPhase::Succeeded);
        assert!(JobPhase::Succeeded < JobPhase::Failed);
    }

    #[test]
    fn serde_and_unknown_stored_value() {
        assert_eq!(
            serde_json::to_string(&JobPhase::UnknownToManager).unwrap(),
            "\"unknown_to_manager\""
        );
        let p = JobPhase::from_json(serde_json::json!("succeeded")).unwrap();
        assert_eq!(p, JobPhase::Succeeded);
        let p = JobPhase::from_json(serde_json::json!("something_new")).unwrap();
        assert_eq!(p, JobPhase::Running);
    }
}
