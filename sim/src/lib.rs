//! `cckm-sim`: a simulator of Thales CipherTrust Manager's CCKM SAP key API (see shared/api/cckm-sap.md).

pub mod acl;
pub mod auth;
pub mod demo_data;
pub mod dialect;
pub mod errors;
pub mod faults;
pub mod jobs;
pub mod lists;
pub mod static_files;
pub mod stats;
pub mod store;
pub mod users;
pub mod views;

use crate::acl::Action;
use crate::dialect::Dialect;
use crate::errors::ApiError;
use crate::faults::FaultState;
use crate::stats::Stats;
use crate::store::{JobState, Store};
use crate::users::Users;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Largest request body accepted (bigger ones get 413).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every setting of the simulator (the command-line flags).
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub seed: u64,
    pub keys: usize,
    pub groups: usize,
    pub job_ms: u64,
    pub state: Option<PathBuf>,
    pub token_ttl: u64,
    /// Seconds a refresh token may stay unused before a refresh with it is refused.
    pub refresh_idle: u64,
    /// An extra administrator of the root domain (`local_account`); `admin` replaces the demo admin.
    pub user: String,
    pub password: String,
    pub static_dir: Option<PathBuf>,
    pub control: bool,
    pub cors: bool,
    /// How job and key answers are worded (see `dialect`).
    pub dialect: Dialect,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:8080".into(),
            seed: 1,
            keys: 240,
            groups: 8,
            job_ms: 3000,
            state: None,
            token_ttl: 300,
            refresh_idle: 1800,
            user: "admin".into(),
            password: "admin".into(),
            static_dir: None,
            control: false,
            cors: false,
            dialect: Dialect::default(),
        }
    }
}

/// A failure to start the simulator.
#[derive(Debug)]
pub struct SimError(pub String);

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimError {}

/// Shared state of a running simulator.
pub struct App {
    pub config: Config,
    pub users: Users,
    store: RwLock<Store>,
    faults: Mutex<FaultState>,
    pub stats: Stats,
    /// Held while writing the state file; `true` once the server stopped (no more writes).
    persist_closed: Mutex<bool>,
    pub shutdown: watch::Sender<bool>,
}

impl App {
    pub fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a new job for the key `key_id` should end in a simulated failure: always when
    /// the key is in `fail_keys`, else by `job_failure_rate`.
    pub fn roll_job_failure(&self, key_id: &uuid::Uuid) -> bool {
        let f = &self.lock_faults().faults;
        if f.fails_key(key_id) && f.applies_to(faults::JOBS_ROUTE) {
            return true;
        }
        match f.job_failure_rate {
            Some(p) if p > 0.0 && f.applies_to(faults::JOBS_ROUTE) => {
                use rand::Rng;
                rand::thread_rng().gen::<f64>() < p
            }
            _ => false,
        }
    }

    /// Write the state file (when --state is set) with the current store.
    pub async fn persist(self: &Arc<Self>) {
        if self.config.state.is_none() {
            return;
        }
        let app = self.clone();
        let _ = tokio::task::spawn_blocking(move || app.persist_blocking()).await;
    }

    fn persist_blocking(&self) {
        let Some(path) = &self.config.state else { return };
        let closed = self.persist_closed.lock().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return;
        }
        let bytes = match self.read_store().to_bytes() {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("cannot serialize state: {e}");
                return;
            }
        };
        if let Err(e) = store::write_atomic(path, &bytes) {
            tracing::error!("cannot write state file {}: {e}", path.display());
        }
        drop(closed);
    }

    /// Stop job timers and state writes (the server is going away).
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
        *self.persist_closed.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }
}

/// Parse a request body as a JSON object, mapping every failure onto the API's error shape.
pub fn body_json(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than the {BODY_LIMIT} bytes allowed"),
            )
        } else {
            ApiError::bad_request(format!("cannot read request body: {}", r.body_text()))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request body is empty; a JSON object is expected"));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    }
    Ok(v)
}

/// A response with a JSON body already serialized.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn params(q: Params) -> Result<Vec<(String, String)>, ApiError> {
    q.map(|Query(p)| p).map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))
}

async fn list_keys(State(app): State<Arc<App>>, user: auth::AuthUser, q: Params) -> Result<Response, ApiError> {
    let p = params(q)?;
    let store = app.read_store();
    let visible = acl::viewable(&user, &store);
    let body = lists::list_keys(&store, &p, visible.as_deref(), app.config.dialect.drop_inferred)?;
    Ok(json_response(StatusCode::OK, body))
}

async fn list_groups(State(app): State<Arc<App>>, user: auth::AuthUser, q: Params) -> Result<Response, ApiError> {
    let p = params(q)?;
    let store = app.read_store();
    let visible = acl::viewable(&user, &store);
    let body = lists::list_groups(&store, &p, visible.as_deref())?;
    Ok(json_response(StatusCode::OK, body))
}

