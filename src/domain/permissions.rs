//! What the manager refused this session, learned from its 403 answers. Permissions are kept per
//! group, so one refused delete in a group means every key of that group is refused a delete.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::api::jobs::Operation;

/// One refusal: an operation in a group (or, for a key without a group, on that key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub scope: Scope,
    pub operation: Operation,
    /// The manager's own words, when it gave some.
    pub manager_message: Option<String>,
}

/// What a refusal covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Group(String),
    Key(String),
}

impl Scope {
    /// The scope of the key with this CCKM id and group label.
    pub(crate) fn of(id: &str, group: Option<&str>) -> Scope {
        match group.map(str::trim) {
            Some(g) if !g.is_empty() => Scope::Group(g.to_string()),
            _ => Scope::Key(id.to_string()),
        }
    }
}

/// Every refusal learned this session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    learned: BTreeMap<(Scope, Operation), Refusal>,
}

impl Refusals {
    /// Records that the manager refused `op` on `key`. Returns false if it was known already.
    pub fn learn(&mut self, scope: Scope, op: Operation, manager_message: Option<&str>) -> bool {
        use std::collections::btree_map::Entry;
        match self.learned.entry((scope.clone(), op)) {
            Entry::Occupied(_) => false,
            Entry::Vacant(v) => {
                let message = manager_message
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_string);
                v.insert(Refusal {
                    scope,
                    operation: op,
                    manager_message: message,
                });
                true
            }
        }
    }

    pub(crate) fn refused(&self, scope: &Scope, op: Operation) -> Option<&Refusal> {
        self.learned.get(&(scope.clone(), op))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.learned.is_empty()
    }

    /// The groups (and single keys) refused each operation, for a plain summary.
    pub(crate) fn by_operation(&self, op: Operation) -> Vec<&Scope> {
        self.learned
            .values()
            .filter(|r| r.operation == op)
            .map(|r| &r.scope)
            .collect()
    }
}

/// A refusal the page just met: where, which operation, and the manager's words.
pub struct Learned(pub Scope, pub Operation, pub Option<String>);

impl yew::Reducible for Refusals {
    type Action = Learned;
    fn reduce(self: Rc<Self>, Learned(scope, op, message): Learned) -> Rc<Self> {
        if self.refused(&scope, op).is_some() {
            return self;
        }
        let mut next = (*self).clone();
        next.learn(scope, op, message.as_deref());
        Rc::new(next)
    }
}

/// "not permitted: you may not delete keys of group payroll (the manager refused)".
pub(crate) fn refusal_sentence(op: Operation, scope: &Scope) -> String {
    let verb = op.as_str();
    match scope {
        Scope::Group(g) => {
            format!("not permitted: you may not {verb} keys of group {g} (the manager refused)")
        }
        Scope::Key(_) => {
            format!("not permitted: you may not {verb} this key (the manager refused)")
        }
    }
}

/// "delete in groups hr, payroll; restore in group payroll".
pub(crate) fn summary(refusals: &Refusals) -> String {
    let mut parts = Vec::new();
    for op in [Operation::Delete, Operation::Restore] {
        let scopes = refusals.by_operation(op);
        if scopes.is_empty() {
            continue;
        }
        let groups: Vec<&str> = scopes
            .iter()
            .filter_map(|s| match s {
                Scope::Group(g) => Some(g.as_str()),
                Scope::Key(_) => None,
            })
            .collect();
        let keys = scopes.len() - groups.len();
        let mut what = Vec::new();
        match groups.len() {
            0 => {}
            1 => what.push(format!("group {}", groups[0])),
            _ => what.push(format!("groups {}", groups.join(", "))),
        }
        match keys {
            0 => {}
            1 => what.push("1 key without a group".to_string()),
            n => what.push(format!("{n} keys without a group")),
        }
        parts.push(format!("{} in {}", op.as_str(), what.join(" and ")));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, group: Option<&str>) -> Scope {
        Scope::of(id, group)
    }

    #[test]
    fn a_refusal_covers_the_whole_group_for_that_operation_only() {
        let mut r = Refusals::default();
        assert!(r.learn(
            key("1", Some("payroll")),
            Operation::Delete,
            Some("user may not keydelete")
        ));
        assert!(!r.learn(key("2", Some("payroll")), Operation::Delete, None));
        assert!(r
            .refused(&key("3", Some("payroll")), Operation::Delete)
            .is_some());
        assert!(r
            .refused(&key("3", Some("payroll")), Operation::Restore)
            .is_none());
        assert!(r
            .refused(&key("4", Some("hr")), Operation::Delete)
            .is_none());
        assert_eq!(
            r.refused(&key("3", Some("payroll")), Operation::Delete)
                .and_then(|x| x.manager_message.as_deref()),
            Some("user may not keydelete")
        );
    }

    #[test]
    fn a_key_without_a_group_is_refused_alone() {
        let mut r = Refusals::default();
        r.learn(key("1", None), Operation::Restore, None);
        assert!(r
            .refused(&key("1", Some(" ")), Operation::Restore)
            .is_some());
        assert!(r.refused(&key("2", None), Operation::Restore).is_none());
        assert_eq!(
            refusal_sentence(Operation::Restore, &key("1", None)),
            "not permitted: you may not restore this key (the manager refused)"
        );
    }

    #[test]
    fn the_reducer_learns_once() {
        use yew::Reducible;
        let r = Rc::new(Refusals::default());
        let r = r.reduce(Learned(key("1", Some("hr")), Operation::Delete, None));
        assert!(r
            .refused(&key("9", Some("hr")), Operation::Delete)
            .is_some());
        let same = r.clone().reduce(Learned(
            key("2", Some("hr")),
            Operation::Delete,
            Some("again".into()),
        ));
        assert!(Rc::ptr_eq(&r, &same), "a known refusal changes nothing");
    }

    #[test]
    fn sentences_and_summary() {
        let mut r = Refusals::default();
        assert_eq!(summary(&r), "");
        r.learn(key("1", Some("payroll")), Operation::Delete, None);
        r.learn(key("2", Some("hr")), Operation::Delete, None);
        r.learn(key("3", None), Operation::Delete, None);
        r.learn(key("4", Some("hr")), Operation::Restore, None);
        assert_eq!(
            refusal_sentence(Operation::Delete, &key("1", Some("payroll"))),
            "not permitted: you may not delete keys of group payroll (the manager refused)"
        );
        assert_eq!(
            summary(&r),
            "delete in groups hr, payroll and 1 key without a group; restore in group hr"
        );
    }
}
