//! `cargo xtask bench`'s browser driver: measures the built page in headless Chromium against the
//! simulator and prints one table (and writes JSON) with the median of several runs of each figure.
//!
//! Environment (set by `cargo xtask bench`): `CCKM_DIST`, `CCKM_SIM_BIN`, `CHROMEDRIVER`,
//! `CHROMIUM` (as for the end-to-end tests), `CCKM_FLOOR_DIST` (the minimal Yew app built with the
//! same profile), and optionally `CCKM_BENCH_JSON` (default `target/bench.json`),
//! `CCKM_BENCH_RUNS` (page timings, default 5), `CCKM_BENCH_JOB_MS` (length of one job in the load
//! scenario, default 60000), `CCKM_BENCH_IDLE_S` (idle window after every job ended, default 60),
//! `CCKM_BENCH_HIDDEN_S` (hidden-tab window, default 30) and `CCKM_BENCH_SLOW_RUNS` (rounds on
//! the emulated links, bench/slow_link.rs; default `CCKM_BENCH_RUNS`).
//!
//! For looking into a figure: `CCKM_BENCH_ONLY=page` (page timings only), `=tick` (job-list
//! ticks only) or `=slow` (the emulated links only; `CCKM_BENCH_DEVTOOLS_PRESETS=1` for DevTools'
//! own scaled presets), `CCKM_BENCH_DEBUG=1` (the first key page's API timings, marks and long animation
//! frames, and the next page's marks), `CCKM_BENCH_PROFILE=1` (a CDP CPU profile and CDP script /
//! style / layout times of the next-page action and of the last two ticks; `=first`: of the login
//! submit → first key page instead; function names need a wasm built with
//! `wasm-bindgen --keep-debug`) and `CCKM_CHROME_ARGS` (more Chromium arguments, e.g. a startup
//! trace).
//!
//! Every time inside the page is read from the page's own `performance` marks (src/perf.rs)
//! through WebDriver; wall clocks are used only for waiting and for the simulator's load windows.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::{Browser, Sim};
use serde_json::{json, Value};

// Modules of this binary, beside it in bench/ (a file directly in src/bin/ would be a binary).
#[path = "bench/sizes.rs"]
mod sizes;
#[path = "bench/slow_link.rs"]
mod slow_link;

use sizes::{floor_files, floor_sim, loaded_files, size_files};

type Res<T = ()> = e2e::Result<T>;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the page's performance timeline.

