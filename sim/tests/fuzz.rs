//! Random requests (issue #6, "Security"): a few thousand requests of random method, path, query,
//! token and body are thrown at the simulator. It must never answer 5xx unless a fault asked for
//! it, every /api error must be in the manager's shape, forged / expired / other-user tokens and
//! bodies over the limit must be refused, and its store must stay consistent.
mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Requests sent by the clean run; reported in docs/reliability.md.
const CLEAN_REQUESTS: usize = 3000;
/// Requests sent while `error_rate` faults are on.
const FAULT_REQUESTS: usize = 600;
const CONCURRENCY: usize = 8;

fn sign(secret: &str, claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{h}.{p}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn claims(user: &str, exp_offset: i64) -> Value {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let uid = cckm_sim::auth::user_id(user);
    json!({"aud":"x","sub":format!("local|{uid}"),"iss":"kylo","acc":"kylo","preferred_username":user,
           "cust":{"domain_id":"0","groups":["admin"],"sid":"s","zone_id":"0"},"jwtid":"j","iat":now - 10,"exp":now + exp_offset})
}

/// The kinds of Authorization a random request carries, and whether the simulator must accept it.
#[derive(Clone)]
struct Tokens {
    valid: String,
    refused: Vec<(String, &'static str)>,
}

fn tokens(secret: &str, valid: String) -> Tokens {
    let forged = sign("not-the-secret", &claims("admin", 300));
    let expired = sign(secret, &claims("admin", -5));
    let other_user = sign(secret, &claims("mallory", 300));
    let mut parts: Vec<&str> = valid.split('.').collect();
    let tampered_payload = URL_SAFE_NO_PAD.encode(claims("admin", 99_999).to_string());
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    let none_alg = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims("admin", 300).to_string())
    );
    Tokens {
        valid,
        refused: vec![
            (forged, "forged"),
            (expired, "expired"),
            (other_user, "other-user"),
            (tampered, "tampered"),
            (none_alg, "alg-none"),
            ("garbage".into(), "garbage"),
            (String::new(), "empty"),
        ],
    }
}

fn random_string(rng: &mut ChaCha8Rng, max: usize) -> String {
    let n = rng.gen_range(0..=max);
    let alphabet: Vec<char> = "abcXYZ019-_.~%/?&=#:;'\"<>{}[] \\\u{202e}\u{1F511}é\u{0}\t\n".chars().collect();
    (0..n).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect()
}

fn pct(s: &str) -> String {
    common::urlencode(s)
}

fn random_json(rng: &mut ChaCha8Rng, depth: u32) -> Value {
    match rng.gen_range(0..if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>()),
        4 => json!(random_string(rng, 20)),
        5 => Value::Array((0..rng.gen_range(0..4)).map(|_| random_json(rng, depth - 1)).collect()),
        _ => {
            let names = [
                "id",
                "operation",
                "delete_if_backup_fails",
                "grant_type",
                "username",
                "password",
                "refresh_token",
                "x",
            ];
            Value::Object(
                (0..rng.gen_range(0..5))
                    .map(|_| (names[rng.gen_range(0..names.len())].to_string(), random_json(rng, depth - 1)))
                    .collect(),
            )
        }
    }
}

struct Req {
    method: reqwest::Method,
    path: String,
    auth: Option<(String, bool)>,
    body: Option<Vec<u8>>,
    /// The request must be refused with this status (auth, size) whatever else it holds.
    must: Option<u16>,
}

