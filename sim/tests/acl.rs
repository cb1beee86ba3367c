//! Permissions per SAP group (issue #13): the demo ACLs, their enforcement on job POSTs, lists
//! and reads, `update-acls` (validation and effect), and their persistence in the state file.

mod common;

use common::{assert_error, claims, config, start, Sim};
use serde_json::{json, Value};
use std::collections::HashSet;

const KEYS: &str = "/api/v1/cckm/sap/keys";
const GROUPS: &str = "/api/v1/cckm/sap/groups";
/// The demo groups where `custodian` may delete and restore (the first half by name of the 8).
const CUSTODIAN_GROUPS: [&str; 4] = ["analytics", "crm", "finance", "hana-prod"];
const VIEW_ONLY_GROUPS: [&str; 4] = ["hr", "logistics", "payroll", "sales"];

fn control() -> cckm_sim::Config {
    cckm_sim::Config { control: true, ..config() }
}

async fn group(sim: &Sim, jwt: &str, name: &str) -> Value {
    let v = sim.get_json(jwt, &format!("{GROUPS}?limit=100&name={name}")).await;
    v["resources"].as_array().unwrap().iter().find(|g| g["name"] == name).cloned().unwrap()
}

async fn update_acls(sim: &Sim, jwt: &str, group_id: &str, body: Value) -> reqwest::Response {
    let url = sim.url(&format!("{GROUPS}/{group_id}/update-acls"));
    sim.http.post(url).bearer_auth(jwt).json(&body).send().await.unwrap()
}

async fn names(sim: &Sim, jwt: &str, path: &str) -> (HashSet<String>, u64) {
    let v = sim.get_json(jwt, path).await;
    let res = v["resources"].as_array().unwrap();
    (res.iter().map(|r| r["name"].as_str().unwrap().to_string()).collect(), v["total"].as_u64().unwrap())
}

#[tokio::test]
async fn custodian_may_delete_and_restore_only_in_its_groups() {
    let sim = start(control()).await;
    let admin = sim.jwt().await;
    let jwt = sim.jwt_as("custodian", json!({})).await;
    assert_eq!(cckm_sim::acl::custodian_groups(&sim.server.app().read_store().groups), CUSTODIAN_GROUPS);
    // It sees every group and key.
    assert_eq!(names(&sim, &jwt, &format!("{GROUPS}?limit=100")).await.1, 8);
    assert_eq!(names(&sim, &jwt, &format!("{KEYS}?limit=1000")).await.1, 240);
    // payroll: view only.
    let pm = sim.key_by_name(&jwt, "payroll-master").await;
    let v =
        assert_error(sim.post_job(&jwt, json!({"id": pm["id"], "operation": "delete"})).await, 403, "NCERRForbidden")
            .await;
    assert_eq!(v["code"], 6);
    assert_eq!(v["message"], "user 'custodian' may not keydelete keys of group 'payroll'");
    // hr: view only, a restore is refused with its own action named.
    let hr = sim.key_by_name(&jwt, "hr-archive-2019").await;
    let v =
        assert_error(sim.post_job(&jwt, json!({"id": hr["id"], "operation": "restore"})).await, 403, "NCERRForbidden")
            .await;
    assert_eq!(v["message"], "user 'custodian' may not keyrestore keys of group 'hr'");
    // crm and finance: allowed (the 409 checks come after the permission).
    let crm = sim.key_by_name(&jwt, "crm-disabled-01").await;
    let done = sim.run_job(&jwt, crm["id"].as_str().unwrap(), "delete", json!(false)).await;
    assert_eq!(done["state"], "COMPLETED");
    assert_eq!(done["creator_name"], "custodian");
    assert_eq!(sim.run_job(&jwt, crm["id"].as_str().unwrap(), "restore", json!(false)).await["state"], "COMPLETED");
    let ls = sim.key_by_name(&jwt, "ledger-signing").await;
    assert_eq!(sim.post_job(&jwt, json!({"id": ls["id"], "operation": "restore"})).await.status(), 409);
    // Its GETs of keys and jobs of view-only groups work.
    sim.key(&jwt, pm["id"].as_str().unwrap()).await;
    let admin_job = sim.create_job(&admin, json!({"id": pm["id"], "operation": "delete"})).await;
    sim.get_json(&jwt, &format!("{KEYS}/jobs/{}", admin_job["id"].as_str().unwrap())).await;
    let s = sim.stats().await;
    assert_eq!(s["jobs_created"], json!({"total": 3, "delete": 2, "restore": 1}));
    assert_eq!(s["job_posts_refused"], 2);
    // Every view-only group refuses both operations; every custodian group allows them.
    let all = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&gone=false")).await;
    for k in all["resources"].as_array().unwrap() {
        let g = k["sap_group_name"].as_str().unwrap();
        if VIEW_ONLY_GROUPS.contains(&g) {
            assert_eq!(sim.post_job(&jwt, json!({"id": k["id"], "operation": "delete"})).await.status(), 403, "{g}");
        } else {
            assert!(CUSTODIAN_GROUPS.contains(&g));
        }
    }
}

