//! `cargo xtask bench`: builds the release page and the size floor (a minimal Yew counter in
//! bench/floor, same release profile, wasm-opt -Oz), both precompressed as `cargo xtask build`
//! does, the simulator (profile sim-release) and the browser driver (e2e/src/bin/bench.rs), then
//! runs the driver, which measures the page in headless Chromium against the simulator (also on
//! emulated slow links), prints the table with PASS/MISS per budget and writes
//! `target/bench.json`. A missed budget is reported, not an error.
use std::path::PathBuf;
use std::process::Command;

use crate::tools::{self, Need, Tools};
use crate::{build, root, status, step};

/// Options after `bench`: `--runs N` (page timings and rounds on the emulated links, default 5)
/// and `--quick` (short load scenario: 15-second jobs, 10 s hidden, 20 s idle, and one round on
/// the emulated links; for trying the bench, not for the record).
pub fn bench(args: &[String]) -> Result<(), String> {
    let mut runs = "5".to_string();
    let mut quick = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().ok_or("--runs needs a number")?.clone(),
            "--quick" => quick = true,
            other => return Err(format!("unknown option {other}\n{}", crate::USAGE)),
        }
    }
    let runs: usize = runs
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("--runs {runs} is not a positive number"))?;

    let t = tools::ensure(Need::Browser)?;
    let dist = build::page(&t)?;
    let floor = floor(&t)?;
    let sim = build::sim("sim-release")?;
    let root = root();
    step("building the browser driver (e2e/src/bin/bench.rs)");
    status(
        Command::new("cargo")
            .current_dir(&root)
            .args(["build", "-p", "e2e", "--bin", "bench"]),
    )?;

    step(if quick {
        "measuring (quick: short load scenario)"
    } else {
        "measuring: page timings, emulated slow links, job list, load on the manager (about 6 minutes)"
    });
    let mut driver = Command::new(root.join("target").join("debug").join("bench"));
    driver
        .current_dir(&root)
        .env("CCKM_DIST", &dist)
        .env("CCKM_FLOOR_DIST", &floor)
        .env("CCKM_SIM_BIN", &sim)
        .env("CHROMEDRIVER", &t.chromedriver)
        .env("CHROMIUM", &t.chromium)
        .env("CCKM_BENCH_RUNS", runs.to_string())
        .env("CCKM_BENCH_JSON", root.join("target").join("bench.json"));
    if quick {
        driver
            .env("CCKM_BENCH_JOB_MS", "15000")
            .env("CCKM_BENCH_HIDDEN_S", "10")
            .env("CCKM_BENCH_IDLE_S", "20")
            .env("CCKM_BENCH_SLOW_RUNS", "1");
    }
    status(&mut driver)
}

/// The size floor: bench/floor built by Trunk with the workspace's release profile and
/// `data-wasm-opt="z"`, into `target/floor-dist`, with its loader moved out and its files
/// precompressed like the page's, so that the simulator serves both the same way.
fn floor(t: &Tools) -> Result<PathBuf, String> {
    let root = root();
    let out = root.join("target").join("floor-dist");
    step("building the size floor: bench/floor (minimal Yew counter), trunk build --release (wasm-opt -Oz)");
    status(
        t.command("trunk")
            .current_dir(root.join("bench").join("floor"))
            .args(["build", "--release", "--dist"])
            .arg(&out),
    )?;
    build::externalize_loader(&out)?;
    build::precompress(&out)?;
    Ok(out)
}
