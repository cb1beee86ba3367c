//! API behaviour over real HTTP: lists, keys, groups, jobs and every error row of §5 (tokens: tokens.rs).

mod common;

use common::{assert_error, config, start};
use serde_json::{json, Value};
use std::collections::HashSet;

const KEYS: &str = "/api/v1/cckm/sap/keys";
const JOBS: &str = "/api/v1/cckm/sap/keys/jobs";

#[tokio::test]
async fn key_and_group_shapes() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    let k = sim.key_by_name(&jwt, "payroll-master").await;
    for f in [
        "id",
        "uri",
        "account",
        "createdAt",
        "updatedAt",
        "cloud_name",
        "tenant",
        "name",
        "gone",
        "sap_param",
        "sap_group_name",
    ] {
        assert!(k.get(f).is_some(), "key lacks {f}");
    }
    for f in
        ["description", "enabled", "exportable", "groupId", "sap_key_id", "keystoreContext", "type", "size", "meta"]
    {
        assert!(k["sap_param"].get(f).is_some(), "sap_param lacks {f}");
    }
    assert!(k["sap_param"]["keystoreContext"]["customerHeld"].is_boolean());
    for f in ["created", "creatorName", "totalVersions"] {
        assert!(k["sap_param"]["meta"].get(f).is_some());
    }
    let id = k["id"].as_str().unwrap();
    assert_eq!(k["uri"], format!("kylo:kylo:cckm:sap-key:{id}"));
    assert_eq!(k["account"], "kylo:kylo:admin:accounts:kylo");
    assert_eq!(k["sap_group_name"], "payroll");
    assert_eq!(k["gone"], false);
    assert!(k["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(k["createdAt"].as_str().unwrap().contains('.'));
    assert_eq!(sim.key(&jwt, id).await, k);
    let groups = sim.get_json(&jwt, "/api/v1/cckm/sap/groups?limit=100&name=payroll").await;
    let g = &groups["resources"][0];
    for f in [
        "id",
        "uri",
        "account",
        "createdAt",
        "updatedAt",
        "name",
        "group_id",
        "sap_application",
        "keystore_id",
        "connection",
        "cloud_name",
    ] {
        assert!(g.get(f).is_some(), "group lacks {f}");
    }
    assert_eq!(g["group_id"], k["sap_param"]["groupId"]);
    assert!(g["uri"].as_str().unwrap().starts_with("kylo:kylo:cckm:sap-group:"));
    let all = sim.get_json(&jwt, "/api/v1/cckm/sap/groups?limit=100").await;
    assert_eq!(all["total"], 8);
    let by_id = sim.get_json(&jwt, &format!("/api/v1/cckm/sap/groups?id={}", g["id"].as_str().unwrap())).await;
    assert_eq!(by_id["total"], 1);
    let warn = sim.get_json(&jwt, "/api/v1/cckm/sap/groups?bogus=1&tier=production").await;
    assert!(warn["messages"][0].as_str().unwrap().contains("bogus"));
    assert_error(sim.get(&jwt, "/api/v1/cckm/sap/groups?skip=x").await, 400, "NCERRInvalidParamValue").await;
}

#[tokio::test]
async fn anchors_and_hostile_names_exist_even_with_few_keys() {
    let sim = start(cckm_sim::Config { keys: 3, groups: 1, ..config() }).await;
    let jwt = sim.jwt().await;
    let all = sim.get_json(&jwt, "/api/v1/cckm/sap/keys?limit=1000").await;
    let names: HashSet<String> =
        all["resources"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap().to_string()).collect();
    for n in cckm_sim::demo_data::ANCHORS {
        assert!(names.contains(*n), "{n}");
    }
    assert!(names.contains("<script>alert(1)</script>"));
    assert!(names.contains("<img src=x onerror=alert(1)>"));
    assert!(names.contains("\"'; DROP TABLE keys;--"));
    assert!(names.iter().any(|n| n.chars().count() == 500));
    assert!(names.iter().any(|n| n.contains('\u{202E}')));
    assert!(all["resources"].as_array().unwrap().iter().any(|k| k["sap_param"]["description"] == ""));
    let hr = sim.key_by_name(&jwt, "hr-archive-2019").await;
    assert_eq!(hr["gone"], true);
    assert_eq!(hr["sap_group_name"], "hr");
    assert_eq!(sim.key_by_name(&jwt, "crm-disabled-01").await["sap_param"]["enabled"], false);
    assert_eq!(sim.key_by_name(&jwt, "ledger-signing").await["sap_group_name"], "finance");
}

#[tokio::test]
async fn demo_data_is_deterministic_per_seed() {
    let a = start(config()).await;
    let b = start(config()).await;
    let c = start(cckm_sim::Config { seed: 2, ..config() }).await;
    let q = "/api/v1/cckm/sap/keys?limit=1000&sort=name";
    let ka = a.get_json(&a.jwt().await, q).await;
    let kb = b.get_json(&b.jwt().await, q).await;
    let kc = c.get_json(&c.jwt().await, q).await;
    assert_eq!(ka["total"], 240);
    assert_eq!(ka, kb);
    assert_ne!(ka, kc);
    let gone = ka["resources"].as_array().unwrap().iter().filter(|k| k["gone"] == true).count();
    let disabled = ka["resources"].as_array().unwrap().iter().filter(|k| k["sap_param"]["enabled"] == false).count();
    assert!(gone > 5 && disabled > 5, "gone {gone} disabled {disabled}");
}

async fn all_pages(sim: &common::Sim, jwt: &str, query: &str, page: usize) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut total;
    let mut skip = 0;
    loop {
        let v = sim.get_json(jwt, &format!("{KEYS}?skip={skip}&limit={page}{query}")).await;
        total = v["total"].as_u64().unwrap() as usize;
        assert_eq!(v["skip"], skip);
        assert_eq!(v["limit"], page);
        let res = v["resources"].as_array().unwrap().clone();
        if res.is_empty() {
            break;
        }
        assert!(res.len() <= page);
        skip += res.len();
        out.extend(res);
    }
    (out, total)
}

