//! The manager's wire types, as `shared/api/cckm-sap.md` describes them: only `[C]` fields are
//! required, every `[I]` field is optional, unknown fields are ignored.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::error::excerpt;
use crate::api::lenient;
use crate::api::read::{value_u64, FromJson, Obj};

/// Why a body could not be read as the expected JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not JSON at all; holds a short, sanitized excerpt of the body.
    NotJson(String),
    /// JSON that stops early (or an empty body): most likely a cut connection.
    Truncated,
    /// JSON, but not the expected shape; holds serde's message.
    WrongShape(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotJson(x) if x.is_empty() => write!(f, "it is not JSON"),
            DecodeError::NotJson(x) => write!(f, "it is not JSON (\"{x}\")"),
            DecodeError::Truncated => write!(f, "it was cut short"),
            DecodeError::WrongShape(m) => write!(f, "it has an unexpected shape ({m})"),
        }
    }
}

impl DecodeError {
    fn from_serde(e: &serde_json::Error, body: &str) -> DecodeError {
        use serde_json::error::Category;
        match e.classify() {
            Category::Eof => DecodeError::Truncated,
            // Not formatted with `Display`: that would bring serde_json's and std::io's error texts
            // into the wasm, for a category that JSON parsed as a `Value` does not produce.
            Category::Data => DecodeError::WrongShape(format!(
                "a value it cannot hold, at line {} column {}",
                e.line(),
                e.column()
            )),
            Category::Syntax | Category::Io => DecodeError::NotJson(excerpt(body, 200)),
        }
    }
}

/// Parses a whole body as `T`.
pub fn parse_json<T: FromJson>(body: &str) -> Result<T, DecodeError> {
    T::from_json(parse_value(body)?)
        .ok_or_else(|| DecodeError::WrongShape(format!("expected {}", T::SHAPE)))
}

/// Parses a body as JSON.
pub fn parse_value(body: &str) -> Result<Value, DecodeError> {
    serde_json::from_str(body).map_err(|e| DecodeError::from_serde(&e, body))
}

// ---------------------------------------------------------------------------------------------
// Auth

/// The body of `POST /api/v1/auth/tokens`. Its `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenRequest {
    Password {
        username: String,
        password: String,
        /// The CipherTrust domain to log into; absent means the root domain.
        #[serde(skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
        /// The user's home domain, when it is not the domain logged into.
        #[serde(skip_serializing_if = "Option::is_none")]
        auth_domain: Option<String>,
        /// The authentication source: `local_account` or an LDAP/OIDC connection's name.
        #[serde(skip_serializing_if = "Option::is_none")]
        connection: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
    },
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRequest::Password {
                username,
                domain,
                auth_domain,
                connection,
                ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("domain", domain)
                .field("auth_domain", auth_domain)
                .field("connection", connection)
                .field("password", &"<hidden>")
                .finish(),
            TokenRequest::RefreshToken { .. } => f
                .debug_struct("RefreshToken")
                .field("refresh_token", &"<hidden>")
                .finish(),
        }
    }
}

/// The manager's answer to a token request. Its `Debug` never shows a token.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub jwt: String,
    pub duration: Option<u64>,
    pub token_type: Option<String>,
    pub refresh_token: Option<String>,
    pub refresh_token_id: Option<String>,
    pub client_id: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("jwt", &"<hidden>")
            .field("duration", &self.duration)
            .field("token_type", &self.token_type)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<hidden>"),
            )
            .field("refresh_token_id", &self.refresh_token_id)
            .field("client_id", &self.client_id)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

/// One page of a manager list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListPage<T> {
    pub skip: u64,
    pub limit: u64,
    pub total: u64,
    pub resources: Vec<T>,
    pub messages: Vec<String>,
}

impl<T> Default for ListPage<T> {
    fn default() -> Self {
        ListPage {
            skip: 0,
            limit: 0,
            total: 0,
            resources: Vec::new(),
            messages: Vec::new(),
        }
    }
}

