//! Dialects of the job answer (issue #13): each preset's state words, POST status and failure
//! field, single flags overriding a preset, `drop_inferred` key answers whose filters and sorts
//! still work, and the counters of job GETs after a job's end.

mod common;

use common::{config, start, Sim};
use serde_json::{json, Value};
use std::time::Duration;

const KEYS: &str = "/api/v1/cckm/sap/keys";
const JOBS: &str = "/api/v1/cckm/sap/keys/jobs";
const FAILURE_FIELDS: [&str; 3] = ["error_details", "message", "error"];

fn dialect(flags: cckm_sim::dialect::DialectFlags) -> cckm_sim::Config {
    cckm_sim::Config { dialect: flags.resolve(), job_ms: 450, control: true, ..config() }
}

fn preset(p: cckm_sim::dialect::Preset) -> cckm_sim::Config {
    dialect(cckm_sim::dialect::DialectFlags { dialect: p, ..Default::default() })
}

/// POST a job, expect `status`, and poll it until its word is neither PENDING nor `running`;
/// returns every distinct word seen and the last answer.
async fn run(
    sim: &Sim,
    jwt: &str,
    key: &Value,
    op: &str,
    flag: bool,
    status: u16,
    running: &str,
) -> (Vec<String>, Value) {
    let r = sim.post_job(jwt, json!({"id": key["id"], "operation": op, "delete_if_backup_fails": flag})).await;
    assert_eq!(r.status().as_u16(), status);
    let job: Value = r.json().await.unwrap();
    let mut seen = vec![job["state"].as_str().unwrap().to_string()];
    for _ in 0..200 {
        let j = sim.get_json(jwt, &format!("{JOBS}/{}", job["id"].as_str().unwrap())).await;
        let s = j["state"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s != "PENDING" && s != running {
            return (seen, j);
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("job never ended: {seen:?}");
}

/// The key named `name` (an anchor: no other name contains it), also when answers carry no names.
async fn anchor(sim: &Sim, jwt: &str, name: &str) -> Value {
    let v = sim.get_json(jwt, &format!("{KEYS}?name={name}")).await;
    assert_eq!(v["total"], 1, "{name}");
    v["resources"][0].clone()
}

/// The delete-then-restore flow and a failing delete, checked against the expected words.
async fn check(sim: &Sim, running: &str, del: &str, res: &str, fail: &str, field: &str, status: u16) {
    let jwt = sim.jwt().await;
    let pm = anchor(sim, &jwt, "payroll-master").await;
    let (seen, done) = run(sim, &jwt, &pm, "delete", false, status, running).await;
    assert_eq!(seen, ["PENDING", running, del]);
    assert!(FAILURE_FIELDS.iter().all(|f| done.get(*f).is_none()), "{done}");
    let (seen, _) = run(sim, &jwt, &pm, "restore", false, status, running).await;
    assert_eq!(seen, ["PENDING", running, res]);
    // ledger-signing's backup fails: a delete without the flag fails.
    let ls = anchor(sim, &jwt, "ledger-signing").await;
    let (seen, failed) = run(sim, &jwt, &ls, "delete", false, status, running).await;
    assert_eq!(seen.last().unwrap(), fail);
    assert!(failed[field].as_str().unwrap().contains("backup"), "{failed}");
    for other in FAILURE_FIELDS.iter().filter(|f| **f != field) {
        assert!(failed.get(*other).is_none(), "{other} in {failed}");
    }
}

#[tokio::test]
async fn each_preset_speaks_its_words() {
    use cckm_sim::dialect::Preset;
    let sim = start(preset(Preset::Classic)).await;
    check(&sim, "IN_PROGRESS", "COMPLETED", "COMPLETED", "FAILED", "error_details", 201).await;
    let sim = start(preset(Preset::Running)).await;
    check(&sim, "RUNNING", "SUCCEEDED", "SUCCEEDED", "ERROR", "error", 202).await;
    let sim = start(preset(Preset::Ended)).await;
    check(&sim, "IN_PROGRESS", "DELETED", "RESTORED", "FAILED", "message", 200).await;
    let sim = start(preset(Preset::Bare)).await;
    check(&sim, "IN_PROGRESS", "COMPLETED", "COMPLETED", "FAILED", "error_details", 201).await;
}

#[tokio::test]
async fn single_flags_override_the_preset() {
    let flags = cckm_sim::dialect::DialectFlags {
        dialect: cckm_sim::dialect::Preset::Ended,
        running_word: Some("WORKING".into()),
        success_words: Some(("GONE".into(), "BACK".into())),
        failure_word: Some("ABORTED".into()),
        post_status: Some(201),
        failure_field: Some(cckm_sim::dialect::FailureField::Error),
        drop_inferred: false,
    };
    let sim = start(dialect(flags)).await;
    check(&sim, "WORKING", "GONE", "BACK", "ABORTED", "error", 201).await;
}

#[tokio::test]
async fn drop_inferred_leaves_out_every_inferred_field_but_filters_and_sorts_on_them() {
    let bare = start(preset(cckm_sim::dialect::Preset::Bare)).await;
    let classic = start(config()).await;
    let (bj, cj) = (bare.jwt().await, classic.jwt().await);
    let q = format!("{KEYS}?limit=1000&sort=name");
    let b = bare.get_json(&bj, &q).await;
    let c = classic.get_json(&cj, &q).await;
    let ids = |v: &Value| v["resources"].as_array().unwrap().iter().map(|k| k["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&b), ids(&c), "sorted by name server-side all the same");
    for k in b["resources"].as_array().unwrap() {
        for f in ["name", "gone", "sap_group_name"] {
            assert!(k.get(f).is_none(), "{f} in {k}");
        }
        assert!(k["sap_param"].get("type").is_none() && k["sap_param"].get("size").is_none(), "{k}");
        assert!(k["sap_param"]["meta"].get("totalVersions").is_none(), "{k}");
        for f in ["id", "uri", "account", "createdAt", "updatedAt", "cloud_name", "tenant"] {
            assert!(k.get(f).is_some(), "{f} missing");
        }
        for f in ["description", "enabled", "exportable", "groupId", "sap_key_id", "keystoreContext"] {
            assert!(k["sap_param"].get(f).is_some(), "sap_param.{f} missing");
        }
    }
    for filter in [
        "gone=true",
        "name=payroll",
        "sap_group_name=payroll",
        "type=RSA&size=2048",
        "totalVersions=1",
        "sort=-size,name",
        "sort=sap_group_name,gone",
    ] {
        let q = format!("{KEYS}?limit=1000&{filter}");
        let (b, c) = (bare.get_json(&bj, &q).await, classic.get_json(&cj, &q).await);
        assert_eq!(b["total"], c["total"], "{filter}");
        assert_eq!(ids(&b), ids(&c), "{filter}");
    }
    let pm = classic.key_by_name(&cj, "payroll-master").await;
    let one = bare.key(&bj, pm["id"].as_str().unwrap()).await;
    assert!(one.get("name").is_none() && one.get("gone").is_none(), "{one}");
}

#[tokio::test]
async fn job_gets_after_the_end_are_counted() {
    let sim = start(preset(cckm_sim::dialect::Preset::Ended)).await;
    let jwt = sim.jwt().await;
    let pm = sim.key_by_name(&jwt, "payroll-master").await;
    let (_, done) = run(&sim, &jwt, &pm, "delete", false, 200, "IN_PROGRESS").await;
    let s = sim.stats().await;
    assert_eq!((s["job_gets_after_end"].clone(), s["job_gets_after_end_seen"].clone()), (json!(1), json!(0)));
    for _ in 0..2 {
        sim.get_json(&jwt, &format!("{JOBS}/{}", done["id"].as_str().unwrap())).await;
    }
    let s = sim.stats().await;
    assert_eq!((s["job_gets_after_end"].clone(), s["job_gets_after_end_seen"].clone()), (json!(3), json!(2)));
    assert_eq!(s["jobs_created"], json!({"total": 1, "delete": 1, "restore": 0}));
    let r: Value = sim.http.post(sim.url("/sim/stats/reset")).send().await.unwrap().json().await.unwrap();
    assert_eq!((r["job_gets_after_end"].clone(), r["jobs_created"]["total"].clone()), (json!(0), json!(0)));
    sim.get_json(&jwt, &format!("{JOBS}/{}", done["id"].as_str().unwrap())).await;
    assert_eq!(sim.stats().await["job_gets_after_end_seen"], 1);
}
