use serde_json::json;

use super::*;
use crate::api::jobs::Job;
use crate::api::keys::{parse_key, SapParam};
use crate::domain::key_ref::KeyRef;
use crate::domain::permissions::Scope;

const K1: &str = "d109deae-5ca7-421d-bf49-637e65c3bbcb";
const K2: &str = "b707ea86-37bb-4212-ad09-2635698dbe4a";

fn job(id: &str, state: &str) -> Job {
    Job {
        id: id.into(),
        state: state.into(),
        ..Job::default()
    }
}

fn key(id: &str, gone: Option<bool>) -> SapKey {
    SapKey {
        id: id.into(),
        name: Some("payroll-master".into()),
        gone,
        sap_group_name: Some("payroll".into()),
        sap_param: Some(SapParam {
            enabled: Some(true),
            ..SapParam::default()
        }),
        ..SapKey::default()
    }
}

fn start(l: &mut Ledger, job_id: &str, key_id: &str, op: Operation, user: &str, at: f64) {
    let k = KeyRef::from(&key(key_id, None));
    l.add(LedgerEntry::started(
        &job(job_id, "PENDING"),
        &k,
        op,
        false,
        user,
        "https://cm.example",
        at,
    ));
}

/// Delete, restore, delete on K1 (by two users), one job on K2 in between.
fn three_jobs() -> Ledger {
    let mut l = Ledger::new();
    start(&mut l, "j-1", K1, Operation::Delete, "alice", 1000.0);
    l.record_job(&job("j-1", "IN_PROGRESS"), 1500.0);
    l.record_job(&job("j-1", "COMPLETED"), 2000.0);
    l.set_verification_at("j-1", Verification::Confirmed, 2100.0);
    start(&mut l, "j-x", K2, Operation::Delete, "alice", 2500.0);
    start(&mut l, "j-2", K1, Operation::Restore, "bob", 3000.0);
    l.record_job(&job("j-2", "FAILED"), 4000.0);
    l.set_verification_at(
        "j-2",
        Verification::Drift {
            expected_gone: true,
            actual_gone: Some(false),
        },
        4100.0,
    );
    start(&mut l, "j-3", K1, Operation::Delete, "alice", 5000.0);
    l
}

#[test]
fn the_history_lists_only_this_keys_jobs_oldest_first() {
    let l = three_jobs();
    let h = key_history(&l, K1);
    let ids: Vec<_> = h.iter().map(|r| r.job_id.as_str()).collect();
    assert_eq!(
        ids,
        ["j-1", "j-2", "j-3"],
        "the ledger itself is newest first"
    );
    let ops: Vec<_> = h.iter().map(|r| r.operation).collect();
    assert_eq!(
        ops,
        [Operation::Delete, Operation::Restore, Operation::Delete]
    );
    let users: Vec<_> = h.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, ["alice", "bob", "alice"]);
    let states: Vec<Vec<(&str, f64)>> = h
        .iter()
        .map(|r| {
            r.states
                .iter()
                .map(|s| (s.state.as_str(), s.at_ms))
                .collect()
        })
        .collect();
    assert_eq!(
        states,
        [
            vec![
                ("PENDING", 1000.0),
                ("IN_PROGRESS", 1500.0),
                ("COMPLETED", 2000.0)
            ],
            vec![("PENDING", 3000.0), ("FAILED", 4000.0)],
            vec![("PENDING", 5000.0)],
        ]
    );
    assert_eq!(h[0].outcome, "succeeded");
    assert_eq!(h[1].phase, JobPhase::Failed);
    assert!(h[1].outcome.starts_with("failed"), "{}", h[1].outcome);
    assert_eq!(h[2].outcome, "running (PENDING)");
    assert_eq!(h[0].started_ms, 1000.0);
    assert_eq!(key_history(&l, K2).len(), 1);
    assert!(key_history(&l, "00000000-0000-4000-8000-000000000000").is_empty());
}

#[test]
fn ids_match_without_case_and_ties_in_time_keep_one_order() {
    let mut l = Ledger::new();
    start(&mut l, "j-b", K1, Operation::Delete, "u", 1000.0);
    start(
        &mut l,
        "j-a",
        &K1.to_uppercase(),
        Operation::Restore,
        "u",
        1000.0,
    );
    let ids: Vec<_> = key_history(&l, K1).into_iter().map(|r| r.job_id).collect();
    assert_eq!(ids, ["j-a", "j-b"]);
    assert_eq!(key_history(&l, &K1.to_uppercase()).len(), 2);
}

#[test]
fn the_verification_in_words() {
    let h = key_history(&three_jobs(), K1);
    assert_eq!(
        h[0].verification.as_deref(),
        Some("Key re-read: deleted from SAP.")
    );
    assert_eq!(
        h[1].verification.as_deref(),
        Some("Key re-read: it should be deleted from SAP, yet the manager reports it present in SAP.")
    );
    assert_eq!(h[2].verification, None, "a running job is not verified yet");
    let mut l = three_jobs();
    l.record_job(&job("j-3", "COMPLETED"), 6000.0);
    let h = key_history(&l, K1);
    assert_eq!(
        h[2].verification.as_deref(),
        Some("The key has not been re-read since the job ended.")
    );
    l.set_verification_at("j-3", Verification::Unavailable("HTTP 500".into()), 6100.0);
    assert_eq!(
        key_history(&l, K1)[2].verification.as_deref(),
        Some("The key could not be re-read after the job: HTTP 500")
    );
}

#[test]
fn ended_jobs_are_counted_so_the_key_is_read_again_when_one_ends() {
    let mut l = three_jobs();
    assert_eq!(ended_count(&l, K1), 2);
    l.record_job(&job("j-3", "COMPLETED"), 6000.0);
    assert_eq!(ended_count(&l, K1), 3);
    assert_eq!(ended_count(&l, K2), 0);
}

