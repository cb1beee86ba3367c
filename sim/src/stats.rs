//! Request counters per route pattern, with in-flight and peak in-flight figures, for /sim/stats.

use crate::App;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct RouteStat {
    requests: u64,
    in_flight: u64,
    max_in_flight: u64,
}

/// Counters since start (or the last reset).
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<(BTreeMap<String, RouteStat>, u64)>,
}

#[derive(Serialize)]
struct StatsBody {
    requests: BTreeMap<String, u64>,
    max_in_flight: BTreeMap<String, u64>,
    in_flight: BTreeMap<String, u64>,
    total_requests: u64,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, (BTreeMap<String, RouteStat>, u64)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, route: &str) {
        let mut g = self.lock();
        g.1 += 1;
        let s = g.0.entry(route.to_string()).or_default();
        s.requests += 1;
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
    }

    fn leave(&self, route: &str) {
        if let Some(s) = self.lock().0.get_mut(route) {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
    }

    fn body(&self) -> StatsBody {
        let g = self.lock();
        StatsBody {
            requests: g.0.iter().map(|(k, v)| (k.clone(), v.requests)).collect(),
            max_in_flight: g.0.iter().map(|(k, v)| (k.clone(), v.max_in_flight)).collect(),
            in_flight: g.0.iter().map(|(k, v)| (k.clone(), v.in_flight)).collect(),
            total_requests: g.1,
        }
    }

    fn reset(&self) {
        let mut g = self.lock();
        g.1 = 0;
        g.0.retain(|_, s| s.in_flight > 0);
        for s in g.0.values_mut() {
            s.requests = 0;
            s.max_in_flight = s.in_flight;
        }
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
