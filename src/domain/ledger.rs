//! The ledger of jobs this browser started: what the page remembers, merges across tabs and
//! stores as JSON (the manager has no job list).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;
use serde_json::Value;

use crate::api::decode::{parse_value, DecodeError};
use crate::api::jobs::{Job, Operation};
use crate::api::read::{FromJson, Obj};
use crate::domain::job_state::{read_word, JobPhase, Word};
use crate::domain::manager_error::ManagerError;
use crate::domain::order::sort_dyn;
use crate::domain::plan::KeyRef;
use crate::domain::poll::past_watching;

/// Version of the stored form written by [`Ledger::to_json`].
pub const LEDGER_VERSION: u32 = 1;
/// At most this many tombstones of cleared jobs are kept (the newest jobs' ones).
pub const MAX_TOMBSTONES: usize = 5000;

/// The storage key of a user's ledger on one manager: origin + domain + user. A root-domain
/// user keeps the key of the page before domains existed, so nothing stored is left behind.
pub fn storage_key(origin: &str, domain: &str, user: &str) -> String {
    if domain.is_empty() {
        format!("cckm-sap-ledger:v1:{origin}:{user}")
    } else {
        format!("cckm-sap-ledger:v1d:{origin}:{domain}:{user}")
    }
}

/// One raw state seen, and when.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateSeen {
    pub state: String,
    pub at_ms: f64,
}

/// What re-reading the key after a job ended showed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    #[default]
    NotYet,
    /// The key's `gone` is what the operation should have made it.
    Confirmed,
    /// It is not: the job ended but the key did not change.
    Drift {
        expected_gone: bool,
        actual_gone: Option<bool>,
    },
    /// The key could not be re-read (the reason).
    Unavailable(String),
}

impl Verification {
    /// Compares a re-read key's `gone` with what the job should have left: after a success
    /// (or a job unknown to the manager) what `op` makes it, after a failure what it was.
    /// A key that does not say whether it is gone cannot be verified; a running job is not yet.
    pub fn for_key(op: Operation, phase: JobPhase, gone: Option<bool>) -> Verification {
        let expected = match phase {
            JobPhase::Running | JobPhase::NoLongerWatched => return Verification::NotYet,
            JobPhase::Failed => !Ledger::expected_gone(op),
            JobPhase::Succeeded | JobPhase::UnknownToManager => Ledger::expected_gone(op),
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

    pub fn is_set(&self) -> bool {
        *self != Verification::NotYet
    }

    fn order_key(&self) -> (u8, String) {
        let rank = match self {
            Verification::NotYet => 0,
            Verification::Unavailable(_) => 1,
            Verification::Confirmed => 2,
            Verification::Drift { .. } => 3,
        };
        (rank, serde_json::to_string(self).unwrap_or_default())
    }
}

/// A job this browser started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LedgerEntry {
    /// The job's resource id (poll `GET /keys/jobs/{job_id}`).
    pub job_id: String,
    /// The key's CCKM id.
    pub id: String,
    pub key_name: String,
    pub group: Option<String>,
    pub sap_key_id: Option<String>,
    pub operation: Operation,
    pub delete_if_backup_fails: bool,
    pub user: String,
    /// The manager's origin.
    pub manager: String,
    pub created_ms: f64,
    pub states: Vec<StateSeen>,
    pub failure_text: Option<String>,
    pub phase: JobPhase,
    /// Succeeded because the key changed as the operation should, not because the manager
    /// said so (its word was unrecognised). Only meaningful with `Succeeded`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
    pub verification: Verification,
    /// When `verification` was set.
    pub verified_ms: Option<f64>,
    pub last_polled_ms: Option<f64>,
    pub last_change_ms: f64,
    /// The raw job JSON last seen; shared, so copying an entry does not copy it.
    pub last_job: Option<Rc<Value>>,
    /// The last error the manager answered while this job was polled or its key re-read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ManagerError>,
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
        };
        e.record(job, now_ms);
        e
    }

    /// The last raw state seen ("" if none).
    pub fn last_state(&self) -> &str {
        self.states.last().map(|s| s.state.as_str()).unwrap_or("")
    }

    /// The states seen, consecutive repeats collapsed (tabs may have seen the same state).
    pub fn distinct_states(&self) -> Vec<&StateSeen> {
        let mut out: Vec<&StateSeen> = Vec::new();
        for s in &self.states {
            if out.last().map(|l| l.state != s.state).unwrap_or(true) {
                out.push(s);
            }
        }
        out
    }

    /// A succeeded job whose key did not change.
    pub fn is_drift(&self) -> bool {
        matches!(self.verification, Verification::Drift { .. })
    }

    /// A short status for the job list.
    pub fn status_label(&self) -> String {
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
    pub fn awaits_key(&self) -> bool {
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
    fn record(&mut self, job: &Job, now_ms: f64) -> bool {
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
        self.last_job = Some(Rc::new(match &job.raw {
            Some(v) => v.clone(),
            None => serde_json::to_value(job).unwrap_or(Value::Null),
        }));
        self.last_polled_ms = Some(now_ms);
        if changed {
            self.last_change_ms = now_ms;
        }
        changed
    }

    /// Field-wise join; commutative, associative and idempotent.
    fn join(&mut self, other: &LedgerEntry) {
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
            .then_with(|| {
                other
                    .verification
                    .order_key()
                    .cmp(&self.verification.order_key())
            });
        if theirs_newer == Ordering::Greater {
            self.verification = other.verification.clone();
            self.verified_ms = other.verified_ms;
        }
        let theirs_newer = cmp_opt_key(
            &opt_key(other.last_polled_ms),
            &opt_key(self.last_polled_ms),
        )
        .then_with(|| json_text(&other.last_job).cmp(&json_text(&self.last_job)));
        if theirs_newer == Ordering::Greater {
            self.last_polled_ms = other.last_polled_ms;
            self.last_job = other.last_job.clone();
        }
        if other.last_change_ms.total_cmp(&self.last_change_ms) == Ordering::Greater {
            self.last_change_ms = other.last_change_ms;
        }
        self.last_error = ManagerError::later(&self.last_error, &other.last_error);
    }
}

type OptKey = (bool, f64);

fn opt_key(v: Option<f64>) -> OptKey {
    (v.is_some(), v.unwrap_or(0.0))
}

fn cmp_opt_key(a: &OptKey, b: &OptKey) -> Ordering {
    a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
}

fn json_text(v: &Option<Rc<Value>>) -> String {
    v.as_ref()
        .map(|v| crate::api::read::json_text(v))
        .unwrap_or_default()
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

fn states_sorted(states: &[StateSeen]) -> bool {
    states.windows(2).all(|w| {
        w[0].at_ms
            .total_cmp(&w[1].at_ms)
            .then_with(|| w[0].state.cmp(&w[1].state))
            == Ordering::Less
    })
}

fn sort_states(states: &mut Vec<StateSeen>) {
    sort_dyn(states, &|a, b| {
        a.at_ms
            .total_cmp(&b.at_ms)
            .then_with(|| a.state.cmp(&b.state))
    });
    states.dedup_by(|a, b| a.state == b.state && a.at_ms.total_cmp(&b.at_ms) == Ordering::Equal);
}

/// A cleared job, remembered so that merging an older copy does not bring it back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tombstone {
    pub job_id: String,
    pub created_ms: f64,
}

/// The jobs this browser started, newest first.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Shared: a copy of the ledger is cheap, and an entry that did not change keeps its `Rc`
    /// (the job list re-renders only the rows whose entry changed).
    pub entries: Vec<Rc<LedgerEntry>>,
    /// Jobs removed by [`Ledger::clear_finished`], sorted by `job_id`.
    pub cleared: Vec<Tombstone>,
}

