//! The bounded, de-duplicating queue that posts job requests (one job per key).

use std::collections::{HashSet, VecDeque};

use crate::api::error::{ApiError, ErrorKind};
use crate::api::jobs::{Job, JobRequest, Operation};
use crate::domain::key_ref::KeyRef;
use crate::domain::permissions::Scope;

/// At most this many job requests are under way at once.
pub(crate) const MAX_IN_FLIGHT: usize = 4;

/// What the user chose in the job form: the operation, and for a delete the flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submission {
    pub operation: Operation,
    /// Only ever true for a delete.
    pub delete_if_backup_fails: bool,
}

impl Submission {
    /// The flag counts only for a delete.
    pub fn new(operation: Operation, delete_if_backup_fails: bool) -> Submission {
        Submission {
            operation,
            delete_if_backup_fails: operation == Operation::Delete && delete_if_backup_fails,
        }
    }
}

/// How posting one job went.
#[allow(clippy::large_enum_variant)] // a handful per dialog; boxing would only burden callers
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SubmitOutcome {
    Created(Job),
    /// The manager answered with an error, or the page refused to send: no job was created.
    Refused(ApiError),
    /// The manager refused this operation in the key's group (403): the group's waiting keys are
    /// withheld and the form marks the group.
    NotPermitted(ApiError),
    /// No clear answer (timeout, 408/429/5xx, network, an unreadable answer): a job may or may
    /// not exist. Never retried.
    Unknown(ApiError),
    /// Not posted: the manager had just refused this operation for another key of its group.
    Withheld,
}

impl SubmitOutcome {
    /// Sorts an error. A post is not idempotent, so anything that may have created a job
    /// (no answer, a transient status, an answer that could not be read) is unknown.
    pub(crate) fn from_error(e: ApiError) -> SubmitOutcome {
        if e.is_transient() || matches!(e.kind, ErrorKind::Decode { .. }) {
            SubmitOutcome::Unknown(e)
        } else if e.status == Some(403) {
            SubmitOutcome::NotPermitted(e)
        } else {
            SubmitOutcome::Refused(e)
        }
    }
}

/// The queue. Each key is posted at most once per queue.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SubmitQueue {
    waiting: VecDeque<(KeyRef, JobRequest)>,
    in_flight: Vec<KeyRef>,
    seen: HashSet<String>,
    outcomes: Vec<(KeyRef, SubmitOutcome)>,
}

impl SubmitQueue {
    /// Queues a job per key; a key already queued, in flight or submitted is ignored.
    /// Returns how many were added.
    pub(crate) fn enqueue(&mut self, keys: Vec<KeyRef>, s: Submission) -> usize {
        let mut added = 0;
        for k in keys {
            if !self.seen.insert(k.id.clone()) {
                continue;
            }
            let req = JobRequest {
                id: k.id.clone(),
                operation: s.operation,
                delete_if_backup_fails: s.delete_if_backup_fails,
            };
            self.waiting.push_back((k, req));
            added += 1;
        }
        added
    }

    /// The next request to post, marked in flight; `None` when all slots are busy or nothing waits.
    pub(crate) fn next_ready(&mut self) -> Option<(KeyRef, JobRequest)> {
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            return None;
        }
        let (k, req) = self.waiting.pop_front()?;
        self.in_flight.push(k.clone());
        Some((k, req))
    }

    /// Records the outcome for the key with this CCKM id. Returns false if it was not in flight.
    pub(crate) fn finish(&mut self, id: &str, outcome: SubmitOutcome) -> bool {
        match self.in_flight.iter().position(|k| k.id == id) {
            Some(i) => {
                let k = self.in_flight.remove(i);
                self.outcomes.push((k, outcome));
                true
            }
            None => false,
        }
    }

    /// The manager refused the operation in `scope`: its keys still waiting are not posted.
    /// Returns them, each recorded as [`SubmitOutcome::Withheld`].
    pub(crate) fn withhold(&mut self, scope: &Scope) -> Vec<KeyRef> {
        let (out, keep): (VecDeque<_>, VecDeque<_>) = self
            .waiting
            .drain(..)
            .partition(|(k, _)| &k.scope() == scope);
        self.waiting = keep;
        let keys: Vec<KeyRef> = out.into_iter().map(|(k, _)| k).collect();
        self.outcomes
            .extend(keys.iter().map(|k| (k.clone(), SubmitOutcome::Withheld)));
        keys
    }
}