/// Parses a list page resource by resource: a malformed resource is skipped and counted
/// instead of failing the page. Missing `skip`/`limit`/`messages` default; a missing `total`
/// becomes `skip + resources.len()`.
pub fn parse_list<T: FromJson>(body: &str) -> Result<(ListPage<T>, usize), DecodeError> {
    let value = parse_value(body)?;
    let Some(mut obj) = Obj::new(value) else {
        return Err(DecodeError::WrongShape(
            "a list page must be a JSON object".into(),
        ));
    };
    let raw = match obj.take("resources") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(DecodeError::WrongShape(
                "\"resources\" is not an array".into(),
            ));
        }
    };
    let mut skipped = 0;
    let mut resources = Vec::with_capacity(raw.len());
    for item in raw {
        match T::from_json(item) {
            Some(r) => resources.push(r),
            None => skipped += 1,
        }
    }
    let num = |k: &str| obj.get(k).and_then(value_u64);
    let skip = num("skip").unwrap_or(0);
    let limit = num("limit").unwrap_or(0);
    let seen = (resources.len() + skipped) as u64;
    let total = num("total").unwrap_or(skip.saturating_add(seen));
    let messages = match obj.get("messages") {
        Some(Value::Array(ms)) => ms
            .iter()
            .map(|m| match m {
                Value::String(s) => s.clone(),
                other => super::read::json_text(other),
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok((
        ListPage {
            skip,
            limit,
            total,
            resources,
            messages,
        },
        skipped,
    ))
}

// ---------------------------------------------------------------------------------------------
// Keys

/// A key's state as the page shows it (no single enum exists on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyState {
    Enabled,
    Disabled,
    Gone,
    Unknown,
}

impl KeyState {
    pub fn label(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::Gone => "Deleted from SAP",
            KeyState::Unknown => "Unknown",
        }
    }

    /// A text glyph shown next to the label (never the only signal).
    pub fn icon(self) -> &'static str {
        match self {
            KeyState::Enabled => "●",
            KeyState::Disabled => "○",
            KeyState::Gone => "⊘",
            KeyState::Unknown => "?",
        }
    }

    pub fn is_gone(self) -> bool {
        self == KeyState::Gone
    }
}

/// `sap_param.keystoreContext`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeystoreContext {
    #[serde(rename = "customerHeld")]
    pub customer_held: Option<bool>,
}

/// `sap_param.meta`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyMeta {
    pub created: Option<String>,
    #[serde(rename = "creatorName")]
    pub creator_name: Option<String>,
    #[serde(rename = "totalVersions")]
    pub total_versions: Option<u64>,
}

/// `sap_param` of a key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SapParam {
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub exportable: Option<bool>,
    #[serde(rename = "groupId")]
    pub group_id: Option<String>,
    pub sap_key_id: Option<String>,
    #[serde(rename = "type")]
    pub key_type: Option<String>,
    pub size: Option<u32>,
    #[serde(rename = "keystoreContext")]
    pub keystore_context: Option<KeystoreContext>,
    pub meta: Option<KeyMeta>,
}

/// An SAP key as the manager lists it. `id` is its CCKM id; `sap_param.sap_key_id` its SAP id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SapKey {
    pub id: String,
    pub uri: Option<String>,
    pub account: Option<String>,
    pub name: Option<String>,
    pub gone: Option<bool>,
    pub tenant: Option<String>,
    pub cloud_name: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt")]
    pub updated_at: Option<String>,
    pub sap_group_name: Option<String>,
    pub sap_param: Option<SapParam>,
}

fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}

impl SapKey {
    pub fn state(&self) -> KeyState {
        if self.gone == Some(true) {
            return KeyState::Gone;
        }
        match self.enabled() {
            Some(true) => KeyState::Enabled,
            Some(false) => KeyState::Disabled,
            None => KeyState::Unknown,
        }
    }

    pub fn enabled(&self) -> Option<bool> {
        self.sap_param.as_ref().and_then(|p| p.enabled)
    }

    /// The key's name, or "(unnamed key <id>)".
    pub fn display_name(&self) -> String {
        match self.real_name() {
            Some(n) => n.to_string(),
            None => format!("(unnamed key {})", self.id),
        }
    }

    /// The name if it is not blank.
    pub fn real_name(&self) -> Option<&str> {
        non_blank(&self.name)
    }

