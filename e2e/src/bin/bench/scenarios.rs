//! The scenarios, each in its own simulator and browser: cold page runs (login, first page,
//! search, next page), the job-list tick (1,000 jobs, 100 end per tick, arriving as another
//! tab's ledger), and the load on the manager (jobs watched, a hidden tab, idle).
use std::time::{Duration, Instant};

use cckm_sap_admin::domain::ledger::Ledger;
use e2e::{Browser, Sim};
use serde_json::{json, Value};

use super::cdp::{cdp, cpu_metrics, start_profile, stop_profile};
use super::seed::{self, Seeded};
use super::sim::{http_token, now_epoch_ms, present_keys, requests_between, start_jobs, stats};
use super::sizes::loaded_files;
use super::timeline::{
    eval_u64, mark_after, page_now, wait_count, wait_none_running, JOBS, LOAF_OBSERVE, LOAF_REPORT,
    ROWS, SUCCEEDED,
};
use super::Res;

async fn login(b: &Browser) -> Res<f64> {
    fill_login(b).await?;
    submit_login(b).await
}

pub async fn fill_login(b: &Browser) -> Res {
    b.wait_for("#login-username", 30).await?;
    e2e::fill_login(b, "admin", "admin").await?;
    Ok(())
}

pub async fn submit_login(b: &Browser) -> Res<f64> {
    b.click("#login-submit").await?;
    mark_after(b, "cckm:login-submit", -1.0, 10).await
}

pub struct PageRun {
    pub login_ready: f64,
    pub first_page: f64,
    pub search: f64,
    pub next_page: f64,
    pub files: Vec<Value>,
}

