//! One job of the ledger: what was seen of it, what its key showed, and how two copies join.

use std::cmp::Ordering;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::readers;
use crate::api::jobs::{Job, Operation};
use crate::api::lenient;
use crate::domain::job_state::{read_word, JobPhase, Word};
use crate::domain::key_ref::KeyRef;
use crate::domain::manager_error::ManagerError;
use crate::domain::order::sort_dyn;
use crate::domain::poll::past_watching;

/// What `gone` should be once `op` succeeded.
pub(super) fn expected_gone(op: Operation) -> bool {
    op == Operation::Delete
}

/// One raw state seen, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateSeen {
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub state: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub at_ms: f64,
}

/// What re-reading the key after a job ended showed. Stored as `"not_yet"`, `"confirmed"`,
/// `{"drift": {"expected_gone": …, "actual_gone": …}}` or `{"unavailable": "…"}`. Ordered (by
/// variant, then content) only to break ties in a merge the same way in every tab.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    #[default]
    NotYet,
    /// The key could not be re-read (the reason).
    Unavailable(#[serde(deserialize_with = "lenient::string")] String),
    /// The key's `gone` is what the operation should have made it.
    Confirmed,
    /// It is not: the job ended but the key did not change.
    Drift {
        #[serde(deserialize_with = "lenient::required")]
        expected_gone: bool,
        #[serde(default, deserialize_with = "lenient::opt")]
        actual_gone: Option<bool>,
    },
}

impl Verification {
    /// Compares a re-read key's `gone` with what the job should have left: after a success
    /// (or a job unknown to the manager) what `op` makes it, after a failure what it was.
    /// A key that does not say whether it is gone cannot be verified; a running job is not yet.
    pub(crate) fn for_key(op: Operation, phase: JobPhase, gone: Option<bool>) -> Verification {
        let expected = match phase {
            JobPhase::Running | JobPhase::NoLongerWatched => return Verification::NotYet,
            JobPhase::Failed => !expected_gone(op),
            JobPhase::Succeeded | JobPhase::UnknownToManager => expected_gone(op),
        };
        match gone {
            Some(g) if g == expected => Verification::Confirmed,
            Some(g) => Verification::Drift {
                expected_gone: expected,
                actual_gone: Some(g),
            },
            None => Verification::Unavailable("the key does not say whether it is gone".into()),
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        *self != Verification::NotYet
    }
}

/// How a batch is linked to an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Posted again the failed keys of the batch it links to.
    Retry,
    /// Posted the inverse operation for the succeeded keys of the batch it links to.
    Undo,
}

/// A batch's link to the batch it retries or undoes. Read whole or not at all.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BatchLink {
    #[serde(deserialize_with = "lenient::word")]
    pub kind: LinkKind,
    /// The id of the batch retried or undone.
    #[serde(deserialize_with = "lenient::string")]
    pub of: String,
}

/// A job this browser started. Read leniently from the stored form: only `job_id`, `id` and
/// `operation` are required; any other field of the wrong type reads as absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The job's resource id (poll `GET /keys/jobs/{job_id}`).
    #[serde(deserialize_with = "lenient::string")]
    pub job_id: String,
    /// The key's CCKM id.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub key_name: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub sap_key_id: Option<String>,
    #[serde(deserialize_with = "lenient::word")]
    pub operation: Operation,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub delete_if_backup_fails: bool,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub user: String,
    /// The manager's origin.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub manager: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub created_ms: f64,
    /// Read whole or not at all (see [`readers::all_or_nothing`]).
    #[serde(default, deserialize_with = "readers::all_or_nothing")]
    pub states: Vec<StateSeen>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub failure_text: Option<String>,
    /// An unknown phase reads as `Running` (so the job is polled again).
    #[serde(default, deserialize_with = "lenient::word_or_default")]
    pub phase: JobPhase,
    /// Succeeded because the key changed as the operation should, not because the manager
    /// said so (its word was unrecognised). Only meaningful with `Succeeded`.
    #[serde(
        default,
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub inferred: bool,
    #[serde(default, deserialize_with = "readers::enum_or_default")]
    pub verification: Verification,
    /// When `verification` was set.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub verified_ms: Option<f64>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub last_polled_ms: Option<f64>,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub last_change_ms: f64,
    /// The raw job JSON last seen; shared, so copying an entry does not copy it.
    #[serde(default)]
    pub last_job: Option<Rc<Value>>,
    /// The last error the manager answered while this job was polled or its key re-read.
    #[serde(
        default,
        deserialize_with = "ManagerError::stored",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_error: Option<ManagerError>,
    /// The submission this job was posted with (a UUID); absent on entries stored before
    /// batches existed, which read as batches of one (see [`LedgerEntry::batch_id`]).
    #[serde(
        default,
        deserialize_with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub batch: Option<String>,
    /// The batch this job's submission retried or undid.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub link: Option<BatchLink>,
}

