//! The /sim control API (stats, faults), security headers, the page with its SPA fallback, and CORS.

mod common;

use common::{assert_error, config, start};
use serde_json::{json, Value};

const KEYS: &str = "/api/v1/cckm/sap/keys";

fn control() -> cckm_sim::Config {
    cckm_sim::Config { control: true, ..config() }
}

async fn put_faults(sim: &common::Sim, f: Value) -> reqwest::Response {
    sim.http.put(sim.url("/sim/faults")).json(&f).send().await.unwrap()
}

#[tokio::test]
async fn stats_count_by_route_pattern() {
    let sim = start(control()).await;
    let jwt = sim.jwt().await;
    let k = sim.key_by_name(&jwt, "payroll-master").await;
    let job = sim.create_job(&jwt, json!({"id": k["id"], "operation": "delete"})).await;
    for _ in 0..3 {
        sim.get_json(&jwt, &format!("/api/v1/cckm/sap/keys/jobs/{}", job["id"].as_str().unwrap())).await;
    }
    let s: Value = sim.http.get(sim.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["requests"]["POST /api/v1/auth/tokens"], 1);
    assert_eq!(s["requests"]["GET /api/v1/cckm/sap/keys"], 1);
    assert_eq!(s["requests"]["POST /api/v1/cckm/sap/keys/jobs"], 1);
    assert_eq!(s["requests"]["GET /api/v1/cckm/sap/keys/jobs/{id}"], 3);
    assert_eq!(s["total_requests"], 6);
    assert_eq!(s["max_in_flight"]["GET /api/v1/cckm/sap/keys/jobs/{id}"], 1);
    assert_eq!(s["in_flight"]["GET /api/v1/cckm/sap/keys/jobs/{id}"], 0);
    // max_in_flight sees concurrency (latency keeps requests in flight together).
    assert_eq!(
        put_faults(&sim, json!({"latency_ms": 300, "routes": ["GET /api/v1/cckm/sap/keys/{id}"]})).await.status(),
        200
    );
    let url = sim.url(&format!("{KEYS}/{}", k["id"].as_str().unwrap()));
    let reqs: Vec<_> = (0..5).map(|_| sim.http.get(&url).bearer_auth(&jwt).send()).collect();
    for r in futures_join(reqs).await {
        assert_eq!(r.status(), 200);
    }
    let s: Value = sim.http.get(sim.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["requests"]["GET /api/v1/cckm/sap/keys/{id}"], 5);
    assert_eq!(s["max_in_flight"]["GET /api/v1/cckm/sap/keys/{id}"], 5);
    let r: Value = sim.http.post(sim.url("/sim/stats/reset")).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["total_requests"], 0);
    let s: Value = sim.http.get(sim.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["total_requests"], 0);
    assert_eq!(s["requests"], json!({}));
}