    /// "AES 256", "AES", "256" or "".
    pub fn type_size(&self) -> String {
        let p = self.sap_param.as_ref();
        let t = p.and_then(|p| non_blank(&p.key_type));
        let s = p.and_then(|p| p.size);
        match (t, s) {
            (Some(t), Some(s)) => format!("{t} {s}"),
            (Some(t), None) => t.to_string(),
            (None, Some(s)) => s.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The group's name, else the SAP group id, else "".
    pub fn group_label(&self) -> String {
        non_blank(&self.sap_group_name)
            .or_else(|| self.sap_param.as_ref().and_then(|p| non_blank(&p.group_id)))
            .unwrap_or("")
            .to_string()
    }

    pub fn sap_key_id(&self) -> Option<&str> {
        self.sap_param
            .as_ref()
            .and_then(|p| non_blank(&p.sap_key_id))
    }
}

// ---------------------------------------------------------------------------------------------
// Groups

/// An SAP group (`GET /groups`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SapGroup {
    pub id: String,
    pub uri: Option<String>,
    pub account: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt")]
    pub updated_at: Option<String>,
    pub name: Option<String>,
    pub group_id: Option<String>,
    pub sap_application: Option<String>,
    pub keystore_id: Option<String>,
    pub connection: Option<String>,
    pub cloud_name: Option<String>,
    pub tenant: Option<String>,
}

impl SapGroup {
    /// The group's name, else its SAP group id, else its CCKM id.
    pub fn label(&self) -> String {
        non_blank(&self.name)
            .or_else(|| non_blank(&self.group_id))
            .unwrap_or(&self.id)
            .to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// A job operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Operation {
    Delete,
    Restore,
}

impl Operation {
    pub fn label(self) -> &'static str {
        match self {
            Operation::Delete => "Delete",
            Operation::Restore => "Restore",
        }
    }

    /// The wire spelling: "delete" / "restore".
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Delete => "delete",
            Operation::Restore => "restore",
        }
    }

    /// Case-insensitive parse of the wire spelling.
    pub fn parse(s: &str) -> Option<Operation> {
        s.parse().ok()
    }
}

/// Not "delete" or "restore".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation;

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an operation must be \"delete\" or \"restore\"")
    }
}

/// The wire spelling, in any case, trimmed.
impl std::str::FromStr for Operation {
    type Err = UnknownOperation;
    fn from_str(s: &str) -> Result<Operation, UnknownOperation> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("delete") {
            Ok(Operation::Delete)
        } else if s.eq_ignore_ascii_case("restore") {
            Ok(Operation::Restore)
        } else {
            Err(UnknownOperation)
        }
    }
}

impl TryFrom<String> for Operation {
    type Error = UnknownOperation;
    fn try_from(s: String) -> Result<Operation, UnknownOperation> {
        s.parse()
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of `POST /api/v1/cckm/sap/keys/jobs`; `id` is the key's CCKM id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobRequest {
    pub id: String,
    pub operation: Operation,
    pub delete_if_backup_fails: bool,
}

/// A job as the manager returns it. `state` stays the manager's raw string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub state: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub uri: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub account: Option<String>,
    #[serde(rename = "createdAt", default, deserialize_with = "lenient::opt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt", default, deserialize_with = "lenient::opt")]
    pub updated_at: Option<String>,
    /// The key's CCKM id.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub cckm_key_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub group_id: Option<String>,
    /// The job's id on the SAP side.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub job_id: Option<String>,
    /// The key's SAP id (`sap_key_id`), despite the wire name.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub key_id: Option<String>,
    /// The raw word; [`Job::operation`] reads it.
    #[serde(default, deserialize_with = "lenient::opt")]
    pub operation: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub creator_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub creator_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub error_details: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub details: Option<String>,
    /// The raw JSON this job was read from, when read with [`parse_job`] / [`Job::from_value`].
    #[serde(skip)]
    pub raw: Option<Value>,
}

impl Job {
    /// The first non-blank of `error_details`, `error`, `message`, `details`.
    pub fn failure_text(&self) -> Option<String> {
        [
            &self.error_details,
            &self.error,
            &self.message,
            &self.details,
        ]
        .into_iter()
        .find_map(|t| non_blank(t).map(|s| s.trim().to_string()))
    }

    /// Reads a job from JSON, keeping the raw value in `raw`.
    pub fn from_value(value: Value) -> Result<Job, DecodeError> {
        let mut job = Job::from_json(value.clone())
            .ok_or_else(|| DecodeError::WrongShape(format!("expected {}", Job::SHAPE)))?;
        job.raw = Some(value);
        Ok(job)
    }