#[tokio::test]
async fn paging_sorting_and_filters_are_consistent() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    for sort in [
        "name",
        "-name",
        "createdAt",
        "-updatedAt",
        "sap_group_name,-name",
        "type,size,name",
        "gone,enabled,-createdAt",
        "-size",
    ] {
        let (keys, total) = all_pages(&sim, &jwt, &format!("&sort={sort}"), 37).await;
        assert_eq!(keys.len(), total);
        assert_eq!(total, 240);
        let ids: HashSet<&str> = keys.iter().map(|k| k["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), total, "pages overlap for sort {sort}");
        let (full, _) = all_pages(&sim, &jwt, &format!("&sort={sort}"), 1000).await;
        assert_eq!(full, keys, "pages don't concatenate to the full sorted set for {sort}");
        let first = sort.split(',').next().unwrap();
        let (desc, field) = match first.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, first),
        };
        let val = |k: &Value| -> Value {
            match field {
                "name" | "createdAt" | "updatedAt" | "sap_group_name" | "gone" => k[field].clone(),
                "type" | "size" | "enabled" => k["sap_param"][field].clone(),
                _ => unreachable!(),
            }
        };
        for w in keys.windows(2) {
            let (a, b) = (val(&w[0]), val(&w[1]));
            let ord = match (&a, &b) {
                (Value::String(x), Value::String(y)) if field.ends_with("At") => {
                    time::OffsetDateTime::parse(x, &time::format_description::well_known::Rfc3339)
                        .unwrap()
                        .cmp(&time::OffsetDateTime::parse(y, &time::format_description::well_known::Rfc3339).unwrap())
                }
                (Value::String(x), Value::String(y)) => x.cmp(y),
                (Value::Number(x), Value::Number(y)) => x.as_u64().cmp(&y.as_u64()),
                (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
                _ => panic!("odd values"),
            };
            if desc {
                assert!(ord.is_ge(), "{sort}: {a} then {b}")
            } else {
                assert!(ord.is_le(), "{sort}: {a} then {b}")
            }
        }
    }
    // Filters.
    let check = |v: &Value, pred: &dyn Fn(&Value) -> bool| {
        let res = v["resources"].as_array().unwrap();
        assert_eq!(res.len() as u64, v["total"].as_u64().unwrap().min(1000));
        assert!(res.iter().all(pred), "{v}");
    };
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&name=PAYROLL")).await;
    check(&v, &|k| k["name"].as_str().unwrap().to_lowercase().contains("payroll"));
    assert!(v["total"].as_u64().unwrap() >= 4);
    let everything = sim.get_json(&jwt, &format!("{KEYS}?limit=1000")).await;
    for needle in ["a", "ER-", "-0", "<", "\u{202E}", "kek", "payroll-master", "zz-none"] {
        let want = everything["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["name"].as_str().unwrap().to_lowercase().contains(&needle.to_lowercase()))
            .count();
        let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&name={}", common::urlencode(needle))).await;
        assert_eq!(v["total"].as_u64().unwrap() as usize, want, "name filter {needle:?}");
    }
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&gone=true")).await;
    check(&v, &|k| k["gone"] == true);
    let gone = v["total"].as_u64().unwrap();
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&gone=false")).await;
    assert_eq!(v["total"].as_u64().unwrap() + gone, 240);
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&enabled=false")).await;
    check(&v, &|k| k["sap_param"]["enabled"] == false);
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&sap_group_name=payroll")).await;
    check(&v, &|k| k["sap_group_name"] == "payroll");
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&sap_group_name=PAYROLL")).await;
    assert_eq!(v["total"], 0);
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=1000&type=RSA&size=2048")).await;
    check(&v, &|k| k["sap_param"]["type"] == "RSA" && k["sap_param"]["size"] == 2048);
    let pm = sim.key_by_name(&jwt, "payroll-master").await;
    let v = sim.get_json(&jwt, &format!("{KEYS}?id={}", pm["id"].as_str().unwrap())).await;
    assert_eq!(v["total"], 1);
    let v = sim.get_json(&jwt, &format!("{KEYS}?sap_key_id={}", pm["sap_param"]["sap_key_id"].as_str().unwrap())).await;
    assert_eq!(v["resources"][0]["id"], pm["id"]);
    let v = sim
        .get_json(&jwt, &format!("{KEYS}?cloud_name=sap&tenant=thales-preprod&exportable=false&totalVersions=1&creator_name=ops-bot@example.com&sap_application=GENERAL&origin=native&creator_id=x"))
        .await;
    assert!(v["total"].is_u64());
    let v = sim.get_json(&jwt, &format!("{KEYS}?unknown_param=1&limit=5")).await;
    assert!(v["messages"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().contains("unknown_param")));
    assert_eq!(v["resources"].as_array().unwrap().len(), 5);
    let v = sim.get_json(&jwt, &format!("{KEYS}?limit=5000")).await;
    assert_eq!(v["limit"], 1000);
    assert!(v["messages"][0].as_str().unwrap().contains("1000"));
    let v = sim.get_json(&jwt, KEYS).await;
    assert_eq!(v["limit"], 10);
    assert_eq!(v["skip"], 0);
    let v = sim.get_json(&jwt, &format!("{KEYS}?skip=100000")).await;
    assert_eq!(v["resources"], json!([]));
    assert_eq!(v["total"], 240);
    for bad in ["skip=-1", "limit=-5", "limit=abc", "skip=1.5", "limit=", "sort=nosuchfield", "gone=maybe", "size=big"]
    {
        assert_error(sim.get(&jwt, &format!("{KEYS}?{bad}")).await, 400, "NCERRInvalidParamValue").await;
    }
}

#[tokio::test]
async fn error_rows_of_section_5() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    let pm = sim.key_by_name(&jwt, "payroll-master").await;
    let id = pm["id"].as_str().unwrap();
    // 400s
    let r = sim.http.post(sim.url(JOBS)).bearer_auth(&jwt).body("{\"id\": ").send().await.unwrap();
    assert_error(r, 400, "NCERRInvalidParamValue").await;
    let r = sim.http.post(sim.url(JOBS)).bearer_auth(&jwt).body("").send().await.unwrap();
    assert_error(r, 400, "NCERRInvalidParamValue").await;
    for body in [
        json!([1, 2]),
        json!({"id": id, "operation": "explode"}),
        json!({"id": id}),
        json!({"id": "not-a-uuid", "operation": "delete"}),
        json!({"id": 42, "operation": "delete"}),
        json!({"id": id, "operation": 7}),
        json!({"id": id, "operation": "delete", "delete_if_backup_fails": "yes"}),
        json!({"id": id, "operation": "delete", "delete_if_backup_fails": 1}),
        json!({"operation": "delete"}),
    ] {
        assert_error(sim.post_job(&jwt, body).await, 400, "NCERRInvalidParamValue").await;
    }
    assert_error(sim.get(&jwt, &format!("{KEYS}/not-a-uuid")).await, 400, "NCERRInvalidParamValue").await;
    assert_error(sim.get(&jwt, &format!("{JOBS}/12345")).await, 400, "NCERRInvalidParamValue").await;
    // 404s
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_error(sim.get(&jwt, &format!("{KEYS}/{nobody}")).await, 404, "NCERRResourceNotFound").await;
    assert_error(sim.get(&jwt, &format!("{JOBS}/{nobody}")).await, 404, "NCERRResourceNotFound").await;
    assert_error(sim.post_job(&jwt, json!({"id": nobody, "operation": "delete"})).await, 404, "NCERRResourceNotFound")
        .await;
    assert_error(sim.get(&jwt, "/api/v1/nothing/here").await, 404, "NCERRResourceNotFound").await;
    assert_error(sim.http.get(sim.url("/api")).send().await.unwrap(), 404, "NCERRResourceNotFound").await;
    assert_error(sim.http.get(sim.url("/sim/stats")).send().await.unwrap(), 404, "NCERRResourceNotFound").await;
    // 405s
    let r = sim.http.delete(sim.url(&format!("{KEYS}/{id}"))).bearer_auth(&jwt).send().await.unwrap();
    assert_error(r, 405, "NCERRMethodNotAllowed").await;
    let r = sim.http.get(sim.url("/api/v1/auth/tokens")).send().await.unwrap();
    assert_error(r, 405, "NCERRMethodNotAllowed").await;
    let r = sim.http.get(sim.url(JOBS)).bearer_auth(&jwt).send().await.unwrap();
    assert_error(r, 405, "NCERRMethodNotAllowed").await;
    // 413
    let big = format!("{{\"id\":\"{id}\",\"operation\":\"delete\",\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let r = sim.http.post(sim.url(JOBS)).bearer_auth(&jwt).body(big).send().await.unwrap();
    assert_error(r, 413, "NCERRRequestEntityTooLarge").await;
    let r = sim.http.post(sim.url("/api/v1/auth/tokens")).body(vec![b' '; 65 * 1024]).send().await.unwrap();
    assert_error(r, 413, "NCERRRequestEntityTooLarge").await;
    // 409s
    let hr = sim.key_by_name(&jwt, "hr-archive-2019").await;
    let v =
        assert_error(sim.post_job(&jwt, json!({"id": hr["id"], "operation": "delete"})).await, 409, "NCERRConflict")
            .await;
    assert!(v["message"].as_str().unwrap().contains("already"));
    assert_error(sim.post_job(&jwt, json!({"id": id, "operation": "restore"})).await, 409, "NCERRConflict").await;
    let job = sim.create_job(&jwt, json!({"id": id, "operation": "delete"})).await;
    assert_error(sim.post_job(&jwt, json!({"id": id, "operation": "delete"})).await, 409, "NCERRConflict").await;
    assert_error(sim.post_job(&jwt, json!({"id": id, "operation": "restore"})).await, 409, "NCERRConflict").await;
    sim.wait_job(&jwt, job["id"].as_str().unwrap()).await;
    // The store is intact after all that.
    let all = sim.get_json(&jwt, &format!("{KEYS}?limit=1000")).await;
    assert_eq!(all["total"], 240);
}

#[tokio::test]
async fn delete_restore_cycles_for_each_backup_case() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    // Backup works: delete then restore.
    let pm = sim.key_by_name(&jwt, "payroll-master").await;
    let id = pm["id"].as_str().unwrap();
    let j = sim.run_job(&jwt, id, "delete", json!(false)).await;
    assert_eq!(j["state"], "COMPLETED");
    assert!(j.get("error_details").is_none());
    let k = sim.key(&jwt, id).await;
    assert_eq!(k["gone"], true);
    assert_ne!(k["updatedAt"], pm["updatedAt"]);
    let j = sim.run_job(&jwt, id, "restore", Value::Null).await;
    assert_eq!(j["state"], "COMPLETED");
    assert_eq!(sim.key(&jwt, id).await["gone"], false);
    // Gone without a backup: restore fails.
    let hr = sim.key_by_name(&jwt, "hr-archive-2019").await;
    let j = sim.run_job(&jwt, hr["id"].as_str().unwrap(), "restore", json!(false)).await;
    assert_eq!(j["state"], "FAILED");
    assert!(j["error_details"].as_str().unwrap().contains("no backup of this key exists in CipherTrust Manager"));
    assert_eq!(sim.key(&jwt, hr["id"].as_str().unwrap()).await["gone"], true);
    // Backup fails: flag false (as string) fails and keeps the key; flag true (as string) deletes without backup.
    let ls = sim.key_by_name(&jwt, "ledger-signing").await;
    let lid = ls["id"].as_str().unwrap();
    let j = sim.run_job(&jwt, lid, "delete", json!("false")).await;
    assert_eq!(j["state"], "FAILED");
    assert!(j["error_details"].as_str().unwrap().contains("backup"));
    assert_eq!(sim.key(&jwt, lid).await["gone"], false);
    let j = sim.run_job(&jwt, lid, "delete", Value::Null).await;
    assert_eq!(j["state"], "FAILED", "missing flag means false");
    let j = sim.run_job(&jwt, lid, "delete", json!("true")).await;
    assert_eq!(j["state"], "COMPLETED");
    assert_eq!(sim.key(&jwt, lid).await["gone"], true);
    let j = sim.run_job(&jwt, lid, "restore", json!(true)).await;
    assert_eq!(j["state"], "FAILED");
    assert!(j["error_details"].as_str().unwrap().contains("no backup"));
    // Disabled key: delete and restore keep it disabled.
    let cd = sim.key_by_name(&jwt, "crm-disabled-01").await;
    let cid = cd["id"].as_str().unwrap();
    assert_eq!(sim.run_job(&jwt, cid, "delete", json!(true)).await["state"], "COMPLETED");
    assert_eq!(sim.run_job(&jwt, cid, "restore", json!(true)).await["state"], "COMPLETED");
    let k = sim.key(&jwt, cid).await;
    assert_eq!((k["gone"].clone(), k["sap_param"]["enabled"].clone()), (json!(false), json!(false)));
    // Other payroll anchors work the same.
    for n in ["payroll-archive", "payroll-reporting", "payroll-ledger"] {
        let k = sim.key_by_name(&jwt, n).await;
        assert_eq!(sim.run_job(&jwt, k["id"].as_str().unwrap(), "delete", json!(false)).await["state"], "COMPLETED");
    }
}

