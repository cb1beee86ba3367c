//! `cargo xtask`: the project's task runner. Installs what is missing, builds, runs and tests.
mod bench;
mod build;
mod summary;
mod tidy;
mod tools;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

pub const USAGE: &str = "usage: cargo xtask <run [--port N] [-- SIM ARGS…] | build [--public-url /PATH/] [--dist DIR] | test [--skip-e2e] [--skip-wasm] [--skip-tidy] | tidy | bench [--runs N] [--quick]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("build") => build::command(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("tidy") => tidy::command(),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (the parent of this crate's folder).
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Runs a command to completion, inheriting stdio; an error names the command.
pub fn status(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let st = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({st})"))
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let mut port = "8080".to_string();
    let mut extra: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => port = it.next().ok_or("--port needs a number")?.clone(),
            "--" => extra.extend(it.by_ref().cloned()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--port {port} is not a port number"))?;
    let t = tools::ensure(tools::Need::Build)?;
    let dist = build::page(&t)?;
    let sim = build::sim("sim-release")?;
    step(&format!(
        "starting the simulator on http://127.0.0.1:{port}"
    ));
    eprintln!("    open http://127.0.0.1:{port}/ and log in as admin / admin (Ctrl-C stops it)");
    status(
        Command::new(sim)
            .arg("--static")
            .arg(&dist)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .args(&extra),
    )
}

/// A simulator started for the wasm tests; stopped on drop.
struct SimProcess {
    child: std::process::Child,
    url: String,
}

impl SimProcess {
    fn start(bin: &std::path::Path, args: &[&str]) -> Result<SimProcess, String> {
        use std::io::BufRead;
        let mut child = Command::new(bin)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let out = child.stdout.take().ok_or("no stdout from cckm-sim")?;
        let mut lines = std::io::BufReader::new(out).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(u) = l.strip_prefix("cckm-sim listening on ") {
                        break u.trim().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err("cckm-sim stopped before it listened".into());
                }
            }
        };
        // Keep draining stdout so the simulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(SimProcess { child, url })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

fn test(args: &[String]) -> Result<(), String> {
    let skip_e2e = args.iter().any(|a| a == "--skip-e2e");
    let skip_wasm = args.iter().any(|a| a == "--skip-wasm");
    let skip_tidy = args.iter().any(|a| a == "--skip-tidy");
    let t = tools::ensure(tools::Need::Browser)?;
    let root = root();
    let mut total = summary::Summary::default();

    // First, so a finding shows at the top; the tests still run, and the run fails at the end.
    let tidy = if skip_tidy { None } else { Some(tidy::run()?) };

    step("native tests: cargo test (page logic, simulator over loopback HTTP, xtask)");
    total.add(summary::run_and_count(
        Command::new("cargo").current_dir(&root).args([
            "test",
            "--workspace",
            "--exclude",
            "e2e",
            "--no-fail-fast",
        ]),
    ));

    if !skip_wasm {
        let sim = build::sim("dev")?;
        // The wasm tests run on wasm-pack's own port and call this simulator across origins.
        let mut server = SimProcess::start(&sim, &["--cors", "--keys", "60"])?;
        step("wasm tests in headless Chromium: wasm-pack test --headless --chrome");
        total.add(summary::run_and_count(
            t.command("wasm-pack")
                .current_dir(&root)
                .args(["test", "--headless", "--chrome", "--mode", "no-install"])
                .env("CCKM_SIM_URL", &server.url)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        ));
        server.stop();
    }

    if !skip_e2e {
        let dist = build::page(&t)?;
        // The same page built for a sub-path, which the nginx deployment test serves.
        let subpath_dist = build::page_at(
            &t,
            Some("/sap-key-jobs/"),
            Some(&root.join("target").join("subpath-dist")),
        )?;
        let sim = build::sim("dev")?;
        step("end-to-end tests: the built page in headless Chromium against the simulator");
        total.add(summary::run_and_count(
            Command::new("cargo")
                .current_dir(&root)
                .args([
                    "test",
                    "-p",
                    "e2e",
                    "--no-fail-fast",
                    "--",
                    "--test-threads=1",
                ])
                .env("CCKM_DIST", &dist)
                .env("CCKM_SIM_BIN", &sim)
                .env("CHROMEDRIVER", &t.chromedriver)
                .env("CHROMIUM", &t.chromium)
                .env("CCKM_SUBPATH_DIST", &subpath_dist)
                .env("NGINX_BIN", &t.nginx)
                .env("AXE_JS", &t.axe_js),
        ));
    }

    println!("\n{}", total.line());
    if let Some(tidy) = &tidy {
        println!("{}", tidy.line());
    }
    match (total.ok(), tidy.as_ref().is_none_or(tidy::Tidy::ok)) {
        (true, true) => Ok(()),
        (false, _) => Err("some tests failed".into()),
        (true, false) => Err("the tidy step failed".into()),
    }
}
