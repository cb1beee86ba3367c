//! The one HTTP client: builds every request, attaches the bearer token, refreshes it once on a
//! 401, and turns every outcome (network, status, body) into `Result<T, ApiError>`.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_net::http::{Method, Request, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use web_sys::AbortController;
use yew::Callback;

use super::decode::{parse_json, to_json};
use super::error::ApiError;
use super::groups::SapGroup;
use super::jobs::{parse_job, Job, JobRequest};
use super::keys::{parse_key, SapKey};
use super::list::{parse_list, ListPage};
use super::sign_in::SignIn;
use super::tokens::{TokenRequest, TokenResponse, Tokens};

/// How long a request may take before the page gives up on it.
const TIMEOUT_MS: u32 = 20_000;

/// What the client tells the page about the session.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum AuthEvent {
    Refreshed(Tokens),
    /// The refresh token was refused too: the user must log in again.
    Expired,
}

struct Inner {
    base: String,
    tokens: RefCell<Option<Tokens>>,
    generation: Cell<u64>,
    on_auth: RefCell<Callback<AuthEvent>>,
}

/// A cheap handle to the client; clones share the session.
#[derive(Clone)]
pub struct Api(Rc<Inner>);

impl PartialEq for Api {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Api {
    /// `base` is the manager's origin, empty for the page's own origin.
    pub fn new(base: &str) -> Api {
        Api(Rc::new(Inner {
            base: base.trim_end_matches('/').to_string(),
            tokens: RefCell::new(None),
            generation: Cell::new(0),
            on_auth: RefCell::new(Callback::noop()),
        }))
    }

    pub fn base(&self) -> &str {
        &self.0.base
    }

    pub(crate) fn set_on_auth(&self, cb: Callback<AuthEvent>) {
        *self.0.on_auth.borrow_mut() = cb;
    }

    pub(crate) fn set_tokens(&self, tokens: Option<Tokens>) {
        *self.0.tokens.borrow_mut() = tokens;
        self.0.generation.set(self.0.generation.get() + 1);
    }

    pub fn tokens(&self) -> Option<Tokens> {
        self.0.tokens.borrow().clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.0.base, path)
    }

    /// Password grant, into the user's domain through their authentication source.
    pub async fn login(&self, who: &SignIn, password: &str) -> Result<Tokens, ApiError> {
        let req = TokenRequest::Password {
            username: who.user.clone(),
            password: password.to_string(),
            domain: who.domain_param(),
            auth_domain: who.auth_domain_param(),
            connection: who.connection_param(),
        };
        match self.token_call(&req).await {
            Ok(t) => {
                let tokens = Tokens::from_grant(t, who, now_ms());
                self.set_tokens(Some(tokens.clone()));
                Ok(tokens)
            }
            Err(e) => Err(e),
        }
    }

    /// Refresh-token grant; on refusal the session is over and `AuthEvent::Expired` is sent.
    pub async fn refresh(&self) -> Result<Tokens, ApiError> {
        let Some(current) = self.tokens() else {
            return Err(session_expired());
        };
        let Some(rt) = current.refresh_token.clone() else {
            return Err(session_expired());
        };
        match self
            .token_call(&TokenRequest::RefreshToken { refresh_token: rt })
            .await
        {
            Ok(t) => {
                let mut tokens = Tokens::from_grant(t, &current.sign_in(), now_ms());
                if tokens.refresh_token.is_none() {
                    tokens.refresh_token = current.refresh_token.clone();
                }
                self.set_tokens(Some(tokens.clone()));
                self.0
                    .on_auth
                    .borrow()
                    .emit(AuthEvent::Refreshed(tokens.clone()));
                Ok(tokens)
            }
            Err(e) if e.is_unauthorized() || e.status == Some(400) => {
                self.0.on_auth.borrow().emit(AuthEvent::Expired);
                Err(session_expired())
            }
            Err(e) => Err(e),
        }
    }

    async fn token_call(&self, req: &TokenRequest) -> Result<TokenResponse, ApiError> {
        let text = self
            .raw(
                Method::POST,
                "/api/v1/auth/tokens",
                Some(json_body(req)?),
                None,
            )
            .await?;
        parse_json(&text).map_err(|e| ApiError::decode(e, "the login answer"))
    }