/// Equal entries are usually the same `Rc`: compare pointers first, contents only when they differ.
impl PartialEq for Ledger {
    fn eq(&self, other: &Ledger) -> bool {
        self.cleared == other.cleared
            && self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| Rc::ptr_eq(a, b) || **a == **b)
    }
}

/// Serializes as the stored form (what [`Ledger::to_json`] writes).
impl Serialize for Ledger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredRef {
            version: LEDGER_VERSION,
            entries: &self.entries,
            cleared: &self.cleared,
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
struct StoredRef<'a> {
    version: u32,
    entries: &'a [Rc<LedgerEntry>],
    cleared: &'a [Tombstone],
}

fn cmp_entries(a: &LedgerEntry, b: &LedgerEntry) -> Ordering {
    b.created_ms
        .total_cmp(&a.created_ms)
        .then_with(|| a.job_id.cmp(&b.job_id))
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// What `gone` should be once `op` succeeded.
    pub fn expected_gone(op: Operation) -> bool {
        op == Operation::Delete
    }

    pub fn get(&self, job_id: &str) -> Option<&LedgerEntry> {
        self.entries
            .iter()
            .find(|e| e.job_id == job_id)
            .map(|e| &**e)
    }

    /// The entry to change; copied first if another ledger shares it.
    fn get_mut(&mut self, job_id: &str) -> Option<&mut LedgerEntry> {
        self.entries
            .iter_mut()
            .find(|e| e.job_id == job_id)
            .map(Rc::make_mut)
    }

    /// Adds a job; if the job is already there, the two are merged. Returns whether it changed.
    pub fn add(&mut self, mut entry: LedgerEntry) -> bool {
        let mut changed = false;
        if let Some(i) = self.cleared.iter().position(|t| t.job_id == entry.job_id) {
            self.cleared.remove(i);
            changed = true;
        }
        match self.get_mut(&entry.job_id) {
            Some(e) => {
                let before = e.clone();
                e.join(&entry);
                if *e != before {
                    changed = true;
                    sort_dyn(&mut self.entries, &|a, b| cmp_entries(a, b));
                }
            }
            None => {
                sort_states(&mut entry.states);
                let at = self
                    .entries
                    .partition_point(|x| cmp_entries(x, &entry) == Ordering::Less);
                self.entries.insert(at, Rc::new(entry));
                changed = true;
            }
        }
        changed
    }

    /// Applies a job answer from the manager. Appends a state only when it differs from the
    /// last one; a terminal phase is never undone. Returns whether anything changed.
    pub fn record_job(&mut self, job: &Job, now_ms: f64) -> bool {
        self.get_mut(&job.id)
            .map(|e| e.record(job, now_ms))
            .unwrap_or(false)
    }

    /// The manager answered 404 for a running job. The entry stays.
    pub fn mark_unknown_to_manager(&mut self, job_id: &str, now_ms: f64) -> bool {
        match self.get_mut(job_id) {
            Some(e) if e.phase == JobPhase::Running => {
                e.phase = JobPhase::UnknownToManager;
                e.last_polled_ms = Some(now_ms);
                e.last_change_ms = now_ms;
                true
            }
            _ => false,
        }
    }

    /// Keeps `error` as the job's last manager error, unless a later one is already kept.
    /// Not a change of the job: `last_change_ms` stays. Returns whether the entry changed.
    pub fn record_error(&mut self, job_id: &str, error: ManagerError) -> bool {
        let Some(e) = self.get(job_id) else {
            return false;
        };
        let later = ManagerError::later(&e.last_error, &Some(error));
        if later == e.last_error {
            return false;
        }
        match self.get_mut(job_id) {
            Some(e) => {
                e.last_error = later;
                true
            }
            None => false,
        }
    }

    /// Records what re-reading the key showed (timed after the entry's last poll or change).
    pub fn set_verification(&mut self, job_id: &str, v: Verification) -> bool {
        let at = match self.get(job_id) {
            Some(e) => e
                .last_polled_ms
                .unwrap_or(0.0)
                .max(e.last_change_ms)
                .max(e.verified_ms.unwrap_or(0.0)),
            None => return false,
        };
        self.set_verification_at(job_id, v, at)
    }

    /// Records what re-reading the key showed at `now_ms` (the later verification wins a merge).
    /// For a job whose word is unrecognised ([`LedgerEntry::awaits_key`]), only `Confirmed`
    /// counts: the key changed as the operation should, so the job succeeded, inferred from
    /// the key.
    pub fn set_verification_at(&mut self, job_id: &str, v: Verification, now_ms: f64) -> bool {
        match self.get_mut(job_id) {
            Some(e) if e.awaits_key() => {
                if v != Verification::Confirmed {
                    return false;
                }
                e.phase = JobPhase::Succeeded;
                e.inferred = true;
                e.verification = v;
                e.verified_ms = Some(now_ms);
                e.last_change_ms = now_ms;
                true
            }
            Some(e) if e.verification != v => {
                e.verification = v;
                e.verified_ms = Some(now_ms);
                e.last_change_ms = now_ms;
                true
            }
            _ => false,
        }
    }

    /// Jobs still to poll.
    pub fn unfinished(&self) -> impl Iterator<Item = &LedgerEntry> + '_ {
        self.entries
            .iter()
            .map(|e| &**e)
            .filter(|e| e.phase.needs_polling())
    }

    /// Ended jobs whose key has not been re-read yet.
    pub fn awaiting_verification(&self) -> impl Iterator<Item = &LedgerEntry> + '_ {
        self.entries
            .iter()
            .map(|e| &**e)
            .filter(|e| e.phase == JobPhase::Succeeded && !e.verification.is_set())
    }

    /// Whether a job is running for the key with this CCKM id.
    pub fn running_for_key(&self, id: &str) -> bool {
        self.unfinished().any(|e| e.id == id)
    }

    /// Removes succeeded and failed jobs (the only removal); returns how many.
    pub fn clear_finished(&mut self) -> usize {
        let mut removed = Vec::new();
        self.entries.retain(|e| {
            if e.phase.is_terminal() {
                removed.push(Tombstone {
                    job_id: e.job_id.clone(),
                    created_ms: e.created_ms,
                });
                false
            } else {
                true
            }
        });
        let n = removed.len();
        if n > 0 {
            self.cleared.extend(removed);
            self.normalize();
        }
        n
    }

    /// Union with another copy (another tab, or storage). Commutative, associative, idempotent
    /// (while fewer than [`MAX_TOMBSTONES`] jobs were cleared). Returns whether `self` changed.
    pub fn merge(&mut self, other: &Ledger) -> bool {
        match self.merge_known(other) {
            Some(changed) => changed,
            None => self.merge_all(other),
        }
    }

    /// The general merge: every entry of both, re-normalised.
    fn merge_all(&mut self, other: &Ledger) -> bool {
        let before = self.clone();
        self.entries.extend(other.entries.iter().cloned());
        self.cleared.extend(other.cleared.iter().cloned());
        self.normalize();
        self.cleared != before.cleared
            || self.entries.len() != before.entries.len()
            || self
                .entries
                .iter()
                .zip(&before.entries)
                .any(|(a, b)| !Rc::ptr_eq(a, b) && **a != **b)
    }

    /// [`Ledger::merge`] when `other` only updates jobs this ledger already holds and brings no
    /// new tombstone (another tab's poll results): joins entry by entry, without re-sorting the
    /// whole ledger. `None` when the full merge is needed; `self` is then untouched.
    fn merge_known(&mut self, other: &Ledger) -> Option<bool> {
        let known_tombstones = other.cleared.iter().all(|t| {
            self.cleared
                .binary_search_by(|c| c.job_id.cmp(&t.job_id))
                .is_ok_and(|i| self.cleared[i] == *t)
        });
        if !known_tombstones {
            return None;
        }
        let index: HashMap<&str, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.job_id.as_str(), i))
            .collect();
        let mut updates: Vec<(usize, Rc<LedgerEntry>)> = Vec::new();
        for theirs in &other.entries {
            if self
                .cleared
                .binary_search_by(|c| c.job_id.cmp(&theirs.job_id))
                .is_ok()
            {
                continue;
            }
            let i = *index.get(theirs.job_id.as_str())?;
            let ours = updates
                .iter()
                .rev()
                .find(|(j, _)| *j == i)
                .map_or(&self.entries[i], |(_, e)| e);
            if Rc::ptr_eq(ours, theirs) || **ours == **theirs {
                continue;
            }
            let mut joined = (**ours).clone();
            joined.join(theirs);
            if joined != **ours {
                updates.push((i, Rc::new(joined)));
            }
        }
        let changed = !updates.is_empty();
        let mut resort = false;
        for (i, e) in updates {
            resort |= e.created_ms.total_cmp(&self.entries[i].created_ms) != Ordering::Equal;
            self.entries[i] = e;
        }
        if resort {
            sort_dyn(&mut self.entries, &|a, b| cmp_entries(a, b));
        }
        Some(changed)
    }

    /// Canonical form: one entry per job, states sorted, newest first, tombstones applied.
    fn normalize(&mut self) {
        sort_dyn(&mut self.cleared, &|a, b| {
            a.job_id
                .cmp(&b.job_id)
                .then(a.created_ms.total_cmp(&b.created_ms))
        });
        self.cleared.dedup_by(|a, b| a.job_id == b.job_id);
        if self.cleared.len() > MAX_TOMBSTONES {
            sort_dyn(&mut self.cleared, &|a, b| {
                b.created_ms
                    .total_cmp(&a.created_ms)
                    .then_with(|| a.job_id.cmp(&b.job_id))
            });
            self.cleared.truncate(MAX_TOMBSTONES);
            sort_dyn(&mut self.cleared, &|a, b| a.job_id.cmp(&b.job_id));
        }
        let mut entries = std::mem::take(&mut self.entries);
        sort_dyn(&mut entries, &|a, b| a.job_id.cmp(&b.job_id));
        let mut merged: Vec<Rc<LedgerEntry>> = Vec::with_capacity(entries.len());
        for mut e in entries {
            if self
                .cleared
                .binary_search_by(|t| t.job_id.cmp(&e.job_id))
                .is_ok()
            {
                continue;
            }
            match merged.last_mut() {
                Some(last) if last.job_id == e.job_id => {
                    // Only a real difference makes a new entry; an equal copy keeps the old one.
                    if !Rc::ptr_eq(last, &e) && **last != *e {
                        let mut joined = (**last).clone();
                        joined.join(&e);
                        if joined != **last {
                            *last = Rc::new(joined);
                        }
                    }
                }
                _ => {
                    if !states_sorted(&e.states) {
                        sort_states(&mut Rc::make_mut(&mut e).states);
                    }
                    merged.push(e);
                }
            }
        }
        sort_dyn(&mut merged, &|a, b| cmp_entries(a, b));
        self.entries = merged;
    }

    /// (running, succeeded, failed, unknown to manager or no longer watched).
    pub fn summary(&self) -> (usize, usize, usize, usize) {
        let mut s = (0, 0, 0, 0);
        for e in &self.entries {
            match e.phase {
                JobPhase::Running => s.0 += 1,
                JobPhase::Succeeded => s.1 += 1,
                JobPhase::Failed => s.2 += 1,
                JobPhase::UnknownToManager | JobPhase::NoLongerWatched => s.3 += 1,
            }
        }
        s
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Reads a stored ledger; malformed entries are skipped.
    pub fn from_json(text: &str) -> Result<Ledger, DecodeError> {
        Ledger::from_json_lossy(text).map(|(l, _)| l)
    }

    /// Like [`Ledger::from_json`], also counting the entries that had to be skipped.
    pub fn from_json_lossy(text: &str) -> Result<(Ledger, usize), DecodeError> {
        Ledger::from_value(parse_value(text)?)
    }

    fn from_value(value: Value) -> Result<(Ledger, usize), DecodeError> {
        let Some(mut obj) = Obj::new(value) else {
            return Err(DecodeError::WrongShape(
                "a stored ledger must be a JSON object".into(),
            ));
        };
        let mut skipped = 0;
        let mut ledger = Ledger::default();
        if let Some(Value::Array(items)) = obj.take("entries") {
            for item in items {
                match LedgerEntry::from_json(item) {
                    Some(e) => ledger.entries.push(Rc::new(e)),
                    None => skipped += 1,
                }
            }
        }
        if let Some(Value::Array(items)) = obj.take("cleared") {
            ledger.cleared = items.into_iter().filter_map(Tombstone::from_json).collect();
        }
        ledger.normalize();
        Ok((ledger, skipped))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the stored form

impl FromJson for StateSeen {
    const SHAPE: &'static str = "a state seen";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(StateSeen {
            state: o.string("state"),
            at_ms: o.f64_or_zero("at_ms"),
        })
    }
}

