//! Tokens: HS256 JWTs with the manager's claims, refresh tokens, and the bearer-token extractor.

use crate::errors::ApiError;
use crate::store::{now_ns, RefreshRecord};
use crate::App;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// The user id the simulator gives a user name (stable across restarts).
pub fn user_id(username: &str) -> Uuid {
    let digest = Sha256::digest(format!("cckm-sim-user:{username}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid()
}

/// A fresh random secret (hex).
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Serialize, Deserialize)]
struct Cust {
    domain_id: String,
    groups: Vec<String>,
    sid: String,
    zone_id: String,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    aud: String,
    sub: String,
    iss: String,
    acc: String,
    preferred_username: String,
    cust: Cust,
    jwtid: String,
    iat: i64,
    exp: i64,
}

fn sign(secret: &str, claims: &Claims) -> Result<String, ApiError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = serde_json::to_vec(claims).map_err(|e| ApiError::internal(e.to_string()))?;
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|e| ApiError::internal(e.to_string()))?;
    mac.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{sig}"))
}

fn verify(secret: &str, token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(h.as_bytes());
    mac.update(b".");
    mac.update(p.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}

/// The authenticated caller of an /api request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub username: String,
}

impl FromRequestParts<Arc<App>> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
        let token = match value.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => return Err(ApiError::unauthorized("Authorization header is not a Bearer token")),
        };
        let secret = app.read_store().secret.clone();
        let claims = verify(&secret, token).ok_or_else(|| ApiError::unauthorized("invalid token"))?;
        let now = now_ns() / 1_000_000_000;
        if claims.exp <= now {
            return Err(ApiError::unauthorized("token expired"));
        }
        let uid = user_id(&app.config.user);
        if claims.preferred_username != app.config.user || claims.sub != format!("local|{uid}") {
            return Err(ApiError::unauthorized("the token's user does not exist"));
        }
        Ok(AuthUser { user_id: uid.to_string(), username: claims.preferred_username })
    }
}

#[derive(Serialize)]
struct TokenResponse {
    jwt: String,
    duration: u64,
    token_type: &'static str,
    client_id: String,
    refresh_token_id: String,
    refresh_token: String,
}

fn str_field<'a>(body: &'a Value, name: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("field '{name}' must be a string"))),
    }
}

/// POST /api/v1/auth/tokens
pub async fn tokens(
    State(app): State<Arc<App>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = crate::body_json(body)?;
    let grant = str_field(&body, "grant_type")?.unwrap_or("password");
    let record = match grant {
        "password" => {
            let username = str_field(&body, "username")?.unwrap_or("");
            let password = str_field(&body, "password")?.unwrap_or("");
            let ok_user = constant_eq(username.as_bytes(), app.config.user.as_bytes());
            let ok_pass = constant_eq(password.as_bytes(), app.config.password.as_bytes());
            if !(ok_user & ok_pass) {
                return Err(ApiError::unauthorized("invalid username or password"));
            }
            let mut b = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut b);
            let rec = RefreshRecord {
                token: URL_SAFE_NO_PAD.encode(b),
                id: Uuid::new_v4(),
                username: username.to_string(),
                client_id: Uuid::new_v4(),
                created_ns: now_ns(),
            };
            app.write_store().refresh_tokens.insert(rec.token.clone(), rec.clone());
            app.persist().await;
            rec
        }
        "refresh_token" => {
            let token = str_field(&body, "refresh_token")?
                .ok_or_else(|| ApiError::unauthorized("refresh_token is missing"))?;
            let rec = app
                .read_store()
                .refresh_tokens
                .get(token)
                .cloned()
                .ok_or_else(|| ApiError::unauthorized("invalid refresh token"))?;
            if rec.username != app.config.user {
                return Err(ApiError::unauthorized("the refresh token's user does not exist"));
            }
            rec
        }
        other => return Err(ApiError::bad_request(format!("unsupported grant_type '{other}'"))),
    };
    let now = now_ns() / 1_000_000_000;
    let ttl = app.config.token_ttl;
    let claims = Claims {
        aud: record.client_id.to_string(),
        sub: format!("local|{}", user_id(&record.username)),
        iss: "kylo".into(),
        acc: "kylo".into(),
        preferred_username: record.username.clone(),
        cust: Cust {
            domain_id: Uuid::nil().to_string(),
            groups: vec!["admin".into()],
            sid: Uuid::new_v4().to_string(),
            zone_id: Uuid::nil().to_string(),
        },
        jwtid: Uuid::new_v4().to_string(),
        iat: now,
        exp: now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
    };
    let secret = app.read_store().secret.clone();
    let resp = TokenResponse {
        jwt: sign(&secret, &claims)?,
        duration: ttl,
        token_type: "Bearer",
        client_id: record.client_id.to_string(),
        refresh_token_id: record.id.to_string(),
        refresh_token: record.token,
    };
    Ok((StatusCode::OK, axum::Json(resp)).into_response())
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// POST /sim/revoke-tokens (control API only): forget every refresh token, as a manager does when
/// an administrator ends a user's sessions. Issued JWTs stay valid until they expire; after that
/// a refresh is refused with 401 and the client must ask for the password again.
pub async fn revoke_tokens(State(app): State<Arc<App>>) -> Response {
    let n = {
        let mut store = app.write_store();
        let n = store.refresh_tokens.len();
        store.refresh_tokens.clear();
        n
    };
    app.persist().await;
    axum::Json(serde_json::json!({"revoked_refresh_tokens": n})).into_response()
}
