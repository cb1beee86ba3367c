//! Tests of [`ApiError`]: every shape of the manager's error body, and what the user reads.
use super::*;
use crate::api::decode::DecodeError;
use crate::api::text::redact_tokens;

const NOT_FOUND: &str = r#"{"code":404,"codeDesc":"NCERRResourceNotFound: Resource not found","message":"key 'x' not found"}"#;

#[test]
fn manager_message_is_shown() {
    let e = ApiError::from_response(404, "Not Found", NOT_FOUND, None);
    assert_eq!(
        e.user_message(),
        "The manager refused the request: key 'x' not found (HTTP 404)."
    );
    assert!(e.is_not_found());
    assert!(!e.is_transient());
    assert_eq!(
        e.code_desc.as_deref(),
        Some("NCERRResourceNotFound: Resource not found")
    );
    assert_eq!(e.to_string(), e.user_message());
}

#[test]
fn code_desc_when_no_message() {
    let e = ApiError::from_response(
        409,
        "Conflict",
        r#"{"codeDesc":"NCERRConflict: busy","message":""}"#,
        None,
    );
    assert_eq!(
        e.user_message(),
        "The manager refused the request: busy (HTTP 409)."
    );
    assert_eq!(e.ncerr(), Some("NCERRConflict"));
}

#[test]
fn non_json_body_gives_status_and_excerpt() {
    let body = format!(
        "<html>\n<body>Bad\tGateway\u{1b}[31m {}</body></html>",
        "z".repeat(1000)
    );
    let e = ApiError::from_response(502, "Bad Gateway", &body, None);
    let m = e.user_message();
    assert!(
        m.starts_with("The manager failed: HTTP 502 Bad Gateway: <html> <body>Bad Gateway"),
        "{m}"
    );
    assert!(!m.chars().any(char::is_control), "{m}");
    assert!(m.chars().count() < 300, "{m}");
    assert!(e.is_transient());
}

#[test]
fn empty_body_and_empty_status_text() {
    let e = ApiError::from_response(500, "", "", None);
    assert_eq!(e.user_message(), "The manager failed: HTTP 500.");
    let e = ApiError::from_response(418, "I'm a teapot", "{}", None);
    assert_eq!(
        e.user_message(),
        "The manager refused the request: HTTP 418 I'm a teapot: {}."
    );
}

#[test]
fn unauthorized_is_session_expired() {
    let e = ApiError::from_response(
        401,
        "Unauthorized",
        r#"{"code":401,"codeDesc":"NCERRUnauthorized"}"#,
        None,
    );
    assert!(e.is_unauthorized());
    assert_eq!(
        e.user_message(),
        "Your session has expired; please log in again."
    );
    assert_eq!(
        e.login_message(),
        "The manager refused the username or password."
    );
    let other = ApiError::network("Failed to fetch");
    assert_eq!(other.login_message(), other.user_message());
}

#[test]
fn network_and_timeout() {
    // gloo-net's JsError message as Chromium gives it (`net_message` keeps the message alone).
    let e = ApiError::network("Failed to fetch");
    assert_eq!(
        e.user_message(),
        "Cannot reach the manager: Failed to fetch."
    );
    assert!(e.is_transient());
    assert_eq!(e.status, None);
    assert_eq!(
        ApiError::network("  ").user_message(),
        "Cannot reach the manager: no answer."
    );
    let t = ApiError::timeout(30_000);
    assert!(t.is_transient());
    assert_eq!(
        t.user_message(),
        "The manager did not answer: no answer within 30 s."
    );
}

#[test]
fn decode_errors() {
    let e = ApiError::decode(DecodeError::NotJson("<html>".into()), "");
    assert_eq!(
        e.user_message(),
        "The manager's answer could not be read: it is not JSON."
    );
    assert!(!e.is_transient());
    let e = ApiError::decode(DecodeError::Truncated, "the key list");
    assert_eq!(
        e.user_message(),
        "The manager's answer could not be read: the key list was cut short."
    );
    assert!(e.is_transient());
    let e = ApiError::decode(
        DecodeError::WrongShape("missing field `id`".into()),
        "the job",
    );
    assert!(e
        .user_message()
        .contains("the job has an unexpected shape (missing field `id`)"));
}

#[test]
fn invalid_id() {
    let e = ApiError::invalid_id("not-a-uuid");
    assert_eq!(e.kind, ErrorKind::InvalidId);
    assert_eq!(
        e.user_message(),
        "The request was not sent: 'not-a-uuid' is not a valid id (a UUID was expected)."
    );
    let long = ApiError::invalid_id(&"\u{202e}x".repeat(500));
    assert!(long.user_message().chars().count() < 200);
}