/// `"not_yet"`, `"confirmed"`, `{"drift": {"expected_gone": …, "actual_gone": …}}` or
/// `{"unavailable": "…"}`.
impl FromJson for Verification {
    const SHAPE: &'static str = "a verification";
    fn from_json(v: Value) -> Option<Self> {
        match v {
            Value::String(s) => match s.as_str() {
                "not_yet" => Some(Verification::NotYet),
                "confirmed" => Some(Verification::Confirmed),
                _ => None,
            },
            Value::Object(_) => {
                let mut o = Obj::new(v)?;
                if let Some(Value::String(m)) = o.take("unavailable") {
                    return Some(Verification::Unavailable(m));
                }
                let mut d = o.obj("drift")?;
                let expected_gone = d.take("expected_gone")?.as_bool()?;
                let actual_gone = match d.take("actual_gone") {
                    None | Some(Value::Null) => None,
                    Some(g) => Some(g.as_bool()?),
                };
                Some(Verification::Drift {
                    expected_gone,
                    actual_gone,
                })
            }
            _ => None,
        }
    }
}

impl FromJson for LedgerEntry {
    const SHAPE: &'static str = "a ledger entry";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        let states = match o.take("states") {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(StateSeen::from_json)
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let phase = o
            .take("phase")
            .and_then(JobPhase::from_json)
            .unwrap_or_default();
        Some(LedgerEntry {
            job_id: o.req_string("job_id")?,
            id: o.req_string("id")?,
            key_name: o.string("key_name"),
            group: o.opt_string("group"),
            sap_key_id: o.opt_string("sap_key_id"),
            operation: Operation::from_json(o.take("operation")?)?,
            delete_if_backup_fails: o.opt_bool("delete_if_backup_fails").unwrap_or(false),
            user: o.string("user"),
            manager: o.string("manager"),
            created_ms: o.f64_or_zero("created_ms"),
            states,
            failure_text: o.opt_string("failure_text"),
            inferred: phase == JobPhase::Succeeded && o.opt_bool("inferred").unwrap_or(false),
            phase,
            verification: o
                .take("verification")
                .and_then(Verification::from_json)
                .unwrap_or_default(),
            verified_ms: o.opt_f64("verified_ms"),
            last_polled_ms: o.opt_f64("last_polled_ms"),
            last_change_ms: o.f64_or_zero("last_change_ms"),
            last_job: o.take("last_job").filter(|v| !v.is_null()).map(Rc::new),
            last_error: o.take("last_error").and_then(ManagerError::from_json),
        })
    }
}