fn random_request(rng: &mut ChaCha8Rng, t: &Tokens, key_ids: &[String], job_ids: &[String]) -> Req {
    let some_key = key_ids[rng.gen_range(0..key_ids.len())].clone();
    let id = match rng.gen_range(0..4) {
        0 => some_key,
        1 if !job_ids.is_empty() => job_ids[rng.gen_range(0..job_ids.len())].clone(),
        2 => uuid::Uuid::new_v4().to_string(),
        _ => pct(&random_string(rng, 40)),
    };
    let q = {
        let fields = ["skip", "limit", "sort", "name", "gone", "enabled", "sap_group_name", "type", "size", "x", "id"];
        let n = rng.gen_range(0..5);
        let mut q = Vec::new();
        for _ in 0..n {
            let f = fields[rng.gen_range(0..fields.len())];
            let v = match rng.gen_range(0..4) {
                0 => rng.gen::<i64>().to_string(),
                1 => {
                    ["true", "false", "-name", "name,-createdAt", "createdAt", "-", ""][rng.gen_range(0..7)].to_string()
                }
                _ => pct(&random_string(rng, 30)),
            };
            q.push(format!("{f}={v}"));
        }
        if rng.gen_bool(0.05) {
            q.push("%%%zz=&&=".into());
        }
        q.join("&")
    };
    let (method, path) = match rng.gen_range(0..10) {
        0 => (reqwest::Method::GET, format!("/api/v1/cckm/sap/keys?{q}")),
        1 => (reqwest::Method::GET, format!("/api/v1/cckm/sap/groups?{q}")),
        2 => (reqwest::Method::GET, format!("/api/v1/cckm/sap/keys/{id}")),
        3 => (reqwest::Method::GET, format!("/api/v1/cckm/sap/keys/jobs/{id}")),
        4 | 5 => (reqwest::Method::POST, "/api/v1/cckm/sap/keys/jobs".to_string()),
        6 => (reqwest::Method::POST, "/api/v1/auth/tokens".to_string()),
        7 => {
            let m = [reqwest::Method::PUT, reqwest::Method::DELETE, reqwest::Method::PATCH, reqwest::Method::GET];
            let p = ["/api/v1/cckm/sap/keys", "/api/v1/auth/tokens", "/api/v1/cckm/sap/keys/jobs", "/api"];
            (m[rng.gen_range(0..m.len())].clone(), p[rng.gen_range(0..p.len())].to_string())
        }
        8 => (reqwest::Method::GET, format!("/api/v1/{}", pct(&random_string(rng, 30)))),
        _ => (reqwest::Method::GET, format!("/api/v1/cckm/sap/keys/{id}/{}", pct(&random_string(rng, 10)))),
    };
    let auth_roll = rng.gen_range(0..10);
    let auth = match auth_roll {
        0 => None,
        1..=3 => {
            let (tok, _) = &t.refused[rng.gen_range(0..t.refused.len())];
            Some((tok.clone(), false))
        }
        _ => Some((t.valid.clone(), true)),
    };
    let body = if method == reqwest::Method::POST || rng.gen_bool(0.1) {
        Some(match rng.gen_range(0..8) {
            0 => (0..rng.gen_range(0..200)).map(|_| rng.gen::<u8>()).collect(),
            1 => random_json(rng, 3).to_string().into_bytes(),
            2 => vec![b'{'; rng.gen_range(1..10)],
            3 if rng.gen_bool(0.2) => vec![b' '; cckm_sim::BODY_LIMIT + 1 + rng.gen_range(0..1000)],
            4 => {
                json!({"grant_type": "password", "username": random_string(rng, 8), "password": random_string(rng, 8)})
                    .to_string()
                    .into_bytes()
            }
            5 => {
                json!({"grant_type": "refresh_token", "refresh_token": random_string(rng, 30)}).to_string().into_bytes()
            }
            _ => {
                let ops = [json!("delete"), json!("restore"), json!("DELETE"), json!("purge"), json!(1), Value::Null];
                let flags = [json!(true), json!(false), json!("true"), json!("no"), json!(3), Value::Null];
                let key = if rng.gen_bool(0.8) {
                    json!(key_ids[rng.gen_range(0..key_ids.len())])
                } else {
                    random_json(rng, 1)
                };
                json!({"id": key, "operation": ops[rng.gen_range(0..ops.len())], "delete_if_backup_fails": flags[rng.gen_range(0..flags.len())]})
                    .to_string()
                    .into_bytes()
            }
        })
    } else {
        None
    };
    let oversize = body.as_ref().is_some_and(|b| b.len() > cckm_sim::BODY_LIMIT);
    let authed_route =
        path.starts_with("/api/v1/cckm/sap/") && (method == reqwest::Method::GET || method == reqwest::Method::POST);
    let must = match &auth {
        // A route that needs a token: a refused or missing token is 401, whatever the body.
        // (An oversize body may be refused first, with 413: both are refusals.)
        Some((_, false)) | None if authed_route && !oversize && known_route(&method, &path) => Some(401),
        _ if oversize && method == reqwest::Method::POST && known_route(&method, &path) => Some(413),
        _ => None,
    };
    Req { method, path, auth, body, must }
}