/// One cold run in a fresh browser profile: open, log in, search, next page.
pub async fn page_run(base: &str) -> Res<PageRun> {
    let b = Browser::start().await?;
    b.goto(&format!("{base}/")).await?;
    let login_ready = mark_after(&b, "cckm:login-ready", -1.0, 30).await?;
    let files = loaded_files(&b).await?;

    // `CCKM_BENCH_PROFILE=first` profiles the login and first page instead of the next page.
    let profile_first = std::env::var("CCKM_BENCH_PROFILE").is_ok_and(|v| v == "first");
    let debug = std::env::var_os("CCKM_BENCH_DEBUG").is_some();
    if debug {
        b.eval(LOAF_OBSERVE).await?;
    }
    fill_login(&b).await?;
    let m0 = if profile_first {
        cdp(&b, "Performance.enable", json!({})).await?;
        start_profile(&b, 100).await?;
        Some(cpu_metrics(&b).await?)
    } else {
        None
    };
    let submit = submit_login(&b).await?;
    let painted = mark_after(&b, "cckm:keys-painted", submit, 30).await?;
    if debug {
        let t = b
            .eval(&format!("{LOAF_REPORT}; return report({submit});"))
            .await?;
        if let Some(t) = t.as_str().filter(|t| !t.is_empty()) {
            eprintln!("{t}");
        }
    }
    if let Some(m0) = m0 {
        let m1 = cpu_metrics(&b).await?;
        eprintln!(
            "      CDP: script {:.1} ms, style {:.1} ms, layout {:.1} ms",
            m1.0 - m0.0,
            m1.1 - m0.1,
            m1.2 - m0.2
        );
        stop_profile(&b).await?;
    }
    let rows = eval_u64(&b, ROWS).await?;
    if std::env::var_os("CCKM_BENCH_DEBUG").is_some() {
        let t = b.eval("return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).map(e => `${e.name.replace(/^.*\\/api/, '')} start ${e.startTime.toFixed(1)} reqStart ${e.requestStart.toFixed(1)} respStart ${e.responseStart.toFixed(1)} end ${e.responseEnd.toFixed(1)}`).join('\\n');").await?;
        let fetched = mark_after(&b, "cckm:keys-fetched", submit, 1).await?;
        let rendered = mark_after(&b, "cckm:keys-rendered", submit, 1).await?;
        eprintln!("submit {submit:.1} fetched {fetched:.1} rendered {rendered:.1} painted {painted:.1}\n{}", t.as_str().unwrap_or(""));
    }
    if rows != 50 {
        return Err(format!("first page shows {rows} rows, not 50").into());
    }

    // Search: typed without Enter, so the page's own debounce decides when it is sent.
    let before = page_now(&b).await?;
    let input = b.wait_for("#key-search", 10).await?;
    input.send_keys("payroll").await?;
    let sent = mark_after(&b, "cckm:search-sent", before, 10).await?;
    let found = mark_after(&b, "cckm:keys-painted", sent, 30).await?;
    let all_match = b
        .eval("const n = [...document.querySelectorAll('.keys-table tbody tr .key-name')].map(e => e.textContent.toLowerCase()); return n.length > 0 && n.every(t => t.includes('payroll'));")
        .await?;
    if all_match != json!(true) {
        return Err("the search result shows rows not matching `payroll`".into());
    }

    let before = page_now(&b).await?;
    let profiling = std::env::var_os("CCKM_BENCH_PROFILE").is_some() && !profile_first;
    if profiling {
        cdp(&b, "Performance.enable", json!({})).await?;
        start_profile(&b, 100).await?;
    }
    let m0 = if profiling {
        Some(cpu_metrics(&b).await?)
    } else {
        None
    };
    let all0 = if profiling {
        Some(cdp(&b, "Performance.getMetrics", json!({})).await?)
    } else {
        None
    };
    b.click("#page-next").await?;
    let requested = mark_after(&b, "cckm:page-requested", before, 10).await?;
    let next = mark_after(&b, "cckm:keys-painted", requested, 30).await?;
    if std::env::var_os("CCKM_BENCH_DEBUG").is_some() {
        let fetched = mark_after(&b, "cckm:keys-fetched", requested, 1).await?;
        let rendered = mark_after(&b, "cckm:keys-rendered", requested, 1).await?;
        eprintln!("next page: requested {requested:.1} fetched {fetched:.1} rendered {rendered:.1} painted {next:.1}");
    }
    if profiling {
        let m1 = cpu_metrics(&b).await?;
        let all1 = cdp(&b, "Performance.getMetrics", json!({})).await?;
        if let (Some(a0), Some(a1)) = (
            all0.as_ref().and_then(|v| v["metrics"].as_array()),
            all1["metrics"].as_array(),
        ) {
            for (x, y) in a0.iter().zip(a1) {
                let d = y["value"].as_f64().unwrap_or(0.0) - x["value"].as_f64().unwrap_or(0.0);
                if d != 0.0 {
                    eprintln!("      {} {:+.4}", x["name"].as_str().unwrap_or(""), d);
                }
            }
        }
        if let Some(m0) = m0 {
            eprintln!(
                "      CDP: script {:.1} ms, style {:.1} ms, layout {:.1} ms",
                m1.0 - m0.0,
                m1.1 - m0.1,
                m1.2 - m0.2
            );
        }
        stop_profile(&b).await?;
    }
    let label = b.text("#range-label").await?;
    if !label.contains("51") {
        return Err(format!("after Next the range label reads {label:?}").into());
    }
    b.close().await?;
    Ok(PageRun {
        login_ready,
        first_page: painted - submit,
        search: found - sent,
        next_page: next - requested,
        files,
    })
}

pub struct TickRun {
    pub merge: f64,
    pub render: f64,
    pub post_to_rendered: f64,
    pub post_to_painted: f64,
    pub script: f64,
    pub style_layout: f64,
}

/// Ticks measured: 100 of the 1,000 jobs end in each, so every job ends once.
pub const TICKS: usize = 10;