impl FromJson for Tombstone {
    const SHAPE: &'static str = "a cleared job";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(Tombstone {
            job_id: o.req_string("job_id")?,
            created_ms: o.f64_or_zero("created_ms"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::parse_job;

    fn job(id: &str, state: &str) -> Job {
        Job {
            id: id.into(),
            state: state.into(),
            ..Default::default()
        }
    }

    fn key(id: &str, name: &str) -> KeyRef {
        KeyRef {
            id: id.into(),
            name: name.into(),
            group: Some("payroll".into()),
            sap_key_id: Some(format!("sap-{id}")),
        }
    }

    fn entry(job_id: &str, key_id: &str, created: f64) -> LedgerEntry {
        LedgerEntry::started(
            &job(job_id, "PENDING"),
            &key(key_id, &format!("name-{key_id}")),
            Operation::Delete,
            false,
            "admin",
            "https://cm.example",
            created,
        )
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
    fn storage_key_format() {
        assert_eq!(
            storage_key("https://cm.example", "", "admin"),
            "cckm-sap-ledger:v1:https://cm.example:admin"
        );
        assert_eq!(
            storage_key("https://cm.example", "eu-payments", "admin"),
            "cckm-sap-ledger:v1d:https://cm.example:eu-payments:admin"
        );
        assert_ne!(
            storage_key("https://cm.example", "eu-payments", "admin"),
            storage_key("https://cm.example", "", "admin")
        );
    }

    #[test]
    fn add_newest_first_and_no_duplicates() {
        let mut l = Ledger::new();
        assert!(l.add(entry("j1", "k1", 100.0)));
        assert!(l.add(entry("j2", "k2", 200.0)));
        assert!(l.add(entry("j0", "k0", 50.0)));
        let ids: Vec<_> = l.entries.iter().map(|e| e.job_id.as_str()).collect();
        assert_eq!(ids, ["j2", "j1", "j0"]);
        assert!(!l.add(entry("j1", "k1", 100.0)));
        assert_eq!(l.entries.len(), 3);
        let mut later = entry("j1", "k1", 100.0);
        later.states.push(StateSeen {
            state: "IN_PROGRESS".into(),
            at_ms: 150.0,
        });
        assert!(l.add(later));
        assert_eq!(l.entries.len(), 3);
        assert_eq!(l.get("j1").unwrap().states.len(), 2);
    }

    #[test]
    fn record_job_appends_only_changes() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        assert!(!l.record_job(&job("j1", "PENDING"), 1100.0));
        let e = l.get("j1").unwrap();
        assert_eq!(e.states.len(), 1);
        assert_eq!(e.last_polled_ms, Some(1100.0));
        assert_eq!(e.last_change_ms, 100.0);
        assert!(l.record_job(&job("j1", "IN_PROGRESS"), 2100.0));
        assert!(!l.record_job(&job("j1", "IN_PROGRESS"), 3100.0));
        assert!(l.record_job(&job("j1", "COMPLETED"), 4100.0));
        let e = l.get("j1").unwrap();
        assert_eq!(e.phase, JobPhase::Succeeded);
        assert_eq!(e.last_change_ms, 4100.0);
        let states: Vec<_> = e.states.iter().map(|s| s.state.as_str()).collect();
        assert_eq!(states, ["PENDING", "IN_PROGRESS", "COMPLETED"]);
        assert!(!l.record_job(&job("unknown", "FAILED"), 5000.0));
    }

    #[test]
    fn record_job_failure_text_and_raw() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        let j = parse_job(r#"{"id":"j1","state":"FAILED","error_details":"no backup","extra":1}"#)
            .unwrap();
        assert!(l.record_job(&j, 200.0));
        let e = l.get("j1").unwrap();
        assert_eq!(e.phase, JobPhase::Failed);
        assert_eq!(e.failure_text.as_deref(), Some("no backup"));
        assert_eq!(
            e.last_job
                .as_ref()
                .and_then(|v| v.get("extra"))
                .and_then(Value::as_u64),
            Some(1)
        );
        assert_eq!(e.status_label(), "failed: no backup");
        l.set_verification(
            "j1",
            Verification::for_key(Operation::Delete, JobPhase::Failed, Some(true)),
        );
        assert_eq!(
            l.get("j1").unwrap().status_label(),
            "failed: no backup (but the key changed)"
        );
    }

    #[test]
    fn terminal_phase_is_final() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        l.record_job(&job("j1", "COMPLETED"), 200.0);
        l.record_job(&job("j1", "PENDING"), 300.0);
        assert_eq!(l.get("j1").unwrap().phase, JobPhase::Succeeded);
    }