    /// The operation as an [`Operation`], if it is a known one.
    pub fn operation(&self) -> Option<Operation> {
        self.operation.as_deref().and_then(Operation::parse)
    }
}

/// Parses a job body, keeping the raw JSON in `Job::raw`.
pub fn parse_job(body: &str) -> Result<Job, DecodeError> {
    Job::from_value(parse_value(body)?)
}

/// The manager's error body: `{"code":16,"codeDesc":"NCERR…","message":"…","requestID":"…"}`.
/// `code` is the manager's own number, not the HTTP status: never branch on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ManagerErrorBody {
    pub code: Option<i64>,
    #[serde(rename = "codeDesc")]
    pub code_desc: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "requestID")]
    pub request_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Reading

impl FromJson for Value {
    const SHAPE: &'static str = "JSON";
    fn from_json(v: Value) -> Option<Value> {
        Some(v)
    }
}

impl FromJson for TokenResponse {
    const SHAPE: &'static str = "an object with a string \"jwt\"";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(TokenResponse {
            jwt: o.req_string("jwt")?,
            duration: o.opt_u64("duration"),
            token_type: o.opt_string("token_type"),
            refresh_token: o.opt_string("refresh_token"),
            refresh_token_id: o.opt_string("refresh_token_id"),
            client_id: o.opt_string("client_id"),
        })
    }
}

impl FromJson for KeystoreContext {
    const SHAPE: &'static str = "an object";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(KeystoreContext {
            customer_held: o.opt_bool("customerHeld"),
        })
    }
}

impl FromJson for KeyMeta {
    const SHAPE: &'static str = "an object";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(KeyMeta {
            created: o.opt_string("created"),
            creator_name: o.opt_string("creatorName"),
            total_versions: o.opt_u64("totalVersions"),
        })
    }
}

impl FromJson for SapParam {
    const SHAPE: &'static str = "an object";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(SapParam {
            description: o.opt_string("description"),
            enabled: o.opt_bool("enabled"),
            exportable: o.opt_bool("exportable"),
            group_id: o.opt_string("groupId"),
            sap_key_id: o.opt_string("sap_key_id"),
            key_type: o.opt_string("type"),
            size: o.opt_u32("size"),
            keystore_context: o
                .take("keystoreContext")
                .and_then(KeystoreContext::from_json),
            meta: o.take("meta").and_then(KeyMeta::from_json),
        })
    }
}

impl FromJson for SapKey {
    const SHAPE: &'static str = "a key object with a string \"id\"";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(SapKey {
            id: o.req_string("id")?,
            uri: o.opt_string("uri"),
            account: o.opt_string("account"),
            name: o.opt_string("name"),
            gone: o.opt_bool("gone"),
            tenant: o.opt_string("tenant"),
            cloud_name: o.opt_string("cloud_name"),
            created_at: o.opt_string("createdAt"),
            updated_at: o.opt_string("updatedAt"),
            sap_group_name: o.opt_string("sap_group_name"),
            sap_param: o.take("sap_param").and_then(SapParam::from_json),
        })
    }
}

impl FromJson for SapGroup {
    const SHAPE: &'static str = "a group object with a string \"id\"";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(SapGroup {
            id: o.req_string("id")?,
            uri: o.opt_string("uri"),
            account: o.opt_string("account"),
            created_at: o.opt_string("createdAt"),
            updated_at: o.opt_string("updatedAt"),
            name: o.opt_string("name"),
            group_id: o.opt_string("group_id"),
            sap_application: o.opt_string("sap_application"),
            keystore_id: o.opt_string("keystore_id"),
            connection: o.opt_string("connection"),
            cloud_name: o.opt_string("cloud_name"),
            tenant: o.opt_string("tenant"),
        })
    }
}

/// Kept while the ledger reads through `FromJson`: the derived reader does the work.
impl FromJson for Operation {
    const SHAPE: &'static str = "\"delete\" or \"restore\"";
    fn from_json(v: Value) -> Option<Self> {
        Operation::deserialize(v).ok()
    }
}