/// 1,000 running jobs in the ledger; in each run 100 of them end at once, arriving the way
/// another tab's poll results arrive (the ledger on the BroadcastChannel).
pub async fn job_tick() -> Res<(Vec<TickRun>, Value)> {
    let runs = TICKS;
    // Jobs that stay PENDING for the whole scenario (an hour each).
    let sim = Sim::start(&["--keys", "3000", "--job-ms", "3600000"])?;
    let jwt = http_token(&sim.base).await?;
    let t = Instant::now();
    let keys = present_keys(&sim.base, &jwt, 0, 1000).await?;
    let t0 = now_epoch_ms();
    let answers = start_jobs(&sim.base, &jwt, &keys).await?;
    let mut jobs = Seeded::started(&sim.base, &keys, &answers, t0);
    eprintln!(
        "    1000 jobs started through the API in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    mark_after(&b, "cckm:login-ready", -1.0, 30).await?;
    seed::store(&b, &sim.base, &jobs.ledger).await?;
    b.client.refresh().await?;
    login(&b).await?;
    wait_count(&b, JOBS, 1000, 60).await?;
    // Let the first round of polls (1,000 unchanged answers) pass.
    tokio::time::sleep(Duration::from_secs(6)).await;
    cdp(&b, "Performance.enable", json!({})).await?;

    let mut out = Vec::new();
    for run in 0..runs {
        let (from, to) = (run * 100, run * 100 + 100);
        let cpu0 = cpu_metrics(&b).await?;
        let profiling = std::env::var_os("CCKM_BENCH_PROFILE").is_some() && run + 2 >= runs;
        if profiling {
            start_profile(&b, 50).await?;
        }
        // The 100 jobs end now; the other tab's message is built before the clock starts.
        let delta = jobs.complete(from..to, now_epoch_ms());
        let t = measure_tick(&b, &sim.base, &delta, cpu0).await?;
        if profiling {
            eprintln!("    profile of tick {}:", run + 1);
            stop_profile(&b).await?;
        }
        let done = eval_u64(&b, SUCCEEDED).await?;
        if done != to as u64 {
            return Err(
                format!("after tick {run} the list shows {done} succeeded jobs, not {to}").into(),
            );
        }
        eprintln!(
            "    tick {}: render {:.1} ms (merge {:.1}) · post→rendered {:.1} ms · post→painted {:.1} ms · CDP script {:.1} ms, style+layout {:.1} ms",
            run + 1,
            t.render,
            t.merge,
            t.post_to_rendered,
            t.post_to_painted,
            t.script,
            t.style_layout
        );
        out.push(t);
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let info = json!({"ledger_entries": 1000, "changed_per_tick": 100, "ticks": runs});
    b.close().await?;
    Ok((out, info))
}

/// Another tab's poll results (`delta`) arrive on the page's channel; measured from the post to
/// the job list rendered and painted (`cpu0`: the CDP CPU metrics taken before).
pub async fn measure_tick(
    b: &Browser,
    base: &str,
    delta: &Ledger,
    cpu0: (f64, f64, f64),
) -> Res<TickRun> {
    let posted = b
        .client
        .execute(
            "const ch = new BroadcastChannel(arguments[0]);
             const t0 = performance.now();
             ch.postMessage(arguments[1]);
             ch.close();
             return t0;",
            vec![json!(seed::channel(base)), seed::message(delta)],
        )
        .await?
        .as_f64()
        .unwrap_or(0.0);
    let update = mark_after(b, "cckm:ledger-update", posted, 30).await?;
    let merged = mark_after(b, "cckm:ledger-merged", update, 30).await?;
    let rendered = mark_after(b, "cckm:jobs-rendered", update, 30).await?;
    let painted = mark_after(b, "cckm:jobs-painted", rendered, 30).await?;
    let cpu1 = cpu_metrics(b).await?;
    Ok(TickRun {
        render: rendered - update,
        merge: merged - update,
        post_to_rendered: rendered - posted,
        post_to_painted: painted - posted,
        script: cpu1.0 - cpu0.0,
        style_layout: (cpu1.1 - cpu0.1) + (cpu1.2 - cpu0.2),
    })
}

pub struct Load {
    pub job_gets: u64,
    pub gets_per_job: f64,
    pub max_in_flight: u64,
    pub watch_s: f64,
    pub hidden_requests: u64,
    pub hidden_routes: Value,
    pub visibility: Value,
    pub idle_requests: u64,
    pub idle_routes: Value,
    pub idle_s: u64,
    pub hidden_s: u64,
}

const JOB_GET: &str = "GET /api/v1/cckm/sap/keys/jobs/{id}";

pub async fn load(job_ms: u64, hidden_s: u64, idle_s: u64) -> Res<Load> {
    let sim = Sim::start(&["--keys", "2000", "--job-ms", &job_ms.to_string()])?;
    let jwt = http_token(&sim.base).await?;
    let keys = present_keys(&sim.base, &jwt, 0, 200).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    mark_after(&b, "cckm:login-ready", -1.0, 30).await?;

    // 1. 100 jobs, watched from start to end.
    let before = stats(&sim).await?;
    let t0 = now_epoch_ms();
    let answers = start_jobs(&sim.base, &jwt, &keys[..100]).await?;
    let batch1 = Seeded::started(&sim.base, &keys[..100], &answers, t0);
    let started = Instant::now();
    seed::store(&b, &sim.base, &batch1.ledger).await?;
    b.client.refresh().await?;
    login(&b).await?;
    wait_count(&b, JOBS, 100, 30).await?;
    wait_none_running(&b, job_ms / 1000 + 120).await?;
    let watch_s = started.elapsed().as_secs_f64();
    let after = stats(&sim).await?;
    let job_gets = after["requests"][JOB_GET].as_u64().unwrap_or(0)
        - before["requests"][JOB_GET].as_u64().unwrap_or(0);
    let max_in_flight = after["max_in_flight"][JOB_GET].as_u64().unwrap_or(0);
    eprintln!("    100 jobs watched to the end in {watch_s:.0} s: {job_gets} job GETs, at most {max_in_flight} in flight");

    // 2. 100 more jobs (as if started in another tab); the page's tab is hidden for a while.
    let t0 = now_epoch_ms();
    let answers = start_jobs(&sim.base, &jwt, &keys[100..200]).await?;
    let batch2 = Seeded::started(&sim.base, &keys[100..200], &answers, t0);
    seed::post(&b, &sim.base, &batch2.ledger).await?;
    b.eval("window.__vis = []; document.addEventListener('visibilitychange', () => window.__vis.push([document.visibilityState, performance.now()])); return true;")
        .await?;
    wait_count(&b, JOBS, 200, 30).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let page_window = b.client.window().await?;
    let before = stats(&sim).await?;
    let tab = b.client.new_window(true).await?;
    b.client.switch_to_window(tab.handle.clone()).await?;
    b.goto("about:blank").await?;
    tokio::time::sleep(Duration::from_secs(hidden_s)).await;
    let after = stats(&sim).await?;
    let (hidden_requests, hidden_routes) = requests_between(&before, &after);
    b.client.close_window().await?;
    b.client.switch_to_window(page_window).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let visibility = b
        .eval("return {now: document.visibilityState, changes: window.__vis};")
        .await?;
    eprintln!("    hidden for {hidden_s} s: {hidden_requests} requests; visibility {visibility}");
    wait_none_running(&b, job_ms / 1000 + 120).await?;

    // 3. Nothing running any more: the manager should hear nothing.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = stats(&sim).await?;
    tokio::time::sleep(Duration::from_secs(idle_s)).await;
    let after = stats(&sim).await?;
    let (idle_requests, idle_routes) = requests_between(&before, &after);
    eprintln!("    idle for {idle_s} s: {idle_requests} requests");
    b.close().await?;
    Ok(Load {
        job_gets,
        gets_per_job: job_gets as f64 / 100.0,
        max_in_flight,
        watch_s,
        hidden_requests,
        hidden_routes,
        visibility,
        idle_requests,
        idle_routes,
        idle_s,
        hidden_s,
    })
}
