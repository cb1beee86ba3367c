//! Delete/restore jobs: validation, permission (`keydelete` / `keyrestore` on the key's group),
//! creation, and the timed runner that applies their effect on the key.

use crate::acl::{self, Action};
use crate::auth::AuthUser;
use crate::errors::ApiError;
use crate::store::{now_ns, JobRecord, JobState, Operation};
use crate::views::JobView;
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Parse a path or body id as a UUID, or answer 400.
pub fn parse_uuid(what: &str, s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s.trim()).map_err(|_| ApiError::bad_request(format!("{what} '{s}' is not a UUID")))
}

fn parse_flag(v: Option<&Value>) -> Result<bool, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => {
            Err(ApiError::bad_request(format!("field 'delete_if_backup_fails' must be true or false, got {other}")))
        }
    }
}

/// POST /api/v1/cckm/sap/keys/jobs
pub async fn create_job(
    State(app): State<Arc<App>>,
    user: AuthUser,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = crate::body_json(body)?;
    let id = match body.get("id") {
        Some(Value::String(s)) => parse_uuid("id", s)?,
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request("field 'id' (the key's resource id) is required"))
        }
        Some(_) => return Err(ApiError::bad_request("field 'id' must be a string")),
    };
    let operation = match body.get("operation") {
        Some(Value::String(s)) if s.eq_ignore_ascii_case("delete") => Operation::Delete,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("restore") => Operation::Restore,
        Some(Value::String(s)) => {
            return Err(ApiError::bad_request(format!("unknown operation '{s}'; expected delete or restore")))
        }
        None | Some(Value::Null) => return Err(ApiError::bad_request("field 'operation' is required")),
        Some(_) => return Err(ApiError::bad_request("field 'operation' must be a string")),
    };
    let flag = parse_flag(body.get("delete_if_backup_fails"))?;
    let simulated_failure = app.roll_job_failure(&id);
    let view = {
        let mut store = app.write_store();
        let idx = *store.key_index.get(&id).ok_or_else(|| ApiError::not_found(format!("key '{id}' not found")))?;
        let group_id = match store.groups.get(store.keys[idx].group) {
            Some(g) => {
                let action = match operation {
                    Operation::Delete => Action::Keydelete,
                    Operation::Restore => Action::Keyrestore,
                };
                if !acl::may(&user, g, action) {
                    app.stats.job_post_refused();
                    return Err(acl::refusal(&user, g, action));
                }
                g.group_id
            }
            None => return Err(ApiError::internal(format!("key '{id}' has no group"))),
        };
        let key = &mut store.keys[idx];
        if let Some(running) = key.active_job {
            return Err(ApiError::conflict(format!("job '{running}' is already running for key '{id}'")));
        }
        match operation {
            Operation::Delete if key.gone => {
                return Err(ApiError::conflict(format!("key '{id}' is already deleted from SAP")))
            }
            Operation::Restore if !key.gone => {
                return Err(ApiError::conflict(format!("key '{id}' is not deleted; nothing to restore")))
            }
            _ => {}
        }
        let now = now_ns();
        let job_ns = i64::try_from(app.config.job_ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX / 4);
        let job = JobRecord {
            id: Uuid::new_v4(),
            created_ns: now,
            updated_ns: now,
            cckm_key_id: key.id,
            group_id,
            job_id: Uuid::new_v4(),
            key_id: key.sap_key_id,
            operation,
            creator_id: user.user_id.clone(),
            creator_name: user.username.clone(),
            state: JobState::Pending,
            error_details: None,
            delete_if_backup_fails: flag,
            simulated_failure,
            in_progress_at_ns: now.saturating_add(job_ns / 3),
            done_at_ns: now.saturating_add(job_ns),
        };
        key.active_job = Some(job.id);
        let view = JobView { job: &job, dialect: &app.config.dialect };
        let body = serde_json::to_vec(&view).map_err(|e| ApiError::internal(e.to_string()))?;
        let jid = job.id;
        store.jobs.insert(jid, job);
        (jid, body)
    };
    app.stats.job_created(operation);
    app.persist().await;
    spawn_job(app.clone(), view.0);
    let status = StatusCode::from_u16(app.config.dialect.post_status).unwrap_or(StatusCode::CREATED);
    Ok(crate::json_response(status, view.1))
}

