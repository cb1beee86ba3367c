//! The confirmation dialog's state: what is about to be posted, then what happened to each key.
use std::rc::Rc;

use crate::api::error::ApiError;
use crate::domain::batch::Followup;
use crate::domain::key_ref::KeyRef;
use crate::domain::ledger::{BatchLink, LinkKind};
use crate::domain::manager_error::ManagerError;
use crate::domain::plan::{Plan, SkipReason};
use crate::domain::submit::{Submission, SubmitOutcome};

/// One key's result, as the dialog shows it.
#[derive(Clone, PartialEq, Debug)]
pub enum KeyOutcome {
    Waiting,
    Posting,
    Created {
        state: String,
    },
    Refused(ManagerError),
    /// The manager refused this operation in the key's group (403): said plainly, not as a failure.
    NotPermitted(String, Option<ApiError>),
    /// The request failed in a way that leaves it unknown whether the job exists.
    Unknown(ManagerError),
}

impl KeyOutcome {
    /// Still waiting for its post or its answer.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self, KeyOutcome::Waiting | KeyOutcome::Posting)
    }

    /// What the dialog says about a post as soon as it is answered. An unknown outcome says the
    /// key is being re-read; [`KeyOutcome::unknown_after_reread`] then completes the sentence.
    pub(crate) fn answered(
        outcome: &SubmitOutcome,
        submission: Submission,
        key: &KeyRef,
    ) -> KeyOutcome {
        match outcome {
            SubmitOutcome::Created(job) => KeyOutcome::Created {
                state: job.state.clone(),
            },
            SubmitOutcome::Refused(e) => KeyOutcome::Refused(ManagerError::from(e)),
            SubmitOutcome::NotPermitted(e) => KeyOutcome::NotPermitted(
                SkipReason::NotPermitted.describe(submission.operation, key),
                Some(e.clone()),
            ),
            SubmitOutcome::Unknown(e) => {
                KeyOutcome::Unknown(ManagerError::from(e).with_message(format!(
                    "Outcome unknown: {} The request was not repeated; re-reading the key…",
                    e.user_message()
                )))
            }
            SubmitOutcome::Withheld => KeyOutcome::withheld(submission, key),
        }
    }

    /// A key of a group the manager just refused, not posted.
    pub(crate) fn withheld(submission: Submission, key: &KeyRef) -> KeyOutcome {
        let sentence = format!(
            "{} — not posted",
            SkipReason::NotPermitted.describe(submission.operation, key)
        );
        KeyOutcome::NotPermitted(sentence, None)
    }

    /// An unknown outcome once the key was re-read: `key_state` is the key's state label, or why
    /// it could not be read.
    pub(crate) fn unknown_after_reread(e: &ApiError, key_state: Result<&str, &ApiError>) -> Self {
        let now = match key_state {
            Ok(label) => format!("the key is now {}", label.to_ascii_lowercase()),
            Err(e2) => format!(
                "the key could not be re-read either ({})",
                e2.user_message()
            ),
        };
        KeyOutcome::Unknown(ManagerError::from(e).with_message(format!(
            "Outcome unknown: {} The request was not repeated; {now}. Check the job list and the manager before trying again.",
            e.user_message()
        )))
    }
}

/// Keys about to be posted with one submission; `outcomes` once confirmed.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Review {
    pub submission: Submission,
    pub keys: Vec<KeyRef>,
    pub skipped: Vec<(KeyRef, SkipReason)>,
    /// `None` until confirmed; then one outcome per key, in order.
    pub outcomes: Option<Vec<KeyOutcome>>,
    /// For a retry or an undo: the batch it follows up.
    pub link: Option<BatchLink>,
    /// What the dialog calls a retry or an undo ("Retry 2 failed deletes of batch …").
    pub title: Option<String>,
}

impl Review {
    /// The review of a retry or an undo once its keys were re-read: opened even when every key
    /// was skipped, so that the user reads why.
    pub(crate) fn followup(f: &Followup, plan: Plan) -> Review {
        Review {
            submission: Submission::new(f.operation, f.delete_if_backup_fails),
            title: Some(f.title(plan.eligible.len())),
            keys: plan.eligible,
            skipped: plan.skipped,
            outcomes: None,
            link: Some(f.link.clone()),
        }
    }

