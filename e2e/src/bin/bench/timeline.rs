//! Reading the page: the start times of its own `performance` marks (src/perf.rs), counts read
//! from its DOM, and the long animation frames shown by `CCKM_BENCH_DEBUG`. Wall clocks only wait.
use std::time::{Duration, Instant};

use e2e::Browser;
use serde_json::{json, Value};

use super::Res;

/// Start times (ms since navigation) of every mark named `name`.
pub async fn marks(b: &Browser, name: &str) -> Res<Vec<f64>> {
    let v = b
        .client
        .execute(
            "return performance.getEntriesByName(arguments[0]).map(e => e.startTime);",
            vec![json!(name)],
        )
        .await?;
    Ok(v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default())
}

/// Waits for the first mark `name` later than `after` (page time) and returns its time.
pub async fn mark_after(b: &Browser, name: &str, after: f64, secs: u64) -> Res<f64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(t) = marks(b, name)
            .await?
            .into_iter()
            .filter(|t| *t > after)
            .reduce(f64::min)
        {
            return Ok(t);
        }
        if Instant::now() > deadline {
            return Err(format!("no mark {name} after {after:.1} ms within {secs} s").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn page_now(b: &Browser) -> Res<f64> {
    Ok(b.eval("return performance.now();")
        .await?
        .as_f64()
        .unwrap_or(0.0))
}

pub async fn eval_u64(b: &Browser, script: &str) -> Res<u64> {
    Ok(b.eval(script).await?.as_u64().unwrap_or(0))
}

/// Waits until `script` (returning a number) returns at least `want`.
pub async fn wait_count(b: &Browser, script: &str, want: u64, secs: u64) -> Res<u64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let n = eval_u64(b, script).await?;
        if n >= want {
            return Ok(n);
        }
        if Instant::now() > deadline {
            return Err(format!("`{script}` reached {n}, not {want}, within {secs} s").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Key rows shown in the table.
pub const ROWS: &str = "return document.querySelectorAll('.keys-table tbody tr').length;";

/// Running jobs in the job list.
pub const RUNNING: &str =
    "return document.querySelectorAll('#job-list .job.phase-running').length;";
/// Succeeded jobs in the ledger, from the counts beside the job list's title
/// ("N running · M succeeded · K failed").
pub const SUCCEEDED: &str = "const t = document.querySelector('#job-counts').textContent; const m = t.match(/(\\d+) succeeded/); return m ? parseInt(m[1]) : 0;";

/// Jobs in the ledger, from the job list's header ("N job(s), M finished"): the list itself
/// renders only the newest 50 rows.
pub const JOBS: &str = "const h = document.querySelector('.jobs-head .muted'); return h ? parseInt(h.textContent) : 0;";

/// Waits until no job in the list is running.
pub async fn wait_none_running(b: &Browser, secs: u64) -> Res {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let running = eval_u64(b, RUNNING).await?;
        if running == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{running} jobs still running after {secs} s").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Collects long animation frames (over 50 ms) for `CCKM_BENCH_DEBUG`.
pub const LOAF_OBSERVE: &str = "window.__loaf = []; new PerformanceObserver(l => window.__loaf.push(...l.getEntries())).observe({type: 'long-animation-frame', buffered: true});";

/// The long frames since `from`: when each started and how its time splits.
pub const LOAF_REPORT: &str = "function report(from) { return window.__loaf.filter(f => f.startTime + f.duration >= from).map(f => `  long frame at ${(f.startTime - from).toFixed(0)} ms: ${f.duration.toFixed(0)} ms, render at ${f.renderStart ? (f.renderStart - from).toFixed(0) : '-'}, style+layout at ${f.styleAndLayoutStart ? (f.styleAndLayoutStart - from).toFixed(0) : '-'}` + f.scripts.map(s => `\\n    script ${s.invokerType} ${s.invoker} at ${(s.startTime - from).toFixed(0)}: ${s.duration.toFixed(0)} ms, forced style+layout ${s.forcedStyleAndLayoutDuration.toFixed(0)} ms`).join('')).join('\\n'); }";