/// What the tests observe of a queue (the page only posts through it).
#[cfg(test)]
impl SubmitQueue {
    /// Outcomes in the order they arrived.
    fn outcomes(&self) -> &[(KeyRef, SubmitOutcome)] {
        &self.outcomes
    }

    fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.in_flight.is_empty()
    }

    fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// (created, refused, unknown).
    fn counts(&self) -> (usize, usize, usize) {
        self.outcomes
            .iter()
            .fold((0, 0, 0), |(c, r, u), (_, o)| match o {
                SubmitOutcome::Created(_) => (c + 1, r, u),
                SubmitOutcome::Refused(_)
                | SubmitOutcome::NotPermitted(_)
                | SubmitOutcome::Withheld => (c, r + 1, u),
                SubmitOutcome::Unknown(_) => (c, r, u + 1),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(id: &str) -> KeyRef {
        KeyRef {
            id: id.into(),
            name: format!("n-{id}"),
            group: None,
            sap_key_id: None,
        }
    }

    fn keys(n: usize) -> Vec<KeyRef> {
        (0..n).map(|i| k(&format!("key-{i}"))).collect()
    }

    fn created(id: &str) -> SubmitOutcome {
        SubmitOutcome::Created(Job {
            id: format!("job-{id}"),
            state: "PENDING".into(),
            ..Default::default()
        })
    }

    #[test]
    fn cap_of_four() {
        let mut q = SubmitQueue::default();
        assert_eq!(
            q.enqueue(keys(10), Submission::new(Operation::Delete, true)),
            10
        );
        let mut sent = Vec::new();
        while let Some((key, req)) = q.next_ready() {
            assert_eq!(req.id, key.id);
            assert_eq!(req.operation, Operation::Delete);
            assert!(req.delete_if_backup_fails);
            sent.push(key);
        }
        assert_eq!(sent.len(), 4);
        assert_eq!(q.in_flight(), 4);
        assert_eq!(q.waiting(), 6);
        assert!(q.finish(&sent[0].id, created(&sent[0].id)));
        assert!(q.next_ready().is_some());
        assert!(q.next_ready().is_none());
    }

    #[test]
    fn double_click_never_posts_twice() {
        let mut q = SubmitQueue::default();
        assert_eq!(
            q.enqueue(vec![k("a")], Submission::new(Operation::Delete, false)),
            1
        );
        assert_eq!(
            q.enqueue(vec![k("a")], Submission::new(Operation::Delete, false)),
            0,
            "queued"
        );
        let (a, _) = q.next_ready().unwrap();
        assert_eq!(
            q.enqueue(vec![k("a")], Submission::new(Operation::Restore, false)),
            0,
            "in flight"
        );
        q.finish(&a.id, created("a"));
        assert_eq!(
            q.enqueue(
                vec![k("a"), k("a"), k("b")],
                Submission::new(Operation::Delete, false)
            ),
            1,
            "submitted"
        );
        let (b, _) = q.next_ready().unwrap();
        assert_eq!(b.id, "b");
        assert!(q.next_ready().is_none());
    }

    #[test]
    fn outcomes_in_order_and_idle() {
        let mut q = SubmitQueue::default();
        assert!(q.is_idle());
        q.enqueue(keys(3), Submission::new(Operation::Restore, false));
        assert!(!q.is_idle());
        let a = q.next_ready().unwrap().0;
        let b = q.next_ready().unwrap().0;
        let c = q.next_ready().unwrap().0;
        q.finish(
            &c.id,
            SubmitOutcome::from_error(ApiError::from_response(409, "Conflict", "{}", None)),
        );
        q.finish(&a.id, created(&a.id));
        q.finish(
            &b.id,
            SubmitOutcome::from_error(ApiError::network("Failed to fetch")),
        );
        assert!(!q.finish(&b.id, created(&b.id)), "finished twice");
        assert!(!q.finish("nope", created("nope")));
        let order: Vec<_> = q.outcomes().iter().map(|(k, _)| k.id.clone()).collect();
        assert_eq!(order, [c.id, a.id, b.id]);
        assert_eq!(q.counts(), (1, 1, 1));
        assert!(q.is_idle());
        assert!(matches!(q.outcomes()[0].1, SubmitOutcome::Refused(_)));
        assert!(matches!(q.outcomes()[2].1, SubmitOutcome::Unknown(_)));
    }

    #[test]
    fn unknown_is_not_retried() {
        let mut q = SubmitQueue::default();
        q.enqueue(vec![k("a")], Submission::new(Operation::Delete, false));
        q.next_ready();
        q.finish(
            "a",
            SubmitOutcome::from_error(ApiError::from_response(503, "", "", None)),
        );
        assert!(q.next_ready().is_none());
        assert_eq!(
            q.enqueue(vec![k("a")], Submission::new(Operation::Delete, false)),
            0
        );
    }

    #[test]
    fn from_error_sorting() {
        let sort = |e: ApiError| match SubmitOutcome::from_error(e) {
            SubmitOutcome::Refused(_) => "refused",
            SubmitOutcome::NotPermitted(_) => "not permitted",
            SubmitOutcome::Unknown(_) => "unknown",
            other => panic!("{other:?}"),
        };
        let http = |s| ApiError::from_response(s, "", "", None);
        for s in [400, 401, 404, 409, 422] {
            assert_eq!(sort(http(s)), "refused", "{s}");
        }
        assert_eq!(sort(http(403)), "not permitted");
        for s in [408, 429, 500, 502, 503] {
            assert_eq!(sort(http(s)), "unknown", "{s}");
        }
        assert_eq!(sort(ApiError::timeout(1000)), "unknown");
        assert_eq!(sort(ApiError::network("Failed to fetch")), "unknown");
        let unreadable = ApiError {
            kind: ErrorKind::Decode { truncated: false },
            ..http(201)
        };
        assert_eq!(sort(unreadable), "unknown", "a job may exist");
        assert_eq!(sort(ApiError::other("not sent")), "refused");
    }

    #[test]
    fn the_flag_counts_only_for_a_delete() {
        assert!(Submission::new(Operation::Delete, true).delete_if_backup_fails);
        assert!(!Submission::new(Operation::Delete, false).delete_if_backup_fails);
        assert!(!Submission::new(Operation::Restore, true).delete_if_backup_fails);
    }

    #[test]
    fn a_refusal_withholds_the_waiting_keys_of_that_group_only() {
        let in_group = |id: &str, g: &str| KeyRef {
            group: Some(g.into()),
            ..k(id)
        };
        let mut q = SubmitQueue::default();
        let ks = vec![
            in_group("a", "hr"),
            in_group("b", "hr"),
            in_group("c", "pay"),
            in_group("d", "hr"),
            in_group("e", "hr"),
            in_group("f", "pay"),
        ];
        q.enqueue(ks, Submission::new(Operation::Delete, false));
        let first: Vec<_> = std::iter::from_fn(|| q.next_ready())
            .map(|(k, _)| k.id)
            .collect();
        assert_eq!(first, ["a", "b", "c", "d"]);
        q.finish(
            "a",
            SubmitOutcome::from_error(ApiError::from_response(403, "Forbidden", "{}", None)),
        );
        let withheld: Vec<_> = q
            .withhold(&in_group("a", "hr").scope())
            .into_iter()
            .map(|k| k.id)
            .collect();
        assert_eq!(
            withheld,
            ["e"],
            "in flight keys are not withdrawn, only waiting ones"
        );
        assert_eq!(q.next_ready().map(|(k, _)| k.id).as_deref(), Some("f"));
        assert_eq!(q.counts(), (0, 2, 0));
        assert!(q
            .outcomes()
            .iter()
            .any(|(k, o)| k.id == "e" && *o == SubmitOutcome::Withheld));
    }
}
