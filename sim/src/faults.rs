//! Run-time fault injection for /api routes (latency, 500s, 429s, garbage and truncated bodies,
//! failing jobs at a rate or for chosen keys).

use crate::errors::ApiError;
use crate::App;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const TOKEN_ROUTE: &str = "POST /api/v1/auth/tokens";
pub const JOBS_ROUTE: &str = "POST /api/v1/cckm/sap/keys/jobs";

/// The faults currently injected (all off by default).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_sec: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub garbage_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncate_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_failure_rate: Option<f64>,
    /// Key ids (UUIDs) whose new jobs all fail, so that a test knows exactly which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_keys: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<String>>,
}

impl Faults {
    fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("error_rate", self.error_rate),
            ("garbage_rate", self.garbage_rate),
            ("truncate_rate", self.truncate_rate),
            ("job_failure_rate", self.job_failure_rate),
        ] {
            if let Some(v) = v {
                if !(0.0..=1.0).contains(&v) {
                    return Err(format!("'{name}' must be between 0 and 1, got {v}"));
                }
            }
        }
        for k in self.fail_keys.iter().flatten() {
            if uuid::Uuid::parse_str(k).is_err() {
                return Err(format!("'fail_keys' must hold key ids (UUIDs), got '{k}'"));
            }
        }
        if let Some(r) = self.rate_limit_per_sec {
            if !(r.is_finite() && r > 0.0) {
                return Err(format!("'rate_limit_per_sec' must be a positive number, got {r}"));
            }
        }
        Ok(())
    }

    /// Whether `fail_keys` holds the key `id`.
    pub fn fails_key(&self, id: &uuid::Uuid) -> bool {
        self.fail_keys.iter().flatten().any(|k| uuid::Uuid::parse_str(k).is_ok_and(|k| k == *id))
    }

    /// Whether faults apply to `route` ("METHOD /pattern").
    pub fn applies_to(&self, route: &str) -> bool {
        match &self.routes {
            Some(list) => list.iter().any(|r| {
                if r.contains(' ') {
                    r == route
                } else {
                    route.split_once(' ').is_some_and(|(_, p)| p == r)
                }
            }),
            None => route != TOKEN_ROUTE,
        }
    }
}

/// Faults plus the rate limiter's token bucket.
#[derive(Debug)]
pub struct FaultState {
    pub faults: Faults,
    tokens: f64,
    last: Instant,
}

impl Default for FaultState {
    fn default() -> Self {
        FaultState { faults: Faults::default(), tokens: 0.0, last: Instant::now() }
    }
}

impl FaultState {
    fn take_token(&mut self, rate: f64) -> bool {
        let now = Instant::now();
        let cap = rate.max(1.0);
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * rate).min(cap);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn roll(p: Option<f64>) -> bool {
    match p {
        Some(p) if p > 0.0 => rand::thread_rng().gen::<f64>() < p,
        _ => false,
    }
}

enum Decision {
    Pass,
    Limited(ApiError),
    Apply(Faults),
}

fn decide(app: &App, route: &str) -> Decision {
    let mut st = app.lock_faults();
    if !st.faults.applies_to(route) {
        return Decision::Pass;
    }
    let f = st.faults.clone();
    if let Some(rate) = f.rate_limit_per_sec {
        if !st.take_token(rate) {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("rate limit of {rate} requests per second exceeded"),
            );
            e.retry_after = Some(f.retry_after_secs.unwrap_or(2));
            return Decision::Limited(e);
        }
    }
    Decision::Apply(f)
}

/// Middleware (route layer) applying the configured faults.
pub async fn apply(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = match req.extensions().get::<MatchedPath>() {
        Some(p) => format!("{} {}", req.method(), p.as_str()),
        None => return next.run(req).await,
    };
    let faults = match decide(&app, &route) {
        Decision::Pass => return next.run(req).await,
        Decision::Limited(e) => return e.into_response(),
        Decision::Apply(f) => f,
    };
    if let Some(ms) = faults.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if roll(faults.error_rate) {
        return ApiError::internal("simulated manager failure").into_response();
    }
    let resp = next.run(req).await;
    let garbage = resp.status() == StatusCode::OK && roll(faults.garbage_rate);
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let truncate = !garbage && is_json && roll(faults.truncate_rate);
    if !garbage && !truncate {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if garbage {
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let body = "<html><body><h1>502 Bad Gateway</h1>\u{0}\u{1}garbage{{{not json</body></html>";
        return Response::from_parts(parts, Body::from(body));
    }
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    Response::from_parts(parts, Body::from(half))
}

/// GET /sim/faults
pub async fn get_faults(State(app): State<Arc<App>>) -> Response {
    let f = app.lock_faults().faults.clone();
    axum::Json(f).into_response()
}

/// PUT /sim/faults
pub async fn put_faults(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = crate::body_json(body)?;
    let faults: Faults =
        serde_json::from_value(value).map_err(|e| ApiError::bad_request(format!("invalid faults: {e}")))?;
    faults.validate().map_err(ApiError::bad_request)?;
    let mut st = app.lock_faults();
    st.faults = faults.clone();
    st.tokens = faults.rate_limit_per_sec.unwrap_or(0.0).max(1.0);
    st.last = Instant::now();
    drop(st);
    Ok(axum::Json(faults).into_response())
}