/// So that lists of entries, of `Rc`s of them and of references to them read alike.
impl AsRef<LedgerEntry> for LedgerEntry {
    fn as_ref(&self) -> &LedgerEntry {
        self
    }
}

impl LedgerEntry {
    /// The entry for a job the manager just created for `key`.
    pub fn started(
        job: &Job,
        key: &KeyRef,
        operation: Operation,
        delete_if_backup_fails: bool,
        user: &str,
        manager: &str,
        now_ms: f64,
    ) -> LedgerEntry {
        let mut e = LedgerEntry {
            job_id: job.id.clone(),
            id: key.id.clone(),
            key_name: key.display_name(),
            group: key.group.clone(),
            sap_key_id: key.sap_key_id.clone().or_else(|| job.sap_key_id.clone()),
            operation,
            delete_if_backup_fails,
            user: user.to_string(),
            manager: manager.to_string(),
            created_ms: now_ms,
            states: Vec::new(),
            failure_text: None,
            phase: JobPhase::Running,
            inferred: false,
            verification: Verification::NotYet,
            verified_ms: None,
            last_polled_ms: None,
            last_change_ms: now_ms,
            last_job: None,
            last_error: None,
            batch: None,
            link: None,
        };
        e.record(job, now_ms);
        e
    }

    /// The entry as one of the submission `batch`, linked by `link`.
    pub fn in_batch(mut self, batch: &str, link: Option<BatchLink>) -> LedgerEntry {
        self.batch = Some(batch.to_string());
        self.link = link;
        self
    }

    /// The batch this job belongs to: its submission's id, or for an entry stored before
    /// batches existed its own job id (a batch of one).
    pub fn batch_id(&self) -> &str {
        self.batch.as_deref().unwrap_or(&self.job_id)
    }

    /// The last raw state seen ("" if none).
    pub fn last_state(&self) -> &str {
        self.states.last().map(|s| s.state.as_str()).unwrap_or("")
    }

    /// An ended job whose key has not been re-read yet.
    pub(crate) fn awaits_verification(&self) -> bool {
        self.phase.is_terminal() && !self.verification.is_set()
    }

    /// A succeeded job whose key did not change.
    pub(crate) fn is_drift(&self) -> bool {
        matches!(self.verification, Verification::Drift { .. })
    }

    /// A short status for the job list.
    pub(crate) fn status_label(&self) -> String {
        match self.phase {
            JobPhase::Running => match self.last_state() {
                "" => "running".to_string(),
                s => format!("running ({s})"),
            },
            JobPhase::UnknownToManager => "unknown to manager".to_string(),
            JobPhase::NoLongerWatched => JobPhase::NoLongerWatched.label().to_string(),
            JobPhase::Succeeded if self.inferred => "succeeded (inferred from the key)".to_string(),
            JobPhase::Failed => {
                let mut s = match &self.failure_text {
                    Some(t) => format!("failed: {t}"),
                    None => "failed".to_string(),
                };
                if self.is_drift() {
                    s.push_str(" (but the key changed)");
                }
                s
            }
            JobPhase::Succeeded => match &self.verification {
                Verification::NotYet => "succeeded (checking the key…)".to_string(),
                Verification::Confirmed => "succeeded".to_string(),
                Verification::Drift { .. } => "finished, but the key did not change".to_string(),
                Verification::Unavailable(_) => {
                    "succeeded (the key could not be checked)".to_string()
                }
            },
        }
    }