    #[test]
    fn unknown_to_manager_is_kept() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        assert!(l.running_for_key("k1"));
        assert!(l.mark_unknown_to_manager("j1", 200.0));
        assert!(!l.mark_unknown_to_manager("j1", 300.0));
        assert_eq!(l.get("j1").unwrap().phase, JobPhase::UnknownToManager);
        assert_eq!(l.unfinished().count(), 0);
        assert!(!l.running_for_key("k1"));
        assert_eq!(l.clear_finished(), 0);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.summary(), (0, 0, 0, 1));
        // The manager finds it again: polling results still apply.
        assert!(l.record_job(&job("j1", "COMPLETED"), 400.0));
        assert_eq!(l.get("j1").unwrap().phase, JobPhase::Succeeded);
        // A finished job is not marked unknown.
        assert!(!l.mark_unknown_to_manager("j1", 500.0));
    }

    #[test]
    fn verification_rules() {
        assert!(Ledger::expected_gone(Operation::Delete));
        assert!(!Ledger::expected_gone(Operation::Restore));
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
    fn drift_label_and_awaiting() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 100.0));
        l.record_job(&job("j1", "COMPLETED"), 200.0);
        assert_eq!(l.awaiting_verification().count(), 1);
        assert_eq!(
            l.get("j1").unwrap().status_label(),
            "succeeded (checking the key…)"
        );
        let v = Verification::for_key(Operation::Delete, JobPhase::Succeeded, Some(false));
        assert!(l.set_verification_at("j1", v.clone(), 300.0));
        assert!(!l.set_verification("j1", v));
        let e = l.get("j1").unwrap();
        assert!(e.is_drift());
        assert_eq!(e.status_label(), "finished, but the key did not change");
        assert_eq!(l.awaiting_verification().count(), 0);
        assert!(!l.set_verification("nope", Verification::Confirmed));
    }

    #[test]
    fn clear_finished_only_removes_terminal_and_leaves_tombstones() {
        let mut l = Ledger::new();
        for (j, state) in [
            ("a", "COMPLETED"),
            ("b", "FAILED"),
            ("c", "IN_PROGRESS"),
            ("d", "PENDING"),
        ] {
            l.add(entry(j, j, 10.0));
            l.record_job(&job(j, state), 20.0);
        }
        l.mark_unknown_to_manager("d", 30.0);
        assert_eq!(l.summary(), (1, 1, 1, 1));
        assert_eq!(l.clear_finished(), 2);
        let left: Vec<_> = l.entries.iter().map(|e| e.job_id.as_str()).collect();
        assert_eq!(left, ["c", "d"]);
        let dead: Vec<_> = l.cleared.iter().map(|t| t.job_id.as_str()).collect();
        assert_eq!(dead, ["a", "b"]);
        assert_eq!(l.clear_finished(), 0);
    }

    #[test]
    fn cleared_jobs_do_not_come_back_from_an_older_copy() {
        let mut tab1 = Ledger::new();
        tab1.add(entry("a", "ka", 10.0));
        tab1.record_job(&job("a", "COMPLETED"), 20.0);
        let tab2 = tab1.clone();
        tab1.clear_finished();
        assert!(!tab1.merge(&tab2));
        assert!(tab1.get("a").is_none());
        let mut tab2b = tab2.clone();
        assert!(tab2b.merge(&tab1));
        assert!(tab2b.get("a").is_none());
        assert_eq!(tab1, tab2b);
    }

    #[test]
    fn tombstones_are_bounded_keeping_the_newest() {
        let mut l = Ledger::new();
        for i in 0..(MAX_TOMBSTONES + 10) {
            let id = format!("j{i:05}");
            l.add(entry(&id, "k", i as f64));
            l.record_job(&job(&id, "DONE"), i as f64 + 1.0);
        }
        assert_eq!(l.clear_finished(), MAX_TOMBSTONES + 10);
        assert_eq!(l.cleared.len(), MAX_TOMBSTONES);
        assert!(l.cleared.iter().all(|t| t.created_ms >= 10.0));
    }

    fn sample_ledgers() -> Vec<Ledger> {
        let mut a = Ledger::new();
        a.add(entry("j1", "k1", 100.0));
        a.record_job(&job("j1", "IN_PROGRESS"), 1100.0);
        a.add(entry("j2", "k2", 200.0));

        let mut b = Ledger::new();
        b.add(entry("j1", "k1", 100.0));
        b.record_job(&job("j1", "IN_PROGRESS"), 1200.0);
        b.record_job(&job("j1", "COMPLETED"), 2200.0);
        b.set_verification_at("j1", Verification::Confirmed, 2300.0);
        b.add(entry("j3", "k3", 300.0));

        let mut c = Ledger::new();
        c.add(entry("j2", "k2", 200.0));
        c.mark_unknown_to_manager("j2", 900.0);
        c.add(entry("j4", "k4", 400.0));
        c.record_job(&job("j4", "FAILED"), 500.0);
        c.clear_finished();

        let mut d = Ledger::new();
        d.add(entry("j1", "k1", 100.0));
        d.record_job(&job("j1", "COMPLETED"), 2100.0);
        d.set_verification_at(
            "j1",
            Verification::for_key(Operation::Delete, JobPhase::Succeeded, Some(false)),
            2150.0,
        );
        d.add(entry("j2", "k2", 200.0));
        d.record_job(&job("j2", "FAILED"), 950.0);
        d.add(entry("j4", "k4", 400.0));

        let mut e = Ledger::new();
        let mut odd = entry("j5", "k5", 500.0);
        odd.group = None;
        odd.delete_if_backup_fails = true;
        e.add(odd);
        let mut odd2 = entry("j5", "k5", 450.0);
        odd2.key_name = "zzz".into();
        let mut f = Ledger::new();
        f.add(odd2);
        f.set_verification_at("j5", Verification::Unavailable("503".into()), 600.0);

        vec![Ledger::new(), a, b, c, d, e, f]
    }

    fn merged(x: &Ledger, y: &Ledger) -> Ledger {
        let mut m = x.clone();
        m.merge(y);
        m
    }

    #[test]
    fn merge_is_idempotent() {
        for l in sample_ledgers() {
            let mut m = l.clone();
            assert!(!m.merge(&l));
            assert_eq!(m, l);
        }
    }

    #[test]
    fn merge_is_commutative() {
        let ls = sample_ledgers();
        for x in &ls {
            for y in &ls {
                assert_eq!(merged(x, y), merged(y, x));
            }
        }
    }

    #[test]
    fn merge_is_associative() {
        let ls = sample_ledgers();
        for x in &ls {
            for y in &ls {
                for z in &ls {
                    assert_eq!(merged(&merged(x, y), z), merged(x, &merged(y, z)));
                }
            }
        }
    }

    #[test]
    fn merge_all_orders_agree() {
        let ls = sample_ledgers();
        let reference = ls.iter().fold(Ledger::new(), |acc, l| merged(&acc, l));
        // Every rotation and the reverse order.
        for start in 0..ls.len() {
            let mut acc = Ledger::new();
            for i in 0..ls.len() {
                acc.merge(&ls[(start + i) % ls.len()]);
            }
            assert_eq!(acc, reference);
        }
        let rev = ls
            .iter()
            .rev()
            .fold(Ledger::new(), |acc, l| merged(&acc, l));
        assert_eq!(rev, reference);
    }

    /// Another tab's delta (some of its entries, maybe out of order) merges by the fast path
    /// exactly as by the full one.
    #[test]
    fn merging_known_jobs_agrees_with_the_full_merge() {
        let ls = sample_ledgers();
        let all = ls.iter().fold(Ledger::new(), |acc, l| merged(&acc, l));
        let mut fast_taken = 0;
        for x in &ls {
            for y in ls.iter().chain([&all]) {
                let mut deltas: Vec<Ledger> = y
                    .entries
                    .iter()
                    .map(|e| Ledger {
                        entries: vec![e.clone()],
                        cleared: y.cleared.clone(),
                    })
                    .collect();
                let mut reversed = y.clone();
                reversed.entries.reverse();
                if let Some(e) = reversed.entries.first_mut() {
                    Rc::make_mut(e).states.reverse();
                }
                deltas.push(reversed);
                for d in &deltas {
                    let mut fast = merged(x, y);
                    let mut full = fast.clone();
                    let known = fast.clone().merge_known(d).is_some();
                    fast_taken += usize::from(known);
                    assert_eq!(fast.merge(d), full.merge_all(d));
                    assert_eq!(fast, full);
                    let (mut fast, mut full) = (x.clone(), x.clone());
                    assert_eq!(fast.merge(d), full.merge_all(d));
                    assert_eq!(fast, full);
                }
            }
        }
        assert!(
            fast_taken > 20,
            "the fast path was taken {fast_taken} times"
        );
    }

    #[test]
    fn merge_outcome() {
        let ls = sample_ledgers();
        let all = ls.iter().fold(Ledger::new(), |acc, l| merged(&acc, l));
        // j4 was cleared in c: stays cleared.
        assert!(all.get("j4").is_none());
        // j1: the terminal phase wins; states are the union; the later verification wins.
        let j1 = all.get("j1").unwrap();
        assert_eq!(j1.phase, JobPhase::Succeeded);
        assert_eq!(j1.verification, Verification::Confirmed);
        assert_eq!(j1.verified_ms, Some(2300.0));
        let at: Vec<_> = j1.states.iter().map(|s| s.at_ms).collect();
        assert_eq!(at, [100.0, 1100.0, 1200.0, 2100.0, 2200.0]);
        assert_eq!(j1.distinct_states().len(), 3);
        assert_eq!(j1.last_polled_ms, Some(2200.0));
        // j2: unknown to manager loses to a real failure seen elsewhere.
        assert_eq!(all.get("j2").unwrap().phase, JobPhase::Failed);
        // j5: the earliest creation time is kept.
        let j5 = all.get("j5").unwrap();
        assert_eq!(j5.created_ms, 450.0);
        assert!(j5.delete_if_backup_fails);
        assert_eq!(j5.group.as_deref(), Some("payroll"));
        // Newest first.
        let ids: Vec<_> = all.entries.iter().map(|e| e.job_id.as_str()).collect();
        assert_eq!(ids, ["j5", "j3", "j2", "j1"]);
    }

    #[test]
    fn unknown_to_manager_beats_running_in_merge() {
        let mut a = Ledger::new();
        a.add(entry("j", "k", 1.0));
        let mut b = a.clone();
        b.mark_unknown_to_manager("j", 5.0);
        assert!(a.merge(&b));
        assert_eq!(a.get("j").unwrap().phase, JobPhase::UnknownToManager);
    }

    #[test]
    fn json_round_trip() {
        for l in sample_ledgers() {
            let text = l.to_json();
            assert!(text.contains("\"version\":1"));
            let back = Ledger::from_json(&text).unwrap();
            assert_eq!(back, l);
        }
    }

    #[test]
    fn from_json_tolerates_missing_and_bad_fields() {
        let text = r#"{"entries":[
            {"job_id":"j1","id":"k1","operation":"delete"},
            {"job_id":"j2","id":"k2","operation":"restore","phase":"who_knows","verification":42,
             "states":"oops","created_ms":"nan","last_polled_ms":null,"delete_if_backup_fails":"yes"},
            {"id":"no job id","operation":"delete"},
            {"job_id":"j3","id":"k3","operation":"shred"},
            17
        ],"cleared":[{"job_id":"jx","created_ms":1}, "bad"], "future":true}"#;
        let (l, skipped) = Ledger::from_json_lossy(text).unwrap();
        assert_eq!(skipped, 3);
        assert_eq!(l.entries.len(), 2);
        let j2 = l.get("j2").unwrap();
        assert_eq!(j2.phase, JobPhase::Running);
        assert_eq!(j2.verification, Verification::NotYet);
        assert!(j2.states.is_empty());
        assert_eq!(j2.created_ms, 0.0);
        assert!(!j2.delete_if_backup_fails);
        assert_eq!(l.cleared.len(), 1);
        assert_eq!(Ledger::from_json("{}").unwrap(), Ledger::new());
    }

    #[test]
    fn from_json_rejects_garbage_without_panic() {
        assert!(matches!(
            Ledger::from_json("not json"),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            Ledger::from_json("[1,2]"),
            Err(DecodeError::WrongShape(_))
        ));
        assert_eq!(
            Ledger::from_json(r#"{"entries":[{"job_id":"#),
            Err(DecodeError::Truncated)
        );
        assert!(Ledger::from_json("").is_err());
    }

    #[test]
    fn from_json_merges_duplicates() {
        let a = entry("j1", "k1", 100.0);
        let mut b = a.clone();
        b.states.push(StateSeen {
            state: "DONE".into(),
            at_ms: 200.0,
        });
        b.phase = JobPhase::Succeeded;
        let text = serde_json::json!({"version": 1, "entries": [a, b]}).to_string();
        let l = Ledger::from_json(&text).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].phase, JobPhase::Succeeded);
    }

    #[test]
    fn out_of_order_clock_keeps_states_sorted() {
        let mut l = Ledger::new();
        l.add(entry("j1", "k1", 1000.0));
        l.record_job(&job("j1", "IN_PROGRESS"), 500.0);
        let at: Vec<_> = l
            .get("j1")
            .unwrap()
            .states
            .iter()
            .map(|s| s.at_ms)
            .collect();
        assert_eq!(at, [500.0, 1000.0]);
        let copy = l.clone();
        assert!(!l.merge(&copy));
    }
}