/// Kept while the ledger reads through `FromJson`: the derived reader does the work.
impl FromJson for Job {
    const SHAPE: &'static str = "a job object with a string \"id\"";
    fn from_json(v: Value) -> Option<Self> {
        lenient::Object::<Job>::deserialize(v).ok()?.0
    }
}

impl FromJson for ManagerErrorBody {
    const SHAPE: &'static str = "an error object";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(ManagerErrorBody {
            code: o.opt_i64("code"),
            code_desc: o.opt_text("codeDesc"),
            message: o.opt_text("message"),
            request_id: o
                .opt_string("requestID")
                .or_else(|| o.opt_string("requestId"))
                .or_else(|| o.opt_string("request_id")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = r#"{
      "id": "d109deae-5ca7-421d-bf49-637e65c3bbcb",
      "uri": "kylo:kylo:cckm:sap-key:d109deae-5ca7-421d-bf49-637e65c3bbcb",
      "account": "kylo:kylo:admin:accounts:kylo",
      "createdAt": "2021-10-18T04:24:18.88509Z",
      "updatedAt": "2021-10-18T05:48:26.754073Z",
      "cloud_name": "sap",
      "tenant": "thales-preprod",
      "name": "payroll-master",
      "gone": false,
      "sap_param": {
        "description": "",
        "enabled": true,
        "exportable": false,
        "groupId": "489ac34d-3e9c-4be3-8c1c-2c383bf31461",
        "sap_key_id": "89ac400d-254f-4a19-a1fa-8952a2dca56f",
        "keystoreContext": {"customerHeld": false},
        "type": "AES", "size": 256,
        "meta": {"created": "2021-10-22T03:27:41Z", "creatorName": "creator.name@xyz.com", "totalVersions": 1}
      },
      "sap_group_name": "payroll",
      "some_future_field": {"x": [1, 2]}
    }"#;

