//! The built page (with SPA fallback), security headers on every response, and the request log.

use crate::errors::{ApiError, ErrorLog};
use crate::App;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// `base-uri 'self'`: the page has `<base href>` (Trunk's public URL, read by its router).
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Middleware: security headers on every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// Middleware: one log line per request (method, path without query, status, ms; for an error its
/// `requestID`, `codeDesc` and message). Never headers or bodies.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match resp.extensions().get::<ErrorLog>() {
        Some(e) => tracing::warn!(
            "{} {} {} {:.1}ms requestID={} {} {:?}",
            method,
            path,
            resp.status().as_u16(),
            ms,
            e.request_id,
            e.code_desc,
            e.message
        ),
        None => tracing::info!("{} {} {} {:.1}ms", method, path, resp.status().as_u16(), ms),
    }
    resp
}

fn is_reserved(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/sim" || path.starts_with("/sim/")
}

/// Fallback for every path no route matched: JSON 404 under /api and /sim, the page elsewhere.
pub async fn fallback(State(app): State<Arc<App>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if is_reserved(&path) {
        return ApiError::not_found(format!("no such path: {path}")).into_response();
    }
    let Some(dir) = app.config.static_dir.clone() else {
        return (StatusCode::NOT_FOUND, "cckm-sim: no --static directory configured\n").into_response();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let index = dir.join("index.html");
    let svc = ServeDir::new(&dir).append_index_html_on_directories(true).fallback(ServeFile::new(index));
    let resp = match svc.oneshot(req).await {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    };
    let (mut parts, body) = resp.into_parts();
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let ct = match ext.as_deref() {
        Some("js") | Some("mjs") => Some("text/javascript"),
        Some("wasm") => Some("application/wasm"),
        _ => None,
    };
    if parts.status.is_success() {
        if let Some(ct) = ct {
            parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    Response::from_parts(parts, body)
}