#[cfg(test)]
mod sharing_tests {
    use super::*;
    use crate::api::jobs::Job;

    fn job(id: &str, state: &str) -> Job {
        serde_json::from_value(serde_json::json!({"id": id, "state": state})).unwrap()
    }

    fn ledger(n: usize) -> Ledger {
        let mut l = Ledger::new();
        for i in 0..n {
            let key = KeyRef {
                id: format!("k{i}"),
                name: format!("key-{i}"),
                group: None,
                sap_key_id: None,
            };
            l.add(LedgerEntry::started(
                &job(&format!("j{i:04}"), "PENDING"),
                &key,
                Operation::Delete,
                false,
                "admin",
                "o",
                i as f64,
            ));
        }
        l
    }

    /// The job list re-renders a row only when its entry's `Rc` changed: a change to one job
    /// must leave every other entry shared, through `record_job` and through `merge`.
    #[test]
    fn only_changed_entries_get_new_rcs() {
        let before = ledger(50);
        let mut after = before.clone();
        assert!(after.record_job(&job("j0007", "COMPLETED"), 100.0));
        let fresh: Vec<&str> = after
            .entries
            .iter()
            .filter(|e| !before.entries.iter().any(|b| Rc::ptr_eq(b, e)))
            .map(|e| e.job_id.as_str())
            .collect();
        assert_eq!(fresh, vec!["j0007"]);

        let mut merged = before.clone();
        let delta = Ledger {
            entries: vec![after
                .entries
                .iter()
                .find(|e| e.job_id == "j0007")
                .unwrap()
                .clone()],
            cleared: vec![],
        };
        assert!(merged.merge(&delta));
        let fresh = merged
            .entries
            .iter()
            .filter(|e| !before.entries.iter().any(|b| Rc::ptr_eq(b, e)))
            .count();
        assert_eq!(fresh, 1, "merging a one-job delta changes one entry");
        assert!(
            !merged.clone().merge(&delta),
            "merging it again changes nothing"
        );
        assert_eq!(
            merged.get("j0007").map(|e| e.phase),
            Some(JobPhase::Succeeded)
        );
    }
}

