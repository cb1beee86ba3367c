//! The manager's error envelope `{"code","codeDesc","message","requestID"}` and the mapping of every
//! failure onto it.
//!
//! `code` is the manager's own error number, never the HTTP status. The numbers and names:
//!
//! | status | code | codeDesc | source |
//! |---|---|---|---|
//! | 400 | 9 | `NCERRInvalidParamValue: Invalid value for a parameter` | [S] |
//! | 401 | 5 | `NCERRUnauthorizedAccess` (bare, no text) | [C] |
//! | 403 | 6 | `NCERRForbidden: User is not allowed to perform this action` | [S] |
//! | 404 | 16 | `NCERRResourceNotFound: Resource not found` | [C] |
//! | 405 | 17 | `NCERRMethodNotAllowed: Method not allowed` | [S] |
//! | 409 | 11 | `NCERRConflict: Conflict` | [S] |
//! | 413 | 18 | `NCERRRequestEntityTooLarge: Request entity too large` | [S] |
//! | 415, other 4xx | 9 | `NCERRInvalidParamValue: …` | [S] |
//! | 429 | 19 | `NCERRTooManyRequests: Too many requests` | [S] |
//! | 5xx | 14 | `NCERRInternalServerError: unexpected error` | [C] |
//!
//! Every error carries a fresh `requestID` (a UUID), also written to that request's log line.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uuid::Uuid;

/// An API error: rendered as the manager's JSON error body with the matching status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

/// The manager's number, `NCERR…` name and optional text for an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagerCode {
    pub code: u32,
    pub name: &'static str,
    pub text: Option<&'static str>,
}

/// Attached to an error response so the request log line can name it.
#[derive(Debug, Clone)]
pub struct ErrorLog {
    pub request_id: Uuid,
    pub code_desc: String,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u32,
    #[serde(rename = "codeDesc")]
    code_desc: &'a str,
    message: &'a str,
    #[serde(rename = "requestID")]
    request_id: Uuid,
}

/// The manager's error number and name for `status` (see the module table).
pub fn manager_code(status: StatusCode) -> ManagerCode {
    let (code, name, text) = match status.as_u16() {
        400 => (9, "NCERRInvalidParamValue", Some("Invalid value for a parameter")),
        401 => (5, "NCERRUnauthorizedAccess", None),
        403 => (6, "NCERRForbidden", Some("User is not allowed to perform this action")),
        404 => (16, "NCERRResourceNotFound", Some("Resource not found")),
        405 => (17, "NCERRMethodNotAllowed", Some("Method not allowed")),
        409 => (11, "NCERRConflict", Some("Conflict")),
        413 => (18, "NCERRRequestEntityTooLarge", Some("Request entity too large")),
        415 => (9, "NCERRInvalidParamValue", Some("Unsupported media type")),
        429 => (19, "NCERRTooManyRequests", Some("Too many requests")),
        s if s < 500 => (9, "NCERRInvalidParamValue", Some("Bad request")),
        _ => (14, "NCERRInternalServerError", Some("unexpected error")),
    };
    ManagerCode { code, name, text }
}

/// The `codeDesc` for a status: `NAME: text`, or the bare name.
pub fn code_desc(status: StatusCode) -> String {
    let m = manager_code(status);
    match m.text {
        Some(t) => format!("{}: {t}", m.name),
        None => m.name.to_string(),
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), retry_after: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = Uuid::new_v4();
        let code_desc = code_desc(self.status);
        let body = ErrorBody {
            code: manager_code(self.status).code,
            code_desc: &code_desc,
            message: &self.message,
            request_id,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() = self.status;
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ErrorLog { request_id, code_desc, message: self.message });
        resp
    }
}

/// Turn axum's own rejections (bodies over the limit, wrong methods, unknown paths) on /api and /sim
/// into the JSON error shape, keeping headers such as `Allow` and `Retry-After`.
pub async fn normalize_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    let is_api = path == "/api" || path.starts_with("/api/") || path == "/sim" || path.starts_with("/sim/");
    if !is_api || status.as_u16() < 400 {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let message = match status.as_u16() {
        404 => format!("no such path: {path}"),
        405 => format!("method {method} is not allowed on {path}"),
        413 => "request body is larger than the 65536 bytes allowed".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let (parts, _) = resp.into_parts();
    let mut new = ApiError::new(status, message).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            new.headers_mut().insert(name, v.clone());
        }
    }
    new
}

/// Response for a handler panic (should never happen; it keeps the server and its shape alive).
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("internal error").into_response()
}
