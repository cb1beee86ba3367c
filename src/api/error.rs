//! The one error type for every failure the page can meet while talking to the manager.

use std::fmt;
use std::rc::Rc;

use serde::Deserialize;

use crate::api::decode::{parse_json, DecodeError};
use crate::api::lenient;
use crate::api::text::excerpt;

/// What went wrong, broadly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request never got an HTTP answer.
    Network,
    /// No answer within the client's time limit.
    Timeout,
    /// The manager answered with a non-2xx status.
    Http,
    /// An answer arrived but could not be read; `truncated` when it stopped early.
    Decode { truncated: bool },
    /// The page refused to send a request for an id that is not a UUID.
    InvalidId,
    /// Anything else; `message` is a full sentence.
    Other,
}

/// One failure, cheap to clone. `message` is the detail (the manager's own text for HTTP errors),
/// never a token; [`ApiError::user_message`] makes the sentence shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub message: Rc<str>,
    /// The manager's `codeDesc` (e.g. "NCERRConflict: …" or a bare "NCERRConflict") when it sent one.
    pub code_desc: Option<Rc<str>>,
    /// The manager's `requestID`: what its administrator looks up in the logs.
    pub request_id: Option<Rc<str>>,
    pub retry_after_s: Option<u32>,
}

/// The manager's error body: `{"code":16,"codeDesc":"NCERR…","message":"…","requestID":"…"}`.
/// `code` is the manager's own number, not the HTTP status: never branch on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ManagerErrorBody {
    #[serde(default, deserialize_with = "lenient::opt")]
    pub code: Option<i64>,
    #[serde(rename = "codeDesc", default, deserialize_with = "lenient::text")]
    pub code_desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub message: Option<String>,
    /// Also read as `requestId` or `request_id` (one of them; two make the body unreadable).
    #[serde(
        rename = "requestID",
        alias = "requestId",
        alias = "request_id",
        default,
        deserialize_with = "lenient::opt"
    )]
    pub request_id: Option<String>,
}

const EXCERPT_CHARS: usize = 200;
const REQUEST_ID_CHARS: usize = 100;
/// Retry-After values above this are capped (a hostile or broken header must not stall the page).
const MAX_RETRY_AFTER_S: u32 = 600;

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Splits a `codeDesc` into its `NCERR…` name (only when it really starts with one) and the
/// text after it: "NCERRResourceNotFound: Resource not found" → (Some(name), "Resource not found").
pub(crate) fn split_code_desc(code_desc: &str) -> (Option<&str>, &str) {
    let cd = code_desc.trim();
    let end = cd
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(cd.len());
    let (name, rest) = cd.split_at(end);
    let named = name.len() > "NCERR".len()
        && name.starts_with("NCERR")
        && (rest.is_empty() || rest.starts_with(':') || rest.starts_with(char::is_whitespace));
    if !named {
        return (None, cd);
    }
    let rest = rest.trim_start();
    (Some(name), rest.strip_prefix(':').unwrap_or(rest).trim())
}

/// Ends a sentence with a period unless it already ends with punctuation.
fn sentence(s: String) -> String {
    if s.ends_with(['.', '!', '?', '…']) {
        s
    } else {
        s + "."
    }
}

impl ApiError {
    fn new(kind: ErrorKind, status: Option<u16>, message: &str) -> ApiError {
        ApiError {
            kind,
            status,
            message: Rc::from(excerpt(message, 500)),
            code_desc: None,
            request_id: None,
            retry_after_s: None,
        }
    }

    /// The request got no HTTP answer (fetch failed, CORS, offline…).
    pub fn network(detail: impl AsRef<str>) -> ApiError {
        let d = detail.as_ref().trim();
        let d = if d.is_empty() { "no answer" } else { d };
        ApiError::new(ErrorKind::Network, None, d)
    }

    /// No answer within `after_ms`.
    pub(crate) fn timeout(after_ms: u64) -> ApiError {
        let s = after_ms.div_ceil(1000);
        ApiError::new(ErrorKind::Timeout, None, &format!("no answer within {s} s"))
    }

    /// Any other failure; `sentence` is shown as is.
    pub fn other(sentence: impl AsRef<str>) -> ApiError {
        ApiError::new(ErrorKind::Other, None, sentence.as_ref())
    }