/// Jobs whose word nobody listed: inferred from the key, or no longer watched after a day.
#[cfg(test)]
mod unrecognised_word_tests {
    use super::*;
    use crate::domain::poll::UNWATCHED_AFTER_MS;

    const DAY: f64 = UNWATCHED_AFTER_MS;

    fn job(id: &str, state: &str) -> Job {
        Job {
            id: id.into(),
            state: state.into(),
            ..Default::default()
        }
    }

    fn entry(job_id: &str, op: Operation, created: f64) -> LedgerEntry {
        let key = KeyRef {
            id: format!("k-{job_id}"),
            name: format!("key-{job_id}"),
            group: None,
            sap_key_id: None,
        };
        LedgerEntry::started(
            &job(job_id, "PENDING"),
            &key,
            op,
            false,
            "admin",
            "o",
            created,
        )
    }

    fn ledger_with(job_id: &str, op: Operation, states: &[(&str, f64)]) -> Ledger {
        let mut l = Ledger::new();
        l.add(entry(job_id, op, 1000.0));
        for (s, at) in states {
            l.record_job(&job(job_id, s), *at);
        }
        l
    }

    #[test]
    fn a_changed_key_ends_an_unrecognised_job_as_inferred() {
        for (op, word) in [
            (Operation::Delete, "DELETED"),
            (Operation::Restore, "restored"),
        ] {
            let mut l = ledger_with("j", op, &[("IN_PROGRESS", 2000.0)]);
            assert!(!l.get("j").unwrap().awaits_key(), "a known running word");
            l.record_job(&job("j", word), 3000.0);
            let e = l.get("j").unwrap();
            assert!(e.awaits_key());
            assert_eq!(e.phase, JobPhase::Running);
            assert_eq!(e.status_label(), format!("running ({word})"));
            assert_eq!(l.unfinished().count(), 1);
            // A key that did not change (yet) leaves it running and records nothing.
            let unchanged =
                Verification::for_key(op, JobPhase::Succeeded, Some(op == Operation::Restore));
            assert!(!l.set_verification_at("j", unchanged, 3100.0));
            assert!(!l.set_verification_at("j", Verification::Unavailable("503".into()), 3100.0));
            assert_eq!(l.get("j").unwrap().verification, Verification::NotYet);
            let changed =
                Verification::for_key(op, JobPhase::Succeeded, Some(op == Operation::Delete));
            assert!(l.set_verification_at("j", changed.clone(), 3200.0));
            assert!(!l.set_verification_at("j", changed, 3300.0));
            let e = l.get("j").unwrap();
            assert_eq!((e.phase, e.inferred), (JobPhase::Succeeded, true));
            assert_eq!(e.verification, Verification::Confirmed);
            assert_eq!(e.last_state(), word, "the raw word stays");
            assert_eq!(e.status_label(), "succeeded (inferred from the key)");
            assert_eq!(l.unfinished().count(), 0, "not polled again");
            assert_eq!(l.awaiting_verification().count(), 0);
            assert_eq!(l.summary(), (0, 1, 0, 0));
            // A later answer does not undo it.
            assert!(!l.record_job(&job("j", word), 4000.0));
            assert_eq!(l.get("j").unwrap().phase, JobPhase::Succeeded);
        }
    }

    #[test]
    fn a_known_word_is_never_inferred() {
        let mut l = ledger_with("j", Operation::Delete, &[("RUNNING", 2000.0)]);
        l.set_verification_at("j", Verification::Confirmed, 2100.0);
        let e = l.get("j").unwrap();
        assert_eq!((e.phase, e.inferred), (JobPhase::Running, false));
        let mut l = ledger_with("j", Operation::Delete, &[("DELETE_FAILED", 2000.0)]);
        assert!(!l.get("j").unwrap().awaits_key(), "a failure word wins");
        l.set_verification_at("j", Verification::Confirmed, 2100.0);
        assert_eq!(l.get("j").unwrap().phase, JobPhase::Failed);
    }

    #[test]
    fn a_day_of_unrecognised_words_ends_the_watch_and_keeps_the_job() {
        let created = 1000.0;
        let mut l = ledger_with(
            "j",
            Operation::Delete,
            &[("DELETED", created + 5.0), ("DELETED", created + DAY - 1.0)],
        );
        assert_eq!(l.get("j").unwrap().phase, JobPhase::Running);
        assert!(l.record_job(&job("j", "DELETED"), created + DAY));
        let e = l.get("j").unwrap();
        assert_eq!(e.phase, JobPhase::NoLongerWatched);
        assert_eq!(e.status_label(), "no longer watched — check the manager");
        assert_eq!(e.last_state(), "DELETED");
        assert_eq!(l.unfinished().count(), 0, "not polled any more");
        assert!(!l.running_for_key("k-j"));
        assert_eq!(l.clear_finished(), 0, "never dropped");
        assert_eq!(l.summary(), (0, 0, 0, 1));
        // A running word from an old copy does not resume the watch; an end word ends it.
        l.record_job(&job("j", "PENDING"), created + DAY + 10.0);
        assert_eq!(l.get("j").unwrap().phase, JobPhase::NoLongerWatched);
        let mut failed = l.clone();
        failed.record_job(&job("j", "FAILED"), created + DAY + 20.0);
        assert_eq!(failed.get("j").unwrap().phase, JobPhase::Failed);
        // The key may still show it done.
        let mut l = ledger_with("j", Operation::Delete, &[("DELETED", created + DAY)]);
        assert!(l.get("j").unwrap().awaits_key());
        assert!(l.set_verification_at("j", Verification::Confirmed, created + DAY + 1.0));
        assert_eq!(
            l.get("j").unwrap().status_label(),
            "succeeded (inferred from the key)"
        );
        // A known running word is polled on, however old.
        let l = ledger_with(
            "j",
            Operation::Delete,
            &[("IN_PROGRESS", created + 2.0 * DAY)],
        );
        assert_eq!(l.get("j").unwrap().phase, JobPhase::Running);
    }

    fn samples() -> Vec<Ledger> {
        let inferred = {
            let mut l = ledger_with("j", Operation::Delete, &[("DELETED", 2000.0)]);
            l.set_verification_at("j", Verification::Confirmed, 2100.0);
            l
        };
        let said = ledger_with(
            "j",
            Operation::Delete,
            &[("DELETED", 2000.0), ("COMPLETED", 2050.0)],
        );
        let unwatched = ledger_with("j", Operation::Delete, &[("DELETED", 1000.0 + DAY)]);
        let mut unwatched2 = ledger_with("u", Operation::Restore, &[("RESTORED", 1000.0 + DAY)]);
        unwatched2.merge(&ledger_with("j", Operation::Delete, &[("DELETED", 2000.0)]));
        let failed = ledger_with(
            "j",
            Operation::Delete,
            &[("DELETED", 2000.0), ("FAILED", 2500.0)],
        );
        let running = ledger_with("u", Operation::Restore, &[("RESTORED", 1500.0)]);
        vec![
            Ledger::new(),
            inferred,
            said,
            unwatched,
            unwatched2,
            failed,
            running,
        ]
    }

