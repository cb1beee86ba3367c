//! The ledgers the bench puts into the page, built with the page's own types
//! (`LedgerEntry::started`, `Ledger::add`, `Ledger::record_job`, `Ledger::to_json`) rather than a
//! hand-written copy of the stored form. Every use of those types is in this file.
use cckm_sap_admin::api::jobs::{Job, Operation};
use cckm_sap_admin::domain::key_ref::KeyRef;
use cckm_sap_admin::domain::ledger::{
    storage_key, Ledger, LedgerEntry, Verification, KEEP_RAW_NEWEST,
};
use e2e::Browser;
use serde_json::{json, Value};

use super::Res;

/// The user the bench logs in as (the simulator's demo administrator).
pub const USER: &str = "admin";

/// The jobs of a scenario: the ledger the page would hold for them, and each job as the
/// manager answered its POST.
pub struct Seeded {
    pub ledger: Ledger,
    jobs: Vec<Job>,
}

fn text(v: &Value, field: &str) -> Option<String> {
    v[field].as_str().map(str::to_string)
}

/// A key of the manager's list as the page keeps it once chosen for a job.
fn key_ref(key: &Value) -> KeyRef {
    KeyRef {
        id: text(key, "id").unwrap_or_default(),
        name: text(key, "name").unwrap_or_default(),
        group: text(key, "sap_group_name"),
        sap_key_id: text(&key["sap_param"], "sap_key_id"),
    }
}

/// The manager's answer to a job POST, in the page's type.
fn job(answer: &Value) -> Job {
    Job {
        id: text(answer, "id").unwrap_or_default(),
        state: text(answer, "state").unwrap_or_default(),
        uri: text(answer, "uri"),
        account: text(answer, "account"),
        created_at: text(answer, "createdAt"),
        updated_at: text(answer, "updatedAt"),
        cckm_key_id: text(answer, "cckm_key_id"),
        group_id: text(answer, "group_id"),
        sap_job_id: text(answer, "job_id"),
        sap_key_id: text(answer, "key_id"),
        operation: text(answer, "operation"),
        creator_id: text(answer, "creator_id"),
        creator_name: text(answer, "creator_name"),
        ..Job::default()
    }
}

impl Seeded {
    /// The delete jobs `answers` started for `keys` on the manager at `base`, the i-th created
    /// at `t0 - i` ms (newest first, distinct times), exactly as the page records a job it
    /// starts itself.
    pub fn started(base: &str, keys: &[Value], answers: &[Value], t0: f64) -> Seeded {
        let mut ledger = Ledger::new();
        let mut jobs = Vec::new();
        for (i, (k, a)) in keys.iter().zip(answers).enumerate() {
            let job = job(a);
            ledger.add(LedgerEntry::started(
                &job,
                &key_ref(k),
                Operation::Delete,
                false,
                USER,
                base,
                t0 - i as f64,
            ));
            jobs.push(job);
        }
        Seeded { ledger, jobs }
    }

    /// Adds `n` jobs that ended before the scenario began (a year of work): each a delete of a
    /// key of its own, in batches of 40, created a minute before the next, answered like the first real job
    /// (with its own ids), `COMPLETED` half a minute later and its key re-read as deleted.
    pub fn add_history(&mut self, base: &str, n: usize, before_ms: f64) {
        let Some(template) = self.jobs.first().cloned() else {
            return;
        };
        let uuid = |kind: u32, i: usize| format!("{kind:08x}-0000-4000-8000-{i:012x}");
        let mut old = Vec::with_capacity(n);
        let entries = (0..n)
            .map(|i| {
                let created = before_ms - 60_000.0 * (i + 1) as f64;
                let job = Job {
                    id: uuid(1, i),
                    cckm_key_id: Some(uuid(2, i)),
                    sap_job_id: Some(uuid(3, i)),
                    sap_key_id: Some(uuid(4, i)),
                    ..template.clone()
                };
                let key = KeyRef {
                    id: uuid(2, i),
                    name: format!("retired-app-key-{i:05}"),
                    group: Some(format!("group-{:02}", i % 40)),
                    sap_key_id: Some(uuid(4, i)),
                };
                let e =
                    LedgerEntry::started(&job, &key, Operation::Delete, false, USER, base, created);
                old.push((job, created));
                // Submissions of 40 keys each.
                std::rc::Rc::new(e.in_batch(&uuid(5, i / 40), None))
            })
            .collect();
        self.ledger.merge(&Ledger::from_parts(entries, vec![]));
        for (job, created) in old {
            let done = Job {
                state: "COMPLETED".into(),
                ..job
            };
            self.ledger.record_job(&done, created + 30_000.0);
            self.ledger
                .set_verification_at(&done.id, Verification::Confirmed, created + 31_000.0);
        }
    }

