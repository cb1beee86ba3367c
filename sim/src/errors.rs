//! The manager's error envelope `{"code","codeDesc","message"}` and the mapping of every failure onto it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error: rendered as the manager's JSON error body with the matching status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    #[serde(rename = "codeDesc")]
    code_desc: String,
    message: &'a str,
}

/// The `NCERR…: text` description for a status.
pub fn code_desc(status: StatusCode) -> String {
    let (code, text) = match status.as_u16() {
        400 => ("NCERRInvalidParamValue", "Invalid value for a parameter"),
        401 => ("NCERRUnauthorized", "Unauthorized"),
        403 => ("NCERRForbidden", "Forbidden"),
        404 => ("NCERRResourceNotFound", "Resource not found"),
        405 => ("NCERRMethodNotAllowed", "Method not allowed"),
        409 => ("NCERRConflict", "Conflict"),
        413 => ("NCERRRequestEntityTooLarge", "Request entity too large"),
        415 => ("NCERRInvalidParamValue", "Unsupported media type"),
        429 => ("NCERRTooManyRequests", "Too many requests"),
        s if s < 500 => ("NCERRInvalidParamValue", "Bad request"),
        _ => ("NCERRInternalServerError", "Internal server error"),
    };
    format!("{code}: {text}")
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
        let body = ErrorBody {
            code: self.status.as_u16(),
            code_desc: code_desc(self.status),
            message: &self.message,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() = self.status;
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
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