    fn merged(x: &Ledger, y: &Ledger) -> Ledger {
        let mut m = x.clone();
        m.merge(y);
        m
    }

    #[test]
    fn merge_stays_a_join() {
        let ls = samples();
        for x in &ls {
            let mut m = x.clone();
            assert!(!m.merge(x), "idempotent");
            for y in &ls {
                assert_eq!(merged(x, y), merged(y, x), "commutative");
                for z in &ls {
                    assert_eq!(
                        merged(&merged(x, y), z),
                        merged(x, &merged(y, z)),
                        "associative"
                    );
                }
            }
        }
        let phase = |l: &Ledger| l.get("j").map(|e| (e.phase, e.inferred));
        let [_, inferred, said, unwatched, _, failed, _] = &ls[..] else {
            unreachable!()
        };
        assert_eq!(
            phase(&merged(inferred, unwatched)),
            Some((JobPhase::Succeeded, true))
        );
        assert_eq!(
            phase(&merged(inferred, said)),
            Some((JobPhase::Succeeded, false)),
            "the manager's word beats an inference"
        );
        assert_eq!(
            phase(&merged(inferred, failed)),
            Some((JobPhase::Failed, false))
        );
        assert_eq!(
            phase(&merged(&ls[6], unwatched)),
            Some((JobPhase::NoLongerWatched, false))
        );
    }

    #[test]
    fn stored_leniently_and_round_tripped() {
        for l in samples() {
            assert_eq!(Ledger::from_json(&l.to_json()).unwrap(), l);
        }
        let text = samples()[1].to_json();
        assert!(text.contains("\"inferred\":true"), "{text}");
        let text = samples()[3].to_json();
        assert!(
            text.contains("\"phase\":\"no_longer_watched\"") && !text.contains("inferred"),
            "{text}"
        );
        // A ledger from before: no `inferred`; a stray one on a running job is ignored.
        let old = r#"{"version":1,"entries":[
            {"job_id":"a","id":"k","operation":"delete","phase":"succeeded","states":[{"state":"COMPLETED","at_ms":5}]},
            {"job_id":"b","id":"k","operation":"delete","phase":"running","inferred":true},
            {"job_id":"c","id":"k","operation":"restore","phase":"succeeded","inferred":"yes"}]}"#;
        let l = Ledger::from_json(old).unwrap();
        assert!(l.entries.iter().all(|e| !e.inferred));
        assert_eq!(
            l.get("a").unwrap().status_label(),
            "succeeded (checking the key…)"
        );
    }
}

/// The last manager error a job met: kept, merged and stored leniently.
#[cfg(test)]
mod last_error_tests {
    use super::*;
    use crate::api::error::ApiError;

    fn ledger() -> Ledger {
        let job = Job {
            id: "j".into(),
            state: "PENDING".into(),
            ..Default::default()
        };
        let key = KeyRef {
            id: "k".into(),
            name: "payroll".into(),
            group: None,
            sap_key_id: None,
        };
        let mut l = Ledger::new();
        l.add(LedgerEntry::started(
            &job,
            &key,
            Operation::Delete,
            false,
            "admin",
            "o",
            1000.0,
        ));
        l
    }

    fn error(at: f64, rid: &str) -> ManagerError {
        let body = format!(
            r#"{{"code":14,"codeDesc":"NCERRInternalServerError: unexpected error","requestID":"{rid}"}}"#
        );
        ManagerError::from_api(&ApiError::from_response(500, "", &body, None), at)
    }

    #[test]
    fn the_last_error_is_kept_and_is_not_a_change_of_the_job() {
        let mut l = ledger();
        let before = l.get("j").unwrap().last_change_ms;
        assert!(l.record_error("j", error(2000.0, "r1")));
        assert!(
            !l.record_error("j", error(2000.0, "r1")),
            "the same error again"
        );
        assert!(
            !l.record_error("j", error(1500.0, "r0")),
            "an older one does not replace it"
        );
        assert!(l.record_error("j", error(3000.0, "r2")));
        assert!(!l.record_error("nope", error(4000.0, "r3")));
        let e = l.get("j").unwrap();
        let last = e.last_error.as_ref().unwrap();
        assert_eq!(
            (last.name.as_deref(), last.request_id.as_deref()),
            (Some("NCERRInternalServerError"), Some("r2"))
        );
        assert_eq!(e.last_change_ms, before);
        assert_eq!(e.phase, JobPhase::Running);
    }

    #[test]
    fn merged_in_any_order_the_later_error_wins() {
        let (mut a, mut b) = (ledger(), ledger());
        a.record_error("j", error(2000.0, "ra"));
        b.record_error("j", error(3000.0, "rb"));
        let none = ledger();
        for (x, y) in [(&a, &b), (&b, &a), (&a, &none), (&none, &b)] {
            let mut m = x.clone();
            m.merge(y);
            let mut n = y.clone();
            n.merge(x);
            assert_eq!(m, n);
        }
        let mut m = a.clone();
        m.merge(&b);
        assert_eq!(
            m.get("j")
                .unwrap()
                .last_error
                .as_ref()
                .and_then(|e| e.request_id.as_deref()),
            Some("rb")
        );
        let mut m = none.clone();
        m.merge(&a);
        assert_eq!(
            m.get("j")
                .unwrap()
                .last_error
                .as_ref()
                .and_then(|e| e.request_id.as_deref()),
            Some("ra")
        );
    }

    #[test]
    fn stored_round_trip_and_old_ledgers_still_load() {
        let mut l = ledger();
        assert!(
            !l.to_json().contains("last_error"),
            "absent until an error is met"
        );
        l.record_error("j", error(2000.0, "3f0c"));
        let text = l.to_json();
        assert!(
            text.contains(r#""last_error":{"name":"NCERRInternalServerError""#),
            "{text}"
        );
        assert!(text.contains(r#""request_id":"3f0c""#), "{text}");
        assert_eq!(Ledger::from_json(&text).unwrap(), l);
        let old = r#"{"version":1,"entries":[
            {"job_id":"a","id":"k","operation":"delete","phase":"running"},
            {"job_id":"b","id":"k","operation":"delete","last_error":"boom"},
            {"job_id":"c","id":"k","operation":"delete","last_error":{"name":["x"],"request_id":7,"at_ms":"?"}},
            {"job_id":"d","id":"k","operation":"delete","last_error":null}]}"#;
        let (l, skipped) = Ledger::from_json_lossy(old).unwrap();
        assert_eq!((l.entries.len(), skipped), (4, 0));
        assert_eq!(l.get("a").unwrap().last_error, None);
        assert_eq!(l.get("b").unwrap().last_error, None);
        assert_eq!(l.get("d").unwrap().last_error, None);
        let c = l.get("c").unwrap().last_error.clone().unwrap();
        assert_eq!(
            (c.name, c.request_id.as_deref(), c.at_ms),
            (None, Some("7"), 0.0)
        );
    }
}