/// A key the user may not view is refused with 403 (not hidden as 404) [S].
async fn get_key(
    State(app): State<Arc<App>>,
    user: auth::AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = jobs::parse_uuid("key id", &id)?;
    let store = app.read_store();
    let view = store
        .key_index
        .get(&id)
        .and_then(|&i| store.key_view(i, app.config.dialect.drop_inferred))
        .ok_or_else(|| ApiError::not_found(format!("key '{id}' not found")))?;
    if !acl::may(&user, view.group, Action::View) {
        return Err(acl::refusal(&user, view.group, Action::View));
    }
    let body = serde_json::to_vec(&view).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(json_response(StatusCode::OK, body))
}

fn is_loopback_origin(origin: &HeaderValue) -> bool {
    let Ok(o) = origin.to_str() else { return false };
    ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|base| {
        o.strip_prefix(base).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix(':').is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// The full router for `app`.
pub fn router(app: Arc<App>) -> Router {
    let mut r = Router::new()
        .route("/api/v1/auth/tokens", post(auth::tokens))
        .route("/api/v1/cckm/sap/keys", get(list_keys))
        .route("/api/v1/cckm/sap/keys/{id}", get(get_key))
        .route("/api/v1/cckm/sap/groups", get(list_groups))
        .route("/api/v1/cckm/sap/groups/{id}/update-acls", post(acl::update_acls))
        .route("/api/v1/cckm/sap/keys/jobs", post(jobs::create_job))
        .route("/api/v1/cckm/sap/keys/jobs/{id}", get(jobs::get_job))
        .route_layer(from_fn_with_state(app.clone(), faults::apply))
        .route_layer(from_fn_with_state(app.clone(), stats::count))
        // API answers are compressed by the request's Accept-Encoding, as a web server in front of
        // a manager does ([I]; the vendor's curl examples ask for it). The page's files are
        // precompressed instead (static_files).
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true));
    if app.config.control {
        r = r
            .route("/sim/stats", get(stats::get_stats))
            .route("/sim/stats/reset", post(stats::reset_stats))
            .route("/sim/faults", get(faults::get_faults).put(faults::put_faults))
            .route("/sim/revoke-tokens", post(auth::revoke_tokens));
    }
    let mut r = r
        .fallback(static_files::fallback)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app.clone())
        .layer(from_fn(errors::normalize_errors))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(errors::panic_response));
    if app.config.cors {
        use tower_http::cors::{AllowOrigin, CorsLayer};
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(|o, _| is_loopback_origin(o)))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600));
        r = r.layer(cors);
    }
    r.layer(from_fn(static_files::log_requests)).layer(from_fn(static_files::security_headers))
}

fn load_store(config: &Config) -> Result<Store, SimError> {
    match &config.state {
        Some(path) if path.exists() => Store::load(path).map_err(SimError),
        Some(path) => {
            let store = demo_data::generate(config.seed, config.keys, config.groups, auth::new_secret());
            let bytes = store.to_bytes().map_err(SimError)?;
            store::write_atomic(path, &bytes)
                .map_err(|e| SimError(format!("cannot write state file {}: {e}", path.display())))?;
            Ok(store)
        }
        None => Ok(demo_data::generate(config.seed, config.keys, config.groups, auth::new_secret())),
    }
}

/// A simulator serving on a listener. Dropping it stops the server, its job timers and its state writes.
pub struct RunningServer {
    addr: SocketAddr,
    app: Arc<App>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serve until the server task ends.
    pub async fn wait(mut self) -> Result<(), SimError> {
        match self.handle.take() {
            Some(h) => match h.await {
                Ok(r) => r.map_err(|e| SimError(e.to_string())),
                Err(e) => Err(SimError(e.to_string())),
            },
            None => Ok(()),
        }
    }

    /// Stop now, like a kill: open connections are dropped, running jobs stay as persisted.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.app.stop();
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Start the simulator on `listener` and return at once; jobs left running in the state file resume.
pub async fn start(config: Config, listener: TcpListener) -> Result<RunningServer, SimError> {
    let addr = listener.local_addr().map_err(|e| SimError(e.to_string()))?;
    let cfg = config.clone();
    let store = tokio::task::spawn_blocking(move || load_store(&cfg)).await.map_err(|e| SimError(e.to_string()))??;
    let unfinished: Vec<_> = store.jobs.values().filter(|j| !j.state.terminal()).map(|j| j.id).collect();
    let (shutdown, _) = watch::channel(false);
    let app = Arc::new(App {
        users: Users::from_config(&config),
        config,
        store: RwLock::new(store),
        faults: Mutex::new(FaultState::default()),
        stats: Stats::default(),
        persist_closed: Mutex::new(false),
        shutdown,
    });
    for id in unfinished {
        jobs::spawn_job(app.clone(), id);
    }
    let router = router(app.clone());
    let handle = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(RunningServer { addr, app, handle: Some(handle) })
}

/// Start the simulator on `listener` and serve until it fails.
pub async fn serve(config: Config, listener: TcpListener) -> Result<(), SimError> {
    start(config, listener).await?.wait().await
}

/// Whether a job state counts as finished (for callers of the library).
pub fn is_terminal(state: JobState) -> bool {
    state.terminal()
}