#[tokio::test]
async fn auditor_sees_all_and_may_change_nothing() {
    let sim = start(control()).await;
    let jwt = sim.jwt_as("auditor", json!({})).await;
    assert_eq!(names(&sim, &jwt, &format!("{KEYS}?limit=1000")).await.1, 240);
    let groups = sim.get_json(&jwt, &format!("{GROUPS}?limit=100")).await;
    assert_eq!(groups["total"], 8);
    assert!(groups["resources"][0].get("acls").is_none(), "only administrators read ACLs");
    for name in ["payroll-master", "crm-disabled-01", "ledger-signing"] {
        let k = sim.key_by_name(&jwt, name).await;
        let v = assert_error(
            sim.post_job(&jwt, json!({"id": k["id"], "operation": "delete"})).await,
            403,
            "NCERRForbidden",
        )
        .await;
        assert!(v["message"].as_str().unwrap().starts_with("user 'auditor' may not keydelete keys of group '"), "{v}");
    }
    let g = group(&sim, &jwt, "payroll").await;
    let r = update_acls(
        &sim,
        &jwt,
        g["id"].as_str().unwrap(),
        json!({"group": "key-auditors", "actions": ["keydelete"], "permit": true}),
    )
    .await;
    assert_error(r, 403, "NCERRForbidden").await;
    assert_eq!(sim.stats().await["job_posts_refused"], 3);
    assert_eq!(sim.stats().await["jobs_created"]["total"], 0);
}

