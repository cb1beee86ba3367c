//! The page's reading of a job's raw manager `state`: a [`Word`] (running, unrecognised,
//! succeeded, failed) and the [`JobPhase`] it gives.

use serde::{Deserialize, Serialize};

/// Where a job stands for the page. Ordered by how advanced it is (merge keeps the greater).
/// A stored word the page does not know reads as `Running`, so the job is polled again; read a
/// stored field with `lenient::word_or_default` so that a value that is not a word does too.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(into = "&'static str", from = "String")]
pub enum JobPhase {
    /// Still running, or a state the page does not know (shown raw).
    #[default]
    Running,
    /// Its word stayed unrecognised and its key unchanged for a day: no longer polled; the
    /// user is told to check the manager. Kept, never dropped.
    NoLongerWatched,
    /// The manager answered 404 for this job: it no longer knows it.
    UnknownToManager,
    Succeeded,
    Failed,
}

impl From<String> for JobPhase {
    fn from(word: String) -> JobPhase {
        match word.as_str() {
            "no_longer_watched" => JobPhase::NoLongerWatched,
            "unknown_to_manager" => JobPhase::UnknownToManager,
            "succeeded" => JobPhase::Succeeded,
            "failed" => JobPhase::Failed,
            _ => JobPhase::Running,
        }
    }
}

impl From<JobPhase> for &'static str {
    fn from(p: JobPhase) -> &'static str {
        p.as_str()
    }
}

impl JobPhase {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobPhase::Running => "running",
            JobPhase::NoLongerWatched => "no_longer_watched",
            JobPhase::UnknownToManager => "unknown_to_manager",
            JobPhase::Succeeded => "succeeded",
            JobPhase::Failed => "failed",
        }
    }

    /// The manager said the job ended (succeeded or failed).
    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, JobPhase::Succeeded | JobPhase::Failed)
    }

    /// Only running jobs are polled; a job unknown to the manager or no longer watched is not.
    pub(crate) fn needs_polling(self) -> bool {
        self == JobPhase::Running
    }

    pub fn label(self) -> &'static str {
        match self {
            JobPhase::Running => "running",
            JobPhase::Succeeded => "succeeded",
            JobPhase::Failed => "failed",
            JobPhase::UnknownToManager => "unknown to manager",
            JobPhase::NoLongerWatched => "no longer watched — check the manager",
        }
    }
}

/// What the manager's word for a job says, before the key is consulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Word {
    /// A word the page knows as "still running" (`PENDING`, `IN_PROGRESS`, `RUNNING`, …).
    Running,
    /// A word nobody listed (`DELETED`, `RESTORED`, an empty state, …): the job may have ended;
    /// the key tells.
    Unrecognised,
    Succeeded,
    Failed,
}

impl Word {
    /// The phase the word alone gives: an unrecognised word is still running until the key
    /// shows otherwise.
    pub fn phase(self) -> JobPhase {
        match self {
            Word::Running | Word::Unrecognised => JobPhase::Running,
            Word::Succeeded => JobPhase::Succeeded,
            Word::Failed => JobPhase::Failed,
        }
    }
}

/// Substrings of a failure word; they win over everything ("COMPLETED_WITH_ERRORS" failed).
pub(crate) const FAILURE_WORDS: &[&str] = &[
    "FAIL", "ERROR", "ABORT", "CANCEL", "REJECT", "DENIED", "TIMEOUT",
];
/// Substrings of a success word.
pub(crate) const SUCCESS_WORDS: &[&str] = &["COMPLETE", "SUCCE", "DONE", "FINISH"];
/// Substrings of a word that means the job is still under way (present tense or not yet
/// begun: `EXECUTING` is running, `EXECUTED` is not listed).
pub(crate) const RUNNING_WORDS: &[&str] = &[
    "PENDING",
    "QUEUE",
    "PROGRESS",
    "RUNNING",
    "START",
    "PROCESSING",
    "SUBMIT",
    "SCHEDULE",
    "WAIT",
    "INITIA",
    "EXECUTING",
    "ACCEPT",
    "CREATED",
    "DELETING",
    "RESTORING",
    "RETRY",
    "ONGOING",
];
/// Whole words (between `_`, `-` or spaces) that mean still running.
pub(crate) const RUNNING_TOKENS: &[&str] = &["NEW", "ACTIVE", "BUSY", "OPEN"];

/// Reads the manager's raw state, case-insensitively: failure words first, then success
/// words, then running words; anything else is [`Word::Unrecognised`].
pub(crate) fn read_word(state: &str) -> Word {
    let s = state.trim().to_ascii_uppercase();
    let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
    if has(FAILURE_WORDS) {
        Word::Failed
    } else if has(SUCCESS_WORDS) {
        Word::Succeeded
    } else if has(RUNNING_WORDS)
        || s.split(['_', '-', ' '])
            .any(|t| RUNNING_TOKENS.contains(&t))
    {
        Word::Running
    } else {
        Word::Unrecognised
    }
}

