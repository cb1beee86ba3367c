//! --state persistence: restart in-process, jobs that carry on, tokens that survive, atomic writes.

mod common;

use common::{assert_error, config, start};
use serde_json::{json, Value};
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cckm-sim-test-{name}-{}-{}", std::process::id(), uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn leftovers(dir: &PathBuf) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "state.json")
        .collect()
}

#[tokio::test]
async fn state_survives_restart_and_running_jobs_carry_on() {
    let dir = temp_dir("restart");
    let path = dir.join("state.json");
    let cfg = cckm_sim::Config { state: Some(path.clone()), job_ms: 1500, ..config() };
    let sim = start(cfg.clone()).await;
    assert!(path.exists(), "state written at start");
    let tokens = sim.login().await;
    let jwt = tokens["jwt"].as_str().unwrap().to_string();
    let pm = sim.key_by_name(&jwt, "payroll-master").await;
    let done = sim.run_job(&jwt, pm["id"].as_str().unwrap(), "delete", json!(false)).await;
    assert_eq!(done["state"], "COMPLETED");
    let pa = sim.key_by_name(&jwt, "payroll-archive").await;
    let running = sim.create_job(&jwt, json!({"id": pa["id"], "operation": "delete"})).await;
    let rid = running["id"].as_str().unwrap().to_string();
    // Kill the server while the job is PENDING.
    drop(sim);
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(v.is_object());
    assert!(leftovers(&dir).is_empty(), "temp files left: {:?}", leftovers(&dir));

    let sim = start(cckm_sim::Config { seed: 99, keys: 5, ..cfg.clone() }).await;
    // The old token still works; the demo data came from the file, not from the new flags.
    let all = sim.get_json(&jwt, "/api/v1/cckm/sap/keys?limit=1000").await;
    assert_eq!(all["total"], 240);
    assert_eq!(sim.key(&jwt, pm["id"].as_str().unwrap()).await["gone"], true);
    let old = sim.get_json(&jwt, &format!("/api/v1/cckm/sap/keys/jobs/{}", done["id"].as_str().unwrap())).await;
    assert_eq!(old, done);
    let j = sim.wait_job(&jwt, &rid).await;
    assert_eq!(j["state"], "COMPLETED");
    assert_eq!(sim.key(&jwt, pa["id"].as_str().unwrap()).await["gone"], true);
    // The refresh token survives too.
    let r = sim
        .http
        .post(sim.url("/api/v1/auth/tokens"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(sim);
    // A third start sees the finished job and the restored world.
    let sim = start(cfg.clone()).await;
    let j2 = sim.get_json(&jwt, &format!("/api/v1/cckm/sap/keys/jobs/{rid}")).await;
    assert_eq!(j2["state"], "COMPLETED");
    drop(sim);
    assert!(leftovers(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn other_user_tokens_are_refused_after_restart() {
    let dir = temp_dir("user");
    let path = dir.join("state.json");
    let cfg = cckm_sim::Config { state: Some(path.clone()), user: "carol".into(), password: "pw".into(), ..config() };
    let sim = start(cfg.clone()).await;
    let r = sim
        .http
        .post(sim.url("/api/v1/auth/tokens"))
        .json(&json!({"username": "carol", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    drop(sim);
    // carol was the --user of the first run only.
    let sim = start(cckm_sim::Config { user: "bob".into(), password: "pw".into(), ..cfg }).await;
    let jwt = t["jwt"].as_str().unwrap();
    assert_error(sim.get(jwt, "/api/v1/cckm/sap/keys").await, 401, "NCERRUnauthorizedAccess").await;
    let r = sim
        .http
        .post(sim.url("/api/v1/auth/tokens"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": t["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "NCERRUnauthorizedAccess").await;
    let r = sim
        .http
        .post(sim.url("/api/v1/auth/tokens"))
        .json(&json!({"username": "bob", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(sim);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn state_file_always_parses_under_concurrent_writes() {
    let dir = temp_dir("atomic");
    let path = dir.join("state.json");
    let sim = start(cckm_sim::Config { state: Some(path.clone()), job_ms: 100, keys: 300, ..config() }).await;
    let jwt = sim.jwt().await;
    let list = sim.get_json(&jwt, "/api/v1/cckm/sap/keys?limit=40&gone=false").await;
    let reader = {
        let path = path.clone();
        tokio::spawn(async move {
            let mut reads = 0;
            for _ in 0..200 {
                let bytes = std::fs::read(&path).unwrap();
                let _: Value = serde_json::from_slice(&bytes).expect("state file must always parse");
                reads += 1;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            reads
        })
    };
    let mut handles = Vec::new();
    for k in list["resources"].as_array().unwrap() {
        let id = k["id"].as_str().unwrap().to_string();
        let http = sim.http.clone();
        let url = sim.url("/api/v1/cckm/sap/keys/jobs");
        let jwt = jwt.clone();
        handles.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(jwt)
                .json(&json!({"id": id, "operation": "delete", "delete_if_backup_fails": true}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 201);
    }
    assert_eq!(reader.await.unwrap(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    drop(sim);
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let jobs = v["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 40);
    assert!(jobs.values().all(|j| j["state"] == "COMPLETED"));
    assert!(leftovers(&dir).is_empty(), "temp files left: {:?}", leftovers(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unreadable_state_file_is_refused_not_overwritten() {
    let dir = temp_dir("corrupt");
    let path = dir.join("state.json");
    std::fs::write(&path, b"{ this is not json").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let r = cckm_sim::start(cckm_sim::Config { state: Some(path.clone()), ..config() }, listener).await;
    assert!(r.is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"{ this is not json");
    std::fs::remove_dir_all(&dir).unwrap();
}