#[tokio::test]
async fn lists_and_reads_show_only_viewable_groups() {
    let sim = start(control()).await;
    let admin = sim.jwt().await;
    let payroll = group(&sim, &admin, "payroll").await;
    assert!(payroll["acls"].is_array(), "an administrator reads the ACLs: {payroll}");
    let payroll_keys =
        sim.get_json(&admin, &format!("{KEYS}?limit=1000&sap_group_name=payroll")).await["total"].as_u64().unwrap();
    assert!(payroll_keys >= 4);
    let pm = sim.key_by_name(&admin, "payroll-master").await;
    let job = sim.create_job(&admin, json!({"id": pm["id"], "operation": "delete"})).await;
    // Auditors lose `view` on payroll.
    let r = update_acls(
        &sim,
        &admin,
        payroll["id"].as_str().unwrap(),
        json!({"group": "key-auditors", "actions": ["view"], "permit": false}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let jwt = sim.jwt_as("auditor", json!({})).await;
    let (gnames, total) = names(&sim, &jwt, &format!("{GROUPS}?limit=100")).await;
    assert_eq!(total, 7);
    assert!(!gnames.contains("payroll"));
    let (knames, total) = names(&sim, &jwt, &format!("{KEYS}?limit=1000")).await;
    assert_eq!(total, 240 - payroll_keys);
    assert_eq!(knames.len() as u64, total);
    assert!(!knames.contains("payroll-master"));
    // Totals of filtered and paged lists match what is shown.
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&name=payroll")).await;
    assert!(v["resources"].as_array().unwrap().iter().all(|k| k["sap_group_name"] != "payroll"));
    assert_eq!(v["resources"].as_array().unwrap().len() as u64, v["total"].as_u64().unwrap());
    assert_eq!(sim.get_json(&jwt, &format!("{KEYS}?sap_group_name=payroll")).await["total"], 0);
    let mut seen = 0;
    for skip in (0..240).step_by(50) {
        seen += sim.get_json(&jwt, &format!("{KEYS}?limit=50&skip={skip}&sort=-name")).await["resources"]
            .as_array()
            .unwrap()
            .len() as u64;
    }
    assert_eq!(seen, 240 - payroll_keys);
    // A key or job of payroll: 403, naming the view action.
    let v = assert_error(sim.get(&jwt, &format!("{KEYS}/{}", pm["id"].as_str().unwrap())).await, 403, "NCERRForbidden")
        .await;
    assert_eq!(v["message"], "user 'auditor' may not view keys of group 'payroll'");
    assert_error(sim.get(&jwt, &format!("{KEYS}/jobs/{}", job["id"].as_str().unwrap())).await, 403, "NCERRForbidden")
        .await;
    // The custodian still sees payroll (its own entry is untouched).
    let cust = sim.jwt_as("custodian", json!({})).await;
    assert_eq!(names(&sim, &cust, &format!("{GROUPS}?limit=100")).await.1, 8);
}

#[tokio::test]
async fn update_acls_validates_its_body_and_changes_permissions() {
    let sim = start(control()).await;
    let admin = sim.jwt().await;
    let payroll = group(&sim, &admin, "payroll").await;
    let gid = payroll["id"].as_str().unwrap();
    let cust = sim.jwt_as("custodian", json!({})).await;
    let cust_sub = claims(&cust)["sub"].as_str().unwrap().to_string();
    for bad in [
        json!({"actions": ["view"], "permit": true}),
        json!({"user_id": cust_sub, "group": "x", "actions": ["view"], "permit": true}),
        json!({"user_id": "", "actions": ["view"], "permit": true}),
        json!({"group": 3, "actions": ["view"], "permit": true}),
        json!({"group": "g", "actions": [], "permit": true}),
        json!({"group": "g", "actions": "keydelete", "permit": true}),
        json!({"group": "g", "actions": ["keydelete"]}),
        json!({"group": "g", "actions": ["keydelete"], "permit": "true"}),
        json!([1]),
    ] {
        assert_error(update_acls(&sim, &admin, gid, bad).await, 400, "NCERRInvalidParamValue").await;
    }
    let v = assert_error(
        update_acls(&sim, &admin, gid, json!({"group": "g", "actions": ["view", "fly"], "permit": true})).await,
        400,
        "NCERRInvalidParamValue",
    )
    .await;
    assert!(v["message"].as_str().unwrap().contains("fly"), "{v}");
    let body = json!({"user_id": cust_sub, "actions": ["keydelete"], "permit": true});
    assert_error(update_acls(&sim, &admin, "not-a-uuid", body.clone()).await, 400, "NCERRInvalidParamValue").await;
    assert_error(
        update_acls(&sim, &admin, &uuid::Uuid::new_v4().to_string(), body.clone()).await,
        404,
        "NCERRResourceNotFound",
    )
    .await;
    assert_error(update_acls(&sim, &cust, gid, body.clone()).await, 403, "NCERRForbidden").await;
    assert_error(
        sim.http.post(sim.url(&format!("{GROUPS}/{gid}/update-acls"))).json(&body).send().await.unwrap(),
        401,
        "NCERRUnauthorizedAccess",
    )
    .await;
    // Grant the custodian (by its sub) keydelete in payroll.
    let r = update_acls(&sim, &admin, gid, body).await;
    assert_eq!(r.status(), 200);
    let g: Value = r.json().await.unwrap();
    assert_eq!(g["id"], payroll["id"]);
    let entry = g["acls"].as_array().unwrap().iter().find(|e| e["user_id"] == cust_sub.as_str()).cloned().unwrap();
    assert_eq!(entry["actions"], json!(["keydelete"]));
    assert!(group(&sim, &admin, "payroll").await["acls"].as_array().unwrap().contains(&entry));
    let pm = sim.key_by_name(&cust, "payroll-master").await;
    assert_eq!(sim.run_job(&cust, pm["id"].as_str().unwrap(), "delete", json!(false)).await["state"], "COMPLETED");
    // Its restore is still refused; then keydelete is taken back.
    assert_error(sim.post_job(&cust, json!({"id": pm["id"], "operation": "restore"})).await, 403, "NCERRForbidden")
        .await;
    let r =
        update_acls(&sim, &admin, gid, json!({"user_id": cust_sub, "actions": ["keydelete"], "permit": false})).await;
    let g: Value = r.json().await.unwrap();
    assert!(g["acls"].as_array().unwrap().iter().all(|e| e["user_id"] != cust_sub.as_str()), "{g}");
    let pa = sim.key_by_name(&cust, "payroll-archive").await;
    assert_error(sim.post_job(&cust, json!({"id": pa["id"], "operation": "delete"})).await, 403, "NCERRForbidden")
        .await;
    // A user-group entry works the same way: custodians may now restore in payroll.
    let r =
        update_acls(&sim, &admin, gid, json!({"group": "key-custodians", "actions": ["keyrestore"], "permit": true}))
            .await;
    assert_eq!(r.status(), 200);
    assert_eq!(sim.run_job(&cust, pm["id"].as_str().unwrap(), "restore", json!(false)).await["state"], "COMPLETED");
    assert_eq!(sim.stats().await["requests"]["POST /api/v1/cckm/sap/groups/{id}/update-acls"], 17);
}

#[tokio::test]
async fn ldap_custodian_and_domain_administrators_act_everywhere() {
    let sim = start(control()).await;
    let ldap = sim.jwt_as("ldap-custodian", json!({"connection": "corp-ldap"})).await;
    let pm = sim.key_by_name(&ldap, "payroll-master").await;
    assert_eq!(sim.run_job(&ldap, pm["id"].as_str().unwrap(), "delete", json!(false)).await["state"], "COMPLETED");
    assert_eq!(sim.run_job(&ldap, pm["id"].as_str().unwrap(), "restore", json!(false)).await["state"], "COMPLETED");
    // Keys are one store, seen from both domains.
    let eu = sim.jwt_as("eu-admin", json!({"domain": "eu-payments"})).await;
    assert_eq!(names(&sim, &eu, &format!("{KEYS}?limit=1000")).await.1, 240);
    let pa = sim.key_by_name(&eu, "payroll-archive").await;
    let job = sim.run_job(&eu, pa["id"].as_str().unwrap(), "delete", json!(false)).await;
    assert_eq!(job["creator_name"], "eu-admin");
    assert_eq!(sim.key(&sim.jwt().await, pa["id"].as_str().unwrap()).await["gone"], true);
    assert!(group(&sim, &eu, "payroll").await["acls"].is_array());
}

fn temp_state() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cckm-sim-acl-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d.join("state.json")
}

#[tokio::test]
async fn acls_persist_and_old_state_files_get_the_demo_acls() {
    let path = temp_state();
    let cfg = cckm_sim::Config { state: Some(path.clone()), ..config() };
    let sim = start(cfg.clone()).await;
    let admin = sim.jwt().await;
    let payroll = group(&sim, &admin, "payroll").await;
    let r = update_acls(
        &sim,
        &admin,
        payroll["id"].as_str().unwrap(),
        json!({"group": "key-custodians", "actions": ["keydelete"], "permit": true}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let refresh = sim.login().await["refresh_token"].clone();
    drop(sim);
    let sim = start(cfg.clone()).await;
    let cust = sim.jwt_as("custodian", json!({})).await;
    let pm = sim.key_by_name(&cust, "payroll-master").await;
    assert_eq!(sim.post_job(&cust, json!({"id": pm["id"], "operation": "delete"})).await.status(), 201);
    drop(sim);
    // The same file as an older simulator wrote it: version 1, no ACLs, refresh tokens without domains.
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["version"] = json!(1);
    for g in v["groups"].as_array_mut().unwrap() {
        g.as_object_mut().unwrap().remove("acls");
    }
    for t in v["refresh_tokens"].as_object_mut().unwrap().values_mut() {
        for f in ["domain", "auth_domain", "connection", "last_used_ns"] {
            t.as_object_mut().unwrap().remove(f);
        }
    }
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let sim = start(cfg).await;
    let r = sim.token(json!({"grant_type": "refresh_token", "refresh_token": refresh})).await;
    assert_eq!(r.status(), 200, "an old refresh token still works");
    let cust = sim.jwt_as("custodian", json!({})).await;
    let pa = sim.key_by_name(&cust, "payroll-archive").await;
    assert_error(sim.post_job(&cust, json!({"id": pa["id"], "operation": "delete"})).await, 403, "NCERRForbidden")
        .await;
    let crm = sim.key_by_name(&cust, "crm-disabled-01").await;
    assert_eq!(sim.post_job(&cust, json!({"id": crm["id"], "operation": "delete"})).await.status(), 201);
    drop(sim);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