    /// A non-2xx answer. Shows the manager's `message`, else the text of its `codeDesc` (the
    /// bare name when there is no text), else "HTTP <status> <status_text>" with a short excerpt
    /// of the body. The manager's `code` is its own number: it is never read.
    pub fn from_response(
        status: u16,
        status_text: &str,
        body: &str,
        retry_after_header: Option<&str>,
    ) -> ApiError {
        let parsed = parse_json::<ManagerErrorBody>(body).ok();
        let (msg, code_desc, request_id) = match parsed {
            Some(b) => (
                blank_to_none(b.message),
                blank_to_none(b.code_desc),
                blank_to_none(b.request_id),
            ),
            None => (None, None, None),
        };
        let code_text = code_desc.as_deref().map(|c| match split_code_desc(c) {
            (Some(name), "") => name.to_string(),
            (_, text) => text.to_string(),
        });
        let detail = match (msg, code_text) {
            (Some(m), _) => m,
            (None, Some(c)) => c,
            (None, None) => {
                let mut d = format!("HTTP {status}");
                let st = excerpt(status_text, 60);
                if !st.is_empty() {
                    d.push(' ');
                    d.push_str(&st);
                }
                let x = excerpt(body, EXCERPT_CHARS);
                if !x.is_empty() {
                    d.push_str(": ");
                    d.push_str(&x);
                }
                d
            }
        };
        let mut e = ApiError::new(ErrorKind::Http, Some(status), &detail);
        e.code_desc = code_desc.map(|c| Rc::from(excerpt(&c, 300)));
        e.request_id = request_id
            .map(|r| excerpt(&r, REQUEST_ID_CHARS))
            .filter(|r| !r.is_empty())
            .map(Rc::from);
        e.retry_after_s = retry_after_header.and_then(parse_retry_after);
        e
    }

    /// An answer that could not be read; `what` names it ("the key list", "the job"…).
    pub fn decode(err: DecodeError, what: &str) -> ApiError {
        let what = what.trim();
        let what = if what.is_empty() { "it" } else { what };
        let (truncated, detail) = match &err {
            DecodeError::NotJson(_) => (false, format!("{what} is not JSON")),
            DecodeError::Truncated => (true, format!("{what} was cut short")),
            DecodeError::WrongShape(m) => (
                false,
                format!("{what} has an unexpected shape ({})", excerpt(m, 200)),
            ),
        };
        ApiError::new(ErrorKind::Decode { truncated }, None, &detail)
    }

    /// The page will not send a request with this id: it is not a UUID.
    pub(crate) fn invalid_id(raw: &str) -> ApiError {
        let shown = excerpt(raw, 80);
        ApiError::new(
            ErrorKind::InvalidId,
            None,
            &format!("'{shown}' is not a valid id (a UUID was expected)"),
        )
    }

    /// The detail: the manager's message, the network error, … (no sentence framing).
    pub fn detail(&self) -> &str {
        &self.message
    }

    /// A full sentence for the user.
    pub fn user_message(&self) -> String {
        let d = &*self.message;
        match (&self.kind, self.status) {
            (ErrorKind::Network, _) => sentence(format!("Cannot reach the manager: {d}")),
            (ErrorKind::Timeout, _) => sentence(format!("The manager did not answer: {d}")),
            (ErrorKind::Decode { .. }, _) => {
                sentence(format!("The manager's answer could not be read: {d}"))
            }
            (ErrorKind::InvalidId, _) => sentence(format!("The request was not sent: {d}")),
            (ErrorKind::Other, _) => sentence(d.to_string()),
            (ErrorKind::Http, Some(401)) => {
                "Your session has expired; please log in again.".to_string()
            }
            (ErrorKind::Http, status) => {
                let status = status.unwrap_or(0);
                let lead = match status {
                    429 => "The manager is busy",
                    500..=599 => "The manager failed",
                    400..=499 => "The manager refused the request",
                    _ => "The manager answered unexpectedly",
                };
                let d = d.trim_end_matches('.');
                if d.starts_with("HTTP ") {
                    sentence(format!("{lead}: {d}"))
                } else {
                    format!("{lead}: {d} (HTTP {status}).")
                }
            }
        }
    }

    /// The sentence for a failed log-in: a 401 there means a wrong username or password.
    pub fn login_message(&self) -> String {
        if self.is_unauthorized() {
            "The manager refused the username or password.".to_string()
        } else {
            self.user_message()
        }
    }

    /// The manager's `NCERR…` name, only when its `codeDesc` really starts with one.
    pub fn ncerr(&self) -> Option<&str> {
        split_code_desc(self.code_desc.as_deref()?).0
    }

    /// The manager's `requestID`, for its administrator.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Whether the manager itself answered (with an error status), as opposed to no answer,
    /// an unreadable one, or a request the page did not send.
    pub(crate) fn is_manager_answer(&self) -> bool {
        self.kind == ErrorKind::Http
    }

    /// By HTTP status only: whatever the body says (e.g. "Wrong username or password.").
    pub(crate) fn is_unauthorized(&self) -> bool {
        self.kind == ErrorKind::Http && self.status == Some(401)
    }

    pub(crate) fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::Http && self.status == Some(404)
    }

    /// Worth repeating, if the request is idempotent (a GET): a network failure, a timeout,
    /// 408, 429, 5xx, or an answer cut short.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            ErrorKind::Network | ErrorKind::Timeout => true,
            ErrorKind::Decode { truncated } => truncated,
            ErrorKind::Http => matches!(self.status, Some(408 | 429 | 500..=599)),
            ErrorKind::InvalidId | ErrorKind::Other => false,
        }
    }

    pub(crate) fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after_s.map(|s| u64::from(s) * 1000)
    }
}

/// `Retry-After` in seconds (the HTTP-date form is ignored: the page reads no clock here).
fn parse_retry_after(h: &str) -> Option<u32> {
    let n: u64 = h.trim().parse().ok()?;
    Some(n.min(u64::from(MAX_RETRY_AFTER_S)) as u32)
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests;