    /// An undo: typed confirmation whatever its operation, as a delete always needs.
    pub(crate) fn always_typed(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.kind == LinkKind::Undo)
    }

    /// What the user must type (the dialog works it out the same way from `always_typed`).
    #[cfg(test)]
    pub(crate) fn confirmation(&self) -> crate::domain::confirm::Confirmation {
        use crate::domain::confirm::{required_always_typed, required_for};
        if self.always_typed() {
            required_always_typed(self.submission.operation, &self.keys)
        } else {
            required_for(self.submission.operation, &self.keys)
        }
    }

    /// The review of a plan; `None` when no key is eligible (nothing to confirm).
    pub(crate) fn of(submission: Submission, plan: Plan) -> Option<Review> {
        if plan.eligible.is_empty() {
            return None;
        }
        Some(Review {
            submission,
            keys: plan.eligible,
            skipped: plan.skipped,
            outcomes: None,
            link: None,
            title: None,
        })
    }

    pub(crate) fn is_confirmed(&self) -> bool {
        self.outcomes.is_some()
    }
}

/// The dialog: closed, or showing a review.
#[derive(Clone, PartialEq, Debug, Default)]
pub(crate) struct ReviewDialog {
    pub open: Option<Review>,
}

pub(crate) enum ReviewAction {
    Open(Review),
    Close,
    /// Every key now waits for its post; a second confirmation changes nothing.
    Confirmed,
    /// The outcome of the key with this CCKM id.
    Outcome(String, KeyOutcome),
}

impl yew::Reducible for ReviewDialog {
    type Action = ReviewAction;