#[test]
fn transient_statuses() {
    for s in [408, 429, 500, 502, 503, 504] {
        assert!(
            ApiError::from_response(s, "", "", None).is_transient(),
            "{s}"
        );
    }
    for s in [400, 401, 403, 404, 409, 422] {
        assert!(
            !ApiError::from_response(s, "", "", None).is_transient(),
            "{s}"
        );
    }
    assert!(!ApiError::invalid_id("x").is_transient());
}

#[test]
fn retry_after() {
    let e = ApiError::from_response(429, "Too Many Requests", "{}", Some(" 7 "));
    assert_eq!(e.retry_after_s, Some(7));
    assert_eq!(e.retry_after_ms(), Some(7000));
    let e = ApiError::from_response(429, "", "", Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    assert_eq!(e.retry_after_ms(), None);
    let e = ApiError::from_response(503, "", "", Some("99999999999"));
    assert_eq!(e.retry_after_s, Some(600));
    assert!(
        ApiError::from_response(429, "", r#"{"message":"slow down"}"#, None)
            .user_message()
            .starts_with("The manager is busy: slow down")
    );
}

#[test]
fn tokens_never_leak() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2NhbHwxIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
    let e = ApiError::from_response(400, "Bad", &format!("token {jwt} rejected"), None);
    assert!(!e.user_message().contains("eyJ"), "{}", e.user_message());
    let e = ApiError::from_response(400, "Bad", r#"{"message":"bad Bearer abc123secret"}"#, None);
    assert!(
        !e.user_message().contains("abc123secret"),
        "{}",
        e.user_message()
    );
    let e = ApiError::network(format!("Authorization: bearer {jwt}"));
    assert!(!e.user_message().contains("eyJ"));
    // Short "eyJ" words are not tokens.
    assert_eq!(redact_tokens("heyJo eyJ"), "heyJo eyJ");
}

/// The contract's bodies (§5), verbatim where it quotes them.
const WRONG_PASSWORD: &str = r#"{"code":5,"codeDesc":"NCERRUnauthorizedAccess","message":"Wrong username or password.","requestID":"9a1d2c3e-0000-4000-8000-000000000005"}"#;
const NOT_FOUND_16: &str = r#"{"code":16,"codeDesc":"NCERRResourceNotFound: Resource not found","requestID":"3f0c8a2e-1111-4111-8111-111111111111"}"#;
const INTERNAL_14: &str =
    r#"{"code":14,"codeDesc":"NCERRInternalServerError: unexpected error","requestID":"r-14"}"#;
const FORBIDDEN: &str = r#"{"code":19,"codeDesc":"NCERRForbidden: not permitted","message":"user custodian may not keydelete in group hr","requestID":"3f0c"}"#;

#[test]
fn wrong_password_401_bare_name_code_5() {
    let e = ApiError::from_response(401, "Unauthorized", WRONG_PASSWORD, None);
    assert!(
        e.is_unauthorized(),
        "401 is unauthorized by status, whatever the body says"
    );
    assert_eq!(
        e.status,
        Some(401),
        "the status is HTTP's, never the manager's code 5"
    );
    assert_eq!(e.ncerr(), Some("NCERRUnauthorizedAccess"));
    assert_eq!(e.request_id(), Some("9a1d2c3e-0000-4000-8000-000000000005"));
    assert_eq!(e.detail(), "Wrong username or password.");
    assert_eq!(
        e.login_message(),
        "The manager refused the username or password."
    );
    assert_eq!(
        e.user_message(),
        "Your session has expired; please log in again."
    );
    assert!(!e.is_transient());
}

#[test]
fn not_found_404_with_text_code_16() {
    let e = ApiError::from_response(404, "Not Found", NOT_FOUND_16, None);
    assert!(e.is_not_found());
    assert_eq!(e.status, Some(404));
    assert_eq!(e.ncerr(), Some("NCERRResourceNotFound"));
    assert_eq!(e.request_id(), Some("3f0c8a2e-1111-4111-8111-111111111111"));
    assert_eq!(
        e.user_message(),
        "The manager refused the request: Resource not found (HTTP 404)."
    );
}

#[test]
fn internal_500_code_14() {
    let e = ApiError::from_response(500, "Internal Server Error", INTERNAL_14, None);
    assert_eq!(e.status, Some(500));
    assert_eq!(e.ncerr(), Some("NCERRInternalServerError"));
    assert_eq!(e.request_id(), Some("r-14"));
    assert_eq!(
        e.user_message(),
        "The manager failed: unexpected error (HTTP 500)."
    );
    assert!(e.is_transient());
    assert!(e.is_manager_answer());
}

#[test]
fn forbidden_403_message_wins() {
    let e = ApiError::from_response(403, "Forbidden", FORBIDDEN, None);
    assert_eq!(e.ncerr(), Some("NCERRForbidden"));
    assert_eq!(e.request_id(), Some("3f0c"));
    assert_eq!(
        e.user_message(),
        "The manager refused the request: user custodian may not keydelete in group hr (HTTP 403)."
    );
    assert!(!e.is_unauthorized());
    let bare = ApiError::from_response(
        403,
        "Forbidden",
        r#"{"code":19,"codeDesc":"NCERRForbidden"}"#,
        None,
    );
    assert_eq!(bare.ncerr(), Some("NCERRForbidden"));
    assert_eq!(bare.request_id(), None, "requestID may be missing");
    assert_eq!(
        bare.user_message(),
        "The manager refused the request: NCERRForbidden (HTTP 403)."
    );
}

#[test]
fn missing_blank_or_long_request_id() {
    for body in [
        r#"{"codeDesc":"NCERRConflict: busy","requestID":"  "}"#,
        r#"{"codeDesc":"NCERRConflict: busy","requestID":null}"#,
        r#"{"codeDesc":"NCERRConflict: busy","requestID":{"a":1}}"#,
    ] {
        let e = ApiError::from_response(409, "Conflict", body, None);
        assert_eq!(e.request_id(), None, "{body}");
        assert_eq!(e.ncerr(), Some("NCERRConflict"));
    }
    let long = format!(r#"{{"requestID":"{}"}}"#, "r".repeat(5000));
    let e = ApiError::from_response(400, "Bad Request", &long, None);
    assert!(e.request_id().is_some_and(|r| r.chars().count() <= 100));
}

#[test]
fn non_json_and_other_shapes_have_no_name_or_request_id() {
    for body in [
        "<html>502</html>",
        "[1,2]",
        r#""NCERRForbidden""#,
        r#"{"error":"x"}"#,
        "",
    ] {
        let e = ApiError::from_response(502, "Bad Gateway", body, None);
        assert_eq!(e.ncerr(), None, "{body}");
        assert_eq!(e.request_id(), None, "{body}");
        let m = e.user_message();
        assert!(
            m.starts_with("The manager failed: HTTP 502 Bad Gateway"),
            "{m}"
        );
    }
    for e in [
        ApiError::network("Failed to fetch"),
        ApiError::timeout(1000),
        ApiError::other("x"),
        ApiError::invalid_id("x"),
    ] {
        assert_eq!(
            (e.ncerr(), e.request_id(), e.is_manager_answer()),
            (None, None, false)
        );
    }
}

#[test]
fn code_desc_that_is_not_an_ncerr_name() {
    let e = ApiError::from_response(
        400,
        "Bad Request",
        r#"{"codeDesc":"Something odd: here"}"#,
        None,
    );
    assert_eq!(e.ncerr(), None);
    assert_eq!(
        e.user_message(),
        "The manager refused the request: Something odd: here (HTTP 400)."
    );
    assert_eq!(split_code_desc("NCERRX: a: b"), (Some("NCERRX"), "a: b"));
    assert_eq!(split_code_desc(" NCERRBare "), (Some("NCERRBare"), ""));
    assert_eq!(
        split_code_desc("NCERRName text"),
        (Some("NCERRName"), "text")
    );
    assert_eq!(split_code_desc("NCERR"), (None, "NCERR"));
    assert_eq!(split_code_desc("NCERRFoo-bar"), (None, "NCERRFoo-bar"));
    assert_eq!(split_code_desc("xNCERRFoo"), (None, "xNCERRFoo"));
    assert_eq!(split_code_desc(""), (None, ""));
    let e = ApiError::from_response(409, "", r#"{"codeDesc":"NCERRConflict:"}"#, None);
    assert_eq!(
        e.user_message(),
        "The manager refused the request: NCERRConflict (HTTP 409)."
    );
}

#[test]
fn request_id_is_token_free() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2NhbHwxIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
    let e = ApiError::from_response(400, "", &format!(r#"{{"requestID":"{jwt}"}}"#), None);
    assert!(!e.request_id().unwrap_or("").contains("eyJ"));
}
