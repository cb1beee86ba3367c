//! The built page (with SPA fallback), security headers on every response, and the request log.
//!
//! Static files go out as `cargo xtask build` precompressed them: `X.br` or `X.gz` by the request's
//! `Accept-Encoding` (tower-http's `ServeDir`), `X` itself when neither is accepted or present, always
//! with `Vary: Accept-Encoding`. Trunk's hashed files are immutable; `index.html` (also as the answer
//! to a deep link) is `no-cache` with a strong `ETag`, so a second visit costs one small 304.

use crate::errors::{ApiError, ErrorLog};
use crate::App;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::Path;
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

/// `Cache-Control` of a file whose name carries Trunk's content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether `path` names one of Trunk's hashed files, as deploy/nginx.conf matches them:
/// `-[0-9a-f]{8,16}(_bg)?\.(js|wasm|css|svg)$`.
pub fn is_hashed(path: &str) -> bool {
    let Some((stem, ext)) = path.rsplit_once('.') else { return false };
    if !matches!(ext, "js" | "wasm" | "css" | "svg") {
        return false;
    }
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((_, hash)) = stem.rsplit_once('-') else { return false };
    (8..=16).contains(&hash.len()) && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
    let (head, _) = req.into_parts();
    let mut resp = if path == "/" || path == "/index.html" {
        index(&dir, head).await
    } else {
        let svc = ServeDir::new(&dir).precompressed_br().precompressed_gzip();
        let resp = match svc.oneshot(Request::from_parts(head.clone(), Body::empty())).await {
            Ok(r) => r.map(Body::new),
            Err(never) => match never {},
        };
        if resp.status() == StatusCode::NOT_FOUND {
            index(&dir, head).await
        } else {
            asset(resp, &path)
        }
    };
    resp.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    resp
}

/// A file of the page: its real `Content-Type` (also when sent compressed) and its cache policy.
fn asset(resp: Response, path: &str) -> Response {
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
    if parts.status.is_success() || parts.status == StatusCode::NOT_MODIFIED {
        let cache = if is_hashed(path) { IMMUTABLE } else { "no-cache" };
        parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    Response::from_parts(parts, body)
}

/// `index.html`, for `/` and for every path that is no file (deep links): `no-cache`, an `ETag` per
/// encoding, and 304 when `If-None-Match` names it (which then outranks `If-Modified-Since`).
async fn index(dir: &Path, mut head: request::Parts) -> Response {
    let file = dir.join("index.html");
    let if_none_match = head.headers.remove(header::IF_NONE_MATCH);
    if if_none_match.is_some() {
        head.headers.remove(header::IF_MODIFIED_SINCE);
    }
    let svc = ServeFile::new(&file).precompressed_br().precompressed_gzip();
    let mut resp = match svc.oneshot(Request::from_parts(head, Body::empty())).await {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    };
    let no_cache = HeaderValue::from_static("no-cache");
    if !resp.status().is_success() {
        if resp.status() == StatusCode::NOT_MODIFIED {
            resp.headers_mut().insert(header::CACHE_CONTROL, no_cache);
        }
        return resp;
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, no_cache.clone());
    let encoding = resp.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(tag) = etag(&file, encoding.as_deref()).await else { return resp };
    if if_none_match.as_ref().is_some_and(|v| matches_etag(v, &tag)) {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, tag);
        headers.insert(header::CACHE_CONTROL, no_cache);
        if let Some(modified) = resp.headers().get(header::LAST_MODIFIED) {
            headers.insert(header::LAST_MODIFIED, modified.clone());
        }
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    resp.headers_mut().insert(header::ETAG, tag);
    resp
}

/// A strong `ETag` for `index.html` sent with `encoding`: the start of the SHA-256 of its bytes and
/// the encoding (each encoding is another representation).
async fn etag(file: &Path, encoding: Option<&str>) -> Option<HeaderValue> {
    let bytes = tokio::fs::read(file).await.ok()?;
    let hash: String = Sha256::digest(&bytes).iter().take(12).map(|b| format!("{b:02x}")).collect();
    let tag = match encoding {
        Some(e) => format!("\"{hash}-{e}\""),
        None => format!("\"{hash}\""),
    };
    HeaderValue::from_str(&tag).ok()
}

/// `If-None-Match` (a list of entity tags or `*`) against `tag`, with the weak comparison RFC 9110
/// prescribes for it.
fn matches_etag(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else { return false };
    let tag = tag.to_str().unwrap_or_default();
    list.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_trunks() {
        for p in [
            "/cckm-sap-admin-e15dcc51095db358_bg.wasm",
            "/cckm-sap-admin-e15dcc51095db358.js",
            "/app-8f31adcc278a7407.css",
            "/favicon-60e7e43d441abfc2.svg",
            "/sap-key-jobs/boot-acef84cec43b0856.js",
            "/x-0123abcd.js",
        ] {
            assert!(is_hashed(p), "{p}");
        }
        for p in [
            "/",
            "/index.html",
            "/app.css",
            "/app-8f31adcc278a7407.css.br",
            "/app-8F31ADCC278A7407.css",
            "/app-8f31adc.css",
            "/app-8f31adcc278a74070.css",
            "/app-8f31adcc278a7407.html",
            "/app-8f31adcc278a7407_bg.wasm/x",
            "/dir-8f31adcc/x.js",
        ] {
            assert!(!is_hashed(p), "{p}");
        }
    }

    #[test]
    fn if_none_match_lists() {
        let tag = HeaderValue::from_static("\"abc-br\"");
        let m = |v: &'static str| matches_etag(&HeaderValue::from_static(v), &tag);
        assert!(m("\"abc-br\""));
        assert!(m("W/\"abc-br\""));
        assert!(m("\"x\", \"abc-br\""));
        assert!(m("*"));
        assert!(!m("\"abc\""));
        assert!(!m("\"abc-gzip\""));
        assert!(!m(""));
    }
}