    /// Whether the job's last word is one the page does not know, on a job not ended: its key
    /// decides whether it is done.
    pub(crate) fn awaits_key(&self) -> bool {
        matches!(self.phase, JobPhase::Running | JobPhase::NoLongerWatched)
            && read_word(self.last_state()) == Word::Unrecognised
    }

    /// The phase an answer with `state` gives: the word's, except that an unrecognised word a
    /// day after the job was created ends the watch, and a running word does not resume it.
    fn phase_for(&self, state: &str, now_ms: f64) -> JobPhase {
        match read_word(state) {
            Word::Unrecognised if past_watching(self.created_ms, now_ms) => {
                JobPhase::NoLongerWatched
            }
            Word::Running | Word::Unrecognised if self.phase == JobPhase::NoLongerWatched => {
                JobPhase::NoLongerWatched
            }
            w => w.phase(),
        }
    }

    /// Applies a job answer; returns whether anything the user sees changed.
    pub(super) fn record(&mut self, job: &Job, now_ms: f64) -> bool {
        let mut changed = false;
        if self
            .states
            .last()
            .map(|s| s.state != job.state)
            .unwrap_or(true)
        {
            self.states.push(StateSeen {
                state: job.state.clone(),
                at_ms: now_ms,
            });
            if self.states.len() > 1
                && self.states[self.states.len() - 2].at_ms.total_cmp(&now_ms) == Ordering::Greater
            {
                sort_states(&mut self.states);
            }
            changed = true;
        }
        // A terminal phase is final.
        if !self.phase.is_terminal() {
            let phase = self.phase_for(&job.state, now_ms);
            if phase != self.phase {
                self.phase = phase;
                changed = true;
            }
        }
        let text = job.failure_text();
        if text.is_some() && text != self.failure_text {
            self.failure_text = text;
            changed = true;
        }
        if let Some(raw) = &job.raw {
            self.last_job = Some(Rc::new(raw.clone()));
        }
        self.last_polled_ms = Some(now_ms);
        if changed {
            self.last_change_ms = now_ms;
        }
        changed
    }

    /// Field-wise join; commutative, associative and idempotent.
    pub(super) fn join(&mut self, other: &LedgerEntry) {
        self.id = max_string(&self.id, &other.id);
        self.key_name = max_string(&self.key_name, &other.key_name);
        self.group = join_opt_string(&self.group, &other.group);
        self.sap_key_id = join_opt_string(&self.sap_key_id, &other.sap_key_id);
        self.operation = self.operation.max(other.operation);
        self.delete_if_backup_fails |= other.delete_if_backup_fails;
        self.user = max_string(&self.user, &other.user);
        self.manager = max_string(&self.manager, &other.manager);
        if other.created_ms.total_cmp(&self.created_ms) == Ordering::Less {
            self.created_ms = other.created_ms;
        }
        self.states.extend(other.states.iter().cloned());
        sort_states(&mut self.states);
        self.failure_text = join_opt_string(&self.failure_text, &other.failure_text);
        // The greater phase wins; of two equal ones, a word the manager said beats an inference.
        match other.phase.cmp(&self.phase) {
            Ordering::Greater => {
                self.phase = other.phase;
                self.inferred = other.inferred;
            }
            Ordering::Equal => self.inferred &= other.inferred,
            Ordering::Less => {}
        }
        // Ties on time are broken by content, so that the join stays commutative.
        let theirs_newer = cmp_opt_key(&opt_key(other.verified_ms), &opt_key(self.verified_ms))
            .then_with(|| other.verification.cmp(&self.verification));
        if theirs_newer == Ordering::Greater {
            self.verification = other.verification.clone();
            self.verified_ms = other.verified_ms;
        }
        let theirs_newer = cmp_opt_key(
            &opt_key(other.last_polled_ms),
            &opt_key(self.last_polled_ms),
        )
        .then_with(|| cmp_job(&other.last_job, &self.last_job));
        if theirs_newer == Ordering::Greater {
            self.last_polled_ms = other.last_polled_ms;
            self.last_job = other.last_job.clone();
        }
        if other.last_change_ms.total_cmp(&self.last_change_ms) == Ordering::Greater {
            self.last_change_ms = other.last_change_ms;
        }
        self.last_error = ManagerError::later(&self.last_error, &other.last_error);
        self.batch = join_opt_string(&self.batch, &other.batch);
        self.link = self.link.clone().max(other.link.clone());
    }
}