/// Start times (ms since navigation) of every mark named `name`.
async fn marks(b: &Browser, name: &str) -> Res<Vec<f64>> {
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
async fn mark_after(b: &Browser, name: &str, after: f64, secs: u64) -> Res<f64> {
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

async fn page_now(b: &Browser) -> Res<f64> {
    Ok(b.eval("return performance.now();")
        .await?
        .as_f64()
        .unwrap_or(0.0))
}

async fn eval_u64(b: &Browser, script: &str) -> Res<u64> {
    Ok(b.eval(script).await?.as_u64().unwrap_or(0))
}

/// Waits until `script` (returning a number) returns at least `want`.
async fn wait_count(b: &Browser, script: &str, want: u64, secs: u64) -> Res<u64> {
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

const ROWS: &str = "return document.querySelectorAll('.keys-table tbody tr').length;";

// ---------------------------------------------------------------------------------------------
// Chrome DevTools Protocol, through the e2e library's `Browser::cdp`.

async fn cdp(b: &Browser, cmd: &str, params: Value) -> Res<Value> {
    b.cdp(cmd, params).await
}

/// CDP `Performance.getMetrics`: (script, style recalculation, layout) durations in ms so far.
async fn cpu_metrics(b: &Browser) -> Res<(f64, f64, f64)> {
    let v = cdp(b, "Performance.getMetrics", json!({})).await?;
    let get = |n: &str| {
        v["metrics"]
            .as_array()
            .and_then(|m| m.iter().find(|x| x["name"] == n))
            .and_then(|x| x["value"].as_f64())
            .unwrap_or(0.0)
            * 1000.0
    };
    Ok((
        get("ScriptDuration"),
        get("RecalcStyleDuration"),
        get("LayoutDuration"),
    ))
}

// ---------------------------------------------------------------------------------------------
// The simulator.

async fn http_token(base: &str) -> Res<String> {
    e2e::SimApi {
        base: base.to_string(),
    }
    .token()
    .await
}

async fn stats(sim: &Sim) -> Res<Value> {
    sim.stats().await
}

/// Requests to API routes in `after` minus `before`, per route, and their sum.
fn delta(before: &Value, after: &Value) -> (u64, Value) {
    let mut per = serde_json::Map::new();
    let mut sum = 0;
    if let Some(m) = after["requests"].as_object() {
        for (route, n) in m {
            let d = n
                .as_u64()
                .unwrap_or(0)
                .saturating_sub(before["requests"][route].as_u64().unwrap_or(0));
            if d > 0 && route.contains("/api/") {
                per.insert(route.clone(), json!(d));
                sum += d;
            }
        }
    }
    (sum, Value::Object(per))
}

/// The simulator's own speed: 200 key-list pages of 50 out of 50,000 keys over loopback HTTP
/// (the queries of sim/examples/list_queries.txt). Returns (median, p95) in ms.
async fn sim_list_speed(base: &str) -> Res<(f64, f64)> {
    let jwt = http_token(base).await?;
    let http = reqwest::Client::new();
    // One query per line, shared by sim/examples/list_bench.rs and the benchmark driver.
    let queries: Vec<&str> = include_str!("../../../sim/examples/list_queries.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect();
    let mut times = Vec::new();
    for i in 0..200 {
        let q = queries[i % queries.len()];
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/v1/cckm/sap/keys?{q}"))
            .bearer_auth(&jwt)
            .send()
            .await?;
        let ok = r.status().is_success();
        let _ = r.bytes().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if !ok {
            return Err(format!("list {q} failed").into());
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok((median(&times), times[times.len() * 95 / 100]))
}

/// Keys that are not gone, `n` of them from `skip` on: (id, name, group, sap_key_id).
async fn present_keys(base: &str, jwt: &str, skip: usize, n: usize) -> Res<Vec<Value>> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut at = skip;
    while out.len() < n {
        let page: Value = http
            .get(format!(
                "{base}/api/v1/cckm/sap/keys?limit=1000&skip={at}&gone=false&sort=name"
            ))
            .bearer_auth(jwt)
            .send()
            .await?
            .json()
            .await?;
        let items = page["resources"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return Err(format!("only {} present keys from {skip}", out.len()).into());
        }
        at += items.len();
        out.extend(
            items
                .into_iter()
                .filter(|k| k["sap_param"]["keystoreContext"]["customerHeld"] != json!(true)),
        );
    }
    out.truncate(n);
    Ok(out)
}

fn now_epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Starts a delete job for each key through the API and returns the page's ledger entries for
/// them, exactly as the page writes them when it starts a job itself (src/domain/ledger.rs).
async fn start_jobs(base: &str, jwt: &str, keys: &[Value]) -> Res<Vec<Value>> {
    let http = reqwest::Client::new();
    let mut entries = Vec::new();
    let t0 = now_epoch_ms();
    for (i, k) in keys.iter().enumerate() {
        let r = http
            .post(format!("{base}/api/v1/cckm/sap/keys/jobs"))
            .bearer_auth(jwt)
            .json(&json!({"id": k["id"], "operation": "delete", "delete_if_backup_fails": false}))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("POST job for {}: {}", k["name"], r.status()).into());
        }
        let job: Value = r.json().await?;
        let at = t0 - i as f64; // newest first, distinct times
        entries.push(json!({
            "job_id": job["id"], "id": k["id"], "key_name": k["name"], "group": k["sap_group_name"],
            "sap_key_id": k["sap_param"]["sap_key_id"], "operation": "delete", "delete_if_backup_fails": false,
            "user": "admin", "manager": base, "created_ms": at,
            "states": [{"state": job["state"], "at_ms": at}], "phase": "running", "verification": "not_yet",
            "verified_ms": null, "last_polled_ms": null, "last_change_ms": at, "last_job": job,
        }));
    }
    Ok(entries)
}

const LEDGER_KEY_JS: &str = "'cckm-sap-ledger:v1:' + location.origin + ':admin'";

/// Writes a ledger into the page origin's localStorage (before the page loads it at login).
async fn store_ledger(b: &Browser, entries: &[Value]) -> Res {
    let ledger = json!({"version": 1, "entries": entries, "cleared": []});
    b.client
        .execute(
            &format!(
                "localStorage.setItem({LEDGER_KEY_JS}, JSON.stringify(arguments[0])); return true;"
            ),
            vec![ledger],
        )
        .await?;
    Ok(())
}

async fn login(b: &Browser) -> Res<f64> {
    fill_login(b).await?;
    submit_login(b).await
}

async fn fill_login(b: &Browser) -> Res {
    b.wait_for("#login-username", 30).await?;
    e2e::fill_login(b, "admin", "admin").await?;
    Ok(())
}

async fn submit_login(b: &Browser) -> Res<f64> {
    b.click("#login-submit").await?;
    mark_after(b, "cckm:login-submit", -1.0, 10).await
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

struct PageRun {
    login_ready: f64,
    first_page: f64,
    search: f64,
    next_page: f64,
    files: Vec<Value>,
}

/// One cold run in a fresh browser profile: open, log in, search, next page.
async fn page_run(base: &str) -> Res<PageRun> {
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

/// Collects long animation frames (over 50 ms) for `CCKM_BENCH_DEBUG`.
const LOAF_OBSERVE: &str = "window.__loaf = []; new PerformanceObserver(l => window.__loaf.push(...l.getEntries())).observe({type: 'long-animation-frame', buffered: true});";

/// The long frames since `from`: when each started and how its time splits.
const LOAF_REPORT: &str = "function report(from) { return window.__loaf.filter(f => f.startTime + f.duration >= from).map(f => `  long frame at ${(f.startTime - from).toFixed(0)} ms: ${f.duration.toFixed(0)} ms, render at ${f.renderStart ? (f.renderStart - from).toFixed(0) : '-'}, style+layout at ${f.styleAndLayoutStart ? (f.styleAndLayoutStart - from).toFixed(0) : '-'}` + f.scripts.map(s => `\\n    script ${s.invokerType} ${s.invoker} at ${(s.startTime - from).toFixed(0)}: ${s.duration.toFixed(0)} ms, forced style+layout ${s.forcedStyleAndLayoutDuration.toFixed(0)} ms`).join('')).join('\\n'); }";

/// Starts a CDP CPU profile, sampling every `interval_us` µs (a debugging aid: `CCKM_BENCH_PROFILE`).
async fn start_profile(b: &Browser, interval_us: u32) -> Res {
    cdp(b, "Profiler.enable", json!({})).await?;
    cdp(
        b,
        "Profiler.setSamplingInterval",
        json!({"interval": interval_us}),
    )
    .await?;
    cdp(b, "Profiler.start", json!({})).await?;
    Ok(())
}

/// Stops the CPU profile and prints its self time by function.
async fn stop_profile(b: &Browser) -> Res {
    let p = cdp(b, "Profiler.stop", json!({})).await?;
    print_profile(&p["profile"]);
    Ok(())
}

/// Self time by function of a CDP CPU profile.
fn print_profile(p: &Value) {
    let nodes = p["nodes"].as_array().cloned().unwrap_or_default();
    let samples = p["samples"].as_array().cloned().unwrap_or_default();
    let deltas = p["timeDeltas"].as_array().cloned().unwrap_or_default();
    let mut by_id = std::collections::HashMap::new();
    for n in &nodes {
        by_id.insert(
            n["id"].as_i64().unwrap_or(0),
            n["callFrame"]["functionName"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    let mut self_us: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    for (s, d) in samples.iter().zip(deltas.iter()) {
        let name = by_id
            .get(&s.as_i64().unwrap_or(0))
            .cloned()
            .unwrap_or_default();
        *self_us.entry(name).or_default() += d.as_f64().unwrap_or(0.0);
    }
    let mut v: Vec<_> = self_us.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, us) in v.iter().take(30) {
        eprintln!(
            "      {:8.2} ms  {}",
            us / 1000.0,
            &name[..name.len().min(140)]
        );
    }
}

struct TickRun {
    merge: f64,
    render: f64,
    post_to_rendered: f64,
    post_to_painted: f64,
    script: f64,
    style_layout: f64,
}

/// Ticks measured: 100 of the 1,000 jobs end in each, so every job ends once.
const TICKS: usize = 10;

/// 1,000 running jobs in the ledger; in each run 100 of them end at once, arriving the way
/// another tab's poll results arrive (the ledger on the BroadcastChannel).
async fn job_tick() -> Res<(Vec<TickRun>, Value)> {
    let runs = TICKS;
    // Jobs that stay PENDING for the whole scenario (an hour each).
    let sim = Sim::start(&["--keys", "3000", "--job-ms", "3600000"])?;
    let jwt = http_token(&sim.base).await?;
    let t = Instant::now();
    let keys = present_keys(&sim.base, &jwt, 0, 1000).await?;
    let entries = start_jobs(&sim.base, &jwt, &keys).await?;
    eprintln!(
        "    1000 jobs started through the API in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    mark_after(&b, "cckm:login-ready", -1.0, 30).await?;
    store_ledger(&b, &entries).await?;
    b.client.refresh().await?;
    login(&b).await?;
    wait_count(&b, JOBS, 1000, 60).await?;
    // Let the first round of polls (1,000 unchanged answers) pass.
    tokio::time::sleep(Duration::from_secs(6)).await;
    cdp(&b, "Performance.enable", json!({})).await?;
    b.client
        .execute(
            &format!("window.__benchLedger = {{version: 1, entries: arguments[0], cleared: []}}; window.__benchName = {LEDGER_KEY_JS} + ':bc'; return true;"),
            vec![json!(entries)],
        )
        .await?;

    let mut out = Vec::new();
    for run in 0..runs {
        let (from, to) = (run * 100, run * 100 + 100);
        let cpu0 = cpu_metrics(&b).await?;
        let profiling = std::env::var_os("CCKM_BENCH_PROFILE").is_some() && run + 2 >= runs;
        if profiling {
            start_profile(&b, 50).await?;
        }
        let posted = b
            .client
            .execute(
                "const [from, to] = arguments; const l = window.__benchLedger; const t = Date.now();
                 for (let i = from; i < to; i++) {
                   const e = l.entries[i];
                   e.states.push({state: 'COMPLETED', at_ms: t});
                   e.phase = 'succeeded'; e.verification = 'confirmed'; e.verified_ms = t;
                   e.last_polled_ms = t; e.last_change_ms = t;
                   e.last_job = Object.assign({}, e.last_job, {state: 'COMPLETED'});
                 }
                 const delta = {version: 1, entries: l.entries.slice(from, to), cleared: []};
                 const ch = new BroadcastChannel(window.__benchName);
                 const t0 = performance.now();
                 ch.postMessage(JSON.stringify(delta));
                 ch.close();
                 return t0;",
                vec![json!(from), json!(to)],
            )
            .await?
            .as_f64()
            .unwrap_or(0.0);
        let update = mark_after(&b, "cckm:ledger-update", posted, 10).await?;
        let merged = mark_after(&b, "cckm:ledger-merged", update, 10).await?;
        let rendered = mark_after(&b, "cckm:jobs-rendered", update, 10).await?;
        let painted = mark_after(&b, "cckm:jobs-painted", rendered, 10).await?;
        let cpu1 = cpu_metrics(&b).await?;
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
        let t = TickRun {
            render: rendered - update,
            merge: merged - update,
            post_to_rendered: rendered - posted,
            post_to_painted: painted - posted,
            script: cpu1.0 - cpu0.0,
            style_layout: (cpu1.1 - cpu0.1) + (cpu1.2 - cpu0.2),
        };
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

struct Load {
    job_gets: u64,
    gets_per_job: f64,
    max_in_flight: u64,
    watch_s: f64,
    hidden_requests: u64,
    hidden_routes: Value,
    visibility: Value,
    idle_requests: u64,
    idle_routes: Value,
    idle_s: u64,
    hidden_s: u64,
}

const JOB_GET: &str = "GET /api/v1/cckm/sap/keys/jobs/{id}";
const RUNNING: &str = "return document.querySelectorAll('#job-list .job.phase-running').length;";
/// Succeeded jobs in the ledger, from the counts beside the job list's title
/// ("N running · M succeeded · K failed").
const SUCCEEDED: &str = "const t = document.querySelector('#job-counts').textContent; const m = t.match(/(\\d+) succeeded/); return m ? parseInt(m[1]) : 0;";

/// Jobs in the ledger, from the job list's header ("N job(s), M finished"): the list itself
/// renders only the newest 50 rows.
const JOBS: &str = "const h = document.querySelector('.jobs-head .muted'); return h ? parseInt(h.textContent) : 0;";

async fn wait_none_running(b: &Browser, secs: u64) -> Res {
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

/// The manager's load: 100 jobs watched to the end; then 100 more, with the tab hidden for a
/// while; then nothing running.
async fn load(job_ms: u64, hidden_s: u64, idle_s: u64) -> Res<Load> {
    let sim = Sim::start(&["--keys", "2000", "--job-ms", &job_ms.to_string()])?;
    let jwt = http_token(&sim.base).await?;
    let keys = present_keys(&sim.base, &jwt, 0, 200).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{}/", sim.base)).await?;
    mark_after(&b, "cckm:login-ready", -1.0, 30).await?;

    // 1. 100 jobs, watched from start to end.
    let before = stats(&sim).await?;
    let batch1 = start_jobs(&sim.base, &jwt, &keys[..100]).await?;
    let started = Instant::now();
    store_ledger(&b, &batch1).await?;
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
    let batch2 = start_jobs(&sim.base, &jwt, &keys[100..200]).await?;
    b.client
        .execute(
            &format!("const ch = new BroadcastChannel({LEDGER_KEY_JS} + ':bc'); ch.postMessage(JSON.stringify({{version: 1, entries: arguments[0], cleared: []}})); ch.close();
             window.__vis = []; document.addEventListener('visibilitychange', () => window.__vis.push([document.visibilityState, performance.now()]));
             return true;"),
            vec![json!(batch2)],
        )
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
    let (hidden_requests, hidden_routes) = delta(&before, &after);
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
    let (idle_requests, idle_routes) = delta(&before, &after);
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

// ---------------------------------------------------------------------------------------------
// The table.

struct Row {
    id: &'static str,
    what: String,
    value: f64,
    unit: &'static str,
    runs: Vec<f64>,
    budget: Option<(&'static str, f64)>,
}

impl Row {
    fn pass(&self) -> Option<bool> {
        self.budget.map(|(op, b)| match op {
            "<=" => self.value <= b,
            "<" => self.value < b,
            _ => false,
        })
    }
    fn margin(&self) -> String {
        match self.budget {
            Some((_, b)) if b > 0.0 => format!("{:+.0}%", (b - self.value) / b * 100.0),
            Some((_, _)) if self.value == 0.0 => "±0".to_string(),
            Some((_, _)) => format!("{:.0} over", self.value),
            None => String::new(),
        }
    }
}

fn print_rows(rows: &[Row]) {
    println!(
        "{:<64} {:>12} {:>10} {:>8} {:>6}",
        "figure", "value", "budget", "margin", ""
    );
    println!("{}", "-".repeat(104));
    for r in rows {
        let budget = r
            .budget
            .map(|(op, b)| format!("{op} {}", fmt(b, r.unit)))
            .unwrap_or_default();
        let verdict = match r.pass() {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "",
        };
        println!(
            "{:<64} {:>12} {:>10} {:>8} {:>6}",
            r.what,
            fmt(r.value, r.unit),
            budget,
            r.margin(),
            verdict
        );
    }
}

fn fmt(v: f64, unit: &str) -> String {
    match unit {
        "bytes" => format!("{v:.0} B"),
        "ms" => format!("{v:.1} ms"),
        "x" => format!("{v:.2}×"),
        _ => format!("{v:.1}{}{unit}", if unit.is_empty() { "" } else { " " }),
    }
}

fn chromium_version() -> String {
    std::env::var("CHROMIUM")
        .ok()
        .and_then(|c| std::process::Command::new(c).arg("--version").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn mem_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_default()
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Res {
    let runs: usize = env_or("CCKM_BENCH_RUNS", 5);
    let slow_runs: usize = env_or("CCKM_BENCH_SLOW_RUNS", runs);
    let job_ms: u64 = env_or("CCKM_BENCH_JOB_MS", 60_000);
    let hidden_s: u64 = env_or("CCKM_BENCH_HIDDEN_S", 30);
    let idle_s: u64 = env_or("CCKM_BENCH_IDLE_S", 60);
    let json_path: PathBuf = std::env::var_os("CCKM_BENCH_JSON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench.json"));
    let dist = PathBuf::from(
        std::env::var("CCKM_DIST").map_err(|_| "CCKM_DIST is not set: run `cargo xtask bench`")?,
    );
    let floor_dist =
        PathBuf::from(std::env::var("CCKM_FLOOR_DIST").map_err(|_| "CCKM_FLOOR_DIST is not set")?);
    let started = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    if std::env::var("CCKM_BENCH_ONLY").as_deref() == Ok("tick") {
        job_tick().await?;
        return Ok(());
    }
    if std::env::var("CCKM_BENCH_ONLY").as_deref() == Ok("slow") {
        let (sim, floor) = (
            Sim::start(&["--keys", "50000", "--groups", "40"])?,
            floor_sim()?,
        );
        let slow = slow_link::measure(&sim.base, &floor.base, slow_runs).await?;
        print_rows(&slow.rows);
        slow.files.iter().for_each(|l| println!("{l}"));
        return Ok(());
    }

    // --- Sizes and page timings: 50,000 keys.
    eprintln!("\n--- page timings: {runs} cold runs, simulator holding 50,000 keys");
    let sim = Sim::start(&["--keys", "50000", "--groups", "40"])?;
    let (list_median, list_p95) = sim_list_speed(&sim.base).await?;
    eprintln!("    simulator key list: median {list_median:.2} ms, p95 {list_p95:.2} ms");
    let mut page_runs = Vec::new();
    for i in 0..runs {
        let r = page_run(&sim.base).await?;
        eprintln!(
            "    run {}: login form {:.1} ms · first page {:.1} ms · search {:.1} ms · next page {:.1} ms",
            i + 1,
            r.login_ready,
            r.first_page,
            r.search,
            r.next_page
        );
        page_runs.push(r);
    }
    if std::env::var("CCKM_BENCH_ONLY").as_deref() == Ok("page") {
        for (what, f) in [
            (
                "login form",
                (|r: &PageRun| r.login_ready) as fn(&PageRun) -> f64,
            ),
            ("first page", |r| r.first_page),
            ("search", |r| r.search),
            ("next page", |r| r.next_page),
        ] {
            eprintln!(
                "    median {what}: {:.1} ms",
                median(&page_runs.iter().map(f).collect::<Vec<_>>())
            );
        }
        return Ok(());
    }
    eprintln!("--- start on an emulated link: {slow_runs} rounds of Slow 4G, Fast 4G and loopback, page and floor");
    let floor = floor_sim()?;
    let slow = slow_link::measure(&sim.base, &floor.base, slow_runs).await?;
    drop(sim);
    let (page_files, page_raw, page_gz) = size_files(&dist, &page_runs[0].files)?;
    eprintln!("--- floor: the minimal Yew app");
    let floor_loaded = floor_files(&floor.base).await?;
    drop(floor);
    let (floor_files, floor_raw, floor_gz) = size_files(&floor_dist, &floor_loaded)?;
    let ratio = page_gz as f64 / floor_gz as f64;

    rows.push(Row {
        id: "cold_load_gzip",
        what: "cold load, gzip -9 of every file loaded".into(),
        value: page_gz as f64,
        unit: "bytes",
        runs: vec![],
        budget: Some(("<=", 150_000.0)),
    });
    rows.push(Row {
        id: "floor_gzip",
        what: "minimal Yew app (floor), same measure".into(),
        value: floor_gz as f64,
        unit: "bytes",
        runs: vec![],
        budget: None,
    });
    rows.push(Row {
        id: "size_ratio",
        what: "page / floor".into(),
        value: ratio,
        unit: "x",
        runs: vec![],
        budget: Some(("<=", 2.5)),
    });
    let col = |f: fn(&PageRun) -> f64| page_runs.iter().map(f).collect::<Vec<_>>();
    for (id, what, v, b) in [
        (
            "login_ready_ms",
            "navigation → login form interactive",
            col(|r| r.login_ready),
            300.0,
        ),
        (
            "first_page_ms",
            "login submitted → first 50 keys painted (50,000 keys)",
            col(|r| r.first_page),
            200.0,
        ),
        (
            "search_ms",
            "search sent (after debounce) → rows painted",
            col(|r| r.search),
            100.0,
        ),
        (
            "next_page_ms",
            "Next clicked → next page painted",
            col(|r| r.next_page),
            100.0,
        ),
    ] {
        rows.push(Row {
            id,
            what: what.into(),
            value: median(&v),
            unit: "ms",
            runs: v,
            budget: Some(("<=", b)),
        });
    }
    rows.extend(slow.rows);

    // --- Job list tick.
    eprintln!("--- job list: 1,000 jobs, 100 change per tick, {TICKS} ticks");
    let (ticks, tick_info) = job_tick().await?;
    let tcol = |f: fn(&TickRun) -> f64| ticks.iter().map(f).collect::<Vec<_>>();
    let budget_fig = tcol(|t| t.render + t.style_layout);
    rows.push(Row {
        id: "tick_render_layout_ms",
        what: "tick: render (marks) + style & layout (CDP)".into(),
        value: median(&budget_fig),
        unit: "ms",
        runs: budget_fig,
        budget: Some(("<=", 8.0)),
    });
    for (id, what, v) in [
        (
            "tick_render_ms",
            "tick: ledger-update → jobs-rendered",
            tcol(|t| t.render),
        ),
        (
            "tick_merge_ms",
            "tick: of which the merge (ledger-update → ledger-merged)",
            tcol(|t| t.merge),
        ),
        (
            "tick_post_rendered_ms",
            "tick: message posted → jobs-rendered (incl. merge)",
            tcol(|t| t.post_to_rendered),
        ),
        (
            "tick_post_painted_ms",
            "tick: message posted → jobs-painted",
            tcol(|t| t.post_to_painted),
        ),
        (
            "tick_cdp_script_ms",
            "tick: all script in the window (CDP)",
            tcol(|t| t.script),
        ),
        (
            "tick_cdp_style_layout_ms",
            "tick: style + layout (CDP)",
            tcol(|t| t.style_layout),
        ),
    ] {
        rows.push(Row {
            id,
            what: what.into(),
            value: median(&v),
            unit: "ms",
            runs: v,
            budget: None,
        });
    }

    // --- Load on the manager.
    eprintln!("--- load: 100 jobs of {job_ms} ms, hidden {hidden_s} s, idle {idle_s} s (one run)");
    let l = load(job_ms, hidden_s, idle_s).await?;
    rows.push(Row {
        id: "job_gets_max_in_flight",
        what: "job GETs in flight at once (max)".into(),
        value: l.max_in_flight as f64,
        unit: "",
        runs: vec![],
        budget: Some(("<=", 4.0)),
    });
    rows.push(Row {
        id: "job_gets_per_job",
        what: format!(
            "job GETs per job ({} GETs, 100 jobs of {} s)",
            l.job_gets,
            job_ms / 1000
        ),
        value: l.gets_per_job,
        unit: "",
        runs: vec![],
        budget: Some(("<", 25.0)),
    });
    rows.push(Row {
        id: "hidden_requests",
        what: format!("requests while hidden for {} s", l.hidden_s),
        value: l.hidden_requests as f64,
        unit: "",
        runs: vec![],
        budget: Some(("<=", 1.0)),
    });
    let per_min = l.idle_requests as f64 * 60.0 / l.idle_s as f64;
    rows.push(Row {
        id: "idle_requests_per_min",
        what: "requests per minute after every job ended".into(),
        value: per_min,
        unit: "",
        runs: vec![],
        budget: Some(("<=", 0.0)),
    });
    rows.push(Row {
        id: "sim_list_ms",
        what: "simulator: key-list page of 50 out of 50,000 (median of 200)".into(),
        value: list_median,
        unit: "ms",
        runs: vec![list_p95],
        budget: Some(("<=", 20.0)),
    });

    // --- Print.
    println!("\ncargo xtask bench — median of {runs} runs for page timings, {slow_runs} on emulated links, of {TICKS} job-list ticks; one run of the load scenario\n");
    print_rows(&rows);
    println!("\nfiles of a cold load (gzip -9):");
    for f in &page_files {
        println!(
            "  page  {:<48} {:>9} B  gzip {:>8} B",
            f["file"].as_str().unwrap_or(""),
            f["bytes"],
            f["gzip9"]
        );
    }
    for f in &floor_files {
        println!(
            "  floor {:<48} {:>9} B  gzip {:>8} B",
            f["file"].as_str().unwrap_or(""),
            f["bytes"],
            f["gzip9"]
        );
    }
    println!("files of a cold load as served (loopback):");
    slow.files.iter().for_each(|l| println!("{l}"));
    println!(
        "load details: hidden-tab requests by route {}, idle requests by route {}, visibility {}",
        l.hidden_routes, l.idle_routes, l.visibility
    );
    let met = rows.iter().filter(|r| r.pass() == Some(true)).count();
    let budgets = rows.iter().filter(|r| r.budget.is_some()).count();
    println!(
        "\n{met} of {budgets} budgets met ({:.0} s)",
        started.elapsed().as_secs_f64()
    );

    let report = json!({
        "machine": {"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "memory": mem_total(),
                    "chromium": chromium_version(), "date": date()},
        "runs": runs,
        "figures": rows.iter().map(|r| json!({
            "id": r.id, "what": r.what, "value": r.value, "unit": r.unit, "runs": r.runs,
            "budget": r.budget.map(|(op, b)| json!({"op": op, "value": b})),
            "pass": r.pass(),
        })).collect::<Vec<_>>(),
        "sizes": {"page": {"files": page_files, "bytes": page_raw, "gzip9": page_gz},
                  "floor": {"files": floor_files, "bytes": floor_raw, "gzip9": floor_gz}, "ratio": ratio},
        "slow_link": slow.json,
        "job_tick": tick_info,
        "load": {"job_ms": job_ms, "watch_s": l.watch_s, "job_gets": l.job_gets, "max_in_flight": l.max_in_flight,
                 "hidden_s": l.hidden_s, "hidden_requests": l.hidden_requests, "hidden_routes": l.hidden_routes,
                 "visibility": l.visibility, "idle_s": l.idle_s, "idle_requests": l.idle_requests, "idle_routes": l.idle_routes},
        "sim_list": {"median_ms": list_median, "p95_ms": list_p95},
    });
    if let Some(dir) = json_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)?)?;
    println!("wrote {}", json_path.display());
    Ok(())
}
