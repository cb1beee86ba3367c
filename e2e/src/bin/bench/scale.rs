//! The ledger at a year's scale: N jobs stored (all but 100 ended long ago, 100 running on the
//! simulator), measured from a navigation to the job list shown, on five ticks of another tab's
//! poll results for the 100 running jobs, in page memory (JS heap + wasm memory) and in an
//! export of every job as CSV.
use std::time::{Duration, Instant};

use e2e::{Browser, Sim};
use serde_json::json;

use super::cdp::{cdp, cpu_metrics};
use super::report::{median, Row};
use super::scenarios::{fill_login, measure_tick, submit_login, TickRun};
use super::seed::{self, Seeded};
use super::sim::{http_token, now_epoch_ms, present_keys, start_jobs};
use super::timeline::{eval_u64, mark_after, marks, wait_count, JOBS};
use super::Res;

/// Jobs still running in every scale scenario; the rest ended.
pub const RUNNING_JOBS: usize = 100;

/// Navigations measured per size.
const NAVIGATIONS: usize = 3;

pub struct ScaleRun {
    pub jobs: usize,
    /// Navigation start → the job list shown with every job counted, per navigation.
    pub nav_to_list: Vec<f64>,
    pub ticks: Vec<TickRun>,
    /// JS heap used + wasm memory, in bytes, after the list was shown and garbage collected.
    pub memory: f64,
    pub js_heap: f64,
    pub wasm_memory: f64,
    /// The export button's click → the CSV handed to the browser, per export.
    pub export_csv: Vec<f64>,
}