    fn reduce(self: Rc<Self>, action: ReviewAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ReviewAction::Open(review) => next.open = Some(review),
            ReviewAction::Close => next.open = None,
            ReviewAction::Confirmed => match next.open.as_mut() {
                Some(r) if r.outcomes.is_none() && !r.keys.is_empty() => {
                    r.outcomes = Some(vec![KeyOutcome::Waiting; r.keys.len()]);
                }
                _ => return self,
            },
            ReviewAction::Outcome(id, outcome) => {
                let slot = next.open.as_mut().and_then(|r| {
                    let i = r.keys.iter().position(|k| k.id == id)?;
                    r.outcomes.as_mut()?.get_mut(i)
                });
                match slot {
                    Some(slot) => *slot = outcome,
                    None => return self,
                }
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::{Job, Operation};
    use crate::domain::confirm::Confirmation;
    use yew::Reducible;

    fn key(id: &str, group: Option<&str>) -> KeyRef {
        KeyRef {
            id: id.into(),
            name: format!("n-{id}"),
            group: group.map(str::to_string),
            sap_key_id: None,
        }
    }

    fn delete() -> Submission {
        Submission::new(Operation::Delete, false)
    }

    fn opened(ids: &[&str]) -> Rc<ReviewDialog> {
        let plan = Plan {
            eligible: ids.iter().map(|id| key(id, None)).collect(),
            skipped: vec![(key("s", None), SkipReason::AlreadyGone)],
        };
        let review = Review::of(delete(), plan).expect("eligible keys");
        Rc::new(ReviewDialog::default()).reduce(ReviewAction::Open(review))
    }

    #[test]
    fn nothing_eligible_opens_nothing() {
        let plan = Plan {
            eligible: vec![],
            skipped: vec![(key("s", None), SkipReason::AlreadyGone)],
        };
        assert_eq!(Review::of(delete(), plan), None);
    }

    #[test]
    fn confirm_then_outcomes_in_key_order() {
        let d = opened(&["a", "b"]);
        let r = d.open.as_ref().unwrap();
        assert!(!r.is_confirmed());
        assert_eq!(r.skipped.len(), 1);
        let d = d.reduce(ReviewAction::Outcome("a".into(), KeyOutcome::Posting));
        assert_eq!(
            d.open.as_ref().unwrap().outcomes,
            None,
            "no outcome before the confirmation"
        );
        let d = d.reduce(ReviewAction::Confirmed);
        assert_eq!(
            d.open.as_ref().unwrap().outcomes,
            Some(vec![KeyOutcome::Waiting, KeyOutcome::Waiting])
        );
        let d = d.reduce(ReviewAction::Outcome("b".into(), KeyOutcome::Posting));
        let again = d.clone().reduce(ReviewAction::Confirmed);
        assert!(
            Rc::ptr_eq(&d, &again),
            "a second confirmation resets nothing"
        );
        let same = d
            .clone()
            .reduce(ReviewAction::Outcome("zzz".into(), KeyOutcome::Posting));
        assert!(Rc::ptr_eq(&d, &same), "an unknown key changes nothing");
        let outs = d.open.as_ref().unwrap().outcomes.clone().unwrap();
        assert_eq!(outs, vec![KeyOutcome::Waiting, KeyOutcome::Posting]);
        assert!(outs.iter().all(KeyOutcome::is_pending));
        let closed = d.reduce(ReviewAction::Close);
        assert_eq!(closed.open, None);
    }

    #[test]
    fn answers_in_words() {
        let k = key("a", Some("payroll"));
        let created = Job {
            id: "j".into(),
            state: "PENDING".into(),
            ..Default::default()
        };
        assert_eq!(
            KeyOutcome::answered(&SubmitOutcome::Created(created), delete(), &k),
            KeyOutcome::Created {
                state: "PENDING".into()
            }
        );
        let forbidden = ApiError::from_response(403, "Forbidden", "{}", None);
        match KeyOutcome::answered(&SubmitOutcome::from_error(forbidden), delete(), &k) {
            KeyOutcome::NotPermitted(s, Some(_)) => assert_eq!(
                s,
                "not permitted: you may not delete keys of group payroll (the manager refused)"
            ),
            other => panic!("{other:?}"),
        }
        match KeyOutcome::withheld(delete(), &k) {
            KeyOutcome::NotPermitted(s, None) => assert!(s.ends_with(" — not posted"), "{s}"),
            other => panic!("{other:?}"),
        }
        let lost = ApiError::timeout(30_000);
        let first = KeyOutcome::answered(&SubmitOutcome::from_error(lost.clone()), delete(), &k);
        let KeyOutcome::Unknown(m) = first else {
            panic!("{first:?}")
        };
        assert!(m.message.starts_with("Outcome unknown: "), "{}", m.message);
        assert!(m.message.ends_with("re-reading the key…"), "{}", m.message);
        let KeyOutcome::Unknown(m) =
            KeyOutcome::unknown_after_reread(&lost, Ok("Deleted from SAP"))
        else {
            panic!()
        };
        assert!(
            m.message
                .contains("; the key is now deleted from sap. Check"),
            "{}",
            m.message
        );
        let KeyOutcome::Unknown(m) =
            KeyOutcome::unknown_after_reread(&lost, Err(&ApiError::network("Failed to fetch")))
        else {
            panic!()
        };
        assert!(
            m.message.contains("the key could not be re-read either ("),
            "{}",
            m.message
        );
    }

    #[test]
    fn a_followup_opens_even_when_every_key_was_skipped_and_an_undo_always_types() {
        let undo = Followup {
            link: BatchLink {
                kind: LinkKind::Undo,
                of: "1a2b3c4d-e".into(),
            },
            operation: Operation::Restore,
            delete_if_backup_fails: false,
            keys: vec![key("a", None), key("b", None)],
        };
        let plan = Plan {
            eligible: vec![key("a", None), key("b", None)],
            skipped: vec![],
        };
        let r = Review::followup(&undo, plan);
        assert_eq!(
            r.title.as_deref(),
            Some("Undo: restore 2 keys of batch 1a2b3c4d")
        );
        assert_eq!(
            r.confirmation(),
            Confirmation::TypeToConfirm("RESTORE 2 KEYS".into())
        );
        let plain = Review::of(Submission::new(Operation::Restore, false), r_plan()).unwrap();
        assert_eq!(plain.confirmation(), Confirmation::PlainConfirm);
        let retry = Followup {
            link: BatchLink {
                kind: LinkKind::Retry,
                of: "b".into(),
            },
            ..undo
        };
        let none = Review::followup(
            &retry,
            Plan {
                eligible: vec![],
                skipped: vec![(key("a", None), SkipReason::NotGone)],
            },
        );
        assert!(none.keys.is_empty() && none.skipped.len() == 1);
        assert_eq!(
            none.title.as_deref(),
            Some("Retry of batch b: nothing to post")
        );
        let d = Rc::new(ReviewDialog::default()).reduce(ReviewAction::Open(none));
        let after = d.clone().reduce(ReviewAction::Confirmed);
        assert!(Rc::ptr_eq(&d, &after), "nothing to confirm");
    }

    fn r_plan() -> Plan {
        Plan {
            eligible: vec![key("a", None)],
            skipped: vec![],
        }
    }
}