    /// Jobs `range` (in the order they were started) move on to `state` at `at_ms` without
    /// ending (a poll that saw them progress). Returns a ledger of just those jobs.
    pub fn progress(&mut self, range: std::ops::Range<usize>, state: &str, at_ms: f64) -> Ledger {
        let mut delta = Ledger::new();
        for job in &self.jobs[range] {
            let seen = Job {
                state: state.into(),
                ..job.clone()
            };
            self.ledger.record_job(&seen, at_ms);
            if let Some(e) = self.ledger.get(&job.id) {
                delta.add(e.clone());
            }
        }
        delta
    }

    /// Jobs `range` (in the order they were started) end: the manager answers `COMPLETED` at
    /// `at_ms` and their keys are re-read as deleted. Returns a ledger of just those jobs, as one
    /// tab's poll results reach another.
    pub fn complete(&mut self, range: std::ops::Range<usize>, at_ms: f64) -> Ledger {
        let mut delta = Ledger::new();
        for job in &self.jobs[range] {
            let done = Job {
                state: "COMPLETED".into(),
                ..job.clone()
            };
            self.ledger.record_job(&done, at_ms);
            self.ledger
                .set_verification_at(&job.id, Verification::Confirmed, at_ms);
            if let Some(e) = self.ledger.get(&job.id) {
                delta.add(e.clone());
            }
        }
        delta
    }
}

/// The page's storage key (its IndexedDB database name) of the bench user's ledger on the manager at `base` (the page's
/// origin: the simulator serves it).
fn ledger_key(base: &str) -> String {
    storage_key(base.trim_end_matches('/'), "", USER)
}

/// The BroadcastChannel on which the page's tabs send each other their ledgers.
pub fn channel(base: &str) -> String {
    format!("{}:bc", ledger_key(base))
}

/// A ledger as the page's tabs send it on the channel: its stored form, as text.
pub fn message(ledger: &Ledger) -> Value {
    json!(ledger.to_json())
}

/// The records the page keeps for `ledger`: each entry's and each tombstone's serde form.
pub fn records(ledger: &Ledger) -> (Vec<Value>, Vec<Value>) {
    let entries = ledger
        .entries
        .iter()
        .filter_map(|e| serde_json::to_value(&**e).ok())
        .collect();
    let cleared = ledger
        .cleared
        .iter()
        .filter_map(|t| serde_json::to_value(t).ok())
        .collect();
    (entries, cleared)
}

/// Writes `ledger` into the page origin's IndexedDB, as the page stores it (before the page
/// loads it at login).
pub async fn store(b: &Browser, base: &str, ledger: &Ledger) -> Res {
    // As the page stores it: jobs past the newest KEEP_RAW_NEWEST without their raw JSON.
    let mut ledger = ledger.clone();
    ledger.compact_past(KEEP_RAW_NEWEST);
    let (entries, cleared) = records(&ledger);
    e2e::ledger::seed_ledger(b, &ledger_key(base), &entries, &cleared).await?;
    Ok(())
}