type OptKey = (bool, f64);

fn opt_key(v: Option<f64>) -> OptKey {
    (v.is_some(), v.unwrap_or(0.0))
}

fn cmp_opt_key(a: &OptKey, b: &OptKey) -> Ordering {
    a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
}

/// A total order on the raw jobs kept, to break ties in a merge the same way in every tab.
fn cmp_job(a: &Option<Rc<Value>>, b: &Option<Rc<Value>>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => cmp_json(a, b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// JSON values by kind (null, boolean, number, string, array, object), then content.
fn cmp_json(a: &Value, b: &Value) -> Ordering {
    let kind = |v: &Value| match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    };
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => (x.as_u64(), x.as_i64())
            .cmp(&(y.as_u64(), y.as_i64()))
            .then_with(|| {
                let f = |n: &serde_json::Number| n.as_f64().unwrap_or(0.0);
                f(x).total_cmp(&f(y))
            }),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(x, y)| cmp_json(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .zip(y)
            .map(|((kx, vx), (ky, vy))| kx.cmp(ky).then_with(|| cmp_json(vx, vy)))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (a, b) => kind(a).cmp(&kind(b)),
    }
}

fn max_string(a: &str, b: &str) -> String {
    a.max(b).to_string()
}

fn join_opt_string(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y).clone()),
        (x, None) => x.clone(),
        (None, y) => y.clone(),
    }
}

pub(super) fn states_sorted(states: &[StateSeen]) -> bool {
    states.windows(2).all(|w| {
        w[0].at_ms
            .total_cmp(&w[1].at_ms)
            .then_with(|| w[0].state.cmp(&w[1].state))
            == Ordering::Less
    })
}

