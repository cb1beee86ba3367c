//! Tokens: HS256 JWTs with the manager's claims (and the domain logged into), refresh tokens with
//! an idle limit (`--refresh-idle`), and the bearer-token extractor.
//!
//! The JWT's `cust` carries `domain_id` (nil for root) and, as the simulator's choice [S], the
//! domain's name in `cust.domain`.

use crate::errors::ApiError;
use crate::store::{now_ns, RefreshRecord};
use crate::users::{domain_id, Login, User};
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
use sha2::Sha256;
use std::sync::Arc;
use uuid::Uuid;

pub use crate::users::user_id;

type HmacSha256 = Hmac<Sha256>;

/// The message of every refused password grant (wrong password, user, domain or connection) [C].
pub const WRONG_PASSWORD: &str = "Wrong username or password.";

/// A fresh random secret (hex).
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Serialize, Deserialize)]
struct Cust {
    domain_id: String,
    #[serde(default)]
    domain: String,
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
    /// The UUID part of `sub`.
    pub user_id: String,
    pub sub: String,
    pub username: String,
    /// The domain the token logs into.
    pub domain: String,
    pub groups: Vec<String>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == crate::users::ADMIN_GROUP)
    }
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
        let user = app
            .users
            .by_sub(&claims.sub, &claims.preferred_username)
            .ok_or_else(|| ApiError::unauthorized("the token's user does not exist"))?;
        let domain = crate::users::domain_or_root(Some(&claims.cust.domain));
        if domain != user.domain && !user.is_admin() {
            return Err(ApiError::unauthorized("the token's user does not belong to its domain"));
        }
        Ok(AuthUser {
            user_id: user.uuid().to_string(),
            sub: user.sub(),
            username: user.name.clone(),
            domain: domain.to_string(),
            groups: user.groups.clone(),
        })
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

fn new_refresh_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

async fn password_grant(app: &Arc<App>, body: &Value) -> Result<(RefreshRecord, User), ApiError> {
    let login = Login {
        username: str_field(body, "username")?.unwrap_or(""),
        password: str_field(body, "password")?.unwrap_or(""),
        domain: str_field(body, "domain")?,
        auth_domain: str_field(body, "auth_domain")?,
        connection: str_field(body, "connection")?,
    };
    let (user, domain) = app.users.authenticate(&login).ok_or_else(|| ApiError::unauthorized(WRONG_PASSWORD))?;
    let now = now_ns();
    let rec = RefreshRecord {
        token: new_refresh_token(),
        id: Uuid::new_v4(),
        username: user.name.clone(),
        client_id: Uuid::new_v4(),
        created_ns: now,
        domain: domain.to_string(),
        auth_domain: user.domain.clone(),
        connection: user.connection.clone(),
        last_used_ns: now,
    };
    app.write_store().refresh_tokens.insert(rec.token.clone(), rec.clone());
    app.persist().await;
    Ok((rec, user.clone()))
}

async fn refresh_grant(app: &Arc<App>, body: &Value) -> Result<(RefreshRecord, User), ApiError> {
    let token = str_field(body, "refresh_token")?.ok_or_else(|| ApiError::unauthorized("refresh_token is missing"))?;
    let now = now_ns();
    let idle_ns = i64::try_from(app.config.refresh_idle.saturating_mul(1_000_000_000)).unwrap_or(i64::MAX);
    let rec = {
        let mut store = app.write_store();
        let rec = store.refresh_tokens.get_mut(token).ok_or_else(|| ApiError::unauthorized("invalid refresh token"))?;
        if now.saturating_sub(rec.last_used()) > idle_ns {
            store.refresh_tokens.remove(token);
            Err(ApiError::unauthorized(format!(
                "refresh token expired: unused for more than {} seconds",
                app.config.refresh_idle
            )))
        } else {
            rec.last_used_ns = now;
            Ok(rec.clone())
        }
    };
    app.persist().await;
    let rec = rec?;
    let user = app
        .users
        .find(&rec.username, &rec.auth_domain, &rec.connection)
        .ok_or_else(|| ApiError::unauthorized("the refresh token's user does not exist"))?;
    Ok((rec, user.clone()))
}

/// POST /api/v1/auth/tokens
pub async fn tokens(
    State(app): State<Arc<App>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body = crate::body_json(body)?;
    let grant = str_field(&body, "grant_type")?.unwrap_or("password");
    let (record, user) = match grant {
        "password" => password_grant(&app, &body).await?,
        "refresh_token" => refresh_grant(&app, &body).await?,
        other => return Err(ApiError::bad_request(format!("unsupported grant_type '{other}'"))),
    };
    let now = now_ns() / 1_000_000_000;
    let ttl = app.config.token_ttl;
    let claims = Claims {
        aud: record.client_id.to_string(),
        sub: user.sub(),
        iss: "kylo".into(),
        acc: "kylo".into(),
        preferred_username: user.name.clone(),
        cust: Cust {
            domain_id: domain_id(&record.domain).to_string(),
            domain: record.domain.clone(),
            groups: user.groups.clone(),
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
