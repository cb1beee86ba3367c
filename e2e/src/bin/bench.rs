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
//! ticks only), `=scale` (the ledger at 1,000 and 50,000 jobs, bench/scale.rs;
//! `CCKM_BENCH_SCALE=1000,10000` for other sizes) or `=slow` (the emulated links only; `CCKM_BENCH_DEVTOOLS_PRESETS=1` for DevTools'
//! own scaled presets), `CCKM_BENCH_DEBUG=1` (the first key page's API timings, marks and long animation
//! frames, and the next page's marks), `CCKM_BENCH_PROFILE=1` (a CDP CPU profile and CDP script /
//! style / layout times of the next-page action and of the last two ticks; `=first`: of the login
//! submit → first key page instead; function names need a wasm built with
//! `wasm-bindgen --keep-debug`) and `CCKM_CHROME_ARGS` (more Chromium arguments, e.g. a startup
//! trace).
//!
//! Every time inside the page is read from the page's own `performance` marks (src/perf.rs)
//! through WebDriver; wall clocks are used only for waiting and for the simulator's load windows.
//!
//! The parts, beside this file in bench/: `timeline` (marks and counts read from the page), `cdp`
//! (DevTools metrics and profiles), `sim` (the simulator over HTTP), `seed` (the ledgers put into
//! the page, built with the page's own types), `scenarios`, `slow_link`, `sizes` and `report`.
use std::path::PathBuf;
use std::time::Instant;

use e2e::Sim;

// Modules of this binary, beside it in bench/ (a file directly in src/bin/ would be a binary).
#[path = "bench/cdp.rs"]
mod cdp;
#[path = "bench/report.rs"]
mod report;
#[path = "bench/scale.rs"]
mod scale;
#[path = "bench/scenarios.rs"]
mod scenarios;
#[path = "bench/seed.rs"]
mod seed;
#[path = "bench/sim.rs"]
mod sim;
#[path = "bench/sizes.rs"]
mod sizes;
#[path = "bench/slow_link.rs"]
mod slow_link;
#[path = "bench/timeline.rs"]
mod timeline;

use report::{median, print_rows, Row, Summary};
use scenarios::{job_tick, load, page_run, PageRun, TICKS};
use sizes::{floor_files, floor_sim, size_files};

type Res<T = ()> = e2e::Result<T>;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The ledger sizes measured: today's 1,000 and a year's 50,000 (`CCKM_BENCH_SCALE=a,b` for others).
fn scale_sizes() -> Vec<usize> {
    std::env::var("CCKM_BENCH_SCALE")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 50_000])
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
    if std::env::var("CCKM_BENCH_ONLY").as_deref() == Ok("scale") {
        let mut rows = Vec::new();
        for n in scale_sizes() {
            eprintln!("\n--- ledger of {n} jobs");
            rows.extend(scale::ledger_scale(n).await?.rows());
        }
        print_rows(&rows);
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
    let list = sim::sim_list_speed(&sim.base).await?;
    eprintln!(
        "    simulator key list: median {:.2} ms, p95 {:.2} ms",
        list.0, list.1
    );
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
    let mut slow = slow_link::measure(&sim.base, &floor.base, slow_runs).await?;
    drop(sim);
    let page = size_files(&dist, &page_runs[0].files)?;
    eprintln!("--- floor: the minimal Yew app");
    let floor_loaded = floor_files(&floor.base).await?;
    drop(floor);
    let floor = size_files(&floor_dist, &floor_loaded)?;
    rows.extend(report::size_rows(page.2, floor.2));
    rows.extend(report::page_rows(&page_runs));
    rows.append(&mut slow.rows);

    eprintln!("--- job list: 1,000 jobs, 100 change per tick, {TICKS} ticks");
    let (ticks, tick_info) = job_tick().await?;
    rows.extend(report::tick_rows(&ticks));

    for n in scale_sizes() {
        eprintln!(
            "--- ledger of {n} jobs ({} running): navigation, ticks, memory, export",
            scale::RUNNING_JOBS
        );
        rows.extend(scale::ledger_scale(n).await?.rows());
    }

    eprintln!("--- load: 100 jobs of {job_ms} ms, hidden {hidden_s} s, idle {idle_s} s (one run)");
    let l = load(job_ms, hidden_s, idle_s).await?;
    rows.extend(report::load_rows(&l, job_ms, list));

    let summary = Summary {
        runs,
        slow_runs,
        job_ms,
        rows,
        page,
        floor,
        slow,
        tick_info,
        load: l,
        list,
        seconds: started.elapsed().as_secs_f64(),
    };
    summary.print();
    summary.write(&json_path)
}