/// GET /api/v1/cckm/sap/keys/jobs/{id}: a job of a group the user may not view is refused with 403 [S].
pub async fn get_job(
    State(app): State<Arc<App>>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_uuid("job id", &id)?;
    let (body, ended) = {
        let store = app.read_store();
        let job = store.jobs.get(&id).ok_or_else(|| ApiError::not_found(format!("job '{id}' not found")))?;
        let group = store.key_index.get(&job.cckm_key_id).and_then(|&i| store.groups.get(store.keys[i].group));
        if let Some(g) = group {
            if !acl::may(&user, g, Action::View) {
                return Err(acl::refusal(&user, g, Action::View));
            }
        }
        let view = JobView { job, dialect: &app.config.dialect };
        let body = serde_json::to_vec(&view).map_err(|e| ApiError::internal(e.to_string()))?;
        (body, job.state.terminal())
    };
    if ended {
        app.stats.job_get_after_end(id);
    }
    Ok(crate::json_response(StatusCode::OK, body).into_response())
}

/// Run a job's remaining transitions on the runtime (also used to resume jobs after a restart).
pub fn spawn_job(app: Arc<App>, id: Uuid) {
    let mut shutdown = app.shutdown.subscribe();
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let due = {
                let store = app.read_store();
                match store.jobs.get(&id) {
                    Some(j) if j.state == JobState::Pending => j.in_progress_at_ns,
                    Some(j) if j.state == JobState::InProgress => j.done_at_ns,
                    _ => return,
                }
            };
            let wait = u64::try_from(due.saturating_sub(now_ns())).unwrap_or(0);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_nanos(wait)) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
            advance(&app, id);
            app.persist().await;
        }
    });
}

fn advance(app: &App, id: Uuid) {
    let mut store = app.write_store();
    let now = now_ns();
    let Some(job) = store.jobs.get(&id).cloned() else { return };
    match job.state {
        JobState::Pending => {
            if let Some(j) = store.jobs.get_mut(&id) {
                j.state = JobState::InProgress;
                j.updated_ns = now.max(j.updated_ns + 1);
            }
            return;
        }
        JobState::InProgress => {}
        _ => return,
    }
    let outcome: Result<(), String> = match store.key_index.get(&job.cckm_key_id).copied() {
        None => Err("the key no longer exists".to_string()),
        Some(idx) => {
            let key = &mut store.keys[idx];
            let r = if job.simulated_failure {
                Err("simulated SAP failure".to_string())
            } else {
                match job.operation {
                    Operation::Delete if key.gone => Err("the key is already deleted from SAP".to_string()),
                    Operation::Delete if key.backup_fails && !job.delete_if_backup_fails => Err(format!(
                        "backup of key '{}' failed in CipherTrust Manager; the key was not deleted because delete_if_backup_fails is false",
                        key.name
                    )),
                    Operation::Delete => {
                        key.has_backup = !key.backup_fails;
                        key.gone = true;
                        key.updated_ns = now.max(key.updated_ns + 1);
                        Ok(())
                    }
                    Operation::Restore if !key.has_backup => {
                        Err("no backup of this key exists in CipherTrust Manager".to_string())
                    }
                    Operation::Restore if !key.gone => Err("the key is not deleted; nothing to restore".to_string()),
                    Operation::Restore => {
                        key.gone = false;
                        key.updated_ns = now.max(key.updated_ns + 1);
                        Ok(())
                    }
                }
            };
            if key.active_job == Some(id) {
                key.active_job = None;
            }
            r
        }
    };
    if let Some(j) = store.jobs.get_mut(&id) {
        j.updated_ns = now.max(j.updated_ns + 1);
        match outcome {
            Ok(()) => j.state = JobState::Completed,
            Err(e) => {
                j.state = JobState::Failed;
                j.error_details = Some(e);
            }
        }
    }
}