pub(super) fn sort_states(states: &mut Vec<StateSeen>) {
    sort_dyn(states, &|a, b| {
        a.at_ms
            .total_cmp(&b.at_ms)
            .then_with(|| a.state.cmp(&b.state))
    });
    states.dedup_by(|a, b| a.state == b.state && a.at_ms.total_cmp(&b.at_ms) == Ordering::Equal);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::fixtures::*;

    #[test]
    fn raw_jobs_are_ordered_totally_and_consistently_with_equality() {
        use serde_json::json;
        let values = [
            json!(null),
            json!(false),
            json!(true),
            json!(-1),
            json!(1),
            json!(1.0),
            json!(2.5),
            json!(u64::MAX),
            json!("a"),
            json!("b"),
            json!([]),
            json!([1]),
            json!([1, 2]),
            json!([2]),
            json!({}),
            json!({"a": 1}),
            json!({"a": 2}),
            json!({"a": 1, "b": 0}),
            json!({"b": 0}),
        ];
        for x in &values {
            for y in &values {
                let o = cmp_json(x, y);
                assert_eq!(o, cmp_json(y, x).reverse(), "{x} {y}");
                assert_eq!(o.is_eq(), x == y, "{x} {y}");
                for z in &values {
                    if o.is_lt() && cmp_json(y, z).is_lt() {
                        assert!(cmp_json(x, z).is_lt(), "{x} {y} {z}");
                    }
                }
            }
        }
        let some = |v: Value| Some(Rc::new(v));
        assert!(cmp_job(&None, &some(json!(null))).is_lt());
        assert!(cmp_job(&some(json!({"state": "A"})), &some(json!({"state": "B"}))).is_lt());
    }

    #[test]
    fn new_entry_records_first_state() {
        let e = entry("j1", "k1", 100.0);
        assert_eq!(e.phase, JobPhase::Running);
        assert_eq!(
            e.states,
            vec![StateSeen {
                state: "PENDING".into(),
                at_ms: 100.0
            }]
        );
        assert_eq!(e.key_name, "name-k1");
        assert_eq!(e.sap_key_id.as_deref(), Some("sap-k1"));
        assert_eq!(e.status_label(), "running (PENDING)");
        assert!(e.last_job.is_some());
    }

    #[test]
    fn verification_rules() {
        assert!(expected_gone(Operation::Delete));
        assert!(!expected_gone(Operation::Restore));
        use JobPhase::*;
        use Operation::*;
        let v = Verification::for_key;
        assert_eq!(v(Delete, Succeeded, Some(true)), Verification::Confirmed);
        assert_eq!(v(Restore, Succeeded, Some(false)), Verification::Confirmed);
        assert_eq!(
            v(Delete, Succeeded, Some(false)),
            Verification::Drift {
                expected_gone: true,
                actual_gone: Some(false)
            }
        );
        assert_eq!(
            v(Restore, Succeeded, Some(true)),
            Verification::Drift {
                expected_gone: false,
                actual_gone: Some(true)
            }
        );
        assert!(matches!(
            v(Delete, Succeeded, None),
            Verification::Unavailable(_)
        ));
        // A failed job should leave the key as it was.
        assert_eq!(v(Delete, Failed, Some(false)), Verification::Confirmed);
        assert_eq!(
            v(Delete, Failed, Some(true)),
            Verification::Drift {
                expected_gone: false,
                actual_gone: Some(true)
            }
        );
        assert_eq!(v(Restore, Failed, Some(true)), Verification::Confirmed);
        assert_eq!(
            v(Delete, UnknownToManager, Some(true)),
            Verification::Confirmed
        );
        assert_eq!(v(Delete, Running, Some(true)), Verification::NotYet);
    }

    #[test]
    fn batch_and_link_are_read_leniently_and_an_old_entry_is_a_batch_of_one() {
        let read = |extra: &str| -> LedgerEntry {
            serde_json::from_str(&format!(
                r#"{{"job_id":"j","id":"k","operation":"delete"{extra}}}"#
            ))
            .expect("an entry")
        };
        let old = read("");
        assert_eq!((old.batch.as_deref(), old.batch_id()), (None, "j"));
        assert_eq!(old.link, None);
        let e = read(r#","batch":"b-1","link":{"kind":"retry","of":"b-0"}"#);
        assert_eq!(e.batch_id(), "b-1");
        assert_eq!(e.link, Some(link(LinkKind::Retry, "b-0")));
        for bad in [
            r#","batch":7,"link":"retry""#,
            r#","batch":[1],"link":{"kind":"redo","of":"b-0"}"#,
            r#","batch":null,"link":{"kind":"undo"}"#,
            r#","link":{"kind":"undo","of":{"x":1}}"#,
        ] {
            let e = read(bad);
            assert_eq!(e.link, None, "{bad}");
            assert_eq!(
                e.batch_id(),
                if bad.contains("\"batch\":7") {
                    "7"
                } else {
                    "j"
                },
                "{bad}"
            );
        }
        // Written only when set, and read back as written.
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("batch") && !text.contains("link"), "{text}");
        let text = serde_json::to_string(&e).unwrap();
        assert!(
            text.contains(r#""batch":"b-1","link":{"kind":"retry","of":"b-0"}"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<LedgerEntry>(&text).unwrap(), e);
    }

    #[test]
    fn a_join_keeps_the_batch_and_the_link() {
        let mut a = entry("j", "k", 1.0);
        let b = entry("j", "k", 1.0).in_batch("b-1", Some(link(LinkKind::Undo, "b-0")));
        a.join(&b);
        assert_eq!(
            (a.batch_id(), a.link.clone()),
            ("b-1", Some(link(LinkKind::Undo, "b-0")))
        );
        let mut c = b.clone();
        c.join(&entry("j", "k", 1.0));
        assert_eq!(c, a);
    }
}