async fn futures_join<F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static>(
    futs: Vec<F>,
) -> Vec<reqwest::Response> {
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn faults_round_trip_and_validation() {
    let sim = start(control()).await;
    let empty: Value = sim.http.get(sim.url("/sim/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(empty, json!({}));
    let f = json!({"latency_ms": 5, "error_rate": 0.5, "routes": ["GET /api/v1/cckm/sap/keys"]});
    assert_eq!(put_faults(&sim, f.clone()).await.status(), 200);
    let back: Value = sim.http.get(sim.url("/sim/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(back, f);
    for bad in [
        json!({"error_rate": 2.0}),
        json!({"latency_ms": -1}),
        json!({"nonsense": true}),
        json!({"routes": "x"}),
        json!({"fail_keys": ["not-a-uuid"]}),
        json!({"fail_keys": "x"}),
        json!([1]),
    ] {
        assert_error(put_faults(&sim, bad).await, 400, "NCERRInvalidParamValue").await;
    }
    let r = sim.http.put(sim.url("/sim/faults")).body("{oops").send().await.unwrap();
    assert_error(r, 400, "NCERRInvalidParamValue").await;
    // Control API is off by default.
    let plain = start(config()).await;
    assert_error(plain.http.get(plain.url("/sim/faults")).send().await.unwrap(), 404, "NCERRResourceNotFound").await;
}

#[tokio::test]
async fn fault_error_rate_and_rate_limit() {
    let sim = start(control()).await;
    let jwt = sim.jwt().await;
    put_faults(&sim, json!({"error_rate": 1.0})).await;
    for _ in 0..5 {
        assert_error(sim.get(&jwt, KEYS).await, 500, "NCERRInternalServerError").await;
    }
    // The token endpoint is spared unless named.
    assert_eq!(sim.login().await["token_type"], "Bearer");
    put_faults(&sim, json!({"rate_limit_per_sec": 2.0, "retry_after_secs": 3})).await;
    let mut limited = 0;
    for _ in 0..10 {
        let r = sim.get(&jwt, KEYS).await;
        if r.status() == 429 {
            assert_eq!(r.headers()["retry-after"], "3");
            assert_error(r, 429, "NCERRTooManyRequests").await;
            limited += 1;
        } else {
            assert_eq!(r.status(), 200);
        }
    }
    assert!(limited >= 5, "only {limited} of 10 limited");
    put_faults(&sim, json!({"rate_limit_per_sec": 0.5})).await;
    let mut got = None;
    for _ in 0..3 {
        let r = sim.get(&jwt, KEYS).await;
        if r.status() == 429 {
            got = Some(r.headers()["retry-after"].to_str().unwrap().to_string());
        }
    }
    assert_eq!(got.as_deref(), Some("2"));
    put_faults(&sim, json!({})).await;
    assert_eq!(sim.get(&jwt, KEYS).await.status(), 200);
}

#[tokio::test]
async fn fault_garbage_truncate_and_job_failures() {
    let sim = start(control()).await;
    let jwt = sim.jwt().await;
    put_faults(&sim, json!({"garbage_rate": 1.0})).await;
    let r = sim.get(&jwt, KEYS).await;
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<Value>(&r.text().await.unwrap()).is_err());
    put_faults(&sim, json!({"truncate_rate": 1.0})).await;
    let r = sim.get(&jwt, &format!("{KEYS}?limit=5")).await;
    let text = r.text().await.unwrap();
    assert!(!text.is_empty());
    assert!(serde_json::from_str::<Value>(&text).is_err());
    // Routes restrict faults: keys truncated, groups untouched.
    put_faults(&sim, json!({"truncate_rate": 1.0, "routes": ["/api/v1/cckm/sap/keys"]})).await;
    assert!(serde_json::from_str::<Value>(&sim.get(&jwt, KEYS).await.text().await.unwrap()).is_err());
    sim.get_json(&jwt, "/api/v1/cckm/sap/groups").await;
    put_faults(&sim, json!({"job_failure_rate": 1.0})).await;
    let k = sim.key_by_name(&jwt, "payroll-master").await;
    let j = sim.run_job(&jwt, k["id"].as_str().unwrap(), "delete", json!(false)).await;
    assert_eq!(j["state"], "FAILED");
    assert_eq!(j["error_details"], "simulated SAP failure");
    assert_eq!(sim.key(&jwt, k["id"].as_str().unwrap()).await["gone"], false);
    put_faults(&sim, json!({})).await;
    let j = sim.run_job(&jwt, k["id"].as_str().unwrap(), "delete", json!(false)).await;
    assert_eq!(j["state"], "COMPLETED");
}

#[tokio::test]
async fn fail_keys_fails_exactly_the_jobs_of_those_keys() {
    let sim = start(control()).await;
    let jwt = sim.jwt().await;
    let bad = sim.key_by_name(&jwt, "payroll-master").await;
    let good = sim.key_by_name(&jwt, "payroll-reporting").await;
    let (bad, good) = (bad["id"].as_str().unwrap(), good["id"].as_str().unwrap());
    let f = json!({"fail_keys": [bad.to_uppercase()]});
    assert_eq!(put_faults(&sim, f.clone()).await.status(), 200);
    let back: Value = sim.http.get(sim.url("/sim/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(back, f);
    let j = sim.run_job(&jwt, bad, "delete", json!(false)).await;
    assert_eq!((j["state"].as_str(), j["error_details"].as_str()), (Some("FAILED"), Some("simulated SAP failure")));
    assert_eq!(sim.key(&jwt, bad).await["gone"], false);
    let j = sim.run_job(&jwt, good, "delete", json!(false)).await;
    assert_eq!(j["state"], "COMPLETED");
    // Cleared, the key's next job runs as usual.
    put_faults(&sim, json!({})).await;
    let j = sim.run_job(&jwt, bad, "delete", json!(false)).await;
    assert_eq!(j["state"], "COMPLETED");
}

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn assert_security_headers(r: &reqwest::Response) {
    let h = r.headers();
    assert_eq!(h["content-security-policy"], CSP, "{}", r.url());
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
}

#[tokio::test]
async fn static_page_spa_fallback_and_security_headers() {
    let dir = std::env::temp_dir().join(format!("cckm-sim-static-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>page</title>").unwrap();
    std::fs::write(dir.join("pkg/app.js"), "console.log(1)").unwrap();
    std::fs::write(dir.join("pkg/app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("app.css"), "body{}").unwrap();
    let sim = start(cckm_sim::Config { static_dir: Some(dir.clone()), control: true, ..config() }).await;
    let get = |p: &str| sim.http.get(sim.url(p)).send();
    let r = get("/").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_security_headers(&r);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(r.text().await.unwrap().contains("<title>page</title>"));
    let r = get("/jobs/some/deep/link").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(r.text().await.unwrap().contains("<title>page</title>"));
    let r = get("/pkg/app.js").await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/javascript");
    assert_security_headers(&r);
    let r = get("/pkg/app_bg.wasm").await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/wasm");
    let r = get("/app.css").await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    // Reserved prefixes never fall back to the page.
    let r = get("/api/v1/nope").await.unwrap();
    assert_security_headers(&r);
    assert_error(r, 404, "NCERRResourceNotFound").await;
    let r = get("/sim/nope").await.unwrap();
    assert_error(r, 404, "NCERRResourceNotFound").await;
    // API responses, errors and control responses all carry the headers.
    let r = sim
        .http
        .post(sim.url("/api/v1/auth/tokens"))
        .json(&json!({"username":"admin","password":"admin"}))
        .send()
        .await
        .unwrap();
    assert_security_headers(&r);
    assert_security_headers(&sim.http.get(sim.url(KEYS)).send().await.unwrap());
    assert_security_headers(&sim.http.get(sim.url("/sim/stats")).send().await.unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn cors_off_by_default_and_loopback_only_when_on() {
    let preflight = |sim: &common::Sim, origin: &'static str| {
        sim.http
            .request(reqwest::Method::OPTIONS, sim.url(KEYS))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let off = start(config()).await;
    let r = preflight(&off, "http://127.0.0.1:5173").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = off.http.get(off.url(KEYS)).header("origin", "http://localhost:3000").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let on = start(cckm_sim::Config { cors: true, ..config() }).await;
    for origin in ["http://127.0.0.1:5173", "http://localhost:3000"] {
        let r = preflight(&on, origin).await.unwrap();
        assert!(r.status().is_success());
        assert_eq!(r.headers()["access-control-allow-origin"], origin);
        let allowed = r.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(allowed.contains("authorization"));
        let jwt = on.jwt().await;
        let r = on.http.get(on.url(KEYS)).bearer_auth(&jwt).header("origin", origin).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["access-control-allow-origin"], origin);
    }
    for origin in ["http://evil.example", "http://127.0.0.1.evil.example:80", "https://localhost.evil:1"] {
        let r = preflight(&on, origin).await.unwrap();
        assert!(r.headers().get("access-control-allow-origin").is_none(), "{origin}");
    }
}