#[tokio::test]
async fn job_states_progress_in_order() {
    let sim = start(cckm_sim::Config { job_ms: 900, ..config() }).await;
    let jwt = sim.jwt().await;
    let k = sim.key_by_name(&jwt, "payroll-archive").await;
    let job =
        sim.create_job(&jwt, json!({"id": k["id"], "operation": "delete", "delete_if_backup_fails": false})).await;
    assert_eq!(job["state"], "PENDING");
    let id = job["id"].as_str().unwrap();
    let mut seen = vec![];
    loop {
        let j = sim.get_json(&jwt, &format!("{JOBS}/{id}")).await;
        let s = j["state"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "COMPLETED" || s == "FAILED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert_eq!(seen, ["PENDING", "IN_PROGRESS", "COMPLETED"]);
}

#[tokio::test]
async fn seed_example_request_and_response_fields() {
    let sim = start(config()).await;
    let jwt = sim.jwt().await;
    let k = sim.key_by_name(&jwt, "payroll-reporting").await;
    // The seed's example body, with a real key id substituted.
    let body = "{\n  \"id\": \"b707ea86-37bb-4212-ad09-2635698dbe4a\",\n  \"operation\": \"delete\",\n  \"delete_if_backup_fails\": true\n}"
        .replace("b707ea86-37bb-4212-ad09-2635698dbe4a", k["id"].as_str().unwrap());
    let r = sim
        .http
        .post(sim.url(JOBS))
        .bearer_auth(&jwt)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let job: Value = r.json().await.unwrap();
    let seed_example: Value = serde_json::from_str(
        r#"{
    "id": "5db60499-9f4f-4143-b963-370459d3cef1",
    "uri": "kylo:kylo:cckm:sap_job:5db60499-9f4f-4143-b963-370459d3cef1",
    "account": "kylo:kylo:admin:accounts:kylo",
    "createdAt": "2021-11-24T09:54:45.962862797Z",
    "updatedAt": "2021-11-24T09:54:45.963309486Z",
    "cckm_key_id": "b707ea86-37bb-4212-ad09-2635698dbe4a",
    "group_id": "489ac34d-3e9c-4be3-8c1c-2c383bf31461",
    "job_id": "b6b65380-4c0d-4b39-853a-e54676fe6706",
    "key_id": "89ac400d-254f-4a19-a1fa-8952a2dca56f",
    "operation": "delete",
    "creator_id": "69f41156-5197-490d-aa5f-f1ffb0ab4e66",
    "creator_name": "creator.name@xyz.com",
    "state": "PENDING"
}"#,
    )
    .unwrap();
    let want: Vec<&String> = seed_example.as_object().unwrap().keys().collect();
    let got: Vec<&String> = job.as_object().unwrap().keys().collect();
    assert_eq!(got, want, "field names and order of the seed's example");
    let jid = job["id"].as_str().unwrap();
    assert_eq!(job["uri"], format!("kylo:kylo:cckm:sap_job:{jid}"));
    assert_eq!(job["account"], seed_example["account"]);
    assert_eq!(job["cckm_key_id"], k["id"]);
    assert_eq!(job["group_id"], k["sap_param"]["groupId"]);
    assert_eq!(job["key_id"], k["sap_param"]["sap_key_id"]);
    assert_eq!(job["operation"], "delete");
    assert_eq!(job["state"], "PENDING");
    assert_eq!(job["creator_name"], "admin");
    uuid::Uuid::parse_str(job["job_id"].as_str().unwrap()).unwrap();
    uuid::Uuid::parse_str(job["creator_id"].as_str().unwrap()).unwrap();
    let created = job["createdAt"].as_str().unwrap();
    time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339).unwrap();
    let done = sim.wait_job(&jwt, jid).await;
    let keys: Vec<&String> = done.as_object().unwrap().keys().collect();
    assert_eq!(keys, want);
    assert_eq!(done["state"], "COMPLETED");
}