#[test]
fn every_field_of_the_contracts_key_known_ones_labelled_first() {
    let k = parse_key(crate::api::keys::tests::KEY).unwrap();
    let fields = key_fields(k.raw.as_ref().unwrap());
    let paths: Vec<_> = fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "name",
            "id",
            "sap_param.sap_key_id",
            "gone",
            "sap_param.enabled",
            "sap_group_name",
            "sap_param.groupId",
            "sap_param.type",
            "sap_param.size",
            "sap_param.description",
            "sap_param.exportable",
            "sap_param.keystoreContext.customerHeld",
            "sap_param.meta.created",
            "sap_param.meta.creatorName",
            "sap_param.meta.totalVersions",
            "createdAt",
            "updatedAt",
            "tenant",
            "cloud_name",
            "uri",
            "account",
            "some_future_field",
        ]
    );
    let by = |p: &str| fields.iter().find(|f| f.path == p).unwrap().clone();
    assert_eq!(by("id").label, Some("CCKM key id"));
    assert!(by("id").copy && by("sap_param.sap_key_id").copy && by("uri").copy);
    assert!(
        !by("name").copy && !by("sap_param.description").copy,
        "an empty id has nothing to copy"
    );
    assert_eq!(by("gone").value, FieldValue::Flag(false));
    assert_eq!(by("sap_param.size").value, FieldValue::Number("256".into()));
    assert_eq!(
        by("updatedAt").value,
        FieldValue::Time("2021-10-18T05:48:26.754073Z".into())
    );
    let future = by("some_future_field");
    assert_eq!(future.label, None, "an unknown field is shown by its path");
    assert_eq!(future.value, FieldValue::Json(r#"{"x":[1,2]}"#.into()));
    assert_eq!(by("account").label, None);
}

#[test]
fn odd_shapes_are_listed_not_lost() {
    let raw = json!({
        "id": "x",
        "sap_param": {"meta": "oops", "keystoreContext": [1], "new_flag": null, "enabled": "FALSE"},
        "nested": {"a": {"b": 1}}
    });
    let fields = key_fields(&raw);
    let got: Vec<_> = fields
        .iter()
        .map(|f| (f.path.as_str(), f.value.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("id", FieldValue::Text("x".into())),
            ("sap_param.enabled", FieldValue::Text("FALSE".into())),
            ("nested", FieldValue::Json(r#"{"a":{"b":1}}"#.into())),
            ("sap_param.keystoreContext", FieldValue::Json("[1]".into())),
            ("sap_param.meta", FieldValue::Text("oops".into())),
            ("sap_param.new_flag", FieldValue::Null),
        ]
    );
    assert_eq!(
        key_fields(&json!([1, 2])),
        [KeyField {
            path: String::new(),
            label: None,
            value: FieldValue::Json("[1,2]".into()),
            copy: false
        }]
    );
}

#[test]
fn reading_the_key_now() {
    assert_eq!(
        KeyNow::answered(Ok(key(K1, Some(false)))),
        KeyNow::Loaded(Rc::new(key(K1, Some(false))))
    );
    let missing = ApiError::from_response(404, "Not Found", "", None);
    assert!(matches!(KeyNow::answered(Err(missing)), KeyNow::Missing(_)));
    let down = ApiError::from_response(503, "Service Unavailable", "", None);
    let failed = KeyNow::answered(Err(down));
    assert!(matches!(failed, KeyNow::Failed(_)));
    assert_eq!(
        failed.rereading(K1),
        KeyNow::Loading,
        "a retry shows as loading"
    );
    let loaded = KeyNow::answered(Ok(key(K1, None)));
    assert_eq!(
        loaded.rereading(K1),
        loaded,
        "a key on screen stays while it is re-read"
    );
    assert_eq!(
        loaded.rereading(K2),
        KeyNow::Loading,
        "another key is not shown as this one"
    );
    assert_eq!(KeyNow::Loading.rereading(K1), KeyNow::Loading);
}

#[test]
fn the_panel_offers_what_the_key_allows() {
    let none = Refusals::default();
    let empty = Ledger::new();
    let offered = |k: &SapKey, l: &Ledger, r: &Refusals| key_actions(k, l, r).offered;
    assert_eq!(
        offered(&key(K1, Some(false)), &empty, &none),
        [Operation::Delete]
    );
    assert_eq!(
        offered(&key(K1, Some(true)), &empty, &none),
        [Operation::Restore]
    );
    assert_eq!(
        offered(&key(K1, None), &empty, &none),
        [Operation::Delete, Operation::Restore],
        "a key that does not say: both, and the manager decides"
    );
    let a = key_actions(&key(K1, Some(false)), &empty, &none);
    assert!(a.blocked.is_empty(), "{:?}", a.blocked);

    // A job running on it: nothing offered, said once.
    let running = three_jobs();
    let a = key_actions(&key(K1, Some(false)), &running, &none);
    assert!(a.offered.is_empty());
    assert_eq!(a.blocked, ["a job is already running for this key"]);

    // Refused in its group: said with the group's name.
    let mut r = Refusals::default();
    r.learn(Scope::Group("payroll".into()), Operation::Delete, None);
    let a = key_actions(&key(K1, Some(false)), &empty, &r);
    assert!(a.offered.is_empty());
    assert_eq!(a.blocked.len(), 1);
    assert!(a.blocked[0].contains("payroll"), "{:?}", a.blocked);

    let a = key_actions(&key("not-a-uuid", Some(true)), &empty, &none);
    assert!(a.offered.is_empty());
    assert_eq!(a.blocked, ["its id is not a valid UUID"]);
}
