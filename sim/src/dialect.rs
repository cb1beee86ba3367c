//! Dialects of the job answer, whose states, POST status and failure field are undocumented [S]:
//! the words a job shows while running and at its end, the status of a successful POST, the field
//! carrying a failure's text, and whether key answers keep the fields only inferred ([I]) from
//! the public record. The first state is always `PENDING`.
//!
//! Presets (`--dialect`), which the single flags override:
//!
//! | preset | running | delete / restore end | failure | failure field | POST | [I] key fields |
//! |---|---|---|---|---|---|---|
//! | `classic` (default) | `IN_PROGRESS` | `COMPLETED` / `COMPLETED` | `FAILED` | `error_details` | 201 | kept |
//! | `running` | `RUNNING` | `SUCCEEDED` / `SUCCEEDED` | `ERROR` | `error` | 202 | kept |
//! | `ended` | `IN_PROGRESS` | `DELETED` / `RESTORED` | `FAILED` | `message` | 200 | kept |
//! | `bare` | `IN_PROGRESS` | `COMPLETED` / `COMPLETED` | `FAILED` | `error_details` | 201 | dropped |

use crate::store::{JobState, Operation};
use clap::ValueEnum;

/// A named set of dialect settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Preset {
    #[default]
    Classic,
    Running,
    Ended,
    Bare,
}

/// The field of a failed job that carries its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum FailureField {
    #[default]
    ErrorDetails,
    Message,
    Error,
}

impl FailureField {
    pub fn name(self) -> &'static str {
        match self {
            FailureField::ErrorDetails => "error_details",
            FailureField::Message => "message",
            FailureField::Error => "error",
        }
    }
}

/// How jobs and keys are answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    pub running_word: String,
    pub delete_word: String,
    pub restore_word: String,
    pub failure_word: String,
    pub post_status: u16,
    pub failure_field: FailureField,
    /// Omit `name`, `gone`, `sap_param.type`, `sap_param.size`, `sap_param.meta.totalVersions` and
    /// `sap_group_name` from key answers (filters and sorts on them still work).
    pub drop_inferred: bool,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect::preset(Preset::Classic)
    }
}

impl Dialect {
    pub fn preset(p: Preset) -> Dialect {
        let words = |run: &str, del: &str, res: &str, fail: &str| {
            (run.to_string(), del.to_string(), res.to_string(), fail.to_string())
        };
        let ((running_word, delete_word, restore_word, failure_word), post_status, failure_field, drop_inferred) =
            match p {
                Preset::Classic => {
                    (words("IN_PROGRESS", "COMPLETED", "COMPLETED", "FAILED"), 201, FailureField::ErrorDetails, false)
                }
                Preset::Running => {
                    (words("RUNNING", "SUCCEEDED", "SUCCEEDED", "ERROR"), 202, FailureField::Error, false)
                }
                Preset::Ended => {
                    (words("IN_PROGRESS", "DELETED", "RESTORED", "FAILED"), 200, FailureField::Message, false)
                }
                Preset::Bare => {
                    (words("IN_PROGRESS", "COMPLETED", "COMPLETED", "FAILED"), 201, FailureField::ErrorDetails, true)
                }
            };
        Dialect { running_word, delete_word, restore_word, failure_word, post_status, failure_field, drop_inferred }
    }

    /// The word a job in `state` shows.
    pub fn state_word(&self, state: JobState, op: Operation) -> &str {
        match (state, op) {
            (JobState::Pending, _) => "PENDING",
            (JobState::InProgress, _) => &self.running_word,
            (JobState::Completed, Operation::Delete) => &self.delete_word,
            (JobState::Completed, Operation::Restore) => &self.restore_word,
            (JobState::Failed, _) => &self.failure_word,
        }
    }
}

/// A state word: 1 to 40 characters, letters, digits, `_` and `-` only.
pub fn parse_word(s: &str) -> Result<String, String> {
    let ok = !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a state word (1 to 40 letters, digits, '_' or '-')"))
    }
}

/// 200, 201 or 202.
pub fn parse_post_status(s: &str) -> Result<u16, String> {
    match s.trim() {
        "200" => Ok(200),
        "201" => Ok(201),
        "202" => Ok(202),
        _ => Err(format!("'{s}' is not one of 200, 201, 202")),
    }
}