/// The phase the manager's word alone gives (an unrecognised word reads as running).
pub fn classify(state: &str) -> JobPhase {
    read_word(state).phase()
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
    fn words_the_page_knows_and_the_others() {
        let running = [
            "PENDING",
            "pending",
            "Queued",
            "QUEUED",
            "IN_PROGRESS",
            "in progress",
            "In-Progress",
            "INPROGRESS",
            "RUNNING",
            "running",
            "STARTED",
            "STARTING",
            "PROCESSING",
            "SUBMITTED",
            "SCHEDULED",
            "WAITING",
            "WAITING_FOR_SAP",
            "INITIALIZING",
            "EXECUTING",
            "ACCEPTED",
            "CREATED",
            "DELETING",
            "RESTORING",
            "RETRYING",
            "NEW",
            "ACTIVE",
            "busy",
            " pending ",
        ];
        for w in running {
            assert_eq!(read_word(w), Word::Running, "{w:?}");
            assert_eq!(classify(w), JobPhase::Running, "{w:?}");
        }
        let unrecognised = [
            "DELETED",
            "RESTORED",
            "deleted",
            "Restored",
            "",
            "  ",
            "EXECUTED",
            "PROCESSED",
            "GONE",
            "PAUSED",
            "état inconnu",
            "KEY_REMOVED",
            "RENEWED",
        ];
        for w in unrecognised {
            assert_eq!(read_word(w), Word::Unrecognised, "{w:?}");
            assert_eq!(
                classify(w),
                JobPhase::Running,
                "{w:?} still reads as running"
            );
        }
        for w in [
            "FAILED",
            "ERROR",
            "error",
            "ABORTED",
            "CANCELLED",
            "REJECTED",
            "DELETE_FAILED",
            "RESTORED_WITH_ERRORS",
            "TIMEOUT",
        ] {
            assert_eq!(read_word(w), Word::Failed, "{w:?}");
        }
        for w in [
            "COMPLETED",
            "SUCCEEDED",
            "success",
            "DONE",
            "FINISHED",
            "IN_PROGRESS_DONE",
        ] {
            assert_eq!(read_word(w), Word::Succeeded, "{w:?}");
        }
        assert_eq!(Word::Unrecognised.phase(), JobPhase::Running);
        assert_eq!(Word::Running.phase(), JobPhase::Running);
        assert_eq!(Word::Failed.phase(), JobPhase::Failed);
        assert_eq!(Word::Succeeded.phase(), JobPhase::Succeeded);
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
        assert!(!JobPhase::NoLongerWatched.needs_polling());
        assert!(!JobPhase::NoLongerWatched.is_terminal());
        assert_eq!(
            JobPhase::NoLongerWatched.label(),
            "no longer watched — check the manager"
        );
        assert_eq!(JobPhase::Running.label(), "running");
        assert_eq!(JobPhase::Succeeded.label(), "succeeded");
        assert_eq!(JobPhase::Failed.label(), "failed");
        assert_eq!(JobPhase::UnknownToManager.label(), "unknown to manager");
    }

    #[test]
    fn order_is_advancement() {
        assert!(JobPhase::Running < JobPhase::NoLongerWatched);
        assert!(JobPhase::NoLongerWatched < JobPhase::UnknownToManager);
        assert!(JobPhase::UnknownToManager < JobPhase::Succeeded);
        assert!(JobPhase::Succeeded < JobPhase::Failed);
    }

    use crate::api::lenient;

    #[derive(Debug, Deserialize)]
    struct Stored {
        #[serde(default, deserialize_with = "lenient::word_or_default")]
        phase: JobPhase,
    }

    fn stored(json: &str) -> JobPhase {
        serde_json::from_str::<Stored>(json).unwrap().phase
    }

    #[test]
    fn serde_and_unknown_stored_value() {
        for p in [
            JobPhase::Running,
            JobPhase::NoLongerWatched,
            JobPhase::UnknownToManager,
            JobPhase::Succeeded,
            JobPhase::Failed,
        ] {
            let text = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<JobPhase>(&text).unwrap(), p);
            assert_eq!(stored(&format!(r#"{{"phase":{text}}}"#)), p);
        }
        assert_eq!(
            serde_json::to_string(&JobPhase::UnknownToManager).unwrap(),
            "\"unknown_to_manager\""
        );
        assert_eq!(stored(r#"{"phase":"succeeded"}"#), JobPhase::Succeeded);
        assert_eq!(
            stored(r#"{"phase":"no_longer_watched"}"#),
            JobPhase::NoLongerWatched
        );
        assert_eq!(stored(r#"{"phase":"something_new"}"#), JobPhase::Running);
        assert_eq!(stored(r#"{"phase":"SUCCEEDED"}"#), JobPhase::Running);
        for odd in ["7", "null", "[\"failed\"]", r#"{"failed":1}"#] {
            assert_eq!(
                stored(&format!(r#"{{"phase":{odd}}}"#)),
                JobPhase::Running,
                "{odd}"
            );
        }
        assert_eq!(stored("{}"), JobPhase::Running);
    }
}
