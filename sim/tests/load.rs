//! Load: 200 jobs created concurrently on distinct keys all end, each key in the state its job says.

mod common;

use common::start;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_jobs() {
    let sim = start(cckm_sim::Config { keys: 400, job_ms: 200, control: true, ..cckm_sim::Config::default() }).await;
    let jwt = sim.jwt().await;
    let present = sim.get_json(&jwt, "/api/v1/cckm/sap/keys?limit=1000&gone=false&sort=name").await;
    let gone = sim.get_json(&jwt, "/api/v1/cckm/sap/keys?limit=1000&gone=true&sort=name").await;
    // Up to 50 restores of gone keys, the rest deletes (flag true), on 200 distinct keys.
    let restores = gone["resources"].as_array().unwrap().len().min(50);
    let mut targets: Vec<(String, &str)> = present["resources"]
        .as_array()
        .unwrap()
        .iter()
        .take(200 - restores)
        .map(|k| (k["id"].as_str().unwrap().to_string(), "delete"))
        .collect();
    targets.extend(
        gone["resources"]
            .as_array()
            .unwrap()
            .iter()
            .take(restores)
            .map(|k| (k["id"].as_str().unwrap().to_string(), "restore")),
    );
    assert_eq!(targets.len(), 200);
    let requests = Arc::new(AtomicU64::new(0));
    let start_t = Instant::now();
    let mut handles = Vec::new();
    for (key, op) in targets.clone() {
        let http = sim.http.clone();
        let base = sim.base.clone();
        let jwt = jwt.clone();
        let requests = requests.clone();
        handles.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/api/v1/cckm/sap/keys/jobs"))
                .bearer_auth(&jwt)
                .json(&json!({"id": key, "operation": op, "delete_if_backup_fails": true}))
                .send()
                .await
                .unwrap();
            requests.fetch_add(1, Ordering::Relaxed);
            assert_eq!(r.status(), 201);
            let job: Value = r.json().await.unwrap();
            let id = job["id"].as_str().unwrap().to_string();
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let j: Value = http
                    .get(format!("{base}/api/v1/cckm/sap/keys/jobs/{id}"))
                    .bearer_auth(&jwt)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                requests.fetch_add(1, Ordering::Relaxed);
                let s = j["state"].as_str().unwrap();
                if s == "COMPLETED" || s == "FAILED" {
                    return (key, op, j);
                }
            }
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    let secs = start_t.elapsed().as_secs_f64();
    let job_ids: HashSet<String> = results.iter().map(|(_, _, j)| j["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(job_ids.len(), 200, "jobs lost or duplicated");
    let keys_seen: HashSet<&String> = results.iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys_seen.len(), 200);
    let all = sim.get_json(&jwt, "/api/v1/cckm/sap/keys?limit=1000").await;
    let by_id: HashMap<&str, &Value> =
        all["resources"].as_array().unwrap().iter().map(|k| (k["id"].as_str().unwrap(), k)).collect();
    let (mut completed, mut failed) = (0, 0);
    for (key, op, job) in &results {
        assert_eq!(job["cckm_key_id"], key.as_str());
        assert_eq!(job["operation"], *op);
        let gone = by_id[key.as_str()]["gone"].as_bool().unwrap();
        match (job["state"].as_str().unwrap(), *op) {
            ("COMPLETED", "delete") => {
                completed += 1;
                assert!(gone)
            }
            ("COMPLETED", "restore") => {
                completed += 1;
                assert!(!gone)
            }
            ("FAILED", "delete") => {
                failed += 1;
                assert!(!gone)
            }
            ("FAILED", "restore") => {
                failed += 1;
                assert!(gone);
                assert!(job["error_details"].as_str().unwrap().contains("no backup"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let stats: Value = sim.http.get(sim.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["requests"]["POST /api/v1/cckm/sap/keys/jobs"], 200);
    let n = requests.load(Ordering::Relaxed);
    println!(
        "load: 200 jobs ({completed} completed, {failed} failed as their key's backup state says) in {secs:.2} s, {n} requests, {:.0} requests/s, max in flight (job polls) {}",
        n as f64 / secs,
        stats["max_in_flight"]["GET /api/v1/cckm/sap/keys/jobs/{id}"]
    );
}