    const JOB: &str = r#"{
      "id": "5db60499-9f4f-4143-b963-370459d3cef1",
      "uri": "kylo:kylo:cckm:sap_job:5db60499-9f4f-4143-b963-370459d3cef1",
      "account": "kylo:kylo:admin:accounts:kylo",
      "createdAt": "2021-11-24T09:54:45.962862797Z",
      "updatedAt": "2021-11-24T09:54:45.963309486Z",
      "cckm_key_id": "b707ea86-37bb-4212-ad09-2635698dbe4a",
      "group_id": "489ac34d-3e9c-4be3-8c1c-2c383bf31461",
      "job_id": "b6b65380-4c0d-4b39-853a-e54676fe6706",
      "key_id": "89ac400d-254f-4a19-a1fa-8952a2dca56f",
      "operation": "delete",
      "creator_id": "69f41156-5197-490d-aa5f-f1ffb0ab4e66",
      "creator_name": "creator.name@xyz.com",
      "state": "PENDING"
    }"#;

    #[test]
    fn token_request_serializes_exactly() {
        let p = TokenRequest::Password {
            username: "admin".into(),
            password: "pw".into(),
            domain: None,
            auth_domain: None,
            connection: None,
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"grant_type":"password","username":"admin","password":"pw"})
        );
        let d = TokenRequest::Password {
            username: "ana".into(),
            password: "pw".into(),
            domain: Some("eu-payments".into()),
            auth_domain: Some("root".into()),
            connection: Some("corp-ldap".into()),
        };
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!({"grant_type":"password","username":"ana","password":"pw","domain":"eu-payments","auth_domain":"root","connection":"corp-ldap"})
        );
        let r = TokenRequest::RefreshToken {
            refresh_token: "rt".into(),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"grant_type":"refresh_token","refresh_token":"rt"})
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let p = TokenRequest::Password {
            username: "admin".into(),
            password: "s3cret".into(),
            domain: None,
            auth_domain: None,
            connection: Some("corp-ldap".into()),
        };
        assert!(!format!("{p:?}").contains("s3cret"));
        let r = TokenRequest::RefreshToken {
            refresh_token: "rtok".into(),
        };
        assert!(!format!("{r:?}").contains("rtok"));
        let t: TokenResponse =
            parse_json(r#"{"jwt":"eyJhbGci.x.y","refresh_token":"rtok","duration":300}"#).unwrap();
        let d = format!("{t:?}");
        assert!(!d.contains("eyJ") && !d.contains("rtok"), "{d}");
    }

    #[test]
    fn token_response_full_and_minimal() {
        let t: TokenResponse = parse_json(
            r#"{"jwt":"a.b.c","duration":300,"token_type":"Bearer","client_id":"c",
                "refresh_token_id":"i","refresh_token":"r","extra":1}"#,
        )
        .unwrap();
        assert_eq!(t.duration, Some(300));
        assert_eq!(t.refresh_token.as_deref(), Some("r"));
        assert_eq!(t.client_id.as_deref(), Some("c"));
        let m: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":"300.0x"}"#).unwrap();
        assert_eq!(m.duration, None);
        assert_eq!(m.refresh_token, None);
        let f: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":300.0}"#).unwrap();
        assert_eq!(f.duration, Some(300));
        assert!(matches!(
            parse_json::<TokenResponse>("{}"),
            Err(DecodeError::WrongShape(_))
        ));
    }

    #[test]
    fn key_full_example() {
        let k: SapKey = parse_json(KEY).unwrap();
        assert_eq!(k.id, "d109deae-5ca7-421d-bf49-637e65c3bbcb");
        assert_eq!(k.state(), KeyState::Enabled);
        assert_eq!(k.display_name(), "payroll-master");
        assert_eq!(k.type_size(), "AES 256");
        assert_eq!(k.group_label(), "payroll");
        assert_eq!(k.sap_key_id(), Some("89ac400d-254f-4a19-a1fa-8952a2dca56f"));
        assert_eq!(k.created_at.as_deref(), Some("2021-10-18T04:24:18.88509Z"));
        assert_eq!(k.updated_at.as_deref(), Some("2021-10-18T05:48:26.754073Z"));
        let p = k.sap_param.unwrap();
        assert_eq!(
            p.keystore_context,
            Some(KeystoreContext {
                customer_held: Some(false)
            })
        );
        let meta = p.meta.unwrap();
        assert_eq!(meta.creator_name.as_deref(), Some("creator.name@xyz.com"));
        assert_eq!(meta.total_versions, Some(1));
    }

    #[test]
    fn key_minimal_only_confirmed_fields() {
        let k: SapKey = parse_json(r#"{"id":"x","sap_param":{"enabled":false}}"#).unwrap();
        assert_eq!(k.state(), KeyState::Disabled);
        assert_eq!(k.display_name(), "(unnamed key x)");
        assert_eq!(k.type_size(), "");
        assert_eq!(k.group_label(), "");
        let bare: SapKey = parse_json(r#"{"id":"y"}"#).unwrap();
        assert_eq!(bare.state(), KeyState::Unknown);
    }

    #[test]
    fn key_state_rules() {
        let mk = |gone: Option<bool>, enabled: Option<bool>| SapKey {
            id: "k".into(),
            gone,
            sap_param: Some(SapParam {
                enabled,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(mk(Some(true), Some(true)).state(), KeyState::Gone);
        assert_eq!(mk(Some(true), None).state(), KeyState::Gone);
        assert_eq!(mk(Some(false), Some(true)).state(), KeyState::Enabled);
        assert_eq!(mk(None, Some(false)).state(), KeyState::Disabled);
        assert_eq!(mk(None, None).state(), KeyState::Unknown);
        for s in [
            KeyState::Enabled,
            KeyState::Disabled,
            KeyState::Gone,
            KeyState::Unknown,
        ] {
            assert!(!s.label().is_empty() && !s.icon().is_empty());
        }
        assert_eq!(KeyState::Gone.label(), "Deleted from SAP");
    }

    #[test]
    fn key_tolerates_odd_types_in_inferred_fields() {
        let k: SapKey = parse_json(
            r#"{"id":"x","name":42,"gone":"true","sap_group_name":null,
                "sap_param":{"enabled":"FALSE","size":"128","type":"HMAC","meta":"oops",
                             "keystoreContext":[1]}}"#,
        )
        .unwrap();
        assert_eq!(k.name.as_deref(), Some("42"));
        assert_eq!(k.state(), KeyState::Gone);
        assert_eq!(k.type_size(), "HMAC 128");
        let p = k.sap_param.unwrap();
        assert_eq!(p.enabled, Some(false));
        assert_eq!(p.meta, None);
        assert_eq!(p.keystore_context, None);
        let k2: SapKey = parse_json(r#"{"id":"x","sap_param":"nope","name":"  "}"#).unwrap();
        assert_eq!(k2.sap_param, None);
        assert_eq!(k2.display_name(), "(unnamed key x)");
    }

    #[test]
    fn type_size_and_group_label_fallbacks() {
        let k = SapKey {
            id: "k".into(),
            sap_param: Some(SapParam {
                size: Some(256),
                group_id: Some("g-1".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(k.type_size(), "256");
        assert_eq!(k.group_label(), "g-1");
        let k = SapKey {
            sap_param: Some(SapParam {
                key_type: Some("AES".into()),
                ..Default::default()
            }),
            ..k
        };
        assert_eq!(k.type_size(), "AES");
    }

    #[test]
    fn list_skips_malformed_resources() {
        let body = format!(
            r#"{{"skip":0,"limit":10,"total":1234,"resources":[{KEY}, {{"name":"no id"}}, 7, {{"id":"b"}}],
                "messages":["careful", 3]}}"#
        );
        let (page, skipped) = parse_list::<SapKey>(&body).unwrap();
        assert_eq!(skipped, 2);
        assert_eq!(page.resources.len(), 2);
        assert_eq!(page.total, 1234);
        assert_eq!(page.limit, 10);
        assert_eq!(page.messages, vec!["careful".to_string(), "3".to_string()]);
    }

    #[test]
    fn list_defaults() {
        let (page, skipped) =
            parse_list::<SapKey>(r#"{"resources":[{"id":"a"},{"id":"b"}]}"#).unwrap();
        assert_eq!((page.skip, page.limit, page.total, skipped), (0, 0, 2, 0));
        assert!(page.messages.is_empty());
        let (page, _) = parse_list::<SapKey>(r#"{"skip":20,"resources":[{"id":"a"}]}"#).unwrap();
        assert_eq!(page.total, 21);
        let (page, _) = parse_list::<SapKey>(r#"{"total":0,"resources":null}"#).unwrap();
        assert!(page.resources.is_empty());
        let (page, _) = parse_list::<SapKey>(r#"{"total":5}"#).unwrap();
        assert_eq!(page.total, 5);
    }

    #[test]
    fn list_errors() {
        assert!(matches!(
            parse_list::<SapKey>("[]"),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(
            parse_list::<SapKey>(r#"{"resources":{}}"#),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(
            parse_list::<SapKey>("<html>"),
            Err(DecodeError::NotJson(_))
        ));
        assert_eq!(
            parse_list::<SapKey>(r#"{"resources":[{"id":"#),
            Err(DecodeError::Truncated)
        );
        assert_eq!(parse_list::<SapKey>(""), Err(DecodeError::Truncated));
    }

    #[test]
    fn not_json_excerpt_is_short_and_clean() {
        let body = format!("<html>\u{0}\u{7}{}</html>", "x".repeat(5000));
        match parse_json::<Value>(&body) {
            Err(DecodeError::NotJson(x)) => {
                assert!(x.chars().count() <= 200);
                assert!(!x.chars().any(char::is_control));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn group_parses() {
        let g: SapGroup = parse_json(
            r#"{"id":"e4b2c2da","uri":"u","account":"a","createdAt":"c","updatedAt":"u",
                "name":"payroll","group_id":"a42e389b","sap_application":"GENERAL",
                "keystore_id":"1e40864c","connection":"sap-connection","cloud_name":"sap"}"#,
        )
        .unwrap();
        assert_eq!(g.label(), "payroll");
        assert_eq!(g.sap_application.as_deref(), Some("GENERAL"));
        assert_eq!(g.connection.as_deref(), Some("sap-connection"));
        let g: SapGroup = parse_json(r#"{"id":"e4","group_id":"gid"}"#).unwrap();
        assert_eq!(g.label(), "gid");
        let g: SapGroup = parse_json(r#"{"id":"e4"}"#).unwrap();
        assert_eq!(g.label(), "e4");
    }

    #[test]
    fn operation_wire_and_labels() {
        assert_eq!(
            serde_json::to_string(&Operation::Delete).unwrap(),
            "\"delete\""
        );
        assert_eq!(
            serde_json::to_string(&Operation::Restore).unwrap(),
            "\"restore\""
        );
        assert_eq!(Operation::Delete.label(), "Delete");
        assert_eq!(Operation::Restore.as_str(), "restore");
        assert_eq!(Operation::parse(" DELETE "), Some(Operation::Delete));
        assert_eq!(Operation::parse("purge"), None);
    }

    #[test]
    fn job_request_sends_a_boolean() {
        let r = JobRequest {
            id: "k".into(),
            operation: Operation::Restore,
            delete_if_backup_fails: false,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"id":"k","operation":"restore","delete_if_backup_fails":false})
        );
    }

    #[test]
    fn job_seed_example() {
        let j = parse_job(JOB).unwrap();
        assert_eq!(j.id, "5db60499-9f4f-4143-b963-370459d3cef1");
        assert_eq!(j.state, "PENDING");
        assert_eq!(
            j.cckm_key_id.as_deref(),
            Some("b707ea86-37bb-4212-ad09-2635698dbe4a")
        );
        assert_eq!(
            j.key_id.as_deref(),
            Some("89ac400d-254f-4a19-a1fa-8952a2dca56f")
        );
        assert_eq!(j.operation(), Some(Operation::Delete));
        assert_eq!(
            j.created_at.as_deref(),
            Some("2021-11-24T09:54:45.962862797Z")
        );
        assert_eq!(j.failure_text(), None);
        assert!(j.raw.is_some());
    }

    #[test]
    fn job_failure_text_order_and_odd_types() {
        let j = parse_job(r#"{"id":"j","state":"FAILED","error_details":"no backup","error":"x"}"#)
            .unwrap();
        assert_eq!(j.failure_text().as_deref(), Some("no backup"));
        let j = parse_job(r#"{"id":"j","error_details":"  ","error":{"code":5},"message":"m"}"#)
            .unwrap();
        assert_eq!(j.failure_text().as_deref(), Some(r#"{"code":5}"#));
        let j = parse_job(r#"{"id":"j","details":["a","b"]}"#).unwrap();
        assert_eq!(j.failure_text().as_deref(), Some(r#"["a","b"]"#));
        let j = parse_job(r#"{"id":"j","message":"m"}"#).unwrap();
        assert_eq!(j.failure_text().as_deref(), Some("m"));
        assert_eq!(j.state, "");
        let j = parse_job(r#"{"id":"j","state":null,"operation":"shred"}"#).unwrap();
        assert_eq!(j.state, "");
        assert_eq!(j.operation(), None);
        assert_eq!(j.operation.as_deref(), Some("shred"));
    }

    #[test]
    fn job_without_id_is_wrong_shape() {
        assert!(matches!(
            parse_job(r#"{"state":"PENDING"}"#),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(parse_job("nope"), Err(DecodeError::NotJson(_))));
    }

    #[test]
    fn manager_error_body() {
        let e: ManagerErrorBody = parse_json(
            r#"{"code":404,"codeDesc":"NCERRResourceNotFound: Resource not found","message":"key 'b707' not found"}"#,
        )
        .unwrap();
        assert_eq!(e.code, Some(404));
        assert_eq!(
            e.code_desc.as_deref(),
            Some("NCERRResourceNotFound: Resource not found")
        );
        assert_eq!(e.message.as_deref(), Some("key 'b707' not found"));
        assert_eq!(e.request_id, None);
        let e: ManagerErrorBody = parse_json(r#"{"code":"409"}"#).unwrap();
        assert_eq!(e.code, Some(409));
        let e: ManagerErrorBody =
            parse_json(r#"{"code":5,"codeDesc":"NCERRUnauthorizedAccess","requestID":"3f0c-1"}"#)
                .unwrap();
        assert_eq!(e.request_id.as_deref(), Some("3f0c-1"));
        let e: ManagerErrorBody = parse_json(r#"{"requestId":42}"#).unwrap();
        assert_eq!(e.request_id.as_deref(), Some("42"));
    }

    #[test]
    fn decode_error_display() {
        assert_eq!(DecodeError::Truncated.to_string(), "it was cut short");
        assert_eq!(
            DecodeError::NotJson(String::new()).to_string(),
            "it is not JSON"
        );
        assert!(DecodeError::WrongShape("m".into())
            .to_string()
            .contains("(m)"));
    }
}
