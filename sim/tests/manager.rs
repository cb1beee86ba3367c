//! Speaking like a real manager (issue #13): error numbers and requestIDs, users in domains and
//! authentication sources, the domain in the JWT, refresh tokens that expire when idle, and the
//! requestID in the log line of the binary.

mod common;

use common::{assert_error, claims, config, start};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

const KEYS: &str = "/api/v1/cckm/sap/keys";
const GROUPS: &str = "/api/v1/cckm/sap/groups";
const WRONG: &str = "Wrong username or password.";

async fn body(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

#[tokio::test]
async fn error_bodies_carry_the_managers_numbers_and_a_fresh_request_id() {
    let sim = start(cckm_sim::Config { control: true, ..config() }).await;
    let mut ids = HashSet::new();
    for _ in 0..3 {
        let r = sim.token(json!({"username": "admin", "password": "nope"})).await;
        assert_eq!(r.status(), 401);
        let v = body(r).await;
        assert_eq!(v["code"], 5);
        assert_eq!(v["codeDesc"], "NCERRUnauthorizedAccess");
        assert_eq!(v["message"], WRONG);
        ids.insert(v["requestID"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 3, "a fresh requestID per error");
    let jwt = sim.jwt().await;
    let v = body(sim.get(&jwt, &format!("{KEYS}/{}", uuid::Uuid::new_v4())).await).await;
    assert_eq!(
        (v["code"].clone(), v["codeDesc"].clone()),
        (json!(16), json!("NCERRResourceNotFound: Resource not found"))
    );
    assert!(ids.insert(v["requestID"].as_str().unwrap().to_string()));
    assert_error(sim.get(&jwt, &format!("{KEYS}?limit=x")).await, 400, "NCERRInvalidParamValue").await;
    let hr = sim.key_by_name(&jwt, "hr-archive-2019").await;
    assert_error(sim.post_job(&jwt, json!({"id": hr["id"], "operation": "delete"})).await, 409, "NCERRConflict").await;
    sim.http.put(sim.url("/sim/faults")).json(&json!({"error_rate": 1.0})).send().await.unwrap();
    let v = assert_error(sim.get(&jwt, KEYS).await, 500, "NCERRInternalServerError").await;
    assert_eq!(v["code"], 14);
    assert_eq!(v["codeDesc"], "NCERRInternalServerError: unexpected error");
    sim.http
        .put(sim.url("/sim/faults"))
        .json(&json!({"rate_limit_per_sec": 0.5, "retry_after_secs": 4}))
        .send()
        .await
        .unwrap();
    let mut limited = None;
    for _ in 0..3 {
        let r = sim.get(&jwt, KEYS).await;
        if r.status() == 429 {
            assert_eq!(r.headers()["retry-after"], "4");
            limited = Some(assert_error(r, 429, "NCERRTooManyRequests").await);
        }
    }
    assert_eq!(limited.expect("throttled")["code"], 19);
    sim.http.put(sim.url("/sim/faults")).json(&json!({})).send().await.unwrap();
    // Every 401, not only the wrong password, is the bare name with code 5.
    let v = assert_error(sim.http.get(sim.url(GROUPS)).send().await.unwrap(), 401, "NCERRUnauthorizedAccess").await;
    assert_eq!(v["codeDesc"], "NCERRUnauthorizedAccess");
}

/// (user, extra grant fields, domain logged into, user groups)
fn demo_logins() -> Vec<(&'static str, Value, &'static str, Value)> {
    vec![
        ("admin", json!({}), "root", json!(["admin"])),
        ("custodian", json!({"connection": "local_account"}), "root", json!(["key-custodians"])),
        ("auditor", json!({"domain": "root"}), "root", json!(["key-auditors"])),
        ("ldap-custodian", json!({"connection": "corp-ldap"}), "root", json!(["ldap-custodians"])),
        ("eu-admin", json!({"domain": "eu-payments"}), "eu-payments", json!(["admin"])),
        ("admin", json!({"domain": "eu-payments"}), "eu-payments", json!(["admin"])),
    ]
}

#[tokio::test]
async fn each_demo_user_logs_in_and_its_token_carries_the_domain() {
    let sim = start(config()).await;
    let eu_id = cckm_sim::users::domain_id("eu-payments").to_string();
    let mut subs = HashSet::new();
    for (user, extra, domain, groups) in demo_logins() {
        let t = sim.login_as(user, extra.clone()).await;
        let jwt = t["jwt"].as_str().unwrap();
        let c = claims(jwt);
        assert_eq!(c["preferred_username"], user);
        assert_eq!(c["cust"]["domain"], domain, "{user} {extra}");
        let want_id = if domain == "root" { uuid::Uuid::nil().to_string() } else { eu_id.clone() };
        assert_eq!(c["cust"]["domain_id"], want_id);
        assert_eq!(c["cust"]["groups"], groups);
        let sub = c["sub"].as_str().unwrap();
        let prefix = if user == "ldap-custodian" { "ldap|" } else { "local|" };
        assert!(sub.starts_with(prefix), "{sub}");
        uuid::Uuid::parse_str(&sub[prefix.len()..]).unwrap();
        assert!(subs.insert(sub.to_string()), "{user} in {domain} shares a sub");
        // Every demo user's token is accepted.
        assert_eq!(sim.get(jwt, GROUPS).await.status(), 200, "{user} {extra}");
        // A refresh remembers user, domain and connection.
        let r = sim.token(json!({"grant_type": "refresh_token", "refresh_token": t["refresh_token"]})).await;
        assert_eq!(r.status(), 200);
        let c2 = claims(body(r).await["jwt"].as_str().unwrap());
        assert_eq!((c2["sub"].clone(), c2["cust"].clone()["domain"].clone()), (c["sub"].clone(), json!(domain)));
        assert_eq!(c2["cust"]["groups"], groups);
    }
    assert_ne!(eu_id, uuid::Uuid::nil().to_string());
}

#[tokio::test]
async fn wrong_domain_or_connection_is_refused_like_a_wrong_password() {
    let sim = start(config()).await;
    let refused = [
        ("eu-admin", json!({})),
        ("eu-admin", json!({"domain": "root"})),
        ("eu-admin", json!({"domain": "eu-payments", "connection": "corp-ldap"})),
        ("ldap-custodian", json!({})),
        ("ldap-custodian", json!({"connection": "local_account"})),
        ("ldap-custodian", json!({"connection": "corp-ldap", "domain": "eu-payments"})),
        ("custodian", json!({"connection": "corp-ldap"})),
        ("custodian", json!({"domain": "eu-payments"})),
        ("custodian", json!({"domain": "no-such-domain"})),
        ("admin", json!({"domain": "no-such-domain"})),
        ("admin", json!({"connection": "other-ldap"})),
        // auth_domain: the home domain; only administrators cross into another domain.
        ("custodian", json!({"domain": "eu-payments", "auth_domain": "root"})),
        ("eu-admin", json!({"domain": "eu-payments", "auth_domain": "root"})),
        ("nobody", json!({})),
    ];
    for (user, extra) in refused {
        let mut b = json!({"grant_type": "password", "username": user, "password": user});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let v = assert_error(sim.token(b.clone()).await, 401, "NCERRUnauthorizedAccess").await;
        assert_eq!(v["message"], WRONG, "{b}");
        assert_eq!(v["codeDesc"], "NCERRUnauthorizedAccess");
    }
    // auth_domain equal to the user's own domain is fine; a root administrator may cross.
    sim.login_as("eu-admin", json!({"domain": "eu-payments", "auth_domain": "eu-payments"})).await;
    sim.login_as("custodian", json!({"domain": "", "auth_domain": "root", "connection": ""})).await;
    let root_admin = claims(&sim.jwt_as("admin", json!({})).await);
    let crossing = claims(&sim.jwt_as("admin", json!({"domain": "eu-payments", "auth_domain": "root"})).await);
    let eu_admin = claims(&sim.jwt_as("admin", json!({"domain": "eu-payments"})).await);
    assert_eq!(crossing["sub"], root_admin["sub"]);
    assert_eq!(crossing["cust"]["domain"], "eu-payments");
    assert_ne!(eu_admin["sub"], root_admin["sub"], "the same name in two domains is two users");
    // Wrong types are still a 400.
    let r = sim.token(json!({"username": "admin", "password": "admin", "domain": 7})).await;
    assert_error(r, 400, "NCERRInvalidParamValue").await;
}

#[tokio::test]
async fn the_user_flag_stays_an_administrator_beside_the_demo_users() {
    let sim = start(cckm_sim::Config { user: "ops".into(), password: "s3cret".into(), ..config() }).await;
    let t = sim.token(json!({"username": "ops", "password": "s3cret"})).await;
    let jwt = body(t).await["jwt"].as_str().unwrap().to_string();
    assert_eq!(claims(&jwt)["cust"]["groups"], json!(["admin"]));
    let k = sim.key_by_name(&jwt, "payroll-master").await;
    assert_eq!(sim.post_job(&jwt, json!({"id": k["id"], "operation": "delete"})).await.status(), 201);
    sim.jwt_as("custodian", json!({})).await;
    // --password replaces the demo admin's password in the root domain only.
    let sim = start(cckm_sim::Config { password: "pw".into(), ..config() }).await;
    assert_error(sim.token(json!({"username": "admin", "password": "admin"})).await, 401, "NCERRUnauthorizedAccess")
        .await;
    assert_eq!(sim.token(json!({"username": "admin", "password": "pw"})).await.status(), 200);
    sim.jwt_as("admin", json!({"domain": "eu-payments"})).await;
}

#[tokio::test]
async fn a_refresh_token_unused_too_long_is_refused() {
    let sim = start(cckm_sim::Config { refresh_idle: 1, ..config() }).await;
    let t = sim.login().await;
    let refresh = json!({"grant_type": "refresh_token", "refresh_token": t["refresh_token"]});
    // Each refresh resets the idle clock: 3 refreshes 0.6 s apart outlive the 1 s limit.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(sim.token(refresh.clone()).await.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let v = assert_error(sim.token(refresh.clone()).await, 401, "NCERRUnauthorizedAccess").await;
    assert!(v["message"].as_str().unwrap().contains("unused"), "{v}");
    assert_error(sim.token(refresh).await, 401, "NCERRUnauthorizedAccess").await;
    // A new login works.
    sim.login().await;
}

async fn read_until(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<impl tokio::io::AsyncRead + Unpin>>,
    needle: &str,
) -> String {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.contains(needle) {
                return Some(l);
            }
        }
        None
    })
    .await;
    found.ok().flatten().unwrap_or_else(|| panic!("no line with {needle}"))
}