fn known_route(m: &reqwest::Method, path: &str) -> bool {
    let p = path.split('?').next().unwrap_or("");
    let segs: Vec<&str> = p.split('/').collect();
    if segs.iter().skip(1).any(|s| s.is_empty() || *s == "." || *s == "..")
        || segs.get(7).is_none() && segs.get(6) == Some(&"jobs") && m.as_str() == "GET"
    {
        return false;
    }
    matches!(
        (m.as_str(), segs.as_slice()),
        ("GET", ["", "api", "v1", "cckm", "sap", "keys" | "groups"])
            | ("GET", ["", "api", "v1", "cckm", "sap", "keys", _])
            | ("GET", ["", "api", "v1", "cckm", "sap", "keys", "jobs", _])
            | ("POST", ["", "api", "v1", "cckm", "sap", "keys", "jobs"])
            | ("POST", ["", "api", "v1", "auth", "tokens"])
    )
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    server_errors: AtomicU64,
    refused_tokens: AtomicU64,
    too_large: AtomicU64,
    created_jobs: AtomicU64,
}

/// Sends `n` random requests, `CONCURRENCY` at a time; returns every problem found.
async fn barrage(sim: &common::Sim, seed: u64, n: usize, faults_on: bool, tally: Arc<Tally>) -> Vec<String> {
    let jwt = sim.jwt().await;
    let secret = sim.server.app().read_store().secret.clone();
    let t = tokens(&secret, jwt);
    let key_ids: Vec<String> = sim.server.app().read_store().keys.iter().map(|k| k.id.to_string()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut problems = Vec::new();
    let mut sent = 0;
    while sent < n {
        let job_ids: Vec<String> = sim.server.app().read_store().jobs.keys().map(|j| j.to_string()).collect();
        let batch: Vec<Req> =
            (0..CONCURRENCY.min(n - sent)).map(|_| random_request(&mut rng, &t, &key_ids, &job_ids)).collect();
        sent += batch.len();
        let futs = batch.into_iter().map(|r| {
            let http = sim.http.clone();
            let url = sim.url(&r.path);
            let tally = tally.clone();
            async move {
                let mut rb = http.request(r.method.clone(), url);
                if let Some((tok, _)) = &r.auth {
                    rb = rb.header("Authorization", format!("Bearer {tok}"));
                }
                if let Some(b) = r.body.clone() {
                    rb = rb.header("Content-Type", "application/json").body(b);
                }
                tally.sent.fetch_add(1, Ordering::Relaxed);
                let resp = match rb.send().await {
                    Ok(x) => x,
                    // A body over the limit may be cut off by the server before it is all sent.
                    Err(_) if r.must == Some(413) => return Ok(()),
                    Err(e) => return Err(format!("{} {}: no answer: {e}", r.method, r.path)),
                };
                let status = resp.status().as_u16();
                let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let text = resp.text().await.unwrap_or_default();
                let what = format!(
                    "{} {} -> {status}: {}",
                    r.method,
                    r.path.chars().take(80).collect::<String>(),
                    text.chars().take(160).collect::<String>()
                );
                if status >= 500 {
                    tally.server_errors.fetch_add(1, Ordering::Relaxed);
                    if !(faults_on && status == 500 && text.contains("simulated manager failure")) {
                        return Err(format!("unasked-for 5xx: {what}"));
                    }
                }
                if let Some(m) = r.must {
                    // 401 and 413 are both refusals; which check runs first is the server's business.
                    let ok = status == m || matches!(status, 401 | 413) || (faults_on && status == 500);
                    if !ok {
                        return Err(format!("expected {m}: {what}"));
                    }
                }
                if status == 401 {
                    tally.refused_tokens.fetch_add(1, Ordering::Relaxed);
                }
                if status == 413 {
                    tally.too_large.fetch_add(1, Ordering::Relaxed);
                }
                if status == 201 {
                    tally.created_jobs.fetch_add(1, Ordering::Relaxed);
                }
                if r.auth.as_ref().is_some_and(|(_, ok)| !ok) && status < 300 && r.path.starts_with("/api/v1/cckm/") {
                    return Err(format!("a refused token was accepted: {what}"));
                }
                if status >= 400 && r.path.starts_with("/api") {
                    if !ct.starts_with("application/json") {
                        return Err(format!("error not JSON ({ct}): {what}"));
                    }
                    let v: Value = serde_json::from_str(&text).map_err(|_| format!("error body not JSON: {what}"))?;
                    let name = v["codeDesc"].as_str().and_then(|c| c.split(':').next()).unwrap_or("");
                    let shape = name.starts_with("NCERR")
                        && v["code"] == common::manager_code(name)
                        && v["message"].as_str().is_some_and(|m| !m.is_empty())
                        && v["requestID"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok());
                    if !shape {
                        return Err(format!("error not in the manager's shape: {what}"));
                    }
                    if r.auth.as_ref().is_some_and(|(tok, _)| tok.len() > 20 && text.contains(tok.as_str())) {
                        return Err(format!("a token was echoed in an error: {what}"));
                    }
                }
                Ok(())
            }
        });
        for r in futures_join_all(futs).await {
            if let Err(p) = r {
                problems.push(p);
            }
        }
    }
    problems
}

async fn futures_join_all<F: std::future::Future<Output = Result<(), String>>>(
    futs: impl Iterator<Item = F>,
) -> Vec<Result<(), String>> {
    let mut out = Vec::new();
    let handles: Vec<_> = futs.collect();
    // Run them concurrently on this task.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = handles.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<Result<(), String>>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => done[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.extend(done.into_iter().flatten());
    out
}

/// The store's invariants: every key indexed once; a key's running job exists and is not
/// finished; every unfinished job is its key's running job; every job's key exists.
fn check_store(sim: &common::Sim, keys_before: usize) -> Vec<String> {
    let store = sim.server.app().read_store();
    let mut problems = Vec::new();
    if store.keys.len() != keys_before {
        problems.push(format!("key count changed: {keys_before} -> {}", store.keys.len()));
    }
    for (i, k) in store.keys.iter().enumerate() {
        if store.key_index.get(&k.id) != Some(&i) {
            problems.push(format!("key {} badly indexed", k.id));
        }
        if let Some(j) = k.active_job {
            match store.jobs.get(&j) {
                Some(job) if !job.state.terminal() && job.cckm_key_id == k.id => {}
                other => problems.push(format!("key {} points at job {j}: {:?}", k.id, other.map(|j| j.state))),
            }
        }
    }
    for j in store.jobs.values() {
        match store.key_index.get(&j.cckm_key_id) {
            None => problems.push(format!("job {} for unknown key", j.id)),
            Some(&i) if !j.state.terminal() && store.keys[i].active_job != Some(j.id) => {
                problems.push(format!("unfinished job {} is not its key's running job", j.id))
            }
            _ => {}
        }
    }
    problems
}

async fn wait_jobs_end(sim: &common::Sim) {
    for _ in 0..100 {
        if sim.server.app().read_store().jobs.values().all(|j| j.state.terminal()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("jobs never ended");
}

#[tokio::test]
async fn random_requests_never_5xx_and_keep_the_store_consistent() {
    let sim = common::start(cckm_sim::Config { job_ms: 200, keys: 80, control: true, ..Default::default() }).await;
    let keys_before = sim.server.app().read_store().keys.len();
    let tally = Arc::new(Tally::default());
    let mut problems = barrage(&sim, 0x5eed, CLEAN_REQUESTS, false, tally.clone()).await;
    problems.extend(check_store(&sim, keys_before));
    wait_jobs_end(&sim).await;
    problems.extend(check_store(&sim, keys_before));
    assert!(
        sim.server.app().read_store().keys.iter().all(|k| k.active_job.is_none()),
        "a finished job left its key busy"
    );

    // The same with 30 % simulated manager failures on every /api route: only those are 5xx.
    let r = sim.http.put(sim.url("/sim/faults")).json(&json!({"error_rate": 0.3})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    problems.extend(barrage(&sim, 0xfa17, FAULT_REQUESTS, true, tally.clone()).await);
    sim.http.put(sim.url("/sim/faults")).json(&json!({})).send().await.unwrap();
    wait_jobs_end(&sim).await;
    problems.extend(check_store(&sim, keys_before));

    let sent = tally.sent.load(Ordering::Relaxed);
    println!(
        "random requests sent: {sent}; refused tokens: {}; bodies over the limit: {}; jobs created: {}; simulated 5xx: {}",
        tally.refused_tokens.load(Ordering::Relaxed),
        tally.too_large.load(Ordering::Relaxed),
        tally.created_jobs.load(Ordering::Relaxed),
        tally.server_errors.load(Ordering::Relaxed),
    );
    assert_eq!(sent as usize, CLEAN_REQUESTS + FAULT_REQUESTS);
    assert!(tally.refused_tokens.load(Ordering::Relaxed) > 200, "the barrage must exercise refused tokens");
    assert!(tally.too_large.load(Ordering::Relaxed) > 5, "the barrage must exercise oversize bodies");
    assert!(tally.created_jobs.load(Ordering::Relaxed) > 5, "the barrage must create some jobs");
    problems.truncate(20);
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test]
async fn each_refused_token_kind_gets_401_in_the_manager_shape() {
    let sim = common::start(common::config()).await;
    let jwt = sim.jwt().await;
    let secret = sim.server.app().read_store().secret.clone();
    let t = tokens(&secret, jwt.clone());
    let r = sim.get(&jwt, "/api/v1/cckm/sap/keys?limit=1").await;
    assert_eq!(r.status(), 200);
    for (tok, what) in &t.refused {
        for path in [
            "/api/v1/cckm/sap/keys?limit=1",
            "/api/v1/cckm/sap/groups",
            "/api/v1/cckm/sap/keys/jobs/5db60499-9f4f-4143-b963-370459d3cef1",
        ] {
            let r = sim.http.get(sim.url(path)).header("Authorization", format!("Bearer {tok}")).send().await.unwrap();
            assert_eq!(r.status(), 401, "{what} token on {path}");
            let v = common::assert_error(r, 401, "NCERRUnauthorizedAccess").await;
            assert!(!tok.is_empty() && !v.to_string().contains(tok.as_str()) || tok.is_empty(), "{what} echoed");
        }
    }
    // A body over the limit, with a valid token.
    let big = format!("{{\"id\":\"{}\"}}", "x".repeat(cckm_sim::BODY_LIMIT + 10));
    let r = sim
        .http
        .post(sim.url("/api/v1/cckm/sap/keys/jobs"))
        .bearer_auth(&jwt)
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    common::assert_error(r, 413, "NCERRRequestEntityTooLarge").await;
    // Malformed input.
    for body in ["", "{", "[]", "null", "{\"id\":5}", "{\"id\":\"nope\",\"operation\":\"delete\"}"] {
        let r = sim
            .http
            .post(sim.url("/api/v1/cckm/sap/keys/jobs"))
            .bearer_auth(&jwt)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        common::assert_error(r, 400, "NCERRInvalidParamValue").await;
    }
}