    /// One request, no retry: returns the body of a 2xx answer.
    async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        jwt: Option<&str>,
    ) -> Result<String, ApiError> {
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(|c| c.signal());
        let mut rb: RequestBuilder = RequestBuilder::new(&self.url(path))
            .method(method)
            .header("Accept", "application/json");
        if let Some(jwt) = jwt {
            rb = rb.header("Authorization", &format!("Bearer {jwt}"));
        }
        rb = rb.abort_signal(signal.as_ref());
        let req: Result<Request, gloo_net::Error> = match body {
            Some(b) => rb.header("Content-Type", "application/json").body(b),
            None => rb.build(),
        };
        let req = req.map_err(|e| ApiError::network(net_message(e)))?;
        let timer = controller
            .clone()
            .map(|c| gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || c.abort()));
        let resp = req.send().await;
        let timed_out = signal.as_ref().is_some_and(|s| s.aborted());
        drop(timer);
        let resp = match resp {
            Ok(r) => r,
            Err(_) if timed_out => return Err(ApiError::timeout(u64::from(TIMEOUT_MS))),
            Err(e) => return Err(ApiError::network(net_message(e))),
        };
        let status = resp.status();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(_) if timed_out || signal.as_ref().is_some_and(|s| s.aborted()) => {
                return Err(ApiError::timeout(u64::from(TIMEOUT_MS)))
            }
            Err(e) => return Err(ApiError::network(net_message(e))),
        };
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            let retry_after = resp.headers().get("Retry-After");
            Err(ApiError::from_response(
                status,
                &resp.status_text(),
                &text,
                retry_after.as_deref(),
            ))
        }
    }

    /// A request with the session's token; on a 401 refreshes once and tries again.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<String, ApiError> {
        let (jwt, generation) = match self.tokens() {
            Some(t) => (t.jwt, self.0.generation.get()),
            None => return Err(session_expired()),
        };
        match self
            .raw(method.clone(), path, body.clone(), Some(&jwt))
            .await
        {
            Err(e) if e.is_unauthorized() => {
                // Another request may have refreshed meanwhile: then just use the new token.
                if self.0.generation.get() == generation {
                    self.refresh().await?;
                }
                let jwt = self.tokens().map(|t| t.jwt).ok_or_else(session_expired)?;
                let again = self.raw(method, path, body, Some(&jwt)).await;
                if matches!(&again, Err(e) if e.is_unauthorized()) {
                    self.0.on_auth.borrow().emit(AuthEvent::Expired);
                    return Err(session_expired());
                }
                again
            }
            other => other,
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T, ApiError> {
        let text = self.send(Method::GET, path, None).await?;
        parse_json(&text).map_err(|e| ApiError::decode(e, what))
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        what: &str,
    ) -> Result<T, ApiError> {
        let text = self
            .send(Method::POST, path, Some(json_body(body)?))
            .await?;
        parse_json(&text).map_err(|e| ApiError::decode(e, what))
    }

    /// A page of keys for a query string built by `KeyQuery::to_query_string`.
    pub async fn keys(&self, query: &str) -> Result<(ListPage<SapKey>, usize), ApiError> {
        let text = self
            .send(Method::GET, &format!("/api/v1/cckm/sap/keys?{query}"), None)
            .await?;
        parse_list(&text).map_err(|e| ApiError::decode(e, "the key list"))
    }

    pub async fn groups(&self, query: &str) -> Result<(ListPage<SapGroup>, usize), ApiError> {
        let text = self
            .send(
                Method::GET,
                &format!("/api/v1/cckm/sap/groups?{query}"),
                None,
            )
            .await?;
        parse_list(&text).map_err(|e| ApiError::decode(e, "the group list"))
    }

    /// One key, with the raw JSON it came in (`SapKey::raw`).
    pub async fn key(&self, id: &str) -> Result<SapKey, ApiError> {
        let id = valid_id(id)?;
        let text = self
            .send(Method::GET, &format!("/api/v1/cckm/sap/keys/{id}"), None)
            .await?;
        parse_key(&text).map_err(|e| ApiError::decode(e, "the key"))
    }

    /// The job's current status, with the raw JSON it came in (`Job::raw`).
    pub async fn job(&self, id: &str) -> Result<Job, ApiError> {
        let id = valid_id(id)?;
        let text = self
            .send(
                Method::GET,
                &format!("/api/v1/cckm/sap/keys/jobs/{id}"),
                None,
            )
            .await?;
        parse_job(&text).map_err(|e| ApiError::decode(e, "the job"))
    }

    pub async fn create_job(&self, req: &JobRequest) -> Result<Job, ApiError> {
        valid_id(&req.id)?;
        self.post("/api/v1/cckm/sap/keys/jobs", req, "the new job")
            .await
    }
}

/// Every id is checked to be a UUID before it is put into a URL.
pub fn valid_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::invalid_id(raw))
}

/// What a request says when there is no usable session.
pub(crate) fn session_expired() -> ApiError {
    ApiError::from_response(401, "Unauthorized", "", None)
}

/// A request body as JSON text.
fn json_body<B: Serialize>(body: &B) -> Result<String, ApiError> {
    to_json(body).ok_or_else(|| ApiError::network("the request could not be encoded as JSON"))
}

/// The browser's own words for a failed request (e.g. "Failed to fetch").
fn net_message(e: gloo_net::Error) -> String {
    match e {
        gloo_net::Error::JsError(js) => js.message,
        gloo_net::Error::GlooError(s) => s,
    }
}