#[tokio::test]
async fn the_binary_logs_each_errors_request_id_and_takes_the_dialect_flags() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cckm-sim"))
        .args(["--addr", "127.0.0.1:0", "--job-ms", "200", "--dialect", "ended", "--post-status", "202"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut err = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let listening = read_until(&mut out, "listening on ").await;
    let base = listening.rsplit(' ').next().unwrap().to_string();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&json!({"username": "admin", "password": "x"}))
        .send()
        .await
        .unwrap();
    let v = body(r).await;
    let id = v["requestID"].as_str().unwrap();
    let line = read_until(&mut err, id).await;
    assert!(line.contains("401") && line.contains("NCERRUnauthorizedAccess"), "{line}");
    assert!(!line.contains("\"x\""), "no password in the log: {line}");
    // --dialect ended with --post-status 202 overriding its 200.
    let t: Value = body(
        http.post(format!("{base}/api/v1/auth/tokens"))
            .json(&json!({"username": "admin", "password": "admin"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let jwt = t["jwt"].as_str().unwrap();
    let list: Value =
        body(http.get(format!("{base}{KEYS}?name=payroll-master")).bearer_auth(jwt).send().await.unwrap()).await;
    let key = &list["resources"][0];
    let r = http
        .post(format!("{base}/api/v1/cckm/sap/keys/jobs"))
        .bearer_auth(jwt)
        .json(&json!({"id": key["id"], "operation": "delete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let job = body(r).await;
    let mut state = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let j: Value = body(
            http.get(format!("{base}/api/v1/cckm/sap/keys/jobs/{}", job["id"].as_str().unwrap()))
                .bearer_auth(jwt)
                .send()
                .await
                .unwrap(),
        )
        .await;
        state = j["state"].as_str().unwrap().to_string();
        if state != "PENDING" && state != "IN_PROGRESS" {
            break;
        }
    }
    assert_eq!(state, "DELETED");
    child.kill().await.unwrap();
}
