//! Request counters per route pattern, with in-flight and peak in-flight figures, and job counters
//! (created, refused, read after their end) for /sim/stats.
//!
//! Job counters in the body: `jobs_created` `{"total","delete","restore"}`, `job_posts_refused`
//! (job POSTs answered 403), `job_gets_after_end` (GETs of a job answered with its end state) and
//! `job_gets_after_end_seen` (those of them after an earlier GET had already answered that end).

use crate::store::Operation;
use crate::App;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Debug, Default)]
struct RouteStat {
    requests: u64,
    in_flight: u64,
    max_in_flight: u64,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
struct JobsCreated {
    total: u64,
    delete: u64,
    restore: u64,
}

#[derive(Debug, Default)]
struct Inner {
    routes: BTreeMap<String, RouteStat>,
    total: u64,
    jobs_created: JobsCreated,
    job_posts_refused: u64,
    job_gets_after_end: u64,
    job_gets_after_end_seen: u64,
    /// Jobs whose end state was already answered (kept across resets: it is a fact about the job).
    end_answered: HashSet<Uuid>,
}

/// Counters since start (or the last reset).
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

#[derive(Serialize)]
struct StatsBody {
    requests: BTreeMap<String, u64>,
    max_in_flight: BTreeMap<String, u64>,
    in_flight: BTreeMap<String, u64>,
    total_requests: u64,
    jobs_created: JobsCreated,
    job_posts_refused: u64,
    job_gets_after_end: u64,
    job_gets_after_end_seen: u64,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, route: &str) {
        let mut g = self.lock();
        g.total += 1;
        let s = g.routes.entry(route.to_string()).or_default();
        s.requests += 1;
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
    }

    fn leave(&self, route: &str) {
        if let Some(s) = self.lock().routes.get_mut(route) {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
    }

    /// A job was created.
    pub fn job_created(&self, op: Operation) {
        let mut g = self.lock();
        g.jobs_created.total += 1;
        match op {
            Operation::Delete => g.jobs_created.delete += 1,
            Operation::Restore => g.jobs_created.restore += 1,
        }
    }

    /// A job POST was refused with 403.
    pub fn job_post_refused(&self) {
        self.lock().job_posts_refused += 1;
    }

    /// Job `id` was answered with its end state.
    pub fn job_get_after_end(&self, id: Uuid) {
        let mut g = self.lock();
        g.job_gets_after_end += 1;
        if !g.end_answered.insert(id) {
            g.job_gets_after_end_seen += 1;
        }
    }

    fn body(&self) -> StatsBody {
        let g = self.lock();
        StatsBody {
            requests: g.routes.iter().map(|(k, v)| (k.clone(), v.requests)).collect(),
            max_in_flight: g.routes.iter().map(|(k, v)| (k.clone(), v.max_in_flight)).collect(),
            in_flight: g.routes.iter().map(|(k, v)| (k.clone(), v.in_flight)).collect(),
            total_requests: g.total,
            jobs_created: g.jobs_created,
            job_posts_refused: g.job_posts_refused,
            job_gets_after_end: g.job_gets_after_end,
            job_gets_after_end_seen: g.job_gets_after_end_seen,
        }
    }

    fn reset(&self) {
        let mut g = self.lock();
        g.total = 0;
        g.routes.retain(|_, s| s.in_flight > 0);
        for s in g.routes.values_mut() {
            s.requests = 0;
            s.max_in_flight = s.in_flight;
        }
        g.jobs_created = JobsCreated::default();
        g.job_posts_refused = 0;
        g.job_gets_after_end = 0;
        g.job_gets_after_end_seen = 0;
    }
}

struct Guard<'a>(&'a Stats, String);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.leave(&self.1);
    }
}

/// Middleware (route layer) counting requests by "METHOD /route/{pattern}".
pub async fn count(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Some(route) = req.extensions().get::<MatchedPath>().map(|p| format!("{} {}", req.method(), p.as_str())) else {
        return next.run(req).await;
    };
    app.stats.enter(&route);
    let _guard = Guard(&app.stats, route);
    next.run(req).await
}

/// GET /sim/stats
pub async fn get_stats(State(app): State<Arc<App>>) -> Response {
    axum::Json(app.stats.body()).into_response()
}

/// POST /sim/stats/reset
pub async fn reset_stats(State(app): State<Arc<App>>) -> Response {
    app.stats.reset();
    axum::Json(app.stats.body()).into_response()
}
