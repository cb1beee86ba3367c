//! Helpers shared by the integration tests: start a simulator on port 0, log in, find keys, wait for jobs.
#![allow(dead_code)]

use cckm_sim::{Config, RunningServer};
use serde_json::{json, Value};
use std::time::Duration;

pub struct Sim {
    pub server: RunningServer,
    pub base: String,
    pub http: reqwest::Client,
}

pub fn config() -> Config {
    Config { job_ms: 300, ..Config::default() }
}

pub async fn start(config: Config) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = cckm_sim::start(config, listener).await.unwrap();
    let base = format!("http://{}", server.addr());
    Sim { server, base, http: reqwest::Client::new() }
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn login(&self) -> Value {
        let r = self
            .http
            .post(self.url("/api/v1/auth/tokens"))
            .json(&json!({"grant_type": "password", "username": "admin", "password": "admin"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// POST /api/v1/auth/tokens with `body`.
    pub async fn token(&self, body: Value) -> reqwest::Response {
        self.http.post(self.url("/api/v1/auth/tokens")).json(&body).send().await.unwrap()
    }

    /// Log in as a demo user (its name is its password) with extra grant fields (domain, connection…).
    pub async fn login_as(&self, user: &str, extra: Value) -> Value {
        let mut body = json!({"grant_type": "password", "username": user, "password": user});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self.token(body.clone()).await;
        assert_eq!(r.status(), 200, "login {body}");
        r.json().await.unwrap()
    }

    pub async fn jwt_as(&self, user: &str, extra: Value) -> String {
        self.login_as(user, extra).await["jwt"].as_str().unwrap().to_string()
    }

    /// GET /sim/stats (the control API must be on).
    pub async fn stats(&self) -> Value {
        self.http.get(self.url("/sim/stats")).send().await.unwrap().json().await.unwrap()
    }

    pub async fn jwt(&self) -> String {
        self.login().await["jwt"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, jwt: &str, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(jwt).send().await.unwrap()
    }

    pub async fn get_json(&self, jwt: &str, path: &str) -> Value {
        let r = self.get(jwt, path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn key_by_name(&self, jwt: &str, name: &str) -> Value {
        let q = format!("/api/v1/cckm/sap/keys?limit=1000&name={}", urlencode(name));
        let list = self.get_json(jwt, &q).await;
        list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("key {name} not found"))
    }

    pub async fn key(&self, jwt: &str, id: &str) -> Value {
        self.get_json(jwt, &format!("/api/v1/cckm/sap/keys/{id}")).await
    }

    pub async fn post_job(&self, jwt: &str, body: Value) -> reqwest::Response {
        self.http.post(self.url("/api/v1/cckm/sap/keys/jobs")).bearer_auth(jwt).json(&body).send().await.unwrap()
    }

    pub async fn create_job(&self, jwt: &str, body: Value) -> Value {
        let r = self.post_job(jwt, body).await;
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    pub async fn wait_job(&self, jwt: &str, id: &str) -> Value {
        for _ in 0..400 {
            let j = self.get_json(jwt, &format!("/api/v1/cckm/sap/keys/jobs/{id}")).await;
            let s = j["state"].as_str().unwrap();
            if s == "COMPLETED" || s == "FAILED" {
                return j;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} never ended");
    }

    pub async fn run_job(&self, jwt: &str, key_id: &str, op: &str, flag: Value) -> Value {
        let job = self.create_job(jwt, json!({"id": key_id, "operation": op, "delete_if_backup_fails": flag})).await;
        self.wait_job(jwt, job["id"].as_str().unwrap()).await
    }
}

/// The claims of a JWT.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The manager's error number for each `NCERR…` name (5, 14, 16 are the manager's own [C]; the
/// others are the simulator's choice [S], see sim/src/errors.rs).
pub fn manager_code(name: &str) -> u64 {
    match name {
        "NCERRUnauthorizedAccess" => 5,
        "NCERRForbidden" => 6,
        "NCERRInvalidParamValue" => 9,
        "NCERRConflict" => 11,
        "NCERRInternalServerError" => 14,
        "NCERRResourceNotFound" => 16,
        "NCERRMethodNotAllowed" => 17,
        "NCERRRequestEntityTooLarge" => 18,
        "NCERRTooManyRequests" => 19,
        other => panic!("no manager code known for {other}"),
    }
}

/// Assert `r` is an error in the manager's shape with `status`, the manager's number for `name`
/// in `code`, a `codeDesc` that is `name` or starts with `name: `, a message and a UUID `requestID`.
pub async fn assert_error(r: reqwest::Response, status: u16, name: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let text = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert_eq!(v["code"], manager_code(name), "{v}");
    let desc = v["codeDesc"].as_str().unwrap();
    assert!(desc == name || desc.starts_with(&format!("{name}: ")), "{v}");
    assert!(!v["message"].as_str().unwrap().is_empty());
    uuid::Uuid::parse_str(v["requestID"].as_str().unwrap()).unwrap_or_else(|_| panic!("requestID not a UUID: {v}"));
    v
}