/// Installed before the page's scripts on every navigation: keeps the wasm memory that Trunk's
/// loader announces, and the time at which the job list first shows `window.__wantJobs` jobs
/// (the header's count), checked on every change of the DOM.
const OBSERVE: &str = r#"
addEventListener('TrunkApplicationStarted', e => { window.__wasmMemory = e.detail.wasm.memory; });
const want = Number(sessionStorage.getItem('bench-want-jobs') || 0);
const seen = () => {
  const h = document.querySelector('.jobs-head .muted');
  return h && parseInt(h.textContent) >= want;
};
new MutationObserver((_, obs) => {
  if (window.__jobsShown === undefined && want > 0 && seen()) {
    window.__jobsShown = performance.now();
    obs.disconnect();
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"#;

pub async fn ledger_scale(total: usize) -> Res<ScaleRun> {
    let sim = Sim::start(&["--keys", "3000", "--job-ms", "3600000"])?;
    let jwt = http_token(&sim.base).await?;
    let t = Instant::now();
    let keys = present_keys(&sim.base, &jwt, 0, RUNNING_JOBS).await?;
    let t0 = now_epoch_ms();
    let answers = start_jobs(&sim.base, &jwt, &keys).await?;
    let mut jobs = Seeded::started(&sim.base, &keys, &answers, t0);
    jobs.add_history(&sim.base, total.saturating_sub(RUNNING_JOBS), t0 - 1000.0);
    eprintln!(
        "    {total} jobs seeded ({RUNNING_JOBS} running on the simulator) in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let b = Browser::start().await?;
    cdp(&b, "Page.enable", json!({})).await?;
    cdp(
        &b,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": OBSERVE }),
    )
    .await?;
    // The exports are timed, not kept.
    let _ = cdp(
        &b,
        "Browser.setDownloadBehavior",
        json!({"behavior": "deny"}),
    )
    .await;
    b.goto(&format!("{}/", sim.base)).await?;
    mark_after(&b, "cckm:login-ready", -1.0, 30).await?;
    seed::store(&b, &sim.base, &jobs.ledger).await?;
    b.client
        .execute(
            "sessionStorage.setItem('bench-want-jobs', String(arguments[0])); return true;",
            vec![json!(total)],
        )
        .await?;
    b.client.refresh().await?;
    mark_after(&b, "cckm:login-ready", -1.0, 60).await?;
    fill_login(&b).await?;
    submit_login(&b).await?;
    wait_count(&b, JOBS, total as u64, 120).await?;

    let mut nav_to_list = Vec::new();
    for i in 0..NAVIGATIONS {
        b.client.refresh().await?;
        let shown = wait_shown(&b, 120).await?;
        let mut at = Vec::new();
        for m in [
            "cckm:ledger-read",
            "cckm:ledger-decoded",
            "cckm:ledger-merged",
        ] {
            let t = marks(&b, m).await?.into_iter().reduce(f64::min);
            at.push(format!(
                "{} {:.0}",
                m.trim_start_matches("cckm:"),
                t.unwrap_or(f64::NAN)
            ));
        }
        eprintln!(
            "    navigation {}: job list shown at {shown:.1} ms ({})",
            i + 1,
            at.join(", ")
        );
        nav_to_list.push(shown);
    }
    // Let the first polls of the running jobs pass.
    tokio::time::sleep(Duration::from_secs(5)).await;

    cdp(&b, "HeapProfiler.collectGarbage", json!({})).await?;
    let heap = cdp(&b, "Runtime.getHeapUsage", json!({})).await?;
    let js_heap = heap["usedSize"].as_f64().unwrap_or(0.0);
    let wasm_memory = b
        .eval("return window.__wasmMemory ? window.__wasmMemory.buffer.byteLength : 0;")
        .await?
        .as_f64()
        .unwrap_or(0.0);
    eprintln!(
        "    memory: JS heap {:.1} MB + wasm {:.1} MB",
        js_heap / 1e6,
        wasm_memory / 1e6
    );

    cdp(&b, "Performance.enable", json!({})).await?;
    let mut ticks = Vec::new();
    for (i, state) in [
        "IN_PROGRESS",
        "PENDING",
        "IN_PROGRESS",
        "PENDING",
        "COMPLETED",
    ]
    .iter()
    .enumerate()
    {
        let cpu0 = cpu_metrics(&b).await?;
        let delta = if *state == "COMPLETED" {
            jobs.complete(0..RUNNING_JOBS, now_epoch_ms())
        } else {
            jobs.progress(0..RUNNING_JOBS, state, now_epoch_ms())
        };
        let t = measure_tick(&b, &sim.base, &delta, cpu0).await?;
        eprintln!(
            "    tick {} ({state}): render {:.1} ms (merge {:.1}) + style & layout {:.1} ms · post→rendered {:.1} ms",
            i + 1,
            t.render,
            t.merge,
            t.style_layout,
            t.post_to_rendered
        );
        ticks.push(t);
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }

    let mut export_csv = Vec::new();
    for i in 0..3 {
        let ms = b
            .eval(
                "const b = document.getElementById('export-csv');
                 const t0 = performance.now(); b.click(); return performance.now() - t0;",
            )
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        eprintln!("    export {}: all {total} as CSV in {ms:.1} ms", i + 1);
        export_csv.push(ms);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let still = eval_u64(&b, JOBS).await?;
    if still != total as u64 {
        return Err(format!("the job list counts {still} jobs, not {total}").into());
    }
    b.close().await?;
    Ok(ScaleRun {
        jobs: total,
        nav_to_list,
        ticks,
        memory: js_heap + wasm_memory,
        js_heap,
        wasm_memory,
        export_csv,
    })
}

/// Waits for the observer's time of the job list shown (page time, from navigation start).
async fn wait_shown(b: &Browser, secs: u64) -> Res<f64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(t) = b.eval("return window.__jobsShown ?? null;").await?.as_f64() {
            return Ok(t);
        }
        if Instant::now() > deadline {
            return Err(format!("the job list was not shown within {secs} s").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl ScaleRun {
    /// The figures and their budgets (the same at every size).
    pub fn rows(&self) -> Vec<Row> {
        let (nav, tick, memory, export) = match self.jobs {
            50_000 => (
                "scale_50k_nav_to_jobs_ms",
                "scale_50k_tick_render_layout_ms",
                "scale_50k_memory_mb",
                "scale_50k_export_csv_ms",
            ),
            _ => (
                "scale_1k_nav_to_jobs_ms",
                "scale_1k_tick_render_layout_ms",
                "scale_1k_memory_mb",
                "scale_1k_export_csv_ms",
            ),
        };
        let n = self.jobs;
        let ticks: Vec<f64> = self
            .ticks
            .iter()
            .map(|t| t.render + t.style_layout)
            .collect();
        let mb = self.memory / 1e6;
        vec![
            Row {
                id: nav,
                what: format!("{n} jobs stored: navigation → job list shown"),
                value: median(&self.nav_to_list),
                unit: "ms",
                runs: self.nav_to_list.clone(),
                budget: Some(("<=", 1000.0)),
            },
            Row {
                id: tick,
                what: format!("{n} jobs: tick of 100 changed, render + style & layout"),
                value: median(&ticks),
                unit: "ms",
                runs: ticks,
                budget: Some(("<=", 8.0)),
            },
            Row {
                id: memory,
                what: format!(
                    "{n} jobs: page memory (JS heap {:.1} + wasm {:.1} MB)",
                    self.js_heap / 1e6,
                    self.wasm_memory / 1e6
                ),
                value: mb,
                unit: "MB",
                runs: vec![mb],
                budget: Some(("<=", 100.0)),
            },
            Row {
                id: export,
                what: format!("{n} jobs: export all as CSV"),
                value: median(&self.export_csv),
                unit: "ms",
                runs: self.export_csv.clone(),
                budget: Some(("<=", 2000.0)),
            },
        ]
    }
}
