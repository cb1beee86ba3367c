//! Tokens over real HTTP: the password grant's claims, refusals, expiry and refresh, and refused
//! bearer tokens.

mod common;

use base64::Engine;
use common::{assert_error, config, start};
use serde_json::{json, Value};

const KEYS: &str = "/api/v1/cckm/sap/keys";
const JOBS: &str = "/api/v1/cckm/sap/keys/jobs";

#[tokio::test]
async fn token_password_grant_has_claims() {
    let sim = start(config()).await;
    let t = sim.login().await;
    for f in ["jwt", "duration", "token_type", "client_id", "refresh_token_id", "refresh_token"] {
        assert!(t.get(f).is_some(), "missing {f}");
    }
    assert_eq!(t["duration"], 300);
    assert_eq!(t["token_type"], "Bearer");
    let parts: Vec<&str> = t["jwt"].as_str().unwrap().split('.').collect();
    assert_eq!(parts.len(), 3);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    assert!(claims["sub"].as_str().unwrap().starts_with("local|"));
    uuid::Uuid::parse_str(&claims["sub"].as_str().unwrap()[6..]).unwrap();
    assert_eq!(claims["iss"], "kylo");
    assert_eq!(claims["preferred_username"], "admin");
    assert_eq!(claims["cust"]["groups"], json!(["admin"]));
    assert!(claims["jwtid"].is_string());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
}

#[tokio::test]
async fn token_errors() {
    let sim = start(config()).await;
    let url = sim.url("/api/v1/auth/tokens");
    let bad = sim
        .http
        .post(&url)
        .json(&json!({"grant_type":"password","username":"admin","password":"nope"}))
        .send()
        .await
        .unwrap();
    assert_error(bad, 401, "NCERRUnauthorizedAccess").await;
    let bad = sim
        .http
        .post(&url)
        .json(&json!({"grant_type":"password","username":"root","password":"admin"}))
        .send()
        .await
        .unwrap();
    assert_error(bad, 401, "NCERRUnauthorizedAccess").await;
    let bad =
        sim.http.post(&url).json(&json!({"grant_type":"refresh_token","refresh_token":"forged"})).send().await.unwrap();
    assert_error(bad, 401, "NCERRUnauthorizedAccess").await;
    let bad = sim.http.post(&url).body("{not json").send().await.unwrap();
    assert_error(bad, 400, "NCERRInvalidParamValue").await;
    let bad = sim
        .http
        .post(&url)
        .json(&json!({"grant_type":"password","username":1,"password":"admin"}))
        .send()
        .await
        .unwrap();
    assert_error(bad, 400, "NCERRInvalidParamValue").await;
    let bad = sim.http.post(&url).json(&json!({"grant_type":"magic"})).send().await.unwrap();
    assert_error(bad, 400, "NCERRInvalidParamValue").await;
}

#[tokio::test]
async fn token_expiry_and_refresh() {
    let sim = start(cckm_sim::Config { token_ttl: 1, ..config() }).await;
    let t = sim.login().await;
    assert_eq!(t["duration"], 1);
    let jwt = t["jwt"].as_str().unwrap();
    assert_eq!(sim.get(jwt, KEYS).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_error(sim.get(jwt, KEYS).await, 401, "NCERRUnauthorizedAccess").await;
    let r = sim
        .http
        .post(sim.url("/api/v1/auth/tokens"))
        .json(&json!({"grant_type":"refresh_token","refresh_token": t["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    assert_eq!(t2["refresh_token_id"], t["refresh_token_id"]);
    assert_eq!(sim.get(t2["jwt"].as_str().unwrap(), KEYS).await.status(), 200);
}

#[tokio::test]
async fn missing_and_forged_tokens_are_refused() {
    let sim = start(config()).await;
    for path in [KEYS, "/api/v1/cckm/sap/groups", "/api/v1/cckm/sap/keys/00000000-0000-0000-0000-000000000000"] {
        let r = sim.http.get(sim.url(path)).send().await.unwrap();
        assert_error(r, 401, "NCERRUnauthorizedAccess").await;
    }
    let r = sim.http.post(sim.url(JOBS)).json(&json!({})).send().await.unwrap();
    assert_error(r, 401, "NCERRUnauthorizedAccess").await;
    let jwt = sim.jwt().await;
    let mut parts: Vec<String> = jwt.split('.').map(String::from).collect();
    // Same header and payload, signature of another secret.
    parts[2] = "KEXK5uaMecdIQT8QWsIqVn6szCz5VBPetDh8i2ePiLU".into();
    assert_error(sim.get(&parts.join("."), KEYS).await, 401, "NCERRUnauthorizedAccess").await;
    // The seed's own example token (signed by a real manager, expired).
    let seed = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiI3ZjRlNmJkNi0wMzgzLTQ4MGMtYWZmZS0wYTQxNDgzZmVlNmUiLCJzdWIiOiJsb2NhbHxlNjM3NTVjOS01YzRhLTQ0NzUtOWI0Zi0wN2JjNzQxYjQ1MGEiLCJpc3MiOiJreWxvIiwiYWNjIjoia3lsbyIsInByZWZlcnJlZF91c2VybmFtZSI6ImFkbWluIiwiY3VzdCI6eyJkb21haW5faWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJncm91cHMiOlsiYWRtaW4iXSwic2lkIjoiODJlZTQ2MzAtNjQwMi00MTQ3LTliNDYtNWE5YzU1OGVjZWU4Iiwiem9uZV9pZCI6IjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJ9LCJqd3RpZCI6ImI4MThiN2MzLTk5NzItNDU0YS1iMjI0LWQ2NGQwOWVlOGRmNSIsImlhdCI6MTYzNDU0MzE0OSwiZXhwIjoxNjM0NTQzNDQ5fQ.KEXK5uaMecdIQT8QWsIqVn6szCz5VBPetDh8i2ePiLU";
    assert_error(sim.get(seed, KEYS).await, 401, "NCERRUnauthorizedAccess").await;
    assert_error(sim.get("garbage", KEYS).await, 401, "NCERRUnauthorizedAccess").await;
    let r = sim.http.get(sim.url(KEYS)).header("authorization", format!("Basic {jwt}")).send().await.unwrap();
    assert_error(r, 401, "NCERRUnauthorizedAccess").await;
}