/// `DELETE_WORD,RESTORE_WORD`.
pub fn parse_success_words(s: &str) -> Result<(String, String), String> {
    match s.split_once(',') {
        Some((d, r)) => Ok((parse_word(d.trim())?, parse_word(r.trim())?)),
        None => Err(format!("'{s}' must be two words separated by a comma: DELETE_WORD,RESTORE_WORD")),
    }
}

/// The command-line flags of the dialect (shared by the binary and tests).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DialectFlags {
    /// Preset of the job answer's dialect; the flags below override its settings.
    #[arg(long, value_enum, default_value_t = Preset::Classic)]
    pub dialect: Preset,
    /// State word of a running job [classic: IN_PROGRESS].
    #[arg(long, value_parser = parse_word)]
    pub running_word: Option<String>,
    /// End state words of a successful delete and restore, "DELETE_WORD,RESTORE_WORD" [classic: COMPLETED,COMPLETED].
    #[arg(long, value_parser = parse_success_words)]
    pub success_words: Option<(String, String)>,
    /// End state word of a failed job [classic: FAILED].
    #[arg(long, value_parser = parse_word)]
    pub failure_word: Option<String>,
    /// HTTP status of a successful job POST [classic: 201].
    #[arg(long, value_parser = parse_post_status)]
    pub post_status: Option<u16>,
    /// Field carrying a failed job's text [classic: error_details].
    #[arg(long, value_enum)]
    pub failure_field: Option<FailureField>,
    /// Omit every [I] field (name, gone, type, size, totalVersions, sap_group_name) from key answers.
    #[arg(long)]
    pub drop_inferred: bool,
}

impl DialectFlags {
    /// The preset with the single flags applied.
    pub fn resolve(&self) -> Dialect {
        let mut d = Dialect::preset(self.dialect);
        if let Some(w) = &self.running_word {
            d.running_word = w.clone();
        }
        if let Some((del, res)) = &self.success_words {
            d.delete_word = del.clone();
            d.restore_word = res.clone();
        }
        if let Some(w) = &self.failure_word {
            d.failure_word = w.clone();
        }
        if let Some(s) = self.post_status {
            d.post_status = s;
        }
        if let Some(f) = self.failure_field {
            d.failure_field = f;
        }
        d.drop_inferred |= self.drop_inferred;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        d: DialectFlags,
    }

    fn parse(args: &[&str]) -> Result<Dialect, clap::Error> {
        let mut all = vec!["x"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).map(|c| c.d.resolve())
    }

    #[test]
    fn presets_and_overrides() {
        assert_eq!(parse(&[]).unwrap(), Dialect::default());
        let d = parse(&["--dialect", "ended", "--post-status", "202", "--failure-word", "ERROR"]).unwrap();
        assert_eq!(
            (d.delete_word.as_str(), d.restore_word.as_str(), d.failure_word.as_str()),
            ("DELETED", "RESTORED", "ERROR")
        );
        assert_eq!((d.post_status, d.failure_field), (202, FailureField::Message));
        let d =
            parse(&["--dialect", "running", "--success-words", "DONE_D,DONE_R", "--failure-field", "error_details"])
                .unwrap();
        assert_eq!(
            (d.running_word.as_str(), d.delete_word.as_str(), d.restore_word.as_str()),
            ("RUNNING", "DONE_D", "DONE_R")
        );
        assert_eq!(d.failure_field, FailureField::ErrorDetails);
        assert!(parse(&["--dialect", "bare"]).unwrap().drop_inferred);
        assert!(parse(&["--drop-inferred"]).unwrap().drop_inferred);
        for bad in [
            &["--post-status", "204"][..],
            &["--success-words", "ONE"],
            &["--running-word", "has space"],
            &["--running-word", ""],
            &["--failure-field", "details"],
            &["--dialect", "odd"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn state_words_follow_the_operation() {
        let d = Dialect::preset(Preset::Ended);
        assert_eq!(d.state_word(JobState::Pending, Operation::Delete), "PENDING");
        assert_eq!(d.state_word(JobState::Completed, Operation::Delete), "DELETED");
        assert_eq!(d.state_word(JobState::Completed, Operation::Restore), "RESTORED");
        assert_eq!(d.state_word(JobState::Failed, Operation::Restore), "FAILED");
    }
}