/// Sends `ledger` on the page's channel, as another tab of the same user would.
pub async fn post(b: &Browser, base: &str, ledger: &Ledger) -> Res {
    b.client
        .execute(
            "const ch = new BroadcastChannel(arguments[0]); ch.postMessage(arguments[1]); ch.close(); return true;",
            vec![json!(channel(base)), message(ledger)],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use cckm_sap_admin::domain::job_state::JobPhase;

    use super::*;

    const BASE: &str = "http://127.0.0.1:8080";

    fn seeded(n: usize) -> Seeded {
        let keys: Vec<Value> = (0..n)
            .map(|i| {
                json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "name": format!("key-{i}"),
                       "sap_group_name": "payroll", "sap_param": {"sap_key_id": format!("sap-{i}")}})
            })
            .collect();
        let answers: Vec<Value> = (0..n)
            .map(|i| json!({"id": format!("10000000-0000-4000-8000-{i:012}"), "state": "PENDING"}))
            .collect();
        Seeded::started(BASE, &keys, &answers, 1_700_000_000_000.0)
    }

    #[test]
    fn the_seeded_ledger_is_what_the_page_reads_back() {
        let s = seeded(3);
        let back = Ledger::from_json(&s.ledger.to_json()).expect("the page reads it");
        assert_eq!(back, s.ledger);
        let newest = &back.entries[0];
        assert_eq!(newest.key_name, "key-0");
        assert_eq!(newest.group.as_deref(), Some("payroll"));
        assert_eq!(newest.sap_key_id.as_deref(), Some("sap-0"));
        assert_eq!(newest.manager, BASE);
        assert_eq!(newest.user, USER);
        assert_eq!(newest.phase, JobPhase::Running);
        assert_eq!(newest.last_state(), "PENDING");
        assert_eq!(back.entries[2].created_ms, 1_700_000_000_000.0 - 2.0);
    }

    #[test]
    fn a_tick_ends_just_its_jobs_and_merges_into_the_stored_ledger() {
        let mut s = seeded(4);
        let mut page = Ledger::from_json(&s.ledger.to_json()).expect("the page reads it");
        let delta = s.complete(1..3, 1_700_000_100_000.0);
        assert_eq!(delta.entries.len(), 2);
        for e in &delta.entries {
            assert_eq!(e.phase, JobPhase::Succeeded);
            assert_eq!(e.verification, Verification::Confirmed);
            assert_eq!(e.last_state(), "COMPLETED");
            assert_eq!(e.last_change_ms, 1_700_000_100_000.0);
        }
        let message = message(&delta);
        let sent = Ledger::from_json(message.as_str().expect("text")).expect("the page reads it");
        assert!(page.merge(&sent));
        let done = page
            .entries
            .iter()
            .filter(|e| e.phase == JobPhase::Succeeded)
            .count();
        assert_eq!(done, 2);
        assert_eq!(page, s.ledger, "the page ends where the other tab is");
    }

    #[test]
    fn the_records_are_the_stored_form_the_page_reads() {
        let mut s = seeded(3);
        s.complete(0..1, 1_700_000_100_000.0);
        let (entries, cleared) = records(&s.ledger);
        assert_eq!((entries.len(), cleared.len()), (3, 0));
        let text = json!({"entries": entries, "cleared": cleared}).to_string();
        assert_eq!(
            Ledger::from_json(&text).expect("the page reads it"),
            s.ledger
        );
        assert_eq!(entries[0]["job_id"], json!(s.ledger.entries[0].job_id));
        assert_eq!(ledger_key(BASE), e2e::ledger::ledger_key(BASE, USER));
    }

    #[test]
    fn the_storage_key_and_channel_are_the_page_origins() {
        assert_eq!(
            ledger_key("http://127.0.0.1:8080/"),
            "cckm-sap-ledger:v1:http://127.0.0.1:8080:admin"
        );
        assert_eq!(
            channel(BASE),
            "cckm-sap-ledger:v1:http://127.0.0.1:8080:admin:bc"
        );
    }
}
