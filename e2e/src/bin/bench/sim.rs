//! The simulator, over HTTP: tokens, request counts, its own list speed, the keys a scenario
//! works on and the jobs it starts through the API.
use std::time::Instant;

use e2e::Sim;
use serde_json::{json, Value};

use super::report::median;
use super::Res;

/// A token for admin, through the API.
pub async fn http_token(base: &str) -> Res<String> {
    e2e::SimApi {
        base: base.to_string(),
    }
    .token()
    .await
}

/// The simulator's request counts (`/sim/stats`).
pub async fn stats(sim: &Sim) -> Res<Value> {
    sim.stats().await
}

/// Requests to API routes in `after` minus `before`, per route, and their sum.
pub fn requests_between(before: &Value, after: &Value) -> (u64, Value) {
    let mut per = serde_json::Map::new();
    let mut sum = 0;
    if let Some(m) = after["requests"].as_object() {
        for (route, n) in m {
            let d = n
                .as_u64()
                .unwrap_or(0)
                .saturating_sub(before["requests"][route].as_u64().unwrap_or(0));
            if d > 0 && route.contains("/api/") {
                per.insert(route.clone(), json!(d));
                sum += d;
            }
        }
    }
    (sum, Value::Object(per))
}

/// The simulator's own speed: 200 key-list pages of 50 out of 50,000 keys over loopback HTTP
/// (the queries of sim/examples/list_queries.txt). Returns (median, p95) in ms.
pub async fn sim_list_speed(base: &str) -> Res<(f64, f64)> {
    let jwt = http_token(base).await?;
    let http = reqwest::Client::new();
    // One query per line, shared by sim/examples/list_bench.rs and the benchmark driver.
    let queries: Vec<&str> = include_str!("../../../../sim/examples/list_queries.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect();
    let mut times = Vec::new();
    for i in 0..200 {
        let q = queries[i % queries.len()];
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/v1/cckm/sap/keys?{q}"))
            .bearer_auth(&jwt)
            .send()
            .await?;
        let ok = r.status().is_success();
        let _ = r.bytes().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if !ok {
            return Err(format!("list {q} failed").into());
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok((median(&times), times[times.len() * 95 / 100]))
}

/// Keys that are not gone, `n` of them from `skip` on: (id, name, group, sap_key_id).
pub async fn present_keys(base: &str, jwt: &str, skip: usize, n: usize) -> Res<Vec<Value>> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut at = skip;
    while out.len() < n {
        let page: Value = http
            .get(format!(
                "{base}/api/v1/cckm/sap/keys?limit=1000&skip={at}&gone=false&sort=name"
            ))
            .bearer_auth(jwt)
            .send()
            .await?
            .json()
            .await?;
        let items = page["resources"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return Err(format!("only {} present keys from {skip}", out.len()).into());
        }
        at += items.len();
        out.extend(
            items
                .into_iter()
                .filter(|k| k["sap_param"]["keystoreContext"]["customerHeld"] != json!(true)),
        );
    }
    out.truncate(n);
    Ok(out)
}

/// Now, in ms since the epoch (the clock the page's `Date.now()` reads).
pub fn now_epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Starts a delete job for each key through the API and returns the manager's answers, in order.
pub async fn start_jobs(base: &str, jwt: &str, keys: &[Value]) -> Res<Vec<Value>> {
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for k in keys {
        let r = http
            .post(format!("{base}/api/v1/cckm/sap/keys/jobs"))
            .bearer_auth(jwt)
            .json(&json!({"id": k["id"], "operation": "delete", "delete_if_backup_fails": false}))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("POST job for {}: {}", k["name"], r.status()).into());
        }
        answers.push(r.json().await?);
    }
    Ok(answers)
}
